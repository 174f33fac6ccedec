/*
 * watchall: `spool watch --all`, two-way sync kept up to date as things
 * change, for every account `spool sync --all` syncs (every account with
 * an imap:// or imaps:// `fetch` server), in one process with one thread
 * per account.  `spool watch` without --all stays the one-way fetch of
 * spool/watch.h.
 *
 * Per account: a full sync_account() (spool/sync.h) on start and every
 * poll interval; a second IMAP connection waiting in IDLE, which with
 * NOTIFY (RFC 5465) reports changes in every folder (each report makes a
 * sync of every folder, debounced as below), else new mail in INBOX (a
 * sync of INBOX at once); inotify on cur/ and new/ of every synced local folder
 * (and on the root, for new folders) whose changes, once quiet for a
 * second (at most WATCHALL_DEBOUNCE_MAX seconds after the first), make a
 * sync of the folders that changed.  The account's lock is taken per
 * sync, as `spool sync` takes it: a sync found busy is tried again a few
 * seconds later.  A failed sync or IDLE connection is retried with
 * back-off (1 s doubling up to WATCH_BACKOFF_MAX); the outcome of every
 * sync is in the account's status record (spool/syncstatus.h).  SIGTERM,
 * SIGINT and SIGHUP stop it: IDLE is ended, a sync in progress may finish
 * for WATCHALL_STOP_GRACE seconds, then the process leaves (a sync cut
 * there is safe: sync.h's commit points).
 */
#ifndef SUREL_WATCHALL_H
#define SUREL_WATCHALL_H

#include "cfg.h"
#include "err.h"

#define WATCHALL_DEBOUNCE_MAX 5
#define WATCHALL_STOP_GRACE 10
/* A sync found the account locked by another is tried again after this. */
#define WATCHALL_BUSY_RETRY 5

/* Run until a signal stops it; 0 then.  EX_CONFIG when no account has an
 * IMAP server, or an account's setup fails before any thread starts. */
int watchall_run(const struct cfg *cfg, struct err *err)
	__attribute__((warn_unused_result));

#endif
