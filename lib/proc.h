/*
 * proc: the programs of surel started from each other.  proc_find()
 * looks a sibling program up (spool, sendq, sendq-agent) where an install
 * or a build tree puts it; proc_detach() starts one that must outlive its
 * caller and must not hold anything of it (a writer's hint to the search
 * indexer, surel's nudge to the queue).
 *
 * Ownership: proc_find()'s result is the caller's to free().
 */
#ifndef SUREL_PROC_H
#define SUREL_PROC_H

#include "err.h"

/* Look for name beside the running program first (an installed set, or a
 * build tree), then, when use_path, in the absolute directories of $PATH,
 * then in dir, or the configured bindir when dir is NULL (cron's short
 * $PATH, a libexec program).
 * The first one that can be run, or NULL. */
char *proc_find(const char *name, int use_path, const char *dir);

/* How proc_detach() starts a program. */
struct proc_detach {
	int keep_fd;     /* handed on to the program as as_fd, or -1 */
	int as_fd;       /* 3 or more */
	int nice;        /* the least nice value it runs at */
	unsigned delay;  /* seconds to wait before starting it */
};

/* Start prog (a path) with argv in a session of its own, orphaned (so the
 * caller never waits for it nor gets a SIGCHLD of it after this returns),
 * stdin, stdout and stderr on /dev/null, signals at their defaults and no
 * descriptor of the caller's open but o->keep_fd.  0 when it was started;
 * an exec failure after that is the program's own silent end.  -1 with
 * err when no process could be made. */
int proc_detach(const char *prog, char *const argv[], const struct proc_detach *o,
		struct err *err);

#endif
