/*
 * compose_draft: the draft text.  Making it for a new message, a reply, a
 * forward or a resumed draft, and parsing the user's edit back into fields
 * and a body.  Everything taken from an original message is sanitised on
 * the way in: a decoded display name holding a line break must not be able
 * to add a Bcc line to the draft, nor an escape sequence reach the editor.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "afile.h"
#include "codec.h"
#include "compose_internal.h"
#include "flowed.h"
#include "html.h"
#include "identity.h"
#include "msg.h"
#include "pgpmime.h"
#include "summary.h"
#include "xalloc.h"

/* A signature file larger than this is not a signature. */
#define SIG_MAX (64 * 1024)

/* The fields every draft shows, in order. */
static const char *const draft_fields[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Reply-To",
};

static int is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* s sanitised for one draft line: no control characters, no line breaks,
 * blanks at both ends trimmed. */
static void put_line_value(struct buf *out, const char *s)
{
	struct buf t = BUF_INIT;
	size_t a = 0, z;

	codec_sanitize(s, strlen(s), 0, &t);
	z = t.len;
	while (a < z && is_blank(t.data[a]))
		a++;
	while (z > a && is_blank(t.data[z - 1]))
		z--;
	buf_append(out, t.data + a, z - a);
	buf_release(&t);
}

void compose_put_mbox_draft(struct buf *out, const char *name, const char *addr)
{
	struct buf n = BUF_INIT, a = BUF_INIT;

	if (name)
		put_line_value(&n, name);
	put_line_value(&a, addr);
	/* RFC 5322 specials make the name a quoted string, or the comma in
	 * "Putri, Ana" would split it into two mailboxes when read back. */
	addr_put_mbox(out, n.data, a.data ? a.data : "", ADDR_UTF8);
	buf_release(&n);
	buf_release(&a);
}

/* --- the list of mailboxes a reply goes to ----------------------------- */

struct mlist {
	struct addr_mbox *v;
	size_t n;
};

/* One of the user's addresses: any account's address or alias, or the
 * $EMAIL of a session without configuration. */
static int is_own(const struct compose *c, const char *addr)
{
	size_t i;

	if (c->cfg && cfg_account_for_address(c->cfg, addr))
		return 1;
	for (i = 0; i < c->nown; i++) {
		if (strcasecmp(c->own[i], addr) == 0)
			return 1;
	}
	return 0;
}

static int in_list(const struct mlist *l, const char *addr)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strcasecmp(l->v[i].addr, addr) == 0)
			return 1;
	}
	return 0;
}

/* Append the mailboxes of a[] to l, skipping empty addresses, the ones
 * already in l or in other (may be NULL), and with skip_own the user's. */
static void mlist_take(struct mlist *l, const struct mlist *other, const struct compose *c,
		       const struct addr_mbox *a, size_t n, int skip_own)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!a[i].addr || !a[i].addr[0] || in_list(l, a[i].addr) ||
		    (other && in_list(other, a[i].addr)) || (skip_own && is_own(c, a[i].addr)))
			continue;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n].name = a[i].name ? xstrdup(a[i].name) : NULL;
		l->v[l->n].addr = xstrdup(a[i].addr);
		l->n++;
	}
}

static void put_mlist(struct buf *out, const struct mlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (i > 0)
			buf_puts(out, ", ");
		compose_put_mbox_draft(out, l->v[i].name, l->v[i].addr);
	}
}

/* The mailboxes of header name in m, formatted for the draft. */
static void put_addrs_of(struct buf *out, const struct msg *m, const char *name)
{
	struct mlist l = { NULL, 0 };
	struct addr_mbox *a = NULL;
	size_t n = msg_addrs(m, name, &a);

	mlist_take(&l, NULL, NULL, a, n, 0);
	put_mlist(out, &l);
	addr_list_free(l.v, l.n);
	addr_list_free(a, n);
}

