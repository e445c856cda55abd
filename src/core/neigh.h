/* Neighbour cache: ARP (RFC 826) for IPv4, neighbour discovery (RFC 4861) for IPv6.
 * A fixed-size table; each entry holds a bounded queue of frames waiting for resolution. */
#ifndef SYNACK_NEIGH_H
#define SYNACK_NEIGH_H

#include "stack_internal.h"

int synack_neigh_init(synack_stack_t *st);
void synack_neigh_fini(synack_stack_t *st);
/* Looks up the MAC for an on-link next hop. Returns true and fills mac when known. */
bool synack_neigh_lookup(synack_stack_t *st, const synack_ip_t *next_hop, synack_mac_t *mac);
/* Parks a complete frame (link header to be filled) until next_hop resolves; starts
 * resolution. Drops (counted) when the entry's queue or the table is full. */
void synack_neigh_park(synack_stack_t *st, const synack_ip_t *next_hop, const uint8_t *frame, size_t len);
/* Learns or refreshes a mapping (ARP packet, NS/NA option); flushes parked frames. `create`
 * false only updates an existing entry (RFC 826 merge rule). */
void synack_neigh_learn(synack_stack_t *st, const synack_ip_t *ip, const synack_mac_t *mac, bool create, bool permanent);
/* An IPv6 neighbour advertisement (RFC 4861 §7.2.5) for an entry we have: without `override`
 * a different link-layer address does not replace a learned one. */
void synack_neigh_advert(synack_stack_t *st, const synack_ip_t *ip, const synack_mac_t *mac, bool override);
void synack_neigh_timer(synack_stack_t *st, synack_timer_t *t, synack_time_t now);
size_t synack_neigh_memory(const synack_stack_t *st);
/* Ethernet multicast MAC for an IPv6 address (RFC 2464 §7) and solicited-node address. */
void synack_ip6_multicast_mac(const synack_ip_t *ip, synack_mac_t *mac);
void synack_ip6_solicited_node(const synack_ip_t *ip, synack_ip_t *out);

#endif
