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

/* cfg.tcp_delack_linux (docs/linux-differences.md 61-64; tests/scripts/delayed-ack/ pins the
 * same against the kernel). An established passive connection under the linux preset, with the
 * Linux delayed-ACK engine switched on or off. */
static fx_t *linux_conn(bool engine, int *s) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  if (synack_config_preset(&c, "linux") != 0) return NULL;
  c.tcp_delack_linux = engine;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  if (!fx) return NULL;
  *s = fx_open_passive(fx);
  if (*s < 0) {
    fx_free(fx);
    return NULL;
  }
  return fx;
}

static int quickack_opt(fx_t *fx, int s) {
  int v = -1;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_QUICKACK, &v), 0);
  return v;
}

/* A 100-byte request at 100 ms (quick-ACKed), read, and a 50-byte reply 10 ms later. */
static void request_and_reply(fx_t *fx, int s) {
  uint8_t buf[200];
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(100));
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_advance(fx, SYNACK_MS(110));
  fx_check_rc(fx_send(fx, s, 50, 0), 50);
  fx_expect(fx, FX_PA, 1, 101, .len = 50, .t = SYNACK_MS(110));
}

/* Pingpong mode: a reply within ato of the request makes the connection interactive; the next
 * request is not quick-ACKed (the reply carries the ACK); a timer that fires ends the mode. */
static void pingpong(bool engine) {
  int s;
  fx_t *fx = linux_conn(engine, &s);
  REQUIRE(fx);
  uint8_t buf[200];
  if (engine) CHECK_EQ_I(quickack_opt(fx, s), 1); /* not pingpong (without: no quick ACK left yet) */
  request_and_reply(fx, s);
  CHECK_EQ_I(quickack_opt(fx, s), engine ? 0 : 1);
  fx_inject(fx, SYNACK_MS(200), FX_PA, 101, 51, .len = 100);
  if (!engine) {
    /* quick-ACK mode knows no pingpong: at once */
    fx_expect(fx, FX_A, 51, 201, .t = SYNACK_MS(200));
    fx_free(fx);
    return;
  }
  fx_expect_none_until(fx, SYNACK_MS(220));
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_check_rc(fx_send(fx, s, 50, 50), 50);
  fx_expect(fx, FX_PA, 51, 201, .len = 50, .t = SYNACK_MS(220)); /* the reply carries the ACK */
  /* no reply: the timer (ato 40 ms) fires and ends pingpong mode */
  fx_inject(fx, SYNACK_MS(300), FX_PA, 201, 101, .len = 100);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_expect_none_until(fx, SYNACK_MS(339));
  fx_expect(fx, FX_A, 101, 301, .t = SYNACK_MS(340));
  CHECK_EQ_I(quickack_opt(fx, s), 1);
  fx_inject(fx, SYNACK_MS(400), FX_PA, 301, 101, .len = 100);
  fx_expect(fx, FX_A, 101, 401, .t = SYNACK_MS(400));
  fx_free(fx);
}
static void pingpong_linux(void) { pingpong(true); }
static void pingpong_off(void) { pingpong(false); }

/* Uses up the quick ACKs of a 64 KiB window with 1000-byte segments (16), read at once; ends at
 * 16 ms with RCV.NXT 16001. */
static void use_quickacks(fx_t *fx, int s) {
  uint8_t buf[2000];
  for (uint32_t i = 0; i < 16; i++) {
    fx_inject(fx, SYNACK_MS(1 + i), FX_A, 1 + i * 1000, 1, .len = 1000);
    fx_expect(fx, FX_A, 1, 1001 + i * 1000, .t = SYNACK_MS(1 + i));
    fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 1000);
  }
}

/* linux_conn with its quick ACKs used up (use_quickacks). */
static fx_t *linux_conn_quiet(bool engine, int *s) {
  fx_t *fx = linux_conn(engine, s);
  if (fx) use_quickacks(fx, *s);
  return fx;
}

/* ato: 0 before data, 40 ms after the first segment, doubled by each timer that fires (the
 * timer then waits that long), back towards 40 ms by close arrivals (ato/2 + 20 ms). */
static void ato_adapts(void) {
  int s;
  fx_t *fx = linux_conn(true, &s);
  REQUIRE(fx);
  CHECK_EQ_U(fx_info(fx, s).ato_us, 0);
  use_quickacks(fx, s);
  CHECK_EQ_U(fx_info(fx, s).ato_us, 40000);
  fx_inject(fx, SYNACK_MS(100), FX_A, 16001, 1, .len = 500);
  fx_expect(fx, FX_A, 1, 16501, .t = SYNACK_MS(140));
  CHECK_EQ_U(fx_info(fx, s).ato_us, 80000);
  /* the next timer waits ato (80 ms), bounded by the smoothed RTT, at least 40 ms */
  fx_inject(fx, SYNACK_MS(300), FX_A, 16501, 1, .len = 500);
  synack_tcp_info_t ti = fx_info(fx, s);
  uint32_t bound = ti.rtt_us > 40000 ? ti.rtt_us : 40000;
  uint32_t wait = ti.rtt_us && bound < 80000 ? bound : 80000;
  fx_expect_none_until(fx, SYNACK_MS(300) + wait - 1);
  fx_expect(fx, FX_A, 1, 17001, .t = SYNACK_MS(300) + wait);
  uint32_t rto = fx_info(fx, s).rto_us, ato = 160000 < rto ? 160000 : rto;
  CHECK_EQ_U(fx_info(fx, s).ato_us, ato);
  /* arrivals 5 ms apart bring it down by halves: ato/2 + 20 ms */
  fx_inject(fx, SYNACK_MS(400), FX_A, 17001, 1, .len = 100);
  ato = fx_info(fx, s).ato_us;
  fx_inject(fx, SYNACK_MS(405), FX_A, 17101, 1, .len = 100);
  CHECK_EQ_U(fx_info(fx, s).ato_us, ato / 2 + 20000);
  fx_inject(fx, SYNACK_MS(410), FX_A, 17201, 1, .len = 100);
  CHECK_EQ_U(fx_info(fx, s).ato_us, (ato / 2 + 20000) / 2 + 20000);
  fx_free(fx);
}

