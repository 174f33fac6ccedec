#!/bin/sh
# kill -9 of spool sync at random points while both sides change: after a
# final quiet run both sides agree, and no message is lost, doubled or
# back after its removal.  SYNC_CRASH_ROUNDS rounds (default 4; the
# acceptance run is SYNC_CRASH_ROUNDS=50 SYNC_CRASH_MSGS=400, 2000
# messages in 5 folders), SYNC_CRASH_MSGS messages per folder (default 30).
. "$(dirname "$0")/sync-lib.sh"

rounds=${SYNC_CRASH_ROUNDS:-4}
per=${SYNC_CRASH_MSGS:-30}
export SYNCPEER_LOG="$T/removed.log" SYNCPEER_MARK="$T/mark"
for f in INBOX Eins Zwei "Drei/Vier" "Fünf"; do
	[ "$f" = INBOX ] || peer create "$f"
	peer append "$f" "$per" S
done
expect_exit 0 "$SPOOL" sync
agree "first sync"
r=1
while [ "$r" -le "$rounds" ]; do
	peer server-change "$r" 25
	peer local-change "$((r + 1000))" 25
	peer mark
	killed_sync "$r" 0.6
	r=$((r + 1))
done
expect_exit 0 "$SPOOL" sync
expect_exit 0 "$SPOOL" sync
agree "after $rounds killed runs"
peer gone > "$T/gone" || fail "$(cat "$T/gone")"
ok "$rounds rounds of changes and kill -9: both sides agree, nothing lost, doubled or resurrected"

# A mail reader and sendq write the Maildir while a sync runs (renames,
# removals, new messages, `spool deliver` into Sent): what the sync missed
# is picked up by the next run, nothing is lost or doubled.
(
	i=0
	while [ $i -lt 15 ]; do
		peer local-change "$((i + 5000))" 4
		printf 'Subject: sent %s\n\nbody %s\n' "$i" "$i" | "$SPOOL" deliver Sent
		i=$((i + 1))
	done
) &
wpid=$!
expect_exit 0 "$SPOOL" sync
expect_exit 0 "$SPOOL" sync
wait "$wpid"
expect_exit 0 "$SPOOL" sync
expect_exit 0 "$SPOOL" sync
agree "after writes during a sync"
peer gone > "$T/gone" || fail "$(cat "$T/gone")"
ok "renames, removals and new mail written during a sync are synced by the next run"
