/* Closing a connection: active and passive close, three-segment close, simultaneous close,
 * half-close, FIN with data and out of order, each close segment lost, FIN retransmission
 * limits, the orphaned FIN-WAIT-2 timeout, a closing listener. Issue 3, tests 1, 5, 6. */
#include "harness.h"
#include "tcpfix.h"

#define DL SYNACK_MS(40) /* default delayed-ACK bound */

static int open_conn(fx_t *fx, int active) { return active ? fx_open_active(fx) : fx_open_passive(fx); }

/* Test 1: the stack closes first: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → (2 MSL) → CLOSED. */
static void active_close_each_open(int active) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = open_conn(fx, active);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(100));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_expect(fx, FX_FA, 1, 1, .t = SYNACK_MS(100));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_1);
  fx_inject(fx, SYNACK_MS(150), FX_A, 1, 2);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_inject(fx, SYNACK_MS(200), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = SYNACK_MS(200), .within = DL);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_expect_none_until(fx, SYNACK_MS(200) + SYNACK_SEC(60) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_expect_none_until(fx, SYNACK_MS(200) + SYNACK_SEC(60));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  fx_advance(fx, SYNACK_SEC(100));
  CHECK_EQ_U(synack_stack_next_deadline(fx->st), SYNACK_TIME_NEVER);
  fx_free(fx);
}
static void active_close_after_active_open(void) { active_close_each_open(1); }
static void active_close_after_passive_open(void) { active_close_each_open(0); }

/* Test 1: the peer closes first: CLOSE-WAIT → LAST-ACK → CLOSED, no TIME-WAIT on this side. */
static void passive_close_each_open(int active) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = open_conn(fx, active);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FA, 1, 1);
  fx_expect(fx, FX_A, 1, 2, .t = SYNACK_MS(100), .within = DL);
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_PEER_CLOSED);
  fx_check(ev & SYNACK_EV_READABLE);
  uint8_t b[8];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 0);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 0); /* EOF stays EOF */
  fx_advance(fx, SYNACK_MS(300));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_expect(fx, FX_FA, 1, 2, .t = SYNACK_MS(300));
  fx_check_state(fx, SYNACK_TCP_LAST_ACK);
  fx_inject(fx, SYNACK_MS(350), FX_A, 2, 2);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  CHECK_EQ_U(synack_conn_table(fx->st, NULL, 0), active ? 0u : 1u); /* only the listener is left */
  fx_advance(fx, SYNACK_SEC(10));
  CHECK_EQ_U(synack_stack_next_deadline(fx->st), SYNACK_TIME_NEVER);
  fx_free(fx);
}
static void passive_close_after_active_open(void) { passive_close_each_open(1); }
static void passive_close_after_passive_open(void) { passive_close_each_open(0); }

/* Test 5: three-segment close. The peer's FIN is ACKed late enough (delayed ACK) that our FIN,
 * sent right after, carries that ACK: FIN → FIN,ACK → ACK. */
static void three_segment_close_passive(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FA, 1, 1);
  fx_expect_none(fx); /* the ACK is delayed */
  fx_advance(fx, SYNACK_MS(110));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_expect(fx, FX_FA, 1, 2, .t = SYNACK_MS(110));
  fx_expect_none_until(fx, SYNACK_MS(200)); /* no separate ACK afterwards */
  fx_check_state(fx, SYNACK_TCP_LAST_ACK);
  fx_inject(fx, SYNACK_MS(210), FX_A, 2, 2);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* Three-segment close seen from the closing side: the peer's FIN rides on its ACK of our FIN;
 * FIN-WAIT-1 goes straight to TIME-WAIT (RFC 9293 §3.10.7.4, FIN processing). */
static void three_segment_close_active(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_inject(fx, SYNACK_MS(20), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = SYNACK_MS(20), .within = DL);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_check(fx_events(fx, s) & SYNACK_EV_PEER_CLOSED);
  fx_free(fx);
}

/* Test 5: simultaneous close: FIN-WAIT-1 → CLOSING → TIME-WAIT. */
static void simultaneous_close(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(50));
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_expect(fx, FX_FA, 1, 1, .t = SYNACK_MS(50));
  fx_inject(fx, SYNACK_MS(60), FX_FA, 1, 1); /* crosses ours */
  fx_expect(fx, FX_A, 2, 2, .t = SYNACK_MS(60), .within = DL);
  fx_check_state(fx, SYNACK_TCP_CLOSING);
  fx_inject(fx, SYNACK_MS(70), FX_A, 2, 2);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_expect_none_until(fx, SYNACK_MS(70) + SYNACK_SEC(60) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, SYNACK_MS(70) + SYNACK_SEC(60));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* Simultaneous close on the simulator: both ends close at once; both end in TIME-WAIT. */
