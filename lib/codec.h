/*
 * codec: the byte-level decoders and encoders of mail text.
 * Content-Transfer-Encodings (quoted-printable, base64), RFC 2047 encoded
 * words, RFC 2231 parameter values, charset conversion to UTF-8, and
 * sanitising text for a terminal.  All decoders are lenient (bad input gives
 * a best-effort result, never an error or a crash) and append to a struct
 * buf.  Where message structure is involved (which part, which header) use
 * msg.h instead.  Every function appends to `out` and leaves ownership of
 * its inputs with the caller.
 */
#ifndef SUREL_CODEC_H
#define SUREL_CODEC_H

#include <stddef.h>

#include "buf.h"

/* Streaming decoders: feed input in pieces of any size; the output is the
 * same as feeding it whole.  Call _finish once at the end (it also makes the
 * state ready for a new stream).  The state struct is the caller's
 * (embedded); set it up with _init, never by hand. */

/* Quoted-printable (RFC 2045 6.7), byte for byte as Python's
 * binascii.a2b_qp (quopri), which is what the reference for `spool show
 * --json` decodes with:
 * - "=XY" with hex digits in either case is the byte XY;
 * - "=" LF is a soft line break and vanishes; so does "=" CR and everything
 *   after it up to and including the next LF (or the end of the input);
 *   a final "=" at the end of the input vanishes too;
 * - "==" is one "=" (both are used up: "==41" gives "=41");
 * - any other "=" is kept literally and the bytes after it are decoded as
 *   usual ("=G1" stays "=G1", "= \n" stays "= \n", "=4" at the end stays);
 * - everything else, trailing blanks and line ends included, is copied as
 *   it is.  Unlike RFC 2045 rule 3 we strip no trailing blanks: Python
 *   keeps them, and the decoded size must match its. */
struct codec_qp {
	int state;              /* private */
	unsigned char hex;      /* private: the first digit of "=X" */
};
void codec_qp_init(struct codec_qp *st);
void codec_qp_feed(struct codec_qp *st, const char *in, size_t len, struct buf *out);
void codec_qp_finish(struct codec_qp *st, struct buf *out);

/* Base64 (RFC 2045 6.8): characters outside the alphabet (line breaks,
 * blanks, junk) are skipped.  Padding that completes a group ("==" after two
 * characters, "=" after three, junk allowed in between) ends the data and
 * everything after it is ignored; any other "=" is skipped as junk (as
 * Python's a2b_base64 does).  Missing padding is fine: a trailing partial
 * group yields the bytes it determines (two characters give one byte, three
 * give two, a lone one gives none). */
struct codec_b64 {
	unsigned bits;
	int nbits;      /* pending bits; -1 once padding ended the data */
	int pads;       /* "=" seen after two characters of a group */
};
void codec_b64_init(struct codec_b64 *st);
void codec_b64_feed(struct codec_b64 *st, const char *in, size_t len, struct buf *out);
void codec_b64_finish(struct codec_b64 *st, struct buf *out);

/* Whole-buffer conveniences over the streaming decoders. */
void codec_qp_decode(const char *in, size_t len, struct buf *out);

enum codec_b64_flags {
	/* Exactly one character left over after the last full group (a
	 * length no encoder makes, and no padding ended the data): instead
	 * of the bytes decoded so far, the result is the input itself minus
	 * its CR and LF bytes, as Python's email package gives
	 * (email._encoded_words.decode_b, bpo-27397) for bodies and for B
	 * encoded words. */
	CODEC_B64_ODD_AS_TEXT = 1u << 0,
};
/* flags: enum codec_b64_flags; 0 gives what the streaming decoder gives. */
void codec_b64_decode(const char *in, size_t len, unsigned flags, struct buf *out);

/* Encoders, for the MUA and the queue.  Output line ends are LF; whoever
 * puts the text on the wire turns them into CRLF. */

/* Quoted-printable for a text body.  A line end in the input (CRLF or LF)
 * is a hard line end, written as LF; a CR without LF is encoded as =0D.
 * Bytes 33..126 except "=" are literal, and so are SP and TAB except at the
 * end of a line; everything else is =XY (upper case).  An "F" starting a
 * line is written =46 so that mbox "From " quoting cannot change the body.
 * Lines are soft-broken ("=" LF) to at most 76 characters; an =XY is never
 * split.  Empty input gives no output. */
void codec_qp_encode(const char *in, size_t len, struct buf *out);

/* Base64 in lines of 76 characters, each (the last too) ended by LF.
 * Empty input gives no output. */
void codec_b64_encode(const char *in, size_t len, struct buf *out);

/* Encode a UTF-8 header value for a message header (RFC 2047).  Text made
 * only of printable ASCII and blanks, with no "=?" in it, is copied
 * unchanged.  Otherwise each run of words that needs encoding (non-ASCII
 * bytes, control characters, or "=?") becomes one or more encoded words
 * "=?UTF-8?Q?...?=" (or "?B?" when that is clearly shorter) of at most 75
 * characters, separated by a single space; the blanks between words of one
 * run go inside the encoding, so decoding gives back the exact input.
 * Words that need no encoding stay readable.  A UTF-8 character is never
 * split between two encoded words (invalid bytes are carried one by one and
 * decode to U+FFFD).  The result has no CR or LF; the caller folds the
 * header at its spaces when it is longer than a line. */
void codec_rfc2047_encode(const char *utf8, size_t len, struct buf *out);

