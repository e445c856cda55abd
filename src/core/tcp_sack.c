/* The sender's SACK scoreboard: a fixed table of SACKed ranges (see tcp_sack.h for the bound
 * and what happens when it is full) and the RFC 6675 quantities derived from it. */
#include <string.h>

#include "tcp_sack.h"

void synack_sack_reset(synack_sackboard_t *b) {
  b->n = 0;
  b->bytes = 0;
}

void synack_sack_attach(synack_sackboard_t *b, synack_sack_range_t *storage, uint16_t cap) {
  memcpy(storage, b->ext ? b->ext : b->inl, (size_t)b->n * sizeof storage[0]);
  b->ext = storage;
  b->cap = cap;
}

synack_sack_range_t *synack_sack_detach(synack_sackboard_t *b) {
  synack_sack_range_t *t = b->ext;
  b->ext = NULL;
  b->cap = 0;
  synack_sack_reset(b);
  return t;
}

static synack_sack_range_t *tab(synack_sackboard_t *b) { return b->ext ? b->ext : b->inl; }
static const synack_sack_range_t *ctab(const synack_sackboard_t *b) { return b->ext ? b->ext : b->inl; }
static uint16_t capof(const synack_sackboard_t *b) { return b->ext ? b->cap : (uint16_t)SYNACK_SACK_INLINE; }

static uint32_t rlen(const synack_sack_range_t *r) { return (uint32_t)seq_diff(r->end, r->start); }

uint32_t synack_sack_add(synack_sackboard_t *b, synack_seq_t start, synack_seq_t end) {
  if (!seq_lt(start, end)) return 0;
  synack_sack_range_t *r = tab(b);
  /* Ranges i..j-1 touch or overlap [start, end): merge them into one. */
  uint16_t i = 0;
  while (i < b->n && seq_lt(r[i].end, start)) i++;
  uint16_t j = i;
  synack_seq_t s = start, e = end;
  uint32_t old = 0;
  while (j < b->n && seq_le(r[j].start, end)) {
    s = seq_min(s, r[j].start);
    e = seq_max(e, r[j].end);
    old += rlen(&r[j]);
    j++;
  }
  if (i == j && b->n == capof(b)) {
    /* Full: forget the highest range (or ignore the new one when it is the highest). */
    if (i == b->n) return 0;
    b->bytes -= rlen(&r[b->n - 1]);
    b->n--;
  }
  uint16_t after = (uint16_t)(b->n - j);
  if (i == j) {
    memmove(&r[i + 1], &r[i], after * sizeof r[0]);
    b->n++;
  } else if (j > i + 1) {
    memmove(&r[i + 1], &r[j], after * sizeof r[0]);
    b->n = (uint16_t)(b->n - (j - i - 1));
  }
  r[i].start = s;
  r[i].end = e;
  uint32_t now = (uint32_t)seq_diff(e, s);
  b->bytes = b->bytes - old + now;
  return now - old;
}

void synack_sack_advance(synack_sackboard_t *b, synack_seq_t una) {
  synack_sack_range_t *r = tab(b);
  uint16_t k = 0;
  while (k < b->n && seq_le(r[k].end, una)) {
    b->bytes -= rlen(&r[k]);
    k++;
  }
  if (k) {
    memmove(&r[0], &r[k], (size_t)(b->n - k) * sizeof r[0]);
    b->n = (uint16_t)(b->n - k);
  }
  if (b->n && seq_lt(r[0].start, una)) {
    b->bytes -= (uint32_t)seq_diff(una, r[0].start);
    r[0].start = una;
  }
}

uint32_t synack_sack_bytes_in(const synack_sackboard_t *b, synack_seq_t a, synack_seq_t e) {
  uint32_t sum = 0;
  for (uint16_t k = 0; k < b->n; k++) {
    const synack_sack_range_t *r = &ctab(b)[k];
    if (!seq_lt(r->start, e)) break;
    synack_seq_t s = seq_max(r->start, a), t = seq_min(r->end, e);
    if (seq_lt(s, t)) sum += (uint32_t)seq_diff(t, s);
  }
  return sum;
}

bool synack_sack_covers(const synack_sackboard_t *b, synack_seq_t seq, synack_seq_t *end) {
  for (uint16_t k = 0; k < b->n; k++) {
    const synack_sack_range_t *r = &ctab(b)[k];
    if (seq_gt(r->start, seq)) return false;
    if (seq_lt(seq, r->end)) {
      if (end) *end = r->end;
      return true;
    }
  }
  return false;
}

bool synack_sack_next_hole(const synack_sackboard_t *b, synack_seq_t from, synack_seq_t limit, synack_seq_t *hs,
                           synack_seq_t *he) {
  const synack_sack_range_t *t = ctab(b);
  synack_seq_t s = from;
  for (uint16_t k = 0; k < b->n; k++) {
    const synack_sack_range_t *r = &t[k];
    if (seq_le(r->end, s)) continue;
    if (seq_gt(r->start, s)) break; /* s is in the hole before range k */
    s = r->end;                     /* s is SACKed: skip the range */
  }
  if (!seq_lt(s, limit)) return false;
  synack_seq_t e = limit;
  for (uint16_t k = 0; k < b->n; k++)
    if (seq_gt(t[k].start, s)) {
      e = seq_min(e, t[k].start);
      break;
    }
  *hs = s;
  *he = e;
  return true;
}

