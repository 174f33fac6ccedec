#!/usr/bin/env python3
"""pop3-peer: a scripted, hostile POP3 server for the fetch tests.

Loopback only, standard library only, plain text (the client runs with
tls = off), bounded run time (--max-time; the process exits then).  It
speaks enough of RFC 1939 for spool fetch (CAPA, USER/PASS, STAT, LIST,
UIDL, RETR, TOP, DELE, QUIT) over --count messages and misbehaves as
--mode says:

  ok             behave
  greet-long     the greeting is 10 MB with no line end, then silence
  reply-long     the LIST reply's first line is 10 MB with no line end
  endless        the LIST listing never ends (no "." line)
  drip           the RETR reply comes one byte a second
  drip-greet     the greeting comes one byte a second
  counts         STAT says 4294967295 messages of 99999999999999999999
                 octets; LIST gives message 4294967295 a size of
                 99999999999999999999
  close-retr     RETR sends half a message, then hangs up
  bad-utf8       invalid UTF-8 in the greeting, a UIDL and the body (the
                 body must still be stored byte for byte)
  uidl-long      a UIDL of 10000 characters
  escape         the greeting and the PASS refusal carry terminal escapes
  in-use         PASS is refused with "-ERR [IN-USE]" (RFC 3206: try later)
  no-uidl        UIDL answers -ERR (CAPA still names it)
  twins          no UIDL at all, and messages 2 and 3 are the same bytes

--delay S waits S seconds before each reply after the greeting.  The port
is written to --port-file; --log gets one line per command (PASS hidden).
"""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402
from peerlib import TEN_MB, drip, hold, log, send_big  # noqa: E402

args = None


def message(i):
    if args.mode == "twins" and i == 3:
        i = 2
    return peerlib.message(i, b"pop")


def uidl(i):
    if args.mode == "uidl-long" and i == 1:
        return b"u" * 10000
    if args.mode == "bad-utf8" and i == 1:
        return b"uid\xff\xfe1"
    return b"uid-%d" % i


def session(conn):
    mode = args.mode
    rf = conn.makefile("rb")
    if not peerlib.greet(conn, b"+OK pop3-peer ready\r\n", b"+OK ", b"pop3-peer"):
        return
    n = args.count
    while True:
        raw = rf.readline(65536)
        if not raw:
            return
        parts = raw.decode("latin-1").rstrip("\r\n").split(" ")
        verb, rest = parts[0].upper(), parts[1:]
        log("PASS (hidden)" if verb == "PASS" else " ".join(parts))
        if args.delay:
            time.sleep(args.delay)
        if verb == "CAPA":
            if mode == "twins":
                conn.sendall(b"+OK\r\nUSER\r\nTOP\r\n.\r\n")
            else:
                conn.sendall(b"+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")
        elif verb == "USER":
            conn.sendall(b"+OK send PASS\r\n")
        elif verb == "PASS":
            if mode == "escape":
                conn.sendall(b"-ERR \x1b]0;pwned\x07\x1b[31mno such user\r\n")
                continue
            if mode == "in-use":
                conn.sendall(b"-ERR [IN-USE] mailbox locked by another session\r\n")
                continue
            conn.sendall(b"+OK logged in\r\n")
        elif verb == "STAT":
            if mode == "counts":
                conn.sendall(b"+OK 4294967295 99999999999999999999\r\n")
            else:
                conn.sendall(b"+OK %d %d\r\n" % (n, sum(len(message(i)) for i in range(1, n + 1))))
        elif verb == "LIST":
            if mode == "reply-long":
                send_big(conn, b"+OK ", TEN_MB)
                return hold(conn)
            if mode == "endless":
                conn.sendall(b"+OK listing follows\r\n")
                i = 1
                while time.time() < peerlib.START + args.max_time:
                    conn.sendall(b"".join(b"%d 100\r\n" % (i + k) for k in range(1000)))
                    i += 1000
                return
            if mode == "counts":
                conn.sendall(b"+OK 4294967295 messages\r\n4294967295 99999999999999999999\r\n.\r\n")
            else:
                conn.sendall(b"+OK\r\n" + b"".join(b"%d %d\r\n" % (i, len(message(i)))
                                                   for i in range(1, n + 1)) + b".\r\n")
        elif verb == "UIDL":
            if mode in ("no-uidl", "twins"):
                conn.sendall(b"-ERR not now\r\n")
            elif mode == "counts":
                conn.sendall(b"+OK\r\n4294967295 huge-1\r\n.\r\n")
            else:
                conn.sendall(b"+OK\r\n" + b"".join(b"%d %s\r\n" % (i, uidl(i))
                                                   for i in range(1, n + 1)) + b".\r\n")
        elif verb in ("RETR", "TOP"):
            i = int(rest[0]) if rest and rest[0].isdigit() else 0
            m = message(i)
            if verb == "RETR" and mode == "close-retr":
                conn.sendall(b"+OK message follows\r\n" + m[:len(m) // 2])
                return
            out = b"+OK message follows\r\n" + m + b".\r\n"
            if verb == "RETR" and mode == "drip":
                return drip(conn, out)
            conn.sendall(out)
        elif verb == "DELE":
            conn.sendall(b"+OK deleted\r\n")
        elif verb == "NOOP":
            conn.sendall(b"+OK\r\n")
        elif verb == "QUIT":
            conn.sendall(b"+OK bye\r\n")
            return
        else:
            conn.sendall(b"-ERR unknown command\r\n")


def main():
    global args
    ap = peerlib.options(port_file_required=True)
    ap.add_argument("--count", type=int, default=3)
    args = peerlib.parse(ap)
    return peerlib.run(session)


if __name__ == "__main__":
    sys.exit(main())
