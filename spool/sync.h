/*
 * sync: `spool sync`, two-way synchronisation of an IMAP account with its
 * Maildir.  This module owns the plan (which message goes where, the
 * three-way merge of flags against the last synced state, moves between
 * synced folders, the mass-deletion guard) and carrying it out in an order that survives
 * kill -9 at any point; what is known per folder pair lives in
 * spool/syncstate.h, the server is spoken to through struct
 * sync_remote_ops (spool/syncimap.h for IMAP; the unit tests have a fake).
 *
 * Files, below the account's maildir root:
 *   .surel-fetch/ACCOUNT.lock                one fetch, watch or sync at a time
 *   .surel-sync/ACCOUNT.FOLDER.state         syncstate of one folder pair
 *   .surel-sync/ACCOUNT.FOLDER.state.journal its changes since the state
 *
 * Commit points and their order, per folder:
 *   - a message from the server is stored by a batch (lib/batch.h) named
 *     "UNIQUE,R=UIDVALIDITY.UID.FOLDERHASH"; after the batch's commit the
 *     journal records uid <-> key.  A crash in between leaves a file the
 *     next run pairs by its tag with the server's UID: no duplicate.
 *   - before an APPEND the journal records it as pending (UIDNEXT before,
 *     size and digest of the message); after APPENDUID the record.  A
 *     pending append the next run finds among the server's new messages
 *     (by digest) is paired, else uploaded again: no duplicate, no loss.
 *   - flags are changed on the side that lags first, then journalled: a
 *     crash in between is found as "both sides changed the same way".
 *   - a message is removed from the server (UID STORE \Deleted, UID
 *     EXPUNGE) only when its record exists and its file is gone from a
 *     folder that was read in full twice; the record is dropped after the
 *     expunge.  A message gone from the server is unlinked locally, then
 *     its record dropped.  A record is kept until both sides lost the
 *     message, so a deletion is never undone by an upload.
 *   - a move here (surel's, same name; mutt's, new name): pending in the
 *     destination's state, then UID MOVE (or UID COPY + UID EXPUNGE),
 *     then the old record dropped and the new one put.  A move on the
 *     server: the file renamed, then the new record, then the old one
 *     dropped (sync.c, "moves found once every folder is read").
 *   - UIDNEXT and HIGHESTMODSEQ are saved only after a folder synced in
 *     full (syncstate_save()), so a run cut short asks again for what
 *     changed since the last complete one.
 */
#ifndef SUREL_SYNC_H
#define SUREL_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cfg.h"
#include "err.h"
#include "source.h"
#include "syncstamp.h"

#define SYNC_WUR __attribute__((warn_unused_result))

/* sync_max_delete when unset: removals per folder and side per run. */
#define SYNC_MAX_DELETE_DEFAULT 100

/* ---- the server side ---- */

struct sync_remote;

/* A folder of the server.  name is UTF-8 with '/' between levels (the
 * server's delimiter and modified UTF-7 are the remote's business); role
 * is the RFC 6154 special use without the backslash ("Sent", "Drafts",
 * "Trash", "Junk", "Archive") or NULL. */
struct sync_rfolder {
	char *name;
	char *role;
};

void sync_rfolders_free(struct sync_rfolder *f, size_t n);

/* What SELECT said.  modseq is HIGHESTMODSEQ (0: no CONDSTORE). */
struct sync_rinfo {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
	uint64_t modseq;
	int uidplus;  /* UID EXPUNGE and APPENDUID */
	int qresync;  /* list() can give changes since a MODSEQ, and an
		       * expunge raises HIGHESTMODSEQ (RFC 7162 3.2.10) */
};

/* A message of the selected folder; flags are Maildir letters among DFRST
 * (\Deleted is T). */
struct sync_ritem {
	uint32_t uid;
	char flags[8];
};

/* A message fetched, valid during the callback only; CRLF line ends. */
struct sync_rmsg {
	uint32_t uid;
	const char *data;
	size_t len;
};

typedef int sync_rmsg_fn(const struct sync_rmsg *m, void *ctx, struct err *err);

/* What tells a message moved by another client from a new one without
 * its body: its size with CRLF line ends (RFC822.SIZE) and Message-ID
 * (without angle brackets, as source_message_id() gives it). */
struct sync_rhead {
	uint32_t uid;
	uint64_t size;
	char *msgid;
};

void sync_rheads_free(struct sync_rhead *h, size_t n);

