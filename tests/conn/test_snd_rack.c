/* RACK-TLP (RFC 8985, config tcp_rack): a tail loss probe after 2·SRTT instead of an RTO, and
 * time-based loss marking that retransmits a hole one reordering window after a later-sent
 * segment was SACKed, without waiting for three duplicate ACKs. */
#include "harness.h"
#include "tcpfix.h"

#include <stdlib.h>
#include <string.h>

#define M 1448u /* MSS 1460 less the timestamp option */
#define SEG(i) (1u + (uint32_t)(i) * M)

static void cfg_hook(synack_config_t *c) {
  c->tcp_cc = SYNACK_CC_NEWRENO;
  c->tcp_rack = true;
}

/* SACK and timestamps on; one segment exchanged with a 50 ms RTT (RACK.min_RTT = 50 ms; SRTT
 * also holds the handshake's sample). Returns the socket. */
static int open_rack(fx_t *fx) {
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS;
  fx->ts_on = true;
  int s = fx_open_passive(fx);
  if (s < 0) return s;
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = 0);
  fx_inject(fx, SYNACK_MS(50), FX_A, 1, 101);
  return s;
}

/* RFC 8985 §7.2 with more than one segment in flight: 2 SRTT plus 4 RTTVAR, at most 2 ms
 * (Linux's slack; tcp_rack.c tlp_slack_us). */
static synack_time_t pto_of(const synack_tcp_info_t *ti) {
  synack_time_t var = 4 * (synack_time_t)ti->rttvar_us;
  return 2 * (synack_time_t)ti->rtt_us + (var < SYNACK_MS(2) ? var : SYNACK_MS(2));
}

/* Three segments at 50 ms and no ACK: the first probe resends the third after the PTO. Returns
 * the probe's time; *pto receives the PTO. */
static synack_time_t three_then_probe(fx_t *fx, int s, synack_time_t *pto) {
  synack_tcp_info_t ti = fx_info(fx, s);
  *pto = pto_of(&ti);
  fx_check_rc(fx_send(fx, s, 3 * M, 100), 3 * M);
  for (int i = 0; i < 3; i++) fx_expect(fx, FX_A, 101 + i * M, 1, .len = M, .t = SYNACK_MS(50));
  synack_time_t t1 = SYNACK_MS(50) + *pto;
  fx_expect_none_until(fx, t1 - 1);
  fx_expect(fx, FX_PA, 101 + 2 * M, 1, .len = M, .t = t1);
  return t1;
}

static void tail_loss_probe(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  /* No ACK: after PTO = 2 SRTT + 2 ms the last segment is sent again (no new data). */
  synack_time_t pto, t1 = three_then_probe(fx, s, &pto), t2 = t1 + 2 * pto;
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK(2 * pto < ti.rto_us);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TLP_PROBES], 1);
  /* Still no ACK: a second probe twice the PTO later, before the RTO (tcp_rack.c TLP_PROBES). */
  fx_expect_none_until(fx, t2 - 1);
  fx_expect(fx, FX_PA, 101 + 2 * M, 1, .len = M, .t = t2);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TLP_PROBES], 2);
  /* Then the RTO from the second probe: the first segment; no third probe. */
  fx_expect_none_until(fx, t2 + ti.rto_us - 1);
  fx_expect(fx, FX_A, 101, 1, .len = M, .t = t2 + ti.rto_us);
  fx_free(fx);
}

/* An ACK after the first probe cancels the second: the path delivers ACKs, RACK and the RTO go
 * on from there. Three segments, the probe resends the third; the ACK of the first one comes:
 * no second probe, the next segment is the RTO's (one RTO after that ACK, RFC 6298 §5.3). */
static void ack_after_probe_cancels_the_second(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  synack_time_t pto, ta = three_then_probe(fx, s, &pto) + SYNACK_MS(1);
  fx_inject(fx, ta, FX_A, 1, 101 + M);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK(ti.rto_us > 2 * pto);
  fx_expect_none_until(fx, ta + ti.rto_us - 1);
  fx_expect(fx, FX_A, 101 + M, 1, .len = M, .t = ta + ti.rto_us);
  CHECK_EQ_U(fx_info(fx, s).tlp_probes, 1);
  fx_free(fx);
}

