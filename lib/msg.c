/*
 * msg: the message model.  The MIME structure is found by one pass over the
 * lines with an explicit stack (no recursion), so hostile nesting cannot
 * exhaust the C stack and every line is looked at a bounded number of times.
 *
 * Where RFC 5322/2045/2046 leave room, the parse follows what Python's email
 * package (policy.default) does with the same bytes, because that is the
 * reference our `spool show --json` is checked against and the behaviour
 * most readers of real-world mail agree with: lines end at CRLF, LF or a
 * bare CR; a header block ends at the first line that cannot be a header;
 * any enclosing boundary ends a body part; the line break before a boundary
 * belongs to the boundary.  The places where we deliberately differ are
 * marked "Unlike Python".
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "msg.h"
#include "xalloc.h"

/* Python's parser copes with roughly 900 nested multiparts before it runs
 * out of recursion; beyond our limit a multipart is kept as one leaf. */
#define MAX_DEPTH 512
/* Beyond this many parts the rest of a multipart is skipped like an
 * epilogue, so a message of a million empty parts cannot eat the memory. */
#define MAX_NODES 100000
#define NBUCKET 1024
#define NONE ((size_t)-1)

struct field {
	char *name;   /* points into the same allocation as value */
	char *value;
};

struct param {
	char *name;   /* lowercased */
	char *value;  /* decoded UTF-8 */
};

enum cte {
	CTE_IDENTITY,
	CTE_QP,
	CTE_B64,
};

struct msg_part {
	struct field *fields;
	size_t nfields;
	const char *body;
	size_t body_len;
	char *type;              /* "type/subtype" as Python's get_content_type */
	struct param *params;    /* Content-Type parameters */
	size_t nparams;
	char *filename;          /* NULL when none */
	char *boundary;          /* multipart boundary, NULL when none */
	int attachment;
	enum cte cte;
	int multipart;           /* has a parsed child list */
	size_t parent, first_child, last_child, next;
	size_t size;             /* cached msg_part_size(), valid when size_known */
	int size_known;
};

struct msg {
	const char *data;
	size_t len;
	struct msg_part **nodes;  /* nodes[0] is the message itself */
	size_t nnodes, cap;
	size_t *leaves;
	size_t nleaves, leafcap;
	char *subject;
	char *message_id;
};

/* ---- small helpers ---- */

static int is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Python's str.split()/strip() whitespace, restricted to ASCII: 8-bit bytes
 * reach Python as surrogates, which are not whitespace. */
static int is_pyspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return b[i] == '\0';
}

/* End of the line content at p and the start of the next line.  Like
 * Python's email parser, CRLF, LF and a lone CR all end a line. */
static const char *line_end(const char *p, const char *end, const char **next)
{
	while (p < end && *p != '\n' && *p != '\r')
		p++;
	if (p == end)
		*next = p;
	else if (*p == '\r' && p + 1 < end && p[1] == '\n')
		*next = p + 2;
	else
		*next = p + 1;
	return p;
}

/* Decode text in charset the way Python's bytes.decode(charset, "replace")
 * does, with an unknown charset read as UTF-8 (what both get_content() and
 * the header parser fall back to): mislabelled bytes are replaced, not
 * guessed at. */
static void text_to_utf8(const char *charset, const char *in, size_t len, struct buf *out)
{
	codec_to_utf8_flags(charset, in, len, CODEC_NO_GUESS, out);
}

/* Bytes as UTF-8, each maximal ill-formed subpart replaced by one U+FFFD
 * (Python's errors="replace"). */
static void utf8_replace(const char *in, size_t len, struct buf *out)
{
	codec_to_utf8("utf-8", in, len, out);
}

/* RFC 2047-decode a header fragment.  Raw 8-bit bytes are first made valid
 * UTF-8 the way Python sanitises surrogate-escaped header text. */
static void decode_2047(const char *in, size_t len, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	size_t i;

	for (i = 0; i < len && !(in[i] & 0x80); i++)
		;
	if (i < len) {
		utf8_replace(in, len, &tmp);
		in = tmp.data;
		len = tmp.len;
	}
	codec_rfc2047_decode(in, len, out);
	buf_release(&tmp);
}

static int atom_char(int c)
{
	return c && !strchr("()<>@,:;.\\\"[] \t\r\n", c);
}

/* ---- header blocks ---- */

struct fields {
	struct field *v;
	size_t n, cap;
};

static void fields_add(struct fields *f, const char *name, size_t nlen, const char *val, size_t vlen)
{
	char *mem;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	/* UNSAFE: name, NUL, value, NUL in one block of nlen + vlen + 2. */
	mem = xmalloc(nlen + vlen + 2);
	memcpy(mem, name, nlen);
	mem[nlen] = '\0';
	memcpy(mem + nlen + 1, val, vlen);
	mem[nlen + 1 + vlen] = '\0';
	f->v[f->n].name = mem;
	f->v[f->n].value = mem + nlen + 1;
	f->n++;
}

static const char *field_get(const struct field *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ieq(v[i].name, strlen(v[i].name), name))
			return v[i].value;
	return NULL;
}

/* ---- the boundary stack ---- */

struct frame {
	size_t node;
	const char *bnd;
	size_t blen;
	unsigned hash;
	size_t chain;             /* next active frame in the same bucket */
	int active;               /* its delimiter ends the bodies inside it */
	int state;
	const char *body;         /* where the multipart's body starts */
};

enum {
	ST_PREAMBLE,
	ST_PARTS,
	ST_EPILOGUE,
};

struct parser {
	struct msg *m;
	const char *p, *end;
	struct frame *fr;
	size_t nfr;
	size_t head[NBUCKET];
	struct buf scratch;
};

