/*
 * bodysearch: ~b of the limit pattern for one message, read in pieces so
 * a folder of big messages is searched in bounded memory, with progress
 * reported and a way to stop between pieces.  The body (after the header
 * block) is searched raw, all of it, in a window that spans piece
 * boundaries; when that finds nothing, the text a reader sees (msg_text:
 * transfer-decoded, converted to UTF-8) of the first BODYSEARCH_DECODE_MAX
 * bytes is searched, which catches quoted-printable and base64 text parts.
 * An encrypted body is searched as it is stored, never decrypted: only
 * the pager opens OpenPGP layers (cryptomsg.h).
 * Matching is pattern_contains() (ASCII case folded).  Opening files is
 * mailbox.h's; the pattern language pattern.h's.
 */
#ifndef SUREL_BODYSEARCH_H
#define SUREL_BODYSEARCH_H

#include <stddef.h>

#define BODYSEARCH_CHUNK (64u * 1024)
#define BODYSEARCH_DECODE_MAX (1024u * 1024)

/* Called after each piece with the bytes of this message read so far;
 * non-zero stops the search. */
typedef int (*bodysearch_progress_fn)(void *arg, size_t bytes);

/* Search the message readable from fd (read to its end or a match; not
 * closed) for needle.  1 found, 0 not, -1 stopped by progress or a read
 * error.  progress may be NULL. */
int bodysearch_fd(int fd, const char *needle, bodysearch_progress_fn progress, void *arg);
/* The same over len bytes in memory (an mbox message), piece by piece. */
int bodysearch_mem(const char *data, size_t len, const char *needle,
		   bodysearch_progress_fn progress, void *arg);

#endif
