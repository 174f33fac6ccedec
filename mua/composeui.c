#include "config.h"

#include <curses.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "addrcomplete.h"
#include "compose.h"
#include "composeui.h"
#include "identity.h"
#include "keymap.h"
#include "log.h"
#include "msg.h"
#include "path.h"
#include "pgpmime.h"
#include "ui.h"
#include "xalloc.h"

struct screen {
	const struct cfg *cfg;
	const char *account;  /* the identity's account at the start (NULL: default) */
	struct compose *c;
	size_t cur;          /* selected attachment */
	int draft_ok;        /* the last edit parsed */
	struct buf sec_for;  /* recipients and choice sec_note was made for */
	struct buf sec_note; /* the Security line */
	int sec_bad;         /* the note names missing keys of a must-encrypt */
	int drop_unchanged;  /* the first edit of a new message: no change aborts it */
};

/* The Security line: the PGP choice and, when it encrypts, the
 * recipients without a key, so a missing key is named before y.  Asking
 * GnuPG costs a few gpg runs, so the line is remade only when the
 * recipients or the choice changed. */
static void security_note(struct screen *s)
{
	static const char *const fields[] = { "To", "Cc", "Bcc" };
	struct err err = ERR_INIT;
	struct buf key = BUF_INIT, missing = BUF_INIT;
	unsigned f = compose_pgp(s->c);
	const char *v;
	size_t i;
	int n = 0;

	buf_printf(&key, "%u", f);
	for (i = 0; i < 3; i++)
		buf_printf(&key, "\n%s", (v = compose_field(s->c, fields[i])) ? v : "");
	if (s->sec_for.len && strcmp(key.data, s->sec_for.data) == 0) {
		buf_release(&key);
		return;
	}
	buf_reset(&s->sec_for);
	buf_append(&s->sec_for, key.data, key.len);
	buf_reset(&s->sec_note);
	s->sec_bad = 0;
	buf_puts(&s->sec_note, f & COMPOSE_PGP_SIGN ? "sign" : "");
	if (f & (COMPOSE_PGP_ENCRYPT | COMPOSE_PGP_AUTO)) {
		buf_puts(&s->sec_note, f & COMPOSE_PGP_SIGN ? ", " : "");
		buf_puts(&s->sec_note, f & COMPOSE_PGP_ENCRYPT ? "encrypt" : "encrypt if possible");
		n = compose_pgp_missing(s->c, &missing, &err);
		if (n < 0)
			buf_printf(&s->sec_note, " -- %s", err.msg);
		else if (n > 0)
			buf_printf(&s->sec_note, " -- no key for %s", missing.data);
		else if (f & COMPOSE_PGP_AUTO)
			buf_puts(&s->sec_note, " (yes: every recipient has a key)");
		s->sec_bad = n != 0 && (f & COMPOSE_PGP_ENCRYPT);
	}
	if (s->sec_note.len == 0)
		buf_puts(&s->sec_note, "none (p: sign, encrypt)");
	buf_release(&missing);
	buf_release(&key);
}

/* p: none, sign, encrypt, sign and encrypt, none ... (mutt's PGP menu in
 * one key); "encrypt if possible" counts as not encrypting. */
static void pgp_cycle(struct screen *s)
{
	static const unsigned next[4] = {
		COMPOSE_PGP_SIGN, COMPOSE_PGP_ENCRYPT, COMPOSE_PGP_SIGN | COMPOSE_PGP_ENCRYPT, 0,
	};
	unsigned f = compose_pgp(s->c);

	compose_set_pgp(s->c, next[(f & COMPOSE_PGP_SIGN ? 1 : 0) + (f & COMPOSE_PGP_ENCRYPT ? 2 : 0)]);
}

/* Crypto may ask gpg-agent for a passphrase: its pinentry needs the
 * terminal, so curses steps aside meanwhile. */
static int needs_terminal(const struct compose *c)
{
	return (compose_pgp(c) & COMPOSE_PGP_SIGN) != 0;
}

/* The key bar, most used first: what does not fit is left out. */
static const struct keymap_bar compose_bar[] = {
	{ 'y', "Send" }, { 'q', "Abort" }, { 'e', "Edit" }, { 't', "To" }, { 's', "Subj" },
	{ 'a', "Attach" }, { 'D', "Drop" }, { 'i', "Identity" }, { 'P', "Postpone" }, { 'p', "PGP" },
};

