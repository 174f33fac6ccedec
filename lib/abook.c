#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "abook.h"
#include "abook_internal.h"
#include "afile.h"
#include "addr.h"
#include "ascii.h"
#include "buf.h"
#include "codec.h"
#include "log.h"
#include "maildir.h"
#include "date.h"
#include "path.h"
#include "xalloc.h"

/* Half-life of a message's weight in the ranking, in seconds. */
#define HALF_LIFE (30.0 * 24 * 60 * 60)
/* Header blocks are read up to this size; a To list longer than that is
 * cut, which costs a few addresses of one odd message. */
#define HEAD_MAX (64 * 1024)
/* The cache file is refused above this size (a book of 100000 addresses
 * and a million files is about 40 MB). */
#define CACHE_MAX (256L * 1024 * 1024)
#define CACHE_MAGIC "surel-abook 1\n"

struct entry {
	char *addr;     /* as last seen */
	char *name;     /* newest non-empty display name, or NULL */
	unsigned long count;
	time_t last;    /* newest message */
	double score;   /* as of last */
};

struct source {
	enum abook_kind kind;
	char *dir;
	/* Modification times of new/ and cur/ (of dir for ABOOK_PLAIN) when
	 * last listed; 0 forces a listing. */
	struct timespec mt[2];
	struct abook_set seen;   /* keys (hashed) of files read or, for REPLIED, counted */
};

struct abook {
	struct entry *ents;
	size_t n, cap;
	uint32_t *tab;      /* entry index + 1 by hash of the lowercased address; 0 free */
	size_t tabcap;
	struct source *src;
	size_t nsrc;
	struct abook_set mids;    /* Message-IDs (hashed with the kind) already counted */
	char **self;
	size_t nself;
	const struct cfg *cfg;  /* its accounts' addresses and aliases are the user's; may be NULL */
	int dirty;
};

struct abook *abook_new(void)
{
	return xcalloc(1, sizeof(struct abook));
}

void abook_free(struct abook *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->ents[i].addr);
		free(b->ents[i].name);
	}
	free(b->ents);
	free(b->tab);
	for (i = 0; i < b->nsrc; i++) {
		free(b->src[i].dir);
		abook_set_release(&b->src[i].seen);
	}
	free(b->src);
	abook_set_release(&b->mids);
	for (i = 0; i < b->nself; i++)
		free(b->self[i]);
	free(b->self);
	free(b);
}

void abook_add_source(struct abook *b, enum abook_kind kind, const char *dir)
{
	struct source *s;

	b->src = xreallocarray(b->src, b->nsrc + 1, sizeof(*b->src));
	s = &b->src[b->nsrc++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->dir = xstrdup(dir);
}

void abook_add_self(struct abook *b, const char *addr)
{
	b->self = xreallocarray(b->self, b->nself + 1, sizeof(*b->self));
	b->self[b->nself++] = xstrdup(addr);
}

size_t abook_count(const struct abook *b)
{
	return b->n;
}

/* The slot of addr in b->tab: where it is, or the free slot to put it. */
static size_t tab_slot(const struct abook *b, const char *addr, size_t len)
{
	size_t i = abook_hash(addr, len, 1) & (b->tabcap - 1);

	while (b->tab[i]) {
		const char *e = b->ents[b->tab[i] - 1].addr;

		if (strlen(e) == len && ascii_ieq(e, len, addr))
			break;
		i = (i + 1) & (b->tabcap - 1);
	}
	return i;
}

static struct entry *entry_get(struct abook *b, const char *addr, int create)
{
	size_t len = strlen(addr), i;

	if (2 * (b->n + 1) > b->tabcap) {
		free(b->tab);
		b->tabcap = b->tabcap ? 2 * b->tabcap : 256;
		b->tab = xcalloc(b->tabcap, sizeof(*b->tab));
		for (i = 0; i < b->n; i++)
			b->tab[tab_slot(b, b->ents[i].addr, strlen(b->ents[i].addr))] = (uint32_t)i + 1;
	}
	i = tab_slot(b, addr, len);
	if (b->tab[i])
		return &b->ents[b->tab[i] - 1];
	if (!create)
		return NULL;
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->ents = xreallocarray(b->ents, b->cap, sizeof(*b->ents));
	}
	memset(&b->ents[b->n], 0, sizeof(b->ents[b->n]));
	b->ents[b->n].addr = xstrdup(addr);
	b->tab[i] = (uint32_t)++b->n;
	return &b->ents[b->n - 1];
}

