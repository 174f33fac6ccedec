#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "err.h"
#include "mailbox.h"
#include "maildir.h"
#include "msg.h"
#include "suites.h"
#include "summary.h"
#include "tutil.h"
#include "xalloc.h"

/* The summary of a header block; the msg and scratch stay until done(). */
struct one {
	struct msg *m;
	struct buf scratch;
	struct summary s;
};

static void read_head(struct one *o, const char *head)
{
	o->m = msg_parse(head, strlen(head), MSG_HEADERS_ONLY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o->m);
	buf_init(&o->scratch);
	summary_read(o->m, &o->scratch, &o->s);
}

static void done(struct one *o)
{
	msg_free(o->m);
	buf_release(&o->scratch);
}

static int same(const char *got, const char *want)
{
	if (!got || !want ? got == want : strcmp(got, want) == 0)
		return 1;
	fprintf(stderr, "\ngot [%s] want [%s]\n", got ? got : "(null)", want ? want : "(null)");
	return 0;
}

/* Whether a header block with only the field "name: value" summarises
 * to want in References (refs) or In-Reply-To, and the value read alone
 * (summary_id_list, summary_first_id) gives want too. */
static int ids_are(const char *name, int refs, const char *value, const char *want)
{
	char *head = xasprintf("%s: %s\n\n", name, value);
	char *alone = refs ? summary_id_list(value) : summary_first_id(value);
	struct one o;
	int ok;

	read_head(&o, head);
	ok = same(refs ? o.s.references : o.s.in_reply_to, want);
	ok = same(alone, want) && ok;
	done(&o);
	free(alone);
	free(head);
	return ok;
}

#define refs_are(value, want) ids_are("References", 1, (value), (want))
#define irt_is(value, want) ids_are("In-Reply-To", 0, (value), (want))

static void test_fields(void)
{
	struct one o;

	read_head(&o, "From: \"Budi S.\" <budi@example.test>, other@example.test\n"
		      "To: Carol <carol@example.test>, \"Dan\" <dan@example.test>\n"
		      "Subject: =?UTF-8?Q?caf=C3=A9?= talk\n"
		      "Date: Tue, 03 Jan 2006 04:05:06 +0000\n"
		      "Message-ID: <m2@example.test>\n\n");
	CU_ASSERT(same(o.s.from, "Budi S."));
	CU_ASSERT(same(o.s.from_addr, "budi@example.test"));
	CU_ASSERT(same(o.s.to, "Carol"));
	CU_ASSERT(same(o.s.subject, "caf\xc3\xa9 talk"));
	CU_ASSERT(same(o.s.message_id, "m2@example.test"));
	CU_ASSERT_EQUAL(o.s.date, 1136261106);
	CU_ASSERT_PTR_NULL(o.s.in_reply_to);
	CU_ASSERT_PTR_NULL(o.s.references);
	CU_ASSERT(same(o.s.to_all, "carol@example.test\tCarol\ndan@example.test\tDan"));
	CU_ASSERT_PTR_NULL(o.s.cc_all);
	CU_ASSERT_PTR_NULL(o.s.list);
	done(&o);

	/* Every recipient, names with control characters made blanks; the
	 * list from List-Post, else List-Id. */
	read_head(&o, "To: x@corp.test\nCc: =?UTF-8?Q?Tab=09Name?= <t@x>, u@x\n"
		      "List-Id: Dev talk <dev.lists.test>\n"
		      "List-Post: <http://lists.test/post>, <mailto:dev@lists.test?subject=hi>\n\n");
	CU_ASSERT(same(o.s.to_all, "x@corp.test"));
	CU_ASSERT(same(o.s.cc_all, "t@x\tTab Name\nu@x"));
	CU_ASSERT(same(o.s.list, "dev@lists.test"));
	done(&o);
	read_head(&o, "List-Id: Dev talk <dev.lists.test>\nList-Post: NO\n\n");
	CU_ASSERT(same(o.s.list, "dev.lists.test"));
	done(&o);
	read_head(&o, "List-Id: bare.lists.test \n\n");
	CU_ASSERT(same(o.s.list, "bare.lists.test"));
	done(&o);

	/* Nothing at all: empty strings, no ids, no date. */
	read_head(&o, "X-Other: y\n\n");
	CU_ASSERT(same(o.s.from, ""));
	CU_ASSERT(same(o.s.from_addr, ""));
	CU_ASSERT(same(o.s.to, ""));
	CU_ASSERT(same(o.s.subject, ""));
	CU_ASSERT_PTR_NULL(o.s.message_id);
	CU_ASSERT_EQUAL(o.s.date, -1);
	done(&o);

	/* Without a display name the address stands in. */
	read_head(&o, "From: budi@example.test\nTo: <dan@example.test>\nDate: never\n\n");
	CU_ASSERT(same(o.s.from, "budi@example.test"));
	CU_ASSERT(same(o.s.to, "dan@example.test"));
	CU_ASSERT_EQUAL(o.s.date, -1);
	done(&o);
}