static void draw(void *arg)
{
	static const char *const fields[] = { "From", "To", "Cc", "Bcc", "Subject", "Reply-To" };
	struct screen *s = arg;
	struct buf b = BUF_INIT;
	size_t i, n = compose_attach_count(s->c);
	int y = 1;

	erase();
	keymap_bar(KEYMAP_COMPOSE, compose_bar, sizeof(compose_bar) / sizeof(compose_bar[0]),
		   (size_t)ui_cols(), &b);
	ui_help_bar(b.data);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]) && y < ui_rows() - 2; i++, y++) {
		const char *v = s->draft_ok ? compose_field(s->c, fields[i]) : NULL;

		buf_reset(&b);
		buf_printf(&b, "%9s: %s", fields[i], v ? v : "");
		ui_text(y, 0, (size_t)ui_cols(), b.data, b.len, UI_NORMAL, 0);
	}
	if (s->draft_ok && y < ui_rows() - 2) {
		security_note(s);
		buf_reset(&b);
		buf_printf(&b, "%9s: %s", "Security", s->sec_note.data);
		ui_text(y++, 0, (size_t)ui_cols(), b.data, b.len, s->sec_bad ? UI_ERROR : UI_NORMAL, 0);
	}
	y++;
	if (n == 0 && y < ui_rows() - 2)
		ui_line(y, 0, "No attachments (a adds one).", UI_NORMAL);
	for (i = 0; i < n && y < ui_rows() - 2; i++, y++) {
		const char *name = compose_attach_name(s->c, i);

		buf_reset(&b);
		buf_printf(&b, "%3zu  %-28s %9zu  %s", i + 1, compose_attach_type(s->c, i),
			   compose_attach_size(s->c, i), name ? name : "(attached message)");
		ui_text(y, 0, (size_t)ui_cols(), b.data, b.len, i == s->cur ? UI_CURSOR : UI_NORMAL,
			i == s->cur ? A_REVERSE : 0);
	}
	ui_status_bar(s->draft_ok ? "-- compose: y sends the message" :
				    "-- compose: the draft has an error; e edits it again");
	buf_release(&b);
	ui_flush();
}

/* SIGTERM or SIGHUP while the editor ran, which compose_edit() handed on
 * to it: the message as the editor saved it goes to the drafts folder
 * (unless it is a new one never changed, which leaving the editor would
 * have dropped too), the terminal is given back, and surel ends as the
 * signal asks. */
