/*
 * cli: what sendq's two programs share on the command line.  `sendq` (and
 * its other names) is front.c, a small program that only enqueues; every
 * other request it hands to `sendq-agent` (agent.c), which does them all.
 * Both read the program's name, sendmail's options and the commands alike,
 * and enqueue alike, through here.
 *
 * Queue commands are recognised only when the program runs as "sendq";
 * under any other name (sendmail, surel-sendmail) every operand is a
 * recipient, as sendmail's callers expect (there is a user called "list").
 */
#ifndef SUREL_SENDQ_CLI_H
#define SUREL_SENDQ_CLI_H

#include "cfg.h"
#include "enqueue.h"
#include "err.h"

/* What a sendmail-style invocation asks for. */
enum cli_mode {
	CLI_MAIL,       /* -bm (the default): enqueue the message on stdin */
	CLI_LIST,       /* -bp, mailq: list the queue */
	CLI_SMTP,       /* -bs: an SMTP dialogue on stdin/stdout */
	CLI_FLUSH,      /* -q: relay what is due */
	CLI_HELP,       /* --help */
	CLI_NOTHING,    /* -bi (newaliases), --version (already printed) */
};

/* One sendmail-style invocation; strings point into argv. */
struct cli_mail {
	struct enqueue_opts o;
	enum cli_mode mode;
	int verbose;
	const char *at;             /* --at TIME, NULL when not given */
	int json;                   /* --json: the queue id as a JSON object */
	int wait;                   /* --wait: then as `sendq wait` */
	const char *timeout;        /* --timeout S for --wait, NULL: none */
};

/* How main() goes on after cli_start(). */
enum cli_route {
	CLI_ROUTE_MAIL,     /* sendmail's options and recipients */
	CLI_ROUTE_COMMAND,  /* sendq [-v] COMMAND [ARGS] */
	CLI_ROUTE_USAGE,    /* a bare `sendq` on a terminal: show the usage */
};

/*
 * Take the program's name from argv[0] (errors carry the name the caller
 * used, so a cron mail saying "sendmail: ..." points at the right program)
 * for log_set_prog(), and log warnings.  Installed over the system MTA, its
 * other names are rewritten: *argv becomes { argv[0], "-bp" } for mailq and
 * { argv[0], "-bi" } for newaliases.  Then say where to go: for
 * CLI_ROUTE_COMMAND, *cmd_index is the command's index in *argv and
 * *verbose counts the -v before it.
 */
enum cli_route cli_start(int *argc, char ***argv, int *cmd_index, int *verbose);

/* Show messages up to INFO for one -v, DEBUG for two or more. */
void cli_log_level(int verbose);

/* Parse sendmail's command line (getopt-like, so "-ti" and "-fme" work);
 * a->o.rcpts are the operands.  Sets the log level from -v.  EX_USAGE for
 * an unknown or unsupported option. */
int cli_parse_mail(int argc, char **argv, struct cli_mail *a, struct err *err);

/* The configuration, or *cfg_out NULL when there is no file at all
 * (queueing works without one; see enqueue.h). */
int cli_load_cfg(struct cfg **cfg_out, struct err *err);

/* Do a CLI_MAIL or CLI_SMTP invocation: queue the message on stdin, or
 * hold the -bs dialogue.  The queue id goes to stdout with -v (alone on
 * a line) or --json ({"id": ID}); *id_out (may be NULL) gets it for
 * CLI_MAIL (caller frees; NULL for -bs). */
int cli_enqueue(const struct cli_mail *a, char **id_out, struct err *err);

#endif
