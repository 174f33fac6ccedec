#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "syncstate.h"
#include "xalloc.h"

#define EMPTY ((size_t)-1)
#define GONE ((size_t)-2)

/* An open-addressing table from uid or key to an index into recs. */
struct table {
	size_t *slot;
	size_t cap;   /* a power of two */
	size_t used;  /* live and tombstones */
};

struct syncstate {
	char *path, *jpath;
	uint64_t generation;
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;
	struct syncstate_rec *recs;  /* dropped ones have key NULL */
	size_t n, cap, live;
	struct table by_uid, by_key;
	struct syncstate_pend *pend;
	size_t npend;
	struct buf jbuf;   /* journal lines not yet committed */
	int dirty;         /* differs from the state file */
	int jstarted;      /* the journal file names this generation */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t hash_uid(uint32_t u)
{
	uint64_t h = u * 0x9e3779b97f4a7c15ULL;

	return h ^ (h >> 29);
}

static void table_clear(struct table *t, size_t cap)
{
	size_t i;

	free(t->slot);
	t->cap = cap;
	t->used = 0;
	t->slot = xreallocarray(NULL, cap, sizeof(*t->slot));
	for (i = 0; i < cap; i++)
		t->slot[i] = EMPTY;
}

static int same(const struct syncstate *st, int bykey, size_t idx, uint32_t uid, const char *key)
{
	const struct syncstate_rec *r = &st->recs[idx];

	return bykey ? strcmp(r->key, key) == 0 : r->uid == uid;
}

/* The slot holding the record of uid (or key), else EMPTY. */
static size_t table_find(const struct syncstate *st, const struct table *t, int bykey, uint32_t uid,
			 const char *key)
{
	size_t m = t->cap - 1, i = (size_t)(bykey ? hash_str(key) : hash_uid(uid)) & m, k;

	for (k = 0; k < t->cap; k++, i = (i + 1) & m) {
		if (t->slot[i] == EMPTY)
			return EMPTY;
		if (t->slot[i] != GONE && same(st, bykey, t->slot[i], uid, key))
			return i;
	}
	return EMPTY;
}

static void table_add(struct table *t, uint64_t h, size_t idx)
{
	size_t m = t->cap - 1, i = (size_t)h & m;

	while (t->slot[i] != EMPTY && t->slot[i] != GONE)
		i = (i + 1) & m;
	if (t->slot[i] == EMPTY)
		t->used++;
	t->slot[i] = idx;
}

/* Compact the records and rebuild both tables with room to grow. */
static void rebuild(struct syncstate *st)
{
	size_t i, j = 0, cap = 64;

	for (i = 0; i < st->n; i++)
		if (st->recs[i].key)
			st->recs[j++] = st->recs[i];
	st->n = j;
	st->live = j;
	while (cap < 4 * (j + 1))
		cap *= 2;
	table_clear(&st->by_uid, cap);
	table_clear(&st->by_key, cap);
	for (i = 0; i < st->n; i++) {
		table_add(&st->by_uid, hash_uid(st->recs[i].uid), i);
		table_add(&st->by_key, hash_str(st->recs[i].key), i);
	}
}

void syncstate_flags(const char *f, char out[8])
{
	static const char synced[] = "DFRST";
	size_t i, n = 0;

	for (i = 0; synced[i]; i++)
		if (f && strchr(f, synced[i]))
			out[n++] = synced[i];
	out[n] = '\0';
}

static void forget(struct syncstate *st, size_t idx)
{
	struct syncstate_rec *r = &st->recs[idx];
	size_t s;

	s = table_find(st, &st->by_uid, 0, r->uid, NULL);
	if (s != EMPTY)
		st->by_uid.slot[s] = GONE;
	s = table_find(st, &st->by_key, 1, 0, r->key);
	if (s != EMPTY)
		st->by_key.slot[s] = GONE;
	free(r->key);
	r->key = NULL;
	st->live--;
}

static void pend_drop_key(struct syncstate *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->npend; i++) {
		if (strcmp(st->pend[i].key, key) != 0)
			continue;
		free(st->pend[i].key);
		st->pend[i] = st->pend[--st->npend];
		return;
	}
}

