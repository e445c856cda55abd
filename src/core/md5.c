/* MD5 as RFC 1321 specifies it (§3.1–3.5): 64-byte blocks, four rounds of sixteen steps with
 * the functions F, G, H, I, little-endian words. Written from the RFC's description; checked
 * against its test suite (A.5) in tests/unit/test_md5.c. */
#include <string.h>

#include "blockfeed.h"
#include "md5.h"

static uint32_t rotl(uint32_t x, unsigned s) { return (x << s) | (x >> (32u - s)); }

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* T[i] = floor(2^32 * abs(sin(i + 1))) (RFC 1321 §3.4), as constants: no floating point. */
static const uint32_t T[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
/* Shift amounts per round, four per round (§3.4). */
static const uint8_t S[4][4] = { { 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 } };

static void block(synack_md5_t *m, const uint8_t *p) {
  uint32_t X[16];
  for (int i = 0; i < 16; i++) X[i] = le32(p + 4 * i);
  uint32_t a = m->a, b = m->b, c = m->c, d = m->d;
  for (unsigned i = 0; i < 64; i++) {
    uint32_t f;
    unsigned k, r = i / 16;
    switch (r) {
    case 0: f = (b & c) | (~b & d); k = i; break;              /* F, X[i] */
    case 1: f = (b & d) | (c & ~d); k = (5u * i + 1u) % 16u; break; /* G */
    case 2: f = b ^ c ^ d; k = (3u * i + 5u) % 16u; break;     /* H */
    default: f = c ^ (b | ~d); k = (7u * i) % 16u; break;       /* I */
    }
    uint32_t t = d;
    d = c;
    c = b;
    b = b + rotl(a + f + X[k] + T[i], S[r][i % 4]);
    a = t;
  }
  m->a += a;
  m->b += b;
  m->c += c;
  m->d += d;
}

void synack_md5_init(synack_md5_t *m) {
  /* §3.3: the initial words A, B, C, D */
  m->a = 0x67452301u;
  m->b = 0xefcdab89u;
  m->c = 0x98badcfeu;
  m->d = 0x10325476u;
  m->len = 0;
}

static void md5_block(void *ctx, const uint8_t *p) { block(ctx, p); }

void synack_md5_update(synack_md5_t *m, const void *data, size_t len) {
  synack_blockfeed(m->buf, &m->len, data, len, md5_block, m);
}

void synack_md5_final(synack_md5_t *m, uint8_t out[16]) {
  /* §3.1–3.2: the padding, then the length in bits (64-bit little-endian) */
  uint64_t bits = m->len * 8u;
  uint8_t lenb[8];
  put_le32(lenb, (uint32_t)bits);
  put_le32(lenb + 4, (uint32_t)(bits >> 32));
  synack_blockfeed_pad(m->buf, &m->len, lenb, md5_block, m);
  put_le32(out, m->a);
  put_le32(out + 4, m->b);
  put_le32(out + 8, m->c);
  put_le32(out + 12, m->d);
}
