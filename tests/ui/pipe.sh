#!/bin/sh
# | gives a command the raw bytes of the message (or, after Ctrl-T, the
# decoded text) and shows its output; ;| gives the tagged ones as an mbox;
# C copies to an .eml or an mbox file, s saves to a file and marks the
# original deleted.
. "$(dirname "$0")/lib.sh"

md="$T/INBOX"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
printf 'From: Ana <ana@example.test>\r\nTo: demo@example.test\r\nDate: 01 Nov 2026 10:00:00 +0000\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nMessage-ID: <a@t>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 au lait\r\nFrom here on\r\n' \
	> "$md/cur/1700000001.M1P1.test:2,S"
printf 'From: bo@example.test\nTo: demo@example.test\nDate: 02 Nov 2026 10:00:00 +0000\nSubject: second\nMessage-ID: <b@t>\n\nsecond body\n' \
	> "$md/cur/1700000002.M1P1.test:2,S"
cat > "$T/catch" <<'SH'
#!/bin/sh
cat > "$1"
echo "piped-ok $(wc -c < "$1") bytes"
SH
chmod +x "$T/catch"

ui_start -f "$md"
wait_for 'Msgs:2' "index"
keys = '|'
wait_for '^Pipe to:'
keys "$T/catch $T/raw" Enter
wait_for 'piped-ok'
wait_for 'press a key'
keys Space
wait_for 'Msgs:2'
cmp -s "$T/raw" "$md/cur/1700000001.M1P1.test:2,S" || fail "the command did not get the raw bytes: $(od -c "$T/raw" | head)"
ok "| gives the command the raw bytes and shows its output"

keys '|'
wait_for '^Pipe to:'
keys C-t
wait_for 'pipe: the decoded text'
keys "$T/catch $T/dec" Enter
wait_for 'press a key'
keys Space
wait_for 'Msgs:2'
grep -q '^Subject: Grüße$' "$T/dec" && grep -q '^café au lait$' "$T/dec" ||
	fail "decoded pipe: $(cat "$T/dec")"
ok "Ctrl-T at the pipe prompt pipes the decoded text"

keys t t '\;' '|'
wait_for '^Pipe decoded to:'
keys C-t
keys "$T/catch $T/two" Enter
wait_for 'press a key'
keys Space
wait_for 'Msgs:2'
[ "$(grep -c '^From ' "$T/two")" -eq 2 ] && grep -q '^>From here on' "$T/two" ||
	fail "tagged pipe is not one mbox: $(cat "$T/two")"
keys '\;' t
wait_gone 'Tag:'
ok ";| pipes the tagged messages as one mbox"

# The same from the pager, which shows the message again afterwards.
keys = Enter
wait_for 'café au lait'
keys '|'
wait_for '^Pipe to:'
keys "$T/catch $T/raw2" Enter
wait_for 'press a key'
keys Space
wait_for 'café au lait'
cmp -s "$T/raw2" "$md/cur/1700000001.M1P1.test:2,S" || fail "pipe from the pager: $(od -c "$T/raw2" | head)"
keys C "$T/two.eml" Enter
wait_for 'copied to'
cmp -s "$T/two.eml" "$md/cur/1700000001.M1P1.test:2,S" || fail ".eml copy from the pager differs"
keys q
wait_for 'Msgs:2'
ok "| and C in the pager"

keys = C
wait_for '^Copy to folder:'
keys "$T/one.eml" Enter
wait_for 'copied to'
cmp -s "$T/one.eml" "$md/cur/1700000001.M1P1.test:2,S" || fail ".eml copy differs"
keys C "$T/one.eml" Enter
wait_for 'exists already'
keys C "$T/box.mbox" Enter
wait_for 'copied to'
keys j s "$T/box.mbox" Enter
wait_for 'saved to'
wait_for 'Del:1'
[ "$(grep -c '^From ' "$T/box.mbox")" -eq 2 ] || fail "mbox: $(cat "$T/box.mbox")"
grep -q '^>From here on' "$T/box.mbox" || fail "mbox not escaped: $(cat "$T/box.mbox")"
ok "C copies to an .eml or an mbox, s saves and marks deleted"
keys q
wait_for 'Expunge'
keys n
wait_for '^SUREL-EXIT 0'
ui_stop

ui_start -f "$T/box.mbox"
wait_for 'Msgs:2' "the saved mbox opens"
keys q
wait_for '^SUREL-EXIT 0'
ok "the saved mbox reads back"
