#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "pattern.h"
#include "xalloc.h"

/* Terms from P_NEW on take no argument. */
enum op {
	P_AND, P_OR, P_NOT,
	P_FROM, P_TO, P_CC, P_TOCC, P_ANYADDR, P_SUBJECT, P_BODY, P_WHOLE, P_DATE,
	P_NEW, P_FLAGGED, P_REPLIED, P_DELETED, P_ALL, P_TOME, P_FROMME, P_LIST, P_SUBSCRIBED,
};

struct pattern_re {
	char *src;
	regex_t re;
	int ascii_literal;      /* src is ASCII without specials: a byte search does */
};

struct pattern {
	enum op op;
	struct pattern *a, *b;  /* operands of and/or/not */
	struct pattern_re *re;  /* the argument of a text term */
	time_t lo, hi;          /* inclusive range of ~d ... */
	int has_lo, has_hi;     /* ... each end only when set */
};

/* Nesting deeper than this is refused rather than recursed into. */
#define MAX_DEPTH 64

struct parser {
	const char *p;
	time_t now;
	int depth;
	struct err *err;
};

static struct pattern *node(enum op op, struct pattern *a, struct pattern *b)
{
	struct pattern *n = xcalloc(1, sizeof(*n));

	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	pattern_free(p->a);
	pattern_free(p->b);
	pattern_re_free(p->re);
	free(p);
}

/* ---- regular expressions ---------------------------------------------- */

/* The C.UTF-8 locale, made once; (locale_t)0 when the C library has none
 * (then the user's locale is used as it is). */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static int tried;

	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

/* Switch this thread to C.UTF-8; returns what to switch back to. */
static locale_t enter_utf8(void)
{
	locale_t loc = utf8_locale();

	return loc ? uselocale(loc) : (locale_t)0;
}

static void leave_utf8(locale_t old)
{
	if (old)
		uselocale(old);
}

static int is_ascii_literal(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 || strchr(".[]()*+?{}|^$\\", *s))
			return 0;
	return 1;
}

struct pattern_re *pattern_re_new(const char *src, struct err *err)
{
	struct pattern_re *re = xcalloc(1, sizeof(*re));
	locale_t old = enter_utf8();
	char msg[128];
	int rc;

	rc = regcomp(&re->re, src, REG_EXTENDED | REG_ICASE | REG_NOSUB | REG_NEWLINE);
	leave_utf8(old);
	if (rc != 0) {
		regerror(rc, &re->re, msg, sizeof(msg));
		free(re);
		err_set(err, EX_USAGE, "bad regular expression '%s': %s", src, msg);
		return NULL;
	}
	re->src = xstrdup(src);
	re->ascii_literal = is_ascii_literal(src);
	return re;
}

void pattern_re_free(struct pattern_re *re)
{
	if (!re)
		return;
	regfree(&re->re);
	free(re->src);
	free(re);
}

const char *pattern_re_source(const struct pattern_re *re)
{
	return re->src;
}

/* Whether the ASCII word w (n bytes) is in s[0..len), ASCII case folded. */
static int ascii_find(const char *s, size_t len, const char *w, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char lo = (unsigned char)ascii_lower((unsigned char)w[0]);
	size_t i, j;

	if (n == 0)
		return 1;
	for (i = 0; i + n <= len; i++) {
		if (ascii_lower(u[i]) != lo)
			continue;
		for (j = 1; j < n; j++)
			if (ascii_lower(u[i + j]) != ascii_lower((unsigned char)w[j]))
				break;
		if (j == n)
			return 1;
	}
	return 0;
}

int pattern_re_match(const struct pattern_re *re, const char *s, size_t len)
{
	regmatch_t m[1];
	locale_t old;
	int rc;

	/* A word of ASCII characters is found by a byte search, many times
	 * faster than regexec() in a multibyte locale.  Characters outside
	 * ASCII then never fold onto its letters; glibc's regexec() would let
	 * DOTLESS I and LONG S match a lone 'i' or 's', and not much else. */
	if (re->ascii_literal)
		return ascii_find(s, len, re->src, strlen(re->src));
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)(len > INT_MAX ? INT_MAX : len);
	old = enter_utf8();
	rc = regexec(&re->re, s, 1, m, REG_STARTEND);
	leave_utf8(old);
	return rc == 0;
}

