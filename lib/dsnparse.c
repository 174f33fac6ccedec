#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "buf.h"
#include "dsnparse.h"
#include "msg.h"
#include "xalloc.h"

/* A report larger than this is not read (a DSN is a few kilobytes plus,
 * at worst, the returned message, whose headers are all that matter). */
#define DSN_MAX_STATUS (256 * 1024)

const char *dsn_action_name(enum dsn_action a)
{
	switch (a) {
	case DSN_ACT_FAILED: return "failed";
	case DSN_ACT_DELAYED: return "delayed";
	case DSN_ACT_DELIVERED: return "delivered";
	default: return "other";
	}
}

void dsn_report_free(struct dsn_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->rcpts[i].final);
		free(r->rcpts[i].original);
		free(r->rcpts[i].status);
		free(r->rcpts[i].diagnostic);
	}
	free(r->rcpts);
	free(r->envid);
	free(r->message_id);
	free(r->reporter);
	free(r->own_id);
	free(r);
}

/* A copy of p..e without blanks at either end. */
static char *trimmed(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return xstrndup(p, (size_t)(e - p));
}

/* The value of field name in one group of status fields (p..e, LF line
 * ends, continuation lines folded in), or NULL. */
static char *field(const char *p, const char *e, const char *name)
{
	size_t nlen = strlen(name);
	struct buf v = BUF_INIT;
	const char *nl;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		if ((size_t)(nl - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			char *t = trimmed(p + nlen + 1, nl);

			buf_puts(&v, t);
			free(t);
			for (p = nl + 1; p < e && (*p == ' ' || *p == '\t'); p = nl + 1) {
				nl = memchr(p, '\n', (size_t)(e - p));
				if (!nl)
					nl = e;
				t = trimmed(p, nl);
				buf_putc(&v, ' ');
				buf_puts(&v, t);
				free(t);
			}
			return buf_detach(&v, NULL);
		}
		p = nl + 1;
	}
	return NULL;
}

/* "rfc822; <a@b>" -> "a@b"; "smtp; 550 ..." -> "550 ...": the part after
 * the type, blanks and angle brackets trimmed.  Takes v. */
static char *after_type(char *v, int addr)
{
	char *semi = v ? strchr(v, ';') : NULL, *r, *s;
	size_t n;

	if (!v)
		return xstrdup("");
	s = semi ? semi + 1 : v;
	r = trimmed(s, s + strlen(s));
	n = strlen(r);
	if (addr && n >= 2 && r[0] == '<' && r[n - 1] == '>') {
		memmove(r, r + 1, n - 2);
		r[n - 2] = '\0';
	}
	free(v);
	return r;
}

static enum dsn_action action_of(const char *v)
{
	if (!v)
		return DSN_ACT_OTHER;
	if (strncasecmp(v, "failed", 6) == 0)
		return DSN_ACT_FAILED;
	if (strncasecmp(v, "delayed", 7) == 0)
		return DSN_ACT_DELAYED;
	if (strncasecmp(v, "delivered", 9) == 0)
		return DSN_ACT_DELIVERED;
	return DSN_ACT_OTHER;
}

static struct dsn_rcpt *add_rcpt(struct dsn_report *r)
{
	struct dsn_rcpt *x;

