/* Sender loss recovery with exact segments: fast retransmit on the third duplicate ACK (not the
 * second), limited transmit (RFC 3042), NewReno partial ACKs (RFC 6582), RFC 6675 SACK recovery
 * retransmitting every hole within one round trip under the pipe limit, and an RTO that never
 * resends SACKed data. NewReno congestion control, MSS 1460, initial window 10 segments.
 * RACK-TLP (on by default) is off here: these are the exact segments of the RFC 6675 / RFC 6582
 * rules, which still run with tcp_rack = false; RACK's own are in test_snd_rack.c. */
#include "harness.h"
#include "tcpfix.h"

#define M 1460u
#define SEG(i) (1u + (uint32_t)(i) * M) /* relative sequence number of segment i (0-based) */

static void cfg_hook(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_rack = false;
}

/* An established passive connection; SACK-permitted on the peer's SYN when sack. */
static fx_t *open_conn(bool sack, int *sock) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  if (!fx) return NULL;
  if (sack) fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM;
  *sock = fx_open_passive(fx);
  return fx;
}

/* Writes n segments of data and expects the first `sent` of them at once. */
static void write_and_expect(fx_t *fx, int s, uint32_t n, uint32_t sent) {
  fx_check_rc(fx_send(fx, s, n * M, 0), (int64_t)(n * M));
  for (uint32_t i = 0; i < sent; i++) fx_expect(fx, FX_A, SEG(i), 1, .len = M);
  fx_expect_none(fx);
}

/* Segment 0 of the ten in flight is lost: three duplicate ACKs SACKing 1, 1-2, 1-3 (at 12, 13,
 * 14 ms) start SACK recovery with the fast retransmission of 0 at 14 ms, and nothing else. */
static void sack_lose_first(fx_t *fx) {
  for (uint32_t k = 2; k <= 4; k++)
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k) } });
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(14));
  fx_expect_none(fx);
}

/* RFC 5681 §3.2: the third duplicate ACK triggers the retransmission; the first two do not
 * (with no new data to send, limited transmit has nothing to send either). */
static void fast_retransmit_on_third_dupack(void) {
  int s;
  fx_t *fx = open_conn(false, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(11), FX_A, 1, 1);
  fx_expect_none(fx); /* not on the second */
  fx_inject(fx, SYNACK_MS(12), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(12));
  fx_expect_none(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_ssthresh, 5); /* max(FlightSize / 2, 2 SMSS) = 7300 bytes */
  CHECK_EQ_U(ti.total_retrans, 1);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_FAST_RETRANS], 1);
  /* Further duplicates only inflate the window: nothing new to send, no second retransmission. */
  fx_inject(fx, SYNACK_MS(13), FX_A, 1, 1);
  fx_expect_none(fx);
  /* The full ACK ends recovery. */
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, SEG(10));
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.unacked, 0);
  fx_free(fx);
}

/* A window update or an ACK carrying data is not a duplicate ACK (RFC 5681 §2). */
static void window_update_is_not_a_dupack(void) {
  int s;
  fx_t *fx = open_conn(false, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1);
  fx_inject(fx, SYNACK_MS(11), FX_A, 1, 1, .win = 60000);
  fx_inject(fx, SYNACK_MS(12), FX_PA, 1, 1, .len = 10, .win = 60000);
  fx_expect(fx, FX_A, SEG(10), 11, .t = SYNACK_MS(12), .within = SYNACK_MS(40));
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(100), FX_A, 11, 1, .win = 60000);
  fx_expect_none(fx); /* second real duplicate */
  fx_inject(fx, SYNACK_MS(101), FX_A, 11, 1, .win = 60000);
  fx_expect(fx, FX_A, SEG(0), 11, .len = M, .t = SYNACK_MS(101));
  fx_free(fx);
}

/* RFC 3042: the first and second duplicate ACKs each send one segment of new data; the third
 * retransmits. */
static void limited_transmit(void) {
  int s;
  fx_t *fx = open_conn(false, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 20, 10);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(10));
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(11), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .t = SYNACK_MS(11));
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(12), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(12));
  fx_expect_none(fx);
  fx_free(fx);
}

/* RFC 6582: segments 0, 4 and 7 of 10 are lost, SACK is off. One retransmission per partial ACK,
 * each at once; recovery ends at the recover point (SND.MAX when it began). */
