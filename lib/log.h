/*
 * log: diagnostics for all programs.  Commands log to stderr, the daemons to
 * syslog.  log_warnx has OpenSMTPD's name: it appends no strerror(errno),
 * the caller puts the error in the text.  Never pass secrets here; text
 * from messages or servers must be sanitised (codec_sanitize) before it is
 * logged.
 */
#ifndef SUREL_LOG_H
#define SUREL_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* The running program's name, set once by main() before anything can be
 * printed ("surel" until then).  It starts every line written here, by
 * err_report() and by xalloc's out-of-memory exit, and names the program to
 * syslog.  prog is borrowed: it must live as long as the program (argv). */
void log_set_prog(const char *prog);
const char *log_prog(void);

/* level is the most verbose level shown (LOG_LVL_WARN by default, one -v
 * gives INFO, two give DEBUG). */
void log_init(enum log_level level, int use_syslog);
enum log_level log_get_level(void);

/* Start each stderr line with the time (UTC, ISO 8601), for a log file
 * that a daemon's stderr was pointed at; syslog stamps lines itself. */
void log_set_timestamps(int on);

/* Where lines go instead of stderr/syslog while set, e.g. the MUA's message
 * line while the screen is up (stderr would tear it).  line carries neither
 * the program's prefix nor a newline.  NULL restores the default. */
typedef void (*log_sink_fn)(enum log_level level, const char *line);
void log_set_sink(log_sink_fn fn);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
