#!/bin/sh
# auth = oauth2 end to end: spool fetch (IMAP and POP3 from a real Dovecot
# whose oauth2 passdb asks tests/peer/oauth2-peer.py) and sendq flush (to
# tests/peer/smtp-peer.py checking XOAUTH2/OAUTHBEARER tokens the same way).
# 1. Across an access-token expiry, with no user action: a token that runs
#    out is refreshed before the login (also by a running sendq daemon); a
#    token the server stops taking early is replaced once and the login
#    retried.  The provider rotates
#    refresh tokens: the store always holds the newest.
# 2. A token endpoint answering 5xx: fetch exits 75 (try later), the queue
#    keeps its mail; once it is back, both work without a sign-in.
# 3. A revoked refresh token: 20 queued messages stay queued and sendq list
#    says sign-in needed; spool fetch exits 77 with the one line
#    'spool: o: sign-in needed: run spool auth -A o'.  After spool auth
#    the 20 go out and fetch works again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; sp_stop; dovecot_stop; [ -z "${dpid:-}" ] || kill "$dpid" 2> /dev/null; scratch_remove' EXIT INT TERM
SENDQ="$top_builddir/sendq/sendq"
export SENDQ_SMTP_TIMEOUT=10

# Access tokens live 65 s; with surel's 60 s margin one counts as expired
# 5 s after it was issued.
op_start --expires-in 65 --auto-approve --mode reuse-revokes --max-time 600
dc_oauth2_start
sp_start --max-time 600
oauth2_config "$T/Mail" "imap://127.0.0.1:$DC_IMAP" "smtp://localhost:$SP_PORT"
sign_in
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] || fail "sign-in stored no tokens"

local_count() {
	find "$1/cur" "$1/new" -type f 2> /dev/null | wc -l
}

sent() {
	find "$T/smtp" -name '*.eml' 2> /dev/null | wc -l
}

refreshes() {
	op_count "grant refresh_token"
}

# enqueue N: N messages to the queue.
enqueue() {
	j=0
	while [ $j -lt "$1" ]; do
		j=$((j + 1))
		printf 'From: fetchuser@example.test\nTo: a@example.test\nSubject: q%d\n\nbody %d\n' $j $j |
			"$SENDQ" a@example.test || fail "sendq could not queue"
	done
}

