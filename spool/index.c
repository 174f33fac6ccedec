#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "index.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "path.h"
#include "xalloc.h"

/*
 * The cache file, one per folder, named after a hash of the folder's
 * absolute path:
 *
 *   header  magic "surelidx", u32 version, u32 path length, u64 record
 *           count, u64 checksum of everything after the header (32 bytes)
 *   path    the folder's absolute path and a NUL (a hash collision or a
 *           copied cache shows here)
 *   records count times: i64 date, i64 size, then the strings key, from,
 *           from_addr, to, subject, message_id, in_reply_to, references,
 *           each a u32 length (STR_NULL for NULL), the bytes and a NUL
 *
 * Binary rather than the house's `key value` lines because a 100000-message
 * folder is loaded whole at every open: one read() and the strings are used
 * in place (hence the NULs), with no parsing or copying per field.  Integers
 * are in host byte order: the cache never leaves the machine, and a file
 * from another byte order fails the version check.  Every length is checked
 * against the end of the file and the checksum catches bytes changed in the
 * middle; anything odd discards the whole file, which is only ever a copy.
 * Flags and paths are not stored: they come from the names readdir returns,
 * so a flag change (a rename) leaves the cache as it is.
 */
#define CACHE_MAGIC "surelidx"
#define CACHE_VERSION 1u
#define CACHE_HDR 32
#define CACHE_MAX ((size_t)1 << 31)
#define STR_NULL UINT32_MAX
#define NSTR 8
/* The smallest record: two integers and NSTR lengths. */
#define REC_MIN (16 + 4 * NSTR)

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
	struct chunk *names;  /* paths from the last scan */
	struct buf head;      /* header blocks longer than HEAD_FIRST */
	struct buf fields;    /* the fields of one header block the summary reads */
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

/* The summary strings of m, in the cache's order. */
static void str_fields(struct index_msg *m, const char **f[NSTR])
{
	f[0] = &m->key;
	f[1] = &m->from;
	f[2] = &m->from_addr;
	f[3] = &m->to;
	f[4] = &m->subject;
	f[5] = &m->message_id;
	f[6] = &m->in_reply_to;
	f[7] = &m->references;
}

/* ---- names ---- */

/* Flags from the info part of a name (":2,FS"): letters only, ASCII order,
 * no duplicates, as maildir.h lists them. */
static void name_flags(const char *info, char out[16])
{
	unsigned char seen[128] = { 0 };
	size_t n = 0;
	int c;

	out[0] = '\0';
	if (info[0] != ':' || info[1] != '2' || info[2] != ',')
		return;
	for (info += 3; *info; info++) {
		c = (unsigned char)*info;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			seen[c] = 1;
	}
	for (c = 'A'; c <= 'z' && n < 15; c++)
		if (seen[c])
			out[n++] = (char)c;
	out[n] = '\0';
}

/* Size from a ",S=1234" field of the key, or -1. */
static off_t name_size(const char *key, size_t klen)
{
	const char *p, *end = key + klen;
	off_t v;

	for (p = key; p + 3 <= end; p++) {
		if (p[0] != ',' || p[1] != 'S' || p[2] != '=')
			continue;
		p += 3;
		if (p == end || *p < '0' || *p > '9')
			return -1;
		for (v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (v > (off_t)(INT64_MAX / 10 - 1))
				return -1;
			v = v * 10 + (*p - '0');
		}
		return (p == end || *p == ',') ? v : -1;
	}
	return -1;
}

/* ---- the cache file ---- */

/* Eight bytes per step: it checks a 40 MB cache in milliseconds and hashes
 * the keys of 100000 names without showing in a profile.  Not a
 * cryptographic hash: the cache guards against accidents, and anyone who
 * can write it can write the mail too. */
static uint64_t hash64(const char *p, size_t n)
{
	uint64_t h = 0x6a09e667f3bcc909ull ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 31);
}

/* The string at *pos of data[0..len): NULL, or a NUL-terminated string
 * inside data.  -1 when it does not fit. */
static int take_str(const char *data, size_t len, size_t *pos, const char **out)
{
	uint32_t l;

	if (len - *pos < 4)
		return -1;
	memcpy(&l, data + *pos, 4);
	*pos += 4;
	if (l == STR_NULL) {
		*out = NULL;
		return 0;
	}
	/* UNSAFE: l bytes and the NUL must lie before len. */
	if (l >= len - *pos || data[*pos + l] != '\0')
		return -1;
	*out = data + *pos;
	*pos += (size_t)l + 1;
	return 0;
}

