#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "log.h"
#include "out.h"
#include "queue.h"

static int is_command(const char *s)
{
	static const char *const cmds[] = {
		"list", "show", "rm", "hold", "release", "retry", "flush", "daemon", "status", "wait",
	};
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(s, cmds[i]) == 0)
			return 1;
	}
	return 0;
}

enum cli_route cli_start(int *argc, char ***argv, int *cmd_index, int *verbose)
{
	static char bp[] = "-bp", bi[] = "-bi";
	static char *alt[3];
	const char *base;
	int i = 1;

	base = *argc > 0 ? strrchr((*argv)[0], '/') : NULL;
	base = base ? base + 1 : *argc > 0 ? (*argv)[0] : "sendq";
	if (!base[0])
		base = "sendq";
	if (strcmp(base, "mailq") == 0 || strcmp(base, "newaliases") == 0) {
		alt[0] = (*argv)[0];
		alt[1] = strcmp(base, "mailq") == 0 ? bp : bi;
		alt[2] = NULL;
		*argc = 2;
		*argv = alt;
	}
	log_set_prog(base);
	log_init(LOG_LVL_WARN, 0);
	*cmd_index = 0;
	*verbose = 0;
	if (strcmp(base, "sendq") != 0)
		return CLI_ROUTE_MAIL;
	while (i < *argc && strcmp((*argv)[i], "-v") == 0) {
		++*verbose;
		i++;
	}
	if (i < *argc && is_command((*argv)[i])) {
		*cmd_index = i;
		return CLI_ROUTE_COMMAND;
	}
	return *argc == 1 && isatty(STDIN_FILENO) ? CLI_ROUTE_USAGE : CLI_ROUTE_MAIL;
}

void cli_log_level(int verbose)
{
	log_init(verbose >= 2 ? LOG_LVL_DEBUG : verbose ? LOG_LVL_INFO : LOG_LVL_WARN, 0);
}

/* -oX...: sendmail's -o options; only -oi means anything to us. */
static void opt_o(struct cli_mail *a, const char *v)
{
	if (strcmp(v, "i") == 0)
		a->o.keep_dots = 1;
	/* -oem, -oee, -odi, -odb, -om, -oQ..., ... are about sendmail's own
	 * delivery and error modes: nothing to do for a queue. */
}

/* -bX: the mode. */
static int opt_b(struct cli_mail *a, const char *v, struct err *err)
{
	if (strcmp(v, "m") == 0)
		a->mode = CLI_MAIL;
	else if (strcmp(v, "p") == 0)
		a->mode = CLI_LIST;
	else if (strcmp(v, "s") == 0)
		a->mode = CLI_SMTP;
	else if (strcmp(v, "i") == 0)
		/* newaliases: there is no alias database to rebuild. */
		a->mode = CLI_NOTHING;
	else
		return err_set(err, EX_USAGE, "option -b%s is not supported", v);
	return 0;
}

/* One word of single-letter options, arg without its '-' ("ti", "fme");
 * *i moves past a value taken from the next word. */
static int opt_letters(struct cli_mail *a, const char *arg, int argc, char **argv, int *i,
		       struct err *err)
{
	/* Letters that take an argument, attached or as the next word. */
	static const char with_arg[] = "ABCFLNORVXbefhopr";
	const char *val;
	char c;