static int is_self(const struct abook *b, const char *addr)
{
	size_t i, len = strlen(addr);

	for (i = 0; i < b->nself; i++)
		if (strlen(b->self[i]) == len && ascii_ieq(b->self[i], len, addr))
			return 1;
	/* Every account's address and aliases (addresses and *@domain). */
	return b->cfg && cfg_account_for_address(b->cfg, addr) != NULL;
}

/* Count one message at time t for addr, named name (may be NULL). */
static void learn(struct abook *b, const char *addr, const char *name, time_t t)
{
	struct entry *e;

	if (!strchr(addr, '@') || is_self(b, addr))
		return;
	e = entry_get(b, addr, 1);
	if (e->count == 0 || t >= e->last) {
		e->score = e->count ? e->score * exp2(-(double)(t - e->last) / HALF_LIFE) + 1 : 1;
		e->last = t;
		if (name && *name) {
			free(e->name);
			e->name = xstrdup(name);
		}
		if (strcmp(e->addr, addr) != 0) {
			free(e->addr);
			e->addr = xstrdup(addr);
		}
	} else {
		e->score += exp2(-(double)(e->last - t) / HALF_LIFE);
		if (!e->name && name && *name)
			e->name = xstrdup(name);
	}
	e->count++;
	b->dirty = 1;
}

/* Whether [p, end) holds "\n\n" or "\n\r\n" (memchr is much faster here
 * than memmem). */
static int has_blank_line(const char *p, const char *end)
{
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')))
			return 1;
	}
	return 0;
}

/* The header block of the file rel in dirfd (up to HEAD_MAX bytes)
 * appended to out; -1 (out as it was) when it cannot be read.  Safe in the
 * reader thread: touches only its arguments. */
static int read_head(int dirfd, const char *rel, struct buf *out)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t from, base = out->len;
	ssize_t r;

	if (fd < 0)
		return -1;
	for (;;) {
		size_t want = out->len > base ? 16384 : 4096;

		if (out->len - base + want > HEAD_MAX)
			want = HEAD_MAX - (out->len - base);
		if (want == 0)
			break;
		buf_grow(out, want);
		r = read(fd, out->data + out->len, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			buf_truncate(out, base);
			return -1;
		}
		if (r == 0)
			break;
		/* Look for the blank line only in what is new (and the two
		 * bytes before it, for a "\n\n" or "\n\r\n" across reads). */
		from = out->len - base > 2 ? out->len - 2 : base;
		out->len += (size_t)r;
		out->data[out->len] = '\0';
		if (has_blank_line(out->data + from, out->data + out->len))
			break;
	}
	close(fd);
	return 0;
}

/* The header fields the book reads, in the order of struct head's vals. */
static const char *const wanted[] = { "To", "Cc", "Bcc", "From", "Date", "Message-ID" };
enum { F_TO, F_CC, F_BCC, F_FROM, F_DATE, F_MID, F_N };

/* The first occurrence of each wanted field, unfolded as msg_header()
 * gives it (line breaks before a blank dropped, leading blanks trimmed),
 * or NULL.  A scan of its own rather than msg_parse(): the book needs six
 * fields of a block that is mostly Received and DKIM lines, and this loop
 * runs once per message of every Sent folder. */
struct head {
	struct buf val[F_N];
	int have[F_N];
};

