#!/bin/sh
# spool deliver as Postfix's mailbox_command, for real: a private Postfix
# (postfix.sh) takes a message from its sendmail for root@local.test and
# its local(8) pipes it, with the "From sender  date" envelope line and the
# Return-Path, X-Original-To and Delivered-To it prepends, to `spool
# deliver DIR` (as default_privs, nobody: the recipient is root).  The
# stored message has no envelope line and is otherwise what Postfix sent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"

postfix_require
id nobody > /dev/null 2>&1 || skip "no system user 'nobody'"
trap 'postfix_stop; scratch_remove' EXIT INT TERM

# The command runs as nobody: it must reach the binary and the Maildir.
d=$(dirname "$SPOOL")
while [ "$d" != / ]; do
	chmod o+x "$d" 2> /dev/null || true
	d=$(dirname "$d")
done
MD="$T/inbox"
install -d -o nobody -g nogroup "$MD" "$MD/cur" "$MD/new" "$MD/tmp"

PORT=$(postfix_free_port)
PF_MAIN_EXTRA="mydestination = local.test
local_transport = local
mailbox_command = $SPOOL deliver $MD"
PF_MASTER_EXTRA="pickup    unix n - n 60 1 pickup
local     unix - n n - - local"
postfix_start "$T/pf" "$PORT" || fail "cannot start a private Postfix"

printf 'From: ana@example.test\nTo: root@local.test\nSubject: through local(8)\nMessage-ID: <pf1@example.test>\n\nbody line\nFrom here on, mbox would quote this line\n' > "$T/msg"
sendmail -C "$T/pf/etc" -f ana@example.test root@local.test < "$T/msg" ||
	fail "Postfix's sendmail refused the message"
i=0
while [ "$(ls "$MD/new" | wc -l)" -eq 0 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "nothing delivered; log: $(tail -n 20 "$T/pf/maillog")"
	sleep 0.1
done
f=$(ls "$MD/new"/*)
grep -q 'status=sent (delivered to command' "$T/pf/maillog" || fail "not delivered by command: $(tail -n 5 "$T/pf/maillog")"
head -n 1 "$f" | grep -qx 'Return-Path: <ana@example.test>' || fail "first line: $(head -n 1 "$f")"
grep -qx 'Delivered-To: root@local.test' "$f" || fail "no Delivered-To: $(cat "$f")"
# After the lines Postfix adds (and its Received:), the message as sent,
# but for the Date: Postfix's cleanup added; the body's From line is not
# quoted.
sed -n '/^From: ana@example.test$/,$p' "$f" | grep -v '^Date: ' > "$T/tail"
cmp "$T/msg" "$T/tail" || fail "message changed: $(cat "$f")"
ok "Postfix's local(8) with mailbox_command = spool deliver stores no From_ line"
