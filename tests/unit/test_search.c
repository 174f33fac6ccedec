#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "buf.h"
#include "index_cache.h"
#include "maildir.h"
#include "search.h"
#include "search_query.h"
#include "search_text.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* The blank-separated tokens of s joined by '|'. */
static char *tokens(const char *s)
{
	struct buf b = BUF_INIT;
	char *copy = xstrdup(s), *save = NULL, *t;

	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (b.len)
			buf_putc(&b, '|');
		buf_puts(&b, t);
	}
	buf_putc(&b, '\0');
	free(copy);
	return buf_detach(&b, NULL);
}

static void test_segment(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "plain words", "plain|words" },
		{ "東京都", "東京|京都|都" },
		{ "abc東京 x 京", "abc|東京|京|x|京" },
		{ "こんにちは!", "こん|んに|にち|ちは|は|!" },
		{ "안녕", "안녕|녕" },
		{ "\xff\xfe", "\xff\xfe" },
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *got;

		buf_reset(&out);
		search_text_segment(t[i].in, strlen(t[i].in), &out);
		buf_putc(&out, '\0');
		got = tokens(out.data);
		if (strcmp(got, t[i].want) != 0) {
			fprintf(stderr, "\nsegment %zu: got [%s] want [%s]\n", i, got, t[i].want);
			CU_FAIL("search_text_segment");
		}
		free(got);
	}
	buf_release(&out);
}

static void test_query_text(void)
{
	static const struct {
		const char *in;
		int prefix;
		const char *want;
	} t[] = {
		{ "word", 0, "\"word\"" },
		{ "inv", 1, "\"inv\" *" },
		{ "a\"b", 0, "\"a\"\"b\"" },
		{ "京", 0, "\"京\" *" },
		{ "東京都", 0, "\" 東京 京都 \"" },
		{ "abc京", 0, "\"abc\" + \"京\" *" },
		{ "--", 0, NULL },
	};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		buf_reset(&out);
		rc = search_text_query(t[i].in, t[i].prefix, &out);
		buf_putc(&out, '\0');
		if (!t[i].want) {
			CU_ASSERT_EQUAL(rc, -1);
			continue;
		}
		CU_ASSERT_EQUAL(rc, 0);
		if (strcmp(out.data, t[i].want) != 0) {
			fprintf(stderr, "\nquery %zu: got [%s] want [%s]\n", i, out.data, t[i].want);
			CU_FAIL("search_text_query");
		}
	}
	buf_release(&out);
}

