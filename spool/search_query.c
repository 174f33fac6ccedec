#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "search_query.h"
#include "search_text.h"
#include "xalloc.h"

/* Queries nest at most this deep: the parser recurses. */
#define DEPTH_MAX 64

enum kind { N_AND, N_OR, N_NOT, N_FTS, N_SQL, N_FALSE };

struct node {
	enum kind kind;
	struct node *a, *b;
	char *text;                /* N_FTS: the FTS5 expression; N_SQL: the SQL */
	struct search_bind bind[2];
	size_t nbind;
};

struct parser {
	const char *p;
	int depth;
	struct search_query *sq;
	struct err *err;
};

static void node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->text);
	for (i = 0; i < n->nbind; i++)
		free(n->bind[i].text);
	free(n);
}

static struct node *node_new(enum kind k, struct node *a, struct node *b)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = k;
	n->a = a;
	n->b = b;
	return n;
}

static void skip_blank(struct parser *ps)
{
	while (*ps->p && isspace((unsigned char)*ps->p))
		ps->p++;
}

/* Whether the next word is the operator op (followed by a blank, a
 * parenthesis or the end); eat it when take. */
static int is_op(struct parser *ps, const char *op, int take)
{
	size_t l = strlen(op);
	char c;

	skip_blank(ps);
	if (strncmp(ps->p, op, l) != 0)
		return 0;
	c = ps->p[l];
	if (c && !isspace((unsigned char)c) && c != '(' && c != ')')
		return 0;
	ps->p += take ? l : 0;
	return 1;
}

/* A "phrase" at ps->p (on its opening quote); *out gets its text. */
static int read_phrase(struct parser *ps, char **out)
{
	const char *e = strchr(ps->p + 1, '"');

	if (!e) {
		err_set(ps->err, EX_USAGE, "query: unterminated \"phrase\"");
		return -1;
	}
	*out = xstrndup(ps->p + 1, (size_t)(e - ps->p - 1));
	ps->p = e + 1;
	return 0;
}

static void add_term(struct parser *ps, const char *t)
{
	struct search_query *sq = ps->sq;

	sq->terms = xreallocarray(sq->terms, sq->nterms + 1, sizeof(*sq->terms));
	sq->terms[sq->nterms++] = xstrdup(t);
}

/* A word or phrase leaf over column col (NULL: every column). */
static struct node *text_leaf(struct parser *ps, const char *col, const char *t, int prefix)
{
	struct buf e = BUF_INIT;
	struct node *n;

	if (col)
		buf_printf(&e, "{%s} : ", col);
	if (search_text_query(t, prefix, &e) < 0) {
		buf_release(&e);
		return node_new(N_FALSE, NULL, NULL);
	}
	add_term(ps, t);
	n = node_new(N_FTS, NULL, NULL);
	n->text = buf_detach(&e, NULL);
	return n;
}

static struct node *sql_leaf(const char *sql)
{
	struct node *n = node_new(N_SQL, NULL, NULL);

	n->text = xstrdup(sql);
	return n;
}

/* The start of the period s names (YYYY, YYYY-MM or YYYY-MM-DD, local
 * time) in *from and the start of the next one in *to. */
static int read_date(const char *s, size_t n, long long *from, long long *to)
{
	struct tm tm;
	int y = 0, mo = 0, d = 0, parts, used[3] = { -1, -1, -1 };
	char tmp[16];

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* All of it read: 20240630 is no year. */
	parts = sscanf(tmp, "%4d%n-%2d%n-%2d%n", &y, &used[0], &mo, &used[1], &d, &used[2]);
	if (parts < 1 || parts > 3 || used[parts - 1] != (int)n || y < 1970 ||
	    (parts >= 2 && (mo < 1 || mo > 12)) || (parts == 3 && (d < 1 || d > 31)))
		return -1;
	if (strspn(tmp, "0123456789-") != n)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = parts >= 2 ? mo - 1 : 0;
	tm.tm_mday = parts == 3 ? d : 1;
	tm.tm_isdst = -1;
	*from = (long long)mktime(&tm);
	/* mktime() moves 2024-02-30 to March: no such day. */
	if (tm.tm_mday != (parts == 3 ? d : 1))
		return -1;
	if (parts == 1)
		tm.tm_year++;
	else if (parts == 2)
		tm.tm_mon++;
	else
		tm.tm_mday++;
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*to = (long long)mktime(&tm);
	return 0;
}

