/* Out-of-order range table of the receive side (see tcp_ooo.h). Ranges are few (a handful in
 * practice, at most tcp_ooo_max_ranges), so plain sorted arrays and linear scans beat any tree. */
#include <string.h>

#include "tcp_ooo.h"

static uint32_t rlen(const synack_seq_range_t *r) { return (uint32_t)seq_diff(r->end, r->start); }

void synack_ooo_probe(const synack_ooo_t *q, synack_seq_t start, synack_seq_t end, synack_ooo_probe_t *out) {
  memset(out, 0, sizeof *out);
  if (!seq_lt(start, end)) return;
  uint32_t held = 0;
  bool touches = false;
  for (uint16_t i = 0; i < q->n; i++) {
    const synack_seq_range_t *r = &q->r[i];
    if (seq_lt(r->end, start)) continue;
    if (seq_gt(r->start, end)) break;
    touches = true; /* overlapping or adjacent: merges with it */
    synack_seq_t lo = seq_max(r->start, start), hi = seq_min(r->end, end);
    if (!seq_lt(lo, hi)) continue; /* adjacent only */
    held += (uint32_t)seq_diff(hi, lo);
    if (!out->dup) {
      out->dup = true;
      out->dup_r.start = lo;
      out->dup_r.end = hi;
    }
  }
  out->fresh = (uint32_t)seq_diff(end, start) - held;
  out->needs_slot = !touches;
}

bool synack_ooo_add(synack_ooo_t *q, synack_seq_t start, synack_seq_t end) {
  if (!seq_lt(start, end)) return true;
  /* The ranges in [i, j) overlap or touch [start, end): they become one. */
  uint16_t i = 0;
  while (i < q->n && seq_lt(q->r[i].end, start)) i++;
  uint16_t j = i;
  while (j < q->n && seq_le(q->r[j].start, end)) {
    start = seq_min(start, q->r[j].start);
    end = seq_max(end, q->r[j].end);
    j++;
  }
  if (i == j && (q->r == NULL || q->n >= q->cap)) return false;
  uint32_t removed = 0;
  for (uint16_t k = i; k < j; k++) removed += rlen(&q->r[k]);
  uint16_t after = (uint16_t)(q->n - j);
  if (i == j) {
    memmove(&q->r[i + 1], &q->r[i], (size_t)after * sizeof q->r[0]);
    q->n++;
  } else if (j > i + 1) {
    memmove(&q->r[i + 1], &q->r[j], (size_t)after * sizeof q->r[0]);
    q->n = (uint16_t)(q->n - (j - i - 1));
  }
  q->r[i].start = start;
  q->r[i].end = end;
  q->bytes = q->bytes - removed + rlen(&q->r[i]);
  return true;
}

uint32_t synack_ooo_take(synack_ooo_t *q, synack_seq_t rcv_nxt) {
  uint32_t got = 0;
  uint16_t k = 0;
  while (k < q->n && seq_le(q->r[k].start, rcv_nxt)) {
    const synack_seq_range_t *r = &q->r[k];
    q->bytes -= rlen(r);
    if (seq_gt(r->end, rcv_nxt)) {
      got += (uint32_t)seq_diff(r->end, rcv_nxt);
      rcv_nxt = r->end;
    }
    k++;
  }
  if (k) {
    memmove(&q->r[0], &q->r[k], (size_t)(q->n - k) * sizeof q->r[0]);
    q->n = (uint16_t)(q->n - k);
  }
  return got;
}

void synack_ooo_clear(synack_ooo_t *q) {
  q->n = 0;
  q->bytes = 0;
}

int synack_ooo_find(const synack_ooo_t *q, synack_seq_t s) {
  for (uint16_t i = 0; i < q->n; i++) {
    if (seq_lt(s, q->r[i].start)) return -1;
    if (seq_lt(s, q->r[i].end)) return i;
  }
  return -1;
}

void synack_ooo_each_gap(const synack_ooo_t *q, synack_seq_t start, synack_seq_t end, synack_ooo_gap_fn fn, void *ctx) {
  synack_seq_t cur = start;
  for (uint16_t i = 0; i < q->n && seq_lt(cur, end); i++) {
    const synack_seq_range_t *r = &q->r[i];
    if (seq_le(r->end, cur)) continue;
    if (seq_ge(r->start, end)) break;
    if (seq_lt(cur, r->start))
      fn(ctx, (uint32_t)seq_diff(cur, start), (uint32_t)seq_diff(r->start, cur));
    cur = r->end;
  }
  if (seq_lt(cur, end)) fn(ctx, (uint32_t)seq_diff(cur, start), (uint32_t)seq_diff(end, cur));
}
