#!/bin/sh
# surel 'mailto:...': the compose screen filled from the URL (RFC 6068):
# a percent-encoded UTF-8 subject, Cc, a body with CRLF; attach= is
# ignored with a warning; y queues the message.
. "$(dirname "$0")/lib.sh"

compose_setup
# The editor keeps what it was given (an unchanged mailto draft is still
# sent) and leaves a copy for the test.
editor_script <<ED
cp "\$1" "$T/seen"
ED
printf 'secret\n' > "$T/secret.txt"

ui_start "mailto:friend@example.org?subject=Gr%C3%BC%C3%9Fe%20%E2%9C%93%20caf%C3%A9&cc=c@example.org&body=Hello%20there,%0D%0Asecond%20line%20%E2%80%94%20ok&attach=$T/secret.txt"
wait_for '^ +Subject: Grüße ✓ café$' "the compose screen with the decoded subject"
grep -q '^ *To: friend@example.org$' "$T/screen" || fail "To: $(cat "$T/screen")"
grep -q '^ *Cc: c@example.org$' "$T/screen" || fail "Cc: $(cat "$T/screen")"
grep -q '^ *From: Demo User <demo@example.test>$' "$T/screen" || fail "From: $(cat "$T/screen")"
grep -q 'No attachments' "$T/screen" || fail "attach= attached something: $(cat "$T/screen")"
grep -q '^Hello there,$' "$T/seen" || fail "body line 1 not in the draft: $(cat "$T/seen")"
grep -q '^second line — ok$' "$T/seen" || fail "body line 2 not in the draft: $(cat "$T/seen")"
ok "a mailto: URL fills the compose screen: UTF-8 subject, Cc, body"

keys y
wait_for '^SUREL-EXIT 0' "surel exits after sending"
grep -q 'surel: mailto: attach= ignored' "$T/screen" || fail "no warning for attach=: $(cat "$T/screen")"
"$SENDQ" list --json > "$T/list.json"
id=$(python3 -c "import json; q = json.load(open('$T/list.json')); assert len(q) == 1, q; assert sorted(r['address'] for r in q[0]['recipients']) == ['c@example.org', 'friend@example.org'], q; print(q[0]['id'])") ||
	fail "queue: $(cat "$T/list.json")"
"$SENDQ" show "$id" > "$T/queued"
grep -qi '^Subject: =?utf-8?' "$T/queued" || fail "subject not encoded: $(cat "$T/queued")"
grep -q 'secret' "$T/queued" && fail "the file named by attach= was sent"
"$SPOOL" show --json "$(ls -d "$XDG_DATA_HOME"/surel/queue/msg/* | head -1)" > "$T/shown.json"
python3 - "$T/shown.json" <<'PY' || fail "queued message: $(cat "$T/shown.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["subject"] == "Grüße ✓ café", m["subject"]
assert "Hello there,\nsecond line — ok" in m["text"], m["text"]
PY
ok "y queues it with the encoded subject and the body, and attach= is ignored with a warning"

# A bad escape is a usage error before any screen.
expect_exit 64 "$SUREL" 'mailto:a@x.example?subject=%zz'
grep -q "^surel: mailto: bad %-escape in subject" "$T/err" || fail "error: $(cat "$T/err")"
ok "a bad %-escape exits 64 with one line"
