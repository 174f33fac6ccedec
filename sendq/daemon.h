/*
 * daemon: `sendq daemon`, the relay agent kept running in the foreground.
 * It holds the flush lock for its whole life, runs a flush pass (flush.h)
 * at start, whenever something changes in the queue's env/ directory
 * (inotify: a new or released message) and when the earliest deferred
 * message comes due; a pass that fails is retried with exponential
 * backoff.  Signals and logging set-up are sendq/agent.c's job: the caller
 * passes the flag its SIGTERM/SIGINT handler sets, and the daemon returns
 * after finishing the message in hand, so nothing is lost or sent twice.
 * Ownership: the caller keeps what it passes in.
 */
#ifndef SUREL_DAEMON_H
#define SUREL_DAEMON_H

#include "cfg.h"
#include "err.h"
#include "flush.h"
#include "queue.h"

/* Longest sleep between passes (expiry and clock changes are noticed at
 * least this often), and the cap of the backoff after failed passes. */
#define DAEMON_MAX_SLEEP (60 * 60)
#define DAEMON_MAX_BACKOFF (5 * 60)

/* Run until *o->stop is set.  Waits for the flush lock while another
 * flusher holds it.  Returns 0 on a stop; -1 when the queue cannot be
 * watched (err set). */
int daemon_run(struct queue *q, const struct cfg *cfg, const struct flush_opts *o,
	       struct err *err) __attribute__((warn_unused_result));

#endif
