#!/bin/sh
# spool show reads OpenPGP mail that gpg itself signed and encrypted:
# RFC 3156 signed and encrypted, nested both ways, inline PGP; good, bad
# (one byte changed), unknown, expired and revoked keys, a From that the
# key does not carry; --decrypt through a loopback passphrase, and its
# failures; protected headers (never in the address book); escape
# sequences in a user id and in signed text stay inert; decrypted text
# reaches no file.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is needed to read the JSON"
. "$(dirname "$0")/pgp-lib.sh"

A=$(pgp_home alice)
B=$(pgp_home bob)
X=$(pgp_home stranger)
fa=$(pgp_key "$A" "Alice <alice@example.org>" "")
fb=$(pgp_key "$B" "Bob <bob@example.org>" "bobpass")
fx=$(pgp_key "$X" "Stranger <stranger@example.org>" "")
esc=$(printf '\033')
bel=$(printf '\007')
fe=$(pgp_key "$A" "Evil ${esc}[31mRed${esc}]0;pwned${bel} <evil@example.org>" "")
fo=$(pgp_key "$A" "Old <old@example.org>" "" 1d 20200101T000000)
fr=$(pgp_key "$A" "Gone <gone@example.org>" "")
for f in "$fa" "$fe" "$fo" "$fr"; do
	pgp_export "$A" "$B" "$f"
done
pgp_export "$B" "$A" "$fb"
[ -n "$fa" ] && [ -n "$fb" ] && [ -n "$fo" ] || fail "key generation failed"
export GNUPGHOME="$B"

# show_json NAME [ARGS]: spool show --json of $T/NAME.eml into $T/NAME.json.
show_json() {
	n=$1
	shift
	expect_exit 0 "$SPOOL" show --json "$@" "$T/$n.eml"
	cp "$T/out" "$T/$n.json"
}

# decrypt_json NAME: show_json NAME --decrypt, Bob's passphrase given
# through loopback on descriptor 3.
decrypt_json() {
	expect_exit 0 env SUREL_PINENTRY=loopback SUREL_PASSPHRASE_FD=3 "$SPOOL" show --json --decrypt \
		"$T/$1.eml" 3<<EOF
bobpass
EOF
	cp "$T/out" "$T/$1.json"
}

# jget FILE EXPR: a Python expression over the JSON object j.
jget() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

sigs() {
	jget "$T/$1.json" '",".join(s["status"] for s in j["crypto"]["signatures"])'
}

# Good signature, PGP/MIME.
pgp_entity "Hello Bob, this is signed." > "$T/e-good"
pgp_signed "$A" "$fa" "$T/e-good" > "$T/b-good"
pgp_message "Alice <alice@example.org>" "signed" "$T/b-good" > "$T/good.eml"
show_json good
[ "$(sigs good)" = good ] || fail "good: $(cat "$T/good.json")"
[ "$(jget "$T/good.json" 'j["crypto"]["signatures"][0]["fingerprint"]')" = "$fa" ] || fail "good: fingerprint"
[ "$(jget "$T/good.json" 'j["crypto"]["signatures"][0]["uid"]')" = "Alice <alice@example.org>" ] || fail "good: uid"
[ "$(jget "$T/good.json" 'j["crypto"]["signatures"][0]["valid_from_address"]')" = True ] || fail "good: From"
[ "$(jget "$T/good.json" 'j["crypto"]["signed"], j["crypto"]["encrypted"], j["crypto"]["decrypted"]')" = "(True, False, False)" ] ||
	fail "good: flags $(cat "$T/good.json")"
[ "$(jget "$T/good.json" 'j["text"]')" = "Hello Bob, this is signed." ] || fail "good: text"
expect_exit 0 "$SPOOL" show "$T/good.eml"
grep -q "^Signature: Good signature from \"Alice <alice@example.org>\", key $fa, validity full$" "$T/out" ||
	fail "good: text view: $(cat "$T/out")"
ok "a good PGP/MIME signature: status, fingerprint, uid, From"

# The same message with one byte of the signed text changed.
sed 's/this is signed/this is Signed/' "$T/good.eml" > "$T/bad.eml"
show_json bad
[ "$(sigs bad)" = bad ] || fail "bad: $(cat "$T/bad.json")"
expect_exit 0 "$SPOOL" show "$T/bad.eml"
grep -q '^Signature: \*\*\* BAD signature' "$T/out" || fail "bad: text view: $(cat "$T/out")"
grep -q 'Good' "$T/out" && fail "bad: text view claims good"
ok "one byte changed: bad"

