/* Dual stack and port sharing for TCP (tcp_demux.c listener selection, tcp_port.c bind rules,
 * tcp_api.c mapped endpoints): an AF_INET6 listener accepts IPv4 as ::ffff:a.b.c.d unless
 * IPV6_V6ONLY (RFC 3493 §3.7, §5.3); SO_REUSEPORT listeners share a port and new connections
 * are spread by a keyed hash of the 4-tuple (Linux). The peer is IPv4 (198.18.0.2); the stack
 * also owns fd00::1. */
#include "harness.h"
#include "tcpfix.h"

static void with_v6(synack_config_t *c) {
  synack_ip_parse("fd00::1", &c->ip6);
  c->ip6_prefix = 64;
}

static synack_ip_t mapped(const char *v4) {
  char text[64];
  snprintf(text, sizeof text, "::ffff:%s", v4);
  synack_ip_t ip;
  synack_ip_parse(text, &ip);
  return ip;
}

/* An AF_INET6 socket listening on [::]:port (options set before bind). */
static int listen6(fx_t *fx, uint16_t port, bool v6only, bool reuseport) {
  int s = synack_socket(fx->st, SYNACK_AF_INET6);
  if (s < 0) return s;
  if (v6only && synack_setsockopt(fx->st, s, SYNACK_IPV6_V6ONLY, 1) < 0) return -1;
  if (reuseport && synack_setsockopt(fx->st, s, SYNACK_SO_REUSEPORT, 1) < 0) return -1;
  synack_endpoint_t ep;
  memset(&ep, 0, sizeof ep);
  ep.ip.family = SYNACK_AF_INET6;
  ep.port = port;
  int r = synack_bind(fx->st, s, &ep);
  if (r < 0) return r;
  r = synack_listen(fx->st, s, 64);
  return r < 0 ? r : s;
}

/* The SYN from 198.18.0.2 reaches the AF_INET6 wildcard listener; the handshake is IPv4 on the
 * wire; accept(), getsockname() and getpeername() show v4-mapped addresses; data flows. */
static void v6_listener_accepts_v4_mapped(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, with_v6);
  REQUIRE(fx);
  int l = listen6(fx, FX_LOCAL_PORT, false, false);
  FX_REQUIRE_(l >= 0);
  fx->listener = l;
  FX_REQUIRE_(fx_syn_received(fx) == l); /* SYN → exact SYN-ACK from 198.18.0.1 */
  fx_inject(fx, fx->now, FX_A, 1, 1);
  synack_endpoint_t rem;
  int c = synack_accept(fx->st, l, &rem);
  FX_REQUIRE_(c >= 0);
  synack_ip_t peer = mapped("198.18.0.2"), me = mapped("198.18.0.1");
  fx_check(synack_ip_equal(&rem.ip, &peer));
  fx_check(rem.port == FX_PEER_PORT);
  synack_endpoint_t name;
  fx_check_rc(synack_getsockname(fx->st, c, &name), 0);
  fx_check(synack_ip_equal(&name.ip, &me) && name.port == FX_LOCAL_PORT);
  fx_check_rc(synack_getpeername(fx->st, c, &name), 0);
  fx_check(synack_ip_equal(&name.ip, &peer) && name.port == FX_PEER_PORT);
  fx_check_sock_state(fx, c, SYNACK_TCP_ESTABLISHED);
  /* Data both ways, IPv4 segments (the fixture checks the addresses of every segment). */
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_PA, 1, 1, .len = 100);
  uint8_t buf[200];
  fx_check_rc(synack_recv(fx->st, fx->now, c, buf, sizeof buf, 0), 100);
  fx_check_rc(fx_send(fx, c, 50, 0), 50);
  fx_expect(fx, FX_PA, 1, 101, .len = 50);
  fx_free(fx);
}

