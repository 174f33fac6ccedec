#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "err.h"
#include "suites.h"

static void test_init_is_empty_string(void)
{
	struct buf b = BUF_INIT;

	CU_ASSERT_PTR_NOT_NULL(b.data);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_STRING_EQUAL(b.data, "");
	buf_release(&b);
	CU_ASSERT_STRING_EQUAL(b.data, "");
}

static void test_append_and_nul(void)
{
	struct buf b = BUF_INIT;
	int i;

	buf_append(&b, "a\0b", 3);
	CU_ASSERT_EQUAL(b.len, 3);
	CU_ASSERT_EQUAL(memcmp(b.data, "a\0b", 4), 0);
	for (i = 0; i < 10000; i++)
		buf_putc(&b, 'x');
	CU_ASSERT_EQUAL(b.len, 10003);
	CU_ASSERT_EQUAL(b.data[b.len], '\0');
	buf_truncate(&b, 2);
	CU_ASSERT_EQUAL(b.len, 2);
	CU_ASSERT_EQUAL(b.data[2], '\0');
	buf_release(&b);
}

static void test_printf_grows(void)
{
	struct buf b = BUF_INIT;
	char big[3000];

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "%d-%s", 42, "x");
	CU_ASSERT_STRING_EQUAL(b.data, "42-x");
	buf_printf(&b, "%s", big);
	CU_ASSERT_EQUAL(b.len, 4 + sizeof(big) - 1);
	buf_printf(&b, "!");
	CU_ASSERT_EQUAL(b.data[b.len - 1], '!');
	buf_release(&b);
}

static void test_max_cuts_and_flags(void)
{
	struct buf b = BUF_INIT;

	b.max = 5;
	buf_puts(&b, "abc");
	CU_ASSERT_FALSE(b.overflow);
	buf_puts(&b, "defgh");
	CU_ASSERT_TRUE(b.overflow);
	CU_ASSERT_STRING_EQUAL(b.data, "abcde");
	buf_printf(&b, "%s", "zzz");
	CU_ASSERT_EQUAL(b.len, 5);
	buf_release(&b);
	CU_ASSERT_EQUAL(b.max, 5);
}

static void test_detach(void)
{
	struct buf b = BUF_INIT;
	size_t n;
	char *s;

	s = buf_detach(&b, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	buf_puts(&b, "hello");
	s = buf_detach(&b, &n);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_STRING_EQUAL(s, "hello");
	CU_ASSERT_EQUAL(b.len, 0);
	free(s);
}

/* buf_wipe releases like buf_release (an empty buffer included) and keeps
 * the limit. */
static void test_wipe(void)
{
	struct buf b = BUF_INIT;

	buf_wipe(&b);
	CU_ASSERT_STRING_EQUAL(b.data, "");
	b.max = 100;
	buf_puts(&b, "secret");
	buf_wipe(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(b.cap, 0);
	CU_ASSERT_EQUAL(b.max, 100);
	CU_ASSERT_STRING_EQUAL(b.data, "");
}

static void test_err_prefix_and_temp(void)
{
	struct err e = ERR_INIT;
	char longer[400];

	CU_ASSERT_EQUAL(err_set(&e, EX_DATAERR, "bad '%s'", "x"), -1);
	err_prefix(&e, "file '%s'", "f");
	CU_ASSERT_STRING_EQUAL(e.msg, "file 'f': bad 'x'");
	CU_ASSERT_FALSE(err_is_temp(&e));
	err_set(&e, EX_TEMPFAIL, "later");
	CU_ASSERT_TRUE(err_is_temp(&e));
	memset(longer, 'p', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	err_prefix(&e, "%s", longer);
	CU_ASSERT_EQUAL(strlen(e.msg), sizeof(e.msg) - 1);
	errno = ENOENT;
	err_sys(&e, EX_NOINPUT, "cannot open '%s'", "y");
	CU_ASSERT_EQUAL(e.errnum, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "cannot open 'y': "));
}

void suite_buf(void)
{
	CU_pSuite s = CU_add_suite("buf", NULL, NULL);

	CU_add_test(s, "init is an empty string", test_init_is_empty_string);
	CU_add_test(s, "append keeps NULs and terminates", test_append_and_nul);
	CU_add_test(s, "printf grows", test_printf_grows);
	CU_add_test(s, "max cuts and flags overflow", test_max_cuts_and_flags);
	CU_add_test(s, "detach", test_detach);
	CU_add_test(s, "wipe", test_wipe);
	CU_add_test(s, "err prefix, temp class, errno", test_err_prefix_and_temp);
}
