#!/bin/sh
# What smarthosts people use check, against the scripted peer
# (tests/peer/smtp-peer.py) and a real private Postfix
# (tests/integration/postfix.sh):
#   - sendq says EHLO twice per connection (libcurl's, then its own, whose
#     reply gives the extensions), both with a fully qualified name: the
#     `helo` key, else a default with a dot; Postfix with
#     reject_non_fqdn_helo_hostname takes the mail (and refuses a short
#     name, so the check is on);
#   - AUTH PLAIN goes with its initial response: a server that answers 535
#     to PLAIN without one (an Exim authenticator without server_prompts)
#     takes it, and so does Postfix;
#   - a recipient with a UTF-8 local part, to a Postfix without SMTPUTF8,
#     bounces at once with 5.6.7 and never reaches it, while the other
#     recipient of the message is delivered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"

SENDQ="$top_builddir/sendq/sendq"
Q="$XDG_DATA_HOME/surel/queue"
M="$T/Mail"
command -v python3 > /dev/null || skip "python3 is needed"
export SENDQ_SMTP_TIMEOUT=10
trap 'peer_stop; postfix_stop; scratch_remove' EXIT INT TERM

nfiles() {
	if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi
}

config() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	{
		printf '[general]\ndefault_account = t\n[account t]\n'
		printf 'address = me@example.test\nmaildir = %s\n%s\n' "$M" "$1"
	} > "$XDG_CONFIG_HOME/surel/config"
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

# --- 1: the peer: two EHLOs with the helo name, PLAIN with initial response --
mkdir -p "$T/spool"
peer_start smtp-peer.py --mode plain-no-ir --auth 'ana:s3cret' --spool "$T/spool" --log "$T/peer.log" \
	--max-time 60
config "smtp = smtp://127.0.0.1:$PORT
tls = off
helo = client.example.test
user = ana
password = s3cret
auth = plain"
printf 'From: me@example.test\nTo: a@example.test\nSubject: ir\n\nhello\n' | "$SENDQ" a@example.test
expect_exit 0 "$SENDQ" -v flush
[ "$(nfiles "$Q/env")" -eq 0 ] || fail "not sent to a server that wants PLAIN's initial response: $(cat "$T/err")"
grep -q '^AUTH PLAIN initial-response (hidden)$' "$T/peer.log" || fail "no AUTH PLAIN with initial response: $(cat "$T/peer.log")"
[ "$(grep -c '^EHLO client.example.test$' "$T/peer.log")" -eq 2 ] ||
	fail "expected libcurl's EHLO and sendq's own, with the helo name: $(cat "$T/peer.log")"
[ "$(grep -c '^EHLO' "$T/peer.log")" -eq 2 ] || fail "more than two EHLOs: $(cat "$T/peer.log")"
ok "AUTH PLAIN with initial response taken by a server that refuses it without; EHLO twice, with helo"

# The default name has a dot (the host's FQDN, else the address's domain).
rm -f "$T/peer.log"
config "smtp = smtp://127.0.0.1:$(cat "$T/port")
tls = off
user = ana
password = s3cret"
printf 'From: me@example.test\nTo: a@example.test\nSubject: default\n\nhello\n' | "$SENDQ" a@example.test
expect_exit 0 "$SENDQ" flush
name=$(sed -n 's/^EHLO //p' "$T/peer.log" | head -1)
case $name in
*.*) ;;
*) fail "default EHLO name is not fully qualified: '$name'" ;;
esac
ok "default EHLO name is fully qualified: $name"
peer_stop

# --- 2: real Postfix -------------------------------------------------------
if ! command -v postfix > /dev/null || [ "$(id -u)" -ne 0 ]; then
	echo "# the Postfix cases need root and postfix; not run"
	exit 0
