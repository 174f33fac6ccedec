#!/bin/sh
# Q shows the outgoing queue filled by sendq: state, next attempt,
# recipient; h holds and releases, d cancels a message inside send_delay,
# r retries; the index's status bar counts the queue.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed to read sendq list --json"

md="$T/INBOX"
deliver_demo "$md"
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 300

[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail
CFG
printf 'To: bob@example.test\nSubject: first\n\nhello\n' | "$SENDQ" -t
printf 'To: carol@example.test\nSubject: second\n\nhello\n' | "$SENDQ" -t
qlen() {
	"$SENDQ" list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
[ "$(qlen)" -eq 2 ] || fail "sendq did not queue two messages"

ui_start -f "$md"
wait_for 'Queue:2' "queue size in the status bar"
keys Q
wait_for 'outgoing queue: 2 messages' "queue view"
grep -Eq '^queued +in [0-9]+m +0 +bob@example.test' "$T/screen" || fail "queue line for bob: $(cat "$T/screen")"
grep -Eq '^queued +in [0-9]+m +0 +carol@example.test' "$T/screen" || fail "queue line for carol: $(cat "$T/screen")"
ok "Q lists the queue with state, next attempt and recipient"

keys h
wait_for '^held .*bob@example.test' "held"
"$SENDQ" list --json | grep -q '"held"' || fail "hold did not reach the store"
keys h
wait_for '^queued .*bob@example.test' "released"
ok "h holds and releases"

keys d
wait_for 'outgoing queue: 1 message ' "cancel"
grep -q 'bob@example.test' "$T/screen" && fail "cancelled message still listed"
[ "$(qlen)" -eq 1 ] || fail "cancel did not remove the message from the store"
ok "d cancels a message inside send_delay"

keys r
wait_for 'will be tried at the next flush' "retry"
keys q
wait_for 'Queue:1' "queue size after the view"
ok "r retries; the index counts the queue"
keys q
wait_for '^SUREL-EXIT 0'
