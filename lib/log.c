#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *prog_name = "surel";
static enum log_level log_level = LOG_LVL_WARN;
static int log_syslog;
static log_sink_fn log_sink;
static int log_stamps;

void log_set_prog(const char *prog)
{
	prog_name = prog;
}

const char *log_prog(void)
{
	return prog_name;
}

void log_init(enum log_level level, int use_syslog)
{
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(prog_name, LOG_PID, LOG_MAIL);
}

void log_set_timestamps(int on)
{
	log_stamps = on;
}

void log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
}

enum log_level log_get_level(void)
{
	return log_level;
}

static const char *stamp(char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
	return out;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024], when[32];
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (log_sink)
		log_sink(level, line);
	else if (log_syslog)
		syslog(prio[level], "%s", line);
	else if (log_stamps)
		fprintf(stderr, "%s %s: %s\n", stamp(when, sizeof(when)), prog_name, line);
	else
		fprintf(stderr, "%s: %s\n", prog_name, line);
}

/* Logging never changes errno, so a caller can log and then report it. */
#define LOG_FN(name, level)                  \
	void name(const char *fmt, ...)      \
	{                                    \
		int saved = errno;           \
		va_list ap;                  \
		va_start(ap, fmt);           \
		vlog(level, fmt, ap);        \
		va_end(ap);                  \
		errno = saved;               \
	}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
