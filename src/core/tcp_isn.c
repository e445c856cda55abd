/* Initial sequence numbers (RFC 6528) and per-connection timestamp offsets (RFC 7323 §5.4). */
#include <string.h>

#include "tcp_internal.h"

/* Keyed hash of the 4-tuple with a one-byte domain tag, so that the ISN offset and the
 * timestamp offset of a connection are unrelated. */
static uint64_t tuple_hash(const synack_stack_t *st, const synack_tuple_t *t, uint8_t tag) {
  uint8_t buf[1 + sizeof *t];
  buf[0] = tag;
  memcpy(buf + 1, t, sizeof *t);
  return synack_siphash24(st->secret, buf, sizeof buf);
}

synack_seq_t synack_tcp_isn(const synack_stack_t *st, const synack_tuple_t *t, synack_time_t now) {
  /* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a
   * timer ticking every 4 microseconds and F a keyed hash the attacker cannot compute. */
  uint32_t m = (uint32_t)(now / 4u);
  if (st->cfg.tcp_isn_fixed) return seq_make(m); /* teaching mode: predictable, NOT RFC 6528 */
  return seq_make(m + (uint32_t)tuple_hash(st, t, 'I'));
}

uint32_t synack_tcp_ts_offset(const synack_stack_t *st, const synack_tuple_t *t) {
  if (st->cfg.tcp_isn_fixed) return 0;
  /* RFC 7323 §5.4: a random per-connection offset keeps the host's clock private. */
  return (uint32_t)tuple_hash(st, t, 'T');
}
