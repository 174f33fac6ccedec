/*
 * spool: local mailboxes from the command line.  This file owns argument
 * parsing, account and folder resolution, and the one place where errors
 * become a message on stderr and a sysexits code.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "abook.h"
#include "afile.h"
#include "buf.h"
#include "cfg.h"
#include "codec.h"
#include "events.h"
#include "fetch.h"
#include "idxhint.h"
#include "index.h"
#include "log.h"
#include "maildir.h"
#include "mda.h"
#include "msg.h"
#include "oauth2.h"
#include "out.h"
#include "path.h"
#include "rules.h"
#include "search_cli.h"
#include "strv.h"
#include "sync.h"
#include "track.h"
#include "view.h"
#include "watch.h"
#include "watchall.h"
#include "xalloc.h"

struct ctx {
	const char *account;
	int verbose;
	int json;
	int decrypt;          /* show --decrypt */
	struct cfg *cfg;
};

/* Long options without a short letter. */
enum { OPT_DECRYPT = 256, OPT_NO_REFRESH, OPT_BACKGROUND, OPT_LOCK_FD };

static void usage(FILE *f)
{
	fputs("usage: spool [-A ACCOUNT] [-v] COMMAND [ARGS]\n"
	      "\n"
	      "commands:\n"
	      "  folders [--json]                  list the account's folders\n"
	      "  ls [--json] [FOLDER]              list messages, oldest first (default INBOX)\n"
	      "  show [--json|--raw] FOLDER KEY    show a message of a folder\n"
	      "  show [--json|--raw] PATH          show a message file\n"
	      "       [--decrypt]                  with the text of an encrypted message\n"
	      "  deliver [FOLDER]                  store the message on stdin (MDA mode)\n"
	      "  fetch [--folder F] [--all]        pull new mail from the POP3/IMAP server\n"
	      "  watch                             fetch mail as it arrives (IMAP IDLE)\n"
	      "  watch --all                       keep every IMAP account synced (spool sync)\n"
	      "                                    as mail arrives and local folders change\n"
	      "  sync [--all] [--folder F]... [--dry-run] [--json] [--allow-delete]\n"
	      "                                    two-way sync with the IMAP server\n"
	      "  addresses [--json] QUERY          addresses to write to: aliases, learned, address_cmd\n"
	      "  auth [--device|--browser]         sign in to the account's OAuth2 provider\n"
	      "  search [--folder F] [--json] [--limit N] [--no-refresh] QUERY\n"
	      "                                    search every folder, newest first (default limit 100)\n"
	      "  index [--rebuild]                 bring the search index up to date\n"
	      "  index --background                the same at low priority, quietly, if an index exists\n"
	      "                                    and no other background refresh runs (what writers start)\n"
	      "  events [--follow] [--since TIME]  the event journal, one JSON object per line\n"
	      "\n"
	      "FOLDER is a folder name of the account, or a path when it contains '/'.\n"
	      "options:\n"
	      "  -A, --account NAME   use this account instead of the default\n"
	      "  -v, --verbose        say what is done\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n"
	      "See spool(1) and surel.conf(5).\n", f);
}

static int load_cfg(struct ctx *c, struct err *err)
{
	if (c->cfg)
		return 0;
	c->cfg = cfg_load(NULL, err);
	return c->cfg ? 0 : -1;
}

/* The account's Maildir root. */
static const char *account_root(struct ctx *c, struct err *err)
{
	const struct cfg_account *a;
	const char *root;

	if (load_cfg(c, err) < 0)
		return NULL;
	a = cfg_account_find(c->cfg, c->account, err);
	if (!a)
		return NULL;
	root = cfg_get(a, "maildir");
	if (!root) {
		err_set(err, EX_CONFIG, "%s: account '%s' has no maildir", cfg_path(c->cfg),
			cfg_account_name(a));
		return NULL;
	}
	return root;
}

/* The directory of FOLDER: a path when it has a '/', else a folder of the
 * account.  Caller frees. */
