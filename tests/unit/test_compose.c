#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "afile.h"
#include "buf.h"
#include "cfg.h"
#include "compose.h"
#include "maildir.h"
#include "msg.h"
#include "queue.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* compose_set_draft on a string literal. */
#define SET_DRAFT(c, lit, err) compose_set_draft((c), (lit), sizeof(lit) - 1, (err))

/* The configuration every test starts from, written to a fresh temp dir:
 * two accounts, a signature, Maildirs under the temp dir. */
static struct cfg *cfg;

static struct compose *setup(const char *general_extra)
{
	struct err err = ERR_INIT;
	const char *dir = tutil_tmpdir();
	char *path = xasprintf("%s/config", dir), *sig = xasprintf("%s/sig", dir);
	char *text = xasprintf("[general]\n"
			       "default_account = work\n%s\n"
			       "[account home]\n"
			       "address = ana@home.test\n"
			       "maildir = %s/Mail/home\n"
			       "\n"
			       "[account work]\n"
			       "name = Ana Putri\n"
			       "address = ana@example.co.id\n"
			       "maildir = %s/Mail/work\n"
			       "signature = %s\n",
			       general_extra ? general_extra : "", dir, dir, sig);
	struct compose *c;

	cfg_free(cfg);
	CU_ASSERT_EQUAL(tutil_write(path, text, strlen(text)), 0);
	CU_ASSERT_EQUAL(tutil_write(sig, "Ana\n+62 21 555\n", 15), 0);
	cfg = cfg_load(path, &err);
	if (!cfg)
		fprintf(stderr, "\ncfg: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	c = compose_new(cfg, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	free(path);
	free(sig);
	free(text);
	return c;
}

static const char orig_plain[] =
	"From: Bob Builder <bob@example.test>\n"
	"To: Ana Putri <ana@example.co.id>, dave@example.test\n"
	"Cc: carol@example.test, ANA@HOME.TEST, Bob Builder <bob@example.test>\n"
	"Date: Mon, 3 Mar 2025 10:00:00 +0700\n"
	"Subject: hello\n"
	"Message-ID: <m1@example.test>\n"
	"\n"
	"first line\n"
	"> quoted before\n"
	"\n"
	"last line\n";

/* Build the message and parse it; both freed with done(). */
struct built {
	struct buf raw;
	struct msg *m;
};

static void build(struct compose *c, unsigned flags, struct built *b)
{
	struct err err = ERR_INIT;

	buf_init(&b->raw);
	CU_ASSERT_EQUAL(compose_build(c, 1700000000, flags, &b->raw, &err), 0);
	if (err.code)
		fprintf(stderr, "\nbuild: %s\n", err.msg);
	b->m = msg_parse(b->raw.data, b->raw.len, 0);
}

static void done(struct built *b)
{
	msg_free(b->m);
	buf_release(&b->raw);
}

/* The addresses of a header of m as "a, b". */
static char *addrs(const struct msg *m, const char *name)
{
	struct addr_mbox *a = NULL;
	struct buf out = BUF_INIT;
	size_t n = msg_addrs(m, name, &a), i;

	for (i = 0; i < n; i++)
		buf_printf(&out, "%s%s", i ? ", " : "", a[i].addr);
	addr_list_free(a, n);
	return buf_detach(&out, NULL);
}

static void check_addrs(const struct msg *m, const char *name, const char *want)
{
	char *got = addrs(m, name);

	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want))
		fprintf(stderr, "\n%s: got '%s', want '%s'\n", name, got, want);
	free(got);
}

static void set(struct compose *c, const char *draft)
{
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(compose_set_draft(c, draft, strlen(draft), &err), 0);
	if (err.code)
		fprintf(stderr, "\nset: %s\n", err.msg);
}

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* --- replies ------------------------------------------------------------ */

