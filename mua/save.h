/*
 * save: where the index's s (save/move) and C (copy) put a message: a
 * Maildir folder, an mbox file (appended, mbox.h) or a single .eml file,
 * told apart by what is at the path and by its name.  Reading the message
 * and marking or removing the original are browser.c's; the Maildir
 * writes are lib/maildir.h's.
 */
#ifndef SUREL_SAVE_H
#define SUREL_SAVE_H

#include <stddef.h>
#include <time.h>

#include "err.h"

enum save_kind {
	SAVE_MAILDIR,  /* an existing directory, or a new name without a suffix */
	SAVE_MBOX,     /* an existing file, or a new name ending in .mbox */
	SAVE_EML,      /* a new name ending in .eml: one message, raw */
};

/* What the destination path is (the file system is looked at). */
enum save_kind save_kind_of(const char *path);

/* Store the len bytes of a message at path, of kind: a Maildir gets it
 * with flags (NULL: into new/); an mbox has it appended with sender and
 * date on the separator line; an .eml file is created whole with
 * afile_write() and never replaces a file (EX_CANTCREAT when one exists). */
int save_store(enum save_kind kind, const char *path, const char *data, size_t len,
	       const char *flags, const char *sender, time_t date, struct err *err)
	__attribute__((warn_unused_result));

#endif
