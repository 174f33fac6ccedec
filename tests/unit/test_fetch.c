/*
 * The fetch engine (spool/fetch.c) against a source without a server: a
 * fake source_ops whose folders and messages live in this file, with
 * knobs for the misbehaviour real servers show (a message listed and not
 * sent, a connection that breaks, a renumbered folder, a refused name).
 * The assertions are on what fetch leaves behind: the Maildir and the
 * state file.
 */
#include "config.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "afile.h"
#include "cfg.h"
#include "err.h"
#include "fetch.h"
#include "maildir.h"
#include "source.h"
#include "suites.h"
#include "track.h"
#include "tutil.h"
#include "xalloc.h"

#define MAX_MSGS 200

/* ---- the fake server ---- */

struct fake_msg {
	uint32_t uid;
	char uidl[16];
	char *data;        /* CRLF line ends, as servers send */
	char flags[8];
	int removed;
	int remove_pending;  /* UIDL naming: removed when close() succeeds */
};

struct fake_folder {
	char name[32];
	uint32_t uidvalidity;
	struct fake_msg msgs[MAX_MSGS];
	size_t n;
};

static struct {
	struct fake_folder folders[3];
	size_t nfolders;
	struct fake_folder *sel;
	uint32_t withhold;       /* a uid listed and never sent (0: none) */
	size_t break_after;      /* fetch() breaks after this many (0: never) */
	size_t sent;             /* messages fetch() handed over this session */
	uint32_t after;          /* the last items() call's argument */
	const char *state_path;  /* read when message peek_at is fetched */
	uint32_t peek_at;
	char *peeked;
} fk;

struct source {
	int naming;
};

static void fake_reset(void)
{
	size_t i, j;

	for (i = 0; i < fk.nfolders; i++)
		for (j = 0; j < fk.folders[i].n; j++)
			free(fk.folders[i].msgs[j].data);
	free(fk.peeked);
	memset(&fk, 0, sizeof(fk));
}

static struct fake_folder *fake_folder(const char *name, uint32_t uidvalidity)
{
	struct fake_folder *f = &fk.folders[fk.nfolders++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->uidvalidity = uidvalidity;
	return f;
}

/* Message number k (its Message-ID says k) as uid in f. */
static void fake_add(struct fake_folder *f, uint32_t uid, unsigned k, const char *flags)
{
	struct fake_msg *m = &f->msgs[f->n++];

	memset(m, 0, sizeof(*m));
	m->uid = uid;
	snprintf(m->uidl, sizeof(m->uidl), "U%u", k);
	m->data = xasprintf("Message-ID: <%u@fake.test>\r\nSubject: message %u\r\n\r\nbody %u\r\n",
			    k, k, k);
	snprintf(m->flags, sizeof(m->flags), "%s", flags ? flags : "");
}

/* INBOX under uidvalidity with messages 1..n as uids 1..n. */
static struct fake_folder *fake_inbox(uint32_t uidvalidity, unsigned n)
{
	struct fake_folder *f = fake_folder("INBOX", uidvalidity);
	unsigned i;

	for (i = 1; i <= n; i++)
		fake_add(f, i, i, NULL);
	return f;
}

static size_t fake_live(const struct fake_folder *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += !f->msgs[i].removed;
	return n;
}

static int fake_open(const struct source_conf *c, struct source **out, struct err *err)
{
	(void)c;
	(void)err;
	*out = xcalloc(1, sizeof(**out));
	fk.sel = NULL;
	fk.sent = 0;
	return 0;
}

/* As IMAP does: plain names as they are (EXAMINE tells whether they
 * exist), globs matched against the folders. */
static int fake_folders(struct source *s, const char *const *pat, size_t npat, char ***names_out,
			size_t *n_out, struct err *err)
{
	size_t i, j, n = 0;

	(void)s;
	(void)err;
	*names_out = xcalloc(fk.nfolders + npat + 1, sizeof(**names_out));
	for (j = 0; j < npat; j++)
		if (!strpbrk(pat[j], "*?["))
			(*names_out)[n++] = xstrdup(pat[j]);
	for (i = 0; i < fk.nfolders; i++) {
		for (j = 0; j < npat; j++)
			if (strpbrk(pat[j], "*?[") && fnmatch(pat[j], fk.folders[i].name, 0) == 0)
				break;
		if (j < npat)
			(*names_out)[n++] = xstrdup(fk.folders[i].name);
	}
	*n_out = n;
	return 0;
}

static int fake_select(struct source *s, const char *folder, int writable, uint32_t *uv_out,
		       struct err *err)
{
	size_t i;

