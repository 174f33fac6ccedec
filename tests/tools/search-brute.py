#!/usr/bin/env python3
"""Brute-force check of `spool search`, written apart from the C code.

  search-brute.py gen ROOT CORPUS SEED   a Maildir tree: the test corpus,
        and generated mail in Latin with diacritics, Cyrillic, CJK and
        Indonesian, in several charsets and transfer encodings
  search-brute.py check ROOT SPOOL SEED N   N random queries (words,
        phrases, prefixes, fields, boolean combinations) answered by
        `spool search --json --limit 0` and by a scan over the decoded
        text read here with Python's email package; exit 1 on a difference

What the scan takes a match to be (the index's documented meaning, not its
code): text is cut into words at anything that is not a letter, digit or
private-use character; words compare in lower case with the accents of Latin
letters removed; a CJK query matches where it stands inside a run of CJK
text; a phrase is words in a row; "p*" is any word starting with p.
"""
import email
import email.policy
import email.utils
import html.parser
import json
import os
import random
import re
import subprocess
import sys
import time
import unicodedata

CJK_RANGES = ((0x3040, 0x30ff), (0x31f0, 0x31ff), (0x3400, 0x4dbf), (0x4e00, 0x9fff),
              (0xac00, 0xd7af), (0xf900, 0xfaff), (0x20000, 0x2ffff))


def is_cjk(ch):
    c = ord(ch)
    return any(a <= c <= b for a, b in CJK_RANGES)


def is_word_char(ch):
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def fold(word):
    out = []
    for ch in word.lower():
        d = unicodedata.normalize("NFD", ch)
        if len(d) > 1 and "LATIN" in unicodedata.name(d[0], ""):
            out.append(d[0])
        else:
            out.append(ch)
    return "".join(out)


def analyse(text):
    """(words, cjk runs) of text: words folded, in order."""
    words, runs, cur, run = [], [], [], []
    for ch in text:
        if is_cjk(ch):
            if cur:
                words.append(fold("".join(cur)))
                cur = []
            run.append(ch)
            continue
        if run:
            runs.append("".join(run))
            words.append(None)   # a CJK run stands between words
            run = []
        if is_word_char(ch):
            cur.append(ch)
        elif cur:
            words.append(fold("".join(cur)))
            cur = []
    if cur:
        words.append(fold("".join(cur)))
    if run:
        runs.append("".join(run))
    return words, runs


