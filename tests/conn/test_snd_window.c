/* Sending within the peer's window: zero-window probes with exponential backoff that never give
 * up while the peer answers (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17), give up when it falls
 * silent; Nagle holding a small write until the ACK and TCP_NODELAY (RFC 9293 §3.7.4); sender
 * SWS avoidance (RFC 9293 §3.8.6.2.1); segmentation by the effective MSS with timestamps. */
#include "harness.h"
#include "tcpfix.h"
#include "synack/sim.h"

static void cfg_hook(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_retries2 = 3;
}

/* The peer closes its window; data waits; probes at RTO, then 2, 4, 8... RTO apart (capped by
 * tcp_rto_max_ms). The peer ACKs each probe with window 0: more probes than tcp_retries2, the
 * connection stays. When the window opens, the data goes. */
static void zero_window_probe_schedule(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_check_rc(fx_send(fx, s, 1000, 0), 1000);
  fx_expect_none(fx);
  synack_time_t R = fx_info(fx, s).rto_us, t = SYNACK_MS(10);
  for (uint32_t k = 0; k < 8; k++) {
    synack_time_t next = t + (R << k);
    fx_expect_none_until(fx, next - 1);
    /* The probe: one byte beyond the window, always the first unacknowledged byte. */
    fx_expect(fx, FX_A, 1, 1, .len = 1, .t = next);
    fx_expect_none(fx);
    fx_inject(fx, next + SYNACK_MS(5), FX_A, 1, 1, .win = FX_WIN_ZERO);
    fx_expect_none(fx);
    t = next;
  }
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(fx_info(fx, s).backoff, 8);
  /* The window opens: everything goes, from the first byte. */
  fx_inject(fx, t + SYNACK_MS(10), FX_A, 1, 1, .win = 4000);
  fx_expect(fx, FX_PA, 1, 1, .len = 1000, .t = t + SYNACK_MS(10));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).backoff, 0);
  fx_inject(fx, t + SYNACK_MS(20), FX_A, 1, 1001);
  fx_expect_none_until(fx, t + SYNACK_SEC(300));
  fx_free(fx);
}

/* A peer that stops answering the probes is given tcp_retries2 more probes. */
static void zero_window_silent_peer_times_out(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, 0, FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  synack_time_t R = fx_info(fx, s).rto_us, t = 0;
  for (uint32_t k = 0; k < 4; k++) {
    t += R << k;
    fx_expect(fx, FX_A, 1, 1, .len = 1, .t = t);
  }
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_expect_none_until(fx, t + (R << 4));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

/* Nagle: with data in flight a small write waits for the ACK; TCP_NODELAY sends it at once. */
static void nagle_holds_small_write_until_ack(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0); /* nothing in flight: sent at once */
  fx_advance(fx, SYNACK_MS(5));
  fx_check_rc(fx_send(fx, s, 50, 100), 50);
  fx_check_rc(fx_send(fx, s, 30, 150), 30);
  fx_expect_none_until(fx, SYNACK_MS(40)); /* held */
  fx_inject(fx, SYNACK_MS(40), FX_A, 1, 101);
  fx_expect(fx, FX_PA, 101, 1, .len = 80, .t = SYNACK_MS(40)); /* both writes in one segment */
  fx_expect_none(fx);
  /* A full-sized segment is never held. */
  fx_check_rc(fx_send(fx, s, 1460, 180), 1460);
  fx_expect(fx, FX_A, 181, 1, .len = 1460, .t = SYNACK_MS(40));
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(80), FX_A, 1, 1641);
  /* TCP_NODELAY: the second small write goes out with the first still unacknowledged. */
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0);
  fx_check_rc(fx_send(fx, s, 10, 1640), 10);
  fx_expect(fx, FX_PA, 1641, 1, .len = 10, .t = SYNACK_MS(80));
  fx_check_rc(fx_send(fx, s, 10, 1650), 10);
  fx_expect(fx, FX_PA, 1651, 1, .len = 10, .t = SYNACK_MS(80));
  fx_expect_none(fx);
  fx_free(fx);
}

/* Sender SWS avoidance: a window that opens by a few bytes while data is in flight is not filled
 * with a tiny segment; once half the peer's largest window (or an MSS) fits, data goes. */
