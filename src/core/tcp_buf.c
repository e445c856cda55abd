/* Send and receive byte rings.
 *
 * The send ring holds every byte from SND.UNA on (sent or not); output copies straight from it
 * into a transmit slot, so data is copied once on each side. The receive ring holds the bytes
 * the application has not read; out-of-order data is written directly to its final place after
 * them (it is inside the window we advertised, hence inside the free space), and the range table
 * (tcp_ooo.c) tells which places are filled; SACK blocks are built from it (tcp_sackgen.c).
 * A received byte is copied once, from the frame into the ring, and once more by recv().
 * Buffers are allocated on first use: an idle socket owns none, an in-order one no range table. */
#include <string.h>

#include "tcp_internal.h"

int synack_sndbuf_write(synack_stack_t *st, synack_sndbuf_t *b, const void *data, uint32_t n) {
  if (!b->buf) {
    if (b->cap == 0) return -SYNACK_ENOBUFS;
    b->buf = synack_ring_alloc(st, b->cap);
    if (!b->buf) return -SYNACK_ENOMEM;
    st->tcp->mem += b->cap;
    b->head = 0;
  }
  if (n > synack_sndbuf_room(b)) n = synack_sndbuf_room(b);
  uint32_t pos = (b->head + b->len) % b->cap;
  uint32_t first = b->cap - pos < n ? b->cap - pos : n;
  memcpy(b->buf + pos, data, first);
  memcpy(b->buf, (const uint8_t *)data + first, n - first);
  b->len += n;
  return (int)n;
}

void synack_sndbuf_drop(synack_sndbuf_t *b, uint32_t n) {
  if (n > b->len) n = b->len;
  if (!b->cap) return;
  b->head = (b->head + n) % b->cap;
  b->len -= n;
  if (b->len == 0) b->head = 0;
}

void synack_sndbuf_copy(const synack_sndbuf_t *b, uint32_t off, void *dst, uint32_t n) {
  uint32_t pos = (b->head + off) % b->cap;
  uint32_t first = b->cap - pos < n ? b->cap - pos : n;
  memcpy(dst, b->buf + pos, first);
  memcpy((uint8_t *)dst + first, b->buf, n - first);
}

uint32_t synack_sndbuf_copy_csum(const synack_sndbuf_t *b, uint32_t off, void *dst, uint32_t n) {
  uint32_t pos = (b->head + off) % b->cap;
  uint32_t first = b->cap - pos < n ? b->cap - pos : n;
  uint32_t sum = synack_csum_copy(dst, b->buf + pos, first, 0);
  if (n == first) return sum;
  /* The second piece (from the start of the ring) lands `first` bytes into the payload: at an
   * odd offset its bytes pair the other way round, which synack_csum_combine accounts for. */
  return synack_csum_combine(sum, synack_csum_copy((uint8_t *)dst + first, b->buf, n - first, 0), first);
}

void synack_sndbuf_free(synack_stack_t *st, synack_sndbuf_t *b) {
  if (b->buf) {
    synack_ring_free(st, b->buf, b->cap);
    st->tcp->mem -= b->cap;
  }
  b->buf = NULL;
  b->head = b->len = 0;
}

int synack_rcvbuf_reserve(synack_stack_t *st, synack_rcvbuf_t *b) {
  if (b->buf) return 0;
  if (b->cap == 0) return -SYNACK_ENOBUFS;
  uint32_t ring = b->cap + b->slack;
  b->buf = synack_ring_alloc(st, ring);
  if (!b->buf) return -SYNACK_ENOMEM;
  st->tcp->mem += ring;
  b->head = 0;
  return 0;
}

void synack_rcvbuf_place(synack_rcvbuf_t *b, uint32_t off, const void *data, uint32_t n) {
  uint32_t ring = b->cap + b->slack;
  uint32_t pos = (uint32_t)(((uint64_t)b->head + b->len + off) % ring);
  uint32_t first = ring - pos < n ? ring - pos : n;
  memcpy(b->buf + pos, data, first);
  memcpy(b->buf, (const uint8_t *)data + first, n - first);
}

