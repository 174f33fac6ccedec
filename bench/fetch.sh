#!/bin/sh
# Fetch benchmark: `spool fetch` of N messages from a private Dovecot on
# 127.0.0.1 into a fresh Maildir over IMAP, IMAPS, POP3 and POP3S, against
# mbsync (IMAP), mpop (POP3), fetchmail and getmail when installed.  Before
# every run the destination and the client's state are removed, so every
# run is a full first fetch; after it, N messages must be there.  Runs
# alternate between the programs, each round in the same order; the table
# gives medians, min-max, messages per second and peak RSS, then the ratios
# ours/mbsync (IMAP) and ours/mpop (POP3).  Needs root (Dovecot switches to
# the mail user) and dovecot-imapd + dovecot-pop3d.  See bench/README.md.
#
#   bench/fetch.sh                         # 10000 messages, 3 rounds
#   BENCH_N=2000 BENCH_RUNS=5 bench/fetch.sh
#   BENCH_SMOKE=1 bench/fetch.sh           # 200 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_opt N 200 10000
bench_opt RUNS 1 3
bench_opt WARMUP 0 1
SEED=${BENCH_SEED:-7}
TIMEOUT=${BENCH_TIMEOUT:-600}
WORK=${BENCH_WORK:-${TMPDIR:-/tmp}/surel-bench/fetch}
PEERS=${BENCH_PEERS:-"ours-imap mbsync-imap ours-imaps mbsync-imaps ours-pop3 mpop-pop3 ours-pop3s mpop-pop3s
	fetchmail-imap fetchmail-pop3 getmail-imap getmail-pop3"}

bench_builddir spool/spool
bench_prog SPOOL spool/spool
bench_time

echo "# fetch: $(bench_host); load $(bench_load)"

# The private Dovecot of the integration tests (tests/integration/dovecot.sh):
# config, base_dir, log and passwd-file below $RUN, free loopback ports,
# tests/data/tls's localhost certificate, only our master ever stopped.
bench_dovecot

# The server's INBOX: gen-maildir.py's mix (about 19 KB per message on
# average, 5 % with a 40-220 KB attachment), every message moved to cur/
# and marked \Seen (so that no peer changes the server's state and every
# round sees the same mailbox).  Generated once per N, seed and generator
# and kept in $WORK; Dovecot keeps its index files in it.
SRV=$WORK/server-$N
stamp="n=$N seed=$SEED gen=$(cksum < "$HERE/gen-maildir.py" | cut -d' ' -f1)"
if [ "$(cat "$SRV.stamp" 2> /dev/null)" != "$stamp" ]; then
	rm -rf "$SRV" "$SRV.stamp" "$SRV.tmp"
	echo "fetch.sh: generating $N messages in $SRV" >&2
	"$PY" "$HERE/gen-maildir.py" "$SRV.tmp" "$N" --seed "$SEED" &&
		"$PY" - "$SRV.tmp" <<'PY' || fail "generating $N messages failed"
import os, sys
d = sys.argv[1]
for sub in ("new", "cur"):
    for name in os.listdir(os.path.join(d, sub)):
        os.rename(os.path.join(d, sub, name), os.path.join(d, "cur", name.split(":")[0] + ":2,S"))
PY
	chown -R mail:mail "$SRV.tmp" && mv "$SRV.tmp" "$SRV" && echo "$stamp" > "$SRV.stamp" || fail "cannot store $SRV"
fi
DC_MAIL_LOCATION="maildir:$SRV"
DC_MAILDIR=$SRV
DC_PASS=benchpass
dovecot_start localhost
SRV_BYTES=$(find "$SRV/cur" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$(dc_count)" -eq "$N" ] || fail "the server holds $(dc_count) messages, not $N"

DEST=$RUN/dest
STATE=$RUN/state
CA=$DATA/tls/ca.pem

have() {
	case $1 in
	ours-*) return 0 ;;
	mbsync-*) command -v mbsync > /dev/null ;;
	mpop-*) command -v mpop > /dev/null ;;
	fetchmail-*) command -v fetchmail > /dev/null && command -v safecat > /dev/null ;;
	getmail-*) command -v getmail > /dev/null ;;
	esac
}
why_not() {
	case $1 in
	mbsync-*) echo "mbsync not installed (apt-get install isync)" ;;
	mpop-*) echo "mpop not installed (apt-get install mpop)" ;;
	fetchmail-*) echo "fetchmail or safecat (its MDA here) not installed" ;;
	getmail-*) echo "getmail (getmail6) not installed" ;;
	esac
}

