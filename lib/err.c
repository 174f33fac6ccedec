#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "err.h"
#include "log.h"

static void vset(struct err *err, int code, int errnum, const char *fmt, va_list ap)
{
	int n;

	err->code = code;
	err->errnum = errnum;
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (n < 0)
		err->msg[0] = '\0';
	else if (errnum && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(errnum));
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vset(err, code, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int err_sys(struct err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vset(err, code, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

void err_prefix(struct err *err, const char *fmt, ...)
{
	char pre[sizeof(err->msg)];
	char both[2 * sizeof(err->msg) + 2];
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	snprintf(both, sizeof(both), "%s: %s", pre, err->msg);
	/* Too long a message loses its tail, never its context. */
	memcpy(err->msg, both, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
}

int err_is_temp(const struct err *err)
{
	return err && (err->code == EX_TEMPFAIL || err->code == EX_OSERR ||
		       err->code == EX_PROTOCOL);
}

int err_report(const struct err *err)
{
	struct buf line = BUF_INIT;

	codec_sanitize(err->msg, strnlen(err->msg, sizeof(err->msg)), 0, &line);
	fprintf(stderr, "%s: %s\n", log_prog(), line.len ? line.data : "internal error (no detail given)");
	buf_release(&line);
	return err->code ? err->code : EX_SOFTWARE;
}

void err_clear(struct err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->errnum = 0;
	err->msg[0] = '\0';
}
