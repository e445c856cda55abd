/* Wire formats: parse into a validated representation, emit from one.
 *
 * Conventions for every protocol P:
 *   synack_drop_reason_t synack_P_parse(const uint8_t *buf, size_t len, synack_P_repr_t *out);
 *     Validates everything the header claims against `len` and returns SYNACK_DROP_NONE (0) or the
 *     reason. On success every pointer in `out` points inside buf[0..len) and every length is
 *     consistent, so later code never needs another bounds check. Never reads past buf[len-1].
 *   size_t synack_P_emit(const synack_P_repr_t *r, uint8_t *buf, size_t cap);
 *     Writes the header (not the payload) and returns its length, or 0 when cap is too small.
 *   Multi-byte fields in reprs are in host byte order.
 */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include "synack/counters.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- Internet checksum (RFC 1071, RFC 1624) ---------- */
/* Adds buf to a 32-bit one's-complement accumulator (not folded). Fast: 64-bit accumulation.
 * Works for any alignment and length; odd lengths pad with a zero byte as RFC 1071 says. */
SYNACK_API uint32_t synack_csum_add(uint32_t sum, const void *buf, size_t len);
/* Copies len bytes from src to dst (which must not overlap) and returns synack_csum_add(sum,
 * src, len), in one pass over the data. */
SYNACK_API uint32_t synack_csum_copy(void *dst, const void *src, size_t len, uint32_t sum);
/* Adds the partial sum part of a block that starts offset bytes into the summed data (a block
 * at an odd offset contributes its byte-swapped sum). */
SYNACK_API uint32_t synack_csum_combine(uint32_t sum, uint32_t part, size_t offset);
/* Byte-at-a-time reference used by the tests to check synack_csum_add. */
SYNACK_API uint32_t synack_csum_add_reference(uint32_t sum, const void *buf, size_t len);
/* Folds to 16 bits and complements: the value to store in a checksum field (network order
 * semantics: store with big-endian write of the returned host value). */
SYNACK_API uint16_t synack_csum_finish(uint32_t sum);
/* Pseudo-header sums (RFC 9293 §3.1, RFC 8200 §8.1); l4_len is the upper-layer length. */
SYNACK_API uint32_t synack_csum_pseudo(const synack_ip_t *src, const synack_ip_t *dst, uint8_t proto, uint32_t l4_len);
/* RFC 1624 eqn. 3: new checksum after a 16-bit field changed from old_word to new_word. */
SYNACK_API uint16_t synack_csum_update16(uint16_t old_csum, uint16_t old_word, uint16_t new_word);
/* Verifies a complete buffer whose checksum field is included: true when the sum folds to 0xffff. */
SYNACK_API bool synack_csum_ok(uint32_t sum_including_field);

/* ---------- Ethernet II ---------- */
#define SYNACK_ETH_HDR_LEN 14
#define SYNACK_ETHERTYPE_IPV4 0x0800
#define SYNACK_ETHERTYPE_ARP 0x0806
#define SYNACK_ETHERTYPE_IPV6 0x86dd
typedef struct {
  synack_mac_t dst, src;
  uint16_t ethertype;
  const uint8_t *payload;
  size_t payload_len;
} synack_eth_repr_t;
SYNACK_API synack_drop_reason_t synack_eth_parse(const uint8_t *buf, size_t len, synack_eth_repr_t *out);
SYNACK_API size_t synack_eth_emit(const synack_eth_repr_t *r, uint8_t *buf, size_t cap);
SYNACK_API bool synack_mac_is_broadcast(const synack_mac_t *m);
SYNACK_API bool synack_mac_is_multicast(const synack_mac_t *m); /* includes broadcast */

/* ---------- ARP (Ethernet/IPv4 only, RFC 826) ---------- */
#define SYNACK_ARP_LEN 28
#define SYNACK_ARP_REQUEST 1
#define SYNACK_ARP_REPLY 2
typedef struct {
  uint16_t op;
  synack_mac_t sha, tha;
  synack_ip_t spa, tpa; /* family SYNACK_AF_INET */
} synack_arp_repr_t;
SYNACK_API synack_drop_reason_t synack_arp_parse(const uint8_t *buf, size_t len, synack_arp_repr_t *out);
SYNACK_API size_t synack_arp_emit(const synack_arp_repr_t *r, uint8_t *buf, size_t cap);

