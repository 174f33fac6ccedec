#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bodysearch.h"
#include "buf.h"
#include "idxhint.h"
#include "msg.h"
#include "pattern.h"
#include "search.h"
#include "strv.h"
#include "xalloc.h"

/* The state of one search, fed piece by piece. */
struct search {
	const struct pattern_re *re;
	struct buf head;      /* the first BODYSEARCH_DECODE_MAX bytes */
	size_t body;          /* offset of the body, (size_t)-1 until known */
	size_t total;         /* bytes fed */
	struct buf tail;      /* body bytes after the last line end searched */
	int found;
};

/* Of a line longer than BODYSEARCH_LINE_MAX, this much is searched again
 * with the next window, for a match across the cut. */
#define LINE_OVERLAP 1024u

/* Drop the first n bytes of the tail. */
static void tail_shift(struct search *s, size_t n)
{
	memmove(s->tail.data, s->tail.data + n, s->tail.len - n);
	buf_truncate(&s->tail, s->tail.len - n);
}

/* Search body bytes: the whole lines among them (with the unfinished
 * line of the previous piece in front); the rest waits for the next. */
static void search_body(struct search *s, const char *p, size_t len)
{
	const char *nl;

	if (len == 0 || s->found)
		return;
	buf_append(&s->tail, p, len);
	nl = memrchr(s->tail.data, '\n', s->tail.len);
	if (nl) {
		if (pattern_re_match(s->re, s->tail.data, (size_t)(nl - s->tail.data)))
			s->found = 1;
		tail_shift(s, (size_t)(nl + 1 - s->tail.data));
	}
	if (!s->found && s->tail.len > BODYSEARCH_LINE_MAX) {
		if (pattern_re_match(s->re, s->tail.data, s->tail.len))
			s->found = 1;
		tail_shift(s, s->tail.len - LINE_OVERLAP);
	}
}

/* The end of the header block in the head bytes: just past the empty line. */
static size_t header_end(const struct buf *h)
{
	size_t i;

	for (i = 0; i + 1 < h->len; i++) {
		if (h->data[i] != '\n')
			continue;
		if (h->data[i + 1] == '\n')
			return i + 2;
		if (h->data[i + 1] == '\r' && i + 2 < h->len && h->data[i + 2] == '\n')
			return i + 3;
	}
	return (size_t)-1;
}

static void feed(struct search *s, const char *p, size_t len)
{
	size_t room = s->head.len < BODYSEARCH_DECODE_MAX ? BODYSEARCH_DECODE_MAX - s->head.len : 0;
	size_t start = s->total;

	buf_append(&s->head, p, len < room ? len : room);
	s->total += len;
	if (s->body == (size_t)-1) {
		s->body = header_end(&s->head);
		if (s->body == (size_t)-1 && s->head.len < BODYSEARCH_DECODE_MAX)
			return;
		/* A header block larger than what is kept: the rest is body. */
		if (s->body == (size_t)-1)
			s->body = s->head.len;
		/* Body bytes that came with earlier pieces are in head. */
		if (s->body < start)
			search_body(s, s->head.data + s->body, start - s->body);
	}
	if (s->body < s->total) {
		size_t from = s->body > start ? s->body - start : 0;

		search_body(s, p + from, len - from);
	}
}

/* No raw match: the decoded text of what was kept. */
static int finish(struct search *s)
{
	struct msg *m;
	char *text;
	size_t tlen;
	int r = s->found;

	if (!r && s->tail.len)
		r = pattern_re_match(s->re, s->tail.data, s->tail.len);
	if (!r && s->head.len) {
		m = msg_parse(s->head.data, s->head.len, 0);
		text = m ? msg_text_n(m, &tlen) : NULL;
		if (text && pattern_re_match(s->re, text, tlen))
			r = 1;
		free(text);
		msg_free(m);
	}
	buf_release(&s->head);
	buf_release(&s->tail);
	return r;
}

static void start(struct search *s, const struct pattern_re *re, unsigned flags)
{
	memset(s, 0, sizeof(*s));
	s->re = re;
	buf_init(&s->head);
	buf_init(&s->tail);
	/* The whole message is a body that starts at its first byte. */
	s->body = (flags & BODYSEARCH_WHOLE) ? 0 : (size_t)-1;
}

