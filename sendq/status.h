/*
 * status: `sendq status` and `sendq wait`, the two commands that read the
 * delivery records (lib/track.h): their arguments' meaning, their output
 * (text and the JSON contract of sendq(1)) and wait's exit codes.  The
 * records themselves are written by flush.h (attempts) and by whatever
 * stores incoming reports (track_incoming()).
 * Ownership: the caller keeps what it passes in.
 */
#ifndef SUREL_SENDQ_STATUS_H
#define SUREL_SENDQ_STATUS_H

#include <signal.h>
#include <stddef.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "queue.h"

/* Print the record of key (queue id or Message-ID), or with key NULL one
 * line (or JSON object) per record.  A message still queued but not tried
 * yet gets its record made from the envelope first.  Unknown key:
 * EX_NOINPUT. */
int status_show(struct queue *q, const struct cfg *cfg, const char *key, int json,
		struct err *err);

/* The text `sendq status KEY` prints, appended to out (the queue view
 * shows it). */
int status_text(struct queue *q, const struct cfg *cfg, const char *key, struct buf *out,
		struct err *err);

/* What `sendq wait` found. */
enum status_wait {
	STATUS_WAIT_ACCEPTED = 0,     /* every recipient accepted (or delivered) */
	STATUS_WAIT_BOUNCED = 65,     /* some recipient bounced */
	STATUS_WAIT_DEFERRED = 75,    /* still waiting at the timeout */
};

/* Wait for the n messages ids (queue ids) until every recipient of every
 * one was accepted, one bounced, timeout seconds passed (0: no limit) or
 * *stop became non-zero.  Between looks, flush (one pass of what is due,
 * run_flush(arg)) when no other flusher runs.  *result_out gets the
 * outcome; -1 with err for an unknown id. */
int status_wait(struct queue *q, char **ids, size_t n, long timeout,
		volatile sig_atomic_t *stop, int (*run_flush)(void *arg), void *arg,
		enum status_wait *result_out, struct err *err);

#endif
