#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "abook.h"
#include "afile.h"
#include "buf.h"
#include "err.h"
#include "path.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

#define DAY (24L * 60 * 60)
/* A fixed "now" far from the test's own clock, so the racy-time rule of
 * abook_update() does not apply to the files made here. */
#define NOW ((time_t)4000000000LL)

static void mkmaildir(const char *dir)
{
	char *p;

	mkdir(dir, 0700);
	p = path_join(dir, "cur");
	mkdir(p, 0700);
	free(p);
	p = path_join(dir, "new");
	mkdir(p, 0700);
	free(p);
	p = path_join(dir, "tmp");
	mkdir(p, 0700);
	free(p);
}

/* A message file dir/sub/name with the given header lines. */
static void put_msg(const char *dir, const char *rel, const char *headers)
{
	struct buf b = BUF_INIT;
	char *p = path_join(dir, rel);

	buf_printf(&b, "%s\n\nbody\n", headers);
	CU_ASSERT_EQUAL_FATAL(tutil_write(p, b.data, b.len), 0);
	buf_release(&b);
	free(p);
}

/* An RFC 5322 date days before NOW. */
static const char *date_ago(long days, char *out, size_t size)
{
	time_t t = NOW - days * DAY;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "Date: %d %b %Y %H:%M:%S +0000", &tm);
	return out;
}

static size_t find(const struct abook *b, const char *q, struct abook_match **v)
{
	size_t n = 0;

	*v = NULL;
	abook_find(b, q, v, &n);
	return n;
}

static void test_ranking(void)
{
	const char *tmp = tutil_tmpdir();
	char *sent = path_join(tmp, "Sent");
	struct abook *b = abook_new();
	struct abook_match *v;
	char d[64], h[256], name[64];
	size_t n;
	int i;

	mkmaildir(sent);
	/* old@ five times a year ago, new@ twice this week, often@ ten
	 * times last week, once@ once today. */
	for (i = 0; i < 5; i++) {
		snprintf(h, sizeof(h), "To: Old <old@example.org>\n%s\nMessage-ID: <o%d@x>",
			 date_ago(365 + i, d, sizeof(d)), i);
		snprintf(name, sizeof(name), "cur/%d.o:2,S", i);
		put_msg(sent, name, h);
	}
	for (i = 0; i < 2; i++) {
		snprintf(h, sizeof(h), "To: new@example.org\n%s\nMessage-ID: <n%d@x>",
			 date_ago(1 + i, d, sizeof(d)), i);
		snprintf(name, sizeof(name), "cur/%d.n:2,S", i);
		put_msg(sent, name, h);
	}
	for (i = 0; i < 10; i++) {
		snprintf(h, sizeof(h), "To: Often <often@example.org>, me@example.test\n%s\nMessage-ID: <f%d@x>",
			 date_ago(7, d, sizeof(d)), i);
		snprintf(name, sizeof(name), "new/%d.f", i);
		put_msg(sent, name, h);
	}
	snprintf(h, sizeof(h), "Cc: once@example.org\n%s\nMessage-ID: <1@x>", date_ago(0, d, sizeof(d)));
	put_msg(sent, "cur/once:2,S", h);
	abook_add_source(b, ABOOK_SENT, sent);
	abook_add_self(b, "ME@example.test");
	CU_ASSERT_EQUAL(abook_update(b, NOW), 18);
	CU_ASSERT_EQUAL(abook_count(b), 4);
	CU_ASSERT_EQUAL(abook_times(b, "OFTEN@example.org", NULL), 10);
	CU_ASSERT_EQUAL(abook_times(b, "me@example.test", NULL), -1);
	n = find(b, "", &v);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_STRING_EQUAL(v[0].addr, "often@example.org");
	CU_ASSERT_STRING_EQUAL(v[0].name, "Often");
	CU_ASSERT_STRING_EQUAL(v[1].addr, "new@example.org");
	CU_ASSERT_STRING_EQUAL(v[2].addr, "once@example.org");
	CU_ASSERT_STRING_EQUAL(v[3].addr, "old@example.org");
	CU_ASSERT_EQUAL(v[3].source, ABOOK_BOOK);
	abook_matches_free(v, n);
	/* Matching is in the address or the name, case-insensitive. */
	n = find(b, "OLD", &v);
	CU_ASSERT_EQUAL(n, 1);
	abook_matches_free(v, n);
	n = find(b, "ofte", &v);
	CU_ASSERT_EQUAL(n, 1);
	abook_matches_free(v, n);
	n = find(b, "nobody", &v);
	CU_ASSERT_EQUAL(n, 0);
	abook_matches_free(v, n);
	abook_free(b);
	free(sent);
	tutil_rmtree();
}

