#include "config.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "maildir.h"
#include "rules.h"
#include "xalloc.h"

struct rule {
	char *header;
	char *folder;
	int negate;
	regex_t re;
};

struct rules {
	struct rule *v;
	size_t n;
};

/* RFC 5322 2.2: a field name is printable ASCII except ':'. */
static int header_char(int c)
{
	return c > ' ' && c < 0x7f && c != ':' && c != '~' && c != '!';
}

static char *trimmed(const char *p, size_t n)
{
	while (n && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	return xstrndup(p, n);
}

/* Largest regex parse tree (estimated nodes) and group nesting a rule may
 * have.  A filing rule needs a few hundred at most. */
#define RE_COST_MAX 20000.0
#define RE_DEPTH_MAX 32

/* Whether regcomp() of re would build an absurd parse tree.  glibc copies
 * a repeated atom once per repetition ("a{3}" is "aaa", "a+" is "aa*"), so
 * stacked or nested repetitions grow the tree exponentially: "a+++...+"
 * with 30 '+' or "((a{99}){99}){99}" makes regcomp() allocate gigabytes
 * (found by tests/fuzz/fuzz_cfg).  The estimate follows that copying: an
 * atom costs 1, a group the sum of its contents, and a repetition
 * multiplies what it repeats by its largest count plus one. */
static int re_too_big(const char *re)
{
	double outer[RE_DEPTH_MAX], cur = 0, last = 0, f;
	size_t depth = 0;
	const char *p = re;
	char *end;
	long m, n;

	while (*p) {
		switch (*p) {
		case '\\':
			p += p[1] ? 2 : 1;
			cur += 1;
			last = 1;
			continue;
		case '[':
			/* A bracket expression is one atom: "]" first is a
			 * member, and so is anything inside [:...:], [=...=]
			 * and [. ... .]. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
					const char *close = strchr(p + 2, p[1]);

					while (close && close[1] != ']')
						close = strchr(close + 1, p[1]);
					p = close ? close + 2 : p + strlen(p);
				} else {
					p++;
				}
			}
			if (*p)
				p++;
			cur += 1;
			last = 1;
			continue;
		case '(':
			if (depth == RE_DEPTH_MAX)
				return 1;
			outer[depth++] = cur;
			cur = 0;
			last = 0;
			break;
		case ')':
			if (depth) {
				last = cur;
				cur = outer[--depth] + cur;
			} else {
				cur += 1;
				last = 1;
			}
			break;
		case '|':
			last = 0;
			break;
		case '{':
			/* "{m}", "{m,}", "{m,n}" and glibc's "{,n}"; anything
			 * else is a literal '{' (or an error regcomp reports). */
			end = (char *)p + 1;
			m = n = 0;
			if (isdigit((unsigned char)*end))
				m = n = strtol(end, &end, 10);
			if (*end == ',') {
				end++;
				n = isdigit((unsigned char)*end) ? strtol(end, &end, 10) : m;
			}
			if (*end != '}' || end == p + 1 || (end == p + 2 && p[1] == ',')) {
				cur += 1;
				last = 1;
				break;
			}
			f = (double)(m > n ? m : n) + 1;
			cur += last * (f - 1);
			last *= f;
			p = end;
			break;
		case '*':
		case '+':
		case '?':
			cur += last;
			last *= 2;
			break;
		default:
			cur += 1;
			last = 1;
			break;
		}
		if (cur > RE_COST_MAX)
			return 1;
		p++;
	}
	while (depth)
		cur += outer[--depth];
	return cur > RE_COST_MAX;
}

/* Parse spec into *out (compiled); EX_CONFIG on failure. */
static int parse(const char *spec, struct rule *out, struct err *err)
{
	const char *p = spec, *hdr, *arrow = NULL, *q;
	char *re_text;
	size_t hl;
	int rc;

	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*p))
		p++;
	hdr = p;
	while (header_char((unsigned char)*p))
		p++;
	hl = (size_t)(p - hdr);
	while (isspace((unsigned char)*p))
		p++;
	if (hl == 0)
		return err_set(err, EX_CONFIG, "rule must look like 'HEADER ~ REGEX -> FOLDER'");
	if (p[0] == '!' && p[1] == '~') {
		out->negate = 1;
		p += 2;
	} else if (p[0] == '~') {
		p++;
	} else {
		return err_set(err, EX_CONFIG, "rule must look like 'HEADER ~ REGEX -> FOLDER' (no '~' after '%.*s')",
			       (int)hl, hdr);
	}
	/* The last "->" ends the regex: a folder name never holds one, a
	 * regex may. */
	for (q = p; (q = strstr(q, "->")); q++)
		arrow = q;
	if (!arrow)
		return err_set(err, EX_CONFIG, "rule needs '-> FOLDER' after the regular expression");
	re_text = trimmed(p, (size_t)(arrow - p));
	out->folder = trimmed(arrow + 2, strlen(arrow + 2));
	if (*re_text == '\0') {
		free(re_text);
		free(out->folder);
		return err_set(err, EX_CONFIG, "rule has an empty regular expression");
	}
	if (!maildir_name_ok(out->folder)) {
		err_set(err, EX_CONFIG, "rule folder '%s' must be a folder name below the maildir",
			out->folder);
		free(re_text);
		free(out->folder);
		return -1;
	}
	if (re_too_big(re_text)) {
		err_set(err, EX_CONFIG, "regular expression '%.64s%s' is too complex",
			re_text, strlen(re_text) > 64 ? "..." : "");
		free(re_text);
		free(out->folder);
		return -1;
	}
	rc = regcomp(&out->re, re_text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc != 0) {
		char why[128];

		regerror(rc, &out->re, why, sizeof(why));
		err_set(err, EX_CONFIG, "bad regular expression '%s': %s", re_text, why);
		free(re_text);
		free(out->folder);
		return -1;
	}
	free(re_text);
	out->header = xstrndup(hdr, hl);
	return 0;
}

