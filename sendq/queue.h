/*
 * queue: the crash-safe store of outgoing mail, one body plus one envelope
 * per message, under $XDG_DATA_HOME/surel/queue.  This module owns the file
 * layout, the envelope object and every state change (the envelope's file
 * format is queue_env.h's); it does not build
 * messages (enqueue.h turns input into a body and an envelope) and it does
 * not talk SMTP (the relay agent reads and updates envelopes through here).
 *
 * Layout (see sendq(1)):
 *   tmp/      files being written; stale ones are swept by queue_recover()
 *   msg/ID    the message body, in every state (written first)
 *   env/ID    envelope of a message waiting for relay (queued)
 *   hold/ID   envelope of a held message
 *   failed/ID envelope of a failed message (its body stays in msg/)
 *   done/ID   envelope of a message a flusher relayed and took out of the
 *             queue (queue_done_nosync); removed with its body in the
 *             background after queue_sync(), or by the next flusher's
 *             queue_recover().  Not a state: nothing lists or sends it.
 *   lock      serialises state changes and the recovery sweep (short holds)
 *   flush.lock  held for the whole run of a flusher (queue_lock_flush)
 * The envelope's rename into env/ is the commit point of an enqueue; every
 * later state change is one rename of the envelope, so a crash leaves a
 * message in exactly one state.
 *
 * Ownership: the caller keeps what it passes in; `const char *` results are
 * borrowed from the object they came from and valid until it is changed or
 * freed; `char *` results are the caller's to free().
 */
#ifndef SUREL_QUEUE_H
#define SUREL_QUEUE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define QUEUE_WUR __attribute__((warn_unused_result))

/* Bodies without an envelope and files in tmp/ older than this many seconds
 * are leftovers of a crash (an enqueue takes milliseconds). */
#define QUEUE_STALE_AGE (60 * 60)

struct queue;
struct queue_env;

enum queue_state {
	QUEUE_ST_QUEUED,   /* env/: waiting for its next attempt */
	QUEUE_ST_HELD,     /* hold/: not relayed until released */
	QUEUE_ST_FAILED,   /* failed/: bounced, expired or broken; kept for retry */
};

enum queue_rcpt_status {
	QUEUE_RCPT_PENDING,   /* not tried yet */
	QUEUE_RCPT_SENT,      /* accepted by the smarthost or delivered locally */
	QUEUE_RCPT_BOUNCED,   /* refused for good; a bounce was or will be made */
	QUEUE_RCPT_DEFERRED,  /* refused for now; tried again at next_attempt */
};

/* "queued", "held", "failed" and "pending", "sent", "bounced", "deferred". */
const char *queue_state_name(enum queue_state st);
const char *queue_rcpt_status_name(enum queue_rcpt_status st);

/* Whether id can name a queue file: non-empty, at most 200 bytes, no '/',
 * no leading '.', only printable ASCII without blanks. */
int queue_id_valid(const char *id);

/* --- envelopes -------------------------------------------------------- */

/* A new empty envelope: no id, state queued, null sender, no recipients,
 * created and next_attempt 0 (queue_add fills them when still 0). */
struct queue_env *queue_env_new(void);
void queue_env_free(struct queue_env *e);

const char *queue_env_id(const struct queue_env *e);            /* NULL before queue_add */
enum queue_state queue_env_state(const struct queue_env *e);
const char *queue_env_account(const struct queue_env *e);       /* "" when none */
const char *queue_env_sender(const struct queue_env *e);        /* "" = null sender <> */
time_t queue_env_created(const struct queue_env *e);
time_t queue_env_next_attempt(const struct queue_env *e);
unsigned queue_env_attempts(const struct queue_env *e);
size_t queue_env_size(const struct queue_env *e);               /* body bytes */
/* The last problem not tied to one recipient (connection failure, broken
 * store entry), or NULL. */
const char *queue_env_error(const struct queue_env *e);

size_t queue_env_rcpt_count(const struct queue_env *e);
const char *queue_env_rcpt_addr(const struct queue_env *e, size_t i);
enum queue_rcpt_status queue_env_rcpt_status(const struct queue_env *e, size_t i);
/* The last server reply for recipient i ("550 5.1.1 no such user"), or NULL. */
const char *queue_env_rcpt_reply(const struct queue_env *e, size_t i);
/* Whether recipient i is bounced and the bounce telling the sender so is
 * stored already (made while other recipients were still being tried). */
int queue_env_rcpt_notified(const struct queue_env *e, size_t i);

