/*
 * addr: mail addresses, read and written in one place.  Reading an address
 * list as mail readers do (lenient, for display and replies), splitting one
 * as a sender wrote it (strict, for the envelope), the envelope checks the
 * enqueue, the queue and the relay apply, and writing: display names,
 * "Name <addr>" and Message-IDs.  Dates are date.h's; header fields as a
 * whole are msg.h's.
 *
 * Ownership: every struct addr_mbox array returned is the caller's, freed
 * with addr_list_free(); strings passed in are borrowed for the call.
 */
#ifndef SUREL_ADDR_H
#define SUREL_ADDR_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

/* One mailbox.  name is the UTF-8 display name or NULL; addr is
 * "local@domain", a bare local part, or "" (a group with no members or an
 * entry that could not be read).  Both owned by the array holding it. */
struct addr_mbox {
	char *name;
	char *addr;
};

/* Read an address-list header value (unfolded or not) with the recovery of
 * Python's headerregistry: "Doe, John <j@x>" is two entries, text after an
 * address up to the next comma is ignored, an address without '@' keeps
 * its local part, a group contributes its members.  Display names are
 * unquoted and RFC 2047-decoded.  Returns the count; *out (NULL when 0) is
 * the caller's.  value NULL is an empty list. */
size_t addr_parse_list(const char *value, struct addr_mbox **out);
void addr_list_free(struct addr_mbox *v, size_t n);

/* The addr-specs of an address list as a sender wrote it (a recipient
 * argument or a To/Cc/Bcc field of a message to send): entries split at
 * commas outside quotes, angle brackets, comments and domain literals;
 * "Name <addr>" gives addr; group syntax gives its members.  Nothing is
 * repaired, so a broken entry reaches addr_valid() as it stands.  Appends
 * to *v (*n entries, name always NULL). */
void addr_split(const char *list, struct addr_mbox **v, size_t *n);

enum addr_valid_flags {
	/* Full syntax: dot-atom or quoted local part without blanks (8-bit
	 * allowed, RFC 6531), host name or [literal] domain.  Without it only
	 * what an envelope line and an SMTP command need: local@domain with
	 * no blank, control or angle bracket. */
	ADDR_SYNTAX = 1u << 0,
	/* With ADDR_SYNTAX: a bare local name ("root") is valid too. */
	ADDR_BARE = 1u << 1,
};
/* Whether addr may be used as an envelope address (flags: enum
 * addr_valid_flags).  The null sender "" is never valid here; callers
 * that allow it test for it first. */
int addr_valid(const char *addr, unsigned flags);

/* Whether s is a host name as addr_valid() wants a domain. */
int addr_domain_valid(const char *s);

/* The domain of "local@domain" (after the last '@'), or NULL. */
const char *addr_domain(const char *addr);

/* Whether an argument (-f, -F, a recipient, a subject) is free of CR and
 * LF, which would let it add header lines.  EX_DATAERR naming what. */
int addr_check_arg(const char *s, const char *what, struct err *err);

enum addr_format_flags {
	/* The name stays readable UTF-8 (for the draft the user edits);
	 * without it, names with 8-bit or control bytes or "=?" are RFC 2047
	 * encoded as the wire wants. */
	ADDR_UTF8 = 1u << 0,
};
/* A display name as an RFC 5322 phrase: as it is when it holds no
 * specials, else a quoted string, or encoded words (see ADDR_UTF8). */
void addr_put_name(struct buf *out, const char *name, unsigned flags);
/* s as an RFC 5322 quoted-string ('"' and '\\' escaped). */
void addr_put_quoted(struct buf *out, const char *s);
/* "name <addr>", or addr alone when name is NULL or "". */
void addr_put_mbox(struct buf *out, const char *name, const char *addr, unsigned flags);

/* A Message-ID "<NOW.UNIQUE@domain>" with angle brackets; unique NULL
 * gives 64 random bits in hex.  Strings are written as they are. */
void addr_put_message_id(struct buf *out, time_t now, const char *unique, const char *domain);

/* Skip blanks, line breaks and (nested) comments from p, up to e. */
const char *addr_skip_cfws(const char *p, const char *e);

#endif
