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
  /* TCP_WINDOW_CLAMP: the window never offers more (the linux profile's clamp is lx_clamp) */
  if (st->cfg.tcp_rcvwnd != SYNACK_RCVWND_LINUX) space = synack_tcp_rcv_clamped(tcb, space);
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

/* ---- cfg.tcp_rcvwnd LINUX: Linux's tcp_select_window(), as the kernel showed it on the wire
 * (docs/linux-differences.md, "Window"; tests/drill-selftest/kernel/window-*.pkt). Linux
 * charges a queued segment its memory (skb truesize), not its payload; synack counts the
 * payload, so with much unread data the windows differ (a listed difference). */

/* Linux's tcp_full_space: the buffer (tcp_rmem[1], 131072, which the linux preset's
 * tcp_rcvbuf is) at the default scaling ratio of 1/2 (skb memory against payload): 64 KiB.
 * SO_RCVBUF X makes Linux's buffer 2X (sock_setsockopt), so X. */
uint32_t synack_tcp_lx_full_space(uint32_t cap, bool locked) { return locked ? cap : cap / 2; }

/* tcp_select_initial_window(): the space rounded down to a multiple of the segment size
 * expected (`mss`: our MSS, less 12 bytes when the SYN-ACK agrees to timestamps). */
uint32_t synack_tcp_lx_initial_window(uint32_t space, uint32_t mss) {
  return mss && space > mss ? space - space % mss : space;
}

/* The window scale to offer. Linux (tcp_select_initial_window) sizes it for the largest buffer
 * (tcp_rmem[2]: cfg.tcp_max_buf) unless SO_RCVBUF fixed the buffer: then for that buffer's
 * space, ilog2(space) - 15 (SO_RCVBUF 40000 offers wscale 0). Other policies: RFC 7323 §2.3,
 * the smallest shift for the largest buffer. */
uint8_t synack_tcp_rcv_pick_wscale(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint8_t s = synack_tcp_pick_wscale(st);
  if (tcb->user_clamp && s) {
    /* TCP_WINDOW_CLAMP: the window never exceeds the clamp, so the shift need only cover it
     * (Linux's tcp_select_initial_window: ilog2(min(clamp, space)) - 15; RFC 7323 §2.3: the
     * smallest shift for the largest window) */
    uint8_t log = 0;
    while (log < 31 && (tcb->user_clamp >> (log + 1)) != 0) log++;
    uint8_t c = log > 15 ? (uint8_t)(log - 15) : 0;
    if (c < s) s = c;
  }
  if (st->cfg.tcp_rcvwnd != SYNACK_RCVWND_LINUX || !(tcb->flags & TF_RCVBUF_LOCK) || s == 0) return s;
  uint32_t full = synack_tcp_lx_full_space(tcb->rb.cap, true);
  uint8_t log = 0;
  while (log < 31 && (full >> (log + 1)) != 0) log++;
  uint8_t lx = log > 15 ? (uint8_t)(log - 15) : 0;
  return lx < s ? lx : s;
}

/* The initial window of a TCB's SYN (Linux: tp->rcv_wnd of connect(), also the window of a
 * simultaneous open's SYN-ACK) or, for a child of a listener, of the SYN-ACK that was sent. */
static uint32_t lx_w0(const synack_tcb_t *tcb, uint32_t full) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  if ((tcb->flags & TF_PASSIVE) && (tcb->flags & TF_TS_OK) && mss > 12u) mss -= 12u;
  return synack_tcp_lx_initial_window(full, mss);
}

/* Linux's advmss: our MSS; an active open that agreed to timestamps takes 12 bytes off
 * (tcp_rcv_synsent_state_process), a passive one does not. */
static uint32_t lx_advmss(const synack_tcb_t *tcb) {
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  if (!(tcb->flags & TF_PASSIVE) && (tcb->flags & TF_TS_OK) && mss > 12u) mss -= 12u;
  return mss;
}

