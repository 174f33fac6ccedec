#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "afile.h"
#include "buf.h"
#include "idxhint.h"
#include "index_cache.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "path.h"
#include "search.h"
#include "search_query.h"
#include "search_text.h"
#include "strv.h"
#include "xalloc.h"

/* 1: the first layout; 2: ids in date order; 3: an index of paths.
 * Another number in the file: rebuilt. */
#define SCHEMA_VERSION 3
/* A message's id (and FTS5 rowid) is its date in seconds shifted left by
 * this, or'ed with the low bits of a counter of insertions, so that the
 * order of rowids is the order of dates and FTS5 yields the newest
 * matches first.  34 bits of date reach the year 2514; 29 bits of counter
 * mean an id comes back only after 2^29 insertions, while the terms a
 * removed message leaves (search.h) last only until the dead outnumber
 * the living. */
#define ID_SHIFT 29
#define ID_DATE_MAX ((1LL << (63 - ID_SHIFT)) - 1)
/* Messages per transaction: big enough that commits do not dominate, small
 * enough that a crash loses little work. */
#define BATCH 512
/* A directory changed this recently may change again within the same
 * mtime tick after it was read: its mtime is not trusted (git's racy
 * index rule). */
#define RACY_SECONDS 2
/* Dead rows below this many are never worth a rebuild. */
#define DEAD_MIN 1000
#define SNIPPET_BYTES 160

enum stmt {
	ST_INS_MSG, ST_INS_FTS, ST_DEL_MSG, ST_MOVE, ST_LIST, ST_GET_META, ST_FOLDERS,
	ST_INS_FOLDER, ST_SET_MTIMES, ST_DEL_FOLDER, ST_DEAD_ADD, ST_GET_SEQ, ST_SET_SEQ,
	ST_HAS_KEY, ST_N
};

static const char *const stmt_sql[ST_N] = {
	"INSERT OR IGNORE INTO msg(folder, key, path, flags, date, size, attach, sender, subject,"
	" msgid, thread, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	"INSERT INTO fts(rowid, subject, sender, recip, body) VALUES (?, ?, ?, ?, ?)",
	"DELETE FROM msg WHERE id = ?",
	"UPDATE OR IGNORE msg SET folder = ?, key = ?, path = ?, flags = ? WHERE id = ?",
	"SELECT id, path FROM msg WHERE folder = ? AND path >= ? AND path < ?",
	"SELECT size, msgid FROM msg WHERE id = ?",
	"SELECT id, name, new_mtime, cur_mtime FROM folder",
	"INSERT OR IGNORE INTO folder(name, new_mtime, cur_mtime) VALUES (?, 0, 0)",
	"UPDATE folder SET new_mtime = ?, cur_mtime = ? WHERE id = ?",
	"DELETE FROM folder WHERE id = ?",
	"UPDATE meta SET v = v + ? WHERE k = 'dead'",
	"SELECT v FROM meta WHERE k = 'seq'",
	"UPDATE meta SET v = ? WHERE k = 'seq'",
	"SELECT 1 FROM msg WHERE folder = ? AND key = ?",
};

static const char schema[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v);"
	"CREATE TABLE folder(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" new_mtime INTEGER NOT NULL, cur_mtime INTEGER NOT NULL);"
	"CREATE TABLE msg(id INTEGER PRIMARY KEY, folder INTEGER NOT NULL,"
	" key TEXT NOT NULL, path TEXT NOT NULL, flags TEXT NOT NULL, date INTEGER NOT NULL,"
	" size INTEGER NOT NULL, attach INTEGER NOT NULL, sender TEXT NOT NULL,"
	" subject TEXT NOT NULL, msgid TEXT NOT NULL, thread TEXT NOT NULL,"
	" UNIQUE(folder, key));"
	"CREATE INDEX msg_date ON msg(date);"
	"CREATE INDEX msg_path ON msg(folder, path);"
	"CREATE VIRTUAL TABLE fts USING fts5(subject, sender, recip, body, content='',"
	" columnsize=0, tokenize='unicode61 remove_diacritics 2');"
	"INSERT INTO meta VALUES('dead', 0);"
	"INSERT INTO meta VALUES('seq', 0);";

struct search {
	sqlite3 *db;
	char *root;
	char *real;
	char *path;
	sqlite3_stmt *st[ST_N];
	long long seq;         /* the insertion counter, inside a transaction */
	struct search_stats stats;
	int broken;            /* found corrupt (and removed) */
};

/* A folder the first pass of a refresh found changed. */
struct fwork {
	long long id;
	char *name;
	char *dir;             /* NULL: the folder went away */
	struct maildir_entry *todo;  /* files to read */
	size_t ntodo;
	long long mt_new, mt_cur;
};

static void unlink_db(const char *path);

/* A database found corrupt after it was opened (search_open() checks only
 * its header and meta) is removed at once: the next search_open()
 * rebuilds it, and no later use trusts it. */
static int db_err(struct search *s, struct err *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	int ex = code == SQLITE_BUSY || code == SQLITE_LOCKED ? EX_TEMPFAIL :
		 code == SQLITE_FULL || code == SQLITE_IOERR ? EX_IOERR :
		 code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? EX_DATAERR : EX_SOFTWARE;

	if (ex == EX_DATAERR && !s->broken) {
		s->broken = 1;
		unlink_db(s->path);
		return err_set(err, ex, "search index '%s': %s: %s (removed: it is rebuilt)",
			       s->path, what, sqlite3_errmsg(s->db));
	}
	return err_set(err, ex, "search index '%s': %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static int exec(struct search *s, const char *sql, struct err *err)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(s, err, "cannot update");
	return 0;
}

static void unlink_db(const char *path)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		char *p = xasprintf("%s%s", path, ext[i]);

		if (unlink(p) < 0 && errno != ENOENT)
			log_warnx("cannot remove '%s': %s", p, strerror(errno));
		free(p);
	}
}

