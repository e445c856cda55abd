/* Neighbour cache for ARP (RFC 826) and IPv6 neighbour discovery (RFC 4861).
 *
 * A fixed table of cfg.neigh_entries entries. An entry is INCOMPLETE while resolution runs
 * (up to 3 requests, cfg.neigh_retry_ms apart), holding at most cfg.neigh_queue parked frames
 * (RFC 1122 2.3.2.2 asks for at least one; RFC 4861 §7.2.2 for a small queue); REACHABLE for
 * cfg.neigh_timeout_ms after it was learned; PERMANENT when configured.
 *
 * An expired entry is not thrown away but goes STALE (RFC 4861 §7.3.2): it keeps its address and
 * traffic keeps flowing to it. The first frame sent through a STALE entry starts a PROBE: up to
 * 3 unicast solicitations (RFC 4861 §7.3.3; for ARP RFC 1122 2.3.2.1's "unicast poll"),
 * cfg.neigh_retry_ms apart, while frames still go out; an answer makes it REACHABLE again, no
 * answer deletes it (the next frame resolves from scratch). Before, expiry deleted the entry:
 * once a minute every connection to a busy neighbour parked its frames behind a fresh
 * resolution, the 4-frame queue overflowed and the rest were dropped (1,595 segments in one
 * `wrk -c1000` run, retransmitted after RTOs). STALE entries are the first to be replaced when
 * the table is full. Lookups first check
 * the entry of the previous hit, then a hash of the address keyed with a per-stack secret (a
 * peer cannot make the chains long).
 *
 * Against a peer that makes us resolve many addresses (issue 12 §2): at most
 * cfg.neigh_max_incomplete entries resolve at once (more are refused, counted), so INCOMPLETE
 * entries never crowd out learned ones; when the table is full a learned entry is replaced,
 * the one expiring first, but never the default gateway's (losing it would cut every remote
 * peer off). An advertisement without the Override flag does not change a known address
 * (RFC 4861 §7.2.5). */
#include <string.h>

#include "ip.h"
#include "neigh.h"
#include "rng.h"
#include "stack_internal.h"

#define NEIGH_NONE UINT32_MAX

#define NEIGH_MAX_TRIES 3

typedef enum { N_FREE = 0, N_INCOMPLETE, N_REACHABLE, N_PERMANENT, N_STALE, N_PROBE } neigh_state_t;

typedef struct parked {
  struct parked *next;
  size_t len;
  uint8_t data[];
} parked_t;

typedef struct {
  synack_ip_t ip;
  synack_mac_t mac;
  uint8_t state;
  uint8_t tries;
  uint16_t nparked;
  uint32_t hnext; /* next entry index in the hash chain, NEIGH_NONE at the end */
  parked_t *parked, *parked_tail;
  synack_timer_t timer;
} neigh_entry_t;

struct synack_neigh {
  uint32_t n, nbuckets;
  uint32_t last_hit;
  uint32_t nincomplete;
  uint8_t key[16];
  uint32_t *buckets; /* head entry index per bucket, NEIGH_NONE when empty */
  neigh_entry_t e[];
};

static size_t neigh_size(uint32_t n) { return sizeof(struct synack_neigh) + (size_t)n * sizeof(neigh_entry_t); }

int synack_neigh_init(synack_stack_t *st) {
  uint32_t n = st->cfg.neigh_entries ? st->cfg.neigh_entries : 1;
  struct synack_neigh *nb = synack_mem_alloc(st, neigh_size(n));
  if (!nb) return -SYNACK_ENOMEM;
  uint32_t b = 1;
  while (b < n) b <<= 1;
  nb->buckets = synack_mem_alloc(st, b * sizeof *nb->buckets);
  if (!nb->buckets) {
    synack_mem_free(st, nb, neigh_size(n));
    return -SYNACK_ENOMEM;
  }
  nb->n = n;
  nb->nbuckets = b;
  for (uint32_t i = 0; i < b; i++) nb->buckets[i] = NEIGH_NONE;
  memcpy(nb->key, st->keys[SYNACK_KEY_NEIGH], sizeof nb->key); /* secret.h: one key per purpose */
  for (uint32_t i = 0; i < n; i++) {
    synack_timer_init(&nb->e[i].timer, SYNACK_TK_NEIGH);
    nb->e[i].hnext = NEIGH_NONE;
  }
  st->neigh = nb;
  return 0;
}

