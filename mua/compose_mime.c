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

#include "addr.h"
#include "autocrypt.h"
#include "codec.h"
#include "compose_internal.h"
#include "date.h"
#include "enqueue.h"
#include "flowed.h"
#include "msg.h"
#include "pgpmime.h"
#include "strv.h"
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
 * and LF, no line longer than LINE_MAX_7BIT.  With strict (a signed
 * entity, RFC 3156 5) also no blank at a line end and no "From " at a
 * line start, which transports may change. */
static int is_7bit(const char *p, size_t n, int strict)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\n') {
			if (strict && col > 0 && is_blank(p[i - 1]))
				return 0;
			col = 0;
			continue;
		}
		if (strict && col == 0 && n - i >= 5 && memcmp(p + i, "From ", 5) == 0)
			return 0;
		if (ch > '~' || (ch < ' ' && ch != '\t') || ++col > LINE_MAX_7BIT)
			return 0;
	}
	return !(strict && col > 0 && is_blank(p[n - 1]));
}

/* Whether the data of a text type can be labelled utf-8 and sent as text: valid UTF-8
 * without NUL or CR (the QP encoder turns CRLF into LF, so bytes with CR
 * go in base64 to come back unchanged). */
static int is_plain_text(const char *p, size_t n)
{
	return codec_utf8_valid(p, n) && !memchr(p, '\0', n) && !memchr(p, '\r', n);
}

/* Content-Transfer-Encoding and body of UTF-8 text; strict as is_7bit's. */
static void put_text_body(struct buf *out, const char *p, size_t n, int strict)
{
	if (is_7bit(p, n, strict)) {
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

/* One attachment's header and transfer-encoded body; strict as is_7bit's. */
static void put_attachment(struct buf *out, const struct compose_attach *a, int strict)
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
			   is_7bit(a->data, a->len, 0) ? "7bit" : "8bit");
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
		put_text_body(out, a->data, a->len, strict);
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


/* Which header fields put_headers() writes. */
struct hdr_opts {
	const char *subject;  /* in place of the draft's (NULL: the draft's) */
	int bcc;              /* the Bcc field */
	int extras;           /* the user's own fields */
	const char *pgp;      /* the COMPOSE_PGP_FIELD value, or NULL */
};

static void put_headers(struct buf *out, const struct compose *c, const struct compose_addrs *a,
			time_t now, const char *mid, const struct hdr_opts *o)
{
	const char *v;
	size_t i;

	buf_puts(out, "Date: ");
	date_put(out, now);
	buf_putc(out, '\n');
	for (i = COMPOSE_FROM; i <= COMPOSE_BCC; i++) {
		if (a->n[i] > 0 && (i != COMPOSE_BCC || o->bcc))
			put_addr_field(out, addr_names[i], a->v[i], a->n[i]);
	}
	if ((v = o->subject) != NULL || (v = compose_hdr_get(c, "Subject")) != NULL)
		put_unstructured(out, "Subject", v);
	if (a->n[COMPOSE_REPLY_TO] > 0)
		put_addr_field(out, "Reply-To", a->v[COMPOSE_REPLY_TO], a->n[COMPOSE_REPLY_TO]);
	if ((v = compose_hdr_get(c, "In-Reply-To")) != NULL || (v = c->in_reply_to) != NULL)
		put_unstructured(out, "In-Reply-To", v);
	if ((v = compose_hdr_get(c, "References")) != NULL || (v = c->references) != NULL)
		put_unstructured(out, "References", v);
	buf_printf(out, "Message-ID: %s\n", mid);
	for (i = 0; o->extras && i < c->nhdr; i++) {
		if (!compose_field_generated(c->hdr[i].name) && c->hdr[i].value[0])
			put_unstructured(out, c->hdr[i].name, c->hdr[i].value);
	}
	if (o->pgp)
		buf_printf(out, "%s: %s\n", COMPOSE_PGP_FIELD, o->pgp);
}

/* The body entity: its Content-Type (with ct_param appended), the header
 * text hdrs (protected headers; may be ""), then the text alone or
 * multipart/mixed with the attachments.  strict as is_7bit's. */
static void put_entity(struct buf *out, const struct compose *c, const char *ct_param,
		       const char *hdrs, int strict)
{
	struct buf text = BUF_INIT, *parts, boundary = BUF_INIT;
	const char *type;
	size_t i, nparts;

	draft_text(c, &text, &type);
	if (c->natt == 0) {
		buf_printf(out, "Content-Type: %s%s\n%s", type, ct_param, hdrs);
		put_text_body(out, text.data, text.len, strict);
		buf_release(&text);
		return;
	}
	nparts = c->natt + 1;
	parts = xcalloc(nparts, sizeof(*parts));
	buf_printf(&parts[0], "Content-Type: %s\n", type);
	put_text_body(&parts[0], text.data, text.len, strict);
	for (i = 0; i < c->natt; i++)
		put_attachment(&parts[i + 1], &c->att[i], strict);
	/* Base64 and quoted-printable never contain "=_", but 7bit text
	 * and an attached message may contain anything. */
	msg_new_boundary(&boundary, "--=_surel_", parts, nparts);
	buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"%s\n%s\n",
		   boundary.data + 2, ct_param, hdrs);
	for (i = 0; i < nparts; i++) {
		/* RFC 2046 5.1.1: the line end before a delimiter belongs to
		 * it, so each part keeps its own final line end. */
		buf_printf(out, "%s%s\n", i ? "\n" : "", boundary.data);
		buf_append(out, parts[i].data, parts[i].len);
	}
	buf_printf(out, "\n%s--\n", boundary.data);
	for (i = 0; i < nparts; i++)
		buf_release(&parts[i]);
	free(parts);
	buf_release(&boundary);
	buf_release(&text);
}