# A mailing list's footer as a part of its own after the signed one.
{
	printf 'Content-Type: multipart/mixed; boundary="=-list"\n\n--=-list\n'
	cat "$T/b-good"
	printf -- '\n--=-list\nContent-Type: text/plain\n\n-- \nlist footer\n--=-list--\n'
} > "$T/b-list"
pgp_message "Alice <alice@example.org>" "via a list" "$T/b-list" > "$T/list.eml"
show_json list
[ "$(sigs list)" = good ] || fail "list: $(cat "$T/list.json")"
[ "$(jget "$T/list.json" 'j["text"]')" = "Hello Bob, this is signed." ] || fail "list: text $(cat "$T/list.json")"
expect_exit 0 "$SPOOL" show "$T/list.eml"
grep -q '^Signature: only part of the message is signed or encrypted$' "$T/out" || fail "list: $(cat "$T/out")"
grep -q 'list footer' "$T/out" && fail "list: the footer part is shown as the text"
ok "a list footer part after the signed part: good, and said to be outside"

# A damaged signature is listed as one that could not be checked.
awk '/^-----BEGIN PGP SIGNATURE-----$/ { print; print ""; print "AAAAgarbage"; skip = 1; next }
	/^-----END PGP SIGNATURE-----$/ { skip = 0 } !skip' "$T/good.eml" > "$T/damaged.eml"
show_json damaged
[ "$(sigs damaged)" = error ] || fail "damaged: $(cat "$T/damaged.json")"
[ "$(jget "$T/damaged.json" 'j["crypto"]["signed"], j["text"].strip()')" = "(True, 'Hello Bob, this is signed.')" ] ||
	fail "damaged: $(cat "$T/damaged.json")"
expect_exit 0 "$SPOOL" show "$T/damaged.eml"
grep -q '^Signature: Signature not checked: ' "$T/out" || fail "damaged: text view: $(cat "$T/out")"
ok "a damaged signature: error"

# A key the reader does not have.
pgp_signed "$X" "$fx" "$T/e-good" > "$T/b-unknown"
pgp_message "Stranger <stranger@example.org>" "unknown" "$T/b-unknown" > "$T/unknown.eml"
show_json unknown
[ "$(sigs unknown)" = unknown-key ] || fail "unknown: $(cat "$T/unknown.json")"
[ "$(jget "$T/unknown.json" 'j["crypto"]["signatures"][0]["uid"]')" = None ] || fail "unknown: a uid"
ok "unknown key"
# The stranger's key imported but certified by no one: good, and the
# line says the key is not certified (validity unknown).
pgp_gpg "$X" --export "$fx" | pgp_gpg "$B" --import 2> /dev/null
show_json unknown
[ "$(sigs unknown)" = good ] || fail "uncertified: $(cat "$T/unknown.json")"
expect_exit 0 "$SPOOL" show "$T/unknown.eml"
grep -q "^Signature: Good signature from \"Stranger <stranger@example.org>\", key $fx, validity unknown -- the key is NOT certified as the signer's\$" "$T/out" ||
	fail "uncertified: $(cat "$T/out")"
ok "a good signature from an uncertified key says so"

# Signed in 2020 by a key that expired the next day.
pgp_signed "$A" "$fo" "$T/e-good" 20200101T010000 > "$T/b-old"
pgp_message "Old <old@example.org>" "expired" "$T/b-old" > "$T/expired.eml"
show_json expired
[ "$(sigs expired)" = expired-key ] || fail "expired: $(cat "$T/expired.json")"
expect_exit 0 "$SPOOL" show "$T/expired.eml"
grep -q '^Signature: Signature by an EXPIRED key' "$T/out" || fail "expired: $(cat "$T/out")"
ok "expired key"

# A key revoked after it signed (its revocation certificate imported).
pgp_signed "$A" "$fr" "$T/e-good" > "$T/b-rev"
pgp_message "Gone <gone@example.org>" "revoked" "$T/b-rev" > "$T/revoked.eml"
sed 's/^:-----BEGIN/-----BEGIN/' "$A/openpgp-revocs.d/$fr.rev" | pgp_gpg "$B" --import 2> /dev/null
show_json revoked
[ "$(sigs revoked)" = revoked-key ] || fail "revoked: $(cat "$T/revoked.json")"
ok "revoked key"

# Alice's signature on a message claiming to be from Mallory.
pgp_message "Mallory <mallory@example.org>" "mismatch" "$T/b-good" > "$T/mismatch.eml"
show_json mismatch
[ "$(sigs mismatch)" = good ] || fail "mismatch: $(cat "$T/mismatch.json")"
[ "$(jget "$T/mismatch.json" 'j["crypto"]["signatures"][0]["valid_from_address"]')" = False ] ||
	fail "mismatch: valid_from_address"
expect_exit 0 "$SPOOL" show "$T/mismatch.eml"
grep -q 'NOT the From address$' "$T/out" || fail "mismatch: text view: $(cat "$T/out")"
ok "From not matching the key"

