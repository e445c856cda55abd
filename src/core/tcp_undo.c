/* Spurious retransmission detection and undo of the congestion response.
 *
 * An "episode" starts with a fast recovery or a retransmission timeout and collects the
 * retransmissions sent until it ends. Three detectors can prove it spurious:
 *   - D-SACK (RFC 3708 / RFC 2883 §5): every retransmission of the episode comes back as a
 *     duplicate. Only D-SACKs that match a retransmitted range count (up to
 *     SYNACK_UNDO_RANGES ranges per episode, beyond that no D-SACK undo), so a segment the
 *     network duplicated never undoes a real reduction.
 *   - Eifel (RFC 3522): with timestamps, the first ACK that covers the first retransmission
 *     echoes a TSval older than that retransmission's: the original arrived.
 *   - F-RTO (RFC 5682, with the SACK enhancement of §3): after a first timeout the head is
 *     resent; if the next ACK advances SND.UNA (and not to the end), up to two new segments go
 *     out instead of more retransmissions; if the ACK after that acknowledges data never
 *     retransmitted (cumulatively or by SACK), the timeout was spurious; a duplicate ACK
 *     instead means the loss was real and go-back-N continues.
 * Undo restores cwnd and ssthresh as they were before the reduction (and the algorithm's own
 * state: on_undo), leaves recovery and, after an RTO, stops resending the old window. */
#include "tcp_cc.h"
#include "tcp_internal.h"

void synack_undo_begin(synack_tcb_t *tcb) {
  synack_sndrec_t *r = &tcb->rec;
  r->ep_retrans = r->ep_dsacked = 0;
  r->undo_n = 0;
  r->undo_overflow = false;
  r->eifel = false;
}

void synack_undo_note_rtx(synack_tcb_t *tcb, synack_seq_t s, synack_seq_t e, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->ep_retrans++ == 0) {
    /* RFC 3522 §2: RetransmitTS, the TSval the first retransmission carries. */
    r->eifel = (tcb->flags & TF_TS_OK) != 0;
    r->rtx_tsval = synack_tcp_ts_now(now, tcb->ts_offset);
    r->eifel_seq = s;
  }
  if (r->undo_n && seq_eq(r->undo_rtx[r->undo_n - 1u].end, s)) {
    r->undo_rtx[r->undo_n - 1u].end = e;
    return;
  }
  if (r->undo_n == SYNACK_UNDO_RANGES) {
    r->undo_overflow = true;
    return;
  }
  r->undo_rtx[r->undo_n].start = s;
  r->undo_rtx[r->undo_n].end = e;
  r->undo_n++;
}

static void spurious(synack_stack_t *st, synack_tcb_t *tcb, synack_counter_t which, const char *why,
                     synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  tcb->undos++;
  synack_count(st, SYNACK_CTR_TCP_SPURIOUS_UNDO);
  synack_count(st, which);
  synack_tcp_trace_note(st, tcb->sock, &tcb->node.t, why);
  if (tcb->cc) synack_tcp_cc_undo(st, tcb, now);
  if (r->mode == SYNACK_REC_NEWRENO && r->prr && r->prr_linux && seq_eq(tcb->snd_una, r->recover)) {
    /* cfg.tcp_recovery_linux without SACK: undone, but at exactly the recovery point the state
     * is held until an ACK above it (tcp_try_undo_recovery); PRR goes on against the restored
     * ssthresh (tcp_recovery.c). */
    synack_undo_begin(tcb);
    return;
  }
  if (r->mode == SYNACK_REC_RTO) {
    tcb->snd_nxt = tcb->snd_max; /* stop resending the old window */
    /* The timeout was spurious, so the ACK credited to its retransmission was the original's:
     * RACK.xmit_ts taken from that retransmission (RFC 8985 §6.2 step 2 cannot tell when the
     * RTT matches) would make every original sent before it look lost at the next ACK, and a
     * fast recovery would follow the undo. RACK starts over from the next delivery; Linux
     * runs no loss detection on the ACKs that follow an undone timeout either. */
    r->rack_seen = false;
  }
  r->mode = SYNACK_REC_OPEN;
  r->inflate = 0;
  r->dupacks = 0;
  r->rtx_first = false;
  r->recover_set = false;
  r->frto = 0;
  synack_undo_begin(tcb);
}