static uint32_t bucket_of(const struct synack_neigh *nb, const synack_ip_t *ip) {
  uint8_t b[17];
  b[0] = ip->family;
  memcpy(b + 1, ip->b, 16);
  return (uint32_t)synack_siphash24(nb->key, b, sizeof b) & (nb->nbuckets - 1);
}

/* Gives a free entry its address and puts it in the hash. */
static void entry_bind(struct synack_neigh *nb, neigh_entry_t *e, const synack_ip_t *ip) {
  e->ip = *ip;
  uint32_t b = bucket_of(nb, ip);
  e->hnext = nb->buckets[b];
  nb->buckets[b] = (uint32_t)(e - nb->e);
}

static void entry_unhash(struct synack_neigh *nb, neigh_entry_t *e) {
  uint32_t idx = (uint32_t)(e - nb->e);
  uint32_t *pp = &nb->buckets[bucket_of(nb, &e->ip)];
  while (*pp != NEIGH_NONE && *pp != idx) pp = &nb->e[*pp].hnext;
  if (*pp == idx) *pp = e->hnext;
  e->hnext = NEIGH_NONE;
}

static void set_state(struct synack_neigh *nb, neigh_entry_t *e, uint8_t state) {
  if (e->state == N_INCOMPLETE) nb->nincomplete--;
  if (state == N_INCOMPLETE) nb->nincomplete++;
  e->state = state;
}

static void free_parked(synack_stack_t *st, neigh_entry_t *e) {
  parked_t *p = e->parked;
  while (p) {
    parked_t *next = p->next;
    synack_mem_free(st, p, sizeof *p + p->len);
    p = next;
  }
  e->parked = e->parked_tail = NULL;
  e->nparked = 0;
}

static void entry_clear(synack_stack_t *st, neigh_entry_t *e) {
  struct synack_neigh *nb = st->neigh;
  synack_timer_cancel(&st->wheel, &e->timer);
  free_parked(st, e);
  if (e->state != N_FREE) entry_unhash(nb, e);
  memset(&e->ip, 0, sizeof e->ip);
  set_state(nb, e, N_FREE);
  e->tries = 0;
}

void synack_neigh_fini(synack_stack_t *st) {
  struct synack_neigh *nb = st->neigh;
  for (uint32_t i = 0; i < nb->n; i++) entry_clear(st, &nb->e[i]);
  synack_mem_free(st, nb->buckets, nb->nbuckets * sizeof *nb->buckets);
  synack_mem_free(st, nb, neigh_size(nb->n));
  st->neigh = NULL;
}

size_t synack_neigh_memory(const synack_stack_t *st) {
  return neigh_size(st->neigh->n) + st->neigh->nbuckets * sizeof *st->neigh->buckets;
}

static neigh_entry_t *find(synack_stack_t *st, const synack_ip_t *ip) {
  struct synack_neigh *nb = st->neigh;
  neigh_entry_t *h = &nb->e[nb->last_hit];
  if (h->state != N_FREE && synack_ip_equal(&h->ip, ip)) return h;
  for (uint32_t i = nb->buckets[bucket_of(nb, ip)]; i != NEIGH_NONE; i = nb->e[i].hnext) {
    neigh_entry_t *e = &nb->e[i];
    if (synack_ip_equal(&e->ip, ip)) {
      nb->last_hit = i;
      return e;
    }
  }
  return NULL;
}

static bool is_gateway(const synack_stack_t *st, const synack_ip_t *ip) {
  return (st->cfg.ip4_gateway.family && synack_ip_equal(ip, &st->cfg.ip4_gateway)) ||
         (st->cfg.ip6_gateway.family && synack_ip_equal(ip, &st->cfg.ip6_gateway));
}

/* Known address, traffic may use it (REACHABLE or not confirmed lately). */
static bool has_mac(const neigh_entry_t *e) {
  return e->state == N_REACHABLE || e->state == N_PERMANENT || e->state == N_STALE || e->state == N_PROBE;
}