int compose_field_generated(const char *name)
{
	static const char *const names[] = {
		"Date", "Message-ID", "MIME-Version", "User-Agent", COMPOSE_PGP_FIELD,
		"From", "To", "Cc", "Bcc", "Subject", "Reply-To", "In-Reply-To", "References",
	};
	size_t i;

	if (strncasecmp(name, "Content-", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	}
	return 0;
}

/* The fields of m a resumed draft keeps besides its six: the user's own
 * (X-..., Organization), not trace fields a delivery added. */
static void put_extra_fields(struct buf *out, const struct msg *m)
{
	static const char *const trace[] = {
		"Received", "Return-Path", "Delivered-To", "X-Original-To",
	};
	const char *name, *value;
	struct buf dec = BUF_INIT;
	size_t i, k;

	for (i = 0; i < msg_header_count(m); i++) {
		msg_header_at(m, i, &name, &value);
		if (compose_field_generated(name) || !value[0])
			continue;
		for (k = 0; k < sizeof(trace) / sizeof(trace[0]); k++)
			if (strcasecmp(name, trace[k]) == 0)
				break;
		if (k < sizeof(trace) / sizeof(trace[0]) || !name[0])
			continue;
		/* Only a name the draft parser reads back (set_made relies on
		 * it): printable ASCII without ':' (RFC 5322 2.2). */
		for (k = 0; name[k] > ' ' && name[k] <= '~' && name[k] != ':'; k++)
			;
		if (name[k])
			continue;
		buf_reset(&dec);
		codec_header_decode(value, strlen(value), &dec);
		buf_printf(out, "%s: ", name);
		put_line_value(out, dec.data);
		buf_putc(out, '\n');
	}
	buf_release(&dec);
}

/* --- identities ----------------------------------------------------------- */

void compose_identity_use(struct compose *c, const struct cfg_account *a, const char *addr)
{
	struct buf b = BUF_INIT;
	const char *own = cfg_get(a, "address");

	/* The account's address as configured; an alias as the message
	 * wrote it (a *@domain pattern has no other spelling). */
	if (own && strcasecmp(own, addr) == 0)
		addr = own;
	c->acct = a;
	free(c->addr);
	c->addr = xstrdup(addr);
	compose_put_mbox_draft(&b, cfg_get(a, "name"), c->addr);
	free(c->from);
	c->from = buf_detach(&b, NULL);
	compose_pgp_defaults(c);
}

/* Write from the identity m was sent to, when it is one of the user's;
 * else the identity stays the compose's own (the current account). */
static void identity_from_msg(struct compose *c, const struct msg *m)
{
	char *addr = NULL;
	const struct cfg_account *a = identity_of_msg(c->cfg, m, &addr);

	if (a)
		compose_identity_use(c, a, addr);
	free(addr);
}

/* A resumed draft is sent and signed by the account of its From address,
 * when that is one of the user's. */
static void draft_identity(struct compose *c, const struct msg *m)
{
	struct addr_mbox *from = NULL;
	const struct cfg_account *a;
	size_t n = msg_addrs(m, "From", &from);

	if (c->cfg && n > 0 && from[0].addr[0] &&
	    (a = cfg_account_for_address(c->cfg, from[0].addr)) != NULL)
		compose_identity_use(c, a, from[0].addr);
	addr_list_free(from, n);
}

/* --- pieces of a draft -------------------------------------------------- */

/* The account's signature after a "-- " line, or nothing.  A missing or
 * unreadable file is no signature rather than no message: the draft is
 * still worth writing, and the user sees the absence in the editor. */
static void put_signature(const struct compose *c, struct buf *out)
{
	const char *path = c->acct ? cfg_get(c->acct, "signature") : NULL;
	struct err err = ERR_INIT;
	struct buf t = BUF_INIT;
	char *data = NULL;
	size_t len = 0;

	if (!path || afile_read(path, SIG_MAX, &data, &len, &err) < 0 || len == 0) {
		free(data);
		return;
	}
	if (codec_utf8_valid(data, len))
		buf_append(&t, data, len);
	else
		codec_to_utf8(NULL, data, len, &t);
	free(data);
	if (strncmp(t.data, "-- \n", 4) != 0)
		buf_puts(out, "-- \n");
	codec_sanitize(t.data, t.len, CODEC_KEEP_NEWLINES, out);
	if (out->data[out->len - 1] != '\n')
		buf_putc(out, '\n');
	buf_release(&t);
}

/* --- PGP ------------------------------------------------------------------ */

void compose_pgp_defaults(struct compose *c)
{
	const char *e = c->acct ? cfg_get(c->acct, "pgp_encrypt") : NULL;

	if (c->pgp_chosen)
		return;
	c->pgp = 0;
	if (c->acct && cfg_get_bool(c->acct, "pgp_sign", 0))
		c->pgp |= COMPOSE_PGP_SIGN;
	/* A reply to encrypted mail stays encrypted whatever the account's
	 * default, as in every PGP mail client. */
	if (c->orig_encrypted || (e && strcmp(e, "always") == 0))
		c->pgp |= COMPOSE_PGP_ENCRYPT;
	else if (e && strcmp(e, "if-possible") == 0)
		c->pgp |= COMPOSE_PGP_AUTO;
}

unsigned compose_pgp(const struct compose *c)
{
	return c->pgp;
}

void compose_set_pgp(struct compose *c, unsigned flags)
{
	c->pgp = flags;
	c->pgp_chosen = 1;
}

/* The choice a draft kept in COMPOSE_PGP_FIELD. */
static void pgp_from_field(struct compose *c, const char *v)
{
	unsigned f = 0;

	if (!v)
		return;
	if (strstr(v, "sign"))
		f |= COMPOSE_PGP_SIGN;
	if (strstr(v, "encrypt"))
		f |= COMPOSE_PGP_ENCRYPT;
	else if (strstr(v, "auto"))
		f |= COMPOSE_PGP_AUTO;
	compose_set_pgp(c, f);
}

/* orig, when it is PGP/MIME encrypted, decrypted into plain: the inner
 * entity's header fields (protected headers), then the outer fields it
 * does not have (but not the outer Content-* and MIME-Version), then its
 * body.  1 when it was encrypted (*orig and *len then point into plain),
 * 0 when not, -1 when it does not decrypt (err filled). */
static int open_encrypted(const char **orig, size_t *len, struct buf *plain, struct err *err)
{
	struct buf inner = BUF_INIT;
	struct msg *outer, *in;
	const char *name, *value, *end;
	size_t i, hlen;

	if (!pgpmime_is_encrypted(*orig, *len))
		return 0;
	if (pgpmime_decrypt(*orig, *len, &inner, err) < 0)
		return -1;
	end = inner.len && inner.data[0] == '\n' ? inner.data : memmem(inner.data, inner.len, "\n\n", 2);
	hlen = end ? (size_t)(end - inner.data) + (inner.data[0] == '\n' ? 0 : 1) : inner.len;
	buf_append(plain, inner.data, hlen);
	outer = msg_parse(*orig, *len, MSG_HEADERS_ONLY);
	in = msg_parse(inner.data, hlen, MSG_HEADERS_ONLY);
	for (i = 0; outer && in && i < msg_header_count(outer); i++) {
		msg_header_at(outer, i, &name, &value);
		if (strncasecmp(name, "Content-", 8) == 0 || strcasecmp(name, "MIME-Version") == 0 ||
		    msg_header(in, name))
			continue;
		buf_printf(plain, "%s: %s\n", name, value);
	}
	buf_append(plain, inner.data + hlen, inner.len - hlen);
	msg_free(outer);
	msg_free(in);
	explicit_bzero(inner.data, inner.len);
	buf_release(&inner);
	*orig = plain->data;
	*len = plain->len;
	return 1;
}

/* The six fields of a draft, each value already formatted (NULL = empty). */
static void put_head(struct buf *out, const char *const values[6])
{
	size_t i;

	for (i = 0; i < 6; i++)
		buf_printf(out, "%s: %s\n", draft_fields[i], values[i] ? values[i] : "");
	buf_putc(out, '\n');
}

/* Drop what the previous start left: attachments and reply ids (the draft
 * text itself is replaced by set_made). */
static void reset(struct compose *c)
{
	while (c->natt > 0)
		compose_attach_drop(c, c->natt - 1);
	free(c->in_reply_to);
	c->in_reply_to = NULL;
	free(c->references);
	c->references = NULL;
	c->orig_encrypted = 0;
	c->pgp_chosen = 0;
	compose_pgp_defaults(c);
}

/* Set the text made by a start function.  It was made from sanitised
 * pieces in the draft format, so it always parses. */
static void set_made(struct compose *c, struct buf *text)
{
	struct err err = ERR_INIT;
	int rc = compose_set_draft(c, text->data, text->len, &err);

	assert(rc == 0);
	(void)rc;
	buf_release(text);
}

void compose_start_new(struct compose *c, const char *to, const char *subject)
{
	struct buf t = BUF_INIT, v_to = BUF_INIT, v_subj = BUF_INIT;
	const char *v[6] = { c->from, NULL, NULL, NULL, NULL, NULL };

	reset(c);
	if (to) {
		put_line_value(&v_to, to);
		v[1] = v_to.data;
	}
	if (subject) {
		put_line_value(&v_subj, subject);
		v[4] = v_subj.data;
	}
	put_head(&t, v);
	buf_putc(&t, '\n');
	put_signature(c, &t);
	buf_release(&v_to);
	buf_release(&v_subj);
	set_made(c, &t);
}

/* --- subjects ------------------------------------------------------------ */

/* s without leading prefixes like "Re:", "RE :", "Re[2]:", "Aw:" (the
 * words in words[], case-insensitive), repeated, and without the blanks
 * before and after them. */
static const char *strip_prefixes(const char *s, const char *const *words)
{
	const char *p;
	size_t i, n;

	for (;;) {
		while (is_blank(*s))
			s++;
		for (i = 0; words[i]; i++) {
			n = strlen(words[i]);
			if (strncasecmp(s, words[i], n) != 0)
				continue;
			p = s + n;
			if (*p == '[' || *p == '(') {
				char close = *p == '[' ? ']' : ')';

				for (p++; *p >= '0' && *p <= '9'; p++)
					;
				if (*p != close)
					continue;
				p++;
			}
			while (is_blank(*p))
				p++;
			if (*p == ':')
				break;
		}
		if (!words[i])
			return s;
		s = p + 1;
	}
}

/* "prefix" + the subject of m without its own prefixes, for the draft. */
static void put_subject(struct buf *out, const struct msg *m, const char *prefix,
			const char *const *words)
{
	const char *s = msg_subject(m);
	struct buf clean = BUF_INIT;

	if (s)
		put_line_value(&clean, s);
	buf_puts(out, prefix);
	buf_puts(out, strip_prefixes(clean.data, words));
	buf_release(&clean);
}

/* --- Message-IDs --------------------------------------------------------- */

/* Whether [p, p+n) is an id we may copy into a header: "<...>" of printable
 * ASCII without blanks or further brackets. */
static int id_ok(const char *p, size_t n)
{
	size_t i;

	if (n < 3 || p[0] != '<' || p[n - 1] != '>')
		return 0;
	for (i = 1; i + 1 < n; i++) {
		if (p[i] <= ' ' || p[i] > '~' || p[i] == '<' || p[i] == '>')
			return 0;
	}
	return 1;
}

/* The ids of a References or In-Reply-To value as lib/summary reads them
 * (with max 1, the first, as In-Reply-To is read), in order, as "<id>"
 * tokens fit to write into a header; up to max of them when max > 0. */
static size_t ids_of(const char *v, char ***ids, size_t max)
{
	char *list = max == 1 ? summary_first_id(v) : summary_id_list(v), *id;
	const char *p;
	size_t n = 0, len;

	for (p = list; p && *p && (max == 0 || n < max); p += len + (p[len] == ' ')) {
		len = strcspn(p, " ");
		id = xasprintf("<%.*s>", (int)len, p);
		if (!id_ok(id, strlen(id))) {
			free(id);
			continue;
		}
		*ids = xreallocarray(*ids, n + 1, sizeof(**ids));
		(*ids)[n++] = id;
	}
	free(list);
	return n;
}

/* In-Reply-To and References of a reply to m (RFC 5322 3.6.4). */
static void set_reply_ids(struct compose *c, const struct msg *m)
{
	const char *mid = msg_message_id(m);
	char **ids = NULL, *own = NULL;
	struct buf b = BUF_INIT;
	size_t n, i, skip;

	if (mid) {
		own = xasprintf("<%s>", mid);
		if (!id_ok(own, strlen(own))) {
			free(own);
			own = NULL;
		}
	}
	n = ids_of(msg_header(m, "References"), &ids, 0);
	/* Without References, the parent's In-Reply-To stands in when it
	 * holds exactly one id (with several, which is the parent's parent
	 * cannot be told). */
	if (n == 0 && (n = ids_of(msg_header(m, "In-Reply-To"), &ids, 2)) != 1) {
		while (n > 0)
			free(ids[--n]);
	}
	if (own) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = own;
		c->in_reply_to = xstrdup(own);
	}
	/* Keep the first id (the thread's root) and the newest ones. */
	skip = n > COMPOSE_REFS_MAX ? n - COMPOSE_REFS_MAX : 0;
	for (i = 0; i < n; i++) {
		if (i > 0 && i <= skip)
			continue;
		if (b.len)
			buf_putc(&b, ' ');
		buf_puts(&b, ids[i]);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	c->references = b.len ? buf_detach(&b, NULL) : NULL;
	buf_release(&b);
}

/* --- quoting ------------------------------------------------------------- */

/* Width of the lines a flowed paragraph is wrapped to before quoting. */
#define QUOTE_WRAP 72

static void wrap_paragraph(void *arg, int depth, const char *text, size_t len)
{
	flowed_wrap_para(arg, depth, text, len, QUOTE_WRAP);
}

/* The text of m, sanitised with its line breaks kept ("" when none); for
 * a message with no text/plain, its first inline text/html part as text,
 * as the pager shows it, so a reply quotes what the user read.  Flowed
 * text comes as its paragraphs, one a line, or when wrap is set rewrapped
 * from them, so a quote of it has no ragged lines. */
static void text_of(const struct msg *m, int wrap, struct buf *out)
{
	struct buf html = BUF_INIT, plain = BUF_INIT;
	size_t len = 0, i;
	char *t = msg_text_n(m, &len);
	int delsp = 0;

	if (t && msg_text_flowed(m, &delsp)) {
		if (wrap)
			flowed_decode(t, len, delsp, wrap_paragraph, &plain);
		else
			flowed_unflow(t, len, delsp, &plain);
		codec_sanitize(plain.data, plain.len, CODEC_KEEP_NEWLINES, out);
		buf_release(&plain);
		free(t);
		return;
	}
	if (t) {
		codec_sanitize(t, len, CODEC_KEEP_NEWLINES, out);
		free(t);
		return;
	}
	for (i = 0; i < msg_part_count(m); i++) {
		const struct msg_part *p = msg_part_at(m, i);

		if (strcmp(msg_part_type(p), "text/html") != 0 || msg_part_is_attachment(p))
			continue;
		msg_part_text(p, &html);
		html_to_text(html.data ? html.data : "", html.len, &plain);
		codec_sanitize(plain.data ? plain.data : "", plain.len, CODEC_KEEP_NEWLINES, out);
		break;
	}
	buf_release(&html);
	buf_release(&plain);
}

/* Every line of t quoted: "> " before text, ">" before an empty line or
 * one already quoted, so levels stay readable (">> a", not "> > a"). */
static void put_quoted(struct buf *out, const char *t, size_t n)
{
	const char *p = t, *end = t + n, *nl;
	size_t len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		buf_puts(out, len == 0 || p[0] == '>' ? ">" : "> ");
		buf_append(out, p, len);
		buf_putc(out, '\n');
		p = nl ? nl + 1 : end;
	}
}

