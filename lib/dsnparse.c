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

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *dsn_xtext_decode(const char *s)
{
	char *r = xmalloc(strlen(s) + 1), *o = r;

	for (; *s; s++) {
		if (*s == '+' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else if (*s > ' ' && *s < 0x7f && *s != '+' && *s != '=') {
			*o++ = *s;
		} else {
			free(r);
			return NULL;
		}
	}
	*o = '\0';
	return r;
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

/* The plain-text bounces list each recipient above its diagnostic lines:
 * a recipient, final (taken), of r, the one before it (prev, may be NULL)
 * given what diag gathered for it. */
static struct dsn_rcpt *text_rcpt(struct dsn_report *r, struct dsn_rcpt *prev, struct buf *diag,
				  char *final, enum dsn_action action, const char *status)
{
	struct dsn_rcpt *x;

	if (prev)
		prev->diagnostic = buf_detach(diag, NULL);
	x = add_rcpt(r);
	x->final = final;
	x->original = xstrdup("");
	x->action = action;
	x->status = xstrdup(status);
	return x;
}

/* One diagnostic line, p..e, trimmed, onto diag. */
static void diag_line(struct buf *diag, const char *p, const char *e)
{
	char *t = trimmed(p, e);

	if (t[0] && diag->len)
		buf_putc(diag, ' ');
	buf_puts(diag, t);
	free(t);
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

/* The Message-ID of the returned message attached to m, or NULL. */
static char *attached_id(const struct msg *m)
{
	struct buf b = BUF_INIT;
	char *id = NULL;
	size_t i;

	for (i = 0; !id && i < msg_part_count(m); i++) {
		const struct msg_part *p = msg_part_at(m, i);
		const char *t = msg_part_type(p);

		if (strcmp(t, "message/rfc822") == 0 || strcmp(t, "text/rfc822-headers") == 0 ||
		    strcmp(t, "message/global") == 0 || strcmp(t, "message/global-headers") == 0) {
			buf_reset(&b);
			msg_part_decode(p, &b);
			id = msg_message_id_of(b.data ? b.data : "", b.len);
		}
	}
	buf_release(&b);
	return id;
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
		}
	}
	buf_release(&b);
	r->message_id = attached_id(m);
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
		if (p[0] == '<' && nl - p > 3 && nl[-1] == ':' && nl[-2] == '>')
			x = text_rcpt(r, x, &diag, xstrndup(p + 1, (size_t)(nl - p - 3)),
				      DSN_ACT_FAILED, "5.0.0");
		else if (x && nl > p)
			diag_line(&diag, p, nl);
	}
	if (x)
		x->diagnostic = buf_detach(&diag, NULL);
	buf_release(&diag);
	p = cut + sizeof(copy) - 1;
	while (p < e && (*p == '\n' || *p == '\r'))
		p++;
	r->message_id = msg_message_id_of(p, (size_t)(e - p));
	return r;
}

/* The plain-text bounces of MTAs that predate RFC 3464 or do not use it
 * by default, each read only from its fixed wording: a sign line that
 * says which MTA wrote it, the list of recipients below a heading (an
 * address alone on a line, or Exchange 5.5's "ADDRESS on DATE"; the lines
 * under it are its diagnostic), and the returned message inline after a
 * copy line or attached as message/rfc822 or text/rfc822-headers.  Every
 * marker must start a line, so a bounce quoted in a reply is not one.
 * Nothing here guesses: a report without the returned Message-ID names
 * no message, and track.h marks only a recipient its record has. */
struct shape {
	const char *sign;
	const char *list;        /* the list starts below this line */
	const char *end;         /* and ends at this one (else at the text's end) */
	const char *copy[4];     /* the returned message follows one of these */
	enum dsn_action action;
	const char *status;
};

static const struct shape shapes[] = {
	/* Exim's bounce_message_file default. */
	{ "This message was created automatically by mail delivery software.",
	  "The following address(es) failed:", "------ This is a copy of the message",
	  { "------ This is a copy of the message, including all the headers. ------",
	    "------ This is a copy of the message's headers. ------" },
	  DSN_ACT_FAILED, "5.0.0" },
	/* Sendmail before MIME reports (and with SendMimeErrors off). */
	{ "----- The following addresses had permanent fatal errors -----",
	  "----- The following addresses had permanent fatal errors -----",
	  "----- Transcript of session follows -----",
	  { "----- Original message follows -----", "----- Message header follows -----",
	    "----- Unsent message follows -----", "----- Returned message follows -----" },
	  DSN_ACT_FAILED, "5.0.0" },
	{ "----- The following addresses had transient non-fatal errors -----",
	  "----- The following addresses had transient non-fatal errors -----",
	  "----- Transcript of session follows -----",
	  { "----- Original message follows -----", "----- Message header follows -----",
	    "----- Unsent message follows -----", "----- Returned message follows -----" },
	  DSN_ACT_DELAYED, "4.0.0" },
	/* Exchange 2007 and later as plain text: the administrators' part
	 * has the remote's reply under each address. */
	{ "Delivery has failed to these recipients or groups:",
	  "Diagnostic information for administrators:", "Original message headers:",
	  { "Original message headers:" }, DSN_ACT_FAILED, "5.0.0" },
	/* Exchange 5.5 and 2000, the original attached. */
	{ "Your message did not reach some or all of the intended recipients.",
	  "The following recipient(s) could not be reached:", NULL, { NULL },
	  DSN_ACT_FAILED, "5.0.0" },
	/* Lotus Notes/Domino, the original attached; the reason follows
	 * "because:" below the list. */
	{ "was not delivered to:", "was not delivered to:", NULL, { NULL },
	  DSN_ACT_FAILED, "5.0.0" },
};