static void test_references(void)
{
	/* Several ids, folded over lines, in order. */
	CU_ASSERT(refs_are("<a@x> <b@x>\n\t<c@x>", "a@x b@x c@x"));
	CU_ASSERT(refs_are("<a@x><b@x>", "a@x b@x"));
	/* A folded id loses its blanks. */
	CU_ASSERT(refs_are("<long.id@\n example.test> <b@x>", "long.id@example.test b@x"));
	/* Comments and quoted strings hide what they hold. */
	CU_ASSERT(refs_are("(see <fake@x>) <a@x> (and (nested <f2@x>) \\) <f3@x>) <b@x>",
			   "a@x b@x"));
	CU_ASSERT(refs_are("\"quoted <fake@x> \\\" <f2@x>\" <a@x>", "a@x"));
	/* Empty, doubled and unclosed brackets. */
	CU_ASSERT(refs_are("<> <a@x> < >", "a@x"));
	CU_ASSERT(refs_are("<<a@x>> <b@x>", "a@x b@x"));
	CU_ASSERT(refs_are("<a@x> <b@x", "a@x"));
	CU_ASSERT(refs_are("<b@x", NULL));
	/* No brackets at all: the words with an '@'. */
	CU_ASSERT(refs_are("a@x b@x", "a@x b@x"));
	CU_ASSERT(refs_are("a@x,b@x, (c@x) junk", "a@x b@x"));
	CU_ASSERT(refs_are("no ids here", NULL));
	CU_ASSERT(refs_are("", NULL));
	/* Each id once, where it last stands: the parent stays last. */
	CU_ASSERT(refs_are("<a@x> <b@x> <a@x> <b@x> <c@x>", "a@x b@x c@x"));
	CU_ASSERT(refs_are("<a@x> <b@x> <a@x>", "b@x a@x"));
	CU_ASSERT(refs_are("<c@x> <c@x>", "c@x"));
}

/* A chain longer than SUMMARY_REFS_MAX keeps its root and the newest. */
static void test_long_chain(void)
{
	struct buf v = BUF_INIT, want = BUF_INIT;
	size_t i, n = SUMMARY_REFS_MAX + 50;

	for (i = 0; i < n; i++)
		buf_printf(&v, " <r%zu@x>", i);
	buf_puts(&want, "r0@x");
	for (i = n - (SUMMARY_REFS_MAX - 1); i < n; i++)
		buf_printf(&want, " r%zu@x", i);
	CU_ASSERT(refs_are(v.data, want.data));

	/* Exactly the maximum is kept whole. */
	buf_reset(&v);
	buf_reset(&want);
	for (i = 0; i < SUMMARY_REFS_MAX; i++) {
		buf_printf(&v, "<r%zu@x>", i);
		buf_printf(&want, "%sr%zu@x", i ? " " : "", i);
	}
	CU_ASSERT(refs_are(v.data, want.data));

	/* Thousands of one id leave one. */
	buf_reset(&v);
	for (i = 0; i < 20000; i++)
		buf_puts(&v, "<d@x>");
	CU_ASSERT(refs_are(v.data, "d@x"));
	buf_release(&v);
	buf_release(&want);
}