/* The recipient key for addr: the keyring's, else the one Autocrypt
 * learned when it recommends encryption or offers it.  As
 * pgpmime_enc_key(). */
static int recipient_key(const struct autocrypt *ac, int mutual, const char *addr,
			 char **fpr_out, struct err *err)
{
	const char *ac_fpr = NULL;

	if (ac && autocrypt_recommend(ac, addr, mutual, &ac_fpr) < AUTOCRYPT_AVAILABLE)
		ac_fpr = NULL;
	return pgpmime_enc_key(addr, ac_fpr, fpr_out, err);
}

/* Whether the account prefers encryption (Autocrypt prefer-encrypt). */
static int own_mutual(const struct compose *c)
{
	const char *e = c->acct ? cfg_get(c->acct, "pgp_encrypt") : NULL;

	return e && strcmp(e, "never") != 0;
}

static struct autocrypt *autocrypt_of(const struct compose *c)
{
	return c->acct && cfg_get_bool(c->acct, "autocrypt", 0)
	       ? autocrypt_open(cfg_account_name(c->acct)) : NULL;
}

/* The keys of every recipient (To, Cc, Bcc) appended to *keys; the
 * addresses without one go to missing ("a, b").  Returns the number
 * missing, -1 on error. */
static int recipient_keys(const struct compose *c, const struct compose_addrs *a,
			  struct strv *keys, struct buf *missing, struct err *err)
{
	struct autocrypt *ac = autocrypt_of(c);
	int mutual = own_mutual(c), n = 0, r = 0;
	size_t k, i;
	char *fpr;

	for (k = COMPOSE_TO; k <= COMPOSE_BCC && r >= 0; k++) {
		for (i = 0; i < a->n[k] && r >= 0; i++) {
			r = recipient_key(ac, mutual, a->v[k][i].addr, &fpr, err);
			if (r == 1) {
				strv_push(keys, fpr);
				free(fpr);
			} else if (r == 0) {
				buf_printf(missing, "%s%s", n++ ? ", " : "", a->v[k][i].addr);
			}
		}
	}
	autocrypt_free(ac);
	return r < 0 ? -1 : n;
}

int compose_pgp_missing(const struct compose *c, struct buf *names_out, struct err *err)
{
	struct compose_addrs a;
	struct strv keys = STRV_INIT;
	int n;

	if (compose_addrs_parse(c, &a, err) < 0)
		return -1;
	n = recipient_keys(c, &a, &keys, names_out, err);
	strv_release(&keys);
	compose_addrs_release(&a);
	return n;
}

/* The sender's own key: pgp_key, else the secret key of the From
 * address. */
static int own_key(const struct compose *c, const struct compose_addrs *a, char **fpr_out,
		   struct err *err)
{
	return pgpmime_signer(c->acct ? cfg_get(c->acct, "pgp_key") : NULL,
			      a->v[COMPOSE_FROM][0].addr, fpr_out, err);
}

/* What this build does (enum pgpmime_flags), with the keys to encrypt to
 * and the signer; 0 for a plain message. */
struct plan {
	unsigned flags;
	char *signer;
	struct strv keys;
};

static int plan_make(const struct compose *c, const struct compose_addrs *a, int draft,
		     struct plan *p, struct err *err)
{
	struct buf missing = BUF_INIT;
	int n, enc = (c->pgp & (COMPOSE_PGP_ENCRYPT | COMPOSE_PGP_AUTO)) != 0;

	memset(p, 0, sizeof(*p));
	if (enc && !draft) {
		n = recipient_keys(c, a, &p->keys, &missing, err);
		if (n < 0)
			goto fail;
		if (n > 0 && (c->pgp & COMPOSE_PGP_ENCRYPT)) {
			err_set(err, EX_DATAERR, "cannot encrypt: no usable key for %s", missing.data);
			goto fail;
		}
		enc = n == 0;
	}
	/* A draft is encrypted when the message may be: to the user alone,
	 * so a plaintext copy never waits in Drafts. */
	if (enc)
		p->flags |= PGPMIME_ENCRYPT;
	if ((c->pgp & COMPOSE_PGP_SIGN) && !draft)
		p->flags |= PGPMIME_SIGN;
	if (p->flags && own_key(c, a, &p->signer, err) < 0) {
		/* Without a key of one's own nothing can be encrypted (the
		 * sender's copy must stay readable): "if possible" is not. */
		if (!(c->pgp & COMPOSE_PGP_AUTO) || (p->flags & PGPMIME_SIGN))
			goto fail;
		err_clear(err);
		p->flags = 0;
		enc = 0;
		strv_release(&p->keys);
	}
	if (enc)
		strv_push(&p->keys, p->signer);
	buf_release(&missing);
	return 0;
fail:
	buf_release(&missing);
	strv_release(&p->keys);
	return -1;
}

