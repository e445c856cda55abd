/* Blind RST, SYN and data injection (RFC 5961) at every position — just left of the window,
 * its left edge (RCV.NXT), inside, its right edge, just right of it — in every synchronized
 * state, with the RFC 5961 checks on (default) and off (RFC 793 behaviour). Each combination
 * runs on a fresh fixture. Plus RST handling in SYN-SENT and SYN-RECEIVED and the challenge
 * ACK rate limit. Issue 3, test 10. */
#include "harness.h"
#include "tcpfix.h"

typedef enum { K_RST, K_SYN, K_DATA, K_ACK_NEW, K_ACK_OLD, K_ACK_OLD_OK, K__N } kind_t;
typedef enum { P_LEFT_OUT, P_LEFT_EDGE, P_IN, P_RIGHT_EDGE, P_RIGHT_OUT, P__N } pos_t;
typedef enum {
  O_NONE,              /* dropped silently, state unchanged */
  O_ACK,               /* (challenge) ACK <SEQ=SND.NXT><ACK=RCV.NXT>, segment dropped, state unchanged */
  O_NONE_OR_CHALLENGE, /* TIME-WAIT with RFC 1337: ignored; a challenge ACK is tolerated */
  O_RESET,             /* connection reset: CLOSED, nothing sent */
  O_RST_SENT,          /* RFC 793 in-window SYN: we send RST and close */
  O_DELIVER,           /* data accepted: ACK of the new data within the delayed-ACK time */
  O_TEXT_IGNORED,      /* after the peer's FIN: text ignored; at most a plain ACK; state unchanged */
} outcome_t;

static const char *kind_name[] = { "RST", "SYN", "data", "data+ACK>SND.NXT", "data+ACK<SND.UNA-MAXWND",
                                   "data+ACK<SND.UNA(ok)" };
static const char *pos_name[] = { "left-of-window", "left-edge(RCV.NXT)", "in-window", "right-edge", "right-of-window" };

static void rfc793(synack_config_t *c) {
  c->tcp_rfc5961_rst = false;
  c->tcp_rfc5961_syn = false;
  c->tcp_rfc5961_ack = false;
}

static bool receiving(synack_tcp_state_t st) {
  return st == SYNACK_TCP_ESTABLISHED || st == SYNACK_TCP_FIN_WAIT_1 || st == SYNACK_TCP_FIN_WAIT_2;
}

static outcome_t expected(bool on, synack_tcp_state_t st, kind_t k, pos_t p) {
  bool edge_out = p == P_LEFT_OUT || p == P_RIGHT_OUT;
  switch (k) {
    case K_RST:
      if (st == SYNACK_TCP_TIME_WAIT) return edge_out ? O_NONE : O_NONE_OR_CHALLENGE;
      if (edge_out) return O_NONE;                 /* RFC 9293 §3.10.7.4: outside the window → drop */
      if (p == P_LEFT_EDGE) return O_RESET;         /* exactly RCV.NXT → reset */
      return on ? O_ACK : O_RESET;                  /* RFC 5961 §3.2: challenge ACK; RFC 793: reset */
    case K_SYN:
      if (on || edge_out) return O_ACK;             /* RFC 5961 §4.2; out-of-window: unacceptable → ACK */
      return O_RST_SENT;                            /* RFC 793: SYN in window → RST, CLOSED */
    case K_DATA:
      if (edge_out) return O_ACK;                   /* unacceptable segment → ACK */
      if (!receiving(st)) return O_TEXT_IGNORED;    /* RFC 9293: text after FIN ignored */
      if (p == P_LEFT_EDGE) return O_DELIVER;
      return O_ACK;                                 /* out of order: duplicate ACK at once (RFC 5681 §4.2) */
    case K_ACK_NEW: return O_ACK;                   /* SEG.ACK > SND.NXT → ACK, drop (both) */
    case K_ACK_OLD:
      if (on) return O_ACK;                         /* RFC 5961 §5.2: challenge ACK, drop */
      return receiving(st) ? O_DELIVER : O_TEXT_IGNORED; /* RFC 793: old ACK ignored, data processed */
    case K_ACK_OLD_OK: return receiving(st) ? O_DELIVER : O_TEXT_IGNORED;
    case K__N: break;
  }
  return O_NONE;
}