static unsigned hash_bytes(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void frame_activate(struct parser *ps, size_t i)
{
	struct frame *f = &ps->fr[i];
	size_t b = f->hash % NBUCKET;

	f->chain = ps->head[b];
	ps->head[b] = i;
	f->active = 1;
}

/* Frames become active and inactive in stack order, so the frame being
 * deactivated is always the newest one in its bucket. */
static void frame_deactivate(struct parser *ps, size_t i)
{
	struct frame *f = &ps->fr[i];

	ps->head[f->hash % NBUCKET] = f->chain;
	f->active = 0;
}

/* The delimiter grammar Python accepts: "--" boundary ["--"] [ \t]* EOL.
 * A parsed line gives the candidate boundary as a separator and, when it
 * ends in "--", as a close delimiter. */
struct delim {
	const char *s;
	size_t len;       /* candidate as a separator */
	int has_close;    /* also a candidate close delimiter of len - 2 */
};

static int delim_parse(const char *p, const char *e, struct delim *d)
{
	if (e - p < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	p += 2;
	while (e > p && is_wsp((unsigned char)e[-1]))
		e--;
	d->s = p;
	d->len = (size_t)(e - p);
	d->has_close = d->len >= 2 && e[-1] == '-' && e[-2] == '-';
	return 1;
}

static int bnd_eq(const struct frame *f, const char *s, size_t n)
{
	return f->blen == n && memcmp(f->bnd, s, n) == 0;
}

/* Whether the line [p, e) is a delimiter of any active enclosing boundary,
 * the "false EOF" of everything nested inside it. */
static int at_eof(const struct parser *ps, const char *p, const char *e)
{
	struct delim d;
	size_t i;
	int k;

	if (!delim_parse(p, e, &d))
		return 0;
	for (k = 0; k < 2; k++) {
		size_t n = k ? d.len - 2 : d.len;

		if (k && !d.has_close)
			break;
		for (i = ps->head[hash_bytes(d.s, n) % NBUCKET]; i != NONE; i = ps->fr[i].chain)
			if (bnd_eq(&ps->fr[i], d.s, n))
				return 1;
	}
	return 0;
}

/* 0: not the frame's delimiter, 1: separator, 2: close delimiter. */
static int own_delim(const struct frame *f, const char *p, const char *e)
{
	struct delim d;

	if (!delim_parse(p, e, &d))
		return 0;
	if (bnd_eq(f, d.s, d.len))
		return 1;
	if (d.has_close && bnd_eq(f, d.s, d.len - 2))
		return 2;
	return 0;
}

/* Header lines Python's feedparser recognises: a name of printable ASCII
 * except the colon, then a colon; "From "; or a continuation. */
static int header_like(const char *p, const char *e)
{
	const char *q;

	if (p < e && is_wsp((unsigned char)*p))
		return 1;
	if (e - p >= 5 && memcmp(p, "From ", 5) == 0)
		return 1;
	for (q = p; q < e && *q != ':'; q++)
		if ((unsigned char)*q < 0x21 || (unsigned char)*q > 0x7e)
			return 0;
	return q < e;
}

static void fields_flush(struct fields *out, const char *name, size_t nlen, struct buf *val)
{
	size_t i = 0;

	/* A value that starts on a continuation line keeps no leading blanks. */
	while (i < val->len && is_wsp((unsigned char)val->data[i]))
		i++;
	fields_add(out, name, nlen, val->data + i, val->len - i);
}

/* Collect the header lines at ps->p into fields (RFC 5322 section 2.2.3
 * unfolding: line breaks removed, blanks kept), leaving ps->p at the body.
 * Mirrors feedparser._parse_headers: a leading "From " line is the mbox
 * envelope, a later one is dropped, and one as the very last header line is
 * body text; a line starting with ':' is dropped. */
static void parse_headers(struct parser *ps, struct fields *out)
{
	const char *p = ps->p, *next, *e;
	const char *first = p;
	const char *name = NULL;
	size_t nlen = 0;
	struct buf *val = &ps->scratch;
	int have = 0;

	while (p < ps->end) {
		e = line_end(p, ps->end, &next);
		if (at_eof(ps, p, e))
			break;
		if (!header_like(p, e)) {
			if (p == e)   /* the blank separator line */
				p = next;
			break;
		}
		if (is_wsp((unsigned char)*p)) {
			if (have)
				buf_append(val, p, (size_t)(e - p));
			p = next;
			continue;
		}
		if (have) {
			fields_flush(out, name, nlen, val);
			have = 0;
		}
		if (e - p >= 5 && memcmp(p, "From ", 5) == 0) {
			const char *n2, *e2;

			if (p == first) {
				p = next;
				continue;
			}
			/* Last header line?  Python pushes it back as body. */
			e2 = next < ps->end ? line_end(next, ps->end, &n2) : next;
			if (next >= ps->end || at_eof(ps, next, e2) || !header_like(next, e2))
				break;
			p = next;
			continue;
		}
		name = p;
		while (*p != ':')
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0) {
			p = next;
			continue;
		}
		p++;
		while (p < e && is_wsp((unsigned char)*p))
			p++;
		buf_reset(val);
		buf_append(val, p, (size_t)(e - p));
		have = 1;
		p = next;
	}
	if (have)
		fields_flush(out, name, nlen, val);
	ps->p = p;
}


/* Skip lines up to the next line that is an enclosing delimiter (or the
 * end); returns where that line starts. */
static const char *skip_to_eof(const struct parser *ps, const char *p)
{
	const char *next, *e;

	while (p < ps->end) {
		/* Only lines starting with "--" can be delimiters. */
		if (ps->end - p >= 2 && p[0] == '-' && p[1] == '-') {
			e = line_end(p, ps->end, &next);
			if (at_eof(ps, p, e))
				return p;
			p = next;
			continue;
		}
		while (p < ps->end && *p != '\n' && *p != '\r')
			p++;
		if (p < ps->end && *p == '\r' && p + 1 < ps->end && p[1] == '\n')
			p++;
		if (p < ps->end)
			p++;
	}
	return p;
}

/* ---- parameters (Content-Type, Content-Disposition) ---- */

/*
 * Python reads parameters twice: the header parser turns the value into
 * name="value" pairs (values truncated at a tspecial unless quoted, encoded
 * words inside quotes decoded, RFC 2231 sections joined per name in section
 * order, the first occurrence of a name winning), and get_param() then
 * unquotes that once more.  This reproduces the first step and the extra
 * unquote.
 */

struct rawparam {
	const char *name;
	size_t nlen;
	long section;       /* -1: no section */
	int extended;
	int has_value;
	struct buf val;     /* unquoted, or percent-decoded when extended */
	char *charset;      /* RFC 2231 charset of an initial section */
};

static int is_tspecial(int c)
{
	return c != 0 && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static int attr_char(int c)
{
	return !is_tspecial(c) && !is_wsp(c) && c != '*' && c != '\'' && c != '%' &&
	       c != '\r' && c != '\n';
}

static int ext_char(int c)
{
	return c == '%' || attr_char(c);
}

static const char *skip_cfws(const char *p, const char *e)
{
	for (;;) {
		while (p < e && (is_wsp((unsigned char)*p) || *p == '\r' || *p == '\n'))
			p++;
		if (p < e && *p == '(') {
			int depth = 0;

			while (p < e) {
				if (*p == '\\' && p + 1 < e) {
					p += 2;
					continue;
				}
				if (*p == '(')
					depth++;
				else if (*p == ')' && --depth == 0) {
					p++;
					break;
				}
				p++;
			}
			continue;
		}
		return p;
	}
}

/* A quoted string at p ('"'): its unescaped content into out; returns the
 * position after the closing quote (or e). */
static const char *quoted(const char *p, const char *e, struct buf *out)
{
	for (p++; p < e && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < e)
			p++;
		buf_putc(out, *p);
	}
	return p < e ? p + 1 : p;
}

/* Parse one parameter at p (after CFWS); returns the position of the next
 * ';' or e.  *ok_out is 0 when Python would drop the parameter. */
static const char *param_one(const char *p, const char *e, struct rawparam *rp, int *ok_out)
{
	const char *q;

	*ok_out = 0;
	q = p;
	while (q < e && attr_char((unsigned char)*q))
		q++;
	if (q == p)
		goto junk;
	rp->name = p;
	rp->nlen = (size_t)(q - p);
	p = skip_cfws(q, e);
	if (p == e || *p == ';') {
		*ok_out = 1;
		return p;
	}
	if (*p == '*') {
		q = p + 1;
		if (q < e && *q >= '0' && *q <= '9') {
			long n = 0;

			while (q < e && *q >= '0' && *q <= '9') {
				if (n < 100000)
					n = n * 10 + (*q - '0');
				q++;
			}
			rp->section = n;
			p = q;
		}
		if (p < e && *p == '*') {
			rp->extended = 1;
			p++;
		}
	}
	if (p == e || *p != '=')
		goto junk;
	p = skip_cfws(p + 1, e);
	rp->has_value = 1;
	if (p < e && *p == '"') {
		struct buf raw = BUF_INIT;
		const char *tick;

		p = quoted(p, e, &raw);
		tick = memchr(raw.data, '\'', raw.len);
		if (rp->extended && rp->section <= 0 && tick && memchr(tick + 1, '\'', raw.len - (size_t)(tick + 1 - raw.data))) {
			/* The common invalid form: a quoted RFC 2231 value. */
			const char *t2 = memchr(tick + 1, '\'', raw.len - (size_t)(tick + 1 - raw.data));

			rp->charset = xmemdup(raw.data, (size_t)(tick - raw.data));
			codec_pct_decode(t2 + 1, raw.len - (size_t)(t2 + 1 - raw.data), &rp->val);
		} else if (rp->extended && rp->section > 0) {
			codec_pct_decode(raw.data, raw.len, &rp->val);
		} else {
			/* Python decodes encoded words inside quoted strings (the
			 * Outlook filename="=?utf-8?B?...?=" habit). */
			rp->extended = 0;
			if (memmem(raw.data, raw.len, "=?", 2))
				decode_2047(raw.data, raw.len, &rp->val);
			else
				utf8_replace(raw.data, raw.len, &rp->val);
		}
		buf_release(&raw);
	} else if (rp->extended && rp->section <= 0) {
		const char *t1, *t2;

		q = p;
		while (q < e && attr_char((unsigned char)*q))
			q++;
		t1 = q;
		if (t1 < e && *t1 == '\'') {
			q = t1 + 1;
			while (q < e && attr_char((unsigned char)*q))
				q++;
			t2 = q;
			if (t2 < e && *t2 == '\'') {
				rp->charset = xmemdup(p, (size_t)(t1 - p));
				p = t2 + 1;
			} else {
				goto junk;
			}
		}
		q = p;
		while (q < e && ext_char((unsigned char)*q))
			q++;
		if (q == p && !rp->charset)
			goto junk;
		codec_pct_decode(p, (size_t)(q - p), &rp->val);
		p = q;
	} else {
		q = p;
		while (q < e && ext_char((unsigned char)*q))
			q++;
		if (q == p)
			goto junk;
		if (rp->extended)
			codec_pct_decode(p, (size_t)(q - p), &rp->val);
		else
			utf8_replace(p, (size_t)(q - p), &rp->val);
		p = q;
	}
	*ok_out = 1;
junk:
	/* Trailing junk is ignored up to the next ';' outside quotes. */
	while (p < e && *p != ';') {
		if (*p == '"') {
			struct buf skip = BUF_INIT;

			p = quoted(p, e, &skip);
			buf_release(&skip);
			continue;
		}
		p++;
	}
	return p;
}

static void unquote_py(struct buf *b)
{
	/* email.utils.unquote: strip one pair of quotes (then undo the two
	 * escapes in that order) or of angle brackets. */
	size_t i, j;

	if (b->len < 2)
		return;
	if (b->data[0] == '"' && b->data[b->len - 1] == '"') {
		memmove(b->data, b->data + 1, b->len - 2);
		buf_truncate(b, b->len - 2);
		for (i = j = 0; i < b->len; i++, j++) {
			if (b->data[i] == '\\' && i + 1 < b->len && b->data[i + 1] == '\\')
				i++;
			b->data[j] = b->data[i];
		}
		buf_truncate(b, j);
		for (i = j = 0; i < b->len; i++, j++) {
			if (b->data[i] == '\\' && i + 1 < b->len && b->data[i + 1] == '"')
				i++;
			b->data[j] = b->data[i];
		}
		buf_truncate(b, j);
	} else if (b->data[0] == '<' && b->data[b->len - 1] == '>') {
		memmove(b->data, b->data + 1, b->len - 2);
		buf_truncate(b, b->len - 2);
	}
}

static int rp_section(const struct rawparam *r)
{
	return r->section < 0 ? 0 : (int)r->section;
}

/* Parse the parameters after the first ';' of a MIME header value. */
static void params_parse(const char *s, struct param **out, size_t *nout)
{
	const char *p, *e = s + strlen(s);
	struct rawparam *rp = NULL;
	size_t n = 0, cap = 0, i, j;
	struct param *res = NULL;
	size_t nres = 0;
	char *done;

	p = strchr(s, ';');
	if (!p) {
		*out = NULL;
		*nout = 0;
		return;
	}
	p++;
	while (p < e) {
		struct rawparam r;
		int ok;

		p = skip_cfws(p, e);
		if (p == e)
			break;
		if (*p == ';') {
			p++;
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.section = -1;
		buf_init(&r.val);
		p = param_one(p, e, &r, &ok);
		if (!ok) {
			buf_release(&r.val);
			free(r.charset);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			rp = xreallocarray(rp, cap, sizeof(*rp));
		}
		rp[n++] = r;
	}
	/* Group by name in order of first appearance; sections sorted stably. */
	done = xcalloc(n ? n : 1, 1);
	res = xreallocarray(NULL, n ? n : 1, sizeof(*res));
	for (i = 0; i < n; i++) {
		size_t *idx, cnt = 0, k, expect = 0;
		struct buf raw = BUF_INIT, val = BUF_INIT;
		const char *charset;
		int any_ext = 0;

		if (done[i])
			continue;
		idx = xreallocarray(NULL, n - i, sizeof(*idx));
		for (j = i; j < n; j++) {
			if (!done[j] && rp[j].nlen == rp[i].nlen && memcmp(rp[j].name, rp[i].name, rp[i].nlen) == 0) {
				done[j] = 1;
				/* insertion sort keeps equal sections in appearance order */
				k = cnt++;
				while (k > 0 && rp_section(&rp[idx[k - 1]]) > rp_section(&rp[j])) {
					idx[k] = idx[k - 1];
					k--;
				}
				idx[k] = j;
			}
		}
		if (!rp[idx[0]].extended && cnt > 1 && rp_section(&rp[idx[1]]) == 0)
			cnt = 1;
		charset = rp[idx[0]].charset;
		for (k = 0; k < cnt; k++) {
			const struct rawparam *r = &rp[idx[k]];

			if ((size_t)rp_section(r) != expect && !r->extended)
				continue;
			expect++;
			if (r->extended)
				any_ext = 1;
			buf_append(&raw, r->val.data, r->val.len);
		}
		if (any_ext)
			text_to_utf8(charset, raw.data, raw.len, &val);
		else
			buf_append(&val, raw.data, raw.len);
		res[nres].name = xmemdup(rp[i].name, rp[i].nlen);
		for (k = 0; res[nres].name[k]; k++)
			res[nres].name[k] = (char)lower((unsigned char)res[nres].name[k]);
		res[nres].value = buf_detach(&val, NULL);
		nres++;
		buf_release(&raw);
		free(idx);
	}
	for (i = 0; i < n; i++) {
		buf_release(&rp[i].val);
		free(rp[i].charset);
	}
	free(rp);
	free(done);
	*out = res;
	*nout = nres;
}

static const char *param_find(const struct param *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

static void params_free(struct param *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* ---- part classification ---- */

static struct msg_part *node_new(struct msg *m, size_t parent)
{
	struct msg_part *p = xcalloc(1, sizeof(*p));
	size_t idx = m->nnodes;

	if (m->nnodes == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->nodes = xreallocarray(m->nodes, m->cap, sizeof(*m->nodes));
	}
	m->nodes[m->nnodes++] = p;
	p->parent = parent;
	p->first_child = p->last_child = p->next = NONE;
	if (parent != NONE) {
		struct msg_part *par = m->nodes[parent];

		if (par->last_child == NONE)
			par->first_child = idx;
		else
			m->nodes[par->last_child]->next = idx;
		par->last_child = idx;
	}
	return p;
}

/* Python's get_content_type(): the text before the first ';', stripped and
 * lowercased, text/plain unless it has exactly one '/'. */
static char *content_type(const char *ct, const char *dflt)
{
	const char *s, *e;
	char *t;
	size_t i, slashes = 0;

	if (!ct)
		return xstrdup(dflt);
	s = ct;
	e = strchr(ct, ';');
	if (!e)
		e = ct + strlen(ct);
	while (s < e && is_pyspace((unsigned char)*s))
		s++;
	while (e > s && is_pyspace((unsigned char)e[-1]))
		e--;
	t = xmemdup(s, (size_t)(e - s));
	for (i = 0; t[i]; i++) {
		t[i] = (char)lower((unsigned char)t[i]);
		slashes += t[i] == '/';
	}
	if (slashes != 1) {
		free(t);
		return xstrdup("text/plain");
	}
	return t;
}

static int type_major_is(const char *type, const char *major)
{
	size_t n = strlen(major);

	return strncmp(type, major, n) == 0 && type[n] == '/';
}

/* The Content-Disposition type: its first token, lowercased. */
static int disposition_attachment(const char *cd)
{
	const char *p, *q;

	if (!cd)
		return 0;
	p = skip_cfws(cd, cd + strlen(cd));
	for (q = p; *q && !is_tspecial((unsigned char)*q) && !is_pyspace((unsigned char)*q); q++)
		;
	return ieq(p, (size_t)(q - p), "attachment");
}

static char *collapse(const char *v, int lstrip)
{
	struct buf b = BUF_INIT;
	size_t s = 0, e;

	buf_puts(&b, v);
	unquote_py(&b);
	e = b.len;
	while (lstrip && s < e && is_pyspace((unsigned char)b.data[s]))
		s++;
	while (e > s && is_pyspace((unsigned char)b.data[e - 1]))
		e--;
	v = xmemdup(b.data + s, e - s);
	buf_release(&b);
	return (char *)v;
}

static void classify(struct msg *m, struct msg_part *node, const char *dflt)
{
	const char *ct = field_get(node->fields, node->nfields, "Content-Type");
	const char *cte = field_get(node->fields, node->nfields, "Content-Transfer-Encoding");
	const char *cd = field_get(node->fields, node->nfields, "Content-Disposition");
	const char *fn = NULL;
	struct param *dp = NULL;
	size_t ndp = 0;

	(void)m;
	node->type = content_type(ct, dflt);
	if (ct)
		params_parse(ct, &node->params, &node->nparams);
	node->attachment = disposition_attachment(cd);
	if (cd) {
		params_parse(cd, &dp, &ndp);
		fn = param_find(dp, ndp, "filename");
	}
	if (!fn)
		fn = param_find(node->params, node->nparams, "name");
	/* get_filename() and get_boundary() unquote the parameter once more
	 * (collapse_rfc2231_value); the filename is stripped, the boundary
	 * only at its end (RFC 2046: it may begin with blanks, not end). */
	if (fn)
		node->filename = collapse(fn, 1);
	params_free(dp, ndp);
	fn = param_find(node->params, node->nparams, "boundary");
	if (fn)
		node->boundary = collapse(fn, 0);
	/* Python compares the whole value, so "base64 " is not base64. */
	if (cte && ieq(cte, strlen(cte), "base64"))
		node->cte = CTE_B64;
	else if (cte && ieq(cte, strlen(cte), "quoted-printable"))
		node->cte = CTE_QP;
	else
		node->cte = CTE_IDENTITY;
}

/* ---- the structure walk ---- */

static void add_leaf(struct msg *m, size_t idx)
{
	if (m->nleaves == m->leafcap) {
		m->leafcap = m->leafcap ? m->leafcap * 2 : 8;
		m->leaves = xreallocarray(m->leaves, m->leafcap, sizeof(*m->leaves));
	}
	m->leaves[m->nleaves++] = idx;
}

/* RFC 2046 section 5.1.1: the line break before a delimiter belongs to it. */
static void strip_eol(struct msg_part *node)
{
	size_t n = node->body_len;

	if (n && node->body[n - 1] == '\n')
		n--;
	else if (n && node->body[n - 1] == '\r')
		n--;
	if (n < node->body_len && node->body[n] == '\n' && n && node->body[n - 1] == '\r')
		n--;
	node->body_len = n;
}

/* Parse one entity (headers and body) at ps->p as a child of parent.
 * Pushes a frame when it is a multipart; otherwise the leaf is complete. */
static void entity(struct parser *ps, size_t parent)
{
	struct msg *m = ps->m;
	size_t idx = m->nnodes;
	struct msg_part *node = node_new(m, parent);
	struct fields f = { NULL, 0, 0 };
	const char *dflt = "text/plain";
	const char *bnd;

	parse_headers(ps, &f);
	node->fields = f.v;
	node->nfields = f.n;
	if (parent != NONE && strcmp(m->nodes[parent]->type, "multipart/digest") == 0)
		dflt = "message/rfc822";
	classify(m, node, dflt);
	bnd = type_major_is(node->type, "multipart") ? node->boundary : NULL;
	if (bnd && ps->nfr < MAX_DEPTH) {
		struct frame *fr = &ps->fr[ps->nfr++];

		memset(fr, 0, sizeof(*fr));
		fr->node = idx;
		fr->bnd = bnd;
		fr->blen = strlen(bnd);
		fr->hash = hash_bytes(bnd, fr->blen);
		fr->chain = NONE;
		fr->state = ST_PREAMBLE;
		fr->body = ps->p;
		node->multipart = 1;
		return;
	}
	node->body = ps->p;
	ps->p = skip_to_eof(ps, ps->p);
	node->body_len = (size_t)(ps->p - node->body);
}

/* The entity on top has ended: tell its parent frame. */
static void child_done(struct parser *ps, size_t idx)
{
	struct msg_part *node = ps->m->nodes[idx];

	if (!ps->nfr)
		return;
	frame_deactivate(ps, ps->nfr - 1);
	/* Python gives the line break to the boundary only for parts that
	 * are not multipart by type (a multipart it could not split keeps
	 * the break in its text). */
	if (!type_major_is(node->type, "multipart"))
		strip_eol(node);
}

static void structure(struct parser *ps)
{
	struct msg *m = ps->m;
	size_t i;

	entity(ps, NONE);
	while (ps->nfr) {
		struct frame *f = &ps->fr[ps->nfr - 1];
		const char *next, *e;
		int d;

		if (ps->p >= ps->end) {
			e = next = ps->end;
			d = -1;
		} else {
			e = line_end(ps->p, ps->end, &next);
			d = at_eof(ps, ps->p, e) ? -1 : own_delim(f, ps->p, e);
		}
		if (f->state == ST_EPILOGUE && d != -1) {
			ps->p = skip_to_eof(ps, ps->p);
			continue;
		}
		if (d == -1) {
			size_t idx = f->node;
			struct msg_part *node = m->nodes[idx];

			if (f->state == ST_PREAMBLE) {
				/* No start delimiter: Python keeps the whole
				 * body as the payload of a leaf. */
				node->multipart = 0;
				node->body = f->body;
				node->body_len = (size_t)(ps->p - f->body);
			}
			ps->nfr--;
			child_done(ps, idx);
			continue;
		}
		if (d == 2) {
			if (f->state == ST_PREAMBLE) {
				/* "--b--" before any part: like a missing
				 * start delimiter, the preamble is the body. */
				m->nodes[f->node]->multipart = 0;
				m->nodes[f->node]->body = f->body;
				m->nodes[f->node]->body_len = (size_t)(ps->p - f->body);
			}
			f->state = ST_EPILOGUE;
			ps->p = next;
			continue;
		}
		if (d == 0) {
			ps->p = next;   /* preamble */
			continue;
		}
		/* A separator; further delimiter lines right after it do not
		 * make empty parts (Python's reading of the RFC 2046 BNF). */
		ps->p = next;
		while (ps->p < ps->end) {
			e = line_end(ps->p, ps->end, &next);
			if (at_eof(ps, ps->p, e) || !own_delim(f, ps->p, e))
				break;
			ps->p = next;
		}
		if (m->nnodes >= MAX_NODES) {
			f->state = ST_EPILOGUE;
			continue;
		}
		f->state = ST_PARTS;
		frame_activate(ps, ps->nfr - 1);
		entity(ps, f->node);
		if (ps->fr[ps->nfr - 1].node == m->nnodes - 1 && m->nodes[m->nnodes - 1]->multipart)
			continue;   /* a nested multipart is now on top */
		child_done(ps, m->nnodes - 1);
	}
	/* Leaves in depth-first order: nodes were created in document order,
	 * which is depth-first order. */
	for (i = 0; i < m->nnodes; i++)
		if (!m->nodes[i]->multipart)
			add_leaf(m, i);
}

/* ---- message-level fields ---- */

/* Python's msg-id reader: "<" dot-atom-text ["@" (dot-atom-text |
 * "[...]")], anything after that ignored; a value not starting with "<"
 * is taken whole.  Returns NULL where Python has no usable value. */
static const char *dot_atom(const char *p)
{
	const char *start = p;

	while (*p && (atom_char((unsigned char)*p) || (*p == '.' && p > start && p[-1] != '.')))
		p++;
	return p > start && p[-1] == '.' ? start : p;
}

/* What Python keeps of a msg-id that is not dot-atom@dot-atom ("<a..b@x>",
 * "< a@x>", "<a@@x>", as spam has them): the text inside the brackets as
 * it stands; nothing when the local part is missing. */
static void loose_message_id(const char *s, struct buf *b)
{
	const char *e = strchr(s, '>');

	if (*s == '@' || *s == '>' || *s == '\0')
		return;
	if (!e) {
		e = s + strlen(s);
		while (e > s && is_pyspace((unsigned char)e[-1]))
			e--;
	}
	buf_append(b, s, (size_t)(e - s));
}

static char *make_message_id(const char *v)
{
	const char *s, *e, *l, *r;
	struct buf b = BUF_INIT, out = BUF_INIT;

	if (!v)
		return NULL;
	/* Blanks only: "(c) <a@x>" does not start with "<" for Python. */
	for (s = v; is_pyspace((unsigned char)*s); s++)
		;
	if (*s != '<') {
		e = s + strlen(s);
		while (e > s && is_pyspace((unsigned char)e[-1]))
			e--;
		if (s == e)
			return NULL;
		buf_append(&b, s, (size_t)(e - s));
	} else {
		s++;
		l = dot_atom(s);
		if (l == s) {
			loose_message_id(s, &b);
			goto done;
		}
		buf_append(&b, s, (size_t)(l - s));
		if (*l == '@') {
			l++;
			if (*l == '[') {
				r = strchr(l, ']');
				if (!r)
					return buf_release(&b), NULL;
				r++;
			} else {
				r = dot_atom(l);
				if (r == l) {
					buf_reset(&b);
					loose_message_id(s, &b);
					goto done;
				}
			}
			buf_putc(&b, '@');
			buf_append(&b, l, (size_t)(r - l));
		}
	}
done:
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	utf8_replace(b.data, b.len, &out);
	buf_release(&b);
	return buf_detach(&out, NULL);
}

struct msg *msg_parse(const char *data, size_t len, unsigned flags)
{
	struct msg *m;
	struct parser ps;
	size_t i;

	if (len > ((size_t)1 << 31))
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->data = data;
	m->len = len;
	memset(&ps, 0, sizeof(ps));
	ps.m = m;
	ps.p = data;
	ps.end = data + len;
	buf_init(&ps.scratch);
	for (i = 0; i < NBUCKET; i++)
		ps.head[i] = NONE;
	if (flags & MSG_HEADERS_ONLY) {
		struct msg_part *root = node_new(m, NONE);
		struct fields f = { NULL, 0, 0 };

		parse_headers(&ps, &f);
		root->fields = f.v;
		root->nfields = f.n;
		root->type = content_type(field_get(f.v, f.n, "Content-Type"), "text/plain");
		root->body = ps.p;
		add_leaf(m, 0);
	} else {
		ps.fr = xreallocarray(NULL, MAX_DEPTH, sizeof(*ps.fr));
		structure(&ps);
		free(ps.fr);
	}
	buf_release(&ps.scratch);
	{
		const char *s = msg_header(m, "Subject");

		if (s) {
			struct buf b = BUF_INIT;

			decode_2047(s, strlen(s), &b);
			m->subject = buf_detach(&b, NULL);
		}
	}
	m->message_id = make_message_id(msg_header(m, "Message-ID"));
	return m;
}

void msg_free(struct msg *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->nnodes; i++) {
		struct msg_part *p = m->nodes[i];

		for (j = 0; j < p->nfields; j++)
			free(p->fields[j].name);
		free(p->fields);
		free(p->type);
		params_free(p->params, p->nparams);
		free(p->filename);
		free(p->boundary);
		free(p);
	}
	free(m->nodes);
	free(m->leaves);
	free(m->subject);
	free(m->message_id);
	free(m);
}

const char *msg_header(const struct msg *m, const char *name)
{
	return field_get(m->nodes[0]->fields, m->nodes[0]->nfields, name);
}

size_t msg_header_count(const struct msg *m)
{
	return m->nodes[0]->nfields;
}

void msg_header_at(const struct msg *m, size_t i, const char **name_out, const char **value_out)
{
	*name_out = m->nodes[0]->fields[i].name;
	*value_out = m->nodes[0]->fields[i].value;
}

char *msg_header_decoded(const struct msg *m, const char *name)
{
	const char *v = msg_header(m, name);
	struct buf b = BUF_INIT;

	if (!v)
		return NULL;
	decode_2047(v, strlen(v), &b);
	return buf_detach(&b, NULL);
}

const char *msg_subject(const struct msg *m)
{
	return m->subject;
}

const char *msg_message_id(const struct msg *m)
{
	return m->message_id;
}

/* ---- dates ---- */

/*
 * A port of Python's email._parseaddr._parsedate_tz(), the leniency real
 * mail needs: optional weekday, "1 Jan" or "Jan 1", RFC 850 "01-Jan-99",
 * two-digit years, zone glued to the time, named zones, missing seconds,
 * '.' as time separator, trailing comments ignored.  A missing or "-0000"
 * zone is taken as UTC.
 */

static int py_int(const char *s, size_t n, long *out)
{
	long v = 0;
	int neg = 0;
	size_t i = 0;
	int digits = 0;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	for (; i < n; i++) {
		if (s[i] == '_' && digits && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > 100000000L)
			return -1;
		v = v * 10 + (s[i] - '0');
		digits++;
	}
	if (!digits)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

struct word {
	const char *s;
	size_t n;
};

static const char *const monthnames[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
	"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december",
};
static const char *const daynames[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int month_of(struct word w)
{
	size_t i;

	for (i = 0; i < sizeof(monthnames) / sizeof(monthnames[0]); i++)
		if (ieq(w.s, w.n, monthnames[i]))
			return (int)(i % 12) + 1;
	return 0;
}

static const struct {
	const char *name;
	int hhmm;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "AST", -400 }, { "ADT", -300 }, { "EST", -500 }, { "EDT", -400 },
	{ "CST", -600 }, { "CDT", -500 }, { "MST", -700 }, { "MDT", -600 },
	{ "PST", -800 }, { "PDT", -700 },
};

static int days_in_month(long y, int mon)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[mon - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (works
 * for years before 1970 too, unlike some timegm implementations). */
static long long days_from_civil(long y, int mon, int d)
{
	long long era, yoe, doy, doe;

	y -= mon <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int parse_date(const char *v, time_t *out)
{
	struct word w[8];
	size_t nw = 0, k;
	const char *p = v;
	struct word dd, mm, yy, tm, tz, t;
	long year, day, hh, mi, ss = 0, off = 0;
	int mon, have_tz = 0;
	struct word tp[3];
	size_t ntp = 0;
	char sep;

	/* data.split(); only the first few words matter. */
	while (*p && nw < 8) {
		while (*p && is_pyspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w[nw].s = p;
		while (*p && !is_pyspace((unsigned char)*p))
			p++;
		w[nw].n = (size_t)(p - w[nw].s);
		nw++;
	}
	while (*p && is_pyspace((unsigned char)*p))
		p++;
	if (!nw)
		return -1;
	{
		int isday = 0;

		for (k = 0; k < 7; k++)
			if (ieq(w[0].s, w[0].n, daynames[k]))
				isday = 1;
		if (w[0].s[w[0].n - 1] == ',' || isday) {
			memmove(w, w + 1, (nw - 1) * sizeof(*w));
			nw--;
		} else {
			for (k = w[0].n; k > 0; k--) {
				if (w[0].s[k - 1] == ',') {
					w[0].s += k;
					w[0].n -= k;
					break;
				}
			}
		}
	}
	/* Python counts all the words; more than we keep means "many". */
	if (nw == 3 && !*p) {
		const char *d1 = memchr(w[0].s, '-', w[0].n);
		const char *d2 = d1 ? memchr(d1 + 1, '-', w[0].n - (size_t)(d1 + 1 - w[0].s)) : NULL;

		if (d2 && !memchr(d2 + 1, '-', w[0].n - (size_t)(d2 + 1 - w[0].s))) {
			struct word a = { w[0].s, (size_t)(d1 - w[0].s) };
			struct word b = { d1 + 1, (size_t)(d2 - d1 - 1) };
			struct word c = { d2 + 1, w[0].n - (size_t)(d2 + 1 - w[0].s) };

			w[4] = w[2];
			w[3] = w[1];
			w[0] = a;
			w[1] = b;
			w[2] = c;
			nw = 5;
		}
	}
	if (nw == 4 && !*p) {
		struct word s = w[3];
		const char *q = memchr(s.s, '+', s.n);

		if (!q)
			q = memchr(s.s, '-', s.n);
		if (q && q > s.s) {
			w[3].n = (size_t)(q - s.s);
			w[4].s = q;
			w[4].n = s.n - w[3].n;
		} else {
			w[4].s = "";
			w[4].n = 0;
		}
		nw = 5;
	}
	if (nw < 5)
		return -1;
	dd = w[0];
	mm = w[1];
	yy = w[2];
	tm = w[3];
	tz = w[4];
	if (!dd.n || !mm.n || !yy.n)
		return -1;
	mon = month_of(mm);
	if (!mon) {
		t = dd;
		dd = mm;
		mm = t;
		mon = month_of(mm);
		if (!mon)
			return -1;
	}
	if (dd.n && dd.s[dd.n - 1] == ',')
		dd.n--;
	if (memchr(yy.s, ':', yy.n) && yy.s[0] != ':') {
		t = yy;
		yy = tm;
		tm = t;
	}
	if (yy.n && yy.s[yy.n - 1] == ',') {
		yy.n--;
		if (!yy.n)
			return -1;
	}
	if (!yy.n || !(yy.s[0] >= '0' && yy.s[0] <= '9')) {
		t = yy;
		yy = tz;
		tz = t;
	}
	if (tm.n && tm.s[tm.n - 1] == ',')
		tm.n--;
	sep = memchr(tm.s, ':', tm.n) ? ':' : '.';
	{
		const char *q = tm.s, *e = tm.s + tm.n;

		for (;;) {
			const char *c = memchr(q, sep, (size_t)(e - q));

			if (ntp == 3)
				return -1;
			tp[ntp].s = q;
			tp[ntp].n = c ? (size_t)(c - q) : (size_t)(e - q);
			ntp++;
			if (!c)
				break;
			q = c + 1;
		}
	}
	if (ntp < 2)
		return -1;
	if (py_int(yy.s, yy.n, &year) || py_int(dd.s, dd.n, &day) ||
	    py_int(tp[0].s, tp[0].n, &hh) || py_int(tp[1].s, tp[1].n, &mi) ||
	    (ntp == 3 && py_int(tp[2].s, tp[2].n, &ss)))
		return -1;
	if (year < 100)
		year += year > 68 ? 1900 : 2000;
	for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++) {
		if (ieq(tz.s, tz.n, zones[k].name)) {
			off = zones[k].hhmm;
			have_tz = 1;
		}
	}
	if (!have_tz && py_int(tz.s, tz.n, &off) == 0)
		have_tz = 1;
	if (have_tz && off) {
		long sign = off < 0 ? -1 : 1;
		long a = off < 0 ? -off : off;

		off = sign * ((a / 100) * 3600 + (a % 100) * 60);
	}
	/* datetime() range checks: anything out of range is an invalid date. */
	if (year < 1 || year > 9999 || day < 1 || day > days_in_month(year, mon) ||
	    hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59 ||
	    off <= -86400 || off >= 86400)
		return -1;
	*out = (time_t)(days_from_civil(year, mon, (int)day) * 86400LL + hh * 3600 + mi * 60 + ss - off);
	return 0;
}

int msg_date(const struct msg *m, time_t *out)
{
	const char *v = msg_header(m, "Date");

	if (!v)
		return -1;
	return parse_date(v, out);
}

/* ---- addresses ---- */

/*
 * An RFC 5322 address-list reader with the recovery of Python's
 * headerregistry: "Doe, John <j@x>" is two entries, text after an address
 * up to the next comma is ignored, an address without '@' keeps its local
 * part, a group contributes its members.  Display names: comments and runs
 * of blanks collapse to one space, quoted strings are unescaped, encoded
 * words decoded.  Unlike Python, blanks between two adjacent encoded words
 * in a display name are dropped, as RFC 2047 section 6.2 requires.
 */

enum tok {
	T_WS, T_COMMENT, T_QS, T_ATOM, T_DOT, T_LT, T_GT, T_AT, T_COMMA, T_COLON,
	T_SEMI, T_LIT, T_OTHER,
};

struct token {
	enum tok t;
	const char *s;    /* T_QS: the content between the quotes, escapes kept */
	size_t n;
};


static size_t tokenize(const char *v, struct token **out)
{
	const char *p = v;
	struct token *t = NULL;
	size_t n = 0, cap = 0;

	while (*p) {
		struct token k;
		const char *q = p;

		if (is_wsp((unsigned char)*p) || *p == '\r' || *p == '\n') {
			while (is_wsp((unsigned char)*q) || *q == '\r' || *q == '\n')
				q++;
			k.t = T_WS;
		} else if (*p == '(') {
			q = skip_cfws(p, p + strlen(p));
			k.t = T_COMMENT;
		} else if (*p == '"') {
			for (q = p + 1; *q && *q != '"'; q++)
				if (*q == '\\' && q[1])
					q++;
			k.t = T_QS;
			k.s = p + 1;
			k.n = (size_t)(q - p - 1);
			if (*q)
				q++;
		} else if (*p == '[') {
			while (*q && *q != ']')
				q++;
			if (*q)
				q++;
			k.t = T_LIT;
		} else if (atom_char((unsigned char)*p) || *p == '\\') {
			/* a stray backslash stays in the word (obs-local-part) */
			while (atom_char((unsigned char)*q) || *q == '\\')
				q++;
			k.t = T_ATOM;
		} else {
			q = p + 1;
			switch (*p) {
			case '.': k.t = T_DOT; break;
			case '<': k.t = T_LT; break;
			case '>': k.t = T_GT; break;
			case '@': k.t = T_AT; break;
			case ',': k.t = T_COMMA; break;
			case ':': k.t = T_COLON; break;
			case ';': k.t = T_SEMI; break;
			default: k.t = T_OTHER; break;
			}
		}
		if (k.t != T_QS) {
			k.s = p;
			k.n = (size_t)(q - p);
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			t = xreallocarray(t, cap, sizeof(*t));
		}
		t[n++] = k;
		p = q;
	}
	*out = t;
	return n;
}

static void qs_content(const struct token *k, struct buf *out)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (k->s[i] == '\\' && i + 1 < k->n)
			i++;
		buf_putc(out, k->s[i]);
	}
}

struct alist {
	struct msg_addr *v;
	size_t n, cap;
	const struct token *t;
	size_t nt;
};

static int is_cfws(const struct token *k)
{
	return k->t == T_WS || k->t == T_COMMENT;
}

static size_t skip_ws(const struct alist *a, size_t i)
{
	while (i < a->nt && is_cfws(&a->t[i]))
		i++;
	return i;
}

/* A phrase: words, dots (obs-phrase) and CFWS. */
static size_t phrase_end(const struct alist *a, size_t i)
{
	while (i < a->nt && (is_cfws(&a->t[i]) || a->t[i].t == T_ATOM ||
			     a->t[i].t == T_QS || a->t[i].t == T_DOT))
		i++;
	return i;
}

static char *display_name(const struct alist *a, size_t i, size_t e)
{
	struct buf raw = BUF_INIT, out = BUF_INIT;
	int pend = 0;

	for (; i < e; i++) {
		const struct token *k = &a->t[i];

		if (is_cfws(k)) {
			pend = raw.len > 0;
			continue;
		}
		if (pend)
			buf_putc(&raw, ' ');
		pend = 0;
		if (k->t == T_QS)
			qs_content(k, &raw);
		else
			buf_append(&raw, k->s, k->n);
	}
	if (!raw.len) {
		buf_release(&raw);
		return NULL;
	}
	decode_2047(raw.data, raw.len, &out);
	buf_release(&raw);
	return buf_detach(&out, NULL);
}

/* addr-spec from token i: local part, '@', domain.  Returns the index
 * after it; *addr_out gets "local@domain" (or the local part alone), NULL
 * when there is no valid addr-spec. */
static size_t addr_spec(const struct alist *a, size_t i, char **addr_out)
{
	struct buf lp = BUF_INIT, dom = BUF_INIT, out = BUF_INIT, dec = BUF_INIT;
	int pend = 0, quote = 0, bad = 0;
	size_t j;

	i = skip_ws(a, i);
	for (; i < a->nt; i++) {
		const struct token *k = &a->t[i];

		if (is_cfws(k)) {
			pend = lp.len > 0;
			continue;
		}
		if (k->t != T_ATOM && k->t != T_QS && k->t != T_DOT)
			break;
		/* blanks around dots vanish, between words they stay one */
		if (pend && k->t != T_DOT && lp.len && lp.data[lp.len - 1] != '.')
			buf_putc(&lp, ' ');
		pend = 0;
		if (k->t == T_QS)
			qs_content(k, &lp);
		else
			buf_append(&lp, k->s, k->n);
	}
	if (i < a->nt && a->t[i].t == T_AT) {
		/* dot-atom or literal, blanks allowed around the dots; like
		 * Python, a dangling dot or a second '@' spoils the address */
		size_t w = skip_ws(a, i + 1);

		if (!lp.len)
			bad = 1;
		if (w < a->nt && a->t[w].t == T_LIT) {
			buf_append(&dom, a->t[w].s, a->t[w].n);
			i = w + 1;
		} else if (w < a->nt && a->t[w].t == T_ATOM && a->t[w].s[0] != '\\') {
			const char *bs = memchr(a->t[w].s, '\\', a->t[w].n);

			/* a backslash ends a domain word; the rest is junk */
			buf_append(&dom, a->t[w].s, bs ? (size_t)(bs - a->t[w].s) : a->t[w].n);
			i = w + 1;
			for (; !bs;) {
				w = skip_ws(a, i);
				if (w >= a->nt || a->t[w].t != T_DOT)
					break;
				w = skip_ws(a, w + 1);
				if (w >= a->nt || a->t[w].t != T_ATOM || a->t[w].s[0] == '\\') {
					bad = 1;
					break;
				}
				bs = memchr(a->t[w].s, '\\', a->t[w].n);
				buf_putc(&dom, '.');
				buf_append(&dom, a->t[w].s, bs ? (size_t)(bs - a->t[w].s) : a->t[w].n);
				i = w + 1;
			}
		} else {
			bad = 1;
		}
		w = skip_ws(a, i);
		if (w < a->nt && a->t[w].t == T_AT)
			bad = 1;
	} else if (!lp.len) {
		bad = 1;
	}
	if (memmem(lp.data, lp.len, "=?", 2)) {
		decode_2047(lp.data, lp.len, &dec);
		buf_reset(&lp);
		buf_append(&lp, dec.data, dec.len);
	}
	for (j = 0; j < lp.len; j++)
		if (strchr("()<>@,:;\\\"[] \t", lp.data[j]) && lp.data[j])
			quote = 1;
	if (quote) {
		buf_putc(&out, '"');
		for (j = 0; j < lp.len; j++) {
			if (lp.data[j] == '\\' || lp.data[j] == '"')
				buf_putc(&out, '\\');
			buf_putc(&out, lp.data[j]);
		}
		buf_putc(&out, '"');
	} else {
		buf_append(&out, lp.data, lp.len);
	}
	if (lp.len && dom.len) {
		buf_putc(&out, '@');
		buf_append(&out, dom.data, dom.len);
	}
	buf_release(&lp);
	buf_release(&dom);
	buf_release(&dec);
	if (bad) {
		buf_release(&out);
		*addr_out = NULL;
		return i;
	}
	{
		struct buf clean = BUF_INIT;

		utf8_replace(out.data, out.len, &clean);
		buf_release(&out);
		*addr_out = buf_detach(&clean, NULL);
	}
	return i;
}

static void alist_add(struct alist *a, char *name, char *addr)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 4;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	a->v[a->n].name = name;
	a->v[a->n].addr = addr;
	a->n++;
}

/* One mailbox at i; returns the index after it (junk not consumed).  When
 * the address in angle brackets is unusable, Python reads the whole thing
 * as an addr-spec instead ("Ann Lee <a@b.>" gives "Ann Lee" without a
 * domain); when nothing is usable the entry has the empty address. */
static size_t mailbox(struct alist *a, size_t i)
{
	size_t j = phrase_end(a, i), k = skip_ws(a, j);
	char *addr = NULL;

	if (k < a->nt && a->t[k].t == T_LT) {
		size_t r;

		k = skip_ws(a, k + 1);
		if (k < a->nt && a->t[k].t == T_GT) {
			alist_add(a, display_name(a, i, j), xstrdup(""));
			return k + 1;
		}
		/* obs-route "@a,@b:" before the address */
		if (k < a->nt && a->t[k].t == T_AT) {
			r = k;
			while (r < a->nt && a->t[r].t != T_COLON && a->t[r].t != T_GT)
				r++;
			if (r < a->nt && a->t[r].t == T_COLON)
				k = r + 1;
		}
		k = addr_spec(a, k, &addr);
		if (addr) {
			k = skip_ws(a, k);
			if (k < a->nt && a->t[k].t == T_GT)
				k++;
			alist_add(a, display_name(a, i, j), addr);
			return k;
		}
	}
	k = addr_spec(a, i, &addr);
	alist_add(a, NULL, addr ? addr : xstrdup(""));
	return k;
}

static size_t skip_junk(const struct alist *a, size_t i, int in_group)
{
	while (i < a->nt && a->t[i].t != T_COMMA && !(in_group && a->t[i].t == T_SEMI))
		i++;
	return i;
}

size_t msg_addrs(const struct msg *m, const char *header, struct msg_addr **out)
{
	const char *v = msg_header(m, header);
	struct alist a = { NULL, 0, 0, NULL, 0 };
	struct token *t;
	size_t i = 0;

	*out = NULL;
	if (!v)
		return 0;
	a.nt = tokenize(v, &t);
	a.t = t;
	while (i < a.nt) {
		size_t j;

		i = skip_ws(&a, i);
		if (i >= a.nt)
			break;
		if (a.t[i].t == T_COMMA) {
			i++;
			continue;
		}
		j = skip_ws(&a, phrase_end(&a, i));
		/* Python accepts a group with an empty display name. */
		if (j < a.nt && a.t[j].t == T_COLON) {
			/* group: display-name ":" [mailbox-list] ";" */
			i = j + 1;
			while (i < a.nt) {
				i = skip_ws(&a, i);
				if (i >= a.nt)
					break;
				if (a.t[i].t == T_SEMI) {
					i++;
					break;
				}
				if (a.t[i].t == T_COMMA) {
					i++;
					continue;
				}
				i = skip_junk(&a, mailbox(&a, i), 1);
			}
			i = skip_junk(&a, i, 0);
			continue;
		}
		i = skip_junk(&a, mailbox(&a, i), 0);
	}
	free(t);
	*out = a.v;
	return a.n;
}

void msg_addrs_free(struct msg_addr *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].addr);
	}
	free(a);
}

