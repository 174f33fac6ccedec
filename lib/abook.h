/*
 * abook: finding addresses to write to.  Three sources, asked in this order
 * and merged (a later source never repeats an address an earlier one gave):
 * the aliases file (mutt's `alias` lines, aliases_file), the book learned
 * from mail (the addresses the user wrote to, in Sent folders and the
 * queue, and the senders of messages the user replied to, flag R), and an
 * external query (address_cmd, mutt's query_command protocol).
 *
 * The learned book reads only header fields (To, Cc, Bcc, From, Date,
 * Message-ID), never a body, so nothing of an encrypted text reaches it.
 * It is kept in a cache file, $XDG_CACHE_HOME/surel/abook, beside the
 * folder index: a versioned, checksummed text file that is only ever a
 * copy (missing or corrupt, the book is rebuilt from the folders), written
 * with afile_write().  Two programs updating it at once need no lock: each
 * writes a whole book that is consistent with the files it records as
 * read, so whichever rename wins, the next update reads what it lacks.
 *
 * Ranking: every message adds 1 to an address's score, halved for each 30
 * days between the message and the address's newest one, so a frequent
 * correspondent of last year ranks below one written to twice this week.
 *
 * Parsing addresses is addr.h's, dates date.h's, finding folders
 * maildir.h's; the screen that offers the matches is the MUA's.
 *
 * Ownership: the caller keeps what it passes in; match arrays are the
 * caller's, freed with abook_matches_free().
 */
#ifndef SUREL_ABOOK_H
#define SUREL_ABOOK_H

#include <stddef.h>
#include <time.h>

#include "cfg.h"
#include "err.h"

#define ABOOK_WUR __attribute__((warn_unused_result))

struct abook;

/* Where a match came from ("alias", "book", "command" in output). */
enum abook_source { ABOOK_ALIAS, ABOOK_BOOK, ABOOK_COMMAND };

/* One address found.  addr is "local@domain"; name the display name or
 * NULL; nick the alias that gave it (ABOOK_ALIAS only, else NULL).  An
 * alias of several addresses gives one match per address, with the same
 * nick.  All strings are owned by the array. */
struct abook_match {
	char *addr;
	char *name;
	char *nick;
	enum abook_source source;
};

void abook_matches_free(struct abook_match *v, size_t n);
/* "alias", "book" or "command". */
const char *abook_source_name(enum abook_source s);

/* ---- the learned book ---- */

enum abook_kind {
	ABOOK_SENT,     /* a Maildir of mail the user sent: every To, Cc, Bcc */
	ABOOK_REPLIED,  /* a Maildir: the From of each message flagged R */
	ABOOK_PLAIN,    /* a directory of message files (the queue's msg/): To, Cc, Bcc */
};

/* An empty book without sources. */
struct abook *abook_new(void);
void abook_free(struct abook *b);
/* Read dir as kind on every abook_update(); a dir that does not exist is
 * skipped without error. */
void abook_add_source(struct abook *b, enum abook_kind kind, const char *dir);
/* An address of the user's own, never learned (case-insensitive). */
void abook_add_self(struct abook *b, const char *addr);

/* Take the book and what was read from the cache file at path: 1 when it
 * was read, 0 when it was missing or not a valid cache (the book is then
 * empty and the next update reads every file again).  Sources recorded in
 * the file that were not added are forgotten; their addresses stay. */
int abook_load(struct abook *b, const char *path);
/* Read what changed in the sources since the load or the last update: a
 * directory whose modification time is as recorded is not listed; in one
 * that changed, only files not seen before are read (a Maildir file is
 * known by its key, so flag changes cost nothing, except that a message
 * newly flagged R in a REPLIED source is read then).  A message is counted
 * once whatever number of sources hold it (by Message-ID).  Returns the
 * number of files read; a file that cannot be read is skipped and read
 * again next time. */
size_t abook_update(struct abook *b, time_t now);
/* Write the book to path (its directory is created). */
int abook_save(const struct abook *b, const char *path, struct err *err) ABOOK_WUR;

/* Number of addresses in the book. */
size_t abook_count(const struct abook *b);
/* The book's addresses containing query (ASCII case-insensitive, in the
 * address or the name; "" matches all), best first.  Appends to *v (*n
 * entries). */
void abook_find(const struct abook *b, const char *query, struct abook_match **v, size_t *n);
/* How often and when (newest message) addr was written to or replied to;
 * -1 when the book does not hold it.  For tests and `spool addresses`. */
