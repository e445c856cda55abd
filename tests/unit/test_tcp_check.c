/* src/core/tcp_check.c: the checks of RFC 9293 §3.10.7.4 steps 1, 2 and 4 (with RFC 5961 and
 * PAWS) shared by TCBs, half-open and TIME-WAIT entries, and the rate limits of their answers
 * (tcp_invalid_ratelimit per connection, the RFC 5961 §7 budget per stack). Issue 12 §3. */
#include "harness.h"
#include "tcp_internal.h"
#include "tcpfix.h"

#define TS_SYN_OPTS (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE)

/* A fixture whose peer offers timestamps (and SACK, window scale 7). */
static fx_t *fx_new_ts(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  if (fx) fx->peer_syn = (fx_opt_t){ .has = TS_SYN_OPTS, .mss = 1460, .ws = 7 };
  return fx;
}

static uint64_t ev(fx_t *fx, synack_counter_t c) { return synack_stack_counters(fx->st)->events[c]; }

/* The four cases of RFC 9293 §3.10.7.4's acceptability test, at the edges. */
static void acceptability_cases(void) {
  synack_seq_t nxt = seq_make(0xfffffff0u); /* the window wraps */
  CHECK(synack_tcp_seq_acceptable(nxt, 100, nxt, 0));
  CHECK(synack_tcp_seq_acceptable(nxt, 100, seq_add(nxt, 99), 0));
  CHECK(!synack_tcp_seq_acceptable(nxt, 100, seq_add(nxt, 100), 0));
  CHECK(!synack_tcp_seq_acceptable(nxt, 100, seq_sub(nxt, 1), 0));
  CHECK(synack_tcp_seq_acceptable(nxt, 0, nxt, 0));
  CHECK(!synack_tcp_seq_acceptable(nxt, 0, seq_add(nxt, 1), 0));
  CHECK(!synack_tcp_seq_acceptable(nxt, 0, nxt, 1));
  CHECK(synack_tcp_seq_acceptable(nxt, 100, seq_sub(nxt, 10), 11)); /* its last byte is RCV.NXT */
  CHECK(!synack_tcp_seq_acceptable(nxt, 100, seq_sub(nxt, 10), 10));
  CHECK(synack_tcp_seq_acceptable(nxt, 100, seq_add(nxt, 99), 50));
}

/* synack_tcp_check's verdict on a segment of `len` octets (SYN and FIN counted) at seq. */
static synack_check_t edge_verdict(fx_t *fx, synack_edge_t edge, bool busy, synack_seq_t nxt, uint32_t wnd, synack_seq_t seq,
                                   uint8_t flags, uint32_t len) {
  synack_tcp_view_t v = { .rcv_nxt = nxt, .rcv_wnd = wnd, .right_edge = edge, .rcvq_busy = busy };
  synack_seg_t seg;
  memset(&seg, 0, sizeof seg);
  seg.seq = seq;
  seg.flags = flags;
  seg.seg_len = len;
  seg.len = len - ((flags & SYNACK_TCP_SYN) ? 1u : 0u) - ((flags & SYNACK_TCP_FIN) ? 1u : 0u);
  return synack_tcp_check(fx->st, &v, &seg, fx->now);
}

/* cfg.tcp_seq_right_edge, as the kernel showed it (tests/scripts/window/right-edge-*-linux.pkt):
 * a segment starting exactly at RCV.NXT + RCV.WND passes Linux's tcp_sequence (full sockets) and
 * tcp_in_window (request sockets: no text) where RFC 9293 rejects it; text reaching beyond the
 * edge passes only with an empty receive queue, even when it starts inside; a FIN just beyond
 * the edge does not count; a SYN keeps the RFC's verdict. */