static void newreno_partial_acks(void) {
  int s;
  fx_t *fx = open_conn(false, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  /* Segments 1, 2, 3 arrive: three duplicates. */
  for (int i = 0; i < 3; i++) fx_inject(fx, SYNACK_MS(10 + i), FX_A, 1, 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(12));
  /* Segments 5, 6, 8, 9 arrive: more duplicates, nothing sent. */
  for (int i = 0; i < 4; i++) fx_inject(fx, SYNACK_MS(13 + i), FX_A, 1, 1);
  fx_expect_none(fx);
  /* The retransmission of 0 fills up to 4: partial ACK → 4 goes out at once, alone. */
  fx_inject(fx, SYNACK_MS(60), FX_A, 1, SEG(4));
  fx_expect(fx, FX_A, SEG(4), 1, .len = M, .t = SYNACK_MS(60));
  fx_expect_none(fx);
  /* 4 fills up to 7: partial ACK → 7. */
  fx_inject(fx, SYNACK_MS(110), FX_A, 1, SEG(7));
  fx_expect(fx, FX_A, SEG(7), 1, .len = M, .t = SYNACK_MS(110));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 3);
  /* Full ACK: recovery over; a new write is sent normally. */
  fx_inject(fx, SYNACK_MS(160), FX_A, 1, SEG(10));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 5);
  fx_check_rc(fx_send(fx, s, M, 10 * M), (int64_t)M);
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(160));
  fx_expect_none(fx);
  /* Three duplicates for that new window start a new recovery (ACK >= recover). */
  for (int i = 0; i < 3; i++) fx_inject(fx, SYNACK_MS(200 + i), FX_A, 1, SEG(10));
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(202));
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_FAST_RETRANS], 2);
  fx_free(fx);
}

/* RFC 6675: segments 0, 3 and 6 of 10 lost. Every hole is retransmitted before any
 * retransmission is acknowledged (within one round trip), each only when cwnd - pipe allows. */
static void sack_recovery_every_hole_in_one_rtt(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  /* 1 and 2 arrive: two duplicates with new SACK information: no retransmission. */
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(2) } });
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(11), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(3) } });
  fx_expect_none(fx);
  /* 4 arrives: the third duplicate: segment 0 is retransmitted. cwnd = ssthresh = 5 segments;
   * pipe after it = 3, 5, 6, 7, 8, 9 (not lost) + 0 (retransmitted) = 7 > 5: nothing else. */
  fx_inject(fx, SYNACK_MS(12), FX_A, 1, 1, .nsack = 2, .sack = { { SEG(4), SEG(5) }, { SEG(1), SEG(3) } });
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(12));
  fx_expect_none(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.sacked, 3);
  CHECK_EQ_U(ti.snd_cwnd, 5);
  /* 5 arrives: pipe = hole 3 + 6..9 + retransmitted 0 = 6 segments: nothing. */
  fx_inject(fx, SYNACK_MS(13), FX_A, 1, 1, .nsack = 2, .sack = { { SEG(4), SEG(6) }, { SEG(1), SEG(3) } });
  fx_expect_none(fx);
  /* 7 arrives: hole 3 now has two SACKed ranges and 3 segments above it: lost (IsLost);
   * pipe = 6 + 8 + 9 + rtx 0 = 4 segments < 5: NextSeg rule 1 sends 3. */
  fx_inject(fx, SYNACK_MS(14), FX_A, 1, 1,
            .nsack = 3, .sack = { { SEG(7), SEG(8) }, { SEG(4), SEG(6) }, { SEG(1), SEG(3) } });
  fx_expect(fx, FX_A, SEG(3), 1, .len = M, .t = SYNACK_MS(14));
  fx_expect_none(fx);
  /* 8 arrives: pipe = 6 + 9 + rtx 0, 3 = 4 < 5: hole 6 is not lost yet (2 segments above it,
   * one range), no new data: rule 3 retransmits it. */
  fx_inject(fx, SYNACK_MS(15), FX_A, 1, 1,
            .nsack = 3, .sack = { { SEG(7), SEG(9) }, { SEG(4), SEG(6) }, { SEG(1), SEG(3) } });
  fx_expect(fx, FX_A, SEG(6), 1, .len = M, .t = SYNACK_MS(15));
  fx_expect_none(fx);
  /* 9 arrives: every hole has been retransmitted; nothing more (no rescue: nothing unSACKed
   * above HighRxt). */
  fx_inject(fx, SYNACK_MS(16), FX_A, 1, 1,
            .nsack = 3, .sack = { { SEG(7), SEG(10) }, { SEG(4), SEG(6) }, { SEG(1), SEG(3) } });
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.total_retrans, 3);
  CHECK_EQ_U(ti.retrans, 3); /* retransmitted, neither SACKed nor acknowledged yet */
  CHECK_EQ_U(ti.sacked, 7);
  CHECK_EQ_U(ti.unacked, 10);
  /* The retransmissions arrive: cumulative ACKs, the last one ends recovery. */
  fx_inject(fx, SYNACK_MS(62), FX_A, 1, SEG(3), .nsack = 2, .sack = { { SEG(7), SEG(10) }, { SEG(4), SEG(6) } });
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(64), FX_A, 1, SEG(6), .nsack = 1, .sack = { { SEG(7), SEG(10) } });
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(65), FX_A, 1, SEG(10));
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.sacked, 0);
  CHECK_EQ_U(ti.unacked, 0);
  CHECK_EQ_U(ti.total_retrans, 3);
  fx_free(fx);
}

