/*
 * events: the event journal, one append-only file of JSON lines under
 * $XDG_STATE_HOME/surel/ (events.jsonl, the previous one events.jsonl.1)
 * that every program writes what happened to: mail queued, sent,
 * deferred, bounced, delayed, delivered (sendq and the delivery record,
 * track.h), mail arrived (spool deliver and fetch), sync errors.
 * Notifiers and scripts read it (`spool events`) instead of polling.
 *
 * Each line is written with one write(2) on a descriptor opened O_APPEND
 * and is kept below EVENTS_LINE_MAX bytes (field values are cut), so
 * concurrent writers never interleave and a writer killed with SIGKILL
 * leaves whole lines only.  When the file passes EVENTS_ROTATE_SIZE the
 * writer that notices renames it to events.jsonl.1 (under a lock file,
 * so two writers never rotate twice).  Writing is best effort: a journal
 * that cannot be written is a warning, never a failed delivery.  This
 * module does not use jansson, so the small sendmail front can log too.
 * Ownership: the caller keeps what it passes in; char * results are the
 * caller's to free().
 */
#ifndef SUREL_EVENTS_H
#define SUREL_EVENTS_H

#include <signal.h>
#include <time.h>

#include "err.h"

/* A line is at most this long (below PIPE_BUF, so one write is atomic). */
#define EVENTS_LINE_MAX 4000
/* A field value is cut to this many bytes (on a UTF-8 boundary). */
#define EVENTS_VALUE_MAX 480
/* The journal is rotated once it is larger than this. */
#define EVENTS_ROTATE_SIZE (4L * 1024 * 1024)

/* The journal's path: $SUREL_EVENTS when set (tests), else
 * $XDG_STATE_HOME/surel/events.jsonl. */
char *events_path(void);

/*
 * Append one event: {"time": ISO-8601 UTC, "unix": seconds, "type": type,
 * "account": account or null, then the fields}.  The variadic arguments
 * are pairs of const char * key and value (a NULL value is written as
 * null), ended by a NULL key.  Values are turned into valid UTF-8 and
 * cut to EVENTS_VALUE_MAX bytes.
 */
void events_log(const char *type, const char *account, ...) __attribute__((sentinel));

/* A --since value: "@EPOCH", "YYYY-MM-DD[THH:MM[:SS]]" (UTC), or a
 * relative "-N" with unit s, m, h or d ("-30m", before now). */
int events_parse_since(const char *s, time_t now, time_t *out, struct err *err);

/*
 * Print the journal's lines whose time is since or later to stdout
 * (out.h), the rotated file first.  With follow, keep printing new lines
 * as they are appended (polled every 100 ms, and across a rotation) until
 * *stop becomes non-zero.
 */
int events_print(time_t since, int follow, volatile sig_atomic_t *stop, struct err *err);

#endif
