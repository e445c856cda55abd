/* Retransmission timeout (RFC 6298): the exponential backoff sequence with its cap, the retry
 * limit ending in ETIMEDOUT, TCP_USER_TIMEOUT, and Karn's rule (no RTT sample from a
 * retransmitted segment when timestamps are off). */
#include "harness.h"
#include "tcpfix.h"

static void backoff_cfg(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_rto_min_ms = 1000; /* RFC 6298 §2.4: the RFC's own minimum, so the RTO is exactly 1 s */
  c->tcp_rto_max_ms = 10000;
  c->tcp_retries2 = 6;
}

/* 1, 2, 4, 8 s, then capped at 10 s; the 7th expiry gives up with ETIMEDOUT. */
static void rto_backoff_sequence_and_etimedout(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, backoff_cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).rto_us, SYNACK_SEC(1));
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  const synack_time_t at[] = { SYNACK_SEC(1), SYNACK_SEC(3), SYNACK_SEC(7), SYNACK_SEC(15), SYNACK_SEC(25), SYNACK_SEC(35) };
  for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
    fx_expect_none_until(fx, at[i] - 1);
    fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = at[i]);
    synack_tcp_info_t ti = fx_info(fx, s);
    CHECK_EQ_U(ti.retransmits, i + 1);
    CHECK_EQ_U(ti.backoff, i + 1);
    CHECK_EQ_U(ti.snd_cwnd, 1);
  }
  fx_expect_none_until(fx, SYNACK_SEC(45) - 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_expect_none_until(fx, SYNACK_SEC(45));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_check_rc(fx_send(fx, s, 10, 0), -SYNACK_ETIMEDOUT);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TIMEOUTS], 1);
  fx_free(fx);
}

/* An ACK restarts the backoff: the next loss starts again at the base RTO. */
static void ack_resets_backoff(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, backoff_cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_SEC(1));
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_SEC(3));
  fx_inject(fx, SYNACK_MS(3100), FX_A, 1, 101);
  CHECK_EQ_U(fx_info(fx, s).backoff, 0);
  fx_check_rc(fx_send(fx, s, 50, 100), 50);
  fx_expect(fx, FX_PA, 101, 1, .len = 50, .t = SYNACK_MS(3100));
  fx_expect(fx, FX_PA, 101, 1, .len = 50, .t = SYNACK_MS(3100) + fx_info(fx, s).rto_us);
  fx_free(fx);
}

static void user_timeout_cfg(synack_config_t *c) {
  backoff_cfg(c);
  c->tcp_retries2 = 15;
}

/* A user timeout of 5 s, data retransmitted at 1 s and 3 s, then silence: the connection is
 * still open just before `end` and closed with ETIMEDOUT at it. */
static void user_timeout_ends_at(void (*cfg)(synack_config_t *), synack_time_t end) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_USER_TIMEOUT, 5000), 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_SEC(1));
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_SEC(3));
  fx_expect_none_until(fx, end - 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_expect_none_until(fx, end);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

/* TCP_USER_TIMEOUT (RFC 5482): give up once the data has been retransmitted for that long:
 * at the 7 s RTO the first retransmission is 6 s old, over the 5 s limit. */
static void user_timeout_ends_connection(void) { user_timeout_ends_at(user_timeout_cfg, SYNACK_SEC(7)); }

static void karn_cfg(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_rto_min_ms = 100;
}

/* RFC 6298 §3 (Karn): without timestamps the ACK of a retransmitted segment gives no sample;
 * the next segment sent once does. */
static void karn_no_sample_from_retransmission(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, karn_cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_tcp_info_t ti = fx_info(fx, s);
  uint32_t srtt0 = ti.rtt_us, var0 = ti.rttvar_us;
  synack_time_t rto = ti.rto_us;
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = rto);
  fx_advance(fx, SYNACK_SEC(2));
  fx_flush_output(fx); /* later backed-off retransmissions */
  /* The ACK comes 2 s after the first transmission: ambiguous, not sampled. */
  fx_inject(fx, SYNACK_SEC(2), FX_A, 1, 101);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.rtt_us, srtt0);
  CHECK_EQ_U(ti.rttvar_us, var0);
  CHECK_EQ_U(ti.backoff, 0);
  /* A segment sent once and ACKed 50 ms later (before its 100 ms RTO) is sampled
   * (RFC 6298 §2.2/2.3). */
  fx_check_rc(fx_send(fx, s, 100, 100), 100);
  fx_expect(fx, FX_PA, 101, 1, .len = 100, .t = SYNACK_SEC(2));
  fx_inject(fx, SYNACK_SEC(2) + SYNACK_MS(50), FX_A, 1, 201);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.unacked, 0);
  if (srtt0 == 0) {
    CHECK_EQ_U(ti.rtt_us, 50000);
    CHECK_EQ_U(ti.rttvar_us, 25000);
  } else {
    uint32_t d = srtt0 > 50000 ? srtt0 - 50000 : 50000 - srtt0;
    CHECK_EQ_U(ti.rttvar_us, (3 * var0 + d) / 4);
    CHECK_EQ_U(ti.rtt_us, (7 * srtt0 + 50000) / 8);
  }
  uint32_t want = ti.rtt_us + 4 * ti.rttvar_us;
  CHECK_EQ_U(ti.rto_us, want > 100000 ? want : 100000); /* RFC 6298 §2.4, tcp_rto_min_ms */
  fx_free(fx);
}