static char *folder_dir(struct ctx *c, const char *folder, struct err *err)
{
	const char *root;

	if (strchr(folder, '/'))
		return path_expand(folder);
	/* Not a folder name: the root itself, or its parent. */
	if (!maildir_name_ok(folder))
		return err_set(err, EX_USAGE, "'%s' is not a folder name (a path needs a '/')",
			       folder), NULL;
	root = account_root(c, err);
	if (!root)
		return NULL;
	return maildir_folder_path(root, folder);
}

static int print_json(json_t *j, struct err *err)
{
	int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	json_decref(j);
	if (rc < 0)
		return err_sys(err, EX_IOERR, "cannot write output");
	return out_write("\n", 1, err);
}

static int cmd_folders(struct ctx *c, int argc, char **argv, struct err *err)
{
	const char *root;
	char **names;
	size_t n, i;
	json_t *arr;

	if (argc != 0) {
		return err_set(err, EX_USAGE, "folders takes no arguments");
	}
	root = account_root(c, err);
	if (!root)
		return -1;
	/* A new account's mail directory is made by the first delivery or
	 * fetch: until then it has no folders, which is not an error. */
	if (access(root, F_OK) < 0 && errno == ENOENT) {
		names = NULL;
		n = 0;
	} else if (maildir_folders(root, &names, &n, err) < 0) {
		return -1;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		char *dir = maildir_folder_path(root, names[i]);
		struct maildir_entry *e;
		size_t ne, j, unseen = 0, fresh = 0;

		if (maildir_list(dir, 0, &e, &ne, err) < 0) {
			free(dir);
			json_decref(arr);
			maildir_names_free(names, n);
			return -1;
		}
		for (j = 0; j < ne; j++) {
			fresh += e[j].is_new;
			unseen += !strchr(e[j].flags, 'S');
		}
		maildir_entries_free(e, ne);
		if (c->json) {
			json_t *o = json_object();

			json_object_set_new(o, "name", view_json_text(names[i]));
			json_object_set_new(o, "path", view_json_text(dir));
			json_object_set_new(o, "total", json_integer((json_int_t)ne));
			json_object_set_new(o, "unread", json_integer((json_int_t)unseen));
			json_object_set_new(o, "new", json_integer((json_int_t)fresh));
			json_array_append_new(arr, o);
		} else {
			/* A folder name is a directory name, any bytes but '/':
			 * the listing must not be able to drive a terminal. */
			struct buf clean = BUF_INIT;

			codec_sanitize(names[i], strlen(names[i]), 0, &clean);
			printf("%-24s %6zu %6zu unread\n", clean.data, ne, unseen);
			buf_release(&clean);
		}
		free(dir);
	}
	maildir_names_free(names, n);
	if (c->json)
		return print_json(arr, err);
	json_decref(arr);
	return out_flush(err);
}

static json_t *ls_json(const struct index_msg *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "key", view_json_text(m->key));
	json_object_set_new(o, "path", view_json_text(m->path));
	json_object_set_new(o, "flags", view_json_text(m->flags));
	json_object_set_new(o, "date_unix", m->date >= 0 ? json_integer((json_int_t)m->date) : json_null());
	json_object_set_new(o, "from", view_json_text(m->from));
	json_object_set_new(o, "subject", view_json_text(m->subject));
	json_object_set_new(o, "message_id", view_json_text(m->message_id));
	return o;
}

/* The folder index (spool/index.h) does the reading: header blocks of new
 * messages only, the rest from its cache. */
