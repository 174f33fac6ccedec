bin_PROGRAMS += sendq/sendq
noinst_LIBRARIES += sendq/libsendq.a
sendq_libsendq_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
sendq_libsendq_a_SOURCES = \
	sendq/queue.c sendq/queue.h \
	sendq/queue_env.c sendq/queue_env.h \
	sendq/enqueue.c sendq/enqueue.h sendq/enqueue_smtp.c \
	sendq/relay.c sendq/relay.h \
	sendq/bounce.c sendq/bounce.h \
	sendq/flush.c sendq/flush.h \
	sendq/daemon.c sendq/daemon.h \
	sendq/status.c sendq/status.h
# What the two programs below share on the command line.
sendq_libsendq_a_SOURCES += sendq/cli.c sendq/cli.h
# sendq is a small front end that only enqueues (what cron and mutt run
# for every message; it links neither libcurl nor GnuTLS nor libetpan, so
# it starts in a fraction of the time) and hands every other command to
# sendq-agent, the full program.
sendq_sendq_SOURCES = sendq/front.c
sendq_sendq_CFLAGS = $(AM_CFLAGS) -DPKGLIBEXECDIR='"$(pkglibexecdir)"'
sendq_sendq_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed
sendq_sendq_LDADD = sendq/libsendq.a lib/libsurel.a $(INIH_LIBS)
pkglibexec_PROGRAMS = sendq/sendq-agent
sendq_sendq_agent_SOURCES = sendq/agent.c
sendq_sendq_agent_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
sendq_sendq_agent_LDADD = sendq/libsendq.a $(SUREL_LIBS) $(CURL_LIBS)

# sendq behaves as sendmail when invoked under that name; surel-sendmail is
# the name to point other programs at without replacing /usr/sbin/sendmail.
install-exec-hook:
	cd $(DESTDIR)$(bindir) && rm -f surel-sendmail && $(LN_S) sendq surel-sendmail
uninstall-hook:
	rm -f $(DESTDIR)$(bindir)/surel-sendmail
