/* TIME-WAIT: 2 MSL, FIN retransmission re-ACKed, RST ignored (RFC 1337), a new SYN reopening
 * (RFC 9293 §3.10.7.4 / RFC 6191) or refused, old-incarnation segments, port reuse with
 * timestamps, port-range exhaustion. Issue 3, tests 7 and 13. */
#include "harness.h"
#include "tcpfix.h"
#include "tcp_internal.h"

#define TS_SYN_OPTS (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE)

static void use_ts(fx_t *fx) { fx->peer_syn = (fx_opt_t){ .has = TS_SYN_OPTS, .mss = 1460, .ws = 7 }; }

static void no_rfc1337(synack_config_t *c) { c->tcp_rfc1337 = false; }
static void no_recycle(synack_config_t *c) { c->tcp_tw_recycle_syn = false; }
static void short_msl(synack_config_t *c) { c->tcp_msl_ms = 5000; }

/* Server side that closed first: TIME-WAIT with the listener still open, the handle released
 * (the entry lives on its own). RCV.NXT = 2, SND.NXT = 2 (relative). */
static int server_in_timewait(fx_t *fx) {
  int s = fx_open_passive(fx);
  if (s < 0) return -1;
  if (!fx_goto(fx, s, SYNACK_TCP_TIME_WAIT)) return -1;
  if (synack_close(fx->st, fx->now, s) != 0) return -1;
  fx_expect_none_(fx, __FILE__, __LINE__, 0);
  return fx_state(fx) == SYNACK_TCP_TIME_WAIT ? 0 : -1;
}

static void lasts_two_msl(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_SOCKET), 1); /* the listener */
  synack_conn_entry_t e;
  REQUIRE(fx_find(fx, &e));
  CHECK_EQ_U(e.state, SYNACK_TCP_TIME_WAIT);
  CHECK_EQ_U(e.expires, t0 + SYNACK_SEC(60));
  fx_expect_none_until(fx, t0 + SYNACK_SEC(60) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_expect_none_until(fx, t0 + SYNACK_SEC(60));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, short_msl);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  t0 = fx->now;
  fx_advance(fx, t0 + SYNACK_SEC(10) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, t0 + SYNACK_SEC(10));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* A closed (orphaned) socket's TIME-WAIT becomes a compact entry without a handle. */
static void orphan_becomes_timewait_entry(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  size_t mem_est = synack_stack_memory(fx->st);
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_inject(fx, SYNACK_MS(10), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = SYNACK_MS(10), .within = SYNACK_MS(40));
  synack_conn_entry_t e;
  REQUIRE(fx_find(fx, &e));
  CHECK_EQ_U(e.kind, SYNACK_CONN_TIMEWAIT);
  CHECK_EQ_I(e.sock, -1);
  CHECK_EQ_U(e.state, SYNACK_TCP_TIME_WAIT);
  CHECK(synack_stack_memory(fx->st) < mem_est); /* the full TCB and its buffers are gone */
  fx_free(fx);
}

/* Test 13: a retransmitted FIN is ACKed again and restarts 2 MSL. */
static void fin_retransmission_reacked(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(30), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(30));
  fx_advance(fx, t0 + SYNACK_SEC(89));
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, t0 + SYNACK_SEC(90));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* Test 13: RST in TIME-WAIT is ignored with RFC 1337 (default), closes it without. */
static void rst_in_timewait(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_R, 2, 0);
  fx_inject(fx, t0 + SYNACK_SEC(2), FX_RA, 2, 2);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, t0 + SYNACK_SEC(60) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT); /* not shortened */
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, no_rfc1337);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_R, 2, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

static void no_1337_no_5961(synack_config_t *c) { c->tcp_rfc1337 = false; c->tcp_rfc5961_rst = false; c->tcp_rfc5961_syn = false; }
static void no_5961_syn(synack_config_t *c) { c->tcp_rfc5961_syn = false; }

/* The window a TIME-WAIT entry offers, unscaled: an old data segment draws its ACK, whose
 * window field is the one the entry keeps. */
static uint32_t timewait_window_field(fx_t *fx) {
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_PA, (uint32_t)-1000, 2, .len = 10);
  fx_expect(fx, FX_A, 2, 2, .t = fx->now);
  return fx->last_win;
}