/* A free entry, or else a stale one, or else the reachable entry that expires first (never a
 * permanent one, never the default gateway's). */
static neigh_entry_t *alloc_entry(synack_stack_t *st) {
  struct synack_neigh *nb = st->neigh;
  neigh_entry_t *victim = NULL;
  for (uint32_t i = 0; i < nb->n; i++) {
    neigh_entry_t *e = &nb->e[i];
    if (e->state == N_FREE) return e;
    if (is_gateway(st, &e->ip)) continue;
    bool stale = e->state == N_STALE || e->state == N_PROBE;
    bool victim_stale = victim && (victim->state == N_STALE || victim->state == N_PROBE);
    if (stale && !victim_stale) victim = e;
    else if (e->state == N_REACHABLE && !victim_stale && (!victim || e->timer.expiry < victim->timer.expiry))
      victim = e;
  }
  if (victim) entry_clear(st, victim);
  return victim;
}

bool synack_neigh_lookup(synack_stack_t *st, const synack_ip_t *hop, synack_mac_t *mac) {
  neigh_entry_t *e = find(st, hop);
  if (!e || !has_mac(e)) return false;
  if (e->state == N_STALE) {
    /* RFC 4861 §7.3.3: traffic through a STALE entry starts verifying it; the frame itself
     * goes out. The solicitation is sent from the timer, due at once: the caller is building
     * its frame in the transmit slot a solicitation sent here would take. */
    set_state(st->neigh, e, N_PROBE);
    e->tries = 0;
    synack_timer_set(&st->wheel, &e->timer, st->now);
  }
  *mac = e->mac;
  return true;
}

static void solicit(synack_stack_t *st, const neigh_entry_t *e) {
  const synack_mac_t *unicast = e->state == N_PROBE ? &e->mac : NULL;
  if (e->ip.family == SYNACK_AF_INET)
    synack_arp_request(st, &e->ip, unicast);
  else
    synack_nd_solicit(st, &e->ip, unicast != NULL);
}

void synack_neigh_park(synack_stack_t *st, const synack_ip_t *hop, const uint8_t *frame, size_t len) {
  /* The frame may live in the transmit slot the solicitation is about to use: copy it first. */
  parked_t *p = synack_mem_alloc(st, sizeof *p + len);
  if (!p) {
    synack_drop(st, SYNACK_DROP_TX_NEIGH_QUEUE_FULL, frame, len);
    return;
  }
  p->len = len;
  memcpy(p->data, frame, len);
  neigh_entry_t *e = find(st, hop);
  bool fresh = false;
  if (!e) {
    struct synack_neigh *nb = st->neigh;
    bool capped = nb->nincomplete >= st->cfg.neigh_max_incomplete;
    if (capped) synack_count(st, SYNACK_CTR_NEIGH_INCOMPLETE_FULL);
    e = capped ? NULL : alloc_entry(st);
    if (!e) {
      synack_drop(st, SYNACK_DROP_TX_NEIGH_QUEUE_FULL, p->data, len);
      synack_mem_free(st, p, sizeof *p + len);
      return;
    }
    entry_bind(nb, e, hop);
    set_state(nb, e, N_INCOMPLETE);
    e->tries = 1;
    fresh = true;
    synack_timer_set(&st->wheel, &e->timer, st->now + (uint64_t)st->cfg.neigh_retry_ms * 1000u);
  }
  if (e->nparked >= st->cfg.neigh_queue) {
    synack_drop(st, SYNACK_DROP_TX_NEIGH_QUEUE_FULL, p->data, len);
    synack_mem_free(st, p, sizeof *p + len);
  } else {
    if (e->parked_tail)
      e->parked_tail->next = p;
    else
      e->parked = p;
    e->parked_tail = p;
    e->nparked++;
  }
  if (fresh) solicit(st, e);
}

