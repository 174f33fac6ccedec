/*
 * bounce: the delivery status notification (RFC 3464 multipart/report,
 * RFC 3463 status codes) that tells a sender which recipients of a queued
 * message could not be reached and why.  It only builds the message; the
 * flush agent (flush.h) decides when one is due and stores it in the
 * sender's local INBOX with maildir.h.
 * Ownership: the caller keeps what it passes in.
 */
#ifndef SUREL_BOUNCE_H
#define SUREL_BOUNCE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "queue.h"

/* The enhanced status code (RFC 3463) of an SMTP reply into out: the
 * "X.Y.Z" after the reply code when the reply carries one and its class
 * matches the reply code's first digit, else "C.0.0" for a reply code
 * 4xx/5xx, else dflt.  "550 5.1.1 no such user" gives "5.1.1", "554
 * rejected" gives "5.0.0", NULL or "" gives dflt. */
void bounce_status(const char *reply, const char *dflt, char out[16]);

/*
 * Append the report about e's bounced recipients that are not notified yet
 * (queue_env_rcpt_notified()) to out (LF line ends, as the Maildir stores
 * it): From MAILER-DAEMON@host, To the sender, Subject "Undelivered Mail
 * Returned to Sender", Auto-Submitted: auto-replied; a text/plain
 * explanation, a message/delivery-status part (Reporting-MTA: dns; host,
 * Arrival-Date = e's creation time, then per bounced recipient
 * Final-Recipient, Action: failed, Status, Diagnostic-Code: smtp; REPLY
 * when there was a reply; when recipients are still pending or deferred, a
 * report made before the message is done, those too, with Action: delayed
 * and their 4.x.x status) and the original header block (body bytes up to
 * the first empty line) as text/rfc822-headers.  expired: the message ran
 * out of time in the queue; recipients then get status 4.4.7 unless their
 * last reply had its own 4.x.x or 5.x.x.  Server text is reduced to
 * printable ASCII.  The sender must not be null (nobody to tell).
 */
void bounce_make(const struct queue_env *e, const char *body, size_t len, const char *host,
		 time_t now, int expired, struct buf *out);

/* The delay warning (delay_warning): the same report for e's recipients
 * that are still pending or deferred, each with Action: delayed and its
 * 4.x.x status, Subject "Delayed Mail (still being retried)"; nothing
 * failed is listed.  Original-Envelope-Id is e's ENVID in both reports. */
void bounce_make_delay(const struct queue_env *e, const char *body, size_t len,
		       const char *host, time_t now, struct buf *out);

#endif
