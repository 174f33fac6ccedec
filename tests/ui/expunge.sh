#!/bin/sh
# Leaving a folder with messages marked for deletion: q and c ask to
# expunge (y/n/Esc), Esc stays in the folder, and an expunge that fails
# keeps surel running with the error on the screen.
. "$(dirname "$0")/lib.sh"

demo_config "trash_folder = Trash"
deliver_demo "$T/Mail/INBOX"
mkdir -p "$T/Mail/Archive/cur" "$T/Mail/Archive/new" "$T/Mail/Archive/tmp"
# A file where the trash folder would be made: the expunge cannot work.
echo "not a folder" > "$T/Mail/Trash"

ui_start
wait_for 'INBOX \[Msgs:3'
keys d q
wait_for 'Expunge 1 marked message\? \(y/n/Esc\)'
keys Escape
wait_gone 'Expunge 1 marked'
wait_for 'Del:1'
screen | grep -q 'SUREL-EXIT' && fail "Esc at the expunge question quit"
ok "Esc at the expunge question cancels the quit"

keys q
wait_for 'Expunge 1 marked message\?'
keys y
wait_for 'cannot create directory.*Trash'
screen | grep -q 'SUREL-EXIT' && fail "quit despite a failed expunge"
[ "$(count INBOX)" -eq 3 ] || fail "a message went missing"
ok "a failed expunge on quit is shown and surel stays"

keys c
wait_for '^Open folder:'
keys Archive Enter
wait_for 'Expunge 1 marked message\?'
keys Escape
wait_gone 'Expunge 1 marked'
wait_for 'INBOX \[Msgs:3'
keys c
wait_for '^Open folder:'
keys Archive Enter
wait_for 'Expunge 1 marked message\?'
keys n
wait_for 'surel: Archive \[Msgs:0'
[ "$(count INBOX)" -eq 3 ] || fail "n expunged"
ok "c asks before dropping marks (Esc stays, n keeps the messages)"

keys q
wait_for '^SUREL-EXIT 0'
