/* cryptomsg: the OpenPGP layers of a message, opened for a reader. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "codec.h"
#include "cryptomsg.h"
#include "param.h"
#include "xalloc.h"

/* Layers opened at most: a message nesting deeper is shown as it stands
 * below that, so a hostile message cannot make us recurse without end. */
#define MAX_DEPTH 8
/* Parts of a multipart/mixed kept around an opened first part. */
#define MAX_PARTS 64

static const char ARMOR_SIGNED[] = "-----BEGIN PGP SIGNED MESSAGE-----";
static const char ARMOR_MESSAGE[] = "-----BEGIN PGP MESSAGE-----";
static const char END_SIGNATURE[] = "-----END PGP SIGNATURE-----";
static const char END_MESSAGE[] = "-----END PGP MESSAGE-----";

struct span {
	const char *p;
	size_t n;
};

struct walk {
	struct crypto *c;          /* made on first need */
	unsigned flags;
	cryptomsg_prompt_fn prompt;
	void *prompt_arg;
	int prompted;
	int opened;                /* a layer was taken off */
	int fatal;                 /* GnuPG unusable: stop */
	const char *from;
	struct cryptomsg *out;
	struct err *err;
};

/* Where the body of an entity starts: after the first empty line (CRLF
 * or LF), or at once when the entity starts with one; len when there is
 * no body. */
static size_t body_offset(const char *p, size_t n)
{
	size_t i;

	if (n && p[0] == '\n')
		return 1;
	if (n > 1 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return n;
}

/* The lowercased "type/subtype" of a Content-Type value into type (size
 * tlen), "" when absent. */
static void type_of(const char *v, char *type, size_t tlen)
{
	size_t i = 0;

	while (v && ascii_is_wsp((unsigned char)*v))
		v++;
	for (; v && *v && *v != ';' && !ascii_is_wsp((unsigned char)*v) && i + 1 < tlen; v++)
		type[i++] = (char)ascii_lower((unsigned char)*v);
	type[i] = '\0';
}

static int line_is(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word);

	if (n < w || memcmp(line, word, w) != 0)
		return 0;
	for (; w < n; w++)
		if (line[w] != ' ' && line[w] != '\t' && line[w] != '\r')
			return 0;
	return 1;
}

/* The parts of a multipart body between delimiters of boundary bnd (RFC
 * 2046 5.1.1: the line end before a delimiter belongs to it).  Returns
 * how many were found, at most max. */
static size_t split_parts(const char *p, size_t n, const char *bnd, struct span *parts, size_t max)
{
	const char *end = p + n, *line = p, *start = NULL;
	size_t blen = strlen(bnd), count = 0;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end, *next = nl ? nl + 1 : end, *rest;
		int close;

		if ((size_t)(le - line) < blen + 2 || line[0] != '-' || line[1] != '-' ||
		    memcmp(line + 2, bnd, blen) != 0) {
			line = next;
			continue;
		}
		rest = line + 2 + blen;
		close = le - rest >= 2 && rest[0] == '-' && rest[1] == '-';
		if (!line_is(rest + (close ? 2 : 0), (size_t)(le - rest) - (close ? 2 : 0), "")) {
			line = next;
			continue;
		}
		if (start && count < max) {
			const char *pe = line;

			if (pe > start && pe[-1] == '\n')
				pe--;
			if (pe > start && pe[-1] == '\r')
				pe--;
			parts[count].p = start;
			parts[count++].n = (size_t)(pe - start);
		}
		if (close)
			return count;
		start = next;
		line = next;
	}
	if (start && count < max && start < end) {
		parts[count].p = start;
		parts[count++].n = (size_t)(end - start);
	}
	return count;
}

/* The transfer-decoded body of the entity at p (a signature or the
 * encrypted data) appended to out. */
static void entity_decoded(const char *p, size_t n, struct buf *out)
{
	struct msg *m = msg_parse(p, n, 0);

	if (m && msg_part_count(m) > 0)
		msg_part_decode(msg_part_at(m, 0), out);
	msg_free(m);
}

