/* UDP sockets (RFC 768; RFC 1122 §4.1.3; RFC 8085 on what an API owes its applications):
 * the socket table, binding and the port index, demultiplexing of received datagrams, the
 * per-socket receive queues, sending, and ICMP errors reported to connected sockets.
 * Semantics and choices: include/synack/udp.h and docs/udp.md. */
#include <string.h>

#include "ip.h"
#include "tcp_internal.h" /* the shared handle table and the keyed tuple hash */
#include "wire_bytes.h"

enum {
  UF_BOUND = 1u << 0,
  UF_CONNECTED = 1u << 1,
  UF_REUSEADDR = 1u << 2,
  UF_REUSEPORT = 1u << 3,
  UF_BROADCAST = 1u << 4,
  UF_V6ONLY = 1u << 5,
  UF_WANT_WRITE = 1u << 6, /* a send met a full transmit ring: post WRITABLE when room returns */
};

typedef struct udp_dgram {
  struct udp_dgram *next;
  synack_endpoint_t from; /* in the socket's family (v4-mapped for IPv4 on an AF_INET6 socket) */
  uint32_t len;
  uint8_t data[];
} udp_dgram_t;

typedef struct udp_sock {
  struct udp_sock *pnext; /* port chain */
  int sock;
  uint8_t family;
  uint32_t flags;         /* UF_* */
  uint8_t laddr[16];      /* in the socket's family: 4 bytes used for AF_INET; zero = any */
  uint8_t raddr[16];
  uint16_t lport, rport;
  int so_error;           /* pending ICMP error (negative), reported once */
  uint8_t ttl, tos;
  uint32_t rcvbuf;
  uint32_t rq_bytes, rq_count;
  udp_dgram_t *rq_head, *rq_tail;
  uint64_t drops;
} udp_sock_t;

#define UDP_PORT_BUCKETS 256u

struct synack_udp {
  udp_sock_t **socks; /* indexed by handle; the same handle space as TCP's table */
  uint32_t nsocks;
  udp_sock_t *ports[UDP_PORT_BUCKETS];
  uint32_t want_write; /* sockets with UF_WANT_WRITE */
};

static const uint8_t zero16[16];

static size_t alen(uint8_t family) { return family == SYNACK_AF_INET6 ? 16 : 4; }
static unsigned bucket(uint16_t port) { return port & (UDP_PORT_BUCKETS - 1u); }

static bool is_mapped(const uint8_t *a) { return synack_addr_is_v4mapped(a); }
static void map4(const uint8_t *v4, uint8_t *out16) { synack_addr_map4(v4, out16); }

/* ---------- module ---------- */

int synack_udp_init(synack_stack_t *st) {
  struct synack_udp *u = synack_mem_alloc(st, sizeof *u);
  if (!u) return -SYNACK_ENOMEM;
  st->udp = u;
  u->nsocks = st->tcp ? st->tcp->nsocks : 0;
  u->socks = synack_mem_alloc(st, (u->nsocks ? u->nsocks : 1) * sizeof *u->socks);
  if (!u->socks) {
    synack_udp_fini(st);
    return -SYNACK_ENOMEM;
  }
  return 0;
}

static void rq_free(synack_stack_t *st, udp_sock_t *s) {
  while (s->rq_head) {
    udp_dgram_t *d = s->rq_head;
    s->rq_head = d->next;
    synack_mem_free(st, d, sizeof *d + d->len);
  }
  s->rq_tail = NULL;
  s->rq_bytes = s->rq_count = 0;
}

void synack_udp_fini(synack_stack_t *st) {
  struct synack_udp *u = st->udp;
  if (!u) return;
  for (uint32_t i = 0; u->socks && i < u->nsocks; i++) {
    if (!u->socks[i]) continue;
    rq_free(st, u->socks[i]);
    synack_mem_free(st, u->socks[i], sizeof *u->socks[i]);
  }
  if (u->socks) synack_mem_free(st, u->socks, (u->nsocks ? u->nsocks : 1) * sizeof *u->socks);
  synack_mem_free(st, u, sizeof *u);
  st->udp = NULL;
}

bool synack_udp_holds_handle(const synack_stack_t *st, uint32_t i) {
  return st->udp && i < st->udp->nsocks && st->udp->socks[i] != NULL;
}

