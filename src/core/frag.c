/* IP reassembly, bounded in memory (cfg.frag_mem_bytes), in concurrent datagrams
 * (cfg.frag_max_datagrams) and in fragments per datagram (FRAG_MAX_PIECES), with a timeout
 * (cfg.frag_timeout_ms; RFC 8200 §4.5 says 60 s, RFC 791 suggests 15 s; 30 s by default).
 * A datagram whose fragments overlap is discarded whole (RFC 5722), which also defeats the
 * overlapping-fragment attacks on IPv4.
 *
 * Against a peer that fills the table (issue 12 §2):
 *   - memory is charged by the bytes each fragment actually holds (each fragment's data is
 *     kept in its own allocation, charged with its 16-byte header, until the datagram is
 *     complete), not up to the highest offset: an 8-byte fragment at offset 65,520 costs
 *     24 bytes, not 64 KiB;
 *   - when every context is in use, or the memory bound would be passed, the oldest
 *     contexts are evicted (FRAG_EVICTED), as Linux does, so a trickle of fragments that
 *     never complete cannot keep reassembly full for everyone else;
 *   - contexts are found through a hash keyed with a per-stack secret, so a peer cannot
 *     choose identifiers that collide. */
#include <string.h>

#include "frag.h"
#include "rng.h"
#include "stack_internal.h"

#define FRAG_MAX_PIECES 64
#define FRAG_MAX_DATAGRAM 65535u

/* One fragment's data, in its own allocation (charged with its header). */
typedef struct frag_piece {
  struct frag_piece *next;
  uint16_t lo, hi; /* [lo, hi) */
  uint8_t data[];
} frag_piece_t;

static size_t piece_size(size_t len) { return sizeof(frag_piece_t) + len; }

typedef struct frag_ctx {
  struct frag_ctx *hnext; /* hash chain */
  bool used;
  uint8_t family, proto;
  uint8_t npieces;
  synack_ip_t src, dst;
  uint32_t id;
  uint32_t total;    /* known once the last fragment arrived, else 0 */
  uint32_t received; /* payload bytes held (no overlaps, so a plain sum) */
  uint32_t charged;  /* what the pieces cost: their bytes plus a header each */
  synack_time_t created;
  frag_piece_t *pieces;
  synack_timer_t timer;
} frag_ctx_t;

struct synack_frag {
  uint32_t n, nbuckets;
  size_t mem_used;
  uint8_t key[16];
  frag_ctx_t **buckets;
  uint8_t *done; /* the last reassembled datagram, lent to the caller */
  uint32_t done_cap;
  frag_ctx_t c[];
};

static size_t frag_size(uint32_t n) { return sizeof(struct synack_frag) + (size_t)n * sizeof(frag_ctx_t); }

int synack_frag_init(synack_stack_t *st) {
  uint32_t n = st->cfg.frag_max_datagrams ? st->cfg.frag_max_datagrams : 1;
  struct synack_frag *f = synack_mem_alloc(st, frag_size(n));
  if (!f) return -SYNACK_ENOMEM;
  uint32_t nb = 1;
  while (nb < n) nb <<= 1;
  f->buckets = synack_mem_alloc(st, nb * sizeof *f->buckets);
  if (!f->buckets) {
    synack_mem_free(st, f, frag_size(n));
    return -SYNACK_ENOMEM;
  }
  f->n = n;
  f->nbuckets = nb;
  memcpy(f->key, st->keys[SYNACK_KEY_FRAG], sizeof f->key); /* secret.h: one key per purpose */
  for (uint32_t i = 0; i < n; i++) synack_timer_init(&f->c[i].timer, SYNACK_TK_FRAG);
  st->frag = f;
  return 0;
}

/* RFC 791: a datagram is identified by source, destination, protocol and ID (RFC 8200 §4.5:
 * source, destination and the fragment ID). Hashed field by field with the stack's key. */
static uint32_t bucket_of(const struct synack_frag *f, uint8_t family, uint8_t proto, const synack_ip_t *src,
                          const synack_ip_t *dst, uint32_t id) {
  uint8_t b[16 + 16 + 4 + 2];
  memcpy(b, src->b, 16);
  memcpy(b + 16, dst->b, 16);
  b[32] = (uint8_t)(id >> 24);
  b[33] = (uint8_t)(id >> 16);
  b[34] = (uint8_t)(id >> 8);
  b[35] = (uint8_t)id;
  b[36] = family;
  b[37] = proto;
  return (uint32_t)synack_siphash24(f->key, b, sizeof b) & (f->nbuckets - 1);
}

