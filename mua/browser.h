/*
 * browser: the index screen, surel's main loop: one line per message of a
 * folder (flags, date, sender, size, thread tree, subject), moving,
 * incremental search, limiting by a pattern (pattern.h), threads
 * (thread.h), marks for deletion and expunge, flags, moving to and
 * changing folders, and the doors to the pager, the compose screen and the
 * queue view.  The summary comes from mailbox.h, so a big folder opens
 * without reading its messages; per keystroke it does no work beyond the
 * visible rows, except a search, which is one linear scan.
 */
#ifndef SUREL_BROWSER_H
#define SUREL_BROWSER_H

#include "cfg.h"
#include "err.h"

struct browser_opts {
	const struct cfg *cfg;              /* NULL when run without a config */
	const struct cfg_account *account;  /* NULL likewise */
	const char *folder;                 /* the folder's path (Maildir or mbox) */
	const char *name;                   /* its name for the status bar */
	const char *keys;                   /* keys to push once drawn (-e), or NULL */
};

/* Open the folder, take over the terminal and run until the user quits.
 * Fails (before the screen is touched) when the folder cannot be opened
 * or there is no terminal; borrowed options must outlive the call. */
int browser_run(const struct browser_opts *o, struct err *err)
	__attribute__((warn_unused_result));

#endif