/* With data waiting beyond cwnd, the probe is new data (RFC 8985 §7.3): two full segments in
 * the open state (tcp_rack.c send_probe: a receiver acknowledges two at once, one it may delay),
 * no more; the second probe, twice the PTO later without an ACK, sends the rest. */
static void probe_with_new_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  /* 13 segments, cwnd 10: three wait; the probe sends two of them beyond cwnd. */
  synack_tcp_info_t ti = fx_info(fx, s);
  synack_time_t pto = pto_of(&ti);
  fx_check_rc(fx_send(fx, s, 13 * M, 100), 13 * M);
  for (int i = 0; i < 10; i++) fx_expect(fx, FX_A, 101 + i * M, 1, .len = M, .t = SYNACK_MS(50));
  fx_expect_none(fx);
  synack_time_t t1 = SYNACK_MS(50) + pto, t2 = t1 + 2 * pto;
  fx_expect(fx, FX_A, 101 + 10 * M, 1, .len = M, .t = t1);
  fx_expect(fx, FX_A, 101 + 11 * M, 1, .len = M, .t = t1);
  CHECK_EQ_U(fx_info(fx, s).tlp_probes, 1);
  /* No ACK: the second probe sends the last new segment; then only the RTO. */
  fx_expect_none_until(fx, t2 - 1);
  fx_expect(fx, FX_PA, 101 + 12 * M, 1, .len = M, .t = t2);
  fx_expect_none_until(fx, t2 + ti.rto_us - 1);
  CHECK_EQ_U(fx_info(fx, s).tlp_probes, 2);
  fx_free(fx);
}

/* Segment 0 of 4 lost; segment 1 is SACKed 2 ms after the send. RACK marks 0 lost one
 * reordering window (min(RACK.min_RTT / 4, SRTT)) later and retransmits it, after a single
 * duplicate ACK, before the probe timeout. */
static void rack_time_based_loss_marking(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  /* The SACK below comes 2 ms after the send: RACK.min_RTT = 2 ms (send times from the
   * transmit log, in microseconds: no timestamp tick), reo_wnd = min_RTT / 4 = 0.5 ms. */
  const synack_time_t reo = 500;
  fx_advance(fx, SYNACK_MS(60));
  fx_check_rc(fx_send(fx, s, 4 * M, 100), 4 * M);
  for (int i = 0; i < 4; i++) fx_expect(fx, FX_A, 101 + i * M, 1, .len = M, .t = SYNACK_MS(60));
  fx_inject(fx, SYNACK_MS(62), FX_A, 1, 101, .nsack = 1, .sack = { { 101 + M, 101 + 2 * M } });
  fx_expect_none(fx);
  fx_expect_none_until(fx, SYNACK_MS(62) + reo - 1);
  fx_expect(fx, FX_A, 101, 1, .len = M, .t = SYNACK_MS(62) + reo);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).lost, 1);
  fx_free(fx);
}

/* At 60 ms 20 segments are queued; cwnd (10) lets 0..9 go at once. */
static void send_twenty_at_60ms(fx_t *fx, int s) {
  fx_advance(fx, SYNACK_MS(60));
  fx_check_rc(fx_send(fx, s, 20 * M, 100), 20 * M);
  for (int i = 0; i < 10; i++) fx_expect(fx, FX_A, 101 + i * M, 1, .len = M, .t = SYNACK_MS(60));
}

/* A SACK for 1..k-1 (segments after 0, the lost one) with an explicit TSecr: the TSval of the
 * transmission that triggered this ACK. */
static void sack_upto(fx_t *fx, synack_time_t t, uint32_t k, uint32_t ecr) {
  fx_inject(fx, t, FX_A, 1, 101, .nsack = 1, .sack = { { 101 + M, 101 + k * M } },
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = fx->peer_ts_base + (uint32_t)(t / 1000), .tsecr = ecr });
}

/* RACK detects a lost retransmission: segment 0 is lost, retransmitted at 72 ms and lost again;
 * new data sent at 80 ms is SACKed at 90 ms while 0 is still missing: 0 is sent a third time
 * one reordering window later, long before the RTO. TSecr is set by hand to the TSval of the
 * segment each ACK answers. */
