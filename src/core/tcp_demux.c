/* Demultiplexing: an O(1) hash of 4-tuples holding connections, half-open entries and
 * TIME-WAIT entries alike (their common synack_tcp_node_t), then listeners by local port.
 * The hash is keyed with the stack's demux key (secret.h) so a peer cannot aim at one bucket, and it
 * doubles when the load passes 2 per bucket (amortised O(1)). */
#include <string.h>

#include "tcp_internal.h"
#include "wire_bytes.h"

#define INITIAL_BUCKETS 64u

bool synack_tuple_equal(const synack_tuple_t *a, const synack_tuple_t *b) {
  return a->lport == b->lport && a->rport == b->rport && a->family == b->family &&
         memcmp(a->raddr, b->raddr, 16) == 0 && memcmp(a->laddr, b->laddr, 16) == 0;
}

uint64_t synack_tcp_tuple_hash(const synack_stack_t *st, synack_key_id_t key, const synack_tuple_t *t,
                               const uint32_t *extra, size_t n_extra) {
  /* Field by field in network order, never the struct itself: its padding bytes are not part
   * of the tuple, and two equal tuples must hash alike whatever the compiler left in them. */
  uint8_t buf[37 + 4 * SYNACK_TUPLE_HASH_EXTRA_MAX];
  memcpy(buf, t->laddr, 16);
  memcpy(buf + 16, t->raddr, 16);
  wr16(buf + 32, t->lport);
  wr16(buf + 34, t->rport);
  buf[36] = t->family;
  size_t n = 37;
  for (size_t i = 0; i < n_extra && i < SYNACK_TUPLE_HASH_EXTRA_MAX; i++, n += 4) wr32(buf + n, extra[i]);
  return synack_siphash24(st->keys[key], buf, n);
}

static uint32_t tuple_hash(const synack_stack_t *st, const synack_tuple_t *t) {
  return (uint32_t)synack_tcp_tuple_hash(st, SYNACK_KEY_DEMUX, t, NULL, 0);
}

int synack_tcp_demux_init(synack_stack_t *st) {
  struct synack_tcp *tcp = st->tcp;
  tcp->buckets = synack_mem_alloc(st, INITIAL_BUCKETS * sizeof *tcp->buckets);
  if (!tcp->buckets) return -SYNACK_ENOMEM;
  tcp->nbuckets = INITIAL_BUCKETS;
  tcp->mem += INITIAL_BUCKETS * sizeof *tcp->buckets;
  return 0;
}

void synack_tcp_demux_fini(synack_stack_t *st) {
  struct synack_tcp *tcp = st->tcp;
  if (tcp->buckets) {
    synack_mem_free(st, tcp->buckets, tcp->nbuckets * sizeof *tcp->buckets);
    tcp->mem -= tcp->nbuckets * sizeof *tcp->buckets;
  }
  tcp->buckets = NULL;
  tcp->nbuckets = 0;
  tcp->last_hit = NULL;
}

static void grow(synack_stack_t *st) {
  struct synack_tcp *tcp = st->tcp;
  uint32_t nb = tcp->nbuckets * 2;
  synack_tcp_node_t **nbk = synack_mem_alloc(st, nb * sizeof *nbk);
  if (!nbk) return; /* keep the longer chains */
  for (uint32_t i = 0; i < tcp->nbuckets; i++) {
    synack_tcp_node_t *n = tcp->buckets[i];
    while (n) {
      synack_tcp_node_t *next = n->hnext;
      uint32_t h = tuple_hash(st, &n->t) & (nb - 1);
      n->hnext = nbk[h];
      nbk[h] = n;
      n = next;
    }
  }
  synack_mem_free(st, tcp->buckets, tcp->nbuckets * sizeof *tcp->buckets);
  tcp->mem += (nb - tcp->nbuckets) * sizeof *nbk;
  tcp->buckets = nbk;
  tcp->nbuckets = nb;
}

void synack_tcp_hash_insert(synack_stack_t *st, synack_tcp_node_t *n) {
  struct synack_tcp *tcp = st->tcp;
  if (tcp->nnodes >= 2 * tcp->nbuckets) grow(st);
  uint32_t h = tuple_hash(st, &n->t) & (tcp->nbuckets - 1);
  n->hnext = tcp->buckets[h];
  tcp->buckets[h] = n;
  tcp->nnodes++;
}

void synack_tcp_hash_remove(synack_stack_t *st, synack_tcp_node_t *n) {
  struct synack_tcp *tcp = st->tcp;
  if (tcp->last_hit == n) tcp->last_hit = NULL;
  uint32_t h = tuple_hash(st, &n->t) & (tcp->nbuckets - 1);
  for (synack_tcp_node_t **pp = &tcp->buckets[h]; *pp; pp = &(*pp)->hnext) {
    if (*pp == n) {
      *pp = n->hnext;
      n->hnext = NULL;
      tcp->nnodes--;
      return;
    }
  }
}