static void close_db(struct search *s)
{
	size_t i;

	for (i = 0; i < ST_N; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	sqlite3_close(s->db);
	s->db = NULL;
}

/* 1 when the open database is ours (version and root), 0 when it must be
 * rebuilt, -1 when it cannot be read at all (also rebuilt). */
static int check_db(struct search *s)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == SCHEMA_VERSION;
	sqlite3_finalize(st);
	if (!ok)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'root'", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
	     strcmp((const char *)sqlite3_column_text(st, 0), s->real) == 0;
	sqlite3_finalize(st);
	return ok;
}

/* An empty database: the schema, under an exclusive transaction so that
 * two programs starting together create it once. */
static int create_db(struct search *s, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int version = 0, rc;
	char *sql;

	if (exec(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == SCHEMA_VERSION)
		return exec(s, "COMMIT", err);
	sql = sqlite3_mprintf("%s INSERT INTO meta VALUES('root', %Q); PRAGMA user_version = %d;",
			      schema, s->real, SCHEMA_VERSION);
	rc = exec(s, sql, err);
	sqlite3_free(sql);
	if (rc < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return exec(s, "COMMIT", err);
}

static int open_db(struct search *s, struct err *err)
{
	int r;

	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, "cannot open");
	sqlite3_busy_timeout(s->db, 30000);
	/* The index is a copy: NORMAL loses at most the last batches on a
	 * power cut, never consistency, and the next refresh redoes them.
	 * Mapped pages spare a query a read() per page. */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 " PRAGMA mmap_size = 268435456", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	r = check_db(s);
	if (r < 0)
		return -1;
	if (r == 0) {
		sqlite3_stmt *st = NULL;
		int empty;

		/* A fresh file has no tables yet: create them; anything else
		 * that is not ours is rebuilt. */
		if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) !=
		    SQLITE_OK)
			return -1;
		empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
		sqlite3_finalize(st);
		if (!empty)
			return -1;
		if (create_db(s, err) < 0)
			return -1;
		if (check_db(s) != 1)
			return -1;
	}
	return 0;
}

static int prepare_all(struct search *s, struct err *err)
{
	size_t i;

	for (i = 0; i < ST_N; i++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK)
			return db_err(s, err, "cannot prepare");
	return 0;
}

/* Before idxhint.h named the index files, the database of root was
 * HASH.db with the folder index's hash of the real path: when the index
 * under today's name is yet to be made, one left under that name is
 * removed, so that an upgrade leaves no orphan in the cache. */
static void unlink_legacy(const struct search *s)
{
	char *dir = path_xdg(PATH_XDG_CACHE, "search");
	char *old = xasprintf("%s/%016llx.db", dir,
			      (unsigned long long)index_cache_hash(s->real, strlen(s->real)));

	if (strcmp(old, s->path) != 0 && access(s->path, F_OK) < 0 && access(old, F_OK) == 0) {
		log_info("removing the search index of an older version '%s'", old);
		unlink_db(old);
	}
	free(old);
	free(dir);
}

struct search *search_open(const char *root, unsigned flags, struct err *err)
{
	struct search *s = xcalloc(1, sizeof(*s));
	char *dir;
	int tries;

	s->root = xstrdup(root);
	s->real = realpath(root, NULL);
	if (!s->real)
		s->real = xstrdup(root);
	dir = path_xdg(PATH_XDG_CACHE, "search");
	s->path = idxhint_path(s->real, "db");
	if (afile_mkdirs(dir, err) < 0) {
		free(dir);
		search_close(s);
		return NULL;
	}
	free(dir);
	unlink_legacy(s);
	if ((flags & SEARCH_EXISTING) && access(s->path, F_OK) < 0) {
		err_set(err, EX_UNAVAILABLE, "no search index yet (spool index builds it)");
		search_close(s);
		return NULL;
	}
	if (flags & SEARCH_REBUILD)
		unlink_db(s->path);
	for (tries = 0; tries < 2; tries++) {
		struct err e2 = ERR_INIT;

		if (open_db(s, &e2) == 0 && prepare_all(s, &e2) == 0)
			return s;
		close_db(s);
		if (tries == 0) {
			log_info("search index '%s' is not ours or unreadable: rebuilding it", s->path);
			unlink_db(s->path);
		} else {
			*err = e2;
			if (!err->msg[0])
				err_set(err, EX_CANTCREAT, "cannot create the search index '%s'", s->path);
		}
	}
	search_close(s);
	return NULL;
}

void search_close(struct search *s)
{
	if (!s)
		return;
	close_db(s);
	free(s->root);
	free(s->real);
	free(s->path);
	free(s);
}

/* ---- refresh ---- */

static void bind_buf(sqlite3_stmt *st, int i, const struct buf *b)
{
	sqlite3_bind_text(st, i, b->data ? b->data : "", (int)b->len, SQLITE_STATIC);
}

/* Run a statement that returns no rows, then reset it. */
static int step_done(struct search *s, sqlite3_stmt *st, struct err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_err(s, err, "cannot update");
	return 0;
}

/* The mtime of dir/sub in nanoseconds, 0 when it is too recent to trust
 * (or cannot be read). */
