/* src/core/udp_sock.c: UDP sockets on a bare-IP link. The test plays the peer 198.18.0.2 /
 * fd00:5ac::2 and asserts the datagrams on the wire byte for byte (ports, length, checksum) and
 * the API's return values and errors. */
#include "harness.h"
#include "synack/synack.h"

typedef struct {
  synack_stack_t *st;
  synack_time_t now;
  synack_ip_t me4, me6, peer4, peer6;
  uint8_t out[2048];
  size_t out_len;
} ufx_t;

static ufx_t F;

static void ufx_cfg(synack_config_t *c) {
  synack_config_default(c);
  c->link = SYNACK_LINK_IP;
  c->ip4 = synack_ip4(198, 18, 0, 1);
  c->ip4_prefix = 24;
  synack_ip_parse("fd00:5ac::1", &c->ip6);
  c->ip6_link_local = false;
  synack_config_deterministic(c, 7);
}

static bool ufx_new_cfg(const synack_config_t *c) {
  memset(&F, 0, sizeof F);
  F.now = SYNACK_SEC(1);
  F.st = synack_stack_new(c, F.now);
  F.me4 = synack_ip4(198, 18, 0, 1);
  F.peer4 = synack_ip4(198, 18, 0, 2);
  synack_ip_parse("fd00:5ac::1", &F.me6);
  synack_ip_parse("fd00:5ac::2", &F.peer6);
  return F.st != NULL;
}

static bool ufx_new(void) {
  synack_config_t c;
  ufx_cfg(&c);
  return ufx_new_cfg(&c);
}

static void ufx_free(void) { synack_stack_free(F.st); }

static uint64_t drops(synack_drop_reason_t r) { return synack_stack_counters(F.st)->drops[r]; }
static uint64_t ctr(synack_counter_t c) { return synack_stack_counters(F.st)->events[c]; }

static synack_endpoint_t ep(synack_ip_t ip, uint16_t port) {
  synack_endpoint_t e;
  memset(&e, 0, sizeof e);
  e.ip = ip;
  e.port = port;
  return e;
}

static synack_endpoint_t any(int family, uint16_t port) {
  synack_endpoint_t e;
  memset(&e, 0, sizeof e);
  e.ip.family = (uint8_t)family;
  e.port = port;
  return e;
}

/* An IP packet carrying a UDP datagram from src:sport to dst:dport (correct checksums). */
static size_t build(const synack_ip_t *src, uint16_t sport, const synack_ip_t *dst, uint16_t dport, const void *data,
                    size_t len, uint8_t *buf, size_t cap) {
  size_t l3 = src->family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  synack_udp_repr_t u = { .src_port = sport, .dst_port = dport, .payload = data, .payload_len = len };
  size_t n = synack_udp_emit(&u, src, dst, buf + l3, cap - l3);
  if (!n) return 0;
  if (src->family == SYNACK_AF_INET6) {
    synack_ip6_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = *src;
    h.dst = *dst;
    h.hop_limit = 64;
    h.proto = SYNACK_IPPROTO_UDP;
    synack_ip6_emit(&h, n, buf, l3);
  } else {
    synack_ip4_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = *src;
    h.dst = *dst;
    h.ttl = 64;
    h.proto = SYNACK_IPPROTO_UDP;
    h.id = 1;
    synack_ip4_emit(&h, n, buf, l3);
  }
  return l3 + n;
}

static void inject(const uint8_t *pkt, size_t len) {
  F.now += SYNACK_MS(1);
  synack_stack_input(F.st, F.now, pkt, len, 0);
}

static void inject_udp(const synack_ip_t *src, uint16_t sport, const synack_ip_t *dst, uint16_t dport, const char *text) {
  uint8_t pkt[1600];
  size_t n = build(src, sport, dst, dport, text, strlen(text), pkt, sizeof pkt);
  inject(pkt, n);
}

/* Takes the next frame the stack sends; false when none. */
static bool pop(synack_dissect_t *d) {
  synack_frame_t f;
  if (!synack_stack_poll_tx(F.st, F.now, &f)) return false;
  memcpy(F.out, f.data, f.len);
  F.out_len = f.len;
  return synack_dissect(F.out, F.out_len, false, d) == SYNACK_DROP_NONE;
}

static uint32_t events(int sock) {
  uint32_t bits = 0;
  synack_event_t ev;
  while (synack_stack_next_event(F.st, &ev))
    if (ev.sock == sock) bits |= ev.events;
  return bits;
}

/* ---------- cases ---------- */

/* The datagram on the wire is exactly Linux's for the same addresses, ports and payload
 * (tests/unit/test_udp.c's captures), IPv4 and IPv6. */
static void sendto_wire_matches_linux(void) {
  static const uint8_t udp4[] = { 0xe1, 0xa3, 0x00, 0x09, 0x00, 0x0d, 0x4e, 0x2d, 0x68, 0x65, 0x6c, 0x6c, 0x6f };
  static const uint8_t udp6[] = { 0x97, 0xd3, 0x00, 0x09, 0x00, 0x0d, 0x1e, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f };
  REQUIRE(ufx_new());
  int s4 = synack_udp_socket(F.st, SYNACK_AF_INET);
  int s6 = synack_udp_socket(F.st, SYNACK_AF_INET6);
  REQUIRE(s4 >= 0 && s6 >= 0 && s4 != s6);
  synack_endpoint_t b4 = any(SYNACK_AF_INET, 57763), b6 = any(SYNACK_AF_INET6, 38867);
  CHECK_EQ_I(synack_udp_bind(F.st, s4, &b4), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, s6, &b6), 0);
  synack_endpoint_t to4 = ep(F.peer4, 9), to6 = ep(F.peer6, 9);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s4, "hello", 5, 0, &to4), 5);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  CHECK(d.ip_version == 4 && d.has_udp);
  CHECK(synack_ip_equal(&d.src, &F.me4) && synack_ip_equal(&d.dst, &F.peer4));
  CHECK_EQ_U(F.out_len, 20 + sizeof udp4);
  CHECK_MEM(F.out + 20, udp4, sizeof udp4);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s6, "hello", 5, 0, &to6), 5);
  REQUIRE(pop(&d));
  CHECK(d.ip_version == 6 && d.has_udp);
  CHECK_EQ_U(d.ip6.proto, SYNACK_IPPROTO_UDP);
  CHECK_EQ_U(F.out_len, 40 + sizeof udp6);
  CHECK_MEM(F.out + 40, udp6, sizeof udp6);
  CHECK(!pop(&d));
  CHECK_EQ_U(ctr(SYNACK_CTR_UDP_DGRAMS_OUT), 2);
  ufx_free();
}