/* tcp_init_buffer_space() at the first window after the SYN: rcv_ssthresh starts at the
 * initial window. Where window_clamp was below the full space (no window scaling: 65535; or a
 * fixed SO_RCVBUF) Linux keeps one segment of it in reserve (tcp_app_win): the clamp is the
 * full space less one segment. With window scaling and a default buffer the kernel showed
 * rcv_ssthresh = the initial window (win 255 after a SYN-ACK of 65160). */
static void lx_init(synack_tcb_t *tcb) {
  if (tcb->lx_full) return;
  uint32_t full = synack_tcp_lx_full_space(tcb->rb.cap, (tcb->flags & TF_RCVBUF_LOCK) != 0);
  if (full == 0) full = 1;
  uint32_t w0 = lx_w0(tcb, synack_tcp_rcv_clamped(tcb, full));
  uint32_t adv = lx_advmss(tcb);
  uint32_t clamp = full;
  if (tcb->user_clamp) {
    /* TCP_WINDOW_CLAMP (tcp_init_buffer_space): the clamp set, at most the full space, less one
     * segment when it would leave less than that of the space (tcp_app_win) */
    clamp = synack_tcp_rcv_clamped(tcb, full);
    if (clamp > 2u * adv && clamp + adv > full) clamp = full - adv > 2u * adv ? full - adv : 2u * adv;
  } else if ((!tcb->rcv_wscale || (tcb->flags & TF_RCVBUF_LOCK)) && full > 2u * adv) {
    clamp = full - adv > 2u * adv ? full - adv : 2u * adv;
  } else if (w0 < clamp) {
    clamp = w0;
  }
  tcb->lx_full = full;
  tcb->lx_clamp = clamp;
  tcb->lx_ssthresh = w0 < clamp ? w0 : clamp;
  tcb->lx_wnd = w0;
  /* Linux's rcv_wnd after the SYN is the initial window in bytes, even where the SYN's field
   * could say only 65535 of it (SO_RCVBUF above 64 KiB): its right edge is IRS + 1 + w0. */
  synack_seq_t edge = seq_add(tcb->irs, 1u + w0);
  if (seq_gt(edge, tcb->rcv_adv)) tcb->rcv_adv = edge;
}

/* Linux's receive MSS estimate (icsk_ack.rcv_mss): 536 until a larger segment came, then the
 * largest seen, at most our MSS (tcp_measure_rcv_mss; tcp_ackpolicy.c keeps it). */
static uint32_t lx_rcv_mss(const synack_tcb_t *tcb) {
  if (tcb->rcv_seg_max) return tcb->rcv_seg_max;
  uint32_t mss = tcb->rcv_mss ? tcb->rcv_mss : 536u;
  return mss < 536u ? mss : 536u;
}

static uint32_t lx_free(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint32_t space = offer_space(st, tcb); /* memory pressure: as rcv_ssthresh clamped (tcp_mem.c) */
  uint32_t used = tcb->rb.len;
  uint32_t f = tcb->lx_full > used ? tcb->lx_full - used : 0;
  return f < space ? f : space;
}

/* __tcp_select_window(): the window Linux would offer now, before the never-shrink rule. */
static uint32_t lx_select(const synack_stack_t *st, const synack_tcb_t *tcb) {
  uint32_t unit = 1u << tcb->rcv_wscale;
  uint32_t full = tcb->lx_clamp < tcb->lx_full ? tcb->lx_clamp : tcb->lx_full;
  uint32_t mss = lx_rcv_mss(tcb);
  if (mss > full) mss = full;
  uint32_t free = lx_free(st, tcb);
  if (free < full / 2) {
    /* Receiver silly-window avoidance (RFC 1122 §4.2.3.3), Linux's form: below half the
     * space, offer nothing new unless at least one segment and 1/16 of the space is free. */
    free &= ~(unit - 1);
    if (free < tcb->lx_full / 16 || free < mss) return 0;
  }
  if (free > tcb->lx_ssthresh) free = tcb->lx_ssthresh;
  if (tcb->rcv_wscale) return (free + unit - 1) & ~(unit - 1); /* never scaled away to 0 */
  /* Unscaled: keep the window last chosen while it is within one segment below the free
   * space, else the largest multiple of the segment size that fits. */
  uint32_t wnd = tcb->lx_wnd;
  if ((uint64_t)wnd + mss <= free || wnd > free) wnd = free - free % mss;
  else if (mss == full && free > wnd + full / 2) wnd = free;
  return wnd;
}

