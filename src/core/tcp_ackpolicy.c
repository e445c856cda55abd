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
 * its own path, and a fixed 2 x MSS threshold would then ACK only every third segment.
 *
 * cfg.tcp_delack_linux follows Linux's delayed-ACK engine (learned with drill --target=kernel,
 * tests/scripts/delayed-ack/; docs/linux-differences.md 61-64), Linux's names in parentheses:
 *   - the timeout estimate "ato" starts at the delayed-ACK time (TCP_ATO_MIN, 40 ms) with the
 *     first data segment and follows the gaps between arrivals: a gap of at most half of it
 *     gives ato/2 + 20 ms, a gap below ato gives ato/2 + gap (at most the RTO); a delayed ACK
 *     whose timer fires doubles it (at most the RTO); leaving quick-ACK mode resets it;
 *   - pingpong (interactive) mode: data sent within ato of the last arrival (tcp_event_data_sent)
 *     marks the connection interactive; quick-ACK mode is then suspended (the reply will carry
 *     the ACK), a read no longer sends the ACK after one small segment, and the timer is bounded
 *     by 200 ms and the RTT instead of 500 ms; the timer firing ends the mode (the application
 *     did not answer), so does an out-of-window or duplicate segment; a FIN enters it;
 *   - the timer (tcp_send_delayed_ack) keeps an earlier expiry, and sends at once when the
 *     one armed would expire within a quarter of the new timeout;
 *   - each ACK sent while one was owed uses up one quick ACK (tcp_dec_quickack_mode);
 *   - the segment size estimate also shrinks: two equal segments that are not pushed (no PSH)
 *     or at least 536 bytes long become the estimate (tcp_measure_rcv_mss).
 * RFC 1122 §4.2.3.2 and RFC 5681 §4.2 only bound the delay (500 ms, every second full-sized
 * segment), which all of this respects. */
#include "tcp_internal.h"

#define LX_PUSHED 1u  /* ICSK_ACK_PUSHED: a small segment came since the last ACK */
#define LX_PUSHED2 2u /* ICSK_ACK_PUSHED2: a second one */
#define LX_DELACK_MAX_US 200000u /* TCP_DELACK_MAX */
#define LX_ATO_SLOW_MAX_US 500000u /* HZ / 2: the bound outside pingpong mode */

static uint32_t ato_min_us(const synack_stack_t *st) { return st->cfg.tcp_delack_ms * 1000u; }

static void note_segment_size(synack_tcb_t *tcb, uint32_t n) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  if (tcb->rcv_seg_max == 0) tcb->rcv_seg_max = (uint16_t)(mss < 536u ? mss : 536u);
  if (n > tcb->rcv_seg_max) tcb->rcv_seg_max = (uint16_t)(n < mss ? n : mss);
}

/* Linux's tcp_incr_quickack: min(16, the window last offered / (2 x the segment size
 * estimate)) quick ACKs, 2 when that is 0; never fewer than are left. */
static void incr_quickack(synack_tcb_t *tcb, uint32_t n) {
  /* tp->rcv_wnd: the window last offered, from RCV.NXT before this segment. */
  int32_t adv = seq_diff(tcb->rcv_adv, tcb->rcv_nxt) + (int32_t)n;
  uint32_t wnd = adv > 0 ? (uint32_t)adv : 0;
  uint32_t q = wnd / (2u * tcb->rcv_seg_max);
  if (q == 0) q = 2;
  if (q > 16) q = 16; /* TCP_MAX_QUICKACKS */
  if (q > tcb->quickack_left) tcb->quickack_left = (uint8_t)q;
}

/* cfg.tcp_quickack_linux (Linux's tcp_event_data_recv / tcp_incr_quickack): the first data
 * segment, and the first after more than an RTO of silence, (re)enter quick-ACK mode.
 * With cfg.tcp_delack_linux the arrival gap also adapts ato. */
static void linux_quickack(synack_stack_t *st, synack_tcb_t *tcb, uint32_t n, synack_time_t now) {
  bool first = tcb->lx_lrcv == 0;
  uint64_t gap = first ? 0 : now + 1 - tcb->lx_lrcv;
  uint32_t rto = synack_tcp_rto_current(st, tcb);
  tcb->lx_lrcv = now + 1;
  if (st->cfg.tcp_delack_linux && tcb->lx_ato == 0) {
    /* the first data segment starts the delayed-ACK engine (a FIN before data found ato 0) */
    incr_quickack(tcb, n);
    tcb->lx_ato = ato_min_us(st);
    return;
  }
  if (st->cfg.tcp_delack_linux && gap <= ato_min_us(st) / 2) {
    tcb->lx_ato = tcb->lx_ato / 2 + ato_min_us(st) / 2;
    return;
  }
  if (st->cfg.tcp_delack_linux && gap < tcb->lx_ato) {
    tcb->lx_ato = tcb->lx_ato / 2 + (uint32_t)gap;
    if (tcb->lx_ato > rto) tcb->lx_ato = rto;
    return;
  }
  if (first || gap > rto) incr_quickack(tcb, n);
}

