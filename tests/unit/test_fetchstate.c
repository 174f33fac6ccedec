#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "err.h"
#include "fetchstate.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", tutil_tmpdir(), rel);
}

static void test_missing_is_empty(void)
{
	struct err err = ERR_INIT;
	struct fetchstate *st = NULL;
	char *p = tpath("none.state");

	CU_ASSERT_EQUAL(fetchstate_load(p, &st, &err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(fetchstate_uidvalidity(st), 0);
	CU_ASSERT_EQUAL(fetchstate_last_uid(st), 0);
	CU_ASSERT_EQUAL(fetchstate_uidl_count(st), 0);
	CU_ASSERT_FALSE(fetchstate_has_uidl(st, "x"));
	fetchstate_free(st);
	free(p);
}

static void test_imap_round_trip(void)
{
	struct err err = ERR_INIT;
	struct fetchstate *st = fetchstate_new(), *back = NULL;
	char *p = tpath("imap.state"), *data;
	size_t len;

	fetchstate_set_uidvalidity(st, 1700000000u);
	fetchstate_set_last_uid(st, 4711);
	CU_ASSERT_EQUAL(fetchstate_save(st, p, &err), 0);
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT_STRING_EQUAL(data, "version 1\nuidvalidity 1700000000\nlast_uid 4711\n");
	free(data);
	CU_ASSERT_EQUAL(fetchstate_load(p, &back, &err), 0);
	CU_ASSERT_EQUAL(fetchstate_uidvalidity(back), 1700000000u);
	CU_ASSERT_EQUAL(fetchstate_last_uid(back), 4711);
	/* A new UIDVALIDITY is a new numbering: the old mark is void. */
	fetchstate_set_uidvalidity(back, 1700000000u);
	CU_ASSERT_EQUAL(fetchstate_last_uid(back), 4711);
	fetchstate_set_uidvalidity(back, 5);
	CU_ASSERT_EQUAL(fetchstate_last_uid(back), 0);
	fetchstate_free(st);
	fetchstate_free(back);
	free(p);
}

static void test_uidl_set(void)
{
	struct err err = ERR_INIT;
	struct fetchstate *st = fetchstate_new(), *back = NULL;
	char *p = tpath("pop3.state");
	char *keep[] = { "b", "zz", "a" };
	char *drop[] = { "zz" };

	fetchstate_add_uidl(st, "zz");
	fetchstate_add_uidl(st, "a");
	fetchstate_add_uidl(st, "b");
	fetchstate_add_uidl(st, "a");
	fetchstate_add_uidl(st, "gone");
	CU_ASSERT_TRUE(fetchstate_has_uidl(st, "a"));
	CU_ASSERT_TRUE(fetchstate_has_uidl(st, "zz"));
	CU_ASSERT_FALSE(fetchstate_has_uidl(st, "c"));
	CU_ASSERT_EQUAL(fetchstate_uidl_count(st), 4);
	fetchstate_retain_uidls(st, keep, 3);
	CU_ASSERT_FALSE(fetchstate_has_uidl(st, "gone"));
	CU_ASSERT_EQUAL(fetchstate_uidl_count(st), 3);
	CU_ASSERT_EQUAL(fetchstate_save(st, p, &err), 0);
	CU_ASSERT_EQUAL(fetchstate_load(p, &back, &err), 0);
	CU_ASSERT_EQUAL(fetchstate_uidl_count(back), 3);
	CU_ASSERT_TRUE(fetchstate_has_uidl(back, "b"));
	fetchstate_drop_uidls(back, drop, 1);
	CU_ASSERT_FALSE(fetchstate_has_uidl(back, "zz"));
	CU_ASSERT_EQUAL(fetchstate_uidl_count(back), 2);
	fetchstate_retain_uidls(back, NULL, 0);
	CU_ASSERT_EQUAL(fetchstate_uidl_count(back), 0);
	fetchstate_free(st);
	fetchstate_free(back);
	free(p);
}

static void test_uidl_valid(void)
{
	char long_uidl[80];

	memset(long_uidl, 'a', sizeof(long_uidl));
	long_uidl[70] = '\0';
	CU_ASSERT_TRUE(fetchstate_uidl_valid(long_uidl));
	long_uidl[70] = 'a';
	long_uidl[71] = '\0';
	CU_ASSERT_FALSE(fetchstate_uidl_valid(long_uidl));
	CU_ASSERT_FALSE(fetchstate_uidl_valid(""));
	CU_ASSERT_FALSE(fetchstate_uidl_valid("a b"));
	CU_ASSERT_FALSE(fetchstate_uidl_valid("a\x7f"));
	CU_ASSERT_TRUE(fetchstate_uidl_valid("000000017a2b3c4d/:!~"));
}

/* Damaged files are refused with EX_DATAERR, never taken as empty. */
static void test_bad_files(void)
{
	static const char *const bad[] = {
		"",
		"version 2\n",
		"uidvalidity 1\nversion 1\n",
		"version 1\nuidvalidity x\n",
		"version 1\nuidvalidity 4294967296\n",
		"version 1\nlast_uid -1\n",
		"version 1\nuidl a b\n",
		"version 1\nfrobnicate 1\n",
		"version 1\nlast_uid 5",
		"version 1\nnovalue\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;
		struct fetchstate *st = NULL;
		char *p = tpath("bad.state");

		CU_ASSERT_EQUAL(tutil_write(p, bad[i], strlen(bad[i])), 0);
		CU_ASSERT_EQUAL(fetchstate_load(p, &st, &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_DATAERR);
		CU_ASSERT_PTR_NULL(st);
		free(p);
	}
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_fetchstate(void)
{
	CU_pSuite s = CU_add_suite("fetchstate", NULL, cleanup);

	CU_add_test(s, "missing file is an empty state", test_missing_is_empty);
	CU_add_test(s, "IMAP round trip", test_imap_round_trip);
	CU_add_test(s, "UIDL set", test_uidl_set);
	CU_add_test(s, "UIDL validity", test_uidl_valid);
	CU_add_test(s, "damaged files", test_bad_files);
}