/* Content-Type type, protocol and boundary of an entity's headers. */
struct ctype {
	char type[64];
	char protocol[64];
	char *boundary;
	const char *raw;           /* the Content-Type value, borrowed from the msg */
};

static struct msg *entity_head(const char *p, size_t n, struct ctype *ct)
{
	struct msg *m = msg_parse(p, n, MSG_HEADERS_ONLY);
	struct param *pv = NULL;
	size_t np = 0;
	const char *v;

	memset(ct, 0, sizeof *ct);
	if (!m)
		return NULL;
	ct->raw = msg_header(m, "Content-Type");
	type_of(ct->raw, ct->type, sizeof ct->type);
	if (!ct->raw)
		return m;
	param_parse(ct->raw, &pv, &np);
	type_of(param_get(pv, np, "protocol"), ct->protocol, sizeof ct->protocol);
	if ((v = param_get(pv, np, "boundary")) && *v)
		ct->boundary = xstrdup(v);
	param_free(pv, np);
	return m;
}

static int ensure_ctx(struct walk *w)
{
	if (w->c)
		return 0;
	w->c = crypto_new(crypto_pinentry_from_env(), NULL, NULL, w->err);
	if (!w->c)
		w->fatal = 1;
	return w->c ? 0 : -1;
}

static void layer_error(struct walk *w, const struct err *e)
{
	if (!w->out->error.code)
		w->out->error = *e;
}

/* A signature that is there but could not be checked at all (garbage,
 * an engine failure) is listed too, with status error: a reader must not
 * take its absence for an unsigned message. */
static void unchecked_sig(struct walk *w, const struct err *e)
{
	struct crypto_sigs *s = &w->out->sigs;
	struct crypto_sig *d;

	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	d = &s->v[s->n++];
	memset(d, 0, sizeof *d);
	d->status = CRYPTO_SIG_ERROR;
	d->detail = xstrdup(e->msg);
	w->out->is_signed = 1;
}

/* Data with every bare LF made CRLF: the canonical form RFC 3156 section
 * 5 signs, which files on disk have lost. */
static void canonical(const char *p, size_t n, struct buf *out)
{
	size_t i;

	buf_grow(out, n + n / 32 + 2);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			buf_putc(out, '\r');
		buf_putc(out, p[i]);
	}
}

static void process(struct walk *w, const char *p, size_t n, int depth, struct buf *res);

static void open_signed(struct walk *w, const struct span *parts, int depth, struct buf *res)
{
	struct buf canon = BUF_INIT, sig = BUF_INIT;
	struct err e = ERR_INIT;

	canonical(parts[0].p, parts[0].n, &canon);
	entity_decoded(parts[1].p, parts[1].n, &sig);
	if (ensure_ctx(w) == 0) {
		if (crypto_verify_detached(w->c, canon.data, canon.len, sig.data, sig.len, w->from,
					   &w->out->sigs, &e) == 0)
			w->out->is_signed = 1;
		else
			unchecked_sig(w, &e);
	}
	buf_release(&canon);
	buf_release(&sig);
	w->opened = 1;
	process(w, parts[0].p, parts[0].n, depth + 1, res);
}

static void open_encrypted(struct walk *w, const char *p, size_t n, const struct span *data,
			   int depth, struct buf *res)
{
	struct buf cipher = BUF_INIT, plain = BUF_INIT;
	struct err e = ERR_INIT;
	size_t before = w->out->sigs.n;

	w->out->encrypted = 1;
	if (!(w->flags & CRYPTOMSG_DECRYPT) || ensure_ctx(w) < 0) {
		buf_append(res, p, n);
		return;
	}
	entity_decoded(data->p, data->n, &cipher);
	if (w->prompt && !w->prompted)
		w->prompt(w->prompt_arg);
	w->prompted = 1;
	if (crypto_decrypt(w->c, cipher.data, cipher.len, w->from, &plain, &w->out->sigs, &e) < 0) {
		layer_error(w, &e);
		buf_append(res, p, n);
	} else {
		if (!w->out->decrypted)
			w->out->payload_head = xstrndup(plain.data, body_offset(plain.data, plain.len));
		w->out->decrypted = 1;
		w->opened = 1;
		if (w->out->sigs.n > before)
			w->out->is_signed = 1;
		process(w, plain.data, plain.len, depth + 1, res);
	}
	buf_release(&cipher);
	explicit_bzero(plain.data, plain.len);
	buf_release(&plain);
}