static void sender_sws_avoidance(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 8000, 0), 8000);
  /* Peer window 65535: five full segments and a tail of 700 (Nagle: nothing in flight? no -
   * the tail is pushed data with segments in flight: held). */
  for (uint32_t i = 0; i < 5; i++) fx_expect(fx, FX_A, 1 + i * 1460, 1, .len = 1460);
  fx_expect_none(fx);
  /* The peer acknowledges 2 segments but its window shrinks to 3000: 3 segments are in flight
   * (4380 > 3000): nothing can be sent. */
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 2921, .win = 3000);
  fx_expect_none(fx);
  /* 200 bytes of window open up: less than an MSS and less than half the largest window. */
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, 2921, .win = 4580);
  fx_expect_none(fx);
  /* The rest is ACKed with a real window: the tail goes (all of it fits). */
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 7301, .win = 20000);
  fx_expect(fx, FX_PA, 7301, 1, .len = 700, .t = SYNACK_MS(30));
  fx_expect_none(fx);
  fx_free(fx);
}

/* With timestamps the segment carries 12 option bytes: MSS 1460 → 1448 bytes of data. */
static void segments_sized_by_effective_mss(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_TS;
  fx->ts_on = true;
  fx->peer_syn.mss = 1000; /* the peer's MSS below the route's */
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 988);
  fx_check_rc(fx_send(fx, s, 2500, 0), 2500);
  fx_expect(fx, FX_A, 1, 1, .len = 988, .layout = "nop,nop,TS");
  fx_expect(fx, FX_A, 989, 1, .len = 988);
  fx_expect_none(fx); /* Nagle: the 524-byte tail waits for the ACK */
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1977);
  fx_expect(fx, FX_PA, 1977, 1, .len = 524, .t = SYNACK_MS(10), .layout = "nop,nop,TS");
  fx_expect_none(fx);
  fx_free(fx);
}

static void pair_hook(synack_config_t *c, int which) {
  (void)which;
  c->tcp_quickack_start = false; /* every ACK of a lone segment is delayed (40 ms) */
}

/* Nagle meets delayed ACK (the classic write-write-read stall) on two stacks over a 5 ms link:
 * the second small write waits for the ACK of the first, which the receiver delays by 40 ms;
 * with TCP_NODELAY it arrives one link delay after the write. *early: bytes the server holds
 * 20 ms after the writes; *late: bytes that arrived between 20 and 60 ms. */
static void write_write(bool nodelay, size_t *early, size_t *late) {
  synack_sim_link_cfg_t lc = { .delay_us = SYNACK_MS(5) };
  *early = *late = 0;
  fx_pair_t *p = fx_pair_new(11, &lc, &lc, pair_hook);
  if (!p) return;
  int l = synack_socket(p->b, SYNACK_AF_INET);
  synack_endpoint_t ep = { .port = 80 };
  if (l < 0 || synack_bind(p->b, l, &ep) != 0 || synack_listen(p->b, l, 4) != 0) goto out;
  int c = synack_socket(p->a, SYNACK_AF_INET);
  synack_endpoint_t rem = { .ip = p->ipb, .port = 80 };
  if (nodelay) synack_setsockopt(p->a, c, SYNACK_TCP_NODELAY, 1);
  synack_connect(p->a, 0, c, &rem);
  synack_sim_flush(p->sim);
  synack_sim_run_until(p->sim, SYNACK_SEC(1));
  synack_endpoint_t who;
  int sv = synack_accept(p->b, l, &who);
  if (sv < 0) goto out;
  uint8_t buf[512];
  memset(buf, 'x', sizeof buf);
  synack_send(p->a, SYNACK_SEC(1), c, buf, 100, 0);
  synack_send(p->a, SYNACK_SEC(1), c, buf, 100, 0);
  synack_sim_flush(p->sim);
  synack_sim_run_until(p->sim, SYNACK_SEC(1) + SYNACK_MS(20));
  int64_t n = synack_recv(p->b, SYNACK_SEC(1) + SYNACK_MS(20), sv, buf, sizeof buf, 0);
  *early = n > 0 ? (size_t)n : 0;
  /* By 60 ms the delayed ACK has released the second write in either case. */
  synack_sim_run_until(p->sim, SYNACK_SEC(1) + SYNACK_MS(60));
  n = synack_recv(p->b, SYNACK_SEC(1) + SYNACK_MS(60), sv, buf, sizeof buf, 0);
  *late = n > 0 ? (size_t)n : 0;
out:
  fx_pair_free(p);
}

static void nagle_and_delayed_ack(void) {
  size_t early, late;
  write_write(false, &early, &late);
  CHECK_EQ_U(early, 100); /* the second write waits for the delayed ACK of the first */
  CHECK_EQ_U(late, 100);
  write_write(true, &early, &late);
  CHECK_EQ_U(early, 200); /* both within one link delay */
  CHECK_EQ_U(late, 0);
}

TH_MAIN(TH_CASE(nagle_and_delayed_ack), TH_CASE(zero_window_probe_schedule), TH_CASE(zero_window_silent_peer_times_out),
        TH_CASE(nagle_holds_small_write_until_ack), TH_CASE(sender_sws_avoidance), TH_CASE(segments_sized_by_effective_mss))