/* RFC 6675 NextSeg rule 4: segments 0 and 9 (the last) are lost. Nothing SACKed above 9 can
 * ever show it lost; once rules 1-3 have nothing to send and pipe allows, one rescue
 * retransmission of the highest unSACKed segment goes out, once per recovery. */
static void sack_rescue_retransmission(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  sack_lose_first(fx);
  /* SACK up to 5 and 6: pipe = 6..9 (+5) + retransmitted 0 >= cwnd (5 segments): nothing. */
  fx_inject(fx, SYNACK_MS(15), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(5) } });
  fx_inject(fx, SYNACK_MS(16), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(6) } });
  fx_expect_none(fx);
  /* SACK up to 7: pipe = 7, 8, 9 + 0 = 4 segments: no lost hole, no new data, no hole below
   * the highest SACK: the rescue retransmission of segment 9. */
  fx_inject(fx, SYNACK_MS(17), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(7) } });
  fx_expect(fx, FX_A, SEG(9), 1, .len = M, .t = SYNACK_MS(17));
  fx_expect_none(fx);
  /* Only one per recovery. */
  fx_inject(fx, SYNACK_MS(18), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(8) } });
  fx_inject(fx, SYNACK_MS(19), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(9) } });
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(64), FX_A, 1, SEG(10));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 2);
  fx_free(fx);
}

/* NextSeg puts unsent data (RFC 6675 rule 3) before the rescue (rule 4): the same losses as
 * above, but the application has a small write waiting (held by Nagle while data is in
 * flight). No old segment is resent as a rescue; the new data probes the tail once the lost
 * segment is repaired. (The tour's SACK story showed the waste: a rescue retransmission of a
 * segment whose ACK was already on its way, then the waiting data anyway.) */
static void no_rescue_while_new_data_waits(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  fx_check_rc(fx_send(fx, s, 100, 10 * M), 100); /* sub-MSS, data in flight: Nagle holds it */
  fx_expect_none(fx);
  sack_lose_first(fx);
  fx_inject(fx, SYNACK_MS(15), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(5) } });
  fx_inject(fx, SYNACK_MS(16), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(6) } });
  fx_inject(fx, SYNACK_MS(17), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(7) } });
  fx_inject(fx, SYNACK_MS(18), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(8) } });
  fx_expect_none(fx); /* without the rule-3-first check: a rescue of segment 9 at 17 ms */
  /* The retransmitted segment 0 arrives (8 and 9 were only late): everything is acknowledged,
   * recovery ends and the waiting 100 bytes go out. */
  fx_inject(fx, SYNACK_MS(64), FX_A, 1, SEG(10));
  fx_expect(fx, FX_A, SEG(10), 1, .len = 100, .t = SYNACK_MS(64));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 1);
  fx_free(fx);
}

/* RFC 6675 §5.1: an RTO during SACK recovery ends it; the sender goes back to SND.UNA with
 * cwnd = 1 segment and never resends the SACKed segments. */
