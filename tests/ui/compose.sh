#!/bin/sh
# Composing from the index with a scripted $EDITOR, each outcome checked
# in the queue (sendq list --json, sendq show) or the Drafts folder
# (spool ls --json, spool show --json): m with a (attach), D (drop) and y;
# m with P (postpone); g (reply to all); f (forward inline); Esc f and
# forward_attach = yes (forward as message/rfc822).
. "$(dirname "$0")/lib.sh"

compose_setup
deliver_demo "$T/Mail/INBOX"
editor_script <<ED
case \$(cat "$T/mode") in
new)
	sed -i -e 's/^To:.*\$/To: Friend <friend@example.org>/' -e 's/^Subject:.*\$/Subject: Hello from surel/' "\$1"
	printf 'A new message.\n' >> "\$1" ;;
group)
	printf 'Reply to all.\n' >> "\$1" ;;
fwd)
	sed -i -e 's/^To:.*\$/To: fwd@example.org/' "\$1" ;;
esac
ED
printf 'some notes\n' > "$T/notes.txt"
printf 'binary\0data\n' > "$T/data.bin"

# queued: the id of the only queued message, its text in $T/queued, and
# its recipients (space-separated) in $T/rcpts; the message is then removed
# so the next check starts from an empty queue.
queued() {
	"$SENDQ" list --json > "$T/list.json"
	python3 - "$T/list.json" "$T/rcpts" <<'PY' > "$T/id" || fail "queue: $(cat "$T/list.json")"
import json, sys
q = json.load(open(sys.argv[1]))
assert len(q) == 1, q
open(sys.argv[2], "w").write(" ".join(r["address"] for r in q[0]["recipients"]))
print(q[0]["id"])
PY
	"$SENDQ" show "$(cat "$T/id")" > "$T/queued"
	"$SENDQ" rm "$(cat "$T/id")"
}

ui_start
wait_for 'surel: INBOX \[Msgs:3'

# m, a twice, D drops the selected one, y sends.
echo new > "$T/mode"
keys m
wait_for '^To:'
keys Enter
wait_for '^ +Subject: Hello from surel' "compose screen after m"
grep -q '^ *To: Friend <friend@example.org>' "$T/screen" || fail "To: $(cat "$T/screen")"
keys a
wait_for '^Attach file:'
keys "$T/notes.txt" Enter
wait_for 'text/plain +[0-9]+ +notes.txt' "first attachment listed"
keys a
wait_for '^Attach file:'
keys "$T/data.bin" Enter
wait_for '[a-z]+/[a-z.+-]+ +[0-9]+ +data.bin' "second attachment listed"
keys k D
wait_gone 'notes.txt'
screen | grep -q 'data.bin' || fail "D dropped the wrong attachment: $(cat "$T/screen")"
ok "m, a attaches, D drops the selected attachment"
keys y
wait_for 'queued as '
queued
[ "$(cat "$T/rcpts")" = friend@example.org ] || fail "recipients: $(cat "$T/rcpts")"
grep -q '^Subject: Hello from surel$' "$T/queued" || fail "subject: $(cat "$T/queued")"
grep -q '^A new message.$' "$T/queued" || fail "text: $(cat "$T/queued")"
grep -q 'filename="data.bin"' "$T/queued" || fail "attachment missing: $(cat "$T/queued")"
grep -q 'notes.txt' "$T/queued" && fail "dropped attachment was sent: $(cat "$T/queued")"
ok "y queues the new message with the remaining attachment"

