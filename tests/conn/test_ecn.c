/* ECN (RFC 3168 §6.1) with exact segments: negotiation on both sides in every combination of
 * configuration and peer flags (SYN, SYN-ACK, SYN cookies), ECT(0) only on new data, the
 * receiver echoing CE with ECE until CWR, and the sender reducing its window once per window of
 * data and setting CWR on the next new data segment. */
#include "harness.h"
#include "tcpfix.h"

#define M 1460u
#define SEG(i) (1u + (uint32_t)(i) * M)
#define ECE SYNACK_TCP_ECE
#define CWR SYNACK_TCP_CWR
#define ECT0 0x02
#define CE 0x03

static void ecn_on(synack_config_t *c) {
  c->tcp_ecn = SYNACK_ECN_MODE_ON;
  c->tcp_cc = SYNACK_CC_NEWRENO;
}
static void ecn_off(synack_config_t *c) { c->tcp_cc = SYNACK_CC_NEWRENO; }

static bool ecn_in_use(fx_t *fx, int s) { return (fx_info(fx, s).options & SYNACK_TCPI_OPT_ECN) != 0; }

/* connect() toward the fixture's peer; the flow's ports are set. */
static int start_connect(fx_t *fx) {
  int s = synack_socket(fx->st, fx->family);
  if (s < 0) return -1;
  synack_endpoint_t rem, me;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  if (synack_getsockname(fx->st, s, &me) != 0) return -1;
  fx->lport = me.port;
  return s;
}

/* Active open: our SYN (ECN-setup when configured), the peer's SYN-ACK with synack_extra. */
static int active_open(fx_t *fx, bool cfg_ecn, uint8_t synack_extra) {
  int s = start_connect(fx);
  if (s < 0) return -1;
  /* RFC 3168 §6.1.1: an ECN-setup SYN has ECE and CWR; SYNs are never ECT. */
  fx_expect(fx, FX_S | (cfg_ecn ? ECE | CWR : 0), 0, 0, .psh_exact = true, .check_tos = true, .tos = 0);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA | synack_extra, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .psh_exact = true, .check_tos = true, .tos = 0);
  (void)fx_events(fx, s);
  return s;
}

/* Passive open: the peer's SYN with syn_extra; returns the accepted socket. */
static int passive_open(fx_t *fx, uint8_t syn_extra, uint8_t want_synack_extra) {
  if (fx_listen(fx, 8) < 0) return -1;
  fx_inject(fx, fx->now, FX_S | syn_extra, 0, 0);
  fx_expect(fx, FX_SA | want_synack_extra, 0, 1, .psh_exact = true, .check_tos = true, .tos = 0);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 1, 1);
  fx_expect_none(fx);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  if (s >= 0) (void)fx_events(fx, s);
  return s;
}

/* ---------------------------------------------------------------- negotiation */

static void negotiate_active(void) {
  const struct { bool cfg; uint8_t synack; bool on; } rows[] = {
    { true, ECE, true },        /* ECN-setup SYN-ACK */
    { true, 0, false },         /* peer without ECN */
    { true, ECE | CWR, false }, /* ECE|CWR on a SYN-ACK is not ECN-setup (§6.1.1) */
    { true, CWR, false },
    { false, ECE, false },      /* we did not ask */
    { false, 0, false },
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, rows[i].cfg ? ecn_on : ecn_off);
    REQUIRE(fx);
    int s = active_open(fx, rows[i].cfg, rows[i].synack);
    REQUIRE(s >= 0);
    fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
    if (ecn_in_use(fx, s) != rows[i].on) fprintf(stderr, "active row %zu\n", i);
    CHECK_EQ_U(ecn_in_use(fx, s), rows[i].on);
    /* Data segments are ECT(0) exactly when ECN is in use. */
    fx_check_rc(fx_send(fx, s, 100, 0), 100);
    fx_expect(fx, FX_A, 1, 1, .len = 100, .check_tos = true, .tos = rows[i].on ? ECT0 : 0);
    fx_free(fx);
  }
}

static void negotiate_passive(void) {
  const struct { bool cfg; uint8_t syn; uint8_t synack; } rows[] = {
    { true, ECE | CWR, ECE }, /* ECN-setup SYN → ECN-setup SYN-ACK */
    { true, 0, 0 },
    { true, ECE, 0 },         /* not an ECN-setup SYN */
    { true, CWR, 0 },
    { false, ECE | CWR, 0 },  /* ECN off here */
    { false, 0, 0 },
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, rows[i].cfg ? ecn_on : ecn_off);
    REQUIRE(fx);
    int s = passive_open(fx, rows[i].syn, rows[i].synack);
    REQUIRE(s >= 0);
    CHECK_EQ_U(ecn_in_use(fx, s), rows[i].synack != 0);
    fx_check_rc(fx_send(fx, s, 100, 0), 100);
    fx_expect(fx, FX_A, 1, 1, .len = 100, .check_tos = true, .tos = rows[i].synack ? ECT0 : 0);
    fx_free(fx);
  }
}

