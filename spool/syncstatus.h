/*
 * syncstatus: the sync status record of an account, for people and for
 * surel's status line: when its last sync succeeded, when the last one
 * failed and why, and whether one is running now.  One small file per
 * account, $XDG_STATE_HOME/surel/sync/ACCOUNT.status (ACCOUNT as
 * fetch_name_enc() writes it), replaced whole with afile_write() so a
 * reader never sees half a record:
 *
 *     version 1
 *     running 0
 *     pid 4242
 *     started 1700000000
 *     success 1700000000
 *     failure 1699990000
 *     reason connection to imap.example.org refused
 *
 * Times are seconds since the epoch, 0 for never.  running 1 with a pid
 * that is gone means a sync was killed: readers treat it as not running.
 * Writers are `spool sync` and `spool watch --all` through sync_account()
 * (spool/sync.h), under the account's lock, so there is one writer at a
 * time; a record that cannot be written is logged, never a failed sync.
 */
#ifndef SUREL_SYNCSTATUS_H
#define SUREL_SYNCSTATUS_H

#include <sys/types.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

#define SYNCSTATUS_REASON_MAX 200

struct syncstatus {
	int running;
	pid_t pid;
	time_t started;
	time_t success;
	time_t failure;
	char reason[SYNCSTATUS_REASON_MAX];  /* sanitised, one line */
};

/* The record's path for account (caller frees). */
char *syncstatus_path(const char *account);

/* Read account's record into st; a missing record is all zeros (0). */
int syncstatus_read(const char *account, struct syncstatus *st, struct err *err)
	__attribute__((warn_unused_result));

/* A sync of account starts in this process. */
void syncstatus_begin(const char *account);

/* The sync begun ends: ok, or failed for reason (any text; sanitised and
 * cut to one line here). */
void syncstatus_end(const char *account, int ok, const char *reason);

/* One line for a status bar at time now: "syncing", "synced 2 min ago",
 * "sync failed 1 min ago: REASON" (when the last failure is newer than the
 * last success), "" when the account never synced. */
void syncstatus_text(const struct syncstatus *st, time_t now, char *out, size_t size);

#endif
