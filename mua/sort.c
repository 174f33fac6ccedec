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

/* What the radix sort moves: a key and the message it belongs to. */
struct item {
	uint64_t k;
	size_t i;
};

struct sort {
	size_t n;
	int64_t *date, *received, *size;
	const char **raw[3];       /* from, to, subject as given (borrowed) */
	struct skey *str[3];       /* their collation keys, made on demand */
	char *arena[3];
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

/* Fold text into d: ASCII letters lower, other bytes kept. */
static size_t fold_into(char *d, const char *text, struct skey *k)
{
	size_t i;

	for (i = 0; text[i]; i++)
		d[i] = (char)ascii_lower((unsigned char)text[i]);
	d[i] = '\0';
	k->text = d;
	k->prefix = 0;
	for (i = 0; i < 8; i++)
		k->prefix = k->prefix << 8 | (uint64_t)(unsigned char)(*d ? *d++ : 0);
	return (size_t)(d - k->text) + strlen(d) + 1;
}

/* The collation keys of string field f (0 from, 1 to, 2 subject). */
static void make_strings(struct sort *s, size_t f)
{
	size_t i, total = 0, off = 0;

	if (s->str[f])
		return;
	/* Subjects are compared without their reply prefixes. */
	if (f == 2)
		for (i = 0; i < s->n; i++)
			s->raw[f][i] = sort_subject_base(s->raw[f][i]);
	for (i = 0; i < s->n; i++)
		total += strlen(s->raw[f][i]) + 1;
	s->arena[f] = xmalloc(total ? total : 1);
	s->str[f] = xreallocarray(NULL, s->n ? s->n : 1, sizeof(*s->str[f]));
	for (i = 0; i < s->n; i++)
		off += fold_into(s->arena[f] + off, s->raw[f][i], &s->str[f][i]);
}

struct sort *sort_new(const struct sort_msg *msgs, size_t n)
{
	struct sort *s = xcalloc(1, sizeof(*s));
	size_t i, f;