static void scan_head(const char *p, size_t len, struct head *h)
{
	const char *end = p + len, *colon, *nl;
	size_t k, nlen;

	memset(h->have, 0, sizeof(h->have));
	while (p < end && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
		nl = memchr(p, '\n', (size_t)(end - p));
		colon = memchr(p, ':', (size_t)((nl ? nl : end) - p));
		k = F_N;
		if (colon) {
			nlen = (size_t)(colon - p);
			while (nlen > 0 && ascii_is_wsp((unsigned char)p[nlen - 1]))
				nlen--;
			for (k = 0; k < F_N; k++)
				if (!h->have[k] && strlen(wanted[k]) == nlen && ascii_ieq(p, nlen, wanted[k]))
					break;
		}
		if (k < F_N) {
			struct buf *v = &h->val[k];

			buf_reset(v);
			h->have[k] = 1;
			p = colon + 1;
			while (p < end && ascii_is_wsp((unsigned char)*p))
				p++;
		}
		/* The value (when wanted) up to the end of the field: lines
		 * that start with a blank continue it. */
		for (;;) {
			nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
			if (k < F_N) {
				size_t l = (size_t)((nl ? nl : end) - p);

				if (l && p[l - 1] == '\r')
					l--;
				buf_append(&h->val[k], p, l);
			}
			p = nl ? nl + 1 : end;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
	}
}

/* Count what the header block of one message (len bytes) says. */
static void learn_head(struct abook *b, const char *data, size_t len, const char *key,
		       enum abook_kind kind, struct head *h)
{
	struct addr_mbox *a;
	time_t t;
	size_t i, j, na;

	scan_head(data, len, h);
	if (h->have[F_MID] && h->val[F_MID].len) {
		uint64_t hash = abook_hash(h->val[F_MID].data, h->val[F_MID].len, 0) ^
				(uint64_t)(kind == ABOOK_REPLIED);

		if (!abook_set_add(&b->mids, hash))
			return;
	}
	/* Without a readable Date, the delivery time a Maildir name starts
	 * with (a queue id starts the same way). */
	if (!h->have[F_DATE] || date_parse(h->val[F_DATE].data, &t) < 0)
		t = (time_t)strtoll(key, NULL, 10);
	for (i = kind == ABOOK_REPLIED ? F_FROM : F_TO; i <= (kind == ABOOK_REPLIED ? F_FROM : F_BCC); i++) {
		if (!h->have[i])
			continue;
		na = addr_parse_list(h->val[i].data, &a);
		for (j = 0; j < na; j++)
			learn(b, a[j].addr, a[j].name, t);
		addr_list_free(a, na);
	}
}

static int stat_mtime(const char *dir, const char *sub, struct timespec *out)
{
	char *p = sub ? path_join(dir, sub) : xstrdup(dir);
	struct stat st;
	int rc = stat(p, &st);

	free(p);
	if (rc < 0)
		return -1;
	*out = st.st_mtim;
	return 0;
}

/* The files of a plain directory as Maildir entries (key = path = name). */
static int list_plain(const char *dir, struct maildir_entry **out, size_t *n_out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct maildir_entry *v = NULL;
	size_t n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].path = xstrdup(de->d_name);
		v[n].key = xstrdup(de->d_name);
		n++;
	}
	closedir(d);
	*out = v;
	*n_out = n;
	return 0;
}

/* Whether a recorded time is still the directory's.  A time within two
 * seconds of now is never trusted: a file added in the same clock tick as
 * the listing would leave the time unchanged (git's "racy" rule). */
static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != 0 && a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* ---- reading many files: the reader thread ----
 *
 * When a source has more than one batch of files to read (the first
 * build of a book, a Sent folder of years), a second thread reads the
 * header blocks of the next batch while this one parses the current
 * one, so the kernel's work on open and read overlaps the parsing.  The
 * reader touches only the batch it fills (its buffer and job results),
 * the read-only job list and the directory descriptor; the book, its
 * sets and the log are the caller's alone.  The two batches change hands
 * under a mutex and a condition variable (the full flag), and the thread
 * is joined before abook_update() returns. */
