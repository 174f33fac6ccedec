#!/bin/sh
# The pager reads OpenPGP mail: one status line per signature (a good one
# plain, a bad one in the error colour and capital words), an encrypted
# message decrypted after curses was left for the passphrase prompt
# (loopback pinentry on the terminal, then gpg-agent's pinentry-curses)
# and the screen drawn whole again,
# the protected Subject shown in the pager and never in the index; escape
# sequences in a signer's user id and in signed text stay inert; ~b
# searches an encrypted body as stored, never decrypted.
. "$(dirname "$0")/lib.sh"
PGP_TRAP_EXTRA='tmux -S "$SOCK" kill-server 2> /dev/null || true;'
. "$(dirname "$0")/../integration/pgp-lib.sh"

pgp_pair "Alice <alice@example.org>" "Bob <bob@example.org>" bobpass
esc=$(printf '\033')
bel=$(printf '\007')
fe=$(pgp_key "$A" "Evil ${esc}[31mRed${esc}]0;pwned${bel} <evil@example.org>" "")
pgp_export "$A" "$B" "$fe"
export GNUPGHOME="$B" SUREL_PINENTRY=loopback

pgp_entity "Hello Bob, this is signed." > "$T/e-good"
pgp_signed "$A" "$fa" "$T/e-good" > "$T/b-good"
pgp_message "Alice <alice@example.org>" "signed" "$T/b-good" | "$SPOOL" deliver "$T/GOOD"
pgp_message "Alice <alice@example.org>" "signed" "$T/b-good" |
	sed 's/this is signed/this is Signed/' | "$SPOOL" deliver "$T/BAD"
pgp_entity "text ${esc}[32mGREEN${esc}]2;pwned2${bel} end" > "$T/e-evil"
pgp_signed "$A" "$fe" "$T/e-evil" > "$T/b-evil"
pgp_message "Evil <evil@example.org>" "evil" "$T/b-evil" | "$SPOOL" deliver "$T/EVIL"
pgp_entity "Secret body MARKER-UI." "Subject: the real subject" > "$T/e-enc"
pgp_encrypted "$A" "$fb" "$T/e-enc" "$fa" > "$T/b-enc"
rm -f "$T/e-enc"
pgp_message "Alice <alice@example.org>" "..." "$T/b-enc" | "$SPOOL" deliver "$T/ENC"

ui_start -f "$T/GOOD"
wait_for 'signed' "the signed message in the index"
keys Enter
wait_for '\[-- Good signature from "Alice <alice@example.org>", key '"$fa"', validity full --\]' "good status line"
grep -q 'Hello Bob, this is signed\.' "$T/screen" || fail "signed text not shown: $(cat "$T/screen")"
grep -q 'pgp-signature' "$T/screen" && fail "the signature part is listed as an attachment"
ok "a good signature: one status line"
keys q q
wait_for '^SUREL-EXIT 0'
ui_stop

ui_start -f "$T/BAD"
wait_for 'signed' "the changed message in the index"
keys Enter
wait_for '\[-- \*\*\* BAD signature' "bad status line"
tmux -S "$SOCK" capture-pane -p -e > "$T/raw"
grep 'BAD signature' "$T/raw" | grep -q "$(printf '\033')\[[0-9;]*31m" ||
	fail "the bad signature line is not red: $(grep 'BAD' "$T/raw" | cat -v)"
grep -q 'Good signature' "$T/screen" && fail "a changed message claims a good signature"
ok "a bad signature: red, in capitals"
keys q q
wait_for '^SUREL-EXIT 0'
ui_stop

ui_start -f "$T/EVIL"
wait_for 'evil' "the message from the evil key in the index"
keys Enter
wait_for '\[-- Good signature from "Evil �\[31mRed�\]0;pwned� <evil@example.org>"' "inert user id"
grep -q 'text �\[32mGREEN�\]2;pwned2� end' "$T/screen" || fail "signed text not inert: $(cat "$T/screen")"
tmux -S "$SOCK" capture-pane -p -e > "$T/raw"
grep -q "$esc\]" "$T/raw" && fail "an OSC sequence reached the pane"
case "$(tmux -S "$SOCK" display-message -p '#{pane_title}')" in *pwned*) fail "the title changed" ;; esac
ok "escape sequences in a user id and in signed text are inert in the pager"
keys q q
wait_for '^SUREL-EXIT 0'
ui_stop

