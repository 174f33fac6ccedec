/*
 * pop3: the POP3 source of `spool fetch` (spool/source.h), on libetpan's
 * mailpop3 for connecting, STLS and login.  pop3s:// is TLS from the first
 * byte; pop3:// must upgrade with STLS unless tls = off; the certificate is
 * verified (lib/tls.h) before USER is sent.  RETR and DELE are pipelined
 * when the server announces PIPELINING (RFC 2449), read by our own reader
 * so that messages with NUL bytes survive.  POP3 has one folder, INBOX.
 */
#ifndef SUREL_POP3_H
#define SUREL_POP3_H

#include "source.h"

extern const struct source_ops pop3_source_ops;

#endif