#define BATCH 256

struct job {
	const char *rel, *key;  /* borrowed from the listing */
	uint64_t kh;            /* hash of key */
	size_t off, len;        /* the header block in the batch's data */
	int ok;
};

struct batch {
	struct job *jobs;       /* a window of the reader's job list */
	size_t n;
	struct buf data;
	int full;               /* filled, not yet parsed */
};

struct reader {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int dirfd;
	struct job *jobs;
	size_t njobs;
	struct batch b[2];
};

static void fill_batch(struct reader *rd, struct batch *bt, size_t start)
{
	size_t i;

	bt->jobs = rd->jobs + start;
	bt->n = rd->njobs - start < BATCH ? rd->njobs - start : BATCH;
	buf_truncate(&bt->data, 0);
	for (i = 0; i < bt->n; i++) {
		struct job *j = &bt->jobs[i];

		j->off = bt->data.len;
		j->ok = read_head(rd->dirfd, j->rel, &bt->data) == 0;
		j->len = bt->data.len - j->off;
	}
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	size_t start;
	int k = 0;

	for (start = 0; start < rd->njobs; start += BATCH, k ^= 1) {
		struct batch *bt = &rd->b[k];

		pthread_mutex_lock(&rd->lock);
		while (bt->full)
			pthread_cond_wait(&rd->cond, &rd->lock);
		pthread_mutex_unlock(&rd->lock);
		fill_batch(rd, bt, start);
		pthread_mutex_lock(&rd->lock);
		bt->full = 1;
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->lock);
	}
	return NULL;
}

