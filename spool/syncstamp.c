#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "afile.h"
#include "buf.h"
#include "path.h"
#include "syncstamp.h"
#include "xalloc.h"

struct entry {
	char *folder, *remote;
	struct syncstamp st;
};

struct syncstamps {
	char *path;
	struct entry *v;
	size_t n;
	int dirty;
};

static int64_t ns_of(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000000000LL + sb->st_mtim.tv_nsec;
}

/* dir/sub's mtime, -1 when missing or too recent to prove anything. */
static int64_t dir_ns(const char *dir, const char *sub, time_t now)
{
	char *p = path_join(dir, sub);
	struct stat sb;
	int rc = stat(p, &sb);

	free(p);
	if (rc < 0 || !S_ISDIR(sb.st_mode) || sb.st_mtim.tv_sec + SYNCSTAMP_RACY_SECONDS > now)
		return -1;
	return ns_of(&sb);
}

int syncstamp_dirs_now(const char *dir, struct syncstamp_local *out)
{
	time_t now = time(NULL);

	out->cur_ns = dir_ns(dir, "cur", now);
	out->new_ns = dir_ns(dir, "new", now);
	return out->cur_ns < 0 || out->new_ns < 0 ? -1 : 0;
}

int syncstamp_state_now(const char *state, struct syncstamp_local *out)
{
	char *journal = xasprintf("%s.journal", state);
	struct stat sb;
	int jrc = lstat(journal, &sb), jerr = errno;

	free(journal);
	out->state_ino = 0;
	out->state_size = out->state_ns = 0;
	if (jrc == 0 || jerr != ENOENT)
		return -1;
	if (stat(state, &sb) == 0) {
		out->state_ino = (uint64_t)sb.st_ino;
		out->state_size = (int64_t)sb.st_size;
		out->state_ns = ns_of(&sb);
		return 0;
	}
	return errno == ENOENT ? 0 : -1;
}

int syncstamp_local_same(const struct syncstamp_local *a, const struct syncstamp_local *b)
{
	return a->cur_ns == b->cur_ns && a->new_ns == b->new_ns && a->state_ino == b->state_ino &&
	       a->state_size == b->state_size && a->state_ns == b->state_ns;
}

int syncstamp_remote_same(const struct syncstamp_remote *a, const struct syncstamp_remote *b)
{
	if (!a->uidvalidity || a->uidvalidity != b->uidvalidity || a->uidnext != b->uidnext ||
	    a->exists != b->exists)
		return 0;
	/* Every flag change raises HIGHESTMODSEQ; without CONDSTORE only the
	 * listing itself shows one. */
	if (a->modseq && b->modseq)
		return a->modseq == b->modseq;
	return a->digest[0] && strcmp(a->digest, b->digest) == 0;
}

void syncstamp_digest_init(struct syncstamp_digest *d)
{
	d->h = 0xcbf29ce484222325ULL;
	d->last = 0;
	d->bad = 0;
}

static void mix(struct syncstamp_digest *d, unsigned char c)
{
	d->h ^= c;
	d->h *= 0x100000001b3ULL;
}

void syncstamp_digest_add(struct syncstamp_digest *d, uint32_t uid, const char *flags)
{
	int i;

	if (uid <= d->last)
		d->bad = 1;
	d->last = uid;
	for (i = 0; i < 4; i++)
		mix(d, (unsigned char)(uid >> (8 * i)));
	for (; *flags; flags++)
		mix(d, (unsigned char)*flags);
	mix(d, ' ');
}

void syncstamp_digest_end(struct syncstamp_digest *d, char out[17])
{
	if (d->bad)
		out[0] = '\0';
	else
		snprintf(out, 17, "%016" PRIx64, d->h);
}

static void put_enc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c == '%' || c == 0x7f)
			buf_printf(b, "%%%02X", c);
		else
			buf_putc(b, (char)c);
	}
}

/* Undo put_enc() on the n bytes at s; NULL when they are no such text. */
static char *get_enc(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int c;

		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n || sscanf(s + i + 1, "%2x", &c) != 1 || c == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)c;
		i += 2;
	}
	*o = '\0';
	return out;
}