# Alice signs protected headers naming Mallory while the outer From is
# hers: the From shown is the protected one, which no key vouches for.
pgp_entity "Hello Bob." "From: Mallory <mallory@example.org>" "Subject: inner subject" > "$T/e-pfrom"
pgp_signed "$A" "$fa" "$T/e-pfrom" > "$T/b-pfrom"
pgp_message "Alice <alice@example.org>" "outer subject" "$T/b-pfrom" > "$T/pfrom.eml"
show_json pfrom
[ "$(jget "$T/pfrom.json" 'j["crypto"]["signatures"][0]["status"], j["crypto"]["signatures"][0]["valid_from_address"], j["subject"]')" = \
	"('good', False, 'outer subject')" ] || fail "protected From: $(cat "$T/pfrom.json")"
expect_exit 0 "$SPOOL" show "$T/pfrom.eml"
grep -q '^From: Mallory <mallory@example.org>$' "$T/out" && grep -q '^Subject: inner subject$' "$T/out" &&
	grep -q 'NOT the From address$' "$T/out" || fail "protected From: text view: $(cat "$T/out")"
ok "a protected From that the signer's key does not carry"

# Inline PGP: cleartext signed, and encrypted.
printf 'Inline hello.\n' | pgp_gpg "$A" -u "$fa" --clearsign > "$T/b-isig"
{ printf 'Content-Type: text/plain; charset=utf-8\n\n'; cat "$T/b-isig"; } > "$T/b-isig2"
pgp_message "Alice <alice@example.org>" "inline signed" "$T/b-isig2" > "$T/isig.eml"
show_json isig
[ "$(sigs isig)" = good ] || fail "inline signed: $(cat "$T/isig.json")"
[ "$(jget "$T/isig.json" 'j["text"]')" = "Inline hello." ] || fail "inline signed: text $(cat "$T/isig.json")"
sed 's/Inline hello/Inline hellO/' "$T/isig.eml" > "$T/isigbad.eml"
show_json isigbad
[ "$(sigs isigbad)" = bad ] || fail "inline changed: $(cat "$T/isigbad.json")"
printf 'Inline secret MARKER-INLINE.\n' | pgp_gpg "$A" --trust-model always -r "$fb" --armor --encrypt > "$T/b-ienc"
{ printf 'Content-Type: text/plain; charset=utf-8\n\n'; cat "$T/b-ienc"; } > "$T/b-ienc2"
pgp_message "Alice <alice@example.org>" "inline encrypted" "$T/b-ienc2" > "$T/ienc.eml"
show_json ienc
[ "$(jget "$T/ienc.json" 'j["text"], j["crypto"]["encrypted"], j["crypto"]["decrypted"]')" = "(None, True, False)" ] ||
	fail "inline encrypted: $(cat "$T/ienc.json")"
decrypt_json ienc
[ "$(jget "$T/ienc.json" 'j["text"]')" = "Inline secret MARKER-INLINE." ] || fail "inline decrypted: $(cat "$T/ienc.json")"
ok "inline PGP: signed, changed, encrypted, decrypted"

# Encrypted (and signed in one go) with a protected Subject.
pgp_entity "Secret body MARKER-ENC." "Subject: the real subject" > "$T/e-enc"
pgp_encrypted "$A" "$fb" "$T/e-enc" "$fa" > "$T/b-enc"
pgp_message "Alice <alice@example.org>" "..." "$T/b-enc" > "$T/enc.eml"
show_json enc
[ "$(jget "$T/enc.json" 'j["text"], j["crypto"]["encrypted"], j["crypto"]["decrypted"], j["crypto"]["signed"]')" = \
	"(None, True, False, False)" ] || fail "encrypted: $(cat "$T/enc.json")"
expect_exit 0 "$SPOOL" show "$T/enc.eml"
grep -q 'MARKER-ENC' "$T/out" && fail "encrypted: text shown without --decrypt"
# Wrong passphrases, then none: refused with one line, 77 (the agent
# first forgets the passphrase the inline test gave it).
GNUPGHOME="$B" gpgconf --reload gpg-agent
expect_exit 77 env SUREL_PINENTRY=loopback SUREL_PASSPHRASE_FD=3 "$SPOOL" show --json --decrypt "$T/enc.eml" 3<<EOF
wrong
wrong
wrong
EOF
expect_one_line_error spool
decrypt_json enc
[ "$(jget "$T/enc.json" 'j["text"].strip(), j["crypto"]["decrypted"], j["subject"]')" = "('Secret body MARKER-ENC.', True, '...')" ] ||
	fail "decrypted: $(cat "$T/enc.json")"
