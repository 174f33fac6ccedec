#!/bin/sh
# The same Maildir key in new/ and cur/ is two messages: d and $ on the one
# shown move that file to the trash, never the other.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel" "$T/Mail/INBOX/cur" "$T/Mail/INBOX/new" "$T/Mail/INBOX/tmp"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account demo]
address = demo@example.test
maildir = $T/Mail
trash_folder = Trash
CFG
key=1700000000.M1P1.host
printf 'From: a@example.test\nSubject: copy in new\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nn\n' \
	> "$T/Mail/INBOX/new/$key"
printf 'From: b@example.test\nSubject: copy in cur\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nc\n' \
	> "$T/Mail/INBOX/cur/$key:2,S"

ui_start
# The index lists a key once: here the copy in cur/.
wait_for 'INBOX \[Msgs:1'
wait_for 'copy in cur'
keys d
wait_for 'Del:1'
keys '$'
wait_for '1 message moved to the trash'
[ -e "$T/Mail/INBOX/new/$key" ] || fail "the copy in new/ was removed"
grep -q 'copy in new' "$T/Mail/INBOX/new/$key" || fail "the copy in new/ changed"
[ -z "$(ls "$T/Mail/INBOX/cur")" ] || fail "the copy in cur/ is still there: $(ls "$T/Mail/INBOX/cur")"
grep -q 'copy in cur' "$T/Mail/Trash/cur/$key"* || fail "the trash holds the wrong copy"
ok "d and \$ move the file shown, not the other with its key"
keys q
wait_for '^SUREL-EXIT 0'
