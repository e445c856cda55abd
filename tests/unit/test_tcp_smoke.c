/* End-to-end smoke tests of the TCP module: two stacks joined by a perfect bare-IP wire.
 * (The connection tests in tests/conn assert exact segments; these check the whole life.) */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"

typedef struct {
  synack_stack_t *a, *b;
  synack_time_t now;
  uint64_t frames;
} pair_t;

static void cfg_for(synack_config_t *c, int fam, int which) {
  synack_config_default(c);
  c->link = SYNACK_LINK_IP;
  synack_config_deterministic(c, 100u + (uint64_t)which);
  if (fam == SYNACK_AF_INET) {
    c->ip4 = synack_ip4(10, 0, 0, (uint8_t)(1 + which));
  } else {
    synack_ip_parse(which ? "fd00::2" : "fd00::1", &c->ip6);
    c->ip6_link_local = false;
  }
}

static bool pair_init(pair_t *p, int fam, void (*hook)(synack_config_t *, int)) {
  memset(p, 0, sizeof *p);
  synack_config_t ca, cb;
  cfg_for(&ca, fam, 0);
  cfg_for(&cb, fam, 1);
  if (hook) { hook(&ca, 0); hook(&cb, 1); }
  p->a = synack_stack_new(&ca, 0);
  p->b = synack_stack_new(&cb, 0);
  return p->a && p->b;
}

static void pair_free(pair_t *p) {
  synack_stack_free(p->a);
  synack_stack_free(p->b);
}

/* Moves frames both ways until quiet (zero delay). */
static void shuttle(pair_t *p) {
  for (int round = 0; round < 100000; round++) {
    bool moved = false;
    synack_frame_t f;
    uint8_t buf[2048];
    while (synack_stack_poll_tx(p->a, p->now, &f)) {
      size_t n = f.len < sizeof buf ? f.len : sizeof buf;
      memcpy(buf, f.data, n);
      synack_stack_input(p->b, p->now, buf, n, 0);
      moved = true; p->frames++;
    }
    while (synack_stack_poll_tx(p->b, p->now, &f)) {
      size_t n = f.len < sizeof buf ? f.len : sizeof buf;
      memcpy(buf, f.data, n);
      synack_stack_input(p->a, p->now, buf, n, 0);
      moved = true; p->frames++;
    }
    if (!moved) return;
  }
}

/* Runs timers and traffic up to t, 1 ms per step of link delay-free traffic. */
static void run_until(pair_t *p, synack_time_t t) {
  for (;;) {
    shuttle(p);
    synack_time_t da = synack_stack_next_deadline(p->a), db = synack_stack_next_deadline(p->b);
    synack_time_t d = da < db ? da : db;
    if (d > t) break;
    if (d > p->now) p->now = d;
    synack_stack_handle_timers(p->a, p->now);
    synack_stack_handle_timers(p->b, p->now);
  }
  if (t > p->now) p->now = t;
}

static synack_tcp_state_t sstate(synack_stack_t *st, int s) {
  synack_tcp_info_t i;
  return synack_tcp_info(st, s, &i) == 0 ? i.state : SYNACK_TCP_CLOSED;
}

