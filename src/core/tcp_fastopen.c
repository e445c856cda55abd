/* TCP Fast Open (RFC 7413): the server's cookie (a MAC of the client's address under the TFO
 * purpose key), its validation and the fast open queue of a listener; the client's cookie
 * cache per destination address and what its first SYN carries; the client's view of the
 * SYN-ACK (data acknowledged or not). Connection creation, segment building and the socket
 * calls stay in tcp_listen.c, tcp_output.c and tcp_api.c, which call in here. */
#include <string.h>

#include "rng.h"
#include "tcp_internal.h"

/* One destination of the client cache: 48 bytes (docs/tcp-choices.md). */
struct synack_tfo_entry {
  uint8_t addr[16];
  uint8_t family;
  uint8_t cookie_len; /* 0: no cookie yet (only the MSS is known) */
  uint8_t exp;        /* the cookie came in the experimental form: use it again */
  uint8_t pad;
  uint16_t mss;       /* the peer's MSS option of the last SYN-ACK, 0 unknown */
  uint8_t cookie[16];
  uint64_t used;
};
_Static_assert(sizeof(struct synack_tfo_entry) == 48, "cache entries are documented as 48 bytes");

#define TFO_COOKIE_LEN 8 /* RFC 7413 §4.1.1 allows 4..16; 8 is what Linux sends */
#define TFO_MAX_OPT_SPACE 40

/* ---------- server: the cookie ---------- */

/* RFC 7413 §4.1.2: the cookie is a MAC of the client's IP address under a server secret. As
 * Linux does, the MAC also covers the server's address (the SYN's source then destination
 * address, in wire order) and is SipHash-2-4 of those bytes, written little-endian; so with
 * the key Linux's net.ipv4.tcp_fastopen_key sets (cfg.tcp_fastopen_key) both compute the
 * same cookie. By default the key is the stack's TFO purpose key (secret.c). */
static void cookie_make(const synack_stack_t *st, const synack_tuple_t *t, uint8_t out[TFO_COOKIE_LEN]) {
  const uint8_t *key = st->cfg.tcp_fastopen_key_set ? st->cfg.tcp_fastopen_key : st->keys[SYNACK_KEY_TFO];
  size_t n = t->family == SYNACK_AF_INET6 ? 16 : 4;
  uint8_t in[32];
  memcpy(in, t->raddr, n);
  memcpy(in + n, t->laddr, n);
  uint64_t h = synack_siphash24(key, in, 2 * n);
  for (int i = 0; i < TFO_COOKIE_LEN; i++) out[i] = (uint8_t)(h >> (8 * i));
}

static uint32_t listener_qmax(const synack_stack_t *st, const synack_listener_t *l) {
  if (l->tcb->tfo_qlen) return l->tcb->tfo_qlen;
  /* Linux's 0x400: fast open on every listener, the queue as long as listen()'s backlog. */
  if ((st->cfg.tcp_fastopen & SYNACK_TFO_SERVER_ALL) && (st->cfg.tcp_fastopen & SYNACK_TFO_SERVER)) return l->backlog;
  return 0;
}

void synack_tfo_listen_syn(synack_stack_t *st, synack_listener_t *l, const synack_seg_t *seg, synack_tfo_reply_t *out) {
  memset(out, 0, sizeof *out);
  const synack_tcp_opts_t *o = &seg->r.opts;
  bool has_fo = (o->present & SYNACK_TCPOPT_HAS_FASTOPEN) != 0;
  if (has_fo && o->fo_len == 0) synack_count(st, SYNACK_CTR_TCP_FASTOPEN_COOKIE_REQD);
  uint32_t qmax = listener_qmax(st, l);
  if (!(st->cfg.tcp_fastopen & SYNACK_TFO_SERVER) || qmax == 0 || (seg->len == 0 && !has_fo)) return;
  if (l->tfo_len >= qmax) {
    /* RFC 7413 §5.1: the fast open queue bounds the connections accepted before their
     * handshake completes; beyond it, an ordinary handshake (no cookie, data not taken). */
    synack_count(st, SYNACK_CTR_TCP_FASTOPEN_LISTEN_OVERFLOW);
    out->drop_data = true;
    return;
  }
  /* From here the SYN takes part in fast open: its data is accepted with the child or not at
   * all (RFC 7413 §4.2.2: the client sends it again after the handshake). */
  out->drop_data = true;
  if ((st->cfg.tcp_fastopen & SYNACK_TFO_SERVER_NO_COOKIE) || (l->tcb->tfo & SYNACK_TFOF_NO_COOKIE)) {
    out->child = true; /* Linux's 0x200 / TCP_FASTOPEN_NO_COOKIE: no cookie needed */
    return;
  }
  if (!has_fo) return;
  uint8_t valid[TFO_COOKIE_LEN];
  cookie_make(st, &seg->t, valid);
  if (o->fo_len > 0) {
    /* RFC 7413 §4.2.2: a valid cookie: the data is accepted, the SYN-ACK acknowledges it. */
    if (o->fo_len == TFO_COOKIE_LEN && memcmp(o->fo_cookie, valid, TFO_COOKIE_LEN) == 0) {
      out->child = true;
      return;
    }
    synack_count(st, SYNACK_CTR_TCP_FASTOPEN_PASSIVE_FAIL);
  }
  /* A request, or an invalid cookie: the SYN-ACK carries a valid cookie (RFC 7413 §4.1.2),
   * in the form the SYN used. */
  out->cookie = true;
  out->exp = (o->present & SYNACK_TCPOPT_HAS_FASTOPEN_EXP) != 0;
  out->len = TFO_COOKIE_LEN;
  memcpy(out->val, valid, TFO_COOKIE_LEN);
}

