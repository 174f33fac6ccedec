#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "cfg.h"
#include "colorspec.h"
#include "path.h"
#include "rules.h"
#include "sortspec.h"
#include "xalloc.h"

/* A configuration file is a few kilobytes; a megabyte is a mistake. */
#define CFG_MAX_BYTES (1024 * 1024)

struct parse;

/* Where a key may appear; KEY_NUMBERED: the name stands for NAME1, NAME2,
 * ... (each once), read back in number order with cfg_get_nth(). */
enum key_where { IN_GENERAL = 1u << 0, IN_ACCOUNT = 1u << 1, KEY_NUMBERED = 1u << 2 };

/* Highest N of a numbered key. */
#define KEY_NUM_MAX 9999

/* One known key (the table is keys[] below): its name, its sections and
 * how its value is checked.  The check may replace *value with a
 * normalised copy, freeing the old one. */
struct key {
	const char *name;
	unsigned where;
	int (*check)(struct parse *ps, const struct key *k, char **value);
};

struct entry {
	const struct key *key;
	char *value;
	int line;
	unsigned num;                /* N of a KEY_NUMBERED key, else 0 */
};

/* A section: [general] (name NULL) or [account NAME]. */
struct cfg_account {
	char *name;
	int line;
	struct entry *ents;
	size_t n;
};

/* A line of a [keys MENU] section, kept as written for the MUA to parse
 * (mua/keymap.h): its syntax is the key tables' business, not this
 * module's. */
struct keyline {
	char *menu;
	char *text;
	int line;
};

struct cfg {
	char *path;
	struct cfg_account general;   /* line 0 while the file has none */
	struct cfg_account *accts;
	size_t n_accts;
	struct keyline *keys;
	size_t n_keys;
};

/* State of one cfg_load(): the file's bytes, the reader's position and the
 * section the lines being parsed belong to. */
struct parse {
	struct cfg *cfg;
	char *shown;                 /* the path as messages show it */
	const char *data;
	size_t len, pos;
	int line;                    /* line last handed to inih */
	const char *key;             /* the key being checked, as written */
	struct cfg_account *cur;     /* NULL before the first section header */
	const char *keys_menu;       /* inside [keys MENU]: MENU, else NULL */
	int others_can_read;         /* group or others may read the file */
	int fail_line;               /* 0 until the first error */
	struct err *err;
};

static int perr(struct parse *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error as "file:line: message"; later ones are dropped
 * because they are often consequences of the first. */
static int perr(struct parse *ps, int line, const char *fmt, ...)
{
	char msg[sizeof(ps->err->msg)];
	va_list ap;

	if (ps->fail_line)
		return -1;
	ps->fail_line = line;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A cut message still names file, line and key first. */
	return err_set(ps->err, EX_CONFIG, "%s:%d: %s", ps->shown, line, msg);
}

static const char *section_label(const struct cfg_account *sec, char *buf, size_t size)
{
	if (!sec->name)
		return "[general]";
	(void)snprintf(buf, size, "[account %s]", sec->name);
	return buf;
}

/* ---- values ---- */

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* A decimal number without sign or blanks, at most LONG_MAX. */
static int parse_count(const char *v, const char **end_out, long *out)
{
	long n = 0;

	if (!isdigit((unsigned char)*v))
		return -1;
	for (; isdigit((unsigned char)*v); v++) {
		if (n > (LONG_MAX - (*v - '0')) / 10)
			return -1;
		n = n * 10 + (*v - '0');
	}
	*end_out = v;
	*out = n;
	return 0;
}

/* "90", "90s", "30m", "12h", "5d", "2w": a positive number of seconds.
 * Stops at *end_out so lists can continue after it. */
static int parse_duration(const char *v, const char **end_out, long *out)
{
	static const struct {
		char unit;
		long secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 } };
	const char *end;
	long n, mult = 1;
	size_t i;

	if (parse_count(v, &end, &n) < 0 || n == 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (*end == units[i].unit) {
			mult = units[i].secs;
			end++;
			break;
		}
	}
	if (n > LONG_MAX / mult)
		return -1;
	*end_out = end;
	*out = n * mult;
	return 0;
}

static int whole_duration(const char *v, long *out)
{
	const char *end;

	return parse_duration(v, &end, out) < 0 || *end ? -1 : 0;
}

static int check_str(struct parse *ps, const struct key *k, char **value)
{
	return 0;
}

static int check_path(struct parse *ps, const struct key *k, char **value)
{
	char *p = path_expand(*value);

	free(*value);
	*value = p;
	return 0;
}

static int check_count(struct parse *ps, const struct key *k, char **value)
{
	const char *end;
	long n;

	if (parse_count(*value, &end, &n) < 0 || *end)
		return perr(ps, ps->line, "'%s' must be a whole number of seconds, not '%s'",
			    k->name, *value);
	return 0;
}

static int check_duration(struct parse *ps, const struct key *k, char **value)
{
	long n;

	if (whole_duration(*value, &n) < 0)
		return perr(ps, ps->line, "'%s' must be a duration like 90s, 30m, 12h or 5d, not '%s'",
			    k->name, *value);
	return 0;
}

static int check_schedule(struct parse *ps, const struct key *k, char **value)
{
	const char *p = *value, *end;
	long n;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (parse_duration(p, &end, &n) < 0)
			break;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			break;
	}
	return perr(ps, ps->line, "'%s' must be a list of durations like 1m,5m,1h, not '%s'",
		    k->name, *value);
}

static int check_bool(struct parse *ps, const struct key *k, char **value)
{
	int b;

	if (parse_bool(*value, &b) < 0)
		return perr(ps, ps->line, "'%s' must be yes or no, not '%s'", k->name, *value);
	return 0;
}

