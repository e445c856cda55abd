/* Loss recovery on the sending side: duplicate-ACK counting, fast retransmit (RFC 5681 §3.2),
 * SACK-based recovery (RFC 6675: pipe, NextSeg rules 1-4, RecoveryPoint) with proportional rate
 * reduction (RFC 6937, cfg.tcp_prr) deciding how much may be sent per ACK, NewReno partial ACKs
 * when SACK is off (RFC 6582), limited transmit (RFC 3042), the RTO phase (RFC 6675 §5.1) and
 * D-SACK undo (RFC 2883 §5, RFC 3708 idea).
 *
 * The recovery code decides *when* the window reacts; the congestion-control algorithm
 * (tcp_cc.h) decides *by how much*. Retransmissions during fast recovery are sent at explicit
 * sequence numbers; SND.NXT stays at SND.MAX. Only the RTO rewinds SND.NXT (go-back-N), and
 * then tcp_output.c skips the SACKed ranges. */
#include "tcp_cc.h"
#include "tcp_internal.h"

/* ---------- congestion control calls, tolerant of a TCB without an algorithm ---------- */

static void cc_congestion(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->cc) {
    synack_tcp_cc_congestion(st, tcb, now);
    return;
  }
  /* RFC 5681 §3.2 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS); RFC 6675: cwnd = ssthresh. */
  uint32_t half = synack_cc_flight(tcb) / 2;
  tcb->ssthresh_bytes = half > 2u * tcb->snd_mss ? half : 2u * tcb->snd_mss;
  tcb->cwnd_bytes = tcb->ssthresh_bytes;
}

static void cc_recovery_end(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->cc) {
    synack_tcp_cc_recovery_end(st, tcb, now);
    return;
  }
  /* RFC 6582 §3.2 step 3 (full ACK): cwnd = ssthresh. */
  if (tcb->ssthresh_bytes != UINT32_MAX) tcb->cwnd_bytes = tcb->ssthresh_bytes;
}

/* ---------- state ---------- */

bool synack_rec_in_fast_recovery(const synack_tcb_t *tcb) {
  return tcb->rec.mode == SYNACK_REC_SACK || tcb->rec.mode == SYNACK_REC_NEWRENO;
}

/* RACK (tcp_rack.c) decides what is lost when it runs: then only the RTO's edge counts here and
 * the per-range marks of the transmit log do the rest. */
static bool rack_on(const synack_tcb_t *tcb) {
  return tcb->rec.rack && tcb->rec.xl.e != NULL;
}

static synack_seq_t lost_edge(const synack_tcb_t *tcb) {
  const synack_sndrec_t *r = &tcb->rec;
  synack_seq_t e = rack_on(tcb) ? tcb->snd_una : synack_sack_lost_edge(&r->sb, tcb->snd_una, tcb->snd_mss);
  /* The RTO's edge counts only inside SND.UNA..SND.MAX (sequence comparisons wrap). */
  if (r->mode == SYNACK_REC_RTO && seq_between(r->lost_edge, e, tcb->snd_max)) e = r->lost_edge;
  return e;
}

/* Without SACK, the pipe as Linux counts it (tcp_packets_in_flight with tcp_add_reno_sack):
 * every duplicate ACK is taken as one segment that left the network, and the head segment,
 * marked lost at the start of recovery and at each partial ACK, counts again only once it has
 * been resent. */
static uint32_t reno_pipe(const synack_tcb_t *tcb) {
  const synack_sndrec_t *r = &tcb->rec;
  uint64_t flight = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
  uint64_t out = (uint64_t)r->reno_sacked * tcb->snd_mss + (r->rtx_first ? tcb->snd_mss : 0);
  return flight > out ? (uint32_t)(flight - out) : 0;
}

uint32_t synack_rec_pipe(const synack_tcb_t *tcb) {
  if (tcb->rec.mode == SYNACK_REC_NEWRENO && tcb->rec.prr) return reno_pipe(tcb);
  if (rack_on(tcb)) return synack_rack_pipe(tcb, lost_edge(tcb));
  return synack_sack_pipe(&tcb->rec.sb, tcb->snd_una, tcb->snd_max, lost_edge(tcb), tcb->rec.high_rxt);
}

