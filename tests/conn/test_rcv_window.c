/* The receive window (tcp_rcvwnd.c) and the receiver's timestamp checks (tcp_rcv.c):
 * window-scale negotiation in every combination and the shift chosen from tcp_max_buf
 * (RFC 7323 §2), a right edge that never moves left, receiver SWS avoidance and window
 * updates (RFC 9293 §3.8.6.2.2), PAWS and the TS.Recent rules (RFC 7323 §4.3, §5). */
#include "harness.h"
#include "tcpfix.h"

#define MS SYNACK_MS
#define KB256 262144u

/* ---------------------------------------------------------------- window scale */

/* Passive open: the peer offers (ws >= 0) or not (ws < 0); we offer when `ours`. Checks the
 * SYN-ACK's options, both shifts, how the peer's window is read and how ours is written. */
static void passive_ws(bool ours, int ws, uint8_t want_snd, uint8_t want_rcv, const char *synack_layout) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_window_scaling = ours;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | (ws >= 0 ? SYNACK_TCPOPT_HAS_WSCALE : 0);
  fx->peer_syn.ws = ws >= 0 ? (uint8_t)ws : 0;
  int l = fx_listen(fx, 8);
  FX_REQUIRE_(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  /* RFC 7323 §2.2: the SYN-ACK's own window is never scaled; the option only when offered. */
  fx_expect(fx, FX_SA, 0, 1, .win = 65535, .layout = synack_layout);
  fx_inject(fx, MS(1), FX_A, 1, 1, .win = 1000);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  FX_REQUIRE_(s >= 0);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.snd_wscale, want_snd);
  CHECK_EQ_U(i.rcv_wscale, want_rcv);
  CHECK_EQ_U((i.options & SYNACK_TCPI_OPT_WSCALE) != 0, ours && ws >= 0);
  CHECK_EQ_U(i.snd_wnd, 1000u << want_snd); /* the peer's field, scaled by its shift */
  /* Our field after 100 bytes: scaled by our shift. */
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 100, .win = 1000);
  uint32_t field;
  if (want_rcv == 7) /* (256 KiB - 100) rounded down to 128: 2047 units */
    field = (KB256 - 100) >> 7;
  else /* unscaled: the 65535 offered on the SYN-ACK is held (moving it by 100 bytes is silly) */
    field = 65535 - 100;
  fx_expect(fx, FX_A, 1, 101, .t = MS(140), .win = field);
  i = fx_info(fx, s);
  CHECK_EQ_U(i.rcv_wnd, want_rcv == 7 ? field << 7 : 65435);
  fx_free(fx);
}

static void ws_both_offer(void) { passive_ws(true, 3, 3, 7, "mss,nop,wscale"); }
static void ws_peer_offers_zero(void) { passive_ws(true, 0, 0, 7, "mss,nop,wscale"); }
static void ws_peer_offers_too_much(void) { passive_ws(true, 15, 14, 7, "mss,nop,wscale"); } /* RFC 7323 §2.3 */
static void ws_peer_does_not_offer(void) { passive_ws(true, -1, 0, 0, "mss"); }
static void ws_we_do_not_offer(void) { passive_ws(false, 5, 0, 0, "mss"); }
static void ws_neither(void) { passive_ws(false, -1, 0, 0, "mss"); }

/* Active open: our SYN offers our shift; the SYN-ACK decides. */
static void active_ws(int peer_ws, uint8_t want_snd, uint8_t want_rcv) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | (peer_ws >= 0 ? SYNACK_TCPOPT_HAS_WSCALE : 0);
  fx->peer_syn.ws = peer_ws >= 0 ? (uint8_t)peer_ws : 0;
  int s = fx_syn_sent(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(10), FX_SA, 0, 1, .win = 500);
  fx_expect(fx, FX_A, 1, 1, .t = MS(10), .win = want_rcv ? KB256 >> want_rcv : 65535);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.snd_wscale, want_snd);
  CHECK_EQ_U(i.rcv_wscale, want_rcv);
  CHECK_EQ_U(i.snd_wnd, 500); /* RFC 7323 §2.2: a SYN's window is not scaled */
  fx_inject(fx, MS(20), FX_A, 1, 1, .win = 500);
  CHECK_EQ_U(fx_info(fx, s).snd_wnd, 500u << want_snd);
  fx_free(fx);
}