/* Header blocks as mail has them: folded fields, CRLF line ends, encoded
 * names, field names in any case, a field only in the body, a To split
 * across the first read of the file. */
static void test_header_forms(void)
{
	const char *tmp = tutil_tmpdir();
	char *sent = path_join(tmp, "Sent");
	struct abook *b = abook_new();
	struct abook_match *v;
	struct buf big = BUF_INIT;
	time_t last;
	size_t n;
	int i;

	mkmaildir(sent);
	put_msg(sent, "cur/1.a:2,S",
		"Received: from x\n\tby y\nTO: Ana\n  Putri <ana@example.org>,\n\tbudi@example.org\n"
		"date: Tue, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <m1@x>");
	put_msg(sent, "cur/2.b:2,S",
		"Subject: x\r\nCc: =?UTF-8?B?Q2l0cmEgV8O8?= <citra@example.org>\r\n"
		"Date: Wed, 2 Dec 2026 10:00:00 +0000\r\n\r\nTo: body@example.org");
	for (i = 0; i < 400; i++)
		buf_printf(&big, "X-Filler-%d: %s\n", i, "0123456789");
	buf_puts(&big, "Bcc: Dewi <dewi@example.org>\nMessage-ID: <m3@x>");
	put_msg(sent, "cur/3.c:2,S", big.data);
	buf_release(&big);
	abook_add_source(b, ABOOK_SENT, sent);
	CU_ASSERT_EQUAL(abook_update(b, NOW), 3);
	CU_ASSERT_EQUAL(abook_count(b), 4);
	CU_ASSERT_EQUAL(abook_times(b, "body@example.org", NULL), -1);
	CU_ASSERT_EQUAL(abook_times(b, "budi@example.org", &last), 1);
	CU_ASSERT_EQUAL(last, 1796119200);
	CU_ASSERT_EQUAL(abook_times(b, "dewi@example.org", NULL), 1);
	n = find(b, "putri", &v);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].name, "Ana Putri");
	abook_matches_free(v, n);
	n = find(b, "citra w\xc3\xbc", &v);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(v[0].addr, "citra@example.org");
	abook_matches_free(v, n);
	abook_free(b);
	free(sent);
	tutil_rmtree();
}

/* More files than one batch: read by the second thread while this one
 * parses; every file counted once, an unreadable one skipped. */
