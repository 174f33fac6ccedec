/*
 * queue_env: the envelope file format of the queue: an envelope (queue.h)
 * to the bytes of its file and back.  It knows nothing of the store; the
 * queue reads and writes the files.
 * Ownership: the caller keeps what it passes in; queue_env_parse()'s
 * result is the caller's to free with queue_env_free().
 */
#ifndef SUREL_QUEUE_ENV_H
#define SUREL_QUEUE_ENV_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "queue.h"

/* The version written into every envelope; newer files are refused. */
#define QUEUE_ENV_VERSION 1

/* The envelope file format: LF-terminated "key value" lines.
 *   version 1            required; a larger number is refused
 *   id ID                must match the file name when present
 *   account NAME         absent = no account
 *   sender ADDR | <>
 *   created EPOCH        next_attempt EPOCH     attempts N     size N
 *   error TEXT
 *   rcpt STATUS ADDR     one per recipient, in order
 *   reply ADDR TEXT      last reply for that (earlier declared) recipient
 *   notified ADDR        that bounced recipient's bounce is stored
 *   dsn_notify V  dsn_ret V  envid V   sendmail's -N, -R, -V (RFC 3461)
 *   delay_warned 1       the delay warning (delay_warning) is stored
 *   delay_pending 1      it was being stored: look for it before storing
 * Unknown keys are ignored so an older reader can open a newer file of the
 * same version; a bad value is an error naming the file and line.  The
 * state is not in the file: it is the directory the file is in. */
void queue_env_format(const struct queue_env *e, struct buf *out);
/* Parse len bytes; name (the file path) is used in error messages and its
 * last component checked against the id line.  EX_DATAERR on bad input. */
struct queue_env *queue_env_parse(const char *data, size_t len, const char *name,
				  struct err *err) QUEUE_WUR;

#endif