typedef struct { int ca, sb; } simclose_t;
static void simclose_cb(void *user, synack_sim_t *sim, synack_time_t now) {
  (void)sim;
  fx_pair_t *p = user;
  synack_conn_entry_t e[8];
  size_t n = synack_conn_table(p->a, e, 8);
  for (size_t i = 0; i < n && i < 8; i++)
    if (e[i].sock >= 0 && e[i].state == SYNACK_TCP_ESTABLISHED) synack_close(p->a, now, e[i].sock);
  n = synack_conn_table(p->b, e, 8);
  for (size_t i = 0; i < n && i < 8; i++)
    if (e[i].sock >= 0 && e[i].state == SYNACK_TCP_ESTABLISHED) synack_close(p->b, now, e[i].sock);
}
static void simultaneous_close_pair(void) {
  synack_sim_link_cfg_t lc = { .delay_us = SYNACK_MS(10) };
  fx_pair_t *p = fx_pair_new(7, &lc, &lc, NULL);
  REQUIRE(p);
  int l = synack_socket(p->b, SYNACK_AF_INET);
  synack_endpoint_t ep = { .port = 80 };
  REQUIRE(synack_bind(p->b, l, &ep) == 0);
  REQUIRE(synack_listen(p->b, l, 4) == 0);
  int c = synack_socket(p->a, SYNACK_AF_INET);
  synack_endpoint_t rem = { .ip = p->ipb, .port = 80 };
  CHECK_EQ_I(synack_connect(p->a, 0, c, &rem), -SYNACK_EINPROGRESS);
  synack_sim_flush(p->sim);
  synack_sim_run_until(p->sim, SYNACK_SEC(1));
  synack_endpoint_t who;
  int s = synack_accept(p->b, l, &who);
  REQUIRE(s >= 0);
  synack_tcp_info_t ia, ib;
  REQUIRE(synack_tcp_info(p->a, c, &ia) == 0 && ia.state == SYNACK_TCP_ESTABLISHED);
  /* Both shut down at the same instant (the FINs cross on the 10 ms link). */
  synack_sim_at(p->sim, SYNACK_SEC(2), simclose_cb, p);
  (void)ib;
  synack_sim_run_until(p->sim, SYNACK_SEC(3));
  synack_conn_entry_t e[4];
  size_t na = synack_conn_table(p->a, e, 4);
  CHECK_EQ_U(na, 1);
  if (na >= 1) CHECK_EQ_U(e[0].state, SYNACK_TCP_TIME_WAIT);
  size_t nb = synack_conn_table(p->b, e, 4);
  CHECK_EQ_U(nb, 2); /* listener + TIME-WAIT */
  size_t tw = 0;
  for (size_t i = 0; i < nb && i < 4; i++) tw += e[i].state == SYNACK_TCP_TIME_WAIT;
  CHECK_EQ_U(tw, 1);
  synack_sim_run_until(p->sim, SYNACK_SEC(200));
  CHECK_EQ_U(synack_conn_table(p->a, NULL, 0), 0);
  CHECK_EQ_U(synack_conn_table(p->b, NULL, 0), 1);
  fx_pair_free(p);
}

/* Test 5: half-close: after SHUT_WR we keep receiving until the peer's FIN; writing → EPIPE. */
static void half_close_receive_after_shutdown(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_FIN_WAIT_2));
  fx_check_rc(fx_send(fx, s, 10, 0), -SYNACK_EPIPE);
  fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 2, .len = 100);
  fx_expect(fx, FX_A, 2, 101, .t = SYNACK_MS(100), .within = DL);
  fx_inject(fx, SYNACK_MS(200), FX_PA, 101, 2, .len = 100);
  fx_expect(fx, FX_A, 2, 201, .t = SYNACK_MS(200), .within = DL);
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  uint8_t buf[512];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 200);
  for (int k = 0; k < 200; k++) CHECK_EQ_U(buf[k], fx_pattern((uint32_t)k));
  fx_inject(fx, SYNACK_MS(300), FX_FA, 201, 2);
  fx_expect(fx, FX_A, 2, 202, .t = SYNACK_MS(300), .within = DL);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 0);
  fx_free(fx);
}

