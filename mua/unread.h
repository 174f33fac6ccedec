/*
 * unread: the next folder of an account with unread mail, for the
 * index's next-unread-mailbox (and Tab past the last unread message), as
 * mutt's next-unread-mailbox.  Folders come in maildir_folders() order
 * (INBOX first, then by name), counted from directory listings alone as
 * the folder list counts them (folderlist_count()).  Opening the folder
 * is the index's.
 */
#ifndef SUREL_UNREAD_H
#define SUREL_UNREAD_H

#include <stddef.h>

/* The first folder after current (a folder name of root, or anything
 * else: then from the first) that holds unread mail, wrapping round and
 * leaving current out; its name (caller frees) with its unread count in
 * *unread_out.  NULL when there is none or root cannot be read. */
char *unread_next_folder(const char *root, const char *current, size_t *unread_out);

#endif