static void test_parse(void)
{
	static const char *const bad[] = {
		"(", "a OR", "NOT", "(a b", "a)", "\"open", "date:2024-13", "date:..", "is:bogus",
		"has:wings", "date:yesterday", "bogus:x", "Subjekt:x", "date:2025..2024",
		"date:2024-02-30", "date:2024-06..2024-05-31", "from:", "folder:", "id:", "thread:",
		"a OR OR b", "AND a", "(OR a)", "a AND OR b", "date:20240630", "date:2024-06-",
		"date:2024-06-1x",
	};
	struct err err = ERR_INIT;
	struct search_query *q;
	size_t i;

	q = search_query_parse("from:ana \"x y\" OR NOT is:unread date:2024..2024-06", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_PTR_NOT_NULL(strstr(q->where, "MATCH ?"));
	CU_ASSERT_PTR_NOT_NULL(strstr(q->where, "instr(m.flags, 'S') = 0"));
	CU_ASSERT_EQUAL(q->nterms, 2);
	search_query_free(q);

	/* User text reaches SQL only as bound values. */
	q = search_query_parse("\"'); DROP TABLE msg; --\" folder:x'y", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_PTR_NULL(strstr(q->where, "DROP"));
	CU_ASSERT_PTR_NULL(strstr(q->where, "x'y"));
	CU_ASSERT_EQUAL(q->nbinds, 1);
	/* The phrase drives the query, as one FTS5 string (bound too). */
	CU_ASSERT_PTR_NOT_NULL_FATAL(q->drive);
	CU_ASSERT_STRING_EQUAL(q->drive, "(\"'); DROP TABLE msg; --\")");
	search_query_free(q);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		q = search_query_parse(bad[i], &err);
		if (q) {
			fprintf(stderr, "\naccepted [%s]\n", bad[i]);
			CU_FAIL("bad query accepted");
		}
		CU_ASSERT_EQUAL(err.code, EX_USAGE);
		search_query_free(q);
	}
}

static void put(const char *dir, const char *subject, const char *body, const char *flags)
{
	struct err err = ERR_INIT;
	char *m = xasprintf("From: Ana <ana@example.test>\nSubject: %s\n"
			    "Date: Mon, 30 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n"
			    "Content-Type: text/plain; charset=utf-8\n\n%s\n", subject, body);

	CU_ASSERT_EQUAL(maildir_deliver(dir, m, strlen(m), flags, NULL, &err), 0);
	free(m);
}

static size_t count(struct search *s, const char *q)
{
	struct err err = ERR_INIT;
	struct search_hit *v;
	size_t n = (size_t)-1;

	CU_ASSERT_EQUAL(search_refresh(s, NULL, NULL, &err), 0);
	if (search_run(s, q, NULL, 0, 0, &v, &n, &err) == 0)
		search_hits_free(v, n);
	else
		fprintf(stderr, "\n%s: %s\n", q, err.msg);
	return n;
}

/* The one .db file below cache (caller frees), or NULL. */
static char *db_file(const char *cache)
{
	char *dir = xasprintf("%s/surel/search", cache), *found = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && !found && (de = readdir(d)))
		if (strlen(de->d_name) > 3 && strcmp(de->d_name + strlen(de->d_name) - 3, ".db") == 0)
			found = xasprintf("%s/%s", dir, de->d_name);
	if (d)
		closedir(d);
	free(dir);
	return found;
}

/* The store: refresh after new, renamed and removed files, a corrupt
 * file rebuilt. */
