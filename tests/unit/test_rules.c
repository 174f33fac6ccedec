#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <CUnit/CUnit.h>

#include "cfg.h"
#include "err.h"
#include "rules.h"
#include "suites.h"
#include "tutil.h"
#include "xalloc.h"

static void test_check(void)
{
	static const char *const good[] = {
		"List-Id ~ dev\\.lists\\.example -> Lists/dev",
		"From ~ @bank\\.example -> Bank",
		"Subject ~ ^\\[SPAM\\] -> Junk",
		"  X-Spam-Flag~YES->Junk  ",
		"Subject ~ a->b -> Arrows",
		"To !~ me@example\\.org -> Elsewhere",
		"Subject ~ ^(re|fwd?): *(x{1,50}|[]a{}+*]+){2}$ -> Big",
		"Subject ~ a{,5}b{3,}c -> Braces",
	};
	static const char *const bad[] = {
		"",
		"~ x -> F",
		"Subject x -> F",
		"Subject ~ x",
		"Subject ~ -> F",
		"Subject ~ x -> ",
		"Subject ~ (x -> F",
		"Subject ~ x -> /abs",
		"Subject ~ x -> a/../b",
		"Subject ~ x -> .hidden",
		"Subject ~ x -> a//b",
		"Sub:ject ~ x -> F",
		/* regcomp() would take gigabytes (tests/data/fuzz-crashes/cfg). */
		"Subject ~ ^  \\[++++++++++++++++++++++++++++++++spam\\] -> Junk",
		"Subject ~ ((a{99}){99}){99} -> F",
		"Subject ~ ((a{,99}){,99}){99,} -> F",
		"Subject ~ (((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))) -> F",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct err err = ERR_INIT;

		CU_ASSERT_EQUAL(rules_check(good[i], &err), 0);
		if (err.code)
			fprintf(stderr, "\n'%s': %s\n", good[i], err.msg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;

		CU_ASSERT_EQUAL(rules_check(bad[i], &err), -1);
		CU_ASSERT_EQUAL(err.code, EX_CONFIG);
		CU_ASSERT(err.msg[0] != '\0');
	}
}

static const char mail_list[] =
	"From: Dev Bot <bot@lists.example>\r\n"
	"To: ana@example.org\r\n"
	"List-Id: Developers <dev.lists.example>\r\n"
	"Subject: =?UTF-8?Q?=5BSPAM=5D_caf=C3=A9?=\r\n"
	"\r\n"
	"From: someone@bank.example\r\n";

static const char mail_bank[] =
	"Received: from a\n"
	"Received: from b\n"
	"From: Bank <NOREPLY@BANK.EXAMPLE>\n"
	"Subject: statement\n"
	"\n"
	"body\n";

static struct rules *three(void)
{
	struct rules *r = rules_new();
	struct err err = ERR_INIT;

	CU_ASSERT_EQUAL(rules_add(r, "List-Id ~ dev\\.lists\\.example -> Lists/dev", &err), 0);
	CU_ASSERT_EQUAL(rules_add(r, "From ~ @bank\\.example -> Bank", &err), 0);
	CU_ASSERT_EQUAL(rules_add(r, "Subject ~ ^\\[SPAM\\] -> Junk", &err), 0);
	CU_ASSERT_EQUAL(rules_count(r), 3);
	return r;
}

static void test_match(void)
{
	struct rules *r = three();
	const char *hit;

	/* First match wins; the body's From: line is not a header. */
	hit = rules_match_data(r, mail_list, strlen(mail_list));
	CU_ASSERT_STRING_EQUAL(hit ? hit : "(none)", "Lists/dev");
	/* Case-insensitive regex and header name, LF line ends. */
	hit = rules_match_data(r, mail_bank, strlen(mail_bank));
	CU_ASSERT_STRING_EQUAL(hit ? hit : "(none)", "Bank");
	CU_ASSERT_PTR_NULL(rules_match_data(r, "Subject: hi\n\nx\n", 15));
	CU_ASSERT_PTR_NULL(rules_match_data(r, "", 0));
	CU_ASSERT_STRING_EQUAL(rules_folder_at(r, 2), "Junk");
	CU_ASSERT_PTR_NULL(rules_folder_at(r, 3));
	rules_free(r);
}

static void test_decoded_and_any_field(void)
{
	struct rules *r = rules_new();
	struct err err = ERR_INIT;
	const char *hit;

	/* The Subject is matched decoded: "[SPAM] café". */
	CU_ASSERT_EQUAL(rules_add(r, "Subject ~ ^\\[SPAM\\] caf\xc3\xa9$ -> Junk", &err), 0);
	hit = rules_match_data(r, mail_list, strlen(mail_list));
	CU_ASSERT_STRING_EQUAL(hit ? hit : "(none)", "Junk");
	rules_free(r);

	/* Any Received field may match, not only the first. */
	r = rules_new();
	CU_ASSERT_EQUAL(rules_add(r, "received ~ from b$ -> B", &err), 0);
	hit = rules_match_data(r, mail_bank, strlen(mail_bank));
	CU_ASSERT_STRING_EQUAL(hit ? hit : "(none)", "B");
	rules_free(r);
}

static void test_negate(void)
{
	struct rules *r = rules_new();
	struct err err = ERR_INIT;
	const char *hit;

	CU_ASSERT_EQUAL(rules_add(r, "To !~ ana@example\\.org -> NotMe", &err), 0);
	CU_ASSERT_PTR_NULL(rules_match_data(r, mail_list, strlen(mail_list)));
	/* No To at all: nothing matches, so "!~" does. */
	hit = rules_match_data(r, mail_bank, strlen(mail_bank));
	CU_ASSERT_STRING_EQUAL(hit ? hit : "(none)", "NotMe");
	rules_free(r);
}

static void test_head_complete(void)
{
	CU_ASSERT_FALSE(rules_head_complete("", 0));
	CU_ASSERT_FALSE(rules_head_complete("From: a\r\nTo: b\r\n", 16));
	CU_ASSERT_TRUE(rules_head_complete("From: a\r\n\r\n", 11));
	CU_ASSERT_TRUE(rules_head_complete("From: a\n\nbody", 13));
	CU_ASSERT_TRUE(rules_head_complete("\nbody", 5));
	CU_ASSERT_TRUE(rules_head_complete("\r\nbody", 6));
}

static char *cfg_path_in_tmp(void)
{
	return xasprintf("%s/config", tutil_tmpdir());
}

static struct cfg *load(const char *text, struct err *err)
{
	char *p = cfg_path_in_tmp();
	struct cfg *cfg;

	CU_ASSERT_EQUAL_FATAL(tutil_write(p, text, strlen(text)), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(p, 0600), 0);
	cfg = cfg_load(p, err);
	free(p);
	return cfg;
}

static void test_config(void)
{
	struct err err = ERR_INIT;
	struct cfg *cfg;
	const struct cfg_account *a;
	struct rules *r;

	cfg = load("[account a]\n"
		   "address = a@example.org\n"
		   "rule10 = Subject ~ ten -> Ten\n"
		   "rule2 = Subject ~ two -> Two\n"
		   "rule1 = Subject ~ one|two|ten -> One\n",
		   &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	a = cfg_account_find(cfg, "a", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(cfg_get_nth(a, "rule", 0), "Subject ~ one|two|ten -> One");
	CU_ASSERT_STRING_EQUAL(cfg_get_nth(a, "rule", 1), "Subject ~ two -> Two");
	CU_ASSERT_STRING_EQUAL(cfg_get_nth(a, "rule", 2), "Subject ~ ten -> Ten");
	CU_ASSERT_PTR_NULL(cfg_get_nth(a, "rule", 3));
	r = cfg_rules(a, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(rules_count(r), 3);
	CU_ASSERT_STRING_EQUAL(rules_folder_at(r, 0), "One");
	CU_ASSERT_STRING_EQUAL(rules_folder_at(r, 2), "Ten");
	rules_free(r);
	cfg_free(cfg);

	/* An account without rules has an empty list. */
	cfg = load("[account a]\naddress = a@example.org\n", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	r = cfg_rules(cfg_account_at(cfg, 0), &err);
	CU_ASSERT_PTR_NOT_NULL(r);
	CU_ASSERT_EQUAL(rules_count(r), 0);
	rules_free(r);
	cfg_free(cfg);
}

static void test_config_errors(void)
{
	static const struct {
		const char *text;
		const char *needle;
	} bad[] = {
		{ "[account a]\naddress = a@b.c\nrule1 = Subject ~ (x -> F\n", ":3: 'rule1': bad regular expression" },
		{ "[account a]\naddress = a@b.c\nrule1 = Subject ~ x -> F\nrule1 = To ~ y -> G\n",
		  ":4: duplicate key 'rule1'" },
		{ "[account a]\naddress = a@b.c\nrule0 = Subject ~ x -> F\n", ":3: unknown key 'rule0'" },
		{ "[account a]\naddress = a@b.c\nrule01 = Subject ~ x -> F\n", ":3: unknown key 'rule01'" },
		{ "[account a]\naddress = a@b.c\nrule = Subject ~ x -> F\n", ":3: unknown key 'rule'" },
		{ "[general]\nrule1 = Subject ~ x -> F\n", ":2: key 'rule1' belongs in [account NAME]" },
		{ "[account a]\naddress = a@b.c\nrule7 = Subject x\n", ":3: 'rule7': rule must look like" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = ERR_INIT;
		struct cfg *cfg = load(bad[i].text, &err);

		CU_ASSERT_PTR_NULL(cfg);
		cfg_free(cfg);
		CU_ASSERT_EQUAL(err.code, EX_CONFIG);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].needle));
		if (!strstr(err.msg, bad[i].needle))
			fprintf(stderr, "\nwanted '%s' in '%s'\n", bad[i].needle, err.msg);
	}
}

static int cleanup(void)
{
	tutil_rmtree();
	return 0;
}

void suite_rules(void)
{
	CU_pSuite s = CU_add_suite("rules", NULL, cleanup);

	CU_add_test(s, "rule syntax, valid and invalid", test_check);
	CU_add_test(s, "first match wins", test_match);
	CU_add_test(s, "decoded values, any field of the name", test_decoded_and_any_field);
	CU_add_test(s, "!~ and absent headers", test_negate);
	CU_add_test(s, "end of the header block", test_head_complete);
	CU_add_test(s, "rules from the config, in number order", test_config);
	CU_add_test(s, "config errors name file, line and key", test_config_errors);
}
