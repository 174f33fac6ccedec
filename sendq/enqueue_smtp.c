/*
 * enqueue_smtp: sendmail -bs, an RFC 5321 server dialogue on stdin/stdout
 * in front of enqueue_message().  One transaction at a time; nothing is
 * queued before the client's "." and nothing is answered 250 before it is
 * committed.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "enqueue.h"
#include "xalloc.h"

/* RFC 5321 4.5.3.1.6: a command line is at most 512 octets, a text line
 * 1000; a little slack for clients that count without CRLF. */
#define SMTP_LINE_MAX 2048

/* Read one line into b (without its line end).  Returns 1 for a line, 0 at
 * end of input; *too_long is set when the line was cut at max bytes. */
static int smtp_getline(FILE *in, struct buf *b, size_t max, int *too_long)
{
	int c;

	buf_reset(b);
	*too_long = 0;
	while ((c = getc(in)) != EOF) {
		if (c == '\n')
			break;
		if (b->len < max)
			buf_putc(b, c);
		else
			*too_long = 1;
	}
	if (c == EOF && b->len == 0)
		return 0;
	if (b->len > 0 && b->data[b->len - 1] == '\r')
		buf_truncate(b, b->len - 1);
	return 1;
}

static int reply(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int reply(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputs("\r\n", out);
	return fflush(out) == EOF ? -1 : 0;
}

/* The path of "MAIL FROM:<path> params" / "RCPT TO:<path>": the text after
 * the colon up to the first blank, brackets removed.  NULL when malformed. */
static char *smtp_path(const char *arg)
{
	const char *s = arg, *e;

	while (*s == ' ')
		s++;
	if (*s != '<')
		return NULL;
	e = strchr(s, '>');
	if (!e || (e[1] != '\0' && e[1] != ' '))
		return NULL;
	/* A source route "<@a,@b:user@c>" (RFC 5321 appendix C) is ignored,
	 * as the RFC allows. */
	if (s[1] == '@' && memchr(s, ':', (size_t)(e - s)))
		s = memchr(s, ':', (size_t)(e - s));
	return xstrndup(s + 1, (size_t)(e - s - 1));
}

struct smtp_tx {
	char *sender;        /* NULL until MAIL */
	char **rcpts;
	size_t nrcpts, cap;
};

static void tx_reset(struct smtp_tx *t)
{
	while (t->nrcpts > 0)
		free(t->rcpts[--t->nrcpts]);
	free(t->sender);
	t->sender = NULL;
}

/* Read DATA up to the "." line, dot-unstuffed, lines joined with LF.
 * Returns 0, or -1 at end of input before the "." (the transaction is
 * abandoned).  *too_big is set when ENQUEUE_MAX_SIZE was passed. */
static int smtp_data(FILE *in, struct buf *msg, int *too_big)
{
	struct buf line = BUF_INIT;
	int cut, rc = -1;

	*too_big = 0;
	/* Text lines are not cut at SMTP_LINE_MAX: clients send longer ones
	 * (HTML, base64 without breaks), and servers take them; only the
	 * message size is bounded. */
	while (smtp_getline(in, &line, ENQUEUE_MAX_SIZE, &cut)) {
		if (line.len == 1 && line.data[0] == '.') {
			rc = 0;
			break;
		}
		if (cut || msg->len > ENQUEUE_MAX_SIZE) {
			*too_big = 1;
			continue;
		}
		/* RFC 5321 4.5.2: a leading dot was doubled by the client. */
		if (line.data[0] == '.')
			buf_append(msg, line.data + 1, line.len - 1);
		else
			buf_append(msg, line.data, line.len);
		buf_putc(msg, '\n');
	}
	buf_release(&line);
	return rc;
}

static int is_verb(const char *line, const char *verb)
{
	size_t n = strlen(verb);

	return strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* MAIL FROM:<path> */
static int cmd_mail(struct smtp_tx *t, const char *arg, FILE *out)
{
	char *path;

	if (t->sender)
		return reply(out, "503 5.5.1 sender already given");
	if (!(path = smtp_path(arg)))
		return reply(out, "501 5.5.4 syntax: MAIL FROM:<address>");
	if (path[0] && !addr_valid(path, ADDR_SYNTAX)) {
		free(path);
		return reply(out, "553 5.1.7 bad sender address");
	}
	t->sender = path;
	return reply(out, "250 2.1.0 ok");
}

/* RCPT TO:<path> */
static int cmd_rcpt(struct smtp_tx *t, const char *arg, FILE *out)
{
	char *path;

	if (!t->sender)
		return reply(out, "503 5.5.1 MAIL first");
	if (!(path = smtp_path(arg)))
		return reply(out, "501 5.5.4 syntax: RCPT TO:<address>");
	if (!addr_valid(path, ADDR_SYNTAX | ADDR_BARE)) {
		free(path);
		return reply(out, "553 5.1.3 bad recipient address");
	}
	if (t->nrcpts == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 8;
		t->rcpts = xreallocarray(t->rcpts, t->cap, sizeof(*t->rcpts));
	}
	t->rcpts[t->nrcpts++] = path;
	return reply(out, "250 2.1.5 ok");
}

/* DATA: the message, then queued with o's options and the transaction's
 * sender and recipients.  Returns 0, -1 when out cannot be written, -2
 * when the input ended inside the message (err is set then). */
static int cmd_data(struct queue *q, const struct enqueue_opts *o, const struct cfg *cfg,
		    struct smtp_tx *t, FILE *in, FILE *out, struct err *err)
{
	struct buf msg = BUF_INIT;
	struct enqueue_opts mo;
	struct err e2 = ERR_INIT;
	char *id = NULL;
	int big, rc;

	if (!t->sender)
		return reply(out, "503 5.5.1 MAIL first");
	if (t->nrcpts == 0)
		return reply(out, "554 5.5.1 no valid recipients");
	if (reply(out, "354 end data with <CR><LF>.<CR><LF>") < 0)
		return -1;
	if (smtp_data(in, &msg, &big) < 0) {
		/* The client is gone; nothing was queued, and the status
		 * says so (sendmail: 421 unexpected close). */
		buf_release(&msg);
		err_set(err, EX_TEMPFAIL, "input ended in the middle of a message; nothing queued");
		return -2;
	}
	if (big) {
		rc = reply(out, "552 5.3.4 message larger than %lu bytes", ENQUEUE_MAX_SIZE);
	} else {
		mo = *o;
		mo.extract = 0;
		mo.sender = t->sender;
		mo.rcpts = t->rcpts;
		mo.nrcpts = t->nrcpts;
		if (enqueue_message(q, &mo, cfg, msg.data, msg.len, &id, &e2) == 0)
			rc = reply(out, "250 2.0.0 ok: queued as %s", id);
		else if (err_is_temp(&e2))
			rc = reply(out, "451 4.3.0 %s", e2.msg);
		else
			rc = reply(out, "554 5.6.0 %s", e2.msg);
	}
	free(id);
	buf_release(&msg);
	tx_reset(t);
	return rc;
}

int enqueue_smtp(struct queue *q, const struct enqueue_opts *o, const struct cfg *cfg,
		 FILE *in, FILE *out, struct err *err)
{
	struct smtp_tx t = { NULL, NULL, 0, 0 };
	struct buf line = BUF_INIT;
	char host[256];
	int cut, rc;

	enqueue_host_name(host, sizeof(host));
	rc = reply(out, "220 %s ESMTP sendq ready", host);
	while (rc == 0 && smtp_getline(in, &line, SMTP_LINE_MAX, &cut)) {
		if (cut) {
			rc = reply(out, "500 5.5.2 line too long");
		} else if (is_verb(line.data, "HELO")) {
			tx_reset(&t);
			rc = reply(out, "250 %s", host);
		} else if (is_verb(line.data, "EHLO")) {
			tx_reset(&t);
			rc = reply(out, "250-%s\r\n250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n"
				   "250 SIZE %lu", host, ENQUEUE_MAX_SIZE);
		} else if (strncasecmp(line.data, "MAIL FROM:", 10) == 0) {
			rc = cmd_mail(&t, line.data + 10, out);
		} else if (strncasecmp(line.data, "RCPT TO:", 8) == 0) {
			rc = cmd_rcpt(&t, line.data + 8, out);
		} else if (is_verb(line.data, "DATA")) {
			rc = cmd_data(q, o, cfg, &t, in, out, err);
		} else if (is_verb(line.data, "RSET")) {
			tx_reset(&t);
			rc = reply(out, "250 2.0.0 ok");
		} else if (is_verb(line.data, "NOOP")) {
			rc = reply(out, "250 2.0.0 ok");
		} else if (is_verb(line.data, "VRFY")) {
			rc = reply(out, "252 2.1.5 cannot verify, but will accept the message");
		} else if (is_verb(line.data, "HELP")) {
			rc = reply(out, "214 2.0.0 HELO EHLO MAIL RCPT DATA RSET NOOP QUIT");
		} else if (is_verb(line.data, "QUIT")) {
			rc = reply(out, "221 2.0.0 bye");
			break;
		} else {
			rc = reply(out, "500 5.5.2 command not recognised");
		}
	}
	tx_reset(&t);
	free(t.rcpts);
	buf_release(&line);
	if (rc == -2)
		return -1;
	return rc < 0 ? err_sys(err, EX_IOERR, "cannot write the SMTP reply") : 0;
}