/* ---- bodies ---- */

/*
 * Transfer decoding follows Python's get_payload(decode=True) byte for byte,
 * because the decoded size is what `spool show --json` reports and is
 * compared: codec's quoted-printable decoder is binascii.a2b_qp, and its
 * base64 decoder binascii's lenient one, with email's fallback of keeping
 * the raw text when one character is left over.
 */

static int is_message(const struct msg_part *p)
{
	return type_major_is(p->type, "message");
}

size_t msg_part_count(const struct msg *m)
{
	return m->nleaves;
}

const struct msg_part *msg_part_at(const struct msg *m, size_t i)
{
	return i < m->nleaves ? m->nodes[m->leaves[i]] : NULL;
}

const char *msg_part_type(const struct msg_part *p)
{
	return p->type;
}

const char *msg_part_param(const struct msg_part *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nparams; i++)
		if (ieq(p->params[i].name, strlen(p->params[i].name), name))
			return p->params[i].value;
	return NULL;
}

const char *msg_part_filename(const struct msg_part *p)
{
	return p->filename;
}

int msg_part_is_attachment(const struct msg_part *p)
{
	return p->attachment;
}

size_t msg_part_size(const struct msg_part *p)
{
	struct msg_part *mp = (struct msg_part *)p;  /* the cache is ours */

	if (p->size_known)
		return p->size;
	if (is_message(p) || p->cte == CTE_IDENTITY) {
		mp->size = p->body_len;
	} else {
		/* Decoding to count costs a buffer, once per part (cached),
		 * and only for the parts someone shows. */
		struct buf b = BUF_INIT;

		msg_part_decode(p, &b);
		mp->size = b.len;
		buf_release(&b);
	}
	mp->size_known = 1;
	return p->size;
}

