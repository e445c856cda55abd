/* The partial-block buffering that the 64-byte-block hashes (MD5, SHA-1) share: bytes go to the
 * block function in whole blocks, the rest waits in buf until more come or the hash ends. */
#ifndef SYNACK_BLOCKFEED_H
#define SYNACK_BLOCKFEED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* *total counts every byte fed so far (its remainder mod 64 is what buf holds). */
static inline void synack_blockfeed(uint8_t buf[64], uint64_t *total, const void *data, size_t len,
                                    void (*block)(void *ctx, const uint8_t *b), void *ctx) {
  const uint8_t *p = data;
  size_t have = (size_t)(*total % 64u);
  *total += len;
  if (have) {
    size_t take = 64 - have < len ? 64 - have : len;
    memcpy(buf + have, p, take);
    p += take;
    len -= take;
    if (have + take < 64) return;
    block(ctx, buf);
  }
  for (; len >= 64; p += 64, len -= 64) block(ctx, p);
  if (len) memcpy(buf, p, len);
}

/* The end of a Merkle-Damgard hash (MD5 RFC 1321 §3.1-3.2, SHA-1 RFC 3174 §4): a 1 bit, zeros
 * up to 56 mod 64 bytes, then the 8-byte message length in bits, encoded by the caller (MD5
 * little-endian, SHA-1 big-endian). */
static inline void synack_blockfeed_pad(uint8_t buf[64], uint64_t *total, const uint8_t lenb[8],
                                        void (*block)(void *ctx, const uint8_t *b), void *ctx) {
  static const uint8_t pad[64] = { 0x80 };
  size_t have = (size_t)(*total % 64u);
  synack_blockfeed(buf, total, pad, have < 56 ? 56 - have : 120 - have, block, ctx);
  synack_blockfeed(buf, total, lenb, 8, block, ctx);
}

#endif