/* ---------- IPv4 (RFC 791) ---------- */
#define SYNACK_IP4_HDR_LEN 20
#define SYNACK_IPPROTO_ICMP 1
#define SYNACK_IPPROTO_TCP 6
#define SYNACK_IPPROTO_UDP 17
#define SYNACK_IPPROTO_ICMPV6 58
#define SYNACK_IP4_DF 0x4000
#define SYNACK_IP4_MF 0x2000
typedef struct {
  synack_ip_t src, dst;
  uint8_t tos;       /* DSCP + ECN */
  uint8_t ttl;
  uint8_t proto;
  uint16_t id;
  bool df, mf;
  uint16_t frag_off; /* in bytes (field value * 8) */
  uint8_t header_len; /* 20..60, options skipped */
  uint16_t total_len;
  const uint8_t *payload; /* total_len - header_len bytes; trailing frame padding excluded */
  size_t payload_len;
} synack_ip4_repr_t;
/* Flags for parse: skip the header checksum check (offload said "data valid"). */
#define SYNACK_PARSE_NO_CSUM 0x1
/* A header with TTL 0 is parsed in full (out filled) and reported as IP4_TTL_ZERO: the stack
 * decides. Likewise IP6_HOPLIMIT_ZERO for IPv6. */
SYNACK_API synack_drop_reason_t synack_ip4_parse(const uint8_t *buf, size_t len, unsigned flags, synack_ip4_repr_t *out);
/* Emits a 20-byte header (no options) with total_len = 20 + payload_len and a correct checksum. */
SYNACK_API size_t synack_ip4_emit(const synack_ip4_repr_t *r, size_t payload_len, uint8_t *buf, size_t cap);

/* ---------- IPv6 (RFC 8200) ---------- */
#define SYNACK_IP6_HDR_LEN 40
#define SYNACK_IP6_NH_HOPOPTS 0
#define SYNACK_IP6_NH_ROUTING 43
#define SYNACK_IP6_NH_FRAGMENT 44
#define SYNACK_IP6_NH_DSTOPTS 60
#define SYNACK_IP6_NH_NONE 59
#define SYNACK_IP6_MAX_EXTHDRS 8
typedef struct {
  synack_ip_t src, dst;
  uint8_t traffic_class;
  uint32_t flow_label;
  uint8_t hop_limit;
  uint16_t payload_len_field; /* the header's payload length */
  /* After walking the extension headers (hop-by-hop, routing, fragment, destination options): */
  uint8_t proto;              /* upper-layer protocol (TCP, UDP, ICMPv6, or NONE) */
  bool has_frag;              /* a fragment header was present */
  uint16_t frag_off;          /* bytes */
  bool frag_more;
  uint32_t frag_id;
  uint8_t routing_segments_left; /* of a routing header, 0 when none */
  const uint8_t *unfrag_end;  /* first byte after the unfragmentable part (before the fragment header) */
  const uint8_t *payload;     /* upper-layer data (or fragment data) */
  size_t payload_len;
} synack_ip6_repr_t;
SYNACK_API synack_drop_reason_t synack_ip6_parse(const uint8_t *buf, size_t len, synack_ip6_repr_t *out);
/* Emits the 40-byte fixed header with next header = r->proto and payload length payload_len. */
SYNACK_API size_t synack_ip6_emit(const synack_ip6_repr_t *r, size_t payload_len, uint8_t *buf, size_t cap);

/* ---------- ICMPv4 (RFC 792) and ICMPv6 (RFC 4443, RFC 4861) ---------- */
#define SYNACK_ICMP4_ECHO_REPLY 0
#define SYNACK_ICMP4_DEST_UNREACH 3
#define SYNACK_ICMP4_ECHO_REQUEST 8
#define SYNACK_ICMP4_TIME_EXCEEDED 11
#define SYNACK_ICMP4_PARAM_PROBLEM 12
/* Destination-unreachable codes */
#define SYNACK_ICMP4_NET_UNREACH 0
#define SYNACK_ICMP4_HOST_UNREACH 1
#define SYNACK_ICMP4_PROTO_UNREACH 2
#define SYNACK_ICMP4_PORT_UNREACH 3
#define SYNACK_ICMP4_FRAG_NEEDED 4
#define SYNACK_ICMP4_SRC_ROUTE_FAILED 5
#define SYNACK_ICMP4_NET_ADMIN_PROHIBITED 9
#define SYNACK_ICMP4_HOST_ADMIN_PROHIBITED 10
#define SYNACK_ICMP4_ADMIN_PROHIBITED 13

