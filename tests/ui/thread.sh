#!/bin/sh
# T shows threads: replies under their parents with a tree drawn before
# the subject, a reply to a missing message kept in its thread, and T again
# goes back to date order.
. "$(dirname "$0")/lib.sh"

md="$T/INBOX"
mk() {
	# mk ID DAY SUBJECT [IN-REPLY-TO [REFERENCES]]
	{
		printf 'From: user%s@example.test\nTo: demo@example.test\n' "$1"
		printf 'Date: %s Nov 2026 10:00:00 +0000\nSubject: %s\nMessage-ID: <%s@t>\n' "$2" "$3" "$1"
		[ -n "${4:-}" ] && printf 'In-Reply-To: <%s@t>\n' "$4"
		[ -n "${5:-}" ] && printf 'References: %s\n' "$5"
		printf '\nbody %s\n' "$1"
	} | "$SPOOL" deliver "$md"
}
mk a 01 "plan" 
mk x 02 "other topic"
mk b 03 "Re: plan" a "<a@t>"
mk c 04 "Re: plan (c)" b "<a@t> <b@t>"
mk d 05 "Re: plan (d)" a "<a@t>"
mk y 06 "Re: lost (y)" gone "<gone@t>"
mk z 07 "Re: lost (z)" gone "<gone@t>"

ui_start -f "$md"
wait_for 'Msgs:7' "index"
keys I
wait_for '\(threads\)' "thread mode"
# Rows in thread order with the tree: a, b, c, d, x, y, z.
grep -n '' "$T/screen" | sed -n '2,8p' > "$T/rows"
sed -n 1p "$T/rows" | grep -q ' plan$' || fail "thread root not first: $(cat "$T/screen")"
sed -n 2p "$T/rows" | grep -q '├─>Re: plan$' || fail "first reply lacks its branch: $(cat "$T/screen")"
sed -n 3p "$T/rows" | grep -q '│ └─>Re: plan (c)$' || fail "nested reply lacks its tree: $(cat "$T/screen")"
sed -n 4p "$T/rows" | grep -q '└─>Re: plan (d)$' || fail "last reply lacks its corner: $(cat "$T/screen")"
sed -n 5p "$T/rows" | grep -q ' other topic$' || fail "second thread misplaced: $(cat "$T/screen")"
sed -n 6p "$T/rows" | grep -q ' Re: lost (y)$' || fail "orphan thread root misplaced: $(cat "$T/screen")"
sed -n 7p "$T/rows" | grep -q '└─>Re: lost (z)$' || fail "orphan sibling not joined: $(cat "$T/screen")"
ok "thread view draws the tree"

keys I
wait_gone '\(threads\)'
sed -n 3p "$T/screen" | grep -q ' other topic$' || fail "date order not restored: $(cat "$T/screen")"
ok "I again restores date order"
keys q
wait_for '^SUREL-EXIT 0'