static struct node *date_leaf(struct parser *ps, const char *v)
{
	const char *dots = strstr(v, "..");
	long long a0 = 0, a1 = 0, b0 = 0, b1 = 0;
	size_t la = dots ? (size_t)(dots - v) : strlen(v);
	const char *b = dots ? dots + 2 : v;
	size_t lb = strlen(b);
	struct node *n;

	if ((la && read_date(v, la, &a0, &a1) < 0) || (lb && read_date(b, lb, &b0, &b1) < 0) ||
	    (!la && !lb)) {
		err_set(ps->err, EX_USAGE,
			"query: bad date '%s' (YYYY[-MM[-DD]], A..B, A.. or ..B)", v);
		return NULL;
	}
	if (la && lb && a0 >= b1) {
		err_set(ps->err, EX_USAGE, "query: date range '%s' ends before it starts", v);
		return NULL;
	}
	n = node_new(N_SQL, NULL, NULL);
	if (la && lb)
		n->text = xstrdup("(m.date >= ? AND m.date < ?)");
	else if (la)
		n->text = xstrdup("m.date >= ?");
	else
		n->text = xstrdup("(m.date >= 0 AND m.date < ?)");
	if (la)
		n->bind[n->nbind++].num = a0;
	if (lb)
		n->bind[n->nbind++].num = b1;
	return n;
}

static struct node *folder_leaf(const char *v)
{
	struct node *n = node_new(N_SQL, NULL, NULL);
	size_t l = strlen(v), i;
	struct buf g = BUF_INIT;

	if (l == 0 || v[l - 1] != '*') {
		n->text = xstrdup("f.name = ?");
		n->bind[0].is_text = 1;
		n->bind[0].text = xstrdup(v);
		n->nbind = 1;
		return n;
	}
	/* A GLOB pattern with the metacharacters of the name escaped. */
	for (i = 0; i + 1 < l; i++) {
		if (v[i] == '*' || v[i] == '?' || v[i] == '[')
			buf_printf(&g, "[%c]", v[i]);
		else
			buf_putc(&g, v[i]);
	}
	buf_putc(&g, '*');
	n->text = xstrdup("f.name GLOB ?");
	n->bind[0].is_text = 1;
	n->bind[0].text = buf_detach(&g, NULL);
	n->nbind = 1;
	return n;
}

/* id:ID, the message of that Message-ID; thread:ID, the messages of its
 * thread (search_text.h: the root each message names, or that of the
 * message ID when the index holds it).  Angle brackets are optional. */
static struct node *id_leaf(const char *field, const char *v)
{
	struct node *n = node_new(N_SQL, NULL, NULL);
	size_t l = strlen(v);
	char *id;

	if (l >= 2 && v[0] == '<' && v[l - 1] == '>')
		id = xstrndup(v + 1, l - 2);
	else
		id = xstrdup(v);
	n->bind[0].is_text = 1;
	n->bind[0].text = id;
	n->nbind = 1;
	if (strcmp(field, "id") == 0) {
		n->text = xstrdup("m.msgid = ?");
		return n;
	}
	n->text = xstrdup("(m.thread = ? OR m.thread IN (SELECT t.thread FROM msg t"
			  " WHERE t.msgid = ?))");
	n->bind[1].is_text = 1;
	n->bind[1].text = xstrdup(id);
	n->nbind = 2;
	return n;
}

static const struct {
	const char *name, *sql;
} is_tab[] = {
	{ "unread", "instr(m.flags, 'S') = 0" },
	{ "read", "instr(m.flags, 'S') > 0" },
	{ "flagged", "instr(m.flags, 'F') > 0" },
	{ "replied", "instr(m.flags, 'R') > 0" },
	{ "passed", "instr(m.flags, 'P') > 0" },
	{ "draft", "instr(m.flags, 'D') > 0" },
	{ "trashed", "instr(m.flags, 'T') > 0" },
	{ "new", "substr(m.path, 1, 4) = 'new/'" },
};

