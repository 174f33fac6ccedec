#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "abook.h"
#include "abook_internal.h"
#include "addr.h"
#include "afile.h"
#include "ascii.h"
#include "buf.h"
#include "pwcmd.h"
#include "xalloc.h"

uint64_t abook_hash(const char *s, size_t len, int lower)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)(lower ? ascii_lower((unsigned char)s[i]) : s[i]);
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

int abook_set_has(const struct abook_set *s, uint64_t h)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = h & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == h)
			return 1;
	return 0;
}

/* Room for n hashes without growing (the load stays under one half). */
static void set_grow(struct abook_set *s, size_t n)
{
	struct abook_set t = { NULL, s->cap ? s->cap : 64, 0 };
	size_t i;

	while (2 * n > t.cap)
		t.cap *= 2;
	if (t.cap == s->cap)
		return;
	t.slot = xcalloc(t.cap, sizeof(*t.slot));
	for (i = 0; i < s->cap; i++)
		if (s->slot[i])
			abook_set_add(&t, s->slot[i]);
	free(s->slot);
	*s = t;
}

void abook_set_reserve(struct abook_set *s, size_t n)
{
	/* A count from a damaged file must not allocate without bound;
	 * past this the set grows as hashes come. */
	set_grow(s, n < ((size_t)1 << 24) ? n : ((size_t)1 << 24));
}

int abook_set_add(struct abook_set *s, uint64_t h)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap)
		set_grow(s, s->n + 1);
	for (i = h & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == h)
			return 0;
	s->slot[i] = h;
	s->n++;
	return 1;
}

void abook_set_release(struct abook_set *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}

void abook_matches_free(struct abook_match *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].addr);
		free(v[i].name);
		free(v[i].nick);
	}
	free(v);
}

const char *abook_source_name(enum abook_source s)
{
	return s == ABOOK_ALIAS ? "alias" : s == ABOOK_BOOK ? "book" : "command";
}

static void add_match(struct abook_match **v, size_t *n, const char *addr, const char *name,
		      const char *nick, enum abook_source source)
{
	struct abook_match *m;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	m = &(*v)[(*n)++];
	m->addr = xstrdup(addr);
	m->name = name && *name ? xstrdup(name) : NULL;
	m->nick = nick ? xstrdup(nick) : NULL;
	m->source = source;
}

/* ---- aliases ---- */

struct alias {
	char *nick;
	struct addr_mbox *mb;
	size_t n;
};

/* The next blank-separated word of *p (before end) as a new string, or
 * NULL at the end. */
static char *next_word(const char **p, const char *end)
{
	const char *s = *p, *e;

	while (s < end && ascii_is_wsp((unsigned char)*s))
		s++;
	for (e = s; e < end && !ascii_is_wsp((unsigned char)*e); e++)
		;
	*p = e;
	return e > s ? xmemdup(s, (size_t)(e - s)) : NULL;
}

/* The address list of an alias line (p to end) as mutt reads it: '#'
 * outside double quotes ends it; outside them a backslash makes the next
 * character plain (and goes), inside them it stays for the address
 * reader. */
static void clean_value(const char *p, const char *end, struct buf *out)
{
	int dq = 0;

	buf_reset(out);
	for (; p < end; p++) {
		if (*p == '\\' && p + 1 < end) {
			if (dq)
				buf_putc(out, '\\');
			buf_putc(out, *++p);
			continue;
		}
		if (*p == '"')
			dq = !dq;
		else if (*p == '#' && !dq)
			break;
		buf_putc(out, *p);
	}
}

/* One logical line (continuations joined) holding an alias into *v. */
static void parse_alias_line(const char *p, const char *end, struct alias **v, size_t *n,
			     struct buf *val)
{
	char *w = next_word(&p, end);
	struct alias *a;

	if (!w || strcmp(w, "alias") != 0) {
		free(w);
		return;
	}
	for (;;) {
		free(w);
		w = next_word(&p, end);
		if (!w || strcmp(w, "-group") != 0)
			break;
		free(next_word(&p, end));
	}
	if (!w)
		return;
	clean_value(p, end, val);
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	a = &(*v)[(*n)++];
	a->nick = w;
	a->n = addr_parse_list(val->data, &a->mb);
}

