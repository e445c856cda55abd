/* Urgent data (tcp_urg.c): the urgent pointer sent (RFC 9293 §3.8.5 MUST-31, RFC 6093: it
 * points to the byte after the urgent data; every segment before the mark carries it; the 64 KiB
 * limit) and received (the byte before the pointer taken out of band, reads stop at the mark,
 * recv(MSG_OOB), SO_OOBINLINE, SIOCATMARK, SIOCINQ, the event, poll), as Linux does it. */
#include "harness.h"
#include "tcpfix.h"

static int opt(fx_t *fx, int s, synack_sockopt_t o) {
  int v = -12345;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, o, &v), 0);
  return v;
}

/* Pops the next segment; checks its relative sequence number, length, URG and pointer. */
static void expect_urg(fx_t *fx, uint32_t seq, uint32_t len, bool urg, uint16_t ptr) {
  fx_frame_t f;
  synack_dissect_t d;
  bool got = fx_pop_tcp(fx, &f, &d);
  CHECK(got);
  if (!got) return;
  CHECK_EQ_U(d.tcp.seq - fx->isn, seq);
  CHECK_EQ_U(d.tcp.payload_len, len);
  CHECK_EQ_U((d.tcp.flags & SYNACK_TCP_URG) != 0, urg);
  CHECK_EQ_U(d.tcp.urgent, urg ? ptr : 0);
  free(f.buf);
}

/* MSG_OOB: sent at once (Nagle does not hold it), URG with the pointer after the last byte;
 * later segments carry it until SND.UP is acknowledged, then no more. */
static void send_oob(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  expect_urg(fx, 1, 100, false, 0);
  uint8_t b[50];
  for (uint32_t i = 0; i < sizeof b; i++) b[i] = fx_pattern(100 + i);
  fx_check_rc(synack_send(fx->st, fx->now, s, b, sizeof b, SYNACK_MSG_OOB), 50);
  expect_urg(fx, 101, 50, true, 50); /* data in flight: Nagle would have held it */
  fx_expect_none(fx);
  /* the first segment is acknowledged, SND.UP is not: a retransmission still carries URG */
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 101);
  synack_time_t rto = fx_info(fx, s).rto_us;
  fx_advance(fx, SYNACK_MS(1) + rto);
  expect_urg(fx, 101, 50, true, 50);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 151);
  fx_check_rc(fx_send(fx, s, 100, 150), 100);
  expect_urg(fx, 151, 100, false, 0);
  fx_free(fx);
}

/* Urgent data longer than a segment: each segment before the mark points to it from its own
 * sequence number; a mark more than 64 KiB ahead is announced as 0xFFFF. */
static void send_oob_long(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, 0, FX_A, 1, 1, .win = 2920);
  static uint8_t b[70000];
  for (uint32_t i = 0; i < sizeof b; i++) b[i] = fx_pattern(i);
  fx_check_rc(synack_send(fx->st, fx->now, s, b, sizeof b, SYNACK_MSG_OOB), 70000);
  expect_urg(fx, 1, 1460, true, 0xFFFF);
  expect_urg(fx, 1461, 1460, true, 0xFFFF);
  fx_expect_none(fx);
  /* the window lets the sender reach within 64 KiB of the mark: exact offsets from then on */
  uint32_t una = 1 + 70000 - 65535 + 1460 - 1;
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, una, .win = 1460);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  uint32_t seq = d.tcp.seq - fx->isn;
  CHECK(d.tcp.flags & SYNACK_TCP_URG);
  CHECK_EQ_U(d.tcp.urgent, 70001 - seq < 0x10000 ? 70001 - seq : 0xFFFF);
  free(f.buf);
  fx_free(fx);
}

/* Receiving: the byte before the pointer is out of band; reads stop at the mark; poll shows
 * the urgent byte (SYNACK_EV_URGENT) until recv(MSG_OOB) takes it; errnos as Linux. */