static void test_many_files(void)
{
	const char *tmp = tutil_tmpdir();
	char *sent = path_join(tmp, "Sent"), *p;
	struct abook *b = abook_new();
	char h[128], name[64];
	int i;

	mkmaildir(sent);
	for (i = 0; i < 1000; i++) {
		snprintf(h, sizeof(h), "To: r%d@example.org, all@example.org\nMessage-ID: <%d@x>", i % 300, i);
		snprintf(name, sizeof(name), "cur/%d.m:2,S", 1000000 + i);
		put_msg(sent, name, h);
	}
	/* A name that cannot be opened (a dangling link: as root a mode
	 * 000 file would open). */
	p = path_join(sent, "cur/2000000.d:2,S");
	CU_ASSERT_EQUAL(symlink("/nonexistent/abook-test", p), 0);
	free(p);
	abook_add_source(b, ABOOK_SENT, sent);
	CU_ASSERT_EQUAL(abook_update(b, NOW), 1001);
	CU_ASSERT_EQUAL(abook_count(b), 301);
	CU_ASSERT_EQUAL(abook_times(b, "all@example.org", NULL), 1000);
	CU_ASSERT_EQUAL(abook_times(b, "r299@example.org", NULL), 3);
	/* The unreadable one is tried again, the others are not. */
	CU_ASSERT_EQUAL(abook_update(b, NOW), 1);
	CU_ASSERT_EQUAL(abook_times(b, "all@example.org", NULL), 1000);
	abook_free(b);
	free(sent);
	tutil_rmtree();
}

/* Replied-to senders, the queue directory, de-duplication by Message-ID
 * and the incremental update through the cache file. */
static void test_incremental(void)
{
	const char *tmp = tutil_tmpdir();
	char *sent = path_join(tmp, "Sent"), *inbox = path_join(tmp, "INBOX");
	char *queue = path_join(tmp, "msg"), *cache = path_join(tmp, "cache/abook");
	char *p, *q;
	struct abook *b;
	struct err err = ERR_INIT;
	time_t last;

	mkmaildir(sent);
	mkmaildir(inbox);
	mkdir(queue, 0700);
	put_msg(sent, "cur/1.a:2,S", "To: Ana <ana@example.org>\nDate: 1 Jan 2026 00:00 +0000\nMessage-ID: <s1@x>");
	put_msg(inbox, "cur/2.b:2,RS", "From: Budi <budi@example.org>\nTo: me@example.test\nMessage-ID: <i1@x>");
	put_msg(inbox, "cur/3.c:2,S", "From: Citra <citra@example.org>\nMessage-ID: <i2@x>");
	put_msg(queue, "1767225600.q", "To: ana@example.org\nMessage-ID: <s2@x>");

	b = abook_new();
	abook_add_source(b, ABOOK_SENT, sent);
	abook_add_source(b, ABOOK_REPLIED, inbox);
	abook_add_source(b, ABOOK_PLAIN, queue);
	CU_ASSERT_EQUAL(abook_load(b, cache), 0);
	/* The real clock: the directories just changed, so their times are
	 * not trusted and every update lists them (only new keys are read). */
	CU_ASSERT_EQUAL(abook_update(b, time(NULL)), 3);
	CU_ASSERT_EQUAL(abook_times(b, "ana@example.org", NULL), 2);
	CU_ASSERT_EQUAL(abook_times(b, "budi@example.org", NULL), 1);
	CU_ASSERT_EQUAL(abook_times(b, "citra@example.org", NULL), -1);
	CU_ASSERT_EQUAL(abook_update(b, time(NULL)), 0);
	CU_ASSERT_EQUAL_FATAL(abook_save(b, cache, &err), 0);
	abook_free(b);

	/* The queued message is relayed: it leaves the queue and its Sent
	 * copy appears under another name; the Citra message gets flag R;
	 * nothing else is read again. */
	p = path_join(queue, "1767225600.q");
	q = path_join(sent, "cur/4.d:2,S");
	CU_ASSERT_EQUAL(rename(p, q), 0);
	free(p);
	free(q);
	p = path_join(inbox, "cur/3.c:2,S");
	q = path_join(inbox, "cur/3.c:2,RS");
	CU_ASSERT_EQUAL(rename(p, q), 0);
	free(p);
	free(q);
	b = abook_new();
	abook_add_source(b, ABOOK_SENT, sent);
	abook_add_source(b, ABOOK_REPLIED, inbox);
	abook_add_source(b, ABOOK_PLAIN, queue);
	CU_ASSERT_EQUAL(abook_load(b, cache), 1);
	CU_ASSERT_EQUAL(abook_count(b), 2);
	CU_ASSERT_EQUAL(abook_update(b, time(NULL)), 2);
	CU_ASSERT_EQUAL(abook_times(b, "ana@example.org", &last), 2);
	CU_ASSERT_EQUAL(last, 1767225600);
	CU_ASSERT_EQUAL(abook_times(b, "citra@example.org", NULL), 1);
	abook_free(b);
	free(sent);
	free(inbox);
	free(queue);
	free(cache);
	tutil_rmtree();
}

