/*
 * sendq: the outgoing queue from the command line.  This file owns argument
 * parsing (sendmail's options as well as our commands), output formats and
 * the one place where errors become a line on stderr and a sysexits code.
 * Queue commands are recognised only when the program runs as "sendq";
 * under any other name (sendmail, surel-sendmail) every operand is a
 * recipient, as sendmail's callers expect (there is a user called "list").
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SENDQ_FRONT
#include <curl/curl.h>
#include <jansson.h>
#endif

#include "buf.h"
#include "cfg.h"
#include "codec.h"
#ifndef SENDQ_FRONT
#include "daemon.h"
#include "flush.h"
#endif
#include "enqueue.h"
#include "log.h"
#include "queue.h"
#include "xalloc.h"

enum mode { MODE_MAIL, MODE_LIST, MODE_SMTP, MODE_FLUSH, MODE_NOTHING };


#ifdef SENDQ_FRONT
/*
 * The front end (sendq/sendq, surel-sendmail): this file built with
 * SENDQ_FRONT does the enqueue itself and hands everything else (queue
 * commands, -q, -bp, --help) to the full program, sendq-agent, with the
 * same arguments.  Only the enqueue is on the hot path of other programs
 * (cron, mutt), and without libcurl, GnuTLS and libetpan it starts in a
 * fraction of the time: the dynamic loader alone needs ~4 ms for those.
 */
static char **front_argv;

/* sendq-agent next to this program (a build tree, or an install that put
 * both in one directory), else in $(pkglibexecdir). */
static void exec_agent(void) __attribute__((noreturn));
static void exec_agent(void)
{
	struct err err = ERR_INIT;
	char self[4096], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	path = NULL;
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			path = xasprintf("%s/sendq-agent", self);
			if (access(path, X_OK) < 0) {
				free(path);
				path = NULL;
			}
		}
	}
	if (!path)
		path = xasprintf("%s/sendq-agent", PKGLIBEXECDIR);
	execv(path, front_argv);
	err_sys(&err, EX_UNAVAILABLE, "cannot run '%s'", path);
	free(path);
	exit(err_report(&err));
}
#endif

#ifndef SENDQ_FRONT
static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-t] [-i] [-f FROM] [-F NAME] [-A ACCOUNT] [--at TIME] [-v] [--] [RCPT...]\n"
		"       %s -bp | -bs | -q\n"
		"       sendq [-v] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  list [--json]      list the queue\n"
		"  show ID            show a message's envelope and text\n"
		"  rm ID...           remove messages\n"
		"  hold ID...         keep messages from being sent\n"
		"  release ID...      undo hold\n"
		"  retry [ID...]      try failed or waiting messages again now\n"
		"  flush [-A ACCOUNT] relay what is due, then exit\n"
		"  daemon [-A ACCOUNT] relay in the foreground as mail comes due\n"
		"\n"
		"TIME is 'YYYY-MM-DD HH:MM', 'HH:MM', '+30m', '+2h', '+1d' or '@EPOCH'.\n"
		"See sendq(1).\n", log_prog(), log_prog());
}

static int write_out(const void *p, size_t n, struct err *err)
{
	if (n && fwrite(p, 1, n, stdout) != n)
		return err_sys(err, EX_IOERR, "cannot write output");
	return 0;
}

static int flush_out(struct err *err)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		return err_sys(err, EX_IOERR, "cannot write output");
	return 0;
}

/* Text from the store may hold server replies: make it terminal-safe. */
static void put_safe(struct buf *b, const char *s)
{
	codec_sanitize(s, strlen(s), 0, b);
}

/* A JSON string of s, valid UTF-8 whatever s holds. */
static json_t *jstr(const char *s)
{
	struct buf b = BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	if (codec_utf8_valid(s, strlen(s)))
		return json_string(s);
	codec_to_utf8(NULL, s, strlen(s), &b);
	j = json_stringn(b.data, b.len);
	buf_release(&b);
	return j;
}

static void put_time(struct buf *b, time_t t)
{
	char s[32];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	buf_puts(b, s);
}

