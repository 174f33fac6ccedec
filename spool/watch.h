/*
 * watch: `spool watch`: keep one account's mail fetched as it arrives.  It
 * holds the account's fetch lock for its whole life (a `spool fetch` of
 * the account meanwhile exits 0 at once), fetches what is new on start,
 * then waits with IMAP IDLE (RFC 2177) on INBOX and fetches as soon as the
 * server reports new mail, through the same batches and state as `spool
 * fetch` (spool/fetch.h): nothing is fetched twice, nothing is lost.
 * Connecting, batches and state are fetch.c's; this module owns the
 * waiting: IDLE renewal, polling where there is no IDLE, reconnecting with
 * back-off, and stopping cleanly on SIGTERM, SIGINT or SIGHUP.
 */
#ifndef SUREL_WATCH_H
#define SUREL_WATCH_H

#include "cfg.h"
#include "err.h"

/* IDLE is ended and started again after this many seconds: servers may
 * drop a client idle for 30 minutes (RFC 2177).  SPOOL_IDLE_SECONDS in the
 * environment overrides it (tests). */
#define WATCH_IDLE_SECONDS (25 * 60)
/* Seconds between fetches for POP3 and for IMAP servers without IDLE,
 * unless the account sets poll_interval (SPOOL_POLL_SECONDS overrides). */
#define WATCH_POLL_SECONDS (5 * 60)
/* Reconnecting waits 1 s, then twice as long each time, up to this. */
#define WATCH_BACKOFF_MAX (5 * 60)

/* The seconds between IDLE renewals (*idle_secs) and between polls
 * (*poll_secs) for account a: WATCH_IDLE_SECONDS, and its poll_interval
 * else WATCH_POLL_SECONDS; a positive SPOOL_IDLE_SECONDS or
 * SPOOL_POLL_SECONDS in the environment overrides them (tests). */
void watch_intervals(const struct cfg_account *a, long *idle_secs, long *poll_secs);

/* Watch the account called account (NULL: the default one) until a
 * signal asks it to stop; returns 0 then, and also at once when another
 * fetch of the account holds the lock.  Temporary failures as err_is_temp()
 * defines them (connection refused or lost, a reply not understood) are
 * logged and retried with back-off; anything else (a refused login, a
 * certificate that does not verify, a config error, a local write error
 * that waiting does not cure) ends it with err set. */
int watch_run(const struct cfg *cfg, const char *account, struct err *err)
	__attribute__((warn_unused_result));

#endif