/* A cache that is damaged, truncated or of another version is rebuilt. */
static void test_corrupt_cache(void)
{
	const char *tmp = tutil_tmpdir();
	char *sent = path_join(tmp, "Sent"), *cache = path_join(tmp, "abook");
	struct err err = ERR_INIT;
	struct abook *b;
	char *data;
	size_t len;
	FILE *f;

	mkmaildir(sent);
	put_msg(sent, "cur/1.a:2,S", "To: Ana <ana@example.org>\nMessage-ID: <s1@x>");
	b = abook_new();
	abook_add_source(b, ABOOK_SENT, sent);
	abook_update(b, NOW);
	CU_ASSERT_EQUAL_FATAL(abook_save(b, cache, &err), 0);
	abook_free(b);
	CU_ASSERT_EQUAL_FATAL(afile_read(cache, 0, &data, &len, &err), 0);

	/* One byte changed: the checksum no longer matches. */
	data[len / 2] ^= 1;
	CU_ASSERT_EQUAL(tutil_write(cache, data, len), 0);
	b = abook_new();
	abook_add_source(b, ABOOK_SENT, sent);
	CU_ASSERT_EQUAL(abook_load(b, cache), 0);
	CU_ASSERT_EQUAL(abook_count(b), 0);
	CU_ASSERT_EQUAL(abook_update(b, NOW), 1);
	CU_ASSERT_EQUAL(abook_times(b, "ana@example.org", NULL), 1);
	abook_free(b);
	/* Cut short, empty, garbage. */
	CU_ASSERT_EQUAL(tutil_write(cache, data, len - 5), 0);
	b = abook_new();
	CU_ASSERT_EQUAL(abook_load(b, cache), 0);
	abook_free(b);
	CU_ASSERT_EQUAL(tutil_write(cache, "", 0), 0);
	b = abook_new();
	CU_ASSERT_EQUAL(abook_load(b, cache), 0);
	abook_free(b);
	f = fopen(cache, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("surel-abook 2\nsum 0000000000000000\n", f);
	fclose(f);
	b = abook_new();
	CU_ASSERT_EQUAL(abook_load(b, cache), 0);
	abook_free(b);
	free(data);
	free(sent);
	free(cache);
	tutil_rmtree();
}

static void check(const struct abook_match *m, const char *addr, const char *name,
		  const char *nick)
{
	CU_ASSERT_STRING_EQUAL(m->addr, addr);
	if (name) {
		CU_ASSERT_STRING_EQUAL(m->name ? m->name : "(null)", name);
	} else {
		CU_ASSERT_PTR_NULL(m->name);
	}
	if (nick) {
		CU_ASSERT_STRING_EQUAL(m->nick ? m->nick : "(null)", nick);
	}
}

static void test_aliases(void)
{
	static const char text[] =
		"# mutt aliases\n"
		"alias bob Bob Smith <bob@example.org>   # the builder\n"
		"alias -group work -group x jane \"Doe, Jane\" <jane@example.org>\n"
		"alias team bob, jane, carol@example.org\n"
		"set realname = \"nobody\"\n"
		"alias hash \"Ana #1\" <ana\\#1@example.org>\n"
		"alias long Long Name \\\n"
		"  <long@example.org>\n"
		"alias loop loop2\n"
		"alias loop2 loop\n"
		"alias crlf <crlf@example.org>\r\n"
		/* A line holding a NUL is skipped (found by fuzz_abook). */
		"alias \0nul <nul@example.org>\n";
	struct abook_match *v = NULL;
	size_t n = 0;

	abook_aliases_find(text, sizeof(text) - 1, "", &v, &n);
	CU_ASSERT_EQUAL_FATAL(n, 8);
	check(&v[0], "bob@example.org", "Bob Smith", "bob");
	check(&v[1], "jane@example.org", "Doe, Jane", "jane");
	check(&v[2], "bob@example.org", "Bob Smith", "team");
	check(&v[3], "jane@example.org", "Doe, Jane", "team");
	check(&v[4], "carol@example.org", NULL, "team");
	check(&v[5], "ana#1@example.org", "Ana #1", "hash");
	check(&v[6], "long@example.org", "Long Name", "long");
	check(&v[7], "crlf@example.org", NULL, "crlf");
	CU_ASSERT_EQUAL(v[0].source, ABOOK_ALIAS);
	abook_matches_free(v, n);

	/* By nick, name or address. */
	v = NULL;
	n = 0;
	abook_aliases_find(text, sizeof(text) - 1, "TEA", &v, &n);
	CU_ASSERT_EQUAL(n, 3);
	abook_matches_free(v, n);
	v = NULL;
	n = 0;
	abook_aliases_find(text, sizeof(text) - 1, "doe", &v, &n);
	CU_ASSERT_EQUAL(n, 1);  /* jane; team names jane only by nick */
	abook_matches_free(v, n);
}

/* Aliases that name each other over and over give a bounded list, at
 * once (found by fuzz_abook: 4^8 expansions per alias before). */
static void test_alias_blowup(void)
{
	struct buf text = BUF_INIT;
	struct abook_match *v = NULL;
	size_t n = 0;
	int i;

	for (i = 0; i < 9; i++)
		buf_printf(&text, "alias a%d a%d, a%d, a%d, a%d, x%d@example.org\n", i, i + 1, i + 1,
			   i + 1, i + 1, i);
	abook_aliases_find(text.data, text.len, "a0", &v, &n);
	CU_ASSERT(n > 0 && n <= 1000);
	abook_matches_free(v, n);
	buf_release(&text);
}

static void test_query_output(void)
{
	static const char lbdb[] =
		"lbdbq: 3 matches\n"
		"ana@example.org\tAna Putri\tfrom khard\n"
		"budi@example.org\tBudi\n"
		"not an address\tNobody\n"
		"\n"
		"citra@example.org\t\r\n";
	static const char notmuch[] =
		"Dewi <dewi@example.org>\n"
		"eko@example.org\n";
	struct abook_match *v = NULL;
	size_t n = 0;

	abook_cmd_parse(lbdb, strlen(lbdb), &v, &n);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	check(&v[0], "ana@example.org", "Ana Putri", NULL);
	check(&v[1], "budi@example.org", "Budi", NULL);
	check(&v[2], "citra@example.org", NULL, NULL);
	CU_ASSERT_EQUAL(v[2].source, ABOOK_COMMAND);
	abook_matches_free(v, n);
	v = NULL;
	n = 0;
	abook_cmd_parse(notmuch, strlen(notmuch), &v, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	check(&v[0], "dewi@example.org", "Dewi", NULL);
	check(&v[1], "eko@example.org", NULL, NULL);
	abook_matches_free(v, n);
}

/* How many bytes cmd wrote to our stderr when run with flags (kept in
 * the file dir/stderr meanwhile). */
static long stderr_of(const char *dir, const char *cmd, unsigned flags)
{
	char *path = path_join(dir, "stderr");
	struct abook_match *v = NULL;
	struct err err = ERR_INIT;
	struct stat st;
	size_t n = 0;
	int saved = dup(STDERR_FILENO), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	CU_ASSERT_EQUAL(abook_cmd_run(cmd, "q", flags, &v, &n, &err), 0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	abook_matches_free(v, n);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	free(path);
	return (long)st.st_size;
}

/* The query reaches the command as one argument, never as shell text. */
static void test_query_command(void)
{
	const char *tmp = tutil_tmpdir();
	char *script = path_join(tmp, "q.sh"), *flag = path_join(tmp, "pwned");
	struct abook_match *v = NULL;
	struct err err = ERR_INIT;
	struct buf cmd = BUF_INIT, q = BUF_INIT;
	size_t n = 0;
	static const char body[] =
		"#!/bin/sh\n"
		"echo \"searching\"\n"
		"printf '%s@example.org\\tFound\\n' \"$(printf %s \"$1\" | tr -c 'a-z' _)\"\n";

	CU_ASSERT_EQUAL_FATAL(tutil_write(script, body, strlen(body)), 0);
	chmod(script, 0700);
	buf_printf(&q, "x'; touch %s; '$(touch %s)", flag, flag);

	buf_printf(&cmd, "%s '%%s'", script);
	CU_ASSERT_EQUAL(abook_cmd_run(cmd.data, "ana", 0, &v, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check(&v[0], "ana@example.org", "Found", NULL);
	CU_ASSERT_EQUAL(abook_cmd_run(cmd.data, q.data, 0, &v, &n, &err), 0);
	/* No %s: appended; through the shell (a pipe), "$1". */
	buf_reset(&cmd);
	buf_printf(&cmd, "%s", script);
	CU_ASSERT_EQUAL(abook_cmd_run(cmd.data, q.data, 0, &v, &n, &err), 0);
	buf_reset(&cmd);
	buf_printf(&cmd, "%s '%%s' | cat", script);
	CU_ASSERT_EQUAL(abook_cmd_run(cmd.data, q.data, 0, &v, &n, &err), 0);
	buf_reset(&cmd);
	buf_printf(&cmd, "%s %%s | cat", script);
	CU_ASSERT_EQUAL(abook_cmd_run(cmd.data, q.data, 0, &v, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT(access(flag, F_OK) != 0);
	abook_matches_free(v, n);
	v = NULL;
	n = 0;

	CU_ASSERT_EQUAL(abook_cmd_run("/nonexistent/query", "a", 0, &v, &n, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	err_clear(&err);
	CU_ASSERT_EQUAL(abook_cmd_run("false", "a", 0, &v, &n, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_UNAVAILABLE);
	err_clear(&err);
	/* A failing command's output still counts, as in mutt. */
	CU_ASSERT_EQUAL(abook_cmd_run("sh -c 'echo x; echo a@b.example; exit 1'", "a", 0, &v, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(abook_cmd_run("yes", "a", 0, &v, &n, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	/* ABOOK_QUIET: what the command says on stderr does not reach ours
	 * (in the MUA it would write over the screen). */
	CU_ASSERT_EQUAL(stderr_of(tmp, "sh -c 'echo noise >&2; echo x'", ABOOK_QUIET), 0);
	CU_ASSERT(stderr_of(tmp, "sh -c 'echo noise >&2; echo x'", 0) > 0);
	abook_matches_free(v, n);
	buf_release(&cmd);
	buf_release(&q);
	free(script);
	free(flag);
	tutil_rmtree();
}

void suite_abook(void)
{
	CU_pSuite s = CU_add_suite("abook", NULL, NULL);

	CU_add_test(s, "ranking by frequency and recency", test_ranking);
	CU_add_test(s, "header forms", test_header_forms);
	CU_add_test(s, "many files, read by a second thread", test_many_files);
	CU_add_test(s, "incremental update", test_incremental);
	CU_add_test(s, "corrupt cache", test_corrupt_cache);
	CU_add_test(s, "aliases file", test_aliases);
	CU_add_test(s, "aliases naming each other", test_alias_blowup);
	CU_add_test(s, "query output", test_query_output);
	CU_add_test(s, "query command", test_query_command);
}