fi
PORT=$(postfix_free_port)
PF_MAIN_EXTRA='smtpd_helo_required = yes
smtpd_helo_restrictions = reject_non_fqdn_helo_hostname'
postfix_start "$T/pf" "$PORT" || fail "cannot start a private Postfix"
VM="$T/pf/vmail"
grep -q '^smtputf8_enable = no$' "$T/pf/etc/main.cf" || fail "the private Postfix offers SMTPUTF8"

# The check is on: a short EHLO name is refused (at RCPT, Postfix's default).
python3 - "$PORT" <<'P' || fail "Postfix does not refuse a short EHLO name"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="vm", timeout=10)
s.ehlo()
code, text = s.mail("me@example.test")
assert code == 250, (code, text)
code, text = s.rcpt("ana@example.test")
assert code == 504 and b"Helo command rejected" in text, (code, text)
s.quit()
P
ok "Postfix with reject_non_fqdn_helo_hostname refuses 'EHLO vm'"

rm -rf "$Q" "$M"
pf_account="smtp = smtp://localhost:$PORT
tls_ca_file = $DATA/tls/ca.pem
user = ana@example.test
password_cmd = printf '$POSTFIX_PASS'"
config "$pf_account"
printf 'From: me@example.test\nTo: ana@example.test\nSubject: default helo\n\nhello\n' |
	"$SENDQ" ana@example.test
expect_exit 0 "$SENDQ" flush
[ "$(nfiles "$Q/env")" -eq 0 ] && [ "$(nfiles "$Q/failed")" -eq 0 ] || fail "not sent: $("$SENDQ" list)"
postfix_wait_mail "$VM/ana" 1
config "$pf_account
helo = client.example.test"
printf 'From: me@example.test\nTo: ana@example.test\nSubject: set helo\n\nhello\n' |
	"$SENDQ" ana@example.test
expect_exit 0 "$SENDQ" flush
postfix_wait_mail "$VM/ana" 2
grep -q 'Helo command rejected' "$T/pf/maillog" && ! grep -q 'helo=<vm>' "$T/pf/maillog" &&
	fail "Postfix refused sendq's EHLO: $(grep 'Helo command rejected' "$T/pf/maillog")"
grep -q 'sasl_method=PLAIN' "$T/pf/maillog" || fail "no AUTH PLAIN login in Postfix's log"
ok "Postfix requiring a fully qualified EHLO name takes sendq's mail (default and helo = ...), AUTH PLAIN"

# --- 3: UTF-8 local part, Postfix without SMTPUTF8 -------------------------
rm -rf "$Q" "$M"
config "$pf_account"
printf 'From: me@example.test\nTo: j\303\266rg@example.test, ana@example.test\nSubject: utf8 rcpt\n\nhello\n' |
	"$SENDQ" "j$(printf '\303\266')rg@example.test" ana@example.test || fail "enqueue failed"
expect_exit 0 "$SENDQ" flush
postfix_wait_mail "$VM/ana" 3
[ "$(nfiles "$Q/failed")" -eq 1 ] || fail "message with the bounced recipient not in failed/: $("$SENDQ" list)"
b=$(ls "$M"/INBOX/new/*)
grep -q '^Status: 5.6.7$' "$b" || fail "no 5.6.7 in the bounce: $(cat "$b")"
# bounce.c writes the address in ASCII, each non-ASCII byte as '?'.
grep -q '^Final-Recipient: rfc822; j??rg@example.test$' "$b" || fail "bounce names another recipient: $(cat "$b")"

grep -q 'SMTPUTF8' "$b" || fail "the bounce does not say why"
grep -q 'Final-Recipient: rfc822; ana@example.test' "$b" && fail "the delivered recipient is in the bounce"
LC_ALL=C grep -q "j$(printf '\303\266')rg\|j..rg@" "$T/pf/maillog" && fail "the UTF-8 address reached Postfix"
grep -q ' 501 ' "$T/pf/maillog" && fail "Postfix answered 501"
ok "UTF-8 local part to a Postfix without SMTPUTF8: 5.6.7 bounce, not sent; the other recipient delivered"
