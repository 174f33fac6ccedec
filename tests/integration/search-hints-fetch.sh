#!/bin/sh
# The search index kept current by spool fetch and spool sync against a
# private Dovecot: once the account has an index, what they store is
# indexed by the background indexer they start, as `spool search
# --no-refresh` (which never refreshes itself) shows.
. "$(dirname "$0")/sync-lib.sh"

hits() {
	"$SPOOL" search --no-refresh --limit 0 "$1" 2> /dev/null | wc -l
}

wait_found() {
	i=0
	while [ "$(hits "$1")" -ne "$2" ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$3: $(hits "$1") of $2 found after 30 s"
		sleep 0.1
	done
}

dc_put 5
config "$T/f" "imap://127.0.0.1:$DC_IMAP"
"$SPOOL" index > /dev/null
expect_exit 0 "$SPOOL" fetch
wait_found 'subject:message' 5 "first fetch"
dc_put 2
expect_exit 0 "$SPOOL" fetch
wait_found 'subject:message' 7 "second fetch"
ok "spool fetch: each fetched batch is indexed in the background"

config "$M" "imap://127.0.0.1:$DC_IMAP" "tls_ca_file = $DATA/tls/ca.pem"
"$SPOOL" index > /dev/null
expect_exit 0 "$SPOOL" sync
wait_found 'subject:message' 7 "sync"
dc_put 1
expect_exit 0 "$SPOOL" sync
wait_found 'subject:message' 8 "second sync"
ok "spool sync: what a run stores is indexed in the background"
