#!/bin/sh
# Enqueue benchmark: the latency of handing one ~2 KB message to the
# outgoing queue with `sendq -t` (returns once the body, the envelope and
# their directories are fsync'd), against the queueing front ends that are
# installed: Postfix's sendmail (postdrop into a private queue directory),
# msmtpq and msmtp-enqueue.sh (msmtp's queue scripts), nullmailer-inject
# and dma -t (system MTAs: only with BENCH_SYSTEM_MTA=1, see README).
# Runs alternate between the programs, each round in the same order; the
# table gives medians, min-max and peak RSS, then the ratio to each peer.
# See bench/README.md.
#
#   bench/enqueue.sh                       # 30 rounds after 1 warm-up
#   BENCH_RUNS=100 bench/enqueue.sh
#   BENCH_SMOKE=1 bench/enqueue.sh         # one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_knobs enqueue 30 1 60
PEERS=${BENCH_PEERS:-"baseline sendq postfix-sendmail msmtpq msmtp-enqueue nullmailer-inject dma"}
MSMTPQ_DIR=${MSMTPQ_DIR:-/usr/libexec/msmtp/msmtpq}
MSMTP_ENQUEUE=${MSMTP_ENQUEUE:-/usr/libexec/msmtp/msmtpqueue/msmtp-enqueue.sh}

bench_builddir sendq/sendq
bench_prog SENDQ sendq/sendq
PF_SENDMAIL=/usr/sbin/sendmail
bench_time

bench_rundir home/.config/surel
# A private home: sendq's queue is $XDG_DATA_HOME/surel/queue below the
# work directory, never the user's.
bench_home

# The message: ~2 KB text/plain with To: for -t, the small message of
# relay.sh (the same bytes every time).
MSG=$RUN/msg.eml
"$PY" - "$MSG" <<'PY' || { echo "enqueue.sh: generating the message failed" >&2; exit 1; }
import random, sys
rnd = random.Random(3)
words = "mail queue relay folder message reply draft signature toolkit session".split()
lines, cur = [], 0
while cur < 1700:
    line = " ".join(rnd.choice(words) for _ in range(11))
    lines.append(line)
    cur += len(line) + 1
with open(sys.argv[1], "w") as f:
    f.write("From: Alice Sender <alice1@example.org>\nTo: bob1@example.com\n"
            "Subject: enqueue bench\nDate: Sat, 01 Jun 2024 00:00:00 +0000\n"
            "Message-ID: <000001@bench.example>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\n\n" + "\n".join(lines) + "\n")
PY

# A loopback port nobody listens on: the smarthost of every peer is
# "down", so nothing is sent anywhere and everything stays queued.
DOWN=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
printf '[general]\ndefault_account = b\n[account b]\naddress = alice1@example.org\nmaildir = %s\nsmtp = smtp://127.0.0.1:%s\ntls = off\n' \
	"$RUN/home/Mail" "$DOWN" > "$XDG_CONFIG_HOME/surel/config"
chmod 600 "$XDG_CONFIG_HOME/surel/config"
printf 'defaults\nauth off\ntls off\naccount default\nhost 127.0.0.1\nport %s\nfrom alice1@example.org\n' \
	"$DOWN" > "$RUN/msmtprc"
chmod 600 "$RUN/msmtprc"
Q=$XDG_DATA_HOME/surel/queue
MQ=$RUN/msmtpq.queue

# A private Postfix queue directory for its sendmail/postdrop (no master:
# postdrop writes the file, fsyncs it and warns that pickup is not there).
PF=$RUN/postfix
postfix_setup() {
	[ -x "$PF_SENDMAIL" ] && [ -x /usr/sbin/postdrop ] && [ "$(id -u)" = 0 ] &&
		id postfix > /dev/null 2>&1 && getent group postdrop > /dev/null || return 1
	mkdir -p "$PF/etc" "$PF/queue" "$PF/data" || return 1
	d=$PF
	while [ "$d" != / ]; do
		chmod o+x "$d" 2> /dev/null
		d=$(dirname "$d")
	done
	cat > "$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
maillog_file_prefixes = $PF
maillog_file = $PF/maillog
EOF
	cp /usr/share/postfix/master.cf.dist "$PF/etc/master.cf" 2> /dev/null || : > "$PF/etc/master.cf"
	# Postfix waits (up to 2 s) for a main.cf younger than 2 s to settle.
	touch -d '-1 hour' "$PF/etc/main.cf" "$PF/etc/master.cf"
	install -d -o postfix -g postdrop -m 730 "$PF/queue/maildrop" &&
		install -d -o postfix -g postdrop -m 710 "$PF/queue/public"
}