static size_t parse_aliases(const char *text, size_t len, struct alias **out)
{
	struct buf line = BUF_INIT, val = BUF_INIT;
	const char *p = text, *end = text + len, *nl;
	struct alias *v = NULL;
	size_t n = 0;

	while (p < end) {
		buf_reset(&line);
		/* A backslash before the line end joins the next line. */
		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
			if (nl > p && nl[-1] == '\\' && nl < end) {
				buf_append(&line, p, (size_t)(nl - 1 - p));
				p = nl + 1;
				continue;
			}
			buf_append(&line, p, (size_t)(nl - p));
			p = nl < end ? nl + 1 : end;
			break;
		}
		if (line.len && line.data[line.len - 1] == '\r')
			buf_truncate(&line, line.len - 1);
		/* A NUL would cut the names and addresses made from the line
		 * short (an empty nick, a wrong address): not a text line. */
		if (!memchr(line.data, '\0', line.len))
			parse_alias_line(line.data, line.data + line.len, &v, &n, &val);
	}
	buf_release(&line);
	buf_release(&val);
	*out = v;
	return n;
}

static const struct alias *alias_named(const struct alias *v, size_t n, const char *nick)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].nick, nick) == 0)
			return &v[i];
	return NULL;
}

/* At most this many entries are looked at for one alias, the entries of
 * the aliases it names included: aliases that name each other several
 * times would otherwise multiply the work at every level. */
#define ALIAS_MAX 1000

/* The addresses of alias a into *v under nick; an entry without '@' that
 * names another alias stands for that one's (depth bounds a loop, *left
 * the count). */
static void expand_alias(const struct alias *all, size_t nall, const struct alias *a,
			 const char *nick, int depth, size_t *left, struct abook_match **v,
			 size_t *n)
{
	const struct alias *sub;
	size_t i;

	for (i = 0; i < a->n && *left > 0; i++) {
		const struct addr_mbox *m = &a->mb[i];

		(*left)--;
		if (!strchr(m->addr, '@') && !m->name &&
		    (sub = alias_named(all, nall, m->addr)) != NULL) {
			if (depth < 8)
				expand_alias(all, nall, sub, nick, depth + 1, left, v, n);
			continue;
		}
		if (*m->addr)
			add_match(v, n, m->addr, m->name, nick, ABOOK_ALIAS);
	}
}

static int alias_matches(const struct alias *a, const char *query)
{
	size_t i;

	if (!*query || strcasestr(a->nick, query))
		return 1;
	for (i = 0; i < a->n; i++)
		if (strcasestr(a->mb[i].addr, query) || (a->mb[i].name && strcasestr(a->mb[i].name, query)))
			return 1;
	return 0;
}

void abook_aliases_find(const char *text, size_t len, const char *query,
			struct abook_match **v, size_t *n)
{
	struct alias *al;
	size_t nal = parse_aliases(text, len, &al), i;

	for (i = 0; i < nal; i++) {
		size_t left = ALIAS_MAX;

		if (alias_matches(&al[i], query))
			expand_alias(al, nal, &al[i], al[i].nick, 0, &left, v, n);
	}
	for (i = 0; i < nal; i++) {
		free(al[i].nick);
		addr_list_free(al[i].mb, al[i].n);
	}
	free(al);
}

int abook_aliases_file(const char *path, const char *query, struct abook_match **v,
		       size_t *n, struct err *err)
{
	char *data;
	size_t len;

	if (afile_read(path, 16L * 1024 * 1024, &data, &len, err) < 0) {
		if (err->errnum == ENOENT) {
			err_clear(err);
			return 0;
		}
		err->code = EX_IOERR;
		return -1;
	}
	abook_aliases_find(data, len, query, v, n);
	free(data);
	return 0;
}

/* ---- the query command ---- */

/* One line of query output; first says whether it is the first line. */
static void parse_cmd_line(const char *p, size_t len, int first, struct abook_match **v,
			   size_t *n)
{
	const char *tab = memchr(p, '\t', len);
	struct addr_mbox *mb;
	size_t nmb, i;
	char *addr, *name;

	if (tab) {
		const char *name_end, *tab2;

		addr = xmemdup(p, (size_t)(tab - p));
		tab2 = memchr(tab + 1, '\t', len - (size_t)(tab + 1 - p));
		name_end = tab2 ? tab2 : p + len;
		name = xmemdup(tab + 1, (size_t)(name_end - tab - 1));
		if (strchr(addr, '@') && (!first || addr_valid(addr, ADDR_SYNTAX)))
			add_match(v, n, addr, name, NULL, ABOOK_COMMAND);
		free(addr);
		free(name);
		return;
	}
	addr = xmemdup(p, len);
	nmb = addr_parse_list(addr, &mb);
	/* A first line is free text unless it is exactly one address. */
	for (i = 0; i < nmb && !(first && (nmb != 1 || !addr_valid(mb[0].addr, ADDR_SYNTAX))); i++)
		if (strchr(mb[i].addr, '@'))
			add_match(v, n, mb[i].addr, mb[i].name, NULL, ABOOK_COMMAND);
	addr_list_free(mb, nmb);
	free(addr);
}