/* RFC 5961 §3.2 in TIME-WAIT with RFC 1337 off: a RST in the window but not at RCV.NXT gets a
 * (rate-limited, counted) challenge ACK and changes nothing; the RST at RCV.NXT ends the entry;
 * one outside the window is dropped silently. */
static void rst_in_window_challenged(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, no_rfc1337);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  uint32_t wnd = timewait_window_field(fx); /* no window scaling here */
  REQUIRE(wnd > 1000);
  synack_time_t t0 = fx->now;
  const synack_counters_t *c = synack_stack_counters(fx->st);
  uint64_t chal = c->events[SYNACK_CTR_TCP_CHALLENGE_ACKS];
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_R, 2 + 100, 0);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(1), .win = wnd);
  fx_expect_none(fx);
  CHECK_EQ_U(c->events[SYNACK_CTR_TCP_CHALLENGE_ACKS], chal + 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, t0 + SYNACK_SEC(2), FX_R, 2 + wnd, 0); /* RCV.NXT + RCV.WND: outside */
  fx_expect_none(fx);
  CHECK_EQ_U(c->events[SYNACK_CTR_TCP_CHALLENGE_ACKS], chal + 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, t0 + SYNACK_SEC(3), FX_R, 2, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* RFC 9293 §3.10.7.4: the window is RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND; the right edge
 * itself is outside. RFC 793 rules (RFC 1337 and RFC 5961 off): a RST there is dropped, one
 * just inside ends the entry. */
static void rst_window_right_edge(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, no_1337_no_5961);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  uint32_t wnd = timewait_window_field(fx);
  REQUIRE(wnd > 1000);
  fx_inject(fx, fx->now + SYNACK_SEC(1), FX_R, 2 + wnd, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, fx->now + SYNACK_SEC(1), FX_R, 2 + wnd - 1, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* RFC 7323 §2.3: with window scaling the entry's window is the field shifted by our scale; a
 * RST beyond the raw field but inside the scaled window is in the window. */
static void timewait_scaled_window(fx_t *fx, uint32_t *field, uint8_t *ws) {
  fx->peer_syn = (fx_opt_t){ .has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE, .mss = 1460, .ws = 7 };
  *field = 0;
  int s = fx_open_passive(fx);
  if (s < 0) return;
  *ws = fx_info(fx, s).rcv_wscale;
  if (!fx_goto(fx, s, SYNACK_TCP_TIME_WAIT) || synack_close(fx->st, fx->now, s) != 0) return;
  *field = timewait_window_field(fx);
}

static void rst_window_scaled(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, no_1337_no_5961);
  REQUIRE(fx);
  uint32_t field;
  uint8_t ws = 0;
  timewait_scaled_window(fx, &field, &ws);
  REQUIRE(field > 0);
  REQUIRE(ws > 0);
  uint32_t wnd = field << ws;
  fx_inject(fx, fx->now + SYNACK_SEC(1), FX_R, 2 + wnd, 0); /* the scaled right edge: outside */
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, fx->now + SYNACK_SEC(1), FX_R, 2 + wnd - 1, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  /* just past the unscaled field: inside */
  fx = fx_new(SYNACK_AF_INET, no_1337_no_5961);
  REQUIRE(fx);
  timewait_scaled_window(fx, &field, &ws);
  REQUIRE(field > 0);
  fx_inject(fx, fx->now + SYNACK_SEC(1), FX_R, 2 + field + 1, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  /* RFC 5961 on: the same RST is in the window but not at RCV.NXT: a challenge ACK */
  fx = fx_new(SYNACK_AF_INET, no_rfc1337);
  REQUIRE(fx);
  timewait_scaled_window(fx, &field, &ws);
  REQUIRE(field > 0);
  fx_inject(fx, fx->now + SYNACK_SEC(1), FX_R, 2 + field + 1, 0);
  fx_expect(fx, FX_A, 2, 2, .t = fx->now, .win = field);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_free(fx);
}

/* A SYN-ACK reaching TIME-WAIT. RFC 793 rules (RFC 5961 §4 off): inside the window it is an
 * error answered by a reset <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, which ends the entry (as
 * for a SYN); outside it gets an ACK. With RFC 5961 §4.2 on, a challenge ACK either way. */
static void synack_in_timewait(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, no_5961_syn);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  uint32_t wnd = timewait_window_field(fx);
  REQUIRE(wnd > 1000);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_SA, 2 + wnd, 5); /* RCV.NXT + RCV.WND: outside */
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(1));
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, t0 + SYNACK_SEC(2), FX_SA, 2 + 10, 5);
  fx_expect(fx, FX_RA, 2, 2, .t = t0 + SYNACK_SEC(2), .win = FX_WIN_ZERO, .layout = "");
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  t0 = fx->now;
  const synack_counters_t *c = synack_stack_counters(fx->st);
  uint64_t chal = c->events[SYNACK_CTR_TCP_CHALLENGE_ACKS];
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_SA, 2 + 10, 5);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(1));
  fx_expect_none(fx);
  CHECK_EQ_U(c->events[SYNACK_CTR_TCP_CHALLENGE_ACKS], chal + 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_free(fx);
}

