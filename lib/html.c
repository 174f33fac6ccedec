#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"

struct state {
	struct buf *out;
	int pre;          /* inside <pre> */
	int space;        /* a blank is due before the next word */
	size_t start;     /* out->len when we began */
};

static int at_line_start(const struct state *st)
{
	return st->out->len == st->start || st->out->data[st->out->len - 1] == '\n';
}

/* A line break, at most one empty line in a row, none at the start. */
static void newline(struct state *st, int blank_line)
{
	size_t n = st->out->len;

	st->space = 0;
	if (n == st->start)
		return;
	if (st->out->data[n - 1] != '\n')
		buf_putc(st->out, '\n');
	if (blank_line && !(n >= st->start + 2 && st->out->data[st->out->len - 2] == '\n'))
		buf_putc(st->out, '\n');
}

static void put_utf8(struct buf *out, unsigned long c)
{
	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		buf_putc(out, (int)c);
	} else if (c < 0x800) {
		buf_putc(out, (int)(0xc0 | (c >> 6)));
		buf_putc(out, (int)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_putc(out, (int)(0xe0 | (c >> 12)));
		buf_putc(out, (int)(0x80 | ((c >> 6) & 0x3f)));
		buf_putc(out, (int)(0x80 | (c & 0x3f)));
	} else {
		buf_putc(out, (int)(0xf0 | (c >> 18)));
		buf_putc(out, (int)(0x80 | ((c >> 12) & 0x3f)));
		buf_putc(out, (int)(0x80 | ((c >> 6) & 0x3f)));
		buf_putc(out, (int)(0x80 | (c & 0x3f)));
	}
}

static void text_char(struct state *st, const char *p, size_t n)
{
	if (st->space && !at_line_start(st))
		buf_putc(st->out, ' ');
	st->space = 0;
	buf_append(st->out, p, n);
}

/* A character reference at s (s[0] == '&'): its length, 0 when it is not
 * one we know (the '&' is then text). */
static size_t entity(struct state *st, const char *s, size_t len)
{
	static const struct {
		const char *name;
		unsigned long c;
	} names[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
		{ "nbsp", 0xa0 }, { "copy", 0xa9 }, { "reg", 0xae }, { "hellip", 0x2026 },
		{ "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
		{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "euro", 0x20ac }, { "bull", 0x2022 },
	};
	struct buf ch = BUF_INIT;
	unsigned long c = 0;
	size_t i = 1, k;

	if (i < len && s[i] == '#') {
		int hex = i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X');
		size_t digits = 0;

		for (i += hex ? 2 : 1; i < len && digits < 8; i++, digits++) {
			if (hex && isxdigit((unsigned char)s[i]))
				c = c * 16 + (unsigned long)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
							     (tolower((unsigned char)s[i]) - 'a' + 10));
			else if (!hex && isdigit((unsigned char)s[i]))
				c = c * 10 + (unsigned long)(s[i] - '0');
			else
				break;
		}
		if (digits == 0)
			return 0;
	} else {
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			size_t n = strlen(names[k].name);

			if (len > n && strncmp(s + 1, names[k].name, n) == 0 &&
			    !isalnum((unsigned char)s[1 + n])) {
				c = names[k].c;
				i = 1 + n;
				break;
			}
		}
		if (k == sizeof(names) / sizeof(names[0]))
			return 0;
	}
	if (i < len && s[i] == ';')
		i++;
	if (c == 0xa0)
		c = ' ';
	put_utf8(&ch, c);
	text_char(st, ch.data, ch.len);
	buf_release(&ch);
	return i;
}

static int name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Skip past the closing tag </name ...>, from s; returns the new index. */
static size_t skip_element(const char *s, size_t len, size_t i, const char *name)
{
	size_t n = strlen(name);

	for (; i + 2 + n <= len; i++)
		if (s[i] == '<' && s[i + 1] == '/' && strncasecmp(s + i + 2, name, n) == 0) {
			const char *gt = memchr(s + i, '>', len - i);

			return gt ? (size_t)(gt - s) + 1 : len;
		}
	return len;
}

void html_to_text(const char *s, size_t len, struct buf *out)
{
	static const char *const blocks[] = { "p", "div", "tr", "table", "h1", "h2", "h3", "h4",
					      "h5", "h6", "blockquote", "ul", "ol", "dl", "hr",
					      "pre", "section", "article", "header", "footer",
					      "form", "address", "center" };
	struct state st = { out, 0, 0, out->len };
	size_t i = 0, k;

	while (i < len) {
		char c = s[i];

		/* A tag starts with a letter, '/' or '!'; "a < b" is text. */
		if (c == '<' && i + 1 < len &&
		    (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!')) {
			const char *gt;
			size_t nstart, nlen;
			int closing;

			if (len - i >= 4 && strncmp(s + i, "<!--", 4) == 0) {
				const char *end = NULL;

				for (k = i + 4; k + 3 <= len; k++)
					if (strncmp(s + k, "-->", 3) == 0) {
						end = s + k;
						break;
					}
				i = end ? (size_t)(end - s) + 3 : len;
				continue;
			}
			gt = memchr(s + i, '>', len - i);
			if (!gt) {
				text_char(&st, s + i, 1);
				i++;
				continue;
			}
			closing = i + 1 < len && s[i + 1] == '/';
			nstart = i + 1 + (size_t)closing;
			for (nlen = 0; nstart + nlen < (size_t)(gt - s) &&
				       isalnum((unsigned char)s[nstart + nlen]); nlen++)
				;
			i = (size_t)(gt - s) + 1;
			if (!closing && (name_is(s + nstart, nlen, "script") ||
					 name_is(s + nstart, nlen, "style") ||
					 name_is(s + nstart, nlen, "head") ||
					 name_is(s + nstart, nlen, "title"))) {
				char name[8];

				memcpy(name, s + nstart, nlen);
				name[nlen] = '\0';
				i = skip_element(s, len, i, name);
				continue;
			}
			if (name_is(s + nstart, nlen, "br")) {
				buf_putc(st.out, '\n');
				st.space = 0;
				continue;
			}
			if (name_is(s + nstart, nlen, "li")) {
				newline(&st, 0);
				if (!closing)
					buf_puts(st.out, "* ");
				continue;
			}
			if (name_is(s + nstart, nlen, "td") || name_is(s + nstart, nlen, "th")) {
				st.space = 1;
				continue;
			}
			if (name_is(s + nstart, nlen, "pre"))
				st.pre = !closing;
			for (k = 0; k < sizeof(blocks) / sizeof(blocks[0]); k++)
				if (name_is(s + nstart, nlen, blocks[k])) {
					newline(&st, name_is(s + nstart, nlen, "p") ||
						     (nlen == 2 && tolower((unsigned char)s[nstart]) == 'h'));
					break;
				}
			continue;
		}
		if (c == '&') {
			k = entity(&st, s + i, len - i);
			if (k) {
				i += k;
				continue;
			}
		}
		if (!st.pre && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f')) {
			st.space = 1;
			i++;
			continue;
		}
		if (st.pre && c == '\n') {
			buf_putc(st.out, '\n');
			st.space = 0;
			i++;
			continue;
		}
		text_char(&st, s + i, 1);
		i++;
	}
	/* One line end at the end, none doubled. */
	while (out->len > st.start && out->data[out->len - 1] == '\n')
		buf_truncate(out, out->len - 1);
	if (out->len > st.start)
		buf_putc(out, '\n');
}