static void unhash(struct synack_frag *f, frag_ctx_t *c) {
  frag_ctx_t **pp = &f->buckets[bucket_of(f, c->family, c->proto, &c->src, &c->dst, c->id)];
  while (*pp && *pp != c) pp = &(*pp)->hnext;
  if (*pp) *pp = c->hnext;
  c->hnext = NULL;
}

static void ctx_free(synack_stack_t *st, frag_ctx_t *c) {
  struct synack_frag *f = st->frag;
  synack_timer_cancel(&st->wheel, &c->timer);
  frag_piece_t *p = c->pieces;
  while (p) {
    frag_piece_t *next = p->next;
    synack_mem_free(st, p, piece_size((size_t)(p->hi - p->lo)));
    p = next;
  }
  c->pieces = NULL;
  f->mem_used -= c->charged;
  c->charged = 0;
  if (c->used) unhash(f, c);
  c->used = false;
  c->npieces = 0;
  c->total = c->received = 0;
}

static void release_done(synack_stack_t *st) {
  struct synack_frag *f = st->frag;
  if (f->done) {
    synack_mem_free(st, f->done, f->done_cap);
    f->mem_used -= f->done_cap;
    f->done = NULL;
    f->done_cap = 0;
  }
}

void synack_frag_fini(synack_stack_t *st) {
  struct synack_frag *f = st->frag;
  for (uint32_t i = 0; i < f->n; i++)
    if (f->c[i].used) ctx_free(st, &f->c[i]);
  release_done(st);
  synack_mem_free(st, f->buckets, f->nbuckets * sizeof *f->buckets);
  synack_mem_free(st, f, frag_size(f->n));
  st->frag = NULL;
}

size_t synack_frag_memory(const synack_stack_t *st) {
  const struct synack_frag *f = st->frag;
  return frag_size(f->n) + f->nbuckets * sizeof *f->buckets + f->mem_used;
}

size_t synack_frag_held(const synack_stack_t *st) { return st->frag->mem_used; }

/* The oldest context in use other than `keep` (NULL when none). */
static frag_ctx_t *oldest(struct synack_frag *f, const frag_ctx_t *keep) {
  frag_ctx_t *o = NULL;
  for (uint32_t i = 0; i < f->n; i++) {
    frag_ctx_t *c = &f->c[i];
    if (c->used && c != keep && (!o || c->created < o->created)) o = c;
  }
  return o;
}

static void evict(synack_stack_t *st, frag_ctx_t *c) {
  synack_count(st, SYNACK_CTR_FRAG_EVICTED);
  ctx_free(st, c);
}

static frag_ctx_t *lookup(synack_stack_t *st, const synack_frag_in_t *in, synack_time_t now) {
  struct synack_frag *f = st->frag;
  uint32_t b = bucket_of(f, in->family, in->proto, &in->src, &in->dst, in->id);
  for (frag_ctx_t *c = f->buckets[b]; c; c = c->hnext)
    if (c->family == in->family && c->id == in->id && c->proto == in->proto && synack_ip_equal(&c->src, &in->src) &&
        synack_ip_equal(&c->dst, &in->dst))
      return c;
  frag_ctx_t *slot = NULL;
  for (uint32_t i = 0; i < f->n && !slot; i++)
    if (!f->c[i].used) slot = &f->c[i];
  if (!slot) {
    /* Full: the oldest datagram gives way (it had the longest chance to complete). */
    slot = oldest(f, NULL);
    evict(st, slot);
  }
  slot->used = true;
  slot->family = in->family;
  slot->proto = in->proto;
  slot->src = in->src;
  slot->dst = in->dst;
  slot->id = in->id;
  slot->created = now;
  slot->hnext = f->buckets[b];
  f->buckets[b] = slot;
  synack_timer_set(&st->wheel, &slot->timer, now + (uint64_t)st->cfg.frag_timeout_ms * 1000u);
  return slot;
}

/* Makes room for len more bytes within frag_mem_bytes by evicting the oldest other contexts. */
static bool make_room(synack_stack_t *st, const frag_ctx_t *c, size_t len) {
  struct synack_frag *f = st->frag;
  if (c->charged + len > st->cfg.frag_mem_bytes) return false; /* could never fit: evict nothing */
  while (f->mem_used + len > st->cfg.frag_mem_bytes) {
    frag_ctx_t *o = oldest(f, c);
    if (!o) return false;
    evict(st, o);
  }
  return true;
}