static json_t *env_json(const struct queue_env *e)
{
	json_t *o = json_object(), *rcpts = json_array(), *r;
	const char *acct = queue_env_account(e);
	size_t i;

	json_object_set_new(o, "id", jstr(queue_env_id(e)));
	json_object_set_new(o, "state", json_string(queue_state_name(queue_env_state(e))));
	json_object_set_new(o, "created", json_integer((json_int_t)queue_env_created(e)));
	json_object_set_new(o, "next_attempt",
			    json_integer((json_int_t)queue_env_next_attempt(e)));
	json_object_set_new(o, "attempts", json_integer((json_int_t)queue_env_attempts(e)));
	json_object_set_new(o, "size", json_integer((json_int_t)queue_env_size(e)));
	json_object_set_new(o, "account", acct[0] ? jstr(acct) : json_null());
	json_object_set_new(o, "sender", jstr(queue_env_sender(e)));
	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		r = json_object();
		json_object_set_new(r, "address", jstr(queue_env_rcpt_addr(e, i)));
		json_object_set_new(r, "status",
				    json_string(queue_rcpt_status_name(queue_env_rcpt_status(e, i))));
		json_object_set_new(r, "reply", jstr(queue_env_rcpt_reply(e, i)));
		json_array_append_new(rcpts, r);
	}
	json_object_set_new(o, "recipients", rcpts);
	json_object_set_new(o, "error", jstr(queue_env_error(e)));
	return o;
}

/* One message in the text listing (also what -bp prints):
 *   ID  STATE  SIZE  CREATED  [next TIME]  [attempts N]
 *     from SENDER [account NAME]
 *     to ADDR STATUS [REPLY]
 *     error: TEXT */
static void env_text(const struct queue_env *e, time_t now, struct buf *b)
{
	const char *s;
	size_t i;

	buf_printf(b, "%s  %s  %zu bytes  ", queue_env_id(e),
		   queue_state_name(queue_env_state(e)), queue_env_size(e));
	put_time(b, queue_env_created(e));
	if (queue_env_state(e) == QUEUE_ST_QUEUED && queue_env_next_attempt(e) > now) {
		buf_puts(b, "  next ");
		put_time(b, queue_env_next_attempt(e));
	}
	if (queue_env_attempts(e) > 0)
		buf_printf(b, "  attempts %u", queue_env_attempts(e));
	buf_puts(b, "\n  from ");
	s = queue_env_sender(e);
	put_safe(b, s[0] ? s : "<>");
	s = queue_env_account(e);
	if (s[0]) {
		buf_puts(b, "  account ");
		put_safe(b, s);
	}
	buf_putc(b, '\n');
	for (i = 0; i < queue_env_rcpt_count(e); i++) {
		buf_puts(b, "  to ");
		put_safe(b, queue_env_rcpt_addr(e, i));
		buf_printf(b, "  %s", queue_rcpt_status_name(queue_env_rcpt_status(e, i)));
		if ((s = queue_env_rcpt_reply(e, i)) != NULL) {
			buf_puts(b, "  ");
			put_safe(b, s);
		}
		buf_putc(b, '\n');
	}
	if ((s = queue_env_error(e)) != NULL) {
		buf_puts(b, "  error: ");
		put_safe(b, s);
		buf_putc(b, '\n');
	}
}

/* Run the recovery sweep, saying what it did with -v. */
static int recover(struct queue *q, struct err *err)
{
	struct queue_recovery r;

	if (queue_recover(q, QUEUE_STALE_AGE, &r, err) < 0)
		return -1;
	if (r.tmp_removed || r.orphans_removed || r.done_removed)
		log_info("recovery: stale temporary files removed: %u, bodies without envelope removed: %u, "
			 "relayed messages cleaned up: %u", r.tmp_removed, r.orphans_removed,
			 r.done_removed);
	if (r.broken)
		log_warnx("recovery: envelopes without a body moved to failed/: %u", r.broken);
	return 0;
}