static void right_edge_cases(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  synack_seq_t nxt = seq_make(0xfffffff0u); /* the window wraps */
  synack_seq_t edge = seq_add(nxt, 100);
  const uint8_t A = SYNACK_TCP_ACK, R = SYNACK_TCP_RST, F = SYNACK_TCP_FIN | SYNACK_TCP_ACK;
  /* a bare ACK at the edge */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_RFC, false, nxt, 100, edge, A, 0), SYNACK_CHECK_OOW);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_ZERO_LEN, false, nxt, 100, edge, A, 0), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 100, edge, A, 0), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, seq_add(edge, 1), A, 0), SYNACK_CHECK_OOW);
  /* a RST at the edge: in the window, not at RCV.NXT: RFC 5961 §3.2 challenge (default on) */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_RFC, false, nxt, 100, edge, R, 0), SYNACK_CHECK_DROP);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, edge, R, 0), SYNACK_CHECK_CHALLENGE);
  /* text at the edge: full sockets only, and only with nothing to read */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_ZERO_LEN, false, nxt, 100, edge, A, 10), SYNACK_CHECK_OOW);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, edge, A, 10), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 100, edge, A, 10), SYNACK_CHECK_OOW);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, seq_add(edge, 1), A, 10), SYNACK_CHECK_OOW);
  /* text starting at the last octet, reaching beyond: the RFC accepts it; Linux not while busy */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_RFC, true, nxt, 100, seq_sub(edge, 1), A, 10), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 100, seq_sub(edge, 1), A, 10), SYNACK_CHECK_OOW);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, seq_sub(edge, 1), A, 10), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 100, seq_sub(edge, 1), A, 1), SYNACK_CHECK_PASS);
  /* a FIN just beyond the edge does not count, even while busy */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 100, edge, F, 1), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 100, seq_sub(edge, 1), F, 2), SYNACK_CHECK_PASS);
  /* a SYN keeps the RFC's verdict */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, edge, SYNACK_TCP_SYN, 1), SYNACK_CHECK_OOW);
  /* a zero window: text at RCV.NXT passes with nothing to read (the queueing code drops it) */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 0, nxt, A, 1), SYNACK_CHECK_PASS);
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, true, nxt, 0, nxt, A, 1), SYNACK_CHECK_OOW);
  /* old segments stay old */
  CHECK_EQ_I(edge_verdict(fx, SYNACK_EDGE_LINUX, false, nxt, 100, seq_sub(nxt, 1), A, 0), SYNACK_CHECK_OOW);
  fx_free(fx);
}

/* One answer to invalid pure segments per 500 ms per connection: an out-of-window ACK and a
 * PAWS-old ACK 100 ms later draw nothing; half a second after the first answer the next one
 * is answered. Before: every one was answered (ACK reflection, ACK loops). */
static void oow_answers_rate_limited(void) {
  fx_t *fx = fx_new_ts();
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_time_t t0 = fx->now + SYNACK_SEC(1);
  uint64_t skipped = ev(fx, SYNACK_CTR_TCP_INVALID_ACKS_SKIPPED);
  fx_inject(fx, t0, FX_A, 1 + 5000000, 1);
  fx_expect(fx, FX_A, 1, 1, .t = t0);
  fx_inject(fx, t0 + SYNACK_MS(100), FX_A, 1 + 5000000, 1);
  fx_inject(fx, t0 + SYNACK_MS(200), FX_A, 1, 1, .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = 1 }); /* PAWS */
  fx_expect_none(fx);
  CHECK_EQ_U(ev(fx, SYNACK_CTR_TCP_INVALID_ACKS_SKIPPED), skipped + 2);
  fx_inject(fx, t0 + SYNACK_MS(500), FX_A, 1 + 5000000, 1);
  fx_expect(fx, FX_A, 1, 1, .t = t0 + SYNACK_MS(500));
  /* Data is exempt (as Linux): its sender needs the duplicate ACK. */
  fx_inject(fx, t0 + SYNACK_MS(510), FX_PA, 1 + 5000000, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 1, .t = t0 + SYNACK_MS(510));
  fx_inject(fx, t0 + SYNACK_MS(520), FX_PA, 1 + 5000000, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 1, .t = t0 + SYNACK_MS(520));
  /* A bare FIN is not: forged FINs out of the window get one answer per period. */
  fx_inject(fx, t0 + SYNACK_MS(1100), FX_FA, 1 + 5000000, 1);
  fx_expect(fx, FX_A, 1, 1, .t = t0 + SYNACK_MS(1100));
  fx_inject(fx, t0 + SYNACK_MS(1110), FX_FA, 1 + 6000000, 1);
  fx_inject(fx, t0 + SYNACK_MS(1120), FX_FA, 1 + 7000000, 1);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* The limit is one for all invalid answers: a challenge ACK (RST in the window) uses it up for
 * an out-of-window ACK that follows. */
