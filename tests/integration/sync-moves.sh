#!/bin/sh
# Moves between synced folders against a real Dovecot, both ways: a move
# as mutt makes it (a copy under a new name, the old file unlinked) is a
# move on the server, not an APPEND (the message keeps the server's
# internal date, where an upload would take the file's); a move by
# another client (imaplib's UID MOVE) is a rename here, not a download
# (the same inode).  sync-moves-nomove.sh runs it again against a server
# without MOVE (UID COPY + UID EXPUNGE then).
. "$(dirname "$0")/sync-lib.sh"

# imap COMMAND ARGS: the independent client.
imap() {
	python3 - "$DC_IMAP" "$DC_USER" "$DC_PASS" "$@" <<'PY'
import imaplib, re, sys
port, user, pw, cmd = sys.argv[1:5]
m = imaplib.IMAP4("127.0.0.1", int(port))
m.login(user, pw)
caps = [c.decode() if isinstance(c, bytes) else c for c in m.capabilities]
if cmd == "caps":
    print(" ".join(caps))
elif cmd == "move":
    # move FROM TO MSGID
    m.select(sys.argv[5])
    typ, data = m.uid("SEARCH", "HEADER", "Message-ID", sys.argv[7])
    uids = data[0].split()
    assert len(uids) == 1, (sys.argv[7], data)
    if "MOVE" in caps:
        typ, _ = m.uid("MOVE", uids[0], sys.argv[6])
    else:
        typ, _ = m.uid("COPY", uids[0], sys.argv[6])
        m.uid("STORE", uids[0], "+FLAGS.SILENT", "(\\Deleted)")
        m.uid("EXPUNGE", uids[0])
    assert typ == "OK", typ
elif cmd == "date":
    # date FOLDER MSGID: the year of its internal date
    m.select(sys.argv[5])
    typ, data = m.uid("SEARCH", "HEADER", "Message-ID", sys.argv[6])
    uids = data[0].split()
    assert len(uids) == 1, (sys.argv[6], data)
    typ, data = m.uid("FETCH", uids[0], "(INTERNALDATE)")
    print(re.search(rb'INTERNALDATE "\d+-\w+-(\d{4})', data[0]).group(1).decode())
m.logout()
PY
}

msgid() {
	sed -n 's/^Message-ID: <\(.*\)>$/\1/p' "$1" | head -n 1
}

peer create Archiv
peer append INBOX 6 S
expect_exit 0 "$SPOOL" sync
agree "first sync"

# --- a move as mutt makes it -------------------------------------------------
f=$(ls "$M"/INBOX/cur/* | head -n 1)
id=$(msgid "$f")
[ -n "$id" ] || fail "no Message-ID in $f"
new="1700000000.M1P1.mutt:2,FS"
cp "$f" "$M/Archiv/tmp/x"
# An upload would take this as the internal date.
touch -d 2001-02-03 "$M/Archiv/tmp/x"
mv "$M/Archiv/tmp/x" "$M/Archiv/cur/$new"
rm "$f"
expect_exit 0 "$SPOOL" -v sync --json
json_is "mutt-style move" moved=1 pushed=0 removed_remote=0 pulled=0 removed_local=0
agree "after a mutt-style move"
[ "$(imap date Archiv "<$id>")" != 2001 ] || fail "the message was uploaded, not moved"
[ "$(peer count INBOX)" -eq 5 ] || fail "INBOX on the server: $(peer count INBOX)"
ok "a move under a new name is a move on the server (no APPEND), flags kept"

# --- a move by another client on the server --------------------------------
f=$(ls "$M"/INBOX/cur/* | head -n 1)
id=$(msgid "$f")
ino=$(stat -c %i "$f")
imap move INBOX Archiv "<$id>"
expect_exit 0 "$SPOOL" -v sync --json
json_is "server move" moved=1 pulled=0 pushed=0 removed_local=0 removed_remote=0
agree "after a move on the server"
g=$(grep -l "^Message-ID: <$id>" "$M"/Archiv/cur/* "$M"/Archiv/new/* 2> /dev/null || true)
[ -n "$g" ] || fail "the moved message is not in Archiv here"
[ "$(stat -c %i "$g")" = "$ino" ] || fail "the moved message was downloaded again, not renamed"
ok "a move by another client is a rename here (same inode), nothing downloaded"

# --- both at once, and two candidates alike --------------------------------------
f=$(ls "$M"/INBOX/cur/* | head -n 1)
imap move INBOX Archiv "<$(msgid "$f")>"
f=$(ls "$M"/INBOX/cur/* | tail -n 1)
cp "$f" "$M/Archiv/tmp/y"
mv "$M/Archiv/tmp/y" "$M/Archiv/new/1700000000.M2P1.mutt"
# Another one of the same size and Message-ID, changed in one letter.
sed 's/^line 0 of/LINE 0 of/' "$f" > "$M/Archiv/tmp/y"
cmp -s "$f" "$M/Archiv/tmp/y" && fail "no line to change in $f"
mv "$M/Archiv/tmp/y" "$M/Archiv/new/1700000000.M3P1.mutt"
rm "$f"
expect_exit 0 "$SPOOL" sync --json
json_is "ambiguous" moved=1 pulled=0 pushed=2 removed_remote=1
agree "after a move on the server and two copies here"
expect_exit 0 "$SPOOL" sync --json
json_is "ambiguous" moved=0 pulled=0 pushed=0 removed_local=0 removed_remote=0 flags_local=0 flags_remote=0
ok "two files of the same size and Message-ID are uploaded, not taken for a move; a second run changes nothing"

# --- the same move on both sides (as a run killed after its rename leaves
# it): the UID MOVE of a message already gone moves nothing, no copy ------
f=$(ls "$M"/INBOX/cur/* | head -n 1)
imap move INBOX Archiv "<$(msgid "$f")>"
mv "$f" "$M/Archiv/cur/"
expect_exit 0 "$SPOOL" sync
agree "after the same move on both sides"
expect_exit 0 "$SPOOL" sync --json
json_is "after the same move" pulled=0 pushed=0 removed_local=0 removed_remote=0
ok "the same move made on both sides leaves one copy on each"
