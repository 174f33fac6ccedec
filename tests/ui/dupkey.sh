#!/bin/sh
# The same Maildir key in new/ and cur/ is two messages: the index lists
# both, and d and $ on one move that file to the trash, never the other.
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
# The index lists both files of the key, each acting on its own file.
wait_for 'INBOX \[Msgs:2'
wait_for 'copy in cur'
screen | grep -q 'copy in new' || fail "the copy in new/ is not listed: $(cat "$T/screen")"
keys Enter
wait_for '^c$' "the copy in cur/ shown from its own file"
keys q
keys d
wait_for 'Del:1'
keys '$'
wait_for '1 message moved to the trash'
wait_for 'INBOX \[Msgs:1'
[ -e "$T/Mail/INBOX/new/$key" ] || fail "the copy in new/ was removed"
grep -q 'copy in new' "$T/Mail/INBOX/new/$key" || fail "the copy in new/ changed"
[ -z "$(ls "$T/Mail/INBOX/cur")" ] || fail "the copy in cur/ is still there: $(ls "$T/Mail/INBOX/cur")"
grep -q 'copy in cur' "$T/Mail/Trash/cur/$key"* || fail "the trash holds the wrong copy"
screen | grep -q 'copy in new' || fail "the copy in new/ left the index: $(cat "$T/screen")"
ok "both files of a key are listed; d and \$ move the file shown, not the other"
keys Enter
wait_for '^n$' "the copy in new/ shown from its own file"
keys q
wait_for 'INBOX \[Msgs:1 New:0\]'
[ -z "$(ls "$T/Mail/INBOX/new")" ] && [ "$(ls "$T/Mail/INBOX/cur")" = "$key:2,S" ] ||
	fail "reading the copy in new/ did not mark it read: $(ls "$T/Mail/INBOX"/*)"
keys d '$'
wait_for 'INBOX \[Msgs:0'
[ "$(ls "$T/Mail/Trash/cur" "$T/Mail/Trash/new" | grep -c '^[0-9]')" -eq 2 ] ||
	fail "the trash should hold both: $(ls -R "$T/Mail/Trash")"
grep -lq '^n$' "$T/Mail/Trash/cur/"* "$T/Mail/Trash/new/"* 2> /dev/null || fail "the copy in new/ did not reach the trash"
ok "the other one is a message of its own (moved to the trash beside the first under a new name)"
keys q
wait_for '^SUREL-EXIT 0'

# Reading the new/ file of a key that cur/ holds already with other bytes:
# marking it read would take the cur/ file's name.  No error and no file
# lost: the new/ one goes to cur/ under a fresh key.
ui_stop
rm -rf "$T/Mail/INBOX"
mkdir -p "$T/Mail/INBOX/cur" "$T/Mail/INBOX/new" "$T/Mail/INBOX/tmp"
key=1700000001.M2P2.host
printf 'From: c@example.test\nSubject: twin read\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nr\n' \
	> "$T/Mail/INBOX/cur/$key:2,S"
printf 'From: d@example.test\nSubject: twin unread\nDate: Wed, 4 Nov 2026 10:00:00 +0000\n\nu\n' \
	> "$T/Mail/INBOX/new/$key"
ui_start
wait_for 'INBOX \[Msgs:2 New:1'
keys Enter
wait_for '^u$' "the copy in new/ shown"
keys q
wait_for 'INBOX \[Msgs:2 New:0\]'
screen | grep -q 'cannot rename' && fail "marking the new/ copy read failed: $(cat "$T/screen")"
[ -z "$(ls "$T/Mail/INBOX/new")" ] || fail "the copy in new/ stayed there: $(ls "$T/Mail/INBOX/new")"
grep -q 'twin read' "$T/Mail/INBOX/cur/$key:2,S" || fail "the cur/ copy changed"
fresh=$(ls "$T/Mail/INBOX/cur" | grep -v "^$key:")
case $fresh in
*:2,S) grep -q 'twin unread' "$T/Mail/INBOX/cur/$fresh" || fail "the fresh file is not the new/ copy" ;;
*) fail "the new/ copy did not reach cur/ read under a fresh key: $(ls "$T/Mail/INBOX/cur")" ;;
esac
screen | grep -q 'twin read' || fail "the cur/ copy left the index: $(cat "$T/screen")"
ok "marking the new/ file of a key cur/ holds read keeps both (a fresh key for one)"
keys q
wait_for '^SUREL-EXIT 0'