static void ws_active_peer_offers(void) { active_ws(2, 2, 7); }
static void ws_active_peer_does_not(void) { active_ws(-1, 0, 0); }

/* RFC 7323 §2.3: the smallest shift that lets tcp_max_buf be offered, at most 14. */
/* connect() at time 0, the SYN left unread (fx_syn_sent reads and checks it). */
static void connect_at_0(fx_t *fx) {
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx->lport = 0;
  fx_check_rc(synack_connect(fx->st, 0, s, &rem), -SYNACK_EINPROGRESS);
}

static void ws_shift_from_max_buf(void) {
  struct { uint32_t max; uint8_t shift; } t[] = {
    { 65535, 0 }, { 65536, 1 }, { 131070, 1 }, { 131071, 2 }, { 1u << 20, 5 }, { 4u << 20, 7 },
    { 16u << 20, 9 }, { 1u << 30, 14 }, { 0xffffffffu, 14 },
  };
  for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
    synack_config_t c;
    fx_config(&c, SYNACK_AF_INET);
    c.tcp_max_buf = t[k].max;
    fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
    REQUIRE(fx);
    int s = fx_syn_sent(fx);
    FX_REQUIRE_(s >= 0);
    CHECK_EQ_U(fx_info(fx, s).rcv_wscale, t[k].shift);
    fx_free(fx);
  }
  /* The option on the SYN carries it. */
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_max_buf = 16u << 20;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  connect_at_0(fx);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_WSCALE);
  CHECK_EQ_U(d.tcp.opts.wscale, 9);
  free(f.buf);
  fx_free(fx);
}

/* ---------------------------------------------------------------- right edge, SWS */

/* Segments of odd sizes arrive, always inside the offered window, and nobody reads: every
 * ACK's right edge (ACK + window << shift) is at least the previous one and never beyond the
 * buffer, until the window closes. */
static void right_edge_never_moves_left(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 0;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  uint64_t edge = 1 + 65535; /* the SYN-ACK's window */
  uint32_t seq = 1;
  static const uint32_t sizes[] = { 1000, 333, 1447, 1, 1460, 977, 1201, 59 };
  synack_time_t t = MS(100);
  int acks = 0;
  for (int k = 0; k < 2000 && seq < edge; k++) {
    uint32_t n = sizes[k % 8];
    if (seq + n > edge) n = (uint32_t)(edge - seq);
    fx_inject(fx, t, FX_A, seq, 1, .len = n);
    seq += n;
    fx_advance(fx, t + MS(40)); /* every segment is acknowledged, at once or by the timer */
    fx_frame_t f;
    synack_dissect_t d;
    while (fx_pop_tcp(fx, &f, &d)) {
      uint64_t e = (uint64_t)(d.tcp.ack - fx->peer_isn) + ((uint64_t)d.tcp.window << 7);
      if (e < edge || e > 1 + KB256 + KB256 / 8) { /* the ring has 1/8 slack for rounding */
        fprintf(stderr, "right edge %" PRIu64 " after %" PRIu64 " (ack %u win %u)\n", e, edge, d.tcp.ack - fx->peer_isn,
                d.tcp.window);
        th_case_failed = 1;
      }
      edge = e;
      acks++;
      free(f.buf);
    }
    t += MS(50);
  }
  th_total_checks++;
  CHECK(acks > 200);
  CHECK_EQ_U(seq, edge); /* the window closed at the edge it had reached */
  CHECK(edge >= 1 + KB256); /* at least the whole SO_RCVBUF was offered */
  CHECK_EQ_U(fx_info(fx, s).rcv_wnd, 0);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, seq - 1);
  fx_free(fx);
}

