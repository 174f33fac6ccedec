/*
 * mbox: reading mbox files (one file, messages separated by "From " lines)
 * as mboxrd, for the MUA's mailbox.h, and appending a message to one (the
 * MUA's save to a file, save.h).  surel never rewrites an mbox, and this
 * module does not parse messages (lib/msg.h does).  Maildir folders are
 * lib/maildir.h's.
 *
 * Separator rule: the first line of the file, and a line "From SENDER
 * DATE" (an asctime DATE, as every mbox writer puts there: mutt's rule)
 * that follows an empty line ("\n" or "\r\n"), start a message.  A "From "
 * line inside a paragraph, or one without such a date, stays in the body,
 * which keeps sloppy unescaped writers (and Content-Length mboxes, whose
 * bodies are not escaped) readable.
 * Escaping (mboxrd): on reading, every line matching ^>+From  loses one '>'
 * (writers add one to every line matching ^>*From ).  mboxo files (which
 * escape only "From ") read the same way, except that a body line that
 * really was ">From " in an mboxo file comes back as "From " (mboxo cannot
 * tell the two apart).
 * The caller keeps ownership of what it passes in.
 */
#ifndef SUREL_MBOX_H
#define SUREL_MBOX_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define MBOX_WUR __attribute__((warn_unused_result))

struct mbox;

/* Read the mbox at path whole (under a shared fcntl lock, so another
 * program's append in progress is not seen half done; waiting for it gives
 * up after 30 seconds with EX_TEMPFAIL) and split it into messages.  Returns
 * NULL with err set on failure: EX_NOINPUT when it cannot be opened,
 * EX_DATAERR when it is not empty and does not start with "From ".  The
 * memory used is about the file's size.  Free with mbox_free. */
struct mbox *mbox_open(const char *path, struct err *err) MBOX_WUR;
void mbox_free(struct mbox *mb);

size_t mbox_count(const struct mbox *mb);

/* Message i (i < mbox_count) unescaped, without its separator line and
 * without the blank line mbox puts before the next separator (a last
 * message with no blank line at the end of the file keeps its bytes).
 * Returns a new NUL-terminated copy (caller frees); *len_out (may be NULL)
 * gets its length, which counts embedded NULs. */
char *mbox_message(const struct mbox *mb, size_t i, size_t *len_out);

/* The envelope sender from message i's separator line ("" when the line
 * has none); borrowed, valid until mbox_free. */
const char *mbox_sender(const struct mbox *mb, size_t i);
/* The date from message i's separator line (asctime form, read as UTC, a
 * trailing zone or year variant ignored), or 0 when it cannot be read. */
time_t mbox_date(const struct mbox *mb, size_t i);

/* Append to out the len bytes at data as one mboxrd message: a separator
 * "From SENDER DATE" (sender "" is MAILER-DAEMON, date -1 now), every line
 * matching ^>*From  escaped with one more '>', a final newline when
 * missing, and the blank line that ends a message. */
void mbox_format(struct buf *out, const char *data, size_t len, const char *sender,
		 time_t date);
/* Append the out_len bytes at out (mbox_format's) to the mbox at path,
 * creating it (0600) when missing, under the fcntl write lock other mail
 * programs take (given up after 30 seconds: EX_TEMPFAIL), then fsync.  A
 * file that is neither empty nor an mbox is refused (EX_DATAERR); a failed
 * write is cut off again, so the file keeps its old contents. */
int mbox_append(const char *path, const char *out, size_t out_len, struct err *err) MBOX_WUR;

/* Whether path is a regular file that is empty or starts with "From ". */
int mbox_is(const char *path);

#endif
