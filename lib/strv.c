#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "xalloc.h"

void strv_push_owned(struct strv *s, char *str)
{
	/* One slot more for the NULL after the last string. */
	if (s->n + 1 >= s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void strv_push(struct strv *s, const char *str)
{
	strv_push_owned(s, xstrdup(str));
}

void strv_split(struct strv *s, const char *str, const char *delims)
{
	char *copy, *tok, *save = NULL;

	if (!str)
		return;
	copy = xstrdup(str);
	for (tok = strtok_r(copy, delims, &save); tok; tok = strtok_r(NULL, delims, &save))
		strv_push(s, tok);
	free(copy);
}

void strv_sort_unique(struct strv *s, int (*cmp)(const void *, const void *))
{
	size_t i, j;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp);
	for (i = j = 1; i < s->n; i++) {
		if (cmp(&s->v[j - 1], &s->v[i]) == 0)
			free(s->v[i]);
		else
			s->v[j++] = s->v[i];
	}
	s->n = j;
	s->v[s->n] = NULL;
}

void strv_free_v(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void strv_release(struct strv *s)
{
	strv_free_v(s->v, s->n);
	s->v = NULL;
	s->n = s->cap = 0;
}
