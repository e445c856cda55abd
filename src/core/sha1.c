/* SHA-1 as RFC 3174 specifies it (§4 padding, §6.1 method 1: eighty steps over a 80-word
 * schedule, big-endian words), HMAC as RFC 2104 §2, and the TCP-AO key derivation of RFC 5926
 * §3.1.1. Written from the RFCs; checked against RFC 3174 §7.3's tests and RFC 2202's HMAC-SHA-1
 * cases in tests/unit/test_sha1.c. */
#include <string.h>

#include "blockfeed.h"
#include "sha1.h"
#include "wire_bytes.h"

static uint32_t rotl(uint32_t x, unsigned s) { return (x << s) | (x >> (32u - s)); }

static void sha1_block(void *ctx, const uint8_t *p) {
  synack_sha1_t *s = ctx;
  uint32_t w[80];
  for (int t = 0; t < 16; t++) w[t] = rd32(p + 4 * t);
  for (int t = 16; t < 80; t++) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
  for (int t = 0; t < 80; t++) {
    /* §5: f(t;B,C,D) and K(t) in four ranges of twenty */
    uint32_t f, k;
    if (t < 20) { f = (b & c) | (~b & d); k = 0x5A827999u; }
    else if (t < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1u; }
    else if (t < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDCu; }
    else { f = b ^ c ^ d; k = 0xCA62C1D6u; }
    uint32_t tmp = rotl(a, 5) + f + e + w[t] + k;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = tmp;
  }
  s->h[0] += a;
  s->h[1] += b;
  s->h[2] += c;
  s->h[3] += d;
  s->h[4] += e;
}

void synack_sha1_init(synack_sha1_t *s) {
  static const uint32_t h0[5] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u };
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
}

void synack_sha1_update(synack_sha1_t *s, const void *data, size_t len) {
  synack_blockfeed(s->buf, &s->len, data, len, sha1_block, s);
}

void synack_sha1_final(synack_sha1_t *s, uint8_t out[20]) {
  /* §4: the padding, then the length in bits as a 64-bit big-endian number */
  uint64_t bits = s->len * 8u;
  uint8_t lenb[8];
  wr32(lenb, (uint32_t)(bits >> 32));
  wr32(lenb + 4, (uint32_t)bits);
  synack_blockfeed_pad(s->buf, &s->len, lenb, sha1_block, s);
  for (int i = 0; i < 5; i++) wr32(out + 4 * i, s->h[i]);
}

void synack_hmac_sha1_init(synack_hmac_sha1_t *h, const uint8_t *key, size_t keylen) {
  /* RFC 2104 §2: a key longer than the block is hashed first; then K XOR ipad / opad. */
  uint8_t k[64] = { 0 };
  if (keylen > sizeof k) {
    synack_sha1_t s;
    synack_sha1_init(&s);
    synack_sha1_update(&s, key, keylen);
    synack_sha1_final(&s, k);
  } else if (keylen) {
    memcpy(k, key, keylen);
  }
  uint8_t pad[64];
  for (int i = 0; i < 64; i++) pad[i] = (uint8_t)(k[i] ^ 0x36);
  synack_sha1_init(&h->inner);
  synack_sha1_update(&h->inner, pad, sizeof pad);
  for (int i = 0; i < 64; i++) pad[i] = (uint8_t)(k[i] ^ 0x5c);
  synack_sha1_init(&h->outer);
  synack_sha1_update(&h->outer, pad, sizeof pad);
  memset(k, 0, sizeof k); /* key material not left on the stack */
  memset(pad, 0, sizeof pad);
}

void synack_hmac_sha1_update(synack_hmac_sha1_t *h, const void *data, size_t len) {
  synack_sha1_update(&h->inner, data, len);
}

void synack_hmac_sha1_final(synack_hmac_sha1_t *h, uint8_t out[20]) {
  uint8_t in[20];
  synack_sha1_final(&h->inner, in);
  synack_sha1_update(&h->outer, in, sizeof in);
  synack_sha1_final(&h->outer, out);
}

void synack_tcp_ao_kdf_sha1(const uint8_t *master, size_t mlen, const uint8_t *context, size_t clen,
                            uint8_t out[20]) {
  /* RFC 5926 §3.1.1: Traffic_Key = PRF(Master_Key, i || Label || Context || Output_Length) with
   * PRF = HMAC-SHA-1, i = 1 (one iteration gives the 160 bits), Label "TCP-AO", and
   * Output_Length = 160 as 16 bits. */
  static const uint8_t head[7] = { 1, 'T', 'C', 'P', '-', 'A', 'O' };
  static const uint8_t bits[2] = { 0x00, 0xA0 };
  synack_hmac_sha1_t h;
  synack_hmac_sha1_init(&h, master, mlen);
  synack_hmac_sha1_update(&h, head, sizeof head);
  synack_hmac_sha1_update(&h, context, clen);
  synack_hmac_sha1_update(&h, bits, sizeof bits);
  synack_hmac_sha1_final(&h, out);
}