static void rack_lost_retransmission(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  send_twenty_at_60ms(fx, s);
  uint32_t ts60 = fx->last_tsval;
  /* 1, 2, 3 SACKed: limited transmit sends 10 and 11, the third duplicate starts recovery:
   * 0 again (cwnd = 12 / 2 = 6 segments). */
  sack_upto(fx, SYNACK_MS(70), 2, ts60);
  fx_expect(fx, FX_A, 101 + 10 * M, 1, .len = M, .t = SYNACK_MS(70));
  sack_upto(fx, SYNACK_MS(71), 3, ts60);
  fx_expect(fx, FX_A, 101 + 11 * M, 1, .len = M, .t = SYNACK_MS(71));
  sack_upto(fx, SYNACK_MS(72), 4, ts60);
  fx_expect(fx, FX_A, 101, 1, .len = M, .t = SYNACK_MS(72));
  fx_expect_none(fx);
  /* 4..7 SACKed: pipe = 8..11 + retransmitted 0 = 5: one new segment. */
  sack_upto(fx, SYNACK_MS(80), 8, ts60);
  fx_expect(fx, FX_A, 101 + 12 * M, 1, .len = M, .t = SYNACK_MS(80));
  fx_expect_none(fx);
  uint32_t ts80 = fx->last_tsval;
  sack_upto(fx, SYNACK_MS(85), 10, ts60);
  fx_expect(fx, FX_A, 101 + 13 * M, 1, .len = M, .t = SYNACK_MS(85));
  fx_expect(fx, FX_A, 101 + 14 * M, 1, .len = M, .t = SYNACK_MS(85));
  fx_expect_none(fx);
  /* 10..12 SACKed: segment 12 was sent at 80 ms, after the retransmission (72 ms), and is
   * delivered at 90 ms: the retransmission is lost once 72 ms + RACK.rtt (10 ms) + reo_wnd has
   * passed, and reo_wnd is 0 in recovery while no reordering was seen (RFC 8985 §6.2 step 4):
   * segment 0 goes a third time at once, first, then pipe lets 15..17 go. */
  sack_upto(fx, SYNACK_MS(90), 13, ts80);
  fx_expect(fx, FX_A, 101, 1, .len = M, .t = SYNACK_MS(90));
  for (int i = 15; i <= 17; i++) fx_expect(fx, FX_A, 101 + (uint32_t)i * M, 1, .len = M, .t = SYNACK_MS(90));
  fx_expect_none(fx);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_LOST_RETRANS], 1);
  fx_free(fx);
}

/* RFC 8985 §7.4: the probe was a retransmission of the last segment. When the ACK that covers
 * it carries no D-SACK and a later ACK goes beyond it, the probe repaired a loss: the window is
 * reduced once. With a D-SACK for the probe, the original had arrived: nothing is reduced. */
static void tlp_loss_detection(bool dsack) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  synack_time_t pto, tp = three_then_probe(fx, s, &pto);
  (void)pto;
  if (dsack)
    fx_inject(fx, tp + SYNACK_MS(1), FX_A, 1, 101 + 3 * M, .nsack = 1, .sack = { { 101 + 2 * M, 101 + 3 * M } });
  else
    fx_inject(fx, tp + SYNACK_MS(1), FX_A, 1, 101 + 3 * M);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, SYNACK_INFINITE_SSTHRESH); /* not yet: the ACK only reaches the probe */
  fx_check_rc(fx_send(fx, s, 100, 100 + 3 * M), 100);
  fx_expect(fx, FX_PA, 101 + 3 * M, 1, .len = 100, .t = tp + SYNACK_MS(1));
  fx_inject(fx, tp + SYNACK_MS(2), FX_A, 1, 101 + 3 * M + 100);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TLP_RECOVERIES], dsack ? 0 : 1);
  CHECK_EQ_U(ti.tlp_recoveries, dsack ? 0 : 1);
  CHECK_EQ_U(ti.tlp_probes, 1);
  if (dsack) CHECK_EQ_U(ti.snd_ssthresh, SYNACK_INFINITE_SSTHRESH);
  else CHECK(ti.snd_ssthresh != SYNACK_INFINITE_SSTHRESH);
  fx_free(fx);
}