static void test_in_reply_to(void)
{
	CU_ASSERT(irt_is("<a@x>", "a@x"));
	/* The first id only. */
	CU_ASSERT(irt_is("<a@x> <b@x>", "a@x"));
	/* Old mailers' prose around it, an address in a comment or quotes. */
	CU_ASSERT(irt_is("<a@x> (Budi's message of \"Mon, 2 Jan 2006\")", "a@x"));
	CU_ASSERT(irt_is("(from Budi <budi@x>) <a@x>", "a@x"));
	CU_ASSERT(irt_is("\"Budi <budi@x>\"'s message of Mon, 2 Jan <a@x>", "a@x"));
	CU_ASSERT(irt_is("Your message of Mon, 2 Jan 2006 <a@\n x>", "a@x"));
	/* Bare, or no id at all. */
	CU_ASSERT(irt_is("a@x", "a@x"));
	CU_ASSERT(irt_is("your message of Monday", NULL));
	CU_ASSERT(irt_is("<>", NULL));
	CU_ASSERT_PTR_NULL(summary_first_id(NULL));
	CU_ASSERT_PTR_NULL(summary_id_list(NULL));
}

/* In-Reply-To alone (no References) is kept for the threader, which takes
 * it as the parent; both together are read independently. */
static void test_in_reply_to_without_references(void)
{
	struct one o;

	read_head(&o, "Message-ID: <c@x>\nIn-Reply-To: <b@x>\n\n");
	CU_ASSERT(same(o.s.in_reply_to, "b@x"));
	CU_ASSERT_PTR_NULL(o.s.references);
	done(&o);
	read_head(&o, "In-Reply-To: <b@x>\nReferences: <a@x>\n\n");
	CU_ASSERT(same(o.s.in_reply_to, "b@x"));
	CU_ASSERT(same(o.s.references, "a@x"));
	done(&o);
}

/* The scratch buffer is reused: strings of the second summary are right
 * even when the buffer has to grow under the first one's. */
static void test_scratch_reuse(void)
{
	struct buf scratch = BUF_INIT, big = BUF_INIT;
	struct summary s;
	struct msg *m;
	size_t i;

	buf_puts(&big, "From: A <a@x>\nReferences:");
	for (i = 0; i < 100; i++)
		buf_printf(&big, " <%zu.a.rather.long.id@example.test>", i);
	buf_puts(&big, "\nIn-Reply-To: <99.a.rather.long.id@example.test>\n\n");
	m = msg_parse("From: B <b@x>\n\n", 15, MSG_HEADERS_ONLY);
	summary_read(m, &scratch, &s);
	CU_ASSERT(same(s.from, "B"));
	msg_free(m);
	m = msg_parse(big.data, big.len, MSG_HEADERS_ONLY);
	summary_read(m, &scratch, &s);
	CU_ASSERT(same(s.from, "A"));
	CU_ASSERT(same(s.from_addr, "a@x"));
	CU_ASSERT(same(s.in_reply_to, "99.a.rather.long.id@example.test"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s.references);
	CU_ASSERT(strncmp(s.references, "0.a.rather.long.id@example.test 1.a.", 36) == 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.references, " 99.a.rather.long.id@example.test"));
	msg_free(m);
	buf_release(&scratch);
	buf_release(&big);
}

/* The same messages as a Maildir and as an mbox summarise alike, so a
 * thread threads the same in either. */
static void test_list_post(void)
{
	struct buf b = BUF_INIT;

	CU_ASSERT_EQUAL(summary_list_post("<mailto:l@x.test>", &b), 1);
	CU_ASSERT(same(b.data, "l@x.test"));
	buf_reset(&b);
	CU_ASSERT_EQUAL(summary_list_post(" < MAILTO:l@x.test?Subject=a> (comment)", &b), 1);
	CU_ASSERT(same(b.data, "l@x.test"));
	buf_reset(&b);
	CU_ASSERT_EQUAL(summary_list_post("<https://x.test/post>", &b), 0);
	CU_ASSERT_EQUAL(summary_list_post("NO (posting not allowed)", &b), -1);
	CU_ASSERT_EQUAL(summary_list_post("no", &b), -1);
	CU_ASSERT_EQUAL(summary_list_post("<mailto:>", &b), 0);
	CU_ASSERT_EQUAL(summary_list_post(NULL, &b), 0);
	CU_ASSERT_EQUAL(b.len, 0);
	buf_release(&b);
}

