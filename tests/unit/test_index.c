#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "buf.h"
#include "err.h"
#include "index.h"
#include "index_cache.h"
#include "maildir.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Each test works in a fresh directory with its own cache home. */
static const char *base;

static void fresh(void)
{
	char *cache;

	base = tutil_tmpdir();
	cache = xasprintf("%s/cache", base);
	setenv("XDG_CACHE_HOME", cache, 1);
	free(cache);
}

static char *new_maildir(const char *rel)
{
	struct err err = ERR_INIT;
	char *d = xasprintf("%s/%s", base, rel);

	CU_ASSERT_EQUAL_FATAL(maildir_create(d, &err), 0);
	return d;
}

/* Deliver a message with the given header lines and a short body; the
 * path relative to the folder comes back (caller frees). */
static char *put(const char *dir, const char *headers, const char *flags)
{
	struct err err = ERR_INIT;
	char *msg = xasprintf("%s\nbody text\n", headers);
	char *path = NULL, *rel;

	CU_ASSERT_EQUAL_FATAL(maildir_deliver(dir, msg, strlen(msg), flags, &path, &err), 0);
	rel = xstrdup(path + strlen(dir) + 1);
	free(path);
	free(msg);
	return rel;
}

static struct index *open_ok(const char *dir, unsigned flags)
{
	struct err err = ERR_INIT;
	struct index *ix = index_open(dir, flags, &err);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ix);
	return ix;
}

/* The one cache file (caller frees), or NULL when there is none. */
static char *cache_file(void)
{
	char *dir = xasprintf("%s/cache/surel/index", base), *p = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.') {
			CU_ASSERT_PTR_NULL(p);
			free(p);
			p = xasprintf("%s/%s", dir, de->d_name);
		}
	if (d)
		closedir(d);
	free(dir);
	return p;
}

static int streq_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether a and b list the same messages, field by field. */
static int same_index(const struct index *a, const struct index *b)
{
	size_t i;

	if (index_count(a) != index_count(b))
		return 0;
	for (i = 0; i < index_count(a); i++) {
		const struct index_msg *x = index_at(a, i), *y = index_at(b, i);

		if (strcmp(x->key, y->key) || strcmp(x->path, y->path) ||
		    strcmp(x->flags, y->flags) || x->is_new != y->is_new || x->date != y->date ||
		    x->size != y->size || strcmp(x->from, y->from) ||
		    strcmp(x->from_addr, y->from_addr) || strcmp(x->to, y->to) ||
		    strcmp(x->subject, y->subject) || !streq_null(x->message_id, y->message_id) ||
		    !streq_null(x->in_reply_to, y->in_reply_to) ||
		    !streq_null(x->references, y->references))
			return 0;
	}
	return 1;
}

/* Whether a fresh open of dir without the cache agrees with ix. */
static int matches_uncached(const struct index *ix, const char *dir)
{
	struct index *ref = open_ok(dir, INDEX_NO_CACHE);
	int ok = same_index(ix, ref);

	index_free(ref);
	return ok;
}

static const struct index_msg *find_subject(const struct index *ix, const char *subject)
{
	size_t i;

	for (i = 0; i < index_count(ix); i++)
		if (strcmp(index_at(ix, i)->subject, subject) == 0)
			return index_at(ix, i);
	return NULL;
}

/* A folder of three messages with the fields the summary reads. */
static char *sample_folder(void)
{
	char *d = new_maildir("box"), *p;

	p = put(d, "From: =?UTF-8?B?QW5hIFB1dHJp?= <ana@example.test>\n"
		   "To: Budi <budi@example.test>, c@example.test\n"
		   "Subject: =?utf-8?q?Caf=C3=A9?= plans\n"
		   "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
		   "Message-ID: <second@example.test>\n"
		   "In-Reply-To: <first@example.test> (Budi's message)\n"
		   "References: <root@example.test>\n <first@example.test>\n", "S");
	free(p);
	p = put(d, "From: budi@example.test\n"
		   "Subject: first\n"
		   "Date: Wed, 25 Nov 2026 10:00:00 +0000\n"
		   "Message-ID: <first@example.test>\n", NULL);
	free(p);
	p = put(d, "Subject: no date\n", "FS");
	free(p);
	return d;
}