/* A retransmitted SYN-ACK keeps ECE; a retransmitted SYN keeps ECE|CWR, and after it the
 * first window is one segment (RFC 5681 §3.1). */
static void negotiate_with_retransmissions(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, 0, FX_S | ECE | CWR, 0, 0);
  fx_expect(fx, FX_SA | ECE, 0, 1, .psh_exact = true, .t = 0);
  fx_expect(fx, FX_SA | ECE, 0, 1, .psh_exact = true, .t = SYNACK_SEC(1)); /* lost: again */
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = start_connect(fx);
  REQUIRE(s >= 0);
  fx_expect(fx, FX_S | ECE | CWR, 0, 0, .psh_exact = true, .t = 0);
  fx_expect(fx, FX_S | ECE | CWR, 0, 0, .psh_exact = true, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_SEC(1) + SYNACK_MS(10), FX_SA | ECE, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .psh_exact = true);
  CHECK(ecn_in_use(fx, s));
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 1);
  fx_check_rc(fx_send(fx, s, 3 * M, 0), 3 * M);
  fx_expect(fx, FX_A, 1, 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect_none(fx);
  fx_free(fx);
}

/* SYN cookies keep no state for ECN: the SYN-ACK is not ECN-setup, the connection has no ECN. */
static void cookie_synack_declines_ecn(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  fx->cfg.tcp_syn_backlog = 0;
  synack_stack_free(fx->st);
  fx->st = synack_stack_new(&fx->cfg, 0);
  REQUIRE(fx->st);
  int s = passive_open(fx, ECE | CWR, 0);
  REQUIRE(s >= 0);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_SYNCOOKIES_OK], 1);
  CHECK(!ecn_in_use(fx, s));
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_A, 1, 1, .len = 100, .check_tos = true, .tos = 0);
  fx_free(fx);
}

/* ---------------------------------------------------------------- ECT marking */

static void ect_only_on_new_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = active_open(fx, true, ECE);
  REQUIRE(s >= 0);
  synack_time_t t0 = fx->now;
  /* New data: ECT(0). The user's TOS keeps its DSCP bits; its ECN bits are TCP's. */
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_IP_TOS, 0x2b), 0);
  fx_check_rc(fx_send(fx, s, 2 * M, 0), 2 * M);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .check_tos = true, .tos = 0x2a);
  fx_expect(fx, FX_A, SEG(1), 1, .len = M, .check_tos = true, .tos = 0x2a);
  /* A pure ACK is not ECT (§6.1.4): the delayed ACK of the peer's 10 bytes. */
  fx_inject(fx, t0 + SYNACK_MS(5), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, SEG(2), 11, .t = t0 + SYNACK_MS(45), .psh_exact = true, .check_tos = true, .tos = 0x28);
  /* A retransmission is not ECT (§6.1.5): the RTO (200 ms after a 10 ms handshake RTT)
   * resends the first segment. */
  fx_expect(fx, FX_A, SEG(0), 11, .len = M, .check_tos = true, .tos = 0x28, .t = t0 + SYNACK_MS(200));
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 11, SEG(2));
  fx_expect_none(fx);
  /* New data after the recovery is ECT again. */
  fx_check_rc(fx_send(fx, s, 100, 2 * M), 100);
  fx_expect(fx, FX_A, SEG(2), 11, .len = 100, .check_tos = true, .tos = 0x2a);
  fx_free(fx);
}

/* A zero-window probe is not ECT (§6.1.6), even when it carries a new byte. */
static void window_probe_not_ect(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = active_open(fx, true, ECE);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_A, 1, 1, .len = 100, .check_tos = true, .tos = ECT0);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 1, 101, .win = FX_WIN_ZERO);
  fx_check_rc(fx_send(fx, s, 100, 100), 100);
  fx_expect_none(fx);
  fx_expect(fx, FX_A, 101, 1, .len = 1, .check_tos = true, .tos = 0, .t = fx->now, .within = SYNACK_MS(300));
  fx_expect_none(fx);
  /* The window opens: the rest is new data again, ECT(0). */
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 1, 102, .win = 65535);
  fx_expect(fx, FX_A, 102, 1, .len = 99, .check_tos = true, .tos = ECT0);
  fx_free(fx);
}

