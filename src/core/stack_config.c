/* Changing a running stack's configuration (synack_stack_set_config, include/synack/stack.h).
 *
 * The stack reads most of its settings from st->cfg at the moment it uses them, so replacing
 * the struct is what a kernel's sysctl write does: switches that are consulted per segment or
 * per timer (RFC 5961 checks, RFC 1337, delayed-ACK time, RTO bounds and slop, retry counts,
 * SYN cookies, ...) reach existing connections at once; values copied into a connection when
 * it is created or synchronized (buffer sizes, window scale, MSS, negotiated SACK, timestamps
 * and ECN, the congestion-control algorithm) apply to new connections only, as on Linux and
 * FreeBSD. Keepalive times are the one copied-looking value that is live: a connection without
 * its own TCP_KEEP* options follows the default (tcp_timer.c).
 *
 * What sized the stack's memory, names it on the link or seeds its secrets cannot change. */
#include <string.h>

#include "tcp_internal.h"

/* Fields fixed at creation: a new value is refused rather than silently ignored. */
static bool fixed_fields_equal(const synack_config_t *a, const synack_config_t *b) {
  return a->link == b->link && memcmp(&a->mac, &b->mac, sizeof a->mac) == 0 && a->mtu == b->mtu &&
         memcmp(&a->ip4, &b->ip4, sizeof a->ip4) == 0 && a->ip4_prefix == b->ip4_prefix &&
         memcmp(&a->ip4_gateway, &b->ip4_gateway, sizeof a->ip4_gateway) == 0 &&
         memcmp(&a->ip6, &b->ip6, sizeof a->ip6) == 0 && a->ip6_prefix == b->ip6_prefix &&
         memcmp(&a->ip6_gateway, &b->ip6_gateway, sizeof a->ip6_gateway) == 0 &&
         a->ip6_link_local == b->ip6_link_local && a->tx_ring_frames == b->tx_ring_frames &&
         a->max_sockets == b->max_sockets && a->neigh_entries == b->neigh_entries &&
         a->frag_max_datagrams == b->frag_max_datagrams && a->tcp_ooo_max_ranges == b->tcp_ooo_max_ranges &&
         a->insecure_deterministic == b->insecure_deterministic && a->seed == b->seed && a->random == b->random &&
         a->random_user == b->random_user && a->shared_secret == b->shared_secret;
}

/* Values no stack could run with. */
static bool values_valid(const synack_config_t *c) {
  switch (c->tcp_ecn) {
  case SYNACK_ECN_MODE_OFF:
  case SYNACK_ECN_MODE_ON:
  case SYNACK_ECN_MODE_PASSIVE: break;
  default: return false;
  }
  switch (c->tcp_rcvwnd) {
  case SYNACK_RCVWND_RFC:
  case SYNACK_RCVWND_FREEBSD:
  case SYNACK_RCVWND_LINUX: break;
  default: return false;
  }
  switch (c->tcp_cc) {
  case SYNACK_CC_NEWRENO:
  case SYNACK_CC_CUBIC: break;
  default: return false;
  }
  switch (c->tcp_opt_layout) {
  case SYNACK_OPT_LAYOUT_LINUX:
  case SYNACK_OPT_LAYOUT_FREEBSD: break;
  default: return false;
  }
  return c->tcp_rto_initial_ms > 0 && c->tcp_rto_min_ms > 0 &&
         (c->tcp_rto_max_ms == 0 || c->tcp_rto_min_ms <= c->tcp_rto_max_ms) && c->tcp_port_lo > 0 &&
         c->tcp_port_lo <= c->tcp_port_hi && c->tcp_sndbuf > 0 && c->tcp_rcvbuf > 0 && c->tcp_max_buf > 0 &&
         c->tcp_mem_low <= c->tcp_mem_pressure && c->tcp_mem_pressure <= c->tcp_mem_high &&
         c->tcp_keepalive_idle_s > 0 && c->tcp_keepalive_intvl_s > 0 && c->tcp_keepalive_probes > 0;
}

int synack_stack_set_config(synack_stack_t *st, const synack_config_t *cfg) {
  if (!st || !cfg) return -SYNACK_EINVAL;
  synack_config_t next = *cfg;
  /* The allocator cannot change; a config that names none keeps the stack's. */
  if (!next.allocator.alloc && !next.allocator.free) next.allocator = st->cfg.allocator;
  if (next.allocator.alloc != st->cfg.allocator.alloc || next.allocator.free != st->cfg.allocator.free ||
      next.allocator.user != st->cfg.allocator.user)
    return -SYNACK_EINVAL;
  if (!fixed_fields_equal(&st->cfg, &next) || !values_valid(&next)) return -SYNACK_EINVAL;
  synack_config_t old = st->cfg;
  st->cfg = next;
  synack_tcp_config_changed(st, &old);
  return 0;
}
