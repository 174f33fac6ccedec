/*
 * oauth2: OAuth 2.0 access tokens for an account with `auth = oauth2`: the
 * provider presets and the oauth2_* keys, the token store
 * ($XDG_STATE_HOME/surel/oauth2/ACCOUNT), the silent refresh every program
 * does before it logs in, the two sign-in flows of `spool auth` (device
 * grant, RFC 8628; authorization code with PKCE, RFC 7636, and a loopback
 * redirect, RFC 8252) and the SASL XOAUTH2 / OAUTHBEARER (RFC 7628)
 * initial responses.  HTTPS goes through libcurl (https only, verified),
 * JSON through jansson.  Speaking SASL on a connection is the protocol
 * modules' job (spool/source.c, sendq/relay.c), not this one's.
 *
 * Secrets (tokens, the client secret) are wiped before they are freed and
 * never reach an error message, a log line, argv or a child's environment.
 * The caller keeps what it passes in; strings returned as char * are the
 * caller's (free secrets with pwcmd_free()).
 */
#ifndef SUREL_OAUTH2_H
#define SUREL_OAUTH2_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"

#define OAUTH2_WUR __attribute__((warn_unused_result))

/* Seconds before its expiry an access token counts as expired, so that a
 * login never starts with a token about to run out. */
#define OAUTH2_MARGIN 60

struct oauth2;

/* The HTTPS POST of an application/x-www-form-urlencoded form to url:
 * *status_out gets the HTTP status and body the reply's body.  Fails
 * (EX_TEMPFAIL) only when no HTTP reply came; an error status is the
 * caller's to read.  form holds secrets: never log it. */
typedef int oauth2_post_fn(void *ctx, const char *url, const char *form, long *status_out,
			   struct buf *body, struct err *err);

/* The OAuth2 settings of account a (auth = oauth2): the preset of
 * oauth2_provider with every oauth2_* key of the account taking precedence.
 * EX_CONFIG when the client id or the token endpoint is missing.  Also
 * turns core dumps off for the process (they would hold tokens).  Free
 * with oauth2_free(). */
struct oauth2 *oauth2_new(const struct cfg_account *a, struct err *err) OAUTH2_WUR;
void oauth2_free(struct oauth2 *o);

/* Replace the HTTPS transport (tests); fn NULL restores libcurl. */
void oauth2_set_post(struct oauth2 *o, oauth2_post_fn *fn, void *ctx);
/* The store file of this account (borrowed, valid until oauth2_free). */
const char *oauth2_store_path(const struct oauth2 *o);

/* A valid access token for the account (caller frees with pwcmd_free):
 * the stored one while it has more than OAUTH2_MARGIN seconds left, else
 * a new one from the token endpoint.  rejected, when not NULL, is a token
 * the server just refused: it is not given out again.  Refreshes are
 * serialised by STORE.lock, the store is read again under it (another
 * process may have refreshed meanwhile), and a new refresh token is in
 * the store durably before the call returns.  Errors: EX_NOPERM "ACCOUNT:
 * sign-in needed: run spool auth -A ACCOUNT" when there is no stored
 * refresh token or the endpoint answers invalid_grant (see
 * oauth2_is_signin()); EX_TEMPFAIL when the endpoint cannot be reached or
 * answers 5xx; EX_CONFIG for a client the endpoint does not know or a store
 * others can read. */
int oauth2_token(struct oauth2 *o, const char *rejected, char **token_out,
		 struct err *err) OAUTH2_WUR;

/* Whether err is the "sign-in needed" error of oauth2_token(), whatever
 * context callers put in front of it. */
int oauth2_is_signin(const struct err *err);
/* Make such an error exactly "ACCOUNT: sign-in needed: run spool auth -A
 * ACCOUNT" again (the one line fetch and watch promise), dropping the
 * context in front; other errors are left alone. */
void oauth2_signin_plain(struct err *err);
/* Whether text (a message's error in the queue, say) is that error; the
 * account's name goes to name (size bytes, cut to fit). */
int oauth2_signin_text(const char *text, char *name, size_t size);

/* Sign in with the device grant: print the verification URL and user code
 * to out, poll the token endpoint, store the tokens.  EX_NOPERM when the
 * user refused or the code expired; EX_CONFIG without a device endpoint. */
int oauth2_signin_device(struct oauth2 *o, FILE *out, struct err *err) OAUTH2_WUR;
/* Sign in with the authorization code grant and PKCE: listen on
 * 127.0.0.1 (a port the kernel picks), print the authorization URL to out
 * and run $BROWSER on it when set, wait (at most timeout seconds) for the
 * redirect, check its state, exchange the code, store the tokens.
 * EX_NOPERM when the provider reports an error; EX_TEMPFAIL on timeout. */
int oauth2_signin_browser(struct oauth2 *o, FILE *out, long timeout,
			  struct err *err) OAUTH2_WUR;
/* Whether the account has a device endpoint (preset or key). */
int oauth2_has_device(const struct oauth2 *o);

/* ---- the parts, public for the tests ---- */

/* What the store holds, and what a token endpoint answered.  Strings are
 * owned by the struct; oauth2_tokens_release() wipes and frees them. */
struct oauth2_tokens {
	char *access;       /* NULL: none */
	char *refresh;      /* NULL: none */
	long long expires;  /* unix time the access token ends; 0: unknown */
	char error[64];     /* the endpoint's OAuth error code, "" when none */
};

void oauth2_tokens_release(struct oauth2_tokens *t);

/* Read the token response of HTTP status with body (len bytes) received
 * at now into t (zeroed first).  A refusal ({"error": ...}) sets
 * t->error and fails: invalid_grant EX_NOPERM, invalid_client and
 * unauthorized_client EX_CONFIG, other errors EX_PROTOCOL; 5xx without an
 * OAuth error is EX_TEMPFAIL; a 200 without access_token EX_PROTOCOL.
 * expires_in absent counts as one hour. */
int oauth2_parse_tokens(long status, const char *body, size_t len, time_t now,
			struct oauth2_tokens *t, struct err *err) OAUTH2_WUR;

/* Read the store at path into t (zeroed first): EX_NOINPUT when missing,
 * EX_CONFIG when group or others may read it or another user owns it,
 * EX_DATAERR when malformed. */
int oauth2_store_read(const char *path, struct oauth2_tokens *t, struct err *err) OAUTH2_WUR;
/* Replace the store at path with t, atomically and durably (lib/afile,
 * mode 0600), creating its directory (0700). */
int oauth2_store_write(const char *path, const struct oauth2_tokens *t,
		       struct err *err) OAUTH2_WUR;

/* PKCE (RFC 7636 4.2): the S256 challenge of verifier, base64url without
 * padding, into out (44 bytes with the NUL). */
void oauth2_pkce_challenge(const char *verifier, char out[44]);
/* n random bytes as base64url without padding (caller frees). */
char *oauth2_random(size_t n);

enum oauth2_mech {
	OAUTH2_XOAUTH2,      /* Google's and Microsoft's SASL mechanism */
	OAUTH2_OAUTHBEARER,  /* RFC 7628 */
};

/* The SASL initial response of mech for user with token, base64-encoded
 * on one line (caller frees with pwcmd_free: it holds the token).  host
 * and port go into OAUTHBEARER's kvpairs (port 0: left out). */
char *oauth2_sasl(enum oauth2_mech mech, const char *user, const char *host, unsigned port,
		  const char *token);

#endif
