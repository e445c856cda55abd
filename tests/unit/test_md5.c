/* MD5 (md5.c) against the test suite of RFC 1321 appendix A.5, fed whole and in pieces of
 * every size (the block boundary and the padding are where implementations go wrong); the
 * RFC 2385 segment digest (tcp_md5.c) against values computed independently (Python's hashlib
 * over the same pseudo-header, header, data and key). */
#include <string.h>

#include "harness.h"
#include "md5.h"
#include "tcp_internal.h"

static const struct {
  const char *in, *hex;
} vec[] = {
  { "", "d41d8cd98f00b204e9800998ecf8427e" },
  { "a", "0cc175b9c0f1b6a831c399e269772661" },
  { "abc", "900150983cd24fb0d6963f7d28e17f72" },
  { "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
  { "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
  { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
  { "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "57edf4a22be3c955ac49da2e2107b67a" },
};

static void hex(const uint8_t d[16], char out[33]) {
  for (int i = 0; i < 16; i++) {
    static const char x[] = "0123456789abcdef";
    out[2 * i] = x[d[i] >> 4];
    out[2 * i + 1] = x[d[i] & 15];
  }
  out[32] = '\0';
}

static void rfc1321_suite(void) {
  for (size_t v = 0; v < sizeof vec / sizeof vec[0]; v++) {
    size_t n = strlen(vec[v].in);
    for (size_t piece = 1; piece <= (n ? n : 1); piece++) {
      synack_md5_t m;
      synack_md5_init(&m);
      for (size_t off = 0; off < n; off += piece) synack_md5_update(&m, vec[v].in + off, n - off < piece ? n - off : piece);
      uint8_t d[16];
      char h[33];
      synack_md5_final(&m, d);
      hex(d, h);
      CHECK_STR(h, vec[v].hex);
    }
  }
}

/* Lengths around the 56-byte padding edge and block multiples: the digest of 55, 56, 63, 64
 * and 65 bytes of 'a' (values from an independent implementation, Python's hashlib). */
static void padding_edges(void) {
  static const struct { size_t n; const char *hex; } e[] = {
    { 55, "ef1772b6dff9a122358552954ad0df65" }, { 56, "3b0c8ac703f828b04c6c197006d17218" },
    { 63, "b06521f39153d618550606be297466d5" }, { 64, "014842d480b571495a4a0363793f7367" },
    { 65, "c743a45e0d2e6a95cb859adae0248435" },
  };
  uint8_t buf[65];
  memset(buf, 'a', sizeof buf);
  for (size_t k = 0; k < sizeof e / sizeof e[0]; k++) {
    synack_md5_t m;
    synack_md5_init(&m);
    synack_md5_update(&m, buf, e[k].n);
    uint8_t d[16];
    char h[33];
    synack_md5_final(&m, d);
    hex(d, h);
    CHECK_STR(h, e[k].hex);
  }
}

/* RFC 2385 §2.0: pseudo-header, header without options and with a zero checksum, data, key.
 * The options (here NOP, NOP and an MD5 option whose digest is still zero) and the checksum
 * field (0xbeef) must not count. */
static void segment_digest(void) {
  static const char seg_hex[] = "1f909c40010203040a0b0c0da0180200beef0000010113120000000000000000000000000000000068656c6c6f";
  uint8_t seg[45];
  for (size_t i = 0; i < sizeof seg; i++) {
    unsigned v;
    REQUIRE(sscanf(seg_hex + 2 * i, "%2x", &v) == 1);
    seg[i] = (uint8_t)v;
  }
  synack_ip_t a4 = synack_ip4(198, 18, 0, 1), b4 = synack_ip4(198, 18, 0, 2);
  uint8_t d[16];
  char h[33];
  CHECK(synack_tcp_md5_digest(&a4, &b4, seg, sizeof seg, (const uint8_t *)"secret", 6, d));
  hex(d, h);
  CHECK_STR(h, "6d8b3fbae839ca51935371eeff5f5426");
  synack_ip_t a6, b6;
  memset(&a6, 0, sizeof a6);
  a6.family = SYNACK_AF_INET6;
  a6.b[0] = 0xfd;
  b6 = a6;
  a6.b[15] = 1;
  b6.b[15] = 2;
  CHECK(synack_tcp_md5_digest(&a6, &b6, seg, sizeof seg, (const uint8_t *)"secret", 6, d));
  hex(d, h);
  CHECK_STR(h, "517937938d81935bb2d2787e699a190f");
  /* the checksum field does not count; the key does */
  seg[16] ^= 0xff;
  CHECK(synack_tcp_md5_digest(&a4, &b4, seg, sizeof seg, (const uint8_t *)"secret", 6, d));
  hex(d, h);
  CHECK_STR(h, "6d8b3fbae839ca51935371eeff5f5426");
  CHECK(synack_tcp_md5_digest(&a4, &b4, seg, sizeof seg, (const uint8_t *)"secreT", 6, d));
  hex(d, h);
  CHECK(strcmp(h, "6d8b3fbae839ca51935371eeff5f5426") != 0);
  /* a data offset beyond the segment is refused */
  seg[12] = 0xf0;
  CHECK(!synack_tcp_md5_digest(&a4, &b4, seg, sizeof seg, (const uint8_t *)"secret", 6, d));
}

TH_MAIN(TH_CASE(rfc1321_suite), TH_CASE(padding_edges), TH_CASE(segment_digest))