synack_tcp_node_t *synack_tcp_hash_lookup(synack_stack_t *st, const synack_tuple_t *t) {
  struct synack_tcp *tcp = st->tcp;
  if (tcp->last_hit && synack_tuple_equal(&tcp->last_hit->t, t)) return tcp->last_hit;
  uint32_t h = tuple_hash(st, t) & (tcp->nbuckets - 1);
  for (synack_tcp_node_t *n = tcp->buckets[h]; n; n = n->hnext) {
    if (synack_tuple_equal(&n->t, t)) {
      tcp->last_hit = n;
      return n;
    }
  }
  return NULL;
}

static unsigned lbucket(uint16_t port) { return (unsigned)(port * 40503u) >> 10 & 63u; }

void synack_tcp_listener_insert(synack_stack_t *st, synack_listener_t *l) {
  unsigned b = lbucket(l->tcb->node.t.lport);
  l->lnext = st->tcp->lbuckets[b];
  st->tcp->lbuckets[b] = l;
}

void synack_tcp_listener_remove(synack_stack_t *st, synack_listener_t *l) {
  unsigned b = lbucket(l->tcb->node.t.lport);
  for (synack_listener_t **pp = &st->tcp->lbuckets[b]; *pp; pp = &(*pp)->lnext)
    if (*pp == l) { *pp = l->lnext; l->lnext = NULL; return; }
}

synack_listener_t *synack_tcp_listener_lookup(synack_stack_t *st, uint8_t family, const uint8_t *laddr,
                                              uint16_t lport) {
  static const uint8_t zero[16];
  size_t n = family == SYNACK_AF_INET6 ? 16 : 4;
  synack_listener_t *wild = NULL;
  for (synack_listener_t *l = st->tcp->lbuckets[lbucket(lport)]; l; l = l->lnext) {
    const synack_tuple_t *t = &l->tcb->node.t;
    if (t->lport != lport || t->family != family) continue;
    if (memcmp(t->laddr, laddr, n) == 0) return l;
    if (memcmp(t->laddr, zero, n) == 0) wild = l;
  }
  return wild;
}

/* How well listener l matches a segment for t, or -1: a listener of the segment's family
 * scores 2, an AF_INET6 listener taking IPv4 as v4-mapped (IPV6_V6ONLY off, RFC 3493 §3.7)
 * scores 1; a bound address that matches adds 4. */
static int listener_score(const synack_listener_t *l, const synack_tuple_t *t) {
  static const uint8_t zero[16];
  const synack_tuple_t *lt = &l->tcb->node.t;
  if (lt->lport != t->lport) return -1;
  uint8_t la[16];
  size_t n;
  int sc;
  if (lt->family == t->family) {
    memcpy(la, t->laddr, 16);
    n = t->family == SYNACK_AF_INET6 ? 16 : 4;
    sc = 2;
  } else if (lt->family == SYNACK_AF_INET6 && t->family == SYNACK_AF_INET && !(l->tcb->flags & TF_V6ONLY)) {
    synack_addr_map4(t->laddr, la);
    n = 16;
    sc = 1;
  } else {
    return -1;
  }
  if (memcmp(lt->laddr, zero, n) != 0) {
    if (memcmp(lt->laddr, la, n) != 0) return -1;
    sc += 4;
  }
  return sc;
}

synack_listener_t *synack_tcp_listener_select(synack_stack_t *st, const synack_tuple_t *t) {
  synack_listener_t *head = st->tcp->lbuckets[lbucket(t->lport)], *best = NULL;
  int best_sc = -1;
  uint32_t group = 0; /* SO_REUSEPORT listeners with the best score */
  for (synack_listener_t *l = head; l; l = l->lnext) {
    int sc = listener_score(l, t);
    if (sc < 0) continue;
    if (sc > best_sc) {
      best_sc = sc;
      best = l;
      group = 0;
    }
    if (sc == best_sc && (l->tcb->flags & TF_REUSEPORT)) group++;
  }
  if (!best || group < 2 || !(best->tcb->flags & TF_REUSEPORT)) return best;
  /* SO_REUSEPORT (Linux): new connections are spread over the group by a hash of the 4-tuple,
   * keyed so that a client cannot choose the listener its connections land on; the SYN and
   * the ACK of a cookie handshake reach the same listener as long as the group is unchanged. */
  uint32_t pick = (uint32_t)(synack_tcp_tuple_hash(st, SYNACK_KEY_DEMUX, t, NULL, 0) % group);
  for (synack_listener_t *l = head; l; l = l->lnext)
    if ((l->tcb->flags & TF_REUSEPORT) && listener_score(l, t) == best_sc && pick-- == 0) return l;
  return best;
}
