/* Congestion control: the algorithm table, helpers both algorithms share (initial window,
 * slow start with appropriate byte counting, undo, restart window, integer cube root) and the
 * entry points the rest of TCP calls. */
#include "tcp_cc.h"

const synack_cc_ops_t *synack_cc_ops(synack_cc_algo_t algo) {
  switch (algo) {
  case SYNACK_CC_NEWRENO: return &synack_cc_newreno;
  case SYNACK_CC_CUBIC: return &synack_cc_cubic;
  }
  return &synack_cc_newreno;
}

/* ---------- shared helpers ---------- */

uint32_t synack_cc_initial_window(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint64_t mss = tcb->snd_mss ? tcb->snd_mss : 536;
  uint64_t n = st->cfg.tcp_initial_cwnd_segs, iw;
  /* RFC 5681 §3.1: after a lost SYN, the initial window is one segment. */
  if (tcb->state == SYNACK_TCP_SYN_SENT && tcb->retransmits > 0) return (uint32_t)mss;
  if (n == 0) {
    /* RFC 3390 §1: min(4*MSS, max(2*MSS, 4380 bytes)), only when configured (segs = 0). */
    uint64_t b = 2 * mss > 4380 ? 2 * mss : 4380;
    iw = 4 * mss < b ? 4 * mss : b;
  } else {
    /* RFC 6928 §2: min(10*MSS, max(2*MSS, 14600)); the byte bound scales with N so that a
     * configured IW of N segments means N full 1460-byte segments on an Ethernet path. */
    uint64_t b = 2 * mss > n * 1460 ? 2 * mss : n * 1460;
    iw = n * mss < b ? n * mss : b;
  }
  return iw > UINT32_MAX ? UINT32_MAX : (uint32_t)iw;
}

uint32_t synack_cc_half_flight(const synack_tcb_t *tcb) {
  uint32_t half = synack_cc_flight(tcb) / 2, two = 2u * tcb->snd_mss;
  return half > two ? half : two;
}

uint32_t synack_cc_slow_start(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us) {
  synack_cc_common_t *c = synack_cc_common(tcb);
  uint64_t l = st->cfg.tcp_abc_limit ? st->cfg.tcp_abc_limit : 1;
  if (c->flags & SYNACK_CC_F_RTO_SS) {
    /* RFC 3465 §2.3: after an RTO, count at most one segment per ACK until the data outstanding
     * at the timeout is acknowledged: the ACKs of a go-back-N burst may cover much more data
     * than the network delivered since the timeout. */
    if (seq_le(tcb->snd_una, c->rto_high)) l = 1;
    else c->flags &= ~(uint32_t)SYNACK_CC_F_RTO_SS;
  }
  /* RFC 3465 §2.2: cwnd += min(bytes acknowledged, L*SMSS). */
  uint64_t cap = l * tcb->snd_mss;
  uint32_t inc = acked < cap ? acked : (uint32_t)cap;
  /* RFC 9406: HyStart++ may slow the increase down (CSS) or end slow start (ssthresh = cwnd). */
  inc = synack_hystart_on_ack(st, tcb, &c->hs, inc, rtt_us);
  uint32_t room = tcb->ssthresh_bytes > tcb->cwnd_bytes ? tcb->ssthresh_bytes - tcb->cwnd_bytes : 0;
  if (inc < room) {
    tcb->cwnd_bytes += inc;
    synack_hystart_round_end(st, tcb, &c->hs);
    return 0;
  }
  /* Reaching ssthresh: what the ACK covered beyond it goes to congestion avoidance. */
  tcb->cwnd_bytes = tcb->ssthresh_bytes;
  c->flags &= ~(uint32_t)SYNACK_CC_F_RTO_SS;
  return acked - room;
}

void synack_cc_note_reduction(synack_tcb_t *tcb) {
  synack_cc_common_t *c = synack_cc_common(tcb);
  c->undo_cwnd = tcb->cwnd_bytes;
  c->undo_ssthresh = tcb->ssthresh_bytes;
  c->cwr_high = tcb->snd_max;
  c->flags |= SYNACK_CC_F_UNDO | SYNACK_CC_F_REDUCED;
  c->flags &= ~(uint32_t)SYNACK_CC_F_RTO_SS; /* (on_rto sets it again) */
  /* RFC 9406 §4.3: HyStart++ is for the initial slow start; after a loss (or ECN-Echo, or a
   * timeout) ssthresh is known and later slow starts are standard ones. */
  c->hs.phase = SYNACK_HS_DONE;
}

void synack_cc_recovery_exit(synack_tcb_t *tcb) {
  if (tcb->ssthresh_bytes == UINT32_MAX) return;
  if ((tcb->flags & TF_SACK_OK) || tcb->rec.prr) {
    /* RFC 6675: the window stayed at ssthresh through recovery, with pipe keeping the flight
     * near it: nothing to deflate. The same without SACK when PRR ran (cfg.tcp_recovery_linux:
     * nothing was inflated; Linux's tcp_end_cwnd_reduction sets cwnd = ssthresh). */
    tcb->cwnd_bytes = tcb->ssthresh_bytes;
    return;
  }
  /* RFC 6582 §3.2 step 3, option 1: NewReno's window was inflated by duplicate ACKs; deflate
   * to what the flight allows, so that a full ACK covering much data does not release a burst
   * (synack has no burst limiter); slow start then climbs back to ssthresh. */
  uint32_t flight = synack_cc_flight(tcb);
  uint64_t w = (uint64_t)(flight > tcb->snd_mss ? flight : tcb->snd_mss) + tcb->snd_mss;
  tcb->cwnd_bytes = w < tcb->ssthresh_bytes ? (uint32_t)w : tcb->ssthresh_bytes;
}

