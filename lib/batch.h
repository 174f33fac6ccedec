/*
 * batch: delivering many messages into one Maildir folder with one
 * durability point, for `spool fetch` and for the Sent copies of
 * `sendq flush`.  batch_add() writes a message to tmp/ (O_EXCL, mode 0600)
 * with its write-back started at once; batch_commit() then waits for the
 * data (fdatasync per file: by then it is usually on disk already, so the
 * journal commits once for the lot), renames every file into new/ or cur/
 * and fsyncs those directories once.  batch_link() instead places a file
 * that is durable already (a queued body) at once, as a hard link, and
 * batch_commit() only makes the names durable.  Single messages go through
 * maildir_deliver() (lib/maildir.h) instead.
 *
 * Names: "UNIQUE,R=TAG" (afile_unique_name(), then the caller's tag; just
 * "UNIQUE" without a tag) in new/, or with ":2,FLAGS" in cur/ when a
 * message has flags.  The tag is how a crashed fetch finds what it already
 * stored (batch_tags()).
 */
#ifndef SUREL_BATCH_H
#define SUREL_BATCH_H

#include <stddef.h>

#include "err.h"

#define BATCH_WUR __attribute__((warn_unused_result))

struct batch;

/* A batch for the Maildir at dir (which must exist); dir is copied. */
struct batch *batch_new(const char *dir);
/* Abort what is not committed and free; NULL is fine. */
void batch_free(struct batch *b);

/* Write one message into tmp/.  With crlf, every CR LF becomes LF (the
 * Maildir convention; a lone CR stays).  tag: printable ASCII without
 * '/', ':' or ',', NULL or "" for none; flags: Maildir flags, "" or NULL
 * for none.  On failure the message is not in the batch; the batch itself
 * stays usable. */
int batch_add(struct batch *b, const void *data, size_t len, int crlf,
	      const char *tag, const char *flags, struct err *err) BATCH_WUR;

/* The path (in new/ or cur/) the message batch_add() or batch_link() put
 * in last will have once committed; borrowed until the next call on b.
 * NULL when the batch is empty.  Its base name up to ':' is the message's
 * Maildir key, for callers that record where a message went. */
const char *batch_last_path(const struct batch *b);

/* Place the message in file src, whose bytes are data[0..len) and which is
 * durable already (fsync'd when it was written), into new/ or cur/ at once:
 * as a hard link to src when the file system allows it (same file system),
 * else as a copy of data written to tmp/ (write-back started) and renamed
 * into place.  Either way the message is visible when this returns, so a
 * killed process keeps it; batch_commit() makes it durable (fdatasync of
 * a copy; for a link, whose data and inode are durable already, the fsync
 * of the directory, which also commits the link count on the journalling
 * file systems hard links are used on).  After a
 * link the file has two names: the caller may unlink src once the commit
 * returned, not before (the data would have no durable name).  tag and
 * flags as for batch_add().  On failure nothing was placed. */
int batch_link(struct batch *b, const char *src, const void *data, size_t len,
	       const char *tag, const char *flags, struct err *err) BATCH_WUR;

/* Messages and bytes (as written) waiting in the batch. */
size_t batch_count(const struct batch *b);
size_t batch_bytes(const struct batch *b);

/* Make every message durable and move it into place (see above); the
 * batch is empty afterwards.  On failure no file of the batch that was
 * not yet renamed remains, and files already renamed or placed by
 * batch_link() are not known to be durable (the caller must not record
 * them as stored). */
int batch_commit(struct batch *b, struct err *err) BATCH_WUR;
/* Unlink every message of the batch not yet committed that is still in
 * tmp/; messages placed by batch_link() stay where they are (visible, not
 * known to be durable). */
void batch_abort(struct batch *b);

/* Every tag found in the names in dir's new/ and cur/ (the text after
 * ",R=" up to the next ',' or ':'), as an array of n strings; free with
 * batch_tags_free().  A missing dir gives none. */
int batch_tags(const char *dir, char ***tags_out, size_t *n_out, struct err *err) BATCH_WUR;
void batch_tags_free(char **tags, size_t n);

/* Unlink files in dir's tmp/ last modified more than max_age seconds ago
 * (what killed writers left behind); failures are ignored. */
void batch_sweep(const char *dir, long max_age);

#endif
