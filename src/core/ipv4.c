/* IPv4 header (RFC 791), checksum per RFC 1071. */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

/* RFC 791 §3.1 "Options": type 0 ends the list, type 1 is a one-byte no-op, every other option
 * is type, length (counting both bytes, so at least 2), data; none may run past the header. */
static bool options_ok(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t type = p[i];
    if (type == 0) return true;
    if (type == 1) { i++; continue; }
    if (i + 1 >= n) return false;
    uint8_t olen = p[i + 1];
    if (olen < 2 || olen > n - i) return false;
    i += olen;
  }
  return true;
}

synack_drop_reason_t synack_ip4_parse(const uint8_t *buf, size_t len, unsigned flags, synack_ip4_repr_t *out) {
  if (len < SYNACK_IP4_HDR_LEN) return SYNACK_DROP_IP4_TRUNCATED;
  if (buf[0] >> 4 != 4) return SYNACK_DROP_IP4_BAD_VERSION;
  size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
  /* RFC 791 §3.1: IHL counts 32-bit words, minimum 5. */
  if (ihl < SYNACK_IP4_HDR_LEN || ihl > len) return SYNACK_DROP_IP4_BAD_IHL;
  uint16_t total = rd16(buf + 2);
  if (total < ihl) return SYNACK_DROP_IP4_TOTLEN_LT_IHL;
  if (total > len) return SYNACK_DROP_IP4_TOTLEN_GT_FRAME;
  if (!(flags & SYNACK_PARSE_NO_CSUM) && !synack_csum_ok(synack_csum_add(0, buf, ihl)))
    return SYNACK_DROP_IP4_BAD_CHECKSUM;
  if (!options_ok(buf + SYNACK_IP4_HDR_LEN, ihl - SYNACK_IP4_HDR_LEN)) return SYNACK_DROP_IP4_BAD_OPTIONS;

  memset(out, 0, sizeof *out);
  out->header_len = (uint8_t)ihl;
  out->tos = buf[1];
  out->total_len = total;
  out->id = rd16(buf + 4);
  uint16_t ff = rd16(buf + 6);
  out->df = (ff & SYNACK_IP4_DF) != 0;
  out->mf = (ff & SYNACK_IP4_MF) != 0;
  out->frag_off = (uint16_t)((ff & 0x1fff) * 8); /* RFC 791: offset in 8-octet units */
  out->ttl = buf[8];
  out->proto = buf[9];
  out->src.family = out->dst.family = SYNACK_AF_INET;
  memcpy(out->src.b, buf + 12, 4);
  memcpy(out->dst.b, buf + 16, 4);
  /* Link-layer padding after total_len is not part of the datagram. */
  out->payload = buf + ihl;
  out->payload_len = total - ihl;

  /* RFC 791 §3.2: a datagram is at most 65535 octets, and every fragment but the last carries
   * a multiple of 8 octets (the next offset must be expressible). */
  if (out->mf || out->frag_off) {
    if ((size_t)out->frag_off + out->payload_len > 65535) return SYNACK_DROP_FRAG_BAD_OFFSET;
    if (out->mf && (out->payload_len == 0 || out->payload_len % 8 != 0)) return SYNACK_DROP_FRAG_BAD_OFFSET;
  }
  /* RFC 791 §3.2 / RFC 1122 §3.2.1.7: a datagram whose TTL is zero must not be forwarded; for a
   * host it is a policy question, so the header is fully parsed and the stack decides. */
  if (out->ttl == 0) return SYNACK_DROP_IP4_TTL_ZERO;
  return SYNACK_DROP_NONE;
}

size_t synack_ip4_emit(const synack_ip4_repr_t *r, size_t payload_len, uint8_t *buf, size_t cap) {
  if (cap < SYNACK_IP4_HDR_LEN || payload_len > 65535 - SYNACK_IP4_HDR_LEN) return 0;
  buf[0] = 0x45;
  buf[1] = r->tos;
  wr16(buf + 2, (uint16_t)(SYNACK_IP4_HDR_LEN + payload_len));
  wr16(buf + 4, r->id);
  uint16_t ff = (uint16_t)((r->frag_off / 8) & 0x1fff);
  if (r->df) ff |= SYNACK_IP4_DF;
  if (r->mf) ff |= SYNACK_IP4_MF;
  wr16(buf + 6, ff);
  buf[8] = r->ttl;
  buf[9] = r->proto;
  buf[10] = buf[11] = 0;
  memcpy(buf + 12, r->src.b, 4);
  memcpy(buf + 16, r->dst.b, 4);
  wr16(buf + 10, synack_csum_finish(synack_csum_add(0, buf, SYNACK_IP4_HDR_LEN)));
  return SYNACK_IP4_HDR_LEN;
}
