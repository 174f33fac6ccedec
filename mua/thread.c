#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "thread.h"
#include "xalloc.h"

#define NONE SIZE_MAX

/* A container of JWZ's algorithm: a message, or a dummy standing for an id
 * that was only referenced.  Links are indexes, not pointers, because the
 * array grows while dummies are added. */
struct node {
	size_t msg;      /* message index, NONE for a dummy */
	size_t parent;
	size_t child;    /* first child */
	size_t next;     /* next sibling */
};

/* The id table: open addressing over (pointer, length) keys borrowed from
 * the caller's strings, which live through thread_build(). */
struct slot {
	const char *id;
	size_t len;
	size_t node;
};

struct idtab {
	struct slot *slots;
	size_t cap;      /* power of two */
	size_t used;
};

struct thread {
	size_t n;
	size_t *order;   /* row -> message */
	size_t *row;     /* message -> row */
	size_t *depth;   /* message -> depth */
	size_t *parent;  /* message -> parent message or NONE */
	size_t *next;    /* message -> next sibling or NONE */
};

struct build {
	struct node *nodes;
	size_t nnodes, capnodes;
	struct idtab tab;
};

static size_t hash(const char *s, size_t len)
{
	/* FNV-1a */
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

static void tab_grow(struct idtab *tab)
{
	struct slot *old = tab->slots;
	size_t oldcap = tab->cap, i;

	tab->cap = oldcap ? oldcap * 2 : 1024;
	tab->slots = xcalloc(tab->cap, sizeof(*tab->slots));
	for (i = 0; i < oldcap; i++) {
		size_t h;

		if (!old[i].id)
			continue;
		h = hash(old[i].id, old[i].len) & (tab->cap - 1);
		while (tab->slots[h].id)
			h = (h + 1) & (tab->cap - 1);
		tab->slots[h] = old[i];
	}
	free(old);
}

/* The slot holding id, or the empty slot where it belongs. */
static struct slot *tab_find(struct idtab *tab, const char *id, size_t len)
{
	size_t h;

	if (tab->used * 2 >= tab->cap)
		tab_grow(tab);
	h = hash(id, len) & (tab->cap - 1);
	while (tab->slots[h].id) {
		if (tab->slots[h].len == len && memcmp(tab->slots[h].id, id, len) == 0)
			break;
		h = (h + 1) & (tab->cap - 1);
	}
	return &tab->slots[h];
}

static size_t node_new(struct build *b, size_t msg)
{
	struct node *nd;

	if (b->nnodes == b->capnodes) {
		b->capnodes = b->capnodes ? b->capnodes * 2 : 64;
		b->nodes = xreallocarray(b->nodes, b->capnodes, sizeof(*b->nodes));
	}
	nd = &b->nodes[b->nnodes];
	nd->msg = msg;
	nd->parent = nd->child = nd->next = NONE;
	return b->nnodes++;
}

/* The node for id, made as a dummy when the id is new. */
static size_t node_for(struct build *b, const char *id, size_t len)
{
	struct slot *s = tab_find(&b->tab, id, len);

	if (!s->id) {
		s->id = id;
		s->len = len;
		s->node = node_new(b, NONE);
		b->tab.used++;
	}
	return s->node;
}

/* Whether a is x or one of x's ancestors.  A node without children can
 * only be its own ancestor, which keeps the common case O(1) and the
 * whole build near-linear; otherwise walk up (the tree has no cycle). */
static int is_ancestor(const struct build *b, size_t a, size_t x)
{
	if (a == x)
		return 1;
	if (b->nodes[a].child == NONE)
		return 0;
	for (x = b->nodes[x].parent; x != NONE; x = b->nodes[x].parent)
		if (x == a)
			return 1;
	return 0;
}

static void link_child(struct build *b, size_t parent, size_t child)
{
	b->nodes[child].parent = parent;
	b->nodes[child].next = b->nodes[parent].child;
	b->nodes[parent].child = child;
}

static void unlink_child(struct build *b, size_t child)
{
	size_t p = b->nodes[child].parent, *link;

	for (link = &b->nodes[p].child; *link != child; link = &b->nodes[*link].next)
		;
	*link = b->nodes[child].next;
	b->nodes[child].parent = b->nodes[child].next = NONE;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Link the chain of references of one message (JWZ step 1B) and return the
 * node of its last reference, the message's parent, or NONE. */
static size_t link_refs(struct build *b, const struct thread_msg *m)
{
	const char *p = m->references;
	size_t prev = NONE, r;

	while (p && *p) {
		const char *start;

		while (is_blank(*p))
			p++;
		start = p;
		while (*p && !is_blank(*p))
			p++;
		if (p == start)
			break;
		r = node_for(b, start, (size_t)(p - start));
		if (prev != NONE && b->nodes[r].parent == NONE && !is_ancestor(b, r, prev))
			link_child(b, prev, r);
		prev = r;
	}
	/* In-Reply-To names the direct parent; when References ends elsewhere
	 * (or is absent) it comes last in the chain. */
	if (m->in_reply_to && *m->in_reply_to) {
		r = node_for(b, m->in_reply_to, strlen(m->in_reply_to));
		if (r != prev) {
			if (prev != NONE && b->nodes[r].parent == NONE && !is_ancestor(b, r, prev))
				link_child(b, prev, r);
			prev = r;
		}
	}
	return prev;
}

static const struct thread_msg *sort_msgs;

static int by_date(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	time_t dx = sort_msgs[x].date, dy = sort_msgs[y].date;

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Each message's parent among messages: the nearest ancestor container
 * that holds a message.  Messages with no such ancestor under one dummy
 * root are joined under the earliest of them.  Top-down with an explicit
 * stack, since a thread may be as deep as the folder is large. */
static void message_parents(struct build *b, const size_t *rank, size_t *mparent)
{
	size_t *stack = xreallocarray(NULL, b->nnodes + 1, sizeof(*stack));
	size_t *anc = xreallocarray(NULL, b->nnodes, sizeof(*anc));
	size_t *tops = NULL, ntops = 0, captops = 0;
	size_t root, sp, i;

	for (root = 0; root < b->nnodes; root++) {
		if (b->nodes[root].parent != NONE)
			continue;
		ntops = 0;
		sp = 0;
		anc[root] = NONE;
		stack[sp++] = root;
		while (sp > 0) {
			size_t x = stack[--sp], c, down;

			if (b->nodes[x].msg != NONE) {
				mparent[b->nodes[x].msg] = anc[x];
				if (anc[x] == NONE) {
					if (ntops == captops) {
						captops = captops ? captops * 2 : 16;
						tops = xreallocarray(tops, captops, sizeof(*tops));
					}
					tops[ntops++] = b->nodes[x].msg;
				}
				down = b->nodes[x].msg;
			} else {
				down = anc[x];
			}
			for (c = b->nodes[x].child; c != NONE; c = b->nodes[c].next) {
				anc[c] = down;
				stack[sp++] = c;
			}
		}
		if (ntops > 1) {
			size_t first = tops[0];

			for (i = 1; i < ntops; i++)
				if (rank[tops[i]] < rank[first])
					first = tops[i];
			for (i = 0; i < ntops; i++)
				if (tops[i] != first)
					mparent[tops[i]] = first;
		}
	}
	free(tops);
	free(anc);
	free(stack);
}

struct thread *thread_build(const struct thread_msg *msgs, size_t n)
{
	struct build b = { NULL, 0, 0, { NULL, 0, 0 } };
	struct thread *t = xcalloc(1, sizeof(*t));
	size_t *mnode = xreallocarray(NULL, n ? n : 1, sizeof(*mnode));
	size_t *bydate = xreallocarray(NULL, n ? n : 1, sizeof(*bydate));
	size_t *rank = xreallocarray(NULL, n ? n : 1, sizeof(*rank));
	size_t *child = xreallocarray(NULL, n ? n : 1, sizeof(*child));
	size_t *tail = xreallocarray(NULL, n ? n : 1, sizeof(*tail));
	size_t *stack;
	size_t i, row, sp, first_root = NONE, last_root = NONE;

	t->n = n;
	t->order = xreallocarray(NULL, n ? n : 1, sizeof(*t->order));
	t->row = xreallocarray(NULL, n ? n : 1, sizeof(*t->row));
	t->depth = xreallocarray(NULL, n ? n : 1, sizeof(*t->depth));
	t->parent = xreallocarray(NULL, n ? n : 1, sizeof(*t->parent));
	t->next = xreallocarray(NULL, n ? n : 1, sizeof(*t->next));

	/* JWZ step 1: a container per message, linked by references. */
	for (i = 0; i < n; i++) {
		const char *id = msgs[i].message_id;
		size_t x, p;

		if (id && *id) {
			x = node_for(&b, id, strlen(id));
			/* A second message with a known id gets a container of its
			 * own, reachable by nobody's references. */
			if (b.nodes[x].msg != NONE)
				x = node_new(&b, i);
			else
				b.nodes[x].msg = i;
		} else {
			x = node_new(&b, i);
		}
		mnode[i] = x;
		p = link_refs(&b, &msgs[i]);
		/* The message's own references are more definite than what
		 * earlier messages presumed about it. */
		if (p != NONE && b.nodes[x].parent != p && !is_ancestor(&b, x, p)) {
			if (b.nodes[x].parent != NONE)
				unlink_child(&b, x);
			link_child(&b, p, x);
		}
	}

	sort_msgs = msgs;
	for (i = 0; i < n; i++)
		bydate[i] = i;
	qsort(bydate, n, sizeof(*bydate), by_date);
	for (i = 0; i < n; i++)
		rank[bydate[i]] = i;

	message_parents(&b, rank, t->parent);

	/* Children lists in date order: append each message to its parent's
	 * list while walking all messages in date order. */
	for (i = 0; i < n; i++)
		child[i] = tail[i] = t->next[i] = NONE;
	for (i = 0; i < n; i++) {
		size_t m = bydate[i], p = t->parent[m];

		if (p == NONE) {
			if (last_root == NONE)
				first_root = m;
			else
				t->next[last_root] = m;
			last_root = m;
		} else {
			if (tail[p] == NONE)
				child[p] = m;
			else
				t->next[tail[p]] = m;
			tail[p] = m;
		}
	}

	/* Rows: depth-first, pre-order, with an explicit stack. */
	stack = xreallocarray(NULL, n ? n : 1, sizeof(*stack));
	row = 0;
	for (i = first_root; i != NONE; i = t->next[i]) {
		sp = 0;
		t->depth[i] = 0;
		stack[sp++] = i;
		while (sp > 0) {
			size_t m = stack[--sp], c, cnt = 0, k;

			t->order[row] = m;
			t->row[m] = row++;
			/* Push children in reverse so the earliest pops first. */
			for (c = child[m]; c != NONE; c = t->next[c])
				cnt++;
			k = sp + cnt;
			for (c = child[m]; c != NONE; c = t->next[c]) {
				t->depth[c] = t->depth[m] + 1;
				stack[--k] = c;
			}
			sp += cnt;
		}
	}

	free(stack);
	free(tail);
	free(child);
	free(rank);
	free(bydate);
	free(mnode);
	free(b.nodes);
	free(b.tab.slots);
	return t;
}

void thread_free(struct thread *t)
{
	if (!t)
		return;
	free(t->order);
	free(t->row);
	free(t->depth);
	free(t->parent);
	free(t->next);
	free(t);
}

size_t thread_count(const struct thread *t)
{
	return t->n;
}

size_t thread_msg_at(const struct thread *t, size_t row)
{
	return t->order[row];
}

size_t thread_row_of(const struct thread *t, size_t msg)
{
	return t->row[msg];
}

size_t thread_depth(const struct thread *t, size_t msg)
{
	return t->depth[msg];
}

size_t thread_parent(const struct thread *t, size_t msg)
{
	return t->parent[msg];
}

void thread_tree(const struct thread *t, size_t msg, size_t max_levels, struct buf *out)
{
	/* more[k]: whether the ancestor k levels up (k = 0: msg) has a later
	 * sibling, i.e. whether a vertical line continues in that column. */
	unsigned char more[64];
	size_t d = t->depth[msg], levels, k, x;

	if (d == 0 || max_levels == 0)
		return;
	if (max_levels > sizeof(more))
		max_levels = sizeof(more);
	levels = d < max_levels ? d : max_levels;
	for (k = 0, x = msg; k < levels; k++, x = t->parent[x])
		more[k] = t->next[x] != NONE;
	for (k = levels; k-- > 1;)
		buf_puts(out, more[k] ? "\u2502 " : "  ");
	buf_puts(out, more[0] ? "\u251c\u2500>" : "\u2514\u2500>");
}
