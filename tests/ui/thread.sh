#!/bin/sh
# I shows threads: replies under their parents with a tree drawn before
# the subject (not repeated when it is the parent's), a reply to a missing
# message kept in its thread, and I again goes back to date order; Esc v
# and Esc V fold threads, Ctrl-N and Ctrl-P move by thread, Ctrl-R marks a
# thread read; the user's own messages show "To name".
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
printf 'From: Demo <demo@example.test>\nTo: Bob Jones <bob@example.test>\nDate: 08 Nov 2026 10:00:00 +0000\nSubject: mine\nMessage-ID: <m@t>\n\nx\n' |
	"$SPOOL" deliver "$md"
demo_config

ui_start -f "$md"
wait_for 'Msgs:8' "index"
grep -q 'To Bob Jones .*mine$' "$T/screen" || fail "own message without its recipient: $(cat "$T/screen")"
ok "the user's own message shows To and the recipient"
keys I
wait_for '\(threads\)' "thread mode"
# Rows in thread order with the tree: a, b, c, d, x, y, z.
grep -n '' "$T/screen" | sed -n '2,8p' > "$T/rows"
sed -n 1p "$T/rows" | grep -q ' plan$' || fail "thread root not first: $(cat "$T/screen")"
sed -n 2p "$T/rows" | grep -q '├─>$' || fail "first reply lacks its branch, or repeats the subject: $(cat "$T/screen")"
sed -n 3p "$T/rows" | grep -q '│ └─>Re: plan (c)$' || fail "nested reply lacks its tree: $(cat "$T/screen")"
sed -n 4p "$T/rows" | grep -q '└─>Re: plan (d)$' || fail "last reply lacks its corner: $(cat "$T/screen")"
sed -n 5p "$T/rows" | grep -q ' other topic$' || fail "second thread misplaced: $(cat "$T/screen")"
sed -n 6p "$T/rows" | grep -q ' Re: lost (y)$' || fail "orphan thread root misplaced: $(cat "$T/screen")"
sed -n 7p "$T/rows" | grep -q '└─>Re: lost (z)$' || fail "orphan sibling not joined: $(cat "$T/screen")"
ok "thread view draws the tree"

# Fold the first thread (cursor on its reply c), then all; unfold.
keys = j j
keys Escape v
wait_for '\[\+3\] plan$' "folded thread"
screen > /dev/null
sed -n 3p "$T/screen" | grep -q ' other topic$' || fail "fold left rows: $(cat "$T/screen")"
grep -q 'Re: plan (c)' "$T/screen" && fail "folded reply still shown: $(cat "$T/screen")"
keys Escape V
wait_for '\[\+1\] Re: lost \(y\)$' "all folded"
keys Escape V
wait_gone '\[\+'
ok "Esc v folds one thread, Esc V all"

# Ctrl-N from the first row goes to "other topic", then to "lost (y)";
# Ctrl-P back.  Ctrl-R on the lost thread marks both read.
keys = C-n
keys C-n
keys C-p
keys C-n
keys C-r
# Only the two messages of the lost thread (any other thread has 1 or 4).
wait_for 'New:6' "thread marked read"
ok "Ctrl-N, Ctrl-P and Ctrl-R"

keys I
wait_gone '\(threads\)'
sed -n 3p "$T/screen" | grep -q ' other topic$' || fail "date order not restored: $(cat "$T/screen")"
sed -n 4p "$T/screen" | grep -q ' Re: plan$' || fail "subject hidden without threads: $(cat "$T/screen")"
ok "I again restores date order"
keys q
wait_for '^SUREL-EXIT 0'
