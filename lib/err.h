/*
 * err: the error detail every fallible function fills for its caller.
 * A struct err carries a sysexits class, the errno seen (0 if none) and one
 * line of text; filling it never allocates.  A program's main() ends every
 * failure with err_report(), the one place an error reaches the terminal;
 * nothing else here prints or exits.
 */
#ifndef SUREL_ERR_H
#define SUREL_ERR_H

#include <sysexits.h>

struct err {
	int code;       /* EX_* from <sysexits.h>; 0 while no error was set */
	int errnum;     /* errno at the failure, 0 when not a system error */
	char msg[256];  /* "what failed: why", lowercase, no final period */
};

#define ERR_INIT { 0, 0, { 0 } }

/* Fill err (may be NULL) with code and a formatted message; returns -1. */
int err_set(struct err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set, appending ": strerror(errno)" and saving errno. */
int err_sys(struct err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "context: " in front of the message already in err. */
void err_prefix(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Whether the same operation, tried again later, may succeed: EX_TEMPFAIL
 * (an unreachable or lost server, a full or read-only disk: afile_err_code()
 * sorts errno values into it), EX_OSERR (resources: fork, pipes, memory) and
 * EX_PROTOCOL (a server reply that was not understood, or a refusal without
 * a response code saying it is permanent).  Not temporary: a certificate
 * that does not verify or a missing STARTTLS (EX_UNAVAILABLE), a refused
 * login (EX_NOPERM), configuration and usage errors, and EX_IOERR, which
 * afile gives only to I/O errors that waiting does not cure.  `spool watch`
 * retries exactly these, and sendq -bs answers them with 451 rather than 554.
 */
int err_is_temp(const struct err *err);

/*
 * Print err as the one line "PROGRAM: message" on stderr (PROGRAM as given
 * to log_set_prog()), with every control character and invalid UTF-8
 * sequence made inert (codec_sanitize), since messages quote addresses,
 * header text and server replies.  Returns the exit status for main():
 * err->code, or EX_SOFTWARE when no class was set.
 */
int err_report(const struct err *err);

/* Clear err so it can be reused. */
void err_clear(struct err *err);

#endif