bool synack_udp_is_socket(const synack_stack_t *st, int sock) {
  return st && sock >= 0 && synack_udp_holds_handle(st, (uint32_t)sock);
}

static udp_sock_t *get(synack_stack_t *st, int sock) {
  if (!synack_udp_is_socket(st, sock)) return NULL;
  return st->udp->socks[sock];
}

/* ---------- the port index ---------- */

static void port_link(synack_stack_t *st, udp_sock_t *s) {
  udp_sock_t **head = &st->udp->ports[bucket(s->lport)];
  s->pnext = *head; /* newest first: among equal matches the latest bound socket receives, as Linux */
  *head = s;
}

static void port_unlink(synack_stack_t *st, udp_sock_t *s) {
  if (!(s->flags & UF_BOUND)) return;
  udp_sock_t **pp = &st->udp->ports[bucket(s->lport)];
  while (*pp && *pp != s) pp = &(*pp)->pnext;
  if (*pp) *pp = s->pnext;
  s->pnext = NULL;
}

/* Linux's rules for UDP: sockets may share a port on overlapping addresses when all of them set
 * SO_REUSEADDR, or all of them set SO_REUSEPORT. */
static bool port_conflict(synack_stack_t *st, const udp_sock_t *self, const uint8_t *laddr, uint16_t port) {
  for (const udp_sock_t *o = st->udp->ports[bucket(port)]; o; o = o->pnext) {
    if (o == self || o->lport != port) continue;
    if (!synack_local_overlap(self->family, laddr, (self->flags & UF_V6ONLY) != 0, o->family, o->laddr,
                              (o->flags & UF_V6ONLY) != 0))
      continue;
    if ((self->flags & UF_REUSEADDR) && (o->flags & UF_REUSEADDR)) continue;
    if ((self->flags & UF_REUSEPORT) && (o->flags & UF_REUSEPORT)) continue;
    return true;
  }
  return false;
}

typedef struct {
  udp_sock_t *s;
  const uint8_t *laddr;
} autobind_ctx_t;

static bool autobind_usable(synack_stack_t *st, uint16_t port, void *ctx) {
  autobind_ctx_t *c = ctx;
  return !port_conflict(st, c->s, c->laddr, port);
}

static int do_bind(synack_stack_t *st, udp_sock_t *s, const uint8_t *laddr, uint16_t port) {
  if (port == 0) {
    /* RFC 6056 §3.3.1 (Algorithm 1): a random start in the range, then the next free port. The
     * start is drawn for every bind, so a resolver's consecutive queries use unrelated ports
     * (RFC 5452 §9.2); the draw comes from the stack's secret-keyed generator. */
    autobind_ctx_t c = { s, laddr };
    int p = synack_port_search(st, synack_random_u32(st), autobind_usable, &c, NULL);
    if (p < 0) return -SYNACK_EADDRINUSE; /* Linux: a full range is EADDRINUSE for bind() */
    port = (uint16_t)p;
  } else if (port_conflict(st, s, laddr, port)) {
    return -SYNACK_EADDRINUSE;
  }
  memcpy(s->laddr, laddr, 16);
  s->lport = port;
  s->flags |= UF_BOUND;
  port_link(st, s);
  return 0;
}

/* ---------- the socket API ---------- */

int synack_udp_socket(synack_stack_t *st, int family) {
  if (!st || !st->udp || !st->tcp) return -SYNACK_EINVAL;
  if (family != SYNACK_AF_INET && family != SYNACK_AF_INET6) return -SYNACK_EAFNOSUPPORT;
  struct synack_udp *u = st->udp;
  uint32_t h = 0;
  while (h < u->nsocks && (u->socks[h] || st->tcp->socks[h])) h++;
  if (h == u->nsocks) return -SYNACK_EMFILE;
  udp_sock_t *s = synack_mem_alloc(st, sizeof *s);
  if (!s) return -SYNACK_ENOMEM;
  s->sock = (int)h;
  s->family = (uint8_t)family;
  s->rcvbuf = st->cfg.udp_rcvbuf;
  u->socks[h] = s;
  synack_event_forget(st, (int)h);
  synack_event_post(st, (int)h, SYNACK_EV_WRITABLE, 0);
  return (int)h;
}

