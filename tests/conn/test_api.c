/* The socket API's results: every errno the issue lists, SO_ERROR cleared on read, close with
 * unread data, SO_LINGER 0, abort, TCP_USER_TIMEOUT, peek, readiness. Issue 3, test 12. */
#include "harness.h"
#include "tcpfix.h"

static int sock_error(fx_t *fx, int s) {
  int v = 12345;
  CHECK(synack_getsockopt(fx->st, s, SYNACK_SO_ERROR, &v) == 0);
  return v;
}

/* Connect to a closed port: RST,ACK → ECONNREFUSED; SO_ERROR reports it once. */
static void econnrefused(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_RA, 0, 1);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_ERROR);
  CHECK_EQ_I(fx->everr[s], -SYNACK_ECONNREFUSED);
  CHECK_EQ_I(sock_error(fx, s), -SYNACK_ECONNREFUSED);
  CHECK_EQ_I(sock_error(fx, s), 0); /* cleared by the read */
  fx_free(fx);
}

/* Reset while established: ECONNRESET from recv (or SO_ERROR), EV_ERROR, state CLOSED. */
static void econnreset(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_RA, 1, 1);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  uint32_t ev = fx_events(fx, s);
  fx_check(ev & SYNACK_EV_ERROR);
  CHECK_EQ_I(fx->everr[s], -SYNACK_ECONNRESET);
  uint8_t b[8];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), -SYNACK_ECONNRESET);
  CHECK_EQ_I(sock_error(fx, s), 0); /* the error was reported by recv */
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_R, 1, 0);
  CHECK_EQ_I(sock_error(fx, s), -SYNACK_ECONNRESET);
  CHECK_EQ_I(sock_error(fx, s), 0);
  fx_free(fx);
}

/* EPIPE after SHUT_WR (and after the peer reset, a later send fails too). */
static void epipe(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_check_rc(fx_send(fx, s, 10, 0), -SYNACK_EPIPE);
  fx_expect_none(fx);
  fx_free(fx);
}

/* EADDRINUSE: two binds to one port; REUSEADDR lets a bind through while the port is only
 * held by a TIME-WAIT entry, never while a listener holds it. */
static void eaddrinuse(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, 7000);
  int a = synack_socket(fx->st, SYNACK_AF_INET), b = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_bind(fx->st, a, &ep), 0);
  fx_check_rc(synack_listen(fx->st, a, 4), 0);
  fx_check_rc(synack_bind(fx->st, b, &ep), -SYNACK_EADDRINUSE);
  CHECK(synack_setsockopt(fx->st, b, SYNACK_SO_REUSEADDR, 1) == 0);
  fx_check_rc(synack_bind(fx->st, b, &ep), -SYNACK_EADDRINUSE);
  fx_free(fx);

  /* port held only by TIME-WAIT */
  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  REQUIRE(fx_goto(fx, s, SYNACK_TCP_TIME_WAIT));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  CHECK(synack_close(fx->st, fx->now, fx->listener) == 0);
  fx_check_state(fx, SYNACK_TCP_TIME_WAIT);
  fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
  int c = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_bind(fx->st, c, &ep), -SYNACK_EADDRINUSE);
  int d = synack_socket(fx->st, SYNACK_AF_INET);
  CHECK(synack_setsockopt(fx->st, d, SYNACK_SO_REUSEADDR, 1) == 0);
  fx_check_rc(synack_bind(fx->st, d, &ep), 0);
  fx_check_rc(synack_listen(fx->st, d, 4), 0);
  fx_free(fx);
}

/* EADDRNOTAVAIL: binding an address that is not ours. (Port exhaustion: test_timewait.c.) */
static void eaddrnotavail(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t ep = { .ip = synack_ip4(198, 18, 0, 99), .port = 7001 };
  fx_check_rc(synack_bind(fx->st, s, &ep), -SYNACK_EADDRNOTAVAIL);
  fx_free(fx);
}

