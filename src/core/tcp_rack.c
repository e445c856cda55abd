/* RACK-TLP (RFC 8985), on by default (cfg.tcp_rack) on every connection with SACK, with or
 * without timestamps.
 *
 *   - Send times come from the transmit log (tcp_xmitlog.h): each range in flight keeps the
 *     time of its latest transmission in microseconds, so RACK.xmit_ts is exact whatever the
 *     options (the echoed timestamp is not needed and its 1 ms tick does not blur the order).
 *   - RACK (§6.2): each ACK updates RACK.xmit_ts / end_seq / rtt from the most recently sent
 *     segment it delivers (cumulatively or by SACK), skipping a retransmitted one whose ACK may
 *     be for the original (§6.2 step 2: RTT below min_RTT, or TSecr older than the
 *     retransmission). Every unSACKed range sent before it is lost once
 *     xmit_ts + RACK.rtt + reo_wnd has passed; otherwise the reordering timer (§6.3) is set to
 *     the earliest such deadline. The marks are per range (SYNACK_XL_LOST), so a lost
 *     retransmission is found like any other loss. With RACK on, duplicate-ACK counting and
 *     RFC 6675's DupThresh rule do not mark anything: RACK alone decides (as Linux does).
 *   - reo_wnd (§6.2 step 4): 0 while no reordering was seen and recovery is under way or
 *     DupThresh segments are SACKed; otherwise min(reo_mult · min_RTT / 4, SRTT). reo_mult
 *     grows by one per round trip in which a D-SACK arrives (proof of reordering or of a
 *     spurious retransmission) and returns to 1 after 16 recoveries without one (Linux's
 *     TCP_RACK_RECOVERY_THRESH).
 *   - TLP (§7): PTO = 2·SRTT, plus the worst-case delayed ACK (200 ms) when one segment is in
 *     flight, else plus 2 ms, at most the RTO; the probe is new data when the windows allow
 *     (two segments in the open state, one in recovery: see send_probe), else the last segment
 *     again. At most two probes per tail (the second after twice the PTO, when no ACK came);
 *     the RTO is re-armed after each. Unlike §7.2, also in SACK recovery once nothing marked
 *     lost is left to resend (the probe then resends the highest unSACKed segment): see
 *     probe_state(). §7.4: a probe that was a retransmission is judged by what follows: a
 *     D-SACK for it means nothing was lost; an ACK beyond it without one means the probe
 *     repaired a loss, and the congestion controller reduces once (TCP_TLP_RECOVERIES).
 *   - With RACK off (or without SACK) only the lost-retransmission rule below runs for SACK
 *     recovery. */
#include "tcp_cc.h"
#include "tcp_internal.h"

#define WCDELACK_US 200000u /* RFC 8985 §7.2 WCDelAckT */
#define TLP_PROBES 2u       /* probes per tail before the RTO (RFC 8985 §7: one) */
#define TLP_SLACK_US 2000u  /* most added to 2·SRTT (Linux: TCP_TIMEOUT_MIN, 2 jiffies at HZ=1000) */
#define REO_PERSIST 16u     /* recoveries before reo_mult decays (Linux TCP_RACK_RECOVERY_THRESH) */

bool synack_rack_enabled(const synack_stack_t *st, const synack_tcb_t *tcb) {
  return st->cfg.tcp_rack && (tcb->flags & TF_SACK_OK) && tcb->rec.xl.e != NULL;
}

/* ---------- a cursor over the scoreboard for walks in increasing sequence order ---------- */
typedef struct {
  const synack_sackboard_t *b;
  uint16_t k;
} sack_cursor_t;