/* The endpoint's address in the socket's family, or an error. An AF_INET endpoint given to an
 * AF_INET6 socket is taken as v4-mapped (Linux's udpv6_sendmsg does the same for sendto). */
static int to_sock_addr(const udp_sock_t *s, const synack_ip_t *ip, uint8_t out[16]) {
  memset(out, 0, 16);
  if (ip->family == 0) return 0;
  if (ip->family == s->family) {
    memcpy(out, ip->b, alen(s->family));
    return 0;
  }
  if (s->family == SYNACK_AF_INET6 && ip->family == SYNACK_AF_INET) {
    map4(ip->b, out);
    return 0;
  }
  return -SYNACK_EAFNOSUPPORT;
}

/* The wire form of an address held in the socket's family: a v4-mapped one is IPv4. */
static synack_ip_t wire_ip(const udp_sock_t *s, const uint8_t *a) {
  synack_ip_t ip;
  memset(&ip, 0, sizeof ip);
  if (s->family == SYNACK_AF_INET6 && is_mapped(a)) {
    ip.family = SYNACK_AF_INET;
    memcpy(ip.b, a + 12, 4);
  } else {
    ip.family = s->family;
    memcpy(ip.b, a, alen(s->family));
  }
  return ip;
}

int synack_udp_bind(synack_stack_t *st, int sock, const synack_endpoint_t *local) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (!local) return -SYNACK_EINVAL;
  if (s->flags & UF_BOUND) return -SYNACK_EINVAL;
  uint8_t a[16];
  int rc = to_sock_addr(s, &local->ip, a);
  if (rc < 0) return rc;
  if (memcmp(a, zero16, 16) != 0) {
    if (s->family == SYNACK_AF_INET6 && is_mapped(a) && (s->flags & UF_V6ONLY)) return -SYNACK_EINVAL;
    synack_ip_t w = wire_ip(s, a);
    if (!synack_is_local_addr(st, &w)) return -SYNACK_EADDRNOTAVAIL;
  }
  return do_bind(st, s, a, local->port);
}

int synack_udp_connect(synack_stack_t *st, int sock, const synack_endpoint_t *remote) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (!remote) return -SYNACK_EINVAL;
  if (remote->ip.family == 0) {
    /* Linux connect(AF_UNSPEC): dissolve the association, keep the port. */
    s->flags &= ~(uint32_t)UF_CONNECTED;
    memset(s->raddr, 0, sizeof s->raddr);
    s->rport = 0;
    return 0;
  }
  uint8_t r[16];
  int rc = to_sock_addr(s, &remote->ip, r);
  if (rc < 0) return rc;
  if (remote->port == 0 || memcmp(r, zero16, 16) == 0) return -SYNACK_EINVAL;
  synack_ip_t w = wire_ip(s, r);
  if (s->family == SYNACK_AF_INET6 && w.family == SYNACK_AF_INET && (s->flags & UF_V6ONLY))
    return -SYNACK_ENETUNREACH;
  synack_ip_t src;
  if (!synack_route_src(st, &w, &src)) return -SYNACK_ENETUNREACH;
  if (!(s->flags & UF_BOUND)) {
    rc = do_bind(st, s, zero16, 0);
    if (rc < 0) return -SYNACK_EAGAIN; /* Linux: autobind failure */
  }
  memcpy(s->raddr, r, 16);
  s->rport = remote->port;
  s->flags |= UF_CONNECTED;
  s->so_error = 0;
  return 0;
}

/* A send met a full transmit ring: WRITABLE is posted when room returns (synack_udp_tx_room). */
static void want_write(synack_stack_t *st, udp_sock_t *s) {
  if (s->flags & UF_WANT_WRITE) return;
  s->flags |= UF_WANT_WRITE;
  st->udp->want_write++;
}

static int take_error(udp_sock_t *s) {
  int e = s->so_error;
  s->so_error = 0;
  return e;
}