/* Whether the reader thread runs (0: the caller fills every batch). */
static int reader_start(struct reader *rd, pthread_t *tid)
{
	sigset_t all, old;
	int started;

	if (rd->njobs <= BATCH || pthread_mutex_init(&rd->lock, NULL) != 0)
		return 0;
	if (pthread_cond_init(&rd->cond, NULL) != 0) {
		pthread_mutex_destroy(&rd->lock);
		return 0;
	}
	/* Signals stay with the caller's thread (DESIGN.md section 6). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	started = pthread_create(tid, NULL, reader_main, rd) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		pthread_cond_destroy(&rd->cond);
		pthread_mutex_destroy(&rd->lock);
	}
	return started;
}

/* Read and count every job of rd into b; the keys read go into seen.
 * Returns 1 when some file could not be read. */
static int read_jobs(struct abook *b, struct reader *rd, enum abook_kind kind,
		     struct abook_set *seen, struct head *h)
{
	pthread_t tid;
	size_t start, i;
	int k = 0, threaded, failed = 0;

	for (k = 0; k < 2; k++) {
		buf_init(&rd->b[k].data);
		/* Allocated here, so the reader never writes the shared
		 * empty string of an unallocated buf. */
		buf_grow(&rd->b[k].data, 1);
		rd->b[k].full = 0;
	}
	threaded = reader_start(rd, &tid);
	for (start = 0, k = 0; start < rd->njobs; start += BATCH, k ^= 1) {
		struct batch *bt = &rd->b[k];

		if (threaded) {
			pthread_mutex_lock(&rd->lock);
			while (!bt->full)
				pthread_cond_wait(&rd->cond, &rd->lock);
			pthread_mutex_unlock(&rd->lock);
		} else {
			fill_batch(rd, bt, start);
		}
		for (i = 0; i < bt->n; i++) {
			struct job *j = &bt->jobs[i];

			if (!j->ok) {
				failed = 1;
				continue;
			}
			learn_head(b, bt->data.data + j->off, j->len, j->key, kind, h);
			abook_set_add(seen, j->kh);
		}
		if (threaded) {
			pthread_mutex_lock(&rd->lock);
			bt->full = 0;
			pthread_cond_broadcast(&rd->cond);
			pthread_mutex_unlock(&rd->lock);
		}
	}
	if (threaded) {
		pthread_join(tid, NULL);
		pthread_cond_destroy(&rd->cond);
		pthread_mutex_destroy(&rd->lock);
	}
	buf_release(&rd->b[0].data);
	buf_release(&rd->b[1].data);
	return failed;
}

static size_t update_source(struct abook *b, struct source *s, time_t now, struct head *h)
{
	struct timespec mt[2] = { { 0, 0 }, { 0, 0 } };
	struct maildir_entry *e = NULL;
	struct err err = ERR_INIT;
	struct abook_set seen = { NULL, 0, 0 };
	struct reader rd;
	size_t n = 0, i, nread = 0;
	int plain = s->kind == ABOOK_PLAIN, k, failed;

	for (k = 0; k < (plain ? 1 : 2); k++)
		if (stat_mtime(s->dir, plain ? NULL : k ? "cur" : "new", &mt[k]) < 0)
			return 0;
	if (same_time(&mt[0], &s->mt[0]) && (plain || same_time(&mt[1], &s->mt[1])))
		return 0;
	if (plain ? list_plain(s->dir, &e, &n) < 0 : maildir_list(s->dir, 0, &e, &n, &err) < 0)
		return 0;
	memset(&rd, 0, sizeof(rd));
	rd.dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rd.dirfd < 0) {
		maildir_entries_free(e, n);
		return 0;
	}
	rd.jobs = xcalloc(n + 1, sizeof(*rd.jobs));
	for (i = 0; i < n; i++) {
		uint64_t kh = abook_hash(e[i].key, strlen(e[i].key), 0);

		if (abook_set_has(&s->seen, kh)) {
			abook_set_add(&seen, kh);
			continue;
		}
		if (s->kind == ABOOK_REPLIED && !strchr(e[i].flags, 'R'))
			continue;
		rd.jobs[rd.njobs].rel = e[i].path;
		rd.jobs[rd.njobs].key = e[i].key;
		rd.jobs[rd.njobs++].kh = kh;
	}
	nread = rd.njobs;
	failed = read_jobs(b, &rd, s->kind, &seen, h);
	close(rd.dirfd);
	free(rd.jobs);
	maildir_entries_free(e, n);
	/* A listing that found nothing new and lost nothing leaves the
	 * cache as it is (a folder touched by a flag change, say). */
	if (nread || seen.n != s->seen.n)
		b->dirty = 1;
	abook_set_release(&s->seen);
	s->seen = seen;
	for (k = 0; k < 2; k++) {
		/* A file that could not be read is tried at the next update. */
		if (failed || mt[k].tv_sec >= now - 2)
			mt[k].tv_sec = mt[k].tv_nsec = 0;
		if (!same_time(&mt[k], &s->mt[k]) && (mt[k].tv_sec || s->mt[k].tv_sec))
			b->dirty = 1;
		s->mt[k] = mt[k];
	}
	return nread;
}

size_t abook_update(struct abook *b, time_t now)
{
	struct head h;
	size_t i, n = 0;

	for (i = 0; i < F_N; i++)
		buf_init(&h.val[i]);
	for (i = 0; i < b->nsrc; i++)
		n += update_source(b, &b->src[i], now, &h);
	for (i = 0; i < F_N; i++)
		buf_release(&h.val[i]);
	return n;
}

/* ---- the cache file ---- */

/* The checksum of the cache file: FNV-1a's scheme over 8-byte words,
 * eight times faster than per byte on a file of megabytes. */
static uint64_t abook_sum(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

/* s with bytes <= ' ', DEL and '%' as %XX, so a field is one word. */
static void put_word(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == 0x7f || c == '%')
			buf_printf(out, "%%%02X", c);
		else
			buf_putc(out, c);
	}
}

