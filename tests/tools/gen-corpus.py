#!/usr/bin/env python3
"""Write the message corpus of tests/data/corpus/: small real-world and
adversarial messages for the msg unit suite and compare.py.  Deterministic:
running it again gives the same bytes.

usage: gen-corpus.py [DIR]   (default: tests/data/corpus next to this script)
"""
import base64
import os
import sys

CORPUS = {}


def add(name, data, eol='\n'):
    if isinstance(data, str):
        data = data.encode('utf-8')
    if eol != '\n':
        data = data.replace(b'\n', eol.encode())
    assert name not in CORPUS, name
    CORPUS[name + '.eml'] = data


HDR = ('From: Ana Putri <ana@example.co.id>\nTo: Budi <budi@example.org>\n'
       'Date: Tue, 14 Mar 2023 09:26:53 +0700\nMessage-ID: <m1@example.co.id>\n')


def simple(subject='Hello', body='Hi there.\n', extra=''):
    return HDR + 'Subject: ' + subject + '\n' + extra + '\n' + body


def b64(data, width=76):
    s = base64.b64encode(data).decode()
    return '\n'.join(s[i:i + width] for i in range(0, len(s), width)) + '\n'


def mp(boundary, parts, ctype='multipart/mixed', pre='', epi='', close=True, hdr=HDR, extra=''):
    out = hdr + 'Subject: multipart\nMIME-Version: 1.0\n' + extra
    out += 'Content-Type: %s; boundary="%s"\n\n' % (ctype, boundary)
    out += pre
    for p in parts:
        out += '--%s\n%s\n' % (boundary, p)
    if close:
        out += '--%s--\n' % boundary
    out += epi
    return out


def part(ctype, body, extra=''):
    return 'Content-Type: %s\n%s\n%s' % (ctype, extra, body)


# ---- plain messages, line endings ----
add('plain-lf', simple())
add('plain-crlf', simple(), eol='\r\n')
add('plain-mixed-eol', (HDR + 'Subject: mixed\r\n\nline one\r\nline two\nline three\r\n'))
add('plain-cr-only', HDR.replace('\n', '\r') + 'Subject: cr\r\rbody with CR\rline\r')
add('no-body', HDR + 'Subject: no body\n')
add('no-blank-line', HDR + 'Subject: no separator\nThis line is not a header\nsecond\n')
add('empty-body', HDR + 'Subject: empty\n\n')
add('only-headers-no-eol', HDR + 'Subject: tail')
add('empty-file', b'')
add('body-only', 'just some text\nwithout headers\n')
add('missing-from', 'To: x@y.org\nSubject: no from\nDate: Mon, 2 Jan 2023 10:00:00 +0000\n\nbody\n')
add('missing-date', 'From: a@b.org\nTo: x@y.org\nSubject: no date\n\nbody\n')
add('missing-subject', 'From: a@b.org\nTo: x@y.org\nDate: Mon, 2 Jan 2023 10:00:00 +0000\n\nbody\n')
add('missing-all', '\nonly a body\n')
add('mbox-from-line', 'From ana@example.co.id Tue Mar 14 09:26:53 2023\n' + simple('mbox'))
add('dup-headers', simple('first', extra='Subject: second\nFrom: other@example.net\nMessage-ID: <second@x>\n'))
add('long-header-line', simple('x' * 20000))
add('huge-header-line', HDR + 'X-Junk: ' + 'a' * 1000000 + '\nSubject: after junk\n\nbody\n')
add('folded-subject', HDR + 'Subject: this subject\n  is folded\n\tover three lines\n\nbody\n')
add('folded-empty-first', HDR + 'Subject:\n folded from the start\n\nbody\n')
add('continuation-first', ' leading continuation\n' + simple('cont'))
add('colon-name', HDR + ':bad header\nSubject: after colon\n\nbody\n')
add('header-space-before-colon', HDR + 'Subject : spaced\n\nbody\n')
add('nul-in-body', simple('nul', 'before\x00after\n'))
add('nul-in-header', HDR + 'Subject: nul\x00inside\n\nbody\n')
add('8bit-header-utf8', HDR + 'Subject: caf\u00e9 \u00fcber\n\nbody\n')
add('8bit-header-latin1', (HDR + 'Subject: caf').encode() + b'\xe9 latin\n\nbody\n')
add('8bit-from-name', 'From: J\u00f6rg M\u00fcller <jm@example.de>\nSubject: x\n\nbody\n')

