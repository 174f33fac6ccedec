/*
 * folderlist: the folder browser of the index (y, or ? at the "Open
 * folder:" prompt, as mutt's c?): every folder of an account's Maildir
 * root with its message and unread counts, taken from directory listings
 * alone (new/ is unread; in cur/ a file without S in its flags), so no
 * message is read.  Enter picks a folder; opening it is the index's job
 * (browser.h), finding folders maildir.h's.
 */
#ifndef SUREL_FOLDERLIST_H
#define SUREL_FOLDERLIST_H

#include <stddef.h>

/* Count the messages of the Maildir at dir and the unread ones among
 * them; missing or unreadable subdirectories count as empty. */
void folderlist_count(const char *dir, size_t *total_out, size_t *unread_out);

/* Show the folders under root, the cursor on current (may be NULL), until
 * the user picks one (Enter: its name, the caller frees) or goes back (q,
 * Esc: NULL).  Errors go to the message line.  The caller redraws its
 * screen afterwards (the redraw function is left unset). */
char *folderlist_pick(const char *root, const char *current);

#endif
