/* RACK-TLP (RFC 8985), enabled by the tcp_rack option on connections with SACK and timestamps.
 * Its lost-retransmission rule (below) also runs on every SACK connection without it.
 *
 * What is implemented, and how it differs from the RFC:
 *   - RACK.xmit_ts / RACK.rtt / RACK.end_seq come from the echoed timestamp of each ACK that
 *     delivers (cumulatively or by SACK) new data: TSecr is the send time of the segment that
 *     triggered the ACK (RFC 8985 §6.2 step 1 allows this source), with the TS clock's 1 ms
 *     resolution. There is no per-segment send-time table (bounded memory): a hole below
 *     RACK.end_seq is taken to have been sent no later than the delivered segment (true for
 *     data sent in sequence order), so it is marked lost once the reordering window has
 *     passed since that delivery was learned — at the same time as the RFC would, or later.
 *   - RACK.reo_wnd = RACK.min_RTT / 4 (at least 1 ms), not adapted by D-SACK (§6.2 step 4's
 *     adaptive multiplier is missing).
 *   - The reordering timer (§6.3) and the probe timeout (§7.2) share the retransmission slot.
 *   - TLP (§7): PTO = 2·SRTT (+200 ms when one segment is in flight), at least 10 ms, at most
 *     the RTO; the probe
 *     is one new segment when the windows allow, else the last segment sent again. At most one
 *     probe is outstanding; the RTO is re-armed after it.
 *   - Lost retransmissions in SACK recovery: when data sent after our *latest* retransmission
 *     (SACKed bytes above SND.MAX as it was at that retransmission: new data goes out in
 *     sequence order) is delivered while retransmitted bytes are still missing, those
 *     retransmissions are lost (after reo_wnd) and NextSeg sends them again. With one mark per
 *     connection instead of per-segment send times this fires later than the RFC's rule when
 *     several retransmissions were sent at different times.
 *   - Missing: TLP loss detection (§7.4, the cwnd reduction when the probe repaired a loss),
 *     reo_wnd adaptation from D-SACK, and RACK without timestamps. */
#include "tcp_internal.h"

#define WCDELACK_US 200000u /* RFC 8985 §7.2 WCDelAckT */
#define TLP_MIN_US 10000u   /* a floor like Linux's: a PTO below the timer granularity of a peer is noise */

bool synack_rack_enabled(const synack_stack_t *st, const synack_tcb_t *tcb) {
  return st->cfg.tcp_rack && (tcb->flags & TF_SACK_OK) && (tcb->flags & TF_TS_OK);
}

void synack_rack_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, uint32_t acked,
                        uint32_t newly_sacked, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (!synack_rack_enabled(st, tcb)) return;
  if (r->tlp_out && seq_ge(tcb->snd_una, r->tlp_high)) r->tlp_out = false; /* the probe's ACK came */
  const synack_tcp_opts_t *o = &seg->r.opts;
  if (!(acked || newly_sacked) || !(o->present & SYNACK_TCPOPT_HAS_TS) || !o->ts_ecr) return;
  uint32_t ms = synack_tcp_ts_now(now, tcb->ts_offset) - o->ts_ecr;
  if (ms >= 600000u) return;
  /* RFC 8985 §6.2 step 2: only a delivery sent later than the current RACK.xmit_ts counts. */
  if (r->rack_seen && (int32_t)(o->ts_ecr - r->rack_xmit_ms) < 0) return;
  synack_seq_t end = tcb->snd_una;
  if (newly_sacked) end = seq_max(end, synack_sack_high(&r->sb, tcb->snd_una));
  if (r->rack_seen && (int32_t)(o->ts_ecr - r->rack_xmit_ms) == 0 && seq_le(end, r->rack_end_seq)) return;
  if (!r->rack_seen) r->rack_edge = tcb->snd_una;
  r->rack_xmit_ms = o->ts_ecr;
  r->rack_end_seq = end;
  r->rack_rtt_us = ms ? ms * 1000u : 1000u;
  if (!r->rack_min_rtt_us || r->rack_rtt_us < r->rack_min_rtt_us) r->rack_min_rtt_us = r->rack_rtt_us;
  r->rack_ack_at = now;
  r->rack_seen = true;
}

