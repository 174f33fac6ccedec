/*
 * msg suite: the expectations for corpus files were produced by
 * tests/tools/refjson.py (Python's email package) and checked by hand;
 * synthetic tests cover the API and hostile input (size, nesting, NULs).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "msg.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"
#include "xalloc.h"

#define NODATE ((long long)-1)

struct exp_part {
	const char *type;
	const char *filename;
	size_t size;
};

struct exp {
	const char *file;
	const char *subject;
	const char *message_id;
	long long date;
	const char *from_name;
	const char *from_addr;
	const char *text;
	size_t nparts;
	struct exp_part parts[3];
};

static const struct exp corpus[] = {
	{ "plain-crlf", "Hello", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "Hi there.\n", 1, { { "text/plain", NULL, 11 } } },
	{ "plain-cr-only", "cr", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "body with CR\rline\r", 1, { { "text/plain", NULL, 18 } } },
	{ "no-blank-line", "no separator", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "This line is not a header\nsecond\n", 1, { { "text/plain", NULL, 33 } } },
	{ "mbox-from-line", "mbox", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "Hi there.\n", 1, { { "text/plain", NULL, 10 } } },
	{ "dup-headers", "first", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "Hi there.\n", 1, { { "text/plain", NULL, 10 } } },
	{ "folded-subject", "this subject  is folded\tover three lines", "m1@example.co.id", 1678760813,
	  "Ana Putri", "ana@example.co.id", "body\n", 1, { { "text/plain", NULL, 5 } } },
	{ "cs-koi8r", "charset koi8-r", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80!\n", 1,
	  { { "text/plain", NULL, 13 } } },
	{ "cs-iso2022jp", "charset iso-2022-jp", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id",
	  "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\xe4\xb8\x96\xe7\x95\x8c\n", 1,
	  { { "text/plain", NULL, 21 } } },
	{ "cs-lying-ascii", "lying", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "caf\xef\xbf\xbd\xef\xbf\xbd au lait\n", 1, { { "text/plain", NULL, 14 } } },
	{ "cs-invalid-utf8", "bad utf8", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "ok \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd trunc \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd surrogate\n",
	  1, { { "text/plain", NULL, 33 } } },
	{ "rfc2047-adjacent", "one two three", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Hi there.\n", 1, { { "text/plain", NULL, 10 } } },
	{ "rfc2047-split-utf8", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "m1@example.co.id", 1678760813,
	  "Ana Putri", "ana@example.co.id", "Hi there.\n", 1, { { "text/plain", NULL, 10 } } },
	{ "rfc2047-name-quoted", "n", NULL, NODATE, "Ren\xc3\xa9" "e", "r@example.fr", "b\n", 1,
	  { { "text/plain", NULL, 2 } } },
	{ "date-2digit-old", "date", NULL, 915148800, NULL, "a@example.org", "body\n", 1,
	  { { "text/plain", NULL, 5 } } },
	{ "date-named-pdt", "date", NULL, 1678811213, NULL, "a@example.org", "body\n", 1,
	  { { "text/plain", NULL, 5 } } },
	{ "date-rfc850", "date", NULL, 1678786013, NULL, "a@example.org", "body\n", 1,
	  { { "text/plain", NULL, 5 } } },
	{ "date-glued-zone", "date", NULL, 1678778813, NULL, "a@example.org", "body\n", 1,
	  { { "text/plain", NULL, 5 } } },
	{ "date-leap-second", "date", NULL, NODATE, NULL, "a@example.org", "body\n", 1,
	  { { "text/plain", NULL, 5 } } },
	{ "mp-alternative-html-first", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/html", NULL, 18 }, { "text/plain", NULL, 17 } } },
	{ "mp-mixed-attach-crlf", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/plain", NULL, 18 }, { "application/pdf", "report.pdf", 90 } } },
	{ "mp-missing-close-nested", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 3,
	  { { "text/plain", NULL, 17 }, { "text/html", NULL, 19 }, { "application/pdf", "report.pdf", 90 } } },
	{ "mp-boundary-prefix2", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 3,
	  { { "text/plain", NULL, 17 }, { "text/html", NULL, 18 }, { "application/pdf", "report.pdf", 90 } } },
	{ "mp-same-boundary", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "multipart/mixed", NULL, 0 }, { "text/plain", NULL, 17 } } },
	{ "mp-double-delim", "dd", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "first", 2, { { "text/plain", NULL, 5 }, { "text/plain", NULL, 6 } } },
	{ "mp-related-start", "rs", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "the start", 2, { { "text/html", NULL, 8 }, { "text/plain", NULL, 9 } } },
	{ "mp-digest", "digest", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  NULL, 2, { { "message/rfc822", NULL, 37 }, { "message/rfc822", NULL, 38 } } },
	{ "mp-rfc822", "multipart", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "Plain text body.\n", 2, { { "text/plain", NULL, 17 }, { "message/rfc822", NULL, 66 } } },
	{ "mp-deep-100", "deep", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "leaf", 1, { { "text/plain", NULL, 4 } } },
	{ "fn-rfc2231-cont-enc", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/plain", NULL, 17 }, { "application/octet-stream", "\xe6\x97\xa5\xe6\x9c\xac.txt", 5 } } },
	{ "fn-outlook-2047", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/plain", NULL, 17 }, { "application/octet-stream", "\xc3\xa9t\xc3\xa9 report.pdf", 5 } } },
	{ "fn-escaped", "multipart", "m1@example.co.id", 1678760813, "Ana Putri", "ana@example.co.id",
	  "Plain text body.\n", 2,
	  { { "text/plain", NULL, 17 }, { "application/octet-stream", "a\"b\\c.txt", 5 } } },
	{ "b64-one-left-over", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/plain", NULL, 17 }, { "application/octet-stream", NULL, 5 } } },
	{ "b64-extra-after-pad", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/plain", NULL, 17 }, { "application/octet-stream", NULL, 1 } } },
	{ "qp-bad-escape", "multipart", "m1@example.co.id", 1678760813, "Ana Putri",
	  "ana@example.co.id", "Plain text body.\n", 2,
	  { { "text/plain", NULL, 17 }, { "text/plain", NULL, 18 } } },
	{ "real-newsletter", "multipart", "nl.123@example.com", 1699030800, "News, Weekly",
	  "news@example.com", "Weekly news \xe2\x80\x94 read on.\nSecond line.\n", 3,
	  { { "text/plain", NULL, 40 }, { "text/html", NULL, 41 }, { "image/jpeg", "logo.jpg", 200 } } },
};

static void check_str(const char *what, const char *file, const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want && got && strcmp(want, got) == 0)
		return;
	fprintf(stderr, "\n%s: %s: got '%s', want '%s'\n", file, what, got ? got : "(null)",
		want ? want : "(null)");
	CU_FAIL("string mismatch");
}

static struct msg *load(const char *name, char **data_out)
{
	char rel[256];
	size_t len;
	char *data;

	snprintf(rel, sizeof(rel), "corpus/%s.eml", name);
	data = tutil_read_data(rel, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(data);
	*data_out = data;
	return msg_parse(data, len, 0);
}

static void test_corpus(void)
{
	size_t i, j;

	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct exp *e = &corpus[i];
		char *data;
		struct msg *m = load(e->file, &data);
		struct addr_mbox *a;
		size_t n;
		time_t t;
		char *text;

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		check_str("subject", e->file, msg_subject(m), e->subject);
		check_str("message-id", e->file, msg_message_id(m), e->message_id);
		if (e->date == NODATE) {
			CU_ASSERT_EQUAL(msg_date(m, &t), -1);
		} else {
			CU_ASSERT_EQUAL(msg_date(m, &t), 0);
			CU_ASSERT_EQUAL((long long)t, e->date);
		}
		n = msg_addrs(m, "From", &a);
		CU_ASSERT_EQUAL(n, 1);
		if (n >= 1) {
			check_str("from name", e->file, a[0].name, e->from_name);
			check_str("from addr", e->file, a[0].addr, e->from_addr);
		}
		addr_list_free(a, n);
		text = msg_text(m);
		check_str("text", e->file, text, e->text);
		free(text);
		CU_ASSERT_EQUAL(msg_part_count(m), e->nparts);
		for (j = 0; j < e->nparts && j < msg_part_count(m); j++) {
			const struct msg_part *p = msg_part_at(m, j);

			check_str("type", e->file, msg_part_type(p), e->parts[j].type);
			check_str("filename", e->file, msg_part_filename(p), e->parts[j].filename);
			if (msg_part_size(p) != e->parts[j].size)
				fprintf(stderr, "\n%s: part %zu size %zu, want %zu\n", e->file, j,
					msg_part_size(p), e->parts[j].size);
			CU_ASSERT_EQUAL(msg_part_size(p), e->parts[j].size);
		}
		msg_free(m);
		free(data);
	}
}

/* The "To" header of corpus files: every mailbox as name|addr. */
static const struct {
	const char *file;
	const char *want;
} addr_cases[] = {
	{ "addr-unquoted-comma", "|Doe;John|jd@example.com;" },
	{ "addr-group", "|a@example.com;B b|b@example.com;|c@example.com;" },
	{ "addr-group-empty", "" },
	{ "addr-missing-brackets", "|\"John jd\"@example.com;" },
	{ "addr-route", "Foo|foo@example.com;" },
	{ "addr-unquoted-dots", "John Q. Public|jqp@example.com;" },
	{ "addr-comment-name", "|jd@example.com;" },
	{ "addr-comment-inside", "Mr X|x@example.com;" },
	{ "addr-trailing-junk", "|jd@example.com;" },
	{ "addr-after-angle-junk", "Foo|foo@example.com;|baz@example.com;" },
	{ "addr-spaces-dots", "|a.b@example.com;" },
	{ "addr-escaped-quote", "Ann \"Boss\" Lee|ann@example.com;" },
	{ "addr-empty-angle", "Foo|;" },
	{ "addr-multiline", "|a@example.com;|b@example.com;C|c@example.com;" },
	{ "addr-8bit-name", "J\xef\xbf\xbdrg|j@example.de;" },
};