static int cmd_ls(struct ctx *c, int argc, char **argv, struct err *err)
{
	struct buf line = BUF_INIT;
	struct index *ix;
	json_t *arr = NULL;
	char *dir;
	size_t n, i;
	int rc = 0;

	if (argc > 1) {
		return err_set(err, EX_USAGE, "ls takes at most one folder");
	}
	dir = folder_dir(c, argc ? argv[0] : "INBOX", err);
	if (!dir)
		return -1;
	if (!maildir_is(dir)) {
		err_set(err, EX_NOINPUT, "'%s' is not a Maildir", dir);
		free(dir);
		return -1;
	}
	ix = index_open(dir, 0, err);
	free(dir);
	if (!ix)
		return -1;
	n = index_count(ix);
	if (c->json)
		arr = json_array();
	for (i = 0; i < n && rc == 0; i++) {
		const struct index_msg *m = index_at(ix, i);

		if (arr) {
			json_array_append_new(arr, ls_json(m));
			continue;
		}
		buf_reset(&line);
		view_ls_line(m->key, m->flags, m->date, m->from, m->subject, &line);
		buf_putc(&line, '\n');
		rc = out_write(line.data, line.len, err);
	}
	if (arr)
		rc = print_json(arr, err);
	else if (rc == 0)
		rc = out_flush(err);
	index_free(ix);
	buf_release(&line);
	return rc;
}

/* The file a `show` names: PATH alone, or FOLDER and KEY. Caller frees. */
static char *message_path(struct ctx *c, int argc, char **argv, struct err *err)
{
	struct maildir_entry e;
	char *dir, *path;

	if (argc == 1)
		return path_expand(argv[0]);
	dir = folder_dir(c, argv[0], err);
	if (!dir)
		return NULL;
	if (strchr(argv[1], '/')) {
		path = path_join(dir, argv[1]);
		free(dir);
		return path;
	}
	if (maildir_find(dir, argv[1], &e, err) < 0) {
		free(dir);
		return NULL;
	}
	path = path_join(dir, e.path);
	maildir_entry_release(&e);
	free(dir);
	return path;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* The view of m (parsed from data) with its OpenPGP layers opened: the
 * signatures checked, and with --decrypt the encrypted ones decrypted,
 * which is an error when it fails.  Nothing decrypted touches the disk. */
static int show_msg(struct ctx *c, const char *data, size_t len, const struct msg *m,
		    struct err *err)
{
	struct cryptomsg cm;
	struct msg *shown = NULL;
	struct buf out = BUF_INIT;
	json_t *o;
	int rc;

	memset(&cm, 0, sizeof cm);
	if (cryptomsg_kind(m) != CRYPTOMSG_PLAIN) {
		struct timespec t0, t1, t2;
		struct err ierr = ERR_INIT;

		/* -v gives the two costs of a signed message in the pager:
		 * starting GnuPG (once a session) and the checks (every one). */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (c->verbose && crypto_init(&ierr) < 0)
			err_clear(&ierr); /* cryptomsg_open() meets it again and says so */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		rc = cryptomsg_open(data, len, c->decrypt ? CRYPTOMSG_DECRYPT : 0, NULL, NULL, &cm, err);
		clock_gettime(CLOCK_MONOTONIC, &t2);
		log_info("gnupg started in %.1f ms; %zu signatures checked in %.1f ms",
			 ms_between(&t0, &t1), cm.sigs.n, ms_between(&t1, &t2));
		if (rc < 0) {
			cryptomsg_release(&cm);
			return -1;
		}
	}
	if (c->decrypt && cm.encrypted && !cm.decrypted) {
		*err = cm.error;
		if (!err->code)
			err_set(err, EX_DATAERR, "cannot decrypt the message");
		cryptomsg_release(&cm);
		return -1;
	}
	if (cm.data)
		shown = msg_parse(cm.data, cm.len, 0);
	if (c->json) {
		o = view_json(m);
		view_json_crypto(o, &cm, shown);
		rc = print_json(o, err);
	} else {
		view_text_crypto(shown ? shown : m, &cm, &out);
		rc = out_write(out.data, out.len, err);
		explicit_bzero(out.data, out.len);
		buf_release(&out);
	}
	msg_free(shown);
	cryptomsg_release(&cm);
	return rc;
}

static int cmd_show(struct ctx *c, int argc, char **argv, int raw, struct err *err)
{
	struct msg *m;
	char *path, *data;
	size_t len;
	int rc;

	if (argc < 1 || argc > 2) {
		return err_set(err, EX_USAGE, "show needs FOLDER KEY or a PATH");
	}
	path = message_path(c, argc, argv, err);
	if (!path)
		return -1;
	rc = afile_read_regular(path, AFILE_MSG_MAX, &data, &len, err);
	free(path);
	if (rc < 0)
		return -1;
	if (raw) {
		rc = out_write(data, len, err);
		free(data);
		return rc < 0 ? -1 : out_flush(err);
	}
	m = msg_parse(data, len, 0);
	if (!m) {
		free(data);
		return err_set(err, EX_DATAERR, "message too large to parse");
	}
	rc = show_msg(c, data, len, m, err);
	msg_free(m);
	free(data);
	return rc < 0 ? -1 : out_flush(err);
}

/* Read the message's header block from fd into head (more may come
 * along, up to one read past it), at most RULES_HEAD_MAX bytes. */
static int read_head(int fd, struct buf *head, struct err *err)
{
	char chunk[8192];
	ssize_t r;

	while (head->len < RULES_HEAD_MAX && !rules_head_complete(head->data, head->len)) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(err, EX_TEMPFAIL, "cannot read the message");
		if (r == 0)
			break;
		buf_append(head, chunk, (size_t)r);
	}
	return 0;
}