class Strip(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self.skip:
            self.skip -= 1
        self.out.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(s):
    p = Strip()
    p.feed(s)
    p.close()
    return "".join(p.out)


def part_text(part):
    try:
        t = part.get_content()
    except Exception:
        payload = part.get_payload(decode=True) or b""
        t = payload.decode("utf-8", "replace")
    if isinstance(t, bytes):
        t = t.decode("utf-8", "replace")
    return t


def addresses(vals):
    """getaddresses() as Python's own mail reading had it: the fix for
    CVE-2023-27043, backported by distributions into some 3.11 builds,
    turns an address it finds odd (a domain literal such as x@[192.0.2.1])
    into ('', '') unless strict=False, which older builds do not take."""
    try:
        return email.utils.getaddresses(vals, strict=False)
    except TypeError:
        return email.utils.getaddresses(vals)


ENCODED_WORD = rb"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?="
ENCODED_PAIR = re.compile(rb"(" + ENCODED_WORD + rb")[ \t\r\n]+(?=" + ENCODED_WORD + rb")")


def join_encoded_words(data):
    """The header block with the blanks between adjacent encoded words
    dropped, as RFC 2047 6.2 says a reader does: Python keeps them as a
    space in a display name ("=?utf-8?B?5pel?= =?utf-8?B?5pys?=" reads as
    "日 本"), but not when the words touch."""
    end = data.find(b"\n\n")
    if end < 0:
        end = len(data)
    return ENCODED_PAIR.sub(rb"\1", data[:end]) + data[end:]


def read_doc(data):
    m = email.message_from_bytes(join_encoded_words(data), policy=email.policy.default)
    # A header field is read up to a NUL, and the first of its name only,
    # as the C side (lib/msg) and a reader of the message see it.
    doc = {"subject": str(m.get("subject", "") or "").split("\0")[0], "from": "", "to": "",
           "body": []}
    for field, headers in (("from", ("from",)), ("to", ("to", "cc"))):
        vals = []
        for h in headers:
            vals += [str(v).split("\0")[0] for v in m.get_all(h, [])[:1]]
        doc[field] = " ".join("%s %s" % (n, a) for n, a in addresses(vals))
    for h in ("message-id", "references", "in-reply-to"):
        doc["body"].append(str(m.get(h, "") or ""))
    attach = False
    for part in m.walk():
        # A forwarded message is a part of its own (its contents follow).
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        fn = part.get_filename()
        if fn or part.get_content_disposition() == "attachment":
            attach = True
        if fn:
            doc["body"].append(fn)
        if part.get_content_maintype() != "text" or part.is_multipart():
            continue
        t = part_text(part)
        if "-----BEGIN PGP MESSAGE-----" in t:
            continue
        doc["body"].append(html_text(t) if part.get_content_subtype() == "html" else t)
    doc["body"] = "\n".join(doc["body"])
    d = m.get("date")
    try:
        doc["date"] = email.utils.parsedate_to_datetime(str(d)).timestamp() if d else None
    except Exception:
        doc["date"] = None
    doc["attach"] = attach
    for f in ("subject", "from", "to", "body"):
        words, runs = analyse(doc[f])
        doc[f] = (words, runs, set(words))
    return doc


def load(root, cache_path=None):
    """Every message of the tree; with cache_path, files read by an earlier
    run (same name, size and mtime) are taken from there."""
    import pickle
    cache = {}
    if cache_path and os.path.exists(cache_path):
        with open(cache_path, "rb") as f:
            cache = pickle.load(f)
    seen = {}
    docs = []
    folders = ["INBOX"] + sorted(f for f in os.listdir(root)
                                 if os.path.isdir(os.path.join(root, f, "cur")))
    for folder in folders:
        fdir = root if folder == "INBOX" else os.path.join(root, folder)
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(fdir, sub)):
                path = os.path.join(fdir, sub, name)
                st = os.stat(path)
                ck = (path, st.st_size, st.st_mtime_ns)
                doc = cache.get(ck)
                if doc is None:
                    with open(path, "rb") as f:
                        doc = read_doc(f.read())
                seen[ck] = doc
                doc = dict(doc)
                doc["folder"] = folder
                doc["key"] = name.split(":2,")[0]
                doc["flags"] = name.split(":2,")[1] if ":2," in name else ""
                docs.append(doc)
    if cache_path:
        with open(cache_path, "wb") as f:
            pickle.dump(seen, f)
    return docs


# ---- matching ----

QCACHE = {}


def match_words(field, q, prefix):
    words, runs = field[0], field[1]
    if q not in QCACHE:
        a = analyse(q)
        QCACHE[q] = ([w for w in a[0] if w], a[1])
    qw, qruns = QCACHE[q]
    if qruns:
        return all(any(r in run for run in runs) for r in qruns) and \
            (not qw or match_words(field, " ".join(qw), prefix))
    if not qw:
        return False
    n = len(qw)
    if n == 1 and not prefix:
        return qw[0] in field[2]
    for i in range(len(words) - n + 1):
        ok = True
        for j in range(n):
            w = words[i + j]
            if w is None:
                ok = False
                break
            if j == n - 1 and prefix:
                ok = w.startswith(qw[j])
            else:
                ok = w == qw[j]
            if not ok:
                break
        if ok:
            return True
    return False


def ev(node, doc):
    k = node[0]
    if k == "and":
        return ev(node[1], doc) and ev(node[2], doc)
    if k == "or":
        return ev(node[1], doc) or ev(node[2], doc)
    if k == "not":
        return not ev(node[1], doc)
    if k == "text":
        fields = [node[1]] if node[1] else ["subject", "from", "to", "body"]
        return any(match_words(doc[f], node[2], node[3]) for f in fields)
    if k == "is":
        return {"unread": "S" not in doc["flags"], "flagged": "F" in doc["flags"],
                "replied": "R" in doc["flags"]}[node[1]]
    if k == "attach":
        return doc["attach"]
    if k == "folder":
        return doc["folder"] == node[1]
    if k == "year":
        if doc["date"] is None:
            return False
        return time.gmtime(doc["date"]).tm_year == node[1]
    raise ValueError(k)