static void skip_blanks(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* A word, or a string in "" or '' (a backslash escapes the next
 * character inside ""); NULL at the end of the input. */
static char *word(struct parser *ps)
{
	struct buf b = BUF_INIT;
	char q;

	skip_blanks(ps);
	q = *ps->p;
	if (q == '"' || q == '\'') {
		ps->p++;
		while (*ps->p && *ps->p != q) {
			if (q == '"' && *ps->p == '\\' && ps->p[1])
				ps->p++;
			buf_putc(&b, *ps->p++);
		}
		if (*ps->p != q) {
			buf_release(&b);
			err_set(ps->err, EX_USAGE, "unterminated quote in pattern");
			return NULL;
		}
		ps->p++;
		return buf_detach(&b, NULL);
	}
	while (*ps->p && *ps->p != ' ' && *ps->p != '\t' && *ps->p != ')' && *ps->p != '(' &&
	       *ps->p != '|')
		buf_putc(&b, *ps->p++);
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* YYYY-MM-DD at s as local midnight; end_of_day gives 23:59:59. */
static int parse_day(const char *s, int end_of_day, time_t *out)
{
	struct tm tm;
	int i;

	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i]))
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -1;
	if (end_of_day) {
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 59;
	}
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

/* The argument of ~d: "<7d" (younger than), ">2w" (older than) with units
 * d, w, m (30 days), y (365 days); "FROM-TO", "FROM-", "-TO" or one day,
 * each day YYYY-MM-DD, both ends included. */
static int parse_dates(struct parser *ps, const char *arg, struct pattern *n)
{
	const char *s = arg;

	if (*s == '<' || *s == '>') {
		char *end;
		long v = strtol(s + 1, &end, 10);
		long unit = 86400;

		if (end == s + 1 || v < 0 || v > 100000)
			goto bad;
		switch (*end) {
		case '\0': case 'd': break;
		case 'w': unit = 7 * 86400L; break;
		case 'm': unit = 30 * 86400L; break;
		case 'y': unit = 365 * 86400L; break;
		default: goto bad;
		}
		if (*end && end[1])
			goto bad;
		if (*s == '<') {
			n->lo = ps->now - (time_t)(v * unit);
			n->has_lo = 1;
		} else {
			n->hi = ps->now - (time_t)(v * unit);
			n->has_hi = 1;
		}
		return 0;
	}
	if (*s == '-') {
		if (strlen(s + 1) != 10 || parse_day(s + 1, 1, &n->hi) < 0)
			goto bad;
		n->has_hi = 1;
		return 0;
	}
	if (strlen(s) < 10 || parse_day(s, 0, &n->lo) < 0)
		goto bad;
	n->has_lo = 1;
	s += 10;
	if (*s == '\0')
		s = arg;
	else if (*s++ != '-')
		goto bad;
	if (*s == '\0')
		return 0;
	if (strlen(s) != 10 || parse_day(s, 1, &n->hi) < 0 || n->hi < n->lo)
		goto bad;
	n->has_hi = 1;
	return 0;
bad:
	return err_set(ps->err, EX_USAGE, "bad date '%s' (use YYYY-MM-DD-YYYY-MM-DD, <7d or >2w)",
		       arg);
}

static struct pattern *parse_or(struct parser *ps);

static struct pattern *parse_term(struct parser *ps)
{
	struct pattern *n;
	char c, *arg;

