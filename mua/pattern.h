/*
 * pattern: the small language of `l` (limit) and `/` (search) in the
 * index, after mutt's patterns: ~f from, ~t to, ~c cc, ~C to or cc, ~L
 * from, to or cc, ~s subject, ~b body, ~B whole message, ~d date range, ~N new, ~F flagged,
 * ~R replied, ~D marked deleted, ~A all, ~p to me, ~P from me, ~l to a
 * mailing list, ~u to a subscribed list; juxtaposition is "and", '|' is
 * "or", '!' is "not", parentheses group; a word without '~' means
 * "~f word | ~s word".  The grammar is documented in surel(1).
 *
 * Text arguments are POSIX extended regular expressions (regcomp), found
 * anywhere in the text, always case-insensitive with Unicode case folding:
 * they are compiled and run in the C.UTF-8 locale whatever the user's is
 * (the user's only when the C library has no C.UTF-8), because every text
 * a pattern looks at is UTF-8 (summaries decode it).  A word of ASCII
 * characters without specials is found by a byte search.
 * Address terms match each mailbox's address and its display name apart.
 *
 * This module only parses and evaluates: reading a message body for ~b
 * is the caller's (a callback, so a full-text index can answer it), and
 * so is knowing the user's addresses and mailing lists (struct
 * pattern_env).
 */
#ifndef SUREL_PATTERN_H
#define SUREL_PATTERN_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct pattern;

struct pattern_re;

/* What ~p, ~P, ~l and ~u ask of the user's configuration; addr is one
 * address, NUL-terminated.  Any member may be NULL (nothing matches). */
struct pattern_env {
	int (*is_me)(void *arg, const char *addr);
	/* 0: not a known list; 1: a known list; 2: a subscribed one */
	int (*list_kind)(void *arg, const char *addr);
	void *arg;
};

/* What a pattern looks at in one message (all borrowed for the call).
 * The fields after date may stay zero: then ~t reads to alone, and the
 * terms about Cc, lists and the user match nothing. */
struct pattern_msg {
	const char *from;       /* display name, "" when none */
	const char *from_addr;  /* address, "" when none */
	const char *to;         /* first To, "" when none */
	const char *subject;    /* decoded, "" when none */
	const char *flags;      /* Maildir flags ("FRS") */
	int deleted;            /* marked for deletion in the index */
	time_t date;            /* -1 when unknown: no ~d matches it */
	const char *to_all;     /* every To mailbox, lines "addr[TAB name]" (summary.h), or NULL */
	const char *cc_all;     /* every Cc mailbox, the same, or NULL */
	const char *list;       /* List-Post address or List-Id, or NULL */
	const struct pattern_env *env;
};

enum pattern_body_flags {
	PATTERN_BODY_WHOLE = 1u << 0,  /* ~B: the header block too */
};
/* Called for ~b and ~B: 1 when the body of the message (with
 * PATTERN_BODY_WHOLE in flags, the whole message) matches re (through
 * pattern_re_match, line by line), 0 when not, -1 to stop (interrupted or
 * unreadable, the caller decides which). */
typedef int (*pattern_body_fn)(void *arg, const struct pattern_re *re, unsigned flags);

/* Parse s; relative dates (~d <7d) count back from now.  Errors are
 * EX_USAGE with a message naming the problem ("unknown pattern '~x'").
 * Caller frees with pattern_free(). */
struct pattern *pattern_parse(const char *s, time_t now, struct err *err)
	__attribute__((warn_unused_result));
void pattern_free(struct pattern *p);

/* Whether evaluating p may call the body callback (~b, ~B). */
int pattern_uses_body(const struct pattern *p);

/* 1 when m matches p, 0 when not, -1 when the body callback said stop.
 * Terms are evaluated left to right and stop as soon as the result is
 * known, so "~f x ~b y" reads bodies only of messages from x.  body may be
 * NULL when the pattern does not use ~b. */
int pattern_match(const struct pattern *p, const struct pattern_msg *m,
		  pattern_body_fn body, void *arg);

/* One text argument: src compiled as the language compiles it (see the
 * top).  EX_USAGE naming src and the problem when it is not a regular
 * expression.  Caller frees with pattern_re_free(). */
struct pattern_re *pattern_re_new(const char *src, struct err *err)
	__attribute__((warn_unused_result));
void pattern_re_free(struct pattern_re *re);
/* The text it was made from (a full-text index may look it up). */
const char *pattern_re_source(const struct pattern_re *re);
/* Whether re matches somewhere in the len bytes at s (NULs allowed; a
 * newline ends a line for '^', '$' and '.'). */
int pattern_re_match(const struct pattern_re *re, const char *s, size_t len);

#endif