# ---- charsets of text bodies ----
def cs(name, charset, text, cte='8bit'):
    raw = text.encode(charset) if charset not in ('unknown-8bit', 'x-bogus') else text.encode('latin-1')
    if cte == 'base64':
        body = b64(raw).encode()
    else:
        body = raw
    head = (simple('charset ' + charset, '', 'MIME-Version: 1.0\nContent-Type: text/plain; charset="%s"\n'
                   'Content-Transfer-Encoding: %s\n' % (charset, cte))).encode()
    add(name, head + body)


cs('cs-koi8r', 'koi8-r', '\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!\n')
cs('cs-koi8r-b64', 'koi8-r', '\u041f\u0440\u0438\u0432\u0435\u0442\n', 'base64')
cs('cs-iso2022jp', 'iso-2022-jp', '\u3053\u3093\u306b\u3061\u306f\u4e16\u754c\n', '7bit')
cs('cs-shiftjis', 'shift_jis', '\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\n')
cs('cs-big5', 'big5', '\u7e41\u9ad4\u4e2d\u6587\n')
cs('cs-gb2312', 'gb2312', '\u7b80\u4f53\u4e2d\u6587\n')
cs('cs-cp1251', 'windows-1251', '\u0421\u043b\u0430\u0432\u0430\n')
cs('cs-cp1252', 'windows-1252', 'smart \u201cquotes\u201d \u20ac\n')
cs('cs-latin1', 'iso-8859-1', 'na\u00efve caf\u00e9\n')
cs('cs-latin2', 'iso-8859-2', '\u017b\u00f3\u0142w\n')
cs('cs-utf8', 'utf-8', '\u00e9\u00e8 \u2603 \U0001f600\n')
cs('cs-unknown', 'x-bogus', 'caf\u00e9\n')
add('cs-utf8-bom', simple('bom', '\ufeffwith BOM\n', 'Content-Type: text/plain; charset=utf-8\n'))
add('cs-lying-ascii', simple('lying', 'caf\u00e9 au lait\n', 'Content-Type: text/plain; charset=us-ascii\n'))
add('cs-no-charset-8bit', simple('nocs', 'caf\u00e9\n', 'Content-Type: text/plain\n'))
add('cs-invalid-utf8', (simple('bad utf8', '', 'Content-Type: text/plain; charset=utf-8\n')).encode()
    + b'ok \xff\xfe bad \xe2\x82 trunc \xed\xa0\x80 surrogate\n')
add('cs-uppercase', simple('upper', 'caf\u00e9\n', 'Content-Type: TEXT/PLAIN; CHARSET=UTF-8\n'))
add('cs-utf8-qp', simple('qp', 'caf=C3=A9 =E2=82=AC\n', 'Content-Type: text/plain; charset=utf-8\n'
                         'Content-Transfer-Encoding: quoted-printable\n'))
add('cs-rfc2231-charset', simple('cs2231', 'x\n', "Content-Type: text/plain; charset*=us-ascii''utf-8\n"))

# ---- RFC 2047 ----
add('rfc2047-b', simple('=?utf-8?B?w6lsw6h2ZSDinIU=?='))
add('rfc2047-q', simple('=?iso-8859-1?Q?caf=E9_cr=E8me?='))
add('rfc2047-adjacent', simple('=?utf-8?q?one?= =?utf-8?q?_two?=  =?utf-8?q?_three?='))
add('rfc2047-mixed-text', simple('Re: =?utf-8?q?caf=C3=A9?= and more'))
add('rfc2047-split-utf8', simple('=?utf-8?B?5pel?= =?utf-8?B?5pys6Kqe?='))
add('rfc2047-split-char', simple('=?utf-8?B?5p' + '?= =?utf-8?B?el?='))
add('rfc2047-koi8', simple('=?koi8-r?B?8NLJ18XU?='))
add('rfc2047-iso2022jp', simple('=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?='))
add('rfc2047-malformed', simple('=?utf-8?q?unterminated and =?bogus?x?y?= =?utf-8?b?!!!?='))
add('rfc2047-unknown-cs', simple('=?x-unknown?q?abc?='))
add('rfc2047-lowercase', simple('=?UTF-8?b?w6k=?= =?utf-8?Q?=c3=a9?='))
add('rfc2047-in-word', simple('pre=?utf-8?q?mid?=post'))
add('rfc2047-folded', HDR + 'Subject: =?utf-8?q?first_part?=\n =?utf-8?q?_second_part?=\n\nbody\n')
add('rfc2047-name', 'From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <jm@example.de>\nSubject: n\n\nb\n')
add('rfc2047-name-multi', 'From: =?utf-8?q?J=C3=B6rg?= =?utf-8?q?_M=C3=BCller?= <jm@example.de>\nSubject: n\n\nb\n')
add('rfc2047-name-split-utf8', 'From: =?utf-8?B?5pel?= =?utf-8?B?5pys?= <jp@example.jp>\nSubject: n\n\nb\n')
add('rfc2047-name-quoted', 'From: "=?utf-8?q?Ren=C3=A9e?=" <r@example.fr>\nSubject: n\n\nb\n')
add('rfc2047-name-specials', 'From: =?utf-8?q?Doe=2C_John?= <jd@example.com>\nSubject: n\n\nb\n')
add('rfc2047-name-b', 'From: =?iso-8859-1?B?Suly9G1l?= <j@example.fr>\nSubject: n\n\nb\n')

