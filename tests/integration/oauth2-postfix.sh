#!/bin/sh
# sendq flush with auth = oauth2 to a real Postfix whose SASL is the
# private Dovecot's (smtpd_sasl_type = dovecot), whose oauth2 passdb asks
# tests/peer/oauth2-peer.py: Postfix offers what Dovecot offers (OAUTHBEARER,
# XOAUTH2), so a real server checks the bearer token sendq sends.  Mail
# arrives; across an expiry (by time, and a token Postfix refuses early)
# it arrives with no user action; a revoked refresh token keeps it queued.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/postfix.sh"
. "$(dirname "$0")/oauth2-lib.sh"
command -v postfix > /dev/null && command -v saslpasswd2 > /dev/null ||
	skip "postfix and sasl2-bin are not installed (scripts/deps test)"
trap 'op_stop; postfix_stop; dovecot_stop; scratch_remove' EXIT INT TERM
SENDQ="$top_builddir/sendq/sendq"
export SENDQ_SMTP_TIMEOUT=20

op_start --expires-in 70 --auto-approve --mode reuse-revokes --max-time 600
DC_EXTRA="service auth {
  unix_listener $T/dovecot/pf-auth {
    mode = 0666
  }
}"
dc_oauth2_start
PORT=$(postfix_free_port)
PF_MAIN_EXTRA="smtpd_sasl_type = dovecot
smtpd_sasl_path = $T/dovecot/pf-auth"
postfix_start "$T/pf" "$PORT" || fail "cannot start a private Postfix"
oauth2_config "$T/Mail" "imap://127.0.0.1:$DC_IMAP" "smtp://localhost:$PORT"
sign_in

arrived() {
	find "$T/pf/vmail/ana/new" "$T/pf/vmail/ana/cur" -type f 2> /dev/null | wc -l
}

# wait_arrived N: until N messages are in ana's Maildir (at most 20 s).
wait_arrived() {
	i=0
	while [ "$(arrived)" -lt "$1" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(arrived)" -eq "$1" ] || fail "$(arrived) messages arrived, not $1: $(tail -5 "$T/pf/maillog")"
}

enqueue() {
	j=0
	while [ $j -lt "$1" ]; do
		j=$((j + 1))
		printf 'From: fetchuser@example.test\nTo: ana@example.test\nSubject: p%d\n\nbody %d\n' $j $j |
			"$SENDQ" ana@example.test || fail "sendq could not queue"
	done
}

queued() {
	"$SENDQ" list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

enqueue 2
expect_exit 0 "$SENDQ" flush
wait_arrived 2
grep -Eq 'sasl_method=(OAUTHBEARER|XOAUTH2), sasl_username=fetchuser' "$T/pf/maillog" ||
	fail "Postfix logged no OAuth2 login: $(grep sasl "$T/pf/maillog" | tail -3)"
ok "sendq flush to Postfix: OAuth2 login checked by Dovecot's oauth2 passdb, mail delivered"

r0=$(op_count "grant refresh_token")
i=0
while [ $(($(sed -n 's/^expires //p' "$STORE") - $(date +%s))) -gt 60 ] && [ $i -lt 150 ]; do
	sleep 0.1
	i=$((i + 1))
done
enqueue 1
expect_exit 0 "$SENDQ" flush
wait_arrived 3
[ "$(op_count "grant refresh_token")" -gt "$r0" ] || fail "no refresh after the expiry"
op_control action=expire
r0=$(op_count "grant refresh_token")
enqueue 1
expect_exit 0 "$SENDQ" flush
wait_arrived 4
[ "$(op_count "grant refresh_token")" -eq $((r0 + 1)) ] || fail "expected one refresh after Postfix refused the token"
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] || fail "the store does not hold the newest refresh token"
ok "sendq flush to Postfix across an expiry and an early refusal: refreshed, delivered"

op_control action=revoke
op_control action=expire
enqueue 3
"$SENDQ" flush > "$T/out" 2> "$T/err" || true
[ "$(queued)" -eq 3 ] || fail "the queue does not hold the 3 messages: $("$SENDQ" list)"
"$SENDQ" list | grep -q 'sign-in needed' || fail "sendq list does not say sign-in needed: $("$SENDQ" list)"
[ "$(arrived)" -eq 4 ] || fail "mail arrived with a revoked refresh token"
ok "revoked refresh token: the mail stays queued, sendq list says sign-in needed"
