#!/bin/sh
# Disk full and read-only spools, on a 256 KiB tmpfs: sendq enqueue, spool
# deliver and spool fetch (from a private Dovecot, keep = no) exit 75 with
# one clear line and leave nothing partial; fetch leaves every message on
# the server that it did not store, and once space is freed a second fetch
# gets every message exactly once.  A read-only spool gives one clear line.
# Needs root (mount) and Dovecot.
. "$(dirname "$0")/fetch-lib.sh"
command -v mount > /dev/null || skip "mount is needed"
SENDQ="$top_builddir/sendq/sendq"
FULL="$T/full"
mkdir -p "$FULL"
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$FULL" 2> /dev/null || skip "cannot mount a tmpfs here"
trap 'dovecot_stop; umount "$FULL" 2> /dev/null || true; scratch_remove' EXIT INT TERM

# fill LEAVE_KB: fill the tmpfs, then free LEAVE_KB again.
fill() {
	rm -f "$FULL/filler"
	dd if=/dev/zero of="$FULL/filler" bs=4k 2> /dev/null || true
	sz=$(stat -c %s "$FULL/filler")
	truncate -s $((sz > $1 * 1024 ? sz - $1 * 1024 : 0)) "$FULL/filler"
}

# visible DIR: message files in DIR/new and DIR/cur.
visible() {
	find "$1/new" "$1/cur" -type f 2> /dev/null | wc -l
}

big() {
	python3 -c "
import sys
sys.stdout.write('From: me@example.test\nTo: you@example.test\nSubject: big\n\n' + ('x' * 75 + '\n') * ($1 * 1024 // 76))"
}

# --- sendq enqueue into a full disk ----------------------------------------
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[general]
default_account = t
[account t]
address = me@example.test
maildir = $T/Mail
smtp = smtp://127.0.0.1:1
CF
chmod 600 "$XDG_CONFIG_HOME/surel/config"
big 1 > "$T/small.eml"
XDG_DATA_HOME="$FULL/data" "$SENDQ" you@example.test < "$T/small.eml" || fail "first enqueue failed"
Q="$FULL/data/surel/queue"
before=$(find "$Q/env" "$Q/msg" -type f | wc -l)
fill 8
big 64 > "$T/big.eml"
expect_exit 75 env XDG_DATA_HOME="$FULL/data" "$SENDQ" you@example.test < "$T/big.eml"
expect_one_line_error sendq
[ "$(find "$Q/env" "$Q/msg" -type f | wc -l)" -eq "$before" ] ||
	fail "a half-queued message: $(find "$Q" -type f)"
[ -z "$(find "$Q/tmp" -type f 2> /dev/null)" ] || fail "tmp/ leftovers: $(ls -a "$Q/tmp")"
XDG_DATA_HOME="$FULL/data" "$SENDQ" list > "$T/list" || fail "sendq list fails after a full disk"
[ "$(grep -c you@example.test "$T/list")" -eq 1 ] || fail "queue listing: $(cat "$T/list")"
ok "sendq enqueue into a full disk: exit 75, nothing half-queued: $(cat "$T/err")"

# --- spool deliver into a full disk ------------------------------------------
rm -rf "$FULL/data"
fill 8
expect_exit 75 sh -c "'$SPOOL' deliver '$FULL/Mail/INBOX' < '$T/big.eml'"
expect_one_line_error spool
[ "$(visible "$FULL/Mail/INBOX")" -eq 0 ] || fail "a partial message is visible"
[ -z "$(find "$FULL/Mail/INBOX/tmp" -type f 2> /dev/null)" ] || fail "tmp/ leftovers: $(ls -a "$FULL/Mail/INBOX/tmp")"
ok "spool deliver into a full disk: exit 75, nothing partial: $(cat "$T/err")"

# --- spool fetch into a full disk, then again with space ----------------------
dovecot_start
dc_put 40 ""
rm -rf "$FULL/Mail"
config "$FULL/Mail" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem
keep = no"
fill 40
expect_exit 75 "$SPOOL" fetch
expect_one_line_error spool
got=$(visible "$FULL/Mail/INBOX")
# Nothing is removed from the server by a run that failed.
[ "$(dc_count)" -eq 40 ] || fail "after the full disk: $(dc_count) of 40 left on the server"
[ "$got" -lt 40 ] || fail "the disk did not fill: all $got stored"
# What is visible locally is whole: each file is byte for byte one of the
# server's messages.
digests "$FULL/Mail/INBOX" > "$T/local.sum"
digests "$DC_MAILDIR" > "$T/server.sum"
[ -z "$(sort -u "$T/local.sum" | comm -23 - "$T/server.sum")" ] || fail "a local copy is partial or changed"
[ "$(sort -u "$T/local.sum" | wc -l)" -eq "$got" ] || fail "a message is stored twice"
ok "spool fetch into a full disk: exit 75, $got stored whole, the server untouched: $(cat "$T/err")"
rm -f "$FULL/filler"
expect_exit 0 "$SPOOL" fetch
[ "$(visible "$FULL/Mail/INBOX")" -eq 40 ] && [ "$(dc_count)" -eq 0 ] ||
	fail "after freeing space: $(visible "$FULL/Mail/INBOX") local, $(dc_count) on the server"
python3 - "$FULL/Mail/INBOX" <<'P' || fail "duplicates after the second fetch"
import os, re, sys
ids = []
for sub in ("new", "cur"):
    for n in os.listdir(os.path.join(sys.argv[1], sub)):
        m = re.search(rb"^Message-ID: (.*)$", open(os.path.join(sys.argv[1], sub, n), "rb").read(), re.M)
        ids.append(m.group(1))
assert len(ids) == len(set(ids)) == 40, len(set(ids))
P
ok "once space is freed, a second fetch gets every message exactly once"

# --- a read-only spool ----------------------------------------------------------
mount -o remount,ro "$FULL" || skip "cannot remount read-only"
expect_exit 75 sh -c "printf 'Subject: ro\n\nx\n' | '$SPOOL' deliver '$FULL/Mail/INBOX'"
expect_one_line_error spool
grep -qi 'read-only' "$T/err" || fail "deliver does not say read-only: $(cat "$T/err")"
ok "spool deliver into a read-only spool: $(cat "$T/err")"
dc_put 1 ""
# Read-only is temporary too (a remount brings it back): 75 everywhere.
expect_exit 75 "$SPOOL" fetch
expect_one_line_error spool
grep -qi 'read-only' "$T/err" || fail "fetch does not say read-only: $(cat "$T/err")"
[ "$(dc_count)" -eq 1 ] || fail "fetch removed a message it could not store"
ok "spool fetch into a read-only spool: exit 75: $(cat "$T/err")"
expect_exit 75 sh -c "XDG_DATA_HOME='$FULL/data' '$SENDQ' you@example.test < '$T/small.eml'"
expect_one_line_error sendq
grep -qi 'read-only' "$T/err" || fail "sendq does not say read-only: $(cat "$T/err")"
ok "sendq into a read-only queue: exit 75: $(cat "$T/err")"
