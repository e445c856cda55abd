/* IPv4 and IPv6 input (RFC 791, RFC 1122 §3.2, RFC 8200), ARP input, and the dispatch to the
 * upper layers once a datagram is whole. Every check names its drop reason. */
#include <string.h>

#include "frag.h"
#include "ip.h"
#include "neigh.h"
#include "stack_internal.h"

bool synack_ip4_is_bcast_mcast(const synack_stack_t *st, const synack_ip_t *ip) {
  const uint8_t *b = ip->b;
  if ((b[0] & 0xf0) == 0xe0) return true;                            /* 224/4 multicast */
  if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return true; /* limited broadcast */
  if (st->cfg.ip4.family == SYNACK_AF_INET && st->cfg.ip4_prefix < 31) {
    /* directed broadcast of our subnet */
    uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    uint32_t hostmask = st->cfg.ip4_prefix == 0 ? 0xffffffffu : (0xffffffffu >> st->cfg.ip4_prefix);
    const uint8_t *o = st->cfg.ip4.b;
    uint32_t me = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 | (uint32_t)o[2] << 8 | o[3];
    if ((a & ~hostmask) == (me & ~hostmask) && (a & hostmask) == hostmask) return true;
  }
  return false;
}

void synack_arp_input(synack_stack_t *st, synack_time_t now, const uint8_t *pkt, size_t len) {
  (void)now;
  synack_arp_repr_t a;
  synack_drop_reason_t r = synack_arp_parse(pkt, len, &a);
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, pkt, len);
    return;
  }
  bool for_us = st->cfg.ip4.family == SYNACK_AF_INET && synack_ip_equal(&a.tpa, &st->cfg.ip4);
  /* RFC 826 "Packet reception": update an existing entry for the sender; create one only when
   * the request is addressed to us. */
  if (!synack_ip_is_unspecified(&a.spa)) synack_neigh_learn(st, &a.spa, &a.sha, for_us, false);
  if (!for_us) {
    synack_drop(st, SYNACK_DROP_ARP_NOT_FOR_US, pkt, len);
    return;
  }
  if (a.op != SYNACK_ARP_REQUEST) return;
  uint8_t frame[SYNACK_ETH_HDR_LEN + SYNACK_ARP_LEN];
  synack_eth_repr_t eth = { .dst = a.sha, .src = st->cfg.mac, .ethertype = SYNACK_ETHERTYPE_ARP };
  synack_arp_repr_t rep = { .op = SYNACK_ARP_REPLY, .sha = st->cfg.mac, .spa = st->cfg.ip4, .tha = a.sha, .tpa = a.spa };
  synack_eth_emit(&eth, frame, sizeof frame);
  synack_arp_emit(&rep, frame + SYNACK_ETH_HDR_LEN, SYNACK_ARP_LEN);
  if (synack_tx_raw(st, frame, sizeof frame)) synack_count(st, SYNACK_CTR_ARP_REPLIES_OUT);
}

void synack_arp_request(synack_stack_t *st, const synack_ip_t *target, const synack_mac_t *unicast) {
  if (st->cfg.link != SYNACK_LINK_ETHERNET || st->cfg.ip4.family != SYNACK_AF_INET) return;
  uint8_t frame[SYNACK_ETH_HDR_LEN + SYNACK_ARP_LEN];
  synack_eth_repr_t eth = { .src = st->cfg.mac, .ethertype = SYNACK_ETHERTYPE_ARP };
  if (unicast) eth.dst = *unicast; /* RFC 1122 2.3.2.1: a unicast poll of a known neighbour */
  else memset(eth.dst.b, 0xff, 6);
  synack_arp_repr_t req = { .op = SYNACK_ARP_REQUEST, .sha = st->cfg.mac, .spa = st->cfg.ip4, .tpa = *target };
  synack_eth_emit(&eth, frame, sizeof frame);
  synack_arp_emit(&req, frame + SYNACK_ETH_HDR_LEN, SYNACK_ARP_LEN);
  if (synack_tx_raw(st, frame, sizeof frame)) synack_count(st, SYNACK_CTR_ARP_REQUESTS_OUT);
}

