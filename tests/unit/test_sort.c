#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>

#include "sort.h"
#include "sortspec.h"
#include "sortstate.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static const struct sort_msg msgs[] = {
	/* date, received, size, from, to, subject */
	{ 300, 100, 50, "Carol", "x", "Re: banana" },
	{ 100, 300, 5000, "alice", "Zed", "cherry" },
	{ 200, -1, 700, "Bob", "amy", "RE[2]: Fwd: Apple" },
	{ 200, 200, 50, "bob", "", "apple pie" },
	{ -1, 50, 1, "", "bea", "" },
};
#define N (sizeof(msgs) / sizeof(msgs[0]))

static void expect_order(struct sort *s, enum sortspec_key k, const size_t *want)
{
	const size_t *o = sort_order(s, k);
	size_t i;

	for (i = 0; i < N; i++) {
		if (o[i] != want[i])
			fprintf(stderr, "key %s row %zu: %zu, want %zu\n", sortspec_name(k), i, o[i], want[i]);
		CU_ASSERT_EQUAL(o[i], want[i]);
	}
	/* The same array comes back: the order is kept, not made again. */
	CU_ASSERT_PTR_EQUAL(sort_order(s, k), o);
}

static void test_orders(void)
{
	struct sort *s = sort_new(msgs, N);
	static const size_t by_date[N] = { 4, 1, 2, 3, 0 };
	/* An unknown received time falls back to the date. */
	static const size_t by_recv[N] = { 4, 0, 2, 3, 1 };
	/* Case folded; equal keys in date order, then folder order. */
	static const size_t by_from[N] = { 4, 1, 2, 3, 0 };
	static const size_t by_to[N] = { 3, 2, 4, 0, 1 };
	/* "RE[2]: Fwd: Apple" sorts as "apple", before "apple pie". */
	static const size_t by_subj[N] = { 4, 2, 3, 0, 1 };
	static const size_t by_size[N] = { 4, 0, 3, 2, 1 };

	expect_order(s, SORTSPEC_DATE, by_date);
	expect_order(s, SORTSPEC_RECEIVED, by_recv);
	expect_order(s, SORTSPEC_FROM, by_from);
	expect_order(s, SORTSPEC_TO, by_to);
	expect_order(s, SORTSPEC_SUBJECT, by_subj);
	expect_order(s, SORTSPEC_SIZE, by_size);
	CU_ASSERT(sort_compare(s, SORTSPEC_SIZE, 0, 3) < 0);
	CU_ASSERT(sort_compare(s, SORTSPEC_SIZE, 3, 0) > 0);
	CU_ASSERT_EQUAL(sort_compare(s, SORTSPEC_FROM, 2, 2), 0);
	sort_free(s);
	sort_free(NULL);
}

static void test_rank(void)
{
	struct sort *s = sort_new(msgs, N);
	const size_t *r = sort_rank(s, SORTSPEC_SIZE, 0);

	CU_ASSERT_EQUAL(r[4], 0);
	CU_ASSERT_EQUAL(r[1], 4);
	r = sort_rank(s, SORTSPEC_SIZE, 1);
	CU_ASSERT_EQUAL(r[4], 4);
	CU_ASSERT_EQUAL(r[1], 0);
	sort_free(s);
}

static void test_names(void)
{
	struct sortspec sp;

	CU_ASSERT_EQUAL(sortspec_parse("reverse-date-received", &sp), 0);
	CU_ASSERT_EQUAL(sp.key, SORTSPEC_RECEIVED);
	CU_ASSERT_TRUE(sp.reverse);
	CU_ASSERT_EQUAL(sortspec_parse("date-sent", &sp), 0);
	CU_ASSERT_EQUAL(sp.key, SORTSPEC_DATE);
	CU_ASSERT_FALSE(sp.reverse);
	CU_ASSERT_EQUAL(sortspec_parse("threads", &sp), 0);
	CU_ASSERT_EQUAL(sp.key, SORTSPEC_THREADS);
	CU_ASSERT_EQUAL(sortspec_parse("reverse-", &sp), -1);
	CU_ASSERT_EQUAL(sortspec_parse("Date", &sp), -1);
	CU_ASSERT_EQUAL(sortspec_parse("", &sp), -1);
	CU_ASSERT_STRING_EQUAL(sortspec_name(SORTSPEC_RECEIVED), "date-received");
	CU_ASSERT_EQUAL(sort_key_time("1700000000.M1P2.host"), 1700000000);
	CU_ASSERT_EQUAL(sort_key_time("host.1"), -1);
	CU_ASSERT_STRING_EQUAL(sort_subject_base(" Re: AW: re[3]:  x Re: y"), "x Re: y");
	CU_ASSERT_STRING_EQUAL(sort_subject_base("Rex: y"), "Rex: y");
}

