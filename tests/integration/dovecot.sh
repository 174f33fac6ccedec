# A private Dovecot for one integration test.  Source it after lib.sh.
#
#   dovecot_start [CERT]   start IMAP, IMAPS, POP3, POP3S on 127.0.0.1 (free
#                          ports picked now) with tests/data/tls/CERT.pem
#                          (default: localhost, signed by tests/data/tls/ca.pem;
#                          also wronghost, selfsigned)
#   dovecot_stop           stop it (also run on exit)
#   dc_put N [FLAGS]       add N generated messages to the server INBOX
#   dc_count               messages in the server INBOX
#   dc_logins              successful logins logged so far
#
# DC_EXTRA, when set before dovecot_start, is appended to the config;
# DC_MAIL_LOCATION replaces maildir:~/Maildir (dc_put and dc_count still
# use $DC_MAILDIR: set it too).
#
# DC_OAUTH2_URL, when set before dovecot_start, is an RFC 7662 introspection
# URL (https, a certificate signed by tests/data/tls/ca.pem): Dovecot then
# also offers XOAUTH2 and OAUTHBEARER, and checks their bearer tokens with
# an oauth2 passdb that POSTs them there (tests/peer/oauth2-peer.py).  The
# password of the passwd-file keeps working for PLAIN and LOGIN.
#
# Everything lives under $T/dovecot: config, base_dir, log, passwd-file,
# the user's Maildir ($DC_MAILDIR).  Only our master is ever stopped, by
# the pid in our base_dir; the system's Dovecot is never touched.
# Skips the test (77) when Dovecot is not installed or we are not root.

command -v dovecot > /dev/null 2>&1 && [ -x /usr/lib/dovecot/imap-login ] &&
	[ -x /usr/lib/dovecot/pop3-login ] ||
	skip "dovecot-imapd and dovecot-pop3d are not installed (scripts/deps test)"
[ "$(id -u)" -eq 0 ] || skip "a private Dovecot needs root (mail uid switch)"
id mail > /dev/null 2>&1 || skip "no system user 'mail'"

DC="$T/dovecot"
DC_CONF="$DC/dovecot.conf"
DC_LOG="$DC/dovecot.log"
DC_USER=fetchuser
DC_PASS='s3cret pass'
DC_MAILDIR="$DC/home/$DC_USER/Maildir"
DC_SEQ=0
DC_MASTER=

# Mail processes run as 'mail' and must reach their home below $T.
chmod 711 "$T"

# Four free loopback ports, chosen by the kernel.
dc_ports() {
	python3 -c 'import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'
}

dovecot_start() {
	cert=${1:-localhost}
	set -- $(dc_ports)
	DC_IMAP=$1 DC_IMAPS=$2 DC_POP3=$3 DC_POP3S=$4
	mkdir -p "$DC/run" "$DC/state"
	chmod 755 "$DC"
	install -d -o mail -g mail -m 700 "$DC/home" "$DC/home/$DC_USER" "$DC_MAILDIR" \
		"$DC_MAILDIR/cur" "$DC_MAILDIR/new" "$DC_MAILDIR/tmp"
	chmod 711 "$DC/home"
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$DC_USER" "$DC_PASS" "$(id -u mail)" "$(id -g mail)" \
		"$DC/home/$DC_USER" > "$DC/passwd"
	if [ "$cert" = localhost ]; then
		chain="$DATA/tls/localhost-chain.pem"
	else
		chain="$DATA/tls/$cert.pem"
	fi
	dc_oauth2_conf
	cat > "$DC_CONF" <<EOF
# Private instance of a surel integration test; nothing from /etc/dovecot.
instance_name = surel-test-$$
base_dir = $DC/run
state_dir = $DC/state
listen = 127.0.0.1
protocols = imap pop3
log_path = $DC_LOG
info_log_path = $DC_LOG
auth_verbose = yes
ssl = yes
ssl_cert = <$chain
ssl_key = <$DATA/tls/$cert.key
disable_plaintext_auth = no
auth_mechanisms = plain login${DC_OAUTH2_URL:+ xoauth2 oauthbearer}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = $(id -u mail)
last_valid_uid = $(id -u mail)
mail_location = ${DC_MAIL_LOCATION:-maildir:~/Maildir}
pop3_uidl_format = %08Xu%08Xv
$DC_OAUTH2_PASSDB
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%n $DC/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%n $DC/passwd
}
service imap-login {
  inet_listener imap {
    port = $DC_IMAP
  }
  inet_listener imaps {
    port = $DC_IMAPS
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $DC_POP3
  }
  inet_listener pop3s {
    port = $DC_POP3S
    ssl = yes
  }
}
${DC_EXTRA:-}
EOF
	dovecot -c "$DC_CONF" || fail "dovecot did not start: $(tail -5 "$DC_LOG" 2>/dev/null)"
	# The master writes its pid file after it forked: wait for it too.
	i=0
	while [ $i -lt 100 ]; do
		DC_MASTER=$(cat "$DC/run/master.pid" 2> /dev/null || true)
		[ -n "$DC_MASTER" ] && python3 -c "import socket,sys
