/* The linux profile (synack_config_preset "linux") against what the Linux kernel does, each policy
 * beside the rfc profile's answer to the same segment (docs/linux-differences.md; every behaviour
 * here was seen on the wire with `synack drill --target=kernel`): the SYN-ACK of a simultaneous
 * open repeats every option of our SYN, SYN-RECEIVED answers an unacceptable segment with a plain
 * ACK, a SYN in the window of a half-open entry is reset, text and FIN on a SYN-ACK are
 * discarded. */
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

TH_MAIN(TH_CASE(simopen_synack_linux), TH_CASE(simopen_synack_rfc), TH_CASE(halfopen_unacceptable),
        TH_CASE(halfopen_syn_in_window), TH_CASE(synack_text))
