#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "bounce.h"
#include "date.h"

/* Header block of the original kept in a report at most; the rest is
 * dropped (a report is about the envelope, not a copy of the message). */
#define HEADERS_MAX (256 * 1024)

void bounce_status(const char *reply, const char *dflt, char out[16])
{
	const char *p;
	size_t n;

	if (!reply || !isdigit((unsigned char)reply[0]) || !isdigit((unsigned char)reply[1]) ||
	    !isdigit((unsigned char)reply[2]) || (reply[0] != '4' && reply[0] != '5')) {
		snprintf(out, 16, "%s", dflt);
		return;
	}
	/* RFC 3463: class.subject.detail, subject and detail 1 to 3 digits;
	 * the class must agree with the reply code (RFC 2034 section 4). */
	p = reply + 3;
	while (*p == ' ' || *p == '-')
		p++;
	if (p[0] == reply[0] && p[1] == '.') {
		size_t d1 = strspn(p + 2, "0123456789"), d2;

		if (d1 >= 1 && d1 <= 3 && p[2 + d1] == '.') {
			d2 = strspn(p + 3 + d1, "0123456789");
			n = 3 + d1 + d2;
			if (d2 >= 1 && d2 <= 3 && (p[n] == '\0' || p[n] == ' ')) {
				snprintf(out, 16, "%.*s", (int)n, p);
				return;
			}
		}
	}
	snprintf(out, 16, "%c.0.0", reply[0]);
}

/* Text from a server or an envelope, for a 7-bit report on one line. */
static void put_ascii(struct buf *b, const char *s)
{
	for (; *s; s++)
		buf_putc(b, (unsigned char)*s >= 32 && (unsigned char)*s < 127 ? *s : '?');
}

/* The recipients a report is about: bounced ones not reported yet, and
 * (when some are) the ones still being tried. */
static int is_failed(const struct queue_env *e, size_t i)
{
	return queue_env_rcpt_status(e, i) == QUEUE_RCPT_BOUNCED && !queue_env_rcpt_notified(e, i);
}

static int is_open(const struct queue_env *e, size_t i)
{
	enum queue_rcpt_status st = queue_env_rcpt_status(e, i);

	return st == QUEUE_RCPT_PENDING || st == QUEUE_RCPT_DEFERRED;
}

/* Whether the reply starts with an SMTP reply code. */
static int is_smtp_reply(const char *r)
{
	return r && isdigit((unsigned char)r[0]) && isdigit((unsigned char)r[1]) &&
	       isdigit((unsigned char)r[2]) && (r[3] == '\0' || r[3] == ' ');
}

/* One per-recipient block of the message/delivery-status part. */
static void put_dsn_rcpt(struct buf *out, const char *addr, const char *action,
			 const char *status, const char *reply)
{
	buf_puts(out, "\nFinal-Recipient: rfc822; ");
	put_ascii(out, addr);
	buf_printf(out, "\nAction: %s\nStatus: %s\n", action, status);
	if (is_smtp_reply(reply)) {
		buf_puts(out, "Diagnostic-Code: smtp; ");
		put_ascii(out, reply);
		buf_putc(out, '\n');
	}
}

/* The report's own header block, up to the first delimiter. */
static void put_head(struct buf *out, const struct queue_env *e, const char *id,
		     const char *host, const char *boundary, time_t now, int delay)
{
	struct buf unique = BUF_INIT, domain = BUF_INIT;

	buf_puts(out, "From: Mail Delivery System <MAILER-DAEMON@");
	put_ascii(out, host);
	buf_puts(out, ">\nTo: <");
	put_ascii(out, queue_env_sender(e));
	buf_puts(out, delay ? ">\nSubject: Delayed Mail (still being retried)\nDate: " :
		 ">\nSubject: Undelivered Mail Returned to Sender\nDate: ");
	date_put(out, now);
	/* Made of the queue id, not random: a report written again after a
	 * crash is the same message. */
	buf_puts(&unique, delay ? "delay." : "bounce.");
	put_ascii(&unique, id);
	put_ascii(&domain, host);
	buf_puts(out, "\nMessage-ID: ");
	addr_put_message_id(out, now, unique.data, domain.data);
	buf_puts(out, "\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
		      "Content-Type: multipart/report; report-type=delivery-status;\n"
		      "\tboundary=\"");
	put_ascii(out, boundary);
	buf_puts(out, "\"\n\nThis is a MIME-encapsulated message.\n");
	buf_release(&unique);
	buf_release(&domain);
}

