#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "buf.h"
#include "path.h"
#include "xalloc.h"

int afile_err_code(int errnum, int permanent)
{
	switch (errnum) {
	case ENOSPC:
	case EDQUOT:
	case EIO:
	case EAGAIN:
	case EINTR:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case EBUSY:
	case ENOLCK:
	case ETIMEDOUT:
	case ESTALE:
	/* A spool remounted read-only (fsck, a full journal) comes back;
	 * the sender must keep the mail and retry, as for a full disk. */
	case EROFS:
		return EX_TEMPFAIL;
	case EACCES:
	case EPERM:
		return EX_NOPERM;
	default:
		return permanent;
	}
}

/* The loop behind afile_write_all without the error text, so callers that
 * know the path can word the message themselves; errno tells why. */
static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* write(2) returns 0 for n > 0 only on odd devices; looping
		 * would spin forever, so call it an I/O error. */
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int afile_write_all(int fd, const void *p, size_t n, struct err *err)
{
	if (write_all(fd, p, n) < 0)
		return err_sys(err, afile_err_code(errno, EX_IOERR), "cannot write");
	return 0;
}

int afile_fsync_dir(const char *dir, struct err *err)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_IOERR),
			       "cannot open directory '%s'", dir);
	rc = fsync(fd);
	/* Some file systems refuse fsync on a directory (EINVAL); their
	 * renames are as durable as they get, so that is not a failure. */
	if (rc < 0 && errno != EINVAL) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot fsync directory '%s'", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Open dir/PREFIX<unique>SUFFIX exclusively.  A name can only collide when
 * some other host or a stale file shares it, so a few fresh names settle it. */
static int tmp_open_named(struct afile_tmp *t, const char *dir, const char *prefix,
			  const char *suffix, struct err *err)
{
	char *name;
	int tries;

	t->fd = -1;
	t->path = NULL;
	for (tries = 0; tries < 10; tries++) {
		name = afile_unique_name();
		t->path = xasprintf("%s/%s%s%s", dir, prefix, name, suffix);
		free(name);
		t->fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (t->fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
		free(t->path);
		t->path = NULL;
	}
	err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot create '%s'",
		t->path ? t->path : dir);
	free(t->path);
	t->path = NULL;
	return -1;
}

int afile_tmp_open(struct afile_tmp *t, const char *dir, struct err *err)
{
	return tmp_open_named(t, dir, "", "", err);
}

/* Unlink and free t->path keeping errno, so the caller's error stays true. */
static void tmp_discard(struct afile_tmp *t)
{
	int saved = errno;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->path)
		unlink(t->path);
	free(t->path);
	t->path = NULL;
	errno = saved;
}

int afile_tmp_commit(struct afile_tmp *t, const char *final, struct err *err)
{
	char *dir;
	int rc, fd = t->fd;

	if (fsync(fd) < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot fsync '%s'", t->path);
		tmp_discard(t);
		return -1;
	}
	/* close() can report a deferred write error (NFS); the data is not
	 * known to be safe until it returned 0. */
	t->fd = -1;
	if (close(fd) < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot close '%s'", t->path);
		tmp_discard(t);
		return -1;
	}
	if (!final)
		return 0;
	if (rename(t->path, final) < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot rename '%s' to '%s'",
			t->path, final);
		tmp_discard(t);
		return -1;
	}
	free(t->path);
	t->path = NULL;
	dir = path_dirname(final);
	rc = afile_fsync_dir(dir, err);
	free(dir);
	return rc;
}

void afile_tmp_abort(struct afile_tmp *t)
{
	tmp_discard(t);
}

int afile_write(const char *path, const void *data, size_t n, mode_t mode, struct err *err)
{
	struct afile_tmp t;
	char *dir = path_dirname(path);
	int rc;

	rc = tmp_open_named(&t, dir, ".", ".tmp", err);
	free(dir);
	if (rc < 0)
		return -1;
	if (mode != 0 && fchmod(t.fd, mode) < 0) {
		err_sys(err, afile_err_code(errno, EX_CANTCREAT), "cannot chmod '%s'", t.path);
		tmp_discard(&t);
		return -1;
	}
	if (write_all(t.fd, data, n) < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot write '%s'", t.path);
		tmp_discard(&t);
		return -1;
	}
	return afile_tmp_commit(&t, path, err);
}

