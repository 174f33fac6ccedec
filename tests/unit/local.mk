# One CUnit suite per module; tests/unit/main.c is the shared runner
# ('-s SUITE' runs one suite).
UNIT_LDADD = mua/libmua.a spool/libspool.a sendq/libsendq.a $(SUREL_LIBS) $(GPGME_LIBS) $(SQLITE_LIBS) $(CURL_LIBS) $(CUNIT_LIBS) $(NCURSES_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/spool -I$(top_srcdir)/sendq -I$(top_srcdir)/mua $(CUNIT_CFLAGS) $(JANSSON_CFLAGS) $(NCURSES_CFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/data"'
check_PROGRAMS += tests/unit/unit
tests_unit_unit_CFLAGS = $(UNIT_CFLAGS)
tests_unit_unit_LDADD = $(UNIT_LDADD)
tests_unit_unit_SOURCES = \
	tests/unit/main.c tests/unit/suites.h tests/unit/tutil.c tests/unit/tutil.h \
	tests/unit/test_buf.c \
	tests/unit/test_strv.c \
	tests/unit/test_afile.c \
	tests/unit/test_cfg.c \
	tests/unit/test_path.c \
	tests/unit/test_pwcmd.c \
	tests/unit/test_abook.c \
	tests/unit/test_codec.c \
	tests/unit/test_msg.c \
	tests/unit/test_maildir.c \
	tests/unit/test_mbox.c \
	tests/unit/test_view.c \
	tests/unit/test_tls.c \
	tests/unit/test_queue.c \
	tests/unit/test_enqueue.c \
	tests/unit/test_fetchstate.c \
	tests/unit/test_batch.c \
	tests/unit/test_index.c \
	tests/unit/test_summary.c \
	tests/unit/test_compose.c \
	tests/unit/test_thread.c \
	tests/unit/test_pattern.c \
	tests/unit/test_sort.c \
	tests/unit/test_relay.c \
	tests/unit/test_bounce.c \
	tests/unit/test_flush.c \
	tests/unit/test_worker.c
TESTS += tests/unit/unit
tests_unit_unit_SOURCES += tests/unit/test_rules.c
tests_unit_unit_SOURCES += tests/unit/test_colorspec.c
tests_unit_unit_SOURCES += tests/unit/test_mailcap.c tests/unit/test_html.c
tests_unit_unit_SOURCES += tests/unit/test_search.c
tests_unit_unit_SOURCES += tests/unit/test_bodysearch.c
tests_unit_unit_SOURCES += tests/unit/test_idxhint.c tests/unit/test_proc.c
tests_unit_unit_SOURCES += tests/unit/test_err.c
tests_unit_unit_SOURCES += tests/unit/test_fetch.c
tests_unit_unit_SOURCES += tests/unit/test_mutf7.c
tests_unit_unit_SOURCES += tests/unit/test_flowed.c
tests_unit_unit_SOURCES += tests/unit/test_mda.c
tests_unit_unit_SOURCES += tests/unit/test_addr.c tests/unit/test_date.c
tests_unit_unit_SOURCES += tests/unit/test_identity.c tests/unit/test_mailto.c
tests_unit_unit_SOURCES += tests/unit/test_oauth2.c
tests_unit_unit_SOURCES += tests/unit/test_keymap.c
tests_unit_unit_SOURCES += tests/unit/test_autocrypt.c
tests_unit_unit_SOURCES += tests/unit/test_weed.c
tests_unit_unit_SOURCES += tests/unit/test_crypto.c tests/unit/test_cryptomsg.c
tests_unit_unit_SOURCES += tests/unit/test_track.c
tests_unit_unit_SOURCES += tests/unit/test_syncstate.c tests/unit/test_sync.c tests/unit/test_syncstamp.c
tests_unit_unit_SOURCES += tests/unit/test_syncstatus.c