static void test_addrs(void)
{
	size_t i, j;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		char *data;
		struct msg *m = load(addr_cases[i].file, &data);
		struct addr_mbox *a;
		size_t n = msg_addrs(m, "to", &a);
		struct buf b = BUF_INIT;

		for (j = 0; j < n; j++)
			buf_printf(&b, "%s|%s;", a[j].name ? a[j].name : "", a[j].addr);
		check_str("to", addr_cases[i].file, b.data, addr_cases[i].want);
		buf_release(&b);
		addr_list_free(a, n);
		msg_free(m);
		free(data);
	}
}

static void test_dates(void)
{
	static const struct {
		const char *date;
		long long want;
	} v[] = {
		{ "Tue, 14 Mar 2023 09:26:53 +0700", 1678760813 },
		{ "14 Mar 2023 09:26:53 +0700", 1678760813 },
		{ "Tue, 14 Mar 23 02:26:53 GMT", 1678760813 },
		{ "Tue, 14 Mar 2023 02:26 Z", 1678760760 },
		{ "Tue, 14 Mar 2023 02:26:53 -0000", 1678760813 },
		{ "Tue, 14 Mar 2023 02:26:53 (comment)", 1678760813 },
		{ "Tue, 14 Mar 2023 02:26:53 +0000 (UTC)", 1678760813 },
		{ "Tue, Mar 14 2023 02:26:53 UT", 1678760813 },
		{ "Tuesday, 14-Mar-23 02:26:53 GMT", 1678760813 },
		{ "Tue, 14 Mar 2023 02.26.53 +0000", 1678760813 },
		{ "Tue, 14 Mar 2023 01:26:53 EST", 1678775213 },
		{ "Mon, 1 Jan 1900 00:00:00 +0000", -2208988800LL },
		{ "Tue, 30 Feb 2023 00:00:00 +0000", NODATE },
		{ "Tue, 14 Mar 2023 24:00:00 +0000", NODATE },
		{ "Tue, 14 Mar 2023 09:26:53 +2400", NODATE },
		{ "yesterday", NODATE },
		{ "", NODATE },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *s = xasprintf("Date: %s\n\n", v[i].date);
		struct msg *m = msg_parse(s, strlen(s), MSG_HEADERS_ONLY);
		time_t t = 0;
		int r = msg_date(m, &t);

		if (v[i].want == NODATE) {
			CU_ASSERT_EQUAL(r, -1);
		} else {
			CU_ASSERT_EQUAL(r, 0);
			if ((long long)t != v[i].want)
				fprintf(stderr, "\ndate '%s': got %lld\n", v[i].date, (long long)t);
			CU_ASSERT_EQUAL((long long)t, v[i].want);
		}
		msg_free(m);
		free(s);
	}
}