/* "On DATE, NAME wrote:" for m. */
static void put_attribution(struct buf *out, const struct msg *m)
{
	const char *date = msg_header(m, "Date");
	struct addr_mbox *a = NULL;
	size_t n = msg_addrs(m, "From", &a);
	struct buf who = BUF_INIT, when = BUF_INIT;

	if (n > 0 && a[0].name && a[0].name[0])
		put_line_value(&who, a[0].name);
	else if (n > 0 && a[0].addr[0])
		put_line_value(&who, a[0].addr);
	if (who.len == 0)
		buf_puts(&who, "someone");
	if (date)
		put_line_value(&when, date);
	if (when.len)
		buf_printf(out, "On %s, %s wrote:\n", when.data, who.data);
	else
		buf_printf(out, "%s wrote:\n", who.data);
	buf_release(&who);
	buf_release(&when);
	addr_list_free(a, n);
}

void compose_start_filled(struct compose *c, const char *to, const char *cc, const char *bcc,
			  const char *subject, const char *in_reply_to, const char *body)
{
	const char *in[6] = { NULL, to, cc, bcc, subject, NULL };
	struct buf t = BUF_INIT, vals[6];
	const char *v[6];
	char **ids = NULL;
	size_t i;

	reset(c);
	for (i = 0; i < 6; i++) {
		buf_init(&vals[i]);
		if (in[i])
			put_line_value(&vals[i], in[i]);
		v[i] = in[i] ? vals[i].data : NULL;
	}
	v[0] = c->from;
	put_head(&t, v);
	if (body && body[0]) {
		codec_sanitize(body, strlen(body), CODEC_KEEP_NEWLINES, &t);
		if (t.data[t.len - 1] != '\n')
			buf_putc(&t, '\n');
	}
	buf_putc(&t, '\n');
	put_signature(c, &t);
	if (in_reply_to && ids_of(in_reply_to, &ids, 1) == 1) {
		c->in_reply_to = ids[0];
		c->references = xstrdup(ids[0]);
	}
	free(ids);
	set_made(c, &t);
	for (i = 0; i < 6; i++)
		buf_release(&vals[i]);
}

