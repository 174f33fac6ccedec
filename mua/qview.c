#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose.h"
#include "pager.h"
#include "qview.h"
#include "status.h"
#include "ui.h"
#include "xalloc.h"

struct qview {
	struct queue *q;
	const struct cfg *cfg;
	qview_unsent_fn unsent;
	void *arg;
	long send_delay;
	struct queue_env **list;
	size_t n, cur;
};

static void reload(struct qview *v)
{
	struct err err = ERR_INIT;
	char *id = NULL;
	size_t i;

	if (v->cur < v->n && queue_env_id(v->list[v->cur]))
		id = xstrdup(queue_env_id(v->list[v->cur]));
	queue_list_free(v->list, v->n);
	v->list = NULL;
	v->n = 0;
	if (queue_list(v->q, &v->list, &v->n, &err) < 0)
		ui_error("%s", err.msg);
	for (i = 0; id && i < v->n; i++)
		if (queue_env_id(v->list[i]) && strcmp(queue_env_id(v->list[i]), id) == 0)
			v->cur = i;
	if (v->cur >= v->n)
		v->cur = v->n ? v->n - 1 : 0;
	free(id);
}

/* "in 8s", "in 4m", "now", or a local time for later days. */
static void when(time_t t, time_t now, char *out, size_t len)
{
	struct tm tm;
	long d = (long)(t - now);

	if (d <= 0)
		snprintf(out, len, "now");
	else if (d < 120)
		snprintf(out, len, "in %lds", d);
	else if (d < 7200)
		snprintf(out, len, "in %ldm", d / 60);
	else if (localtime_r(&t, &tm))
		strftime(out, len, "%m-%d %H:%M", &tm);
	else
		snprintf(out, len, "?");
}

/* The last reply worth showing: the message-level error, else the first
 * recipient's reply that exists. */
static const char *last_reply(const struct queue_env *e)
{
	size_t i;

	if (queue_env_error(e))
		return queue_env_error(e);
	for (i = 0; i < queue_env_rcpt_count(e); i++)
		if (queue_env_rcpt_reply(e, i))
			return queue_env_rcpt_reply(e, i);
	return "";
}

static void draw(void *arg)
{
	struct qview *v = arg;
	size_t rows = ui_rows() > 3 ? (size_t)ui_rows() - 3 : 1, top, i;
	time_t now = time(NULL);
	struct buf b = BUF_INIT;

	top = v->cur >= rows ? v->cur - rows + 1 : 0;
	erase();
	ui_help_bar("q:Back  d:Cancel (to Drafts)  h:Hold/Release  r:Retry now  ?:Help");
	if (v->n == 0)
		ui_line(1, 0, "The outgoing queue is empty.", UI_NORMAL);
	for (i = top; i < v->n && i - top < rows; i++) {
		const struct queue_env *e = v->list[i];
		char at[32];
		size_t nr = queue_env_rcpt_count(e);

		if (queue_env_state(e) == QUEUE_ST_QUEUED)
			when(queue_env_next_attempt(e), now, at, sizeof(at));
		else
			snprintf(at, sizeof(at), "-");
		buf_reset(&b);
		buf_printf(&b, "%-7s %-11s %3u  %-28s%s %7zu  %s", queue_state_name(queue_env_state(e)),
			   at, queue_env_attempts(e), nr ? queue_env_rcpt_addr(e, 0) : "",
			   nr > 1 ? "+" : " ", queue_env_size(e), last_reply(e));
		ui_text((int)(i - top) + 1, 0, (size_t)ui_cols(), b.data, b.len,
			i == v->cur ? UI_CURSOR : UI_NORMAL, i == v->cur ? A_REVERSE : 0);
	}
	buf_reset(&b);
	buf_printf(&b, "-- outgoing queue: %zu message%s -- state, next attempt, tries, recipient, size, last reply",
		   v->n, v->n == 1 ? "" : "s");
	ui_status_bar(b.data);
	buf_release(&b);
	ui_flush();
}