static void tlp_repaired_loss_reduces(void) { tlp_loss_detection(false); }
static void tlp_dsacked_probe_keeps_window(void) { tlp_loss_detection(true); }

/* Segments 0..9 at 60 ms, ten more waiting; at 62 ms an ACK of 0 with a SACK of 2..9 starts
 * recovery with pipe 0: segment 1 again and new segments 10..12 (see the next case). */
static void start_recovery_with_pipe_0(fx_t *fx, int s) {
  send_twenty_at_60ms(fx, s);
  fx_inject(fx, SYNACK_MS(62), FX_A, 1, SEG(1) + 100, .nsack = 1, .sack = { { SEG(2) + 100, SEG(10) + 100 } });
  fx_expect(fx, FX_A, SEG(1) + 100, 1, .len = M, .t = SYNACK_MS(62));
  for (int i = 10; i < 13; i++) fx_expect(fx, FX_A, SEG(i) + 100, 1, .len = M, .t = SYNACK_MS(62));
  fx_expect_none(fx);
}

/* RFC 6937 §3: the ACK that makes RACK start recovery counts for PRR. Segments 0..9 are out,
 * ten more wait; the ACK at 62 ms acknowledges 0 and SACKs 2..9: RACK marks 1 lost at once
 * (reo_wnd 0: more than DupThresh - 1 segments SACKed, no reordering seen) and recovery starts
 * on this cumulative ACK with pipe 0. Its DeliveredData (9 segments) lets PRR-SSRB fill pipe up
 * to ssthresh (NewReno: FlightSize 9 segments / 2 = 6516 bytes): the retransmission and three
 * new segments. Counted only from the next ACK (the old code), the window stayed at the pipe
 * of the start, 0: the retransmission went out alone. */
static void prr_counts_the_ack_that_starts_recovery(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  start_recovery_with_pipe_0(fx, s);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.snd_ssthresh, 9 * M / 2 / M); /* tcp_info counts segments */
  CHECK_EQ_U(ti.total_retrans, 1);
  /* Then no ACK: the probe of the recovery (tcp_rack.c probe_state) sends new data when some
   * waits and the peer's window has room (RFC 8985 §7.3's choice): at 62 ms + PTO one new
   * segment, 13, beyond what PRR allows. */
  synack_time_t pto = pto_of(&ti);
  fx_expect_none_until(fx, SYNACK_MS(62) + pto - 1);
  fx_expect(fx, FX_A, SEG(13) + 100, 1, .len = M, .t = SYNACK_MS(62) + pto);
  fx_expect_none(fx);
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.tlp_probes, 1);
  CHECK_EQ_U(ti.total_retrans, 1);
  fx_free(fx);
}

/* The same when RACK's reordering timer starts recovery (no ACK: one segment's worth, as
 * Linux's RACK timeout does). A D-SACK first proves reordering, so reo_wnd stays above 0 with
 * many segments SACKed: min_RTT / 4 · 2 = 1 ms once min_RTT is 2 ms. Segments 0..9 at 60 ms;
 * at 62 ms 1..9 are SACKed (limited transmit sends 10); at 63 ms the timer marks 0 lost. pipe
 * is 10 alone (1448), ssthresh 11 segments / 2 = 7964: PRR-SSRB allows
 * min(ssthresh - pipe, DeliveredData + SMSS) = 2896 bytes: the retransmission of 0 and new
 * segment 11, which is sent after the retransmission, so that RACK can detect a loss of the
 * retransmission by the delivery of 11 instead of waiting for the RTO (with no delivery
 * counted, the retransmission went out alone: the bench_throughput RTOs at 1 % loss). */
