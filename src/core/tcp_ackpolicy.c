/* When in-order data is acknowledged (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2).
 *
 * Out-of-order segments, segments that fill all or part of a gap, duplicates and window
 * updates are acknowledged at once by their callers (tcp_rcv.c, tcp_rcvwnd.c). For plain
 * in-order data the ACK is delayed, but:
 *   - during quick-ACK (the first segments of a connection with tcp_quickack_start, or after
 *     SYNACK_TCP_QUICKACK) every segment is acknowledged at once;
 *   - an ACK goes out as soon as more than one full-sized segment is unacknowledged, so at
 *     least every second full-sized segment is acknowledged (RFC 5681 §4.2 SHOULD); with
 *     tcp_delack_every_second (FreeBSD) every second segment whatever its size;
 *   - with tcp_fin_ack_linux, in-order data that carries the FIN gets no quick ACK: Linux's
 *     tcp_fin() puts the connection in "pingpong" mode, which ends quick-ACK mode, before the
 *     ACK is decided (the FIN's own rule is in tcp_input.c, step_fin);
 *   - otherwise the delayed-ACK timer (tcp_delack_ms, armed at the first unacknowledged
 *     segment, so no ACK waits longer: RFC 5681 §4.2's 500 ms MUST) sends it.
 *
 * "Full-sized" is the largest segment seen from the peer, at most our MSS, starting from 536:
 * the peer's segments are smaller than our MSS by its options (12 bytes of timestamps) or by
 * its own path, and a fixed 2 x MSS threshold would then ACK only every third segment. */
#include "tcp_internal.h"

static void note_segment_size(synack_tcb_t *tcb, uint32_t n) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  if (tcb->rcv_seg_max == 0) tcb->rcv_seg_max = (uint16_t)(mss < 536u ? mss : 536u);
  if (n > tcb->rcv_seg_max) tcb->rcv_seg_max = (uint16_t)(n < mss ? n : mss);
}

/* cfg.tcp_quickack_linux (Linux's tcp_event_data_recv / tcp_incr_quickack): the first data
 * segment, and the first after more than an RTO of silence, (re)enter quick-ACK mode for
 * min(16, window / (2 x the segment size estimate)) ACKs, at least 2. */
static void linux_quickack(synack_stack_t *st, synack_tcb_t *tcb, uint32_t n, synack_time_t now) {
  bool first = tcb->lx_lrcv == 0;
  bool idle = !first && now + 1 - tcb->lx_lrcv > synack_tcp_rto_current(st, tcb);
  tcb->lx_lrcv = now + 1;
  if (!first && !idle) return;
  /* tp->rcv_wnd: the window last offered, from RCV.NXT before this segment. */
  int32_t adv = seq_diff(tcb->rcv_adv, tcb->rcv_nxt) + (int32_t)n;
  uint32_t wnd = adv > 0 ? (uint32_t)adv : 0;
  uint32_t q = wnd / (2u * tcb->rcv_seg_max);
  if (q < 2) q = 2;
  if (q > 16) q = 16; /* TCP_MAX_QUICKACKS */
  if (q > tcb->quickack_left) tcb->quickack_left = (uint8_t)q;
}

bool synack_tcp_ack_on_read(const synack_stack_t *st, const synack_tcb_t *tcb) {
  /* Linux's tcp_cleanup_rbuf: a read that empties the receive queue sends the delayed ACK at
   * once when a small segment came since the last ACK (the peer pushed a message and waits for
   * its answer; the connection is not interactive). */
  return st->cfg.tcp_quickack_linux && (tcb->flags & TF_ACK_DELAYED) && tcb->lx_pushed && tcb->rb.len == 0;
}

void synack_tcp_ack_policy(synack_stack_t *st, synack_tcb_t *tcb, uint32_t n, bool fin, synack_time_t now) {
  if (st->cfg.tcp_quickack_linux && tcb->rcv_seg_max && n < tcb->rcv_seg_max) tcb->lx_pushed = 1;
  note_segment_size(tcb, n);
  if (st->cfg.tcp_quickack_linux) linux_quickack(st, tcb, n, now);
  tcb->rcv_unacked_segs++;
  tcb->rcv_unacked_bytes += n;
  if (tcb->quickack_left > 0 && !(fin && st->cfg.tcp_fin_ack_linux)) {
    tcb->quickack_left--;
    tcb->flags |= TF_ACK_NOW;
    return;
  }
  bool ack = st->cfg.tcp_delack_every_second ? tcb->rcv_unacked_segs >= 2
                                             : tcb->rcv_unacked_bytes > tcb->rcv_seg_max;
  if (ack) tcb->flags |= TF_ACK_NOW;
  else synack_tcp_delack_arm(st, tcb, now);
}
