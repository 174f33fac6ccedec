/*
 * xalloc: allocation that cannot fail.  On out-of-memory these print one
 * line and exit with EX_OSERR; that is safe because every durable change in
 * surel commits with a single rename.  Everything returned is the caller's to
 * free() unless a function says otherwise.
 */
#ifndef SUREL_XALLOC_H
#define SUREL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow an array of nmemb elements of size bytes; checks the multiplication. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Copy n bytes and add a NUL after them. */
char *xmemdup(const void *p, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