ui_start -f "$T/ENC"
wait_for '\.\.\.' "the encrypted message in the index"
grep -q 'the real subject' "$T/screen" && fail "the index shows the protected subject"
keys Enter
wait_for '^Passphrase for ' "the passphrase prompt outside curses"
keys Enter
wait_for '\[-- Encrypted message, not decrypted --\]' "a cancelled prompt"
grep -q 'cannot decrypt: ' "$T/screen" || fail "no reason given: $(cat "$T/screen")"
grep -q 'MARKER-UI' "$T/screen" && fail "text shown after a cancelled prompt"
ok "an empty passphrase cancels: not decrypted, the reason shown"
keys q
wait_for '\.\.\.' "back in the index"
keys Enter
wait_for '^Passphrase for ' "the passphrase prompt, again"
keys bobpass Enter
wait_for 'Secret body MARKER-UI\.' "decrypted text"
grep -q '^Subject: the real subject' "$T/screen" || fail "protected subject not in the pager: $(cat "$T/screen")"
grep -q '\[-- Encrypted message, decrypted --\]' "$T/screen" || fail "no decrypted line: $(cat "$T/screen")"
grep -q '\[-- Good signature from "Alice <alice@example.org>"' "$T/screen" || fail "no signature line"
grep -q 'Passphrase' "$T/screen" && fail "the prompt was left on the screen: $(cat "$T/screen")"
line 0 | grep -q '^q:' || fail "help bar not redrawn: $(cat "$T/screen")"
ok "decrypted after a loopback passphrase prompt, the screen drawn again, protected Subject"
keys q
wait_for '\.\.\.' "back in the index"
grep -q 'the real subject' "$T/screen" && fail "the index shows the protected subject after reading"
ok "the index keeps the outer subject"
keys l '~b MARKER-UI' Enter
wait_for 'Shown:0\]' "~b finds nothing in the encrypted body"
keys l C-u '~b encrypted.asc' Enter
wait_for 'Shown:1\]' "~b searches the body as stored"
ok "~b does not decrypt"
keys q
wait_for '^SUREL-EXIT 0'
ui_stop

# The default: gpg-agent asks through its own pinentry-curses on the
# terminal surel left, and the pager comes back whole.
if [ -x /usr/bin/pinentry-curses ]; then
	echo "pinentry-program /usr/bin/pinentry-curses" >> "$B/gpg-agent.conf"
	gpgconf --kill gpg-agent
	unset SUREL_PINENTRY
	ui_start -f "$T/ENC"
	wait_for '\.\.\.' "the encrypted message in the index"
	keys Enter
	wait_for 'Passphrase: _' "pinentry-curses"
	keys bobpass Enter
	wait_for 'Secret body MARKER-UI\.' "decrypted through the agent's pinentry"
	grep -q 'Passphrase\|lqqq\|mqqq' "$T/screen" && fail "pinentry left on the screen: $(cat "$T/screen")"
	line 0 | grep -q '^q:' || fail "help bar not redrawn: $(cat "$T/screen")"
	grep -q '^Subject: the real subject' "$T/screen" || fail "protected subject: $(cat "$T/screen")"
	ok "decrypted through gpg-agent's pinentry-curses, the screen drawn again"
	keys q q
	wait_for '^SUREL-EXIT 0'
	ui_stop
fi

# After reading, the marker is in no file of the home, cache, state or
# temporary directories (the test's own screen captures aside).
rm -f "$T/screen" "$T/raw"
grep -rl 'MARKER-UI' "$T" > "$T/found" 2> /dev/null || true
[ ! -s "$T/found" ] || fail "decrypted text on disk: $(cat "$T/found")"
ok "no decrypted text on disk after reading"