static void test_fields_and_order(void)
{
	struct index *ix;
	const struct index_msg *m;
	char *d;

	fresh();
	d = sample_folder();
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 3);
	/* No date sorts first (-1), then by date. */
	m = index_at(ix, 0);
	CU_ASSERT_STRING_EQUAL(m->subject, "no date");
	CU_ASSERT_EQUAL(m->date, -1);
	CU_ASSERT_STRING_EQUAL(m->flags, "FS");
	CU_ASSERT_EQUAL(m->is_new, 0);
	CU_ASSERT_STRING_EQUAL(m->from, "");
	CU_ASSERT_STRING_EQUAL(m->to, "");
	CU_ASSERT_PTR_NULL(m->message_id);
	CU_ASSERT_PTR_NULL(m->references);
	m = index_at(ix, 1);
	CU_ASSERT_STRING_EQUAL(m->subject, "first");
	CU_ASSERT_EQUAL(m->date, 1795600800);
	CU_ASSERT_STRING_EQUAL(m->from, "budi@example.test");
	CU_ASSERT_STRING_EQUAL(m->from_addr, "budi@example.test");
	CU_ASSERT_STRING_EQUAL(m->flags, "");
	CU_ASSERT_EQUAL(m->is_new, 1);
	CU_ASSERT_EQUAL(strncmp(m->path, "new/", 4), 0);
	CU_ASSERT_STRING_EQUAL(m->path + 4, m->key);
	CU_ASSERT_PTR_NULL(m->in_reply_to);
	m = index_at(ix, 2);
	CU_ASSERT_STRING_EQUAL(m->subject, "Café plans");
	CU_ASSERT_STRING_EQUAL(m->from, "Ana Putri");
	CU_ASSERT_STRING_EQUAL(m->from_addr, "ana@example.test");
	CU_ASSERT_STRING_EQUAL(m->to, "Budi");
	CU_ASSERT_STRING_EQUAL(m->message_id, "second@example.test");
	CU_ASSERT_STRING_EQUAL(m->in_reply_to, "first@example.test");
	CU_ASSERT_STRING_EQUAL(m->references, "root@example.test first@example.test");
	CU_ASSERT_EQUAL(m->date, 1795687200);
	CU_ASSERT_STRING_EQUAL(m->flags, "S");
	CU_ASSERT(m->size > 100);
	CU_ASSERT_PTR_NULL(index_at(ix, 3));
	index_free(ix);
	free(d);
}

/* Equal dates are ordered by key; a name without ",S=" gets its size from
 * the file; an empty folder is fine. */
static void test_ties_and_sizes(void)
{
	struct index *ix;
	char *d, *e, *p;
	size_t i;

	fresh();
	d = new_maildir("box");
	e = new_maildir("empty");
	for (i = 0; i < 20; i++) {
		p = put(d, "Subject: same second\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n", "S");
		free(p);
	}
	p = xasprintf("%s/cur/plain:2,", d);
	CU_ASSERT_EQUAL(tutil_write(p, "Subject: plain\n\n12345\n", 22), 0);
	free(p);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 21);
	for (i = 1; i < 20; i++)
		CU_ASSERT(strcmp(index_at(ix, i)->key, index_at(ix, i + 1)->key) < 0);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->key, "plain");
	CU_ASSERT_EQUAL(index_at(ix, 0)->size, 22);
	index_free(ix);
	/* Warm: the size of "plain" comes from the cache. */
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_at(ix, 0)->size, 22);
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	ix = open_ok(e, 0);
	CU_ASSERT_EQUAL(index_count(ix), 0);
	index_free(ix);
	ix = open_ok(e, 0);
	CU_ASSERT_EQUAL(index_count(ix), 0);
	index_free(ix);
	free(d);
	free(e);
}

static void test_warm_equals_cold(void)
{
	struct index *cold, *warm, *none;
	char *d, *cf;

	fresh();
	d = sample_folder();
	cold = open_ok(d, 0);
	cf = cache_file();
	CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
	warm = open_ok(d, 0);
	none = open_ok(d, INDEX_NO_CACHE);
	CU_ASSERT(same_index(cold, warm));
	CU_ASSERT(same_index(cold, none));
	index_free(cold);
	index_free(warm);
	index_free(none);
	free(cf);
	free(d);
}

/* Rewrite the bytes of a message file in place, keeping its name. */
static void scribble(const char *dir, const char *rel, const char *subject)
{
	char *p = xasprintf("%s/%s", dir, rel), *m = xasprintf("Subject: %s\n\nx\n", subject);

	CU_ASSERT_EQUAL(tutil_write(p, m, strlen(m)), 0);
	free(p);
	free(m);
}

