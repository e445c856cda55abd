/* The linux profile (synack_config_preset "linux") against what the Linux kernel does, each policy
 * beside the rfc profile's answer to the same segment (docs/linux-differences.md; every behaviour
 * here was seen on the wire with `synack drill --target=kernel`): the SYN-ACK of a simultaneous
 * open repeats every option of our SYN, SYN-RECEIVED answers an unacceptable segment with a plain
 * ACK, a SYN in the window of a half-open entry is reset, text and FIN on a SYN-ACK are
 * discarded, a SACK block ending at an out-of-order FIN covers the FIN, the errors a RST leaves
 * (and read() giving the end of file first), a RST at the peer's FIN, the RST answering data for
 * a closed socket, data still read after shutdown(SHUT_RD). */
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

TH_MAIN(TH_CASE(orphan_data_linux), TH_CASE(orphan_data_rfc), TH_CASE(shut_rd_linux), TH_CASE(shut_rd_rfc),
        TH_CASE(rst_at_fin_linux), TH_CASE(rst_at_fin_rfc), TH_CASE(rst_close_wait_linux), TH_CASE(rst_last_ack_linux), TH_CASE(rst_close_wait_rfc),
        TH_CASE(rst_simopen_linux), TH_CASE(rst_simopen_rfc), TH_CASE(sack_fin_linux), TH_CASE(sack_fin_rfc), TH_CASE(simopen_synack_linux), TH_CASE(simopen_synack_rfc), TH_CASE(halfopen_unacceptable),
        TH_CASE(halfopen_syn_in_window), TH_CASE(synack_text))
