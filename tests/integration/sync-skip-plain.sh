#!/bin/sh
# tests/integration/sync-skip.sh again, against a server without CONDSTORE
# and QRESYNC: a folder's server side is then known unchanged only by the
# digest of its whole flag listing, fetched for every folder at once.
SYNC_NO_CONDSTORE=1
. "$(dirname "$0")/sync-skip.sh"
expect_exit 0 "$SPOOL" -vv sync
grep -q "CONDSTORE no, QRESYNC no" "$T/err" || fail "the server still offers CONDSTORE: $(head -5 "$T/err")"
ok "the server offered neither CONDSTORE nor QRESYNC"