/* Fill ix->v from the cache file at data (len bytes); -1 leaves ix empty. */
static int cache_parse(struct index *ix, const char *data, size_t len)
{
	uint32_t version, plen;
	uint64_t count, sum;
	size_t pos = CACHE_HDR, i, k, rlen = strlen(ix->real);
	int64_t date, size;

	if (len < CACHE_HDR || memcmp(data, CACHE_MAGIC, 8) != 0)
		return -1;
	memcpy(&version, data + 8, 4);
	memcpy(&plen, data + 12, 4);
	memcpy(&count, data + 16, 8);
	memcpy(&sum, data + 24, 8);
	if (version != CACHE_VERSION || hash64(data + CACHE_HDR, len - CACHE_HDR) != sum)
		return -1;
	if (plen != rlen || plen >= len - pos || memcmp(data + pos, ix->real, rlen) != 0 ||
	    data[pos + plen] != '\0')
		return -1;
	pos += (size_t)plen + 1;
	if (count > (len - pos) / REC_MIN)
		return -1;
	ix->v = xreallocarray(NULL, count ? count : 1, sizeof(*ix->v));
	ix->cap = count ? count : 1;
	for (i = 0; i < count; i++) {
		struct rec *r = &ix->v[i];
		const char **f[NSTR];

		memset(r, 0, sizeof(*r));
		if (len - pos < 16)
			goto bad;
		memcpy(&date, data + pos, 8);
		memcpy(&size, data + pos + 8, 8);
		pos += 16;
		r->m.date = (time_t)date;
		r->m.size = (off_t)size;
		str_fields(&r->m, f);
		for (k = 0; k < NSTR; k++)
			if (take_str(data, len, &pos, f[k]) < 0)
				goto bad;
		/* Only the ids may be absent. */
		if (!r->m.key || !*r->m.key || !r->m.from || !r->m.from_addr || !r->m.to ||
		    !r->m.subject)
			goto bad;
	}
	if (pos != len)
		goto bad;
	ix->n = count;
	return 0;
bad:
	free(ix->v);
	ix->v = NULL;
	ix->n = ix->cap = 0;
	return -1;
}

