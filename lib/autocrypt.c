/*
 * autocrypt: Autocrypt Level 1 headers, peer state and recommendations.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "afile.h"
#include "autocrypt.h"
#include "codec.h"
#include "msg.h"
#include "path.h"
#include "pgpmime.h"
#include "xalloc.h"

/* Level 1 2.4.1: a key not refreshed for this long, while mail from the
 * peer kept coming, is stale. */
#define STALE_SECONDS (35L * 24 * 60 * 60)
/* Keydata larger than this is not a minimal key; ignore the header. */
#define KEYDATA_MAX (64 * 1024)

struct peer {
	char *addr;
	long long last_seen, ac_ts, gossip_ts;
	char *fpr, *gossip_fpr;   /* NULL: none */
	int mutual;
};

struct autocrypt {
	char *path;
	struct peer *v;
	size_t n;
};

int autocrypt_header(const char *addr, const char *fpr, int mutual, struct buf *out,
		     struct err *err)
{
	struct buf key = BUF_INIT, b64 = BUF_INIT;
	const char *p, *nl;

	if (pgpmime_export_min(fpr, &key, err) < 0) {
		buf_release(&key);
		return -1;
	}
	codec_b64_encode(key.data, key.len, &b64);
	buf_printf(out, "addr=%s;%s keydata=", addr, mutual ? " prefer-encrypt=mutual;" : "");
	/* Folded: every base64 line a continuation line of its own. */
	for (p = b64.data; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		buf_puts(out, "\n ");
		buf_append(out, p, (size_t)(nl - p) + (*nl == '\n' ? 0 : 1));
	}
	buf_release(&key);
	buf_release(&b64);
	return 0;
}

/* --- the state file --------------------------------------------------------- */

static char *state_path(const char *account)
{
	struct buf b = BUF_INIT;
	const unsigned char *p;
	char *dir, *path;

	for (p = (const unsigned char *)account; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || *p == '-')
			buf_putc(&b, (char)*p);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	dir = path_xdg(PATH_XDG_STATE, "autocrypt");
	path = path_join(dir, b.data ? b.data : "");
	free(dir);
	buf_release(&b);
	return path;
}

static struct peer *peer_find(const struct autocrypt *ac, const char *addr)
{
	size_t i;

	for (i = 0; i < ac->n; i++)
		if (strcasecmp(ac->v[i].addr, addr) == 0)
			return &ac->v[i];
	return NULL;
}

static struct peer *peer_add(struct autocrypt *ac, const char *addr)
{
	struct peer *p;

	ac->v = xreallocarray(ac->v, ac->n + 1, sizeof(*ac->v));
	p = &ac->v[ac->n++];
	memset(p, 0, sizeof(*p));
	p->addr = xstrdup(addr);
	return p;
}

static char *opt_fpr(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : xstrdup(s);
}

struct autocrypt *autocrypt_open(const char *account)
{
	struct autocrypt *ac = xcalloc(1, sizeof(*ac));
	struct err err = ERR_INIT;
	char *data = NULL, *line, *save = NULL;
	char addr[512], fpr[80], gfpr[80], pref[16];
	long long ls, ats, gts;
	size_t len = 0;
	struct peer *p;

	ac->path = state_path(account);
	if (afile_read(ac->path, 16 * 1024 * 1024, &data, &len, &err) < 0)
		return ac;
	line = strtok_r(data, "\n", &save);
	if (!line || strcmp(line, "version 1") != 0) {
		free(data);
		return ac;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (sscanf(line, "peer %511s %lld %lld %79s %15s %lld %79s", addr, &ls, &ats, fpr,
			   pref, &gts, gfpr) != 7 || peer_find(ac, addr))
			continue;
		p = peer_add(ac, addr);
		p->last_seen = ls;
		p->ac_ts = ats;
		p->gossip_ts = gts;
		p->fpr = opt_fpr(fpr);
		p->gossip_fpr = opt_fpr(gfpr);
		p->mutual = strcmp(pref, "mutual") == 0;
	}
	free(data);
	return ac;
}

void autocrypt_free(struct autocrypt *ac)
{
	size_t i;

	if (!ac)
		return;
	for (i = 0; i < ac->n; i++) {
		free(ac->v[i].addr);
		free(ac->v[i].fpr);
		free(ac->v[i].gossip_fpr);
	}
	free(ac->v);
	free(ac->path);
	free(ac);
}