static int check_onoff(struct parse *ps, const struct key *k, char **value)
{
	int b;

	if (parse_bool(*value, &b) < 0)
		return perr(ps, ps->line, "'%s' must be on or off, not '%s'", k->name, *value);
	return 0;
}

/* local@domain, with nothing that would need quoting in a header or could
 * smuggle a second address or a line break into an SMTP command. */
/* Whether the n bytes at v are one address: local@domain without blanks,
 * controls or specials. */
static int address_ok(const char *v, size_t n)
{
	const char *at = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f || strchr("<>()[],;:\"\\", v[i]))
			return 0;
		if (v[i] == '@')
			at = v + i;
	}
	return at && at != v && at + 1 < v + n;
}

static int check_address(struct parse *ps, const struct key *k, char **value)
{
	if (!address_ok(*value, strlen(*value)))
		return perr(ps, ps->line, "'%s' must be an address like user@example.org, not '%s'",
			    k->name, *value);
	return 0;
}

/* The next item of an aliases value (blanks or commas between items):
 * *n bytes at the returned pointer, NULL after the last. */
static const char *alias_next(const char **p, size_t *n)
{
	const char *s = *p + strspn(*p, " \t,");

	*n = strcspn(s, " \t,");
	*p = s + *n;
	return *n ? s : NULL;
}

/* aliases: addresses and "*@domain" patterns, blanks or commas between. */
static int check_aliases(struct parse *ps, const struct key *k, char **value)
{
	const char *p = *value, *s;
	size_t n;
	int any = 0;

	while ((s = alias_next(&p, &n)) != NULL) {
		any = 1;
		if (n > 2 && s[0] == '*' && s[1] == '@' && address_ok(s, n) &&
		    !memchr(s + 1, '*', n - 1))
			continue;
		if (s[0] != '*' && address_ok(s, n))
			continue;
		return perr(ps, ps->line,
			    "'%s' must be addresses or *@domain patterns, not '%.*s'", k->name,
			    (int)(n > 200 ? 200 : n), s);
	}
	if (!any)
		return perr(ps, ps->line, "'%s' is empty", k->name);
	return 0;
}

/* scheme://host[:port][/...] for one of the schemes listed, NULL-ended. */
static int check_url(struct parse *ps, const struct key *k, const char *v,
		     const char *const *schemes, const char *wanted)
{
	const char *host = NULL, *p;
	size_t i, n;

	for (i = 0; schemes[i]; i++) {
		n = strlen(schemes[i]);
		if (strncmp(v, schemes[i], n) == 0 && strncmp(v + n, "://", 3) == 0) {
			host = v + n + 3;
			break;
		}
	}
	if (!host || *host == '\0' || *host == '/' || *host == ':' || strpbrk(v, " \t"))
		return perr(ps, ps->line, "'%s' must be %s URL, not '%s'", k->name, wanted, v);
	/* Credentials in a URL end up in logs and process listings. */
	for (p = host; *p && *p != '/'; p++)
		if (*p == '@')
			return perr(ps, ps->line, "'%s' must not hold a user name or password; use 'user' and 'password_cmd'",
				    k->name);
	return 0;
}

static int check_smtp(struct parse *ps, const struct key *k, char **value)
{
	static const char *const schemes[] = { "smtp", "smtps", NULL };

	return check_url(ps, k, *value, schemes, "an smtp:// or smtps://");
}

static int check_fetch(struct parse *ps, const struct key *k, char **value)
{
	static const char *const schemes[] = { "imap", "imaps", "pop3", "pop3s", NULL };

	return check_url(ps, k, *value, schemes, "an imap://, imaps://, pop3:// or pop3s://");
}

/* 32 bytes in hex, colons anywhere; stored as 64 lowercase digits so the
 * TLS code compares it with one strcmp. */
static int check_fpr(struct parse *ps, const struct key *k, char **value)
{
	char hex[65];
	const char *p;
	size_t n = 0;

	for (p = *value; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 64)
			break;
		hex[n++] = (char)tolower((unsigned char)*p);
	}
	if (*p || n != 64)
		return perr(ps, ps->line, "'%s' must be a SHA-256 fingerprint (64 hex digits, colons allowed), not '%s'",
			    k->name, *value);
	hex[n] = '\0';
	free(*value);
	*value = xstrdup(hex);
	return 0;
}

static int check_auth(struct parse *ps, const struct key *k, char **value)
{
	static const char *const methods[] = { "plain", "login", "xoauth2", "oauth2", "auto" };
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(*value, methods[i]) == 0)
			return 0;
	return perr(ps, ps->line, "'%s' must be plain, login, xoauth2, oauth2 or auto, not '%s'",
		    k->name, *value);
}

/* The presets of lib/oauth2.c. */
static int check_provider(struct parse *ps, const struct key *k, char **value)
{
	if (strcmp(*value, "google") != 0 && strcmp(*value, "microsoft") != 0 &&
	    strcmp(*value, "custom") != 0)
		return perr(ps, ps->line, "'%s' must be google, microsoft or custom, not '%s'",
			    k->name, *value);
	return 0;
}

/* OAuth2 endpoints: tokens and client secrets travel over them. */
static int check_https(struct parse *ps, const struct key *k, char **value)
{
	static const char *const schemes[] = { "https", NULL };

	return check_url(ps, k, *value, schemes, "an https://");
}

static int check_domains(struct parse *ps, const struct key *k, char **value)
{
	const char *p;

	for (p = *value; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".- \t", *p))
			return perr(ps, ps->line, "'%s' must be domains separated by blanks, not '%s'",
				    k->name, *value);
	return 0;
}

/* The EHLO name: a fully qualified domain name (RFC 5321 4.1.1.1), or an
 * address literal in brackets. */
