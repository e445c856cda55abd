/* Congestion control seen on the wire (tcp_cc.c with tcp_output.c / tcp_listen.c): the initial
 * window, the restart window after idle (RFC 5681 §4.1), the one-segment window after a lost
 * SYN-ACK (RFC 5681 §3.1), and SYNACK_TCP_CONGESTION on listeners and live connections. */
#include "harness.h"
#include "tcpfix.h"

#define M 1460u
#define SEG(i) (1u + (uint32_t)(i) * M)

static void newreno(synack_config_t *c) { c->tcp_cc = SYNACK_CC_NEWRENO; }
static void newreno_no_idle(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_idle_restart = false;
}
static void iw4(synack_config_t *c) { c->tcp_initial_cwnd_segs = 4; }

/* Sends n segments (the socket has n*M more bytes at offset off) and expects the first k. */
static void burst(fx_t *fx, int s, uint32_t first, uint32_t n, uint32_t k) {
  fx_check_rc(fx_send(fx, s, n * M, (first - 1)), (int64_t)(n * M));
  for (uint32_t i = 0; i < k; i++) fx_expect(fx, FX_A, first + i * M, 1, .len = M);
  fx_expect_none(fx);
}

static void initial_window_on_the_wire(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  burst(fx, s, SEG(0), 12, 10); /* RFC 6928: 10 segments */
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 10);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, iw4);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  burst(fx, s, SEG(0), 6, 4);
  fx_free(fx);
}

static void restart_after_idle(void) {
  for (int on = 0; on < 2; on++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, on ? newreno : newreno_no_idle);
    REQUIRE(fx);
    int s = fx_open_passive(fx);
    REQUIRE(s >= 0);
    burst(fx, s, SEG(0), 4, 4);
    /* One ACK for all four: slow start with L = 2 adds two segments: cwnd 12. */
    fx_inject(fx, SYNACK_MS(100), FX_A, 1, SEG(4));
    fx_expect_none(fx);
    CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 12);
    /* 5 s without sending (RTO is 1 s: no RTT sample without timestamps on this handshake). */
    fx_advance(fx, SYNACK_SEC(5));
    burst(fx, s, SEG(4), 20, on ? 10 : 12);
    CHECK_EQ_U(fx_info(fx, s).snd_cwnd, on ? 10 : 12);
    fx_free(fx);
  }
  /* A pause shorter than the RTO keeps the window. */
  fx_t *fx = fx_new(SYNACK_AF_INET, newreno);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  burst(fx, s, SEG(0), 4, 4);
  fx_inject(fx, SYNACK_MS(100), FX_A, 1, SEG(4));
  uint32_t rto = fx_info(fx, s).rto_us;
  fx_advance(fx, rto); /* the last data went out at 0: idle for exactly one RTO, not more */
  burst(fx, s, SEG(4), 20, 12);
  fx_free(fx);
}

/* RFC 5681 §3.1: the SYN-ACK was retransmitted: the first window is one segment. */
static void lost_synack_means_one_segment(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_SEC(1)); /* the first was "lost" */
  fx_inject(fx, SYNACK_SEC(1) + SYNACK_MS(10), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 1);
  burst(fx, s, SEG(0), 3, 1);
  fx_free(fx);
}

static void congestion_option_inherited_and_live(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL); /* default CUBIC */
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_check_rc(synack_setsockopt(fx->st, fx->listener, SYNACK_TCP_CONGESTION, SYNACK_CC_NEWRENO), 0);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  int v = -1;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_NEWRENO);
  /* Loss with NewReno: half the flight. */
  burst(fx, s, SEG(0), 10, 10);
  for (int i = 0; i < 3; i++) fx_inject(fx, SYNACK_MS(50 + i), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M); /* fast retransmit */
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 5);
  fx_inject(fx, SYNACK_MS(100), FX_A, 1, SEG(10));
  fx_expect_none(fx);
  /* Switching on the live connection keeps cwnd and ssthresh (2 and 5 segments after the
   * RFC 6582 full ACK with nothing in flight). */
  synack_tcp_info_t before = fx_info(fx, s);
  CHECK_EQ_U(before.snd_cwnd, 2);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CONGESTION, SYNACK_CC_CUBIC), 0);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_CUBIC);
  synack_tcp_info_t after = fx_info(fx, s);
  CHECK_EQ_U(after.snd_cwnd, 2);
  CHECK_EQ_U(after.snd_ssthresh, 5);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CONGESTION, 9), -SYNACK_EINVAL);
  fx_free(fx);

  /* The other way: a CUBIC connection switched to NewReno right after the handshake reacts to
   * its first loss like NewReno (half of 10 segments, not 0.7). */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_CONGESTION, &v), 0);
  CHECK_EQ_I(v, SYNACK_CC_CUBIC);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CONGESTION, SYNACK_CC_NEWRENO), 0);
  burst(fx, s, SEG(0), 10, 10);
  for (int i = 0; i < 3; i++) fx_inject(fx, SYNACK_MS(50 + i), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 5);
  fx_free(fx);
  /* And unswitched CUBIC: 0.7 of 10 segments. */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  burst(fx, s, SEG(0), 10, 10);
  for (int i = 0; i < 3; i++) fx_inject(fx, SYNACK_MS(50 + i), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 7);
  fx_free(fx);
}

TH_MAIN(TH_CASE(initial_window_on_the_wire), TH_CASE(restart_after_idle), TH_CASE(lost_synack_means_one_segment),
        TH_CASE(congestion_option_inherited_and_live))
