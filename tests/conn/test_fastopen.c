/* TCP Fast Open (RFC 7413), src/core/tcp_fastopen.c: the client's cookie request, cache and
 * data on the SYN (MSG_FASTOPEN, TCP_FASTOPEN_CONNECT), its fallback when the data is not
 * acknowledged; the server's cookie, data accepted with a valid cookie, ignored with an
 * invalid one, the fast open queue limit, the experimental option form and no-cookie mode. */
#include "harness.h"
#include "tcp_internal.h"
#include "tcpfix.h"

#define SYN_LAYOUT "mss,sackOK,TS,nop,wscale"
#define HAS_FO SYNACK_TCPOPT_HAS_FASTOPEN

static const uint8_t COOKIE[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

static uint64_t ctr(fx_t *fx, synack_counter_t c) { return synack_stack_counters(fx->st)->events[c]; }

/* The stack's internal consistency (tcp_invariants.c): queues, counts, sequence variables. */
static bool consistent(fx_t *fx) {
  char why[256];
  bool ok = synack_tcp_check_invariants(fx->st, why, sizeof why);
  if (!ok) fprintf(stderr, "invariant: %s\n", why);
  return ok;
}

static void client_cfg(synack_config_t *c) { c->tcp_fastopen = SYNACK_TFO_CLIENT; }
static void server_cfg(synack_config_t *c) { c->tcp_fastopen = SYNACK_TFO_CLIENT | SYNACK_TFO_SERVER; }

/* A fresh client socket; fx's flow follows it (local port learned after the call). */
static int client_socket(fx_t *fx, synack_endpoint_t *rem) {
  int s = synack_socket(fx->st, fx->family);
  fx_endpoint(fx, rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  return s;
}

static void learn_port(fx_t *fx, int s) {
  synack_endpoint_t me;
  if (synack_getsockname(fx->st, s, &me) == 0) fx->lport = me.port;
}

/* Client: a connection that asks for a cookie and gets COOKIE, then established. */
static int get_cookie(fx_t *fx) {
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  if (s < 0) return -1;
  int64_t rc = synack_sendto(fx->st, fx->now, s, "x", 1, SYNACK_MSG_FASTOPEN, &rem);
  learn_port(fx, s);
  fx_check_rc(rc, -SYNACK_EINPROGRESS);
  /* RFC 7413 §4.1.3: an empty option asks for a cookie; the data waits (Linux: EINPROGRESS). */
  fx_expect(fx, FX_S, 0, 0, .len = 0, .layout = SYN_LAYOUT ",FO,nop,nop", .opt = { .has = HAS_FO, .fo_len = 0 });
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 1,
            .opt = { .has = SYNACK_TCPOPT_HAS_MSS | HAS_FO, .mss = 1460, .fo_len = 8, .fo = COOKIE });
  fx_expect(fx, FX_A, 1, 1, .layout = "");
  return s;
}

static void client_cookie_request(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, client_cfg);
  REQUIRE(fx);
  int s = get_cookie(fx);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  synack_tcp_info_t i = fx_info(fx, s);
  CHECK_EQ_U(i.fastopen_client_fail, SYNACK_TFO_FAIL_COOKIE_UNAVAILABLE);
  CHECK_EQ_U(i.options & SYNACK_TCPI_OPT_SYN_DATA, 0);
  /* The second connection to the same address puts its data on the SYN with the cookie. */
  synack_endpoint_t rem;
  int s2 = client_socket(fx, &rem);
  REQUIRE(s2 >= 0);
  fx_check_rc(synack_sendto(fx->st, fx->now, s2, NULL, 0, 0, &rem), -SYNACK_ENOTCONN);
  int64_t n = synack_sendto(fx->st, fx->now, s2, NULL, 100, SYNACK_MSG_FASTOPEN, &rem);
  fx_check_rc(n, -SYNACK_EFAULT);
  uint8_t data[100];
  for (uint32_t k = 0; k < sizeof data; k++) data[k] = fx_pattern(k);
  s2 = client_socket(fx, &rem);
  fx_check_rc(synack_sendto(fx->st, fx->now, s2, data, sizeof data, SYNACK_MSG_FASTOPEN, &rem), 100);
  learn_port(fx, s2);
  fx_check(consistent(fx));
  fx_expect(fx, FX_S, 0, 0, .len = 100, .layout = SYN_LAYOUT ",FO,nop,nop",
            .opt = { .has = HAS_FO, .fo_len = 8, .fo = COOKIE });
  fx_check_rc(synack_connect(fx->st, fx->now, s2, &rem), -SYNACK_EALREADY);
  /* The SYN-ACK acknowledges SYN and data: one ACK, nothing sent again. */
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 101);
  fx_expect(fx, FX_A, 101, 1, .len = 0);
  fx_expect_none_until(fx, fx->now + SYNACK_SEC(3));
  i = fx_info(fx, s2);
  CHECK_EQ_U(i.options & SYNACK_TCPI_OPT_SYN_DATA, SYNACK_TCPI_OPT_SYN_DATA);
  CHECK_EQ_U(i.fastopen_client_fail, 0);
  CHECK_EQ_U(i.bytes_acked, 100);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_ACTIVE), 1);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_ACTIVE_FAIL), 0);
  fx_free(fx);
}

