#!/bin/sh
# tests/integration/sync-skip.sh against a server without CONDSTORE but
# with ESEARCH (RFC 4731): the peek then learns a folder's flags from six
# UID SEARCH RETURN (ALL) answers instead of a FETCH of every message.
SYNC_NO_CONDSTORE=1
SYNC_IMAP_CAPS="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE CHILDREN UNSELECT UIDPLUS MOVE SPECIAL-USE ESEARCH"
. "$(dirname "$0")/sync-skip.sh"
expect_exit 0 "$SPOOL" -vv sync
grep -q "CONDSTORE no, QRESYNC no" "$T/err" || fail "the server still offers CONDSTORE: $(head -5 "$T/err")"
ok "the server offered ESEARCH but neither CONDSTORE nor QRESYNC"
