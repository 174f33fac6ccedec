#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "err.h"
#include "maildir.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Each test works in a fresh directory; the suite cleanup removes the last. */
static const char *base;

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", base, rel);
}

/* A fresh Maildir at base/rel (caller frees the path). */
static char *new_maildir(const char *rel)
{
	struct err err = ERR_INIT;
	char *d = tpath(rel);

	CU_ASSERT_EQUAL_FATAL(maildir_create(d, &err), 0);
	return d;
}

static int count_sub(const char *dir, const char *sub)
{
	char *p = xasprintf("%s/%s", dir, sub);
	int n = tutil_count_entries(p);

	free(p);
	return n;
}

/* Whether the file dir/rel holds exactly len bytes of data. */
static int file_is(const char *dir, const char *rel, const void *data, size_t len)
{
	struct err err = ERR_INIT;
	char *p = xasprintf("%s/%s", dir, rel);
	char *got;
	size_t n;
	int ok;

	if (afile_read(p, 0, &got, &n, &err) < 0) {
		free(p);
		return 0;
	}
	ok = n == len && memcmp(got, data, len) == 0;
	free(got);
	free(p);
	return ok;
}

static void test_create_and_is(void)
{
	struct err err = ERR_INIT;
	char *d, *plain;

	base = tutil_tmpdir();
	d = new_maildir("x/y/box");
	plain = tpath("x");
	CU_ASSERT(maildir_is(d));
	CU_ASSERT(!maildir_is(plain));
	CU_ASSERT_EQUAL(maildir_create(d, &err), 0);
	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	free(d);
	free(plain);
}

