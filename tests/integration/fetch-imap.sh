#!/bin/sh
# spool fetch from a real, private Dovecot over IMAP: STARTTLS and implicit
# TLS, certificate refusals before any login, pinning, incremental fetch,
# flags, byte-identical copies, crash recovery, UIDVALIDITY change,
# keep = no, the lock, non-ASCII folder names (modified UTF-7), and the
# exit codes.
. "$(dirname "$0")/fetch-lib.sh"

dovecot_start
dc_put 10 S
dc_put 5 ""
dc_put 3 FR
dc_put 2 D

# --- STARTTLS (imap://) ---------------------------------------------------
config "$T/m1" "imap://127.0.0.1:$DC_IMAP"
expect_exit 0 "$SPOOL" -v fetch
grep -q "20 message(s)" "$T/err" || fail "summary: $(cat "$T/err")"
[ "$(local_count "$T/m1/INBOX")" -eq 20 ] || fail "expected 20 messages"
same_as_server "$T/m1/INBOX"
ok "imap:// with STARTTLS fetches every message byte for byte"

[ "$(ls "$T/m1/INBOX/cur" | grep -c ':2,S$')" -eq 10 ] || fail "\\Seen not mapped"
[ "$(ls "$T/m1/INBOX/cur" | grep -c ':2,FR$')" -eq 3 ] || fail "\\Flagged \\Answered not mapped"
[ "$(ls "$T/m1/INBOX/cur" | grep -c ':2,D$')" -eq 2 ] || fail "\\Draft not mapped"
[ "$(ls "$T/m1/INBOX/new" | wc -l)" -eq 5 ] || fail "unflagged messages belong in new/"
ok "server flags map to Maildir flags, unflagged mail in new/"

grep -q '^version 1$' "$T/m1/.surel-fetch/t.INBOX.state" || fail "no state file"
grep -q '^last_uid 20$' "$T/m1/.surel-fetch/t.INBOX.state" || fail "last_uid not recorded"
expect_exit 0 "$SPOOL" fetch
[ ! -s "$T/err" ] || fail "not silent without -v: $(cat "$T/err")"
expect_exit 0 "$SPOOL" -v fetch
grep -q " 0 message(s)" "$T/err" || fail "second fetch fetched: $(cat "$T/err")"
[ "$(local_count "$T/m1/INBOX")" -eq 20 ] || fail "second fetch changed the Maildir"
ok "a second fetch fetches nothing and is silent without -v"

dc_put 3 ""
expect_exit 0 "$SPOOL" -v fetch
grep -q " 3 message(s)" "$T/err" || fail "incremental: $(cat "$T/err")"
same_as_server "$T/m1/INBOX"
ok "new mail is fetched incrementally"

# A crash after the messages were stored but before the state said so:
# the stored ones are recognised by their names and not fetched again.
sed -i 's/^last_uid .*/last_uid 12/' "$T/m1/.surel-fetch/t.INBOX.state"
expect_exit 0 "$SPOOL" -v fetch
grep -q "already stored" "$T/err" || fail "recovery not reported: $(cat "$T/err")"
[ "$(local_count "$T/m1/INBOX")" -eq 23 ] || fail "duplicates after a lost state write"
grep -q '^last_uid 23$' "$T/m1/.surel-fetch/t.INBOX.state" || fail "last_uid not caught up"
ok "messages stored before a lost state write are not fetched twice"

# --- implicit TLS, plain text, pinning ----------------------------------
config "$T/m2" "imaps://127.0.0.1:$DC_IMAPS"
expect_exit 0 "$SPOOL" fetch
same_as_server "$T/m2/INBOX"
ok "imaps:// fetches every message"

config "$T/m3" "imap://127.0.0.1:$DC_IMAP" "tls = off"
expect_exit 0 "$SPOOL" fetch
[ "$(local_count "$T/m3/INBOX")" -eq 23 ] || fail "tls = off fetch"
ok "imap:// with tls = off works in plain text"