void synack_undo_dsack(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t ds, synack_seq_t de, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  bool ours = false;
  for (uint8_t i = 0; i < r->undo_n; i++) {
    synack_sack_range_t *g = &r->undo_rtx[i];
    if (!seq_lt(ds, g->end) || !seq_gt(de, g->start)) continue;
    ours = true;
    /* Consume the reported part so the same bytes do not count twice. */
    if (!seq_gt(ds, g->start)) g->start = seq_min(de, g->end);
    else if (!seq_lt(de, g->end)) g->end = ds;
    if (!seq_lt(g->start, g->end)) {
      r->undo_rtx[i] = r->undo_rtx[r->undo_n - 1u];
      r->undo_n--;
    }
    break;
  }
  if (!ours) return;
  tcb->spurious_retrans++;
  synack_count(st, SYNACK_CTR_TCP_SPURIOUS_RETRANS);
  /* A retransmission that was not needed: the original was late (Linux does not count it as
   * reordering: cfg.tcp_recovery_linux, tcp_rack.c synack_rack_dsack). */
  if (!st->cfg.tcp_recovery_linux) r->rack_reord = true;
  r->ep_dsacked++;
  if (!r->undo_overflow && r->undo_n == 0 && r->ep_dsacked >= r->ep_retrans)
    spurious(st, tcb, SYNACK_CTR_TCP_UNDO_DSACK, "spurious retransmissions (D-SACK): undo", now);
}

void synack_undo_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, uint32_t acked,
                        const synack_rack_ack_t *ra, synack_time_t now) {
  synack_sndrec_t *r = &tcb->rec;
  if (r->eifel && acked && seq_gt(tcb->snd_una, r->eifel_seq)) {
    /* RFC 3522 §2: the first ACK for the retransmitted segment; an echo older than
     * RetransmitTS was caused by the original. */
    r->eifel = false;
    const synack_tcp_opts_t *o = &seg->r.opts;
    if ((o->present & SYNACK_TCPOPT_HAS_TS) && o->ts_ecr && (int32_t)(o->ts_ecr - r->rtx_tsval) < 0 &&
        r->mode != SYNACK_REC_OPEN) {
      spurious(st, tcb, SYNACK_CTR_TCP_UNDO_EIFEL, "spurious retransmission (Eifel, RFC 3522): undo", now);
      return;
    }
  }
  if (!r->frto || r->mode != SYNACK_REC_RTO) {
    r->frto = 0;
    return;
  }
  if (r->frto == 1) {
    /* RFC 5682 §2.1 step 2. */
    if (!acked || seq_ge(tcb->snd_una, r->recover)) {
      r->frto = 0; /* (a) a duplicate ACK, or everything acknowledged: conventional recovery */
      return;
    }
    /* (b) SND.UNA advanced: new data instead of more retransmissions, if there is some. */
    synack_seq_t data_end = seq_add(tcb->snd_buf_seq, tcb->sb.len);
    bool room = seq_diff(seq_add(tcb->snd_una, tcb->snd_wnd), tcb->snd_max) > 0;
    if (!seq_gt(data_end, tcb->snd_max) || !room) {
      r->frto = 0;
      return;
    }
    r->frto = 2;
    r->frto_high = tcb->snd_max;
    tcb->snd_nxt = tcb->snd_max;
    return;
  }
  /* Step 3: an ACK of data never retransmitted (step 3b, §3's SACK variant) shows the
   * timeout was spurious; a duplicate ACK (3a) that the loss was real. */
  if (acked || ra->orig_before_rto) {
    spurious(st, tcb, SYNACK_CTR_TCP_UNDO_FRTO, "spurious timeout (F-RTO, RFC 5682): undo", now);
    return;
  }
  r->frto = 0;
  tcb->snd_nxt = tcb->snd_una; /* go back N from SND.UNA, SACKed ranges skipped */
}

uint32_t synack_undo_frto_allowance(const synack_tcb_t *tcb) {
  /* RFC 5682 step 2b: up to two new segments beyond what was sent before the ACK. */
  const synack_sndrec_t *r = &tcb->rec;
  synack_seq_t lim = seq_add(r->frto_high, 2u * tcb->snd_mss);
  return seq_gt(lim, tcb->snd_nxt) ? (uint32_t)seq_diff(lim, tcb->snd_nxt) : 0;
}
