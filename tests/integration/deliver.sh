#!/bin/sh
# spool deliver (MDA mode): atomic, byte-for-byte, distinct names, exit 75
# when the message cannot be stored; works with no config file; the mbox
# envelope of Postfix local(8) and Exim pipe deliveries is not stored.
. "$(dirname "$0")/lib.sh"

md="$T/Mail/INBOX"
printf 'From: a@example.test\nSubject: one\n\nbody\n' | "$SPOOL" deliver "$md"
[ -d "$md/cur" ] && [ -d "$md/tmp" ] || fail "Maildir not created"
[ "$(ls "$md/new" | wc -l)" -eq 1 ] || fail "expected one file in new/"
ok "deliver to a path creates the Maildir, no config needed"

# 1000 deliveries (bounded loop), each with its own content.
i=0
while [ $i -lt 1000 ]; do
	printf 'From: loop@example.test\nSubject: n%d\n\nbody %d\n' $i $i
	i=$((i + 1))
done > "$T/all"
i=0
while [ $i -lt 1000 ]; do
	printf 'From: loop@example.test\nSubject: n%d\n\nbody %d\n' $i $i | "$SPOOL" deliver "$T/loop" || fail "delivery $i failed"
	i=$((i + 1))
done
[ "$(ls "$T/loop/new" | wc -l)" -eq 1000 ] || fail "expected 1000 files, got $(ls "$T/loop/new" | wc -l)"
[ "$(ls "$T/loop/tmp" | wc -l)" -eq 0 ] || fail "tmp/ not empty"
cat "$T/loop/new"/* | sort > "$T/got"
sort "$T/all" > "$T/want"
cmp -s "$T/got" "$T/want" || fail "delivered contents differ from what was sent"
[ "$(cat "$T/loop/new"/* | grep -c '^Subject: n')" -eq 1000 ] || fail "subjects missing"
ok "1000 deliveries leave 1000 distinct intact files"

# NUL bytes and a 1 MB header line, byte for byte.
python3 -c "
import sys
hdr = b'X-Big: ' + b'a' * (1024 * 1024) + b'\n'
sys.stdout.buffer.write(b'From: nul@example.test\n' + hdr + b'Subject: nul\n\nbin\x00ary\x00\r\nend\n')" > "$T/odd.eml"
"$SPOOL" deliver "$T/odd" < "$T/odd.eml"
cmp "$T/odd.eml" "$T/odd/new"/* || fail "NUL / 1 MB header message not stored byte for byte"
ok "NUL bytes and a 1 MB header are stored byte for byte"

# A Maildir that cannot be created: exit 75, nothing left behind, one line.
: > "$T/plainfile"
expect_exit 75 sh -c "printf 'Subject: x\n\nx\n' | '$SPOOL' deliver '$T/plainfile/sub'"
expect_one_line_error spool
ok "unstorable message exits 75 with one line"

# A folder name with no config: the account's spool cannot be found.
expect_exit 75 sh -c "printf 'Subject: x\n\nx\n' | '$SPOOL' deliver INBOX"
grep -q "config" "$T/err" || fail "error does not mention the config: $(cat "$T/err")"
ok "folder name without a config exits 75 naming the config"

# Into a named folder of the configured account.
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account t]
address = t@example.test
maildir = $T/acct
CFG
printf 'Subject: named\n\nx\n' | "$SPOOL" deliver
printf 'Subject: named\n\nx\n' | "$SPOOL" deliver Archive
[ "$(ls "$T/acct/INBOX/new" | wc -l)" -eq 1 ] || fail "default INBOX delivery missing"
[ "$(ls "$T/acct/Archive/new" | wc -l)" -eq 1 ] || fail "Archive delivery missing"
ok "deliver by folder name uses the account's maildir"

# ".." and "." are no folder names: refused, nothing created above or at
# the root; a new folder in a Maildir++ tree (root is a Maildir) is .NAME.
for bad in .. . ""; do
	set +e
	printf 'Subject: bad\n\nx\n' | "$SPOOL" deliver "$bad" 2> "$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 64 ] || fail "deliver '$bad' exited $rc: $(cat "$T/err")"
done
[ ! -d "$T/cur" ] && [ ! -d "$T/acct/cur" ] || fail "a Maildir was made outside the folders"
mkdir -p "$T/pp/cur" "$T/pp/new" "$T/pp/tmp"
sed -i "s|maildir = .*|maildir = $T/pp|" "$XDG_CONFIG_HOME/surel/config"
printf 'Subject: pp\n\nx\n' | "$SPOOL" deliver Lists
[ "$(ls "$T/pp/.Lists/new" | wc -l)" -eq 1 ] || fail "new folder in a Maildir++ tree not .Lists: $(ls -a "$T/pp")"
ok "'..', '.' and '' refused with 64; a new folder under a Maildir++ root is .NAME"

# What MTAs pipe in, in the formats their manuals give: Postfix local(8)
# running mailbox_command (a "From sender  date" line, then its own
# Return-Path, X-Original-To and Delivered-To, no empty line after) and
# Exim's pipe transport with its default message_prefix and message_suffix
# (a From_ line, no Return-Path, one empty line after).  The envelope is
# not part of the message; Exim's sender becomes the Return-Path.
hdr='From: ana@example.test\nTo: t@example.test\nSubject: via an MTA\nMessage-ID: <mta1@example.test>\n'
printf "From ana@example.test  Sun Dec  6 10:38:12 2026\nReturn-Path: <ana@example.test>\nX-Original-To: t@example.test\nDelivered-To: t@example.test\n$hdr\nbody\n" |
	"$SPOOL" deliver "$T/postfix"
printf "Return-Path: <ana@example.test>\nX-Original-To: t@example.test\nDelivered-To: t@example.test\n$hdr\nbody\n" > "$T/want"
cmp "$T/want" "$T/postfix/new"/* || fail "Postfix's envelope stored: $(cat "$T/postfix/new"/*)"
printf "From ana@example.test Sun Dec 06 10:38:12 2026\n$hdr\nbody\n\n" | "$SPOOL" deliver "$T/exim"
printf "Return-Path: <ana@example.test>\n$hdr\nbody\n" > "$T/want"
cmp "$T/want" "$T/exim/new"/* || fail "Exim's envelope stored: $(cat "$T/exim/new"/*)"
printf "From MAILER-DAEMON Sun Dec 06 10:38:12 2026\n$hdr\nbounce\n\n" | "$SPOOL" deliver "$T/null"
head -n 1 "$T/null/new"/* | grep -qx 'Return-Path: <>' || fail "null sender: $(cat "$T/null/new"/*)"
# Without an envelope line nothing changes, trailing empty lines included.
printf "$hdr\nbody\n\n" > "$T/plain.eml"
"$SPOOL" deliver "$T/plain" < "$T/plain.eml"
cmp "$T/plain.eml" "$T/plain/new"/* || fail "a message without envelope was changed"
ok "the From_ line of Postfix and Exim and Exim's empty last line are not stored"

# Filing rules see the message without its envelope.
printf 'rule1 = Subject ~ ^via an MTA$ -> MTA\n' >> "$XDG_CONFIG_HOME/surel/config"
printf "From ana@example.test Sun Dec 06 10:38:12 2026\n$hdr\nbody\n\n" | "$SPOOL" deliver
[ "$(ls "$T/pp/.MTA/new" | wc -l)" -eq 1 ] || fail "rule did not file the enveloped message"
head -n 1 "$T/pp/.MTA/new"/* | grep -qx 'Return-Path: <ana@example.test>' || fail "filed copy keeps its envelope"
ok "filing rules match a message an MTA wrapped in an envelope"
