#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "batch.h"
#include "buf.h"
#include "xalloc.h"

struct entry {
	struct afile_tmp tmp;  /* fd open until commit; path NULL once placed */
	char *final;           /* full path in new/ or cur/ */
	int placed;            /* in new/ or cur/ already (batch_link) */
	int linked;            /* a hard link: no file of ours to sync, fd -1 */
};

struct batch {
	char *dir;
	char *tmpdir;
	struct entry *e;
	size_t n, cap;
	size_t bytes;
	struct buf conv;       /* reused for the CRLF -> LF copy */
};

struct batch *batch_new(const char *dir)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	b->dir = xstrdup(dir);
	b->tmpdir = xasprintf("%s/tmp", dir);
	buf_init(&b->conv);
	return b;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	batch_abort(b);
	free(b->e);
	buf_release(&b->conv);
	free(b->tmpdir);
	free(b->dir);
	free(b);
}

static void entry_release(struct entry *e)
{
	afile_tmp_abort(&e->tmp);
	free(e->final);
	e->final = NULL;
}

void batch_abort(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		entry_release(&b->e[i]);
	b->n = 0;
	b->bytes = 0;
}

const char *batch_last_path(const struct batch *b)
{
	return b->n ? b->e[b->n - 1].final : NULL;
}

size_t batch_count(const struct batch *b)
{
	return b->n;
}

size_t batch_bytes(const struct batch *b)
{
	return b->bytes;
}

/* CR LF -> LF into out; a CR not followed by LF is kept. */
static void crlf_to_lf(const char *p, size_t len, struct buf *out)
{
	const char *end = p + len, *cr;

	buf_reset(out);
	buf_grow(out, len);
	while (p < end) {
		cr = memchr(p, '\r', (size_t)(end - p));
		if (!cr) {
			buf_append(out, p, (size_t)(end - p));
			break;
		}
		if (cr + 1 < end && cr[1] == '\n') {
			buf_append(out, p, (size_t)(cr - p));
			p = cr + 1;
		} else {
			buf_append(out, p, (size_t)(cr + 1 - p));
			p = cr + 1;
		}
	}
}

/* The final path of a message whose unique name is name. */
static char *final_path(const struct batch *b, const char *name, const char *tag,
			const char *flags)
{
	const char *sep = tag && *tag ? ",R=" : "";

	if (!tag)
		tag = "";
	if (flags && *flags)
		return xasprintf("%s/cur/%s%s%s:2,%s", b->dir, name, sep, tag, flags);
	return xasprintf("%s/new/%s%s%s", b->dir, name, sep, tag);
}

static struct entry *next_entry(struct batch *b)
{
	struct entry *e;

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->e = xreallocarray(b->e, b->cap, sizeof(*b->e));
	}
	e = &b->e[b->n];
	memset(e, 0, sizeof(*e));
	e->tmp.fd = -1;
	return e;
}

int batch_add(struct batch *b, const void *data, size_t len, int crlf, const char *tag,
	      const char *flags, struct err *err)
{
	struct entry *e = next_entry(b);
	const char *name;

	if (afile_tmp_open(&e->tmp, b->tmpdir, err) < 0)
		return -1;
	if (crlf) {
		crlf_to_lf(data, len, &b->conv);
		data = b->conv.data;
		len = b->conv.len;
	}
	if (afile_write_all(e->tmp.fd, data, len, err) < 0) {
		err_prefix(err, "'%s'", e->tmp.path);
		afile_tmp_abort(&e->tmp);
		return -1;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	/* Start write-back now, while the next messages arrive, so that the
	 * fdatasync() calls in batch_commit() mostly find the data on disk
	 * and the file system commits its journal once for the whole batch.
	 * Only a hint: failure changes nothing. */
	(void)sync_file_range(e->tmp.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	name = strrchr(e->tmp.path, '/') + 1;
	e->final = final_path(b, name, tag, flags);
	b->n++;
	b->bytes += len;
	return 0;
}

int batch_link(struct batch *b, const char *src, const void *data, size_t len,
	       const char *tag, const char *flags, struct err *err)
{
	struct entry *e = next_entry(b);
	char *name = afile_unique_name();

	e->final = final_path(b, name, tag, flags);
	free(name);
	if (link(src, e->final) == 0) {
		/* The data and the inode were made durable when src was
		 * written; what is new is a name and the link count, and
		 * link() journals both in one transaction, which the fsync of
		 * the directory in batch_commit() commits.  (An fsync of the
		 * file would cost a disk cache flush each, for nothing.) */
		e->placed = 1;
		e->linked = 1;
		b->n++;
		b->bytes += len;
		return 0;
	}
	/* Another file system (EXDEV), or one without hard links: copy. */
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot link '%s' to '%s'", src,
			e->final);
		free(e->final);
		e->final = NULL;
		return -1;
	}
	free(e->final);
	e->final = NULL;
	if (batch_add(b, data, len, 0, tag, flags, err) < 0)
		return -1;
	e = &b->e[b->n - 1];
	if (rename(e->tmp.path, e->final) < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename '%s' to '%s'",
			e->tmp.path, e->final);
		b->n--;
		b->bytes -= len;
		entry_release(e);
		return -1;
	}
	free(e->tmp.path);
	e->tmp.path = NULL;
	e->placed = 1;
	return 0;
}

