/*
 * maildir: Maildir folders on disk (the Maildir spec plus the ":2," info
 * suffix for flags).  Finding folders under an account root, listing,
 * reading, delivering atomically, changing flags and moving.  Parsing the
 * messages is msg.h's job; mbox files are read by the MUA (mua/mbox.h).
 *
 * An account root holds folders either as plain Maildirs below it (root/INBOX,
 * root/Sent, nested root/a/b) or Maildir++ style (root itself is INBOX,
 * root/.Sent, root/.a.b); both are found.
 *
 * Twins: two files may carry one key (a copy restored by hand, another
 * client's crash, a sync tool's mistake), in new/ and cur/ or in cur/ with
 * different flags.  They are two messages until shown otherwise, and a
 * rename here never replaces a file.  When a flag change or a move would
 * give a file the name another file holds already, the two are compared:
 * the same bytes (or one file under two names) make the moving file a
 * redundant copy, which is removed, and the entry then names the file that
 * stayed; other bytes make it a message of its own, which takes a fresh key
 * (afile_unique_name() + ",S=SIZE", the info part kept), and the entry's key
 * changes with it.  Either way no message is lost and the call succeeds.
 */
#ifndef SUREL_MAILDIR_H
#define SUREL_MAILDIR_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

#define MAILDIR_WUR __attribute__((warn_unused_result))

/* One message file.  All strings are owned by the entry; entries filled
 * here keep key in the same allocation as path (one malloc per entry), so
 * release them only with maildir_entry_release/maildir_entries_free (which
 * also free an entry built by hand with separately allocated strings). */
struct maildir_entry {
	char *key;      /* unique part of the name, without ":2,..." */
	char *path;     /* relative to the folder: "new/KEY" or "cur/KEY:2,FS" */
	char flags[16]; /* Maildir flags in ASCII order ("FRS"); "" for none */
	int is_new;     /* found in new/ */
	time_t mtime;   /* 0 unless listed with MAILDIR_STAT */
	off_t size;     /* -1 unless listed with MAILDIR_STAT (or S= in the name) */
};

enum maildir_list_flags {
	MAILDIR_STAT = 1u << 0,  /* fill mtime and size (costs a stat per file) */
};

/* Whether dir has cur/, new/ and tmp/. */
int maildir_is(const char *dir);
/* Create dir and its cur/, new/, tmp/ (and missing parents), mode 0700. */
int maildir_create(const char *dir, struct err *err) MAILDIR_WUR;

/* Folder names under root, sorted with INBOX first; nested folders are
 * "a/b".  *names_out is an array of n strings; free with maildir_names_free.
 * Plain folders are found at any depth (up to 16) below root, through
 * directories that are not Maildirs themselves; dot directories are skipped
 * there, and only root's ".a.b" entries count as Maildir++ folders.  A
 * symbolic link to a Maildir is a folder but is not descended into.  An
 * unreadable root is EX_NOINPUT; unreadable directories below it are
 * skipped. */
int maildir_folders(const char *root, char ***names_out, size_t *n_out,
		    struct err *err) MAILDIR_WUR;
/* The same as strv_free_v(): the array is a strv's. */
void maildir_names_free(char **names, size_t n);
/* Whether name can be a folder of an account: relative, no empty, "." or
 * ".." component (so it stays below the account's root), no leading dot
 * (Maildir++ directories are named by maildir_folder_path()), no control
 * characters.  Filing rules and folders typed in the MUA are checked so. */
int maildir_name_ok(const char *name);
/* The directory of folder name under root, whichever layout holds it
 * (caller frees); for a folder that does not exist yet, the layout of the
 * tree: Maildir++ (root/.NAME, '/' as '.') when root is itself a Maildir,
 * else the plain one (root/NAME). */
char *maildir_folder_path(const char *root, const char *name);

/* Every message in new/ and cur/ of dir (order unspecified).  Free with
 * maildir_entries_free.  Without MAILDIR_STAT this is readdir only: names
 * starting with '.' and d_type directories are skipped, size comes from
 * ",S=" in the name when present.  A message moved from new/ to cur/
 * during the scan may be listed twice (never missed).  *out may be NULL
 * when n is 0. */
int maildir_list(const char *dir, unsigned flags, struct maildir_entry **out,
		 size_t *n_out, struct err *err) MAILDIR_WUR;
