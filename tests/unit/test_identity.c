#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "buf.h"
#include "cfg.h"
#include "compose.h"
#include "identity.h"
#include "msg.h"
#include "queue.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

/* Two accounts: home (the default, plain) and work, with an alias, a
 * pattern and its own signature. */
static struct cfg *cfg;

static void setup(void)
{
	struct err err = ERR_INIT;
	const char *dir = tutil_tmpdir();
	char *path = xasprintf("%s/config", dir);
	char *text = xasprintf("[account home]\n"
			       "name = Ana\n"
			       "address = ana@home.test\n"
			       "maildir = %s/Mail/home\n"
			       "signature = %s/sig-home\n"
			       "[account work]\n"
			       "name = Ana Putri\n"
			       "address = ana@work.test\n"
			       "aliases = sales@shop.test, *@lists.work.test\n"
			       "maildir = %s/Mail/work\n"
			       "signature = %s/sig-work\n",
			       dir, dir, dir, dir);
	char *sig;

	cfg_free(cfg);
	CU_ASSERT_EQUAL(tutil_write(path, text, strlen(text)), 0);
	sig = xasprintf("%s/sig-home", dir);
	CU_ASSERT_EQUAL(tutil_write(sig, "home sig\n", 9), 0);
	free(sig);
	sig = xasprintf("%s/sig-work", dir);
	CU_ASSERT_EQUAL(tutil_write(sig, "work sig\n", 9), 0);
	free(sig);
	cfg = cfg_load(path, &err);
	if (!cfg)
		fprintf(stderr, "\ncfg: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	free(path);
	free(text);
}

/* The account name and address identity_of_msg finds in text, as
 * "name addr", or "-". */
static char *identity_in(const char *text)
{
	struct msg *m = msg_parse(text, strlen(text), 0);
	const struct cfg_account *a;
	char *addr = (char *)"x", *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	a = identity_of_msg(cfg, m, &addr);
	r = a ? xasprintf("%s %s", cfg_account_name(a), addr) : xstrdup("-");
	if (!a)
		CU_ASSERT_PTR_NULL(addr);
	free(a ? addr : NULL);
	msg_free(m);
	return r;
}

static void test_match_order(void)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		/* To before Cc before Delivered-To before X-Original-To. */
		{ "To: bob@x.test\nCc: Sales <SALES@shop.test>\nDelivered-To: ana@home.test\n\n",
		  "work SALES@shop.test" },
		{ "Delivered-To: ana@home.test\nTo: x@x.test, Ana <ana@work.test>\n"
		  "Cc: ana@home.test\n\n", "work ana@work.test" },
		{ "X-Original-To: dev@lists.work.test\nDelivered-To: ana@home.test\n"
		  "To: list@x.test\n\n", "home ana@home.test" },
		{ "X-Original-To: Dev@Lists.Work.Test\nTo: list@x.test\n\n",
		  "work Dev@Lists.Work.Test" },
		/* Every occurrence of a field counts. */
		{ "Delivered-To: other@x.test\nDelivered-To: ana@work.test\n\n",
		  "work ana@work.test" },
		/* A subdomain is not the pattern's domain. */
		{ "To: a@sub.lists.work.test\nCc: shop.test@x.test\n\n", "-" },
		{ "From: ana@home.test\nReply-To: ana@work.test\n\n", "-" },
		{ "Subject: no recipients\n\n", "-" },
	};
	struct msg *m;
	char *got, *addr;
	size_t i;

	setup();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = identity_in(t[i].text);
		if (strcmp(got, t[i].want) != 0) {
			fprintf(stderr, "\ncase %zu: got '%s', want '%s'\n", i, got, t[i].want);
			CU_FAIL("wrong identity");
		}
		free(got);
	}
	m = msg_parse("To: ana@work.test\n\n", 19, 0);
	CU_ASSERT_PTR_NULL(identity_of_msg(NULL, m, &addr));
	CU_ASSERT_PTR_NULL(addr);
	msg_free(m);
}

static const char to_alias[] =
	"From: Bob <bob@x.test>\n"
	"To: team@x.test, dev@lists.work.test\n"
	"Cc: Ana <ana@home.test>, Sales <sales@shop.test>, carol@x.test, ANA@work.test\n"
	"Subject: order\n"
	"Message-ID: <o1@x.test>\n"
	"\n"
	"please\n";

/* A reply is written from the address the original was sent to, whatever
 * account the compose started with; reply-all leaves out every address of
 * the user, aliases and patterns included. */
