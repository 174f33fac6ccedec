#!/bin/sh
# The whole round: open the account's INBOX (no -f), reply to a message
# with a scripted $EDITOR, send with y, see the message in the queue with
# the right In-Reply-To and the original marked replied, then flush and
# find it delivered locally (local_domains).
. "$(dirname "$0")/lib.sh"

compose_setup "" "[account demo]
name = Demo User
address = demo@example.test
maildir = $T/Mail
local_domains = localhost example.test"
deliver_demo "$T/Mail/INBOX"
editor_script <<'ED'
sed -i -e 's/^\(Subject: .*\)$/\1 [edited]/' "$1"
printf 'Thanks, noted.\n' >> "$1"
ED

ui_start
wait_for 'surel: INBOX \[Msgs:3' "the account's INBOX"
keys k
sleep 0.2
keys r
wait_for '^ +Subject: Re: Laporan mingguan — weekly report \[edited\]' "compose screen after the editor"
grep -q '^ *To: Ana Putri <ana@example.test>' "$T/screen" || fail "reply To wrong: $(cat "$T/screen")"
grep -q '^ *From: Demo User <demo@example.test>' "$T/screen" || fail "From wrong: $(cat "$T/screen")"
ok "r runs the editor and shows the compose screen"

keys y
wait_for 'queued as ' "send"
wait_for 'Queue:1' "queue count after sending"
grep -Eq '^N R 2026-11-24 Ana Putri' "$T/screen" || fail "original not marked replied: $(cat "$T/screen")"
ls "$T/Mail/INBOX/cur" | grep -q ':2,R$' || fail "R flag not stored: $(ls "$T/Mail/INBOX/cur")"
ok "y queues the reply and marks the original replied"

"$SENDQ" list --json > "$T/list.json"
id=$(python3 -c "import json; q = json.load(open('$T/list.json')); assert len(q) == 1; r = q[0]['recipients']; assert [x['address'] for x in r] == ['ana@example.test'], r; print(q[0]['id'])") ||
	fail "queue does not hold the reply: $(cat "$T/list.json")"
"$SENDQ" show "$id" > "$T/queued"
grep -q '^In-Reply-To: <report.2@example.test>$' "$T/queued" || fail "In-Reply-To wrong: $(cat "$T/queued")"
grep -q '^References: <report.2@example.test>$' "$T/queued" || fail "References wrong: $(cat "$T/queued")"
grep -q '^> Hi, here is the weekly report' "$T/queued" || fail "quoted text missing: $(cat "$T/queued")"
grep -q '^Thanks, noted.$' "$T/queued" || fail "the editor's text missing: $(cat "$T/queued")"
ok "the queued reply has In-Reply-To, References, quote and the new text"

keys Q
wait_for '^queued .*ana@example.test' "queue view"
keys q
wait_for 'Queue:1'
keys q
wait_for '^SUREL-EXIT 0'
"$SENDQ" retry "$id"
"$SENDQ" flush
found=$(grep -l '^In-Reply-To: <report.2@example.test>' "$T"/Mail/INBOX/new/* 2> /dev/null | wc -l)
[ "$found" -eq 1 ] || fail "the reply was not delivered to the local INBOX"
ok "after a flush the reply is delivered locally"