int bodysearch_fd(int fd, const struct pattern_re *re, unsigned flags,
		  bodysearch_progress_fn progress, void *arg)
{
	struct search s;
	char *chunk = malloc(BODYSEARCH_CHUNK);
	ssize_t r;

	if (!chunk)
		return -1;
	start(&s, re, flags);
	while (!s.found) {
		r = read(fd, chunk, BODYSEARCH_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(chunk);
			finish(&s);
			return -1;
		}
		if (r == 0)
			break;
		feed(&s, chunk, (size_t)r);
		if (progress && progress(arg, s.total)) {
			free(chunk);
			finish(&s);
			return -1;
		}
	}
	free(chunk);
	return finish(&s);
}

int bodysearch_mem(const char *data, size_t len, const struct pattern_re *re, unsigned flags,
		   bodysearch_progress_fn progress, void *arg)
{
	struct search s;
	size_t off = 0, n;

	start(&s, re, flags);
	while (off < len && !s.found) {
		n = len - off < BODYSEARCH_CHUNK ? len - off : BODYSEARCH_CHUNK;
		feed(&s, data + off, n);
		off += n;
		if (progress && progress(arg, off)) {
			finish(&s);
			return -1;
		}
	}
	return finish(&s);
}

/* ---- through the search index ---- */

/* The answer for one needle: the sorted keys that hold it, or unusable. */
struct needle_keys {
	char *needle;
	int whole;
	char **keys;
	size_t n;
	int usable;
};

struct bodysearch_index {
	struct search *s;
	char *folder;
	struct needle_keys *v;
	size_t nv;
};

struct bodysearch_index *bodysearch_index_open(const struct cfg_account *acct, const char *root,
					       const char *dir)
{
	struct err err = ERR_INIT;
	struct bodysearch_index *bi;
	struct search *s;
	char *folder;
	int hold, rc;

	if (!root || !dir || !*dir)
		return NULL;
	s = search_open(root, SEARCH_EXISTING, &err);
	if (!s)
		return NULL;
	hold = idxhint_hold(root);
	rc = search_refresh(s, NULL, NULL, &err);
	idxhint_release(acct, hold);
	if (rc < 0 || !(folder = search_folder_name(s, dir))) {
		search_close(s);
		return NULL;
	}
	bi = xcalloc(1, sizeof(*bi));
	bi->s = s;
	bi->folder = folder;
	return bi;
}

static const struct needle_keys *keys_for(struct bodysearch_index *bi, const char *needle,
					  int whole)
{
	struct err err = ERR_INIT;
	struct needle_keys *k;
	size_t i;

	for (i = 0; i < bi->nv; i++)
		if (strcmp(bi->v[i].needle, needle) == 0 && bi->v[i].whole == whole)
			return &bi->v[i];
	bi->v = xreallocarray(bi->v, bi->nv + 1, sizeof(*bi->v));
	k = &bi->v[bi->nv++];
	k->needle = xstrdup(needle);
	k->whole = whole;
	k->keys = NULL;
	k->n = 0;
	/* A regular expression is no words: the files answer it. */
	k->usable = !strpbrk(needle, ".[]()*+?{}|^$\\") &&
		    search_keys(bi->s, bi->folder, needle, whole, &k->keys, &k->n, &err) == 1;
	return k;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(a, *(char *const *)b);
}

int bodysearch_index_has(struct bodysearch_index *bi, const char *text, int whole,
			 const char *key)
{
	const struct needle_keys *k = keys_for(bi, text, whole);

	if (!k->usable)
		return -1;
	return k->n && bsearch(key, k->keys, k->n, sizeof(*k->keys), cmp_key) != NULL;
}

void bodysearch_index_free(struct bodysearch_index *bi)
{
	size_t i;

	if (!bi)
		return;
	for (i = 0; i < bi->nv; i++) {
		free(bi->v[i].needle);
		strv_free_v(bi->v[i].keys, bi->v[i].n);
	}
	free(bi->v);
	free(bi->folder);
	search_close(bi->s);
	free(bi);
}
