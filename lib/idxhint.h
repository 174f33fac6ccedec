/*
 * idxhint: an account's search index kept current by the programs that
 * write mail, which never wait for it.  A writer (spool deliver, fetch
 * and sync, the queue's Sent copies and local deliveries, surel's moves
 * and deletions) calls idxhint_note() once it has stored, moved or
 * removed mail of an account; when the account has a search index, a
 * detached `spool index --background` brings it up to date at low
 * priority.  An index is made by `spool index` or the first search
 * (spool/search.h), never here: an account nobody searches gets none.
 *
 * This module owns the names of the index's files, all in
 * $XDG_CACHE_HOME/surel/search/, HASH being 16 hex digits of a hash of
 * the real path of the account's Maildir root:
 *   HASH.db     the index itself (spool/search.c; -wal and -shm beside it)
 *   HASH.lock   flock(2)ed by the one background indexer of the index;
 *               its holder writes "pid P\nruns R\nrounds N\n" into it
 *               (P its pid, 0 once it is done; R the indexers that ever
 *               held it, N the refreshes they ran: diagnostics, not
 *               synced to disk)
 *   HASH.again  the writers' mark: mail changed since the indexer looked
 *
 * The protocol.  A writer makes the mark, then tries the lock without
 * waiting: held, it is done (the holder looks at the mark before it
 * lets go); free, it starts the indexer (double fork, own session,
 * stdio on /dev/null, nothing for the writer to reap) and hands it the
 * locked descriptor, so no other writer starts a second one meanwhile.
 * The indexer (idxhint_serve()) removes the mark, refreshes, and again
 * while the mark came back (at most one refresh a second: a stream of
 * deliveries costs one process and a refresh a second, not a refresh
 * per message); then it unlocks, and when the mark came back
 * in between it takes the lock again if nobody else did.  A burst of
 * deliveries thus starts one indexer, and each writer spends a few
 * system calls.  A crash anywhere loses nothing: the lock goes with its
 * process, the mark stays (or the next writer makes it), and a refresh
 * compares the folders whole, so what was stored before the crash is
 * indexed by the next indexer or the next search.
 *
 * Ownership: char * results are the caller's to free().
 */
#ifndef SUREL_IDXHINT_H
#define SUREL_IDXHINT_H

#include "cfg.h"
#include "err.h"

/* The descriptor the started indexer finds the lock on. */
#define IDXHINT_LOCK_FD 3
/* The nice value the background indexer runs at (at least). */
#define IDXHINT_NICE 10
/* The least time between the starts of two refreshes of the background
 * indexer, in milliseconds. */
#define IDXHINT_GAP_MS 1000

/* The file ext ("db", "lock", "again") of the search index of the
 * Maildir root root (its real path when it exists, else as given). */
char *idxhint_path(const char *root, const char *ext);

/* Mail of account a changed: start the background indexer as described
 * above, unless a has no search index or search_index_auto = no.  Never
 * fails the caller: what goes wrong is a debug line, and the index is
 * brought up to date by the next writer or search. */
void idxhint_note(const struct cfg_account *a);

/* A refresh run in the foreground (spool index, spool search) holds the
 * lock too, so that writers meanwhile only mark: idxhint_hold() takes it
 * without waiting (-1 when another holds it: refresh anyway), and
 * idxhint_release() lets go of fd (-1 is fine) and, when a writer marked
 * meanwhile, starts the indexer for account a (may be NULL: then not). */
int idxhint_hold(const char *root);
void idxhint_release(const struct cfg_account *a, int fd);

/* One refresh of the index: 0, or -1 with err. */
typedef int (*idxhint_work_fn)(void *arg, struct err *err);

/* The indexer's side of the protocol for the index of root: work() as
 * often as the mark asks, under the lock, each call at least gap_ms
 * after the start of the one before, and gap_ms after the last one
 * (marks made meanwhile are served by this process).  lockfd is the
 * locked descriptor the writer handed over (this function closes it), or
 * -1 to take the lock here: held by another, 0 at once without work
 * (that one sees the mark).  A failed work() leaves the mark for the
 * next indexer and returns -1 with its err. */
int idxhint_serve(const char *root, int lockfd, unsigned gap_ms, idxhint_work_fn work, void *arg,
		  struct err *err) __attribute__((warn_unused_result));

#endif