def render(node):
    k = node[0]
    if k in ("and", "or"):
        return "(%s %s %s)" % (render(node[1]), k.upper(), render(node[2]))
    if k == "not":
        return "NOT %s" % render(node[1])
    if k == "text":
        field = {"from": "from:", "to": "to:", "subject": "subject:", "body": "body:"}.get(node[1], "")
        t = node[2]
        t = '"%s"' % t if " " in t else t
        return field + t + ("*" if node[3] else "")
    if k == "is":
        return "is:" + node[1]
    if k == "attach":
        return "has:attachment"
    if k == "folder":
        return "folder:" + node[1]
    if k == "year":
        return "date:%d" % node[1]


def random_leaf(rng, docs):
    doc = rng.choice(docs)
    kind = rng.random()
    fields = [f for f in ("subject", "from", "to", "body") if doc[f][0] or doc[f][1]]
    if not fields:
        return ("attach",)
    f = rng.choice(fields)
    words = [w for w in doc[f][0] if w]
    runs = doc[f][1]
    col = f if rng.random() < 0.3 else None
    if kind < 0.12 and runs:
        r = rng.choice(runs)
        i = rng.randrange(len(r))
        return ("text", col, r[i:i + rng.choice((1, 2, 3))], False)
    if not words:
        return ("is", "unread")
    if kind < 0.25:
        i = rng.randrange(len(words))
        seq = doc[f][0][i:i + rng.choice((2, 3))]
        if len(seq) >= 2 and None not in seq:
            return ("text", col, " ".join(seq), False)
    w = rng.choice(words)
    if kind < 0.4 and len(w) >= 4:
        return ("text", col, w[:rng.randint(2, len(w) - 1)], True)
    if kind < 0.45:
        return ("text", col, "zzqx" + w, False)
    return ("text", col, w, False)


def random_query(rng, docs, depth=0):
    r = rng.random()
    if depth >= 2 or r < 0.45:
        r2 = rng.random()
        if r2 < 0.05:
            return ("is", rng.choice(("unread", "flagged", "replied")))
        if r2 < 0.08:
            return ("attach",)
        if r2 < 0.11:
            return ("folder", rng.choice(sorted({d["folder"] for d in docs})))
        if r2 < 0.13:
            return ("year", rng.choice((2023, 2024, 2025, 2026)))
        return random_leaf(rng, docs)
    if r < 0.7:
        return ("and", random_query(rng, docs, depth + 1), random_query(rng, docs, depth + 1))
    if r < 0.9:
        return ("or", random_query(rng, docs, depth + 1), random_query(rng, docs, depth + 1))
    return ("and", random_query(rng, docs, depth + 1), ("not", random_query(rng, docs, depth + 1)))


def check(root, spool, seed, n):
    rng = random.Random(seed)
    docs = load(root, os.environ.get("BRUTE_CACHE"))
    bad = 0
    hits = 0
    for i in range(n):
        q = random_query(rng, docs)
        text = render(q)
        want = {(d["folder"], d["key"]) for d in docs if ev(q, d)}
        out = subprocess.run([spool, "search", "--json", "--limit", "0", text],
                             capture_output=True, check=False)
        if out.returncode != 0:
            print("query %r: exit %d: %s" % (text, out.returncode, out.stderr.decode()))
            bad += 1
            continue
        got = {(h["folder"], h["key"]) for h in json.loads(out.stdout)}
        hits += len(got)
        if got != want:
            bad += 1
            print("query %r: %d only in the index %s, %d only in the scan %s" % (
                text, len(got - want), sorted(got - want)[:3], len(want - got),
                sorted(want - got)[:3]))
    print("%d queries over %d messages, %d results, %d differences" % (n, len(docs), hits, bad))
    return 1 if bad else 0


# ---- generated mail ----

