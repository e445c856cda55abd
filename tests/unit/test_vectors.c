/* Golden vectors: frames the Linux kernel sent (tests/vectors/linux-kernel.pcap, made by
 * tests/vectors/make-linux-pcap.sh) must dissect cleanly, show the expected fields, and
 * re-emit byte for byte from their parsed representation. */
#include "harness.h"
#include "synack/wire.h"

#define MAX_FRAMES 128
#define MAX_SNAP 2048

typedef struct {
  size_t len;
  uint8_t data[MAX_SNAP];
} frame_t;

static frame_t frames[MAX_FRAMES];
static size_t nframes;

static uint32_t get32(const uint8_t *p, int swap) {
  uint32_t le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  uint32_t be = (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
  return swap ? be : le;
}

/* The classic pcap format: 24-byte file header, then 16-byte record headers. The magic tells
 * the byte order (and micro/nanosecond stamps, which do not matter here). */
static int load_pcap(void) {
  if (nframes) return 0;
  const char *dir = getenv("SYNACK_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/vectors/linux-kernel.pcap", dir ? dir : "..");
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "cannot open %s\n", path); return -1; }
  uint8_t gh[24];
  if (fread(gh, 1, 24, f) != 24) { fclose(f); return -1; }
  int swap;
  uint32_t m = get32(gh, 0);
  if (m == 0xa1b2c3d4u || m == 0xa1b23c4du) swap = 0;
  else if (m == 0xd4c3b2a1u || m == 0x4d3cb2a1u) swap = 1;
  else { fclose(f); return -1; }
  if (get32(gh + 20, swap) != 1) { fclose(f); return -1; } /* LINKTYPE_ETHERNET */
  uint8_t rh[16];
  while (fread(rh, 1, 16, f) == 16) {
    uint32_t incl = get32(rh + 8, swap), orig = get32(rh + 12, swap);
    if (incl > MAX_SNAP || incl != orig || nframes == MAX_FRAMES) { fclose(f); return -1; }
    if (fread(frames[nframes].data, 1, incl, f) != incl) { fclose(f); return -1; }
    frames[nframes++].len = incl;
  }
  fclose(f);
  return 0;
}

static void all_frames_dissect(void) {
  REQUIRE(load_pcap() == 0);
  CHECK(nframes >= 30);
  for (size_t i = 0; i < nframes; i++) {
    synack_dissect_t d;
    synack_drop_reason_t why = synack_dissect(frames[i].data, frames[i].len, true, &d);
    if (why != SYNACK_DROP_NONE) fprintf(stderr, "frame %zu: reason %d\n", i, (int)why);
    CHECK_EQ_U(why, SYNACK_DROP_NONE);
    CHECK(d.has_arp || d.has_tcp || d.has_udp || d.has_icmp);
  }
}

/* Re-emits every header from its repr and compares with the captured bytes. */
static void headers_reemit_identically(void) {
  REQUIRE(load_pcap() == 0);
  size_t tcp_checked = 0, ip6_checked = 0;
  for (size_t i = 0; i < nframes; i++) {
    const uint8_t *f = frames[i].data;
    size_t len = frames[i].len;
    synack_dissect_t d;
    REQUIRE(synack_dissect(f, len, true, &d) == SYNACK_DROP_NONE);
    uint8_t out[MAX_SNAP];
    CHECK_EQ_U(synack_eth_emit(&d.eth, out, sizeof out), 14);
    CHECK_MEM(out, f, 14);
    if (d.has_arp) {
      CHECK_EQ_U(synack_arp_emit(&d.arp, out, sizeof out), 28);
      CHECK_MEM(out, f + 14, 28);
    }
    const uint8_t *l4 = NULL;
    size_t l4_len = 0;
    if (d.ip_version == 4) {
      REQUIRE(d.ip4.header_len == 20);
      CHECK_EQ_U(synack_ip4_emit(&d.ip4, d.ip4.payload_len, out, sizeof out), 20);
      CHECK_MEM(out, f + 14, 20);
      l4 = d.ip4.payload;
      l4_len = d.ip4.payload_len;
    } else if (d.ip_version == 6) {
      if (d.ip6.payload == f + 14 + 40) { /* no extension headers */
        CHECK_EQ_U(synack_ip6_emit(&d.ip6, d.ip6.payload_len, out, sizeof out), 40);
        CHECK_MEM(out, f + 14, 40);
        ip6_checked++;
      }
      l4 = d.ip6.payload;
      l4_len = d.ip6.payload_len;
    }
    if (d.has_tcp) {
      size_t h = synack_tcp_emit(&d.tcp, out, sizeof out);
      CHECK_EQ_U(h, d.tcp.header_len);
      memcpy(out + h, d.tcp.payload, d.tcp.payload_len);
      synack_tcp_fill_checksum(out, h + d.tcp.payload_len, &d.src, &d.dst);
      CHECK_EQ_U(h + d.tcp.payload_len, l4_len);
      CHECK_MEM(out, l4, l4_len);
      tcp_checked++;
    }
    if (d.has_udp) {
      CHECK_EQ_U(synack_udp_emit(&d.udp, &d.src, &d.dst, out, sizeof out), l4_len);
      CHECK_MEM(out, l4, l4_len);
    }
    if (d.has_icmp) {
      size_t n = d.ip_version == 4 ? synack_icmp4_emit(&d.icmp, out, sizeof out)
                                   : synack_icmp6_emit(&d.icmp, &d.src, &d.dst, out, sizeof out);
      /* ND messages are rebuilt with the link-layer option only; Linux sends exactly that. */
      CHECK_EQ_U(n, l4_len);
      CHECK_MEM(out, l4, l4_len);
    }
  }
  CHECK(tcp_checked >= 20);
  CHECK(ip6_checked >= 10);
}