/* EAGAIN: recv without data, accept without a connection, send with a full buffer. */
static void small_sndbuf(synack_config_t *c) { c->tcp_sndbuf = 8192; }
static void eagain(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, small_sndbuf);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  uint8_t b[16];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), -SYNACK_EAGAIN);
  synack_endpoint_t rem;
  fx_check_rc(synack_accept(fx->st, fx->listener, &rem), -SYNACK_EAGAIN);
  int64_t total = 0, r;
  int rounds = 0;
  while ((r = fx_send(fx, s, 4096, (uint32_t)total)) > 0 && rounds++ < 1000) total += r;
  CHECK_EQ_I(r, -SYNACK_EAGAIN);
  CHECK(total >= 4096 && total <= 65536 * 4);
  fx_check((synack_poll(fx->st, s) & SYNACK_EV_WRITABLE) == 0);
  fx_flush_output(fx);
  fx_free(fx);
}

/* ENOTCONN: data calls on a socket that never connected. */
static void enotconn(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  uint8_t b[4] = { 0 };
  fx_check_rc(synack_send(fx->st, fx->now, s, b, sizeof b, 0), -SYNACK_ENOTCONN);
  fx_check_rc(synack_recv(fx->st, fx->now, s, b, sizeof b, 0), -SYNACK_ENOTCONN);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, SYNACK_SHUT_WR), -SYNACK_ENOTCONN);
  synack_endpoint_t ep;
  fx_check_rc(synack_getpeername(fx->st, s, &ep), -SYNACK_ENOTCONN);
  fx_expect_none(fx);
  fx_free(fx);
}

/* EINPROGRESS → EALREADY → (connected) EISCONN. */
static void connect_progression(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_syn_sent(fx); /* asserts EINPROGRESS */
  REQUIRE(s >= 0);
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EALREADY);
  fx_expect_none(fx); /* no second SYN */
  synack_endpoint_t early;
  fx_check_rc(synack_getpeername(fx->st, s, &early), -SYNACK_ENOTCONN); /* not connected yet (Linux, FreeBSD) */
  uint8_t b[4] = { 1, 2, 3, 4 };
  int64_t r = synack_send(fx->st, fx->now, s, b, sizeof b, 0);
  CHECK(r == -SYNACK_EAGAIN || r == -SYNACK_ENOTCONN || r == 4);
  fx_inject(fx, SYNACK_MS(10), FX_SA, 0, 1);
  fx_flush_output(fx);
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EISCONN);
  synack_endpoint_t peer;
  fx_check_rc(synack_getpeername(fx->st, s, &peer), 0);
  fx_check(synack_ip_equal(&peer.ip, &fx->peer_ip) && peer.port == FX_SERVICE_PORT);
  fx_free(fx);
}

/* EINVAL: listen on a connected socket, bind twice, bad shutdown mode, bad option values. */
static void einval(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  fx_check_rc(synack_listen(fx->st, s, 4), -SYNACK_EINVAL);
  fx_check_rc(synack_shutdown(fx->st, fx->now, s, 7), -SYNACK_EINVAL);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPCNT, 0), -SYNACK_EINVAL);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_KEEPIDLE, -5), -SYNACK_EINVAL);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_USER_TIMEOUT, -1), -SYNACK_EINVAL);
  int u = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, 7100);
  fx_check_rc(synack_bind(fx->st, u, &ep), 0);
  ep.port = 7101;
  fx_check_rc(synack_bind(fx->st, u, &ep), -SYNACK_EINVAL);
  int r = synack_setsockopt(fx->st, s, SYNACK_SO_ERROR, 1); /* get-only */
  CHECK(r == -SYNACK_EINVAL || r == -SYNACK_ENOPROTOOPT);
  fx_free(fx);
}