static long long dir_mtime(const char *dir, const char *sub, time_t now)
{
	char *p = path_join(dir, sub);
	struct stat st;
	int rc = stat(p, &st);

	free(p);
	if (rc < 0 || st.st_mtim.tv_sec + RACY_SECONDS > now)
		return 0;
	return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

/* A file of a subdirectory that changed: "sub/name" at name in the
 * scan's arena. */
struct lfile {
	size_t name;
	size_t len;
	size_t fw;             /* its folder, an index into scan.v */
	int seen;              /* a row has exactly this path */
};

/* A row whose path was not listed: the message left, or changed its name
 * (flags), its subdirectory or its folder. */
struct lost {
	long long id;
	size_t fw;
	char *path;            /* "sub/name" */
	const char *key;       /* in path */
	size_t keylen;
	long long size;        /* the file's, -1 until looked up */
	char *msgid;           /* the same */
	int matched;
};

/* A listed file no row has: new, renamed or moved here. */
struct fresh {
	size_t file;           /* an index into scan.f */
	const char *key;       /* in the arena, set once the listing is done */
	size_t keylen;
	int matched;
};

/* The first pass of one refresh. */
struct scan {
	struct fwork *v;
	size_t nv;
	struct buf names;      /* the arena: "sub/name" NUL, one after another */
	struct lfile *f;
	size_t nf, capf;
	size_t *slot;          /* a hash of f[from..] by path: index + 1, 0 free */
	size_t nslot;
	struct lost *lost;
	size_t nlost, caplost;
	struct fresh *fresh;
	size_t nfresh, capfresh;
	long long dead;
};

/* The listing of one subdirectory into the arena. */
struct collect {
	struct scan *sc;
	const char *sub;
	size_t fw;
};

static const char *lf_path(const struct scan *sc, size_t i)
{
	return sc->names.data + sc->f[i].name;
}

static void collect_one(void *arg, int dfd, const char *name)
{
	struct collect *c = arg;
	struct scan *sc = c->sc;
	struct lfile *l;

	(void)dfd;
	if (sc->nf == sc->capf) {
		sc->capf = sc->capf ? 2 * sc->capf : 256;
		sc->f = xreallocarray(sc->f, sc->capf, sizeof(*sc->f));
	}
	l = &sc->f[sc->nf++];
	l->name = sc->names.len;
	l->fw = c->fw;
	l->seen = 0;
	buf_puts(&sc->names, c->sub);
	buf_putc(&sc->names, '/');
	buf_puts(&sc->names, name);
	l->len = sc->names.len - l->name;
	buf_putc(&sc->names, '\0');
}

/* The slot of path in the hash of the files from on (where it is, else
 * the free slot it would take). */
static size_t slot_of(const struct scan *sc, const char *path, size_t len)
{
	size_t mask = sc->nslot - 1, i = (size_t)index_cache_hash(path, len) & mask;

	while (sc->slot[i]) {
		const struct lfile *l = &sc->f[sc->slot[i] - 1];

		if (l->len == len && memcmp(lf_path(sc, sc->slot[i] - 1), path, len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void hash_files(struct scan *sc, size_t from)
{
	size_t i;

	sc->nslot = 16;
	while (sc->nslot < 2 * (sc->nf - from))
		sc->nslot *= 2;
	free(sc->slot);
	sc->slot = xcalloc(sc->nslot, sizeof(*sc->slot));
	for (i = from; i < sc->nf; i++)
		sc->slot[slot_of(sc, lf_path(sc, i), sc->f[i].len)] = i + 1;
}

/* The file name in "sub/name". */
static const char *name_of(const char *path)
{
	const char *slash = strchr(path, '/');

	return slash ? slash + 1 : path;
}

static size_t key_len(const char *path)
{
	char flags[16];
	off_t size;

	return maildir_name_info(name_of(path), flags, &size);
}

/* Compare the rows of folder fw whose path lies in [lo, hi) with the
 * files listed from index from on: the rows without a file are lost, the
 * files without a row fresh. */
static int diff_rows(struct search *s, struct scan *sc, size_t fw, size_t from, const char *lo,
		     const char *hi, struct err *err)
{
	sqlite3_stmt *st = s->st[ST_LIST];
	size_t i;
	int rc;

	hash_files(sc, from);
	sqlite3_bind_int64(st, 1, sc->v[fw].id);
	sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1), k = slot_of(sc, path, len);
		struct lost *l;

		if (sc->slot[k]) {
			sc->f[sc->slot[k] - 1].seen = 1;
			continue;
		}
		if (sc->nlost == sc->caplost) {
			sc->caplost = sc->caplost ? 2 * sc->caplost : 64;
			sc->lost = xreallocarray(sc->lost, sc->caplost, sizeof(*sc->lost));
		}
		l = &sc->lost[sc->nlost++];
		memset(l, 0, sizeof(*l));
		l->id = sqlite3_column_int64(st, 0);
		l->fw = fw;
		l->path = xstrdup(path);
		l->key = name_of(l->path);
		l->keylen = key_len(l->path);
		l->size = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_err(s, err, "cannot read");
	for (i = from; i < sc->nf; i++)
		if (!sc->f[i].seen) {
			if (sc->nfresh == sc->capfresh) {
				sc->capfresh = sc->capfresh ? 2 * sc->capfresh : 64;
				sc->fresh = xreallocarray(sc->fresh, sc->capfresh, sizeof(*sc->fresh));
			}
			sc->fresh[sc->nfresh].file = i;
			sc->fresh[sc->nfresh].keylen = key_len(lf_path(sc, i));
			sc->fresh[sc->nfresh++].matched = 0;
		}
	return 0;
}

/* List the subdirectories of folder fw that changed since the index read
 * them (both when it is new to the index) and diff them with the rows;
 * every row of a folder that went away is lost. */
static int diff_folder(struct search *s, struct scan *sc, size_t fw, long long old_new,
		       long long old_cur, struct err *err)
{
	static const char *const sub[2] = { "new", "cur" };
	/* Paths of a subdirectory lie in ["sub/", "sub0"): '0' follows '/'. */
	static const char *const lo[2] = { "new/", "cur/" }, *const hi[2] = { "new0", "cur0" };
	struct fwork *w = &sc->v[fw];
	long long old[2] = { old_new, old_cur }, now[2] = { w->mt_new, w->mt_cur };
	size_t i;

	if (!w->dir)
		return diff_rows(s, sc, fw, sc->nf, "cur/", "new0", err);
	/* new/ before cur/: a message moved from new/ to cur/ meanwhile is
	 * then seen twice rather than not at all. */
	for (i = 0; i < 2; i++) {
		struct collect c = { sc, sub[i], fw };
		size_t from = sc->nf;

		if (old[i] && now[i] == old[i])
			continue;
		if (maildir_each(w->dir, sub[i], collect_one, &c, err) < 0 ||
		    diff_rows(s, sc, fw, from, lo[i], hi[i], err) < 0)
			return -1;
	}
	return 0;
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : alen < blen ? -1 : alen > blen;
}

static int lost_cmp(const void *a, const void *b)
{
	const struct lost *x = a, *y = b;

	return key_cmp(x->key, x->keylen, y->key, y->keylen);
}

static int fresh_cmp(const void *a, const void *b)
{
	const struct fresh *x = a, *y = b;

	return key_cmp(x->key, x->keylen, y->key, y->keylen);
}

/* Give row l the file fresh p: its folder, path and flags, and its key
 * when another program moved it under a new name.  0 when the row
 * cannot take it (another row of that folder has the key). */
static int move_row(struct search *s, struct scan *sc, struct lost *l, struct fresh *p,
		    struct err *err)
{
	sqlite3_stmt *st = s->st[ST_MOVE];
	const char *path = lf_path(sc, p->file);
	const struct fwork *w = &sc->v[sc->f[p->file].fw];
	char flags[16];
	off_t size;

	maildir_name_info(name_of(path), flags, &size);
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_text(st, 2, p->key, (int)p->keylen, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, flags, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, l->id);
	if (step_done(s, st, err) < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	l->matched = p->matched = 1;
	if (l->fw != sc->f[p->file].fw)
		s->stats.moved++;
	else
		s->stats.renamed++;
	return 0;
}

/* Lost rows and fresh files with the same key are one message renamed
 * (flags), moved between new/ and cur/, or moved to another folder keeping
 * its key (maildir_move()): the row follows it, nothing is read.  Within
 * a key, a file of the row's own folder is taken first. */
static int match_keys(struct search *s, struct scan *sc, struct err *err)
{
	size_t i = 0, j = 0, ie, je, a, b, pass;

	for (i = 0; i < sc->nfresh; i++)
		sc->fresh[i].key = name_of(lf_path(sc, sc->fresh[i].file));
	i = 0;
	/* Sorted even with nothing to pair: the new files are then indexed
	 * in key order, which the unique index of keys takes fastest.
	 * (qsort() takes no NULL.) */
	if (sc->nfresh)
		qsort(sc->fresh, sc->nfresh, sizeof(*sc->fresh), fresh_cmp);
	if (!sc->nlost || !sc->nfresh)
		return 0;
	qsort(sc->lost, sc->nlost, sizeof(*sc->lost), lost_cmp);
	while (i < sc->nlost && j < sc->nfresh) {
		const struct lost *l = &sc->lost[i];
		const struct fresh *p = &sc->fresh[j];
		int c = key_cmp(l->key, l->keylen, p->key, p->keylen);

		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0) {
			j++;
			continue;
		}
		for (ie = i; ie < sc->nlost && lost_cmp(&sc->lost[ie], l) == 0; ie++)
			;
		for (je = j; je < sc->nfresh && fresh_cmp(&sc->fresh[je], p) == 0; je++)
			;
		for (pass = 0; pass < 2; pass++)
			for (a = i; a < ie; a++)
				for (b = j; b < je && !sc->lost[a].matched; b++)
					if (!sc->fresh[b].matched &&
					    (pass || sc->f[sc->fresh[b].file].fw == sc->lost[a].fw) &&
					    move_row(s, sc, &sc->lost[a], &sc->fresh[b], err) < 0)
						return -1;
		i = ie;
		j = je;
	}
	return 0;
}

static int lost_size_cmp(const void *a, const void *b)
{
	const struct lost *x = *(struct lost *const *)a, *y = *(struct lost *const *)b;

	return (x->size > y->size) - (x->size < y->size);
}

/* The size of fresh file p: from ",S=" in its name, else stat(); -1 when
 * it is gone. */
static long long fresh_size(const struct scan *sc, const struct fresh *p)
{
	const char *path = lf_path(sc, p->file);
	char flags[16], *full;
	off_t size;
	struct stat st;

	maildir_name_info(name_of(path), flags, &size);
	if (size >= 0)
		return (long long)size;
	full = path_join(sc->v[sc->f[p->file].fw].dir, path);
	size = stat(full, &st) == 0 ? st.st_size : -1;
	free(full);
	return (long long)size;
}

/* The Message-ID of fresh file p (caller frees), or NULL. */
static char *fresh_msgid(const struct scan *sc, const struct fresh *p)
{
	struct err e = ERR_INIT;
	char *full = path_join(sc->v[sc->f[p->file].fw].dir, lf_path(sc, p->file)), *data;
	char *id = NULL;
	size_t len;
	struct msg *m;

	if (afile_read_regular(full, AFILE_MSG_MAX, &data, &len, &e) == 0) {
		m = msg_parse(data, len, MSG_HEADERS_ONLY);
		if (m && msg_message_id(m))
			id = xstrdup(msg_message_id(m));
		msg_free(m);
		free(data);
	}
	free(full);
	return id;
}

/* A file that another program moved under a new name (mutt copies a
 * message to another folder, then deletes it): a lost row of the same
 * size whose Message-ID the file's headers hold.  Only looked for when
 * this refresh lost rows and found files; then the headers of the files
 * of a lost row's size are read, but no body. */
static int match_copies(struct search *s, struct scan *sc, struct err *err)
{
	sqlite3_stmt *st = s->st[ST_GET_META];
	struct lost **v = xreallocarray(NULL, sc->nlost ? sc->nlost : 1, sizeof(*v));
	size_t n = 0, i, lo, hi, mid;
	int rc = 0;

	for (i = 0; i < sc->nlost; i++) {
		struct lost *l = &sc->lost[i];

		if (l->matched)
			continue;
		sqlite3_bind_int64(st, 1, l->id);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) > 0) {
			l->size = sqlite3_column_int64(st, 0);
			l->msgid = xstrdup((const char *)sqlite3_column_text(st, 1));
			v[n++] = l;
		}
		sqlite3_reset(st);
	}
	qsort(v, n, sizeof(*v), lost_size_cmp);
	for (i = 0; i < sc->nfresh && n && rc == 0; i++) {
		struct fresh *p = &sc->fresh[i];
		long long size;
		char *id;

		if (p->matched || (size = fresh_size(sc, p)) < 0)
			continue;
		for (lo = 0, hi = n; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (v[mid]->size < size)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == n || v[lo]->size != size || !(id = fresh_msgid(sc, p)))
			continue;
		for (; lo < n && v[lo]->size == size && !p->matched && rc == 0; lo++)
			if (!v[lo]->matched && strcmp(v[lo]->msgid, id) == 0)
				rc = move_row(s, sc, v[lo], p, err);
		free(id);
	}
	free(v);
	return rc;
}

/* Lost rows nothing matched are dropped (their terms stay, counted
 * dead); fresh files nothing matched become their folders' work. */
static int settle(struct search *s, struct scan *sc, struct err *err)
{
	size_t i;

	for (i = 0; i < sc->nlost; i++) {
		if (sc->lost[i].matched)
			continue;
		sqlite3_bind_int64(s->st[ST_DEL_MSG], 1, sc->lost[i].id);
		if (step_done(s, s->st[ST_DEL_MSG], err) < 0)
			return -1;
		sc->dead++;
		s->stats.removed++;
	}
	for (i = 0; i < sc->nfresh; i++)
		if (!sc->fresh[i].matched)
			sc->v[sc->f[sc->fresh[i].file].fw].ntodo++;
	for (i = 0; i < sc->nv; i++) {
		sc->v[i].todo = xreallocarray(NULL, sc->v[i].ntodo ? sc->v[i].ntodo : 1,
					      sizeof(*sc->v[i].todo));
		sc->v[i].ntodo = 0;
	}
	for (i = 0; i < sc->nfresh; i++) {
		const struct fresh *p = &sc->fresh[i];
		struct fwork *w = &sc->v[sc->f[p->file].fw];
		const char *path = lf_path(sc, p->file);
		struct maildir_entry *e;
		off_t size;

		if (p->matched)
			continue;
		e = &w->todo[w->ntodo++];
		memset(e, 0, sizeof(*e));
		e->path = xstrdup(path);
		e->key = xstrndup(name_of(path), p->keylen);
		maildir_name_info(name_of(path), e->flags, &size);
		e->size = size;
		e->is_new = path[0] == 'n';
	}
	return 0;
}

static void scan_release(struct scan *sc)
{
	size_t i;

	for (i = 0; i < sc->nlost; i++) {
		free(sc->lost[i].path);
		free(sc->lost[i].msgid);
	}
	free(sc->lost);
	free(sc->fresh);
	free(sc->f);
	free(sc->slot);
	buf_release(&sc->names);
}

static void fwork_release(struct fwork *w)
{
	free(w->name);
	free(w->dir);
	maildir_entries_free(w->todo, w->ntodo);
}

static int set_mtimes(struct search *s, const struct fwork *w, struct err *err)
{
	sqlite3_stmt *st = s->st[ST_SET_MTIMES];

	sqlite3_bind_int64(st, 1, w->mt_new);
	sqlite3_bind_int64(st, 2, w->mt_cur);
	sqlite3_bind_int64(st, 3, w->id);
	return step_done(s, st, err);
}

static int has_key(struct search *s, long long folder, const char *key)
{
	sqlite3_stmt *st = s->st[ST_HAS_KEY];
	int found;

	sqlite3_bind_int64(st, 1, folder);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* The counter of insertions (ID_SHIFT), read at the start of a write
 * transaction and stored before its end. */
static void load_seq(struct search *s)
{
	sqlite3_stmt *st = s->st[ST_GET_SEQ];

	s->seq = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
}

static int save_seq(struct search *s, struct err *err)
{
	sqlite3_bind_int64(s->st[ST_SET_SEQ], 1, s->seq);
	return step_done(s, s->st[ST_SET_SEQ], err);
}

/* Read one message file of w and add it.  A file that went away since the
 * listing is no error (the folder's mtimes will differ next time); one
 * that cannot be read is warned about and makes the folder be read again. */
static int add_msg(struct search *s, struct fwork *w, const struct maildir_entry *e,
		   struct search_doc *d, struct buf *seg, struct err *err)
{
	struct err rerr = ERR_INIT;
	sqlite3_stmt *st = s->st[ST_INS_MSG], *f = s->st[ST_INS_FTS];
	char *path = path_join(w->dir, e->path), *data;
	size_t len;
	long long id;
	const struct buf *col[4];
	size_t at[5];
	int i;

	/* Listed twice (moved from new/ to cur/ during the listing), or
	 * indexed by another program meanwhile. */
	if (has_key(s, w->id, e->key)) {
		free(path);
		return 0;
	}
	if (afile_read_regular(path, AFILE_MSG_MAX, &data, &len, &rerr) < 0) {
		if (rerr.errnum != ENOENT)
			log_warnx("cannot index '%s': %s", path, rerr.msg);
		w->mt_new = w->mt_cur = 0;
		free(path);
		return 0;
	}
	free(path);
	s->stats.read++;
	search_text_read(data, len, d);
	free(data);
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_text(st, 2, e->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->flags, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (long long)d->date);
	sqlite3_bind_int64(st, 6, (long long)len);
	sqlite3_bind_int(st, 7, d->attach);
	bind_buf(st, 8, &d->name);
	bind_buf(st, 9, &d->subject);
	bind_buf(st, 10, &d->msgid);
	bind_buf(st, 11, &d->thread);
	for (i = 0;; i++) {
		long long date = d->date < 0 ? 0 : d->date > ID_DATE_MAX ? ID_DATE_MAX : d->date;

		id = (date << ID_SHIFT) | (s->seq++ & ((1LL << ID_SHIFT) - 1));
		sqlite3_bind_int64(st, 12, id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return db_err(s, err, "cannot update");
		}
		sqlite3_reset(st);
		if (sqlite3_changes(s->db) == 1)
			break;
		/* Another program indexed it first, or (rarely) another
		 * message of the same second holds the id. */
		if (i == 16 || has_key(s, w->id, e->key))
			break;
	}
	sqlite3_clear_bindings(st);
	if (sqlite3_changes(s->db) == 0)
		return 0;
	col[0] = &d->subject;
	col[1] = &d->from;
	col[2] = &d->to;
	col[3] = &d->body;
	/* All four segmented into seg first: it may move as it grows. */
	buf_reset(seg);
	for (i = 0; i < 4; i++) {
		at[i] = seg->len;
		search_text_segment(col[i]->data ? col[i]->data : "", col[i]->len, seg);
	}
	at[4] = seg->len;
	sqlite3_bind_int64(f, 1, id);
	for (i = 0; i < 4; i++)
		sqlite3_bind_text(f, 2 + i, seg->data ? seg->data + at[i] : "",
				  (int)(at[i + 1] - at[i]), SQLITE_STATIC);
	return step_done(s, f, err);
}

/* The first pass, in one transaction: every folder whose directories
 * changed compared with its rows, lost rows matched with fresh files, the
 * rest dropped; folders that went away dropped.  sc->v gets the folders
 * that changed. */
static int scan_folders(struct search *s, struct scan *sc, struct err *err)
{
	sqlite3_stmt *st = s->st[ST_FOLDERS];
	char **names = NULL;
	size_t n = 0, i;
	long long *old = NULL;   /* the stored mtimes of sc->v[i]: new, cur */
	time_t now = time(NULL);
	int rc = 0, found = SQLITE_DONE;

	if (access(s->root, F_OK) == 0 && maildir_folders(s->root, &names, &n, err) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_text(s->st[ST_INS_FOLDER], 1, names[i], -1, SQLITE_STATIC);
		rc = step_done(s, s->st[ST_INS_FOLDER], err);
	}
	while (rc == 0 && (found = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		struct fwork w = { 0 };

		for (i = 0; i < n && strcmp(names[i], name) != 0; i++)
			;
		w.id = sqlite3_column_int64(st, 0);
		if (i < n) {
			w.dir = maildir_folder_path(s->root, name);
			w.mt_new = dir_mtime(w.dir, "new", now);
			w.mt_cur = dir_mtime(w.dir, "cur", now);
			if (w.mt_new && w.mt_cur && w.mt_new == sqlite3_column_int64(st, 2) &&
			    w.mt_cur == sqlite3_column_int64(st, 3)) {
				free(w.dir);
				continue;
			}
		}
		w.name = xstrdup(name);
		sc->v = xreallocarray(sc->v, sc->nv + 1, sizeof(*sc->v));
		old = xreallocarray(old, 2 * (sc->nv + 1), sizeof(*old));
		old[2 * sc->nv] = sqlite3_column_int64(st, 2);
		old[2 * sc->nv + 1] = sqlite3_column_int64(st, 3);
		sc->v[sc->nv++] = w;
	}
	sqlite3_reset(st);
	maildir_names_free(names, n);
	if (rc == 0 && found != SQLITE_DONE)
		rc = db_err(s, err, "cannot read");
	/* With the folder scan reset: SQLite would see the rows that change
	 * while it is open. */
	for (i = 0; i < sc->nv && rc == 0; i++)
		rc = diff_folder(s, sc, i, old[2 * i], old[2 * i + 1], err);
	free(old);
	if (rc == 0)
		rc = match_keys(s, sc, err);
	if (rc == 0 && sc->nlost && sc->nfresh)
		rc = match_copies(s, sc, err);
	if (rc == 0)
		rc = settle(s, sc, err);
	for (i = 0; i < sc->nv && rc == 0; i++) {
		if (!sc->v[i].dir) {
			sqlite3_bind_int64(s->st[ST_DEL_FOLDER], 1, sc->v[i].id);
			rc = step_done(s, s->st[ST_DEL_FOLDER], err);
		} else if (sc->v[i].ntodo == 0) {
			rc = set_mtimes(s, &sc->v[i], err);
		}
	}
	if (rc == 0 && sc->dead) {
		sqlite3_bind_int64(s->st[ST_DEAD_ADD], 1, sc->dead);
		rc = step_done(s, s->st[ST_DEAD_ADD], err);
	}
	return rc;
}

/* The second pass: the new files of every folder, BATCH to a
 * transaction, the folder's mtimes with its last. */
static int index_new(struct search *s, struct fwork *v, size_t nv, search_progress_fn progress,
		     void *arg, struct err *err)
{
	struct search_doc d;
	struct buf seg = BUF_INIT;
	size_t total = 0, done = 0, i, j;
	int rc = 0, open_tx = 0;

	for (i = 0; i < nv; i++)
		total += v[i].ntodo;
	search_doc_init(&d);
	for (i = 0; i < nv && rc == 0; i++) {
		for (j = 0; j < v[i].ntodo && rc == 0; j++) {
			if (!open_tx) {
				rc = exec(s, "BEGIN IMMEDIATE", err);
				if (rc == 0)
					load_seq(s);
			}
			open_tx = rc == 0;
			if (rc == 0)
				rc = add_msg(s, &v[i], &v[i].todo[j], &d, &seg, err);
			if (rc == 0 && j + 1 == v[i].ntodo)
				rc = set_mtimes(s, &v[i], err);
			done++;
			if (rc == 0 && done % BATCH == 0) {
				rc = save_seq(s, err);
				if (rc == 0)
					rc = exec(s, "COMMIT", err);
				open_tx = 0;
			}
			if (progress)
				progress(arg, done, total);
		}
	}
	if (open_tx && rc == 0)
		rc = save_seq(s, err);
	if (open_tx)
		rc = rc == 0 ? exec(s, "COMMIT", err) :
			       (sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL), -1);
	search_doc_release(&d);
	buf_release(&seg);
	return rc;
}

/* Dead rows (search.h), and living ones when the dead are enough to
 * matter (counting them walks an index). */
static void counts(struct search *s, long long *dead, long long *live)
{
	sqlite3_stmt *st = NULL;

	*dead = *live = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'dead'", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		*dead = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (*dead < DEAD_MIN)
		return;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM msg", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		*live = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
}

/* Whether the folders are those of the index, none changed since it read
 * them: then a refresh writes nothing and takes no lock. */
static int unchanged(struct search *s)
{
	sqlite3_stmt *st = s->st[ST_FOLDERS];
	struct err err = ERR_INIT;
	char **names = NULL;
	size_t n = 0, seen = 0, i;
	time_t now = time(NULL);
	int same = 1;

	if (access(s->root, F_OK) == 0 && maildir_folders(s->root, &names, &n, &err) < 0)
		return 0;
	while (same && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		char *dir;

		for (i = 0; i < n && strcmp(names[i], name) != 0; i++)
			;
		if (i == n) {
			same = 0;
			break;
		}
		seen++;
		dir = maildir_folder_path(s->root, name);
		same = sqlite3_column_int64(st, 2) != 0 &&
		       dir_mtime(dir, "new", now) == sqlite3_column_int64(st, 2) &&
		       dir_mtime(dir, "cur", now) == sqlite3_column_int64(st, 3);
		free(dir);
	}
	sqlite3_reset(st);
	maildir_names_free(names, n);
	return same && seen == n;
}

static int refresh_once(struct search *s, search_progress_fn progress, void *arg,
			struct err *err)
{
	struct scan sc;
	size_t i;
	int rc;

	if (unchanged(s))
		return 0;
	memset(&sc, 0, sizeof(sc));
	buf_init(&sc.names);
	rc = exec(s, "BEGIN IMMEDIATE", err);
	if (rc == 0) {
		rc = scan_folders(s, &sc, err);
		if (rc == 0)
			rc = exec(s, "COMMIT", err);
		else
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	scan_release(&sc);
	if (rc == 0)
		rc = index_new(s, sc.v, sc.nv, progress, arg, err);
	for (i = 0; i < sc.nv; i++)
		fwork_release(&sc.v[i]);
	free(sc.v);
	return rc;
}

static void log_stats(const struct search *s, const struct search_stats *before)
{
	log_info("search index: %zu messages read, %zu moved, %zu renamed, %zu removed",
		 s->stats.read - before->read, s->stats.moved - before->moved,
		 s->stats.renamed - before->renamed, s->stats.removed - before->removed);
}

int search_refresh(struct search *s, search_progress_fn progress, void *arg, struct err *err)
{
	struct search_stats before = s->stats;
	long long dead, live;
	int rc;

	if (refresh_once(s, progress, arg, err) < 0)
		return -1;
	counts(s, &dead, &live);
	if (dead < DEAD_MIN || dead <= live) {
		log_stats(s, &before);
		return 0;
	}
	log_info("search index: %lld removed messages outweigh %lld kept: rebuilding", dead, live);
	if (exec(s, "BEGIN IMMEDIATE; DELETE FROM msg; DELETE FROM folder;"
		    " INSERT INTO fts(fts) VALUES('delete-all'); UPDATE meta SET v = 0 WHERE k = 'dead';"
		    " COMMIT", err) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	s->stats.rebuilds++;
	rc = refresh_once(s, progress, arg, err);
	/* The living are fewer than the dead were: give the space back. */
	if (rc == 0 && sqlite3_exec(s->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
		log_warnx("search index '%s': cannot compact: %s", s->path, sqlite3_errmsg(s->db));
	log_stats(s, &before);
	return rc;
}

void search_stats(const struct search *s, struct search_stats *out)
{
	*out = s->stats;
}

int search_count(struct search *s, size_t *n_out, size_t *folders_out, struct err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*n_out = 0;
	*folders_out = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT (SELECT count(*) FROM msg), (SELECT count(*) FROM folder)",
			       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*n_out = (size_t)sqlite3_column_int64(st, 0);
		*folders_out = (size_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		db_err(s, err, "cannot count");
	}
	sqlite3_finalize(st);
	return rc;
}

int search_broken(const struct search *s)
{
	return s->broken;
}

/* ---- queries ---- */

/* Where the first of the query's terms stands in text (ASCII case
 * folded), or 0. */
static size_t first_term(const char *text, size_t len, const struct search_query *q)
{
	size_t best = len, i, k, tl;

	for (i = 0; i < q->nterms; i++) {
		tl = strlen(q->terms[i]);
		for (k = 0; tl && k + tl <= len && k < best; k++)
			if (strncasecmp(text + k, q->terms[i], tl) == 0) {
				best = k;
				break;
			}
	}
	return best == len ? 0 : best;
}

/* A line of the body's text (the ids before it left out) around the
 * first term: blanks collapsed, cut at character boundaries. */
static char *make_snippet(const struct search_doc *d, const struct search_query *q)
{
	const char *t = d->body.data ? d->body.data + d->text_at : "";
	size_t len = d->body.data ? d->body.len - d->text_at : 0;
	size_t at = first_term(t, len, q), start, end, i;
	struct buf out = BUF_INIT;
	int blank = 0;

	start = at > SNIPPET_BYTES / 4 ? at - SNIPPET_BYTES / 4 : 0;
	while (start > 0 && ((unsigned char)t[start] & 0xc0) == 0x80)
		start--;
	end = start + SNIPPET_BYTES < len ? start + SNIPPET_BYTES : len;
	while (end < len && ((unsigned char)t[end] & 0xc0) == 0x80)
		end++;
	for (i = start; i < end; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x20 || c == 0x7f || c == ' ') {
			blank = out.len > 0;
			continue;
		}
		if (blank)
			buf_putc(&out, ' ');
		blank = 0;
		buf_putc(&out, (char)c);
	}
	buf_putc(&out, '\0');
	return buf_detach(&out, NULL);
}

static char *snippet_of(struct search *s, const struct search_hit *h, const struct search_query *q)
{
	struct err e = ERR_INIT;
	struct search_doc d;
	char *dir = maildir_folder_path(s->root, h->folder), *path = path_join(dir, h->path);
	char *data, *snip;
	size_t len;

	free(dir);
	if (afile_read_regular(path, AFILE_MSG_MAX, &data, &len, &e) < 0) {
		free(path);
		return xstrdup("");
	}
	free(path);
	search_doc_init(&d);
	search_text_read(data, len, &d);
	free(data);
	snip = make_snippet(&d, q);
	search_doc_release(&d);
	return snip;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return xstrdup(t ? t : "");
}

static int bind_query(struct search *s, sqlite3_stmt *st, const struct search_query *q,
		      const char *folder, size_t limit, struct err *err)
{
	size_t i;
	int k = 1, rc = SQLITE_OK;

	if (q->drive)
		rc = sqlite3_bind_text(st, k++, q->drive, -1, SQLITE_STATIC);
	for (i = 0; i < q->nbinds && rc == SQLITE_OK; i++, k++)
		rc = q->binds[i].is_text ?
			     sqlite3_bind_text(st, k, q->binds[i].text, -1, SQLITE_STATIC) :
			     sqlite3_bind_int64(st, k, q->binds[i].num);
	if (folder && rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, k++, folder, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, k, limit ? (long long)limit : -1);
	if (rc != SQLITE_OK)
		return db_err(s, err, "cannot query");
	return 0;
}

int search_run(struct search *s, const char *query, const char *folder, size_t limit,
	       unsigned flags, struct search_hit **out, size_t *n_out, struct err *err)
{
	struct search_query *q = search_query_parse(query, err);
	struct search_hit *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	char *sql;
	int rc;

	*out = NULL;
	*n_out = 0;
	if (!q)
		return -1;
	/* Ids are in date order (ID_SHIFT): with a full-text part FTS5
	 * yields the rows newest first and the limit ends the search early;
	 * without one, the primary key is walked backwards. */
	if (q->drive)
		sql = xasprintf("SELECT f.name, m.key, m.path, m.flags, m.date, m.sender, m.subject"
				" FROM fts JOIN msg m ON m.id = fts.rowid"
				" JOIN folder f ON f.id = m.folder"
				" WHERE fts MATCH ? AND (%s)%s ORDER BY fts.rowid DESC LIMIT ?",
				q->where, folder ? " AND f.name = ?" : "");
	else
		sql = xasprintf("SELECT f.name, m.key, m.path, m.flags, m.date, m.sender, m.subject"
				" FROM msg m JOIN folder f ON f.id = m.folder WHERE (%s)%s"
				" ORDER BY m.id DESC LIMIT ?",
				q->where, folder ? " AND f.name = ?" : "");
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK ? 0 :
	     db_err(s, err, "cannot query");
	free(sql);
	if (rc == 0)
		rc = bind_query(s, st, q, folder, limit, err);
	while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct search_hit *h;

		v = xreallocarray(v, n + 1, sizeof(*v));
		h = &v[n++];
		memset(h, 0, sizeof(*h));
		h->folder = col_dup(st, 0);
		h->key = col_dup(st, 1);
		h->path = col_dup(st, 2);
		snprintf(h->flags, sizeof(h->flags), "%s", (const char *)sqlite3_column_text(st, 3));
		h->date = (time_t)sqlite3_column_int64(st, 4);
		h->from = col_dup(st, 5);
		h->subject = col_dup(st, 6);
		rc = 0;
	}
	if (rc != 0 && rc != SQLITE_DONE && rc != -1)
		rc = db_err(s, err, "cannot query");
	else if (rc == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(st);
	if (rc == 0 && (flags & SEARCH_SNIPPETS)) {
		size_t i;

		for (i = 0; i < n; i++)
			v[i].snippet = snippet_of(s, &v[i], q);
	}
	search_query_free(q);
	if (rc < 0) {
		search_hits_free(v, n);
		return -1;
	}
	*out = v;
	*n_out = n;
	return 0;
}

void search_hits_free(struct search_hit *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].folder);
		free(v[i].key);
		free(v[i].path);
		free(v[i].from);
		free(v[i].subject);
		free(v[i].snippet);
	}
	free(v);
}

int search_keys(struct search *s, const char *folder, const char *text, int all_fields,
		char ***keys_out, size_t *n_out, struct err *err)
{
	struct buf e = BUF_INIT;
	sqlite3_stmt *st = NULL;
	struct strv v = STRV_INIT;
	int rc;

	*keys_out = NULL;
	*n_out = 0;
	if (!all_fields)
		buf_puts(&e, "{body} : ");
	if (search_text_query(text, 1, &e) < 0) {
		buf_release(&e);
		return 0;
	}
	rc = sqlite3_prepare_v2(s->db, "SELECT m.key FROM msg m JOIN folder f ON f.id = m.folder"
				       " WHERE f.name = ? AND m.id IN"
				       " (SELECT rowid FROM fts WHERE fts MATCH ?) ORDER BY m.key",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, folder, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, e.data, (int)e.len, SQLITE_STATIC);
	}
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		strv_push_owned(&v, col_dup(st, 0));
		rc = SQLITE_OK;
	}
	buf_release(&e);
	if (rc != SQLITE_DONE) {
		db_err(s, err, "cannot query");
		sqlite3_finalize(st);
		strv_release(&v);
		return -1;
	}
	sqlite3_finalize(st);
	*keys_out = v.v;
	*n_out = v.n;
	return 1;
}

char *search_folder_name(struct search *s, const char *dir)
{
	sqlite3_stmt *st = NULL;
	char *want = realpath(dir, NULL), *found = NULL;

	if (!want)
		return NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM folder", -1, &st, NULL) == SQLITE_OK) {
		while (!found && sqlite3_step(st) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			char *d = maildir_folder_path(s->root, name), *r = realpath(d, NULL);

			if (r && strcmp(r, want) == 0)
				found = xstrdup(name);
			free(r);
			free(d);
		}
	}
	sqlite3_finalize(st);
	free(want);
	return found;
}
