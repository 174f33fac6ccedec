/*
 * bodysearch: ~b of the limit pattern for one message, read in pieces so
 * a folder of big messages is searched in bounded memory, with progress
 * reported and a way to stop between pieces.  The body (after the header
 * block) is searched raw, all of it, in a window that spans piece
 * boundaries; when that finds nothing, the text a reader sees (msg_text:
 * transfer-decoded, converted to UTF-8) of the first BODYSEARCH_DECODE_MAX
 * bytes is searched, which catches quoted-printable and base64 text parts.
 * Matching is pattern_contains() (ASCII case folded).  Opening files is
 * mailbox.h's; the pattern language pattern.h's.
 *
 * When the account has a search index (spool/search.h, built by `spool
 * index` or a search across folders), ~b asks it instead of reading the
 * files: the words of the text in a row in the decoded body, the last one
 * as a prefix (`~b inv` finds "invoice", not "reinvest").  A text without
 * a word (punctuation only) is still searched in the files.
 */
#ifndef SUREL_BODYSEARCH_H
#define SUREL_BODYSEARCH_H

#include <stddef.h>

#define BODYSEARCH_CHUNK (64u * 1024)
#define BODYSEARCH_DECODE_MAX (1024u * 1024)

/* Called after each piece with the bytes of this message read so far;
 * non-zero stops the search. */
typedef int (*bodysearch_progress_fn)(void *arg, size_t bytes);

/* Search the message readable from fd (read to its end or a match; not
 * closed) for needle.  1 found, 0 not, -1 stopped by progress or a read
 * error.  progress may be NULL. */
int bodysearch_fd(int fd, const char *needle, bodysearch_progress_fn progress, void *arg);
/* The same over len bytes in memory (an mbox message), piece by piece. */
int bodysearch_mem(const char *data, size_t len, const char *needle,
		   bodysearch_progress_fn progress, void *arg);

struct bodysearch_index;

/* The search index of the account whose Maildir root is root, for ~b in
 * the folder at dir; NULL when there is none to use (no account, dir not
 * one of its folders, no index built yet, or one that cannot be brought up
 * to date): ~b reads the files then. */
struct bodysearch_index *bodysearch_index_open(const char *root, const char *dir);
/* Whether the body of message key holds needle by the index: 1 or 0, or
 * -1 when the index cannot answer for this needle (read the file). */
int bodysearch_index_has(struct bodysearch_index *bi, const char *needle, const char *key);
void bodysearch_index_free(struct bodysearch_index *bi);

#endif
