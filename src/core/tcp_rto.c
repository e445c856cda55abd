/* Retransmission timeout (RFC 6298) with Karn's rule and exponential backoff; go-back-N
 * retransmission from SND.UNA when it fires. The congestion window lives here too, as a
 * minimal slow start / RTO collapse; the data-transfer issue replaces the two cc_* hooks
 * with a congestion-control vtable. */
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
  /* RTO = SRTT + max(G, 4 RTTVAR), with G one microsecond tick; then the configured bounds. */
  uint64_t k = 4ull * tcb->rttvar_us;
  tcb->rto_us = clamp_rto(st, (uint64_t)tcb->srtt_us + (k > 1 ? k : 1));
}

uint32_t synack_tcp_rto_current(const synack_stack_t *st, const synack_tcb_t *tcb) {
  /* RFC 6298 §5.5: each expiry doubles the timer, up to the maximum. */
  uint64_t rto = tcb->rto_us;
  uint64_t hi = (uint64_t)st->cfg.tcp_rto_max_ms * 1000u;
  for (uint32_t i = 0; i < tcb->backoff && rto < hi; i++) rto *= 2;
  if (hi && rto > hi) rto = hi;
  return (uint32_t)rto;
}

void synack_tcp_rtx_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  synack_timer_set(&st->wheel, &tcb->t_rtx, now + synack_tcp_rto_current(st, tcb));
}

void synack_tcp_rtx_stop(synack_stack_t *st, synack_tcb_t *tcb) { synack_timer_cancel(&st->wheel, &tcb->t_rtx); }

void synack_tcp_cc_on_ack(synack_tcb_t *tcb, uint32_t acked) {
  if (tcb->cwnd_bytes < tcb->ssthresh_bytes) tcb->cwnd_bytes += acked < tcb->snd_mss ? acked : tcb->snd_mss;
  else if (tcb->cwnd_bytes) tcb->cwnd_bytes += (uint32_t)((uint64_t)tcb->snd_mss * tcb->snd_mss / tcb->cwnd_bytes) + 1;
}

void synack_tcp_cc_on_rto(synack_tcb_t *tcb) {
  /* RFC 5681 §3.1 eq. 4 and the loss window of one segment. */
  uint32_t flight = (uint32_t)seq_diff(tcb->snd_max, tcb->snd_una);
  uint32_t half = flight / 2;
  tcb->ssthresh_bytes = half > 2u * tcb->snd_mss ? half : 2u * tcb->snd_mss;
  tcb->cwnd_bytes = tcb->snd_mss;
}

static uint32_t retry_limit(const synack_stack_t *st, const synack_tcb_t *tcb) {
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

void synack_tcp_rto_fire(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!synack_tcp_state_synchronized(tcb->state) && tcb->state != SYNACK_TCP_SYN_SENT) return;
  if (seq_eq(tcb->snd_max, tcb->snd_una)) {
    /* Nothing in flight: this is the persist timer (zero window) or a held partial segment.
     * RFC 9293 §3.8.6.1: probe a zero window with one byte, backing off. */
    if (seq_lt(tcb->snd_nxt, seq_add(tcb->snd_buf_seq, tcb->sb.len))) {
      tcb->flags |= TF_WINPROBE;
      tcb->flags &= ~(uint32_t)TF_MORE;
      if (tcb->snd_wnd == 0 && tcb->backoff < 16) tcb->backoff++;
      synack_tcp_output(st, tcb, now);
      if (!synack_timer_armed(&tcb->t_rtx)) synack_tcp_rtx_arm(st, tcb, now);
    }
    return;
  }
  synack_count(st, SYNACK_CTR_TCP_RTO_EXPIRED);
  if (tcb->retransmits == 0) tcb->rtx_start = now;
  bool user_expired = tcb->user_timeout_ms &&
                      now - tcb->rtx_start >= (synack_time_t)tcb->user_timeout_ms * 1000u;
  if (tcb->retransmits >= retry_limit(st, tcb) || user_expired) {
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
  tcb->backoff++;
  tcb->flags &= ~(uint32_t)TF_RTT_TIMING; /* RFC 6298 §3 (Karn): no sample from a retransmission */
  synack_tcp_cc_on_rto(tcb);
  /* Go-back-N: resend everything from SND.UNA (SYN, data, FIN as the state requires). */
  tcb->snd_nxt = tcb->snd_una;
  synack_tcp_output(st, tcb, now);
  synack_tcp_rtx_arm(st, tcb, now);
}