/* close() with unread data → RST (RFC 9293 §3.10.4, RFC 2525 2.17), connection gone at once. */
static void close_with_unread_data(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_inject(fx, SYNACK_MS(10), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(10), .within = SYNACK_MS(40));
  fx_advance(fx, SYNACK_MS(100));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK(d.tcp.flags & SYNACK_TCP_RST);
  CHECK((d.tcp.flags & SYNACK_TCP_FIN) == 0);
  CHECK_EQ_U(d.tcp.seq, fx->isn + 1);
  if (d.tcp.flags & SYNACK_TCP_ACK) CHECK_EQ_U(d.tcp.ack, fx->peer_isn + 11);
  free(f.buf);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_CLOSED);
  /* a later segment of the peer gets a RST (no connection) */
  fx_inject(fx, SYNACK_MS(200), FX_PA, 11, 1, .len = 5);
  fx_expect(fx, FX_R, 1, 0);
  fx_free(fx);
}

/* SO_LINGER 0 → close() is abortive: RST, no FIN, no TIME-WAIT. */
static void linger_zero(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_SO_LINGER, 0) == 0);
  fx_advance(fx, SYNACK_MS(50));
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK(d.tcp.flags & SYNACK_TCP_RST);
  CHECK((d.tcp.flags & SYNACK_TCP_FIN) == 0);
  CHECK_EQ_U(d.tcp.seq, fx->isn + 1);
  free(f.buf);
  fx_expect_none_until(fx, SYNACK_SEC(5));
  CHECK_EQ_U(synack_conn_table(fx->st, NULL, 0), 0);
  fx_free(fx);
}

/* SO_RCVTIMEO / SO_SNDTIMEO: kept in milliseconds for the application (synack never blocks),
 * negative refused, and copied to the connections a listener accepts, as Linux's sk_clone. */
static void timeouts_kept_and_inherited(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_syn_received(fx) >= 0);
  int l = fx->listener, v = -7;
  CHECK_EQ_I(synack_getsockopt(fx->st, l, SYNACK_SO_RCVTIMEO, &v), 0);
  CHECK_EQ_I(v, 0); /* default: wait for ever */
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_SO_RCVTIMEO, 250), 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_SO_SNDTIMEO, 1500), 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_SO_SNDTIMEO, -1), -SYNACK_EINVAL);
  fx_inject(fx, fx->now, FX_A, 1, 1);
  fx_expect_none(fx);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_RCVTIMEO, &v), 0);
  CHECK_EQ_I(v, 250);
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_SO_SNDTIMEO, &v), 0);
  CHECK_EQ_I(v, 1500);
  /* nothing on the wire, and a read still answers at once */
  uint8_t b[4];
  fx_check_rc(fx_recv(fx, s, b, sizeof b), -SYNACK_EAGAIN);
  fx_expect_none_until(fx, fx->now + SYNACK_SEC(2));
  fx_free(fx);
}

/* abort → RST; in SYN-SENT no RST (not synchronized). */
static void abort_sends_rst(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100);
  CHECK(synack_abort(fx->st, fx->now, s) == 0);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  CHECK(d.tcp.flags & SYNACK_TCP_RST);
  CHECK_EQ_U(d.tcp.seq, fx->isn + 101);
  free(f.buf);
  fx_expect_none_until(fx, SYNACK_SEC(10));
  fx_free(fx);

  fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  s = fx_syn_sent(fx);
  REQUIRE(s >= 0);
  CHECK(synack_abort(fx->st, fx->now, s) == 0);
  fx_expect_none_until(fx, SYNACK_SEC(10));
  CHECK_EQ_U(synack_conn_table(fx->st, NULL, 0), 0);
  fx_free(fx);
}

