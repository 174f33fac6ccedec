/*
 * mda: the bytes `spool deliver` stores, from the bytes an MTA pipes to it.
 * Postfix's local(8) (mailbox_command, "|command" in ~/.forward) and
 * Exim's pipe transport write an mbox envelope line "From SENDER DATE"
 * before the message, and Exim by default one empty line after it; neither
 * belongs to the message (RFC 5322), and an IMAP server would serve the
 * From_ line as part of the header.  As dovecot-lda and maildrop do, the
 * envelope line goes, its sender kept as a Return-Path: header when the
 * message has none (Exim adds none; Postfix does).  The empty line at the
 * end goes only after such an envelope line: a message piped in by hand
 * or from any other program is stored byte for byte.  Dropping one empty
 * last line is safe for what is signed: DKIM's canonicalisations ignore
 * empty lines at the end of the body, and OpenPGP/MIME and S/MIME sign a
 * MIME part, which ends before the closing boundary.
 */
#ifndef SUREL_MDA_H
#define SUREL_MDA_H

#include "buf.h"
#include "err.h"

/* Remove the envelope around the message in m as said above.  Returns 1
 * when m began with an envelope line (then m was changed), else 0. */
int mda_unwrap(struct buf *m);

/* Read fd to its end, appended to m (which may hold what was read of fd
 * already), then mda_unwrap() it.  The whole message is held in memory: an
 * MTA's message size limit bounds it.  A read error is EX_TEMPFAIL, so
 * that the MTA keeps the message and tries again. */
int mda_read(int fd, struct buf *m, struct err *err) __attribute__((warn_unused_result));

#endif
