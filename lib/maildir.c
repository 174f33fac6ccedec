#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "maildir.h"
#include "path.h"
#include "strv.h"
#include "xalloc.h"

#define FLAGS_MAX (sizeof(((struct maildir_entry *)0)->flags) - 1)

/* Folder discovery stops here, so a deep or looping tree cannot run away. */
#define FOLDER_DEPTH_MAX 16

/* Put the letters of in into out sorted by ASCII with duplicates dropped,
 * as the Maildir spec asks.  strict refuses anything but letters (flags we
 * are given); otherwise other bytes are skipped (names found on disk, where
 * we keep what we can read). */
static int flags_norm(const char *in, char out[FLAGS_MAX + 1], int strict)
{
	unsigned char seen[128] = { 0 };
	size_t n = 0;
	int c;

	for (; *in; in++) {
		c = (unsigned char)*in;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			seen[c] = 1;
		else if (strict)
			return -1;
	}
	for (c = 'A'; c <= 'z'; c++) {
		if (!seen[c])
			continue;
		if (n == FLAGS_MAX) {
			if (strict)
				return -1;
			break;
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

/* The key ends at the info separator ':'. */
static size_t key_len(const char *name)
{
	return strcspn(name, ":");
}

/* Size from a ",S=1234" field in the key (Dovecot writes it, and so do we),
 * or -1. */
static off_t name_size(const char *key, size_t keylen)
{
	const char *p, *end = key + keylen;
	off_t v = -1;

	for (p = key; p + 3 <= end; p++) {
		if (p[0] != ',' || p[1] != 'S' || p[2] != '=')
			continue;
		p += 3;
		if (p == end || *p < '0' || *p > '9')
			return -1;
		for (v = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			if (v > (off_t)((~(unsigned long long)0 >> 2) / 10))
				return -1;
			v = v * 10 + (*p - '0');
		}
		return (p == end || *p == ',') ? v : -1;
	}
	return -1;
}

/* Fill e for file name in sub ("new" or "cur") with one allocation: path
 * "SUB/NAME", then the key after path's NUL (maildir_entry_release knows). */
size_t maildir_name_info(const char *name, char flags_out[16], off_t *size_out)
{
	size_t klen = key_len(name);
	const char *info = name + klen;

	flags_out[0] = '\0';
	if (info[0] == ':' && info[1] == '2' && info[2] == ',')
		flags_norm(info + 3, flags_out, 0);
	*size_out = name_size(name, klen);
	return klen;
}

static void entry_fill(struct maildir_entry *e, const char *sub, const char *name)
{
	size_t sublen = strlen(sub), namelen = strlen(name), klen;
	char *p;

	/* UNSAFE: sub '/' name NUL key NUL, all lengths from strlen above. */
	klen = maildir_name_info(name, e->flags, &e->size);
	p = xmalloc(sublen + 1 + namelen + 1 + klen + 1);
	memcpy(p, sub, sublen);
	p[sublen] = '/';
	memcpy(p + sublen + 1, name, namelen + 1);
	e->path = p;
	e->key = p + sublen + 1 + namelen + 1;
	memcpy(e->key, name, klen);
	e->key[klen] = '\0';
	e->is_new = strcmp(sub, "new") == 0;
	e->mtime = 0;
}

void maildir_entry_release(struct maildir_entry *e)
{
	/* An entry built by hand may hold its own key; ours shares path's
	 * allocation. */
	if (e->key && (!e->path || e->key != e->path + strlen(e->path) + 1))
		free(e->key);
	free(e->path);
	e->path = NULL;
	e->key = NULL;
}

void maildir_entries_free(struct maildir_entry *e, size_t n)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < n; i++)
		maildir_entry_release(&e[i]);
	free(e);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int maildir_is(const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char *p;
	size_t i;
	int ok = 1;

	for (i = 0; ok && i < 3; i++) {
		p = path_join(dir, subs[i]);
		ok = is_dir(p);
		free(p);
	}
	return ok;
}

int maildir_create(const char *dir, struct err *err)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char *p, *parent;
	size_t i;
	int rc;

	if (afile_mkdirs(dir, err) < 0)
		return -1;
	for (i = 0; i < 3; i++) {
		p = path_join(dir, subs[i]);
		if (mkdir(p, 0700) < 0 && (errno != EEXIST || !is_dir(p))) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			err_sys(err, afile_err_code(errno, EX_CANTCREAT),
				"cannot create directory '%s'", p);
			free(p);
			return -1;
		}
		free(p);
	}
	/* The new entries must survive a crash before mail is put in them:
	 * sync the folder and the directory that names it. */
	if (afile_fsync_dir(dir, err) < 0)
		return -1;
	parent = path_dirname(dir);
	rc = afile_fsync_dir(parent, err);
	free(parent);
	return rc;
}