static void test_reply_recipients(void)
{
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct built b;

	CU_ASSERT_EQUAL(compose_start_reply(c, orig_plain, strlen(orig_plain), 0, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "Bob Builder <bob@example.test>");
	CU_ASSERT_PTR_NULL(compose_field(c, "Cc"));
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Putri <ana@example.co.id>");
	build(c, 0, &b);
	check_addrs(b.m, "To", "bob@example.test");
	check_addrs(b.m, "From", "ana@example.co.id");
	done(&b);

	/* Reply-all: the other To and the Cc, without the user's addresses
	 * (any account, any case) and without duplicates. */
	CU_ASSERT_EQUAL(compose_start_reply(c, orig_plain, strlen(orig_plain), COMPOSE_REPLY_ALL,
					    &err), 0);
	build(c, 0, &b);
	check_addrs(b.m, "To", "bob@example.test, dave@example.test");
	check_addrs(b.m, "Cc", "carol@example.test");
	done(&b);
	compose_free(c);
}

static void test_reply_to_and_self(void)
{
	static const char with_rt[] =
		"From: Bob <bob@example.test>\nReply-To: list@example.test\n"
		"To: ana@example.co.id\nSubject: x\n\nhi\n";
	static const char from_me[] =
		"From: Ana <ana@home.test>\nTo: Zed <zed@example.test>\nCc: yan@example.test\n"
		"Subject: mine\n\nhi\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct built b;

	CU_ASSERT_EQUAL(compose_start_reply(c, with_rt, strlen(with_rt), 0, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "list@example.test");
	CU_ASSERT_EQUAL(compose_start_reply(c, from_me, strlen(from_me), 0, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "Zed <zed@example.test>");
	CU_ASSERT_EQUAL(compose_start_reply(c, from_me, strlen(from_me), COMPOSE_REPLY_ALL, &err),
			0);
	build(c, 0, &b);
	check_addrs(b.m, "To", "zed@example.test");
	check_addrs(b.m, "Cc", "yan@example.test");
	done(&b);
	compose_free(c);
}

/* mutt's reply_to question and Mail-Followup-To; L to the list. */
static void test_reply_lists(void)
{
	static const char rewritten[] =
		"From: Bob <bob@example.test>\nReply-To: Dev list <dev@lists.test>\n"
		"To: dev@lists.test\nCc: carol@example.test\nList-Post: <mailto:dev@lists.test>\n"
		"Subject: x\n\nhi\n";
	static const char mft[] =
		"From: Bob <bob@example.test>\nTo: dev@lists.test\nCc: ana@example.co.id\n"
		"Mail-Followup-To: dev@lists.test, ana@example.co.id, zed@example.test\n"
		"List-Post: <mailto:post@lists.test>\nSubject: y\n\nhi\n";
	static const char same_rt[] =
		"From: Bob <bob@example.test>\nReply-To: BOB@example.test\nSubject: z\n\nhi\n";
	static const char no_post[] =
		"From: Bob <bob@example.test>\nTo: known@lists.test, x@example.test\nSubject: z\n\nhi\n";
	static const char post_no[] =
		"From: Bob <bob@example.test>\nList-Post: NO\nSubject: z\n\nhi\n";
	struct compose *c = setup("lists = known@lists.test\nsubscribe = *@sub.test");
	struct err err = ERR_INIT;
	struct built b;
	char *rt;

	rt = compose_reply_to_differs(rewritten, strlen(rewritten));
	CU_ASSERT_STRING_EQUAL(rt, "Dev list <dev@lists.test>");
	free(rt);
	CU_ASSERT_PTR_NULL(compose_reply_to_differs(same_rt, strlen(same_rt)));
	CU_ASSERT_PTR_NULL(compose_reply_to_differs(mft, strlen(mft)));
	/* "no" at the question: the sender after all */
	CU_ASSERT_EQUAL(compose_start_reply(c, rewritten, strlen(rewritten), COMPOSE_REPLY_FROM,
					    &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "Bob <bob@example.test>");
	CU_ASSERT_EQUAL(compose_start_reply(c, rewritten, strlen(rewritten),
					    COMPOSE_REPLY_FROM | COMPOSE_REPLY_ALL, &err), 0);
	build(c, 0, &b);
	check_addrs(b.m, "To", "bob@example.test, dev@lists.test");
	check_addrs(b.m, "Cc", "carol@example.test");
	done(&b);
	/* L: List-Post */
	CU_ASSERT_EQUAL(compose_start_reply(c, rewritten, strlen(rewritten), COMPOSE_REPLY_LIST,
					    &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "dev@lists.test");
	CU_ASSERT_PTR_NULL(compose_field(c, "Cc"));
	/* Mail-Followup-To wins for g and L, without the user; not for r */
	CU_ASSERT_EQUAL(compose_start_reply(c, mft, strlen(mft), COMPOSE_REPLY_LIST, &err), 0);
	build(c, 0, &b);
	check_addrs(b.m, "To", "dev@lists.test, zed@example.test");
	check_addrs(b.m, "Cc", "");
	done(&b);
	CU_ASSERT_EQUAL(compose_start_reply(c, mft, strlen(mft), COMPOSE_REPLY_ALL, &err), 0);
	build(c, 0, &b);
	check_addrs(b.m, "To", "dev@lists.test, zed@example.test");
	check_addrs(b.m, "Cc", "");
	done(&b);
	CU_ASSERT_EQUAL(compose_start_reply(c, mft, strlen(mft), 0, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "Bob <bob@example.test>");
	/* without List-Post, the known lists among the recipients */
	CU_ASSERT_EQUAL(compose_start_reply(c, no_post, strlen(no_post), COMPOSE_REPLY_LIST, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "known@lists.test");
	/* no list at all, or one that takes no posts: an error, the draft kept */
	CU_ASSERT_EQUAL(compose_start_reply(c, same_rt, strlen(same_rt), COMPOSE_REPLY_LIST, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "known@lists.test");
	err_clear(&err);
	CU_ASSERT_EQUAL(compose_start_reply(c, post_no, strlen(post_no), COMPOSE_REPLY_LIST, &err), -1);
	CU_ASSERT(strstr(err.msg, "List-Post: NO") != NULL);
	CU_ASSERT_EQUAL(cfg_list_kind(cfg, "known@lists.test"), 1);
	CU_ASSERT_EQUAL(cfg_list_kind(cfg, "KNOWN@lists.test"), 1);
	CU_ASSERT_EQUAL(cfg_list_kind(cfg, "any@sub.test"), 2);
	CU_ASSERT_EQUAL(cfg_list_kind(cfg, "x@example.test"), 0);
	CU_ASSERT_EQUAL(cfg_list_kind(NULL, "x@example.test"), 0);
	compose_free(c);
}

static void test_reply_subject(void)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "hello", "Re: hello" },
		{ "Re: hello", "Re: hello" },
		{ "RE: Re: hello", "Re: hello" },
		{ "Aw: hallo", "Re: hallo" },
		{ "Re[2]: hello", "Re: hello" },
		{ "re : hello", "Re: hello" },
		{ "SV: hej", "Re: hej" },
		{ "Fwd: hello", "Re: Fwd: hello" },
		{ "Reply needed", "Re: Reply needed" },
		{ "=?UTF-8?Q?Re=3A_caf=C3=A9?=", "Re: caf\xc3\xa9" },
		{ "", "Re:" },
		{ NULL, "Re:" },
	};
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *m = v[i].in ? xasprintf("From: b@x.test\nSubject: %s\n\nx\n", v[i].in)
				  : xstrdup("From: b@x.test\n\nx\n");

		CU_ASSERT_EQUAL(compose_start_reply(c, m, strlen(m), 0, &err), 0);
		CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), v[i].want);
		free(m);
	}
	compose_free(c);
}

static void test_reply_quoting(void)
{
	static const char crlf[] =
		"From: =?UTF-8?Q?B=C3=B6b?= <bob@example.test>\r\nSubject: s\r\n\r\n"
		"one\r\n>two\r\n\r\nthree";
	static const char empty[] = "From: bob@example.test\nSubject: s\n\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	const char *d;

	CU_ASSERT_EQUAL(compose_start_reply(c, orig_plain, strlen(orig_plain), 0, &err), 0);
	d = compose_draft(c, NULL);
	CU_ASSERT(contains(d, "\n\nOn Mon, 3 Mar 2025 10:00:00 +0700, Bob Builder wrote:\n"
			      "> first line\n"
			      ">> quoted before\n"
			      ">\n"
			      "> last line\n"
			      "\n"
			      "-- \nAna\n+62 21 555\n"));

	CU_ASSERT_EQUAL(compose_start_reply(c, crlf, strlen(crlf), 0, &err), 0);
	d = compose_draft(c, NULL);
	CU_ASSERT(contains(d, "\n\nB\xc3\xb6" "b wrote:\n> one\n>>two\n>\n> three\n\n-- \n"));
	CU_ASSERT(!contains(d, "\r"));

	CU_ASSERT_EQUAL(compose_start_reply(c, empty, strlen(empty), 0, &err), 0);
	d = compose_draft(c, NULL);
	CU_ASSERT(contains(d, "\n\nbob@example.test wrote:\n\n-- \n"));

	/* HTML only: the text the pager shows is quoted. */
	{
		static const char html[] =
			"From: bob@example.test\nSubject: s\nContent-Type: text/html\n\n"
			"<p>Hello <b>there</b></p><p>second</p>\n";

		CU_ASSERT_EQUAL(compose_start_reply(c, html, strlen(html), 0, &err), 0);
		d = compose_draft(c, NULL);
		CU_ASSERT(contains(d, "> Hello there\n"));
		CU_ASSERT(contains(d, "> second\n"));
		CU_ASSERT(!contains(d, "<p>"));
	}
	compose_free(c);
}

static void test_reply_ids(void)
{
	static const char refs[] =
		"From: b@x.test\nMessage-ID: <m3@x.test>\nIn-Reply-To: <m2@x.test>\n"
		"References: <m1@x.test>\n <m2@x.test>\n\nx\n";
	static const char irt_only[] =
		"From: b@x.test\nMessage-ID: <m2@x.test>\nIn-Reply-To: <m1@x.test>\n\nx\n";
	static const char no_id[] = "From: b@x.test\n\nx\n";
	/* Read as the index reads them: a comment hides its "id", a folded id
	 * is joined, a repeated one stands once, where it last stands. */
	static const char odd_refs[] =
		"From: b@x.test\nMessage-ID: <m4@x.test>\n"
		"References: (after <fake@x.test>) <m1@x.test> <m2@\n x.test> <m1@x.test>\n\nx\n";
	static const char two_irt[] =
		"From: b@x.test\nMessage-ID: <m2@x.test>\nIn-Reply-To: <m0@x.test> <m1@x.test>\n\nx\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct buf many = BUF_INIT;
	struct built b;
	int i;

	CU_ASSERT_EQUAL(compose_start_reply(c, refs, strlen(refs), 0, &err), 0);
	build(c, 0, &b);
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "In-Reply-To"), "<m3@x.test>");
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "References"), "<m1@x.test> <m2@x.test> <m3@x.test>");
	done(&b);

	CU_ASSERT_EQUAL(compose_start_reply(c, irt_only, strlen(irt_only), 0, &err), 0);
	build(c, 0, &b);
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "References"), "<m1@x.test> <m2@x.test>");
	done(&b);

	CU_ASSERT_EQUAL(compose_start_reply(c, no_id, strlen(no_id), 0, &err), 0);
	build(c, 0, &b);
	CU_ASSERT_PTR_NULL(msg_header(b.m, "In-Reply-To"));
	CU_ASSERT_PTR_NULL(msg_header(b.m, "References"));
	done(&b);

	CU_ASSERT_EQUAL(compose_start_reply(c, odd_refs, strlen(odd_refs), 0, &err), 0);
	build(c, 0, &b);
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "References"), "<m2@x.test> <m1@x.test> <m4@x.test>");
	done(&b);

	/* Which of two In-Reply-To ids is the parent's parent cannot be told. */
	CU_ASSERT_EQUAL(compose_start_reply(c, two_irt, strlen(two_irt), 0, &err), 0);
	build(c, 0, &b);
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "References"), "<m2@x.test>");
	done(&b);

	/* A long thread: the root and the newest ids stay. */
	buf_puts(&many, "From: b@x.test\nMessage-ID: <last@x.test>\nReferences:");
	for (i = 0; i < 40; i++)
		buf_printf(&many, " <r%d@x.test>", i);
	buf_puts(&many, "\n\nx\n");
	CU_ASSERT_EQUAL(compose_start_reply(c, many.data, many.len, 0, &err), 0);
	build(c, 0, &b);
	{
		const char *r = msg_header(b.m, "References");
		size_t n = 0;
		const char *p;

		for (p = r; (p = strchr(p, '<')) != NULL; p++)
			n++;
		CU_ASSERT_EQUAL(n, COMPOSE_REFS_MAX);
		CU_ASSERT(strncmp(r, "<r0@x.test> <r22@x.test> ", 25) == 0);
		CU_ASSERT(contains(r, "<r39@x.test> <last@x.test>"));
	}
	done(&b);
	buf_release(&many);
	compose_free(c);
}

