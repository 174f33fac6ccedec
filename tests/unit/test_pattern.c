#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "pattern.h"
#include "suites.h"

/* Local midnight of a day, as the parser computes it. */
static time_t day(int y, int m, int d, int h)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static const char *body_text;
static int body_calls;

static int body_cb(void *arg, const struct pattern_re *re, unsigned flags)
{
	(void)arg;
	if (flags & PATTERN_BODY_WHOLE)
		return body_text ? pattern_re_match(re, "Subject: whole\n", 15) ||
			pattern_re_match(re, body_text, strlen(body_text)) : -1;
	body_calls++;
	if (!body_text)
		return -1;
	return pattern_re_match(re, body_text, strlen(body_text));
}

/* Parse s and match it against m; -2 when it does not parse. */
static int run(const char *s, const struct pattern_msg *m)
{
	struct err err = ERR_INIT;
	time_t now = day(2026, 3, 1, 12);
	struct pattern *p = pattern_parse(s, now, &err);
	int r;

	if (!p)
		return -2;
	r = pattern_match(p, m, body_cb, NULL);
	pattern_free(p);
	return r;
}

static const struct pattern_msg msg_a = {
	"Ana Putri", "ana@example.co.id", "Budi", "Quarterly REPORT draft", "FS", 0, 0,
	NULL, NULL, NULL, NULL,
};

static void test_text_terms(void)
{
	struct pattern_msg m = msg_a;

	m.date = day(2026, 1, 15, 10);
	body_text = "hello\nthe budget is attached\n";
	CU_ASSERT_EQUAL(run("~f ana", &m), 1);
	CU_ASSERT_EQUAL(run("~f EXAMPLE.co", &m), 1);
	CU_ASSERT_EQUAL(run("~f budi", &m), 0);
	CU_ASSERT_EQUAL(run("~t budi", &m), 1);
	CU_ASSERT_EQUAL(run("~s report", &m), 1);
	CU_ASSERT_EQUAL(run("~s \"report draft\"", &m), 1);
	CU_ASSERT_EQUAL(run("~s 'REPORT  draft'", &m), 0);
	CU_ASSERT_EQUAL(run("~b budget", &m), 1);
	CU_ASSERT_EQUAL(run("~b invoice", &m), 0);
	/* a bare word looks at sender and subject */
	CU_ASSERT_EQUAL(run("quarterly", &m), 1);
	CU_ASSERT_EQUAL(run("putri", &m), 1);
	CU_ASSERT_EQUAL(run("nothing", &m), 0);
}

static void test_flags(void)
{
	struct pattern_msg m = msg_a;

	CU_ASSERT_EQUAL(run("~F", &m), 1);
	CU_ASSERT_EQUAL(run("~N", &m), 0);
	CU_ASSERT_EQUAL(run("~R", &m), 0);
	CU_ASSERT_EQUAL(run("~D", &m), 0);
	CU_ASSERT_EQUAL(run("~A", &m), 1);
	m.flags = "";
	m.deleted = 1;
	CU_ASSERT_EQUAL(run("~N", &m), 1);
	CU_ASSERT_EQUAL(run("~D", &m), 1);
	CU_ASSERT_EQUAL(run("~F", &m), 0);
}

static void test_operators(void)
{
	struct pattern_msg m = msg_a;

	body_text = NULL;
	CU_ASSERT_EQUAL(run("~f ana ~s report", &m), 1);
	CU_ASSERT_EQUAL(run("~f ana ~s invoice", &m), 0);
	CU_ASSERT_EQUAL(run("~f zed | ~s report", &m), 1);
	CU_ASSERT_EQUAL(run("!~f zed", &m), 1);
	CU_ASSERT_EQUAL(run("! ~F", &m), 0);
	CU_ASSERT_EQUAL(run("!(~f zed | ~s invoice)", &m), 1);
	CU_ASSERT_EQUAL(run("(~f zed|~s report)(~N|~F)", &m), 1);
	/* and binds tighter than or */
	CU_ASSERT_EQUAL(run("~f zed ~s report | ~F", &m), 1);
	CU_ASSERT_EQUAL(run("~f zed (~s report | ~F)", &m), 0);
	/* short-circuit: no body read when the sender already fails */
	body_calls = 0;
	CU_ASSERT_EQUAL(run("~f zed ~b x", &m), 0);
	CU_ASSERT_EQUAL(body_calls, 0);
	/* the callback's stop travels up through not/and/or */
	CU_ASSERT_EQUAL(run("~f ana !~b x", &m), -1);
	CU_ASSERT_EQUAL(run("~b x | ~F", &m), -1);
}

