noinst_LIBRARIES += lib/libsurel.a
lib_libsurel_a_CFLAGS = $(AM_CFLAGS) $(ETPAN_CFLAGS) $(JANSSON_CFLAGS) $(INIH_CFLAGS) $(GNUTLS_CFLAGS) $(CURL_CFLAGS) $(GPGME_CFLAGS) $(SQLITE_CFLAGS)
lib_libsurel_a_SOURCES = \
	lib/err.c lib/err.h \
	lib/xalloc.c lib/xalloc.h \
	lib/buf.c lib/buf.h \
	lib/strv.c lib/strv.h \
	lib/log.c lib/log.h \
	lib/out.c lib/out.h \
	lib/path.c lib/path.h \
	lib/afile.c lib/afile.h \
	lib/cfg.c lib/cfg.h \
	lib/colorspec.c lib/colorspec.h \
	lib/sortspec.c lib/sortspec.h \
	lib/pwcmd.c lib/pwcmd.h \
	lib/codec.c lib/codec.h \
	lib/msg.c lib/msg.h \
	lib/summary.c lib/summary.h \
	lib/maildir.c lib/maildir.h \
	lib/batch.c lib/batch.h \
	lib/tls.c lib/tls.h \
	lib/worker.c lib/worker.h

# What every program and test links to use lib/.  GPGME_LIBS and
# SQLITE_LIBS are added only where crypto or search is used, so the small
# programs (the sendmail front) do not load them at start.
SUREL_LIBS = lib/libsurel.a $(ETPAN_LIBS) $(JANSSON_LIBS) $(INIH_LIBS) $(GNUTLS_LIBS) $(CURL_LIBS)

# Filing rules (rule1, rule2, ... of an account), used by spool deliver and fetch.
lib_libsurel_a_SOURCES += lib/rules.c lib/rules.h

# Modified UTF-7 mailbox names (IMAP), used by fetch.
lib_libsurel_a_SOURCES += lib/mutf7.c lib/mutf7.h

# format=flowed text (RFC 3676), used by the pager and compose of surel.
lib_libsurel_a_SOURCES += lib/flowed.c lib/flowed.h

# The address book: aliases, addresses learned from mail, address_cmd.
lib_libsurel_a_SOURCES += lib/abook.c lib/abook.h lib/abook_src.c lib/abook_internal.h

# Addresses, dates and MIME parameters: the seams of the message model,
# also used on their own by sendq and the MUA when they write mail.
lib_libsurel_a_SOURCES += lib/ascii.h lib/addr.c lib/addr.h lib/date.c lib/date.h lib/param.c lib/param.h
# OAuth2 tokens (auth = oauth2): sign-in, store, refresh; libcurl and jansson.
lib_libsurel_a_SOURCES += lib/oauth2.c lib/oauth2.h
# OpenPGP through GPGME: context, verify, decrypt (link $(GPGME_LIBS)).
lib_libsurel_a_SOURCES += lib/crypto.c lib/crypto.h lib/cryptomsg.c lib/cryptomsg.h
# The event journal (every program) and delivery tracking: the record
# store (sendq, spool) and the reader of delivery reports.
lib_libsurel_a_SOURCES += lib/events.c lib/events.h lib/track.c lib/track.h lib/dsnparse.c lib/dsnparse.h
# PGP/MIME writing and Autocrypt (GPGME): programs using them add $(GPGME_LIBS).
lib_libsurel_a_SOURCES += lib/pgpmime.c lib/pgpmime.h lib/autocrypt.c lib/autocrypt.h

# HTML reduced to text: the pager's fallback, and what the search index reads.
lib_libsurel_a_SOURCES += lib/html.c lib/html.h

# The search index kept current by the writers of mail: they start
# `spool index --background`, found beside them, on $PATH or in bindir.
lib_libsurel_a_SOURCES += lib/idxhint.c lib/idxhint.h
lib_libsurel_a_CFLAGS += -DBINDIR='"$(bindir)"'
