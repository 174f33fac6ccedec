/*
 * index: the summary of every message of a Maildir folder (key, flags, size,
 * date, sender, recipients, subject, message-id, references), as `spool ls`
 * and the MUA's index screen need it, kept in a cache below
 * $XDG_CACHE_HOME/surel/ so that opening a folder again reads no message.
 * The cache is only ever a copy: validated per file by name (and size), a
 * foreign or corrupt one is discarded and rebuilt, and it is written
 * atomically (its format: index_cache.h).  Parsing is msg.h's job, what a
 * summary holds summary.h's, file operations maildir.h's.
 *
 * Ownership: strings in struct index_msg are borrowed from the index and
 * valid until index_free() or the next index_refresh().
 *
 * index_open() and index_refresh() may read header blocks in a second
 * thread (all signals blocked) while they run; it has ended when they
 * return.  A message file that cannot be read keeps its line with what its
 * name says, is reported with log_warnx(), and is tried again next time.
 */
#ifndef SUREL_INDEX_H
#define SUREL_INDEX_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

#define INDEX_WUR __attribute__((warn_unused_result))

struct index;

/* One message; the fields are the API. */
struct index_msg {
	const char *key;          /* Maildir key (file name without ":2,...") */
	const char *path;         /* relative to the folder: "new/..." or "cur/..." */
	char flags[16];           /* Maildir flags, ASCII order */
	int is_new;               /* in new/ */
	int twin;                 /* another file has this key (in the other of new/ and cur/) */
	time_t date;              /* Date header, -1 when absent or unreadable */
	off_t size;               /* file size in bytes */
	const char *from;         /* display name of the first From, else its address, else "" */
	const char *from_addr;    /* address of the first From, "" if none */
	const char *to;           /* first To: display name else address, "" if none */
	const char *subject;      /* decoded UTF-8, "" when absent */
	const char *message_id;   /* without <>, NULL when absent */
	const char *in_reply_to;  /* first message-id in In-Reply-To, without <>, or NULL */
	const char *references;   /* message-ids of References, without <>, space-separated, or NULL */
	const char *to_all;       /* every To mailbox, lines "addr[TAB name]" (summary.h), or NULL */
	const char *cc_all;       /* every Cc mailbox, the same, or NULL */
	const char *list;         /* List-Post address, else List-Id, else NULL */
};

enum index_flags {
	INDEX_NO_CACHE = 1u << 0,  /* neither read nor write the cache */
};

/* Summarise folder dir (a Maildir), using and updating the cache.  Messages
 * come sorted by date, oldest first, ties by key.  Caller frees with
 * index_free(). */
struct index *index_open(const char *dir, unsigned flags, struct err *err) INDEX_WUR;
void index_free(struct index *ix);

size_t index_count(const struct index *ix);
const struct index_msg *index_at(const struct index *ix, size_t i);

/* Change the flags of message i (renames the file, updates the cache). */
int index_set_flags(struct index *ix, size_t i, const char *flags, struct err *err) INDEX_WUR;

/* Look at the folder again: new files are parsed, vanished ones dropped,
 * renamed ones (flag changes by other programs) matched by key.  Indexes of
 * messages may change; borrowed strings of the old state are invalid. */
int index_refresh(struct index *ix, struct err *err) INDEX_WUR;

#endif