static void test_headers(void)
{
	static const char s[] =
		"Received: one\r\n\tfolded\r\n"
		"SUBJECT: =?utf-8?q?caf=C3=A9?=\r\n"
		"X-Empty:\r\n"
		"X-Cont:\r\n  starts below\r\n"
		"Message-ID:   <abc@def>  \r\n"
		"\r\n"
		"From: not a header\r\n";
	struct msg *m = msg_parse(s, sizeof(s) - 1, 0);
	const char *name, *value;
	char *d;

	CU_ASSERT_EQUAL(msg_header_count(m), 5);
	msg_header_at(m, 0, &name, &value);
	CU_ASSERT_STRING_EQUAL(name, "Received");
	CU_ASSERT_STRING_EQUAL(value, "one\tfolded");
	CU_ASSERT_STRING_EQUAL(msg_header(m, "subject"), "=?utf-8?q?caf=C3=A9?=");
	CU_ASSERT_STRING_EQUAL(msg_header(m, "x-empty"), "");
	CU_ASSERT_STRING_EQUAL(msg_header(m, "X-Cont"), "starts below");
	CU_ASSERT_PTR_NULL(msg_header(m, "From"));
	CU_ASSERT_STRING_EQUAL(msg_subject(m), "caf\xc3\xa9");
	d = msg_header_decoded(m, "Subject");
	CU_ASSERT_STRING_EQUAL(d, "caf\xc3\xa9");
	free(d);
	CU_ASSERT_PTR_NULL(msg_header_decoded(m, "X-None"));
	CU_ASSERT_STRING_EQUAL(msg_message_id(m), "abc@def");
	CU_ASSERT_EQUAL(msg_part_count(m), 1);
	CU_ASSERT_EQUAL(msg_part_size(msg_part_at(m, 0)), 20);
	msg_free(m);
	msg_free(NULL);
}

