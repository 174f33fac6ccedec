#!/bin/sh
# o and O change the order (subject, size, sender, reversed, threads), the
# status bar says which, and the order chosen (threads too) is the
# folder's again after a restart; the sort key of the configuration is the
# default.
. "$(dirname "$0")/lib.sh"

md="$T/INBOX"
mk() {
	# mk DAY FROM SUBJECT PADDING
	{
		printf 'From: %s@example.test\nTo: demo@example.test\n' "$2"
		printf 'Date: %s Nov 2026 10:00:00 +0000\nSubject: %s\nMessage-ID: <%s@t>\n\n' "$1" "$3" "$1"
		head -c "$4" /dev/zero | tr '\0' 'x'
		echo
	} | "$SPOOL" deliver "$md"
}
mk 01 carol "Re: banana" 3000
mk 02 alice "cherry" 10
mk 03 bob "apple" 20000

rows() {
	sed -n '2,4p' "$T/screen" | sed 's/.* //' | tr '\n' ' '
}
ui_start -f "$md"
wait_for 'Msgs:3' "index"
[ "$(rows)" = "banana cherry apple " ] || fail "not in date order: $(cat "$T/screen")"
keys o s
wait_for '\(sort: subject\)' "sorted by subject"
[ "$(rows)" = "apple banana cherry " ] || fail "not by subject (Re: ignored): $(cat "$T/screen")"
keys O z
wait_for '\(sort: reverse-size\)' "reverse size"
[ "$(rows)" = "apple banana cherry " ] || fail "not by size, biggest first: $(cat "$T/screen")"
keys o f
wait_for '\(sort: from\)' "by sender"
screen > /dev/null
[ "$(rows)" = "cherry apple banana " ] || fail "not by sender: $(cat "$T/screen")"
ok "o and O sort by subject, size and sender"
keys q
wait_for '^SUREL-EXIT 0'
ui_stop

ui_start -f "$md"
wait_for '\(sort: from\)' "order kept after a restart"
[ "$(rows)" = "cherry apple banana " ] || fail "order not kept: $(cat "$T/screen")"
grep -q "^0 from date $md" "$XDG_STATE_HOME/surel/sort-order" ||
	fail "state file: $(cat "$XDG_STATE_HOME/surel/sort-order")"
ok "the order is kept per folder between sessions"
# O t: threads, the newest thread first; kept too.
keys O t
wait_for '\(threads\)' "threads"
screen > /dev/null
[ "$(rows)" = "apple cherry banana " ] || fail "threads not newest first: $(cat "$T/screen")"
keys q
wait_for '^SUREL-EXIT 0'
ui_stop
ui_start -f "$md"
wait_for '\(threads\)' "threads kept after a restart"
[ "$(rows)" = "apple cherry banana " ] || fail "thread order not kept: $(cat "$T/screen")"
ok "threads on, and their order, are kept too"
keys o d
wait_gone '\(threads\)'
keys q
wait_for '^SUREL-EXIT 0'
ui_stop

# The configuration's sort is the default of a folder with no memory; a
# bad value is a configuration error naming file, line and key.
mkdir -p "$XDG_CONFIG_HOME/surel"
conf="$XDG_CONFIG_HOME/surel/config"
printf '[general]\nsort = sideways\n' > "$conf"
expect_exit 78 "$SUREL" -f "$md" -e q
expect_one_line_error surel
grep -q "config:2: 'sort' must be date" "$T/err" || fail "bad sort message: $(cat "$T/err")"
printf "[general]\nsort = reverse-subject\n\n[account demo]\naddress = demo@example.test\nmaildir = $T/Mail\n" > "$conf"
md="$T/Other"
mk 01 carol "Re: banana" 10
mk 02 alice "cherry" 10
mk 03 bob "apple" 10
ui_start -f "$md"
wait_for '\(sort: reverse-subject\)' "configured order"
[ "$(rows)" = "cherry banana apple " ] || fail "not by the configured order: $(cat "$T/screen")"
keys q
wait_for '^SUREL-EXIT 0'
ok "sort in the configuration is the default"