	(void)writable;
	for (i = 0; i < fk.nfolders; i++) {
		if (strcmp(fk.folders[i].name, folder) == 0) {
			fk.sel = &fk.folders[i];
			*uv_out = s->naming == SOURCE_NAMING_UID ? fk.sel->uidvalidity : 0;
			return 0;
		}
	}
	return err_set(err, EX_PROTOCOL, "fake: EXAMINE failed: no such mailbox");
}

/* The message item it stands for. */
static struct fake_msg *fake_msg_of(struct source *s, const struct source_item *it)
{
	size_t i;

	if (s->naming == SOURCE_NAMING_UIDL)
		return &fk.sel->msgs[it->uid - 1];
	for (i = 0; i < fk.sel->n; i++)
		if (fk.sel->msgs[i].uid == it->uid)
			return &fk.sel->msgs[i];
	return NULL;
}

static int fake_items(struct source *s, uint32_t after, struct source_item **out, size_t *n_out,
		      struct err *err)
{
	struct source_item *items = xcalloc(fk.sel->n + 1, sizeof(*items));
	size_t i, n = 0;

	(void)err;
	fk.after = after;
	for (i = 0; i < fk.sel->n; i++) {
		const struct fake_msg *m = &fk.sel->msgs[i];

		if (m->removed || (s->naming == SOURCE_NAMING_UID && m->uid <= after))
			continue;
		/* POP3 numbers the messages of the session (all of them are
		 * listed, none removed yet). */
		items[n].uid = s->naming == SOURCE_NAMING_UID ? m->uid : (uint32_t)(i + 1);
		items[n].size = strlen(m->data);
		if (s->naming == SOURCE_NAMING_UIDL)
			items[n].uidl = xstrdup(m->uidl);
		n++;
	}
	*out = items;
	*n_out = n;
	return 0;
}

static int fake_ids(struct source *s, struct source_item *items, size_t n, struct err *err)
{
	size_t i;

	(void)err;
	for (i = 0; i < n; i++) {
		const struct fake_msg *m = fake_msg_of(s, &items[i]);

		items[i].message_id = source_message_id(m->data, strlen(m->data));
	}
	return 0;
}

static int fake_fetch(struct source *s, const struct source_item *items, size_t n,
		      source_msg_fn *fn, void *ctx, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct fake_msg *m = fake_msg_of(s, &items[i]);
		struct source_msg msg;

		if (s->naming == SOURCE_NAMING_UID && m->uid == fk.withhold)
			continue;
		if (fk.break_after && fk.sent == fk.break_after)
			return err_set(err, EX_TEMPFAIL, "fake: connection lost");
		if (fk.peek_at && m->uid == fk.peek_at) {
			size_t len;

			CU_ASSERT_EQUAL(afile_read(fk.state_path, 0, &fk.peeked, &len, err), 0);
		}
		memset(&msg, 0, sizeof(msg));
		msg.item = &items[i];
		msg.data = m->data;
		msg.len = strlen(m->data);
		memcpy(msg.flags, m->flags, sizeof(msg.flags));
		fk.sent++;
		if (fn(&msg, ctx, err) < 0)
			return -1;
	}
	return 0;
}

static int fake_remove(struct source *s, const struct source_item *items, size_t n,
		       struct err *err)
{
	size_t i;

	(void)err;
	for (i = 0; i < n; i++) {
		struct fake_msg *m = fake_msg_of(s, &items[i]);

		if (s->naming == SOURCE_NAMING_UIDL)
			m->remove_pending = 1;
		else
			m->removed = 1;
	}
	return 0;
}

static int fake_close(struct source *s, struct err *err)
{
	size_t i, j;

	(void)s;
	(void)err;
	for (i = 0; i < fk.nfolders; i++)
		for (j = 0; j < fk.folders[i].n; j++)
			if (fk.folders[i].msgs[j].remove_pending)
				fk.folders[i].msgs[j].removed = 1;
	return 0;
}

static void fake_free(struct source *s)
{
	free(s);
}

