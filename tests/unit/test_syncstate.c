/*
 * syncstate: records, pending appends, the journal and its replay, the
 * generation that makes a journal older than its state count for nothing,
 * and a last journal line cut by a crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "suites.h"
#include "syncstate.h"
#include "tutil.h"
#include "xalloc.h"

static char *spath;

static struct syncstate *open_state(void)
{
	struct err err = ERR_INIT;
	struct syncstate *st = NULL;

	CU_ASSERT_EQUAL_FATAL(syncstate_open(spath, &st, &err), 0);
	return st;
}

static void test_journal_replay(void)
{
	struct err err = ERR_INIT;
	struct syncstate *st = open_state();
	struct syncstate_rec *r;

	CU_ASSERT_EQUAL(syncstate_count(st), 0);
	syncstate_reset(st, 77);
	CU_ASSERT_EQUAL(syncstate_save(st, &err), 0);
	syncstate_put(st, 1, "SF", "k1");
	syncstate_put(st, 2, "", "k 2 with blanks");
	syncstate_put(st, 3, "T", "k3");
	syncstate_drop(st, 3);
	syncstate_set_flags(st, syncstate_by_uid(st, 2), "RSX");
	syncstate_pend(st, "k4", 10, 123, "0123456789abcdef");
	CU_ASSERT_EQUAL(syncstate_commit(st, &err), 0);
	/* Buffered, not committed: lost with the process. */
	syncstate_put(st, 5, "S", "k5");
	syncstate_free(st);

	st = open_state();
	CU_ASSERT_EQUAL(syncstate_uidvalidity(st), 77);
	r = syncstate_by_uid(st, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->flags, "FS");
	CU_ASSERT_STRING_EQUAL(r->key, "k1");
	r = syncstate_by_key(st, "k 2 with blanks");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->uid, 2);
	CU_ASSERT_STRING_EQUAL(r->flags, "RS");
	CU_ASSERT_PTR_NULL(syncstate_by_uid(st, 3));
	CU_ASSERT_PTR_NULL(syncstate_by_uid(st, 5));
	CU_ASSERT_EQUAL_FATAL(syncstate_pend_count(st), 1);
	CU_ASSERT_STRING_EQUAL(syncstate_pend_at(st, 0)->key, "k4");
	CU_ASSERT_EQUAL(syncstate_pend_at(st, 0)->size, 123);
	CU_ASSERT_EQUAL(syncstate_pend_at(st, 0)->uidnext, 10);
	/* The append got its record: no longer pending. */
	syncstate_put(st, 9, "S", "k4");
	CU_ASSERT_EQUAL(syncstate_pend_count(st), 0);
	syncstate_set_folder(st, 11, 500);
	CU_ASSERT_EQUAL(syncstate_save(st, &err), 0);
	syncstate_free(st);

	st = open_state();
	CU_ASSERT_EQUAL(syncstate_uidnext(st), 11);
	CU_ASSERT_EQUAL(syncstate_modseq(st), 500);
	CU_ASSERT_PTR_NOT_NULL(syncstate_by_uid(st, 9));
	CU_ASSERT_PTR_NOT_NULL(syncstate_by_uid(st, 2));
	syncstate_free(st);
}

/* A crash between the rename of a new state and the unlink of the
 * journal it folded in: the old journal must not be replayed (here it
 * would bring back a dropped record). */
static void test_stale_journal(void)
{
	struct err err = ERR_INIT;
	struct syncstate *st = open_state();
	char *jpath = xasprintf("%s.journal", spath), *old = NULL;
	size_t len;

	syncstate_reset(st, 5);
	CU_ASSERT_EQUAL(syncstate_save(st, &err), 0);
	syncstate_put(st, 1, "S", "a");
	CU_ASSERT_EQUAL(syncstate_commit(st, &err), 0);
	CU_ASSERT_EQUAL(afile_read(jpath, 0, &old, &len, &err), 0);
	syncstate_drop(st, 1);
	CU_ASSERT_EQUAL(syncstate_save(st, &err), 0);
	syncstate_free(st);
	CU_ASSERT_EQUAL(tutil_write(jpath, old, len), 0);
	st = open_state();
	CU_ASSERT_PTR_NULL(syncstate_by_uid(st, 1));
	syncstate_free(st);
	free(old);
	free(jpath);
}

static void test_torn_and_bad(void)
{
	struct err err = ERR_INIT;
	struct syncstate *st = open_state();
	char *jpath = xasprintf("%s.journal", spath);
	const char *torn = "j 1\nm 1 S a\nm 2 S b";
	const char *bad = "version 1\ngeneration 1\nm x S a\n";

	syncstate_reset(st, 5);
	CU_ASSERT_EQUAL(syncstate_save(st, &err), 0);
	syncstate_free(st);
	CU_ASSERT_EQUAL(tutil_write(jpath, torn, strlen(torn)), 0);
	st = open_state();
	CU_ASSERT_PTR_NOT_NULL(syncstate_by_uid(st, 1));
	CU_ASSERT_PTR_NULL(syncstate_by_uid(st, 2));
	syncstate_free(st);
	unlink(jpath);
	CU_ASSERT_EQUAL(tutil_write(spath, bad, strlen(bad)), 0);
	st = NULL;
	CU_ASSERT_EQUAL(syncstate_open(spath, &st, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ":3:"));
	free(jpath);
}

/* Many records: the tables grow, drops leave no stale entries. */
static void test_many(void)
{
	struct syncstate *st = open_state();
	char key[32];
	uint32_t i;

	for (i = 1; i <= 5000; i++) {
		snprintf(key, sizeof(key), "key%u", i);
		syncstate_put(st, i, "S", key);
		if (i % 3 == 0)
			syncstate_drop(st, i);
	}
	/* Put again under another key: the old key is gone. */
	syncstate_put(st, 1, "", "renamed");
	CU_ASSERT_PTR_NULL(syncstate_by_key(st, "key1"));
	CU_ASSERT_EQUAL(syncstate_by_key(st, "renamed")->uid, 1);
	for (i = 2; i <= 5000; i++) {
		snprintf(key, sizeof(key), "key%u", i);
		if (i % 3 == 0) {
			CU_ASSERT_PTR_NULL(syncstate_by_key(st, key));
		} else {
			CU_ASSERT_EQUAL(syncstate_by_key(st, key)->uid, i);
		}
	}
	syncstate_free(st);
}

static void setup(void)
{
	spath = xasprintf("%s/s.state", tutil_tmpdir());
}

static void teardown(void)
{
	free(spath);
	spath = NULL;
	tutil_rmtree();
}

void suite_syncstate(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("syncstate", NULL, NULL, setup, teardown);

	CU_add_test(s, "journal replay, pending appends, save", test_journal_replay);
	CU_add_test(s, "a journal older than its state is ignored", test_stale_journal);
	CU_add_test(s, "a torn last line; a bad line", test_torn_and_bad);
	CU_add_test(s, "many records", test_many);
}
