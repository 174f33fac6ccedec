#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "bodysearch.h"
#include "buf.h"
#include "pattern.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Both ways: from a file and from memory; with whole, ~B. */
static int both_flags(const char *msg, size_t len, const char *needle, unsigned whole)
{
	const char *dir = tutil_tmpdir();
	char *path = xasprintf("%s/m", dir);
	struct err err = ERR_INIT;
	struct pattern_re *re = pattern_re_new(needle, &err);
	int fd, r1, r2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(re);
	CU_ASSERT_EQUAL_FATAL(tutil_write(path, msg, len), 0);
	fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	r1 = bodysearch_fd(fd, re, whole, NULL, NULL);
	close(fd);
	r2 = bodysearch_mem(msg, len, re, whole, NULL, NULL);
	CU_ASSERT_EQUAL(r1, r2);
	pattern_re_free(re);
	free(path);
	tutil_rmtree();
	return r1;
}

static int both(const char *msg, size_t len, const char *needle)
{
	return both_flags(msg, len, needle, 0);
}

static void test_simple(void)
{
	static const char m[] = "From: Needle <n@x>\nSubject: hay\n\nThe Body has a NEEDLE in it.\n";
	static const char crlf[] = "From: a\r\nSubject: x\r\n\r\nbody text\r\n";

	CU_ASSERT_EQUAL(both(m, strlen(m), "needle in"), 1);
	/* Regular expressions, line by line, Unicode case folded. */
	CU_ASSERT_EQUAL(both(m, strlen(m), "^the body.*needle"), 1);
	CU_ASSERT_EQUAL(both(m, strlen(m), "^body"), 0);
	CU_ASSERT_EQUAL(both(m, strlen(m), "in it\\.$"), 1);
	CU_ASSERT_EQUAL(both(m, strlen(m), "body"), 1);
	/* The header block is not the body. */
	CU_ASSERT_EQUAL(both(m, strlen(m), "subject"), 0);
	CU_ASSERT_EQUAL(both(m, strlen(m), "n@x"), 0);
	/* ~B: the header block too */
	CU_ASSERT_EQUAL(both_flags(m, strlen(m), "^subject: hay$", BODYSEARCH_WHOLE), 1);
	CU_ASSERT_EQUAL(both_flags(m, strlen(m), "needle in", BODYSEARCH_WHOLE), 1);
	CU_ASSERT_EQUAL(both_flags(m, strlen(m), "haystack", BODYSEARCH_WHOLE), 0);
	CU_ASSERT_EQUAL(both(crlf, strlen(crlf), "body text"), 1);
	CU_ASSERT_EQUAL(both(crlf, strlen(crlf), "from"), 0);
	CU_ASSERT_EQUAL(both("", 0, "x"), 0);
	CU_ASSERT_EQUAL(both("Subject: header only\n", 21, "header"), 0);
}

/* The needle straddles every piece boundary it can. */
static void test_boundaries(void)
{
	struct buf b = BUF_INIT;
	size_t k, at;

	for (k = 0; k < 8; k++) {
		buf_reset(&b);
		buf_puts(&b, "Subject: big\n\n");
		at = BODYSEARCH_CHUNK - 4 + k;
		while (b.len < at)
			buf_putc(&b, 'x');
		buf_puts(&b, "needle");
		while (b.len < 3 * BODYSEARCH_CHUNK)
			buf_putc(&b, 'y');
		CU_ASSERT_EQUAL(both(b.data, b.len, "NEEDLE"), 1);
		CU_ASSERT_EQUAL(both(b.data, b.len, "needlex"), 0);
	}
	/* A line split between pieces is searched whole. */
	for (k = 0; k < 4; k++) {
		buf_reset(&b);
		buf_puts(&b, "Subject: lines\n\n");
		while (b.len < BODYSEARCH_CHUNK - 200 + 64 * k)
			buf_puts(&b, "filler line\n");
		buf_puts(&b, "Begin of a sentence that runs over the piece boundary to its end\n");
		while (b.len < 2 * BODYSEARCH_CHUNK)
			buf_puts(&b, "more\n");
		CU_ASSERT_EQUAL(both(b.data, b.len, "^begin of.*to its end$"), 1);
		CU_ASSERT_EQUAL(both(b.data, b.len, "filler.*sentence"), 0);
	}
	/* Past what is kept for decoding, raw search still finds it. */
	buf_reset(&b);
	buf_puts(&b, "Subject: huge\n\n");
	while (b.len < BODYSEARCH_DECODE_MAX + 3 * BODYSEARCH_CHUNK)
		buf_putc(&b, 'z');
	buf_puts(&b, "at the end");
	CU_ASSERT_EQUAL(both(b.data, b.len, "the end"), 1);
	buf_release(&b);
}

static void test_decoded(void)
{
	static const char qp[] =
		"Subject: qp\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
		"Content-Transfer-Encoding: quoted-printable\n\nSoft line br=\neak and caf=C3=A9\n";
	static const char b64[] =
		"Subject: b64\nMIME-Version: 1.0\nContent-Type: text/plain\n"
		"Content-Transfer-Encoding: base64\n\naGlkZGVuIHRyZWFzdXJlCg==\n";

	CU_ASSERT_EQUAL(both(qp, strlen(qp), "line break"), 1);
	CU_ASSERT_EQUAL(both(qp, strlen(qp), "caf\xc3\xa9"), 1);
	CU_ASSERT_EQUAL(both(b64, strlen(b64), "hidden treasure"), 1);
	CU_ASSERT_EQUAL(both(b64, strlen(b64), "treasures"), 0);
	CU_ASSERT_EQUAL(both(qp, strlen(qp), "CAF\xc3\x89"), 1);
}

static int calls;

static int stop_at_second(void *arg, size_t bytes)
{
	(void)arg;
	(void)bytes;
	return ++calls >= 2;
}

static void test_stop(void)
{
	struct buf b = BUF_INIT;
	struct err err = ERR_INIT;
	struct pattern_re *re = pattern_re_new("needle", &err);

	buf_puts(&b, "Subject: s\n\n");
	while (b.len < 4 * BODYSEARCH_CHUNK)
		buf_putc(&b, 'q');
	buf_puts(&b, "needle");

	calls = 0;
	CU_ASSERT_EQUAL(bodysearch_mem(b.data, b.len, re, 0, stop_at_second, NULL), -1);
	CU_ASSERT_EQUAL(calls, 2);
	pattern_re_free(re);
	buf_release(&b);
}

void suite_bodysearch(void)
{
	CU_pSuite s = CU_add_suite("bodysearch", NULL, NULL);

	CU_add_test(s, "body only, case-insensitive", test_simple);
	CU_add_test(s, "across piece boundaries", test_boundaries);
	CU_add_test(s, "quoted-printable and base64 text", test_decoded);
	CU_add_test(s, "progress stops it", test_stop);
}
