/*
 * ascii: character classes and case folding for protocol text, the same
 * in every locale (the MUA calls setlocale, and <ctype.h> and strcasecmp
 * follow it: 'I' is not the upper case of 'i' everywhere).  Inline, as the
 * message parser calls them for every byte of a header.
 */
#ifndef SUREL_ASCII_H
#define SUREL_ASCII_H

#include <stddef.h>

/* Space or tab (RFC 5322 WSP). */
static inline int ascii_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Python's str.split()/strip() whitespace, restricted to ASCII: 8-bit
 * bytes reach Python's email package as surrogates, which are not
 * whitespace. */
static inline int ascii_is_pyspace(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static inline int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The value of hex digit c (either case), or -1 when c is not one. */
static inline int ascii_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether the alen bytes at a equal the string b, ignoring ASCII case. */
static inline int ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!b[i] || ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
	return b[i] == '\0';
}

#endif