static uint32_t sacked_in(sack_cursor_t *c, synack_seq_t a, synack_seq_t e) {
  while (c->k < c->b->n && seq_le(synack_sack_at(c->b, c->k)->end, a)) c->k++;
  uint32_t sum = 0;
  for (uint16_t j = c->k; j < c->b->n; j++) {
    const synack_sack_range_t *r = synack_sack_at(c->b, j);
    if (!seq_lt(r->start, e)) break;
    synack_seq_t s = seq_max(r->start, a), t = seq_min(r->end, e);
    if (seq_lt(s, t)) sum += (uint32_t)seq_diff(t, s);
  }
  return sum;
}


/* ---------- RACK: deliveries ---------- */
static void delivered(synack_stack_t *st, synack_tcb_t *tcb, const synack_xl_ent_t *x, synack_seq_t first,
                      synack_seq_t end, synack_time_t now, synack_rack_ack_t *out) {
  synack_sndrec_t *r = &tcb->rec;
  bool rtx = (x->flags & SYNACK_XL_RTX) != 0;
  if (!rtx && r->frto && x->t < r->frto_at) out->orig_before_rto = true; /* RFC 5682 (tcp_undo.c) */
  if (!rtx) out->orig = true;
  /* §6.2 step 3: an original transmission delivered below the highest delivered byte. One
   * log entry holds a whole burst, so the test is on the first byte newly delivered (the
   * segment that held it ended at or below RACK.fack), not on the entry's end: a cumulative
   * ACK that fills a hole below a SACKed segment of the same burst is reordering too, as
   * Linux counts it (tcpi_reord_seen, tests/scripts/rack-tlp/). */
  if (!rtx && r->rack_seen && seq_lt(first, r->rack_fack)) {
    if (!r->rack_reord) {
      tcb->reord_seen++;
      synack_count(st, SYNACK_CTR_TCP_REORDER_SEEN);
    }
    r->rack_reord = true;
  }
  if (!r->rack_seen || seq_gt(end, r->rack_fack)) r->rack_fack = end;
  /* An entry of a full log whose time is that of its latest part (tcp_xmitlog.h): the bytes
   * delivered may have been sent long before it, and taking it as RACK.xmit_ts with an RTT of
   * a few microseconds would mark every range sent before as lost at once. No sample. */
  if (x->flags & SYNACK_XL_COARSE) return;
  uint64_t rtt = now > x->t ? now - x->t : 0;
  if (rtt > UINT32_MAX) rtt = UINT32_MAX;
  if (rtx) {
    /* §6.2 step 2: the ACK may be for the original transmission when it came sooner than any
     * round trip could. (The step's timestamp test is not used: a SACK of out-of-order data
     * echoes the TSval of the last in-order segment, RFC 7323 §4.3, never the retransmission's,
     * so it would reject every SACKed retransmission; Linux uses the RTT test alone too.) */
    if (rtt < r->rack_min_rtt_us) return;
  } else if (!r->rack_min_rtt_us || rtt < r->rack_min_rtt_us) {
    r->rack_min_rtt_us = rtt ? (uint32_t)rtt : 1u;
  }
  /* §6.2 "sent after" (tcp_xmitlog.h: time, then output call, then sequence). */
  if (r->rack_seen && !synack_xl_after(x->t, x->ord, end, r->rack_xmit, r->rack_ord, r->rack_end_seq)) return;
  r->rack_xmit = x->t;
  r->rack_ord = x->ord;
  r->rack_end_seq = end;
  r->rack_rtt_us = rtt ? (uint32_t)rtt : 1u;
  r->rack_seen = true;
}

/* A walk over the log entries of [a, b) holding bytes the board does not have SACKed (so far:
 * the bytes an ACK delivers, before the board moves). */
typedef struct {
  const synack_tcb_t *tcb;
  synack_seq_t a, b;
  uint32_t k;
} unsacked_walk_t;

static unsacked_walk_t unsacked_walk(const synack_tcb_t *tcb, synack_seq_t a, synack_seq_t b) {
  unsacked_walk_t w = { tcb, a, b, seq_lt(a, b) ? synack_xl_find(&tcb->rec.xl, a) : tcb->rec.xl.n };
  return w;
}

