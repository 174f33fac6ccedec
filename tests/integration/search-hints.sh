#!/bin/sh
# The search index kept current by the writers of mail (lib/idxhint.h):
# spool deliver and sendq's local deliveries and Sent copies start a
# background `spool index`, and `spool search --no-refresh` (which never
# refreshes itself) finds their mail; no index is made for an account
# that has none; search_index_auto = no stops it; a writer does not wait
# while the index is locked, and a burst of 200 deliveries is indexed by
# one indexer; kill -9 of the indexer mid-way is finished by the next
# writer.  spool fetch: search-hints-fetch.sh; surel: tests/ui/search-hints.sh.
. "$(dirname "$0")/lib.sh"

command -v python3 > /dev/null 2>&1 || skip "python3 missing"
SENDQ="$top_builddir/sendq/sendq"
PEER="$top_srcdir/tests/peer/smtp-peer.py"
# sendq-agent finds spool on $PATH (an install has it in bindir).
PATH="$top_builddir/spool:$PATH"
export PATH
BULK=${SEARCH_HINTS_BULK:-3000}
MD="$T/Mail"
SD="$XDG_CACHE_HOME/surel/search"
peer_pid=""
stopped=""
trap '[ -z "$peer_pid" ] || kill "$peer_pid" 2> /dev/null || true
[ -z "$stopped" ] || kill -9 "$stopped" 2> /dev/null || true
rm -rf "$T"' EXIT INT TERM

config() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	{
		printf '[account a]\naddress = a@example.test\nmaildir = %s\n' "$MD"
		printf 'local_domains = example.test\nsmtp = smtp://127.0.0.1:%s\ntls = off\n' "${PORT:-1}"
		printf '%s\n' "${1:-}"
	} > "$XDG_CONFIG_HOME/surel/config"
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

msg() {
	printf 'From: Sender <s@example.test>\nTo: a@example.test\nSubject: %s\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n\n%s\n' "$1" "$2"
}

