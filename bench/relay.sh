#!/bin/sh
# Relay benchmark: `sendq flush` of N queued messages to Postfix's
# smtp-sink on loopback, against smtp-source (one connection, reused) and,
# when installed, msmtp (one process per message, as msmtp-queue flushes);
# plus the latency of one `sendq -t` enqueue.  Runs alternate between the
# programs, each round in the same order; the table gives medians, min-max
# and messages per second, then the ratios the targets (issue 3) are stated
# in.  See bench/README.md.
#
#   bench/relay.sh                        # 1000 messages, 5 rounds
#   BENCH_N=300 BENCH_RUNS=9 bench/relay.sh
#   BENCH_SMOKE=1 bench/relay.sh          # 50 messages, one round (CI)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

bench_knobs relay 5 1 600
bench_opt N 50 1000
bench_opt SLOW_N 5 50
bench_opt LAT_RUNS 5 30
PEERS=${BENCH_PEERS:-"sendq smtp-source msmtp"}

bench_builddir sendq/sendq
bench_prog SENDQ sendq/sendq
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
[ -x "$SINK" ] || { echo "relay.sh: no smtp-sink (apt-get install postfix, 'No configuration')" >&2; exit 1; }

SINK_PID=
bench_cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2> /dev/null && wait "$SINK_PID" 2> /dev/null
	rm -rf "$RUN"
}
bench_rundir home/.config/surel msgs
MSGS=$RUN/msgs
bench_home

have() {
	case $1 in
	sendq) return 0 ;;
	smtp-source) [ -x "$SOURCE" ] ;;
	msmtp) command -v msmtp > /dev/null ;;
	esac
}

# The messages: 90 % ~2 KB text, every 10th ~50 KB multipart/mixed with a
# base64 attachment (the mix of issue 3); the same bytes for the same N.
"$PY" - "$MSGS" "$N" <<'PY' || { echo "relay.sh: generating messages failed" >&2; exit 1; }
import base64, os, random, sys
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(3)
words = "mail queue relay folder message reply draft signature toolkit session".split()
def text(size):
    lines, cur = [], 0
    while cur < size:
        line = " ".join(rnd.choice(words) for _ in range(11))
        lines.append(line)
        cur += len(line) + 1
    return "\n".join(lines) + "\n"
def msg(i):
    head = ("From: Alice Sender <alice%d@example.org>\nTo: bob%d@example.com\n"
            "Subject: relay bench %06d\nDate: Sat, 01 Jun 2024 00:00:00 +0000\n"
            "Message-ID: <%06d@bench.example>\nMIME-Version: 1.0\n" % (i, i, i, i))
    if i % 10 == 0:
        att = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(27000))).decode()
        return (head + 'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n'
                "Content-Type: text/plain; charset=utf-8\n\n%s\n--b%d\n"
                'Content-Type: application/octet-stream; name="a.bin"\n'
                "Content-Transfer-Encoding: base64\n\n%s\n--b%d--\n"
                % (i, i, text(12000), i, att, i))
    return head + "Content-Type: text/plain; charset=utf-8\n\n" + text(1700)
for i in range(1, n + 1):
    with open(os.path.join(out, "m%06d.eml" % i), "w") as f:
        f.write(msg(i))
for name, i in (("small.eml", 1), ("big.eml", 10)):
    with open(os.path.join(out, name), "w") as f:
        f.write(msg(i))
PY
N_BIG=$((N / 10))
N_SMALL=$((N - N_BIG))

# The sink, on the first free loopback port of a range.
port_free() {
	python3 -c "import socket, sys
try:
    socket.create_connection(('127.0.0.1', $1), 1).close()
except OSError:
    sys.exit(0)
sys.exit(1)"
}
PORT=
for p in $(seq 52800 52899); do
	if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "relay.sh: no free port in 52800-52899" >&2; exit 1; }
uopt=
[ "$(id -u)" = 0 ] && uopt="-u nobody"
# shellcheck disable=SC2086
"$SINK" $uopt "127.0.0.1:$PORT" 1024 > /dev/null 2>&1 &
SINK_PID=$!
i=0
while port_free "$PORT"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "relay.sh: smtp-sink did not start" >&2; exit 1; }
	sleep 0.05
done

MAILDIR=$RUN/home/Mail
printf '[general]\ndefault_account = b\n[account b]\naddress = bench@example.org\nmaildir = %s\nsmtp = smtp://127.0.0.1:%s\ntls = off\n' \
	"$MAILDIR" "$PORT" > "$XDG_CONFIG_HOME/surel/config"
