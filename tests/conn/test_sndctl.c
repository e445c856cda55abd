/* Sending control and low-water marks (tcp_sndctl.c): TCP_CORK and its timer, MSG_EOR record
 * ends (never coalesced, also not by a go-back-N retransmission), TCP_NOTSENT_LOWAT (write
 * sizes, poll, the writable event), SO_RCVLOWAT (poll, the readable event), SO_SNDLOWAT,
 * TCP_INQ and recvmsg's inq, SIOCOUTQNSD, vectored sendmsg/recvmsg, and a tail loss probe that
 * sends held data. */
#include "harness.h"
#include "tcpfix.h"

static int opt(fx_t *fx, int s, synack_sockopt_t o) {
  int v = -12345;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, o, &v), 0);
  return v;
}

/* Corked partial segments wait however long; uncorking sends them as one segment. */
static void cork_holds_until_uncork(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 1), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_TCP_CORK), 1);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_check_rc(fx_send(fx, s, 200, 100), 200);
  fx_expect_none(fx);
  fx_advance(fx, SYNACK_MS(50));
  fx_expect_none(fx);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 0), 0);
  fx_expect(fx, FX_PA, 1, 1, .len = 300, .psh_exact = true, .t = SYNACK_MS(50));
  fx_expect_none(fx);
  CHECK_EQ_I(opt(fx, s, SYNACK_TCP_CORK), 0);
  fx_free(fx);
}

/* Full segments leave at once while corked; the partial tail waits for the cork timer: one
 * RTO with nothing in flight. The socket stays corked afterwards. */
static void cork_timer_sends_tail(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 1), 0);
  fx_check_rc(fx_send(fx, s, 3000, 0), 3000);
  fx_expect(fx, FX_A, 1, 1, .len = 1460, .psh_exact = true);
  fx_expect(fx, FX_A, 1461, 1, .len = 1460, .psh_exact = true);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 2921);
  fx_expect_none(fx);
  synack_time_t rto = fx_info(fx, s).rto_us;
  fx_expect_none_until(fx, SYNACK_MS(1) + rto - 1);
  fx_expect(fx, FX_PA, 2921, 1, .len = 80, .t = SYNACK_MS(1) + rto, .psh_exact = true);
  fx_inject(fx, SYNACK_MS(1) + rto + SYNACK_MS(1), FX_A, 1, 3001);
  CHECK_EQ_I(opt(fx, s, SYNACK_TCP_CORK), 1);
  fx_check_rc(fx_send(fx, s, 10, 3000), 10);
  fx_expect_none(fx);
  fx_free(fx);
}

/* MSG_EOR: with Nagle holding data, the next write does not join the record; a complete record
 * with data behind it leaves at once. A go-back-N retransmission keeps the boundary too. */
static void eor_not_coalesced(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint8_t b[200];
  for (uint32_t i = 0; i < 200; i++) b[i] = fx_pattern(i);
  fx_check_rc(synack_send(fx->st, fx->now, s, b, 100, SYNACK_MSG_EOR), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100);
  fx_check_rc(synack_send(fx->st, fx->now, s, b + 100, 100, SYNACK_MSG_EOR), 100);
  fx_expect_none(fx); /* Nagle: the last segment waits */
  fx_check_rc(fx_send(fx, s, 100, 200), 100);
  /* the record 101..200 is complete: it goes, PSH set; 201..300 waits for Nagle */
  fx_expect(fx, FX_PA, 101, 1, .len = 100, .psh_exact = true);
  fx_expect_none(fx);
  fx_check_rc(fx_send(fx, s, 100, 300), 100);
  fx_expect_none(fx);
  /* nothing is acknowledged: the RTO resends from 1, one segment per record */
  synack_time_t rto = fx_info(fx, s).rto_us;
  fx_expect(fx, FX_PA, 1, 1, .len = 100, .t = rto, .within = SYNACK_MS(300), .psh_exact = true);
  fx_expect(fx, FX_PA, 101, 1, .len = 100, .psh_exact = true);
  fx_expect_none(fx);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 201);
  fx_expect(fx, FX_PA, 201, 1, .len = 200, .psh_exact = true);
  fx_expect_none(fx);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 401);
  fx_expect_none(fx);
  fx_free(fx);
}