static void test_deliver_and_list(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry *e;
	char *d, *p1, *p2, *p3;
	size_t n, i;
	int seen = 0;

	base = tutil_tmpdir();
	d = new_maildir("box");
	CU_ASSERT_EQUAL(maildir_deliver(d, "one\n", 4, NULL, &p1, &err), 0);
	CU_ASSERT_EQUAL(maildir_deliver(d, "two!\n", 5, NULL, &p2, &err), 0);
	CU_ASSERT_EQUAL(maildir_deliver(d, "three\n", 6, "SFS", &p3, &err), 0);
	CU_ASSERT_EQUAL(strncmp(p1, d, strlen(d)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p1, "/new/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p3, "/cur/"));
	CU_ASSERT_EQUAL(strcmp(p3 + strlen(p3) - 5, ":2,FS"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "new"), 2);
	CU_ASSERT_EQUAL(count_sub(d, "cur"), 1);

	CU_ASSERT_EQUAL_FATAL(maildir_list(d, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (i = 0; i < n; i++) {
		const char *data = e[i].size == 4 ? "one\n" : e[i].size == 5 ? "two!\n" : "three\n";

		CU_ASSERT(file_is(d, e[i].path, data, (size_t)e[i].size));
		CU_ASSERT_EQUAL(e[i].mtime, 0);
		CU_ASSERT_EQUAL(strncmp(e[i].path + 4, e[i].key, strlen(e[i].key)), 0);
		if (e[i].is_new) {
			CU_ASSERT_EQUAL(strncmp(e[i].path, "new/", 4), 0);
			CU_ASSERT_STRING_EQUAL(e[i].path + 4, e[i].key);
			CU_ASSERT_STRING_EQUAL(e[i].flags, "");
			seen |= e[i].size == 4 ? 1 : 2;
		} else {
			CU_ASSERT_EQUAL(e[i].size, 6);
			CU_ASSERT_STRING_EQUAL(e[i].flags, "FS");
			CU_ASSERT_EQUAL(strncmp(e[i].path, "cur/", 4), 0);
			seen |= 4;
		}
	}
	CU_ASSERT_EQUAL(seen, 7);
	maildir_entries_free(e, n);

	CU_ASSERT_EQUAL_FATAL(maildir_list(d, MAILDIR_STAT, &e, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 3);
	for (i = 0; i < n; i++) {
		CU_ASSERT(e[i].mtime > 0);
		CU_ASSERT(e[i].size >= 4 && e[i].size <= 6);
	}
	maildir_entries_free(e, n);

	CU_ASSERT_EQUAL(maildir_deliver(d, "x", 1, "S1", NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	free(p1);
	free(p2);
	free(p3);
	free(d);
}

static void test_list_parses_names(void)
{
	static const struct {
		const char *rel, *key, *flags;
		long long size;
	} files[] = {
		{ "new/1.M1P1.h,S=1234,W=1300", "1.M1P1.h,S=1234,W=1300", "", 1234 },
		{ "cur/2.M2P2.h:2,SRa", "2.M2P2.h", "RSa", -1 },
		{ "cur/3.M3P3.h:2,", "3.M3P3.h", "", -1 },
		{ "cur/4.M4P4.h", "4.M4P4.h", "", -1 },
		{ "cur/5.h,S=77:2,T", "5.h,S=77", "T", 77 },
		{ "cur/6.h,S=x:2,S", "6.h,S=x", "S", -1 },
		{ "cur/7.h:1,experimental", "7.h", "", -1 },
	};
	static const char *const ignored[] = { "cur/.hidden", "new/.x", "tmp/8.h" };
	struct err err = ERR_INIT;
	struct maildir_entry *e;
	char *d, *p;
	size_t n, i, j;

	base = tutil_tmpdir();
	d = new_maildir("box");
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = xasprintf("%s/%s", d, files[i].rel);
		CU_ASSERT_EQUAL(tutil_write(p, "m", 1), 0);
		free(p);
	}
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		p = xasprintf("%s/%s", d, ignored[i]);
		CU_ASSERT_EQUAL(tutil_write(p, "m", 1), 0);
		free(p);
	}
	p = xasprintf("%s/cur/subdir", d);
	CU_ASSERT_EQUAL(mkdir(p, 0700), 0);
	free(p);

	CU_ASSERT_EQUAL_FATAL(maildir_list(d, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL(n, sizeof(files) / sizeof(files[0]));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		for (j = 0; j < n; j++)
			if (strcmp(e[j].path, files[i].rel) == 0)
				break;
		CU_ASSERT_FATAL(j < n);
		CU_ASSERT_STRING_EQUAL(e[j].key, files[i].key);
		CU_ASSERT_STRING_EQUAL(e[j].flags, files[i].flags);
		CU_ASSERT_EQUAL(e[j].size, files[i].size);
		CU_ASSERT_EQUAL(e[j].is_new, files[i].rel[0] == 'n');
	}
	maildir_entries_free(e, n);

	/* An empty folder lists nothing. */
	free(d);
	d = new_maildir("empty");
	CU_ASSERT_EQUAL(maildir_list(d, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 0);
	maildir_entries_free(e, n);
	free(d);

	d = tpath("nothing");
	CU_ASSERT_EQUAL(maildir_list(d, 0, &e, &n, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, d));
	free(d);
}

static void test_flags(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry e;
	char *d, *key, *want, *from, *to;

	base = tutil_tmpdir();
	d = new_maildir("box");
	CU_ASSERT_EQUAL_FATAL(maildir_deliver(d, "m\n", 2, NULL, NULL, &err), 0);
	{
		struct maildir_entry *l;
		size_t n;

		CU_ASSERT_EQUAL_FATAL(maildir_list(d, 0, &l, &n, &err), 0);
		CU_ASSERT_EQUAL_FATAL(n, 1);
		CU_ASSERT_EQUAL_FATAL(maildir_find(d, l[0].key, &e, &err), 0);
		maildir_entries_free(l, n);
	}
	key = xstrdup(e.key);
	CU_ASSERT(e.is_new);

	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "SR", &err), 0);
	want = xasprintf("cur/%s:2,RS", key);
	CU_ASSERT_STRING_EQUAL(e.path, want);
	CU_ASSERT_STRING_EQUAL(e.key, key);
	CU_ASSERT_STRING_EQUAL(e.flags, "RS");
	CU_ASSERT(!e.is_new);
	CU_ASSERT_EQUAL(e.size, 2);
	CU_ASSERT_EQUAL(count_sub(d, "new"), 0);
	CU_ASSERT(file_is(d, want, "m\n", 2));
	free(want);

	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "RSS", &err), 0);
	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "", &err), 0);
	want = xasprintf("cur/%s:2,", key);
	CU_ASSERT_STRING_EQUAL(e.path, want);
	CU_ASSERT_STRING_EQUAL(e.flags, "");
	free(want);

	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "S:", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);

	/* Another client flagged it meanwhile: our stale entry still works. */
	from = xasprintf("%s/%s", d, e.path);
	to = xasprintf("%s/cur/%s:2,T", d, key);
	CU_ASSERT_EQUAL(rename(from, to), 0);
	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "S", &err), 0);
	want = xasprintf("cur/%s:2,S", key);
	CU_ASSERT_STRING_EQUAL(e.path, want);
	CU_ASSERT(file_is(d, want, "m\n", 2));
	CU_ASSERT_EQUAL(count_sub(d, "cur"), 1);
	free(want);
	free(from);
	free(to);

	/* Gone for good: EX_NOINPUT. */
	from = xasprintf("%s/%s", d, e.path);
	CU_ASSERT_EQUAL(unlink(from), 0);
	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "R", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	free(from);

	maildir_entry_release(&e);
	maildir_entry_release(&e);
	free(key);
	free(d);
}