/* RFC 7413 §4.2.2: the server did not take the data: it goes again at once, with the ACK. */
static void client_fallback_data_not_acked(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, client_cfg);
  REQUIRE(fx);
  REQUIRE(get_cookie(fx) >= 0);
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  fx_check_rc(synack_sendto(fx->st, fx->now, s, (const uint8_t[]){ fx_pattern(0), fx_pattern(1), fx_pattern(2) }, 3,
                            SYNACK_MSG_FASTOPEN, &rem), 3);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .len = 3, .opt = { .has = HAS_FO, .fo_len = 8, .fo = COOKIE });
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 1);
  fx_expect(fx, FX_PA, 1, 1, .len = 3, .t = fx->now);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(fx_info(fx, s).fastopen_client_fail, SYNACK_TFO_FAIL_DATA_NOT_ACKED);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_ACTIVE_FAIL), 1);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_A, 1, 4);
  CHECK_EQ_U(fx_info(fx, s).bytes_acked, 3);
  fx_free(fx);
}

/* A retransmitted SYN carries neither the data nor the option (as Linux); the data follows
 * the handshake. */
static void client_syn_retransmission_drops_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, client_cfg);
  REQUIRE(fx);
  REQUIRE(get_cookie(fx) >= 0);
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  synack_time_t t0 = fx->now;
  fx_check_rc(synack_sendto(fx->st, fx->now, s, NULL, 0, SYNACK_MSG_FASTOPEN, &rem), -SYNACK_EINPROGRESS);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .len = 0, .opt = { .has = HAS_FO, .fo_len = 8, .fo = COOKIE });
  fx_check_rc(synack_send(fx->st, fx->now, s, "abc", 3, 0), -SYNACK_EAGAIN);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, client_cfg);
  REQUIRE(fx);
  REQUIRE(get_cookie(fx) >= 0);
  s = client_socket(fx, &rem);
  t0 = fx->now;
  uint8_t d[5];
  for (uint32_t k = 0; k < 5; k++) d[k] = fx_pattern(k);
  fx_check_rc(synack_sendto(fx->st, fx->now, s, d, 5, SYNACK_MSG_FASTOPEN, &rem), 5);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .len = 5, .layout = SYN_LAYOUT ",FO,nop,nop");
  fx_expect(fx, FX_S, 0, 0, .len = 0, .layout = SYN_LAYOUT, .t = t0 + SYNACK_SEC(1));
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 1);
  fx_expect(fx, FX_PA, 1, 1, .len = 5);
  CHECK_EQ_U(fx_info(fx, s).fastopen_client_fail, SYNACK_TFO_FAIL_SYN_RETRANSMITTED);
  fx_free(fx);
}

