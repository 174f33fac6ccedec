#!/bin/sh
# OAuth2 secrets stay secret.  Every access and refresh token the peer
# issued, and the client secret, are looked for (as they are and inside
# base64 SASL strings) in:
# - stdout and stderr of spool -v -v auth, spool -v -v fetch (IMAP and
#   POP3, Dovecot; spool has no protocol trace, -v -v is its debug log) and
#   sendq -v -v flush (STARTTLS + AUTH; the AUTH lines are in its protocol
#   trace, masked), and sendq daemon's log_file;
# - every file below $HOME but the token store itself (the queue, with two
#   messages waiting and once they are sent, the fetch state, the config),
#   and the Maildirs;
# - /proc/PID/cmdline and /proc/PID/environ of those processes and of their
#   children, sampled by PID while a slow token endpoint keeps them waiting;
# - the environment of the oauth2_client_secret_cmd children (each writes
#   its own to a file);
# - the one-line error after the refresh token was revoked;
# - the URLs of the requests the provider got.
# The processes run with core dumps off (RLIMIT_CORE 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; sp_stop; dovecot_stop; [ -z "${dpid:-}" ] || kill "$dpid" 2> /dev/null; scratch_remove' EXIT INT TERM
SENDQ="$top_builddir/sendq/sendq"
export SENDQ_SMTP_TIMEOUT=10
CSECRET="cs-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$CSECRET" > "$T/csecret"
chmod 600 "$T/csecret"
NO_TOKEN_EXTRA=$CSECRET
mkdir -p "$T/childenv"

# Access tokens live 30 s (under surel's 60 s margin), so every process
# refreshes; the token endpoint takes 1 s, long enough to look at them.
op_start --expires-in 30 --auto-approve --client-secret-file "$T/csecret" --mode device-client-auth \
	--delay 1 --max-time 600
dc_oauth2_start
sp_start --max-time 600
OP_CONFIG_EXTRA="oauth2_client_secret_cmd = sh -c 'env > \"\$(mktemp $T/childenv/env.XXXXXX)\"; cat $T/csecret'"
OP_GENERAL_EXTRA="log_file = $T/sendq.log"
oauth2_config "$T/Mail" "imap://127.0.0.1:$DC_IMAP" "smtp://localhost:$SP_PORT"

# observe NAME CMD...: run CMD in the background, and until it ends (at most
# 60 s) copy cmdline and environ of it and its descendants to
# $T/samples/NAME, and its limits to $T/samples/NAME.limits; then check
# its status (0) and its output ($T/NAME.out, $T/NAME.err).
observe() {
	name=$1
	shift
	mkdir -p "$T/samples"
	: > "$T/samples/$name"
	"$@" > "$T/$name.out" 2> "$T/$name.err" &
	wpid=$!
	i=0
	while kill -0 "$wpid" 2> /dev/null && [ $i -lt 600 ]; do
		# A process gone by now leaves the last good copy in place.
		cat "/proc/$wpid/limits" > "$T/limits" 2> /dev/null && [ -s "$T/limits" ] &&
			mv "$T/limits" "$T/samples/$name.limits"
		for p in $(proc_tree "$wpid"); do
			{ tr '\0' '\n' < "/proc/$p/cmdline"; tr '\0' '\n' < "/proc/$p/environ"; } \
				>> "$T/samples/$name" 2> /dev/null || true
		done
		sleep 0.05
		i=$((i + 1))
	done
	wait "$wpid" || fail "$name: $* failed: $(cat "$T/$name.err")"
	grep -qx -- '-v' "$T/samples/$name" && grep -q "^HOME=$HOME\$" "$T/samples/$name" ||
		fail "$name: no sample of the process's argv and environment"
	no_token "$T/samples/$name" "$T/$name.out" "$T/$name.err"
}

core_off() {
	[ -s "$T/samples/$1.limits" ] || fail "$1: /proc/PID/limits was never read"
	grep -Eq '^Max core file size +0 +' "$T/samples/$1.limits" ||
		fail "$1: core dumps are on: $(grep core "$T/samples/$1.limits")"
}

observe auth "$SPOOL" -v -v -A o auth --device
[ -s "$STORE" ] || fail "spool auth stored nothing"
ok "spool -v -v auth --device: no token or client secret in its output, argv or environment"

# The looking can find: a token issued, inside an XOAUTH2 string, and the
# client secret are found.
at=$(op_state 's["access"][-1]')
printf 'a AUTHENTICATE XOAUTH2 %s\n' "$(printf 'user=fetchuser\001auth=Bearer %s\001\001' "$at" | base64 -w0)" \
	> "$T/leak1"