/* Data or a bare ACK in TIME-WAIT: the reply is an ACK <SEQ=SND.NXT><ACK=RCV.NXT>. */
static void segments_in_timewait(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(1), FX_PA, 1, 2, .len = 10); /* old data */
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(1));
  fx_inject(fx, t0 + SYNACK_SEC(2), FX_A, 2, 2); /* duplicate of the final ACK: nothing */
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_free(fx);
}

/* Test 13: a new SYN with a higher sequence number reopens TIME-WAIT as a new incarnation. */
static void new_syn_higher_seq_reopens(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  uint32_t old_isn = fx->isn;
  uint64_t recycled = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TW_RECYCLED];
  fx->peer_isn += 100000;
  fx_inject(fx, t0 + SYNACK_SEC(5), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_SEC(5));
  /* RFC 1122 4.2.2.13: the new ISS lies beyond the old incarnation's sequence space */
  fx_check((int32_t)(fx->isn - (old_isn + 2)) > 0);
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TW_RECYCLED], recycled + 1);
  fx_inject(fx, t0 + SYNACK_SEC(5) + SYNACK_MS(10), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s2 = synack_accept(fx->st, fx->listener, &rem);
  CHECK(s2 >= 0);
  /* Test 7: a data segment of the earlier incarnation is outside the new window: ACKed, not delivered. */
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_PA, (uint32_t)-99999, 2 + (uint32_t)(old_isn - fx->isn), .len = 10);
  fx_expect(fx, FX_A, 1, 1, .t = fx->now);
  uint8_t b[32];
  fx_check_rc(fx_recv(fx, s2, b, sizeof b), -SYNACK_EAGAIN);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* RFC 1122 §4.2.2.13 (2): a SYN reopened TIME-WAIT and the new handshake proves it an old
 * duplicate (the peer, which has no such connection, answers the SYN-ACK with a RST): the
 * entry returns to TIME-WAIT with the old incarnation's state and its original 2*MSL deadline,
 * and answers the old FIN again. */
static void old_syn_rst_back_to_timewait(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  synack_conn_entry_t e;
  REQUIRE(fx_find(fx, &e));
  synack_time_t expires = e.expires;
  CHECK_EQ_U(expires, t0 + SYNACK_SEC(60));
  uint32_t old_isn = fx->isn, old_peer = fx->peer_isn;
  size_t mem = synack_stack_memory(fx->st);
  fx->peer_isn += 100000;
  fx_inject(fx, t0 + SYNACK_SEC(5), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_SEC(5));
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  /* The suspended entry is still counted and its timer runs (the invariant checker knows it). */
  char why[160];
  bool ok = synack_tcp_check_invariants(fx->st, why, sizeof why);
  if (!ok) fprintf(stderr, "invariant: %s\n", why);
  CHECK(ok);
  fx_inject(fx, t0 + SYNACK_SEC(5) + SYNACK_MS(10), FX_R, 1, 0); /* <SEQ=SEG.ACK><CTL=RST> */
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  REQUIRE(fx_find(fx, &e));
  CHECK_EQ_U(e.state, SYNACK_TCP_TIME_WAIT);
  CHECK_EQ_U(e.expires, expires); /* the old deadline, not a new 2*MSL */
  CHECK_EQ_U(synack_stack_memory(fx->st), mem);
  /* The old incarnation's numbers: its FIN again is ACKed as before. */
  fx->isn = old_isn;
  fx->peer_isn = old_peer;
  fx_inject(fx, t0 + SYNACK_SEC(6), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(6));
  fx_free(fx);
}