/* Transfer decoding and charsets as Python's get_payload(decode=True) and
 * get_content() (3.11) give them; msg uses codec's decoders for both. */
struct xfer {
	const char *cte, *charset, *body;
	const char *decoded;
	size_t size;
	const char *text;
};

static const struct xfer xfers[] = {
	/* base64: a letter between two "=" resets the padding count */
	{ "base64", "utf-8", "QQ=QQQQ=QQQQ", "A\x04\x10" "A\x04\x10" "A", 7,
	  "A\x04\x10" "A\x04\x10" "A" },
	/* one character left over: the text without its line ends */
	{ "base64", "utf-8", "YWJj\r\nZ\r\n", "YWJjZ", 5, "YWJjZ" },
	{ "base64", "utf-8", "YQ==Z\r\n", "a", 1, "a" },
	{ "base64", "utf-8", "w6k\r\n", "\xc3\xa9", 2, "\xc3\xa9" },
	/* quoted-printable is binascii.a2b_qp: "==" is "=", "=" CR drops
	 * the rest of the line, trailing blanks stay */
	{ "quoted-printable", "utf-8", "==41 =\rjunk\r\nx=\r\ny  \r\n",
	  "=41 xy  \r\n", 10, "=41 xy  \r\n" },
	{ "quoted-printable", "utf-8", "caf=C3=A9= \r\n=4=41=G1=",
	  "caf\xc3\xa9= \r\n=4A=G1", 15, "caf\xc3\xa9= \r\n=4A=G1" },
	/* Python's ascii aliases replace each 8-bit byte */
	{ "quoted-printable", "iso-ir-6", "a=C3=A9b\r\n", "a\xc3\xa9" "b\r\n", 6,
	  "a\xef\xbf\xbd\xef\xbf\xbd" "b\r\n" },
	{ "quoted-printable", "ansi_x3.4-1986", "\xe9\r\n", "\xe9\r\n", 3, "\xef\xbf\xbd\r\n" },
	{ "quoted-printable", "utf_8", "=C3=A9=FF\r\n", "\xc3\xa9\xff\r\n", 5,
	  "\xc3\xa9\xef\xbf\xbd\r\n" },
};

