#!/bin/sh
# A message/rfc822 attachment (a forward as attachment) opens as a message
# in the pager, with its own parts, without any mailcap entry.
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
