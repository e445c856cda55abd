/* The transmit log (tcp_xmitlog.h): a ring of (end, flags, send time) entries in sequence
 * order, from SND.UNA to SND.MAX. */
#include <string.h>

#include "tcp_internal.h"

#define XL_FIRST_CAP 32u
#define XL_DEFAULT_LIMIT 4096u

static bool grow(synack_stack_t *st, synack_xmitlog_t *l) {
  uint32_t limit = l->limit ? l->limit : XL_DEFAULT_LIMIT;
  uint32_t cap = l->cap ? 2u * l->cap : XL_FIRST_CAP;
  if (cap > limit) cap = limit;
  if (cap <= l->cap) return false;
  size_t sz = (size_t)cap * sizeof(synack_xl_ent_t);
  synack_xl_ent_t *e = synack_mem_alloc(st, sz);
  if (!e) return false;
  for (uint32_t k = 0; k < l->n; k++) e[k] = *synack_xl_at(l, k);
  if (l->e) {
    size_t old = (size_t)l->cap * sizeof(synack_xl_ent_t);
    synack_mem_free(st, l->e, old);
    st->tcp->mem -= old;
  }
  st->tcp->mem += sz;
  l->e = e;
  l->cap = cap;
  l->head = 0;
  return true;
}

void synack_xl_free(synack_stack_t *st, synack_xmitlog_t *l) {
  if (l->e) {
    size_t sz = (size_t)l->cap * sizeof(synack_xl_ent_t);
    synack_mem_free(st, l->e, sz);
    st->tcp->mem -= sz;
  }
  memset(l, 0, sizeof *l);
}

/* Opens a slot at index k (entries k.. move up by one); the table has room. */
static void insert_at(synack_xmitlog_t *l, uint32_t k) {
  for (uint32_t i = l->n; i > k; i--) *synack_xl_at(l, i) = *synack_xl_at(l, i - 1u);
  l->n++;
}

static void remove_at(synack_xmitlog_t *l, uint32_t k) {
  for (uint32_t i = k; i + 1u < l->n; i++) *synack_xl_at(l, i) = *synack_xl_at(l, i + 1u);
  l->n--;
}

uint32_t synack_xl_find(const synack_xmitlog_t *l, synack_seq_t seq) {
  if (!l->n || seq_lt(seq, l->start) || !seq_lt(seq, synack_xl_end(l))) return l->n;
  /* Binary search on the end sequence numbers (sorted). */
  uint32_t lo = 0, hi = l->n - 1u;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2u;
    if (seq_gt(synack_xl_at(l, mid)->end, seq)) hi = mid;
    else lo = mid + 1u;
  }
  return lo;
}

bool synack_xl_split(synack_stack_t *st, synack_xmitlog_t *l, uint32_t k, synack_seq_t seq) {
  if (k >= l->n || !seq_gt(seq, synack_xl_start_of(l, k)) || !seq_lt(seq, synack_xl_at(l, k)->end)) return false;
  if (l->n == l->cap && !grow(st, l)) return false;
  insert_at(l, k);
  *synack_xl_at(l, k) = *synack_xl_at(l, k + 1u);
  synack_xl_at(l, k)->end = seq;
  return true;
}

static void merge_around(synack_xmitlog_t *l, uint32_t k) {
  /* Neighbours with the same time and flags say the same thing: one entry. */
  if (k + 1u < l->n) {
    synack_xl_ent_t *a = synack_xl_at(l, k), *b = synack_xl_at(l, k + 1u);
    if (a->t == b->t && a->flags == b->flags) {
      a->end = b->end;
      if ((int32_t)(b->ord - a->ord) > 0) a->ord = b->ord;
      remove_at(l, k + 1u);
    }
  }
  if (k > 0 && k < l->n) {
    synack_xl_ent_t *a = synack_xl_at(l, k - 1u), *b = synack_xl_at(l, k);
    if (a->t == b->t && a->flags == b->flags) {
      a->end = b->end;
      if ((int32_t)(b->ord - a->ord) > 0) a->ord = b->ord;
      remove_at(l, k);
    }
  }
}

void synack_xl_sent(synack_stack_t *st, synack_xmitlog_t *l, synack_seq_t s, synack_seq_t e, synack_time_t now) {
  if (!seq_lt(s, e)) return;
  uint32_t ord = ++l->ord;
  if (l->n == 0) l->start = s; /* nothing recorded in flight: the log restarts here */
  synack_seq_t end = synack_xl_end(l);
  if (!seq_lt(s, end)) {
    /* New data (in sequence order: s == end; a gap cannot happen, but then start over). */
    if (!seq_eq(s, end)) {
      l->n = 0;
      l->start = s;
    }
    if (l->n) {
      synack_xl_ent_t *last = synack_xl_at(l, l->n - 1u);
      if (last->flags == 0 && last->t == now) {
        last->end = e;
        last->ord = ord;
        return;
      }
    }
    if (l->n == l->cap && !grow(st, l)) {
      if (!l->n) return;
      synack_xl_ent_t *last = synack_xl_at(l, l->n - 1u);
      last->end = e; /* full: the last entry now looks sent at now (later than it partly was) */
      last->t = now;
      last->ord = ord;
      last->flags |= SYNACK_XL_COARSE;
      return;
    }
    synack_xl_ent_t *ne = synack_xl_at(l, l->n);
    ne->end = e;
    ne->flags = 0;
    ne->t = now;
    ne->ord = ord;
    l->n++;
    return;
  }
  /* A retransmission of [s, min(e, end)). */
  if (seq_gt(e, end)) e = end;
  if (seq_lt(s, l->start)) s = l->start;
  if (!seq_lt(s, e)) return;
  uint32_t k = synack_xl_find(l, s);
  if (k >= l->n) return;
  if (seq_gt(s, synack_xl_start_of(l, k)) && synack_xl_split(st, l, k, s)) k++;
  while (k < l->n && seq_lt(synack_xl_start_of(l, k), e)) {
    synack_xl_ent_t *x = synack_xl_at(l, k);
    if (seq_gt(x->end, e)) (void)synack_xl_split(st, l, k, e);
    x = synack_xl_at(l, k);
    /* A split that found no room: the entry holds bytes this call did not send. */
    bool coarse = seq_lt(synack_xl_start_of(l, k), s) || seq_gt(x->end, e);
    x->t = now;
    x->ord = ord;
    x->flags = (x->flags | SYNACK_XL_RTX | (coarse ? SYNACK_XL_COARSE : 0u)) & ~(uint32_t)SYNACK_XL_LOST;
    k++;
  }
  /* Merge the touched run with its neighbours (a retransmission burst becomes one entry). */
  uint32_t first = synack_xl_find(l, s);
  uint32_t last = k ? k - 1u : 0;
  for (uint32_t i = last + 1u; i-- > first;) {
    if (i >= l->n) continue;
    merge_around(l, i);
  }
}

void synack_xl_ack(synack_xmitlog_t *l, synack_seq_t una) {
  if (!l->n) {
    if (seq_gt(una, l->start)) l->start = una;
    return;
  }
  while (l->n && seq_le(synack_xl_at(l, 0)->end, una)) {
    l->start = synack_xl_at(l, 0)->end;
    l->head = (l->head + 1u) % l->cap;
    l->n--;
  }
  if (seq_gt(una, l->start)) l->start = una;
}