int afile_mkdirs(const char *path, struct err *err)
{
	char *p, *s;
	struct stat st;
	int rc = 0;

	if (path[0] == '\0')
		return err_set(err, EX_CANTCREAT, "cannot create directory ''");
	p = xstrdup(path);

	/* Walk the components left to right; EEXIST is checked once at the end
	 * by stat, which also catches a file standing where a directory
	 * should be. */
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) == 0) {
				/* The new name must survive a crash as much as
				 * what is later written below it. */
				char *slash = strrchr(p, '/');

				if (slash && slash > p) {
					*slash = '\0';
					rc = afile_fsync_dir(p, err);
					*slash = '/';
				} else if (slash) {
					rc = afile_fsync_dir("/", err);
				}
				if (rc < 0)
					break;
			} else if (errno != EEXIST) {
				rc = err_sys(err, afile_err_code(errno, EX_CANTCREAT),
					     "cannot create directory '%s'", p);
				break;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	if (rc == 0 && stat(path, &st) < 0) {
		rc = err_sys(err, afile_err_code(errno, EX_CANTCREAT),
			     "cannot create directory '%s'", path);
	} else if (rc == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = err_sys(err, EX_CANTCREAT, "cannot create directory '%s'", path);
	}
	free(p);
	return rc;
}

int afile_lock(const char *path, int wait, struct err *err)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_CANTCREAT),
			       "cannot open lock file '%s'", path);
	while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			err_sys(err, EX_TEMPFAIL, "cannot lock '%s'", path);
		} else {
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot lock '%s'", path);
		}
		close(fd);
		return -1;
	}
	return fd;
}

void afile_unlock(int fd)
{
	/* Closing drops the flock; the file stays so the next locker does not
	 * race with its removal. */
	if (fd >= 0)
		close(fd);
}

/* Read fd to EOF into a new buffer; closes fd.  path is for messages. */
static int read_fd(int fd, const char *path, size_t max, char **data_out,
		   size_t *len_out, struct err *err)
{
	struct buf b = BUF_INIT;
	struct stat st;
	ssize_t r;

	/* The size is a hint for one allocation; reading to EOF still decides,
	 * so a growing file or a pipe is read correctly. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if (max > 0 && (unsigned long long)st.st_size > max)
			goto too_big;
		buf_grow(&b, (size_t)st.st_size + 1);
	}
	for (;;) {
		/* Grow only when full, so a file read at its stat size is
		 * not copied into a doubled buffer by the final EOF read. */
		if (b.cap - b.len < 2)
			buf_grow(&b, 65536);
		r = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read '%s'", path);
			close(fd);
			buf_release(&b);
			return -1;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		b.data[b.len] = '\0';
		if (max > 0 && b.len > max)
			goto too_big;
	}
	close(fd);
	*data_out = buf_detach(&b, len_out);
	return 0;

too_big:
	close(fd);
	buf_release(&b);
	return err_set(err, EX_DATAERR, "cannot read '%s': larger than %zu bytes", path, max);
}

int afile_read(const char *path, size_t max, char **data_out, size_t *len_out,
	       struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", path);
	return read_fd(fd, path, max, data_out, len_out, err);
}

int afile_open_regular_at(int dfd, const char *path, struct err *err)
{
	struct stat st;
	int flags, fd;

	/* O_NONBLOCK so that opening a FIFO does not wait for a writer; it is
	 * refused right after, and cleared for the regular file. */
	fd = openat(dfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err_sys(err, afile_err_code(errno, EX_IOERR), "cannot stat '%s'", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, EX_DATAERR, "cannot open '%s': not a regular file", path);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

int afile_read_regular(const char *path, size_t max, char **data_out, size_t *len_out,
		       struct err *err)
{
	int fd = afile_open_regular_at(AT_FDCWD, path, err);

	if (fd < 0)
		return -1;
	return read_fd(fd, path, max, data_out, len_out, err);
}

char *afile_unique_name(void)
{
	static atomic_ulong counter;
	struct timespec ts;
	char host[256];
	struct buf b = BUF_INIT;
	const char *h;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* gethostname may leave a truncated name unterminated. */
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (host[0] == '\0')
		memcpy(host, "localhost", sizeof("localhost"));
	buf_printf(&b, "%lld.M%06ldP%ldQ%lu.", (long long)ts.tv_sec, ts.tv_nsec / 1000,
		   (long)getpid(), atomic_fetch_add(&counter, 1) + 1);
	/* The Maildir spec: '/' and ':' cannot appear in a file name (the
	 * second starts the info part), so they are written as octal escapes. */
	for (h = host; *h; h++) {
		if (*h == '/')
			buf_puts(&b, "\\057");
		else if (*h == ':')
			buf_puts(&b, "\\072");
		else
			buf_putc(&b, *h);
	}
	return buf_detach(&b, NULL);
}