/* The next such entry; *first is its first unSACKed byte in [a, b), *end the end of its part. */
static const synack_xl_ent_t *unsacked_next(unsacked_walk_t *w, synack_seq_t *first, synack_seq_t *end) {
  const synack_xmitlog_t *l = &w->tcb->rec.xl;
  for (; w->k < l->n; w->k++) {
    synack_seq_t s = synack_xl_start_of(l, w->k);
    if (!seq_lt(s, w->b)) break;
    const synack_xl_ent_t *x = synack_xl_at(l, w->k);
    synack_seq_t ps = seq_max(s, w->a), pe = seq_min(x->end, w->b), he;
    if (!seq_lt(ps, pe) || !synack_sack_next_hole(&w->tcb->rec.sb, ps, pe, first, &he)) continue;
    *end = pe;
    w->k++;
    return x;
  }
  return NULL;
}

static void walk_delivered(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t a, synack_seq_t b,
                           synack_time_t now, synack_rack_ack_t *out) {
  unsacked_walk_t w = unsacked_walk(tcb, a, b);
  synack_seq_t first, end;
  for (const synack_xl_ent_t *x; (x = unsacked_next(&w, &first, &end)) != NULL;)
    delivered(st, tcb, x, first, end, now, out);
}

void synack_rack_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, synack_seq_t old_una,
                        const synack_sack_update_t *u, synack_time_t now, synack_rack_ack_t *out) {
  synack_sndrec_t *r = &tcb->rec;
  (void)seg;
  if (r->tlp_out && seq_ge(tcb->snd_una, r->tlp_high)) r->tlp_out = false; /* the probe's ACK came */
  else if (r->tlp_out) r->tlp_at = 0; /* an ACK after the probe: no second probe, RACK and the RTO go on */
  if (!r->xl.e) return;
  walk_delivered(st, tcb, old_una, tcb->snd_una, now, out);
  for (uint8_t i = 0; i < u->nblk; i++) walk_delivered(st, tcb, u->blk[i].start, u->blk[i].end, now, out);
}

/* ---------- RTT samples ---------- */
uint32_t synack_rack_rtt_sample(const synack_tcb_t *tcb, synack_seq_t old_una, synack_seq_t ack, synack_time_t now) {
  if (!tcb->rec.xl.e) return 0;
  unsacked_walk_t w = unsacked_walk(tcb, old_una, ack);
  synack_seq_t first, end;
  synack_time_t sent = SYNACK_TIME_NEVER;
  /* Bytes SACKed before were delivered then; the first byte delivered now was sent first. */
  for (const synack_xl_ent_t *x; (x = unsacked_next(&w, &first, &end)) != NULL;) {
    /* Karn (RFC 6298 §3): an ACK that covers a retransmission may be for either copy; a coarse
     * entry's time is that of its latest part. */
    if (x->flags & (SYNACK_XL_RTX | SYNACK_XL_COARSE)) return 0;
    if (sent == SYNACK_TIME_NEVER) sent = x->t;
  }
  if (sent == SYNACK_TIME_NEVER || now < sent) return 0;
  uint64_t rtt = now - sent;
  return rtt == 0 ? 1u : rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
}

/* ---------- RACK: loss marking ---------- */
uint32_t synack_rack_reo_wnd(const synack_stack_t *st, const synack_tcb_t *tcb) {
  const synack_sndrec_t *r = &tcb->rec;
  (void)st;
  if (!r->rack_reord) {
    /* §6.2 step 4: without reordering, no wait in recovery or once DupThresh segments are
     * SACKed. */
    if (r->mode != SYNACK_REC_OPEN) return 0;
    if (r->sb.bytes > (SYNACK_DUPTHRESH - 1u) * tcb->snd_mss) return 0;
  }
  uint64_t reo = (uint64_t)r->rack_min_rtt_us / 4u * (r->reo_mult ? r->reo_mult : 1u);
  if (tcb->srtt_us && reo > tcb->srtt_us) reo = tcb->srtt_us;
  return (uint32_t)reo;
}

