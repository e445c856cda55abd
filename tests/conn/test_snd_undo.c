/* Spurious retransmissions and their undo (tcp_undo.c), with exact segments: D-SACK (RFC 3708)
 * after a fast retransmission the original made unnecessary, a network duplicate's D-SACK that
 * must neither undo nor count as a duplicate ACK, Eifel (RFC 3522) after a timeout, F-RTO
 * (RFC 5682) both ways. NewReno congestion control, MSS 1448 with timestamps, 1460 without. */
#include "harness.h"
#include "tcpfix.h"

#define MTS 1448u /* with timestamps */
#define MNO 1460u /* without */

static void cfg_rack(synack_config_t *c) { c->tcp_cc = SYNACK_CC_NEWRENO; }

/* The timeout detectors are shown alone: no tail loss probe before the RTO. */
static void cfg_norack(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_rack = false;
}

/* SACK (and timestamps when ts); 100 bytes exchanged with a 50 ms RTT. */
static int open_conn(fx_t *fx, bool ts) {
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM | (ts ? SYNACK_TCPOPT_HAS_TS : 0);
  fx->ts_on = ts;
  int s = fx_open_passive(fx);
  if (s < 0) return s;
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  fx_inject(fx, SYNACK_MS(50), FX_A, 1, 101);
  return s;
}

/* At 60 ms the application writes `total` bytes; the first `n` full segments of `mss` leave at
 * once (the initial window), each checked exactly. */
static void send_flight(fx_t *fx, int s, uint32_t total, int n, uint32_t mss) {
  fx_check_rc(fx_send(fx, s, total, 100), total);
  for (int i = 0; i < n; i++) fx_expect(fx, FX_A, 101 + (uint32_t)i * mss, 1, .len = mss, .t = SYNACK_MS(60));
}

static uint64_t ctr(fx_t *fx, synack_counter_t c) { return synack_stack_counters(fx->st)->events[c]; }

/* Segment 0 of 10 is only delayed: three later segments are SACKed, RACK marks it lost and it
 * is sent again; then the cumulative ACK arrives with a D-SACK for it (the original came after
 * all). The reduction is undone: ssthresh and cwnd as before. */
static void dsack_undoes_fast_recovery(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_rack);
  REQUIRE(fx);
  int s = open_conn(fx, true);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(60));
  synack_tcp_info_t before = fx_info(fx, s);
  send_flight(fx, s, 10 * MTS, 10, MTS);
  fx_inject(fx, SYNACK_MS(70), FX_A, 1, 101, .nsack = 1, .sack = { { 101 + MTS, 101 + 4 * MTS } });
  fx_expect(fx, FX_A, 101, 1, .len = MTS, .t = SYNACK_MS(70));
  fx_expect_none(fx);
  CHECK(fx_info(fx, s).snd_ssthresh != SYNACK_INFINITE_SSTHRESH);
  fx_inject(fx, SYNACK_MS(80), FX_A, 1, 101 + 10 * MTS, .nsack = 1, .sack = { { 101, 101 + MTS } });
  synack_tcp_info_t after = fx_info(fx, s);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_UNDO_DSACK), 1);
  CHECK_EQ_U(after.undos, 1);
  CHECK_EQ_U(after.spurious_retrans, 1);
  CHECK_EQ_U(after.snd_ssthresh, before.snd_ssthresh);
  CHECK(after.snd_cwnd >= before.snd_cwnd);
  fx_free(fx);
}

/* The network duplicated segment 0 (never retransmitted): the peer's D-SACKs for it, even
 * three in a row, are no duplicate ACKs and undo nothing. */
static void network_duplicate_dsack_is_not_a_dupack(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_rack);
  REQUIRE(fx);
  int s = open_conn(fx, true);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(60));
  send_flight(fx, s, 6 * MTS, 6, MTS);
  fx_inject(fx, SYNACK_MS(61), FX_A, 1, 101 + 2 * MTS);
  for (int k = 0; k < 3; k++)
    fx_inject(fx, SYNACK_MS(62 + k), FX_A, 1, 101 + 2 * MTS, .nsack = 1, .sack = { { 101, 101 + MTS } });
  fx_expect_none_until(fx, SYNACK_MS(65)); /* (the tail loss probe comes later) */
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_DSACKS_IN), 3);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FAST_RETRANS), 0);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SPURIOUS_RETRANS), 0);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SPURIOUS_UNDO), 0);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 0);
  fx_free(fx);
}

/* An ACK overtaken by a newer one arrives late: its first SACK block lies above its own ACK
 * field but below SND.UNA. It reports data received once, not a duplicate (RFC 2883 §4 judges
 * the block against the ACK field of the segment carrying it): no D-SACK is counted, nothing is
 * undone, nothing is retransmitted. */
static void late_ack_sack_is_not_a_dsack(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_rack);
  REQUIRE(fx);
  int s = open_conn(fx, false);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(60));
  send_flight(fx, s, 6 * MNO, 6, MNO);
  fx_inject(fx, SYNACK_MS(61), FX_A, 1, 101 + 4 * MNO);
  /* The peer sent this one earlier, when segment 1 had not yet arrived but segment 2 had. */
  fx_inject(fx, SYNACK_MS(62), FX_A, 1, 101 + MNO, .nsack = 1, .sack = { { 101 + 2 * MNO, 101 + 3 * MNO } });
  fx_expect_none_until(fx, SYNACK_MS(63));
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_DSACKS_IN), 0);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FAST_RETRANS), 0);
  CHECK_EQ_U(fx_info(fx, s).undos, 0);
  fx_free(fx);
}