static void challenge_and_oow_share_the_limit(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_time_t t0 = fx->now + SYNACK_SEC(1);
  fx_inject(fx, t0, FX_R, 1 + 100, 0);
  fx_expect(fx, FX_A, 1, 1, .t = t0);
  fx_inject(fx, t0 + SYNACK_MS(1), FX_A, 1 + 5000000, 1);
  fx_inject(fx, t0 + SYNACK_MS(2), FX_S, 1 + 200, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

static void chal_limit_one(synack_config_t *c) { c->tcp_challenge_ack_limit = 1; }

/* RFC 5961 §7 per stack: with tcp_challenge_ack_limit 1 each second's budget is exactly one
 * ([1/2 rounded up, 1 + 1/2) = [1, 1]); a second connection's challenge in the same second
 * draws nothing although its own per-connection limit would allow it. */
static void challenge_budget_per_stack(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, chal_limit_one);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_time_t t0 = SYNACK_SEC(10);
  uint64_t chal = ev(fx, SYNACK_CTR_TCP_CHALLENGE_ACKS);
  fx_inject(fx, t0, FX_R, 1 + 100, 0);
  fx_expect(fx, FX_A, 1, 1, .t = t0);
  /* 600 ms later the connection may answer again, the stack's second may not. */
  fx_inject(fx, t0 + SYNACK_MS(600), FX_R, 1 + 100, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(synack_stack_counters(fx->st)->drops[SYNACK_DROP_TCP_CHALLENGE_RATE] > 0, 1);
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_R, 1 + 100, 0);
  fx_expect(fx, FX_A, 1, 1, .t = t0 + SYNACK_SEC(1));
  CHECK_EQ_U(ev(fx, SYNACK_CTR_TCP_CHALLENGE_ACKS), chal + 2);
  fx_free(fx);
}

/* A half-open entry answers unacceptable segments with its SYN-ACK, at most once per 500 ms. */
static void halfopen_answers_rate_limited(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  synack_time_t t0 = fx->now + SYNACK_MS(10);
  fx_inject(fx, t0, FX_A, 1 + 5000000, 1);
  fx_expect(fx, FX_SA, 0, 1, .t = t0);
  fx_inject(fx, t0 + SYNACK_MS(10), FX_A, 1 + 5000000, 1);
  fx_inject(fx, t0 + SYNACK_MS(20), FX_A, 1 + 6000000, 1);
  fx_expect_none(fx);
  fx_inject(fx, t0 + SYNACK_MS(500), FX_A, 1 + 5000000, 1);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_MS(500));
  /* the handshake still completes */
  fx_inject(fx, t0 + SYNACK_MS(510), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* TS.Recent is not taken from a segment whose ACK covers data never sent (as Linux): a blind
 * in-window segment with a huge TSval would otherwise make PAWS drop the real peer. */
static void ts_recent_not_poisoned(void) {
  fx_t *fx = fx_new_ts();
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  synack_time_t t0 = fx->now + SYNACK_SEC(1);
  uint32_t real_ts = fx->peer_ts_base + (uint32_t)(t0 / 1000);
  fx_inject(fx, t0, FX_A, 1, 1 + 1000000, .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsval = real_ts + 0x40000000u });
  fx_expect(fx, FX_A, 1, 1, .t = t0); /* the RFC 5961 §5.2 challenge ACK, echoing the old TS.Recent */
  /* The real peer's next data is accepted and its TSval echoed. */
  fx_inject(fx, t0 + SYNACK_MS(600), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .t = t0 + SYNACK_MS(600), .within = SYNACK_MS(200),
            .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = fx->peer_ts_base + (uint32_t)((t0 + SYNACK_MS(600)) / 1000),
                     .check_tsecr = true });
  CHECK_EQ_U(synack_stack_counters(fx->st)->drops[SYNACK_DROP_TCP_PAWS], 0);
  fx_free(fx);
}