void abook_cmd_parse(const char *out, size_t len, struct abook_match **v, size_t *n)
{
	const char *p = out, *end = out + len, *nl;
	int first = 1;

	while (p < end) {
		size_t l;

		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl ? nl : end) - p);
		if (l && p[l - 1] == '\r')
			l--;
		if (l && !memchr(p, '\0', l))
			parse_cmd_line(p, l, first, v, n);
		first = 0;
		p = nl ? nl + 1 : end;
	}
}

/* s with every "%s" as query into out; returns how many there were. */
static int subst(const char *s, size_t len, const char *query, struct buf *out)
{
	int k = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 1 < len && s[i + 1] == 's') {
			buf_puts(out, query);
			i++;
			k++;
		} else {
			buf_putc(out, s[i]);
		}
	}
	return k;
}

/* cmd split into words ('...' and "..." quote and join) with %s as query;
 * the query appended as a word of its own when no %s was there. */
static char **split_cmd(const char *cmd, const char *query, struct err *err)
{
	struct buf w = BUF_INIT;
	char **argv = NULL;
	size_t n = 0;
	const char *p = cmd, *s;
	int found = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				s = strchr(p + 1, *p);
				if (!s) {
					buf_release(&w);
					argv = xreallocarray(argv, n + 1, sizeof(*argv));
					argv[n] = NULL;
					pwcmd_argv_free(argv);
					return err_set(err, EX_CONFIG, "unterminated %c quote in address_cmd",
						       *p), NULL;
				}
				found += subst(p + 1, (size_t)(s - p - 1), query, &w);
				p = s + 1;
			} else {
				s = p;
				while (*s && *s != ' ' && *s != '\t' && *s != '\'' && *s != '"')
					s++;
				found += subst(p, (size_t)(s - p), query, &w);
				p = s;
			}
		}
		argv = xreallocarray(argv, n + 3, sizeof(*argv));
		argv[n++] = buf_detach(&w, NULL);
	}
	if (n == 0) {
		free(argv);
		return err_set(err, EX_CONFIG, "address_cmd is empty"), NULL;
	}
	if (!found)
		argv[n++] = xstrdup(query);
	argv[n] = NULL;
	return argv;
}

/* `/bin/sh -c CMD sh QUERY` with every %s (quoted or not) as "$1". */
static char **shell_cmd(const char *cmd, const char *query)
{
	static const char *const forms[] = { "'%s'", "\"%s\"", "%s" };
	struct buf s = BUF_INIT;
	char **argv = xcalloc(6, sizeof(*argv));
	const char *p = cmd;
	int found = 0;
	size_t i;

	while (*p) {
		for (i = 0; i < 3; i++)
			if (strncmp(p, forms[i], strlen(forms[i])) == 0)
				break;
		if (i < 3) {
			buf_puts(&s, "\"$1\"");
			p += strlen(forms[i]);
			found = 1;
		} else {
			buf_putc(&s, *p++);
		}
	}
	if (!found)
		buf_puts(&s, " \"$1\"");
	argv[0] = xstrdup("/bin/sh");
	argv[1] = xstrdup("-c");
	argv[2] = buf_detach(&s, NULL);
	argv[3] = xstrdup("sh");
	argv[4] = xstrdup(query);
	return argv;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Read fd into out until EOF, ABOOK_CMD_MAX bytes or the time limit. */
static int read_output(int fd, struct buf *out, const char *what, struct err *err)
{
	struct timespec t0;
	struct pollfd pfd = { fd, POLLIN, 0 };
	char chunk[8192];
	ssize_t r;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		left = ABOOK_CMD_TIMEOUT * 1000L - ms_since(&t0);
		if (left <= 0)
			return err_set(err, EX_TEMPFAIL, "address_cmd %s took more than %d seconds",
				       what, ABOOK_CMD_TIMEOUT);
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return err_sys(err, EX_OSERR, "cannot read the output of address_cmd");
		if (r <= 0)
			continue;
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return err_sys(err, EX_IOERR, "cannot read the output of address_cmd");
		if (r == 0)
			return 0;
		if (out->len + (size_t)r > ABOOK_CMD_MAX)
			return err_set(err, EX_DATAERR, "address_cmd %s printed more than %d KiB",
				       what, ABOOK_CMD_MAX / 1024);
		buf_append(out, chunk, (size_t)r);
	}
}