/* The change itself, without journalling (load and replay use it too). */
static void put(struct syncstate *st, uint32_t uid, const char *flags, const char *key)
{
	struct syncstate_rec *r;
	size_t s;

	s = table_find(st, &st->by_uid, 0, uid, NULL);
	if (s != EMPTY)
		forget(st, st->by_uid.slot[s]);
	s = table_find(st, &st->by_key, 1, 0, key);
	if (s != EMPTY)
		forget(st, st->by_key.slot[s]);
	pend_drop_key(st, key);
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 256;
		st->recs = xreallocarray(st->recs, st->cap, sizeof(*st->recs));
	}
	if (2 * (st->by_uid.used + 1) > st->by_uid.cap || 2 * (st->by_key.used + 1) > st->by_key.cap)
		rebuild(st);
	r = &st->recs[st->n];
	r->uid = uid;
	syncstate_flags(flags, r->flags);
	r->key = xstrdup(key);
	table_add(&st->by_uid, hash_uid(uid), st->n);
	table_add(&st->by_key, hash_str(key), st->n);
	st->n++;
	st->live++;
}

static void pend(struct syncstate *st, const char *key, uint32_t uidnext, uint64_t size,
		 const char *digest)
{
	struct syncstate_pend *p;

	pend_drop_key(st, key);
	st->pend = xreallocarray(st->pend, st->npend + 1, sizeof(*st->pend));
	p = &st->pend[st->npend++];
	p->key = xstrdup(key);
	p->uidnext = uidnext;
	p->size = size;
	snprintf(p->digest, sizeof(p->digest), "%s", digest);
}

static void drop(struct syncstate *st, uint32_t uid)
{
	size_t s = table_find(st, &st->by_uid, 0, uid, NULL);

	if (s != EMPTY)
		forget(st, st->by_uid.slot[s]);
}

static int parse_u64(const char *s, char **end, uint64_t *out)
{
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, end, 10);
	if (errno)
		return -1;
	*out = v;
	return 0;
}