/* The same reopening SYN, the handshake completing: no TIME-WAIT entry comes back and nothing
 * of it is left (no memory given back when its old deadline passes). */
static void reopened_handshake_ends_old_incarnation(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx->peer_isn += 100000;
  fx_inject(fx, t0 + SYNACK_SEC(5), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_SEC(5));
  fx_inject(fx, t0 + SYNACK_SEC(5) + SYNACK_MS(10), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s2 = synack_accept(fx->st, fx->listener, &rem);
  CHECK(s2 >= 0);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  size_t mem = synack_stack_memory(fx->st);
  fx_advance(fx, t0 + SYNACK_SEC(61)); /* the old deadline passes: nothing of the entry was left to free */
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(synack_stack_memory(fx->st), mem);
  fx_free(fx);
}

/* Test 13: a SYN at or below RCV.NXT (no timestamps) is refused: ACK, TIME-WAIT kept. */
static void new_syn_lower_seq_refused(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(5), FX_S, (uint32_t)-5000, 0);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(5));
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_free(fx);
}

static void new_syn_refused_when_recycling_off(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, no_recycle);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(5), FX_S, 100000, 0);
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(5));
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_free(fx);
}

/* RFC 6191: with timestamps, a SYN whose TSval is newer reopens even with a lower sequence
 * number; an older TSval is refused even with a higher sequence number. */
static void new_syn_by_timestamp(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  use_ts(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  REQUIRE(fx->ts_on);
  synack_time_t t0 = fx->now;
  /* older timestamp, higher sequence: refused */
  fx_inject(fx, t0 + SYNACK_SEC(2), FX_S, 100000, 0,
            .opt = { .has = TS_SYN_OPTS, .mss = 1460, .ws = 7, .tsval = fx->peer_ts_base - 1000 });
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(2));
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  /* newer timestamp, lower sequence: a new incarnation */
  uint32_t seq = (uint32_t)-7000;
  fx->peer_isn += seq;
  fx_inject(fx, t0 + SYNACK_SEC(3), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = t0 + SYNACK_SEC(3), .opt = { .has = SYNACK_TCPOPT_HAS_TS });
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx_free(fx);
}

/* Test 13: port reuse: a TIME-WAIT 4-tuple is reused for connect() only with tw_reuse and
 * timestamps that prove the new incarnation newer; otherwise EADDRNOTAVAIL. */
static void one_port(synack_config_t *c) { c->tcp_port_lo = c->tcp_port_hi = 50000; }
static void one_port_reuse(synack_config_t *c) { one_port(c); c->tcp_tw_reuse = true; }
static void one_port_noreuse(synack_config_t *c) { one_port(c); c->tcp_tw_reuse = false; }

static int client_in_timewait(fx_t *fx) {
  int s = fx_open_active(fx);
  if (s < 0) return -1;
  if (!fx_goto(fx, s, SYNACK_TCP_TIME_WAIT)) return -1;
  if (synack_close(fx->st, fx->now, s) != 0) return -1;
  return fx_state(fx) == SYNACK_TCP_TIME_WAIT ? 0 : -1;
}

