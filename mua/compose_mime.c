/*
 * compose_mime: the outgoing message.  Header fields encoded (RFC 2047
 * words, RFC 2231 file names) and folded, the text and the attachments
 * transfer-encoded so the whole is 7-bit clean: a message from the MUA
 * needs no 8BITMIME from any smarthost (doc/DESIGN.md, "The MIME
 * reference"), so 8-bit text must not leave here unencoded.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "addr.h"
#include "codec.h"
#include "compose_internal.h"
#include "date.h"
#include "enqueue.h"
#include "flowed.h"
#include "xalloc.h"

/* RFC 5322 2.1.1: lines SHOULD stay within 78 characters, MUST within 998. */
#define FOLD_COL 78
#define LINE_MAX_7BIT 998
/* Longest line of format=flowed text where the words allow (RFC 3676 4.2). */
#define FLOWED_WIDTH 78
/* RFC 2231 continuation pieces are cut at this many characters so that
 * "filename*12*=" plus the piece and "; " still fits a folded line. */
#define PARAM_PIECE 56

static int is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* --- header fields ------------------------------------------------------- */

/* "name: value" with line breaks inserted before blanks so lines stay
 * within FOLD_COL columns where the words allow (a longer word keeps its
 * own line).  Unfolding gives the value back exactly. */
static void put_field(struct buf *out, const char *name, const char *value)
{
	const char *p = value, *w, *t;
	size_t col;
	int first = 1;

	buf_printf(out, "%s:", name);
	col = strlen(name) + 1;
	while (is_blank(*p))
		p++;
	while (*p) {
		w = p;
		while (is_blank(*p))
			p++;
		t = p;
		while (*p && !is_blank(*p))
			p++;
		if (t == p)
			break;
		if (first) {
			buf_putc(out, ' ');
			buf_append(out, t, (size_t)(p - t));
			col += 1 + (size_t)(p - t);
			first = 0;
			continue;
		}
		if (col + (size_t)(p - w) > FOLD_COL) {
			buf_putc(out, '\n');
			col = 0;
		}
		buf_append(out, w, (size_t)(p - w));
		col += (size_t)(p - w);
	}
	buf_putc(out, '\n');
}

/* An unstructured field (Subject, the user's own fields): RFC 2047 where
 * needed, then folded. */
static void put_unstructured(struct buf *out, const char *name, const char *value)
{
	struct buf v = BUF_INIT;

	codec_rfc2047_encode(value, strlen(value), &v);
	put_field(out, name, v.data);
	buf_release(&v);
}

static void put_addr_field(struct buf *out, const char *name, const struct addr_mbox *v,
			   size_t n)
{
	struct buf val = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&val, ", ");
		addr_put_mbox(&val, v[i].name, v[i].addr, 0);
	}
	put_field(out, name, val.data);
	buf_release(&val);
}

static unsigned long long random64(void)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = ((unsigned long long)getpid() << 32) ^ (unsigned long long)clock() ^
		    (unsigned long long)time(NULL);
	return r;
}

/* --- addresses ------------------------------------------------------------ */

static const char *const addr_names[COMPOSE_NADDR] = {
	"From", "To", "Cc", "Bcc", "Reply-To",
};

void compose_addrs_release(struct compose_addrs *a)
{
	size_t i;

	for (i = 0; i < COMPOSE_NADDR; i++) {
		addr_list_free(a->v[i], a->n[i]);
		a->v[i] = NULL;
		a->n[i] = 0;
	}
}

int compose_addrs_parse(const struct compose *c, struct compose_addrs *a, struct err *err)
{
	const char *v, *domain;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (!c->parsed)
		return err_set(err, EX_DATAERR, "the draft has errors: edit it again");
	v = compose_hdr_get(c, "From");
	if (compose_parse_mboxes(v ? v : c->from, "From", NULL, &a->v[COMPOSE_FROM],
				 &a->n[COMPOSE_FROM], err) < 0)
		goto fail;
	if (a->n[COMPOSE_FROM] == 0) {
		err_set(err, EX_DATAERR, "no From address");
		goto fail;
	}
	domain = strrchr(a->v[COMPOSE_FROM][0].addr, '@');
	if (!domain || !domain[1]) {
		err_set(err, EX_DATAERR, "From address '%.120s' has no domain",
			a->v[COMPOSE_FROM][0].addr);
		goto fail;
	}
	for (i = COMPOSE_TO; i < COMPOSE_NADDR; i++) {
		v = compose_hdr_get(c, addr_names[i]);
		if (v && compose_parse_mboxes(v, addr_names[i], domain + 1, &a->v[i], &a->n[i],
					      err) < 0)
			goto fail;
	}
	return 0;
fail:
	compose_addrs_release(a);
	return -1;
}