static void test_maildir_and_mbox_agree(void)
{
	static const char *const msgs[] = {
		"From: Budi <budi@x>\nTo: c@x\nCc: Dev <dev@l.x>\nList-Post: <mailto:dev@l.x>\n"
		"Subject: root\nMessage-ID: <root@x>\n"
		"Date: Mon, 02 Jan 2006 10:00:00 +0000\n\nbody\n",
		"From: c@x\nSubject: Re: root\nMessage-ID: <r1@x>\nIn-Reply-To: <root@x> (Budi's)\n"
		"References: (x <no@x>) <root@\n x>\nDate: Mon, 02 Jan 2006 11:00:00 +0000\n\nbody\n",
		"From: d@x\nSubject: Re: root\nMessage-ID: <r2@x>\nReferences: root@x r1@x\n"
		"Date: Mon, 02 Jan 2006 12:00:00 +0000\n\nbody\n",
		"From: e@x\nSubject: Re: root\nMessage-ID: <r3@x>\n"
		"References: <root@x> <r1@x> <root@x> <r2@x>\nDate: Mon, 02 Jan 2006 13:00:00 +0000\n\nb\n",
	};
	struct err err = ERR_INIT;
	struct buf mbox = BUF_INIT;
	struct mailbox *md, *mb;
	const char *base = tutil_tmpdir(), *home = getenv("XDG_CACHE_HOME");
	char *saved = home ? xstrdup(home) : NULL, *dir = xasprintf("%s/md", base), *file = xasprintf("%s/mbox", base);
	size_t i;

	CU_ASSERT_EQUAL_FATAL(maildir_create(dir, &err), 0);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		CU_ASSERT_EQUAL(maildir_deliver(dir, msgs[i], strlen(msgs[i]), NULL, NULL, &err), 0);
		buf_printf(&mbox, "%sFrom x Mon Jan  2 10:00:00 2006\n%s", i ? "\n" : "", msgs[i]);
	}
	CU_ASSERT_EQUAL_FATAL(tutil_write(file, mbox.data, mbox.len), 0);
	setenv("XDG_CACHE_HOME", base, 1);
	md = mailbox_open(dir, &err);
	mb = mailbox_open(file, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mb);
	CU_ASSERT_FALSE(mailbox_readonly(md));
	CU_ASSERT_TRUE(mailbox_readonly(mb));
	CU_ASSERT_EQUAL_FATAL(mailbox_count(md), 4);
	CU_ASSERT_EQUAL_FATAL(mailbox_count(mb), 4);
	for (i = 0; i < 4; i++) {
		const struct index_msg *x = mailbox_at(md, i), *y = mailbox_at(mb, i);

		CU_ASSERT(same(x->message_id, y->message_id));
		CU_ASSERT(same(x->in_reply_to, y->in_reply_to));
		CU_ASSERT(same(x->references, y->references));
		CU_ASSERT(same(x->from, y->from));
		CU_ASSERT(same(x->subject, y->subject));
		CU_ASSERT(same(x->to_all, y->to_all));
		CU_ASSERT(same(x->cc_all, y->cc_all));
		CU_ASSERT(same(x->list, y->list));
		CU_ASSERT_EQUAL(x->date, y->date);
	}
	CU_ASSERT(same(mailbox_at(md, 0)->cc_all, "dev@l.x\tDev"));
	CU_ASSERT(same(mailbox_at(md, 0)->list, "dev@l.x"));
	CU_ASSERT(same(mailbox_at(mb, 1)->in_reply_to, "root@x"));
	CU_ASSERT(same(mailbox_at(mb, 1)->references, "root@x"));
	CU_ASSERT(same(mailbox_at(mb, 2)->references, "root@x r1@x"));
	CU_ASSERT(same(mailbox_at(mb, 3)->references, "r1@x root@x r2@x"));
	mailbox_free(md);
	mailbox_free(mb);
	if (saved)
		setenv("XDG_CACHE_HOME", saved, 1);
	else
		unsetenv("XDG_CACHE_HOME");
	free(saved);
	buf_release(&mbox);
	free(dir);
	free(file);
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_summary(void)
{
	CU_pSuite s = CU_add_suite("summary", NULL, cleanup);

	CU_add_test(s, "fields", test_fields);
	CU_add_test(s, "List-Post", test_list_post);
	CU_add_test(s, "References: lists, comments, brackets, duplicates", test_references);
	CU_add_test(s, "References: a long chain keeps root and newest", test_long_chain);
	CU_add_test(s, "In-Reply-To: the first id", test_in_reply_to);
	CU_add_test(s, "In-Reply-To without References", test_in_reply_to_without_references);
	CU_add_test(s, "scratch buffer reused", test_scratch_reuse);
	CU_add_test(s, "Maildir and mbox summarise alike", test_maildir_and_mbox_agree);
}