/* Setters.  Addresses must be "local@domain" without blanks, controls or
 * angle brackets (enqueue.h validates user input first); an address that
 * could break the file format fails with EX_DATAERR. */
int queue_env_set_sender(struct queue_env *e, const char *addr, struct err *err) QUEUE_WUR;
int queue_env_add_rcpt(struct queue_env *e, const char *addr, struct err *err) QUEUE_WUR;
int queue_env_set_account(struct queue_env *e, const char *name, struct err *err) QUEUE_WUR;
void queue_env_set_created(struct queue_env *e, time_t t);
/* The body's size in bytes (queue_add sets it; the envelope reader too). */
void queue_env_set_size(struct queue_env *e, size_t n);
void queue_env_set_next_attempt(struct queue_env *e, time_t t);
void queue_env_set_attempts(struct queue_env *e, unsigned n);
/* Record a recipient's status and the server's reply (NULL keeps the old
 * one).  Text is stored on one line: controls become spaces. */
void queue_env_set_rcpt(struct queue_env *e, size_t i, enum queue_rcpt_status st,
			const char *reply);
/* Mark bounced recipient i as notified; a later status change clears it. */
void queue_env_set_rcpt_notified(struct queue_env *e, size_t i);
/* Set or (with NULL) clear the message-level error; one line, as above. */
void queue_env_set_error(struct queue_env *e, const char *text);

/* DSN requests (RFC 3461) of sendmail's -N, -R and -V: NULL is the
 * default (the account's dsn_notify, RET=HDRS, ENVID = the queue id).
 * Each value must be one word of printable ASCII (EX_DATAERR else). */
int queue_env_set_dsn(struct queue_env *e, const char *notify, const char *ret,
		      const char *envid, struct err *err) QUEUE_WUR;
const char *queue_env_dsn_notify(const struct queue_env *e);   /* NULL: default */
const char *queue_env_dsn_ret(const struct queue_env *e);      /* NULL: default */
/* The ENVID sent: -V's, else the id (NULL before queue_add). */
const char *queue_env_envid(const struct queue_env *e);
/* Whether the ENVID came from -V. */
int queue_env_envid_set(const struct queue_env *e);
/* Whether the one delay warning (delay_warning) was made. */
int queue_env_delay_warned(const struct queue_env *e);
void queue_env_set_delay_warned(struct queue_env *e);
/* Whether the warning was about to be stored when the envelope was last
 * saved: it may be in the INBOX already (no effect once warned). */
int queue_env_delay_pending(const struct queue_env *e);
void queue_env_set_delay_pending(struct queue_env *e);

/* --- the store ---------------------------------------------------------- */

/* Open the store at dir (NULL: path_xdg(PATH_XDG_DATA, "queue")), creating
 * it and its subdirectories (0700) when missing.  Caller frees with
 * queue_close(), which also drops a flush lock still held. */
struct queue *queue_open(const char *dir, struct err *err) QUEUE_WUR;
void queue_close(struct queue *q);
const char *queue_dir(const struct queue *q);

/* Store a new message: len bytes of body (LF line ends, as enqueue.h makes
 * them) and envelope e, which needs a recipient.  Sets e's id, size, state
 * (queued), and created / next_attempt when they are 0.  Returns only after
 * body and envelope are fsync'd and the envelope renamed into env/ (the
 * commit); on failure nothing is committed.  *id_out (may be NULL) gets a
 * copy of the id, the caller's to free. */
int queue_add(struct queue *q, const char *body, size_t len, struct queue_env *e,
	      char **id_out, struct err *err) QUEUE_WUR;

/* The envelope of id in whatever state it is (caller frees).  Unknown id:
 * NULL, EX_NOINPUT; unreadable or bad envelope: NULL, EX_DATAERR naming the
 * file and line. */
struct queue_env *queue_load(struct queue *q, const char *id, struct err *err) QUEUE_WUR;

/* Atomically rewrite e's envelope where it lives now (the relay records
 * statuses, attempts and replies this way).  Fails with EX_NOINPUT when the
 * message was removed or moved to another state meanwhile, so a flusher
 * never resurrects what an admin command changed. */
int queue_save_envelope(struct queue *q, const struct queue_env *e, struct err *err) QUEUE_WUR;

/* The path of id's body (caller frees); the file is read-only by contract. */
char *queue_body_path(const struct queue *q, const char *id);
/* Read id's body whole (caller frees *data_out). */
int queue_read_body(struct queue *q, const char *id, char **data_out, size_t *len_out,
		    struct err *err) QUEUE_WUR;

