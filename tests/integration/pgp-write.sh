#!/bin/sh
# PGP/MIME writing with surel -s --sign / --encrypt, checked by gpg itself:
# the signed part (cut out as RFC 3156 says) verifies with gpg --verify,
# the encrypted one decrypts for the recipient and for the sender (so the
# Sent copy stays readable), protected headers travel inside with "..."
# outside, the Autocrypt header carries the sender's key, and every
# failure (no key, no passphrase) exits non-zero with one line and queues
# nothing.  Keys are made here, in throwaway GnuPG homes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pgp-lib.sh"
. "$(dirname "$0")/pgpw-lib.sh"

SUREL="$top_builddir/mua/surel"
Q="$XDG_DATA_HOME/surel/queue"
A=$(pw_home a)
B=$(pw_home b)
FA=$(pw_key "$A" "Ana <ana@example.test>" pw-ana)
FB=$(pw_key "$B" "Bob <bob@example.test>" pw-bob)
[ -n "$FA" ] && [ -n "$FB" ] || fail "gpg made no keys"
pw_give "$B" "$FB" "$A"
# Ana has checked Bob's key: a local signature makes it valid for her.
GNUPGHOME="$A" gpg --batch --quiet --pinentry-mode loopback --passphrase pw-ana \
	--quick-lsign-key "$FB" > /dev/null 2>&1 || true
GNUPGHOME="$A" gpg --batch --with-colons --list-keys "$FB" 2> /dev/null | grep -q '^uid:f:' ||
	fail "Bob's key is not valid for Ana after --quick-lsign-key"
# That cached Ana's passphrase in her agent: forget it again.
GNUPGHOME="$A" gpgconf --reload gpg-agent 2> /dev/null || true
export GNUPGHOME="$A"

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[general]
send_delay = 3600

[account work]
name = Ana
address = ana@example.test
maildir = $T/Mail/work
pgp_key = $FA
autocrypt = yes
EOF

nqueued() {
	if [ -d "$Q/env" ]; then ls -A "$Q/env" | wc -l; else echo 0; fi
}
newest() {
	ls -t "$Q/msg" | head -n 1
}
# send ARGS... < BODY: surel -s, its status checked by the caller
send() {
	set +e
	"$SUREL" "$@" > "$T/out" 2> "$T/err"
	got=$?
	set -e
}

# Without the passphrase in the agent (and no pinentry to ask) signing
# fails before anything is queued.
printf 'Laporan harian.\n' > "$T/body"
send -s "Harian" --sign bob@example.test < "$T/body"
[ "$got" -eq 69 ] || fail "--sign without a passphrase exited $got: $(cat "$T/err")"
expect_one_line_error surel
grep -q "cannot sign" "$T/err" || fail "error does not say signing failed: $(cat "$T/err")"
[ "$(nqueued)" -eq 0 ] || fail "a message was queued although signing failed"
ok "--sign without a usable passphrase: exit 69, one line, nothing queued"

# A script gives the passphrase through loopback on a descriptor of its
# own (lib/crypto: SUREL_PINENTRY, SUREL_PASSPHRASE_FD); a wrong one fails.
printf 'wrong\n' > "$T/pass"
send -s "Cron" --sign bob@example.test < "$T/body" 3< "$T/pass"
[ "$got" -ne 0 ] || fail "--sign with no passphrase on the agent's side succeeded"
SUREL_PINENTRY=loopback SUREL_PASSPHRASE_FD=3 send -s "Cron" --sign bob@example.test < "$T/body" 3< "$T/pass"
[ "$got" -ne 0 ] || fail "--sign with a wrong loopback passphrase succeeded"
expect_one_line_error surel
[ "$(nqueued)" -eq 0 ] || fail "queued although the passphrase was wrong"
printf 'pw-ana\n' > "$T/pass"
SUREL_PINENTRY=loopback SUREL_PASSPHRASE_FD=3 send -s "Cron" --sign bob@example.test < "$T/body" 3< "$T/pass"
[ "$got" -eq 0 ] || fail "--sign with the loopback passphrase exited $got: $(cat "$T/err")"
rm -f "$Q/env/"* "$Q/msg/"*
ok "--sign from a script: passphrase by loopback on a descriptor; a wrong one fails with one line"

