/* IPv4/IPv6 input and ICMP handling (ip_input.c, icmp_input.c). */
#ifndef SYNACK_IP_H
#define SYNACK_IP_H

#include "stack_internal.h"

/* Internal input flag: the datagram was sent to a broadcast or multicast address. */
#define SYNACK_RX_L3_MULTICAST 0x100u

void synack_ip4_input(synack_stack_t *st, synack_time_t now, const uint8_t *pkt, size_t len, unsigned flags,
                      bool link_multicast);
void synack_ip6_input(synack_stack_t *st, synack_time_t now, const uint8_t *pkt, size_t len, unsigned flags,
                      const synack_mac_t *src_mac);
void synack_arp_input(synack_stack_t *st, synack_time_t now, const uint8_t *pkt, size_t len);
/* Upper-layer dispatch once an IP datagram is whole. ip_pkt/ip_len is the original packet
 * (for ICMP quotes; NULL after reassembly). */
void synack_l4_input(synack_stack_t *st, synack_time_t now, const synack_ip_t *src, const synack_ip_t *dst,
                     uint8_t proto, uint8_t tos, uint8_t ttl, const uint8_t *l4, size_t l4_len, unsigned flags,
                     const uint8_t *ip_pkt, size_t ip_len, const synack_mac_t *src_mac);
/* Limited or directed (our subnet's) broadcast, or multicast (224/4). */
bool synack_ip4_is_bcast_mcast(const synack_stack_t *st, const synack_ip_t *ip);
/* Sends an ICMPv6 neighbour solicitation for target (multicast to its solicited-node group). */
/* `unicast` non-NULL: a reachability probe of a known neighbour (RFC 4861 §7.3.3 PROBE, RFC 1122
 * 2.3.2.1 "unicast poll"), sent to that address instead of the solicited-node group / broadcast. */
void synack_nd_solicit(synack_stack_t *st, const synack_ip_t *target, bool unicast);
/* Sends an ARP request for target. */
void synack_arp_request(synack_stack_t *st, const synack_ip_t *target, const synack_mac_t *unicast);

#endif