static void rto_during_sack_recovery(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  sack_lose_first(fx);
  /* The retransmission is lost too: the RTO fires, counted from the fast retransmission of
   * the first unacknowledged segment (14 ms), which restarted the timer. */
  synack_time_t rto = SYNACK_MS(14) + fx_info(fx, s).rto_us;
  fx_expect_none_until(fx, rto - 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = rto);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 1);
  /* ACK of 0 (1..3 were SACKed): cwnd 2: segments 4 and 5. */
  fx_inject(fx, rto + SYNACK_MS(50), FX_A, 1, SEG(4));
  fx_expect(fx, FX_A, SEG(4), 1, .len = M, .t = rto + SYNACK_MS(50));
  fx_expect(fx, FX_A, SEG(5), 1, .len = M, .t = rto + SYNACK_MS(50));
  fx_expect_none(fx);
  fx_free(fx);
}

/* After an RTO the sender goes back to SND.UNA in slow start but skips what was SACKed. */
static void rto_never_resends_sacked_data(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 6, 6);
  /* Only segment 2 arrives (one duplicate, no recovery), then silence. */
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(2), SEG(3) } });
  fx_expect_none(fx);
  synack_time_t rto = fx_info(fx, s).rto_us;
  /* The timer was restarted by nothing (no new ACK): it fires RTO after the first send. */
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = rto);
  fx_expect_none(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_cwnd, 1);
  CHECK_EQ_U(ti.sacked, 1);
  CHECK_EQ_U(ti.lost, 5); /* everything unSACKed is presumed lost after the timeout */
  /* ACK of 0: cwnd 2: segment 1, then 3 (2 is skipped). */
  fx_inject(fx, rto + SYNACK_MS(50), FX_A, 1, SEG(1), .nsack = 1, .sack = { { SEG(2), SEG(3) } });
  fx_expect(fx, FX_A, SEG(1), 1, .len = M, .t = rto + SYNACK_MS(50));
  fx_expect(fx, FX_A, SEG(3), 1, .len = M, .t = rto + SYNACK_MS(50));
  fx_expect_none(fx);
  fx_inject(fx, rto + SYNACK_MS(100), FX_A, 1, SEG(4));
  fx_expect(fx, FX_A, SEG(4), 1, .len = M, .t = rto + SYNACK_MS(100));
  fx_expect(fx, FX_A, SEG(5), 1, .len = M, .t = rto + SYNACK_MS(100));
  fx_expect_none(fx);
  fx_inject(fx, rto + SYNACK_MS(150), FX_A, 1, SEG(6));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 5); /* 0, 1, 3, 4, 5 - never 2 */
  fx_free(fx);
}

/* RFC 2883 / RFC 3708 idea: when every retransmission of a recovery comes back as a D-SACK,
 * the reduction was spurious and congestion control may undo it (recorded in the counters). */
static void dsack_is_recorded_not_scoreboarded(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 4, 4);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, SEG(2));
  /* A D-SACK for segment 0 (below the cumulative ACK) is no SACK information and no dupack. */
  fx_inject(fx, SYNACK_MS(11), FX_A, 1, SEG(2), .nsack = 1, .sack = { { SEG(0), SEG(1) } });
  fx_inject(fx, SYNACK_MS(12), FX_A, 1, SEG(2), .nsack = 1, .sack = { { SEG(0), SEG(1) } });
  fx_inject(fx, SYNACK_MS(13), FX_A, 1, SEG(2), .nsack = 1, .sack = { { SEG(0), SEG(1) } });
  fx_expect_none(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.sacked, 0);
  CHECK_EQ_U(ti.total_retrans, 0);
  /* A SACK block beyond SND.MAX is ignored. */
  fx_inject(fx, SYNACK_MS(14), FX_A, 1, SEG(2), .nsack = 1, .sack = { { SEG(3), SEG(9) } });
  CHECK_EQ_U(fx_info(fx, s).sacked, 0);
  fx_free(fx);
}

/* RFC 2883 §5 / RFC 3708: segment 0 was only delayed: the fast retransmission comes back as a
 * D-SACK after recovery ended, every retransmission of the episode was a duplicate, and the
 * window reduction is undone by the congestion-control module. */
static void dsack_undoes_spurious_recovery(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 10, 10);
  for (uint32_t k = 2; k <= 4; k++)
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k) } });
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(14));
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 5);
  /* The delayed original arrives: everything is acknowledged; then the retransmission arrives
   * as a duplicate and the peer reports it with a D-SACK below the cumulative ACK. */
  fx_inject(fx, SYNACK_MS(20), FX_A, 1, SEG(10));
  fx_inject(fx, SYNACK_MS(21), FX_A, 1, SEG(10), .nsack = 1, .sack = { { SEG(0), SEG(1) } });
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_DSACKS_IN], 1);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_SPURIOUS_UNDO], 1);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_cwnd, 10);
  fx_free(fx);
}

