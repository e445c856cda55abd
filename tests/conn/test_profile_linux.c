/* The linux profile (synack_config_preset "linux") against what the Linux kernel does, each policy
 * beside the rfc profile's answer to the same segment (docs/linux-differences.md; every behaviour
 * here was seen on the wire with `synack drill --target=kernel`): the SYN-ACK of a simultaneous
 * open repeats every option of our SYN, SYN-RECEIVED answers an unacceptable segment with a plain
 * ACK, a SYN in the window of a half-open entry is reset, text and FIN on a SYN-ACK are
 * discarded, a SACK block ending at an out-of-order FIN covers the FIN, the errors a RST leaves
 * (and read() giving the end of file first), a RST at the peer's FIN, the RST answering data for
 * a closed socket, data still read after shutdown(SHUT_RD); a RST in TIME-WAIT counting only at
 * RCV.NXT, SYN+FIN dropped by a listener, old text ending at RCV.NXT accepted for its ACK, the
 * SYN retransmission schedule (linear first timeouts, time-based give-up) and the SYN-ACK answer
 * to a repeated SYN outside the timer's schedule; a SYN for a TIME-WAIT whose socket is still held
 * reaching the listener. */
#include "harness.h"
#include "tcpfix.h"

#define MS SYNACK_MS

static void linux_(synack_config_t *c) { REQUIRE(synack_config_preset(c, "linux") == 0); }
static void rfc(synack_config_t *c) { REQUIRE(synack_config_preset(c, "rfc") == 0); }

/* The peer's SYN offers only an MSS. Linux's crossing SYN-ACK still carries SACK-permitted, a
 * timestamp and the window scale of its SYN; the rfc profile sends only what both offered. Then an
 * ACK far out of the window: Linux answers with a plain ACK, the rfc profile with the SYN-ACK. */
static void simopen_synack(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  REQUIRE(fx_syn_sent(fx) >= 0);
  fx_inject(fx, MS(100), FX_S, 0, 0, .opt = { .has = SYNACK_TCPOPT_HAS_MSS, .mss = 1000 });
  fx_expect(fx, FX_SA, 0, 1, .t = MS(100), .layout = linux ? "mss,sackOK,TS,nop,wscale" : "mss");
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx_inject(fx, MS(200), FX_A, 100000, 1);
  if (linux) fx_expect(fx, FX_A, 1, 1, .t = MS(200), .layout = "");
  else fx_expect(fx, FX_SA, 0, 1, .t = MS(200), .layout = "mss");
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  /* the handshake completes; no timestamps were agreed, so none is sent from here on */
  fx_inject(fx, MS(300), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_inject(fx, MS(800), FX_A, 100000, 1); /* after tcp_invalid_ratelimit's 500 ms */
  fx_expect(fx, FX_A, 1, 1, .t = MS(800), .layout = "");
  fx_free(fx);
}

static void simopen_synack_linux(void) { simopen_synack(linux_, true); }
static void simopen_synack_rfc(void) { simopen_synack(rfc, false); }

/* A listener with a half-open entry (passive SYN-RECEIVED) under the profile. */
static fx_t *halfopen(void (*profile)(synack_config_t *)) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  if (fx && fx_syn_received(fx) < 0) {
    fx_free(fx);
    return NULL;
  }
  return fx;
}

/* A segment left of the window of a half-open entry. */
static void halfopen_unacceptable(void) {
  fx_t *fx = halfopen(linux_);
  REQUIRE(fx);
  fx_inject(fx, MS(100), FX_A, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100));
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx_free(fx);
  fx = halfopen(rfc);
  REQUIRE(fx);
  fx_inject(fx, MS(100), FX_A, 0, 1);
  fx_expect(fx, FX_SA, 0, 1, .t = MS(100));
  fx_free(fx);
}

/* A new SYN inside the window of a half-open entry: Linux resets it (RST,ACK from SEQ 0
 * acknowledging the SYN; a SYN-ACK gets a RST from its ACK field) and the listener is back in
 * LISTEN; the rfc profile (RFC 5961 §4.2) sends a challenge ACK and keeps the entry. */
static void halfopen_syn_in_window(void) {
  fx_t *fx = halfopen(linux_);
  REQUIRE(fx);
  fx_inject(fx, MS(100), FX_S, 1000, 0);
  fx_expect(fx, FX_RA, 0, fx->peer_isn + 1001, .abs = true, .t = MS(100));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_free(fx);
  fx = halfopen(linux_);
  REQUIRE(fx);
  fx_inject(fx, MS(100), FX_SA, 1000, 1);
  fx_expect(fx, FX_R, 1, 0, .any_ack = true, .t = MS(100));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_free(fx);
  fx = halfopen(rfc);
  REQUIRE(fx);
  fx_inject(fx, MS(100), FX_S, 1000, 0);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  fx_free(fx);
}