static void test_dates(void)
{
	struct pattern_msg m = msg_a;

	m.date = day(2026, 1, 15, 10);
	CU_ASSERT_EQUAL(run("~d 2026-01-01-2026-02-01", &m), 1);
	CU_ASSERT_EQUAL(run("~d 2026-01-16-2026-02-01", &m), 0);
	CU_ASSERT_EQUAL(run("~d 2026-01-01-2026-01-15", &m), 1);
	CU_ASSERT_EQUAL(run("~d 2026-01-15", &m), 1);
	CU_ASSERT_EQUAL(run("~d 2026-01-14", &m), 0);
	CU_ASSERT_EQUAL(run("~d 2026-01-15-", &m), 1);
	CU_ASSERT_EQUAL(run("~d 2026-01-16-", &m), 0);
	CU_ASSERT_EQUAL(run("~d -2026-01-14", &m), 0);
	CU_ASSERT_EQUAL(run("~d -2026-01-15", &m), 1);
	/* now is 2026-03-01 12:00 */
	CU_ASSERT_EQUAL(run("~d <7d", &m), 0);
	CU_ASSERT_EQUAL(run("~d <50d", &m), 1);
	CU_ASSERT_EQUAL(run("~d <3m", &m), 1);
	CU_ASSERT_EQUAL(run("~d >2w", &m), 1);
	CU_ASSERT_EQUAL(run("~d >1y", &m), 0);
	CU_ASSERT_EQUAL(run("~d <7", &m), 0);
	m.date = (time_t)-1;
	CU_ASSERT_EQUAL(run("~d -2030-01-01", &m), 0);
	CU_ASSERT_EQUAL(run("!~d -2030-01-01", &m), 1);
}

static void test_regex(void)
{
	struct pattern_msg m = msg_a;

	body_text = "first line\nsecond: the budget\n";
	CU_ASSERT_EQUAL(run("~f ana.*putri", &m), 1);
	CU_ASSERT_EQUAL(run("~f 'putri.*ana'", &m), 0);
	CU_ASSERT_EQUAL(run("~s ^quarterly", &m), 1);
	CU_ASSERT_EQUAL(run("~s ^report", &m), 0);
	CU_ASSERT_EQUAL(run("~s draft$", &m), 1);
	CU_ASSERT_EQUAL(run("~s \"rep(ort|ly) d\"", &m), 1);
	CU_ASSERT_EQUAL(run("~f 'ana@example\\.co\\.id'", &m), 1);
	CU_ASSERT_EQUAL(run("~f ana@example\\.com", &m), 0);
	CU_ASSERT_EQUAL(run("ana.*putri", &m), 1);
	/* ~b: '^' and '$' at line ends, '.' never crosses one */
	CU_ASSERT_EQUAL(run("~b ^second", &m), 1);
	CU_ASSERT_EQUAL(run("~b line.second", &m), 0);
	CU_ASSERT_EQUAL(run("~b budget$", &m), 1);
	CU_ASSERT_EQUAL(run("~b ^subject", &m), 0);
	CU_ASSERT_EQUAL(run("~B ^subject", &m), 1);
	CU_ASSERT_EQUAL(run("~B budget", &m), 1);
}

/* Case folding is Unicode's, whatever the process locale is (the unit
 * tests run in "C"; surel in the user's). */
