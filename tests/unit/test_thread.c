#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>

#include "suites.h"
#include "thread.h"
#include "xalloc.h"

/* Every message appears in exactly one row, and row_of inverts msg_at. */
static void check_permutation(const struct thread *t, size_t n)
{
	unsigned char *seen = xcalloc(n ? n : 1, 1);
	size_t r;

	CU_ASSERT_EQUAL(thread_count(t), n);
	for (r = 0; r < n; r++) {
		size_t m = thread_msg_at(t, r);

		CU_ASSERT_FATAL(m < n);
		CU_ASSERT_FALSE(seen[m]);
		seen[m] = 1;
		CU_ASSERT_EQUAL(thread_row_of(t, m), r);
	}
	free(seen);
}

/* The rows draw a tree: the first row starts a thread and going down a
 * row goes at most one level deeper. */
static void check_tree_shape(const struct thread *t, size_t n)
{
	size_t r;

	if (n)
		CU_ASSERT_EQUAL(thread_depth(t, thread_msg_at(t, 0)), 0);
	for (r = 1; r < n; r++)
		CU_ASSERT(thread_depth(t, thread_msg_at(t, r)) <=
			  thread_depth(t, thread_msg_at(t, r - 1)) + 1);
}

/* The parent of message m as the screen shows it: the nearest row above
 * one level up; (size_t)-1 for the first message of a thread. */
static size_t parent_of(const struct thread *t, size_t m)
{
	size_t d = thread_depth(t, m), r = thread_row_of(t, m);

	if (d == 0)
		return (size_t)-1;
	while (r-- > 0)
		if (thread_depth(t, thread_msg_at(t, r)) == d - 1)
			return thread_msg_at(t, r);
	return (size_t)-2;
}

static void test_simple(void)
{
	/* 0 <- 1 <- 2, 0 <- 3; 4 alone; input order scrambled by date */
	struct thread_msg m[] = {
		{ "a@x", NULL, NULL, 100 },
		{ "b@x", "a@x", "a@x", 200 },
		{ "c@x", "b@x", "a@x b@x", 300 },
		{ "d@x", "a@x", NULL, 250 },
		{ "e@x", NULL, NULL, 150 },
	};
	struct thread *t = thread_build(m, 5);
	size_t want[] = { 0, 1, 2, 3, 4 };
	size_t r;

	check_permutation(t, 5);
	check_tree_shape(t, 5);
	for (r = 0; r < 5; r++)
		CU_ASSERT_EQUAL(thread_msg_at(t, r), want[r]);
	CU_ASSERT_EQUAL(thread_depth(t, 2), 2);
	CU_ASSERT_EQUAL(parent_of(t, 3), 0);
	CU_ASSERT_EQUAL(parent_of(t, 4), (size_t)-1);
	thread_free(t);
}

static void test_tree_drawing(void)
{
	struct thread_msg m[] = {
		{ "a@x", NULL, NULL, 1 },
		{ "b@x", "a@x", NULL, 2 },
		{ "c@x", "b@x", "a@x b@x", 3 },
		{ "d@x", "a@x", NULL, 4 },
	};
	struct thread *t = thread_build(m, 4);
	struct buf b = BUF_INIT;

	thread_tree(t, 0, 10, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "");
	buf_reset(&b);
	thread_tree(t, 1, 10, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "\u251c\u2500>");
	buf_reset(&b);
	thread_tree(t, 2, 10, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "\u2502 \u2514\u2500>");
	buf_reset(&b);
	thread_tree(t, 3, 10, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "\u2514\u2500>");
	buf_reset(&b);
	/* Only the nearest level when capped. */
	thread_tree(t, 2, 1, &b);
	CU_ASSERT_STRING_EQUAL(b.data, "\u2514\u2500>");
	buf_release(&b);
	thread_free(t);
}

static void test_missing_parent(void)
{
	/* Two replies to a message that is not in the folder stay one
	 * thread, under the earlier reply; a grandchild through a missing
	 * middle message attaches to the nearest present ancestor. */
	struct thread_msg m[] = {
		{ "r2@x", "gone@x", "gone@x", 20 },
		{ "r1@x", "gone@x", "gone@x", 10 },
		{ "top@x", NULL, NULL, 5 },
		{ "deep@x", "mid@x", "top@x mid@x", 30 },
	};
	struct thread *t = thread_build(m, 4);

	check_permutation(t, 4);
	check_tree_shape(t, 4);
	CU_ASSERT_EQUAL(parent_of(t, 1), (size_t)-1);
	CU_ASSERT_EQUAL(parent_of(t, 0), 1);
	CU_ASSERT_EQUAL(parent_of(t, 3), 2);
	CU_ASSERT_EQUAL(thread_msg_at(t, 0), 2);
	thread_free(t);
}