port_of() {
	case $1 in
	*-imap) echo "$DC_IMAP" ;;
	*-imaps) echo "$DC_IMAPS" ;;
	*-pop3) echo "$DC_POP3" ;;
	*-pop3s) echo "$DC_POP3S" ;;
	esac
}

# Remove the destination and every bit of client state, then write the
# peer's configuration (untimed).  Echoes the command line for sh -c.
prepare() {
	peer=$1 proto=${1##*-} port=$(port_of "$1")
	rm -rf "$DEST" "$STATE" "$HOME"
	mkdir -p "$DEST" "$STATE" "$HOME" "$XDG_CONFIG_HOME/surel"
	tls=0
	case $proto in *s) tls=1 ;; esac
	case $peer in
	ours-*)
		if [ $tls = 1 ]; then tlsline="tls_ca_file = $CA"; else tlsline="tls = off"; fi
		cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[general]
default_account = b
[account b]
address = $DC_USER@example.test
maildir = $DEST
fetch = $proto://127.0.0.1:$port
user = $DC_USER
password_cmd = printf '%s' '$DC_PASS'
keep = yes
$tlsline
EOF
		chmod 600 "$XDG_CONFIG_HOME/surel/config"
		echo "exec '$SPOOL' fetch"
		;;
	mbsync-*)
		# Defaults otherwise (FSync yes, pipelined UID FETCH BODY.PEEK[]).
		# mbsync matches the host only against the certificate's DNS
		# names (localhost here, not the IP address 127.0.0.1).
		host=127.0.0.1
		if [ $tls = 1 ]; then host=localhost tlsline="SSLType IMAPS
CertificateFile $CA"; else tlsline="SSLType None"; fi
		cat > "$STATE/mbsyncrc" <<EOF
IMAPAccount far
Host $host
Port $port
User $DC_USER
Pass $DC_PASS
$tlsline

IMAPStore far
Account far

MaildirStore near
Path $DEST/
Inbox $DEST/INBOX

Channel bench
Far :far:
Near :near:
Patterns INBOX
Sync Pull
Create Near
SyncState *
EOF
		chmod 600 "$STATE/mbsyncrc"
		echo "exec mbsync -q -c '$STATE/mbsyncrc' bench"
		;;
	mpop-*)
		# Plaintext needs 'auth user': mpop sends no password in clear
		# otherwise.
		if [ $tls = 1 ]; then tlsline="tls on
tls_starttls off
tls_trust_file $CA"; else tlsline="tls off
auth user"; fi
		mkdir -p "$DEST/INBOX/cur" "$DEST/INBOX/new" "$DEST/INBOX/tmp"
		cat > "$STATE/mpoprc" <<EOF
defaults
account default
host 127.0.0.1
port $port
user $DC_USER
password $DC_PASS
$tlsline
delivery maildir $DEST/INBOX
keep on
only_new off
uidls_file $STATE/uidls
EOF
		chmod 600 "$STATE/mpoprc"
		echo "exec mpop -q -C '$STATE/mpoprc'"
		;;
	fetchmail-*)
		# safecat: the qmail Maildir algorithm, fsyncs; one process per
		# message, as fetchmail always runs its MDA.
		if [ $tls = 1 ]; then tlsline="ssl sslcertck sslcertfile '$CA'"; else tlsline="sslproto ''"; fi
		P=IMAP
		case $proto in pop3*) P=POP3 ;; esac
		mkdir -p "$DEST/INBOX/cur" "$DEST/INBOX/new" "$DEST/INBOX/tmp"
		cat > "$STATE/fetchmailrc" <<EOF
set no bouncemail
poll 127.0.0.1 service $port proto $P auth password
  user "$DC_USER" password "$DC_PASS" keep fetchall no rewrite $tlsline
  mda "safecat $DEST/INBOX/tmp $DEST/INBOX/new"
