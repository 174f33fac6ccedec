/*
 * html: HTML as plain text, for a message that has no text/plain part and
 * no mailcap entry to render its HTML: tags dropped (block elements become
 * line breaks, list items "* "), script, style and head contents left
 * out, white space collapsed outside <pre>, character references decoded.
 * It is no renderer (no tables, no CSS); w3m or lynx through mailcap.h
 * do that when the user has them.  Input is UTF-8 (msg_part_text).  Used by
 * the pager of surel and by the search index (spool/search_text.h).
 */
#ifndef SUREL_HTML_H
#define SUREL_HTML_H

#include <stddef.h>

#include "buf.h"

/* Append the text of the len bytes of HTML at s to out. */
void html_to_text(const char *s, size_t len, struct buf *out);

#endif