/* The recipients still being tried, a line each, with their last reply:
 * the bounce's "Still being tried" list and the delay report's body. */
static void put_open_rcpts(struct buf *out, const struct queue_env *e)
{
	const char *reply;
	size_t i;

	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		if (!is_open(e, i))
			continue;
		buf_puts(out, "<");
		put_ascii(out, queue_env_rcpt_addr(e, i));
		reply = queue_env_rcpt_reply(e, i);
		buf_puts(out, reply ? ">: " : ">");
		if (reply)
			put_ascii(out, reply);
		buf_putc(out, '\n');
	}
}

/* Part 1, for people. */
static void put_notice(struct buf *out, const struct queue_env *e, const char *id,
		       const char *host, int expired, size_t open)
{
	const char *reply;
	size_t i;

	buf_puts(out, "\nContent-Description: Notification\n"
		      "Content-Type: text/plain; charset=us-ascii\n\n"
		      "This is the mail system at host ");
	put_ascii(out, host);
	buf_puts(out, ".\n\nYour message could not be delivered to one or more recipients.\n");
	if (expired)
		buf_puts(out, "It stayed in the outgoing queue for too long without being accepted.\n");
	if (open > 0) {
		buf_puts(out, "The other recipients are still being tried; you will hear again\n"
			      "only if they fail too.  The original message stays in the queue as ");
		put_ascii(out, id);
		buf_puts(out, "\n(see 'sendq show'); its headers are attached below.\n\n");
	} else {
		buf_puts(out, "The original message is kept in the queue as ");
		put_ascii(out, id);
		buf_puts(out, " (see 'sendq show' and 'sendq retry');\nits headers are attached below.\n\n");
	}
	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		if (!is_failed(e, i))
			continue;
		buf_puts(out, "<");
		put_ascii(out, queue_env_rcpt_addr(e, i));
		buf_puts(out, ">: ");
		reply = queue_env_rcpt_reply(e, i);
		put_ascii(out, reply ? reply : expired ? "delivery time expired" : "refused");
		buf_putc(out, '\n');
	}
	if (open == 0)
		return;
	buf_puts(out, "\nStill being tried:\n");
	put_open_rcpts(out, e);
}

/* Part 2, for programs (RFC 3464 section 2). */
static void put_status(struct buf *out, const struct queue_env *e, const char *id,
		       const char *host, int expired, int delay)
{
	const char *reply;
	char status[16];
	size_t i;

	buf_puts(out, "\nContent-Description: Delivery report\n"
		      "Content-Type: message/delivery-status\n\n"
		      "Reporting-MTA: dns; ");
	put_ascii(out, host);
	buf_puts(out, "\nX-Surel-Queue-ID: ");
	put_ascii(out, id);
	if (queue_env_envid(e)) {
		buf_puts(out, "\nOriginal-Envelope-Id: ");
		put_ascii(out, queue_env_envid(e));
	}
	buf_puts(out, "\nArrival-Date: ");
	date_put(out, queue_env_created(e));
	buf_putc(out, '\n');
	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		if (is_open(e, i)) {
			/* RFC 3464 2.3.3: delayed, with the transient status. */
			reply = queue_env_rcpt_reply(e, i);
			bounce_status(reply, "4.0.0", status);
			if (status[0] != '4')
				snprintf(status, sizeof(status), "4.0.0");
			put_dsn_rcpt(out, queue_env_rcpt_addr(e, i), "delayed", status, reply);
			continue;
		}
		if (delay || !is_failed(e, i))
			continue;
		reply = queue_env_rcpt_reply(e, i);
		bounce_status(reply, expired ? "4.4.7" : "5.0.0", status);
		/* A 4xx reply on a message that did not expire cannot make a
		 * failure; a 2xx one says nothing about it. */
		if (status[0] != '5' && !(expired && status[0] == '4'))
			snprintf(status, sizeof(status), "%s", expired ? "4.4.7" : "5.0.0");
		put_dsn_rcpt(out, queue_env_rcpt_addr(e, i), "failed", status, reply);
	}
}

