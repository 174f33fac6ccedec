/*
 * sendq-agent: the whole sendq (the front end, front.c, runs it for
 * everything but an enqueue; it also works when run itself).  This file
 * owns the queue commands, -q, -bp and the daemon: their arguments, their
 * output formats, and where their errors become one line on stderr and a
 * sysexits code (err_report()).  What it shares with the front end, the
 * program's names and sendmail's options, is cli.h's.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "codec.h"
#include "daemon.h"
#include "flush.h"
#include "log.h"
#include "out.h"
#include "queue.h"
#include "status.h"
#include "xalloc.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-t] [-i] [-f FROM] [-F NAME] [-A ACCOUNT] [--at TIME] [-N DSN] [-R RET]\n"
		"          [-V ENVID] [-v] [--json] [--wait [--timeout S]] [--] [RCPT...]\n"
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
		"  status [ID|MSGID] [--json]  the delivery record of a message\n"
		"  wait [--timeout S] ID...    wait until accepted (0), bounced (65), deferred (75)\n"
		"  flush [-A ACCOUNT] relay what is due, then exit\n"
		"  daemon [-A ACCOUNT] relay in the foreground as mail comes due\n"
		"\n"
		"TIME is 'YYYY-MM-DD HH:MM', 'HH:MM', '+30m', '+2h', '+1d' or '@EPOCH'.\n"
		"See sendq(1).\n", log_prog(), log_prog());
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
		if (rc < 0 || out_write("\n", 1, err) < 0)
			return err_sys(err, EX_IOERR, "cannot write output");
		return out_flush(err);
	}
	/* mailq's words, which scripts look for. */
	if (n == 0 && mailq)
		buf_puts(&b, "Mail queue is empty\n");
	for (i = 0; i < n; i++)
		env_text(list[i], now, &b);
	queue_list_free(list, n);
	rc = out_write(b.data, b.len, err);
	buf_release(&b);
	return rc < 0 ? -1 : out_flush(err);
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
		rc = out_write(b.data, b.len, err);
		buf_release(&b);
		if (rc == 0)
			out_flush(err);
		return -1;
	}
	/* On a terminal the message must not be able to drive it; into a
	 * pipe it goes byte for byte. */
	if (isatty(STDOUT_FILENO))
		codec_sanitize(body, len, CODEC_KEEP_NEWLINES, &b);
	else
		buf_append(&b, body, len);
	free(body);
	rc = out_write(b.data, b.len, err);
	buf_release(&b);
	return rc < 0 ? -1 : out_flush(err);
}

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

/* sendq flush / sendq -q / sendq daemon. */
static int cmd_flush(const char *account, int verbose, int daemon, struct err *err)
{
	struct cfg *cfg = NULL;
	struct queue *q = NULL;
	struct flush_opts o;
	struct flush_stats st;
	const char *log_file;
	int rc = -1;

	if (cli_load_cfg(&cfg, err) < 0)
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
	q = queue_open(NULL, err);
	if (!q)
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

/* What `sendq wait` flushes with between looks. */
struct wait_flush {
	struct queue *q;
	const struct cfg *cfg;
};

/* One pass when no other flusher runs (a daemon does the work then). */
static int wait_flush(void *arg)
{
	struct wait_flush *w = arg;
	struct err err = ERR_INIT;
	struct flush_opts o;
	struct flush_stats st;
	int rc;

	if (queue_lock_flush(w->q, &err) < 0)
		return err.errnum == EWOULDBLOCK ? 0 : -1;
	memset(&o, 0, sizeof(o));
	o.timeout = smtp_timeout();
	o.stop = &stop_flag;
	rc = recover(w->q, &err) < 0 ? -1 : flush_run(w->q, w->cfg, &o, time(NULL), &st, &err);
	queue_unlock_flush(w->q);
	if (rc < 0)
		log_warnx("%s", err.msg);
	return rc;
}

/* sendq status [ID] / sendq wait [--timeout S] ID...; *exit_out gets
 * wait's exit code. */
static int cmd_track(struct queue *q, const char *cmd, char **ids, size_t nids, int json,
		     long timeout, int *exit_out, struct err *err)
{
	struct cfg *cfg = NULL;
	struct wait_flush w;
	enum status_wait res;
	int rc;

	if (cli_load_cfg(&cfg, err) < 0)
		return -1;
	if (strcmp(cmd, "status") == 0) {
		rc = status_show(q, cfg, nids ? ids[0] : NULL, json, err);
	} else {
		w.q = q;
		w.cfg = cfg;
		catch_signals();
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			cfg_free(cfg);
			return err_set(err, EX_OSERR, "cannot start libcurl");
		}
		rc = status_wait(q, ids, nids, timeout, &stop_flag, wait_flush, &w, &res, err);
		curl_global_cleanup();
		if (rc == 0)
			*exit_out = (int)res;
	}
	cfg_free(cfg);
	return rc;
}