static int cmd_list(struct queue *q, int json, int mailq, struct err *err)
{
	struct queue_env **list;
	struct buf b = BUF_INIT;
	json_t *arr;
	size_t n, i;
	time_t now = time(NULL);
	int rc;

	if (recover(q, err) < 0 || queue_list(q, &list, &n, err) < 0)
		return -1;
	if (json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, env_json(list[i]));
		queue_list_free(list, n);
		rc = json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(arr);
		if (rc < 0 || write_out("\n", 1, err) < 0)
			return err_sys(err, EX_IOERR, "cannot write output");
		return flush_out(err);
	}
	/* mailq's words, which scripts look for. */
	if (n == 0 && mailq)
		buf_puts(&b, "Mail queue is empty\n");
	for (i = 0; i < n; i++)
		env_text(list[i], now, &b);
	queue_list_free(list, n);
	rc = write_out(b.data, b.len, err);
	buf_release(&b);
	return rc < 0 ? -1 : flush_out(err);
}

static int cmd_show(struct queue *q, const char *id, struct err *err)
{
	struct queue_env *e = queue_load(q, id, err);
	struct buf b = BUF_INIT;
	char *body;
	size_t len;
	int rc;

	if (!e)
		return -1;
	env_text(e, time(NULL), &b);
	buf_putc(&b, '\n');
	queue_env_free(e);
	/* A broken entry still shows its envelope before the error. */
	if (queue_read_body(q, id, &body, &len, err) < 0) {
		rc = write_out(b.data, b.len, err);
		buf_release(&b);
		if (rc == 0)
			flush_out(err);
		return -1;
	}
	/* On a terminal the message must not be able to drive it; into a
	 * pipe it goes byte for byte. */
	if (isatty(STDOUT_FILENO))
		codec_sanitize(body, len, CODEC_KEEP_NEWLINES, &b);
	else
		buf_append(&b, body, len);
	free(body);
	rc = write_out(b.data, b.len, err);
	buf_release(&b);
	return rc < 0 ? -1 : flush_out(err);
}

#endif /* !SENDQ_FRONT */

static int open_queue(struct queue **q, struct err *err)
{
	*q = queue_open(NULL, err);
	return *q ? 0 : -1;
}

#ifndef SENDQ_FRONT
static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* SIGTERM and SIGINT let the message in hand finish; without SA_RESTART
 * they also end the daemon's wait at once. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* curl runs with CURLOPT_NOSIGNAL: a server that hangs up must not
	 * kill us mid-pass. */
	signal(SIGPIPE, SIG_IGN);
}

/* SENDQ_SMTP_TIMEOUT: seconds a silent server is given (tests use a few). */
static long smtp_timeout(void)
{
	const char *s = getenv("SENDQ_SMTP_TIMEOUT");
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 && v < 86400 ? v : 0;
}

#endif /* !SENDQ_FRONT */

/* The configuration, or NULL when there is no file at all (queueing works
 * without one; see enqueue.h). */
static int load_cfg(struct cfg **cfg_out, struct err *err)
{
	*cfg_out = cfg_load(NULL, err);
	if (*cfg_out)
		return 0;
	if (err->code == EX_CONFIG && err->errnum == ENOENT) {
		err_clear(err);
		return 0;
	}
	return -1;
}

#ifndef SENDQ_FRONT
/* sendq flush / sendq -q / sendq daemon. */
static int cmd_flush(const char *account, int verbose, int daemon, struct err *err)
{
	struct cfg *cfg = NULL;
	struct queue *q = NULL;
	struct flush_opts o;
	struct flush_stats st;
	const char *log_file;
	int rc = -1;

	if (load_cfg(&cfg, err) < 0)
		return -1;
	if (account && (!cfg || !cfg_account_find(cfg, account, err))) {
		if (!cfg)
			err_set(err, EX_CONFIG, "no account '%s': there is no configuration file",
				account);
		goto out;
	}
	if (daemon && !verbose) {
		/* A daemon has no terminal: syslog, or log_file when set. */
		log_file = cfg ? cfg_general(cfg, "log_file") : NULL;
		if (log_file && !freopen(log_file, "a", stderr)) {
			err_sys(err, EX_CANTCREAT, "cannot open log file '%s'", log_file);
			goto out;
		}
		if (log_file) {
			setvbuf(stderr, NULL, _IOLBF, 0);
			log_set_timestamps(1);
		}
		log_init(LOG_LVL_INFO, log_file == NULL);
	}
	if (open_queue(&q, err) < 0)
		goto out;
	memset(&o, 0, sizeof(o));
	o.account = account;
	o.timeout = smtp_timeout();
	o.stop = &stop_flag;
	catch_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(err, EX_OSERR, "cannot start libcurl");
		goto out;
	}
	if (daemon) {
		rc = daemon_run(q, cfg, &o, err);
		goto out_curl;
	}
	if (queue_lock_flush(q, err) < 0) {
		if (err->errnum == EWOULDBLOCK) {
			/* The contract: a second flusher leaves at once, happily. */
			log_info("another flush is running");
			err_clear(err);
			rc = 0;
		}
		goto out_curl;
	}
	if (recover(q, err) < 0 || flush_run(q, cfg, &o, time(NULL), &st, err) < 0)
		goto out_curl;
	log_info("flush: %u message(s), %u sent, %u local, %u deferred, %u bounced, %u connection(s)",
		 st.messages, st.sent, st.local, st.deferred, st.bounced, st.connects);
	rc = 0;