# m, a, P: postponed to Drafts with its attachment.
keys m
wait_for '^To:'
keys Enter
wait_for '^ +Subject: Hello from surel' "compose screen after the second m"
keys a
wait_for '^Attach file:'
keys "$T/notes.txt" Enter
wait_for 'notes.txt'
keys P
wait_for 'postponed to the drafts folder'
"$SPOOL" ls --json Drafts > "$T/drafts.json"
key=$(python3 -c "
import json
d = json.load(open('$T/drafts.json'))
assert len(d) == 1, d
print(d[0]['key'])") || fail "Drafts: $(cat "$T/drafts.json")"
"$SPOOL" show --json Drafts "$key" > "$T/draft.json"
python3 - "$T/draft.json" <<'PY' || fail "draft: $(cat "$T/draft.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["subject"] == "Hello from surel", m
assert [a["addr"] for a in m["to"]] == ["friend@example.org"], m
assert "A new message." in m["text"], m
assert any(p["filename"] == "notes.txt" for p in m["parts"]), m
PY
"$SENDQ" list --json | python3 -c "import json, sys; assert json.load(sys.stdin) == []" ||
	fail "postpone queued something"
ok "P postpones to Drafts with the attachment"

# g on Ana's report (To: demo, Cc: Budi): Ana and Budi, not ourselves.
echo group > "$T/mode"
keys k
sleep 0.2
keys g
wait_for '^ +Subject: Re: Laporan mingguan' "compose screen after g"
grep -q '^ *To: Ana Putri <ana@example.test>' "$T/screen" || fail "g To: $(cat "$T/screen")"
grep -q '^ *Cc: .*budi@example.test' "$T/screen" || fail "g Cc: $(cat "$T/screen")"
keys y
wait_for 'queued as '
queued
[ "$(cat "$T/rcpts")" = "ana@example.test budi@example.test" ] || fail "g recipients: $(cat "$T/rcpts")"
grep -q '^In-Reply-To: <report.2@example.test>$' "$T/queued" || fail "g In-Reply-To: $(cat "$T/queued")"
grep -q '^Reply to all.$' "$T/queued" || fail "g text: $(cat "$T/queued")"
ok "g replies to all but ourselves"

# f: inline forward.
echo fwd > "$T/mode"
keys f
wait_for '^Forward to:'
keys Enter
wait_for '^ +Subject: Fwd: Laporan mingguan' "compose screen after f"
keys y
wait_for 'queued as '
queued
[ "$(cat "$T/rcpts")" = fwd@example.org ] || fail "f recipients: $(cat "$T/rcpts")"
grep -q -- '---------- Forwarded message ----------' "$T/queued" || fail "f: $(cat "$T/queued")"
grep -q 'message/rfc822' "$T/queued" && fail "f attached: $(cat "$T/queued")"
ok "f forwards inline"

# Esc f: attached as message/rfc822.
keys Escape f
wait_for '^Forward to:'
keys Enter
wait_for '^ +Subject: Fwd: Laporan mingguan' "compose screen after Esc f"
wait_for 'message/rfc822' "the original listed as an attachment"
keys y
wait_for 'queued as '
queued
grep -q '^Content-Type: message/rfc822' "$T/queued" || fail "Esc f: $(cat "$T/queued")"
grep -q '^Message-ID: <report.2@example.test>' "$T/queued" || fail "Esc f original: $(cat "$T/queued")"
grep -q -- '---------- Forwarded message ----------' "$T/queued" && fail "Esc f inline: $(cat "$T/queued")"
ok "Esc f forwards as an attachment"
keys q
wait_for '^SUREL-EXIT 0'

# forward_attach = yes makes f attach; = ask asks.
compose_setup "forward_attach = yes"
ui_start
wait_for 'surel: INBOX \[Msgs:3'
keys k
sleep 0.2
keys f
wait_for '^Forward to:'
keys Enter
wait_for 'message/rfc822' "f with forward_attach = yes"
keys y
wait_for 'queued as '
queued
grep -q '^Content-Type: message/rfc822' "$T/queued" || fail "forward_attach: $(cat "$T/queued")"
keys q
wait_for '^SUREL-EXIT 0'
compose_setup "forward_attach = ask"
ui_start
wait_for 'surel: INBOX \[Msgs:3'
keys f
wait_for 'Forward as attachment\? \(y/n\)'
keys n
wait_for '^Forward to:'
keys Enter
wait_for '^ +Subject: Fwd: '
wait_for 'No attachments'
keys q
wait_for 'Abort this message'
keys y
wait_for 'message aborted'
keys q
wait_for '^SUREL-EXIT 0'
ok "forward_attach = yes attaches, = ask asks"
