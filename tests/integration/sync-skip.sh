#!/bin/sh
# spool sync's stamps (spool/syncstamp.h): a sync with nothing changed
# skips every folder, and no change hides behind a stamp: a flag changed
# only on the server (by imaplib), a flag changed only here (a mail
# reader's rename), a flag pushed to the server and taken back there by
# another client, a move between folders, and a new file in new/ whose
# directory mtime reads as before (a change within the mtime tick of the
# last sync); then kill -9 at random points with stamps in play
# (SYNC_SKIP_ROUNDS rounds, default 5; 20 for a longer manual run).
# sync-skip-plain.sh runs it again against a server without CONDSTORE,
# where the server's side is the digest of its flag listing.
. "$(dirname "$0")/sync-lib.sh"

# age: the Maildir's directories as if their last change were 10 s old (a
# stamp vouches for no mtime younger than SYNCSTAMP_RACY_SECONDS).
age() {
	find "$M" -type d \( -name cur -o -name new \) -exec touch -d '10 seconds ago' {} +
}

# quiet_sync: a sync that must skip every folder (after age and a sync
# that earned the stamps); sets NF, the number of folders.
quiet_sync() {
	expect_exit 0 "$SPOOL" -vv sync
	NF=$(sed -n "s/.*account 't': \([0-9]*\) folder(s).*/\1/p" "$T/err")
	[ -n "$NF" ] && [ "$NF" -ge 4 ] || fail "no folder count: $(cat "$T/err")"
	[ "$(grep -c "unchanged on both sides" "$T/err")" -eq "$NF" ] ||
		fail "$1: not every folder was skipped: $(grep -v DEBUG "$T/err" | head -20)"
}

# synced_skipping N: a sync (-vv) that skipped exactly N folders.
synced_skipping() {
	expect_exit 0 "$SPOOL" -vv sync
	[ "$(grep -c "unchanged on both sides" "$T/err")" -eq "$1" ] ||
		fail "expected $1 folders skipped: $(grep "unchanged\|folder(s)" "$T/err")"
}

server_flag() {
	python3 - "$DC_IMAP" "$DC_USER" "$DC_PASS" "$1" "$2" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select(sys.argv[4])
typ, data = m.uid("SEARCH", "ALL")
m.uid("STORE", data[0].split()[0], "+FLAGS", "(%s)" % sys.argv[5])
m.logout()
PY
}

# server_store FOLDER OP FLAGS: another client's UID STORE on every
# message of FOLDER.
server_store() {
	python3 - "$DC_IMAP" "$DC_USER" "$DC_PASS" "$1" "$2" "$3" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select(sys.argv[4])
m.uid("STORE", "1:*", sys.argv[5], "(%s)" % sys.argv[6])
m.logout()
PY
}

dc_put 5 S
peer create Zwei
peer append Zwei 3
# A nested folder: the peek comes before the server's folders are listed,
# so it must learn the hierarchy delimiter by itself.
peer create "Projekte/Jahr 2026"
peer append "Projekte/Jahr 2026" 2 S
expect_exit 0 "$SPOOL" sync
age
expect_exit 0 "$SPOOL" sync
[ -s "$M/.surel-sync/t.stamps" ] || fail "no stamps written"
quiet_sync "nothing changed"
ok "a sync with nothing changed skips all $NF folders"

# A flag set on the server only: without CONDSTORE neither UIDNEXT nor the
# count change, only the listing's digest does.
server_flag INBOX '\Flagged'
synced_skipping $((NF - 1))
ls "$M/INBOX/cur" | grep -q ':2,.*F' || fail "the server's flag did not arrive"
agree "after a flag set on the server"
ok "a flag set only on the server arrives; the other folders stay skipped"

age
expect_exit 0 "$SPOOL" sync
quiet_sync "before a local rename"
f=$(find "$M/Zwei/cur" "$M/Zwei/new" -type f | head -n 1)
k=$(basename "$f")
mv "$f" "$M/Zwei/cur/${k%%:2,*}:2,RS"
synced_skipping $((NF - 1))
agree "after a local rename"
ok "a flag changed only here (a rename) reaches the server"

# A flag this sync pushes, taken back on the server by another client
# before the next one: the server is then as it was when the stamp's
# sync read it, and only the synced state says the flag was pushed.
age
expect_exit 0 "$SPOOL" sync
quiet_sync "before a pushed flag"
for f in "$M/Zwei/cur/"*; do
	k=$(basename "$f")
	fl=$(printf '%s' "${k##*:2,}F" | fold -w1 | sort -u | tr -d '\n')
	mv "$f" "$M/Zwei/cur/${k%%:2,*}:2,$fl"
done
age
expect_exit 0 "$SPOOL" sync
agree "after flags pushed"
server_store Zwei -FLAGS '\Flagged'
expect_exit 0 "$SPOOL" sync
ls "$M/Zwei/cur" | grep -q ':2,[A-Z]*F' && fail "the flag taken back on the server is still set here"
agree "after a pushed flag was taken back on the server"
ok "a pushed flag taken back on the server by another client is taken back here"

age
expect_exit 0 "$SPOOL" sync
quiet_sync "before a move"
move_one Zwei
ok "a move between two stamped folders is found and moved on the server"

# The same mtime tick: INBOX's new/ changes (a file made and removed) just
# before a sync, which must not vouch for that young mtime; a file that
# then arrives without moving the mtime (a coarse clock) is still seen.
age
expect_exit 0 "$SPOOL" sync
quiet_sync "before a change in the same tick"
touch "$M/INBOX/new/.probe" && rm "$M/INBOX/new/.probe"
mt=$(stat -c %y "$M/INBOX/new")
expect_exit 0 "$SPOOL" sync
n=$(peer count INBOX)
printf 'From: a@example.test\nSubject: same tick\nMessage-ID: <tick@example.test>\n\nbody\n' \
	> "$M/INBOX/tmp/1700000000.tick.host"
mv "$M/INBOX/tmp/1700000000.tick.host" "$M/INBOX/new/1700000000.tick.host"
touch -d "$mt" "$M/INBOX/new"
[ "$(stat -c %y "$M/INBOX/new")" = "$mt" ] || fail "cannot set the directory's mtime back"
expect_exit 0 "$SPOOL" sync
[ "$(peer count INBOX)" -eq $((n + 1)) ] || fail "the file added within the tick was not uploaded"
agree "after a change within the mtime tick"
ok "a file added within the mtime tick of the last sync is uploaded by the next"

# kill -9 with stamps in play: every round starts from stamps earned by a
# complete sync, changes a few messages on both sides (so some folders
# stay quiet and are skipped) and kills a sync at a random point; a killed
# run's stale stamps must hide nothing.  SYNC_SKIP_ROUNDS rounds (default 5).
export SYNCPEER_LOG="$T/removed.log" SYNCPEER_MARK="$T/mark"
rounds=${SYNC_SKIP_ROUNDS:-5}
r=1
while [ "$r" -le "$rounds" ]; do
	age
	expect_exit 0 "$SPOOL" sync
	peer server-change "$((r + 300))" 3
	peer local-change "$((r + 400))" 3
	peer mark
	killed_sync "$r" 0.3
	age
	r=$((r + 1))
done
expect_exit 0 "$SPOOL" sync
expect_exit 0 "$SPOOL" sync
agree "after $rounds killed runs with stamps"
peer gone > "$T/gone" || fail "$(cat "$T/gone")"
ok "$rounds rounds of changes and kill -9 with stamps: both sides agree, nothing lost or back"
