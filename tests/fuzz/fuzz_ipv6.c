/* libFuzzer target: IPv6 header and extension chain; re-emit the fixed header and re-parse. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_ip6_repr_t r;
  synack_drop_reason_t why = synack_ip6_parse(data, size, &r);
  if (why != SYNACK_DROP_NONE && why != SYNACK_DROP_IP6_HOPLIMIT_ZERO) return 0;
  const uint8_t *end = data + 40 + r.payload_len_field;
  if (r.payload < data + 40 || r.payload + r.payload_len != end || end > data + size) abort();
  if (r.unfrag_end < data + 40 || r.unfrag_end > r.payload) abort();
  if (r.has_frag) return 0; /* the fragment data cannot be re-read as an upper layer */
  uint8_t *out = malloc(40 + r.payload_len);
  if (!out) return 0;
  if (synack_ip6_emit(&r, r.payload_len, out, 40 + r.payload_len) != 40) abort();
  if (r.payload == data + 40 && memcmp(out, data, 40) != 0) abort();
  memcpy(out + 40, r.payload, r.payload_len);
  synack_ip6_repr_t q;
  if (synack_ip6_parse(out, 40 + r.payload_len, &q) != why) abort();
  if (q.proto != r.proto || q.traffic_class != r.traffic_class || q.flow_label != r.flow_label ||
      q.hop_limit != r.hop_limit || q.payload_len != r.payload_len || q.has_frag ||
      !synack_ip_equal(&q.src, &r.src) || !synack_ip_equal(&q.dst, &r.dst) ||
      memcmp(q.payload, r.payload, r.payload_len) != 0)
    abort();
  free(out);
  return 0;
}
