#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "err.h"
#include "mbox.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Each test works in a fresh directory; the suite cleanup removes the last. */
static const char *base;

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", base, rel);
}

/* Open text written to a fresh file; the file name is returned in *path_out
 * when that is not NULL. */
static struct mbox *open_text(const char *text, size_t len, char **path_out)
{
	struct err err = ERR_INIT;
	char *p = tpath("mbox");
	struct mbox *mb;

	CU_ASSERT_EQUAL(tutil_write(p, text, len), 0);
	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL(mb);
	if (path_out)
		*path_out = p;
	else
		free(p);
	return mb;
}

/* Whether message i of mb is exactly want. */
static int msg_is(const struct mbox *mb, size_t i, const char *want, size_t want_len)
{
	size_t len;
	char *m = mbox_message(mb, i, &len);
	int ok = len == want_len && memcmp(m, want, len) == 0;

	if (!ok)
		fprintf(stderr, "\nmessage %zu: got [%.*s] want [%.*s]\n", i, (int)len, m,
			(int)want_len, want);
	free(m);
	return ok;
}

#define MSG_IS(mb, i, lit) CU_ASSERT(msg_is((mb), (i), (lit), sizeof(lit) - 1))
#define OPEN_LIT(lit) open_text((lit), sizeof(lit) - 1, NULL)

static void test_empty_and_not_mbox(void)
{
	struct err err = ERR_INIT;
	struct mbox *mb;
	char *p, *missing;

	base = tutil_tmpdir();
	mb = open_text("", 0, &p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL(mbox_count(mb), 0);
	CU_ASSERT(mbox_is(p));
	mbox_free(mb);
	mbox_free(NULL);

	CU_ASSERT_EQUAL(tutil_write(p, "Hello\nFrom x\n", 13), 0);
	CU_ASSERT(!mbox_is(p));
	CU_ASSERT_PTR_NULL(mbox_open(p, &err));
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, p));
	CU_ASSERT_EQUAL(tutil_write(p, "Fro", 3), 0);
	CU_ASSERT(!mbox_is(p));

	missing = tpath("missing");
	CU_ASSERT(!mbox_is(missing));
	CU_ASSERT(!mbox_is(base));
	CU_ASSERT_PTR_NULL(mbox_open(missing, &err));
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	free(missing);
	free(p);
}

static void test_split(void)
{
	struct mbox *mb;

	base = tutil_tmpdir();
	mb = OPEN_LIT("From alice@example.com Sat Feb 29 12:34:56 2020\n"
		      "Subject: a\n\nbody a\nFrom inside a paragraph stays\n\n"
		      "From bob Fri May 17 08:00:09 2024\n"
		      "Subject: b\n\nbody b\n\n"
		      "From  carol  Tue Jan  1 00:00:00 EST 2000 extra\n"
		      "\n"
		      "From dave garbage date\n"
		      "x\n\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	/* A "From " line without a date is body text, even after an empty
	 * line (an unescaped body line of a Content-Length mbox). */
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 3);
	MSG_IS(mb, 0, "Subject: a\n\nbody a\nFrom inside a paragraph stays\n");
	MSG_IS(mb, 1, "Subject: b\n\nbody b\n");
	MSG_IS(mb, 2, "\nFrom dave garbage date\nx\n");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 0), "alice@example.com");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 1), "bob");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 2), "carol");
	CU_ASSERT_EQUAL(mbox_date(mb, 0), 1582979696);
	CU_ASSERT_EQUAL(mbox_date(mb, 1), 1715932809);
	CU_ASSERT_EQUAL(mbox_date(mb, 2), 946684800);
	mbox_free(mb);
}