/* A flag change is a rename; the warm open takes the new flags from the
 * name and the rest from the cache.  Scribbling over the file after it was
 * cached proves it is not read again. */
static void test_flag_rename_no_reparse(void)
{
	struct index *ix;
	const struct index_msg *m;
	char *d, *rel, *from, *to;

	fresh();
	d = new_maildir("box");
	rel = put(d, "Subject: original\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n", NULL);
	ix = open_ok(d, 0);
	index_free(ix);
	scribble(d, rel, "scribbled");
	from = xasprintf("%s/%s", d, rel);
	to = xasprintf("%s/cur/%s:2,RS", d, rel + 4);
	CU_ASSERT_EQUAL(rename(from, to), 0);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 1);
	m = index_at(ix, 0);
	CU_ASSERT_STRING_EQUAL(m->subject, "original");
	CU_ASSERT_STRING_EQUAL(m->flags, "RS");
	CU_ASSERT_EQUAL(m->is_new, 0);
	CU_ASSERT_EQUAL(strncmp(m->path, "cur/", 4), 0);
	index_free(ix);
	free(from);
	free(to);
	free(rel);
	free(d);
}

static void test_new_and_deleted(void)
{
	struct index *ix;
	char *d, *gone, *p, *path;

	fresh();
	d = sample_folder();
	gone = put(d, "Subject: doomed\n", NULL);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_count(ix), 4);
	index_free(ix);
	path = xasprintf("%s/%s", d, gone);
	CU_ASSERT_EQUAL(unlink(path), 0);
	p = put(d, "Subject: newcomer\nDate: Fri, 27 Nov 2026 10:00:00 +0000\n", NULL);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_count(ix), 4);
	CU_ASSERT_PTR_NULL(find_subject(ix, "doomed"));
	CU_ASSERT_PTR_NOT_NULL(find_subject(ix, "newcomer"));
	CU_ASSERT_STRING_EQUAL(index_at(ix, 3)->subject, "newcomer");
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	/* And once more from the cache just written. */
	ix = open_ok(d, 0);
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	free(path);
	free(p);
	free(gone);
	free(d);
}

/* Ways to damage a cache file. */
enum damage { DMG_TRUNCATE, DMG_RANDOM, DMG_VERSION, DMG_FOLDER, DMG_FLIP, DMG_EMPTY, DMG_LENGTH, DMG_N };

/* Replace the cache file cf by box2's cache: valid, but of another folder
 * (box2 has a path as long as box1's, so only the path tells). */
