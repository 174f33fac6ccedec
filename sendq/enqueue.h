/*
 * enqueue: turn one message from a sendmail-style caller (stdin plus
 * options, or an SMTP dialogue on stdin/stdout for -bs) into a queued
 * message: recipients, envelope sender, account, the header fields a
 * message must have, and the checks that refuse bad input before anything
 * is written.  Storing is queue.h's job; the command line is sendq/cli.c's;
 * address syntax is addr.h's (ADDR_SYNTAX, bare names allowed for
 * recipients).
 *
 * Rules (sendq(1) documents them for users):
 * - Line ends are stored as LF (CRLF in the input becomes LF, a missing
 *   final line end is added); the relay turns them into CRLF on the wire.
 * - A bare CR or a NUL byte in the header block, CR/LF in an argument, an
 *   address that is neither local@domain nor a bare local name, or no
 *   recipient at all: EX_DATAERR and nothing is queued.
 * - A bare local name ("root") is qualified with the domain of the
 *   account's address, or "localhost" without an account.
 * - Bcc fields are always removed from the stored message.
 * - No configuration file is fine: the sender is -f or LOGNAME@hostname and
 *   the account is empty (the relay keeps such mail until it can send it).
 *
 * The caller keeps ownership of everything it passes in.
 */
#ifndef SUREL_ENQUEUE_H
#define SUREL_ENQUEUE_H

#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "queue.h"

#define ENQUEUE_WUR __attribute__((warn_unused_result))

/* Larger input is refused with EX_DATAERR rather than filling the disk. */
#define ENQUEUE_MAX_SIZE (64UL * 1024 * 1024)

/* What the command line says about one message; a plain value type (its
 * fields are the API).  Strings are borrowed for the call. */
struct enqueue_opts {
	int extract;                /* -t: recipients from To, Cc and Bcc too */
	int keep_dots;              /* -i/-oi: a line "." does not end input */
	const char *sender;         /* -f: envelope sender; "" or "<>" = null */
	const char *fullname;       /* -F: display name for an added From */
	const char *account;        /* -A: account name */
	time_t at;                  /* --at: not relayed before; 0 = now */
	const char *dsn_notify;     /* -N: NEVER or SUCCESS,FAILURE,DELAY; NULL: default */
	const char *dsn_ret;        /* -R: FULL or HDRS; NULL: HDRS */
	const char *envid;          /* -V: the ENVID; NULL: the queue id */
	char *const *rcpts;         /* recipient arguments (may hold lists) */
	size_t nrcpts;
};

/* Read a message from fd into out (appended, bytes unchanged).  Without
 * keep_dots, a line holding only "." (LF or CRLF) ends the message, as in
 * sendmail: reading stops there and the line is not part of it.  Input
 * over ENQUEUE_MAX_SIZE is EX_DATAERR. */
int enqueue_read(int fd, int keep_dots, struct buf *out, struct err *err) ENQUEUE_WUR;

/* This host's name when it is a valid domain, else "localhost" (n bytes,
 * NUL-terminated): the domain of a sender without configuration and the
 * -bs greeting. */
void enqueue_host_name(char *host, size_t n);

/* Parse a --at TIME value relative to now (local time zone):
 * "YYYY-MM-DD HH:MM[:SS]" (or with 'T'), "HH:MM" (its next occurrence),
 * "+N" with unit s, m, h or d ("+30m"), "@EPOCH".  EX_USAGE when bad. */
int enqueue_parse_at(const char *s, time_t now, time_t *out, struct err *err) ENQUEUE_WUR;

/* Turn len bytes of input into the message to store (body_out, appended)
 * and fill env (sender, account, recipients, created = now, next_attempt =
 * the later of o->at and now + send_delay).  cfg may be NULL (no config
 * file).  Errors: EX_DATAERR for bad input, EX_CONFIG for an unknown -A
 * account. */
int enqueue_prepare(const struct enqueue_opts *o, const struct cfg *cfg, const char *in,
		    size_t len, time_t now, struct buf *body_out, struct queue_env *env,
		    struct err *err) ENQUEUE_WUR;

/* enqueue_prepare() and queue_add(): returns only once the message is
 * committed.  *id_out (may be NULL) gets the queue id (caller frees). */
int enqueue_message(struct queue *q, const struct enqueue_opts *o, const struct cfg *cfg,
		    const char *in, size_t len, char **id_out, struct err *err) ENQUEUE_WUR;

/* sendmail -bs (enqueue_smtp.c): an RFC 5321 server dialogue on in/out (HELO, EHLO, MAIL,
 * RCPT, DATA, RSET, NOOP, QUIT, HELP, VRFY refused politely).  Each message
 * after DATA is queued with enqueue_message() (o's sender and recipients
 * are replaced by the dialogue's; o->at and o->account apply) before the
 * 250 reply.  Returns 0 after QUIT or end of input; -1 only when out cannot
 * be written. */
int enqueue_smtp(struct queue *q, const struct enqueue_opts *o, const struct cfg *cfg,
		 FILE *in, FILE *out, struct err *err) ENQUEUE_WUR;

#endif