# ---- addresses ----
def addr(name, value, hdr='To'):
    add(name, 'From: sender@example.org\n%s: %s\nSubject: addr\n\nbody\n' % (hdr, value))


addr('addr-simple', 'Budi <budi@example.org>')
addr('addr-bare', 'budi@example.org')
addr('addr-angle-only', '<budi@example.org>')
addr('addr-quoted-comma', '"Doe, John" <jd@example.com>')
addr('addr-unquoted-comma', 'Doe, John <jd@example.com>')
addr('addr-unquoted-dots', 'John Q. Public <jqp@example.com>')
addr('addr-comment-name', 'jd@example.com (John Doe)')
addr('addr-comment-inside', 'Mr (the) X <x@example.com>')
addr('addr-list', 'a@example.com, B <b@example.com>, "C c" <c@example.com>')
addr('addr-group-empty', 'undisclosed-recipients:;')
addr('addr-group', 'Team: a@example.com, "B b" <b@example.com>;, c@example.com')
addr('addr-group-noend', 'Team: a@example.com, b@example.com')
addr('addr-missing-brackets', 'John jd@example.com')
addr('addr-trailing-junk', 'jd@example.com junk here')
addr('addr-after-angle-junk', 'Foo <foo@example.com> Bar, baz@example.com')
addr('addr-no-at', 'mailer-daemon')
addr('addr-unterminated-angle', 'Foo <foo@example.com')
addr('addr-unterminated-quote', '"Foo <foo@example.com>')
addr('addr-empty-angle', 'Foo <>')
addr('addr-literal', 'x@[192.0.2.1]')
addr('addr-spaces-dots', 'a . b @ example . com')
addr('addr-quoted-local', '"a b"@example.com')
addr('addr-escaped-quote', '"Ann \\"Boss\\" Lee" <ann@example.com>')
addr('addr-semicolons', 'a@example.com; b@example.com')
addr('addr-empty-elements', 'a@example.com, , ,b@example.com')
addr('addr-route', 'Foo <@relay.example:foo@example.com>')
addr('addr-multiline', 'a@example.com,\n b@example.com,\n\t"C" <c@example.com>')
addr('addr-cc', 'Cc Person <cc@example.com>, other@example.com', hdr='Cc')
addr('addr-only-at', '@')
addr('addr-encoded-local', '=?utf-8?b?w6k=?=@example.com')
addr('addr-two-angles', 'a@example.com <b@example.com>')
addr('addr-empty', '')
add('addr-8bit-name', ('From: s@example.org\nTo: ').encode() + b'J\xf6rg <j@example.de>\nSubject: a\n\nb\n')

# ---- dates ----
def date(name, value):
    add(name, 'From: a@example.org\nDate: %s\nSubject: date\n\nbody\n' % value)


