/*
 * pattern: the small language of `l` (limit) in the index, after mutt's
 * patterns: ~f from, ~t to, ~s subject, ~b body, ~d date range, ~N new,
 * ~F flagged, ~R replied, ~D marked deleted, ~A all; juxtaposition is
 * "and", '|' is "or", '!' is "not", parentheses group; a word without '~'
 * means "~f word | ~s word".  Text matches are case-insensitive substring
 * matches (ASCII letters fold; other bytes compare as they are).  The
 * grammar is documented in surel(1).  This module only parses and
 * evaluates; reading a message body for ~b is the caller's (a callback).
 */
#ifndef SUREL_PATTERN_H
#define SUREL_PATTERN_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct pattern;

/* What a pattern looks at in one message (all borrowed for the call). */
struct pattern_msg {
	const char *from;       /* display name, "" when none */
	const char *from_addr;  /* address, "" when none */
	const char *to;         /* first To, "" when none */
	const char *subject;    /* decoded, "" when none */
	const char *flags;      /* Maildir flags ("FRS") */
	int deleted;            /* marked for deletion in the index */
	time_t date;            /* -1 when unknown: no ~d matches it */
};

/* Called for ~b: 1 when the body of the message holds needle (use
 * pattern_contains to compare as the rest of the language does), 0 when
 * not, -1 to stop (interrupted or unreadable, the caller decides which). */
typedef int (*pattern_body_fn)(void *arg, const char *needle);

/* Parse s; relative dates (~d <7d) count back from now.  Errors are
 * EX_USAGE with a message naming the problem ("unknown pattern '~x'").
 * Caller frees with pattern_free(). */
struct pattern *pattern_parse(const char *s, time_t now, struct err *err)
	__attribute__((warn_unused_result));
void pattern_free(struct pattern *p);

/* Whether evaluating p may call the body callback. */
int pattern_uses_body(const struct pattern *p);

/* 1 when m matches p, 0 when not, -1 when the body callback said stop.
 * Terms are evaluated left to right and stop as soon as the result is
 * known, so "~f x ~b y" reads bodies only of messages from x.  body may be
 * NULL when the pattern does not use ~b. */
int pattern_match(const struct pattern *p, const struct pattern_msg *m,
		  pattern_body_fn body, void *arg);

/* Whether the len bytes at hay contain needle, ignoring ASCII case. */
int pattern_contains(const char *hay, size_t len, const char *needle);

#endif