/* TCP_USER_TIMEOUT: unacknowledged data older than the limit ends the connection (ETIMEDOUT). */
static void user_timeout(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  CHECK(synack_setsockopt(fx->st, s, SYNACK_TCP_USER_TIMEOUT, 5000) == 0);
  int v = 0;
  CHECK(synack_getsockopt(fx->st, s, SYNACK_TCP_USER_TIMEOUT, &v) == 0);
  CHECK_EQ_I(v, 5000);
  fx_advance(fx, SYNACK_SEC(1));
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_advance(fx, SYNACK_SEC(1) + SYNACK_MS(4900));
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_advance(fx, SYNACK_SEC(1) + SYNACK_MS(7000));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  /* every retransmission had the same sequence number */
  fx_frame_t f;
  synack_dissect_t d;
  while (fx_pop_tcp(fx, &f, &d)) {
    CHECK_EQ_U(d.tcp.seq, fx->isn + 1);
    free(f.buf);
  }
  fx_free(fx);
}

/* Without a user timeout, the data retransmissions give up after tcp_retries2 with ETIMEDOUT. */
static void retries2(synack_config_t *c) { c->tcp_retries2 = 4; }
static void data_retransmission_gives_up(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, retries2);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_advance(fx, SYNACK_SEC(600));
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  CHECK_EQ_I(fx_last_error(fx, s), -SYNACK_ETIMEDOUT);
  unsigned data_segs = 0;
  fx_frame_t f;
  synack_dissect_t d;
  while (fx_pop_tcp(fx, &f, &d)) {
    data_segs += d.tcp.payload_len == 100;
    free(f.buf);
  }
  CHECK_EQ_U(data_segs, 1 + 4);
  fx_free(fx);
}

/* recv with MSG_PEEK leaves the data; readiness follows. */
static void peek_and_readiness(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = fx_open_passive(fx);
  REQUIRE(s >= 0);
  fx_check((synack_poll(fx->st, s) & SYNACK_EV_READABLE) == 0);
  fx_check(synack_poll(fx->st, s) & SYNACK_EV_WRITABLE);
  fx_inject(fx, SYNACK_MS(10), FX_PA, 1, 1, .len = 30);
  fx_check(synack_poll(fx->st, s) & SYNACK_EV_READABLE);
  fx_check(fx_events(fx, s) & SYNACK_EV_READABLE);
  int inq = 0;
  CHECK(synack_getsockopt(fx->st, s, SYNACK_SO_INQ, &inq) == 0);
  CHECK_EQ_I(inq, 30);
  uint8_t a[64], b[64];
  fx_check_rc(synack_recv(fx->st, fx->now, s, a, sizeof a, SYNACK_MSG_PEEK), 30);
  fx_check_rc(synack_recv(fx->st, fx->now, s, b, 10, 0), 10);
  CHECK_MEM(a, b, 10);
  fx_check_rc(synack_recv(fx->st, fx->now, s, b, sizeof b, 0), 20);
  CHECK_MEM(a + 10, b, 20);
  fx_check((synack_poll(fx->st, s) & SYNACK_EV_READABLE) == 0);
  fx_free(fx);
}

/* Handles and close results: a closed handle is invalid afterwards. */
static void closed_handle_invalid(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  CHECK(synack_close(fx->st, fx->now, s) == 0);
  uint8_t b[4];
  int64_t r = synack_send(fx->st, fx->now, s, b, sizeof b, 0);
  CHECK(r == -SYNACK_EBADF || r == -SYNACK_EINVAL);
  fx_free(fx);
}

TH_MAIN(TH_CASE(econnrefused), TH_CASE(econnreset), TH_CASE(epipe), TH_CASE(eaddrinuse), TH_CASE(eaddrnotavail),
        TH_CASE(eagain), TH_CASE(enotconn), TH_CASE(connect_progression), TH_CASE(einval),
        TH_CASE(close_with_unread_data), TH_CASE(linger_zero), TH_CASE(abort_sends_rst), TH_CASE(user_timeout),
        TH_CASE(data_retransmission_gives_up), TH_CASE(peek_and_readiness), TH_CASE(closed_handle_invalid),
        TH_CASE(timeouts_kept_and_inherited))
