/* Ephemeral port choice (tcp_port.c) around sockets that hold a port without being in the
 * connection hash: a socket bound but not connected, and a connection that ended while its
 * handle stays open. The pick skips the socket-table scan while no such socket can exist
 * (what keeps connect() O(1) with a million connections, see bench/bench_memory.c); these
 * tests pin the cases where the scan must still run. */
#include "harness.h"
#include "poison.h"
#include "tcp_internal.h"
#include "tcpfix.h"

static void two_ports(synack_config_t *c) { c->tcp_port_lo = 50000; c->tcp_port_hi = 50001; }
static void one_port(synack_config_t *c) { c->tcp_port_lo = c->tcp_port_hi = 50000; }

static uint16_t local_port(fx_t *fx, int s) {
  synack_endpoint_t me;
  if (synack_getsockname(fx->st, s, &me) < 0) return 0;
  return me.port;
}

/* bind() to a port of the ephemeral range holds it: connect() takes the other one, then none. */
static void bound_socket_holds_port(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, two_ports);
  REQUIRE(fx);
  synack_endpoint_t mine, peer;
  fx_endpoint(fx, &mine, false, 50000);
  fx_endpoint(fx, &peer, true, FX_SERVICE_PORT);
  int x = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_bind(fx->st, x, &mine), 0);
  int y = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, y, &peer), -SYNACK_EINPROGRESS);
  CHECK_EQ_U(local_port(fx, y), 50001);
  int z = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, z, &peer), -SYNACK_EADDRNOTAVAIL);
  /* Once the bound socket is gone its port is free again. */
  fx_check_rc(synack_close(fx->st, fx->now, x), 0);
  int w = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, w, &peer), -SYNACK_EINPROGRESS);
  CHECK_EQ_U(local_port(fx, w), 50000);
  fx_free(fx);
}

/* A connection reset while its handle is open leaves a CLOSED socket that still owns its
 * port (like a BSD socket until close()): the only ephemeral port is unavailable until then. */
static void closed_socket_with_handle_holds_port(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, one_port);
  REQUIRE(fx);
  int s = fx_open_active(fx);
  REQUIRE(s >= 0);
  CHECK_EQ_U(local_port(fx, s), 50000);
  /* RFC 9293 §3.10.7.4 with RFC 5961 §3: a RST at exactly RCV.NXT resets the connection. */
  fx_inject(fx, fx->now, FX_R, 1, 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_CLOSED);
  synack_endpoint_t peer;
  fx_endpoint(fx, &peer, true, FX_SERVICE_PORT);
  int t = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, t, &peer), -SYNACK_EADDRNOTAVAIL);
  fx_check_rc(synack_close(fx->st, fx->now, s), 0);
  int u = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, u, &peer), -SYNACK_EINPROGRESS);
  CHECK_EQ_U(local_port(fx, u), 50000);
  fx_free(fx);
}

/* Without any bound-only socket, many connections to one peer take distinct ports until the
 * range runs out, and closing one frees exactly its port. */
static void range_exhaustion(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_port_lo = 40000;
  c.tcp_port_hi = 40063;
  c.max_sockets = 128;
  fx_t *fx = fx_new_cfg(SYNACK_AF_INET, &c);
  REQUIRE(fx);
  synack_endpoint_t peer;
  fx_endpoint(fx, &peer, true, FX_SERVICE_PORT);
  int socks[64];
  uint64_t seen = 0;
  for (int i = 0; i < 64; i++) {
    socks[i] = synack_socket(fx->st, SYNACK_AF_INET);
    fx_check_rc(synack_connect(fx->st, fx->now, socks[i], &peer), -SYNACK_EINPROGRESS);
    uint16_t p = local_port(fx, socks[i]);
    CHECK(p >= 40000 && p <= 40063);
    if (p >= 40000 && p <= 40063) {
      CHECK(!(seen & (1ull << (p - 40000))));
      seen |= 1ull << (p - 40000);
    }
  }
  CHECK_EQ_U(seen, UINT64_MAX);
  int extra = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, extra, &peer), -SYNACK_EADDRNOTAVAIL);
  uint16_t freed = local_port(fx, socks[17]);
  fx_check_rc(synack_close(fx->st, fx->now, socks[17]), 0); /* SYN-SENT: gone at once */
  int again = synack_socket(fx->st, SYNACK_AF_INET);
  fx_check_rc(synack_connect(fx->st, fx->now, again, &peer), -SYNACK_EINPROGRESS);
  CHECK_EQ_U(local_port(fx, again), freed);
  fx_free(fx);
}