/* Whether UTF-8 text s must go in encoded words: it holds 8-bit or control
 * bytes, or "=?" that a decoder would take for an encoded word. */
int codec_rfc2047_needed(const char *s);

/* All of len bytes of UTF-8 as "=?UTF-8?B?...?=" words of at most 64
 * characters separated by single spaces, each cut between characters.
 * For where readable words between encoded ones would be wrong: a display
 * name with specials, a quoted parameter value. */
void codec_rfc2047_encode_b(const char *utf8, size_t len, struct buf *out);

/* Convert len bytes in charset to UTF-8 appended to out.  The result is
 * always valid UTF-8.
 * - The name is matched case-insensitively with the common aliases (utf8,
 *   latin1, ansi_x3.4-1968, cp1252, ...); supersets stand in for their
 *   subsets as mail readers do (gb2312/gbk: GB18030, ks_c_5601-1987/euc-kr:
 *   CP949, shift_jis: CP932, iso-8859-8-i: ISO-8859-8, x-mac-roman:
 *   MACINTOSH).  Anything else is handed to iconv(3) by name.
 * - charset NULL, empty, "x-unknown", "unknown-8bit" or a name iconv does not
 *   know: UTF-8 when the bytes are valid UTF-8, else windows-1252.
 * - us-ascii with 8-bit bytes (a lying label): likewise.
 * - iso-8859-1 is decoded as iso-8859-1 (C1 controls stay; codec_sanitize
 *   removes them before display).
 * - Invalid sequences in a known charset (utf-8 included) become U+FFFD
 *   and the conversion goes on; for UTF-8 one U+FFFD stands for each
 *   maximal ill-formed subpart, as Python's errors='replace' does.
 * Returns 0 when converted as labelled, 1 when the label was absent,
 * unknown or a lying us-ascii and the bytes were guessed. */
int codec_to_utf8(const char *charset, const char *in, size_t len, struct buf *out);

enum codec_charset_flags {
	/* Guess nothing, as Python's bytes.decode(charset, "replace") with
	 * a UTF-8 fallback for unknown labels (what email's get_content()
	 * and header parser do): an absent or unknown label reads the bytes
	 * as UTF-8, and us-ascii turns each 8-bit byte into one U+FFFD. */
	CODEC_NO_GUESS = 1u << 0,
};
/* codec_to_utf8() with flags (enum codec_charset_flags); the return value
 * says the same, though with CODEC_NO_GUESS nothing was guessed. */
int codec_to_utf8_flags(const char *charset, const char *in, size_t len, unsigned flags,
			struct buf *out);

/* Whether len bytes are valid UTF-8 (strict: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
int codec_utf8_valid(const char *in, size_t len);

/* Decode a header value with RFC 2047 encoded words (=?cs?B|Q?...?=, cs may
 * carry an RFC 2231 "*lang" suffix) to UTF-8, following Python's
 * email.policy.default for unstructured headers:
 * - blanks between two encoded words are dropped; the bytes of adjacent
 *   encoded words in the same charset are joined before charset conversion,
 *   so a character split across words survives;
 * - an encoded word counts even without blanks around it ("a=?utf-8?q?b?=c"
 *   gives "abc"); one starting a blank-separated token may contain blanks;
 * - a malformed encoded word (no "?=", unknown encoding letter, "?" in the
 *   text) is kept literally up to the next blank;
 * - raw 8-bit bytes outside encoded words are UTF-8 when valid, else
 *   windows-1252 (Python would give U+FFFD);
 * - a CR or LF followed by a blank is unfolded away, any other CR or LF
 *   becomes a space.
 * The result is valid UTF-8 but may hold control characters: sanitise it
 * before display. */
void codec_rfc2047_decode(const char *in, size_t len, struct buf *out);

/* codec_rfc2047_decode() as the message model reads headers: raw 8-bit
 * bytes are first made valid UTF-8 with U+FFFD for what is invalid, the
 * way Python sanitises surrogate-escaped header text (no windows-1252
 * guess). */
void codec_header_decode(const char *in, size_t len, struct buf *out);

/* Only the percent step of RFC 2231: "%XY" with two hex digits (either
 * case) is the byte XY, anything else (an invalid "%" included) is copied.
 * For callers that join continuation sections before converting them. */
void codec_pct_decode(const char *in, size_t len, struct buf *out);

enum codec_sanitize_flags {
	CODEC_KEEP_NEWLINES = 1u << 0,  /* keep \n (and \t) as they are */
};
/* Copy text to out so that it is safe on a terminal: no byte sequence can
 * reach the terminal as a control function.  Per character:
 * - invalid UTF-8 becomes U+FFFD (one per maximal ill-formed subpart);
 * - line ends and tabs: with CODEC_KEEP_NEWLINES, LF and TAB are kept,
 *   CRLF becomes LF and a lone CR becomes U+FFFD (it would move the cursor
 *   back over the line); without it, LF, CRLF, a lone CR and TAB each
 *   become one space;
 * - every other C0 control (NUL..US), ESC, DEL and the C1 controls
 *   U+0080..U+009F become U+FFFD, so an escape sequence loses its
 *   introducer and shows as inert text ("\e[31m" -> "\uFFFD[31m");
 * - the bidirectional embedding, override and isolate controls
 *   (U+202A..U+202E, U+2066..U+2069) are dropped, so text cannot reorder
 *   what follows it on screen;
 * - everything else is copied. */
void codec_sanitize(const char *in, size_t len, unsigned flags, struct buf *out);

#endif
