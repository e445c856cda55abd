/* tests/support/sha256.c against the FIPS 180-2 (Appendix B) test vectors, the empty message,
 * and incremental hashing split at every offset that touches the padding boundaries. */
#include "harness.h"
#include "sha256.h"

static void check_hex(const void *msg, size_t len, const char *want) {
  uint8_t d[TS_SHA256_LEN];
  char hex[2 * TS_SHA256_LEN + 1];
  ts_sha256(msg, len, d);
  ts_sha256_hex(d, hex);
  CHECK_STR(hex, want);
}

/* FIPS 180-2 B.1: one block. */
static void fips_one_block(void) {
  check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* FIPS 180-2 B.2: two blocks (56 bytes: the length no longer fits in the first block). */
static void fips_two_blocks(void) {
  const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  check_hex(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* FIPS 180-2 B.3: one million 'a', fed in uneven pieces. */
static void fips_million_a(void) {
  uint8_t buf[997];
  memset(buf, 'a', sizeof buf);
  ts_sha256_t s;
  ts_sha256_init(&s);
  size_t left = 1000000;
  while (left) {
    size_t n = left < sizeof buf ? left : sizeof buf;
    ts_sha256_update(&s, buf, n);
    left -= n;
  }
  uint8_t d[TS_SHA256_LEN];
  char hex[2 * TS_SHA256_LEN + 1];
  ts_sha256_final(&s, d);
  ts_sha256_hex(d, hex);
  CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK_EQ_U(s.total, 1000000);
}

static void empty_message(void) {
  check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* Any split of a message gives the one-shot digest, for lengths around 55/56/64 (padding). */
static void incremental_equals_oneshot(void) {
  uint8_t msg[130];
  for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 37 + 11);
  static const size_t lens[] = {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 130};
  for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
    size_t len = lens[li];
    uint8_t want[TS_SHA256_LEN];
    ts_sha256(msg, len, want);
    for (size_t cut = 0; cut <= len; cut++) {
      ts_sha256_t s;
      uint8_t got[TS_SHA256_LEN];
      ts_sha256_init(&s);
      ts_sha256_update(&s, msg, cut);
      ts_sha256_update(&s, msg + cut, len - cut);
      ts_sha256_final(&s, got);
      CHECK_MEM(got, want, TS_SHA256_LEN);
    }
  }
  /* 64 bytes of 'a' (exactly one block before padding): a second, padding-only block. */
  uint8_t a64[64];
  memset(a64, 'a', sizeof a64);
  check_hex(a64, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TH_MAIN(TH_CASE(fips_one_block), TH_CASE(fips_two_blocks), TH_CASE(fips_million_a), TH_CASE(empty_message),
        TH_CASE(incremental_equals_oneshot))