#define SYNACK_ICMP6_DEST_UNREACH 1
#define SYNACK_ICMP6_PACKET_TOO_BIG 2
#define SYNACK_ICMP6_TIME_EXCEEDED 3
#define SYNACK_ICMP6_PARAM_PROBLEM 4
#define SYNACK_ICMP6_ECHO_REQUEST 128
#define SYNACK_ICMP6_ECHO_REPLY 129
#define SYNACK_ICMP6_NS 135
#define SYNACK_ICMP6_NA 136
#define SYNACK_ICMP6_PORT_UNREACH 4 /* code of DEST_UNREACH */
#define SYNACK_ICMP6_ADMIN_PROHIBITED 1 /* code of DEST_UNREACH */

typedef struct {
  uint8_t type, code;
  /* echo */
  uint16_t ident, seqno;
  /* fragmentation needed (v4, next-hop MTU) / packet too big (v6); for a parameter problem
   * (v4 type 12, v6 type 4) it holds the pointer field instead. */
  uint32_t mtu;
  /* ND (v6 NS/NA): target address; option source/target link-layer address */
  synack_ip_t target;
  bool has_lladdr;
  synack_mac_t lladdr;
  bool na_router, na_solicited, na_override;
  /* echo data, or the quoted packet of an error message (both after the 8-byte header);
   * for NS/NA the option area after the target (emit ignores it and writes only the
   * link-layer address option); for other types everything after the first 4 bytes. */
  const uint8_t *data;
  size_t data_len;
} synack_icmp_repr_t;
/* Checks the checksum (v6 needs the pseudo-header: pass src/dst; v4 ignores them). */
SYNACK_API synack_drop_reason_t synack_icmp4_parse(const uint8_t *buf, size_t len, synack_icmp_repr_t *out);
SYNACK_API synack_drop_reason_t synack_icmp6_parse(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                                   const synack_ip_t *dst, synack_icmp_repr_t *out);
/* Emit header + data (r->data copied; for errors the caller passes the quoted bytes) and checksum.
 * Returns total ICMP length or 0. */
SYNACK_API size_t synack_icmp4_emit(const synack_icmp_repr_t *r, uint8_t *buf, size_t cap);
SYNACK_API size_t synack_icmp6_emit(const synack_icmp_repr_t *r, const synack_ip_t *src, const synack_ip_t *dst,
                                    uint8_t *buf, size_t cap);

/* ---------- UDP (RFC 768) ---------- */
#define SYNACK_UDP_HDR_LEN 8
typedef struct {
  uint16_t src_port, dst_port;
  uint16_t length;
  const uint8_t *payload;
  size_t payload_len;
} synack_udp_repr_t;
/* Checksum verified against the pseudo-header (zero checksum allowed for IPv4 only). */
SYNACK_API synack_drop_reason_t synack_udp_parse(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                                 const synack_ip_t *dst, unsigned flags, synack_udp_repr_t *out);
/* The 8-byte header of r with its checksum over r->payload (none when src/dst are NULL),
 * without copying the payload: for a datagram sent as IP fragments. */
SYNACK_API void synack_udp_header(const synack_udp_repr_t *r, const synack_ip_t *src, const synack_ip_t *dst,
                                  uint8_t hdr[8]);
/* Writes header + copies payload + checksum; returns total length or 0. */
SYNACK_API size_t synack_udp_emit(const synack_udp_repr_t *r, const synack_ip_t *src, const synack_ip_t *dst,
                                  uint8_t *buf, size_t cap);

/* ---------- TCP (RFC 9293) and its options ---------- */
#define SYNACK_TCP_HDR_LEN 20
#define SYNACK_TCP_MAX_OPT_LEN 40
#define SYNACK_TCP_FIN 0x01
#define SYNACK_TCP_SYN 0x02
#define SYNACK_TCP_RST 0x04
#define SYNACK_TCP_PSH 0x08
#define SYNACK_TCP_ACK 0x10
#define SYNACK_TCP_URG 0x20
#define SYNACK_TCP_ECE 0x40
#define SYNACK_TCP_CWR 0x80