/* A SYN-ACK carrying 10 bytes and a FIN: Linux ACKs the SYN only (the text and the FIN come
 * again); the rfc profile processes them at the sixth and eighth steps. */
static void synack_text(void) {
  uint8_t b[32];
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_SA | FX_F, 0, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100));
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), -SYNACK_EAGAIN);
  fx_inject(fx, MS(200), FX_PA, 1, 1, .len = 10);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 10);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, rfc);
  REQUIRE(fx);
  s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_SA | FX_F, 0, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 12, .t = MS(100));
  fx_check_state(fx, SYNACK_TCP_CLOSE_WAIT);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 10);
  fx_free(fx);
}

/* Data and a FIN beyond a gap: Linux's SACK block covers the FIN's sequence number (101:202),
 * the rfc profile's the data only (101:201). */
static void sack_block_covers_fin(void (*profile)(synack_config_t *), uint32_t right) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  fx->peer_syn.has |= SYNACK_TCPOPT_HAS_SACK_PERM;
  REQUIRE(fx_open_passive(fx) >= 0);
  fx_inject(fx, MS(100), FX_FPA, 101, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100), .nsack = 1, .sack = { { 101, right } });
  fx_free(fx);
}

static void sack_fin_linux(void) { sack_block_covers_fin(linux_, 202); }
static void sack_fin_rfc(void) { sack_block_covers_fin(rfc, 201); }

/* A RST at RCV.NXT after the peer's FIN (CLOSE-WAIT, or LAST-ACK after our shutdown): Linux's
 * read() reports the end of file first and SO_ERROR holds EPIPE (CLOSE-WAIT) or ECONNRESET;
 * the rfc profile's read() returns the error. */
static void rst_after_fin(void (*profile)(synack_config_t *), synack_tcp_state_t state, int rd, int err) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, state));
  fx_inject(fx, fx->now + MS(10), FX_R, fx->pseq, 0);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  uint8_t b[8];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), rd);
  int v = -1;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_ERROR, &v), 0);
  CHECK_EQ_I(v, err);
  fx_free(fx);
}

static void rst_close_wait_linux(void) { rst_after_fin(linux_, SYNACK_TCP_CLOSE_WAIT, 0, -SYNACK_EPIPE); }
static void rst_last_ack_linux(void) { rst_after_fin(linux_, SYNACK_TCP_LAST_ACK, 0, -SYNACK_ECONNRESET); }
static void rst_close_wait_rfc(void) { rst_after_fin(rfc, SYNACK_TCP_CLOSE_WAIT, -SYNACK_ECONNRESET, 0); }

/* After the peer's FIN (LAST-ACK), a RST at RCV.NXT - 1, the FIN's own sequence number: Linux
 * accepts it (tcp_reset_check), RFC 9293's first check (the rfc profile) drops it as left of
 * the window. */
static void rst_at_fin_seq(void (*profile)(synack_config_t *), synack_tcp_state_t after) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_LAST_ACK));
  fx_inject(fx, fx->now + MS(10), FX_R, fx->pseq - 1, 0);
  fx_check_state(fx, after);
  fx_free(fx);
}

static void rst_at_fin_linux(void) { rst_at_fin_seq(linux_, SYNACK_TCP_CLOSED); }
static void rst_at_fin_rfc(void) { rst_at_fin_seq(rfc, SYNACK_TCP_LAST_ACK); }

/* A RST at RCV.NXT in SYN-RECEIVED after a simultaneous open: Linux says ECONNRESET, RFC 9293
 * §3.10.7.4 (the rfc profile) "connection refused". */
static void rst_simopen(void (*profile)(synack_config_t *), int err) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = MS(100));
  fx_inject(fx, MS(200), FX_R, 1, 0);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  int v = 0;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_ERROR, &v), 0);
  CHECK_EQ_I(v, err);
  fx_free(fx);
}

static void rst_simopen_linux(void) { rst_simopen(linux_, -SYNACK_ECONNRESET); }
static void rst_simopen_rfc(void) { rst_simopen(rfc, -SYNACK_ECONNREFUSED); }

