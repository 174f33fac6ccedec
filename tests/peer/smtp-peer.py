#!/usr/bin/env python3
"""smtp-peer: a scripted, fault-injecting SMTP server for the relay tests.

Loopback only, standard library only, bounded run time (--max-time).  It
accepts connections one after another (each in a thread), speaks enough
RFC 5321 for libcurl, and misbehaves as --mode says:

  ok            accept everything
  greet421      421 at the greeting, then hang up
  rcpt451       451 for every RCPT TO
  rcpt550       550 for recipients whose local part starts with "bad", 250 else
  rcptmix       as rcpt550, and 451 for local parts starting with "later"
  mail451       451 for MAIL FROM (then 503 for RCPT and DATA, as servers do)
  data250       250 instead of 354 to DATA (the message is never sent)
  extra-reply   two replies to the final dot of the first message
  close-after   hang up, without a word, after the first message of a session
  slow-dot      wait 3 s before the reply to the final dot
  drop-data     hang up in the middle of the DATA payload
  drop-dot      read the whole message (and store it), then hang up without a reply
  stall         greet, then never answer anything
  data554       554 after the final dot
  long-greet    the greeting is 10 MB with no line end, then silence
  long-ehlo     the EHLO reply is "250-" and 10 MB with no line end, then silence
  endless-ehlo  the EHLO reply is "250-" lines that never end
  endless-ehlo2 as endless-ehlo, for the second EHLO of a connection only
                (libcurl's passes; sendq's own meets it)
  long-mail     as long-ehlo, in reply to MAIL FROM (the client's own reader)
  endless-mail  as endless-ehlo, in reply to MAIL FROM
  drip-mail     the reply to MAIL FROM comes one byte a second
  drip          the EHLO reply comes one byte a second
  bad-utf8      451 for every RCPT TO, with invalid UTF-8 in the text
  escape        451 for every RCPT TO, with terminal escapes in the text
  plain-no-ir   535 to AUTH PLAIN without an initial response (as an Exim
                PLAIN authenticator without server_prompts); with --auth

--delay S waits S seconds before each reply after the greeting (a slow
server; AUTH is then pending that long).

--tls CERT KEY offers STARTTLS (a certificate chain file and its key);
--require-tls refuses MAIL before STARTTLS.  --no-8bitmime leaves 8BITMIME
out of the EHLO reply, --no-pipelining PIPELINING.  --auth USER:PASS requires AUTH PLAIN or LOGIN.

--oauth2 URL requires AUTH XOAUTH2 or OAUTHBEARER (RFC 7628; --oauth2-mechs
says which are offered, default both) with a bearer token that the RFC 7662
introspection endpoint URL (tests/peer/oauth2-peer.py, https verified with
--oauth2-ca, default tests/data/tls/ca.pem) calls active, for the user
--oauth2-user when given.  A refused token gets the error challenge (334 and
a base64 JSON status), then 535 once the client has answered it.

Every accepted message is written to --spool DIR as N.eml (the data with
the transparency dots removed and CRLF kept) plus N.env ("from ADDR" and
one "to ADDR" line per accepted recipient).  --log FILE gets one line per
connection ("connect") and per command (AUTH arguments are not logged).
The chosen port is written to --port-file once listening.
"""
import base64
import http.client
import json
import os
import ssl
import urllib.parse
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peerlib  # noqa: E402
from peerlib import log  # noqa: E402

args = None
counter_lock = threading.Lock()
counter = [0]


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.rf = sock.makefile("rb")
        self.tls = False
        self.extra_sent = False
        self.ehlos = 0

    def send(self, text):
        if args.delay:
            time.sleep(args.delay)
        self.sock.sendall(text.encode() + b"\r\n")

    def send_raw(self, data):
        self.sock.sendall(data)

    def line(self):
        data = self.rf.readline(65536)
        if not data:
            raise EOFError
        return data

    def starttls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.rf = self.sock.makefile("rb")
        self.tls = True


def store(sender, rcpts, data):
    with counter_lock:
        counter[0] += 1
        n = counter[0]
    base = os.path.join(args.spool, "%d" % n)
    with open(base + ".eml.tmp", "wb") as f:
        f.write(data)
    os.rename(base + ".eml.tmp", base + ".eml")
    with open(base + ".env", "w") as f:
        f.write("from %s\n" % sender)
        for r in rcpts:
            f.write("to %s\n" % r)


def ehlo_reply(c):
    ext = []
    if args.tls and not c.tls:
        ext.append("STARTTLS")
    mechs = []
    if args.auth:
        mechs += ["PLAIN", "LOGIN"]
    if args.oauth2:
        mechs += args.oauth2_mechs.split(",")
    if mechs and (c.tls or not args.tls):
        ext.append("AUTH " + " ".join(mechs))
    if not args.no_8bitmime:
        ext.append("8BITMIME")
    if not args.no_pipelining:
        ext.append("PIPELINING")
    ext.append("ENHANCEDSTATUSCODES")
    lines = ["250-smtp-peer"] + ["250-" + e for e in ext[:-1]] + ["250 " + ext[-1]]
    return "\r\n".join(lines)