/* A record longer than the MSS: full segments, then the record's end, then the next record. */
static void eor_long_record(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 1), 0);
  uint8_t b[2000];
  for (uint32_t i = 0; i < sizeof b; i++) b[i] = fx_pattern(i);
  fx_check_rc(synack_send(fx->st, fx->now, s, b, 1500, SYNACK_MSG_EOR), 1500);
  fx_check_rc(synack_send(fx->st, fx->now, s, b + 1500, 500, SYNACK_MSG_EOR), 500);
  fx_expect(fx, FX_A, 1, 1, .len = 1460, .psh_exact = true);
  fx_expect(fx, FX_PA, 1461, 1, .len = 40, .psh_exact = true);
  fx_expect_none(fx); /* the last record is the corked tail */
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1501);
  fx_expect_none(fx);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 0), 0);
  fx_expect(fx, FX_PA, 1501, 1, .len = 500, .psh_exact = true);
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 2001);
  fx_expect_none(fx);
  fx_free(fx);
}

/* TCP_NOTSENT_LOWAT: a write takes MSS-sized pieces while fewer bytes than the mark are unsent;
 * poll() and the event report writable under half the mark. */
static void notsent_lowat(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, 0, FX_A, 1, 1, .win = 2920);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NOTSENT_LOWAT, 3000), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_TCP_NOTSENT_LOWAT), 3000);
  (void)fx_events(fx, s);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE);
  /* 2 segments go (the window), then 1460 + 1460 unsent: the next piece would start at 2920 < 3000,
   * one more: 4380 ≥ 3000 stops. */
  fx_check_rc(fx_send(fx, s, 10000, 0), 2920 + 4380);
  fx_expect(fx, FX_A, 1, 1, .len = 1460);
  fx_expect(fx, FX_PA, 1461, 1, .len = 1460);
  fx_expect_none(fx);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_NOTSENT), 4380);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_OUTQ), 7300);
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE));
  fx_check_rc(fx_send(fx, s, 100, 7300), -SYNACK_EAGAIN);
  /* one segment's room: 2920 unsent, not under half the mark: no event, not writable */
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1461, .win = 2920);
  fx_expect(fx, FX_A, 2921, 1, .len = 1460);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_NOTSENT), 2920);
  CHECK(!(fx_events(fx, s) & SYNACK_EV_WRITABLE));
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE));
  /* one more: 1460 unsent < 1500: the event comes with the data that leaves */
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 4381, .win = 1460);
  fx_expect(fx, FX_A, 4381, 1, .len = 1460);
  fx_expect_none(fx);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_NOTSENT), 1460);
  CHECK(fx_events(fx, s) & SYNACK_EV_WRITABLE);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE);
  /* lowering the mark: not writable any more; raising it: writable, with an event */
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NOTSENT_LOWAT, 2000), 0);
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE));
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NOTSENT_LOWAT, 0), 0);
  CHECK(fx_events(fx, s) & SYNACK_EV_WRITABLE);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE);
  fx_free(fx);
}

/* SO_RCVLOWAT: readable (poll and event) only with enough bytes, or at EOF; reads return what
 * there is; a lower mark set later posts the event. SO_SNDLOWAT is fixed at 1. */
static void rcvlowat(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_RCVLOWAT), 1);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_RCVLOWAT, 1000), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_RCVLOWAT), 1000);
  fx_inject(fx, SYNACK_MS(1), FX_PA, 1, 1, .len = 600);
  CHECK(!(fx_events(fx, s) & SYNACK_EV_READABLE));
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_READABLE));
  fx_inject(fx, SYNACK_MS(2), FX_PA, 601, 1, .len = 400);
  CHECK(fx_events(fx, s) & SYNACK_EV_READABLE);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_READABLE);
  uint8_t b[1000];
  fx_check_rc(fx_recv(fx, s, b, 300), 300);
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_READABLE));
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_RCVLOWAT, 500), 0);
  CHECK(fx_events(fx, s) & SYNACK_EV_READABLE);
  fx_check_rc(fx_recv(fx, s, b, 600), 600);
  fx_check_rc(fx_recv(fx, s, b, 600), 100); /* below the mark: a read returns what there is */
  /* 0 means 1; a mark above half the buffer is cut to half of it; negative means "all" */
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_RCVLOWAT, 0), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_RCVLOWAT), 1);
  int half = opt(fx, s, SYNACK_SO_RCVBUF) / 2;
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_RCVLOWAT, -1), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_RCVLOWAT), half);
  /* EOF is readable whatever the mark */
  fx_inject(fx, SYNACK_MS(3), FX_FA, 1001, 1);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_READABLE);
  /* SO_SNDLOWAT: Linux's fixed 1 */
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_SNDLOWAT), 1);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_SNDLOWAT, 100), -SYNACK_ENOPROTOOPT);
  fx_free(fx);
}

