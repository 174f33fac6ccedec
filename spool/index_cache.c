#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "index_cache.h"
#include "path.h"
#include "xalloc.h"

#define CACHE_MAGIC "surelidx"
/* 2: In-Reply-To and References read by lib/summary.h.
 * 3: every To and Cc mailbox and the list (patterns ~t ~c ~l ...). */
#define CACHE_VERSION 3u
#define CACHE_HDR 24
#define CACHE_TRAILER 8
#define CACHE_MAX ((size_t)1 << 31)
#define STR_NULL UINT32_MAX
/* The smallest record: two integers and INDEX_CACHE_NSTR lengths. */
#define REC_MIN (16 + 4 * INDEX_CACHE_NSTR)

void index_cache_strs(struct index_msg *m, const char **f[INDEX_CACHE_NSTR])
{
	f[0] = &m->key;
	f[1] = &m->from;
	f[2] = &m->from_addr;
	f[3] = &m->to;
	f[4] = &m->subject;
	f[5] = &m->message_id;
	f[6] = &m->in_reply_to;
	f[7] = &m->references;
	f[8] = &m->to_all;
	f[9] = &m->cc_all;
	f[10] = &m->list;
}

/* ---- the hash ---- */

/* Eight bytes per step: it checks a 40 MB cache in milliseconds and hashes
 * the keys of 100000 names without showing in a profile.  Not a
 * cryptographic hash: the cache guards against accidents, and anyone who
 * can write it can write the mail too.  hash_words() and hash_end() let the
 * writer hash as it goes; index_cache_hash() is the two in one. */
#define HASH_SEED 0x6a09e667f3bcc909ull
#define HASH_MUL 0x9e3779b97f4a7c15ull

/* Mix n bytes (a multiple of 8) into h. */
static uint64_t hash_words(uint64_t h, const char *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * HASH_MUL;
		h ^= h >> 31;
	}
	return h;
}

/* Mix the last n < 8 bytes and the total length into h. */
static uint64_t hash_end(uint64_t h, const char *p, size_t n, size_t total)
{
	uint64_t w = 0;

	memcpy(&w, p, n);
	h = (h ^ w ^ ((uint64_t)total << 3)) * HASH_MUL;
	return h ^ (h >> 31);
}

uint64_t index_cache_hash(const char *p, size_t n)
{
	size_t w = n & ~(size_t)7;

	return hash_end(hash_words(HASH_SEED, p, w), p + w, n - w, n);
}

/* $XDG_CACHE_HOME/surel/index/HASH of the absolute folder path. */
char *index_cache_path(const char *real)
{
	char *base = path_xdg(PATH_XDG_CACHE, "index");
	char *p = xasprintf("%s/%016llx", base,
			    (unsigned long long)index_cache_hash(real, strlen(real)));

	free(base);
	return p;
}

/* ---- reading ---- */

/* The string at in->pos: NULL, or a NUL-terminated string inside the
 * image.  -1 when it does not fit. */
static int take_str(struct index_cache_in *in, const char **out)
{
	uint32_t l;

	if (in->len - in->pos < 4)
		return -1;
	memcpy(&l, in->data + in->pos, 4);
	in->pos += 4;
	if (l == STR_NULL) {
		*out = NULL;
		return 0;
	}
	/* UNSAFE: l bytes and the NUL must lie before len. */
	if (l >= in->len - in->pos || in->data[in->pos + l] != '\0')
		return -1;
	*out = in->data + in->pos;
	in->pos += (size_t)l + 1;
	return 0;
}

int index_cache_start(struct index_cache_in *in, const char *real, const char *data,
		      size_t len)
{
	uint32_t version, plen;
	uint64_t sum;
	size_t rlen = strlen(real);

	memset(in, 0, sizeof(*in));
	if (len < CACHE_HDR + CACHE_TRAILER || len > CACHE_MAX ||
	    memcmp(data, CACHE_MAGIC, 8) != 0)
		return -1;
	len -= CACHE_TRAILER;
	memcpy(&sum, data + len, 8);
	memcpy(&version, data + 8, 4);
	memcpy(&plen, data + 12, 4);
	memcpy(&in->count, data + 16, 8);
	if (version != CACHE_VERSION || index_cache_hash(data, len) != sum)
		return -1;
	in->pos = CACHE_HDR;
	if (plen != rlen || plen >= len - in->pos || memcmp(data + in->pos, real, rlen) != 0 ||
	    data[in->pos + plen] != '\0')
		return -1;
	in->pos += (size_t)plen + 1;
	if (in->count > (len - in->pos) / REC_MIN)
		return -1;
	in->data = data;
	in->len = len;
	return 0;
}

int index_cache_next(struct index_cache_in *in, struct index_msg *m)
{
	const char **f[INDEX_CACHE_NSTR];
	int64_t date, size;
	size_t k;

	if (in->len - in->pos < 16)
		return -1;
	memcpy(&date, in->data + in->pos, 8);
	memcpy(&size, in->data + in->pos + 8, 8);
	in->pos += 16;
	m->date = (time_t)date;
	m->size = (off_t)size;
	index_cache_strs(m, f);
	for (k = 0; k < INDEX_CACHE_NSTR; k++)
		if (take_str(in, f[k]) < 0)
			return -1;
	/* Only the ids may be absent. */
	if (!m->key || !*m->key || !m->from || !m->from_addr || !m->to || !m->subject)
		return -1;
	return 0;
}