/* ---- folders ---- */

/* Whether entry name of directory dir is a directory; d_type answers for
 * most file systems, stat for the rest.  Symbolic links count when they
 * lead to a directory, but *real_out says whether it may be descended
 * into: following links while walking could loop. */
static int entry_is_dir(const char *path, const struct dirent *de, int *real_out)
{
	struct stat st;

	*real_out = 0;
	if (de->d_type == DT_DIR) {
		*real_out = 1;
		return 1;
	}
	if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
		return 0;
	if (lstat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		*real_out = 1;
		return 1;
	}
	return S_ISLNK(st.st_mode) && is_dir(path);
}

/* Maildir++ ".a.b" is folder "a/b". */
static char *plusplus_name(const char *dname)
{
	char *s = xstrdup(dname + 1), *c;

	for (c = s; *c; c++)
		if (*c == '.')
			*c = '/';
	return s;
}

/* Add the folders below root/rel (rel NULL for root itself).  Errors
 * below the root are skipped: one unreadable directory must not hide the
 * other folders. */
static int walk(const char *root, const char *rel, int depth, struct strv *out,
		struct err *err)
{
	char *dirpath = rel ? path_join(root, rel) : xstrdup(root);
	int is_md = maildir_is(dirpath), real;
	struct dirent *de;
	DIR *d;

	d = opendir(dirpath);
	if (!d) {
		if (!rel)
			err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", dirpath);
		free(dirpath);
		return rel ? 0 : -1;
	}
	while ((de = readdir(d))) {
		const char *dn = de->d_name;
		char *child, *crel;

		if (!strcmp(dn, ".") || !strcmp(dn, ".."))
			continue;
		if (is_md && (!strcmp(dn, "cur") || !strcmp(dn, "new") || !strcmp(dn, "tmp")))
			continue;
		child = path_join(dirpath, dn);
		if (dn[0] == '.') {
			/* Maildir++ folders live only directly below the root;
			 * elsewhere a dot name is hidden (".notmuch", ...). */
			if (!rel && dn[1] != '\0' && maildir_is(child))
				strv_push_owned(out, plusplus_name(dn));
			free(child);
			continue;
		}
		if (!entry_is_dir(child, de, &real)) {
			free(child);
			continue;
		}
		crel = rel ? xasprintf("%s/%s", rel, dn) : xstrdup(dn);
		if (maildir_is(child))
			strv_push(out, crel);
		if (real && depth < FOLDER_DEPTH_MAX)
			walk(root, crel, depth + 1, out, err);
		free(crel);
		free(child);
	}
	closedir(d);
	free(dirpath);
	return 0;
}

static int cmp_folder(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int xi = strcmp(x, "INBOX") == 0, yi = strcmp(y, "INBOX") == 0;

	if (xi != yi)
		return yi - xi;
	return strcmp(x, y);
}