	skip_blanks(ps);
	c = *ps->p;
	if (c == '!') {
		ps->p++;
		if (++ps->depth > MAX_DEPTH)
			goto too_deep;
		n = parse_term(ps);
		ps->depth--;
		return n ? node(P_NOT, n, NULL) : NULL;
	}
	if (c == '(') {
		ps->p++;
		if (++ps->depth > MAX_DEPTH)
			goto too_deep;
		n = parse_or(ps);
		ps->depth--;
		if (!n)
			return NULL;
		skip_blanks(ps);
		if (*ps->p != ')') {
			pattern_free(n);
			err_set(ps->err, EX_USAGE, "missing ')' in pattern");
			return NULL;
		}
		ps->p++;
		return n;
	}
	if (c == '~') {
		enum op op;
		char name = ps->p[1];

		switch (name) {
		case 'f': op = P_FROM; break;
		case 't': op = P_TO; break;
		case 'c': op = P_CC; break;
		case 'C': op = P_TOCC; break;
		case 'L': op = P_ANYADDR; break;
		case 's': op = P_SUBJECT; break;
		case 'b': op = P_BODY; break;
		case 'B': op = P_WHOLE; break;
		case 'd': op = P_DATE; break;
		case 'N': op = P_NEW; break;
		case 'F': op = P_FLAGGED; break;
		case 'R': op = P_REPLIED; break;
		case 'D': op = P_DELETED; break;
		case 'A': op = P_ALL; break;
		case 'p': op = P_TOME; break;
		case 'P': op = P_FROMME; break;
		case 'l': op = P_LIST; break;
		case 'u': op = P_SUBSCRIBED; break;
		default:
			if (name == '\0' || (unsigned char)name < 0x20 || (unsigned char)name >= 0x7f)
				err_set(ps->err, EX_USAGE, "'~' must be followed by a pattern letter");
			else
				err_set(ps->err, EX_USAGE, "unknown pattern '~%c'", name);
			return NULL;
		}
		ps->p += 2;
		n = node(op, NULL, NULL);
		if (op >= P_NEW)
			return n;
		arg = word(ps);
		if (!arg) {
			if (!ps->err || ps->err->code == 0)
				err_set(ps->err, EX_USAGE, "'~%c' needs an argument", name);
			pattern_free(n);
			return NULL;
		}
		if (op == P_DATE) {
			int rc = parse_dates(ps, arg, n);

			free(arg);
			if (rc < 0) {
				pattern_free(n);
				return NULL;
			}
			return n;
		}
		n->re = pattern_re_new(arg, ps->err);
		free(arg);
		if (!n->re) {
			pattern_free(n);
			return NULL;
		}
		return n;
	}
	if (c == '\0' || c == ')' || c == '|') {
		if (c == '\0')
			err_set(ps->err, EX_USAGE, "pattern ends too soon");
		else
			err_set(ps->err, EX_USAGE, "unexpected '%c' in pattern", c);
		return NULL;
	}
	arg = word(ps);
	if (!arg)
		return NULL;
	n = node(P_OR, node(P_FROM, NULL, NULL), node(P_SUBJECT, NULL, NULL));
	n->a->re = pattern_re_new(arg, ps->err);
	n->b->re = n->a->re ? pattern_re_new(arg, ps->err) : NULL;
	free(arg);
	if (!n->b->re) {
		pattern_free(n);
		return NULL;
	}
	return n;
too_deep:
	err_set(ps->err, EX_USAGE, "pattern nested too deeply");
	return NULL;
}

/* and: terms side by side */
static struct pattern *parse_and(struct parser *ps)
{
	struct pattern *left = parse_term(ps), *right;

	while (left) {
		skip_blanks(ps);
		if (*ps->p == '\0' || *ps->p == '|' || *ps->p == ')')
			break;
		right = parse_term(ps);
		if (!right) {
			pattern_free(left);
			return NULL;
		}
		left = node(P_AND, left, right);
	}
	return left;
}

static struct pattern *parse_or(struct parser *ps)
{
	struct pattern *left = parse_and(ps), *right;

	while (left) {
		skip_blanks(ps);
		if (*ps->p != '|')
			break;
		ps->p++;
		right = parse_and(ps);
		if (!right) {
			pattern_free(left);
			return NULL;
		}
		left = node(P_OR, left, right);
	}
	return left;
}

struct pattern *pattern_parse(const char *s, time_t now, struct err *err)
{
	struct parser ps = { s, now, 0, err };
	struct pattern *p;

	skip_blanks(&ps);
	if (*ps.p == '\0') {
		err_set(err, EX_USAGE, "empty pattern");
		return NULL;
	}
	p = parse_or(&ps);
	if (!p)
		return NULL;
	skip_blanks(&ps);
	if (*ps.p) {
		pattern_free(p);
		err_set(err, EX_USAGE, "unexpected '%c' in pattern", *ps.p);
		return NULL;
	}
	return p;
}

int pattern_uses_body(const struct pattern *p)
{
	if (!p)
		return 0;
	return p->op == P_BODY || p->op == P_WHOLE || pattern_uses_body(p->a) ||
	       pattern_uses_body(p->b);
}

static int has(const char *s, const struct pattern_re *re)
{
	return s && pattern_re_match(re, s, strlen(s));
}

/* Whether re matches the address or the name of a mailbox in list (lines
 * "addr[TAB name]"). */
