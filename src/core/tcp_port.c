/* Ephemeral port selection (RFC 6056) and bind conflicts. */
#include <string.h>

#include "tcp_internal.h"

static bool addr_overlap(uint8_t family, const uint8_t *a, const uint8_t *b) {
  static const uint8_t zero[16];
  size_t n = family == SYNACK_AF_INET6 ? 16 : 4;
  return memcmp(a, zero, n) == 0 || memcmp(b, zero, n) == 0 || memcmp(a, b, n) == 0;
}

static unsigned port_bucket(uint16_t port) { return port & (SYNACK_PORT_BUCKETS - 1u); }

/* The bind index chains are doubly linked (pprev points at the link that points at the node):
 * every connection accepted on one listening port, and every TIME-WAIT entry it leaves, hang in
 * that port's chain, so a walk to unlink made each close O(connections). With 20,000 TIME-WAIT
 * entries on port 8080, unlinking took 65 % of the CPU and connection-per-request HTTP fell to
 * 700 requests/s (bench/bench_http.sh). */
void synack_tcp_port_index(synack_stack_t *st, synack_tcb_t *tcb) {
  if ((tcb->flags & TF_PORT_INDEXED) || tcb->sock < 0 || !(tcb->flags & TF_BOUND)) return;
  synack_tcb_t **head = &st->tcp->pidx[port_bucket(tcb->node.t.lport)];
  tcb->pnext = *head;
  if (*head) (*head)->pprev = &tcb->pnext;
  tcb->pprev = head;
  *head = tcb;
  tcb->flags |= TF_PORT_INDEXED;
}

void synack_tcp_port_unindex(synack_stack_t *st, synack_tcb_t *tcb) {
  (void)st;
  if (!(tcb->flags & TF_PORT_INDEXED)) return;
  *tcb->pprev = tcb->pnext;
  if (tcb->pnext) tcb->pnext->pprev = tcb->pprev;
  tcb->pnext = NULL;
  tcb->pprev = NULL;
  tcb->flags &= ~(uint64_t)TF_PORT_INDEXED;
}

void synack_tcp_port_tw_add(synack_stack_t *st, synack_timewait_t *tw) {
  synack_timewait_t **head = &st->tcp->pidx_tw[port_bucket(tw->node.t.lport)];
  tw->pnext = *head;
  if (*head) (*head)->pprev = &tw->pnext;
  tw->pprev = head;
  *head = tw;
}

void synack_tcp_port_tw_remove(synack_stack_t *st, synack_timewait_t *tw) {
  (void)st;
  if (!tw->pprev) return; /* not indexed */
  *tw->pprev = tw->pnext;
  if (tw->pnext) tw->pnext->pprev = tw->pprev;
  tw->pnext = NULL;
  tw->pprev = NULL;
}

/* Rules (like Linux): two sockets may share a local port on overlapping addresses only when
 * both set SO_REUSEADDR and neither listens, or both set SO_REUSEPORT. An AF_INET6 wildcard
 * without IPV6_V6ONLY overlaps every IPv4 address (synack_local_overlap). A port used by
 * TIME-WAIT entries blocks bind() unless SO_REUSEADDR is set. Only the port's chain of the
 * bind index is looked at. */
bool synack_tcp_port_conflict(synack_stack_t *st, const synack_tcb_t *self, uint8_t family, const uint8_t *addr,
                              uint16_t port, bool reuseaddr) {
  struct synack_tcp *tcp = st->tcp;
  bool v6only = self && (self->flags & TF_V6ONLY), reuseport = self && (self->flags & TF_REUSEPORT);
  for (const synack_tcb_t *o = tcp->pidx[port_bucket(port)]; o; o = o->pnext) {
    tcp->port_examined++;
    if (o == self || o->node.t.lport != port) continue;
    if (!synack_local_overlap(family, addr, v6only, o->node.t.family, o->node.t.laddr, (o->flags & TF_V6ONLY) != 0))
      continue;
    if (reuseaddr && (o->flags & TF_REUSEADDR) && o->state != SYNACK_TCP_LISTEN) continue;
    if (reuseport && (o->flags & TF_REUSEPORT)) continue;
    return true;
  }
  if (!reuseaddr)
    for (const synack_timewait_t *tw = tcp->pidx_tw[port_bucket(port)]; tw; tw = tw->pnext)
      if (++tcp->port_examined, tw->node.t.lport == port && tw->node.t.family == family && addr_overlap(family, addr, tw->node.t.laddr))
        return true;
  return false;
}

