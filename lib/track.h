/*
 * track: the delivery record of every message sendq relays, kept after
 * the message leaves the queue (track_days, default 30) so that "did my
 * message arrive?" has an answer: when it was queued, each attempt, per
 * recipient the last state with the smarthost's reply (its queue id
 * included, "250 2.0.0 Ok: queued as 4Xk9") and the time, what remote
 * delivery reports said later, and the Message-ID.
 *
 * One JSON file per message, $XDG_STATE_HOME/surel/track/ID.json
 * (doc/DESIGN.md section 5), rewritten whole with afile_write() under the
 * lock file track/lock: the rename is the commit point, so a reader sees
 * the old record or the new one.  sendq's flush writes outcomes
 * (track_note()); whatever stores incoming mail (spool deliver, fetch)
 * hands each message to track_incoming(), which reads delivery reports
 * (dsnparse.h) and updates the record they are about.  A report is
 * matched by its Original-Envelope-Id (sendq's ENVID is the queue id),
 * else by the returned message's Message-ID, and changes only recipients
 * the record has; one that matches nothing changes nothing.  Every state
 * change is also an event in the journal (events.h).
 *
 * Ownership: the caller keeps what it passes in; char * and struct json_t
 * * results are the caller's (free(), json_decref()).
 */
#ifndef SUREL_TRACK_H
#define SUREL_TRACK_H

#include <stddef.h>
#include <time.h>

#include "err.h"

#define TRACK_WUR __attribute__((warn_unused_result))

/* Records are removed this many days after their last change. */
#define TRACK_DAYS_DEFAULT 30

/* The states of the contract (sendq status --json), per recipient and,
 * summed up, per message. */
enum track_state {
	TRACK_QUEUED,     /* not tried yet */
	TRACK_DEFERRED,   /* refused for now; tried again later */
	TRACK_ACCEPTED,   /* the smarthost took it (or it was delivered locally) */
	TRACK_BOUNCED,    /* refused for good, by the smarthost or in a later report */
	TRACK_DELAYED,    /* a report (ours after delay_warning, or a remote one) said delayed */
	TRACK_DELIVERED,  /* a remote report said delivered */
};

/* "queued", "deferred", "accepted", "bounced", "delayed", "delivered". */
const char *track_state_name(enum track_state st);

/* One recipient as the queue knows it now; strings borrowed. */
struct track_rcpt {
	const char *address;
	enum track_state state;
	const char *reply;          /* the last reply, NULL when none */
};

/* One message as the queue knows it now; strings borrowed. */
struct track_msg {
	const char *id;             /* the queue id */
	const char *envid;          /* the ENVID sent (NULL: the id) */
	const char *message_id;     /* without <>, NULL when none */
	const char *account;        /* "" or NULL when none */
	const char *sender;
	time_t queued_at;
	const struct track_rcpt *rcpts;
	size_t n;
};

/* The record directory: $SUREL_TRACK when set (tests), else
 * $XDG_STATE_HOME/surel/track. */
char *track_dir(void);

/*
 * Merge m into its record (created when missing): a recipient whose state
 * or reply changed gets the new one with time now, an event in the record
 * and one in the journal.  A recipient a later report has settled
 * (delivered, bounced, delayed) keeps that over what the queue says
 * (accepted, deferred).  what (may be NULL) is an event for the message
 * itself ("attempt", "delay_warning", "expired"), recorded with note.
 */
int track_note(const struct track_msg *m, const char *what, const char *note, time_t now,
	       struct err *err) TRACK_WUR;

/* The record of key: a queue id, else a Message-ID (with or without <>).
 * NULL with EX_NOINPUT when there is none. */
struct json_t *track_load(const char *key, struct err *err) TRACK_WUR;
/* Every record, oldest first (by queued_at), as a JSON array. */
struct json_t *track_list(void);
/* The message's state as the record says (its "state" member). */
enum track_state track_record_state(const struct json_t *rec);

/*
 * The hook for incoming mail: when the len bytes are a delivery report
 * about a message with a record, update that record (bounced with the
 * diagnostic, delayed, delivered) and return 1; else 0, and nothing
 * changed.  Never fails the caller: problems are logged.  account is the
 * account the report arrived for (journal), may be NULL.
 */
int track_incoming(const char *data, size_t len, const char *account);

/* What every program that stores incoming mail calls once per message
 * stored (spool deliver, fetch): an "arrived" event in the journal
 * (folder, key, from, subject, message_id; key may be NULL when not known
 * yet), then track_incoming(). */
void track_arrived(const char *account, const char *folder, const char *key, const char *data,
		   size_t len);

/* Remove records not changed for days days; errors are ignored (the next
 * pass tries again). */
void track_prune(long days, time_t now);

#endif
