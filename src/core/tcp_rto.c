/* Retransmission timeout (RFC 6298) with Karn's rule and exponential backoff; when it fires,
 * go-back-N from SND.UNA in slow start, SACKed ranges skipped (RFC 6675 §5.1), or the persist
 * probe when the peer's window is zero (tcp_persist.c). The TCB's retransmission timer slot
 * also carries the RACK reordering timer and the TLP probe timeout (tcp_rack.c). The two cc_*
 * hooks dispatch to the connection's congestion-control algorithm (tcp_cc.h). */
#include "tcp_cc.h"
#include "tcp_internal.h"

static uint32_t clamp_rto(const synack_stack_t *st, uint64_t rto) {
  uint64_t lo = (uint64_t)st->cfg.tcp_rto_min_ms * 1000u, hi = (uint64_t)st->cfg.tcp_rto_max_ms * 1000u;
  if (rto < lo) rto = lo;
  if (hi && rto > hi) rto = hi;
  return (uint32_t)rto;
}

void synack_tcp_rto_init(synack_stack_t *st, synack_tcb_t *tcb) {
  /* RFC 6298 §2.1: until a measurement, RTO is the initial value (1 s). */
  tcb->srtt_us = tcb->rttvar_us = 0;
  tcb->rto_us = st->cfg.tcp_rto_initial_ms * 1000u;
  tcb->backoff = tcb->retransmits = 0;
}

void synack_tcp_rtt_sample(synack_stack_t *st, synack_tcb_t *tcb, uint32_t r) {
  if (r == 0) r = 1;
  if (tcb->srtt_us == 0) {
    /* RFC 6298 §2.2: first measurement R: SRTT = R, RTTVAR = R/2. */
    tcb->srtt_us = r;
    tcb->rttvar_us = r / 2;
  } else {
    /* RFC 6298 §2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, then SRTT = 7/8 SRTT + 1/8 R. */
    uint32_t d = tcb->srtt_us > r ? tcb->srtt_us - r : r - tcb->srtt_us;
    tcb->rttvar_us = (3 * tcb->rttvar_us + d) / 4;
    tcb->srtt_us = (7 * tcb->srtt_us + r) / 8;
  }
  /* RFC 6298 §2.3: RTO = SRTT + max(G, 4 RTTVAR), with G one microsecond tick; plus
   * cfg.tcp_rto_slop_ms (FreeBSD's rexmit_slop, room for a delayed ACK), then the bounds. */
  uint64_t k = 4ull * tcb->rttvar_us;
  /* cfg.tcp_recovery_linux: Linux's minimum bounds the variance term, not the sum
   * (tcp_rtt_estimator: rttvar = max(mdev, rto_min); __tcp_set_rto: srtt + rttvar), so a
   * steady path gets SRTT + 200 ms where RFC 6298 §2.4 gives max(SRTT + 4 RTTVAR, 200 ms).
   * Linux's per-round-trip tracking of the variance maximum is not modelled: it only matters
   * when 4 RTTVAR exceeds the minimum. */
  uint64_t vmin = (uint64_t)st->cfg.tcp_rto_min_ms * 1000u;
  if (st->cfg.tcp_recovery_linux && k < vmin) k = vmin;
  uint64_t slop = (uint64_t)st->cfg.tcp_rto_slop_ms * 1000u;
  tcb->rto_us = clamp_rto(st, (uint64_t)tcb->srtt_us + (k > 1 ? k : 1) + slop);
}

uint32_t synack_tcp_rto_current(const synack_stack_t *st, const synack_tcb_t *tcb) {
  /* RFC 6298 §5.5: each expiry doubles the timer, up to the maximum. */
  uint64_t rto = tcb->rto_us;
  uint64_t hi = (uint64_t)st->cfg.tcp_rto_max_ms * 1000u;
  for (uint32_t i = 0; i < tcb->backoff && rto < hi; i++) rto *= 2;
  if (hi && rto > hi) rto = hi;
  return (uint32_t)rto;
}

void synack_tcp_rtx_sync(synack_stack_t *st, synack_tcb_t *tcb) {
  /* One wheel timer per TCB serves the RTO, the RACK reordering timer and the TLP probe
   * timeout (RFC 8985 §8 runs them on the same timer too): it fires at the earliest. */
  synack_time_t t = SYNACK_TIME_NEVER;
  const synack_sndrec_t *r = &tcb->rec;
  if (r->rto_at && r->rto_at < t) t = r->rto_at;
  if (r->reo_at && r->reo_at < t) t = r->reo_at;
  if (r->tlp_at && r->tlp_at < t) t = r->tlp_at;
  if (t == SYNACK_TIME_NEVER) synack_timer_cancel(&st->wheel, &tcb->t_rtx);
  else if (!synack_timer_armed(&tcb->t_rtx) || tcb->t_rtx.expiry != t) synack_timer_set(&st->wheel, &tcb->t_rtx, t);
}

