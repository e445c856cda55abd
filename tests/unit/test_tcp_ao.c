/* The TCP-AO traffic keys and MACs (tcp_ao.c, RFC 5925 §5.1-5.2, RFC 5926 §3) against values
 * computed independently: Python's hmac/hashlib (HMAC-SHA-1) and the cryptography package's
 * AES-CMAC over the same context and message, built from the RFC text (no published vectors for
 * whole segments exist in RFC 5925/5926). The segments carry a non-zero checksum and MAC field
 * that the MAC must take as zero, a SYN (destination ISN 0, SNE 0), and a data segment with a
 * timestamp option, SNE 1, with the MKT's TCPOptionsExcluded off and on. */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"
#include "wire_bytes.h"

static const uint8_t KEY[] = "tcp-ao-test-key";
#define KEYLEN (sizeof KEY - 1)

static void unhex(const char *h, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v = 0;
    for (int j = 0; j < 2; j++) {
      char c = h[2 * i + (size_t)j];
      v = v * 16u + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    out[i] = (uint8_t)v;
  }
}

static void ips(synack_ip_t *src, synack_ip_t *dst) {
  REQUIRE(synack_ip_parse("198.18.0.2", src) == 0);
  REQUIRE(synack_ip_parse("198.18.0.1", dst) == 0);
}

/* 198.18.0.2:40000 > 198.18.0.1:8080, fields as given, options copied, data appended. */
static size_t build(uint8_t *b, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opt,
                    size_t optlen, const char *data) {
  size_t hl = SYNACK_TCP_HDR_LEN + optlen, dl = strlen(data);
  memset(b, 0, hl);
  wr16(b, 40000);
  wr16(b + 2, 8080);
  wr32(b + 4, seq);
  wr32(b + 8, ack);
  b[12] = (uint8_t)((hl / 4) << 4);
  b[13] = flags;
  wr16(b + 14, win);
  wr16(b + 16, 0xbeef); /* the checksum: taken as zero by the MAC */
  memcpy(b + SYNACK_TCP_HDR_LEN, opt, optlen);
  memcpy(b + hl, data, dl);
  return hl + dl;
}

static void syn_vectors(void) {
  synack_ip_t src, dst;
  ips(&src, &dst);
  /* TCP-AO (KeyID 7, RNextKeyID 9, a MAC field of garbage), MSS 1460. */
  uint8_t opt[20] = { 29, 16, 7, 9 };
  memset(opt + 4, 0xaa, 12);
  opt[16] = 2, opt[17] = 4, opt[18] = 0x05, opt[19] = 0xb4;
  uint8_t seg[64];
  size_t n = build(seg, 0x01020304, 0, SYNACK_TCP_SYN, 65535, opt, sizeof opt, "");
  static const struct { uint8_t alg; const char *tk, *mac; } v[] = {
    { SYNACK_TCP_AO_ALG_HMAC_SHA1_96, "1e470231630570960abc1dbd7f8832f04b309cff", "126f165992b87880bba2851a" },
    { SYNACK_TCP_AO_ALG_AES_128_CMAC_96, "e4fc586cb329a72ca6ffd1aee0cd7cd0", "99ea45f48f47f027b900ab16" },
  };
  for (size_t i = 0; i < 2; i++) {
    uint8_t tk[20], want[20], mac[12];
    /* RFC 5925 §5.2: a SYN's context has the destination ISN 0. */
    synack_tcp_ao_traffic_key(v[i].alg, KEY, KEYLEN, &src, &dst, 40000, 8080, 0x01020304, 0, tk);
    size_t tkl = v[i].alg == SYNACK_TCP_AO_ALG_HMAC_SHA1_96 ? 20 : 16;
    unhex(v[i].tk, want, tkl);
    CHECK_MEM(tk, want, tkl);
    CHECK(synack_tcp_ao_mac(v[i].alg, false, tk, 0, &src, &dst, seg, n, mac));
    unhex(v[i].mac, want, 12);
    CHECK_MEM(mac, want, 12);
  }
}