/* A checksum that computes to zero goes out as 0xffff (RFC 768). Source port 0x1234 toward
 * port P chosen so that the sum is 0: found by search, then the wire is checked. */
static void computed_zero_checksum_sent_as_ffff(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t b = any(SYNACK_AF_INET, 0x1234);
  REQUIRE(synack_udp_bind(F.st, s, &b) == 0);
  bool found = false;
  for (uint32_t p = 1; p < 65536 && !found; p++) {
    uint8_t probe[64];
    synack_udp_repr_t u = { .src_port = 0x1234, .dst_port = (uint16_t)p, .payload = (const uint8_t *)"x", .payload_len = 1 };
    size_t n = synack_udp_emit(&u, &F.me4, &F.peer4, probe, sizeof probe);
    REQUIRE(n == 9);
    if (probe[6] != 0xff || probe[7] != 0xff) continue;
    found = true;
    synack_endpoint_t to = ep(F.peer4, (uint16_t)p);
    CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "x", 1, 0, &to), 1);
    synack_dissect_t d;
    REQUIRE(pop(&d));
    CHECK_EQ_U(F.out[20 + 6], 0xff);
    CHECK_EQ_U(F.out[20 + 7], 0xff);
  }
  CHECK(found);
  ufx_free();
}

static void bind_receive_recvfrom(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  CHECK(events(s) & SYNACK_EV_WRITABLE);
  synack_endpoint_t b = any(SYNACK_AF_INET, 5353);
  CHECK_EQ_I(synack_udp_bind(F.st, s, &b), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, s, &b), -SYNACK_EINVAL); /* bound already */
  uint8_t buf[64];
  synack_endpoint_t from;
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, &from), -SYNACK_EAGAIN);
  inject_udp(&F.peer4, 40000, &F.me4, 5353, "first");
  inject_udp(&F.peer4, 40001, &F.me4, 5353, "second!");
  CHECK_EQ_U(events(s), SYNACK_EV_READABLE);
  CHECK_EQ_U(synack_udp_poll(F.st, s), SYNACK_EV_READABLE | SYNACK_EV_WRITABLE);
  CHECK_EQ_U(synack_poll(F.st, s), SYNACK_EV_READABLE | SYNACK_EV_WRITABLE);
  int inq = -1;
  CHECK_EQ_I(synack_udp_getsockopt(F.st, s, SYNACK_SO_INQ, &inq), 0);
  CHECK_EQ_I(inq, 5);
  /* Datagram boundaries are kept; PEEK leaves it; a short buffer truncates (MSG_TRUNC tells). */
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, 3, SYNACK_MSG_PEEK, &from), 3);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, &from), 5);
  CHECK_MEM(buf, "first", 5);
  CHECK(synack_ip_equal(&from.ip, &F.peer4));
  CHECK_EQ_U(from.port, 40000);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, 2, SYNACK_MSG_TRUNC, &from), 7);
  CHECK_MEM(buf, "se", 2);
  CHECK_EQ_U(from.port, 40001);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  CHECK_EQ_U(synack_udp_poll(F.st, s), SYNACK_EV_WRITABLE);
  CHECK_EQ_U(ctr(SYNACK_CTR_UDP_DGRAMS_IN), 2);
  synack_dissect_t d;
  CHECK(!pop(&d)); /* no port unreachable for a port with a socket */
  CHECK_EQ_U(drops(SYNACK_DROP_UDP_NO_SOCKET), 0);
  ufx_free();
}

/* A port without a socket: ICMP port unreachable quoting the datagram (RFC 1122 §4.1.3.1). */
static void no_socket_port_unreachable(void) {
  REQUIRE(ufx_new());
  inject_udp(&F.peer4, 40000, &F.me4, 5353, "x");
  synack_dissect_t d;
  REQUIRE(pop(&d));
  CHECK(d.has_icmp);
  CHECK_EQ_U(d.icmp.type, SYNACK_ICMP4_DEST_UNREACH);
  CHECK_EQ_U(d.icmp.code, SYNACK_ICMP4_PORT_UNREACH);
  CHECK_EQ_U(drops(SYNACK_DROP_UDP_NO_SOCKET), 1);
  /* Once closed, the port is unreachable again; the handle is free. */
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t b = any(SYNACK_AF_INET, 5353);
  REQUIRE(synack_udp_bind(F.st, s, &b) == 0);
  inject_udp(&F.peer4, 40000, &F.me4, 5353, "x");
  CHECK(!pop(&d));
  CHECK_EQ_I(synack_close(F.st, F.now, s), 0);
  CHECK(!synack_udp_is_socket(F.st, s));
  CHECK_EQ_I(synack_udp_close(F.st, s), -SYNACK_EBADF);
  inject_udp(&F.peer4, 40000, &F.me4, 5353, "x");
  REQUIRE(pop(&d));
  CHECK(d.has_icmp);
  ufx_free();
}

/* Ports picked for unbound sockets are in the ephemeral range, differ, and are what the wire
 * shows; handles are shared with TCP without collision. */
static void autobind_ephemeral(void) {
  REQUIRE(ufx_new());
  int t = synack_socket(F.st, SYNACK_AF_INET);
  int a = synack_udp_socket(F.st, SYNACK_AF_INET);
  int b = synack_udp_socket(F.st, SYNACK_AF_INET);
  int t2 = synack_socket(F.st, SYNACK_AF_INET);
  REQUIRE(t >= 0 && a >= 0 && b >= 0 && t2 >= 0);
  CHECK(t != a && a != b && t2 != a && t2 != b && t2 != t);
  CHECK(!synack_udp_is_socket(F.st, t) && synack_udp_is_socket(F.st, a));
  synack_endpoint_t to = ep(F.peer4, 53);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, a, "q", 1, 0, &to), 1);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, b, "q", 1, 0, &to), 1);
  synack_endpoint_t na, nb;
  CHECK_EQ_I(synack_udp_getsockname(F.st, a, &na), 0);
  CHECK_EQ_I(synack_udp_getsockname(F.st, b, &nb), 0);
  const synack_config_t *c = synack_stack_config(F.st);
  CHECK(na.port >= c->tcp_port_lo && na.port <= c->tcp_port_hi);
  CHECK(nb.port >= c->tcp_port_lo && nb.port <= c->tcp_port_hi);
  CHECK(na.port != nb.port);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  CHECK_EQ_U(d.udp.src_port, na.port);
  CHECK_EQ_U(d.udp.dst_port, 53);
  CHECK_EQ_U(d.udp.length, 9);
  REQUIRE(pop(&d));
  CHECK_EQ_U(d.udp.src_port, nb.port);
  /* The TCP calls refuse a UDP handle (a datagram socket cannot listen or accept: EOPNOTSUPP,
   * as Linux and FreeBSD say); the UDP calls a TCP handle. */
  CHECK_EQ_I(synack_listen(F.st, a, 1), -SYNACK_EOPNOTSUPP);
  CHECK_EQ_I(synack_accept(F.st, a, NULL), -SYNACK_EOPNOTSUPP);
  CHECK_EQ_I(synack_connect(F.st, 0, a, &to), -SYNACK_EBADF);
  CHECK_EQ_I(synack_udp_bind(F.st, t, &to), -SYNACK_EBADF);
  ufx_free();
}

