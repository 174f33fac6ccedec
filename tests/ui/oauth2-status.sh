#!/bin/sh
# auth = oauth2 without a sign-in: sendq flush keeps the message queued
# with the error "sign-in needed", and surel says so in the index's status
# bar and in the queue view.  No network: with no stored token nothing is
# sent anywhere.
. "$(dirname "$0")/lib.sh"

md="$T/INBOX"
deliver_demo "$md"
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 0

[account o]
address = o@example.test
maildir = $T/Mail
smtp = smtp://127.0.0.1:9
user = o@example.test
auth = oauth2
oauth2_client_id = surel-test-client
oauth2_token_url = https://127.0.0.1:9/token
CFG
printf 'To: bob@example.test\nSubject: waits\n\nhello\n' | "$SENDQ" -t
"$SENDQ" flush
"$SENDQ" list > "$T/list"
grep -q 'error: o: sign-in needed: run spool auth -A o' "$T/list" ||
	fail "sendq list does not say sign-in needed: $(cat "$T/list")"
grep -q '^queued\|queued' "$T/list" || fail "the message is not queued: $(cat "$T/list")"
ok "sendq keeps the message queued and lists it as sign-in needed"

ui_start -f "$md"
wait_for 'Queue:1 \(sign-in needed: spool auth -A o\)' "sign-in in the status bar"
ok "the index's status bar says sign-in needed"
keys Q
wait_for 'sign-in needed: run spool auth -A o' "the queue view"
ok "the queue view shows why the message waits"
keys q
wait_for 'Queue:1'
keys q
wait_for '^SUREL-EXIT 0'
