#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "batch.h"
#include "err.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* A fresh Maildir (cur, new, tmp) in a fresh directory. */
static char *maildir(void)
{
	char *d = xasprintf("%s/md", tutil_tmpdir()), *sub;
	static const char *const subs[] = { "", "/cur", "/new", "/tmp" };
	size_t i;

	for (i = 0; i < 4; i++) {
		sub = xasprintf("%s%s", d, subs[i]);
		CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
		free(sub);
	}
	return d;
}

/* The one file in dir/sub; its name into *name_out (caller frees). */
static char *only_file(const char *dir, const char *sub, char **name_out)
{
	char *path = xasprintf("%s/%s", dir, sub), *found = NULL;
	struct dirent *de;
	DIR *d = opendir(path);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		CU_ASSERT_PTR_NULL(found);
		free(found);
		found = xasprintf("%s/%s", path, de->d_name);
		if (name_out) {
			free(*name_out);
			*name_out = xstrdup(de->d_name);
		}
	}
	closedir(d);
	free(path);
	return found;
}

static void test_add_commit(void)
{
	struct err err = ERR_INIT;
	char *md = maildir(), *sub, *p, *name = NULL, *data;
	struct batch *b = batch_new(md);
	size_t len;

	static const char in[] = "A: 1\r\n\r\nbody\r\nbare\rcr\r\nend";
	static const char out[] = "A: 1\n\nbody\nbare\rcr\nend";

	CU_ASSERT_EQUAL(batch_add(b, in, sizeof(in) - 1, 1, "7.42", "", &err), 0);
	CU_ASSERT_EQUAL(batch_count(b), 1);
	CU_ASSERT_EQUAL(batch_bytes(b), sizeof(out) - 1);
	/* Nothing is visible before the commit. */
	sub = xasprintf("%s/tmp", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 1);
	free(sub);
	sub = xasprintf("%s/new", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 0);
	CU_ASSERT_EQUAL(batch_add(b, "x\n", 2, 0, "7.43", "FS", &err), 0);
	CU_ASSERT_EQUAL(batch_commit(b, &err), 0);
	CU_ASSERT_EQUAL(batch_count(b), 0);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 1);
	free(sub);

	p = only_file(md, "new", &name);
	CU_ASSERT_PTR_NOT_NULL(strstr(name, ",R=7.42"));
	CU_ASSERT_PTR_NULL(strchr(name, ':'));
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, sizeof(out) - 1);
	CU_ASSERT_EQUAL(memcmp(data, out, sizeof(out) - 1), 0);
	free(data);
	free(p);

	p = only_file(md, "cur", &name);
	CU_ASSERT_EQUAL(strlen(name) > 12 ? strcmp(name + strlen(name) - 12, ",R=7.43:2,FS") : 1, 0);
	free(p);
	free(name);

	sub = xasprintf("%s/tmp", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 0);
	free(sub);
	batch_free(b);
	free(md);
}

static void test_abort_leaves_nothing(void)
{
	struct err err = ERR_INIT;
	char *md = maildir(), *sub = NULL;
	struct batch *b = batch_new(md);

	CU_ASSERT_EQUAL(batch_add(b, "a\n", 2, 0, "1.1", NULL, &err), 0);
	CU_ASSERT_EQUAL(batch_add(b, "b\n", 2, 0, "1.2", NULL, &err), 0);
	batch_free(b);
	sub = xasprintf("%s/tmp", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 0);
	free(sub);
	free(md);
}

/* A rename that fails (new/ is gone) leaves no temporary file and an
 * empty, reusable batch. */
static void test_commit_failure(void)
{
	struct err err = ERR_INIT;
	char *md = maildir(), *sub;
	struct batch *b = batch_new(md);

	CU_ASSERT_EQUAL(batch_add(b, "a\n", 2, 0, "1.1", NULL, &err), 0);
	sub = xasprintf("%s/new", md);
	CU_ASSERT_EQUAL(rmdir(sub), 0);
	CU_ASSERT_EQUAL(batch_commit(b, &err), -1);
	CU_ASSERT_NOT_EQUAL(err.code, 0);
	CU_ASSERT_EQUAL(batch_count(b), 0);
	free(sub);
	sub = xasprintf("%s/tmp", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 0);
	free(sub);
	batch_free(b);
	free(md);
}

