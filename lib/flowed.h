/*
 * flowed: format=flowed text (RFC 3676) as paragraphs and back.
 * Decoding turns the physical lines of a flowed body into paragraphs, each
 * with its quote depth, space-stuffing and soft breaks removed (DelSp
 * honoured); encoding writes paragraphs as flowed lines of a given width.
 * Pure functions over buffers: inputs stay the caller's, output is appended
 * to a struct buf.  Bytes are not interpreted beyond ASCII, so UTF-8 input
 * gives UTF-8 output.
 */
#ifndef SUREL_FLOWED_H
#define SUREL_FLOWED_H

#include <stddef.h>

#include "buf.h"

/* Called once per paragraph, in order: its quote depth and its text (no
 * quote marks, no line break; a signature separator is the text "-- "). */
typedef void flowed_para_fn(void *arg, int depth, const char *text, size_t len);

/* Decode len bytes of flowed text (LF or CRLF lines); delsp as the
 * DelSp parameter says.  A paragraph ends at a hard line, a change of
 * quote depth or the end of the input; trailing blanks of a paragraph
 * (left by soft breaks) are dropped. */
void flowed_decode(const char *in, size_t len, int delsp, flowed_para_fn *fn, void *arg);

/* Append one paragraph as flowed lines (LF-terminated) of at most width
 * characters where the words allow: soft breaks keep a trailing blank,
 * the hard last line has none, lines are space-stuffed as needed. */
void flowed_encode_para(struct buf *out, int depth, const char *text, size_t len, size_t width);

/* Append one paragraph wrapped at width characters as plain lines (no
 * trailing blanks but the signature separator's): each prefixed with depth
 * '>' and a blank when depth > 0. */
void flowed_wrap_para(struct buf *out, int depth, const char *text, size_t len, size_t width);

/* Encode text the user wrote (LF lines, each a paragraph; leading '>'
 * give its quote depth, one blank after them is dropped) as flowed text
 * of the given width. */
void flowed_encode(const char *in, size_t len, size_t width, struct buf *out);

/* The paragraphs of flowed text, one per LF-terminated line: depth '>'
 * and a blank, then the text (an empty quoted paragraph is the '>' alone). */
void flowed_unflow(const char *in, size_t len, int delsp, struct buf *out);

#endif