static void test_reply_identity(void)
{
	struct err err = ERR_INIT;
	struct compose *c;
	const char *d;

	setup();
	c = compose_new(cfg, "home", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(compose_start_reply(c, to_alias, strlen(to_alias), COMPOSE_REPLY_ALL, &err),
			0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Putri <dev@lists.work.test>");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "To"), "Bob <bob@x.test>, team@x.test");
	CU_ASSERT_STRING_EQUAL(compose_field(c, "Cc"), "carol@x.test");
	d = compose_draft(c, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "\n-- \nwork sig\n"));
	CU_ASSERT_PTR_NULL(strstr(d, "home sig"));

	/* A forward too. */
	compose_free(c);
	c = compose_new(cfg, "home", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(compose_start_forward(c, to_alias, strlen(to_alias), COMPOSE_FWD_INLINE,
					      &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Putri <dev@lists.work.test>");

	/* Not sent to the user: the compose's own account. */
	compose_free(c);
	c = compose_new(cfg, "work", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(compose_start_reply(c, "From: b@x.test\nTo: l@x.test\n\nhi\n", 31, 0, &err),
			0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana Putri <ana@work.test>");
	compose_free(c);
}

/* The alias's account sends (its smarthost), with the alias as envelope
 * sender. */
static void test_send_from_alias(void)
{
	struct err err = ERR_INIT;
	char *qdir, *id = NULL;
	struct compose *c;
	struct queue *q;
	struct queue_env *e;

	setup();
	qdir = xasprintf("%s/queue", tutil_tmpdir());
	q = queue_open(qdir, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	c = compose_new(cfg, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(compose_start_reply(c, to_alias, strlen(to_alias), 0, &err), 0);
	CU_ASSERT_EQUAL(compose_send(c, q, COMPOSE_NO_FLUSH, &id, &err), 0);
	e = id ? queue_load(q, id, &err) : NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(queue_env_account(e), "work");
	CU_ASSERT_STRING_EQUAL(queue_env_sender(e), "dev@lists.work.test");
	queue_env_free(e);
	free(id);
	compose_free(c);
	queue_close(q);
	free(qdir);
}

/* Picking another identity on the compose screen: From line and
 * signature follow; addresses not the account's are refused. */
static void test_set_identity(void)
{
	static const char draft[] =
		"To: bob@x.test\nFrom: old <ana@home.test>\n  (folded)\nSubject: s\n\n"
		"text\n> -- \n> home sig\n\n-- \nhome sig\n";
	struct err err = ERR_INIT;
	struct compose *c;
	const char *d;

	setup();
	c = compose_new(cfg, "home", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(compose_set_draft(c, draft, sizeof(draft) - 1, &err), 0);
	CU_ASSERT_EQUAL(compose_set_identity(c, "work", "sales@shop.test", &err), 0);
	d = compose_draft(c, NULL);
	CU_ASSERT_STRING_EQUAL(d, "To: bob@x.test\nFrom: Ana Putri <sales@shop.test>\nSubject: s\n\n"
				  "text\n> -- \n> home sig\n\n-- \nwork sig\n");
	CU_ASSERT_STRING_EQUAL(compose_from(c), "Ana Putri <sales@shop.test>");
	CU_ASSERT_EQUAL(compose_set_identity(c, "home", NULL, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana <ana@home.test>");
	CU_ASSERT_PTR_NOT_NULL(strstr(compose_draft(c, NULL), "\n-- \nhome sig\n"));

	CU_ASSERT_EQUAL(compose_set_identity(c, "home", "sales@shop.test", &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_DATAERR);
	err_clear(&err);
	CU_ASSERT_EQUAL(compose_set_identity(c, "nosuch", NULL, &err), -1);
	CU_ASSERT_EQUAL(err.code, EX_CONFIG);
	CU_ASSERT_STRING_EQUAL(compose_field(c, "From"), "Ana <ana@home.test>");

	/* A draft without From gets one; a signature the user removed stays
	 * removed. */
	CU_ASSERT_EQUAL(compose_set_draft(c, "To: b@x.test\n\nhi", 17, &err), 0);
	CU_ASSERT_EQUAL(compose_set_identity(c, "work", NULL, &err), 0);
	CU_ASSERT_STRING_EQUAL(compose_draft(c, NULL), "From: Ana Putri <ana@work.test>\nTo: b@x.test\n\nhi");
	compose_free(c);
}

static void test_list(void)
{
	struct identity *v;
	size_t n;

	setup();
	n = identity_list(cfg, &v);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(cfg_account_name(v[0].acct), "home");
	CU_ASSERT_STRING_EQUAL(v[0].addr, "ana@home.test");
	CU_ASSERT_STRING_EQUAL(cfg_account_name(v[1].acct), "work");
	CU_ASSERT_STRING_EQUAL(v[1].addr, "ana@work.test");
	CU_ASSERT_STRING_EQUAL(cfg_account_name(v[2].acct), "work");
	CU_ASSERT_STRING_EQUAL(v[2].addr, "sales@shop.test");
	identity_list_free(v, n);
	CU_ASSERT_EQUAL(identity_list(NULL, &v), 0);
	CU_ASSERT_PTR_NULL(v);
}

static int cleanup(void)
{
	cfg_free(cfg);
	cfg = NULL;
	tutil_rmtree();
	return 0;
}

void suite_identity(void)
{
	CU_pSuite s = CU_add_suite("identity", NULL, cleanup);

	CU_add_test(s, "To, Cc, Delivered-To, X-Original-To; aliases", test_match_order);
	CU_add_test(s, "reply and forward from the identity written to", test_reply_identity);
	CU_add_test(s, "send from an alias through its account", test_send_from_alias);
	CU_add_test(s, "pick another identity", test_set_identity);
	CU_add_test(s, "the identities to pick from", test_list);
}