int maildir_folders(const char *root, char ***names_out, size_t *n_out, struct err *err)
{
	struct strv l = STRV_INIT;

	if (maildir_is(root))
		strv_push(&l, "INBOX");
	if (walk(root, NULL, 0, &l, err) < 0) {
		strv_release(&l);
		return -1;
	}
	/* Both layouts may name one folder (root is a Maildir and root/INBOX
	 * exists too); list it once. */
	strv_sort_unique(&l, cmp_folder);
	*names_out = l.v;
	*n_out = l.n;
	return 0;
}

void maildir_names_free(char **names, size_t n)
{
	strv_free_v(names, n);
}

int maildir_name_ok(const char *f)
{
	const char *p = f, *seg;

	if (*f == '\0' || *f == '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return 0;
	for (seg = f; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
		size_t n = strcspn(seg, "/");

		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		/* Maildir++ folder names start with a dot at the root. */
		if (seg == f && seg[0] == '.')
			return 0;
	}
	return 1;
}

char *maildir_folder_path(const char *root, const char *name)
{
	char *plain = path_join(root, name);
	char *pp, *c;

	if (maildir_is(plain))
		return plain;
	if (strcmp(name, "INBOX") == 0) {
		if (maildir_is(root)) {
			free(plain);
			return xstrdup(root);
		}
		return plain;
	}
	pp = xasprintf("%s/.%s", root, name);
	for (c = pp + strlen(root) + 2; *c; c++)
		if (*c == '/')
			*c = '.';
	/* A new folder takes the layout of the tree: Maildir++ (".NAME")
	 * when the root is itself a Maildir, as Dovecot and Courier keep
	 * it, so that they see the folder. */
	if (maildir_is(pp) || maildir_is(root)) {
		free(plain);
		return pp;
	}
	free(pp);
	return plain;
}

/* ---- listing ---- */

int maildir_each(const char *dir, const char *sub,
		 void (*fn)(void *arg, int dfd, const char *name), void *arg, struct err *err)
{
	char *p = path_join(dir, sub);
	struct dirent *de;
	DIR *d = opendir(p);

	if (!d) {
		err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", p);
		free(p);
		return -1;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		/* Dot files are never messages (the spec's own rule), and
		 * d_type lets us drop directories without a stat. */
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		fn(arg, dirfd(d), de->d_name);
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

/* The entries maildir_list() collects, from one subdirectory at a time. */
struct listing {
	const char *sub;
	unsigned flags;
	struct maildir_entry *v;
	size_t n, cap;
};

static void list_one(void *arg, int dfd, const char *name)
{
	struct listing *l = arg;
	struct stat st;

	/* A file moved away since readdir saw it is simply no longer here. */
	if ((l->flags & MAILDIR_STAT) &&
	    (fstatat(dfd, name, &st, 0) < 0 || !S_ISREG(st.st_mode)))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	entry_fill(&l->v[l->n], l->sub, name);
	if (l->flags & MAILDIR_STAT) {
		l->v[l->n].mtime = st.st_mtime;
		l->v[l->n].size = st.st_size;
	}
	l->n++;
}

int maildir_list(const char *dir, unsigned flags, struct maildir_entry **out, size_t *n_out,
		 struct err *err)
{
	/* new/ before cur/: a message moved from new/ to cur/ meanwhile is
	 * then seen twice rather than not at all. */
	static const char *const subs[] = { "new", "cur" };
	struct listing l = { NULL, flags, NULL, 0, 0 };
	size_t i;

	for (i = 0; i < 2; i++) {
		l.sub = subs[i];
		if (maildir_each(dir, l.sub, list_one, &l, err) < 0) {
			maildir_entries_free(l.v, l.n);
			return -1;
		}
	}
	*out = l.v;
	*n_out = l.n;
	return 0;
}

/* ---- delivery ---- */

/* Copy fd to out until EOF; *size_out counts the bytes. */
static int copy_fd(int in, const struct afile_tmp *t, size_t *size_out, struct err *err)
{
	enum { CHUNK = 1 << 16 };
	char *buf = xmalloc(CHUNK);
	struct err werr = ERR_INIT;
	size_t total = 0;
	ssize_t r;
	int rc = 0;

	for (;;) {
		r = read(in, buf, CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read the message");
			break;
		}
		if (r == 0)
			break;
		if (afile_write_all(t->fd, buf, (size_t)r, &werr) < 0) {
			errno = werr.errnum;
			rc = err_sys(err, werr.code, "cannot write '%s'", t->path);
			break;
		}
		total += (size_t)r;
	}
	free(buf);
	*size_out = total;
	return rc;
}

/* The one delivery path: from memory (in < 0) or from fd in.  Commit point:
 * the rename from tmp/ into new/ (or cur/); dir fsync makes it durable. */
static int deliver(const char *dir, int in, const void *data, size_t len, const char *flags,
		   char **path_out, struct err *err)
{
	char fl[FLAGS_MAX + 1];
	struct err werr = ERR_INIT;
	struct afile_tmp t;
	char *tmpdir, *final, *subdir;
	const char *name;

	if (flags && flags_norm(flags, fl, 1) < 0)
		return err_set(err, EX_DATAERR, "invalid maildir flags '%s'", flags);
	tmpdir = path_join(dir, "tmp");
	if (afile_tmp_open(&t, tmpdir, err) < 0) {
		free(tmpdir);
		return -1;
	}
	free(tmpdir);
	/* data first (a head the caller read already), then all of in. */
	if (len && afile_write_all(t.fd, data, len, &werr) < 0) {
		errno = werr.errnum;
		err_sys(err, werr.code, "cannot write '%s'", t.path);
		afile_tmp_abort(&t);
		return -1;
	}
	if (in >= 0) {
		size_t rest;

		if (copy_fd(in, &t, &rest, err) < 0) {
			afile_tmp_abort(&t);
			return -1;
		}
		len += rest;
	}
	if (afile_tmp_commit(&t, NULL, err) < 0)
		return -1;

	/* The final name is the unique tmp name plus Dovecot's ",S=size", so
	 * listings know sizes without a stat.  rename, not the spec's link +
	 * unlink: the name is unique (time, pid, per-process counter, host) and
	 * was created O_EXCL, so there is nothing to overwrite, and rename works
	 * on file systems without hard links and costs one call. */
	name = strrchr(t.path, '/') + 1;
	if (flags)
		final = xasprintf("%s/cur/%s,S=%zu:2,%s", dir, name, len, fl);
	else
		final = xasprintf("%s/new/%s,S=%zu", dir, name, len);
	if (rename(t.path, final) < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename '%s' to '%s'",
			t.path, final);
		afile_tmp_abort(&t);
		free(final);
		return -1;
	}
	afile_tmp_abort(&t);
	subdir = path_dirname(final);
	if (afile_fsync_dir(subdir, err) < 0) {
		/* Not known to be durable: take it back so the caller's retry
		 * does not deliver it twice. */
		int saved = errno;

		unlink(final);
		errno = saved;
		free(subdir);
		free(final);
		return -1;
	}
	free(subdir);
	if (path_out)
		*path_out = final;
	else
		free(final);
	return 0;
}

int maildir_deliver(const char *dir, const void *data, size_t len, const char *flags,
		    char **path_out, struct err *err)
{
	return deliver(dir, -1, data, len, flags, path_out, err);
}

int maildir_deliver_head_fd(const char *dir, const void *head, size_t head_len, int fd,
			    const char *flags, char **path_out, struct err *err)
{
	if (fd < 0) {
		errno = EBADF;
		return err_sys(err, EX_SOFTWARE, "cannot read the message");
	}
	return deliver(dir, fd, head, head_len, flags, path_out, err);
}

/* ---- finding, flags, moving ---- */

/* Look for key in dir/sub by name ("KEY" or "KEY:..."). */
static int find_in(const char *dir, const char *sub, const char *key, size_t klen,
		   struct maildir_entry *e, struct err *err)
{
	char *p = path_join(dir, sub);
	struct dirent *de;
	DIR *d;
	int found = 0;

	d = opendir(p);
	if (!d) {
		err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", p);
		free(p);
		return -1;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, key, klen) == 0 &&
		    (de->d_name[klen] == '\0' || de->d_name[klen] == ':')) {
			entry_fill(e, sub, de->d_name);
			found = 1;
			break;
		}
	}
	closedir(d);
	free(p);
	return found;
}