/* Load the cache; -1 when there is none we can trust. */
static int cache_load(struct index *ix)
{
	struct stat st;
	size_t len, got = 0;
	char *data;
	int fd = open(ix->cache_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < CACHE_HDR ||
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
	if (got != len || cache_parse(ix, data, len) < 0) {
		free(data);
		return -1;
	}
	ix->cache_data = data;
	return 0;
}

static void put_str(struct buf *b, const char *s)
{
	uint32_t l = s ? (uint32_t)strlen(s) : STR_NULL;

	buf_append(b, &l, 4);
	if (s)
		buf_append(b, s, (size_t)l + 1);
}

/* Write the cache; a failure costs only speed next time, so it is a
 * warning, not an error of the open. */
static void cache_save(struct index *ix)
{
	struct buf b = BUF_INIT;
	struct err err = ERR_INIT;
	uint32_t version = CACHE_VERSION, plen = (uint32_t)strlen(ix->real);
	uint64_t count = 0, sum;
	char *dir;
	size_t i, k;

	buf_grow(&b, CACHE_HDR + plen + 1 + ix->n * 160);
	buf_append(&b, CACHE_MAGIC, 8);
	buf_append(&b, &version, 4);
	buf_append(&b, &plen, 4);
	buf_append(&b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	buf_append(&b, ix->real, (size_t)plen + 1);
	for (i = 0; i < ix->n; i++) {
		struct index_msg *m = &ix->v[i].m;
		const char **f[NSTR];
		int64_t date = m->date, size = m->size;

		if (ix->v[i].state & REC_NOCACHE)
			continue;
		buf_append(&b, &date, 8);
		buf_append(&b, &size, 8);
		str_fields(m, f);
		for (k = 0; k < NSTR; k++)
			put_str(&b, *f[k]);
		count++;
	}
	sum = hash64(b.data + CACHE_HDR, b.len - CACHE_HDR);
	memcpy(b.data + 16, &count, 8);
	memcpy(b.data + 24, &sum, 8);
	dir = path_dirname(ix->cache_path);
	if (afile_mkdirs(dir, &err) < 0 || afile_write(ix->cache_path, b.data, b.len, 0600, &err) < 0)
		log_warnx("cannot write index cache: %s", err.msg);
	else
		ix->dirty = 0;
	free(dir);
	buf_release(&b);
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

/* Read the header block of the message at rel ("cur/NAME") whose
 * directory is open as dfd: into first when it fits in HEAD_FIRST bytes
 * (*out points there), else into ix->head.  With size_out, also the file's
 * size.  Reads stop at the blank line or at HEAD_MAX: a summary never reads
 * a body. */
static int read_head(struct index *ix, int dfd, const char *rel, char first[HEAD_FIRST],
		     const char **out, size_t *len_out, off_t *size_out, struct err *err)
{
	char chunk[16384];
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd = openat(dfd, rel + 4, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s/%s'",
			       ix->dir, rel);
	if (size_out) {
		if (fstat(fd, &st) < 0) {
			err_sys(err, EX_IOERR, "cannot stat '%s/%s'", ix->dir, rel);
			close(fd);
			return -1;
		}
		*size_out = st.st_size;
	}
	/* One read is enough for most messages; a short read is a small file
	 * (regular files are not read short otherwise). */
	while (n < HEAD_FIRST) {
		r = read(fd, first + n, HEAD_FIRST - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
		if (head_complete(first, n))
			break;
	}
	*out = first;
	*len_out = n;
	if (n < HEAD_FIRST || head_complete(first, n)) {
		close(fd);
		return 0;
	}
	buf_reset(&ix->head);
	buf_append(&ix->head, first, n);
	while (ix->head.len < HEAD_MAX) {
		/* Look again only at the new bytes, plus the two a split
		 * "\n\r\n" may have left behind. */
		size_t from = ix->head.len - 2;

		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		buf_append(&ix->head, chunk, (size_t)r);
		if (head_end(ix->head.data + from, ix->head.len - from))
			break;
	}
	close(fd);
	*out = ix->head.data;
	*len_out = ix->head.len;
	return 0;
fail:
	err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read '%s/%s'", ix->dir, rel);
	close(fd);
	return -1;
}

/* The message-ids in v ("<a@b> <c@d>"), without brackets and blanks,
 * space-separated, appended to out; at most max of them (0 = all). */
static void msg_ids(const char *v, size_t max, struct buf *out)
{
	const char *p = v, *l, *r, *q;
	size_t n = 0;

	while ((l = strchr(p, '<')) && (r = strchr(l + 1, '>')) && (max == 0 || n < max)) {
		size_t start = out->len;

		if (n)
			buf_putc(out, ' ');
		for (q = l + 1; q < r; q++)
			if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
				buf_putc(out, *q);
		/* An empty "<>" adds nothing. */
		if (out->len == start + (n ? 1 : 0))
			buf_truncate(out, start);
		else
			n++;
		p = r + 1;
	}
}

static const char *store(struct index *ix, const char *s)
{
	return arena_dup(&ix->strs, s, strlen(s));
}

/* Whether the header name p[0..n) is one the summary reads. */
static int wanted(const char *p, size_t n)
{
	static const char *const names[] = {
		"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
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
	struct msg *m;
	struct msg_addr *a;
	struct buf ids = BUF_INIT;
	const char *s;
	size_t na;

	head_filter(head, len, &ix->fields);
	m = msg_parse(ix->fields.data, ix->fields.len, MSG_HEADERS_ONLY);
	if (!m)
		return;
	if (msg_date(m, &r->m.date) < 0)
		r->m.date = -1;
	na = msg_addrs(m, "From", &a);
	if (na) {
		r->m.from = store(ix, a[0].name && *a[0].name ? a[0].name : a[0].addr);
		r->m.from_addr = store(ix, a[0].addr);
		msg_addrs_free(a, na);
	}
	na = msg_addrs(m, "To", &a);
	if (na) {
		r->m.to = store(ix, a[0].name && *a[0].name ? a[0].name : a[0].addr);
		msg_addrs_free(a, na);
	}
	s = msg_subject(m);
	if (s)
		r->m.subject = store(ix, s);
	s = msg_message_id(m);
	if (s)
		r->m.message_id = store(ix, s);
	s = msg_header(m, "In-Reply-To");
	if (s) {
		msg_ids(s, 1, &ids);
		if (ids.len)
			r->m.in_reply_to = store(ix, ids.data);
	}
	s = msg_header(m, "References");
	if (s) {
		buf_reset(&ids);
		msg_ids(s, 0, &ids);
		if (ids.len)
			r->m.references = store(ix, ids.data);
	}
	buf_release(&ids);
	msg_free(m);
}

/* Summarise every REC_NEW record by reading its header block. */
static void summarise_new(struct index *ix)
{
	char first[HEAD_FIRST];
	struct err err = ERR_INIT;
	int dfd[2] = { -1, -1 };
	size_t i;

	for (i = 0; i < ix->n; i++) {
		struct rec *r = &ix->v[i];
		int sub = r->m.is_new ? 0 : 1;
		const char *head = NULL;
		size_t len = 0;

		if (!(r->state & REC_NEW))
			continue;
		r->state &= ~(unsigned)(REC_NEW | REC_NOCACHE);
		ix->dirty = 1;
		if (dfd[sub] < 0) {
			char *p = path_join(ix->dir, sub ? "cur" : "new");

			dfd[sub] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			free(p);
		}
		/* A message that vanished or cannot be read keeps its line
		 * (with what its name says) but stays out of the cache, so the
		 * next open tries again. */
		if (dfd[sub] < 0 || read_head(ix, dfd[sub], r->m.path, first, &head, &len,
					      r->m.size < 0 ? &r->m.size : NULL, &err) < 0) {
			if (dfd[sub] < 0)
				err_sys(&err, EX_NOINPUT, "cannot open '%s'", ix->dir);
			log_warnx("%s", err.msg);
			err_clear(&err);
			r->state |= REC_NOCACHE;
			continue;
		}
		summarise(ix, r, head, len);
	}
	for (i = 0; i < 2; i++)
		if (dfd[i] >= 0)
			close(dfd[i]);
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

struct paths {
	const char **v;
	size_t n, cap;
};

/* Add "SUB/NAME" for every message file in dir/sub to out, the strings in
 * *names.  readdir only: no stat, no open. */
static int list_sub(const struct index *ix, const char *sub, struct chunk **names,
		    struct paths *out, struct err *err)
{
	char *p = path_join(ix->dir, sub);
	struct dirent *de;
	DIR *d = opendir(p);

	if (!d) {
		err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", p);
		free(p);
		return -1;
	}
	for (;;) {
		size_t l;
		char *s;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		/* Dot files are not messages (the Maildir rule); directories
		 * are dropped by d_type without a stat. */
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		l = strlen(de->d_name);
		/* UNSAFE: "new/" or "cur/" (4 bytes), the name, its NUL. */
		s = arena_alloc(names, 4 + l + 1);
		memcpy(s, sub, 3);
		s[3] = '/';
		memcpy(s + 4, de->d_name, l + 1);
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 1024;
			out->v = xreallocarray(out->v, out->cap, sizeof(*out->v));
		}
		out->v[out->n++] = s;
	}
	if (errno) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read directory '%s'", p);
		closedir(d);
		free(p);
		return -1;
	}
	closedir(d);
	free(p);
	return 0;
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
		const char **f[NSTR];

		str_fields(&ix->v[i].m, f);
		for (k = 0; k < NSTR; k++)
			if (*f[k])
				*f[k] = arena_dup(&strs, *f[k], strlen(*f[k]));
	}
	arena_free(&ix->strs);
	free(ix->cache_data);
	ix->cache_data = NULL;
	ix->strs = strs;
}

/* Match the folder's files against the records by key: known ones take
 * their current path and flags, new ones are summarised, vanished ones
 * dropped.  On failure the records are as they were. */
static int scan(struct index *ix, int is_refresh, struct err *err)
{
	struct chunk *names = NULL;
	struct paths pv = { NULL, 0, 0 };
	uint64_t *tab, h;
	size_t total, size = 16, mask, i, j, dropped;

	/* new/ before cur/: a message moved meanwhile is seen twice rather
	 * than missed, and the later (cur/) name wins below. */
	if (list_sub(ix, "new", &names, &pv, err) < 0 || list_sub(ix, "cur", &names, &pv, err) < 0) {
		arena_free(&names);
		free(pv.v);
		return -1;
	}
	total = ix->n + pv.n;
	if (total >= UINT32_MAX / 2) {
		arena_free(&names);
		free(pv.v);
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

		/* One that could not be read last time is tried again. */
		ix->v[i].state = ix->v[i].state & REC_NOCACHE ? REC_NEW : 0;
		h = hash64(key, strlen(key));
		for (j = h & mask; tab[j] != TAB_EMPTY; j = (j + 1) & mask)
			if ((tab[j] >> 32) == (h >> 32) && strcmp(ix->v[tab[j] & UINT32_MAX].m.key, key) == 0)
				break;
		/* A key twice in the cache: the second copy is never seen. */
		if (tab[j] == TAB_EMPTY)
			tab[j] = (h & ~(uint64_t)UINT32_MAX) | i;
	}
	for (i = 0; i < pv.n; i++) {
		const char *name = pv.v[i] + 4;
		size_t klen = strcspn(name, ":");
		struct rec *r;
		off_t sz;

		if (klen == 0)
			continue;
		h = hash64(name, klen);
		for (j = h & mask; tab[j] != TAB_EMPTY; j = (j + 1) & mask) {
			const char *k = ix->v[tab[j] & UINT32_MAX].m.key;

			if ((tab[j] >> 32) == (h >> 32) && strncmp(k, name, klen) == 0 && k[klen] == '\0')
				break;
		}
		if (tab[j] == TAB_EMPTY) {
			r = rec_add(ix);
			r->m.key = arena_dup(&ix->strs, name, klen);
			r->state = REC_NEW;
			tab[j] = (h & ~(uint64_t)UINT32_MAX) | (ix->n - 1);
		} else {
			r = &ix->v[tab[j] & UINT32_MAX];
		}
		r->state |= REC_SEEN;
		r->m.path = pv.v[i];
		r->m.is_new = pv.v[i][0] == 'n';
		name_flags(name + klen, r->m.flags);
		sz = name_size(name, klen);
		if (sz >= 0)
			r->m.size = sz;
	}
	free(tab);
	free(pv.v);
	for (i = j = 0; i < ix->n; i++)
		if (ix->v[i].state & REC_SEEN)
			ix->v[j++] = ix->v[i];
	dropped = ix->n - j;
	ix->n = j;
	if (dropped)
		ix->dirty = 1;
	arena_free(&ix->names);
	ix->names = names;
	if (is_refresh && dropped)
		compact(ix);
	summarise_new(ix);
	sort_recs(ix);
	return 0;
}

/* ---- API ---- */

/* $XDG_CACHE_HOME/surel/index/HASH of the absolute folder path. */
static char *cache_file(const char *real)
{
	char *base = path_xdg(PATH_XDG_CACHE, "index");
	char *p = xasprintf("%s/%016llx", base,
			    (unsigned long long)hash64(real, strlen(real)));

	free(base);
	return p;
}

struct index *index_open(const char *dir, unsigned flags, struct err *err)
{
	struct index *ix = xcalloc(1, sizeof(*ix));

	ix->dir = xstrdup(dir);
	buf_init(&ix->head);
	buf_init(&ix->fields);
	if (!(flags & INDEX_NO_CACHE)) {
		ix->real = realpath(dir, NULL);
		if (!ix->real) {
			err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", dir);
			index_free(ix);
			return NULL;
		}
		ix->cache_path = cache_file(ix->real);
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
	arena_free(&ix->names);
	free(ix->cache_data);
	buf_release(&ix->head);
	buf_release(&ix->fields);
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
	int rc;

	if (i >= ix->n)
		return err_set(err, EX_SOFTWARE, "no message %zu in '%s'", i, ix->dir);
	r = &ix->v[i];
	e.key = xstrdup(r->m.key);
	e.path = xstrdup(r->m.path);
	memcpy(e.flags, r->m.flags, sizeof(e.flags));
	e.is_new = r->m.is_new;
	e.mtime = 0;
	e.size = r->m.size;
	rc = maildir_set_flags(ix->dir, &e, flags, err);
	if (rc == 0) {
		/* The cache holds no flags or paths, so it needs no write. */
		r->m.path = arena_dup(&ix->names, e.path, strlen(e.path));
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

const char *index_dir(const struct index *ix)
{
	return ix->dir;
}