static int fake_open_uidl(const struct source_conf *c, struct source **out, struct err *err)
{
	int rc = fake_open(c, out, err);

	(*out)->naming = SOURCE_NAMING_UIDL;
	return rc;
}

static const struct source_ops fake_imap = {
	.name = "fake-imap",
	.naming = SOURCE_NAMING_UID,
	.move_to = 1,
	.open = fake_open,
	.folders = fake_folders,
	.select = fake_select,
	.items = fake_items,
	.ids = fake_ids,
	.fetch = fake_fetch,
	.remove = fake_remove,
	.close = fake_close,
	.free = fake_free,
};

/* The same server as POP3 sees it (fetch_setup() fills it in). */
static struct source_ops fake_pop3;

/* ---- running fetch ---- */

/* The test's directory: config, mail/ and mail/.surel-fetch/ below. */
static const char *tdir;

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", tdir, rel);
}

/* One `spool fetch` of an account with the extra settings lines, through
 * ops; *stats_out says what it did.  Returns what the fetch returned. */
static int run_fetch(const struct source_ops *ops, const char *extra, struct fetch_stats *stats_out,
		     struct err *err)
{
	struct fetch_opts o = { NULL, 0 };
	struct fetch_session *fs = NULL;
	char *path = tpath("config"), *mail = tpath("mail");
	char *text = xasprintf("[account t]\naddress = t@fake.test\nmaildir = %s\n"
			       "fetch = imap://127.0.0.1:9\n%s",
			       mail, extra ? extra : "");
	struct cfg *cfg;
	int busy = 0, rc = -1;

