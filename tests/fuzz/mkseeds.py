#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/seeds/TARGET/.

fuzz_msg starts from tests/data/corpus instead.  Run from anywhere; the
files are committed, so this only needs running when a format changes.
"""
import os
import struct

top = os.path.dirname(os.path.abspath(__file__))
seeds = os.path.join(top, "seeds")


def put(target, name, data):
    d = os.path.join(seeds, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# codec: byte 0 picks the charset (index into fuzz_codec.c's list), bytes
# 1-2 the split point, then the text.
def codec(name, sel, split, text):
    put("codec", name, bytes([sel, split >> 8, split & 255]) + text)


codec("qp", 2, 3, b"caf=C3=A9 =\nsoft=3D break\r\n==41 =G1 =4")
codec("qp-crlf", 5, 7, b"line one=\r\nline two  \r\n=E9t=E9=\r\n")
codec("b64", 2, 5, b"SGVsbG8sIHdvcmxkIQ==\r\nignored")
codec("b64-odd", 7, 2, b"YWJj\r\nZA")
codec("rfc2047", 2, 9, b"=?UTF-8?Q?caf=C3=A9?= =?utf-8?b?w6k=?= plain =?iso-8859-1*en?q?=E9?=x")
codec("rfc2047-split", 10, 4, b"=?iso-2022-jp?B?GyRCJEgbKEI=?= a=?gb2312?b?xOO6ww==?=b")
codec("rfc2231", 2, 6, b"utf-8'en'%C3%A9t%C3%A9%2Epdf")
codec("rfc2231-bare", 0, 1, b"na%E9ve%zz%4")
codec("escape", 1, 3, b"\x1b[31mred\x1b]0;title\x07 \xc2\x9b2J \xe2\x80\xaeevil\r\n\ttab\x7f")
codec("sjis", 11, 2, b"\x82\xa0\x82\xa2 \x83J\x83^\x83J\x83i")
codec("utf16", 18, 2, b"\xff\xfeh\x00i\x00\x00\xd8")
codec("bad-utf8", 2, 3, b"\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82 ok")

# cfg: INI files as cfg_load() reads them.
put("cfg", "full", """[general]
default_account = work
send_delay = 10
retry_schedule = 1m,5m,15m,1h,4h
expire = 5d

[account work]
name = Ana Putri
address = ana@example.co.id
maildir = ~/Mail/work
smtp = smtp://smtp.example.co.id:587
fetch = imaps://imap.example.co.id
user = ana
password_cmd = pass show mail/work
fetch_folders = INBOX Lists
keep = yes
tls_fingerprint = AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99
auth = plain
local_domains = localhost example.test
rule1 = From ~ @lists\\. -> Lists
rule2 = Subject ~ ^\\[spam\\] -> Junk

