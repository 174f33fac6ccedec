#!/bin/sh
# Resizing the window (SIGWINCH) redraws the screen for its new size: the
# help bar on top, the status bar second to last, message lines intact, in
# the index and in the pager, narrower and wider.
. "$(dirname "$0")/lib.sh"

md="$T/INBOX"
deliver_demo "$md"

# layout_ok ROWS: the capture has ROWS lines, the help bar on row 0, the
# status bar on row ROWS-2 and nowhere else.
layout_ok() {
	[ "$(wc -l < "$T/screen")" -eq "$1" ] &&
		line 0 | grep -q '^q:' &&
		line $(($1 - 2)) | grep -q '^-- ' &&
		[ "$(grep -c '^-- ' "$T/screen")" -eq 1 ]
}

# consistent ROWS WHAT: poll (at most 10 s) until the layout is right; tmux
# reflows the old contents first, surel's redraw follows.
consistent() {
	i=0
	while [ $i -lt 100 ]; do
		screen > /dev/null
		layout_ok "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "$2: screen not consistent: $(cat "$T/screen")"
}

resize() {
	tmux -S "$SOCK" resize-window -x "$1" -y "$2"
}

ui_start -f "$md"
wait_for 'Msgs:3' "index"
resize 60 15
consistent 15 "60x15 index"
grep -Eq '^N +2026-11-23 surel +612 Welcome' "$T/screen" || fail "index line broken at 60 columns: $(cat "$T/screen")"
ok "index redrawn at 60x15"

resize 150 45
consistent 45 "150x45 index"
grep -q 'Cron <demo@host> backup.sh' "$T/screen" || fail "index line missing at 150 columns: $(cat "$T/screen")"
ok "index redrawn at 150x45"

keys k Enter
wait_for '^Subject: Laporan'
resize 40 12
consistent 12 "40x12 pager"
# The long Subject line is wrapped at a blank, not cut.
grep -q '^report$' "$T/screen" || fail "pager line not wrapped at 40 columns: $(cat "$T/screen")"
ok "pager rewraps at 40x12"

resize 120 40
keys q
consistent 40 "back to 120x40"
wait_for "Msgs:3" "the index after the pager"
ok "index consistent after the pager was resized"
keys q
wait_for '^SUREL-EXIT 0'

# Shrunk to two index rows with the cursor on the last message, then grown
# back: the index fills the window again from the first message.
ui_stop
ui_start -f "$md"
wait_for 'Msgs:3' "index again"
resize 120 5
consistent 5 "120x5 index"
resize 120 40
consistent 40 "120x40 after 120x5"
i=0
while [ "$(screen | grep -c '^.   *2026-11-2')" -ne 3 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(screen | grep -c '^.   *2026-11-2')" -eq 3 ] || fail "index not refilled after growing: $(screen)"
ok "index refills after growing back from a small window"
keys q
wait_for '^SUREL-EXIT 0'
