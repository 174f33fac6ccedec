/*
 * pwcmd: run an account's password_cmd and capture its first output line.
 * The command runs without a shell (split on blanks, '...' and "..." quote)
 * unless it uses shell syntax (| & ; < > $ ` ( ) * ? etc.), then via
 * /bin/sh -c.  Its stdin is /dev/null, stderr passes through.  The secret is
 * never logged; free it with pwcmd_free(), which wipes it first.
 * pwcmd_spawn() is the fork/exec both this and address_cmd (abook) use.
 */
#ifndef SUREL_PWCMD_H
#define SUREL_PWCMD_H

#include <sys/types.h>

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

/* Whether cmd needs a real shell (redirection, pipelines, expansions,
 * globs, quoting beyond '...' and "..."); otherwise it is split on blanks
 * and run without one. */
int pwcmd_needs_shell(const char *cmd);
/* Free a NULL-terminated argv and its strings; NULL is fine. */
void pwcmd_argv_free(char **argv);

/* Flags for pwcmd_spawn(). */
#define PWCMD_SPAWN_PGRP  1u /* child leads a process group of its own */
#define PWCMD_SPAWN_QUIET 2u /* child's stderr goes to /dev/null */

/* Start argv (argv[0] looked up in PATH) with stdin on /dev/null, stdout on
 * out_fd, default SIGPIPE and no blocked signals; key is the config key
 * named in errors ("password_cmd", "address_cmd").  On success *pid_out is
 * the child, which the caller waits for.  A program that cannot be run is
 * EX_CONFIG, after the failed child has been reaped. */
int pwcmd_spawn(char *const argv[], int out_fd, unsigned flags, const char *key,
		pid_t *pid_out, struct err *err)
	__attribute__((warn_unused_result));

#endif
