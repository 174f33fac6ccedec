# A private Postfix for the relay tests; source it, then
#   postfix_start DIR PORT   start one in DIR (created), SMTP on 127.0.0.1:PORT
#   postfix_stop             stop it (also from an EXIT trap)
# It never touches the system's Postfix: its own main.cf and master.cf in
# DIR/etc, queue and data directories under DIR, started with
# `postfix -c DIR/etc`.  It offers STARTTLS with tests/data/tls's localhost
# certificate and requires TLS plus SASL AUTH (Cyrus sasldb: user
# ana@example.test, password POSTFIX_PASS) before MAIL.  Mail for
# ana@example.test and bob@example.test lands in the Maildirs
# DIR/vmail/ana/ and DIR/vmail/bob/; other example.test users get 550.
# The log is DIR/maillog, written late (by postlogd): wait for a line with
# postfix_wait_log before counting.  Needs root and the postfix and
# sasl2-bin packages; postfix_start returns 1 (after saying why) when it
# cannot run.
# PF_VMAIL_UID and PF_VMAIL_GID (numbers), when set before postfix_start,
# own the Maildirs instead of nobody:nogroup (e.g. the uid a Dovecot that
# serves them runs as).  PF_MAIN_EXTRA and PF_MASTER_EXTRA, when set, are
# appended to main.cf (a later setting wins) and master.cf.
# For a test of sendq through it (sourced after lib.sh):
#   postfix_require          skip (77) unless python3, postfix and root
#   postfix_free_port        print a free loopback port
#   postfix_relay_start ADDRESS [GENERAL]
#                            start one in $T/pf on a free port (PORT) and
#                            write a surel config relaying through it
#   postfix_wait_mail DIR N  wait until DIR/new holds N messages
POSTFIX_PASS='p0stfix pass'
postfix_dir=""

postfix_start() {
	postfix_dir=$1
	pf_port=$2
	command -v postfix > /dev/null && command -v saslpasswd2 > /dev/null || {
		echo "postfix or saslpasswd2 missing" >&2
		return 1
	}
	[ "$(id -u)" -eq 0 ] || { echo "a private Postfix needs root" >&2; return 1; }
	mkdir -p "$postfix_dir/etc/sasl" "$postfix_dir/queue" "$postfix_dir/data" "$postfix_dir/vmail"
	# Postfix's daemons run as postfix and nobody: they must reach DIR.
	d=$postfix_dir
	while [ "$d" != / ]; do
		chmod o+x "$d" 2> /dev/null || true
		d=$(dirname "$d")
	done
	chown "${PF_VMAIL_UID:-nobody}:${PF_VMAIL_GID:-nogroup}" "$postfix_dir/vmail"
	chown postfix:postfix "$postfix_dir/data"
	cp "$DATA/tls/localhost-chain.pem" "$DATA/tls/localhost.key" "$postfix_dir/etc/"
	chmod 600 "$postfix_dir/etc/localhost.key"
	printf 'ana@example.test ana/\nbob@example.test bob/\n' > "$postfix_dir/etc/vmailbox"
	printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: %s/etc/sasldb2\n' \
		"$postfix_dir" > "$postfix_dir/etc/sasl/smtpd.conf"
	printf '%s' "$POSTFIX_PASS" | saslpasswd2 -p -c -f "$postfix_dir/etc/sasldb2" -u example.test ana
	chown root:postfix "$postfix_dir/etc/sasldb2"
	chmod 640 "$postfix_dir/etc/sasldb2"
	cat > "$postfix_dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $postfix_dir/queue
data_directory = $postfix_dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
relay_domains =
biff = no
smtputf8_enable = no
maillog_file = $postfix_dir/maillog
maillog_file_prefixes = $postfix_dir
virtual_mailbox_domains = example.test
virtual_mailbox_base = $postfix_dir/vmail
virtual_mailbox_maps = texthash:$postfix_dir/etc/vmailbox
virtual_uid_maps = static:${PF_VMAIL_UID:-65534}
virtual_gid_maps = static:${PF_VMAIL_GID:-65534}
virtual_minimum_uid = ${PF_VMAIL_UID:-100}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_chain_files = $postfix_dir/etc/localhost.key, $postfix_dir/etc/localhost-chain.pem
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $postfix_dir/etc/sasl
smtpd_sasl_local_domain =
smtpd_sender_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = reject_unlisted_recipient, permit_sasl_authenticated, reject
smtpd_relay_restrictions = permit_sasl_authenticated, reject
${PF_MAIN_EXTRA:-}
CF
	cat > "$postfix_dir/etc/master.cf" <<CF
127.0.0.1:$pf_port inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
${PF_MASTER_EXTRA:-}
CF
	postfix -c "$postfix_dir/etc" check > "$postfix_dir/start.log" 2>&1 || true
	if ! postfix -c "$postfix_dir/etc" start >> "$postfix_dir/start.log" 2>&1; then
		cat "$postfix_dir/start.log" >&2
		postfix_dir=""
		return 1
	fi
	i=0
	while ! python3 -c "import socket; socket.create_connection(('127.0.0.1', $pf_port), 1).close()" 2> /dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "postfix does not listen on $pf_port" >&2; cat "$postfix_dir/start.log" >&2; postfix_stop; return 1; }
		sleep 0.2
	done
	# Postfix logs through postlogd, after the fact: wait until the probe's
	# session is logged whole, so that a test counting sessions in the log
	# from now on never sees the probe's lines arrive late.
	postfix_wait_log 'smtpd\[[0-9]*\]: disconnect from ' || { postfix_stop; return 1; }
}