bool synack_sack_last_hole(const synack_sackboard_t *b, synack_seq_t una, synack_seq_t snd_max, synack_seq_t *hs,
                           synack_seq_t *he) {
  /* The ranges lie inside (una, snd_max], sorted, disjoint and not adjacent: the top hole ends
   * at snd_max when the top range does not, else at the top range's start. */
  const synack_sack_range_t *t = ctab(b);
  synack_seq_t s = una, e = snd_max;
  if (b->n && seq_eq(t[b->n - 1u].end, snd_max)) {
    e = t[b->n - 1u].start;
    if (b->n > 1) s = t[b->n - 2u].end;
  } else if (b->n) {
    s = t[b->n - 1u].end;
  }
  if (!seq_lt(s, e)) return false;
  *hs = s;
  *he = e;
  return true;
}

synack_seq_t synack_sack_lost_edge(const synack_sackboard_t *b, synack_seq_t una, uint32_t mss) {
  /* RFC 6675 §4 IsLost(SeqNum): DupThresh discontiguous SACKed sequences above it, or more than
   * (DupThresh - 1) * SMSS SACKed bytes above it. Each range counts as one discontiguous
   * sequence. Walking the ranges from the top, the first range at which either count is
   * reached marks the edge: every hole below its start is lost. */
  const synack_sack_range_t *t = ctab(b);
  uint32_t bytes = 0;
  for (int k = b->n - 1, cnt = 1; k >= 0; k--, cnt++) {
    bytes += rlen(&t[k]);
    if (cnt >= SYNACK_DUPTHRESH || bytes > (SYNACK_DUPTHRESH - 1) * mss) {
      /* Within range k the bytes above a hole position are counted fully only for holes
       * below its start. */
      return t[k].start;
    }
  }
  return una;
}

uint32_t synack_sack_pipe(const synack_sackboard_t *b, synack_seq_t una, synack_seq_t snd_max, synack_seq_t lost_edge,
                          synack_seq_t high_rxt) {
  /* RFC 6675 §4 SetPipe: for each byte between HighACK and HighData that is not SACKed,
   * count it once when it is not lost and once more when it was retransmitted. */
  if (!seq_lt(una, snd_max)) return 0;
  synack_seq_t le = seq_max(lost_edge, una);
  if (seq_gt(le, snd_max)) le = snd_max;
  uint32_t pipe = (uint32_t)seq_diff(snd_max, le) - synack_sack_bytes_in(b, le, snd_max);
  synack_seq_t hr = seq_min(high_rxt, snd_max);
  if (seq_gt(hr, una)) pipe += (uint32_t)seq_diff(hr, una) - synack_sack_bytes_in(b, una, hr);
  return pipe;
}

void synack_sack_parse(const synack_sack_block_t *blk, uint8_t n, synack_seq_t seg_ack, synack_seq_t ack,
                       synack_seq_t snd_max, synack_sack_update_t *out) {
  memset(out, 0, sizeof *out);
  if (n > 4) n = 4;
  for (uint8_t i = 0; i < n; i++) {
    synack_seq_t l = seq_make(blk[i].left), r = seq_make(blk[i].right);
    if (!seq_lt(l, r) || seq_gt(r, snd_max) || seq_diff(r, l) > (int32_t)0x3fffffff) {
      out->invalid++;
      continue;
    }
    if (i == 0) {
      /* RFC 2883 §4: a first block below the cumulative ACK *of this segment*, or inside the
       * second block, reports a duplicate. A late ACK (reordered behind a newer one) whose first
       * block lies between its own ACK field and SND.UNA reports data received once: judged
       * against SND.UNA it would pass for a D-SACK and feed the undo and the reordering window
       * with a duplicate that never happened. */
      bool below = seq_le(r, seg_ack);
      bool inside = n > 1 && seq_ge(l, seq_make(blk[1].left)) && seq_le(r, seq_make(blk[1].right)) &&
                    seq_lt(seq_make(blk[1].left), seq_make(blk[1].right));
      if (below || inside) {
        out->dsack = true;
        out->dsack_start = l;
        out->dsack_end = r;
        continue;
      }
    }
    /* RFC 2018: a block must lie inside SND.UNA..SND.MAX; the part below the ACK is old news. */
    if (seq_lt(l, ack)) {
      if (!seq_gt(r, ack)) {
        out->invalid++;
        continue;
      }
      l = ack;
    }
    out->blk[out->nblk].start = l;
    out->blk[out->nblk].end = r;
    out->nblk++;
  }
}

void synack_sack_apply(synack_sackboard_t *b, synack_sack_update_t *u) {
  for (uint8_t i = 0; i < u->nblk; i++) u->newly_sacked += synack_sack_add(b, u->blk[i].start, u->blk[i].end);
}

void synack_sack_update(synack_sackboard_t *b, const synack_sack_block_t *blk, uint8_t n, synack_seq_t ack,
                        synack_seq_t snd_max, synack_sack_update_t *out) {
  synack_sack_parse(blk, n, ack, ack, snd_max, out);
  synack_sack_apply(b, out);
}