/* connect() filters the peer, gives send() its address, and ICMP port unreachable becomes
 * ECONNREFUSED once (Linux); an unconnected socket hears nothing. */
static void connect_filters_and_icmp_refused(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  int u = synack_udp_socket(F.st, SYNACK_AF_INET);
  uint8_t buf[64];
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "x", 1, 0, NULL), -SYNACK_EDESTADDRREQ);
  synack_endpoint_t peer = ep(F.peer4, 53), pn;
  CHECK_EQ_I(synack_udp_getpeername(F.st, s, &pn), -SYNACK_ENOTCONN);
  CHECK_EQ_I(synack_udp_connect(F.st, s, &peer), 0);
  CHECK_EQ_I(synack_udp_getpeername(F.st, s, &pn), 0);
  CHECK(synack_ip_equal(&pn.ip, &F.peer4) && pn.port == 53);
  synack_endpoint_t me;
  REQUIRE(synack_udp_getsockname(F.st, s, &me) == 0);
  CHECK(me.port != 0);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "query", 5, 0, NULL), 5);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  uint8_t sent[64];
  size_t sent_len = F.out_len;
  memcpy(sent, F.out, sent_len);
  CHECK_EQ_U(d.udp.src_port, me.port);
  CHECK_EQ_U(d.udp.dst_port, 53);
  /* From another port of the peer: not for the connected socket; no other socket: ICMP. */
  inject_udp(&F.peer4, 54, &F.me4, me.port, "other");
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  REQUIRE(pop(&d));
  CHECK(d.has_icmp && d.icmp.code == SYNACK_ICMP4_PORT_UNREACH);
  inject_udp(&F.peer4, 53, &F.me4, me.port, "answer");
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), 6);
  /* The peer answers our datagram with port unreachable. */
  uint8_t icmp[256];
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.type = SYNACK_ICMP4_DEST_UNREACH;
  ic.code = SYNACK_ICMP4_PORT_UNREACH;
  ic.data = sent;
  ic.data_len = sent_len;
  size_t il = synack_icmp4_emit(&ic, icmp + 20, sizeof icmp - 20);
  REQUIRE(il > 0);
  synack_ip4_repr_t h;
  memset(&h, 0, sizeof h);
  h.src = F.peer4;
  h.dst = F.me4;
  h.ttl = 64;
  h.proto = SYNACK_IPPROTO_ICMP;
  synack_ip4_emit(&h, il, icmp, 20);
  events(s);
  inject(icmp, 20 + il);
  CHECK_EQ_U(events(s), SYNACK_EV_ERROR | SYNACK_EV_READABLE);
  CHECK_EQ_U(ctr(SYNACK_CTR_UDP_ICMP_ERRORS), 1);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_ECONNREFUSED);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  /* A pending error comes before a queued datagram (Linux), then the datagram. */
  inject_udp(&F.peer4, 53, &F.me4, me.port, "later");
  inject(icmp, 20 + il);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_ECONNREFUSED);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), 5);
  /* Again, then reported by send() and by SO_ERROR (each once). */
  inject(icmp, 20 + il);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "x", 1, 0, NULL), -SYNACK_ECONNREFUSED);
  inject(icmp, 20 + il);
  int e = 1;
  CHECK_EQ_I(synack_udp_getsockopt(F.st, s, SYNACK_SO_ERROR, &e), 0);
  CHECK_EQ_I(e, -SYNACK_ECONNREFUSED);
  CHECK_EQ_I(synack_udp_getsockopt(F.st, s, SYNACK_SO_ERROR, &e), 0);
  CHECK_EQ_I(e, 0);
  /* connect(AF_UNSPEC) dissolves the association: now unconnected, ICMP errors are ignored. */
  synack_endpoint_t unspec;
  memset(&unspec, 0, sizeof unspec);
  CHECK_EQ_I(synack_udp_connect(F.st, s, &unspec), 0);
  CHECK_EQ_I(synack_udp_getpeername(F.st, s, &pn), -SYNACK_ENOTCONN);
  inject(icmp, 20 + il);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  CHECK_EQ_U(ctr(SYNACK_CTR_UDP_ICMP_ERRORS), 4);
  (void)u;
  ufx_free();
}

/* The receive queue is bounded by bytes: payload + SYNACK_UDP_DGRAM_OVERHEAD each. */
static void rcvbuf_bound_counts_drops(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, s, SYNACK_SO_RCVBUF, 400), 0);
  int v = 0;
  CHECK_EQ_I(synack_udp_getsockopt(F.st, s, SYNACK_SO_RCVBUF, &v), 0);
  CHECK_EQ_I(v, 400);
  synack_endpoint_t b = any(SYNACK_AF_INET, 7000);
  REQUIRE(synack_udp_bind(F.st, s, &b) == 0);
  char text[101];
  memset(text, 'a', 100);
  text[100] = 0;
  /* 164 bytes each: two fit in 400, the third does not. */
  for (int i = 0; i < 3; i++) inject_udp(&F.peer4, 40000, &F.me4, 7000, text);
  uint64_t n = 99;
  CHECK_EQ_I(synack_udp_drops(F.st, s, &n), 0);
  CHECK_EQ_U(n, 1);
  CHECK_EQ_U(drops(SYNACK_DROP_UDP_RCVBUF_FULL), 1);
  CHECK_EQ_U(ctr(SYNACK_CTR_UDP_DGRAMS_IN), 2);
  uint8_t buf[200];
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), 100);
  inject_udp(&F.peer4, 40000, &F.me4, 7000, text); /* room again */
  CHECK_EQ_U(ctr(SYNACK_CTR_UDP_DGRAMS_IN), 3);
  /* An empty queue takes one datagram even beyond a small bound. */
  int t = synack_udp_socket(F.st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, t, SYNACK_SO_RCVBUF, 1), 0);
  CHECK_EQ_I(synack_udp_getsockopt(F.st, t, SYNACK_SO_RCVBUF, &v), 0);
  CHECK_EQ_I(v, 256);
  synack_endpoint_t b2 = any(SYNACK_AF_INET, 7001);
  REQUIRE(synack_udp_bind(F.st, t, &b2) == 0);
  char big[501];
  memset(big, 'b', 500);
  big[500] = 0;
  inject_udp(&F.peer4, 40000, &F.me4, 7001, big);
  inject_udp(&F.peer4, 40000, &F.me4, 7001, "x");
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, t, buf, sizeof buf, SYNACK_MSG_TRUNC, NULL), 500);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, t, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  CHECK_EQ_U(drops(SYNACK_DROP_UDP_RCVBUF_FULL), 2);
  /* The default bound is cfg.udp_rcvbuf. */
  int w = synack_udp_socket(F.st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_udp_getsockopt(F.st, w, SYNACK_SO_RCVBUF, &v), 0);
  CHECK_EQ_I(v, 212992);
  ufx_free();
}

