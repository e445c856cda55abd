/* When the receiver acknowledges (tcp_ackpolicy.c, tcp_rcv.c): every second full-sized segment,
 * the delayed-ACK timer at its exact time, at once for out-of-order data, gap fills,
 * duplicates and a FIN beyond a gap; quick-ACK at the start and by socket option. */
#include "harness.h"
#include "tcpfix.h"

#define DL SYNACK_MS(40) /* tcp_delack_ms default */

static void ack_every_second_full_segment(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  /* RFC 5681 §4.2: an ACK for at least every second full-sized segment. */
  fx_inject(fx, SYNACK_MS(100), FX_A, 1, 1, .len = 1460);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(101), FX_A, 1461, 1, .len = 1460);
  fx_expect(fx, FX_A, 1, 2921, .t = SYNACK_MS(101));
  fx_inject(fx, SYNACK_MS(102), FX_A, 2921, 1, .len = 1460);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(103), FX_A, 4381, 1, .len = 1460);
  fx_expect(fx, FX_A, 1, 5841, .t = SYNACK_MS(103));
  /* A third segment alone waits for the timer: 40 ms after it arrived. */
  fx_inject(fx, SYNACK_MS(110), FX_A, 5841, 1, .len = 1460);
  fx_expect_none_until(fx, SYNACK_MS(110) + DL - 1);
  fx_expect(fx, FX_A, 1, 7301, .t = SYNACK_MS(110) + DL);
  fx_expect_none(fx);
  fx_free(fx);
}

/* With timestamps the peer's full segments carry 1448 bytes (MSS 1460 - 12): still every second. */
static void ack_every_second_with_timestamps(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_TS;
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  FX_REQUIRE_(fx->ts_on);
  for (uint32_t k = 0; k < 6; k += 2) {
    fx_inject(fx, SYNACK_MS(100 + k), FX_A, 1 + 1448 * k, 1, .len = 1448);
    fx_expect_none(fx);
    fx_inject(fx, SYNACK_MS(101 + k), FX_A, 1 + 1448 * (k + 1), 1, .len = 1448);
    fx_expect(fx, FX_A, 1, 1 + 1448 * (k + 2), .t = SYNACK_MS(101 + k), .layout = "nop,nop,TS");
  }
  fx_free(fx);
}

static void delayed_ack_timer_exact(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  /* The timer starts at the first unacknowledged segment and is not pushed back by later ones. */
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 100);
  fx_inject(fx, SYNACK_MS(120), FX_PA, 101, 1, .len = 100);
  fx_expect_none_until(fx, SYNACK_MS(140) - 1);
  fx_expect(fx, FX_A, 1, 201, .t = SYNACK_MS(140));
  fx_expect_none_until(fx, SYNACK_SEC(1));
  /* Reading does not force an ACK for a small window change (SWS, tcp_rcvwnd.c). */
  uint8_t buf[300];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 200);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_SEC(2), FX_PA, 201, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 211, .t = SYNACK_SEC(2) + DL);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_DELAYED_ACKS], 2);
  fx_free(fx);
}

static void delack_config_and_every_second(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_delack_ms = 200;
  c.tcp_delack_every_second = true; /* FreeBSD: every second segment, whatever its size */
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 10);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(150), FX_PA, 11, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 21, .t = SYNACK_MS(150));
  fx_inject(fx, SYNACK_MS(200), FX_PA, 21, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 31, .t = SYNACK_MS(400)); /* the configured 200 ms */
  fx_free(fx);
}

/* RFC 5681 §4.2: out-of-order segments get an immediate (duplicate) ACK; a segment that fills
 * all or part of a gap gets an immediate ACK. */
static void immediate_ack_out_of_order_and_gap_fill(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_A, 2001, 1, .len = 1000); /* gap 1..2001 */
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100));
  fx_inject(fx, SYNACK_MS(101), FX_A, 4001, 1, .len = 1000); /* second hole 3001..4001 */
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(101));
  fx_inject(fx, SYNACK_MS(102), FX_A, 1, 1, .len = 1000);    /* fills part of the first gap */
  fx_expect(fx, FX_A, 1, 1001, .t = SYNACK_MS(102));
  fx_inject(fx, SYNACK_MS(103), FX_A, 1001, 1, .len = 1000); /* fills it: 1..3001 in order */
  fx_expect(fx, FX_A, 1, 3001, .t = SYNACK_MS(103));
  fx_inject(fx, SYNACK_MS(104), FX_A, 3001, 1, .len = 1000); /* fills the last: 1..5001 */
  fx_expect(fx, FX_A, 1, 5001, .t = SYNACK_MS(104));
  /* Back to delayed ACKs. */
  fx_inject(fx, SYNACK_MS(105), FX_A, 5001, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 5101, .t = SYNACK_MS(105) + DL);
  uint8_t buf[6000], want[5100];
  for (uint32_t i = 0; i < 5100; i++) want[i] = fx_pattern(i);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 5100);
  CHECK_MEM(buf, want, 5100);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_OOO_SEGS], 2);
  fx_free(fx);
}

