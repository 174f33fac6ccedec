/*
 * sendcli: `surel -s`, sending from scripts.  Parses the command line,
 * reads the body from stdin and hands the message to compose.h (which
 * queues it and nudges the relay as compose_send() does).
 */
#ifndef SUREL_SENDCLI_H
#define SUREL_SENDCLI_H

#include "err.h"

/* main() calls it with its whole argc/argv when argv holds -s, and does
 * nothing else (it prints err and returns err.code on -1).  Options:
 * [-A ACCOUNT] -s SUBJECT [-c CC]... [-b BCC]... [-a FILE]... [--sign]
 * [--encrypt] [--] ADDR...; --sign and --encrypt make it PGP/MIME
 * (compose_pgp(), on top of the account's pgp_sign and pgp_encrypt);
 * each -c/-b/ADDR may be a comma-separated list; one file per -a.  The body
 * is read from stdin to its end.  Returns 0 only once the message is
 * queued.  Errors: EX_USAGE (bad option, no recipient), EX_DATAERR (bad
 * address, line break in an argument), EX_NOINPUT (attachment missing),
 * EX_CONFIG (bad configuration, or none and no $EMAIL), for PGP EX_DATAERR
 * (a recipient or the sender without a usable key) and EX_UNAVAILABLE
 * (GnuPG refused: no agent, no passphrase), and the queue's own errors
 * (EX_TEMPFAIL, EX_CANTCREAT ...).  Nothing is queued on any error.  With
 * --wait [--timeout S] it then waits as `sendq wait` does and returns that
 * exit code (0 accepted, 65 bounced, 75 still deferred at the timeout)
 * instead of 0. */
int sendcli_run(int argc, char **argv, struct err *err) __attribute__((warn_unused_result));

#endif