	memset(stats_out, 0, sizeof(*stats_out));
	/* A Maildir root holds INBOX; other folders are Maildir++ ".NAME". */
	if (!maildir_is(mail))
		CU_ASSERT_EQUAL_FATAL(maildir_create(mail, err), 0);
	CU_ASSERT_EQUAL_FATAL(tutil_write(path, text, strlen(text)), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0600), 0);
	cfg = cfg_load(path, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL_FATAL(fetch_session_open(cfg_account_at(cfg, 0), &o, &fs, &busy, err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	fetch_session_set_source(fs, ops);
	if (fetch_session_connect(fs, err) == 0 && fetch_session_pull(fs, NULL, stats_out, err) == 0)
		rc = fetch_session_disconnect(fs, err);
	fetch_session_free(fs);
	cfg_free(cfg);
	free(text);
	free(mail);
	free(path);
	return rc;
}

/* Files in mail/FOLDER/SUB ("new", "cur", "tmp"); FOLDER "" is INBOX. */
static int count(const char *folder, const char *sub)
{
	char *p = *folder ? xasprintf("%s/mail/.%s/%s", tdir, folder, sub)
			  : xasprintf("%s/mail/%s", tdir, sub);
	int n = tutil_count_entries(p);

	free(p);
	return n < 0 ? 0 : n;
}

static int stored(const char *folder)
{
	return count(folder, "new") + count(folder, "cur");
}

/* The state file of server folder INBOX, or "" when there is none. */
static char *state(void)
{
	struct err err = ERR_INIT;
	char *p = tpath("mail/.surel-fetch/t.INBOX.state"), *data = NULL;
	size_t len;

	if (afile_read(p, 0, &data, &len, &err) < 0)
		data = xstrdup("");
	free(p);
	return data;
}

#define ASSERT_STATE(want)                                   \
	do {                                                 \
		char *st_ = state();                         \
		CU_ASSERT_STRING_EQUAL(st_, want);           \
		free(st_);                                   \
	} while (0)

/* The name of the one file in mail/SUB whose Subject is "message k". */
static char *file_of(const char *sub, unsigned k)
{
	char *dir = xasprintf("%s/mail/%s", tdir, sub), *want, *found = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	want = xasprintf("Subject: message %u\n", k);
	while (d && (de = readdir(d))) {
		struct err err = ERR_INIT;
		char *p, *data;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (afile_read(p, 0, &data, &len, &err) == 0 && strstr(data, want)) {
			CU_ASSERT_PTR_NULL(found);
			free(found);
			found = xstrdup(de->d_name);
		}
		free(data);
		free(p);
	}
	if (d)
		closedir(d);
	free(want);
	free(dir);
	return found;
}

/* A fetch through ops that succeeds, fetching fetched messages, after
 * which INBOX holds total and its state file is want_state. */
static void fetch_ok(const struct source_ops *ops, const char *extra, size_t fetched, int total,
		     const char *want_state)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;

	CU_ASSERT_EQUAL(run_fetch(ops, extra, &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, fetched);
	CU_ASSERT_EQUAL(stored(""), total);
	ASSERT_STATE(want_state);
}

/* ---- the tests ---- */

static void test_first_then_new(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *in = fake_folder("INBOX", 7);
	char *name, *p, *data;
	size_t len;

	fake_add(in, 1, 1, NULL);
	fake_add(in, 2, 2, "S");
	fake_add(in, 3, 3, "FS");
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, 3);
	CU_ASSERT_EQUAL(count("", "new"), 1);
	CU_ASSERT_EQUAL(count("", "cur"), 2);
	CU_ASSERT_EQUAL(count("", "tmp"), 0);
	ASSERT_STATE("version 1\nuidvalidity 7\nlast_uid 3\n");
	/* Flags as the server has them; line ends as Unix has them. */
	name = file_of("cur", 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_PTR_NOT_NULL(strstr(name, ":2,FS"));
	free(name);
	name = file_of("cur", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_PTR_NOT_NULL(strstr(name, ":2,S"));
	free(name);
	name = file_of("new", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_PTR_NOT_NULL(strstr(name, ",R=7.1"));
	p = xasprintf("%s/mail/new/%s", tdir, name);
	CU_ASSERT_EQUAL(afile_read(p, 0, &data, &len, &err), 0);
	CU_ASSERT_STRING_EQUAL(data, "Message-ID: <1@fake.test>\nSubject: message 1\n\nbody 1\n");
	free(data);
	free(p);
	free(name);
	/* keep = yes: the server keeps everything; next time only what is
	 * new is asked for. */
	CU_ASSERT_EQUAL(fake_live(in), 3);
	fake_add(in, 9, 4, NULL);
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(fk.after, 3);
	CU_ASSERT_EQUAL(st.messages, 1);
	CU_ASSERT_EQUAL(stored(""), 4);
	ASSERT_STATE("version 1\nuidvalidity 7\nlast_uid 9\n");
}

static void test_partial_batches(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;

	fake_inbox(5, 150);
	fk.break_after = 100;
	fk.state_path = tpath("mail/.surel-fetch/t.INBOX.state");
	fk.peek_at = FETCH_BATCH_MSGS + 1;
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_TEMPFAIL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "connection lost"));
	/* The first batch was committed before the next message came. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(fk.peeked);
	CU_ASSERT_STRING_EQUAL(fk.peeked, "version 1\nuidvalidity 5\nlast_uid 64\n");
	/* What arrived whole before the break is kept and recorded. */
	CU_ASSERT_EQUAL(st.messages, 100);
	CU_ASSERT_EQUAL(stored(""), 100);
	CU_ASSERT_EQUAL(count("", "tmp"), 0);
	ASSERT_STATE("version 1\nuidvalidity 5\nlast_uid 100\n");
	fk.break_after = 0;
	fk.peek_at = 0;
	fetch_ok(&fake_imap, NULL, 50, 150, "version 1\nuidvalidity 5\nlast_uid 150\n");
	free((char *)fk.state_path);
}

static void test_listed_not_sent(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *in = fake_inbox(7, 5);

	fk.withhold = 3;
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, "keep = no\n", &st, &err), 0);
	CU_ASSERT_EQUAL(stored(""), 4);
	/* last_uid stops below the message not sent: it is neither removed
	 * from the server nor skipped, and neither is anything above it. */
	ASSERT_STATE("version 1\nuidvalidity 7\nlast_uid 2\n");
	CU_ASSERT_EQUAL(st.removed, 2);
	CU_ASSERT_EQUAL(fake_live(in), 3);
	CU_ASSERT_FALSE(in->msgs[2].removed);
	/* Next time it comes; 4 and 5 are found by their tags, not fetched
	 * twice, and now everything goes from the server. */
	fk.withhold = 0;
	fetch_ok(&fake_imap, "keep = no\n", 1, 5, "version 1\nuidvalidity 7\nlast_uid 5\n");
	CU_ASSERT_EQUAL(fake_live(in), 0);
}