/* TCP_FASTOPEN_CONNECT: without a cookie connect() sends a cookie request; with one it returns
 * 0 at once and the first send() goes on the SYN (at most one SYN's worth). */
static void client_fastopen_connect(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, client_cfg);
  REQUIRE(fx);
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_FASTOPEN_CONNECT, 1), 0);
  int v = 0;
  fx_check_rc(synack_getsockopt(fx->st, s, SYNACK_TCP_FASTOPEN_CONNECT, &v), 0);
  CHECK_EQ_U(v, 1);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .len = 0, .opt = { .has = HAS_FO, .fo_len = 0 });
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 1,
            .opt = { .has = SYNACK_TCPOPT_HAS_MSS | HAS_FO, .mss = 1000, .fo_len = 8, .fo = COOKIE });
  fx_expect(fx, FX_A, 1, 1);
  s = client_socket(fx, &rem);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_FASTOPEN_CONNECT, 1), 0);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), 0);
  learn_port(fx, s);
  fx_expect_none(fx);
  /* Writable at once: the first write makes the SYN (Linux's poll says so too). */
  fx_check(fx_events(fx, s) & SYNACK_EV_WRITABLE);
  fx_check(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EISCONN);
  /* The cached MSS 1000 less 40 bytes of option space bounds the SYN's data. */
  fx_check_rc(fx_send(fx, s, 2000, 0), 960);
  fx_expect(fx, FX_S, 0, 0, .len = 960, .opt = { .has = HAS_FO, .fo_len = 8, .fo = COOKIE });
  fx_check_rc(fx_send(fx, s, 10, 960), -SYNACK_EAGAIN);
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 961);
  fx_expect(fx, FX_A, 961, 1);
  fx_check_rc(fx_send(fx, s, 10, 960), 10);
  fx_expect(fx, FX_PA, 961, 1, .len = 10);
  fx_free(fx);
}

static void client_disabled(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->cfg.tcp_fastopen = 0;
  synack_stack_set_config(fx->st, &fx->cfg);
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  fx_check_rc(synack_sendto(fx->st, fx->now, s, "x", 1, SYNACK_MSG_FASTOPEN, &rem), -SYNACK_EOPNOTSUPP);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_FASTOPEN_CONNECT, 1), -SYNACK_EOPNOTSUPP);
  fx_expect_none(fx);
  fx_free(fx);
}

/* ---------- server ---------- */

/* The peer's SYN with len bytes and an 8-byte cookie. */
#define fo_syn(fx, t, len_, cookie) fx_inject((fx), (t), FX_S, 0, 0, .len = (len_), \
    .opt = { .has = SYNACK_TCPOPT_HAS_MSS | HAS_FO, .mss = 1460, .fo_len = 8, .fo = (cookie) })

static int tfo_listener(fx_t *fx, int qlen) {
  int l = synack_socket(fx->st, fx->family);
  if (l < 0 || synack_setsockopt(fx->st, l, SYNACK_TCP_FASTOPEN, qlen) != 0) return -1;
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
  memset(&ep.ip, 0, sizeof ep.ip);
  if (synack_bind(fx->st, l, &ep) != 0 || synack_listen(fx->st, l, 16) != 0) return -1;
  fx->listener = l;
  fx->lport = FX_LOCAL_PORT;
  fx->rport = FX_PEER_PORT;
  return l;
}

/* The server's cookie for the peer's address: asked for with an empty option. */
static bool server_cookie(fx_t *fx, uint8_t out[8]) {
  fx_inject(fx, fx->now, FX_S, 0, 0, .opt = { .has = SYNACK_TCPOPT_HAS_MSS | HAS_FO, .mss = 1460, .fo_len = 0 });
  fx_frame_t f;
  synack_dissect_t d;
  if (!fx_pop_tcp(fx, &f, &d)) return false;
  bool ok = d.tcp.flags == FX_SA && d.tcp.ack == fx->peer_isn + 1 && (d.tcp.opts.present & HAS_FO) &&
            d.tcp.opts.fo_len == 8 && d.tcp.opts.layout_len >= 2 && d.tcp.opts.layout[1] == SYNACK_TCPOPT_FASTOPEN;
  memcpy(out, d.tcp.opts.fo_cookie, 8);
  free(f.buf);
  /* The half-open entry goes (RST at RCV.NXT) so that later flows are alone on the wire. */
  fx->isn = d.tcp.seq;
  fx_inject(fx, fx->now, FX_R, 1, 0);
  return ok;
}

