#include "config.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose.h"
#include "idxhint.h"
#include "index.h"
#include "mailbox.h"
#include "maildir.h"
#include "recall.h"
#include "ui.h"
#include "xalloc.h"

size_t recall_count(const struct cfg_account *acct)
{
	struct err err = ERR_INIT;
	struct mailbox *mb;
	char *dir;
	size_t n = 0;

	if (!acct)
		return 0;
	dir = compose_drafts_dir(acct);
	mb = mailbox_open(dir, &err);
	if (mb)
		n = mailbox_count(mb);
	mailbox_free(mb);
	free(dir);
	return n;
}

struct pick {
	struct mailbox *mb;
	size_t cur;
};

static void draw(void *arg)
{
	struct pick *p = arg;
	size_t rows = ui_rows() > 3 ? (size_t)ui_rows() - 3 : 1, n = mailbox_count(p->mb), top, i;
	struct buf b = BUF_INIT;
	char date[32];
	struct tm tm;

	top = p->cur >= rows ? p->cur - rows + 1 : 0;
	erase();
	ui_help_bar("Enter:Recall  q:Back  j/k:Move");
	for (i = top; i < n && i - top < rows; i++) {
		const struct index_msg *m = mailbox_at(p->mb, i);

		if (m->date < 0 || !localtime_r(&m->date, &tm) ||
		    strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(date, sizeof(date), "?");
		buf_reset(&b);
		buf_printf(&b, "%-16s  %-24s  %s", date, m->to, m->subject);
		ui_text((int)(i - top) + 1, 0, (size_t)ui_cols(), b.data, b.len,
			i == p->cur ? UI_CURSOR : UI_NORMAL, i == p->cur ? A_REVERSE : 0);
	}
	buf_reset(&b);
	buf_printf(&b, "-- postponed messages: %zu -- date, to, subject", n);
	ui_status_bar(b.data);
	buf_release(&b);
	ui_flush();
}

/* The message to recall: the only one, else the one picked; NONE-like
 * (SIZE_MAX) when the user went back. */
static size_t pick(struct mailbox *mb)
{
	struct pick p = { mb, mailbox_count(mb) - 1 };
	int k = 0;

	if (mailbox_count(mb) == 1)
		return 0;
	ui_set_redraw(draw, &p);
	while (k != '\n') {
		draw(&p);
		k = ui_getkey(-1);
		if (k == 'q' || k == UI_KEY_ESC) {
			p.cur = SIZE_MAX;
			break;
		}
		if ((k == 'j' || k == KEY_DOWN) && p.cur + 1 < mailbox_count(mb))
			p.cur++;
		else if ((k == 'k' || k == KEY_UP) && p.cur > 0)
			p.cur--;
	}
	ui_set_redraw(NULL, NULL);
	return p.cur;
}

enum composeui_result recall_run(const struct cfg *cfg, const struct cfg_account *acct,
				 struct queue *q, char **in_reply_to_out)
{
	struct err err = ERR_INIT;
	enum composeui_result r = COMPOSEUI_DROPPED;
	struct mailbox *mb = NULL;
	char *dir, *data = NULL;
	const char *irt;
	size_t i, len = 0;

	*in_reply_to_out = NULL;
	if (!acct) {
		ui_error("no account: postponed messages live in an account's drafts folder");
		return r;
	}
	dir = compose_drafts_dir(acct);
	mb = mailbox_open(dir, &err);
	if (!mb || mailbox_count(mb) == 0) {
		ui_message("no postponed messages");
		goto out;
	}
	if ((i = pick(mb)) == SIZE_MAX)
		goto out;
	if (mailbox_read(mb, i, &data, &len, &err) < 0) {
		ui_error("%s", err.msg);
		goto out;
	}
	irt = mailbox_at(mb, i)->in_reply_to;
	r = composeui_run(cfg, cfg_account_name(acct), q, COMPOSEUI_DRAFT, data, len);
	if (r == COMPOSEUI_SENT && irt)
		*in_reply_to_out = xstrdup(irt);
	/* Sent, or kept as a new draft: this copy is done with. */
	if (r != COMPOSEUI_DROPPED && mailbox_remove(mb, i, NULL, &err) < 0)
		ui_error("%s", err.msg);
	else if (r != COMPOSEUI_DROPPED)
		idxhint_note(acct);
out:
	free(data);
	mailbox_free(mb);
	free(dir);
	return r;
}

/* Take R off the message with message_id in the Maildir dir: 1 when it was
 * there, 0 when not, -1 on error. */
static int unreply_in(const char *dir, const char *message_id, struct err *err)
{
	struct index *ix = index_open(dir, 0, err);
	const struct index_msg *m;
	char flags[sizeof(m->flags)];
	size_t i, o, k;
	int rc = 0;

	/* A folder that cannot be read does not stop the search. */
	if (!ix) {
		err_clear(err);
		return 0;
	}
	for (i = 0; i < index_count(ix) && rc == 0; i++) {
		m = index_at(ix, i);
		if (!m->message_id || strcmp(m->message_id, message_id) != 0)
			continue;
		for (k = 0, o = 0; m->flags[k]; k++)
			if (m->flags[k] != 'R')
				flags[o++] = m->flags[k];
		flags[o] = '\0';
		rc = strcmp(flags, m->flags) == 0 || index_set_flags(ix, i, flags, err) == 0 ? 1 : -1;
	}
	index_free(ix);
	return rc;
}

int recall_unreply(const char *root, const char *skip_dir, const char *message_id,
		   struct err *err)
{
	char **names = NULL, *dir;
	size_t n = 0, i;
	int rc = 0;

	if (maildir_folders(root, &names, &n, err) < 0) {
		err_clear(err);
		return 0;
	}
	for (i = 0; i < n && rc == 0; i++) {
		dir = maildir_folder_path(root, names[i]);
		if (!skip_dir || strcmp(dir, skip_dir) != 0)
			rc = unreply_in(dir, message_id, err);
		free(dir);
	}
	maildir_names_free(names, n);
	return rc;
}
