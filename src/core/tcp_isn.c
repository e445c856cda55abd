/* Initial sequence numbers (RFC 6528) and per-connection timestamp offsets (RFC 7323 §5.4),
 * each under its own key (secret.h), so the two offsets of a connection are unrelated. */
#include "tcp_internal.h"


synack_seq_t synack_tcp_isn(const synack_stack_t *st, const synack_tuple_t *t, synack_time_t now) {
  /* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a
   * timer ticking every 4 microseconds and F a keyed hash the attacker cannot compute. */
  uint32_t m = (uint32_t)(now / 4u);
  if (st->cfg.tcp_isn_fixed) return seq_make(m); /* teaching mode: predictable, NOT RFC 6528 */
  return seq_make(m + (uint32_t)synack_tcp_tuple_hash(st, SYNACK_KEY_ISN, t, NULL, 0));
}

uint32_t synack_tcp_ts_offset(const synack_stack_t *st, const synack_tuple_t *t) {
  if (st->cfg.tcp_isn_fixed) return 0;
  /* RFC 7323 §5.4: a random per-connection offset keeps the host's clock private. */
  return (uint32_t)synack_tcp_tuple_hash(st, SYNACK_KEY_TS, t, NULL, 0);
}
