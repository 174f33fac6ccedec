/*
 * codec: the byte-level decoders of mail text.  Content-Transfer-Encodings
 * (quoted-printable, base64), RFC 2047 encoded words, RFC 2231 parameter
 * values, charset conversion to UTF-8, and sanitising text for a terminal.
 * All decoders are lenient (bad input gives a best-effort result, never an
 * error or a crash) and append to a struct buf.  Where message structure is
 * involved (which part, which header) use msg.h instead.
 */
#ifndef SUREL_CODEC_H
#define SUREL_CODEC_H

#include <stddef.h>

#include "buf.h"

/* Streaming decoders: feed input in pieces of any size; the output is the
 * same as feeding it whole.  Call _finish once at the end.  The state struct
 * is the caller's (embedded); zero it with _init. */
struct codec_qp {
	unsigned char pend[80]; /* undecided bytes: "=", "=X", trailing blanks */
	size_t npend;
};
void codec_qp_init(struct codec_qp *st);
void codec_qp_feed(struct codec_qp *st, const char *in, size_t len, struct buf *out);
void codec_qp_finish(struct codec_qp *st, struct buf *out);

struct codec_b64 {
	unsigned bits;
	int nbits;
};
void codec_b64_init(struct codec_b64 *st);
void codec_b64_feed(struct codec_b64 *st, const char *in, size_t len, struct buf *out);
void codec_b64_finish(struct codec_b64 *st, struct buf *out);

/* Whole-buffer conveniences over the streaming decoders. */
void codec_qp_decode(const char *in, size_t len, struct buf *out);
void codec_b64_decode(const char *in, size_t len, struct buf *out);

/* Convert len bytes in charset (NULL or unknown: guess) to UTF-8 appended to
 * out.  Invalid sequences become U+FFFD; the result is always valid UTF-8.
 * A charset that lies (us-ascii with 8-bit bytes, utf-8 that is not) falls
 * back to UTF-8 when the bytes are valid UTF-8, else windows-1252.
 * Returns 0 when converted as labelled, 1 when a fallback was used. */
int codec_to_utf8(const char *charset, const char *in, size_t len, struct buf *out);

/* Whether len bytes are valid UTF-8 (no overlongs, no surrogates). */
int codec_utf8_valid(const char *in, size_t len);

/* Decode a header value with RFC 2047 encoded words (=?cs?B|Q?...?=) to
 * UTF-8, dropping whitespace between adjacent encoded words; raw 8-bit
 * bytes outside encoded words are taken as UTF-8 if valid, else
 * windows-1252. */
void codec_rfc2047_decode(const char *in, size_t len, struct buf *out);

/* Decode an RFC 2231 extended value "charset'lang'%XX..." to UTF-8. */
void codec_rfc2231_decode(const char *in, size_t len, struct buf *out);

enum codec_sanitize_flags {
	CODEC_KEEP_NEWLINES = 1u << 0,  /* keep \n (and \t) as they are */
};
/* Copy UTF-8 text to out so it is safe on a terminal: C0/C1 controls, ESC
 * and DEL become U+FFFD or are dropped (escape sequences lose their ESC and
 * so are inert), tabs become a space unless CODEC_KEEP_NEWLINES. */
void codec_sanitize(const char *in, size_t len, unsigned flags, struct buf *out);

#endif