/* IPV6_V6ONLY: the IPv4 SYN finds no listener and is answered with RST. */
static void v6only_listener_refuses_v4(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, with_v6);
  REQUIRE(fx);
  int l = listen6(fx, FX_LOCAL_PORT, true, false);
  FX_REQUIRE_(l >= 0);
  int v = 0;
  fx_check_rc(synack_getsockopt(fx->st, l, SYNACK_IPV6_V6ONLY, &v), 0);
  fx_check(v == 1);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_RA, 0, 1);
  fx_check(synack_stack_counters(fx->st)->drops[SYNACK_DROP_TCP_NO_SOCKET] == 1);
  /* Options: V6ONLY belongs to AF_INET6 sockets and is fixed at bind. */
  int s4 = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_setsockopt(fx->st, s4, SYNACK_IPV6_V6ONLY, 1), -SYNACK_ENOPROTOOPT);
  fx_check_rc(synack_setsockopt(fx->st, l, SYNACK_IPV6_V6ONLY, 0), -SYNACK_EINVAL);
  /* SO_BROADCAST on TCP: kept and reported as Linux does (a socket-level flag), no effect. */
  fx_check_rc(synack_getsockopt(fx->st, s4, SYNACK_SO_BROADCAST, &v), 0);
  fx_check(v == 0);
  fx_check_rc(synack_setsockopt(fx->st, s4, SYNACK_SO_BROADCAST, 1), 0);
  fx_check_rc(synack_getsockopt(fx->st, s4, SYNACK_SO_BROADCAST, &v), 0);
  fx_check(v == 1);
  fx_check_rc(synack_setsockopt(fx->st, s4, SYNACK_SO_BROADCAST, 0), 0);
  fx_check_rc(synack_getsockopt(fx->st, s4, SYNACK_SO_BROADCAST, &v), 0);
  fx_check(v == 0);
  fx_free(fx);
}

/* Bind rules across families: a dual-stack wildcard holds the IPv4 port too; a V6ONLY one
 * does not; then an IPv4 SYN goes to the AF_INET listener. */
static void dual_wildcard_holds_v4_port(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, with_v6);
  REQUIRE(fx);
  int l6 = listen6(fx, FX_LOCAL_PORT, false, false);
  FX_REQUIRE_(l6 >= 0);
  int s4 = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
  fx_check_rc(synack_bind(fx->st, s4, &ep), -SYNACK_EADDRINUSE);
  fx_check_rc(synack_close(fx->st, fx->now, l6), 0);
  int o6 = listen6(fx, FX_LOCAL_PORT, true, false);
  FX_REQUIRE_(o6 >= 0);
  fx_check_rc(synack_bind(fx->st, s4, &ep), 0);
  fx_check_rc(synack_listen(fx->st, s4, 8), 0);
  fx->listener = s4;
  FX_REQUIRE_(fx_syn_received(fx) == s4);
  fx_inject(fx, fx->now, FX_A, 1, 1);
  synack_endpoint_t rem;
  fx_check(synack_accept(fx->st, o6, &rem) == -SYNACK_EAGAIN);
  int c = synack_accept(fx->st, s4, &rem);
  fx_check(c >= 0);
  fx_check(rem.ip.family == SYNACK_AF_INET); /* an AF_INET socket sees plain IPv4 */
  fx_free(fx);
}

/* connect() of an AF_INET6 socket to ::ffff:198.18.0.2: an IPv4 SYN, mapped names. */
static void connect_to_mapped(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, with_v6);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET6);
  synack_endpoint_t rem;
  memset(&rem, 0, sizeof rem);
  rem.ip = mapped("198.18.0.2");
  rem.port = FX_SERVICE_PORT;
  fx->lport = 0;
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  fx_expect(fx, FX_S, 0, 0, .any_ack = true, .opt = { .has = SYNACK_TCPOPT_HAS_MSS, .mss = 1460 });
  synack_endpoint_t name;
  fx_check_rc(synack_getsockname(fx->st, s, &name), 0);
  synack_ip_t me = mapped("198.18.0.1");
  fx_check(synack_ip_equal(&name.ip, &me));
  fx_check(name.port != 0);
  fx->lport = name.port;
  fx_inject(fx, fx->now + SYNACK_MS(10), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  fx_check_rc(synack_getpeername(fx->st, s, &name), 0);
  fx_check(synack_ip_equal(&name.ip, &rem.ip) && name.port == FX_SERVICE_PORT);
  /* V6ONLY forbids it. */
  int o = synack_socket(fx->st, SYNACK_AF_INET6);
  fx_check_rc(synack_setsockopt(fx->st, o, SYNACK_IPV6_V6ONLY, 1), 0);
  fx_check_rc(synack_connect(fx->st, fx->now, o, &rem), -SYNACK_ENETUNREACH);
  fx_free(fx);
}

/* bind() to ::ffff:198.18.0.1 serves IPv4 on that address; refused under V6ONLY or for an
 * address that is not ours. */