static void foreign_cache(const char *cf, const char *other)
{
	struct err err = ERR_INIT;
	struct index *ix;
	char *dir = xasprintf("%s/cache/surel/index", base), *cf2 = NULL, *data;
	struct dirent *de;
	size_t len;
	DIR *d;

	ix = open_ok(other, 0);
	index_free(ix);
	d = opendir(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strcmp(strrchr(cf, '/') + 1, de->d_name) != 0)
			cf2 = xasprintf("%s/%s", dir, de->d_name);
	closedir(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cf2);
	CU_ASSERT_EQUAL_FATAL(afile_read(cf2, 0, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(tutil_write(cf, data, len), 0);
	free(data);
	free(cf2);
	free(dir);
}

static void damage(const char *cf, enum damage how, const char *other)
{
	struct err err = ERR_INIT;
	char *data;
	size_t len, i;
	unsigned u;

	if (how == DMG_FOLDER) {
		foreign_cache(cf, other);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(afile_read(cf, 0, &data, &len, &err), 0);
	CU_ASSERT_FATAL(len > 64);
	switch (how) {
	case DMG_TRUNCATE:
		len = len * 2 / 3;
		break;
	case DMG_RANDOM:
		srand(7);
		for (i = 0; i < len; i++)
			data[i] = (char)rand();
		break;
	case DMG_VERSION:
		u = 99;
		memcpy(data + 8, &u, 4);
		break;
	case DMG_FLIP:
		data[len - 5] ^= 0x20;
		break;
	case DMG_EMPTY:
		len = 0;
		break;
	case DMG_LENGTH:
		/* The key's length (after the 24-byte header, the path and
		 * the record's two integers), made huge. */
		u = 0x7fffffff;
		memcpy(data + 24 + strlen(data + 24) + 1 + 16, &u, 4);
		break;
	default:
		break;
	}
	CU_ASSERT_EQUAL(tutil_write(cf, data, len), 0);
	free(data);
}

/* Whatever happened to the cache, the open gives the truth: the file
 * scribbled on after caching shows its new subject, so the damaged cache
 * was not used; and the rebuilt cache is used again afterwards. */
static void test_corrupt_cache(void)
{
	struct index *ix;
	int how;

	for (how = 0; how < DMG_N; how++) {
		char *d, *other, *rel, *cf;

		fresh();
		d = new_maildir("box1");
		other = new_maildir("box2");
		rel = put(d, "Subject: before\n", "S");
		ix = open_ok(d, 0);
		index_free(ix);
		scribble(d, rel, "after");
		cf = cache_file();
		CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
		damage(cf, (enum damage)how, other);
		ix = open_ok(d, 0);
		CU_ASSERT_EQUAL_FATAL(index_count(ix), 1);
		CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "after");
		index_free(ix);
		scribble(d, rel, "third");
		ix = open_ok(d, 0);
		CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "after");
		index_free(ix);
		free(cf);
		free(rel);
		free(other);
		free(d);
	}
}

static void test_no_cache(void)
{
	struct index *ix;
	char *d, *cf, *rel;

	fresh();
	d = new_maildir("box");
	rel = put(d, "Subject: one\n", NULL);
	ix = open_ok(d, INDEX_NO_CACHE);
	CU_ASSERT_EQUAL(index_count(ix), 1);
	index_free(ix);
	cf = cache_file();
	CU_ASSERT_PTR_NULL(cf);
	/* Nor is an existing cache read. */
	ix = open_ok(d, 0);
	index_free(ix);
	scribble(d, rel, "two");
	ix = open_ok(d, INDEX_NO_CACHE);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "two");
	index_free(ix);
	free(rel);
	free(d);
}

static void test_set_flags(void)
{
	struct err err = ERR_INIT;
	struct index *ix;
	const struct index_msg *m;
	struct stat st;
	char *d, *rel, *p;

	fresh();
	d = new_maildir("box");
	rel = put(d, "Subject: flag me\n", NULL);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_set_flags(ix, 0, "SF", &err), 0);
	m = index_at(ix, 0);
	CU_ASSERT_STRING_EQUAL(m->flags, "FS");
	CU_ASSERT_EQUAL(m->is_new, 0);
	p = xasprintf("%s/%s", d, m->path);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	free(p);
	p = xasprintf("%s/cur/%s:2,FS", d, rel + 4);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	free(p);
	p = xasprintf("%s/%s", d, rel);
	CU_ASSERT_EQUAL(stat(p, &st), -1);
	free(p);
	CU_ASSERT_EQUAL(index_set_flags(ix, 0, "S", &err), 0);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->flags, "S");
	/* Replied from another client meanwhile: the R stays. */
	{
		char *a = xasprintf("%s/cur/%s:2,S", d, rel + 4);
		char *b = xasprintf("%s/cur/%s:2,RS", d, rel + 4);

		CU_ASSERT_EQUAL(rename(a, b), 0);
		free(a);
		free(b);
	}
	CU_ASSERT_EQUAL(index_set_flags(ix, 0, "ST", &err), 0);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->flags, "RST");
	p = xasprintf("%s/cur/%s:2,RST", d, rel + 4);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	free(p);
	CU_ASSERT_EQUAL(index_set_flags(ix, 0, "RS", &err), 0);
	CU_ASSERT_EQUAL(index_set_flags(ix, 0, "S", &err), 0);
	CU_ASSERT_EQUAL(index_set_flags(ix, 0, "S1", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(index_set_flags(ix, 5, "S", &err), -1);
	index_free(ix);
	ix = open_ok(d, 0);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->flags, "S");
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "flag me");
	index_free(ix);
	free(rel);
	free(d);
}