/* An entry for the file dir/rel, as a listing would fill it. */
static void entry_for(struct maildir_entry *e, const char *rel)
{
	memset(e, 0, sizeof(*e));
	e->path = xstrdup(rel);
	e->key = xstrndup(rel + 4, strcspn(rel + 4, ":"));
	e->is_new = strncmp(rel, "new/", 4) == 0;
	maildir_name_info(rel + 4, e->flags, &e->size);
}

static void put_file(const char *dir, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", dir, rel);

	CU_ASSERT_EQUAL_FATAL(tutil_write(p, text, strlen(text)), 0);
	free(p);
}

static int exists(const char *dir, const char *rel)
{
	char *p = xasprintf("%s/%s", dir, rel);
	int ok = access(p, F_OK) == 0;

	free(p);
	return ok;
}

/* Flag changes start from the name on disk; the same key in new/ and cur/
 * is two messages, and acting on one never touches the other. */
static void test_change_flags(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry e;
	char *d;

	base = tutil_tmpdir();
	d = new_maildir("box");
	put_file(d, "cur/k1:2,S", "one");
	entry_for(&e, "cur/k1:2,S");
	/* Another client (or spool sync) flags it meanwhile. */
	{
		char *a = xasprintf("%s/cur/k1:2,S", d), *b = xasprintf("%s/cur/k1:2,FS", d);

		CU_ASSERT_EQUAL(rename(a, b), 0);
		free(a);
		free(b);
	}
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "R", "", &err), 0);
	CU_ASSERT_STRING_EQUAL(e.path, "cur/k1:2,FRS");
	CU_ASSERT(file_is(d, "cur/k1:2,FRS", "one", 3));
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "T", "S", &err), 0);
	CU_ASSERT_STRING_EQUAL(e.path, "cur/k1:2,FRT");
	maildir_entry_release(&e);

	/* k2 twice: the cur/ copy is the one shown and removed. */
	put_file(d, "new/k2", "other");
	put_file(d, "cur/k2:2,S", "shown");
	entry_for(&e, "cur/k2:2,S");
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "T", "", &err), 0);
	CU_ASSERT_EQUAL(maildir_remove(d, &e, &err), 0);
	CU_ASSERT(!exists(d, "cur/k2:2,ST"));
	CU_ASSERT(file_is(d, "new/k2", "other", 5));
	/* Gone already: neither a flag change nor a removal finds the copy
	 * in new/ instead. */
	CU_ASSERT_EQUAL(maildir_remove(d, &e, &err), 0);
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "F", "", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT(file_is(d, "new/k2", "other", 5));
	maildir_entry_release(&e);

	/* The new/ copy taking flags does not overwrite a cur/ file of the
	 * same name (test_twins: what it does instead). */
	put_file(d, "cur/k2:2,S", "second");
	entry_for(&e, "new/k2");
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "S", "", &err), 0);
	CU_ASSERT(file_is(d, "cur/k2:2,S", "second", 6));
	CU_ASSERT(file_is(d, e.path, "other", 5));
	maildir_entry_release(&e);
	free(d);
}

/* One key in new/ and cur/ (or twice in cur/), and a flag change or a
 * move that would give one file the other's name: never an error, never a
 * file lost; the same bytes drop the redundant copy, other bytes take a
 * fresh key. */
