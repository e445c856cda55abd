/* Path MTU discovery (RFC 1191, RFC 8201) with the quoted sequence number validated (RFC 5927):
 * a valid "fragmentation needed" lowers the MSS and resends the data in flight at once at the
 * new size; one quoting a sequence number outside SND.UNA..SND.MAX is ignored; reports below
 * the floors (576 for IPv4, 1280 for IPv6) are raised to them. */
#include "harness.h"
#include "tcpfix.h"

static void cfg_hook(synack_config_t *c) { c->tcp_cc = SYNACK_CC_NEWRENO; }

static void frag_needed_lowers_mss_and_resends(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 3 * 1460, 0), 3 * 1460);
  for (uint32_t i = 0; i < 3; i++) fx_expect(fx, FX_A, 1 + i * 1460, 1, .len = 1460);
  /* A router with MTU 1000 reports the first segment: MSS 1000 - 40 = 960, resend now. */
  fx_inject_too_big(fx, SYNACK_MS(5), 1000, 1);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 960);
  fx_expect(fx, FX_A, 1, 1, .len = 960, .t = SYNACK_MS(5));
  fx_expect(fx, FX_A, 961, 1, .len = 960, .t = SYNACK_MS(5));
  fx_expect(fx, FX_A, 1921, 1, .len = 960, .t = SYNACK_MS(5));
  fx_expect(fx, FX_A, 2881, 1, .len = 960, .t = SYNACK_MS(5));
  fx_expect(fx, FX_PA, 3841, 1, .len = 540, .t = SYNACK_MS(5));
  fx_expect_none(fx);
  /* Not a congestion signal: the window is untouched. */
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 10 * 1460 / 960);
  /* A larger MTU report does not raise it again (RFC 1191 §6.3). */
  fx_inject_too_big(fx, SYNACK_MS(6), 1400, 1);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 960);
  fx_expect_none(fx);
  fx_free(fx);
}

static void out_of_window_quote_is_ignored(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 1460, 0), 1460);
  fx_expect(fx, FX_PA, 1, 1, .len = 1460);
  uint64_t bad0 = synack_stack_counters(fx->st)->drops[SYNACK_DROP_ICMP_BAD_QUOTE];
  /* Beyond SND.MAX, and below SND.UNA (already acknowledged data). */
  fx_inject_too_big(fx, SYNACK_MS(5), 1000, 1461 + 1);
  fx_inject_too_big(fx, SYNACK_MS(6), 1000, 0);
  CHECK_EQ_U(synack_stack_counters(fx->st)->drops[SYNACK_DROP_ICMP_BAD_QUOTE], bad0 + 2);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 1460);
  fx_expect_none(fx);
  fx_free(fx);
}

/* An MTU of 68 is raised to the floor cfg.tcp_min_pmtu: 576 by default, MSS 536; Linux's 552
 * (the linux preset), MSS 512. */
static void floor_552(synack_config_t *c) {
  cfg_hook(c);
  c->tcp_min_pmtu = 552;
}
static void ipv4_floor(void (*cfg)(synack_config_t *), uint32_t mss) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 1000, 0), 1000);
  fx_expect(fx, FX_PA, 1, 1, .len = 1000);
  fx_inject_too_big(fx, SYNACK_MS(5), 68, 1);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, mss);
  fx_expect(fx, FX_A, 1, 1, .len = mss, .t = SYNACK_MS(5));
  fx_expect(fx, FX_PA, 1 + mss, 1, .len = 1000 - mss, .t = SYNACK_MS(5));
  fx_expect_none(fx);
  fx_free(fx);
}
static void ipv4_floor_576(void) { ipv4_floor(cfg_hook, 536); }
static void ipv4_floor_552(void) { ipv4_floor(floor_552, 512); }

static void ipv6_packet_too_big_floor_1280(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, cfg_hook);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 1440);
  fx_check_rc(fx_send(fx, s, 1440, 0), 1440);
  fx_expect(fx, FX_PA, 1, 1, .len = 1440);
  fx_inject_too_big(fx, SYNACK_MS(5), 1000, 1);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 1220);
  fx_expect(fx, FX_A, 1, 1, .len = 1220, .t = SYNACK_MS(5));
  fx_expect(fx, FX_PA, 1221, 1, .len = 220, .t = SYNACK_MS(5));
  fx_expect_none(fx);
  fx_free(fx);
}

TH_MAIN(TH_CASE(frag_needed_lowers_mss_and_resends), TH_CASE(out_of_window_quote_is_ignored), TH_CASE(ipv4_floor_576), TH_CASE(ipv4_floor_552),
        TH_CASE(ipv6_packet_too_big_floor_1280))