uint32_t synack_rec_allowance(const synack_tcb_t *tcb) {
  const synack_sndrec_t *r = &tcb->rec;
  uint64_t wnd = tcb->cwnd_bytes, used = 0;
  if (r->tlp_force) return (uint32_t)r->tlp_force * tcb->snd_mss; /* RFC 8985 §7.3: the probe (tcp_rack.c) */
  switch ((synack_rec_mode_t)r->mode) {
  case SYNACK_REC_OPEN:
    if (r->open_pipe && r->sb.bytes) {
      /* cfg.tcp_recovery_linux with SACK: Linux sends against tcp_packets_in_flight in its
       * Disorder state too, so every SACKed segment (not every duplicate ACK, nor only the first
       * two) lets one new segment out: limited transmit by what left the network. */
      used = synack_rec_pipe(tcb);
      break;
    }
    /* RFC 3042: the first two duplicate ACKs each allow one new segment beyond cwnd. */
    if (r->dupacks > 0 && r->dupacks < SYNACK_DUPTHRESH) wnd += (uint64_t)r->dupacks * tcb->snd_mss;
    used = (uint32_t)seq_diff(tcb->snd_nxt, tcb->snd_una);
    break;
  case SYNACK_REC_SACK:
    /* RFC 6675 §5 step (C): send while cwnd - pipe >= 1 SMSS; with PRR (RFC 6937) the window
     * is the one the last ACK set, pipe + sndcnt. */
    if (r->prr) wnd = r->prr_wnd;
    used = synack_rec_pipe(tcb);
    break;
  case SYNACK_REC_NEWRENO: {
    if (r->prr) { /* cfg.tcp_recovery_linux: PRR without SACK, as Linux (prr_linux) */
      wnd = r->prr_wnd;
      used = synack_rec_pipe(tcb);
      break;
    }
    /* RFC 5681 §3.2 steps 3-4 / RFC 6582: the inflated window against FlightSize. */
    int64_t w = (int64_t)tcb->cwnd_bytes + r->inflate;
    wnd = w > (int64_t)tcb->snd_mss ? (uint64_t)w : tcb->snd_mss;
    used = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
    break;
  }
  case SYNACK_REC_RTO:
    if (r->frto == 2) return synack_undo_frto_allowance(tcb); /* RFC 5682 step 2b */
    /* Go-back-N after the RTO: what was resent so far, less what the peer SACKed. */
    used = (uint32_t)seq_diff(tcb->snd_nxt, tcb->snd_una) -
           synack_sack_bytes_in(&r->sb, tcb->snd_una, tcb->snd_nxt);
    break;
  }
  return wnd > used ? (uint32_t)(wnd - used > UINT32_MAX ? UINT32_MAX : wnd - used) : 0;
}

static void enter_fast_recovery(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  /* RFC 6675 §5 step 4 / RFC 6582 §3.2 step 2: RecoveryPoint = HighData, reduce the window,
   * retransmit the first unacknowledged segment. */
  uint32_t prior_cwnd = tcb->cwnd_bytes;
  r->recover = tcb->snd_max;
  r->recover_set = true;
  synack_undo_begin(tcb);
  r->high_rxt = tcb->snd_una;
  r->rescue_set = false;
  r->tlp_check = false; /* the recovery's own reduction covers a loss the probe repaired */
  r->tlp_out = false;   /* an open-state probe did its job (its ACK showed the hole): the recovery may probe */
  cc_congestion(st, tcb, now);
  if (tcb->flags & TF_SACK_OK) {
    r->mode = SYNACK_REC_SACK;
    r->inflate = 0;
  } else {
    r->mode = SYNACK_REC_NEWRENO;
    r->inflate = (int32_t)(SYNACK_DUPTHRESH * tcb->snd_mss); /* RFC 5681 §3.2 step 3 */
  }
  r->rtx_first = true;
  r->tlp_at = 0;
  /* RFC 6937 §3 initialization. RecoverFS is pipe here (before the retransmission), not
   * RFC 6937's FlightSize: the bytes already SACKed and the lost ones will never be delivered
   * again during recovery, so with FlightSize the proportional part would release less than
   * ssthresh over the round trip and leave the rest to PRR-SSRB's catch-up at its end. */
  /* cfg.tcp_recovery_linux: Linux reduces with PRR without SACK too (tcp_cwnd_reduction runs
   * in every Recovery state; duplicate ACKs count as delivered segments, tcp_add_reno_sack),
   * where RFC 6582 inflates the window. */
  r->prr = st->cfg.tcp_prr && (r->mode == SYNACK_REC_SACK || st->cfg.tcp_recovery_linux);
  r->prr_delivered = r->prr_out = 0;
  r->prr_linux = st->cfg.tcp_recovery_linux;
  r->reno_sacked = r->mode == SYNACK_REC_NEWRENO ? r->dupacks : 0;
  /* cfg.tcp_recovery_linux: RecoverFS is the cwnd before the reduction, as Linux's prior_cwnd
   * (tcp_init_cwnd_reduction), measured on the kernel (tests/scripts/fast-recovery/). */
  r->prr_recover_fs = r->prr_linux ? prior_cwnd : synack_rec_pipe(tcb);
  r->prr_wnd = r->prr_recover_fs; /* nothing but the fast retransmit until an ACK counts */
  synack_count(st, SYNACK_CTR_TCP_FAST_RETRANS);
  if (r->mode == SYNACK_REC_SACK) synack_count(st, SYNACK_CTR_TCP_SACK_RECOVERIES);
  synack_tcp_trace_note(st, tcb->sock, &tcb->node.t,
                        r->mode != SYNACK_REC_SACK ? "fast retransmit (RFC 6582)"
                        : r->rack               ? "fast retransmit (RACK, RFC 8985)"
                                                : "fast retransmit (RFC 6675)");
}

