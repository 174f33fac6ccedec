# UI tests drive the real surel binary in tmux (send-keys, capture-pane);
# each sources tests/ui/lib.sh and skips (77) without tmux.
EXTRA_DIST += tests/ui/lib.sh
TESTS += \
	tests/ui/index.sh \
	tests/ui/sync-status.sh \
	tests/ui/thread.sh \
	tests/ui/sort.sh \
	tests/ui/tag.sh \
	tests/ui/tagcompose.sh \
	tests/ui/pipe.sh \
	tests/ui/escape.sh \
	tests/ui/resize.sh \
	tests/ui/rfc822.sh \
	tests/ui/queue.sh \
	tests/ui/reply.sh \
	tests/ui/mbox.sh \
	tests/ui/dupkey.sh \
	tests/ui/expunge.sh \
	tests/ui/folder-names.sh \
	tests/ui/folders.sh \
	tests/ui/colors.sh \
	tests/ui/compose.sh \
	tests/ui/addresses.sh \
	tests/ui/mailcap.sh \
	tests/ui/folderlist.sh \
	tests/ui/bodysearch.sh
TESTS += tests/ui/identity.sh
TESTS += tests/ui/drafts.sh
TESTS += tests/ui/editor-term.sh
TESTS += tests/ui/mailto.sh
TESTS += tests/ui/accounts.sh
TESTS += tests/ui/compose-fields.sh
TESTS += tests/ui/oauth2-status.sh
TESTS += tests/ui/flowed.sh
TESTS += tests/ui/pgp-compose.sh
TESTS += tests/ui/keys.sh
TESTS += tests/ui/pgp-neomutt.sh
TESTS += tests/ui/lists.sh
TESTS += tests/ui/patterns.sh
TESTS += tests/ui/readstate.sh
TESTS += tests/ui/pgp.sh
TESTS += tests/ui/track.sh
TESTS += tests/ui/search.sh tests/ui/search-hints.sh