int autocrypt_save(const struct autocrypt *ac, struct err *err)
{
	struct buf b = BUF_INIT;
	char *dir = path_dirname(ac->path);
	size_t i;
	int rc;

	buf_puts(&b, "version 1\n");
	for (i = 0; i < ac->n; i++) {
		const struct peer *p = &ac->v[i];

		buf_printf(&b, "peer %s %lld %lld %s %s %lld %s\n", p->addr, p->last_seen, p->ac_ts,
			   p->fpr ? p->fpr : "-", p->mutual ? "mutual" : "nopreference",
			   p->gossip_ts, p->gossip_fpr ? p->gossip_fpr : "-");
	}
	rc = afile_mkdirs(dir, err);
	if (rc == 0)
		rc = afile_write(ac->path, b.data, b.len, 0600, err);
	free(dir);
	buf_release(&b);
	return rc;
}

/* --- learning ----------------------------------------------------------------- */

struct header {
	char *addr;
	int mutual;
	struct buf key;  /* decoded keydata */
};

/* Parse one Autocrypt (or Autocrypt-Gossip) value (Level 1 2.1): 0 when
 * valid with addr and keydata; an unknown attribute not starting with
 * "_" makes it invalid. */
static int header_parse(const char *v, struct header *h)
{
	const char *p = v, *semi, *eq;
	size_t n;
	int bad = 0;

	memset(h, 0, sizeof(*h));
	while (*p && !bad) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == ';')
			p++;
		if (!*p)
			break;
		semi = strchr(p, ';');
		n = semi ? (size_t)(semi - p) : strlen(p);
		eq = memchr(p, '=', n);
		if (!eq) {
			bad = 1;
			break;
		}
		if ((size_t)(eq - p) == 4 && strncmp(p, "addr", 4) == 0 && !h->addr) {
			h->addr = xstrndup(eq + 1, n - (size_t)(eq + 1 - p));
			h->addr[strcspn(h->addr, " \t\r\n")] = '\0';
		} else if ((size_t)(eq - p) == 14 && strncmp(p, "prefer-encrypt", 14) == 0) {
			h->mutual = n - (size_t)(eq + 1 - p) == 6 && strncmp(eq + 1, "mutual", 6) == 0;
		} else if ((size_t)(eq - p) == 7 && strncmp(p, "keydata", 7) == 0 && !h->key.len) {
			if (n - (size_t)(eq + 1 - p) <= KEYDATA_MAX * 2)
				codec_b64_decode(eq + 1, n - (size_t)(eq + 1 - p), 0, &h->key);
		} else if (*p != '_') {
			bad = 1;
		}
		p += n;
	}
	if (!bad && h->addr && h->addr[0] && h->key.len > 0 && h->key.len <= KEYDATA_MAX)
		return 0;
	free(h->addr);
	buf_release(&h->key);
	return -1;
}

static void header_release(struct header *h)
{
	free(h->addr);
	buf_release(&h->key);
}

/* The one valid field called name for addr (Level 1 2.3: more than one
 * counts as none): 1 found, 0 not. */
static int find_header(const struct msg *m, const char *name, const char *addr,
		       struct header *out)
{
	struct header h;
	const char *n, *v;
	size_t i, found = 0;

	for (i = 0; i < msg_header_count(m); i++) {
		msg_header_at(m, i, &n, &v);
		if (strcasecmp(n, name) != 0 || header_parse(v, &h) < 0)
			continue;
		if (strcasecmp(h.addr, addr) != 0 || found++) {
			header_release(&h);
			continue;
		}
		*out = h;
	}
	if (found > 1)
		header_release(out);
	return found == 1;
}

static void set_fpr(char **dst, char *fpr)
{
	free(*dst);
	*dst = fpr;
}

/* Autocrypt-Gossip fields of the decrypted payload's header (head) for
 * the recipients of m (Level 1, "Updating Autocrypt Peer State from Key
 * Gossip"): the key of each address in m's To and Cc that head names goes
 * into that peer's gossip key and timestamp, never its own key. */
