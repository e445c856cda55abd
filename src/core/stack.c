/* The stack instance: creation, frame input dispatch, timers, events, tracing, memory.
 * Transmission lives in tx.c, the neighbour cache in neigh.c, IP input in ip_input.c. */
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "ip.h"
#include "neigh.h"
#include "stack_internal.h"

/* ---------- memory ---------- */

static void *default_alloc(void *user, size_t size) {
  (void)user;
  return calloc(1, size);
}
static void default_free(void *user, void *p, size_t size) {
  (void)user;
  (void)size;
  free(p);
}

void *synack_mem_alloc(synack_stack_t *st, size_t size) {
  void *p = st->cfg.allocator.alloc(st->cfg.allocator.user, size);
  if (p) st->mem_bytes += size;
  return p;
}

void synack_mem_free(synack_stack_t *st, void *p, size_t size) {
  if (!p) return;
  st->cfg.allocator.free(st->cfg.allocator.user, p, size);
  st->mem_bytes -= size;
}

/* ---------- randomness ---------- */

void synack_random_bytes(synack_stack_t *st, void *buf, size_t len) {
  if (st->cfg.random)
    st->cfg.random(st->cfg.random_user, buf, len);
  else
    synack_rng_fill(&st->rng, buf, len);
}

uint32_t synack_random_u32(synack_stack_t *st) {
  uint32_t v;
  synack_random_bytes(st, &v, sizeof v);
  return v;
}

/* ---------- tracing and drops ---------- */

void synack_trace_emit(synack_stack_t *st, synack_trace_event_t *ev) {
  ev->now = st->now;
  ev->stack_name = st->cfg.name;
  st->cfg.trace(st->cfg.trace_user, ev);
}

void synack_drop(synack_stack_t *st, synack_drop_reason_t r, const uint8_t *frame, size_t len) {
  if ((unsigned)r < SYNACK_DROP__COUNT) st->counters.drops[r]++;
  if (synack_tracing(st)) {
    synack_trace_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SYNACK_TRACE_FRAME_DROP;
    ev.frame = frame;
    ev.frame_len = len;
    ev.drop = r;
    ev.sock = -1;
    ev.reason = synack_drop_reason_desc(r);
    synack_trace_emit(st, &ev);
  }
}

/* ---------- events ---------- */

int synack_event_reserve(synack_stack_t *st, uint32_t max_sock) {
  if (max_sock <= st->evq_cap) return 0;
  uint32_t cap = st->evq_cap ? st->evq_cap : 64;
  while (cap < max_sock) cap *= 2;
  synack_evq_entry_t *ev = synack_mem_alloc(st, cap * sizeof *ev);
  int *q = synack_mem_alloc(st, cap * sizeof *q);
  if (!ev || !q) {
    synack_mem_free(st, ev, cap * sizeof *ev);
    synack_mem_free(st, q, cap * sizeof *q);
    return -SYNACK_ENOMEM;
  }
  if (st->ev) {
    memcpy(ev, st->ev, st->evq_cap * sizeof *ev);
    /* Unroll the FIFO into the new array. */
    for (uint32_t i = 0; i < st->evq_count; i++) q[i] = st->evq[(st->evq_head + i) % st->evq_cap];
    synack_mem_free(st, st->ev, st->evq_cap * sizeof *st->ev);
    synack_mem_free(st, st->evq, st->evq_cap * sizeof *st->evq);
  }
  st->ev = ev;
  st->evq = q;
  st->evq_head = 0;
  st->evq_cap = cap;
  return 0;
}

void synack_event_post(synack_stack_t *st, int sock, uint32_t bits, int error) {
  if (sock < 0 || (uint32_t)sock >= st->evq_cap || !bits) return;
  synack_evq_entry_t *e = &st->ev[sock];
  e->bits |= bits;
  if (error) e->error = error;
  if (!e->queued) {
    /* Each handle is queued at most once, so the FIFO never holds more than evq_cap. */
    e->queued = true;
    e->sock = sock;
    st->evq[(st->evq_head + st->evq_count) % st->evq_cap] = sock;
    st->evq_count++;
  }
}

void synack_event_forget(synack_stack_t *st, int sock) {
  if (sock < 0 || (uint32_t)sock >= st->evq_cap) return;
  /* Leave the FIFO slot; next_event skips entries with no bits. */
  st->ev[sock].bits = 0;
  st->ev[sock].error = 0;
}

static void echo_event(synack_stack_t *st, const synack_event_t *ev) {
  const uint32_t cap = sizeof st->echo_evq / sizeof st->echo_evq[0];
  if (st->echo_count == cap) { /* oldest reply is forgotten: the queue stays bounded */
    st->echo_head = (st->echo_head + 1) % cap;
    st->echo_count--;
  }
  st->echo_evq[(st->echo_head + st->echo_count) % cap] = *ev;
  st->echo_count++;
}