int compose_check(const struct compose *c, struct err *err)
{
	struct compose_addrs a;
	int rc = 0;

	if (compose_addrs_parse(c, &a, err) < 0)
		return -1;
	if (a.n[COMPOSE_TO] + a.n[COMPOSE_CC] + a.n[COMPOSE_BCC] == 0)
		rc = err_set(err, EX_DATAERR, "no recipients: To, Cc and Bcc are all empty");
	compose_addrs_release(&a);
	return rc;
}

/* --- bodies ------------------------------------------------------------- */

/* Whether n bytes can go as 7bit: ASCII without controls other than TAB
 * and LF, no line longer than LINE_MAX_7BIT. */
static int is_7bit(const char *p, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\n') {
			col = 0;
			continue;
		}
		if (ch > '~' || (ch < ' ' && ch != '\t') || ++col > LINE_MAX_7BIT)
			return 0;
	}
	return 1;
}

/* Whether the data of a text type can be labelled utf-8 and sent as text: valid UTF-8
 * without NUL or CR (the QP encoder turns CRLF into LF, so bytes with CR
 * go in base64 to come back unchanged). */
static int is_plain_text(const char *p, size_t n)
{
	return codec_utf8_valid(p, n) && !memchr(p, '\0', n) && !memchr(p, '\r', n);
}

/* Content-Transfer-Encoding and body of UTF-8 text. */
static void put_text_body(struct buf *out, const char *p, size_t n)
{
	if (is_7bit(p, n)) {
		buf_puts(out, "Content-Transfer-Encoding: 7bit\n\n");
		buf_append(out, p, n);
	} else {
		buf_puts(out, "Content-Transfer-Encoding: quoted-printable\n\n");
		codec_qp_encode(p, n, out);
	}
}

/* RFC 2231 attribute-char (RFC 5987 3.2.1): what stands for itself in an
 * extended value. */
