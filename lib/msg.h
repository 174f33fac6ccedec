/*
 * msg: the message model.  msg_parse() turns the bytes of one RFC 5322
 * message into headers, addresses and a MIME part tree; accessors decode on
 * request (RFC 2047/2231, quoted-printable/base64, charsets to UTF-8).
 * Malformed input never fails the parse: the model is built as well as it
 * can be and the original bytes are left untouched.  Decoders themselves
 * live in codec.h, the readers of address lists, dates and MIME parameters
 * in addr.h, date.h and param.h; reading files from a Maildir is
 * maildir.h's job.
 *
 * Ownership: a struct msg borrows the bytes given to msg_parse(), which must
 * stay valid and unchanged until msg_free().  Every `const char *` returned
 * is borrowed from the msg and valid until msg_free(); every `char *` is the
 * caller's to free().
 */
#ifndef SUREL_MSG_H
#define SUREL_MSG_H

#include <stddef.h>
#include <time.h>

#include "addr.h"
#include "buf.h"

struct msg;
struct msg_part;

enum msg_flags {
	MSG_HEADERS_ONLY = 1u << 0,  /* stop after the header block (index use) */
};

/* Parse len bytes at data.  Never fails on bad input; returns NULL only if
 * len is absurd (> 2 GiB).  flags: enum msg_flags. */
struct msg *msg_parse(const char *data, size_t len, unsigned flags);
void msg_free(struct msg *m);

/* Header access, names case-insensitive, first occurrence. */
/* Raw value, unfolded (CRLF/LF + WSP joined), leading blanks trimmed; NULL
 * when the header is absent. */
const char *msg_header(const struct msg *m, const char *name);
/* Number of header fields, and the i-th (raw name and unfolded value). */
size_t msg_header_count(const struct msg *m);
void msg_header_at(const struct msg *m, size_t i, const char **name_out,
		   const char **value_out);
/* RFC 2047-decoded, charset-converted UTF-8 value of a header (NULL when
 * absent); never contains invalid UTF-8. */
char *msg_header_decoded(const struct msg *m, const char *name);

/* The Subject, decoded (NULL when absent). */
const char *msg_subject(const struct msg *m);
/* Message-ID without the angle brackets (NULL when absent or empty). */
const char *msg_message_id(const struct msg *m);
/* The same of the message (or header block) of len bytes at data, parsed
 * for it alone; NULL when it has none.  Caller frees. */
char *msg_message_id_of(const char *data, size_t len);

/* For writing MIME: into b (reset first) prefix and 24 random hex digits,
 * a boundary that none of the n pieces holds (RFC 2046 5.1.1). */
void msg_new_boundary(struct buf *b, const char *prefix, const struct buf *pieces, size_t n);
/* Date as seconds since the epoch; returns 0, or -1 when the header is
 * absent or cannot be understood. */
int msg_date(const struct msg *m, time_t *out);

/* The mailboxes of an address header (From, To, Cc, Bcc, Reply-To, Sender)
 * as addr_parse_list() reads them; group names are dropped, their members
 * kept.  Returns the count (0 when absent); *out is an array the caller
 * frees with addr_list_free(). */
size_t msg_addrs(const struct msg *m, const char *header, struct addr_mbox **out);

/* The text/plain part a reader would see: the first text/plain leaf that is
 * not an attachment, searching multiparts depth-first (in a
 * multipart/alternative the plain alternative), not descending into
 * message/rfc822.  Transfer-decoded, converted to UTF-8, CRLF turned into
 * LF.  NULL when there is none. */
char *msg_text(const struct msg *m);
/* msg_text() with its length in *len_out (may be NULL), for text that
 * holds NUL bytes. */
char *msg_text_n(const struct msg *m, size_t *len_out);
/* Whether that part says format=flowed (RFC 3676); *delsp (may be NULL)
 * set to whether it says DelSp=yes.  0 when there is no such part. */
int msg_text_flowed(const struct msg *m, int *delsp);

/* Leaf MIME parts in depth-first order (a non-multipart message is one
 * leaf; a message/rfc822 part is one leaf). */
size_t msg_part_count(const struct msg *m);
const struct msg_part *msg_part_at(const struct msg *m, size_t i);
/* "type/subtype" lowercased without parameters; defaults per RFC 2045/2046
 * (text/plain, or message/rfc822 inside multipart/digest). */
const char *msg_part_type(const struct msg_part *p);
/* A Content-Type parameter (RFC 2231 continuations and charsets decoded to
 * UTF-8); NULL when absent. */
const char *msg_part_param(const struct msg_part *p, const char *name);
/* Filename from Content-Disposition filename, else Content-Type name,
 * RFC 2231/2047-decoded to UTF-8; NULL when none. */
const char *msg_part_filename(const struct msg_part *p);
/* Whether Content-Disposition says attachment. */
int msg_part_is_attachment(const struct msg_part *p);
/* Size of the transfer-decoded body in bytes (for message/rfc822, the
 * embedded message as it stands). */
size_t msg_part_size(const struct msg_part *p);
/* Append the transfer-decoded body to out. */
void msg_part_decode(const struct msg_part *p, struct buf *out);
/* Append the body decoded and converted to UTF-8 (for text parts). */
void msg_part_text(const struct msg_part *p, struct buf *out);

#endif