/* Option kinds (RFC 9293, RFC 7323, RFC 2018, RFC 7413). */
#define SYNACK_TCPOPT_EOL 0
#define SYNACK_TCPOPT_NOP 1
#define SYNACK_TCPOPT_MSS 2
#define SYNACK_TCPOPT_WSCALE 3
#define SYNACK_TCPOPT_SACK_PERM 4
#define SYNACK_TCPOPT_SACK 5
#define SYNACK_TCPOPT_TS 8
#define SYNACK_TCPOPT_MD5 19 /* RFC 2385: kind, length 18, 16-byte digest */
#define SYNACK_TCPOPT_AO 29  /* RFC 5925 §2.2: kind, length, KeyID, RNextKeyID, MAC */
#define SYNACK_TCPOPT_FASTOPEN 34
/* RFC 6994 shared experimental option: fast open before kind 34 was assigned used kind 254
 * with the magic 0xF989 (RFC 7413 §4.1.1 note; Linux still speaks it). */
#define SYNACK_TCPOPT_EXP 254
#define SYNACK_TCPOPT_FASTOPEN_MAGIC 0xF989

/* Presence bits in synack_tcp_opts_t.present */
#define SYNACK_TCPOPT_HAS_MSS (1u << 0)
#define SYNACK_TCPOPT_HAS_WSCALE (1u << 1)
#define SYNACK_TCPOPT_HAS_SACK_PERM (1u << 2)
#define SYNACK_TCPOPT_HAS_SACK (1u << 3)
#define SYNACK_TCPOPT_HAS_TS (1u << 4)
#define SYNACK_TCPOPT_HAS_FASTOPEN (1u << 5)
#define SYNACK_TCPOPT_HAS_UNKNOWN (1u << 6)
#define SYNACK_TCPOPT_HAS_BAD_LEN (1u << 7) /* a known option had the wrong length: skipped (also sets UNKNOWN) */
#define SYNACK_TCPOPT_HAS_FASTOPEN_EXP (1u << 8) /* with HAS_FASTOPEN: the cookie came (goes) as kind 254 + magic */
#define SYNACK_TCPOPT_HAS_MD5 (1u << 9) /* RFC 2385 signature: its digest starts md5_off bytes into the header */
#define SYNACK_TCPOPT_HAS_AO (1u << 10) /* RFC 5925 TCP-AO: the option starts ao_off bytes into the header */

typedef struct { uint32_t left, right; } synack_sack_block_t;

typedef struct {
  uint32_t present;
  uint16_t mss;
  uint8_t wscale;            /* as received (not clamped; clamping to 14 is the TCB's job) */
  uint8_t sack_count;        /* 1..4 */
  synack_sack_block_t sack[4];
  uint32_t ts_val, ts_ecr;
  uint8_t fo_len;            /* fast-open cookie length, 0 for a cookie request */
  uint8_t fo_cookie[16];
  /* HAS_MD5: offset of the 16-byte digest from the start of the TCP header (parse); emit writes
   * the option with a zero digest for the sender to fill in (the digest needs the whole segment). */
  uint8_t md5_off;
  /* HAS_AO (RFC 5925 §2.2): the option's offset from the start of the TCP header (parse), its
   * length (4 + MAC bytes), KeyID and RNextKeyID; emit writes a zero MAC for the sender to fill. */
  uint8_t ao_off, ao_len, ao_keyid, ao_rnext;
  /* The option kinds in wire order, NOP and EOL included (EOL padding counted once per byte),
   * so a parsed header can be re-emitted byte for byte and a script runner can compare layouts. */
  uint8_t layout_len;
  uint8_t layout[SYNACK_TCP_MAX_OPT_LEN];
} synack_tcp_opts_t;

typedef struct {
  uint16_t src_port, dst_port;
  uint32_t seq, ack; /* raw 32-bit values */
  uint8_t flags;     /* SYNACK_TCP_* bits; the NS bit / reserved bits are ignored on parse */
  uint16_t window;   /* raw field, unscaled */
  uint16_t checksum; /* as on the wire (parse); ignored on emit */
  uint16_t urgent;
  uint8_t header_len; /* 20..60 */
  synack_tcp_opts_t opts;
  const uint8_t *payload;
  size_t payload_len;
} synack_tcp_repr_t;

/* Parses header and options. When src/dst are non-NULL the checksum is verified over the
 * pseudo-header (unless flags has SYNACK_PARSE_NO_CSUM). Unknown options are skipped by length. */
SYNACK_API synack_drop_reason_t synack_tcp_parse(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                                 const synack_ip_t *dst, unsigned flags, synack_tcp_repr_t *out);
/* Options only: parse buf[0..len) (the option area) into out. */
SYNACK_API synack_drop_reason_t synack_tcp_opts_parse(const uint8_t *buf, size_t len, synack_tcp_opts_t *out);
/* Emits options in the order of `layout` (kinds; NOP/EOL emitted as themselves; kinds whose
 * presence bit is clear are skipped; SACK emits opts->sack_count blocks), then pads with EOL
 * to a multiple of 4. Returns the length written (0..40), or -1 when it would exceed 40 or cap. */
