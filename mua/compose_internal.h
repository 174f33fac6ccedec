/*
 * compose_internal: what the four files of the compose module share.
 * compose.c owns the session (identity, editor, queue, Drafts),
 * compose_mime.c builds the outgoing MIME message, compose_draft.c writes
 * and parses draft text, compose_attach.c keeps the attachment list.  Each
 * calls only the ones after it in that order, never back.  Nothing outside
 * mua/compose*.c includes this.
 */
#ifndef SUREL_COMPOSE_INTERNAL_H
#define SUREL_COMPOSE_INTERNAL_H

#include <stddef.h>

#include "addr.h"
#include "buf.h"
#include "cfg.h"
#include "compose.h"
#include "err.h"

/* One header field of the parsed draft: name as written, value unfolded
 * and trimmed (both owned). */
struct compose_hdr {
	char *name;
	char *value;
};

struct compose_attach {
	char *name;   /* UTF-8 file name; NULL for an attached message */
	char *type;   /* "type/subtype", lowercase */
	char *data;
	size_t len;
};

struct compose {
	const struct cfg *cfg;             /* borrowed; NULL without a config */
	const struct cfg_account *acct;    /* NULL without a config */
	char *from;         /* the From value a new draft starts with */
	char *addr;         /* the account's (or $EMAIL's) address */
	char **own;         /* every address of the user, for reply-all */
	size_t nown;

	struct buf draft;   /* draft text as last set */
	int parsed;         /* draft parsed without error */
	struct compose_hdr *hdr;
	size_t nhdr;
	char *body;         /* the body part of the parsed draft */
	size_t body_len;

	char *in_reply_to;  /* "<id>" or NULL, from a reply or resumed draft */
	char *references;   /* "<a> <b>" or NULL */

	struct compose_attach *att;
	size_t natt;

	unsigned pgp;       /* enum compose_pgp_flags */
	int pgp_chosen;     /* set by the user: an identity change keeps it */
	int orig_encrypted; /* the original replied to or forwarded was */
};

/* compose_draft.c: the parsed field named name (case-insensitive), or NULL
 * when absent or empty; several fields of one address name (two To lines)
 * are joined with ", " at parse time. */
const char *compose_hdr_get(const struct compose *c, const char *name);

/* compose_draft.c: write from addr of account a (borrowed, must outlive the
 * compose): the From value new drafts start with, the signature and the
 * account that sends and keeps drafts.  The draft text is not changed. */
void compose_identity_use(struct compose *c, const struct cfg_account *a, const char *addr);

/* compose_draft.c: the account's PGP defaults (pgp_sign, pgp_encrypt)
 * into c->pgp, unless the user chose already. */
void compose_pgp_defaults(struct compose *c);

/* The field a draft keeps its PGP choice in (drafts only; never sent). */
#define COMPOSE_PGP_FIELD "X-Surel-PGP"

/* compose_draft.c: whether a field is one surel writes itself (Date,
 * Message-ID, the draft's six fields, In-Reply-To, References, Content-*,
 * ...), so the user's copy of it is not an extra field. */
int compose_field_generated(const char *name);

/* compose_draft.c: the mailboxes of address field value (UTF-8, as the user
 * wrote it), appended to *v (*n entries, grown here; free with
 * addr_list_free).  A bare local name gets "@domain" (domain NULL leaves it
 * bare); an empty display name is NULL.  EX_DATAERR naming field for an
 * entry that is not an address. */
int compose_parse_mboxes(const char *value, const char *field, const char *domain,
			 struct addr_mbox **v, size_t *n, struct err *err);

/* compose_draft.c: "name <addr>" for the draft (UTF-8 name left readable,
 * quoted when it holds specials) appended to out. */
void compose_put_mbox_draft(struct buf *out, const char *name, const char *addr);

/* The address fields of a parsed draft, indexed by enum compose_addr. */
enum compose_addr { COMPOSE_FROM, COMPOSE_TO, COMPOSE_CC, COMPOSE_BCC, COMPOSE_REPLY_TO,
		    COMPOSE_NADDR };
struct compose_addrs {
	struct addr_mbox *v[COMPOSE_NADDR];
	size_t n[COMPOSE_NADDR];
};
/* compose_mime.c: parse every address field of the draft (From falls back
 * to c->from when empty; bare names get the From domain).  EX_DATAERR for a
 * draft that did not parse, no From address, or a bad address.  Release
 * with compose_addrs_release (also after a failure, a no-op then). */
int compose_addrs_parse(const struct compose *c, struct compose_addrs *a, struct err *err);
void compose_addrs_release(struct compose_addrs *a);

/* compose_attach.c: the MIME type for a file name and its contents (table of
 * extensions, else a look at the bytes); static string. */
const char *compose_guess_type(const char *name, const char *data, size_t len);

#endif