void synack_tcp_rtx_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  tcb->rec.rto_at = now + synack_tcp_rto_current(st, tcb);
  if (st->cfg.tcp_timeout_linux && tcb->user_timeout_ms) {
    /* cfg.tcp_timeout_linux (tcp_clamp_rto_to_user_timeout, tcp_clamp_probe0_to_user_timeout):
     * a backed-off timer never outlives the user timeout (RFC 5482): it fires when the time
     * runs out, counted from the first retransmission or the first zero-window probe. */
    synack_time_t start = tcb->rec.persist ? tcb->rec.probe_start : tcb->retransmits ? tcb->rtx_start : 0;
    if (start) {
      synack_time_t end = start + (synack_time_t)tcb->user_timeout_ms * 1000u;
      if (end <= now) end = now + 1;
      if (end < tcb->rec.rto_at) tcb->rec.rto_at = end;
    }
  }
  synack_tcp_rtx_sync(st, tcb);
}

void synack_tcp_rtx_stop(synack_stack_t *st, synack_tcb_t *tcb) {
  tcb->rec.rto_at = tcb->rec.reo_at = tcb->rec.tlp_at = 0;
  synack_timer_cancel(&st->wheel, &tcb->t_rtx);
}

/* Congestion-control dispatchers (the algorithms live in tcp_cc_*.c). */
void synack_tcp_cc_on_ack(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us, synack_time_t now) {
  if (acked == 0 || !tcb->cc) return;
  /* Linux grows cwnd only while it is what limits the sender (tcp_cong_avoid callers check
   * tcp_is_cwnd_limited); RFC 7661 §4.3 likewise keeps an application-limited cwnd from
   * growing beyond what was used. */
  if (st->cfg.tcp_cwnd_limited && !synack_tcp_cwnd_limited(tcb)) return;
  tcb->cc->on_ack(st, tcb, acked, rtt_us, now);
}

void synack_tcp_cc_on_rto(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->cc) tcb->cc->on_rto(st, tcb, now);
}

uint32_t synack_tcp_retry_limit(const synack_stack_t *st, const synack_tcb_t *tcb) {
  switch (tcb->state) {
  case SYNACK_TCP_SYN_SENT: return st->cfg.tcp_syn_retries;
  case SYNACK_TCP_SYN_RECEIVED: return st->cfg.tcp_synack_retries;
  case SYNACK_TCP_CLOSED:
  case SYNACK_TCP_LISTEN:
  case SYNACK_TCP_ESTABLISHED:
  case SYNACK_TCP_CLOSE_WAIT:
  case SYNACK_TCP_FIN_WAIT_1:
  case SYNACK_TCP_FIN_WAIT_2:
  case SYNACK_TCP_CLOSING:
  case SYNACK_TCP_LAST_ACK:
  case SYNACK_TCP_TIME_WAIT:
    break;
  }
  /* Linux's tcp_orphan_retries: a closed socket gives up on its FIN sooner. */
  if ((tcb->flags & TF_ORPHAN) && st->cfg.tcp_orphan_retries < st->cfg.tcp_retries2)
    return st->cfg.tcp_orphan_retries;
  return st->cfg.tcp_retries2;
}

/* cfg.tcp_syn_timeout_model (Linux's tcp_model_timeout with the initial RTO as base): the time
 * SYN-SENT may last, the sum of tcp_syn_retries + 1 doubling timeouts, each capped at the RTO
 * maximum: 1 + 2 + 4 + ... = (2^(n+1) - 1) initial RTOs while no doubling reaches the cap. */
static synack_time_t syn_model_timeout(const synack_stack_t *st) {
  uint64_t base = (uint64_t)st->cfg.tcp_rto_initial_ms * 1000u, hi = (uint64_t)st->cfg.tcp_rto_max_ms * 1000u;
  if (base == 0) base = 1;
  if (hi < base) hi = base;
  uint64_t total = 0, step = base;
  for (uint32_t i = 0; i <= st->cfg.tcp_syn_retries && i < 64; i++) {
    total += step;
    step = step * 2 < hi ? step * 2 : hi;
  }
  return total;
}

/* Whether the retransmission that is due gives up instead. */
static bool retries_exhausted(const synack_stack_t *st, const synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->state == SYNACK_TCP_SYN_SENT && st->cfg.tcp_syn_timeout_model) {
    /* Linux measures SYN-SENT in time (retransmits_timed_out): with its linear first
     * timeouts (tcp_syn_linear_timeouts) more SYNs fit in that time than tcp_syn_retries. */
    return now - tcb->syn_at >= syn_model_timeout(st);
  }
  return tcb->retransmits >= synack_tcp_retry_limit(st, tcb);
}

