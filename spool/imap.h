/*
 * imap: the IMAP4rev1 source of `spool fetch` (spool/source.h), on
 * libetpan's mailimap.  imaps:// is TLS from the first byte; imap:// must
 * upgrade with STARTTLS unless tls = off.  The server's certificate is
 * verified (lib/tls.h) before the password is even read.  Messages are
 * fetched by UID ranges, one UID FETCH (UID FLAGS RFC822.SIZE BODY.PEEK[])
 * per batch; removal uses UID EXPUNGE (UIDPLUS) or MOVE where offered.
 */
#ifndef SUREL_IMAP_H
#define SUREL_IMAP_H

#include "source.h"

extern const struct source_ops imap_source_ops;

struct mailimap;
/* The libetpan session of an open IMAP source (borrowed, valid until the
 * source is freed): for commands beyond the fetch interface
 * (spool/syncimap.h).  Bytes on it still pass the source's guard. */
struct mailimap *imap_session(struct source *s);
/* Fill err for libetpan's result r of command what on source s, as the
 * source's own commands do (source_fail()), and return -1. */
int imap_fail(struct source *s, int r, const char *what, struct err *err);
/* Let the reply to the next command be expect bytes longer than the
 * guard allows (source.h); 0 again afterwards. */
void imap_expect(struct source *s, size_t expect);
/* Add Maildir flag letter c to flags (a string of at most 7 letters in
 * ASCII order, as the Maildir spec asks), keeping the order; nothing when
 * it is there or flags is full. */
void imap_flag_add(char flags[8], char c);

#endif