/* field:value; v is the value (a phrase's text when quoted). */
static struct node *field_leaf(struct parser *ps, const char *field, const char *v, int prefix)
{
	size_t i;

	if (!*v) {
		err_set(ps->err, EX_USAGE, "query: '%s:' needs a value", field);
		return NULL;
	}
	if (strcmp(field, "from") == 0)
		return text_leaf(ps, "sender", v, prefix);
	if (strcmp(field, "to") == 0)
		return text_leaf(ps, "recip", v, prefix);
	if (strcmp(field, "subject") == 0)
		return text_leaf(ps, "subject", v, prefix);
	if (strcmp(field, "body") == 0)
		return text_leaf(ps, "body", v, prefix);
	if (strcmp(field, "folder") == 0)
		return folder_leaf(v);
	if (strcmp(field, "date") == 0)
		return date_leaf(ps, v);
	if (strcmp(field, "id") == 0 || strcmp(field, "thread") == 0)
		return id_leaf(field, v);
	if (strcmp(field, "is") == 0) {
		for (i = 0; i < sizeof(is_tab) / sizeof(is_tab[0]); i++)
			if (strcmp(v, is_tab[i].name) == 0)
				return sql_leaf(is_tab[i].sql);
		err_set(ps->err, EX_USAGE, "query: unknown 'is:%s'", v);
		return NULL;
	}
	if (strcmp(field, "has") == 0 && strcmp(v, "attachment") == 0)
		return sql_leaf("m.attach = 1");
	err_set(ps->err, EX_USAGE, "query: unknown '%s:%s'", field, v);
	return NULL;
}

static const char *const fields[] = { "from", "to", "subject", "body", "folder", "date",
				      "is", "has", "id", "thread" };

/* s[0..n) before a ':' is a field name when it is ASCII letters: one of
 * fields (in any case), else an error, so that a mistyped field is not
 * searched for as words (to search "http://x", quote it). */
static int is_field(struct parser *ps, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalpha((unsigned char)s[i]))
			return 0;
	for (i = 0; n && i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i]) == n && strncasecmp(fields[i], s, n) == 0)
			return 1;
	if (n)
		err_set(ps->err, EX_USAGE,
			"query: unknown field '%.*s:' (from to subject body folder date is has id"
			" thread; quote words with a colon)", (int)n, s);
	return n ? -1 : 0;
}

/* A term at ps->p: a phrase, a word, or field:value. */
static struct node *term(struct parser *ps)
{
	const char *s = ps->p, *colon;
	char *word, *field = NULL, *v;
	struct node *n;
	size_t l, k;
	int prefix = 0, isf;

	if (*s == '"') {
		if (read_phrase(ps, &v) < 0)
			return NULL;
		prefix = *ps->p == '*';
		ps->p += prefix;
		n = text_leaf(ps, NULL, v, prefix);
		free(v);
		return n;
	}
	l = strcspn(s, " \t\r\n\f\v()\"");
	colon = memchr(s, ':', l);
	isf = colon ? is_field(ps, s, (size_t)(colon - s)) : 0;
	if (isf < 0)
		return NULL;
	if (isf) {
		field = xstrndup(s, (size_t)(colon - s));
		for (k = 0; field[k]; k++)
			field[k] = (char)tolower((unsigned char)field[k]);
		ps->p = colon + 1;
		if (*ps->p == '"') {
			if (read_phrase(ps, &v) < 0) {
				free(field);
				return NULL;
			}
		} else {
			v = xstrndup(ps->p, l - (size_t)(ps->p - s));
			ps->p = s + l;
		}
	} else {
		v = xstrndup(s, l);
		ps->p = s + l;
	}
	word = v;
	l = strlen(word);
	/* A '*' ends a prefix, but for the names and ids it may be part of. */
	if (l && word[l - 1] == '*' &&
	    (!field || (strcmp(field, "folder") && strcmp(field, "id") && strcmp(field, "thread")))) {
		word[l - 1] = '\0';
		prefix = 1;
	} else if (*ps->p == '*') {
		ps->p++;
		prefix = 1;
	}
	n = field ? field_leaf(ps, field, word, prefix) : text_leaf(ps, NULL, word, prefix);
	free(field);
	free(word);
	return n;
}

