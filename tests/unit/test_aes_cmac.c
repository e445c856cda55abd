/* AES-128 and AES-CMAC (aes_cmac.c): FIPS-197 appendix C.1, the four AES-CMAC examples of
 * RFC 4493 §4 (empty, one block, 40 bytes, four blocks; also fed in pieces of every size), and
 * KDF_AES_128_CMAC (RFC 5926 §3.1.2) with a 10-byte and a 16-byte master key against Python's
 * cryptography package over the same input. */
#include <string.h>

#include "aes_cmac.h"
#include "harness.h"

static void unhex(const char *h, uint8_t *out) {
  for (size_t i = 0; h[2 * i]; i++) {
    unsigned v;
    sscanf(h + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

static void fips197_c1(void) {
  uint8_t key[16], pt[16], ct[16];
  char h[33];
  unhex("000102030405060708090a0b0c0d0e0f", key);
  unhex("00112233445566778899aabbccddeeff", pt);
  synack_aes128_t a;
  synack_aes128_init(&a, key);
  synack_aes128_encrypt(&a, pt, ct);
  th_hex(ct, 16, h);
  CHECK_STR(h, "69c4e0d86a7b0430d8cdb78070b4c55a");
}

static void rfc4493_examples(void) {
  static const struct { size_t n; const char *mac; } ex[] = {
    { 0, "bb1d6929e95937287fa37d129b756746" },
    { 16, "070a16b46b4d4144f79bdd9dd04a287c" },
    { 40, "dfa66747de9ae63030ca32611497c827" },
    { 64, "51f0bebf7e3b9d92fc49741779363cfe" },
  };
  uint8_t key[16], m[64];
  unhex("2b7e151628aed2a6abf7158809cf4f3c", key);
  unhex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710", m);
  for (size_t e = 0; e < sizeof ex / sizeof ex[0]; e++)
    for (size_t piece = 1; piece <= 17; piece++) {
      synack_aes_cmac_t c;
      synack_aes_cmac_init(&c, key);
      for (size_t off = 0; off < ex[e].n; off += piece)
        synack_aes_cmac_update(&c, m + off, ex[e].n - off < piece ? ex[e].n - off : piece);
      uint8_t d[16];
      char h[33];
      synack_aes_cmac_final(&c, d);
      th_hex(d, 16, h);
      CHECK_STR(h, ex[e].mac);
    }
}

/* The context of test_sha1.c's KDF case: 198.18.0.1:40000 -> 198.18.0.2:8080, ISNs 0x01020304, 0. */
static void tcp_ao_kdf(void) {
  static const uint8_t ctx[] = { 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40,
                                 0x1f, 0x90, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00 };
  uint8_t d[16], mk[16];
  char h[33];
  synack_tcp_ao_kdf_aes128((const uint8_t *)"testvector", 10, ctx, sizeof ctx, d);
  th_hex(d, 16, h);
  CHECK_STR(h, "2233dafa0acba11689206e8e6a2d55b1");
  for (int i = 0; i < 16; i++) mk[i] = (uint8_t)i;
  synack_tcp_ao_kdf_aes128(mk, 16, ctx, sizeof ctx, d);
  th_hex(d, 16, h);
  CHECK_STR(h, "d5ddfeb46af9142562c5afaa80438bec");
}

TH_MAIN(TH_CASE(fips197_c1), TH_CASE(rfc4493_examples), TH_CASE(tcp_ao_kdf))
