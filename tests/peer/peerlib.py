"""peerlib: what the scripted peers of tests/peer/ share (standard library only).

A peer parses its options (options() gives the common ones), then calls
run(session, ...): the port goes to --port-file once listening, every
connection is served by session(conn) in a thread of its own, and the
process ends --max-time seconds after the start, whatever the clients do.
args and START are the parsed options and the start time; log(), hold(),
drip() and send_big() are the helpers of the misbehaving modes.

The peers import it from their own directory: they are run as scripts
from anywhere (sys.path gets the directory of the peer's __file__).
"""
import argparse
import os
import socket
import threading
import time

args = None
START = 0
TEN_MB = 10 * 1024 * 1024
_log_lock = threading.Lock()


def options(port_file_required=False):
    """An option parser with the options every peer has."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--delay", type=float, default=0)
    ap.add_argument("--port-file", required=port_file_required)
    ap.add_argument("--log")
    ap.add_argument("--max-time", type=float, default=60)
    return ap


def parse(ap):
    """Parse the command line; sets args and START."""
    global args, START
    args = ap.parse_args()
    START = time.time()
    return args


def log(line):
    """One line to --log, if given."""
    if not args.log:
        return
    with _log_lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def message(i, id_prefix):
    """Message i of the fetch peers, its Message-ID <ID_PREFIX+i@example.test>
    (invalid UTF-8 in the body in mode bad-utf8)."""
    body = b"From: peer@example.test\r\nTo: t@example.test\r\nSubject: peer %d\r\n" \
           b"Message-ID: <%s%d@example.test>\r\n\r\nbody of message %d\r\n" % (i, id_prefix, i, i)
    if args.mode == "bad-utf8":
        body += b"invalid utf-8: \xff\xfe \xc0\x80 \xed\xa0\x80 end\r\n"
    return body


def greet(conn, greeting, prefix, name):
    """The greeting of the fetch peers, as the modes greet-long, drip-greet,
    bad-utf8 and escape have it (PREFIX NAME and invalid UTF-8 or escapes
    there).  False when the session is over."""
    mode = args.mode
    if mode == "greet-long":
        send_big(conn, prefix, TEN_MB)
        hold(conn)
        return False
    if mode == "drip-greet":
        drip(conn, greeting)
        return False
    if mode == "bad-utf8":
        greeting = prefix + name + b" \xff\xfe\xc0\x80 ready\r\n"
    if mode == "escape":
        greeting = prefix + name + b" \x1b]0;pwned\x07\x1b[2J\x1b[31mred ready\r\n"
    conn.sendall(greeting)
    return True


def hold(conn):
    """Keep the connection open and silent until the client goes or time is up."""
    end = START + args.max_time
    conn.settimeout(0.5)
    while time.time() < end:
        try:
            if not conn.recv(65536):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def drip(conn, data):
    """Send data one byte a second."""
    for i in range(len(data)):
        conn.sendall(data[i:i + 1])
        time.sleep(1)


def send_big(conn, prefix, n):
    """Send prefix, then n bytes of "x" (no line end)."""
    conn.sendall(prefix)
    chunk = b"x" * 65536
    while n > 0:
        conn.sendall(chunk[:min(n, len(chunk))])
        n -= len(chunk)


def serve(session, conn, errors=(OSError, ValueError), hangup=True):
    """Run session(conn), ignoring errors; then close the connection."""
    try:
        session(conn)
    except errors:
        pass
    finally:
        # A hang-up for real: shutdown() does not wait for the file
        # objects of makefile() to be closed.
        if hangup:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            conn.close()
        except OSError:
            pass


def run(session, port=0, backlog=8, conn_timeout=False, **serve_kw):
    """Listen on 127.0.0.1:port, write --port-file, serve until --max-time.

    conn_timeout: give each connection a timeout of what is left of
    --max-time (at least 1 s).  serve_kw goes to serve().
    """
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(backlog)
    srv.settimeout(0.5)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.getsockname()[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    end = START + args.max_time
    while time.time() < end:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        if conn_timeout:
            c.settimeout(max(1.0, end - time.time()))
        threading.Thread(target=serve, args=(session, c), kwargs=serve_kw, daemon=True).start()
    return 0