/* A server stack whose listener (queue length qlen) gave the peer its cookie c; the flow under
 * test moves to the peer's next port. */
static fx_t *server_setup(int qlen, int *l, uint8_t c[8]) {
  fx_t *fx = fx_new(SYNACK_AF_INET, server_cfg);
  if (!fx) return NULL;
  *l = tfo_listener(fx, qlen);
  if (*l < 0 || !server_cookie(fx, c)) {
    fx_free(fx);
    return NULL;
  }
  fx->rport = FX_PEER_PORT + 1;
  return fx;
}

static void server_cookie_request(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, server_cfg);
  REQUIRE(fx);
  REQUIRE(tfo_listener(fx, 5) >= 0);
  uint8_t c1[8], c2[8];
  fx_check(server_cookie(fx, c1));
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_COOKIE_REQD), 1);
  /* The same client address gets the same cookie on another port (a MAC of the address). */
  fx->rport = FX_PEER_PORT + 1;
  fx_check(server_cookie(fx, c2));
  CHECK_MEM(c1, c2, 8);
  /* With Linux's key the cookie is Linux's: SipHash-2-4 of source and destination address. */
  fx->cfg.tcp_fastopen_key_set = true;
  memset(fx->cfg.tcp_fastopen_key, 0, 16);
  synack_stack_set_config(fx->st, &fx->cfg);
  fx->rport = FX_PEER_PORT + 2;
  fx_check(server_cookie(fx, c2));
  fx_check(memcmp(c1, c2, 8) != 0);
  fx_free(fx);
}

static void server_valid_cookie_data(void) {
  int l;
  uint8_t c[8];
  fx_t *fx = server_setup(5, &l, c);
  REQUIRE(fx);
  /* RFC 7413 §4.2.2: valid cookie: the SYN-ACK acknowledges the data and carries no cookie. */
  fo_syn(fx, SYNACK_MS(100), 10, c);
  fx_expect(fx, FX_SA, 0, 11, .t = SYNACK_MS(100), .layout = "mss");
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_PASSIVE), 1);
  /* The connection is acceptable at once, in SYN-RECEIVED, its data readable. */
  fx_check(fx_events(fx, l) & SYNACK_EV_READABLE);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_RECEIVED);
  fx_check(consistent(fx));
  fx_check((fx_events(fx, s) & (SYNACK_EV_READABLE | SYNACK_EV_WRITABLE)) == (SYNACK_EV_READABLE | SYNACK_EV_WRITABLE));
  fx_check(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE);
  uint8_t buf[32];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 10);
  for (uint32_t k = 0; k < 10; k++) CHECK_EQ_U(buf[k], fx_pattern(k));
  /* It may answer before the handshake completes. */
  fx_check_rc(fx_send(fx, s, 5, 0), 5);
  fx_expect(fx, FX_PA, 1, 11, .len = 5);
  fx_inject(fx, SYNACK_MS(110), FX_A, 11, 6);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_check(fx_events(fx, s) & SYNACK_EV_CONNECTED);
  fx_check(consistent(fx));
  fx_expect_none_until(fx, SYNACK_SEC(3));
  CHECK_EQ_U(fx_info(fx, s).bytes_acked, 5);
  fx_free(fx);
}