static int check_helo(struct parse *ps, const struct key *k, char **value)
{
	const char *v = *value, *p;
	size_t n = strlen(v);

	if (n > 2 && v[0] == '[' && v[n - 1] == ']' &&
	    strspn(v + 1, "0123456789abcdefABCDEF.:IPv") == n - 2)
		return 0;
	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			break;
	if (*p || n > 253 || !strchr(v, '.') || v[0] == '.' || v[n - 1] == '.' || strstr(v, ".."))
		return perr(ps, ps->line, "'%s' must be a fully qualified domain name or [address], not '%s'",
			    k->name, v);
	return 0;
}

/* The value itself is never quoted: it is the secret. */
static int check_password(struct parse *ps, const struct key *k, char **value)
{
	if (ps->others_can_read)
		return perr(ps, ps->line, "'%s' refused: the file is readable by group or others (chmod 600 it, or use password_cmd)",
			    k->name);
	return 0;
}

/* A filing rule (lib/rules.h), compiled once here so a bad regular
 * expression is an error at load. */
static int check_rule(struct parse *ps, const struct key *k, char **value)
{
	struct err e = ERR_INIT;

	if (rules_check(*value, &e) < 0)
		return perr(ps, ps->line, "'%s': %s", ps->key ? ps->key : k->name, e.msg);
	return 0;
}

/* A colour of the MUA's palette (lib/colorspec.h). */
static int check_color(struct parse *ps, const struct key *k, char **value)
{
	struct colorspec cs;
	struct err e = ERR_INIT;

	if (colorspec_parse(*value, &cs, &e) < 0)
		return perr(ps, ps->line, "'%s': %s", k->name, e.msg);
	return 0;
}

/* yes, no or ask (forward_attach). */
static int check_yesnoask(struct parse *ps, const struct key *k, char **value)
{
	int b;

	if (strcasecmp(*value, "ask") != 0 && parse_bool(*value, &b) < 0)
		return perr(ps, ps->line, "'%s' must be yes, no or ask, not '%s'", k->name, *value);
	return 0;
}

/* An OpenPGP fingerprint: 40 (v4) or 64 (v5/v6) hex digits, blanks and
 * colons allowed as people copy them; stored as uppercase digits only, as
 * GPGME prints them. */
static int check_pgp_fpr(struct parse *ps, const struct key *k, char **value)
{
	char hex[65];
	const char *p;
	size_t n = 0;

	for (p = *value; *p; p++) {
		if (*p == ':' || *p == ' ' || *p == '\t')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 64)
			break;
		hex[n++] = (char)toupper((unsigned char)*p);
	}
	if (*p || (n != 40 && n != 64))
		return perr(ps, ps->line, "'%s' must be an OpenPGP fingerprint (40 or 64 hex digits), not '%s'",
			    k->name, *value);
	hex[n] = '\0';
	free(*value);
	*value = xstrdup(hex);
	return 0;
}

static int check_pgp_encrypt(struct parse *ps, const struct key *k, char **value)
{
	if (strcmp(*value, "never") != 0 && strcmp(*value, "if-possible") != 0 &&
	    strcmp(*value, "always") != 0)
		return perr(ps, ps->line, "'%s' must be never, if-possible or always, not '%s'",
			    k->name, *value);
	return 0;
}

/* An order of the index (lib/sortspec.h): sort, sort_aux. */
static int check_sort(struct parse *ps, const struct key *k, char **value)
{
	struct sortspec sp;

	if (sortspec_parse(*value, &sp) < 0)
		return perr(ps, ps->line, "'%s' must be date, date-received, from, to, subject, size or threads (optionally reverse-...), not '%s'",
			    k->name, *value);
	if (strcmp(k->name, "sort_aux") == 0 && sp.key == SORTSPEC_THREADS)
		return perr(ps, ps->line, "'sort_aux' cannot be threads");
	return 0;
}