static void port_reuse_with_timestamps(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_port_reuse);
  REQUIRE(fx);
  use_ts(fx);
  int s = client_in_timewait(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx->lport, 50000);
  uint32_t old_isn = fx->isn, old_tsval = fx->last_tsval;
  fx_advance(fx, fx->now + SYNACK_SEC(2));
  uint64_t reused = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TW_REUSED];
  int s2 = fx_syn_sent(fx);
  REQUIRE(s2 >= 0);
  CHECK_EQ_U(fx->lport, 50000);
  fx_check((int32_t)(fx->last_tsval - old_tsval) > 0);
  fx_check(fx->isn != old_isn);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TW_REUSED], reused + 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  fx->peer_isn += 300000;
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1);
  fx_check_sock_state(fx, s2, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

static void port_reuse_refused(void) {
  /* tw_reuse off */
  fx_t *fx = fx_new(SYNACK_AF_INET, one_port_noreuse);
  REQUIRE(fx);
  use_ts(fx);
  int s = client_in_timewait(fx);
  REQUIRE(s >= 0);
  fx_advance(fx, fx->now + SYNACK_SEC(2));
  int s2 = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx_check_rc(synack_connect(fx->st, fx->now, s2, &rem), -SYNACK_EADDRNOTAVAIL);
  fx_expect_none(fx);
  fx_free(fx);

  /* tw_reuse on, but no timestamps were negotiated: nothing proves the new SYN newer */
  fx = fx_new(SYNACK_AF_INET, one_port_reuse);
  REQUIRE(fx);
  s = client_in_timewait(fx);
  REQUIRE(s >= 0);
  fx_advance(fx, fx->now + SYNACK_SEC(2));
  s2 = synack_socket(fx->st, SYNACK_AF_INET);
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx_check_rc(synack_connect(fx->st, fx->now, s2, &rem), -SYNACK_EADDRNOTAVAIL);
  fx_free(fx);
}

/* Reusing a port whose 4-tuple is in TIME-WAIT, with Linux's errnos (docs/tcp-choices.md,
 * "Ports"): bind() to the port fails with EADDRINUSE without SO_REUSEADDR (so does bind() to
 * port 0 when that port is the whole range) and succeeds with it; connect() on the exact
 * 4-tuple then fails with EADDRNOTAVAIL (tw_reuse off), and nothing is sent; the same socket
 * may connect elsewhere from that port. An unbound socket's ephemeral choice skips the tuple. */
static void timewait_port_errnos(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_port_noreuse);
  REQUIRE(fx);
  use_ts(fx);
  REQUIRE(client_in_timewait(fx) >= 0);
  uint16_t port = fx->lport;
  CHECK_EQ_U(port, 50000);
  fx_advance(fx, fx->now + SYNACK_SEC(2));
  synack_endpoint_t mine, any_port, rem, rem2, me;
  fx_endpoint(fx, &mine, false, port);
  fx_endpoint(fx, &any_port, false, 0);
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx_endpoint(fx, &rem2, true, FX_SERVICE_PORT + 1);
  int a = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(a >= 0);
  fx_check_rc(synack_bind(fx->st, a, &mine), -SYNACK_EADDRINUSE);
  fx_check_rc(synack_bind(fx->st, a, &any_port), -SYNACK_EADDRINUSE);
  fx_check_rc(synack_setsockopt(fx->st, a, SYNACK_SO_REUSEADDR, 1), 0);
  fx_check_rc(synack_bind(fx->st, a, &mine), 0);
  fx_check_rc(synack_connect(fx->st, fx->now, a, &rem), -SYNACK_EADDRNOTAVAIL);
  fx_expect_none(fx);
  fx_check_sock_state(fx, a, SYNACK_TCP_CLOSED);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  /* an unbound socket: the only ephemeral port is skipped for this destination */
  int b = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, b, &rem), -SYNACK_EADDRNOTAVAIL);
  fx_expect_none(fx);
  /* another destination is another 4-tuple: the bound socket connects from the same port */
  fx->rport = FX_SERVICE_PORT + 1;
  fx_check_rc(synack_connect(fx->st, fx->now, a, &rem2), -SYNACK_EINPROGRESS);
  REQUIRE(synack_getsockname(fx->st, a, &me) == 0);
  CHECK_EQ_U(me.port, port);
  fx_expect(fx, FX_S, 0, 0, .t = fx->now);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  fx_free(fx);
}

/* With tw_reuse the bound socket's connect() takes the TIME-WAIT 4-tuple over once the peer's
 * last timestamp is at least 1 s old (earlier: EADDRNOTAVAIL); the new ISN is the old
 * incarnation's SND.NXT + 65537. */