static int parse_u32(const char *s, char **end, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(s, end, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "FLAGS KEY" of a record line after its uid. */
static int parse_flags_key(char *p, char flags[8], char **key_out)
{
	char *sp = strchr(p, ' ');

	if (!sp || sp == p || (size_t)(sp - p) > 5)
		return -1;
	*sp = '\0';
	syncstate_flags(strcmp(p, "-") == 0 ? "" : p, flags);
	*key_out = sp + 1;
	return **key_out ? 0 : -1;
}

/* One line of the state (journal 0) or of the journal (1). */
static int apply_line(struct syncstate *st, char *line, int journal)
{
	struct syncstate_rec *r;
	char *p, *key, flags[8];
	uint32_t uid, u2;
	uint64_t v, size;

	if (line[0] && line[1] == ' ') {
		p = line + 2;
		switch (line[0]) {
		case 'm':
			if (parse_u32(p, &p, &uid) < 0 || uid == 0 || *p++ != ' ' ||
			    parse_flags_key(p, flags, &key) < 0)
				return -1;
			put(st, uid, flags, key);
			return 0;
		case 'a':
			if (parse_u32(p, &p, &u2) < 0 || *p++ != ' ' || parse_u64(p, &p, &size) < 0 ||
			    *p++ != ' ' || strlen(p) < 18 || p[16] != ' ')
				return -1;
			p[16] = '\0';
			pend(st, p + 17, u2, size, p);
			return 0;
		case 'f':
			if (!journal || parse_u32(p, &p, &uid) < 0 || *p++ != ' ')
				return -1;
			r = syncstate_by_uid(st, uid);
			if (r)
				syncstate_flags(strcmp(p, "-") == 0 ? "" : p, r->flags);
			return 0;
		case '-':
			if (!journal || parse_u32(p, &p, &uid) < 0 || *p)
				return -1;
			drop(st, uid);
			return 0;
		default:
			return -1;
		}
	}
	if (journal)
		return -1;
	if (strncmp(line, "version ", 8) == 0)
		return strcmp(line + 8, "1") == 0 ? 0 : -1;
	if (strncmp(line, "generation ", 11) == 0)
		return parse_u64(line + 11, &p, &st->generation) < 0 || *p ? -1 : 0;
	if (strncmp(line, "uidvalidity ", 12) == 0)
		return parse_u32(line + 12, &p, &st->uidvalidity) < 0 || *p ? -1 : 0;
	if (strncmp(line, "uidnext ", 8) == 0)
		return parse_u32(line + 8, &p, &st->uidnext) < 0 || *p ? -1 : 0;
	if (strncmp(line, "modseq ", 7) == 0) {
		if (parse_u64(line + 7, &p, &v) < 0 || *p)
			return -1;
		st->modseq = v;
		return 0;
	}
	return -1;
}

/* Apply every line of file path; journal 1 also checks its generation and
 * drops a last line cut by a crash. */
static int load_file(struct syncstate *st, const char *path, int journal, struct err *err)
{
	char *data, *line, *nl;
	size_t len, lineno = 0;
	uint64_t gen;

	if (afile_read(path, 0, &data, &len, err) < 0) {
		if (err->code == EX_NOINPUT && err->errnum == ENOENT) {
			err_clear(err);
			return 0;
		}
		return -1;
	}
	for (line = data; line < data + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(data + len - line));
		if (!nl) {
			if (journal)
				break;
			nl = data + len;
		}
		*nl = '\0';
		lineno++;
		if (journal && lineno == 1) {
			char *e;

			if (strncmp(line, "j ", 2) != 0 || parse_u64(line + 2, &e, &gen) < 0 || *e)
				break;
			/* A journal of an older generation was folded into
			 * the state already (crash between save's rename and
			 * unlink). */
			if (gen != st->generation)
				break;
			st->jstarted = 1;
			continue;
		}
		if (apply_line(st, line, journal) < 0) {
			free(data);
			return err_set(err, EX_DATAERR, "%s:%zu: bad line", path, lineno);
		}
	}
	free(data);
	return 0;
}

int syncstate_open(const char *path, struct syncstate **out, struct err *err)
{
	struct syncstate *st = xcalloc(1, sizeof(*st));
	size_t i;

	st->path = xstrdup(path);
	st->jpath = xasprintf("%s.journal", path);
	buf_init(&st->jbuf);
	rebuild(st);
	if (load_file(st, st->path, 0, err) < 0 || load_file(st, st->jpath, 1, err) < 0) {
		syncstate_free(st);
		return -1;
	}
	/* A pending append whose key got its record is settled. */
	for (i = 0; i < st->npend;) {
		if (syncstate_by_key(st, st->pend[i].key))
			pend_drop_key(st, st->pend[i].key);
		else
			i++;
	}
	*out = st;
	return 0;
}

void syncstate_pend_clear(struct syncstate *st)
{
	size_t i;

	st->dirty |= st->npend > 0;
	for (i = 0; i < st->npend; i++)
		free(st->pend[i].key);
	free(st->pend);
	st->pend = NULL;
	st->npend = 0;
}

void syncstate_free(struct syncstate *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++)
		free(st->recs[i].key);
	free(st->recs);
	free(st->by_uid.slot);
	free(st->by_key.slot);
	syncstate_pend_clear(st);
	buf_release(&st->jbuf);
	free(st->path);
	free(st->jpath);
	free(st);
}

uint32_t syncstate_uidvalidity(const struct syncstate *st)
{
	return st->uidvalidity;
}

uint32_t syncstate_uidnext(const struct syncstate *st)
{
	return st->uidnext;
}

uint64_t syncstate_modseq(const struct syncstate *st)
{
	return st->modseq;
}

void syncstate_set_folder(struct syncstate *st, uint32_t uidnext, uint64_t modseq)
{
	st->dirty |= st->uidnext != uidnext || st->modseq != modseq;
	st->uidnext = uidnext;
	st->modseq = modseq;
}

void syncstate_reset(struct syncstate *st, uint32_t uidvalidity)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->recs[i].key);
	st->n = 0;
	rebuild(st);
	syncstate_pend_clear(st);
	buf_reset(&st->jbuf);
	st->uidvalidity = uidvalidity;
	st->uidnext = 0;
	st->modseq = 0;
	st->dirty = 1;
}

size_t syncstate_count(const struct syncstate *st)
{
	return st->n;
}

struct syncstate_rec *syncstate_at(struct syncstate *st, size_t i)
{
	return &st->recs[i];
}

struct syncstate_rec *syncstate_by_uid(struct syncstate *st, uint32_t uid)
{
	size_t s = table_find(st, &st->by_uid, 0, uid, NULL);

	return s == EMPTY ? NULL : &st->recs[st->by_uid.slot[s]];
}

