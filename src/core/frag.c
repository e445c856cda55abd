/* IP reassembly, bounded in memory (cfg.frag_mem_bytes), in concurrent datagrams
 * (cfg.frag_max_datagrams) and in fragments per datagram (FRAG_MAX_PIECES), with a timeout
 * (cfg.frag_timeout_ms; RFC 8200 §4.5 says 60 s, RFC 791 suggests 15 s; 30 s by default).
 * A datagram whose fragments overlap is discarded whole (RFC 5722), which also defeats the
 * overlapping-fragment attacks on IPv4. */
#include <string.h>

#include "frag.h"
#include "stack_internal.h"

#define FRAG_MAX_PIECES 64
#define FRAG_MAX_DATAGRAM 65535u

typedef struct {
  bool used;
  uint8_t family, proto;
  uint8_t npieces;
  synack_ip_t src, dst;
  uint32_t id;
  uint32_t total;     /* known once the last fragment arrived, else 0 */
  uint32_t received;  /* bytes received (no overlaps, so a plain sum) */
  uint8_t *buf;
  uint32_t cap;
  struct { uint16_t lo, hi; } piece[FRAG_MAX_PIECES]; /* [lo, hi) */
  synack_timer_t timer;
} frag_ctx_t;

struct synack_frag {
  uint32_t n;
  size_t mem_used;
  uint8_t *done;      /* the last reassembled datagram, lent to the caller */
  uint32_t done_cap;
  frag_ctx_t c[];
};

static size_t frag_size(uint32_t n) { return sizeof(struct synack_frag) + (size_t)n * sizeof(frag_ctx_t); }

int synack_frag_init(synack_stack_t *st) {
  uint32_t n = st->cfg.frag_max_datagrams ? st->cfg.frag_max_datagrams : 1;
  st->frag = synack_mem_alloc(st, frag_size(n));
  if (!st->frag) return -SYNACK_ENOMEM;
  st->frag->n = n;
  for (uint32_t i = 0; i < n; i++) synack_timer_init(&st->frag->c[i].timer, SYNACK_TK_FRAG);
  return 0;
}

static void ctx_free(synack_stack_t *st, frag_ctx_t *c) {
  synack_timer_cancel(&st->wheel, &c->timer);
  if (c->buf) {
    synack_mem_free(st, c->buf, c->cap);
    st->frag->mem_used -= c->cap;
  }
  c->buf = NULL;
  c->cap = 0;
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
  synack_mem_free(st, f, frag_size(f->n));
  st->frag = NULL;
}

size_t synack_frag_memory(const synack_stack_t *st) { return frag_size(st->frag->n) + st->frag->mem_used; }

static frag_ctx_t *lookup(synack_stack_t *st, const synack_frag_in_t *in, bool create) {
  struct synack_frag *f = st->frag;
  frag_ctx_t *free_slot = NULL;
  for (uint32_t i = 0; i < f->n; i++) {
    frag_ctx_t *c = &f->c[i];
    if (!c->used) {
      if (!free_slot) free_slot = c;
      continue;
    }
    /* RFC 791: a datagram is identified by source, destination, protocol and ID. */
    if (c->family == in->family && c->id == in->id && c->proto == in->proto && synack_ip_equal(&c->src, &in->src) &&
        synack_ip_equal(&c->dst, &in->dst))
      return c;
  }
  if (!create || !free_slot) return NULL;
  free_slot->used = true;
  free_slot->family = in->family;
  free_slot->proto = in->proto;
  free_slot->src = in->src;
  free_slot->dst = in->dst;
  free_slot->id = in->id;
  synack_timer_set(&st->wheel, &free_slot->timer, st->now + (uint64_t)st->cfg.frag_timeout_ms * 1000u);
  return free_slot;
}

/* Grows the context's buffer to hold `need` bytes, within the memory bound. */
static bool reserve(synack_stack_t *st, frag_ctx_t *c, uint32_t need) {
  if (need <= c->cap) return true;
  uint32_t cap = c->cap ? c->cap : 2048;
  while (cap < need) cap *= 2;
  if (cap > FRAG_MAX_DATAGRAM) cap = FRAG_MAX_DATAGRAM;
  struct synack_frag *f = st->frag;
  if (f->mem_used + cap - c->cap > st->cfg.frag_mem_bytes) return false;
  uint8_t *nb = synack_mem_alloc(st, cap);
  if (!nb) return false;
  if (c->buf) {
    memcpy(nb, c->buf, c->cap);
    synack_mem_free(st, c->buf, c->cap);
  }
  f->mem_used += cap - c->cap;
  c->buf = nb;
  c->cap = cap;
  return true;
}

bool synack_frag_add(synack_stack_t *st, synack_time_t now, const synack_frag_in_t *in, const uint8_t **out,
                     size_t *out_len) {
  (void)now;
  release_done(st);
  uint32_t lo = in->offset, hi = in->offset + (uint32_t)in->len;
  /* RFC 791 / RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes, and
   * the datagram cannot exceed 65535 bytes. */
  if (hi > FRAG_MAX_DATAGRAM || (in->more && (in->len % 8 != 0 || in->len == 0))) {
    synack_drop(st, SYNACK_DROP_FRAG_BAD_OFFSET, in->data, in->len);
    return false;
  }
  frag_ctx_t *c = lookup(st, in, true);
  if (!c) {
    synack_drop(st, SYNACK_DROP_FRAG_NO_MEMORY, in->data, in->len);
    return false;
  }
  /* A second "last" fragment with another end, or data past the known end: inconsistent. */
  if ((!in->more && c->total && c->total != hi) || (c->total && hi > c->total)) {
    synack_drop(st, SYNACK_DROP_FRAG_BAD_OFFSET, in->data, in->len);
    ctx_free(st, c);
    return false;
  }
  for (uint8_t i = 0; i < c->npieces; i++) {
    if (lo < c->piece[i].hi && c->piece[i].lo < hi) {
      /* An exact duplicate is harmless (a retransmitted fragment); any other overlap kills
       * the datagram. */
      if (c->piece[i].lo == lo && c->piece[i].hi == hi) return false;
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
  if (!reserve(st, c, hi)) {
    synack_drop(st, SYNACK_DROP_FRAG_NO_MEMORY, in->data, in->len);
    ctx_free(st, c);
    return false;
  }
  memcpy(c->buf + lo, in->data, in->len);
  c->piece[c->npieces].lo = (uint16_t)lo;
  c->piece[c->npieces].hi = (uint16_t)hi;
  c->npieces++;
  c->received += (uint32_t)in->len;
  if (!in->more) {
    c->total = hi;
    /* Pieces already past the end make the datagram inconsistent. */
    for (uint8_t i = 0; i < c->npieces; i++)
      if (c->piece[i].hi > hi) {
        synack_drop(st, SYNACK_DROP_FRAG_BAD_OFFSET, in->data, in->len);
        ctx_free(st, c);
        return false;
      }
  }
  if (!c->total || c->received != c->total) return false;
  /* Complete: hand the buffer over (it stays charged until the next call). */
  struct synack_frag *f = st->frag;
  f->done = c->buf;
  f->done_cap = c->cap;
  *out = c->buf;
  *out_len = c->total;
  c->buf = NULL;
  c->cap = 0;
  ctx_free(st, c);
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