/* sendq [-v] COMMAND [ARGS]: argv[0] is the command. */
static int run_command(int argc, char **argv, int verbose, int *exit_out, struct err *err)
{
	const char *cmd = argv[0];
	struct queue *q = NULL;
	const char *account = NULL;
	char **ids, *end;
	size_t nids = 0;
	long timeout = 0;
	int json = 0, i, rc = 0, opts_done = 0;

	ids = xcalloc((size_t)argc, sizeof(*ids));
	for (i = 1; i < argc; i++) {
		if (!opts_done && strcmp(argv[i], "--") == 0) {
			opts_done = 1;
		} else if (!opts_done && strcmp(argv[i], "--json") == 0 &&
			   (strcmp(cmd, "list") == 0 || strcmp(cmd, "status") == 0)) {
			json = 1;
		} else if (!opts_done && strcmp(argv[i], "--timeout") == 0 &&
			   strcmp(cmd, "wait") == 0 && i + 1 < argc) {
			timeout = strtol(argv[++i], &end, 10);
			if (*end || end == argv[i] || timeout < 0) {
				rc = err_set(err, EX_USAGE, "wait: bad timeout '%s'", argv[i]);
				goto out;
			}
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
	cli_log_level(verbose);

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
	    (strcmp(cmd, "status") == 0 && nids > 1) || (strcmp(cmd, "wait") == 0 && nids == 0) ||
	    ((strcmp(cmd, "rm") == 0 || strcmp(cmd, "hold") == 0 ||
	      strcmp(cmd, "release") == 0) && nids == 0)) {
		rc = err_set(err, EX_USAGE, "%s: wrong number of arguments", cmd);
		goto out;
	}
	q = queue_open(NULL, err);
	if (!q) {
		rc = -1;
		goto out;
	}
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "wait") == 0) {
		rc = cmd_track(q, cmd, ids, nids, json, timeout, exit_out, err);
	} else if (strcmp(cmd, "list") == 0) {
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

/* sendmail's options: list, flush, help and enqueue alike. */
static int run_mail(int argc, char **argv, int *exit_out, struct err *err)
{
	struct cli_mail a;
	struct queue *q;
	char *id = NULL;
	int rc = 0;

	if (cli_parse_mail(argc, argv, &a, err) < 0)
		return -1;
	switch (a.mode) {
	case CLI_HELP:
		usage(stdout);
		return 0;
	case CLI_NOTHING:
		return 0;
	case CLI_FLUSH:
		return cmd_flush(a.o.account, a.verbose, 0, err);
	case CLI_LIST:
		q = queue_open(NULL, err);
		if (!q)
			return -1;
		rc = cmd_list(q, 0, 1, err);
		queue_close(q);
		return rc;
	default:
		if (cli_enqueue(&a, &id, err) < 0)
			return -1;
		if (a.wait && id) {
			q = queue_open(NULL, err);
			rc = q ? cmd_track(q, "wait", &id, 1, 0, a.timeout ? atol(a.timeout) : 0,
					   exit_out, err) : -1;
			queue_close(q);
		}
		free(id);
		return rc;
	}
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	int cmd, verbose, rc, code = 0;

	switch (cli_start(&argc, &argv, &cmd, &verbose)) {
	case CLI_ROUTE_COMMAND:
		rc = run_command(argc - cmd, argv + cmd, verbose, &code, &err);
		break;
	case CLI_ROUTE_USAGE:
		usage(stderr);
		return EX_USAGE;
	default:
		rc = run_mail(argc, argv, &code, &err);
		break;
	}
	return rc < 0 ? err_report(&err) : code;
}
