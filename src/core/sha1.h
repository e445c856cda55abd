/* SHA-1 (RFC 3174) and HMAC-SHA-1 (RFC 2104), building blocks for TCP-AO (RFC 5925) with the
 * HMAC-SHA-1-96 MAC and its key derivation (RFC 5926 §3.1.1). SHA-1 is broken for collision
 * resistance; HMAC-SHA-1 as a MAC is not, which is the only use here. Streaming: init, update
 * any number of times, final. */
#ifndef SYNACK_SHA1_H
#define SYNACK_SHA1_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t h[5];   /* H0..H4 (RFC 3174 §6) */
  uint64_t len;    /* bytes so far */
  uint8_t buf[64]; /* the partial block */
} synack_sha1_t;

void synack_sha1_init(synack_sha1_t *s);
void synack_sha1_update(synack_sha1_t *s, const void *data, size_t len);
void synack_sha1_final(synack_sha1_t *s, uint8_t out[20]);

/* HMAC-SHA-1: init with the key (any length), update with the message, final. */
typedef struct {
  synack_sha1_t inner, outer;
} synack_hmac_sha1_t;

void synack_hmac_sha1_init(synack_hmac_sha1_t *h, const uint8_t *key, size_t keylen);
void synack_hmac_sha1_update(synack_hmac_sha1_t *h, const void *data, size_t len);
void synack_hmac_sha1_final(synack_hmac_sha1_t *h, uint8_t out[20]);

/* RFC 5926 §3.1.1 KDF_HMAC_SHA1: the 160-bit traffic key from a TCP-AO master key and the
 * context (RFC 5925 §5.2: addresses, ports and ISNs of the connection, in that order). */
void synack_tcp_ao_kdf_sha1(const uint8_t *master, size_t mlen, const uint8_t *context, size_t clen,
                            uint8_t out[20]);

#endif