/* Linux's tcp_measure_rcv_mss for a segment below the estimate: one at least 536 bytes long
 * (with its header), or not pushed and at least 88, is a candidate; the second candidate of
 * the same size becomes the estimate. Any other marks the ACK "pushed". */
static void lx_measure_small(const synack_stack_t *st, synack_tcb_t *tcb, uint32_t n, uint8_t flags) {
  uint16_t last = tcb->lx_last_seg;
  tcb->lx_last_seg = 0;
  if (!st->cfg.tcp_delack_linux) {
    tcb->lx_pushed |= LX_PUSHED;
    return;
  }
  uint32_t hdr = SYNACK_TCP_HDR_LEN + ((tcb->flags & TF_TS_OK) ? 12u : 0u);
  bool remnant = (flags & (SYNACK_TCP_FIN | SYNACK_TCP_URG | SYNACK_TCP_SYN | SYNACK_TCP_PSH)) != 0;
  if (n + hdr >= 536u + SYNACK_TCP_HDR_LEN || (n + hdr >= 88u + SYNACK_TCP_HDR_LEN && !remnant)) {
    tcb->lx_last_seg = (uint16_t)n;
    if (n == last) {
      tcb->rcv_seg_max = (uint16_t)n;
      return;
    }
  }
  if (tcb->lx_pushed & LX_PUSHED) tcb->lx_pushed |= LX_PUSHED2;
  tcb->lx_pushed |= LX_PUSHED;
}

bool synack_tcp_ack_on_read(const synack_stack_t *st, const synack_tcb_t *tcb) {
  /* Linux's tcp_cleanup_rbuf: a read that empties the receive queue sends the delayed ACK at
   * once when a small segment came since the last ACK (the peer pushed a message and waits for
   * its answer; the connection is not interactive). */
  if (!(st->cfg.tcp_quickack_linux || st->cfg.tcp_delack_linux) || !(tcb->flags & TF_ACK_DELAYED)) return false;
  if (!st->cfg.tcp_delack_linux) return (tcb->lx_pushed & LX_PUSHED) && tcb->rb.len == 0;
  /* more than one full segment unacknowledged (the ACK held back by the window rule), or the
   * queue emptied after two small segments, or after one outside pingpong mode */
  if (tcb->rcv_unacked_bytes > tcb->rcv_seg_max) return true;
  return tcb->rb.len == 0 &&
         ((tcb->lx_pushed & LX_PUSHED2) || ((tcb->lx_pushed & LX_PUSHED) && !tcb->lx_pingpong));
}

