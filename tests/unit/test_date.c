#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "bounce.h"
#include "buf.h"
#include "compose.h"
#include "date.h"
#include "enqueue.h"
#include "queue.h"
#include "suites.h"
#include "xalloc.h"

/* Run with TZ set to zone; the old TZ comes back after. */
static char *saved_tz;

static void tz_set(const char *zone)
{
	free(saved_tz);
	saved_tz = getenv("TZ") ? xstrdup(getenv("TZ")) : NULL;
	setenv("TZ", zone, 1);
	tzset();
}

static void tz_restore(void)
{
	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(saved_tz);
	saved_tz = NULL;
}

static void test_write(void)
{
	static const struct { const char *tz; time_t t; const char *want; } v[] = {
		{ "UTC0", 1700000000, "Tue, 14 Nov 2023 22:13:20 +0000" },
		{ "IST-5:30", 1700000000, "Wed, 15 Nov 2023 03:43:20 +0530" },
		{ "XST+3", 1700000000, "Tue, 14 Nov 2023 19:13:20 -0300" },
		{ "UTC0", 1699056000, "Sat, 04 Nov 2023 00:00:00 +0000" },
		{ "UTC0", 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct buf b = BUF_INIT;
		time_t back = -1;

		tz_set(v[i].tz);
		date_put(&b, v[i].t);
		tz_restore();
		CU_ASSERT_STRING_EQUAL(b.data, v[i].want);
		CU_ASSERT_EQUAL(date_parse(b.data, &back), 0);
		CU_ASSERT_EQUAL(back, v[i].t);
		buf_release(&b);
	}
}

static void test_parse(void)
{
	static const struct { const char *in; long long want; } v[] = {
		{ "Mon, 3 Mar 2025 10:00:00 +0700", 1740970800 },
		{ "3 Mar 2025 10:00 -0000", 1740996000 },
		{ "Mar 3 2025 05:00:00 EST", 1740996000 },
		{ "Monday, 03-Mar-25 10:00:00 GMT", 1740996000 },
		{ "Mon, 3 Mar 2025 10.00.00 +0000", 1740996000 },
	};
	size_t i;
	time_t t;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t = 0;
		CU_ASSERT_EQUAL(date_parse(v[i].in, &t), 0);
		CU_ASSERT_EQUAL((long long)t, v[i].want);
		if ((long long)t != v[i].want)
			fprintf(stderr, "\n'%s': %lld\n", v[i].in, (long long)t);
	}
	CU_ASSERT_EQUAL(date_parse("yesterday", &t), -1);
	CU_ASSERT_EQUAL(date_parse("", &t), -1);
	CU_ASSERT_EQUAL(date_parse("31 Feb 2025 10:00:00 +0000", &t), -1);
}

/* The line of data starting with prefix (up to its LF) appended to out. */
static void line_of(struct buf *out, const char *data, const char *prefix)
{
	const char *p = data, *e;

	while (p && strncmp(p, prefix, strlen(prefix)) != 0) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	e = strchr(p, '\n');
	buf_append(out, p, e ? (size_t)(e - p + 1) : strlen(p));
}

/* Every Date that sendq and the MUA write for time t, one per line. */
static void written_dates(time_t t, struct buf *out)
{
	static char rcpt[] = "b@example.test";
	static const char in[] = "Subject: x\n\nbody\n";
	char *rcpts[] = { rcpt };
	struct enqueue_opts o;
	struct queue_env *env = queue_env_new();
	struct buf body = BUF_INIT, report = BUF_INIT;
	struct err err = ERR_INIT;
	struct compose *c;

	date_put(out, t);
	buf_putc(out, '\n');
	memset(&o, 0, sizeof(o));
	o.rcpts = rcpts;
	o.nrcpts = 1;
	CU_ASSERT_EQUAL_FATAL(enqueue_prepare(&o, NULL, in, strlen(in), t, &body, env, &err), 0);
	line_of(out, body.data, "Date: ");
	queue_env_set_rcpt(env, 0, QUEUE_RCPT_BOUNCED, "550 5.1.1 no");
	bounce_make(env, body.data, body.len, "host.example", t, 0, &report);
	line_of(out, report.data, "Date: ");
	line_of(out, report.data, "Arrival-Date: ");
	c = compose_new(NULL, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(compose_set_draft(c, "To: b@x.test\nSubject: s\n\nhi\n", 28, &err), 0);
	buf_reset(&body);
	CU_ASSERT_EQUAL_FATAL(compose_build(c, t, 0, &body, &err), 0);
	line_of(out, body.data, "Date: ");
	compose_free(c);
	queue_env_free(env);
	buf_release(&body);
	buf_release(&report);
}

/* Registered only when tests/integration/date-locale.sh names a locale
 * it built: the dates must not follow LC_TIME. */
static void test_locale(void)
{
	const char *loc = getenv("SUREL_TEST_LOCALE");
	static const time_t when[] = { 1700000000, 1703000000, 1716000000 };
	char *old_email = getenv("EMAIL") ? xstrdup(getenv("EMAIL")) : NULL;
	struct buf c_dates = BUF_INIT, l_dates = BUF_INIT;
	char c_names[64], l_names[64];
	struct tm tm;
	size_t i;

	setenv("EMAIL", "Ana <ana@example.test>", 1);
	tz_set("CET-1CEST,M3.5.0,M10.5.0/3");
	CU_ASSERT_PTR_NOT_NULL_FATAL(setlocale(LC_ALL, "C"));
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++)
		written_dates(when[i], &c_dates);
	localtime_r(&when[1], &tm);
	strftime(c_names, sizeof(c_names), "%a %b", &tm);

	CU_ASSERT_PTR_NOT_NULL_FATAL(setlocale(LC_ALL, loc));
	/* The locale really names days and months otherwise, so the
	 * comparison below could fail. */
	strftime(l_names, sizeof(l_names), "%a %b", &tm);
	CU_ASSERT(strcmp(c_names, l_names) != 0);
	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++)
		written_dates(when[i], &l_dates);
	setlocale(LC_ALL, "C");
	tz_restore();

	CU_ASSERT_STRING_EQUAL(l_dates.data, c_dates.data);
	if (strcmp(l_dates.data, c_dates.data) != 0)
		fprintf(stderr, "\nC:\n%s%s:\n%s", c_dates.data, loc, l_dates.data);
	CU_ASSERT_PTR_NOT_NULL(strstr(c_dates.data, "Date: Tue, 19 Dec 2023 "));
	if (old_email)
		setenv("EMAIL", old_email, 1);
	else
		unsetenv("EMAIL");
	free(old_email);
	buf_release(&c_dates);
	buf_release(&l_dates);
}

void suite_date(void)
{
	CU_pSuite s = CU_add_suite("date", NULL, NULL);

	CU_add_test(s, "Date written", test_write);
	CU_add_test(s, "dates read", test_parse);
	if (getenv("SUREL_TEST_LOCALE"))
		CU_add_test(s, "written dates do not follow the locale", test_locale);
}
