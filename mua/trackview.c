#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "dsnparse.h"
#include "msg.h"
#include "track.h"
#include "trackview.h"
#include "xalloc.h"

struct tv_entry {
	char *message_id;
	char mark;
};

struct trackview {
	struct tv_entry *v;
	size_t n;
	struct timespec stamp;  /* the record directory's mtime when read */
};

/* The record directory's mtime; zero when it is missing. */
static struct timespec dir_stamp(void)
{
	struct timespec t = { 0, 0 };
	struct stat st;
	char *dir = track_dir();

	if (stat(dir, &st) == 0)
		t = st.st_mtim;
	free(dir);
	return t;
}

static char mark_of(const char *state)
{
	static const struct { const char *name; char mark; } marks[] = {
		{ "queued", '.' }, { "deferred", '~' }, { "delayed", '~' },
		{ "accepted", '>' }, { "delivered", '=' }, { "bounced", '!' },
	};
	size_t i;

	for (i = 0; state && i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strcmp(state, marks[i].name) == 0)
			return marks[i].mark;
	return ' ';
}

static int entry_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct tv_entry *)a)->message_id,
			  ((const struct tv_entry *)b)->message_id);
}

struct trackview *trackview_load(void)
{
	struct trackview *tv = xcalloc(1, sizeof(*tv));
	json_t *all, *r;
	size_t i;

	tv->stamp = dir_stamp();
	all = track_list();
	tv->v = xcalloc(json_array_size(all) + 1, sizeof(*tv->v));
	json_array_foreach(all, i, r) {
		const char *mid = json_string_value(json_object_get(r, "message_id"));

		if (!mid)
			continue;
		tv->v[tv->n].message_id = xstrdup(mid);
		tv->v[tv->n].mark = mark_of(json_string_value(json_object_get(r, "state")));
		tv->n++;
	}
	json_decref(all);
	if (tv->n > 1)
		qsort(tv->v, tv->n, sizeof(*tv->v), entry_cmp);
	return tv;
}

void trackview_free(struct trackview *tv)
{
	size_t i;

	if (!tv)
		return;
	for (i = 0; i < tv->n; i++)
		free(tv->v[i].message_id);
	free(tv->v);
	free(tv);
}

void trackview_refresh(struct trackview **tv)
{
	struct timespec now = dir_stamp();

	if (*tv && now.tv_sec == (*tv)->stamp.tv_sec && now.tv_nsec == (*tv)->stamp.tv_nsec)
		return;
	trackview_free(*tv);
	*tv = trackview_load();
}

char trackview_mark(const struct trackview *tv, const char *message_id)
{
	struct tv_entry key, *hit;

	if (!tv || !message_id || tv->n == 0)
		return ' ';
	key.message_id = (char *)message_id;
	hit = bsearch(&key, tv->v, tv->n, sizeof(*tv->v), entry_cmp);
	return hit ? hit->mark : ' ';
}

/* The record a report is about: by ENVID (a queue id), else by the
 * returned Message-ID. */
static json_t *report_record(const struct dsn_report *rep)
{
	struct err err = ERR_INIT;
	json_t *j = NULL;

	if (rep->envid)
		j = track_load(rep->envid, &err);
	if (!j && rep->message_id)
		j = track_load(rep->message_id, &err);
	return j;
}

static const char *jtext(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

void trackview_header(const struct msg *m, struct buf *out)
{
	struct err err = ERR_INIT;
	const char *mid = msg_message_id(m);
	struct dsn_report *rep;
	json_t *rec = mid ? track_load(mid, &err) : NULL, *r;
	size_t i;

	if (rec) {
		buf_printf(out, "Delivery: %s", jtext(rec, "state"));
		json_array_foreach(json_object_get(rec, "recipients"), i, r) {
			buf_printf(out, "; %s %s", jtext(r, "address"), jtext(r, "state"));
			if (jtext(r, "reply")[0])
				buf_printf(out, " (%s)", jtext(r, "reply"));
		}
		json_decref(rec);
		return;
	}
	rep = dsn_from_msg(m);
	rec = rep ? report_record(rep) : NULL;
	if (rec) {
		buf_printf(out, "Report on: <%s> (%s; o opens it)", jtext(rec, "message_id"),
			   jtext(rec, "state"));
		json_decref(rec);
	}
	dsn_report_free(rep);
}

char *trackview_partner(const struct msg *m, int *to_sent)
{
	struct err err = ERR_INIT;
	const char *mid = msg_message_id(m);
	struct dsn_report *rep;
	json_t *rec = mid ? track_load(mid, &err) : NULL, *ev;
	char *partner = NULL;
	size_t i;

	if (rec) {
		/* The last report that came back about it. */
		json_array_foreach(json_object_get(rec, "events"), i, ev)
			if (strcmp(jtext(ev, "type"), "report") == 0 && jtext(ev, "message_id")[0]) {
				free(partner);
				partner = xstrdup(jtext(ev, "message_id"));
			}
		json_decref(rec);
		*to_sent = 0;
		return partner;
	}
	rep = dsn_from_msg(m);
	rec = rep ? report_record(rep) : NULL;
	if (rec && jtext(rec, "message_id")[0])
		partner = xstrdup(jtext(rec, "message_id"));
	json_decref(rec);
	dsn_report_free(rep);
	*to_sent = 1;
	return partner;
}
