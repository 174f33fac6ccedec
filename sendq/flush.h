/*
 * flush: one pass of the relay agent over the queue.  It picks the
 * messages that are due, delivers recipients in an account's
 * local_domains straight into the local Maildir, relays the others
 * through the account's smarthost (relay.h, one session per account for
 * the whole pass), records every recipient's outcome in the envelope, and
 * finishes messages: Sent copy, bounce (bounce.h) into the sender's INBOX,
 * removal or the move to failed/.  Taking the flush lock and the recovery
 * sweep are the caller's job (sendq/agent.c, daemon.h); so is printing.
 *
 * Outcomes per recipient: a 2xx reply (or a local delivery) is sent; 5xx
 * is bounced; 4xx, a lost connection, a timeout, a refused session (TLS,
 * AUTH) or a local delivery problem is deferred, and the message waits
 * cfg_retry_delay(attempts) before the next try.  A message older than
 * `expire` has its unfinished recipients bounced.  A message leaves env/
 * only when no recipient is pending or deferred: removed when all were
 * sent, moved to failed/ once its bounce is stored when some bounced
 * (never bounced when the sender is null; it just fails).  A bounce that
 * cannot be stored keeps the message queued.
 *
 * Durability (sendq(1), RELAY).  A kill -9 keeps the page cache, so the
 * order of the system calls is what protects against a crashed process;
 * fsync only matters for a power loss or an OS crash.  So, when every
 * recipient of a message got it, the pass does not wait for the disk, nor
 * for the file system at all: it hands the message to a finisher thread
 * and goes on with the next one.  The finisher places the Sent copy
 * (batch_link(): a hard link to the queued body, fsync'd when it was
 * queued) and then takes the envelope out of env/ (queue_done_nosync(): a
 * rename into done/), after which no flusher sends it again; it is at
 * most FLUSH_BACKLOG (16) messages behind, which bounds what a kill -9
 * sends twice.  Every FLUSH_SYNC_EVERY (64) messages, before any step
 * that must come after them on disk (a bounce), and at the end of the
 * pass, one durability point commits the Sent batches (directory fsync)
 * and then the queue (queue_sync(): directory fsyncs; bodies are unlinked
 * afterwards, in the background).  A power loss between two points can
 * bring back up to 64 messages the smarthost already took: sent again,
 * never lost.  Deferrals, bounces and local deliveries stay durable one
 * by one (rare paths).
 *
 * Tracking: every attempt's outcomes go into the message's delivery
 * record (track.h, not durable by itself: it is derived from the queue),
 * and each message is sent with DSN requests (RFC 3461: ENVID = the
 * queue id or -V, RET=HDRS or -R, NOTIFY from -N or dsn_notify, ORCPT)
 * when the smarthost offers DSN.  A message still deferred delay_warning
 * (default 4h) after it was queued gets one delay warning
 * (bounce_make_delay()) in the sender's INBOX, once (delay_warned in the
 * envelope).
 * Ownership: the caller keeps what it passes in.
 */
#ifndef SUREL_FLUSH_H
#define SUREL_FLUSH_H

#include <signal.h>
#include <time.h>

#include "cfg.h"
#include "err.h"
#include "queue.h"
#include "relay.h"

/* The relay as a pass uses it: relay.h's functions over an opaque session
 * handle.  The seam exists so that the unit tests run the pass's
 * decisions over a scripted fake, without a server. */
struct flush_relay_ops {
	/* relay_new(): NULL with err when the account cannot relay. */
	void *(*open)(const struct cfg_account *a, long timeout, struct err *err);
	/* relay_send(), with its contract for res and *session_failed_out. */
	int (*send)(void *s, const char *sender, const char *const *rcpts, size_t n,
		    const char *body, size_t len, struct relay_rcpt *res,
		    int *session_failed_out, struct err *err);
	const char *(*host)(const void *s);             /* relay_host() */
	void (*stats)(const void *s, struct relay_stats *out);
	void (*close)(void *s);                         /* relay_free() */
	/* relay_set_dsn() before each send; NULL: no DSN requests. */
	void (*dsn)(void *s, const struct relay_dsn *d);
};

struct flush_opts {
	const char *account;              /* only this account's mail; NULL: all */
	long timeout;                     /* SMTP timeout in seconds; 0: relay.h's */
	volatile sig_atomic_t *stop;      /* non-zero: stop after the current message */
	const struct flush_relay_ops *relay; /* NULL: relay.h's own */
};

/* What a pass did, for -v, the daemon and the benchmark. */
struct flush_stats {
	unsigned messages;     /* messages tried */
	unsigned done;         /* left the queue (sent, or failed after a bounce) */
	unsigned sent;         /* recipients accepted by a smarthost */
	unsigned local;        /* recipients delivered locally */
	unsigned bounced;      /* recipients bounced */
	unsigned deferred;     /* recipients deferred */
	unsigned connects;     /* SMTP connections opened */
	unsigned sessions_failed; /* smarthosts whose session was refused */
	time_t next_due;       /* earliest next attempt still queued; 0: none */
};

/* One pass at time now.  cfg NULL (no configuration file) relays nothing:
 * due messages stay queued with an error saying so.  Fails (-1) only when
 * the queue itself cannot be read; problems with single messages are
 * recorded in their envelopes and logged (log.h, one line per recipient
 * and attempt: queue ID, recipient, smarthost or local folder, outcome and
 * reply; never credentials). */
int flush_run(struct queue *q, const struct cfg *cfg, const struct flush_opts *o,
	      time_t now, struct flush_stats *st, struct err *err)
	__attribute__((warn_unused_result));

/* e's state into its delivery record (track.h), with the Message-ID of
 * its body and what (may be NULL) as an event of the message; what the
 * pass does after every attempt, and `sendq status` for a message not
 * tried yet.  A record that cannot be written is a warning only. */
void flush_track(const struct cfg *cfg, const struct queue_env *e, const char *body,
		 size_t len, const char *what, const char *note, time_t now);

#endif