bool synack_frag_add(synack_stack_t *st, synack_time_t now, const synack_frag_in_t *in, const uint8_t **out,
                     size_t *out_len) {
  release_done(st);
  uint32_t lo = in->offset, hi = in->offset + (uint32_t)in->len;
  /* RFC 791 / RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes, and
   * the datagram cannot exceed 65535 bytes. */
  if (hi > FRAG_MAX_DATAGRAM || (in->more && (in->len % 8 != 0 || in->len == 0))) {
    synack_drop(st, SYNACK_DROP_FRAG_BAD_OFFSET, in->data, in->len);
    return false;
  }
  frag_ctx_t *c = lookup(st, in, now);
  /* A second "last" fragment with another end, or data past the known end: inconsistent. */
  if ((!in->more && c->total && c->total != hi) || (c->total && hi > c->total)) {
    synack_drop(st, SYNACK_DROP_FRAG_BAD_OFFSET, in->data, in->len);
    ctx_free(st, c);
    return false;
  }
  for (const frag_piece_t *p = c->pieces; p; p = p->next) {
    if (lo < p->hi && p->lo < hi) {
      /* An exact duplicate is harmless (a retransmitted fragment); any other overlap kills
       * the datagram. */
      if (p->lo == lo && p->hi == hi) return false;
      synack_drop(st, SYNACK_DROP_FRAG_OVERLAP, in->data, in->len);
      ctx_free(st, c);
      return false;
    }
  }
  if (c->npieces == FRAG_MAX_PIECES) {
    synack_drop(st, SYNACK_DROP_FRAG_TOO_MANY, in->data, in->len);
    ctx_free(st, c);
    return false;
  }
  if (!in->more) {
    /* Pieces already past the end make the datagram inconsistent. */
    for (const frag_piece_t *p = c->pieces; p; p = p->next)
      if (p->hi > hi) {
        synack_drop(st, SYNACK_DROP_FRAG_BAD_OFFSET, in->data, in->len);
        ctx_free(st, c);
        return false;
      }
  }
  size_t cost = piece_size(in->len);
  frag_piece_t *np = make_room(st, c, cost) ? synack_mem_alloc(st, cost) : NULL;
  if (!np) {
    synack_drop(st, SYNACK_DROP_FRAG_NO_MEMORY, in->data, in->len);
    ctx_free(st, c);
    return false;
  }
  if (in->len) memcpy(np->data, in->data, in->len);
  np->lo = (uint16_t)lo;
  np->hi = (uint16_t)hi;
  np->next = c->pieces;
  c->pieces = np;
  st->frag->mem_used += cost;
  c->charged += (uint32_t)cost;
  c->npieces++;
  c->received += (uint32_t)in->len;
  if (!in->more) c->total = hi;
  if (!c->total || c->received != c->total) return false;
  /* Complete: gather the pieces into one buffer, lent to the caller until the next call
   * (charged meanwhile; the pieces are released, so the peak is twice the datagram). */
  struct synack_frag *f = st->frag;
  uint8_t *buf = synack_mem_alloc(st, c->total ? c->total : 1);
  if (!buf) {
    synack_drop(st, SYNACK_DROP_FRAG_NO_MEMORY, in->data, in->len);
    ctx_free(st, c);
    return false;
  }
  for (const frag_piece_t *p = c->pieces; p; p = p->next)
    if (p->hi > p->lo) memcpy(buf + p->lo, p->data, (size_t)(p->hi - p->lo));
  uint32_t total = c->total;
  ctx_free(st, c);
  f->done = buf;
  f->done_cap = total ? total : 1;
  f->mem_used += f->done_cap;
  *out = buf;
  *out_len = total;
  return true;
}

void synack_frag_timer(synack_stack_t *st, synack_timer_t *t, synack_time_t now) {
  (void)now;
  frag_ctx_t *c = (frag_ctx_t *)((uint8_t *)t - offsetof(frag_ctx_t, timer));
  /* RFC 792 / RFC 8200 §4.5 would send "time exceeded (reassembly)" when the first fragment
   * arrived; synack only counts the loss. */
  synack_drop(st, SYNACK_DROP_FRAG_TIMEOUT, NULL, 0);
  ctx_free(st, c);
}
