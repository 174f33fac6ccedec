#!/bin/sh
# spool fetch from a real, private Dovecot over POP3: STLS and implicit
# TLS, certificate refusals before USER, pinning, UIDL state, dot-stuffed
# lines kept byte for byte, crash recovery, keep = no and exit codes.
. "$(dirname "$0")/fetch-lib.sh"

dovecot_start
dc_put 12 ""
dc_put 3 S

state="$T/p1/.surel-fetch/t.INBOX.state"

# --- STLS (pop3://) ---------------------------------------------------------
config "$T/p1" "pop3://127.0.0.1:$DC_POP3"
expect_exit 0 "$SPOOL" -v fetch
grep -q " 15 message(s)" "$T/err" || fail "summary: $(cat "$T/err")"
same_as_server "$T/p1/INBOX"
[ "$(ls "$T/p1/INBOX/new" | wc -l)" -eq 15 ] || fail "POP3 mail belongs in new/"
ok "pop3:// with STLS fetches every message byte for byte (dot lines too)"

[ "$(grep -c '^uidl ' "$state")" -eq 15 ] || fail "UIDLs not recorded"
expect_exit 0 "$SPOOL" -v fetch
grep -q " 0 message(s)" "$T/err" || fail "second fetch fetched: $(cat "$T/err")"
ok "a second fetch fetches nothing"

dc_put 2 ""
expect_exit 0 "$SPOOL" -v fetch
grep -q " 2 message(s)" "$T/err" || fail "incremental: $(cat "$T/err")"
same_as_server "$T/p1/INBOX"
ok "new mail is fetched incrementally"

# Lose three UIDLs from the state, as a crash after the rename would.
grep -v "^uidl " "$state" > "$T/st"
grep "^uidl " "$state" | tail -n +4 >> "$T/st"
cp "$T/st" "$state"
expect_exit 0 "$SPOOL" -v fetch
grep -q "3 message(s) already stored" "$T/err" || fail "recovery: $(cat "$T/err")"
[ "$(local_count "$T/p1/INBOX")" -eq 17 ] || fail "duplicates after a lost state write"
[ "$(grep -c '^uidl ' "$state")" -eq 17 ] || fail "UIDLs not caught up"
ok "messages stored before a lost state write are not fetched twice"

config "$T/p2" "pop3s://127.0.0.1:$DC_POP3S"
expect_exit 0 "$SPOOL" fetch
same_as_server "$T/p2/INBOX"
ok "pop3s:// fetches every message"

config "$T/p3" "pop3://127.0.0.1:$DC_POP3" "tls = off"
expect_exit 0 "$SPOOL" fetch
same_as_server "$T/p3/INBOX"
ok "pop3:// with tls = off works in plain text"

PASS=wrong config "$T/p4" "pop3s://127.0.0.1:$DC_POP3S"
expect_exit 77 "$SPOOL" fetch
expect_one_line_error spool
ok "a refused login exits 77 with one line"

config "$T/p5" "pop3s://127.0.0.1:$DC_POP3S" "tls_ca_file = $DATA/tls/ca.pem
folder_typo_is_not_a_key = 1"
expect_exit 78 "$SPOOL" fetch
ok "a bad configuration exits 78"

# --- keep = no ----------------------------------------------------------------
digests "$DC_MAILDIR" > "$T/before.sum"
config "$T/p1" "pop3://127.0.0.1:$DC_POP3" "tls_ca_file = $DATA/tls/ca.pem
keep = no"
dc_put 1 ""
expect_exit 0 "$SPOOL" -v fetch
grep -q " 1 message(s).*18 removed" "$T/err" || fail "keep = no: $(cat "$T/err")"
[ "$(dc_count)" -eq 0 ] || fail "server still holds $(dc_count) messages"
[ "$(grep -c '^uidl ' "$state")" -eq 0 ] || fail "deleted UIDLs stay in the state"
[ "$(local_count "$T/p1/INBOX")" -eq 18 ] || fail "local copies lost"
ok "keep = no deletes (DELE + QUIT) what is stored, and forgets it"

# --- certificates -------------------------------------------------------------
dc_put 2 ""
dovecot_stop
# Count logins in a log of their own: Dovecot writes its log late (through
# its log process), so a line of an earlier login could still land in the
# old file, which is moved aside.
mv "$DC_LOG" "$DC_LOG.before"
dovecot_start wronghost
for url in "pop3s://127.0.0.1:$DC_POP3S" "pop3://127.0.0.1:$DC_POP3"; do
	config "$T/p6" "$url"
	expect_exit 69 "$SPOOL" fetch
	expect_one_line_error spool
	grep -q "does not match host name" "$T/err" || fail "wrong host: $(cat "$T/err")"
done
ok "a certificate for another host is refused (exit 69)"

dovecot_stop
dovecot_start selfsigned
config "$T/p6" "pop3://127.0.0.1:$DC_POP3"
expect_exit 69 "$SPOOL" fetch
grep -q "not trusted" "$T/err" || fail "untrusted: $(cat "$T/err")"
[ ! -d "$T/p6/INBOX" ] || [ "$(local_count "$T/p6/INBOX")" -eq 0 ] || fail "fetched despite a bad certificate"
[ "$(dc_logins)" -eq 0 ] || fail "credentials were sent to a server that failed verification"
ok "an untrusted certificate is refused (exit 69) and no login reached the server"

config "$T/p7" "pop3s://127.0.0.1:$DC_POP3S" "tls_fingerprint = $(cat "$DATA/tls/selfsigned.sha256")"
expect_exit 0 "$SPOOL" fetch
[ "$(local_count "$T/p7/INBOX")" -eq 2 ] || fail "pinned fetch"
ok "a pinned fingerprint is accepted"
