/* UDP (RFC 768), checksum rules of RFC 768 and RFC 8200 §8.1. */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

synack_drop_reason_t synack_udp_parse(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                      const synack_ip_t *dst, unsigned flags, synack_udp_repr_t *out) {
  if (len < SYNACK_UDP_HDR_LEN) return SYNACK_DROP_UDP_TRUNCATED;
  /* RFC 768: Length counts header and data, so it is at least 8 and cannot exceed what the
   * IP layer delivered; bytes beyond it are ignored. */
  uint16_t ulen = rd16(buf + 4);
  if (ulen < SYNACK_UDP_HDR_LEN || ulen > len) return SYNACK_DROP_UDP_BAD_LENGTH;
  uint16_t csum = rd16(buf + 6);
  if (src && dst && !(flags & SYNACK_PARSE_NO_CSUM)) {
    if (csum == 0) {
      /* RFC 768: zero means "no checksum" over IPv4; RFC 8200 §8.1: over IPv6 it is invalid. */
      if (src->family == SYNACK_AF_INET6) return SYNACK_DROP_UDP_BAD_CHECKSUM;
    } else {
      uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_UDP, ulen);
      if (!synack_csum_ok(synack_csum_add(sum, buf, ulen))) return SYNACK_DROP_UDP_BAD_CHECKSUM;
    }
  }
  out->src_port = rd16(buf);
  out->dst_port = rd16(buf + 2);
  out->length = ulen;
  out->payload = buf + SYNACK_UDP_HDR_LEN;
  out->payload_len = ulen - SYNACK_UDP_HDR_LEN;
  return SYNACK_DROP_NONE;
}

void synack_udp_header(const synack_udp_repr_t *r, const synack_ip_t *src, const synack_ip_t *dst, uint8_t hdr[8]) {
  size_t total = SYNACK_UDP_HDR_LEN + r->payload_len;
  wr16(hdr, r->src_port);
  wr16(hdr + 2, r->dst_port);
  wr16(hdr + 4, (uint16_t)total);
  wr16(hdr + 6, 0);
  if (!src || !dst) return;
  /* The header is 8 bytes, so the payload's sum continues at an even offset. */
  uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_UDP, (uint32_t)total);
  sum = synack_csum_add(sum, hdr, SYNACK_UDP_HDR_LEN);
  if (r->payload_len) sum = synack_csum_add(sum, r->payload, r->payload_len);
  uint16_t c = synack_csum_finish(sum);
  /* RFC 768: a computed zero is sent as all ones, zero being reserved for "none". */
  wr16(hdr + 6, c ? c : 0xffff);
}

size_t synack_udp_emit(const synack_udp_repr_t *r, const synack_ip_t *src, const synack_ip_t *dst,
                       uint8_t *buf, size_t cap) {
  if (r->payload_len > 65535 - SYNACK_UDP_HDR_LEN) return 0;
  size_t total = SYNACK_UDP_HDR_LEN + r->payload_len;
  if (cap < total) return 0;
  if (r->payload_len) memmove(buf + SYNACK_UDP_HDR_LEN, r->payload, r->payload_len);
  synack_udp_repr_t at = *r;
  at.payload = buf + SYNACK_UDP_HDR_LEN;
  synack_udp_header(&at, src, dst, buf);
  return total;
}