/* Another program adds, deletes and renames while the index is open. */
static void test_refresh(void)
{
	struct err err = ERR_INIT;
	struct index *ix;
	char *d, *a, *b, *c, *p, *q;

	fresh();
	d = new_maildir("box");
	a = put(d, "Subject: a\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n", NULL);
	b = put(d, "Subject: b\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n", NULL);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_count(ix), 2);
	p = xasprintf("%s/%s", d, a);
	CU_ASSERT_EQUAL(unlink(p), 0);
	free(p);
	p = xasprintf("%s/%s", d, b);
	q = xasprintf("%s/cur/%s:2,S", d, b + 4);
	CU_ASSERT_EQUAL(rename(p, q), 0);
	c = put(d, "Subject: c\nDate: Sun, 22 Nov 2026 10:00:00 +0000\n", NULL);
	CU_ASSERT_EQUAL(index_refresh(ix, &err), 0);
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 2);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "c");
	CU_ASSERT_STRING_EQUAL(index_at(ix, 1)->subject, "b");
	CU_ASSERT_STRING_EQUAL(index_at(ix, 1)->flags, "S");
	CU_ASSERT(matches_uncached(ix, d));
	/* Nothing changed: still the same. */
	CU_ASSERT_EQUAL(index_refresh(ix, &err), 0);
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	ix = open_ok(d, 0);
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	free(p);
	free(q);
	free(a);
	free(b);
	free(c);
	free(d);
}

/* The two messages of a key in new/ and cur/, each summarised from its
 * own file, as listed. */
static void twins_ok(const struct index *ix)
{
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 2);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "in new");
	CU_ASSERT_EQUAL(index_at(ix, 0)->is_new, 1);
	CU_ASSERT_EQUAL(index_at(ix, 0)->twin, 1);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 1)->subject, "in cur");
	CU_ASSERT_EQUAL(index_at(ix, 1)->is_new, 0);
	CU_ASSERT_EQUAL(index_at(ix, 1)->twin, 1);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 1)->flags, "S");
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->key, index_at(ix, 1)->key);
}

/* One key in new/ and cur/ is two messages, over a refresh and a warm
 * open (the cache, matched by key, cannot tell them apart); with one of
 * them gone the other is an ordinary message again. */
static void test_twins(void)
{
	struct err err = ERR_INIT;
	struct index *ix;
	char *d, *a, *b, *p, *q;

	fresh();
	d = new_maildir("box");
	a = put(d, "Subject: in new\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n", NULL);
	b = put(d, "Subject: in cur\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n", "S");
	p = xasprintf("%s/%s", d, b);
	q = xasprintf("%s/cur/%s:2,S", d, a + 4);
	CU_ASSERT_EQUAL_FATAL(rename(p, q), 0);
	ix = open_ok(d, 0);
	twins_ok(ix);
	CU_ASSERT_EQUAL(index_refresh(ix, &err), 0);
	twins_ok(ix);
	index_free(ix);
	ix = open_ok(d, 0);
	twins_ok(ix);
	CU_ASSERT_EQUAL(unlink(q), 0);
	CU_ASSERT_EQUAL(index_refresh(ix, &err), 0);
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 1);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "in new");
	CU_ASSERT_EQUAL(index_at(ix, 0)->twin, 0);
	index_free(ix);
	free(p);
	free(q);
	free(a);
	free(b);
	free(d);
}

/* A header block longer than the first read, one longer than the read
 * limit, one in CRLF, an empty file, a file with no header block, and a
 * name that cannot be opened. */
