/* The receive window we advertise: from the free space of the receive ring, scaled (RFC 7323
 * §2), with receiver-side silly-window avoidance (RFC 9293 §3.8.6.2.2), and a right edge
 * (RCV.NXT + RCV.WND, kept in rcv_adv) that never moves left. Also the window update sent when
 * the application's reads open the window far enough.
 *
 * Invariant: rcv_adv never passes RCV.NXT + the ring's free room. In-order data moves RCV.NXT
 * and fills the ring by the same amount, reads only add room, so what we offered always fits
 * the ring and out-of-order data inside the offered window always has its place.
 *
 * Scaling: a scaled field can only say multiples of 2^shift from RCV.NXT. While the edge is
 * held, RCV.NXT moves by arbitrary amounts and the field must be rounded up to keep the edge:
 * it creeps right by less than one unit per ACK (half a unit on average). A new edge is placed
 * from SO_RCVBUF (rb.cap); the ring of a scaled connection has 1/8 more bytes (rb.slack) that
 * the creeping edge may use: hundreds of ACKs while the application does not read (Linux
 * likewise keeps more memory than it offers, tcp_adv_win_scale). Only when a hold has used the
 * whole slack does the edge retract, by less than one unit, which RFC 7323 §2.4 allows.
 * Without scaling the edge is exact and no slack is needed. */
#include "tcp_internal.h"

/* RFC 9293 §3.8.6.2.2: the right edge moves only by at least min(Fr * RCV.BUFF, Eff.snd.MSS)
 * with Fr = 1/2 (our MSS stands for the peer's effective send MSS). */
static uint32_t sws_step(const synack_tcb_t *tcb) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  uint32_t half = tcb->rb.cap / 2;
  uint32_t s = half < mss ? half : mss;
  return s ? s : 1;
}

static uint32_t field_max(const synack_tcb_t *tcb, uint32_t bytes) {
  uint64_t max = (uint64_t)65535 << tcb->rcv_wscale;
  return bytes > max ? (uint32_t)max : bytes;
}

/* The free space the window may offer. Under memory pressure (tcp_mem.c) at most 4 segments,
 * as Linux clamps rcv_ssthresh to 4 * advmss: the right edge already offered stays (it is never
 * moved left), but the window shrinks as data arrives and the edge moves on slowly. */
static uint32_t offer_space(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint32_t space = synack_rcvbuf_space(&tcb->rb);
  if (synack_tcp_mem_under_pressure(st)) {
    uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
    if (space > 4u * mss) space = 4u * mss;
  }
  return space;
}

/* The window a moving edge may offer: the free space, in whole scale units. */
static uint32_t adv_avail(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint32_t a = field_max(tcb, offer_space(st, tcb));
  return a & ~((1u << tcb->rcv_wscale) - 1);
}

static uint32_t offered(const synack_tcb_t *tcb) {
  int32_t o = seq_diff(tcb->rcv_adv, tcb->rcv_nxt);
  return o > 0 ? (uint32_t)o : 0;
}

uint32_t synack_tcp_rcv_slack(const synack_tcb_t *tcb) { return tcb->rcv_wscale ? tcb->rb.cap / 8 : 0; }

/* Rounds a window in bytes up to the scaled field (never past the ring: RFC 7323 §2.4 then
 * accepts a retraction of less than one unit), moves the right edge and returns the field. */
static uint16_t place_edge(synack_tcb_t *tcb, uint32_t wnd) {
  uint8_t ws = tcb->rcv_wscale;
  uint32_t cur = offered(tcb);
  uint32_t field = wnd >> ws;
  if ((field << ws) < wnd || (field << ws) < cur) {
    uint32_t room = synack_rcvbuf_holds(&tcb->rb) ? synack_rcvbuf_room(&tcb->rb) : tcb->rb.cap + synack_tcp_rcv_slack(tcb);
    if ((((uint64_t)field + 1) << ws) <= field_max(tcb, room)) field++;
  }
  if (field > 65535) field = 65535;
  synack_seq_t edge = seq_add(tcb->rcv_nxt, field << ws);
  if (seq_gt(edge, tcb->rcv_adv)) tcb->rcv_adv = edge;
  return (uint16_t)field;
}

/* cfg.tcp_rcvwnd FREEBSD, as FreeBSD's tcp_output() chooses it: all the free space of the
 * buffer (at most 65535 << scale); nothing while the free space is below both a quarter of the
 * buffer and one segment (receiver SWS avoidance, RFC 1122 §4.2.3.3); never less than the
 * window already offered (the right edge does not move left); the scaled field rounded up. */
