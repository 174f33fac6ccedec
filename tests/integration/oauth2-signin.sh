#!/bin/sh
# spool auth against tests/peer/oauth2-peer.py, the test playing the user.
# 1. --device (RFC 8628): the URL and user code are printed, the user
#    approves that code at the URL, the client polls through
#    authorization_pending and one slow_down (never sooner than the
#    interval, which slow_down raises by 5 s) and stores the tokens (0600).
#    expired_token and access_denied end it with one line, and no store;
#    so does a code nobody approves before it expires.  A confidential
#    client authenticates at the device endpoint too (RFC 8628 3.1).
# 2. --browser (RFC 7636 + RFC 8252), with BROWSER unset: the URL printed
#    is fetched, its redirect followed to the loopback listener; the peer
#    checks the code_verifier against the challenge; the store holds the
#    refresh token issued.  A redirect with another state, or with
#    error=access_denied, is refused and no code is exchanged.  With
#    $BROWSER set, it is run on the URL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; [ -z "${apid:-}" ] || kill "$apid" 2> /dev/null; scratch_remove' EXIT INT TERM
unset BROWSER
[ -x "$SPOOL" ] || fail "no $SPOOL"

# auth_bg ARGS...: spool auth ARGS in the background ($apid), output in
# $T/auth.out, $T/auth.err.
auth_bg() {
	rm -f "$T/auth.out" "$T/auth.err"
	"$SPOOL" -A o auth "$@" > "$T/auth.out" 2> "$T/auth.err" &
	apid=$!
}

# auth_wait: the exit status of the spool auth of auth_bg (bounded: killed
# after 40 s).
auth_wait() {
	i=0
	while kill -0 "$apid" 2> /dev/null && [ $i -lt 400 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$apid" 2> /dev/null && fail "spool auth did not end: $(cat "$T/auth.out" "$T/auth.err")"
	set +e
	wait "$apid"
	arc=$?
	set -e
	apid=""
}

mode_of() {
	stat -c %a "$1"
}

# --- 1. device flow -----------------------------------------------------------
op_start --mode slow-down --pending 2 --max-time 120
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
auth_bg --device
wait_for "$T/auth.out" "$OP_URL/verify"
code=$(grep -Eo '[0-9]{4}-[0-9]{4}' "$T/auth.out" | head -n 1)
[ -n "$code" ] || fail "no user code in: $(cat "$T/auth.out")"
# The user takes a moment: the client polls meanwhile.
i=0
while [ "$(op_count "error authorization_pending")" -lt 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(op_get "/verify?user_code=$code")" = 200 ] || fail "the peer does not know the code $code"
auth_wait
[ "$arc" -eq 0 ] || fail "spool auth --device exited $arc: $(cat "$T/auth.err")"
[ -f "$STORE" ] || fail "no token store at $STORE"
[ "$(mode_of "$STORE")" = 600 ] || fail "the store has mode $(mode_of "$STORE")"
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] ||
	fail "the store does not hold the refresh token issued"
[ "$(op_count "grant device_code")" -eq 1 ] || fail "no device grant: $(cat "$OP_LOG")"
[ "$(op_count "error slow_down")" -eq 1 ] || fail "expected one slow_down: $(cat "$OP_LOG")"
[ "$(op_count "too-fast")" -eq 0 ] || fail "the client polled sooner than the interval: $(cat "$OP_LOG")"
[ "$(op_count "error authorization_pending")" -ge 2 ] || fail "fewer pending polls than scripted"
ok "spool auth --device: code approved, pending and slow_down honoured, tokens stored (0600)"

for mode in expired-token access-denied; do
	rm -rf "$XDG_STATE_HOME/surel"
	op_start --mode "$mode" --auto-approve --max-time 60
	oauth2_config "$T/Mail" "imap://127.0.0.1:9"
	auth_bg --device
	auth_wait
	[ "$arc" -ne 0 ] || fail "$mode: spool auth succeeded"
	cp "$T/auth.err" "$T/err"
	expect_one_line_error spool
	[ ! -e "$STORE" ] || fail "$mode: a store was written"
	[ "$(op_count "too-fast")" -eq 0 ] || fail "$mode: the client polled too fast"
	ok "spool auth --device, $mode: exit $arc, one line ($(cat "$T/err"))"
done

# A confidential client authenticates at the device endpoint too (RFC
# 8628 3.1 applies RFC 6749 3.2.1 there), with the secret its command prints.
rm -rf "$XDG_STATE_HOME/surel"
printf 'client-secret-%s\n' "$$" > "$T/csecret"
op_start --auto-approve --client-secret-file "$T/csecret" --mode device-client-auth --max-time 60
OP_CONFIG_EXTRA="oauth2_client_secret_cmd = cat $T/csecret"
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
OP_CONFIG_EXTRA=
expect_exit 0 "$SPOOL" -A o auth --device
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] || fail "confidential client: no tokens stored"
[ "$(op_count "error invalid_client")" -eq 0 ] || fail "the client secret was missing somewhere"
ok "spool auth --device, confidential client: the secret goes to the device and token endpoints"

