/* TCP MD5 signature digest (RFC 2385 §2.0): MD5 over the pseudo-header, the TCP header without
 * its options and with a zero checksum, the segment data, and the key. IPv6 uses its own
 * pseudo-header (source, destination, 32-bit length, 24 zero bits, next header), as Linux does
 * (RFC 2385 predates IPv6 and does not say). Connections sign and check with it in
 * tcp_md5sig.c (docs/tcp-choices.md "TCP MD5 signatures"). */
#include <string.h>

#include "md5.h"
#include "tcp_internal.h"
#include "wire_bytes.h"

size_t synack_tcp_pseudo_hdr(const synack_ip_t *src, const synack_ip_t *dst, uint32_t seg_len, uint8_t out[40]) {
  if (src->family == SYNACK_AF_INET6) {
    /* RFC 8200 §8.1: source, destination, 32-bit upper-layer length, 24 zero bits, next header. */
    memcpy(out, src->b, 16);
    memcpy(out + 16, dst->b, 16);
    wr32(out + 32, seg_len);
    wr32(out + 36, SYNACK_IPPROTO_TCP);
    return 40;
  }
  /* RFC 9293 §3.1: source, destination, zero, protocol, TCP length. */
  memcpy(out, src->b, 4);
  memcpy(out + 4, dst->b, 4);
  out[8] = 0;
  out[9] = SYNACK_IPPROTO_TCP;
  wr16(out + 10, (uint16_t)seg_len);
  return 12;
}

bool synack_tcp_md5_digest(const synack_ip_t *src, const synack_ip_t *dst, const uint8_t *seg, size_t seg_len,
                           const uint8_t *key, size_t keylen, uint8_t out[16]) {
  if (seg_len < SYNACK_TCP_HDR_LEN || src->family != dst->family) return false;
  size_t hl = (size_t)(seg[12] >> 4) * 4u;
  if (hl < SYNACK_TCP_HDR_LEN || hl > seg_len) return false;
  synack_md5_t m;
  synack_md5_init(&m);
  uint8_t ph[40];
  synack_md5_update(&m, ph, synack_tcp_pseudo_hdr(src, dst, (uint32_t)seg_len, ph));
  uint8_t h[SYNACK_TCP_HDR_LEN];
  memcpy(h, seg, sizeof h);
  h[16] = h[17] = 0; /* "assuming a checksum of zero" */
  synack_md5_update(&m, h, sizeof h);
  synack_md5_update(&m, seg + hl, seg_len - hl);
  synack_md5_update(&m, key, keylen);
  synack_md5_final(&m, out);
  return true;
}
