/* Send and receive byte rings, held in chunks.
 *
 * The send ring holds every byte from SND.UNA on (sent or not); output copies straight from it
 * into a transmit slot, so data is copied once on each side. The receive ring holds the bytes
 * the application has not read; out-of-order data is written directly to its final place after
 * them (it is inside the window we advertised, hence inside the free space), and the range table
 * (tcp_ooo.c) tells which places are filled; SACK blocks are built from it (tcp_sackgen.c).
 * A received byte is copied once, from the frame into the ring, and once more by recv().
 *
 * Memory follows the data (issue 14 §1): bytes live in SYNACK_CHUNK-byte chunks from the
 * stack's bufcache (bufcache.c), taken when bytes arrive and given back as soon as the oldest
 * byte has left a chunk; a buffer that holds nothing gives back its chunk table too, so an idle
 * connection, even one that moved data, owns no buffer. Data never moves: a table that must
 * cover more bytes (autotuning grew the buffer) is copied pointer by pointer.
 *
 * Stack-wide limit (as Linux's tcp_mem, tcp_mem.c decides the states): past cfg.tcp_mem_high a
 * buffer that already holds a chunk gets no more (counted in TCP_MEM_REFUSED); a buffer that
 * holds none may always take one, so every connection can still make progress, as Linux
 * always grants tcp_rmem[0] / tcp_wmem[0]. */
#include <string.h>

#include "tcp_internal.h"

#define CH SYNACK_CHUNK

static size_t table_bytes(uint32_t nc) { return (size_t)nc * sizeof(uint8_t *); }

/* The table entry holding logical byte x. */
static uint32_t entry(const synack_chunks_t *q, uint32_t x) { return (q->first + (q->off + x) / CH) % q->nc; }

/* Table entries that bytes [0, span) need at the current offset. */
static uint32_t entries_for(const synack_chunks_t *q, uint32_t span) { return (q->off + span + CH - 1) / CH; }

static void release_chunk(synack_stack_t *st, synack_chunks_t *q, uint32_t e) {
  if (!q->c[e]) return;
  synack_ring_free(st, q->c[e], CH);
  q->c[e] = NULL;
  q->held--;
  synack_tcp_mem_add(st, -(int64_t)CH);
}

/* Gives back every chunk and the table. */
static void q_free(synack_stack_t *st, synack_chunks_t *q) {
  if (!q->c) return;
  for (uint32_t e = 0; e < q->nc; e++) release_chunk(st, q, e);
  synack_mem_free(st, q->c, table_bytes(q->nc));
  synack_tcp_mem_add(st, -(int64_t)table_bytes(q->nc));
  memset(q, 0, sizeof *q);
}

/* Makes the table cover bytes [0, span) wherever the oldest byte sits in its chunk (hence one
 * entry more than span needs); the chunks keep their places in logical order. */
static int q_table(synack_stack_t *st, synack_chunks_t *q, uint32_t span) {
  uint32_t need = (span + CH - 1) / CH + 1;
  if (q->c && need <= q->nc) return 0;
  if (need > UINT16_MAX) return -SYNACK_ENOMEM;
  uint8_t **t = synack_mem_alloc(st, table_bytes(need));
  if (!t) return -SYNACK_ENOMEM;
  synack_tcp_mem_add(st, (int64_t)table_bytes(need));
  if (q->c) {
    for (uint32_t i = 0; i < q->nc; i++) t[i] = q->c[(q->first + i) % q->nc];
    synack_mem_free(st, q->c, table_bytes(q->nc));
    synack_tcp_mem_add(st, -(int64_t)table_bytes(q->nc));
  }
  q->c = t;
  q->nc = (uint16_t)need;
  q->first = 0;
  return 0;
}

/* Chunks for the bytes [from, from + n). */
static int q_reserve(synack_stack_t *st, synack_chunks_t *q, uint32_t from, uint32_t n) {
  if (n == 0) return 0;
  if (q_table(st, q, from + n) < 0) return -SYNACK_ENOMEM;
  uint32_t last = (q->off + from + n - 1) / CH;
  for (uint32_t k = (q->off + from) / CH; k <= last; k++) {
    uint32_t e = (q->first + k) % q->nc;
    if (q->c[e]) continue;
    if (q->held > 0 && !synack_tcp_mem_admit(st, CH)) return -SYNACK_ENOMEM;
    q->c[e] = synack_ring_alloc(st, CH);
    if (!q->c[e]) return -SYNACK_ENOMEM;
    q->held++;
    synack_tcp_mem_add(st, CH);
  }
  return 0;
}

