#!/bin/sh
# The folder list (y, and ? at the c prompt): every folder with its
# message and unread counts from the directory listings; Enter opens.
. "$(dirname "$0")/lib.sh"

demo_config
deliver_demo "$T/Mail/INBOX"
deliver_demo "$T/Mail/Archive"
"$SPOOL" deliver "$T/Mail/lists/dev" < "$DATA/demo/01-welcome.eml"
# Archive: one read in cur/, one unread in cur/, one still in new/.
set -- "$T"/Mail/Archive/new/*
mv "$1" "$T/Mail/Archive/cur/$(basename "$1"):2,S"
mv "$2" "$T/Mail/Archive/cur/$(basename "$2"):2,F"
mkdir -p "$T/Mail/Empty/new" "$T/Mail/Empty/cur" "$T/Mail/Empty/tmp"

ui_start
wait_for 'surel: INBOX \[Msgs:3'
keys y
wait_for 'folders: 4, 7 messages, 6 unread' "the folder list"
grep -Eq '^N INBOX +3 +3$' "$T/screen" || fail "INBOX row: $(cat "$T/screen")"
grep -Eq '^N Archive +3 +2$' "$T/screen" || fail "Archive row: $(cat "$T/screen")"
grep -Eq '^  Empty +0 +0$' "$T/screen" || fail "Empty row: $(cat "$T/screen")"
grep -Eq '^N lists/dev +1 +1$' "$T/screen" || fail "lists/dev row: $(cat "$T/screen")"
ok "y lists the folders with message and unread counts"

# The cursor starts on the current folder (INBOX, first); Archive is next.
keys j Enter
wait_for 'surel: Archive \[Msgs:3 New:2' "Enter opens the folder"
ok "Enter opens the selected folder"

keys c
wait_for '^Open folder:'
keys '?'
wait_for 'folders: 4,' "? at the folder prompt"
keys j j Enter
wait_for 'surel: lists/dev \[Msgs:1' "c ? Enter opens"
ok "c then ? lists the folders and Enter opens one"

keys y
wait_for 'folders: 4,'
keys q
wait_for 'surel: lists/dev \[Msgs:1'
keys q
wait_for '^SUREL-EXIT 0'
ok "q leaves the list without changing folder"
