#!/bin/sh
# Secrets and terminal safety.
# 1. A unique password from password_cmd never shows: not on stdout or
#    stderr of spool fetch -v -v (Dovecot, IMAP and POP3) or sendq -v -v
#    flush (SMTP peer with STARTTLS + AUTH), not in sendq daemon's log_file,
#    the queue, the fetch state or anything else below $HOME, and not in
#    /proc/PID/cmdline or /proc/PID/environ of a spool or sendq process,
#    sampled while slow servers keep them waiting.
# 2. A config file with "password =" readable by others is refused (78)
#    with a clear message; mode 0600 is accepted.
# 3. Escapes in folder names, file names, headers and bodies never reach a
#    terminal raw: spool folders/ls/show, sendq list/show (on a pty), and
#    spool fetch -v with a server greeting full of escapes.
. "$(dirname "$0")/fetch-lib.sh"
SENDQ="$top_builddir/sendq/sendq"
SECRET="pw-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')-unique"
B64A=$(printf '\0fetchuser\0%s' "$SECRET" | base64)
B64B=$(printf 'ana\0ana\0%s' "$SECRET" | base64)
B64C=$(printf '%s' "$SECRET" | base64)
printf '%s' "$SECRET" > "$T/pw"
chmod 600 "$T/pw"
DC_PASS=$SECRET
trap 'peer_stop; dovecot_stop; scratch_remove' EXIT INT TERM

# no_secret FILE...: none of them holds the secret or its base64 forms.
no_secret() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		if grep -rqaF -e "$SECRET" -e "$B64A" -e "$B64B" -e "$B64C" "$f"; then
			fail "the secret is in $f: $(grep -rlaF -e "$SECRET" -e "$B64A" -e "$B64B" -e "$B64C" "$f")"
		fi
	done
}

# sample PID [TENTHS]: while the process PID (started by this test, so no
# other test's process is looked at) runs, at most TENTHS tenths of a
# second (default 150), look at its command line and environment;
# $T/samples counts the looks, and at least one is required.
sample() {
	: > "$T/samples"
	i=0
	# Until it is gone or a zombie (an exited child not yet waited for).
	while [ $i -lt "${2:-150}" ] && kill -0 "$1" 2> /dev/null && ! grep -q ') Z ' "/proc/$1/stat" 2> /dev/null; do
		# A process in the middle of an exec (sendq execs sendq-agent)
		# shows no memory: such a look is no sample.
		if cat "/proc/$1/cmdline" "/proc/$1/environ" > "$T/proc" 2> /dev/null && [ -s "$T/proc" ]; then
			echo "$1" >> "$T/samples"
			no_secret "$T/proc"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/samples" ] || fail "process $1 ended before it could be sampled"
}

# --- 1a: spool fetch -v -v against Dovecot, IMAP and POP3 ---------------------
dovecot_start
dc_put 5 ""
PASS=x config "$T/Mail" "imap://127.0.0.1:$DC_IMAP"
sed -i "s|^password_cmd = .*|password_cmd = cat '$T/pw'|" "$XDG_CONFIG_HOME/surel/config"
expect_exit 0 "$SPOOL" -v -v fetch
no_secret "$T/out" "$T/err"
[ "$(local_count "$T/Mail/INBOX")" -eq 5 ] || fail "IMAP fetch did not work: $(cat "$T/err")"
sed -i "s|^fetch = .*|fetch = pop3://127.0.0.1:$DC_POP3|; s|^maildir = .*|maildir = $T/Mail2|" \
	"$XDG_CONFIG_HOME/surel/config"
expect_exit 0 "$SPOOL" -v -v fetch
no_secret "$T/out" "$T/err"
[ "$(local_count "$T/Mail2/INBOX")" -eq 5 ] || fail "POP3 fetch did not work: $(cat "$T/err")"
ok "spool -v -v fetch (IMAP, POP3, Dovecot): the secret is in no output"

