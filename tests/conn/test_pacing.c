/* Pacing (tcp_pacing.c) on the wire: the departure time of every data segment, from the rate
 * ratio × cwnd / SRTT, capped by SYNACK_SO_MAX_PACING_RATE, and the option's API. */
#include "harness.h"
#include "tcpfix.h"

#define M 1460u
#define SEG(i) (1u + (uint32_t)(i) * M)

/* NewReno without HyStart++ or idle restart: cwnd after each ACK is RFC 5681 + RFC 3465 only. */
static void base(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_hystart = false;
  c->tcp_idle_restart = false;
}
static void paced(synack_config_t *c) {
  base(c);
  c->tcp_pacing = true;
}

/* Active open whose SYN-ACK comes 100 ms after the SYN (no timestamps: the SYN is timed), then
 * 30 segments queued: the initial window of 10 goes at once (Linux paces from the tenth data
 * segment on), and at 200 ms one ACK covers it, so cwnd = 10 + 2 (RFC 3465, L = 2) = 12.
 * cap > 0: SO_MAX_PACING_RATE set before the handshake completes. */
static int open_and_fill(fx_t *fx, int cap) {
  int s = fx_syn_sent(fx);
  if (s < 0) return -1;
  if (cap > 0) fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, cap), 0);
  fx_inject(fx, SYNACK_MS(100), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100));
  fx_check(fx_info(fx, s).rtt_us == 100000);
  fx_check(fx_send(fx, s, 30 * M, 0) == (int64_t)(30 * M));
  for (uint32_t i = 0; i < 10; i++) fx_expect(fx, FX_A, SEG(i), 1, .len = M, .t = SYNACK_MS(100));
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(200), FX_A, 1, SEG(10));
  fx_check(fx_info(fx, s).snd_cwnd == 12);
  fx_check(fx_info(fx, s).rtt_us == 100000);
  return s;
}

static void pacing_spaces_segments_by_cwnd_over_srtt(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, paced);
  REQUIRE(fx);
  int s = open_and_fill(fx, 0);
  REQUIRE(s >= 0);
  /* Slow start (cwnd < ssthresh / 2): rate = 200 % × 12 × 1460 B / 100 ms = 350,400 B/s, one
   * segment every 1460 / 350,400 s = 4,166,666 ns. Two segments leave together (the smallest
   * burst; 1 ms of the rate is less than one segment), then one per interval, each at the first
   * microsecond its time has come: 200 ms + k × 4.166666 ms, rounded up. */
  static const synack_time_t at[12] = { 200000, 200000, 204167, 208334, 212500, 216667,
                                        220834, 225000, 229167, 233334, 237500, 241667 };
  for (uint32_t i = 0; i < 12; i++) fx_expect(fx, FX_A, SEG(10 + i), 1, .len = M, .t = at[i]);
  /* cwnd is full: nothing more until the next ACK. */
  fx_expect_none_until(fx, SYNACK_MS(299));
  fx_free(fx);
}

static void pacing_off_sends_the_window_at_once(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, base);
  REQUIRE(fx);
  int s = open_and_fill(fx, 0);
  REQUIRE(s >= 0);
  for (uint32_t i = 0; i < 12; i++) fx_expect(fx, FX_A, SEG(10 + i), 1, .len = M, .t = SYNACK_MS(200));
  fx_expect_none(fx);
  fx_free(fx);
}

static void max_pacing_rate_caps_the_rate(void) {
  /* cfg.tcp_pacing is off: setting the option turns pacing on for the socket (as in Linux).
   * 146,000 B/s: one 1460-byte segment every 10 ms, below the 350,400 B/s cwnd/SRTT gives. */
  fx_t *fx = fx_new(SYNACK_AF_INET, base);
  REQUIRE(fx);
  REQUIRE(open_and_fill(fx, 146000) >= 0);
  /* Two at once, then one every 10 ms exactly. */
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(200));
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .t = SYNACK_MS(200));
  for (uint32_t i = 2; i < 12; i++) fx_expect(fx, FX_A, SEG(10 + i), 1, .len = M, .t = SYNACK_MS(200 + 10 * (i - 1)));
  fx_expect_none_until(fx, SYNACK_MS(299));
  fx_free(fx);
}

static void pure_acks_are_not_paced(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, base);
  REQUIRE(fx);
  REQUIRE(open_and_fill(fx, 146000) >= 0);
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(200));
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .t = SYNACK_MS(200));
  /* Data from the peer while the third segment waits for 210 ms: a second full segment is
   * acknowledged at once (RFC 5681 §4.2), not at the next departure. */
  fx_inject(fx, SYNACK_MS(202), FX_A, 1, SEG(10), .len = M);
  fx_inject(fx, SYNACK_MS(202), FX_A, 1 + M, SEG(10), .len = M);
  fx_expect(fx, FX_A, SEG(12), 1 + 2 * M, .len = 0, .t = SYNACK_MS(202));
  fx_expect(fx, FX_A, SEG(12), 1 + 2 * M, .len = M, .t = SYNACK_MS(210));
  fx_free(fx);
}

static void tail_loss_probe_is_not_held(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, base);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM; /* RACK-TLP needs SACK */
  /* 1000 B/s: after the first two segments the next may leave only 1.46 s later. */
  REQUIRE(open_and_fill(fx, 1000) >= 0);
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(200));
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .t = SYNACK_MS(200));
  /* No ACK: the probe timeout (2 × SRTT + 2 ms = 202 ms, RFC 8985 §7.2 and tcp_rack.c) sends
   * two new segments at 402 ms, not at the pacing departure times (1.66 s and later). */
  fx_expect(fx, FX_A, SEG(12), 1, .len = M, .t = SYNACK_MS(402));
  fx_expect(fx, FX_A, SEG(13), 1, .len = M, .t = SYNACK_MS(402));
  /* Nothing answers: the timeout's retransmission of the head is not held either (RTO =
   * SRTT + 4 RTTVAR = 250 ms after the probe, before a second probe at twice the PTO). */
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(652));
  fx_free(fx);
}

static void max_pacing_rate_option(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  int v = 0;
  /* Default: no cap, reported as -1 (Linux's ~0U). */
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, &v), 0);
  CHECK_EQ_I(v, -1);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, 125000000), 0);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, &v), 0);
  CHECK_EQ_I(v, 125000000);
  /* 0 would never send again; other negative values mean nothing. */
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, 0), -SYNACK_EINVAL);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, -2), -SYNACK_EINVAL);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, &v), 0);
  CHECK_EQ_I(v, 125000000);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, -1), 0);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, &v), 0);
  CHECK_EQ_I(v, -1);
  fx_check_rc(synack_setsockopt(fx->st, 999, SYNACK_SO_MAX_PACING_RATE, 1000), -SYNACK_EBADF);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_SO_MAX_PACING_RATE, NULL), -SYNACK_EFAULT);
  synack_close(fx->st, fx->now, s);
  fx_free(fx);
}

TH_MAIN(TH_CASE(pacing_spaces_segments_by_cwnd_over_srtt), TH_CASE(pacing_off_sends_the_window_at_once),
        TH_CASE(max_pacing_rate_caps_the_rate), TH_CASE(pure_acks_are_not_paced), TH_CASE(tail_loss_probe_is_not_held),
        TH_CASE(max_pacing_rate_option))
