#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "mailto.h"
#include "suites.h"

static void eq(const char *got, const char *want, const char *what)
{
	if (!want) {
		CU_ASSERT_PTR_NULL(got);
		if (got)
			fprintf(stderr, "\n%s: got '%s', want none\n", what, got);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL(got);
	if (!got)
		return;
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\n%s: got '%s', want '%s'\n", what, got, want);
}

static void test_fields(void)
{
	static const struct {
		const char *url, *to, *cc, *bcc, *subject, *irt, *body;
		size_t nwarn;
	} t[] = {
		{ "mailto:a@b.example", "a@b.example", NULL, NULL, NULL, NULL, NULL, 0 },
		{ "MAILTO:a@b.example?subject=Hi&cc=c@d.example&body=line%201%0D%0Aline%202",
		  "a@b.example", "c@d.example", NULL, "Hi", NULL, "line 1\nline 2", 0 },
		/* RFC 6068 6.1/6.2: several addresses, to= adds to the path's. */
		{ "mailto:a@x.example,b@x.example?to=c@x.example&To=d@x.example",
		  "a@x.example,b@x.example, c@x.example, d@x.example", NULL, NULL, NULL, NULL,
		  NULL, 0 },
		/* No address before '?'; hfield names in any case; bcc. */
		{ "mailto:?TO=a@x.example&BCC=h%40x.example&Subject=x", "a@x.example", NULL,
		  "h@x.example", "x", NULL, NULL, 0 },
		/* UTF-8, percent-encoded: "Grüße ✓"; '+' stays a plus sign. */
		{ "mailto:a+tag@x.example?subject=Gr%C3%BC%C3%9Fe%20%E2%9C%93%2b1+2",
		  "a+tag@x.example", NULL, NULL, "Gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93+1+2", NULL,
		  NULL, 0 },
		/* A line break in a header value cannot add a header field. */
		{ "mailto:a@x.example?subject=hi%0D%0ABcc:%20evil@x.example", "a@x.example", NULL,
		  NULL, "hi  Bcc: evil@x.example", NULL, NULL, 0 },
		{ "mailto:a@x.example%0ABcc:e@x.example", "a@x.example Bcc:e@x.example", NULL,
		  NULL, NULL, NULL, NULL, 0 },
		/* attach= and unknown or not honoured hfields: warnings only. */
		{ "mailto:a@x.example?attach=/etc/passwd&Attachment=~/.ssh/id_rsa&from=x@y.example"
		  "&X-Mailer=z&reply-to=r@y.example&subject=s",
		  "a@x.example", NULL, NULL, "s", NULL, NULL, 5 },
		{ "mailto:list@x.example?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
		  "list@x.example", NULL, NULL, NULL, "<3469A91.D10AF4C@example.com>", NULL, 0 },
		/* Empty hfields and "&&" are skipped; a later subject wins; a
		 * NUL byte does not cut the body short. */
		{ "mailto:a@x.example?&&subject=one&subject=two&body=a%00b&",
		  "a@x.example", NULL, NULL, "two", NULL, "ab", 0 },
		{ "mailto:", NULL, NULL, NULL, NULL, NULL, NULL, 0 },
	};
	struct err err = ERR_INIT;
	struct mailto m;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (mailto_parse(t[i].url, &m, &err) < 0) {
			fprintf(stderr, "\ncase %zu: %s\n", i, err.msg);
			CU_FAIL("mailto_parse failed");
			continue;
		}
		eq(m.to, t[i].to, "to");
		eq(m.cc, t[i].cc, "cc");
		eq(m.bcc, t[i].bcc, "bcc");
		eq(m.subject, t[i].subject, "subject");
		eq(m.in_reply_to, t[i].irt, "in-reply-to");
		eq(m.body, t[i].body, "body");
		CU_ASSERT_EQUAL(m.warnings.n, t[i].nwarn);
		if (m.warnings.n != t[i].nwarn)
			fprintf(stderr, "\ncase %zu: %zu warnings\n", i, m.warnings.n);
		mailto_release(&m);
	}
	CU_ASSERT_EQUAL(mailto_parse("mailto:a@x.example?attach=f&foo=1", &m, &err), 0);
	CU_ASSERT_EQUAL_FATAL(m.warnings.n, 2);
	CU_ASSERT_STRING_EQUAL(m.warnings.v[0], "mailto: attach= ignored: a link cannot attach files");
	CU_ASSERT_STRING_EQUAL(m.warnings.v[1], "mailto: header 'foo' ignored");
	mailto_release(&m);
	/* A long name of control characters (each shown as a three-byte
	 * U+FFFD) is cut at a character boundary.  Found by fuzz_mailto. */
	CU_ASSERT_EQUAL(mailto_parse("mailto:a@x?a%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F"
				     "%0F%0F%0F%0F%0F%0F%0F%0F%0F%0F=1", &m, &err), 0);
	CU_ASSERT_EQUAL_FATAL(m.warnings.n, 1);
	CU_ASSERT_EQUAL(strlen(m.warnings.v[0]), strlen("mailto: header '' ignored") + 58);
	mailto_release(&m);
	mailto_release(NULL);
}

static void test_errors(void)
{
	static const struct {
		const char *url, *want;
	} t[] = {
		{ "mailto:a%4@x.example", "mailto: bad %-escape in the address: '%4@x.example'" },
		{ "mailto:a@x.example?subject=%", "mailto: bad %-escape in subject: '%'" },
		{ "mailto:a@x.example?subject=%zz", "mailto: bad %-escape in subject" },
		{ "mailto:a@x.example?subject=%C3", "mailto: subject is not UTF-8 once decoded" },
		{ "mailto:%FF@x.example", "mailto: the address is not UTF-8 once decoded" },
		{ "mailto:a@x.example?su%bject=1", "mailto: bad %-escape in a header name" },
		{ "http://example.org/", "not a mailto: URL" },
		{ "mailto", "not a mailto: URL" },
	};
	struct err err;
	struct mailto m;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err_clear(&err);
		CU_ASSERT_EQUAL(mailto_parse(t[i].url, &m, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_USAGE);
		if (strncmp(err.msg, t[i].want, strlen(t[i].want)) != 0) {
			fprintf(stderr, "\ncase %zu: got '%s', want '%s'\n", i, err.msg, t[i].want);
			CU_FAIL("wrong error");
		}
		mailto_release(&m);
	}
	CU_ASSERT_TRUE(mailto_is("MailTo:x"));
	CU_ASSERT_FALSE(mailto_is("mailto"));
	CU_ASSERT_FALSE(mailto_is("/home/x/mailto:y"));
}

void suite_mailto(void)
{
	CU_pSuite s = CU_add_suite("mailto", NULL, NULL);

	CU_add_test(s, "hfields, percent-decoding, UTF-8, no injection", test_fields);
	CU_add_test(s, "bad escapes and bytes", test_errors);
}