# status FIELD: a line of the background indexer's status file.
status() {
	sed -n "s/^$1 //p" "$SD"/*.lock 2> /dev/null || true
}

config
msg "before any index" "okapi" | "$SPOOL" deliver
[ -z "$(ls -A "$SD" 2> /dev/null || true)" ] || fail "a writer made index files: $(ls "$SD")"
expect_exit 69 "$SPOOL" search --no-refresh okapi
expect_one_line_error spool
expect_exit 0 "$SPOOL" index --background
[ -z "$(ls -A "$SD" 2> /dev/null || true)" ] || fail "index --background made an index"
expect_exit 64 "$SPOOL" index --lock-fd 3 3< /dev/null
expect_exit 64 "$SPOOL" index --background --lock-fd 9
expect_exit 64 "$SPOOL" index --background --rebuild
ok "without an index a delivery starts nothing, makes nothing, and --no-refresh says so"

"$SPOOL" index > /dev/null
msg "arrival" "narwhal" | "$SPOOL" deliver
search_wait narwhal 1 "spool deliver"
# It waits a second for more marks, then says it is done.
i=0
while [ "$(status pid)" -ne 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the indexer did not end: $(cat "$SD"/*.lock)"
	sleep 0.1
done
[ "$(status runs)" -eq 1 ] || fail "status: $(cat "$SD"/*.lock)"
ok "spool deliver: the background indexer indexes the message"

config "search_index_auto = no"
runs=$(status runs)
msg "not hinted" "quokka" | "$SPOOL" deliver
[ ! -e "$SD"/*.again ] && [ "$(status runs)" -eq "$runs" ] || fail "search_index_auto = no hinted"
[ "$(search_hits quokka)" -eq 0 ] || fail "indexed with search_index_auto = no"
config
ok "search_index_auto = no: no mark, no indexer"

# --- the index locked by another writer for the whole burst ------------
runs=$(status runs)
python3 - "$SD"/*.db "$T/locked" "$T/release" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
end = time.time() + 60
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
holder=$!
i=0
while [ ! -e "$T/locked" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the index was not locked"
	sleep 0.1
done
n=0
while [ $n -lt 200 ]; do
	msg "burst $n" "pangolin" | "$SPOOL" deliver || fail "deliver $n failed"
	n=$((n + 1))
done
[ ! -e "$T/release" ] || fail "lock given up early"
[ "$(search_hits pangolin)" -eq 0 ] || fail "indexed through a held lock"
ok "200 deliveries return while the index is locked by another program"
touch "$T/release"
wait "$holder" || fail "the lock holder failed"
search_wait pangolin 200 "burst"
started=$(($(status runs) - runs))
[ "$started" -ge 1 ] && [ "$started" -le 2 ] ||
	fail "$started indexers did work for 200 deliveries: $(cat "$SD"/*.lock)"
ok "the burst is indexed by $started indexer(s) once the lock is free"

# --- kill -9 of the indexer mid-way ------------------------------------
python3 - "$MD/.Bulk" "$BULK" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for s in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(d, s), exist_ok=True)
for i in range(n):
    with open(os.path.join(d, "cur", "1790000000.M%dP1.bulk:2,S" % i), "w") as f:
        f.write("From: Bulk <b@example.test>\nSubject: bulk %d\n"
                "Date: Mon, 30 Nov 2026 10:00:00 +0000\n\nwombat %d\n" % (i, i))
PY
msg "trigger" "first trigger" | "$SPOOL" deliver
# Stopped as soon as it shows, then let on in steps of 20 ms until its
# first batch is in: killed there it is mid-way whatever the machine.
i=0
while :; do
	pid=$(status pid)
	[ -z "$pid" ] || [ "$pid" -eq 0 ] || { kill -STOP "$pid" && stopped=$pid && break; }
	i=$((i + 1))
	[ $i -lt 600 ] || fail "no indexer seen: $(cat "$SD"/*.lock)"
	sleep 0.02
done
i=0
while [ "$(search_hits wombat)" -eq 0 ]; do
	i=$((i + 1))
	[ $i -lt 1000 ] || fail "the indexer did not get on"
	kill -CONT "$pid"
	sleep 0.02
	kill -STOP "$pid"
done
part=$(search_hits wombat)
kill -9 "$pid"
stopped=""
[ "$part" -lt "$BULK" ] || fail "the indexer was done before it was killed (raise SEARCH_HINTS_BULK)"
msg "trigger" "second trigger" | "$SPOOL" deliver
# 3000 messages at nice 10 while other tests run: minutes are possible.
search_wait wombat "$BULK" "after kill -9" 180
[ "$(search_hits trigger)" -eq 2 ] || fail "the triggers: $(search_hits trigger)"
ok "kill -9 of the indexer at $part of $BULK: the next delivery's indexer finishes"

# --- sendq: a local delivery and a Sent copy -----------------------------
python3 "$PEER" --mode ok --spool "$T/spool" --log "$T/peer.log" --port-file "$T/port" \
	--max-time 60 &
peer_pid=$!
i=0
while [ ! -s "$T/port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the SMTP peer did not start"
	sleep 0.1
done
PORT=$(cat "$T/port")
config
printf 'From: a@example.test\nTo: a@example.test\nSubject: to myself\n\ncapybara\n' |
	"$SENDQ" -- a@example.test || fail "enqueue failed"
printf 'From: a@example.test\nTo: x@remote.test\nSubject: away\n\naxolotl\n' |
	"$SENDQ" -- x@remote.test || fail "enqueue failed"
expect_exit 0 "$SENDQ" flush
[ -s "$T/spool/1.eml" ] || fail "not relayed: $(cat "$T/err")"
search_wait 'capybara folder:INBOX' 1 "sendq local delivery"
search_wait 'axolotl folder:Sent' 1 "sendq Sent copy"
ok "sendq: the local delivery and the Sent copy are indexed in the background"