static void recv_oob(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint8_t c;
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), -SYNACK_EINVAL); /* none */
  fx_inject(fx, SYNACK_MS(1), FX_PA, 1, 1, .len = 100);
  fx_inject(fx, SYNACK_MS(2), FX_PA | FX_U, 101, 1, .len = 100, .urg = 100);
  CHECK(fx_events(fx, s) & SYNACK_EV_URGENT);
  CHECK(synack_poll(fx->st, s) & SYNACK_EV_URGENT);
  CHECK_EQ_U(fx_info(fx, s).rcv_nxt - fx->peer_isn, 201);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_INQ), 199); /* the bytes before the mark (Linux tcp_inq) */
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 0);
  uint8_t buf[400];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 199);
  uint8_t want[300];
  for (uint32_t i = 0; i < sizeof want; i++) want[i] = fx_pattern(i);
  CHECK_MEM(buf, want, 199);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 1);
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_READABLE)); /* only the out-of-band byte is left */
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB | SYNACK_MSG_PEEK), 1);
  CHECK_EQ_U(c, want[199]);
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), 1);
  CHECK_EQ_U(c, want[199]);
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_URGENT));
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), -SYNACK_EINVAL); /* taken */
  fx_inject(fx, SYNACK_MS(3), FX_PA, 201, 1, .len = 100);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 100);
  CHECK_MEM(buf, want + 200, 100);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 0);
  fx_free(fx);
}

/* A read at the mark with only the out-of-band byte left passes over it, as Linux's
 * tcp_recvmsg does: EAGAIN, the urgent state is gone, recv(MSG_OOB) is EINVAL. */
static void read_past_mark(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_PA | FX_U, 1, 1, .len = 10, .urg = 10);
  uint8_t c, buf[20];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 9);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 1);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, SYNACK_MSG_PEEK), -SYNACK_EAGAIN);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 1); /* a peek consumes nothing */
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), -SYNACK_EAGAIN);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 0);
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), -SYNACK_EINVAL);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_INQ), 0);
  fx_free(fx);
}

/* The pointer runs ahead of the data: EAGAIN until the byte comes; it then arrives through
 * the in-order fast path and becomes readable out of band; a read passing over it skips it. */
static void recv_oob_later_byte(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_A | FX_U, 1, 1, .len = 100, .urg = 150);
  (void)fx_events(fx, s);
  uint8_t c, buf[300];
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), -SYNACK_EAGAIN);
  CHECK(!(synack_poll(fx->st, s) & SYNACK_EV_URGENT));
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 100);
  fx_inject(fx, SYNACK_MS(2), FX_PA, 101, 1, .len = 100); /* no URG: plain in-order data */
  CHECK(fx_events(fx, s) & SYNACK_EV_URGENT);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 49);
  /* not taken: the next read skips it all the same */
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 50);
  CHECK_EQ_U(buf[0], fx_pattern(150));
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), -SYNACK_EINVAL);
  fx_free(fx);
}

/* SO_OOBINLINE: the byte stays in the stream, recv(MSG_OOB) is EINVAL, reads stop at the mark. */
static void oobinline(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_SO_OOBINLINE, 1), 0);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_OOBINLINE), 1);
  fx_inject(fx, SYNACK_MS(1), FX_PA | FX_U, 1, 1, .len = 100, .urg = 50);
  uint8_t c, buf[200];
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), -SYNACK_EINVAL);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_INQ), 100);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 49);
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 1);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 51);
  CHECK_EQ_U(buf[0], fx_pattern(49));
  CHECK_EQ_I(opt(fx, s, SYNACK_SO_ATMARK), 0);
  fx_free(fx);
}

/* Old pointers are ignored (a retransmission of urgent data already read, a repeated pointer);
 * a new pointer while the previous out-of-band byte waits unread at the mark drops that byte. */
static void pointer_updates(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_PA | FX_U, 1, 1, .len = 10, .urg = 10);
  uint8_t buf[100];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 9);
  (void)fx_events(fx, s);
  /* the same segment again: nothing new */
  fx_inject(fx, SYNACK_MS(2), FX_PA | FX_U, 1, 1, .len = 10, .urg = 10);
  CHECK(!(fx_events(fx, s) & SYNACK_EV_URGENT));
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_URG_IN], 1);
  /* a newer pointer: the unread byte at the mark (offset 9) is dropped, the new one is out of band */
  fx_inject(fx, SYNACK_MS(3), FX_PA | FX_U, 11, 1, .len = 10, .urg = 5);
  CHECK(fx_events(fx, s) & SYNACK_EV_URGENT);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 4);
  CHECK_EQ_U(buf[0], fx_pattern(10));
  uint8_t c;
  fx_check_rc(synack_recv(fx->st, fx->now, s, &c, 1, SYNACK_MSG_OOB), 1);
  CHECK_EQ_U(c, fx_pattern(14));
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 5);
  CHECK_EQ_U(buf[0], fx_pattern(15));
  fx_free(fx);
}

TH_MAIN(TH_CASE(send_oob), TH_CASE(send_oob_long), TH_CASE(recv_oob), TH_CASE(read_past_mark), TH_CASE(recv_oob_later_byte),
        TH_CASE(oobinline), TH_CASE(pointer_updates))
