/*
 * queue_env: the queue's envelope file format, in both directions (the
 * envelope object itself and the store are queue.h's; this module goes
 * through queue.h's accessors only).  Its reader gets bytes from the disk,
 * so it has its own fuzz target (tests/fuzz/fuzz_queue_env.c).
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue_env.h"
#include "xalloc.h"

void queue_env_format(const struct queue_env *e, struct buf *out)
{
	size_t i, n = queue_env_rcpt_count(e);
	const char *sender = queue_env_sender(e);

	buf_printf(out, "version %d\n", QUEUE_ENV_VERSION);
	if (queue_env_id(e))
		buf_printf(out, "id %s\n", queue_env_id(e));
	if (queue_env_account(e)[0])
		buf_printf(out, "account %s\n", queue_env_account(e));
	buf_printf(out, "sender %s\n", sender[0] ? sender : "<>");
	buf_printf(out, "created %lld\nnext_attempt %lld\nattempts %u\nsize %zu\n",
		   (long long)queue_env_created(e), (long long)queue_env_next_attempt(e),
		   queue_env_attempts(e), queue_env_size(e));
	if (queue_env_error(e))
		buf_printf(out, "error %s\n", queue_env_error(e));
	if (queue_env_dsn_notify(e))
		buf_printf(out, "dsn_notify %s\n", queue_env_dsn_notify(e));
	if (queue_env_dsn_ret(e))
		buf_printf(out, "dsn_ret %s\n", queue_env_dsn_ret(e));
	if (queue_env_envid_set(e))
		buf_printf(out, "envid %s\n", queue_env_envid(e));
	if (queue_env_delay_warned(e))
		buf_puts(out, "delay_warned 1\n");
	if (queue_env_delay_pending(e))
		buf_puts(out, "delay_pending 1\n");
	for (i = 0; i < n; i++)
		buf_printf(out, "rcpt %s %s\n", queue_rcpt_status_name(queue_env_rcpt_status(e, i)),
			   queue_env_rcpt_addr(e, i));
	for (i = 0; i < n; i++) {
		if (queue_env_rcpt_reply(e, i))
			buf_printf(out, "reply %s %s\n", queue_env_rcpt_addr(e, i),
				   queue_env_rcpt_reply(e, i));
	}
	for (i = 0; i < n; i++) {
		if (queue_env_rcpt_notified(e, i))
			buf_printf(out, "notified %s\n", queue_env_rcpt_addr(e, i));
	}
}

/* A non-negative decimal number that fits max. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

/* The index of recipient addr in e, or the number of recipients. */
static size_t rcpt_index(const struct queue_env *e, const char *addr)
{
	size_t i, n = queue_env_rcpt_count(e);

	for (i = 0; i < n; i++)
		if (strcmp(queue_env_rcpt_addr(e, i), addr) == 0)
			break;
	return i;
}

/* The status named s; -1 when none is. */
static int rcpt_status_of(const char *s)
{
	static const enum queue_rcpt_status all[] = { QUEUE_RCPT_PENDING, QUEUE_RCPT_SENT,
						      QUEUE_RCPT_BOUNCED, QUEUE_RCPT_DEFERRED };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, queue_rcpt_status_name(all[i])) == 0)
			return (int)all[i];
	return -1;
}