int index_cache_done(const struct index_cache_in *in)
{
	return in->pos == in->len ? 0 : -1;
}

int index_cache_load(struct index_cache_in *in, const char *path, const char *real,
		     char **data_out)
{
	struct stat st;
	size_t len, got = 0;
	char *data;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < CACHE_HDR + CACHE_TRAILER ||
	    (uint64_t)st.st_size > CACHE_MAX) {
		close(fd);
		return -1;
	}
	len = (size_t)st.st_size;
	data = xmalloc(len);
	while (got < len) {
		ssize_t r = read(fd, data + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	/* The file is replaced by rename, never rewritten in place, so a
	 * short read means something else changed it: do not trust it. */
	if (got != len || index_cache_start(in, real, data, len) < 0) {
		free(data);
		return -1;
	}
	*data_out = data;
	return 0;
}

long index_cache_check(const char *real, const char *data, size_t len)
{
	struct index_cache_in in;
	struct index_msg m;
	uint64_t i;
	size_t k;
	volatile size_t total = 0;

	if (index_cache_start(&in, real, data, len) < 0)
		return -1;
	for (i = 0; i < in.count; i++) {
		const char **f[INDEX_CACHE_NSTR];

		memset(&m, 0, sizeof(m));
		if (index_cache_next(&in, &m) < 0)
			return -1;
		/* Every string must be there to read, as the index screen will. */
		index_cache_strs(&m, f);
		for (k = 0; k < INDEX_CACHE_NSTR; k++)
			if (*f[k])
				total += strlen(*f[k]);
	}
	(void)total;
	return index_cache_done(&in) < 0 ? -1 : (long)in.count;
}

/* ---- writing ---- */

struct index_cache_out {
	struct afile_tmp t;
	char *path;
	struct buf b;
	uint64_t h;
	size_t total;
	int failed;
	struct err err;
};

#define OUT_CHUNK (256 * 1024)

/* Write out what is buffered; all of it when last, else whole words. */
static void out_flush(struct index_cache_out *o, int last)
{
	size_t n = last ? o->b.len : o->b.len & ~(size_t)7;

	if (last)
		o->h = hash_end(hash_words(o->h, o->b.data, n & ~(size_t)7),
				o->b.data + (n & ~(size_t)7), n & 7, o->total);
	else
		o->h = hash_words(o->h, o->b.data, n);
	if (!o->failed && afile_write_all(o->t.fd, o->b.data, n, &o->err) < 0)
		o->failed = 1;
	memmove(o->b.data, o->b.data + n, o->b.len - n);
	buf_truncate(&o->b, o->b.len - n);
}

static void out_put(struct index_cache_out *o, const void *p, size_t n)
{
	buf_append(&o->b, p, n);
	o->total += n;
	if (o->b.len >= OUT_CHUNK)
		out_flush(o, 0);
}

static void out_str(struct index_cache_out *o, const char *s)
{
	uint32_t l = s ? (uint32_t)strlen(s) : STR_NULL;

	out_put(o, &l, 4);
	if (s)
		out_put(o, s, (size_t)l + 1);
}

struct index_cache_out *index_cache_create(const char *path, const char *real, uint64_t count,
					   struct err *err)
{
	struct index_cache_out *o = xcalloc(1, sizeof(*o));
	uint32_t version = CACHE_VERSION, plen = (uint32_t)strlen(real);
	char *dir = path_dirname(path);

	if (afile_mkdirs(dir, err) < 0 || afile_tmp_open(&o->t, dir, err) < 0) {
		free(dir);
		free(o);
		return NULL;
	}
	free(dir);
	o->path = xstrdup(path);
	buf_init(&o->b);
	o->h = HASH_SEED;
	err_clear(&o->err);
	out_put(o, CACHE_MAGIC, 8);
	out_put(o, &version, 4);
	out_put(o, &plen, 4);
	out_put(o, &count, 8);
	out_put(o, real, (size_t)plen + 1);
	return o;
}

void index_cache_put(struct index_cache_out *o, const struct index_msg *m)
{
	int64_t date = m->date, size = m->size;
	const char **f[INDEX_CACHE_NSTR];
	struct index_msg copy = *m;
	size_t k;

	if (o->failed)
		return;
	out_put(o, &date, 8);
	out_put(o, &size, 8);
	index_cache_strs(&copy, f);
	for (k = 0; k < INDEX_CACHE_NSTR; k++)
		out_str(o, *f[k]);
}

int index_cache_commit(struct index_cache_out *o, struct err *err)
{
	int rc = 0;

	out_flush(o, 1);
	if (!o->failed && afile_write_all(o->t.fd, &o->h, 8, &o->err) < 0)
		o->failed = 1;
	if (o->failed) {
		afile_tmp_abort(&o->t);
		*err = o->err;
		rc = -1;
	} else if (afile_tmp_commit(&o->t, o->path, err) < 0) {
		rc = -1;
	}
	buf_release(&o->b);
	free(o->path);
	free(o);
	return rc;
}
