/*
 * pwcmd: run an account's password_cmd and capture its first output line.
 * The command runs without a shell (split on blanks, '...' and "..." quote)
 * unless it uses shell syntax (| & ; < > $ ` ( ) * ? etc.), then via
 * /bin/sh -c.  Its stdin is /dev/null, stderr passes through.  The secret is
 * never logged; free it with pwcmd_free(), which wipes it first.
 */
#ifndef SUREL_PWCMD_H
#define SUREL_PWCMD_H

#include "err.h"

/* On success *secret_out is the first line of output without its line end
 * (caller frees with pwcmd_free).  A command that fails to start, exits
 * non-zero or prints nothing is an error (EX_CONFIG for a missing program,
 * also when /bin/sh says so with exit status 126 or 127; EX_NOPERM for a
 * non-zero exit or a signal; EX_CONFIG for no password, a NUL byte in it or
 * more than 64 KiB of output, after which the command is sent SIGTERM).
 * Messages name the program, never its arguments or its output. */
int pwcmd_run(const char *cmd, char **secret_out, struct err *err)
	__attribute__((warn_unused_result));

/* Wipe and free a secret from pwcmd_run(); NULL is fine. */
void pwcmd_free(char *secret);

#endif
