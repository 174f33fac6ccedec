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
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ascii.h"
#include "codec.h"
#include "date.h"
#include "msg.h"
#include "param.h"
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
		if (ascii_ieq(v[i].name, strlen(v[i].name), name))
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
	while (e > p && ascii_is_wsp((unsigned char)e[-1]))
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

	if (p < e && ascii_is_wsp((unsigned char)*p))
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
	while (i < val->len && ascii_is_wsp((unsigned char)val->data[i]))
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
		if (ascii_is_wsp((unsigned char)*p)) {
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
		while (p < e && ascii_is_wsp((unsigned char)*p))
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
	while (s < e && ascii_is_pyspace((unsigned char)*s))
		s++;
	while (e > s && ascii_is_pyspace((unsigned char)e[-1]))
		e--;
	t = xmemdup(s, (size_t)(e - s));
	for (i = 0; t[i]; i++) {
		t[i] = (char)ascii_lower((unsigned char)t[i]);
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
		param_parse(ct, &node->params, &node->nparams);
	node->attachment = param_type_is(cd, "attachment");
	if (cd) {
		param_parse(cd, &dp, &ndp);
		fn = param_get(dp, ndp, "filename");
	}
	if (!fn)
		fn = param_get(node->params, node->nparams, "name");
	/* get_filename() and get_boundary() unquote the parameter once more
	 * (collapse_rfc2231_value); the filename is stripped, the boundary
	 * only at its end (RFC 2046: it may begin with blanks, not end). */
	if (fn)
		node->filename = param_collapse(fn, 1);
	param_free(dp, ndp);
	fn = param_get(node->params, node->nparams, "boundary");
	if (fn)
		node->boundary = param_collapse(fn, 0);
	/* Python compares the whole value, so "base64 " is not base64. */
	if (cte && ascii_ieq(cte, strlen(cte), "base64"))
		node->cte = CTE_B64;
	else if (cte && ascii_ieq(cte, strlen(cte), "quoted-printable"))
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
		while (e > s && ascii_is_pyspace((unsigned char)e[-1]))
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
	for (s = v; ascii_is_pyspace((unsigned char)*s); s++)
		;
	if (*s != '<') {
		e = s + strlen(s);
		while (e > s && ascii_is_pyspace((unsigned char)e[-1]))
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

			codec_header_decode(s, strlen(s), &b);
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
		param_free(p->params, p->nparams);
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
	codec_header_decode(v, strlen(v), &b);
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

char *msg_message_id_of(const char *data, size_t len)
{
	struct msg *m = msg_parse(data, len, MSG_HEADERS_ONLY);
	char *id = m && m->message_id ? xstrdup(m->message_id) : NULL;

	msg_free(m);
	return id;
}

static unsigned long long random64(void)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = ((unsigned long long)getpid() << 32) ^ (unsigned long long)clock() ^
		    (unsigned long long)time(NULL);
	return r;
}

void msg_new_boundary(struct buf *b, const char *prefix, const struct buf *pieces, size_t n)
{
	size_t i;
	int clash;

	do {
		buf_reset(b);
		buf_printf(b, "%s%016llx%08llx", prefix, random64(), random64() & 0xffffffffULL);
		for (clash = 0, i = 0; i < n && !clash; i++)
			clash = memmem(pieces[i].data, pieces[i].len, b->data, b->len) != NULL;
	} while (clash);
}

int msg_date(const struct msg *m, time_t *out)
{
	const char *v = msg_header(m, "Date");

	if (!v)
		return -1;
	return date_parse(v, out);
}

/* ---- addresses ---- */

size_t msg_addrs(const struct msg *m, const char *header, struct addr_mbox **out)
{
	return addr_parse_list(msg_header(m, header), out);
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
		if (ascii_ieq(p->params[i].name, strlen(p->params[i].name), name))
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
			const char *start = param_get(p->params, p->nparams, "start");
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

int msg_text_flowed(const struct msg *m, int *delsp)
{
	size_t idx = find_plain(m);
	const char *f, *d;

	if (idx == NONE)
		return 0;
	f = msg_part_param(m->nodes[idx], "format");
	d = msg_part_param(m->nodes[idx], "delsp");
	if (delsp)
		*delsp = d && ascii_ieq(d, strlen(d), "yes");
	return f && ascii_ieq(f, strlen(f), "flowed");
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
