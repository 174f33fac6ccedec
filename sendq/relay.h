/*
 * relay: one SMTP session with an account's smarthost, kept open across
 * the messages of a flush.  libcurl opens it (connect, STARTTLS or
 * implicit TLS with verification, EHLO, AUTH: CURLOPT_CONNECT_ONLY); the
 * rest is this module's, over curl_easy_send/recv: an EHLO of its own
 * (once per session), whose reply tells what the server offers, and the
 * mail transactions, pipelined (RFC 2920: MAIL, every RCPT and DATA in one
 * write, then the message: two round trips per message where curl's own
 * SMTP takes four).  It owns the wire: URL, EHLO name and TLS policy,
 * AUTH, line ends and dot-stuffing, the 8BITMIME fallback, the SMTPUTF8
 * rule and pairing each RCPT TO with its reply.  It does not
 * decide what a reply means for the queue (flush.h does) and never touches
 * the store.  Credentials come from password_cmd once per session, are
 * never logged (the protocol trace redacts AUTH) and are wiped on free.
 * Ownership: the caller keeps what it passes in.
 */
#ifndef SUREL_RELAY_H
#define SUREL_RELAY_H

#include <stddef.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"

#define RELAY_WUR __attribute__((warn_unused_result))

/* Replies longer than this are cut (they end up in envelopes and logs). */
#define RELAY_REPLY_MAX 400

/* The extensions used, as the reply to EHLO announces them. */
#define RELAY_EXT_8BITMIME   1u  /* RFC 6152: BODY=8BITMIME, else 7-bit */
#define RELAY_EXT_PIPELINING 2u  /* RFC 2920: commands in one write */
#define RELAY_EXT_SMTPUTF8   4u  /* RFC 6531: non-ASCII addresses */
#define RELAY_EXT_SIZE       8u  /* RFC 1870: SIZE= and a size limit */
#define RELAY_EXT_DSN       16u  /* RFC 3461: RET, ENVID, NOTIFY, ORCPT */

struct relay;

/* What happened to one recipient of one transaction. */
struct relay_rcpt {
	int code;                        /* final SMTP code, 0 = unknown */
	char reply[RELAY_REPLY_MAX + 1]; /* that reply, one line, "" when none */
};

/* Session statistics, for -v and the benchmark. */
struct relay_stats {
	unsigned connects;     /* connections opened (greetings seen) */
	unsigned messages;     /* transactions attempted */
};

/* A session for account a (its smtp, helo, tls, tls_ca_file,
 * tls_fingerprint, user, password_cmd and auth keys); nothing is sent yet.  Errors:
 * EX_CONFIG for an account without smtp or with bad TLS settings.  The
 * password command runs at the first relay_send().  timeout: seconds a
 * silent or stalled server is given before the attempt fails (connect,
 * each reply, and the upload); 0 means the default of 120.  Free with
 * relay_free(). */
struct relay *relay_new(const struct cfg_account *a, long timeout, struct err *err) RELAY_WUR;
void relay_free(struct relay *r);

/* "host:port" of the smarthost, for log lines (borrowed). */
const char *relay_host(const struct relay *r);
void relay_get_stats(const struct relay *r, struct relay_stats *out);

/*
 * Send one message: sender ("" = null sender <>), n recipients, len bytes
 * of body with LF line ends (sent as relay_wire() makes it).  When the body
 * has 8-bit bytes and the server does not announce 8BITMIME, 8-bit text
 * parts are re-encoded as quoted-printable for this transaction only.
 *
 * res (n entries) gets every recipient's outcome: the RCPT TO reply when
 * it refused the recipient, else the reply that ended the transaction (to
 * MAIL FROM, DATA or the final dot).  A non-ASCII address for a server
 * without SMTPUTF8 is refused here, "553 5.6.7 ..." (RFC 6531), and that
 * recipient (every one, for a non-ASCII sender) is not sent; so is a
 * message larger than the server's SIZE, "552 5.3.4 ..." for all.  A recipient whose code is 0 has no
 * known outcome (connection lost, timeout, refused session).
 *
 * Returns 0 when every recipient has a code, else -1 with err saying why
 * (EX_UNAVAILABLE/EX_TEMPFAIL for network, TLS and server trouble,
 * EX_NOPERM for refused AUTH, EX_CONFIG for a failing password command,
 * EX_DATAERR for an address that must not reach the wire).
 * *session_failed_out is 1 when the failure came before MAIL FROM
 * (connect, greeting, TLS, AUTH): the next message to this host would most
 * likely fail the same way.  A session that broke (connection lost,
 * timeout, 421) is closed and the next call opens a new one; refusals
 * within a transaction leave it open (RSET where one is needed).
 */
int relay_send(struct relay *r, const char *sender, const char *const *rcpts, size_t n,
	       const char *body, size_t len, struct relay_rcpt *res, int *session_failed_out,
	       struct err *err) RELAY_WUR;

/* DSN requests (RFC 3461) for the following relay_send() calls, sent
 * only when the server announces DSN: ret ("HDRS", "FULL") and envid
 * (xtext-encoded here) on MAIL FROM when not NULL; on every RCPT TO,
 * NOTIFY=notify when not NULL and ORCPT with the address (rfc822 type;
 * left out for an address that is not ASCII).  d NULL: none
 * (the server's defaults).  The strings are copied. */
struct relay_dsn {
	const char *envid;
	const char *ret;
	const char *notify;
};
void relay_set_dsn(struct relay *r, const struct relay_dsn *d);

/* The reply handling of relay_send() without a network, for tests and
 * the fuzzer: trace is the protocol trace of the part of a session that
 * is this module's (the greeting, when it is there, then our EHLO, whose
 * reply gives the extensions, and the transaction), one LF-ended line each
 * starting with '>' (a client line: commands may run ahead of their
 * replies, as pipelined) or '<' (a server line; "250-" continues a reply,
 * "250 " ends it), other lines ignored.  res (n entries) and the return
 * value, *session_failed_out and err are what relay_send() gives when the
 * session had that trace and ended normally (ok 1) or broke (ok 0);
 * *ext_out (may be NULL) gets the RELAY_EXT_* bits the last reply to EHLO
 * announced. */
int relay_replay(const char *trace, size_t len, struct relay_rcpt *res, size_t n, int ok,
		 int *session_failed_out, unsigned *ext_out, struct err *err) RELAY_WUR;

/* The body as it goes on the wire after DATA, appended to out: LF -> CRLF
 * (an existing CRLF is kept), a dot doubled at the start of a line, a line
 * end added to a last line without one, and the ending ".\r\n".  Exposed
 * for tests. */
void relay_wire(const char *body, size_t len, struct buf *out);

/* Rewrite a message with LF line ends so that it is 7-bit: every leaf MIME
 * part (the message itself when it is not multipart) whose body has 8-bit
 * bytes and is not base64 is re-encoded as quoted-printable (its
 * Content-Transfer-Encoding replaced).  Headers are copied unchanged, also
 * 8-bit ones.  Returns 1 when something was re-encoded (out holds the new
 * message), 0 when nothing needed it (out untouched).  Exposed for tests. */
int relay_to_7bit(const char *body, size_t len, struct buf *out);

#endif
