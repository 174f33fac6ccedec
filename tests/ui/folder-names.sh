#!/bin/sh
# Folder names typed at s and c stay inside the account's mail directory:
# a name with '..' components is refused, nothing is created or opened
# outside it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account demo]
address = demo@example.test
maildir = $T/Mail/demo
CFG
deliver_demo "$T/Mail/demo/INBOX"
mkdir -p "$T/Mail/work/INBOX/cur" "$T/Mail/work/INBOX/new" "$T/Mail/work/INBOX/tmp"

ui_start
wait_for 'INBOX \[Msgs:3'
keys s
wait_for '^Move to folder:'
keys 'x/../../../../escaped' Enter
wait_for "is not a folder name"
[ ! -e "$T/escaped" ] && [ ! -e "$T/Mail/escaped" ] && [ ! -e "$T/Mail/demo/x" ] ||
	fail "a folder was made outside the account"
ok "s refuses a name with .. components"

keys c
wait_for '^Open folder:'
keys 'lists/../../work/INBOX' Enter
wait_for "is not a folder name"
wait_for 'INBOX \[Msgs:3'
ok "c refuses a name with .. components"
keys q
wait_for '^SUREL-EXIT 0'