/* RFC 6937 §3 as Linux computes it (tcp_cwnd_reduction(), cfg.tcp_recovery_linux), in whole
 * segments, the result being cwnd: an ACK that delivers nothing leaves the window as it was; while pipe is above
 * ssthresh, sndcnt = CEIL(prr_delivered · ssthresh / RecoverFS) − prr_out with RecoverFS the
 * cwnd before the reduction; at or below it (PRR-SSRB), min(ssthresh − pipe,
 * max(prr_delivered − prr_out, DeliveredData)), one segment more only when SND.UNA advanced
 * and this ACK marked nothing newly lost; and at least one segment while nothing was sent
 * (the fast retransmission). */
static void prr_linux(synack_tcb_t *tcb, uint32_t delivered, bool una_advanced, bool newly_lost) {
  synack_sndrec_t *r = &tcb->rec;
  if (delivered == 0) return;
  uint64_t mss = tcb->snd_mss ? tcb->snd_mss : 1;
  r->prr_delivered += delivered;
  uint64_t pipe = synack_rec_pipe(tcb), ssthresh = tcb->ssthresh_bytes;
  int64_t sndcnt;
  if (pipe > ssthresh) {
    uint64_t fs = r->prr_recover_fs ? r->prr_recover_fs : 1;
    uint64_t segs = ((uint64_t)r->prr_delivered * ssthresh + fs * mss - 1) / (fs * mss); /* CEIL, segments */
    sndcnt = (int64_t)(segs * mss) - (int64_t)r->prr_out;
  } else {
    int64_t room = (int64_t)r->prr_delivered - (int64_t)r->prr_out;
    if (room < (int64_t)delivered) room = delivered;
    if (una_advanced && !newly_lost) room += (int64_t)mss;
    sndcnt = (int64_t)(ssthresh - pipe) < room ? (int64_t)(ssthresh - pipe) : room;
  }
  if (sndcnt < (r->prr_out ? 0 : (int64_t)mss)) sndcnt = r->prr_out ? 0 : (int64_t)mss;
  uint64_t w = pipe + (uint64_t)sndcnt;
  r->prr_wnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
  /* Linux's cwnd during recovery is this window (tcpi_snd_cwnd reads pipe + sndcnt); recovery's
   * end sets it to ssthresh (synack_cc_recovery_exit). */
  tcb->cwnd_bytes = r->prr_wnd;
}

/* RFC 6937 §3, on every ACK during SACK recovery: how much may be sent for the data this ACK
 * delivered. While pipe is above ssthresh the sending rate is ssthresh / RecoverFS of the
 * delivery rate (a window's worth of ACKs releases ssthresh bytes: the reduction is spread
 * over the round trip instead of RFC 6675's silence then one segment per ACK); once pipe is
 * at or below ssthresh (more losses than the reduction), PRR-SSRB grows pipe back towards
 * ssthresh at most one SMSS faster than data is delivered (slow start). */