printf 'x=%s\n' "$CSECRET" > "$T/leak2"
for f in leak1 leak2; do
	(no_token "$T/$f") > /dev/null 2>&1 && fail "no_token does not see $f"
done

dc_put 3
observe imap "$SPOOL" -v -v fetch
grep -q 'logged in' "$T/imap.err" || fail "no login in spool -v -v's log: $(head -5 "$T/imap.err")"
core_off imap
oauth2_config "$T/Mail2" "pop3://127.0.0.1:$DC_POP3" "smtp://localhost:$SP_PORT"
observe pop3 "$SPOOL" -v -v fetch
grep -q 'logged in' "$T/pop3.err" || fail "no login in spool -v -v's log: $(head -5 "$T/pop3.err")"
[ "$(find "$T/Mail/INBOX/cur" "$T/Mail2/INBOX/cur" "$T/Mail/INBOX/new" "$T/Mail2/INBOX/new" -type f | wc -l)" -eq 6 ] ||
	fail "the fetches did not fetch"
ok "spool -v -v fetch (IMAP, POP3): no secret in output, argv, environment; no core dumps"

for i in 1 2; do
	printf 'From: fetchuser@example.test\nTo: a@example.test\nSubject: s%d\n\nbody\n' $i | "$SENDQ" a@example.test
done
# The queue as it waits (below $XDG_DATA_HOME/surel/queue).
find "$HOME" -type f ! -path "$STORE" > "$T/files"
grep -q '/queue/' "$T/files" || fail "no queue files below \$HOME to look at"
# shellcheck disable=SC2046
no_token $(cat "$T/files")
observe flush "$SENDQ" -v -v flush
[ "$(find "$T/smtp" -name '*.eml' | wc -l)" -eq 2 ] || fail "flush did not send: $(cat "$T/flush.err")"
grep -q 'AUTH' "$T/flush.err" || fail "no SMTP protocol trace with -v -v: $(head -5 "$T/flush.err")"
core_off flush
ok "sendq -v -v flush: AUTH traced and masked; no secret in output, argv, environment; no core dumps"

printf 'From: fetchuser@example.test\nTo: a@example.test\nSubject: s3\n\nbody\n' | "$SENDQ" a@example.test
"$SENDQ" daemon > "$T/daemon.out" 2> "$T/daemon.err" &
dpid=$!
i=0
: > "$T/samples/daemon"
while [ "$(find "$T/smtp" -name '*.eml' | wc -l)" -lt 3 ] && [ $i -lt 300 ]; do
	for p in $(proc_tree "$dpid"); do
		{ tr '\0' '\n' < "/proc/$p/cmdline"; tr '\0' '\n' < "/proc/$p/environ"; } \
			>> "$T/samples/daemon" 2> /dev/null || true
	done
	sleep 0.1
	i=$((i + 1))
done
kill "$dpid" 2> /dev/null || true
wait "$dpid" 2> /dev/null || true
dpid=""
[ "$(find "$T/smtp" -name '*.eml' | wc -l)" -eq 3 ] || fail "the daemon did not send: $(cat "$T/daemon.err")"
[ -s "$T/sendq.log" ] || fail "the daemon wrote no log_file"
no_token "$T/samples/daemon" "$T/daemon.out" "$T/daemon.err" "$T/sendq.log"
ok "sendq daemon: no secret in its log_file, output, argv or environment"

n=$(find "$T/childenv" -type f | wc -l)
[ "$n" -ge 4 ] || fail "oauth2_client_secret_cmd ran $n times, expected one per refresh"
no_token "$T/childenv"
ok "the environment of $n oauth2_client_secret_cmd children holds no token"

find "$HOME" -type f ! -path "$STORE" > "$T/files"
# shellcheck disable=SC2046
no_token $(cat "$T/files") "$T/Mail" "$T/Mail2"
ok "no secret in the queue, nor in any of the $(wc -l < "$T/files") files below \$HOME but the token store, nor in the Maildirs"

op_control action=revoke
expect_exit 77 "$SPOOL" -v -v fetch
no_token "$T/out" "$T/err"
ok "after revocation: no secret in spool -v -v fetch's output"
[ "$(op_count token-in-url)" -eq 0 ] || fail "a token went to the provider in a URL"
ok "no token ever went to the provider in a URL"