int64_t synack_udp_sendto(synack_stack_t *st, synack_time_t now, int sock, const void *buf, size_t len, int flags,
                          const synack_endpoint_t *to) {
  (void)flags;
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (now > st->now) st->now = now;
  if (s->so_error) return take_error(s);
  if (len && !buf) return -SYNACK_EFAULT;
  uint8_t r[16];
  uint16_t rport;
  if (to) {
    int rc = to_sock_addr(s, &to->ip, r);
    if (rc < 0) return rc;
    if (to->port == 0) return -SYNACK_EINVAL;
    rport = to->port;
  } else if (s->flags & UF_CONNECTED) {
    memcpy(r, s->raddr, 16);
    rport = s->rport;
  } else {
    return -SYNACK_EDESTADDRREQ;
  }
  if (memcmp(r, zero16, 16) == 0) return -SYNACK_EINVAL;
  synack_ip_t dst = wire_ip(s, r);
  if (s->family == SYNACK_AF_INET6 && dst.family == SYNACK_AF_INET && (s->flags & UF_V6ONLY))
    return -SYNACK_ENETUNREACH;
  /* Linux: sending to a broadcast address needs SO_BROADCAST (EACCES otherwise). */
  if (dst.family == SYNACK_AF_INET && synack_ip4_is_bcast_mcast(st, &dst) && (dst.b[0] & 0xf0) != 0xe0 &&
      !(s->flags & UF_BROADCAST))
    return -SYNACK_EACCES;
  if (dst.family == SYNACK_AF_INET6 && dst.b[0] == 0xff) return -SYNACK_ENETUNREACH; /* no MLD here */
  synack_ip_t src;
  if (memcmp(s->laddr, zero16, 16) != 0) {
    src = wire_ip(s, s->laddr);
    if (src.family != dst.family) return -SYNACK_ENETUNREACH;
  } else if (!synack_route_src(st, &dst, &src)) {
    return -SYNACK_ENETUNREACH;
  }
  size_t l3 = dst.family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  uint32_t mtu = synack_route_mtu(st, &dst);
  /* The largest datagram: the IPv4 total length (65,535) less both headers is 65,507 bytes;
   * IPv6's payload length (65,535) counts the UDP header only, 65,527 (no jumbograms). */
  size_t max = 65535 - SYNACK_UDP_HDR_LEN - (dst.family == SYNACK_AF_INET6 ? 0 : SYNACK_IP4_HDR_LEN);
  if (len > max) return -SYNACK_EMSGSIZE;
  if (!(s->flags & UF_BOUND) && do_bind(st, s, zero16, 0) < 0) return -SYNACK_EAGAIN;
  synack_udp_repr_t u = { .src_port = s->lport, .dst_port = rport, .payload = buf, .payload_len = len };
  if (mtu < l3 + SYNACK_UDP_HDR_LEN || len > mtu - l3 - SYNACK_UDP_HDR_LEN) {
    /* Larger than the link: sent as IP fragments (RFC 791 §2.3, RFC 8200 §4.5), as Linux does
     * by default (IP_PMTUDISC_WANT / IPV6_PMTUDISC_WANT): fragments without DF, while a
     * datagram that fits goes out with DF set (synack_tx_commit). The checksum covers the
     * whole datagram, so it is computed before the payload is cut. */
    uint8_t hdr[SYNACK_UDP_HDR_LEN];
    synack_udp_header(&u, &src, &dst, hdr);
    int nf = synack_tx_fragmented(st, &src, &dst, SYNACK_IPPROTO_UDP, s->tos, s->ttl, hdr, sizeof hdr, buf, len);
    if (nf == -SYNACK_EAGAIN) {
      want_write(st, s);
      return -SYNACK_EAGAIN;
    }
    if (nf < 0) return nf;
    synack_count(st, SYNACK_CTR_UDP_DGRAMS_OUT);
    return (int64_t)len;
  }
  synack_tx_t tx;
  if (!synack_tx_begin(st, &dst, &tx) || tx.l4_cap < SYNACK_UDP_HDR_LEN + len) {
    want_write(st, s);
    return -SYNACK_EAGAIN;
  }
  /* The checksum is always computed (even with csum_offload_tx): the link offload is set up for
   * TCP, and over IPv6 a zero UDP checksum is not allowed (RFC 8200 §8.1). */
  size_t n = synack_udp_emit(&u, &src, &dst, tx.l4, tx.l4_cap);
  if (!n) {
    synack_tx_cancel(st, &tx);
    return -SYNACK_EMSGSIZE;
  }
  synack_tx_commit(st, &tx, &src, &dst, SYNACK_IPPROTO_UDP, s->tos, s->ttl, n);
  synack_count(st, SYNACK_CTR_UDP_DGRAMS_OUT);
  return (int64_t)len;
}