pw_unlock "$A" pw-ana
printf 'Laporan harian.\nFrom here on, trailing blank:   \n' > "$T/body"
expect_exit 0 "$SUREL" -s "Harian OK" --sign bob@example.test < "$T/body"
[ "$(nqueued)" -eq 1 ] || fail "signed message not queued"
m="$Q/msg/$(newest)"
mkdir -p "$T/s1"
[ "$(pw_rfc3156 "$m" "$T/s1")" = multipart/signed ] || fail "not multipart/signed: $(cat "$m")"
grep -q '^Content-Type: multipart/signed; micalg=pgp-sha[0-9]*;' "$m" || fail "no micalg: $(cat "$m")"
grep -q 'protocol="application/pgp-signature"' "$m" || fail "no protocol parameter"
GNUPGHOME="$A" gpg --batch --status-fd 1 --verify "$T/s1/sig" "$T/s1/signed" > "$T/v" 2> /dev/null ||
	fail "gpg does not verify the signed part: $(cat "$T/v")"
grep -q "^\[GNUPG:\] VALIDSIG $FA" "$T/v" || fail "not Ana's signature: $(cat "$T/v")"
grep -q 'protected-headers="v1"' "$T/s1/signed" || fail "signed part lacks protected headers"
grep -q '^Subject: Harian OK' "$T/s1/signed" || fail "Subject not inside the signed part"
grep -q '^Subject: Harian OK' "$m" || fail "signed-only message hides its Subject"
# One byte changed in the signed text: gpg must call it bad.
sed 's/Laporan harian/Laporan Harian/' "$T/s1/signed" > "$T/s1/bad"
cmp -s "$T/s1/signed" "$T/s1/bad" && fail "the test changed nothing"
GNUPGHOME="$A" gpg --batch --status-fd 1 --verify "$T/s1/sig" "$T/s1/bad" > "$T/v" 2> /dev/null &&
	fail "a changed signed part still verifies"
grep -q "BADSIG" "$T/v" || fail "no BADSIG for a changed part: $(cat "$T/v")"
grep -q "^Autocrypt: addr=ana@example.test; keydata=" "$m" || fail "no Autocrypt header: $(cat "$m")"
python3 - "$m" "$T/ac.key" <<'PY'
import base64, email, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read())
v = ''.join(m['Autocrypt'].split())
open(sys.argv[2], 'wb').write(base64.b64decode(v.split('keydata=', 1)[1]))
PY
GNUPGHOME="$B" gpg --batch --with-colons --show-keys "$T/ac.key" 2> /dev/null | grep -q "^fpr:*$FA:" ||
	fail "the Autocrypt keydata is not Ana's key"
ok "--sign: multipart/signed that gpg verifies over the RFC 3156 part; a changed byte is BADSIG; Autocrypt key"

marker="MARKER-$$-pgpwrite"
printf 'Rahasia: %s\n' "$marker" | expect_exit 0 "$SUREL" -s "Gaji 2027" --encrypt bob@example.test
[ "$(nqueued)" -eq 2 ] || fail "encrypted message not queued"
m="$Q/msg/$(newest)"
mkdir -p "$T/e1"
[ "$(pw_rfc3156 "$m" "$T/e1")" = multipart/encrypted ] || fail "not multipart/encrypted: $(cat "$m")"
grep -q '^Subject: \.\.\.$' "$m" || fail "outer Subject is not '...': $(cat "$m")"
grep -q "Gaji" "$m" && fail "the real Subject is visible outside"
grep -rq "$marker" "$HOME" "$T/e1" && fail "plaintext marker found on disk"
pw_unlock "$B" pw-bob
GNUPGHOME="$B" gpg --batch --decrypt "$T/e1/cipher" > "$T/e1/plain" 2> /dev/null ||
	fail "Bob cannot decrypt"
