#!/bin/sh
# Mail that mutt signs, and signs and encrypts (its GPGME backend,
# PGP/MIME), reads in spool show: a good signature from the sender, and
# with --decrypt the text and the signature inside.  mutt does no
# cryptography in batch mode, so its compose screen is driven in tmux
# (Enter takes the draft's To and Subject, y sends; the editor is true).
. "$(dirname "$0")/lib.sh"
command -v mutt > /dev/null || skip "mutt not installed"
command -v tmux > /dev/null || skip "tmux not installed"
command -v python3 > /dev/null || skip "python3 is needed to read the JSON"
sock="$T/tmux.sock"
PGP_TRAP_EXTRA='tmux -S "$sock" kill-server 2> /dev/null || true;'
. "$(dirname "$0")/pgp-lib.sh"

pgp_pair "Alice <alice@example.org>" "Bob <bob@example.org>" bobpass

cat > "$T/sendmail" <<SH
#!/bin/sh
cat > "$T/sent.tmp" && mv "$T/sent.tmp" "$T/sent.eml"
SH
chmod +x "$T/sendmail"
cat > "$T/muttrc" <<RC
set crypt_use_gpgme=yes
set pgp_default_key="$fa"
set pgp_sign_as="$fa"
set crypt_autosign=yes
set from="Alice <alice@example.org>"
set use_from=yes
set sendmail="$T/sendmail"
set editor=true
set edit_headers=no
set fast_reply=yes
set record=""
set postpone=no
set folder="$T"
set spoolfile="$T"
set mbox_type=Maildir
set header_cache=""
RC

# screen_has REGEX: poll the tmux pane, bounded.
screen_has() {
	i=0
	while [ $i -lt 100 ]; do
		tmux -S "$sock" capture-pane -p > "$T/screen" 2> /dev/null || true
		grep -Eq -- "$1" "$T/screen" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	fail "mutt never showed /$1/: $(cat "$T/screen")"
}

# mutt_send NAME SECURITY-REGEX [MUTT-COMMAND]: send a draft from
# mutt's compose screen; the message lands in $T/NAME.eml.
mutt_send() {
	printf 'To: Bob <bob@example.org>\nSubject: from mutt %s\n\nHello Bob, %s from mutt.\n' "$1" "$1" > "$T/draft"
	rm -f "$T/sent.eml"
	tmux -S "$sock" -f /dev/null new-session -d -x 160 -y 40 \
		"env GNUPGHOME='$A' LANG=C.UTF-8 TERM=xterm mutt -n -F '$T/muttrc' -e '${3:-}' -H '$T/draft'; sleep 30"
	# mutt asks for To and Subject first, filled in from the draft.
	i=0
	while [ $i -lt 100 ]; do
		tmux -S "$sock" capture-pane -p > "$T/screen" 2> /dev/null || true
		grep -q 'Security:' "$T/screen" && break
		if grep -Eq '^(To|Subject): ' "$T/screen"; then
			tmux -S "$sock" send-keys Enter
		fi
		sleep 0.2
		i=$((i + 1))
	done
	screen_has "Security: $2"
	tmux -S "$sock" send-keys y
	i=0
	while [ ! -s "$T/sent.eml" ] && [ $i -lt 100 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	tmux -S "$sock" kill-server 2> /dev/null || true
	[ -s "$T/sent.eml" ] || fail "mutt sent nothing: $(cat "$T/screen")"
	mv "$T/sent.eml" "$T/$1.eml"
}

jget() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

export GNUPGHOME="$B"
mutt_send signed 'Sign \(PGP/MIME\)'
grep -q 'protocol="application/pgp-signature"' "$T/signed.eml" || fail "mutt did not sign: $(cat "$T/signed.eml")"
expect_exit 0 "$SPOOL" show --json "$T/signed.eml"
cp "$T/out" "$T/signed.json"
[ "$(jget "$T/signed.json" '[(s["status"], s["uid"], s["valid_from_address"]) for s in j["crypto"]["signatures"]]')" = \
	"[('good', 'Alice <alice@example.org>', True)]" ] || fail "mutt's signature: $(cat "$T/signed.json")"
[ "$(jget "$T/signed.json" 'j["text"].strip()')" = "Hello Bob, signed from mutt." ] || fail "text: $(cat "$T/signed.json")"
ok "a message mutt signed: good, from Alice"

mutt_send encrypted 'Sign, Encrypt \(PGP/MIME\)' 'set crypt_autoencrypt=yes'
grep -q 'protocol="application/pgp-encrypted"' "$T/encrypted.eml" || fail "mutt did not encrypt"
grep -q 'encrypted from mutt' "$T/encrypted.eml" && fail "the text is in clear"
expect_exit 0 env SUREL_PINENTRY=loopback SUREL_PASSPHRASE_FD=3 "$SPOOL" show --json --decrypt "$T/encrypted.eml" 3<<PASS
bobpass
PASS
cp "$T/out" "$T/encrypted.json"
[ "$(jget "$T/encrypted.json" 'j["crypto"]["encrypted"], j["crypto"]["decrypted"], j["text"].strip()')" = \
	"(True, True, 'Hello Bob, encrypted from mutt.')" ] || fail "mutt's encrypted message: $(cat "$T/encrypted.json")"
[ "$(jget "$T/encrypted.json" '[s["status"] for s in j["crypto"]["signatures"]]')" = "['good']" ] ||
	fail "the signature inside: $(cat "$T/encrypted.json")"
ok "a message mutt signed and encrypted: decrypted, good signature inside"