static void prr_on_ack(synack_tcb_t *tcb, uint32_t delivered) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->prr_linux) {
    prr_linux(tcb, delivered, r->ack_una_adv, r->ack_newly_lost);
    return;
  }
  r->prr_delivered += delivered;
  uint64_t pipe = synack_rec_pipe(tcb), ssthresh = tcb->ssthresh_bytes, sndcnt;
  if (pipe > ssthresh) {
    uint64_t fs = r->prr_recover_fs ? r->prr_recover_fs : 1;
    uint64_t target = ((uint64_t)r->prr_delivered * ssthresh + fs - 1) / fs; /* CEIL */
    sndcnt = target > r->prr_out ? target - r->prr_out : 0;
  } else {
    uint64_t room = r->prr_delivered > r->prr_out ? r->prr_delivered - r->prr_out : 0;
    uint64_t limit = (room > delivered ? room : delivered) + tcb->snd_mss;
    sndcnt = ssthresh - pipe < limit ? ssthresh - pipe : limit;
  }
  uint64_t w = pipe + sndcnt;
  r->prr_wnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

static void exit_recovery(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  bool fast = synack_rec_in_fast_recovery(tcb);
  r->mode = SYNACK_REC_OPEN;
  r->inflate = 0;
  r->rtx_first = false;
  r->dupacks = 0;
  r->frto = 0;
  synack_rack_recovery_end(tcb);
  if (fast) cc_recovery_end(st, tcb, now);
}

/* The first SACK blocks: the scoreboard moves from its few inline ranges to a table of
 * cfg.tcp_ooo_max_ranges, the bound our own receive side uses. Sixteen fixed ranges were too few
 * for a window that loses every other segment (a slow-start overshoot into a drop-tail queue):
 * the forgotten ranges counted in pipe (recovery stalled until the RTO) and were resent though
 * the peer held them. Without memory the inline ranges go on serving. */
static void attach_table(synack_stack_t *st, synack_tcb_t *tcb) {
  uint32_t n = st->cfg.tcp_ooo_max_ranges;
  if (n < 16) n = 16;
  if (n > 4096) n = 4096;
  size_t sz = (size_t)n * sizeof(synack_sack_range_t);
  synack_sack_range_t *t = synack_mem_alloc(st, sz);
  if (!t) return;
  st->tcp->mem += sz;
  synack_sack_attach(&tcb->rec.sb, t, (uint16_t)n);
}

void synack_rec_free(synack_stack_t *st, synack_tcb_t *tcb) {
  uint16_t cap = tcb->rec.sb.cap;
  synack_xl_free(st, &tcb->rec.xl);
  synack_sack_range_t *t = synack_sack_detach(&tcb->rec.sb);
  if (!t) return;
  size_t sz = (size_t)cap * sizeof *t;
  st->tcp->mem -= sz;
  synack_mem_free(st, t, sz);
}

