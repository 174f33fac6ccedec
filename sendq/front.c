/*
 * sendq, the front end (also surel-sendmail, sendmail, mailq, newaliases):
 * it does the enqueue itself and hands everything else (queue commands,
 * -q, -bp, --help) to the full program, sendq-agent, with the same
 * arguments.  Only the enqueue is on the hot path of other programs (cron,
 * mutt), and without libcurl, GnuTLS and libetpan it starts in a fraction
 * of the time: the dynamic loader alone needs ~4 ms for those.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "proc.h"
#include "xalloc.h"

/* sendq-agent next to this program (a build tree, or an install that put
 * both in one directory), else in $(pkglibexecdir). */
static void exec_agent(char **argv) __attribute__((noreturn));
static void exec_agent(char **argv)
{
	struct err err = ERR_INIT;
	char *path = proc_find("sendq-agent", 0, PKGLIBEXECDIR);

	if (!path)
		path = xasprintf("%s/sendq-agent", PKGLIBEXECDIR);
	execv(path, argv);
	err_sys(&err, EX_UNAVAILABLE, "cannot run '%s'", path);
	free(path);
	exit(err_report(&err));
}

/* sendq -t --wait: the agent's `sendq wait` for the message just queued. */
static void exec_wait(const struct cli_mail *a, char *id) __attribute__((noreturn));
static void exec_wait(const struct cli_mail *a, char *id)
{
	char *argv[6];
	int n = 0;

	argv[n++] = (char *)"sendq";
	argv[n++] = (char *)"wait";
	if (a->timeout) {
		argv[n++] = (char *)"--timeout";
		argv[n++] = (char *)a->timeout;
	}
	argv[n++] = id;
	argv[n] = NULL;
	exec_agent(argv);
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct cli_mail a;
	char *id = NULL;
	int cmd, verbose;

	if (cli_start(&argc, &argv, &cmd, &verbose) != CLI_ROUTE_MAIL)
		exec_agent(argv);
	if (cli_parse_mail(argc, argv, &a, &err) < 0)
		return err_report(&err);
	switch (a.mode) {
	case CLI_MAIL:
	case CLI_SMTP:
		if (cli_enqueue(&a, &id, &err) < 0)
			return err_report(&err);
		if (a.wait && id)
			exec_wait(&a, id);
		free(id);
		return 0;
	case CLI_NOTHING:
		return 0;
	default:
		exec_agent(argv);
	}
}