static void end_on_signal(struct screen *s, int changed)
{
	struct err err = ERR_INIT;
	int sig = compose_edit_signal();
	int rc = s->drop_unchanged && !changed ? 1 : compose_postpone(s->c, NULL, &err);
	struct err raw = ERR_INIT;

	ui_end();
	/* Text the user typed is never thrown away for a half-typed address:
	 * it goes to the drafts folder as written. */
	if (rc < 0 && compose_postpone_raw(s->c, &raw) == 0)
		log_warnx("ended by signal %d; the message is kept as written in the drafts folder "
			  "(%s)", sig, err.msg);
	else if (rc < 0)
		log_error("ended by signal %d; the message could not be kept: %s", sig, raw.msg);
	else if (rc == 0)
		log_warnx("ended by signal %d; the message is kept in the drafts folder", sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Run the editor with the terminal handed over; 0 when the draft parsed,
 * 1 when the editor ran but the draft did not parse, -1 when the editor
 * failed.  *changed_out as compose_edit's. */
static int edit(struct screen *s, int *changed_out)
{
	struct err err = ERR_INIT;
	int rc, changed = 0;

	ui_suspend();
	rc = compose_edit(s->c, &changed, &err);
	if (compose_edit_signal())
		end_on_signal(s, changed);
	ui_resume();
	if (changed_out)
		*changed_out = changed;
	if (rc == 0) {
		s->draft_ok = 1;
		return 0;
	}
	ui_error("%s", err.msg);
	if (err.code == EX_DATAERR) {
		s->draft_ok = 0;
		return 1;
	}
	return -1;
}

/* Tab at "Attach file:": the file names in the typed directory that start
 * with the typed name, completed as far as they agree (a lone directory
 * gets its "/"); several are listed on the status line. */
static void complete_path(void *arg, struct buf *line)
{
	const char *slash = strrchr(line->data, '/'), *base;
	char *dirpart, *dir, *first = NULL, *full;
	size_t dlen = slash ? (size_t)(slash - line->data) + 1 : 0, blen, common = 0, n = 0;
	struct buf list = BUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d;

	(void)arg;
	dirpart = xstrndup(line->data, dlen);
	base = line->data + dlen;
	blen = strlen(base);
	dir = dlen ? path_expand(dirpart) : xstrdup(".");
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || (de->d_name[0] == '.' && base[0] != '.'))
			continue;
		if (!first) {
			first = xstrdup(de->d_name);
			common = strlen(first);
		} else {
			while (common > 0 && strncmp(first, de->d_name, common) != 0)
				common--;
		}
		n++;
		buf_printf(&list, "%s%s", list.len ? "  " : "", de->d_name);
	}
	if (d)
		closedir(d);
	if (first && common > blen) {
		buf_truncate(line, dlen);
		buf_append(line, first, common);
	}
	if (n == 1) {
		full = xasprintf("%s/%s", dir, first);
		if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && common == strlen(first))
			buf_putc(line, '/');
		free(full);
	} else if (n > 1 && !(common > blen)) {
		ui_status_bar(list.data);
	} else if (n == 0) {
		ui_status_bar("no such file");
	}
	buf_release(&list);
	free(first);
	free(dir);
	free(dirpart);
}

static void attach(struct screen *s)
{
	struct ui_prompt_ops ops = { complete_path, NULL, NULL, NULL };
	struct err err = ERR_INIT;
	struct buf line = BUF_INIT;
	char *path;

	if (ui_prompt("Attach file: ", NULL, &ops, &line) == 0 && line.len) {
		path = path_expand(line.data);
		if (compose_attach_file(s->c, path, &err) < 0)
			ui_error("%s", err.msg);
		else
			s->cur = compose_attach_count(s->c) - 1;
		free(path);
	}
	buf_release(&line);
}

/* The recipients prompt; -1 when cancelled. */
static int ask_to(const struct cfg *cfg, const char *account, const char *question,
		  struct buf *to)
{
	struct addrcomplete *ac = addrcomplete_new(cfg, account);
	int rc = addrcomplete_prompt(ac, question, NULL, to);

	addrcomplete_free(ac);
	return rc;
}

/* t, c, b, s, f, r: edit one header field in place (mutt's keys). */
static void edit_field(struct screen *s, const char *name)
{
	struct err err = ERR_INIT;
	struct buf q = BUF_INIT, line = BUF_INIT;
	struct addrcomplete *ac = NULL;
	struct ui_prompt_ops ops = { addrcomplete_tab, NULL, NULL, NULL };

	if (!s->draft_ok) {
		ui_error("the draft has an error: e edits it");
		return;
	}
	buf_printf(&q, "%s: ", name);
	/* The fields of addresses to write to complete them with Tab. */
	if (strcmp(name, "Subject") != 0 && strcmp(name, "From") != 0) {
		ac = addrcomplete_new(s->cfg, s->account);
		ops.arg = ac;
	}
	if (ui_prompt(q.data, compose_field(s->c, name), ac ? &ops : NULL, &line) == 0 &&
	    compose_set_field(s->c, name, line.data, &err) < 0)
		ui_error("%s", err.msg);
	addrcomplete_free(ac);
	buf_release(&q);
	buf_release(&line);
}

struct idpick {
	struct identity *v;
	size_t n, cur;
};

static void draw_idpick(void *arg)
{
	struct idpick *p = arg;
	struct buf b = BUF_INIT;
	size_t i;

	erase();
	ui_help_bar("Enter:Write from  q:Back  j/k:Move");
	for (i = 0; i < p->n && (int)i + 1 < ui_rows() - 2; i++) {
		buf_reset(&b);
		buf_printf(&b, "%-16s %s", cfg_account_name(p->v[i].acct), p->v[i].addr);
		ui_text((int)i + 1, 0, (size_t)ui_cols(), b.data, b.len,
			i == p->cur ? UI_CURSOR : UI_NORMAL, i == p->cur ? A_REVERSE : 0);
	}
	ui_status_bar("-- identities: the account and address to write from");
	buf_release(&b);
	ui_flush();
}

