#include "config.h"

#include <string.h>

#include "flowed.h"

static int is_sig(const char *s, size_t n)
{
	return n == 3 && memcmp(s, "-- ", 3) == 0;
}

/* A paragraph being joined from soft-broken lines. */
struct para {
	struct buf text;
	int depth;
	int open;   /* the last line added was soft */
};

/* Hand over the paragraph without trailing blanks: they can only be left
 * from soft breaks (a hard line has none), and no hard line would keep them. */
static void para_end(struct para *p, flowed_para_fn *fn, void *arg)
{
	size_t n = p->text.len;

	if (!is_sig(p->text.data, n))
		while (n > 0 && p->text.data[n - 1] == ' ')
			n--;
	fn(arg, p->depth, p->text.data, n);
	buf_reset(&p->text);
	p->open = 0;
}

/* The line at s (before end): *t and *n its text without the line end and
 * the leading '>', *depth their count.  Returns where the next line starts. */
static const char *quoted_line(const char *s, const char *end, const char **t, size_t *n,
			       int *depth)
{
	const char *nl = memchr(s, '\n', (size_t)(end - s));

	*n = nl ? (size_t)(nl - s) : (size_t)(end - s);
	*t = s;
	*depth = 0;
	if (*n > 0 && s[*n - 1] == '\r')
		(*n)--;
	while (*n > 0 && **t == '>') {
		(*depth)++;
		(*t)++;
		(*n)--;
	}
	return nl ? nl + 1 : end;
}

void flowed_decode(const char *in, size_t len, int delsp, flowed_para_fn *fn, void *arg)
{
	struct para p = { BUF_INIT, 0, 0 };
	const char *s = in, *end = in + len;

	if (len == 0)
		return;
	while (s < end) {
		const char *t;
		size_t n;
		int depth, soft;

		s = quoted_line(s, end, &t, &n, &depth);
		if (n > 0 && *t == ' ') {
			t++;
			n--;
		}
		if (p.open && depth != p.depth)
			para_end(&p, fn, arg);
		p.depth = depth;
		soft = n > 0 && t[n - 1] == ' ' && !is_sig(t, n);
		if (soft && delsp)
			n--;
		/* A signature separator starts its own paragraph. */
		if (p.open && is_sig(t, n))
			para_end(&p, fn, arg);
		buf_append(&p.text, t, n);
		if (soft)
			p.open = 1;
		else
			para_end(&p, fn, arg);
	}
	if (p.open)
		para_end(&p, fn, arg);
	buf_release(&p.text);
}

static void put_prefix(struct buf *out, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		buf_putc(out, '>');
}

/* One physical line of a paragraph, stuffed when its start would be read
 * as something else (RFC 3676 4.4); quoted lines are always stuffed. */
static void put_line(struct buf *out, int depth, const char *s, size_t n)
{
	put_prefix(out, depth);
	if (n > 0 && (depth > 0 || *s == ' ' || *s == '>' || (n >= 5 && memcmp(s, "From ", 5) == 0)))
		buf_putc(out, ' ');
	buf_append(out, s, n);
	buf_putc(out, '\n');
}

/* The length of the next line of text starting at s (n bytes left) that
 * fits in width characters, ending after a blank; when no blank fits, up to
 * the first blank; n when the rest fits or has no blank.  A soft line must
 * not be the signature separator alone. */
static size_t next_break(const char *s, size_t n, size_t width)
{
	size_t k, c = 0, best = 0;

	for (k = 0; k < n; k++) {
		if (((unsigned char)s[k] & 0xC0) != 0x80)
			c++;
		if (c > width && best > 0)
			return best;
		if (s[k] == ' ' && !is_sig(s, k + 1)) {
			best = k + 1;
			if (c > width)
				return best;
		}
	}
	return n;
}

static void put_plain(struct buf *out, int depth, const char *s, size_t n)
{
	put_prefix(out, depth);
	if (depth > 0 && n > 0)
		buf_putc(out, ' ');
	buf_append(out, s, n);
	buf_putc(out, '\n');
}

static void para_lines(struct buf *out, int depth, const char *text, size_t len, size_t width,
		       int flowed)
{
	size_t avail = width > (size_t)depth + 21 ? width - (size_t)depth - 1 : 20;
	size_t pos = 0;

	if (is_sig(text, len)) {
		if (flowed)
			put_line(out, depth, text, len);
		else
			put_plain(out, depth, text, len);
		return;
	}
	while (len > 0 && text[len - 1] == ' ')
		len--;
	do {
		size_t k = next_break(text + pos, len - pos, avail), n = k;

		if (flowed) {
			put_line(out, depth, text + pos, n);
		} else {
			while (n > 0 && text[pos + n - 1] == ' ')
				n--;
			put_plain(out, depth, text + pos, n);
		}
		pos += k;
	} while (pos < len);
}

void flowed_encode_para(struct buf *out, int depth, const char *text, size_t len, size_t width)
{
	para_lines(out, depth, text, len, width, 1);
}

void flowed_wrap_para(struct buf *out, int depth, const char *text, size_t len, size_t width)
{
	para_lines(out, depth, text, len, width, 0);
}

void flowed_encode(const char *in, size_t len, size_t width, struct buf *out)
{
	const char *s = in, *end = in + len;

	while (s < end) {
		const char *t;
		size_t n;
		int depth;

		s = quoted_line(s, end, &t, &n, &depth);
		if (depth > 0 && n > 0 && *t == ' ') {
			t++;
			n--;
		}
		flowed_encode_para(out, depth, t, n, width);
	}
}

static void unflow_para(void *arg, int depth, const char *text, size_t len)
{
	put_plain(arg, depth, text, len);
}

void flowed_unflow(const char *in, size_t len, int delsp, struct buf *out)
{
	flowed_decode(in, len, delsp, unflow_para, out);
}
