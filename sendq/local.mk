bin_PROGRAMS += sendq/sendq
noinst_LIBRARIES += sendq/libsendq.a
sendq_libsendq_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
sendq_libsendq_a_SOURCES = \
	sendq/queue.c sendq/queue.h \
	sendq/enqueue.c sendq/enqueue.h \
	sendq/relay.c sendq/relay.h \
	sendq/bounce.c sendq/bounce.h \
	sendq/flush.c sendq/flush.h \
	sendq/daemon.c sendq/daemon.h
sendq_sendq_SOURCES = sendq/main.c
sendq_sendq_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS)
sendq_sendq_LDADD = sendq/libsendq.a $(SUREL_LIBS) $(CURL_LIBS)

# sendq behaves as sendmail when invoked under that name; surel-sendmail is
# the name to point other programs at without replacing /usr/sbin/sendmail.
install-exec-hook:
	cd $(DESTDIR)$(bindir) && rm -f surel-sendmail && $(LN_S) sendq surel-sendmail
uninstall-hook:
	rm -f $(DESTDIR)$(bindir)/surel-sendmail
