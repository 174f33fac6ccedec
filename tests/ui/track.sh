#!/bin/sh
# Delivery tracking in surel: a sent message whose remote report came back
# shows '!' (bounced) in the Sent folder's index and a "Delivery:" line in
# the pager; % (jump-original) goes from it to the report in INBOX and
# back; Enter in the queue view shows a queued message's record.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 300

[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail
CFG
id=$(printf 'To: bob@example.org\nSubject: tracked\nMessage-ID: <ui1@example.test>\n\nhello\n' | "$SENDQ" -t -v 2> /dev/null)
[ -n "$id" ] || fail "no queue id from sendq -t -v"
"$SENDQ" status "$id" > /dev/null || fail "sendq status $id"
"$SPOOL" deliver "$T/Mail/Sent" < "$XDG_DATA_HOME/surel/queue/msg/$id"
cat > "$T/dsn" <<DSN
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: demo@example.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Sorry.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Original-Envelope-Id: $id

Final-Recipient: rfc822; bob@example.org
Original-Recipient: rfc822;bob@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 no such user

--B--
DSN
"$SPOOL" deliver "$T/Mail/INBOX" < "$T/dsn"
"$SENDQ" status --json "$id" | grep -q '"state": "bounced"' || fail "record not bounced"

ui_start -f "$T/Mail/Sent"
wait_for '!20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] .*tracked' "bounced mark in the Sent index"
ok "the Sent folder's index marks the bounced message with !"

keys Enter
wait_for '^Delivery: bounced; bob@example.org bounced \(550 5.1.1 no such user' "Delivery line in the pager"
ok "the pager shows the delivery state"

keys %
wait_for '^Report on: <ui1@example.test> \(bounced' "the report's pager after %"
grep -q -- '-- INBOX 1/1' "$T/screen" || fail "not in INBOX: $(cat "$T/screen")"
ok "% jumps from the sent message to the report in INBOX"

keys %
wait_for '^Delivery: bounced' "the original's pager after %"
grep -q -- '-- Sent 1/1' "$T/screen" || fail "not in Sent: $(cat "$T/screen")"
keys q
wait_for '!20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] .*tracked' "back in the Sent index"
ok "% in the report's pager jumps back to the original"

keys Q
wait_for 'outgoing queue: 1 message' "queue view"
keys Enter
wait_for "delivery record of $id|^$id " "the record in the pager"
wait_for 'to bob@example.org bounced' "record text"
keys q
keys q
keys q
wait_for '^SUREL-EXIT 0'
ok "Enter in the queue view shows the message's delivery record"