/* Runs one combination on a fresh fixture; returns false on failure (after printing the label). */
static void run_one(bool on, synack_tcp_state_t st, kind_t k, pos_t p) {
  int failed_before = th_case_failed;
  th_case_failed = 0;
  fx_t *fx = fx_new(SYNACK_AF_INET, on ? NULL : rfc793);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  if (s < 0 || !fx_goto(fx, s, st)) {
    th_case_failed = 1;
    fprintf(stderr, "  ^ fixture for %s failed\n", synack_tcp_state_name(st));
    fx_free(fx);
    th_case_failed |= failed_before;
    return;
  }
  (void)fx_events(fx, s);
  uint32_t rn = fx->pseq, sn = fx->sseq;
  bool fin_unacked = st == SYNACK_TCP_FIN_WAIT_1 || st == SYNACK_TCP_CLOSING || st == SYNACK_TCP_LAST_ACK;
  uint32_t una = fin_unacked ? sn - 1 : sn;
  uint32_t wnd = fx->last_win;
  uint32_t seq = 0;
  size_t len = 0;
  switch (p) {
    case P_LEFT_OUT: seq = k == K_RST || k == K_SYN ? rn - 1 : rn - 10; len = 5; break;
    case P_LEFT_EDGE: seq = rn; len = 10; break;
    case P_IN: seq = rn + 100; len = 10; break;
    case P_RIGHT_EDGE: seq = rn + wnd - 1; len = 1; break;
    case P_RIGHT_OUT: seq = rn + wnd; len = 10; break;
    case P__N: break;
  }
  synack_time_t t = fx->now + SYNACK_MS(10);
  switch (k) {
    case K_RST: fx_inject(fx, t, FX_R, seq, 0); break;
    case K_SYN: fx_inject(fx, t, FX_S, seq, 0); break;
    case K_DATA: fx_inject(fx, t, FX_PA, seq, una, .len = len); break;
    case K_ACK_NEW: fx_inject(fx, t, FX_PA, seq, sn + 1000, .len = len); break;
    case K_ACK_OLD: fx_inject(fx, t, FX_PA, seq, una - 70000, .len = len); break;
    case K_ACK_OLD_OK: fx_inject(fx, t, FX_PA, seq, una - 100, .len = len); break;
    case K__N: break;
  }
  outcome_t o = expected(on, st, k, p);
  uint8_t buf[64];
  switch (o) {
    case O_NONE:
      fx_expect_none(fx);
      fx_check_state(fx, st);
      break;
    case O_ACK:
      fx_expect(fx, FX_A, sn, rn, .t = t);
      fx_expect_none(fx);
      fx_check_state(fx, st);
      if (receiving(st)) fx_check_rc(fx_recv(fx, s, buf, sizeof buf), -SYNACK_EAGAIN);
      break;
    case O_NONE_OR_CHALLENGE:
      if (fx_pending(fx)) fx_expect(fx, FX_A, sn, rn, .t = t);
      fx_expect_none(fx);
      fx_check_state(fx, st);
      break;
    case O_RESET:
      fx_expect_none(fx);
      fx_check_state(fx, SYNACK_TCP_CLOSED);
      /* The socket still held learns of the reset in CLOSING and LAST-ACK too (as Linux and
       * FreeBSD report it). */
      if (st != SYNACK_TCP_TIME_WAIT) CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ECONNRESET);
      break;
    case O_RST_SENT: {
      fx_frame_t f;
      synack_dissect_t d;
      bool got = fx_pop_tcp(fx, &f, &d);
      CHECK(got);
      if (got) {
        CHECK(d.tcp.flags & SYNACK_TCP_RST);
        free(f.buf);
      }
      fx_check_state(fx, SYNACK_TCP_CLOSED);
      break;
    }
    case O_DELIVER:
      fx_expect(fx, FX_A, sn, rn + (uint32_t)len, .t = t, .within = SYNACK_MS(40));
      fx_check_state(fx, st);
      fx_check_rc(fx_recv(fx, s, buf, sizeof buf), (int64_t)len);
      break;
    case O_TEXT_IGNORED: {
      fx_frame_t f;
      synack_dissect_t d;
      fx_advance(fx, t + SYNACK_MS(40));
      while (fx_pop_tcp(fx, &f, &d)) {
        if (d.tcp.flags & SYNACK_TCP_FIN) { free(f.buf); continue; } /* a FIN retransmission may fall here */
        CHECK_EQ_U(d.tcp.flags & (uint8_t)~SYNACK_TCP_PSH, FX_A);
        CHECK_EQ_U(d.tcp.seq, fx->isn + sn);
        CHECK_EQ_U(d.tcp.payload_len, 0);
        free(f.buf);
      }
      fx_check_state(fx, st);
      int64_t r = fx_recv(fx, s, buf, sizeof buf);
      CHECK(r == 0 || r == -SYNACK_EAGAIN);
      break;
    }
  }
  if (th_case_failed)
    fprintf(stderr, "  ^ in %s, %s at %s, RFC 5961 %s\n", synack_tcp_state_name(st), kind_name[k], pos_name[p],
            on ? "on" : "off");
  th_case_failed |= failed_before;
  fx_free(fx);
}