/* Part 3, the original's header block (RFC 3462 text/rfc822-headers). */
static void put_headers(struct buf *out, const char *body, size_t len)
{
	const char *hdr_end;
	size_t hlen;

	buf_puts(out, "\nContent-Description: Undelivered Message Headers\n"
		      "Content-Type: text/rfc822-headers\n\n");
	hdr_end = len > 0 && body[0] == '\n' ? body : NULL;
	if (!hdr_end) {
		const char *p = body;

		while ((p = memchr(p, '\n', (size_t)(body + len - p))) != NULL) {
			if (p + 1 < body + len && p[1] == '\n') {
				hdr_end = p + 1;
				break;
			}
			p++;
		}
	}
	hlen = hdr_end ? (size_t)(hdr_end - body) : len;
	if (hlen > HEADERS_MAX)
		hlen = HEADERS_MAX;
	buf_append(out, body, hlen);
	if (hlen > 0 && body[hlen - 1] != '\n')
		buf_putc(out, '\n');
}

/* Part 1 of the delay warning, for people. */
static void put_delay_notice(struct buf *out, const struct queue_env *e, const char *id,
			     const char *host, time_t now)
{
	buf_puts(out, "\nContent-Description: Notification\n"
		      "Content-Type: text/plain; charset=us-ascii\n\n"
		      "This is the mail system at host ");
	put_ascii(out, host);
	buf_printf(out, ".\n\nYour message has not been delivered to some recipients for %lld hour(s).\n"
			"It is still in the outgoing queue as ", (long long)(now - queue_env_created(e)) / 3600);
	put_ascii(out, id);
	buf_puts(out, " and is tried again\nuntil it expires; you do not need to send it again.\n\n");
	put_open_rcpts(out, e);
}

static void put_delim(struct buf *out, const char *boundary)
{
	buf_puts(out, "\n--");
	put_ascii(out, boundary);
}

/* The whole report: the failure notice, or with delay the delay warning. */
static void put_report(struct buf *out, const struct queue_env *e, const char *body, size_t len,
		       const char *host, time_t now, int expired, int delay)
{
	const char *id = queue_env_id(e) ? queue_env_id(e) : "unknown";
	char boundary[128];
	size_t i, open = 0;

	snprintf(boundary, sizeof(boundary), "%s/%lld/%s", id, (long long)now, host);
	put_head(out, e, id, host, boundary, now, delay);
	put_delim(out, boundary);
	if (delay) {
		put_delay_notice(out, e, id, host, now);
	} else {
		for (i = 0; i < queue_env_rcpt_count(e); i++)
			open += is_open(e, i);
		put_notice(out, e, id, host, expired, open);
	}
	put_delim(out, boundary);
	put_status(out, e, id, host, expired, delay);
	put_delim(out, boundary);
	put_headers(out, body, len);
	put_delim(out, boundary);
	buf_puts(out, "--\n");
}

void bounce_make(const struct queue_env *e, const char *body, size_t len, const char *host,
		 time_t now, int expired, struct buf *out)
{
	put_report(out, e, body, len, host, now, expired, 0);
}

void bounce_make_delay(const struct queue_env *e, const char *body, size_t len,
		       const char *host, time_t now, struct buf *out)
{
	put_report(out, e, body, len, host, now, 0, 1);
}