/* The armour block in text: [*start, *end) from its BEGIN line to the
 * end of its END line; which says whether it is a signed text. */
static int find_armor(const char *text, size_t n, size_t *start, size_t *end, int *is_signed)
{
	size_t i = 0, b = (size_t)-1;
	const char *endword = NULL;

	while (i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t le = nl ? (size_t)(nl - text) : n, next = nl ? le + 1 : n;

		if (b == (size_t)-1 && line_is(text + i, le - i, ARMOR_SIGNED)) {
			b = i;
			*is_signed = 1;
			endword = END_SIGNATURE;
		} else if (b == (size_t)-1 && line_is(text + i, le - i, ARMOR_MESSAGE)) {
			b = i;
			*is_signed = 0;
			endword = END_MESSAGE;
		} else if (endword && line_is(text + i, le - i, endword)) {
			*start = b;
			*end = next;
			return 1;
		}
		i = next;
	}
	return 0;
}

static int blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ascii_is_pyspace((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Inline PGP in a text/plain entity: the block replaced by its signed or
 * decrypted text, in a new entity of the same Content-Type.  0 when there
 * was nothing to open (the caller keeps the entity). */
static int open_inline(struct walk *w, const char *ctype, const char *p, size_t n,
		       struct buf *res)
{
	struct msg *m = msg_parse(p, n, 0);
	struct buf body = BUF_INIT, text = BUF_INIT;
	struct err e = ERR_INIT;
	size_t s, end, before = w->out->sigs.n;
	int is_signed = 0, rc = -1;

	if (m && msg_part_count(m) == 1)
		msg_part_decode(msg_part_at(m, 0), &body);
	msg_free(m);
	if (!find_armor(body.data, body.len, &s, &end, &is_signed) || ensure_ctx(w) < 0) {
		buf_release(&body);
		return 0;
	}
	w->out->inline_pgp = 1;
	if (is_signed) {
		rc = crypto_verify_inline(w->c, body.data + s, end - s, w->from, &text,
					  &w->out->sigs, &e);
		if (rc == 0) {
			w->out->is_signed = 1;
			w->out->partly_signed = !blank(body.data, s) ||
						!blank(body.data + end, body.len - end);
		} else {
			unchecked_sig(w, &e);
		}
	} else {
		w->out->encrypted = 1;
		if (w->flags & CRYPTOMSG_DECRYPT) {
			if (w->prompt && !w->prompted)
				w->prompt(w->prompt_arg);
			w->prompted = 1;
			rc = crypto_decrypt(w->c, body.data + s, end - s, w->from, &text,
					    &w->out->sigs, &e);
			if (rc == 0) {
				w->out->decrypted = 1;
				if (w->out->sigs.n > before)
					w->out->is_signed = 1;
			}
		}
	}
	if (rc < 0) {
		if (e.code && !is_signed)
			layer_error(w, &e);
		buf_release(&body);
		explicit_bzero(text.data, text.len);
		buf_release(&text);
		return 0;
	}
	w->opened = 1;
	buf_printf(res, "Content-Type: %s\nContent-Transfer-Encoding: 8bit\n\n",
		   ctype ? ctype : "text/plain");
	buf_append(res, body.data, s);
	buf_append(res, text.data, text.len);
	buf_append(res, body.data + end, body.len - end);
	buf_release(&body);
	explicit_bzero(text.data, text.len);
	buf_release(&text);
	return 1;
}

static int is_signed_type(const struct ctype *ct)
{
	return strcmp(ct->type, "multipart/signed") == 0 &&
	       strcmp(ct->protocol, "application/pgp-signature") == 0;
}

static int is_encrypted_type(const struct ctype *ct)
{
	return strcmp(ct->type, "multipart/encrypted") == 0 &&
	       strcmp(ct->protocol, "application/pgp-encrypted") == 0;
}

/* A multipart/mixed whose first part is PGP/MIME, as a mailing list makes
 * of a signed message when it adds its footer as a part of its own: the
 * first part opened, the others kept as they are (and said to be outside
 * what was signed or encrypted). */
static void open_mixed(struct walk *w, const struct ctype *ct, const struct span *parts,
		       size_t np, int depth, struct buf *res)
{
	struct buf first = BUF_INIT;
	size_t i;

	process(w, parts[0].p, parts[0].n, depth + 1, &first);
	buf_printf(res, "Content-Type: %s\n\n--%s\n", ct->raw, ct->boundary);
	buf_append(res, first.data, first.len);
	for (i = 1; i < np; i++) {
		buf_printf(res, "\n--%s\n", ct->boundary);
		buf_append(res, parts[i].p, parts[i].n);
	}
	buf_printf(res, "\n--%s--\n", ct->boundary);
	if (np > 1)
		w->out->partly_signed = 1;
	explicit_bzero(first.data, first.len);
	buf_release(&first);
}

/* Whether the entity at p is PGP/MIME signed or encrypted. */
static int is_pgp_mime(const char *p, size_t n)
{
	struct ctype ct;
	struct msg *m = entity_head(p, n, &ct);
	int yes = m && (is_signed_type(&ct) || is_encrypted_type(&ct));

	free(ct.boundary);
	msg_free(m);
	return yes;
}

static void process(struct walk *w, const char *p, size_t n, int depth, struct buf *res)
{
	struct ctype ct;
	struct msg *m = entity_head(p, n, &ct);
	struct span parts[MAX_PARTS];
	size_t np = 0, off = body_offset(p, n);

	if (m && depth < MAX_DEPTH && !w->fatal && ct.boundary)
		np = split_parts(p + off, n - off, ct.boundary, parts, MAX_PARTS);
	if (np >= 2 && is_signed_type(&ct)) {
		open_signed(w, parts, depth, res);
	} else if (np >= 2 && is_encrypted_type(&ct)) {
		open_encrypted(w, p, n, &parts[1], depth, res);
	} else if (np >= 1 && np < MAX_PARTS && strcmp(ct.type, "multipart/mixed") == 0 &&
		   is_pgp_mime(parts[0].p, parts[0].n)) {
		open_mixed(w, &ct, parts, np, depth, res);
	} else if (!(m && depth < MAX_DEPTH && !w->fatal &&
		     (!*ct.type || strcmp(ct.type, "text/plain") == 0) &&
		     open_inline(w, ct.raw, p, n, res))) {
		buf_append(res, p, n);
	}
	free(ct.boundary);
	msg_free(m);
}

static int is_content_header(const char *name)
{
	return ascii_ieq(name, strlen(name), "MIME-Version") ||
	       (strlen(name) > 8 && ascii_ieq(name, 8, "Content-"));
}

static int has_header(const struct msg *m, const char *name)
{
	return msg_header(m, name) != NULL;
}

/* The message to show: protected headers (those of the inner entity that
 * are not about its content), the outer headers they do not replace, the
 * inner entity's own Content-* headers, its body. */
static void assemble(const char *outer, size_t olen, const char *inner, size_t ilen,
		     struct cryptomsg *out)
{
	struct msg *om = msg_parse(outer, olen, MSG_HEADERS_ONLY);
	struct msg *im = msg_parse(inner, ilen, MSG_HEADERS_ONLY);
	struct buf b = BUF_INIT;
	const char *name, *value;
	size_t i, off = body_offset(inner, ilen);

	buf_grow(&b, olen / 4 + ilen + 64);
	for (i = 0; im && i < msg_header_count(im); i++) {
		msg_header_at(im, i, &name, &value);
		if (is_content_header(name))
			continue;
		buf_printf(&b, "%s: %s\n", name, value);
		out->protected_headers = 1;
	}
	for (i = 0; om && i < msg_header_count(om); i++) {
		msg_header_at(om, i, &name, &value);
		if (is_content_header(name) || (im && has_header(im, name)))
			continue;
		buf_printf(&b, "%s: %s\n", name, value);
	}
	buf_puts(&b, "MIME-Version: 1.0\n");
	for (i = 0; im && i < msg_header_count(im); i++) {
		msg_header_at(im, i, &name, &value);
		if (is_content_header(name) && !ascii_ieq(name, strlen(name), "MIME-Version"))
			buf_printf(&b, "%s: %s\n", name, value);
	}
	buf_putc(&b, '\n');
	buf_append(&b, inner + off, ilen - off);
	msg_free(om);
	msg_free(im);
	out->data = buf_detach(&b, &out->len);
}

/* The reader sees the protected From, but the signatures were judged
 * against the outer one: when the two name different addresses, no
 * signature vouches for the From shown (a signer may put anyone's name
 * inside while the outer From is its own). */
static void judge_protected_from(struct cryptomsg *out, const char *outer_from)
{
	struct msg *m = msg_parse(out->data, out->len, MSG_HEADERS_ONLY);
	struct addr_mbox *from = NULL;
	size_t nfrom = m ? msg_addrs(m, "From", &from) : 0, i;
	const char *shown = nfrom ? from[0].addr : NULL;

	if (!(shown && outer_from && ascii_ieq(shown, strlen(shown), outer_from)))
		for (i = 0; i < out->sigs.n; i++)
			out->sigs.v[i].valid_from_address = 0;
	addr_list_free(from, nfrom);
	msg_free(m);
}

/* A multipart/mixed may hold PGP/MIME as its first part (open_mixed());
 * its leaves tell, the signature or the version part being leaves. */
static enum cryptomsg_kind mixed_kind(const struct msg *m)
{
	size_t i, n = msg_part_count(m);

	for (i = 0; i < n; i++) {
		const char *t = msg_part_type(msg_part_at(m, i));

		if (strcmp(t, "application/pgp-encrypted") == 0)
			return CRYPTOMSG_ENCRYPTED;
		if (strcmp(t, "application/pgp-signature") == 0)
			return CRYPTOMSG_SIGNED;
	}
	return CRYPTOMSG_PLAIN;
}

enum cryptomsg_kind cryptomsg_kind(const struct msg *m)
{
	struct param *pv = NULL;
	size_t np = 0, s, e;
	const char *v = msg_header(m, "Content-Type");
	char type[64], proto[64];
	enum cryptomsg_kind k = CRYPTOMSG_PLAIN;
	struct buf body = BUF_INIT;
	int is_signed = 0;

	type_of(v, type, sizeof type);
	if (v && (strcmp(type, "multipart/signed") == 0 || strcmp(type, "multipart/encrypted") == 0)) {
		param_parse(v, &pv, &np);
		type_of(param_get(pv, np, "protocol"), proto, sizeof proto);
		param_free(pv, np);
		if (strcmp(type, "multipart/signed") == 0 && strcmp(proto, "application/pgp-signature") == 0)
			return CRYPTOMSG_SIGNED;
		if (strcmp(type, "multipart/encrypted") == 0 && strcmp(proto, "application/pgp-encrypted") == 0)
			return CRYPTOMSG_ENCRYPTED;
		return CRYPTOMSG_PLAIN;
	}
	if (strcmp(type, "multipart/mixed") == 0)
		return mixed_kind(m);
	if (*type && strcmp(type, "text/plain") != 0)
		return CRYPTOMSG_PLAIN;
	if (msg_part_count(m) == 1)
		msg_part_decode(msg_part_at(m, 0), &body);
	if (find_armor(body.data, body.len, &s, &e, &is_signed))
		k = is_signed ? CRYPTOMSG_INLINE_SIGNED : CRYPTOMSG_INLINE_ENCRYPTED;
	buf_release(&body);
	return k;
}

int cryptomsg_open(const char *data, size_t len, unsigned flags, cryptomsg_prompt_fn prompt,
		   void *prompt_arg, struct cryptomsg *out, struct err *err)
{
	struct walk w;
	struct buf res = BUF_INIT;
	struct msg *m;
	struct addr_mbox *from = NULL;
	size_t nfrom = 0;

	memset(out, 0, sizeof *out);
	memset(&w, 0, sizeof w);
	w.flags = flags;
	w.prompt = prompt;
	w.prompt_arg = prompt_arg;
	w.out = out;
	w.err = err;
	m = msg_parse(data, len, MSG_HEADERS_ONLY);
	if (m)
		nfrom = msg_addrs(m, "From", &from);
	w.from = nfrom ? from[0].addr : NULL;
	process(&w, data, len, 0, &res);
	if (w.opened && !w.fatal) {
		assemble(data, len, res.data, res.len, out);
		if (out->protected_headers)
			judge_protected_from(out, w.from);
	}
	explicit_bzero(res.data, res.len);
	buf_release(&res);
	addr_list_free(from, nfrom);
	msg_free(m);
	crypto_free(w.c);
	return w.fatal ? -1 : 0;
}

void cryptomsg_release(struct cryptomsg *cm)
{
	if (!cm)
		return;
	crypto_sigs_release(&cm->sigs);
	if (cm->data)
		explicit_bzero(cm->data, cm->len);
	free(cm->data);
	cm->data = NULL;
	cm->len = 0;
	if (cm->payload_head)
		explicit_bzero(cm->payload_head, strlen(cm->payload_head));
	free(cm->payload_head);
	cm->payload_head = NULL;
}

static void put_quoted(struct buf *out, const char *s)
{
	buf_putc(out, '"');
	codec_sanitize(s, strlen(s), 0, out);
	buf_putc(out, '"');
}

int cryptomsg_sig_line(const struct crypto_sig *s, struct buf *out)
{
	static const char *const lead[] = {
		[CRYPTO_SIG_GOOD] = "Good signature",
		[CRYPTO_SIG_BAD] = "*** BAD signature: the text was changed or the signature is forged ***",
		[CRYPTO_SIG_UNKNOWN_KEY] = "Signature by an unknown key, not checked",
		[CRYPTO_SIG_EXPIRED_KEY] = "Signature by an EXPIRED key",
		[CRYPTO_SIG_REVOKED_KEY] = "Signature by a REVOKED key",
		[CRYPTO_SIG_ERROR] = "Signature not checked",
	};
	int known = s->status != CRYPTO_SIG_UNKNOWN_KEY && s->status != CRYPTO_SIG_ERROR;
	/* "Good" only says the text is unchanged since the key signed it;
	 * whose key it is, the keyring vouches for only from full validity. */
	int certified = s->status != CRYPTO_SIG_GOOD || s->validity >= CRYPTO_VALIDITY_FULL;

	buf_puts(out, lead[s->status]);
	if (s->uid) {
		buf_puts(out, " from ");
		put_quoted(out, s->uid);
	}
	if (s->fingerprint) {
		buf_puts(out, ", key ");
		codec_sanitize(s->fingerprint, strlen(s->fingerprint), 0, out);
	}
	if (known)
		buf_printf(out, ", validity %s", crypto_validity_name(s->validity));
	if (s->detail) {
		buf_puts(out, ": ");
		codec_sanitize(s->detail, strlen(s->detail), 0, out);
	}
	if (!certified)
		buf_puts(out, " -- the key is NOT certified as the signer's");
	if (known && !s->valid_from_address)
		buf_puts(out, " -- NOT the From address");
	return !(s->status == CRYPTO_SIG_GOOD && certified && s->valid_from_address);
}
