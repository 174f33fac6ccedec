/*
 * mailto: reading a mailto: URL (RFC 6068) into the fields of a new
 * message, for `surel 'mailto:...'` and the desktop's mailto handler.
 * The URL is only ever data: percent-decoded to UTF-8, its header values
 * made single lines, and only To, Cc, Bcc, Subject, In-Reply-To and the
 * body are taken; every other hfield (attach= among them: a web page must
 * not be able to attach the user's files) is dropped with a warning.
 * Building the draft is compose's.
 */
#ifndef SUREL_MAILTO_H
#define SUREL_MAILTO_H

#include <stddef.h>

#include "err.h"
#include "strv.h"

/* The fields of a parsed URL, each UTF-8 and owned; NULL when the URL has
 * none.  to, cc and bcc join every occurrence with ", "; the header values
 * hold no control characters; body has LF line ends.  warnings (one line
 * each) say which hfields were ignored. */
struct mailto {
	char *to, *cc, *bcc, *subject, *in_reply_to, *body;
	struct strv warnings;
};

/* Whether s starts with the scheme "mailto:" (any case). */
int mailto_is(const char *s);

/* Parse url ("mailto:" any case, then to, then "?" and hfields joined by
 * "&").  '+' is a plus sign, not a space (RFC 6068 section 5).  A '%' not
 * followed by two hex digits, or decoded bytes that are not UTF-8, are
 * EX_USAGE naming the part; so is a URL without the scheme.  On success
 * *out is filled (release with mailto_release, also after a failure). */
int mailto_parse(const char *url, struct mailto *out, struct err *err)
	__attribute__((warn_unused_result));
void mailto_release(struct mailto *m);

#endif