have() {
	case $1 in
	baseline | sendq) return 0 ;;
	postfix-sendmail) postfix_setup ;;
	msmtpq) [ -x "$MSMTPQ_DIR/msmtpq" ] && command -v msmtp > /dev/null && command -v bash > /dev/null ;;
	msmtp-enqueue) [ -x "$MSMTP_ENQUEUE" ] ;;
	nullmailer-inject) command -v nullmailer-inject > /dev/null && [ "${BENCH_SYSTEM_MTA:-0}" = 1 ] ;;
	dma) command -v dma > /dev/null && [ "${BENCH_SYSTEM_MTA:-0}" = 1 ] ;;
	esac
}
why_not() {
	case $1 in
	postfix-sendmail) echo "needs root, /usr/sbin/sendmail and postdrop from Postfix" ;;
	msmtpq) echo "$MSMTPQ_DIR/msmtpq (msmtp package) or bash missing" ;;
	msmtp-enqueue) echo "$MSMTP_ENQUEUE (msmtp package) missing" ;;
	nullmailer-inject | dma)
		if command -v "${1%-inject}" > /dev/null || command -v "$1" > /dev/null; then
			echo "installed, but it queues into the system's spool: set BENCH_SYSTEM_MTA=1 to measure it"
		else
			echo "not installed (a system MTA: not installed by scripts/deps)"
		fi ;;
	*) echo "not installed" ;;
	esac
}

# Queued messages of a peer, to check that each run added one.
queued() {
	case $1 in
	sendq) ls "$Q/env" 2> /dev/null | wc -l ;;
	postfix-sendmail) ls "$PF/queue/maildrop" | wc -l ;;
	msmtpq) ls "$MQ" 2> /dev/null | grep -c '\.mail$' ;;
	msmtp-enqueue) ls "$HOME/.msmtpqueue" 2> /dev/null | grep -c '\.mail$' ;;
	*) echo 0 ;;
	esac
}

# The command line (for sh -c) of one peer; the message is on stdin.
command_of() {
	case $1 in
	baseline) echo "exec cat > /dev/null" ;;
	sendq) echo "exec '$SENDQ' -t" ;;
	postfix-sendmail) echo "exec '$PF_SENDMAIL' -C '$PF/etc' -t -i" ;;
	# EMAIL_CONN_TEST=x: no ping/nc test (it would leave loopback); msmtp
	# is refused at once by the closed port and msmtpq keeps the mail.
	msmtpq) echo "MSMTPQ_Q='$MQ' MSMTPQ_LOG='$RUN/msmtpq.log' EMAIL_CONN_TEST=x EMAIL_QUEUE_QUIET=t exec '$MSMTPQ_DIR/msmtpq' -C '$RUN/msmtprc' -t" ;;
	msmtp-enqueue) echo "exec '$MSMTP_ENQUEUE' -C '$RUN/msmtprc' -t" ;;
	nullmailer-inject) echo "exec nullmailer-inject" ;;
	dma) echo "exec dma -t" ;;
	esac
}

# One timed run: "PEER ROUND MICROSECONDS RSS_KB STATUS".  The wall time
# includes starting sh, /usr/bin/time and timeout, the same for every
# peer: the baseline row (cat) shows how much that is.
run_one() {
	peer=$1 round=$2 status=ok
	cmd=$(command_of "$peer")
	before=$(queued "$peer")
	bench_timed -T "$cmd" < "$MSG" > /dev/null 2> "$RUN/err"
	if [ "$ex" -ne 0 ]; then
		status=exit-$ex
	else
		case $peer in
		baseline | nullmailer-inject | dma) ;;
		*) [ "$(queued "$peer")" -eq $((before + 1)) ] || status=not-queued ;;
		esac
	fi
	bench_record "$round" "$peer" "$peer $round $(((t1 - t0) / 1000)) $rss $status"
}

echo "# enqueue: $(bench_host); load $(bench_load)"
echo "# commit $(bench_commit);" \
	"one $(wc -c < "$MSG")-byte message per run; $RUNS rounds after $WARMUP warm-up;" \
	"work dir $(df -PT "$WORK" 2> /dev/null | awk 'NR == 2 { print $2 }')"
bench_avail
bench_rounds
echo "# after the runs: load $(bench_load)"

bench_report "$RAW" <<'PY'
for line in open(sys.argv[1]):
    peer, rnd, us, rss, st = line.split()
    add(peer, us, rss, st, 1000)

base = med("baseline")
print()
print("%-18s %5s %10s %17s %10s %8s %5s" % ("peer", "runs", "median ms", "[min-max]", "net ms", "peak MB", "fail"))
for p in order:
    r = res[p]
    if not r["t"]:
        print("%-18s %5d %10s %17s %10s %8s %5d" % (p, 0, "-", "-", "-", "-", r["bad"]))
        continue
    rss = mrss(p)
    net = "%.2f" % (med(p) - base) if base is not None and p != "baseline" else "-"
    print("%-18s %5d %10.2f %17s %10s %8s %5d" % (p, len(r["t"]), med(p),
          "[%.2f-%.2f]" % (min(r["t"]), max(r["t"])), net,
          "%.1f" % rss if rss is not None else "-", r["bad"]))

s = med("sendq")
lines = []
for p in order:
    if p in ("sendq", "baseline") or not s or not med(p):
        continue
    line = "sendq / %-18s %6.2fx" % (p, s / med(p))
    if base is not None and med(p) > base and s > base:
        line += "   net of the baseline: %.2fx" % ((s - base) / (med(p) - base))
    lines.append(line)
if lines:
    print()
    print("ratios of wall-time medians (this run; below 1 = sendq faster)")
    print("\n".join(lines))
sys.exit(1 if bad else 0)
PY