	s->n = n;
	s->date = xreallocarray(NULL, n ? n : 1, sizeof(*s->date));
	s->received = xreallocarray(NULL, n ? n : 1, sizeof(*s->received));
	s->size = xreallocarray(NULL, n ? n : 1, sizeof(*s->size));
	for (f = 0; f < 3; f++)
		s->raw[f] = xreallocarray(NULL, n ? n : 1, sizeof(*s->raw[f]));
	for (i = 0; i < n; i++) {
		s->date[i] = msgs[i].date;
		s->received[i] = msgs[i].received != -1 ? msgs[i].received : msgs[i].date;
		s->size[i] = msgs[i].size;
		s->raw[0][i] = msgs[i].from;
		s->raw[1][i] = msgs[i].to;
		s->raw[2][i] = msgs[i].subject;
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
	for (k = 0; k < 3; k++) {
		free(s->raw[k]);
		free(s->str[k]);
		free(s->arena[k]);
	}
	for (k = 0; k < SORTSPEC_NKEYS; k++)
		free(s->order[k]);
	free(s->rank);
	free(s);
}

static int cmp64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int is_string(enum sortspec_key key)
{
	return key == SORTSPEC_FROM || key == SORTSPEC_TO || key == SORTSPEC_SUBJECT;
}

/* Compare by key, the string keys made already. */
static int compare(const struct sort *s, enum sortspec_key key, size_t a, size_t b)
{
	int c = 0;

	switch (key) {
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
		c = cmp64(s->date[a], s->date[b]);
		break;
	}
	return c ? c : a < b ? -1 : a > b;
}

int sort_compare(struct sort *s, enum sortspec_key key, size_t a, size_t b)
{
	if (is_string(key))
		make_strings(s, key - SORTSPEC_FROM);
	return compare(s, key, a, b);
}

/* A stable merge sort of a run whose 64-bit keys tie. */
static void merge_sort(const struct sort *s, enum sortspec_key key, size_t *v, size_t *tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j, o = 0;

	if (n < 2)
		return;
	merge_sort(s, key, v, tmp, mid);
	merge_sort(s, key, v + mid, tmp, n - mid);
	if (compare(s, key, v[mid - 1], v[mid]) <= 0)
		return;
	j = mid;
	while (i < mid && j < n)
		tmp[o++] = compare(s, key, v[i], v[j]) <= 0 ? v[i++] : v[j++];
	while (i < mid)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* The 64-bit key of message i: numbers with the sign bit flipped, so they
 * sort as unsigned; strings by their prefix. */
static uint64_t key64(const struct sort *s, enum sortspec_key key, size_t i)
{
	switch (key) {
	case SORTSPEC_RECEIVED:
		return (uint64_t)s->received[i] ^ (1ULL << 63);
	case SORTSPEC_SIZE:
		return (uint64_t)s->size[i] ^ (1ULL << 63);
	case SORTSPEC_FROM:
	case SORTSPEC_TO:
	case SORTSPEC_SUBJECT:
		return s->str[key - SORTSPEC_FROM][i].prefix;
	default:
		return (uint64_t)s->date[i] ^ (1ULL << 63);
	}
}

/* LSD radix sort on the keys, a byte a pass; stable, so equal keys stay in
 * the folder's order; a pass where every key has the same byte is skipped. */
static void radix(struct item *v, struct item *tmp, size_t n)
{
	size_t count[256], pass, i, sum;

	/* The folder comes in date order: nothing to do then. */
	for (i = 1; i < n && v[i - 1].k <= v[i].k; i++)
		;
	if (i >= n)
		return;

	for (pass = 0; pass < 8; pass++) {
		unsigned shift = (unsigned)pass * 8;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(v[i].k >> shift) & 0xff]++;
		if (n == 0 || count[(v[0].k >> shift) & 0xff] == n)
			continue;
		for (i = 0, sum = 0; i < 256; i++) {
			size_t c = count[i];

			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[count[(v[i].k >> shift) & 0xff]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}

const size_t *sort_order(struct sort *s, enum sortspec_key key)
{
	struct item *v, *tmp;
	const size_t *by_date;
	size_t i, j, *o, *scratch;

	if (key >= SORTSPEC_NKEYS || key == SORTSPEC_THREADS)
		key = SORTSPEC_DATE;
	if (s->order[key])
		return s->order[key];
	if (is_string(key))
		make_strings(s, key - SORTSPEC_FROM);
	/* Strings start from the date order, so the stable radix sort leaves
	 * equal ones by date (then the folder's order), as compare() wants. */
	by_date = is_string(key) ? sort_order(s, SORTSPEC_DATE) : NULL;
	v = xreallocarray(NULL, s->n ? s->n : 1, sizeof(*v));
	tmp = xreallocarray(NULL, s->n ? s->n : 1, sizeof(*tmp));
	for (i = 0; i < s->n; i++) {
		v[i].i = by_date ? by_date[i] : i;
		v[i].k = key64(s, key, v[i].i);
	}
	radix(v, tmp, s->n);
	free(tmp);
	o = s->order[key] = xreallocarray(NULL, s->n ? s->n : 1, sizeof(*o));
	for (i = 0; i < s->n; i++)
		o[i] = v[i].i;
	/* Numbers that tie are in the folder's order already; a run of
	 * strings sharing a prefix is sorted whole unless all are the same
	 * (the many messages of one sender). */
	if (by_date) {
		const struct skey *sk = s->str[key - SORTSPEC_FROM];

		scratch = xreallocarray(NULL, s->n ? s->n : 1, sizeof(*scratch));
		for (i = 0; i < s->n; i = j) {
			int same = 1;

			for (j = i + 1; j < s->n && v[j].k == v[i].k; j++)
				if (same && strcmp(sk[o[j]].text, sk[o[i]].text) != 0)
					same = 0;
			if (!same)
				merge_sort(s, key, o + i, scratch, j - i);
		}
		free(scratch);
	}
	free(v);
	return o;
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