void synack_rec_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, uint32_t acked,
                       uint32_t prev_wnd, uint32_t rtt_us, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  bool sack = (tcb->flags & TF_SACK_OK) && (seg->r.opts.present & SYNACK_TCPOPT_HAS_SACK);
  synack_sack_update_t u = { 0 };
  if (sack && !r->sb.ext) attach_table(st, tcb);
  uint32_t sacked_before = r->sb.bytes;
  r->rack = st->cfg.tcp_rack && (tcb->flags & TF_SACK_OK);
  r->open_pipe = st->cfg.tcp_recovery_linux && (tcb->flags & TF_SACK_OK);
  if (sack) synack_sack_parse(seg->r.opts.sack, seg->r.opts.sack_count, seg->ack, tcb->snd_una,
                              tcb->snd_max, &u);
  /* RACK reads the send times of what this ACK delivered before the board and the log move. */
  synack_rack_ack_t ra = { false, false };
  synack_rack_on_ack(st, tcb, seg, seq_sub(tcb->snd_una, acked), &u, now, &ra);
  if (acked) {
    synack_sack_advance(&r->sb, tcb->snd_una);
    synack_xl_ack(&r->xl, tcb->snd_una);
  }
  if (sack) {
    synack_sack_apply(&r->sb, &u);
    if (u.dsack) {
      r->dsacks++;
      synack_count(st, SYNACK_CTR_TCP_DSACKS_IN);
      synack_rack_dsack(st, tcb); /* RFC 8985 §6.2 step 4 */
      /* RFC 2883 §5 / RFC 3708: a duplicate of data we retransmitted in this episode. */
      synack_undo_dsack(st, tcb, u.dsack_start, u.dsack_end, now);
    }
  }
  synack_rack_tlp_ack(st, tcb, &u, now);
  synack_undo_on_ack(st, tcb, seg, acked, &ra, now);
  uint32_t marks = r->lost_marks;
  synack_rack_detect(st, tcb, now);
  r->ack_una_adv = acked > 0; /* for PRR's Linux arithmetic (prr_linux) */
  r->ack_newly_lost = r->lost_marks != marks;
  /* RFC 6937 DeliveredData: change in SND.UNA plus change in SACKed bytes (bytes SACKed
   * before and now cumulatively acknowledged count once). */
  uint32_t delivered = (uint32_t)((int64_t)acked + (int64_t)r->sb.bytes - (int64_t)sacked_before);

  if (acked) {
    /* A cumulative ACK. */
    switch ((synack_rec_mode_t)r->mode) {
    case SYNACK_REC_OPEN:
      r->dupacks = 0;
      if (!synack_tcp_ecn_in_cwr(st, tcb)) synack_tcp_cc_on_ack(st, tcb, acked, rtt_us, now);
      break;
    case SYNACK_REC_RTO:
      r->dupacks = 0;
      if (seq_lt(r->high_rxt, tcb->snd_una)) r->high_rxt = tcb->snd_una;
      synack_tcp_cc_on_ack(st, tcb, acked, rtt_us, now); /* slow start after the timeout */
      if (seq_ge(tcb->snd_una, r->recover)) exit_recovery(st, tcb, now);
      break;
    case SYNACK_REC_SACK:
      if (seq_ge(tcb->snd_una, r->recover)) {
        exit_recovery(st, tcb, now); /* RFC 6675 §5 step (B)... HighACK >= RecoveryPoint */
      } else {
        if (seq_lt(r->high_rxt, tcb->snd_una)) r->high_rxt = tcb->snd_una;
        if (r->prr) prr_on_ack(tcb, delivered);
      }
      break;
    case SYNACK_REC_NEWRENO:
      if (r->prr && r->prr_linux && seq_eq(tcb->snd_una, r->recover)) {
        /* cfg.tcp_recovery_linux: an ACK of exactly the recovery point does not end it
         * (tcp_try_undo_recovery holds Recovery until an ACK above it: RFC 6582 §4.1's careful
         * variant against a false fast retransmit), and the duplicate-ACK count starts over
         * (tcp_reset_reno_sack). PRR still runs on what it delivered. */
        uint32_t segs = (acked + tcb->snd_mss - 1) / tcb->snd_mss;
        uint32_t dl = segs > r->reno_sacked ? segs - r->reno_sacked : 1u;
        r->reno_sacked = 0;
        r->ack_newly_lost = false;
        prr_on_ack(tcb, dl * tcb->snd_mss);
        break;
      }
      if (seq_ge(tcb->snd_una, r->recover)) {
        exit_recovery(st, tcb, now); /* RFC 6582 §3.2 step 3: full acknowledgment */
      } else {
        /* RFC 6582 §3.2 step 5: partial ACK: retransmit the first unacknowledged segment,
         * deflate by the amount acknowledged, add back one SMSS when at least one was. */
        r->rtx_first = true;
        if (r->prr) {
          /* Linux (tcp_remove_reno_sacks): the segments this ACK covers take their duplicate
           * ACKs back, less one (the ACK itself); what it covers beyond them, at least one
           * segment, was delivered. The new head is lost (tcp_newreno_mark_lost). */
          uint32_t segs = (acked + tcb->snd_mss - 1) / tcb->snd_mss;
          uint32_t was = r->reno_sacked;
          r->reno_sacked = segs - 1u >= was ? 0 : was - (segs - 1u);
          uint32_t dl = segs > was ? segs - was : 1u;
          r->ack_newly_lost = true;
          prr_on_ack(tcb, dl * tcb->snd_mss);
          break;
        }
        r->inflate -= (int32_t)acked;
        if (acked >= tcb->snd_mss) r->inflate += tcb->snd_mss;
        if ((int64_t)tcb->cwnd_bytes + r->inflate < (int64_t)tcb->snd_mss)
          r->inflate = (int32_t)tcb->snd_mss - (int32_t)tcb->cwnd_bytes;
      }
      break;
    }
    synack_rec_loss_check(st, tcb, delivered, now); /* RACK may have marked a hole lost */
    synack_rack_arm_tlp(st, tcb, now);
    return;
  }

  /* No cumulative progress: a duplicate ACK? Not while probing a zero window: the answers to
   * window probes repeat the same ACK by design. */
  if (!seq_gt(tcb->snd_max, tcb->snd_una) || tcb->rec.persist || tcb->snd_wnd == 0) return;
  bool dup;
  if (sack && (tcb->flags & TF_SACK_OK)) {
    /* RFC 6675 §2: a duplicate ACK carries SACK information about bytes not SACKed before. */
    dup = u.newly_sacked > 0 && seq_eq(seg->ack, tcb->snd_una);
  } else {
    /* RFC 5681 §2: no data, no SYN/FIN, same ACK, same window, data outstanding. */
    uint32_t wnd = (uint32_t)seg->r.window << tcb->snd_wscale;
    dup = seg->len == 0 && !(seg->flags & (SYNACK_TCP_SYN | SYNACK_TCP_FIN)) && seq_eq(seg->ack, tcb->snd_una) &&
          wnd == prev_wnd;
  }
  if (!dup) return;
  switch ((synack_rec_mode_t)r->mode) {
  case SYNACK_REC_NEWRENO:
    if (r->prr) { /* cfg.tcp_recovery_linux: one segment delivered per duplicate ACK */
      /* ... and none counted while held at the recovery point (tcp_reset_reno_sack). */
      if (!seq_eq(tcb->snd_una, r->recover)) r->reno_sacked++;
      prr_on_ack(tcb, tcb->snd_mss);
      return;
    }
    r->inflate += tcb->snd_mss; /* RFC 5681 §3.2 step 4 */
    return;
  case SYNACK_REC_SACK:
    if (r->prr) prr_on_ack(tcb, delivered);
    synack_rack_arm_tlp(st, tcb, now); /* an ACK came: the recovery's probe waits from now */
    return; /* pipe accounts for it */
  case SYNACK_REC_RTO:
    return; /* RFC 6675 §5.1 / RFC 6582 §3.2 step 1: no new recovery before RecoveryPoint */
  case SYNACK_REC_OPEN:
    break;
  }
  if (r->dupacks < 255) r->dupacks++;
  if (rack_on(tcb)) {
    /* RACK decides (RFC 8985 §6.2); DupAcks only drive limited transmit. */
    synack_rec_loss_check(st, tcb, delivered, now);
    return;
  }
  bool lost = (tcb->flags & TF_SACK_OK) && seq_gt(lost_edge(tcb), tcb->snd_una);
  if (r->dupacks < SYNACK_DUPTHRESH && !lost) return; /* RFC 3042 limited transmit meanwhile */
  /* RFC 6582 §3.2 step 1 / RFC 6675 §5.1: not again for the same window of data. */
  if (r->recover_set && seq_lt(tcb->snd_una, r->recover)) return;
  enter_fast_recovery(st, tcb, now);
  /* The ACK that starts recovery counts (RFC 6937 §3); without SACK it is one segment (Linux). */
  if (r->prr) prr_on_ack(tcb, r->mode == SYNACK_REC_NEWRENO ? tcb->snd_mss : delivered);
}

