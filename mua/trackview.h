/*
 * trackview: what surel shows of delivery tracking (lib/track.h): the
 * mark of a sent message's state in the index, the "Delivery:" line in
 * the pager's header area, and which message a delivery report and its
 * original lead to (the jump-original action).  It only reads records;
 * sendq and spool write them.
 * Ownership: the caller keeps what it passes in; char * results are the
 * caller's to free().
 */
#ifndef SUREL_TRACKVIEW_H
#define SUREL_TRACKVIEW_H

#include <stddef.h>

#include "buf.h"

struct msg;
struct trackview;

/* Every record's Message-ID and state, read once; free with
 * trackview_free(). */
struct trackview *trackview_load(void);
void trackview_free(struct trackview *tv);
/* Read the records again into *tv (loaded when NULL) when the record
 * directory changed since (its mtime: every record write is a rename
 * into it), so an idle index can ask every few seconds. */
void trackview_refresh(struct trackview **tv);

/* The index mark of the message with message_id (may be NULL): '.'
 * queued, '~' deferred or delayed, '>' accepted, '=' delivered, '!'
 * bounced; ' ' without a record. */
char trackview_mark(const struct trackview *tv, const char *message_id);

/* The pager's line for message m into out ("" when nothing is known):
 * "Delivery: STATE" with each recipient's state and reply for a message
 * that has a record, or "Report on: <ID> (STATE)" for a delivery report
 * about one. */
void trackview_header(const struct msg *m, struct buf *out);

/* Where jump-original goes from m: for a delivery report, the Message-ID
 * of the original (*to_sent = 1: look in the Sent folder); for a message
 * with a record, the Message-ID of the last report that came back about
 * it (*to_sent = 0: look in the INBOX).  NULL when neither. */
char *trackview_partner(const struct msg *m, int *to_sent);

#endif
