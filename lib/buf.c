#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

char buf_empty[1];

void buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = 0;
	b->overflow = 0;
}

void buf_release(struct buf *b)
{
	size_t max = b->max;

	if (b->cap)
		free(b->data);
	buf_init(b);
	b->max = max;
}

void buf_wipe(struct buf *b)
{
	if (b->cap)
		explicit_bzero(b->data, b->cap);
	buf_release(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->overflow = 0;
}

void buf_grow(struct buf *b, size_t n)
{
	size_t want;

	if (n >= (size_t)-1 / 2 - b->len)
		n = (size_t)-1 / 2 - b->len - 1;
	want = b->len + n + 1;
	if (want <= b->cap)
		return;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if (want < 64)
		want = 64;
	if (b->cap) {
		b->data = xrealloc(b->data, want);
	} else {
		b->data = xmalloc(want);
		b->data[0] = '\0';
	}
	b->cap = want;
}

/* Returns how many of n bytes may still be appended under the maximum. */
static size_t room(struct buf *b, size_t n)
{
	if (b->max && b->len + n > b->max) {
		b->overflow = 1;
		return b->max > b->len ? b->max - b->len : 0;
	}
	return n;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
	n = room(b, n);
	if (!n)
		return;
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	buf_append(b, &ch, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if (b->cap && (size_t)n < b->cap - b->len) {
		size_t keep = room(b, (size_t)n);

		b->len += keep;
		b->data[b->len] = '\0';
		return;
	}
	buf_grow(b, (size_t)n);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += room(b, (size_t)n);
	b->data[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t n)
{
	if (n >= b->len)
		return;
	b->len = n;
	b->data[n] = '\0';
}

char *buf_detach(struct buf *b, size_t *len_out)
{
	char *p;

	if (len_out)
		*len_out = b->len;
	p = b->cap ? b->data : xstrdup("");
	buf_init(b);
	return p;
}
