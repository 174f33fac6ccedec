#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "index.h"
#include "index_cache.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "path.h"
#include "strv.h"
#include "summary.h"
#include "xalloc.h"

/* Most header blocks fit in the first read; longer ones (signatures,
 * Received chains) are read on until the blank line, up to HEAD_MAX. */
#define HEAD_FIRST 4096
#define HEAD_MAX (256 * 1024)

/* A free slot of the key table in scan(). */
#define TAB_EMPTY UINT64_MAX

/* Strings are carved from chunks of this size. */
#define CHUNK (256 * 1024)

enum rec_state {
	REC_SEEN = 1u << 0,     /* listed by the current scan */
	REC_NEW = 1u << 1,      /* not summarised yet */
	REC_NOCACHE = 1u << 2,  /* unreadable: keep out of the cache, retry next time */
	/* Its key names another file too (new/ and cur/): the cache, which
	 * matches by key, cannot tell them apart, so both stay out of it and
	 * are summarised on every scan. */
	REC_TWIN = 1u << 3,
};

/* A message and its bookkeeping; index_at() hands out &rec.m. */
struct rec {
	struct index_msg m;
	unsigned state;
};

/* Bump allocator: strings live until the arena is freed. */
struct chunk {
	struct chunk *next;
	size_t len, cap;
	char data[];
};

struct index {
	char *dir;            /* as given */
	char *real;           /* absolute path (NULL with INDEX_NO_CACHE) */
	char *cache_path;     /* NULL with INDEX_NO_CACHE */
	struct rec *v;
	size_t n, cap;
	char *cache_data;     /* the cache file as read; loaded records point into it */
	struct chunk *strs;   /* strings of records summarised here */
	struct strv names;    /* paths from the last scan */
	struct buf fields;    /* the fields of one header block the summary reads */
	struct buf scratch;   /* summary_read()'s strings of one message */
	int dirty;            /* the cache differs from what we know */
};

/* ---- strings ---- */

static char *arena_alloc(struct chunk **head, size_t n)
{
	struct chunk *c = *head;
	char *p;

	if (!c || c->cap - c->len < n) {
		size_t cap = n > CHUNK ? n : CHUNK;

		c = xmalloc(sizeof(*c) + cap);
		c->next = *head;
		c->len = 0;
		c->cap = cap;
		*head = c;
	}
	p = c->data + c->len;
	c->len += n;
	return p;
}