static void timewait_tuple_taken_over_by_bound_connect(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_port_reuse);
  REQUIRE(fx);
  use_ts(fx);
  REQUIRE(client_in_timewait(fx) >= 0);
  uint32_t old_snd_nxt = fx->isn + fx->sseq;
  synack_endpoint_t mine, rem;
  fx_endpoint(fx, &mine, false, fx->lport);
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  int a = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(a >= 0);
  fx_check_rc(synack_setsockopt(fx->st, a, SYNACK_SO_REUSEADDR, 1), 0);
  fx_check_rc(synack_bind(fx->st, a, &mine), 0);
  fx_check_rc(synack_connect(fx->st, fx->now, a, &rem), -SYNACK_EADDRNOTAVAIL); /* too soon */
  fx_expect_none(fx);
  uint64_t reused = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TW_REUSED];
  fx_advance(fx, fx->now + SYNACK_SEC(2));
  fx_check_rc(synack_connect(fx->st, fx->now, a, &rem), -SYNACK_EINPROGRESS);
  fx_expect(fx, FX_S, old_snd_nxt + 65537u, 0, .abs = true, .t = fx->now);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_TW_REUSED], reused + 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  fx_check_sock_state(fx, a, SYNACK_TCP_SYN_SENT);
  fx_free(fx);
}

/* While its handle is open a TIME-WAIT connection is an ordinary bound socket for these rules:
 * SO_REUSEADDR on the new socket alone does not pass it (both need it), and tw_reuse never
 * takes it over: connect() on its 4-tuple fails with EADDRNOTAVAIL. Closing the handle turns it
 * into a compact entry, which tw_reuse may then take over. */
static void timewait_socket_holds_tuple(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_port_reuse);
  REQUIRE(fx);
  use_ts(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  fx_advance(fx, fx->now + SYNACK_SEC(2));
  fx_check_sock_state(fx, s, SYNACK_TCP_TIME_WAIT);
  synack_endpoint_t mine, rem;
  fx_endpoint(fx, &mine, false, fx->lport);
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  int a = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_setsockopt(fx->st, a, SYNACK_SO_REUSEADDR, 1), 0);
  fx_check_rc(synack_bind(fx->st, a, &mine), -SYNACK_EADDRINUSE);
  int b = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, b, &rem), -SYNACK_EADDRNOTAVAIL);
  fx_expect_none(fx);
  fx_check_rc(synack_close(fx->st, fx->now, s), 0);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  fx_check_rc(synack_bind(fx->st, a, &mine), 0);
  fx_check_rc(synack_connect(fx->st, fx->now, a, &rem), -SYNACK_EINPROGRESS);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  fx_free(fx);
}

/* Test 13: port-range exhaustion. */
static void two_ports(synack_config_t *c) { c->tcp_port_lo = 50000; c->tcp_port_hi = 50001; }
static void port_range_exhausted(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, two_ports);
  REQUIRE(fx);
  int a = fx_open_active(fx);
  REQUIRE(a >= 0);
  uint16_t pa = fx->lport;
  fx->peer_isn += 1000;
  int b = fx_open_active(fx);
  REQUIRE(b >= 0);
  CHECK(fx->lport != pa);
  CHECK(fx->lport >= 50000 && fx->lport <= 50001);
  int c = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx_check_rc(synack_connect(fx->st, fx->now, c, &rem), -SYNACK_EADDRNOTAVAIL);
  fx_expect_none(fx);
  /* a port in TIME-WAIT still counts as used */
  REQUIRE(fx_goto(fx, b, SYNACK_TCP_TIME_WAIT));
  CHECK(synack_close(fx->st, fx->now, b) == 0);
  fx_check_rc(synack_connect(fx->st, fx->now, c, &rem), -SYNACK_EADDRNOTAVAIL);
  /* once it expires, the port is free again */
  fx_advance(fx, fx->now + SYNACK_SEC(61));
  fx_check_rc(synack_connect(fx->st, fx->now, c, &rem), -SYNACK_EINPROGRESS);
  fx_free(fx);
}

/* RFC 6056: ephemeral ports are randomised (not sequential) across stacks with different seeds. */
static void ephemeral_ports_random(void) {
  uint16_t ports[8];
  for (int k = 0; k < 8; k++) {
    synack_config_t cfg;
    fx_config(&cfg, SYNACK_AF_INET);
    synack_config_deterministic(&cfg, 1000 + (uint64_t)k);
    fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &cfg);
    REQUIRE(fx);
    int s = synack_socket(fx->st, SYNACK_AF_INET);
    synack_endpoint_t rem, me;
    fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
    CHECK_EQ_I(synack_connect(fx->st, 0, s, &rem), -SYNACK_EINPROGRESS);
    CHECK(synack_getsockname(fx->st, s, &me) == 0);
    ports[k] = me.port;
    CHECK(me.port >= cfg.tcp_port_lo && me.port <= cfg.tcp_port_hi);
    fx_free(fx);
  }
  int distinct = 0;
  for (int i = 0; i < 8; i++) {
    int seen = 0;
    for (int j = 0; j < i; j++) seen |= ports[j] == ports[i];
    distinct += !seen;
  }
  CHECK(distinct >= 6);
}

