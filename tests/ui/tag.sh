#!/bin/sh
# Tagging and bulk work: T tags 20 of 200 messages by a pattern, ;s moves
# exactly those 20, t and Ctrl-T tag and untag, ;C copies, ;d marks, ;N
# marks read, and "." tags everything the limit shows.
. "$(dirname "$0")/lib.sh"

md="$T/Mail/INBOX"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
i=1
while [ $i -le 200 ]; do
	if [ $((i % 10)) -eq 0 ]; then subj="invoice $i"; else subj="note $i"; fi
	printf 'From: user%s@example.test\nTo: demo@example.test\nDate: %s Nov 2026 10:%02d:00 +0000\nSubject: %s\nMessage-ID: <%s@t>\n\nbody %s\n' \
		"$i" $((i % 28 + 1)) $((i % 60)) "$subj" "$i" "$i" > "$md/new/17000000$(printf %03d $i).M1P1.test"
	i=$((i + 1))
done
demo_config

ui_start
wait_for 'Msgs:200' "index"
keys T
wait_for '^Tag messages matching:' "tag prompt"
keys '~s invoice' Enter
wait_for 'Tag:20' "20 tagged"
wait_for '20 messages tagged'
keys '\;'
wait_for '^tagged \(20\)'
keys s
wait_for '^Move to folder:'
keys Archive Enter
wait_for 'Create folder'
keys y
wait_for 'Msgs:180' "180 left"
wait_for '20 messages moved to Archive'
grep -h '^Subject:' "$T/Mail/Archive"/cur/* "$T/Mail/Archive"/new/* 2> /dev/null | sort > "$T/moved"
i=10
while [ $i -le 200 ]; do echo "Subject: invoice $i"; i=$((i + 10)); done | sort > "$T/want"
cmp -s "$T/moved" "$T/want" || fail "Archive holds: $(cat "$T/moved")"
grep -l 'invoice' "$md"/new/* "$md"/cur/* 2> /dev/null && fail "an invoice stayed in INBOX"
ok "T tags 20 of 200 by pattern and ;s moves exactly those"
screen > /dev/null
grep -q 'Tag:' "$T/screen" && fail "tags of moved messages remain: $(cat "$T/screen")"

# t tags the message under the cursor and moves down; Ctrl-T untags by
# pattern; ;C copies; ;d and ;u mark and unmark; ;N marks read.
keys = t t
wait_for 'Tag:2'
keys C-t
wait_for '^Untag messages matching:'
keys . Enter
wait_for '2 messages untagged'
wait_gone 'Tag:'
keys = t
wait_for 'Tag:1'
keys '\;' C
wait_for '^Copy to folder:'
keys Archive Enter
wait_for 'copied to Archive'
[ "$(find "$T/Mail/Archive/new" "$T/Mail/Archive/cur" -type f | wc -l)" -eq 21 ] ||
	fail "Archive should hold 21 messages after the copy"
[ "$(find "$md/new" "$md/cur" -type f | wc -l)" -eq 180 ] || fail "copy removed the original"
keys '\;' d
wait_for 'Del:1'
keys '\;' u
wait_gone 'Del:'
keys '\;' F
wait_for '^NF \*'
keys '\;' N
wait_for '^ F \*' "the tagged message read"
[ "$(ls "$md/cur" | grep -c ':2,FS$')" -eq 1 ] || fail ";N did not set S: $(ls "$md/cur" | grep ':2,')"
keys '\;' N
wait_for '^NF \*' "the tagged message unread again"
[ "$(ls "$md/cur" | grep -c ':2,F$')" -eq 1 ] || fail ";N did not clear S: $(ls "$md/cur" | grep ':2,')"
ok "t, Ctrl-T, ;C, ;d, ;u, ;F and ;N"

# "." tags everything the limit shows; ;t untags all.
keys l '~f user11@' Enter
wait_for 'Shown:1'
keys T
wait_for '^Tag messages matching:'
keys . Enter
wait_for 'Tag:2'
keys '\;' t
wait_gone 'Tag:'
ok "\".\" tags what the limit shows; ;t untags all"
keys q
wait_for '^SUREL-EXIT 0'