date('date-rfc5322', 'Tue, 14 Mar 2023 09:26:53 +0700')
date('date-no-weekday', '14 Mar 2023 09:26:53 -0500')
date('date-2digit-year', 'Tue, 14 Mar 23 09:26:53 +0000')
date('date-2digit-old', '1 Jan 99 00:00:00 GMT')
date('date-named-est', 'Tue, 14 Mar 2023 09:26:53 EST')
date('date-named-pdt', 'Tue, 14 Mar 2023 09:26:53 PDT')
date('date-ut', 'Tue, 14 Mar 2023 09:26:53 UT')
date('date-z', 'Tue, 14 Mar 2023 09:26:53 Z')
date('date-no-seconds', 'Tue, 14 Mar 2023 09:26 +0100')
date('date-extra-spaces', '  Tue,   14   Mar   2023   09:26:53    +0100  ')
date('date-comment', 'Tue, 14 Mar 2023 09:26:53 +0000 (UTC)')
date('date-minus-zero', 'Tue, 14 Mar 2023 09:26:53 -0000')
date('date-no-zone', 'Tue, 14 Mar 2023 09:26:53')
date('date-glued-zone', 'Tue, 14 Mar 2023 09:26:53+0200')
date('date-month-first', 'Tue, Mar 14 2023 09:26:53 +0000')
date('date-rfc850', 'Tuesday, 14-Mar-23 09:26:53 GMT')
date('date-asctime', 'Tue Mar 14 09:26:53 2023')
date('date-dots', 'Tue, 14 Mar 2023 09.26.53 +0000')
date('date-bogus', 'yesterday at noon')
date('date-empty', '')
date('date-bad-day', 'Tue, 32 Mar 2023 09:26:53 +0000')
date('date-leap-second', 'Sat, 31 Dec 2016 23:59:60 +0000')
date('date-big-zone', 'Tue, 14 Mar 2023 09:26:53 +9999')
date('date-half-hour', 'Tue, 14 Mar 2023 09:26:53 +0530')
date('date-full-month', 'Tue, 14 March 2023 09:26:53 +0000')
date('date-comma-no-space', 'Tue,14 Mar 2023 09:26:53 +0000')
date('date-old-year', 'Mon, 1 Jan 1900 00:00:00 +0000')
date('date-folded', 'Tue, 14 Mar 2023\n 09:26:53 +0000')
date('date-lowercase', 'tue, 14 mar 2023 09:26:53 gmt')

# ---- multiparts ----
T = part('text/plain; charset=utf-8', 'Plain text body.\n')
H = part('text/html; charset=utf-8', '<p>HTML body.</p>\n')
PDF = part('application/pdf; name="report.pdf"', b64(b'%PDF-1.4 fake pdf\n' * 5),
           'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="report.pdf"\n')

add('mp-alternative', mp('alt1', [T, H], 'multipart/alternative'))
add('mp-alternative-html-first', mp('alt2', [H, T], 'multipart/alternative'))
add('mp-alternative-crlf', mp('alt3', [T, H], 'multipart/alternative'), eol='\r\n')
add('mp-mixed-attach', mp('mix1', [T, PDF]))
add('mp-mixed-attach-crlf', mp('mix2', [T, PDF]), eol='\r\n')
add('mp-mixed-alt', mp('outer', [mp('inner', [T, H], 'multipart/alternative', hdr='').split('\n', 1)[1], PDF]))
add('mp-preamble-epilogue', mp('pe', [T], pre='This is a preamble.\n', epi='This is the epilogue.\n'))
add('mp-missing-close', mp('mc', [T, H], close=False))
add('mp-missing-close-nested', mp('o', [mp('i', [T, H], 'multipart/alternative', close=False, hdr='').split('\n', 1)[1], PDF]))
add('mp-wrong-boundary', mp('right', [T]).replace('--right\n', '--wrong\n', 1))
add('mp-no-boundary-param', HDR + 'Subject: nb\nContent-Type: multipart/mixed\n\n--x\n\nhello\n--x--\n')
add('mp-no-start', mp('ns', []).replace('--ns--\n', '') + 'no delimiters at all\n')
add('mp-close-first', HDR + 'Subject: cf\nContent-Type: multipart/mixed; boundary=cf\n\n--cf--\nafter\n')
add('mp-boundary-in-body', mp('bb', [part('text/plain', 'text mentions --bb-not really\n and --bbx\n'), H]))
add('mp-boundary-trailing-ws', mp('tw', [T, H]).replace('--tw\n', '--tw  \t\n'))
add('mp-boundary-prefix', mp('abc', [mp('abc-inner', [T, H], 'multipart/alternative', hdr='').split('\n', 1)[1]]))
add('mp-boundary-prefix2', mp('ab', [mp('a', [T, H], 'multipart/alternative', hdr='').split('\n', 1)[1], PDF]))
add('mp-same-boundary', mp('same', [mp('same', [T], hdr='').split('\n', 1)[1], H]))
add('mp-unquoted-boundary', HDR + 'Subject: u\nContent-Type: multipart/mixed; boundary=simple-b\n\n--simple-b\n\nhi\n--simple-b--\n')
add('mp-unquoted-boundary-eq', HDR + 'Subject: u\nContent-Type: multipart/mixed; boundary=----=_Part_1.2\n\n------=_Part_1.2\n\nhi\n------=_Part_1.2--\n')
add('mp-empty-parts', mp('ep', ['', '\n', T]))
add('mp-double-delim', HDR + 'Subject: dd\nContent-Type: multipart/mixed; boundary=d\n\n--d\n--d\n\nfirst\n--d\n\nsecond\n--d--\n')
add('mp-part-no-headers', HDR + 'Subject: nh\nContent-Type: multipart/mixed; boundary=nh\n\n--nh\nNo headers here\n--nh--\n')
add('mp-related', mp('rel', [H, part('image/png', b64(b'\x89PNG fake'), 'Content-ID: <img1>\nContent-Transfer-Encoding: base64\n')],
                     'multipart/related'))