static void prr_on_rack_timer_sends_after_the_retransmission(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(55), FX_A, 1, 101, .nsack = 1, .sack = { { 1, 101 } }); /* D-SACK */
  CHECK_EQ_U(fx_info(fx, s).reord_seen, 1);
  send_twenty_at_60ms(fx, s);
  fx_inject(fx, SYNACK_MS(62), FX_A, 1, 101, .nsack = 1, .sack = { { SEG(1) + 100, SEG(10) + 100 } });
  fx_expect(fx, FX_A, SEG(10) + 100, 1, .len = M, .t = SYNACK_MS(62)); /* RFC 3042 */
  fx_expect_none_until(fx, SYNACK_MS(63) - 1);
  fx_expect(fx, FX_A, 101, 1, .len = M, .t = SYNACK_MS(63));
  fx_expect(fx, FX_A, SEG(11) + 100, 1, .len = M, .t = SYNACK_MS(63));
  fx_expect_none(fx);
  CHECK_EQ_U(fx_info(fx, s).snd_ssthresh, 11 * M / 2 / M); /* segments */
  fx_free(fx);
}

/* The probe in recovery (tcp_rack.c probe_state, docs/loss-recovery.md "TLP"). Segments 0..9 go
 * at 60 ms and nothing more waits. The ACK at 62 ms acknowledges 0 and SACKs 2..9: RACK marks 1
 * lost and recovery resends it, alone. Its cumulative ACK is lost. Once every lost range is
 * resent and no ACK came for PTO = 2·SRTT + 2 ms (no delayed-ACK allowance: the receiver
 * acknowledges a hole's repair at once), the highest unSACKed segment, 1, goes again. Its ACK
 * acknowledges everything: no RTO. Without the probe in recovery (RFC 8985 §7.2 alone), the
 * next segment was the RTO's, 1 again one RTO after the retransmission. With a D-SACK for the
 * probe (the first retransmission had arrived) the reduction stays: the probe belongs to the
 * episode, so one duplicate of two retransmissions proves nothing spurious. */
static void recovery_probe(bool dsack) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(60));
  fx_check_rc(fx_send(fx, s, 10 * M, 100), 10 * M);
  for (int i = 0; i < 9; i++) fx_expect(fx, FX_A, SEG(i) + 100, 1, .len = M, .t = SYNACK_MS(60));
  fx_expect(fx, FX_PA, SEG(9) + 100, 1, .len = M, .t = SYNACK_MS(60));
  fx_inject(fx, SYNACK_MS(62), FX_A, 1, SEG(1) + 100, .nsack = 1, .sack = { { SEG(2) + 100, SEG(10) + 100 } });
  fx_expect(fx, FX_A, SEG(1) + 100, 1, .len = M, .t = SYNACK_MS(62));
  fx_expect_none(fx);
  synack_tcp_info_t ti = fx_info(fx, s);
  synack_time_t pto = pto_of(&ti);
  CHECK(pto < ti.rto_us);
  fx_expect_none_until(fx, SYNACK_MS(62) + pto - 1);
  fx_expect(fx, FX_A, SEG(1) + 100, 1, .len = M, .t = SYNACK_MS(62) + pto);
  fx_expect_none(fx);
  synack_time_t ta = SYNACK_MS(62) + pto + SYNACK_MS(1);
  if (dsack)
    fx_inject(fx, ta, FX_A, 1, SEG(10) + 100, .nsack = 1, .sack = { { SEG(1) + 100, SEG(2) + 100 } });
  else
    fx_inject(fx, ta, FX_A, 1, SEG(10) + 100);
  fx_expect_none_until(fx, ta + SYNACK_MS(2000));
  ti = fx_info(fx, s);
  CHECK_EQ_U(ti.tlp_probes, 1);
  CHECK_EQ_U(ti.rtos, 0);
  CHECK_EQ_U(ti.total_retrans, 2);
  CHECK_EQ_U(ti.undos, 0);
  CHECK_EQ_U(ti.snd_ssthresh, 9 * M / 2 / M); /* NewReno: FlightSize 9 segments / 2; not undone */
  CHECK_EQ_U(ti.tlp_recoveries, 0);           /* the recovery reduced already */
  fx_free(fx);
}

static void recovery_probe_resends_the_last_hole(void) { recovery_probe(false); }
static void recovery_probe_dsack_keeps_the_reduction(void) { recovery_probe(true); }

/* ---------- the transmit log's bound follows the send buffer ---------- */

