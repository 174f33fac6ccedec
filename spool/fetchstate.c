#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "afile.h"
#include "buf.h"
#include "fetchstate.h"
#include "xalloc.h"

/* Far more than any real state file; a bigger one is damaged. */
#define STATE_MAX (64u * 1024 * 1024)

struct fetchstate {
	uint32_t uidvalidity;
	uint32_t last_uid;
	int compare;       /* compare by Message-ID and size until a pass ends */
	char **uidl;       /* sorted and unique while `sorted` */
	size_t n, cap;
	int sorted;
};

struct fetchstate *fetchstate_new(void)
{
	struct fetchstate *st = xcalloc(1, sizeof(*st));

	st->sorted = 1;
	return st;
}

void fetchstate_free(struct fetchstate *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++)
		free(st->uidl[i]);
	free(st->uidl);
	free(st);
}

uint32_t fetchstate_uidvalidity(const struct fetchstate *st)
{
	return st->uidvalidity;
}

uint32_t fetchstate_last_uid(const struct fetchstate *st)
{
	return st->last_uid;
}

void fetchstate_set_uidvalidity(struct fetchstate *st, uint32_t v)
{
	if (st->uidvalidity != v)
		st->last_uid = 0;
	st->uidvalidity = v;
}

void fetchstate_set_last_uid(struct fetchstate *st, uint32_t uid)
{
	st->last_uid = uid;
}

int fetchstate_uidl_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return i > 0 && i <= FETCHSTATE_UIDL_MAX;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_uidls(struct fetchstate *st)
{
	size_t i, j;

	if (st->sorted || st->n == 0)
		return;
	qsort(st->uidl, st->n, sizeof(*st->uidl), cmp_str);
	for (i = j = 0; i < st->n; i++) {
		if (j > 0 && strcmp(st->uidl[j - 1], st->uidl[i]) == 0)
			free(st->uidl[i]);
		else
			st->uidl[j++] = st->uidl[i];
	}
	st->n = j;
	st->sorted = 1;
}

int fetchstate_has_uidl(struct fetchstate *st, const char *uidl)
{
	sort_uidls(st);
	return st->n && bsearch(&uidl, st->uidl, st->n, sizeof(*st->uidl), cmp_str) != NULL;
}

static void push(struct fetchstate *st, char *uidl)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 64;
		st->uidl = xreallocarray(st->uidl, st->cap, sizeof(*st->uidl));
	}
	st->uidl[st->n++] = uidl;
}

void fetchstate_add_uidl(struct fetchstate *st, const char *uidl)
{
	/* Appending keeps additions cheap during a fetch; sorting (and
	 * dropping duplicates) waits for the next lookup or save. */
	if (st->n && strcmp(st->uidl[st->n - 1], uidl) >= 0)
		st->sorted = 0;
	push(st, xstrdup(uidl));
}

/* Keep the UIDLs that are (want = 1) or are not (want = 0) in list. */
static void filter(struct fetchstate *st, char *const *list, size_t n, int want)
{
	char **k = xcalloc(n + 1, sizeof(*k));
	size_t i, j;

	if (n)
		memcpy(k, list, n * sizeof(*k));

	qsort(k, n, sizeof(*k), cmp_str);
	sort_uidls(st);
	for (i = j = 0; i < st->n; i++) {
		if ((bsearch(&st->uidl[i], k, n, sizeof(*k), cmp_str) != NULL) == want)
			st->uidl[j++] = st->uidl[i];
		else
			free(st->uidl[i]);
	}
	st->n = j;
	free(k);
}

void fetchstate_retain_uidls(struct fetchstate *st, char *const *keep, size_t n)
{
	filter(st, keep, n, 1);
}

void fetchstate_drop_uidls(struct fetchstate *st, char *const *drop, size_t n)
{
	filter(st, drop, n, 0);
}

size_t fetchstate_uidl_count(const struct fetchstate *st)
{
	return st->n;
}

int fetchstate_compare(const struct fetchstate *st)
{
	return st->compare;
}

void fetchstate_set_compare(struct fetchstate *st, int on)
{
	st->compare = on != 0;
}

size_t fetchstate_uidl_count_other(const struct fetchstate *st, const char *prefix)
{
	size_t i, n = 0, len = strlen(prefix);

	for (i = 0; i < st->n; i++)
		n += strncmp(st->uidl[i], prefix, len) != 0;
	return n;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	uintmax_t v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoumax(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int fetchstate_load(const char *path, struct fetchstate **out, struct err *err)
{
	struct fetchstate *st;
	char *data, *line, *next;
	size_t len, lineno = 0;
	int version = 0;

	if (afile_read(path, STATE_MAX, &data, &len, err) < 0) {
		if (err->code != EX_NOINPUT)
			return -1;
		err_clear(err);
		*out = fetchstate_new();
		return 0;
	}
	st = fetchstate_new();
	for (line = data; line < data + len; line = next) {
		char *sp, *nl = memchr(line, '\n', (size_t)(data + len - line));
		const char *val;
		int ok;

		lineno++;
		if (!nl) {
			err_set(err, EX_DATAERR, "'%s' line %zu: no line end (truncated file)",
				path, lineno);
			goto fail;
		}
		*nl = '\0';
		next = nl + 1;
		sp = strchr(line, ' ');
		if (!sp) {
			err_set(err, EX_DATAERR, "'%s' line %zu: expected 'key value'", path, lineno);
			goto fail;
		}
		*sp = '\0';
		val = sp + 1;
		if (lineno == 1) {
			ok = strcmp(line, "version") == 0 && strcmp(val, "1") == 0;
			version = 1;
		} else if (strcmp(line, "uidvalidity") == 0) {
			ok = parse_u32(val, &st->uidvalidity) == 0;
		} else if (strcmp(line, "last_uid") == 0) {
			ok = parse_u32(val, &st->last_uid) == 0;
		} else if (strcmp(line, "compare") == 0) {
			ok = strcmp(val, "1") == 0;
			st->compare = ok;
		} else if (strcmp(line, "uidl") == 0) {
			ok = fetchstate_uidl_valid(val);
			if (ok)
				fetchstate_add_uidl(st, val);
		} else {
			ok = 0;
		}
		if (!ok) {
			err_set(err, EX_DATAERR, "'%s' line %zu: %s", path, lineno,
				lineno == 1 ? "not a version 1 fetch state" : "bad line");
			goto fail;
		}
	}
	if (!version) {
		err_set(err, EX_DATAERR, "'%s': empty fetch state", path);
		goto fail;
	}
	free(data);
	*out = st;
	return 0;
fail:
	free(data);
	fetchstate_free(st);
	return -1;
}

int fetchstate_save(struct fetchstate *st, const char *path, struct err *err)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	sort_uidls(st);
	buf_puts(&b, "version 1\n");
	if (st->uidvalidity)
		buf_printf(&b, "uidvalidity %" PRIu32 "\nlast_uid %" PRIu32 "\n", st->uidvalidity,
			   st->last_uid);
	if (st->compare)
		buf_puts(&b, "compare 1\n");
	for (i = 0; i < st->n; i++)
		buf_printf(&b, "uidl %s\n", st->uidl[i]);
	rc = afile_write(path, b.data, b.len, 0600, err);
	buf_release(&b);
	return rc;
}
