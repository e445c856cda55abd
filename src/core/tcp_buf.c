/* Send and receive byte rings, and the out-of-order range table of the receive side.
 *
 * The send ring holds every byte from SND.UNA on (sent or not); output copies straight from it
 * into a transmit slot, so data is copied once on each side. The receive ring holds the bytes
 * the application has not read; out-of-order data is written directly to its final place after
 * them (it is inside the window we advertised, hence inside the free space), and the table of
 * sequence ranges tells which parts are filled. The data-transfer issue builds SACK blocks from
 * the same table. Buffers are allocated on first use: an idle socket owns none. */
#include <string.h>

#include "tcp_internal.h"

int synack_sndbuf_write(synack_stack_t *st, synack_sndbuf_t *b, const void *data, uint32_t n) {
  if (!b->buf) {
    if (b->cap == 0) return -SYNACK_ENOBUFS;
    b->buf = synack_mem_alloc(st, b->cap);
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

void synack_sndbuf_free(synack_stack_t *st, synack_sndbuf_t *b) {
  if (b->buf) {
    synack_mem_free(st, b->buf, b->cap);
    st->tcp->mem -= b->cap;
  }
  b->buf = NULL;
  b->head = b->len = 0;
}

int synack_rcvbuf_reserve(synack_stack_t *st, synack_rcvbuf_t *b) {
  if (b->buf) return 0;
  if (b->cap == 0) return -SYNACK_ENOBUFS;
  b->buf = synack_mem_alloc(st, b->cap);
  if (!b->buf) return -SYNACK_ENOMEM;
  st->tcp->mem += b->cap;
  b->head = 0;
  return 0;
}

void synack_rcvbuf_place(synack_rcvbuf_t *b, uint32_t off, const void *data, uint32_t n) {
  uint32_t pos = (b->head + b->len + off) % b->cap;
  uint32_t first = b->cap - pos < n ? b->cap - pos : n;
  memcpy(b->buf + pos, data, first);
  memcpy(b->buf, (const uint8_t *)data + first, n - first);
}

void synack_rcvbuf_commit(synack_rcvbuf_t *b, uint32_t n) { b->len += n; }

uint32_t synack_rcvbuf_read(synack_rcvbuf_t *b, void *dst, uint32_t n, bool peek) {
  if (n > b->len) n = b->len;
  if (n == 0) return 0;
  uint32_t first = b->cap - b->head < n ? b->cap - b->head : n;
  memcpy(dst, b->buf + b->head, first);
  memcpy((uint8_t *)dst + first, b->buf, n - first);
  if (!peek) {
    b->head = (b->head + n) % b->cap;
    b->len -= n;
    /* Rewind an empty ring only when no out-of-order bytes sit after it. */
    if (b->len == 0 && b->nooo == 0) b->head = 0;
  }
  return n;
}

void synack_rcvbuf_free(synack_stack_t *st, synack_rcvbuf_t *b) {
  if (b->buf) {
    synack_mem_free(st, b->buf, b->cap);
    st->tcp->mem -= b->cap;
  }
  b->buf = NULL;
  b->head = b->len = 0;
  b->nooo = 0;
  b->ooo_bytes = 0;
}

static uint32_t range_len(const synack_seq_range_t *r) { return (uint32_t)seq_diff(r->end, r->start); }

bool synack_ooo_add(synack_rcvbuf_t *b, synack_seq_t start, synack_seq_t end) {
  if (!seq_lt(start, end)) return true;
  /* Merge with every range it touches or overlaps, keeping the table sorted. */
  uint8_t i = 0;
  while (i < b->nooo && seq_lt(b->ooo[i].end, start)) i++;
  uint8_t j = i;
  while (j < b->nooo && seq_le(b->ooo[j].start, end)) {
    start = seq_min(start, b->ooo[j].start);
    end = seq_max(end, b->ooo[j].end);
    j++;
  }
  if (i == j && b->nooo == SYNACK_TCP_OOO_RANGES) return false;
  uint32_t removed = 0;
  for (uint8_t k = i; k < j; k++) removed += range_len(&b->ooo[k]);
  /* Replace ooo[i..j) by one range. */
  uint8_t n_after = (uint8_t)(b->nooo - j);
  if (i == j) {
    memmove(&b->ooo[i + 1], &b->ooo[i], n_after * sizeof b->ooo[0]);
    b->nooo++;
  } else if (j > i + 1) {
    memmove(&b->ooo[i + 1], &b->ooo[j], n_after * sizeof b->ooo[0]);
    b->nooo = (uint8_t)(b->nooo - (j - i - 1));
  }
  b->ooo[i].start = start;
  b->ooo[i].end = end;
  b->ooo_bytes = b->ooo_bytes - removed + range_len(&b->ooo[i]);
  return true;
}

uint32_t synack_ooo_take(synack_rcvbuf_t *b, synack_seq_t rcv_nxt) {
  uint32_t got = 0;
  while (b->nooo > 0 && seq_le(b->ooo[0].start, rcv_nxt)) {
    synack_seq_range_t r = b->ooo[0];
    memmove(&b->ooo[0], &b->ooo[1], (size_t)(b->nooo - 1) * sizeof b->ooo[0]);
    b->nooo--;
    b->ooo_bytes -= range_len(&r);
    if (seq_gt(r.end, rcv_nxt)) {
      uint32_t n = (uint32_t)seq_diff(r.end, rcv_nxt);
      got += n;
      rcv_nxt = r.end;
    }
  }
  return got;
}