/* tcp_select_window(): never shrink the window offered (RFC 9293 §3.8.6.2.2, RFC 7323 §2.4):
 * when the choice is smaller, the current offer rounded up to the scale stays. */
static uint16_t lx_window(const synack_stack_t *st, synack_tcb_t *tcb) {
  lx_init(tcb);
  uint32_t wnd = lx_select(st, tcb);
  uint32_t cur = offered(tcb);
  if (wnd < cur) {
    uint32_t unit = 1u << tcb->rcv_wscale;
    wnd = (uint32_t)(((uint64_t)cur + unit - 1) & ~(uint64_t)(unit - 1));
  }
  tcb->lx_wnd = wnd;
  return place_edge(tcb, field_max(tcb, wnd));
}

/* tcp_grow_window(): in-order data of `len` bytes arrived: rcv_ssthresh grows toward the
 * clamp by two segments (or twice the data) when there is room. Segments under 128 bytes do
 * not grow it (tcp_event_data_recv). */
void synack_tcp_rcv_grow(const synack_stack_t *st, synack_tcb_t *tcb, uint32_t len) {
  if (st->cfg.tcp_rcvwnd != SYNACK_RCVWND_LINUX || !tcb->lx_full || len < 128u) return;
  if (synack_tcp_mem_under_pressure(st)) return;
  uint32_t free = lx_free(st, tcb);
  uint32_t lim = tcb->lx_clamp < free ? tcb->lx_clamp : free;
  if (lim <= tcb->lx_ssthresh) return;
  uint32_t room = lim - tcb->lx_ssthresh;
  uint32_t incr = 2u * lx_advmss(tcb);
  if (incr < 2u * len) incr = 2u * len;
  tcb->lx_ssthresh += incr < room ? incr : room;
}

/* tcp_rcv_space_adjust(): autotuning raised the window it wants to `win` bytes: the full space
 * and the clamp follow (tcp_rcvtune.c), never beyond the buffer. */
void synack_tcp_rcv_lx_autotuned(const synack_stack_t *st, synack_tcb_t *tcb, uint32_t win) {
  if (st->cfg.tcp_rcvwnd != SYNACK_RCVWND_LINUX || !tcb->lx_full) return;
  if (win > tcb->rb.cap) win = tcb->rb.cap;
  if (win > tcb->lx_full) tcb->lx_full = win;
  if (win > tcb->lx_clamp) tcb->lx_clamp = win;
}

/* TCP_WINDOW_CLAMP, as Linux's tcp_set_window_clamp(): at least half the smallest buffer
 * (SOCK_MIN_RCVBUF / 2 = 1152); 0 (none) only on a socket not connected. On a connection of
 * the linux profile the clamp and rcv_ssthresh follow: lowered, rcv_ssthresh drops to it;
 * raised, rcv_ssthresh may grow to the window offered. */
int synack_tcp_rcv_clamp_set(const synack_stack_t *st, synack_tcb_t *tcb, int v) {
  if (v < 0) return -SYNACK_EINVAL;
  if (v == 0) {
    if (tcb->state != SYNACK_TCP_CLOSED) return -SYNACK_EINVAL;
    tcb->user_clamp = 0;
    return 0;
  }
  uint32_t c = (uint32_t)v < 1152u ? 1152u : (uint32_t)v;
  tcb->user_clamp = c;
  if (st->cfg.tcp_rcvwnd == SYNACK_RCVWND_LINUX && tcb->lx_full) {
    if (c < tcb->lx_clamp) {
      if (tcb->lx_ssthresh > c) tcb->lx_ssthresh = c;
    } else {
      uint32_t w = offered(tcb) < c ? offered(tcb) : c;
      if (w > tcb->lx_ssthresh) tcb->lx_ssthresh = w;
    }
    tcb->lx_clamp = c;
  }
  return 0;
}