static const synack_dissect_t *find(synack_dissect_t *d, int version, int proto, uint8_t tcp_flags, uint8_t icmp_type) {
  for (size_t i = 0; i < nframes; i++) {
    if (synack_dissect(frames[i].data, frames[i].len, true, d) != SYNACK_DROP_NONE) continue;
    if (d->ip_version != version || d->proto != proto) continue;
    if (d->has_tcp && d->tcp.flags != tcp_flags) continue;
    if (d->has_icmp && d->icmp.type != icmp_type) continue;
    return d;
  }
  return NULL;
}

static void syn_fields(void) {
  REQUIRE(load_pcap() == 0);
  synack_dissect_t d;
  REQUIRE(find(&d, 4, SYNACK_IPPROTO_TCP, SYNACK_TCP_SYN, 0));
  CHECK_EQ_U(d.tcp.dst_port, 5001);
  CHECK_EQ_U(d.tcp.header_len, 40);
  CHECK_EQ_U(d.tcp.ack, 0);
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_MSS);
  CHECK_EQ_U(d.tcp.opts.mss, 1460);
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_WSCALE);
  CHECK(d.tcp.opts.wscale >= 7 && d.tcp.opts.wscale <= 14);
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_SACK_PERM);
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_TS);
  CHECK(d.tcp.opts.ts_val != 0);
  CHECK_EQ_U(d.tcp.opts.ts_ecr, 0);
  /* Linux's SYN layout: MSS, SACK-permitted, TS, NOP, WS. */
  static const uint8_t layout[] = { 2, 4, 8, 1, 3 };
  CHECK_EQ_U(d.tcp.opts.layout_len, 5);
  CHECK_MEM(d.tcp.opts.layout, layout, 5);
  CHECK(d.ip4.df);
  CHECK_EQ_U(d.ip4.ttl, 64);
  CHECK_EQ_U(d.ip4.src.b[0], 198);
  CHECK_EQ_U(d.ip4.src.b[1], 18);

  REQUIRE(find(&d, 6, SYNACK_IPPROTO_TCP, SYNACK_TCP_SYN | SYNACK_TCP_ACK, 0));
  CHECK_EQ_U(d.tcp.src_port, 5001);
  CHECK_EQ_U(d.tcp.opts.mss, 1440); /* 1500 - 40 - 20 */
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_SACK_PERM);
  CHECK(d.tcp.opts.ts_ecr != 0);
  CHECK_EQ_U(d.ip6.hop_limit, 64);
  CHECK_EQ_U(d.ip6.dst.b[0], 0xfd);

  /* Data segment: PSH|ACK with "ping" and NOP, NOP, TS. */
  REQUIRE(find(&d, 4, SYNACK_IPPROTO_TCP, SYNACK_TCP_PSH | SYNACK_TCP_ACK, 0));
  CHECK_EQ_U(d.tcp.payload_len, 4);
  CHECK_MEM(d.tcp.payload, "ping", 4);
  CHECK_EQ_U(d.tcp.opts.layout_len, 3);
  REQUIRE(find(&d, 4, SYNACK_IPPROTO_TCP, SYNACK_TCP_FIN | SYNACK_TCP_ACK, 0));
  REQUIRE(find(&d, 6, SYNACK_IPPROTO_TCP, SYNACK_TCP_FIN | SYNACK_TCP_ACK, 0));
}