static void test_transfer_decoding(void)
{
	size_t i;

	for (i = 0; i < sizeof(xfers) / sizeof(xfers[0]); i++) {
		const struct xfer *x = &xfers[i];
		struct buf raw = BUF_INIT, dec = BUF_INIT, txt = BUF_INIT;
		const struct msg_part *p;
		struct msg *m;

		buf_printf(&raw, "Content-Type: text/plain; charset=%s\r\n"
			   "Content-Transfer-Encoding: %s\r\n\r\n%s", x->charset, x->cte, x->body);
		m = msg_parse(raw.data, raw.len, 0);
		p = msg_part_at(m, 0);
		CU_ASSERT_EQUAL(msg_part_size(p), x->size);
		msg_part_decode(p, &dec);
		CU_ASSERT(dec.len == x->size && memcmp(dec.data, x->decoded, x->size) == 0);
		msg_part_text(p, &txt);
		CU_ASSERT_STRING_EQUAL(txt.data, x->text);
		if (msg_part_size(p) != x->size || strcmp(txt.data, x->text) != 0)
			fprintf(stderr, "\ntransfer decoding case %zu differs\n", i);
		msg_free(m);
		buf_release(&raw);
		buf_release(&dec);
		buf_release(&txt);
	}
}

/* RFC 2231 percent-decoding (codec_pct_decode) before the sections are
 * joined, so a character split across sections survives; expected values
 * are Python's get_filename(). */
