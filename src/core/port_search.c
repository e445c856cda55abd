/* The search over the ephemeral port range that TCP's connect() and UDP's automatic binding
 * share (RFC 6056 §3.3): each protocol chooses where to start and what "usable" means. */
#include "stack_internal.h"

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