/* Remove a message in any state: the envelope first (the commit), then the
 * body.  Unknown id: EX_NOINPUT. */
int queue_remove(struct queue *q, const char *id, struct err *err) QUEUE_WUR;
/* Take id out of the queue for a flusher that has just relayed it, without
 * waiting for the disk: its envelope (in any state) is renamed into done/
 * now (a rename is several times cheaper than freeing the inode), so no
 * later flush, even after a kill -9, sends it again; envelope and body are
 * removed after queue_sync().  Nothing of this is durable before
 * queue_sync() returns 0: after a power loss or an OS crash the message
 * may be queued again (and be sent twice), never lost.  Unknown id:
 * EX_NOINPUT. */
int queue_done_nosync(struct queue *q, const char *id, struct err *err) QUEUE_WUR;
/* Messages taken out by queue_done_nosync() since the last queue_sync(). */
size_t queue_pending(const struct queue *q);
/* The durability point for queue_done_nosync(): fsync done/ and the state
 * directories the envelopes left (one fsync each, for any number of
 * messages); then a background thread of this queue unlinks each done/
 * entry and its body (nothing there needs to be durable: queue_recover()
 * removes what comes back).  On failure the files stay for the next
 * flusher's queue_recover(), and the removals are not known to be durable.
 * Either way nothing is pending afterwards.  queue_close() calls it when
 * something is pending, ignoring errors, and waits for the thread. */
int queue_sync(struct queue *q, struct err *err) QUEUE_WUR;
/* Wait until the background removals of queue_sync() are done (tests,
 * and callers that look at msg/ right after a flush). */
void queue_reap_wait(struct queue *q);
/* queued -> held; held stays held; failed is refused (EX_DATAERR). */
int queue_hold(struct queue *q, const char *id, struct err *err) QUEUE_WUR;
/* held -> queued; queued stays queued; failed is refused (EX_DATAERR). */
int queue_release(struct queue *q, const char *id, struct err *err) QUEUE_WUR;
/* Try id again now: a failed message goes back to the queue with attempts
 * reset, its bounced and deferred recipients pending again and its error
 * cleared; a held one is released; a queued one gets next_attempt = now.
 * With id NULL: every failed and queued message (held ones stay held). */
int queue_retry(struct queue *q, const char *id, struct err *err) QUEUE_WUR;
/* Move e's message to failed/ with the error text given (NULL keeps e's);
 * the envelope is rewritten there first, so the move is one rename. */
int queue_fail(struct queue *q, struct queue_env *e, const char *why,
	       struct err *err) QUEUE_WUR;

/* Every message, oldest first (by created, then id).  An envelope that
 * cannot be parsed is listed too, with its state, its id and the parse
 * error as queue_env_error(), never left out.  Free with
 * queue_list_free(). */
int queue_list(struct queue *q, struct queue_env ***list_out, size_t *n_out,
	       struct err *err) QUEUE_WUR;
void queue_list_free(struct queue_env **list, size_t n);

/* What a recovery sweep found and did. */
struct queue_recovery {
	unsigned tmp_removed;     /* stale files removed from tmp/ */
	unsigned orphans_removed; /* bodies without an envelope removed */
	unsigned broken;          /* envelopes without a body moved to failed/ */
	unsigned done_removed;    /* finished messages removed (see queue_sync) */
};
/* Crash recovery, run by list and flush before they look at the queue:
 * files in tmp/, ".NAME.tmp" files of killed envelope rewrites in env/,
 * hold/ and failed/ (counted in tmp_removed), and bodies without any
 * envelope that are older than max_age seconds are removed; an envelope in env/ or hold/ whose body is
 * missing is moved to failed/ with an error saying so (never dropped).
 * When the caller holds the flush lock, messages left in done/ by a
 * flusher that died before cleaning up are removed (record and body).
 * rec (may be NULL) gets the counts. */
int queue_recover(struct queue *q, long max_age, struct queue_recovery *rec,
		  struct err *err) QUEUE_WUR;

/* Take the flusher lock without waiting.  Held by another process: -1 with
 * err->code EX_TEMPFAIL and err->errnum EWOULDBLOCK (the second flusher
 * exits 0 on that).  Dropped by queue_unlock_flush() or queue_close(). */
int queue_lock_flush(struct queue *q, struct err *err) QUEUE_WUR;
void queue_unlock_flush(struct queue *q);

#endif