chmod 600 "$XDG_CONFIG_HOME/surel/config"
printf 'defaults\nauth off\ntls off\naccount default\nhost 127.0.0.1\nport %s\nfrom bench@example.org\n' \
	"$PORT" > "$RUN/msmtprc"
chmod 600 "$RUN/msmtprc"
Q=$XDG_DATA_HOME/surel/queue

count() { if [ -d "$1" ]; then ls "$1" | wc -l; else echo 0; fi; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }

# One timed run of a peer: "N PEER ROUND MICROSECONDS MESSAGES STATUS".
run_one() {
	peer=$1 round=$2 status=ok msgs=$N
	case $peer in
	sendq)
		# Queue N messages (untimed), then time the flush.
		for f in "$MSGS"/m*.eml; do
			"$SENDQ" -t < "$f" || status=enqueue-failed
		done
		sent0=$(count "$MAILDIR/Sent/cur")
		t0=$(now_us)
		timeout "$TIMEOUT" "$SENDQ" flush 2> "$RUN/err" || status=exit-$?
		t1=$(now_us)
		[ "$(count "$Q/env")" -eq 0 ] || status=queue-not-empty
		[ $(($(count "$MAILDIR/Sent/cur") - sent0)) -eq "$N" ] || status=sent-copies-missing
		;;
	smtp-source)
		t0=$(now_us)
		timeout "$TIMEOUT" "$SOURCE" -d -s1 -m "$N_SMALL" -f a@example.org -t b@example.com \
			-F "$MSGS/small.eml" "127.0.0.1:$PORT" &&
			timeout "$TIMEOUT" "$SOURCE" -d -s1 -m "$N_BIG" -f a@example.org -t b@example.com \
				-F "$MSGS/big.eml" "127.0.0.1:$PORT" || status=exit-$?
		t1=$(now_us)
		;;
	msmtp)
		# One process per message, as msmtp-queue flushes its queue;
		# slow (Nagle's algorithm, see bench/README.md), so only
		# SLOW_N messages.
		msgs=$SLOW_N
		t0=$(now_us)
		for f in $(ls "$MSGS"/m*.eml | head -n "$SLOW_N"); do
			timeout "$TIMEOUT" msmtp -C "$RUN/msmtprc" -t < "$f" 2> "$RUN/err" || status=exit-$?
		done
		t1=$(now_us)
		;;
	esac
	bench_record "$round" "$peer" "$N $peer $round $((t1 - t0)) $msgs $status"
}

echo "# relay: $(bench_host); load $(bench_load)"
echo "# commit $(bench_commit);" \
	"N=$N ($N_SMALL small, $N_BIG big); $RUNS rounds after $WARMUP warm-up; msmtp: $SLOW_N messages"
bench_avail
bench_rounds

# Enqueue latency: one ~2 KB message, LAT_RUNS times.
: > "$RUN/lat"
i=0
while [ "$i" -lt "$LAT_RUNS" ]; do
	i=$((i + 1))
	t0=$(now_us)
	"$SENDQ" -t < "$MSGS/m000001.eml" || echo "relay.sh: enqueue failed" >&2
	t1=$(now_us)
	echo $((t1 - t0)) >> "$RUN/lat"
done
"$SENDQ" flush > /dev/null 2>&1

bench_report "$RAW" "$RUN/lat" <<'PY'
rates = {}
for line in open(sys.argv[1]):
    n, peer, rnd, us, msgs, st = line.split()
    add(peer, us, -1, st, 1e6)
    if st == "ok":
        rates.setdefault(peer, []).append(int(msgs) / (int(us) / 1e6))

def rate(p):
    return statistics.median(rates[p]) if p in rates else None

print("%-12s %10s %19s %10s %s" % ("peer", "median s", "min-max s", "msg/s", "failed"))
for peer in order:
    r = res[peer]
    if not r["t"]:
        print("%-12s %10s %19s %10s %d" % (peer, "-", "-", "-", r["bad"]))
        continue
    print("%-12s %10.3f %9.3f-%-9.3f %10.0f %d" % (peer, med(peer), min(r["t"]), max(r["t"]),
          rate(peer), r["bad"]))
lat = [int(l) / 1000 for l in open(sys.argv[2]) if l.strip()]
if lat:
    print("%-12s %10.2f ms median, %.2f-%.2f ms (%d runs, ~2 KB, sendq -t)"
          % ("enqueue", statistics.median(lat), min(lat), max(lat), len(lat)))

s = rate("sendq")
for peer, target in (("smtp-source", ">= 0.5"), ("msmtp", "far above 1")):
    if s and rate(peer):
        print("ratio sendq / %-12s %6.2f   (target %s)" % (peer, s / rate(peer), target))
sys.exit(1 if bad else 0)
PY
