/* SHA-1, HMAC-SHA-1 and the TCP-AO key derivation (sha1.c): RFC 3174 §7.3's four tests (the
 * 640-byte one fed in pieces of every size, across the block boundary and the padding), the
 * HMAC-SHA-1 cases of RFC 2202 §3 (a 20-byte key, a short one, 0xdd data, an 80-byte key that is
 * hashed first), and KDF_HMAC_SHA1 (RFC 5926 §3.1.1) against Python's hmac over the same
 * input. */
#include <string.h>

#include "harness.h"
#include "sha1.h"

static void sha1_of(const void *in, size_t n, size_t piece, char hex[41]) {
  synack_sha1_t s;
  synack_sha1_init(&s);
  for (size_t off = 0; off < n; off += piece) synack_sha1_update(&s, (const uint8_t *)in + off, n - off < piece ? n - off : piece);
  uint8_t d[20];
  synack_sha1_final(&s, d);
  th_hex(d, 20, hex);
}

static void rfc3174_tests(void) {
  char h[41];
  sha1_of("abc", 3, 3, h);
  CHECK_STR(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
  const char *t2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (size_t piece = 1; piece <= 56; piece++) {
    sha1_of(t2, strlen(t2), piece, h);
    CHECK_STR(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  }
  static uint8_t a[1000000];
  memset(a, 'a', sizeof a);
  sha1_of(a, sizeof a, 4096, h);
  CHECK_STR(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  char t4[641];
  for (int i = 0; i < 10; i++) memcpy(t4 + 64 * i, "0123456701234567012345670123456701234567012345670123456701234567", 64);
  for (size_t piece = 1; piece <= 130; piece++) {
    sha1_of(t4, 640, piece, h);
    CHECK_STR(h, "dea356a2cddd90c7a7ecedc5ebb563934f460452");
  }
}

static void hmac_of(const uint8_t *key, size_t kl, const void *msg, size_t ml, char hex[41]) {
  synack_hmac_sha1_t m;
  synack_hmac_sha1_init(&m, key, kl);
  synack_hmac_sha1_update(&m, msg, ml);
  uint8_t d[20];
  synack_hmac_sha1_final(&m, d);
  th_hex(d, 20, hex);
}

static void rfc2202_hmac(void) {
  char h[41];
  uint8_t k[80], dd[50];
  memset(k, 0x0b, 20);
  hmac_of(k, 20, "Hi There", 8, h);
  CHECK_STR(h, "b617318655057264e28bc0b6fb378c8ef146be00");
  hmac_of((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, h);
  CHECK_STR(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  memset(k, 0xaa, 20);
  memset(dd, 0xdd, sizeof dd);
  hmac_of(k, 20, dd, sizeof dd, h);
  CHECK_STR(h, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  memset(k, 0xaa, 80);
  const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  hmac_of(k, 80, m6, strlen(m6), h);
  CHECK_STR(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

/* RFC 5926 §3.1.1 over an IPv4 context (RFC 5925 §5.2: source and destination address, ports,
 * ISNs): 198.18.0.1:40000 -> 198.18.0.2:8080, ISNs 0x01020304 and 0 (a SYN's key). */
static void tcp_ao_kdf(void) {
  static const uint8_t ctx[] = { 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0x02, 0x9c, 0x40,
                                 0x1f, 0x90, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00 };
  uint8_t d[20];
  char h[41];
  synack_tcp_ao_kdf_sha1((const uint8_t *)"testvector", 10, ctx, sizeof ctx, d);
  th_hex(d, 20, h);
  CHECK_STR(h, "6171c62c2847a1a6e86c0f5e0ac5790042f9b71d");
}

TH_MAIN(TH_CASE(rfc3174_tests), TH_CASE(rfc2202_hmac), TH_CASE(tcp_ao_kdf))