/* An 8000-byte buffer, no scaling: SWS steps are min(8000 / 2, MSS 1460) = 1460. */
static void buf8000(synack_config_t *c) { c->tcp_rcvbuf = 8000; }

static void sws_and_window_updates(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, buf8000);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  uint8_t buf[8000];
  fx_inject(fx, MS(100), FX_A, 1, 1, .len = 1460);
  fx_inject(fx, MS(101), FX_A, 1461, 1, .len = 1460);
  fx_expect(fx, FX_A, 1, 2921, .t = MS(101), .win = 8000 - 2920); /* right edge 8001 */
  /* Reading 1000 bytes could move the edge by 1000 only: too little, no update. */
  fx_check_rc(fx_recv(fx, s, buf, 1000), 1000);
  fx_expect_none(fx);
  /* The next ACK keeps the edge at 8001 rather than moving it by 1000. */
  fx_inject(fx, MS(200), FX_A, 2921, 1, .len = 1000);
  fx_expect(fx, FX_A, 1, 3921, .t = MS(240), .win = 8001 - 3921);
  /* Reading 2000 more: the edge may move by 3000 >= 2 MSS: a window update at once. */
  fx_check_rc(fx_recv(fx, s, buf, 2000), 2000);
  fx_expect(fx, FX_A, 1, 3921, .t = MS(240), .win = 8000 - 920);
  /* Fill the window completely: zero window. */
  synack_time_t t = MS(300);
  uint32_t seq = 3921;
  while (seq < 3921 + 7080) {
    uint32_t n = 3921 + 7080 - seq < 1460 ? 3921 + 7080 - seq : 1460;
    fx_inject(fx, t, FX_A, seq, 1, .len = n);
    seq += n;
    t += MS(1);
  }
  fx_advance(fx, t + MS(40));
  fx_frame_t f;
  synack_dissect_t d;
  uint16_t last_win = 1;
  uint32_t last_ack = 0;
  while (fx_pop_tcp(fx, &f, &d)) {
    last_win = d.tcp.window;
    last_ack = d.tcp.ack - fx->peer_isn;
    free(f.buf);
  }
  CHECK_EQ_U(last_ack, 11001);
  CHECK_EQ_U(last_win, 0);
  /* Zero window: reading 1000 bytes is not enough (< 1460), 500 more is (1500). */
  fx_check_rc(fx_recv(fx, s, buf, 1000), 1000);
  fx_expect_none(fx);
  fx_check_rc(fx_recv(fx, s, buf, 500), 500);
  fx_expect(fx, FX_A, 1, 11001, .win = 1500);
  /* A zero-window probe beyond the window is answered with the current window. */
  fx_inject(fx, MS(500), FX_A, 11001 + 1500, 1, .len = 1);
  fx_expect(fx, FX_A, 1, 11001, .t = MS(500), .win = 1500);
  fx_free(fx);
}

/* ---------------------------------------------------------------- Linux's window */

/* cfg.tcp_rcvwnd LINUX (the linux preset): the windows Linux offers, as the kernel showed them
 * (tests/drill-selftest/kernel/window-*.pkt pass on the kernel and on synack with the same
 * numbers; docs/linux-differences.md "Window"). */
static void linux_(synack_config_t *c) { REQUIRE(synack_config_preset(c, "linux") == 0); }

/* The SYN-ACK's window: 64 KiB of space rounded down to whole segments of our MSS, less the
 * 12 bytes of timestamps when the SYN-ACK agrees to them. */
static void lx_synack_window(int family, uint32_t has, uint32_t win) {
  fx_t *fx = fx_new(family, linux_);
  REQUIRE(fx);
  fx->peer_syn.has = has;
  fx->peer_syn.ws = 7;
  FX_REQUIRE_(fx_listen(fx, 8) >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .win = win);
  fx_free(fx);
}