static void test_store(void)
{
	struct err err = ERR_INIT;
	const char *base = tutil_tmpdir();
	char *root = xasprintf("%s/Mail", base), *cache = xasprintf("%s/cache", base);
	char *inbox = maildir_folder_path(root, "INBOX"), *arch = maildir_folder_path(root, "Arch");
	struct maildir_entry *e;
	struct search *s;
	size_t n, nf;
	FILE *f;
	char *db, *real, *legacy;

	setenv("XDG_CACHE_HOME", cache, 1);
	CU_ASSERT_EQUAL_FATAL(maildir_create(inbox, &err), 0);
	CU_ASSERT_EQUAL_FATAL(maildir_create(arch, &err), 0);
	put(inbox, "Rapat anggaran", "café au lait", "S");
	put(inbox, "Другое", "привет мир", "");
	put(arch, "old", "東京都の会議", "S");
	/* The file an earlier version named by the folder index's hash. */
	real = realpath(root, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(real);
	legacy = xasprintf("%s/surel/search/%016llx.db", cache,
			   (unsigned long long)index_cache_hash(real, strlen(real)));
	free(real);
	db = xasprintf("%s/surel/search", cache);
	CU_ASSERT_EQUAL(afile_mkdirs(db, &err), 0);
	free(db);
	CU_ASSERT_EQUAL(tutil_write(legacy, "old", 3), 0);
	s = search_open(root, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(access(legacy, F_OK), -1);
	free(legacy);
	CU_ASSERT_EQUAL(count(s, "cafe"), 1);
	CU_ASSERT_EQUAL(count(s, "привет"), 1);
	CU_ASSERT_EQUAL(count(s, "京都"), 1);
	CU_ASSERT_EQUAL(count(s, "is:unread"), 1);
	CU_ASSERT_EQUAL(count(s, "folder:Arch"), 1);
	CU_ASSERT_EQUAL(count(s, "subject:rapat OR 会議"), 2);
	CU_ASSERT_EQUAL(search_count(s, &n, &nf, &err), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(nf, 2);

	/* A flag change by another program, a removal, a new message. */
	CU_ASSERT_EQUAL_FATAL(maildir_list(inbox, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(maildir_set_flags(inbox, &e[0], "FS", &err), 0);
	CU_ASSERT_EQUAL(maildir_remove(inbox, &e[1], &err), 0);
	maildir_entries_free(e, n);
	put(arch, "new one", "zebra", "");
	/* The directories' mtimes may not have moved within this second:
	 * a refresh must not trust them (search.h). */
	CU_ASSERT_EQUAL(count(s, "is:flagged"), 1);
	CU_ASSERT_EQUAL(count(s, "zebra"), 1);
	CU_ASSERT_EQUAL(search_count(s, &n, &nf, &err), 0);
	CU_ASSERT_EQUAL(n, 3);
	search_close(s);

	/* Garbage in the file: rebuilt on open, same answers. */
	db = db_file(cache);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	f = fopen(db, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("not a database, not a database, not a database, not a database\n", f);
	fclose(f);
	free(db);
	s = search_open(root, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* One of the two INBOX messages was removed, whichever listed second. */
	CU_ASSERT_EQUAL(count(s, "zebra OR cafe OR привет"), 2);
	search_close(s);
	free(inbox);
	free(arch);
	free(root);
	free(cache);
}

/* id: and thread: find messages by the Message-ID and the thread ids
 * the index holds; field names in any case. */
static void test_ids(void)
{
	struct err err = ERR_INIT;
	const char *base = tutil_tmpdir();
	char *root = xasprintf("%s/IdMail", base), *cache = xasprintf("%s/cache3", base);
	char *inbox = maildir_folder_path(root, "INBOX");
	static const char *const msgs[] = {
		"Message-ID: <root@x.test>\nSubject: start\n\nhello\n",
		"Message-ID: <r1@x.test>\nIn-Reply-To: <root@x.test>\nSubject: Re: start\n\nyes\n",
		"Message-ID: <r2@x.test>\nReferences: <root@x.test> <r1@x.test>\n"
		"In-Reply-To: <r1@x.test>\nSubject: Re: start\n\nno\n",
		"Message-ID: <other@x.test>\nSubject: else\n\nhello\n",
	};
	struct search_hit *v;
	struct search *s;
	size_t i, n;

	setenv("XDG_CACHE_HOME", cache, 1);
	CU_ASSERT_EQUAL_FATAL(maildir_create(inbox, &err), 0);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		CU_ASSERT_EQUAL(maildir_deliver(inbox, msgs[i], strlen(msgs[i]), "S", NULL, &err), 0);
	s = search_open(root, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(count(s, "id:r1@x.test"), 1);
	CU_ASSERT_EQUAL(count(s, "id:<r1@x.test>"), 1);
	CU_ASSERT_EQUAL(count(s, "id:r1@x"), 0);
	CU_ASSERT_EQUAL(count(s, "thread:root@x.test"), 3);
	CU_ASSERT_EQUAL(count(s, "thread:<r2@x.test>"), 3);
	CU_ASSERT_EQUAL(count(s, "thread:other@x.test"), 1);
	CU_ASSERT_EQUAL(count(s, "hello NOT thread:r1@x.test"), 1);
	CU_ASSERT_EQUAL(count(s, "Subject:start"), 3);
	/* A snippet is of the text, not of the ids the body column holds. */
	CU_ASSERT_EQUAL_FATAL(search_run(s, "yes", NULL, 0, SEARCH_SNIPPETS, &v, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].snippet, "yes");
	search_hits_free(v, n);
	search_close(s);
	free(inbox);
	free(root);
	free(cache);
}

static void put_id(const char *dir, const char *id, const char *body)
{
	struct err err = ERR_INIT;
	char *m = xasprintf("From: Ana <ana@example.test>\nSubject: moving\nMessage-ID: <%s>\n"
			    "Date: Mon, 30 Nov 2026 10:00:00 +0000\n\n%s\n", id, body);

	CU_ASSERT_EQUAL(maildir_deliver(dir, m, strlen(m), "S", NULL, &err), 0);
	free(m);
}

/* The entries of dir, at least one. */
static int first_entry(const char *dir, struct maildir_entry **e, size_t *n)
{
	struct err err = ERR_INIT;

	return maildir_list(dir, 0, e, n, &err) == 0 && *n > 0 ? 0 : -1;
}

/* Moves cost no reading: a file moved to another folder under its key
 * (maildir_move()), one another program copied under a new name and then
 * deleted (mutt), a flag change; what the refresh did is in its stats. */
static void test_moves(void)
{
	struct err err = ERR_INIT;
	const char *base = tutil_tmpdir();
	char *root = xasprintf("%s/MoveMail", base), *cache = xasprintf("%s/cache2", base);
	char *inbox = maildir_folder_path(root, "INBOX"), *arch = maildir_folder_path(root, "Arch");
	struct search_stats st0, st;
	struct maildir_entry *e;
	struct search *s;
	char *path, *data;
	size_t n, len;

	setenv("XDG_CACHE_HOME", cache, 1);
	CU_ASSERT_EQUAL_FATAL(maildir_create(inbox, &err), 0);
	CU_ASSERT_EQUAL_FATAL(maildir_create(arch, &err), 0);
	put_id(inbox, "m1@example.test", "walrus");
	s = search_open(root, 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(count(s, "walrus AND folder:INBOX"), 1);
	search_stats(s, &st0);
	CU_ASSERT_EQUAL(st0.read, 1);

	/* surel's move: one rename keeping the key. */
	CU_ASSERT_EQUAL_FATAL(first_entry(inbox, &e, &n), 0);
	CU_ASSERT_EQUAL(maildir_move(inbox, &e[0], arch, &err), 0);
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(count(s, "walrus AND folder:Arch"), 1);
	CU_ASSERT_EQUAL(count(s, "walrus"), 1);
	search_stats(s, &st);
	CU_ASSERT_EQUAL(st.read, st0.read);
	CU_ASSERT_EQUAL(st.moved, st0.moved + 1);

	/* mutt's move: the same bytes under a new name, the old file gone. */
	CU_ASSERT_EQUAL_FATAL(first_entry(arch, &e, &n), 0);
	path = xasprintf("%s/%s", arch, e[0].path);
	CU_ASSERT_EQUAL_FATAL(afile_read_regular(path, 1 << 20, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(maildir_deliver(inbox, data, len, "S", NULL, &err), 0);
	CU_ASSERT_EQUAL(unlink(path), 0);
	free(data);
	free(path);
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(count(s, "walrus AND folder:INBOX"), 1);
	CU_ASSERT_EQUAL(count(s, "walrus"), 1);
	search_stats(s, &st);
	CU_ASSERT_EQUAL(st.read, st0.read);
	CU_ASSERT_EQUAL(st.moved, st0.moved + 2);

	/* A flag change is a rename in the folder. */
	CU_ASSERT_EQUAL_FATAL(first_entry(inbox, &e, &n), 0);
	CU_ASSERT_EQUAL(maildir_set_flags(inbox, &e[0], "FS", &err), 0);
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(count(s, "walrus AND is:flagged"), 1);
	search_stats(s, &st);
	CU_ASSERT_EQUAL(st.read, st0.read);
	CU_ASSERT_EQUAL(st.renamed, st0.renamed + 1);

	/* Another message with the same size and Message-ID is a copy, not
	 * the moved one, when the original stays: read. */
	put_id(arch, "m1@example.test", "walrus");
	CU_ASSERT_EQUAL(count(s, "walrus"), 2);
	search_stats(s, &st);
	CU_ASSERT_EQUAL(st.read, st0.read + 1);
	search_close(s);
	free(inbox);
	free(arch);
	free(root);
	free(cache);
}

static int setup(void)
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

void suite_search(void)
{
	CU_pSuite s = CU_add_suite("search", setup, cleanup);

	CU_add_test(s, "CJK segmentation", test_segment);
	CU_add_test(s, "query words as FTS5 strings", test_query_text);
	CU_add_test(s, "query parsing and errors", test_parse);
	CU_add_test(s, "store: refresh, flags, removal, rebuild", test_store);
	CU_add_test(s, "store: moves are not read again", test_moves);
	CU_add_test(s, "store: id: and thread:", test_ids);
}