/* What the stack sent since the last call: every segment full-sized, at time t; new data must
 * continue at next (segment index from byte 101); retransmissions are counted per index. */
#define XL_SEGS 512
typedef struct {
  uint32_t next, fresh;
  uint32_t rtx[XL_SEGS];
} sent_t;

static void collect(fx_t *fx, sent_t *o, synack_time_t t) {
  fx_frame_t f;
  synack_dissect_t d;
  o->fresh = 0;
  while (fx_pop_tcp(fx, &f, &d)) {
    uint32_t rel = d.tcp.seq - fx->isn - 101u, i = rel / M;
    CHECK_EQ_U(rel % M, 0);
    CHECK_EQ_U(d.tcp.payload_len, M);
    CHECK_EQ_U(f.t, t);
    if (i >= o->next) {
      CHECK_EQ_U(i, o->next);
      o->next++;
      o->fresh++;
    } else if (i < XL_SEGS) {
      o->rtx[i]++;
    }
    free(f.buf);
  }
}

static void sndbuf_16k_hook(synack_config_t *c) {
  cfg_hook(c);
  c->tcp_sndbuf = 16384; /* transmit log bound at the first send: 2 * 16384 / 1448 -> 64 entries */
}

/* The mechanism of the integrity matrix's mtu-9000 cell (docs/loss-recovery.md), at segment
 * level. The send buffer starts at 16 KiB and follows cwnd (tcp_mem.c); the transmit log's bound
 * came from the buffer of the first segment: 64 entries. An ACK clock of one ACK per 100 us in
 * slow start (each ACK one segment, each sends two: one log entry per ACK) grows the flight to
 * 160 segments in about 80 entries. Then segment L = 150 is lost: the ACK at t0 SACKs 151..157,
 * RACK marks L lost, the fast retransmission goes out and PRR sends new data after it. The next
 * ACK, 100 us later, SACKs 151..260, all sent 3-10 ms before t0. With the bound taken once, the
 * full log had folded 250.. into its last entry with the time of the newest data (sent at t0,
 * after the retransmission): RACK.xmit_ts = t0, RACK.rtt = 100 us, reo_wnd 0 in recovery, and the
 * retransmission of L was marked lost and sent again at once (on every later ACK in the cell: 40
 * copies of one segment). With the bound following the buffer, L is not resent. */
#define XL_ACKS 150u
static void xmitlog_bound_follows_the_send_buffer(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, sndbuf_16k_hook);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7; /* room for the whole window */
  int s = open_rack(fx);
  REQUIRE(s >= 0);
  static sent_t o;
  memset(&o, 0, sizeof o);
  uint32_t queued = 0; /* segments accepted by send */
  synack_time_t t = SYNACK_MS(60);
  fx_advance(fx, t);
  for (int64_t n; (n = fx_send(fx, s, 64u * M, 100u + queued * M)) > 0;) queued += (uint32_t)(n / M);
  collect(fx, &o, t);
  CHECK_EQ_U(o.next, 10);
  /* Slow start, one ACK per segment every 100 us from 61 ms (before the probe timeout). */
  for (uint32_t i = 0; i < XL_ACKS; i++) {
    t = SYNACK_MS(61) + i * 100u;
    fx_inject(fx, t, FX_A, 1, SEG(i + 1u) + 100u);
    collect(fx, &o, t);
    CHECK_EQ_U(o.fresh, 2);
    for (int64_t n; (n = fx_send(fx, s, 64u * M, 100u + queued * M)) > 0;) queued += (uint32_t)(n / M);
    collect(fx, &o, t);
    CHECK_EQ_U(o.fresh, 0);
  }
  CHECK_EQ_U(o.next, 10u + 2u * XL_ACKS);
  /* L lost, L+1..L+7 SACKed: RACK marks L (reo_wnd 0: more than two segments SACKed) and
   * recovery starts (NewReno: ssthresh = 160 / 2 = 80 segments); PRR releases 7 · 80 / 152
   * (RecoverFS = pipe) = 3.7 segments: the retransmission of L, then 310 and 311. */
  const uint32_t L = XL_ACKS;
  synack_time_t t0 = t + 100u;
  fx_inject(fx, t0, FX_A, 1, SEG(L) + 100u, .nsack = 1, .sack = { { SEG(L + 1u) + 100u, SEG(L + 8u) + 100u } });
  collect(fx, &o, t0);
  CHECK_EQ_U(o.rtx[L], 1);
  CHECK_EQ_U(o.fresh, 2);
  /* 100 us later everything else sent before t0 is SACKed (L+1..309): pipe is 310, 311 and the
   * retransmission, 3 segments, and PRR-SSRB fills it to ssthresh with 77 new segments. L is
   * not sent again: its retransmission left 100 us ago and nothing sent after it was delivered. */
  fx_inject(fx, t0 + 100u, FX_A, 1, SEG(L) + 100u, .nsack = 1,
            .sack = { { SEG(L + 1u) + 100u, SEG(10u + 2u * XL_ACKS) + 100u } });
  collect(fx, &o, t0 + 100u);
  CHECK_EQ_U(o.fresh, 77);
  CHECK_EQ_U(o.next, 12u + 2u * XL_ACKS + 77u);
  for (uint32_t i = 0; i < XL_SEGS; i++) CHECK_EQ_U(o.rtx[i], i == L ? 1u : 0u);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_LOST_RETRANS], 0);
  fx_free(fx);
}