/* Without RACK only its lost-retransmission rule runs, for SACK recovery: once data sent after
 * our latest retransmission has been SACKed for a reordering window (SRTT/4, at least 1 ms)
 * while retransmitted bytes are still missing, those retransmissions are lost and NextSeg sends
 * them again, instead of waiting for the RTO (RFC 6675 alone cannot see a lost retransmission).
 * "Sent later" is read from the SACKed sequence numbers above SND.MAX-at-the-retransmission. */
static void lost_retransmissions(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  synack_seq_t hs, he;
  if (r->mode != SYNACK_REC_SACK || !seq_gt(r->high_rxt, tcb->snd_una) ||
      !seq_gt(synack_sack_high(&r->sb, tcb->snd_una), r->rtx_mark) ||
      !synack_sack_next_hole(&r->sb, tcb->snd_una, r->high_rxt, &hs, &he))
    return;
  if (!r->rtx_later_at) r->rtx_later_at = now;
  uint32_t reo = tcb->srtt_us / 4;
  if (reo < 1000u) reo = 1000u;
  if (now >= r->rtx_later_at + reo) {
    r->high_rxt = tcb->snd_una;
    r->rtx_later_at = 0;
    synack_count(st, SYNACK_CTR_TCP_LOST_RETRANS);
  } else {
    r->reo_at = r->rtx_later_at + reo;
    synack_tcp_rtx_sync(st, tcb);
  }
}

void synack_rack_detect(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (!synack_rack_enabled(st, tcb)) {
    if (tcb->flags & TF_SACK_OK) lost_retransmissions(st, tcb, now);
    return;
  }
  if (!r->rack_seen || r->mode == SYNACK_REC_RTO) return;
  /* Nothing SACKed and nothing resent: no range can have been sent before a delivered one. */
  if (r->sb.n == 0 && !seq_gt(r->rack_end_seq, tcb->snd_una) && r->mode == SYNACK_REC_OPEN && !r->tlp_out &&
      !r->tlp_check)
    return;
  uint64_t reo = synack_rack_reo_wnd(st, tcb);
  synack_time_t next = SYNACK_TIME_NEVER;
  synack_xmitlog_t *l = &r->xl;
  sack_cursor_t c = { &r->sb, 0 };
  for (uint32_t k = 0; k < l->n; k++) {
    synack_xl_ent_t *x = synack_xl_at(l, k);
    synack_seq_t s = synack_xl_start_of(l, k);
    if (x->flags & SYNACK_XL_LOST) continue;
    /* A burst sent at RACK.xmit_ts: only its part up to RACK.end_seq was sent before. */
    synack_seq_t lim = x->end;
    if (x->t == r->rack_xmit && x->ord == r->rack_ord) {
      if (!seq_gt(r->rack_end_seq, s)) continue;
      lim = seq_min(lim, r->rack_end_seq);
    } else if (synack_xl_after(x->t, x->ord, x->end, r->rack_xmit, r->rack_ord, r->rack_end_seq)) {
      continue;
    }
    if (sacked_in(&c, s, lim) >= (uint32_t)seq_diff(lim, s)) continue;
    /* §6.2 step 5: lost when xmit_ts + RACK.rtt + reo_wnd <= now. */
    synack_time_t due = x->t + r->rack_rtt_us + reo;
    if (due <= now) {
      if (seq_lt(lim, x->end)) {
        /* Mark only the part sent before; the rest is its own entry (when the table has room). */
        (void)synack_xl_split(st, l, k, lim);
        x = synack_xl_at(l, k);
      }
      if (x->flags & SYNACK_XL_RTX) synack_count(st, SYNACK_CTR_TCP_LOST_RETRANS);
      x->flags |= SYNACK_XL_LOST | SYNACK_XL_MARKED;
      r->lost_marks++;
    } else if (due < next) {
      next = due;
    }
  }
  if (next != SYNACK_TIME_NEVER) {
    r->reo_at = next; /* §6.3: the reordering timer */
    synack_tcp_rtx_sync(st, tcb);
  }
}