/* The oldest n bytes left: chunks the oldest byte has moved past go back. `live` is how far
 * bytes are still held (0: nothing at all, and the table goes too). Returns chunks released. */
static uint32_t q_consume(synack_stack_t *st, synack_chunks_t *q, uint32_t n, uint32_t live) {
  if (!q->c) return 0;
  uint32_t released = 0, k = q->off + n;
  for (; k >= CH; k -= CH) {
    if (q->c[q->first]) released++;
    release_chunk(st, q, q->first);
    q->first = (uint16_t)((q->first + 1) % q->nc);
  }
  q->off = (uint16_t)k;
  if (live == 0) {
    released += q->held;
    q_free(st, q);
  }
  return released;
}

static void q_put(const synack_chunks_t *q, uint32_t x, const void *data, uint32_t n) {
  const uint8_t *src = data;
  while (n) {
    uint32_t in = (q->off + x) % CH, piece = CH - in < n ? CH - in : n;
    memcpy(q->c[entry(q, x)] + in, src, piece);
    x += piece;
    src += piece;
    n -= piece;
  }
}

static void q_get(const synack_chunks_t *q, uint32_t x, void *dst, uint32_t n) {
  uint8_t *d = dst;
  while (n) {
    uint32_t in = (q->off + x) % CH, piece = CH - in < n ? CH - in : n;
    memcpy(d, q->c[entry(q, x)] + in, piece);
    x += piece;
    d += piece;
    n -= piece;
  }
}

/* Copies n bytes between the ring (at logical byte x) and a flat buffer, returning their
 * one's-complement sum; pieces after the first start at odd offsets of the payload as often as
 * not, which synack_csum_combine accounts for. */
static uint32_t q_copy_csum(const synack_chunks_t *q, uint32_t x, uint8_t *flat, uint32_t n, bool to_ring) {
  uint32_t sum = 0, done = 0;
  while (done < n) {
    uint32_t in = (q->off + x + done) % CH, piece = CH - in < n - done ? CH - in : n - done;
    uint8_t *chunk = q->c[entry(q, x + done)] + in;
    uint32_t s = to_ring ? synack_csum_copy(chunk, flat + done, piece, 0) : synack_csum_copy(flat + done, chunk, piece, 0);
    sum = done ? synack_csum_combine(sum, s, done) : s;
    done += piece;
  }
  return sum;
}

int synack_sndbuf_write(synack_stack_t *st, synack_sndbuf_t *b, const void *data, uint32_t n) {
  if (b->cap == 0) return -SYNACK_ENOBUFS;
  if (n > synack_sndbuf_room(b)) n = synack_sndbuf_room(b);
  if (n == 0) return 0;
  /* The table covers the whole ring at once: it is copied only if SO_SNDBUF changes. */
  if (q_table(st, &b->q, b->cap) < 0) return -SYNACK_ENOMEM;
  /* Chunk by chunk, so that a refusal at the limit still queues what fitted. */
  uint32_t done = 0;
  while (done < n) {
    uint32_t in = (b->q.off + b->len) % CH, piece = CH - in < n - done ? CH - in : n - done;
    if (q_reserve(st, &b->q, b->len, piece) < 0) break;
    q_put(&b->q, b->len, (const uint8_t *)data + done, piece);
    b->len += piece;
    done += piece;
  }
  if (done == 0) {
    if (b->len == 0) q_free(st, &b->q); /* the allocator failed: keep no empty table */
    return b->len ? -SYNACK_EAGAIN : -SYNACK_ENOMEM;
  }
  return (int)done;
}

void synack_sndbuf_drop(synack_stack_t *st, synack_sndbuf_t *b, uint32_t n) {
  if (n > b->len) n = b->len;
  b->len -= n;
  q_consume(st, &b->q, n, b->len);
}

void synack_sndbuf_copy(const synack_sndbuf_t *b, uint32_t off, void *dst, uint32_t n) { q_get(&b->q, off, dst, n); }