void synack_tcp_rto_fire(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_SYN_SENT) return;
  /* The shared slot may have fired for the RACK reordering timer or a tail loss probe. */
  if (synack_rack_timer(st, tcb, now)) return;
  tcb->rec.rto_at = 0;
  bool waiting = seq_lt(tcb->snd_nxt, seq_add(tcb->snd_buf_seq, tcb->sb.len));
  if (synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_SYN_RECEIVED && tcb->snd_wnd == 0 &&
      (waiting || seq_gt(tcb->snd_max, tcb->snd_una))) {
    /* RFC 9293 §3.8.6.1: the peer's window is zero: this is the persist timer (a retransmission
     * could not go out either: the probe carries the first unacknowledged byte). */
    synack_tcp_persist_fire(st, tcb, now);
    return;
  }
  if (seq_eq(tcb->snd_max, tcb->snd_una)) {
    /* Nothing in flight: a partial segment held by MSG_MORE or TCP_CORK goes out now. */
    if (waiting) synack_tcp_push_held(st, tcb, now);
    return;
  }
  synack_count(st, SYNACK_CTR_TCP_RTO_EXPIRED);
  tcb->rtos++;
  if (tcb->retransmits == 0) {
    tcb->rtx_start = now;
    /* tcp_info (Linux's tcp_update_rto_stats): a new RTO episode, timed until an ACK ends it */
    tcb->total_rto_recoveries++;
    if (!tcb->rto_stamp) tcb->rto_stamp = now + 1u;
  }
  bool user_expired = tcb->user_timeout_ms &&
                      now - tcb->rtx_start >= (synack_time_t)tcb->user_timeout_ms * 1000u;
  if (retries_exhausted(st, tcb, now) || user_expired) {
    /* RFC 1122 §4.2.3.5 (R2) / RFC 5482: give up. A soft error seen meanwhile (ICMP) is
     * the more useful report (RFC 1122 §4.2.3.9). */
    int err = tcb->soft_error ? tcb->soft_error : -SYNACK_ETIMEDOUT;
    synack_count(st, SYNACK_CTR_TCP_TIMEOUTS);
    if (tcb->state == SYNACK_TCP_SYN_SENT || tcb->state == SYNACK_TCP_SYN_RECEIVED)
      synack_count(st, SYNACK_CTR_TCP_ATTEMPT_FAILS);
    synack_tcp_done(st, tcb, err, user_expired ? "user timeout" : "retransmission timeout");
    return;
  }
  tcb->retransmits++;
  /* RFC 6298 §5.5 doubles the timer; cfg.tcp_syn_linear_timeouts (Linux) keeps the initial RTO
   * for the first retransmissions of a SYN (RFC 6298 §5.7 lets the RTO after a lost SYN stay
   * at the 3 s of RFC 2988 or its 1 s; a SYN on a lossy path is not congestion). */
  if (!(tcb->state == SYNACK_TCP_SYN_SENT && tcb->retransmits <= st->cfg.tcp_syn_linear_timeouts)) tcb->backoff++;
  tcb->flags &= ~(uint64_t)TF_RTT_TIMING; /* RFC 6298 §3 (Karn): no sample from a retransmission */
  if (synack_tcp_state_synchronized(tcb->state)) {
    /* RFC 5681 §3.1: ssthresh from the flight, cwnd = 1 MSS; RFC 6675 §5.1: leave fast
     * recovery, keep the scoreboard. */
    /* A timeout that interrupts fast recovery is the same congestion event: the window was
     * already reduced for it, and FlightSize (SND.MAX - SND.UNA) now counts data the peer
     * holds out of order, so half of it may exceed the reduced ssthresh. Keep the lower one. */
    bool in_fast = synack_rec_in_fast_recovery(tcb);
    uint32_t ssthresh_before = tcb->ssthresh_bytes;
    synack_tcp_cc_on_rto(st, tcb, now);
    /* cfg.tcp_recovery_linux: Linux keeps the recovery's ssthresh whatever the timeout's would
     * be (tcp_enter_loss recomputes it only outside recovery): in recovery cwnd is PRR's
     * window, and 0.7 of it would cut ssthresh a second time for the same event. */
    if (in_fast && (tcb->ssthresh_bytes > ssthresh_before || st->cfg.tcp_recovery_linux))
      tcb->ssthresh_bytes = ssthresh_before;
    synack_rec_on_rto(st, tcb, now);
  }
  /* RFC 6298 §5.4: retransmit the earliest unacknowledged segment; then go back N in slow start
   * (SYN, data, FIN as the state requires), skipping SACKed data (tcp_output.c). */
  tcb->snd_nxt = tcb->snd_una;
  synack_tcp_output(st, tcb, now);
  synack_tcp_rtx_arm(st, tcb, now);
}
