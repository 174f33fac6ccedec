bin_PROGRAMS += mua/surel
noinst_LIBRARIES += mua/libmua.a
mua_libmua_a_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/spool -I$(top_srcdir)/sendq $(NCURSES_CFLAGS) $(JANSSON_CFLAGS)
mua_libmua_a_SOURCES = \
	mua/compose.c mua/compose.h mua/compose_internal.h \
	mua/compose_draft.c mua/compose_mime.c mua/compose_attach.c \
	mua/sendcli.c mua/sendcli.h \
	mua/trackview.c mua/trackview.h \
	mua/identity.c mua/identity.h \
	mua/thread.c mua/thread.h \
	mua/pattern.c mua/pattern.h \
	mua/sort.c mua/sort.h \
	mua/sortstate.c mua/sortstate.h \
	mua/save.c mua/save.h \
	mua/pipe.c mua/pipe.h \
	mua/patenv.c mua/patenv.h \
	mua/weed.c mua/weed.h \
	mua/unread.c mua/unread.h \
	mua/ui.c mua/ui.h \
	mua/keymap.c mua/keymap.h \
	mua/mailbox.c mua/mailbox.h \
	mua/mbox.c mua/mbox.h \
	mua/pager.c mua/pager.h \
	mua/mailcap.c mua/mailcap.h \
	mua/folderlist.c mua/folderlist.h \
	mua/bodysearch.c mua/bodysearch.h \
	mua/qview.c mua/qview.h \
	mua/composeui.c mua/composeui.h \
	mua/addrcomplete.c mua/addrcomplete.h \
	mua/recall.c mua/recall.h \
	mua/mailto.c mua/mailto.h \
	mua/browser.c mua/browser.h
mua_surel_SOURCES = mua/main.c
mua_surel_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/spool -I$(top_srcdir)/sendq $(NCURSES_CFLAGS)
mua_surel_LDADD = mua/libmua.a spool/libspool.a sendq/libsendq.a $(SUREL_LIBS) $(GPGME_LIBS) $(SQLITE_LIBS) $(NCURSES_LIBS)