/* A port is usable for the tuple when no connection uses the 4-tuple (a TIME-WAIT entry may be
 * taken over when safe) and no listener or bound socket owns it. */
static int port_usable(synack_stack_t *st, synack_tuple_t *t, synack_time_t now, bool *reuse_tw,
                       synack_seq_t *tw_snd_nxt) {
  synack_tcp_node_t *n = synack_tcp_hash_lookup(st, t);
  if (n) {
    if (n->kind != SYNACK_NODE_TIMEWAIT) return 0;
    synack_timewait_t *tw = (synack_timewait_t *)n;
    if (!synack_tcp_timewait_reusable(st, tw, now)) return 0;
    *reuse_tw = true;
    *tw_snd_nxt = tw->snd_nxt;
    synack_count(st, SYNACK_CTR_TCP_TW_REUSED);
    synack_tcp_timewait_free(st, tw, "reused by connect()");
    return 1;
  }
  if (synack_tcp_listener_lookup(st, t->family, t->laddr, t->lport)) return 0;
  /* Sockets bound but not in the connection hash (bind() before connect/listen, or a
   * connection that ended with its handle open) hold their port too: the port's chain of the
   * bind index has them (before, the whole socket table was scanned per candidate port). */
  for (const synack_tcb_t *o = st->tcp->pidx[port_bucket(t->lport)]; o; o = o->pnext)
    if (++st->tcp->port_examined, !(o->flags & TF_HASHED) && o->node.t.lport == t->lport && o->node.t.family == t->family &&
        addr_overlap(t->family, t->laddr, o->node.t.laddr))
      return 0;
  return 1;
}

typedef struct {
  synack_tuple_t *t;
  synack_time_t now;
  bool *reuse_tw;
  synack_seq_t *tw_snd_nxt;
} pick_ctx_t;

static bool pick_usable(synack_stack_t *st, uint16_t port, void *ctx) {
  pick_ctx_t *c = ctx;
  c->t->lport = port;
  return port_usable(st, c->t, c->now, c->reuse_tw, c->tw_snd_nxt) != 0;
}

int synack_tcp_port_pick(synack_stack_t *st, synack_tuple_t *t, synack_time_t now, bool *reuse_tw,
                         synack_seq_t *tw_snd_nxt) {
  *reuse_tw = false;
  /* RFC 6056 §3.3.3 (Algorithm 3): offset = F(local IP, remote IP, remote port, secret key);
   * the port is lo + (offset + next_ephemeral + i) % num, trying each in turn. Different
   * destinations see unrelated sequences; next_ephemeral moves by a random step (as in
   * Algorithm 4's spirit) so that consecutive connections are not adjacent. */
  synack_tuple_t dst = *t;
  dst.lport = 0; /* F() covers the local and remote addresses and the remote port only */
  uint32_t offset = (uint32_t)synack_tcp_tuple_hash(st, SYNACK_KEY_PORT, &dst, NULL, 0);
  uint32_t next = st->tcp->port_next, tries = 0;
  pick_ctx_t c = { t, now, reuse_tw, tw_snd_nxt };
  int port = synack_port_search(st, offset + next, pick_usable, &c, &tries);
  if (port < 0) {
    t->lport = 0;
    return port;
  }
  t->lport = (uint16_t)port;
  st->tcp->port_next = next + tries + 1 + (synack_random_u32(st) & 7);
  return 0;
}
