/* Whole-frame dissection: every layer, every checksum, the first failing reason. */
#include "harness.h"
#include "synack/wire.h"

/* Linux SYN, Ethernet + IPv4 + TCP. */
static const uint8_t syn4[] = {
  0x02, 0x00, 0x00, 0x5a, 0xc0, 0x02, 0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c,
  0xe8, 0x2f, 0x40, 0x00, 0x40, 0x06, 0xc6, 0x64, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x86, 0x08,
  0x13, 0x89, 0x31, 0x6e, 0x5e, 0x25, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xbc, 0x76, 0x00, 0x00,
  0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x2e, 0x3a, 0xad, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
  0x03, 0x0a,
};
/* Linux UDP over IPv6 to port 9, "hello". */
static const uint8_t udp6[] = {
  0x02, 0x00, 0x00, 0x5a, 0xc0, 0x02, 0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01, 0x86, 0xdd, 0x60, 0x07, 0x02, 0xa2,
  0x00, 0x0d, 0x11, 0x40, 0xfd, 0x00, 0x05, 0xac, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x01, 0xfd, 0x00, 0x05, 0xac, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
  0x97, 0xd3, 0x00, 0x09, 0x00, 0x0d, 0x1e, 0xc9, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
/* Linux ICMP port unreachable (IPv4). */
static const uint8_t unreach4[] = {
  0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01, 0x02, 0x00, 0x00, 0x5a, 0xc0, 0x02, 0x08, 0x00, 0x45, 0xc0, 0x00, 0x3d,
  0x0c, 0x03, 0x00, 0x00, 0x40, 0x01, 0xe1, 0xd5, 0xc6, 0x12, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x01, 0x03, 0x03,
  0x89, 0x43, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x21, 0x4f, 0x58, 0x40, 0x00, 0x40, 0x11, 0x5f, 0x4c,
  0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0xe1, 0xa3, 0x00, 0x09, 0x00, 0x0d, 0x4e, 0x2d, 0x68, 0x65,
  0x6c, 0x6c, 0x6f,
};
/* ARP request who-has 198.18.0.2 tell 198.18.0.1, padded to 60 bytes. */
static const uint8_t arp[60] = {
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00,
  0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
};

static void tcp4_frame(void) {
  synack_dissect_t d;
  REQUIRE(synack_dissect(syn4, sizeof syn4, true, &d) == SYNACK_DROP_NONE);
  CHECK(d.has_eth && d.has_tcp && !d.has_udp && !d.has_icmp && !d.has_arp);
  CHECK_EQ_U(d.eth.ethertype, SYNACK_ETHERTYPE_IPV4);
  CHECK_EQ_U(d.ip_version, 4);
  CHECK_EQ_U(d.proto, SYNACK_IPPROTO_TCP);
  synack_ip_t s = synack_ip4(198, 18, 0, 1);
  CHECK(synack_ip_equal(&d.src, &s));
  CHECK_EQ_U(d.tcp.opts.mss, 1460);
  CHECK(!d.is_fragment);
  /* Bare IP (no link header). */
  REQUIRE(synack_dissect(syn4 + 14, sizeof syn4 - 14, false, &d) == SYNACK_DROP_NONE);
  CHECK(!d.has_eth && d.has_tcp);
  CHECK_EQ_U(d.tcp.dst_port, 5001);
}

static void udp6_icmp4_arp_frames(void) {
  synack_dissect_t d;
  REQUIRE(synack_dissect(udp6, sizeof udp6, true, &d) == SYNACK_DROP_NONE);
  CHECK_EQ_U(d.ip_version, 6);
  CHECK(d.has_udp);
  CHECK_EQ_U(d.udp.dst_port, 9);
  CHECK_EQ_U(d.ip6.flow_label, 0x702a2);
  REQUIRE(synack_dissect(unreach4, sizeof unreach4, true, &d) == SYNACK_DROP_NONE);
  CHECK(d.has_icmp);
  CHECK_EQ_U(d.icmp.type, SYNACK_ICMP4_DEST_UNREACH);
  CHECK_EQ_U(d.ip4.tos, 0xc0);
  REQUIRE(synack_dissect(arp, sizeof arp, true, &d) == SYNACK_DROP_NONE);
  CHECK(d.has_arp);
  CHECK_EQ_U(d.arp.op, SYNACK_ARP_REQUEST);
  CHECK_EQ_U(d.ip_version, 0);
}

static void first_reason_wins(void) {
  synack_dissect_t d;
  uint8_t b[sizeof syn4];
  for (size_t n = 0; n < 14; n++) CHECK_EQ_U(synack_dissect(syn4, n, true, &d), SYNACK_DROP_ETH_TRUNCATED);
  CHECK_EQ_U(synack_dissect(syn4, 14, true, &d), SYNACK_DROP_IP4_TRUNCATED);
  CHECK_EQ_U(synack_dissect(syn4, 33, true, &d), SYNACK_DROP_IP4_TRUNCATED);
  CHECK_EQ_U(synack_dissect(syn4, 60, true, &d), SYNACK_DROP_IP4_TOTLEN_GT_FRAME);
  CHECK_EQ_U(synack_dissect(udp6, 53, true, &d), SYNACK_DROP_IP6_TRUNCATED);
  CHECK_EQ_U(synack_dissect(udp6, 60, true, &d), SYNACK_DROP_IP6_PAYLOAD_GT_FRAME);
  CHECK_EQ_U(synack_dissect(arp, 41, true, &d), SYNACK_DROP_ARP_TRUNCATED);
  memcpy(b, syn4, sizeof b);
  b[sizeof b - 1] ^= 1; /* last option byte: TCP checksum */
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_TCP_BAD_CHECKSUM);
  memcpy(b, syn4, sizeof b);
  b[25] ^= 1; /* IP checksum */
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_IP4_BAD_CHECKSUM);
  memcpy(b, syn4, sizeof b);
  b[12] = 0x88; /* unknown ethertype 0x88cc (LLDP) */
  b[13] = 0xcc;
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_ETH_UNKNOWN_TYPE);
  memcpy(b, syn4, sizeof b);
  b[14] = 0x65; /* IPv4 ethertype carrying version 6 */
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_IP4_BAD_VERSION);
  /* Read as IPv6, the IPv4 id field becomes a payload length far beyond the packet. */
  CHECK_EQ_U(synack_dissect(b + 14, sizeof b - 14, false, &d), SYNACK_DROP_IP6_PAYLOAD_GT_FRAME);
  b[14] = 0x75;
  CHECK_EQ_U(synack_dissect(b + 14, sizeof b - 14, false, &d), SYNACK_DROP_IP4_BAD_VERSION);
  CHECK_EQ_U(synack_dissect(b, 0, false, &d), SYNACK_DROP_IP4_TRUNCATED);
}

