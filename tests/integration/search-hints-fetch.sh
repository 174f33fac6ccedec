#!/bin/sh
# The search index kept current by spool fetch, spool sync and spool
# watch --all against a private Dovecot: once the account has an index,
# what they store, and what another program drops into a folder watch
# --all watches, is indexed by the background indexer they start, as
# `spool search --no-refresh` (which never refreshes itself) shows.
. "$(dirname "$0")/sync-lib.sh"

WPID=
trap '[ -z "$WPID" ] || kill "$WPID" 2> /dev/null || true; dovecot_stop; scratch_remove' EXIT INT TERM
export SPOOL_POLL_SECONDS=600

dc_put 5
config "$T/f" "imap://127.0.0.1:$DC_IMAP"
"$SPOOL" index > /dev/null
expect_exit 0 "$SPOOL" fetch
search_wait 'subject:message' 5 "first fetch"
dc_put 2
expect_exit 0 "$SPOOL" fetch
search_wait 'subject:message' 7 "second fetch"
ok "spool fetch: each fetched batch is indexed in the background"

config "$M" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem"
"$SPOOL" index > /dev/null
expect_exit 0 "$SPOOL" sync
search_wait 'subject:message' 7 "sync"
dc_put 1
expect_exit 0 "$SPOOL" sync
search_wait 'subject:message' 8 "second sync"
ok "spool sync: what a run stores is indexed in the background"

# Another program (mutt, a script) drops a message into a watched folder.
start_watch
i=0
until grep -q 'waiting with' "$T/watch.err"; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "watch --all did not start: $(cat "$T/watch.err")"
	sleep 0.1
done
printf 'From: Me <me@example.test>\nSubject: written here\n\nmarmot\n' > "$M/INBOX/tmp/local.1"
mv "$M/INBOX/tmp/local.1" "$M/INBOX/new/1796000000.local1.host"
search_wait marmot 1 "watch --all"
stop_watch
ok "spool watch --all: a file another program wrote is indexed in the background"
