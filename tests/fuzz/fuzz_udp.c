/* libFuzzer target: UDP. The first byte picks IPv4 or IPv6 pseudo-header addresses. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  synack_ip_t src, dst;
  if (data[0] & 1) {
    synack_ip_parse("fd00::1", &src);
    synack_ip_parse("fd00::2", &dst);
  } else {
    src = synack_ip4(198, 18, 0, 1);
    dst = synack_ip4(198, 18, 0, 2);
  }
  unsigned flags = (data[0] & 2) ? SYNACK_PARSE_NO_CSUM : 0;
  data++;
  size--;
  synack_udp_repr_t u;
  if (synack_udp_parse(data, size, &src, &dst, flags, &u) != SYNACK_DROP_NONE) return 0;
  if (u.payload != data + 8 || u.payload_len + 8 != u.length || u.length > size) abort();
  uint8_t *out = malloc(u.length);
  if (!out) return 0;
  if (synack_udp_emit(&u, &src, &dst, out, u.length) != u.length) abort();
  if (memcmp(out, data, 6) != 0) abort();
  synack_udp_repr_t q;
  if (synack_udp_parse(out, u.length, &src, &dst, 0, &q) != SYNACK_DROP_NONE) abort();
  if (q.src_port != u.src_port || q.dst_port != u.dst_port || q.payload_len != u.payload_len ||
      memcmp(q.payload, u.payload, u.payload_len) != 0)
    abort();
  free(out);
  return 0;
}