/* --- replies and forwards ---------------------------------------------- */

static const char *const re_words[] = { "re", "aw", "sv", "antw", "vs", NULL };
static const char *const fwd_words[] = { "fwd", "fw", NULL };

/* Whether the mailboxes a and b hold the same addresses (case aside). */
static int same_addrs(const struct addr_mbox *a, size_t na, const struct addr_mbox *b, size_t nb)
{
	struct mlist la = { (struct addr_mbox *)a, na }, lb = { (struct addr_mbox *)b, nb };
	size_t i;

	for (i = 0; i < na; i++)
		if (!in_list(&lb, a[i].addr))
			return 0;
	for (i = 0; i < nb; i++)
		if (!in_list(&la, b[i].addr))
			return 0;
	return 1;
}

char *compose_reply_to_differs(const char *orig, size_t len)
{
	struct msg *m = msg_parse(orig, len, MSG_HEADERS_ONLY);
	struct addr_mbox *from = NULL, *rt = NULL;
	size_t nfrom, nrt;
	struct buf out = BUF_INIT;
	char *r = NULL;

	if (!m)
		return NULL;
	nfrom = msg_addrs(m, "From", &from);
	nrt = msg_addrs(m, "Reply-To", &rt);
	if (nrt > 0 && !same_addrs(from, nfrom, rt, nrt)) {
		struct mlist l = { rt, nrt };

		put_mlist(&out, &l);
		r = buf_detach(&out, NULL);
	}
	buf_release(&out);
	addr_list_free(from, nfrom);
	addr_list_free(rt, nrt);
	msg_free(m);
	return r;
}

/* The addresses of To and Cc in m that the configuration names as
 * mailing lists (the lists and subscribe keys). */
static void known_lists(const struct compose *c, const struct msg *m, struct mlist *out)
{
	static const char *const fields[] = { "To", "Cc" };
	struct addr_mbox *a = NULL;
	size_t n, i, k;

	for (k = 0; c->cfg && k < 2; k++) {
		n = msg_addrs(m, fields[k], &a);
		for (i = 0; i < n; i++)
			if (cfg_list_kind(c->cfg, a[i].addr) > 0)
				mlist_take(out, NULL, c, &a[i], 1, 0);
		addr_list_free(a, n);
		a = NULL;
	}
}

