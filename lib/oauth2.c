#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>

#include "afile.h"
#include "codec.h"
#include "log.h"
#include "oauth2.h"
#include "path.h"
#include "pwcmd.h"
#include "xalloc.h"

/* A token reply or a store larger than this is not one. */
#define BODY_MAX (256 * 1024)
#define STORE_MAX (64 * 1024)

/* The endpoints and scopes the providers document: Google's OAuth 2.0 for
 * installed apps (one scope for IMAP, POP3 and SMTP), and the Microsoft
 * identity platform's v2.0 endpoints of the common tenant with the
 * Exchange Online scopes for IMAP, POP and SMTP AUTH.  A provider that
 * moves them is followed with the oauth2_*_url keys meanwhile.
 * Google has a device endpoint, but its device flow does not grant the
 * mail scope, so the preset leaves it out and `spool auth` uses the
 * browser. */
struct preset {
	const char *name;
	const char *auth_url;
	const char *token_url;
	const char *device_url;
	const char *scope;
};

static const struct preset presets[] = {
	{ "google", "https://accounts.google.com/o/oauth2/v2/auth",
	  "https://oauth2.googleapis.com/token", NULL, "https://mail.google.com/" },
	{ "microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
	  "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	  "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	  "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
	  "https://outlook.office.com/POP.AccessAsUser.All https://outlook.office.com/SMTP.Send" },
	{ "custom", NULL, NULL, NULL, NULL },
};

struct oauth2 {
	char *account;
	const char *provider;
	const char *client_id;
	const char *secret_cmd;  /* NULL: a public client */
	const char *auth_url;
	const char *token_url;
	const char *device_url;
	const char *scope;
	const char *ca_file;
	char *store;
	char *lock;
	oauth2_post_fn *post;
	void *post_ctx;
};

static int curl_post(void *ctx, const char *url, const char *form, long *status_out,
		     struct buf *body, struct err *err);

/* ---- settings ---- */

static const char *pick(const struct cfg_account *a, const char *key, const char *dflt)
{
	const char *v = cfg_get(a, key);

	return v ? v : dflt;
}

struct oauth2 *oauth2_new(const struct cfg_account *a, struct err *err)
{
	static const struct preset none = { "custom", NULL, NULL, NULL, NULL };
	const char *name = cfg_account_name(a), *prov = cfg_get(a, "oauth2_provider");
	const struct preset *p = &none;
	const struct rlimit nocore = { 0, 0 };
	struct oauth2 *o;
	char *sub;
	size_t i;

	for (i = 0; prov && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, prov) == 0)
			p = &presets[i];
	o = xcalloc(1, sizeof(*o));
	o->account = xstrdup(name);
	o->provider = p->name;
	o->client_id = cfg_get(a, "oauth2_client_id");
	o->secret_cmd = cfg_get(a, "oauth2_client_secret_cmd");
	o->auth_url = pick(a, "oauth2_auth_url", p->auth_url);
	o->token_url = pick(a, "oauth2_token_url", p->token_url);
	o->device_url = pick(a, "oauth2_device_url", p->device_url);
	o->scope = pick(a, "oauth2_scope", p->scope);
	o->ca_file = cfg_get(a, "oauth2_ca_file");
	o->post = curl_post;
	o->post_ctx = o;
	if (!o->client_id || !o->token_url) {
		err_set(err, EX_CONFIG, "account '%s': auth = oauth2 needs %s", name,
			!o->client_id ? "oauth2_client_id" : "oauth2_token_url (or an oauth2_provider)");
		oauth2_free(o);
		return NULL;
	}
	sub = xasprintf("oauth2/%s", name);
	o->store = path_xdg(PATH_XDG_STATE, sub);
	free(sub);
	o->lock = xasprintf("%s.lock", o->store);
	/* A core file would hold the tokens this process reads. */
	(void)setrlimit(RLIMIT_CORE, &nocore);
	return o;
}

void oauth2_free(struct oauth2 *o)
{
	if (!o)
		return;
	free(o->account);
	free(o->store);
	free(o->lock);
	free(o);
}

void oauth2_set_post(struct oauth2 *o, oauth2_post_fn *fn, void *ctx)
{
	o->post = fn ? fn : curl_post;
	o->post_ctx = fn ? ctx : o;
}

const char *oauth2_store_path(const struct oauth2 *o)
{
	return o->store;
}