static const synack_tcp_state_t sync_states[] = {
  SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_CLOSE_WAIT,
  SYNACK_TCP_CLOSING,     SYNACK_TCP_LAST_ACK,   SYNACK_TCP_TIME_WAIT,
};

static void matrix(bool on, kind_t k, bool tw) {
  for (size_t i = 0; i < sizeof sync_states / sizeof sync_states[0]; i++) {
    if (sync_states[i] == SYNACK_TCP_TIME_WAIT && !tw) continue;
    for (int p = 0; p < P__N; p++) {
      if ((k == K_ACK_NEW || k == K_ACK_OLD || k == K_ACK_OLD_OK) && p != P_LEFT_EDGE) continue;
      run_one(on, sync_states[i], k, (pos_t)p);
    }
  }
}

static void rst_matrix_rfc5961(void) { matrix(true, K_RST, true); }
static void rst_matrix_rfc793(void) { matrix(false, K_RST, true); }
/* SYNs in TIME-WAIT are the new-incarnation rules: test_timewait.c. */
static void syn_matrix_rfc5961(void) { matrix(true, K_SYN, false); }
static void syn_matrix_rfc793(void) { matrix(false, K_SYN, false); }
static void data_matrix_rfc5961(void) { matrix(true, K_DATA, false); }
static void data_matrix_rfc793(void) { matrix(false, K_DATA, false); }
static void ack_check_rfc5961(void) {
  matrix(true, K_ACK_NEW, false);
  matrix(true, K_ACK_OLD, false);
  matrix(true, K_ACK_OLD_OK, false);
}
static void ack_check_rfc793(void) {
  matrix(false, K_ACK_NEW, false);
  matrix(false, K_ACK_OLD, false);
  matrix(false, K_ACK_OLD_OK, false);
}

/* Each RFC 5961 check can be switched alone. */
static void only_rst_off(synack_config_t *c) { c->tcp_rfc5961_rst = false; }
static void only_syn_off(synack_config_t *c) { c->tcp_rfc5961_syn = false; }
static void checks_switch_independently(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, only_rst_off);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 50, 0); /* SYN check still on: challenge ACK */
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(10));
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_inject(fx, SYNACK_MS(20), FX_R, 50, 0); /* RST check off: in-window RST resets */
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, only_syn_off);
  REQUIRE(fx);
  s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_R, 50, 0); /* RST check on: challenge ACK */
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(10));
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_inject(fx, SYNACK_MS(20), FX_S, 50, 0); /* SYN check off: in-window SYN → RST */
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK(d.tcp.flags & SYNACK_TCP_RST);
  free(f.buf);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

/* The peer answers a challenge ACK with a RST at the exact sequence number: accepted. */
static void challenge_then_exact_rst(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_R, 1000, 0);
  fx_expect(fx, FX_A, 1, 1, .t = SYNACK_MS(10));
  fx_inject(fx, SYNACK_MS(20), FX_R, 1, 0);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_ERROR);
  CHECK_EQ_I(fx->everr[s], -SYNACK_ECONNRESET);
  fx_free(fx);
}

