/*
 * surel: the terminal mail reader.  main() reads the options and the
 * configuration, picks the folder and hands over to the index screen
 * (browser.h); `surel -s` goes to sendcli.h's non-interactive path, a
 * mailto: URL straight to the compose screen (mailto.h).  Only
 * here are errors printed and exit codes chosen.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "browser.h"
#include "cfg.h"
#include "compose.h"
#include "composeui.h"
#include "err.h"
#include "keymap.h"
#include "log.h"
#include "maildir.h"
#include "mailto.h"
#include "mbox.h"
#include "path.h"
#include "sendcli.h"
#include "ui.h"
#include "xalloc.h"

/* Whether the options ask for the non-interactive path (-s before any
 * "--"), which takes the whole command line. */
static int wants_send(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (argv[i][0] != '-')
			continue;
		if (strncmp(argv[i], "-s", 2) == 0)
			return 1;
		/* -A NAME, -c CC, ...: skip the option's argument. */
		if (argv[i][1] && !argv[i][2] && strchr("Aabcfe", argv[i][1]))
			i++;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: surel [-A ACCOUNT] [-f FOLDER|PATH] [-e KEYS]\n"
	      "       surel [-A ACCOUNT] -s SUBJECT [-c CC] [-b BCC] [-a FILE]... [--sign] [--encrypt]\n"
	      "             [--] ADDR... < BODY\n"
	      "       surel [-A ACCOUNT] 'mailto:ADDR?subject=...&cc=...&body=...'\n"
	      "\n"
	      "  -A ACCOUNT   use this account instead of the default\n"
	      "  -f FOLDER    open a folder of the account, or any Maildir or mbox PATH\n"
	      "  -e KEYS      keys to run once the index is drawn (\"q\" quits)\n"
	      "  -s SUBJECT   send the message on standard input without a screen\n"
	      "  -c, -b ADDR  Cc and Bcc for -s;  -a FILE  attach a file (once per file)\n"
	      "  --sign, --encrypt  sign, encrypt (PGP/MIME) what -s sends\n"
	      "  -h, --help   show this help;  -V, --version  show the version\n"
	      "In the index, ? lists the keys.  See surel(1) and surel.conf(5).\n", f);
}

/* surel mailto:URL: the compose screen on the URL's fields, then exit.
 * Without a configuration file the From address is $EMAIL's. */
static int run_mailto(const char *url, const char *account, struct err *err)
{
	struct mailto m;
	struct cfg *cfg = NULL;
	struct compose *probe;
	size_t i;
	int rc = -1;

	if (mailto_parse(url, &m, err) < 0)
		goto out;
	for (i = 0; i < m.warnings.n; i++)
		log_warnx("%s", m.warnings.v[i]);
	cfg = cfg_load(NULL, err);
	if (!cfg) {
		if (err->code != EX_CONFIG || err->errnum != ENOENT || account)
			goto out;
		err_clear(err);
	}
	if (keymap_load(cfg, err) < 0)
		goto out;
	/* A missing account or From address is said before the screen opens. */
	if (!(probe = compose_new(cfg, account, err)))
		goto out;
	compose_free(probe);
	ui_set_colors(cfg);
	if (ui_start(err) < 0)
		goto out;
	composeui_run_mailto(cfg, account, NULL, &m);
	ui_end();
	rc = 0;
out:
	mailto_release(&m);
	cfg_free(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct browser_opts o;
	struct cfg *cfg = NULL;
	const struct cfg_account *acct = NULL;
	const char *account = NULL, *folder = NULL;
	char *dir = NULL;
	int c, rc = 0;

	log_set_prog("surel");
	if (wants_send(argc, argv))
		return (rc = sendcli_run(argc, argv, &err)) < 0 ? err_report(&err) : rc;
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	/* Not in --help: for the test that keeps surel(1)'s table in step. */
	if (argc == 2 && strcmp(argv[1], "--list-functions") == 0) {
		keymap_list_functions(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("surel " PACKAGE_VERSION);
		return 0;
	}
	memset(&o, 0, sizeof(o));
	/* getopt's own messages are off so a usage error stays one line. */
	opterr = 0;
	while ((c = getopt(argc, argv, "+A:f:e:hV")) != -1) {
		switch (c) {
		case 'A':
			account = optarg;
			break;
		case 'f':
			folder = optarg;
			break;
		case 'e':
			o.keys = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("surel " PACKAGE_VERSION);
			return 0;
		default:
			err_set(&err, EX_USAGE, "bad option or missing argument near '%s' (see surel -h)",
				argv[optind - 1]);
			return err_report(&err);
		}
	}
	if (optind == argc - 1 && mailto_is(argv[optind]))
		return run_mailto(argv[optind], account, &err) < 0 ? err_report(&err) : 0;
	if (optind != argc) {
		err_set(&err, EX_USAGE, "unexpected argument '%s' (see surel -h)", argv[optind]);
		return err_report(&err);
	}

	/* A path needs no configuration; a folder name needs an account. */
	cfg = cfg_load(NULL, &err);
	if (!cfg) {
		int missing = err.code == EX_CONFIG && err.errnum == ENOENT;

		if (!missing || !folder || !(maildir_is(folder) || mbox_is(folder))) {
			if (missing) {
				char why[sizeof(err.msg)];

				snprintf(why, sizeof(why), "%s", err.msg);
				err_set(&err, err.code, "%s (or open a folder with -f PATH)", why);
			}
			return err_report(&err);
		}
		err_clear(&err);
	} else {
		acct = cfg_account_find(cfg, account, &err);
		if (!acct) {
			cfg_free(cfg);
			return err_report(&err);
		}
	}
	/* A bad binding is refused before the screen starts. */
	if (keymap_load(cfg, &err) < 0) {
		cfg_free(cfg);
		return err_report(&err);
	}
	if (folder && (maildir_is(folder) || mbox_is(folder) || !acct || strchr(folder, '/')))
		dir = path_expand(folder);
	else
		dir = maildir_folder_path(cfg_get(acct, "maildir"), folder ? folder : "INBOX");
	o.cfg = cfg;
	o.account = acct;
	o.folder = dir;
	o.name = folder ? folder : "INBOX";
	if (browser_run(&o, &err) < 0)
		rc = err_report(&err);
	free(dir);
	cfg_free(cfg);
	return rc;
}