void maildir_entries_free(struct maildir_entry *e, size_t n);
/* The readdir under maildir_list(), for listings of their own: fn(arg,
 * dfd, name) for every message file of dir/sub ("new" or "cur"), dfd being
 * the open directory (for fstatat).  Names starting with '.' and d_type
 * directories are skipped.  EX_NOINPUT when the directory cannot be
 * opened, EX_IOERR when reading it fails. */
int maildir_each(const char *dir, const char *sub,
		 void (*fn)(void *arg, int dfd, const char *name), void *arg,
		 struct err *err) MAILDIR_WUR;
/* What the file name of a message says: the length of its key (up to
 * ':'), its flags (the letters after ":2,", ASCII order, no duplicates, ""
 * when none) and the size from ",S=" in the key (-1 when absent). */
size_t maildir_name_info(const char *name, char flags_out[16], off_t *size_out);

/* Deliver len bytes at data into dir/new (tmp -> fsync -> rename -> fsync
 * dir), or into cur/ with :2,FLAGS when flags is non-NULL.  *path_out, when
 * not NULL, gets the final path (caller frees).  The bytes are stored as
 * given.  The file is named afile_unique_name() + ",S=SIZE" (Dovecot's size
 * field); the commit point is the rename out of tmp/ (rename rather than
 * the spec's link: the name is unique and was created O_EXCL, and rename
 * also works where hard links do not).  On failure nothing is left in tmp/,
 * new/ or cur/; err names the path, with EX_TEMPFAIL where a retry may help
 * (ENOSPC, EDQUOT, EIO ...), EX_NOPERM for EACCES/EPERM, EX_CANTCREAT
 * otherwise, EX_DATAERR for flags that are not letters. */
int maildir_deliver(const char *dir, const void *data, size_t len, const char *flags,
		    char **path_out, struct err *err) MAILDIR_WUR;
/* The same, storing the head_len bytes at head (what the caller read from
 * fd already, e.g. to look at the header; may be NULL when head_len is 0)
 * and then fd until EOF (streams; no size limit).  A read error is
 * EX_TEMPFAIL or EX_IOERR and leaves nothing behind. */
int maildir_deliver_head_fd(const char *dir, const void *head, size_t head_len, int fd,
			    const char *flags, char **path_out, struct err *err) MAILDIR_WUR;

/* Find the message with key in dir; fills *e (release with
 * maildir_entry_release).  EX_NOINPUT when absent, EX_DATAERR for a key
 * that could not be a file name's unique part ('/', ':', leading '.').
 * One stat for new mail, else a readdir of cur/ (then new/); no stat of
 * the file, so mtime is 0 and size comes only from ",S=". */
int maildir_find(const char *dir, const char *key, struct maildir_entry *e,
		 struct err *err) MAILDIR_WUR;
void maildir_entry_release(struct maildir_entry *e);

/* Set the flags of e to flags (any order; stored sorted) by renaming it into
 * cur/; e is updated (its key too when it meets a twin: see the top).  If
 * another client renamed the file meanwhile, it is found again by key.
 * No directory fsync: the rename is atomic, so a crash may bring back old
 * flags but never loses the message. */
int maildir_set_flags(const char *dir, struct maildir_entry *e, const char *flags,
		      struct err *err) MAILDIR_WUR;
/* Add the flags in add and remove those in del, starting from the flags of
 * e's name at the moment of the rename: when another client renamed the
 * file meanwhile (set a flag), it is found again by key and its flags are
 * kept.  e is updated.  A message seen in cur/ is never looked for in new/,
 * and a rename never replaces an existing file: a second file with the
 * same key is a twin (see the top), and e's key may change. */
int maildir_change_flags(const char *dir, struct maildir_entry *e, const char *add,
			 const char *del, struct err *err) MAILDIR_WUR;
/* Remove e's file, the exact file e names, or when another client renamed
 * it, the one found again as maildir_change_flags() does.  Already gone is
 * success. */
int maildir_remove(const char *dir, struct maildir_entry *e, struct err *err) MAILDIR_WUR;
/* Move e from folder src to folder dst keeping key and flags; e->path is
 * updated to its place in dst.  One rename, so both folders must be on one
 * file system (EXDEV is an error, never a copy); then dst's and src's
 * directories are fsync'd.  A file of the same name in dst is a twin (see
 * the top): the same bytes, and e's file is removed instead; other bytes,
 * and it arrives under a fresh key.  dst that is not a Maildir is EX_CANTCREAT. */
int maildir_move(const char *src, struct maildir_entry *e, const char *dst,
		 struct err *err) MAILDIR_WUR;

#endif
