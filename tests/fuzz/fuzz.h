/*
 * Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): checks
 * that abort (libFuzzer then saves the input), an exact-size copy of the
 * input and a private temporary file for modules that read from a path.  Each target defines
 * LLVMFuzzerTestOneInput() and keeps no state between inputs except the
 * temporary directory, removed at exit.
 */
#ifndef SUREL_FUZZ_H
#define SUREL_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code under test promises; abort with the reason. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* An exact-size heap copy of the n bytes at p, so ASan sees any read past
 * the end; the caller frees it. */
__attribute__((unused)) static char *fuzz_copy(const uint8_t *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	return c;
}

static char fuzz_dir[64];
static char fuzz_file[96];

__attribute__((unused)) static void fuzz_cleanup(void)
{
	unlink(fuzz_file);
	rmdir(fuzz_dir);
}

/* Write size bytes to a file that only this process uses (mode 0600) and
 * return its path; the same path every call. */
__attribute__((unused)) static const char *fuzz_tmpfile(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int fd;

	if (!fuzz_dir[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/surel-fuzz.XXXXXX",
			 t && *t && strlen(t) < 32 ? t : "/tmp");
		if (!mkdtemp(fuzz_dir)) {
			perror("mkdtemp");
			abort();
		}
		snprintf(fuzz_file, sizeof(fuzz_file), "%s/input", fuzz_dir);
		atexit(fuzz_cleanup);
	}
	fd = open(fuzz_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(fuzz_file);
		abort();
	}
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror(fuzz_file);
			abort();
		}
		off += (size_t)n;
	}
	close(fd);
	return fuzz_file;
}

#endif
