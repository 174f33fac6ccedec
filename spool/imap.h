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

#endif