bool synack_rack_lost_any(const synack_tcb_t *tcb) {
  /* A range keeps its lost mark where its bytes were SACKed later (an ACK reporting them came
   * after the mark): only unSACKed bytes of a marked range are still to resend. */
  synack_seq_t s;
  uint32_t len;
  return synack_rack_next_lost(tcb, tcb->snd_una, &s, &len);
}

/* Walks the log with the scoreboard: per range its unSACKed bytes and how many are lost. */
static uint64_t walk_pipe(const synack_tcb_t *tcb, synack_seq_t edge, uint64_t *lost) {
  const synack_sndrec_t *r = &tcb->rec;
  const synack_xmitlog_t *l = &r->xl;
  sack_cursor_t c = { &r->sb, 0 };
  uint64_t pipe = 0;
  for (uint32_t k = 0; k < l->n; k++) {
    const synack_xl_ent_t *x = synack_xl_at(l, k);
    synack_seq_t a = synack_xl_start_of(l, k), b = x->end;
    synack_seq_t e1 = seq_gt(edge, a) ? seq_min(edge, b) : a;
    uint32_t s1 = sacked_in(&c, a, e1), s2 = sacked_in(&c, e1, b);
    uint32_t below = (uint32_t)seq_diff(e1, a) - s1, above = (uint32_t)seq_diff(b, e1) - s2;
    uint32_t uns = below + above;
    if (!(x->flags & SYNACK_XL_MARKED)) pipe += above;
    *lost += (x->flags & SYNACK_XL_MARKED) ? uns : below;
    if ((x->flags & SYNACK_XL_RTX) && !(x->flags & SYNACK_XL_LOST)) pipe += uns;
  }
  return pipe;
}

uint32_t synack_rack_pipe(const synack_tcb_t *tcb, synack_seq_t edge) {
  /* RFC 6675 SetPipe per range: an unSACKed byte counts once unless it is lost (below the RTO
   * edge or marked by RACK), once more while a retransmission of it is in flight. */
  uint64_t lost = 0, pipe = walk_pipe(tcb, edge, &lost);
  return pipe > UINT32_MAX ? UINT32_MAX : (uint32_t)pipe;
}

uint32_t synack_rack_lost_bytes(const synack_tcb_t *tcb, synack_seq_t edge) {
  uint64_t lost = 0;
  (void)walk_pipe(tcb, edge, &lost);
  return lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
}

bool synack_rack_next_lost(const synack_tcb_t *tcb, synack_seq_t edge, synack_seq_t *seq, uint32_t *len) {
  /* NextSeg rule 1 with RACK: the lowest unSACKed byte of a range marked lost, or below the RTO
   * edge and not yet retransmitted (above HighRxt). */
  const synack_sndrec_t *r = &tcb->rec;
  const synack_xmitlog_t *l = &r->xl;
  synack_seq_t from = seq_max(r->high_rxt, tcb->snd_una);
  for (uint32_t k = 0; k < l->n; k++) {
    const synack_xl_ent_t *x = synack_xl_at(l, k);
    synack_seq_t a = synack_xl_start_of(l, k), b = x->end;
    if (!(x->flags & SYNACK_XL_LOST)) {
      if (!seq_lt(from, edge)) continue;
      a = seq_max(a, from);
      b = seq_min(b, edge);
    }
    synack_seq_t hs, he;
    if (seq_lt(a, b) && synack_sack_next_hole(&r->sb, a, b, &hs, &he)) {
      uint32_t n = (uint32_t)seq_diff(he, hs);
      *seq = hs;
      *len = n < tcb->snd_mss ? n : tcb->snd_mss;
      return true;
    }
  }
  return false;
}

