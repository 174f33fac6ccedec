/*
 * search_query: the query language of `spool search` and surel's searches,
 * read by a small recursive-descent parser and translated into one SQL
 * condition over the search index's tables (search.h) whose full-text
 * parts are FTS5 MATCH expressions.  User text only ever reaches SQLite as
 * bound parameters, and inside an FTS5 expression only as double-quoted
 * strings (search_text_query()), so no query can inject either syntax.
 *
 *   query   := or
 *   or      := and ("OR" and)*
 *   and     := unary (["AND"] unary)*        (juxtaposition is AND)
 *   unary   := "NOT" unary | "(" or ")" | term
 *   term    := word | word"*" | "phrase" | field":"value
 *   field   := from | to | subject | body | folder | date | is | has | id | thread
 *              (any case; other letters before a ':' are an error)
 *
 * Words, phrases and prefixes match the subject, sender, recipients and
 * body (search_text.h says what each holds); from:, to:, subject: and
 * body: one of them.  folder:NAME is a folder of the account by its name
 * (folder:NAME* every folder whose name starts so).  date:A..B, date:A..,
 * date:..B and date:A, where A and B are YYYY, YYYY-MM or YYYY-MM-DD in
 * local time, take whole years, months or days (both ends included).
 * is:unread|read|flagged|replied|passed|draft|trashed|new and
 * has:attachment test the Maildir flags and the index's attachment bit.
 * id:ID is the message of a Message-ID, thread:ID the messages whose
 * thread root (search_text.h) is that of message ID, or ID itself.
 * AND, OR and NOT are operators only in upper case, and never a term.
 *
 * The SQL condition refers to the tables as `m` (msg) and `f` (folder) and
 * to the FTS5 table as `fts`.  When the query is full-text terms joined
 * by AND to anything else, those terms are set apart as drive, so that
 * the caller can let FTS5 produce the rows (newest first, search.h) and
 * stop at the limit instead of collecting every match.  Ownership: the caller frees the result with
 * search_query_free().
 */
#ifndef SUREL_SEARCH_QUERY_H
#define SUREL_SEARCH_QUERY_H

#include <stddef.h>

#include "err.h"

/* One value bound to a '?' of the condition, in order. */
struct search_bind {
	int is_text;
	char *text;        /* when is_text */
	long long num;     /* otherwise */
};

struct search_query {
	char *drive;                 /* the FTS5 expression every result must
				      * match (the top-level AND of the full-text
				      * terms), or NULL when there is none */
	char *where;                 /* SQL condition on the rest, never empty */
	struct search_bind *binds;
	size_t nbinds;
	char **terms;                /* the words and phrases, for snippets */
	size_t nterms;
};

/* Parse q.  NULL with err (EX_USAGE, saying where) when it is not a
 * query. */
struct search_query *search_query_parse(const char *q, struct err *err)
	__attribute__((warn_unused_result));
void search_query_free(struct search_query *sq);

#endif
