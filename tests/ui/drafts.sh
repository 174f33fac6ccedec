#!/bin/sh
# Drafts and undo send: a postponed reply with an attachment and a Bcc is
# recalled by m ("Recall postponed message?") intact (headers, attachment,
# In-Reply-To), sent, and leaves Drafts, and the original is marked
# replied; d in the queue view (undo send) brings it back to Drafts with
# its Bcc and takes the R flag off the original; R in the index recalls
# it again.
. "$(dirname "$0")/lib.sh"

compose_setup
deliver_demo "$T/Mail/INBOX"
editor_script <<'ED'
sed -i -e 's/^Bcc:.*$/Bcc: hidden@example.org/' "$1"
printf 'Draft text.\n' >> "$1"
ED
printf 'some notes\n' > "$T/notes.txt"

# report_flags: the Maildir flags of Ana's report (the message replied to).
report_flags() {
	grep -l '^Message-I[Dd]: <report.2@example.test>' "$T"/Mail/INBOX/new/* "$T"/Mail/INBOX/cur/* 2> /dev/null |
		sed -n 's/.*:2,//p'
}
queue_ids() {
	"$SENDQ" list --json | python3 -c 'import json, sys; print(" ".join(m["id"] for m in json.load(sys.stdin)))'
}

ui_start
wait_for 'surel: INBOX \[Msgs:3'
keys k
sleep 0.2
keys r
wait_for '^ +Subject: Re: Laporan mingguan' "compose screen after r"
keys a
wait_for '^Attach file:'
keys "$T/notes.txt" Enter
wait_for 'text/plain +[0-9]+ +notes.txt' "attachment listed"
keys P
wait_for 'postponed to the drafts folder'
[ "$(ls "$T/Mail/Drafts/cur" | wc -l)" -eq 1 ] || fail "Drafts does not hold the draft"
case $(report_flags) in *R*) fail "a postponed reply marked the original replied" ;; esac
ok "a reply with an attachment and a Bcc is postponed"

keys m
wait_for 'Recall postponed message\? \(y/n\)' "m offers to recall"
keys y
wait_for '^ +Subject: Re: Laporan mingguan' "the recalled draft on the compose screen"
grep -q '^ *To: Ana Putri <ana@example.test>' "$T/screen" || fail "recalled To: $(cat "$T/screen")"
grep -q '^ *Bcc: hidden@example.org' "$T/screen" || fail "recalled Bcc: $(cat "$T/screen")"
grep -q '^ *From: Demo User <demo@example.test>' "$T/screen" || fail "recalled From: $(cat "$T/screen")"
grep -Eq 'text/plain +[0-9]+ +notes.txt' "$T/screen" || fail "recalled attachment: $(cat "$T/screen")"
ok "m recalls the draft with its headers and attachment"
keys y
wait_for 'queued as '
[ "$(ls "$T/Mail/Drafts/cur" | wc -l)" -eq 0 ] || fail "the sent draft is still in Drafts"
id=$(queue_ids)
"$SENDQ" show "$id" > "$T/queued"
grep -q '^In-Reply-To: <report.2@example.test>$' "$T/queued" || fail "In-Reply-To lost: $(cat "$T/queued")"
grep -q 'filename="notes.txt"' "$T/queued" || fail "attachment lost: $(cat "$T/queued")"
grep -q '^Draft text.$' "$T/queued" || fail "text lost: $(cat "$T/queued")"
grep -q '^Bcc:' "$T/queued" && fail "Bcc in the queued message"
"$SENDQ" list --json | grep -q 'hidden@example.org' || fail "Bcc recipient lost"
case $(report_flags) in *R*) ;; *) fail "the original not marked replied after the recalled reply was sent" ;; esac
ok "the recalled draft is sent, leaves Drafts, and marks the original replied"

# Undo send: d in the queue view.
keys Q
wait_for '^queued .*ana@example.test' "queue view"
keys d
wait_for 'cancelled: back in the drafts folder' "undo send"
wait_for 'outgoing queue: 0 messages' "the queue after undo"
[ -z "$(queue_ids)" ] || fail "the message is still queued"
[ "$(ls "$T/Mail/Drafts/cur" | wc -l)" -eq 1 ] || fail "undo send left no draft"
case $(report_flags) in *R*) fail "undo send left the original marked replied: $(report_flags)" ;; esac
keys q
wait_for 'surel: INBOX'
screen | grep -Eq '^ *[N ] R .*Ana Putri' && fail "index still shows R: $(cat "$T/screen")"
ok "d in the queue view puts the message back into Drafts and takes R off the original"

keys R
wait_for '^ +Subject: Re: Laporan mingguan' "R recalls the cancelled message"
grep -q '^ *Bcc: hidden@example.org' "$T/screen" || fail "Bcc not back after undo: $(cat "$T/screen")"
grep -Eq 'text/plain +[0-9]+ +notes.txt' "$T/screen" || fail "attachment not back after undo: $(cat "$T/screen")"
keys y
wait_for 'queued as '
[ "$(ls "$T/Mail/Drafts/cur" | wc -l)" -eq 0 ] || fail "Drafts not empty after sending again"
"$SENDQ" show "$(queue_ids)" > "$T/queued2"
grep -q '^In-Reply-To: <report.2@example.test>$' "$T/queued2" || fail "In-Reply-To lost after undo"
ok "R recalls the cancelled message, which is sent again"
keys q
wait_for '^SUREL-EXIT 0'