/* The SYN-ACK of a fast open child is retransmitted by its timer, data acknowledged again. */
static void server_child_synack_retransmitted(void) {
  int l;
  uint8_t c[8];
  fx_t *fx = server_setup(5, &l, c);
  REQUIRE(fx);
  fo_syn(fx, SYNACK_MS(100), 4, c);
  fx_expect(fx, FX_SA, 0, 5, .t = SYNACK_MS(100));
  fx_expect(fx, FX_SA, 0, 5, .t = SYNACK_MS(1100));
  /* The client's SYN again (our SYN-ACK lost): answered with the SYN-ACK. */
  fo_syn(fx, SYNACK_MS(1500), 4, c);
  fx_expect(fx, FX_SA, 0, 5, .t = SYNACK_MS(1500));
  fx_inject(fx, SYNACK_MS(1600), FX_A, 5, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* RFC 7413 §4.2.2: an invalid cookie: the data is ignored, the SYN-ACK acknowledges the ISN
 * only and carries a valid cookie. */
static void server_invalid_cookie(void) {
  int l;
  uint8_t c[8];
  fx_t *fx = server_setup(5, &l, c);
  REQUIRE(fx);
  fo_syn(fx, SYNACK_MS(100), 10, COOKIE);
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss,FO,nop,nop", .opt = { .has = HAS_FO, .fo_len = 8, .fo = c });
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_PASSIVE_FAIL), 1);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_PASSIVE), 0);
  fx_check_rc(synack_accept(fx->st, l, NULL), -SYNACK_EAGAIN);
  fx_inject(fx, SYNACK_MS(110), FX_A, 1, 1);
  int s = synack_accept(fx->st, l, NULL);
  REQUIRE(s >= 0);
  uint8_t buf[16];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), -SYNACK_EAGAIN);
  /* The client sends the data again; now it is new. */
  fx_inject(fx, SYNACK_MS(110), FX_PA, 1, 1, .len = 10);
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 10);
  fx_free(fx);
}

/* RFC 7413 §5.1: TCP_FASTOPEN bounds the children still in SYN-RECEIVED; beyond it an
 * ordinary handshake (no cookie, data ignored), counted as a listen overflow. */
static void server_queue_limit(void) {
  int l;
  uint8_t c[8];
  fx_t *fx = server_setup(1, &l, c);
  REQUIRE(fx);
  fo_syn(fx, SYNACK_MS(100), 10, c);
  fx_expect(fx, FX_SA, 0, 11);
  uint32_t isn1 = fx->isn;
  fx->rport = FX_PEER_PORT + 2;
  fo_syn(fx, SYNACK_MS(100), 10, c);
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss");
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_LISTEN_OVERFLOW), 1);
  /* The first child completes its handshake: the queue has room again. */
  fx->rport = FX_PEER_PORT + 1;
  fx->isn = isn1;
  fx_inject(fx, SYNACK_MS(110), FX_A, 11, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx->rport = FX_PEER_PORT + 3;
  fo_syn(fx, SYNACK_MS(120), 10, c);
  fx_expect(fx, FX_SA, 0, 11);
  /* A child reset in SYN-RECEIVED leaves the queue too; accepted, it reports ECONNRESET. */
  REQUIRE(synack_accept(fx->st, l, NULL) >= 0); /* the first child */
  int a = synack_accept(fx->st, l, NULL);
  REQUIRE(a >= 0);
  fx_check_sock_state(fx, a, SYNACK_TCP_SYN_RECEIVED);
  fx_events(fx, a);
  fx_inject(fx, SYNACK_MS(130), FX_R, 11, 0);
  fx_check(fx_events(fx, a) & SYNACK_EV_ERROR);
  fx_check_rc(fx_last_error(fx, a), -SYNACK_ECONNRESET);
  fx_check(consistent(fx));
  fx->rport = FX_PEER_PORT + 4;
  fo_syn(fx, SYNACK_MS(140), 10, c);
  fx_expect(fx, FX_SA, 0, 11);
  CHECK_EQ_U(ctr(fx, SYNACK_CTR_TCP_FASTOPEN_PASSIVE), 3);
  fx_free(fx);
}

/* The experimental form (kind 254, magic 0xF989) is answered in kind, and a client set to it
 * sends it. */