/* The same over IPv6 (MSS 1440): SACK-based fast retransmit on the third duplicate. */
static void sack_fast_retransmit_ipv6(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, cfg_hook);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM;
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  const uint32_t m6 = 1440;
  fx_check_rc(fx_send(fx, s, 5 * m6, 0), 5 * m6);
  for (uint32_t i = 0; i < 5; i++) fx_expect(fx, FX_A, 1 + i * m6, 1, .len = m6);
  for (uint32_t k = 2; k <= 3; k++) {
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { 1 + m6, 1 + k * m6 } });
    fx_expect_none(fx);
  }
  fx_inject(fx, SYNACK_MS(14), FX_A, 1, 1, .nsack = 1, .sack = { { 1 + m6, 1 + 4 * m6 } });
  fx_expect(fx, FX_A, 1, 1, .len = m6, .t = SYNACK_MS(14));
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(60), FX_A, 1, 1 + 5 * m6);
  CHECK_EQ_U(fx_info(fx, s).unacked, 0);
  CHECK_EQ_U(fx_info(fx, s).sacked, 0);
  fx_free(fx);
}

static void cfg_prr_iw20(synack_config_t *c) {
  cfg_hook(c);
  c->tcp_initial_cwnd_segs = 20;
}

static void cfg_no_prr_iw20(synack_config_t *c) {
  cfg_prr_iw20(c);
  c->tcp_prr = false;
}

/* Segment indices sent (in order) by the next output; -1 ends the list. */
static int sent_now(fx_t *fx, int *out, int max) {
  int n = 0;
  fx_frame_t f;
  synack_dissect_t d;
  fx_drain(fx);
  while (n < max && fx_pop_tcp(fx, &f, &d)) {
    uint32_t rel = d.tcp.seq - fx->isn;
    if (d.tcp.payload_len > 0) out[n++] = (int)((rel - 1) / M);
    free(f.buf);
  }
  return n;
}

/* 20 segments written, 10 sent (IW 10); then the peer SACKs segments 1, 2, 3, ... one per ACK
 * (segment 0 lost). Records, per ACK k (segment k SACKed), which segments went out. */
static void recovery_pattern(void (*hook)(synack_config_t *), int pattern[22][3]) {
  fx_t *fx = fx_new(SYNACK_AF_INET, hook);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM;
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  write_and_expect(fx, s, 40, 20);
  for (int k = 1; k <= 21; k++) {
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k + 1) } });
    for (int i = 0; i < 3; i++) pattern[k][i] = -1;
    sent_now(fx, pattern[k], 3);
  }
  fx_free(fx);
}

/* RFC 6937 proportional rate reduction beside the RFC 6675 pipe rule, same losses (IW 20,
 * 40 segments written): segment 0 lost, 1..21 SACKed one per ACK. Limited transmit sends 20 and
 * 21 on the first two duplicates; the third enters recovery with ssthresh = cwnd = 11 segments
 * and pipe = 4..21 = 18 segments before the retransmission of 0.
 *   - RFC 6675: pipe stays above cwnd for 8 more ACKs (silence), then one new segment per ACK.
 *   - PRR (RecoverFS = 18): sndcnt = CEIL(prr_delivered * 11 / 18) - prr_out, so new segments
 *     go out on ACKs 6, 7, 9, 11, 12, 14, 16, 17 (about 11 per 18 delivered, the fast
 *     retransmit counted in prr_out); at ACK 19 pipe reaches ssthresh and PRR-SSRB sends one
 *     segment per delivered one (20, 21). Both have sent 31 by the last ACK. */