/* RFC 768: a zero checksum means none over IPv4; RFC 8200 §8.1: invalid over IPv6. */
static void zero_checksum_v4_only(void) {
  REQUIRE(ufx_new());
  int s4 = synack_udp_socket(F.st, SYNACK_AF_INET);
  int s6 = synack_udp_socket(F.st, SYNACK_AF_INET6);
  synack_endpoint_t b4 = any(SYNACK_AF_INET, 7000), b6 = any(SYNACK_AF_INET6, 7000);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, s6, SYNACK_IPV6_V6ONLY, 1), 0);
  REQUIRE(synack_udp_bind(F.st, s4, &b4) == 0);
  REQUIRE(synack_udp_bind(F.st, s6, &b6) == 0);
  uint8_t pkt[128];
  size_t n = build(&F.peer4, 1, &F.me4, 7000, "zero", 4, pkt, sizeof pkt);
  pkt[20 + 6] = pkt[20 + 7] = 0;
  inject(pkt, n);
  uint8_t buf[16];
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s4, buf, sizeof buf, 0, NULL), 4);
  n = build(&F.peer6, 1, &F.me6, 7000, "zero", 4, pkt, sizeof pkt);
  pkt[40 + 6] = pkt[40 + 7] = 0;
  inject(pkt, n);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s6, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  CHECK_EQ_U(drops(SYNACK_DROP_UDP_BAD_CHECKSUM), 1);
  /* A corrupted checksum is dropped over IPv4 too. */
  n = build(&F.peer4, 1, &F.me4, 7000, "bad", 3, pkt, sizeof pkt);
  pkt[20 + 8] ^= 1;
  inject(pkt, n);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s4, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  CHECK_EQ_U(drops(SYNACK_DROP_UDP_BAD_CHECKSUM), 2);
  ufx_free();
}

/* Broadcast: off by default for sending (EACCES), SO_BROADCAST enables it; received broadcasts
 * reach sockets bound to the wildcard, not those bound to our unicast address. */
static void broadcast_rules(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  int spec = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t bc = ep(synack_ip4(255, 255, 255, 255), 67);
  synack_endpoint_t dbc = ep(synack_ip4(198, 18, 0, 255), 67);
  int v = 1;
  CHECK_EQ_I(synack_udp_getsockopt(F.st, s, SYNACK_SO_BROADCAST, &v), 0);
  CHECK_EQ_I(v, 0);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "d", 1, 0, &bc), -SYNACK_EACCES);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "d", 1, 0, &dbc), -SYNACK_EACCES);
  synack_dissect_t d;
  CHECK(!pop(&d));
  CHECK_EQ_I(synack_udp_setsockopt(F.st, s, SYNACK_SO_BROADCAST, 1), 0);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "d", 1, 0, &bc), 1);
  REQUIRE(pop(&d));
  CHECK(d.has_udp && synack_ip_equal(&d.dst, &bc.ip));
  CHECK_EQ_U(d.udp.dst_port, 67);
  /* Receiving. */
  synack_endpoint_t b = any(SYNACK_AF_INET, 68), bs = ep(F.me4, 68);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, s, SYNACK_SO_REUSEADDR, 1), 0);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, spec, SYNACK_SO_REUSEADDR, 1), 0);
  /* s is bound already (autobind at sendto): use two fresh sockets. */
  int w = synack_udp_socket(F.st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, w, SYNACK_SO_REUSEADDR, 1), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, w, &b), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, spec, &bs), 0);
  synack_ip_t bcast = synack_ip4(198, 18, 0, 255);
  inject_udp(&F.peer4, 67, &bcast, 68, "offer");
  uint8_t buf[16];
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, w, buf, sizeof buf, 0, NULL), 5);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, spec, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  CHECK(!pop(&d)); /* never an ICMP error for a broadcast */
  ufx_free();
}

/* The largest datagram that fits a 1500-byte link goes out whole with DF (Linux's
 * IP_PMTUDISC_WANT); the largest datagram at all is 65,507 bytes over IPv4 and 65,527 over
 * IPv6 (the payload length counts the UDP header only); one byte more is EMSGSIZE. */
static void sizes_and_emsgsize(void) {
  REQUIRE(ufx_new());
  static uint8_t big[65528];
  int s4 = synack_udp_socket(F.st, SYNACK_AF_INET), s6 = synack_udp_socket(F.st, SYNACK_AF_INET6);
  synack_endpoint_t to4 = ep(F.peer4, 9), to6 = ep(F.peer6, 9);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s4, big, 1472, 0, &to4), 1472);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s6, big, 1452, 0, &to6), 1452);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  CHECK_EQ_U(F.out_len, 1500);
  CHECK_EQ_U(d.udp.length, 1480);
  CHECK(d.ip4.df);
  CHECK(!d.is_fragment);
  REQUIRE(pop(&d));
  CHECK_EQ_U(F.out_len, 1500);
  CHECK_EQ_U(d.udp.length, 1460);
  CHECK(!d.ip6.has_frag);
  CHECK(!pop(&d));
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s4, big, 65508, 0, &to4), -SYNACK_EMSGSIZE);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s6, big, 65528, 0, &to6), -SYNACK_EMSGSIZE);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s4, big, 65507, 0, &to4), 65507);
  unsigned n = 0;
  while (pop(&d)) n++;
  CHECK_EQ_U(n, 45); /* 65,515 bytes of UDP in 1,480-byte pieces */
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s6, big, 65527, 0, &to6), 65527);
  n = 0;
  while (pop(&d)) n++;
  CHECK_EQ_U(n, 46); /* 65,535 bytes in 1,448-byte pieces */
  CHECK_EQ_U(ctr(SYNACK_CTR_IP_FRAGMENTED_OUT), 2);
  ufx_free();
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