static uint16_t bsd_window(const synack_stack_t *st, synack_tcb_t *tcb) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  uint32_t wnd = field_max(tcb, offer_space(st, tcb));
  if (wnd < tcb->rb.cap / 4 && wnd < mss) wnd = 0;
  uint32_t cur = offered(tcb);
  if (wnd < cur) wnd = cur;
  return place_edge(tcb, wnd);
}

uint32_t synack_tcp_rcv_wnd(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint32_t wnd = offered(tcb);
  switch (st->cfg.tcp_rcvwnd) {
  case SYNACK_RCVWND_FREEBSD: {
    /* FreeBSD tcp_input(): RCV.WND is the free space of the buffer, but not less than the
     * window offered; a segment beyond the offered edge that fits the buffer is accepted. */
    uint32_t space = synack_rcvbuf_space(&tcb->rb);
    return space > wnd ? space : wnd;
  }
  case SYNACK_RCVWND_RFC: break;
  }
  return wnd; /* RFC 9293 §3.3.1: RCV.WND is what we offered */
}

uint16_t synack_tcp_rcv_window(const synack_stack_t *st, synack_tcb_t *tcb, bool syn) {
  /* RFC 7323 §2.2: the window field of a SYN is never scaled. */
  if (syn) {
    uint32_t space = synack_rcvbuf_space(&tcb->rb);
    return (uint16_t)(space > 65535 ? 65535 : space);
  }
  switch (st->cfg.tcp_rcvwnd) {
  case SYNACK_RCVWND_FREEBSD: return bsd_window(st, tcb);
  case SYNACK_RCVWND_RFC: break;
  }
  uint32_t avail = adv_avail(st, tcb);
  uint32_t cur = offered(tcb);
  uint32_t wnd;
  if (avail >= cur + sws_step(tcb)) {
    wnd = avail; /* the edge may move right: by a useful amount */
  } else {
    /* Hold the right edge where it is: never shrink it (RFC 9293 §3.8.6.2.2, RFC 7323 §2.4),
     * never move it by a silly amount. */
    wnd = cur;
  }
  /* `wnd` is whole scale units unless it is the held `cur`, which place_edge rounds up. */
  return place_edge(tcb, wnd);
}

/* cfg.tcp_rcvwnd FREEBSD: FreeBSD's tcp_output() sends a window update of its own when the
 * window grows by at least two segments and by a quarter of the buffer (or the window left was
 * at most an eighth of it, or the buffer is at most eight segments, or the growth reaches the
 * largest window), or by half the buffer; never when the scaled field would not change. */
static bool bsd_update_due(const synack_tcb_t *tcb) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  uint32_t hiwat = tcb->rb.cap;
  uint32_t max = field_max(tcb, UINT32_MAX);
  uint32_t wnd = field_max(tcb, synack_rcvbuf_space(&tcb->rb));
  uint32_t old = offered(tcb);
  uint32_t adv = wnd > old ? wnd - old : 0;
  if ((old >> tcb->rcv_wscale) >= ((adv + old) >> tcb->rcv_wscale)) return false;
  if (adv >= 2u * mss && (adv >= hiwat / 4 || wnd <= hiwat / 8 || hiwat <= 8u * mss || adv >= max)) return true;
  return 2u * adv >= hiwat;
}

void synack_tcp_rcv_window_update(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now) {
  if (!synack_tcp_state_can_recv(tcb->state) || !synack_tcp_state_synchronized(tcb->state)) return;
  /* A fast open child reading its SYN's data before the handshake completes: our SYN is not
   * acknowledged yet, so no window update (the final ACK's answer carries it; as Linux). */
  if (tcb->state == SYNACK_TCP_SYN_RECEIVED) return;
  switch (st->cfg.tcp_rcvwnd) {
  case SYNACK_RCVWND_FREEBSD:
    if (bsd_update_due(tcb)) synack_tcp_send_ack(st, tcb, now);
    return;
  case SYNACK_RCVWND_RFC: break;
  }
  uint32_t avail = adv_avail(st, tcb);
  uint32_t cur = offered(tcb);
  if (avail <= cur) return;
  uint32_t grow = avail - cur;
  if (grow < sws_step(tcb)) return; /* the next ACK could not move the edge anyway */
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  /* A window update of its own is worth sending when the window grows by two segments or by
   * half the buffer, or when the offered window was below one segment (the sender is stalled
   * or probing); smaller openings ride on the next ACK (RFC 1122 §4.2.3.3, RFC 9293 §3.8.6.2.2). */
  if (grow >= 2u * mss || grow >= tcb->rb.cap / 2 || cur < mss) synack_tcp_send_ack(st, tcb, now);
}