# --- lock -----------------------------------------------------------------
config "$T/m4" "imaps://127.0.0.1:$DC_IMAPS"
mkdir -p "$T/m4/.surel-fetch"
# The lock is held from when $T/locked appears until $T/unlock does (both
# waits bounded), however slow the machine.
flock "$T/m4/.surel-fetch/t.lock" sh -c ': > "$1/locked"; i=0
	while [ ! -e "$1/unlock" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done' sh "$T" &
lpid=$!
i=0
while [ ! -e "$T/locked" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "flock never took the lock"
	sleep 0.1
done
expect_exit 0 "$SPOOL" -v fetch
: > "$T/unlock"
wait "$lpid"
grep -q "another fetch is running" "$T/err" || fail "busy lock not reported: $(cat "$T/err")"
[ ! -d "$T/m4/INBOX" ] || [ "$(local_count "$T/m4/INBOX")" -eq 0 ] || fail "fetched while locked"
ok "a second fetch of the account exits 0 at once"

# --- errors ---------------------------------------------------------------
PASS=wrong config "$T/m5" "imaps://127.0.0.1:$DC_IMAPS"
expect_exit 77 "$SPOOL" fetch
expect_one_line_error spool
grep -q "login refused" "$T/err" || fail "auth error: $(cat "$T/err")"
ok "a refused login exits 77 with one line"

port=$(dc_ports | cut -d' ' -f1)
config "$T/m5" "imaps://127.0.0.1:$port"
expect_exit 75 "$SPOOL" fetch
expect_one_line_error spool
ok "an unreachable server exits 75"

# --- UIDVALIDITY change -----------------------------------------------------
doveadm -c "$DC_CONF" mailbox update -u "$DC_USER" --uid-validity 12345 INBOX ||
	fail "doveadm could not change UIDVALIDITY"
config "$T/m1" "imap://127.0.0.1:$DC_IMAP"
expect_exit 0 "$SPOOL" -v fetch
grep -q "UIDVALIDITY of 'INBOX' changed" "$T/err" || fail "no warning: $(cat "$T/err")"
[ "$(local_count "$T/m1/INBOX")" -eq 23 ] || fail "UIDVALIDITY change duplicated mail"
grep -q '^uidvalidity 12345$' "$T/m1/.surel-fetch/t.INBOX.state" || fail "new UIDVALIDITY not kept"
dc_put 1 ""
expect_exit 0 "$SPOOL" -v fetch
grep -q " 1 message(s)" "$T/err" || fail "after UIDVALIDITY change: $(cat "$T/err")"
same_as_server "$T/m1/INBOX"
ok "a UIDVALIDITY change re-fetches nothing that is already local"

# A first fetch into a folder that already holds the mail (another
# fetcher's copies) adds nothing.
mkdir -p "$T/m9/INBOX/cur" "$T/m9/INBOX/new" "$T/m9/INBOX/tmp"
cp "$DC_MAILDIR"/cur/* "$T/m9/INBOX/cur/"
config "$T/m9" "imap://127.0.0.1:$DC_IMAP"
expect_exit 0 "$SPOOL" -v fetch
grep -q " 0 message(s)" "$T/err" || fail "first fetch into a full folder: $(cat "$T/err")"
[ "$(local_count "$T/m9/INBOX")" -eq 24 ] || fail "first fetch duplicated local mail"
ok "a first fetch into a folder holding the same mail adds nothing"

# --- keep = no --------------------------------------------------------------
digests "$DC_MAILDIR" > "$T/before.sum"
config "$T/m6" "imaps://127.0.0.1:$DC_IMAPS" "tls_ca_file = $DATA/tls/ca.pem
keep = no"
expect_exit 0 "$SPOOL" -v fetch
grep -q "24 removed" "$T/err" || fail "keep = no: $(cat "$T/err")"
[ "$(dc_count)" -eq 0 ] || fail "server still holds $(dc_count) messages"
digests "$T/m6/INBOX" > "$T/after.sum"
cmp -s "$T/before.sum" "$T/after.sum" || fail "what left the server is not what is local"
ok "keep = no removes from the server exactly what is stored locally"

# --- folders: globs, --folder, move_to -----------------------------------
dc=$DC_CONF
for f in Lists Work Archive; do
	doveadm -c "$dc" mailbox create -u "$DC_USER" "$f" || fail "doveadm mailbox create $f"
done
for i in 1 2; do
	printf 'From: l@example.test\nSubject: list %s\nMessage-ID: <l%s@example.test>\n\nbody %s\n' $i $i $i |
		doveadm -c "$dc" save -u "$DC_USER" -m Lists || fail "doveadm save"
done
printf 'From: w@example.test\nSubject: work\n\nwork\n' | doveadm -c "$dc" save -u "$DC_USER" -m Work
config "$T/m10" "imaps://127.0.0.1:$DC_IMAPS" "tls_ca_file = $DATA/tls/ca.pem
fetch_folders = INBOX, L*"
expect_exit 0 "$SPOOL" -v fetch
[ "$(local_count "$T/m10/Lists")" -eq 2 ] || fail "glob folder not fetched"
[ ! -d "$T/m10/Work" ] || fail "a folder outside fetch_folders was fetched"
ok "fetch_folders globs select the server's folders"

config "$T/m11" "imaps://127.0.0.1:$DC_IMAPS" "tls_ca_file = $DATA/tls/ca.pem
keep = no
move_to = Archive"
expect_exit 0 "$SPOOL" -v fetch --folder Lists
[ "$(local_count "$T/m11/Lists")" -eq 2 ] || fail "--folder Lists"
[ ! -d "$T/m11/INBOX" ] || fail "--folder fetched INBOX too"
doveadm -c "$dc" mailbox status -u "$DC_USER" messages Lists | grep -q 'messages=0' ||
	fail "move_to left messages in Lists"
doveadm -c "$dc" mailbox status -u "$DC_USER" messages Archive | grep -q 'messages=2' ||
	fail "move_to did not move to Archive"
ok "--folder fetches one folder; keep = no with move_to moves what is stored"

# Non-ASCII folder names travel in modified UTF-7 (RFC 3501 5.1.3) and
# become UTF-8 local names, whether named or matched by a glob.
doveadm -c "$dc" mailbox create -u "$DC_USER" "Entwürfe" || fail "doveadm mailbox create Entwürfe"
printf 'From: d@example.test\nSubject: draft\nMessage-ID: <d1@example.test>\n\ndraft\n' |
	doveadm -c "$dc" save -u "$DC_USER" -m "Entwürfe" || fail "doveadm save Entwürfe"
doveadm -c "$dc" mailbox list -u "$DC_USER" | grep -qx "Entwürfe" || fail "doveadm lists no Entwürfe"
config "$T/m12" "imaps://127.0.0.1:$DC_IMAPS" "tls_ca_file = $DATA/tls/ca.pem
fetch_folders = INBOX,Entwürfe"
expect_exit 0 "$SPOOL" -v fetch
[ "$(local_count "$T/m12/Entwürfe")" -eq 1 ] || fail "Entwürfe by name: $(cat "$T/err")"
ls "$T/m12/.surel-fetch/" | grep -q '^t\.Entw%C3%BCrfe\.state$' || fail "no state for Entwürfe"
config "$T/m13" "imaps://127.0.0.1:$DC_IMAPS" "tls_ca_file = $DATA/tls/ca.pem
fetch_folders = Entw*"
expect_exit 0 "$SPOOL" -v fetch
[ "$(local_count "$T/m13/Entwürfe")" -eq 1 ] || fail "Entwürfe by glob: $(cat "$T/err")"
[ -z "$(find "$T/m12" "$T/m13" -name '*&*')" ] || fail "a local folder keeps the mUTF-7 spelling"
ok "a folder named Entwürfe is fetched by name and by glob into Entwürfe"

config "$T/m14" "imaps://127.0.0.1:$DC_IMAPS" "tls_ca_file = $DATA/tls/ca.pem
fetch_folders = Gelöscht"
"$SPOOL" fetch > "$T/out" 2> "$T/err" && fail "fetching a missing folder succeeded"
expect_one_line_error spool
[ ! -e "$T/m14/Gelöscht" ] && [ -z "$(find "$T/m14" -name '*Gel*')" ] ||
	fail "a local folder was made for a folder the server refused"
ok "a folder the server refuses leaves no local folder behind"

# --- certificates: refused before any credential ---------------------------
dc_put 2 ""
dovecot_stop
# Count logins in a log of their own: Dovecot writes its log late (through
# its log process), so a line of an earlier login could still land in the
# old file, which is moved aside.
mv "$DC_LOG" "$DC_LOG.before"
dovecot_start wronghost
for url in "imaps://127.0.0.1:$DC_IMAPS" "imap://127.0.0.1:$DC_IMAP"; do
	config "$T/m7" "$url"
	expect_exit 69 "$SPOOL" fetch
	expect_one_line_error spool
	grep -q "does not match host name" "$T/err" || fail "wrong host: $(cat "$T/err")"
done
[ ! -d "$T/m7/INBOX" ] || [ "$(local_count "$T/m7/INBOX")" -eq 0 ] || fail "fetched despite a bad certificate"
ok "a certificate for another host is refused (exit 69)"

dovecot_stop
dovecot_start selfsigned
config "$T/m7" "imaps://127.0.0.1:$DC_IMAPS"
expect_exit 69 "$SPOOL" fetch
grep -q "not trusted" "$T/err" || fail "untrusted: $(cat "$T/err")"
ok "a certificate from an untrusted CA is refused (exit 69)"
[ "$(dc_logins)" -eq 0 ] || fail "credentials were sent to a server that failed verification"
ok "no login reached the server while its certificate was refused"

config "$T/m8" "imaps://127.0.0.1:$DC_IMAPS" "tls_fingerprint = $(cat "$DATA/tls/selfsigned.sha256")"
expect_exit 0 "$SPOOL" fetch
[ "$(local_count "$T/m8/INBOX")" -eq 2 ] || fail "pinned fetch"
config "$T/m8" "imaps://127.0.0.1:$DC_IMAPS" "tls_fingerprint = $(cat "$DATA/tls/localhost.sha256")"
expect_exit 69 "$SPOOL" fetch
grep -q "fingerprint" "$T/err" || fail "wrong pin: $(cat "$T/err")"
ok "a pinned fingerprint is accepted, another one refused"
