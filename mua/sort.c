#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "sort.h"
#include "xalloc.h"

/* A string key: the folded text and its first eight bytes as a big-endian
 * number, which decides most comparisons without touching the text. */
struct skey {
	uint64_t prefix;
	const char *text;
};

struct sort {
	size_t n;
	int64_t *date, *received, *size;
	struct skey *str[3];       /* from, to, subject */
	char *arena;
	size_t *order[SORTSPEC_NKEYS]; /* made on demand */
	size_t *rank;
};

time_t sort_key_time(const char *key)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; key[i] >= '0' && key[i] <= '9'; i++) {
		if (i >= 18)
			return -1;
		t = t * 10 + (key[i] - '0');
	}
	return i ? (time_t)t : -1;
}

/* One reply or forward prefix at s ("re:", "fwd:", "re[3]:"), or 0. */
static size_t prefix_len(const char *s)
{
	static const char *const words[] = { "re", "fwd", "fw", "aw" };
	size_t w, n;

	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		n = strlen(words[w]);
		if (strncasecmp(s, words[w], n) != 0)
			continue;
		if (s[n] == '[') {
			while (s[n] && s[n] != ']')
				n++;
			if (s[n] == ']')
				n++;
		}
		if (s[n] == ':')
			return n + 1;
	}
	return 0;
}

const char *sort_subject_base(const char *s)
{
	size_t n;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		n = prefix_len(s);
		if (!n)
			return s;
		s += n;
	}
}

/* Fold text into the arena at *off; ASCII letters lower, other bytes kept. */
static void fold_into(struct sort *s, size_t *off, const char *text, struct skey *k)
{
	char *d = s->arena + *off;
	size_t i;

	for (i = 0; text[i]; i++)
		d[i] = (char)ascii_lower((unsigned char)text[i]);
	d[i] = '\0';
	*off += i + 1;
	k->text = d;
	k->prefix = 0;
	for (i = 0; i < 8; i++)
		k->prefix = k->prefix << 8 | (uint64_t)(unsigned char)(*d ? *d++ : 0);
}

struct sort *sort_new(const struct sort_msg *msgs, size_t n)
{
	struct sort *s = xcalloc(1, sizeof(*s));
	size_t i, f, total = 0, off = 0;
	const char *text[3];

	s->n = n;
	s->date = xreallocarray(NULL, n ? n : 1, sizeof(*s->date));
	s->received = xreallocarray(NULL, n ? n : 1, sizeof(*s->received));
	s->size = xreallocarray(NULL, n ? n : 1, sizeof(*s->size));
	for (f = 0; f < 3; f++)
		s->str[f] = xreallocarray(NULL, n ? n : 1, sizeof(*s->str[f]));
	for (i = 0; i < n; i++)
		total += strlen(msgs[i].from) + strlen(msgs[i].to) +
			 strlen(sort_subject_base(msgs[i].subject)) + 3;
	s->arena = xmalloc(total ? total : 1);
	for (i = 0; i < n; i++) {
		s->date[i] = msgs[i].date;
		s->received[i] = msgs[i].received != -1 ? msgs[i].received : msgs[i].date;
		s->size[i] = msgs[i].size;
		text[0] = msgs[i].from;
		text[1] = msgs[i].to;
		text[2] = sort_subject_base(msgs[i].subject);
		for (f = 0; f < 3; f++)
			fold_into(s, &off, text[f], &s->str[f][i]);
	}
	return s;
}

void sort_free(struct sort *s)
{
	size_t k;

	if (!s)
		return;
	free(s->date);
	free(s->received);
	free(s->size);
	for (k = 0; k < 3; k++)
		free(s->str[k]);
	free(s->arena);
	for (k = 0; k < SORTSPEC_NKEYS; k++)
		free(s->order[k]);
	free(s->rank);
	free(s);
}

static int cmp64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

int sort_compare(const struct sort *s, enum sortspec_key key, size_t a, size_t b)
{
	int c = 0;

	switch (key) {
	case SORTSPEC_DATE:
	case SORTSPEC_THREADS:
		c = cmp64(s->date[a], s->date[b]);
		break;
	case SORTSPEC_RECEIVED:
		c = cmp64(s->received[a], s->received[b]);
		break;
	case SORTSPEC_SIZE:
		c = cmp64(s->size[a], s->size[b]);
		break;
	case SORTSPEC_FROM:
	case SORTSPEC_TO:
	case SORTSPEC_SUBJECT: {
		const struct skey *ka = &s->str[key - SORTSPEC_FROM][a], *kb = &s->str[key - SORTSPEC_FROM][b];

		c = ka->prefix < kb->prefix ? -1 : ka->prefix > kb->prefix;
		if (c == 0)
			c = strcmp(ka->text, kb->text);
		/* Equal keys keep the folder's order, newest last. */
		if (c == 0)
			c = cmp64(s->date[a], s->date[b]);
		break;
	}
	default:
		break;
	}
	return c ? c : a < b ? -1 : a > b;
}

/* A stable merge sort: qsort has no context argument in C11, and a
 * merge sort's comparisons (n log n, no worst case) suit 100000 rows. */
static void merge_sort(const struct sort *s, enum sortspec_key key, size_t *v, size_t *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j, o = 0;

	if (n < 2)
		return;
	merge_sort(s, key, v, tmp, mid);
	merge_sort(s, key, v + mid, tmp, n - mid);
	if (sort_compare(s, key, v[mid - 1], v[mid]) <= 0)
		return;
	j = mid;
	while (i < mid && j < n)
		tmp[o++] = sort_compare(s, key, v[i], v[j]) <= 0 ? v[i++] : v[j++];
	while (i < mid)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

const size_t *sort_order(struct sort *s, enum sortspec_key key)
{
	size_t i, *tmp;

	if (key >= SORTSPEC_NKEYS)
		key = SORTSPEC_DATE;
	if (s->order[key])
		return s->order[key];
	s->order[key] = xreallocarray(NULL, s->n ? s->n : 1, sizeof(size_t));
	for (i = 0; i < s->n; i++)
		s->order[key][i] = i;
	tmp = xreallocarray(NULL, s->n ? s->n : 1, sizeof(size_t));
	merge_sort(s, key, s->order[key], tmp, s->n);
	free(tmp);
	return s->order[key];
}

const size_t *sort_rank(struct sort *s, enum sortspec_key key, int reverse)
{
	const size_t *o = sort_order(s, key);
	size_t i;

	if (!s->rank)
		s->rank = xreallocarray(NULL, s->n ? s->n : 1, sizeof(size_t));
	for (i = 0; i < s->n; i++)
		s->rank[o[i]] = reverse ? s->n - 1 - i : i;
	return s->rank;
}