int64_t synack_udp_recvfrom(synack_stack_t *st, synack_time_t now, int sock, void *buf, size_t len, int flags,
                            synack_endpoint_t *from) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (now > st->now) st->now = now;
  /* Linux's __skb_recv_udp: a pending error is reported before the queued datagrams. */
  if (s->so_error) return take_error(s);
  udp_dgram_t *d = s->rq_head;
  if (!d) return -SYNACK_EAGAIN;
  if (len && !buf) return -SYNACK_EFAULT;
  uint32_t n = d->len < len ? d->len : (uint32_t)len;
  if (n) memcpy(buf, d->data, n);
  if (from) *from = d->from;
  int64_t ret = (flags & SYNACK_MSG_TRUNC) ? (int64_t)d->len : (int64_t)n;
  if (!(flags & SYNACK_MSG_PEEK)) {
    s->rq_head = d->next;
    if (!s->rq_head) s->rq_tail = NULL;
    s->rq_count--;
    s->rq_bytes -= d->len + SYNACK_UDP_DGRAM_OVERHEAD;
    synack_mem_free(st, d, sizeof *d + d->len);
  }
  return ret;
}

int synack_udp_close(synack_stack_t *st, int sock) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  port_unlink(st, s);
  if (s->flags & UF_WANT_WRITE) st->udp->want_write--;
  rq_free(st, s);
  st->udp->socks[sock] = NULL;
  synack_event_forget(st, sock);
  synack_mem_free(st, s, sizeof *s);
  return 0;
}

/* The options are tested with if-chains rather than a switch: a UDP socket knows a few of them,
 * and a switch would have to list every TCP option that others add to synack_sockopt_t. */
static uint32_t flag_of(const udp_sock_t *s, synack_sockopt_t opt) {
  if (opt == SYNACK_SO_REUSEADDR) return UF_REUSEADDR;
  if (opt == SYNACK_SO_REUSEPORT) return UF_REUSEPORT;
  if (opt == SYNACK_SO_BROADCAST) return UF_BROADCAST;
  if (opt == SYNACK_IPV6_V6ONLY && s->family == SYNACK_AF_INET6) return UF_V6ONLY;
  return 0;
}

int synack_udp_setsockopt(synack_stack_t *st, int sock, synack_sockopt_t opt, int v) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  uint32_t bit = flag_of(s, opt);
  if (bit) {
    if (bit == UF_V6ONLY && (s->flags & UF_BOUND)) return -SYNACK_EINVAL; /* Linux: only before bind */
    if (v) s->flags |= bit;
    else s->flags &= ~bit;
    return 0;
  }
  if (opt == SYNACK_SO_RCVBUF) {
    if (v <= 0) return -SYNACK_EINVAL;
    /* Linux doubles the value for its bookkeeping; here the bound is the value itself, in
     * payload plus SYNACK_UDP_DGRAM_OVERHEAD per datagram. */
    s->rcvbuf = (uint32_t)v > st->cfg.tcp_max_buf ? st->cfg.tcp_max_buf : (uint32_t)v;
    if (s->rcvbuf < 256) s->rcvbuf = 256;
    return 0;
  }
  if (opt == SYNACK_IP_TTL || opt == SYNACK_IP_TOS) {
    if (v < 0 || v > 255) return -SYNACK_EINVAL;
    if (opt == SYNACK_IP_TTL) s->ttl = (uint8_t)v;
    else s->tos = (uint8_t)v;
    return 0;
  }
  if (opt == SYNACK_SO_ERROR || opt == SYNACK_SO_INQ || opt == SYNACK_SO_OUTQ) return -SYNACK_EINVAL; /* read-only */
  return -SYNACK_ENOPROTOOPT;
}

int synack_udp_getsockopt(synack_stack_t *st, int sock, synack_sockopt_t opt, int *v) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (!v) return -SYNACK_EFAULT;
  uint32_t bit = flag_of(s, opt);
  if (bit) *v = (s->flags & bit) != 0;
  else if (opt == SYNACK_SO_RCVBUF) *v = (int)s->rcvbuf;
  else if (opt == SYNACK_SO_ERROR) *v = take_error(s);
  else if (opt == SYNACK_SO_INQ) *v = s->rq_head ? (int)s->rq_head->len : 0; /* Linux SIOCINQ on UDP */
  else if (opt == SYNACK_SO_OUTQ) *v = 0; /* datagrams go straight to the transmit ring */
  else if (opt == SYNACK_IP_TTL) *v = s->ttl ? s->ttl : st->cfg.ttl;
  else if (opt == SYNACK_IP_TOS) *v = s->tos;
  else return -SYNACK_ENOPROTOOPT;
  return 0;
}