static void cancel(struct qview *v)
{
	const struct queue_env *e = v->list[v->cur];
	struct err err = ERR_INIT;
	time_t now = time(NULL);
	char *irt = NULL;

	/* Inside send_delay the relay has not looked at the message yet, so
	 * removing it is a clean undo.  Later a flusher may be sending it. */
	if (queue_env_state(e) == QUEUE_ST_QUEUED &&
	    (queue_env_attempts(e) > 0 || now >= queue_env_created(e) + v->send_delay)) {
		ui_error("too late to cancel: the relay may be sending it (h holds it first)");
		return;
	}
	if (queue_env_state(e) != QUEUE_ST_QUEUED &&
	    !ui_confirm("Take this message out of the queue (back to the drafts folder)?"))
		return;
	/* Without a configuration there is no drafts folder to go back to. */
	if (!v->cfg) {
		if (queue_remove(v->q, queue_env_id(e), &err) < 0)
			ui_error("%s", err.msg);
		else
			ui_message("cancelled");
		return;
	}
	if (compose_unsend(v->cfg, v->q, queue_env_id(e), NULL, &irt, &err) < 0) {
		ui_error("%s", err.msg);
		return;
	}
	if (v->unsent)
		v->unsent(v->arg, irt);
	free(irt);
	ui_message("cancelled: back in the drafts folder (R in the index recalls it)");
}

/* The message's delivery record (sendq status), in the pager. */
static void show_record(struct qview *v)
{
	struct err err = ERR_INIT;
	struct buf b = BUF_INIT;
	const char *id = queue_env_id(v->list[v->cur]);

	buf_printf(&b, "Subject: delivery record of %s\n\n", id);
	if (status_text(v->q, v->cfg, id, &b, &err) < 0)
		ui_error("%s", err.msg);
	else
		(void)pager_show(b.data, b.len, "delivery record", NULL);
	buf_release(&b);
	ui_set_redraw(draw, v);
}

void qview_show(struct queue *q, const struct cfg *cfg, qview_unsent_fn unsent, void *arg)
{
	struct qview v = { q, cfg, unsent, arg, cfg ? cfg_general_int(cfg, "send_delay", 0) : 0,
			   NULL, 0, 0 };
	struct err err = ERR_INIT;
	int k;

	reload(&v);
	ui_set_redraw(draw, &v);
	for (;;) {
		draw(&v);
		k = ui_getkey(1000);
		if (k == 'q' || k == UI_KEY_ESC || k == 'Q')
			break;
		err_clear(&err);
		switch (k) {
		case 'j': case KEY_DOWN:
			if (v.cur + 1 < v.n)
				v.cur++;
			break;
		case 'k': case KEY_UP:
			if (v.cur > 0)
				v.cur--;
			break;
		case 'd':
			if (v.n)
				cancel(&v);
			break;
		case '\n':
			if (v.n)
				show_record(&v);
			break;
		case 'h':
			if (!v.n)
				break;
			if (queue_env_state(v.list[v.cur]) == QUEUE_ST_HELD) {
				if (queue_release(q, queue_env_id(v.list[v.cur]), &err) < 0)
					ui_error("%s", err.msg);
			} else if (queue_hold(q, queue_env_id(v.list[v.cur]), &err) < 0) {
				ui_error("%s", err.msg);
			}
			break;
		case 'r':
			if (v.n && queue_retry(q, queue_env_id(v.list[v.cur]), &err) < 0)
				ui_error("%s", err.msg);
			else if (v.n)
				ui_message("will be tried at the next flush");
			break;
		case '?': {
			static const struct ui_keyhelp keys[] = {
				{ "q", "back to the index" },
				{ "j k", "move" },
				{ "Enter", "the delivery record: attempts, replies, reports (sendq status)" },
				{ "d", "cancel (back to the drafts folder): a message still inside send_delay, or a held/failed one" },
				{ "h", "hold / release" },
				{ "r", "retry now (a failed message goes back to the queue)" },
			};
			ui_show_help("queue keys", keys, sizeof(keys) / sizeof(keys[0]));
			break;
		}
		default:
			break;
		}
		reload(&v);
	}
	ui_set_redraw(NULL, NULL);
	queue_list_free(v.list, v.n);
}