int oauth2_has_device(const struct oauth2 *o)
{
	return o->device_url != NULL;
}

/* ---- HTTPS ---- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	if (n > BODY_MAX || b->len + size * n > BODY_MAX)
		return 0;
	buf_append(b, p, size * n);
	return size * n;
}

static int curl_post(void *ctx, const char *url, const char *form, long *status_out,
		     struct buf *body, struct err *err)
{
	const struct oauth2 *o = ctx;
	struct curl_slist *hdr = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *h;

	h = curl_easy_init();
	if (!h)
		return err_set(err, EX_OSERR, "cannot start libcurl");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* Only https, and no redirects: the form holds secrets. */
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "surel/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status_out);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
		return err_set(err, EX_UNAVAILABLE, "'%s': certificate does not verify: %s", url,
			       errbuf[0] ? errbuf : curl_easy_strerror(rc));
	if (rc == CURLE_UNSUPPORTED_PROTOCOL)
		return err_set(err, EX_CONFIG, "'%s': only https:// endpoints are used", url);
	if (rc != CURLE_OK)
		return err_set(err, EX_TEMPFAIL, "cannot reach '%s': %s", url,
			       errbuf[0] ? errbuf : curl_easy_strerror(rc));
	return 0;
}

/* name=value for an application/x-www-form-urlencoded body. */
static void form_add(struct buf *b, const char *name, const char *value)
{
	const unsigned char *p;

	if (b->len)
		buf_putc(b, '&');
	buf_puts(b, name);
	buf_putc(b, '=');
	for (p = (const unsigned char *)value; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			buf_putc(b, *p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* The client's id, and its secret when it has one. */
static int form_client(const struct oauth2 *o, struct buf *form, struct err *err)
{
	char *secret;

	form_add(form, "client_id", o->client_id);
	if (!o->secret_cmd)
		return 0;
	if (pwcmd_run(o->secret_cmd, &secret, err) < 0) {
		err_prefix(err, "oauth2_client_secret_cmd");
		return -1;
	}
	form_add(form, "client_secret", secret);
	pwcmd_free(secret);
	return 0;
}

/* POST form to url and read the reply as a token response; form and the
 * reply are wiped. */
static int post_tokens(const struct oauth2 *o, const char *url, struct buf *form,
		       struct oauth2_tokens *t, struct err *err)
{
	struct buf body = BUF_INIT;
	long status = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	buf_putc(form, '\0');
	rc = o->post(o->post_ctx, url, form->data, &status, &body, err);
	buf_wipe(form);
	if (rc == 0)
		rc = oauth2_parse_tokens(status, body.data, body.len, time(NULL), t, err);
	buf_wipe(&body);
	return rc;
}

/* ---- token replies ---- */

void oauth2_tokens_release(struct oauth2_tokens *t)
{
	if (!t)
		return;
	pwcmd_free(t->access);
	pwcmd_free(t->refresh);
	t->access = NULL;
	t->refresh = NULL;
}

/* A token is sent in SASL and HTTP headers and stored as one word. */
static int token_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* The endpoint's error member and its description, for the error line. */
static int refusal(json_t *root, long status, struct oauth2_tokens *t, struct err *err)
{
	const char *code = json_string_value(json_object_get(root, "error"));
	const char *desc = json_string_value(json_object_get(root, "error_description"));
	int cls = EX_PROTOCOL;

	snprintf(t->error, sizeof(t->error), "%s", code);
	if (strcmp(code, "invalid_grant") == 0)
		cls = EX_NOPERM;
	else if (strcmp(code, "invalid_client") == 0 || strcmp(code, "unauthorized_client") == 0)
		cls = EX_CONFIG;
	else if (status >= 500)
		cls = EX_TEMPFAIL;
	return err_set(err, cls, "token endpoint refused: %.60s%s%.120s%s", code,
		       desc ? " (" : "", desc ? desc : "", desc ? ")" : "");
}

/* expires_in as a number or, as some servers send it, a string. */
static long long expires_in(json_t *v)
{
	const char *s;
	long long n;
	char *end;

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	s = json_string_value(v);
	if (!s)
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	return errno || end == s || *end ? -1 : n;
}

int oauth2_parse_tokens(long status, const char *body, size_t len, time_t now,
			struct oauth2_tokens *t, struct err *err)
{
	json_t *root, *v;
	const char *access, *refresh, *type;
	long long in = 3600;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	root = json_loadb(body ? body : "", len, 0, NULL);
	if (root && json_is_object(root) && json_is_string(json_object_get(root, "error"))) {
		rc = refusal(root, status, t, err);
		goto out;
	}
	if (status >= 500) {
		err_set(err, EX_TEMPFAIL, "token endpoint: HTTP %ld", status);
		goto out;
	}
	if (status != 200 || !root || !json_is_object(root)) {
		err_set(err, EX_PROTOCOL, "token endpoint: HTTP %ld without a token response", status);
		goto out;
	}
	access = json_string_value(json_object_get(root, "access_token"));
	refresh = json_string_value(json_object_get(root, "refresh_token"));
	type = json_string_value(json_object_get(root, "token_type"));
	v = json_object_get(root, "expires_in");
	if (v)
		in = expires_in(v);
	if (!access || !token_ok(access) || (refresh && !token_ok(refresh))) {
		err_set(err, EX_PROTOCOL, "token endpoint: no usable access_token in the reply");
		goto out;
	}
	if (type && strcasecmp(type, "bearer") != 0) {
		err_set(err, EX_PROTOCOL, "token endpoint: token_type '%.40s' is not Bearer", type);
		goto out;
	}
	if (in < 0) {
		err_set(err, EX_PROTOCOL, "token endpoint: bad expires_in");
		goto out;
	}
	t->access = xstrdup(access);
	t->refresh = refresh ? xstrdup(refresh) : NULL;
	t->expires = (long long)now + in;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---- the store ---- */

static int store_line(struct oauth2_tokens *t, const char *line, struct err *err)
{
	const char *sp = strchr(line, ' ');
	const char *v = sp ? sp + 1 : "";
	size_t klen = sp ? (size_t)(sp - line) : strlen(line);
	char *end;

	if (klen == 7 && strncmp(line, "version", 7) == 0) {
		if (strcmp(v, "1") != 0)
			return err_set(err, EX_DATAERR, "version '%.20s' is not 1", v);
	} else if (klen == 7 && strncmp(line, "expires", 7) == 0) {
		errno = 0;
		t->expires = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return err_set(err, EX_DATAERR, "bad expires");
	} else if (klen == 12 && strncmp(line, "access_token", 12) == 0) {
		if (!token_ok(v) || t->access)
			return err_set(err, EX_DATAERR, "bad access_token");
		t->access = xstrdup(v);
	} else if (klen == 13 && strncmp(line, "refresh_token", 13) == 0) {
		if (!token_ok(v) || t->refresh)
			return err_set(err, EX_DATAERR, "bad refresh_token");
		t->refresh = xstrdup(v);
	}
	return 0;
}

/* The file must be the user's own and closed to everyone else, since it
 * grants access to the mailbox. */
static int store_open(const char *path, struct err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return err_sys(err, afile_err_code(errno, EX_NOINPUT), "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		err_sys(err, EX_IOERR, "cannot stat '%s'", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077)) {
		err_set(err, EX_CONFIG, "'%s' refused: it must be a file of yours that only you can read (chmod 600 it)",
			path);
		close(fd);
		return -1;
	}
	return fd;
}

int oauth2_store_read(const char *path, struct oauth2_tokens *t, struct err *err)
{
	char *data = xmalloc(STORE_MAX + 1), *line, *save = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, lineno = 0, rc = 0;

	memset(t, 0, sizeof(*t));
	fd = store_open(path, err);
	if (fd < 0) {
		free(data);
		return -1;
	}
	while (len < STORE_MAX && (r = read(fd, data + len, STORE_MAX - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_sys(err, afile_err_code(errno, EX_IOERR), "cannot read '%s'", path);
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	data[len] = '\0';
	if (rc == 0 && (len == STORE_MAX || memchr(data, '\0', len)))
		rc = err_set(err, EX_DATAERR, "'%s': not a token store", path);
	for (line = strtok_r(data, "\n", &save); rc == 0 && line;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (store_line(t, line, err) < 0) {
			err_prefix(err, "'%s' line %d", path, lineno);
			rc = -1;
		}
	}
	explicit_bzero(data, STORE_MAX + 1);
	free(data);
	if (rc < 0)
		oauth2_tokens_release(t);
	return rc;
}

int oauth2_store_write(const char *path, const struct oauth2_tokens *t, struct err *err)
{
	struct buf b = BUF_INIT;
	char *dir = path_dirname(path);
	int rc;

	rc = afile_mkdirs(dir, err);
	free(dir);
	if (rc < 0)
		return -1;
	buf_printf(&b, "version 1\nexpires %lld\n", t->expires);
	if (t->access)
		buf_printf(&b, "access_token %s\n", t->access);
	if (t->refresh)
		buf_printf(&b, "refresh_token %s\n", t->refresh);
	rc = afile_write(path, b.data, b.len, 0600, err);
	buf_wipe(&b);
	if (rc < 0)
		err_prefix(err, "cannot store the tokens in '%s'", path);
	return rc;
}

/* ---- refresh ---- */

static int signin_needed(const struct oauth2 *o, struct err *err)
{
	return err_set(err, EX_NOPERM, "%s: sign-in needed: run spool auth -A %s", o->account,
		       o->account);
}

int oauth2_is_signin(const struct err *err)
{
	return err->code == EX_NOPERM && strstr(err->msg, ": sign-in needed: run spool auth -A ") != NULL;
}

void oauth2_signin_plain(struct err *err)
{
	static const char tail[] = ": sign-in needed: run spool auth -A ";
	const char *t = strstr(err->msg, tail), *name;
	char msg[sizeof(err->msg)];

	if (!oauth2_is_signin(err) || !t)
		return;
	name = t + sizeof(tail) - 1;
	snprintf(msg, sizeof(msg), "%s%s%s", name, tail, name);
	memcpy(err->msg, msg, sizeof(msg));
}

int oauth2_signin_text(const char *text, char *name, size_t size)
{
	static const char tail[] = ": sign-in needed: run spool auth -A ";
	const char *t = text ? strstr(text, tail) : NULL;

	if (!t)
		return 0;
	snprintf(name, size, "%s", t + sizeof(tail) - 1);
	return 1;
}

/* The store's access token, if it may be given out now. */
static int usable(const struct oauth2_tokens *t, const char *rejected, time_t now)
{
	return t->access && t->expires - (long long)now > OAUTH2_MARGIN &&
	       (!rejected || strcmp(rejected, t->access) != 0);
}

static int read_store(const struct oauth2 *o, struct oauth2_tokens *t, struct err *err)
{
	if (oauth2_store_read(o->store, t, err) == 0)
		return 0;
	if (err->code == EX_NOINPUT && err->errnum == ENOENT)
		return signin_needed(o, err);
	return -1;
}

/* Under the lock: another process may have refreshed while this one
 * waited, so the store is read again before anything is sent. */
static int refresh_locked(const struct oauth2 *o, const char *rejected, char **token_out,
			  struct err *err)
{
	struct oauth2_tokens t, nt;
	struct buf form = BUF_INIT;
	int rc;

	if (read_store(o, &t, err) < 0)
		return -1;
	if (usable(&t, rejected, time(NULL))) {
		*token_out = t.access;
		t.access = NULL;
		oauth2_tokens_release(&t);
		return 0;
	}
	if (!t.refresh) {
		oauth2_tokens_release(&t);
		return signin_needed(o, err);
	}
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", t.refresh);
	if (form_client(o, &form, err) < 0) {
		buf_wipe(&form);
		oauth2_tokens_release(&t);
		return -1;
	}
	rc = post_tokens(o, o->token_url, &form, &nt, err);
	if (rc < 0 && strcmp(nt.error, "invalid_grant") == 0) {
		log_info("%s: %s", o->account, err->msg);
		rc = signin_needed(o, err);
	}
	if (rc == 0) {
		/* A provider that does not rotate keeps the old one valid. */
		if (!nt.refresh) {
			nt.refresh = t.refresh;
			t.refresh = NULL;
		}
		/* afile_write() has the new file durable before the rename
		 * drops the old one: a rotated refresh token is never lost. */
		rc = oauth2_store_write(o->store, &nt, err);
		if (rc == 0) {
			*token_out = nt.access;
			nt.access = NULL;
			log_debug("%s: access token refreshed", o->account);
		}
	}
	oauth2_tokens_release(&nt);
	oauth2_tokens_release(&t);
	return rc;
}

int oauth2_token(struct oauth2 *o, const char *rejected, char **token_out, struct err *err)
{
	struct oauth2_tokens t;
	int lock, rc;

	*token_out = NULL;
	if (read_store(o, &t, err) < 0)
		return -1;
	if (usable(&t, rejected, time(NULL))) {
		*token_out = t.access;
		t.access = NULL;
		oauth2_tokens_release(&t);
		return 0;
	}
	oauth2_tokens_release(&t);
	lock = afile_lock(o->lock, 1, err);
	if (lock < 0)
		return -1;
	rc = refresh_locked(o, rejected, token_out, err);
	afile_unlock(lock);
	return rc;
}

/* Store what a sign-in brought, under the refresh lock. */
static int store_signin(const struct oauth2 *o, struct oauth2_tokens *t, FILE *out,
			struct err *err)
{
	char *dir = path_dirname(o->store);
	int lock, rc;

	rc = afile_mkdirs(dir, err);
	free(dir);
	if (rc < 0)
		return -1;
	lock = afile_lock(o->lock, 1, err);
	if (lock < 0)
		return -1;
	rc = oauth2_store_write(o->store, t, err);
	afile_unlock(lock);
	if (rc < 0)
		return -1;
	if (!t->refresh)
		log_warnx("%s: the provider sent no refresh token; sign in again when the access token expires",
			  o->account);
	fprintf(out, "%s: signed in; tokens stored in %s\n", o->account, o->store);
	return 0;
}

/* ---- PKCE, random strings, SASL ---- */

static void b64url(const unsigned char *p, size_t n, struct buf *out)
{
	struct buf b = BUF_INIT;
	size_t i;

	codec_b64_encode((const char *)p, n, &b);
	for (i = 0; i < b.len; i++) {
		char c = b.data[i];

		if (c == '\n' || c == '=')
			continue;
		buf_putc(out, c == '+' ? '-' : c == '/' ? '_' : c);
	}
	buf_release(&b);
}

void oauth2_pkce_challenge(const char *verifier, char out[44])
{
	unsigned char md[32];
	struct buf b = BUF_INIT;

	gnutls_hash_fast(GNUTLS_DIG_SHA256, verifier, strlen(verifier), md);
	b64url(md, sizeof(md), &b);
	/* UNSAFE: 32 bytes are 43 base64url characters without padding,
	 * plus the NUL: 44. */
	memcpy(out, b.data, 43);
	out[43] = '\0';
	buf_release(&b);
}

char *oauth2_random(size_t n)
{
	unsigned char *p = xmalloc(n);
	struct buf b = BUF_INIT;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* A kernel without getrandom(2) (ENOSYS): GnuTLS has
			 * a generator of its own. */
			gnutls_rnd(GNUTLS_RND_KEY, p + got, n - got);
			break;
		}
		got += (size_t)r;
	}
	b64url(p, n, &b);
	free(p);
	buf_putc(&b, '\0');
	return buf_detach(&b, NULL);
}

char *oauth2_sasl(enum oauth2_mech mech, const char *user, const char *host, unsigned port,
		  const char *token)
{
	struct buf raw = BUF_INIT, b64 = BUF_INIT, out = BUF_INIT;
	const char *p;
	size_t i;

	if (mech == OAUTH2_XOAUTH2) {
		buf_printf(&raw, "user=%s\001auth=Bearer %s\001\001", user, token);
	} else {
		/* RFC 7628 3.1: the GS2 header's authzid escapes ',' and '='. */
		buf_puts(&raw, "n,a=");
		for (p = user; *p; p++) {
			if (*p == ',')
				buf_puts(&raw, "=2C");
			else if (*p == '=')
				buf_puts(&raw, "=3D");
			else
				buf_putc(&raw, *p);
		}
		buf_puts(&raw, ",\001");
		if (host)
			buf_printf(&raw, "host=%s\001", host);
		if (port)
			buf_printf(&raw, "port=%u\001", port);
		buf_printf(&raw, "auth=Bearer %s\001\001", token);
	}
	codec_b64_encode(raw.data, raw.len, &b64);
	for (i = 0; i < b64.len; i++)
		if (b64.data[i] != '\n')
			buf_putc(&out, b64.data[i]);
	buf_putc(&out, '\0');
	buf_wipe(&raw);
	buf_wipe(&b64);
	return buf_detach(&out, NULL);
}

/* ---- sign-in: device grant (RFC 8628) ---- */

struct device {
	char *device_code;  /* a secret of this sign-in */
	char *user_code;
	char *uri;
	char *uri_complete;
	long long expires_in;
	long interval;
};

static void device_release(struct device *d)
{
	pwcmd_free(d->device_code);
	free(d->user_code);
	free(d->uri);
	free(d->uri_complete);
}

static char *json_str(json_t *root, const char *key)
{
	const char *s = json_string_value(json_object_get(root, key));

	return s ? xstrdup(s) : NULL;
}

/* The device authorization response (RFC 8628 3.2).  Google calls the
 * verification URI verification_url. */
static int device_parse(long status, const struct buf *body, struct device *d, struct err *err)
{
	struct oauth2_tokens t;
	json_t *root = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
	json_t *v;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (!root || !json_is_object(root) || status != 200) {
		json_decref(root);
		/* The error forms are those of a token response. */
		if (oauth2_parse_tokens(status >= 200 && status < 300 ? 400 : status, body->data,
					body->len, 0, &t, err) == 0)
			oauth2_tokens_release(&t);
		err_prefix(err, "device endpoint");
		return -1;
	}
	d->device_code = json_str(root, "device_code");
	d->user_code = json_str(root, "user_code");
	d->uri = json_str(root, "verification_uri");
	if (!d->uri)
		d->uri = json_str(root, "verification_url");
	d->uri_complete = json_str(root, "verification_uri_complete");
	d->expires_in = 1800;
	v = json_object_get(root, "expires_in");
	if (v)
		d->expires_in = expires_in(v);
	d->interval = 5;
	v = json_object_get(root, "interval");
	if (v)
		d->interval = (long)expires_in(v);
	if (!d->device_code || !d->user_code || !d->uri || d->expires_in <= 0 || d->interval < 0)
		err_set(err, EX_PROTOCOL, "device endpoint: incomplete device authorization response");
	else
		rc = 0;
	json_decref(root);
	return rc;
}

/* Failed polls in a row (no answer, 5xx) that end a device sign-in. */
#define DEVICE_DOWN_MAX 5

/* Poll the token endpoint until the user has decided or the code expired
 * (RFC 8628 3.4, 3.5). */
static int device_poll(const struct oauth2 *o, struct device *d, struct oauth2_tokens *t,
		       struct err *err)
{
	time_t deadline = time(NULL) + (time_t)d->expires_in;
	long interval = d->interval > 0 ? d->interval : 1;
	struct buf form = BUF_INIT;
	int down = 0;

	for (;;) {
		sleep((unsigned)interval);
		if (time(NULL) >= deadline)
			return err_set(err, EX_NOPERM, "%s: the code expired before sign-in; run spool auth again",
				       o->account);
		form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
		form_add(&form, "device_code", d->device_code);
		if (form_client(o, &form, err) < 0) {
			buf_wipe(&form);
			return -1;
		}
		if (post_tokens(o, o->token_url, &form, t, err) == 0)
			return 0;
		if (!(err->code == EX_TEMPFAIL && !t->error[0]))
			down = 0;
		if (strcmp(t->error, "authorization_pending") == 0)
			continue;
		if (strcmp(t->error, "slow_down") == 0) {
			interval += 5;
			continue;
		}
		if (strcmp(t->error, "expired_token") == 0)
			return err_set(err, EX_NOPERM, "%s: the code expired before sign-in; run spool auth again",
				       o->account);
		if (strcmp(t->error, "access_denied") == 0)
			return err_set(err, EX_NOPERM, "%s: sign-in refused (access_denied)", o->account);
		/* A network failure or a 5xx in between is not the end; a
		 * few in a row are. */
		if (err->code == EX_TEMPFAIL && !t->error[0] && ++down < DEVICE_DOWN_MAX) {
			log_warnx("%s; polling again", err->msg);
			continue;
		}
		return -1;
	}
}

int oauth2_signin_device(struct oauth2 *o, FILE *out, struct err *err)
{
	struct buf form = BUF_INIT, body = BUF_INIT;
	struct oauth2_tokens t;
	struct device d;
	long status = 0;
	int rc;

	if (!o->device_url)
		return err_set(err, EX_CONFIG, "account '%s': no device endpoint (set oauth2_device_url, or use --browser)",
			       o->account);
	/* RFC 8628 3.1: a confidential client authenticates here as at the
	 * token endpoint. */
	if (form_client(o, &form, err) < 0) {
		buf_wipe(&form);
		return -1;
	}
	if (o->scope)
		form_add(&form, "scope", o->scope);
	buf_putc(&form, '\0');
	rc = o->post(o->post_ctx, o->device_url, form.data, &status, &body, err);
	buf_wipe(&form);
	if (rc == 0)
		rc = device_parse(status, &body, &d, err);
	buf_wipe(&body);
	if (rc < 0)
		return -1;
	fprintf(out, "To sign in to %s, open %s in a browser and enter the code %s\n", o->account,
		d.uri, d.user_code);
	if (d.uri_complete)
		fprintf(out, "(or open %s)\n", d.uri_complete);
	fflush(out);
	rc = device_poll(o, &d, &t, err);
	device_release(&d);
	if (rc == 0)
		rc = store_signin(o, &t, out, err);
	oauth2_tokens_release(&t);
	return rc;
}

/* ---- sign-in: authorization code with PKCE (RFC 7636, RFC 8252) ---- */

/* A socket on 127.0.0.1 and a port the kernel picks (RFC 8252 7.3: the
 * loopback address literal, not "localhost", which may resolve
 * elsewhere). */
static int listen_loopback(unsigned *port_out, struct err *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_sys(err, EX_OSERR, "cannot make a socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		err_sys(err, EX_OSERR, "cannot listen on 127.0.0.1");
		close(fd);
		return -1;
	}
	*port_out = ntohs(sa.sin_port);
	return fd;
}

/* The value of name in the query string q (percent-decoded, '+' a
 * blank), or NULL; caller frees. */
static char *query_get(const char *q, const char *name)
{
	size_t n = strlen(name), len, i;
	struct buf b = BUF_INIT;
	const char *p = q, *end;
	char *raw;

	while (p && *p) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			len = (size_t)(end - p) - n - 1;
			raw = xmemdup(p + n + 1, len);

			for (i = 0; i < len; i++)
				if (raw[i] == '+')
					raw[i] = ' ';
			codec_pct_decode(raw, len, &b);
			free(raw);
			buf_putc(&b, '\0');
			return buf_detach(&b, NULL);
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

static void http_reply(int fd, const char *status, const char *text)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, strlen(text));
	struct err e = ERR_INIT;

	/* The browser's page is a courtesy; the sign-in goes on without it. */
	if (n > 0 && (size_t)n < sizeof(head) && afile_write_all(fd, head, (size_t)n, &e) == 0 &&
	    afile_write_all(fd, text, strlen(text), &e) < 0)
		log_debug("cannot answer the browser: %s", e.msg);
}

/* Read one request head from a browser (at most 8 KiB, 10 seconds) and
 * return its target ("/?code=..."), or NULL. */
static char *http_target(int fd)
{
	char req[8192];
	size_t len = 0;
	struct pollfd pfd = { fd, POLLIN, 0 };
	char *sp, *sp2;
	ssize_t r;

	while (len < sizeof(req) - 1 && !memmem(req, len, "\r\n\r\n", 4)) {
		if (poll(&pfd, 1, 10000) <= 0)
			return NULL;
		r = read(fd, req + len, sizeof(req) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	req[len] = '\0';
	if (strncmp(req, "GET ", 4) != 0)
		return NULL;
	sp = req + 4;
	sp2 = strchr(sp, ' ');
	if (!sp2)
		return NULL;
	return xmemdup(sp, (size_t)(sp2 - sp));
}

/* One request to the redirect URI: 1 with *code_out set when it carries
 * the code, 0 for a request that does not concern us (a favicon), -1
 * with err set when it ends the sign-in. */
static int redirect_one(int cfd, const char *state, char **code_out, struct err *err)
{
	char *target = http_target(cfd), *q, *got_state, *code, *error;
	int rc = 0;

	q = target ? strchr(target, '?') : NULL;
	if (!q) {
		http_reply(cfd, "404 Not Found", "not found\n");
		free(target);
		return 0;
	}
	got_state = query_get(q + 1, "state");
	code = query_get(q + 1, "code");
	error = query_get(q + 1, "error");
	if (!code && !error) {
		http_reply(cfd, "404 Not Found", "not found\n");
	} else if (!got_state || strcmp(got_state, state) != 0) {
		/* RFC 6749 10.12: a redirect that is not the answer to our
		 * request (cross-site request forgery). */
		http_reply(cfd, "400 Bad Request", "surel: the state does not match; sign-in stopped\n");
		rc = err_set(err, EX_PROTOCOL, "the redirect's state does not match ours; sign-in stopped");
	} else if (error) {
		http_reply(cfd, "200 OK", "surel: sign-in refused\n");
		rc = err_set(err, EX_NOPERM, "sign-in refused (%.60s)", error);
	} else {
		http_reply(cfd, "200 OK", "surel: signed in; you may close this window\n");
		*code_out = code;
		code = NULL;
		rc = 1;
	}
	pwcmd_free(code);
	free(error);
	free(got_state);
	free(target);
	return rc;
}

static int wait_redirect(int lfd, const char *state, long timeout, char **code_out,
			 struct err *err)
{
	time_t deadline = time(NULL) + timeout;
	struct pollfd pfd = { lfd, POLLIN, 0 };
	int cfd, rc;

	for (;;) {
		time_t left = deadline - time(NULL);

		if (left <= 0)
			return err_set(err, EX_TEMPFAIL, "no answer from the browser within %ld seconds",
				       timeout);
		rc = poll(&pfd, 1, (int)(left > 3600 ? 3600000 : left * 1000));
		if (rc < 0 && errno != EINTR)
			return err_sys(err, EX_OSERR, "cannot wait for the browser");
		if (rc <= 0)
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		rc = redirect_one(cfd, state, code_out, err);
		close(cfd);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
}

/* $BROWSER on url, with stdout on our stderr so our output stays ours;
 * not waited for (a browser may stay open). */
static void open_browser(const char *url)
{
	const char *browser = getenv("BROWSER");
	char *cmd;
	pid_t pid;
	int nul;

	if (!browser || !*browser)
		return;
	cmd = xasprintf("%s \"$1\"", browser);
	pid = fork();
	if (pid == 0) {
		nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, "sh", url, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		log_warnx("cannot run $BROWSER: %s", strerror(errno));
	free(cmd);
}

static char *auth_request(const struct oauth2 *o, const char *redirect, const char *state,
			  const char *challenge)
{
	struct buf q = BUF_INIT, url = BUF_INIT;

	form_add(&q, "response_type", "code");
	form_add(&q, "client_id", o->client_id);
	form_add(&q, "redirect_uri", redirect);
	if (o->scope)
		form_add(&q, "scope", o->scope);
	form_add(&q, "state", state);
	form_add(&q, "code_challenge", challenge);
	form_add(&q, "code_challenge_method", "S256");
	/* Google gives a refresh token only when asked for offline access. */
	if (strcmp(o->provider, "google") == 0) {
		form_add(&q, "access_type", "offline");
		form_add(&q, "prompt", "consent");
	}
	buf_printf(&url, "%s%c%.*s", o->auth_url, strchr(o->auth_url, '?') ? '&' : '?', (int)q.len,
		   q.data);
	buf_release(&q);
	buf_putc(&url, '\0');
	return buf_detach(&url, NULL);
}

int oauth2_signin_browser(struct oauth2 *o, FILE *out, long timeout, struct err *err)
{
	char challenge[44], redirect[64], *verifier, *state, *url, *code = NULL;
	struct buf form = BUF_INIT;
	struct oauth2_tokens t;
	unsigned port = 0;
	int lfd, rc;

	memset(&t, 0, sizeof(t));

	if (!o->auth_url)
		return err_set(err, EX_CONFIG, "account '%s': no authorization endpoint (set oauth2_auth_url)",
			       o->account);
	lfd = listen_loopback(&port, err);
	if (lfd < 0)
		return -1;
	/* 32 random bytes: a 43-character verifier (RFC 7636 4.1). */
	verifier = oauth2_random(32);
	state = oauth2_random(16);
	oauth2_pkce_challenge(verifier, challenge);
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%u/", port);
	url = auth_request(o, redirect, state, challenge);
	fprintf(out, "To sign in to %s, open this URL in a browser:\n\n%s\n\n", o->account, url);
	fflush(out);
	open_browser(url);
	rc = wait_redirect(lfd, state, timeout, &code, err);
	close(lfd);
	if (rc == 0) {
		form_add(&form, "grant_type", "authorization_code");
		form_add(&form, "code", code);
		form_add(&form, "redirect_uri", redirect);
		form_add(&form, "code_verifier", verifier);
		rc = form_client(o, &form, err);
		if (rc == 0)
			rc = post_tokens(o, o->token_url, &form, &t, err);
		buf_wipe(&form);
		if (rc == 0)
			rc = store_signin(o, &t, out, err);
		oauth2_tokens_release(&t);
	}
	pwcmd_free(code);
	pwcmd_free(verifier);
	free(state);
	free(url);
	return rc;
}
