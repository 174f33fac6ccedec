#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "err.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Each test works in a fresh directory; the suite cleanup removes the last. */
static const char *base;

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", base, rel);
}

static void test_write_and_replace(void)
{
	struct err err = ERR_INIT;
	char *p;
	char *data;
	size_t len;
	struct stat st;

	base = tutil_tmpdir();
	p = tpath("state");

	CU_ASSERT_EQUAL(afile_write(p, "one\0x", 5, 0, &err), 0);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(memcmp(data, "one\0x", 5), 0);
	free(data);

	CU_ASSERT_EQUAL(afile_write(p, "two", 3, 0644, &err), 0);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644);
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT_STRING_EQUAL(data, "two");
	free(data);
	/* No temporary file is left next to the target. */
	CU_ASSERT_EQUAL(tutil_count_entries(base), 1);
	free(p);
}

static void test_write_failure_leaves_nothing(void)
{
	struct err err = ERR_INIT;
	char *target;
	char *missing;

	base = tutil_tmpdir();
	target = tpath("target");
	missing = tpath("nodir/file");

	/* A directory where the file should go makes the rename fail after
	 * the temporary file was written: it must be unlinked. */
	CU_ASSERT_EQUAL(mkdir(target, 0700), 0);
	CU_ASSERT_EQUAL(afile_write(target, "x", 1, 0, &err), -1);
	CU_ASSERT_EQUAL(err.errnum, EISDIR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, target));
	CU_ASSERT_EQUAL(tutil_count_entries(base), 1);

	err_clear(&err);
	CU_ASSERT_EQUAL(afile_write(missing, "x", 1, 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CANTCREAT);
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot create '"));
	free(target);
	free(missing);
}

static void test_tmp_commit_and_abort(void)
{
	struct err err = ERR_INIT;
	struct afile_tmp t;
	const char *dir;
	char *final;
	char *linked;
	char *data;
	size_t len;

	base = tutil_tmpdir();
	dir = base;
	final = tpath("final");
	linked = tpath("linked");

	CU_ASSERT_EQUAL_FATAL(afile_tmp_open(&t, dir, &err), 0);
	CU_ASSERT(t.fd >= 0);
	CU_ASSERT_EQUAL(strncmp(t.path, dir, strlen(dir)), 0);
	CU_ASSERT_EQUAL(afile_write_all(t.fd, "hello", 5, &err), 0);
	CU_ASSERT_EQUAL(afile_tmp_commit(&t, final, &err), 0);
	CU_ASSERT_PTR_NULL(t.path);
	CU_ASSERT_EQUAL(afile_read(final, 0, &data, &len, &err), 0);
	CU_ASSERT_STRING_EQUAL(data, "hello");
	free(data);
	afile_tmp_abort(&t);
	CU_ASSERT_EQUAL(tutil_count_entries(dir), 1);

	/* Abort removes the file; a second abort is harmless. */
	CU_ASSERT_EQUAL_FATAL(afile_tmp_open(&t, dir, &err), 0);
	CU_ASSERT_EQUAL(tutil_count_entries(dir), 2);
	afile_tmp_abort(&t);
	afile_tmp_abort(&t);
	CU_ASSERT_EQUAL(tutil_count_entries(dir), 1);

	/* Commit without a final name leaves the file for the caller to link;
	 * abort then drops the temporary name only. */
	CU_ASSERT_EQUAL_FATAL(afile_tmp_open(&t, dir, &err), 0);
	CU_ASSERT_EQUAL(afile_write_all(t.fd, "x", 1, &err), 0);
	CU_ASSERT_EQUAL(afile_tmp_commit(&t, NULL, &err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.path);
	CU_ASSERT_EQUAL(link(t.path, linked), 0);
	afile_tmp_abort(&t);
	CU_ASSERT_EQUAL(tutil_count_entries(dir), 2);
	CU_ASSERT_EQUAL(access(linked, F_OK), 0);
	free(final);
	free(linked);
}

static void test_write_all_pipe_and_error(void)
{
	struct err err = ERR_INIT;
	size_t n = 4u << 20, i;
	char *big = xmalloc(n);
	int fds[2], status, fd;
	pid_t pid;
	char *p;

	base = tutil_tmpdir();
	p = tpath("ro");

	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		/* The reader takes odd-sized bites so the writer sees a full
		 * pipe many times; it checks every byte it gets. */
		char chunk[1000];
		size_t got = 0;
		ssize_t r;

		close(fds[1]);
		while ((r = read(fds[0], chunk, sizeof(chunk))) > 0) {
			for (i = 0; i < (size_t)r; i++)
				if (chunk[i] != (char)((got + i) * 7))
					_exit(2);
			got += (size_t)r;
		}
		_exit(got == n ? 0 : 1);
	}
	close(fds[0]);
	CU_ASSERT_EQUAL(afile_write_all(fds[1], big, n, &err), 0);
	close(fds[1]);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(big);

	CU_ASSERT_EQUAL(tutil_write(p, "", 0), 0);
	fd = open(p, O_RDONLY);
	CU_ASSERT_EQUAL(afile_write_all(fd, "x", 1, &err), -1);
	CU_ASSERT_EQUAL(err.errnum, EBADF);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot write"));
	close(fd);
	free(p);
}

