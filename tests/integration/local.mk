# Integration tests drive the built programs; each sources lib.sh and exits
# 77 to skip when a tool it needs (e.g. mutt) is missing.
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir top_srcdir;
TESTS += \
	tests/integration/deliver.sh \
	tests/integration/spool-cli.sh \
	tests/integration/mutt.sh \
	tests/integration/corpus.sh \
	tests/integration/sendq-enqueue.sh \
	tests/integration/sendq-relay.sh \
	tests/integration/sendq-relay-postfix.sh \
	tests/integration/fetch-imap.sh \
	tests/integration/fetch-pop3.sh \
	tests/integration/fetch-crash.sh
TESTS += tests/integration/index.sh
TESTS += tests/integration/search.sh tests/integration/search-hints.sh \
	tests/integration/search-hints-fetch.sh
TESTS += tests/integration/addresses.sh
TESTS += tests/integration/send-noninteractive.sh
TESTS += tests/integration/fetch-watch.sh tests/integration/rules.sh
TESTS += tests/integration/hostile-imap.sh tests/integration/hostile-pop3.sh tests/integration/hostile-smtp.sh
EXTRA_DIST += tests/integration/hostile-lib.sh tests/integration/postfix.sh
TESTS += tests/integration/crash-deliver.sh tests/integration/crash-mua.sh
TESTS += tests/integration/crash-diskfull.sh
TESTS += tests/integration/secrets.sh
TESTS += tests/integration/e2e-chain.sh
TESTS += tests/integration/sendq-smarthost.sh
TESTS += tests/integration/deliver-postfix.sh
TESTS += tests/integration/date-locale.sh
TESTS += tests/integration/oauth2-dovecot.sh tests/integration/oauth2-signin.sh tests/integration/oauth2.sh \
	tests/integration/oauth2-race.sh tests/integration/oauth2-secrets.sh tests/integration/oauth2-postfix.sh \
	tests/integration/oauth2-edge.sh
EXTRA_DIST += tests/integration/oauth2-lib.sh
TESTS += tests/integration/man-functions.sh
# OpenPGP reading (spool show); pgp-lib.sh makes keys and messages with gpg.
TESTS += tests/integration/pgp-read.sh tests/integration/pgp-mutt.sh
# PGP/MIME writing: surel -s --sign/--encrypt checked by gpg (throwaway GnuPG homes).
TESTS += tests/integration/pgp-write.sh
EXTRA_DIST += tests/integration/pgpw-lib.sh
EXTRA_DIST += tests/integration/pgp-lib.sh
# Delivery tracking: records, DSN, reports, delay warning, sendq wait, journal.
TESTS += tests/integration/track-postfix.sh
TESTS += tests/integration/sync.sh tests/integration/sync-plain.sh tests/integration/sync-crash.sh \
	tests/integration/sync-nouidplus.sh tests/integration/sync-moves.sh \
	tests/integration/sync-moves-nomove.sh
TESTS += tests/integration/sync-watch.sh tests/integration/sync-skip.sh tests/integration/sync-skip-plain.sh \
	tests/integration/sync-skip-esearch.sh
EXTRA_DIST += tests/integration/sync-lib.sh
TESTS += tests/integration/track-events.sh