/* L: Mail-Followup-To, else List-Post's address (RFC 2369), else the
 * known lists among the recipients. */
static int list_recipients(struct compose *c, const struct msg *m, struct mlist *lto,
			   struct err *err)
{
	struct buf post = BUF_INIT;
	struct addr_mbox *a = NULL;
	size_t n = msg_addrs(m, "Mail-Followup-To", &a);
	int rc;

	if (n > 0) {
		mlist_take(lto, NULL, c, a, n, 1);
		addr_list_free(a, n);
		return 0;
	}
	rc = summary_list_post(msg_header(m, "List-Post"), &post);
	if (rc < 0)
		return err_set(err, EX_DATAERR, "the list does not take posts (List-Post: NO)");
	if (rc == 1) {
		struct addr_mbox one = { NULL, post.data };

		mlist_take(lto, NULL, c, &one, 1, 0);
		buf_release(&post);
		return 0;
	}
	known_lists(c, m, lto);
	if (lto->n == 0)
		return err_set(err, EX_DATAERR,
			       "no mailing list: the message has no List-Post and no known list");
	return 0;
}

/* To and Cc of a reply (compose.h has the rules). */
static int reply_recipients(struct compose *c, const struct msg *m, unsigned flags,
			    struct mlist *lto, struct mlist *lcc, struct err *err)
{
	struct addr_mbox *from = NULL, *rt = NULL, *to = NULL, *cc = NULL, *mft = NULL;
	size_t nfrom, nrt, nto, ncc, nmft;
	int self;

	if (flags & COMPOSE_REPLY_LIST)
		return list_recipients(c, m, lto, err);
	nmft = (flags & COMPOSE_REPLY_ALL) ? msg_addrs(m, "Mail-Followup-To", &mft) : 0;
	if (nmft > 0) {
		mlist_take(lto, NULL, c, mft, nmft, 1);
		addr_list_free(mft, nmft);
		return 0;
	}
	nfrom = msg_addrs(m, "From", &from);
	nrt = (flags & COMPOSE_REPLY_FROM) ? 0 : msg_addrs(m, "Reply-To", &rt);
	nto = msg_addrs(m, "To", &to);
	ncc = msg_addrs(m, "Cc", &cc);
	self = nfrom > 0 && from[0].addr[0] && is_own(c, from[0].addr);
	if (nrt > 0)
		mlist_take(lto, NULL, c, rt, nrt, 0);
	else if (self && !(flags & COMPOSE_REPLY_FROM))
		mlist_take(lto, NULL, c, to, nto, 0);
	else
		mlist_take(lto, NULL, c, from, nfrom, 0);
	if (flags & COMPOSE_REPLY_ALL) {
		mlist_take(lto, NULL, c, to, nto, 1);
		mlist_take(lcc, lto, c, cc, ncc, 1);
	}
	addr_list_free(from, nfrom);
	addr_list_free(rt, nrt);
	addr_list_free(to, nto);
	addr_list_free(cc, ncc);
	return 0;
}

static int start_reply(struct compose *c, const char *orig, size_t len, unsigned flags,
			struct err *err)
{
	struct msg *m = msg_parse(orig, len, 0);
	struct mlist lto = { NULL, 0 }, lcc = { NULL, 0 };
	struct buf t = BUF_INIT, v_to = BUF_INIT, v_cc = BUF_INIT, v_subj = BUF_INIT, text = BUF_INIT;
	const char *v[6];

	if (!m)
		return err_set(err, EX_DATAERR, "cannot parse the message replied to");
	if (reply_recipients(c, m, flags, &lto, &lcc, err) < 0) {
		addr_list_free(lto.v, lto.n);
		msg_free(m);
		return -1;
	}
	reset(c);
	identity_from_msg(c, m);
	put_mlist(&v_to, &lto);
	put_mlist(&v_cc, &lcc);
	put_subject(&v_subj, m, "Re: ", re_words);
	v[0] = c->from;
	v[1] = v_to.data;
	v[2] = v_cc.data;
	v[3] = NULL;
	v[4] = v_subj.data;
	v[5] = NULL;
	put_head(&t, v);

	set_reply_ids(c, m);
	put_attribution(&t, m);
	text_of(m, 1, &text);
	put_quoted(&t, text.data, text.len);
	buf_putc(&t, '\n');
	put_signature(c, &t);
	set_made(c, &t);

	buf_release(&text);
	buf_release(&v_to);
	buf_release(&v_cc);
	buf_release(&v_subj);
	addr_list_free(lto.v, lto.n);
	addr_list_free(lcc.v, lcc.n);
	msg_free(m);
	return 0;
}

/* "Name: value" of the forwarded block, when m has the field. */
static void put_fwd_addrs(struct buf *out, const struct msg *m, const char *name)
{
	struct buf v = BUF_INIT;

	put_addrs_of(&v, m, name);
	if (v.len)
		buf_printf(out, "%s: %s\n", name, v.data);
	buf_release(&v);
}

/* The original's attachments go along with an inline forward (its text
 * is in the body): every leaf marked as an attachment and every one that
 * is not text (an inline image, a forwarded message). */
static void carry_attachments(struct compose *c, const struct msg *m)
{
	struct buf body = BUF_INIT;
	size_t i;

	for (i = 0; i < msg_part_count(m); i++) {
		const struct msg_part *p = msg_part_at(m, i);

		if (!msg_part_is_attachment(p) && strncmp(msg_part_type(p), "text/", 5) == 0)
			continue;
		buf_reset(&body);
		msg_part_decode(p, &body);
		compose_attach_data(c, msg_part_filename(p), msg_part_type(p), body.data, body.len);
	}
	buf_release(&body);
}

static int start_forward(struct compose *c, const char *orig, size_t len,
			  enum compose_fwd mode, struct err *err)
{
	struct msg *m = msg_parse(orig, len, 0);
	struct buf t = BUF_INIT, v_subj = BUF_INIT, text = BUF_INIT, line = BUF_INIT;
	const char *v[6] = { c->from, NULL, NULL, NULL, NULL, NULL };
	const char *s;