static void lx_synack_windows(void) {
  lx_synack_window(SYNACK_AF_INET, SYNACK_TCPOPT_HAS_MSS, 64240);                             /* 44 x 1460 */
  lx_synack_window(SYNACK_AF_INET, SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS, 65160);      /* 45 x 1448 */
  lx_synack_window(SYNACK_AF_INET6, SYNACK_TCPOPT_HAS_MSS, 64800);                            /* 45 x 1440 */
  lx_synack_window(SYNACK_AF_INET6, SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS, 64260);     /* 45 x 1428 */
  lx_synack_window(SYNACK_AF_INET, SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE, 64240);  /* never scaled */
}

/* The SYN of an active open: our MSS, no timestamp deduction (none is agreed yet). */
static void lx_syn_window(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  connect_at_0(fx);
  fx_expect(fx, FX_S, 0, 0, .win = 64240, .layout = "mss,sackOK,TS,nop,wscale");
  fx_free(fx);
}

/* No window scaling: the SYN-ACK's edge (1 + 64240) stays while 10-byte segments come and are
 * read (rcv_ssthresh 64076 is below the window: nothing larger to offer); once the window is
 * within one segment estimate (536) of 64076 the window last offered, 64070, is offered again
 * and the edge moves with RCV.NXT. The rfc profile's policy holds its own edge (65535). */
static void lx_unscaled_edge(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  uint8_t b[64];
  for (uint32_t i = 0; i < 20; i++) {
    synack_time_t t = MS(300) * (i + 1);
    fx_inject(fx, t, FX_PA, 1 + 10 * i, 1, .len = 10);
    uint32_t win = i < 17 ? 64240 - 10 * (i + 1) : 64070;
    fx_expect(fx, FX_A, 1, 11 + 10 * i, .win = win, .t = t, .within = MS(200));
    fx_check_rc(fx_recv(fx, s, b, sizeof b), 10);
  }
  /* Our FIN and the ACK of the peer's FIN carry it too; TIME-WAIT answers with it. */
  CHECK_EQ_I(synack_close(fx->st, MS(6300), s), 0);
  fx_expect(fx, FX_FA, 1, 201, .win = 64070);
  fx_inject(fx, MS(6310), FX_FA, 201, 2);
  fx_expect(fx, FX_A, 2, 202, .win = 64070, .t = MS(6310), .within = MS(50));
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, MS(6500), FX_FA, 201, 2);
  fx_expect(fx, FX_A, 2, 202, .win = 64070, .t = MS(6500), .within = MS(50));
  fx_free(fx);
}

/* Window scaling with timestamps: rcv_ssthresh starts at the SYN-ACK's 65160 and every ACK
 * offers it rounded up to the unit (255 x 256); without timestamps 64240 -> 251. */
static void lx_scaled(uint32_t has, uint32_t synack_win, uint32_t field) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE | has;
  fx->peer_syn.ws = 7;
  FX_REQUIRE_(fx_listen(fx, 8) >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .win = synack_win);
  fx->ts_on = (has & SYNACK_TCPOPT_HAS_TS) != 0; /* the peer's segments carry timestamps from here */
  fx_inject(fx, MS(100), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  FX_REQUIRE_(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rcv_wscale, 8);
  fx_inject(fx, MS(200), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .win = field, .t = MS(200));
  fx_inject(fx, MS(300), FX_PA, 11, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 21, .win = field, .t = MS(300));
  fx_free(fx);
}

static void lx_scaled_ts(void) { lx_scaled(SYNACK_TCPOPT_HAS_TS, 65160, 255); }
static void lx_scaled_no_ts(void) { lx_scaled(0, 64240, 251); }

/* A listener with SO_RCVBUF `size` set before listen(), as fx_listen builds it otherwise. */
static int lx_listener(fx_t *fx, int size) {
  int l = synack_socket(fx->st, SYNACK_AF_INET);
  if (l < 0) return l;
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_SO_RCVBUF, size), 0);
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
  CHECK_EQ_I(synack_bind(fx->st, l, &ep), 0);
  CHECK_EQ_I(synack_listen(fx->st, l, 8), 0);
  fx->listener = l;
  fx->lport = FX_LOCAL_PORT;
  fx->rport = FX_PEER_PORT;
  return l;
}

