/*
 * err: the error detail every fallible function fills for its caller.
 * A struct err carries a sysexits class, the errno seen (0 if none) and one
 * line of text; filling it never allocates.  Printing and exiting happen only
 * in a program's main(), never here.
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

/* Whether a retry later may succeed (the relay and fetcher decide on this). */
int err_is_temp(const struct err *err);

/* Clear err so it can be reused. */
void err_clear(struct err *err);

#endif
