#!/bin/sh
# Regenerate the test certificates in tests/data/tls (or in DIR if given):
#   tests/tools/mk-test-certs.sh [DIR]
# Needs openssl (Debian package "openssl").  The files are committed, so this
# only runs when a certificate must change; the unit suite (test_tls.c) and
# the Dovecot/Postfix integration tests read them.
#
#   ca.{pem,key,der}            test CA "surel test CA"
#   localhost.{pem,key,der}     signed by the CA; DNS:localhost, IP:127.0.0.1, IP:::1
#   localhost-chain.pem         localhost.pem followed by ca.pem (for servers)
#   wronghost.{pem,key,der}     signed by the CA; DNS:wrong.example only
#   selfsigned.{pem,key,der}    self-signed; the same names as localhost
#   expired.{pem,key,der}       signed by the CA; the same names; valid in 2000 only
#   notyet.{pem,key,der}        signed by the CA; the same names; valid from 2100
#   clientonly.{pem,key,der}    signed by the CA; the same names; extendedKeyUsage
#                               clientAuth only, so not valid for a server
#   *.sha256                    SHA-256 fingerprint as openssl prints it
#                               ("AB:CD:..."), to cross-check ours
#   localhost.pin               curl's CURLOPT_PINNEDPUBLICKEY value
#                               ("sha256//BASE64") of localhost's key
#
# Everything but expired.pem and notyet.pem is valid from 2020 to 2120: a fixed start in
# the past, so a machine whose clock lags the one that made the files still
# accepts them.  The private keys are worthless test keys, published here.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/tests/data/tls}
start=20200101000000Z
end=21200101000000Z
names='DNS:localhost, IP:127.0.0.1, IP:::1'

mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 'openssl x509 -req' and 'openssl req -x509' cannot set a start date in
# openssl 3.0; 'openssl ca' can, so every certificate is made by it.
mkdir "$work/new"
: >"$work/index.txt"
echo 1000 >"$work/serial"
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
dir = $work
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = any
copy_extensions = none
unique_subject = no
[any]
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[self_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $names
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $names
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[wrong_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = $names
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# mkcert NAME CN EXTENSIONS [START END]: key and CA-signed certificate.  With
# NAME equal to the signer (ca, selfsigned) the certificate signs itself.
mkcert() {
	openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$1.key"
	openssl req -new -config "$work/ca.cnf" -key "$out/$1.key" \
		-subj "/O=surel tests/CN=$2" -out "$work/$1.csr"
	case $1 in
	ca|selfsigned) signer="-selfsign -keyfile $out/$1.key" ;;
	*) signer="-cert $out/ca.pem -keyfile $out/ca.key" ;;
	esac
	# $signer is split on purpose: it holds options and their values.
	# shellcheck disable=SC2086
	openssl ca -batch -notext -config "$work/ca.cnf" $signer -extensions "$3" \
		-startdate "${4:-$start}" -enddate "${5:-$end}" \
		-in "$work/$1.csr" -out "$out/$1.pem" 2>"$work/ca.log" ||
		{ cat "$work/ca.log" >&2; exit 1; }
}

mkcert ca 'surel test CA' ca_ext
mkcert localhost localhost server_ext
mkcert wronghost wrong.example wrong_ext
mkcert selfsigned localhost self_ext
mkcert expired localhost server_ext 20000101000000Z 20001231000000Z
mkcert notyet localhost server_ext 21000101000000Z 21200101000000Z
mkcert clientonly localhost client_ext

cat "$out/localhost.pem" "$out/ca.pem" >"$out/localhost-chain.pem"

for c in ca localhost wronghost selfsigned expired notyet clientonly; do
	openssl x509 -in "$out/$c.pem" -outform DER -out "$out/$c.der"
	openssl x509 -in "$out/$c.pem" -noout -fingerprint -sha256 | sed 's/^.*=//' >"$out/$c.sha256"
done

printf 'sha256//%s\n' "$(openssl x509 -in "$out/localhost.pem" -noout -pubkey |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | openssl base64 -A)" \
	>"$out/localhost.pin"

openssl verify -CAfile "$out/ca.pem" "$out/localhost.pem" >/dev/null
echo "test certificates written to $out"