/* The timer armed earlier stays; when it would fire within a quarter of the new timeout the
 * ACK goes at once (pushed segments, so the size estimate stays 1000). */
static void delack_about_to_fire(void) {
  int s;
  fx_t *fx = linux_conn_quiet(true, &s);
  REQUIRE(fx);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 16001, 1, .len = 100);
  fx_inject(fx, SYNACK_MS(110), FX_PA, 16101, 1, .len = 100);
  fx_inject(fx, SYNACK_MS(120), FX_PA, 16201, 1, .len = 100);
  fx_expect_none(fx);
  fx_inject(fx, SYNACK_MS(130), FX_PA, 16301, 1, .len = 100); /* 140 <= 130 + 40 / 4 */
  fx_expect(fx, FX_A, 1, 16401, .t = SYNACK_MS(130));
  fx_free(fx);
}

/* Two equal small segments without PSH become the full size (tcp_measure_rcv_mss): the second
 * is ACKed at once; pushed ones are not counted and wait for the timer. */
static void rcv_mss_small(bool engine) {
  int s;
  fx_t *fx = linux_conn_quiet(engine, &s);
  REQUIRE(fx);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 16001, 1, .len = 300);
  fx_inject(fx, SYNACK_MS(105), FX_PA, 16301, 1, .len = 300);
  fx_expect(fx, FX_A, 1, 16601, .t = SYNACK_MS(140));
  fx_inject(fx, SYNACK_MS(300), FX_A, 16601, 1, .len = 300);
  fx_inject(fx, SYNACK_MS(305), FX_A, 16901, 1, .len = 300);
  fx_expect(fx, FX_A, 1, 17201, .t = SYNACK_MS(engine ? 305 : 340));
  fx_free(fx);
}
static void rcv_mss_small_linux(void) { rcv_mss_small(true); }
static void rcv_mss_small_off(void) { rcv_mss_small(false); }

/* TCP_QUICKACK under the engine: 0 enters pingpong mode (the first segment waits for the
 * timer), 1 leaves it and sends an owed ACK once the data was read. */
static void quickack_option_linux(void) {
  int s;
  fx_t *fx = linux_conn(true, &s);
  REQUIRE(fx);
  uint8_t buf[300];
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_QUICKACK, 0), 0);
  CHECK_EQ_I(quickack_opt(fx, s), 0);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 100);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_expect_none_until(fx, SYNACK_MS(139));
  fx_expect(fx, FX_A, 1, 101, .t = SYNACK_MS(140));
  CHECK_EQ_I(quickack_opt(fx, s), 1);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_QUICKACK, 0), 0);
  fx_inject(fx, SYNACK_MS(200), FX_PA, 101, 1, .len = 100);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 100);
  fx_expect_none_until(fx, SYNACK_MS(210));
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_QUICKACK, 1), 0);
  fx_expect(fx, FX_A, 1, 201, .t = SYNACK_MS(210));
  CHECK_EQ_I(quickack_opt(fx, s), 1);
  fx_free(fx);
}

/* Old text (a retransmission) ends pingpong mode: the next request is ACKed at once. */
static void duplicate_ends_pingpong(void) {
  int s;
  fx_t *fx = linux_conn(true, &s);
  REQUIRE(fx);
  request_and_reply(fx, s);
  CHECK_EQ_I(quickack_opt(fx, s), 0);
  fx_inject(fx, SYNACK_MS(200), FX_PA, 1, 51, .len = 100);
  fx_expect(fx, FX_A, 51, 101, .t = SYNACK_MS(200));
  CHECK_EQ_I(quickack_opt(fx, s), 1);
  fx_inject(fx, SYNACK_MS(300), FX_PA, 101, 51, .len = 100);
  fx_expect(fx, FX_A, 51, 201, .t = SYNACK_MS(300));
  fx_free(fx);
}

TH_MAIN(TH_CASE(ack_every_second_full_segment), TH_CASE(ack_every_second_with_timestamps),
        TH_CASE(delayed_ack_timer_exact), TH_CASE(delack_config_and_every_second),
        TH_CASE(immediate_ack_out_of_order_and_gap_fill), TH_CASE(immediate_ack_for_duplicates), TH_CASE(fin_acks),
        TH_CASE(quickack_at_start), TH_CASE(quickack_socket_option), TH_CASE(pingpong_linux), TH_CASE(pingpong_off),
        TH_CASE(ato_adapts), TH_CASE(delack_about_to_fire), TH_CASE(rcv_mss_small_linux), TH_CASE(rcv_mss_small_off),
        TH_CASE(quickack_option_linux), TH_CASE(duplicate_ends_pingpong))