/* Data for a socket closed with close() (FIN-WAIT-2, orphaned): Linux answers the segment with
 * <SEQ=SEG.ACK><CTL=RST>; the rfc profile resets the connection with RST,ACK from SND.NXT. */
static void orphan_data(void (*profile)(synack_config_t *), uint8_t flags) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_close(fx->st, fx->now, s), 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_inject(fx, MS(50), FX_A, 1, 2); /* before the linux profile's 200 ms RTO */
  fx_inject(fx, MS(150), FX_PA, 1, 2, .len = 10);
  fx_expect(fx, flags, 2, flags & SYNACK_TCP_ACK ? 1 : 0, .t = MS(150), .any_ack = !(flags & SYNACK_TCP_ACK));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_SOCKET), 1); /* the listener only */
  fx_free(fx);
}

static void orphan_data_linux(void) { orphan_data(linux_, FX_R); }
static void orphan_data_rfc(void) { orphan_data(rfc, FX_RA); }

/* shutdown(SHUT_RD), then 10 bytes: Linux still delivers them (read 10, then end of file); the
 * rfc profile discards them (end of file at once). */
static void shut_rd(void (*profile)(synack_config_t *), int first) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_RD), 0);
  fx_inject(fx, MS(200), FX_PA, 1, 1, .len = 10);
  uint8_t b[32];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), first);
  fx_check_rc(fx_recv(fx, s, b, sizeof b), 0);
  fx_free(fx);
}

static void shut_rd_linux(void) { shut_rd(linux_, 10); }
static void shut_rd_rfc(void) { shut_rd(rfc, 0); }

/* The rfc profile with RFC 1337 off, as Linux's default (tcp_rfc1337 0), so that a RST at
 * RCV.NXT ends TIME-WAIT under both. */
static void rfc_no1337(synack_config_t *c) {
  rfc(c);
  c->tcp_rfc1337 = false;
}

/* TIME-WAIT, the socket still held (after shutdown) or closed (the compact entry): a RST inside
 * the window but not at RCV.NXT. Linux drops it silently (tcp_timewait_state_process), RFC 5961
 * §3.2 (the rfc profile) sends a challenge ACK; both keep TIME-WAIT. A RST at RCV.NXT ends it. */
static void tw_rst(void (*profile)(synack_config_t *), bool linux, bool closed) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  if (closed) {
    CHECK_EQ_I(synack_close(fx->st, fx->now, s), 0);
    CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  }
  synack_time_t t = fx->now + MS(100);
  fx_inject(fx, t, FX_R, fx->pseq + 1000, 0);
  if (linux) fx_expect_none_until(fx, t + MS(300));
  else fx_expect(fx, FX_A, fx->sseq, fx->pseq, .t = t);
  if (closed) CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  else fx_check_sock_state(fx, s, SYNACK_TCP_TIME_WAIT);
  fx_inject(fx, t + MS(600), FX_R, fx->pseq, 0);
  fx_expect_none(fx);
  if (closed) CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  else fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  fx_free(fx);
}

static void tw_rst_linux(void) { tw_rst(linux_, true, false); }
static void tw_rst_linux_compact(void) { tw_rst(linux_, true, true); }
static void tw_rst_rfc(void) { tw_rst(rfc_no1337, false, false); }
static void tw_rst_rfc_compact(void) { tw_rst(rfc_no1337, false, true); }

/* A SYN+FIN at a listener: Linux drops it (tcp_rcv_state_process, LISTEN); the rfc profile
 * answers the SYN with a SYN-ACK (RFC 9293 §3.10.7.2) and holds a half-open entry. */
static void listen_synfin(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 8) >= 0);
  fx_inject(fx, MS(100), FX_S | FX_F, 0, 0);
  if (linux) fx_expect_none(fx);
  else fx_expect(fx, FX_SA, 0, 1, .t = MS(100));
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), (linux ? 0u : 1u));
  fx_free(fx);
}

static void listen_synfin_linux(void) { listen_synfin(linux_, true); }
static void listen_synfin_rfc(void) { listen_synfin(rfc, false); }

/* A SYN+FIN above RCV.NXT at a compact TIME-WAIT entry whose listener is still open: Linux hands
 * it to the listener, which drops it, and the entry is gone (the 4-tuple is free: an ACK now gets
 * the RST of no connection). The rfc profile reopens there (RFC 6191; tests/scripts
 * rcv-syn-fin-time-wait). */