void synack_stack_post_echo_reply(synack_stack_t *st, const synack_ip_t *from, uint16_t ident, uint16_t seqno,
                                  size_t len, synack_time_t sent_at) {
  synack_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.sock = -1;
  ev.events = SYNACK_EV_ICMP_ECHO_REPLY;
  ev.echo.from = *from;
  ev.echo.ident = ident;
  ev.echo.seqno = seqno;
  ev.echo.len = len;
  ev.echo.sent_at = sent_at;
  echo_event(st, &ev);
}

bool synack_stack_next_event(synack_stack_t *st, synack_event_t *ev) {
  if (st->echo_count) {
    *ev = st->echo_evq[st->echo_head];
    st->echo_head = (st->echo_head + 1) % (sizeof st->echo_evq / sizeof st->echo_evq[0]);
    st->echo_count--;
    return true;
  }
  while (st->evq_count) {
    int sock = st->evq[st->evq_head];
    st->evq_head = (st->evq_head + 1) % st->evq_cap;
    st->evq_count--;
    synack_evq_entry_t *e = &st->ev[sock];
    e->queued = false;
    if (!e->bits) continue;
    memset(ev, 0, sizeof *ev);
    ev->sock = sock;
    ev->events = e->bits;
    ev->error = e->error;
    e->bits = 0;
    e->error = 0;
    return true;
  }
  return false;
}

/* ---------- creation ---------- */

static void derive_link_local(synack_stack_t *st) {
  /* RFC 4291 §2.5.1 / RFC 2464 §4: fe80::/64 with a modified EUI-64 interface identifier. */
  synack_ip_t *ll = &st->ip6_ll;
  memset(ll, 0, sizeof *ll);
  ll->family = SYNACK_AF_INET6;
  ll->b[0] = 0xfe;
  ll->b[1] = 0x80;
  const uint8_t *m = st->cfg.mac.b;
  ll->b[8] = m[0] ^ 0x02;
  ll->b[9] = m[1];
  ll->b[10] = m[2];
  ll->b[11] = 0xff;
  ll->b[12] = 0xfe;
  ll->b[13] = m[3];
  ll->b[14] = m[4];
  ll->b[15] = m[5];
}

synack_stack_t *synack_stack_new(const synack_config_t *cfg, synack_time_t now) {
  if (synack_config_problem(cfg)) return NULL;
  synack_allocator_t a = cfg->allocator;
  if (!a.alloc || !a.free) {
    a.alloc = default_alloc;
    a.free = default_free;
    a.user = NULL;
  }
  synack_stack_t *st = a.alloc(a.user, sizeof *st);
  if (!st) return NULL;
  st->cfg = *cfg;
  st->cfg.allocator = a;
  st->mem_bytes = sizeof *st;
  st->now = now;
  synack_timer_wheel_init(&st->wheel, now);
  /* Secrets: with a randomness source (the OS in every real driver) the master secret and the
   * generator's seed are drawn from it; cfg.seed is used only under the explicit insecure
   * opt-in, which makes every ISN, cookie and port computable from the seed (simulator, tests). */
  if (cfg->random) {
    uint64_t seed;
    cfg->random(cfg->random_user, &seed, sizeof seed);
    synack_rng_seed(&st->rng, seed);
  } else {
    synack_rng_seed(&st->rng, cfg->seed);
  }
  uint8_t master[SYNACK_MASTER_SECRET_LEN];
  _Static_assert(SYNACK_MASTER_SECRET_LEN == SYNACK_SHARED_SECRET_LEN, "one master secret size");
  if (cfg->shared_secret) memcpy(master, cfg->shared_secret, sizeof master);
  else synack_random_bytes(st, master, sizeof master);
  st->cfg.shared_secret = NULL; /* the caller's buffer is not ours to keep */
  synack_secret_derive(master, st->keys);
  memset(master, 0, sizeof master);
  st->icmp_tokens = cfg->icmp_rate_per_sec;
  st->icmp_tokens_at = now / 1000000u;
  if (cfg->link == SYNACK_LINK_ETHERNET && cfg->ip6_link_local) derive_link_local(st);

  /* The transmit ring: slots large enough for one MTU-sized packet plus the link header. */
  st->tx_slot_cap = cfg->mtu + (cfg->link == SYNACK_LINK_ETHERNET ? SYNACK_ETH_HDR_LEN : 0);
  st->tx_mem = synack_mem_alloc(st, (size_t)st->tx_slot_cap * cfg->tx_ring_frames);
  st->tx_len = synack_mem_alloc(st, sizeof(uint32_t) * cfg->tx_ring_frames);
  if (!st->tx_mem || !st->tx_len || synack_event_reserve(st, 64) != 0 || synack_neigh_init(st) != 0 ||
      synack_frag_init(st) != 0 || synack_tcp_init(st) != 0 || synack_udp_init(st) != 0) {
    synack_stack_free(st);
    return NULL;
  }
  return st;
}