/* 100000 messages with few distinct senders: every order is a sorted
 * permutation (the speed is bench/sort.sh's business). */
static void test_big(void)
{
	size_t n = 100000, i, k;
	struct sort_msg *m = xreallocarray(NULL, n, sizeof(*m));
	char (*names)[32] = xreallocarray(NULL, n, sizeof(*names));
	struct sort *s;

	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "sender %zu", (i * 7919) % 97);
		m[i].date = (time_t)((i * 104729) % 1000003);
		m[i].received = (time_t)i;
		m[i].size = (off_t)((i * 31) % 5000);
		m[i].from = names[i];
		m[i].to = names[(i * 13) % n];
		m[i].subject = names[(i * 17) % n];
	}
	s = sort_new(m, n);
	for (k = 0; k < SORTSPEC_THREADS; k++) {
		const size_t *o = sort_order(s, (enum sortspec_key)k);

		for (i = 1; i < n; i++)
			if (sort_compare(s, (enum sortspec_key)k, o[i - 1], o[i]) >= 0)
				break;
		CU_ASSERT_EQUAL(i, n);
	}
	sort_free(s);
	free(names);
	free(m);
}

/* The order per folder: kept, replaced, other folders' lines left alone;
 * a foreign file is no memory. */
static void test_state(void)
{
	static const char foreign[] = "something else\n1 date date /x\n";
	const char *dir = tutil_tmpdir();
	char *old = getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) : NULL;
	char *a = xasprintf("%s/A", dir), *b = xasprintf("%s/B b", dir), *file;
	struct sortstate st, got;
	struct err err = ERR_INIT;

	setenv("XDG_STATE_HOME", dir, 1);
	CU_ASSERT_EQUAL(mkdir(a, 0700), 0);
	CU_ASSERT_EQUAL(mkdir(b, 0700), 0);
	CU_ASSERT_EQUAL(sortstate_get(a, &got), 0);
	memset(&st, 0, sizeof(st));
	st.sort.key = SORTSPEC_SUBJECT;
	st.sort.reverse = 1;
	CU_ASSERT_EQUAL(sortstate_put(a, &st, &err), 0);
	st.threads = 1;
	st.aux.key = SORTSPEC_SIZE;
	CU_ASSERT_EQUAL(sortstate_put(b, &st, &err), 0);
	CU_ASSERT_EQUAL_FATAL(sortstate_get(a, &got), 1);
	CU_ASSERT_EQUAL(got.sort.key, SORTSPEC_SUBJECT);
	CU_ASSERT_TRUE(got.sort.reverse);
	CU_ASSERT_FALSE(got.threads);
	CU_ASSERT_EQUAL_FATAL(sortstate_get(b, &got), 1);
	CU_ASSERT_TRUE(got.threads);
	CU_ASSERT_EQUAL(got.aux.key, SORTSPEC_SIZE);
	st.sort.key = SORTSPEC_FROM;
	CU_ASSERT_EQUAL(sortstate_put(a, &st, &err), 0);
	CU_ASSERT_EQUAL_FATAL(sortstate_get(a, &got), 1);
	CU_ASSERT_EQUAL(got.sort.key, SORTSPEC_FROM);
	CU_ASSERT_EQUAL_FATAL(sortstate_get(b, &got), 1);
	CU_ASSERT_EQUAL(got.sort.key, SORTSPEC_SUBJECT);
	file = xasprintf("%s/surel/sort-order", dir);
	CU_ASSERT_EQUAL(tutil_write(file, foreign, sizeof(foreign) - 1), 0);
	CU_ASSERT_EQUAL(sortstate_get(a, &got), 0);
	free(file);
	if (old)
		setenv("XDG_STATE_HOME", old, 1);
	else
		unsetenv("XDG_STATE_HOME");
	free(old);
	free(a);
	free(b);
	tutil_rmtree();
}

void suite_sort(void)
{
	CU_pSuite s = CU_add_suite("sort", NULL, NULL);

	CU_add_test(s, "orders", test_orders);
	CU_add_test(s, "rank", test_rank);
	CU_add_test(s, "names", test_names);
	CU_add_test(s, "kept per folder", test_state);
	CU_add_test(s, "100k messages", test_big);
}