static void endpoint_of(const udp_sock_t *s, const uint8_t *a, uint16_t port, synack_endpoint_t *out) {
  memset(out, 0, sizeof *out);
  out->ip.family = s->family;
  memcpy(out->ip.b, a, alen(s->family));
  out->port = port;
}

int synack_udp_getsockname(synack_stack_t *st, int sock, synack_endpoint_t *out) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  endpoint_of(s, s->laddr, s->lport, out);
  return 0;
}

int synack_udp_getpeername(synack_stack_t *st, int sock, synack_endpoint_t *out) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  if (!(s->flags & UF_CONNECTED)) return -SYNACK_ENOTCONN;
  endpoint_of(s, s->raddr, s->rport, out);
  return 0;
}

uint32_t synack_udp_poll(synack_stack_t *st, int sock) {
  udp_sock_t *s = get(st, sock);
  if (!s) return SYNACK_EV_ERROR;
  uint32_t ev = 0;
  if (s->rq_head || s->so_error) ev |= SYNACK_EV_READABLE;
  if (synack_tx_room(st) > 0) ev |= SYNACK_EV_WRITABLE;
  if (s->so_error) ev |= SYNACK_EV_ERROR;
  return ev;
}

int synack_udp_drops(synack_stack_t *st, int sock, uint64_t *out) {
  udp_sock_t *s = get(st, sock);
  if (!s) return -SYNACK_EBADF;
  if (!out) return -SYNACK_EFAULT;
  *out = s->drops;
  return 0;
}

void synack_udp_tx_room(synack_stack_t *st) {
  struct synack_udp *u = st->udp;
  if (!u || !u->want_write) return;
  for (uint32_t i = 0; i < u->nsocks && u->want_write; i++) {
    udp_sock_t *s = u->socks[i];
    if (!s || !(s->flags & UF_WANT_WRITE)) continue;
    s->flags &= ~(uint32_t)UF_WANT_WRITE;
    u->want_write--;
    synack_event_post(st, s->sock, SYNACK_EV_WRITABLE, 0);
  }
}

/* ---------- input ---------- */

/* How well socket s matches a datagram (src, sport) -> (dst, dport), or -1. Like Linux's
 * compute_score: a socket of the datagram's own family beats a dual-stack one, and each
 * specific field (local address, connected peer) that matches adds to the score. */
static int score(const udp_sock_t *s, const synack_ip_t *src, uint16_t sport, const synack_ip_t *dst, bool bcast) {
  uint8_t la[16] = { 0 }, ra[16] = { 0 };
  int sc;
  if (s->family == src->family) {
    memcpy(la, dst->b, alen(s->family));
    memcpy(ra, src->b, alen(s->family));
    sc = 2;
  } else if (s->family == SYNACK_AF_INET6 && src->family == SYNACK_AF_INET && !(s->flags & UF_V6ONLY)) {
    map4(dst->b, la);
    map4(src->b, ra);
    sc = 1;
  } else {
    return -1;
  }
  size_t n = alen(s->family);
  if (memcmp(s->laddr, zero16, n) != 0) {
    if (bcast || memcmp(s->laddr, la, n) != 0) return -1;
    sc += 4;
  } else if (s->family == SYNACK_AF_INET6 && src->family == SYNACK_AF_INET && (s->flags & UF_V6ONLY)) {
    return -1;
  }
  if (s->flags & UF_CONNECTED) {
    if (s->rport != sport || memcmp(s->raddr, ra, n) != 0) return -1;
    sc += 8;
  }
  return sc;
}

