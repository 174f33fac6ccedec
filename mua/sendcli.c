/*
 * sendcli: `surel -s`, the non-interactive send.  The arguments become a
 * draft that goes through compose.h exactly as an edited one does.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "addr.h"
#include "buf.h"
#include "cfg.h"
#include "compose.h"
#include "enqueue.h"
#include "sendcli.h"
#include "status.h"
#include "strv.h"

/* "Name: a, b" for the draft from list arguments (each may hold a list). */
static void put_list_field(struct buf *out, const char *name, char *const *v, size_t n)
{
	size_t i;

	buf_printf(out, "%s: ", name);
	for (i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? ", " : "", v[i]);
	buf_putc(out, '\n');
}

#define CLI_USAGE "usage: surel [-A ACCOUNT] -s SUBJECT [-c CC] [-b BCC] [-a FILE]... [--sign] [--encrypt] [--wait [--timeout S]] [--] ADDR..."

/* --wait: as `sendq wait` for the message just queued (sendq/status.h);
 * the relay was nudged by compose_send().  The exit code, or -1. */
static int wait_sent(const char *id, long timeout, struct err *err)
{
	struct queue *q = queue_open(NULL, err);
	enum status_wait res;
	char *ids[1];
	int rc;

	if (!q)
		return -1;
	ids[0] = (char *)id;
	rc = status_wait(q, ids, 1, timeout, NULL, NULL, NULL, &res, err);
	queue_close(q);
	return rc < 0 ? -1 : (int)res;
}

/* No line break in the subject or any address argument. */
static int check_args(const char *subject, const struct strv *to, const struct strv *cc,
		      const struct strv *bcc, struct err *err)
{
	size_t i;

	if (addr_check_arg(subject, "subject (-s)", err) < 0)
		return -1;
	for (i = 0; i < to->n; i++)
		if (addr_check_arg(to->v[i], "recipient", err) < 0)
			return -1;
	for (i = 0; i < cc->n; i++)
		if (addr_check_arg(cc->v[i], "recipient (-c)", err) < 0)
			return -1;
	for (i = 0; i < bcc->n; i++)
		if (addr_check_arg(bcc->v[i], "recipient (-b)", err) < 0)
			return -1;
	return 0;
}

/* The configuration into *out (NULL, and 0, when there is no file and
 * $EMAIL says who sends: a broken file is an error either way). */
static int load_config(const char *account, struct cfg **out, struct err *err)
{
	char *path;

	*out = cfg_load(NULL, err);
	if (*out)
		return 0;
	if (err->code != EX_CONFIG || err->errnum != ENOENT)
		return -1;
	err_clear(err);
	if (account)
		return err_set(err, EX_CONFIG, "cannot use account '%s': no configuration file",
			       account);
	if (getenv("EMAIL") && getenv("EMAIL")[0])
		return 0;
	path = cfg_default_path();
	err_set(err, EX_CONFIG, "no From address: no configuration file '%s' and $EMAIL is not set",
		path);
	free(path);
	return -1;
}

enum { OPT_SIGN = 256, OPT_ENCRYPT };

int sendcli_run(int argc, char **argv, struct err *err)
{
	struct strv to = STRV_INIT, cc = STRV_INIT, bcc = STRV_INIT, files = STRV_INIT;
	const char *subject = NULL, *account = NULL;
	struct buf draft = BUF_INIT;
	struct compose *c = NULL;
	struct cfg *cfg = NULL;
	static const struct option longopts[] = {
		{ "wait", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "sign", no_argument, NULL, OPT_SIGN },
		{ "encrypt", no_argument, NULL, OPT_ENCRYPT },
		{ NULL, 0, NULL, 0 },
	};
	char *id = NULL, *end;
	long timeout = 0;
	size_t i;
	unsigned pgp = 0;
	int opt, rc = -1, wait = 0;

	/* main() may have run getopt already; 0 makes glibc and musl start
	 * afresh. */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":A:s:c:b:a:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'W':
			wait = 1;
			break;
		case 'T':
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout < 0) {
				err_set(err, EX_USAGE, "bad --timeout '%s'; " CLI_USAGE, optarg);
				goto out;
			}
			break;
		case OPT_SIGN:
			pgp |= COMPOSE_PGP_SIGN;
			break;
		case OPT_ENCRYPT:
			pgp |= COMPOSE_PGP_ENCRYPT;
			break;
		case 'A':
			account = optarg;
			break;
		case 's':
			subject = optarg;
			break;
		case 'c':
			strv_push(&cc, optarg);
			break;
		case 'b':
			strv_push(&bcc, optarg);
			break;
		case 'a':
			strv_push(&files, optarg);
			break;
		case ':':
			err_set(err, EX_USAGE, "option -%c needs an argument; " CLI_USAGE, optopt);
			goto out;
		default:
			if (optopt)
				err_set(err, EX_USAGE, "unknown option -%c; " CLI_USAGE, optopt);
			else
				err_set(err, EX_USAGE, "unknown option '%s'; " CLI_USAGE,
					argv[optind - 1]);
			goto out;
		}
	}
	for (; optind < argc; optind++)
		strv_push(&to, argv[optind]);
	if (!subject) {
		err_set(err, EX_USAGE, "%s", CLI_USAGE);
		goto out;
	}
	if (to.n + cc.n + bcc.n == 0) {
		err_set(err, EX_USAGE, "no recipients; " CLI_USAGE);
		goto out;
	}
	if (check_args(subject, &to, &cc, &bcc, err) < 0 || load_config(account, &cfg, err) < 0)
		goto out;
	c = compose_new(cfg, account, err);
	if (!c)
		goto out;

	/* The arguments become a draft, so surel -s and the editor path
	 * build messages the same way; line breaks were refused above. */
	buf_printf(&draft, "From: %s\n", compose_from(c));
	put_list_field(&draft, "To", to.v, to.n);
	put_list_field(&draft, "Cc", cc.v, cc.n);
	put_list_field(&draft, "Bcc", bcc.v, bcc.n);
	buf_printf(&draft, "Subject: %s\n\n", subject);
	if (enqueue_read(0, 1, &draft, err) < 0 ||
	    compose_set_draft(c, draft.data, draft.len, err) < 0)
		goto out;
	for (i = 0; i < files.n; i++)
		if (compose_attach_file(c, files.v[i], err) < 0)
			goto out;
	/* --sign and --encrypt add to the account's defaults; --encrypt
	 * insists on every key (a missing one fails before anything is
	 * queued). */
	if (pgp) {
		pgp |= compose_pgp(c) & COMPOSE_PGP_SIGN;
		if (!(pgp & COMPOSE_PGP_ENCRYPT))
			pgp |= compose_pgp(c) & (COMPOSE_PGP_ENCRYPT | COMPOSE_PGP_AUTO);
		compose_set_pgp(c, pgp);
	}
	rc = compose_send(c, NULL, 0, wait ? &id : NULL, err);
	if (rc == 0 && wait)
		rc = wait_sent(id, timeout, err);
out:
	free(id);
	compose_free(c);
	cfg_free(cfg);
	buf_release(&draft);
	strv_release(&to);
	strv_release(&cc);
	strv_release(&bcc);
	strv_release(&files);
	return rc;
}
