#!/bin/sh
# tests/integration/sync.sh again, against a server that offers neither
# CONDSTORE nor QRESYNC (Dovecot's imap_capability): every run lists the
# flags of whole folders.
SYNC_NO_CONDSTORE=1
. "$(dirname "$0")/sync.sh"
grep -q "CONDSTORE no, QRESYNC no" "$T/err" 2> /dev/null ||
	{ "$SPOOL" -vv sync > /dev/null 2> "$T/err" || true; }
grep -q "CONDSTORE no, QRESYNC no" "$T/err" || fail "the server still offers CONDSTORE: $(head -5 "$T/err")"
ok "the server offered neither CONDSTORE nor QRESYNC"