static void test_cycles(void)
{
	/* a says it replies to b, b to a; c references itself; d and e
	 * reference each other through References chains. */
	struct thread_msg m[] = {
		{ "a@x", "b@x", "b@x", 1 },
		{ "b@x", "a@x", "a@x", 2 },
		{ "c@x", "c@x", "c@x", 3 },
		{ "d@x", NULL, "e@x f@x", 4 },
		{ "e@x", NULL, "f@x d@x", 5 },
		{ "f@x", NULL, "d@x e@x", 6 },
	};
	struct thread *t = thread_build(m, 6);

	check_permutation(t, 6);
	check_tree_shape(t, 6);
	CU_ASSERT_EQUAL(parent_of(t, 2), (size_t)-1);
	thread_free(t);
}

static void test_duplicates_and_missing_ids(void)
{
	struct thread_msg m[] = {
		{ "a@x", NULL, NULL, 1 },
		{ "a@x", NULL, NULL, 2 },
		{ NULL, NULL, NULL, 3 },
		{ "", "a@x", NULL, 4 },
		{ "b@x", NULL, "  a@x \t ", 5 },
	};
	struct thread *t = thread_build(m, 5);

	check_permutation(t, 5);
	check_tree_shape(t, 5);
	CU_ASSERT_EQUAL(parent_of(t, 1), (size_t)-1);
	CU_ASSERT_EQUAL(parent_of(t, 3), 0);
	CU_ASSERT_EQUAL(parent_of(t, 4), 0);
	thread_free(t);
}

static void test_empty(void)
{
	struct thread *t = thread_build(NULL, 0);

	CU_ASSERT_EQUAL(thread_count(t), 0);
	thread_free(t);
	thread_free(NULL);
}

/* 100000 messages: threads of varied shape plus one chain 20000 deep (too
 * deep for a recursive walk), in shuffled order.  No bound on the time: a
 * loaded machine or the sanitizers can make any bound fail; speed is
 * measured by bench/. */
static void test_big(void)
{
	enum { N = 100000, CHAIN = 20000 };
	struct thread_msg *m = xcalloc(N, sizeof(*m));
	char **ids = xcalloc(N, sizeof(*ids));
	char **refs = xcalloc(N, sizeof(*refs));
	struct thread *t;
	unsigned seed = 42;
	size_t i;

	for (i = 0; i < N; i++) {
		ids[i] = xasprintf("m%zu@big", i);
		m[i].message_id = ids[i];
		m[i].date = (time_t)i;
		if (i < CHAIN) {
			if (i > 0)
				m[i].in_reply_to = ids[i - 1];
		} else if (i % 10) {
			/* Groups of ten: each replies to an earlier member. */
			size_t root = i - i % 10;
			size_t p = root + (size_t)rand_r(&seed) % (i % 10);

			refs[i] = xasprintf("%s %s", ids[root], ids[p]);
			m[i].references = refs[i];
			m[i].in_reply_to = ids[p];
		}
	}
	/* Shuffle the input order. */
	for (i = N - 1; i > 0; i--) {
		size_t j = (size_t)rand_r(&seed) % (i + 1);
		struct thread_msg tmp = m[i];

		m[i] = m[j];
		m[j] = tmp;
	}
	t = thread_build(m, N);
	check_permutation(t, N);
	check_tree_shape(t, N);
	{
		size_t deepest = 0;

		for (i = 0; i < N; i++)
			if (thread_depth(t, i) > deepest)
				deepest = thread_depth(t, i);
		CU_ASSERT_EQUAL(deepest, CHAIN - 1);
	}
	thread_free(t);
	for (i = 0; i < N; i++) {
		free(ids[i]);
		free(refs[i]);
	}
	free(ids);
	free(refs);
	free(m);
}

void suite_thread(void)
{
	CU_pSuite s = CU_add_suite("thread", NULL, NULL);

	CU_add_test(s, "simple", test_simple);
	CU_add_test(s, "tree drawing", test_tree_drawing);
	CU_add_test(s, "missing parent", test_missing_parent);
	CU_add_test(s, "cycles", test_cycles);
	CU_add_test(s, "duplicates and missing ids", test_duplicates_and_missing_ids);
	CU_add_test(s, "empty", test_empty);
	CU_add_test(s, "100k messages", test_big);
}