static void data_vectors(void) {
  synack_ip_t src, dst;
  ips(&src, &dst);
  /* TCP-AO (KeyID 3, RNextKeyID 4), NOP, NOP, TS 1000 2000; 13 bytes of data. The sequence
   * number wrapped past the ISN 0xfffffff0: SNE 1. */
  uint8_t opt[28] = { 29, 16, 3, 4 };
  memset(opt + 4, 0x55, 12);
  uint8_t ts[12] = { 1, 1, 8, 10 };
  wr32(ts + 4, 1000);
  wr32(ts + 8, 2000);
  memcpy(opt + 16, ts, 12);
  uint8_t seg[96];
  size_t n = build(seg, 0x10, 0x0a0b0c0e, SYNACK_TCP_PSH | SYNACK_TCP_ACK, 1024, opt, sizeof opt, "hello, tcp-ao");
  static const struct { uint8_t alg; bool excl; const char *mac; } v[] = {
    { SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, "3409109d4824ef038b14a7f9" },
    { SYNACK_TCP_AO_ALG_HMAC_SHA1_96, true, "74d6fc540d1d2bf8c89f92f9" },
    { SYNACK_TCP_AO_ALG_AES_128_CMAC_96, false, "75fd962cee061b50d0d1575e" },
    { SYNACK_TCP_AO_ALG_AES_128_CMAC_96, true, "2ff6ddb3d751dd83f4f45583" },
  };
  for (size_t i = 0; i < 4; i++) {
    uint8_t tk[20], want[12], mac[12];
    synack_tcp_ao_traffic_key(v[i].alg, KEY, KEYLEN, &src, &dst, 40000, 8080, 0xfffffff0, 0x0a0b0c0d, tk);
    CHECK(synack_tcp_ao_mac(v[i].alg, v[i].excl, tk, 1, &src, &dst, seg, n, mac));
    unhex(v[i].mac, want, 12);
    CHECK_MEM(mac, want, 12);
    /* The SNE is part of the MAC: SNE 0 gives another one. */
    CHECK(synack_tcp_ao_mac(v[i].alg, v[i].excl, tk, 0, &src, &dst, seg, n, mac));
    CHECK(memcmp(mac, want, 12) != 0);
  }
  /* With options excluded the timestamp does not count; included, it does. */
  uint8_t tk[20], a[12], b[12];
  synack_tcp_ao_traffic_key(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, KEY, KEYLEN, &src, &dst, 40000, 8080, 0xfffffff0, 0x0a0b0c0d, tk);
  CHECK(synack_tcp_ao_mac(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, true, tk, 1, &src, &dst, seg, n, a));
  seg[SYNACK_TCP_HDR_LEN + 16 + 7] ^= 1; /* TSval */
  CHECK(synack_tcp_ao_mac(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, true, tk, 1, &src, &dst, seg, n, b));
  CHECK_MEM(a, b, 12);
  CHECK(synack_tcp_ao_mac(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, tk, 1, &src, &dst, seg, n, b));
  CHECK(memcmp(a, b, 12) != 0);
}

/* Segments without a 16-byte TCP-AO option, or malformed, have no MAC. */
static void refused(void) {
  synack_ip_t src, dst;
  ips(&src, &dst);
  uint8_t tk[20] = { 0 }, mac[12], seg[64];
  uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
  size_t n = build(seg, 1, 0, SYNACK_TCP_SYN, 1000, mss, sizeof mss, "");
  CHECK(!synack_tcp_ao_mac(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, tk, 0, &src, &dst, seg, n, mac));
  uint8_t short_ao[8] = { 29, 8, 1, 1, 0, 0, 0, 0 }; /* a 4-byte MAC: not one of RFC 5926's */
  n = build(seg, 1, 0, SYNACK_TCP_SYN, 1000, short_ao, sizeof short_ao, "");
  CHECK(!synack_tcp_ao_mac(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, tk, 0, &src, &dst, seg, n, mac));
  CHECK(!synack_tcp_ao_mac(SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, tk, 0, &src, &dst, seg, 10, mac));
  CHECK(!synack_tcp_ao_mac(99, false, tk, 0, &src, &dst, seg, n, mac));
}

TH_MAIN(TH_CASE(syn_vectors), TH_CASE(data_vectors), TH_CASE(refused))
