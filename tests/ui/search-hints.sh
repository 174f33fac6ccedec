#!/bin/sh
# surel's moves and deletions keep the account's search index current:
# after s (move) and an expunge to the trash, `spool search --no-refresh`
# (which never refreshes itself) finds each message in its new folder,
# indexed by the background indexer surel started (lib/idxhint.h); X
# (search-all) and ~b refresh under that indexer's lock.
. "$(dirname "$0")/lib.sh"

# surel finds spool beside itself when installed; here on $PATH.
PATH="$top_builddir/spool:$PATH"
export PATH
mkdir -p "$XDG_CONFIG_HOME/surel"
cat > "$XDG_CONFIG_HOME/surel/config" <<CFG
[account home]
address = ana@home.test
maildir = $T/Mail
CFG
put() {
	printf 'From: %s <%s@example.test>\nTo: ana@home.test\nDate: Mon, %s Nov 2026 10:00:00 +0000\nSubject: %s\n\n%s\n' \
		"$2" "$2" "$3" "$4" "$5" | "$SPOOL" deliver "$1"
}

# indexer_done WHO: the status of the background indexer of $db says it
# ended, at most 30 s.  mark_served WHAT: the mark left during WHAT is
# gone (the indexer it started took it), at most 30 s.
indexer_done() {
	i=0
	until grep -q '^pid 0$' "${db%.db}.lock" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$1 still runs after 30 s"
		sleep 0.1
	done
}

mark_served() {
	i=0
	while [ -e "${db%.db}.again" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "the mark left during $1 is still there after 30 s: $(cat "${db%.db}.lock")"
		sleep 0.1
	done
}

put INBOX Rina 10 'move me' 'an ocelot'
put INBOX Budi 11 'delete me' 'a lemur'
put Archive Sari 12 'archived' 'old'
"$SPOOL" index > /dev/null

ui_start
wait_for 'surel: INBOX \[Msgs:2' "INBOX"
keys '/' 'move me' Enter
keys s
wait_for 'Move to folder:'
keys 'Archive' Enter
wait_for 'moved to Archive' "the move"
search_wait 'ocelot folder:Archive' 1 "moved message in its new folder"
search_wait 'ocelot folder:INBOX' 0 "moved message gone from INBOX"
ok "s: the moved message is indexed in its new folder"

keys '/' 'delete me' Enter
keys d
wait_for 'Del:1'
keys '$'
wait_for 'moved to the trash' "expunge"
search_wait 'lemur folder:Trash' 1 "deleted message in the trash"
search_wait 'lemur folder:INBOX' 0 "deleted message gone from INBOX"
ok "an expunge to the trash is indexed"

# X refreshes under the indexer's lock, as spool search does: a writer's
# mark left meanwhile (made here by hand) is served by the indexer surel
# starts when it lets go of the lock.
put INBOX Eko 13 'late one' 'a kiwi'
db=$(ls "$XDG_CACHE_HOME"/surel/search/*.db)
indexer_done "the delivery's indexer"
: > "${db%.db}.again"
keys X
wait_for 'Search all folders:' "the search-all prompt"
keys 'kiwi' Enter
wait_for 'search: kiwi \[Msgs:1' "X finds the new message"
mark_served "X's refresh"
ok "X's refresh holds the indexer's lock and starts it for a mark"

# So does ~b's.
keys c
wait_for '^Open folder:'
keys INBOX Enter
wait_for 'surel: INBOX'
indexer_done "X's indexer"
: > "${db%.db}.again"
keys l '~b kiwi' Enter
wait_for 'Shown:1\]' "~b finds the new message"
mark_served "~b's refresh"
ok "~b's refresh holds the indexer's lock and starts it for a mark"