static void ect_ipv6_traffic_class(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, ecn_on);
  REQUIRE(fx);
  int s = passive_open(fx, ECE | CWR, ECE);
  REQUIRE(s >= 0);
  CHECK(ecn_in_use(fx, s));
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_A, 1, 1, .len = 100, .check_tos = true, .tos = ECT0);
  /* CE in the IPv6 traffic class is seen too. */
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_PA, 1, 101, .len = 10, .tos = CE);
  fx_expect(fx, FX_A | ECE, 101, 11, .t = fx->now, .check_tos = true, .tos = 0);
  fx_free(fx);
}

/* ---------------------------------------------------------------- receiver */

static void receiver_echoes_ce_until_cwr(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = passive_open(fx, ECE | CWR, ECE);
  REQUIRE(s >= 0);
  synack_time_t t = SYNACK_MS(100);
  /* Without CE: an ordinary delayed ACK, no ECE. */
  fx_inject(fx, t, FX_PA, 1, 1, .len = 100, .tos = ECT0);
  fx_expect(fx, FX_A, 1, 101, .t = t + SYNACK_MS(40));
  /* CE: acknowledged at once, with ECE. */
  t += SYNACK_MS(100);
  fx_inject(fx, t, FX_PA, 101, 1, .len = 100, .tos = CE);
  fx_expect(fx, FX_A | ECE, 1, 201, .t = t, .check_tos = true, .tos = 0);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ECN_CE_IN], 1);
  /* No CE, no CWR yet: every ACK still echoes (delayed as usual). */
  t += SYNACK_MS(100);
  fx_inject(fx, t, FX_PA, 201, 1, .len = 100, .tos = ECT0);
  fx_expect(fx, FX_A | ECE, 1, 301, .t = t + SYNACK_MS(40));
  /* Our data carries ECE too. */
  fx_check_rc(fx_send(fx, s, 50, 0), 50);
  fx_expect(fx, FX_A | ECE, 1, 301, .len = 50, .check_tos = true, .tos = ECT0);
  /* CWR from the sender: the echo stops. */
  t += SYNACK_MS(100);
  fx_inject(fx, t, FX_PA | CWR, 301, 51, .len = 100, .tos = ECT0);
  fx_expect(fx, FX_A, 51, 401, .t = t + SYNACK_MS(40), .psh_exact = true);
  t += SYNACK_MS(100);
  fx_inject(fx, t, FX_PA, 401, 51, .len = 100, .tos = ECT0);
  fx_expect(fx, FX_A, 51, 501, .t = t + SYNACK_MS(40), .psh_exact = true);
  /* CWR and CE on one segment: CWR ends the old echo, CE starts a new one. */
  t += SYNACK_MS(100);
  fx_inject(fx, t, FX_PA | CWR, 501, 51, .len = 100, .tos = CE);
  fx_expect(fx, FX_A | ECE, 51, 601, .t = t);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ECN_CE_IN], 2);
  fx_expect_none(fx);
  fx_free(fx);
}

/* Without ECN negotiated, CE and ECE mean nothing. */
static void no_ecn_ignores_marks(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_off);
  REQUIRE(fx);
  int s = passive_open(fx, ECE | CWR, 0);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 100, .tos = CE);
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(140), .psh_exact = true);
  fx_check_rc(fx_send(fx, s, 10 * M, 0), 10 * M);
  for (uint32_t i = 0; i < 10; i++) fx_expect(fx, FX_A, SEG(i), 101, .len = M, .check_tos = true, .tos = 0);
  fx_inject(fx, SYNACK_MS(200), FX_A | ECE, 101, SEG(2));
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_ssthresh, SYNACK_INFINITE_SSTHRESH);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ECN_REDUCTIONS], 0);
  fx_free(fx);
}

/* ---------------------------------------------------------------- sender */

