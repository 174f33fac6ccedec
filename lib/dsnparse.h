/*
 * dsnparse: reading a delivery report that arrives as mail: the RFC 3464
 * multipart/report; report-type=delivery-status (also RFC 6533's
 * message/global-delivery-status), and the non-standard bounces whose
 * wording is fixed enough to read safely: qmail-send's "Hi. This is the
 * qmail-send program", Exim's, old Sendmail's, Exchange's (5.5/2000 and
 * the 2007+ plain-text form) and Lotus Notes' plain-text bounces, each
 * only with the returned message's Message-ID.
 * It only reads; matching a report to a message sent is track.h's job.
 * Ownership: dsn_parse()'s result is the caller's, freed with
 * dsn_report_free(); the input is not kept.
 */
#ifndef SUREL_DSNPARSE_H
#define SUREL_DSNPARSE_H

#include <stddef.h>

enum dsn_action {
	DSN_ACT_OTHER,      /* relayed, expanded, or unknown */
	DSN_ACT_FAILED,
	DSN_ACT_DELAYED,
	DSN_ACT_DELIVERED,
};

struct dsn_rcpt {
	char *final;        /* Final-Recipient address, "" when none */
	char *original;     /* Original-Recipient address, "" when none */
	enum dsn_action action;
	char *status;       /* "5.1.1", "" when none */
	char *diagnostic;   /* Diagnostic-Code text (type stripped), "" when none */
};

struct dsn_report {
	char *envid;        /* Original-Envelope-Id, NULL when none */
	char *message_id;   /* the returned message's Message-ID without <>, or NULL */
	char *reporter;     /* Reporting-MTA name, "" when none */
	char *own_id;       /* the report's own Message-ID without <>, or NULL */
	int qmail;          /* read from a qmail-send bounce */
	int plain;          /* read from another plain-text bounce */
	struct dsn_rcpt *rcpts;
	size_t n;
};

/* Whether the first 64 KiB of a message may hold a report: a cheap look
 * so that ordinary mail is not parsed whole. */
int dsn_maybe(const char *data, size_t len);
/* The report in the len bytes of a message, or NULL when the message is
 * not one (or names no recipient). */
struct dsn_report *dsn_parse(const char *data, size_t len);
/* The same of a message parsed already (msg.h). */
struct msg;
struct dsn_report *dsn_from_msg(const struct msg *m);
void dsn_report_free(struct dsn_report *r);

/* RFC 3461 xtext decoded (a copy, the caller's), or NULL when s is not
 * xtext: characters '!' to '~' but '=', and '+' only before two
 * upper-case hex digits. */
char *dsn_xtext_decode(const char *s);

/* "failed", "delayed", "delivered" or "other". */
const char *dsn_action_name(enum dsn_action a);

#endif