static const char *arena_dup(struct chunk **head, const char *s, size_t n)
{
	char *p;

	if (n == 0)
		return "";
	p = arena_alloc(head, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void arena_free(struct chunk **head)
{
	struct chunk *c, *next;

	for (c = *head; c; c = next) {
		next = c->next;
		free(c);
	}
	*head = NULL;
}

/* ---- the cache file ---- */

/* Fill ix->v from the cache file; -1 leaves ix empty. */
static int cache_load(struct index *ix)
{
	struct index_cache_in in;
	char *data;
	uint64_t i;

	if (index_cache_load(&in, ix->cache_path, ix->real, &data) < 0)
		return -1;
	ix->v = xreallocarray(NULL, in.count ? in.count : 1, sizeof(*ix->v));
	ix->cap = in.count ? in.count : 1;
	for (i = 0; i < in.count; i++) {
		memset(&ix->v[i], 0, sizeof(ix->v[i]));
		if (index_cache_next(&in, &ix->v[i].m) < 0)
			goto bad;
	}
	if (index_cache_done(&in) < 0)
		goto bad;
	ix->n = in.count;
	ix->cache_data = data;
	return 0;
bad:
	free(ix->v);
	free(data);
	ix->v = NULL;
	ix->cap = 0;
	return -1;
}

/* Write the cache (index_cache.h).  A failure costs only speed next time,
 * so it is a warning, not an error of the open. */
static void cache_save(struct index *ix)
{
	struct err err = ERR_INIT;
	struct index_cache_out *o;
	uint64_t count = 0;
	size_t i;

	for (i = 0; i < ix->n; i++)
		if (!(ix->v[i].state & (REC_NOCACHE | REC_TWIN)))
			count++;
	o = index_cache_create(ix->cache_path, ix->real, count, &err);
	if (!o) {
		log_warnx("cannot write index cache: %s", err.msg);
		return;
	}
	for (i = 0; i < ix->n; i++)
		if (!(ix->v[i].state & (REC_NOCACHE | REC_TWIN)))
			index_cache_put(o, &ix->v[i].m);
	if (index_cache_commit(o, &err) < 0)
		log_warnx("cannot write index cache: %s", err.msg);
	else
		ix->dirty = 0;
}

/* ---- summarising one message ---- */

/* Where the header block ends in p[0..n) ("\n\n" or "\n\r\n"), or NULL
 * while it goes on.  One memchr per line: header lines are short, and this
 * runs over every new message. */
static const char *head_end(const char *p, size_t n)
{
	const char *end = p + n, *q = p;

	while ((q = memchr(q, '\n', (size_t)(end - q))) && end - q >= 2) {
		if (q[1] == '\n' || (q[1] == '\r' && end - q >= 3 && q[2] == '\n'))
			return q;
		q++;
	}
	return NULL;
}

/* Whether the first n bytes of a file hold its whole header block (which
 * is empty when the file starts with a blank line). */
static int head_complete(const char *p, size_t n)
{
	if (n >= 1 && p[0] == '\n')
		return 1;
	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return 1;
	return head_end(p, n) != NULL;
}

/* Append the header block of the message at rel ("cur/NAME"), whose
 * directory is open as dfd, to out; with size_out, also get the file's
 * size.  The first read asks for HEAD_FIRST bytes, which hold most header
 * blocks; longer ones are read on until the blank line or HEAD_MAX: a
 * summary never reads a body.  -1 with errno set, *op_out naming the step
 * that failed.  Safe in the reader thread: touches only its arguments. */
static int read_head(int dfd, const char *rel, struct buf *out, off_t *size_out,
		     const char **op_out)
{
	char chunk[16384];
	struct stat st;
	size_t start = out->len, want = HEAD_FIRST, from;
	ssize_t r;
	/* O_NONBLOCK: a FIFO must not wait for a writer; only regular
	 * files are read (not a FIFO, nor a link to /dev/zero). */
	int saved, fd = openat(dfd, rel + 4, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	*op_out = "open";
	if (fd < 0)
		return -1;
	*op_out = "stat";
	if (fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*op_out = "open non-regular file";
		errno = EINVAL;
		goto fail;
	}
	if (size_out)
		*size_out = st.st_size;
	*op_out = "read";
	while (out->len - start < HEAD_MAX) {
		r = read(fd, chunk, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		/* Look again only at the new bytes, plus the two a split
		 * "\n\r\n" may have left behind. */
		from = out->len - start >= 2 ? out->len - 2 : start;
		buf_append(out, chunk, (size_t)r);
		if (from == start ? head_complete(out->data + start, out->len - start)
				  : head_end(out->data + from, out->len - from) != NULL)
			break;
		want = sizeof(chunk);
	}
	close(fd);
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static const char *store(struct index *ix, const char *s)
{
	return arena_dup(&ix->strs, s, strlen(s));
}

/* Whether the header name p[0..n) is one the summary reads. */
static int wanted(const char *p, size_t n)
{
	static const char *const names[] = {
		"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
		"List-Post", "List-Id",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], p, n) == 0)
			return 1;
	return 0;
}

/* Copy the fields of the header block at p[0..n) that the summary reads
 * (with their continuation lines, every occurrence, in order) to out.
 * Received chains and signatures are most of a header block; leaving them
 * out before msg_parse() halves the cost of a cold open.  The block ends
 * where msg.h ends it: at the first line that is neither a field, a
 * continuation nor a "From " line (lines end at CRLF, LF or a lone CR), so
 * msg_parse() of out finds the same first occurrences as of the whole. */
static void head_filter(const char *p, size_t n, struct buf *out)
{
	const char *end = p + n, *e, *next, *c;
	int keep = 0;

	buf_reset(out);
	for (; p < end; p = next) {
		e = memchr(p, '\n', (size_t)(end - p));
		next = e ? e + 1 : end;
		if (!e)
			e = end;
		c = memchr(p, '\r', (size_t)(e - p));
		if (c) {
			e = c;
			next = c + 1 < end && c[1] == '\n' ? c + 2 : c + 1;
		}
		if (p == e)
			break;
		if (*p == ' ' || *p == '\t') {
			if (keep)
				buf_append(out, p, (size_t)(next - p));
			continue;
		}
		if (e - p >= 5 && memcmp(p, "From ", 5) == 0) {
			keep = 0;
			continue;
		}
		for (c = p; c < e && *c != ':'; c++)
			if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
				break;
		if (c == e || *c != ':')
			break;
		keep = wanted(p, (size_t)(c - p));
		if (keep)
			buf_append(out, p, (size_t)(next - p));
	}
}

/* Summarise the header block at head into r (strings into ix->strs). */
static void summarise(struct index *ix, struct rec *r, const char *head, size_t len)
{
	struct summary s;
	struct msg *m;

	head_filter(head, len, &ix->fields);
	m = msg_parse(ix->fields.data, ix->fields.len, MSG_HEADERS_ONLY);
	if (!m)
		return;
	summary_read(m, &ix->scratch, &s);
	r->m.date = s.date;
	r->m.from = store(ix, s.from);
	r->m.from_addr = store(ix, s.from_addr);
	r->m.to = store(ix, s.to);
	r->m.subject = store(ix, s.subject);
	r->m.message_id = s.message_id ? store(ix, s.message_id) : NULL;
	r->m.in_reply_to = s.in_reply_to ? store(ix, s.in_reply_to) : NULL;
	r->m.references = s.references ? store(ix, s.references) : NULL;
	r->m.to_all = s.to_all ? store(ix, s.to_all) : NULL;
	r->m.cc_all = s.cc_all ? store(ix, s.cc_all) : NULL;
	r->m.list = s.list ? store(ix, s.list) : NULL;
	msg_free(m);
}

/*
 * Reading header blocks for summarise_new().  The system calls (open, read,
 * close per message) are half the cost of a cold open and parsing is the
 * other half, so a second thread reads the next batch of header blocks
 * while this one parses the last: on two cores a cold open of 100000
 * messages takes little more than the parsing alone.  The reader touches
 * only the job list and the batch it fills; msg.h, the arenas, the records
 * and logging stay with the calling thread.
 */
#define BATCH 256

struct job {
	const char *rel;        /* "cur/NAME" */
	size_t rec;             /* its record in ix->v */
	int want_size;          /* no ",S=" in the name: fstat */
	size_t off, len;        /* the header block in the batch's data */
	off_t size;
	int errnum;             /* 0, or errno of the step op that failed */
	const char *op;
};

struct batch {
	struct job *jobs;       /* a window of the reader's job list */
	size_t n;
	struct buf data;        /* the header blocks, one after the other */
	int full;               /* filled by the reader, not yet parsed */
};

struct reader {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *jobs;
	size_t njobs;
	int dfd[2];             /* new/ and cur/ */
	struct batch b[2];
};

/* Read the header blocks of jobs start... into b. */
static void fill_batch(struct reader *rd, struct batch *b, size_t start)
{
	size_t i;

	b->jobs = rd->jobs + start;
	b->n = rd->njobs - start < BATCH ? rd->njobs - start : BATCH;
	buf_reset(&b->data);
	for (i = 0; i < b->n; i++) {
		struct job *j = &b->jobs[i];
		int dfd = rd->dfd[j->rel[0] == 'n' ? 0 : 1];

		j->off = b->data.len;
		j->errnum = 0;
		if (dfd < 0) {
			j->errnum = ENOENT;
			j->op = "open";
		} else if (read_head(dfd, j->rel, &b->data, j->want_size ? &j->size : NULL,
				     &j->op) < 0) {
			j->errnum = errno;
		}
		j->len = b->data.len - j->off;
	}
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	size_t next = 0;
	int k = 0;

	while (next < rd->njobs) {
		struct batch *b = &rd->b[k];

		pthread_mutex_lock(&rd->lock);
		while (b->full)
			pthread_cond_wait(&rd->cond, &rd->lock);
		pthread_mutex_unlock(&rd->lock);
		fill_batch(rd, b, next);
		next += b->n;
		pthread_mutex_lock(&rd->lock);
		b->full = 1;
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->lock);
		k ^= 1;
	}
	return NULL;
}

/* Parse the header blocks of batch b into their records. */
static void parse_batch(struct index *ix, struct batch *b)
{
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct job *j = &b->jobs[i];
		struct rec *r = &ix->v[j->rec];

		/* A message that vanished or cannot be read keeps its line
		 * (with what its name says) but stays out of the cache, so the
		 * next open tries again. */
		if (j->errnum) {
			errno = j->errnum;
			err_sys(&err, afile_err_code(j->errnum, EX_NOINPUT), "cannot %s '%s/%s'",
				j->op, ix->dir, j->rel);
			log_warnx("%s", err.msg);
			err_clear(&err);
			r->state |= REC_NOCACHE;
			continue;
		}
		if (j->want_size)
			r->m.size = j->size;
		summarise(ix, r, b->data.data + j->off, j->len);
	}
}

/* Summarise every REC_NEW record by reading its header block. */
static void summarise_new(struct index *ix)
{
	struct reader rd;
	pthread_t tid;
	size_t i, done;
	int k, threaded = 0;

	memset(&rd, 0, sizeof(rd));
	for (i = 0; i < ix->n; i++)
		if (ix->v[i].state & REC_NEW)
			rd.njobs++;
	if (rd.njobs == 0)
		return;
	ix->dirty = 1;
	rd.jobs = xreallocarray(NULL, rd.njobs, sizeof(*rd.jobs));
	for (i = 0, k = 0; i < ix->n; i++) {
		struct rec *r = &ix->v[i];

		if (!(r->state & REC_NEW))
			continue;
		r->state &= ~(unsigned)(REC_NEW | REC_NOCACHE);
		memset(&rd.jobs[k], 0, sizeof(rd.jobs[k]));
		rd.jobs[k].rel = r->m.path;
		rd.jobs[k].rec = i;
		rd.jobs[k].want_size = r->m.size < 0;
		k++;
	}
	for (k = 0; k < 2; k++) {
		char *p = path_join(ix->dir, k ? "cur" : "new");

		rd.dfd[k] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(p);
		/* Allocated here, so the reader never writes the shared empty
		 * string of an unallocated buf. */
		buf_init(&rd.b[k].data);
		buf_grow(&rd.b[k].data, BATCH * HEAD_FIRST);
	}
	/* A thread pays off only when there is more than one batch; if none
	 * can be started, this thread reads as well. */
	if (rd.njobs > BATCH && pthread_mutex_init(&rd.lock, NULL) == 0) {
		if (pthread_cond_init(&rd.cond, NULL) == 0) {
			sigset_t all, old;

			/* Signals (the MUA's SIGWINCH, SIGINT) stay with the
			 * caller's thread: the reader starts with all blocked. */
			sigfillset(&all);
			pthread_sigmask(SIG_SETMASK, &all, &old);
			threaded = pthread_create(&tid, NULL, reader_main, &rd) == 0;
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			if (!threaded)
				pthread_cond_destroy(&rd.cond);
		}
		if (!threaded)
			pthread_mutex_destroy(&rd.lock);
	}
	for (done = 0, k = 0; done < rd.njobs; k ^= 1) {
		struct batch *b = &rd.b[k];

		if (threaded) {
			pthread_mutex_lock(&rd.lock);
			while (!b->full)
				pthread_cond_wait(&rd.cond, &rd.lock);
			pthread_mutex_unlock(&rd.lock);
		} else {
			fill_batch(&rd, b, done);
		}
		parse_batch(ix, b);
		done += b->n;
		if (threaded) {
			pthread_mutex_lock(&rd.lock);
			b->full = 0;
			pthread_cond_broadcast(&rd.cond);
			pthread_mutex_unlock(&rd.lock);
		}
	}
	if (threaded) {
		pthread_join(tid, NULL);
		pthread_cond_destroy(&rd.cond);
		pthread_mutex_destroy(&rd.lock);
	}
	for (k = 0; k < 2; k++) {
		if (rd.dfd[k] >= 0)
			close(rd.dfd[k]);
		buf_release(&rd.b[k].data);
	}
	free(rd.jobs);
}

/* ---- order ---- */

static int rec_cmp(const struct index_msg *a, const struct index_msg *b)
{
	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return strcmp(a->key, b->key);
}

struct skey {
	time_t date;
	const char *key;
	size_t i;
};

static int skey_cmp(const void *x, const void *y)
{
	const struct skey *a = x, *b = y;

	if (a->date != b->date)
		return a->date < b->date ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Date order, ties by key.  The cache is written sorted, so a warm open
 * usually finds the order right and pays one pass; otherwise small keys
 * are sorted (glibc's qsort is a merge sort) and the records then moved
 * into place along the permutation's cycles, without a second array. */
static void sort_recs(struct index *ix)
{
	struct skey *k;
	struct rec tmp;
	size_t i, j, src;

	for (i = 1; i < ix->n; i++)
		if (rec_cmp(&ix->v[i - 1].m, &ix->v[i].m) > 0)
			break;
	if (i >= ix->n)
		return;
	k = xreallocarray(NULL, ix->n, sizeof(*k));
	for (i = 0; i < ix->n; i++) {
		k[i].date = ix->v[i].m.date;
		k[i].key = ix->v[i].m.key;
		k[i].i = i;
	}
	qsort(k, ix->n, sizeof(*k), skey_cmp);
	/* Record k[j].i belongs at j; k[j].i = j marks j as done. */
	for (i = 0; i < ix->n; i++) {
		if (k[i].i == i)
			continue;
		tmp = ix->v[i];
		for (j = i; (src = k[j].i) != i; j = src) {
			ix->v[j] = ix->v[src];
			k[j].i = j;
		}
		ix->v[j] = tmp;
		k[j].i = j;
	}
	free(k);
	/* The cache keeps the order, so the next open finds it sorted. */
	ix->dirty = 1;
}

/* ---- scanning the folder ---- */

/* Where list_one() puts the names of one subdirectory. */
struct listing {
	const char *sub;        /* "new" or "cur" */
	struct strv *out;
};

/* Add "SUB/NAME" to the listing. */
static void list_one(void *arg, int dfd, const char *name)
{
	struct listing *l = arg;
	size_t len = strlen(name);
	/* UNSAFE: "new/" or "cur/" (4 bytes), the name, its NUL. */
	char *s = xmalloc(4 + len + 1);

	(void)dfd;
	memcpy(s, l->sub, 3);
	s[3] = '/';
	memcpy(s + 4, name, len + 1);
	strv_push_owned(l->out, s);
}

/* Add "SUB/NAME" for every message file in dir/sub to out: readdir only,
 * no stat, no open. */
static int list_sub(const struct index *ix, const char *sub, struct strv *out,
		    struct err *err)
{
	struct listing l = { sub, out };

	return maildir_each(ix->dir, sub, list_one, &l, err);
}

static struct rec *rec_add(struct index *ix)
{
	struct rec *r;

	if (ix->n == ix->cap) {
		ix->cap = ix->cap ? 2 * ix->cap : 256;
		ix->v = xreallocarray(ix->v, ix->cap, sizeof(*ix->v));
	}
	r = &ix->v[ix->n++];
	memset(r, 0, sizeof(*r));
	r->m.date = -1;
	r->m.size = -1;
	r->m.from = r->m.from_addr = r->m.to = r->m.subject = "";
	return r;
}

/* Copy every string of the records into a fresh arena and drop the old
 * storage, so the space of dropped records comes back. */
static void compact(struct index *ix)
{
	struct chunk *strs = NULL;
	size_t i, k;

	for (i = 0; i < ix->n; i++) {
		const char **f[INDEX_CACHE_NSTR];

		index_cache_strs(&ix->v[i].m, f);
		for (k = 0; k < INDEX_CACHE_NSTR; k++)
			if (*f[k])
				*f[k] = arena_dup(&strs, *f[k], strlen(*f[k]));
	}
	arena_free(&ix->strs);
	free(ix->cache_data);
	ix->cache_data = NULL;
	ix->strs = strs;
}

/* 1 when the file rel (of the folder) is still there. */
static int still_there(const struct index *ix, const char *rel)
{
	char *p = path_join(ix->dir, rel);
	struct stat st;
	int rc = lstat(p, &st) == 0;

	free(p);
	return rc;
}

/* Match the folder's files against the records by key: known ones take
 * their current path and flags, new ones are summarised, vanished ones
 * dropped.  A key in both new/ and cur/ is two messages (two records).
 * On failure the records are as they were. */
static int scan(struct index *ix, int is_refresh, struct err *err)
{
	struct strv names = STRV_INIT;
	uint64_t *tab, h;
	size_t total, size = 16, mask, i, j, dropped;

	/* new/ before cur/: a message moved meanwhile is seen twice rather
	 * than missed, and the later (cur/) name wins below. */
	if (list_sub(ix, "new", &names, err) < 0 || list_sub(ix, "cur", &names, err) < 0) {
		strv_release(&names);
		return -1;
	}
	total = ix->n + names.n;
	if (total >= UINT32_MAX / 2) {
		strv_release(&names);
		return err_set(err, EX_SOFTWARE, "cannot index '%s': too many messages", ix->dir);
	}
	/* Open addressing, at most half full.  An entry is the top half of
	 * the key's hash and the record's index, so a probe that meets
	 * another key rarely has to look at that key's string. */
	while (size < 2 * total)
		size <<= 1;
	mask = size - 1;
	tab = xreallocarray(NULL, size, sizeof(*tab));
	memset(tab, 0xff, size * sizeof(*tab));
	for (i = 0; i < ix->n; i++) {
		const char *key = ix->v[i].m.key;

		/* One that could not be read last time is tried again, and
		 * so is each of two files with one key (which summary the
		 * cache held for which is not known). */
		ix->v[i].state = ix->v[i].state & (REC_NOCACHE | REC_TWIN) ? REC_NEW : 0;
		h = index_cache_hash(key, strlen(key));
		for (j = h & mask; tab[j] != TAB_EMPTY; j = (j + 1) & mask)
			;
		tab[j] = (h & ~(uint64_t)UINT32_MAX) | i;
	}
	for (i = 0; i < names.n; i++) {
		const char *name = names.v[i] + 4;
		char flags[sizeof(ix->v[0].m.flags)];
		struct rec *r;
		off_t sz;
		size_t klen = maildir_name_info(name, flags, &sz), twin = SIZE_MAX;

		if (klen == 0)
			continue;
		/* The first record of the key not yet given a file in this
		 * scan; twin: one that was. */
		h = index_cache_hash(name, klen);
		for (j = h & mask; tab[j] != TAB_EMPTY; j = (j + 1) & mask) {
			const char *k = ix->v[tab[j] & UINT32_MAX].m.key;

			if ((tab[j] >> 32) != (h >> 32) || strncmp(k, name, klen) != 0 || k[klen] != '\0')
				continue;
			if (!(ix->v[tab[j] & UINT32_MAX].state & REC_SEEN))
				break;
			twin = tab[j] & UINT32_MAX;
		}
		/* The key already seen in new/: the same message moved to cur/
		 * during the scan (the cur/ name wins), or another message
		 * whose file has the same key. */
		if (tab[j] == TAB_EMPTY && twin != SIZE_MAX && !still_there(ix, ix->v[twin].m.path)) {
			r = &ix->v[twin];
		} else if (tab[j] == TAB_EMPTY) {
			r = rec_add(ix);
			r->m.key = arena_dup(&ix->strs, name, klen);
			r->state = REC_NEW;
			tab[j] = (h & ~(uint64_t)UINT32_MAX) | (ix->n - 1);
		} else {
			r = &ix->v[tab[j] & UINT32_MAX];
		}
		/* Each is summarised (and measured) from its own file. */
		if (twin != SIZE_MAX && r != &ix->v[twin]) {
			r->state |= REC_TWIN | REC_NEW;
			r->m.size = -1;
			ix->v[twin].state |= REC_TWIN | REC_NEW;
			ix->v[twin].m.size = -1;
		}
		r->state |= REC_SEEN;
		r->m.path = names.v[i];
		r->m.is_new = names.v[i][0] == 'n';
		memcpy(r->m.flags, flags, sizeof(flags));
		if (sz >= 0)
			r->m.size = sz;
	}
	free(tab);
	for (i = j = 0; i < ix->n; i++)
		if (ix->v[i].state & REC_SEEN) {
			ix->v[i].m.twin = (ix->v[i].state & REC_TWIN) != 0;
			ix->v[j++] = ix->v[i];
		}
	dropped = ix->n - j;
	ix->n = j;
	if (dropped)
		ix->dirty = 1;
	strv_release(&ix->names);
	ix->names = names;
	if (is_refresh && dropped)
		compact(ix);
	summarise_new(ix);
	sort_recs(ix);
	return 0;
}

/* ---- API ---- */

struct index *index_open(const char *dir, unsigned flags, struct err *err)
{
	struct index *ix = xcalloc(1, sizeof(*ix));

	ix->dir = xstrdup(dir);
	buf_init(&ix->fields);
	buf_init(&ix->scratch);
	if (!(flags & INDEX_NO_CACHE)) {
		ix->real = realpath(dir, NULL);
		if (!ix->real) {
			err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", dir);
			index_free(ix);
			return NULL;
		}
		ix->cache_path = index_cache_path(ix->real);
		if (cache_load(ix) < 0)
			ix->dirty = 1;
	}
	if (scan(ix, 0, err) < 0) {
		index_free(ix);
		return NULL;
	}
	if (ix->dirty && ix->cache_path)
		cache_save(ix);
	return ix;
}

void index_free(struct index *ix)
{
	if (!ix)
		return;
	free(ix->v);
	arena_free(&ix->strs);
	strv_release(&ix->names);
	free(ix->cache_data);
	buf_release(&ix->fields);
	buf_release(&ix->scratch);
	free(ix->cache_path);
	free(ix->real);
	free(ix->dir);
	free(ix);
}

size_t index_count(const struct index *ix)
{
	return ix->n;
}

const struct index_msg *index_at(const struct index *ix, size_t i)
{
	return i < ix->n ? &ix->v[i].m : NULL;
}

int index_set_flags(struct index *ix, size_t i, const char *flags, struct err *err)
{
	struct maildir_entry e;
	struct rec *r;
	char add[16], del[16];
	size_t k, na = 0, nd = 0;
	int rc;

	if (i >= ix->n)
		return err_set(err, EX_SOFTWARE, "no message %zu in '%s'", i, ix->dir);
	r = &ix->v[i];
	/* What the caller changed against the flags it saw, applied to the
	 * name on disk: a flag another client set meanwhile stays. */
	for (k = 0; flags[k] && na + 1 < sizeof(add); k++)
		if (!strchr(r->m.flags, flags[k]))
			add[na++] = flags[k];
	for (k = 0; r->m.flags[k] && nd + 1 < sizeof(del); k++)
		if (!strchr(flags, r->m.flags[k]))
			del[nd++] = r->m.flags[k];
	add[na] = del[nd] = '\0';
	e.key = xstrdup(r->m.key);
	e.path = xstrdup(r->m.path);
	memcpy(e.flags, r->m.flags, sizeof(e.flags));
	e.is_new = r->m.is_new;
	e.mtime = 0;
	e.size = r->m.size;
	rc = maildir_change_flags(ix->dir, &e, add, del, err);
	if (rc == 0) {
		/* The cache holds no flags or paths, so it needs no write. */
		strv_push(&ix->names, e.path);
		r->m.path = ix->names.v[ix->names.n - 1];
		/* A twin of other bytes took a fresh key (maildir.h). */
		if (strcmp(r->m.key, e.key) != 0)
			r->m.key = arena_dup(&ix->strs, e.key, strlen(e.key));
		memcpy(r->m.flags, e.flags, sizeof(r->m.flags));
		r->m.is_new = e.is_new;
	}
	maildir_entry_release(&e);
	return rc;
}

int index_refresh(struct index *ix, struct err *err)
{
	if (scan(ix, 1, err) < 0)
		return -1;
	if (ix->dirty && ix->cache_path)
		cache_save(ix);
	return 0;
}
