/*
 * mutf7: IMAP's modified UTF-7 for mailbox names (RFC 3501 5.1.3), to and
 * from UTF-8.  Printable US-ASCII but "&" stands for itself, "&" is "&-",
 * everything else is UTF-16 in base64 with "," for "/", between "&" and
 * "-".  Both directions are strict, so that one name has one spelling: the
 * decoder refuses what an encoder never writes (8-bit or control bytes,
 * printable ASCII inside base64, two base64 runs back to back, an
 * unterminated run, leftover or non-zero padding bits, a lone surrogate,
 * U+0000), and decode(encode(s)) == s, encode(decode(m)) == m.
 */
#ifndef SUREL_MUTF7_H
#define SUREL_MUTF7_H

/* The modified UTF-7 spelling of the UTF-8 string utf8, or NULL when it is
 * not valid UTF-8 (strict: no overlongs, no surrogates, nothing past
 * U+10FFFF).  Caller frees. */
char *mutf7_encode(const char *utf8);

/* The UTF-8 name spelled by the modified UTF-7 string s, or NULL when s is
 * not valid modified UTF-7 (see above).  Caller frees. */
char *mutf7_decode(const char *s);

#endif
