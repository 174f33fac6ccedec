#!/usr/bin/env python3
"""imap-peer: a scripted, hostile IMAP4rev1 server for the fetch tests.

Loopback only, standard library only, plain text (the client runs with
tls = off), bounded run time (--max-time; the process exits then, whatever
the client does).  One connection at a time, each in a thread.  It speaks
enough of RFC 3501 for spool fetch (CAPABILITY, LOGIN, SELECT/EXAMINE,
UID FETCH, UID STORE, EXPUNGE, LOGOUT) over one mailbox of --count
messages, and misbehaves as --mode says:

  ok             behave
  greet-long     the greeting is 10 MB with no line end, then silence
  reply-long     the SELECT reply is one 10 MB line with no line end
  endless        SELECT is answered by untagged "* OK" lines that never end
  endless-cont   LOGIN is answered by "+ " continuation requests that never end
  literal-huge   the body FETCH announces a literal of {4294967296} bytes
                 and sends 64 KiB of it, then silence
  close-literal  the body FETCH announces {4000}, sends 1000 bytes, hangs up
  drip           the body FETCH reply comes one byte a second
  drip-greet     the greeting comes one byte a second
  bad-utf8       invalid UTF-8 in the greeting, the flags and the body
                 (the body must still be stored byte for byte)
  counts         EXISTS 4294967295, UIDNEXT 0, RFC822.SIZE 4294967295
  escape         the greeting and the LOGIN refusal carry terminal escapes
  missing        UID 2 is listed but left out of every body FETCH reply
  hostile-list   LIST names "../escaped" and "sub/../../escaped2" besides INBOX
  unavailable    LOGIN is refused with "NO [UNAVAILABLE]" (RFC 5530: try later)
  big-list       lists --count messages but sends no body (a listing test)
  drop2          hangs up at the second body FETCH of a connection
  idle-early     offers IDLE; the first IDLE of a connection is answered
                 by "* N EXISTS" (one message more) before "+ idling", as
                 a server may report a change that came just then

--uidvalidity N sets the UIDVALIDITY (default 7).
  split          each body FETCH reply also has a "* n FETCH (UID n FLAGS ...)"
                 without a body, and UID 1's body comes twice

--delay S waits S seconds before each tagged reply (a slow server).
The port is written to --port-file once listening; --log gets one line per
command (LOGIN arguments are not logged).
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
    return peerlib.message(i, b"peer")


def session(conn):
    mode = args.mode
    rf = conn.makefile("rb")
    caps = b"IMAP4rev1 UIDPLUS IDLE" if mode == "idle-early" else b"IMAP4rev1 UIDPLUS"
    if not peerlib.greet(conn, b"* OK [CAPABILITY %s] imap-peer ready\r\n" % caps, b"* OK ", b"imap-peer"):
        return
    n = args.count
    announced = False
    body_fetches = 0
    while True:
        raw = rf.readline(65536)
        if not raw:
            return
        parts = raw.decode("latin-1").rstrip("\r\n").split(" ")
        tag, verb = parts[0], (parts[1].upper() if len(parts) > 1 else "")
        rest = parts[2:]
        log("LOGIN (hidden)" if verb == "LOGIN" else " ".join(parts))
        if args.delay and verb not in ("CAPABILITY",):
            time.sleep(args.delay)

        def tagged(text):
            conn.sendall(("%s %s\r\n" % (tag, text)).encode())

        if verb == "CAPABILITY":
            conn.sendall(b"* CAPABILITY %s\r\n" % caps)
            tagged("OK done")
        elif verb == "LOGIN":
            if mode == "endless-cont":
                end = peerlib.START + args.max_time
                while time.time() < end:
                    conn.sendall(b"+ more please\r\n" * 1000)
                return
            if mode == "escape":
                conn.sendall(("%s NO \x1b]0;pwned\x07\x1b[31mno such user\r\n" % tag).encode())
                continue
            if mode == "unavailable":
                tagged("NO [UNAVAILABLE] back-end down, try later")
                continue
            tagged("OK logged in")
        elif verb in ("SELECT", "EXAMINE"):
            if mode == "reply-long":
                send_big(conn, b"* ", TEN_MB)
                return hold(conn)
            if mode == "endless":
                end = peerlib.START + args.max_time
                while time.time() < end:
                    conn.sendall(b"* OK [ALERT] this line is one of very many\r\n" * 1000)
                return
            if mode == "counts":
                conn.sendall(b"* 4294967295 EXISTS\r\n* 0 RECENT\r\n"
                             b"* OK [UIDVALIDITY 1] v\r\n* OK [UIDNEXT 0] n\r\n")
            else:
                conn.sendall(b"* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY %d] v\r\n"
                             b"* OK [UIDNEXT %d] n\r\n" % (n, args.uidvalidity, n + 1))
            if mode == "bad-utf8":
                conn.sendall(b"* FLAGS (\\Seen \\Deleted caf\xe9 \xff\xfe)\r\n")
            tagged("OK [READ-WRITE] selected")
        elif verb == "UID" and rest and rest[0].upper() == "FETCH":
            what = " ".join(rest[2:]).upper()
            if "BODY.PEEK[]" in what or "BODY[]" in what:
                uids = uid_list(rest[1], n)
                body_fetches += 1
                if mode == "drop2" and body_fetches == 2:
                    return
                if mode == "literal-huge":
                    conn.sendall(b"* 1 FETCH (UID 1 FLAGS () BODY[] {4294967296}\r\n")
                    send_big(conn, b"", 65536)
                    return hold(conn)
                if mode == "close-literal":
                    conn.sendall(b"* 1 FETCH (UID 1 FLAGS () BODY[] {4000}\r\n" + b"y" * 1000)
                    return
                out = b""
                for u in uids:
                    if (mode == "missing" and u == 2) or mode == "big-list":
                        continue
                    m = message(u)
                    flags = b"\\Seen \xff\xfe" if mode == "bad-utf8" else b"\\Seen"
                    seq = 1 if mode == "counts" else u
                    if mode == "split":
                        out += b"* %d FETCH (UID %d FLAGS (\\Seen \\Flagged))\r\n" % (u, u)
                    out += b"* %d FETCH (UID %d FLAGS (%s) BODY[] {%d}\r\n%s)\r\n" % (
                        seq, u, flags, len(m), m)
                    if mode == "split" and u == 1:
                        out += b"* %d FETCH (UID %d BODY[] {%d}\r\n%s)\r\n" % (seq, u, len(m), m)
                out += ("%s OK fetched\r\n" % tag).encode()
                if mode == "drip":
                    return drip(conn, out)
                conn.sendall(out)
            elif "HEADER.FIELDS" in what:
                out = b""
                for u in uid_list(rest[1], n):
                    h = b"Message-ID: <peer%d@example.test>\r\n\r\n" % u
                    out += b"* %d FETCH (UID %d BODY[HEADER.FIELDS (MESSAGE-ID)] {%d}\r\n%s)\r\n" % (
                        u, u, len(h), h)
                conn.sendall(out)
                tagged("OK fetched")
            else:
                if mode == "counts":
                    conn.sendall(b"* 4294967295 FETCH (UID 4294967295 RFC822.SIZE 4294967295)\r\n")
                else:
                    for u in uid_list(rest[1], n):
                        conn.sendall(b"* %d FETCH (UID %d RFC822.SIZE %d)\r\n" % (u, u, len(message(u))))
                tagged("OK fetched")
        elif verb == "UID" and rest and rest[0].upper() == "STORE":
            tagged("OK stored")
        elif verb == "LIST":
            conn.sendall(b'* LIST () "/" INBOX\r\n')
            if mode == "hostile-list":
                conn.sendall(b'* LIST () "/" "../escaped"\r\n* LIST () "/" "sub/../../escaped2"\r\n')
            tagged("OK listed")
        elif verb == "EXPUNGE" or (verb == "UID" and rest and rest[0].upper() == "EXPUNGE"):
            tagged("OK expunged")
        elif verb == "IDLE":
            if mode == "idle-early" and not announced:
                n += 1
                announced = True
                conn.sendall(b"* %d EXISTS\r\n" % n)
            conn.sendall(b"+ idling\r\n")
            done = rf.readline(65536)
            if not done:
                return
            log(done.decode("latin-1").rstrip("\r\n"))
            tagged("OK idle done")
        elif verb == "NOOP":
            tagged("OK noop")
        elif verb == "LOGOUT":
            conn.sendall(b"* BYE bye\r\n")
            tagged("OK logged out")
            return
        else:
            tagged("BAD command not known here")


def uid_list(spec, n):
    """UIDs in 1..n (4294967295 in counts mode) that SPEC names."""
    if args.mode == "counts":
        return [4294967295]
    out = []
    for part in spec.split(","):
        a, _, b = part.partition(":")
        lo = n if a == "*" else int(a)
        hi = lo if not b else (n if b == "*" else int(b))
        lo, hi = min(lo, hi), max(lo, hi)
        out.extend(u for u in range(max(lo, 1), min(hi, n) + 1))
    return out


def main():
    global args
    ap = peerlib.options(port_file_required=True)
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--uidvalidity", type=int, default=7)
    args = peerlib.parse(ap)
    return peerlib.run(session)


if __name__ == "__main__":
    sys.exit(main())
