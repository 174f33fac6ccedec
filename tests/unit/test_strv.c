#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "strv.h"
#include "suites.h"
#include "xalloc.h"

static void test_push(void)
{
	struct strv s = STRV_INIT;
	char word[] = "copied";
	size_t i;

	strv_push(&s, word);
	/* A copy: changing the original changes nothing in s. */
	word[0] = 'C';
	strv_push_owned(&s, xstrdup("owned"));
	CU_ASSERT_EQUAL_FATAL(s.n, 2);
	CU_ASSERT_STRING_EQUAL(s.v[0], "copied");
	CU_ASSERT_STRING_EQUAL(s.v[1], "owned");
	CU_ASSERT_PTR_NULL(s.v[2]);
	/* Growing keeps order and the NULL after the last. */
	for (i = 0; i < 1000; i++)
		strv_push(&s, i % 2 ? "odd" : "even");
	CU_ASSERT_EQUAL(s.n, 1002);
	CU_ASSERT_STRING_EQUAL(s.v[1001], "odd");
	CU_ASSERT_PTR_NULL(s.v[1002]);
	strv_release(&s);
	CU_ASSERT_PTR_NULL(s.v);
	CU_ASSERT_EQUAL(s.n, 0);
	/* Released twice, or never used: nothing to free. */
	strv_release(&s);
	strv_push(&s, "again");
	CU_ASSERT_STRING_EQUAL(s.v[0], "again");
	strv_release(&s);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_len(const void *a, const void *b)
{
	size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);

	return x < y ? -1 : x > y;
}

static void test_sort_unique(void)
{
	static const char *const in[] = { "b", "a", "c", "a", "b", "b" };
	struct strv s = STRV_INIT;
	size_t i;

	strv_sort_unique(&s, by_str);
	CU_ASSERT_EQUAL(s.n, 0);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		strv_push(&s, in[i]);
	strv_sort_unique(&s, by_str);
	CU_ASSERT_EQUAL_FATAL(s.n, 3);
	CU_ASSERT_STRING_EQUAL(s.v[0], "a");
	CU_ASSERT_STRING_EQUAL(s.v[1], "b");
	CU_ASSERT_STRING_EQUAL(s.v[2], "c");
	CU_ASSERT_PTR_NULL(s.v[3]);
	/* Equal is what cmp says: one string of each length stays. */
	strv_push(&s, "xx");
	strv_push(&s, "yyy");
	strv_sort_unique(&s, by_len);
	CU_ASSERT_EQUAL_FATAL(s.n, 3);
	CU_ASSERT_EQUAL(strlen(s.v[0]), 1);
	CU_ASSERT_STRING_EQUAL(s.v[1], "xx");
	CU_ASSERT_STRING_EQUAL(s.v[2], "yyy");
	strv_release(&s);
}

static void test_split(void)
{
	struct strv s = STRV_INIT;

	strv_split(&s, NULL, ", ");
	CU_ASSERT_EQUAL(s.n, 0);
	strv_split(&s, ", ,INBOX, Lists.*  ,", ", ");
	strv_split(&s, "x", ", ");
	CU_ASSERT_EQUAL_FATAL(s.n, 3);
	CU_ASSERT_STRING_EQUAL(s.v[0], "INBOX");
	CU_ASSERT_STRING_EQUAL(s.v[1], "Lists.*");
	CU_ASSERT_STRING_EQUAL(s.v[2], "x");
	CU_ASSERT_PTR_NULL(s.v[3]);
	strv_release(&s);
}

void suite_strv(void)
{
	CU_pSuite s = CU_add_suite("strv", NULL, NULL);

	CU_add_test(s, "push, push_owned, release", test_push);
	CU_add_test(s, "sort_unique", test_sort_unique);
	CU_add_test(s, "split", test_split);
}