static void tw_synfin_linux(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  CHECK_EQ_I(synack_close(fx->st, fx->now, s), 0);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  synack_time_t t = fx->now + MS(100);
  fx_inject(fx, t, FX_S | FX_F, fx->pseq + 1000, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 0);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  fx_inject(fx, t + MS(100), FX_A, fx->pseq + 100000, fx->sseq);
  fx_expect(fx, FX_R, fx->sseq, 0, .any_ack = true, .t = t + MS(100));
  fx_free(fx);
}

/* A newer SYN for a connection in TIME-WAIT whose socket is still held (after shutdown), the
 * listener open. Linux keeps TIME-WAIT in its mini-socket (the held socket is closed), which hands
 * the SYN to the listener: a SYN-ACK of a new incarnation (RFC 6191). RFC 5961 §4.2 (the rfc
 * profile) answers from the full TCB with a challenge ACK; the socket stays in TIME-WAIT. */
static void tw_socket_syn(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  synack_time_t t = fx->now + MS(100);
  fx_inject(fx, t, FX_S, fx->pseq + 1000, 0);
  if (linux) {
    fx_expect(fx, FX_SA, 0, fx->pseq + 1001, .t = t, .any_ack = false, .abs = false);
    fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
    CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 1);
  } else {
    fx_expect(fx, FX_A, fx->sseq, fx->pseq, .t = t);
    fx_check_sock_state(fx, s, SYNACK_TCP_TIME_WAIT);
    CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  }
  fx_free(fx);
}

static void tw_socket_syn_linux(void) { tw_socket_syn(linux_, true); }
static void tw_socket_syn_rfc(void) { tw_socket_syn(rfc, false); }

/* Old text or FIN ending exactly at RCV.NXT that acknowledges our FIN. Linux's tcp_sequence
 * accepts it (the segment's end, not its last octet, against RCV.NXT): LAST-ACK ends silently,
 * FIN-WAIT-1 moves to FIN-WAIT-2 and answers the old text with an immediate ACK. RFC 9293's
 * first check (the rfc profile) rejects it with an ACK and the state stays. */
static void end_at_rcv_nxt(void (*profile)(synack_config_t *), bool linux, synack_tcp_state_t state) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, state));
  synack_time_t t = fx->now + MS(10);
  if (state == SYNACK_TCP_LAST_ACK) /* the peer's FIN again, now acknowledging ours */
    fx_inject(fx, t, FX_FA, fx->pseq - 1, fx->sseq);
  else /* the last 10 bytes again (they were never sent: the check looks at numbers only) */
    fx_inject(fx, t, FX_PA, fx->pseq - 10, fx->sseq, .len = 10);
  if (linux && state == SYNACK_TCP_LAST_ACK) {
    fx_expect_none(fx);
    fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  } else {
    fx_expect(fx, FX_A, fx->sseq, fx->pseq, .t = t);
    fx_check_sock_state(fx, s, linux ? SYNACK_TCP_FIN_WAIT_2 : state);
  }
  fx_free(fx);
}

static void end_at_rcv_nxt_last_ack_linux(void) { end_at_rcv_nxt(linux_, true, SYNACK_TCP_LAST_ACK); }
static void end_at_rcv_nxt_last_ack_rfc(void) { end_at_rcv_nxt(rfc, false, SYNACK_TCP_LAST_ACK); }
static void end_at_rcv_nxt_fin_wait_1_linux(void) { end_at_rcv_nxt(linux_, true, SYNACK_TCP_FIN_WAIT_1); }
static void end_at_rcv_nxt_fin_wait_1_rfc(void) { end_at_rcv_nxt(rfc, false, SYNACK_TCP_FIN_WAIT_1); }

/* The peer's FIN retransmitted in LAST-ACK without acknowledging ours: acceptable for Linux (it
 * ends at RCV.NXT) and answered by an immediate duplicate ACK, as the rfc profile's first check
 * answers it; the state stays. */
static void fin_again_last_ack_linux(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, linux_);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_LAST_ACK));
  synack_time_t t = fx->now + MS(10);
  fx_inject(fx, t, FX_FA, fx->pseq - 1, fx->sseq - 1);
  fx_expect(fx, FX_A, fx->sseq, fx->pseq, .t = t);
  fx_check_sock_state(fx, s, SYNACK_TCP_LAST_ACK);
  fx_free(fx);
}

/* The crossing SYN-ACK of a simultaneous open (SEG.SEQ = IRS): Linux takes it as a segment
 * ending at RCV.NXT and answers with an immediate ACK; the rfc profile sends nothing. Both are
 * ESTABLISHED. */
