/* Initial sequence numbers per RFC 6528, observed on the wire: ISN = M + F(4-tuple, secret),
 * M a 4-microsecond clock. One 4-tuple advances with time; different 4-tuples (or secrets)
 * are unrelated. Issue 3, "Opening". */
#include "harness.h"
#include "tcpfix.h"

/* The ISN of a SYN sent from local port lport to the peer's port rport at time t. */
static uint32_t isn_at(fx_t *fx, synack_time_t t, uint16_t lport, uint16_t rport) {
  fx_advance(fx, t);
  int s = synack_socket(fx->st, fx->family);
  synack_endpoint_t me, rem;
  fx_endpoint(fx, &me, false, lport);
  fx_endpoint(fx, &rem, true, rport);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_SO_REUSEADDR, 1) == 0);
  CHECK(synack_bind(fx->st, s, &me) == 0);
  CHECK_EQ_I(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  fx_frame_t f;
  synack_dissect_t d;
  uint32_t isn = 0;
  if (fx_pop_tcp(fx, &f, &d)) {
    CHECK(d.tcp.flags == FX_S);
    CHECK_EQ_U(d.tcp.src_port, lport);
    isn = d.tcp.seq;
    free(f.buf);
  } else {
    CHECK(!"no SYN");
  }
  CHECK(synack_abort(fx->st, fx->now, s) == 0);
  fx_flush_output(fx);
  return isn;
}

static void same_tuple_advances_with_time(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  uint32_t a = isn_at(fx, SYNACK_SEC(1), 50000, 80);
  uint32_t b = isn_at(fx, SYNACK_SEC(2), 50000, 80);
  uint32_t c = isn_at(fx, SYNACK_SEC(2) + 400, 50000, 80);
  /* 1 s = 250,000 ticks of 4 us; 400 us = 100 ticks */
  CHECK_EQ_U(b - a, 250000u);
  CHECK_EQ_U(c - b, 100u);
  fx_free(fx);
}

static bool far_apart(uint32_t x, uint32_t y) {
  uint32_t d = x - y;
  return d > 1000000u && d < 0u - 1000000u;
}

static void different_tuples_unrelated(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  synack_time_t t = SYNACK_SEC(1);
  uint32_t base = isn_at(fx, t, 50000, 80);
  uint32_t other_lport = isn_at(fx, t, 50001, 80);
  uint32_t other_rport = isn_at(fx, t, 50000, 81);
  CHECK(far_apart(base, other_lport));
  CHECK(far_apart(base, other_rport));
  CHECK(far_apart(other_lport, other_rport));
  /* 16 tuples at one instant: no two within 2^20 of each other (a clock-only ISN fails this) */
  uint32_t v[16];
  for (int k = 0; k < 16; k++) v[k] = isn_at(fx, t, (uint16_t)(51000 + k), 80);
  int close_pairs = 0;
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < i; j++) close_pairs += !far_apart(v[i], v[j]);
  CHECK(close_pairs <= 1);
  fx_free(fx);
}

/* Under the deterministic opt-in the secret comes from the seed: two seeds, same 4-tuple and
 * time, unrelated ISNs; the same seed replays exactly (what the simulator relies on). */
static void different_secrets_unrelated(void) {
  synack_config_t c1, c2;
  fx_config(&c1, SYNACK_AF_INET);
  fx_config(&c2, SYNACK_AF_INET);
  synack_config_deterministic(&c1, 11);
  synack_config_deterministic(&c2, 12);
  fx_t *a = fx_new_cfg(SYNACK_AF_INET, &c1), *b = fx_new_cfg(SYNACK_AF_INET, &c2);
  REQUIRE(a && b);
  uint32_t ia = isn_at(a, SYNACK_SEC(1), 50000, 80), ib = isn_at(b, SYNACK_SEC(1), 50000, 80);
  CHECK(far_apart(ia, ib));
  /* and the same seed replays exactly */
  fx_t *a2 = fx_new_cfg(SYNACK_AF_INET, &c1);
  REQUIRE(a2);
  CHECK_EQ_U(isn_at(a2, SYNACK_SEC(1), 50000, 80), ia);
  fx_free(a);
  fx_free(b);
  fx_free(a2);
}

/* Stacks for a real network take their secret from the OS (cfg.random): two of them built
 * from the same configuration send SYNs with unrelated sequence numbers on the wire, and
 * SYN-ACKs too. A constant default seed would make them equal. */
static void os_secret_stacks_unrelated(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.random = synack_random_os;
  fx_t *a = fx_new_cfg(SYNACK_AF_INET, &c), *b = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(a && b);
  CHECK(far_apart(isn_at(a, SYNACK_SEC(1), 50000, 80), isn_at(b, SYNACK_SEC(1), 50000, 80)));
  fx_free(a);
  fx_free(b);
  uint32_t sa[2];
  for (int i = 0; i < 2; i++) {
    fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
    REQUIRE(fx);
    REQUIRE(fx_listen(fx, 8) >= 0);
    fx_inject(fx, SYNACK_SEC(1), FX_S, 0, 0);
    fx_expect(fx, FX_SA, 0, 1);
    sa[i] = fx->isn;
    fx_free(fx);
  }
  CHECK(far_apart(sa[0], sa[1]));
}

/* The passive side's ISN (in the SYN-ACK) follows the same rule. */
static void passive_isn_advances(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, SYNACK_SEC(1), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  uint32_t i1 = fx->isn;
  fx_inject(fx, SYNACK_SEC(1) + SYNACK_MS(1), FX_R, 1, 0); /* drop the half-open entry */
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_inject(fx, SYNACK_SEC(3), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  CHECK_EQ_U(fx->isn - i1, 500000u);
  fx_free(fx);
}

static void ipv6_isn_advances(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, NULL);
  REQUIRE(fx);
  uint32_t a = isn_at(fx, SYNACK_SEC(1), 50000, 80);
  uint32_t b = isn_at(fx, SYNACK_SEC(5), 50000, 80);
  CHECK_EQ_U(b - a, 1000000u);
  CHECK(far_apart(a, isn_at(fx, SYNACK_SEC(5), 50002, 80)));
  fx_free(fx);
}

TH_MAIN(TH_CASE(same_tuple_advances_with_time), TH_CASE(different_tuples_unrelated),
        TH_CASE(different_secrets_unrelated), TH_CASE(os_secret_stacks_unrelated), TH_CASE(passive_isn_advances), TH_CASE(ipv6_isn_advances))
