/*
 * afile: durable file writes and lock files.  Every write of mail or state
 * goes through here: a temporary file created O_EXCL mode 0600, written in
 * full, fsync'd, closed, renamed into place, then the directory fsync'd.  On
 * any failure the temporary file is unlinked and err says why.
 * Maildir delivery builds on this (maildir.h); nothing else writes mail.
 */
#ifndef SUREL_AFILE_H
#define SUREL_AFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define AFILE_WUR __attribute__((warn_unused_result))

/* The sysexits class for a failed file operation with errno errnum:
 * EX_TEMPFAIL when waiting may help (ENOSPC, EDQUOT, EIO, EAGAIN, EINTR,
 * ENOMEM, EMFILE, ENFILE, EBUSY, ENOLCK, ETIMEDOUT, ESTALE, EROFS), EX_NOPERM for
 * EACCES and EPERM, else permanent, the caller's class (EX_CANTCREAT for a
 * create, EX_NOINPUT for a read, EX_IOERR for a write): of these only
 * EX_TEMPFAIL is temporary to err_is_temp(). */
int afile_err_code(int errnum, int permanent);

/* Write all n bytes to fd, retrying short writes and EINTR.  On failure the
 * message is "cannot write: why" (callers prefix the path) and errno is kept. */
int afile_write_all(int fd, const void *p, size_t n, struct err *err) AFILE_WUR;

/* fsync the directory dir so a rename or create in it is durable.  A file
 * system that cannot fsync directories (EINVAL) counts as success. */
int afile_fsync_dir(const char *dir, struct err *err) AFILE_WUR;

/* Replace path atomically with data (mode 0600 unless mode != 0).  The
 * temporary file is made in the same directory as path, named ".NAME.tmp"
 * after afile_unique_name() so directory scans that skip dot files ignore
 * it; readers see the old contents or the new, never a mix. */
int afile_write(const char *path, const void *data, size_t n, mode_t mode,
		struct err *err) AFILE_WUR;

/* A temporary file being written: open with afile_tmp_open(), write to fd,
 * then afile_tmp_commit() or afile_tmp_abort().  The struct is the caller's
 * (embedded); path is owned by it until commit/abort. */
struct afile_tmp {
	int fd;
	char *path;
};

/* Create a new unique file in directory dir (O_CREAT|O_EXCL|O_CLOEXEC, 0600),
 * named afile_unique_name(); t->path is dir/NAME.  On failure t is left
 * with fd -1 and path NULL. */
int afile_tmp_open(struct afile_tmp *t, const char *dir, struct err *err) AFILE_WUR;
/* fsync and close the file, then rename it to final and fsync final's
 * directory.  With final NULL, only fsync and close (the caller renames or
 * links, and fsyncs the directory itself): t->path stays set, and the caller
 * ends with afile_tmp_abort(), which unlinks the temporary name if it is
 * still there (after a link) and frees it.  On failure the temporary file is
 * gone and t is released; a failure after the rename (directory fsync)
 * leaves final in place but not known to be durable. */
int afile_tmp_commit(struct afile_tmp *t, const char *final, struct err *err) AFILE_WUR;
/* Close and unlink; safe to call after a failed commit or twice. */
void afile_tmp_abort(struct afile_tmp *t);

/* Create directory path and its missing parents (mode 0700); an existing
 * directory is fine, anything else in the way is EX_CANTCREAT. */
int afile_mkdirs(const char *path, struct err *err) AFILE_WUR;

/* Take an exclusive lock on the lock file path (created if missing).  With
 * wait == 0 and the lock held elsewhere, returns -1 with err->code ==
 * EX_TEMPFAIL and err->errnum == EWOULDBLOCK.  Returns the fd to keep open;
 * afile_unlock() releases it.  The lock is flock(2), held by the open file:
 * two afile_lock() calls on one path conflict even within one process, and
 * closing some other descriptor of the file does not drop it (a POSIX
 * fcntl lock would be dropped).  A forked child shares the lock through
 * the inherited descriptor until it closes it or execs (O_CLOEXEC).  These are surel's own lock files; an mbox
 * is read under the fcntl lock other mail programs take (mua/mbox.h). */
int afile_lock(const char *path, int wait, struct err *err) AFILE_WUR;
void afile_unlock(int fd);

/* Read the whole file at path into a new buffer (caller frees, NUL added
 * after the data); max > 0 refuses larger files with EX_DATAERR.  A
 * missing file is EX_NOINPUT. */
int afile_read(const char *path, size_t max, char **data_out, size_t *len_out,
	       struct err *err) AFILE_WUR;

/* The largest message read into memory whole (a Maildir message shown,
 * searched or checked for duplicates). */
#define AFILE_MSG_MAX (256UL * 1024 * 1024)

/* Open path (relative to the directory open as dfd, or AT_FDCWD) for
 * reading, only if it is a regular file: a FIFO (without waiting for a
 * writer), a device (a symlink to /dev/zero), a directory or a socket is
 * EX_DATAERR "not a regular file".  Returns the fd (blocking, O_CLOEXEC). */
int afile_open_regular_at(int dfd, const char *path, struct err *err) AFILE_WUR;
/* afile_read() of a regular file only, opened as afile_open_regular_at()
 * does: what reads mail from a folder uses this, so that a FIFO or a device
 * in a Maildir neither hangs it nor fills memory. */
int afile_read_regular(const char *path, size_t max, char **data_out, size_t *len_out,
		       struct err *err) AFILE_WUR;

/* A unique name in Maildir style: "SECONDS.M<usec>P<pid>Q<counter>.HOST"
 * (host with '/' as "\057" and ':' as "\072", as the Maildir spec says);
 * caller frees.  The counter is per process and atomic, so threads and
 * quick successive calls never repeat a name.  The microseconds are
 * written with six digits so that names made in the same second sort in
 * the order they were made (the queue lists and relays in name order). */
char *afile_unique_name(void);

#endif