/* recvmsg over three iovecs, with MSG_PEEK, and TCP_INQ's count (1 at EOF). */
static void recvmsg_inq(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_PA, 1, 1, .len = 1000);
  uint8_t a[100], b[50], c[200];
  synack_iovec_t v[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
  synack_msghdr_t m = { .iov = v, .iovlen = 3 };
  fx_check_rc(synack_recvmsg(fx->st, fx->now, s, &m, SYNACK_MSG_PEEK), 350);
  CHECK_EQ_I(m.inq, -1); /* TCP_INQ off */
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_INQ), 1000);
  uint8_t want[350];
  for (uint32_t i = 0; i < 350; i++) want[i] = fx_pattern(i);
  CHECK_MEM(a, want, 100);
  CHECK_MEM(b, want + 100, 50);
  CHECK_MEM(c, want + 150, 200);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_INQ, 1), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_TCP_INQ), 1);
  memset(a, 0, sizeof a);
  fx_check_rc(synack_recvmsg(fx->st, fx->now, s, &m, 0), 350);
  CHECK_EQ_I(m.inq, 650);
  CHECK_EQ_I(m.flags, 0);
  CHECK_MEM(a, want, 100);
  CHECK_MEM(c, want + 150, 200);
  fx_inject(fx, SYNACK_MS(2), FX_FA, 1001, 1);
  uint8_t big[1000];
  synack_iovec_t one = { big, sizeof big };
  m.iov = &one;
  m.iovlen = 1;
  fx_check_rc(synack_recvmsg(fx->st, fx->now, s, &m, 0), 650);
  CHECK_EQ_I(m.inq, 1); /* nothing left but the FIN: come back for the EOF */
  fx_check_rc(synack_recvmsg(fx->st, fx->now, s, &m, 0), 0);
  CHECK_EQ_I(m.inq, 1);
  fx_free(fx);
}

/* sendmsg gathers its iovecs into the stream in order; MSG_EOR applies to the call's end. */
static void sendmsg_gathers(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint8_t p[600];
  for (uint32_t i = 0; i < sizeof p; i++) p[i] = fx_pattern(i);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 1), 0);
  synack_iovec_t v[3] = { { p, 100 }, { p + 100, 0 }, { p + 100, 200 } };
  fx_check_rc(synack_sendmsg(fx->st, fx->now, s, v, 3, SYNACK_MSG_EOR), 300);
  synack_iovec_t w[1] = { { p + 300, 300 } };
  fx_check_rc(synack_sendmsg(fx->st, fx->now, s, w, 1, 0), 300);
  fx_expect(fx, FX_PA, 1, 1, .len = 300, .psh_exact = true); /* the stream pattern: checked */
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 301);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 0), 0);
  fx_expect(fx, FX_PA, 301, 1, .len = 300);
  synack_iovec_t bad = { NULL, 10 };
  fx_check_rc(synack_sendmsg(fx->st, fx->now, s, &bad, 1, 0), -SYNACK_EFAULT);
  fx_free(fx);
}

/* A tail loss probe sends the held partial segment (new data), not a copy of the last one:
 * Linux probes with TCP_NAGLE_OFF. */
static void tlp_sends_corked_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM; /* RACK-TLP runs with SACK */
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_CORK, 1), 0);
  fx_check_rc(fx_send(fx, s, 1500, 0), 1500);
  fx_expect(fx, FX_A, 1, 1, .len = 1460);
  fx_expect_none(fx);
  CHECK(fx_info(fx, s).tlp_probes == 0);
  /* One segment out: PTO = 2 SRTT + 200 ms, at most the RTO (RFC 8985 §7.2). The counters are
   * read at the probe: on this handshake's 1 us RTT the second probe (a copy of the last
   * segment, two segments now being out) follows four microseconds later. */
  synack_tcp_info_t ti = fx_info(fx, s);
  synack_time_t pto = 2 * (synack_time_t)ti.rtt_us + SYNACK_MS(200);
  fx_expect(fx, FX_PA, 1461, 1, .len = 40, .t = pto < ti.rto_us ? pto : ti.rto_us);
  CHECK_EQ_U(fx_info(fx, s).tlp_probes, 1);
  CHECK_EQ_U(fx_info(fx, s).total_retrans, 0);
  fx_free(fx);
}

TH_MAIN(TH_CASE(cork_holds_until_uncork), TH_CASE(cork_timer_sends_tail), TH_CASE(eor_not_coalesced),
        TH_CASE(eor_long_record), TH_CASE(notsent_lowat), TH_CASE(rcvlowat), TH_CASE(recvmsg_inq),
        TH_CASE(sendmsg_gathers), TH_CASE(tlp_sends_corked_data))