/* A 200 us path (the TAP matrix's: RTT far below the timestamp tick): eight segments each ACKed
 * 200 us after it, SRTT from the transmit log's microsecond samples; then three segments and no
 * ACK: the probe leaves at 2 SRTT + 4 RTTVAR, not 2 SRTT + 2 ms (which cost a stall of 2 ms
 * per lost ACK of a burst acknowledged at once: half of a 3 % loss transfer). */
static void probe_timeout_follows_rttvar(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cfg_hook);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS;
  fx->ts_on = true;
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  for (uint32_t i = 0; i < 8; i++) {
    synack_time_t t = SYNACK_MS(100) + i * SYNACK_MS(10);
    fx_advance(fx, t);
    fx_check_rc(fx_send(fx, s, 100, i * 100u), 100);
    fx_expect(fx, FX_PA, 1 + i * 100u, 1, .len = 100, .t = t);
    fx_inject(fx, t + 200u, FX_A, 1, 101 + i * 100u);
  }
  synack_tcp_info_t ti = fx_info(fx, s);
  /* The handshake's sample (the echoed timestamp: 0 ms, 1 us) rises towards 200 us; from the
   * timestamps SRTT would stay at 1 us. */
  CHECK(ti.rtt_us > 100 && ti.rtt_us <= 200);
  CHECK(4 * ti.rttvar_us < SYNACK_MS(2));
  synack_time_t t = SYNACK_MS(200), pto = 2 * (synack_time_t)ti.rtt_us + 4 * (synack_time_t)ti.rttvar_us;
  CHECK_EQ_U(pto, pto_of(&ti));
  fx_advance(fx, t);
  fx_check_rc(fx_send(fx, s, 3 * M, 800), 3 * M);
  for (uint32_t i = 0; i < 3; i++) fx_expect(fx, FX_A, 801 + i * M, 1, .len = M, .t = t);
  fx_expect_none_until(fx, t + pto - 1);
  fx_expect(fx, FX_PA, 801 + 2 * M, 1, .len = M, .t = t + pto);
  CHECK_EQ_U(fx_info(fx, s).tlp_probes, 1);
  fx_free(fx);
}

TH_MAIN(TH_CASE(tail_loss_probe), TH_CASE(ack_after_probe_cancels_the_second), TH_CASE(probe_with_new_data), TH_CASE(rack_time_based_loss_marking),
        TH_CASE(rack_lost_retransmission), TH_CASE(tlp_repaired_loss_reduces), TH_CASE(tlp_dsacked_probe_keeps_window),
        TH_CASE(prr_counts_the_ack_that_starts_recovery), TH_CASE(prr_on_rack_timer_sends_after_the_retransmission),
        TH_CASE(recovery_probe_resends_the_last_hole), TH_CASE(recovery_probe_dsack_keeps_the_reduction),
        TH_CASE(xmitlog_bound_follows_the_send_buffer), TH_CASE(probe_timeout_follows_rttvar))
