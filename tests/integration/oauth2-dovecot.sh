#!/bin/sh
# The oauth2 test harness itself, without surel: a private Dovecot whose
# oauth2 passdb asks tests/peer/oauth2-peer.py (RFC 7662 introspection over
# HTTPS with the test CA) accepts a token the peer issued and refuses a
# wrong or expired one, over IMAP and POP3, with XOAUTH2 and OAUTHBEARER.
# The oauth2*.sh tests of surel rely on exactly this.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; dovecot_stop; scratch_remove' EXIT INT TERM

op_start --auto-approve --max-time 120
dc_oauth2_start
TOKEN=$(op_device_token) || fail "no token from the peer"
[ -n "$TOKEN" ] || fail "empty token from the peer"

for proto in imap pop3; do
	[ $proto = imap ] && port=$DC_IMAP || port=$DC_POP3
	for mech in XOAUTH2 OAUTHBEARER; do
		sasl_login $proto "$port" "$DC_USER" "$TOKEN" $mech ||
			fail "$proto $mech: the peer's token was refused: $(tail -5 "$DC_LOG")"
		set +e
		sasl_login $proto "$port" "$DC_USER" "at-wrong-$mech" $mech
		rc=$?
		set -e
		[ $rc -eq 1 ] || fail "$proto $mech: a wrong token: $rc, expected a refusal"
	done
	ok "$proto: Dovecot takes the peer's token (XOAUTH2, OAUTHBEARER) and refuses a wrong one"
done
[ "$(op_count "introspect active")" -eq 4 ] ||
	fail "expected 4 successful introspections: $(cat "$OP_LOG")"

op_control action=expire
for proto in imap pop3; do
	[ $proto = imap ] && port=$DC_IMAP || port=$DC_POP3
	set +e
	sasl_login $proto "$port" "$DC_USER" "$TOKEN" XOAUTH2
	rc=$?
	set -e
	[ $rc -eq 1 ] || fail "$proto: an expired token: $rc, expected a refusal"
done
ok "an expired token is refused (IMAP, POP3)"
grep -q 'token-in-url' "$OP_LOG" && fail "Dovecot sent the token in a URL"
ok "the token never went into a URL"