static void sender_reduces_once_per_window(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = active_open(fx, true, ECE);
  REQUIRE(s >= 0);
  const uint64_t *ev = synack_stack_counters(fx->st)->events;
  synack_time_t t = fx->now;
  fx_check_rc(fx_send(fx, s, 20 * M, 0), 20 * M);
  for (uint32_t i = 0; i < 10; i++) /* IW = 10 segments, all ECT(0) */
    fx_expect(fx, FX_A, SEG(i), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect_none(fx);
  /* ECE on the ACK of two segments: cwnd = ssthresh = FlightSize / 2 = 4 segments; 8 are in
   * flight, so nothing goes out. */
  fx_inject(fx, t + SYNACK_MS(50), FX_A | ECE, 1, SEG(2));
  fx_expect_none(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_ssthresh, 4);
  CHECK_EQ_U(ti.snd_cwnd, 4);
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], 1);
  CHECK_EQ_U(ti.total_retrans, 0); /* no retransmission for ECE */
  /* ECE again for data sent before the reduction: ignored. Four segments acknowledged in
   * congestion avoidance grow cwnd to 5; one new segment goes out, with CWR. */
  fx_inject(fx, t + SYNACK_MS(51), FX_A | ECE, 1, SEG(6));
  fx_expect(fx, FX_A | CWR, SEG(10), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_cwnd, 5);
  CHECK_EQ_U(ti.snd_ssthresh, 4);
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], 1);
  /* Still echoing (the CWR segment is not acknowledged yet): no reduction, no second CWR. */
  fx_inject(fx, t + SYNACK_MS(52), FX_A | ECE, 1, SEG(8));
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .psh_exact = false, .check_tos = true, .tos = ECT0);
  fx_expect(fx, FX_A, SEG(12), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect_none(fx);
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], 1);
  /* ECE on an ACK of data sent after the reduction: a new congestion event. */
  fx_inject(fx, t + SYNACK_MS(100), FX_A | ECE, 1, SEG(11));
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], 2);
  CHECK_EQ_U(ti.snd_ssthresh, 2); /* max(2 segments in flight / 2, 2 MSS) */
  CHECK_EQ_U(ti.snd_cwnd, 2);
  fx_inject(fx, t + SYNACK_MS(150), FX_A, 1, SEG(13));
  fx_expect(fx, FX_A | CWR, SEG(13), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect(fx, FX_A, SEG(14), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect(fx, FX_A, SEG(15), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 3);
  fx_free(fx);
}

/* A loss reduction counts as the window's reduction: ECE during that recovery is ignored
 * (RFC 3168 §6.1.2), and the next new data segment carries no CWR (no ECN reduction). */
static void ece_during_loss_recovery_ignored(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = active_open(fx, true, ECE);
  REQUIRE(s >= 0);
  const uint64_t *ev = synack_stack_counters(fx->st)->events;
  synack_time_t t = fx->now;
  fx_check_rc(fx_send(fx, s, 10 * M, 0), 10 * M);
  for (uint32_t i = 0; i < 10; i++) fx_expect(fx, FX_A, SEG(i), 1, .len = M);
  for (int i = 0; i < 3; i++) fx_inject(fx, t + SYNACK_MS(50 + i), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .check_tos = true, .tos = 0); /* fast retransmit, not ECT */
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 5);
  fx_inject(fx, t + SYNACK_MS(53), FX_A | ECE, 1, 1); /* a fourth duplicate, with ECE */
  fx_inject(fx, t + SYNACK_MS(60), FX_A | ECE, 1, SEG(5)); /* partial ACK with ECE */
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], 0);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 5);
  fx_flush_output(fx);
  fx_inject(fx, t + SYNACK_MS(70), FX_A, 1, SEG(10)); /* recovery over */
  fx_flush_output(fx);
  fx_check_rc(fx_send(fx, s, M, 10 * M), M);
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .psh_exact = false, .check_tos = true, .tos = ECT0);
  /* ECE for data sent after the reduction: an ECN reduction now, CWR on the next new data. */
  fx_inject(fx, t + SYNACK_MS(120), FX_A | ECE, 1, SEG(11));
  CHECK_EQ_U(ev[SYNACK_CTR_TCP_ECN_REDUCTIONS], 1);
  fx_check_rc(fx_send(fx, s, M, 11 * M), M);
  fx_expect(fx, FX_A | CWR, SEG(11), 1, .len = M, .check_tos = true, .tos = ECT0);
  fx_free(fx);
}

/* CWR rides on the next new data even when it is sent much later. */
static void cwr_waits_for_new_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_on);
  REQUIRE(fx);
  int s = active_open(fx, true, ECE);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 4 * M, 0), 4 * M);
  for (uint32_t i = 0; i < 4; i++) fx_expect(fx, FX_A, SEG(i), 1, .len = M);
  fx_inject(fx, fx->now + SYNACK_MS(50), FX_A | ECE, 1, SEG(4));
  fx_expect_none(fx);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ECN_REDUCTIONS], 1);
  /* The peer's data is acknowledged by a pure ACK without CWR. */
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_PA, 1, SEG(4), .len = 10);
  fx_expect(fx, FX_A, SEG(4), 11, .t = fx->now + SYNACK_MS(40), .psh_exact = true);
  fx_check_rc(fx_send(fx, s, 100, 4 * M), 100);
  fx_expect(fx, FX_A | CWR, SEG(4), 11, .len = 100, .check_tos = true, .tos = ECT0);
  fx_check_rc(fx_send(fx, s, 100, 4 * M + 100), 100);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 11, SEG(4) + 100);
  fx_expect(fx, FX_A, SEG(4) + 100, 11, .len = 100, .check_tos = true, .tos = ECT0);
  fx_free(fx);
}