static void plan_release(struct plan *p)
{
	free(p->signer);
	strv_release(&p->keys);
}

/* The draft's X-Surel-PGP value for the choice, or NULL when there is
 * nothing to keep. */
static const char *pgp_field(const struct compose *c, struct buf *b)
{
	if (!c->pgp && !c->pgp_chosen)
		return NULL;
	buf_printf(b, "%s%s%s%s", c->pgp & COMPOSE_PGP_SIGN ? " sign" : "",
		   c->pgp & COMPOSE_PGP_ENCRYPT ? " encrypt" : "",
		   c->pgp & COMPOSE_PGP_AUTO ? " auto" : "", c->pgp ? "" : " none");
	return b->data + 1;
}

/* The account's Autocrypt header when it opts in and has a key; an
 * account without a key sends none (Level 1 leaves making one to the
 * client; surel uses the keyring's). */
static void put_autocrypt(struct buf *out, const struct compose *c, const struct compose_addrs *a)
{
	struct err e = ERR_INIT;
	char *fpr = NULL;

	if (!c->acct || !cfg_get_bool(c->acct, "autocrypt", 0) || own_key(c, a, &fpr, &e) < 0)
		return;
	buf_puts(out, "Autocrypt: ");
	if (autocrypt_header(a->v[COMPOSE_FROM][0].addr, fpr, own_mutual(c), out, &e) < 0)
		buf_truncate(out, out->len - strlen("Autocrypt: "));
	else
		buf_putc(out, '\n');
	free(fpr);
}

int compose_build(const struct compose *c, time_t now, unsigned flags, struct buf *out,
		  struct err *err)
{
	struct compose_addrs a;
	struct hdr_opts ho = { NULL, (flags & COMPOSE_KEEP_BCC) != 0, 1, NULL };
	struct buf mid = BUF_INIT, field = BUF_INIT, inner = BUF_INIT, ent = BUF_INIT;
	struct plan p;
	int draft = (flags & COMPOSE_KEEP_BCC) != 0, rc = -1;
	size_t start = out->len;

	if (compose_addrs_parse(c, &a, err) < 0)
		return -1;
	if (plan_make(c, &a, draft, &p, err) < 0) {
		compose_addrs_release(&a);
		return -1;
	}
	addr_put_message_id(&mid, now, NULL, strrchr(a.v[COMPOSE_FROM][0].addr, '@') + 1);
	if (draft)
		ho.pgp = pgp_field(c, &field);
	if (!p.flags) {
		put_headers(out, c, &a, now, mid.data, &ho);
		buf_puts(out, "User-Agent: surel/" PACKAGE_VERSION "\nMIME-Version: 1.0\n");
		if (!draft)
			put_autocrypt(out, c, &a);
		put_entity(out, c, "", "", 0);
	} else {
		/* The protected headers: every field, inside the entity the
		 * signature or the encryption covers. */
		put_headers(&inner, c, &a, now, mid.data, &ho);
		put_entity(&ent, c, "; protected-headers=\"v1\"", inner.data, 1);
		ho.bcc = 0;
		if (p.flags & PGPMIME_ENCRYPT) {
			ho.subject = "...";
			ho.extras = 0;
			ho.pgp = NULL;
		}
		put_headers(out, c, &a, now, mid.data, &ho);
		buf_puts(out, "User-Agent: surel/" PACKAGE_VERSION "\nMIME-Version: 1.0\n");
		if (!draft)
			put_autocrypt(out, c, &a);
		if (pgpmime_wrap(ent.data, ent.len, p.flags, p.signer, p.keys.v, p.keys.n, out,
				 err) < 0) {
			buf_truncate(out, start);
			goto out;
		}
	}
	if (out->len - start > ENQUEUE_MAX_SIZE) {
		err_set(err, EX_DATAERR, "message too large (%zu bytes, at most %lu)",
			out->len - start, ENQUEUE_MAX_SIZE);
		buf_truncate(out, start);
		goto out;
	}
	rc = 0;
out:
	/* The plaintext of a protected message leaves memory with it. */
	if (ent.data)
		explicit_bzero(ent.data, ent.len);
	if (inner.data)
		explicit_bzero(inner.data, inner.len);
	buf_release(&ent);
	buf_release(&inner);
	buf_release(&field);
	buf_release(&mid);
	plan_release(&p);
	compose_addrs_release(&a);
	return rc;
}