/* ---------- reordering window adaptation ---------- */
void synack_rack_dsack(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_sndrec_t *r = &tcb->rec;
  /* cfg.tcp_recovery_linux: Linux counts a D-SACK for the window only once reordering was seen
   * (tcp_dsack_seen: rack.dsack_seen needs reord_seen), and never as reordering itself. */
  if (st->cfg.tcp_recovery_linux && !r->rack_reord) return;
  /* A D-SACK shows a retransmission was not needed (or the network duplicated a segment):
   * either way a reordering window is worth having, so RACK.reord is set as the step 3 test
   * would for a late original (the original here was retransmitted, which step 3 excludes). */
  if (!r->rack_reord) {
    tcb->reord_seen++;
    synack_count(st, SYNACK_CTR_TCP_REORDER_SEEN);
  }
  r->rack_reord = true;
  /* §6.2 step 4: one step per round trip with a D-SACK; the larger window persists for
   * REO_PERSIST recoveries. */
  if (r->dsack_round_set && seq_lt(tcb->snd_una, r->dsack_round)) return;
  if (r->reo_mult < 255) r->reo_mult = (uint8_t)((r->reo_mult ? r->reo_mult : 1u) + 1u);
  r->dsack_round = tcb->snd_max;
  r->dsack_round_set = true;
  r->reo_persist = REO_PERSIST;
}

void synack_rack_recovery_end(synack_tcb_t *tcb) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->reo_persist && --r->reo_persist == 0) r->reo_mult = 1;
}

/* ---------- TLP ---------- */
/* When a probe may be scheduled. RFC 8985 §7.2 allows it only in the open state. synack also
 * probes in SACK recovery once every range RACK marked lost has been retransmitted (a
 * deliberate extension, docs/loss-recovery.md "TLP"): then the retransmission of the last hole
 * may be the only segment in flight, and when it or its single cumulative ACK is lost, nothing
 * else can be delivered for RACK to judge it by; only the RTO (>= 200 ms) would find it. */
static bool probe_state(const synack_stack_t *st, const synack_tcb_t *tcb) {
  const synack_sndrec_t *r = &tcb->rec;
  switch ((synack_rec_mode_t)r->mode) {
  case SYNACK_REC_OPEN:
    /* cfg.tcp_recovery_linux: Linux probes only in its Open state (tcp_schedule_loss_probe):
     * with SACKed data (its Disorder state) the reordering timer has the tail. */
    return !st->cfg.tcp_recovery_linux || r->sb.bytes == 0;
  case SYNACK_REC_SACK:
    return !st->cfg.tcp_recovery_linux && !r->rtx_first && !synack_rack_lost_any(tcb);
  case SYNACK_REC_NEWRENO:
  case SYNACK_REC_RTO:
    break;
  }
  return false;
}

/* What is added to 2·SRTT with more than one segment in flight: RFC 6298's own margin for an
 * overdue ACK, 4·RTTVAR, at most TLP_SLACK_US. A fixed 2 ms (Linux's TCP_TIMEOUT_MIN, still
 * the linux profile's) is forty round trips of a 50 µs path: with a receiver that acknowledges
 * a whole burst at once (a GRO/TSO receiver), losing that one ACK stalled the sender for the
 * full 2 ms, 55 times per 20 MB at 3 % loss, about half of the transfer time
 * (docs/loss-recovery.md). Below the cap PTO is at least SRTT + 4·RTTVAR, the RTO's estimate
 * before its floor: a probe fires only when the ACK is overdue by that measure too. */
static uint64_t tlp_slack_us(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint64_t var = 4ull * tcb->rttvar_us;
  if (st->cfg.tcp_recovery_linux || var > TLP_SLACK_US) return TLP_SLACK_US;
  return var;
}

