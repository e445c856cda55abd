/* The freebsd profile (synack_config_preset "freebsd") against FreeBSD's documented behaviour,
 * each policy beside the rfc profile's answer to the same segment: the receive buffer rounded to
 * whole segments once the peer's MSS is known, the advertised window (all the free space, 0
 * below min(buf/4, MSS), the edge never left) and the acceptance window (the buffer space), a
 * FIN ACKed at once, a SYN-ACK at a listener dropped silently, text on a crossing SYN held until
 * ESTABLISHED, the RTO with rexmit_slop, ECN answered but never asked. */
#include "harness.h"
#include "tcpfix.h"

#define MS SYNACK_MS

static void freebsd(synack_config_t *c) { REQUIRE(synack_config_preset(c, "freebsd") == 0); }
static void rfc(synack_config_t *c) { REQUIRE(synack_config_preset(c, "rfc") == 0); }

static int rcvbuf(fx_t *fx, int s) {
  int v = -1;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_RCVBUF, &v), 0);
  return v;
}

/* FreeBSD tcp_mss(): SO_RCVBUF is recvspace (65536) until the peer's MSS is known, then a whole
 * number of segments of min(peer's MSS, ours): 45 x 1460 = 65700 (IPv6: 46 x 1440 = 66240). */
static void rcvbuf_rounded_at_establishment(int family, int want) {
  fx_t *fx = fx_new(family, freebsd);
  REQUIRE(fx);
  fx->peer_syn.mss = 1460;
  int l = fx_listen(fx, 4);
  REQUIRE(l >= 0);
  CHECK_EQ_I(rcvbuf(fx, l), 65536);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .win = 65535);
  CHECK_EQ_I(rcvbuf(fx, l), 65536);
  fx_inject(fx, MS(1), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_I(rcvbuf(fx, s), want);
  fx_free(fx);
  /* active open: 65536 in SYN-SENT, rounded by the SYN-ACK */
  fx = fx_new(family, freebsd);
  REQUIRE(fx);
  fx->peer_syn.mss = 1000;
  s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(rcvbuf(fx, s), 65536);
  fx_inject(fx, MS(10), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1);
  CHECK_EQ_I(rcvbuf(fx, s), 66000); /* the peer's 1000 is the smaller MSS */
  fx_free(fx);
}

static void rcvbuf_rounded_v4(void) { rcvbuf_rounded_at_establishment(SYNACK_AF_INET, 65700); }
static void rcvbuf_rounded_v6(void) { rcvbuf_rounded_at_establishment(SYNACK_AF_INET6, 66240); }

/* Three unread bytes: FreeBSD offers min(65700 - 3, 65535) = 65535; the rfc profile holds the
 * edge it offered (65535 from RCV.NXT 1), so its field says 65532. */
static void window_is_the_free_space(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 3);
  fx_inject(fx, MS(100), FX_PA, 4, 1, .len = 3); /* FreeBSD ACKs every second segment */
  fx_expect(fx, FX_A, 1, 7, .t = MS(100), .win = 65535);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, rfc);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 3);
  fx_expect(fx, FX_A, 1, 4, .t = MS(300), .win = 65532);
  fx_free(fx);
}

/* Free space below both a quarter of the buffer and one MSS: window 0 (receiver SWS avoidance),
 * and the edge offered before does not move left: the field says what is left of it. */
static void window_zero_below_quarter_and_mss(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  freebsd(&c);
  c.tcp_rcvbuf = 4000; /* rounded to 4380 (3 x 1460) at establishment */
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(rcvbuf(fx, s), 4380);
  fx_inject(fx, MS(100), FX_PA, 1, 1, .len = 1460);
  fx_inject(fx, MS(100), FX_PA, 1461, 1, .len = 1460);
  fx_expect(fx, FX_A, 1, 2921, .t = MS(100), .win = 1460); /* 4380 - 2920 = 1460: one MSS */
  fx_inject(fx, MS(110), FX_PA, 2921, 1, .len = 1000);
  fx_inject(fx, MS(110), FX_PA, 3921, 1, .len = 100);
  /* 360 free: below 4380 / 4 and below 1460, but 360 of the offered edge remain: held */
  fx_expect(fx, FX_A, 1, 4021, .t = MS(110), .win = 360);
  fx_inject(fx, MS(120), FX_PA, 4021, 1, .len = 300);
  fx_inject(fx, MS(120), FX_PA, 4321, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 4331, .t = MS(120), .win = 50); /* the edge held: 50 left of it */
  /* Reading 1000 bytes opens the window by less than two segments and half the buffer: no
   * window update; reading the rest opens it by 4330: an update of its own, all the space. */
  uint8_t b[4400];
  fx_check_rc(fx_recv(fx, s, b, 1000), 1000);
  fx_expect_none(fx);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 3330);
  fx_expect(fx, FX_A, 1, 4331, .t = MS(120), .win = 4380);
  fx_free(fx);
}

/* FreeBSD's RCV.WND is the buffer space, at least the offered window: a segment beyond the
 * offered 65535 that fits the 65700 bytes is taken (out of order here) and SACKed; the rfc
 * profile drops it as outside the window and only ACKs. */