/* Every member returns 0 or -1 with err set (the classes of source.h). */
struct sync_remote_ops {
	/* Connect and log in as conf says; close() ends it. */
	int (*open)(const struct source_conf *conf, struct sync_remote **out,
		    struct err *err) SYNC_WUR;
	/* Every selectable folder; free with sync_rfolders_free(). */
	int (*folders)(struct sync_remote *r, struct sync_rfolder **out, size_t *n_out,
		       struct err *err) SYNC_WUR;
	/* Create folder name (as folders() names them). */
	int (*create)(struct sync_remote *r, const char *name, struct err *err) SYNC_WUR;
	/* Select folder name for reading and writing. */
	int (*select)(struct sync_remote *r, const char *name, struct sync_rinfo *info,
		      struct err *err) SYNC_WUR;
	/* The messages of the selected folder with their flags, ascending.
	 * With since non-zero (a HIGHESTMODSEQ of this UIDVALIDITY) a remote
	 * that can (QRESYNC) lists only messages changed since then and puts
	 * the UIDs expunged since into *vanished_out, with *delta_out 1;
	 * else everything, *delta_out 0 and no vanished.  Caller frees both
	 * arrays. */
	int (*list)(struct sync_remote *r, uint64_t since, struct sync_ritem **items_out,
		    size_t *n_out, uint32_t **vanished_out, size_t *nv_out, int *delta_out,
		    struct err *err) SYNC_WUR;
	/* Fetch the n messages (ascending uids), fn once per message sent;
	 * a message expunged meanwhile is not sent. */
	int (*fetch)(struct sync_remote *r, const uint32_t *uids, size_t n, sync_rmsg_fn *fn,
		     void *ctx, struct err *err) SYNC_WUR;
	/* Add the flags add and remove those in del (Maildir letters) on the
	 * n messages. */
	int (*store)(struct sync_remote *r, const uint32_t *uids, size_t n, const char *add,
		     const char *del, struct err *err) SYNC_WUR;
	/* Mark the n messages \Deleted and, with UIDPLUS, UID EXPUNGE them
	 * (*expunged_out 1); never a plain EXPUNGE (*expunged_out 0). */
	int (*expunge)(struct sync_remote *r, const uint32_t *uids, size_t n, int *expunged_out,
		       struct err *err) SYNC_WUR;
	/* APPEND len bytes (LF line ends; sent as CRLF) to folder name (the
	 * selected one) with flags and internal date date; *uid_out is the
	 * new UID (APPENDUID, else a search for its Message-ID), 0 when
	 * neither tells. */
	int (*append)(struct sync_remote *r, const char *name, const char *data, size_t len,
		      const char *flags, time_t date, uint32_t *uid_out, struct err *err) SYNC_WUR;
	/* Size and Message-ID of the n messages (ascending uids) of the
	 * selected folder, one UID FETCH; a message expunged meanwhile or
	 * without a Message-ID is left out.  Free with sync_rheads_free(). */
	int (*heads)(struct sync_remote *r, const uint32_t *uids, size_t n,
		     struct sync_rhead **out, size_t *n_out, struct err *err) SYNC_WUR;
	/* Move the n messages (ascending uids) of the selected folder to
	 * folder name with UID MOVE (RFC 6851), or without MOVE but with
	 * UIDPLUS by UID COPY, UID STORE \Deleted and UID EXPUNGE of the
	 * originals; newuids_out[i] is then the UID of uids[i] there
	 * (COPYUID), 0 where the server did not say.  A server with
	 * neither gets nothing sent and *moved_out 0. */
	int (*move)(struct sync_remote *r, const uint32_t *uids, size_t n, const char *name,
		    uint32_t *newuids_out, int *moved_out, struct err *err) SYNC_WUR;
	/* Optional (NULL: every folder is synced in full).  What the
	 * server says of each of the n folders without a sync of it, in as
	 * few round trips as it can: UIDVALIDITY, UIDNEXT, the message
	 * count and, with CONDSTORE, HIGHESTMODSEQ, else the digest of its
	 * UID and flags listing (syncstamp_digest); out[i].uidvalidity 0
	 * when folder i told nothing usable.  No folder counts as selected
	 * afterwards. */
	int (*peek)(struct sync_remote *r, char *const *names, size_t n,
		    struct syncstamp_remote *out, struct err *err) SYNC_WUR;
	/* Log out and free; NULL is fine. */
	void (*close)(struct sync_remote *r);
};

/* ---- the merge ---- */

/* The three-way merge of one message's synced flags (DFRST letters):
 * base is what both sides had at the last sync, local and remote what
 * they have now; each side's change wins for the letters it changed (a
 * letter both changed changed the same way: flags are binary).  out gets
 * the result in ASCII order. */
void sync_merge_flags(const char *base, const char *local, const char *remote, char out[8]);

/* 16 hex digits of the message at data with CR LF read as LF: the same for
 * a Maildir file and the server's copy of it. */
void sync_digest(const char *data, size_t len, char out[17], uint64_t *size_out);

/* The Message-ID of the message at data (NULL when it has none; caller
 * frees) and in *size_out its size with every line ending in CR LF: what
 * the server says of the same message (struct sync_rhead). */
char *sync_ident(const char *data, size_t len, uint64_t *size_out);

/* ---- running ---- */

struct sync_opts {
	char *const *folders;  /* --folder globs; none: sync_folders */
	size_t nfolders;
	int dry_run;           /* plan and report, change nothing */
	int allow_delete;      /* pass the mass-deletion guard */
	/* NULL: IMAP (spool/syncimap.h); the unit tests' fake server. */
	const struct sync_remote_ops *remote;
};

/* What a run did (or, dry, would do), summed over folders. */
struct sync_stats {
	size_t folders;
	size_t pulled, pushed;               /* new messages each way */
	size_t flags_local, flags_remote;    /* messages whose flags changed there */
	size_t removed_local, removed_remote;
	size_t moved;      /* moved between synced folders, either side */
	size_t conflicts;
	size_t guarded;    /* folders the mass-deletion guard held back */
	size_t left_marked; /* messages left \Deleted (no UIDPLUS) */
	double seconds;
};

/* Sync account a.  0 also when another fetch or sync holds the account
 * (*busy_out 1).  A folder the guard held back is not changed and makes
 * the run end with EX_DATAERR once the other folders are done; other
 * errors are those of spool fetch (fetch.h). */
int sync_account(const struct cfg_account *a, const struct sync_opts *o,
		 struct sync_stats *stats_out, int *busy_out, struct err *err) SYNC_WUR;

/* `spool sync`: the account called account (NULL: the default), or with
 * all every account with an IMAP `fetch` server; prints a summary line
 * per account with -v (log level info), or with json one JSON object for
 * the run on stdout. */
int sync_run(const struct cfg *cfg, const char *account, int all, int json,
	     const struct sync_opts *o, struct err *err) SYNC_WUR;

#endif
