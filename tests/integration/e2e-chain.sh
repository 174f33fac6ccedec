#!/bin/sh
# The whole chain on real servers, loopback only:
#   surel (tmux: m, $EDITOR, y) and a script (sendq -t)
#     -> queue -> sendq flush -> private Postfix (STARTTLS + SASL AUTH,
#        virtual Maildir of ana@example.test)
#     -> private Dovecot serving that very Maildir over IMAP and POP3
#     -> spool fetch (IMAP into one account, POP3 into another)
#     -> local INBOX: both messages, bodies byte-identical to what was
#        written (line ends normalised), both subjects on surel's index.
# Then a message to an unknown user: Postfix says 550, and the bounce is in
# the sender's local INBOX.  Needs root, tmux, Postfix and Dovecot.
. "$(dirname "$0")/../ui/lib.sh"
. "$(dirname "$0")/dovecot.sh"
. "$(dirname "$0")/postfix.sh"
command -v postfix > /dev/null || skip "postfix is not installed (scripts/deps test)"
command -v saslpasswd2 > /dev/null || skip "sasl2-bin is not installed"
trap 'tmux -S "$SOCK" kill-server 2> /dev/null || true; postfix_stop; dovecot_stop; scratch_remove' EXIT INT TERM

# Postfix delivers as the user Dovecot's mail processes run as: mail.
PF_VMAIL_UID=$(id -u mail)
PF_VMAIL_GID=$(id -g mail)
export PF_VMAIL_UID PF_VMAIL_GID
PORT=$(postfix_free_port)
postfix_start "$T/pf" "$PORT" || fail "cannot start a private Postfix"
VM="$T/pf/vmail/ana"
DC_MAILDIR=$VM
DC_MAIL_LOCATION="maildir:$VM"
dovecot_start

mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$T/editor" <<ED
#!/bin/sh
sed -i -e 's/^To:.*\$/To: Ana <ana@example.test>/' -e 's/^Subject:.*\$/Subject: chain from surel/' "\$1"
cat "$T/body-surel" >> "\$1"
cp "\$1" "$T/edited"
ED
chmod +x "$T/editor"
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[general]
default_account = me
send_delay = 0
editor = $T/editor

[account me]
name = Me Sender
address = me@example.test
maildir = $T/Mail
smtp = smtp://localhost:$PORT
tls_ca_file = $DATA/tls/ca.pem
user = ana@example.test
password_cmd = printf '%s' '$POSTFIX_PASS'
fetch = imap://127.0.0.1:$DC_IMAP

[account pop]
address = pop@example.test
maildir = $T/PopMail
fetch = pop3://127.0.0.1:$DC_POP3
tls_ca_file = $DATA/tls/ca.pem
user = $DC_USER
password_cmd = printf '%s' '$DC_PASS'
CF
chmod 600 "$XDG_CONFIG_HOME/surel/config"

# Bodies with what tends to break on the way: leading dots, a lone dot,
# trailing blanks, long lines, 8-bit UTF-8.
python3 - "$T" <<'P'
import sys
t = sys.argv[1]
open(t + "/body-surel", "w").write(
    "Written in surel.\n.leading dot\n..two dots\n.\ntrailing blanks   \n" + "w" * 900 + "\n")
open(t + "/body-script", "wb").write(
    b".a dot first\nSelamat pagi, caf\xc3\xa9 \xe2\x98\x95\n\n\nblank lines above\n" +
    b"".join(b"line %04d of the script's message\n" % i for i in range(300)))
P

# --- 1: compose and send from surel in tmux ----------------------------------
mkdir -p "$T/Mail/INBOX/cur" "$T/Mail/INBOX/new" "$T/Mail/INBOX/tmp"
ui_start
wait_for 'surel: INBOX' "surel's index"
keys m
wait_for '^To:' "the To prompt"
keys Enter
wait_for '^ +Subject: chain from surel' "the compose screen"
keys y
wait_for 'queued as ' "queued from surel"
keys q
wait_for '^SUREL-EXIT 0'
ok "surel: m, Enter at To:, \$EDITOR, y queued the message"
# What was written is the body of the file the editor left.
python3 -c "import sys; sys.stdout.buffer.write(open('$T/edited', 'rb').read().split(b'\n\n', 1)[1])" > "$T/body-surel"

# --- 2: a script through sendq -t -------------------------------------------------
{ printf 'From: Me Sender <me@example.test>\nTo: ana@example.test\nSubject: chain from a script\n'
  printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
  cat "$T/body-script"; } | "$SENDQ" -t || fail "sendq -t failed"