	if (!m)
		return err_set(err, EX_DATAERR, "cannot parse the message to forward");
	reset(c);
	identity_from_msg(c, m);
	v[0] = c->from;
	put_subject(&v_subj, m, "Fwd: ", fwd_words);
	v[4] = v_subj.data;
	put_head(&t, v);
	buf_putc(&t, '\n');
	if (mode == COMPOSE_FWD_INLINE) {
		buf_puts(&t, "\n---------- Forwarded message ----------\n");
		put_fwd_addrs(&t, m, "From");
		if ((s = msg_header(m, "Date")) != NULL) {
			put_line_value(&line, s);
			buf_printf(&t, "Date: %s\n", line.data);
			buf_reset(&line);
		}
		if ((s = msg_subject(m)) != NULL) {
			put_line_value(&line, s);
			buf_printf(&t, "Subject: %s\n", line.data);
		}
		put_fwd_addrs(&t, m, "To");
		put_fwd_addrs(&t, m, "Cc");
		buf_putc(&t, '\n');
		text_of(m, 1, &text);
		buf_append(&t, text.data, text.len);
		if (text.len && text.data[text.len - 1] != '\n')
			buf_putc(&t, '\n');
		buf_putc(&t, '\n');
		carry_attachments(c, m);
	} else {
		/* The relay and our parser both store LF; an embedded message
		 * keeps the line ends of the one around it. */
		struct buf lf = BUF_INIT;
		size_t i;

		for (i = 0; i < len; i++) {
			if (orig[i] == '\r' && i + 1 < len && orig[i + 1] == '\n')
				continue;
			buf_putc(&lf, orig[i]);
		}
		if (lf.len && lf.data[lf.len - 1] != '\n')
			buf_putc(&lf, '\n');
		compose_attach_data(c, NULL, "message/rfc822", lf.data, lf.len);
		buf_release(&lf);
	}
	put_signature(c, &t);
	set_made(c, &t);
	buf_release(&line);
	buf_release(&text);
	buf_release(&v_subj);
	msg_free(m);
	return 0;
}

static int start_draft(struct compose *c, const char *data, size_t len, struct err *err)
{
	static const char *const addr_fields[6] = {
		"From", "To", "Cc", "Bcc", NULL, "Reply-To",
	};
	struct msg *m = msg_parse(data, len, 0);
	struct buf t = BUF_INIT, vals[6], text = BUF_INIT, body = BUF_INIT;
	const char *v[6], *s;
	const struct msg_part *p;
	size_t i, npart, text_part = (size_t)-1;

	if (!m)
		return err_set(err, EX_DATAERR, "cannot parse the postponed message");
	reset(c);
	for (i = 0; i < 6; i++) {
		buf_init(&vals[i]);
		if (addr_fields[i])
			put_addrs_of(&vals[i], m, addr_fields[i]);
		else if ((s = msg_subject(m)) != NULL)
			put_line_value(&vals[i], s);
		v[i] = vals[i].data;
	}
	draft_identity(c, m);
	if (vals[0].len == 0)
		v[0] = c->from;
	put_head(&t, v);
	/* The user's other fields go before the empty line put_head ended
	 * with. */
	buf_truncate(&t, t.len - 1);
	put_extra_fields(&t, m);
	buf_putc(&t, '\n');
	text_of(m, 0, &text);
	buf_append(&t, text.data, text.len);

	s = msg_header(m, "In-Reply-To");
	if (s) {
		char **ids = NULL;

		if (ids_of(s, &ids, 1) == 1)
			c->in_reply_to = ids[0];
		free(ids);
	}
	if ((s = msg_header(m, "References")) != NULL) {
		char **ids = NULL;
		size_t n = ids_of(s, &ids, 0);

		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_putc(&body, ' ');
			buf_puts(&body, ids[i]);
			free(ids[i]);
		}
		free(ids);
		c->references = body.len ? buf_detach(&body, NULL) : NULL;
	}

	/* The text shown is the first plain, non-attachment leaf (msg_text's
	 * choice for our own drafts); every other leaf is an attachment. */
	npart = msg_part_count(m);
	for (i = 0; i < npart; i++) {
		p = msg_part_at(m, i);
		if (text_part == (size_t)-1 && strcmp(msg_part_type(p), "text/plain") == 0 &&
		    !msg_part_is_attachment(p)) {
			text_part = i;
			continue;
		}
		buf_reset(&body);
		msg_part_decode(p, &body);
		compose_attach_data(c, msg_part_filename(p), msg_part_type(p), body.data, body.len);
	}
	set_made(c, &t);
	for (i = 0; i < 6; i++)
		buf_release(&vals[i]);
	buf_release(&text);
	buf_release(&body);
	msg_free(m);
	return 0;
}

/* --- parsing the draft --------------------------------------------------- */

static void clear_parsed(struct compose *c)
{
	size_t i;

	for (i = 0; i < c->nhdr; i++) {
		free(c->hdr[i].name);
		free(c->hdr[i].value);
	}
	free(c->hdr);
	c->hdr = NULL;
	c->nhdr = 0;
	free(c->body);
	c->body = NULL;
	c->body_len = 0;
	c->parsed = 0;
}

const char *compose_draft(const struct compose *c, size_t *len_out)
{
	if (len_out)
		*len_out = c->draft.len;
	return c->draft.data;
}

static int is_addr_field(const char *name)
{
	return strcasecmp(name, "To") == 0 || strcasecmp(name, "Cc") == 0 ||
	       strcasecmp(name, "Bcc") == 0 || strcasecmp(name, "Reply-To") == 0;
}

/* Add field name: value (value unfolded, trimmed here); a second address
 * field of a name joins the first. */
