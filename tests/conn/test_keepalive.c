/* Keepalive (RFC 1122 4.2.3.6): off by default; idle 2 h, interval 75 s, 9 probes when on;
 * a probe carries SEG.SEQ = SND.NXT - 1; live, silent and rebooted peers. Issue 3, test 11. */
#include "harness.h"
#include "tcpfix.h"

/* A probe: ACK, seq SND.NXT-1, ack RCV.NXT, no data or one garbage octet (RFC 1122 allows it). */
static bool expect_probe(fx_t *fx, synack_time_t at) {
  fx_advance(fx, at);
  fx_frame_t f;
  synack_dissect_t d;
  if (!fx_pop_tcp(fx, &f, &d)) {
    fprintf(stderr, "no keepalive probe at %" PRIu64 " us\n", at);
    return false;
  }
  char txt[256];
  bool ok = f.t == at && (d.tcp.flags & (uint8_t)~SYNACK_TCP_PSH) == FX_A && d.tcp.seq == fx->isn + fx->sseq - 1 &&
            d.tcp.ack == fx->peer_isn + fx->pseq && d.tcp.payload_len <= 1;
  if (!ok) fprintf(stderr, "bad keepalive probe (expected at %" PRIu64 "): %s\n", at, fx_format(fx, &f, txt, sizeof txt));
  free(f.buf);
  return ok;
}

static void off_by_default(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  int v = -1;
  CHECK(synack_getsockopt(fx->st, s, SYNACK_SO_KEEPALIVE, &v) == 0);
  CHECK_EQ_I(v, 0);
  fx_expect_none_until(fx, SYNACK_SEC(3 * 3600));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Silent peer with the defaults: probes at 7200 s then every 75 s; after 9 unanswered probes
 * the connection ends with ETIMEDOUT (at 7200 + 9 * 75 s). */
static void silent_peer_defaults(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_SO_KEEPALIVE, 1) == 0);
  uint64_t p0 = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_KEEPALIVE_PROBES];
  fx_expect_none_until(fx, SYNACK_SEC(7200) - 1);
  for (unsigned k = 0; k < 9; k++) CHECK(expect_probe(fx, SYNACK_SEC(7200 + 75 * k)));
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_KEEPALIVE_PROBES] - p0, 9);
  fx_advance(fx, SYNACK_SEC(7200 + 75 * 9) - 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_advance(fx, SYNACK_SEC(7200 + 75 * 9));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  /* at most a RST on the way out */
  fx_frame_t f;
  synack_dissect_t d;
  while (fx_pop_tcp(fx, &f, &d)) {
    CHECK(d.tcp.flags & SYNACK_TCP_RST);
    free(f.buf);
  }
  int err = 1;
  CHECK(synack_getsockopt(fx->st, s, SYNACK_SO_ERROR, &err) == 0);
  fx_free(fx);
}

static void short_keepalive(fx_t *fx, int s) {
  CHECK(synack_setsockopt(fx->st, s, SYNACK_SO_KEEPALIVE, 1) == 0);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, 10) == 0);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPINTVL, 2) == 0);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPCNT, 3) == 0);
}

static void silent_peer_per_socket_settings(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  short_keepalive(fx, s);
  int v = 0;
  CHECK(synack_getsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, &v) == 0);
  CHECK_EQ_I(v, 10);
  fx_expect_none_until(fx, SYNACK_SEC(10) - 1);
  CHECK(expect_probe(fx, SYNACK_SEC(10)));
  CHECK(expect_probe(fx, SYNACK_SEC(12)));
  CHECK(expect_probe(fx, SYNACK_SEC(14)));
  fx_advance(fx, SYNACK_SEC(16) - 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_advance(fx, SYNACK_SEC(16));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

/* Live peer: its ACK of the probe restarts the idle timer. */
static void live_peer(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  short_keepalive(fx, s);
  CHECK(expect_probe(fx, SYNACK_SEC(10)));
  fx_inject(fx, SYNACK_SEC(10) + SYNACK_MS(20), FX_A, 1, 1);
  fx_expect_none_until(fx, SYNACK_SEC(20) + SYNACK_MS(20) - 1);
  CHECK(expect_probe(fx, SYNACK_SEC(20) + SYNACK_MS(20)));
  fx_inject(fx, SYNACK_SEC(20) + SYNACK_MS(40), FX_A, 1, 1);
  fx_advance(fx, SYNACK_SEC(29));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* Traffic counts as activity: received data pushes the first probe back. */
static void data_resets_idle(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  short_keepalive(fx, s);
  fx_inject(fx, SYNACK_SEC(5), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_SEC(5), .within = SYNACK_MS(40));
  fx->pseq = 11;
  fx_expect_none_until(fx, SYNACK_SEC(15) - 1);
  CHECK(expect_probe(fx, SYNACK_SEC(15)));
  fx_free(fx);
}

/* Rebooted peer: it answers the probe with <SEQ=SEG.ACK><CTL=RST>; the connection ends with
 * ECONNRESET. */
static void rebooted_peer(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  short_keepalive(fx, s);
  CHECK(expect_probe(fx, SYNACK_SEC(10)));
  fx_inject(fx, SYNACK_SEC(10) + SYNACK_MS(20), FX_R, 1, 0);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_ERROR);
  CHECK_EQ_I(fx->everr[s], -SYNACK_ECONNRESET);
  fx_expect_none_until(fx, SYNACK_SEC(100));
  fx_free(fx);
}

/* The stack-wide defaults come from the config. The timeout ends the connection silently;
 * with cfg.tcp_timeout_linux (Linux's tcp_keepalive_timer) it sends a RST. */
static void ka_cfg(synack_config_t *c) {
  c->tcp_keepalive_idle_s = 30;
  c->tcp_keepalive_intvl_s = 5;
  c->tcp_keepalive_probes = 2;
}
static void ka_linux_cfg(synack_config_t *c) {
  ka_cfg(c);
  c->tcp_timeout_linux = true;
}
static void config_defaults_used(void) {
  for (int linux_rst = 0; linux_rst < 2; linux_rst++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, linux_rst ? ka_linux_cfg : ka_cfg);
    REQUIRE(fx);
    int s = fx_open_passive(fx);
    REQUIRE(s >= 0);
    CHECK(synack_setsockopt(fx->st, s, SYNACK_SO_KEEPALIVE, 1) == 0);
    CHECK(expect_probe(fx, SYNACK_SEC(30)));
    CHECK(expect_probe(fx, SYNACK_SEC(35)));
    if (linux_rst) fx_expect(fx, FX_R | FX_A, 1, 1, .t = SYNACK_SEC(40), .psh_exact = true);
    else fx_expect_none_until(fx, SYNACK_SEC(40));
    fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
    CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
    fx_free(fx);
  }
}

TH_MAIN(TH_CASE(off_by_default), TH_CASE(silent_peer_defaults), TH_CASE(silent_peer_per_socket_settings),
        TH_CASE(live_peer), TH_CASE(data_resets_idle), TH_CASE(rebooted_peer), TH_CASE(config_defaults_used))