/* Half-close the other way: the peer closed (CLOSE-WAIT) and we keep sending. */
static void half_close_send_in_close_wait(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_CLOSE_WAIT));
  fx_advance(fx, SYNACK_MS(100));
  fx_check_rc(fx_send(fx, s, 300, 0), 300);
  fx_expect(fx, FX_PA, 1, 2, .len = 300, .t = SYNACK_MS(100));
  fx_inject(fx, SYNACK_MS(150), FX_A, 2, 301);
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_expect(fx, FX_FA, 301, 2, .t = SYNACK_MS(150));
  fx_check_state(fx, SYNACK_TCP_LAST_ACK);
  fx_inject(fx, SYNACK_MS(200), FX_A, 2, 302);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* A FIN carrying data: both accepted, ACK covers data and FIN. */
static void fin_with_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FPA, 1, 1, .len = 50);
  fx_expect(fx, FX_A, 1, 52, .t = SYNACK_MS(100), .within = DL);
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  uint8_t buf[128];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 50);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 0);
  fx_free(fx);
}

/* A FIN arriving before the data in front of it: queued, acted on only once the gap fills.
 * Out-of-order data and gap-filling data are ACKed at once (RFC 5681 §4.2). */
static void fin_out_of_order(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(100), FX_FPA, 101, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(100));
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  uint8_t buf[512];
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), -SYNACK_EAGAIN);
  fx_check((fx_events(fx, s) & SYNACK_EV_PEER_CLOSED) == 0);
  fx_inject(fx, SYNACK_MS(120), FX_PA, 1, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 202, .t = SYNACK_MS(120));
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 200);
  for (int k = 0; k < 200; k++) CHECK_EQ_U(buf[k], fx_pattern((uint32_t)k));
  fx_check_rc(fx_recv(fx, s, buf, sizeof buf), 0);
  fx_free(fx);
}

/* Test 6a: our first FIN lost: retransmitted after the RTO, same sequence number. */
static void first_fin_lost(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_advance(fx, SYNACK_MS(100));
  uint32_t rto = fx_info(fx, s).rto_us;
  CHECK(rto >= SYNACK_MS(fx->cfg.tcp_rto_min_ms) && rto <= SYNACK_MS(fx->cfg.tcp_rto_initial_ms));
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_expect(fx, FX_FA, 1, 1, .t = SYNACK_MS(100));
  fx_expect(fx, FX_FA, 1, 1, .t = SYNACK_MS(100) + rto);
  fx_expect(fx, FX_FA, 1, 1, .t = SYNACK_MS(100) + 3 * (synack_time_t)rto); /* backoff doubles */
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_1);
  fx_inject(fx, fx->now, FX_A, 1, 2);
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_expect_none_until(fx, fx->now + SYNACK_SEC(30));
  fx_free(fx);
}

/* Test 6b: the ACK of our FIN lost: the FIN is retransmitted; the peer ACKs again. */
static void ack_of_fin_lost(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  uint32_t rto = fx_info(fx, s).rto_us;
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_expect(fx, FX_FA, 1, 1, .t = 0);
  /* (the peer's ACK at 10 ms is lost) */
  fx_expect(fx, FX_FA, 1, 1, .t = rto);
  fx_inject(fx, rto + SYNACK_MS(10), FX_A, 1, 2);
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_inject(fx, rto + SYNACK_MS(20), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = rto + SYNACK_MS(20), .within = DL);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_free(fx);
}

/* Test 6c: the second FIN (ours, from LAST-ACK) lost: retransmitted, then ACKed → CLOSED. */
static void second_fin_lost(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint32_t rto = fx_info(fx, s).rto_us;
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_LAST_ACK));
  synack_time_t t0 = fx->now;
  fx_expect(fx, FX_FA, 1, 2, .t = t0 + rto);
  fx_check_state(fx, SYNACK_TCP_LAST_ACK);
  fx_inject(fx, t0 + rto + SYNACK_MS(5), FX_A, 2, 2);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_expect_none_until(fx, fx->now + SYNACK_SEC(30));
  fx_free(fx);
}

/* Test 6d: our last ACK lost: the peer's retransmitted FIN reaches TIME-WAIT, is re-ACKed, and
 * TIME-WAIT restarts its 2 MSL (RFC 9293 §3.10.7.4). */
