#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "buf.h"
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

/* Another program appending under the fcntl lock (as mutt and procmail
 * do) is waited for: its message is read whole, never half written. */
static void test_waits_for_writer(void)
{
	static const char head[] = "From a Mon Jan  2 03:04:05 2006\nSubject: one\n\n";
	struct err err = ERR_INIT;
	struct flock fl;
	struct mbox *mb;
	char *p, c;
	int fds[2], status;
	pid_t pid;

	base = tutil_tmpdir();
	p = tpath("locked");
	CU_ASSERT_EQUAL_FATAL(tutil_write(p, head, sizeof(head) - 1), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		const struct timespec pause = { 0, 300 * 1000 * 1000L };
		int fd = open(p, O_WRONLY | O_APPEND);

		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0 || write(fd, "half", 4) != 4 ||
		    write(fds[1], "L", 1) != 1)
			_exit(1);
		nanosleep(&pause, NULL);
		_exit(write(fd, " whole\n", 7) == 7 ? 0 : 1);
	}
	close(fds[1]);
	/* Read only once the child holds the lock and is half way. */
	CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
	close(fds[0]);
	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 1);
	MSG_IS(mb, 0, "Subject: one\n\nhalf whole\n");
	mbox_free(mb);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(p);
}

/* What a save appends reads back as the same messages: escaping, the
 * blank line between messages, a file without a final newline, and a
 * file that is not an mbox refused untouched. */
static void test_append(void)
{
	static const char one[] = "Subject: one\n\nFrom here\n>From there\nend";
	static const char two[] = "Subject: two\n\nbody\n";
	static const char cut[] = "From a Thu Jan  1 00:00:00 1970\nX: 1\n\nx";
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	struct mbox *mb;
	char *p, *data;
	size_t len;

	base = tutil_tmpdir();
	p = tpath("saved");
	mbox_format(&out, one, sizeof(one) - 1, "ana@example.test", 0);
	CU_ASSERT(strncmp(out.data, "From ana@example.test Thu Jan  1 00:00:00 1970\n", 47) == 0);
	CU_ASSERT_EQUAL(mbox_append(p, out.data, out.len, &err), 0);
	buf_reset(&out);
	mbox_format(&out, two, sizeof(two) - 1, "has space@x", -1);
	CU_ASSERT(strncmp(out.data, "From MAILER-DAEMON ", 19) == 0);
	CU_ASSERT_EQUAL(mbox_append(p, out.data, out.len, &err), 0);
	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 2);
	MSG_IS(mb, 0, "Subject: one\n\nFrom here\n>From there\nend\n");
	MSG_IS(mb, 1, "Subject: two\n\nbody\n");
	mbox_free(mb);
	free(p);

	/* A file cut without its final newline gets one before the next. */
	p = tpath("cut");
	CU_ASSERT_EQUAL(tutil_write(p, cut, sizeof(cut) - 1), 0);
	CU_ASSERT_EQUAL(mbox_append(p, out.data, out.len, &err), 0);
	mb = mbox_open(p, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_EQUAL_FATAL(mbox_count(mb), 2);
	MSG_IS(mb, 0, "X: 1\n\nx\n");
	MSG_IS(mb, 1, "Subject: two\n\nbody\n");
	mbox_free(mb);
	free(p);

	p = tpath("notes.txt");
	CU_ASSERT_EQUAL(tutil_write(p, "my notes\n", 9), 0);
	CU_ASSERT_EQUAL(mbox_append(p, out.data, out.len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT(len == 9 && memcmp(data, "my notes\n", 9) == 0);
	free(data);
	free(p);
	buf_release(&out);
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
	CU_add_test(s, "a writer's lock is waited for", test_waits_for_writer);
	CU_add_test(s, "append (save)", test_append);
}