add('mp-related-alt', mp('r', [mp('a', [T, H], 'multipart/alternative', hdr='').split('\n', 1)[1],
                               part('image/gif', b64(b'GIF89a'), 'Content-Transfer-Encoding: base64\n')], 'multipart/related'))
add('mp-related-start', HDR + 'Subject: rs\nContent-Type: multipart/related; boundary=rs; start="<p2>"\n\n'
    '--rs\nContent-Type: text/html\nContent-ID: <p1>\n\n<p>x</p>\n--rs\nContent-Type: text/plain\nContent-ID: <p2>\n\nthe start\n--rs--\n')
add('mp-attachment-only-text', mp('ao', [part('text/plain', 'attached text\n', 'Content-Disposition: attachment; filename=a.txt\n'), T]))
add('mp-inline-text-first', mp('it', [part('text/plain', 'inline one\n', 'Content-Disposition: inline\n'), T]))
add('mp-digest', HDR + 'Subject: digest\nContent-Type: multipart/digest; boundary=dg\n\n--dg\n\n'
    'From: a@x\nSubject: one\n\nfirst message\n--dg\n\nFrom: b@x\nSubject: two\n\nsecond message\n--dg--\n')
add('mp-digest-explicit', HDR + 'Subject: digest\nContent-Type: multipart/digest; boundary=dg\n\n--dg\nContent-Type: text/plain\n\nnot a message\n--dg--\n')
add('mp-rfc822', mp('fw', [T, part('message/rfc822', 'From: inner@x\nSubject: inner\nContent-Type: text/plain\n\ninner body\n',
                                   'Content-Disposition: attachment\n')]))
add('mp-rfc822-multipart', mp('fw2', [T, part('message/rfc822', mp('in', [T, H], 'multipart/alternative',
                                                                    hdr='From: i@x\n'))]))
add('mp-rfc822-crlf', mp('fw3', [T, part('message/rfc822', 'From: inner@x\nSubject: inner\n\ninner body\n')]), eol='\r\n')
add('rfc822-toplevel', HDR + 'Subject: top\nContent-Type: message/rfc822\n\nFrom: x@y\nSubject: in\n\nbody\n')
add('mp-report', HDR + 'Subject: dsn\nContent-Type: multipart/report; report-type=delivery-status; boundary=rep\n\n'
    '--rep\nContent-Type: text/plain\n\nDelivery failed.\n--rep\nContent-Type: message/delivery-status\n\n'
    'Reporting-MTA: dns; mx.example\n\nFinal-Recipient: rfc822; x@example\nAction: failed\n\n'
    '--rep\nContent-Type: text/rfc822-headers\n\nFrom: a@b\nSubject: orig\n\n--rep--\n')
for depth in (3, 4, 5):
    s = T
    for d in range(depth):
        s = 'Content-Type: multipart/mixed; boundary="lvl%d"\n\n--lvl%d\n%s\n--lvl%d\n%s\n--lvl%d--\n' % (d, d, s, d, H, d)
    add('mp-nested-%d' % depth, HDR + 'Subject: nested\n' + s)