void synack_neigh_learn(synack_stack_t *st, const synack_ip_t *ip, const synack_mac_t *mac, bool create,
                        bool permanent) {
  neigh_entry_t *e = find(st, ip);
  if (!e) {
    if (!create) return;
    e = alloc_entry(st);
    if (!e) return;
    entry_bind(st->neigh, e, ip);
  }
  if (e->state == N_PERMANENT && !permanent) return;
  e->mac = *mac;
  set_state(st->neigh, e, permanent ? N_PERMANENT : N_REACHABLE);
  e->tries = 0;
  if (permanent)
    synack_timer_cancel(&st->wheel, &e->timer);
  else
    synack_timer_set(&st->wheel, &e->timer, st->now + (uint64_t)st->cfg.neigh_timeout_ms * 1000u);
  /* Release parked frames now that the destination MAC is known (bytes 0..5 of each). */
  parked_t *p = e->parked;
  e->parked = e->parked_tail = NULL;
  e->nparked = 0;
  while (p) {
    parked_t *next = p->next;
    memcpy(p->data, mac->b, 6);
    synack_tx_raw(st, p->data, p->len);
    synack_mem_free(st, p, sizeof *p + p->len);
    p = next;
  }
}

void synack_neigh_advert(synack_stack_t *st, const synack_ip_t *ip, const synack_mac_t *mac, bool override) {
  neigh_entry_t *e = find(st, ip);
  if (!e) return; /* RFC 4861 §7.2.5: an advertisement creates nothing */
  /* RFC 4861 §7.2.5: without the Override flag, a different address does not replace one we
   * have learned (only an INCOMPLETE entry takes it); a forged unsolicited NA cannot redirect
   * the traffic of a known neighbour. */
  if (e->state != N_INCOMPLETE && !override && memcmp(e->mac.b, mac->b, 6) != 0) return;
  synack_neigh_learn(st, ip, mac, false, false);
}

void synack_neigh_timer(synack_stack_t *st, synack_timer_t *t, synack_time_t now) {
  neigh_entry_t *e = (neigh_entry_t *)((uint8_t *)t - offsetof(neigh_entry_t, timer));
  if (e->state == N_INCOMPLETE || e->state == N_PROBE) {
    if (e->tries >= NEIGH_MAX_TRIES) {
      /* RFC 4861 §7.3.3: after MAX_MULTICAST_SOLICIT tries the entry is deleted and the
       * queued packets are dropped (upper layers retransmit). */
      for (parked_t *p = e->parked; p; p = p->next) synack_drop(st, SYNACK_DROP_TX_NEIGH_FAILED, p->data, p->len);
      entry_clear(st, e);
      return;
    }
    e->tries++;
    solicit(st, e);
    synack_timer_set(&st->wheel, &e->timer, now + (uint64_t)st->cfg.neigh_retry_ms * 1000u);
    return;
  }
  /* RFC 4861 §7.3.2: REACHABLE → STALE when ReachableTime passes without confirmation; the
   * entry is kept (no timer) until traffic uses it (PROBE) or the table needs the slot. */
  if (e->state == N_REACHABLE) set_state(st->neigh, e, N_STALE);
}

int synack_stack_neigh_add(synack_stack_t *st, const synack_ip_t *ip, const synack_mac_t *mac) {
  if (!ip || !mac || (ip->family != SYNACK_AF_INET && ip->family != SYNACK_AF_INET6)) return -SYNACK_EINVAL;
  synack_neigh_learn(st, ip, mac, true, true);
  return find(st, ip) ? 0 : -SYNACK_ENOSPC;
}

void synack_ip6_multicast_mac(const synack_ip_t *ip, synack_mac_t *mac) {
  /* RFC 2464 §7: 33:33 followed by the last four bytes of the address. */
  mac->b[0] = 0x33;
  mac->b[1] = 0x33;
  memcpy(mac->b + 2, ip->b + 12, 4);
}

void synack_ip6_solicited_node(const synack_ip_t *ip, synack_ip_t *out) {
  /* RFC 4291 §2.7.1: ff02::1:ffXX:XXXX with the low 24 bits of the address. */
  memset(out, 0, sizeof *out);
  out->family = SYNACK_AF_INET6;
  out->b[0] = 0xff;
  out->b[1] = 0x02;
  out->b[11] = 0x01;
  out->b[12] = 0xff;
  memcpy(out->b + 13, ip->b + 13, 3);
}