static void test_rfc2231_filenames(void)
{
	static const char *const cases[][2] = {
		{ "filename*=utf-8''caf%C3%A9%zz%4.txt", "caf\xc3\xa9%zz%4.txt" },
		{ "filename*0*=utf-8''a%E2%82; filename*1*=%AC%25.bin", "a\xe2\x82\xac%.bin" },
		{ "filename*=iso-8859-1''caf%E9", "caf\xc3\xa9" },
		{ "filename*=''100%", "100%" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf raw = BUF_INIT;
		struct msg *m;

		buf_printf(&raw, "Content-Type: application/octet-stream\r\n"
			   "Content-Disposition: attachment; %s\r\n\r\nx", cases[i][0]);
		m = msg_parse(raw.data, raw.len, 0);
		CU_ASSERT_STRING_EQUAL(msg_part_filename(msg_part_at(m, 0)), cases[i][1]);
		msg_free(m);
		buf_release(&raw);
	}
}

static void test_headers_only(void)
{
	static const char s[] =
		"Subject: quick\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n";
	struct msg *m = msg_parse(s, sizeof(s) - 1, MSG_HEADERS_ONLY);

	CU_ASSERT_STRING_EQUAL(msg_subject(m), "quick");
	CU_ASSERT_EQUAL(msg_header_count(m), 2);
	msg_free(m);
}

static void test_params(void)
{
	static const char s[] =
		"Content-Type: text/plain; charset=\"iso-8859-1\"; format=flowed;\n"
		" name*0*=utf-8''%E2%82%AC; name*1=\".txt\"\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"Content-Disposition: ATTACHMENT\n"
		"\n"
		"caf=E9=\n"
		"!\n";
	struct msg *m = msg_parse(s, sizeof(s) - 1, 0);
	const struct msg_part *p = msg_part_at(m, 0);
	struct buf b = BUF_INIT;
	char *text;

	CU_ASSERT_STRING_EQUAL(msg_part_param(p, "CHARSET"), "iso-8859-1");
	CU_ASSERT_STRING_EQUAL(msg_part_param(p, "format"), "flowed");
	CU_ASSERT_PTR_NULL(msg_part_param(p, "boundary"));
	CU_ASSERT_STRING_EQUAL(msg_part_filename(p), "\xe2\x82\xac.txt");
	CU_ASSERT_TRUE(msg_part_is_attachment(p));
	CU_ASSERT_EQUAL(msg_part_size(p), 6);
	msg_part_decode(p, &b);
	CU_ASSERT_EQUAL(b.len, 6);
	CU_ASSERT_EQUAL(memcmp(b.data, "caf\xe9!\n", 6), 0);
	buf_reset(&b);
	msg_part_text(p, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "caf\xc3\xa9!\n");
	buf_release(&b);
	/* an attachment is not the text a reader sees */
	text = msg_text(m);
	CU_ASSERT_PTR_NULL(text);
	msg_free(m);
}

static void test_nul(void)
{
	static const char s[] = "Subject: n\n\nbefore\0after\r\n";
	struct msg *m = msg_parse(s, sizeof(s) - 1, 0);
	size_t len = 0;
	char *t = msg_text_n(m, &len);

	CU_ASSERT_EQUAL(len, 13);
	CU_ASSERT_EQUAL(memcmp(t, "before\0after\n", 13), 0);
	free(t);
	CU_ASSERT_EQUAL(msg_part_size(msg_part_at(m, 0)), 14);
	msg_free(m);
}

/* No assertion: what this can show (a read past the input, a leak,
 * undefined behaviour) is reported by ASan+UBSan (scripts/test runs the unit
 * tests under them); without the sanitizers only a crash fails it. */
static void test_degenerate(void)
{
	static const char *const inputs[] = {
		"", "\n", "\r", "\r\n\r\n", ":", "From ", "--", "----\n",
		"Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx\n----\n",
		"Content-Type: multipart/mixed; boundary=b\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b",
		"Content-Type: multipart/mixed; boundary=b\n\n--b\n",
		"Content-Type: multipart/mixed; boundary=b\n\n--b--",
		"Content-Type: message/rfc822\n\n",
		"Content-Type: text/plain; name*0*=''; name*=x'y'%\n\n",
		"To: <<<>>>,,,;;;:::\"\n\n",
		"Content-Transfer-Encoding: base64\n\n=\n",
		"Content-Transfer-Encoding: quoted-printable\n\n=\r",
	};
	size_t i, j;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct msg *m = msg_parse(inputs[i], strlen(inputs[i]), 0);
		struct addr_mbox *a;
		size_t n = msg_addrs(m, "To", &a);
		char *t = msg_text(m);

		addr_list_free(a, n);
		free(t);
		for (j = 0; j < msg_part_count(m); j++)
			(void)msg_part_size(msg_part_at(m, j));
		msg_free(m);
	}
}

/* A 20 MB message: base64 attachment plus long text, parsed and decoded.
 * No bound on the time (load and the sanitizers would make it flaky);
 * bench/ measures speed. */
