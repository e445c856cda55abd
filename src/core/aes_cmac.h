/* AES-128 encryption (FIPS-197) and AES-CMAC (RFC 4493), building blocks for TCP-AO's
 * AES-128-CMAC-96 MAC and its key derivation (RFC 5926 §3.1.2). Encryption only: CMAC never
 * decrypts. */
#ifndef SYNACK_AES_CMAC_H
#define SYNACK_AES_CMAC_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint8_t rk[176]; /* the 11 round keys (FIPS-197 §5.2) */
} synack_aes128_t;

void synack_aes128_init(synack_aes128_t *a, const uint8_t key[16]);
void synack_aes128_encrypt(const synack_aes128_t *a, const uint8_t in[16], uint8_t out[16]);

/* AES-CMAC, streaming: init with a 16-byte key, update, final. */
typedef struct {
  synack_aes128_t aes;
  uint8_t x[16];   /* the chaining value */
  uint8_t buf[16]; /* the last block, held until it is known whether more follows */
  uint8_t n;       /* bytes in buf */
} synack_aes_cmac_t;

void synack_aes_cmac_init(synack_aes_cmac_t *c, const uint8_t key[16]);
void synack_aes_cmac_update(synack_aes_cmac_t *c, const void *data, size_t len);
void synack_aes_cmac_final(synack_aes_cmac_t *c, uint8_t out[16]);

/* RFC 5926 §3.1.2 KDF_AES_128_CMAC: the 128-bit traffic key from a TCP-AO master key of any
 * length and the connection context (RFC 5925 §5.2). */
void synack_tcp_ao_kdf_aes128(const uint8_t *master, size_t mlen, const uint8_t *context, size_t clen,
                              uint8_t out[16]);

#endif