/* A socket bound to port 5000 that sends 3,000 bytes of data (filled here) to the peer's port
 * 6000; the fragments are then waiting in the ring. */
static int send_3000(bool v6, uint8_t data[3000], synack_endpoint_t *to) {
  for (size_t i = 0; i < 3000; i++) data[i] = (uint8_t)(i * 13 + 1);
  int s = synack_udp_socket(F.st, v6 ? SYNACK_AF_INET6 : SYNACK_AF_INET);
  synack_endpoint_t b = any(v6 ? SYNACK_AF_INET6 : SYNACK_AF_INET, 5000);
  *to = ep(v6 ? F.peer6 : F.peer4, 6000);
  CHECK_EQ_I(synack_udp_bind(F.st, s, &b), 0);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, 3000, 0, to), 3000);
  return s;
}

/* The pieces put together are the datagram synack_udp_emit makes (length and checksum of the
 * whole datagram in the first fragment's UDP header), and nothing else was sent. */
static void check_whole(bool v6, const uint8_t whole[3008], const uint8_t data[3000]) {
  synack_dissect_t d;
  CHECK(!pop(&d));
  static uint8_t ref[3008];
  synack_udp_repr_t u = { .src_port = 5000, .dst_port = 6000, .payload = data, .payload_len = 3000 };
  REQUIRE(synack_udp_emit(&u, v6 ? &F.me6 : &F.me4, v6 ? &F.peer6 : &F.peer4, ref, sizeof ref) == 3008);
  CHECK_MEM(whole, ref, 3008);
  CHECK_EQ_U(be16(whole + 4), 3008);
}

/* The three fragments of send_3000's datagram on the wire, checked field by field, their data
 * put together and compared with the whole datagram; *id_out is their Identification.
 * IPv4 (RFC 791 §3.2): 3,000 bytes are a 3,008-byte UDP datagram, cut into 1,480 + 1,480 + 48
 * bytes at offsets 0, 185 and 370 (8-byte units); one Identification for all three, MF on all
 * but the last, DF off. IPv6 (RFC 8200 §4.5): a fragment header (next header UDP, offset in
 * 8-byte units with the M flag, a 32-bit Identification) after the fixed header; 1,448 bytes
 * per fragment on a 1,500-byte link. Either way the first fragment carries the UDP header with
 * the length and checksum of the whole datagram. */
static void check_fragments_3000(bool v6, const uint8_t data[3000], uint32_t *id_out) {
  static const size_t len4[3] = { 1480, 1480, 48 }, len6[3] = { 1448, 1448, 112 };
  const size_t *len = v6 ? len6 : len4;
  const size_t hdr = v6 ? 48 : 20; /* IPv6: fixed header and fragment header */
  static uint8_t whole[3008];
  uint32_t id = 0;
  size_t at = 0;
  for (int k = 0; k < 3; k++) {
    synack_dissect_t d;
    REQUIRE(pop(&d));
    CHECK(d.is_fragment);
    CHECK_EQ_U(F.out_len, hdr + len[k]);
    CHECK(synack_ip_equal(&d.src, v6 ? &F.me6 : &F.me4) && synack_ip_equal(&d.dst, v6 ? &F.peer6 : &F.peer4));
    uint32_t this_id;
    if (v6) {
      CHECK_EQ_U(be16(F.out + 4), 8 + len[k]);     /* payload length: fragment header + data */
      CHECK_EQ_U(F.out[6], SYNACK_IP6_NH_FRAGMENT);
      CHECK_EQ_U(F.out[40], SYNACK_IPPROTO_UDP);   /* the fragment header's next header */
      CHECK_EQ_U(F.out[41], 0);
      CHECK_EQ_U(be16(F.out + 42), (uint16_t)at | (k < 2 ? 1u : 0u)); /* offset, M */
      this_id = be32(F.out + 44);
    } else {
      CHECK_EQ_U(be16(F.out + 2), 20 + len[k]);    /* total length */
      CHECK_EQ_U(be16(F.out + 6), (k < 2 ? 0x2000u : 0u) | (uint16_t)(at / 8)); /* MF, no DF, offset */
      CHECK_EQ_U(F.out[9], SYNACK_IPPROTO_UDP);
      this_id = be16(F.out + 4);
    }
    if (k == 0) id = this_id;
    CHECK_EQ_U(this_id, id);                       /* one Identification */
    memcpy(whole + at, F.out + hdr, len[k]);
    at += len[k];
  }
  CHECK_EQ_U(at, 3008);
  check_whole(v6, whole, data);
  synack_udp_repr_t back;
  CHECK_EQ_I(synack_udp_parse(whole, 3008, v6 ? &F.me6 : &F.me4, v6 ? &F.peer6 : &F.peer4, 0, &back),
             SYNACK_DROP_NONE);
  *id_out = id;
}

/* IPv4 fragments on the wire; the next datagram has another Identification. */
static void fragments_ipv4_exact(void) {
  REQUIRE(ufx_new());
  static uint8_t data[3000];
  synack_endpoint_t to;
  int s = send_3000(false, data, &to);
  uint32_t id = 0;
  check_fragments_3000(false, data, &id);
  synack_dissect_t d;
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, 1473, 0, &to), 1473);
  REQUIRE(pop(&d));
  CHECK_EQ_U(F.out_len, 1500);
  CHECK(be16(F.out + 4) != id);
  CHECK_EQ_U(be16(F.out + 6), 0x2000u);
  REQUIRE(pop(&d));
  CHECK_EQ_U(F.out_len, 20 + 1);              /* 1,481 UDP bytes: 1,480 + 1 */
  CHECK_EQ_U(be16(F.out + 6), 1480u / 8u);
  ufx_free();
}

/* IPv6 fragments on the wire; the next datagram has another Identification. */
static void fragments_ipv6_exact(void) {
  REQUIRE(ufx_new());
  static uint8_t data[3000];
  synack_endpoint_t to;
  int s = send_3000(true, data, &to);
  uint32_t id = 0;
  check_fragments_3000(true, data, &id);
  synack_dissect_t d;
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, 3000, 0, &to), 3000);
  REQUIRE(pop(&d));
  uint32_t next = be32(F.out + 44);
  CHECK(next != id);
  for (int k = 1; k < 3; k++) {
    REQUIRE(pop(&d));
    CHECK_EQ_U(be32(F.out + 44), next);
  }
  CHECK(!pop(&d));
  ufx_free();
}

