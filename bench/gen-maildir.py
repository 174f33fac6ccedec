#!/usr/bin/env python3
"""Write a deterministic Maildir of N messages for the folder benchmarks.

The same N and seed always give the same files, names and bytes, so runs on
different days and machines compare.  The mix imitates a real inbox: mail
lists and notifications, threads with In-Reply-To/References, RFC 2047
subjects and names, a few long DKIM/Received blocks (header blocks past
4 KiB), a few messages without Date, sizes from 1 KiB to ~300 KiB (5 % with a
base64 attachment).  95 % of the files are in cur/ with a flag mix, 5 % in
new/; 80 % carry ",S=SIZE" in the name as our own deliveries do, the rest do
not (mail moved in by other tools).  Standard library only.

usage: gen-maildir.py DIR N [--seed S] [--threads random|chain]
"""
import argparse
import base64
import os
import random
import sys
import time

FIRST = ["Ana", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gita", "Hadi", "Indah",
         "Joko", "Kartika", "Lukas", "Maria", "Nina", "Oscar", "Putri", "Rudi",
         "Sari", "Tono", "Wati", "José", "Zoë", "François", "Łukasz", "李", "王芳"]
LAST = ["Putri", "Santoso", "Wijaya", "Halim", "Gunawan", "Lestari", "Saputra",
        "Müller", "Nowak", "García", "Smith", "Tanaka", "O'Brien", "Kusuma"]
DOMAINS = ["example.co.id", "example.org", "lists.example.net", "mail.example.com",
           "corp.example.test", "uni.example.ac.id"]
WORDS = ("report meeting weekly review patch release build failure invoice "
         "schedule minutes draft budget server update security notice question "
         "proposal agenda holiday travel deadline migration backup test results "
         "laporan rapat jadwal anggaran rilis").split()
LISTS = ["dev", "announce", "users", "ops", "security"]


def enc_word(s, rng):
    """RFC 2047 form of s when it is not ASCII (B or Q at random)."""
    try:
        s.encode("ascii")
        return s
    except UnicodeEncodeError:
        pass
    raw = s.encode("utf-8")
    if rng.random() < 0.5:
        return "=?UTF-8?B?%s?=" % base64.b64encode(raw).decode()
    q = "".join(chr(b) if 33 <= b < 127 and b not in b"=?_" else
                ("_" if b == 32 else "=%02X" % b) for b in raw)
    return "=?utf-8?q?%s?=" % q


def person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    addr = "%s.%s@%s" % (first.encode("ascii", "ignore").decode().lower() or "user",
                         last.encode("ascii", "ignore").decode().lower().replace("'", "") or "x",
                         rng.choice(DOMAINS))
    name = "%s %s" % (first, last)
    r = rng.random()
    if r < 0.1:
        return addr
    if r < 0.2:
        return "<%s>" % addr
    if not name.isascii():
        shown = enc_word(name, rng)
    elif "'" in name:
        shown = '"%s"' % name
    else:
        shown = name
    return "%s <%s>" % (shown, addr)


def subject(rng):
    s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
    s = s[0].upper() + s[1:]
    r = rng.random()
    if r < 0.08:
        s += " — café ünïcödé ✓"
    elif r < 0.12:
        s = "【通知】" + s
    if r >= 0.08 and r < 0.08 + 0.1:
        s = "[%s] %s" % (rng.choice(LISTS), s)
    return enc_word(s, rng)


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
          "Nov", "Dec"]


def date_hdr(t, rng):
    off = rng.choice([0, 420, 420, 480, -300, 60, 330])
    tm = time.gmtime(t + off * 60)
    sign = "+" if off >= 0 else "-"
    z = "%s%02d%02d" % (sign, abs(off) // 60, abs(off) % 60)
    s = "%d %s %d %02d:%02d:%02d %s" % (tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year,
                                        tm.tm_hour, tm.tm_min, tm.tm_sec, z)
    if rng.random() < 0.9:
        s = "%s, %s" % (DAYS[tm.tm_wday], s)
    if rng.random() < 0.05:
        s += " (WIB)"
    return s


def received(t, rng):
    h = "mx%d.%s" % (rng.randint(1, 9), rng.choice(DOMAINS))
    return ("Received: from %s (%s [192.0.2.%d])\n\tby mail.example.co.id (Postfix) "
            "with ESMTPS id %08X\n\tfor <ana@example.co.id>; %s\n"
            % (h, h, rng.randint(1, 254), rng.getrandbits(32), date_hdr(t, rng)))


def dkim(rng):
    b = base64.b64encode(rng.randbytes(256)).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return ("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=sel1;\n"
            "\th=from:to:subject:date:message-id:references:in-reply-to;\n"
            "\tbh=%s;\n\tb=%s\n" % (rng.choice(DOMAINS),
                                    base64.b64encode(rng.randbytes(32)).decode(),
                                    "\n\t ".join(lines)))


def body_text(rng, size):
    out, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12)))
        if rng.random() < 0.2:
            line = "> " + line
        out.append(line)
        n += len(line) + 1
    return "\n".join(out) + "\n"