/* RFC 5961 §7: challenge ACKs are rate limited per connection (tcp_challenge_ack_limit / s). */
static void challenge_ack_rate_limit(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint64_t c0 = synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_CHALLENGE_ACKS];
  synack_time_t t0 = SYNACK_SEC(10);
  for (int k = 0; k < 30; k++) fx_inject(fx, t0 + SYNACK_MS(10) * (synack_time_t)k, FX_R, 500 + (uint32_t)k, 0);
  size_t n = fx_pending(fx);
  CHECK(n >= 1);
  CHECK(n <= fx->cfg.tcp_challenge_ack_limit);
  fx_flush_output(fx);
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_CHALLENGE_ACKS] - c0, n);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  /* a second later the budget is back */
  fx_inject(fx, t0 + SYNACK_SEC(2), FX_R, 700, 0);
  fx_expect(fx, FX_A, 1, 1, .t = t0 + SYNACK_SEC(2));
  fx_free(fx);
}

/* RST in SYN-SENT (RFC 9293 §3.10.7.3, unchanged by RFC 5961): accepted only with an acceptable
 * ACK; a RST without ACK or with a wrong ACK is dropped. */
static void rst_in_syn_sent(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_R, 0, 0);
  fx_inject(fx, SYNACK_MS(20), FX_RA, 0, 7);
  fx_inject(fx, SYNACK_MS(30), FX_RA, 0, 0);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  fx_inject(fx, SYNACK_MS(40), FX_RA, 0, 1);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ECONNREFUSED);
  fx_free(fx);
}

/* RST at a half-open (SYN-RECEIVED from a passive open): exact → entry gone, listener stays;
 * in window → not accepted (challenge ACK tolerated); out of window → dropped. */
static void rst_in_syn_received(void) {
  for (int variant = 0; variant < 3; variant++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
    REQUIRE(fx);
    REQUIRE(fx_syn_received(fx) >= 0);
    uint32_t seq = variant == 0 ? 1 : variant == 1 ? 100 : 1 + 70000;
    fx_inject(fx, SYNACK_MS(10), FX_R, seq, 0);
    if (variant == 0) {
      fx_expect_none(fx);
      CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
    } else {
      if (variant == 1 && fx_pending(fx)) fx_expect(fx, FX_A, 1, 1);
      fx_expect_none(fx);
      CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
    }
    fx_check_sock_state(fx, fx->listener, SYNACK_TCP_LISTEN);
    fx_free(fx);
  }
}

/* RST on an active-open SYN-RECEIVED (simultaneous open) with the right sequence: the
 * connection is refused (RFC 9293: "if actively opened, the connection was refused"). */
static void rst_in_syn_received_active(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_RECEIVED);
  fx_inject(fx, SYNACK_MS(20), FX_R, 1, 0);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ECONNREFUSED);
  fx_free(fx);
}

/* A RST is never answered with a RST, whatever it carries. */
static void never_rst_for_rst(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 4) >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_R, 5, 0);
  fx_inject(fx, SYNACK_MS(2), FX_RA, 5, 9);
  fx_inject(fx, SYNACK_MS(3), FX_R | SYNACK_TCP_FIN, 5, 0);
  fx_expect_none(fx);
  fx_free(fx);
}

TH_MAIN(TH_CASE(rst_matrix_rfc5961), TH_CASE(rst_matrix_rfc793), TH_CASE(syn_matrix_rfc5961),
        TH_CASE(syn_matrix_rfc793), TH_CASE(data_matrix_rfc5961), TH_CASE(data_matrix_rfc793),
        TH_CASE(ack_check_rfc5961), TH_CASE(ack_check_rfc793), TH_CASE(checks_switch_independently),
        TH_CASE(challenge_then_exact_rst), TH_CASE(challenge_ack_rate_limit), TH_CASE(rst_in_syn_sent),
        TH_CASE(rst_in_syn_received), TH_CASE(rst_in_syn_received_active), TH_CASE(never_rst_for_rst))