expect_exit 0 "$SENDQ" -v flush
"$SENDQ" list --json > "$T/q.json"
[ "$(python3 -c "import json; print(len(json.load(open('$T/q.json'))))")" -eq 0 ] ||
	fail "the queue is not empty after flush: $(cat "$T/q.json") $(cat "$T/err")"
postfix_wait_log 'starttls=1 auth=1' || fail "no STARTTLS + AUTH session in Postfix's log"
i=0
while [ "$(dc_count)" -lt 2 ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
[ "$(dc_count)" -eq 2 ] || fail "Postfix delivered $(dc_count) of 2 into $VM: $(tail -5 "$T/pf/maillog")"
ok "sendq -t and flush: both relayed over STARTTLS + AUTH, delivered into the Maildir Dovecot serves"

# --- 3: spool fetch over IMAP and over POP3 -----------------------------------------
# Account me logs in to Postfix as ana and to Dovecot as fetchuser, but an
# account has one user and password_cmd: fetch runs with a copy of the
# config that names Dovecot's.
sed -e "s|^user = ana@example.test|user = $DC_USER|" -e "s|^password_cmd = printf '%s' '$POSTFIX_PASS'|password_cmd = printf '%s' '$DC_PASS'|" \
	"$XDG_CONFIG_HOME/surel/config" > "$T/fetch.conf"
mkdir -p "$T/fc/surel"
cp "$T/fetch.conf" "$T/fc/surel/config"
chmod 600 "$T/fc/surel/config"
expect_exit 0 env XDG_CONFIG_HOME="$T/fc" "$SPOOL" -v fetch -A me
expect_exit 0 env XDG_CONFIG_HOME="$T/fc" "$SPOOL" -v fetch -A pop
[ "$(dc_count)" -eq 2 ] || fail "fetch (keep = yes) changed the server"
python3 - "$T/Mail/INBOX" "$T/PopMail/INBOX" "$T/body-surel" "$T/body-script" <<'P' > "$T/cmp" || fail "bodies differ: $(cat "$T/cmp")"
import email, email.policy, os, sys
want = {"chain from surel": open(sys.argv[3], "rb").read(),
        "chain from a script": open(sys.argv[4], "rb").read()}
for md in sys.argv[1:3]:
    got = {}
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(md, sub)):
            raw = open(os.path.join(md, sub, n), "rb").read().replace(b"\r\n", b"\n")
            m = email.message_from_bytes(raw, policy=email.policy.default)
            subj = str(m["Subject"])
            part = m.get_body(("plain",)) if m.is_multipart() else m
            body = part.get_payload(decode=True)
            got[subj] = body.replace(b"\r\n", b"\n")
    for s, b in want.items():
        if s not in got:
            print("%s: no message '%s' (have %s)" % (md, s, list(got)))
            sys.exit(1)
        # The composer may end the text with its own line end.
        if got[s] != b and got[s].rstrip(b"\n") != b.rstrip(b"\n"):
            print("%s: body of '%s' differs:\n%r\n%r" % (md, s, got[s][:300], b[:300]))
            sys.exit(1)
print("ok")
P
ok "spool fetch over IMAP and POP3: both messages in the local INBOX, bodies byte-identical"

ui_start -f "$T/Mail/INBOX"
wait_for 'chain from surel' "the subject from surel on the index"
wait_for 'chain from a script' "the subject from the script on the index"
keys q
wait_for '^SUREL-EXIT 0'
ok "surel's index shows both subjects"

# --- 4: unknown user at Postfix: a bounce in the sender's INBOX ---------------------
before=$(find "$T/Mail/INBOX/new" "$T/Mail/INBOX/cur" -type f | wc -l)
printf 'From: me@example.test\nTo: ghost@example.test\nSubject: to a ghost\n\nboo\n' | "$SENDQ" -t
expect_exit 0 "$SENDQ" flush
b=$(grep -l '^Final-Recipient: rfc822; ghost@example.test' "$T"/Mail/INBOX/new/* 2> /dev/null | head -1)
[ -n "$b" ] || fail "no bounce in the sender's INBOX"
grep -q '^Status: 5\.1\.1' "$b" || fail "bounce without 5.1.1: $(cat "$b")"
grep -q '^Content-Type: multipart/report; report-type=delivery-status' "$b" || fail "not a DSN"
[ "$(find "$T/Mail/INBOX/new" "$T/Mail/INBOX/cur" -type f | wc -l)" -eq $((before + 1)) ] || fail "more than the bounce arrived"
ok "unknown user: Postfix refuses with 550, the RFC 3464 bounce is in the sender's local INBOX"