/* Where marker starts a line of p..e (after blanks), or anywhere in a
 * line when mid, or NULL; *after is set to the start of the next line. */
static const char *line_at(const char *p, const char *e, const char *marker, int mid,
			   const char **after)
{
	size_t mlen = strlen(marker);
	const char *q = p, *nl;

	while (q < e && (q = memmem(q, (size_t)(e - q), marker, mlen)) != NULL) {
		const char *b = q;

		while (b > p && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (mid || b == p || b[-1] == '\n') {
			nl = memchr(q, '\n', (size_t)(e - q));
			if (after)
				*after = nl ? nl + 1 : e;
			return q;
		}
		q += mlen;
	}
	return NULL;
}

/* The address a list line names, or NULL: "a@b", "<a@b>", "a@b:" alone,
 * or "a@b on DATE". */
static char *list_addr(const char *p, const char *nl)
{
	const char *s, *e, *sp;

	while (p < nl && (*p == ' ' || *p == '\t'))
		p++;
	e = nl;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	sp = memchr(p, ' ', (size_t)(e - p));
	if (sp && (e - sp < 4 || strncmp(sp, " on ", 4) != 0))
		return NULL;
	if (sp)
		e = sp;
	if (e > p && e[-1] == ':')
		e--;
	if (e - p >= 2 && *p == '<' && e[-1] == '>') {
		p++;
		e--;
	}
	for (s = p; s < e; s++)
		if (*s == '<' || *s == '>' || *s == '\t' || *s == '"' || *s == '(' || *s == ',')
			return NULL;
	s = memchr(p, '@', (size_t)(e - p));
	if (!s || s == p || s == e - 1 || memchr(s + 1, '@', (size_t)(e - s - 1)))
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

/* The recipients listed between p and e, with the lines below each. */
static void read_list(struct dsn_report *r, const struct shape *sh, const char *p, const char *e)
{
	struct dsn_rcpt *x = NULL;
	struct buf diag = BUF_INIT;
	const char *nl;
	char *a;

	for (; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		a = list_addr(p, nl);
		if (a)
			x = text_rcpt(r, x, &diag, a, sh->action, sh->status);
		else if (x)
			diag_line(&diag, p, nl);
	}
	if (x)
		x->diagnostic = buf_detach(&diag, NULL);
	buf_release(&diag);
}

static struct dsn_report *read_shape(const struct msg *m, const char *text, size_t len)
{
	const char *e = text + len, *head = len > 4096 ? text + 4096 : e, *sp, *lp, *le, *cp = NULL;
	const struct shape *sh = NULL;
	struct dsn_report *r;
	size_t i, k;

	for (i = 0; !sh && i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (line_at(text, head, shapes[i].sign, 0, NULL))
			sh = &shapes[i];
	if (!sh || !(sp = line_at(text, e, sh->sign, 0, NULL)) ||
	    !line_at(sp, e, sh->list, 1, &lp))
		return NULL;
	le = sh->end ? line_at(lp, e, sh->end, 0, NULL) : NULL;
	if (!le)
		le = e;
	for (k = 0; !cp && k < 4 && sh->copy[k]; k++)
		if (line_at(le, e, sh->copy[k], 0, &cp) == NULL)
			cp = NULL;
	r = xcalloc(1, sizeof(*r));
	r->reporter = xstrdup("");
	r->plain = 1;
	read_list(r, sh, lp, le);
	if (cp) {
		/* Exim says how much of a long body it kept before the copy. */
		while (cp < e && strncmp(cp, "------ ", 7) == 0) {
			const char *nl = memchr(cp, '\n', (size_t)(e - cp));

			cp = nl ? nl + 1 : e;
		}
		while (cp < e && (*cp == '\n' || *cp == '\r'))
			cp++;
		r->message_id = msg_message_id_of(cp, (size_t)(e - cp));
	}
	if (!r->message_id)
		r->message_id = attached_id(m);
	return r;
}

int dsn_maybe(const char *data, size_t len)
{
	size_t n = len < 64 * 1024 ? len : 64 * 1024, i;
	const char *p = data, *end = data + n;

	while ((p = memchr(p, '/', (size_t)(end - p))) != NULL) {
		if (p - data >= 9 && end - p >= 7 && strncasecmp(p - 9, "multipart/report", 16) == 0)
			return 1;
		p++;
	}
	if (memmem(data, n, "Hi. This is the qmail-send program", 34))
		return 1;
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (memmem(data, n, shapes[i].sign, strlen(shapes[i].sign)))
			return 1;
	return 0;
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
		else if (text)
			r = read_shape(m, text, tlen);
		free(text);
	}
	/* A plain-text bounce is about a message only by the Message-ID
	 * of the copy it returns. */
	if (r && (r->n == 0 || (r->plain && !r->message_id))) {
		dsn_report_free(r);
		r = NULL;
	}
	if (r && msg_message_id(m))
		r->own_id = xstrdup(msg_message_id(m));
	return r;
}
