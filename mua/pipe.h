/*
 * pipe: the index's | (mutt's pipe-message): a shell command gets a
 * message on its standard input, raw (the bytes as stored, for git am or
 * a spam reporter) or decoded (the main headers and the text as the pager
 * shows it), with the terminal handed over so its output shows and an
 * interactive program (urlscan) works; then a key brings the index back.
 * Choosing messages and the command is browser.c's; several messages are
 * given as one mbox (mbox.h's mbox_format), as git am expects.
 */
#ifndef SUREL_PIPE_H
#define SUREL_PIPE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Append to out the decoded form of the len bytes of a raw message: its
 * Date, From, To, Cc and Subject decoded, a blank line, its text. */
void pipe_decode(const char *raw, size_t len, struct buf *out);

/* Run /bin/sh -c cmd with the len bytes at data on its standard input
 * (a temporary file, already unlinked, so a command that reads nothing
 * cannot block surel), the terminal handed over; afterwards the exit
 * status and "press a key" are shown and a key is read.  *status_out gets
 * the wait status.  Fails (nothing run) when the input cannot be written
 * or the command cannot be started. */
int pipe_run(const char *cmd, const char *data, size_t len, int *status_out,
	     struct err *err) __attribute__((warn_unused_result));

#endif
