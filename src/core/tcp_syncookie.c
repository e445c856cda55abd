/* SYN cookies (RFC 4987 §3.6): when the SYN queue is full the listener keeps no state; the
 * ISN of its SYN-ACK encodes what it must remember, keyed with the stack secret:
 *   bits 31..27  t mod 32, t = time / 64 s (a cookie is accepted for two periods)
 *   bits 26..24  index of the client's MSS in a table
 *   bits 23..0   SipHash(secret, 4-tuple, t, client ISN, MSS index)
 * With timestamps, the peer's window scale and SACK-permitted ride in the low five bits of
 * our TSval and come back in the TSecr of the final ACK. */

#include "tcp_internal.h"

static const uint16_t mss_table[8] = { 216, 536, 1220, 1360, 1440, 1452, 1460, 8960 };

uint8_t synack_cookie_mss_index(uint16_t mss) {
  uint8_t i = 0;
  while (i + 1 < 8 && mss_table[i + 1] <= mss) i++;
  return i;
}

uint16_t synack_cookie_mss(uint8_t idx) { return mss_table[idx & 7]; }

static uint32_t period(synack_time_t now) { return (uint32_t)(now / SYNACK_SEC(64)); }

static uint32_t cookie_hash(const synack_stack_t *st, const synack_tuple_t *t, uint32_t count, synack_seq_t irs,
                            uint32_t idx) {
  const uint32_t extra[3] = { count, irs.v, idx }; /* the MSS bits are authenticated too */
  return (uint32_t)synack_tcp_tuple_hash(st, SYNACK_KEY_COOKIE, t, extra, 3) & 0xffffffu;
}

uint32_t synack_cookie_make(const synack_stack_t *st, const synack_tuple_t *t, synack_seq_t irs, uint16_t mss,
                            synack_time_t now) {
  uint32_t count = period(now);
  uint32_t idx = synack_cookie_mss_index(mss);
  return (count & 31u) << 27 | idx << 24 | cookie_hash(st, t, count, irs, idx);
}

uint16_t synack_cookie_check(const synack_stack_t *st, const synack_tuple_t *t, synack_seq_t irs, uint32_t cookie,
                             synack_time_t now) {
  uint32_t count = period(now);
  for (uint32_t age = 0; age < 2 && age <= count; age++) {
    uint32_t c = count - age;
    if ((c & 31u) != cookie >> 27) continue;
    if (cookie_hash(st, t, c, irs, cookie >> 24 & 7u) == (cookie & 0xffffffu)) return synack_cookie_mss((uint8_t)(cookie >> 24 & 7u));
  }
  return 0;
}

uint32_t synack_cookie_ts_encode(uint32_t ts_now, bool ws, uint8_t wscale, bool sack) {
  uint32_t bits = (ws ? (wscale > 14 ? 14u : wscale) : 15u) | (sack ? 16u : 0u);
  uint32_t ts = (ts_now & ~31u) | bits;
  if ((int32_t)(ts - ts_now) > 0) ts -= 32; /* never a timestamp from the future */
  return ts;
}

void synack_cookie_ts_decode(uint32_t ts_ecr, bool *ws, uint8_t *wscale, bool *sack) {
  uint32_t w = ts_ecr & 15u;
  *ws = w != 15u;
  *wscale = (uint8_t)(w == 15u ? 0 : w);
  *sack = (ts_ecr & 16u) != 0;
}
