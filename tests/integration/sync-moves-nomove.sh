#!/bin/sh
# tests/integration/sync-moves.sh against a server without MOVE (RFC 6851)
# nor CONDSTORE, but with UIDPLUS: a local move is UID COPY, UID STORE \Deleted and UID
# EXPUNGE, still no APPEND.
SYNC_NO_CONDSTORE=1
SYNC_IMAP_CAPS="IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE CHILDREN UNSELECT UIDPLUS SPECIAL-USE"
. "$(dirname "$0")/sync-moves.sh"
case " $(imap caps) " in
*" MOVE "*) fail "the server still offers MOVE" ;;
esac
ok "the server offered no MOVE"