[account home]
address = me@example.test
smtp = smtps://mail.example.test
fetch = pop3://pop.example.test
tls = off
password = secret
""")
put("cfg", "minimal", "[account a]\naddress = a@b.test\n")
put("cfg", "bad", "[general]\nsend_delay = soon\n[account]\nfoo\n[account x y]\nkeep = maybe\n")

# queue_env: envelopes as queue_env_format() writes them.
put("queue_env", "full", """version 1
id fuzzid
account work
sender ana@example.co.id
created 1700000000
next_attempt 1700000300
attempts 2
size 1234
error connection refused
rcpt sent a@example.test
rcpt deferred b@example.test
rcpt pending c@example.test
rcpt bounced d@example.test
reply b@example.test 451 4.7.1 try again later
reply d@example.test 550 5.1.1 no such user
""")
put("queue_env", "null-sender", "version 1\nsender <>\nrcpt pending x@y.test\nfuture_key ignored\n")

# smtp_reply: byte 0 = recipients (low 3 bits) | curl ok (bit 3); then a
# trace of client ('>') and server ('<') lines.
def smtp(name, n, ok, lines):
    put("smtp_reply", name, bytes([n | (8 if ok else 0)]) + "".join(l + "\r\n" for l in lines).encode())


smtp("ok", 3, True, [
    "<220 mx.example.test ESMTP", ">EHLO me.example.test", "<250-mx.example.test",
    "<250-8BITMIME", "<250-AUTH PLAIN LOGIN", "<250 SIZE 10240000", ">AUTH PLAIN AGFhAHNlY3JldA==",
    "<235 2.7.0 ok", ">MAIL FROM:<a@b.test>", "<250 2.1.0 ok", ">RCPT TO:<x@y.test>",
    "<250 2.1.5 ok", ">RCPT TO:<nobody@y.test>", "<550 5.1.1 no such user",
    ">RCPT TO:<later@y.test>", "<450 4.2.0 greylisted", ">DATA", "<354 go ahead",
    "<250 2.0.0 queued as 1234"])
# As a session goes now: libcurl takes the greeting, EHLO and AUTH; the
# trace is our own EHLO (its reply gives the extensions) and the pipelined
# transaction.
smtp("own-ehlo", 3, True, [
    ">EHLO me.example.test", "<250-mx.example.test", "<250-PIPELINING", "<250-SMTPUTF8",
    "<250 8BITMIME", ">MAIL FROM:<a@b.test> SMTPUTF8", ">RCPT TO:<x@y.test>",
    ">RCPT TO:<nobody@y.test>", ">RCPT TO:<later@y.test>", ">DATA", "<250 2.1.0 ok",
    "<250 2.1.5 ok", "<550 5.1.1 no such user", "<450 4.2.0 greylisted", "<354 go ahead",
    "<250 2.0.0 queued as 1234"])
smtp("auth-334", 1, False, [
    "<220 hi", ">EHLO x", "<250 ok", ">AUTH LOGIN", "<334 VXNlcm5hbWU6", ">YWxpY2U=",
    "<334 UGFzc3dvcmQ6", ">c2VjcmV0", "<535 5.7.8 bad credentials"])
smtp("mail-refused", 2, True, [
    "<220 hi", ">HELO x", "<250 ok", ">MAIL FROM:<>", "<421-4.3.0 going down", "<421 4.3.0 bye"])
smtp("data-failed", 2, False, [
    "<220 hi", ">EHLO x", "<250 ok", ">MAIL FROM:<a@b>", "<250 ok", ">RCPT TO:<c@d>",
    "<250 ok", ">RCPT TO:<e@f>", "<250 ok", ">DATA", "<554 5.6.0 message rejected"])

# mutf7: mailbox names, as servers list them and as configs name them.
put("mutf7", "rfc3501", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
put("mutf7", "umlaut", "Entw&APw-rfe")
put("mutf7", "amp", "R&-D/&-&-")
put("mutf7", "astral", "&2D3eAA-x&AOk-")
put("mutf7", "utf8", "Entwürfe/日本語 & 😀")
put("mutf7", "bad", "&Jjo&AGE-&2D0-&AOl-")

# mailto: URLs; fuzz_mailto.c adds "mailto:" itself when byte 0 is odd.
put("mailto", "rfc6068", "mailto:chris@example.com?subject=current-issue&body=send%20current-issue%0D%0Aindex")
put("mailto", "utf8", "\x01a@x.example?subject=Gr%C3%BC%C3%9Fe&cc=c@x.example&bcc=b@x.example")
put("mailto", "hfields", "mailto:?to=a@x,b@x&In-Reply-To=%3Cid@x%3E&attach=/etc/passwd&X=1&&=&q")
put("mailto", "bad", "mailto:a%4@x?subject=%C3&body=%zz")

# fetchstate: state files as fetchstate_save() writes them.
put("fetchstate", "imap", "version 1\nuidvalidity 1700000000\nlast_uid 4711\n")
put("fetchstate", "pop3", "version 1\nuidl 000000017a2b3c4d\nuidl abc\nuidl 000000017a2b3c4d\nuidl zz\n")
put("fetchstate", "bad", "version 1\nuidvalidity 4294967296\nlast_uid 1\n")

# index_cache: cache images without the checksum (the target appends it),
# for the folder fuzz_index_cache.c names.
folder = b"/fuzz/Mail/INBOX"


def cache_image(recs):
    out = b"surelidx" + struct.pack("=IIQ", 3, len(folder), len(recs)) + folder + b"\0"
    for date, size, strs in recs:
        out += struct.pack("=qq", date, size)
        for s in strs:
            if s is None:
                out += struct.pack("=I", 0xFFFFFFFF)
            else:
                s = s.encode()
                out += struct.pack("=I", len(s)) + s + b"\0"
    return out


put("index_cache", "two", cache_image([
    (1700000000, 1234, ["1700000000.1_1.host", "Ana Putri", "ana@example.test", "Budi",
                        "Laporan mingguan", "m1@example.test", None, None,
                        "budi@example.test\tBudi", None, "dev@lists.example.test"]),
    (-1, 99, ["1700000001.2_1.host", "", "", "", "", None, "m1@example.test",
              "m0@example.test m1@example.test", None, None, None]),
]))
put("index_cache", "empty", cache_image([]))

# mbox: files as mbox_open() reads them.
put("mbox", "two", """From ana@example.test Mon Nov 23 09:00:00 2026
From: ana@example.test
Subject: one

body
>From the escaped line
>>From twice

From MAILER-DAEMON Tue Nov 24 14:30:00 2026 +0700
Subject: two

From inside a paragraph
stays
""")
put("mbox", "crlf", "From x Thu Jan  1 00:00:00 1970\r\nSubject: crlf\r\n\r\nbody\r\n\r\nFrom \r\n")

# abook: the first byte picks the reader (even: an aliases file, odd: the
# output of an address_cmd).
put("abook", "aliases", "\0# mutt aliases\nalias bob Bob Smith <bob@example.org>  # builder\n"
    "alias -group work jane \"Doe, Jane\" <jane@example.org>\nalias team bob, jane, c@example.org\n"
    "alias long Long \\\n  <long@example.org>\nalias loop loop\n")
put("abook", "query", "\1lbdbq: 2 matches\nana@example.org\tAna Putri\tkhard\nbudi@example.org\tBudi\n")
put("abook", "notmuch", "\1Dewi <dewi@example.org>\n=?UTF-8?B?Q2l0cmEgV8O8?= <citra@example.org>\n")

# flowed: byte 0 picks DelSp (bit 0) and the width (20 + the rest).
put("flowed", "rfc3676", "\x74`Take some more tea,' the March Hare said to Alice, very\r\n"
    "earnestly.\r\n\r\n`I've had nothing yet,' Alice replied in an offended \r\ntone.\r\n")
put("flowed", "delsp", "\x01Hel\u00e4 \nlo  \nworld\n")
put("flowed", "quotes", "\x20>> deep \n>> text\n> shallow \n>>depth change\nplain \n")
put("flowed", "stuffed", "\x30 From me\n >not a quote\n  indented \n-- \n> -- \nsig\n")