static void icmp_arp_nd_fields(void) {
  REQUIRE(load_pcap() == 0);
  synack_dissect_t d;
  REQUIRE(find(&d, 4, SYNACK_IPPROTO_ICMP, 0, SYNACK_ICMP4_ECHO_REPLY));
  CHECK_EQ_U(d.icmp.ident, 0x5ac);
  CHECK_EQ_U(d.icmp.seqno, 1);
  CHECK_EQ_U(d.icmp.data_len, 18);
  CHECK_MEM(d.icmp.data, "synack-echo-vector", 18);
  REQUIRE(find(&d, 6, SYNACK_IPPROTO_ICMPV6, 0, SYNACK_ICMP6_ECHO_REQUEST));
  CHECK_EQ_U(d.icmp.ident, 0x5ac);
  REQUIRE(find(&d, 4, SYNACK_IPPROTO_ICMP, 0, SYNACK_ICMP4_DEST_UNREACH));
  CHECK_EQ_U(d.icmp.code, SYNACK_ICMP4_PORT_UNREACH);
  CHECK_EQ_U(d.icmp.data_len, 33); /* the whole quoted datagram: 20 + 8 + "hello" */
  REQUIRE(find(&d, 6, SYNACK_IPPROTO_ICMPV6, 0, SYNACK_ICMP6_DEST_UNREACH));
  CHECK_EQ_U(d.icmp.code, SYNACK_ICMP6_PORT_UNREACH);
  REQUIRE(find(&d, 6, SYNACK_IPPROTO_ICMPV6, 0, SYNACK_ICMP6_NS));
  CHECK(d.icmp.has_lladdr);
  static const uint8_t mac_a[6] = { 2, 0, 0, 0x5a, 0xc0, 1 }, mac_b[6] = { 2, 0, 0, 0x5a, 0xc0, 2 };
  CHECK_MEM(d.icmp.lladdr.b, mac_a, 6);
  CHECK_EQ_U(d.icmp.target.b[15], 2);
  CHECK_EQ_U(d.ip6.hop_limit, 255);
  REQUIRE(find(&d, 6, SYNACK_IPPROTO_ICMPV6, 0, SYNACK_ICMP6_NA));
  CHECK(d.icmp.has_lladdr && d.icmp.na_solicited && d.icmp.na_override && !d.icmp.na_router);
  CHECK_MEM(d.icmp.lladdr.b, mac_b, 6);
  REQUIRE(find(&d, 4, SYNACK_IPPROTO_UDP, 0, 0));
  CHECK_EQ_U(d.udp.dst_port, 9);
  CHECK_EQ_U(d.udp.payload_len, 5);

  size_t arps = 0;
  for (size_t i = 0; i < nframes; i++) {
    if (synack_dissect(frames[i].data, frames[i].len, true, &d) != SYNACK_DROP_NONE || !d.has_arp) continue;
    arps++;
    if (d.arp.op == SYNACK_ARP_REQUEST) {
      CHECK(synack_mac_is_broadcast(&d.eth.dst));
      CHECK_MEM(d.arp.sha.b, mac_a, 6);
    } else {
      CHECK_EQ_U(d.arp.op, SYNACK_ARP_REPLY);
      CHECK_MEM(d.arp.sha.b, mac_b, 6);
    }
  }
  CHECK(arps >= 2);
}

/* Flipping any single byte of the TCP segment must be caught by the checksum (or a structural
 * check) for every captured TCP frame. */
static void corruption_detected(void) {
  REQUIRE(load_pcap() == 0);
  for (size_t i = 0; i < nframes; i++) {
    synack_dissect_t d;
    REQUIRE(synack_dissect(frames[i].data, frames[i].len, true, &d) == SYNACK_DROP_NONE);
    if (!d.has_tcp) continue;
    size_t off = (size_t)(d.ip_version == 4 ? d.ip4.payload - frames[i].data : d.ip6.payload - frames[i].data);
    for (size_t j = off; j < frames[i].len; j++) {
      uint8_t copy[MAX_SNAP];
      memcpy(copy, frames[i].data, frames[i].len);
      copy[j] ^= 0x5a;
      CHECK(synack_dissect(copy, frames[i].len, true, &d) != SYNACK_DROP_NONE);
    }
  }
}

TH_MAIN(TH_CASE(all_frames_dissect), TH_CASE(headers_reemit_identically), TH_CASE(syn_fields),
        TH_CASE(icmp_arp_nd_fields), TH_CASE(corruption_detected))