static void fix_ip4(uint8_t *ip) {
  ip[10] = ip[11] = 0;
  uint16_t c = synack_csum_finish(synack_csum_add(0, ip, 20));
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
}

static void fragments_and_protocols(void) {
  synack_dissect_t d;
  uint8_t b[sizeof syn4];
  /* A non-first fragment: not dissected further, even though its "TCP header" is garbage. */
  memcpy(b, syn4, sizeof b);
  b[20] = 0x00;
  b[21] = 0x05; /* offset 40 */
  b[34] ^= 0xff;
  fix_ip4(b + 14);
  REQUIRE(synack_dissect(b, sizeof b, true, &d) == SYNACK_DROP_NONE);
  CHECK(d.is_fragment);
  CHECK(!d.has_tcp);
  /* Unknown transport protocols. */
  memcpy(b, syn4, sizeof b);
  b[23] = 47; /* GRE */
  fix_ip4(b + 14);
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_IP4_UNKNOWN_PROTO);
  b[23] = SYNACK_IPPROTO_ICMPV6; /* ICMPv6 inside IPv4 */
  fix_ip4(b + 14);
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_IP4_UNKNOWN_PROTO);
  uint8_t c[sizeof udp6];
  memcpy(c, udp6, sizeof c);
  c[20] = SYNACK_IP6_NH_NONE;
  CHECK_EQ_U(synack_dissect(c, sizeof c, true, &d), SYNACK_DROP_NONE);
  CHECK_EQ_U(d.proto, SYNACK_IP6_NH_NONE);
  c[20] = 132; /* SCTP */
  CHECK_EQ_U(synack_dissect(c, sizeof c, true, &d), SYNACK_DROP_IP6_UNKNOWN_PROTO);
  c[20] = SYNACK_IPPROTO_TCP; /* 13 bytes cannot hold a TCP header */
  CHECK_EQ_U(synack_dissect(c, sizeof c, true, &d), SYNACK_DROP_TCP_TRUNCATED);
  /* TTL zero surfaces from the IP layer. */
  memcpy(b, syn4, sizeof b);
  b[22] = 0;
  fix_ip4(b + 14);
  CHECK_EQ_U(synack_dissect(b, sizeof b, true, &d), SYNACK_DROP_IP4_TTL_ZERO);
}

TH_MAIN(TH_CASE(tcp4_frame), TH_CASE(udp6_icmp4_arp_frames), TH_CASE(first_reason_wins), TH_CASE(fragments_and_protocols))