out_curl:
	curl_global_cleanup();
out:
	queue_close(q);
	cfg_free(cfg);
	return rc;
}

#endif /* !SENDQ_FRONT */

static int is_command(const char *s)
{
	static const char *const cmds[] = {
		"list", "show", "rm", "hold", "release", "retry", "flush", "daemon",
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(s, cmds[i]) == 0)
			return 1;
	}
	return 0;
}

#ifndef SENDQ_FRONT
/* sendq [-v] COMMAND [ARGS]: argv[0] is the command. */
static int run_command(int argc, char **argv, int verbose, struct err *err)
{
	const char *cmd = argv[0];
	struct queue *q = NULL;
	const char *account = NULL;
	char **ids;
	size_t nids = 0;
	int json = 0, i, rc = 0, opts_done = 0;

	ids = xcalloc((size_t)argc, sizeof(*ids));
	for (i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0) {
			opts_done = 1;
		} else if (!opts_done && strcmp(argv[i], "--json") == 0 && strcmp(cmd, "list") == 0) {
			json = 1;
		} else if (!opts_done && strcmp(argv[i], "-v") == 0) {
			verbose++;
		} else if (!opts_done && strcmp(argv[i], "-A") == 0 &&
			   (strcmp(cmd, "flush") == 0 || strcmp(cmd, "daemon") == 0) && i + 1 < argc) {
			account = argv[++i];
		} else if (!opts_done && argv[i][0] == '-' && argv[i][1] != '\0') {
			rc = err_set(err, EX_USAGE, "%s: unknown option '%s'", cmd, argv[i]);
			goto out;
		} else {
			ids[nids++] = argv[i];
		}
	}
	log_init(verbose >= 2 ? LOG_LVL_DEBUG : verbose ? LOG_LVL_INFO : LOG_LVL_WARN, 0);

	if (strcmp(cmd, "flush") == 0 || strcmp(cmd, "daemon") == 0) {
		if (nids != 0) {
			rc = err_set(err, EX_USAGE, "%s: unexpected argument '%s'", cmd, ids[0]);
			goto out;
		}
		rc = cmd_flush(account, verbose, strcmp(cmd, "daemon") == 0, err);
		goto out;
	}
	if ((strcmp(cmd, "list") == 0 && nids != 0) ||
	    (strcmp(cmd, "show") == 0 && nids != 1) ||
	    ((strcmp(cmd, "rm") == 0 || strcmp(cmd, "hold") == 0 ||
	      strcmp(cmd, "release") == 0) && nids == 0)) {
		rc = err_set(err, EX_USAGE, "%s: wrong number of arguments", cmd);
		goto out;
	}
	if ((rc = open_queue(&q, err)) < 0)
		goto out;
	if (strcmp(cmd, "list") == 0) {
		rc = cmd_list(q, json, 0, err);
	} else if (strcmp(cmd, "show") == 0) {
		rc = cmd_show(q, ids[0], err);
	} else if (strcmp(cmd, "retry") == 0 && nids == 0) {
		rc = queue_retry(q, NULL, err);
	} else {
		for (i = 0; i < (int)nids && rc == 0; i++) {
			if (strcmp(cmd, "rm") == 0)
				rc = queue_remove(q, ids[i], err);
			else if (strcmp(cmd, "hold") == 0)
				rc = queue_hold(q, ids[i], err);
			else if (strcmp(cmd, "release") == 0)
				rc = queue_release(q, ids[i], err);
			else
				rc = queue_retry(q, ids[i], err);
			if (rc < 0)
				err_prefix(err, "%s", cmd);
			else
				log_info("%s: %s", cmd, ids[i]);
		}
	}