	r->rcpts = xreallocarray(r->rcpts, r->n + 1, sizeof(*r->rcpts));
	x = &r->rcpts[r->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

/* The message/delivery-status body: the per-message group, then one group
 * per recipient, separated by empty lines. */
static void read_status(struct dsn_report *r, const char *p, size_t len)
{
	const char *e = p + len, *g = p, *ge;
	int first = 1;

	while (g < e) {
		/* The next group ends at an empty line. */
		for (ge = g; ge < e;) {
			const char *nl = memchr(ge, '\n', (size_t)(e - ge));

			if (!nl) {
				ge = e;
				break;
			}
			if (nl == ge || (nl == ge + 1 && *ge == '\r'))
				break;
			ge = nl + 1;
		}
		if (ge > g && first) {
			char *v = field(g, ge, "Original-Envelope-Id");

			r->envid = v;
			r->reporter = after_type(field(g, ge, "Reporting-MTA"), 0);
			first = 0;
		} else if (ge > g) {
			char *fin = field(g, ge, "Final-Recipient"), *act = field(g, ge, "Action");
			struct dsn_rcpt *x;

			if (fin && act) {
				x = add_rcpt(r);
				x->final = after_type(fin, 1);
				fin = NULL;
				x->original = after_type(field(g, ge, "Original-Recipient"), 1);
				x->action = action_of(act);
				x->status = after_type(field(g, ge, "Status"), 0);
				x->diagnostic = after_type(field(g, ge, "Diagnostic-Code"), 0);
			}
			free(fin);
			free(act);
		}
		/* Past the empty line(s). */
		while (ge < e && (*ge == '\n' || *ge == '\r'))
			ge++;
		g = ge;
	}
}

/* The Message-ID of a returned message or header block. */
static char *returned_id(const char *p, size_t len)
{
	struct msg *m = msg_parse(p, len, MSG_HEADERS_ONLY);
	const char *id = m ? msg_message_id(m) : NULL;
	char *r = id ? xstrdup(id) : NULL;

	msg_free(m);
	return r;
}

static struct dsn_report *read_standard(const struct msg *m)
{
	struct dsn_report *r = xcalloc(1, sizeof(*r));
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < msg_part_count(m); i++) {
		const struct msg_part *p = msg_part_at(m, i);
		const char *t = msg_part_type(p);

		if (strcmp(t, "message/delivery-status") == 0 ||
		    strcmp(t, "message/global-delivery-status") == 0) {
			if (r->reporter || msg_part_size(p) > DSN_MAX_STATUS)
				continue;
			buf_reset(&b);
			msg_part_decode(p, &b);
			read_status(r, b.data ? b.data : "", b.len);
		} else if (!r->message_id && (strcmp(t, "message/rfc822") == 0 ||
					      strcmp(t, "text/rfc822-headers") == 0 ||
					      strcmp(t, "message/global") == 0 ||
					      strcmp(t, "message/global-headers") == 0)) {
			buf_reset(&b);
			msg_part_decode(p, &b);
			r->message_id = returned_id(b.data ? b.data : "", b.len);
		}
	}
	buf_release(&b);
	return r;
}

/* qmail-send's bounce (its qsend.c wording, stable since 1998): after the
 * greeting, paragraphs "<address>:" with the remote's text below, then
 * "--- Below this line is a copy of the message." and the message (or
 * its headers).  Every recipient listed failed. */
static struct dsn_report *read_qmail(const char *text, size_t len)
{
	static const char copy[] = "--- Below this line is a copy of the message.";
	const char *e = text + len, *cut = memmem(text, len, copy, sizeof(copy) - 1), *p, *nl;
	struct dsn_report *r;
	struct dsn_rcpt *x = NULL;
	struct buf diag = BUF_INIT;

	if (!cut)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->qmail = 1;
	r->reporter = xstrdup("");
	for (p = text; p < cut; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(cut - p));
		if (!nl)
			break;
		if (p[0] == '<' && nl - p > 3 && nl[-1] == ':' && nl[-2] == '>') {
			if (x)
				x->diagnostic = buf_detach(&diag, NULL);
			x = add_rcpt(r);
			x->final = xstrndup(p + 1, (size_t)(nl - p - 3));
			x->original = xstrdup("");
			x->action = DSN_ACT_FAILED;
			x->status = xstrdup("5.0.0");
		} else if (x && nl > p) {
			char *t = trimmed(p, nl);

			if (diag.len)
				buf_putc(&diag, ' ');
			buf_puts(&diag, t);
			free(t);
		}
	}
	if (x)
		x->diagnostic = buf_detach(&diag, NULL);
	buf_release(&diag);
	p = cut + sizeof(copy) - 1;
	while (p < e && (*p == '\n' || *p == '\r'))
		p++;
	r->message_id = returned_id(p, (size_t)(e - p));
	return r;
}

struct dsn_report *dsn_parse(const char *data, size_t len)
{
	struct msg *m = msg_parse(data, len, 0);
	struct dsn_report *r = m ? dsn_from_msg(m) : NULL;

	msg_free(m);
	return r;
}

struct dsn_report *dsn_from_msg(const struct msg *m)
{
	struct dsn_report *r = NULL;
	const char *ct = msg_header(m, "Content-Type");
	char *text;
	size_t tlen;

	if (ct && strncasecmp(ct, "multipart/report", 16) == 0) {
		r = read_standard(m);
	} else {
		text = msg_text_n(m, &tlen);
		if (text && tlen > 40 && strncmp(text, "Hi. This is the qmail-send program", 34) == 0)
			r = read_qmail(text, tlen);
		free(text);
	}
	if (r && r->n == 0) {
		dsn_report_free(r);
		r = NULL;
	}
	if (r && msg_message_id(m))
		r->own_id = xstrdup(msg_message_id(m));
	return r;
}