# wait_expired: until the stored access token counts as expired (at most 15 s).
wait_expired() {
	i=0
	while [ $i -lt 150 ]; do
		exp=$(sed -n 's/^expires //p' "$STORE")
		[ $((exp - $(date +%s))) -le 60 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "the stored access token does not expire (expires $exp)"
}

check_store() {
	[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] ||
		fail "$1: the store does not hold the newest refresh token"
	[ "$(op_count "refresh reuse")" -eq 0 ] || fail "$1: a rotated-out refresh token was used"
}

# --- 1. across an expiry ------------------------------------------------------
dc_put 3
expect_exit 0 "$SPOOL" fetch
[ "$(local_count "$T/Mail/INBOX")" -eq 3 ] || fail "first fetch: $(cat "$T/err")"
enqueue 2
expect_exit 0 "$SENDQ" flush
[ "$(sent)" -eq 2 ] || fail "first flush sent $(sent): $("$SENDQ" list)"

wait_expired
r0=$(refreshes)
dc_put 2
expect_exit 0 "$SPOOL" fetch
[ "$(local_count "$T/Mail/INBOX")" -eq 5 ] || fail "fetch after the expiry: $(cat "$T/err")"
[ "$(refreshes)" -gt "$r0" ] || fail "fetch after the expiry did not refresh"
check_store "IMAP fetch after the expiry"
ok "IMAP fetch after the access token expired: refreshed, no user action"

wait_expired
r0=$(refreshes)
enqueue 2
expect_exit 0 "$SENDQ" flush
[ "$(sent)" -eq 4 ] || fail "flush after the expiry sent $(sent): $(cat "$T/err")"
[ "$(refreshes)" -gt "$r0" ] || fail "flush after the expiry did not refresh"
check_store "flush after the expiry"
ok "sendq flush after the access token expired: refreshed, no user action"

oauth2_config "$T/Mail2" "pop3://127.0.0.1:$DC_POP3" "smtp://localhost:$SP_PORT"
wait_expired
r0=$(refreshes)
expect_exit 0 "$SPOOL" fetch
[ "$(local_count "$T/Mail2/INBOX")" -eq 5 ] || fail "POP3 fetch after the expiry: $(cat "$T/err")"
[ "$(refreshes)" -gt "$r0" ] || fail "POP3 fetch after the expiry did not refresh"
check_store "POP3 fetch after the expiry"
ok "POP3 fetch after the access token expired: refreshed, no user action"

# sendq daemon, running across an expiry, refreshes on its own.
"$SENDQ" daemon > "$T/daemon.out" 2> "$T/daemon.err" &
dpid=$!
# wait_sent N: until the peer has N messages (at most 30 s).
wait_sent() {
	i=0
	while [ "$(sent)" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(sent)" -eq "$1" ] || fail "the daemon sent $(sent), not $1: $(cat "$T/daemon.err")"
}
enqueue 1
wait_sent 5
wait_expired
r0=$(refreshes)
enqueue 1
wait_sent 6
[ "$(refreshes)" -gt "$r0" ] || fail "the daemon did not refresh"
kill "$dpid"
wait "$dpid" 2> /dev/null || true
dpid=""
check_store "sendq daemon"
ok "sendq daemon sends across an expiry, refreshing on its own"

# The servers stop taking the stored token before its time: the client
# learns it from the refusal, refreshes once and logs in.  From here on
# tokens live an hour, so that no refresh comes from the clock: one
# refusal, then every token is long-lived.
op_control action=lifetime seconds=3600
op_control action=expire
expect_exit 0 "$SPOOL" fetch
for proto in imap pop3; do
	[ $proto = imap ] && port=$DC_IMAP || port=$DC_POP3
	oauth2_config "$T/Mail-$proto" "$proto://127.0.0.1:$port" "smtp://localhost:$SP_PORT"
	expect_exit 0 "$SPOOL" fetch
	op_control action=expire
	dc_put 1
	r0=$(refreshes)
	expect_exit 0 "$SPOOL" fetch
	[ "$(local_count "$T/Mail-$proto/INBOX")" -eq "$(dc_count)" ] || fail "$proto: fetch after a refusal: $(cat "$T/err")"
	[ "$(refreshes)" -eq $((r0 + 1)) ] || fail "$proto: expected one refresh after the refusal"
	check_store "$proto fetch after a refusal"
done
ok "IMAP and POP3: a token the server refuses is replaced once, the fetch goes on"
op_control action=expire
r0=$(refreshes)
enqueue 1
expect_exit 0 "$SENDQ" flush
[ "$(sent)" -eq 7 ] || fail "flush after a refusal sent $(sent): $(cat "$T/err")"
[ "$(refreshes)" -eq $((r0 + 1)) ] || fail "flush: expected one refresh after the refusal"
grep -q 'AUTH OAUTHBEARER error challenge answered AQ==' "$T/smtp.log" ||
	fail "no OAUTHBEARER error challenge answered as RFC 7628 3.2.3 says: $(grep AUTH "$T/smtp.log")"
ok "sendq flush: a token the server refuses is replaced once, the mail goes out"
grep -q 'method=OAUTHBEARER' "$DC_LOG" || fail "Dovecot saw no OAUTHBEARER login"

# XOAUTH2 where the server offers nothing else.
sp_start --max-time 300 --oauth2-mechs XOAUTH2
oauth2_config "$T/Mail" "imap://127.0.0.1:$DC_IMAP" "smtp://localhost:$SP_PORT"
enqueue 1
expect_exit 0 "$SENDQ" flush
[ "$(sent)" -eq 1 ] || fail "flush with XOAUTH2 only: $(cat "$T/err"; cat "$T/smtp.log")"
grep -q 'AUTH XOAUTH2 accepted' "$T/smtp.log" || fail "not XOAUTH2: $(cat "$T/smtp.log")"
ok "sendq flush: XOAUTH2 when the server offers only that"

# --- 2. the token endpoint fails ----------------------------------------------
# The servers refuse the stored token, the token endpoint answers 503.
op_control action=expire
op_control action=fail5xx count=100
expect_exit 75 "$SPOOL" fetch
expect_one_line_error spool
grep -q 'sign-in' "$T/err" && fail "a 5xx is not a sign-in: $(cat "$T/err")"
enqueue 1
"$SENDQ" flush > "$T/out" 2> "$T/err" || true
[ "$(sent)" -eq 1 ] || fail "a message went out without a token"
"$SENDQ" list --json > "$T/list.json"
python3 -c "import json, sys; q = json.load(open(sys.argv[1])); sys.exit(0 if len(q) == 1 else 1)" \
	"$T/list.json" || fail "the queue does not hold the message: $(cat "$T/list.json")"
ok "token endpoint 5xx: fetch exits 75 with one line, the mail stays queued"
op_control action=fail5xx count=0
dc_put 1
expect_exit 0 "$SPOOL" fetch
"$SENDQ" retry > /dev/null 2>&1 || true
expect_exit 0 "$SENDQ" flush
[ "$(sent)" -eq 2 ] || fail "flush after the 5xx: $("$SENDQ" list)"
check_store "after the 5xx"
ok "after the 5xx: fetch and flush work again, no sign-in"

# --- 3. the refresh token is revoked ------------------------------------------
op_control action=revoke
op_control action=expire
enqueue 20
"$SENDQ" flush > "$T/out" 2> "$T/err" || true
[ "$(sent)" -eq 2 ] || fail "mail went out with a revoked refresh token"
"$SENDQ" list --json > "$T/list.json"
python3 - "$T/list.json" <<'EOF' || fail "after the revocation: $(cat "$T/list.json")"
import json, sys
q = json.load(open(sys.argv[1]))
if len(q) != 20:
    sys.exit("%d messages queued, not 20" % len(q))
if any(m["state"] in ("failed", "sent", "bounced") for m in q):
    sys.exit("a message was given up")
EOF
"$SENDQ" list > "$T/list.txt"
grep -q 'sign-in needed' "$T/list.txt" || fail "sendq list does not say sign-in needed: $(cat "$T/list.txt")"
ok "revoked refresh token: 20 messages stay queued, sendq list says sign-in needed"
expect_exit 77 "$SPOOL" fetch
expect_one_line_error spool
[ "$(cat "$T/err")" = "spool: o: sign-in needed: run spool auth -A o" ] ||
	fail "not the promised line: $(cat "$T/err")"
expect_exit 77 timeout 30 "$SPOOL" watch
[ "$(cat "$T/err")" = "spool: o: sign-in needed: run spool auth -A o" ] ||
	fail "spool watch: not the promised line: $(cat "$T/err")"
ok "revoked refresh token: spool fetch and watch exit 77 with the one line"

sign_in
"$SENDQ" retry > /dev/null 2>&1 || true
expect_exit 0 "$SENDQ" flush
[ "$(sent)" -eq 22 ] || fail "after sign-in $(sent) sent, expected 22: $("$SENDQ" list)"
dc_put 1
expect_exit 0 "$SPOOL" fetch
check_store "after the new sign-in"
ok "after spool auth: the 20 go out, fetch works"