static void test_unicode_case(void)
{
	struct pattern_msg m = msg_a;
	struct err err = ERR_INIT;
	struct pattern_re *re;

	m.subject = "Re: \xc3\x9c" "berarbeitung des Plans";        /* Überarbeitung */
	m.from = "\xd0\x9e\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0 " /* Ольга Петрова */
		 "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb0";
	CU_ASSERT_EQUAL(run("~s \xc3\xbc" "berarbeitung", &m), 1);          /* überarbeitung */
	CU_ASSERT_EQUAL(run("~s \xc3\x9c" "BERARBEITUNG", &m), 1);          /* ÜBERARBEITUNG */
	CU_ASSERT_EQUAL(run("\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0", &m), 1); /* ольга */
	CU_ASSERT_EQUAL(run("~f '\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb3\xd0\xb0 .*\xd0\xb2\xd0\xb0$'",
			    &m), 1);                                          /* ольга .*ва$ */
	CU_ASSERT_EQUAL(run("~f \xd0\xb8\xd1\x80\xd0\xb0", &m), 0);      /* ира */
	/* one character for '.', not one byte */
	CU_ASSERT_EQUAL(run("~s '^re: .berarbeitung'", &m), 1);
	re = pattern_re_new("\xc3\xa9t\xc3\xa9", &err);                      /* été */
	CU_ASSERT_PTR_NOT_NULL_FATAL(re);
	CU_ASSERT_TRUE(pattern_re_match(re, "L'\xc3\x89T\xc3\x89 X", 8));  /* L'ÉTÉ */
	CU_ASSERT_FALSE(pattern_re_match(re, "L'ETE", 5));
	CU_ASSERT_STRING_EQUAL(pattern_re_source(re), "\xc3\xa9t\xc3\xa9");
	pattern_re_free(re);
	re = pattern_re_new("sun", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(re);
	CU_ASSERT_FALSE(pattern_re_match(re, "the \xc3\xbc" "un", 7));
	CU_ASSERT_TRUE(pattern_re_match(re, "\xc3\xbc SUN", 6));
	pattern_re_free(re);
	/* an ASCII word in text that is not ASCII */
	re = pattern_re_new("plan", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(re);
	CU_ASSERT_TRUE(pattern_re_match(re, m.subject, strlen(m.subject)));
	CU_ASSERT_FALSE(pattern_re_match(re, m.subject, 10));
	pattern_re_free(re);
}

static int me(void *arg, const char *addr)
{
	(void)arg;
	return strcmp(addr, "me@home.test") == 0 || strcmp(addr, "alias@home.test") == 0;
}

static int list_kind(void *arg, const char *addr)
{
	(void)arg;
	if (strcmp(addr, "dev@lists.test") == 0)
		return 2;
	return strcmp(addr, "announce@lists.test") == 0;
}

static void test_addresses(void)
{
	static const struct pattern_env env = { me, list_kind, NULL };
	struct pattern_msg m = msg_a;

	m.to_all = "x@corp.test\tBudi\nme@home.test";
	m.cc_all = "carol@cc.test\tCarol Tan";
	/* ~t: every To mailbox, address and name */
	CU_ASSERT_EQUAL(run("~t corp.test", &m), 1);
	CU_ASSERT_EQUAL(run("~t ^budi$", &m), 1);
	CU_ASSERT_EQUAL(run("~t ^me@", &m), 1);
	CU_ASSERT_EQUAL(run("~t carol", &m), 0);
	/* the name is not matched together with the address */
	CU_ASSERT_EQUAL(run("~t 'test.budi'", &m), 0);
	CU_ASSERT_EQUAL(run("~c carol", &m), 1);
	CU_ASSERT_EQUAL(run("~c 'tan$'", &m), 1);
	CU_ASSERT_EQUAL(run("~c budi", &m), 0);
	CU_ASSERT_EQUAL(run("~C budi", &m), 1);
	CU_ASSERT_EQUAL(run("~C cc.test", &m), 1);
	CU_ASSERT_EQUAL(run("~C ana", &m), 0);
	CU_ASSERT_EQUAL(run("~L ana", &m), 1);
	CU_ASSERT_EQUAL(run("~L carol", &m), 1);
	CU_ASSERT_EQUAL(run("~L zed", &m), 0);
	/* without an environment, nothing is the user's or a list */
	CU_ASSERT_EQUAL(run("~p", &m), 0);
	CU_ASSERT_EQUAL(run("~u", &m), 0);
	m.env = &env;
	CU_ASSERT_EQUAL(run("~p", &m), 1);
	CU_ASSERT_EQUAL(run("~P", &m), 0);
	m.from_addr = "alias@home.test";
	CU_ASSERT_EQUAL(run("~P", &m), 1);
	m.to_all = "x@corp.test";
	CU_ASSERT_EQUAL(run("~p", &m), 0);
	m.cc_all = "alias@home.test";
	CU_ASSERT_EQUAL(run("~p", &m), 1);
	/* ~l: a known list among the recipients, or any List-Post/List-Id */
	CU_ASSERT_EQUAL(run("~l", &m), 0);
	m.list = "dev.lists.test";
	CU_ASSERT_EQUAL(run("~l", &m), 1);
	CU_ASSERT_EQUAL(run("~u", &m), 0);
	m.list = "dev@lists.test";
	CU_ASSERT_EQUAL(run("~u", &m), 1);
	m.list = NULL;
	m.cc_all = "announce@lists.test";
	CU_ASSERT_EQUAL(run("~l", &m), 1);
	CU_ASSERT_EQUAL(run("~u", &m), 0);
	m.to_all = "dev@lists.test\tDevelopers";
	CU_ASSERT_EQUAL(run("~u ~l", &m), 1);
	/* the old fields alone still serve ~t */
	m.to_all = NULL;
	CU_ASSERT_EQUAL(run("~t budi", &m), 1);
}

static void test_errors(void)
{
	static const char *const bad[] = {
		"", "   ", "~", "~x foo", "~f", "~s   ", "(~f a", "~f a)", "|~f a", "~f a |",
		"!", "~d 2026-13-01", "~d 2026-01-01-2025-01-01", "~d <7q", "~d soon",
		"~d 2026-01-01x", "~s \"open", "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((~A",
		"~\x1b", "~s [abc", "~f 'a{2'", "x(",
	};
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pattern *p;

		err_clear(&err);
		p = pattern_parse(bad[i], 0, &err);
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_EQUAL(err.code, EX_USAGE);
		CU_ASSERT(err.msg[0] != '\0');
		pattern_free(p);
	}
	err_clear(&err);
	CU_ASSERT_PTR_NULL(pattern_parse("~q", 0, &err));
	CU_ASSERT_STRING_EQUAL(err.msg, "unknown pattern '~q'");
	err_clear(&err);
	CU_ASSERT_PTR_NULL(pattern_parse("~s '(re'", 0, &err));
	CU_ASSERT(strncmp(err.msg, "bad regular expression '(re': ", 30) == 0);
}

static void test_uses_body(void)
{
	struct err err = ERR_INIT;
	struct pattern *p = pattern_parse("~f a | !(~s b ~b c)", 0, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(pattern_uses_body(p));
	pattern_free(p);
	p = pattern_parse("~f a | !(~s b ~N)", 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_FALSE(pattern_uses_body(p));
	pattern_free(p);
	{
		struct pattern_re *re = pattern_re_new("cde", &err);

		CU_ASSERT_PTR_NOT_NULL_FATAL(re);
		CU_ASSERT_TRUE(pattern_re_match(re, "abcDEF", 6));
		CU_ASSERT_FALSE(pattern_re_match(re, "abCDx", 5));
		pattern_re_free(re);
		re = pattern_re_new("de", &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(re);
		CU_ASSERT_FALSE(pattern_re_match(re, "abc\0d", 5));
		CU_ASSERT_TRUE(pattern_re_match(re, "abc\0def", 7));
		pattern_re_free(re);
	}
}

void suite_pattern(void)
{
	CU_pSuite s = CU_add_suite("pattern", NULL, NULL);

	CU_add_test(s, "text terms", test_text_terms);
	CU_add_test(s, "flags", test_flags);
	CU_add_test(s, "operators", test_operators);
	CU_add_test(s, "dates", test_dates);
	CU_add_test(s, "regular expressions", test_regex);
	CU_add_test(s, "unicode case folding", test_unicode_case);
	CU_add_test(s, "addresses, me and lists", test_addresses);
	CU_add_test(s, "errors", test_errors);
	CU_add_test(s, "uses body", test_uses_body);
}
