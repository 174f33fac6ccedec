#!/bin/sh
# spool sync against a server without UIDPLUS (nor CONDSTORE, QRESYNC,
# MOVE): an upload's UID is found by searching its Message-ID, and a local
# removal leaves the message marked \Deleted on the server, with a warning,
# never a plain EXPUNGE; it is neither fetched back nor uploaded again.
SYNC_NO_CONDSTORE=1
SYNC_IMAP_CAPS="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE CHILDREN UNSELECT SPECIAL-USE"
. "$(dirname "$0")/sync-lib.sh"

dc_put 3 S
expect_exit 0 "$SPOOL" -vv sync
grep -q "UIDPLUS no" "$T/err" || fail "the server still offers UIDPLUS: $(cat "$T/err")"
printf 'Message-ID: <up1@sync.test>\nSubject: up\n\nbody\n' > "$M/INBOX/tmp/up1"
mv "$M/INBOX/tmp/up1" "$M/INBOX/new/1700000000.up1.local"
expect_exit 0 "$SPOOL" sync
grep -q '^m 4 - 1700000000.up1.local$' "$M/.surel-sync/t.INBOX.state" ||
	fail "upload not recorded: $(cat "$M/.surel-sync/t.INBOX.state")"
agree "after an upload without APPENDUID"
ok "without UIDPLUS an upload's UID is found by its Message-ID"

k=$(ls "$M/INBOX/cur" | head -n 1)
rm "$M/INBOX/cur/$k"
expect_exit 0 "$SPOOL" sync
grep -q "no UIDPLUS" "$T/err" || fail "no warning: $(cat "$T/err")"
[ "$(peer count INBOX)" -eq 4 ] || fail "a message was expunged without UIDPLUS"
expect_exit 0 "$SPOOL" -v sync
grep -q " 0 in, 0 out" "$T/err" || fail "the marked message came back: $(cat "$T/err")"
[ "$(local_count "$M/INBOX")" -eq 3 ] || fail "local count changed"
ok "without UIDPLUS a removal leaves the message marked \\Deleted, never expunged or back"
