/* libFuzzer target: IPv4 parse, re-emit (options dropped), re-parse, compare. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, unsigned flags) {
  synack_ip4_repr_t r;
  synack_drop_reason_t why = synack_ip4_parse(data, size, flags, &r);
  if (why != SYNACK_DROP_NONE && why != SYNACK_DROP_IP4_TTL_ZERO) return;
  if (r.header_len < 20 || r.header_len > 60 || r.payload != data + r.header_len ||
      r.payload_len + r.header_len != r.total_len || r.total_len > size)
    abort();
  uint8_t *out = malloc(20 + r.payload_len);
  if (!out) return;
  if (synack_ip4_emit(&r, r.payload_len, out, 20 + r.payload_len) != 20) abort();
  /* Byte-identical unless the reserved flag bit (RFC 791 §3.1, not kept in the repr) was set.
   * The checksum field is compared by value: 0x0000 and 0xffff are the same one's-complement
   * number, and a received header may carry either. */
  if (r.header_len == 20 && !(flags & SYNACK_PARSE_NO_CSUM) && !(data[6] & 0x80) &&
      (memcmp(out, data, 10) != 0 || memcmp(out + 12, data + 12, 8) != 0))
    abort();
  if (!synack_csum_ok(synack_csum_add(0, out, 20))) abort();
  memcpy(out + 20, r.payload, r.payload_len);
  synack_ip4_repr_t q;
  if (synack_ip4_parse(out, 20 + r.payload_len, 0, &q) != why) abort();
  if (q.tos != r.tos || q.ttl != r.ttl || q.proto != r.proto || q.id != r.id || q.df != r.df || q.mf != r.mf ||
      q.frag_off != r.frag_off || q.payload_len != r.payload_len || !synack_ip_equal(&q.src, &r.src) ||
      !synack_ip_equal(&q.dst, &r.dst) || memcmp(q.payload, r.payload, r.payload_len) != 0)
    abort();
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(data, size, 0);
  check(data, size, SYNACK_PARSE_NO_CSUM);
  return 0;
}