static void simopen_crossing(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  REQUIRE(fx_syn_sent(fx) >= 0);
  fx_inject(fx, MS(100), FX_S, 0, 0, .opt = { .has = SYNACK_TCPOPT_HAS_MSS, .mss = 1000 });
  fx_expect(fx, FX_SA, 0, 1, .t = MS(100));
  fx_inject(fx, MS(200), FX_SA, 0, 1, .opt = { .has = SYNACK_TCPOPT_HAS_MSS, .mss = 1000 });
  if (linux) fx_expect(fx, FX_A, 1, 1, .t = MS(200));
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

static void simopen_crossing_linux(void) { simopen_crossing(linux_, true); }
static void simopen_crossing_rfc(void) { simopen_crossing(rfc, false); }

static void syn_retries_2(synack_config_t *c) { c->tcp_syn_retries = 2; }
static void linux_syn_retries_2(synack_config_t *c) {
  linux_(c);
  syn_retries_2(c);
}
static void rfc_syn_retries_2(synack_config_t *c) {
  rfc(c);
  syn_retries_2(c);
}

/* SYN-SENT without an answer, tcp_syn_retries 2. Linux (tcp_syn_linear_timeouts 4, then
 * doubling; given up after 1 + 2 + 4 s, tcp_model_timeout): SYNs at 1, 2, 3, 4, 5 s, ETIMEDOUT
 * at 7 s. RFC 6298 §5.5 (the rfc profile): SYNs at 1 and 3 s, given up when the third RTO
 * (4 s) expires at 7 s. */
static void syn_schedule(void (*profile)(synack_config_t *), const unsigned *at_s, size_t n) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  for (size_t i = 0; i < n; i++) fx_expect(fx, FX_S, 0, 0, .any_ack = true, .t = SYNACK_SEC(at_s[i]));
  fx_advance(fx, SYNACK_SEC(7) - 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  fx_advance(fx, SYNACK_SEC(7));
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  fx_free(fx);
}

static void syn_schedule_linux(void) {
  static const unsigned at[] = { 1, 2, 3, 4, 5 };
  syn_schedule(linux_syn_retries_2, at, sizeof at / sizeof at[0]);
}
static void syn_schedule_rfc(void) {
  static const unsigned at[] = { 1, 3 };
  syn_schedule(rfc_syn_retries_2, at, sizeof at / sizeof at[0]);
}

/* Our SYN-ACK lost, the client's SYN again at 0.5 s, answered at once by both. Linux re-arms the
 * timer with the same 1 s (inet_rtx_syn_ack): the next SYN-ACK at 1.5 s, then 3.5 s. The rfc
 * profile counts the answer as a retransmission (doubled backoff): next at 2.5 s. */
static void dup_syn(void (*profile)(synack_config_t *), synack_time_t next, synack_time_t after) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  fx_inject(fx, MS(500), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .t = MS(500));
  fx_expect(fx, FX_SA, 0, 1, .t = next);
  fx_expect(fx, FX_SA, 0, 1, .t = after);
  fx_free(fx);
}

static void dup_syn_linux(void) { dup_syn(linux_, MS(1500), MS(3500)); }
static void dup_syn_rfc(void) { dup_syn(rfc, MS(2500), MS(6500)); }

/* TCP_MAXSEG's accepted values: Linux's 0 (no limit) and 88 .. 32767 under cfg.tcp_api_linux,
 * synack's own 64 .. 65535 otherwise. */
static void maxseg_range(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_MAXSEG, 0), linux ? 0 : -SYNACK_EINVAL);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_MAXSEG, 87), linux ? -SYNACK_EINVAL : 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_MAXSEG, 64), linux ? -SYNACK_EINVAL : 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_MAXSEG, 32768), linux ? -SYNACK_EINVAL : 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_MAXSEG, 88), 0);
  int v = 0;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_MAXSEG, &v), 0);
  CHECK_EQ_I(v, 88);
  fx_free(fx);
}
static void maxseg_range_linux(void) { maxseg_range(linux_, true); }
static void maxseg_range_rfc(void) { maxseg_range(rfc, false); }

/* cfg.tcp_wnd_update_linux (tcp_may_update_window): a duplicate ACK (same SEG.SEQ, no new
 * data acknowledged) with a smaller nonzero window is ignored under linux; RFC 9293's rule
 * takes it. */