int maildir_find(const char *dir, const char *key, struct maildir_entry *e, struct err *err)
{
	size_t klen = strlen(key);
	struct stat st;
	char *p;
	int rc;

	/* A key is one file name's unique part: anything else could reach
	 * outside the folder. */
	if (klen == 0 || key[0] == '.' || strchr(key, '/') || strchr(key, ':'))
		return err_set(err, EX_DATAERR, "invalid message key '%s'", key);
	/* New mail keeps its bare name: one stat finds it. */
	p = xasprintf("%s/new/%s", dir, key);
	rc = stat(p, &st);
	free(p);
	if (rc == 0) {
		entry_fill(e, "new", key);
		return 0;
	}
	rc = find_in(dir, "cur", key, klen, e, err);
	if (rc == 0)
		rc = find_in(dir, "new", key, klen, e, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(err, EX_NOINPUT, "no message '%s' in '%s'", key, dir);
	return 0;
}

/* Replace e's names by those of name in sub, keeping mtime and size. */
static void entry_rename(struct maildir_entry *e, const char *sub, const char *name)
{
	struct maildir_entry n;

	entry_fill(&n, sub, name);
	n.mtime = e->mtime;
	if (n.size < 0)
		n.size = e->size;
	maildir_entry_release(e);
	*e = n;
}

/* Find e's file again after it vanished under its old name (another client
 * changed its flags).  A file in cur/ never goes back to new/, so a message
 * seen in cur/ is looked for there only: a file with the same key in new/
 * is another message and is never acted on for this one.  0 or -1. */
static int find_again(const char *dir, const struct maildir_entry *e,
		      struct maildir_entry *out)
{
	size_t klen = strlen(e->key);
	int rc = find_in(dir, "cur", e->key, klen, out, NULL);

	if (rc == 0 && e->is_new)
		rc = find_in(dir, "new", e->key, klen, out, NULL);
	return rc == 1 ? 0 : -1;
}

/* rename(2) that never replaces an existing file: a file of the same name
 * there is another message, or another copy of this one, and never ours to
 * overwrite (EEXIST).  Where the file system has no RENAME_NOREPLACE
 * (EINVAL, ENOSYS), link and unlink, which refuse the same way; where it
 * has no hard links either, a rename once the name is seen to be free. */
static int rename_noreplace(const char *from, const char *to)
{
	struct stat st;
	int saved;

#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (link(from, to) == 0) {
		if (unlink(from) == 0 || errno == ENOENT)
			return 0;
		saved = errno;
		unlink(to);
		errno = saved;
		return -1;
	}
	if (errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	if (lstat(to, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* Read up to n bytes, fewer only at end of file. */
static ssize_t read_upto(int fd, char *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Whether the files at a and b hold the same bytes: 1 when they do (or are
 * one file under two names), 0 when not, -1 (err filled, errno kept) when
 * one cannot be read.  *size_out gets a's size. */
static int same_bytes(const char *a, const char *b, off_t *size_out, struct err *err)
{
	enum { CHUNK = 1 << 15 };
	struct stat sa, sb;
	char *ba = NULL, *bb = NULL;
	ssize_t ra, rb;
	int fa, fb = -1, rc = -1, saved;

	fa = afile_open_regular_at(AT_FDCWD, a, err);
	if (fa < 0)
		return -1;
	fb = afile_open_regular_at(AT_FDCWD, b, err);
	if (fb < 0)
		goto out;
	if (fstat(fa, &sa) < 0 || fstat(fb, &sb) < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot stat '%s'", a);
		goto out;
	}
	*size_out = sa.st_size;
	rc = sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (rc || sa.st_size != sb.st_size)
		goto out;
	ba = xmalloc(CHUNK);
	bb = xmalloc(CHUNK);
	do {
		ra = read_upto(fa, ba, CHUNK);
		rb = read_upto(fb, bb, CHUNK);
		if (ra < 0 || rb < 0) {
			rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read '%s'",
				     ra < 0 ? a : b);
			goto out;
		}
	} while (ra == rb && ra > 0 && memcmp(ba, bb, (size_t)ra) == 0);
	rc = ra == rb && ra == 0;
out:
	saved = errno;
	free(ba);
	free(bb);
	close(fa);
	if (fb >= 0)
		close(fb);
	errno = saved;
	return rc;
}

/* from could not take the name todir/sub/name, which another file of the
 * same key holds (see the header: twins).  The same bytes: from is a
 * redundant copy and goes.  Other bytes: from takes a fresh key, keeping
 * its info part.  e is updated to name the file that now stands for it. */
static int settle_twin(const char *from, struct maildir_entry *e, const char *todir,
		       const char *sub, const char *name, struct err *err)
{
	char *to = xasprintf("%s/%s/%s", todir, sub, name), *uniq, *fresh;
	off_t size = -1;
	int same = same_bytes(from, to, &size, err), rc = 0;

	if (same < 0) {
		free(to);
		return -1;
	}
	if (same) {
		if (unlink(from) < 0 && errno != ENOENT)
			rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot remove '%s'", from);
		else
			entry_rename(e, sub, name);
		free(to);
		return rc;
	}
	free(to);
	uniq = afile_unique_name();
	fresh = xasprintf("%s,S=%lld%s", uniq, (long long)size, name + key_len(name));
	to = xasprintf("%s/%s/%s", todir, sub, fresh);
	if (rename_noreplace(from, to) < 0)
		rc = err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename '%s' to '%s'",
			     from, to);
	else
		entry_rename(e, sub, fresh);
	free(to);
	free(fresh);
	free(uniq);
	return rc;
}

/* Rename dir/e->path to todir/sub/name without replacing another file;
 * e is updated to the file's new name.  -1 with errno ENOENT when e's file
 * is not there (renamed by another client meanwhile). */
static int place(const char *dir, struct maildir_entry *e, const char *todir, const char *sub,
		 const char *name, struct err *err)
{
	char *from = path_join(dir, e->path), *to = xasprintf("%s/%s/%s", todir, sub, name);
	int rc = 0, saved;

	if (strcmp(from, to) != 0) {
		if (rename_noreplace(from, to) == 0) {
			entry_rename(e, sub, name);
		} else if (errno == EEXIST) {
			rc = settle_twin(from, e, todir, sub, name, err);
		} else {
			saved = errno;
			rc = err_sys(err, saved == ENOENT ? EX_NOINPUT
				     : afile_err_code(saved, EX_CANTCREAT),
				     "cannot rename '%s' to '%s'", from, to);
			errno = saved;
		}
	}
	free(from);
	free(to);
	return rc;
}

/* Replace e by again, the file found again under another name. */
static void entry_take(struct maildir_entry *e, struct maildir_entry *again)
{
	again->mtime = e->mtime;
	if (again->size < 0)
		again->size = e->size;
	maildir_entry_release(e);
	*e = *again;
}

/* place() into cur/ as key:2,flags, or (flags NULL) into todir under the
 * same sub and name; if the file vanished because another client renamed
 * it (flags changed), find it again by key and retry once. */
static int rename_entry(const char *dir, struct maildir_entry *e, const char *todir,
			const char *flags, struct err *err)
{
	struct maildir_entry again;
	char *name;
	int tries, rc = -1;

	for (tries = 0; tries < 2; tries++) {
		name = flags ? xasprintf("%s:2,%s", e->key, flags) : xstrdup(e->path + 4);
		rc = place(dir, e, todir, flags || !e->is_new ? "cur" : "new", name, err);
		free(name);
		if (rc == 0 || errno != ENOENT || tries > 0 || find_again(dir, e, &again) < 0)
			break;
		err_clear(err);
		entry_take(e, &again);
	}
	return rc;
}

int maildir_set_flags(const char *dir, struct maildir_entry *e, const char *flags,
		      struct err *err)
{
	char fl[FLAGS_MAX + 1];

	if (flags_norm(flags, fl, 1) < 0)
		return err_set(err, EX_DATAERR, "invalid maildir flags '%s'", flags);
	/* No fsync here: the rename is atomic, so a crash can bring back the
	 * old flags but never lose the message, and marking a thousand
	 * messages read must not cost a thousand directory syncs. */
	return rename_entry(dir, e, dir, fl, err);
}

int maildir_change_flags(const char *dir, struct maildir_entry *e, const char *add,
			 const char *del, struct err *err)
{
	struct maildir_entry again;
	char want[FLAGS_MAX + 1], fl[FLAGS_MAX + 1], *name;
	int tries, rc = -1;
	size_t i, n;

	for (tries = 0; tries < 2; tries++) {
		/* The flags of the name the rename starts from, so a flag
		 * another client set meanwhile is kept. */
		for (i = 0, n = 0; e->flags[i] && n < FLAGS_MAX; i++)
			if (!strchr(del, e->flags[i]))
				want[n++] = e->flags[i];
		want[n] = '\0';
		if (strlen(want) + strlen(add) > FLAGS_MAX)
			return err_set(err, EX_DATAERR, "too many maildir flags");
		strcat(want, add);
		if (flags_norm(want, fl, 1) < 0)
			return err_set(err, EX_DATAERR, "invalid maildir flags '%s'", add);
		name = xasprintf("%s:2,%s", e->key, fl);
		rc = place(dir, e, dir, "cur", name, err);
		free(name);
		if (rc == 0 || errno != ENOENT || tries > 0 || find_again(dir, e, &again) < 0)
			break;
		err_clear(err);
		entry_take(e, &again);
	}
	return rc;
}

int maildir_remove(const char *dir, struct maildir_entry *e, struct err *err)
{
	struct maildir_entry again;
	char *p = path_join(dir, e->path);
	int rc = unlink(p);

	if (rc < 0 && errno == ENOENT && find_again(dir, e, &again) == 0) {
		maildir_entry_release(e);
		*e = again;
		free(p);
		p = path_join(dir, e->path);
		rc = unlink(p);
	}
	if (rc < 0 && errno != ENOENT)
		rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot remove '%s'", p);
	else
		rc = 0;
	free(p);
	return rc;
}

int maildir_move(const char *src, struct maildir_entry *e, const char *dst, struct err *err)
{
	const char *sub;
	char *a, *b;
	int rc;

	if (!maildir_is(dst))
		return err_set(err, EX_CANTCREAT, "cannot move to '%s': not a maildir", dst);
	/* The name stays the same, so the rename (same file system only:
	 * EXDEV is reported, never turned into a copy) is the whole move. */
	if (rename_entry(src, e, dst, NULL, err) < 0)
		return -1;
	/* Sync the side that gained the name first. */
	sub = e->is_new ? "new" : "cur";
	a = path_join(dst, sub);
	b = path_join(src, sub);
	rc = afile_fsync_dir(a, err) < 0 || afile_fsync_dir(b, err) < 0 ? -1 : 0;
	free(a);
	free(b);
	return rc;
}