/* SO_RCVBUF set on the listener: Linux's window space is the value set (it doubles the buffer
 * for its bookkeeping), the window scale is chosen for that space (ilog2(space) - 15: 0 for
 * 40000, 1 for 100000; not 8 from the largest buffer), the SYN-ACK offers the space rounded down
 * to whole segments, and the accepted connection keeps the size (its window is no 64 KiB
 * default): with 100000 the SYN-ACK's field says 65535 but the edge is 1 + 99280 (Linux's
 * rcv_wnd is in bytes), held while 10 bytes arrive: 99270 = 49635 x 2. */
static void lx_rcvbuf(int size, uint8_t ws, uint32_t synack_win, uint32_t field) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  int l = lx_listener(fx, size);
  FX_REQUIRE_(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .win = synack_win, .opt = { .has = SYNACK_TCPOPT_HAS_WSCALE, .ws = ws });
  fx_inject(fx, MS(100), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  FX_REQUIRE_(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rcv_wscale, ws);
  fx_inject(fx, MS(200), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .win = field, .t = MS(200));
  fx_free(fx);
}

static void lx_rcvbuf_40000(void) { lx_rcvbuf(40000, 0, 39420, 39410); }
static void lx_rcvbuf_100000(void) { lx_rcvbuf(100000, 1, 65535, 49635); }

/* The buffer fills (SO_RCVBUF 4000, no scaling; rcv_ssthresh 2920): the window offered is the
 * free space rounded down to the segment size seen (1000), the right edge never moving left;
 * below half the space, less than one segment free offers 0 (Linux's receiver SWS rule: one
 * segment, or 1/16 of the space). Reads reopen it with a window update of their own only when
 * the new window is at least twice the one offered (tcp_cleanup_rbuf): 500 bytes free is not a
 * segment, 1000 is; 3000 free opens 2000 (whole segments below rcv_ssthresh). Linux counts a
 * queued segment's memory, about twice its payload here, so the kernel closes the window one
 * segment earlier (docs/linux-differences.md: the memory accounting is not followed). */
static void lx_zero_window(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  int l = lx_listener(fx, 4000);
  FX_REQUIRE_(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .win = 2920, .layout = "mss");
  fx_inject(fx, MS(100), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  FX_REQUIRE_(s >= 0);
  static const uint32_t win[] = { 2920, 2000, 1000, FX_WIN_ZERO };
  for (uint32_t i = 0; i < 4; i++) {
    synack_time_t t = MS(200) + MS(100) * i;
    fx_inject(fx, t, FX_PA, 1 + 1000 * i, 1, .len = 1000);
    /* one quick ACK (2920 / (2 x 1000)), then delayed ACKs whose timeout adapts (the linux
     * profile's delayed-ACK engine: 40, 80, 100 ms bounded by the RTT); the windows are the
     * subject here */
    fx_expect(fx, FX_A, 1, 1001 + 1000 * i, .win = win[i], .t = t, .within = MS(100));
  }
  uint8_t b[2000];
  fx_advance(fx, MS(700));
  fx_check_rc(fx_recv(fx, s, b, 500), 500);
  fx_expect_none(fx);
  fx_check_rc(fx_recv(fx, s, b, 500), 500);
  fx_expect(fx, FX_A, 1, 4001, .win = 1000);
  fx_check_rc(fx_recv(fx, s, b, 2000), 2000);
  fx_expect(fx, FX_A, 1, 4001, .win = 2000);
  fx_free(fx);
}

/* Autotuning (tcp_rcvtune.c, as tcp_rcv_space_adjust) raises the space and the clamp to the
 * window it wants, 2 x 43800 read in one RTT + 16 segments = 110960; rcv_ssthresh then grows by
 * two segments per full segment (tcp_grow_window), 16 of them reaching the clamp: the window
 * passes Linux's initial 64 KiB (251 units of 256); the last ACK, sent before its segment is
 * read, offers the free 110960 - 1460 rounded up to the unit (428). */
static void lx_autotune(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  FX_REQUIRE_(fx_syn_received(fx) >= 0);
  fx_inject(fx, MS(50), FX_A, 1, 1); /* an RTT of 50 ms */
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  FX_REQUIRE_(s >= 0);
  uint8_t b[1460];
  uint32_t seq = 1;
  uint16_t field = 0;
  /* rounds: 1 segment (the first read starts the measurement), 30 within the RTT, 1 after it
   * (the measurement ends: autotuning), then 16 more */
  static const uint32_t rounds[] = { 1, 30, 1, 16 };
  for (size_t r = 0; r < sizeof rounds / sizeof rounds[0]; r++) {
    fx_advance(fx, fx->now + MS(60));
    for (uint32_t k = 0; k < rounds[r]; k++) {
      fx_inject(fx, fx->now, FX_A, seq, 1, .len = 1460);
      seq += 1460;
      fx_check_rc(fx_recv(fx, s, b, sizeof b), 1460);
      fx_drain(fx);
      fx_frame_t f;
      synack_dissect_t d;
      while (fx_pop_tcp(fx, &f, &d)) {
        field = d.tcp.window;
        free(f.buf);
      }
    }
    if (r < 2) CHECK(field <= 251);
  }
  CHECK_EQ_U(field, 428);
  fx_free(fx);
}

/* ---------------------------------------------------------------- PAWS, TS.Recent */

#define TSB 500000u /* fx->peer_ts_base */

/* A passive connection with timestamps and SACK, established. NULL on failure. */
static fx_t *ts_sack_open(int *s) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  if (!fx) return NULL;
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_SACK_PERM;
  *s = fx_open_passive(fx);
  if (*s < 0 || !fx->ts_on) {
    fx_free(fx);
    return NULL;
  }
  return fx;
}