/* A display name that decodes to a line break must not add a header line
 * to the draft. */
static void test_reply_no_injection(void)
{
	static const char evil[] =
		"From: =?UTF-8?B?RXZlCkJjYzogc3B5QGV2aWwudGVzdA==?= <eve@evil.test>\n"
		"Subject: =?UTF-8?Q?hi=0ABcc:_spy@evil.test=1B[31m?=\n\n"
		"text \x1b[31mred\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	const char *d;

	CU_ASSERT_EQUAL(compose_start_reply(c, evil, strlen(evil), 0, &err), 0);
	d = compose_draft(c, NULL);
	CU_ASSERT(!contains(d, "\nBcc: spy"));
	CU_ASSERT(!contains(d, "\x1b"));
	CU_ASSERT_PTR_NULL(compose_field(c, "Bcc"));
	CU_ASSERT(contains(compose_field(c, "To"), "<eve@evil.test>"));
	compose_free(c);
}

/* --- forwards ------------------------------------------------------------ */

static void test_forward_inline(void)
{
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	const char *d;

	CU_ASSERT_EQUAL(compose_start_forward(c, orig_plain, strlen(orig_plain),
					      COMPOSE_FWD_INLINE, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "Fwd: hello");
	CU_ASSERT_PTR_NULL(compose_field(c, "To"));
	CU_ASSERT_EQUAL(compose_attach_count(c), 0);
	d = compose_draft(c, NULL);
	CU_ASSERT(contains(d, "\n\n\n---------- Forwarded message ----------\n"
			      "From: Bob Builder <bob@example.test>\n"
			      "Date: Mon, 3 Mar 2025 10:00:00 +0700\n"
			      "Subject: hello\n"
			      "To: Ana Putri <ana@example.co.id>, dave@example.test\n"
			      "Cc: carol@example.test, ANA@HOME.TEST, "
			      "Bob Builder <bob@example.test>\n"
			      "\n"
			      "first line\n> quoted before\n\nlast line\n"
			      "\n-- \nAna\n"));
	compose_free(c);
}

/* An inline forward keeps the original's attachments. */
static void test_forward_inline_attachments(void)
{
	static const char orig[] =
		"From: b@x.test\nSubject: files\nMIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=B\n\n"
		"--B\nContent-Type: text/plain\n\nsee the files\n"
		"--B\nContent-Type: application/pdf; name=c.pdf\n"
		"Content-Disposition: attachment; filename=c.pdf\n"
		"Content-Transfer-Encoding: base64\n\nUERGLUJZVEVT\n"
		"--B\nContent-Type: text/plain\n"
		"Content-Disposition: attachment; filename=n.txt\n\nnotes\n"
		"--B--\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(compose_start_forward(c, orig, strlen(orig), COMPOSE_FWD_INLINE, &err), 0);
	CU_ASSERT(contains(compose_draft(c, NULL), "see the files\n"));
	CU_ASSERT_EQUAL_FATAL(compose_attach_count(c), 2);
	CU_ASSERT_STRING_EQUAL(compose_attach_name(c, 0), "c.pdf");
	CU_ASSERT_STRING_EQUAL(compose_attach_type(c, 0), "application/pdf");
	CU_ASSERT_EQUAL(compose_attach_size(c, 0), 9);
	CU_ASSERT_STRING_EQUAL(compose_attach_name(c, 1), "n.txt");
	compose_free(c);
}

static void test_forward_attached(void)
{
	static const char fw[] = "From: b@x.test\r\nSubject: Fwd: caf\xc3\xa9\r\n\r\nbody\r\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct buf got = BUF_INIT;
	struct built b;

	CU_ASSERT_EQUAL(compose_start_forward(c, fw, strlen(fw), COMPOSE_FWD_ATTACH, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "Fwd: caf\xc3\xa9");
	CU_ASSERT_EQUAL_FATAL(compose_attach_count(c), 1);
	CU_ASSERT_STRING_EQUAL(compose_attach_type(c, 0), "message/rfc822");
	CU_ASSERT_PTR_NULL(compose_attach_name(c, 0));
	CU_ASSERT_PTR_NULL(compose_field(c, "To"));
	set(c, "To: z@x.test\nSubject: Fwd: x\n\nsee below\n");
	CU_ASSERT_EQUAL(compose_attach_count(c), 1);
	build(c, 0, &b);
	CU_ASSERT_EQUAL_FATAL(msg_part_count(b.m), 2);
	CU_ASSERT_STRING_EQUAL(msg_part_type(msg_part_at(b.m, 1)), "message/rfc822");
	msg_part_decode(msg_part_at(b.m, 1), &got);
	CU_ASSERT_STRING_EQUAL(got.data, "From: b@x.test\nSubject: Fwd: caf\xc3\xa9\n\nbody\n");
	CU_ASSERT(contains(b.raw.data, "Content-Transfer-Encoding: 8bit\n"));
	done(&b);
	buf_release(&got);
	compose_free(c);
}

/* --- the draft ----------------------------------------------------------- */

static void test_draft_parse(void)
{
	static const char folded[] =
		"From: Ana Putri <ana@example.co.id>\n"
		"To: a@x.test,\n"
		"  \"Putri, Ana\" <b@x.test>\n"
		"To: c@x.test\n"
		"Cc:\n"
		"Subject: a long\n\tsubject\n"
		"X-Mood: calm\n"
		"Content-Type: text/html\n"
		"Date: yesterday\n"
		"\n"
		"Body: not a header\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct built b;

	CU_ASSERT_EQUAL(compose_set_draft(c, folded, strlen(folded), &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "subject"), "a long\tsubject");
	CU_ASSERT_PTR_NULL(compose_field(c, "Cc"));
	CU_ASSERT_EQUAL(compose_check(c, &err), 0);
	build(c, 0, &b);
	check_addrs(b.m, "To", "a@x.test, b@x.test, c@x.test");
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "X-Mood"), "calm");
	CU_ASSERT_STRING_EQUAL(msg_part_type(msg_part_at(b.m, 0)), "text/plain");
	CU_ASSERT(strcmp(msg_header(b.m, "Date"), "yesterday") != 0);
	{
		char *t = msg_text(b.m);

		CU_ASSERT_STRING_EQUAL(t, "Body: not a header\n");
		free(t);
	}
	done(&b);
	compose_free(c);
}

