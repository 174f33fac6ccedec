/*
 * mailbox: the folder the index screen shows, whether a Maildir (through
 * spool/index.h and its cache) or an mbox file (read whole with
 * mbox.h, read-only: flag changes live in memory, moving and
 * deleting are refused).  One struct index_msg per message, sorted by
 * date, for either.  Drawing is the screens'; parsing msg.h's.
 *
 * Ownership: the caller keeps what it passes in; mailbox_at() results are
 * borrowed until mailbox_free() or mailbox_refresh().
 */
#ifndef SUREL_MAILBOX_H
#define SUREL_MAILBOX_H

#include <stddef.h>

#include "err.h"
#include "index.h"

#define MAILBOX_WUR __attribute__((warn_unused_result))

struct mailbox;

/* Open the Maildir or mbox at path.  Neither is EX_NOINPUT. */
struct mailbox *mailbox_open(const char *path, struct err *err) MAILBOX_WUR;
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
