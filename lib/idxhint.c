#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "idxhint.h"
#include "log.h"
#include "path.h"
#include "proc.h"
#include "xalloc.h"

char *idxhint_path(const char *root, const char *ext)
{
	char *real = realpath(root, NULL), *dir, *p;
	const unsigned char *s;
	uint64_t h = 0xcbf29ce484222325ULL;

	/* FNV-1a: a file name, not a defence. */
	for (s = (const unsigned char *)(real ? real : root); *s; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	free(real);
	dir = path_xdg(PATH_XDG_CACHE, "search");
	p = xasprintf("%s/%016llx.%s", dir, (unsigned long long)h, ext);
	free(dir);
	return p;
}

/* ---- the writer's side ---- */

/* spool beside the running program (an installed surel or spool, a
 * build tree's spool), else on $PATH (sendq-agent lives in libexec),
 * else in the bindir it was configured with (cron's short $PATH). */
static void spawn(const char *account, int lockfd)
{
	static const struct proc_detach how = { .as_fd = IDXHINT_LOCK_FD, .nice = IDXHINT_NICE };
	struct proc_detach o = how;
	struct err err = ERR_INIT;
	char fdarg[16];
	char *prog = proc_find("spool", 1, NULL);
	char *argv[] = { (char *)"spool", (char *)"-A", (char *)account, (char *)"index",
			 (char *)"--background", (char *)"--lock-fd", fdarg, NULL };

	if (!prog) {
		log_debug("search index of '%s' not refreshed: no spool program found", account);
		return;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", IDXHINT_LOCK_FD);
	o.keep_fd = lockfd;
	if (proc_detach(prog, argv, &o, &err) < 0)
		log_debug("search index of '%s' not refreshed: %s", account, err.msg);
	free(prog);
}

/* Make the mark; 0 when it is there. */
static int mark(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* The account's Maildir root when its index is kept current by the
 * writers (borrowed), else NULL. */
static const char *kept_root(const struct cfg_account *a)
{
	const char *root = a ? cfg_get(a, "maildir") : NULL;

	return root && cfg_get_bool(a, "search_index_auto", 1) ? root : NULL;
}

/* The second half of a writer's part: the indexer started unless the
 * lock is held (its holder sees the mark). */
static void start(const struct cfg_account *a, const char *root)
{
	struct err err = ERR_INIT;
	char *lock = idxhint_path(root, "lock");
	int fd = afile_lock(lock, 0, &err);

	if (fd >= 0) {
		spawn(cfg_account_name(a), fd);
		afile_unlock(fd);
	} else if (err.errnum != EWOULDBLOCK) {
		log_debug("%s", err.msg);
	}
	free(lock);
}

void idxhint_note(const struct cfg_account *a)
{
	const char *root = kept_root(a);
	char *db, *again;

	if (!root)
		return;
	db = idxhint_path(root, "db");
	again = idxhint_path(root, "again");
	/* The mark before the lock: a holder that lets go after this looks
	 * at the mark and goes on. */
	if (access(db, F_OK) == 0) {
		if (mark(again) == 0)
			start(a, root);
		else
			log_debug("cannot mark the search index '%s': %s", again, strerror(errno));
	}
	free(db);
	free(again);
}

int idxhint_hold(const char *root)
{
	struct err err = ERR_INIT;
	char *lock = idxhint_path(root, "lock");
	int fd = afile_lock(lock, 0, &err);

	free(lock);
	return fd;
}

void idxhint_release(const struct cfg_account *a, int fd)
{
	const char *root = kept_root(a);
	char *again;

	if (fd < 0)
		return;
	afile_unlock(fd);
	if (!root)
		return;
	again = idxhint_path(root, "again");
	if (access(again, F_OK) == 0)
		start(a, root);
	free(again);
}

/* ---- the indexer's side ---- */

struct status {
	long long runs, rounds;
};

static void status_read(int fd, struct status *st)
{
	char b[256];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	const char *p;

	st->runs = st->rounds = 0;
	if (n <= 0)
		return;
	b[n] = '\0';
	if ((p = strstr(b, "runs ")))
		st->runs = strtoll(p + 5, NULL, 10);
	if ((p = strstr(b, "rounds ")))
		st->rounds = strtoll(p + 7, NULL, 10);
}

/* Best effort: the file is only looked at by people and tests. */
static void status_write(int fd, long pid, const struct status *st)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "pid %ld\nruns %lld\nrounds %lld\n", pid, st->runs,
			 st->rounds);

	if (n > 0 && (size_t)n < sizeof(b) && pwrite(fd, b, (size_t)n, 0) == n &&
	    ftruncate(fd, n) == 0)
		return;
	log_debug("cannot write the search indexer's status: %s", strerror(errno));
}

/* Sleep until gap_ms after t0. */
static void pause_until(const struct timespec *t0, unsigned gap_ms)
{
	struct timespec now, left;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)gap_ms * 1000000LL - ((long long)(now.tv_sec - t0->tv_sec) * 1000000000LL +
					       (now.tv_nsec - t0->tv_nsec));
	if (ns <= 0)
		return;
	left.tv_sec = (time_t)(ns / 1000000000LL);
	left.tv_nsec = (long)(ns % 1000000000LL);
	while (nanosleep(&left, &left) < 0 && errno == EINTR)
		continue;
}

/* Rounds under the lock held on fd until no mark came back.  The gap
 * after each round bounds the work a stream of writers causes (one
 * refresh reads every changed folder's directory), and in it the lock
 * stays held, so their marks wait for this process instead of starting
 * another. */
static int rounds(int fd, const char *again, unsigned gap_ms, idxhint_work_fn work, void *arg,
		  struct err *err)
{
	struct timespec t0;
	struct status st;

	status_read(fd, &st);
	st.runs++;
	status_write(fd, (long)getpid(), &st);
	do {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		unlink(again);
		st.rounds++;
		status_write(fd, (long)getpid(), &st);
		if (work(arg, err) < 0) {
			mark(again);
			status_write(fd, 0, &st);
			return -1;
		}
		pause_until(&t0, gap_ms);
	} while (access(again, F_OK) == 0);
	status_write(fd, 0, &st);
	return 0;
}

int idxhint_serve(const char *root, int lockfd, unsigned gap_ms, idxhint_work_fn work, void *arg,
		  struct err *err)
{
	struct err lerr = ERR_INIT;
	char *again = idxhint_path(root, "again"), *lock = idxhint_path(root, "lock");
	int fd = lockfd, rc = 0;

	if (fd < 0 && (fd = afile_lock(lock, 0, &lerr)) < 0 && lerr.errnum != EWOULDBLOCK) {
		*err = lerr;
		rc = -1;
	}
	err_clear(&lerr);
	while (fd >= 0) {
		rc = rounds(fd, again, gap_ms, work, arg, err);
		afile_unlock(fd);
		fd = -1;
		/* A writer that marked after the last look found the lock
		 * held and started nobody: go on for it, unless another
		 * indexer has the lock by now. */
		if (rc == 0 && access(again, F_OK) == 0)
			fd = afile_lock(lock, 0, &lerr);
	}
	if (lerr.code && lerr.errnum != EWOULDBLOCK)
		log_warnx("%s", lerr.msg);
	free(again);
	free(lock);
	return rc;
}
