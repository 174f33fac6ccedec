#!/bin/sh
# mutt (Debian's) opens a Maildir written by spool deliver and shows the
# same subjects spool ls does.
. "$(dirname "$0")/lib.sh"
command -v mutt > /dev/null || skip "mutt not installed"
command -v tmux > /dev/null || skip "tmux not installed"

md="$T/INBOX"
for m in "$DATA"/demo/*.eml; do
	"$SPOOL" deliver "$md" < "$m"
done
cat > "$T/muttrc" <<RC
set mbox_type=Maildir
set folder="$T"
set spoolfile="$md"
set record=""
set postponed=""
set mark_old=no
set quit=yes
set header_cache=""
set charset="utf-8"
set sort=date
RC
sock="$T/tmux.sock"
tmux -S "$sock" -f /dev/null new-session -d -x 160 -y 40 \
	"env LANG=C.UTF-8 TERM=xterm mutt -n -F '$T/muttrc' -f '$md'; sleep 30"
i=0
while [ $i -lt 50 ]; do
	tmux -S "$sock" capture-pane -p > "$T/screen" 2>/dev/null || true
	grep -q "Msgs:3" "$T/screen" && break
	sleep 0.2
	i=$((i + 1))
done
tmux -S "$sock" send-keys q 2>/dev/null || true
tmux -S "$sock" kill-server 2>/dev/null || true
grep -q "Msgs:3" "$T/screen" || fail "mutt did not show 3 messages: $(cat "$T/screen")"
"$SPOOL" ls --json "$md" | python3 -c 'import json,sys; [print(r["subject"]) for r in json.load(sys.stdin)]' > "$T/subjects"
while IFS= read -r s; do
	short=$(printf '%s' "$s" | cut -c1-20)
	grep -qF "$short" "$T/screen" || fail "mutt does not show subject '$s': $(cat "$T/screen")"
done < "$T/subjects"
ok "mutt opens the Maildir and shows the same subjects"
