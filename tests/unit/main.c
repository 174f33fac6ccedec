/*
 * The unit test runner: registers every suite from suites.h and runs them,
 * or only the one named with '-s SUITE'.  Exit status is non-zero when any
 * test failed, so make check reports it.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
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
	{ "sort", suite_sort },
	{ "relay", suite_relay },
	{ "bounce", suite_bounce },
	{ "flush", suite_flush },
	{ "worker", suite_worker },
	{ "rules", suite_rules },
	{ "colorspec", suite_colorspec },
	{ "mailcap", suite_mailcap },
	{ "html", suite_html },
	{ "search", suite_search },
	{ "bodysearch", suite_bodysearch },
	{ "idxhint", suite_idxhint },
	{ "proc", suite_proc },
	{ "weed", suite_weed },
	{ "err", suite_err },
	{ "fetch", suite_fetch },
	{ "mutf7", suite_mutf7 },
	{ "flowed", suite_flowed },
	{ "mda", suite_mda },
	{ "oauth2", suite_oauth2 },
	{ "keymap", suite_keymap },
	{ "crypto", suite_crypto },
	{ "cryptomsg", suite_cryptomsg },
	{ "track", suite_track },
	{ "autocrypt", suite_autocrypt },
	{ "syncstate", suite_syncstate },
	{ "syncstamp", suite_syncstamp },
	{ "sync", suite_sync },
	{ "syncstatus", suite_syncstatus },
};

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int main(int argc, char **argv)
{
	char state[] = "/tmp/surel-unit-state-XXXXXX", path[sizeof(state) + 32];
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
	/* Delivery records and journal lines the suites make go to a
	 * directory of their own, never the user's state directory. */
	if (!mkdtemp(state)) {
		perror("mkdtemp");
		return 70;
	}
	snprintf(path, sizeof(path), "%s/track", state);
	setenv("SUREL_TRACK", path, 1);
	snprintf(path, sizeof(path), "%s/events.jsonl", state);
	setenv("SUREL_EVENTS", path, 1);
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
	nftw(state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
