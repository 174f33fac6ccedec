#!/bin/sh
# Read state (issue 16, item 9): N toggles new/read, Tab goes to the next
# unread message and past the last one offers the next folder with unread
# mail, next-unread-mailbox and read-limit (bound in [keys index]) work.
. "$(dirname "$0")/lib.sh"

demo_config "
[keys index]
<F5> = read-limit
<F6> = next-unread-mailbox"
chmod 600 "$XDG_CONFIG_HOME/surel/config"
put() {
	printf 'From: %s@example.test\nSubject: %s\nDate: Mon, 02 Nov 2026 1%s:00:00 +0000\n\nx\n' \
		"$2" "$2" "$3" | "$SPOOL" deliver "$T/Mail/$1"
}
put INBOX one 0
put INBOX two 1
put INBOX three 2
put Archive old 0
put lists list1 0
put lists list2 1
"$SPOOL" folders > /dev/null
# Archive holds only read mail: Tab passes it by.
for f in "$T"/Mail/Archive/new/*; do
	mv "$f" "$T/Mail/Archive/cur/$(basename "$f"):2,S"
done

ui_start
wait_for 'surel: INBOX \[Msgs:3 New:3\]'
keys =
keys N
wait_for 'New:2\]' "N marks read"
wait_for '-- 2/3' "N moves on"
screen | grep -Eq '^    2026-11-02 one@' || fail "one is not shown read: $(cat "$T/screen")"
ls "$T"/Mail/INBOX/cur | grep -q ':2,S$' || fail "S not stored: $(ls -R "$T/Mail/INBOX")"
keys k N
wait_for 'New:3\]' "N again marks unread"
screen | grep -Eq '^N   2026-11-02 one@' || fail "one is not shown new: $(cat "$T/screen")"
ok "N toggles new and read (stored in the file name)"

keys = Tab
wait_for '-- 2/3' "Tab: the next unread"
keys Tab
wait_for '-- 3/3'
keys Tab
wait_for 'open lists \(2 unread\)\?' "past the last, the next folder with unread mail"
keys y
wait_for 'surel: lists \[Msgs:2 New:2\]' "Tab opened lists"
wait_for '-- 1/2' "on its first unread message"
ok "Tab goes to the next unread message, then to the next folder with some"

keys F5
wait_for 'Mark 2 unread messages read\?' "read-limit asks"
keys y
wait_for 'lists \[Msgs:2 New:0\]' "read-limit marks all read"
keys Tab
wait_for 'open INBOX \(3 unread\)\?' "Tab offers INBOX, not Archive"
keys n
wait_for 'surel: lists '
keys F6
wait_for 'surel: INBOX \[Msgs:3 New:3\]' "next-unread-mailbox opens INBOX"
keys l '~s "one|two"' Enter
wait_for 'Shown:2\]'
keys F5
wait_for 'Mark 2 unread messages of the limit read\?'
keys y
wait_for 'New:1 Shown:2\]' "read-limit marks only what the limit shows"
ok "read-limit on a limit, next-unread-mailbox"
keys q
wait_for '^SUREL-EXIT 0'
