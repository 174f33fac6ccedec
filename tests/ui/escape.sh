#!/bin/sh
# A message whose subject, sender and body hold escape sequences (SGR,
# OSC title change, cursor movement, a bare CR) renders them inert: the
# pane receives no control sequence from the message, in the index or in
# the pager, and the window title stays.
. "$(dirname "$0")/lib.sh"

md="$T/INBOX"
deliver_demo "$md"
esc=$(printf '\033')
bel=$(printf '\007')
printf 'From: "Evil%s[2J" <evil@example.test>\nTo: demo@example.test\nDate: Thu, 26 Nov 2026 09:00:00 +0000\nSubject: %s[31mRED%s[0m %s]0;pwned%s after %s[5A\nMessage-ID: <evil@example.test>\n\nbody %s[32mGREEN%s]2;pwned2%s\rCR\n' \
	"$esc" "$esc" "$esc" "$esc" "$bel" "$esc" "$esc" "$esc" "$bel" | "$SPOOL" deliver "$md"

# An escape in the pane's text is one the message sent: surel draws its own
# colours through curses, which capture-pane -e shows only as SGR on other
# text, and never an OSC.
check_inert() {
	tmux -S "$SOCK" capture-pane -p -e > "$T/raw"
	grep -q "$esc\]" "$T/raw" && fail "$1: an OSC sequence reached the pane"
	screen > /dev/null
	grep -q '�\[31mRED�\[0m �\]0;pwned' "$T/screen" || fail "$1: subject not shown inert: $(cat "$T/screen")"
	title=$(tmux -S "$SOCK" display-message -p '#{pane_title}')
	case "$title" in *pwned*) fail "$1: the message changed the window title" ;; esac
	# Every line stays where it belongs: help bar first, status bar
	# second to last.
	line 0 | grep -q '^q:' || fail "$1: help bar moved: $(cat "$T/screen")"
	line 38 | grep -q '^-- ' || fail "$1: status bar moved: $(cat "$T/screen")"
}

ui_start -f "$md"
wait_for 'RED' "the hostile subject"
check_inert "index"
ok "escape sequences in the index are inert"

keys Enter
wait_for '^Subject: ' "pager"
check_inert "pager"
grep -q 'body �\[32mGREEN�\]2;pwned2�' "$T/screen" || fail "body not inert: $(cat "$T/screen")"
grep -q '^From: "Evil�\[2J"' "$T/screen" || fail "sender not inert: $(cat "$T/screen")"
ok "escape sequences in the pager are inert"
keys q q
wait_for '^SUREL-EXIT 0'

# Attachment file names with escapes (RFC 2231 %1B, RFC 2047 =1B, and raw
# bytes) are inert in the pager's part list and in the parts view (v).
ui_stop
md2="$T/ATT"
printf '%s\n' 'From: att@example.test' 'To: demo@example.test' 'Subject: attachments' \
	'Date: Thu, 26 Nov 2026 09:30:00 +0000' 'MIME-Version: 1.0' \
	'Content-Type: multipart/mixed; boundary="b"' '' '--b' 'Content-Type: text/plain' '' 'see the parts' \
	'--b' 'Content-Type: application/octet-stream' \
	"Content-Disposition: attachment; filename*=utf-8''a%1B%5D0%3Bpwned3%07%1B%5B31mone.bin" '' 'AAAA' \
	'--b' 'Content-Type: application/octet-stream' \
	'Content-Disposition: attachment; filename="=?utf-8?q?b=1B]2;pwned4=07=1B[2Jtwo.bin?="' '' 'BBBB' \
	'--b' 'Content-Type: application/octet-stream' \
	"Content-Disposition: attachment; filename=\"c${esc}]0;pwned5${bel}three.bin\"" '' 'CCCC' \
	'--b--' | "$SPOOL" deliver "$md2"
ui_start -f "$md2"
wait_for 'attachments' "the attachment message"
keys Enter
wait_for 'one\.bin' "the part list"
tmux -S "$SOCK" capture-pane -p -e > "$T/raw"
grep -q "$esc\]" "$T/raw" && fail "part list: an OSC sequence reached the pane"
screen > /dev/null
grep -q 'two\.bin' "$T/screen" && grep -q 'three\.bin' "$T/screen" || fail "part list incomplete: $(cat "$T/screen")"
grep -q '�\]0;pwned3' "$T/screen" || fail "part list: file name not shown inert: $(cat "$T/screen")"
case "$(tmux -S "$SOCK" display-message -p '#{pane_title}')" in *pwned*) fail "a file name changed the title" ;; esac
ok "escape sequences in attachment file names are inert in the pager's part list"
keys v
wait_for 'three\.bin' "the parts view"
tmux -S "$SOCK" capture-pane -p -e > "$T/raw"
grep -q "$esc\]" "$T/raw" && fail "parts view: an OSC sequence reached the pane"
case "$(tmux -S "$SOCK" display-message -p '#{pane_title}')" in *pwned*) fail "a file name changed the title" ;; esac
ok "escape sequences in attachment file names are inert in the parts view"
keys q q q
wait_for '^SUREL-EXIT 0'
