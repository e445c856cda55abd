/* SACK blocks of the receiver (RFC 2018 §4) and D-SACK (RFC 2883); see tcp_ooo.h. */
#include <string.h>

#include "tcp_ooo.h"

void synack_sackgen_reset(synack_sackgen_t *g) { memset(g, 0, sizeof *g); }

static void drop_recent(synack_sackgen_t *g, uint8_t k) {
  memmove(&g->recent[k], &g->recent[k + 1], (size_t)(g->nrecent - k - 1) * sizeof g->recent[0]);
  memmove(&g->sent[k], &g->sent[k + 1], (size_t)(g->nrecent - k - 1) * sizeof g->sent[0]);
  g->nrecent--;
}

/* The list is full: forget the oldest point already reported SYNACK_SACKGEN_REPEAT times, so
 * a range whose change the sender has not heard of yet stays; failing that, the oldest. */
static void evict(synack_sackgen_t *g) {
  for (uint8_t k = g->nrecent; k-- > 0;) {
    if (g->sent[k] >= SYNACK_SACKGEN_REPEAT) {
      drop_recent(g, k);
      return;
    }
  }
  g->nrecent--;
}

void synack_sackgen_arrival(synack_sackgen_t *g, const synack_ooo_t *q, synack_seq_t s) {
  int idx = synack_ooo_find(q, s);
  if (idx < 0) return;
  const synack_seq_range_t *r = &q->r[idx];
  /* Points that now fall in the same range (it may have just absorbed their ranges) are
   * the same block: keep only the newest. */
  for (uint8_t k = 0; k < g->nrecent;) {
    if (seq_ge(g->recent[k], r->start) && seq_lt(g->recent[k], r->end)) drop_recent(g, k);
    else k++;
  }
  if (g->nrecent == SYNACK_SACKGEN_RECENT) evict(g);
  memmove(&g->recent[1], &g->recent[0], (size_t)g->nrecent * sizeof g->recent[0]);
  memmove(&g->sent[1], &g->sent[0], (size_t)g->nrecent * sizeof g->sent[0]);
  g->recent[0] = s;
  g->sent[0] = 0; /* the range is new or its edges moved: not reported in this shape yet */
  g->nrecent++;
}

void synack_sackgen_dsack(synack_sackgen_t *g, synack_seq_t l, synack_seq_t r) {
  if (!seq_lt(l, r)) return;
  g->dsack = true;
  g->dsack_r.start = l;
  g->dsack_r.end = r;
}

static bool already(const synack_sack_block_t *out, uint8_t from, uint8_t k, const synack_seq_range_t *r) {
  for (uint8_t i = from; i < k; i++)
    if (out[i].left == r->start.v && out[i].right == r->end.v) return true;
  return false;
}

uint8_t synack_sackgen_blocks(synack_sackgen_t *g, const synack_ooo_t *q, synack_seq_t rcv_nxt,
                              synack_sack_block_t *out, uint8_t max) {
  uint8_t k = 0;
  if (max == 0) return 0;
  if (g->dsack) {
    /* RFC 2883 §4: the first block reports the duplicate, once. */
    out[k].left = g->dsack_r.start.v;
    out[k].right = g->dsack_r.end.v;
    k++;
    g->dsack = false;
  }
  /* The regular blocks start after the D-SACK block: a duplicate inside a held range is
   * followed by that whole range (RFC 2883 §4, "the second SACK block"), even when equal. */
  uint8_t first = k;
  for (uint8_t i = 0; i < g->nrecent;) {
    int idx = synack_ooo_find(q, g->recent[i]);
    if (idx < 0 || seq_le(q->r[idx].end, rcv_nxt)) { drop_recent(g, i); continue; }
    i++;
  }
  /* RFC 2018 §4: the first block holds the most recently received segment; then the blocks of
   * the other recent arrivals, newest first ("the most recently reported"). RFC 2018 assumes
   * one ACK per arrival; when ACKs were coalesced (a full transmit ring, a delayed ACK),
   * several ranges change between two ACKs and the newest would push the older ones out
   * unreported: the sender never hears of them and RACK (RFC 8985) takes the data as lost.
   * So changes not reported yet come before the repetitions (pass 1), the repetitions after
   * (pass 2), each pass newest first. */
  for (int pass = 0; pass < 3 && k < max; pass++) {
    for (uint8_t i = 0; i < g->nrecent && k < max; i++) {
      bool take = pass == 0 ? i == 0 : i > 0 && (pass == 1) == (g->sent[i] == 0);
      if (!take) continue;
      const synack_seq_range_t *r = &q->r[synack_ooo_find(q, g->recent[i])];
      if (g->sent[i] < UINT8_MAX) g->sent[i]++; /* written now, or already (the same range) */
      if (already(out, first, k, r)) continue;
      out[k].left = r->start.v;
      out[k].right = r->end.v;
      k++;
    }
  }
  /* RFC 2018 §4: include as many distinct blocks as fit; ranges no recent arrival names come
   * last, lowest first (they are the ones nearest the holes the sender must fill). */
  for (uint16_t i = 0; i < q->n && k < max; i++) {
    if (seq_le(q->r[i].end, rcv_nxt) || already(out, first, k, &q->r[i])) continue;
    out[k].left = q->r[i].start.v;
    out[k].right = q->r[i].end.v;
    k++;
  }
  return k;
}

bool synack_sackgen_unreported(const synack_sackgen_t *g, const synack_ooo_t *q, synack_seq_t rcv_nxt) {
  for (uint8_t i = 0; i < g->nrecent; i++) {
    if (g->sent[i]) continue;
    int idx = synack_ooo_find(q, g->recent[i]);
    if (idx >= 0 && seq_gt(q->r[idx].end, rcv_nxt)) return true;
  }
  return false;
}

uint8_t synack_sack_max_blocks(uint32_t other_opt_bytes) {
  /* RFC 2018 §3: a SACK option is 2 + 8n bytes; we precede it with two NOPs so the blocks
   * are 32-bit aligned; the header allows 40 option bytes. */
  if (other_opt_bytes + 4 + 8 > SYNACK_TCP_MAX_OPT_LEN) return 0;
  uint32_t n = (SYNACK_TCP_MAX_OPT_LEN - other_opt_bytes - 4) / 8;
  return (uint8_t)(n > 4 ? 4 : n);
}