void synack_rec_loss_check(synack_stack_t *st, synack_tcb_t *tcb, uint32_t delivered, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->mode != SYNACK_REC_OPEN || !seq_gt(tcb->snd_max, tcb->snd_una)) return;
  if (!seq_gt(lost_edge(tcb), tcb->snd_una) && !(rack_on(tcb) && synack_rack_lost_any(tcb))) return;
  if (r->recover_set && seq_lt(tcb->snd_una, r->recover)) return;
  enter_fast_recovery(st, tcb, now);
  /* RFC 6937 §3: the ACK that starts recovery is an ACK of the recovery and its DeliveredData
   * counts. Without it the window stayed at the pipe of the start (0 when everything but the
   * first hole was SACKed and marked lost): only the fast retransmission went out, nothing
   * was sent after it, and when it was lost RACK had no later delivery to detect that by, so
   * the RTO did (the retransmission timeouts of bench_throughput at 1 % loss). */
  if (r->prr) prr_on_ack(tcb, delivered);
}

void synack_rec_on_rto(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  bool fast = synack_rec_in_fast_recovery(tcb);
  /* RFC 6675 §5.1: leave fast recovery, RecoveryPoint = HighData, HighRxt = HighACK; keep the
   * scoreboard so SACKed data is not sent again. A second timeout in a row forgets it: the
   * receiver may have reneged (RFC 2018 §8). */
  if (tcb->backoff > 1) synack_sack_reset(&r->sb);
  r->mode = SYNACK_REC_RTO;
  r->recover = tcb->snd_max;
  r->recover_set = true;
  r->lost_edge = tcb->snd_max;
  r->high_rxt = tcb->snd_una;
  r->rescue_set = false;
  r->inflate = 0;
  r->dupacks = 0;
  r->rtx_first = false;
  r->tlp_check = false;
  if (tcb->backoff <= 1) synack_undo_begin(tcb);
  /* RFC 5682: F-RTO on a first timeout outside fast recovery (st->cfg.tcp_frto). */
  r->frto = st->cfg.tcp_frto && tcb->backoff <= 1 && !fast ? 1 : 0;
  r->frto_at = now;
}

