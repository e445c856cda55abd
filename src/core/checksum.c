/* The Internet checksum: RFC 1071 (computation), RFC 1624 (incremental update),
 * RFC 9293 §3.1 and RFC 8200 §8.1 (pseudo-headers). */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

/* Folds a 64-bit accumulator to 32 bits with end-around carry. 2^32 is 1 modulo 0xffff, so the
 * one's-complement value is preserved (RFC 1071 §2(B): the sum may be taken in wider words). */
static uint32_t fold64(uint64_t s) {
  while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
  return (uint32_t)s;
}

static uint16_t fold16(uint32_t s) {
  while (s >> 16) s = (s & 0xffffu) + (s >> 16);
  return (uint16_t)s;
}

static uint16_t swap16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }

uint32_t synack_csum_add(uint32_t sum, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t acc = 0;
  /* RFC 1071 §2(B): the sum is byte-order independent, so 8-byte words are loaded in host order
   * (memcpy: any alignment) and the folded result is swapped to network order once at the end.
   * Each word adds its two 32-bit halves into a 64-bit accumulator, which cannot overflow
   * before 2^31 words; longer buffers are folded on the way. */
  while (len >= 8) {
    size_t n = len / 8;
    if (n > (1u << 30)) n = 1u << 30;
    len -= n * 8;
    uint64_t a0 = 0, a1 = 0;
    for (; n >= 2; n -= 2, p += 16) {
      uint64_t w0, w1;
      memcpy(&w0, p, 8);
      memcpy(&w1, p + 8, 8);
      a0 += (w0 & 0xffffffffu) + (w0 >> 32);
      a1 += (w1 & 0xffffffffu) + (w1 >> 32);
    }
    if (n) {
      uint64_t w;
      memcpy(&w, p, 8);
      a0 += (w & 0xffffffffu) + (w >> 32);
      p += 8;
    }
    acc += fold64(a0);
    acc += fold64(a1);
  }
  uint16_t host16 = fold16(fold64(acc));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  host16 = swap16(host16);
#endif
  uint64_t total = (uint64_t)sum + host16;
  /* The tail (0..7 bytes) in network order; an odd last byte is the high half of a word
   * whose low half is zero (RFC 1071 §4.1). */
  for (; len >= 2; len -= 2, p += 2) total += rd16(p);
  if (len) total += (uint32_t)p[0] << 8;
  return fold64(total);
}

uint32_t synack_csum_add_reference(uint32_t sum, const void *buf, size_t len) {
  const uint8_t *p = buf;
  uint64_t total = sum;
  for (size_t i = 0; i < len; i++) total += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
  return fold64(total);
}

uint16_t synack_csum_finish(uint32_t sum) { return (uint16_t)~fold16(sum); }

uint32_t synack_csum_pseudo(const synack_ip_t *src, const synack_ip_t *dst, uint8_t proto, uint32_t l4_len) {
  uint8_t ph[40];
  if (src->family == SYNACK_AF_INET6) {
    /* RFC 8200 §8.1: source, destination, 32-bit upper-layer length, 3 zero bytes, next header. */
    memcpy(ph, src->b, 16);
    memcpy(ph + 16, dst->b, 16);
    wr32(ph + 32, l4_len);
    ph[36] = ph[37] = ph[38] = 0;
    ph[39] = proto;
    return synack_csum_add(0, ph, 40);
  }
  /* RFC 9293 §3.1: source, destination, zero, protocol, 16-bit TCP length. */
  memcpy(ph, src->b, 4);
  memcpy(ph + 4, dst->b, 4);
  ph[8] = 0;
  ph[9] = proto;
  wr16(ph + 10, (uint16_t)l4_len);
  return synack_csum_add(0, ph, 12);
}

uint16_t synack_csum_update16(uint16_t old_csum, uint16_t old_word, uint16_t new_word) {
  /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never yields 0x0000 for a
   * non-zero sum, which is the case where eqn. 2 goes wrong. */
  uint32_t s = (uint16_t)~old_csum;
  s += (uint16_t)~old_word;
  s += new_word;
  return (uint16_t)~fold16(s);
}

bool synack_csum_ok(uint32_t sum_including_field) { return fold16(sum_including_field) == 0xffff; }