/* The bind index (tcp_port.c, issue 12 §2): with 4,096 sockets bound to 4,096 ports (16 per
 * chain of the 256), bind() and an implicit bind at connect() look at one port's chain, not at
 * every socket: the count of sockets examined per call stays at the
 * chain's length (a scan of the socket table would examine 4,096). Conflicts are still found
 * among them all, the last bound as the first. */
static void many_ports(synack_config_t *c) {
  c->max_sockets = 5000;
  c->tcp_port_lo = 60000;
  c->tcp_port_hi = 60015; /* 16 ephemeral ports, one per bucket mod 256 */
}

static void bind_index_examines_one_port(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, many_ports);
  REQUIRE(fx);
  enum { N = 4096, BASE = 20000 };
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, 0);
  for (int i = 0; i < N; i++) {
    int s = synack_socket(fx->st, SYNACK_AF_INET);
    FX_REQUIRE_(s >= 0);
    ep.port = (uint16_t)(BASE + i);
    fx_check_rc(synack_bind(fx->st, s, &ep), 0);
  }
  struct synack_tcp *tcp = fx->st->tcp;
  static const uint16_t taken[] = { BASE, BASE + 1234, BASE + N - 1 };
  for (unsigned k = 0; k < sizeof taken / sizeof taken[0]; k++) {
    int s = synack_socket(fx->st, SYNACK_AF_INET);
    ep.port = taken[k];
    uint64_t before = tcp->port_examined;
    fx_check_rc(synack_bind(fx->st, s, &ep), -SYNACK_EADDRINUSE);
    CHECK(tcp->port_examined - before <= N / SYNACK_PORT_BUCKETS);
    ep.port = (uint16_t)(BASE + N + k); /* a free port: the whole chain, still 16 at most */
    before = tcp->port_examined;
    fx_check_rc(synack_bind(fx->st, s, &ep), 0);
    CHECK(tcp->port_examined - before <= N / SYNACK_PORT_BUCKETS);
  }
  /* connect() picks an ephemeral port: every candidate's chain is 16 + the few above. */
  synack_endpoint_t peer;
  fx_endpoint(fx, &peer, true, FX_SERVICE_PORT);
  int c = synack_socket(fx->st, SYNACK_AF_INET);
  uint64_t before = tcp->port_examined;
  fx_check_rc(synack_connect(fx->st, fx->now, c, &peer), -SYNACK_EINPROGRESS);
  CHECK(tcp->port_examined - before <= N / SYNACK_PORT_BUCKETS + 4);
  CHECK(tcp->port_examined > before);
  fx_free(fx);
}

/* Every socket bound to one port hangs in one chain of the bind index (the connections accepted
 * on a listening port, the TIME-WAIT entries they leave): the chains are doubly linked so that
 * a close unlinks in O(1) instead of walking the chain (bench/bench_http.sh: 20,000 TIME-WAIT
 * entries on port 8080 made each close walk them all). 512 sockets share a port (SO_REUSEADDR)
 * and close in a scrambled order — head, tail and middle of the chain. Before each close the
 * links of every socket ahead of the closing one's predecessor are poisoned (AddressSanitizer):
 * an unlink that walks the chain from its head reads them and fails, even one that keeps the
 * back links right; the O(1) unlink touches the neighbours only. After each close: the
 * predecessor points at the successor and the successor's back link at the predecessor's link,
 * the chain is one shorter, and the invariant checker agrees. The port stays taken while one
 * socket holds it, and once all are gone a bind examines nothing. */
typedef struct {
  synack_tcb_t **head;
  size_t len;            /* sockets in the chain */
  synack_tcb_t **at;     /* the link that points at the socket looked for */
  synack_tcb_t *ahead[512]; /* the sockets before that link's owner (the predecessor) */
  size_t nahead;
} chain_pos_t;