static void test_twins(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry e;
	char *d, *dst;

	base = tutil_tmpdir();
	d = new_maildir("box");
	dst = new_maildir("Trash");

	/* Marking the new/ copy read meets a different cur/ copy. */
	put_file(d, "new/t1", "unread copy\n");
	put_file(d, "cur/t1:2,S", "read copy\n");
	entry_for(&e, "new/t1");
	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "S", &err), 0);
	CU_ASSERT(file_is(d, "cur/t1:2,S", "read copy\n", 10));
	CU_ASSERT_STRING_NOT_EQUAL(e.key, "t1");
	CU_ASSERT_STRING_EQUAL(e.flags, "S");
	CU_ASSERT(!e.is_new);
	CU_ASSERT_EQUAL(e.size, 12);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.key, ",S=12"));
	CU_ASSERT(file_is(d, e.path, "unread copy\n", 12));
	CU_ASSERT_EQUAL(count_sub(d, "new"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "cur"), 2);
	/* The fresh key is a key like any other. */
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "F", "", &err), 0);
	CU_ASSERT(file_is(d, e.path, "unread copy\n", 12));
	maildir_entry_release(&e);

	/* The same bytes: the new/ copy was redundant and goes. */
	put_file(d, "new/t2", "same\n");
	put_file(d, "cur/t2:2,S", "same\n");
	entry_for(&e, "new/t2");
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "S", "", &err), 0);
	CU_ASSERT_STRING_EQUAL(e.path, "cur/t2:2,S");
	CU_ASSERT_STRING_EQUAL(e.key, "t2");
	CU_ASSERT(!exists(d, "new/t2"));
	CU_ASSERT(file_is(d, "cur/t2:2,S", "same\n", 5));
	maildir_entry_release(&e);

	/* Two in cur/ whose flags become the same. */
	put_file(d, "cur/t3:2,F", "flagged\n");
	put_file(d, "cur/t3:2,FS", "flagged and read\n");
	entry_for(&e, "cur/t3:2,F");
	CU_ASSERT_EQUAL(maildir_change_flags(d, &e, "S", "", &err), 0);
	CU_ASSERT(file_is(d, "cur/t3:2,FS", "flagged and read\n", 17));
	CU_ASSERT(file_is(d, e.path, "flagged\n", 8));
	CU_ASSERT_STRING_EQUAL(e.flags, "FS");
	CU_ASSERT(!exists(d, "cur/t3:2,F"));
	maildir_entry_release(&e);

	/* One file under two names (a hard link): one name goes. */
	put_file(d, "new/t4", "linked\n");
	{
		char *a = xasprintf("%s/new/t4", d), *b = xasprintf("%s/cur/t4:2,S", d);

		CU_ASSERT_EQUAL(link(a, b), 0);
		free(a);
		free(b);
	}
	entry_for(&e, "new/t4");
	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "S", &err), 0);
	CU_ASSERT_STRING_EQUAL(e.path, "cur/t4:2,S");
	CU_ASSERT(!exists(d, "new/t4"));
	CU_ASSERT(file_is(d, "cur/t4:2,S", "linked\n", 7));
	maildir_entry_release(&e);

	/* A move into a folder holding the name already. */
	put_file(dst, "cur/t2:2,S", "same\n");
	entry_for(&e, "cur/t2:2,S");
	CU_ASSERT_EQUAL(maildir_move(d, &e, dst, &err), 0);
	CU_ASSERT(!exists(d, "cur/t2:2,S"));
	CU_ASSERT_EQUAL(count_sub(dst, "cur"), 1);
	maildir_entry_release(&e);
	put_file(dst, "cur/t4:2,S", "another\n");
	entry_for(&e, "cur/t4:2,S");
	CU_ASSERT_EQUAL(maildir_move(d, &e, dst, &err), 0);
	CU_ASSERT(!exists(d, "cur/t4:2,S"));
	CU_ASSERT(file_is(dst, "cur/t4:2,S", "another\n", 8));
	CU_ASSERT(file_is(dst, e.path, "linked\n", 7));
	CU_ASSERT_STRING_EQUAL(e.flags, "S");
	CU_ASSERT_EQUAL(count_sub(dst, "cur"), 3);
	/* t1 twice, t3 twice. */
	CU_ASSERT_EQUAL(count_sub(d, "cur"), 4);
	CU_ASSERT_EQUAL(count_sub(d, "new"), 0);
	maildir_entry_release(&e);
	free(dst);
	free(d);
}