static void acceptance_window_is_the_buffer(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint64_t ooo0 = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_OOO_SEGS];
  fx_inject(fx, MS(100), FX_PA, 65601, 1, .len = 100); /* bytes 65600..65699 of the stream */
  fx_expect(fx, FX_A, 1, 1, .t = MS(100));
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_OOO_SEGS] - ooo0, 1);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, rfc);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  ooo0 = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_OOO_SEGS];
  fx_inject(fx, MS(100), FX_PA, 65601, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100));
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_OOO_SEGS] - ooo0, 0);
  fx_free(fx);
}

/* A FIN is ACKed at once under freebsd; the rfc profile waits its delayed-ACK time. */
static void fin_acked_at_once(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_FA, 1, 1);
  fx_expect(fx, FX_A, 1, 2, .t = MS(100));
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, rfc);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_FA, 1, 1);
  fx_expect_none(fx);
  fx_expect(fx, FX_A, 1, 2, .t = MS(300));
  fx_free(fx);
}

/* A SYN-ACK at a listener: RFC 9293 §3.10.7.2 answers with a RST; FreeBSD drops it silently. */
static void synack_at_listener(void) {
  for (int bsd = 0; bsd < 2; bsd++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, bsd ? freebsd : rfc);
    REQUIRE(fx);
    REQUIRE(fx_listen(fx, 4) >= 0);
    fx_inject(fx, MS(100), FX_SA, 16, 33);
    if (bsd) fx_expect_none(fx);
    else fx_expect(fx, FX_R, 33, 0, .t = MS(100), .any_ack = true);
    fx_free(fx);
  }
}

/* Text on a crossing SYN (simultaneous open): held, neither ACKed nor readable in
 * SYN-RECEIVED, delivered when the ACK of our SYN makes the connection ESTABLISHED. */
static void simopen_syn_text_held(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_S, 0, 0, .len = 3);
  fx_expect(fx, FX_SA, 0, 1, .t = MS(100));
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  uint8_t b[16];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), -SYNACK_EAGAIN);
  fx_inject(fx, MS(200), FX_A, 4, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 3);
  CHECK(b[0] == fx_pattern(0) && b[1] == fx_pattern(1) && b[2] == fx_pattern(2));
  fx_expect(fx, FX_A, 1, 4, .t = MS(240)); /* the delayed ACK of the delivered text */
  fx_free(fx);
  /* the rfc profile drops it (Linux does too): the ACK of our SYN leaves nothing to read */
  fx = fx_new(SYNACK_AF_INET, rfc);
  REQUIRE(fx);
  s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_S, 0, 0, .len = 3);
  fx_expect(fx, FX_SA, 0, 1, .t = MS(100));
  fx_inject(fx, MS(200), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), -SYNACK_EAGAIN);
  fx_free(fx);
}

/* RTO = SRTT + 4 RTTVAR + rexmit_slop within [rexmit_min, rexmit_max]: a 100 ms handshake
 * sample gives 100 + 200 + 200 = 500 ms. */
static void rto_with_slop(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS;
  int l = fx_listen(fx, 4);
  REQUIRE(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_inject(fx, MS(100), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rto_us, 500000u);
  CHECK_EQ_I(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = MS(100));
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = MS(600));
  fx_free(fx);
}

/* net.inet.tcp.ecn.enable=2: our SYN does not ask for ECN, a peer's ECN-setup SYN is answered. */
static void ecn_answer_only(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  CHECK_EQ_I(fx->cfg.tcp_ecn, SYNACK_ECN_MODE_PASSIVE);
  REQUIRE(fx_listen(fx, 4) >= 0);
  fx_inject(fx, 0, FX_S | SYNACK_TCP_ECE | SYNACK_TCP_CWR, 0, 0);
  fx_expect(fx, FX_SA | SYNACK_TCP_ECE, 0, 1);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, freebsd);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t to;
  REQUIRE(fx_endpoint(fx, &to, true, FX_SERVICE_PORT));
  CHECK_EQ_I(synack_connect(fx->st, fx->now, s, &to), -SYNACK_EINPROGRESS);
  fx_frame_t f;
  synack_dissect_t d;
  bool got = fx_pop_tcp(fx, &f, &d);
  CHECK(got);
  if (got) {
    CHECK_EQ_U(d.tcp.flags, SYNACK_TCP_SYN); /* no ECE, no CWR */
    free(f.buf);
  }
  fx_free(fx);
}

TH_MAIN(TH_CASE(rcvbuf_rounded_v4), TH_CASE(rcvbuf_rounded_v6), TH_CASE(window_is_the_free_space),
        TH_CASE(window_zero_below_quarter_and_mss), TH_CASE(acceptance_window_is_the_buffer),
        TH_CASE(fin_acked_at_once), TH_CASE(synack_at_listener), TH_CASE(simopen_syn_text_held),
        TH_CASE(rto_with_slop), TH_CASE(ecn_answer_only))
