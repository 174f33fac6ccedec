/*
 * search: the full-text index of every message in every folder of an
 * account, in one SQLite database under $XDG_CACHE_HOME/surel/search/
 * (named by a hash of the account's Maildir root, beside the folder
 * index of index.h), and the queries over it.
 *
 * Store:
 *   folder  (id, name, new_mtime, cur_mtime): the mtimes of new/ and cur/
 *           when each was last listed (0: list it again)
 *   msg     (id, folder, key, path, flags, date, size, attach, sender,
 *           subject, msgid, thread): one row per message file; the id is
 *           the date shifted left with the low bits of an insertion
 *           counter (search.c), so id order is date order; indexed by
 *           (folder, key), unique, and by (folder, path), which covers
 *           the comparison with a listing
 *   fts     an FTS5 table without content (content=''), rowid = msg.id,
 *           columns subject, sender, recip, body as search_text.h reads
 *           them, CJK runs segmented, tokenizer unicode61 with diacritics
 *           removed
 *   meta    the Maildir root the index is of, and the number of dead rows
 * A contentless FTS5 table keeps the index small (no copy of the text),
 * but SQLite 3.40 cannot delete from it: a message that goes away leaves
 * its terms behind, unreachable because queries join msg, and counted;
 * when the dead are over 1000 and outnumber the living, the next refresh
 * rebuilds and compacts the file.
 *
 * Commit point: one SQLite transaction (WAL) per batch of messages; the
 * folder's mtimes are stored with its last batch.  A crash at any point
 * leaves the last committed batch, and the next refresh, which reads any
 * folder whose mtimes differ, converges.  The database is a cache: a
 * missing one, one of another version or another root, or a corrupt one
 * (on open, or whenever SQLite finds it so: search_broken()) is deleted
 * and built again; nothing else is ever lost with it.
 *
 * Kept current by search_refresh(), which every query runs first: per
 * folder two stat() calls when nothing changed, else the subdirectories
 * that changed listed and compared by path with their rows.  A row whose
 * file went away follows a new file of the same key (a rename: flags,
 * new/ to cur/, or a move to another folder as maildir_move() does), else
 * one of the same size whose headers hold its Message-ID (another
 * program's move: a copy under a new name, then a deletion), in one
 * transaction and without reading the body; the other new files are read
 * and indexed, the other rows dropped.  Writers of mail never wait on
 * it.  What the text is: search_text.h; the query language:
 * search_query.h.
 *
 * Queries: a query whose full-text terms are joined by AND to the rest
 * is driven by FTS5 in descending rowid order, so the newest matches come
 * first and a limit stops it early (a word in every message costs what a
 * rare one does).
 *
 * Ownership: struct search_hit arrays are the caller's, freed with
 * search_hits_free().
 */
#ifndef SUREL_SEARCH_H
#define SUREL_SEARCH_H

#include <stddef.h>
#include <time.h>

#include "err.h"

#define SEARCH_WUR __attribute__((warn_unused_result))

struct search;

enum search_flags {
	SEARCH_REBUILD = 1u << 0,    /* throw the index away first */
	SEARCH_SNIPPETS = 1u << 1,   /* search_run(): fill snippet (reads the files) */
	SEARCH_EXISTING = 1u << 2,   /* search_open(): only an index built before
				      * (EX_UNAVAILABLE when there is none) */
};

/* The index of the account whose Maildir root is root, opened or
 * created (not yet refreshed).  EX_CANTCREAT/EX_IOERR/... with err. */
struct search *search_open(const char *root, unsigned flags, struct err *err) SEARCH_WUR;
void search_close(struct search *s);

/* Called while messages are read: done of total so far. */
typedef void (*search_progress_fn)(void *arg, size_t done, size_t total);

/* Bring the index up to date with the folders (see above); progress may
 * be NULL.  A message file that cannot be read is skipped and tried again
 * at the next refresh. */
int search_refresh(struct search *s, search_progress_fn progress, void *arg,
		   struct err *err) SEARCH_WUR;

/* What the refreshes of s did since search_open(). */
struct search_stats {
	size_t read;         /* message files read and indexed */
	size_t moved;        /* rows that followed their file to another folder */
	size_t renamed;      /* rows that followed a rename within the folder (flags) */
	size_t removed;      /* rows of files that went away */
	size_t rebuilds;     /* rebuilds for too many removed rows */
};
void search_stats(const struct search *s, struct search_stats *out);

/* Messages in the index, and the number of folders: 0, or -1 with err. */
int search_count(struct search *s, size_t *n_out, size_t *folders_out, struct err *err) SEARCH_WUR;

/* Whether a call on s found the database corrupt (its err EX_DATAERR).
 * The files are removed then, so that the next search_open() builds
 * the index afresh: a caller may open again once and redo its work. */
int search_broken(const struct search *s);

struct search_hit {
	char *folder;        /* folder name */
	char *key;           /* Maildir key */
	char *path;          /* relative to the folder: "cur/KEY:2,S" */
	char flags[16];
	time_t date;         /* -1 when unknown */
	char *from;          /* display name, else address */
	char *subject;
	char *snippet;       /* with SEARCH_SNIPPETS, else NULL: UTF-8, one line */
};

/* The messages matching query (search_query.h; EX_USAGE when it is not
 * one), newest first, at most limit (0: all), only of folder when it is
 * not NULL. */
int search_run(struct search *s, const char *query, const char *folder, size_t limit,
	       unsigned flags, struct search_hit **out, size_t *n_out, struct err *err) SEARCH_WUR;
void search_hits_free(struct search_hit *v, size_t n);

/* For surel's ~b: the keys of the messages of folder whose body (all
 * fields with all_fields) holds the words of text in a row, the last one
 * as a prefix, sorted by strcmp (*keys_out an array of *n_out strings,
 * freed with strv_free_v()).  1 when answered, 0 when text holds no
 * word the index knows (the caller scans instead), -1 with err. */
int search_keys(struct search *s, const char *folder, const char *text, int all_fields,
		char ***keys_out, size_t *n_out, struct err *err) SEARCH_WUR;

/* The name of the folder of the account whose directory is dir (by its
 * real path), or NULL when dir is none of them (caller frees). */
char *search_folder_name(struct search *s, const char *dir);

#endif
