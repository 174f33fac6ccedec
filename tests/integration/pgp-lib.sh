# OpenPGP helpers for the tests: a throwaway GNUPGHOME per test (agent
# allowing loopback pinentry, killed on exit), keys made with gpg
# --quick-gen-key, and messages whose signatures and encryption gpg itself
# makes (the MIME around them is RFC 3156, written here).  Source it after
# lib.sh; it replaces lib.sh's EXIT trap with one that also stops every
# gpg-agent started under $T (a test with servers adds its own stops to
# PGP_TRAP_EXTRA before sourcing).
command -v gpg > /dev/null 2>&1 || skip "gpg is not installed"
command -v gpgconf > /dev/null 2>&1 || skip "gpgconf is not installed"

# Stop the agents of every GNUPGHOME made by pgp_home.
pgp_kill_agents() {
	for h in "$T"/gnupg*; do
		[ -d "$h" ] || continue
		GNUPGHOME="$h" gpgconf --kill all > /dev/null 2>&1 || true
	done
}
trap 'pgp_kill_agents; '"${PGP_TRAP_EXTRA:-}"' scratch_remove' EXIT INT TERM

# pgp_home NAME: make $T/gnupg-NAME (0700, loopback allowed) and print it.
pgp_home() {
	h="$T/gnupg-$1"
	mkdir -p "$h"
	chmod 700 "$h"
	echo allow-loopback-pinentry > "$h/gpg-agent.conf"
	echo "$h"
}

# pgp_gpg HOME ARGS...: gpg in batch mode on HOME.
pgp_gpg() {
	h=$1
	shift
	GNUPGHOME="$h" gpg --batch --no-tty --quiet "$@"
}

# pgp_key HOME UID PASS [EXPIRE [FAKED-TIME]]: a signing key with an
# encryption subkey (ed25519/cv25519); prints its fingerprint.  PASS may be
# empty (no passphrase).  FAKED-TIME (gpg's --faked-system-time) makes a key
# that has already expired.
pgp_key() {
	h=$1 uid=$2 pass=$3 exp=${4:-never} faked=${5:-}
	set -- --pinentry-mode loopback --passphrase-fd 0
	[ -z "$faked" ] || set -- "$@" --faked-system-time "$faked"
	printf '%s\n' "$pass" | pgp_gpg "$h" "$@" --quick-gen-key "$uid" future-default default "$exp" 2> /dev/null
	pgp_gpg "$h" --with-colons --list-keys "$uid" | awk -F: '$1 == "fpr" { print $10; exit }'
}

# pgp_export FROM-HOME TO-HOME FPR: give TO-HOME the public key.
pgp_export() {
	pgp_gpg "$1" --export "$3" | pgp_gpg "$2" --import 2> /dev/null
	echo "$3:6:" | pgp_gpg "$2" --import-ownertrust 2> /dev/null
}

# pgp_pair UID-A UID-B [PASS-B]: two correspondents who know each other:
# the homes A and B (named by the local parts of the UIDs' addresses),
# each with its own key, fa for UID-A (no passphrase) and fb for UID-B
# (passphrase PASS-B, default none), and the other's public key, trusted.
pgp_pair() {
	A=$(pgp_home "$(printf '%s\n' "$1" | sed 's/.*<\([^@]*\)@.*/\1/')")
	B=$(pgp_home "$(printf '%s\n' "$2" | sed 's/.*<\([^@]*\)@.*/\1/')")
	fa=$(pgp_key "$A" "$1" "")
	fb=$(pgp_key "$B" "$2" "${3:-}")
	pgp_export "$A" "$B" "$fa"
	pgp_export "$B" "$A" "$fb"
}

# pgp_crlf: stdin's lines joined with CRLF, no line end after the last: the
# canonical form of a MIME entity that RFC 3156 signs (the line end before
# the next delimiter belongs to the delimiter).
pgp_crlf() {
	awk 'BEGIN { ORS = "" } NR > 1 { print "\r\n" } { print }'
}

# pgp_entity BODY [HEADER...]: a text/plain entity (protected headers
# first when given).
pgp_entity() {
	body=$1
	shift
	for hd in "$@"; do
		printf '%s\n' "$hd"
	done
	printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n' "$body"
}

# pgp_signed HOME SIGNER ENTITY-FILE [FAKED-TIME]: a multipart/signed body
# part (Content-Type header, blank line, body) over the entity.
pgp_signed() {
	h=$1 signer=$2 ent=$3 faked=${4:-}
	set -- --pinentry-mode loopback --passphrase ''
	[ -z "$faked" ] || set -- "$@" --faked-system-time "$faked"
	printf 'Content-Type: multipart/signed; micalg=pgp-sha256;\n'
	printf ' protocol="application/pgp-signature"; boundary="=-sig-b"\n\n'
	printf -- '--=-sig-b\n'
	cat "$ent"
	printf -- '--=-sig-b\nContent-Type: application/pgp-signature; name="signature.asc"\n\n'
	pgp_crlf < "$ent" | pgp_gpg "$h" "$@" --digest-algo sha256 -u "$signer" --armor --detach-sign
	printf -- '\n--=-sig-b--\n'
}

# pgp_encrypted HOME RECIPIENT ENTITY-FILE [SIGNER]: a multipart/encrypted
# body part; with SIGNER, signed and encrypted in one go (RFC 3156 6.2).
pgp_encrypted() {
	h=$1 rcpt=$2 ent=$3 signer=${4:-}
	set -- --trust-model always -r "$rcpt"
	[ -z "$signer" ] || set -- "$@" --pinentry-mode loopback --passphrase '' -u "$signer" --sign
	printf 'Content-Type: multipart/encrypted;\n'
	printf ' protocol="application/pgp-encrypted"; boundary="=-enc-b"\n\n'
	printf -- '--=-enc-b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-enc-b\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	pgp_gpg "$h" "$@" --armor --encrypt < "$ent"
	printf -- '\n--=-enc-b--\n'
}

# pgp_message FROM SUBJECT BODY-PART-FILE: a whole message around a body
# part made above.
pgp_message() {
	printf 'From: %s\nTo: Bob <bob@example.org>\nSubject: %s\n' "$1" "$2"
	printf 'Date: Sun, 06 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@example.org>\nMIME-Version: 1.0\n' \
		"$(echo "$2" | tr -c 'a-zA-Z0-9\n' '-')"
	cat "$3"
}
