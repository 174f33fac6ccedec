/*
 * param: MIME header values with parameters (Content-Type,
 * Content-Disposition; RFC 2045, RFC 2231 continuations and charsets,
 * RFC 2047 words inside quotes), read as Python's email package reads
 * them.
 *
 * Python reads parameters twice: the header parser turns the value into
 * name="value" pairs (values truncated at a tspecial unless quoted, encoded
 * words inside quotes decoded, RFC 2231 sections joined per name in section
 * order, the first occurrence of a name winning), and get_param() then
 * unquotes that once more.  This reproduces the first step and the extra
 * unquote.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ascii.h"
#include "buf.h"
#include "codec.h"
#include "param.h"
#include "xalloc.h"

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
	return !is_tspecial(c) && !ascii_is_wsp(c) && c != '*' && c != '\'' && c != '%' &&
	       c != '\r' && c != '\n';
}

static int ext_char(int c)
{
	return c == '%' || attr_char(c);
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
	p = addr_skip_cfws(q, e);
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
	p = addr_skip_cfws(p + 1, e);
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
				codec_header_decode(raw.data, raw.len, &rp->val);
			else
				codec_to_utf8("utf-8", raw.data, raw.len, &rp->val);
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
			codec_to_utf8("utf-8", p, (size_t)(q - p), &rp->val);
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

void param_parse(const char *s, struct param **out, size_t *nout)
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

		p = addr_skip_cfws(p, e);
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
			codec_to_utf8_flags(charset, raw.data, raw.len, CODEC_NO_GUESS, &val);
		else
			buf_append(&val, raw.data, raw.len);
		/* Name and value in one block: name, NUL, value, NUL. */
		res[nres].name = xmalloc(rp[i].nlen + 1 + val.len + 1);
		for (k = 0; k < rp[i].nlen; k++)
			res[nres].name[k] = (char)ascii_lower((unsigned char)rp[i].name[k]);
		res[nres].name[k] = '\0';
		res[nres].value = res[nres].name + k + 1;
		if (val.len)
			memcpy(res[nres].value, val.data, val.len);
		res[nres].value[val.len] = '\0';
		buf_release(&val);
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

const char *param_get(const struct param *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

void param_free(struct param *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int param_type_is(const char *v, const char *word)
{
	const char *p, *q;

	if (!v)
		return 0;
	p = addr_skip_cfws(v, v + strlen(v));
	for (q = p; *q && !is_tspecial((unsigned char)*q) && !ascii_is_pyspace((unsigned char)*q); q++)
		;
	return ascii_ieq(p, (size_t)(q - p), word);
}

char *param_collapse(const char *v, int lstrip)
{
	struct buf b = BUF_INIT;
	size_t s = 0, e;

	buf_puts(&b, v);
	unquote_py(&b);
	e = b.len;
	while (lstrip && s < e && ascii_is_pyspace((unsigned char)b.data[s]))
		s++;
	while (e > s && ascii_is_pyspace((unsigned char)b.data[e - 1]))
		e--;
	v = xmemdup(b.data + s, e - s);
	buf_release(&b);
	return (char *)v;
}
