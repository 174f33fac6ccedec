/*
 * proc: a sibling program found beside the running one, on $PATH or in
 * the given directory; a detached program gets the kept descriptor and
 * /dev/null, runs in its own session, after its delay, and holds none of
 * the caller's other descriptors.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "proc.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* A script in the test's directory that can be run. */
static char *script(const char *name, const char *body)
{
	char *p = xasprintf("%s/%s", tutil_tmpdir(), name);

	CU_ASSERT_EQUAL_FATAL(tutil_write(p, body, strlen(body)), 0);
	CU_ASSERT_EQUAL(chmod(p, 0755), 0);
	return p;
}

static void test_find(void)
{
	char *old = xstrdup(getenv("PATH") ? getenv("PATH") : "");
	char *sh, *path, *p;
	const char *dir = tutil_tmpdir();

	sh = script("surel-proc-test", "#!/bin/sh\nexit 0\n");
	/* Only absolute directories of $PATH count. */
	path = xasprintf("relative:%s", dir);
	setenv("PATH", path, 1);
	p = proc_find("surel-proc-test", 1, NULL);
	CU_ASSERT_STRING_EQUAL(p ? p : "", sh);
	free(p);
	CU_ASSERT_PTR_NULL(proc_find("surel-proc-test", 0, "/nonexistent"));
	p = proc_find("surel-proc-test", 0, dir);
	CU_ASSERT_STRING_EQUAL(p ? p : "", sh);
	free(p);
	setenv("PATH", "/nonexistent", 1);
	CU_ASSERT_PTR_NULL(proc_find("surel-proc-test", 1, "/nonexistent"));
	setenv("PATH", old, 1);
	free(old);
	free(path);
	free(sh);
	tutil_rmtree();
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* All the pipe gives until its end, within 10 s. */
static char *drain(int fd)
{
	char *out = xcalloc(4096, 1);
	size_t n = 0;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t r = 1;

	while (r > 0 && n < 4095 && poll(&pf, 1, 10000) > 0) {
		r = read(fd, out + n, 4095 - n);
		if (r > 0)
			n += (size_t)r;
	}
	return out;
}

/* The pipe keep, for the program to answer on, and the pipe other with
 * its write end at fd 5: a descriptor of the caller's the program must
 * not get. */
static void pipes(int keep[2], int other[2])
{
	CU_ASSERT_EQUAL_FATAL(pipe(keep), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(other), 0);
	if (other[1] != 5) {
		CU_ASSERT_EQUAL_FATAL(dup2(other[1], 5), 5);
		close(other[1]);
	}
}

static void test_detach(void)
{
	struct proc_detach o = { .as_fd = 3 };
	struct err err = ERR_INIT;
	/* What it was given, and that fd 5 (the caller's other pipe end) is
	 * closed. */
	char *sh = script("detached",
			  "#!/bin/sh\n"
			  "{ readlink /proc/self/fd/0; readlink /proc/self/fd/2;\n"
			  "  test \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ && echo own-session;\n"
			  "  test -e /proc/self/fd/5 || echo closed; } >&3\n");
	char *argv[] = { (char *)"detached", NULL }, *out;
	int keep[2], other[2];
	double t0;

	pipes(keep, other);
	o.keep_fd = keep[1];
	/* The caller does not wait for the delay; the program does. */
	o.delay = 2;
	t0 = now();
	CU_ASSERT_EQUAL(proc_detach(sh, argv, &o, &err), 0);
	CU_ASSERT(now() - t0 < 1.5);
	close(keep[1]);
	close(5);
	out = drain(keep[0]);
	CU_ASSERT_STRING_EQUAL(out, "/dev/null\n/dev/null\nown-session\nclosed\n");
	CU_ASSERT(now() - t0 >= 2);
	free(out);
	close(keep[0]);
	close(other[0]);
	free(sh);
	tutil_rmtree();
}

/* A kept descriptor handed on above 3: what lies below it is closed too. */
static void test_detach_high(void)
{
	struct proc_detach o = { .as_fd = 7 };
	struct err err = ERR_INIT;
	char *sh = script("high", "#!/bin/sh\n"
				  "{ test -e /proc/self/fd/5 || echo closed; } >&7\n");
	char *argv[] = { (char *)"high", NULL }, *out;
	int keep[2], other[2];

	pipes(keep, other);
	o.keep_fd = keep[1];
	CU_ASSERT_EQUAL(proc_detach(sh, argv, &o, &err), 0);
	close(keep[1]);
	close(5);
	out = drain(keep[0]);
	CU_ASSERT_STRING_EQUAL(out, "closed\n");
	free(out);
	close(keep[0]);
	close(other[0]);
	free(sh);
	tutil_rmtree();
}

void suite_proc(void)
{
	CU_pSuite s = CU_add_suite("proc", NULL, NULL);

	CU_add_test(s, "find", test_find);
	CU_add_test(s, "detach", test_detach);
	CU_add_test(s, "detach_high", test_detach_high);
}
