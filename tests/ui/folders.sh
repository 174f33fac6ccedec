#!/bin/sh
# Folder work in an account: F flags, d marks and $ expunges to the
# trash_folder, s moves to a new folder (created after asking), c changes
# folder with Tab completion, q asks to expunge what is still marked.
. "$(dirname "$0")/lib.sh"

demo_config "trash_folder = Trash"
deliver_demo "$T/Mail/INBOX"

ui_start
wait_for 'INBOX \[Msgs:3'
keys F
wait_for '^NF  2026-11-25 Cron'
ls "$T/Mail/INBOX/cur" | grep -q ':2,F$' || fail "flag not stored"
ok "F flags"

keys d
wait_for 'Del:1'
keys '$'
wait_for '1 message moved to the trash'
wait_for 'INBOX \[Msgs:2'
[ "$(count Trash)" -eq 1 ] && [ "$(count INBOX)" -eq 2 ] || fail "expunge did not move to Trash"
ok "d and \$ move to the trash folder"

keys s
wait_for '^Move to folder:'
keys Archive Enter
wait_for 'Create folder .*Archive\?'
keys y
wait_for 'moved to Archive'
[ "$(count Archive)" -eq 1 ] && [ "$(count INBOX)" -eq 1 ] || fail "move did not happen"
ok "s moves to a new folder"

keys c
wait_for '^Open folder:'
keys Ar Tab
wait_for '^Open folder: Archive'
keys Enter
wait_for 'surel: Archive \[Msgs:1'
ok "c with Tab completion changes folder"

keys d q
wait_for 'Expunge 1 marked message\?'
keys y
wait_for '^SUREL-EXIT 0'
[ "$(count Archive)" -eq 0 ] && [ "$(count Trash)" -eq 2 ] || fail "quit did not expunge"
ok "q expunges after asking"

# Without a trash_folder line the default Trash is used; ^C does not end
# surel; s with a nested name makes a folder of the account, not a
# directory where surel was started.
ui_stop
rm -rf "$T/Mail"
demo_config
deliver_demo "$T/Mail/INBOX"
ui_start
wait_for 'INBOX \[Msgs:3'
# SIGINT to surel alone (a ^C in the pane would also end the wrapper
# script, which a real shell would not do).
pid=$(surel_pid)
kill -INT "$pid"
keys d '$'
wait_for '1 message moved to the trash|^SUREL-EXIT' "surel after SIGINT"
grep -q '^SUREL-EXIT' "$T/screen" && fail "SIGINT ended surel: $(cat "$T/screen")"
kill -0 "$pid" 2> /dev/null || fail "SIGINT ended surel: $(screen)"
[ "$(count Trash)" -eq 1 ] || fail "the default Trash was not used: $(ls "$T/Mail")"
keys s
wait_for '^Move to folder:'
keys lists/dev Enter
wait_for 'Create folder .*lists/dev\?'
keys y
wait_for 'moved to lists/dev'
[ "$(count lists/dev)" -eq 1 ] && [ ! -e "$T/lists" ] || fail "lists/dev not made in the account: $(ls "$T" "$T/Mail")"
keys q
wait_for '^SUREL-EXIT 0'
ok "default Trash; ^C does not quit; s lists/dev makes a nested folder of the account"