static void rule_release(struct rule *r)
{
	regfree(&r->re);
	free(r->header);
	free(r->folder);
}

int rules_check(const char *spec, struct err *err)
{
	struct rule r;

	if (parse(spec, &r, err) < 0)
		return -1;
	rule_release(&r);
	return 0;
}

struct rules *rules_new(void)
{
	return xcalloc(1, sizeof(struct rules));
}

void rules_free(struct rules *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		rule_release(&r->v[i]);
	free(r->v);
	free(r);
}

int rules_add(struct rules *r, const char *spec, struct err *err)
{
	struct rule one;

	if (parse(spec, &one, err) < 0)
		return -1;
	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n++] = one;
	return 0;
}

size_t rules_count(const struct rules *r)
{
	return r ? r->n : 0;
}

const char *rules_folder_at(const struct rules *r, size_t i)
{
	return i < r->n ? r->v[i].folder : NULL;
}

/* Whether any field named rule->header matches. */
static int any_field(const struct rule *rule, const struct msg *m, struct buf *b)
{
	size_t i, n = msg_header_count(m);

	for (i = 0; i < n; i++) {
		const char *name, *value;

		msg_header_at(m, i, &name, &value);
		if (strcasecmp(name, rule->header) != 0)
			continue;
		buf_reset(b);
		codec_rfc2047_decode(value, strlen(value), b);
		if (regexec(&rule->re, b->data, 0, NULL, 0) == 0)
			return 1;
	}
	return 0;
}

const char *rules_match(const struct rules *r, const struct msg *m)
{
	struct buf b = BUF_INIT;
	const char *hit = NULL;
	size_t i;

	for (i = 0; r && i < r->n && !hit; i++)
		if (any_field(&r->v[i], m, &b) != r->v[i].negate)
			hit = r->v[i].folder;
	buf_release(&b);
	return hit;
}

const char *rules_match_data(const struct rules *r, const char *data, size_t len)
{
	struct msg *m;
	const char *hit;

	if (!r || r->n == 0)
		return NULL;
	m = msg_parse(data, len < RULES_HEAD_MAX ? len : RULES_HEAD_MAX, MSG_HEADERS_ONLY);
	if (!m)
		return NULL;
	hit = rules_match(r, m);
	msg_free(m);
	return hit;
}

int rules_head_complete(const char *data, size_t len)
{
	size_t i;

	if (len >= 1 && data[0] == '\n')
		return 1;
	if (len >= 2 && data[0] == '\r' && data[1] == '\n')
		return 1;
	for (i = 1; i < len; i++) {
		if (data[i] != '\n')
			continue;
		if (data[i - 1] == '\n' || (i >= 2 && data[i - 1] == '\r' && data[i - 2] == '\n'))
			return 1;
	}
	return 0;
}