def deep(n, close=True):
    s = HDR + 'Subject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n'
    for i in range(n):
        s += '--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n' % (i, i + 1)
    s += '--b%d\n\nleaf\n' % n
    if close:
        for i in range(n, -1, -1):
            s += '--b%d--\n' % i
    return s


add('mp-deep-100', deep(100))
add('mp-deep-100-noclose', deep(100, close=False))
add('mp-many-parts', mp('many', [part('text/plain', 'p%d\n' % i) for i in range(300)]))
add('mp-many-delims', HDR + 'Subject: md\nContent-Type: multipart/mixed; boundary=m\n\n' + '--m\n' * 2000 + '\nend\n--m--\n')
add('mp-type-spaces', HDR + 'Subject: ts\nContent-Type: multipart / mixed; boundary=x\n\n--x\n\nhi\n--x--\n')
add('mp-bad-type', HDR + 'Subject: bt\nContent-Type: multipart; boundary=x\n\n--x\n\nhi\n--x--\n')
add('mp-empty-boundary', HDR + 'Subject: eb\nContent-Type: multipart/mixed; boundary=""\n\n--\n\nhi\n----\n')
add('mp-html-only', mp('ho', [H]))
add('mp-cte-base64-multipart', HDR + 'Subject: x\nContent-Type: multipart/mixed; boundary=q\nContent-Transfer-Encoding: base64\n\n--q\n\nhi\n--q--\n')

# ---- content types, filenames ----
def att(name, ct, cd='', body='data\n', cte=''):
    extra = ''
    if cd:
        extra += 'Content-Disposition: %s\n' % cd
    if cte:
        extra += 'Content-Transfer-Encoding: %s\n' % cte
    add(name, mp('f', [T, 'Content-Type: %s\n%s\n%s' % (ct, extra, body)]))


att('fn-simple', 'application/octet-stream', 'attachment; filename="data.bin"')
att('fn-name-only', 'application/octet-stream; name="from-name.bin"')
att('fn-both', 'application/octet-stream; name="ct.bin"', 'attachment; filename="cd.bin"')
att('fn-unquoted', 'application/octet-stream', 'attachment; filename=plain.txt')
att('fn-unquoted-space', 'application/octet-stream', 'attachment; filename=two words.txt')
att('fn-rfc2231', 'application/octet-stream', "attachment; filename*=utf-8''%E2%82%AC%20rates.pdf")
att('fn-rfc2231-lang', 'application/octet-stream', "attachment; filename*=iso-8859-1'en'caf%E9.txt")
att('fn-rfc2231-cont', 'application/octet-stream', 'attachment; filename*0="long"; filename*1="-name"; filename*2=".txt"')
att('fn-rfc2231-cont-enc', 'application/octet-stream',
    "attachment;\n filename*0*=utf-8''%E6%97%A5%E6%9C;\n filename*1*=%AC.txt")
att('fn-rfc2231-unordered', 'application/octet-stream', 'attachment; filename*1="b.txt"; filename*0="a"')
att('fn-rfc2231-nocharset', 'application/octet-stream', "attachment; filename*=''%C3%A9.txt")
att('fn-rfc2231-badcharset', 'application/octet-stream', "attachment; filename*=x-bogus''%C3%A9.txt")
att('fn-rfc2231-quoted', 'application/octet-stream', "attachment; filename*=\"utf-8''%C3%A9.txt\"")
att('fn-rfc2231-and-plain', 'application/octet-stream', "attachment; filename=\"plain.txt\"; filename*=utf-8''enc.txt")
att('fn-outlook-2047', 'application/octet-stream', 'attachment; filename="=?utf-8?B?w6l0w6kgcmVwb3J0LnBkZg==?="')
att('fn-outlook-2047-name', 'application/pdf; name="=?iso-8859-1?Q?r=E9sum=E9=2Epdf?="', 'attachment')
att('fn-escaped', 'application/octet-stream', 'attachment; filename="a\\"b\\\\c.txt"')
att('fn-semicolon', 'application/octet-stream', 'attachment; filename="a;b.txt"; size=3')
att('fn-empty', 'application/octet-stream', 'attachment; filename=""')
att('fn-spaces', 'application/octet-stream', 'attachment; filename="  padded.txt  "')
att('fn-8bit', 'application/octet-stream', 'attachment; filename="caf\u00e9.txt"')
att('fn-uppercase-param', 'application/octet-stream', 'ATTACHMENT; FILENAME="UP.TXT"')
att('fn-comment', 'application/octet-stream', 'attachment (comment); filename="c.txt"')
att('ct-uppercase', 'Application/PDF; Name="x.pdf"')
att('ct-no-slash', 'garbage')
att('ct-empty', '')
att('ct-two-slashes', 'text/plain/extra')
att('ct-comment', 'text/plain (comment); charset=us-ascii')
att('ct-no-semicolon', 'text/plain charset=utf-8')
att('ct-params-spaces', 'text/plain ;  charset = "utf-8" ; format=flowed')
att('disp-inline-fn', 'image/png', 'inline; filename="pic.png"', b64(b'\x89PNG'), 'base64')