def message(i, t, rng, ids, chains):
    h = []
    for _ in range(rng.randint(1, 4)):
        h.append(received(t, rng))
    if rng.random() < 0.04:
        # Long header blocks: several signatures, past the first 4 KiB.
        for _ in range(rng.randint(6, 14)):
            h.append(dkim(rng))
    elif rng.random() < 0.4:
        h.append(dkim(rng))
    h.append("From: %s\n" % person(rng))
    h.append("To: %s\n" % ", ".join(person(rng) for _ in range(rng.randint(1, 3))))
    if rng.random() < 0.3:
        h.append("Cc: %s\n" % person(rng))
    h.append("Subject: %s\n" % subject(rng))
    if rng.random() > 0.005:
        h.append("Date: %s\n" % date_hdr(t, rng))
    mid = "%d.%x@%s" % (i, rng.getrandbits(40), rng.choice(DOMAINS))
    h.append("Message-ID: <%s>\n" % mid)
    if ids and rng.random() < 0.35:
        parent = rng.choice(ids[-200:])
        h.append("In-Reply-To: <%s>\n" % parent)
        if chains is None:
            refs = [rng.choice(ids[-500:]) for _ in range(rng.randint(0, 4))] + [parent]
        else:
            # As a mail reader writes them: the parent's References and
            # the parent, so that threads stay apart.
            refs = (chains.get(parent, []) + [parent])[-10:]
            chains[mid] = refs
        h.append("References: %s\n" % "\n ".join("<%s>" % r for r in refs))
    ids.append(mid)
    if rng.random() < 0.2:
        lst = rng.choice(LISTS)
        h.append("List-Id: %s.lists.example.net\nList-Unsubscribe: "
                 "<mailto:%s-leave@lists.example.net>\n" % (lst, lst))
    h.append("MIME-Version: 1.0\n")
    r = rng.random()
    if r < 0.05:
        text = body_text(rng, rng.randint(300, 3000))
        att = base64.b64encode(rng.randbytes(rng.randint(40000, 220000))).decode()
        att = "\n".join(att[j:j + 76] for j in range(0, len(att), 76))
        b = "b%x" % rng.getrandbits(48)
        h.append('Content-Type: multipart/mixed; boundary="%s"\n' % b)
        body = ("--%s\nContent-Type: text/plain; charset=utf-8\n\n%s\n--%s\n"
                "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
                'Content-Disposition: attachment; filename="doc%d.pdf"\n\n%s\n--%s--\n'
                % (b, text, b, i, att, b))
    else:
        size = rng.randint(300, 6000) if r < 0.75 else rng.randint(6000, 40000)
        h.append("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n")
        body = body_text(rng, size)
    return ("".join(h) + "\n" + body).encode("utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", choices=("random", "chain"), default="random",
                    help="References of a reply: random recent messages (the default;"
                    " most replies end up in one huge thread) or the parent's chain")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.dir, sub), exist_ok=True)
    t = 1700000000
    ids = []
    chains = {} if a.threads == "chain" else None
    for i in range(a.n):
        # Mostly increasing dates with bursts (equal seconds test the tie
        # order) and some out-of-order arrivals.
        t += rng.choice([0, 1, 7, 60, 300, 900, 3600])
        dt = t - (rng.randint(0, 86400 * 3) if rng.random() < 0.05 else 0)
        data = message(i, dt, rng, ids, chains)
        name = "%d.M%dP%dQ%d.bench.example" % (t, rng.randint(0, 999999), 1000 + i % 30000, i)
        if rng.random() < 0.8:
            name += ",S=%d" % len(data)
        if rng.random() < 0.05:
            path = os.path.join(a.dir, "new", name)
        else:
            r = rng.random()
            fl = "S" if r < 0.7 else "" if r < 0.9 else "FS" if r < 0.95 else "RS"
            path = os.path.join(a.dir, "cur", name + ":2," + fl)
        with open(path, "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
