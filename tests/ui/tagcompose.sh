#!/bin/sh
# ;g answers every tagged message in one reply (all their senders and
# recipients, every text quoted, each original marked replied); ;f
# forwards them as attachments of one message; ;r asks the reply_to
# question for each tagged message whose Reply-To differs from its From
# (Esc drops the reply, n answers the sender); ;g follows
# Mail-Followup-To.
. "$(dirname "$0")/lib.sh"

compose_setup
deliver_demo "$T/Mail/INBOX"
printf 'From: Carla <carla@example.test>\nReply-To: talk@lists.example.test\nTo: demo@example.test\nSubject: list one\nMessage-ID: <l1@x>\n\nfirst\n' |
	"$SPOOL" deliver "$T/Mail/INBOX"
printf 'From: Dewi <dewi@example.test>\nTo: demo@example.test\nSubject: plain two\nMessage-ID: <p2@x>\n\nsecond\n' |
	"$SPOOL" deliver "$T/Mail/INBOX"
printf 'From: Eko <eko@example.test>\nReply-To: eko.private@example.test\nTo: team@lists.example.test, demo@example.test\nMail-Followup-To: team@lists.example.test\nSubject: followup three\nMessage-ID: <f3@x>\n\nthird\n' |
	"$SPOOL" deliver "$T/Mail/INBOX"
editor_script <<'ED'
printf 'All noted.\n' >> "$1"
ED

# retag PATTERN: clears the tags (;t), then tags the two messages PATTERN
# matches.
retag() {
	keys '\;' t
	wait_gone 'Tag:'
	keys T
	wait_for '^Tag messages matching:'
	keys "$1" Enter
	wait_for 'Tag:2'
}

ui_start
wait_for 'INBOX \[Msgs:6' "index"
keys T
wait_for '^Tag messages matching:'
keys '~f ana|~f surel' Enter
wait_for 'Tag:2'
keys '\;' g
wait_for '^ +Subject: Re: ' "compose screen"
grep -q 'To: .*ana@example.test' "$T/screen" && grep -q 'To: .*surel@example.test' "$T/screen" ||
	fail "not both senders in To: $(cat "$T/screen")"
grep -q 'Cc: .*budi@example.test' "$T/screen" || fail "Cc of the group reply: $(cat "$T/screen")"
keys y
wait_for 'Queue:1' "queued"
[ "$(ls "$T/Mail/INBOX/cur" | grep -c ':2,.*R')" -eq 2 ] || fail "both not marked replied: $(ls "$T/Mail/INBOX/cur")"
id=$("$SENDQ" list --json | python3 -c "import json, sys; q = json.load(sys.stdin); print(q[0]['id'])")
"$SENDQ" show "$id" > "$T/reply"
grep -q '^> Hi, here is the weekly report' "$T/reply" || fail "first text not quoted: $(cat "$T/reply")"
grep -q '^> Everything here lives in a Maildir' "$T/reply" || fail "second text not quoted: $(cat "$T/reply")"
[ "$(grep -c '^All noted.$' "$T/reply")" -eq 1 ] || fail "the editor's text: $(cat "$T/reply")"
ok ";g answers every tagged message in one reply"

keys '\;' f
wait_for '^Forward to:'
keys 'friend@example.test' Enter
wait_for 'message/rfc822' "compose screen with attachments"
keys y
wait_for 'Queue:2' "forward queued"
"$SENDQ" list --json | python3 -c "import json, sys; q = json.load(sys.stdin); print('\n'.join(x['id'] for x in q))" > "$T/ids"
for id in $(cat "$T/ids"); do "$SENDQ" show "$id"; done > "$T/all"
[ "$(grep -ci '^Content-Type: message/rfc822' "$T/all")" -eq 2 ] || fail "forward lacks the two messages: $(cat "$T/all")"
ok ";f forwards the tagged messages as attachments of one message"

retag '~f carla|~f dewi'
keys '\;' r
wait_for 'Reply to talk@lists.example.test\? \(\[yes\]/no\)' "the reply_to question"
keys Escape
wait_gone 'Reply to talk@'
screen | grep -q 'Subject: Re:' && fail "Esc did not drop the reply: $(cat "$T/screen")"
keys '\;' r
wait_for 'Reply to talk@lists.example.test\? \(\[yes\]/no\)'
keys n
wait_for '^ +Subject: Re: ' "compose screen"
grep -q 'To: .*carla@example.test' "$T/screen" && grep -q 'To: .*dewi@example.test' "$T/screen" ||
	fail "not both senders in To: $(cat "$T/screen")"
grep -q 'talk@lists' "$T/screen" && fail "n still answers Reply-To: $(cat "$T/screen")"
keys y
wait_for 'Queue:3' "queued"
ok ";r asks the reply_to question, Esc drops and n answers the senders"

# ;g: Mail-Followup-To settles Eko's part without a question.
retag '~f dewi|~f eko'
keys '\;' g
wait_for '^ +Subject: Re: ' "compose screen without a question"
grep -q 'To: .*team@lists.example.test' "$T/screen" && grep -q 'To: .*dewi@example.test' "$T/screen" ||
	fail "To of the group reply: $(cat "$T/screen")"
grep -q 'eko.private' "$T/screen" && fail "Reply-To used over Mail-Followup-To: $(cat "$T/screen")"
keys y
wait_for 'Queue:4' "queued"
ok ";g honours Mail-Followup-To"
keys q
wait_for '^SUREL-EXIT 0'
