# libFuzzer targets, built only with configure --enable-fuzzing (CC=clang);
# tests/fuzz/run.sh runs them (see README).  Each target is one file,
# tests/fuzz/fuzz_NAME.c; seeds are in tests/fuzz/seeds/NAME/ (fuzz_msg
# starts from tests/data/corpus), crash inputs kept as regression cases in
# tests/data/fuzz-crashes/NAME/.
FUZZ_TARGETS = tests/fuzz/fuzz_msg tests/fuzz/fuzz_codec tests/fuzz/fuzz_cfg \
	tests/fuzz/fuzz_queue_env tests/fuzz/fuzz_smtp_reply tests/fuzz/fuzz_fetchstate \
	tests/fuzz/fuzz_index_cache tests/fuzz/fuzz_mbox
FUZZ_TARGETS += tests/fuzz/fuzz_mutf7 tests/fuzz/fuzz_mailto tests/fuzz/fuzz_abook
FUZZ_TARGETS += tests/fuzz/fuzz_flowed
FUZZ_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/spool -I$(top_srcdir)/sendq $(JANSSON_CFLAGS)
FUZZ_LDADD = spool/libspool.a sendq/libsendq.a $(SUREL_LIBS) $(GPGME_LIBS) $(CURL_LIBS)
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
if FUZZING
noinst_PROGRAMS += $(FUZZ_TARGETS)
endif
tests_fuzz_fuzz_msg_SOURCES = tests/fuzz/fuzz_msg.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_msg_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_msg_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_msg_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_codec_SOURCES = tests/fuzz/fuzz_codec.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_codec_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_codec_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_codec_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cfg_SOURCES = tests/fuzz/fuzz_cfg.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_cfg_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_cfg_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_cfg_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_queue_env_SOURCES = tests/fuzz/fuzz_queue_env.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_queue_env_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_queue_env_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_queue_env_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_smtp_reply_SOURCES = tests/fuzz/fuzz_smtp_reply.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_smtp_reply_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_smtp_reply_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_smtp_reply_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_fetchstate_SOURCES = tests/fuzz/fuzz_fetchstate.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_fetchstate_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_fetchstate_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_fetchstate_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_index_cache_SOURCES = tests/fuzz/fuzz_index_cache.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_index_cache_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_index_cache_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_index_cache_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_mbox_SOURCES = tests/fuzz/fuzz_mbox.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_mbox_CFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/mua
tests_fuzz_fuzz_mbox_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_mbox_LDADD = mua/libmua.a $(FUZZ_LDADD)
tests_fuzz_fuzz_mutf7_SOURCES = tests/fuzz/fuzz_mutf7.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_mutf7_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_mutf7_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_mutf7_LDADD = $(FUZZ_LDADD)
# Not tests/fuzz itself: in a VPATH build it also holds build output.
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/mkseeds.py tests/fuzz/seeds
tests_fuzz_fuzz_mailto_SOURCES = tests/fuzz/fuzz_mailto.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_mailto_CFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/mua
tests_fuzz_fuzz_mailto_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_mailto_LDADD = mua/libmua.a $(FUZZ_LDADD)
tests_fuzz_fuzz_abook_SOURCES = tests/fuzz/fuzz_abook.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_abook_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_abook_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_abook_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_flowed_SOURCES = tests/fuzz/fuzz_flowed.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_flowed_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_flowed_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_flowed_LDADD = $(FUZZ_LDADD)
FUZZ_TARGETS += tests/fuzz/fuzz_dsnparse
tests_fuzz_fuzz_dsnparse_SOURCES = tests/fuzz/fuzz_dsnparse.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_dsnparse_CFLAGS = $(FUZZ_CFLAGS)
tests_fuzz_fuzz_dsnparse_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_dsnparse_LDADD = $(FUZZ_LDADD)
