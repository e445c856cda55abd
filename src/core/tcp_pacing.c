/* Pacing: data segments leave spaced by their length over a rate, instead of in the bursts an
 * ACK (or a stretch ACK, or a write into an open window) releases. A burst into a shallow queue
 * loses whole windows; spread over the round trip, the same window fits.
 *
 * The rate follows Linux's internal pacing (tcp_update_pacing_rate):
 *   rate = ratio × max(cwnd, flight) / SRTT
 * with ratio 200 % while cwnd < ssthresh / 2 (slow start: cwnd doubles in the round, so the
 * pace must keep up with the next round's window) and 120 % otherwise (congestion avoidance:
 * a little above the current rate so that pacing never becomes the limit), capped by
 * SYNACK_SO_MAX_PACING_RATE. Without an RTT sample there is no rate and nothing is paced; the
 * first ten data segments of a connection go unpaced too, as in Linux (the initial window).
 *
 * The schedule: each data segment moves the next departure time len/rate later (from now, if
 * the schedule lies in the past), and a segment may leave while that time is less than one
 * burst ahead of now (ahead_ns below).
 *
 * Sans-I/O: time is the caller's `now`; when a segment must wait, the TCB's pacing timer is
 * armed at its departure time, the stack's next deadline includes it, and the driver calls the
 * stack's timers then (tcp_timer.c sends what waited). Departure times are kept in nanoseconds
 * (a 1500-byte segment at 1 Gbit/s is 12 µs apart: microsecond rounding would lose 4 %) and the
 * timer is armed at the next whole microsecond.
 *
 * What is paced: new data. Retransmissions (fast retransmit, RACK's lost ranges, go-back-N after
 * a timeout) and the tail loss probe are not held back, since a timer or the ACK clock chose
 * their moment, but they use up pacing credit like any segment. Pure ACKs and control segments
 * are never paced. */
#include "tcp_internal.h"

/* Linux net.ipv4.tcp_pacing_ss_ratio and tcp_pacing_ca_ratio (percent). */
#define PACING_SS_RATIO 200u
#define PACING_CA_RATIO 120u
/* Linux paces from the tenth data segment on (tcp_update_skb_after_send: data_segs_out >= 10). */
#define PACING_FREE_SEGS 10u
/* Linux's default sk_pacing_shift of 10: a burst of about 1 ms at the pacing rate. */
#define PACING_BURST_NS 1000000u

uint64_t synack_tcp_pacing_rate_info(const synack_tcb_t *tcb) {
  if (tcb->srtt_us == 0) return UINT64_MAX;
  uint64_t wnd = tcb->cwnd_bytes;
  int32_t flight = seq_diff(tcb->snd_max, tcb->snd_una);
  if (flight > 0 && (uint64_t)flight > wnd) wnd = (uint64_t)flight;
  uint64_t ratio = tcb->cwnd_bytes < tcb->ssthresh_bytes / 2 ? PACING_SS_RATIO : PACING_CA_RATIO;
  uint64_t rate = wnd * ratio * 10000u / tcb->srtt_us; /* bytes/s: wnd × ratio/100 × 10^6/srtt */
  if (rate == 0) rate = 1;
  if (tcb->pace_max_rate != UINT32_MAX && rate > tcb->pace_max_rate) rate = tcb->pace_max_rate;
  return rate;
}

uint64_t synack_tcp_pacing_rate(const synack_stack_t *st, const synack_tcb_t *tcb) {
  (void)st;
  if (!tcb->pace_on) return UINT64_MAX;
  return synack_tcp_pacing_rate_info(tcb);
}

static uint64_t interval_ns(uint64_t len, uint64_t rate) { return len * 1000000000u / rate; }

/* How far ahead of the clock the departure schedule may run. A segment leaves while the next
 * departure time is at most `ahead` past now, so a burst of max(2 segments, 1 ms of the rate)
 * leaves back to back and the rest one segment per interval. Linux sends a paced flow in TSO
 * bursts of about 1 ms of its rate (pacing shift 10), at least two segments (tcp_min_tso_segs):
 * two segments keep a receiver's every-second-segment ACK coming, where single segments spaced
 * further apart than its delayed-ACK timer would each wait for it. */
static uint64_t ahead_ns(const synack_tcb_t *tcb, uint64_t rate) {
  uint64_t one = interval_ns(tcb->snd_mss ? tcb->snd_mss : 536u, rate);
  uint64_t burst = 2u * one > PACING_BURST_NS ? 2u * one : PACING_BURST_NS;
  return burst - one;
}

bool synack_tcp_pacing_hold(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!tcb->pace_on) return false;
  uint64_t rate = synack_tcp_pacing_rate(st, tcb);
  if (rate == UINT64_MAX) return false;
  uint64_t now_ns = (uint64_t)now * 1000u, ahead = ahead_ns(tcb, rate);
  if (tcb->pace_next_ns <= now_ns + ahead) return false;
  /* The first whole microsecond at which the segment may leave (always after now). */
  synack_time_t at = (synack_time_t)((tcb->pace_next_ns - ahead + 999u) / 1000u);
  if (!synack_timer_armed(&tcb->t_pace) || tcb->t_pace.expiry != at) synack_timer_set(&st->wheel, &tcb->t_pace, at);
  return true;
}

void synack_tcp_pacing_sent(synack_stack_t *st, synack_tcb_t *tcb, uint32_t len, synack_time_t now) {
  if (!tcb->pace_on || len == 0) return;
  if (tcb->pace_data_segs < PACING_FREE_SEGS) {
    tcb->pace_data_segs++;
    return;
  }
  uint64_t rate = synack_tcp_pacing_rate(st, tcb);
  if (rate == UINT64_MAX) return;
  uint64_t now_ns = (uint64_t)now * 1000u;
  /* A sender that was idle (or held back by cwnd) earns no credit for the time it did not use:
   * the next departure counts from now, never from a time in the past. */
  if (tcb->pace_next_ns < now_ns) tcb->pace_next_ns = now_ns;
  tcb->pace_next_ns += interval_ns(len, rate);
}

int synack_tcp_pacing_set_max(synack_tcb_t *tcb, int v) {
  /* Linux's SO_MAX_PACING_RATE takes ~0U for "no cap" (-1 as an int) and turns TCP's internal
   * pacing on for the socket (sk_pacing_status SK_PACING_NEEDED); so does synack. 0 would stop
   * the connection for good: refused. */
  if (v == -1) {
    tcb->pace_max_rate = UINT32_MAX;
  } else if (v > 0) {
    tcb->pace_max_rate = (uint32_t)v;
  } else {
    return -SYNACK_EINVAL;
  }
  tcb->pace_on = true;
  return 0;
}

int synack_tcp_pacing_get_max(const synack_tcb_t *tcb) {
  return tcb->pace_max_rate == UINT32_MAX ? -1 : (int)tcb->pace_max_rate;
}
