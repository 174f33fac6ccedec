/*
 * fetch: `spool fetch`: pull new mail of one account from its IMAP or POP3
 * server (spool/source.h) into the account's Maildir.  This module owns the
 * per-account lock, the batches (lib/batch.h), the state files
 * (spool/fetchstate.h), de-duplication after a crash or a UIDVALIDITY
 * change, removal from the server for keep = no, and progress output.
 *
 * Files, below the account's maildir root:
 *   .surel-fetch/ACCOUNT.lock          one fetch per account (flock)
 *   .surel-fetch/ACCOUNT.FOLDER.state  fetchstate of one server folder
 * (ACCOUNT and FOLDER, the UTF-8 folder name, %-encoded down to
 * [A-Za-z0-9_-]).  State lives
 * beside the mail it describes: remove the Maildir and the next fetch
 * starts afresh, instead of skipping everything.
 *
 * Order per batch (the commit point is the state write):
 *   1. each message, as the source delivers it (IMAP: a chunk per UID
 *      FETCH; POP3: pipelined RETRs), goes into tmp/ as "UNIQUE,R=TAG";
 *   2. after FETCH_BATCH_MSGS messages or FETCH_BATCH_BYTES bytes (or at
 *      the end, or when the connection fails): fdatasync them, rename
 *      into new/ (cur/ with :2,FLAGS), fsync the directories;
 *   3. record them in the state file (afile_write).
 * TAG is "UIDVALIDITY.UID" for IMAP and "p" + a digest of the UIDL for
 * POP3: what the state keeps and the tags follow how the source names
 * messages (enum source_naming in spool/source.h), not the protocol.  A crash between 2 and 3 leaves stored messages the state does not
 * know: before fetching, the folder's names are scanned for tags, and
 * those messages count as stored.  Hence no loss and no duplicates.  When
 * UIDVALIDITY changes, messages whose Message-ID and size match a local
 * file of the folder are skipped (messages without Message-ID are fetched
 * again: a duplicate is better than a loss).  keep = no removes from the
 * server only what the state records as stored, after it was stored.
 */
#ifndef SUREL_FETCH_H
#define SUREL_FETCH_H

#include <signal.h>
#include <stddef.h>

#include "cfg.h"
#include "err.h"
#include "source.h"

#define FETCH_BATCH_MSGS 64
#define FETCH_BATCH_BYTES (4u * 1024 * 1024)

struct fetch_opts {
	const char *folder;  /* only this server folder (else fetch_folders) */
	int progress;        /* draw a progress line on stderr */
};

/* What a fetch did, summed over folders. */
struct fetch_stats {
	size_t messages;
	size_t bytes;     /* as stored (LF line ends) */
	size_t removed;   /* from the server (keep = no) */
	double seconds;
};

/* Fetch account a.  Returns 0, also when another fetch of the account is
 * running (then *stats_out is zero and *busy_out, when not NULL, is 1).
 * On failure err says why: EX_CONFIG for settings, EX_TEMPFAIL when the
 * server is unreachable or the connection broke, EX_NOPERM when the login
 * was refused, EX_UNAVAILABLE when the certificate does not verify.
 * Messages stored before a failure stay stored and recorded. */
int fetch_account(const struct cfg_account *a, const struct fetch_opts *o,
		  struct fetch_stats *stats_out, int *busy_out, struct err *err)
	__attribute__((warn_unused_result));

/*
 * Sessions, for `spool watch` (spool/watch.h): the lock held for as long as
 * the session lives, a connection that may be dropped and made again, and
 * fetches over it.  fetch_account() is open, connect, pull, disconnect,
 * free.  Errors are those of fetch_account(), prefixed with the account.
 */
struct fetch_session;

/* Read the account's settings and rules and take its lock; no connection
 * yet.  When another fetch holds the lock, returns 0 with *out NULL and
 * *busy_out 1.  Free with fetch_session_free(). */
int fetch_session_open(const struct cfg_account *a, const struct fetch_opts *o,
		       struct fetch_session **out, int *busy_out, struct err *err)
	__attribute__((warn_unused_result));
/* Ask the session to stop between batches once *stop is non-zero (set by
 * a signal handler): a pull then fails with "interrupted" after its last
 * batch was committed.  stop is borrowed for the session's lifetime. */
void fetch_session_set_stop(struct fetch_session *fs, const volatile sig_atomic_t *stop);
/* Speak to the server through ops instead of the source the account's
 * `fetch` URL chose (its host, port and login settings stay): the unit
 * tests' sources without a server.  Call before fetch_session_connect(). */
void fetch_session_set_source(struct fetch_session *fs, const struct source_ops *ops);
/* Whether the account's server can wait for mail (IMAP IDLE); else it is
 * polled (POP3). */
int fetch_session_is_imap(const struct fetch_session *fs);
/* Connect and log in, dropping any previous connection first. */
int fetch_session_connect(struct fetch_session *fs, struct err *err)
	__attribute__((warn_unused_result));
/* Fetch what is new in server folder folder, or with folder NULL in every
 * folder `spool fetch` would (--folder, else fetch_folders), exactly as
 * fetch_account() does; *stats_out says what this call did. */
int fetch_session_pull(struct fetch_session *fs, const char *folder, struct fetch_stats *stats_out,
		       struct err *err) __attribute__((warn_unused_result));
/* Select folder (unless it is selected already) and wait there as the
 * source's idle() says (spool/source.h); *ev_out is SOURCE_EV_UNSUPPORTED,
 * with nothing sent, when the protocol or server cannot idle. */
int fetch_session_idle(struct fetch_session *fs, const char *folder, int wakefd, long seconds,
		       enum source_event *ev_out, struct err *err)
	__attribute__((warn_unused_result));
/* Log out (POP3: QUIT, which commits deletions, then the state forgets
 * them) and drop the connection; the lock stays held.  No-op when not
 * connected. */
int fetch_session_disconnect(struct fetch_session *fs, struct err *err)
	__attribute__((warn_unused_result));
/* Drop the connection without logging out, release the lock, free; NULL
 * is fine. */
void fetch_session_free(struct fetch_session *fs);

/* The account's server as `spool fetch` reads it from the `fetch` URL and
 * the login and TLS keys, for the other users of a source (spool/sync.h).
 * Release with fetch_server_release(); the strings of conf are borrowed
 * from the account (a) or owned by sv (host, oauth2). */
struct fetch_server {
	struct source_conf conf;
	const struct source_ops *ops;
	char *host;
};
int fetch_server_init(const struct cfg_account *a, struct fetch_server *sv, struct err *err)
	__attribute__((warn_unused_result));
void fetch_server_release(struct fetch_server *sv);
/* Take the account's lock (.surel-fetch/ACCOUNT.lock): one fetch, watch or
 * sync of an account at a time.  Held elsewhere: 0 with *busy_out 1 and
 * *fd_out -1.  Release the fd with afile_unlock(). */
int fetch_lock(const struct cfg_account *a, int *fd_out, int *busy_out, struct err *err)
	__attribute__((warn_unused_result));
/* s with everything but [A-Za-z0-9_-] %-encoded: one safe file name part
 * for any account or folder name (caller frees). */
char *fetch_name_enc(const char *s);

/* `spool fetch`: fetch the account called account (NULL: the default
 * one), or with all every account that has a `fetch` server, going on
 * after one fails (its error is logged, the last one returned).  With -v
 * (log level info) one summary line per account. */
int fetch_run(const struct cfg *cfg, const char *account, int all, const struct fetch_opts *o,
	      struct err *err) __attribute__((warn_unused_result));

#endif