static int learn_gossip(struct autocrypt *ac, const struct msg *m, const struct msg *head,
			long long when)
{
	static const char *const fields[] = { "To", "Cc" };
	struct addr_mbox *v;
	struct header h;
	struct peer *p;
	struct err err = ERR_INIT;
	size_t k, i, n;
	char *fpr;
	int changed = 0;

	for (k = 0; k < 2; k++) {
		n = msg_addrs(m, fields[k], &v);
		for (i = 0; i < n; i++) {
			if (!v[i].addr[0] || !find_header(head, "Autocrypt-Gossip", v[i].addr, &h))
				continue;
			p = peer_find(ac, v[i].addr);
			if ((!p || when > p->gossip_ts) &&
			    pgpmime_import(h.key.data, h.key.len, &fpr, &err) == 0) {
				if (!p)
					p = peer_add(ac, v[i].addr);
				p->gossip_ts = when;
				set_fpr(&p->gossip_fpr, fpr);
				changed = 1;
			}
			err_clear(&err);
			header_release(&h);
		}
		addr_list_free(v, n);
	}
	return changed;
}

int autocrypt_learn(struct autocrypt *ac, const char *msg, size_t len, const char *payload_head,
		    time_t now)
{
	struct msg *m = msg_parse(msg, len, MSG_HEADERS_ONLY), *head = NULL;
	struct addr_mbox *from = NULL;
	struct err err = ERR_INIT;
	struct header h;
	struct peer *p;
	const char *ct;
	time_t date;
	size_t nfrom;
	char *fpr;
	int changed = 0;

	if (!m)
		return 0;
	nfrom = msg_addrs(m, "From", &from);
	ct = msg_header(m, "Content-Type");
	/* Level 1 2.3: one From address, and no delivery reports. */
	if (nfrom != 1 || !from[0].addr[0] || (ct && strncasecmp(ct, "multipart/report", 16) == 0))
		goto out;
	/* A message without a Date (or one that does not parse) has no
	 * effective date: taking now would let it pass for the newest. */
	if (msg_date(m, &date) < 0)
		goto out;
	if (date > now)
		date = now;
	/* Only gossip inside the encryption counts: in the clear anyone on
	 * the way could have added it. */
	if (payload_head && (head = msg_parse(payload_head, strlen(payload_head), MSG_HEADERS_ONLY)))
		changed = learn_gossip(ac, m, head, (long long)date);
	p = peer_find(ac, from[0].addr);
	if (p && (long long)date <= p->ac_ts)
		goto out;
	if (!find_header(m, "Autocrypt", from[0].addr, &h)) {
		if (p && (long long)date > p->last_seen) {
			p->last_seen = (long long)date;
			changed = 1;
		}
		goto out;
	}
	if (pgpmime_import(h.key.data, h.key.len, &fpr, &err) == 0) {
		if (!p)
			p = peer_add(ac, from[0].addr);
		/* last_seen only moves forward: newer mail without a header
		 * may have been read before this one. */
		if ((long long)date > p->last_seen)
			p->last_seen = (long long)date;
		p->ac_ts = (long long)date;
		p->mutual = h.mutual;
		set_fpr(&p->fpr, fpr);
		changed = 1;
	}
	header_release(&h);
out:
	addr_list_free(from, nfrom);
	msg_free(head);
	msg_free(m);
	return changed;
}

enum autocrypt_rec autocrypt_recommend(const struct autocrypt *ac, const char *addr,
				       int own_mutual, const char **fpr_out)
{
	const struct peer *p = peer_find(ac, addr);

	if (fpr_out)
		*fpr_out = NULL;
	if (!p || (!p->fpr && !p->gossip_fpr))
		return AUTOCRYPT_DISABLE;
	if (fpr_out)
		*fpr_out = p->fpr ? p->fpr : p->gossip_fpr;
	/* Level 1 2.4.1: a gossiped key alone, or a key gone stale while
	 * mail without a header kept coming, only discourages. */
	if (!p->fpr || p->ac_ts < p->last_seen - STALE_SECONDS)
		return AUTOCRYPT_DISCOURAGE;
	return own_mutual && p->mutual ? AUTOCRYPT_ENCRYPT : AUTOCRYPT_AVAILABLE;
}

void autocrypt_learn_for(const char *account, const char *msg, size_t len,
			 const char *payload_head)
{
	struct autocrypt *ac;
	struct err err = ERR_INIT;

	if (!account)
		return;
	ac = autocrypt_open(account);
	if (autocrypt_learn(ac, msg, len, payload_head, time(NULL)) == 1)
		(void)!autocrypt_save(ac, &err);
	autocrypt_free(ac);
}
