/*
 * search_text: what the search index (search.h) reads of one message: the
 * text a reader sees, per field, in UTF-8, and the segmentation of CJK
 * text into the tokens that index holds.
 *
 *   subject  the decoded Subject
 *   from     names and addresses of From
 *   to       names and addresses of To and Cc
 *   body     every text/any leaf (also inside forwarded message/rfc822
 *            parts, up to SEARCH_TEXT_DEPTH deep), HTML reduced to text
 *            (html.h), converted to UTF-8; the file names of the parts;
 *            the Message-ID and the ids of References and In-Reply-To
 *
 * Encrypted text is left out: the parts of multipart/encrypted are not
 * text/any, and a text part that holds an inline "BEGIN PGP MESSAGE" block
 * is skipped whole.  Parsing is msg.h's job, the index search.h's.
 *
 * CJK: SQLite's unicode61 tokenizer cuts words at blanks and punctuation,
 * so a run of Han, kana or Hangul without blanks would be one token and
 * a word inside it could not be found.  search_text_segment() writes such
 * a run as its overlapping bigrams and its last character on its own
 * ("東京都" -> "東京 京都 都"), and search_text_query() turns a CJK word of
 * a query into the phrase of its bigrams (a single character: the prefix
 * of a token), so a CJK query matches wherever it stands inside a run.
 *
 * Ownership: the caller owns struct search_doc and releases it.
 */
#ifndef SUREL_SEARCH_TEXT_H
#define SUREL_SEARCH_TEXT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SEARCH_TEXT_DEPTH 3

struct search_doc {
	struct buf subject, from, to, body;   /* UTF-8, not NUL-free */
	size_t text_at;       /* where body's parts start, after the ids */
	int attach;           /* a part has a file name or says attachment */
	/* What a result line shows, as summary.h reads it. */
	time_t date;          /* -1 when absent or unreadable */
	struct buf name;      /* the sender's display name, else address */
	struct buf msgid;     /* Message-ID without <>, "" when absent */
	struct buf thread;    /* the thread's root: first of References, else
			       * In-Reply-To, else the Message-ID */
};

void search_doc_init(struct search_doc *d);
void search_doc_release(struct search_doc *d);

/* Read the len bytes of a message at data into d (its buffers are
 * replaced).  Never fails; a malformed message gives what can be read. */
void search_text_read(const char *data, size_t len, struct search_doc *d);

/* Append s[0..n) to out with every CJK run written as its bigrams and its
 * last character, each set off by blanks. */
void search_text_segment(const char *s, size_t n, struct buf *out);

/* Whether code point c is one of the CJK scripts segmented. */
int search_text_is_cjk(unsigned long c);

/* Append the FTS5 expression of query text s (a word or a phrase) to out:
 * one or more double-quoted strings joined by " + " (the adjacency of
 * FTS5), quotes doubled, so no user text is ever read as FTS5 syntax;
 * prefix marks the last token as a prefix.  Returns 0, or -1 when s holds
 * no token character at all (out unchanged). */
int search_text_query(const char *s, int prefix, struct buf *out);

#endif
