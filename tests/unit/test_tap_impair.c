/* The real-link impairments (src/drivers/tap/impair.c): determinism for a seed, scripted rules
 * with the simulator's matcher, delay and reordering on the given clock, corruption, MTU. */
#include <synack/synack.h>
#include <synack/tap.h>

#include "harness.h"

/* An Ethernet/IPv4/TCP frame with the given flags; byte 60 carries an id. */
static size_t tcp_frame(uint8_t *f, uint8_t flags, uint8_t id) {
  memset(f, 0, 64);
  f[12] = 0x08;
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 50; /* IP total length: 20 + 20 + 10 */
  f[22] = 64;
  f[23] = 6;
  f[14 + 20 + 12] = 5 << 4;
  f[14 + 20 + 13] = flags;
  f[60] = id;
  return 64;
}

typedef struct {
  uint8_t ids[4096];
  unsigned flags[4096];
  uint8_t last[64];
  size_t n;
} sink_t;

static void sink(void *user, const uint8_t *f, size_t len, unsigned flags) {
  sink_t *s = user;
  if (s->n < sizeof s->ids) {
    s->ids[s->n] = len > 60 ? f[60] : 0xff;
    s->flags[s->n] = flags;
  }
  memcpy(s->last, f, len < sizeof s->last ? len : sizeof s->last);
  s->n++;
}

static void run(uint64_t seed, sink_t *s, synack_impair_stats_t *st) {
  synack_sim_link_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.loss = 0.2;
  cfg.dup = 0.1;
  synack_impair_t *im = synack_impair_new(&cfg, seed);
  memset(s, 0, sizeof *s);
  uint8_t f[64];
  for (int i = 0; i < 1000; i++) {
    tcp_frame(f, 0x10, (uint8_t)i);
    synack_impair_push(im, (synack_time_t)i, f, sizeof f, 0, sink, s);
  }
  *st = *synack_impair_stats(im);
  synack_impair_free(im);
}

static void test_same_seed_same_decisions(void) {
  static sink_t a, b, c;
  synack_impair_stats_t sa, sb, sc;
  run(7, &a, &sa);
  run(7, &b, &sb);
  run(8, &c, &sc);
  CHECK_EQ_U(a.n, b.n);
  CHECK_MEM(a.ids, b.ids, a.n < sizeof a.ids ? a.n : sizeof a.ids);
  CHECK(a.n != c.n || memcmp(a.ids, c.ids, a.n) != 0);
  CHECK_EQ_U(sa.in, 1000);
  CHECK_EQ_U(sa.lost + (a.n - sa.duplicated), 1000); /* every frame lost or delivered (dups extra) */
  CHECK(sa.lost > 150 && sa.lost < 250);               /* 20 % of 1000, loosely */
  CHECK(sa.duplicated > 50 && sa.duplicated < 130);
}

static void test_rule_drops_the_nth_match_only(void) {
  synack_impair_t *im = synack_impair_new(NULL, 1);
  synack_sim_rule_t r;
  memset(&r, 0, sizeof r);
  r.tcp_only = true;
  r.tcp_flags_mask = 0x12;
  r.tcp_flags_value = 0x12; /* SYN-ACK */
  r.payload = -1;
  r.nth = 2;
  r.count = 1;
  r.action = SYNACK_SIM_DROP;
  CHECK_EQ_I(synack_impair_add_rule(im, &r), 0);
  CHECK(synack_impair_active(im));
  static sink_t s;
  memset(&s, 0, sizeof s);
  uint8_t f[64];
  const uint8_t flags[5] = { 0x12, 0x10, 0x12, 0x02, 0x12 };
  for (int i = 0; i < 5; i++) {
    tcp_frame(f, flags[i], (uint8_t)i);
    synack_impair_push(im, 0, f, sizeof f, 0, sink, &s);
  }
  REQUIRE(s.n == 4);
  const uint8_t want[4] = { 0, 1, 3, 4 }; /* the second SYN-ACK (frame 2) is gone */
  CHECK_MEM(s.ids, want, 4);
  CHECK_EQ_U(synack_impair_stats(im)->dropped_rule, 1);
  synack_impair_free(im);
}