static void test_big(void)
{
	struct buf b = BUF_INIT;
	struct msg *m;
	size_t i;
	char *text;

	buf_puts(&b, "Subject: big\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n\n");
	for (i = 0; i < 100000; i++)
		buf_puts(&b, "plain text line that goes on and on --zz-not-a-boundary\n");
	buf_puts(&b, "--zz\nContent-Transfer-Encoding: base64\n\n");
	while (b.len < 20u * 1024 * 1024)
		buf_puts(&b, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n");
	buf_puts(&b, "--zz--\n");
	m = msg_parse(b.data, b.len, 0);
	CU_ASSERT_EQUAL(msg_part_count(m), 2);
	CU_ASSERT_EQUAL(msg_part_size(msg_part_at(m, 0)), 100000u * 56 - 1);
	CU_ASSERT_TRUE(msg_part_size(msg_part_at(m, 1)) > 10u * 1024 * 1024);
	text = msg_text(m);
	CU_ASSERT_EQUAL(strlen(text), 100000u * 56 - 1);
	free(text);
	msg_free(m);
	buf_release(&b);
}

/* Nesting: 100 levels are kept like Python keeps them; 5000 levels stop
 * at our limit without recursion; many delimiter lines and a million parts
 * are handled (how fast is bench/'s business, not a bound here). */
static void test_nesting(void)
{
	struct buf b = BUF_INIT;
	struct msg *m;
	size_t i;
	char *text;

	for (i = 0; i < 5000; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n", i, i);
	buf_puts(&b, "\nleaf\n");
	m = msg_parse(b.data, b.len, 0);
	CU_ASSERT_EQUAL(msg_part_count(m), 1);
	CU_ASSERT_STRING_EQUAL(msg_part_type(msg_part_at(m, 0)), "multipart/mixed");
	text = msg_text(m);
	CU_ASSERT_PTR_NULL(text);
	free(text);
	msg_free(m);

	/* every line a delimiter of some open level */
	buf_reset(&b);
	for (i = 0; i < 500; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n", i, i);
	for (i = 0; i < 200000; i++)
		buf_printf(&b, "--b%zu\n", i % 500);
	m = msg_parse(b.data, b.len, 0);
	CU_ASSERT_TRUE(msg_part_count(m) >= 1);
	msg_free(m);

	/* a million short parts are capped, not all kept */
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (i = 0; i < 1000000; i++)
		buf_puts(&b, "--p\n\nx\n");
	m = msg_parse(b.data, b.len, 0);
	CU_ASSERT_TRUE(msg_part_count(m) < 200000);
	msg_free(m);
	buf_release(&b);
}

static void test_huge_header(void)
{
	struct buf b = BUF_INIT;
	struct msg *m;
	size_t i;

	buf_puts(&b, "Subject: ");
	for (i = 0; i < 1024 * 1024; i++)
		buf_putc(&b, i % 100 == 99 ? ' ' : 'a');
	buf_puts(&b, "\nX-Fold: a\n");
	for (i = 0; i < 100000; i++)
		buf_puts(&b, " b\n");
	buf_puts(&b, "\nbody\n");
	m = msg_parse(b.data, b.len, 0);
	CU_ASSERT_EQUAL(strlen(msg_subject(m)), 1024 * 1024);
	CU_ASSERT_EQUAL(strlen(msg_header(m, "X-Fold")), 1 + 200000);
	CU_ASSERT_EQUAL(msg_part_size(msg_part_at(m, 0)), 5);
	msg_free(m);
	buf_release(&b);
}

/* Message-IDs as Python's email keeps them (checked against it): the
 * dot-atom form, else the bracketed text as it stands; nothing without a
 * local part or with an unclosed domain literal. */
static void test_message_id_shapes(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "<a@x.com>", "a@x.com" },
		{ "<a..b@x.com>", "a..b@x.com" },
		{ "<abc.@x.com>", "abc.@x.com" },
		{ "<abc@>", "abc@" },
		{ "< abc@x.com>", " abc@x.com" },
		{ "<a@ x.com>", "a@ x.com" },
		{ "<\"a b\"@x.com>", "\"a b\"@x.com" },
		{ "<a@@x.com>", "a@@x.com" },
		{ "(c) <abc@x.com>", "(c) <abc@x.com>" },
		{ "<abc@x.com", "abc@x.com" },
		{ "<abc@x.com> (c)", "abc@x.com" },
		{ "<a\"b@x>", "a" },
		{ "plain@id", "plain@id" },
		{ "<>", NULL },
		{ "<@x>", NULL },
		{ "<abc@[1.2.3.4>", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *text = xasprintf("Message-ID: %s\nSubject: x\n\nx\n", v[i].in);
		struct msg *m = msg_parse(text, strlen(text), 0);
		const char *got;
		char *alone;

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		got = msg_message_id(m);
		alone = msg_message_id_of(text, strlen(text));
		if (v[i].want) {
			CU_ASSERT(got && strcmp(got, v[i].want) == 0);
			CU_ASSERT(alone && strcmp(alone, v[i].want) == 0);
		} else {
			CU_ASSERT_PTR_NULL(got);
			CU_ASSERT_PTR_NULL(alone);
		}
		free(alone);
		msg_free(m);
		free(text);
	}
}

/* A new boundary: the prefix, 24 hex digits, in none of the pieces. */
static void test_new_boundary(void)
{
	struct buf pieces[2] = { BUF_INIT, BUF_INIT }, b = BUF_INIT, again = BUF_INIT;
	size_t i;

	buf_puts(&pieces[0], "--=_x_\n");
	buf_puts(&pieces[1], "text");
	msg_new_boundary(&b, "--=_x_", pieces, 2);
	CU_ASSERT_EQUAL_FATAL(b.len, 6 + 24);
	CU_ASSERT(strncmp(b.data, "--=_x_", 6) == 0);
	for (i = 6; i < b.len; i++)
		CU_ASSERT(strchr("0123456789abcdef", b.data[i]) != NULL);
	/* The new one is not in the pieces, and a second one differs. */
	buf_append(&pieces[1], b.data, b.len);
	msg_new_boundary(&again, "--=_x_", pieces, 2);
	CU_ASSERT(strcmp(again.data, b.data) != 0);
	buf_release(&again);
	buf_release(&b);
	buf_release(&pieces[0]);
	buf_release(&pieces[1]);
}

/* A nested multipart whose boundary never comes is passed over on the
 * way to the text, as Python's get_body() does; a multipart/related one
 * makes get_body() fail (no text). */
static void test_text_past_broken_multipart(void)
{
	static const char alt[] =
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
		"Content-Type: multipart/alternative; boundary=\"zz\"\n\nno zz here\n--b\n"
		"Content-Type: text/plain\n\nafter\n--b--\n";
	static const char rel[] =
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
		"Content-Type: multipart/related; boundary=\"zz\"\n\nno zz here\n--b\n"
		"Content-Type: text/plain\n\nafter\n--b--\n";
	struct msg *m = msg_parse(alt, sizeof(alt) - 1, 0);
	char *t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	t = msg_text(m);
	CU_ASSERT(t && strcmp(t, "after") == 0);
	free(t);
	msg_free(m);
	m = msg_parse(rel, sizeof(rel) - 1, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	t = msg_text(m);
	CU_ASSERT_PTR_NULL(t);
	free(t);
	msg_free(m);
}

void suite_msg(void)
{
	CU_pSuite s = CU_add_suite("msg", NULL, NULL);

	CU_add_test(s, "corpus files", test_corpus);
	CU_add_test(s, "address lists", test_addrs);
	CU_add_test(s, "dates", test_dates);
	CU_add_test(s, "header access", test_headers);
	CU_add_test(s, "headers only", test_headers_only);
	CU_add_test(s, "parameters and decoding", test_params);
	CU_add_test(s, "transfer decoding and charsets as Python", test_transfer_decoding);
	CU_add_test(s, "RFC 2231 filenames", test_rfc2231_filenames);
	CU_add_test(s, "NUL bytes", test_nul);
	CU_add_test(s, "degenerate input", test_degenerate);
	CU_add_test(s, "20 MB message", test_big);
	CU_add_test(s, "nesting and many boundaries", test_nesting);
	CU_add_test(s, "huge header lines", test_huge_header);
	CU_add_test(s, "Message-ID shapes as Python keeps them", test_message_id_shapes);
	CU_add_test(s, "text past a multipart without its boundary", test_text_past_broken_multipart);
	CU_add_test(s, "a new MIME boundary", test_new_boundary);
}