static uint64_t pto_us(const synack_stack_t *st, const synack_tcb_t *tcb) {
  const synack_sndrec_t *r = &tcb->rec;
  /* RFC 8985 §7.2: PTO = 2·SRTT, plus the worst-case delayed ACK when one segment is out;
   * never later than the RTO. In recovery there is a hole below whatever is in flight, and a
   * receiver acknowledges a segment that fills a hole or arrives out of order at once
   * (RFC 5681 §4.2): no delayed-ACK allowance there. Otherwise TLP_SLACK_US is added, as Linux
   * adds TCP_TIMEOUT_MIN: room for the peer's scheduling, instead of a floor that dwarfs a
   * sub-millisecond RTT (with a 10 ms floor, 13 probes waited 131 ms of a 256 ms transfer at 3 %
   * ACK loss on the TAP matrix path). */
  uint64_t pto = tcb->srtt_us ? 2ull * tcb->srtt_us : 1000000u;
  if ((uint32_t)seq_diff(tcb->snd_max, tcb->snd_una) <= tcb->snd_mss && r->mode == SYNACK_REC_OPEN)
    pto += WCDELACK_US;
  else
    pto += tlp_slack_us(st, tcb);
  uint32_t rto = synack_tcp_rto_current(st, tcb);
  return pto > rto ? rto : pto;
}

void synack_rack_arm_tlp(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (!synack_rack_enabled(st, tcb) || r->tlp_out || r->persist || !probe_state(st, tcb)) return;
  if (!seq_gt(tcb->snd_max, tcb->snd_una)) return;
  r->tlp_sent = 0;
  r->tlp_at = now + pto_us(st, tcb);
  synack_tcp_rtx_sync(st, tcb);
}

static void send_probe(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  synack_seq_t max0 = tcb->snd_max;
  /* RFC 8985 §7.3: a new segment if the receive window allows, beyond cwnd... */
  r->tlp_out = true; /* before sending: new data must not re-arm the probe */
  /* Two new segments in the open state, not RFC 8985 §7.3's one (a deliberate choice,
   * docs/loss-recovery.md "TLP"): when the flight arrived and only its ACK was lost, one new
   * in-order segment is what a receiver delays its ACK for (RFC 5681 §4.2: up to 500 ms; Linux
   * 40 ms, measured: 45 ms per probe at 3 % ACK loss), while two full-sized segments are
   * acknowledged at once; when the tail was lost, either arrives out of order and is
   * acknowledged at once. In recovery a hole is open, every arrival is acknowledged: one. */
  r->tlp_force = r->mode == SYNACK_REC_OPEN && !st->cfg.tcp_recovery_linux ? 2 : 1; /* Linux: one (tcp_send_loss_probe) */
  synack_tcp_output(st, tcb, now);
  r->tlp_force = 0;
  r->tlp_check = false;
  if (seq_eq(tcb->snd_max, max0) && seq_gt(tcb->snd_max, tcb->snd_una) && r->mode == SYNACK_REC_OPEN) {
    /* ...else the last segment sent, again (not part of an undo episode: §7.4 judges it). */
    uint32_t flight = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
    uint32_t len = flight < tcb->snd_mss ? flight : tcb->snd_mss;
    synack_seq_t s = seq_sub(tcb->snd_max, len);
    if (synack_tcp_send_at(st, tcb, s, len, now) > 0) {
      r->tlp_check = true;
      r->tlp_start = s;
    }
  } else if (seq_eq(tcb->snd_max, max0) && r->mode == SYNACK_REC_SACK) {
    /* In recovery: the last segment is usually SACKed, and its D-SACK would deliver nothing
     * new to RACK. The highest unSACKed segment instead (RFC 6675's rescue retransmission):
     * the receiver answers it with the cumulative ACK that was lost, or it repairs a lost
     * retransmission. It belongs to the recovery's undo episode (tcp_output.c notes it), so
     * its D-SACK alone cannot undo the reduction; no §7.4 check: the recovery reduced already. */
    synack_seq_t hs, he;
    if (synack_sack_last_hole(&r->sb, tcb->snd_una, tcb->snd_max, &hs, &he)) {
      uint32_t n = (uint32_t)seq_diff(he, hs);
      uint32_t len = n < tcb->snd_mss ? n : tcb->snd_mss;
      (void)synack_tcp_send_at(st, tcb, seq_sub(he, len), len, now);
    }
  }
  r->tlp_out = true;
  r->tlp_high = tcb->snd_max;
  tcb->tlps++;
}