static void test_find(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry e;
	char *d, *p, *key;

	base = tutil_tmpdir();
	d = new_maildir("box");
	CU_ASSERT_EQUAL_FATAL(maildir_deliver(d, "abc", 3, NULL, &p, &err), 0);
	key = xstrdup(strrchr(p, '/') + 1);
	free(p);

	CU_ASSERT_EQUAL_FATAL(maildir_find(d, key, &e, &err), 0);
	CU_ASSERT(e.is_new);
	CU_ASSERT_EQUAL(e.size, 3);
	CU_ASSERT_STRING_EQUAL(e.key, key);
	CU_ASSERT_EQUAL(maildir_set_flags(d, &e, "F", &err), 0);
	maildir_entry_release(&e);

	CU_ASSERT_EQUAL_FATAL(maildir_find(d, key, &e, &err), 0);
	CU_ASSERT(!e.is_new);
	CU_ASSERT_STRING_EQUAL(e.flags, "F");
	CU_ASSERT_EQUAL(e.size, 3);
	CU_ASSERT(file_is(d, e.path, "abc", 3));
	maildir_entry_release(&e);

	/* A prefix of a key is not the key. */
	key[strlen(key) - 1] = '\0';
	CU_ASSERT_EQUAL(maildir_find(d, key, &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT_EQUAL(maildir_find(d, "../../etc/passwd", &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(maildir_find(d, "", &e, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	free(key);
	free(d);
}

static void test_move(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry e, f;
	char *src, *dst, *notmd, *old, *path, *from, *to;

	base = tutil_tmpdir();
	src = new_maildir("INBOX");
	dst = new_maildir("Archive");
	notmd = tpath("plain");
	CU_ASSERT_EQUAL(mkdir(notmd, 0700), 0);

	CU_ASSERT_EQUAL_FATAL(maildir_deliver(src, "moved\n", 6, "S", &path, &err), 0);
	CU_ASSERT_EQUAL_FATAL(maildir_find(src, strrchr(path, '/') + 1, &e, &err), -1);
	/* The key is the name before ":2,". */
	*strrchr(path, ':') = '\0';
	CU_ASSERT_EQUAL_FATAL(maildir_find(src, strrchr(path, '/') + 1, &e, &err), 0);
	old = xstrdup(e.path);
	CU_ASSERT_EQUAL(maildir_move(src, &e, notmd, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CANTCREAT);
	CU_ASSERT_EQUAL(count_sub(src, "cur"), 1);

	CU_ASSERT_EQUAL(maildir_move(src, &e, dst, &err), 0);
	CU_ASSERT_STRING_EQUAL(e.path, old);
	CU_ASSERT_STRING_EQUAL(e.flags, "S");
	CU_ASSERT_EQUAL(count_sub(src, "cur"), 0);
	CU_ASSERT(file_is(dst, e.path, "moved\n", 6));

	/* New mail moves into the other new/; a stale entry whose file was
	 * renamed by someone else is found again. */
	CU_ASSERT_EQUAL_FATAL(maildir_deliver(src, "new\n", 4, NULL, NULL, &err), 0);
	{
		struct maildir_entry *l;
		size_t n;

		CU_ASSERT_EQUAL_FATAL(maildir_list(src, 0, &l, &n, &err), 0);
		CU_ASSERT_EQUAL_FATAL(n, 1);
		CU_ASSERT_EQUAL_FATAL(maildir_find(src, l[0].key, &f, &err), 0);
		maildir_entries_free(l, n);
	}
	from = xasprintf("%s/%s", src, f.path);
	to = xasprintf("%s/cur/%s:2,R", src, f.key);
	CU_ASSERT_EQUAL(rename(from, to), 0);
	CU_ASSERT_EQUAL(maildir_move(src, &f, dst, &err), 0);
	CU_ASSERT_STRING_EQUAL(f.flags, "R");
	CU_ASSERT(file_is(dst, f.path, "new\n", 4));
	CU_ASSERT_EQUAL(count_sub(src, "cur"), 0);
	CU_ASSERT_EQUAL(count_sub(src, "new"), 0);
	CU_ASSERT_EQUAL(count_sub(dst, "cur"), 2);

	maildir_entry_release(&e);
	maildir_entry_release(&f);
	free(from);
	free(to);
	free(old);
	free(path);
	free(src);
	free(dst);
	free(notmd);
}

/* Whether the folder list of root is exactly want (NULL-terminated). */
static void check_folders(const char *root, const char *const *want)
{
	struct err err = ERR_INIT;
	char **names;
	size_t n, i;

	CU_ASSERT_EQUAL_FATAL(maildir_folders(root, &names, &n, &err), 0);
	for (i = 0; want[i]; i++) {
		CU_ASSERT_FATAL(i < n);
		CU_ASSERT_STRING_EQUAL(names[i], want[i]);
	}
	CU_ASSERT_EQUAL(n, i);
	maildir_names_free(names, n);
}

static void check_path(const char *root, const char *name, const char *rel)
{
	char *got = maildir_folder_path(root, name);
	char *want = rel[0] ? xasprintf("%s/%s", root, rel) : xstrdup(root);

	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	free(want);
}

static void test_folders_plain(void)
{
	static const char *const want[] = { "INBOX", "Archive", "Sent", "a/b", "a/b/c", NULL };
	struct err err = ERR_INIT;
	char *root, *p, **names;
	size_t n;

	base = tutil_tmpdir();
	free(new_maildir("mail/Sent"));
	free(new_maildir("mail/INBOX"));
	free(new_maildir("mail/a/b/c"));
	free(new_maildir("mail/a/b"));
	free(new_maildir("mail/Archive"));
	free(new_maildir("mail/.hidden/x"));
	root = tpath("mail");
	p = tpath("mail/empty-dir/deeper");
	CU_ASSERT_EQUAL(afile_mkdirs(p, &err), 0);
	free(p);
	p = tpath("mail/a.txt");
	CU_ASSERT_EQUAL(tutil_write(p, "", 0), 0);
	free(p);
	p = tpath("mail/link");
	CU_ASSERT_EQUAL(symlink("Archive", p), 0);
	free(p);

	{
		static const char *const with_link[] = {
			"INBOX", "Archive", "Sent", "a/b", "a/b/c", "link", NULL
		};

		check_folders(root, with_link);
	}
	p = tpath("mail/link");
	CU_ASSERT_EQUAL(unlink(p), 0);
	free(p);
	check_folders(root, want);

	check_path(root, "INBOX", "INBOX");
	check_path(root, "a/b/c", "a/b/c");
	check_path(root, "Drafts", "Drafts");

	p = tpath("missing");
	CU_ASSERT_EQUAL(maildir_folders(p, &names, &n, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	free(p);
	free(root);
}

static void test_folders_plusplus(void)
{
	static const char *const want[] = { "INBOX", "Sent", "a/b", "a/b/c", "x", NULL };
	char *root;

	base = tutil_tmpdir();
	root = new_maildir("mail");
	free(new_maildir("mail/.Sent"));
	free(new_maildir("mail/.a.b"));
	free(new_maildir("mail/.a.b.c"));
	/* Mixed with the plain layout; INBOX is listed once. */
	free(new_maildir("mail/x"));
	free(new_maildir("mail/INBOX"));
	free(new_maildir("mail/.Sent/.nested-is-not-a-folder"));
	check_folders(root, want);

	check_path(root, "INBOX", "INBOX");
	check_path(root, "Sent", ".Sent");
	check_path(root, "a/b/c", ".a.b.c");
	check_path(root, "x", "x");
	/* A new folder in a tree whose root is a Maildir: Maildir++. */
	check_path(root, "Drafts", ".Drafts");
	check_path(root, "new/sub", ".new.sub");
	free(root);

	root = new_maildir("pp");
	check_path(root, "INBOX", "");
	{
		static const char *const only[] = { "INBOX", NULL };

		check_folders(root, only);
	}
	free(root);
}

static void test_many_distinct(void)
{
	enum { N = 1000 };
	struct err err = ERR_INIT;
	char *d, msg[32];
	int i, failed = 0;

	base = tutil_tmpdir();
	d = new_maildir("box");
	for (i = 0; i < N; i++) {
		snprintf(msg, sizeof(msg), "message %d\n", i);
		if (maildir_deliver(d, msg, strlen(msg), NULL, NULL, &err) < 0)
			failed++;
	}
	CU_ASSERT_EQUAL(failed, 0);
	/* rename would silently replace a file of the same name, so 1000
	 * files means 1000 distinct names. */
	CU_ASSERT_EQUAL(count_sub(d, "new"), N);
	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	free(d);
}

/* A message with NUL bytes, a 1 MB header line and bare CR, LF, CRLF. */
static char *odd_message(size_t *len_out)
{
	static const char tail[] = "\r\nSubject: nul\n\nbody\0with\0nuls\r\rand\xff\xfe bytes\n\0";
	size_t hdr = 1u << 20, n = 0, i;
	char *m = xmalloc(hdr + 7 + sizeof(tail));

	memcpy(m, "X-Big: ", 7);
	n = 7;
	for (i = 0; i < hdr; i++)
		m[n++] = (char)('a' + i % 26);
	memcpy(m + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	*len_out = n;
	return m;
}

static void test_bytes_exact(void)
{
	struct err err = ERR_INIT;
	struct maildir_entry e;
	size_t len;
	char *d, *m = odd_message(&len), *p;
	int fds[2], status;
	pid_t pid;

	base = tutil_tmpdir();
	d = new_maildir("box");
	CU_ASSERT_EQUAL_FATAL(maildir_deliver(d, m, len, NULL, &p, &err), 0);
	CU_ASSERT_EQUAL(maildir_find(d, strrchr(p, '/') + 1, &e, &err), 0);
	CU_ASSERT(file_is(d, e.path, m, len));
	CU_ASSERT_EQUAL(e.size, (off_t)len);
	maildir_entry_release(&e);
	free(p);

	/* Through a pipe, as spool deliver reads stdin; the writer uses odd
	 * chunk sizes. */
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		size_t off = 0, step;

		close(fds[0]);
		while (off < len) {
			step = len - off < 4093 ? len - off : 4093;
			if (write(fds[1], m + off, step) != (ssize_t)step)
				_exit(1);
			off += step;
		}
		_exit(0);
	}
	close(fds[1]);
	CU_ASSERT_EQUAL(maildir_deliver_head_fd(d, NULL, 0, fds[0], "S", &p, &err), 0);
	close(fds[0]);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(maildir_find(d, strrchr(p, '/') + 1, &e, &err), -1);
	*strrchr(p, ':') = '\0';
	CU_ASSERT_EQUAL_FATAL(maildir_find(d, strrchr(p, '/') + 1, &e, &err), 0);
	CU_ASSERT(file_is(d, e.path, m, len));
	CU_ASSERT_EQUAL(e.size, (off_t)len);
	maildir_entry_release(&e);
	free(p);

	/* An empty message is a message too. */
	CU_ASSERT_EQUAL(maildir_deliver(d, "", 0, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	free(m);
	free(d);
}

static void test_deliver_fd_errors(void)
{
	struct err err = ERR_INIT;
	char *d, *missing;
	int fd;

	base = tutil_tmpdir();
	d = new_maildir("box");
	missing = tpath("nobox");
	/* A directory cannot be read(2): the read error leaves nothing. */
	fd = open(d, O_RDONLY | O_DIRECTORY);
	CU_ASSERT_EQUAL(maildir_deliver_head_fd(d, NULL, 0, fd, NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.errnum, EISDIR);
	close(fd);
	CU_ASSERT_EQUAL(maildir_deliver_head_fd(d, "x", 1, -1, NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "new"), 0);

	CU_ASSERT_EQUAL(maildir_deliver(missing, "x", 1, NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CANTCREAT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot create '"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, missing));
	free(missing);
	free(d);
}

/* Run fn in a child that cannot override permissions: as root it drops to
 * nobody (skipped, 77, when that is not possible).  Returns the child's
 * exit status, 0 meaning fn's checks held. */
static int run_unprivileged(int (*fn)(const char *), const char *dir)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(77);
		_exit(fn(dir));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int deliver_denied(const char *d)
{
	struct err err = ERR_INIT;

	if (maildir_deliver(d, "x\n", 2, NULL, NULL, &err) != -1)
		return 1;
	if (err.code != EX_NOPERM || err.errnum != EACCES || !strstr(err.msg, d))
		return 2;
	return 0;
}

static void test_read_only(void)
{
	char *d, *sub;
	int rc;

	base = tutil_tmpdir();
	/* Let nobody walk to the folder (tutil makes the directory 0700). */
	CU_ASSERT_EQUAL(chmod(base, 0711), 0);
	d = new_maildir("box");
	CU_ASSERT_EQUAL(chmod(d, 0755), 0);

	/* tmp/ read-only: the create fails. */
	sub = xasprintf("%s/tmp", d);
	CU_ASSERT_EQUAL(chmod(sub, 0555), 0);
	rc = run_unprivileged(deliver_denied, d);
	CU_ASSERT(rc == 0 || rc == 77);
	CU_ASSERT_EQUAL(chmod(sub, 0777), 0);
	free(sub);

	/* new/ read-only: the file is written, the rename fails, and the
	 * temporary file must go. */
	sub = xasprintf("%s/new", d);
	CU_ASSERT_EQUAL(chmod(sub, 0555), 0);
	rc = run_unprivileged(deliver_denied, d);
	CU_ASSERT(rc == 0 || rc == 77);
	free(sub);

	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "new"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "cur"), 0);
	free(d);
}

/* A full disk needs a small file system of its own: a 64 KiB tmpfs, which
 * only root can mount; elsewhere this test checks nothing. */
static void test_disk_full(void)
{
	struct err err = ERR_INIT;
	size_t len;
	char *mnt, *d, *m;
	int fds[2];
	pid_t pid;

	base = tutil_tmpdir();
	mnt = tpath("small");
	CU_ASSERT_EQUAL_FATAL(mkdir(mnt, 0700), 0);
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64k") < 0) {
		free(mnt);
		return;
	}
	d = xasprintf("%s/box", mnt);
	m = odd_message(&len);
	CU_ASSERT_EQUAL(maildir_create(d, &err), 0);

	CU_ASSERT_EQUAL(maildir_deliver(d, m, len, NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_EQUAL(err.errnum, ENOSPC);
	CU_ASSERT(err_is_temp(&err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/tmp/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, d));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, strerror(ENOSPC)));

	err_clear(&err);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(write(fds[1], m, len) == (ssize_t)len ? 0 : 1);
	}
	close(fds[1]);
	CU_ASSERT_EQUAL(maildir_deliver_head_fd(d, NULL, 0, fds[0], NULL, NULL, &err), -1);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	CU_ASSERT_EQUAL(err.errnum, ENOSPC);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);

	CU_ASSERT_EQUAL(count_sub(d, "tmp"), 0);
	CU_ASSERT_EQUAL(count_sub(d, "new"), 0);
	/* Small mail still fits once the failed one is gone. */
	CU_ASSERT_EQUAL(maildir_deliver(d, "ok\n", 3, NULL, NULL, &err), 0);
	CU_ASSERT_EQUAL(umount(mnt), 0);
	free(m);
	free(d);
	free(mnt);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

static void test_name_ok(void)
{
	CU_ASSERT_TRUE(maildir_name_ok("INBOX"));
	CU_ASSERT_TRUE(maildir_name_ok("lists/dev"));
	CU_ASSERT_TRUE(maildir_name_ok("a..b/c."));
	CU_ASSERT_FALSE(maildir_name_ok(""));
	CU_ASSERT_FALSE(maildir_name_ok("/abs"));
	CU_ASSERT_FALSE(maildir_name_ok("x/../../../../escaped"));
	CU_ASSERT_FALSE(maildir_name_ok("lists/../../work/INBOX"));
	CU_ASSERT_FALSE(maildir_name_ok(".."));
	CU_ASSERT_FALSE(maildir_name_ok("a/./b"));
	CU_ASSERT_FALSE(maildir_name_ok("a//b"));
	CU_ASSERT_FALSE(maildir_name_ok("a/"));
	CU_ASSERT_FALSE(maildir_name_ok(".Sent"));
	CU_ASSERT_FALSE(maildir_name_ok("a\033b"));
}

void suite_maildir(void)
{
	CU_pSuite s = CU_add_suite("maildir", NULL, cleanup);

	CU_add_test(s, "create and is", test_create_and_is);
	CU_add_test(s, "deliver and list", test_deliver_and_list);
	CU_add_test(s, "list parses names", test_list_parses_names);
	CU_add_test(s, "flags", test_flags);
	CU_add_test(s, "find", test_find);
	CU_add_test(s, "move", test_move);
	CU_add_test(s, "folders, plain layout", test_folders_plain);
	CU_add_test(s, "folders, Maildir++ layout", test_folders_plusplus);
	CU_add_test(s, "1000 deliveries, 1000 files", test_many_distinct);
	CU_add_test(s, "NUL bytes and a 1 MB header stored exactly", test_bytes_exact);
	CU_add_test(s, "deliver_head_fd errors leave nothing", test_deliver_fd_errors);
	CU_add_test(s, "read-only folder", test_read_only);
	CU_add_test(s, "disk full", test_disk_full);
	CU_add_test(s, "folder names stay below the root", test_name_ok);
	CU_add_test(s, "flag changes from the name on disk; same key twice", test_change_flags);
	CU_add_test(s, "twins: no rename collision, no file lost", test_twins);
}