void synack_ip4_input(synack_stack_t *st, synack_time_t now, const uint8_t *pkt, size_t len, unsigned flags,
                      bool link_multicast) {
  synack_ip4_repr_t ip;
  synack_drop_reason_t r = synack_ip4_parse(pkt, len, (flags & SYNACK_RX_CSUM_VALID) ? SYNACK_PARSE_NO_CSUM : 0, &ip);
  /* RFC 1122 3.2.1.7: a host must not discard a datagram for having a TTL below 2; TTL 0
   * matters only to a router, which synack is not. */
  if (r == SYNACK_DROP_IP4_TTL_ZERO) r = SYNACK_DROP_NONE;
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, pkt, len);
    return;
  }
  /* RFC 1122 3.2.1.3: a source that is broadcast or multicast is discarded. */
  if (synack_ip4_is_bcast_mcast(st, &ip.src)) {
    synack_drop(st, SYNACK_DROP_IP4_BAD_SRC, pkt, len);
    return;
  }
  bool local = synack_is_local_addr(st, &ip.dst);
  bool bcast = !local && synack_ip4_is_bcast_mcast(st, &ip.dst);
  if (!local && !bcast) {
    synack_drop(st, SYNACK_DROP_IP4_NOT_FOR_US, pkt, len);
    return;
  }
  (void)link_multicast;
  const uint8_t *l4 = ip.payload;
  size_t l4_len = ip.payload_len;
  const uint8_t *orig = pkt;
  size_t orig_len = ip.total_len;
  if (ip.mf || ip.frag_off) {
    synack_count(st, SYNACK_CTR_FRAGS_IN);
    synack_frag_in_t f = { .family = SYNACK_AF_INET, .src = ip.src, .dst = ip.dst, .id = ip.id, .proto = ip.proto,
                           .offset = ip.frag_off, .more = ip.mf, .data = ip.payload, .len = ip.payload_len,
                           .tos = ip.tos };
    if (!synack_frag_add(st, now, &f, &l4, &l4_len)) return;
    synack_count(st, SYNACK_CTR_REASSEMBLED);
    orig = NULL;
    orig_len = 0;
  }
  if (bcast && ip.proto != SYNACK_IPPROTO_ICMP && ip.proto != SYNACK_IPPROTO_UDP) {
    /* RFC 1122 4.2.3.10: TCP must not accept segments sent to a broadcast or multicast address. */
    synack_drop(st, SYNACK_DROP_TCP_BAD_ADDR, pkt, len);
    return;
  }
  synack_l4_input(st, now, &ip.src, &ip.dst, ip.proto, ip.tos, ip.ttl, l4, l4_len, flags | (bcast ? SYNACK_RX_L3_MULTICAST : 0u),
                  orig, orig_len, NULL);
}

void synack_ip6_input(synack_stack_t *st, synack_time_t now, const uint8_t *pkt, size_t len, unsigned flags,
                      const synack_mac_t *src_mac) {
  synack_ip6_repr_t ip;
  synack_drop_reason_t r = synack_ip6_parse(pkt, len, &ip);
  if (r == SYNACK_DROP_IP6_HOPLIMIT_ZERO) r = SYNACK_DROP_NONE; /* as for IPv4: only routers care */
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, pkt, len);
    return;
  }
  if (ip.src.b[0] == 0xff) { /* RFC 4291 §2.7: multicast is never a source */
    synack_drop(st, SYNACK_DROP_IP6_BAD_SRC, pkt, len);
    return;
  }
  bool local = synack_is_local_addr(st, &ip.dst);
  bool mcast = ip.dst.b[0] == 0xff;
  if (mcast) {
    /* Accept all-nodes (ff02::1) and our solicited-node groups. */
    synack_ip_t sn;
    bool ok = ip.dst.b[1] == 0x02 && ip.dst.b[15] == 0x01 &&
              memcmp(ip.dst.b + 2, "\0\0\0\0\0\0\0\0\0\0\0\0\0", 13) == 0;
    if (!ok && st->cfg.ip6.family) {
      synack_ip6_solicited_node(&st->cfg.ip6, &sn);
      ok = synack_ip_equal(&sn, &ip.dst);
    }
    if (!ok && st->ip6_ll.family) {
      synack_ip6_solicited_node(&st->ip6_ll, &sn);
      ok = synack_ip_equal(&sn, &ip.dst);
    }
    if (!ok) {
      synack_drop(st, SYNACK_DROP_IP6_NOT_FOR_US, pkt, len);
      return;
    }
  } else if (!local) {
    synack_drop(st, SYNACK_DROP_IP6_NOT_FOR_US, pkt, len);
    return;
  }
  if (ip.routing_segments_left) {
    /* RFC 8200 §4.4: we are not a router; a routing header with segments left cannot be
     * processed by a host. (An ICMPv6 parameter problem would be the full answer.) */
    synack_drop(st, SYNACK_DROP_IP6_ROUTING_UNSUPPORTED, pkt, len);
    return;
  }
  const uint8_t *l4 = ip.payload;
  size_t l4_len = ip.payload_len;
  const uint8_t *orig = pkt;
  size_t orig_len = SYNACK_IP6_HDR_LEN + ip.payload_len_field;
  if (ip.has_frag && (ip.frag_off || ip.frag_more)) {
    synack_count(st, SYNACK_CTR_FRAGS_IN);
    synack_frag_in_t f = { .family = SYNACK_AF_INET6, .src = ip.src, .dst = ip.dst, .id = ip.frag_id,
                           .proto = ip.proto, .offset = ip.frag_off, .more = ip.frag_more, .data = ip.payload,
                           .len = ip.payload_len, .tos = ip.traffic_class };
    if (!synack_frag_add(st, now, &f, &l4, &l4_len)) return;
    synack_count(st, SYNACK_CTR_REASSEMBLED);
    orig = NULL;
    orig_len = 0;
  }
  if (mcast && ip.proto != SYNACK_IPPROTO_ICMPV6) {
    synack_drop(st, SYNACK_DROP_TCP_BAD_ADDR, pkt, len);
    return;
  }
  synack_l4_input(st, now, &ip.src, &ip.dst, ip.proto, ip.traffic_class, ip.hop_limit, l4, l4_len,
                  flags | (mcast ? SYNACK_RX_L3_MULTICAST : 0u), orig, orig_len, src_mac);
}
