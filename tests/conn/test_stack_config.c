/* synack_stack_set_config (src/core/stack_config.c): a running stack's settings change as a
 * kernel's do on a sysctl write. Refused changes leave everything as it was; switches read per
 * segment reach existing connections; defaults copied at creation apply to new sockets only;
 * keepalive times follow the default unless the socket set its own. */
#include "harness.h"
#include "tcpfix.h"

#define MS SYNACK_MS

static void refuses_fixed_and_invalid(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  synack_config_t c = *synack_stack_config(fx->st);
  c.mtu = 9000;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), -SYNACK_EINVAL);
  c = *synack_stack_config(fx->st);
  c.max_sockets = 7;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), -SYNACK_EINVAL);
  c = *synack_stack_config(fx->st);
  c.seed ^= 1;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), -SYNACK_EINVAL);
  c = *synack_stack_config(fx->st);
  c.insecure_deterministic = !c.insecure_deterministic;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), -SYNACK_EINVAL);
  c = *synack_stack_config(fx->st);
  c.tcp_rto_min_ms = 5000;
  c.tcp_rto_max_ms = 1000;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), -SYNACK_EINVAL);
  c = *synack_stack_config(fx->st);
  c.tcp_ecn = (synack_ecn_mode_t)3;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), -SYNACK_EINVAL);
  CHECK_EQ_I(synack_stack_set_config(fx->st, NULL), -SYNACK_EINVAL);
  CHECK_EQ_I(synack_stack_set_config(NULL, &c), -SYNACK_EINVAL);
  /* nothing changed */
  CHECK_EQ_U(synack_stack_config(fx->st)->mtu, fx->cfg.mtu);
  CHECK_EQ_U(synack_stack_config(fx->st)->tcp_rto_min_ms, fx->cfg.tcp_rto_min_ms);
  CHECK_EQ_I(synack_stack_config(fx->st)->tcp_ecn, fx->cfg.tcp_ecn);
  /* a config naming no allocator keeps the stack's */
  c = *synack_stack_config(fx->st);
  c.allocator.alloc = NULL;
  c.allocator.free = NULL;
  c.tcp_delack_ms = 77;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), 0);
  CHECK_EQ_U(synack_stack_config(fx->st)->tcp_delack_ms, 77);
  CHECK(synack_stack_config(fx->st)->allocator.alloc != NULL);
  fx_free(fx);
}

/* RFC 5961 §3.2 switched off on a running stack: the established connection follows at once. */
static void rfc5961_switch_reaches_connection(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, MS(100), FX_R, 100, 0);
  fx_expect(fx, FX_A, 1, 1, .t = MS(100)); /* challenge ACK */
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_config_t c = *synack_stack_config(fx->st);
  c.tcp_rfc5961_rst = false;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), 0);
  fx_inject(fx, MS(200), FX_R, 100, 0);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ECONNRESET);
  fx_free(fx);
}

/* A new default receive buffer applies to sockets created afterwards only. */
static void new_defaults_for_new_sockets(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int a = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(a >= 0);
  synack_config_t c = *synack_stack_config(fx->st);
  c.tcp_rcvbuf = 100000;
  CHECK_EQ_I(synack_stack_set_config(fx->st, &c), 0);
  int b = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(b >= 0);
  int va = 0, vb = 0;
  CHECK_EQ_I(synack_getsockopt(fx->st, a, SYNACK_SO_RCVBUF, &va), 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, b, SYNACK_SO_RCVBUF, &vb), 0);
  CHECK_EQ_I(va, (int)fx->cfg.tcp_rcvbuf);
  CHECK_EQ_I(vb, 100000);
  fx_free(fx);
}

/* The keepalive idle time changed on the running stack: a connection following the default
 * probes at last-received + the new time; one with its own TCP_KEEPIDLE keeps it. */
static void keepalive_default_reaches_connection(void) {
  for (int own = 0; own < 2; own++) {
    fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
    REQUIRE(fx);
    int s = fx_open_passive(fx);
    REQUIRE(s >= 0);
    CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_SO_KEEPALIVE, 1), 0);
    if (own) CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, 100), 0);
    synack_time_t last = fx->now; /* the handshake's ACK was the last segment received */
    fx_advance(fx, fx->now + SYNACK_SEC(1));
    synack_config_t c = *synack_stack_config(fx->st);
    c.tcp_keepalive_idle_s = 10;
    CHECK_EQ_I(synack_stack_set_config(fx->st, &c), 0);
    int v = 0;
    CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, &v), 0);
    CHECK_EQ_I(v, own ? 100 : 10);
    synack_time_t at = last + SYNACK_SEC(own ? 100 : 10);
    fx_expect_none_until(fx, at - 1);
    fx_expect(fx, FX_A, 0, 1, .t = at); /* the probe: one below SND.NXT */
    fx_free(fx);
  }
}

TH_MAIN(TH_CASE(refuses_fixed_and_invalid), TH_CASE(rfc5961_switch_reaches_connection),
        TH_CASE(new_defaults_for_new_sockets), TH_CASE(keepalive_default_reaches_connection))
