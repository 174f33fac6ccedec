/*
 * suites: every CUnit suite of tests/unit, one per module.  Each
 * suite_<module>() adds its suite and tests to the CUnit registry.
 */
#ifndef SUREL_TEST_SUITES_H
#define SUREL_TEST_SUITES_H

void suite_buf(void);
void suite_strv(void);
void suite_afile(void);
void suite_cfg(void);
void suite_path(void);
void suite_pwcmd(void);
void suite_abook(void);
void suite_codec(void);
void suite_msg(void);
void suite_addr(void);
void suite_date(void);
void suite_maildir(void);
void suite_mbox(void);
void suite_view(void);
void suite_tls(void);
void suite_queue(void);
void suite_enqueue(void);
void suite_fetchstate(void);
void suite_batch(void);
void suite_index(void);
void suite_summary(void);
void suite_compose(void);
void suite_identity(void);
void suite_mailto(void);
void suite_thread(void);
void suite_pattern(void);
void suite_sort(void);
void suite_relay(void);
void suite_bounce(void);
void suite_flush(void);
void suite_worker(void);
void suite_rules(void);
void suite_colorspec(void);
void suite_mailcap(void);
void suite_html(void);
void suite_search(void);
void suite_bodysearch(void);
void suite_idxhint(void);
void suite_proc(void);
void suite_weed(void);
void suite_err(void);
void suite_crypto(void);
void suite_cryptomsg(void);
void suite_fetch(void);
void suite_mutf7(void);
void suite_flowed(void);
void suite_mda(void);
void suite_oauth2(void);
void suite_keymap(void);
void suite_track(void);
void suite_autocrypt(void);

void suite_syncstate(void);
void suite_syncstamp(void);
void suite_sync(void);
void suite_syncstatus(void);

#endif