/* i: pick the identity (account and address) to write from; the From
 * line, the signature and the sending account follow. */
static void pick_identity(struct screen *s)
{
	struct err err = ERR_INIT;
	struct idpick p = { NULL, 0, 0 };
	const char *from = compose_field(s->c, "From");
	int k = 0;

	p.n = identity_list(s->cfg, &p.v);
	if (p.n == 0) {
		ui_error("no other identity: no accounts configured");
		return;
	}
	for (p.cur = 0; from && p.cur < p.n && !strstr(from, p.v[p.cur].addr); p.cur++)
		;
	if (p.cur == p.n)
		p.cur = 0;
	ui_set_redraw(draw_idpick, &p);
	while (k != 'q' && k != UI_KEY_ESC && k != '\n') {
		draw_idpick(&p);
		k = ui_getkey(-1);
		if ((k == 'j' || k == KEY_DOWN) && p.cur + 1 < p.n)
			p.cur++;
		else if ((k == 'k' || k == KEY_UP) && p.cur > 0)
			p.cur--;
	}
	ui_set_redraw(draw, s);
	if (k == '\n' && compose_set_identity(s->c, cfg_account_name(p.v[p.cur].acct),
					       p.v[p.cur].addr, &err) < 0)
		ui_error("%s", err.msg);
	identity_list_free(p.v, p.n);
}

static enum composeui_result screen_loop(struct screen *s, struct queue *q)
{
	struct err err = ERR_INIT;
	char *id = NULL;
	int k, rc;

	for (;;) {
		draw(s);
		k = keymap_read(KEYMAP_COMPOSE, -1);
		err_clear(&err);
		switch (k) {
		case 'y':
			if (!s->draft_ok) {
				ui_error("the draft has an error: e edits it");
				break;
			}
			if (needs_terminal(s->c))
				ui_suspend();
			rc = compose_send(s->c, q, 0, &id, &err);
			if (needs_terminal(s->c))
				ui_resume();
			if (rc < 0) {
				ui_error("%s", err.msg);
				break;
			}
			ui_message("queued as %s", id);
			free(id);
			return COMPOSEUI_SENT;
		case 'e':
			edit(s, NULL);
			break;
		case 'a':
			attach(s);
			break;
		case 't': case 'c': case 'b': case 's': case 'f': case 'r':
			edit_field(s, k == 't' ? "To" : k == 'c' ? "Cc" : k == 'b' ? "Bcc" :
				      k == 's' ? "Subject" : k == 'f' ? "From" : "Reply-To");
			break;
		case 'i':
			if (!s->draft_ok)
				ui_error("the draft has an error: e edits it");
			else
				pick_identity(s);
			break;
		case 'p':
			if (!s->draft_ok)
				ui_error("the draft has an error: e edits it");
			else
				pgp_cycle(s);
			break;
		case 'D':
			if (compose_attach_count(s->c) == 0)
				break;
			compose_attach_drop(s->c, s->cur);
			if (s->cur > 0 && s->cur >= compose_attach_count(s->c))
				s->cur--;
			break;
		case 'j':
			if (s->cur + 1 < compose_attach_count(s->c))
				s->cur++;
			break;
		case 'k':
			if (s->cur > 0)
				s->cur--;
			break;
		case 'P':
			if (!s->draft_ok) {
				ui_error("the draft has an error: e edits it");
				break;
			}
			if (compose_postpone(s->c, NULL, &err) < 0) {
				ui_error("%s", err.msg);
				break;
			}
			ui_message("postponed to the drafts folder");
			return COMPOSEUI_KEPT;
		case 'q':
			if (ui_confirm("Abort this message?")) {
				ui_message("message aborted");
				return COMPOSEUI_DROPPED;
			}
			break;
		case '?':
			keymap_help(KEYMAP_COMPOSE);
			break;
		default:
			break;
		}
	}
}

