/*
 * weed: which header fields the pager shows and in what order (mutt's
 * ignore/unignore and hdr_order in one list).  The [general] key
 * headers_shown names them, blanks or commas between, any case, in the
 * order shown; "Name*" stands for every field whose name starts with
 * Name ("X-*", or "*" for all).  Each item shows every field of the
 * message it matches, in the message's order.  The default is
 * WEED_DEFAULT.  With the full-headers toggle (the pager's h) every field
 * is shown as the message has them.  Decoding a value is msg.h's and
 * codec.h's; drawing is the pager's.
 */
#ifndef SUREL_WEED_H
#define SUREL_WEED_H

#include "msg.h"

#define WEED_DEFAULT "From To Cc Reply-To Date Subject"

/* Use spec (a headers_shown value; NULL or blank: WEED_DEFAULT) from now
 * on, for the whole session.  The text is copied. */
void weed_set(const char *spec);

/* Called with the field's name as the message writes it and its value
 * decoded (RFC 2047) to UTF-8, unsanitised; both borrowed for the call. */
typedef void (*weed_field_fn)(void *arg, const char *name, const char *value);

/* Call fn for each field of m to show: the weeded list, or with all set
 * every field in order. */
void weed_fields(const struct msg *m, int all, weed_field_fn fn, void *arg);

#endif