void synack_tcp_ack_policy(synack_stack_t *st, synack_tcb_t *tcb, uint32_t n, uint8_t flags, synack_time_t now) {
  bool fin = (flags & SYNACK_TCP_FIN) != 0;
  /* the engine needs Linux's quick-ACK counting too (it keeps ato and the arrival time) */
  bool lx = st->cfg.tcp_quickack_linux || st->cfg.tcp_delack_linux;
  if (lx) {
    if (st->cfg.tcp_delack_linux && tcb->rcv_seg_max == 0) note_segment_size(tcb, 0);
    if (tcb->rcv_seg_max && n < tcb->rcv_seg_max) lx_measure_small(st, tcb, n, flags);
  }
  note_segment_size(tcb, n);
  if (lx) linux_quickack(st, tcb, n, now);
  tcb->rcv_unacked_segs++;
  tcb->rcv_unacked_bytes += n;
  if (st->cfg.tcp_delack_linux) {
    /* Linux's tcp_fin() puts the connection in pingpong mode before the ACK is decided;
     * __tcp_ack_snd_check: more than one full segment, or quick-ACK mode outside pingpong
     * mode, ACK now (the quick ACK is used up when the ACK goes: synack_tcp_lx_ack_sent). */
    if (fin) tcb->lx_pingpong = 1;
    if (tcb->rcv_unacked_bytes > tcb->rcv_seg_max || (tcb->quickack_left > 0 && !tcb->lx_pingpong))
      tcb->flags |= TF_ACK_NOW;
    else if (!(tcb->flags & TF_ACK_NOW)) synack_tcp_delack_arm(st, tcb, now);
    return;
  }
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

void synack_tcp_lx_delack_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  /* In-order data that filled a hole was queued without passing the ACK policy (its ACK went
   * at once), yet it is Linux's tcp_event_data_recv all the same: ato starts then. Without this
   * a FIN after such data found ato 0 and was ACKed at once (ioctl/inq-ooo-and-fin.pkt). */
  if (tcb->lx_ato == 0 && tcb->bytes_received) tcb->lx_ato = ato_min_us(st);
  uint32_t ato = tcb->lx_ato;
  if (ato > ato_min_us(st)) {
    /* "Slow path, intersegment interval is high": bounded by 500 ms, or 200 ms in pingpong
     * mode or after a small segment, and by the smoothed RTT (at least the minimum). */
    uint32_t max_ato = tcb->lx_pingpong || (tcb->lx_pushed & LX_PUSHED) ? LX_DELACK_MAX_US : LX_ATO_SLOW_MAX_US;
    if (tcb->srtt_us) {
      uint32_t rtt = tcb->srtt_us > ato_min_us(st) ? tcb->srtt_us : ato_min_us(st);
      if (rtt < max_ato) max_ato = rtt;
    }
    if (ato > max_ato) ato = max_ato;
  }
  if (ato > LX_DELACK_MAX_US) ato = LX_DELACK_MAX_US;
  synack_time_t at = now + ato;
  if (synack_timer_armed(&tcb->t_delack)) {
    /* the timer armed earlier stays, unless it is about to fire: then the ACK goes now */
    if (tcb->t_delack.expiry <= now + ato / 4) {
      tcb->flags |= TF_ACK_NOW;
      return;
    }
    if (at >= tcb->t_delack.expiry) return;
  }
  synack_timer_set(&st->wheel, &tcb->t_delack, at);
}

void synack_tcp_lx_delack_fired(synack_stack_t *st, synack_tcb_t *tcb) {
  uint32_t rto = synack_tcp_rto_current(st, tcb);
  if (!tcb->lx_pingpong) {
    /* the ACK had to wait for the timer: the arrivals are slower than ato said */
    tcb->lx_ato = tcb->lx_ato * 2 < rto ? tcb->lx_ato * 2 : rto;
  } else {
    /* the application did not answer in time: not interactive after all */
    tcb->lx_pingpong = 0;
    tcb->lx_ato = ato_min_us(st);
  }
}

void synack_tcp_lx_ack_sent(synack_stack_t *st, synack_tcb_t *tcb, bool owed) {
  if (!owed || tcb->quickack_left == 0) return;
  if (--tcb->quickack_left == 0) tcb->lx_ato = ato_min_us(st); /* leaving quick-ACK mode deflates ato */
}

void synack_tcp_lx_data_sent(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  (void)st;
  if (tcb->lx_lrcv && now + 1 - tcb->lx_lrcv < tcb->lx_ato) tcb->lx_pingpong = 1;
}

void synack_tcp_lx_enter_quickack(synack_stack_t *st, synack_tcb_t *tcb) {
  if (tcb->rcv_seg_max == 0) note_segment_size(tcb, 0);
  incr_quickack(tcb, 0);
  tcb->lx_pingpong = 0;
  tcb->lx_ato = ato_min_us(st);
}

void synack_tcp_lx_set_quickack(synack_stack_t *st, synack_tcb_t *tcb, int v, synack_time_t now) {
  /* Linux's __tcp_sock_set_quickack: 0 enters pingpong mode; otherwise it is left and an ACK
   * owed goes now if a read would send it (as after a small segment); an even value other than
   * 0 enters pingpong mode again afterwards. */
  if (v == 0) {
    tcb->lx_pingpong = 1;
    return;
  }
  tcb->lx_pingpong = 0;
  bool open = tcb->state == SYNACK_TCP_ESTABLISHED || tcb->state == SYNACK_TCP_CLOSE_WAIT;
  if (open && (tcb->flags & TF_ACK_DELAYED)) {
    tcb->lx_pushed |= LX_PUSHED;
    synack_tcp_rcv_window_update(st, tcb, now); /* tcp_cleanup_rbuf: the ACK, or a window update */
    if (!(v & 1)) tcb->lx_pingpong = 1;
  }
}