void msg_part_decode(const struct msg_part *p, struct buf *out)
{
	if (is_message(p))
		buf_append(out, p->body, p->body_len);
	else if (p->cte == CTE_B64)
		codec_b64_decode(p->body, p->body_len, CODEC_B64_ODD_AS_TEXT, out);
	else if (p->cte == CTE_QP)
		codec_qp_decode(p->body, p->body_len, out);
	else
		buf_append(out, p->body, p->body_len);
}

void msg_part_text(const struct msg_part *p, struct buf *out)
{
	struct buf raw = BUF_INIT;
	const char *cs = msg_part_param(p, "charset");

	msg_part_decode(p, &raw);
	/* get_content(): charset defaults to ASCII, 8-bit bytes replaced. */
	text_to_utf8(cs ? cs : "us-ascii", raw.data, raw.len, out);
	buf_release(&raw);
}

/* Python's get_body(("plain",)): depth-first, skipping attachments, into
 * multiparts only (in multipart/related only the start part), never into
 * message/rfc822.  Returns the node index or NONE. */
static size_t find_plain(const struct msg *m)
{
	size_t *stack, n = 0, found = NONE;
	int top_multi = m->nodes[0]->multipart;

	stack = xreallocarray(NULL, m->nnodes, sizeof(*stack));
	stack[n++] = 0;
	while (n && found == NONE) {
		size_t idx = stack[--n], c, cnt = 0, k;
		const struct msg_part *p = m->nodes[idx];

		if (p->attachment)
			continue;
		if (type_major_is(p->type, "text")) {
			if (strcmp(p->type + 5, "plain") == 0)
				found = idx;
			continue;
		}
		if (!type_major_is(p->type, "multipart") || !top_multi)
			continue;
		if (!p->multipart) {
			/* A multipart Python kept as text: iter_parts() gives
			 * nothing, so the walk goes on, except for
			 * multipart/related, whose first "part" get_body() takes
			 * from the text itself and fails on, unless the text
			 * is empty. */
			if (p->body_len && strcmp(p->type, "multipart/related") == 0)
				break;
			continue;
		}
		if (strcmp(p->type, "multipart/related") == 0) {
			const char *start = param_find(p->params, p->nparams, "start");
			size_t cand = p->first_child;

			if (start && *start) {
				for (c = p->first_child; c != NONE; c = m->nodes[c]->next) {
					const char *cid = field_get(m->nodes[c]->fields,
								    m->nodes[c]->nfields, "Content-ID");

					if (cid && strcmp(cid, start) == 0) {
						cand = c;
						break;
					}
				}
			}
			if (cand != NONE)
				stack[n++] = cand;
			continue;
		}
		/* push children in reverse so the first is visited first */
		for (c = p->first_child; c != NONE; c = m->nodes[c]->next)
			cnt++;
		k = n + cnt;
		for (c = p->first_child; c != NONE; c = m->nodes[c]->next)
			stack[--k] = c;
		n += cnt;
	}
	free(stack);
	return found;
}

char *msg_text(const struct msg *m)
{
	return msg_text_n(m, NULL);
}

char *msg_text_n(const struct msg *m, size_t *len_out)
{
	size_t idx = find_plain(m);
	struct buf t = BUF_INIT;
	size_t i, j;

	if (idx == NONE)
		return NULL;
	msg_part_text(m->nodes[idx], &t);
	for (i = j = 0; i < t.len; i++) {
		if (t.data[i] == '\r' && i + 1 < t.len && t.data[i + 1] == '\n')
			continue;
		t.data[j++] = t.data[i];
	}
	buf_truncate(&t, j);
	return buf_detach(&t, len_out);
}