static void put_set(struct buf *out, const char *tag, const struct abook_set *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			buf_printf(out, "%s %016" PRIx64 "\n", tag, s->slot[i]);
}

int abook_save(const struct abook *b, const char *path, struct err *err)
{
	struct buf out = BUF_INIT;
	char *dir;
	size_t i;
	int rc;

	buf_puts(&out, CACHE_MAGIC);
	for (i = 0; i < b->nsrc; i++) {
		const struct source *s = &b->src[i];

		buf_printf(&out, "src %d %lld.%09ld %lld.%09ld %zu ", (int)s->kind,
			   (long long)s->mt[0].tv_sec, (long)s->mt[0].tv_nsec,
			   (long long)s->mt[1].tv_sec, (long)s->mt[1].tv_nsec, s->seen.n);
		put_word(&out, s->dir);
		buf_putc(&out, '\n');
		put_set(&out, "k", &s->seen);
	}
	buf_printf(&out, "mids %zu\n", b->mids.n);
	put_set(&out, "mid", &b->mids);
	for (i = 0; i < b->n; i++) {
		const struct entry *e = &b->ents[i];

		buf_printf(&out, "a %lu %lld %.17g ", e->count, (long long)e->last, e->score);
		put_word(&out, e->addr);
		buf_putc(&out, ' ');
		put_word(&out, e->name ? e->name : "");
		buf_putc(&out, '\n');
	}
	buf_printf(&out, "sum %016" PRIx64 "\n", abook_sum(out.data, out.len));
	dir = path_dirname(path);
	rc = afile_mkdirs(dir, err);
	free(dir);
	if (rc == 0)
		rc = afile_write(path, out.data, out.len, 0600, err);
	buf_release(&out);
	if (rc < 0)
		err_prefix(err, "cannot save the address book '%s'", path);
	return rc;
}

/* The next space-separated word of *p (up to end of line) decoded into
 * out; -1 when there is none. */
static int get_word(const char **p, const char *eol, struct buf *out)
{
	const char *s = *p, *e;

	while (s < eol && *s == ' ')
		s++;
	e = s;
	while (e < eol && *e != ' ')
		e++;
	buf_reset(out);
	codec_pct_decode(s, (size_t)(e - s), out);
	*p = e;
	return 0;
}

static struct source *find_source(struct abook *b, int kind, const char *dir)
{
	size_t i;

	for (i = 0; i < b->nsrc; i++)
		if ((int)b->src[i].kind == kind && strcmp(b->src[i].dir, dir) == 0)
			return &b->src[i];
	return NULL;
}

/* The 16 lowercase hex digits from p to end as a number; -1 when that is
 * not what is there.  A table, not strtoull or a branch per digit: this
 * runs for every one of the (tens of thousands of) hashes in a load. */
static int hex16(const char *p, const char *end, uint64_t *out)
{
	static signed char val[256];
	uint64_t v = 0;
	int i, bad = 0;

	if (!val[0]) {
		memset(val, -1, sizeof(val));
		for (i = 0; i < 10; i++)
			val['0' + i] = (signed char)i;
		for (i = 0; i < 6; i++)
			val['a' + i] = (signed char)(10 + i);
	}
	if (end - p != 16)
		return -1;
	for (i = 0; i < 16; i++) {
		signed char d = val[(unsigned char)p[i]];

		bad |= d;
		v = v << 4 | (uint64_t)(d & 15);
	}
	if (bad < 0)
		return -1;
	*out = v;
	return 0;
}

/* One line of the cache (without its newline); cur is the source the k
 * lines belong to (NULL: one not configured now).  -1 when the line is
 * not one this version writes. */
static int load_line(struct abook *b, const char *p, const char *eol, struct source **cur,
		     struct buf *w1, struct buf *w2)
{
	uint64_t h;
	long long s0, s1;
	long n0, n1;
	unsigned long count;
	int kind, used;