long abook_times(const struct abook *b, const char *addr, time_t *last_out);

/* The book for cfg: the sent_folder (default Sent) of every account as
 * ABOOK_SENT, every other folder but drafts_folder as ABOOK_REPLIED, the
 * queue's message directory (queue_dir NULL: $XDG_DATA_HOME/surel/queue)
 * as ABOOK_PLAIN, the accounts' addresses and aliases (cfg.h's
 * cfg_account_for_address()) as the user's own, cfg borrowed until
 * abook_free(); loaded from
 * the cache file (cache NULL: $XDG_CACHE_HOME/surel/abook), updated, and
 * saved when anything changed (a failure to save is only a warning: the
 * cache is a copy).  Never fails; cfg may be NULL (an empty book). */
struct abook *abook_open(const struct cfg *cfg, const char *queue_dir, const char *cache);

/* ---- aliases and the external query ---- */

/* The aliases of text (len bytes) in mutt's syntax: `alias [-group NAME]...
 * NICK ADDRESS[, ADDRESS...]` lines; '#' starts a comment outside quotes,
 * a backslash at the end of a line continues it, other commands are
 * skipped, and so is a line holding a NUL.  An address naming another
 * alias (no '@') stands for that alias's addresses (8 levels deep, 1000
 * entries per alias at most).  Appends every alias whose nick, address or name
 * contains query (as abook_find) to *v, in file order. */
void abook_aliases_find(const char *text, size_t len, const char *query,
			struct abook_match **v, size_t *n);
/* The same for the file at path; a missing file holds no aliases.  Other
 * read errors are EX_IOERR (EX_NOINPUT never). */
int abook_aliases_file(const char *path, const char *query, struct abook_match **v,
		       size_t *n, struct err *err) ABOOK_WUR;

/* The output of a query command (len bytes) read as mutt reads it: a first
 * line of free text, then `ADDRESS<TAB>NAME[<TAB>OTHER]` lines.  A line
 * without a tab is taken as one address ("Name <addr>"), so `notmuch
 * address` output works too; that also holds for the first line when it
 * is such an address.  Lines without an address with '@' are skipped.
 * Appends to *v. */
void abook_cmd_parse(const char *out, size_t len, struct abook_match **v, size_t *n);
enum abook_query_flags {
	/* The command's stderr goes to /dev/null, not ours (the MUA: it
	 * would write over the screen). */
	ABOOK_QUIET = 1u << 0,
};
/* Run address_cmd cmd for query and append what it printed to *v.  "%s" in
 * cmd stands for the query, else it is added as the last argument.  cmd is
 * split into words (quotes as pwcmd.h says) and run without a shell, the
 * query one whole argument; with shell syntax it runs as `/bin/sh -c CMD sh
 * QUERY` with %s (also '%s' and "%s") replaced by "$1", so the query is
 * never read as shell text.  stdin is /dev/null; flags: enum
 * abook_query_flags.  The command gets
 * ABOOK_CMD_TIMEOUT seconds and ABOOK_CMD_MAX bytes of output; past either
 * it is killed (EX_TEMPFAIL, EX_DATAERR).  A missing program is EX_CONFIG.
 * As in mutt, what a failing command printed is still read (lbdbq exits 1
 * when it found nothing); a failure without output is EX_UNAVAILABLE.
 * Messages name the program, never the query. */
int abook_cmd_run(const char *cmd, const char *query, unsigned flags, struct abook_match **v,
		  size_t *n, struct err *err) ABOOK_WUR;
#define ABOOK_CMD_TIMEOUT 10
#define ABOOK_CMD_MAX (1024 * 1024)

/* Every source for query, merged: aliases_file, then book (may be NULL),
 * then address_cmd (skipped for an empty query; flags as for
 * abook_cmd_run()); the account's keys
 * (account NULL: the default one) before [general]'s.  An address already
 * given by an earlier source (case-insensitive) is dropped.  A failing
 * address_cmd still returns the other matches, with the error in err and
 * -1; *v and *n are set either way. */
int abook_query(const struct cfg *cfg, const char *account, const struct abook *book,
		const char *query, unsigned flags, struct abook_match **v, size_t *n,
		struct err *err);

/* The value of key (address_cmd, aliases_file) for account (NULL: the
 * default one): the account's own, else [general]'s, else NULL.  Borrowed
 * from cfg. */
const char *abook_cfg_key(const struct cfg *cfg, const char *account, const char *key);

#endif