static void enqueue(synack_stack_t *st, udp_sock_t *s, const synack_ip_t *src, const synack_udp_repr_t *u) {
  uint32_t cost = (uint32_t)u->payload_len + SYNACK_UDP_DGRAM_OVERHEAD;
  /* The queue is bounded in bytes; an empty queue always takes one datagram, so that a
   * datagram larger than a small SO_RCVBUF is not refused for ever. */
  if (s->rq_count && (uint64_t)s->rq_bytes + cost > s->rcvbuf) {
    s->drops++;
    synack_drop(st, SYNACK_DROP_UDP_RCVBUF_FULL, u->payload - SYNACK_UDP_HDR_LEN, u->length);
    return;
  }
  udp_dgram_t *d = synack_mem_alloc(st, sizeof *d + u->payload_len);
  if (!d) {
    s->drops++;
    synack_drop(st, SYNACK_DROP_UDP_NO_MEMORY, NULL, 0);
    return;
  }
  d->len = (uint32_t)u->payload_len;
  if (u->payload_len) memcpy(d->data, u->payload, u->payload_len);
  d->from.port = u->src_port;
  d->from.ip.family = s->family;
  if (s->family == src->family) memcpy(d->from.ip.b, src->b, 16);
  else map4(src->b, d->from.ip.b);
  if (s->rq_tail) s->rq_tail->next = d;
  else s->rq_head = d;
  s->rq_tail = d;
  s->rq_count++;
  s->rq_bytes += cost;
  synack_count(st, SYNACK_CTR_UDP_DGRAMS_IN);
  synack_event_post(st, s->sock, SYNACK_EV_READABLE, 0);
}

bool synack_udp_deliver(synack_stack_t *st, const synack_ip_t *src, const synack_ip_t *dst, const synack_udp_repr_t *u,
                        unsigned flags) {
  if (!st->udp) return false;
  bool bcast = (flags & SYNACK_RX_L3_MULTICAST) != 0;
  udp_sock_t *chain = st->udp->ports[bucket(u->dst_port)];
  if (bcast) {
    /* RFC 1122 §4.1.3.4 / Linux: a broadcast datagram goes to every socket that matches. */
    bool any = false;
    for (udp_sock_t *s = chain; s; s = s->pnext)
      if (s->lport == u->dst_port && score(s, src, u->src_port, dst, true) >= 0) {
        enqueue(st, s, src, u);
        any = true;
      }
    return any;
  }
  udp_sock_t *best = NULL;
  int best_sc = -1;
  uint32_t group = 0; /* SO_REUSEPORT sockets with the best score */
  for (udp_sock_t *s = chain; s; s = s->pnext) {
    if (s->lport != u->dst_port) continue;
    int sc = score(s, src, u->src_port, dst, false);
    if (sc < 0) continue;
    if (sc > best_sc) {
      best_sc = sc;
      best = s;
      group = 0;
    }
    if (sc == best_sc && (s->flags & UF_REUSEPORT) && !(s->flags & UF_CONNECTED)) group++;
  }
  if (!best) return false;
  if (group > 1 && (best->flags & UF_REUSEPORT) && !(best->flags & UF_CONNECTED)) {
    /* SO_REUSEPORT: one member of the group per flow, chosen by a keyed hash of the 4-tuple so
     * that a peer cannot steer its datagrams to a chosen socket. */
    synack_tuple_t t;
    synack_tuple_rx(&t, src, dst, u->src_port, u->dst_port);
    uint32_t pick = (uint32_t)(synack_tcp_tuple_hash(st, SYNACK_KEY_DEMUX, &t, NULL, 0) % group);
    for (udp_sock_t *s = chain; s; s = s->pnext) {
      if (s->lport != u->dst_port || !(s->flags & UF_REUSEPORT) || (s->flags & UF_CONNECTED)) continue;
      if (score(s, src, u->src_port, dst, false) != best_sc) continue;
      if (pick-- == 0) {
        best = s;
        break;
      }
    }
  }
  enqueue(st, best, src, u);
  return true;
}

/* Linux's icmp_err_convert / icmpv6_err_convert: the errors a connected socket reports ("hard"
 * errors); others (time exceeded, source quench...) are not reported without IP_RECVERR. */