def introspect(token):
    """Whether the oauth2 peer calls token active (for --oauth2-user)."""
    u = urllib.parse.urlsplit(args.oauth2)
    ctx = ssl.create_default_context(cafile=args.oauth2_ca)
    conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=10, context=ctx)
    conn.request("POST", u.path, urllib.parse.urlencode({"token": token}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    r = json.loads(conn.getresponse().read())
    conn.close()
    return r.get("active") is True and (not args.oauth2_user or r.get("username") == args.oauth2_user)


def initial_response(c, parts):
    """The AUTH command's initial response, else the reply to an empty
    challenge."""
    if len(parts) > 1:
        return parts[1]
    c.send("334 ")
    return c.line().decode().strip()


def check_bearer(c, mech, parts):
    """AUTH XOAUTH2 / OAUTHBEARER: the token of the initial response (or of
    the reply to an empty challenge) checked by introspection."""
    resp = initial_response(c, parts)
    try:
        raw = base64.b64decode(resp, validate=True).decode()
    except Exception:
        log("AUTH %s malformed" % mech)
        return False
    fields = raw.split("\x01")
    user = token = None
    if mech == "XOAUTH2":
        if fields[0].startswith("user="):
            user = fields[0][5:]
    else:
        gs2 = fields[0].split(",")
        if len(gs2) >= 3 and gs2[1].startswith("a="):
            user = gs2[1][2:]
    for f in fields[1:]:
        if f.lower().startswith("auth=bearer "):
            token = f[12:]
    ok = bool(token) and (not args.oauth2_user or user == args.oauth2_user) and introspect(token)
    if ok:
        log("AUTH %s accepted" % mech)
        return True
    status = {"status": "invalid_token" if mech == "OAUTHBEARER" else "401",
              "schemes": "bearer", "scope": "mail"}
    log("AUTH %s refused" % mech)
    c.send("334 " + base64.b64encode(json.dumps(status).encode()).decode())
    try:
        answer = c.line().strip()
    except EOFError:
        log("AUTH %s: the client hung up at the error challenge" % mech)
        raise
    log("AUTH %s error challenge answered %s" %
        (mech, "AQ==" if answer == b"AQ==" else "empty" if not answer else "otherwise"))
    return False


def check_auth(c, arg):
    parts = arg.split()
    mech = parts[0].upper() if parts else ""
    if args.oauth2 and mech in args.oauth2_mechs.split(","):
        return check_bearer(c, mech, parts)
    if not args.auth:
        return False
    user, pw = args.auth.split(":", 1)
    if mech == "PLAIN":
        if len(parts) == 1 and args.mode == "plain-no-ir":
            return False
        resp = initial_response(c, parts)
        try:
            _, u, p = base64.b64decode(resp).decode().split("\0")
        except Exception:
            return False
        return u == user and p == pw
    if mech == "LOGIN":
        c.send("334 VXNlcm5hbWU6")
        u = base64.b64decode(c.line().strip()).decode()
        c.send("334 UGFzc3dvcmQ6")
        p = base64.b64decode(c.line().strip()).decode()
        return u == user and p == pw
    return False


def session(sock):
    c = Conn(sock)
    log("connect")
    mode = args.mode
    if mode == "greet421":
        c.send("421 4.3.2 smtp-peer: service not available, closing")
        return
    if mode == "long-greet":
        c.send_raw(b"220 " + b"x" * (10 * 1024 * 1024))
        time.sleep(args.max_time)
        return
    c.sock.sendall(b"220 smtp-peer ESMTP\r\n")
    if mode == "stall":
        time.sleep(args.max_time)
        return
    sender, rcpts, authed = None, [], not (args.auth or args.oauth2)
    while True:
        raw = c.line()
        cmdline = raw.decode("utf-8", "replace").rstrip("\r\n")
        verb = cmdline.split(" ", 1)[0].upper()
        arg = cmdline[len(verb):].strip()
        if verb == "AUTH":
            # The mechanism, and whether an initial response came, never
            # the credentials.
            words = arg.split()
            log("AUTH %s%s (hidden)" % (words[0].upper() if words else "",
                                        " initial-response" if len(words) > 1 else ""))
        else:
            log(cmdline)
        if verb in ("EHLO", "HELO") and mode == "long-ehlo":
            c.send_raw(b"250-" + b"x" * (10 * 1024 * 1024))
            time.sleep(args.max_time)
            return
        elif verb in ("EHLO", "HELO") and (mode == "endless-ehlo" or
                                           (mode == "endless-ehlo2" and c.ehlos == 1)):
            end = time.time() + args.max_time
            while time.time() < end:
                c.send_raw(b"250-SIZE 1000000 and more and more\r\n" * 1000)
            return
        elif verb in ("EHLO", "HELO") and mode == "drip":
            for b in (ehlo_reply(c) + "\r\n").encode():
                c.send_raw(bytes([b]))
                time.sleep(1)
            return
        elif verb in ("EHLO", "HELO"):
            c.ehlos += 1
            c.send(ehlo_reply(c))
        elif verb == "STARTTLS" and args.tls and not c.tls:
            c.send("220 2.0.0 go ahead")
            c.starttls()
        elif verb == "AUTH" and (args.auth or args.oauth2):
            if check_auth(c, arg):
                authed = True
                c.send("235 2.7.0 authenticated")
            else:
                c.send("535 5.7.8 authentication failed")
        elif verb == "MAIL" and mode == "long-mail":
            c.send_raw(b"250-" + b"x" * (10 * 1024 * 1024))
            time.sleep(args.max_time)
            return
        elif verb == "MAIL" and mode == "endless-mail":
            end = time.time() + args.max_time
            while time.time() < end:
                c.send_raw(b"250-and more and more\r\n" * 1000)
            return
        elif verb == "MAIL" and mode == "drip-mail":
            for b in b"250 2.1.0 ok\r\n":
                c.send_raw(bytes([b]))
                time.sleep(1)
            return
        elif verb == "MAIL":
            if args.require_tls and not c.tls:
                c.send("530 5.7.0 must issue STARTTLS first")
            elif not authed:
                c.send("530 5.7.0 authentication required")
            elif mode == "mail451":
                sender, rcpts = None, []
                c.send("451 4.3.2 sender check failed, try later")
            else:
                sender = arg.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                rcpts = []
                c.send("250 2.1.0 ok")
        elif verb == "RCPT":
            addr = arg.split(":", 1)[1].strip().split(" ")[0].strip("<>")
            if sender is None:
                c.send("503 5.5.1 need MAIL command")
            elif mode == "bad-utf8":
                c.send_raw(b"451 4.3.0 <" + addr.encode() + b">: caf\xe9 \xff\xfe \xc0\x80 later\r\n")
            elif mode == "escape":
                c.send_raw(b"451 4.3.0 \x1b]0;pwned\x07\x1b[2J\x1b[31mred\r later\r\n")
            elif mode == "rcpt451":
                c.send("451 4.3.0 <%s>: try again later" % addr)
            elif mode in ("rcpt550", "rcptmix") and addr.startswith("bad"):
                c.send("550 5.1.1 <%s>: no such user here" % addr)
            elif mode == "rcptmix" and addr.startswith("later"):
                c.send("451 4.2.2 <%s>: mailbox full, try later" % addr)
            else:
                rcpts.append(addr)
                c.send("250 2.1.5 ok")
        elif verb == "DATA" and mode == "data250":
            c.send("250 2.0.0 ok")
        elif verb == "DATA":
            if not rcpts:
                c.send("503 5.5.1 no valid recipients")
                continue
            c.send("354 end data with <CR><LF>.<CR><LF>")
            data = bytearray()
            n = 0
            while True:
                ln = c.line()
                n += 1
                if mode == "drop-data" and n == 3:
                    log("dropped in DATA")
                    return
                if ln == b".\r\n":
                    break
                if ln.startswith(b"."):
                    ln = ln[1:]
                data += ln
            if mode == "drop-dot":
                store(sender, rcpts, bytes(data))
                log("dropped after the dot")
                return
            if mode == "data554":
                c.send("554 5.6.0 message refused")
            else:
                if mode == "slow-dot":
                    time.sleep(3)
                store(sender, rcpts, bytes(data))
                c.send("250 2.0.0 ok queued")
                if mode == "extra-reply" and not c.extra_sent:
                    c.extra_sent = True
                    c.send("250 2.0.0 and once more")
                if mode == "close-after":
                    log("hung up after a message")
                    return
            sender, rcpts = None, []
        elif verb == "RSET":
            sender, rcpts = None, []
            c.send("250 2.0.0 ok")
        elif verb == "NOOP":
            c.send("250 2.0.0 ok")
        elif verb == "QUIT":
            c.send("221 2.0.0 bye")
            return
        else:
            c.send("502 5.5.2 command not recognized")


def main():
    global args
    ap = peerlib.options()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--spool", required=True)
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--require-tls", action="store_true")
    ap.add_argument("--no-8bitmime", action="store_true")
    ap.add_argument("--no-pipelining", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--oauth2")
    ap.add_argument("--oauth2-mechs", default="XOAUTH2,OAUTHBEARER")
    ap.add_argument("--oauth2-user")
    ap.add_argument("--oauth2-ca", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "..", "data", "tls", "ca.pem"))
    args = peerlib.parse(ap)
    os.makedirs(args.spool, exist_ok=True)
    # No shutdown() at the end of a session: a close as it comes.
    return peerlib.run(session, port=args.port, backlog=16, conn_timeout=True,
                       errors=(EOFError, OSError, ssl.SSLError), hangup=False)


if __name__ == "__main__":
    sys.exit(main())
