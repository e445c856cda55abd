/* HyStart++ (RFC 9406): leave slow start before it overflows the bottleneck queue, shared by
 * NewReno and CUBIC through synack_cc_slow_start (tcp_cc.c).
 *
 * Slow start doubles cwnd every round trip until a loss; on a path with a shallow queue the
 * last doubling loses most of a window. HyStart++ watches the minimum RTT of each round: when
 * it rises by more than a threshold over the previous round's (the queue is filling), slow
 * start gives way to Conservative Slow Start (CSS), which grows cwnd CSS_GROWTH_DIVISOR times
 * more slowly for at most CSS_ROUNDS rounds, then congestion avoidance begins (ssthresh =
 * cwnd). If the RTT falls back below the baseline taken at the exit, the increase was a
 * spurious one (jitter, a competing burst) and slow start resumes.
 *
 * Choices where the RFC leaves room (docs/loss-recovery.md, "HyStart++"):
 *   - Only the initial slow start (RFC 9406 §4.3 "SHOULD"): the first window reduction (loss,
 *     ECN-Echo, RTO; synack_cc_note_reduction) ends HyStart++ for the connection; a slow start
 *     after an RTO is standard (with RFC 3465 L = 1).
 *   - L is the stack's ABC limit (tcp_abc_limit, 2 by default): synack does not pace, and 2 is
 *     below the RFC's L = 8 for unpaced senders, so a stretch ACK never credits more.
 *   - RTT samples are those the ACK produced (rtt_us of on_ack): one per ACK with timestamps;
 *     without timestamps only the one timed segment per round (RFC 6298), fewer than
 *     N_RTT_SAMPLE, so HyStart++ never leaves slow start then (as the RFC requires: no decision
 *     on fewer than N_RTT_SAMPLE samples).
 *   - A round is the data outstanding when it began: it ends with the ACK that covers windowEnd
 *     (SND.MAX at its start). That ACK's sample counts in the round it ends. The round in which
 *     CSS began counts as the first of the CSS_ROUNDS.
 *   - The CSS increase keeps no remainder: min(N, L*SMSS) / 4 bytes, rounded down (the RFC's
 *     formula, in bytes).
 * No floating point, no clock: RTTs are microseconds from the caller. */
#include "tcp_cc.h"

#define HS_MIN_RTT_THRESH_US 4000u  /* RFC 9406 §4.3 MIN_RTT_THRESH = 4 msec */
#define HS_MAX_RTT_THRESH_US 16000u /* MAX_RTT_THRESH = 16 msec */
#define HS_MIN_RTT_DIVISOR 8u       /* MIN_RTT_DIVISOR */
#define HS_N_RTT_SAMPLE 8u          /* N_RTT_SAMPLE */
#define HS_CSS_GROWTH_DIVISOR 4u    /* CSS_GROWTH_DIVISOR */
#define HS_CSS_ROUNDS 5u            /* CSS_ROUNDS */
#define HS_INF UINT32_MAX           /* "infinity" for an RTT */

uint32_t synack_hystart_rtt_thresh(uint32_t last_round_min_us) {
  /* RFC 9406 §4.2: RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR,
   * MAX_RTT_THRESH)). */
  uint32_t t = last_round_min_us / HS_MIN_RTT_DIVISOR;
  if (t > HS_MAX_RTT_THRESH_US) t = HS_MAX_RTT_THRESH_US;
  return t < HS_MIN_RTT_THRESH_US ? HS_MIN_RTT_THRESH_US : t;
}

static void new_round(synack_hystart_t *h, const synack_tcb_t *tcb) {
  /* §4.2: at the start of each round, lastRoundMinRTT = currentRoundMinRTT,
   * currentRoundMinRTT = infinity, rttSampleCount = 0; windowEnd = SND.NXT. */
  h->window_end = tcb->snd_max;
  h->last_round_min_us = h->cur_round_min_us;
  h->cur_round_min_us = HS_INF;
  h->samples = 0;
}

uint32_t synack_hystart_on_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_hystart_t *h, uint32_t inc,
                               uint32_t rtt_us) {
  switch ((synack_hystart_phase_t)h->phase) {
  case SYNACK_HS_DONE: return inc;
  case SYNACK_HS_IDLE:
    if (!st->cfg.tcp_hystart) return inc;
    /* The first ACK of the connection's slow start: the first round is what is in flight. */
    h->phase = SYNACK_HS_SS;
    h->cur_round_min_us = HS_INF;
    new_round(h, tcb);
    break;
  case SYNACK_HS_SS:
  case SYNACK_HS_CSS: break;
  }
  /* §4.2: keep the minimum RTT of the round and count its samples. */
  if (rtt_us) {
    if (rtt_us < h->cur_round_min_us) h->cur_round_min_us = rtt_us;
    if (h->samples < UINT8_MAX) h->samples++;
  }
  /* §4.2: in CSS, cwnd grows by min(N, L*SMSS) / CSS_GROWTH_DIVISOR (the phase this ACK
   * arrived in decides). */
  if (h->phase == SYNACK_HS_CSS) inc /= HS_CSS_GROWTH_DIVISOR;
  bool enough = h->samples >= HS_N_RTT_SAMPLE && h->cur_round_min_us != HS_INF && h->last_round_min_us != HS_INF;
  if (enough && h->phase == SYNACK_HS_SS &&
      h->cur_round_min_us >= h->last_round_min_us + synack_hystart_rtt_thresh(h->last_round_min_us)) {
    /* §4.2: the delay increase says the queue is building: exit to CSS. */
    h->css_baseline_us = h->cur_round_min_us;
    h->phase = SYNACK_HS_CSS;
    h->css_rounds = 0;
    synack_tcp_trace_note(st, tcb->sock, &tcb->node.t,
                          "HyStart++: RTT increase, conservative slow start (RFC 9406 4.2)");
  } else if (enough && h->phase == SYNACK_HS_CSS && h->cur_round_min_us < h->css_baseline_us) {
    /* §4.2: the RTT went back below the baseline: the increase was spurious, slow start again. */
    h->css_baseline_us = HS_INF;
    h->phase = SYNACK_HS_SS;
    synack_tcp_trace_note(st, tcb->sock, &tcb->node.t,
                          "HyStart++: RTT back below the CSS baseline, slow start resumes (RFC 9406 4.2)");
  }
  return inc;
}

void synack_hystart_round_end(synack_stack_t *st, synack_tcb_t *tcb, synack_hystart_t *h) {
  if ((h->phase != SYNACK_HS_SS && h->phase != SYNACK_HS_CSS) || seq_lt(tcb->snd_una, h->window_end)) return;
  if (h->phase == SYNACK_HS_CSS && ++h->css_rounds >= HS_CSS_ROUNDS) {
    /* §4.2: CSS_ROUNDS rounds in CSS: congestion avoidance from the current window. */
    tcb->ssthresh_bytes = tcb->cwnd_bytes;
    h->phase = SYNACK_HS_DONE;
    synack_tcp_trace_note(st, tcb->sock, &tcb->node.t,
                          "HyStart++: CSS rounds done, ssthresh = cwnd (RFC 9406 4.2)");
    return;
  }
  new_round(h, tcb);
}
