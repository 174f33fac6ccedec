#!/usr/bin/env python3
"""The other side of `spool sync` in the integration tests: an independent
IMAP client (imaplib) that changes the server, a mail reader's renames that
change the Maildir, and the check that both sides agree.

    syncpeer.py PORT USER PASS ROOT compare
    syncpeer.py PORT USER PASS ROOT server-change SEED [N]
    syncpeer.py PORT USER PASS ROOT local-change SEED [N]
    syncpeer.py PORT USER PASS ROOT append FOLDER N [FLAGS]
    syncpeer.py PORT USER PASS ROOT create FOLDER
    syncpeer.py PORT USER PASS ROOT empty FOLDER
    syncpeer.py PORT USER PASS ROOT count FOLDER
    syncpeer.py PORT USER PASS ROOT gone
    syncpeer.py PORT USER PASS ROOT mark

With SYNCPEER_LOG set, the changes append the digest of every message they
remove to that file (and of every one they move to that file + ".moved");
gone exits 1 when one removed and never moved is on either side again (a
resurrected deletion).  mark saves every folder's UIDNEXT in
$SYNCPEER_MARK; server-change then removes only messages below it: one a
sync killed after it sent an APPEND and before it wrote down the answer is
left alone, since a message removed by another client in that window is
uploaded again by design (it cannot be told from an APPEND that never
arrived, and a duplicate is better than a loss).

FOLDER is the server's name in UTF-8 ('/' between levels).  ROOT is the
account's maildir (plain layout: ROOT/INBOX, ROOT/Sent, ROOT/a/b).  compare
prints nothing and exits 0 when every server folder has a local folder
(special-use ones under their role's name) holding the same messages by
content with the same flags, and no local folder lacks a server one;
else it prints the differences and exits 1.
"""
import base64
import hashlib
import imaplib
import os
import random
import re
import sys
import time

FLAGS = [("\\Draft", "D"), ("\\Flagged", "F"), ("\\Answered", "R"), ("\\Seen", "S"),
         ("\\Deleted", "T")]
ROLES = {"\\sent": "Sent", "\\drafts": "Drafts", "\\trash": "Trash", "\\junk": "Junk",
         "\\archive": "Archive"}


