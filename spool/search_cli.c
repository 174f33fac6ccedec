#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "codec.h"
#include "idxhint.h"
#include "log.h"
#include "maildir.h"
#include "out.h"
#include "search.h"
#include "search_cli.h"
#include "view.h"

struct progress {
	int tty;
	struct timespec last;
	int shown;
};

/* At most ten updates a second, and the last one. */
static void show_progress(void *arg, size_t done, size_t total)
{
	struct progress *p = arg;
	struct timespec now;

	if (!p->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done != total && p->shown &&
	    (now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 100)
		return;
	p->last = now;
	p->shown = 1;
	fprintf(stderr, "\rindexing: %zu of %zu messages (%zu%%)", done, total,
		total ? done * 100 / total : 100);
	fflush(stderr);
}

static void end_progress(struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
	p->shown = 0;
}

/* Refreshed under the background indexer's lock when it is free, so
 * that writers meanwhile only mark (lib/idxhint.h).  *broken: the
 * refresh found the index corrupt (search_broken()). */
static struct search *open_fresh(const struct cfg_account *a, const char *root, int rebuild,
				 struct progress *p, int *broken, struct err *err)
{
	struct search *s = search_open(root, rebuild ? SEARCH_REBUILD : 0, err);
	int hold = s ? idxhint_hold(root) : -1;

	p->tty = isatty(STDERR_FILENO);
	p->shown = 0;
	if (s && search_refresh(s, show_progress, p, err) < 0) {
		*broken = search_broken(s);
		search_close(s);
		s = NULL;
	}
	end_progress(p);
	idxhint_release(a, hold);
	return s;
}

int search_cli_limit(const char *arg, size_t *out, struct err *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-')
		return err_set(err, EX_USAGE, "--limit needs a count, not '%s'", arg);
	*out = (size_t)v;
	return 0;
}

static json_t *hit_json(const struct search_hit *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "folder", view_json_text(h->folder));
	json_object_set_new(o, "key", view_json_text(h->key));
	json_object_set_new(o, "date_unix", h->date >= 0 ? json_integer((json_int_t)h->date) : json_null());
	json_object_set_new(o, "from", view_json_text(h->from));
	json_object_set_new(o, "subject", view_json_text(h->subject));
	json_object_set_new(o, "snippet", view_json_text(h->snippet));
	return o;
}

static int print_hits(const struct search_hit *v, size_t n, int json, struct err *err)
{
	struct buf line = BUF_INIT;
	size_t i;
	int rc = 0;

	if (json) {
		json_t *arr = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(arr, hit_json(&v[i]));
		rc = json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(arr);
		if (rc < 0)
			return err_sys(err, EX_IOERR, "cannot write output");
		return out_write("\n", 1, err) < 0 ? -1 : out_flush(err);
	}
	for (i = 0; i < n && rc == 0; i++) {
		buf_reset(&line);
		/* A folder name is any bytes but '/'. */
		codec_sanitize(v[i].folder, strlen(v[i].folder), 0, &line);
		buf_putc(&line, '\t');
		view_ls_line(v[i].key, v[i].flags, v[i].date, v[i].from, v[i].subject, &line);
		buf_putc(&line, '\n');
		rc = out_write(line.data, line.len, err);
	}
	buf_release(&line);
	return rc < 0 ? -1 : out_flush(err);
}

static int search_once(const struct cfg_account *a, const char *root, const char *folder,
		       int json, size_t limit, const char *query, int no_refresh, int *broken,
		       struct err *err)
{
	struct progress p;
	struct search *s = no_refresh ? search_open(root, SEARCH_EXISTING, err) :
					open_fresh(a, root, 0, &p, broken, err);
	struct search_hit *v;
	size_t n;
	int rc;

	if (!s)
		return -1;
	rc = search_run(s, query, folder, limit, json ? SEARCH_SNIPPETS : 0, &v, &n, err);
	*broken = search_broken(s);
	search_close(s);
	if (rc < 0)
		return -1;
	rc = print_hits(v, n, json, err);
	search_hits_free(v, n);
	return rc;
}

/* An index found corrupt is gone (search.h): once more, on one built
 * afresh. */
int search_cli_search(const struct cfg_account *a, const char *root, const char *folder,
		      int json, size_t limit, const char *query, int no_refresh, struct err *err)
{
	int broken = 0, rc;

	/* A mistyped --folder is no empty answer. */
	if (folder) {
		char *dir = maildir_folder_path(root, folder);

		rc = maildir_is(dir) ? 0 : err_set(err, EX_NOINPUT, "no folder '%s' (%s is not a Maildir)",
						   folder, dir);
		free(dir);
		if (rc < 0)
			return -1;
	}
	rc = search_once(a, root, folder, json, limit, query, no_refresh, &broken, err);

	if (rc < 0 && broken) {
		log_warnx("%s", err->msg);
		err_clear(err);
		broken = 0;
		rc = search_once(a, root, folder, json, limit, query, no_refresh, &broken, err);
	}
	return rc;
}

static struct search *counted(const struct cfg_account *a, const char *root, int rebuild,
			      size_t *n, size_t *nf, struct err *err)
{
	struct progress p;
	int broken = 0;
	struct search *s = open_fresh(a, root, rebuild, &p, &broken, err);

	if (s && search_count(s, n, nf, err) < 0) {
		broken = search_broken(s);
		search_close(s);
		s = NULL;
	}
	if (!s && broken) {
		log_warnx("%s", err->msg);
		err_clear(err);
		broken = 0;
		s = open_fresh(a, root, 1, &p, &broken, err);
		if (s && search_count(s, n, nf, err) < 0) {
			search_close(s);
			s = NULL;
		}
	}
	return s;
}

int search_cli_index(const struct cfg_account *a, const char *root, int rebuild,
		     struct err *err)
{
	struct search *s;
	struct buf line = BUF_INIT;
	size_t n, nf;
	int rc;

	s = counted(a, root, rebuild, &n, &nf, err);
	if (!s)
		return -1;
	search_close(s);
	buf_printf(&line, "%zu messages in %zu folders\n", n, nf);
	rc = out_write(line.data, line.len, err);
	buf_release(&line);
	return rc < 0 ? -1 : out_flush(err);
}

struct background {
	const char *root;
	struct search *s;
};

static int background_refresh(void *arg, struct err *err)
{
	struct background *b = arg;

	if (!b->s && !(b->s = search_open(b->root, SEARCH_EXISTING, err)))
		return -1;
	return search_refresh(b->s, NULL, NULL, err);
}

int search_cli_background(const char *root, int lockfd, struct err *err)
{
	struct background b = { root, NULL };
	char *db = idxhint_path(root, "db");
	int rc = 0;

	/* Below the writers and the reader of mail, in CPU and (derived
	 * from the nice value) disk time. */
	if (getpriority(PRIO_PROCESS, 0) < IDXHINT_NICE &&
	    setpriority(PRIO_PROCESS, 0, IDXHINT_NICE) < 0)
		log_debug("setpriority: %s", strerror(errno));
	if (access(db, F_OK) == 0)
		rc = idxhint_serve(root, lockfd, IDXHINT_GAP_MS, background_refresh, &b, err);
	else if (lockfd >= 0)
		close(lockfd);
	free(db);
	search_close(b.s);
	return rc;
}