/* One "key value" line; value may be empty.  Returns -1 with err set. */
static int parse_line(struct queue_env *e, char *key, char *val, const char *name,
		      unsigned lineno, int *version, struct err *err)
{
	unsigned long long n;
	const char *base = strrchr(name, '/');
	size_t i;
	int st;
	char *sp;

	if (strcmp(key, "version") == 0) {
		if (parse_num(val, INT_MAX, &n) < 0 || n == 0)
			goto bad;
		if (n > QUEUE_ENV_VERSION)
			return err_set(err, EX_DATAERR,
				       "envelope '%s' line %u: unsupported version %llu (newer than %d)",
				       name, lineno, n, QUEUE_ENV_VERSION);
		*version = (int)n;
	} else if (strcmp(key, "id") == 0) {
		if (!queue_id_valid(val) || strcmp(val, base ? base + 1 : name) != 0)
			return err_set(err, EX_DATAERR,
				       "envelope '%s' line %u: id '%s' does not match the file name",
				       name, lineno, val);
	} else if (strcmp(key, "account") == 0) {
		if (queue_env_set_account(e, val, err) < 0)
			goto bad;
	} else if (strcmp(key, "sender") == 0) {
		if (queue_env_set_sender(e, strcmp(val, "<>") == 0 ? "" : val, err) < 0)
			goto bad;
	} else if (strcmp(key, "created") == 0 || strcmp(key, "next_attempt") == 0) {
		if (parse_num(val, (unsigned long long)LLONG_MAX, &n) < 0)
			goto bad;
		if (key[0] == 'c')
			queue_env_set_created(e, (time_t)n);
		else
			queue_env_set_next_attempt(e, (time_t)n);
	} else if (strcmp(key, "attempts") == 0) {
		if (parse_num(val, UINT_MAX, &n) < 0)
			goto bad;
		queue_env_set_attempts(e, (unsigned)n);
	} else if (strcmp(key, "size") == 0) {
		if (parse_num(val, SIZE_MAX, &n) < 0)
			goto bad;
		queue_env_set_size(e, (size_t)n);
	} else if (strcmp(key, "error") == 0) {
		queue_env_set_error(e, val);
	} else if (strcmp(key, "dsn_notify") == 0 || strcmp(key, "dsn_ret") == 0 ||
		   strcmp(key, "envid") == 0) {
		const char *envid = queue_env_envid_set(e) ? queue_env_envid(e) : NULL;

		if (queue_env_set_dsn(e, key[4] == 'n' ? val : queue_env_dsn_notify(e),
				      key[4] == 'r' ? val : queue_env_dsn_ret(e),
				      key[0] == 'e' ? val : envid, err) < 0)
			goto bad;
	} else if (strcmp(key, "delay_warned") == 0) {
		queue_env_set_delay_warned(e);
	} else if (strcmp(key, "delay_pending") == 0) {
		queue_env_set_delay_pending(e);
	} else if (strcmp(key, "rcpt") == 0) {
		sp = strchr(val, ' ');
		if (!sp)
			goto bad;
		*sp = '\0';
		st = rcpt_status_of(val);
		if (st < 0 || queue_env_add_rcpt(e, sp + 1, err) < 0) {
			*sp = ' ';
			goto bad;
		}
		queue_env_set_rcpt(e, queue_env_rcpt_count(e) - 1, (enum queue_rcpt_status)st, NULL);
	} else if (strcmp(key, "reply") == 0) {
		sp = strchr(val, ' ');
		if (!sp)
			goto bad;
		*sp = '\0';
		i = rcpt_index(e, val);
		if (i == queue_env_rcpt_count(e))
			return err_set(err, EX_DATAERR,
				       "envelope '%s' line %u: reply for '%s', which is no recipient",
				       name, lineno, val);
		queue_env_set_rcpt(e, i, queue_env_rcpt_status(e, i), sp + 1);
	} else if (strcmp(key, "notified") == 0) {
		i = rcpt_index(e, val);
		if (i == queue_env_rcpt_count(e))
			return err_set(err, EX_DATAERR,
				       "envelope '%s' line %u: notified for '%s', which is no recipient",
				       name, lineno, val);
		queue_env_set_rcpt_notified(e, i);
	}
	/* Any other key comes from a newer writer of the same version and is
	 * ignored on purpose. */
	return 0;

bad:
	return err_set(err, EX_DATAERR, "envelope '%s' line %u: bad %s value '%.80s'", name,
		       lineno, key, val);
}

struct queue_env *queue_env_parse(const char *data, size_t len, const char *name,
				  struct err *err)
{
	struct queue_env *e = queue_env_new();
	char *copy = xmemdup(data, len), *line = copy, *end = copy + len, *nl, *sp;
	unsigned lineno = 0;
	int version = 0;

	if (memchr(data, '\0', len)) {
		err_set(err, EX_DATAERR, "envelope '%s': contains NUL bytes", name);
		goto fail;
	}
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl) {
			/* Our writer ends every line; a cut last line means the
			 * file is not what we wrote. */
			err_set(err, EX_DATAERR, "envelope '%s' line %u: truncated", name,
				lineno + 1);
			goto fail;
		}
		*nl = '\0';
		lineno++;
		if (line[0] != '\0' && line[0] != '#') {
			sp = strchr(line, ' ');
			if (sp)
				*sp = '\0';
			if (parse_line(e, line, sp ? sp + 1 : nl, name, lineno, &version, err) < 0)
				goto fail;
		}
		line = nl + 1;
	}
	if (version == 0) {
		err_set(err, EX_DATAERR, "envelope '%s': no version line", name);
		goto fail;
	}
	if (queue_env_rcpt_count(e) == 0) {
		err_set(err, EX_DATAERR, "envelope '%s': no recipients", name);
		goto fail;
	}
	free(copy);
	return e;

fail:
	free(copy);
	queue_env_free(e);
	return NULL;
}