	if ((p[0] == 'k' && p[1] == ' ') || strncmp(p, "mid ", 4) == 0) {
		if (hex16(p + (p[0] == 'k' ? 2 : 4), eol, &h) < 0 || h == 0)
			return -1;
		if (p[0] == 'm')
			abook_set_add(&b->mids, h);
		else if (*cur)
			abook_set_add(&(*cur)->seen, h);
		return 0;
	}
	/* The counts that come before the hashes size their sets, so a
	 * load does not grow a set of 50000 keys ten times. */
	if (strncmp(p, "mids ", 5) == 0) {
		if (sscanf(p + 5, "%lu%n", &count, &used) != 1 || p + 5 + used != eol)
			return -1;
		abook_set_reserve(&b->mids, count);
		return 0;
	}
	if (strncmp(p, "src ", 4) == 0) {
		if (sscanf(p + 4, "%d %lld.%ld %lld.%ld %lu %n", &kind, &s0, &n0, &s1, &n1, &count,
			   &used) != 6)
			return -1;
		p += 4 + used;
		get_word(&p, eol, w1);
		*cur = find_source(b, kind, w1->data);
		if (*cur) {
			abook_set_reserve(&(*cur)->seen, count);
			(*cur)->mt[0].tv_sec = (time_t)s0;
			(*cur)->mt[0].tv_nsec = n0;
			(*cur)->mt[1].tv_sec = (time_t)s1;
			(*cur)->mt[1].tv_nsec = n1;
		}
		return 0;
	}
	if (strncmp(p, "a ", 2) == 0) {
		long long last;
		double score;
		struct entry *e;

		if (sscanf(p + 2, "%lu %lld %lg %n", &count, &last, &score, &used) != 3 || count == 0 ||
		    !isfinite(score) || score <= 0)
			return -1;
		p += 2 + used;
		get_word(&p, eol, w1);
		get_word(&p, eol, w2);
		if (!strchr(w1->data, '@') || p != eol)
			return -1;
		e = entry_get(b, w1->data, 1);
		if (e->count)
			return -1;
		e->count = count;
		e->last = (time_t)last;
		e->score = score;
		e->name = w2->len ? xstrdup(w2->data) : NULL;
		return 0;
	}
	return -1;
}

/* Back to an empty book with the same sources and self addresses. */
static void reset(struct abook *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->ents[i].addr);
		free(b->ents[i].name);
	}
	b->n = 0;
	if (b->tab)
		memset(b->tab, 0, b->tabcap * sizeof(*b->tab));
	for (i = 0; i < b->nsrc; i++) {
		abook_set_release(&b->src[i].seen);
		memset(b->src[i].mt, 0, sizeof(b->src[i].mt));
	}
	abook_set_release(&b->mids);
	b->dirty = 1;
}

int abook_load(struct abook *b, const char *path)
{
	struct err err = ERR_INIT;
	struct buf w1 = BUF_INIT, w2 = BUF_INIT;
	struct source *cur = NULL;
	char *data, *p, *eol, *sum;
	uint64_t want;
	size_t len;
	int ok = 1;

	reset(b);
	b->dirty = 0;
	if (afile_read(path, CACHE_MAX, &data, &len, &err) < 0)
		return 0;
	/* The last line is "sum HEX" (16 digits) over every byte before it. */
	sum = len > 21 + strlen(CACHE_MAGIC) ? data + len - 21 : NULL;
	if (!sum || strncmp(data, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0 ||
	    strncmp(sum, "sum ", 4) != 0 || sum[-1] != '\n' || data[len - 1] != '\n' ||
	    hex16(sum + 4, data + len - 1, &want) < 0 || want != abook_sum(data, (size_t)(sum - data))) {
		ok = 0;
	}
	for (p = data + strlen(CACHE_MAGIC); ok && p < sum; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(sum - p));
		*eol = '\0';
		if (load_line(b, p, eol, &cur, &w1, &w2) < 0)
			ok = 0;
	}
	free(data);
	buf_release(&w1);
	buf_release(&w2);
	if (!ok) {
		log_warnx("address book cache '%s' is not valid: rebuilding it", path);
		reset(b);
	}
	return ok;
}