static void test_odd_messages(void)
{
	struct buf big = BUF_INIT;
	struct index *ix;
	const struct index_msg *m;
	char *d, *p;
	size_t i;

	fresh();
	d = new_maildir("box");
	buf_puts(&big, "Received: x\n");
	for (i = 0; i < 200; i++)
		buf_puts(&big, "X-Filler: 0123456789012345678901234567890123456789\n");
	buf_puts(&big, "Subject: after the filler\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n");
	p = put(d, big.data, NULL);
	free(p);
	buf_reset(&big);
	for (i = 0; i < 8000; i++)
		buf_puts(&big, "X-Filler: 0123456789012345678901234567890123456789\n");
	buf_puts(&big, "Subject: beyond the limit\n");
	p = put(d, big.data, NULL);
	free(p);
	p = put(d, "Subject: crlf\r\nFrom: Ana <ana@example.test>\r\n\r\nbody\r\n", NULL);
	free(p);
	p = xasprintf("%s/cur/empty:2,S", d);
	CU_ASSERT_EQUAL(tutil_write(p, "", 0), 0);
	free(p);
	p = xasprintf("%s/cur/nohead:2,", d);
	CU_ASSERT_EQUAL(tutil_write(p, "\nSubject: body, not header\n", 27), 0);
	free(p);
	p = xasprintf("%s/cur/dangling:2,S", d);
	CU_ASSERT_EQUAL(symlink("/nonexistent/surel-test", p), 0);
	free(p);
	/* Neither waited on nor read: a FIFO and a device. */
	p = xasprintf("%s/cur/fifo:2,S", d);
	CU_ASSERT_EQUAL(mkfifo(p, 0600), 0);
	free(p);
	p = xasprintf("%s/new/zero", d);
	CU_ASSERT_EQUAL(symlink("/dev/zero", p), 0);
	free(p);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_count(ix), 8);
	CU_ASSERT_PTR_NOT_NULL(find_subject(ix, "after the filler"));
	CU_ASSERT_PTR_NULL(find_subject(ix, "beyond the limit"));
	CU_ASSERT_PTR_NULL(find_subject(ix, "body, not header"));
	m = find_subject(ix, "crlf");
	CU_ASSERT_PTR_NOT_NULL(m);
	if (m)
		CU_ASSERT_STRING_EQUAL(m->from, "Ana");
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	/* The unreadable one stays out of the cache and is tried again. */
	p = xasprintf("%s/cur/dangling:2,S", d);
	CU_ASSERT_EQUAL(unlink(p), 0);
	CU_ASSERT_EQUAL(tutil_write(p, "Subject: readable now\n\n", 24), 0);
	free(p);
	ix = open_ok(d, 0);
	CU_ASSERT_PTR_NOT_NULL(find_subject(ix, "readable now"));
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	buf_release(&big);
	free(d);
}

static char *many_msg(size_t i)
{
	return xasprintf("From: Sender %zu <s%zu@example.test>\nSubject: many %zu\n"
			 "Date: Thu, 26 Nov 2026 %02zu:%02zu:00 +0000\n\nbody\n",
			 i, i, i, i / 60, i % 60);
}

/* More new messages than one batch of the reader thread, with an
 * unreadable one among them: every field lands on its own record. */
static void test_many(void)
{
	struct index *ix;
	char *d, *p, *m;
	size_t i;

	fresh();
	d = new_maildir("box");
	for (i = 0; i < 1000; i++) {
		p = i % 3 ? xasprintf("%s/cur/%04zu.many,S=100:2,S", d, i)
			  : xasprintf("%s/new/%04zu.many", d, i);
		m = many_msg(i);
		if (i == 500) {
			CU_ASSERT_EQUAL(symlink("/nonexistent/surel-test", p), 0);
		} else {
			CU_ASSERT_EQUAL(tutil_write(p, m, strlen(m)), 0);
		}
		free(m);
		free(p);
	}
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL_FATAL(index_count(ix), 1000);
	/* The unreadable one has no date, so it comes first. */
	CU_ASSERT_EQUAL(atoi(index_at(ix, 0)->key), 500);
	CU_ASSERT_STRING_EQUAL(index_at(ix, 0)->subject, "");
	for (i = 1; i < 1000; i++) {
		const struct index_msg *x = index_at(ix, i);
		size_t k = i <= 500 ? i - 1 : i;
		char *want = xasprintf("many %zu", k), *from = xasprintf("Sender %zu", k);

		m = many_msg(k);
		CU_ASSERT_EQUAL(atoi(x->key), (int)k);
		CU_ASSERT_STRING_EQUAL(x->subject, want);
		CU_ASSERT_STRING_EQUAL(x->from, from);
		CU_ASSERT_EQUAL(x->size, k % 3 ? 100 : (off_t)strlen(m));
		free(m);
		free(want);
		free(from);
	}
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	ix = open_ok(d, 0);
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	free(d);
}

static void test_errors(void)
{
	struct err err = ERR_INIT;
	char *d;

	fresh();
	d = xasprintf("%s/missing", base);
	CU_ASSERT_PTR_NULL(index_open(d, 0, &err));
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	err_clear(&err);
	CU_ASSERT_PTR_NULL(index_open(d, INDEX_NO_CACHE, &err));
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	free(d);
}

/* Processes opening one folder while mail arrives: the cache is replaced
 * by rename, so no open ever sees a torn file, and whatever the last
 * writer left is right. */