static void test_delete_after_fetch(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *in = fake_folder("INBOX", 7);
	unsigned i;

	for (i = 1; i <= 4; i++)
		fake_add(in, i * 10, i, NULL);
	/* A break: nothing is removed, not even what was stored. */
	fk.break_after = 2;
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, "keep = no\n", &st, &err), -1);
	CU_ASSERT_EQUAL(stored(""), 2);
	CU_ASSERT_EQUAL(fake_live(in), 4);
	fk.break_after = 0;
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, "keep = no\n", &st, &err), 0);
	/* keep = no lists from the start, so what was stored is removed
	 * too. */
	CU_ASSERT_EQUAL(fk.after, 0);
	CU_ASSERT_EQUAL(st.messages, 2);
	CU_ASSERT_EQUAL(st.removed, 4);
	CU_ASSERT_EQUAL(stored(""), 4);
	CU_ASSERT_EQUAL(fake_live(in), 0);
	ASSERT_STATE("version 1\nuidvalidity 7\nlast_uid 40\n");
}

static void test_uidvalidity_change(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *in = fake_inbox(7, 3);

	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(stored(""), 3);
	/* The server renumbers: 1, 2, a new message 4, then 3.  4 is listed
	 * and not sent this time. */
	fake_reset();
	in = fake_folder("INBOX", 8);
	fake_add(in, 10, 1, NULL);
	fake_add(in, 11, 2, NULL);
	fake_add(in, 12, 4, NULL);
	fake_add(in, 13, 3, NULL);
	fk.withhold = 12;
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, 0);
	CU_ASSERT_EQUAL(stored(""), 3);
	/* The pass over the new numbering has not ended: compare stays. */
	ASSERT_STATE("version 1\nuidvalidity 8\nlast_uid 11\ncompare 1\n");
	/* Above last_uid, 3 (as 13) is still found by Message-ID and size,
	 * not fetched twice; 4 comes, and the pass ends. */
	fk.withhold = 0;
	fetch_ok(&fake_imap, NULL, 1, 4, "version 1\nuidvalidity 8\nlast_uid 13\n");
}

static void test_state_lost(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	char *p = tpath("mail/.surel-fetch/t.INBOX.state");

	fake_inbox(7, 2);
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), 0);
	/* A crash before the state write looks like this: the mail is
	 * there, found by its tags. */
	CU_ASSERT_EQUAL(unlink(p), 0);
	fetch_ok(&fake_imap, NULL, 0, 2, "version 1\nuidvalidity 7\nlast_uid 2\n");
	free(p);
}

static void test_folders(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *f;
	struct stat sb;
	char *p;

	fake_add(fake_folder("INBOX", 7), 1, 1, NULL);
	f = fake_folder("Lists", 3);
	fake_add(f, 5, 2, NULL);
	fake_add(f, 6, 3, NULL);
	fake_folder("Other", 4);
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, "fetch_folders = INBOX, L*\n", &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, 3);
	CU_ASSERT_EQUAL(stored(""), 1);
	CU_ASSERT_EQUAL(stored("Lists"), 2);
	p = tpath("mail/.Other");
	CU_ASSERT_NOT_EQUAL(stat(p, &sb), 0);
	free(p);
	/* A name the server refuses fails, and no local folder is made. */
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, "fetch_folders = INBOX, Nope\n", &st, &err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no such mailbox"));
	p = tpath("mail/.Nope");
	CU_ASSERT_NOT_EQUAL(stat(p, &sb), 0);
	free(p);
}

