/* SYN cookies (RFC 4987 §3.6): when the SYN queue is full the listener keeps no state; the
 * ISN of its SYN-ACK encodes what it must remember, keyed with the stack secret:
 *   bits 31..27  t mod 32, t = time / 64 s (a cookie is accepted for two periods)
 *   bits 26..24  index of the client's MSS in a table
 *   bits 23..0   SipHash(secret, 4-tuple, t, client ISN, MSS index)
 * With timestamps, the peer's window scale and SACK-permitted ride in the low five bits of
 * our TSval and come back in the TSecr of the final ACK (with cfg.tcp_syncookie_linux a sixth
 * bit says the SYN asked for ECN, as Linux's cookie_init_timestamp). Without timestamps there
 * is nowhere to keep them: the cookie SYN-ACK offers the MSS alone (tcp_listen.c). */

#include "tcp_internal.h"

static const uint16_t mss_table[8] = { 216, 536, 1220, 1360, 1440, 1452, 1460, 8960 };
/* cfg.tcp_syncookie_linux: Linux's tables (msstab in syncookies.c, msstab in ipv6/syncookies.c) */
static const uint16_t mss_linux4[4] = { 536, 1300, 1440, 1460 };
static const uint16_t mss_linux6[4] = { 1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60 };

typedef struct {
  const uint16_t *v;
  uint8_t n;
} mss_tab_t;

static mss_tab_t mss_tab(const synack_stack_t *st, uint8_t family) {
  if (!st->cfg.tcp_syncookie_linux) return (mss_tab_t){ mss_table, 8 };
  return family == SYNACK_AF_INET6 ? (mss_tab_t){ mss_linux6, 4 } : (mss_tab_t){ mss_linux4, 4 };
}

/* The largest entry not above mss (the first when all are). */
static uint8_t tab_index(mss_tab_t t, uint16_t mss) {
  uint8_t i = 0;
  while (i + 1 < t.n && t.v[i + 1] <= mss) i++;
  return i;
}

uint8_t synack_cookie_mss_index(uint16_t mss) { return tab_index((mss_tab_t){ mss_table, 8 }, mss); }

uint16_t synack_cookie_mss(uint8_t idx) { return mss_table[idx & 7]; }

uint16_t synack_cookie_encoded_mss(const synack_stack_t *st, uint8_t family, uint16_t mss) {
  mss_tab_t t = mss_tab(st, family);
  return t.v[tab_index(t, mss)];
}

static uint32_t period(synack_time_t now) { return (uint32_t)(now / SYNACK_SEC(64)); }

static uint32_t cookie_hash(const synack_stack_t *st, const synack_tuple_t *t, uint32_t count, synack_seq_t irs,
                            uint32_t idx) {
  const uint32_t extra[3] = { count, irs.v, idx }; /* the MSS bits are authenticated too */
  return (uint32_t)synack_tcp_tuple_hash(st, SYNACK_KEY_COOKIE, t, extra, 3) & 0xffffffu;
}

uint32_t synack_cookie_make(const synack_stack_t *st, const synack_tuple_t *t, synack_seq_t irs, uint16_t mss,
                            synack_time_t now) {
  uint32_t count = period(now);
  uint32_t idx = tab_index(mss_tab(st, t->family), mss);
  return (count & 31u) << 27 | idx << 24 | cookie_hash(st, t, count, irs, idx);
}

uint16_t synack_cookie_check(const synack_stack_t *st, const synack_tuple_t *t, synack_seq_t irs, uint32_t cookie,
                             synack_time_t now) {
  uint32_t count = period(now);
  for (uint32_t age = 0; age < 2 && age <= count; age++) {
    uint32_t c = count - age;
    if ((c & 31u) != cookie >> 27) continue;
    uint32_t idx = cookie >> 24 & 7u;
    mss_tab_t tab = mss_tab(st, t->family);
    if (idx < tab.n && cookie_hash(st, t, c, irs, idx) == (cookie & 0xffffffu)) return tab.v[idx];
  }
  return 0;
}

uint32_t synack_cookie_ts_encode(uint32_t ts_now, bool ws, uint8_t wscale, bool sack, int ecn) {
  uint32_t span = ecn < 0 ? 32u : 64u;
  uint32_t bits = (ws ? (wscale > 14 ? 14u : wscale) : 15u) | (sack ? 16u : 0u) | (ecn > 0 ? 32u : 0u);
  uint32_t ts = (ts_now & ~(span - 1u)) | bits;
  if ((int32_t)(ts - ts_now) > 0) ts -= span; /* never a timestamp from the future */
  return ts;
}

void synack_cookie_ts_decode(uint32_t ts_ecr, bool *ws, uint8_t *wscale, bool *sack, bool *ecn) {
  uint32_t w = ts_ecr & 15u;
  *ws = w != 15u;
  *wscale = (uint8_t)(w == 15u ? 0 : w);
  *sack = (ts_ecr & 16u) != 0;
  if (ecn) *ecn = (ts_ecr & 32u) != 0;
}