/* With timestamps, the echoed TSval times even a retransmission (RFC 7323 §4.1): the ACK of the
 * retransmission at 1 s + 40 ms yields a 40 ms sample. */
static void timestamps_sample_retransmissions(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, karn_cfg);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_TS;
  fx->ts_on = true;
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(500));
  synack_tcp_info_t t0 = fx_info(fx, s);
  synack_time_t rto = t0.rto_us;
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_MS(500));
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = SYNACK_MS(500) + rto);
  fx_inject(fx, SYNACK_MS(540) + rto, FX_A, 1, 101);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.rtt_us, t0.rtt_us ? (7 * t0.rtt_us + 40000) / 8 : 40000);
  fx_free(fx);
}

/* A path faster than the timestamp's 1 ms tick, with SACK (so the transmit log exists): the
 * sample is the time since the data was sent, in microseconds (RFC 6298 §3), not the echoed
 * TSval's 0 ms (before: 1 us samples, and a 1000 us one whenever a tick passed in between).
 * An ACK covering a retransmission falls back to the timestamp (Karn for the log's sample;
 * RFC 7323 §4.1 allows the echo). */
static void transmit_log_samples_below_a_tick(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, karn_cfg);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_SACK_PERM;
  fx->ts_on = true;
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_time_t t = SYNACK_MS(500);
  fx_advance(fx, t);
  synack_tcp_info_t ti = fx_info(fx, s);
  uint32_t off = 0;
  for (int i = 0; i < 3; i++, t += SYNACK_MS(10), off += 100) {
    uint32_t srtt0 = ti.rtt_us, var0 = ti.rttvar_us, r = 300u - 50u * (uint32_t)i; /* 300, 250, 200 us */
    fx_advance(fx, t);
    fx_check_rc(fx_send(fx, s, 100, off), 100);
    fx_expect(fx, FX_PA, 1 + off, 1, .len = 100, .t = t);
    fx_inject(fx, t + r, FX_A, 1, 101 + off);
    ti = fx_info(fx, s);
    if (srtt0 == 0) {
      CHECK_EQ_U(ti.rtt_us, r);
      CHECK_EQ_U(ti.rttvar_us, r / 2);
    } else {
      uint32_t d = srtt0 > r ? srtt0 - r : r - srtt0;
      CHECK_EQ_U(ti.rttvar_us, (3 * var0 + d) / 4);
      CHECK_EQ_U(ti.rtt_us, (7 * srtt0 + r) / 8);
    }
  }
  /* A retransmission ACKed 40 ms after it: the log's range is retransmitted, the echo of its
   * TSval (sent at the retransmission) gives 40 ms. */
  synack_tcp_info_t t0 = ti;
  fx_advance(fx, t);
  fx_check_rc(fx_send(fx, s, 100, off), 100);
  fx_expect(fx, FX_PA, 1 + off, 1, .len = 100, .t = t);
  fx_expect(fx, FX_PA, 1 + off, 1, .len = 100, .t = t + t0.rto_us);
  fx_inject(fx, t + t0.rto_us + SYNACK_MS(40), FX_A, 1, 101 + off);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.rtt_us, (7 * t0.rtt_us + 40000) / 8);
  fx_free(fx);
}

/* cfg.tcp_timeout_linux (tcp_clamp_rto_to_user_timeout): the backed-off RTO is cut short so
 * that the connection ends when the user timeout runs out, 5 s after the first retransmission
 * (at 6 s, not at the 7 s RTO). */
static void user_timeout_linux_cfg(synack_config_t *c) {
  user_timeout_cfg(c);
  c->tcp_timeout_linux = true;
}
static void user_timeout_linux_clamps_rto(void) { user_timeout_ends_at(user_timeout_linux_cfg, SYNACK_SEC(6)); }

/* cfg.tcp_timeout_linux (tcp_probe_timer, tcp_clamp_probe0_to_user_timeout): zero-window
 * probing ends when the user timeout has passed since the first probe, answered or not. */
static void user_timeout_linux_zero_window(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, user_timeout_linux_cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_USER_TIMEOUT, 2500), 0);
  fx_inject(fx, 0, FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_A, 1, 1, .len = 1, .t = SYNACK_SEC(1)); /* first probe, at the RTO */
  fx_inject(fx, SYNACK_MS(1010), FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_expect(fx, FX_A, 1, 1, .len = 1, .t = SYNACK_SEC(3));
  fx_inject(fx, SYNACK_MS(3010), FX_A, 1, 1, .win = FX_WIN_ZERO);
  fx_expect_none_until(fx, SYNACK_MS(3500) - 1); /* next probe due at 7 s, cut to 3.5 s */
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_expect_none_until(fx, SYNACK_MS(3500));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

TH_MAIN(TH_CASE(user_timeout_linux_clamps_rto), TH_CASE(user_timeout_linux_zero_window),
        TH_CASE(rto_backoff_sequence_and_etimedout), TH_CASE(ack_resets_backoff), TH_CASE(user_timeout_ends_connection),
        TH_CASE(karn_no_sample_from_retransmission), TH_CASE(timestamps_sample_retransmissions),
        TH_CASE(transmit_log_samples_below_a_tick))
