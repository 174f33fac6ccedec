#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "mutf7.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* The code point of the valid UTF-8 sequence at *p; *p moves past it. */
static uint32_t utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	size_t n = 0, i;

	if (c >= 0xf0) {
		c &= 0x07;
		n = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		n = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		n = 1;
	}
	for (i = 1; i <= n; i++)
		c = (c << 6) | (s[i] & 0x3f);
	*p = s + n + 1;
	return c;
}

static void utf8_put(struct buf *b, uint32_t c)
{
	static const unsigned char lead[] = { 0x00, 0xc0, 0xe0, 0xf0 };
	int more = c < 0x80 ? 0 : c < 0x800 ? 1 : c < 0x10000 ? 2 : 3;

	buf_putc(b, (int)(lead[more] | (c >> (6 * more))));
	while (more-- > 0)
		buf_putc(b, (int)(0x80 | ((c >> (6 * more)) & 0x3f)));
}

/* A base64 run being written: bits not yet out, and how many. */
struct run {
	uint32_t bits;
	unsigned nbits;
};

static void run_put16(struct buf *b, struct run *r, uint32_t unit)
{
	r->bits = (r->bits << 16) | unit;
	r->nbits += 16;
	while (r->nbits >= 6) {
		r->nbits -= 6;
		buf_putc(b, b64[(r->bits >> r->nbits) & 0x3f]);
	}
	r->bits &= (1u << r->nbits) - 1;
}

static void run_end(struct buf *b, struct run *r)
{
	if (r->nbits)
		buf_putc(b, b64[(r->bits << (6 - r->nbits)) & 0x3f]);
	buf_putc(b, '-');
	r->bits = 0;
	r->nbits = 0;
}

char *mutf7_encode(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	struct buf b = BUF_INIT;
	struct run r = { 0, 0 };
	int in_run = 0;

	if (!codec_utf8_valid(utf8, strlen(utf8)))
		return NULL;
	while (*p) {
		uint32_t c = utf8_next(&p);

		if (printable(c)) {
			if (in_run)
				run_end(&b, &r);
			in_run = 0;
			buf_putc(&b, (int)c);
			if (c == '&')
				buf_putc(&b, '-');
			continue;
		}
		if (!in_run)
			buf_putc(&b, '&');
		in_run = 1;
		if (c >= 0x10000) {
			run_put16(&b, &r, 0xd800 | ((c - 0x10000) >> 10));
			run_put16(&b, &r, 0xdc00 | ((c - 0x10000) & 0x3ff));
		} else {
			run_put16(&b, &r, c);
		}
	}
	if (in_run)
		run_end(&b, &r);
	return buf_detach(&b, NULL);
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

/* Decode the base64 run from s (just past "&") up to its "-" into out;
 * returns the position past the "-", or NULL when the run is invalid. */
static const char *run_decode(const char *s, struct buf *out)
{
	uint32_t bits = 0, high = 0, unit, c;
	unsigned nbits = 0;
	int v;

	for (; *s != '-'; s++) {
		if ((v = b64_value(*s)) < 0)
			return NULL;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			if (high)
				return NULL;
			high = unit;
			continue;
		}
		if (unit >= 0xdc00 && unit <= 0xdfff) {
			if (!high)
				return NULL;
			c = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
			high = 0;
		} else if (high) {
			return NULL;
		} else {
			c = unit;
		}
		/* What can stand for itself must; NUL ends a C string. */
		if (printable(c) || c == 0)
			return NULL;
		utf8_put(out, c);
	}
	/* Nothing but the zero bits that fill the last character. */
	if (high || nbits >= 6 || bits != 0)
		return NULL;
	return s + 1;
}

char *mutf7_decode(const char *s)
{
	struct buf b = BUF_INIT;
	int after_run = 0;

	while (*s) {
		unsigned char c = (unsigned char)*s;

		if (!printable(c))
			goto bad;
		if (c != '&') {
			buf_putc(&b, c);
			s++;
			after_run = 0;
			continue;
		}
		if (s[1] == '-') {
			buf_putc(&b, '&');
			s += 2;
			after_run = 0;
			continue;
		}
		/* Two runs back to back are one run to an encoder. */
		if (after_run || s[1] == '\0')
			goto bad;
		s = run_decode(s + 1, &b);
		if (!s)
			goto bad;
		after_run = 1;
	}
	return buf_detach(&b, NULL);
bad:
	buf_release(&b);
	return NULL;
}
