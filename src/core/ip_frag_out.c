/* Outgoing IP fragmentation: an upper-layer packet larger than the link MTU leaves as IP
 * fragments (RFC 791 §2.3 and §3.2 for IPv4, RFC 8200 §4.5 for IPv6). Only UDP uses it: TCP
 * sizes its segments to the path MTU. The receiving side is frag.c. */
#include <string.h>

#include "ip.h"
#include "stack_internal.h"

/* The Identification of one fragmented datagram.
 * IPv4 (RFC 791, RFC 6864 §4.1): it must differ from that of any other fragmented datagram
 * between the same addresses while fragments may live; a per-stack counter does that for 65,536
 * datagrams in a row. It starts at a random value (so it is not guessable from the stack's age)
 * and only fragmented datagrams step it (atomic ones, sent with DF, need no unique value).
 * IPv6 (RFC 7739 §5.2): a random 32-bit value for each datagram, unpredictable to an off-path
 * attacker and colliding with probability about 2^-32. */
static uint32_t next_id(synack_stack_t *st, uint8_t family) {
  if (family == SYNACK_AF_INET6) return synack_random_u32(st);
  if (!st->ip4_frag_id_set) {
    st->ip4_frag_id = synack_random_u32(st);
    st->ip4_frag_id_set = true;
  }
  return st->ip4_frag_id++ & 0xffffu;
}

/* Copies bytes [off, off + n) of the packet hdr ‖ data to out. */
static void copy_range(uint8_t *out, const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t off, size_t n) {
  if (off < hdr_len) {
    size_t h = hdr_len - off < n ? hdr_len - off : n;
    memcpy(out, hdr + off, h);
    out += h;
    n -= h;
    off = hdr_len;
  }
  if (n) memcpy(out, data + (off - hdr_len), n);
}

int synack_tx_fragmented(synack_stack_t *st, const synack_ip_t *src, const synack_ip_t *dst, uint8_t proto,
                         uint8_t tos, uint8_t ttl, const uint8_t *hdr, size_t hdr_len, const uint8_t *data,
                         size_t data_len) {
  bool v6 = dst->family == SYNACK_AF_INET6;
  size_t total = hdr_len + data_len;
  size_t l3 = v6 ? SYNACK_IP6_HDR_LEN + SYNACK_IP6_FRAG_HDR_LEN : SYNACK_IP4_HDR_LEN;
  uint32_t mtu = synack_route_mtu(st, dst);
  /* RFC 791 §3.2 / RFC 8200 §4.5: every fragment but the last carries a multiple of 8 bytes,
   * as many as the MTU allows after the (unfragmentable) headers. */
  size_t per = mtu > l3 ? ((mtu - l3) & ~(size_t)7) : 0;
  if (per == 0 || total > 65535 - (v6 ? 0 : SYNACK_IP4_HDR_LEN)) return -SYNACK_EMSGSIZE;
  uint32_t n = (uint32_t)((total + per - 1) / per);
  /* all or nothing: a datagram missing one fragment is lost anyway */
  if (n > st->cfg.tx_ring_frames) return -SYNACK_EMSGSIZE;
  if (synack_tx_room(st) < n) return -SYNACK_EAGAIN;
  synack_frag_out_t fo = { .id = next_id(st, dst->family) };
  for (size_t off = 0; off < total; off += per) {
    size_t len = total - off < per ? total - off : per;
    fo.off = (uint16_t)off;
    fo.more = off + len < total;
    synack_tx_t tx;
    if (!synack_tx_begin(st, dst, &tx)) return -SYNACK_EAGAIN; /* cannot happen: room was checked */
    uint8_t *ip = tx.frame + tx.l3_off;
    synack_tx_ip_header(st, ip, src, dst, proto, tos, ttl, len, &fo);
    copy_range(ip + l3, hdr, hdr_len, data, off, len);
    synack_tx_queue(st, &tx, dst, l3 + len);
  }
  synack_count(st, SYNACK_CTR_IP_FRAGMENTED_OUT);
  return (int)n;
}
