#!/bin/sh
# auth = oauth2 at the edges: what a wrong setup, a broken or impostor
# provider and a careless store lead to.
# 1. The token endpoint's TLS is verified like every other connection: a
#    certificate for another name or from another CA stops spool auth
#    before it sends anything.  An http:// endpoint is a config error (78).
# 2. A client id the provider does not know: 78, one line.
# 3. The token endpoint answering 500 while the device flow polls: spool
#    auth gives up with 75 and stores nothing.
# 4. A provider that does not rotate (Google): the stored refresh token
#    stays, refresh after refresh, and fetch works.
# 5. No sign-in yet: fetch exits 77 with the sign-in line.  A store that
#    others can read is refused (78), and no token from it is sent.
# 6. IMAP and POP3 servers that offer XOAUTH2 and not OAUTHBEARER: XOAUTH2
#    is used, and a token refused early is replaced once there too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; dovecot_stop; scratch_remove' EXIT INT TERM

# --- 1. TLS of the provider ---------------------------------------------------
for cert in wronghost selfsigned; do
	op_start --auto-approve --max-time 60 --tls "$DATA/tls/$cert.pem" "$DATA/tls/$cert.key"
	oauth2_config "$T/Mail" "imap://127.0.0.1:9"
	expect_exit 69 "$SPOOL" -A o auth --device
	expect_one_line_error spool
	grep -q 'certificate' "$T/err" || fail "$cert: no word of the certificate: $(cat "$T/err")"
	[ ! -s "$OP_LOG" ] || fail "$cert: a request reached the provider: $(cat "$OP_LOG")"
	[ ! -e "$STORE" ] || fail "$cert: a store was written"
	ok "provider with a $cert certificate: spool auth exits 69 before sending anything"
done
op_start --auto-approve --max-time 60
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
sed -i 's|^oauth2_token_url = https://|oauth2_token_url = http://|' "$XDG_CONFIG_HOME/surel/config"
expect_exit 78 "$SPOOL" -A o auth --device
expect_one_line_error spool
grep -q 'https' "$T/err" || fail "the error does not say https: $(cat "$T/err")"
[ ! -s "$OP_LOG" ] || fail "a request reached the provider: $(cat "$OP_LOG")"
ok "an http:// token endpoint is a config error (78)"

# --- 2. unknown client ----------------------------------------------------------
op_start --auto-approve --max-time 60 --client-id someone-else
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
expect_exit 78 "$SPOOL" -A o auth --device
expect_one_line_error spool
ok "a client id the provider does not know: 78 ($(cat "$T/err"))"

# --- 3. 500 while polling -------------------------------------------------------
op_start --mode http500 --auto-approve --max-time 60
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
expect_exit 75 "$SPOOL" -A o auth --device
tail -n 1 "$T/err" | grep -q '^spool: .*500' || fail "the last line does not say 500: $(cat "$T/err")"
[ "$(op_count "http 500")" -le 10 ] || fail "$(op_count "http 500") polls answered 500: no end in sight"
[ ! -e "$STORE" ] || fail "a store was written"
ok "token endpoint 500 while the device flow polls: 75 after $(op_count "http 500") polls, no store"

# --- 4. no rotation -------------------------------------------------------------
op_start --auto-approve --no-rotate --expires-in 30 --max-time 120
dc_oauth2_start
dc_put 2
oauth2_config "$T/Mail" "imap://127.0.0.1:$DC_IMAP"
expect_exit 77 "$SPOOL" fetch
[ "$(cat "$T/err")" = "spool: o: sign-in needed: run spool auth -A o" ] ||
	fail "before any sign-in: $(cat "$T/err")"
ok "no sign-in yet: fetch exits 77 with the sign-in line"
sign_in
rt=$(store_refresh)
for i in 1 2; do
	expect_exit 0 "$SPOOL" fetch
	[ "$(store_refresh)" = "$rt" ] || fail "the refresh token changed though the provider kept it"
done
[ "$(op_count "grant refresh_token")" -ge 2 ] || fail "no refreshes: $(cat "$OP_LOG")"
ok "a provider that does not rotate: the refresh token is kept, fetch works"

# --- 5. a store others can read ---------------------------------------------------
chmod 644 "$STORE"
intro=$(op_count "introspect active")
expect_exit 78 "$SPOOL" fetch
expect_one_line_error spool
[ "$(op_count "introspect active")" -eq "$intro" ] || fail "a token from the open store was sent"
chmod 600 "$STORE"
ok "a store others can read is refused (78: $(cat "$T/err"))"

# --- 6. a server that offers XOAUTH2 only -----------------------------------------
dovecot_stop
rm -f "$DC_LOG"
op_start --auto-approve --expires-in 3600 --max-time 120
DC_EXTRA="auth_mechanisms = plain login xoauth2"
dc_oauth2_start
oauth2_config "$T/MailX" "imap://127.0.0.1:$DC_IMAP"
sign_in
for proto in imap pop3; do
	[ $proto = imap ] && port=$DC_IMAP || port=$DC_POP3
	oauth2_config "$T/MailX-$proto" "$proto://127.0.0.1:$port"
	expect_exit 0 "$SPOOL" fetch
	op_control action=expire
	r0=$(op_count "grant refresh_token")
	expect_exit 0 "$SPOOL" fetch
	[ "$(op_count "grant refresh_token")" -eq $((r0 + 1)) ] ||
		fail "$proto XOAUTH2: expected one refresh after the refusal"
done
grep -q 'method=OAUTHBEARER' "$DC_LOG" && fail "OAUTHBEARER though Dovecot does not offer it"
[ "$(grep -c 'Login: user=<fetchuser>, method=XOAUTH2' "$DC_LOG")" -ge 4 ] ||
	fail "fewer than 4 XOAUTH2 logins: $(grep Login "$DC_LOG")"
ok "IMAP and POP3 offering XOAUTH2 only: it is used, and a refused token is replaced once"
