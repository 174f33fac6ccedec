/*
 * strv: the one growable array of strings.  A strv owns its strings and
 * the array: strv_release() frees both.  Once something was pushed, v[n]
 * is NULL, so v also serves where a NULL-terminated list is wanted.  The
 * fields are the API (read v and n directly); a caller may take v over
 * instead of releasing it, and then frees each string and v itself.
 */
#ifndef SUREL_STRV_H
#define SUREL_STRV_H

#include <stddef.h>

struct strv {
	char **v;
	size_t n, cap;
};

#define STRV_INIT { NULL, 0, 0 }

/* Append a copy of str. */
void strv_push(struct strv *s, const char *str);
/* Append str itself, which the strv then owns (str came from malloc). */
void strv_push_owned(struct strv *s, char *str);
/* Append a copy of each non-empty piece of str between delims (strtok's
 * sense); a NULL str appends nothing. */
void strv_split(struct strv *s, const char *str, const char *delims);
/* Sort with cmp (qsort's, on char **) and drop every string equal (cmp 0)
 * to the one before it. */
void strv_sort_unique(struct strv *s, int (*cmp)(const void *, const void *));
/* Free the strings and the array; s is empty (STRV_INIT) afterwards. */
void strv_release(struct strv *s);
/* Free an array of n strings taken over from a strv (or built the same
 * way: each string and v from malloc); v may be NULL. */
void strv_free_v(char **v, size_t n);

#endif