static void test_uidl(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *in = fake_folder("INBOX", 0);
	char *name;

	fake_add(in, 0, 1, NULL);
	fake_add(in, 0, 2, NULL);
	fake_add(in, 0, 3, NULL);
	CU_ASSERT_EQUAL(run_fetch(&fake_pop3, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, 3);
	CU_ASSERT_EQUAL(count("", "new"), 3);
	ASSERT_STATE("version 1\nuidl U1\nuidl U2\nuidl U3\n");
	name = file_of("new", 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(name);
	CU_ASSERT_PTR_NOT_NULL(strstr(name, ",R=p"));
	free(name);
	/* A UIDL the server no longer lists is forgotten; nothing is
	 * fetched twice. */
	in->msgs[0].removed = 1;
	fake_add(in, 0, 4, NULL);
	fetch_ok(&fake_pop3, NULL, 1, 4, "version 1\nuidl U2\nuidl U3\nuidl U4\n");
	/* keep = no: removed at close, and only then forgotten. */
	CU_ASSERT_EQUAL(run_fetch(&fake_pop3, "keep = no\n", &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, 0);
	CU_ASSERT_EQUAL(st.removed, 3);
	CU_ASSERT_EQUAL(fake_live(in), 0);
	ASSERT_STATE("version 1\n");
}

/* A delivery report fetched like any message updates the record of the
 * message it is about (lib/track.h) and is stored; the journal says it
 * arrived. */
static void test_report_matched(void)
{
	struct err err = ERR_INIT;
	struct fetch_stats st;
	struct fake_folder *in = fake_folder("INBOX", 7);
	struct track_rcpt r = { "bob@example.org", TRACK_ACCEPTED, "250 2.0.0 Ok: queued as 4Xk9" };
	struct track_msg m = { "Q7.host", NULL, "orig7@example.test", "t", "t@fake.test", 1700000000,
			       &r, 1 };
	char *p, *journal, *old_track = xstrdup(getenv("SUREL_TRACK") ? getenv("SUREL_TRACK") : "");
	char *old_events = xstrdup(getenv("SUREL_EVENTS") ? getenv("SUREL_EVENTS") : "");
	size_t len;
	json_t *rec;

	p = tpath("track");
	setenv("SUREL_TRACK", p, 1);
	free(p);
	p = tpath("events.jsonl");
	setenv("SUREL_EVENTS", p, 1);
	CU_ASSERT_FATAL(track_note(&m, "attempt", NULL, 1700000060, &err) == 0);
	fake_add(in, 1, 1, NULL);
	free(in->msgs[0].data);
	in->msgs[0].data = xstrdup(
		"From: MAILER-DAEMON@mx.example.org\r\nMessage-ID: <dsn7@mx.example.org>\r\n"
		"Subject: Undelivered Mail\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
		"Reporting-MTA: dns; mx.example.org\r\nOriginal-Envelope-Id: Q7.host\r\n\r\n"
		"Final-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
		"Diagnostic-Code: smtp; 550 5.1.1 gone\r\n\r\n--b--\r\n");
	CU_ASSERT_EQUAL(run_fetch(&fake_imap, NULL, &st, &err), 0);
	CU_ASSERT_EQUAL(st.messages, 1);
	rec = track_load("Q7.host", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL(track_record_state(rec), TRACK_BOUNCED);
	json_decref(rec);
	CU_ASSERT_FATAL(afile_read(p, 0, &journal, &len, &err) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(journal, "\"type\":\"arrived\",\"account\":\"t\",\"folder\":\"INBOX\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(journal, "\"type\":\"bounced\""));
	free(journal);
	free(p);
	/* The next suites write where they did before. */
	setenv("SUREL_TRACK", old_track, 1);
	setenv("SUREL_EVENTS", old_events, 1);
	free(old_track);
	free(old_events);
}

static void fetch_setup(void)
{
	fake_pop3 = fake_imap;
	fake_pop3.name = "fake-pop3";
	fake_pop3.naming = SOURCE_NAMING_UIDL;
	fake_pop3.move_to = 0;
	fake_pop3.open = fake_open_uidl;
	fake_reset();
	tdir = tutil_tmpdir();
}

static void fetch_teardown(void)
{
	fake_reset();
	tutil_rmtree();
}

void suite_fetch(void)
{
	CU_pSuite s = CU_add_suite_with_setup_and_teardown("fetch", NULL, NULL, fetch_setup,
							   fetch_teardown);

	CU_add_test(s, "first fetch, then only what is new", test_first_then_new);
	CU_add_test(s, "batches committed as they fill, kept on a break", test_partial_batches);
	CU_add_test(s, "a message listed but not sent", test_listed_not_sent);
	CU_add_test(s, "keep = no removes only what is stored", test_delete_after_fetch);
	CU_add_test(s, "UIDVALIDITY change compares until a pass ends", test_uidvalidity_change);
	CU_add_test(s, "a lost state file fetches nothing twice", test_state_lost);
	CU_add_test(s, "folders by name and glob; a refused name", test_folders);
	CU_add_test(s, "POP3-like sources: UIDLs", test_uidl);
	CU_add_test(s, "a delivery report fetched updates its record", test_report_matched);
}