[ "$(sigs enc)" = good ] || fail "decrypted: signature inside $(cat "$T/enc.json")"
expect_exit 0 env SUREL_PINENTRY=loopback SUREL_PASSPHRASE_FD=3 "$SPOOL" show --decrypt "$T/enc.eml" 3<<EOF
bobpass
EOF
grep -q '^Subject: the real subject$' "$T/out" || fail "protected subject not shown: $(cat "$T/out")"
grep -q '^Encrypted: decrypted$' "$T/out" || fail "decrypted: text view"
ok "encrypted and signed: text null, refused passphrase 77, decrypted, protected Subject"

# Nested: a signed entity inside the encryption, and an encrypted entity
# inside a signature.
pgp_signed "$A" "$fa" "$T/e-good" > "$T/e-signed"
pgp_encrypted "$A" "$fb" "$T/e-signed" > "$T/b-sie"
pgp_message "Alice <alice@example.org>" "signed in encrypted" "$T/b-sie" > "$T/sie.eml"
decrypt_json sie
[ "$(sigs sie)" = good ] || fail "signed inside encrypted: $(cat "$T/sie.json")"
[ "$(jget "$T/sie.json" 'j["text"].strip(), j["crypto"]["decrypted"]')" = "('Hello Bob, this is signed.', True)" ] ||
	fail "signed inside encrypted: $(cat "$T/sie.json")"
pgp_encrypted "$A" "$fb" "$T/e-good" > "$T/e-encrypted"
pgp_signed "$A" "$fa" "$T/e-encrypted" > "$T/b-eis"
pgp_message "Alice <alice@example.org>" "encrypted in signed" "$T/b-eis" > "$T/eis.eml"
show_json eis
[ "$(sigs eis)" = good ] || fail "encrypted inside signed: $(cat "$T/eis.json")"
[ "$(jget "$T/eis.json" 'j["text"], j["crypto"]["encrypted"], j["crypto"]["decrypted"]')" = "(None, True, False)" ] ||
	fail "encrypted inside signed: $(cat "$T/eis.json")"
ok "nested both ways"

# No secret key: 65, one line.
expect_exit 65 env GNUPGHOME="$X" "$SPOOL" show --decrypt "$T/enc.eml"
expect_one_line_error spool
ok "no secret key: 65"

# Escape sequences in the signer's user id and in the signed text.
pgp_entity "text ${esc}[32mGREEN${esc}]2;pwned2${bel} end" > "$T/e-evil"
pgp_signed "$A" "$fe" "$T/e-evil" > "$T/b-evil"
pgp_message "Evil <evil@example.org>" "evil" "$T/b-evil" > "$T/evil.eml"
expect_exit 0 "$SPOOL" show "$T/evil.eml"
grep -q "$esc" "$T/out" && fail "an escape reached the text view: $(cat -v "$T/out")"
grep -q "$bel" "$T/out" && fail "a BEL reached the text view"
grep -q '^Signature: Good signature from "Evil �\[31mRed�\]0;pwned� <evil@example.org>"' "$T/out" ||
	fail "evil uid: $(cat "$T/out")"
show_json evil
[ "$(sigs evil)" = good ] || fail "evil: $(cat "$T/evil.json")"
ok "escape sequences in a user id and in signed text are inert"

# The address book learns from the outer headers only: a Cc protected
# inside the encryption of a sent message never reaches it.
mkdir -p "$XDG_CONFIG_HOME/surel"
printf '[account demo]\naddress = alice@example.org\nmaildir = %s\n' "$T/Mail" > "$XDG_CONFIG_HOME/surel/config"
pgp_entity "Cc'd in secret." "Subject: hush" "Cc: Hidden <hidden@example.org>" > "$T/e-cc"
pgp_encrypted "$A" "$fb" "$T/e-cc" > "$T/b-cc"
rm -f "$T/e-cc"
pgp_message "Alice <alice@example.org>" "..." "$T/b-cc" | "$SPOOL" deliver Sent
expect_exit 0 "$SPOOL" addresses bob
grep -q 'bob@example.org' "$T/out" || fail "the book did not learn the outer To: $(cat "$T/out")"
expect_exit 0 "$SPOOL" addresses hidden
grep -q hidden "$T/out" && fail "the book learned a protected header: $(cat "$T/out")"
ok "the address book never sees protected headers"

# Nothing decrypted went to a file: the markers are only in the messages
# (once the test's own captures and plaintext inputs are gone).
rm -f "$T/out" "$T"/*.json "$T/e-enc"
grep -rl 'MARKER-ENC\|MARKER-INLINE' "$T" "$HOME" > "$T/found" 2> /dev/null || true
[ ! -s "$T/found" ] || fail "plaintext on disk: $(cat "$T/found")"
ok "no decrypted text on disk"