void synack_rack_tlp_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_sack_update_t *u, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (!r->tlp_check) return;
  /* §7.4.2: a D-SACK for the probe: the original arrived too, nothing was lost. */
  if (u->dsack && seq_lt(u->dsack_start, r->tlp_high) && seq_gt(u->dsack_end, r->tlp_start)) {
    r->tlp_check = false;
    return;
  }
  /* An ACK beyond the probe without that D-SACK: the probe repaired a loss; reduce once. */
  if (seq_gt(tcb->snd_una, r->tlp_high)) {
    r->tlp_check = false;
    tcb->tlp_recoveries++;
    synack_count(st, SYNACK_CTR_TCP_TLP_RECOVERIES);
    synack_tcp_trace_note(st, tcb->sock, &tcb->node.t, "tail loss probe repaired a loss: window reduced");
    if (tcb->cc) {
      synack_tcp_cc_congestion(st, tcb, now);
      synack_tcp_cc_recovery_end(st, tcb, now);
    }
  }
}

bool synack_rack_timer(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->reo_at && now >= r->reo_at) {
    r->reo_at = 0;
    synack_rack_detect(st, tcb, now);
    /* RFC 6937 on a timer: no ACK, so no DeliveredData; one segment's worth, as Linux's RACK
     * timeout does, so the fast retransmission is followed by one more segment whose delivery
     * lets RACK judge the retransmission (if it alone were in flight and lost, only the RTO
     * could find that: the deliveries that armed this timer were counted before recovery). */
    r->ack_una_adv = false; /* no ACK: PRR's extra segment is not earned (prr_linux) */
    synack_rec_loss_check(st, tcb, tcb->snd_mss, now);
    synack_tcp_output(st, tcb, now);
    synack_tcp_rtx_sync(st, tcb);
    return true;
  }
  if (r->tlp_at && now >= r->tlp_at) {
    r->tlp_at = 0;
    if (synack_tcp_state_synchronized(tcb->state) && seq_gt(tcb->snd_max, tcb->snd_una) && probe_state(st, tcb) &&
        !r->persist) {
      synack_count(st, SYNACK_CTR_TCP_TLP_PROBES);
      send_probe(st, tcb, now);
      synack_tcp_rtx_arm(st, tcb, now); /* §7.3: the RTO after the probe */
      /* A second probe after twice the PTO when no ACK at all came meanwhile (an ACK cancels
       * it: synack_rack_on_ack), before the RTO: a deliberate extension of §7.3's single probe
       * (docs/loss-recovery.md "TLP"). On a path whose RTT is far below the 200 ms minimum RTO,
       * losing the one ACK of a probe cost an RTO a thousand RTTs long (4 of 39 probes at 3 %
       * ACK loss in the TAP matrix); two lost in a row are rare. */
      /* cfg.tcp_recovery_linux: one probe per tail, as RFC 8985 §7.3 and Linux (tlp_high_seq). */
      if (++r->tlp_sent < (st->cfg.tcp_recovery_linux ? 1u : TLP_PROBES)) {
        uint64_t again = 2u * pto_us(st, tcb);
        if (now + again < r->rto_at) r->tlp_at = now + again;
      }
      synack_tcp_rtx_sync(st, tcb);
    } else {
      synack_tcp_rtx_sync(st, tcb);
    }
    return true;
  }
  if (r->rto_at && now < r->rto_at) {
    synack_tcp_rtx_sync(st, tcb); /* woke for a deadline that was since moved */
    return true;
  }
  return false;
}