static void test_tags(void)
{
	struct err err = ERR_INIT;
	char *md = maildir(), *p, **tags = NULL;
	size_t n = 0, i;
	int seen = 0;

	p = xasprintf("%s/new/1.M1P1.h,R=5.9", md);
	CU_ASSERT_EQUAL(tutil_write(p, "x", 1), 0);
	free(p);
	p = xasprintf("%s/cur/1.M2P1.h,R=pdeadbeef,S=12:2,S", md);
	CU_ASSERT_EQUAL(tutil_write(p, "x", 1), 0);
	free(p);
	p = xasprintf("%s/cur/1.M3P1.h:2,S", md);
	CU_ASSERT_EQUAL(tutil_write(p, "x", 1), 0);
	free(p);
	CU_ASSERT_EQUAL(batch_tags(md, &tags, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	for (i = 0; i < n; i++)
		seen |= strcmp(tags[i], "5.9") == 0 ? 1 : strcmp(tags[i], "pdeadbeef") == 0 ? 2 : 4;
	CU_ASSERT_EQUAL(seen, 3);
	batch_tags_free(tags, n);

	p = xasprintf("%s/missing", md);
	CU_ASSERT_EQUAL(batch_tags(p, &tags, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	batch_tags_free(tags, n);
	free(p);
	free(md);
}

static void test_sweep(void)
{
	char *md = maildir(), *old = xasprintf("%s/tmp/old", md), *young = xasprintf("%s/tmp/young", md);
	char *sub = xasprintf("%s/tmp", md);
	struct utimbuf ut = { 1000000000, 1000000000 };

	CU_ASSERT_EQUAL(tutil_write(old, "x", 1), 0);
	CU_ASSERT_EQUAL(tutil_write(young, "x", 1), 0);
	CU_ASSERT_EQUAL(utime(old, &ut), 0);
	batch_sweep(md, 36 * 60 * 60);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 1);
	CU_ASSERT_EQUAL(access(young, F_OK), 0);
	free(sub);
	free(old);
	free(young);
	free(md);
}

/* batch_link: a hard link to the durable source, visible at once, kept by
 * an abort, without a tag when none is given. */
static void test_link(void)
{
	struct err err = ERR_INIT;
	char *md = maildir(), *src = xasprintf("%s/src", md), *p, *name = NULL, *sub;
	struct batch *b = batch_new(md);
	struct stat a, c;

	CU_ASSERT_EQUAL(tutil_write(src, "S: 1\n\nx\n", 8), 0);
	CU_ASSERT_EQUAL(batch_link(b, src, "S: 1\n\nx\n", 8, NULL, "S", &err), 0);
	CU_ASSERT_EQUAL(batch_count(b), 1);
	p = only_file(md, "cur", &name);
	CU_ASSERT_PTR_NULL(strstr(name, ",R="));
	CU_ASSERT_EQUAL(strcmp(name + strlen(name) - 4, ":2,S"), 0);
	CU_ASSERT_EQUAL(stat(src, &a), 0);
	CU_ASSERT_EQUAL(stat(p, &c), 0);
	CU_ASSERT_EQUAL(a.st_ino, c.st_ino);
	CU_ASSERT_EQUAL(a.st_nlink, 2);
	/* An abort does not take back what is visible. */
	batch_abort(b);
	CU_ASSERT_EQUAL(access(p, F_OK), 0);
	free(p);
	CU_ASSERT_EQUAL(batch_link(b, src, "S: 1\n\nx\n", 8, "7.1", NULL, &err), 0);
	CU_ASSERT_EQUAL(batch_commit(b, &err), 0);
	CU_ASSERT_EQUAL(batch_count(b), 0);
	p = only_file(md, "new", &name);
	CU_ASSERT_PTR_NOT_NULL(strstr(name, ",R=7.1"));
	free(p);
	sub = xasprintf("%s/tmp", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 0);
	free(sub);
	/* A source that is not there is an error, not a copy. */
	CU_ASSERT_EQUAL(unlink(src), 0);
	CU_ASSERT_EQUAL(batch_link(b, src, "x\n", 2, NULL, "S", &err), -1);
	CU_ASSERT_NOT_EQUAL(err.code, 0);
	CU_ASSERT_EQUAL(batch_count(b), 0);
	batch_free(b);
	free(name);
	free(src);
	free(md);
}

/* Across file systems (a source on /dev/shm) batch_link copies. */
static void test_link_copy(void)
{
	struct err err = ERR_INIT;
	char *md = maildir(), *src, *p, *name = NULL, *data = NULL, *sub;
	struct batch *b;
	struct stat a, c;
	size_t len;

	if (stat("/dev/shm", &a) < 0 || stat(md, &c) < 0 || a.st_dev == c.st_dev) {
		free(md);
		return;   /* no second file system to try */
	}
	src = xasprintf("/dev/shm/surel-test-batch.%ld", (long)getpid());
	CU_ASSERT_EQUAL_FATAL(tutil_write(src, "A: b\n\nc\n", 8), 0);
	b = batch_new(md);
	CU_ASSERT_EQUAL(batch_link(b, src, "A: b\n\nc\n", 8, NULL, "S", &err), 0);
	p = only_file(md, "cur", &name);
	CU_ASSERT_EQUAL(stat(src, &a), 0);
	CU_ASSERT_EQUAL(stat(p, &c), 0);
	CU_ASSERT_EQUAL(a.st_nlink, 1);
	CU_ASSERT_EQUAL(c.st_size, 8);
	CU_ASSERT_EQUAL(batch_commit(b, &err), 0);
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT(len == 8 && memcmp(data, "A: b\n\nc\n", 8) == 0);
	sub = xasprintf("%s/tmp", md);
	CU_ASSERT_EQUAL(tutil_count_entries(sub), 0);
	free(sub);
	unlink(src);
	batch_free(b);
	free(data);
	free(p);
	free(name);
	free(src);
	free(md);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_batch(void)
{
	CU_pSuite s = CU_add_suite("batch", NULL, cleanup);

	CU_add_test(s, "add and commit, CRLF and flags", test_add_commit);
	CU_add_test(s, "abort leaves nothing", test_abort_leaves_nothing);
	CU_add_test(s, "commit failure", test_commit_failure);
	CU_add_test(s, "tags of stored messages", test_tags);
	CU_add_test(s, "sweep of stale tmp files", test_sweep);
	CU_add_test(s, "link: visible at once, kept by abort", test_link);
	CU_add_test(s, "link across file systems copies", test_link_copy);
}