	for (; (c = *arg) != '\0'; arg++) {
		if (c == 'q') {
			/* -q, -q30m, -qIid...: run the queue; the argument,
			 * if any, is attached. */
			a->mode = CLI_FLUSH;
			return 0;
		}
		if (strchr(with_arg, c)) {
			if (arg[1] != '\0')
				val = arg + 1;
			else if (*i + 1 < argc)
				val = argv[++*i];
			else
				return err_set(err, EX_USAGE, "option -%c needs an argument", c);
			switch (c) {
			case 'A': a->o.account = val; break;
			case 'F': a->o.fullname = val; break;
			case 'f': case 'r': a->o.sender = val; break;
			case 'o': opt_o(a, val); break;
			case 'N': a->o.dsn_notify = val; break;
			case 'R': a->o.dsn_ret = val; break;
			case 'V': a->o.envid = val; break;
			case 'b': return opt_b(a, val, err);
			case 'C':
				return err_set(err, EX_USAGE,
					       "option -C is not supported: see surel.conf(5)");
			default:
				/* -B body type, -X log file, -L label, -O option, -h hops,
				 * -e error mode, -p protocol: not ours. */
				break;
			}
			return 0;
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
	return 0;
}

int cli_parse_mail(int argc, char **argv, struct cli_mail *a, struct err *err)
{
	const char *arg;
	int i;

	memset(a, 0, sizeof(*a));
	a->mode = CLI_MAIL;
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0')
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(arg, "--at", 4) == 0 && (arg[4] == '\0' || arg[4] == '=')) {
			if (arg[4] == '=')
				a->at = arg + 5;
			else if (i + 1 < argc)
				a->at = argv[++i];
			else
				return err_set(err, EX_USAGE, "option --at needs a time");
			continue;
		}
		if (strcmp(arg, "--json") == 0 || strcmp(arg, "--wait") == 0) {
			*(arg[2] == 'j' ? &a->json : &a->wait) = 1;
			continue;
		}
		if (strcmp(arg, "--timeout") == 0) {
			if (i + 1 >= argc)
				return err_set(err, EX_USAGE, "option --timeout needs seconds");
			a->timeout = argv[++i];
			continue;
		}
		if (strcmp(arg, "--help") == 0) {
			a->mode = CLI_HELP;
			return 0;
		}
		if (strcmp(arg, "--version") == 0) {
			puts("sendq " PACKAGE_VERSION);
			a->mode = CLI_NOTHING;
			return 0;
		}
		if (arg[1] == '-')
			return err_set(err, EX_USAGE, "unknown option '%s'", arg);
		if (opt_letters(a, arg + 1, argc, argv, &i, err) < 0)
			return -1;
	}
	cli_log_level(a->verbose);
	a->o.rcpts = argv + i;
	a->o.nrcpts = (size_t)(argc - i);
	return 0;
}

int cli_load_cfg(struct cfg **cfg_out, struct err *err)
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

/* The queue id for a script: alone on a line, or as JSON. */
static int put_id(const struct cli_mail *a, const char *id, struct err *err)
{
	struct buf b = BUF_INIT;
	const char *p;
	int rc;

	if (a->json) {
		buf_puts(&b, "{\"id\": \"");
		for (p = id; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_putc(&b, '\\');
			buf_putc(&b, *p);
		}
		buf_puts(&b, "\"}\n");
	} else {
		buf_printf(&b, "%s\n", id);
	}
	rc = out_write(b.data, b.len, err);
	buf_release(&b);
	return rc < 0 ? -1 : out_flush(err);
}

int cli_enqueue(const struct cli_mail *a, char **id_out, struct err *err)
{
	struct enqueue_opts o = a->o;
	struct queue *q = NULL;
	struct cfg *cfg = NULL;
	struct buf in = BUF_INIT;
	char *id = NULL;
	int rc;

	if (a->at && enqueue_parse_at(a->at, time(NULL), &o.at, err) < 0)
		return -1;
	if (cli_load_cfg(&cfg, err) < 0)
		return -1;
	q = queue_open(NULL, err);
	if (!q) {
		rc = -1;
		goto out;
	}
	if (a->mode == CLI_SMTP) {
		rc = enqueue_smtp(q, &o, cfg, stdin, stdout, err);
		goto out;
	}
	if ((rc = enqueue_read(STDIN_FILENO, o.keep_dots, &in, err)) < 0)
		goto out;
	rc = enqueue_message(q, &o, cfg, in.data, in.len, &id, err);
	if (rc == 0)
		log_info("queued as %s", id);
	if (rc == 0 && (a->verbose || a->json))
		rc = put_id(a, id, err);
	if (rc == 0 && id_out) {
		*id_out = id;
		id = NULL;
	}
out:
	free(id);
	buf_release(&in);
	queue_close(q);
	cfg_free(cfg);
	return rc;
}