int batch_commit(struct batch *b, struct err *err)
{
	size_t i, done = 0;
	int new_used = 0, cur_used = 0;
	char *d;
	int rc;

	for (i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];
		const char *what = e->placed ? e->final : e->tmp.path;
		int fd = e->tmp.fd;

		if (e->linked)
			continue;   /* see batch_link() */
		/* fdatasync is enough for a new file: it writes the metadata
		 * needed to read the data back (size, blocks); the name comes
		 * with the directory fsync below. */
		if (fdatasync(fd) < 0) {
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot fsync '%s'", what);
			goto fail;
		}
		e->tmp.fd = -1;
		if (close(fd) < 0) {
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot close '%s'", what);
			goto fail;
		}
	}
	for (i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];

		if (e->placed) {
			/* In place already; only its directory is left. */
		} else if (rename(e->tmp.path, e->final) < 0) {
			err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename '%s' to '%s'",
				e->tmp.path, e->final);
			goto fail;
		}
		free(e->tmp.path);
		e->tmp.path = NULL;
		done++;
		if (strstr(e->final + strlen(b->dir), "/cur/"))
			cur_used = 1;
		else
			new_used = 1;
	}
	rc = 0;
	if (new_used) {
		d = xasprintf("%s/new", b->dir);
		rc = afile_fsync_dir(d, err);
		free(d);
	}
	if (rc == 0 && cur_used) {
		d = xasprintf("%s/cur", b->dir);
		rc = afile_fsync_dir(d, err);
		free(d);
	}
	batch_abort(b);
	return rc;
fail:
	/* Entries before `done` are in place already; of the rest, those
	 * still in tmp/ go (entry_release leaves placed ones alone). */
	for (i = 0; i < done; i++) {
		free(b->e[i].final);
		b->e[i].final = NULL;
	}
	for (; i < b->n; i++)
		entry_release(&b->e[i]);
	b->n = 0;
	b->bytes = 0;
	return -1;
}

/* Add the R= tags of the names in dir/sub to *tags. */
static int scan(const char *dir, const char *sub, char ***tags, size_t *n, size_t *cap,
		struct err *err)
{
	char *path = xasprintf("%s/%s", dir, sub);
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d) {
		if (errno == ENOENT) {
			free(path);
			return 0;
		}
		err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", path);
		free(path);
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		const char *t = strstr(de->d_name, ",R=");
		size_t len;

		if (de->d_name[0] == '.' || !t)
			continue;
		t += 3;
		len = strcspn(t, ",:");
		if (len == 0)
			continue;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 64;
			*tags = xreallocarray(*tags, *cap, sizeof(**tags));
		}
		(*tags)[(*n)++] = xstrndup(t, len);
		errno = 0;
	}
	if (errno) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read '%s'", path);
		closedir(d);
		free(path);
		return -1;
	}
	closedir(d);
	free(path);
	return 0;
}

int batch_tags(const char *dir, char ***tags_out, size_t *n_out, struct err *err)
{
	char **tags = NULL;
	size_t n = 0, cap = 0;

	if (scan(dir, "new", &tags, &n, &cap, err) < 0 ||
	    scan(dir, "cur", &tags, &n, &cap, err) < 0) {
		batch_tags_free(tags, n);
		return -1;
	}
	*tags_out = tags;
	*n_out = n;
	return 0;
}

void batch_tags_free(char **tags, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(tags[i]);
	free(tags);
}

void batch_sweep(const char *dir, long max_age)
{
	char *tmp = xasprintf("%s/tmp", dir);
	DIR *d = opendir(tmp);
	struct dirent *de;
	time_t limit = time(NULL) - max_age;

	while (d && (de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < limit)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	free(tmp);
}