# postfix_wait_log REGEX [N]: wait (at most 15 s) until at least N (default
# 1) lines of the log match the basic regular expression REGEX; 1 (after
# saying so) if they do not.
postfix_wait_log() {
	i=0
	while [ "$(postfix_log_count "$1")" -lt "${2:-1}" ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || {
			echo "Postfix never logged ${2:-1} lines like /$1/: $(tail -n 5 "$postfix_dir/maillog" 2> /dev/null)" >&2
			return 1
		}
		sleep 0.1
	done
}

# postfix_log_count REGEX: how many lines of the log match REGEX now.
postfix_log_count() {
	{ cat "$postfix_dir/maillog" 2> /dev/null || true; } | grep -c -- "$1" || true
}

postfix_stop() {
	if [ -n "$postfix_dir" ]; then
		postfix -c "$postfix_dir/etc" stop > /dev/null 2>&1 || true
		postfix_dir=""
	fi
}

postfix_require() {
	command -v python3 > /dev/null || skip "python3 is needed"
	command -v postfix > /dev/null || skip "postfix is not installed (scripts/deps test)"
	[ "$(id -u)" -eq 0 ] || skip "a private Postfix needs root"
}

postfix_free_port() {
	python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

# postfix_relay_start ADDRESS [GENERAL]: a private Postfix in $T/pf on a
# free port, PORT (fails the test when it does not start), VM its Maildir
# root, and a surel config whose default account t has ADDRESS, the
# Maildir $M and relays through that Postfix over verified STARTTLS as
# ana@example.test.  GENERAL, when given, is lines for [general].
postfix_relay_start() {
	PORT=$(postfix_free_port)
	postfix_start "$T/pf" "$PORT" || fail "cannot start a private Postfix"
	VM="$T/pf/vmail"
	mkdir -p "$XDG_CONFIG_HOME/surel"
	cat > "$XDG_CONFIG_HOME/surel/config" <<CF
[general]
default_account = t
${2:+$2
}[account t]
address = $1
maildir = $M
smtp = smtp://localhost:$PORT
tls_ca_file = $DATA/tls/ca.pem
user = ana@example.test
password_cmd = printf '$POSTFIX_PASS'
CF
	chmod 600 "$XDG_CONFIG_HOME/surel/config"
}

# postfix_wait_mail DIR N: until the Maildir DIR holds N new messages
# (Postfix delivers after it said 250); fails the test after 30 s.
postfix_wait_mail() {
	i=0
	while [ "$(ls "$1/new" 2> /dev/null | wc -l)" -lt "$2" ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || fail "only $(ls "$1/new" 2> /dev/null | wc -l) of $2 messages arrived in $1"
		sleep 0.2
	done
}
