/*
 * idxhint: the names of an index's files, the indexer's side of the
 * protocol (rounds while the mark comes back, nothing when another holds
 * the lock, the mark kept when a refresh fails) and the writer's side as
 * far as it runs without starting a process (no index, the key off, the
 * lock held).  Starting the indexer is the integration tests'
 * (tests/integration/search-hints.sh).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "cfg.h"
#include "idxhint.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static char dir[4096];
static char *root;

/* A fresh $XDG_CACHE_HOME and Maildir root for one test. */
static void setup(void)
{
	char *cache;

	snprintf(dir, sizeof(dir), "%s", tutil_tmpdir());
	cache = xasprintf("%s/cache", dir);
	setenv("XDG_CACHE_HOME", cache, 1);
	free(cache);
	free(root);
	root = xasprintf("%s/Mail", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(root, 0700), 0);
}

static void teardown(void)
{
	unsetenv("XDG_CACHE_HOME");
	free(root);
	root = NULL;
	tutil_rmtree();
}

static int exists(const char *root_, const char *ext)
{
	char *p = idxhint_path(root_, ext);
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

static void touch(const char *ext)
{
	char *p = idxhint_path(root, ext), *d = xasprintf("%s/cache/surel/search", dir);
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL_FATAL(afile_mkdirs(d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(tutil_write(p, "", 0), 0);
	free(d);
	free(p);
}

static char *status(void)
{
	char *p = idxhint_path(root, "lock"), *data = NULL;
	size_t len;
	struct err err = ERR_INIT;

	if (afile_read(p, 0, &data, &len, &err) < 0)
		data = xstrdup("");
	free(p);
	return data;
}

static void test_path(void)
{
	char *a, *b, *link, *other, *want;

	setup();
	a = idxhint_path(root, "db");
	want = xasprintf("%s/cache/surel/search/", dir);
	CU_ASSERT_EQUAL(strncmp(a, want, strlen(want)), 0);
	CU_ASSERT_EQUAL(strlen(a), strlen(want) + 16 + 3);
	CU_ASSERT_STRING_EQUAL(a + strlen(a) - 3, ".db");
	/* The real path decides: a symlink or a trailing slash is the same. */
	link = xasprintf("%s/link", dir);
	CU_ASSERT_EQUAL_FATAL(symlink(root, link), 0);
	b = idxhint_path(link, "db");
	CU_ASSERT_STRING_EQUAL(a, b);
	free(b);
	other = xasprintf("%s/", root);
	b = idxhint_path(other, "db");
	CU_ASSERT_STRING_EQUAL(a, b);
	free(b);
	free(other);
	b = idxhint_path(root, "lock");
	CU_ASSERT_EQUAL(strncmp(a, b, strlen(a) - 2), 0);
	CU_ASSERT_STRING_EQUAL(b + strlen(b) - 5, ".lock");
	free(b);
	/* Another root, another name; a root not made yet has one too. */
	other = xasprintf("%s/Other", dir);
	b = idxhint_path(other, "db");
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	free(b);
	free(other);
	free(link);
	free(want);
	free(a);
	teardown();
}

struct work {
	int calls;
	int remark;     /* calls that make the mark again, as a writer would */
	int fail_at;    /* the call that fails, 0: none */
	int marked_during;
};

static int work(void *arg, struct err *err)
{
	struct work *w = arg;

	w->calls++;
	w->marked_during += exists(root, "again");
	if (w->calls == w->fail_at)
		return err_set(err, EX_TEMPFAIL, "index busy");
	if (w->calls <= w->remark)
		touch("again");
	return 0;
}

static void test_serve_rounds(void)
{
	struct err err = ERR_INIT;
	struct work w = { 0, 0, 0, 0 };
	char *st;

	setup();
	touch("db");
	CU_ASSERT_EQUAL(idxhint_serve(root, -1, 0, work, &w, &err), 0);
	CU_ASSERT_EQUAL(w.calls, 1);
	st = status();
	CU_ASSERT_STRING_EQUAL(st, "pid 0\nruns 1\nrounds 1\n");
	free(st);
	/* A mark at the start is taken before the refresh; marks made
	 * during a refresh make another. */
	touch("again");
	memset(&w, 0, sizeof(w));
	w.remark = 2;
	CU_ASSERT_EQUAL(idxhint_serve(root, -1, 0, work, &w, &err), 0);
	CU_ASSERT_EQUAL(w.calls, 3);
	CU_ASSERT_EQUAL(w.marked_during, 0);
	CU_ASSERT_FALSE(exists(root, "again"));
	st = status();
	CU_ASSERT_STRING_EQUAL(st, "pid 0\nruns 2\nrounds 4\n");
	free(st);
	teardown();
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The gap follows every round, the last one too: a lower bound only. */
static void test_serve_gap(void)
{
	struct err err = ERR_INIT;
	struct work w = { 0, 1, 0, 0 };
	double t0;

	setup();
	touch("db");
	t0 = now_ms();
	CU_ASSERT_EQUAL(idxhint_serve(root, -1, 30, work, &w, &err), 0);
	CU_ASSERT_EQUAL(w.calls, 2);
	CU_ASSERT(now_ms() - t0 >= 60.0);
	teardown();
}

static void test_serve_busy(void)
{
	struct err err = ERR_INIT;
	struct work w = { 0, 0, 0, 0 };
	char *lock;
	int fd;

	setup();
	touch("again");
	lock = idxhint_path(root, "lock");
	fd = afile_lock(lock, 0, &err);
	CU_ASSERT_FATAL(fd >= 0);
	/* Another indexer holds it: no work, and the mark stays for it. */
	CU_ASSERT_EQUAL(idxhint_serve(root, -1, 0, work, &w, &err), 0);
	CU_ASSERT_EQUAL(w.calls, 0);
	CU_ASSERT_TRUE(exists(root, "again"));
	afile_unlock(fd);
	/* Handed a locked descriptor, it works under that one (and closes
	 * it: the lock is free afterwards). */
	fd = afile_lock(lock, 0, &err);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(idxhint_serve(root, fd, 0, work, &w, &err), 0);
	CU_ASSERT_EQUAL(w.calls, 1);
	fd = afile_lock(lock, 0, &err);
	CU_ASSERT(fd >= 0);
	afile_unlock(fd);
	free(lock);
	teardown();
}

static void test_serve_fails(void)
{
	struct err err = ERR_INIT;
	struct work w = { 0, 0, 1, 0 };
	char *st;

	setup();
	touch("db");
	CU_ASSERT_EQUAL(idxhint_serve(root, -1, 0, work, &w, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_STRING_EQUAL(err.msg, "index busy");
	/* The next writer finds the mark, and the next indexer works. */
	CU_ASSERT_TRUE(exists(root, "again"));
	st = status();
	CU_ASSERT_STRING_EQUAL(st, "pid 0\nruns 1\nrounds 1\n");
	free(st);
	teardown();
}

/* A foreground refresh holds the lock like an indexer: a writer only
 * marks meanwhile, and a background indexer does no work. */
static void test_hold(void)
{
	struct err err = ERR_INIT;
	struct work w = { 0, 0, 0, 0 };
	int fd, fd2;

	setup();
	touch("db");
	fd = idxhint_hold(root);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(idxhint_hold(root), -1);
	touch("again");
	CU_ASSERT_EQUAL(idxhint_serve(root, -1, 0, work, &w, &err), 0);
	CU_ASSERT_EQUAL(w.calls, 0);
	idxhint_release(NULL, fd);
	fd2 = idxhint_hold(root);
	CU_ASSERT(fd2 >= 0);
	idxhint_release(NULL, fd2);
	idxhint_release(NULL, -1);
	CU_ASSERT_TRUE(exists(root, "again"));
	teardown();
}

static const struct cfg_account *account(struct cfg **cfg, const char *extra)
{
	struct err err = ERR_INIT;
	char *file = xasprintf("%s/config", dir);
	char *text = xasprintf("[account a]\naddress = a@example.test\nmaildir = %s\n%s", root,
			       extra);
	const struct cfg_account *a;

	CU_ASSERT_EQUAL_FATAL(tutil_write(file, text, strlen(text)), 0);
	*cfg = cfg_load(file, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*cfg);
	a = cfg_account_find(*cfg, "a", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	free(text);
	free(file);
	return a;
}

static void test_note(void)
{
	struct err err = ERR_INIT;
	struct cfg *cfg, *off;
	const struct cfg_account *a, *b;
	char *lock, *cache;
	int fd;

	setup();
	a = account(&cfg, "");
	/* No index: nothing is made, not even the cache directory. */
	idxhint_note(a);
	cache = xasprintf("%s/cache", dir);
	CU_ASSERT_NOT_EQUAL(access(cache, F_OK), 0);
	free(cache);
	/* An index whose indexer is at work (the lock held): the mark
	 * only, and nothing started (the lock stays ours). */
	touch("db");
	lock = idxhint_path(root, "lock");
	fd = afile_lock(lock, 0, &err);
	CU_ASSERT_FATAL(fd >= 0);
	b = account(&off, "search_index_auto = no\n");
	idxhint_note(b);
	CU_ASSERT_FALSE(exists(root, "again"));
	idxhint_note(a);
	CU_ASSERT_TRUE(exists(root, "again"));
	afile_unlock(fd);
	cfg_free(off);
	cfg_free(cfg);
	free(lock);
	teardown();
}

void suite_idxhint(void)
{
	CU_pSuite s = CU_add_suite("idxhint", NULL, NULL);

	CU_add_test(s, "file names by the root's real path", test_path);
	CU_add_test(s, "rounds while the mark comes back", test_serve_rounds);
	CU_add_test(s, "the gap after each round", test_serve_gap);
	CU_add_test(s, "a held lock: no work; a handed-over one", test_serve_busy);
	CU_add_test(s, "a failed refresh keeps the mark", test_serve_fails);
	CU_add_test(s, "a foreground refresh holds the lock", test_hold);
	CU_add_test(s, "a writer: no index, key off, indexer at work", test_note);
}
