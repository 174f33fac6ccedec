dist_man_MANS += man/spool.1 man/surel.conf.5 man/sendq.1
dist_man_MANS += man/surel.1