void synack_stack_free(synack_stack_t *st) {
  if (!st) return;
  if (st->udp) synack_udp_fini(st);
  if (st->tcp) synack_tcp_fini(st);
  synack_ring_cache_flush(st);
  if (st->frag) synack_frag_fini(st);
  if (st->neigh) synack_neigh_fini(st);
  synack_mem_free(st, st->tx_mem, (size_t)st->tx_slot_cap * st->cfg.tx_ring_frames);
  synack_mem_free(st, st->tx_len, sizeof(uint32_t) * st->cfg.tx_ring_frames);
  if (st->ev) {
    synack_mem_free(st, st->ev, st->evq_cap * sizeof *st->ev);
    synack_mem_free(st, st->evq, st->evq_cap * sizeof *st->evq);
  }
  synack_allocator_t a = st->cfg.allocator;
  a.free(a.user, st, sizeof *st);
}

const synack_config_t *synack_stack_config(const synack_stack_t *st) { return &st->cfg; }
const synack_counters_t *synack_stack_counters(const synack_stack_t *st) { return &st->counters; }
size_t synack_stack_memory(const synack_stack_t *st) { return st->mem_bytes; }
size_t synack_stack_memory_cached(const synack_stack_t *st) { return st->bufcache_bytes; }
size_t synack_stack_trim(synack_stack_t *st) {
  size_t n = st->bufcache_bytes;
  synack_ring_cache_flush(st);
  return n;
}

/* ---------- input ---------- */

void synack_stack_input(synack_stack_t *st, synack_time_t now, const uint8_t *buf, size_t len, unsigned flags) {
  if (now > st->now) st->now = now;
  synack_count(st, SYNACK_CTR_FRAMES_IN);
  synack_count_add(st, SYNACK_CTR_BYTES_IN, len);
  if (synack_tracing(st)) {
    synack_trace_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SYNACK_TRACE_FRAME_IN;
    ev.frame = buf;
    ev.frame_len = len;
    ev.sock = -1;
    synack_trace_emit(st, &ev);
  }
  if (st->cfg.link == SYNACK_LINK_IP) {
    if (len < 1) {
      synack_drop(st, SYNACK_DROP_IP4_TRUNCATED, buf, len);
      return;
    }
    if ((buf[0] >> 4) == 4)
      synack_ip4_input(st, now, buf, len, flags, false);
    else if ((buf[0] >> 4) == 6)
      synack_ip6_input(st, now, buf, len, flags, NULL);
    else
      synack_drop(st, SYNACK_DROP_IP4_BAD_VERSION, buf, len);
    return;
  }
  synack_eth_repr_t eth;
  synack_drop_reason_t r = synack_eth_parse(buf, len, &eth);
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, buf, len);
    return;
  }
  bool mcast = synack_mac_is_multicast(&eth.dst);
  if (!mcast && memcmp(eth.dst.b, st->cfg.mac.b, 6) != 0) {
    synack_drop(st, SYNACK_DROP_ETH_NOT_FOR_US, buf, len);
    return;
  }
  switch (eth.ethertype) {
    case SYNACK_ETHERTYPE_ARP: synack_arp_input(st, now, eth.payload, eth.payload_len); break;
    case SYNACK_ETHERTYPE_IPV4: synack_ip4_input(st, now, eth.payload, eth.payload_len, flags, mcast); break;
    case SYNACK_ETHERTYPE_IPV6: synack_ip6_input(st, now, eth.payload, eth.payload_len, flags, &eth.src); break;
    default: synack_drop(st, SYNACK_DROP_ETH_UNKNOWN_TYPE, buf, len); break;
  }
}

/* ---------- timers ---------- */

static const char *timer_owner_name(uint16_t kind) {
  if (kind == SYNACK_TK_NEIGH) return "neighbour";
  if (kind == SYNACK_TK_FRAG) return "reassembly";
  return "tcp";
}

static void dispatch_timer(void *ctx, synack_timer_t *t, uint64_t now) {
  synack_stack_t *st = ctx;
  if (t->kind >= SYNACK_TK_TCP_FIRST && t->kind <= SYNACK_TK_TCP_LAST) {
    synack_tcp_timer(st, t, now); /* TCP traces its own timers with their names */
    return;
  }
  if (synack_tracing(st)) {
    synack_trace_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SYNACK_TRACE_TIMER;
    ev.sock = -1;
    ev.reason = timer_owner_name(t->kind);
    synack_trace_emit(st, &ev);
  }
  if (t->kind == SYNACK_TK_NEIGH)
    synack_neigh_timer(st, t, now);
  else if (t->kind == SYNACK_TK_FRAG)
    synack_frag_timer(st, t, now);
}

synack_time_t synack_stack_next_deadline(const synack_stack_t *st) {
  return synack_timer_wheel_next_deadline(&st->wheel);
}

void synack_stack_handle_timers(synack_stack_t *st, synack_time_t now) {
  if (now > st->now) st->now = now;
  synack_timer_wheel_expire(&st->wheel, now, dispatch_timer, st);
}