uint32_t synack_rcvbuf_place_csum(synack_rcvbuf_t *b, const void *data, uint32_t n) {
  uint32_t ring = b->cap + b->slack;
  uint32_t pos = (uint32_t)(((uint64_t)b->head + b->len) % ring);
  uint32_t first = ring - pos < n ? ring - pos : n;
  uint32_t sum = synack_csum_copy(b->buf + pos, data, first, 0);
  if (n == first) return sum;
  /* The wrapped piece starts `first` bytes into the payload, possibly at an odd offset. */
  return synack_csum_combine(sum, synack_csum_copy(b->buf, (const uint8_t *)data + first, n - first, 0), first);
}

void synack_rcvbuf_commit(synack_rcvbuf_t *b, uint32_t n) { b->len += n; }

void synack_rcvbuf_peek_at(const synack_rcvbuf_t *b, uint32_t off, void *dst, uint32_t n) {
  uint32_t ring = b->cap + b->slack;
  uint32_t pos = (b->head + off) % ring;
  uint32_t first = ring - pos < n ? ring - pos : n;
  memcpy(dst, b->buf + pos, first);
  memcpy((uint8_t *)dst + first, b->buf, n - first);
}

uint32_t synack_rcvbuf_read(synack_rcvbuf_t *b, void *dst, uint32_t n, bool peek) {
  if (n > b->len) n = b->len;
  if (n == 0) return 0;
  uint32_t ring = b->cap + b->slack;
  synack_rcvbuf_peek_at(b, 0, dst, n);
  if (!peek) {
    b->head = (b->head + n) % ring;
    b->len -= n;
    /* Rewind an empty ring only when no out-of-order bytes sit after it. */
    if (b->len == 0 && b->ooo.n == 0) b->head = 0;
  }
  return n;
}

void synack_rcvbuf_free(synack_stack_t *st, synack_rcvbuf_t *b) {
  if (b->buf) {
    synack_ring_free(st, b->buf, b->cap + b->slack);
    st->tcp->mem -= b->cap + b->slack;
  }
  if (b->ooo.r) {
    synack_mem_free(st, b->ooo.r, (size_t)b->ooo.cap * sizeof b->ooo.r[0]);
    st->tcp->mem -= (size_t)b->ooo.cap * sizeof b->ooo.r[0];
  }
  b->buf = NULL;
  b->head = b->len = 0;
  memset(&b->ooo, 0, sizeof b->ooo);
  synack_sackgen_reset(&b->sg);
}

int synack_rcvbuf_ooo_reserve(synack_stack_t *st, synack_rcvbuf_t *b, uint32_t nranges) {
  if (b->ooo.r) return 0;
  if (nranges < SYNACK_OOO_RANGES_MIN) nranges = SYNACK_OOO_RANGES_MIN;
  if (nranges > SYNACK_OOO_RANGES_MAX) nranges = SYNACK_OOO_RANGES_MAX;
  size_t sz = (size_t)nranges * sizeof b->ooo.r[0];
  b->ooo.r = synack_mem_alloc(st, sz);
  if (!b->ooo.r) return -SYNACK_ENOMEM;
  st->tcp->mem += sz;
  b->ooo.cap = (uint16_t)nranges;
  return 0;
}

typedef struct {
  synack_rcvbuf_t *b;
  uint32_t base; /* offset of the segment's first byte after the in-order data */
  const uint8_t *data;
} store_ctx_t;

static void store_gap(void *ctx, uint32_t off, uint32_t len) {
  store_ctx_t *c = ctx;
  synack_rcvbuf_place(c->b, c->base + off, c->data + off, len);
}

void synack_rcvbuf_store(synack_rcvbuf_t *b, synack_seq_t rcv_nxt, synack_seq_t seq, const uint8_t *data, uint32_t n) {
  uint32_t base = (uint32_t)seq_diff(seq, rcv_nxt);
  if (b->ooo.n == 0) { /* nothing held out of order: one copy */
    synack_rcvbuf_place(b, base, data, n);
    return;
  }
  /* Bytes already held keep their first copy: only the holes are written. */
  store_ctx_t c = { b, base, data };
  synack_ooo_each_gap(&b->ooo, seq, seq_add(seq, n), store_gap, &c);
}
