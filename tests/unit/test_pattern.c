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

static int body_cb(void *arg, const char *needle)
{
	(void)arg;
	body_calls++;
	if (!body_text)
		return -1;
	return pattern_contains(body_text, strlen(body_text), needle);
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

static void test_errors(void)
{
	static const char *const bad[] = {
		"", "   ", "~", "~x foo", "~f", "~s   ", "(~f a", "~f a)", "|~f a", "~f a |",
		"!", "~d 2026-13-01", "~d 2026-01-01-2025-01-01", "~d <7q", "~d soon",
		"~d 2026-01-01x", "~s \"open", "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((~A",
		"~\x1b",
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
	CU_ASSERT_TRUE(pattern_contains("abcDEF", 6, "cde"));
	CU_ASSERT_FALSE(pattern_contains("abc\0def", 7, "cd"));
	CU_ASSERT_TRUE(pattern_contains("abc\0def", 7, "de"));
	CU_ASSERT_TRUE(pattern_contains("", 0, ""));
}

void suite_pattern(void)
{
	CU_pSuite s = CU_add_suite("pattern", NULL, NULL);

	CU_add_test(s, "text terms", test_text_terms);
	CU_add_test(s, "flags", test_flags);
	CU_add_test(s, "operators", test_operators);
	CU_add_test(s, "dates", test_dates);
	CU_add_test(s, "errors", test_errors);
	CU_add_test(s, "uses body", test_uses_body);
}