struct syncstate_rec *syncstate_by_key(struct syncstate *st, const char *key)
{
	size_t s = table_find(st, &st->by_key, 1, 0, key);

	return s == EMPTY ? NULL : &st->recs[st->by_key.slot[s]];
}

static const char *flags_field(const char *f)
{
	return *f ? f : "-";
}

void syncstate_put(struct syncstate *st, uint32_t uid, const char *flags, const char *key)
{
	char f[8];

	syncstate_flags(flags, f);
	put(st, uid, f, key);
	buf_printf(&st->jbuf, "m %" PRIu32 " %s %s\n", uid, flags_field(f), key);
}

void syncstate_set_flags(struct syncstate *st, struct syncstate_rec *r, const char *flags)
{
	char f[8];

	syncstate_flags(flags, f);
	memcpy(r->flags, f, sizeof(f));
	buf_printf(&st->jbuf, "f %" PRIu32 " %s\n", r->uid, flags_field(r->flags));
}

void syncstate_drop(struct syncstate *st, uint32_t uid)
{
	drop(st, uid);
	buf_printf(&st->jbuf, "- %" PRIu32 "\n", uid);
}

void syncstate_pend(struct syncstate *st, const char *key, uint32_t uidnext, uint64_t size,
		    const char *digest)
{
	pend(st, key, uidnext, size, digest);
	buf_printf(&st->jbuf, "a %" PRIu32 " %" PRIu64 " %s %s\n", uidnext, size, digest, key);
}

size_t syncstate_pend_count(const struct syncstate *st)
{
	return st->npend;
}

const struct syncstate_pend *syncstate_pend_at(const struct syncstate *st, size_t i)
{
	return &st->pend[i];
}

int syncstate_commit(struct syncstate *st, struct err *err)
{
	int fd, rc;

	if (st->jbuf.len == 0)
		return 0;
	st->dirty = 1;
	fd = open(st->jpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (st->jstarted ? 0 : O_TRUNC),
		  0600);
	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot open '%s'", st->jpath);
	if (!st->jstarted) {
		char head[32];
		int n = snprintf(head, sizeof(head), "j %" PRIu64 "\n", st->generation);

		rc = afile_write_all(fd, head, (size_t)n, err);
		if (rc < 0)
			goto out;
	}
	rc = afile_write_all(fd, st->jbuf.data, st->jbuf.len, err);
	if (rc == 0 && fdatasync(fd) < 0)
		rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot sync");
	if (rc == 0 && !st->jstarted) {
		/* The journal's name must be durable before what it records
		 * is relied on. */
		char *dir = xstrdup(st->jpath), *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		rc = afile_fsync_dir(slash ? dir : ".", err);
		free(dir);
	}
out:
	close(fd);
	if (rc < 0) {
		err_prefix(err, "'%s'", st->jpath);
		return -1;
	}
	st->jstarted = 1;
	buf_reset(&st->jbuf);
	return 0;
}

int syncstate_save(struct syncstate *st, struct err *err)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	/* Nothing new (no journal either): the file says it all already. */
	if (!st->dirty && !st->jstarted && st->jbuf.len == 0)
		return 0;
	buf_printf(&b, "version 1\ngeneration %" PRIu64 "\nuidvalidity %" PRIu32
		       "\nuidnext %" PRIu32 "\nmodseq %" PRIu64 "\n",
		   st->generation + 1, st->uidvalidity, st->uidnext, st->modseq);
	for (i = 0; i < st->n; i++)
		if (st->recs[i].key)
			buf_printf(&b, "m %" PRIu32 " %s %s\n", st->recs[i].uid,
				   flags_field(st->recs[i].flags), st->recs[i].key);
	for (i = 0; i < st->npend; i++)
		buf_printf(&b, "a %" PRIu32 " %" PRIu64 " %s %s\n", st->pend[i].uidnext,
			   st->pend[i].size, st->pend[i].digest, st->pend[i].key);
	rc = afile_write(st->path, b.data, b.len, 0, err);
	buf_release(&b);
	if (rc < 0)
		return -1;
	st->generation++;
	buf_reset(&st->jbuf);
	st->jstarted = 0;
	st->dirty = 0;
	if (unlink(st->jpath) < 0 && errno != ENOENT)
		return err_sys(err, afile_err_code(errno, EX_IOERR), "cannot remove '%s'", st->jpath);
	return 0;
}
