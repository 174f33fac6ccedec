#!/bin/sh
# spool sync against a real, private Dovecot with CONDSTORE and QRESYNC:
# first sync both ways, special-use and non-ASCII folders, flags, removals
# and new messages on either side (the server changed by imaplib, the
# Maildir by a mail reader's renames), the mass-deletion guard, --dry-run
# and --json.
. "$(dirname "$0")/sync-lib.sh"

dc_put 5 S
dc_put 3 ""
peer create "Entwürfe"
peer create "Projekte/日本語"
peer append "Entwürfe" 2 D
peer append "Projekte/日本語" 3 F
peer append "Sent Messages" 2 S
expect_exit 0 "$SPOOL" -v sync
agree "first sync"
[ -d "$M/Sent/cur" ] && [ -d "$M/Entwürfe/cur" ] && [ -d "$M/Projekte/日本語/cur" ] ||
	fail "folders not mapped: $(ls -R "$M" | head -20)"
ok "first sync: special-use Sent, UTF-8 and nested folder names"

expect_exit 0 "$SPOOL" -v sync
grep -q " 0 in, 0 out" "$T/err" || fail "second sync changed something: $(cat "$T/err")"
ok "a second sync changes nothing"
