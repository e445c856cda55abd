/* libFuzzer target: ICMPv4/ICMPv6. The first input byte picks the family; parse, emit, re-parse. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const synack_icmp_repr_t *a, const synack_icmp_repr_t *b, bool nd) {
  if (a->type != b->type || a->code != b->code || a->ident != b->ident || a->seqno != b->seqno || a->mtu != b->mtu)
    abort();
  if (nd) {
    if (!synack_ip_equal(&a->target, &b->target) || a->has_lladdr != b->has_lladdr ||
        (a->has_lladdr && memcmp(a->lladdr.b, b->lladdr.b, 6) != 0) || a->na_router != b->na_router ||
        a->na_solicited != b->na_solicited || a->na_override != b->na_override)
      abort();
    return;
  }
  if (a->data_len != b->data_len || memcmp(a->data, b->data, a->data_len) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  bool v6 = data[0] & 1;
  data++;
  size--;
  synack_ip_t src, dst;
  synack_ip_parse("fd00::1", &src);
  synack_ip_parse("fd00::2", &dst);
  synack_icmp_repr_t r, q;
  size_t cap = size + 64;
  uint8_t *out = malloc(cap);
  if (!out) return 0;
  if (!v6) {
    if (synack_icmp4_parse(data, size, &r) == SYNACK_DROP_NONE) {
      size_t n = synack_icmp4_emit(&r, out, cap);
      if (n == 0 || synack_icmp4_parse(out, n, &q) != SYNACK_DROP_NONE) abort();
      same(&r, &q, false);
    }
  } else {
    /* Also without the pseudo-header so the fuzzer can reach past the checksum. */
    for (int pass = 0; pass < 2; pass++) {
      const synack_ip_t *s = pass ? &src : NULL, *d = pass ? &dst : NULL;
      if (synack_icmp6_parse(data, size, s, d, &r) != SYNACK_DROP_NONE) continue;
      size_t n = synack_icmp6_emit(&r, &src, &dst, out, cap);
      if (n == 0 || synack_icmp6_parse(out, n, &src, &dst, &q) != SYNACK_DROP_NONE) abort();
      same(&r, &q, r.type == SYNACK_ICMP6_NS || r.type == SYNACK_ICMP6_NA);
    }
  }
  free(out);
  return 0;
}
