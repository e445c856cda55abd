#define _POSIX_C_SOURCE 200809L /* fmemopen */
/* Connections in capture files (see pcapconn.h). */
#include "pcapconn.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LT_NULL 0
#define LT_ETHERNET 1
#define LT_RAW_BSD12 12
#define LT_RAW_BSD14 14
#define LT_RAW 101
#define LT_LOOP 108
#define LT_SLL 113
#define LT_SLL2 276

static void seterr(char *err, size_t cap, const char *fmt, ...) {
  if (!err || !cap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The IP packet inside a link-layer frame, or NULL. */
static const uint8_t *link_ip(uint32_t lt, const uint8_t *f, size_t len, size_t *iplen) {
  size_t off;
  uint16_t type = 0;
  switch (lt) {
  case LT_ETHERNET:
    if (len < 14) return NULL;
    type = be16(f + 12);
    off = 14;
    while ((type == 0x8100 || type == 0x88a8) && len >= off + 4) { /* VLAN tags */
      type = be16(f + off + 2);
      off += 4;
    }
    if (type != 0x0800 && type != 0x86dd) return NULL;
    break;
  case LT_SLL:
    if (len < 16) return NULL;
    type = be16(f + 14);
    off = 16;
    if (type != 0x0800 && type != 0x86dd) return NULL;
    break;
  case LT_SLL2:
    if (len < 20) return NULL;
    type = be16(f);
    off = 20;
    if (type != 0x0800 && type != 0x86dd) return NULL;
    break;
  case LT_NULL:
  case LT_LOOP:
    if (len < 4) return NULL;
    off = 4; /* address family (host or network order): the IP version nibble tells us anyway */
    break;
  case LT_RAW:
  case LT_RAW_BSD12:
  case LT_RAW_BSD14:
    off = 0;
    break;
  default:
    return NULL;
  }
  if (off >= len) return NULL;
  *iplen = len - off;
  return f + off;
}

typedef struct {
  synack_endpoint_t src, dst;
  synack_tcp_repr_t tcp;
} seg_t;

/* Parses one record down to TCP, without checksum checks. */
static bool parse(uint32_t lt, const uint8_t *f, size_t len, seg_t *s) {
  size_t iplen;
  const uint8_t *ip = link_ip(lt, f, len, &iplen);
  if (!ip || iplen < 1) return false;
  const uint8_t *l4;
  size_t l4len;
  memset(s, 0, sizeof *s);
  if ((ip[0] >> 4) == 4) {
    synack_ip4_repr_t r;
    synack_drop_reason_t d = synack_ip4_parse(ip, iplen, SYNACK_PARSE_NO_CSUM, &r);
    if ((d != SYNACK_DROP_NONE && d != SYNACK_DROP_IP4_TTL_ZERO) || r.proto != SYNACK_IPPROTO_TCP || r.frag_off != 0)
      return false;
    s->src.ip = r.src;
    s->dst.ip = r.dst;
    l4 = r.payload;
    l4len = r.payload_len;
  } else if ((ip[0] >> 4) == 6) {
    synack_ip6_repr_t r;
    synack_drop_reason_t d = synack_ip6_parse(ip, iplen, &r);
    if ((d != SYNACK_DROP_NONE && d != SYNACK_DROP_IP6_HOPLIMIT_ZERO) || r.proto != SYNACK_IPPROTO_TCP ||
        (r.has_frag && r.frag_off != 0))
      return false;
    s->src.ip = r.src;
    s->dst.ip = r.dst;
    l4 = r.payload;
    l4len = r.payload_len;
  } else {
    return false;
  }
  if (synack_tcp_parse(l4, l4len, NULL, NULL, 0, &s->tcp) != SYNACK_DROP_NONE) return false;
  s->src.port = s->tcp.src_port;
  s->dst.port = s->tcp.dst_port;
  return true;
}

static bool ep_eq(const synack_endpoint_t *x, const synack_endpoint_t *y) {
  return x->port == y->port && synack_ip_equal(&x->ip, &y->ip);
}

/* 0: a→b, 1: b→a, -1: another connection. */
static int dir_of(const synack_pconn_t *c, const seg_t *s) {
  if (ep_eq(&s->src, &c->a) && ep_eq(&s->dst, &c->b)) return 0;
  if (ep_eq(&s->src, &c->b) && ep_eq(&s->dst, &c->a)) return 1;
  return -1;
}

static bool is_syn(const seg_t *s) { return (s->tcp.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == SYNACK_TCP_SYN; }

/* The walk shared by list and walk: calls back with the connection index of every segment. */
typedef struct {
  synack_pconn_t *c;
  size_t n, cap;
} list_t;

static long find(list_t *L, const seg_t *s, synack_time_t t) {
  /* The most recent connection on this 4-tuple; a fresh SYN after the old one ended (or with a
   * different ISN once that one finished its handshake) starts a new one. */
  for (size_t i = L->n; i-- > 0;) {
    int d = dir_of(&L->c[i], s);
    if (d < 0) continue;
    if (is_syn(s) && L->c[i].segments > 2 && t > L->c[i].last + 1000000u) break;
    return (long)i;
  }
  if (L->n == L->cap) {
    size_t nc = L->cap ? L->cap * 2 : 16;
    synack_pconn_t *p = realloc(L->c, nc * sizeof *p);
    if (!p) return -1;
    L->c = p;
    L->cap = nc;
  }
  synack_pconn_t *c = &L->c[L->n];
  memset(c, 0, sizeof *c);
  /* The SYN sender is the left end; without a SYN, the first sender. A SYN-ACK first means
   * the capture started mid-handshake: its receiver is the client. */
  bool synack = (s->tcp.flags & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == (SYNACK_TCP_SYN | SYNACK_TCP_ACK);
  c->a = synack ? s->dst : s->src;
  c->b = synack ? s->src : s->dst;
  c->syn_seen = is_syn(s);
  c->first = t;
  return (long)L->n++;
}

static synack_pcap_reader_t *src_open(const synack_pconn_src_t *src) {
  if (!src->data) return synack_pcap_reader_open(src->path);
  /* fmemopen does not write to a buffer opened for reading. */
  return src->len ? synack_pcap_reader_open_stream(fmemopen((void *)(uintptr_t)src->data, src->len, "rb")) : NULL;
}

long synack_pconn_list(const synack_pconn_src_t *src, synack_pconn_t **out, char *err, size_t errcap) {
  *out = NULL;
  const char *path = src->path ? src->path : "capture";
  synack_pcap_reader_t *r = src_open(src);
  if (!r) {
    seterr(err, errcap, "%s: cannot open, or not a pcap or pcapng file", path);
    return -1;
  }
  uint32_t lt = synack_pcap_reader_linktype(r);
  if (lt != LT_ETHERNET && lt != LT_RAW && lt != LT_RAW_BSD12 && lt != LT_RAW_BSD14 && lt != LT_SLL &&
      lt != LT_SLL2 && lt != LT_NULL && lt != LT_LOOP) {
    synack_pcap_reader_close(r);
    seterr(err, errcap, "%s: link type %u not supported (Ethernet, raw IP, Linux cooked, loopback are)", path, lt);
    return -1;
  }
  list_t L = {0};
  synack_pcap_record_t rec;
  int rc;
  while ((rc = synack_pcap_read(r, &rec)) > 0) {
    seg_t s;
    if (!parse(lt, rec.data, rec.caplen, &s)) continue;
    long i = find(&L, &s, rec.ts_us);
    if (i < 0) break;
    synack_pconn_t *c = &L.c[i];
    c->segments++;
    c->bytes[dir_of(c, &s) == 0 ? 0 : 1] += s.tcp.payload_len;
    c->last = rec.ts_us;
    if (is_syn(&s) && ep_eq(&s.src, &c->a)) c->syn_seen = true;
  }
  synack_pcap_reader_close(r);
  if (rc < 0 && L.n == 0) {
    free(L.c);
    seterr(err, errcap, "%s: malformed capture", path);
    return -1;
  }
  *out = L.c;
  return (long)L.n;
}

void synack_pconn_format(const synack_endpoint_t *e, char *buf, size_t cap) {
  char ip[48];
  synack_ip_format(&e->ip, ip, sizeof ip);
  if (e->ip.family == SYNACK_AF_INET6)
    snprintf(buf, cap, "[%s]:%u", ip, e->port);
  else
    snprintf(buf, cap, "%s:%u", ip, e->port);
}

static bool parse_ep(const char *s, size_t len, synack_endpoint_t *e) {
  char tmp[80];
  if (len == 0 || len >= sizeof tmp) return false;
  memcpy(tmp, s, len);
  tmp[len] = 0;
  char *colon = strrchr(tmp, ':');
  if (!colon) return false;
  *colon = 0;
  char *host = tmp;
  if (host[0] == '[') {
    host++;
    char *rb = strchr(host, ']');
    if (!rb) return false;
    *rb = 0;
  }
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (*end || port > 65535) return false;
  e->port = (uint16_t)port;
  return synack_ip_parse(host, &e->ip) == 0;
}

long synack_pconn_pick(const synack_pconn_t *c, size_t n, long index, const char *tuple, char *err, size_t errcap) {
  if (n == 0) {
    seterr(err, errcap, "no TCP connection in the capture");
    return -1;
  }
  if (tuple) {
    const char *dash = strchr(tuple, '-');
    synack_endpoint_t x, y;
    if (!dash || !parse_ep(tuple, (size_t)(dash - tuple), &x) || !parse_ep(dash + 1, strlen(dash + 1), &y)) {
      seterr(err, errcap, "bad --tuple '%s' (want A:P-B:P, [v6]:P for IPv6)", tuple);
      return -1;
    }
    for (size_t i = 0; i < n; i++)
      if ((ep_eq(&c[i].a, &x) && ep_eq(&c[i].b, &y)) || (ep_eq(&c[i].a, &y) && ep_eq(&c[i].b, &x))) return (long)i;
    seterr(err, errcap, "no connection %s in the capture", tuple);
    return -1;
  }
  if (index > 0) {
    if ((size_t)index > n) {
      seterr(err, errcap, "--conn %ld: the capture has %zu connections", index, n);
      return -1;
    }
    return index - 1;
  }
  return 0;
}

int synack_pconn_walk(const synack_pconn_src_t *src, const synack_pconn_t *c, synack_pconn_fn fn, void *user) {
  synack_pcap_reader_t *r = src_open(src);
  if (!r) return -1;
  uint32_t lt = synack_pcap_reader_linktype(r);
  synack_pcap_record_t rec;
  while (synack_pcap_read(r, &rec) > 0) {
    if (rec.ts_us < c->first || rec.ts_us > c->last) continue;
    seg_t s;
    if (!parse(lt, rec.data, rec.caplen, &s)) continue;
    int d = dir_of(c, &s);
    if (d >= 0) fn(user, rec.ts_us, d, &s.tcp);
  }
  synack_pcap_reader_close(r);
  return 0;
}

/* ---------- states inferred from the wire ---------- */

typedef struct {
  synack_time_t t;
  int dir;
  synack_tcp_repr_t tcp;
} rec_t;

typedef struct {
  synack_ladder_t *l;
  synack_time_t t0;
  rec_t *recs;
  size_t nrec, caprec, cur;
  bool fin_sent[2], rcvd_fin[2];
  uint32_t fin_end[2], iss[2];
  bool have_iss[2];
  bool started;
} infer_t;

static void set(infer_t *x, synack_time_t t, int side, int to, const char *why) {
  if (x->l->cur[side] == to) return;
  synack_ladder_state(x->l, t, side, x->l->cur[side], to, why);
}

static bool acks(uint32_t ack, uint32_t end) { return (int32_t)(ack - end) >= 0; }

/* Whether the receiver r has processed the FIN ending at fin_end by its next segment, judged by
 * that segment's ACK field; true when r sends nothing more. */
static bool fin_seen_by_next(const infer_t *x, int r, uint32_t fin_end) {
  for (size_t j = x->cur + 1; j < x->nrec; j++) {
    const rec_t *n = &x->recs[j];
    if (n->dir != r) continue;
    if (n->tcp.flags & SYNACK_TCP_RST) return true;
    return (n->tcp.flags & SYNACK_TCP_ACK) && acks(n->tcp.ack, fin_end);
  }
  return true;
}

/* The receiver's next segment after the current one, or NULL. */
static const rec_t *next_from(const infer_t *x, int r) {
  for (size_t j = x->cur + 1; j < x->nrec; j++)
    if (x->recs[j].dir == r) return &x->recs[j];
  return NULL;
}

static void gather(void *user, synack_time_t t, int dir, const synack_tcp_repr_t *tcp) {
  infer_t *x = user;
  if (x->nrec == x->caprec) {
    size_t nc = x->caprec ? x->caprec * 2 : 256;
    rec_t *p = realloc(x->recs, nc * sizeof *p);
    if (!p) return;
    x->recs = p;
    x->caprec = nc;
  }
  rec_t *r = &x->recs[x->nrec++];
  r->t = t;
  r->dir = dir;
  r->tcp = *tcp;
  r->tcp.payload = NULL; /* the record buffer is gone after the walk; the length stays */
}

static void on_seg(infer_t *x, synack_time_t ts, int s, const synack_tcp_repr_t *tcp) {
  synack_ladder_t *l = x->l;
  synack_time_t t = ts - x->t0;
  int r = 1 - s;
  uint8_t fl = tcp->flags;
  bool syn = fl & SYNACK_TCP_SYN, ack = fl & SYNACK_TCP_ACK, fin = fl & SYNACK_TCP_FIN, rst = fl & SYNACK_TCP_RST;
  /* The sender, as it sends. */
  if (syn && !ack) {
    set(x, t, s, l->cur[s] == SYNACK_TCP_SYN_RECEIVED ? SYNACK_TCP_SYN_RECEIVED : SYNACK_TCP_SYN_SENT, "sends SYN");
    x->iss[s] = tcp->seq;
    x->have_iss[s] = true;
  } else if (syn && ack) {
    if (l->cur[s] == SYNACK_TCP_CLOSED || l->cur[s] == SYNACK_TCP_LISTEN) set(x, t, s, SYNACK_TCP_SYN_RECEIVED, "sends SYN-ACK");
    x->iss[s] = tcp->seq;
    x->have_iss[s] = true;
  }
  if (!x->started && !syn && !rst) {
    /* Mid-connection capture: both ends are already synchronized. */
    set(x, t, s, SYNACK_TCP_ESTABLISHED, "already open when the capture started");
    set(x, t, r, SYNACK_TCP_ESTABLISHED, "already open when the capture started");
  }
  x->started = true;
  /* The sender acknowledges the peer's FIN only now: it got it later than the capture saw it. */
  if (ack && x->fin_sent[r] && !x->rcvd_fin[s] && acks(tcp->ack, x->fin_end[r])) {
    x->rcvd_fin[s] = true;
    if (l->cur[s] == SYNACK_TCP_FIN_WAIT_1) set(x, t, s, SYNACK_TCP_CLOSING, "rcv FIN");
    else if (l->cur[s] == SYNACK_TCP_FIN_WAIT_2) set(x, t, s, SYNACK_TCP_TIME_WAIT, "rcv FIN");
  }
  if (fin && !x->fin_sent[s]) {
    x->fin_sent[s] = true;
    x->fin_end[s] = tcp->seq + (uint32_t)tcp->payload_len + (syn ? 1u : 0u) + 1u;
    if (l->cur[s] == SYNACK_TCP_CLOSE_WAIT) {
      set(x, t, s, SYNACK_TCP_LAST_ACK, "sends FIN");
    } else if (l->cur[s] == SYNACK_TCP_ESTABLISHED || l->cur[s] == SYNACK_TCP_SYN_RECEIVED) {
      set(x, t, s, SYNACK_TCP_FIN_WAIT_1, "sends FIN");
    }
  }
  if (rst && l->cur[s] != SYNACK_TCP_LISTEN) set(x, t, s, SYNACK_TCP_CLOSED, "sends RST");
  long idx = synack_ladder_seg(l, t, s, tcp, 0);
  /* The receiver, as it processes it: RST, SYN, ACK, then FIN (RFC 9293 §3.10.7.4 order). */
  if (rst) {
    if (l->cur[r] != SYNACK_TCP_LISTEN) set(x, t, r, SYNACK_TCP_CLOSED, "rcv RST");
  } else {
    if (syn && !ack && (l->cur[r] == SYNACK_TCP_CLOSED || l->cur[r] == SYNACK_TCP_LISTEN || l->cur[r] == SYNACK_TCP_SYN_SENT)) {
      /* A RST for an answer means nobody listened: the receiver stays CLOSED. */
      const rec_t *nx = next_from(x, r);
      if (nx && (nx->tcp.flags & SYNACK_TCP_RST) && l->cur[r] != SYNACK_TCP_SYN_SENT)
        set(x, t, r, SYNACK_TCP_CLOSED, "rcv SYN, no listener");
      else
        set(x, t, r, SYNACK_TCP_SYN_RECEIVED, "rcv SYN");
    }
    if (syn && ack && (l->cur[r] == SYNACK_TCP_SYN_SENT || l->cur[r] == SYNACK_TCP_SYN_RECEIVED))
      set(x, t, r, SYNACK_TCP_ESTABLISHED, "rcv SYN-ACK");
    if (ack && !syn && x->have_iss[r] && acks(tcp->ack, x->iss[r] + 1u)) {
      if (l->cur[r] == SYNACK_TCP_SYN_RECEIVED) set(x, t, r, SYNACK_TCP_ESTABLISHED, "rcv ACK of SYN");
      if (l->cur[s] == SYNACK_TCP_SYN_RECEIVED) set(x, t, s, SYNACK_TCP_ESTABLISHED, "sends ACK of SYN");
    }
    if (ack && x->fin_sent[r] && acks(tcp->ack, x->fin_end[r])) {
      if (l->cur[r] == SYNACK_TCP_FIN_WAIT_1) set(x, t, r, SYNACK_TCP_FIN_WAIT_2, "rcv ACK of FIN");
      else if (l->cur[r] == SYNACK_TCP_CLOSING) set(x, t, r, SYNACK_TCP_TIME_WAIT, "rcv ACK of FIN");
      else if (l->cur[r] == SYNACK_TCP_LAST_ACK) set(x, t, r, SYNACK_TCP_CLOSED, "rcv ACK of FIN");
    }
    uint32_t fend = tcp->seq + (uint32_t)tcp->payload_len + (syn ? 1u : 0u) + 1u;
    /* The capture saw the FIN leave; the receiver may get it only later (crossing FINs): its
     * state changes when its own next segment acknowledges the FIN. */
    if (fin && !x->rcvd_fin[r] && fin_seen_by_next(x, r, fend)) {
      x->rcvd_fin[r] = true;
      if (l->cur[r] == SYNACK_TCP_ESTABLISHED) set(x, t, r, SYNACK_TCP_CLOSE_WAIT, "rcv FIN");
      else if (l->cur[r] == SYNACK_TCP_FIN_WAIT_1) set(x, t, r, SYNACK_TCP_CLOSING, "rcv FIN");
      else if (l->cur[r] == SYNACK_TCP_FIN_WAIT_2) set(x, t, r, SYNACK_TCP_TIME_WAIT, "rcv FIN");
    }
  }
  synack_ladder_arrive(l, idx, t);
}

int synack_pconn_ladder(const synack_pconn_src_t *src, const synack_pconn_t *c, synack_ladder_t *l) {
  synack_ladder_init(l, c->syn_seen ? "client" : "A", c->syn_seen ? "server" : "B");
  synack_pconn_format(&c->a, l->left_addr, sizeof l->left_addr);
  synack_pconn_format(&c->b, l->right_addr, sizeof l->right_addr);
  l->inferred_states = true;
  infer_t x;
  memset(&x, 0, sizeof x);
  x.l = l;
  x.t0 = c->first;
  int rc = synack_pconn_walk(src, c, gather, &x);
  /* The server listened, unless its first answer is a RST. */
  if (c->syn_seen) {
    const rec_t *first = NULL;
    for (size_t j = 0; j < x.nrec && !first; j++)
      if (x.recs[j].dir == 1) first = &x.recs[j];
    if (!first || !(first->tcp.flags & SYNACK_TCP_RST)) synack_ladder_set_state(l, 1, SYNACK_TCP_LISTEN);
  }
  for (x.cur = 0; x.cur < x.nrec; x.cur++) on_seg(&x, x.recs[x.cur].t, x.recs[x.cur].dir, &x.recs[x.cur].tcp);
  free(x.recs);
  return rc;
}