/* Round trip: a second stack (the peer) reassembles what this one fragments — in order for
 * IPv4, in reverse order for IPv6 — and its socket gets the datagram whole. */
static void fragments_reassembled_by_peer_stack(void) {
  REQUIRE(ufx_new());
  synack_config_t pc;
  ufx_cfg(&pc);
  pc.ip4 = F.peer4;
  pc.ip6 = F.peer6;
  synack_config_deterministic(&pc, 8);
  synack_stack_t *peer = synack_stack_new(&pc, F.now);
  REQUIRE(peer);
  int rx4 = synack_udp_socket(peer, SYNACK_AF_INET), rx6 = synack_udp_socket(peer, SYNACK_AF_INET6);
  synack_endpoint_t b4 = any(SYNACK_AF_INET, 6000), b6 = any(SYNACK_AF_INET6, 6001);
  b6.ip.family = SYNACK_AF_INET6;
  REQUIRE(synack_udp_setsockopt(peer, rx6, SYNACK_IPV6_V6ONLY, 1) == 0);
  REQUIRE(synack_udp_bind(peer, rx4, &b4) == 0 && synack_udp_bind(peer, rx6, &b6) == 0);
  static uint8_t data[60000], got[60001];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 31 + (i >> 8));
  int s4 = synack_udp_socket(F.st, SYNACK_AF_INET), s6 = synack_udp_socket(F.st, SYNACK_AF_INET6);
  synack_endpoint_t to4 = ep(F.peer4, 6000), to6 = ep(F.peer6, 6001);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s4, data, 20000, 0, &to4), 20000);
  synack_frame_t f;
  unsigned n = 0;
  while (synack_stack_poll_tx(F.st, F.now, &f)) {
    synack_stack_input(peer, F.now, f.data, f.len, 0);
    n++;
  }
  CHECK_EQ_U(n, 14); /* 20,008 bytes in 1,480-byte pieces */
  synack_endpoint_t from;
  CHECK_EQ_I(synack_udp_recvfrom(peer, F.now, rx4, got, sizeof got, 0, &from), 20000);
  CHECK_MEM(got, data, 20000);
  CHECK(synack_ip_equal(&from.ip, &F.me4));
  /* IPv6, 60,000 bytes: the fragments are handed over last first */
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s6, data, sizeof data, 0, &to6), 60000);
  static uint8_t frames[64][1500];
  static size_t flen[64];
  n = 0;
  while (n < 64 && synack_stack_poll_tx(F.st, F.now, &f)) {
    memcpy(frames[n], f.data, f.len);
    flen[n++] = f.len;
  }
  CHECK_EQ_U(n, 42); /* 60,008 bytes in 1,448-byte pieces */
  while (n > 0) {
    n--;
    synack_stack_input(peer, F.now, frames[n], flen[n], 0);
  }
  CHECK_EQ_I(synack_udp_recvfrom(peer, F.now, rx6, got, sizeof got, 0, NULL), 60000);
  CHECK_MEM(got, data, 60000);
  CHECK_EQ_U(synack_stack_counters(peer)->events[SYNACK_CTR_REASSEMBLED], 2);
  synack_stack_free(peer);
  ufx_free();
}

/* An ICMP error from the peer quoting the first bytes of one of our packets. */
static void inject_icmp_quote(bool v6, uint8_t type, uint8_t code, const uint8_t *quote, size_t qlen) {
  uint8_t pkt[400];
  size_t l3 = v6 ? 40 : 20;
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.type = type;
  ic.code = code;
  ic.data = quote;
  ic.data_len = qlen;
  size_t il = v6 ? synack_icmp6_emit(&ic, &F.peer6, &F.me6, pkt + l3, sizeof pkt - l3)
                 : synack_icmp4_emit(&ic, pkt + l3, sizeof pkt - l3);
  REQUIRE(il > 0);
  if (v6) {
    synack_ip6_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = F.peer6;
    h.dst = F.me6;
    h.hop_limit = 64;
    h.proto = SYNACK_IPPROTO_ICMPV6;
    synack_ip6_emit(&h, il, pkt, l3);
  } else {
    synack_ip4_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = F.peer4;
    h.dst = F.me4;
    h.ttl = 64;
    h.proto = SYNACK_IPPROTO_ICMP;
    synack_ip4_emit(&h, il, pkt, l3);
  }
  inject(pkt, l3 + il);
}

/* An ICMP error quoting one of our fragments reaches the connected socket only when it quotes
 * the first fragment (the only one that starts with the UDP header): over IPv6 the UDP header
 * follows the fragment header there. A quote of a later fragment names no port: ignored. */
static void icmp_quoting_fragments(void) {
  for (int v6 = 0; v6 < 2; v6++) {
    REQUIRE(ufx_new());
    int s = synack_udp_socket(F.st, v6 ? SYNACK_AF_INET6 : SYNACK_AF_INET);
    synack_endpoint_t peer = ep(v6 ? F.peer6 : F.peer4, 53);
    REQUIRE(synack_udp_connect(F.st, s, &peer) == 0);
    static uint8_t data[2000];
    CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, sizeof data, 0, NULL), 2000);
    uint8_t first[96], second[96];
    synack_dissect_t d;
    REQUIRE(pop(&d));
    memcpy(first, F.out, sizeof first);
    REQUIRE(pop(&d));
    memcpy(second, F.out, sizeof second);
    uint8_t type = v6 ? SYNACK_ICMP6_DEST_UNREACH : SYNACK_ICMP4_DEST_UNREACH;
    uint8_t code = v6 ? 4 : SYNACK_ICMP4_PORT_UNREACH;
    uint8_t buf[8];
    inject_icmp_quote(v6, type, code, second, sizeof second);
    CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
    inject_icmp_quote(v6, type, code, first, sizeof first);
    CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_ECONNREFUSED);
    CHECK_EQ_U(ctr(SYNACK_CTR_UDP_ICMP_ERRORS), 1);
    ufx_free();
  }
}

/* All fragments or none: a ring with room for fewer than the datagram needs gives EAGAIN (and
 * WRITABLE later); a ring that can never hold them all, EMSGSIZE. */
