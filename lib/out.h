/*
 * out: a command's standard output.  A failed write there (a closed pipe,
 * a full disk behind a redirection) is an error like any other, EX_IOERR
 * "cannot write output", so `spool ls > file` on a full disk cannot exit 0.
 */
#ifndef SUREL_OUT_H
#define SUREL_OUT_H

#include <stddef.h>

#include "err.h"

/* Write n bytes of p to stdout (buffered). */
int out_write(const void *p, size_t n, struct err *err);

/* Flush stdout and check that nothing written to it so far failed. */
int out_flush(struct err *err);

#endif
