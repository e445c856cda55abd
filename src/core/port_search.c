/* What TCP and UDP share about local ports: the search over the ephemeral range (RFC 6056
 * §3.3; each protocol chooses where to start and what "usable" means) and whether two local
 * addresses overlap, dual-stack sockets included. */
#include <string.h>

#include "stack_internal.h"

bool synack_addr_is_v4mapped(const uint8_t *a) {
  static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  return memcmp(a, pfx, 12) == 0;
}

void synack_addr_map4(const uint8_t *v4, uint8_t *out16) {
  memset(out16, 0, 10);
  out16[10] = out16[11] = 0xff;
  memcpy(out16 + 12, v4, 4);
}

/* What a local address covers in each family. */
typedef struct {
  bool v4, v6;     /* receives IPv4 / IPv6 */
  bool any4, any6; /* on any address of that family */
  uint8_t a4[4], a6[16];
} cover_t;

static cover_t coverage(uint8_t family, const uint8_t *laddr, bool v6only) {
  static const uint8_t zero[16];
  cover_t c;
  memset(&c, 0, sizeof c);
  if (family == SYNACK_AF_INET) {
    c.v4 = true;
    c.any4 = memcmp(laddr, zero, 4) == 0;
    memcpy(c.a4, laddr, 4);
  } else if (memcmp(laddr, zero, 16) == 0) {
    c.v6 = c.any6 = true;
    c.v4 = c.any4 = !v6only; /* RFC 3493 §5.3: IPV6_V6ONLY off: IPv4 too, v4-mapped */
  } else if (synack_addr_is_v4mapped(laddr)) {
    c.v4 = true;
    memcpy(c.a4, laddr + 12, 4);
  } else {
    c.v6 = true;
    memcpy(c.a6, laddr, 16);
  }
  return c;
}

bool synack_local_overlap(uint8_t fa, const uint8_t *a, bool a_v6only, uint8_t fb, const uint8_t *b, bool b_v6only) {
  cover_t x = coverage(fa, a, a_v6only), y = coverage(fb, b, b_v6only);
  if (x.v4 && y.v4 && (x.any4 || y.any4 || memcmp(x.a4, y.a4, 4) == 0)) return true;
  if (x.v6 && y.v6 && (x.any6 || y.any6 || memcmp(x.a6, y.a6, 16) == 0)) return true;
  return false;
}

int synack_port_search(synack_stack_t *st, uint32_t start, synack_port_usable_fn usable, void *ctx, uint32_t *tries) {
  uint32_t lo = st->cfg.tcp_port_lo, hi = st->cfg.tcp_port_hi;
  if (lo == 0 || hi < lo) return -SYNACK_EADDRNOTAVAIL;
  uint32_t num = hi - lo + 1;
  /* RFC 6056 §3.3.1-§3.3.3: the candidates are lo + (start + i) % num, tried in turn. */
  for (uint32_t i = 0; i < num; i++) {
    uint16_t port = (uint16_t)(lo + (start + i) % num);
    if (usable(st, port, ctx)) {
      if (tries) *tries = i;
      return port;
    }
  }
  return -SYNACK_EADDRNOTAVAIL;
}
