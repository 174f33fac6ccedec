noinst_LIBRARIES += lib/libsurel.a
lib_libsurel_a_CFLAGS = $(AM_CFLAGS) $(ETPAN_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS) $(GNUTLS_CFLAGS) $(CURL_CFLAGS)
lib_libsurel_a_SOURCES = \
	lib/err.c lib/err.h \
	lib/xalloc.c lib/xalloc.h \
	lib/buf.c lib/buf.h \
	lib/log.c lib/log.h \
	lib/out.c lib/out.h \
	lib/path.c lib/path.h \
	lib/afile.c lib/afile.h \
	lib/cfg.c lib/cfg.h \
	lib/colorspec.c lib/colorspec.h \
	lib/pwcmd.c lib/pwcmd.h \
	lib/codec.c lib/codec.h \
	lib/msg.c lib/msg.h \
	lib/maildir.c lib/maildir.h \
	lib/batch.c lib/batch.h \
	lib/tls.c lib/tls.h \
	lib/worker.c lib/worker.h

# What every program and test links to use lib/.
SUREL_LIBS = lib/libsurel.a $(ETPAN_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(GNUTLS_LIBS) $(CURL_LIBS)

# Filing rules (rule1, rule2, ... of an account), used by spool deliver and fetch.
lib_libsurel_a_SOURCES += lib/rules.c lib/rules.h

# Modified UTF-7 mailbox names (IMAP), used by fetch.
lib_libsurel_a_SOURCES += lib/mutf7.c lib/mutf7.h

# OAuth2 tokens (auth = oauth2): sign-in, store, refresh; libcurl and jansson.
lib_libsurel_a_SOURCES += lib/oauth2.c lib/oauth2.h
