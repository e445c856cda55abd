/* IP reassembly (RFC 791 §3.2, RFC 8200 §4.5) with a memory bound, a datagram-count bound and
 * a timeout. Overlapping fragments discard the datagram (RFC 5722 for IPv6; the same rule is
 * applied to IPv4 — overlaps are only ever produced by attacks or broken middleboxes). */
#ifndef SYNACK_FRAG_H
#define SYNACK_FRAG_H

#include "stack_internal.h"

typedef struct {
  uint8_t family;
  synack_ip_t src, dst;
  uint32_t id;       /* IPv4 id (16 bits) or IPv6 fragment id */
  uint8_t proto;
  uint16_t offset;   /* bytes */
  bool more;
  const uint8_t *data;
  size_t len;
  uint8_t tos;
} synack_frag_in_t;

int synack_frag_init(synack_stack_t *st);
void synack_frag_fini(synack_stack_t *st);
/* Adds a fragment. When it completes a datagram, returns true with *out and *out_len pointing at
 * the reassembled upper-layer payload, valid until the next frag call. */
bool synack_frag_add(synack_stack_t *st, synack_time_t now, const synack_frag_in_t *f, const uint8_t **out,
                     size_t *out_len);
void synack_frag_timer(synack_stack_t *st, synack_timer_t *t, synack_time_t now);
size_t synack_frag_memory(const synack_stack_t *st);
/* Bytes of fragment data held (what frag_mem_bytes bounds). */
size_t synack_frag_held(const synack_stack_t *st);

#endif
