# Shared by the oauth2*.sh tests: the scripted authorization server
# (tests/peer/oauth2-peer.py), a Dovecot that checks bearer tokens against
# it, and the test's hands and eyes.  Source it after lib.sh.
#
#   op_start ARGS...        start oauth2-peer.py ARGS on a free port: $OP_PORT,
#                           $OP_URL (https://localhost:PORT), its state in
#                           $OP_STATE, its log in $OP_LOG (both new)
#   op_stop                 stop it (by the pid op_start got); the test's
#                           EXIT trap calls it, and sp_stop, dovecot_stop
#   dc_oauth2_start         dovecot_start (dovecot.sh, sourced before this) with
#                           the oauth2 passdb asking the peer; refusals come
#                           at once, with no growing penalty for 127.0.0.1
#   op_control K=V...       POST /control (action=revoke, expire, ...)
#   op_state EXPR           a value of the peer's state, a Python expression
#                           over s (the JSON): op_state 's["latest_refresh"]'
#   op_count NAME           one counter of the state (0 when absent)
#   op_device_token         sign in by the device flow without surel (the peer
#                           must run with --auto-approve); prints the access
#                           token
#   sasl_login PROTO PORT USER TOKEN MECH
#                           log in to IMAP or POP3 (plain text) with SASL MECH
#                           (XOAUTH2 or OAUTHBEARER); 0 when the server said
#                           yes, 1 when no, 2 on anything else
#   browse URL              play the user's browser: GET URL (the peer's
#                           /authorize), follow its redirect to the client's
#                           loopback listener; prints the listener's status
#   no_token FILE|DIR...    fail if any token the peer issued (or a base64
#                           SASL string carrying one) is in them; so are the
#                           blank-separated words of $NO_TOKEN_EXTRA (a
#                           shell variable: exported, it would be in the
#                           environment of the processes under test)
#   proc_tree PID           PID and its descendants, found through
#                           /proc/PID/task/*/children (never by name)
#   op_get PATH             GET https://localhost:$OP_PORT/PATH; prints the status
#   wait_for FILE REGEX     wait (at most 20 s) until FILE has a line matching
#                           the extended REGEX
#   oauth2_config MAILDIR FETCH [SMTP]
#                           the one account 'o' in $XDG_CONFIG_HOME/surel/config:
#                           auth = oauth2 with the peer as a custom provider
#                           ($OP_CONFIG_EXTRA: more lines for it,
#                           $OP_GENERAL_EXTRA: for [general]); its token
#                           store is $STORE
#   sp_start ARGS...        tests/peer/smtp-peer.py with STARTTLS (required)
#                           and --oauth2 checking tokens against the peer for
#                           user fetchuser, a fresh spool $T/smtp and log
#                           $T/smtp.log; $SP_PORT
#   sp_stop                 stop it
#   sign_in                 spool auth --device against a peer run with
#                           --auto-approve; fails the test unless it worked
#   store_refresh           the refresh token in $STORE (its "refresh_token"
#                           line; empty when none)
command -v python3 > /dev/null || skip "python3 is needed for the oauth2 peer"
OP_PEER="$top_srcdir/tests/peer/oauth2-peer.py"
OP_CA="$DATA/tls/ca.pem"
OP_STATE="$T/op/state.json"
OP_LOG="$T/op/log"
OP_CLIENT=surel-test-client
STORE="$XDG_STATE_HOME/surel/oauth2/o"
op_pid=""
sp_pid=""

op_start() {
	op_stop
	rm -rf "$T/op"
	mkdir -p "$T/op"
	python3 "$OP_PEER" --state "$OP_STATE" --log "$OP_LOG" --port-file "$T/op/port" \
		--client-id "$OP_CLIENT" "$@" &
	op_pid=$!
	wait_file "$T/op/port" "oauth2-peer.py did not start"
	OP_PORT=$(cat "$T/op/port")
	OP_URL="https://localhost:$OP_PORT"
}

op_stop() {
	if [ -n "$op_pid" ]; then
		kill "$op_pid" 2> /dev/null || true
		wait "$op_pid" 2> /dev/null || true
		op_pid=""
	fi
}