void synack_tfo_child_done(synack_stack_t *st, synack_tcb_t *tcb) {
  if (!(tcb->tfo & SYNACK_TFOF_CHILD)) return;
  tcb->tfo &= (uint8_t)~SYNACK_TFOF_CHILD;
  /* Looked up rather than pointed to: the listener may have closed meanwhile. */
  synack_listener_t *l = synack_tcp_listener_lookup(st, tcb->node.t.family, tcb->node.t.laddr, tcb->node.t.lport);
  if (l && l->tfo_len) l->tfo_len--;
}

/* ---------- client: the cookie cache ---------- */

static struct synack_tfo_entry *cache_find(synack_stack_t *st, const synack_tuple_t *t) {
  struct synack_tcp *tcp = st->tcp;
  size_t n = t->family == SYNACK_AF_INET6 ? 16 : 4;
  for (uint32_t i = 0; i < tcp->tfo_cache_n; i++) {
    struct synack_tfo_entry *e = &tcp->tfo_cache[i];
    if (e->family == t->family && memcmp(e->addr, t->raddr, n) == 0) return e;
  }
  return NULL;
}

/* RFC 7413 §4.1.3: the client caches the cookie (and the server's MSS) per server address. */
static void cache_set(synack_stack_t *st, const synack_tuple_t *t, uint16_t mss, const synack_tcp_opts_t *cookie) {
  struct synack_tcp *tcp = st->tcp;
  if (!tcp->tfo_cache) {
    uint32_t cap = st->cfg.tcp_fastopen_cache_bytes / (uint32_t)sizeof(struct synack_tfo_entry);
    if (cap == 0) return;
    tcp->tfo_cache = synack_mem_alloc(st, cap * sizeof *tcp->tfo_cache);
    if (!tcp->tfo_cache) return;
    tcp->tfo_cache_cap = cap;
    tcp->mem += cap * sizeof *tcp->tfo_cache;
  }
  struct synack_tfo_entry *e = cache_find(st, t);
  if (!e) {
    if (tcp->tfo_cache_n < tcp->tfo_cache_cap) {
      e = &tcp->tfo_cache[tcp->tfo_cache_n++];
    } else {
      e = &tcp->tfo_cache[0]; /* full: the least recently used destination makes room */
      for (uint32_t i = 1; i < tcp->tfo_cache_n; i++)
        if (tcp->tfo_cache[i].used < e->used) e = &tcp->tfo_cache[i];
    }
    memset(e, 0, sizeof *e);
    e->family = t->family;
    memcpy(e->addr, t->raddr, 16);
  }
  if (mss) e->mss = mss;
  if (cookie) {
    e->cookie_len = cookie->fo_len;
    e->exp = (cookie->present & SYNACK_TCPOPT_HAS_FASTOPEN_EXP) != 0;
    memcpy(e->cookie, cookie->fo_cookie, cookie->fo_len);
  }
  e->used = ++tcp->tfo_use_clock;
}

void synack_tfo_fini(synack_stack_t *st) {
  struct synack_tcp *tcp = st->tcp;
  if (!tcp->tfo_cache) return;
  synack_mem_free(st, tcp->tfo_cache, tcp->tfo_cache_cap * sizeof *tcp->tfo_cache);
  tcp->mem -= tcp->tfo_cache_cap * sizeof *tcp->tfo_cache;
  tcp->tfo_cache = NULL;
  tcp->tfo_cache_n = tcp->tfo_cache_cap = 0;
}