/* Linux reads back the clamp its window follows once connected (tcp_init_buffer_space), the
 * value set before. */
int synack_tcp_rcv_clamp_get(const synack_stack_t *st, synack_tcb_t *tcb) {
  if (st->cfg.tcp_rcvwnd == SYNACK_RCVWND_LINUX && tcb->user_clamp && synack_tcp_state_synchronized(tcb->state) &&
      tcb->state != SYNACK_TCP_TIME_WAIT) {
    lx_init(tcb);
    return (int)tcb->lx_clamp;
  }
  return (int)tcb->user_clamp;
}

/* The window an ACK from TIME-WAIT carries: Linux's tcp_time_wait() keeps the window offered
 * (tw_rcv_wnd = tcp_receive_window) and sends it shifted, unrounded; the other policies choose
 * it as for any ACK. */
uint16_t synack_tcp_rcv_window_tw(const synack_stack_t *st, synack_tcb_t *tcb) {
  switch (st->cfg.tcp_rcvwnd) {
  case SYNACK_RCVWND_LINUX: {
    uint32_t w = field_max(tcb, offered(tcb)) >> tcb->rcv_wscale;
    return (uint16_t)(w > 65535 ? 65535 : w);
  }
  case SYNACK_RCVWND_RFC:
  case SYNACK_RCVWND_FREEBSD: break;
  }
  return synack_tcp_rcv_window(st, tcb, false);
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
  case SYNACK_RCVWND_RFC:
  case SYNACK_RCVWND_LINUX: break; /* tcp_sequence(): the window offered (rcv_wup + rcv_wnd) */
  }
  return wnd; /* RFC 9293 §3.3.1: RCV.WND is what we offered */
}

uint16_t synack_tcp_rcv_window(const synack_stack_t *st, synack_tcb_t *tcb, bool syn) {
  /* RFC 7323 §2.2: the window field of a SYN is never scaled. */
  if (syn) {
    uint32_t space = synack_rcvbuf_space(&tcb->rb);
    if (st->cfg.tcp_rcvwnd == SYNACK_RCVWND_LINUX)
      space = lx_w0(tcb, synack_tcp_rcv_clamped(tcb, synack_tcp_lx_full_space(tcb->rb.cap, (tcb->flags & TF_RCVBUF_LOCK) != 0)));
    else
      space = synack_tcp_rcv_clamped(tcb, space);
    return (uint16_t)(space > 65535 ? 65535 : space);
  }
  switch (st->cfg.tcp_rcvwnd) {
  case SYNACK_RCVWND_FREEBSD: return bsd_window(st, tcb);
  case SYNACK_RCVWND_LINUX: return lx_window(st, tcb);
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

/* cfg.tcp_rcvwnd LINUX: tcp_cleanup_rbuf() after a read: when the window offered is at most
 * half the clamp and the window Linux would choose now is at least twice it, a window update
 * goes at once. */
static bool lx_update_due(const synack_stack_t *st, synack_tcb_t *tcb) {
  lx_init(tcb);
  uint32_t now_wnd = offered(tcb);
  if ((uint64_t)2 * now_wnd > tcb->lx_clamp) return false;
  uint32_t w = lx_select(st, tcb);
  return w && w >= 2u * now_wnd;
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
  case SYNACK_RCVWND_LINUX:
    if (lx_update_due(st, tcb) || synack_tcp_ack_on_read(st, tcb)) synack_tcp_send_ack(st, tcb, now);
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
