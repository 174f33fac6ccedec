#!/bin/sh
# The search index in surel: ~b answered by the index (a word prefix, in
# a folder with an index built by spool index), and X (search-all): a
# folder of the matches of every folder, from which a move and a delete
# work on each message's own file.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account home]
name = Ana
address = ana@home.test
maildir = $T/Mail
CFG
put() {
	printf 'From: %s <%s@example.test>\nTo: ana@home.test\nDate: Mon, %s Nov 2026 10:00:00 +0000\nSubject: %s\nMessage-ID: <%s@example.test>\n\n%s\n' \
		"$2" "$2" "$3" "$4" "$3" "$5" | "$SPOOL" deliver "$1"
}
put INBOX Rina 10 'inbox pelican note' 'the pelicans came back'
# 'pelic' inside a word: a substring scan would find it, the index not.
put INBOX Budi 11 'inbox other' 'nothing here but xpelicanx'
put Archive Sari 12 'archived pelican' 'an old pelican story'
put Work Eko 13 'work plan' 'plans only'
"$SPOOL" index > /dev/null

ui_start
wait_for 'surel: INBOX \[Msgs:2' "INBOX"
keys l '~b pelic' Enter
wait_for 'Msgs:2 New:2 Shown:1\]' "~b through the index"
screen | grep -q 'inbox pelican note' || fail "wrong message: $(cat "$T/screen")"
ok "~b finds a word by its prefix through the index (not inside a word)"
keys l C-u Enter
wait_for 'INBOX \[Msgs:2 New:2\]'

keys X
wait_for 'Search all folders:' "the search-all prompt"
keys 'pelican' Enter
wait_for 'search: pelican \[Msgs:2' "a folder of the matches of every folder"
screen | grep -q 'archived pelican' || fail "Archive's match missing: $(cat "$T/screen")"
screen | grep -q 'inbox pelican note' || fail "INBOX's match missing: $(cat "$T/screen")"
ok "X shows the matches of every folder"

# The cursor is on the newest (archived pelican): move it to Work.
keys s
wait_for 'Move to folder:'
keys 'Work' Enter
wait_for 'moved to Work' "move from the results"
"$SPOOL" search --json 'pelican story' > "$T/j"
grep -q '"folder": "Work"' "$T/j" || fail "not moved to Work: $(cat "$T/j")"
wait_for 'search: pelican \[Msgs:2' "still a match after the move"
ok "s moves a result into another folder"

# Delete the INBOX one: it goes to the trash and leaves the results.
keys '/' 'inbox pelican' Enter
keys d
wait_for 'Del:1'
keys '$'
wait_for 'moved to the trash' "expunge from the results"
wait_for 'search: pelican \[Msgs:1' "the deleted one leaves the results"
[ "$(ls "$T/Mail/Trash/cur" "$T/Mail/Trash/new" | wc -l)" -ge 1 ] || fail "nothing in Trash"
"$SPOOL" search --limit 0 'folder:INBOX pelican' > "$T/l"
[ ! -s "$T/l" ] || fail "still in INBOX: $(cat "$T/l")"
ok "d and \$ delete a result into the trash"

keys q
wait_for '^SUREL-EXIT 0'