static void fragments_need_ring_room(void) {
  synack_config_t c;
  ufx_cfg(&c);
  c.tx_ring_frames = 3;
  REQUIRE(ufx_new_cfg(&c));
  static uint8_t data[5000];
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t to = ep(F.peer4, 9);
  events(s);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, 5000, 0, &to), -SYNACK_EMSGSIZE); /* 4 fragments, ring of 3 */
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "x", 1, 0, &to), 1);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "y", 1, 0, &to), 1);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, 2000, 0, &to), -SYNACK_EAGAIN); /* 2 fragments, 1 free */
  CHECK(!(events(s) & SYNACK_EV_WRITABLE));
  synack_dissect_t d;
  REQUIRE(pop(&d));
  CHECK_EQ_U(d.udp.length, 9);
  REQUIRE(pop(&d));
  CHECK(!pop(&d)); /* both taken by the driver: the ring is empty */
  CHECK(events(s) & SYNACK_EV_WRITABLE);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, data, 2000, 0, &to), 2000);
  ufx_free();
}

/* A full transmit ring: EAGAIN, then WRITABLE once the driver takes frames. */
static void ring_full_eagain_then_writable(void) {
  synack_config_t c;
  ufx_cfg(&c);
  c.tx_ring_frames = 2;
  REQUIRE(ufx_new_cfg(&c));
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t to = ep(F.peer4, 9);
  events(s);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "1", 1, 0, &to), 1);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "2", 1, 0, &to), 1);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "3", 1, 0, &to), -SYNACK_EAGAIN);
  CHECK_EQ_U(synack_udp_poll(F.st, s), 0);
  CHECK_EQ_U(events(s), 0);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  REQUIRE(pop(&d)); /* the first frame is released: room */
  CHECK_EQ_U(events(s), SYNACK_EV_WRITABLE);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "3", 1, 0, &to), 1);
  ufx_free();
}

/* A datagram in two IPv4 fragments is reassembled and delivered whole. */
static void fragmented_datagram_delivered(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t b = any(SYNACK_AF_INET, 7000);
  REQUIRE(synack_udp_bind(F.st, s, &b) == 0);
  static uint8_t payload[2000], whole[2100];
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7);
  synack_udp_repr_t u = { .src_port = 40000, .dst_port = 7000, .payload = payload, .payload_len = sizeof payload };
  size_t ul = synack_udp_emit(&u, &F.peer4, &F.me4, whole, sizeof whole);
  REQUIRE(ul == 2008);
  uint8_t pkt[1600];
  synack_ip4_repr_t h;
  memset(&h, 0, sizeof h);
  h.src = F.peer4;
  h.dst = F.me4;
  h.ttl = 64;
  h.proto = SYNACK_IPPROTO_UDP;
  h.id = 77;
  h.mf = true;
  synack_ip4_emit(&h, 1480, pkt, 20);
  memcpy(pkt + 20, whole, 1480);
  inject(pkt, 1500);
  uint8_t buf[2100];
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  h.mf = false;
  h.frag_off = 1480;
  synack_ip4_emit(&h, ul - 1480, pkt, 20);
  memcpy(pkt + 20, whole + 1480, ul - 1480);
  inject(pkt, 20 + ul - 1480);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), 2000);
  CHECK_MEM(buf, payload, 2000);
  CHECK_EQ_U(ctr(SYNACK_CTR_REASSEMBLED), 1);
  ufx_free();
}

/* Binding rules (Linux): a second socket on the port is refused unless both set SO_REUSEADDR,
 * or both SO_REUSEPORT; a specific address and the wildcard overlap. */
static void bind_conflicts(void) {
  REQUIRE(ufx_new());
  int a = synack_udp_socket(F.st, SYNACK_AF_INET), b = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t w = any(SYNACK_AF_INET, 9000), sp = ep(F.me4, 9000);
  CHECK_EQ_I(synack_udp_bind(F.st, a, &w), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, b, &sp), -SYNACK_EADDRINUSE);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, b, SYNACK_SO_REUSEADDR, 1), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, b, &sp), -SYNACK_EADDRINUSE); /* a did not set it */
  synack_endpoint_t other = ep(synack_ip4(198, 18, 0, 9), 9001);
  CHECK_EQ_I(synack_udp_bind(F.st, b, &other), -SYNACK_EADDRNOTAVAIL);
  /* A v6 dual-stack wildcard overlaps IPv4 on the same port; a V6ONLY one does not. */
  int c6 = synack_udp_socket(F.st, SYNACK_AF_INET6), d6 = synack_udp_socket(F.st, SYNACK_AF_INET6);
  synack_endpoint_t w6 = any(SYNACK_AF_INET6, 9000);
  CHECK_EQ_I(synack_udp_bind(F.st, c6, &w6), -SYNACK_EADDRINUSE);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, d6, SYNACK_IPV6_V6ONLY, 1), 0);
  CHECK_EQ_I(synack_udp_bind(F.st, d6, &w6), 0);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, d6, SYNACK_IPV6_V6ONLY, 0), -SYNACK_EINVAL); /* after bind */
  int v4only = 0;
  CHECK_EQ_I(synack_udp_getsockopt(F.st, a, SYNACK_IPV6_V6ONLY, &v4only), -SYNACK_ENOPROTOOPT);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, a, SYNACK_TCP_NODELAY, 1), -SYNACK_ENOPROTOOPT);
  ufx_free();
}

/* SO_REUSEPORT: every socket of the group receives some flows, and one flow always reaches the
 * same socket (keyed hash of the 4-tuple). */
static void reuseport_spreads_flows(void) {
  REQUIRE(ufx_new());
  int s[3];
  synack_endpoint_t w = any(SYNACK_AF_INET, 9100);
  for (int i = 0; i < 3; i++) {
    s[i] = synack_udp_socket(F.st, SYNACK_AF_INET);
    CHECK_EQ_I(synack_udp_setsockopt(F.st, s[i], SYNACK_SO_REUSEPORT, 1), 0);
    CHECK_EQ_I(synack_udp_bind(F.st, s[i], &w), 0);
  }
  int plain = synack_udp_socket(F.st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_udp_bind(F.st, plain, &w), -SYNACK_EADDRINUSE);
  int got[3] = { 0, 0, 0 };
  uint8_t buf[8];
  for (uint16_t port = 20000; port < 20060; port++) {
    int owner = -1;
    for (int rep = 0; rep < 2; rep++) {
      inject_udp(&F.peer4, port, &F.me4, 9100, "f");
      int hits = 0;
      for (int i = 0; i < 3; i++)
        if (synack_udp_recvfrom(F.st, F.now, s[i], buf, sizeof buf, 0, NULL) == 1) {
          hits++;
          if (rep == 0) owner = i;
          else CHECK_EQ_I(i, owner);
        }
      CHECK_EQ_I(hits, 1);
    }
    if (owner >= 0) got[owner]++;
  }
  for (int i = 0; i < 3; i++) CHECK(got[i] > 5);
  ufx_free();
}