/* Eifel: the RTO resends segment 0; the ACK then echoes the TSval of the original (sent at
 * 60 ms), older than the retransmission's: the timeout was spurious, cwnd and ssthresh return
 * and the rest of the window is not sent again. */
static void eifel_undoes_a_spurious_timeout(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_norack);
  REQUIRE(fx);
  int s = open_conn(fx, true);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(60));
  synack_tcp_info_t before = fx_info(fx, s);
  send_flight(fx, s, 4 * MTS, 4, MTS);
  uint32_t ts60 = fx->last_tsval;
  synack_time_t rto = SYNACK_MS(60) + before.rto_us;
  fx_expect(fx, FX_A, 101, 1, .len = MTS, .t = rto);
  CHECK_EQ_U(fx_info(fx, s).snd_cwnd, 1);
  /* The ACK for the first two originals, late. */
  fx_inject(fx, rto + SYNACK_MS(5), FX_A, 1, 101 + 2 * MTS,
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = fx->peer_ts_base + 500, .tsecr = ts60 });
  synack_tcp_info_t after = fx_info(fx, s);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_UNDO_EIFEL), 1);
  CHECK_EQ_U(after.snd_ssthresh, before.snd_ssthresh);
  CHECK(after.snd_cwnd >= before.snd_cwnd);
  /* Segments 2 and 3 are still in flight, not resent. */
  fx_expect_none_until(fx, rto + SYNACK_MS(6));
  CHECK_EQ_U(after.total_retrans, 1);
  fx_free(fx);
}

/* F-RTO: after step 2b the next ACK acknowledges original segments (1..4): the timeout was
 * spurious (step 3b). */
/* F-RTO steps 1 and 2b, without timestamps: 12 segments, 10 sent at 60 ms (IW), the RTO
 * resends segment 0, the ACK for it moves SND.UNA, and the two unsent segments 10 and 11 go
 * instead of segment 1. Returns the time of the RTO. */
static synack_time_t frto_steps_1_2(fx_t *fx, int s, synack_tcp_info_t *before) {
  fx_advance(fx, SYNACK_MS(60));
  *before = fx_info(fx, s);
  send_flight(fx, s, 12 * MNO, 10, MNO);
  synack_time_t rto = SYNACK_MS(60) + before->rto_us;
  fx_expect(fx, FX_A, 101, 1, .len = MNO, .t = rto);
  fx_inject(fx, rto + SYNACK_MS(5), FX_A, 1, 101 + MNO);
  fx_expect(fx, FX_A, 101 + 10 * MNO, 1, .len = MNO, .t = rto + SYNACK_MS(5));
  fx_expect(fx, FX_PA, 101 + 11 * MNO, 1, .len = MNO, .t = rto + SYNACK_MS(5));
  fx_expect_none(fx);
  return rto;
}

static void frto_undoes_a_spurious_timeout(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_norack);
  REQUIRE(fx);
  int s = open_conn(fx, false);
  REQUIRE(s >= 0);
  synack_tcp_info_t before;
  synack_time_t rto = frto_steps_1_2(fx, s, &before);
  fx_inject(fx, rto + SYNACK_MS(6), FX_A, 1, 101 + 5 * MNO);
  synack_tcp_info_t after = fx_info(fx, s);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_UNDO_FRTO), 1);
  CHECK_EQ_U(after.snd_ssthresh, before.snd_ssthresh);
  CHECK_EQ_U(after.total_retrans, 1);
  fx_expect_none_until(fx, rto + SYNACK_MS(7));
  fx_free(fx);
}

/* F-RTO, the loss was real: after the two new segments the peer only SACKs them (a duplicate
 * ACK): step 3a, go back N from SND.UNA, and nothing is undone. */
static void frto_real_loss_goes_back_n(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_norack);
  REQUIRE(fx);
  int s = open_conn(fx, false);
  REQUIRE(s >= 0);
  synack_tcp_info_t before;
  synack_time_t rto = frto_steps_1_2(fx, s, &before);
  fx_inject(fx, rto + SYNACK_MS(6), FX_A, 1, 101 + MNO, .nsack = 1,
            .sack = { { 101 + 10 * MNO, 101 + 11 * MNO } });
  fx_expect(fx, FX_A, 101 + MNO, 1, .len = MNO, .t = rto + SYNACK_MS(6));
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_SPURIOUS_UNDO), 0);
  CHECK(fx_info(fx, s).snd_ssthresh != before.snd_ssthresh);
  fx_free(fx);
}

TH_MAIN(TH_CASE(dsack_undoes_fast_recovery), TH_CASE(network_duplicate_dsack_is_not_a_dupack),
        TH_CASE(late_ack_sack_is_not_a_dsack),
        TH_CASE(eifel_undoes_a_spurious_timeout), TH_CASE(frto_undoes_a_spurious_timeout),
        TH_CASE(frto_real_loss_goes_back_n))