VOCAB = {
    "latin": ("café naïve über Straße señor ação coração Ağaç garçon élève Größe déjà "
              "façade crème brûlée jalapeño Ångström smörgåsbord Peña müde fenêtre").split(),
    "cyrillic": "привет мир почта письмо Москва встреча отчёт бюджет договор неделя".split(),
    "cjk": "东京 北京大学 邮件 会议 东京都 会議室 こんにちは 안녕하세요 회의 報告書".split(),
    "id": "selamat pagi rapat anggaran terima kasih laporan keuangan minggu depan".split(),
}
CHARSETS = {"latin": ("utf-8", "iso-8859-1"), "cyrillic": ("utf-8", "koi8-r"),
            "cjk": ("utf-8",), "id": ("utf-8", "us-ascii")}
PEOPLE = [("Zoë Ångström", "zoe@example.test"), ("Иван Петров", "ivan@example.test"),
          ("山田 太郎", "yamada@example.test"), ("Budi Santoso", "budi@example.test"),
          ("", "bare@example.test")]


def gen_message(rng, i):
    from email.message import EmailMessage
    lang = rng.choice(sorted(VOCAB))
    words = VOCAB[lang] + VOCAB["id"]
    sep = "" if lang == "cjk" and rng.random() < 0.5 else " "
    body = sep.join(rng.choice(VOCAB[lang]) for _ in range(rng.randint(5, 30)))
    body += "\n" + " ".join(rng.choice(words) for _ in range(rng.randint(3, 10))) + "\n"
    m = EmailMessage()
    fn, fa = rng.choice(PEOPLE)
    m["From"] = email.utils.formataddr((fn, fa)) if fn else fa
    tn, ta = rng.choice(PEOPLE)
    m["To"] = email.utils.formataddr((tn, ta)) if tn else ta
    if rng.random() < 0.3:
        m["Cc"] = email.utils.formataddr(rng.choice(PEOPLE[:4]))
    m["Subject"] = " ".join(rng.choice(VOCAB[lang]) for _ in range(3))
    m["Date"] = email.utils.formatdate(1672531200 + rng.randrange(4 * 365 * 86400))
    m["Message-ID"] = "<gen%d.%d@example.test>" % (i, rng.randrange(10 ** 6))
    charset = rng.choice(CHARSETS[lang])
    if charset != "utf-8":
        try:
            body.encode(charset)
        except UnicodeEncodeError:
            charset = "utf-8"
    cte = rng.choice(("base64", "quoted-printable", "8bit")) if charset != "us-ascii" else "7bit"
    if rng.random() < 0.3:
        m.set_content(body, charset=charset, cte=cte)
        m.add_alternative("<html><head><style>p{}</style></head><body><p>%s</p>"
                          "<script>var hidden;</script></body></html>" % body.replace("\n", "<br>"),
                          subtype="html")
    else:
        m.set_content(body, charset=charset, cte=cte)
    if rng.random() < 0.2:
        name = rng.choice(VOCAB[lang]) + ".txt"
        m.add_attachment(rng.choice(VOCAB["id"]).encode(), maintype="application",
                         subtype="octet-stream", filename=name)
    if rng.random() < 0.05:
        m = EmailMessage()
        m["From"] = fa
        m["Subject"] = "secret"
        m.set_content("-----BEGIN PGP MESSAGE-----\n\nhQEMA hiddenword\n-----END PGP MESSAGE-----\n")
    return m.as_bytes(policy=email.policy.SMTP)


def put(root, folder, name, data, flags):
    d = root if folder == "INBOX" else os.path.join(root, folder)
    for s in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(d, s), exist_ok=True)
    sub = "cur" if flags is not None else "new"
    with open(os.path.join(d, sub, name + (":2," + flags if flags is not None else "")), "wb") as f:
        f.write(data)


def gen(root, corpus, seed, count):
    rng = random.Random(seed)
    for i, name in enumerate(sorted(os.listdir(corpus))):
        with open(os.path.join(corpus, name), "rb") as f:
            put(root, "INBOX", "1700000000.C%d.corpus" % i, f.read(), rng.choice(("", "S", None)))
    for i in range(count):
        folder = rng.choice(("INBOX", "Archive", "Проекты"))
        flags = rng.choice(("", "S", "FS", "RS", None))
        put(root, folder, "1700000000.G%d.gen" % i, gen_message(rng, i), flags)


def main():
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 300)
        return 0
    return check(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))


if __name__ == "__main__":
    sys.exit(main())