SYNACK_API int synack_tcp_opts_emit(const synack_tcp_opts_t *opts, const uint8_t *layout, size_t layout_len,
                                    uint8_t *buf, size_t cap);
/* Length that synack_tcp_opts_emit would produce, or -1. */
SYNACK_API int synack_tcp_opts_len(const synack_tcp_opts_t *opts, const uint8_t *layout, size_t layout_len);
/* Emits header and options (r->opts.layout is the layout; header_len computed), checksum field 0.
 * The payload is not copied: the caller places it after the header (so data is copied once). */
SYNACK_API size_t synack_tcp_emit(const synack_tcp_repr_t *r, uint8_t *buf, size_t cap);
/* Computes and stores the checksum of a complete segment buf[0..seg_len). */
SYNACK_API void synack_tcp_fill_checksum(uint8_t *seg, size_t seg_len, const synack_ip_t *src, const synack_ip_t *dst);
/* RFC 2385 §2.0: the MD5 signature of a whole TCP segment (header with options, then data) from
 * src to dst with key: pseudo-header, header without options and with a zero checksum, data,
 * key (IPv6 with its own pseudo-header, as Linux). false when the segment is malformed. The
 * digest goes into the MD5 option (opts.md5_off after parsing) before the checksum is filled. */
SYNACK_API bool synack_tcp_md5_digest(const synack_ip_t *src, const synack_ip_t *dst, const uint8_t *seg,
                                      size_t seg_len, const uint8_t *key, size_t keylen, uint8_t out[16]);
/* RFC 5925 §5.2 with RFC 5926 §3.1: the traffic key of a TCP-AO master key (alg
 * SYNACK_TCP_AO_ALG_*) for a segment from src:sport to dst:dport with the source and
 * destination ISNs of its context (a SYN without ACK: destination ISN 0). 20 bytes are written;
 * AES-128-CMAC uses the first 16. */
SYNACK_API void synack_tcp_ao_traffic_key(uint8_t alg, const uint8_t *key, size_t keylen, const synack_ip_t *src,
                                          const synack_ip_t *dst, uint16_t sport, uint16_t dport, uint32_t isn_s,
                                          uint32_t isn_d, uint8_t out[20]);
/* RFC 5925 §5.1: the 96-bit MAC of a whole segment (header with its TCP-AO option, then data)
 * from src to dst with traffic key tk and sequence number extension sne: over the SNE, the
 * pseudo-header, the header with checksum and MAC taken as zero (with exclude_opts only the
 * fixed header and the TCP-AO option, as Linux) and the data. false when the segment is
 * malformed or has no 16-byte TCP-AO option. */
SYNACK_API bool synack_tcp_ao_mac(uint8_t alg, bool exclude_opts, const uint8_t tk[20], uint32_t sne,
                                  const synack_ip_t *src, const synack_ip_t *dst, const uint8_t *seg, size_t seg_len,
                                  uint8_t out[12]);
/* Formats flags the way tcpdump/packetdrill do ("S.", "F.", "P.", "R", "."): buf >= 10 bytes. */
SYNACK_API char *synack_tcp_flags_str(uint8_t flags, char *buf, size_t cap);

/* ---------- Whole-frame dissection (tools, tests, pcap readers) ---------- */
typedef struct {
  synack_eth_repr_t eth;
  bool has_eth;
  uint8_t ip_version;        /* 4, 6 or 0 */
  synack_ip4_repr_t ip4;
  synack_ip6_repr_t ip6;
  synack_ip_t src, dst;
  uint8_t proto;
  bool is_fragment;
  synack_tcp_repr_t tcp;
  synack_udp_repr_t udp;
  synack_icmp_repr_t icmp;
  synack_arp_repr_t arp;
  bool has_arp, has_tcp, has_udp, has_icmp;
} synack_dissect_t;
/* Parses an Ethernet frame (link_is_eth) or a bare IP packet down to the transport header,
 * verifying every checksum. Returns the first drop reason met, or NONE. */
SYNACK_API synack_drop_reason_t synack_dissect(const uint8_t *buf, size_t len, bool link_is_eth, synack_dissect_t *out);

#ifdef __cplusplus
}
#endif
#endif