/* One "s ..." line into e; -1 when it is not one. */
static int parse_line(const char *line, struct entry *e)
{
	struct syncstamp *s = &e->st;
	unsigned long long ino, ms;
	long long cur, nw, size, sns;
	unsigned long uv, un, ex;
	char digest[17];
	int used = 0;

	const char *sp;

	if (sscanf(line, "s %lld %lld %llu %lld %lld %lu %lu %lu %llu %16s %n", &cur, &nw, &ino,
		   &size, &sns, &uv, &un, &ex, &ms, digest, &used) != 10 ||
	    used == 0 || !line[used] || uv > UINT32_MAX || un > UINT32_MAX || ex > UINT32_MAX)
		return -1;
	sp = strchr(line + used, ' ');
	if (!sp || !sp[1] || !(e->remote = get_enc(line + used, (size_t)(sp - line - used))))
		return -1;
	memset(s, 0, sizeof(*s));
	s->l.cur_ns = cur;
	s->l.new_ns = nw;
	s->l.state_ino = ino;
	s->l.state_size = size;
	s->l.state_ns = sns;
	s->r.uidvalidity = (uint32_t)uv;
	s->r.uidnext = (uint32_t)un;
	s->r.exists = (uint32_t)ex;
	s->r.modseq = ms;
	if (strcmp(digest, "-") != 0 && strlen(digest) == 16)
		memcpy(s->r.digest, digest, 17);
	e->folder = xstrdup(sp + 1);
	return 0;
}

struct syncstamps *syncstamps_load(const char *path)
{
	struct syncstamps *s = xcalloc(1, sizeof(*s));
	struct err err = ERR_INIT;
	char *data, *line, *nl;
	size_t len;

	s->path = xstrdup(path);
	if (afile_read(path, 0, &data, &len, &err) < 0)
		return s;
	for (line = data; line < data + len; line = nl + 1) {
		struct entry e;

		nl = memchr(line, '\n', (size_t)(data + len - line));
		if (!nl)
			break;
		*nl = '\0';
		if (line == data) {
			if (strcmp(line, "version 1") != 0)
				break;
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (parse_line(line, &e) < 0)
			continue;
		syncstamps_set(s, e.folder, e.remote, &e.st);
		free(e.folder);
		free(e.remote);
	}
	free(data);
	s->dirty = 0;
	return s;
}

void syncstamps_free(struct syncstamps *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->v[i].folder);
		free(s->v[i].remote);
	}
	free(s->v);
	free(s->path);
	free(s);
}

static struct entry *find(const struct syncstamps *s, const char *folder)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].folder, folder) == 0)
			return &s->v[i];
	return NULL;
}

const struct syncstamp *syncstamps_get(const struct syncstamps *s, const char *folder,
				       const char **remote_out)
{
	struct entry *e = find(s, folder);

	if (e && remote_out)
		*remote_out = e->remote;
	return e ? &e->st : NULL;
}

size_t syncstamps_count(const struct syncstamps *s)
{
	return s->n;
}

const struct syncstamp *syncstamps_at(const struct syncstamps *s, size_t i, const char **folder_out,
				      const char **remote_out)
{
	*folder_out = s->v[i].folder;
	*remote_out = s->v[i].remote;
	return &s->v[i].st;
}

void syncstamps_set(struct syncstamps *s, const char *folder, const char *remote,
		    const struct syncstamp *st)
{
	struct entry *e = find(s, folder);

	if (!st || strchr(folder, '\n') || !*remote) {
		if (!e)
			return;
		free(e->folder);
		free(e->remote);
		*e = s->v[--s->n];
		s->dirty = 1;
		return;
	}
	if (!e) {
		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		e = &s->v[s->n++];
		e->folder = xstrdup(folder);
		e->remote = xstrdup(remote);
	} else if (memcmp(&e->st, st, sizeof(*st)) == 0 && strcmp(e->remote, remote) == 0) {
		return;
	} else if (strcmp(e->remote, remote) != 0) {
		free(e->remote);
		e->remote = xstrdup(remote);
	}
	e->st = *st;
	s->dirty = 1;
}

int syncstamps_save(struct syncstamps *s, struct err *err)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	if (!s->dirty)
		return 0;
	buf_printf(&b, "version 1\n");
	for (i = 0; i < s->n; i++) {
		const struct syncstamp *st = &s->v[i].st;

		buf_printf(&b, "s %" PRId64 " %" PRId64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRIu32
			       " %" PRIu32 " %" PRIu32 " %" PRIu64 " %s ",
			   st->l.cur_ns, st->l.new_ns, st->l.state_ino, st->l.state_size, st->l.state_ns,
			   st->r.uidvalidity, st->r.uidnext, st->r.exists, st->r.modseq,
			   st->r.digest[0] ? st->r.digest : "-");
		put_enc(&b, s->v[i].remote);
		buf_printf(&b, " %s\n", s->v[i].folder);
	}
	rc = afile_write(s->path, b.data, b.len, 0, err);
	buf_release(&b);
	if (rc == 0)
		s->dirty = 0;
	return rc;
}
