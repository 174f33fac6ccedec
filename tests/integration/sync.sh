#!/bin/sh
# spool sync against a real, private Dovecot with CONDSTORE and QRESYNC:
# first sync both ways, special-use and non-ASCII folders, flags, removals
# and new messages on either side (the server changed by imaplib, the
# Maildir by a mail reader's renames), the mass-deletion guard, --dry-run
# and --json.
. "$(dirname "$0")/sync-lib.sh"

dc_put 5 S
dc_put 3 ""
peer create "Entwürfe"
peer create "Projekte/日本語"
peer append "Entwürfe" 2 D
peer append "Projekte/日本語" 3 F
peer append "Sent Messages" 2 S
expect_exit 0 "$SPOOL" -v sync
agree "first sync"
[ -d "$M/Sent/cur" ] && [ -d "$M/Entwürfe/cur" ] && [ -d "$M/Projekte/日本語/cur" ] ||
	fail "folders not mapped: $(ls -R "$M" | head -20)"
ok "first sync: special-use Sent, UTF-8 and nested folder names"

expect_exit 0 "$SPOOL" -v sync
grep -q " 0 in, 0 out" "$T/err" || fail "second sync changed something: $(cat "$T/err")"
ok "a second sync changes nothing"

# --- changes on both sides ------------------------------------------------
export SYNCPEER_LOG="$T/removed.log"
# As mutt marks a new message read: new/KEY -> cur/KEY:2,S.
k=$(ls "$M/INBOX/new" | head -n 1)
mv "$M/INBOX/new/$k" "$M/INBOX/cur/$k:2,S"
# Flagged and replied to, as one rename.
k=$(ls "$M/INBOX/cur" | head -n 1)
mv "$M/INBOX/cur/$k" "$M/INBOX/cur/${k%%:2,*}:2,FRS"
for r in 1 2 3; do
	peer server-change "$r" 12
	peer local-change "$((r + 100))" 12
	expect_exit 0 "$SPOOL" sync
	agree "round $r of changes on both sides"
done
peer gone > "$T/gone" || fail "$(cat "$T/gone")"
ok "flags, new messages and removals on both sides agree after each sync; no removal undone"

# A message removed here and flagged on the server: removed, one conflict.
peer create Konflikt
peer append Konflikt 1
expect_exit 0 "$SPOOL" sync
rm "$M"/Konflikt/new/*
python3 - "$DC_IMAP" "$DC_USER" "$DC_PASS" <<'PY'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m.select("Konflikt")
m.uid("STORE", "1:*", "+FLAGS", "(\\Flagged)")
m.logout()
PY
expect_exit 0 "$SPOOL" sync --json
python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))["accounts"][0]
assert a["account"] == "t" and a["conflicts"] == 1 and a["removed_remote"] == 1, a
assert a["dry_run"] is False and a["error"] is None, a' "$T/out" || fail "json: $(cat "$T/out")"
agree "after a conflict"
ok "removed here, changed there: removed, and counted as a conflict in --json"

# --- a move as surel makes it (the same name in another folder) -----------
move_one Trash
ok "a message moved to another folder is moved on the server (UID MOVE), not copied"

# --- --dry-run ------------------------------------------------------------
peer append INBOX 2
expect_exit 0 "$SPOOL" sync --dry-run --json
grep -q '"pulled": 2' "$T/out" || fail "dry run: $(cat "$T/out")"
peer compare > /dev/null 2>&1 && fail "--dry-run changed the Maildir"
expect_exit 0 "$SPOOL" sync
agree "after a dry run"
ok "--dry-run says what it would do and does nothing"

# --- the mass-deletion guard ------------------------------------------------
config "$M" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem
sync_max_delete = 5"
peer create Bulk
peer append Bulk 8
expect_exit 0 "$SPOOL" sync
rm "$M"/Bulk/cur/* "$M"/Bulk/new/* 2> /dev/null || true
expect_exit 65 "$SPOOL" sync
grep -q "sync_max_delete" "$T/err" || fail "guard message: $(cat "$T/err")"
grep -q '"type": *"sync_error".*sync_max_delete' "$T/home/.local/state/surel/events.jsonl" ||
	fail "no sync_error event in the journal"
[ "$(peer count Bulk)" -eq 8 ] || fail "the guard let removals through"
expect_exit 0 "$SPOOL" sync --allow-delete
[ "$(peer count Bulk)" -eq 0 ] || fail "--allow-delete did not remove"
agree "after --allow-delete"
peer append Bulk 8
expect_exit 0 "$SPOOL" sync
peer empty Bulk
expect_exit 65 "$SPOOL" sync
[ "$(local_count "$M/Bulk")" -eq 8 ] || fail "the guard let local removals through"
expect_exit 0 "$SPOOL" sync --allow-delete
agree "after a server folder was emptied"
ok "sync_max_delete holds back mass removals on either side (exit 65) until --allow-delete"

# --- a local folder is created on the server; a vanished one is no removal
mkdir -p "$M/Neu/cur" "$M/Neu/new" "$M/Neu/tmp"
cp "$M"/INBOX/cur/* "$M/Neu/cur/" 2> /dev/null || true
n=$(local_count "$M/Neu")
expect_exit 0 "$SPOOL" sync
[ "$(peer count Neu)" -eq "$n" ] || fail "local folder not uploaded"
agree "after a new local folder"
rm -r "$M/Neu"
expect_exit 0 "$SPOOL" sync
[ "$(peer count Neu)" -eq "$n" ] || fail "a vanished local folder removed server mail"
agree "after a local folder vanished"
ok "a new local folder is created on the server; a vanished one is fetched again, not emptied there"
