#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "suites.h"
#include "syncstatus.h"
#include "tutil.h"
#include "xalloc.h"

static char *saved_state;

static int setup(void)
{
	const char *v = getenv("XDG_STATE_HOME");

	saved_state = v ? xstrdup(v) : NULL;
	return 0;
}

static int teardown(void)
{
	if (saved_state)
		setenv("XDG_STATE_HOME", saved_state, 1);
	else
		unsetenv("XDG_STATE_HOME");
	free(saved_state);
	saved_state = NULL;
	tutil_rmtree();
	return 0;
}

static void use_tmp_state(void)
{
	setenv("XDG_STATE_HOME", tutil_tmpdir(), 1);
}

static void test_missing(void)
{
	struct syncstatus st;
	struct err err = ERR_INIT;
	char text[64];

	use_tmp_state();
	CU_ASSERT_EQUAL(syncstatus_read("nobody", &st, &err), 0);
	CU_ASSERT_EQUAL(st.success, 0);
	CU_ASSERT_EQUAL(st.failure, 0);
	CU_ASSERT_FALSE(st.running);
	syncstatus_text(&st, 1000, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "");
}

static void test_round_trip(void)
{
	struct syncstatus st;
	struct err err = ERR_INIT;
	char *path;

	use_tmp_state();
	syncstatus_begin("a/b c");
	CU_ASSERT_EQUAL(syncstatus_read("a/b c", &st, &err), 0);
	CU_ASSERT_TRUE(st.running);
	CU_ASSERT_EQUAL(st.pid, getpid());
	CU_ASSERT_EQUAL(st.success, 0);
	/* The account name is one safe file name part. */
	path = syncstatus_path("a/b c");
	CU_ASSERT_PTR_NOT_NULL(strstr(path, "/surel/sync/a%2Fb%20c.status"));
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	free(path);

	syncstatus_end("a/b c", 0, "server said\r\nno \033[31mway");
	CU_ASSERT_EQUAL(syncstatus_read("a/b c", &st, &err), 0);
	CU_ASSERT_FALSE(st.running);
	CU_ASSERT_NOT_EQUAL(st.failure, 0);
	CU_ASSERT_EQUAL(st.success, 0);
	CU_ASSERT_PTR_NULL(strchr(st.reason, '\n'));
	CU_ASSERT_PTR_NULL(strchr(st.reason, '\033'));
	CU_ASSERT_PTR_NOT_NULL(strstr(st.reason, "server said"));

	syncstatus_end("a/b c", 1, NULL);
	CU_ASSERT_EQUAL(syncstatus_read("a/b c", &st, &err), 0);
	CU_ASSERT_NOT_EQUAL(st.success, 0);
	/* The last failure stays on record, and is older. */
	CU_ASSERT_NOT_EQUAL(st.failure, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.reason, "server said"));
}

static void test_text(void)
{
	struct syncstatus st;
	char text[300];

	memset(&st, 0, sizeof(st));
	st.success = 1000;
	syncstatus_text(&st, 1005, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "synced just now");
	syncstatus_text(&st, 1000 + 150, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "synced 2 min ago");
	syncstatus_text(&st, 1000 + 7300, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "synced 2 h ago");
	st.failure = 1100;
	strcpy(st.reason, "connection refused");
	syncstatus_text(&st, 1130, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "sync failed 30 s ago: connection refused");
	st.running = 1;
	syncstatus_text(&st, 1130, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "syncing");
	/* A success after the failure hides it. */
	st.running = 0;
	st.success = 1200;
	syncstatus_text(&st, 1200, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "synced just now");
}

static void test_dead_pid(void)
{
	struct syncstatus st;
	struct err err = ERR_INIT;
	char *path;
	static const char rec[] = "version 1\nrunning 1\npid 999999999\nsuccess 5\nbogus line\n";

	use_tmp_state();
	syncstatus_end("d", 1, NULL);
	path = syncstatus_path("d");
	CU_ASSERT_EQUAL_FATAL(tutil_write(path, rec, sizeof(rec) - 1), 0);
	free(path);
	CU_ASSERT_EQUAL(syncstatus_read("d", &st, &err), 0);
	CU_ASSERT_FALSE(st.running);
	CU_ASSERT_EQUAL(st.success, 5);
}

void suite_syncstatus(void)
{
	CU_pSuite s = CU_add_suite("syncstatus", setup, teardown);

	CU_add_test(s, "a missing record", test_missing);
	CU_add_test(s, "begin, failure, success", test_round_trip);
	CU_add_test(s, "status line text", test_text);
	CU_add_test(s, "a killed sync is not running", test_dead_pid);
}