static void immediate_ack_for_duplicates(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(140));
  /* An old segment (its ACK was lost): re-ACK at once. */
  fx_inject(fx, SYNACK_MS(300), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(300));
  /* Straddling RCV.NXT: the new part is taken, the ACK is immediate (part duplicate). */
  fx_inject(fx, SYNACK_MS(400), FX_PA, 51, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 151, .t = SYNACK_MS(400));
  uint8_t buf[200];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 150);
  for (uint32_t i = 0; i < 150; i++) CHECK_EQ_U(buf[i], fx_pattern(i));
  fx_free(fx);
}

/* A FIN in order is acknowledged by the delayed-ACK timer (docs/tcp-choices.md: the
 * three-segment close); a FIN beyond a gap is acknowledged at once, and again at once when the
 * gap is filled. */
static void fin_acks(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FPA, 101, 1, .len = 100); /* data and FIN beyond a gap */
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100));
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(fx_events(fx, s) & SYNACK_EV_PEER_CLOSED, 0);
  fx_inject(fx, SYNACK_MS(110), FX_PA, 1, 1, .len = 100);    /* the gap: FIN now in order */
  fx_expect(fx, FX_A, 1, 202, .t = SYNACK_MS(110));
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  CHECK(fx_events(fx, s) & SYNACK_EV_PEER_CLOSED);
  uint8_t buf[300];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 200);
  for (uint32_t i = 0; i < 200; i++) CHECK_EQ_U(buf[i], fx_pattern(i));
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 0);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FA, 1, 1);                 /* in order: delayed */
  fx_expect_none(fx);
  fx_expect(fx, FX_A, 1, 2, .t = SYNACK_MS(140));
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_free(fx);

  /* A bare FIN beyond a gap (no data with it). */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FA, 51, 1);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100));
  fx_inject(fx, SYNACK_MS(120), FX_PA, 1, 1, .len = 50);
  fx_expect(fx, FX_A, 1, 52, .t = SYNACK_MS(120));
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_free(fx);
}

static void quickack_at_start(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_quickack_start = true;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  /* The first 8 segments are acknowledged one by one, at once. */
  for (uint32_t k = 0; k < 8; k++) {
    fx_inject(fx, SYNACK_MS(100 + k), FX_PA, 1 + 10 * k, 1, .len = 10);
    fx_expect(fx, FX_A, 1, 11 + 10 * k, .t = SYNACK_MS(100 + k));
  }
  fx_inject(fx, SYNACK_MS(200), FX_PA, 81, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 91, .t = SYNACK_MS(200) + DL);
  fx_free(fx);
}

static void quickack_socket_option(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL); /* fixture: tcp_quickack_start off */
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  FX_REQUIRE_(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(140));
  int v = -1;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_QUICKACK, &v), 0);
  CHECK_EQ_I(v, 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_QUICKACK, 1), 0);
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_QUICKACK, &v), 0);
  CHECK_EQ_I(v, 1);
  fx_inject(fx, SYNACK_MS(200), FX_PA, 11, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 21, .t = SYNACK_MS(200));
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_QUICKACK, 0), 0);
  fx_inject(fx, SYNACK_MS(300), FX_PA, 21, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 31, .t = SYNACK_MS(340));
  fx_free(fx);
}

TH_MAIN(TH_CASE(ack_every_second_full_segment), TH_CASE(ack_every_second_with_timestamps),
        TH_CASE(delayed_ack_timer_exact), TH_CASE(delack_config_and_every_second),
        TH_CASE(immediate_ack_out_of_order_and_gap_fill), TH_CASE(immediate_ack_for_duplicates), TH_CASE(fin_acks),
        TH_CASE(quickack_at_start), TH_CASE(quickack_socket_option))
