#!/bin/sh
# The index's status line shows the account's sync status record (as
# `spool sync` and `spool watch --all` write it): "syncing" while a sync
# runs, "synced N min ago", "sync failed ...: REASON" with the reason
# sanitised, and a record that changes is shown without a key press (the
# index reads it when it idles, every 5 s).  The records are written here
# as the documented format says; no server is involved.
. "$(dirname "$0")/lib.sh"

mkdir -p "$XDG_CONFIG_HOME/surel" "$XDG_STATE_HOME/surel/sync"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account s]
address = s@example.test
maildir = $T/Mail
fetch = imap://127.0.0.1:9
CFG
chmod 600 "$XDG_CONFIG_HOME/surel/config"
deliver_demo "$T/Mail/INBOX"
STATUS="$XDG_STATE_HOME/surel/sync/s.status"

# record RUNNING PID SUCCESS FAILURE REASON: write the record atomically.
record() {
	printf 'version 1\nrunning %s\npid %s\nstarted %s\nsuccess %s\nfailure %s\nreason %s\n' \
		"$1" "$2" "$(date +%s)" "$3" "$4" "$5" > "$STATUS.tmp"
	mv "$STATUS.tmp" "$STATUS"
}

now=$(date +%s)
record 0 1 $((now - 150)) 0 ""
ui_start
wait_for 'surel: INBOX \[Msgs:3.* -- synced 2 min ago' "synced in the status line"
ok "the status line says when the account last synced"

# A running sync: the pid must be alive (a dead one means it was killed).
record 1 $$ $((now - 150)) 0 ""
wait_for ' -- syncing' "syncing, without a key press"
ok "a running sync shows as syncing within seconds, without a key press"

record 1 999999999 $((now - 150)) 0 ""
wait_for ' -- synced 2 min ago' "a killed sync is not shown as running"
ok "a record left running by a killed sync is not shown as syncing"

reason=$(printf 'login refused: \033[31mAuthentication failed.')
record 0 1 $((now - 150)) $((now - 30)) "$reason"
wait_for ' -- sync failed [0-9]+ s ago: login refused: .+\[31mAuthentication failed\.' "the failure"
screen | grep -q "$(printf '\033')" && fail "an escape reached the screen"
ok "a failed sync shows when and why, sanitised"

keys q
wait_for '^SUREL-EXIT 0'
ok "quit"