/* After the start: the editor (unless the draft is to be shown as it is,
 * or kept even when unchanged), then the screen; frees s->c. */
enum run_mode { RUN_EDIT, RUN_EDIT_KEEP, RUN_SHOW };

static enum composeui_result run(struct screen *s, struct queue *q, enum run_mode mode)
{
	enum composeui_result r = COMPOSEUI_DROPPED;
	int changed = 1, rc = 0;

	if (mode == RUN_SHOW) {
		s->draft_ok = 1;
	} else {
		s->drop_unchanged = mode == RUN_EDIT;
		rc = edit(s, &changed);
		s->drop_unchanged = 0;
	}
	if (rc < 0) {
		compose_free(s->c);
		return r;
	}
	/* Leaving the editor without a change means "never mind", as in
	 * mutt; a draft with an error is always shown so it can be fixed. */
	if (rc == 0 && !changed && mode == RUN_EDIT) {
		ui_message("message not changed: aborted");
		compose_free(s->c);
		return r;
	}
	ui_set_redraw(draw, s);
	r = screen_loop(s, q);
	ui_set_redraw(NULL, NULL);
	compose_free(s->c);
	buf_release(&s->sec_for);
	buf_release(&s->sec_note);
	return r;
}

/* The reply_to question (composeui.h): the compose_start_reply() flag
 * to add, or -1 when the user called the reply off. */
static int ask_reply_to(const char *orig, size_t len, int group)
{
	char *rt;
	int k;

	/* Mail-Followup-To decides a group reply without Reply-To. */
	if (group) {
		struct msg *m = msg_parse(orig, len, MSG_HEADERS_ONLY);
		int mft = m && msg_header(m, "Mail-Followup-To");

		msg_free(m);
		if (mft)
			return 0;
	}
	rt = compose_reply_to_differs(orig, len);
	if (!rt)
		return 0;
	for (;;) {
		ui_message("Reply to %s? ([yes]/no) ", rt);
		k = ui_getkey(-1);
		if (k == KEY_RESIZE) {
			ui_redraw();
			continue;
		}
		if (k == '\n' || k == 'y' || k == 'Y' || k == 'n' || k == 'N' || k == UI_KEY_ESC ||
		    k == UI_KEY_CTRL('g'))
			break;
	}
	ui_message("%s", "");
	free(rt);
	if (k == UI_KEY_ESC || k == UI_KEY_CTRL('g'))
		return -1;
	return k == 'n' || k == 'N' ? COMPOSE_REPLY_FROM : 0;
}

enum composeui_result composeui_run(const struct cfg *cfg, const char *account,
				    struct queue *q, enum composeui_kind kind,
				    const char *orig, size_t len)
{
	struct err err = ERR_INIT;
	struct screen s;
	struct buf to = BUF_INIT;
	int rc = 0, rflags = 0, enc;

	memset(&s, 0, sizeof(s));
	buf_init(&s.sec_for);
	buf_init(&s.sec_note);
	s.cfg = cfg;
	s.account = account;
	if ((kind == COMPOSEUI_REPLY || kind == COMPOSEUI_GROUP) &&
	    (rflags = ask_reply_to(orig, len, kind == COMPOSEUI_GROUP)) < 0)
		return COMPOSEUI_DROPPED;
	/* As mutt asks: the recipients first (Tab completes), for a new
	 * message and a forward; Esc there is "never mind". */
	if ((kind == COMPOSEUI_NEW || kind == COMPOSEUI_FORWARD || kind == COMPOSEUI_FORWARD_ATTACH) &&
	    ask_to(cfg, account, kind == COMPOSEUI_NEW ? "To: " : "Forward to: ", &to) < 0)
		return COMPOSEUI_DROPPED;
	s.c = compose_new(cfg, account, &err);
	if (!s.c) {
		ui_error("%s", err.msg);
		buf_release(&to);
		return COMPOSEUI_DROPPED;
	}
	/* Decrypting the original may ask for a passphrase (needs_terminal). */
	enc = orig && pgpmime_is_encrypted(orig, len);
	if (enc)
		ui_suspend();
	switch (kind) {
	case COMPOSEUI_NEW:
		compose_start_new(s.c, to.len ? to.data : NULL, NULL);
		break;
	case COMPOSEUI_REPLY:
	case COMPOSEUI_GROUP:
	case COMPOSEUI_LIST:
		rflags |= kind == COMPOSEUI_GROUP ? COMPOSE_REPLY_ALL :
			  kind == COMPOSEUI_LIST ? COMPOSE_REPLY_LIST : 0;
		rc = compose_start_reply(s.c, orig, len, (unsigned)rflags, &err);
		break;
	case COMPOSEUI_FORWARD:
	case COMPOSEUI_FORWARD_ATTACH:
		rc = compose_start_forward(s.c, orig, len,
					   kind == COMPOSEUI_FORWARD ? COMPOSE_FWD_INLINE : COMPOSE_FWD_ATTACH,
					   &err);
		if (rc == 0 && to.len)
			rc = compose_set_field(s.c, "To", to.data, &err);
		break;
	case COMPOSEUI_DRAFT:
		rc = compose_start_draft(s.c, orig, len, &err);
		break;
	}
	if (enc)
		ui_resume();
	buf_release(&to);
	if (rc < 0) {
		ui_error("%s", err.msg);
		compose_free(s.c);
		return COMPOSEUI_DROPPED;
	}
	return run(&s, q, kind == COMPOSEUI_DRAFT ? RUN_SHOW : RUN_EDIT);
}