dc_oauth2_start() {
	DC_OAUTH2_URL="$OP_URL/introspect"
	DC_EXTRA="${DC_EXTRA:-}
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}"
	dovecot_start
}

op_control() {
	python3 - "$OP_PORT" "$OP_CA" "$@" <<'EOF'
import http.client, ssl, sys, urllib.parse
port, ca, kv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
body = urllib.parse.urlencode([tuple(a.split("=", 1)) for a in kv])
c = http.client.HTTPSConnection("localhost", port, timeout=10,
                                context=ssl.create_default_context(cafile=ca))
c.request("POST", "/control", body, {"Content-Type": "application/x-www-form-urlencoded"})
r = c.getresponse()
sys.exit(0 if r.status == 200 else 1)
EOF
}

op_state() {
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$OP_STATE" "$1"
}

op_count() {
	op_state "s[\"counts\"].get(\"$1\", 0)"
}

op_device_token() {
	python3 - "$OP_PORT" "$OP_CA" "$OP_CLIENT" <<'EOF'
import http.client, json, ssl, sys, time, urllib.parse
port, ca, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
def post(path, **form):
    c = http.client.HTTPSConnection("localhost", port, timeout=10, context=ctx)
    c.request("POST", path, urllib.parse.urlencode(form),
              {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    return r.status, json.loads(r.read())
_, d = post("/device", client_id=cid, scope="mail")
for _ in range(30):
    time.sleep(d["interval"])
    st, t = post("/token", grant_type="urn:ietf:params:oauth:grant-type:device_code",
                 device_code=d["device_code"], client_id=cid)
    if st == 200:
        print(t["access_token"])
        sys.exit(0)
    if t["error"] == "slow_down":
        d["interval"] += 5
    elif t["error"] != "authorization_pending":
        sys.exit("device flow: " + t["error"])
sys.exit("device flow: no token")
EOF
}

sasl_login() {
	python3 - "$@" <<'EOF'
import base64, socket, sys
proto, port, user, token, mech = sys.argv[1:6]
if mech == "XOAUTH2":
    ir = "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
else:
    ir = "n,a=%s,\x01auth=Bearer %s\x01\x01" % (user, token)
ir = base64.b64encode(ir.encode()).decode()
s = socket.create_connection(("127.0.0.1", int(port)), 10)
f = s.makefile("rwb")
def line():
    ln = f.readline(65536)
    if not ln:
        sys.exit(2)
    return ln.decode("utf-8", "replace").rstrip("\r\n")
def send(text):
    f.write(text.encode() + b"\r\n")
    f.flush()
line()
if proto == "imap":
    send("a AUTHENTICATE %s %s" % (mech, ir))
    for _ in range(100):
        ln = line()
        if ln.startswith("+"):
            # The error challenge (RFC 7628 3.2.2): answered, then NO.
            send("AQ==" if mech == "OAUTHBEARER" else "")
        elif ln.startswith("a OK"):
            sys.exit(0)
        elif ln.startswith("a NO"):
            sys.exit(1)
        elif not ln.startswith("*"):
            sys.exit(2)
    sys.exit(2)
else:
    send("AUTH %s %s" % (mech, ir))
    for _ in range(100):
        ln = line()
        if ln.startswith("+OK"):
            sys.exit(0)
        elif ln.startswith("+"):
            send("AQ==" if mech == "OAUTHBEARER" else "")
        elif ln.startswith("-ERR"):
            sys.exit(1)
        else:
            sys.exit(2)
    sys.exit(2)
EOF
}

browse() {
	python3 - "$1" "$OP_CA" <<'EOF'
import http.client, ssl, sys, urllib.parse
url, ca = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(url)
c = http.client.HTTPSConnection(u.hostname, u.port, timeout=10,
                                context=ssl.create_default_context(cafile=ca))
c.request("GET", u.path + ("?" + u.query if u.query else ""))
r = c.getresponse()
r.read()
loc = r.getheader("Location")
if r.status != 302 or not loc:
    sys.exit("the authorization server answered %d, no redirect" % r.status)
u = urllib.parse.urlsplit(loc)
if u.scheme != "http" or u.hostname != "127.0.0.1":
    sys.exit("redirect to %s://%s, not the loopback listener" % (u.scheme, u.hostname))
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
c.request("GET", u.path + ("?" + u.query if u.query else ""))
r = c.getresponse()
r.read()
print(r.status)
EOF
}

no_token() {
	NO_TOKEN_EXTRA="${NO_TOKEN_EXTRA:-}" python3 - "$OP_STATE" "$@" <<'EOF' || fail "a token is where it must not be"
import base64, binascii, json, os, re, sys
s = json.load(open(sys.argv[1]))
toks = [t for t in s["access"] + s["refresh"] + os.environ.get("NO_TOKEN_EXTRA", "").split() if t]
b64 = re.compile(rb"[A-Za-z0-9+/]{24,}={0,2}")
def leaks(data):
    for t in toks:
        if t.encode() in data:
            return True
    for m in b64.finditer(data):
        w = m.group(0)
        try:
            dec = base64.b64decode(w + b"=" * (-len(w) % 4))
        except (binascii.Error, ValueError):
            continue
        if any(t.encode() in dec for t in toks):
            return True
    return False
bad = []
for top in sys.argv[2:]:
    paths = [top]
    if os.path.isdir(top):
        paths = [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
    for p in paths:
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        try:
            data = open(p, "rb").read()
        except OSError:
            continue
        if leaks(data):
            bad.append(p)
for p in bad:
    print("token found in %s" % p, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
}

proc_tree() {
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2> /dev/null); do
		proc_tree "$c"
	done
}

op_get() {
	python3 - "$OP_PORT" "$OP_CA" "$1" <<'EOF'
import http.client, ssl, sys
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]), timeout=10,
                                context=ssl.create_default_context(cafile=sys.argv[2]))
c.request("GET", sys.argv[3])
r = c.getresponse()
r.read()
print(r.status)
EOF
}

