/*
 * buf: the one growable byte buffer.  After BUF_INIT or buf_init() `data` is
 * never NULL and always NUL-terminated at data[len]; embedded NULs are fine.
 * A buffer may carry a maximum length: appends past it are cut and `overflow`
 * is set, so hostile input cannot grow it without bound.
 * The buffer owns `data`; buf_release() frees it, buf_detach() hands it over.
 */
#ifndef SUREL_BUF_H
#define SUREL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;       /* 0 while data points at the shared empty string */
	size_t max;       /* 0 = unbounded */
	int overflow;     /* set once an append was cut at max */
};

extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0, 0, 0 }

void buf_init(struct buf *b);
/* Free the data and return b to the BUF_INIT state (max is kept). */
void buf_release(struct buf *b);
/* buf_release() after zeroing the whole allocation: for secrets and
 * plaintext that must not stay in freed memory. */
void buf_wipe(struct buf *b);
/* Drop the contents but keep the allocation. */
void buf_reset(struct buf *b);
/* Make room for n more bytes. */
void buf_grow(struct buf *b, size_t n);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, int c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Shorten to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);
/* Return the heap string (caller frees) and reset b; *len_out may be NULL. */
char *buf_detach(struct buf *b, size_t *len_out);

#endif