static void last_ack_lost(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(1));
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, t0 + SYNACK_SEC(3), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(3));
  /* 2 MSL counted from the last FIN. */
  fx_expect_none_until(fx, t0 + SYNACK_SEC(3) + SYNACK_SEC(60) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, t0 + SYNACK_SEC(3) + SYNACK_SEC(60));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* Peer's final ACK lost while we are in LAST-ACK (seen from the closing side: its TIME-WAIT
 * re-ACKs our retransmitted FIN). */
static void last_ack_lost_passive_side(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  uint32_t rto = fx_info(fx, s).rto_us;
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_LAST_ACK));
  synack_time_t t0 = fx->now;
  fx_expect(fx, FX_FA, 1, 2, .t = t0 + rto);
  fx_expect(fx, FX_FA, 1, 2, .t = t0 + 3 * (synack_time_t)rto);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 2, 2);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* Collects the FIN retransmissions of an orphaned connection until it is gone; checks the
 * doubling and the count. */
static void orphan_fin_gives_up_from(synack_tcp_state_t st) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint32_t rto = fx_info(fx, s).rto_us;
  if (st == SYNACK_TCP_LAST_ACK) {
    fx_inject(fx, SYNACK_MS(10), FX_FA, 1, 1);
    fx_expect(fx, FX_A, 1, 2, .t = SYNACK_MS(10), .within = DL);
  }
  fx_advance(fx, SYNACK_MS(100));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_check_state(fx, st);
  synack_time_t times[64];
  unsigned n = 0;
  fx_advance(fx, SYNACK_SEC(3600));
  fx_frame_t f;
  synack_dissect_t d;
  bool rst_seen = false;
  while (fx_pop_tcp(fx, &f, &d)) {
    if (d.tcp.flags & SYNACK_TCP_RST) {
      rst_seen = true;
    } else {
      CHECK(!rst_seen);
      CHECK(d.tcp.flags & SYNACK_TCP_FIN);
      CHECK_EQ_U(d.tcp.seq, fx->isn + 1);
      if (n < 64) times[n++] = f.t;
    }
    free(f.buf);
  }
  CHECK_EQ_U(n, 1 + fx->cfg.tcp_orphan_retries);
  CHECK_EQ_U(times[0], SYNACK_MS(100));
  if (n >= 2) CHECK_EQ_U(times[1] - times[0], rto);
  for (unsigned k = 2; k < n; k++) {
    synack_time_t gap = times[k] - times[k - 1], prev = times[k - 1] - times[k - 2];
    synack_time_t want = 2 * prev > SYNACK_MS(fx->cfg.tcp_rto_max_ms) ? SYNACK_MS(fx->cfg.tcp_rto_max_ms) : 2 * prev;
    CHECK_EQ_U(gap, want);
  }
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(synack_conn_table(fx->st, NULL, 0), 1); /* the listener */
  fx_free(fx);
}
static void fin_wait_1_gives_up(void) { orphan_fin_gives_up_from(SYNACK_TCP_FIN_WAIT_1); }
static void last_ack_gives_up(void) { orphan_fin_gives_up_from(SYNACK_TCP_LAST_ACK); }

/* A socket still owned by the application (shutdown only) gives up after retries2 with ETIMEDOUT. */
static void fin_wait_1_owned_times_out(void) {
  synack_config_t cfg;
  fx_config(&cfg, SYNACK_AF_INET);
  cfg.tcp_retries2 = 3;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_advance(fx, SYNACK_SEC(3600));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

/* The orphaned FIN-WAIT-2 times out after tcp_fin_timeout (60 s); an owned one does not. */
static void fin_wait_2_orphan_timeout(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 2);
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_advance(fx, SYNACK_MS(10) + SYNACK_SEC(59));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_advance(fx, SYNACK_MS(10) + SYNACK_SEC(60) + SYNACK_MS(1));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_flush_output(fx);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_FIN_WAIT_2));
  fx_expect_none_until(fx, SYNACK_SEC(600));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_free(fx);
}

static void fin_timeout_configurable(void) {
  synack_config_t cfg;
  fx_config(&cfg, SYNACK_AF_INET);
  cfg.tcp_fin_timeout_ms = 5000;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &cfg);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 2);
  fx_advance(fx, SYNACK_MS(10) + SYNACK_SEC(4));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_advance(fx, SYNACK_MS(10) + SYNACK_SEC(5) + SYNACK_MS(1));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* Closing a listener resets its queued, not yet accepted children. */
