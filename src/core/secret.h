/* Per-stack secrets: one master secret drawn once from the stack's randomness source, and one
 * key per purpose derived from it, so that knowing (or brute-forcing) the output of one
 * mechanism tells nothing about another: learning ISN offsets from many connections must not
 * help forge SYN cookies, and the hash-table key must not leak the ISN key. */
#ifndef SYNACK_SECRET_H
#define SYNACK_SECRET_H

#include <stdint.h>

typedef enum {
  SYNACK_KEY_ISN = 0, /* RFC 6528 F(): ISN offset per 4-tuple */
  SYNACK_KEY_TS,      /* RFC 7323 §5.4: timestamp offset per 4-tuple */
  SYNACK_KEY_COOKIE,  /* RFC 4987 §3.6: SYN-cookie MAC */
  SYNACK_KEY_PORT,    /* RFC 6056 §3.3.3: ephemeral-port offset per destination */
  SYNACK_KEY_DEMUX,   /* connection hash table (against bucket flooding) */
  SYNACK_KEY_FRAG,    /* IP reassembly context table */
  SYNACK_KEY_NEIGH,   /* neighbour cache table */
  SYNACK_KEY_TFO,     /* RFC 7413 §4.1.2: fast open cookie MAC of the client address */
  SYNACK_KEY__COUNT
} synack_key_id_t;

#define SYNACK_MASTER_SECRET_LEN 32
#define SYNACK_KEY_LEN 16

/* Derives every purpose key from a master secret: key[k] = SipHash(m0, tag k) || SipHash(m1,
 * tag k), m0 and m1 the two halves of the master. Pure; keys is SYNACK_KEY__COUNT x 16 bytes. */
void synack_secret_derive(const uint8_t master[SYNACK_MASTER_SECRET_LEN],
                          uint8_t keys[SYNACK_KEY__COUNT][SYNACK_KEY_LEN]);

#endif
