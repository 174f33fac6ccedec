#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "mutf7.h"
#include "suites.h"

/* Both directions: utf8 encodes to m, m decodes to utf8. */
static void pair(const char *utf8, const char *m)
{
	char *e = mutf7_encode(utf8), *d = mutf7_decode(m);

	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(e, m);
	CU_ASSERT_STRING_EQUAL(d, utf8);
	free(e);
	free(d);
}

static void test_examples(void)
{
	/* RFC 3501 5.1.3's example. */
	pair("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	     "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	/* RFC 2152's, in IMAP's spelling. */
	pair("Hi Mom -\xe2\x98\xba-!", "Hi Mom -&Jjo--!");
	pair("Entw\xc3\xbcrfe", "Entw&APw-rfe");
	pair("INBOX", "INBOX");
	pair("", "");
	pair("&", "&-");
	pair("R&D/&&", "R&-D/&-&-");
	pair("\xc3\xa9&", "&AOk-&-");
	/* Beyond the BMP: a surrogate pair. */
	pair("\xf0\x9f\x98\x80", "&2D3eAA-");
	/* Control characters are encoded too (fetch refuses them later). */
	pair("a\tb", "a&AAk-b");
	/* A run takes everything up to the next printable character. */
	pair("\xc3\xa4\xc3\xb6\xc3\xbc", "&AOQA9gD8-");
}

static void test_round_trips(void)
{
	static const char *const names[] = {
		"Gesendete Objekte", "\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5",
		"\xe5\xb7\xb2\xe5\x8f\x91\xe9\x80\x81", "a\xc3\xa9" "b\xf0\x9f\x93\xa7" "c&d",
		"\x7f", "~/-&-/+,", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *e = mutf7_encode(names[i]), *d = e ? mutf7_decode(e) : NULL;
		char *e2 = d ? mutf7_encode(d) : NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		CU_ASSERT_STRING_EQUAL(d, names[i]);
		CU_ASSERT_STRING_EQUAL(e2, e);
		/* What the server sees is 7-bit printable. */
		for (const char *p = e; *p; p++)
			CU_ASSERT(*p >= 0x20 && *p <= 0x7e);
		free(e);
		free(d);
		free(e2);
	}
}

static void test_invalid(void)
{
	static const char *const bad_utf8[] = {
		"\xff", "Entw\xfcrfe", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	};
	static const char *const bad_mutf7[] = {
		"Entw\xc3\xbcrfe",    /* 8-bit: the name sent unencoded */
		"a\tb",               /* a control byte */
		"&Jjo",               /* the run never ends */
		"&",                  /* nor does this one */
		"&AGE-",              /* "a", which stands for itself */
		"&ACY-",              /* "&", which is "&-" */
		"&U,BTFw-&ZeVnLIqe-", /* two runs back to back */
		"&AOl-",              /* padding bits not zero */
		"&A-",                /* six bits: no character at all */
		"&AOkA-",             /* leftover bits beyond the padding */
		"&2D0-",              /* a lone high surrogate */
		"&3gA-",              /* a lone low surrogate */
		"&2D3YPQ-",           /* a high surrogate after a high one */
		"&AAA-",              /* U+0000 */
		"&U/BTFw-",           /* "/" is plain base64, not IMAP's */
		"&U=-",               /* not base64 at all */
	};
	size_t i;

	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++)
		CU_ASSERT_PTR_NULL(mutf7_encode(bad_utf8[i]));
	for (i = 0; i < sizeof(bad_mutf7) / sizeof(bad_mutf7[0]); i++) {
		char *d = mutf7_decode(bad_mutf7[i]);

		if (d)
			CU_FAIL(bad_mutf7[i]);
		free(d);
	}
}

void suite_mutf7(void)
{
	CU_pSuite s = CU_add_suite("mutf7", NULL, NULL);

	CU_add_test(s, "RFC examples and &-", test_examples);
	CU_add_test(s, "round trips", test_round_trips);
	CU_add_test(s, "invalid input refused", test_invalid);
}
