/* Whole-frame dissection for tools, tests and capture readers: every layer parsed and every
 * checksum verified, without any stack state. */
#include <string.h>

#include "synack/wire.h"

static synack_drop_reason_t dissect_transport(synack_dissect_t *d, const uint8_t *p, size_t n) {
  switch (d->proto) {
    case SYNACK_IPPROTO_TCP:
      d->has_tcp = true;
      return synack_tcp_parse(p, n, &d->src, &d->dst, 0, &d->tcp);
    case SYNACK_IPPROTO_UDP:
      d->has_udp = true;
      return synack_udp_parse(p, n, &d->src, &d->dst, 0, &d->udp);
    case SYNACK_IPPROTO_ICMP:
      if (d->ip_version != 4) break;
      d->has_icmp = true;
      return synack_icmp4_parse(p, n, &d->icmp);
    case SYNACK_IPPROTO_ICMPV6:
      if (d->ip_version != 6) break;
      d->has_icmp = true;
      return synack_icmp6_parse(p, n, &d->src, &d->dst, &d->icmp);
    case SYNACK_IP6_NH_NONE:
      if (d->ip_version == 6) return SYNACK_DROP_NONE; /* RFC 8200 §4.7: nothing follows */
      break;
    default:
      break;
  }
  return d->ip_version == 4 ? SYNACK_DROP_IP4_UNKNOWN_PROTO : SYNACK_DROP_IP6_UNKNOWN_PROTO;
}

static synack_drop_reason_t dissect_ip(synack_dissect_t *d, const uint8_t *p, size_t n) {
  if (n < 1) return SYNACK_DROP_IP4_TRUNCATED;
  synack_drop_reason_t why;
  if (p[0] >> 4 == 4) {
    d->ip_version = 4;
    why = synack_ip4_parse(p, n, 0, &d->ip4);
    if (why != SYNACK_DROP_NONE) return why;
    d->src = d->ip4.src;
    d->dst = d->ip4.dst;
    d->proto = d->ip4.proto;
    /* A fragment's transport header is only meaningful after reassembly. */
    d->is_fragment = d->ip4.mf || d->ip4.frag_off != 0;
    if (d->is_fragment) return SYNACK_DROP_NONE;
    return dissect_transport(d, d->ip4.payload, d->ip4.payload_len);
  }
  if (p[0] >> 4 == 6) {
    d->ip_version = 6;
    why = synack_ip6_parse(p, n, &d->ip6);
    if (why != SYNACK_DROP_NONE) return why;
    d->src = d->ip6.src;
    d->dst = d->ip6.dst;
    d->proto = d->ip6.proto;
    /* RFC 8200 §4.5 / RFC 6946: an atomic fragment (offset 0, M clear) is a whole packet. */
    d->is_fragment = d->ip6.has_frag && (d->ip6.frag_off != 0 || d->ip6.frag_more);
    if (d->is_fragment) return SYNACK_DROP_NONE;
    return dissect_transport(d, d->ip6.payload, d->ip6.payload_len);
  }
  return SYNACK_DROP_IP4_BAD_VERSION;
}

synack_drop_reason_t synack_dissect(const uint8_t *buf, size_t len, bool link_is_eth, synack_dissect_t *out) {
  memset(out, 0, sizeof *out);
  if (!link_is_eth) return dissect_ip(out, buf, len);
  synack_drop_reason_t why = synack_eth_parse(buf, len, &out->eth);
  if (why != SYNACK_DROP_NONE) return why;
  out->has_eth = true;
  switch (out->eth.ethertype) {
    case SYNACK_ETHERTYPE_ARP:
      out->has_arp = true;
      return synack_arp_parse(out->eth.payload, out->eth.payload_len, &out->arp);
    case SYNACK_ETHERTYPE_IPV4:
      if (out->eth.payload_len < 1) return SYNACK_DROP_IP4_TRUNCATED;
      if (out->eth.payload[0] >> 4 != 4) return SYNACK_DROP_IP4_BAD_VERSION;
      return dissect_ip(out, out->eth.payload, out->eth.payload_len);
    case SYNACK_ETHERTYPE_IPV6:
      if (out->eth.payload_len < 1) return SYNACK_DROP_IP6_TRUNCATED;
      if (out->eth.payload[0] >> 4 != 6) return SYNACK_DROP_IP6_BAD_VERSION;
      return dissect_ip(out, out->eth.payload, out->eth.payload_len);
    default:
      return SYNACK_DROP_ETH_UNKNOWN_TYPE;
  }
}