/* Sends a retransmission at seq; counts it for the episode. */
static int rtx_at(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t seq, uint32_t max, synack_time_t now) {
  int n = synack_tcp_send_at(st, tcb, seq, max, now);
  if (n > 0) {
    /* The first unacknowledged segment went out again: the retransmission timer measures from
     * now. Left running from the last cumulative ACK, it would expire before this segment's
     * ACK could return whenever RTO < SACK detection time + RTT (an RTO close to the RTT, as
     * with a stable path beyond 200 ms): a spurious timeout in the middle of fast recovery. */
    if (seq_eq(seq, tcb->snd_una)) synack_tcp_rtx_arm(st, tcb, now);
    tcb->rec.rtx_mark = tcb->snd_max; /* new data is sent in sequence order: above = later */
    tcb->rec.rtx_later_at = 0;
    (void)now;
  }
  return n;
}

int synack_rec_output_pre(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  bool sent = false; /* a retransmission went out in this call */
  if (r->rtx_first && rack_on(tcb) && r->mode == SYNACK_REC_SACK) {
    /* RFC 6675 §5 step 4.3 with RACK's marks: the first lost segment, whatever the window says. */
    synack_seq_t ls;
    uint32_t ll;
    r->rtx_first = false;
    if (synack_rack_next_lost(tcb, lost_edge(tcb), &ls, &ll)) {
      int n = rtx_at(st, tcb, ls, ll, now);
      if (n < 0) {
        r->rtx_first = true;
        return -1;
      }
      sent = n > 0;
      if (n > 0 && seq_lt(r->high_rxt, seq_add(ls, (uint32_t)n))) r->high_rxt = seq_add(ls, (uint32_t)n);
    }
  }
  if (r->rtx_first) {
    /* RFC 6675 §5 step 4.3 / RFC 6582 step 2 and 5: the first unacknowledged segment, whatever
     * the window says. */
    int n = rtx_at(st, tcb, tcb->snd_una, tcb->snd_mss, now);
    if (n < 0) return -1;
    r->rtx_first = false;
    sent = sent || n > 0;
    if (n > 0 && seq_lt(r->high_rxt, seq_add(tcb->snd_una, (uint32_t)n))) r->high_rxt = seq_add(tcb->snd_una, (uint32_t)n);
  }
  if (r->mode != SYNACK_REC_SACK) return 0;
  /* RFC 6675 §4 NextSeg rule 1: the first lost hole above HighRxt, while cwnd - pipe >= SMSS. */
  for (int guard = 0; guard < 1 << 16; guard++) {
    if (synack_rec_allowance(tcb) < tcb->snd_mss) break;
    synack_seq_t edge = lost_edge(tcb), hs, he;
    uint32_t len;
    if (rack_on(tcb)) {
      if (!synack_rack_next_lost(tcb, edge, &hs, &len)) break;
    } else {
      synack_seq_t from = seq_max(r->high_rxt, tcb->snd_una);
      if (!synack_sack_next_hole(&r->sb, from, edge, &hs, &he)) break;
      len = (uint32_t)seq_diff(he, hs);
    }
    int n = rtx_at(st, tcb, hs, len < tcb->snd_mss ? len : tcb->snd_mss, now);
    if (n < 0) return -1;
    if (n == 0) break;
    sent = true;
    if (seq_lt(r->high_rxt, seq_add(hs, (uint32_t)n))) r->high_rxt = seq_add(hs, (uint32_t)n);
  }
  /* Every lost range resent: the probe timer of the recovery runs from the last retransmission
   * (tcp_rack.c probe_state: no ACK for the PTO, the probe resends the highest unSACKed segment). */
  if (sent) synack_rack_arm_tlp(st, tcb, now);
  return 0;
}

