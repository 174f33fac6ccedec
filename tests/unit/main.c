/*
 * The unit test runner: registers every suite from suites.h and runs them,
 * or only the one named with '-s SUITE'.  Exit status is non-zero when any
 * test failed, so make check reports it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "suites.h"

static const struct {
	const char *name;
	void (*add)(void);
} suites[] = {
	{ "buf", suite_buf },
	{ "strv", suite_strv },
	{ "afile", suite_afile },
	{ "cfg", suite_cfg },
	{ "path", suite_path },
	{ "pwcmd", suite_pwcmd },
	{ "abook", suite_abook },
	{ "codec", suite_codec },
	{ "msg", suite_msg },
	{ "addr", suite_addr },
	{ "date", suite_date },
	{ "maildir", suite_maildir },
	{ "mbox", suite_mbox },
	{ "view", suite_view },
	{ "tls", suite_tls },
	{ "queue", suite_queue },
	{ "enqueue", suite_enqueue },
	{ "fetchstate", suite_fetchstate },
	{ "batch", suite_batch },
	{ "index", suite_index },
	{ "summary", suite_summary },
	{ "compose", suite_compose },
	{ "identity", suite_identity },
	{ "mailto", suite_mailto },
	{ "thread", suite_thread },
	{ "pattern", suite_pattern },
	{ "relay", suite_relay },
	{ "bounce", suite_bounce },
	{ "flush", suite_flush },
	{ "worker", suite_worker },
	{ "rules", suite_rules },
	{ "colorspec", suite_colorspec },
	{ "mailcap", suite_mailcap },
	{ "html", suite_html },
	{ "bodysearch", suite_bodysearch },
	{ "err", suite_err },
	{ "fetch", suite_fetch },
	{ "mutf7", suite_mutf7 },
	{ "flowed", suite_flowed },
	{ "mda", suite_mda },
	{ "oauth2", suite_oauth2 },
	{ "keymap", suite_keymap },
	{ "syncstate", suite_syncstate },
	{ "sync", suite_sync },
	{ "syncstatus", suite_syncstatus },
};

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned failed;
	size_t i;
	int found = 0;

	if (argc == 3 && strcmp(argv[1], "-s") == 0) {
		only = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: unit [-s SUITE]\n");
		return 64;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 70;
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (only && strcmp(only, suites[i].name))
			continue;
		suites[i].add();
		found = 1;
	}
	if (!found) {
		fprintf(stderr, "unit: no suite '%s'\n", only);
		CU_cleanup_registry();
		return 64;
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