static void bind_mapped_address(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, with_v6);
  REQUIRE(fx);
  synack_endpoint_t ep;
  memset(&ep, 0, sizeof ep);
  ep.ip = mapped("198.18.0.9");
  ep.port = FX_LOCAL_PORT;
  int s = synack_socket(fx->st, SYNACK_AF_INET6);
  fx_check_rc(synack_bind(fx->st, s, &ep), -SYNACK_EADDRNOTAVAIL);
  int o = synack_socket(fx->st, SYNACK_AF_INET6);
  fx_check_rc(synack_setsockopt(fx->st, o, SYNACK_IPV6_V6ONLY, 1), 0);
  ep.ip = mapped("198.18.0.1");
  fx_check_rc(synack_bind(fx->st, o, &ep), -SYNACK_EINVAL);
  fx_check_rc(synack_bind(fx->st, s, &ep), 0);
  fx_check_rc(synack_listen(fx->st, s, 8), 0);
  fx->listener = s;
  FX_REQUIRE_(fx_syn_received(fx) == s);
  fx_inject(fx, fx->now, FX_A, 1, 1);
  synack_endpoint_t rem;
  int c = synack_accept(fx->st, s, &rem);
  fx_check(c >= 0);
  synack_ip_t peer = mapped("198.18.0.2");
  fx_check(synack_ip_equal(&rem.ip, &peer));
  fx_free(fx);
}

/* SO_REUSEPORT: listeners that all set it share the port (one without it is refused); every
 * listener gets connections, and the choice is the keyed hash of the 4-tuple (the same tuple
 * again reaches the same listener). */
static void reuseport_spreads_connections(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l[3];
  for (int i = 0; i < 3; i++) {
    l[i] = synack_socket(fx->st, SYNACK_AF_INET);
    fx_check_rc(synack_setsockopt(fx->st, l[i], SYNACK_SO_REUSEPORT, 1), 0);
    synack_endpoint_t ep;
    fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
    memset(&ep.ip, 0, sizeof ep.ip);
    fx_check_rc(synack_bind(fx->st, l[i], &ep), 0);
    fx_check_rc(synack_listen(fx->st, l[i], 64), 0);
  }
  int v = 0;
  fx_check_rc(synack_getsockopt(fx->st, l[0], SYNACK_SO_REUSEPORT, &v), 0);
  fx_check(v == 1);
  int plain = synack_socket(fx->st, SYNACK_AF_INET);
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
  fx_check_rc(synack_bind(fx->st, plain, &ep), -SYNACK_EADDRINUSE);
  int got[3] = { 0, 0, 0 };
  int owner_of[40];
  for (int k = 0; k < 40; k++) {
    fx->rport = (uint16_t)(41000 + k);
    fx->peer_isn = 1000000u + (uint32_t)k * 7919u;
    fx_inject(fx, fx->now + SYNACK_MS(1), FX_S, 0, 0);
    fx_expect(fx, FX_SA, 0, 1);
    fx_inject(fx, fx->now, FX_A, 1, 1);
    int hits = 0;
    owner_of[k] = -1;
    for (int i = 0; i < 3; i++) {
      synack_endpoint_t rem;
      int c = synack_accept(fx->st, l[i], &rem);
      if (c < 0) continue;
      hits++;
      owner_of[k] = i;
      fx_check(rem.port == fx->rport);
      synack_abort(fx->st, fx->now, c);
      fx_expect(fx, FX_RA, 1, 1);
    }
    fx_check(hits == 1);
    if (owner_of[k] >= 0) got[owner_of[k]]++;
  }
  for (int i = 0; i < 3; i++) fx_check(got[i] >= 4);
  /* The same 4-tuple again (a new connection after the abort) lands on the same listener. */
  for (int k = 0; k < 5; k++) {
    fx->rport = (uint16_t)(41000 + k);
    fx->peer_isn = 3000000u + (uint32_t)k;
    fx_inject(fx, fx->now + SYNACK_MS(1), FX_S, 0, 0);
    fx_expect(fx, FX_SA, 0, 1);
    fx_inject(fx, fx->now, FX_A, 1, 1);
    synack_endpoint_t rem;
    int c = synack_accept(fx->st, l[owner_of[k]], &rem);
    fx_check(c >= 0);
    if (c >= 0) {
      synack_abort(fx->st, fx->now, c);
      fx_expect(fx, FX_RA, 1, 1);
    }
  }
  fx_free(fx);
}

TH_MAIN(TH_CASE(v6_listener_accepts_v4_mapped), TH_CASE(v6only_listener_refuses_v4), TH_CASE(dual_wildcard_holds_v4_port),
        TH_CASE(connect_to_mapped), TH_CASE(bind_mapped_address), TH_CASE(reuseport_spreads_connections))
