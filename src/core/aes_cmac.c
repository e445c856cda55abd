/* AES-128 as FIPS-197 specifies it (§5.1 Cipher: SubBytes, ShiftRows, MixColumns, AddRoundKey
 * over ten rounds; §5.2 KeyExpansion), AES-CMAC as RFC 4493 §2 (subkeys K1/K2 by doubling in
 * GF(2^128), the last block XORed with K1 when whole, else padded and XORed with K2), and the
 * TCP-AO key derivation of RFC 5926 §3.1.2. Written from the documents; checked against
 * FIPS-197 appendix C.1 and RFC 4493 §4 in tests/unit/test_aes_cmac.c. The S-box is a table
 * indexed by key- and data-dependent bytes, so the time taken is not constant (a cache-timing
 * channel to code sharing the CPU); a bitsliced constant-time version would remove it. */
#include <string.h>

#include "aes_cmac.h"

/* FIPS-197 §5.1.1: the S-box (inverse in GF(2^8), then the affine transform), computed once by
 * a script from that definition and kept as constants. */
static const uint8_t sbox[256] = {
  0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
  0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
  0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
  0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
  0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
  0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
  0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
  0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
  0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
  0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
  0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
  0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
  0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
  0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
  0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
  0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

/* Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS-197 §4.2.1 xtime). */
static uint8_t xtime(uint8_t b) { return (uint8_t)((b << 1) ^ ((b & 0x80) ? 0x1b : 0)); }

void synack_aes128_init(synack_aes128_t *a, const uint8_t key[16]) {
  /* §5.2: w[i] = w[i-4] ^ (i % 4 == 0 ? SubWord(RotWord(w[i-1])) ^ Rcon : w[i-1]) */
  memcpy(a->rk, key, 16);
  uint8_t rcon = 1;
  for (int i = 16; i < 176; i += 4) {
    uint8_t t[4] = { a->rk[i - 4], a->rk[i - 3], a->rk[i - 2], a->rk[i - 1] };
    if (i % 16 == 0) {
      uint8_t u = t[0];
      t[0] = (uint8_t)(sbox[t[1]] ^ rcon);
      t[1] = sbox[t[2]];
      t[2] = sbox[t[3]];
      t[3] = sbox[u];
      rcon = xtime(rcon);
    }
    for (int j = 0; j < 4; j++) a->rk[i + j] = (uint8_t)(a->rk[i - 16 + j] ^ t[j]);
  }
}

void synack_aes128_encrypt(const synack_aes128_t *a, const uint8_t in[16], uint8_t out[16]) {
  uint8_t s[16]; /* the state, column by column (byte r + 4c is row r, column c) */
  for (int i = 0; i < 16; i++) s[i] = (uint8_t)(in[i] ^ a->rk[i]);
  for (int round = 1; round <= 10; round++) {
    uint8_t t[16];
    /* SubBytes and ShiftRows (row r rotates left by r) together */
    for (int c = 0; c < 4; c++)
      for (int r = 0; r < 4; r++) t[r + 4 * c] = sbox[s[r + 4 * ((c + r) % 4)]];
    if (round < 10) {
      /* MixColumns (§5.1.3): each column times {03}x^3 + {01}x^2 + {01}x + {02} */
      for (int c = 0; c < 4; c++) {
        uint8_t *col = t + 4 * c, a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        uint8_t all = (uint8_t)(a0 ^ a1 ^ a2 ^ a3);
        col[0] = (uint8_t)(a0 ^ all ^ xtime((uint8_t)(a0 ^ a1)));
        col[1] = (uint8_t)(a1 ^ all ^ xtime((uint8_t)(a1 ^ a2)));
        col[2] = (uint8_t)(a2 ^ all ^ xtime((uint8_t)(a2 ^ a3)));
        col[3] = (uint8_t)(a3 ^ all ^ xtime((uint8_t)(a3 ^ a0)));
      }
    }
    for (int i = 0; i < 16; i++) s[i] = (uint8_t)(t[i] ^ a->rk[16 * round + i]);
  }
  memcpy(out, s, 16);
}

/* RFC 4493 §2.3: doubling in GF(2^128) (shift left, XOR Rb = 0x87 when the top bit fell out). */
static void dbl(uint8_t b[16]) {
  uint8_t carry = b[0] >> 7;
  for (int i = 0; i < 15; i++) b[i] = (uint8_t)((b[i] << 1) | (b[i + 1] >> 7));
  b[15] = (uint8_t)((b[15] << 1) ^ (carry ? 0x87 : 0));
}

void synack_aes_cmac_init(synack_aes_cmac_t *c, const uint8_t key[16]) {
  synack_aes128_init(&c->aes, key);
  memset(c->x, 0, sizeof c->x);
  c->n = 0;
}

static void absorb(synack_aes_cmac_t *c, const uint8_t *blk) {
  for (int i = 0; i < 16; i++) c->x[i] ^= blk[i];
  synack_aes128_encrypt(&c->aes, c->x, c->x);
}

void synack_aes_cmac_update(synack_aes_cmac_t *c, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len) {
    /* A full buffer is processed only once more data follows: the last block is special. */
    if (c->n == 16) {
      absorb(c, c->buf);
      c->n = 0;
    }
    size_t take = 16u - c->n < len ? 16u - c->n : len;
    memcpy(c->buf + c->n, p, take);
    c->n = (uint8_t)(c->n + take);
    p += take;
    len -= take;
  }
}

void synack_aes_cmac_final(synack_aes_cmac_t *c, uint8_t out[16]) {
  /* §2.3 subkeys: L = AES(K, 0^128), K1 = dbl(L), K2 = dbl(K1); §2.4 steps 3-6 */
  uint8_t k[16] = { 0 };
  synack_aes128_encrypt(&c->aes, k, k);
  dbl(k);
  if (c->n < 16) {
    dbl(k);
    c->buf[c->n] = 0x80;
    memset(c->buf + c->n + 1, 0, 15u - c->n);
  }
  for (int i = 0; i < 16; i++) c->buf[i] ^= k[i];
  absorb(c, c->buf);
  memcpy(out, c->x, 16);
  memset(c, 0, sizeof *c); /* round keys not left behind */
}

void synack_tcp_ao_kdf_aes128(const uint8_t *master, size_t mlen, const uint8_t *context, size_t clen,
                              uint8_t out[16]) {
  /* RFC 5926 §3.1.2: a master key that is not 128 bits long is first reduced with
   * AES-CMAC(0^128, Master_Key); then Traffic_Key = AES-CMAC(K, i || Label || Context ||
   * Output_Length) with i = 1, Label "TCP-AO", Output_Length = 128 as 16 bits. */
  static const uint8_t head[7] = { 1, 'T', 'C', 'P', '-', 'A', 'O' };
  static const uint8_t bits[2] = { 0x00, 0x80 };
  uint8_t k[16];
  synack_aes_cmac_t c;
  if (mlen == 16) {
    memcpy(k, master, 16);
  } else {
    static const uint8_t zero[16] = { 0 };
    synack_aes_cmac_init(&c, zero);
    synack_aes_cmac_update(&c, master, mlen);
    synack_aes_cmac_final(&c, k);
  }
  synack_aes_cmac_init(&c, k);
  synack_aes_cmac_update(&c, head, sizeof head);
  synack_aes_cmac_update(&c, context, clen);
  synack_aes_cmac_update(&c, bits, sizeof bits);
  synack_aes_cmac_final(&c, out);
  memset(k, 0, sizeof k);
}