/* cfg.tcp_ecn_linux (docs/linux-differences.md 69). */
static void ecn_linux(synack_config_t *c) {
  ecn_on(c);
  c->tcp_ecn_linux = true;
}

/* Linux's tcp_ecn_fallback: the retransmitted SYN asks for ECN no more, an ECN-setup SYN-ACK
 * still turns it on, and the SYN's timeout queues CWR for the first data segment. */
static void linux_syn_retransmission_plain(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_linux);
  REQUIRE(fx);
  int s = start_connect(fx);
  REQUIRE(s >= 0);
  fx_expect(fx, FX_S | ECE | CWR, 0, 0, .psh_exact = true, .t = 0);
  fx_expect(fx, FX_S, 0, 0, .psh_exact = true, .t = SYNACK_SEC(1));
  fx_inject(fx, SYNACK_SEC(1) + SYNACK_MS(10), FX_SA | ECE, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .psh_exact = true, .check_tos = true, .tos = 0);
  CHECK(ecn_in_use(fx, s));
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_A | CWR, 1, 1, .len = 100, .check_tos = true, .tos = ECT0);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 1, 101);
  fx_check_rc(fx_send(fx, s, 100, 100), 100);
  fx_expect(fx, FX_A, 101, 1, .len = 100, .check_tos = true, .tos = ECT0);
  fx_free(fx);
}

/* An ECT-marked ECN-setup SYN (RFC 3168 §6.1.1 forbids ECT on SYNs) gets no ECN. */
static void linux_ect_syn_declined(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_linux);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, 0, FX_S | ECE | CWR, 0, 0, .tos = ECT0);
  fx_expect(fx, FX_SA, 0, 1, .psh_exact = true);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, ecn_on); /* without the switch: ECN-setup SYN-ACK */
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, 0, FX_S | ECE | CWR, 0, 0, .tos = ECT0);
  fx_expect(fx, FX_SA | ECE, 0, 1, .psh_exact = true);
  fx_free(fx);
}

/* Linux's CWR state: the ACK carrying ECE reduces first, and the window does not grow until
 * an ACK passes the data that was outstanding at the reduction. */
static void linux_no_growth_in_cwr(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, ecn_linux);
  REQUIRE(fx);
  int s = active_open(fx, true, ECE);
  REQUIRE(s >= 0);
  synack_time_t t = fx->now;
  fx_check_rc(fx_send(fx, s, 20 * M, 0), 20 * M);
  for (uint32_t i = 0; i < 10; i++) fx_expect(fx, FX_A, SEG(i), 1, .len = M, .psh_exact = false);
  fx_expect_none(fx);
  fx_inject(fx, t + SYNACK_MS(50), FX_A | ECE, 1, SEG(2));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 4);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 4);
  fx_inject(fx, t + SYNACK_MS(51), FX_A, 1, SEG(6));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 4); /* without the switch: 5 */
  fx_inject(fx, t + SYNACK_MS(52), FX_A, 1, SEG(10)); /* SND.MAX of the reduction: still CWR */
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 4);
  fx_expect(fx, FX_A | CWR, SEG(10), 1, .len = M, .psh_exact = false, .check_tos = true, .tos = ECT0);
  for (uint32_t i = 11; i < 14; i++) fx_expect(fx, FX_A, SEG(i), 1, .len = M, .psh_exact = false);
  fx_expect_none(fx);
  fx_inject(fx, t + SYNACK_MS(100), FX_A, 1, SEG(14)); /* beyond it: growth again */
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 5);
  fx_free(fx);
}

TH_MAIN(TH_CASE(negotiate_active), TH_CASE(negotiate_passive), TH_CASE(negotiate_with_retransmissions),
        TH_CASE(cookie_synack_declines_ecn), TH_CASE(ect_only_on_new_data), TH_CASE(window_probe_not_ect), TH_CASE(ect_ipv6_traffic_class),
        TH_CASE(receiver_echoes_ce_until_cwr), TH_CASE(no_ecn_ignores_marks), TH_CASE(sender_reduces_once_per_window), TH_CASE(ece_during_loss_recovery_ignored),
        TH_CASE(cwr_waits_for_new_data), TH_CASE(linux_syn_retransmission_plain), TH_CASE(linux_ect_syn_declined),
        TH_CASE(linux_no_growth_in_cwr))