static struct node *parse_or(struct parser *ps);

static struct node *unary(struct parser *ps)
{
	struct node *n;

	skip_blank(ps);
	if (!*ps->p || *ps->p == ')') {
		err_set(ps->err, EX_USAGE, "query: a term is missing%s",
			*ps->p ? " before ')'" : " at the end");
		return NULL;
	}
	if (is_op(ps, "AND", 0) || is_op(ps, "OR", 0)) {
		err_set(ps->err, EX_USAGE, "query: a term is missing before '%.*s'",
			ps->p[0] == 'A' ? 3 : 2, ps->p);
		return NULL;
	}
	if (++ps->depth > DEPTH_MAX) {
		err_set(ps->err, EX_USAGE, "query: nested too deep");
		return NULL;
	}
	if (is_op(ps, "NOT", 1)) {
		n = unary(ps);
		n = n ? node_new(N_NOT, n, NULL) : NULL;
	} else if (*ps->p == '(') {
		ps->p++;
		n = parse_or(ps);
		skip_blank(ps);
		if (n && *ps->p != ')') {
			node_free(n);
			err_set(ps->err, EX_USAGE, "query: ')' is missing");
			n = NULL;
		}
		ps->p += n != NULL;
	} else {
		n = term(ps);
	}
	ps->depth--;
	return n;
}

static struct node *parse_and(struct parser *ps)
{
	struct node *n = unary(ps), *r;

	while (n) {
		skip_blank(ps);
		if (!*ps->p || *ps->p == ')' || is_op(ps, "OR", 0))
			break;
		is_op(ps, "AND", 1);
		r = unary(ps);
		if (!r) {
			node_free(n);
			return NULL;
		}
		n = node_new(N_AND, n, r);
	}
	return n;
}

static struct node *parse_or(struct parser *ps)
{
	struct node *n = parse_and(ps), *r;

	while (n && is_op(ps, "OR", 1)) {
		r = parse_and(ps);
		if (!r) {
			node_free(n);
			return NULL;
		}
		n = node_new(N_OR, n, r);
	}
	return n;
}

/* ---- translation ---- */

static int ftsable(const struct node *n)
{
	if (n->kind == N_FTS)
		return 1;
	return (n->kind == N_AND || n->kind == N_OR) && ftsable(n->a) && ftsable(n->b);
}

static void fts_expr(const struct node *n, struct buf *out)
{
	if (n->kind == N_FTS) {
		buf_puts(out, n->text);
		return;
	}
	buf_putc(out, '(');
	fts_expr(n->a, out);
	buf_puts(out, n->kind == N_AND ? ") AND (" : ") OR (");
	fts_expr(n->b, out);
	buf_putc(out, ')');
}

static void add_bind(struct search_query *sq, const struct search_bind *b)
{
	sq->binds = xreallocarray(sq->binds, sq->nbinds + 1, sizeof(*sq->binds));
	sq->binds[sq->nbinds] = *b;
	if (b->is_text)
		sq->binds[sq->nbinds].text = xstrdup(b->text);
	sq->nbinds++;
}

static void put_match(struct search_query *sq, char *fts, struct buf *sql)
{
	struct search_bind b = { 1, fts, 0 };

	buf_puts(sql, "m.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)");
	add_bind(sq, &b);
}

/* The children of a chain of one operator k, in order. */
static void flatten(const struct node *n, enum kind k, const struct node ***v, size_t *nv)
{
	if (n->kind == k) {
		flatten(n->a, k, v, nv);
		flatten(n->b, k, v, nv);
		return;
	}
	*v = xreallocarray(*v, *nv + 1, sizeof(**v));
	(*v)[(*nv)++] = n;
}

static void emit(struct search_query *sq, const struct node *n, struct buf *sql);

/* An AND or OR chain: its full-text members as one MATCH, the rest as
 * SQL, joined by the operator. */