enum composeui_result composeui_run_mailto(const struct cfg *cfg, const char *account,
					   struct queue *q, const struct mailto *m)
{
	struct err err = ERR_INIT;
	struct screen s;

	memset(&s, 0, sizeof(s));
	buf_init(&s.sec_for);
	buf_init(&s.sec_note);
	s.cfg = cfg;
	s.account = account;
	s.c = compose_new(cfg, account, &err);
	if (!s.c) {
		ui_error("%s", err.msg);
		return COMPOSEUI_DROPPED;
	}
	compose_start_filled(s.c, m->to, m->cc, m->bcc, m->subject, m->in_reply_to, m->body);
	/* A link may hold the whole message (a list's "subscribe"), so an
	 * unchanged draft is still worth sending. */
	return run(&s, q, RUN_EDIT_KEEP);
}

/* Add the addresses of list (a header value) that out (and other, when
 * not NULL) does not hold yet. */
static void merge_addrs(struct buf *out, const struct buf *other, const char *list)
{
	struct addr_mbox *v;
	size_t n = list ? addr_parse_list(list, &v) : 0, i;

	for (i = 0; i < n; i++) {
		if (!v[i].addr || !*v[i].addr || (out->len && strcasestr(out->data, v[i].addr)) ||
		    (other && other->len && strcasestr(other->data, v[i].addr)))
			continue;
		if (out->len)
			buf_puts(out, ", ");
		addr_put_mbox(out, v[i].name, v[i].addr, ADDR_UTF8);
	}
	if (n)
		addr_list_free(v, n);
}

/* The body of a draft without its signature: from after the header block
 * to the last "-- " line. */
static void draft_body(const struct compose *c, const char **body, size_t *len)
{
	size_t n;
	const char *d = compose_draft(c, &n), *b = memmem(d, n, "\n\n", 2), *sig, *p;

	b = b ? b + 2 : d + n;
	for (sig = NULL, p = b; (p = memmem(p, (size_t)(d + n - p), "\n-- \n", 5)) != NULL; p++)
		sig = p + 1;
	if (b + 4 <= d + n && memcmp(b, "-- \n", 4) == 0)
		sig = b;
	*body = b;
	*len = (size_t)((sig ? sig : d + n) - b);
}

/* The reply in c (to the first message) made a reply to the others too:
 * each one's recipients, as compose_start_reply() chooses them with its
 * flags[i], join To and Cc, and its quoted text follows the first's,
 * before the signature. */