static void test_draft_recipients(void)
{
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct built b;

	/* Empty To with a Bcc is fine; a bare name gets the From domain. */
	CU_ASSERT_EQUAL(SET_DRAFT(c, "To:\nBcc: boss\nSubject: s\n\nx\n", &err), 0);
	CU_ASSERT_EQUAL(compose_check(c, &err), 0);
	build(c, COMPOSE_KEEP_BCC, &b);
	check_addrs(b.m, "Bcc", "boss@example.co.id");
	CU_ASSERT_PTR_NULL(msg_header(b.m, "To"));
	done(&b);
	build(c, 0, &b);
	CU_ASSERT_PTR_NULL(msg_header(b.m, "Bcc"));
	done(&b);

	CU_ASSERT_EQUAL(SET_DRAFT(c, "To: \nCc:\nSubject: s\n\nx\n", &err), 0);
	CU_ASSERT_EQUAL(compose_check(c, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT(contains(err.msg, "no recipients"));
	/* A draft may be built without recipients (postponing). */
	build(c, 0, &b);
	done(&b);

	err_clear(&err);
	CU_ASSERT_EQUAL(SET_DRAFT(c, "To: ok@x.test, a@b@c\n\nx\n", &err), 0);
	CU_ASSERT_EQUAL(compose_check(c, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT(contains(err.msg, "bad address"));
	CU_ASSERT(contains(err.msg, "To"));
	err_clear(&err);
	CU_ASSERT_EQUAL(SET_DRAFT(c, "Cc: two words\n\nx\n", &err), 0);
	CU_ASSERT_EQUAL(compose_check(c, &err), -1);
	CU_ASSERT(contains(err.msg, "Cc"));
	compose_free(c);
}

static void test_draft_garbage(void)
{
	static const char garbage[] = "To: a@x.test\nthis is the body\n\nmore\n";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	struct buf out = BUF_INIT;
	size_t len;

	CU_ASSERT_EQUAL(compose_set_draft(c, garbage, strlen(garbage), &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT(contains(err.msg, "line 2"));
	/* The text stays for the next edit; nothing can be built from it. */
	CU_ASSERT_STRING_EQUAL(compose_draft(c, &len), garbage);
	CU_ASSERT_EQUAL(compose_build(c, 0, 0, &out, &err), -1);
	CU_ASSERT_EQUAL(compose_check(c, &err), -1);
	CU_ASSERT_PTR_NULL(compose_field(c, "To"));

	err_clear(&err);
	CU_ASSERT_EQUAL(SET_DRAFT(c, " folded first\n\nx\n", &err), -1);
	CU_ASSERT(contains(err.msg, "line 1"));
	CU_ASSERT_EQUAL(SET_DRAFT(c, ": no name\n\nx\n", &err), -1);

	/* Not UTF-8: read as windows-1252; CRLF becomes LF; no blank line
	 * means no body. */
	CU_ASSERT_EQUAL(SET_DRAFT(c, "To: a@x.test\r\nSubject: caf\xe9\r\n", &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "caf\xc3\xa9");
	CU_ASSERT_STRING_EQUAL(compose_draft(c, NULL), "To: a@x.test\nSubject: caf\xc3\xa9\n");
	buf_release(&out);
	compose_free(c);
}

static void test_start_new(void)
{
	struct compose *c = setup(NULL);
	const char *d;

	compose_start_new(c, "bob@x.test", "plans\nBcc: x@y.test");
	d = compose_draft(c, NULL);
	CU_ASSERT_STRING_EQUAL(d, "From: Ana Putri <ana@example.co.id>\n"
				  "To: bob@x.test\n"
				  "Cc: \n"
				  "Bcc: \n"
				  "Subject: plans Bcc: x@y.test\n"
				  "Reply-To: \n"
				  "\n"
				  "\n-- \nAna\n+62 21 555\n");
	compose_start_new(c, NULL, NULL);
	CU_ASSERT_PTR_NULL(compose_field(c, "To"));
	compose_free(c);
}

static void test_no_config(void)
{
	struct err err = ERR_INIT;
	struct compose *c;
	char *old = getenv("EMAIL") ? xstrdup(getenv("EMAIL")) : NULL;

	unsetenv("EMAIL");
	CU_ASSERT_PTR_NULL(compose_new(NULL, NULL, &err));
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT(contains(err.msg, "$EMAIL"));
	err_clear(&err);
	setenv("EMAIL", "not an address", 1);
	CU_ASSERT_PTR_NULL(compose_new(NULL, NULL, &err));
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	err_clear(&err);
	setenv("EMAIL", "Ana Lima <ana@lima.test>", 1);
	c = compose_new(NULL, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	compose_start_new(c, NULL, NULL);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Lima <ana@lima.test>");
	CU_ASSERT_EQUAL(compose_postpone(c, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	compose_free(c);
	if (old)
		setenv("EMAIL", old, 1);
	else
		unsetenv("EMAIL");
	free(old);
	CU_ASSERT_PTR_NULL(compose_new(cfg, "nosuch", &err));
}

/* --- MIME ---------------------------------------------------------------- */

/* Every line of s at most max bytes long, every byte 7-bit. */
static int lines_within(const char *s, size_t len, size_t max)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return 0;
		if (s[i] == '\n')
			col = 0;
		else if (++col > max)
			return 0;
	}
	return 1;
}

static void test_mime_text_encodings(void)
{
	struct compose *c = setup(NULL);
	struct buf long_line = BUF_INIT;
	struct built b;
	char *t;
	int i;

	set(c, "To: b@x.test\nSubject: plain\n\nhello\nworld\n");
	build(c, 0, &b);
	CU_ASSERT(contains(b.raw.data, "\nContent-Type: text/plain; charset=utf-8\n"
				       "Content-Transfer-Encoding: 7bit\n\nhello\nworld\n"));
	CU_ASSERT(contains(b.raw.data, "\nMIME-Version: 1.0\n"));
	CU_ASSERT(contains(b.raw.data, "\nUser-Agent: surel/" PACKAGE_VERSION "\n"));
	CU_ASSERT(strncmp(b.raw.data, "Date: Tue, 14 Nov 2023 ", 23) == 0 ||
		  strncmp(b.raw.data, "Date: Wed, 15 Nov 2023 ", 23) == 0);
	{
		time_t when = 0;

		CU_ASSERT_EQUAL(msg_date(b.m, &when), 0);
		CU_ASSERT_EQUAL(when, 1700000000);
	}
	CU_ASSERT(contains(msg_header(b.m, "Message-ID"), "@example.co.id>"));
	done(&b);

	set(c, "To: b@x.test\nSubject: s\n\nna\xc3\xafve caf\xc3\xa9\n");
	build(c, 0, &b);
	CU_ASSERT(contains(b.raw.data, "Content-Transfer-Encoding: quoted-printable\n\n"
				       "na=C3=AFve caf=C3=A9\n"));
	t = msg_text(b.m);
	CU_ASSERT_STRING_EQUAL(t, "na\xc3\xafve caf\xc3\xa9\n");
	free(t);
	CU_ASSERT(lines_within(b.raw.data, b.raw.len, 78));
	done(&b);

	buf_puts(&long_line, "To: b@x.test\n\n");
	for (i = 0; i < 1200; i++)
		buf_putc(&long_line, (char)('a' + i % 26));
	buf_puts(&long_line, "\nshort\n");
	set(c, long_line.data);
	build(c, 0, &b);
	CU_ASSERT(contains(b.raw.data, "Content-Transfer-Encoding: quoted-printable\n"));
	CU_ASSERT(lines_within(b.raw.data, b.raw.len, 78));
	t = msg_text(b.m);
	CU_ASSERT_STRING_EQUAL(t, long_line.data + 14);
	free(t);
	done(&b);

	/* A body without a final line end gets one; an empty body is fine. */
	set(c, "To: b@x.test\n\nno end");
	build(c, 0, &b);
	CU_ASSERT(contains(b.raw.data, "7bit\n\nno end\n"));
	done(&b);
	set(c, "To: b@x.test\n");
	build(c, 0, &b);
	t = msg_text(b.m);
	CU_ASSERT_STRING_EQUAL(t, "");
	free(t);
	done(&b);
	buf_release(&long_line);
	compose_free(c);
}

static void test_mime_headers(void)
{
	struct compose *c = setup(NULL);
	struct built b;
	struct addr_mbox *a = NULL;
	size_t n;

	set(c, "From: Ana P\xc3\xbctri <ana@example.co.id>\n"
	       "To: \"Putri, Ana\" <a@x.test>, \"P\xc3\xbctri, Ana\" <b@x.test>, "
	       "\"Dr. =?x?=\" <c@x.test>\n"
	       "Subject: Rapat minggu depan: agenda, notulen dan caf\xc3\xa9 "
	       "yang sangat panjang sekali sehingga harus dilipat\n"
	       "Reply-To: R\xc3\xa9ply <r@x.test>\n"
	       "X-Note: \xc3\xbc\n"
	       "\nx\n");
	build(c, 0, &b);
	CU_ASSERT(lines_within(b.raw.data, b.raw.len, 78));
	CU_ASSERT(contains(b.raw.data, "From: Ana =?UTF-8?Q?P=C3=BCtri?= <ana@example.co.id>\n"));
	CU_ASSERT(contains(b.raw.data, "\"Putri, Ana\" <a@x.test>"));
	CU_ASSERT_STRING_EQUAL(msg_subject(b.m),
			       "Rapat minggu depan: agenda, notulen dan caf\xc3\xa9 "
			       "yang sangat panjang sekali sehingga harus dilipat");
	n = msg_addrs(b.m, "To", &a);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(a[0].name, "Putri, Ana");
	CU_ASSERT_STRING_EQUAL(a[1].name, "P\xc3\xbctri, Ana");
	CU_ASSERT_STRING_EQUAL(a[1].addr, "b@x.test");
	CU_ASSERT_STRING_EQUAL(a[2].name, "Dr. =?x?=");
	CU_ASSERT_STRING_EQUAL(a[2].addr, "c@x.test");
	addr_list_free(a, n);
	n = msg_addrs(b.m, "From", &a);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(a[0].name, "Ana P\xc3\xbctri");
	addr_list_free(a, n);
	n = msg_addrs(b.m, "Reply-To", &a);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(a[0].name, "R\xc3\xa9ply");
	addr_list_free(a, n);
	{
		char *x = msg_header_decoded(b.m, "X-Note");

		CU_ASSERT_STRING_EQUAL(x, "\xc3\xbc");
		free(x);
	}
	done(&b);
	compose_free(c);
}

/* The file names and bytes read back through msg.h. */
static void test_mime_attachments(void)
{
	static const char long_name[] =
		"Laporan keuangan tahunan \xe2\x80\x94 ringkasan untuk direksi "
		"(versi akhir) r\xc3\xa9sum\xc3\xa9.pdf";
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	char bin[256], *path, *t;
	struct buf got = BUF_INIT;
	struct built b;
	size_t i;

	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)i;
	set(c, "To: b@x.test\nSubject: caf\xc3\xa9 files\n\nsee attached \xe2\x9c\x93\n");
	compose_attach_data(c, "r\xc3\xa9sum\xc3\xa9.bin", NULL, bin, sizeof(bin));
	compose_attach_data(c, "notes.txt", NULL, "line one\nline two\n", 18);
	compose_attach_data(c, "dos.txt", NULL, "crlf\r\nlines\r\n", 13);
	compose_attach_data(c, "\xc3\xbc.txt", NULL, "gr\xc3\xbc\xc3\x9f\n", 7);
	compose_attach_data(c, long_name, NULL, "%PDF-1.4\n", 9);
	path = xasprintf("%s/plain.csv", tutil_tmpdir());
	CU_ASSERT_EQUAL(tutil_write(path, "a,b\n1,2", 7), 0);
	CU_ASSERT_EQUAL(compose_attach_file(c, path, &err), 0);
	CU_ASSERT_EQUAL(compose_attach_count(c), 6);
	CU_ASSERT_STRING_EQUAL(compose_attach_type(c, 0), "application/octet-stream");
	CU_ASSERT_STRING_EQUAL(compose_attach_type(c, 1), "text/plain");
	CU_ASSERT_STRING_EQUAL(compose_attach_type(c, 4), "application/pdf");
	CU_ASSERT_STRING_EQUAL(compose_attach_name(c, 5), "plain.csv");
	CU_ASSERT_STRING_EQUAL(compose_attach_type(c, 5), "text/csv");
	CU_ASSERT_EQUAL(compose_attach_size(c, 5), 7);

	build(c, 0, &b);
	CU_ASSERT(lines_within(b.raw.data, b.raw.len, 78));
	CU_ASSERT(contains(b.raw.data, "Content-Type: multipart/mixed; boundary=\"=_surel_"));
	CU_ASSERT(contains(b.raw.data, "filename*=UTF-8''r%C3%A9sum%C3%A9.bin;\n"
				       " filename=\"=?UTF-8?B?csOpc3Vtw6kuYmlu?=\"\n"));
	CU_ASSERT(contains(b.raw.data, "filename*0*=UTF-8''"));
	CU_ASSERT(contains(b.raw.data, "filename*1*="));
	CU_ASSERT(contains(b.raw.data, "Content-Disposition: attachment; filename=\"notes.txt\"\n"
				       "Content-Transfer-Encoding: 7bit\n\nline one\n"));
	CU_ASSERT_STRING_EQUAL(msg_subject(b.m), "caf\xc3\xa9 files");
	t = msg_text(b.m);
	CU_ASSERT_STRING_EQUAL(t, "see attached \xe2\x9c\x93\n");
	free(t);
	CU_ASSERT_EQUAL_FATAL(msg_part_count(b.m), 7);
	for (i = 0; i < 6; i++) {
		const struct msg_part *p = msg_part_at(b.m, i + 1);

		CU_ASSERT(msg_part_is_attachment(p));
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg_part_filename(p));
		CU_ASSERT_STRING_EQUAL(msg_part_filename(p), compose_attach_name(c, i));
		CU_ASSERT_STRING_EQUAL(msg_part_type(p), compose_attach_type(c, i));
		buf_reset(&got);
		msg_part_decode(p, &got);
		CU_ASSERT_EQUAL(got.len, compose_attach_size(c, i));
		CU_ASSERT_EQUAL(msg_part_size(p), compose_attach_size(c, i));
	}
	buf_reset(&got);
	msg_part_decode(msg_part_at(b.m, 1), &got);
	CU_ASSERT(got.len == sizeof(bin) && memcmp(got.data, bin, sizeof(bin)) == 0);
	buf_reset(&got);
	msg_part_decode(msg_part_at(b.m, 3), &got);
	CU_ASSERT_STRING_EQUAL(got.data, "crlf\r\nlines\r\n");
	buf_reset(&got);
	msg_part_text(msg_part_at(b.m, 4), &got);
	CU_ASSERT_STRING_EQUAL(got.data, "gr\xc3\xbc\xc3\x9f\n");
	CU_ASSERT_STRING_EQUAL(msg_part_param(msg_part_at(b.m, 4), "charset"), "utf-8");
	buf_reset(&got);
	msg_part_decode(msg_part_at(b.m, 6), &got);
	CU_ASSERT_STRING_EQUAL(got.data, "a,b\n1,2");
	done(&b);

	compose_attach_drop(c, 0);
	CU_ASSERT_EQUAL(compose_attach_count(c), 5);
	CU_ASSERT_STRING_EQUAL(compose_attach_name(c, 0), "notes.txt");

	/* A missing file is EX_NOINPUT and changes nothing. */
	free(path);
	path = xasprintf("%s/nosuch.pdf", tutil_tmpdir());
	CU_ASSERT_EQUAL(compose_attach_file(c, path, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT(contains(err.msg, "nosuch.pdf"));
	CU_ASSERT_EQUAL(compose_attach_count(c), 5);
	free(path);
	buf_release(&got);
	compose_free(c);
}

/* A text part holding what could be a boundary does not break the message. */
static void test_mime_boundary(void)
{
	struct compose *c = setup(NULL);
	struct built b;
	char *t;

	set(c, "To: b@x.test\n\n--=_surel_\n--=_surel_0000000000000000\n");
	compose_attach_data(c, "a.txt", NULL, "--=_surel_\n", 11);
	build(c, 0, &b);
	t = msg_text(b.m);
	CU_ASSERT_STRING_EQUAL(t, "--=_surel_\n--=_surel_0000000000000000\n");
	free(t);
	CU_ASSERT_EQUAL(msg_part_count(b.m), 2);
	done(&b);
	compose_free(c);
}

/* --- hand-off ------------------------------------------------------------ */

static void test_send(void)
{
	struct compose *c = setup("send_delay = 30\n");
	struct err err = ERR_INIT;
	char *qdir = xasprintf("%s/queue", tutil_tmpdir()), *id = NULL, *body = NULL;
	struct queue *q = queue_open(qdir, &err);
	struct queue_env *e;
	size_t len = 0, i;
	struct msg *m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	set(c, "To: Bob <bob@x.test>\nCc: carol@x.test\nBcc: eve@x.test, bob@x.test\n"
	       "Subject: s\n\nhi\n");
	CU_ASSERT_EQUAL(compose_send(c, q, COMPOSE_NO_FLUSH, &id, &err), 0);
	if (err.code)
		fprintf(stderr, "\nsend: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "ana@example.co.id");
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "work");
	CU_ASSERT_EQUAL_FATAL(queue_env_rcpt_count(e), 3);
	CU_ASSERT_STRING_EQUAL(queue_env_rcpt_addr(e, 0), "bob@x.test");
	CU_ASSERT_STRING_EQUAL(queue_env_rcpt_addr(e, 1), "carol@x.test");
	CU_ASSERT_STRING_EQUAL(queue_env_rcpt_addr(e, 2), "eve@x.test");
	CU_ASSERT(queue_env_next_attempt(e) >= queue_env_created(e) + 30);
	queue_env_free(e);
	CU_ASSERT_EQUAL(queue_read_body(q, id, &body, &len, &err), 0);
	m = msg_parse(body, len, 0);
	CU_ASSERT_PTR_NULL(msg_header(m, "Bcc"));
	CU_ASSERT_STRING_EQUAL(msg_subject(m), "s");
	msg_free(m);
	for (i = 0; i < len; i++)
		CU_ASSERT_FATAL(body[i] != '\r');
	free(body);
	free(id);
	id = NULL;

	/* From another account's address: that account sends. */
	set(c, "From: ana@home.test\nTo: bob@x.test\n\nhi\n");
	CU_ASSERT_EQUAL(compose_send(c, q, COMPOSE_NO_FLUSH, &id, &err), 0);
	e = queue_load(q, id, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "ana@home.test");
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "home");
	queue_env_free(e);
	free(id);
	id = NULL;

	/* Nothing is queued without recipients. */
	set(c, "To:\n\nhi\n");
	CU_ASSERT_EQUAL(compose_send(c, q, COMPOSE_NO_FLUSH, &id, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NULL(id);
	queue_close(q);
	free(qdir);
	compose_free(c);
}

static void test_postpone_and_resume(void)
{
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	char *path = NULL, *data = NULL, *want_refs;
	size_t len = 0;
	struct built b;
	FILE *f;

	CU_ASSERT_EQUAL(compose_start_reply(c, orig_plain, strlen(orig_plain), 0, &err), 0);
	set(c, "To: Bob Builder <bob@example.test>\nBcc: \"P\xc3\xbctri, A\" <hidden@x.test>\n"
	       "Subject: Re: hello\n\nnot finished \xe2\x80\xa6\n");
	compose_attach_data(c, "a.bin", NULL, "\x00\x01\x02", 3);
	CU_ASSERT_EQUAL(compose_postpone(c, &path, &err), 0);
	if (err.code)
		fprintf(stderr, "\npostpone: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT(contains(path, "/Mail/work/Drafts/cur/"));
	CU_ASSERT(contains(path, ":2,DS"));
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	data = xmalloc(65536);
	len = fread(data, 1, 65536, f);
	fclose(f);

	compose_start_new(c, NULL, NULL);
	CU_ASSERT_EQUAL(compose_attach_count(c), 0);
	CU_ASSERT_EQUAL(compose_start_draft(c, data, len, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "Bob Builder <bob@example.test>");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Bcc"), "\"P\xc3\xbctri, A\" <hidden@x.test>");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "Re: hello");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Putri <ana@example.co.id>");
	CU_ASSERT(contains(compose_draft(c, NULL), "\n\nnot finished \xe2\x80\xa6\n"));
	CU_ASSERT_EQUAL_FATAL(compose_attach_count(c), 1);
	CU_ASSERT_STRING_EQUAL(compose_attach_name(c, 0), "a.bin");
	CU_ASSERT_EQUAL(compose_attach_size(c, 0), 3);
	build(c, 0, &b);
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "In-Reply-To"), "<m1@example.test>");
	want_refs = xstrdup("<m1@example.test>");
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "References"), want_refs);
	free(want_refs);
	done(&b);
	free(data);
	free(path);
	compose_free(c);
}

/* Undo send: the queued message goes back to the sending account's Drafts
 * with its Bcc, leaves the queue, and names the message it replied to. */
static void test_unsend(void)
{
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;
	char *qdir = xasprintf("%s/queue", tutil_tmpdir()), *id = NULL, *path = NULL, *irt = NULL;
	char *data = NULL, *drafts;
	struct queue *q = queue_open(qdir, &err);
	size_t len = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	CU_ASSERT_EQUAL(compose_start_reply(c, orig_plain, strlen(orig_plain), 0, &err), 0);
	set(c, "From: ana@home.test\nTo: Bob <bob@x.test>\nCc: carol@x.test\n"
	       "Bcc: eve@x.test\nSubject: Re: hello\nX-Extra: kept \xc3\xa9\n\nhi\n");
	CU_ASSERT_EQUAL(compose_send(c, q, COMPOSE_NO_FLUSH, &id, &err), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_EQUAL(compose_unsend(cfg, q, id, &path, &irt, &err), 0);
	if (err.code)
		fprintf(stderr, "\nunsend: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT(contains(path, "/Mail/home/Drafts/cur/"));
	CU_ASSERT(contains(path, ":2,DS"));
	CU_ASSERT_STRING_EQUAL(irt, "m1@example.test");
	CU_ASSERT_PTR_NULL(queue_load(q, id, &err));
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	CU_ASSERT_EQUAL(afile_read(path, 65536, &data, &len, &err), 0);
	CU_ASSERT_FATAL(data != NULL);
	CU_ASSERT(strncmp(data, "Bcc: eve@x.test\n", 16) == 0);
	CU_ASSERT(contains(data, "\nIn-Reply-To: <m1@example.test>\n"));

	/* Resumed, it is the same message again, from the same identity. */
	CU_ASSERT_EQUAL(compose_start_draft(c, data, len, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "X-Extra"), "kept \xc3\xa9");
	CU_ASSERT_PTR_NULL(compose_field(c, "User-Agent"));
	CU_ASSERT_PTR_NULL(compose_field(c, "Message-ID"));
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Bcc"), "eve@x.test");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "ana@home.test");
	CU_ASSERT_STRING_EQUAL(compose_from(c), "ana@home.test");

	/* Gone from the queue: nothing to undo, and no second draft. */
	err_clear(&err);
	CU_ASSERT_EQUAL(compose_unsend(cfg, q, id, NULL, NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	drafts = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	CU_ASSERT_EQUAL(tutil_count_entries(drafts), 1);
	free(drafts);
	free(data);
	free(path);
	free(irt);
	free(id);
	queue_close(q);
	free(qdir);
	compose_free(c);
}

/* The fields of a mailto: URL: headers on one line, the body sanitised,
 * In-Reply-To kept only when it is one message id. */
static void test_start_filled(void)
{
	struct compose *c = setup(NULL);
	struct built b;
	const char *d;

	compose_start_filled(c, "a@x.test", "c@x.test", "h@x.test", "Gr\xc3\xbc\xc3\x9f" "e\nBcc: e@x.test",
			     "<id.1@x.test>", "line 1\nline 2 \x1b[31mred");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "a@x.test");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Cc"), "c@x.test");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Bcc"), "h@x.test");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "Gr\xc3\xbc\xc3\x9f" "e Bcc: e@x.test");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Putri <ana@example.co.id>");
	d = compose_draft(c, NULL);
	CU_ASSERT(contains(d, "\n\nline 1\nline 2 \xef\xbf\xbd[31mred\n\n-- \nAna\n"));
	build(c, 0, &b);
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "In-Reply-To"), "<id.1@x.test>");
	CU_ASSERT_STRING_EQUAL(msg_header(b.m, "References"), "<id.1@x.test>");
	done(&b);
	compose_start_filled(c, NULL, NULL, NULL, NULL, "not an id", NULL);
	CU_ASSERT_PTR_NULL(compose_field(c, "To"));
	build(c, 0, &b);
	CU_ASSERT_PTR_NULL(msg_header(b.m, "In-Reply-To"));
	done(&b);
	compose_free(c);
}

/* The compose screen's header keys: a field replaced in place, added when
 * missing, refused when it is no address list; From switches identity. */
static void test_set_field(void)
{
	struct compose *c = setup(NULL);
	struct err err = ERR_INIT;

	compose_start_new(c, "a@x.test", "first");
	CU_ASSERT_EQUAL(compose_set_field(c, "to", "B <b@x.test>,\n c@x.test", &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "B <b@x.test>,  c@x.test");
	CU_ASSERT_EQUAL(compose_set_field(c, "Subject", "second \xe2\x9c\x93", &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "second \xe2\x9c\x93");
	CU_ASSERT_EQUAL(compose_set_field(c, "Cc", "", &err), 0);
	CU_ASSERT_PTR_NULL(compose_field(c, "Cc"));
	CU_ASSERT_EQUAL(compose_set_field(c, "Bcc", "ok@x.test, a@b@c", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	CU_ASSERT_PTR_NULL(compose_field(c, "Bcc"));
	err_clear(&err);
	CU_ASSERT_EQUAL(compose_set_field(c, "X-Other", "x", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_SOFTWARE);
	err_clear(&err);
	CU_ASSERT_EQUAL(compose_set_field(c, "From", "a@x.test, b@x.test", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	err_clear(&err);
	CU_ASSERT(contains(compose_draft(c, NULL), "\n-- \nAna\n+62 21 555\n"));

	/* Another account's address: its identity, without work's signature. */
	CU_ASSERT_EQUAL(compose_set_field(c, "From", "Me at home <ana@home.test>", &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Me at home <ana@home.test>");
	CU_ASSERT(!contains(compose_draft(c, NULL), "+62 21 555"));
	CU_ASSERT(strncmp(compose_draft(c, NULL), "From: Me at home <ana@home.test>\nTo: B", 38) == 0);

	/* A draft without the field gets it before the empty line. */
	CU_ASSERT_EQUAL(compose_set_draft(c, "To: a@x.test\n\nbody\n", 19, &err), 0);
	CU_ASSERT_EQUAL(compose_set_field(c, "Reply-To", "r@x.test", &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_draft(c, NULL), "To: a@x.test\nReply-To: r@x.test\n\nbody\n");
	compose_free(c);
}

static void test_mark_replied(void)
{
	struct err err = ERR_INIT;
	char *dir = xasprintf("%s/box", tutil_tmpdir()), *path = NULL;
	struct maildir_entry *e = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(maildir_create(dir, &err), 0);
	CU_ASSERT_EQUAL(maildir_deliver(dir, "Subject: x\n\ny\n", 14, "FS", &path, &err), 0);
	CU_ASSERT_EQUAL(maildir_list(dir, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(compose_mark_replied(dir, e[0].key, &err), 0);
	CU_ASSERT_EQUAL(compose_mark_replied(dir, e[0].key, &err), 0);
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(maildir_list(dir, 0, &e, &n, &err), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(e[0].flags, "FRS");
	maildir_entries_free(e, n);
	CU_ASSERT_EQUAL(compose_mark_replied(dir, "nosuch", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_NOINPUT);
	free(path);
	free(dir);
}

static void test_edit(void)
{
	struct compose *c = setup("editor = sed -i -e 's/^Subject:.*/Subject: edited/'\n");
	struct err err = ERR_INIT;
	int changed = -1;

	compose_start_new(c, "b@x.test", "first");
	CU_ASSERT_EQUAL(compose_edit(c, &changed, &err), 0);
	if (err.code)
		fprintf(stderr, "\nedit: %s\n", err.msg);
	CU_ASSERT_EQUAL(changed, 1);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "edited");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "b@x.test");
	CU_ASSERT_EQUAL(compose_edit(c, &changed, &err), 0);
	CU_ASSERT_EQUAL(changed, 0);
	compose_free(c);

	c = setup("editor = exit 3;\n");
	compose_start_new(c, "b@x.test", "kept");
	CU_ASSERT_EQUAL(compose_edit(c, &changed, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_SOFTWARE);
	CU_ASSERT(contains(err.msg, "exit status 3"));
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Subject"), "kept");
	compose_free(c);
}

static int cleanup(void)
{
	cfg_free(cfg);
	cfg = NULL;
	tutil_rmtree();
	return 0;
}

void suite_compose(void)
{
	CU_pSuite s = CU_add_suite("compose", NULL, cleanup);

	CU_add_test(s, "reply and reply-all recipients", test_reply_recipients);
	CU_add_test(s, "reply: Reply-To, and to one's own message", test_reply_to_and_self);
	CU_add_test(s, "reply: the reply_to question, Mail-Followup-To, list reply", test_reply_lists);
	CU_add_test(s, "reply: subject prefixes", test_reply_subject);
	CU_add_test(s, "reply: attribution and quoting", test_reply_quoting);
	CU_add_test(s, "reply: In-Reply-To and References", test_reply_ids);
	CU_add_test(s, "reply: no header injection from the original", test_reply_no_injection);
	CU_add_test(s, "forward inline", test_forward_inline);
	CU_add_test(s, "forward inline keeps attachments", test_forward_inline_attachments);
	CU_add_test(s, "forward attached", test_forward_attached);
	CU_add_test(s, "draft: folded and extra fields", test_draft_parse);
	CU_add_test(s, "draft: recipients and bad addresses", test_draft_recipients);
	CU_add_test(s, "draft: garbage lines and encodings", test_draft_garbage);
	CU_add_test(s, "draft: new message and signature", test_start_new);
	CU_add_test(s, "identity without a configuration", test_no_config);
	CU_add_test(s, "MIME: 7bit and quoted-printable text", test_mime_text_encodings);
	CU_add_test(s, "MIME: encoded and folded headers", test_mime_headers);
	CU_add_test(s, "MIME: attachments round trip", test_mime_attachments);
	CU_add_test(s, "MIME: boundary never in a part", test_mime_boundary);
	CU_add_test(s, "send: queued with envelope and without Bcc", test_send);
	CU_add_test(s, "postpone to Drafts and resume", test_postpone_and_resume);
	CU_add_test(s, "undo send back to Drafts", test_unsend);
	CU_add_test(s, "mailto: fields", test_start_filled);
	CU_add_test(s, "header fields set in place", test_set_field);
	CU_add_test(s, "mark replied", test_mark_replied);
	CU_add_test(s, "editor", test_edit);
}