/* An AF_INET6 socket takes IPv4 as ::ffff:a.b.c.d unless IPV6_V6ONLY, and sends to a mapped
 * address as IPv4 (RFC 3493 §3.7, RFC 4291 §2.5.5.2). */
static void dual_stack_udp(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET6);
  synack_endpoint_t w = any(SYNACK_AF_INET6, 7000);
  REQUIRE(synack_udp_bind(F.st, s, &w) == 0);
  inject_udp(&F.peer4, 40000, &F.me4, 7000, "v4");
  inject_udp(&F.peer6, 40000, &F.me6, 7000, "v6");
  uint8_t buf[16];
  synack_endpoint_t from;
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, &from), 2);
  CHECK_MEM(buf, "v4", 2);
  synack_ip_t mapped;
  REQUIRE(synack_ip_parse("::ffff:198.18.0.2", &mapped) == 0);
  CHECK(synack_ip_equal(&from.ip, &mapped));
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, &from), 2);
  CHECK(synack_ip_equal(&from.ip, &F.peer6));
  /* Answer the mapped source: an IPv4 datagram from our IPv4 address. */
  synack_endpoint_t to = ep(mapped, 40000);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "re", 2, 0, &to), 2);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  CHECK_EQ_U(d.ip_version, 4);
  CHECK(synack_ip_equal(&d.src, &F.me4) && synack_ip_equal(&d.dst, &F.peer4));
  CHECK_EQ_U(d.udp.src_port, 7000);
  /* An IPv4 datagram prefers a plain AF_INET socket on the port over the dual-stack one. */
  int s4 = synack_udp_socket(F.st, SYNACK_AF_INET);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, s4, SYNACK_SO_REUSEADDR, 1), 0);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, s, SYNACK_SO_REUSEADDR, 1), 0);
  synack_endpoint_t w4 = ep(F.me4, 7000);
  CHECK_EQ_I(synack_udp_bind(F.st, s4, &w4), 0);
  inject_udp(&F.peer4, 40000, &F.me4, 7000, "4!");
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s4, buf, sizeof buf, 0, NULL), 2);
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  /* V6ONLY: no IPv4 at all. */
  int o = synack_udp_socket(F.st, SYNACK_AF_INET6);
  CHECK_EQ_I(synack_udp_setsockopt(F.st, o, SYNACK_IPV6_V6ONLY, 1), 0);
  synack_endpoint_t w8 = any(SYNACK_AF_INET6, 8000);
  REQUIRE(synack_udp_bind(F.st, o, &w8) == 0);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, o, "x", 1, 0, &to), -SYNACK_ENETUNREACH);
  inject_udp(&F.peer4, 40000, &F.me4, 8000, "v4");
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, o, buf, sizeof buf, 0, NULL), -SYNACK_EAGAIN);
  REQUIRE(pop(&d));
  CHECK(d.has_icmp && d.icmp.code == SYNACK_ICMP4_PORT_UNREACH);
  ufx_free();
}

/* ICMPv6 port unreachable to a connected IPv6 socket: ECONNREFUSED (RFC 4443 §3.1 code 4). */
static void icmp6_port_unreachable(void) {
  REQUIRE(ufx_new());
  int s = synack_udp_socket(F.st, SYNACK_AF_INET6);
  synack_endpoint_t peer = ep(F.peer6, 53);
  REQUIRE(synack_udp_connect(F.st, s, &peer) == 0);
  CHECK_EQ_I(synack_udp_sendto(F.st, F.now, s, "q", 1, 0, NULL), 1);
  synack_dissect_t d;
  REQUIRE(pop(&d));
  uint8_t sent[128];
  size_t sl = F.out_len;
  memcpy(sent, F.out, sl);
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.type = SYNACK_ICMP6_DEST_UNREACH;
  ic.code = 4;
  ic.data = sent;
  ic.data_len = sl;
  uint8_t pkt[256];
  size_t il = synack_icmp6_emit(&ic, &F.peer6, &F.me6, pkt + 40, sizeof pkt - 40);
  REQUIRE(il > 0);
  synack_ip6_repr_t h;
  memset(&h, 0, sizeof h);
  h.src = F.peer6;
  h.dst = F.me6;
  h.hop_limit = 64;
  h.proto = SYNACK_IPPROTO_ICMPV6;
  synack_ip6_emit(&h, il, pkt, 40);
  events(s);
  inject(pkt, 40 + il);
  CHECK(events(s) & SYNACK_EV_ERROR);
  uint8_t buf[8];
  CHECK_EQ_I(synack_udp_recvfrom(F.st, F.now, s, buf, sizeof buf, 0, NULL), -SYNACK_ECONNREFUSED);
  ufx_free();
}

/* Every UDP socket's memory is given back (closing with datagrams queued). */
static void memory_returned(void) {
  REQUIRE(ufx_new());
  size_t base = synack_stack_memory(F.st);
  int s = synack_udp_socket(F.st, SYNACK_AF_INET);
  synack_endpoint_t b = any(SYNACK_AF_INET, 7000);
  REQUIRE(synack_udp_bind(F.st, s, &b) == 0);
  for (int i = 0; i < 5; i++) inject_udp(&F.peer4, 40000, &F.me4, 7000, "queued");
  CHECK(synack_stack_memory(F.st) > base);
  CHECK_EQ_I(synack_udp_close(F.st, s), 0);
  CHECK_EQ_U(synack_stack_memory(F.st), base);
  ufx_free();
}

TH_MAIN(TH_CASE(sendto_wire_matches_linux), TH_CASE(computed_zero_checksum_sent_as_ffff), TH_CASE(bind_receive_recvfrom),
        TH_CASE(no_socket_port_unreachable), TH_CASE(autobind_ephemeral), TH_CASE(connect_filters_and_icmp_refused),
        TH_CASE(rcvbuf_bound_counts_drops), TH_CASE(zero_checksum_v4_only), TH_CASE(broadcast_rules),
        TH_CASE(sizes_and_emsgsize), TH_CASE(fragments_ipv4_exact),
        TH_CASE(fragments_ipv6_exact), TH_CASE(fragments_reassembled_by_peer_stack), TH_CASE(fragments_need_ring_room),
        TH_CASE(icmp_quoting_fragments), TH_CASE(ring_full_eagain_then_writable), TH_CASE(fragmented_datagram_delivered),
        TH_CASE(bind_conflicts), TH_CASE(reuseport_spreads_flows), TH_CASE(dual_stack_udp),
        TH_CASE(icmp6_port_unreachable), TH_CASE(memory_returned))