static void emit_chain(struct search_query *sq, const struct node *n, struct buf *sql)
{
	const char *op = n->kind == N_AND ? " AND " : " OR ";
	const struct node **v = NULL;
	struct buf fts = BUF_INIT;
	size_t nv = 0, i;
	int first = 1;

	flatten(n, n->kind, &v, &nv);
	buf_putc(sql, '(');
	for (i = 0; i < nv; i++) {
		if (ftsable(v[i])) {
			buf_puts(&fts, fts.len ? op : "");
			buf_putc(&fts, '(');
			fts_expr(v[i], &fts);
			buf_putc(&fts, ')');
			continue;
		}
		buf_puts(sql, first ? "(" : op);
		if (!first)
			buf_putc(sql, '(');
		first = 0;
		emit(sq, v[i], sql);
		buf_putc(sql, ')');
	}
	if (fts.len) {
		buf_puts(sql, first ? "(" : op);
		if (!first)
			buf_putc(sql, '(');
		put_match(sq, fts.data, sql);
		buf_putc(sql, ')');
	}
	buf_putc(sql, ')');
	buf_release(&fts);
	free(v);
}

static void emit(struct search_query *sq, const struct node *n, struct buf *sql)
{
	struct buf fts = BUF_INIT;
	size_t i;

	if (ftsable(n)) {
		fts_expr(n, &fts);
		put_match(sq, fts.data, sql);
		buf_release(&fts);
		return;
	}
	switch (n->kind) {
	case N_AND:
	case N_OR:
		emit_chain(sq, n, sql);
		break;
	case N_NOT:
		buf_puts(sql, "NOT (");
		emit(sq, n->a, sql);
		buf_putc(sql, ')');
		break;
	case N_SQL:
		buf_puts(sql, n->text);
		for (i = 0; i < n->nbind; i++)
			add_bind(sq, &n->bind[i]);
		break;
	case N_FALSE:
	case N_FTS:
		buf_puts(sql, "0");
		break;
	}
}

/* The top level: its full-text part as drive, the rest as SQL. */
static void split_drive(struct search_query *sq, const struct node *n, struct buf *sql)
{
	const struct node **v = NULL;
	struct buf fts = BUF_INIT;
	size_t nv = 0, i;
	int first = 1;

	if (ftsable(n)) {
		fts_expr(n, &fts);
		sq->drive = buf_detach(&fts, NULL);
		buf_puts(sql, "1");
		return;
	}
	if (n->kind != N_AND) {
		emit(sq, n, sql);
		return;
	}
	flatten(n, N_AND, &v, &nv);
	for (i = 0; i < nv; i++) {
		if (ftsable(v[i])) {
			buf_puts(&fts, fts.len ? " AND (" : "(");
			fts_expr(v[i], &fts);
			buf_putc(&fts, ')');
			continue;
		}
		buf_puts(sql, first ? "(" : " AND (");
		first = 0;
		emit(sq, v[i], sql);
		buf_putc(sql, ')');
	}
	if (first)
		buf_puts(sql, "1");
	if (fts.len)
		sq->drive = buf_detach(&fts, NULL);
	buf_release(&fts);
	free(v);
}

struct search_query *search_query_parse(const char *q, struct err *err)
{
	struct search_query *sq = xcalloc(1, sizeof(*sq));
	struct parser ps = { q, 0, sq, err };
	struct buf sql = BUF_INIT;
	struct node *n;

	n = parse_or(&ps);
	skip_blank(&ps);
	if (n && *ps.p) {
		err_set(err, EX_USAGE, "query: unexpected '%c'", *ps.p);
		node_free(n);
		n = NULL;
	}
	if (!n) {
		search_query_free(sq);
		return NULL;
	}
	split_drive(sq, n, &sql);
	node_free(n);
	sq->where = buf_detach(&sql, NULL);
	return sq;
}

void search_query_free(struct search_query *sq)
{
	size_t i;

	if (!sq)
		return;
	free(sq->drive);
	free(sq->where);
	for (i = 0; i < sq->nbinds; i++)
		free(sq->binds[i].text);
	free(sq->binds);
	for (i = 0; i < sq->nterms; i++)
		free(sq->terms[i]);
	free(sq->terms);
	free(sq);
}