# Nobody approves: the device code runs out (expires_in 3 s) and the
# client stops.
rm -rf "$XDG_STATE_HOME/surel"
op_start --device-expires-in 3 --max-time 60
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
auth_bg --device
auth_wait
[ "$arc" -eq 77 ] || fail "unapproved device code: exit $arc: $(cat "$T/auth.err")"
[ ! -e "$STORE" ] || fail "unapproved device code: a store was written"
ok "spool auth --device, nobody approves: it stops when the code expires (77)"

# --- 2. browser flow ----------------------------------------------------------
rm -rf "$XDG_STATE_HOME/surel"
op_start --max-time 120
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
auth_bg --browser
wait_for "$T/auth.out" "$OP_URL/authorize"
url=$(grep -Eo "$OP_URL/authorize[^ ]*" "$T/auth.out" | head -n 1)
case "$url" in
*code_challenge_method=S256*) ;;
*) fail "the URL asks for no S256 challenge: $url" ;;
esac
st=$(browse "$url") || fail "the browser did not get through"
[ "$st" = 200 ] || fail "the loopback listener answered $st"
auth_wait
[ "$arc" -eq 0 ] || fail "spool auth --browser exited $arc: $(cat "$T/auth.err")"
[ "$(op_count "grant authorization_code")" -eq 1 ] || fail "no code exchanged: $(cat "$OP_LOG")"
[ "$(op_count "error invalid_grant")" -eq 0 ] || fail "the peer refused the verifier: $(cat "$OP_LOG")"
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] ||
	fail "the store does not hold the refresh token issued"
[ "$(mode_of "$STORE")" = 600 ] || fail "the store has mode $(mode_of "$STORE")"
ok "spool auth --browser: redirect to 127.0.0.1, PKCE verified, tokens stored (0600)"

for mode in wrong-state deny; do
	rm -rf "$XDG_STATE_HOME/surel"
	op_start --mode "$mode" --max-time 60
	oauth2_config "$T/Mail" "imap://127.0.0.1:9"
	auth_bg --browser
	wait_for "$T/auth.out" "$OP_URL/authorize"
	url=$(grep -Eo "$OP_URL/authorize[^ ]*" "$T/auth.out" | head -n 1)
	browse "$url" > /dev/null || true
	auth_wait
	[ "$arc" -ne 0 ] || fail "$mode: spool auth succeeded"
	cp "$T/auth.err" "$T/err"
	expect_one_line_error spool
	[ "$(op_count token)" -eq 0 ] || fail "$mode: a code was exchanged anyway"
	[ ! -e "$STORE" ] || fail "$mode: a store was written"
	ok "spool auth --browser, $mode: refused, exit $arc ($(cat "$T/err"))"
done

# $BROWSER is run on the URL (here: a browser that is this test's browse).
rm -rf "$XDG_STATE_HOME/surel"
op_start --max-time 60
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
cat > "$T/browser" <<EOF
#!/bin/sh
top_srcdir='$top_srcdir' T='$T' DATA='$DATA'
skip() { exit 1; }
. '$top_srcdir/tests/integration/oauth2-lib.sh'
browse "\$1" > '$T/browser.out'
EOF
chmod +x "$T/browser"
BROWSER="$T/browser" "$SPOOL" -A o auth --browser > "$T/auth.out" 2> "$T/auth.err" &
apid=$!
auth_wait
[ "$arc" -eq 0 ] || fail "spool auth --browser with \$BROWSER exited $arc: $(cat "$T/auth.err")"
[ "$(cat "$T/browser.out")" = 200 ] || fail "\$BROWSER did not get through"
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] || fail "no tokens stored"
ok "spool auth --browser runs \$BROWSER on the URL"
