#!/bin/sh
# A message/rfc822 attachment (a forward as attachment) opens as a message
# in the pager, with its own parts, without any mailcap entry; r there
# answers the attached message's sender, d says it does not act there.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/Mail"
export MAILCAPS="$T/none"
cat > "$T/fwd.eml" <<'EOF2'
From: Ana <ana@example.test>
To: demo@example.test
Subject: Fwd: quarterly
Message-ID: <fwd.1@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: text/plain

Forwarding this one.
--outer
Content-Type: message/rfc822

From: Budi <budi@example.test>
To: ana@example.test
Subject: Inner quarterly report
Message-ID: <inner.1@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=inner

--inner
Content-Type: text/plain

The inner body text.
--inner
Content-Type: application/pdf; name=q3.pdf
Content-Disposition: attachment; filename=q3.pdf

PDF-BYTES
--inner--
--outer--
EOF2
"$SPOOL" deliver "$T/Mail/box" < "$T/fwd.eml"

ui_start -f "$T/Mail/box"
wait_for 'box \[Msgs:1'
keys Enter
wait_for '^Forwarding this one.'
keys v
wait_for 'message/rfc822' "part list"
keys j Enter
wait_for '^Subject: Inner quarterly report' "the attached message in the pager"
wait_for '^The inner body text.'
screen | grep -q 'no mailcap entry' && fail "went to mailcap: $(cat "$T/screen")"
ok "a message/rfc822 part opens as a message"

keys v
wait_for 'q3.pdf' "the attached message's own parts"
keys q
wait_for '^The inner body text.'
keys q
wait_for 'message/rfc822' "back in the outer part list"
keys q q q
wait_for '^SUREL-EXIT 0'
ok "its own parts are listed, and q goes back step by step"

# r in the attached message answers it (its sender, its Message-ID); the
# part list comes back; d there says so and goes back.
compose_setup
editor_script <<'ED'
printf 'About the inner one.\n' >> "$1"
ED
"$SPOOL" deliver "$T/Mail/INBOX" < "$T/fwd.eml"
ui_stop
ui_start
wait_for 'INBOX \[Msgs:1'
keys Enter
wait_for '^Forwarding this one.'
keys v
wait_for 'message/rfc822' "part list"
keys j Enter
wait_for '^The inner body text.'
keys r
wait_for '^ +Subject: Re: Inner quarterly report' "a reply to the attached message"
grep -q '^ *To: Budi <budi@example.test>' "$T/screen" || fail "To of the reply: $(cat "$T/screen")"
keys y
wait_for 'message/rfc822' "back in the part list"
id=$("$SENDQ" list --json | python3 -c "import json, sys; print(json.load(sys.stdin)[0]['id'])")
"$SENDQ" show "$id" > "$T/reply"
grep -q '^In-Reply-To: <inner.1@example.test>' "$T/reply" || fail "not a reply to the inner one: $(cat "$T/reply")"
grep -q '^> The inner body text.' "$T/reply" || fail "inner text not quoted: $(cat "$T/reply")"
ls "$T/Mail/INBOX/cur" | grep -q ':2,.*R' && fail "the outer message was marked replied"
keys Enter
wait_for '^The inner body text.'
keys d
wait_for 'only replies and forward act on an attached message'
screen | grep -q 'message/rfc822' || fail "d did not go back to the part list: $(cat "$T/screen")"
ok "r answers the attached message; d says it does not act there"
keys q q q
wait_for '^SUREL-EXIT 0'