static void test_concurrent(void)
{
	struct index *ix;
	char *d;
	pid_t kids[3];
	int i, status, bad = 0;

	fresh();
	d = new_maildir("box");
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		CU_ASSERT_FATAL(kids[i] >= 0);
		if (kids[i] == 0) {
			struct err err = ERR_INIT;
			int round, rc = 0;

			for (round = 0; round < 15; round++) {
				char *hdr = xasprintf("Subject: concurrent %d.%d\n", i, round);
				char *m = xasprintf("%s\nx\n", hdr);
				struct index *k;
				size_t j;

				if (maildir_deliver(d, m, strlen(m), NULL, NULL, &err) < 0)
					rc = 1;
				k = index_open(d, 0, &err);
				if (!k)
					rc = 1;
				for (j = 0; k && j < index_count(k); j++)
					if (strncmp(index_at(k, j)->subject, "concurrent ", 11) != 0)
						rc = 1;
				index_free(k);
				free(hdr);
				free(m);
			}
			_exit(rc);
		}
	}
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(waitpid(kids[i], &status, 0), kids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	}
	CU_ASSERT_EQUAL(bad, 0);
	ix = open_ok(d, 0);
	CU_ASSERT_EQUAL(index_count(ix), 45);
	CU_ASSERT(matches_uncached(ix, d));
	index_free(ix);
	free(d);
}

static int init(void)
{
	tutil_env_save("XDG_CACHE_HOME");
	return 0;
}

static int cleanup(void)
{
	tutil_env_restore();
	tutil_rmtree();
	return 0;
}

/* The cache reader on images made by the writer and then damaged, with
 * the checksum made right again so the reader gets past it. */
static void test_cache_check(void)
{
	struct index *ix;
	struct err err = ERR_INIT;
	char *d, *rel, *cf, *real, *data;
	size_t len;
	uint64_t sum, count;

	fresh();
	d = new_maildir("box");
	rel = put(d, "Subject: one\nFrom: A <a@b.test>\n", NULL);
	free(rel);
	rel = put(d, "Subject: two\n", "S");
	free(rel);
	ix = open_ok(d, 0);
	index_free(ix);
	cf = cache_file();
	real = realpath(d, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
	CU_ASSERT_EQUAL_FATAL(afile_read(cf, 1 << 20, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(index_cache_check(real, data, len), 2);
	CU_ASSERT_EQUAL(index_cache_check("/elsewhere", data, len), -1);
	CU_ASSERT_EQUAL(index_cache_check(real, data, len - 1), -1);
	CU_ASSERT_EQUAL(index_cache_check(real, data, 0), -1);
	/* A record count the file cannot hold, sealed again. */
	memcpy(&count, data + 16, 8);
	count = UINT64_MAX / 2;
	memcpy(data + 16, &count, 8);
	sum = index_cache_hash(data, len - 8);
	memcpy(data + len - 8, &sum, 8);
	CU_ASSERT_EQUAL(index_cache_check(real, data, len), -1);
	/* One record fewer than the strings hold. */
	count = 1;
	memcpy(data + 16, &count, 8);
	sum = index_cache_hash(data, len - 8);
	memcpy(data + len - 8, &sum, 8);
	CU_ASSERT_EQUAL(index_cache_check(real, data, len), -1);
	free(data);
	free(real);
	free(cf);
	free(d);
}

void suite_index(void)
{
	CU_pSuite s = CU_add_suite("index", init, cleanup);

	CU_add_test(s, "fields and order", test_fields_and_order);
	CU_add_test(s, "ties by key, sizes, empty folder", test_ties_and_sizes);
	CU_add_test(s, "warm open equals cold open", test_warm_equals_cold);
	CU_add_test(s, "flag rename without re-parse", test_flag_rename_no_reparse);
	CU_add_test(s, "new file picked up, deleted dropped", test_new_and_deleted);
	CU_add_test(s, "corrupt or foreign cache is rebuilt", test_corrupt_cache);
	CU_add_test(s, "INDEX_NO_CACHE", test_no_cache);
	CU_add_test(s, "cache images checked field by field", test_cache_check);
	CU_add_test(s, "set_flags renames the file", test_set_flags);
	CU_add_test(s, "refresh", test_refresh);
	CU_add_test(s, "one key in new/ and cur/", test_twins);
	CU_add_test(s, "long, CRLF, empty and unreadable messages", test_odd_messages);
	CU_add_test(s, "1000 new messages, one unreadable", test_many);
	CU_add_test(s, "missing folder", test_errors);
	CU_add_test(s, "concurrent opens", test_concurrent);
}
