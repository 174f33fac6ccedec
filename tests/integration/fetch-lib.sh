# Shared by the fetch-*.sh tests: a private Dovecot (dovecot.sh), the one
# account 't' of the config, and Maildir comparisons.  Source it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"

mkdir -p "$XDG_CONFIG_HOME/surel"

# config ROOT URL [EXTRA-LINES]: the one account 't'; $PASS overrides
# the password, EXTRA-LINES the default tls_ca_file line.
config() {
	cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[account t]
address = $DC_USER@example.test
maildir = $1
fetch = $2
user = $DC_USER
password_cmd = printf '%s' '${PASS:-$DC_PASS}'
${3:-tls_ca_file = $DATA/tls/ca.pem}
EOF
}

# Content digests of every message file below the given Maildirs.
digests() {
	for d in "$@"; do
		find "$d/cur" "$d/new" -type f -exec sha256sum {} + | cut -d' ' -f1
	done | sort
}

local_count() {
	find "$1/cur" "$1/new" -type f | wc -l
}

same_as_server() {
	digests "$DC_MAILDIR" > "$T/server.sum"
	digests "$1" > "$T/local.sum"
	cmp -s "$T/server.sum" "$T/local.sum" ||
		fail "local copies in $1 differ from the server's ($(wc -l < "$T/local.sum") local, $(wc -l < "$T/server.sum") on the server; < server only, > local only): $(diff "$T/server.sum" "$T/local.sum" | grep '^[<>]' | head -n 6)"
}