/* Without RACK (option off, or no timestamps) only its lost-retransmission rule runs, for SACK
 * recovery: once data sent after our latest retransmission has been SACKed for a reordering
 * window (SRTT/4, at least 1 ms) while retransmitted bytes are still missing, those
 * retransmissions are lost and NextSeg sends them again, instead of waiting for the RTO (RFC
 * 6675 alone cannot see a lost retransmission). Needs no timestamps: the SACKed sequence
 * numbers above SND.MAX-at-the-retransmission say "sent later". */
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
  if (!r->rack_seen) return;
  if (!seq_between(r->rack_edge, tcb->snd_una, tcb->snd_max)) r->rack_edge = tcb->snd_una;
  synack_seq_t hs, he;
  /* Holes below RACK.end_seq not yet marked lost. */
  bool fresh = seq_gt(r->rack_end_seq, r->rack_edge) &&
               synack_sack_next_hole(&r->sb, r->rack_edge, r->rack_end_seq, &hs, &he);
  /* A lost retransmission (§6.2 applied to retransmitted segments): data sent after our
   * latest retransmission (new data is sent in sequence order, so: SACKed bytes at or above
   * SND.MAX as it was then) was delivered while retransmitted bytes are still missing. Without
   * per-segment send times this needs a delivery later than the *latest* retransmission. */
  bool rtx_lost = false;
  if (r->mode == SYNACK_REC_SACK && seq_gt(r->high_rxt, tcb->snd_una) &&
      seq_gt(synack_sack_high(&r->sb, tcb->snd_una), r->rtx_mark) &&
      synack_sack_next_hole(&r->sb, tcb->snd_una, r->high_rxt, &hs, &he)) {
    rtx_lost = true;
    if (!r->rtx_later_at) r->rtx_later_at = now;
  }
  if (!fresh && !rtx_lost) {
    if (seq_gt(r->rack_end_seq, r->rack_edge)) r->rack_edge = r->rack_end_seq;
    return;
  }
  /* RFC 8985 §6.2 step 4-5: lost when xmit_ts + RACK.rtt + reo_wnd <= now; with the hole's
   * send time bounded by RACK.xmit_ts that is the delivery time plus reo_wnd. */
  uint32_t reo = r->rack_min_rtt_us / 4;
  if (tcb->srtt_us && reo > tcb->srtt_us) reo = tcb->srtt_us;
  if (reo < 1000u) reo = 1000u;
  synack_time_t due = r->rack_ack_at + reo;
  if (rtx_lost && (!fresh || r->rtx_later_at + reo < due)) due = r->rtx_later_at + reo;
  if (now < due) {
    r->reo_at = due; /* §6.3: the reordering timer */
    synack_tcp_rtx_sync(st, tcb);
    return;
  }
  if (now >= r->rack_ack_at + reo && seq_gt(r->rack_end_seq, r->rack_edge)) r->rack_edge = r->rack_end_seq;
  if (rtx_lost && now >= r->rtx_later_at + reo) {
    r->high_rxt = tcb->snd_una; /* NextSeg rule 1 sends them again */
    r->rtx_later_at = 0;
    synack_count(st, SYNACK_CTR_TCP_LOST_RETRANS);
  } else if (rtx_lost) {
    r->reo_at = r->rtx_later_at + reo;
    synack_tcp_rtx_sync(st, tcb);
  }
  if (fresh && now < r->rack_ack_at + reo) {
    synack_time_t t = r->rack_ack_at + reo;
    if (!r->reo_at || t < r->reo_at) r->reo_at = t;
    synack_tcp_rtx_sync(st, tcb);
  }
}

void synack_rack_arm_tlp(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (!synack_rack_enabled(st, tcb) || r->mode != SYNACK_REC_OPEN || r->tlp_out || r->persist) return;
  if (!seq_gt(tcb->snd_max, tcb->snd_una)) return;
  /* RFC 8985 §7.2: PTO = 2·SRTT, plus the worst-case delayed ACK when one segment is out;
   * never later than the RTO. */
  uint64_t pto = tcb->srtt_us ? 2ull * tcb->srtt_us : 1000000u;
  if (pto < TLP_MIN_US) pto = TLP_MIN_US;
  if ((uint32_t)seq_diff(tcb->snd_max, tcb->snd_una) <= tcb->snd_mss) pto += WCDELACK_US;
  uint32_t rto = synack_tcp_rto_current(st, tcb);
  if (pto > rto) pto = rto;
  r->tlp_at = now + pto;
  synack_tcp_rtx_sync(st, tcb);
}

static void send_probe(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  synack_seq_t max0 = tcb->snd_max;
  /* RFC 8985 §7.3: a new segment if the receive window allows, beyond cwnd... */
  r->tlp_out = true; /* before sending: new data must not re-arm the probe */
  r->tlp_force = true;
  synack_tcp_output(st, tcb, now);
  r->tlp_force = false;
  if (seq_eq(tcb->snd_max, max0) && seq_gt(tcb->snd_max, tcb->snd_una)) {
    /* ...else the last segment sent, again. */
    uint32_t flight = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
    uint32_t len = flight < tcb->snd_mss ? flight : tcb->snd_mss;
    (void)synack_tcp_send_at(st, tcb, seq_sub(tcb->snd_max, len), len, now); /* not part of an undo episode */
  }
  r->tlp_out = true;
  r->tlp_high = tcb->snd_max;
}

bool synack_rack_timer(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->reo_at && now >= r->reo_at) {
    r->reo_at = 0;
    synack_rack_detect(st, tcb, now);
    synack_rec_loss_check(st, tcb, now);
    synack_tcp_output(st, tcb, now);
    synack_tcp_rtx_sync(st, tcb);
    return true;
  }
  if (r->tlp_at && now >= r->tlp_at) {
    r->tlp_at = 0;
    if (synack_tcp_state_synchronized(tcb->state) && seq_gt(tcb->snd_max, tcb->snd_una) &&
        r->mode == SYNACK_REC_OPEN && !r->persist) {
      synack_count(st, SYNACK_CTR_TCP_TLP_PROBES);
      send_probe(st, tcb, now);
      synack_tcp_rtx_arm(st, tcb, now); /* §7.3: the RTO after the probe */
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