for p in sys.argv[1:]:
    socket.create_connection(('127.0.0.1', int(p)), 1).close()" \
			$DC_IMAP $DC_IMAPS $DC_POP3 $DC_POP3S 2> /dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "dovecot ports did not open: $(tail -5 "$DC_LOG")"
}

# The oauth2 passdb of DC_OAUTH2_URL (empty without it): $DC_OAUTH2_PASSDB.
dc_oauth2_conf() {
	DC_OAUTH2_PASSDB=
	[ -n "${DC_OAUTH2_URL:-}" ] || return 0
	cat > "$DC/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = $DC_OAUTH2_URL
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
tls_ca_cert_file = $DATA/tls/ca.pem
EOF
	DC_OAUTH2_PASSDB="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DC/dovecot-oauth2.conf.ext
}"
}

dovecot_stop() {
	[ -n "$DC_MASTER" ] || DC_MASTER=$(cat "$DC/run/master.pid" 2> /dev/null || true)
	[ -n "$DC_MASTER" ] || return 0
	# Our master only: its command line names our config.
	if tr '\0' ' ' < "/proc/$DC_MASTER/cmdline" 2> /dev/null | grep -qF -- "$DC_CONF"; then
		kill "$DC_MASTER" 2> /dev/null || true
		i=0
		while kill -0 "$DC_MASTER" 2> /dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	DC_MASTER=
}
trap 'dovecot_stop; scratch_remove' EXIT INT TERM

# dc_put N [FLAGS]: N messages of varied size and content; a line that
# starts with a dot (POP3 dot-stuffing), 8-bit text, a long line.  Each is
# written in tmp/ and renamed into cur/ (as Maildir wants): a running
# Dovecot notices a new file at once and must never serve it half written.
dc_put() {
	python3 - "$DC_MAILDIR" "$1" "${2:-}" "$DC_SEQ" <<'EOF'
import os, pwd, sys
mail = pwd.getpwnam("mail")
md, n, flags, seq = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
for i in range(seq, seq + n):
    body = "".join("line %d of message %d %s\n" % (j, i, "x" * (i % 50)) for j in range(i % 40 + 1))
    if i % 3 == 0:
        body += ".a line starting with a dot\n..two dots\n.\n"
    if i % 5 == 0:
        body += "8-bit: caf\u00e9 \u00fcber na\u00efve\n"
    if i % 7 == 0:
        body += "long " + "y" * 3000 + "\n"
    msg = ("From: Sender %d <s%d@example.test>\nTo: fetchuser@example.test\n"
           "Subject: test message %d\nMessage-ID: <m%d.surel@example.test>\n"
           "Date: Thu, 26 Nov 2026 10:00:00 +0000\n\n%s" % (i, i, i, i, body)).encode()
    name = "%d.M%dP%d.test:2,%s" % (1700000000 + i, i, os.getpid(), flags)
    tmp = os.path.join(md, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(msg)
    os.chown(tmp, mail.pw_uid, mail.pw_gid)
    os.rename(tmp, os.path.join(md, "cur", name))
EOF
	DC_SEQ=$((DC_SEQ + $1))
}

dc_count() {
	find "$DC_MAILDIR/cur" "$DC_MAILDIR/new" -type f | wc -l
}

dc_logins() {
	{ cat "$DC_LOG" 2> /dev/null || true; } | grep -c "Login: user=<$DC_USER>" || true
}
