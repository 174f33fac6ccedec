/*
 * mailbox: the folder the index screen shows, whether a Maildir (through
 * spool/index.h and its cache), an mbox file (read whole with
 * mbox.h, read-only: flag changes live in memory, moving and
 * deleting are refused), or the results of a search across every folder
 * of an account (spool/search.h), each message in its own Maildir.  One struct index_msg per message, sorted by
 * date, for either.  Drawing is the screens'; parsing msg.h's.
 *
 * Ownership: the caller keeps what it passes in; mailbox_at() results are
 * borrowed until mailbox_free() or mailbox_refresh().
 */
#ifndef SUREL_MAILBOX_H
#define SUREL_MAILBOX_H

#include <stddef.h>

#include "cfg.h"
#include "err.h"
#include "index.h"

#define MAILBOX_WUR __attribute__((warn_unused_result))

struct mailbox;

/* Open the Maildir or mbox at path.  Neither is EX_NOINPUT. */
struct mailbox *mailbox_open(const char *path, struct err *err) MAILBOX_WUR;
/* A folder of the messages of every folder of the account acct (may be
 * NULL; borrowed, it outlives the mailbox) whose Maildir root is root
 * that match query (spool/search.h; EX_USAGE when it is not
 * one), but those of the folder named skip (may be NULL: the trash, so
 * that what is deleted from the results leaves them), through the
 * account's search index, brought up to date first (progress may be
 * NULL) under the background indexer's lock (lib/idxhint.h), which
 * starts that indexer for acct when a writer came meanwhile.  Reading,
 * flags, moving and deleting work on
 * each message's own file; mailbox_refresh() asks the index again.  Its
 * mailbox_path() is "". */
struct mailbox *mailbox_open_search(const struct cfg_account *acct, const char *root,
				    const char *query, const char *skip,
				    void (*progress)(void *arg, size_t done, size_t total),
				    void *arg, struct err *err) MAILBOX_WUR;
void mailbox_free(struct mailbox *mb);

/* The path given to mailbox_open (borrowed). */
const char *mailbox_path(const struct mailbox *mb);
/* Whether this is an mbox, which surel does not change on disk. */
int mailbox_readonly(const struct mailbox *mb);

size_t mailbox_count(const struct mailbox *mb);
const struct index_msg *mailbox_at(const struct mailbox *mb, size_t i);

/* The raw bytes of message i, NUL-terminated (caller frees *data_out). */
int mailbox_read(struct mailbox *mb, size_t i, char **data_out, size_t *len_out,
		 struct err *err) MAILBOX_WUR;
/* A read-only descriptor on the file of Maildir message i (caller
 * closes), for reading it in pieces; EX_UNAVAILABLE for an mbox (use
 * mailbox_read), EX_NOINPUT when it is gone. */
int mailbox_open_msg(struct mailbox *mb, size_t i, struct err *err) MAILBOX_WUR;
/* Set the Maildir flags of message i (for an mbox: in memory only). */
int mailbox_set_flags(struct mailbox *mb, size_t i, const char *flags,
		      struct err *err) MAILBOX_WUR;
/* Move message i into the Maildir dst, or (dst NULL) unlink it; when dst
 * has a file of its name already, it gets a new name there.  Indexes
 * stay valid until mailbox_refresh(), which the caller runs after a batch
 * of these.  EX_NOPERM for an mbox. */
int mailbox_remove(struct mailbox *mb, size_t i, const char *dst, struct err *err) MAILBOX_WUR;
/* Look at the folder again (new mail, changes by other programs). */
int mailbox_refresh(struct mailbox *mb, struct err *err) MAILBOX_WUR;

#endif
