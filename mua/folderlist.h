/*
 * folderlist: the folder browser of the index (y, or ? at the "Open
 * folder:" prompt, as mutt's c?): every folder of an account's Maildir
 * root with its message and unread counts, taken from directory listings
 * alone (new/ is unread; in cur/ a file without S in its flags), so no
 * message is read; also the same over every account, and the list of
 * accounts with their INBOX's counts (switching accounts).  Enter picks a
 * row; opening it is the index's job (browser.h), finding folders
 * maildir.h's.
 */
#ifndef SUREL_FOLDERLIST_H
#define SUREL_FOLDERLIST_H

#include <stddef.h>

#include "cfg.h"

/* Count the messages of the Maildir at dir and the unread ones among
 * them; missing or unreadable subdirectories count as empty. */
void folderlist_count(const char *dir, size_t *total_out, size_t *unread_out);

/* Show the folders under root, the cursor on current (may be NULL), until
 * the user picks one (Enter: its name, the caller frees) or goes back (q,
 * Esc: NULL).  Errors go to the message line.  The caller redraws its
 * screen afterwards (the redraw function is left unset). */
char *folderlist_pick(const char *root, const char *current);

/* The same over every account of cfg: rows "ACCOUNT/FOLDER", the cursor
 * on current of acct.  Returns the folder name (caller frees) and its
 * account in *acct_out, or NULL (and *acct_out NULL). */
char *folderlist_pick_all(const struct cfg *cfg, const struct cfg_account *acct,
			  const char *current, const struct cfg_account **acct_out);

/* The accounts of cfg with their INBOX's message and unread counts, the
 * cursor on current; the account picked, or NULL. */
const struct cfg_account *folderlist_pick_account(const struct cfg *cfg,
						  const struct cfg_account *current);

#endif
