/* IPv6 fixed header and extension-header chain (RFC 8200). */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

/* RFC 8200 §4.2: hop-by-hop and destination options are TLVs; Pad1 (type 0) is a single
 * byte, every other option is type, length (of the data), data. None may cross the header. */
static bool tlv_options_ok(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (p[i] == 0) { i++; continue; }
    if (i + 2 > n) return false;
    size_t olen = (size_t)p[i + 1] + 2;
    if (olen > n - i) return false;
    i += olen;
  }
  return true;
}

synack_drop_reason_t synack_ip6_parse(const uint8_t *buf, size_t len, synack_ip6_repr_t *out) {
  if (len < SYNACK_IP6_HDR_LEN) return SYNACK_DROP_IP6_TRUNCATED;
  if (buf[0] >> 4 != 6) return SYNACK_DROP_IP6_BAD_VERSION;
  uint16_t plen = rd16(buf + 4);
  /* Jumbograms (RFC 2675) are not supported: a zero payload length simply means no payload. */
  if (plen > len - SYNACK_IP6_HDR_LEN) return SYNACK_DROP_IP6_PAYLOAD_GT_FRAME;

  memset(out, 0, sizeof *out);
  out->traffic_class = (uint8_t)(rd16(buf) >> 4);
  out->flow_label = rd32(buf) & 0xfffff;
  out->payload_len_field = plen;
  out->hop_limit = buf[7];
  out->src.family = out->dst.family = SYNACK_AF_INET6;
  memcpy(out->src.b, buf + 8, 16);
  memcpy(out->dst.b, buf + 24, 16);

  const uint8_t *p = buf + SYNACK_IP6_HDR_LEN;
  const uint8_t *end = p + plen; /* link-layer padding beyond the payload is ignored */
  uint8_t nh = buf[6];
  int count = 0;
  bool done = false;
  while (!done) {
    size_t left = (size_t)(end - p);
    switch (nh) {
      case SYNACK_IP6_NH_HOPOPTS:
      case SYNACK_IP6_NH_ROUTING:
      case SYNACK_IP6_NH_DSTOPTS: {
        /* RFC 8200 §4.3: hop-by-hop options may only follow the fixed header directly. */
        if (nh == SYNACK_IP6_NH_HOPOPTS && count != 0) return SYNACK_DROP_IP6_HBH_NOT_FIRST;
        /* The chain is bounded so that a crafted packet cannot make us walk forever. */
        if (++count > SYNACK_IP6_MAX_EXTHDRS) return SYNACK_DROP_IP6_TOO_MANY_EXTHDRS;
        if (left < 8) return SYNACK_DROP_IP6_BAD_EXTHDR;
        /* RFC 8200 §4.3-4.6: length in 8-octet units, not counting the first 8 octets. */
        size_t hlen = ((size_t)p[1] + 1) * 8;
        if (hlen > left) return SYNACK_DROP_IP6_BAD_EXTHDR;
        if (nh == SYNACK_IP6_NH_ROUTING) {
          /* RFC 8200 §4.4: byte 3 is Segments Left; whether a non-zero value is acceptable is
           * decided by the stack (a host does not forward). */
          out->routing_segments_left = p[3];
        } else if (!tlv_options_ok(p + 2, hlen - 2)) {
          return SYNACK_DROP_IP6_BAD_EXTHDR;
        }
        nh = p[0];
        p += hlen;
        break;
      }
      case SYNACK_IP6_NH_FRAGMENT: {
        if (++count > SYNACK_IP6_MAX_EXTHDRS) return SYNACK_DROP_IP6_TOO_MANY_EXTHDRS;
        if (left < 8) return SYNACK_DROP_IP6_BAD_EXTHDR;
        /* RFC 8200 §4.5: next header, reserved, 13-bit offset (8-octet units), 2 reserved
         * bits, M flag, 32-bit identification. What follows is fragment data, so the walk
         * stops here; reassembly parses the rest. */
        out->has_frag = true;
        out->unfrag_end = p;
        uint16_t offm = rd16(p + 2);
        out->frag_off = (uint16_t)(offm & 0xfff8);
        out->frag_more = (offm & 1) != 0;
        out->frag_id = rd32(p + 4);
        nh = p[0];
        p += 8;
        size_t flen = (size_t)(end - p);
        /* RFC 8200 §4.5: a fragment that is not the last must be a multiple of 8 octets, and
         * offset + length must stay within 65535. */
        if ((size_t)out->frag_off + flen > 65535) return SYNACK_DROP_FRAG_BAD_OFFSET;
        if (out->frag_more && (flen == 0 || flen % 8 != 0)) return SYNACK_DROP_FRAG_BAD_OFFSET;
        done = true;
        break;
      }
      default:
        /* An upper-layer protocol, or No Next Header (59), ends the chain. */
        done = true;
        break;
    }
  }
  out->proto = nh;
  if (!out->has_frag) out->unfrag_end = p;
  out->payload = p;
  out->payload_len = (size_t)(end - p);
  /* RFC 8200 §3: a node must not forward a packet whose hop limit is zero. The header is parsed
   * in full; whether a host accepts it is the stack's policy. */
  if (out->hop_limit == 0) return SYNACK_DROP_IP6_HOPLIMIT_ZERO;
  return SYNACK_DROP_NONE;
}

size_t synack_ip6_emit(const synack_ip6_repr_t *r, size_t payload_len, uint8_t *buf, size_t cap) {
  if (cap < SYNACK_IP6_HDR_LEN || payload_len > 65535) return 0;
  wr32(buf, (uint32_t)6 << 28 | (uint32_t)r->traffic_class << 20 | (r->flow_label & 0xfffff));
  wr16(buf + 4, (uint16_t)payload_len);
  buf[6] = r->proto;
  buf[7] = r->hop_limit;
  memcpy(buf + 8, r->src.b, 16);
  memcpy(buf + 24, r->dst.b, 16);
  return SYNACK_IP6_HDR_LEN;
}