/* ---- finding ---- */

/* Rank without a reference time: log2 of the score brought forward to
 * the epoch's scale, so that comparing two entries compares their scores
 * at any common moment. */
static double rank(const struct entry *e)
{
	return log2(e->score > 0 ? e->score : 1e-300) + (double)e->last / HALF_LIFE;
}

static int by_rank(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
	double rx = rank(x), ry = rank(y);

	if (rx != ry)
		return rx > ry ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->addr, y->addr);
}

void abook_find(const struct abook *b, const char *query, struct abook_match **v, size_t *n)
{
	const struct entry **hit = xcalloc(b->n + 1, sizeof(*hit));
	size_t i, nhit = 0;

	for (i = 0; i < b->n; i++) {
		const struct entry *e = &b->ents[i];

		if (!*query || strcasestr(e->addr, query) || (e->name && strcasestr(e->name, query)))
			hit[nhit++] = e;
	}
	qsort(hit, nhit, sizeof(*hit), by_rank);
	*v = xreallocarray(*v, *n + nhit + 1, sizeof(**v));
	for (i = 0; i < nhit; i++) {
		struct abook_match *m = &(*v)[(*n)++];

		m->addr = xstrdup(hit[i]->addr);
		m->name = hit[i]->name ? xstrdup(hit[i]->name) : NULL;
		m->nick = NULL;
		m->source = ABOOK_BOOK;
	}
	free(hit);
}

long abook_times(const struct abook *b, const char *addr, time_t *last_out)
{
	const struct entry *e = entry_get((struct abook *)b, addr, 0);

	if (!e)
		return -1;
	if (last_out)
		*last_out = e->last;
	return (long)e->count;
}

/* ---- the book of a configuration ---- */

static void add_account(struct abook *b, const struct cfg_account *a)
{
	const char *root = cfg_get(a, "maildir"), *sent = cfg_get(a, "sent_folder");
	const char *drafts = cfg_get(a, "drafts_folder");
	struct err err = ERR_INIT;
	char **names;
	size_t n, i;

	if (!sent)
		sent = "Sent";
	if (!drafts)
		drafts = "Drafts";
	if (maildir_folders(root, &names, &n, &err) < 0)
		return;
	for (i = 0; i < n; i++) {
		char *dir = maildir_folder_path(root, names[i]);

		if (strcmp(names[i], sent) == 0)
			abook_add_source(b, ABOOK_SENT, dir);
		else if (strcmp(names[i], drafts) != 0)
			abook_add_source(b, ABOOK_REPLIED, dir);
		free(dir);
	}
	maildir_names_free(names, n);
}

struct abook *abook_open(const struct cfg *cfg, const char *queue_dir, const char *cache)
{
	struct abook *b = abook_new();
	struct err err = ERR_INIT;
	char *qdir = queue_dir ? xstrdup(queue_dir) : path_xdg(PATH_XDG_DATA, "queue");
	char *path = cache ? xstrdup(cache) : path_xdg(PATH_XDG_CACHE, "abook");
	char *msgdir = path_join(qdir, "msg");
	size_t i;

	b->cfg = cfg;
	for (i = 0; cfg && i < cfg_account_count(cfg); i++)
		add_account(b, cfg_account_at(cfg, i));
	/* The queue keeps each message's text in msg/ (sendq(1)). */
	abook_add_source(b, ABOOK_PLAIN, msgdir);
	abook_load(b, path);
	abook_update(b, time(NULL));
	if (b->dirty && abook_save(b, path, &err) < 0)
		log_warnx("%s", err.msg);
	free(msgdir);
	free(qdir);
	free(path);
	return b;
}