static void add_field(struct compose *c, const char *name, size_t nlen, struct buf *value)
{
	char *n = xstrndup(name, nlen), *v;
	size_t a = 0, z = value->len, i;

	while (a < z && is_blank(value->data[a]))
		a++;
	while (z > a && is_blank(value->data[z - 1]))
		z--;
	v = xstrndup(value->data + a, z - a);
	for (i = 0; i < c->nhdr; i++) {
		if (strcasecmp(c->hdr[i].name, n) == 0 && is_addr_field(n))
			break;
	}
	if (i < c->nhdr) {
		char *joined;

		if (v[0]) {
			joined = c->hdr[i].value[0] ? xasprintf("%s, %s", c->hdr[i].value, v)
						    : xstrdup(v);
			free(c->hdr[i].value);
			c->hdr[i].value = joined;
		}
		free(n);
		free(v);
		return;
	}
	c->hdr = xreallocarray(c->hdr, c->nhdr + 1, sizeof(*c->hdr));
	c->hdr[c->nhdr].name = n;
	c->hdr[c->nhdr].value = v;
	c->nhdr++;
}

/* RFC 5322 2.2: a field name is printable ASCII without ':'. */
static size_t field_name_len(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != ':'; i++) {
		if (p[i] <= ' ' || p[i] > '~')
			return 0;
	}
	return i < n ? i : 0;
}

int compose_set_draft(struct compose *c, const char *text, size_t len, struct err *err)
{
	struct buf in = BUF_INIT, value = BUF_INIT;
	const char *p, *end, *nl, *name = NULL;
	size_t i, n, nlen = 0, lineno = 0;
	int rc = -1;

	if (codec_utf8_valid(text, len))
		buf_append(&in, text, len);
	else
		codec_to_utf8("windows-1252", text, len, &in);
	buf_reset(&c->draft);
	for (i = 0; i < in.len; i++) {
		if (in.data[i] == '\r' && i + 1 < in.len && in.data[i + 1] == '\n')
			continue;
		buf_putc(&c->draft, in.data[i]);
	}
	clear_parsed(c);

	p = c->draft.data;
	end = p + c->draft.len;
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n == 0) {
			p++;
			break;
		}
		if (is_blank(p[0])) {
			if (!name) {
				err_set(err, EX_DATAERR,
					"draft line %zu: a continuation line with no field before it",
					lineno);
				goto out;
			}
			/* Unfolding removes the line break and keeps the blank. */
			buf_append(&value, p, n);
		} else {
			if (name)
				add_field(c, name, nlen, &value);
			nlen = field_name_len(p, n);
			if (nlen == 0) {
				struct buf shown = BUF_INIT;

				codec_sanitize(p, n > 60 ? 60 : n, 0, &shown);
				err_set(err, EX_DATAERR,
					"draft line %zu is not a header field: '%s' (an empty line "
					"must come before the body)",
					lineno, shown.data);
				buf_release(&shown);
				goto out;
			}
			name = p;
			buf_reset(&value);
			buf_append(&value, p + nlen + 1, n - nlen - 1);
		}
		p = nl ? nl + 1 : end;
	}
	if (name)
		add_field(c, name, nlen, &value);
	c->body = xmemdup(p, (size_t)(end - p));
	c->body_len = (size_t)(end - p);
	c->parsed = 1;
	rc = 0;
out:
	buf_release(&value);
	buf_release(&in);
	return rc;
}

const char *compose_hdr_get(const struct compose *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nhdr; i++) {
		if (strcasecmp(c->hdr[i].name, name) == 0)
			return c->hdr[i].value[0] ? c->hdr[i].value : NULL;
	}
	return NULL;
}

const char *compose_field(const struct compose *c, const char *name)
{
	return c->parsed ? compose_hdr_get(c, name) : NULL;
}

int compose_parse_mboxes(const char *value, const char *field, const char *domain,
			 struct addr_mbox **v, size_t *n, struct err *err)
{
	struct addr_mbox *a = NULL;
	size_t i, k;
	int rc = 0;

	/* Read exactly as a received header would be. */
	k = addr_parse_list(value, &a);
	for (i = 0; i < k && rc == 0; i++) {
		const char *addr = a[i].addr;

		if (!addr[0]) {
			struct buf shown = BUF_INIT;

			codec_sanitize(value, strlen(value), 0, &shown);
			rc = err_set(err, EX_DATAERR, "bad address in %s: '%.120s'", field,
				     shown.data);
			buf_release(&shown);
		} else if (!addr_valid(addr, ADDR_SYNTAX | ADDR_BARE) || strpbrk(addr, "\r\n")) {
			struct buf shown = BUF_INIT;

			codec_sanitize(addr, strlen(addr), 0, &shown);
			rc = err_set(err, EX_DATAERR, "bad address '%.120s' in %s", shown.data,
				     field);
			buf_release(&shown);
		} else {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[*n].name = a[i].name && a[i].name[0] ? xstrdup(a[i].name) : NULL;
			(*v)[*n].addr = strchr(addr, '@') || !domain ? xstrdup(addr)
				      : xasprintf("%s@%s", addr, domain);
			(*n)++;
		}
	}
	addr_list_free(a, k);
	return rc;
}

/* --- changing the identity ---------------------------------------------- */

/* The draft with its field name (and continuation lines) replaced by
 * "name: value", or added at the end of the header block, appended to out;
 * *body_out is where the body starts in out. */
static void put_with_field(const struct compose *c, const char *name, const char *value,
			   struct buf *out, size_t *body_out)
{
	const char *p = c->draft.data, *end = p + c->draft.len, *nl;
	size_t n, nlen = strlen(name);
	int in_field = 0, done = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (n == 1 && p[0] == '\n')
			break;
		if (!is_blank(p[0]))
			in_field = !done && field_name_len(p, n) == nlen && strncasecmp(p, name, nlen) == 0;
		if (in_field && !done) {
			buf_printf(out, "%s: %s\n", name, value);
			done = 1;
		} else if (!in_field) {
			buf_append(out, p, n);
		}
		p += n;
	}
	if (!done) {
		/* From leads, as in every draft surel makes. */
		if (strcasecmp(name, "From") == 0) {
			struct buf t = BUF_INIT;

			buf_printf(&t, "From: %s\n", value);
			buf_append(&t, out->data, out->len);
			buf_reset(out);
			buf_append(out, t.data, t.len);
			buf_release(&t);
		} else {
			buf_printf(out, "%s: %s\n", name, value);
		}
	}
	*body_out = out->len;
	buf_append(out, p, (size_t)(end - p));
}