static void close_listener_resets_children(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, SYNACK_MS(5), FX_A, 1, 1); /* established, queued for accept */
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_advance(fx, SYNACK_MS(10));
  CHECK(synack_close(fx->st, fx->now, fx->listener) == 0);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK(d.tcp.flags & SYNACK_TCP_RST);
  CHECK_EQ_U(d.tcp.seq, fx->isn + 1);
  free(f.buf);
  fx_expect_none(fx);
  CHECK_EQ_U(synack_conn_table(fx->st, NULL, 0), 0);
  /* the port is free again: a SYN now gets RST */
  fx_inject(fx, SYNACK_MS(20), FX_S, 0, 0);
  fx_expect(fx, FX_RA, 0, 1, .abs = true, .any_ack = true);
  fx_free(fx);
}

/* RFC 9293 §3.10.4 CLOSE in SYN-RECEIVED: a FIN follows (at once, or once established) and the
 * connection goes to FIN-WAIT-1. Reached via simultaneous open. */
static void close_in_syn_received(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = SYNACK_MS(10));
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_RECEIVED);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_inject(fx, SYNACK_MS(20), FX_SA, 0, 1);
  fx_frame_t f;
  synack_dissect_t d;
  int fins = 0;
  while (fx_pop_tcp(fx, &f, &d)) {
    if (d.tcp.flags & SYNACK_TCP_FIN) {
      fins++;
      CHECK_EQ_U(d.tcp.seq, fx->isn + 1);
      CHECK_EQ_U(d.tcp.ack, fx->peer_isn + 1);
    }
    free(f.buf);
  }
  CHECK_EQ_I(fins, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_FIN_WAIT_1);
  fx_inject(fx, SYNACK_MS(30), FX_A, 1, 2);
  fx_check_sock_state(fx, s, SYNACK_TCP_FIN_WAIT_2);
  fx_free(fx);
}

/* Issue 12 §2: an orphan facing a zero window is aborted after tcp_orphan_retries probes even
 * though the peer answers every probe (as Linux); before, it was probed for ever, pinning its
 * send buffer (the FIN-WAIT-1 attack). The abort sends a RST. */
static void orphan_zero_window_probes_bounded(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx->peer_win = FX_WIN_ZERO;
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 1, 1); /* the peer closes its window */
  fx_expect_none(fx);
  CHECK(fx_send(fx, s, 1000, 0) == 1000);
  CHECK_EQ_I(synack_close(fx->st, fx->now, s), 0);
  fx_expect_none(fx);
  uint64_t aborts = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ORPHAN_PROBES_ABORT];
  unsigned probes = 0;
  fx_frame_t f;
  synack_dissect_t d;
  for (int guard = 0; guard < 64 && fx_state(fx) != SYNACK_TCP_CLOSED; guard++) {
    fx_advance(fx, fx->now + SYNACK_SEC(30));
    while (fx_pop_tcp(fx, &f, &d)) {
      if (d.tcp.flags & SYNACK_TCP_RST) {
        CHECK_EQ_U(d.tcp.seq - fx->isn, 1);
      } else {
        CHECK_EQ_U(d.tcp.payload_len, 1); /* a window probe */
        probes++;
        /* the peer answers every probe, its window still zero */
        fx_inject(fx, fx->now, FX_A, 1, 1);
      }
      free(f.buf);
    }
  }
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(probes, fx->cfg.tcp_orphan_retries);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ORPHAN_PROBES_ABORT], aborts + 1);
  fx_free(fx);
}

static void one_orphan(synack_config_t *c) { c->tcp_max_orphans = 1; }

/* tcp_max_orphans: beyond it a newly closed connection is reset instead of orphaned (counted). */
static void max_orphans_resets(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_orphan);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_close(fx->st, fx->now, s), 0);
  fx_expect(fx, FX_FA, 1, 1); /* the first orphan: FIN-WAIT-1 */
  /* a second connection from another peer port */
  fx->rport = FX_PEER_PORT + 1;
  fx->peer_isn += 7777;
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s2 = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s2 >= 0);
  uint64_t reset = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ORPHANS_RESET];
  CHECK_EQ_I(synack_close(fx->st, fx->now, s2), 0);
  fx_expect(fx, FX_RA, 1, 1);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_ORPHANS_RESET], reset + 1);
  fx_free(fx);
}

/* Issue 12 §4: shutdown(SHUT_RD) in SYN-SENT only stops reception: the handshake completes,
 * recv() reports end of stream, sending works. Before, it deleted the connection. */