static void paws_drops_old_segment(void) {
  int s = -1;
  fx_t *fx = ts_sack_open(&s);
  REQUIRE(fx);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 100); /* TSval TSB + 100 */
  fx_expect(fx, FX_A, 1, 101, .t = MS(140), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 100, .check_tsecr = true });
  CHECK_EQ_U(fx_info(fx, s).ts_recent, TSB + 100);
  /* New data with an older TSval: RFC 7323 §5.3 R1: ACK and drop. */
  fx_inject(fx, MS(200), FX_PA, 101, 1, .len = 100,
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = TSB + 50, .tsecr = fx->last_tsval });
  fx_expect(fx, FX_A, 1, 101, .t = MS(200), .layout = "nop,nop,TS",
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 100, .check_tsecr = true });
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 1);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 100);
  /* An old duplicate below RCV.NXT failing PAWS is also reported as a D-SACK. */
  fx_inject(fx, MS(210), FX_PA, 1, 1, .len = 100,
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = TSB + 60, .tsecr = fx->last_tsval });
  fx_expect(fx, FX_A, 1, 101, .t = MS(210), .nsack = 1, .sack = { { 1, 101 } });
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 2);
  /* The same data with a current TSval is taken. */
  fx_inject(fx, MS(300), FX_PA, 101, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 201, .t = MS(340), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 300, .check_tsecr = true });
  /* A RST is not subject to PAWS (RFC 7323 §5.3 R1); at RCV.NXT it resets. */
  fx_inject(fx, MS(400), FX_R, 201, 0, .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = TSB + 10 });
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 2);
  fx_free(fx);
}

/* PAWS tolerates one tick (tcp_check.c PAWS_WINDOW, Linux's TCP_PAWS_WINDOW). The reordering
 * case it is for, segment by segment: a retransmission fills the hole at RCV.NXT and moves
 * TS.Recent one tick past the original segments still in flight above it (RFC 7323 §4.3); a
 * late original must still be taken, not dropped as an old duplicate (the strict §5.3 R1 made
 * it a loss to repair again). Two ticks are still refused. */