out:
	queue_close(q);
	free(ids);
	return rc;
}

#endif /* !SENDQ_FRONT */

/* The options of one sendmail-style invocation. */
struct mail_args {
	struct enqueue_opts o;
	enum mode mode;
	int verbose;
	const char *at;
};

/* -oX...: sendmail's -o options; only -oi means anything to us. */
static void opt_o(struct mail_args *a, const char *v)
{
	if (strcmp(v, "i") == 0)
		a->o.keep_dots = 1;
	/* -oem, -oee, -odi, -odb, -om, -oQ..., ... are about sendmail's own
	 * delivery and error modes: nothing to do for a queue. */
}

/* -bX: the mode. */
static int opt_b(struct mail_args *a, const char *v, struct err *err)
{
	if (strcmp(v, "m") == 0)
		a->mode = MODE_MAIL;
	else if (strcmp(v, "p") == 0)
		a->mode = MODE_LIST;
	else if (strcmp(v, "s") == 0)
		a->mode = MODE_SMTP;
	else if (strcmp(v, "i") == 0)
		/* newaliases: there is no alias database to rebuild. */
		a->mode = MODE_NOTHING;
	else
		return err_set(err, EX_USAGE, "option -b%s is not supported", v);
	return 0;
}

/* Parse sendmail's command line (getopt-like, so "-ti" and "-fme" work).
 * *first_rcpt_out is the index of the first operand. */
static int parse_mail_args(int argc, char **argv, struct mail_args *a, int *first_rcpt_out,
			   struct err *err)
{
	/* Letters that take an argument, attached or as the next word. */
	static const char with_arg[] = "ABCFLNORVXbefhopr";
	const char *arg, *val;
	char c;
	int i;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(arg, "--at", 4) == 0 && (arg[4] == '\0' || arg[4] == '=')) {
			if (arg[4] == '=') {
				a->at = arg + 5;
			} else if (i + 1 < argc) {
				a->at = argv[++i];
			} else {
				return err_set(err, EX_USAGE, "option --at needs a time");
			}
			continue;
		}
		if (strcmp(arg, "--help") == 0) {
#ifdef SENDQ_FRONT
			exec_agent();
#else
			usage(stdout);
#endif
			a->mode = MODE_NOTHING;
			return 0;
		}
		if (strcmp(arg, "--version") == 0) {
			puts("sendq " PACKAGE_VERSION);
			a->mode = MODE_NOTHING;
			return 0;
		}
		if (arg[1] == '-') {
			return err_set(err, EX_USAGE, "unknown option '%s'", arg);
		}
		for (arg++; (c = *arg) != '\0'; arg++) {
			if (c == 'q') {
				/* -q, -q30m, -qIid...: run the queue; the
				 * argument, if any, is attached. */
				a->mode = MODE_FLUSH;
				break;
			}
			if (strchr(with_arg, c)) {
				if (arg[1] != '\0') {
					val = arg + 1;
				} else if (i + 1 < argc) {
					val = argv[++i];
				} else {
					return err_set(err, EX_USAGE, "option -%c needs an argument", c);
				}
				switch (c) {
				case 'A': a->o.account = val; break;
				case 'F': a->o.fullname = val; break;
				case 'f': case 'r': a->o.sender = val; break;
				case 'o': opt_o(a, val); break;
				case 'b':
					if (opt_b(a, val, err) < 0)
						return -1;
					break;
				case 'C':
					return err_set(err, EX_USAGE,
						       "option -C is not supported: see surel.conf(5)");
				default:
					/* -B body type, -N DSN, -R return, -V envid,
					 * -X log file, -L label, -O option, -h hops,
					 * -e error mode, -p protocol: not ours. */
					break;
				}
				break;
			}
			switch (c) {
			case 't': a->o.extract = 1; break;
			case 'i': a->o.keep_dots = 1; break;
			case 'v': a->verbose++; break;
			case 'm': case 'n': case 'G': case 'U': case 'c': case 'x':
				/* me-too, no aliasing, gateway, initial submission,
				 * connection caching: sendmail internals. */
				break;
			default:
				return err_set(err, EX_USAGE, "unknown option '-%c'", c);
			}
		}
	}
	*first_rcpt_out = i;
	return 0;
}