/* Issue 12 §3: only the retransmitted FIN (ending at RCV.NXT - 1) restarts 2 MSL. A FIN
 * anywhere else (a blind attacker's) is answered (a FIN is exempt from the ACK rate limit) but
 * the entry still ends on time. Before, any FIN restarted the timer: pinned for ever. */
static void only_retransmitted_fin_restarts(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(server_in_timewait(fx) >= 0);
  synack_time_t t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(30), FX_FA, 2 + 1000, 2); /* in the window, not the FIN */
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(30));
  fx_inject(fx, t0 + SYNACK_SEC(40), FX_FA, 5000000, 2); /* outside */
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(40));
  fx_advance(fx, t0 + SYNACK_SEC(60) - 1);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, t0 + SYNACK_SEC(60));
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  /* The same rule for a TIME-WAIT socket whose handle is open (a full TCB). */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  t0 = fx->now;
  fx_inject(fx, t0 + SYNACK_SEC(30), FX_FA, 2 + 1000, 2);
  /* a FIN in the window after the peer's FIN: answered as by the compact entry (one rule for
   * TIME-WAIT, as Linux and FreeBSD), without restarting 2 MSL */
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(30));
  fx_inject(fx, t0 + SYNACK_SEC(40), FX_FA, 1, 2); /* the real retransmitted FIN: re-ACK, restart */
  fx_expect(fx, FX_A, 2, 2, .t = t0 + SYNACK_SEC(40));
  fx_advance(fx, t0 + SYNACK_SEC(100) - 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_TIME_WAIT);
  fx_advance(fx, t0 + SYNACK_SEC(100));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* RFC 1122 §4.2.2.13 on the passive side: a SYN reopening TIME-WAIT at once after the old
 * incarnation sent more than the ISN clock advanced gets an ISS above the old SND.NXT. */
static void reopen_iss_above_old_snd_nxt(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK(fx_send(fx, s, 10000, 0) == 10000); /* within the initial window: all sent at once */
  fx_flush_output(fx);
  CHECK_EQ_I(synack_close(fx->st, fx->now, s), 0);
  fx_flush_output(fx);
  /* the peer acknowledges everything and closes; all at the same instant */
  fx_inject(fx, fx->now, FX_A, 1, 10002);
  fx_flush_output(fx);
  fx_inject(fx, fx->now, FX_FA, 1, 10002);
  fx_expect(fx, FX_A, 10002, 2);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  uint32_t old_isn = fx->isn;
  fx->peer_isn += 100000;
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_check((int32_t)(fx->isn - (old_isn + 10002)) > 0);
  fx_free(fx);
}

TH_MAIN(TH_CASE(only_retransmitted_fin_restarts), TH_CASE(reopen_iss_above_old_snd_nxt),
        TH_CASE(old_syn_rst_back_to_timewait),
        TH_CASE(reopened_handshake_ends_old_incarnation), TH_CASE(lasts_two_msl), TH_CASE(orphan_becomes_timewait_entry), TH_CASE(fin_retransmission_reacked),
        TH_CASE(rst_in_timewait), TH_CASE(segments_in_timewait), TH_CASE(new_syn_higher_seq_reopens),
        TH_CASE(new_syn_lower_seq_refused), TH_CASE(new_syn_refused_when_recycling_off), TH_CASE(new_syn_by_timestamp),
        TH_CASE(port_reuse_with_timestamps), TH_CASE(port_reuse_refused), TH_CASE(port_range_exhausted),
        TH_CASE(ephemeral_ports_random), TH_CASE(rst_in_window_challenged), TH_CASE(rst_window_right_edge),
        TH_CASE(rst_window_scaled), TH_CASE(synack_in_timewait), TH_CASE(timewait_port_errnos),
        TH_CASE(timewait_tuple_taken_over_by_bound_connect), TH_CASE(timewait_socket_holds_tuple))