uint32_t synack_sndbuf_copy_csum(const synack_sndbuf_t *b, uint32_t off, void *dst, uint32_t n) {
  return q_copy_csum(&b->q, off, dst, n, false);
}

void synack_sndbuf_free(synack_stack_t *st, synack_sndbuf_t *b) {
  q_free(st, &b->q);
  b->len = 0;
}

int synack_rcvbuf_reserve(synack_stack_t *st, synack_rcvbuf_t *b, uint32_t off, uint32_t n) {
  if (b->cap == 0) return -SYNACK_ENOBUFS;
  if (n == 0) return 0;
  /* The table covers the whole ring, so that any later placement inside the window finds its
   * entry without copying the table again (only autotuning makes it grow). */
  if (q_table(st, &b->q, b->cap + b->slack) < 0) return -SYNACK_ENOMEM;
  return q_reserve(st, &b->q, b->len + off, n);
}

void synack_rcvbuf_unreserve(synack_stack_t *st, synack_rcvbuf_t *b) {
  if (!b->q.c || b->ooo.n != 0) return;
  if (b->len == 0) {
    b->gen += b->q.held;
    q_free(st, &b->q);
    return;
  }
  /* Entries past the chunk holding the last in-order byte. */
  uint32_t used = entries_for(&b->q, b->len);
  for (uint32_t k = used; k < b->q.nc; k++) {
    uint32_t e = (b->q.first + k) % b->q.nc;
    if (b->q.c[e]) {
      release_chunk(st, &b->q, e);
      b->gen++;
    }
  }
}

void synack_rcvbuf_place(synack_rcvbuf_t *b, uint32_t off, const void *data, uint32_t n) { q_put(&b->q, b->len + off, data, n); }

uint32_t synack_rcvbuf_place_csum(synack_rcvbuf_t *b, const void *data, uint32_t n) {
  return q_copy_csum(&b->q, b->len, (uint8_t *)(uintptr_t)data, n, true);
}

const uint8_t *synack_rcvbuf_tail(const synack_rcvbuf_t *b) {
  if (!b->q.c) return NULL;
  uint8_t *c = b->q.c[entry(&b->q, b->len)];
  return c ? c + (b->q.off + b->len) % CH : NULL;
}

void synack_rcvbuf_commit(synack_rcvbuf_t *b, uint32_t n) { b->len += n; }

void synack_rcvbuf_peek_at(const synack_rcvbuf_t *b, uint32_t off, void *dst, uint32_t n) { q_get(&b->q, off, dst, n); }

uint32_t synack_rcvbuf_read(synack_stack_t *st, synack_rcvbuf_t *b, void *dst, uint32_t n, bool peek) {
  if (n > b->len) n = b->len;
  if (n == 0) return 0;
  q_get(&b->q, 0, dst, n);
  if (!peek) {
    b->len -= n;
    /* Out-of-order bytes after the in-order ones keep their chunks. */
    b->gen += q_consume(st, &b->q, n, b->len || b->ooo.n ? 1u : 0u);
  }
  return n;
}

void synack_rcvbuf_free(synack_stack_t *st, synack_rcvbuf_t *b) {
  b->gen += b->q.held;
  q_free(st, &b->q);
  if (b->ooo.r) {
    synack_mem_free(st, b->ooo.r, (size_t)b->ooo.cap * sizeof b->ooo.r[0]);
    st->tcp->mem -= (size_t)b->ooo.cap * sizeof b->ooo.r[0];
  }
  b->len = 0;
  memset(&b->ooo, 0, sizeof b->ooo);
  synack_sackgen_reset(&b->sg);
}

int synack_chunks_check(const synack_chunks_t *q, uint32_t len) {
  if (!q->c) return q->nc == 0 && q->held == 0 && q->off == 0 && len == 0 ? 0 : -1;
  if (q->off >= CH || q->first >= q->nc) return -1;
  uint32_t held = 0;
  for (uint32_t e = 0; e < q->nc; e++) held += q->c[e] != NULL;
  if (held != q->held) return -1;
  /* Every byte held has its chunk. */
  for (uint32_t x = 0; x < len; x += CH - (q->off + x) % CH)
    if (!q->c[entry(q, x)]) return -1;
  return 0;
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