int abook_cmd_run(const char *cmd, const char *query, unsigned flags, struct abook_match **v,
		  size_t *n, struct err *err)
{
	int via_shell = pwcmd_needs_shell(cmd);
	char **argv = via_shell ? shell_cmd(cmd, query) : split_cmd(cmd, query, err);
	struct buf out = BUF_INIT;
	char what[64];
	int fds[2], status = 0, spawned, rc = -1;
	pid_t pid;

	if (!argv)
		return -1;
	if (via_shell)
		snprintf(what, sizeof(what), "(run by /bin/sh)");
	else
		(void)snprintf(what, sizeof(what), "'%s'", argv[0]);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		pwcmd_argv_free(argv);
		return err_sys(err, EX_OSERR, "cannot run address_cmd: pipe");
	}
	/* A process group of its own, so a timeout reaches what a shell
	 * started. */
	spawned = pwcmd_spawn(argv, fds[1],
			      PWCMD_SPAWN_PGRP | ((flags & ABOOK_QUIET) ? PWCMD_SPAWN_QUIET : 0),
			      "address_cmd", &pid, err);
	close(fds[1]);
	pwcmd_argv_free(argv);
	if (spawned < 0) {
		close(fds[0]);
		return -1;
	}
	rc = read_output(fds[0], &out, what, err);
	close(fds[0]);
	if (rc < 0)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && via_shell && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		rc = err_set(err, EX_CONFIG, "address_cmd: the shell could not run it (exit status 127)");
	/* mutt reads what a failing query printed (lbdbq exits 1 when it
	 * found nothing); only silence and a failure is an error. */
	if (rc == 0 && out.len == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = err_set(err, EX_UNAVAILABLE, "address_cmd %s failed%s", what,
			     WIFSIGNALED(status) ? " (killed by a signal)" : "");
	if (rc == 0)
		abook_cmd_parse(out.data, out.len, v, n);
	buf_release(&out);
	return rc;
}

/* ---- merging ---- */

const char *abook_cfg_key(const struct cfg *cfg, const char *account, const char *key)
{
	struct err err = ERR_INIT;
	const struct cfg_account *a;
	const char *v = NULL;

	if (!cfg)
		return NULL;
	a = cfg_account_count(cfg) ? cfg_account_find(cfg, account, &err) : NULL;
	if (a)
		v = cfg_get(a, key);
	return v ? v : cfg_general(cfg, key);
}

int abook_query(const struct cfg *cfg, const char *account, const struct abook *book,
		const char *query, unsigned flags, struct abook_match **v, size_t *n,
		struct err *err)
{
	const char *aliases = abook_cfg_key(cfg, account, "aliases_file");
	const char *cmd = abook_cfg_key(cfg, account, "address_cmd");
	struct abook_match *all = NULL;
	struct abook_set seen = { NULL, 0, 0 };
	struct err cmd_err = ERR_INIT;
	size_t nall = 0, i;
	int rc = 0;

	*v = NULL;
	*n = 0;
	if (aliases && abook_aliases_file(aliases, query, &all, &nall, err) < 0)
		rc = -1;
	if (book)
		abook_find(book, query, &all, &nall);
	if (cmd && *query && abook_cmd_run(cmd, query, flags, &all, &nall, rc < 0 ? &cmd_err : err) < 0)
		rc = -1;
	for (i = 0; i < nall; i++) {
		struct abook_match *m = &all[i];
		int fresh = abook_set_add(&seen, abook_hash(m->addr, strlen(m->addr), 1));

		/* Two aliases may name one address on purpose; the other
		 * sources only repeat what an earlier one gave. */
		if (fresh || m->source == ABOOK_ALIAS) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[(*n)++] = *m;
		} else {
			free(m->addr);
			free(m->name);
			free(m->nick);
		}
	}
	free(all);
	abook_set_release(&seen);
	return rc;
}
