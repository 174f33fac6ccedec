#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "xalloc.h"

#ifndef BINDIR
#define BINDIR "/usr/local/bin"
#endif

/* dir/name when it can be run. */
static char *program_in(const char *dir, size_t len, const char *name)
{
	char *p = xasprintf("%.*s/%s", (int)len, dir, name);

	if (access(p, X_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *proc_find(const char *name, int use_path, const char *dir)
{
	char self[4096], *p = NULL, *slash;
	const char *path = use_path ? getenv("PATH") : NULL, *end;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			p = program_in(self, (size_t)(slash - self), name);
	}
	while (!p && path && *path) {
		end = strchr(path, ':');
		if (!end)
			end = path + strlen(path);
		if (*path == '/')
			p = program_in(path, (size_t)(end - path), name);
		path = *end ? end + 1 : end;
	}
	if (!dir)
		dir = BINDIR;
	return p ? p : program_in(dir, strlen(dir), name);
}

/* close_range() where the kernel has it (Linux 5.9), else one by one. */
static void close_fds(unsigned lo, unsigned hi)
{
	if (lo > hi || close_range(lo, hi, 0) == 0)
		return;
	for (; lo <= hi && lo < 65536; lo++)
		close((int)lo);
}

/* After the first fork: only async-signal-safe calls until execv (the
 * caller may have threads). */
static void grandchild(const char *prog, char *const argv[], const struct proc_detach *o)
{
	static const int sigs[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD };
	struct sigaction dfl;
	sigset_t none;
	size_t i;
	int fd, keep = -1;

	/* The middle process ends at once; the caller reaps it, and the
	 * program, orphaned, belongs to init. */
	if (fork() != 0)
		_exit(0);
	setsid();
	if (getpriority(PRIO_PROCESS, 0) < o->nice)
		setpriority(PRIO_PROCESS, 0, o->nice);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The kept descriptor out of the way of 0-2 first (F_DUPFD drops
	 * O_CLOEXEC). */
	if (o->keep_fd >= 0) {
		keep = fcntl(o->keep_fd, F_DUPFD, o->as_fd + 1);
		if (keep < 0)
			_exit(127);
	}
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		_exit(127);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	/* Nothing else of the caller's (a folder's lock, a socket) may stay
	 * open for as long as the program runs, below as_fd either. */
	if (keep >= 0) {
		dup2(keep, o->as_fd);
		close_fds(3, (unsigned)o->as_fd - 1);
		close_fds((unsigned)o->as_fd + 1, ~0U);
	} else {
		close_fds(3, ~0U);
	}
	if (o->delay)
		sleep(o->delay);
	execv(prog, argv);
	_exit(127);
}

int proc_detach(const char *prog, char *const argv[], const struct proc_detach *o,
		struct err *err)
{
	pid_t pid = fork();

	if (pid < 0)
		return err_sys(err, EX_OSERR, "cannot start '%s'", prog);
	if (pid == 0)
		grandchild(prog, argv, o);
	/* ECHILD: SIGCHLD ignored, the kernel reaped it. */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		continue;
	return 0;
}