def mutf7_decode(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "&":
            j = s.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b = s[i + 1:j].replace(",", "/")
                b += "=" * (-len(b) % 4)
                out.append(base64.b64decode(b).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def mutf7_encode(s):
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + b.replace("/", ",") + "-")
            run.clear()
    for c in s:
        if 0x20 <= ord(c) <= 0x7e:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            run.append(c)
    flush()
    return "".join(out)


def connect(port, user, pw):
    m = imaplib.IMAP4("127.0.0.1", int(port))
    m.login(user, pw)
    return m


def q(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def folders(m):
    """[(utf8 name with '/', server name, local name)]"""
    typ, data = m.list('""', "*")
    out, taken = [], set()
    rows = []
    for line in data:
        if line is None:
            continue
        line = line.decode()
        mt = re.match(r'\((.*?)\) (NIL|"(.)") (.*)$', line)
        attrs, delim, raw = mt.group(1).lower().split(), mt.group(3), mt.group(4)
        if raw.startswith('"'):
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if "\\noselect" in attrs or "\\nonexistent" in attrs:
            continue
        name = mutf7_decode(raw)
        if delim and delim != "/":
            name = name.replace(delim, "/")
        rows.append((attrs, name, raw))
    for attrs, name, raw in rows:
        local = "INBOX" if name.upper() == "INBOX" else None
        for a in attrs:
            if a in ROLES and local is None and ROLES[a] not in taken:
                local = ROLES[a]
        if local is None or local in taken:
            local = name
        taken.add(local)
        out.append((name, raw, local))
    return out


def server_name(m, name):
    for n, raw, _ in folders(m):
        if n == name:
            return raw
    return mutf7_encode(name.replace("/", "."))


def norm(data):
    return data.replace(b"\r\n", b"\n")


def digest(data):
    return hashlib.sha256(norm(data)).hexdigest()[:16]


def server_msgs(m, raw):
    typ, _ = m.select(q(raw))
    if typ != "OK":
        raise SystemExit("cannot select " + raw)
    typ, data = m.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    msgs = {}
    for item in data:
        if not isinstance(item, tuple):
            continue
        head = item[0].decode()
        uid = int(re.search(r"UID (\d+)", head).group(1))
        fl = re.search(r"FLAGS \((.*?)\)", head).group(1).split()
        letters = "".join(sorted(l for f, l in FLAGS if f in fl))
        msgs[uid] = (digest(item[1]), letters)
    return msgs


def local_dir(root, local):
    return os.path.join(root, local)


def local_msgs(d):
    out = {}
    for sub in ("new", "cur"):
        p = os.path.join(d, sub)
        if not os.path.isdir(p):
            continue
        for f in os.listdir(p):
            if f.startswith("."):
                continue
            fl = f.split(":2,", 1)[1] if ":2," in f else ""
            with open(os.path.join(p, f), "rb") as fh:
                dg = digest(fh.read())
            out[os.path.join(sub, f)] = (dg, "".join(sorted(c for c in fl if c in "DFRST")))
    return out


def local_folders(root):
    out = set()
    for dp, dns, fns in os.walk(root):
        dns[:] = [d for d in dns if not d.startswith(".")]
        if all(os.path.isdir(os.path.join(dp, s)) for s in ("cur", "new", "tmp")):
            out.add(os.path.relpath(dp, root))
            dns[:] = [d for d in dns if d not in ("cur", "new", "tmp")]
    return out


def compare(m, root):
    bad = []
    seen = set()
    for name, raw, local in folders(m):
        seen.add(local)
        s = sorted(server_msgs(m, raw).values())
        lm = local_msgs(local_dir(root, local))
        loc = sorted(lm.values())
        if s != loc:
            sd, ld = set(s), set(loc)
            bad.append("%s: server %d, local %d; server only %s; local only %s" % (
                local, len(s), len(loc), sorted(sd - ld)[:4], sorted(ld - sd)[:4]))
        if len(set(d for d, _ in loc)) != len(loc):
            bad.append("%s: a message is there twice locally" % local)
    for lf in sorted(local_folders(root) - seen):
        bad.append("%s: local folder not on the server" % lf)
    if bad:
        print("\n".join(bad))
        sys.exit(1)


def message(rng, tag):
    n = rng.randrange(1, 30)
    body = "".join("line %d of %s %s\n" % (i, tag, "z" * rng.randrange(60)) for i in range(n))
    return ("From: peer <peer@example.test>\nTo: fetchuser@example.test\n"
            "Subject: %s\nMessage-ID: <%s@peer.example.test>\n"
            "Date: Fri, 27 Nov 2026 10:00:00 +0000\n\n%s" % (tag, tag, body)).encode()


def append(m, raw, data, flags=""):
    fl = "(" + " ".join(f for f, l in FLAGS if l in flags) + ")"
    typ, _ = m.append(q(raw), fl, None, data.replace(b"\n", b"\r\n"))
    if typ != "OK":
        raise SystemExit("APPEND failed")


def log_removed(dg, moved=False):
    if os.environ.get("SYNCPEER_LOG"):
        with open(os.environ["SYNCPEER_LOG"] + (".moved" if moved else ""), "a") as fh:
            fh.write(dg + "\n")


def gone(m, root):
    path = os.environ.get("SYNCPEER_LOG")
    removed = set(open(path).read().split()) if path and os.path.exists(path) else set()
    # Moved on one side and removed on the other before a sync told the
    # other side: the move may win (nothing ties the removed copy to the
    # moved one when neither side has both).
    if path and os.path.exists(path + ".moved"):
        removed -= set(open(path + ".moved").read().split())
    back = []
    for name, raw, local in folders(m):
        for dg, _ in server_msgs(m, raw).values():
            if dg in removed:
                back.append("server %s %s" % (name, dg))
        for path, (dg, _) in local_msgs(local_dir(root, local)).items():
            if dg in removed:
                back.append("local %s/%s" % (local, path))
    if back:
        print("removed messages are back: %s" % back[:6])
        sys.exit(1)


def mark(m):
    marks = {}
    for name, raw, _ in folders(m):
        typ, data = m.status(q(raw), "(UIDNEXT)")
        marks[name] = int(re.search(rb"UIDNEXT (\d+)", data[0]).group(1))
    with open(os.environ["SYNCPEER_MARK"], "w") as fh:
        fh.write(repr(marks))


def server_change(m, seed, n):
    rng = random.Random(seed)
    fs = folders(m)
    marks = {}
    if os.environ.get("SYNCPEER_MARK") and os.path.exists(os.environ["SYNCPEER_MARK"]):
        marks = eval(open(os.environ["SYNCPEER_MARK"]).read())
    for i in range(n):
        name, raw, _ = rng.choice(fs)
        m.select(q(raw))
        typ, data = m.uid("SEARCH", "ALL")
        uids = data[0].split()
        what = rng.random()
        if what < 0.3 or not uids:
            append(m, raw, message(rng, "srv%d-%d-%d" % (seed, i, time.time_ns() % 10**9)),
                   rng.choice(["", "S", "F", "SR"]))
        elif what < 0.75:
            uid = rng.choice(uids).decode()
            f, _ = rng.choice(FLAGS[:4])
            m.uid("STORE", uid, rng.choice(["+FLAGS", "-FLAGS"]), "(%s)" % f)
        else:
            old = [u for u in uids if int(u) < marks.get(name, 1 << 32)]
            if not old:
                continue
            uid = rng.choice(old).decode()
            if what < 0.87:
                # Moved by this client to another folder.
                to = rng.choice([f for f in fs if f[1] != raw])[1]
                typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
                for item in data:
                    if isinstance(item, tuple):
                        log_removed(digest(item[1]), True)
                m.uid("MOVE", uid, q(to))
                continue
            typ, data = m.uid("FETCH", uid, "(BODY.PEEK[])")
            for item in data:
                if isinstance(item, tuple):
                    log_removed(digest(item[1]))
            m.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            m.uid("EXPUNGE", uid)


def move(rng, root, d, f, dirs):
    """Move file f of folder d to another folder: as surel does (the same
    name), or as mutt does (a copy under a new name, then the old one
    unlinked)."""
    to = os.path.join(root, rng.choice([x for x in dirs if os.path.join(root, x) != d]))
    src = os.path.join(d, f)
    try:
        with open(src, "rb") as fh:
            data = fh.read()
        log_removed(digest(data), True)
        if rng.random() < 0.5:
            os.rename(src, os.path.join(to, f))
            return
    except FileNotFoundError:
        return
    name = "%d.M%dP%d.mutt" % (time.time(), time.time_ns() % 10**9, os.getpid())
    fl = f.split(":2,", 1)[1] if ":2," in f else None
    with open(os.path.join(to, "tmp", name), "wb") as fh:
        fh.write(data)
    os.rename(os.path.join(to, "tmp", name),
              os.path.join(to, "cur", name + ":2," + fl) if fl is not None
              else os.path.join(to, "new", name))
    try:
        os.unlink(src)
    except FileNotFoundError:
        pass


def local_change(root, seed, n):
    rng = random.Random(seed)
    dirs = sorted(local_folders(root))
    for i in range(n):
        d = os.path.join(root, rng.choice(dirs))
        files = [os.path.join(s, f) for s in ("new", "cur") for f in os.listdir(os.path.join(d, s))
                 if not f.startswith(".")]
        what = rng.random()
        if what < 0.3 or not files:
            name = "%d.M%dP%d.peer" % (time.time(), time.time_ns() % 10**9, os.getpid())
            tmp = os.path.join(d, "tmp", name)
            with open(tmp, "wb") as fh:
                fh.write(message(rng, "loc%d-%d-%d" % (seed, i, time.time_ns() % 10**9)))
            os.rename(tmp, os.path.join(d, "new", name))
        elif what < 0.75:
            f = rng.choice(files)
            base = os.path.basename(f).split(":2,")[0]
            fl = set(f.split(":2,", 1)[1]) if ":2," in f else set()
            fl ^= {rng.choice("FRS")}
            try:
                os.rename(os.path.join(d, f),
                          os.path.join(d, "cur", base + ":2," + "".join(sorted(fl))))
            except FileNotFoundError:
                pass
        elif what < 0.87:
            move(rng, root, d, rng.choice(files), dirs)
        else:
            try:
                p = os.path.join(d, rng.choice(files))
                with open(p, "rb") as fh:
                    dg = digest(fh.read())
                os.unlink(p)
                log_removed(dg)
            except FileNotFoundError:
                pass


def main():
    port, user, pw, root, cmd = sys.argv[1:6]
    args = sys.argv[6:]
    if cmd == "local-change":
        local_change(root, int(args[0]), int(args[1]) if len(args) > 1 else 10)
        return
    m = connect(port, user, pw)
    if cmd == "compare":
        compare(m, root)
    elif cmd == "gone":
        gone(m, root)
    elif cmd == "mark":
        mark(m)
    elif cmd == "server-change":
        server_change(m, int(args[0]), int(args[1]) if len(args) > 1 else 10)
    elif cmd == "append":
        rng = random.Random(args[0])
        raw = server_name(m, args[0])
        for i in range(int(args[1])):
            append(m, raw, message(rng, "app-%s-%d-%d" % (args[0].encode().hex(), i,
                                                          time.time_ns() % 10**9)),
                   args[2] if len(args) > 2 else "")
    elif cmd == "create":
        m.create(q(mutf7_encode(args[0].replace("/", "."))))
    elif cmd == "empty":
        raw = server_name(m, args[0])
        m.select(q(raw))
        m.store("1:*", "+FLAGS", "(\\Deleted)")
        m.expunge()
    elif cmd == "count":
        typ, data = m.select(q(server_name(m, args[0])))
        print(int(data[0]))
    else:
        raise SystemExit("unknown command " + cmd)
    m.logout()


main()