static void test_fsync_dir(void)
{
	struct err err = ERR_INIT;
	char *missing;

	base = tutil_tmpdir();
	missing = tpath("missing");

	CU_ASSERT_EQUAL(afile_fsync_dir(base, &err), 0);
	CU_ASSERT_EQUAL(afile_fsync_dir(missing, &err), -1);
	CU_ASSERT_EQUAL(err.errnum, ENOENT);
	free(missing);
}

static void test_mkdirs(void)
{
	struct err err = ERR_INIT;
	char *deep;
	char *file;
	char *under;
	struct stat st;

	base = tutil_tmpdir();
	deep = tpath("a/b//c/");
	file = tpath("f");
	under = tpath("f/x");

	CU_ASSERT_EQUAL(afile_mkdirs(deep, &err), 0);
	CU_ASSERT_EQUAL(stat(deep, &st), 0);
	CU_ASSERT(S_ISDIR(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL(afile_mkdirs(deep, &err), 0);

	CU_ASSERT_EQUAL(tutil_write(file, "", 0), 0);
	CU_ASSERT_EQUAL(afile_mkdirs(file, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CANTCREAT);
	CU_ASSERT_EQUAL(err.errnum, ENOTDIR);
	CU_ASSERT_EQUAL(afile_mkdirs(under, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CANTCREAT);
	CU_ASSERT_EQUAL(afile_mkdirs("", &err), -1);
	free(deep);
	free(file);
	free(under);
}

static void test_lock(void)
{
	struct err err = ERR_INIT;
	char *p;
	int fd, fd2, status;
	pid_t pid;

	base = tutil_tmpdir();
	p = tpath("lock");

	fd = afile_lock(p, 0, &err);
	CU_ASSERT_FATAL(fd >= 0);
	/* flock conflicts between two opens even in one process. */
	CU_ASSERT_EQUAL(afile_lock(p, 0, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_EQUAL(err.errnum, EWOULDBLOCK);
	CU_ASSERT(err_is_temp(&err));

	/* A waiting locker in another process gets the lock once it is
	 * released. */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct err cerr = ERR_INIT;
		int cfd;

		/* The inherited descriptor shares the parent's lock; keeping it
		 * would make the child wait for itself. */
		close(fd);
		cfd = afile_lock(p, 1, &cerr);

		_exit(cfd >= 0 ? 0 : 1);
	}
	usleep(100 * 1000);
	afile_unlock(fd);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	fd2 = afile_lock(p, 0, &err);
	CU_ASSERT(fd2 >= 0);
	afile_unlock(fd2);
	free(p);
}

static void test_read(void)
{
	struct err err = ERR_INIT;
	char *p;
	char *e;
	char *missing;
	char *data;
	size_t len;

	base = tutil_tmpdir();
	p = tpath("r");
	e = tpath("empty");
	missing = tpath("missing");

	CU_ASSERT_EQUAL(tutil_write(p, "a\0bc", 4), 0);
	CU_ASSERT_EQUAL(afile_read(p, 4, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_EQUAL(memcmp(data, "a\0bc", 5), 0);
	free(data);
	CU_ASSERT_EQUAL(afile_read(p, 3, &data, &len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);

	CU_ASSERT_EQUAL(tutil_write(e, "", 0), 0);
	CU_ASSERT_EQUAL(afile_read(e, 0, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_STRING_EQUAL(data, "");
	free(data);

	CU_ASSERT_EQUAL(afile_read(missing, 0, &data, &len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, missing));
	free(p);
	free(e);
	free(missing);
}

/* A FIFO or a device (a symlink to /dev/zero) where a message should be:
 * refused at once, never waited on or read without end. */
static void test_read_regular(void)
{
	struct err err = ERR_INIT;
	char *fifo, *zero, *reg, *data;
	size_t len;
	int fd;

	base = tutil_tmpdir();
	fifo = tpath("fifo");
	zero = tpath("zero");
	reg = tpath("reg");
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("/dev/zero", zero), 0);
	CU_ASSERT_EQUAL(tutil_write(reg, "x", 1), 0);

	CU_ASSERT_EQUAL(afile_read_regular(fifo, 0, &data, &len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not a regular file"));
	err_clear(&err);
	CU_ASSERT_EQUAL(afile_read_regular(zero, 0, &data, &len, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	err_clear(&err);
	CU_ASSERT_EQUAL(afile_open_regular_at(AT_FDCWD, base, &err), -1);
	err_clear(&err);

	CU_ASSERT_EQUAL(afile_read_regular(reg, 0, &data, &len, &err), 0);
	CU_ASSERT_EQUAL(len, 1);
	free(data);
	fd = afile_open_regular_at(AT_FDCWD, reg, &err);
	CU_ASSERT_TRUE(fd >= 0);
	/* Blocking again once known to be a regular file. */
	CU_ASSERT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	free(fifo);
	free(zero);
	free(reg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_unique_name(void)
{
	enum { N = 10000 };
	char **names = xcalloc(N, sizeof(*names));
	long long sec;
	long usec, pid;
	unsigned long q;
	int used = 0, i, status;
	pid_t child;

	for (i = 0; i < N; i++)
		names[i] = afile_unique_name();
	CU_ASSERT_EQUAL(sscanf(names[0], "%lld.M%ldP%ldQ%lu.%n", &sec, &usec, &pid, &q, &used), 4);
	CU_ASSERT(used > 0 && names[0][used] != '\0');
	CU_ASSERT(usec >= 0 && usec < 1000000);
	/* Six digits of microseconds, so names sort in the order made. */
	CU_ASSERT_EQUAL(strcspn(strstr(names[0], ".M") + 2, "P"), 6);
	CU_ASSERT_EQUAL(pid, (long)getpid());
	CU_ASSERT_PTR_NULL(strchr(names[0], '/'));
	CU_ASSERT_PTR_NULL(strchr(names[0], ':'));
	qsort(names, N, sizeof(*names), cmp_str);
	for (i = 1; i < N; i++)
		CU_ASSERT(strcmp(names[i - 1], names[i]) != 0);
	for (i = 0; i < N; i++)
		free(names[i]);
	free(names);

	/* The host name escaping needs a host name with '/' and ':', which
	 * only a private UTS namespace (root) can set; elsewhere it is
	 * skipped. */
	child = fork();
	CU_ASSERT_FATAL(child >= 0);
	if (child == 0) {
		static const char want[] = ".a\\057b\\072c";
		char *n;
		size_t len;

		if (unshare(CLONE_NEWUTS) < 0 || sethostname("a/b:c", 5) < 0)
			_exit(77);
		n = afile_unique_name();
		len = strlen(n);
		_exit(len > sizeof(want) && strcmp(n + len - (sizeof(want) - 1), want) == 0 ? 0 : 1);
	}
	CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
	CU_ASSERT(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77));
}

/* Names made in turn sort in that order (the queue relays in name order):
 * 200 names a few microseconds apart cross many digit boundaries of the
 * microseconds, which an unpadded field would sort wrongly. */
static void test_unique_name_order(void)
{
	enum { N = 200 };
	char *names[N];
	struct timespec pause = { 0, 3000 };
	int i;

	for (i = 0; i < N; i++) {
		names[i] = afile_unique_name();
		nanosleep(&pause, NULL);
	}
	for (i = 1; i < N; i++)
		CU_ASSERT(strcmp(names[i - 1], names[i]) < 0);
	for (i = 0; i < N; i++)
		free(names[i]);
}

static void test_err_code(void)
{
	CU_ASSERT_EQUAL(afile_err_code(ENOSPC, EX_CANTCREAT), EX_TEMPFAIL);
	CU_ASSERT_EQUAL(afile_err_code(EIO, EX_CANTCREAT), EX_TEMPFAIL);
	CU_ASSERT_EQUAL(afile_err_code(EDQUOT, EX_CANTCREAT), EX_TEMPFAIL);
	CU_ASSERT_EQUAL(afile_err_code(EACCES, EX_CANTCREAT), EX_NOPERM);
	CU_ASSERT_EQUAL(afile_err_code(ENOENT, EX_NOINPUT), EX_NOINPUT);
	CU_ASSERT_EQUAL(afile_err_code(EROFS, EX_CANTCREAT), EX_TEMPFAIL);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_afile(void)
{
	CU_pSuite s = CU_add_suite("afile", NULL, cleanup);

	CU_add_test(s, "write and replace", test_write_and_replace);
	CU_add_test(s, "write failure leaves nothing", test_write_failure_leaves_nothing);
	CU_add_test(s, "tmp commit and abort", test_tmp_commit_and_abort);
	CU_add_test(s, "write_all through a pipe, and errors", test_write_all_pipe_and_error);
	CU_add_test(s, "fsync_dir", test_fsync_dir);
	CU_add_test(s, "mkdirs", test_mkdirs);
	CU_add_test(s, "lock", test_lock);
	CU_add_test(s, "read", test_read);
	CU_add_test(s, "read regular files only", test_read_regular);
	CU_add_test(s, "unique names", test_unique_name);
	CU_add_test(s, "unique names sort in the order made", test_unique_name_order);
	CU_add_test(s, "errno classes", test_err_code);
}