static int icmp_to_errno(uint8_t family, uint8_t type, uint8_t code) {
  if (family == SYNACK_AF_INET) {
    if (type != SYNACK_ICMP4_DEST_UNREACH) return 0;
    switch (code) {
    case 0: return -SYNACK_ENETUNREACH;  /* net unreachable */
    case 1: return -SYNACK_EHOSTUNREACH; /* host unreachable */
    case 2: return -SYNACK_ENOPROTOOPT;  /* protocol unreachable */
    case 3: return -SYNACK_ECONNREFUSED; /* RFC 1122 §4.1.3.3: port unreachable */
    case 4: return -SYNACK_EMSGSIZE;     /* fragmentation needed */
    case 6: return -SYNACK_ENETUNREACH;
    case 7: return -SYNACK_EHOSTUNREACH;
    case 9: return -SYNACK_ENETUNREACH;
    case 10: return -SYNACK_EHOSTUNREACH;
    case 13: return -SYNACK_EHOSTUNREACH; /* administratively prohibited */
    default: return 0;
    }
  }
  if (type == SYNACK_ICMP6_DEST_UNREACH) {
    switch (code) {
    case 0: return -SYNACK_EHOSTUNREACH; /* no route */
    case 1: return -SYNACK_EACCES;       /* administratively prohibited */
    case 3: return -SYNACK_EHOSTUNREACH; /* address unreachable */
    case 4: return -SYNACK_ECONNREFUSED; /* RFC 4443 §3.1: port unreachable */
    default: return 0;
    }
  }
  if (type == SYNACK_ICMP6_PACKET_TOO_BIG) return -SYNACK_EMSGSIZE;
  if (type == SYNACK_ICMP6_PARAM_PROBLEM) return -SYNACK_EPROTO;
  return 0;
}

void synack_udp_icmp_error(synack_stack_t *st, uint8_t family, uint8_t type, uint8_t code, const uint8_t *quoted,
                           size_t len) {
  if (!st->udp) return;
  int err = icmp_to_errno(family, type, code);
  if (!err) return;
  /* The quote is our datagram: its source is our address and port, its destination the peer. */
  synack_ip_t ours, peer;
  memset(&ours, 0, sizeof ours);
  memset(&peer, 0, sizeof peer);
  const uint8_t *udp;
  if (family == SYNACK_AF_INET) {
    size_t ihl = (size_t)(quoted[0] & 0x0f) * 4u;
    if (len < SYNACK_IP4_HDR_LEN || ihl < SYNACK_IP4_HDR_LEN || len < ihl + 8) return;
    /* only the first fragment of a fragmented datagram starts with the UDP header */
    if (rd16(quoted + 6) & 0x1fff) return;
    ours.family = peer.family = SYNACK_AF_INET;
    memcpy(ours.b, quoted + 12, 4);
    memcpy(peer.b, quoted + 16, 4);
    udp = quoted + ihl;
  } else {
    /* The only extension header we send is the fragment header of a datagram larger than the
     * MTU (ip_frag_out.c): the UDP header follows it in the first fragment (offset 0). */
    if (len < SYNACK_IP6_HDR_LEN + 8) return;
    size_t at = SYNACK_IP6_HDR_LEN;
    uint8_t nh = quoted[6];
    if (nh == SYNACK_IP6_NH_FRAGMENT) {
      if (len < SYNACK_IP6_HDR_LEN + 16 || (rd16(quoted + at + 2) & 0xfff8) != 0) return;
      nh = quoted[at];
      at += 8;
    }
    if (nh != SYNACK_IPPROTO_UDP) return;
    ours.family = peer.family = SYNACK_AF_INET6;
    memcpy(ours.b, quoted + 8, 16);
    memcpy(peer.b, quoted + 24, 16);
    udp = quoted + at;
  }
  uint16_t lport = rd16(udp), rport = rd16(udp + 2);
  /* RFC 1122 §4.1.3.3 passes ICMP errors to the application; like Linux without IP_RECVERR,
   * only a connected socket whose peer is the quoted destination hears of it. The lookup is
   * the reverse of a datagram from the peer. */
  for (udp_sock_t *s = st->udp->ports[bucket(lport)]; s; s = s->pnext) {
    if (s->lport != lport || !(s->flags & UF_CONNECTED)) continue;
    if (score(s, &peer, rport, &ours, false) < 0) continue;
    s->so_error = err;
    synack_count(st, SYNACK_CTR_UDP_ICMP_ERRORS);
    synack_event_post(st, s->sock, SYNACK_EV_ERROR | SYNACK_EV_READABLE, err);
    return;
  }
}