static int run_mail(int argc, char **argv, struct err *err)
{
	struct mail_args a;
	struct queue *q = NULL;
	struct cfg *cfg = NULL;
	struct buf in = BUF_INIT;
	char *id = NULL;
	int first = argc, rc;

	memset(&a, 0, sizeof(a));
	a.mode = MODE_MAIL;
	if (parse_mail_args(argc, argv, &a, &first, err) < 0)
		return -1;
	log_init(a.verbose >= 2 ? LOG_LVL_DEBUG : a.verbose ? LOG_LVL_INFO : LOG_LVL_WARN, 0);
	a.o.rcpts = argv + first;
	a.o.nrcpts = (size_t)(argc - first);
	switch (a.mode) {
	case MODE_NOTHING:
		return 0;
#ifdef SENDQ_FRONT
	case MODE_FLUSH:
	case MODE_LIST:
		exec_agent();
#else
	case MODE_FLUSH:
		return cmd_flush(a.o.account, a.verbose, 0, err);
	case MODE_LIST:
		if ((rc = open_queue(&q, err)) == 0)
			rc = cmd_list(q, 0, 1, err);
		queue_close(q);
		return rc;
#endif
	default:
		break;
	}
	if (a.at && enqueue_parse_at(a.at, time(NULL), &a.o.at, err) < 0)
		return -1;
	if (load_cfg(&cfg, err) < 0)
		return -1;
	if ((rc = open_queue(&q, err)) < 0)
		goto out;
	if (a.mode == MODE_SMTP) {
		rc = enqueue_smtp(q, &a.o, cfg, stdin, stdout, err);
		goto out;
	}
	if ((rc = enqueue_read(STDIN_FILENO, a.o.keep_dots, &in, err)) < 0)
		goto out;
	rc = enqueue_message(q, &a.o, cfg, in.data, in.len, &id, err);
	if (rc == 0)
		log_info("queued as %s", id);
out:
	free(id);
	buf_release(&in);
	queue_close(q);
	cfg_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	const char *base;
	int rc, i = 1, verbose = 0;

	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc > 0 ? argv[0] : "sendq";
	/* Installed over the system MTA, its other names: mailq is -bp,
	 * newaliases -bi. */
	if (strcmp(base, "mailq") == 0 || strcmp(base, "newaliases") == 0) {
		static char bp[] = "-bp", bi[] = "-bi";
		static char *alt[3];

		alt[0] = argv[0];
		alt[1] = strcmp(base, "mailq") == 0 ? bp : bi;
		alt[2] = NULL;
		argc = 2;
		argv = alt;
	}
#ifdef SENDQ_FRONT
	front_argv = argv;
#endif
	/* Errors carry the name the caller used, so a cron mail that says
	 * "sendmail: ..." points at the right program. */
	log_set_prog(base[0] ? base : "sendq");
	log_init(LOG_LVL_WARN, 0);
	if (strcmp(log_prog(), "sendq") == 0) {
		while (i < argc && strcmp(argv[i], "-v") == 0) {
			verbose++;
			i++;
		}
#ifdef SENDQ_FRONT
		if ((i < argc && is_command(argv[i])) || (argc == 1 && isatty(STDIN_FILENO)))
			exec_agent();
#else
		if (i < argc && is_command(argv[i])) {
			rc = run_command(argc - i, argv + i, verbose, &err);
			goto done;
		}
		if (argc == 1 && isatty(STDIN_FILENO)) {
			usage(stderr);
			return EX_USAGE;
		}
#endif
	}
	rc = run_mail(argc, argv, &err);
#ifndef SENDQ_FRONT
done:
#endif
	return rc < 0 ? err_report(&err) : 0;
}
