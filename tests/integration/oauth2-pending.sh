#!/bin/sh
# NOT in TESTS: what the C side of issue 13 does not do yet.  Run it by
# hand (make -C build check TESTS=tests/integration/oauth2-pending.sh); move
# a case to a listed test once it passes.
#
# 1. RFC 8628 3.1: "The client authentication requirements of Section
#    3.2.1 of [RFC6749] apply to requests on this endpoint": a confidential
#    client (oauth2_client_secret_cmd set) authenticates at the device
#    authorization endpoint as at the token endpoint.  spool auth --device
#    sends client_id alone there, so a provider that holds to the RFC
#    (oauth2-peer.py --mode device-client-auth) answers invalid_client.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/oauth2-lib.sh"
trap 'op_stop; rm -rf "$T"' EXIT INT TERM

printf 'client-secret-%s\n' "$$" > "$T/csecret"
op_start --auto-approve --client-secret-file "$T/csecret" --mode device-client-auth --max-time 60
OP_CONFIG_EXTRA="oauth2_client_secret_cmd = cat $T/csecret"
oauth2_config "$T/Mail" "imap://127.0.0.1:9"
expect_exit 0 "$SPOOL" -A o auth --device
[ "$(store_refresh)" = "$(op_state 's["latest_refresh"]')" ] || fail "no tokens stored"
ok "a confidential client authenticates at the device endpoint too (RFC 8628 3.1)"
