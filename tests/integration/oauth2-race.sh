#!/bin/sh
# Two processes refreshing at the same moment against a provider that
# rotates refresh tokens (each refresh invalidates the one it used) and
# treats a rotated-out token presented again as theft (every refresh token
# of the grant revoked: the user would have to sign in again).
#
# Each round starts spool fetch (IMAP, Dovecot asking oauth2-peer.py; a
# login even with no new mail) and sendq flush (one queued message,
# smtp-peer.py) together.  Access tokens live 30 s, less than surel's 60 s
# margin, so each of them refreshes; the token endpoint takes 0.1 s to
# answer, so the two often meet at the refresh lock.  Both must succeed,
# the store must hold the newest refresh token after every round, and no
# rotated-out token may ever reach the provider.
#
# OAUTH2_RACE_ROUNDS sets the number of rounds: 100 by default (about
# 0.6 s each on a loaded 2-core machine, a minute in all).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; sp_stop; dovecot_stop; scratch_remove' EXIT INT TERM
SENDQ="$top_builddir/sendq/sendq"
export SENDQ_SMTP_TIMEOUT=10
rounds=${OAUTH2_RACE_ROUNDS:-100}

op_start --expires-in 30 --auto-approve --mode reuse-revokes --delay 0.1 --max-time 1800
dc_oauth2_start
sp_start --max-time 1800
oauth2_config "$T/Mail" "imap://127.0.0.1:$DC_IMAP" "smtp://localhost:$SP_PORT"
sign_in

# Shell only in the loop: a python3 start costs more than a round.
latest() {
	sed -n 's/^ "latest_refresh": "\(.*\)",$/\1/p' "$OP_STATE"
}
n=0
while [ $n -lt "$rounds" ]; do
	n=$((n + 1))
	printf 'From: fetchuser@example.test\nTo: a@example.test\nSubject: r%d\n\nround %d\n' $n $n |
		"$SENDQ" a@example.test || fail "round $n: sendq could not queue"
	"$SPOOL" fetch > "$T/f.out" 2> "$T/f.err" &
	fpid=$!
	"$SENDQ" flush > "$T/s.out" 2> "$T/s.err" &
	spid=$!
	wait $fpid || fail "round $n: spool fetch failed: $(cat "$T/f.err")"
	wait $spid || fail "round $n: sendq flush failed: $(cat "$T/s.err")"
	[ "$(find "$T/smtp" -name '*.eml' | wc -l)" -eq $n ] ||
		fail "round $n: the message did not go out: $("$SENDQ" list)"
	[ -n "$(latest)" ] && [ "$(store_refresh)" = "$(latest)" ] ||
		fail "round $n: the store does not hold the newest refresh token"
	grep -q '"refresh reuse"' "$OP_STATE" &&
		fail "round $n: a rotated-out refresh token was sent: $(tail -5 "$OP_LOG")"
done
[ "$(op_state 's["latest_refresh"]')" = "$(latest)" ] || fail "latest() misreads the state"
[ "$(op_count "grant refresh_token")" -ge $((2 * rounds)) ] ||
	fail "fewer refreshes than rounds: $(op_count "grant refresh_token") in $rounds rounds"
[ "$(op_count "error invalid_grant")" -eq 0 ] || fail "the provider said invalid_grant"
ok "$rounds rounds of fetch and flush refreshing together: both succeed, the newest refresh token is stored ($(op_count "grant refresh_token") refreshes)"