/* dsn_notify: never, or a list of success, failure, delay (RFC 3461). */
static int check_dsn_notify(struct parse *ps, const struct key *k, char **value)
{
	const char *p = *value;
	size_t n;

	if (strcasecmp(p, "never") == 0)
		return 0;
	for (;;) {
		n = strcspn(p, ",");
		if (!((n == 7 && strncasecmp(p, "success", 7) == 0) ||
		      (n == 7 && strncasecmp(p, "failure", 7) == 0) ||
		      (n == 5 && strncasecmp(p, "delay", 5) == 0)))
			return perr(ps, ps->line,
				    "'%s' must be never or a list of success, failure, delay, not '%s'",
				    k->name, *value);
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* A count of messages, or a percentage of them ("10%"). */
static int check_count_pct(struct parse *ps, const struct key *k, char **value)
{
	const char *end;
	long n;

	if (parse_count(*value, &end, &n) < 0 || (*end && strcmp(end, "%") != 0))
		return perr(ps, ps->line, "'%s' must be a number of messages or a percentage, not '%s'",
			    k->name, *value);
	return 0;
}

/* ---- parsing ---- */

/* Every key the file may hold.  Adding one is a line here plus its entry
 * in man/surel.conf.5. */
static const struct key keys[] = {
	{ "default_account", IN_GENERAL, check_str },
	{ "send_delay", IN_GENERAL, check_count },
	{ "editor", IN_GENERAL, check_str },
	{ "retry_schedule", IN_GENERAL, check_schedule },
	{ "expire", IN_GENERAL, check_duration },
	/* Delivery tracking (lib/track.h, sendq/flush.h). */
	{ "delay_warning", IN_GENERAL, check_duration },
	{ "track_days", IN_GENERAL, check_count },
	{ "dsn_notify", IN_GENERAL | IN_ACCOUNT, check_dsn_notify },
	{ "log_file", IN_GENERAL, check_path },
	{ "forward_attach", IN_GENERAL, check_yesnoask },
	{ "text_flowed", IN_GENERAL, check_bool },
	{ "sort", IN_GENERAL, check_sort },
	{ "sort_aux", IN_GENERAL, check_sort },
	/* Mailing lists (patterns ~l ~u, list reply): addresses, *@domain. */
	{ "lists", IN_GENERAL | IN_ACCOUNT, check_aliases },
	{ "subscribe", IN_GENERAL | IN_ACCOUNT, check_aliases },
	/* The pager's header fields, in order (mua/weed.h). */
	{ "headers_shown", IN_GENERAL, check_str },
	/* Address completion (lib/abook.h): an account's own, else these. */
	{ "address_cmd", IN_GENERAL | IN_ACCOUNT, check_str },
	{ "aliases_file", IN_GENERAL | IN_ACCOUNT, check_path },
	/* The MUA's palette, one key per entry of mua/ui.h's enum ui_color. */
	{ "color_normal", IN_GENERAL, check_color },
	{ "color_status", IN_GENERAL, check_color },
	{ "color_cursor", IN_GENERAL, check_color },
	{ "color_new", IN_GENERAL, check_color },
	{ "color_flagged", IN_GENERAL, check_color },
	{ "color_deleted", IN_GENERAL, check_color },
	{ "color_tree", IN_GENERAL, check_color },
	{ "color_header", IN_GENERAL, check_color },
	{ "color_quote1", IN_GENERAL, check_color },
	{ "color_quote2", IN_GENERAL, check_color },
	{ "color_quote3", IN_GENERAL, check_color },
	{ "color_error", IN_GENERAL, check_color },

	{ "name", IN_ACCOUNT, check_str },
	{ "address", IN_ACCOUNT, check_address },
	{ "aliases", IN_ACCOUNT, check_aliases },
	{ "maildir", IN_ACCOUNT, check_path },
	{ "smtp", IN_ACCOUNT, check_smtp },
	{ "helo", IN_ACCOUNT, check_helo },
	{ "fetch", IN_ACCOUNT, check_fetch },
	{ "user", IN_ACCOUNT, check_str },
	{ "password_cmd", IN_ACCOUNT, check_str },
	{ "password", IN_ACCOUNT, check_password },
	{ "fetch_folders", IN_ACCOUNT, check_str },
	{ "keep", IN_ACCOUNT, check_bool },
	{ "tls", IN_ACCOUNT, check_onoff },
	{ "tls_ca_file", IN_ACCOUNT, check_path },
	{ "tls_fingerprint", IN_ACCOUNT, check_fpr },
	{ "auth", IN_ACCOUNT, check_auth },
	{ "local_domains", IN_ACCOUNT, check_domains },
	{ "move_to", IN_ACCOUNT, check_str },
	{ "sent_folder", IN_ACCOUNT, check_str },
	{ "drafts_folder", IN_ACCOUNT, check_str },
	{ "trash_folder", IN_ACCOUNT, check_str },
	{ "signature", IN_ACCOUNT, check_path },
	{ "sent_copy", IN_ACCOUNT, check_bool },
	/* PGP/MIME writing (mua/compose, lib/pgpmime) and Autocrypt. */
	{ "pgp_key", IN_ACCOUNT, check_pgp_fpr },
	{ "pgp_sign", IN_ACCOUNT, check_bool },
	{ "pgp_encrypt", IN_ACCOUNT, check_pgp_encrypt },
	{ "autocrypt", IN_ACCOUNT, check_bool },
	{ "rule", IN_ACCOUNT | KEY_NUMBERED, check_rule },
	{ "poll_interval", IN_ACCOUNT, check_duration },
	{ "oauth2_provider", IN_ACCOUNT, check_provider },
	{ "oauth2_client_id", IN_ACCOUNT, check_str },
	{ "oauth2_client_secret_cmd", IN_ACCOUNT, check_str },
	{ "oauth2_auth_url", IN_ACCOUNT, check_https },
	{ "oauth2_token_url", IN_ACCOUNT, check_https },
	{ "oauth2_device_url", IN_ACCOUNT, check_https },
	{ "oauth2_scope", IN_ACCOUNT, check_str },
	{ "oauth2_ca_file", IN_ACCOUNT, check_path },
	{ "sync_folders", IN_ACCOUNT, check_str },
	{ "sync_exclude", IN_ACCOUNT, check_str },
	{ "sync_max_delete", IN_ACCOUNT, check_count_pct },
	{ "sent_upload", IN_ACCOUNT, check_bool },
	/* The search index kept current by the writers of mail (lib/idxhint.h). */
	{ "search_index_auto", IN_ACCOUNT, check_bool },
};


/* N of "NAMEN" for the numbered key k: 1 to KEY_NUM_MAX without leading
 * zeros; 0 when name is not one of k's. */
static unsigned key_num(const struct key *k, const char *name)
{
	size_t n = strlen(k->name);
	unsigned num = 0;
	const char *p;

	if (strncmp(name, k->name, n) != 0 || name[n] < '1' || name[n] > '9')
		return 0;
	for (p = name + n; *p; p++) {
		if (!isdigit((unsigned char)*p) || num > KEY_NUM_MAX / 10)
			return 0;
		num = num * 10 + (unsigned)(*p - '0');
	}
	return num <= KEY_NUM_MAX ? num : 0;
}

static const struct key *key_find(const char *name, unsigned where)
{
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!(keys[i].where & where))
			continue;
		if (keys[i].where & KEY_NUMBERED ? key_num(&keys[i], name) != 0
						 : strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

static const struct entry *entry_find(const struct cfg_account *sec, const char *key)
{
	size_t i;

	for (i = 0; i < sec->n; i++)
		if (strcmp(sec->ents[i].key->name, key) == 0)
			return &sec->ents[i];
	return NULL;
}

static const struct entry *entry_find_num(const struct cfg_account *sec, const struct key *k,
					  unsigned num)
{
	size_t i;

	for (i = 0; i < sec->n; i++)
		if (sec->ents[i].key == k && sec->ents[i].num == num)
			return &sec->ents[i];
	return NULL;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
}

/* Cut an inline comment, '#' or ';' at the start of s or after a blank,
 * then trailing blanks.  Which characters inih strips depends on how it was
 * built (Debian's: ';' only), and the example configuration in
 * doc/DESIGN.md needs '#' ("send_delay = 10   # seconds ..."), so both are
 * handled here. */
static void strip_comment(char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n; i++) {
		if ((s[i] == '#' || s[i] == ';') && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			n = i;
			break;
		}
	}
	s[n] = '\0';
	rtrim(s);
}

/* Account names become parts of file names and command-line arguments. */
static int account_name_ok(const char *name)
{
	const char *p;

	if (*name == '.' || *name == '-')
		return 0;
	for (p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '/')
			return 0;
	return 1;
}

/* [keys MENU]: the lines up to the next section are kept raw (keyline). */
static int keys_begin(struct parse *ps, const char *menu)
{
	static const char *const menus[] = { "index", "pager", "compose" };
	size_t i;

	for (i = 0; i < sizeof(menus) / sizeof(menus[0]); i++) {
		if (strcmp(menu, menus[i]) == 0) {
			ps->keys_menu = menus[i];
			ps->cur = NULL;
			return 0;
		}
	}
	return perr(ps, ps->line, "unknown section [keys %s]; use [keys index], [keys pager] or [keys compose]",
		    menu);
}

static void keys_add(struct parse *ps, const char *p, size_t len)
{
	struct cfg *cfg = ps->cfg;
	struct keyline *k;

	cfg->keys = xreallocarray(cfg->keys, cfg->n_keys + 1, sizeof(*cfg->keys));
	k = &cfg->keys[cfg->n_keys++];
	k->menu = xstrdup(ps->keys_menu);
	k->text = xmemdup(p, len);
	k->line = ps->line;
}

/* A "[...]" line: start the section it names. */
static int section_begin(struct parse *ps, const char *line, size_t len)
{
	struct cfg *cfg = ps->cfg;
	char *inner, *rest, *name;
	const char *close = memchr(line, ']', len);
	struct cfg_account *a;
	size_t i;

	if (!close)
		return perr(ps, ps->line, "section header without ']'");
	rest = xmemdup(close + 1, len - (size_t)(close + 1 - line));
	strip_comment(rest);
	i = strspn(rest, " \t");
	if (rest[i] != '\0') {
		free(rest);
		return perr(ps, ps->line, "text after the section header");
	}
	free(rest);
	inner = xmemdup(line + 1, (size_t)(close - line - 1));
	name = inner + strspn(inner, " \t");
	rtrim(name);
	ps->keys_menu = NULL;
	if (strncmp(name, "keys", 4) == 0 && (name[4] == ' ' || name[4] == '\t')) {
		int rc = keys_begin(ps, name + 4 + strspn(name + 4, " \t"));

		free(inner);
		return rc;
	}
	if (strcmp(name, "general") == 0) {
		if (cfg->general.line) {
			free(inner);
			return perr(ps, ps->line, "duplicate section [general] (first on line %d)",
				    cfg->general.line);
		}
		cfg->general.line = ps->line;
		ps->cur = &cfg->general;
		free(inner);
		return 0;
	}
	if (strncmp(name, "account", 7) != 0 || (name[7] != '\0' && name[7] != ' ' && name[7] != '\t')) {
		perr(ps, ps->line, "unknown section [%s]; use [general], [account NAME] or [keys MENU]",
		     name);
		free(inner);
		return -1;
	}
	name += 7;
	name += strspn(name, " \t");
	if (*name == '\0') {
		free(inner);
		return perr(ps, ps->line, "section [account] needs a name, as in [account work]");
	}
	if (!account_name_ok(name)) {
		perr(ps, ps->line, "[account %s] needs a name without blanks, '/' or a leading '.' or '-'",
		     name);
		free(inner);
		return -1;
	}
	for (i = 0; i < cfg->n_accts; i++) {
		if (strcmp(cfg->accts[i].name, name) == 0) {
			perr(ps, ps->line, "duplicate section [account %s] (first on line %d)", name,
			     cfg->accts[i].line);
			free(inner);
			return -1;
		}
	}
	cfg->accts = xreallocarray(cfg->accts, cfg->n_accts + 1, sizeof(*cfg->accts));
	a = &cfg->accts[cfg->n_accts++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	a->line = ps->line;
	ps->cur = a;
	free(inner);
	return 0;
}

/* inih's reader: hand over the next line of the file, counting lines (the
 * installed inih is built without INI_HANDLER_LINENO, and defining it here
 * would not change the library).  Leading blanks are dropped so an indented
 * key is a key, not inih's multi-line continuation of the previous value.
 * Section headers are handled here too: inih reports no empty sections and
 * no repeated ones.  Returning NULL ends the parse. */
static char *next_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	const char *p, *nl;
	size_t len;

	if (ps->fail_line || ps->pos >= ps->len)
		return NULL;
	p = ps->data + ps->pos;
	nl = memchr(p, '\n', ps->len - ps->pos);
	len = nl ? (size_t)(nl - p) : ps->len - ps->pos;
	ps->pos += len + (nl ? 1 : 0);
	ps->line++;
	/* A UTF-8 byte order mark: inih would skip it only after we had
	 * looked at the line. */
	if (ps->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if (memchr(p, '\0', len)) {
		perr(ps, ps->line, "NUL byte in line");
		return NULL;
	}
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	if (num < 1 || len > (size_t)num - 1) {
		perr(ps, ps->line, "line longer than %d bytes", num - 1);
		return NULL;
	}
	if (len > 0 && *p == '[' && section_begin(ps, p, len) < 0)
		return NULL;
	/* inih sees a blank line instead: a binding such as "= = first-entry"
	 * or "; = tag-prefix" is no key = value pair.  A line starting with
	 * '#' or ';' is a comment unless '=' follows (that key's binding). */
	if (ps->keys_menu && *p != '[') {
		size_t b = 1;

		while (b < len && (p[b] == ' ' || p[b] == '\t'))
			b++;
		if (len > 0 && ((*p != '#' && *p != ';') || (b < len && p[b] == '=')))
			keys_add(ps, p, len);
		len = 0;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	return str;
}

/* One key = value line of the current section. */
static int add_pair(struct parse *ps, const char *name, const char *value)
{
	struct cfg_account *sec = ps->cur;
	const struct key *k;
	const struct entry *dup;
	struct entry *e;
	char label[128];
	char *v;

	if (!sec)
		return perr(ps, ps->line, "key '%s' outside a section; put it under [general] or [account NAME]",
			    name);
	k = key_find(name, sec->name ? IN_ACCOUNT : IN_GENERAL);
	if (!k && key_find(name, sec->name ? IN_GENERAL : IN_ACCOUNT))
		return perr(ps, ps->line, "key '%s' belongs in %s, not %s", name,
			    sec->name ? "[general]" : "[account NAME]",
			    section_label(sec, label, sizeof(label)));
	if (!k)
		return perr(ps, ps->line, "unknown key '%s' in %s", name,
			    section_label(sec, label, sizeof(label)));
	dup = entry_find(sec, k->name);
	if (k->where & KEY_NUMBERED)
		dup = entry_find_num(sec, k, key_num(k, name));
	if (dup)
		return perr(ps, ps->line, "duplicate key '%s' in %s (first on line %d)", name,
			    section_label(sec, label, sizeof(label)), dup->line);
	v = xstrdup(value);
	strip_comment(v);
	if (*v == '\0') {
		free(v);
		return perr(ps, ps->line, "'%s' has no value; remove the line to leave it unset",
			    name);
	}
	ps->key = name;
	if (k->check(ps, k, &v) < 0) {
		explicit_bzero(v, strlen(v));
		free(v);
		return -1;
	}
	ps->key = NULL;
	sec->ents = xreallocarray(sec->ents, sec->n + 1, sizeof(*sec->ents));
	e = &sec->ents[sec->n++];
	e->key = k;
	e->value = v;
	e->line = ps->line;
	e->num = k->where & KEY_NUMBERED ? key_num(k, name) : 0;
	return 0;
}

/* inih's handler: non-zero to go on.  The section inih passes is ignored;
 * next_line() tracked it already. */
static int on_pair(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;

	if (ps->fail_line)
		return 0;
	return add_pair(ps, name, value) == 0;
}

/* auth = oauth2 needs a client id and a token endpoint, from the keys or
 * a provider preset. */
static int check_oauth2(struct parse *ps, const struct cfg_account *a)
{
	const struct entry *auth = entry_find(a, "auth"), *prov = entry_find(a, "oauth2_provider");

	if (!auth || strcmp(auth->value, "oauth2") != 0)
		return 0;
	if (!entry_find(a, "oauth2_client_id"))
		return perr(ps, auth->line, "[account %s] has auth = oauth2 but no 'oauth2_client_id'",
			    a->name);
	if (!entry_find(a, "oauth2_token_url") && (!prov || strcmp(prov->value, "custom") == 0))
		return perr(ps, auth->line,
			    "[account %s] has auth = oauth2 but neither 'oauth2_provider' nor 'oauth2_token_url'",
			    a->name);
	return 0;
}

/* Checks that need the whole file. */
static int check_file(struct parse *ps)
{
	struct cfg *cfg = ps->cfg;
	const struct entry *e, *pw, *cmd;
	size_t i;

	for (i = 0; i < cfg->n_accts; i++) {
		const struct cfg_account *a = &cfg->accts[i];

		if (!entry_find(a, "address"))
			return perr(ps, a->line, "[account %s] has no 'address'", a->name);
		pw = entry_find(a, "password");
		cmd = entry_find(a, "password_cmd");
		if (pw && cmd)
			return perr(ps, pw->line > cmd->line ? pw->line : cmd->line,
				    "[account %s] sets both 'password' and 'password_cmd'", a->name);
		if (check_oauth2(ps, a) < 0)
			return -1;
	}
	e = entry_find(&cfg->general, "default_account");
	if (e) {
		for (i = 0; i < cfg->n_accts; i++)
			if (strcmp(cfg->accts[i].name, e->value) == 0)
				break;
		if (i == cfg->n_accts)
			return perr(ps, e->line, "default_account '%s' names no [account %s] section",
				    e->value, e->value);
	}
	return 0;
}

/* Every account gets a maildir, so all programs agree on the default. */
static void fill_defaults(struct cfg *cfg)
{
	struct cfg_account *a;
	struct entry *e;
	char *rel;
	size_t i;

	for (i = 0; i < cfg->n_accts; i++) {
		a = &cfg->accts[i];
		if (entry_find(a, "maildir"))
			continue;
		a->ents = xreallocarray(a->ents, a->n + 1, sizeof(*a->ents));
		e = &a->ents[a->n++];
		e->key = key_find("maildir", IN_ACCOUNT);
		rel = xasprintf("~/Mail/%s", a->name);
		e->value = path_expand(rel);
		free(rel);
		e->line = 0;
		e->num = 0;
	}
}

/* The path with $HOME shown as '~', as users write it. */
static char *shown_path(const char *path)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;

	while (n > 1 && home[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
		return xasprintf("~%s", path + n);
	return xstrdup(path);
}

/* Read all of fd (a regular file of size bytes) into a buffer sized once,
 * so no realloc leaves a copy of a password behind. */
static int read_file(int fd, const struct stat *st, const char *shown, char **data_out,
		     size_t *len_out, struct err *err)
{
	size_t cap, len = 0;
	ssize_t r;
	char *data;

	if (st->st_size > CFG_MAX_BYTES)
		return err_set(err, EX_CONFIG, "%s: larger than %d KiB", shown, CFG_MAX_BYTES / 1024);
	/* One byte of slack tells a file that grew while we read it. */
	cap = (size_t)st->st_size + 1;
	data = xmalloc(cap + 1);
	for (;;) {
		r = read(fd, data + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			explicit_bzero(data, len);
			free(data);
			return err_sys(err, EX_CONFIG, "cannot read '%s'", shown);
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			explicit_bzero(data, len);
			free(data);
			return err_set(err, EX_CONFIG, "%s: file changed while being read", shown);
		}
	}
	data[len] = '\0';
	*data_out = data;
	*len_out = len;
	return 0;
}

char *cfg_default_path(void)
{
	return path_xdg(PATH_XDG_CONFIG, "config");
}

struct cfg *cfg_load(const char *path, struct err *err)
{
	struct parse ps;
	struct stat st;
	struct cfg *cfg;
	char *data = NULL;
	int fd, rc;

	memset(&ps, 0, sizeof(ps));
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = path ? xstrdup(path) : cfg_default_path();
	ps.cfg = cfg;
	ps.err = err;
	ps.shown = shown_path(cfg->path);

	fd = open(cfg->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_sys(err, EX_CONFIG, "cannot open '%s'", ps.shown);
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		err_sys(err, EX_CONFIG, "cannot stat '%s'", ps.shown);
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(err, EX_CONFIG, "'%s' is not a regular file", ps.shown);
		close(fd);
		goto fail;
	}
	ps.others_can_read = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	rc = read_file(fd, &st, ps.shown, &data, &ps.len, err);
	close(fd);
	if (rc < 0)
		goto fail;
	ps.data = data;

	rc = ini_parse_stream(next_line, &ps, on_pair, &ps);
	explicit_bzero(data, ps.len);
	free(data);
	/* inih's own complaint (a line that is neither a key nor a section)
	 * wins when it comes first; it numbers lines as next_line does. */
	if (rc > 0 && (!ps.fail_line || rc < ps.fail_line)) {
		ps.fail_line = 0;
		perr(&ps, rc, "expected 'key = value', '[section]' or a comment");
	} else if (rc < 0 && !ps.fail_line) {
		err_set(err, EX_OSERR, "%s: inih could not parse the file (%d)", ps.shown, rc);
		goto fail;
	}
	if (ps.fail_line || check_file(&ps) < 0)
		goto fail;
	fill_defaults(cfg);
	free(ps.shown);
	return cfg;
fail:
	free(ps.shown);
	cfg_free(cfg);
	return NULL;
}

static void section_release(struct cfg_account *sec)
{
	size_t i;

	/* Wiping every value is simpler than remembering which hold secrets. */
	for (i = 0; i < sec->n; i++) {
		explicit_bzero(sec->ents[i].value, strlen(sec->ents[i].value));
		free(sec->ents[i].value);
	}
	free(sec->ents);
	free(sec->name);
}

void cfg_free(struct cfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	section_release(&cfg->general);
	for (i = 0; i < cfg->n_accts; i++)
		section_release(&cfg->accts[i]);
	free(cfg->accts);
	for (i = 0; i < cfg->n_keys; i++) {
		free(cfg->keys[i].menu);
		free(cfg->keys[i].text);
	}
	free(cfg->keys);
	free(cfg->path);
	free(cfg);
}

size_t cfg_keys_count(const struct cfg *cfg)
{
	return cfg ? cfg->n_keys : 0;
}

const char *cfg_keys_at(const struct cfg *cfg, size_t i, const char **menu, int *line)
{
	*menu = cfg->keys[i].menu;
	*line = cfg->keys[i].line;
	return cfg->keys[i].text;
}

const char *cfg_path(const struct cfg *cfg)
{
	return cfg->path;
}

const char *cfg_general(const struct cfg *cfg, const char *key)
{
	const struct entry *e = entry_find(&cfg->general, key);

	return e ? e->value : NULL;
}

long cfg_general_int(const struct cfg *cfg, const char *key, long dflt)
{
	const char *v = cfg_general(cfg, key);
	const char *end;
	long n;

	return v && parse_count(v, &end, &n) == 0 && !*end ? n : dflt;
}

long cfg_general_duration(const struct cfg *cfg, const char *key, long dflt)
{
	const char *v = cfg_general(cfg, key);
	long n;

	return v && whole_duration(v, &n) == 0 ? n : dflt;
}

long cfg_retry_delay(const struct cfg *cfg, unsigned attempt)
{
	const char *p = cfg_general(cfg, "retry_schedule");
	const char *end;
	long n, last = 60;   /* only for an empty list, which load refuses */
	unsigned i;

	if (!p)
		p = CFG_RETRY_DEFAULT;
	/* The list was checked at load: durations, blanks and commas only. */
	for (i = 1;; i++) {
		p += strspn(p, " \t,");
		if (parse_duration(p, &end, &n) < 0)
			return last;
		last = n;
		if (i >= attempt)
			return last;
		p = end;
	}
}

size_t cfg_account_count(const struct cfg *cfg)
{
	return cfg->n_accts;
}

const struct cfg_account *cfg_account_at(const struct cfg *cfg, size_t i)
{
	return i < cfg->n_accts ? &cfg->accts[i] : NULL;
}

const struct cfg_account *cfg_account_find(const struct cfg *cfg, const char *name,
					   struct err *err)
{
	char *shown;
	size_t i;

	if (!name)
		name = cfg_general(cfg, "default_account");
	if (!name) {
		if (cfg->n_accts > 0)
			return &cfg->accts[0];
		shown = shown_path(cfg->path);
		err_set(err, EX_CONFIG, "%s: no [account NAME] section", shown);
		free(shown);
		return NULL;
	}
	for (i = 0; i < cfg->n_accts; i++)
		if (strcmp(cfg->accts[i].name, name) == 0)
			return &cfg->accts[i];
	shown = shown_path(cfg->path);
	err_set(err, EX_CONFIG, "%s: no account '%s'", shown, name);
	free(shown);
	return NULL;
}

/* Whether addr is an address in p (an aliases value), or with patterns
 * set, whether it matches one of its "*@domain" items instead. */
static int list_match(const char *p, const char *addr, int patterns)
{
	const char *s, *dom = strrchr(addr, '@');
	size_t n, len = strlen(addr);

	if (!p)
		return 0;
	while ((s = alias_next(&p, &n)) != NULL) {
		if (patterns && s[0] == '*') {
			if (dom && dom != addr && strlen(dom) == n - 1 &&
			    strncasecmp(dom, s + 1, n - 1) == 0)
				return 1;
		} else if (!patterns && s[0] != '*' && n == len && strncasecmp(s, addr, n) == 0) {
			return 1;
		}
	}
	return 0;
}

static int alias_match(const struct cfg_account *a, const char *addr, int patterns)
{
	return list_match(cfg_get(a, "aliases"), addr, patterns);
}

/* Whether key (lists or subscribe) of a names addr. */
static int names_list(const struct cfg_account *a, const char *key, const char *addr)
{
	const char *v = cfg_get(a, key);

	return list_match(v, addr, 0) || list_match(v, addr, 1);
}

int cfg_list_kind(const struct cfg *cfg, const char *addr)
{
	int kind = 0;
	size_t i;

	if (!cfg)
		return 0;
	for (i = 0; i <= cfg->n_accts && kind < 2; i++) {
		const struct cfg_account *a = i ? &cfg->accts[i - 1] : &cfg->general;

		if (names_list(a, "subscribe", addr))
			kind = 2;
		else if (names_list(a, "lists", addr))
			kind = 1;
	}
	return kind;
}

int cfg_account_has_address(const struct cfg_account *a, const char *addr)
{
	const char *v = cfg_get(a, "address");

	return (v && strcasecmp(v, addr) == 0) || alias_match(a, addr, 0) || alias_match(a, addr, 1);
}

const struct cfg_account *cfg_account_for_address(const struct cfg *cfg, const char *addr)
{
	const char *v;
	size_t i;
	int patterns;

	for (i = 0; i < cfg->n_accts; i++) {
		v = cfg_get(&cfg->accts[i], "address");
		if (v && strcasecmp(v, addr) == 0)
			return &cfg->accts[i];
	}
	/* The more precise item wins: an account's address over another's
	 * alias, an alias over a pattern, so a "*@example.org" catch-all
	 * does not take the mail of a colleague account at that domain. */
	for (patterns = 0; patterns <= 1; patterns++)
		for (i = 0; i < cfg->n_accts; i++)
			if (alias_match(&cfg->accts[i], addr, patterns))
				return &cfg->accts[i];
	return NULL;
}

const char *cfg_account_name(const struct cfg_account *a)
{
	return a->name;
}

const char *cfg_get(const struct cfg_account *a, const char *key)
{
	const struct entry *e = entry_find(a, key);

	return e ? e->value : NULL;
}

const char *cfg_get_nth(const struct cfg_account *a, const char *key, size_t i)
{
	unsigned last = 0;
	size_t j, k;

	/* Selection by number: accounts hold a handful of such keys. */
	for (k = 0; k <= i; k++) {
		const struct entry *next = NULL;

		for (j = 0; j < a->n; j++) {
			const struct entry *e = &a->ents[j];

			if ((e->key->where & KEY_NUMBERED) && strcmp(e->key->name, key) == 0 &&
			    e->num > last && (!next || e->num < next->num))
				next = e;
		}
		if (!next)
			return NULL;
		if (k == i)
			return next->value;
		last = next->num;
	}
	return NULL;
}

struct rules *cfg_rules(const struct cfg_account *a, struct err *err)
{
	struct rules *r = rules_new();
	const char *spec;
	size_t i;

	for (i = 0; (spec = cfg_get_nth(a, "rule", i)); i++) {
		if (rules_add(r, spec, err) < 0) {
			err_prefix(err, "account '%s': rule %zu", cfg_account_name(a), i + 1);
			rules_free(r);
			return NULL;
		}
	}
	return r;
}

int cfg_get_bool(const struct cfg_account *a, const char *key, int dflt)
{
	const char *v = cfg_get(a, key);
	int b;

	return v && parse_bool(v, &b) == 0 ? b : dflt;
}

int cfg_general_bool(const struct cfg *cfg, const char *key, int dflt)
{
	const char *v = cfg ? cfg_general(cfg, key) : NULL;
	int b;

	return v && parse_bool(v, &b) == 0 ? b : dflt;
}

long cfg_get_duration(const struct cfg_account *a, const char *key, long dflt)
{
	const char *v = cfg_get(a, key);
	long n;

	return v && whole_duration(v, &n) == 0 ? n : dflt;
}