static void test_mboxo_and_mboxrd(void)
{
	struct mbox *mb;

	base = tutil_tmpdir();
	/* mboxo escaped "From " once; mboxrd also escaped ">From " again. */
	mb = OPEN_LIT("From a Sat Feb 29 12:34:56 2020\n"
		      "S: o\n\n>From the start\n\n>From after a blank line\n\n"
		      "From b Sat Feb 29 12:34:56 2020\n"
		      "S: rd\n\n>>From quoted\n>>>From deeper\n> From spaced\n>Fromage\n>From x\n\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 2);
	MSG_IS(mb, 0, "S: o\n\nFrom the start\n\nFrom after a blank line\n");
	MSG_IS(mb, 1, "S: rd\n\n>From quoted\n>>From deeper\n> From spaced\n>Fromage\nFrom x\n");
	mbox_free(mb);
}

static void test_crlf(void)
{
	struct mbox *mb;

	base = tutil_tmpdir();
	mb = OPEN_LIT("From a Mon Jan  2 03:04:05 2006\r\n"
		      "Subject: x\r\n\r\nbody\r\n>From esc\r\n\r\n"
		      "From b Mon Jan  2 03:04:05 2006\r\n"
		      "S: y\r\n\r\nb2\r\n\r\n"
		      "From c Mon Jan  2 03:04:05 2006\r\n"
		      "last\r\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 3);
	MSG_IS(mb, 0, "Subject: x\r\n\r\nbody\r\nFrom esc\r\n");
	MSG_IS(mb, 1, "S: y\r\n\r\nb2\r\n");
	MSG_IS(mb, 2, "last\r\n");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 0), "a");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 2), "c");
	CU_ASSERT_EQUAL(mbox_date(mb, 1), 1136171045);
	mbox_free(mb);
}

static void test_no_trailing_newline(void)
{
	struct mbox *mb;

	base = tutil_tmpdir();
	mb = OPEN_LIT("From a\nSubject: x\n\nlast line");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 1);
	MSG_IS(mb, 0, "Subject: x\n\nlast line");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 0), "a");
	CU_ASSERT_EQUAL(mbox_date(mb, 0), 0);
	mbox_free(mb);

	mb = OPEN_LIT("From only");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 1);
	MSG_IS(mb, 0, "");
	CU_ASSERT_STRING_EQUAL(mbox_sender(mb, 0), "only");
	mbox_free(mb);

	/* NUL bytes are data like any other. */
	mb = open_text("From a\nx\0y\n\nFrom b Mon Jan  2 03:04:05 2006\n\0\n", 46, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 2);
	CU_ASSERT(msg_is(mb, 0, "x\0y\n", 4));
	CU_ASSERT(msg_is(mb, 1, "\0\n", 2));
	mbox_free(mb);
}

static const struct {
	const char *data;
	size_t len;
} trip[] = {
	{ "Subject: one\n\nFrom the body\n>From quoted\n>>From twice\n\n"
	  "From after blank\nFrom\nFromage\n", 0 },
	{ "From at the very start\n", 0 },
	{ "Subject: crlf\r\n\r\nFrom x\r\n>From y\r\n\r\n", 0 },
	{ "", 0 },
	{ "\n\n\nblank lines around\n\n\n", 0 },
	{ "nul\0bytes\n", 10 },
};

static void test_append_round_trip(void)
{
	struct err err = ERR_INIT;
	struct mbox *mb;
	size_t i, n = sizeof(trip) / sizeof(trip[0]), len;
	char *p, *raw, *lockp;
	time_t when = 1715932809;

	base = tutil_tmpdir();
	p = tpath("mbox");
	for (i = 0; i < n; i++) {
		len = trip[i].len ? trip[i].len : strlen(trip[i].data);
		CU_ASSERT_EQUAL(mbox_append(p, trip[i].data, len, i % 2 ? "" : "me@example.com",
					    when + (time_t)i, &err), 0);
	}
	CU_ASSERT(mbox_is(p));
	lockp = tpath("mbox.lock");
	CU_ASSERT_NOT_EQUAL(access(lockp, F_OK), 0);
	free(lockp);

	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), n);
	for (i = 0; i < n; i++) {
		len = trip[i].len ? trip[i].len : strlen(trip[i].data);
		CU_ASSERT(msg_is(mb, i, trip[i].data, len));
		CU_ASSERT_STRING_EQUAL(mbox_sender(mb, i), i % 2 ? "MAILER-DAEMON" : "me@example.com");
		CU_ASSERT_EQUAL(mbox_date(mb, i), when + (time_t)i);
	}
	mbox_free(mb);

	/* The file itself is mboxrd. */
	CU_ASSERT_EQUAL_FATAL(afile_read(p, 0, &raw, &len, &err), 0);
	CU_ASSERT_EQUAL(strncmp(raw, "From me@example.com Fri May 17 08:00:09 2024\nSubject: one\n", 58),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(raw, "\n>From the body\n>>From quoted\n>>>From twice\n\n"
				      ">From after blank\nFrom\nFromage\n\nFrom MAILER-DAEMON "));
	CU_ASSERT_PTR_NOT_NULL(strstr(raw, "\n>From at the very start\n\n"));
	free(raw);
	free(p);
}