static int has_mailbox(const char *list, const struct pattern_re *re)
{
	const char *e, *tab;

	for (; list && *list; list = *e ? e + 1 : e) {
		e = list + strcspn(list, "\n");
		tab = memchr(list, '\t', (size_t)(e - list));
		if (pattern_re_match(re, list, (size_t)((tab ? tab : e) - list)))
			return 1;
		if (tab && pattern_re_match(re, tab + 1, (size_t)(e - tab - 1)))
			return 1;
	}
	return 0;
}

static int has_to(const struct pattern_msg *m, const struct pattern_re *re)
{
	return m->to_all ? has_mailbox(m->to_all, re) : has(m->to, re);
}

typedef int (*addr_fn)(void *arg, const char *addr);

/* Whether fn says yes to an address of list (lines as above). */
static int any_addr(const char *list, addr_fn fn, void *arg, int want)
{
	char a[512];
	const char *e;
	size_t n;

	for (; list && *list; list = *e ? e + 1 : e) {
		e = list + strcspn(list, "\n");
		n = strcspn(list, "\t\n");
		/* RFC 5321 addresses are at most 254 bytes. */
		if (n == 0 || n >= sizeof(a))
			continue;
		memcpy(a, list, n);
		a[n] = '\0';
		if (fn(arg, a) >= want)
			return 1;
	}
	return 0;
}

/* ~l (want 1) and ~u (want 2): a recipient or the list itself. */
static int to_list(const struct pattern_msg *m, int want)
{
	const struct pattern_env *env = m->env;

	if (want == 1 && m->list)
		return 1;
	if (!env || !env->list_kind)
		return 0;
	if (m->list && strchr(m->list, '@') && any_addr(m->list, env->list_kind, env->arg, want))
		return 1;
	return any_addr(m->to_all, env->list_kind, env->arg, want) ||
	       any_addr(m->cc_all, env->list_kind, env->arg, want);
}

static int to_me(const struct pattern_msg *m)
{
	const struct pattern_env *env = m->env;

	if (!env || !env->is_me)
		return 0;
	return any_addr(m->to_all, env->is_me, env->arg, 1) ||
	       any_addr(m->cc_all, env->is_me, env->arg, 1);
}

static int from_me(const struct pattern_msg *m)
{
	const struct pattern_env *env = m->env;

	return env && env->is_me && m->from_addr && *m->from_addr && env->is_me(env->arg, m->from_addr);
}

int pattern_match(const struct pattern *p, const struct pattern_msg *m,
		  pattern_body_fn body, void *arg)
{
	int r;

	switch (p->op) {
	case P_AND:
		r = pattern_match(p->a, m, body, arg);
		return r == 1 ? pattern_match(p->b, m, body, arg) : r;
	case P_OR:
		r = pattern_match(p->a, m, body, arg);
		return r == 0 ? pattern_match(p->b, m, body, arg) : r;
	case P_NOT:
		r = pattern_match(p->a, m, body, arg);
		return r < 0 ? r : !r;
	case P_FROM:
		return has(m->from, p->re) || has(m->from_addr, p->re);
	case P_TO:
		return has_to(m, p->re);
	case P_CC:
		return has_mailbox(m->cc_all, p->re);
	case P_TOCC:
		return has_to(m, p->re) || has_mailbox(m->cc_all, p->re);
	case P_ANYADDR:
		return has(m->from, p->re) || has(m->from_addr, p->re) || has_to(m, p->re) ||
		       has_mailbox(m->cc_all, p->re);
	case P_SUBJECT:
		return has(m->subject, p->re);
	case P_BODY:
		return body ? body(arg, p->re, 0) : 0;
	case P_WHOLE:
		return body ? body(arg, p->re, PATTERN_BODY_WHOLE) : 0;
	case P_DATE:
		if (m->date == (time_t)-1)
			return 0;
		return (!p->has_lo || m->date >= p->lo) && (!p->has_hi || m->date <= p->hi);
	case P_NEW:
		return !strchr(m->flags ? m->flags : "", 'S');
	case P_FLAGGED:
		return strchr(m->flags ? m->flags : "", 'F') != NULL;
	case P_REPLIED:
		return strchr(m->flags ? m->flags : "", 'R') != NULL;
	case P_DELETED:
		return m->deleted != 0;
	case P_ALL:
		return 1;
	case P_TOME:
		return to_me(m);
	case P_FROMME:
		return from_me(m);
	case P_LIST:
		return to_list(m, 1);
	case P_SUBSCRIBED:
		return to_list(m, 2);
	}
	return 0;
}
