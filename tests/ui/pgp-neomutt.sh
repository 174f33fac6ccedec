#!/bin/sh
# What surel signs and encrypts shows as good in neomutt (GPGME backend):
# a signed message and a signed-and-encrypted one, sent by surel -s and
# read by the recipient's neomutt in tmux: "Good signature from" Ana, the
# decrypted text, the protected Subject.
. "$(dirname "$0")/lib.sh"
command -v neomutt > /dev/null || skip "neomutt is not installed"
PGP_TRAP_EXTRA='tmux -S "$SOCK" kill-server 2> /dev/null || true;'
. "$(dirname "$0")/../integration/pgp-lib.sh"

pgp_pair "Ana <ana@example.test>" "Bob <bob@example.test>"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[general]
send_delay = 7200

[account work]
name = Ana
address = ana@example.test
maildir = $T/Mail
pgp_key = $fa
CFG
Q="$XDG_DATA_HOME/surel/queue"
printf 'Ditandatangani oleh Ana.\n' |
	GNUPGHOME="$A" "$SUREL" -s "bertanda tangan" --sign bob@example.test || fail "surel -s --sign failed"
"$SPOOL" deliver "$T/nm/INBOX" < "$Q/msg/$(ls -t "$Q/msg" | head -n 1)"
sleep 1
printf 'Rahasia untuk Bob.\n' |
	GNUPGHOME="$A" "$SUREL" -s "subjek rahasia" --sign --encrypt bob@example.test ||
	fail "surel -s --sign --encrypt failed"
"$SPOOL" deliver "$T/nm/INBOX" < "$Q/msg/$(ls -t "$Q/msg" | head -n 1)"

mkdir -p "$T/nmtmp"
cat > "$T/muttrc" <<RC
set crypt_use_gpgme = yes
set crypt_verify_sig = yes
set crypt_protected_headers_read = yes
set mbox_type = Maildir
set folder = $T/nm
set spoolfile = $T/nm/INBOX
set tmpdir = $T/nmtmp
set sort = date
set pager_stop = yes
set header_cache = ""
unset wait_key
RC
tmux -S "$SOCK" -f /dev/null new-session -d -x 120 -y 40 \
	"env GNUPGHOME='$B' TERM=xterm LANG=C.UTF-8 neomutt -n -F '$T/muttrc' -f '$T/nm/INBOX'; echo NEOMUTT-EXIT \$?; sleep 600"
wait_for 'bertanda tangan' "neomutt's index"
keys Enter
wait_for 'Good signature from: Ana <ana@example.test>' "neomutt: good signature on the signed message"
grep -q 'Ditandatangani oleh Ana' "$T/screen" || fail "signed text missing: $(cat "$T/screen")"
grep -qi 'bad signature' "$T/screen" && fail "neomutt reports a bad signature"
ok "neomutt: surel's multipart/signed is a good signature from Ana"

keys i
wait_for 'bertanda tangan'
keys j Enter
wait_for 'Rahasia untuk Bob' "neomutt decrypts"
grep -q 'Good signature from: Ana <ana@example.test>' "$T/screen" ||
	fail "no good signature inside the encrypted message: $(cat "$T/screen")"
grep -q 'subjek rahasia' "$T/screen" || fail "protected Subject not shown: $(cat "$T/screen")"
ok "neomutt: surel's multipart/encrypted decrypts with a good signature and the protected Subject"
keys i q
wait_for 'NEOMUTT-EXIT'