int compose_set_identity(struct compose *c, const char *account, const char *addr,
			 struct err *err)
{
	const struct cfg_account *a;
	struct buf t = BUF_INIT, old_sig = BUF_INIT, new_sig = BUF_INIT;
	const char *hit = NULL, *q;
	size_t body;
	int rc;

	if (!c->cfg)
		return err_set(err, EX_CONFIG, "no other identity: no configuration file");
	if (!(a = cfg_account_find(c->cfg, account, err)))
		return -1;
	if (!addr)
		addr = cfg_get(a, "address");
	if (!cfg_account_has_address(a, addr))
		return err_set(err, EX_DATAERR, "'%.200s' is not an address of account '%s'", addr,
			       account);
	if (!c->parsed)
		return err_set(err, EX_DATAERR, "the draft has an error: fix it first");
	put_signature(c, &old_sig);
	compose_identity_use(c, a, addr);
	put_signature(c, &new_sig);
	put_with_field(c, "From", c->from, &t, &body);
	/* The signature follows the identity when the old one is still
	 * there as it was made (the last copy: a quoted one comes first). */
	if (old_sig.len) {
		for (q = t.data + body; (q = strstr(q, old_sig.data)) != NULL; q++)
			hit = q;
	}
	if (hit) {
		struct buf u = BUF_INIT;

		buf_append(&u, t.data, (size_t)(hit - t.data));
		buf_append(&u, new_sig.data, new_sig.len);
		buf_puts(&u, hit + old_sig.len);
		buf_release(&t);
		t = u;
	} else if (!old_sig.len && new_sig.len) {
		if (t.len && t.data[t.len - 1] != '\n')
			buf_putc(&t, '\n');
		buf_append(&t, new_sig.data, new_sig.len);
	}
	rc = compose_set_draft(c, t.data, t.len, err);
	buf_release(&t);
	buf_release(&old_sig);
	buf_release(&new_sig);
	return rc;
}

int compose_set_field(struct compose *c, const char *name, const char *value,
		      struct err *err)
{
	static const char *const fields[] = { "From", "To", "Cc", "Bcc", "Subject", "Reply-To" };
	struct addr_mbox *v = NULL;
	const struct cfg_account *a;
	struct buf line = BUF_INIT, t = BUF_INIT;
	size_t i, n = 0, body;
	int rc = -1;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]) && strcasecmp(fields[i], name) != 0; i++)
		;
	if (i == sizeof(fields) / sizeof(fields[0]))
		return err_set(err, EX_SOFTWARE, "'%s' is not a field of the compose screen", name);
	name = fields[i];
	if (!c->parsed)
		return err_set(err, EX_DATAERR, "the draft has an error: fix it first");
	put_line_value(&line, value ? value : "");
	if (i != 4 && compose_parse_mboxes(line.data, name, NULL, &v, &n, err) < 0)
		goto out;
	if (i == 0 && n != 1) {
		err_set(err, EX_DATAERR, "From needs one address");
		goto out;
	}
	/* A From of one of the user's addresses is that identity: account,
	 * signature and smarthost follow, as compose_set_identity does. */
	if (i == 0 && c->cfg && (a = cfg_account_for_address(c->cfg, v[0].addr)) != NULL &&
	    compose_set_identity(c, cfg_account_name(a), v[0].addr, err) < 0)
		goto out;
	put_with_field(c, name, line.data, &t, &body);
	rc = compose_set_draft(c, t.data, t.len, err);
out:
	addr_list_free(v, n);
	buf_release(&t);
	buf_release(&line);
	return rc;
}

/* A reply or forward of encrypted mail quotes the decrypted text and
 * defaults to encrypted; one that does not decrypt (no key, a cancelled
 * passphrase) quotes nothing and is still encrypted by default. */
int compose_start_reply(struct compose *c, const char *orig, size_t len, unsigned flags,
			struct err *err)
{
	struct err derr = ERR_INIT;
	struct buf plain = BUF_INIT;
	int enc = open_encrypted(&orig, &len, &plain, &derr), rc;

	rc = start_reply(c, orig, len, flags, err);
	if (rc == 0 && enc) {
		c->orig_encrypted = 1;
		compose_pgp_defaults(c);
	}
	buf_wipe(&plain);
	return rc;
}

int compose_start_forward(struct compose *c, const char *orig, size_t len,
			  enum compose_fwd mode, struct err *err)
{
	struct err derr = ERR_INIT;
	struct buf plain = BUF_INIT;
	int enc = 0, rc;

	/* Attached whole, the original stays as it came: encrypted. */
	if (mode == COMPOSE_FWD_INLINE)
		enc = open_encrypted(&orig, &len, &plain, &derr);
	else
		enc = pgpmime_is_encrypted(orig, len);
	rc = start_forward(c, orig, len, mode, err);
	if (rc == 0 && enc) {
		c->orig_encrypted = 1;
		compose_pgp_defaults(c);
	}
	buf_wipe(&plain);
	return rc;
}

/* A draft stored encrypted (to the user) is decrypted to be resumed; its
 * PGP choice comes back from COMPOSE_PGP_FIELD. */
int compose_start_draft(struct compose *c, const char *data, size_t len, struct err *err)
{
	struct buf plain = BUF_INIT;
	struct msg *m;
	int enc = open_encrypted(&data, &len, &plain, err), rc;

	if (enc < 0) {
		err_prefix(err, "cannot resume the postponed message");
		return -1;
	}
	rc = start_draft(c, data, len, err);
	if (rc == 0) {
		if (enc) {
			c->orig_encrypted = 1;
			compose_pgp_defaults(c);
		}
		m = msg_parse(data, len, MSG_HEADERS_ONLY);
		pgp_from_field(c, m ? msg_header(m, COMPOSE_PGP_FIELD) : NULL);
		msg_free(m);
	}
	buf_wipe(&plain);
	return rc;
}
