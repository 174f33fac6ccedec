#!/bin/sh
# Viewing through the user's mailcap: an HTML-only message is shown
# through a copiousoutput entry (or as stripped text without one), Enter
# in the part list runs an entry with the terminal handed over (test=
# clauses honoured), the part's private temp file is mode 0600 and gone
# afterwards, and a hostile Content-Type parameter reaches no shell.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/tmp" "$T/Mail"
export TMPDIR="$T/tmp"
cat > "$HOME/.mailcap" <<'MC'
# a fake renderer, so no w3m or lynx is needed
text/html; sed -e 's/<[^>]*>//g' -e 's/^/RENDERED: /' %s; copiousoutput; test=test -r %s
application/pdf; echo WRONG-ENTRY; test=false
application/pdf; echo "VIEWER mode $(stat -c %a %s) charset %{charset}"\; cat %s\; echo\; echo press-enter\; read x
MC
cat > "$T/html.eml" <<'EOF2'
From: Web Shop <shop@example.test>
To: demo@example.test
Subject: Your order
Message-ID: <html.1@example.test>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><style>p { color: red }</style></head>
<body><p>Order <b>42</b> &amp; more</p></body></html>
EOF2
cat > "$T/pdf.eml" <<'EOF2'
From: Ana <ana@example.test>
To: demo@example.test
Subject: The contract
Message-ID: <pdf.1@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

See the attachment.
--b
Content-Type: application/pdf; name=c.pdf; charset="x';touch $HOME/pwned;'$(touch $HOME/pwned)"
Content-Disposition: attachment; filename=c.pdf

PDF-BYTES
--b--
EOF2
"$SPOOL" deliver "$T/Mail/box" < "$T/html.eml"
"$SPOOL" deliver "$T/Mail/box" < "$T/pdf.eml"

ui_start -f "$T/Mail/box"
wait_for 'box \[Msgs:2'
keys k Enter
wait_for 'RENDERED: Order 42 &amp; more' "HTML through the copiousoutput entry"
screen | grep -q 'text/html shown through mailcap' || fail "note line: $(cat "$T/screen")"
ok "an HTML-only message is shown through a copiousoutput mailcap entry"

keys J
wait_for '^See the attachment.' "second message"
keys v
wait_for 'application/pdf' "part list"
keys j Enter
wait_for '^press-enter' "the viewer ran with the terminal"
screen | grep -q '^VIEWER mode 600 charset xtouch' || fail "viewer line: $(cat "$T/screen")"
screen | grep -q 'WRONG-ENTRY' && fail "test=false entry used: $(cat "$T/screen")"
screen | grep -q '^PDF-BYTES' || fail "part content: $(cat "$T/screen")"
keys Enter
wait_for 'Enter:View' "back in the part list"
[ -e "$HOME/pwned" ] && fail "a Content-Type parameter ran a command"
[ -z "$(ls "$T/tmp")" ] || fail "temp files left: $(ls -la "$T/tmp")"
ok "Enter runs a mailcap entry with the terminal (test= honoured, 0600, removed, quoted)"

keys q q q
wait_for '^SUREL-EXIT 0'

# Without a copiousoutput entry the HTML is shown as stripped text.
ui_stop
export MAILCAPS="$T/none"
ui_start -f "$T/Mail/box"
wait_for 'box \[Msgs:2'
keys k Enter
wait_for '^Order 42 & more' "stripped HTML"
screen | grep -q 'text/html shown as plain text' || fail "note line: $(cat "$T/screen")"
screen | grep -q 'color: red' && fail "style shown: $(cat "$T/screen")"
ok "without a mailcap entry the HTML is shown as stripped text"
keys q q
wait_for '^SUREL-EXIT 0'

# A failing viewer: its first line of standard error is shown on the
# message line (not left on the terminal), and the mailcap file is read
# once per session (a change while surel runs is not seen).
ui_stop
export MAILCAPS="$T/mc2"
printf '%s\n' "application/pdf; echo 'viewer: cannot open display' >&2\\; echo more >&2\\; exit 2" > "$MAILCAPS"
ui_start -f "$T/Mail/box"
wait_for 'box \[Msgs:2'
keys Enter
wait_for '^See the attachment.' "the pdf message"
keys v
wait_for 'application/pdf' "part list"
keys j Enter
wait_for "exited with status 2: viewer: cannot open display"
screen | grep -q '^more' && fail "stderr reached the terminal: $(cat "$T/screen")"
printf '%s\n' "application/pdf; echo CHANGED-ENTRY; copiousoutput" > "$MAILCAPS"
keys q v
wait_for 'application/pdf' "part list again"
keys j Enter
wait_for "exited with status 2: viewer: cannot open display"
screen | grep -q 'CHANGED-ENTRY' && fail "mailcap read again: $(cat "$T/screen")"
ok "a failing viewer's stderr is shown; mailcap is read once per session"
keys q q q
wait_for '^SUREL-EXIT 0'
if screen | grep -q 'cannot open display'; then fail "stderr left in the shell: $(cat "$T/screen")"; fi
