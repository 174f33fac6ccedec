#!/bin/sh
# Patterns as mutt users expect them (issue 16, item 6): regular
# expressions, case-insensitive with Unicode case folding in the UTF-8
# locale surel runs in; ~t ~c ~C match addresses as well as names; ~p ~P
# know the user's addresses and aliases; / takes a pattern, ~b searches
# bodies, and M-/ is search-body; all, . and ~A lift a limit.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account demo]
name = Demo User
address = demo@example.test
aliases = me@alias.test
maildir = $T/Mail
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
put() {
	printf '%b' "$1" | "$SPOOL" deliver "$T/Mail/INBOX"
}
put 'From: Ana Dewi Putri <ana@example.test>\nTo: Budi Santoso <budi@corp.test>\nSubject: m1 laporan\nDate: Mon, 02 Nov 2026 10:00:00 +0000\n\nnothing here\n'
put 'From: Putri Ana <putri@example.test>\nTo: demo@example.test\nCc: Carol Tan <carol@cc.test>\nSubject: m2 =?UTF-8?Q?=C3=9Cberarbeitung?= des Plans\nDate: Mon, 02 Nov 2026 11:00:00 +0000\n\nthe secretword is here\n'
put 'From: =?UTF-8?B?0J7Qu9GM0LPQsCDQn9C10YLRgNC+0LLQsA==?= <olga@example.test>\nTo: me@alias.test\nSubject: m3 privet\nDate: Mon, 02 Nov 2026 12:00:00 +0000\n\nhello\n'
put 'From: Demo User <demo@example.test>\nTo: Zed <zed@example.test>\nSubject: m4 mine\nDate: Mon, 02 Nov 2026 13:00:00 +0000\n\nmine\n'

# limit P N ROW...: limit to pattern P, expect N shown and each ROW's
# subject word on screen.
limit() {
	pat=$1
	n=$2
	shift 2
	# From no limit, so the wait cannot see the previous one's count.
	keys l C-u Enter
	wait_gone 'Shown:'
	keys l C-u "$pat" Enter
	wait_for "Shown:$n\\]" "'$pat' shows $n"
	for w in "$@"; do
		grep -q "$w" "$T/screen" || fail "'$pat' lacks $w: $(cat "$T/screen")"
	done
}

ui_start
wait_for 'surel: INBOX \[Msgs:4'
limit '~f ana.*putri' 1 'm1 laporan'
limit '~s überarbeitung' 1 'm2'
limit '~s ÜBERARBEITUNG' 1 'm2'
limit 'ольга' 1 'm3 privet'
limit '~f "^ольга петрова$"' 1 'm3 privet'
limit '~s "^m[12] "' 2 'm1 laporan' 'm2'
ok "regular expressions, Unicode case-insensitive (ü/Ü, ольга/Ольга)"
keys l C-u '~s "m1 (la"' Enter
wait_for "bad regular expression"
ok "a bad regular expression is refused with a message"
limit '~t corp.test' 1 'm1 laporan'
limit '~t ^budi' 1 'm1 laporan'
limit '~c cc.test' 1 'm2'
limit '~C "carol|budi"' 2 'm1 laporan' 'm2'
limit '~L zed@' 1 'm4 mine'
ok "~t ~c ~C ~L match addresses and names"
limit '~p' 2 'm2' 'm3 privet'
limit '~P' 1 'm4 mine'
ok "~p (address or alias) and ~P"
limit '~B "^cc: carol"' 1 'm2'
limit '~b "^cc: carol"' 0
ok "~B searches the header block too, ~b does not"
for all in all . '~A'; do
	keys l C-u '~P' Enter
	wait_for 'Shown:1\]'
	keys l C-u "$all" Enter
	wait_for 'surel: INBOX \[Msgs:4 New:4\]' "the limit '$all' shows all"
done
ok "all, . and ~A lift the limit, as in mutt"

keys = / '~b secretword' Enter
wait_for '^  .* 2/4$|-- 2/4' "/ ~b finds the body"
keys =
keys Escape /
wait_for 'Search bodies:'
keys 'SECRETWORD' Enter
wait_for '-- 2/4' "M-/ searches bodies"
keys = / 'ольга' Enter
wait_for '-- 3/4' "/ with a Unicode word"
keys n
wait_for 'search wrapped'
ok "/ takes a pattern (~b searches bodies), M-/ is search-body"
keys q
wait_for '^SUREL-EXIT 0'
