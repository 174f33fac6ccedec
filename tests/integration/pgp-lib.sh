# Shared by the PGP tests: throwaway GnuPG homes with keys made here.
# Source it after lib.sh (or tests/ui/lib.sh).  Each home gets its own
# gpg-agent; pgp_cleanup (in the exit trap) ends them.
command -v gpg > /dev/null || skip "gpg is needed"
command -v gpgconf > /dev/null || skip "gpgconf is needed"
command -v python3 > /dev/null || skip "python3 is needed"

# The agents' sockets live in the home (no /run/user here); keep the
# path short, as a Unix socket name is at most 107 bytes.
PGP_HOMES=""
pgp_cleanup() {
	for h in $PGP_HOMES; do
		GNUPGHOME="$h" gpgconf --kill all 2> /dev/null || true
	done
}

# pgp_home DIR: a fresh GnuPG home (0700) whose agent takes loopback
# passphrases and has no pinentry it could pop up (a passphrase that is
# not cached fails instead of waiting on a terminal).
pgp_home() {
	mkdir -p "$1"
	chmod 700 "$1"
	printf 'allow-loopback-pinentry\npinentry-program /bin/false\n' > "$1/gpg-agent.conf"
	PGP_HOMES="$PGP_HOMES $1"
}

# pgp_key HOME "Name <addr>" PASSPHRASE: an ed25519/cv25519 key; prints
# its fingerprint.  The agent forgets the passphrase again (pgp_unlock).
pgp_key() {
	GNUPGHOME="$1" gpg --batch --quiet --pinentry-mode loopback --passphrase "$3" \
		--quick-gen-key "$2" future-default default never > /dev/null 2>&1
	GNUPGHOME="$1" gpg --batch --with-colons --list-secret-keys "$2" |
		awk -F: '$1 == "fpr" { print $10; exit }'
	GNUPGHOME="$1" gpgconf --reload gpg-agent
}

# pgp_unlock HOME PASSPHRASE: let the agent cache the passphrase, as a
# user's first prompt would.
pgp_unlock() {
	echo x | GNUPGHOME="$1" gpg --batch --quiet --pinentry-mode loopback --passphrase "$2" \
		--sign -o /dev/null 2> /dev/null
}

# pgp_give FROM_HOME FPR TO_HOME: FPR's public key into TO_HOME's keyring.
pgp_give() {
	GNUPGHOME="$1" gpg --batch --export "$2" | GNUPGHOME="$3" gpg --batch --quiet --import 2> /dev/null
}

# pgp_rfc3156 FILE OUTDIR: split a PGP/MIME message as RFC 3156 says.
# multipart/signed: OUTDIR/signed (the first part's bytes exactly, line
# ends made CRLF) and OUTDIR/sig; multipart/encrypted: OUTDIR/cipher.
# Prints the top-level type.
pgp_rfc3156() {
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