grep -q "$marker" "$T/e1/plain" || fail "decrypted text lacks the body"
grep -q '^Subject: Gaji 2027' "$T/e1/plain" || fail "protected Subject missing inside: $(cat "$T/e1/plain")"
grep -q 'protected-headers="v1"' "$T/e1/plain" || fail "no protected-headers parameter inside"
GNUPGHOME="$A" gpg --batch --decrypt "$T/e1/cipher" > /dev/null 2>&1 ||
	fail "not encrypted to the sender's own key"
rm -f "$T/e1/plain"
ok "--encrypt: multipart/encrypted, to Bob and to Ana; Subject '...' outside, protected headers inside"

printf 'Dua-duanya.\n' | expect_exit 0 "$SUREL" -s "Keduanya" --sign --encrypt bob@example.test
m="$Q/msg/$(newest)"
mkdir -p "$T/e2"
pw_rfc3156 "$m" "$T/e2" > /dev/null
pw_give "$A" "$FA" "$B"
GNUPGHOME="$B" gpg --batch --status-fd 1 --decrypt "$T/e2/cipher" > "$T/e2/st" 2> /dev/null ||
	fail "Bob cannot decrypt the signed and encrypted message"
grep -q "GOODSIG" "$T/e2/st" || fail "no good signature inside: $(cat "$T/e2/st")"
ok "--sign --encrypt: decrypts for Bob with a good signature by Ana"

before=$(nqueued)
printf 'Tanpa kunci.\n' | expect_exit 65 "$SUREL" -s "Tanpa kunci" --encrypt bob@example.test carol@example.test
expect_one_line_error surel
grep -q "carol@example.test" "$T/err" || fail "the recipient without a key is not named: $(cat "$T/err")"
grep -q "bob@example.test" "$T/err" && fail "Bob has a key but is named: $(cat "$T/err")"
[ "$(nqueued)" -eq "$before" ] || fail "queued although a key was missing"
ok "--encrypt with a recipient without a key: exit 65 naming them, nothing queued"

# pgp_encrypt = if-possible: encrypted to Bob, plain to Carol; always: Carol fails.
sed -i 's/^autocrypt = yes$/autocrypt = yes\npgp_encrypt = if-possible/' "$XDG_CONFIG_HOME/surel/config"
printf 'Otomatis.\n' | expect_exit 0 "$SUREL" -s "Auto" bob@example.test
grep -q '^Content-Type: multipart/encrypted' "$Q/msg/$(newest)" || fail "if-possible did not encrypt to Bob"
printf 'Otomatis.\n' | expect_exit 0 "$SUREL" -s "Auto" carol@example.test
grep -q '^Content-Type: multipart/encrypted' "$Q/msg/$(newest)" && fail "if-possible encrypted without a key"
sed -i 's/^pgp_encrypt = if-possible$/pgp_encrypt = always/' "$XDG_CONFIG_HOME/surel/config"
before=$(nqueued)
printf 'Selalu.\n' | expect_exit 65 "$SUREL" -s "Selalu" carol@example.test
[ "$(nqueued)" -eq "$before" ] || fail "pgp_encrypt = always queued without a key"
sed -i 's/^pgp_encrypt = always$/pgp_encrypt = sometimes/' "$XDG_CONFIG_HOME/surel/config"
printf 'x\n' | expect_exit 78 "$SUREL" -s "Bad" bob@example.test
grep -q "pgp_encrypt" "$T/err" || fail "a bad pgp_encrypt is not named: $(cat "$T/err")"
ok "pgp_encrypt: if-possible follows the keys, always refuses without one, a bad value is 78"