static void dup_ack_smaller_window(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1, .win = 300);
  uint32_t mss = fx_info(fx, s).snd_mss;
  fx_check_rc(fx_send(fx, s, 2 * mss, 0), (int)(2 * mss));
  fx_expect(fx, FX_A, 1, 1, .len = linux ? mss : 300);
  fx_free(fx);
}
static void dup_ack_smaller_window_linux(void) { dup_ack_smaller_window(linux_, true); }
static void dup_ack_smaller_window_rfc(void) { dup_ack_smaller_window(rfc, false); }

/* cfg.tcp_api_linux (tcp_ioctl): SIOCINQ / SIOCOUTQ / SIOCOUTQNSD of a listener are EINVAL. */
static void listener_queue_ioctls(void (*profile)(synack_config_t *), int want) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 4) >= 0);
  const synack_sockopt_t o[] = { SYNACK_SO_INQ, SYNACK_SO_OUTQ, SYNACK_SO_NOTSENT };
  for (size_t i = 0; i < 3; i++) {
    int v = -1;
    fx_check_rc(synack_getsockopt(fx->st, fx->listener, o[i], &v), want);
  }
  fx_free(fx);
}
static void listener_queue_ioctls_linux(void) { listener_queue_ioctls(linux_, -SYNACK_EINVAL); }
static void listener_queue_ioctls_rfc(void) { listener_queue_ioctls(rfc, 0); }

/* cfg.tcp_api_linux (do_tcp_setsockopt): TCP_KEEPIDLE / TCP_KEEPINTVL up to 32767 s and
 * TCP_KEEPCNT up to 127; synack's own limits are only the lower bound of 1. */
static void keepalive_ranges(void (*profile)(synack_config_t *), bool linux) {
  fx_t *fx = fx_new(SYNACK_AF_INET, profile);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, 32768), linux ? -SYNACK_EINVAL : 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPINTVL, 32768), linux ? -SYNACK_EINVAL : 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPCNT, 128), linux ? -SYNACK_EINVAL : 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, 32767), 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPCNT, 127), 0);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPCNT, 0), -SYNACK_EINVAL);
  fx_free(fx);
}
static void keepalive_ranges_linux(void) { keepalive_ranges(linux_, true); }
static void keepalive_ranges_rfc(void) { keepalive_ranges(rfc, false); }

TH_MAIN(TH_CASE(tw_rst_linux), TH_CASE(tw_rst_linux_compact), TH_CASE(tw_rst_rfc), TH_CASE(tw_rst_rfc_compact),
        TH_CASE(tw_socket_syn_linux), TH_CASE(tw_socket_syn_rfc), TH_CASE(listen_synfin_linux), TH_CASE(listen_synfin_rfc), TH_CASE(tw_synfin_linux),
        TH_CASE(end_at_rcv_nxt_last_ack_linux), TH_CASE(end_at_rcv_nxt_last_ack_rfc),
        TH_CASE(end_at_rcv_nxt_fin_wait_1_linux), TH_CASE(end_at_rcv_nxt_fin_wait_1_rfc), TH_CASE(fin_again_last_ack_linux),
        TH_CASE(simopen_crossing_linux), TH_CASE(simopen_crossing_rfc), TH_CASE(syn_schedule_linux), TH_CASE(syn_schedule_rfc),
        TH_CASE(dup_syn_linux), TH_CASE(dup_syn_rfc),
        TH_CASE(orphan_data_linux), TH_CASE(orphan_data_rfc), TH_CASE(shut_rd_linux), TH_CASE(shut_rd_rfc),
        TH_CASE(rst_at_fin_linux), TH_CASE(rst_at_fin_rfc), TH_CASE(rst_close_wait_linux), TH_CASE(rst_last_ack_linux), TH_CASE(rst_close_wait_rfc),
        TH_CASE(rst_simopen_linux), TH_CASE(rst_simopen_rfc), TH_CASE(sack_fin_linux), TH_CASE(sack_fin_rfc), TH_CASE(simopen_synack_linux), TH_CASE(simopen_synack_rfc), TH_CASE(halfopen_unacceptable),
        TH_CASE(halfopen_syn_in_window), TH_CASE(synack_text),
        TH_CASE(maxseg_range_linux), TH_CASE(maxseg_range_rfc),
        TH_CASE(dup_ack_smaller_window_linux), TH_CASE(dup_ack_smaller_window_rfc), TH_CASE(listener_queue_ioctls_linux),
        TH_CASE(listener_queue_ioctls_rfc), TH_CASE(keepalive_ranges_linux),
        TH_CASE(keepalive_ranges_rfc))