static void paws_tolerates_one_tick_of_reordering(void) {
  int s = -1;
  fx_t *fx = ts_sack_open(&s);
  REQUIRE(fx);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
#define TS_(v) .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = (v), .tsecr = fx->last_tsval }
  fx_inject(fx, MS(100), FX_A, 1, 1, .len = 1000, TS_(TSB + 100));
  fx_expect(fx, FX_A, 1, 1001, .t = MS(140));
  /* 1001 (sent at tick 110) is held back; 2001 and 4001 (tick 110) overtake it, 3001 (tick
   * 110) is held back too. Out of order: TS.Recent stays at 100. */
  fx_inject(fx, MS(200), FX_A, 2001, 1, .len = 1000, TS_(TSB + 110));
  fx_expect(fx, FX_A, 1, 1001, .t = MS(200), .nsack = 1, .sack = { { 2001, 3001 } });
  fx_inject(fx, MS(201), FX_A, 4001, 1, .len = 1000, TS_(TSB + 110));
  fx_expect(fx, FX_A, 1, 1001, .t = MS(201), .nsack = 2, .sack = { { 4001, 5001 }, { 2001, 3001 } });
  /* The sender resends 1001 at tick 111: it fills the hole, TS.Recent becomes 111. */
  fx_inject(fx, MS(202), FX_A, 1001, 1, .len = 1000, TS_(TSB + 111));
  fx_expect(fx, FX_A, 1, 3001, .t = MS(202), .nsack = 1, .sack = { { 4001, 5001 } },
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 111, .check_tsecr = true });
  CHECK_EQ_U(fx_info(fx, s).ts_recent, TSB + 111);
  /* The late original 3001 (tick 110, one below TS.Recent): taken, and it closes the gap. */
  fx_inject(fx, MS(203), FX_A, 3001, 1, .len = 1000, TS_(TSB + 110));
  fx_expect(fx, FX_A, 1, 5001, .t = MS(203), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 111, .check_tsecr = true });
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 0);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 5000);
  CHECK_EQ_U(fx_info(fx, s).ts_recent, TSB + 111); /* an older TSval never moves it back */
  /* Two ticks older: RFC 7323 §5.3 R1 applies: ACK and drop. */
  fx_inject(fx, MS(300), FX_A, 5001, 1, .len = 1000, TS_(TSB + 109));
  fx_expect(fx, FX_A, 1, 5001, .t = MS(300), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 111, .check_tsecr = true });
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 1);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 5000);
#undef TS_
  fx_free(fx);
}

/* RFC 7323 §5.5: after 24 days without an update TS.Recent is invalid: a segment whose TSval
 * looks old (the peer's clock wrapped past 2^31 ms) is accepted and its TSval taken. */
static void paws_24_day_idle(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  const synack_counters_t *ctr = synack_stack_counters(fx->st);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = MS(140));
  /* 23 days later an older TSval is still refused. */
  synack_time_t d23 = MS(100) + SYNACK_SEC(23u * 86400u);
  fx_inject(fx, d23, FX_PA, 101, 1, .len = 100,
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = TSB + 50, .tsecr = fx->last_tsval });
  fx_expect(fx, FX_A, 1, 101, .t = d23, .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 100, .check_tsecr = true });
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 1);
  /* 25 days: the peer's clock advanced 2.16e9 ms, more than 2^31: its TSval compares as older. */
  synack_time_t d25 = MS(100) + SYNACK_SEC(25u * 86400u);
  uint32_t tsv = TSB + (uint32_t)(d25 / 1000);
  CHECK((int32_t)(tsv - (TSB + 100)) < 0);
  fx_inject(fx, d25, FX_PA, 101, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 201, .t = d25 + MS(40), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = tsv, .check_tsecr = true });
  CHECK_EQ_U(ctr->drops[SYNACK_DROP_TCP_PAWS], 1);
  CHECK_EQ_U(fx_info(fx, s).ts_recent, tsv);
  fx_free(fx);
}

/* RFC 7323 §4.3: TS.Recent follows segments at or below Last.ACK.sent, so a delayed ACK echoes
 * the earliest unacknowledged segment (§4.2), and an out-of-order one does not move it. */