static void experimental_option(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, server_cfg);
  REQUIRE(fx);
  REQUIRE(tfo_listener(fx, 5) >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0,
            .opt = { .has = SYNACK_TCPOPT_HAS_MSS | HAS_FO, .mss = 1460, .fo_len = 0, .fo_exp = true });
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss,FOEXP", .opt = { .has = HAS_FO | SYNACK_TCPOPT_HAS_FASTOPEN_EXP, .fo_len = 8 });
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, client_cfg);
  REQUIRE(fx);
  fx->cfg.tcp_fastopen_exp = true;
  synack_stack_set_config(fx->st, &fx->cfg);
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  fx_check_rc(synack_sendto(fx->st, fx->now, s, "x", 1, SYNACK_MSG_FASTOPEN, &rem), -SYNACK_EINPROGRESS);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .layout = SYN_LAYOUT ",FOEXP", .opt = { .has = HAS_FO | SYNACK_TCPOPT_HAS_FASTOPEN_EXP });
  fx_free(fx);
}

/* Linux's 0x200 / 0x4: data on the SYN without any cookie. */
static void no_cookie_modes(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->cfg.tcp_fastopen = SYNACK_TFO_SERVER | SYNACK_TFO_SERVER_NO_COOKIE | SYNACK_TFO_SERVER_ALL;
  synack_stack_set_config(fx->st, &fx->cfg);
  int l = fx_listen(fx, 4); /* 0x400: no TCP_FASTOPEN needed */
  REQUIRE(l >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0, .len = 7);
  fx_expect(fx, FX_SA, 0, 8, .layout = "mss");
  int s = synack_accept(fx->st, l, NULL);
  REQUIRE(s >= 0);
  uint8_t buf[8];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 7);
  fx_free(fx);
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->cfg.tcp_fastopen = SYNACK_TFO_CLIENT | SYNACK_TFO_CLIENT_NO_COOKIE;
  synack_stack_set_config(fx->st, &fx->cfg);
  synack_endpoint_t rem;
  s = client_socket(fx, &rem);
  fx_check_rc(synack_sendto(fx->st, fx->now, s, (const uint8_t[]){ fx_pattern(0), fx_pattern(1) }, 2,
                            SYNACK_MSG_FASTOPEN, &rem), 2);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .len = 2, .layout = SYN_LAYOUT);
  fx_free(fx);
}

/* The client cache holds cfg.tcp_fastopen_cache_bytes / 48 destinations, the least recently
 * used replaced. */
static void one_entry(synack_config_t *c) {
  c->tcp_fastopen = SYNACK_TFO_CLIENT;
  c->tcp_fastopen_cache_bytes = 48;
}
static void client_cache_bounded(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_entry);
  REQUIRE(fx);
  REQUIRE(get_cookie(fx) >= 0);
  /* A second destination takes the only entry. */
  synack_ip_t keep = fx->peer_ip;
  fx->peer_ip = synack_ip4(198, 18, 0, 3);
  REQUIRE(get_cookie(fx) >= 0);
  fx->peer_ip = keep;
  synack_endpoint_t rem;
  int s = client_socket(fx, &rem);
  fx_check_rc(synack_sendto(fx->st, fx->now, s, "x", 1, SYNACK_MSG_FASTOPEN, &rem), -SYNACK_EINPROGRESS);
  learn_port(fx, s);
  fx_expect(fx, FX_S, 0, 0, .len = 0, .opt = { .has = HAS_FO, .fo_len = 0 });
  fx_free(fx);
}

TH_MAIN(TH_CASE(client_cookie_request), TH_CASE(client_fallback_data_not_acked),
        TH_CASE(client_syn_retransmission_drops_data), TH_CASE(client_fastopen_connect), TH_CASE(client_disabled),
        TH_CASE(server_cookie_request), TH_CASE(server_valid_cookie_data), TH_CASE(server_child_synack_retransmitted),
        TH_CASE(server_invalid_cookie), TH_CASE(server_queue_limit), TH_CASE(experimental_option),
        TH_CASE(no_cookie_modes), TH_CASE(client_cache_bounded))