static void test_append_edges(void)
{
	struct err err = ERR_INIT;
	struct mbox *mb;
	char *p, *other, *raw;
	size_t len;

	base = tutil_tmpdir();
	/* Someone else's file without a final blank line, or even newline. */
	p = tpath("mbox");
	CU_ASSERT_EQUAL(tutil_write(p, "From a\nno newline", 17), 0);
	CU_ASSERT_EQUAL(mbox_append(p, "second\n", 7, "b", 0, &err), 0);
	CU_ASSERT_EQUAL(mbox_append(p, "no newline", 10, "c", 0, &err), 0);
	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 3);
	/* mbox cannot keep a missing final newline: the separator needs a
	 * line of its own, so one is added. */
	MSG_IS(mb, 0, "no newline\n");
	MSG_IS(mb, 1, "second\n");
	MSG_IS(mb, 2, "no newline\n");
	mbox_free(mb);

	CU_ASSERT_EQUAL(tutil_write(p, "From a\nx\n", 9), 0);
	CU_ASSERT_EQUAL(mbox_append(p, "y\n", 2, "b", 0, &err), 0);
	CU_ASSERT_EQUAL_FATAL(afile_read(p, 0, &raw, &len, &err), 0);
	CU_ASSERT_STRING_EQUAL(raw, "From a\nx\n\nFrom b Thu Jan  1 00:00:00 1970\ny\n\n");
	free(raw);

	other = tpath("notes.txt");
	CU_ASSERT_EQUAL(tutil_write(other, "my notes\n", 9), 0);
	CU_ASSERT_EQUAL(mbox_append(other, "x\n", 2, "a", 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(afile_read(other, 0, &raw, &len, &err), 0);
	CU_ASSERT_STRING_EQUAL(raw, "my notes\n");
	free(raw);

	CU_ASSERT_EQUAL(mbox_append(p, "x\n", 2, "a b", 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(mbox_append(p, "x\n", 2, "a\nFrom evil", 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	free(other);
	free(p);
}

static void test_dotlock(void)
{
	struct err err = ERR_INIT;
	struct timeval old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct mbox *mb;
	char *p, *lp;
	int status;
	pid_t pid;

	base = tutil_tmpdir();
	p = tpath("mbox");
	lp = tpath("mbox.lock");
	/* A lock left by a crash long ago is removed. */
	CU_ASSERT_EQUAL(tutil_write(lp, "", 0), 0);
	CU_ASSERT_EQUAL(utimes(lp, old), 0);
	CU_ASSERT_EQUAL(mbox_append(p, "one\n", 4, "a", 0, &err), 0);
	CU_ASSERT_NOT_EQUAL(access(lp, F_OK), 0);

	/* A live one is waited for. */
	CU_ASSERT_EQUAL(tutil_write(lp, "", 0), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		usleep(300 * 1000);
		_exit(unlink(lp) == 0 ? 0 : 1);
	}
	CU_ASSERT_EQUAL(mbox_append(p, "two\n", 4, "a", 0, &err), 0);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_NOT_EQUAL(access(lp, F_OK), 0);

	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL(mbox_count(mb), 2);
	mbox_free(mb);
	free(lp);
	free(p);
}

static void test_concurrent_append(void)
{
	enum { PER = 100 };
	struct err err = ERR_INIT;
	struct mbox *mb;
	char *p, want[128];
	pid_t pid[2];
	int c, i, status, next[2] = { 0, 0 }, bad = 0;
	size_t k, len;

	base = tutil_tmpdir();
	p = tpath("mbox");
	for (c = 0; c < 2; c++) {
		pid[c] = fork();
		CU_ASSERT_FATAL(pid[c] >= 0);
		if (pid[c] == 0) {
			char sender[8], msg[128];
			struct err cerr = ERR_INIT;

			snprintf(sender, sizeof(sender), "c%d", c);
			for (i = 0; i < PER; i++) {
				snprintf(msg, sizeof(msg), "Subject: %d\n\nFrom %s\n>From %d\n", i,
					 sender, i);
				if (mbox_append(p, msg, strlen(msg), sender, 0, &cerr) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (c = 0; c < 2; c++) {
		CU_ASSERT_EQUAL(waitpid(pid[c], &status, 0), pid[c]);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 2 * PER);
	/* Every message whole, and each writer's in its own order. */
	for (k = 0; k < mbox_count(mb); k++) {
		const char *s = mbox_sender(mb, k);
		char *m;

		c = s[0] == 'c' && (s[1] == '0' || s[1] == '1') ? s[1] - '0' : 0;
		snprintf(want, sizeof(want), "Subject: %d\n\nFrom %s\n>From %d\n", next[c], s,
			 next[c]);
		m = mbox_message(mb, k, &len);
		if (len != strlen(want) || memcmp(m, want, len) != 0)
			bad++;
		free(m);
		next[c]++;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(next[0], PER);
	CU_ASSERT_EQUAL(next[1], PER);
	mbox_free(mb);
	free(p);
}

/* A full disk needs a small file system of its own: a 64 KiB tmpfs, which
 * only root can mount; elsewhere this test checks nothing. */
static void test_disk_full_truncates(void)
{
	struct err err = ERR_INIT;
	size_t big = 1u << 20;
	struct mbox *mb;
	struct stat before, after;
	char *mnt, *p, *lp, *m;

	base = tutil_tmpdir();
	mnt = tpath("small");
	CU_ASSERT_EQUAL_FATAL(mkdir(mnt, 0700), 0);
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64k") < 0) {
		free(mnt);
		return;
	}
	p = xasprintf("%s/mbox", mnt);
	lp = xasprintf("%s/mbox.lock", mnt);
	m = xmalloc(big);
	memset(m, 'x', big);
	m[big - 1] = '\n';
	CU_ASSERT_EQUAL(mbox_append(p, "small\n", 6, "a", 0, &err), 0);
	CU_ASSERT_EQUAL(stat(p, &before), 0);

	CU_ASSERT_EQUAL(mbox_append(p, m, big, "a", 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_EQUAL(err.errnum, ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, p));
	CU_ASSERT_EQUAL(stat(p, &after), 0);
	CU_ASSERT_EQUAL(after.st_size, before.st_size);
	CU_ASSERT_NOT_EQUAL(access(lp, F_OK), 0);

	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL(mb);
	if (mb) {
		CU_ASSERT_EQUAL(mbox_count(mb), 1);
		MSG_IS(mb, 0, "small\n");
	}
	mbox_free(mb);
	CU_ASSERT_EQUAL(umount(mnt), 0);
	free(m);
	free(lp);
	free(p);
	free(mnt);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_mbox(void)
{
	CU_pSuite s = CU_add_suite("mbox", NULL, cleanup);

	CU_add_test(s, "empty file, not an mbox", test_empty_and_not_mbox);
	CU_add_test(s, "split, sender, date", test_split);
	CU_add_test(s, "mboxo and mboxrd unescaping", test_mboxo_and_mboxrd);
	CU_add_test(s, "CRLF file", test_crlf);
	CU_add_test(s, "no trailing newline, NUL bytes", test_no_trailing_newline);
	CU_add_test(s, "append then read back byte for byte", test_append_round_trip);
	CU_add_test(s, "append edges", test_append_edges);
	CU_add_test(s, "dotlock: stale and live", test_dotlock);
	CU_add_test(s, "two concurrent appenders", test_concurrent_append);
	CU_add_test(s, "disk full truncates back", test_disk_full_truncates);
}