static void full_life(int fam) {
  pair_t p;
  REQUIRE(pair_init(&p, fam, NULL));
  size_t mem_a0 = synack_stack_memory(p.a), mem_b0 = synack_stack_memory(p.b);
  int ls = synack_socket(p.b, fam);
  synack_endpoint_t any = { .port = 8080 };
  CHECK_EQ_I(synack_bind(p.b, ls, &any), 0);
  CHECK_EQ_I(synack_listen(p.b, ls, 16), 0);
  int cs = synack_socket(p.a, fam);
  synack_endpoint_t srv = { .port = 8080 };
  srv.ip = fam == SYNACK_AF_INET ? synack_stack_config(p.b)->ip4 : synack_stack_config(p.b)->ip6;
  CHECK_EQ_I(synack_connect(p.a, p.now, cs, &srv), -SYNACK_EINPROGRESS);
  CHECK_EQ_I(synack_connect(p.a, p.now, cs, &srv), -SYNACK_EALREADY);
  run_until(&p, SYNACK_MS(1));
  CHECK_EQ_U(sstate(p.a, cs), SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_I(synack_connect(p.a, p.now, cs, &srv), -SYNACK_EISCONN);
  synack_event_t ev;
  bool connected = false;
  while (synack_stack_next_event(p.a, &ev)) if (ev.sock == cs && (ev.events & SYNACK_EV_CONNECTED)) connected = true;
  CHECK(connected);
  synack_endpoint_t peer;
  int ss = synack_accept(p.b, ls, &peer);
  REQUIRE(ss >= 0);
  CHECK_EQ_I(synack_accept(p.b, ls, &peer), -SYNACK_EAGAIN);

  /* An idle established connection arms no timer. */
  run_until(&p, SYNACK_SEC(1));
  CHECK_EQ_U(synack_stack_next_deadline(p.a), SYNACK_TIME_NEVER);
  CHECK_EQ_U(synack_stack_next_deadline(p.b), SYNACK_TIME_NEVER);

  /* 300 KB each way, in order. */
  static uint8_t out[300000], in[300000];
  for (size_t i = 0; i < sizeof out; i++) out[i] = (uint8_t)(i * 7 + (i >> 9));
  size_t sent_a = 0, got_b = 0, sent_b = 0, got_a = 0;
  for (int it = 0; it < 100000 && (got_a < sizeof out || got_b < sizeof out); it++) {
    if (sent_a < sizeof out) {
      int64_t n = synack_send(p.a, p.now, cs, out + sent_a, sizeof out - sent_a, 0);
      if (n > 0) sent_a += (size_t)n;
    }
    if (sent_b < sizeof out) {
      int64_t n = synack_send(p.b, p.now, ss, out + sent_b, sizeof out - sent_b, 0);
      if (n > 0) sent_b += (size_t)n;
    }
    run_until(&p, p.now + SYNACK_MS(1));
    int64_t n;
    while ((n = synack_recv(p.b, p.now, ss, in + got_b, sizeof in - got_b, 0)) > 0) got_b += (size_t)n;
    CHECK(got_b == sizeof in || n == -SYNACK_EAGAIN || n == 0);
    CHECK_MEM(in, out, got_b);
    static uint8_t in2[300000];
    while ((n = synack_recv(p.a, p.now, cs, in2 + got_a, sizeof in2 - got_a, 0)) > 0) got_a += (size_t)n;
    CHECK_MEM(in2, out, got_a);
  }
  CHECK_EQ_U(got_a, sizeof out);
  CHECK_EQ_U(got_b, sizeof out);

  /* Client half-closes first: FIN-WAIT-2; the server reads EOF, still sends, then closes;
   * the client reads the byte and EOF, sits in TIME-WAIT and closes its handle. */
  CHECK_EQ_I(synack_shutdown(p.a, p.now, cs, SYNACK_SHUT_WR), 0);
  CHECK_EQ_I(synack_send(p.a, p.now, cs, "y", 1, 0), -SYNACK_EPIPE);
  run_until(&p, p.now + SYNACK_MS(50)); /* the server's ACK of our FIN is delayed */
  CHECK_EQ_U(sstate(p.a, cs), SYNACK_TCP_FIN_WAIT_2);
  uint8_t tmp[16];
  CHECK_EQ_I(synack_recv(p.b, p.now, ss, tmp, sizeof tmp, 0), 0);
  CHECK_EQ_U(sstate(p.b, ss), SYNACK_TCP_CLOSE_WAIT);
  CHECK_EQ_I(synack_send(p.b, p.now, ss, "x", 1, 0), 1); /* half-close: still allowed */
  CHECK_EQ_I(synack_close(p.b, p.now, ss), 0);
  CHECK_EQ_I(synack_close(p.b, p.now, ls), 0);
  run_until(&p, p.now + SYNACK_MS(100));
  CHECK_EQ_U(sstate(p.a, cs), SYNACK_TCP_TIME_WAIT);
  CHECK_EQ_I(synack_recv(p.a, p.now, cs, tmp, sizeof tmp, 0), 1);
  CHECK_EQ_I(synack_recv(p.a, p.now, cs, tmp, sizeof tmp, 0), 0);
  CHECK_EQ_I(synack_close(p.a, p.now, cs), 0);
  synack_conn_entry_t e[8];
  CHECK_EQ_U(synack_conn_table(p.b, e, 8), 0);
  size_t na = synack_conn_table(p.a, e, 8);
  CHECK_EQ_U(na, 1);
  CHECK(na == 1 && e[0].kind == SYNACK_CONN_TIMEWAIT && e[0].state == SYNACK_TCP_TIME_WAIT);
  run_until(&p, p.now + SYNACK_SEC(61));
  CHECK_EQ_U(synack_conn_table(p.a, e, 8), 0);
  CHECK_EQ_U(synack_stack_next_deadline(p.a), SYNACK_TIME_NEVER);
  CHECK_EQ_U(synack_stack_next_deadline(p.b), SYNACK_TIME_NEVER);
  /* Everything TCP allocated for the connection is back, apart from the rings cached for the
   * next connection (bufcache.c), which are reported separately. */
  CHECK(synack_stack_memory_cached(p.a) > 0);
  CHECK(synack_stack_memory(p.a) - synack_stack_memory_cached(p.a) <= mem_a0 + 4096);
  CHECK(synack_stack_memory(p.b) - synack_stack_memory_cached(p.b) <= mem_b0 + 4096);
  pair_free(&p);
}

static void full_life_ipv4(void) { full_life(SYNACK_AF_INET); }
static void full_life_ipv6(void) { full_life(SYNACK_AF_INET6); }

static void refused_and_errors(void) {
  pair_t p;
  REQUIRE(pair_init(&p, SYNACK_AF_INET, NULL));
  int cs = synack_socket(p.a, SYNACK_AF_INET);
  synack_endpoint_t srv = { .ip = synack_ip4(10, 0, 0, 2), .port = 9 };
  CHECK_EQ_I(synack_connect(p.a, p.now, cs, &srv), -SYNACK_EINPROGRESS);
  run_until(&p, SYNACK_MS(1));
  CHECK_EQ_U(sstate(p.a, cs), SYNACK_TCP_CLOSED);
  int err = 0;
  synack_event_t ev;
  while (synack_stack_next_event(p.a, &ev)) if (ev.events & SYNACK_EV_ERROR) err = ev.error;
  CHECK_EQ_I(err, -SYNACK_ECONNREFUSED);
  int v = 1;
  CHECK_EQ_I(synack_getsockopt(p.a, cs, SYNACK_SO_ERROR, &v), 0);
  CHECK_EQ_I(v, -SYNACK_ECONNREFUSED);
  CHECK_EQ_I(synack_getsockopt(p.a, cs, SYNACK_SO_ERROR, &v), 0);
  CHECK_EQ_I(v, 0); /* cleared by reading */
  CHECK_EQ_I(synack_send(p.a, p.now, cs, "x", 1, 0), -SYNACK_ENOTCONN);
  CHECK_EQ_I(synack_close(p.a, p.now, cs), 0);
  CHECK_EQ_I(synack_close(p.a, p.now, cs), -SYNACK_EBADF);
  pair_free(&p);
}

static void one_port(synack_config_t *c, int which) {
  if (which == 0) c->tcp_port_lo = c->tcp_port_hi = 40000;
}

static void port_exhaustion(void) {
  pair_t p;
  REQUIRE(pair_init(&p, SYNACK_AF_INET, one_port));
  int ls = synack_socket(p.b, SYNACK_AF_INET);
  synack_endpoint_t any = { .port = 80 };
  CHECK_EQ_I(synack_bind(p.b, ls, &any), 0);
  CHECK_EQ_I(synack_listen(p.b, ls, 4), 0);
  synack_endpoint_t srv = { .ip = synack_ip4(10, 0, 0, 2), .port = 80 };
  int c1 = synack_socket(p.a, SYNACK_AF_INET), c2 = synack_socket(p.a, SYNACK_AF_INET);
  CHECK_EQ_I(synack_connect(p.a, p.now, c1, &srv), -SYNACK_EINPROGRESS);
  CHECK_EQ_I(synack_connect(p.a, p.now, c2, &srv), -SYNACK_EADDRNOTAVAIL);
  synack_endpoint_t me;
  CHECK_EQ_I(synack_getsockname(p.a, c1, &me), 0);
  CHECK_EQ_U(me.port, 40000);
  /* Another destination port may reuse the same local port. */
  synack_endpoint_t srv2 = { .ip = synack_ip4(10, 0, 0, 2), .port = 81 };
  CHECK_EQ_I(synack_connect(p.a, p.now, c2, &srv2), -SYNACK_EINPROGRESS);
  pair_free(&p);
}

static void bind_conflicts(void) {
  pair_t p;
  REQUIRE(pair_init(&p, SYNACK_AF_INET, NULL));
  int s1 = synack_socket(p.b, SYNACK_AF_INET), s2 = synack_socket(p.b, SYNACK_AF_INET);
  synack_endpoint_t any = { .port = 80 };
  CHECK_EQ_I(synack_bind(p.b, s1, &any), 0);
  CHECK_EQ_I(synack_bind(p.b, s2, &any), -SYNACK_EADDRINUSE);
  synack_endpoint_t other = { .ip = synack_ip4(10, 9, 9, 9), .port = 81 };
  CHECK_EQ_I(synack_bind(p.b, s2, &other), -SYNACK_EADDRNOTAVAIL);
  CHECK_EQ_I(synack_setsockopt(p.b, s1, SYNACK_SO_REUSEADDR, 1), 0);
  CHECK_EQ_I(synack_setsockopt(p.b, s2, SYNACK_SO_REUSEADDR, 1), 0);
  CHECK_EQ_I(synack_bind(p.b, s2, &any), 0);
  CHECK_EQ_I(synack_listen(p.b, s1, 1), 0);
  CHECK_EQ_I(synack_listen(p.b, s2, 1), -SYNACK_EADDRINUSE);
  CHECK_EQ_I(synack_socket(p.b, 5), -SYNACK_EAFNOSUPPORT);
  pair_free(&p);
}

static void many_connections_demux(void) {
  /* 600 connections through one listener: the hash grows; all of them exchange data. */
  pair_t p;
  REQUIRE(pair_init(&p, SYNACK_AF_INET, NULL));
  int ls = synack_socket(p.b, SYNACK_AF_INET);
  synack_endpoint_t any = { .port = 80 };
  CHECK_EQ_I(synack_bind(p.b, ls, &any), 0);
  CHECK_EQ_I(synack_listen(p.b, ls, 1000), 0);
  synack_endpoint_t srv = { .ip = synack_ip4(10, 0, 0, 2), .port = 80 };
  enum { N = 600 };
  static int cs[N], ss[N];
  for (int i = 0; i < N; i++) {
    cs[i] = synack_socket(p.a, SYNACK_AF_INET);
    REQUIRE(cs[i] >= 0);
    CHECK_EQ_I(synack_connect(p.a, p.now, cs[i], &srv), -SYNACK_EINPROGRESS);
    if (i % 50 == 49) run_until(&p, p.now + SYNACK_MS(1));
  }
  run_until(&p, p.now + SYNACK_MS(1));
  for (int i = 0; i < N; i++) {
    ss[i] = synack_accept(p.b, ls, NULL);
    REQUIRE(ss[i] >= 0);
  }
  CHECK(p.b->tcp->nbuckets >= 256);
  for (int i = 0; i < N; i++) CHECK_EQ_I(synack_send(p.a, p.now, cs[i], &i, sizeof i, 0), (int)sizeof i);
  run_until(&p, p.now + SYNACK_MS(100));
  int bad = 0;
  for (int i = 0; i < N; i++) {
    synack_endpoint_t peer, me;
    synack_getpeername(p.b, ss[i], &peer);
    int v = -1;
    if (synack_recv(p.b, p.now, ss[i], &v, sizeof v, 0) != (int64_t)sizeof v) { bad++; continue; }
    /* the value identifies the client socket whose local port is the server's peer port */
    synack_getsockname(p.a, cs[v], &me);
    if (me.port != peer.port) bad++;
  }
  CHECK_EQ_I(bad, 0);
  pair_free(&p);
}

TH_MAIN(TH_CASE(full_life_ipv4), TH_CASE(full_life_ipv6), TH_CASE(refused_and_errors), TH_CASE(port_exhaustion),
        TH_CASE(bind_conflicts), TH_CASE(many_connections_demux))