static bool chain_find(struct synack_tcp *tcp, uint16_t port, const synack_tcb_t *tcb, chain_pos_t *c) {
  c->head = &tcp->pidx[port % SYNACK_PORT_BUCKETS];
  c->len = c->nahead = 0;
  c->at = NULL;
  for (synack_tcb_t **pp = c->head; *pp; pp = &(*pp)->pnext) {
    if (*pp == tcb) c->at = pp;
    c->len++;
  }
  if (!c->at) return false;
  /* The sockets before the predecessor (the one whose link is c->at): none when the socket is
   * the head or second. */
  if (c->at != c->head)
    for (synack_tcb_t *n = *c->head; &n->pnext != c->at && c->nahead < 512; n = n->pnext) c->ahead[c->nahead++] = n;
  return true;
}

static void bind_index_unlinks_anywhere(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, many_ports);
  REQUIRE(fx);
  enum { N = 512, PORT = 20000 };
  int socks[N];
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, PORT);
  for (int i = 0; i < N; i++) {
    socks[i] = synack_socket(fx->st, SYNACK_AF_INET);
    FX_REQUIRE_(socks[i] >= 0);
    fx_check_rc(synack_setsockopt(fx->st, socks[i], SYNACK_SO_REUSEADDR, 1), 0);
    fx_check_rc(synack_bind(fx->st, socks[i], &ep), 0);
  }
  struct synack_tcp *tcp = fx->st->tcp;
  static chain_pos_t c;
  char why[160] = "";
  size_t poisoned = 0;
  for (int k = 0; k < N; k++) {
    int i = (k * 7) % N; /* 7 is prime to 512: each index once; the first bound is the chain's tail */
    FX_REQUIRE_(socks[i] >= 0);
    synack_tcb_t *tcb = tcp->socks[socks[i]];
    FX_REQUIRE_(tcb && chain_find(tcp, PORT, tcb, &c));
    synack_tcb_t *succ = tcb->pnext;
    for (size_t a = 0; a < c.nahead; a++) TH_POISON(&c.ahead[a]->pnext, sizeof c.ahead[a]->pnext);
    poisoned += c.nahead;
    fx_check_rc(synack_close(fx->st, fx->now, socks[i]), 0);
    for (size_t a = 0; a < c.nahead; a++) TH_UNPOISON(&c.ahead[a]->pnext, sizeof c.ahead[a]->pnext);
    socks[i] = -1;
    CHECK(*c.at == succ);                      /* the predecessor (or the head) skips it */
    if (succ) CHECK(succ->pprev == c.at);      /* and the successor's back link follows */
    size_t len = 0;
    for (synack_tcb_t **pp = c.head; *pp; pp = &(*pp)->pnext) len++;
    CHECK_EQ_U(len, c.len - 1);
    if (!synack_tcp_check_invariants(fx->st, why, sizeof why)) break;
    if (k == N / 2) { /* half closed: the port is still taken for a bind without SO_REUSEADDR */
      int t = synack_socket(fx->st, SYNACK_AF_INET);
      fx_check_rc(synack_bind(fx->st, t, &ep), -SYNACK_EADDRINUSE);
      fx_check_rc(synack_close(fx->st, fx->now, t), 0);
    }
  }
  CHECK_STR(why, "");
  CHECK(poisoned >= (size_t)N * N / 4); /* on average a quarter of the chain lay ahead of a close */
  int t = synack_socket(fx->st, SYNACK_AF_INET);
  uint64_t before = fx->st->tcp->port_examined;
  fx_check_rc(synack_bind(fx->st, t, &ep), 0);
  CHECK_EQ_U(fx->st->tcp->port_examined - before, 0);
  fx_free(fx);
}

TH_MAIN(TH_CASE(bind_index_examines_one_port), TH_CASE(bind_index_unlinks_anywhere), TH_CASE(bound_socket_holds_port), TH_CASE(closed_socket_with_handle_holds_port), TH_CASE(range_exhaustion))
