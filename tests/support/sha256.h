/* SHA-256 (FIPS 180-4) for tests and tools: hashes the bytes of a transfer as they are sent and
 * as they are received, so that integrity checks compare 32 bytes instead of keeping 10 MB
 * copies. Incremental: init, update any number of times with any lengths, final. */
#ifndef SYNACK_TESTS_SHA256_H
#define SYNACK_TESTS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TS_SHA256_LEN 32

typedef struct {
  uint32_t h[8];
  uint64_t total;     /* bytes hashed so far */
  uint8_t block[64];  /* partial block */
  size_t fill;
} ts_sha256_t;

void ts_sha256_init(ts_sha256_t *s);
void ts_sha256_update(ts_sha256_t *s, const void *data, size_t len);
void ts_sha256_final(ts_sha256_t *s, uint8_t out[TS_SHA256_LEN]);
/* One-shot convenience. */
void ts_sha256(const void *data, size_t len, uint8_t out[TS_SHA256_LEN]);
/* Lower-case hex of a digest into hex (65 bytes with the terminator). */
void ts_sha256_hex(const uint8_t d[TS_SHA256_LEN], char hex[2 * TS_SHA256_LEN + 1]);

#endif
