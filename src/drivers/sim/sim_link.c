/* Links and their per-direction impairments. The pipeline in link_transmit applies them in the
 * order sim.h documents; each stage that draws a random number draws only when its probability
 * is non-zero, so enabling one impairment does not shift the random stream of another run that
 * leaves it off. Each direction has its own generator (seeded from the simulator seed, the link
 * id and the direction) so that adding a link does not change what happens on the others. */
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"
#include "wire_bytes.h" /* rd16/rd32/wr16/wr32 shared with the core */

#define DEFAULT_QUEUE_BYTES 65536u

static uint64_t mix64(uint64_t x) {
  /* splitmix64 finalizer: spreads (seed, link, dir) into unrelated generator seeds. */
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

static int attach(synack_sim_t *sim, int node, int link) {
  sim_node_t *n = &sim->nodes[node];
  if (synack_sim_grow((void **)&n->links, &n->cap_links, n->nlinks + 1, sizeof *n->links) < 0) return -SYNACK_ENOMEM;
  n->links[n->nlinks] = link;
  return (int)n->nlinks++;
}

static bool valid_node(const synack_sim_t *sim, int n) { return n >= 0 && (size_t)n < sim->nnodes; }

static sim_dir_t *get_dir(const synack_sim_t *sim, int link, int dir) {
  if (!sim || link < 0 || (size_t)link >= sim->nlinks || dir < 0 || dir > 1) return NULL;
  return &sim->links[link].dir[dir];
}

int synack_sim_link(synack_sim_t *sim, int a, int b, const synack_sim_link_cfg_t *cfg_ab,
                    const synack_sim_link_cfg_t *cfg_ba) {
  if (!sim || !valid_node(sim, a) || !valid_node(sim, b) || a == b) return -SYNACK_EINVAL;
  /* A stack has one interface: whatever it emits goes on its only link. */
  for (int k = 0; k < 2; k++) {
    const sim_node_t *n = &sim->nodes[k ? b : a];
    if (n->kind == SIM_NODE_STACK && n->nlinks > 0) return -SYNACK_EBUSY;
  }
  if (synack_sim_grow((void **)&sim->links, &sim->cap_links, sim->nlinks + 1, sizeof *sim->links) < 0)
    return -SYNACK_ENOMEM;
  /* Reserve both port slots first so that a failure leaves no half-attached link. */
  for (int k = 0; k < 2; k++) {
    sim_node_t *n = &sim->nodes[k ? b : a];
    if (synack_sim_grow((void **)&n->links, &n->cap_links, n->nlinks + 1, sizeof *n->links) < 0)
      return -SYNACK_ENOMEM;
  }
  int id = (int)sim->nlinks++;
  sim_link_t *l = &sim->links[id];
  memset(l, 0, sizeof *l);
  l->node[0] = a;
  l->node[1] = b;
  l->port[0] = attach(sim, a, id);
  l->port[1] = attach(sim, b, id);
  for (int d = 0; d < 2; d++) {
    const synack_sim_link_cfg_t *c = d ? cfg_ba : cfg_ab;
    if (c) l->dir[d].cfg = *c;
    synack_rng_seed(&l->dir[d].rng, mix64(sim->seed ^ mix64(((uint64_t)id << 1) | (uint64_t)d)));
  }
  return id;
}

int synack_sim_link_config(synack_sim_t *sim, int link, int dir, const synack_sim_link_cfg_t *cfg) {
  sim_dir_t *d = get_dir(sim, link, dir);
  if (!d) return -SYNACK_EINVAL;
  if (cfg) d->cfg = *cfg;
  else memset(&d->cfg, 0, sizeof d->cfg);
  return 0;
}

int synack_sim_add_rule(synack_sim_t *sim, int link, int dir, const synack_sim_rule_t *rule) {
  sim_dir_t *d = get_dir(sim, link, dir);
  if (!d || !rule) return -SYNACK_EINVAL;
  if (synack_sim_grow((void **)&d->rules, &d->cap_rules, d->nrules + 1, sizeof *d->rules) < 0)
    return -SYNACK_ENOMEM;
  d->rules[d->nrules].rule = *rule;
  d->rules[d->nrules].matched = 0;
  return (int)d->nrules++;
}

const synack_sim_dir_stats_t *synack_sim_stats(const synack_sim_t *sim, int link, int dir) {
  const sim_dir_t *d = get_dir(sim, link, dir);
  return d ? &d->stats : NULL;
}

int synack_sim_send(synack_sim_t *sim, int link, int dir, const uint8_t *frame, size_t len) {
  if (!get_dir(sim, link, dir) || (!frame && len)) return -SYNACK_EINVAL;
  return synack_sim_link_transmit(sim, link, dir, frame, len);
}

void synack_sim_link_free(sim_link_t *l) {
  for (int d = 0; d < 2; d++) {
    free(l->dir[d].rules);
    free(l->dir[d].backlog);
  }
}

/* ---- frame inspection for rule predicates ----
 * Only what a predicate needs (is it TCP, its flags, does it carry data), so a minimal walk
 * with bounds checks: Ethernet (optionally one 802.1Q tag) → IPv4 or IPv6 (common extension
 * headers skipped) → TCP. Checksums are deliberately not verified: a rule matches the frame as
 * the sender emitted it, and rules run before any corruption stage. */
typedef struct {
  bool is_tcp;
  uint8_t flags;
  size_t payload_len;
} tcp_view_t;


static bool view_tcp(const uint8_t *f, size_t len, tcp_view_t *v) {
  memset(v, 0, sizeof *v);
  if (len < 14) return false;
  uint16_t type = rd16(f + 12);
  size_t off = 14;
  if (type == 0x8100) {
    if (len < 18) return false;
    type = rd16(f + 16);
    off = 18;
  }
  const uint8_t *ip = f + off;
  size_t iplen = len - off;
  const uint8_t *l4;
  size_t l4len;
  if (type == 0x0800) {
    if (iplen < 20 || (ip[0] >> 4) != 4) return false;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t tot = rd16(ip + 2);
    if (ihl < 20 || tot < ihl || tot > iplen) return false;
    if (ip[9] != 6) return false;
    if ((rd16(ip + 6) & 0x1fff) != 0) return false; /* a non-first fragment has no TCP header */
    l4 = ip + ihl;
    l4len = tot - ihl;
  } else if (type == 0x86dd) {
    if (iplen < 40 || (ip[0] >> 4) != 6) return false;
    size_t plen = rd16(ip + 4);
    if (40 + plen > iplen) return false;
    uint8_t nh = ip[6];
    size_t pos = 40, end = 40 + plen;
    for (int hops = 0; hops < 8 && (nh == 0 || nh == 43 || nh == 60 || nh == 44); hops++) {
      if (pos + 8 > end) return false;
      size_t hl = nh == 44 ? 8 : ((size_t)ip[pos + 1] + 1) * 8;
      if (nh == 44 && (rd16(ip + pos + 2) & 0xfff8) != 0) return false;
      if (pos + hl > end) return false;
      nh = ip[pos];
      pos += hl;
    }
    if (nh != 6) return false;
    l4 = ip + pos;
    l4len = end - pos;
  } else {
    return false;
  }
  if (l4len < 20) return false;
  size_t doff = (size_t)(l4[12] >> 4) * 4;
  if (doff < 20 || doff > l4len) return false;
  v->is_tcp = true;
  v->flags = l4[13];
  v->payload_len = l4len - doff;
  return true;
}

bool synack_sim_rule_matches(const synack_sim_rule_t *r, const uint8_t *f, size_t len) {
  bool needs_tcp = r->tcp_only || r->tcp_flags_mask || r->payload >= 0;
  if (needs_tcp) {
    tcp_view_t v;
    if (!view_tcp(f, len, &v)) return false;
    if ((v.flags & r->tcp_flags_mask) != r->tcp_flags_value) return false;
    if (r->payload == 0 && v.payload_len != 0) return false;
    if (r->payload == 1 && v.payload_len == 0) return false;
  }
  if (r->match && !r->match(r->user, f, len)) return false;
  return true;
}

/* ---- the pipeline ---- */

static bool chance(sim_dir_t *d, double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return synack_rng_unit(&d->rng) < p;
}

/* Flips one bit past the Ethernet header when there is one: a flip in the link header would
 * have been caught by the Ethernet FCS on a real wire, so the corruptions worth simulating are
 * those the IP and TCP checksums have to catch. */
static void flip_bit(sim_dir_t *d, uint8_t *f, size_t len) {
  if (len == 0) return;
  size_t start = len > 14 ? 14 : 0;
  uint64_t bit = synack_rng_below(&d->rng, (uint64_t)(len - start) * 8);
  f[start + bit / 8] ^= (uint8_t)(1u << (bit % 8));
  d->stats.corrupted++;
}

static void drop(synack_sim_t *sim, int link, int dir, uint8_t *f, size_t len, const char *why) {
  synack_sim_observe(sim, SYNACK_SIM_OBS_DROPPED, link, dir, f, len, why);
  free(f);
}

/* RFC 3168 §5: a congested router marks an ECN-capable packet CE (11) instead of dropping it.
 * Returns true when the frame was ECT(0) or ECT(1) and is now CE. IPv4's header checksum is
 * recomputed; IPv6 has none. */
static bool mark_ce(uint8_t *f, size_t len) {
  if (len < 14) return false;
  uint16_t type = rd16(f + 12);
  size_t off = 14;
  if (type == 0x8100) {
    if (len < 18) return false;
    type = rd16(f + 16);
    off = 18;
  }
  uint8_t *ip = f + off;
  size_t iplen = len - off;
  if (type == 0x0800) {
    if (iplen < 20 || (ip[0] >> 4) != 4) return false;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    uint8_t ecn = ip[1] & 3;
    if (ihl < 20 || ihl > iplen || ecn == 0 || ecn == 3) return false;
    ip[1] |= 3;
    ip[10] = ip[11] = 0;
    uint32_t sum = 0;
    for (size_t i = 0; i < ihl; i += 2) sum += rd16(ip + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
    return true;
  }
  if (type == 0x86dd) {
    if (iplen < 40 || (ip[0] >> 4) != 6) return false;
    uint8_t ecn = (ip[1] >> 4) & 3; /* traffic class: low nibble of byte 0, high nibble of byte 1 */
    if (ecn == 0 || ecn == 3) return false;
    ip[1] |= 0x30;
    return true;
  }
  return false;
}

/* Bottleneck: frames are serialized one after the other at rate_bps; a frame that finds more
 * than queue_bytes still waiting or on the wire (itself included) is dropped at the tail; an
 * ECN-capable frame that finds ecn_mark_bytes or more waiting is marked CE and queued.
 * Returns the time its last bit leaves, or SYNACK_TIME_NEVER when dropped. */
static synack_time_t bottleneck(sim_dir_t *d, synack_time_t now, uint8_t *f, size_t len) {
  if (d->cfg.rate_bps == 0) return now;
  while (d->bl_count && d->backlog[d->bl_head].done <= now) {
    d->bl_bytes -= d->backlog[d->bl_head].len;
    d->bl_head = (d->bl_head + 1) % d->bl_cap;
    d->bl_count--;
  }
  uint64_t limit = d->cfg.queue_bytes ? d->cfg.queue_bytes : DEFAULT_QUEUE_BYTES;
  if (d->bl_bytes + len > limit) return SYNACK_TIME_NEVER;
  if (d->cfg.ecn_mark_bytes && d->bl_bytes >= d->cfg.ecn_mark_bytes && mark_ce(f, len)) d->stats.ce_marked++;
  if (d->bl_count == d->bl_cap) {
    /* Grow the ring, unrolling it so the head is at index 0. */
    size_t ncap = d->bl_cap ? d->bl_cap * 2 : 16;
    sim_backlog_t *nb = malloc(ncap * sizeof *nb);
    if (!nb) return SYNACK_TIME_NEVER;
    for (size_t i = 0; i < d->bl_count; i++) nb[i] = d->backlog[(d->bl_head + i) % d->bl_cap];
    free(d->backlog);
    d->backlog = nb;
    d->bl_cap = ncap;
    d->bl_head = 0;
  }
  synack_time_t start = now;
  if (d->busy_until > now) {
    start = d->busy_until;
  } else {
    d->busy_rem = 0; /* the serializer went idle: no fractional carry */
  }
  /* Serialization time in microseconds = bits * 1e6 / rate; the remainder carries over so that
   * back-to-back frames at rates that do not divide evenly do not drift. */
  uint64_t num = (uint64_t)len * 8u * 1000000u + d->busy_rem;
  synack_time_t done = start + num / d->cfg.rate_bps;
  d->busy_rem = num % d->cfg.rate_bps;
  d->busy_until = done;
  d->backlog[(d->bl_head + d->bl_count) % d->bl_cap] = (sim_backlog_t){.done = done, .len = (uint32_t)len};
  d->bl_count++;
  d->bl_bytes += len;
  return done;
}

/* One copy of the frame after the duplication stage: bottleneck, delay, jitter, reordering. */
static void schedule(synack_sim_t *sim, int link, int dir, uint8_t *f, size_t len, synack_time_t extra) {
  sim_dir_t *d = &sim->links[link].dir[dir];
  synack_time_t now = sim->now;
  synack_time_t out = bottleneck(d, now, f, len);
  if (out == SYNACK_TIME_NEVER) {
    d->stats.dropped_queue++;
    drop(sim, link, dir, f, len, "queue");
    return;
  }
  synack_time_t at = out + d->cfg.delay_us;
  if (d->cfg.jitter_us) at += synack_rng_below(&d->rng, d->cfg.jitter_us + 1);
  /* Jitter alone must not reorder: never earlier than the previous in-order frame. */
  if (at < d->last_delivery) at = d->last_delivery;
  d->last_delivery = at;
  /* Frames held back (by a DELAY rule or the reorder stage) leave the in-order timeline. */
  at += extra;
  if (chance(d, d->cfg.reorder)) {
    at += d->cfg.reorder_delay_us;
    d->stats.reordered++;
  }
  sim_event_t ev = {.time = at, .kind = SIM_EV_DELIVER, .link = link, .dir = dir, .frame = f, .len = len,
                    .sent_at = now};
  if (synack_sim_heap_push(sim, &sim->deliveries, &ev) < 0) free(f);
}

static uint8_t *copy_frame(const uint8_t *f, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len) memcpy(c, f, len);
  return c;
}

int synack_sim_link_transmit(synack_sim_t *sim, int link, int dir, const uint8_t *frame, size_t len) {
  sim_dir_t *d = &sim->links[link].dir[dir];
  d->stats.sent++;
  synack_sim_observe(sim, SYNACK_SIM_OBS_SENT, link, dir, frame, len, NULL);
  uint8_t *f = copy_frame(frame, len);
  if (!f) return -SYNACK_ENOMEM;

  /* 1. Scripted rules: every rule sees every frame; its counter advances on a predicate match. */
  unsigned copies = 1;
  synack_time_t extra = 0;
  for (size_t i = 0; i < d->nrules; i++) {
    sim_rule_state_t *rs = &d->rules[i];
    if (!synack_sim_rule_matches(&rs->rule, f, len)) continue;
    uint32_t k = ++rs->matched;
    uint32_t nth = rs->rule.nth ? rs->rule.nth : 1;
    if (k < nth || (rs->rule.count && k - nth >= rs->rule.count)) continue;
    switch (rs->rule.action) {
    case SYNACK_SIM_DROP:
      d->stats.dropped_rule++;
      drop(sim, link, dir, f, len, "rule");
      return 0;
    case SYNACK_SIM_DUPLICATE:
      copies++;
      d->stats.duplicated++;
      break;
    case SYNACK_SIM_DELAY:
      extra += rs->rule.delay_us;
      d->stats.delayed_rule++;
      break;
    case SYNACK_SIM_CORRUPT:
      flip_bit(d, f, len);
      break;
    }
  }
  /* 2. MTU. */
  if (d->cfg.mtu && len > d->cfg.mtu) {
    d->stats.dropped_mtu++;
    drop(sim, link, dir, f, len, "mtu");
    return 0;
  }
  /* 3. Random loss. */
  if (chance(d, d->cfg.loss)) {
    d->stats.lost++;
    drop(sim, link, dir, f, len, "loss");
    return 0;
  }
  /* 4. Corruption. */
  if (chance(d, d->cfg.corrupt)) flip_bit(d, f, len);
  /* 5. Duplication. */
  if (chance(d, d->cfg.dup)) {
    copies++;
    d->stats.duplicated++;
  }
  /* 6-8. Each copy goes through the bottleneck, delay and reordering on its own. */
  for (unsigned c = 1; c < copies; c++) {
    uint8_t *dupf = copy_frame(f, len);
    if (dupf) schedule(sim, link, dir, dupf, len, extra);
  }
  schedule(sim, link, dir, f, len, extra);
  return 0;
}