static void shut_rd_in_syn_sent(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_RD), 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  fx_expect_none(fx);
  fx_inject(fx, fx->now + SYNACK_MS(50), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  uint8_t b[8];
  CHECK_EQ_I(fx_recv(fx, s, b, sizeof b), 0);
  CHECK(fx_send(fx, s, 5, 0) == 5);
  fx_expect(fx, FX_PA, 1, 1, .len = 5);
  fx_free(fx);
}

/* SO_LINGER with a positive time: close() returns at once; a FIN not acknowledged within the
 * linger time ends in a RST at the deadline. Before, the value was stored and ignored. */
static void linger_positive_deadline(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_SO_LINGER, 2), 0);
  synack_time_t t0 = fx->now;
  CHECK_EQ_I(synack_close(fx->st, t0, s), 0);
  fx_expect(fx, FX_FA, 1, 1, .t = t0);
  /* the FIN's retransmissions (RTO 200 ms, doubling) until 2 s, then the RST at the deadline */
  fx_expect(fx, FX_FA, 1, 1, .t = t0 + SYNACK_MS(200));
  fx_expect(fx, FX_FA, 1, 1, .t = t0 + SYNACK_MS(600));
  fx_expect(fx, FX_FA, 1, 1, .t = t0 + SYNACK_MS(1400));
  fx_expect(fx, FX_RA, 2, 1, .t = t0 + SYNACK_SEC(2));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  /* FIN acknowledged in time: no RST, FIN-WAIT-2 as usual. */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_SO_LINGER, 3), 0);
  t0 = fx->now;
  CHECK_EQ_I(synack_close(fx->st, t0, s), 0);
  fx_expect(fx, FX_FA, 1, 1, .t = t0);
  fx_inject(fx, t0 + SYNACK_MS(100), FX_A, 1, 2);
  fx_expect_none_until(fx, t0 + SYNACK_SEC(10));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_free(fx);
}

static void api_linux(synack_config_t *cfg) { cfg->tcp_api_linux = true; }

/* cfg.tcp_api_linux: Linux's close() waits out the linger time and returns; the connection goes
 * on (no RST at the deadline), the FIN retransmitted on its timer and acknowledged later. */
static void linger_positive_linux_no_rst(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, api_linux);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_SO_LINGER, 1), 0);
  synack_time_t t0 = fx->now;
  CHECK_EQ_I(synack_close(fx->st, t0, s), 0);
  fx_expect(fx, FX_FA, 1, 1, .t = t0);
  fx_expect(fx, FX_FA, 1, 1, .t = t0 + SYNACK_MS(200));
  fx_expect(fx, FX_FA, 1, 1, .t = t0 + SYNACK_MS(600));
  /* past the 1 s deadline: the next retransmission, not a RST */
  fx_expect(fx, FX_FA, 1, 1, .t = t0 + SYNACK_MS(1400));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_1);
  fx_inject(fx, t0 + SYNACK_MS(1500), FX_A, 1, 2);
  fx_expect_none_until(fx, t0 + SYNACK_SEC(5));
  fx_check_state(fx, SYNACK_TCP_FIN_WAIT_2);
  fx_free(fx);
}

TH_MAIN(TH_CASE(linger_positive_deadline), TH_CASE(linger_positive_linux_no_rst), TH_CASE(orphan_zero_window_probes_bounded), TH_CASE(max_orphans_resets), TH_CASE(shut_rd_in_syn_sent),
        TH_CASE(close_in_syn_received), TH_CASE(active_close_after_active_open), TH_CASE(active_close_after_passive_open),
        TH_CASE(passive_close_after_active_open), TH_CASE(passive_close_after_passive_open),
        TH_CASE(three_segment_close_passive), TH_CASE(three_segment_close_active), TH_CASE(simultaneous_close),
        TH_CASE(simultaneous_close_pair), TH_CASE(half_close_receive_after_shutdown),
        TH_CASE(half_close_send_in_close_wait), TH_CASE(fin_with_data), TH_CASE(fin_out_of_order),
        TH_CASE(first_fin_lost), TH_CASE(ack_of_fin_lost), TH_CASE(second_fin_lost), TH_CASE(last_ack_lost),
        TH_CASE(last_ack_lost_passive_side), TH_CASE(fin_wait_1_gives_up), TH_CASE(last_ack_gives_up),
        TH_CASE(fin_wait_1_owned_times_out), TH_CASE(fin_wait_2_orphan_timeout), TH_CASE(fin_timeout_configurable),
        TH_CASE(close_listener_resets_children))