static bool client_no_cookie(const synack_stack_t *st, const synack_tcb_t *tcb) {
  return (st->cfg.tcp_fastopen & SYNACK_TFO_CLIENT_NO_COOKIE) || (tcb->tfo & SYNACK_TFOF_NO_COOKIE);
}

bool synack_tfo_client_ready(synack_stack_t *st, const synack_tcb_t *tcb) {
  if (!(st->cfg.tcp_fastopen & SYNACK_TFO_CLIENT)) return false;
  if (client_no_cookie(st, tcb)) return true;
  const struct synack_tfo_entry *e = cache_find(st, &tcb->node.t);
  return e && e->cookie_len > 0;
}

uint32_t synack_tfo_syn_space(synack_stack_t *st, const synack_tcb_t *tcb) {
  /* Like Linux: the cached MSS of the server (else ours), within the path's and the user's,
   * less the largest option space, so that a middlebox adding options cannot push the SYN
   * past the path MTU. */
  uint32_t mss = synack_tcp_route_mss(st, &tcb->node.t);
  const struct synack_tfo_entry *e = cache_find(st, &tcb->node.t);
  if (e && e->mss && e->mss < mss) mss = e->mss;
  if (tcb->user_mss && tcb->user_mss < mss) mss = tcb->user_mss;
  return mss > TFO_MAX_OPT_SPACE ? mss - TFO_MAX_OPT_SPACE : 0;
}

void synack_tfo_syn_opts(synack_stack_t *st, const synack_tcb_t *tcb, synack_ctl_opts_t *c) {
  /* Without a cookie to show (no-cookie mode) the SYN carries no option, as Linux's. */
  if (client_no_cookie(st, tcb)) return;
  struct synack_tfo_entry *e = cache_find(st, &tcb->node.t);
  c->fo = true;
  c->fo_exp = st->cfg.tcp_fastopen_exp || (e && e->cookie_len && e->exp);
  c->fo_len = 0; /* RFC 7413 §4.1.3: an empty option asks for a cookie */
  if (e && e->cookie_len) {
    c->fo_len = e->cookie_len;
    memcpy(c->fo_cookie, e->cookie, e->cookie_len);
    e->used = ++st->tcp->tfo_use_clock;
  }
}

void synack_tfo_synack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg) {
  if (!(tcb->tfo & (SYNACK_TFOF_SYN | SYNACK_TFOF_SYN_DATA))) return;
  const synack_tcp_opts_t *o = &seg->r.opts;
  /* A cookie counts only when we asked (an unsolicited one is ignored, as Linux does). */
  bool cookie = (tcb->tfo & SYNACK_TFOF_SYN) && (o->present & SYNACK_TCPOPT_HAS_FASTOPEN) && o->fo_len >= 4;
  cache_set(st, &tcb->node.t, (o->present & SYNACK_TCPOPT_HAS_MSS) ? o->mss : 0, cookie ? o : NULL);
  if (!(tcb->tfo & SYNACK_TFOF_SYN_DATA)) return;
  /* The acknowledged part of the SYN's data leaves the send ring. */
  int32_t acked = seq_diff(seg->ack, tcb->snd_buf_seq);
  if (acked > 0) {
    uint32_t n = (uint32_t)acked < tcb->sb.len ? (uint32_t)acked : tcb->sb.len;
    synack_sndbuf_drop(st, &tcb->sb, n);
    tcb->snd_buf_seq = seq_add(tcb->snd_buf_seq, n);
    tcb->bytes_acked += n;
    if (tcb->snd_mss) tcb->delivered += (n + tcb->snd_mss - 1u) / tcb->snd_mss; /* tcp_info */
  }
  if (seq_lt(seg->ack, tcb->snd_max)) {
    /* RFC 7413 §4.2.2: the server did not take the data (no or invalid cookie, queue full, or
     * only a retransmitted SYN without data got through): it goes again at once, after the
     * handshake, carrying the ACK of the SYN-ACK. */
    tcb->tfo_fail = tcb->retransmits ? SYNACK_TFO_FAIL_SYN_RETRANSMITTED : SYNACK_TFO_FAIL_DATA_NOT_ACKED;
    tcb->snd_nxt = tcb->snd_una;
    synack_count(st, SYNACK_CTR_TCP_FASTOPEN_ACTIVE_FAIL);
    return;
  }
  tcb->tfo |= SYNACK_TFOF_DATA_ACKED;
  synack_count(st, SYNACK_CTR_TCP_FASTOPEN_ACTIVE);
}