wait_for() {
	i=0
	until grep -Eq "$2" "$1" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || fail "no line matching '$2' in $1: $(cat "$1" 2> /dev/null)"
		sleep 0.1
	done
}

oauth2_config() {
	mkdir -p "$XDG_CONFIG_HOME/surel"
	cat > "$XDG_CONFIG_HOME/surel/config" <<EOF
[general]
default_account = o
${OP_GENERAL_EXTRA:-}
[account o]
address = fetchuser@example.test
maildir = $1
fetch = $2
${3:+smtp = $3}
user = fetchuser
auth = oauth2
oauth2_provider = custom
oauth2_client_id = $OP_CLIENT
oauth2_auth_url = $OP_URL/authorize
oauth2_token_url = $OP_URL/token
oauth2_device_url = $OP_URL/device
oauth2_scope = mail
oauth2_ca_file = $OP_CA
tls_ca_file = $OP_CA
${OP_CONFIG_EXTRA:-}
EOF
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

store_refresh() {
	sed -n 's/^refresh_token //p' "$STORE" 2> /dev/null || true
}

sp_start() {
	sp_stop
	rm -rf "$T/sp.port" "$T/smtp" "$T/smtp.log"
	python3 "$top_srcdir/tests/peer/smtp-peer.py" --tls "$DATA/tls/localhost-chain.pem" \
		"$DATA/tls/localhost.key" --require-tls --oauth2 "$OP_URL/introspect" \
		--oauth2-user fetchuser --spool "$T/smtp" --log "$T/smtp.log" \
		--port-file "$T/sp.port" "$@" &
	sp_pid=$!
	wait_file "$T/sp.port" "smtp-peer.py did not start"
	SP_PORT=$(cat "$T/sp.port")
}

sp_stop() {
	if [ -n "$sp_pid" ]; then
		kill "$sp_pid" 2> /dev/null || true
		wait "$sp_pid" 2> /dev/null || true
		sp_pid=""
	fi
}

sign_in() {
	"$SPOOL" -A o auth --device > "$T/signin.out" 2> "$T/signin.err" < /dev/null ||
		fail "spool auth --device failed: $(cat "$T/signin.err")"
}
