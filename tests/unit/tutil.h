/*
 * tutil: helpers shared by the unit suites: a fresh temporary directory per
 * test, and reading files from tests/data.
 */
#ifndef SUREL_TEST_TUTIL_H
#define SUREL_TEST_TUTIL_H

#include <stddef.h>

/* Make a fresh directory under $TMPDIR (or /tmp); returns its path, which
 * stays valid until tutil_rmtree(). */
const char *tutil_tmpdir(void);
/* Remove the directory made by tutil_tmpdir() and everything under it. */
void tutil_rmtree(void);
/* Read tests/data/<rel> whole; caller frees.  NULL if unreadable. */
char *tutil_read_data(const char *rel, size_t *len_out);
/* Write a file (parents must exist); returns 0 or -1. */
int tutil_write(const char *path, const void *data, size_t len);
/* Number of directory entries in path, not counting . and .., or -1. */
int tutil_count_entries(const char *path);
/* Remember the value (or absence) of environment variable name, for a
 * suite whose tests set it; tutil_env_restore() puts it back.  One
 * variable at a time. */
void tutil_env_save(const char *name);
void tutil_env_restore(void);

#endif