static int attr_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$&+-.^_`|~", ch) != NULL);
}

/* "; param=..." for a file name: a quoted string when it is printable
 * ASCII; otherwise the RFC 2231 form (cut into numbered pieces when long)
 * followed by a quoted RFC 2047 fallback for readers that know only
 * that.  Both decode to the same name, so it does not matter which one a
 * reader takes; the RFC 2231 one comes first because our own parser, like
 * most, takes the first. */
static void put_name_param(struct buf *v, const char *param, const char *name, int ext)
{
	struct buf pct = BUF_INIT;
	const unsigned char *p;
	size_t i, piece, cut;

	if (!codec_rfc2047_needed(name)) {
		buf_printf(v, "; %s=", param);
		addr_put_quoted(v, name);
		return;
	}
	if (ext) {
		for (p = (const unsigned char *)name; *p; p++) {
			if (attr_char(*p))
				buf_putc(&pct, *p);
			else
				buf_printf(&pct, "%%%02X", *p);
		}
		if (pct.len <= PARAM_PIECE) {
			buf_printf(v, "; %s*=UTF-8''%s", param, pct.data);
		} else {
			for (i = 0, piece = 0; i < pct.len; piece++) {
				cut = pct.len - i < PARAM_PIECE ? pct.len - i : PARAM_PIECE;
				/* Never split a %XX. */
				if (i + cut < pct.len) {
					if (pct.data[i + cut - 1] == '%')
						cut -= 1;
					else if (pct.data[i + cut - 2] == '%')
						cut -= 2;
				}
				buf_printf(v, "; %s*%zu*=%s", param, piece, piece == 0 ? "UTF-8''" : "");
				buf_append(v, pct.data + i, cut);
				i += cut;
			}
		}
	}
	buf_printf(v, "; %s=\"", param);
	codec_rfc2047_encode_b(name, strlen(name), v);
	buf_putc(v, '"');
	buf_release(&pct);
}

/* One attachment's header and transfer-encoded body. */
static void put_attachment(struct buf *out, const struct compose_attach *a)
{
	struct buf v = BUF_INIT;

	if (strcmp(a->type, "message/rfc822") == 0) {
		/* RFC 2046 5.2.1: a message/rfc822 part is never encoded as a
		 * whole; an 8-bit original stays 8bit (the relay's job then). */
		buf_puts(out, "Content-Type: message/rfc822\n");
		if (a->name) {
			buf_puts(&v, "attachment");
			put_name_param(&v, "filename", a->name, 1);
			put_field(out, "Content-Disposition", v.data);
			buf_release(&v);
		} else {
			buf_puts(out, "Content-Disposition: inline\n");
		}
		buf_printf(out, "Content-Transfer-Encoding: %s\n\n",
			   is_7bit(a->data, a->len) ? "7bit" : "8bit");
		buf_append(out, a->data, a->len);
		return;
	}
	buf_puts(&v, a->type);
	if (strncmp(a->type, "text/", 5) == 0 && is_plain_text(a->data, a->len))
		buf_puts(&v, "; charset=utf-8");
	if (a->name)
		put_name_param(&v, "name", a->name, 0);
	put_field(out, "Content-Type", v.data);
	buf_reset(&v);
	buf_puts(&v, "attachment");
	if (a->name)
		put_name_param(&v, "filename", a->name, 1);
	put_field(out, "Content-Disposition", v.data);
	buf_release(&v);
	if (strncmp(a->type, "text/", 5) == 0 && is_plain_text(a->data, a->len)) {
		put_text_body(out, a->data, a->len);
	} else {
		buf_puts(out, "Content-Transfer-Encoding: base64\n\n");
		codec_b64_encode(a->data, a->len, out);
	}
}

/* --- the message ----------------------------------------------------------- */

/* The text of the draft with a final line end; as format=flowed text
 * (RFC 3676) when text_flowed says so, which *type then says. */
static void draft_text(const struct compose *c, struct buf *out, const char **type)
{
	*type = "text/plain; charset=utf-8";
	if (c->body_len > 0 && cfg_general_bool(c->cfg, "text_flowed", 0)) {
		flowed_encode(c->body, c->body_len, FLOWED_WIDTH, out);
		*type = "text/plain; charset=utf-8; format=flowed";
		return;
	}
	buf_append(out, c->body, c->body_len);
	if (out->len > 0 && out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
}

int compose_build(const struct compose *c, time_t now, unsigned flags, struct buf *out,
		  struct err *err)
{
	struct compose_addrs a;
	struct buf text = BUF_INIT, *parts = NULL, boundary = BUF_INIT;
	const char *v, *domain, *type;
	size_t i, start = out->len, nparts = 0;
	int rc = -1, clash;

	if (compose_addrs_parse(c, &a, err) < 0)
		return -1;
	buf_puts(out, "Date: ");
	date_put(out, now);
	buf_putc(out, '\n');
	for (i = COMPOSE_FROM; i <= COMPOSE_BCC; i++) {
		if (a.n[i] > 0 && (i != COMPOSE_BCC || (flags & COMPOSE_KEEP_BCC)))
			put_addr_field(out, addr_names[i], a.v[i], a.n[i]);
	}
	if ((v = compose_hdr_get(c, "Subject")) != NULL)
		put_unstructured(out, "Subject", v);
	if (a.n[COMPOSE_REPLY_TO] > 0)
		put_addr_field(out, "Reply-To", a.v[COMPOSE_REPLY_TO], a.n[COMPOSE_REPLY_TO]);
	if ((v = compose_hdr_get(c, "In-Reply-To")) != NULL || (v = c->in_reply_to) != NULL)
		put_unstructured(out, "In-Reply-To", v);
	if ((v = compose_hdr_get(c, "References")) != NULL || (v = c->references) != NULL)
		put_unstructured(out, "References", v);
	domain = strrchr(a.v[COMPOSE_FROM][0].addr, '@') + 1;
	buf_puts(out, "Message-ID: ");
	addr_put_message_id(out, now, NULL, domain);
	buf_putc(out, '\n');
	for (i = 0; i < c->nhdr; i++) {
		if (!compose_field_generated(c->hdr[i].name) && c->hdr[i].value[0])
			put_unstructured(out, c->hdr[i].name, c->hdr[i].value);
	}
	buf_puts(out, "User-Agent: surel/" PACKAGE_VERSION "\nMIME-Version: 1.0\n");

	draft_text(c, &text, &type);
	if (c->natt == 0) {
		buf_printf(out, "Content-Type: %s\n", type);
		put_text_body(out, text.data, text.len);
	} else {
		nparts = c->natt + 1;
		parts = xcalloc(nparts, sizeof(*parts));
		buf_printf(&parts[0], "Content-Type: %s\n", type);
		put_text_body(&parts[0], text.data, text.len);
		for (i = 0; i < c->natt; i++)
			put_attachment(&parts[i + 1], &c->att[i]);
		/* Base64 and quoted-printable never contain "=_", but 7bit text
		 * and an attached message may contain anything. */
		do {
			buf_reset(&boundary);
			buf_printf(&boundary, "--=_surel_%016llx%08llx", random64(),
				   random64() & 0xffffffffULL);
			for (clash = 0, i = 0; i < nparts && !clash; i++)
				clash = memmem(parts[i].data, parts[i].len, boundary.data,
					       boundary.len) != NULL;
		} while (clash);
		buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\n\n",
			   boundary.data + 2);
		for (i = 0; i < nparts; i++) {
			/* RFC 2046 5.1.1: the line end before a delimiter belongs to
			 * it, so each part keeps its own final line end. */
			buf_printf(out, "%s%s\n", i ? "\n" : "", boundary.data);
			buf_append(out, parts[i].data, parts[i].len);
		}
		buf_printf(out, "\n%s--\n", boundary.data);
	}
	if (out->len - start > ENQUEUE_MAX_SIZE) {
		err_set(err, EX_DATAERR, "message too large (%zu bytes, at most %lu)",
			out->len - start, ENQUEUE_MAX_SIZE);
		buf_truncate(out, start);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nparts; i++)
		buf_release(&parts[i]);
	free(parts);
	buf_release(&boundary);
	buf_release(&text);
	compose_addrs_release(&a);
	return rc;
}