static void test_delay_holds_until_the_deadline(void) {
  synack_sim_link_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.delay_us = 10000;
  synack_impair_t *im = synack_impair_new(&cfg, 1);
  static sink_t s;
  memset(&s, 0, sizeof s);
  uint8_t f[64];
  tcp_frame(f, 0x10, 1);
  synack_impair_push(im, 1000, f, sizeof f, SYNACK_TAP_F_CSUM_VALID, sink, &s);
  CHECK_EQ_U(s.n, 0);
  CHECK_EQ_U(synack_impair_next_deadline(im), 11000);
  CHECK_EQ_U(synack_impair_release(im, 10999, sink, &s), 0);
  CHECK_EQ_U(synack_impair_release(im, 11000, sink, &s), 1);
  CHECK_EQ_U(s.ids[0], 1);
  CHECK_EQ_U(s.flags[0], SYNACK_TAP_F_CSUM_VALID); /* offload state travels with the frame */
  CHECK_EQ_U(synack_impair_next_deadline(im), SYNACK_TIME_NEVER);
  synack_impair_free(im);
}

static void test_held_frame_is_overtaken(void) {
  /* A DELAY rule holds the first frame 5 ms; the second, due at once, overtakes it. */
  synack_impair_t *im = synack_impair_new(NULL, 1);
  synack_sim_rule_t r;
  memset(&r, 0, sizeof r);
  r.payload = -1;
  r.nth = 1;
  r.count = 1;
  r.action = SYNACK_SIM_DELAY;
  r.delay_us = 5000;
  synack_impair_add_rule(im, &r);
  static sink_t s;
  memset(&s, 0, sizeof s);
  uint8_t f[64];
  tcp_frame(f, 0x10, 1);
  synack_impair_push(im, 0, f, sizeof f, 0, sink, &s);
  tcp_frame(f, 0x10, 2);
  synack_impair_push(im, 0, f, sizeof f, 0, sink, &s);
  synack_impair_release(im, 0, sink, &s);
  REQUIRE(s.n == 1);
  CHECK_EQ_U(s.ids[0], 2);
  synack_impair_release(im, 5000, sink, &s);
  REQUIRE(s.n == 2);
  CHECK_EQ_U(s.ids[1], 1);
  synack_impair_free(im);
}

static void test_corruption_flips_one_bit_and_drops_trust(void) {
  synack_sim_link_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.corrupt = 1.0;
  synack_impair_t *im = synack_impair_new(&cfg, 3);
  CHECK(synack_impair_corrupts(im));
  static sink_t s;
  memset(&s, 0, sizeof s);
  uint8_t f[64];
  tcp_frame(f, 0x10, 9);
  synack_impair_push(im, 0, f, sizeof f, SYNACK_TAP_F_CSUM_VALID, sink, &s);
  REQUIRE(s.n == 1);
  CHECK_EQ_U(s.flags[0], 0);
  int bits = 0;
  for (size_t i = 0; i < sizeof f; i++) bits += __builtin_popcount((unsigned)(f[i] ^ s.last[i]));
  CHECK_EQ_I(bits, 1);
  CHECK_MEM(s.last, f, 14); /* never in the Ethernet header */
  synack_impair_free(im);
}

static void test_mtu_drops_larger_frames(void) {
  synack_sim_link_cfg_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.mtu = 63;
  synack_impair_t *im = synack_impair_new(&cfg, 1);
  static sink_t s;
  memset(&s, 0, sizeof s);
  uint8_t f[64];
  tcp_frame(f, 0x10, 1);
  synack_impair_push(im, 0, f, 64, 0, sink, &s);
  synack_impair_push(im, 0, f, 63, 0, sink, &s);
  CHECK_EQ_U(s.n, 1);
  CHECK_EQ_U(synack_impair_stats(im)->dropped_mtu, 1);
  synack_impair_free(im);
}

static void test_inactive_by_default(void) {
  synack_impair_t *im = synack_impair_new(NULL, 1);
  CHECK(!synack_impair_active(im));
  CHECK(!synack_impair_corrupts(im));
  synack_impair_free(im);
}

TH_MAIN(TH_CASE(test_same_seed_same_decisions), TH_CASE(test_rule_drops_the_nth_match_only),
        TH_CASE(test_delay_holds_until_the_deadline), TH_CASE(test_held_frame_is_overtaken),
        TH_CASE(test_corruption_flips_one_bit_and_drops_trust), TH_CASE(test_mtu_drops_larger_frames),
        TH_CASE(test_inactive_by_default))