# --- 1b: the process while a slow IMAP server keeps it waiting -----------------
peer_start imap-peer.py --mode ok --delay 0.5 --count 3 --max-time 30
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[account t]
address = t@example.test
maildir = $T/Mail3
fetch = imap://127.0.0.1:$PORT
tls = off
user = fetchuser
password_cmd = cat '$T/pw'
CF
"$SPOOL" -v -v fetch > "$T/out3" 2> "$T/err3" &
fpid=$!
sample "$fpid"
wait $fpid || fail "spool fetch against the slow peer failed: $(cat "$T/err3")"
no_secret "$T/out3" "$T/err3"
peer_stop
ok "spool fetch: secret in no cmdline or environ ($(wc -l < "$T/samples") samples)"

# --- 1c: sendq -v -v flush and sendq daemon with log_file, STARTTLS + AUTH ------
peer_start smtp-peer.py --mode ok --tls "$DATA/tls/localhost-chain.pem" "$DATA/tls/localhost.key" \
	--require-tls --auth "ana:$SECRET" --delay 0.3 --spool "$T/smtp" --log "$T/peer.log" --max-time 60
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[general]
default_account = t
log_file = $T/sendq.log
[account t]
address = me@example.test
maildir = $T/Mail4
smtp = smtp://localhost:$PORT
tls_ca_file = $DATA/tls/ca.pem
user = ana
password_cmd = cat '$T/pw'
auth = plain
CF
chmod 600 "$XDG_CONFIG_HOME/surel/config"
for i in 1 2; do
	printf 'From: me@example.test\nTo: a@example.test\nSubject: s%d\n\nbody\n' $i | "$SENDQ" a@example.test
