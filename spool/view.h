/*
 * view: how spool presents messages to people and scripts: the JSON object
 * of `spool show --json` (the contract in doc/DESIGN.md, built with jansson),
 * the readable `spool show` text, and `spool ls` lines.  Every string that
 * came from a message is sanitised (codec_sanitize) in the text views; JSON
 * escapes control characters by itself.  Parsing is msg.h's job.
 */
#ifndef SUREL_VIEW_H
#define SUREL_VIEW_H

#include <jansson.h>
#include <time.h>

#include "buf.h"
#include "cryptomsg.h"
#include "msg.h"

/* The `spool show --json` object for m; caller releases with json_decref(). */
json_t *view_json(const struct msg *m);

/* Add the `crypto` member to a view_json() object o (the contract in
 * doc/DESIGN.md), and make its `text` (and, when decrypted, `parts`) those
 * of shown, the message cryptomsg_open() unwrapped (NULL when it unwrapped
 * nothing); `text` is null for an encrypted body that was not decrypted. */
void view_json_crypto(json_t *o, const struct cryptomsg *cm, const struct msg *shown);

/* The readable view: main headers, decoded text, attachment list. */
void view_text(const struct msg *m, struct buf *out);

/* view_text() of the message cryptomsg_open() unwrapped (headers with
 * the protected ones), with the crypto lines of cm between the headers and
 * the text: encrypted or not, one status line per signature, why a layer
 * could not be opened; no text for an encrypted body not decrypted. */
void view_text_crypto(const struct msg *m, const struct cryptomsg *cm, struct buf *out);

/* One `spool ls` line (no newline): key, date (local time), flags ("-"
 * when none), sender cut to 24 columns, subject.  date < 0 shows as
 * unknown. */
void view_ls_line(const char *key, const char *flags, time_t date, const char *from,
		  const char *subject, struct buf *out);

/* A JSON string of s, never a missing field: NULL gives null, bytes that
 * are not UTF-8 (file names) become U+FFFD.  New reference. */
json_t *view_json_text(const char *s);

#endif
