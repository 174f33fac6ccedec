bin_PROGRAMS += spool/spool
noinst_LIBRARIES += spool/libspool.a
spool_libspool_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(ETPAN_CFLAGS) $(GNUTLS_CFLAGS) $(SQLITE_CFLAGS)
spool_libspool_a_SOURCES = \
	spool/view.c spool/view.h \
	spool/source.c spool/source.h \
	spool/fetchstate.c spool/fetchstate.h \
	spool/imap.c spool/imap.h \
	spool/pop3.c spool/pop3.h \
	spool/fetch.c spool/fetch.h \
	spool/watch.c spool/watch.h \
	spool/watchall.c spool/watchall.h \
	spool/syncstate.c spool/syncstate.h \
	spool/syncstamp.c spool/syncstamp.h \
	spool/syncimap.c spool/syncimap.h \
	spool/sync.c spool/sync.h \
	spool/syncstatus.c spool/syncstatus.h \
	spool/index.c spool/index.h \
	spool/index_cache.c spool/index_cache.h
spool_libspool_a_SOURCES += spool/mda.c spool/mda.h
# The full-text index over every folder (SQLite FTS5) and its commands.
spool_libspool_a_SOURCES += spool/search.c spool/search.h spool/search_text.c spool/search_text.h \
	spool/search_query.c spool/search_query.h spool/search_cli.c spool/search_cli.h
spool_spool_SOURCES = spool/main.c
spool_spool_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
spool_spool_LDADD = spool/libspool.a $(SUREL_LIBS) $(GPGME_LIBS) $(SQLITE_LIBS)
EXTRA_DIST += contrib/systemd/spool-fetch.service contrib/systemd/spool-fetch.timer