# ---- transfer encodings ----
def cte(name, enc, body, ct='application/octet-stream'):
    add(name, mp('c', [T, 'Content-Type: %s\nContent-Transfer-Encoding: %s\n\n%s' % (ct, enc, body)]))


cte('b64-clean', 'base64', b64(bytes(range(256))))
cte('b64-no-padding', 'base64', 'YWJjZA\n')
cte('b64-junk', 'base64', 'YWJj!!\nZG*Vm\n')
cte('b64-spaces', 'base64', 'YW Jj ZGVm\n')
cte('b64-extra-after-pad', 'base64', 'YQ==YWJj\n')
cte('b64-one-left-over', 'base64', 'YWJjZ\n')
cte('b64-uppercase-cte', 'BASE64', 'YWJj\n')
cte('b64-trailing-space-cte', 'base64 ', 'YWJj\n')
cte('b64-empty', 'base64', '')
cte('qp-soft-breaks', 'quoted-printable', 'long line =\nwrapped=\nhere\n', 'text/plain')
cte('qp-hex', 'quoted-printable', '=48=65=6c=6C=6F =3D\n', 'text/plain')
cte('qp-bad-escape', 'quoted-printable', 'bad =ZZ and =4 end=\n', 'text/plain')
cte('qp-trailing-ws', 'quoted-printable', 'trailing   \nspaces\t\n', 'text/plain')
cte('qp-crlf', 'quoted-printable', 'soft=\r\nbreak\r\n', 'text/plain')
cte('cte-7bit', '7bit', 'seven bit\n', 'text/plain')
cte('cte-binary', 'binary', 'bin\x00ary\n')
cte('cte-unknown', 'x-weird', 'weird\n')
cte('cte-uuencode', 'x-uuencode', 'begin 644 f\n#86)C\n`\nend\n')
add('text-base64', simple('tb', b64('Base64 text body caf\u00e9\n'.encode()),
                          'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n'))
add('text-qp-toplevel', simple('tq', 'caf=E9\n', 'Content-Type: text/plain; charset=iso-8859-1\n'
                               'Content-Transfer-Encoding: quoted-printable\n'))
add('text-html-only', simple('html', '<p>only html</p>\n', 'Content-Type: text/html\n'))
add('text-attachment-toplevel', simple('ta', 'attached\n', 'Content-Disposition: attachment; filename=t.txt\n'))
add('text-crlf-body', simple('crlf', 'a\r\nb\r\n'))

# ---- a bigger, realistic message ----
add('real-newsletter', mp('==NL==', [
    mp('==ALT==', [part('text/plain; charset="utf-8"', 'Weekly news =E2=80=94 read on.=\n\nSecond line.\n',
                        'Content-Transfer-Encoding: quoted-printable\n'),
                   part('text/html; charset="utf-8"', b64('<html><body>Weekly news \u2014</body></html>'.encode()),
                        'Content-Transfer-Encoding: base64\n')],
       'multipart/alternative', hdr='').split('\n', 1)[1],
    part('image/jpeg; name="logo.jpg"', b64(bytes(range(200))), 'Content-Transfer-Encoding: base64\n'
         'Content-Disposition: inline; filename="logo.jpg"\nContent-ID: <logo>\n')],
    'multipart/related', hdr='From: "News, Weekly" <news@example.com>\nTo: undisclosed-recipients:;\n'
    'Date: Fri, 3 Nov 2023 18:00:00 +0100 (CET)\nMessage-ID: <nl.123@example.com>\n'), eol='\r\n')


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                     '..', 'data', 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(CORPUS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('%d files' % len(CORPUS))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
