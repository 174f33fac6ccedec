/*
 * bodysearch: ~b (and ~B) of the limit pattern for one message, read in pieces so
 * a folder of big messages is searched in bounded memory, with progress
 * reported and a way to stop between pieces.  The body (after the header
 * block) is searched raw, all of it, in a window that spans piece
 * boundaries; when that finds nothing, the text a reader sees (msg_text:
 * transfer-decoded, converted to UTF-8) of the first BODYSEARCH_DECODE_MAX
 * bytes is searched, which catches quoted-printable and base64 text parts.
 * An encrypted body is searched as it is stored, never decrypted: only
 * the pager opens OpenPGP layers (cryptomsg.h).
 * Matching is pattern_re_match() line by line (a line split between pieces
 * is joined first; one longer than BODYSEARCH_LINE_MAX is searched in
 * overlapping windows).  Opening files is mailbox.h's; the pattern
 * language pattern.h's.
 *
 * When the account has a search index (spool/search.h, built by `spool
 * index` or a search across folders), ~b and ~B whose text is words
 * (no character special to a regular expression) ask it instead of
 * reading the files: the words in a row in the decoded body (~B: in any
 * indexed field), the last one as a prefix (`~b inv` finds "invoice",
 * not "reinvest").  Any other text is still searched in the files.
 */
#ifndef SUREL_BODYSEARCH_H
#define SUREL_BODYSEARCH_H

#include <stddef.h>

#include "cfg.h"

#define BODYSEARCH_CHUNK (64u * 1024)
#define BODYSEARCH_DECODE_MAX (1024u * 1024)
#define BODYSEARCH_LINE_MAX (64u * 1024)

struct pattern_re;

/* Called after each piece with the bytes of this message read so far;
 * non-zero stops the search. */
typedef int (*bodysearch_progress_fn)(void *arg, size_t bytes);

enum bodysearch_flags {
	BODYSEARCH_WHOLE = 1u << 0,  /* the header block too (~B) */
};

/* Search the message readable from fd (read to its end or a match; not
 * closed) for re.  1 found, 0 not, -1 stopped by progress or a read
 * error.  progress may be NULL; flags: enum bodysearch_flags. */
int bodysearch_fd(int fd, const struct pattern_re *re, unsigned flags,
		  bodysearch_progress_fn progress, void *arg);
/* The same over len bytes in memory (an mbox message), piece by piece. */
int bodysearch_mem(const char *data, size_t len, const struct pattern_re *re, unsigned flags,
		   bodysearch_progress_fn progress, void *arg);

struct bodysearch_index;

/* The search index of account acct (may be NULL) whose Maildir root is
 * root, for ~b in the folder at dir; NULL when there is none to use (no
 * account, dir not one of its folders, no index built yet, or one that
 * cannot be brought up to date): ~b reads the files then.  The refresh
 * holds the background indexer's lock as spool search does
 * (lib/idxhint.h). */
struct bodysearch_index *bodysearch_index_open(const struct cfg_account *acct, const char *root,
					       const char *dir);
/* Whether the body (whole: any indexed field) of message key holds text
 * by the index: 1 or 0, or -1 when the index cannot answer for this text
 * (read the file). */
int bodysearch_index_has(struct bodysearch_index *bi, const char *text, int whole,
			 const char *key);
void bodysearch_index_free(struct bodysearch_index *bi);

#endif
