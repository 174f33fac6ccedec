# The writing side's PGP test helpers, on top of pgp-lib.sh (source that
# first: it makes the homes under $T/gnupg-* and stops their agents on
# exit): homes whose agent cannot prompt, keys whose passphrase is not
# cached until pw_unlock, and RFC 3156 splitting of what surel wrote.
command -v python3 > /dev/null || skip "python3 is needed"

# pw_home NAME: pgp_home NAME whose agent has no pinentry to pop up (a
# passphrase that is not cached fails instead of waiting on a terminal);
# prints the home.
pw_home() {
	h=$(pgp_home "$1")
	echo "pinentry-program /bin/false" >> "$h/gpg-agent.conf"
	echo "$h"
}

# pw_key HOME "Name <addr>" PASSPHRASE: an ed25519/cv25519 key; prints
# its fingerprint.  The agent forgets the passphrase again (pw_unlock).
pw_key() {
	# On a loaded machine a first gpg may time out starting its agent:
	# one more try, then the caller's check of the fingerprint fails.
	for try in 1 2; do
		GNUPGHOME="$1" gpg --batch --quiet --pinentry-mode loopback --passphrase "$3" \
			--quick-gen-key "$2" future-default default never > /dev/null 2>&1 && break
	done
	GNUPGHOME="$1" gpg --batch --with-colons --list-secret-keys "$2" 2> /dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }'
	GNUPGHOME="$1" gpgconf --reload gpg-agent 2> /dev/null || true
}

# pw_unlock HOME PASSPHRASE: let the agent cache the passphrase, as a
# user's first prompt would.
pw_unlock() {
	echo x | GNUPGHOME="$1" gpg --batch --quiet --pinentry-mode loopback --passphrase "$2" \
		--sign -o /dev/null 2> /dev/null || true
}

# pw_give FROM_HOME FPR TO_HOME: FPR's public key into TO_HOME's keyring.
pw_give() {
	GNUPGHOME="$1" gpg --batch --export "$2" | GNUPGHOME="$3" gpg --batch --quiet --import 2> /dev/null
}

# pw_rfc3156 FILE OUTDIR: split a PGP/MIME message as RFC 3156 says.
# multipart/signed: OUTDIR/signed (the first part's bytes exactly, line
# ends made CRLF) and OUTDIR/sig; multipart/encrypted: OUTDIR/cipher.
# Prints the top-level type.
pw_rfc3156() {
	python3 - "$1" "$2" <<'PY'
import email, email.policy, re, sys
raw = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
msg = email.message_from_bytes(raw, policy=email.policy.compat32)
ctype = msg.get_content_type()
b = msg.get_boundary().encode()
head, _, body = raw.partition(b'\n\n')
# RFC 2046: a delimiter is CRLF "--" boundary; the line end before it
# belongs to it.
parts = re.split(b'(?:^|\n)--' + re.escape(b) + b'(?:--)?[ \t]*\n', body)
if ctype == 'multipart/signed':
    signed = parts[1]
    open(out + '/signed', 'wb').write(signed.replace(b'\n', b'\r\n'))
    sig = email.message_from_bytes(parts[2])
    open(out + '/sig', 'wb').write(sig.get_payload(decode=True))
elif ctype == 'multipart/encrypted':
    enc = email.message_from_bytes(parts[2])
    open(out + '/cipher', 'wb').write(enc.get_payload(decode=True))
print(ctype)
PY
}