int synack_rec_output_post(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  /* With RACK only what it marked lost is resent: rules 3 and 4 would resend bytes merely
   * reordered, and the tail loss probe does the rescue's job. */
  if (r->mode != SYNACK_REC_SACK || rack_on(tcb)) return 0;
  for (int guard = 0; guard < 1 << 16; guard++) {
    if (synack_rec_allowance(tcb) < tcb->snd_mss) return 0;
    synack_seq_t hs, he, from = seq_max(r->high_rxt, tcb->snd_una);
    /* Rule 3: an unSACKed hole above HighRxt below the highest SACKed byte (not yet lost). */
    if (synack_sack_next_hole(&r->sb, from, synack_sack_high(&r->sb, tcb->snd_una), &hs, &he)) {
      uint32_t len = (uint32_t)seq_diff(he, hs);
      int n = rtx_at(st, tcb, hs, len < tcb->snd_mss ? len : tcb->snd_mss, now);
      if (n < 0) return -1;
      if (n == 0) return 0;
      r->high_rxt = seq_add(hs, (uint32_t)n);
      continue;
    }
    /* Rule 4: one rescue retransmission per recovery, of the highest unSACKed segment, when
     * no new data could be sent; HighRxt is not moved. */
    if (r->rescue_set && !seq_gt(tcb->snd_una, r->rescue_rxt)) return 0;
    /* RFC 6675 NextSeg puts previously unsent data (its rule 3) before the rescue (rule 4):
     * when new data is waiting and the peer's window has room for it (it may only be held by
     * Nagle for a moment), that segment probes the tail instead, and no old data is resent. */
    uint32_t queued_end = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_buf_seq);
    if (tcb->sb.len > queued_end && seq_diff(seq_add(tcb->snd_una, tcb->snd_wnd), tcb->snd_max) > 0) return 0;
    synack_seq_t top = tcb->snd_max;
    synack_seq_t sack_hi = synack_sack_high(&r->sb, tcb->snd_una);
    if (r->sb.n && seq_eq(sack_hi, tcb->snd_max)) top = synack_sack_at(&r->sb, r->sb.n - 1u)->start;
    if (!seq_gt(top, from)) return 0;
    uint32_t span = (uint32_t)seq_diff(top, from);
    uint32_t len = span < tcb->snd_mss ? span : tcb->snd_mss;
    synack_seq_t s = seq_sub(top, len);
    if (synack_sack_covers(&r->sb, s, NULL)) return 0;
    int n = rtx_at(st, tcb, s, len, now);
    if (n < 0) return -1;
    r->rescue_rxt = r->recover;
    r->rescue_set = true;
    return 0;
  }
  return 0;
}

void synack_rec_info(const synack_tcb_t *tcb, uint32_t *sacked, uint32_t *lost, uint32_t *retrans) {
  const synack_sndrec_t *r = &tcb->rec;
  uint32_t mss = tcb->snd_mss ? tcb->snd_mss : 1;
  *sacked = (r->sb.bytes + mss - 1) / mss;
  synack_seq_t edge = lost_edge(tcb);
  uint32_t lb = 0;
  if (rack_on(tcb)) {
    lb = synack_rack_lost_bytes(tcb, edge);
  } else if (seq_gt(edge, tcb->snd_una)) {
    synack_seq_t e = seq_min(edge, tcb->snd_max);
    lb = (uint32_t)seq_diff(e, tcb->snd_una) - synack_sack_bytes_in(&r->sb, tcb->snd_una, e);
  }
  *lost = (lb + mss - 1) / mss;
  uint32_t rb = 0;
  synack_seq_t hr = r->mode == SYNACK_REC_RTO ? tcb->snd_nxt : r->high_rxt;
  if (r->mode != SYNACK_REC_OPEN && seq_gt(hr, tcb->snd_una)) {
    synack_seq_t e = seq_min(hr, tcb->snd_max);
    rb = (uint32_t)seq_diff(e, tcb->snd_una) - synack_sack_bytes_in(&r->sb, tcb->snd_una, e);
  }
  *retrans = (rb + mss - 1) / mss;
}