/* The RTT sample from a SYN-ACK's TSecr is bounded like the established path's: an echo that
 * is no measurement (here 30 minutes old) falls back to timing the SYN. */
static void synack_tsecr_bounded(void) {
  fx_t *fx = fx_new_ts();
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  uint32_t bogus = fx->last_tsval - 1800000u;
  fx_inject(fx, fx->now + SYNACK_MS(80), FX_SA, 0, 1,
            .opt = { .has = TS_SYN_OPTS, .mss = 1460, .ws = 7, .tsval = 5000, .tsecr = bogus });
  fx_expect(fx, FX_A, 1, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  synack_tcp_info_t ti = fx_info(fx, s);
  CHECK_EQ_U(ti.rtt_us, 80000);
  fx_free(fx);
}

/* RFC 7323 §3.2: a RST of a connection using timestamps carries them. */
static void rst_carries_timestamps(void) {
  fx_t *fx = fx_new_ts();
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx->now += SYNACK_MS(5);
  uint32_t ecr = fx->peer_ts_base + (uint32_t)((fx->now - SYNACK_MS(5)) / 1000);
  CHECK_EQ_I(synack_abort(fx->st, fx->now, s), 0);
  fx_expect(fx, FX_RA, 1, 1, .opt = { .has = SYNACK_TCPOPT_HAS_TS, .tsecr = ecr, .check_tsecr = true });
  fx_free(fx);
}

/* A known option with a wrong length is ignored and counted; the segment is kept. */
static void bad_option_length_keeps_segment(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  /* data with a window-scale option of length 4 (WS is 3 bytes) */
  uint8_t pkt[128];
  fx_seg_t seg = { .flags = FX_PA, .seq = 1, .ack = 1, .len = 10, .noopt = true };
  size_t n = fx_build(fx, &seg, &fx->peer_ip, fx->rport, pkt, sizeof pkt);
  REQUIRE(n > 0);
  /* rebuild the TCP header with the bad option: IPv4 header is 20 bytes */
  uint8_t raw[128];
  memcpy(raw, pkt, 40);
  static const uint8_t opt[4] = { 3, 4, 7, 0 };
  memcpy(raw + 40, opt, 4);
  memcpy(raw + 44, pkt + 40, n - 40);
  raw[32] = (uint8_t)(6 << 4); /* data offset 24 bytes */
  size_t len = n + 4;
  raw[2] = (uint8_t)(len >> 8);
  raw[3] = (uint8_t)len;
  synack_ip_t src = fx->peer_ip, dst = fx->local_ip;
  raw[10] = raw[11] = 0;
  uint16_t c = synack_csum_finish(synack_csum_add(0, raw, 20));
  raw[10] = (uint8_t)(c >> 8);
  raw[11] = (uint8_t)c;
  synack_tcp_fill_checksum(raw + 20, len - 20, &src, &dst);
  uint64_t ign = ev(fx, SYNACK_CTR_TCP_OPT_BAD_LEN_IGNORED);
  fx_inject_raw(fx, fx->now + SYNACK_MS(10), raw, len);
  CHECK_EQ_U(ev(fx, SYNACK_CTR_TCP_OPT_BAD_LEN_IGNORED), ign + 1);
  uint8_t buf[32];
  CHECK_EQ_I(fx_recv(fx, s, buf, sizeof buf), 10);
  fx_free(fx);
}

TH_MAIN(TH_CASE(acceptability_cases), TH_CASE(right_edge_cases), TH_CASE(oow_answers_rate_limited), TH_CASE(challenge_and_oow_share_the_limit),
        TH_CASE(challenge_budget_per_stack), TH_CASE(halfopen_answers_rate_limited), TH_CASE(ts_recent_not_poisoned),
        TH_CASE(synack_tsecr_bounded), TH_CASE(rst_carries_timestamps), TH_CASE(bad_option_length_keeps_segment))