static void prr_spreads_the_reduction(void) {
  int prr[22][3], plain[22][3];
  recovery_pattern(cfg_prr_iw20, prr);
  recovery_pattern(cfg_no_prr_iw20, plain);
  static const int want_prr[22] = { -1, 20, 21, 0, -1, -1, 22, 23, -1, 24, -1,
                                    25, 26, -1, 27, -1, 28, 29, -1, -1, 30, 31 };
  static const int want_plain[22] = { -1, 20, 21, 0, -1, -1, -1, -1, -1, -1, -1,
                                      -1, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
  for (int k = 1; k <= 21; k++) {
    CHECK_EQ_I(prr[k][0], want_prr[k]);
    CHECK_EQ_I(prr[k][1], -1); /* never more than one segment per ACK here */
    CHECK_EQ_I(plain[k][0], want_plain[k]);
    CHECK_EQ_I(plain[k][1], -1);
  }
}

/* A timeout in the middle of fast recovery is the same congestion event: ssthresh stays at the
 * value the recovery set, although half of FlightSize (which now counts SACKed segments and the
 * new data sent during recovery) is larger. */
static void rto_in_recovery_keeps_ssthresh(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 40, 10);
  /* Limited transmit sends 10 and 11; the third duplicate retransmits 0: ssthresh = 12 / 2. */
  for (uint32_t k = 1; k <= 3; k++)
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k + 1) } });
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(11));
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .t = SYNACK_MS(12));
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(13));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 6);
  /* 4..11 arrive: new data goes out during recovery (12..). */
  for (uint32_t k = 4; k <= 11; k++)
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k + 1) } });
  fx_flush_output(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  uint32_t flight = ti.unacked;
  CHECK(flight / 2 > 6); /* RFC 5681 eq. 4 from FlightSize would raise ssthresh */
  /* The retransmission of 0 is lost: the RTO, 13 ms + RTO. */
  synack_time_t rto = SYNACK_MS(13) + ti.rto_us;
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = rto);
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_cwnd, 1);
  CHECK_EQ_U(ti.snd_ssthresh, 6);
  fx_free(fx);
}

/* A lost retransmission is found without RACK and without timestamps: segment 0 is lost, then
 * its fast retransmission too. Once a segment sent after that retransmission (12) is SACKed and
 * a reordering window (SRTT/4, at least 1 ms) has passed with 0 still missing, 0 goes out again
 * (counter TCP_LOST_RETRANS) instead of waiting for the RTO. */
static void lost_retransmission_resent_before_rto(void) {
  int s;
  fx_t *fx = open_conn(true, &s);
  REQUIRE(fx && s >= 0);
  write_and_expect(fx, s, 40, 10);
  for (uint32_t k = 1; k <= 3; k++)
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k + 1) } });
  fx_expect(fx, FX_A, SEG(10), 1, .len = M, .t = SYNACK_MS(11));
  fx_expect(fx, FX_A, SEG(11), 1, .len = M, .t = SYNACK_MS(12));
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(13)); /* the fast retransmission: lost */
  fx_expect_none(fx);
  /* 4..11 arrive; PRR sends new data (12 first), all after the retransmission of 0. */
  for (uint32_t k = 4; k <= 11; k++)
    fx_inject(fx, SYNACK_MS(10 + k), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(k + 1) } });
  fx_flush_output(fx);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 1);
  /* 12 arrives at 30 ms while 0 is still missing: after the reordering window, 0 again. */
  synack_time_t reo = fx_info(fx, s).rtt_us / 4;
  if (reo < SYNACK_MS(1)) reo = SYNACK_MS(1);
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 1, .nsack = 1, .sack = { { SEG(1), SEG(13) } });
  int now_sent[4] = { -1, -1, -1, -1 };
  int n = sent_now(fx, now_sent, 4); /* PRR may send new data on this ACK, never 0 yet */
  for (int i = 0; i < n; i++) CHECK(now_sent[i] >= 12);
  fx_expect_none_until(fx, SYNACK_MS(30) + reo - 1);
  fx_expect(fx, FX_A, SEG(0), 1, .len = M, .t = SYNACK_MS(30) + reo);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 2);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_LOST_RETRANS], 1);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_RTO_EXPIRED], 0);
  fx_free(fx);
}

TH_MAIN(TH_CASE(lost_retransmission_resent_before_rto), TH_CASE(rto_in_recovery_keeps_ssthresh), TH_CASE(prr_spreads_the_reduction), TH_CASE(sack_fast_retransmit_ipv6), TH_CASE(dsack_undoes_spurious_recovery), TH_CASE(fast_retransmit_on_third_dupack), TH_CASE(window_update_is_not_a_dupack), TH_CASE(limited_transmit),
        TH_CASE(newreno_partial_acks), TH_CASE(sack_recovery_every_hole_in_one_rtt),
        TH_CASE(sack_rescue_retransmission), TH_CASE(no_rescue_while_new_data_waits), TH_CASE(rto_during_sack_recovery), TH_CASE(rto_never_resends_sacked_data),
        TH_CASE(dsack_is_recorded_not_scoreboarded))
