/*
 * search_cli: the `spool search` and `spool index` commands over the
 * search index (search.h): argument checks, progress on a terminal and
 * the output (lines, or the JSON of the contract in doc/DESIGN.md).
 * Account and folder resolution stay in main.c.
 */
#ifndef SUREL_SEARCH_CLI_H
#define SUREL_SEARCH_CLI_H

#include <stddef.h>

#include "cfg.h"
#include "err.h"

/* Results `spool search` prints without --limit. */
#define SEARCH_CLI_LIMIT 100

/* `spool search`: root is account a's Maildir root; folder NULL for
 * all; limit 0 for no limit; no_refresh: the index as it is, which must
 * exist (EX_UNAVAILABLE).  The refresh holds the background indexer's
 * lock when it is free, and starts that indexer for a writer that came
 * meanwhile (lib/idxhint.h). */
int search_cli_search(const struct cfg_account *a, const char *root, const char *folder,
		      int json, size_t limit, const char *query, int no_refresh, struct err *err)
	__attribute__((warn_unused_result));

/* `spool index`: refresh (or rebuild) with progress on stderr when it is a
 * terminal, then one line saying what the index holds; the lock as
 * search_cli_search() holds it. */
int search_cli_index(const struct cfg_account *a, const char *root, int rebuild,
		     struct err *err) __attribute__((warn_unused_result));

/* `spool index --background`, what the writers of mail start
 * (lib/idxhint.h): at nice 10, nothing when root has no index yet, else
 * refreshes as the protocol of idxhint_serve() asks; lockfd is the lock
 * a writer handed over, or -1.  Quiet: errors are err (for syslog). */
int search_cli_background(const char *root, int lockfd, struct err *err)
	__attribute__((warn_unused_result));

/* The --limit argument: a count, 0 for all; -1 with EX_USAGE. */
int search_cli_limit(const char *arg, size_t *out, struct err *err)
	__attribute__((warn_unused_result));

#endif