done
no_secret "$XDG_DATA_HOME"
"$SENDQ" -v -v flush > "$T/out5" 2> "$T/err5" &
fpid=$!
sample "$fpid"
wait $fpid || fail "sendq flush failed: $(cat "$T/err5")"
[ "$(ls "$T/smtp"/*.eml | wc -l)" -eq 2 ] || fail "flush did not send: $(cat "$T/err5")"
grep -q 'AUTH' "$T/err5" || fail "no protocol trace with -v -v: $(head -5 "$T/err5")"
no_secret "$T/out5" "$T/err5"
printf 'From: me@example.test\nTo: a@example.test\nSubject: s3\n\nbody\n' | "$SENDQ" a@example.test
SENDQ_SMTP_TIMEOUT=5 "$SENDQ" daemon > "$T/out6" 2> "$T/err6" &
dpid=$!
sample "$dpid" 30
i=0
while [ "$(ls "$T/smtp"/*.eml | wc -l)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill "$dpid" 2> /dev/null || true
wait "$dpid" 2> /dev/null || true
[ "$(ls "$T/smtp"/*.eml | wc -l)" -eq 3 ] || fail "the daemon did not send: $(cat "$T/err6" "$T/sendq.log")"
[ -s "$T/sendq.log" ] || fail "the daemon wrote no log_file"
# A log file has no syslog to stamp its lines: each starts with the time.
grep -qvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z sendq' "$T/sendq.log" &&
	fail "log_file line without a timestamp: $(grep -vE '^[0-9]{4}-' "$T/sendq.log" | head -n 3)"
no_secret "$T/out6" "$T/err6" "$T/sendq.log"
peer_stop
ok "sendq flush -v -v and daemon log_file: secret in no output, log, cmdline or environ"

# Nothing at rest: queue, fetch state, Maildirs, config, caches.
no_secret "$HOME"
ok "the secret is nowhere below \$HOME (queue, state, Maildirs, logs)"

# --- 2: password = in a config readable by others --------------------------------
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[account t]
address = t@example.test
maildir = $T/Mail
password = not-the-secret
CF
chmod 644 "$XDG_CONFIG_HOME/surel/config"
expect_exit 78 "$SPOOL" folders
expect_one_line_error spool
grep -q 'readable by group or others' "$T/err" || fail "unclear refusal: $(cat "$T/err")"
expect_exit 78 "$SENDQ" flush
expect_one_line_error sendq
ok "password = in a 0644 config is refused (78): $(cat "$T/err")"
chmod 600 "$XDG_CONFIG_HOME/surel/config"
expect_exit 0 "$SPOOL" folders
expect_exit 0 "$SENDQ" flush
ok "the same config at 0600 is accepted"

# --- 3: terminal safety -------------------------------------------------------
# on_pty CMD...: run CMD with a pseudo-terminal as stdin/stdout/stderr,
# its output in $T/pty.
on_pty() {
	python3 - "$@" > "$T/pty" <<'P'
import os, pty, subprocess, sys
m, s = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
p.wait()
sys.stdout.buffer.write(out)
sys.exit(p.returncode)
P
}

# inert WHAT: no ESC, BEL, C1 CSI/OSC in $T/pty.
inert() {
	if LC_ALL=C grep -q "$(printf '[\033\007\233\235]')" "$T/pty"; then
		fail "$1: an escape reached the terminal: $(od -c "$T/pty" | grep -m3 -e '033' -e '\\a')"
	fi
}

esc=$(printf '\033')
bel=$(printf '\007')
evil="Evil${esc}]0;pwned${bel}${esc}[31m"
mkdir -p "$T/Mail/$evil"
printf 'From: "A%s[2J" <a@example.test>\nSubject: %s]0;title%s hi %s[5A\nDate: Thu, 26 Nov 2026 09:00:00 +0000\n\nbody %s[32mgreen\n' \
	"$esc" "$esc" "$bel" "$esc" "$esc" | "$SPOOL" deliver "$T/Mail/$evil"
# A file name with escapes in it, as another program may leave one.
mv "$T/Mail/$evil"/new/* "$T/Mail/$evil/new/1700000000.${esc}]0;pwned${bel}.host"
on_pty "$SPOOL" folders || fail "spool folders failed: $(cat "$T/pty")"
grep -q 'Evil' "$T/pty" || fail "spool folders does not list the folder: $(cat "$T/pty")"
inert "spool folders"
on_pty "$SPOOL" ls "$T/Mail/$evil" || fail "spool ls failed: $(cat "$T/pty")"
inert "spool ls"
f=$(ls "$T/Mail/$evil/new/")
on_pty "$SPOOL" show "$T/Mail/$evil" "$T/Mail/$evil/new/$f" || fail "spool show failed: $(cat "$T/pty")"
grep -q 'green' "$T/pty" || fail "spool show shows no body: $(cat "$T/pty")"
inert "spool show"
on_pty "$SPOOL" show --json "$T/Mail/$evil" "$T/Mail/$evil/new/$f" || fail "spool show --json failed"
inert "spool show --json"
ok "spool folders, ls, show on a terminal: escapes in folder and file names, headers, body inert"

cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[account t]
address = me@example.test
maildir = $T/Mail
smtp = smtp://127.0.0.1:1
CF
chmod 600 "$XDG_CONFIG_HOME/surel/config"
rm -rf "$XDG_DATA_HOME/surel/queue"
printf 'From: me@example.test\nTo: "Ev%s[2Jil" <a@example.test>\nSubject: hi %s]0;pwned%s %s[31mred\n\nbody %s[32mgreen\n' \
	"$esc" "$esc" "$bel" "$esc" "$esc" | "$SENDQ" -t || fail "enqueue failed"
id=$("$SENDQ" list --json | python3 -c "import json, sys; print(json.load(sys.stdin)[0]['id'])")
on_pty "$SENDQ" list || fail "sendq list failed"
inert "sendq list"
on_pty "$SENDQ" show "$id" || fail "sendq show failed"
grep -q 'green' "$T/pty" || fail "sendq show shows no body: $(cat "$T/pty")"
inert "sendq show"
ok "sendq list and show on a terminal: escapes in the queued message inert"

peer_start imap-peer.py --mode escape --max-time 20
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[account t]
address = t@example.test
maildir = $T/Mail5
fetch = imap://127.0.0.1:$PORT
tls = off
user = t
password_cmd = cat '$T/pw'
CF
on_pty "$SPOOL" -v -v fetch && fail "fetch against a refusing peer succeeded"
grep -q 'pwned' "$T/pty" || fail "the hostile text is not shown at all: $(cat "$T/pty")"
inert "spool fetch -v -v"
peer_stop
ok "spool fetch -v -v: escapes in the greeting and the refusal inert"