static void ts_recent_update_rule(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, MS(100), FX_A, 1, 1, .len = 1448);
  fx_inject(fx, MS(110), FX_A, 1449, 1, .len = 1448);
  fx_expect(fx, FX_A, 1, 2897, .t = MS(110), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 100, .check_tsecr = true });
  /* Out of order (above Last.ACK.sent): TS.Recent does not move. The second segment did not
   * update it either (it arrived above Last.ACK.sent = 1): the echo stays at the earliest one. */
  fx_inject(fx, MS(120), FX_A, 4345, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 2897, .t = MS(120), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 100, .check_tsecr = true });
  /* The hole: at Last.ACK.sent, taken. */
  fx_inject(fx, MS(130), FX_A, 2897, 1, .len = 1448);
  fx_expect(fx, FX_A, 1, 4445, .t = MS(130), .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = TSB + 130, .check_tsecr = true });
  (void)s;
  fx_free(fx);
}

/* TCP_WINDOW_CLAMP (rfc profile): at least 1152, 0 only while not connected; on a listener the
 * SYN-ACK offers the clamp and no window scale beyond it (ilog2(20000) - 15 < 0), the accepted
 * socket inherits it, and after data the window never offers more than the clamp. */
static void window_clamp(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  int l = fx_listen(fx, 8), v = -1;
  REQUIRE(l >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_WINDOW_CLAMP, 100), 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, l, SYNACK_TCP_WINDOW_CLAMP, &v), 0);
  CHECK_EQ_I(v, 1152);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_WINDOW_CLAMP, -1), -SYNACK_EINVAL);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_WINDOW_CLAMP, 20000), 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .win = 20000, .layout = "mss,nop,wscale");
  fx_inject(fx, MS(1), FX_A, 1, 1, .win = 1000);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rcv_wscale, 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_TCP_WINDOW_CLAMP, &v), 0);
  CHECK_EQ_I(v, 20000);
  CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_TCP_WINDOW_CLAMP, 0), -SYNACK_EINVAL);
  /* 1000 bytes unread: the edge stays at 20000 past the SYN-ACK's (never moves left) */
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 1000, .win = 1000);
  fx_expect(fx, FX_A, 1, 1001, .t = MS(140), .win = 19000);
  uint8_t b[1000];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 1000);
  fx_flush_output(fx);
  /* 2000 bytes more, unread, with some 60 KiB of the ring free: the edge moves (by 3000 bytes,
   * more than a segment) and offers the clamp, no more */
  fx_inject(fx, MS(400), FX_PA, 1001, 1, .len = 1400, .win = 1000);
  fx_inject(fx, MS(400), FX_PA, 2401, 1, .len = 600, .win = 1000);
  fx_expect(fx, FX_A, 1, 3001, .t = MS(400), .within = MS(40), .win = 20000);
  fx_free(fx);
}

TH_MAIN(TH_CASE(window_clamp), TH_CASE(ws_both_offer), TH_CASE(ws_peer_offers_zero), TH_CASE(ws_peer_offers_too_much),
        TH_CASE(ws_peer_does_not_offer), TH_CASE(ws_we_do_not_offer), TH_CASE(ws_neither), TH_CASE(ws_active_peer_offers),
        TH_CASE(ws_active_peer_does_not), TH_CASE(ws_shift_from_max_buf), TH_CASE(right_edge_never_moves_left),
        TH_CASE(sws_and_window_updates), TH_CASE(paws_drops_old_segment), TH_CASE(paws_24_day_idle),
        TH_CASE(paws_tolerates_one_tick_of_reordering),
        TH_CASE(ts_recent_update_rule), TH_CASE(lx_synack_windows), TH_CASE(lx_syn_window), TH_CASE(lx_unscaled_edge),
        TH_CASE(lx_scaled_ts), TH_CASE(lx_scaled_no_ts), TH_CASE(lx_rcvbuf_40000), TH_CASE(lx_rcvbuf_100000), TH_CASE(lx_zero_window), TH_CASE(lx_autotune))