EOF
		chmod 600 "$STATE/fetchmailrc"
		echo "FETCHMAILHOME='$STATE' exec fetchmail -s -f '$STATE/fetchmailrc' -i '$STATE/fetchids' --nosyslog"
		;;
	getmail-*)
		case $proto in
		imap) typ=SimpleIMAPRetriever ;;
		imaps) typ=SimpleIMAPSSLRetriever ;;
		pop3) typ=SimplePOP3Retriever ;;
		pop3s) typ=SimplePOP3SSLRetriever ;;
		esac
		tlsline=
		[ $tls = 1 ] && tlsline="ca_certs = $CA"
		mkdir -p "$DEST/INBOX/cur" "$DEST/INBOX/new" "$DEST/INBOX/tmp"
		cat > "$STATE/getmailrc" <<EOF
[retriever]
type = $typ
server = 127.0.0.1
port = $port
username = $DC_USER
password = $DC_PASS
timeout = 20
$tlsline

[destination]
type = Maildir
path = $DEST/INBOX/

[options]
verbose = 0
read_all = true
delete = false
EOF
		chmod 600 "$STATE/getmailrc"
		echo "exec getmail --getmaildir '$STATE' --rcfile '$STATE/getmailrc'"
		;;
	esac
}

# Messages and bytes that arrived below $DEST (any Maildir in it).
arrived() {
	find "$DEST" -type f \( -path '*/cur/*' -o -path '*/new/*' \) -printf '%s\n' 2> /dev/null |
		awk '{ n++; s += $1 } END { print n + 0, s + 0 }'
}

# One timed run: "N PEER ROUND MICROSECONDS RSS_KB STATUS".
run_one() {
	peer=$1 round=$2
	cmd=$(prepare "$peer")
	sync
	bench_timed "$cmd" > "$RUN/out" 2> "$RUN/err"
	set -- $(arrived)
	status=ok
	if [ "$ex" -ne 0 ]; then
		status=exit-$ex
	elif [ "$1" -ne "$N" ]; then
		status=got-$1-of-$N
	elif [ "$2" -lt "$SRV_BYTES" ]; then
		status=short-$2-of-$SRV_BYTES-bytes
	fi
	[ "$status" = ok ] ||
		echo "fetch.sh: $peer: $status: $(cat "$RUN/err" "$RUN/out" | head -c 300)" >&2
	[ "$round" = warmup ] && return 0
	echo "$N $peer $round $(((t1 - t0) / 1000)) $rss $status" >> "$RAW"
}

echo "# commit $(bench_commit);" \
	"N=$N ($((SRV_BYTES / 1048576)) MiB); $RUNS rounds after $WARMUP warm-up; $(dovecot --version | cut -d' ' -f1) on 127.0.0.1"
command -v mbsync > /dev/null && echo "# $(mbsync -v 2>&1 | head -n 1)"
command -v mpop > /dev/null && echo "# $(mpop --version | head -n 1)"
bench_avail
bench_rounds
rm -rf "$DEST" "$STATE"
echo "# after the runs: load $(bench_load)"

bench_report "$RAW" <<'PY'
for line in open(sys.argv[1]):
    n, peer, rnd, us, rss, st = line.split()
    add(peer, us, rss, st, 1e6, n=int(n))

print()
print("%-16s %6s %5s %9s %17s %8s %8s %5s" % ("peer", "msgs", "runs", "median s", "[min-max]",
      "msgs/s", "peak MB", "fail"))
for p in order:
    r = res[p]
    if not r["t"]:
        print("%-16s %6d %5d %9s %17s %8s %8s %5d" % (p, r["n"], 0, "-", "-", "-", "-", r["bad"]))
        continue
    rs = mrss(p)
    print("%-16s %6d %5d %9.3f %17s %8.0f %8s %5d" % (p, r["n"], len(r["t"]), med(p),
          "[%.3f-%.3f]" % (min(r["t"]), max(r["t"])), r["n"] / med(p),
          "%.1f" % rs if rs is not None else "-", r["bad"]))

lines = []
for proto in ("imap", "imaps", "pop3", "pop3s"):
    ours = "ours-" + proto
    for peer in ("mbsync", "mpop", "fetchmail", "getmail"):
        other = "%s-%s" % (peer, proto)
        if med(ours) and med(other):
            line = "%-11s / %-16s time %6.2fx" % (ours, other, med(ours) / med(other))
            if mrss(ours) and mrss(other):
                line += "   peak RSS %5.2fx" % (mrss(ours) / mrss(other))
            lines.append(line)
if lines:
    print()
    print("ratios of medians (this run; below 1 = ours faster or smaller)")
    print("\n".join(lines))
sys.exit(1 if bad else 0)
PY