static int add_replies(struct compose *c, const struct cfg *cfg, const char *account,
		       const char *const *origs, const size_t *lens, size_t n,
		       const unsigned *flags, struct err *err)
{
	struct buf to = BUF_INIT, cc = BUF_INIT, text = BUF_INIT;
	const char *body, *d;
	size_t blen, dlen, i;
	int rc = 0;

	merge_addrs(&to, NULL, compose_field(c, "To"));
	merge_addrs(&cc, &to, compose_field(c, "Cc"));
	d = compose_draft(c, &dlen);
	draft_body(c, &body, &blen);
	buf_append(&text, d, (size_t)(body - d) + blen);
	for (i = 0; i < n && rc == 0; i++) {
		struct compose *o = compose_new(cfg, account, err);

		rc = o ? compose_start_reply(o, origs[i], lens[i], flags[i], err) : -1;
		if (rc == 0) {
			merge_addrs(&to, NULL, compose_field(o, "To"));
			merge_addrs(&cc, &to, compose_field(o, "Cc"));
			draft_body(o, &body, &blen);
			if (text.len && text.data[text.len - 1] != '\n')
				buf_puts(&text, "\n");
			buf_append(&text, body, blen);
		}
		compose_free(o);
	}
	draft_body(c, &body, &blen);
	buf_append(&text, body + blen, (size_t)(d + dlen - (body + blen)));
	if (rc == 0)
		rc = compose_set_draft(c, text.data, text.len, err);
	if (rc == 0 && to.len)
		rc = compose_set_field(c, "To", to.data, err);
	if (rc == 0 && cc.len)
		rc = compose_set_field(c, "Cc", cc.data, err);
	buf_release(&to);
	buf_release(&cc);
	buf_release(&text);
	return rc;
}

enum composeui_result composeui_run_many(const struct cfg *cfg, const char *account,
					 struct queue *q, enum composeui_kind kind,
					 const char *const *origs, const size_t *lens, size_t n)
{
	struct err err = ERR_INIT;
	struct screen s;
	struct buf to = BUF_INIT;
	unsigned *flags = NULL;
	size_t i;
	int rc;

	if (kind != COMPOSEUI_FORWARD_ATTACH)
		kind = kind == COMPOSEUI_GROUP ? COMPOSEUI_GROUP : COMPOSEUI_REPLY;
	if (n == 1)
		return composeui_run(cfg, account, q, kind, origs[0], lens[0]);
	memset(&s, 0, sizeof(s));
	buf_init(&s.sec_for);
	buf_init(&s.sec_note);
	s.cfg = cfg;
	s.account = account;
	if (kind == COMPOSEUI_FORWARD_ATTACH && ask_to(cfg, account, "Forward to: ", &to) < 0)
		return COMPOSEUI_DROPPED;
	/* As a single reply does: the reply_to question for each message
	 * whose Reply-To differs (Mail-Followup-To settling a group reply). */
	if (kind != COMPOSEUI_FORWARD_ATTACH) {
		flags = xreallocarray(NULL, n, sizeof(*flags));
		for (i = 0; i < n; i++) {
			int f = ask_reply_to(origs[i], lens[i], kind == COMPOSEUI_GROUP);

			if (f < 0) {
				free(flags);
				return COMPOSEUI_DROPPED;
			}
			flags[i] = (kind == COMPOSEUI_GROUP ? COMPOSE_REPLY_ALL : 0) | (unsigned)f;
		}
	}
	s.c = compose_new(cfg, account, &err);
	if (!s.c) {
		ui_error("%s", err.msg);
		buf_release(&to);
		free(flags);
		return COMPOSEUI_DROPPED;
	}
	if (kind == COMPOSEUI_FORWARD_ATTACH) {
		rc = compose_start_forward(s.c, origs[0], lens[0], COMPOSE_FWD_ATTACH, &err);
		for (i = 1; rc == 0 && i < n; i++)
			compose_attach_data(s.c, NULL, "message/rfc822", origs[i], lens[i]);
		if (rc == 0 && to.len)
			rc = compose_set_field(s.c, "To", to.data, &err);
	} else {
		rc = compose_start_reply(s.c, origs[0], lens[0], flags[0], &err);
		if (rc == 0)
			rc = add_replies(s.c, cfg, account, origs + 1, lens + 1, n - 1, flags + 1, &err);
	}
	buf_release(&to);
	free(flags);
	if (rc < 0) {
		ui_error("%s", err.msg);
		compose_free(s.c);
		return COMPOSEUI_DROPPED;
	}
	return run(&s, q, RUN_EDIT);
}
