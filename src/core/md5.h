/* MD5 (RFC 1321), for TCP MD5 signatures (RFC 2385) only: MD5 is broken as a general hash and
 * must not be used for anything new. Streaming: init, update any number of times, final. */
#ifndef SYNACK_MD5_H
#define SYNACK_MD5_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t a, b, c, d; /* the state (RFC 1321 §3.3) */
  uint64_t len;        /* bytes so far */
  uint8_t buf[64];     /* the partial block */
} synack_md5_t;

void synack_md5_init(synack_md5_t *m);
void synack_md5_update(synack_md5_t *m, const void *data, size_t len);
void synack_md5_final(synack_md5_t *m, uint8_t out[16]);

#endif