bool synack_cc_undo_common(synack_tcb_t *tcb) {
  synack_cc_common_t *c = synack_cc_common(tcb);
  if (!(c->flags & SYNACK_CC_F_UNDO)) return false;
  c->flags &= ~(uint32_t)(SYNACK_CC_F_UNDO | SYNACK_CC_F_RTO_SS);
  /* The reduction was spurious: go back to where we were (never below where we are now). */
  if (c->undo_cwnd > tcb->cwnd_bytes) tcb->cwnd_bytes = c->undo_cwnd;
  if (c->undo_ssthresh > tcb->ssthresh_bytes) tcb->ssthresh_bytes = c->undo_ssthresh;
  return true;
}

void synack_cc_restart_window(const synack_stack_t *st, synack_tcb_t *tcb) {
  /* RFC 5681 §4.1: RW = min(IW, cwnd); ssthresh is left alone. */
  uint32_t iw = synack_cc_initial_window(st, tcb);
  if (tcb->cwnd_bytes > iw) tcb->cwnd_bytes = iw;
}

uint32_t synack_cc_icbrt(uint64_t x) {
  /* Bit by bit, from the top: r^3 <= x is decided for each bit of the result in turn
   * (the cube root of a 64-bit value has at most 22 bits). Exact, no division. */
  uint64_t r = 0;
  for (int b = 21; b >= 0; b--) {
    uint64_t t = r | (1ull << b);
    if (t <= 2642245u && t * t * t <= x) r = t; /* 2642245^3 is the last cube below 2^64 */
  }
  return (uint32_t)r;
}

/* ---------- entry points ---------- */

void synack_tcp_cc_init(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!tcb->cc) tcb->cc = synack_cc_ops(st->cfg.tcp_cc);
  tcb->cc->init(st, tcb, now);
}

int synack_tcp_cc_select(synack_stack_t *st, synack_tcb_t *tcb, int algo, synack_time_t now) {
  if (algo != SYNACK_CC_NEWRENO && algo != SYNACK_CC_CUBIC) return -SYNACK_EINVAL;
  const synack_cc_ops_t *ops = synack_cc_ops((synack_cc_algo_t)algo);
  if (tcb->cc == ops) return 0;
  tcb->cc = ops;
  if (synack_tcp_state_synchronized(tcb->state)) {
    /* Switching on a live connection: the new algorithm starts from the current window. */
    uint32_t cwnd = tcb->cwnd_bytes, ssthresh = tcb->ssthresh_bytes;
    ops->init(st, tcb, now);
    tcb->cwnd_bytes = cwnd;
    tcb->ssthresh_bytes = ssthresh;
  }
  return 0;
}

int synack_tcp_cc_algo(const synack_tcb_t *tcb) { return tcb->cc ? (int)tcb->cc->algo : -1; }

void synack_tcp_cc_congestion(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->cc) tcb->cc->on_congestion(st, tcb, now);
}

void synack_tcp_cc_recovery_end(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->cc) tcb->cc->on_recovery_end(st, tcb, now);
}

void synack_tcp_cc_undo(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (tcb->cc && tcb->cc->on_undo) tcb->cc->on_undo(st, tcb, now);
}

void synack_tcp_cc_idle_check(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  /* RFC 5681 §4.1: a sender that has not sent data for longer than the RTO restarts from the
   * restart window: its ACK clock is gone. Only with nothing in flight and data waiting. */
  if (!st->cfg.tcp_idle_restart || !tcb->cc || tcb->bytes_sent == 0) return;
  if (!seq_eq(tcb->snd_max, tcb->snd_una)) return;
  if (!seq_lt(tcb->snd_nxt, seq_add(tcb->snd_buf_seq, tcb->sb.len))) return;
  if (now - tcb->last_send_us <= synack_tcp_rto_current(st, tcb)) return;
  synack_tcp_trace_note(st, tcb->sock, &tcb->node.t, "idle restart: cwnd = min(IW, cwnd) (RFC 5681 4.1)");
  tcb->cc->on_idle(st, tcb, now);
  tcb->last_send_us = now; /* once per idle period */
}

void synack_tcp_cwnd_validate(synack_tcb_t *tcb, bool sent) {
  /* tcp_write_xmit: cwnd-limited when no further full segment fits in cwnd (Linux counts
   * packets: packets_in_flight >= cwnd). */
  uint32_t flight = synack_cc_flight(tcb);
  bool limited = synack_rec_allowance(tcb) < tcb->snd_mss;
  if (!sent && !limited) return;
  /* tcp_cwnd_validate: a new window (SND.UNA passed the mark), or cwnd-limited now, or a larger
   * flight while not limited, starts a new record of how the window is used. */
  if (!seq_lt(tcb->snd_una, tcb->cwnd_usage_seq) || limited ||
      (!(tcb->flags & TF_CWND_LIMITED) && flight > tcb->max_flight)) {
    if (limited) tcb->flags |= TF_CWND_LIMITED;
    else tcb->flags &= ~(uint64_t)TF_CWND_LIMITED;
    tcb->max_flight = flight;
    tcb->cwnd_usage_seq = tcb->snd_max;
  }
}

bool synack_tcp_cwnd_limited(const synack_tcb_t *tcb) {
  if (tcb->flags & TF_CWND_LIMITED) return true;
  /* tcp_is_cwnd_limited: in slow start, grow until cwnd is twice the most that was in flight. */
  if (tcb->cwnd_bytes < tcb->ssthresh_bytes) return (uint64_t)tcb->cwnd_bytes < 2u * (uint64_t)tcb->max_flight;
  return false;
}

void synack_tcp_cc_syn_lost(synack_tcb_t *tcb) {
  if (tcb->cwnd_bytes > tcb->snd_mss) tcb->cwnd_bytes = tcb->snd_mss;
}