/* Without a FOLDER argument, the account's filing rules choose the folder
 * from the header (INBOX when none matches); *dir_out is NULL when the
 * account has no rules.  head gets what was read of stdin. */
static int rule_dir(struct ctx *c, struct buf *head, char **dir_out, struct err *err)
{
	const struct cfg_account *a;
	struct rules *rules;
	const char *root, *to;
	int rc = 0;

	*dir_out = NULL;
	root = account_root(c, err);
	if (!root)
		return -1;
	a = cfg_account_find(c->cfg, c->account, err);
	rules = a ? cfg_rules(a, err) : NULL;
	if (!rules)
		return -1;
	if (rules_count(rules) > 0) {
		rc = read_head(STDIN_FILENO, head, err);
		to = rc == 0 ? rules_match_data(rules, head->data, head->len) : NULL;
		if (rc == 0)
			*dir_out = maildir_folder_path(root, to ? to : "INBOX");
		if (to)
			log_info("filed by rule into '%s'", to);
	}
	rules_free(rules);
	return rc;
}

/* Whether dir is root or a folder below it (trailing '/' ignored). */
static int below(const char *dir, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return strncmp(dir, root, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/* The account a message stored in dir was delivered for: -A's, else the
 * one whose maildir holds dir, the default account first; NULL when none
 * is known (a path outside every account's maildir, or no usable
 * configuration). */
static const char *delivered_for(struct ctx *c, const char *dir)
{
	struct err e = ERR_INIT;
	const struct cfg_account *a;
	const char *root;
	size_t i;

	if (c->account)
		return c->account;
	if (load_cfg(c, &e) < 0)
		return NULL;
	for (i = 0; i <= cfg_account_count(c->cfg); i++) {
		a = i == 0 ? cfg_account_find(c->cfg, NULL, &e) : cfg_account_at(c->cfg, i - 1);
		if (!a)
			continue;
		root = cfg_get(a, "maildir");
		if (root && below(dir, root))
			return cfg_account_name(a);
	}
	return NULL;
}

/* The journal's "arrived" event and the delivery reports' match
 * (lib/track.h) for a message stored at path in Maildir dir; m holds it
 * whole (mda_read()). */
static void arrived(struct ctx *c, const char *dir, const char *path, const struct buf *m)
{
	const char *folder = strrchr(dir, '/'), *base = strrchr(path, '/');
	char *key = xstrdup(base ? base + 1 : path), *colon = strchr(key, ':');

	if (colon)
		*colon = '\0';
	folder = folder ? folder + 1 : dir;
	if (folder[0] == '.')
		folder++;
	track_arrived(delivered_for(c, dir), folder, key, m->data ? m->data : "", m->len);
	free(key);
}

/* The account's search index learns of a message stored in dir
 * (lib/idxhint.h): in the background, as nothing may delay a delivery. */
static void hint_index(struct ctx *c, const char *dir)
{
	struct err e = ERR_INIT;
	const char *name = delivered_for(c, dir);
	const struct cfg_account *a = NULL;

	if (name && load_cfg(c, &e) == 0)
		a = cfg_account_find(c->cfg, name, &e);
	if (a)
		idxhint_note(a);
}

static int cmd_deliver(struct ctx *c, int argc, char **argv, struct err *err)
{
	struct buf head = BUF_INIT;
	char *dir = NULL, *path = NULL;
	int rc;

	if (argc > 1) {
		return err_set(err, EX_USAGE, "deliver takes at most one folder");
	}
	/* The whole message, without the envelope an MTA wrote around it
	 * (spool/mda.h); the rules see it as it is stored. */
	if (mda_read(STDIN_FILENO, &head, err) < 0) {
		buf_release(&head);
		return -1;
	}
	/* An explicit FOLDER bypasses the rules. */
	if (argc == 0 && rule_dir(c, &head, &dir, err) < 0) {
		buf_release(&head);
		return -1;
	}
	if (!dir)
		dir = folder_dir(c, argc ? argv[0] : "INBOX", err);
	if (!dir) {
		buf_release(&head);
		return -1;
	}
	rc = maildir_is(dir) ? 0 : maildir_create(dir, err);
	if (rc == 0)
		rc = maildir_deliver_head_fd(dir, head.data, head.len, STDIN_FILENO, NULL, &path,
					     err);
	if (rc == 0) {
		arrived(c, dir, path, &head);
		hint_index(c, dir);
	}
	buf_release(&head);
	if (rc == 0)
		log_info("delivered to '%s'", path);
	free(path);
	free(dir);
	return rc;
}

static int cmd_fetch(struct ctx *c, int argc, const char *folder, int all, struct err *err)
{
	struct fetch_opts o = { folder, isatty(STDERR_FILENO) };
	const struct cfg_account *a;
	struct err e = ERR_INIT;

	if (argc != 0 || (all && (c->account || folder))) {
		return err_set(err, EX_USAGE, "fetch takes no arguments, and --all no -A or --folder");
	}
	if (load_cfg(c, err) < 0)
		return -1;
	if (fetch_run(c->cfg, c->account, all, &o, err) == 0)
		return 0;
	/* Without -A (and --all) it was the default account's fetch. */
	a = all ? NULL : cfg_account_find(c->cfg, c->account, &e);
	events_log("sync_error", a ? cfg_account_name(a) : c->account, "error", err->msg,
		   (const char *)NULL);
	return -1;
}

/* A name or address on one line of mutt's query format, sanitised: a tab
 * or a line end becomes a blank, so it cannot split the line, and no
 * escape sequence from a message or a query command reaches a terminal. */
static void put_field(struct buf *out, const char *s)
{
	if (s)
		codec_sanitize(s, strlen(s), 0, out);
}

/* addresses: every source merged (abook.h), as JSON or in the format of
 * mutt's query_command, so that this command can serve as one.  What was
 * found is printed even when address_cmd failed; the exit status then
 * says so. */
static int cmd_sync(struct ctx *c, int argc, const struct strv *folders, int all, int dry_run,
		    int allow_delete, struct err *err)
{
	const struct cfg_account *a;
	struct err e = ERR_INIT;
	struct sync_opts o;

	if (argc != 0 || (all && (c->account || folders->n)))
		return err_set(err, EX_USAGE, "sync takes no arguments, and --all no -A or --folder");
	if (load_cfg(c, err) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.folders = folders->v;
	o.nfolders = folders->n;
	o.dry_run = dry_run;
	o.allow_delete = allow_delete;
	if (sync_run(c->cfg, c->account, all, c->json, &o, err) == 0)
		return 0;
	a = all ? NULL : cfg_account_find(c->cfg, c->account, &e);
	events_log("sync_error", a ? cfg_account_name(a) : c->account, "error", err->msg,
		   (const char *)NULL);
	return -1;
}

static int cmd_addresses(struct ctx *c, int argc, char **argv, struct err *err)
{
	struct err qerr = ERR_INIT;
	struct abook *book;
	struct abook_match *v;
	struct buf out = BUF_INIT;
	struct timespec t0, t1, t2;
	size_t n, i;
	int rc;

	if (argc != 1)
		return err_set(err, EX_USAGE, "addresses takes one QUERY (\"\" lists every address)");
	if (load_cfg(c, err) < 0) {
		if (err->errnum != ENOENT)
			return -1;
		err_clear(err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	book = abook_open(c->cfg, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rc = abook_query(c->cfg, c->account, book, argv[0], 0, &v, &n, &qerr);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* -v gives the two costs of a completion in the MUA: bringing the
	 * book up to date (its first Tab) and one query (every Tab). */
	log_info("address book of %zu addresses ready in %.1f ms; %zu matches in %.1f ms",
		 abook_count(book), ms_between(&t0, &t1), n, ms_between(&t1, &t2));
	abook_free(book);
	if (c->json) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++) {
			json_t *o = json_object();

			json_object_set_new(o, "address", view_json_text(v[i].addr));
			json_object_set_new(o, "name", view_json_text(v[i].name));
			json_object_set_new(o, "source", json_string(abook_source_name(v[i].source)));
			json_object_set_new(o, "alias", view_json_text(v[i].nick));
			json_array_append_new(arr, o);
		}
		abook_matches_free(v, n);
		if (print_json(arr, err) < 0)
			return -1;
	} else {
		buf_printf(&out, "%zu %s\n", n, n == 1 ? "match" : "matches");
		for (i = 0; i < n; i++) {
			put_field(&out, v[i].addr);
			buf_putc(&out, '\t');
			put_field(&out, v[i].name);
			buf_printf(&out, "\t%s", abook_source_name(v[i].source));
			if (v[i].nick) {
				buf_putc(&out, ' ');
				put_field(&out, v[i].nick);
			}
			buf_putc(&out, '\n');
		}
		abook_matches_free(v, n);
		if (out_write(out.data, out.len, err) < 0) {
			buf_release(&out);
			return -1;
		}
		buf_release(&out);
	}
	if (rc < 0)
		*err = qerr;
	return rc;
}

/* The full-text index over every folder of the account (search_cli.h). */
static int cmd_search(struct ctx *c, int argc, char **argv, const char *folder,
		      const char *limit, int no_refresh, struct err *err)
{
	const char *root;
	size_t n = SEARCH_CLI_LIMIT;

	if (argc != 1)
		return err_set(err, EX_USAGE, "search takes one QUERY (quote it)");
	if (limit && search_cli_limit(limit, &n, err) < 0)
		return -1;
	root = account_root(c, err);
	return root ? search_cli_search(cfg_account_find(c->cfg, c->account, err), root, folder,
					c->json, n, argv[0], no_refresh, err) : -1;
}

/* --lock-fd: a descriptor a writer handed over open (lib/idxhint.h). */
static int lock_fd(const char *arg, int *out, struct err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < 3 || v > 1024 || fcntl((int)v, F_GETFD) < 0)
		return err_set(err, EX_USAGE, "--lock-fd needs an open descriptor, not '%s'", arg);
	*out = (int)v;
	return 0;
}

static int cmd_index(struct ctx *c, int argc, int rebuild, int background, const char *lockarg,
		     struct err *err)
{
	const char *root;
	int fd = -1, quiet, rc;

	if (argc != 0)
		return err_set(err, EX_USAGE, "index takes no arguments");
	if (lockarg && !background)
		return err_set(err, EX_USAGE, "--lock-fd goes with --background");
	if (background && rebuild)
		return err_set(err, EX_USAGE, "--background and --rebuild exclude each other");
	if (lockarg && lock_fd(lockarg, &fd, err) < 0)
		return -1;
	/* Started by a writer, with nobody to read stderr: syslog. */
	quiet = background && !isatty(STDERR_FILENO);
	if (quiet)
		log_init(c->verbose >= 2 ? LOG_LVL_DEBUG : c->verbose ? LOG_LVL_INFO : LOG_LVL_WARN, 1);
	root = account_root(c, err);
	if (!root)
		rc = -1;
	else if (background)
		rc = search_cli_background(root, fd, err);
	else
		rc = search_cli_index(cfg_account_find(c->cfg, c->account, err), root, rebuild,
				      err);
	if (!root && fd >= 0)
		close(fd);
	if (rc < 0 && quiet)
		log_error("%s", err->msg);
	return rc;
}

/* How long `spool auth --browser` waits for the browser's redirect. */
#define AUTH_BROWSER_WAIT 600

/* how: 'd' (--device), 'b' (--browser), 0: the device grant when the
 * provider has one (it works over SSH), else the browser. */
static int cmd_auth(struct ctx *c, int argc, int how, struct err *err)
{
	const struct cfg_account *a;
	const char *auth;
	struct oauth2 *o;
	int rc;

	if (argc != 0)
		return err_set(err, EX_USAGE, "auth takes no arguments");
	if (load_cfg(c, err) < 0)
		return -1;
	a = cfg_account_find(c->cfg, c->account, err);
	if (!a)
		return -1;
	auth = cfg_get(a, "auth");
	if (!auth || strcmp(auth, "oauth2") != 0)
		return err_set(err, EX_CONFIG, "account '%s' does not have auth = oauth2",
			       cfg_account_name(a));
	o = oauth2_new(a, err);
	if (!o)
		return -1;
	if (how == 0)
		how = oauth2_has_device(o) ? 'd' : 'b';
	if (how == 'd')
		rc = oauth2_signin_device(o, stdout, err);
	else
		rc = oauth2_signin_browser(o, stdout, AUTH_BROWSER_WAIT, err);
	oauth2_free(o);
	return rc;
}

static volatile sig_atomic_t events_stop;

static void on_events_stop(int sig)
{
	(void)sig;
	events_stop = 1;
}

/* spool events [--follow] [--since TIME]: the journal (lib/events.h). */
static int cmd_events(int argc, int follow, const char *since, struct err *err)
{
	struct sigaction sa;
	time_t t = 0;

	if (argc != 0)
		return err_set(err, EX_USAGE, "events takes no arguments");
	if (since && events_parse_since(since, time(NULL), &t, err) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_events_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	return events_print(t, follow, &events_stop, err);
}

/* getopt's own messages are off (opterr = 0) so a usage error stays one line. */
static int bad_option(const char *arg)
{
	struct err err = ERR_INIT;

	err_set(&err, EX_USAGE, "bad option or missing argument near '%s' (see spool --help)", arg);
	return err_report(&err);
}

/* The options after the command (some commands use some of them). */
struct cmdopts {
	const char *folder, *since, *limit, *lock_fd;
	struct strv folders;   /* every --folder, for sync */
	int raw, all, how, follow, dry_run, allow_delete, rebuild, no_refresh, background;
};

/* Run command cmd with its arguments and options. */
static int run(struct ctx *c, const char *cmd, int argc, char **argv, const struct cmdopts *o,
	       struct err *err)
{
	int rc;

	if (strcmp(cmd, "folders") == 0) {
		rc = cmd_folders(c, argc, argv, err);
	} else if (strcmp(cmd, "ls") == 0) {
		rc = cmd_ls(c, argc, argv, err);
	} else if (strcmp(cmd, "show") == 0) {
		rc = cmd_show(c, argc, argv, o->raw, err);
	} else if (strcmp(cmd, "fetch") == 0) {
		rc = cmd_fetch(c, argc, o->folder, o->all, err);
	} else if (strcmp(cmd, "sync") == 0) {
		rc = cmd_sync(c, argc, &o->folders, o->all, o->dry_run, o->allow_delete, err);
	} else if (strcmp(cmd, "addresses") == 0) {
		rc = cmd_addresses(c, argc, argv, err);
	} else if (strcmp(cmd, "watch") == 0) {
		if (argc != 0 || (o->all && c->account)) {
			err_set(err, EX_USAGE, "watch takes no arguments, and --all no -A");
			rc = -1;
		} else {
			rc = load_cfg(c, err);
			if (rc == 0)
				rc = o->all ? watchall_run(c->cfg, err) : watch_run(c->cfg, c->account, err);
		}
	} else if (strcmp(cmd, "search") == 0) {
		rc = cmd_search(c, argc, argv, o->folder, o->limit, o->no_refresh, err);
	} else if (strcmp(cmd, "index") == 0) {
		rc = cmd_index(c, argc, o->rebuild, o->background, o->lock_fd, err);
	} else if (strcmp(cmd, "auth") == 0) {
		rc = cmd_auth(c, argc, o->how, err);
	} else if (strcmp(cmd, "events") == 0) {
		rc = cmd_events(argc, o->follow, o->since, err);
	} else if (strcmp(cmd, "deliver") == 0) {
		rc = cmd_deliver(c, argc, argv, err);
		/* The calling MTA keeps and retries mail on 75; anything but a
		 * usage mistake must not make it bounce or drop the message. */
		if (rc < 0 && err->code != EX_USAGE)
			err->code = EX_TEMPFAIL;
	} else {
		err_set(err, EX_USAGE, "unknown command '%s' (see spool --help)", cmd);
		rc = -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "account", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "folder", required_argument, NULL, 'F' },
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "allow-delete", no_argument, NULL, 'D' },
		{ "device", no_argument, NULL, 'd' },
		{ "browser", no_argument, NULL, 'b' },
		{ "decrypt", no_argument, NULL, OPT_DECRYPT },
		{ "limit", required_argument, NULL, 'l' },
		{ "rebuild", no_argument, NULL, 'R' },
		{ "no-refresh", no_argument, NULL, OPT_NO_REFRESH },
		{ "background", no_argument, NULL, OPT_BACKGROUND },
		{ "lock-fd", required_argument, NULL, OPT_LOCK_FD },
		{ "follow", no_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { 0 };
	struct err err = ERR_INIT;
	struct cmdopts o = { NULL, NULL, NULL, NULL, STRV_INIT, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	const char *cmd;
	int opt, rc;

	log_set_prog("spool");
	opterr = 0;
	/* '+' stops at the command; options after it are parsed again below,
	 * so both `spool -A x ls` and `spool ls -A x` work. */
	while ((opt = getopt_long(argc, argv, "+A:vhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'A': c.account = optarg; break;
		case 'v': c.verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("spool " PACKAGE_VERSION); return 0;
		default: return bad_option(argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		err_set(&err, EX_USAGE, "no command given (see spool --help)");
		return err_report(&err);
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "A:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'A': c.account = optarg; break;
		case 'v': c.verbose++; break;
		case 'j': c.json = 1; break;
		case 'r': o.raw = 1; break;
		case 'F':
			o.folder = optarg;
			strv_push(&o.folders, optarg);
			break;
		case 'a': o.all = 1; break;
		case OPT_DECRYPT: c.decrypt = 1; break;
		case 'l': o.limit = optarg; break;
		case 'R': o.rebuild = 1; break;
		case OPT_NO_REFRESH: o.no_refresh = 1; break;
		case OPT_BACKGROUND: o.background = 1; break;
		case OPT_LOCK_FD: o.lock_fd = optarg; break;
		case 'f': o.follow = 1; break;
		case 's': o.since = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'D': o.allow_delete = 1; break;
		case 'd':
		case 'b':
			if (o.how && o.how != opt) {
				err_set(&err, EX_USAGE, "--device and --browser exclude each other");
				return err_report(&err);
			}
			o.how = opt;
			break;
		case 'h': usage(stdout); return 0;
		default: return bad_option(argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	log_init(c.verbose >= 2 ? LOG_LVL_DEBUG : c.verbose ? LOG_LVL_INFO : LOG_LVL_WARN, 0);

	rc = run(&c, cmd, argc, argv, &o, &err);
	cfg_free(c.cfg);
	strv_release(&o.folders);
	if (rc < 0)
		oauth2_signin_plain(&err);
	return rc < 0 ? err_report(&err) : 0;
}
