/* Transmission: the ring of frames waiting for the driver, IP header construction, next-hop
 * choice and the hand-off to neighbour resolution. Upper layers write their packet directly
 * into a ring slot (synack_tx_begin / synack_tx_commit), so payload bytes are copied once,
 * from the socket's buffer into the frame the driver sends. */
#include <string.h>

#include "ip.h"
#include "neigh.h"
#include "stack_internal.h"
#include "wire_bytes.h"

/* ---------- addresses and routing ---------- */

static bool is_link_local6(const synack_ip_t *ip) {
  return ip->family == SYNACK_AF_INET6 && ip->b[0] == 0xfe && (ip->b[1] & 0xc0) == 0x80;
}

bool synack_is_local_addr(const synack_stack_t *st, const synack_ip_t *ip) {
  if (ip->family == SYNACK_AF_INET) return st->cfg.ip4.family == SYNACK_AF_INET && synack_ip_equal(ip, &st->cfg.ip4);
  if (ip->family == SYNACK_AF_INET6)
    return (st->cfg.ip6.family == SYNACK_AF_INET6 && synack_ip_equal(ip, &st->cfg.ip6)) ||
           (st->ip6_ll.family == SYNACK_AF_INET6 && synack_ip_equal(ip, &st->ip6_ll));
  return false;
}

bool synack_route_src(const synack_stack_t *st, const synack_ip_t *dst, synack_ip_t *src) {
  if (dst->family == SYNACK_AF_INET) {
    if (st->cfg.ip4.family != SYNACK_AF_INET) return false;
    *src = st->cfg.ip4;
    return true;
  }
  if (dst->family == SYNACK_AF_INET6) {
    /* RFC 6724 rule 2 in its simplest form: match the destination's scope. */
    if (is_link_local6(dst) && st->ip6_ll.family) {
      *src = st->ip6_ll;
      return true;
    }
    if (st->cfg.ip6.family == SYNACK_AF_INET6) {
      *src = st->cfg.ip6;
      return true;
    }
    if (st->ip6_ll.family) {
      *src = st->ip6_ll;
      return true;
    }
  }
  return false;
}

uint32_t synack_route_mtu(const synack_stack_t *st, const synack_ip_t *dst) {
  (void)dst;
  return st->cfg.mtu;
}

static bool same_prefix(const synack_ip_t *a, const synack_ip_t *b, unsigned bits) {
  unsigned full = bits / 8, rest = bits % 8;
  if (memcmp(a->b, b->b, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a->b[full] & mask) == (b->b[full] & mask);
}

/* The on-link next hop for dst: dst itself when on-link (or no gateway), else the gateway. */
static synack_ip_t next_hop(const synack_stack_t *st, const synack_ip_t *dst) {
  if (dst->family == SYNACK_AF_INET) {
    if (st->cfg.ip4_gateway.family == SYNACK_AF_INET && st->cfg.ip4.family == SYNACK_AF_INET &&
        !same_prefix(dst, &st->cfg.ip4, st->cfg.ip4_prefix))
      return st->cfg.ip4_gateway;
    return *dst;
  }
  if (is_link_local6(dst)) return *dst;
  if (st->cfg.ip6_gateway.family == SYNACK_AF_INET6 && st->cfg.ip6.family == SYNACK_AF_INET6 &&
      !same_prefix(dst, &st->cfg.ip6, st->cfg.ip6_prefix))
    return st->cfg.ip6_gateway;
  return *dst;
}

/* ---------- the ring ---------- */

uint32_t synack_tx_room(const synack_stack_t *st) { return st->cfg.tx_ring_frames - st->tx_count; }

static uint8_t *slot_buf(const synack_stack_t *st, uint32_t slot) {
  return st->tx_mem + (size_t)slot * st->tx_slot_cap;
}

static uint32_t tail_slot(const synack_stack_t *st) {
  /* tx_head < frames and tx_count <= frames: one conditional subtraction wraps (no division
   * per frame). */
  uint32_t s = st->tx_head + st->tx_count;
  return s >= st->cfg.tx_ring_frames ? s - st->cfg.tx_ring_frames : s;
}

bool synack_tx_raw(synack_stack_t *st, const uint8_t *frame, size_t len) {
  if (st->tx_count == st->cfg.tx_ring_frames) {
    synack_drop(st, SYNACK_DROP_TX_RING_FULL, frame, len);
    return false;
  }
  if (len > st->tx_slot_cap) {
    synack_drop(st, SYNACK_DROP_TX_TOO_BIG, frame, len);
    return false;
  }
  uint32_t slot = tail_slot(st);
  memcpy(slot_buf(st, slot), frame, len);
  st->tx_len[slot] = (uint32_t)len;
  st->tx_count++;
  return true;
}

bool synack_tx_begin(synack_stack_t *st, const synack_ip_t *dst, synack_tx_t *tx) {
  if (st->tx_count == st->cfg.tx_ring_frames) return false;
  tx->slot = tail_slot(st);
  tx->frame = slot_buf(st, tx->slot);
  tx->l3_off = st->cfg.link == SYNACK_LINK_ETHERNET ? SYNACK_ETH_HDR_LEN : 0;
  tx->l3_len = dst->family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  tx->l4 = tx->frame + tx->l3_off + tx->l3_len;
  size_t mtu = synack_route_mtu(st, dst);
  tx->l4_cap = mtu > tx->l3_len ? mtu - tx->l3_len : 0;
  return true;
}

void synack_tx_cancel(synack_stack_t *st, synack_tx_t *tx) {
  (void)st;
  (void)tx; /* the slot was never counted: nothing to undo */
}

void synack_tx_ip_header(synack_stack_t *st, uint8_t *l3, const synack_ip_t *src, const synack_ip_t *dst,
                         uint8_t proto, uint8_t tos, uint8_t ttl, size_t l4_len, const synack_frag_out_t *frag) {
  if (!ttl) ttl = st->cfg.ttl;
  if (dst->family == SYNACK_AF_INET6) {
    synack_ip6_repr_t h;
    memset(&h, 0, sizeof h);
    h.src = *src;
    h.dst = *dst;
    h.traffic_class = tos;
    h.hop_limit = ttl;
    h.proto = frag ? SYNACK_IP6_NH_FRAGMENT : proto;
    synack_ip6_emit(&h, l4_len + (frag ? SYNACK_IP6_FRAG_HDR_LEN : 0u), l3, SYNACK_IP6_HDR_LEN);
    if (frag) {
      /* RFC 8200 §4.5: Next Header, reserved, Fragment Offset (8-octet units) with the M flag in
       * the low bit, then the Identification. */
      uint8_t *fh = l3 + SYNACK_IP6_HDR_LEN;
      fh[0] = proto;
      fh[1] = 0;
      wr16(fh + 2, (uint16_t)(frag->off | (frag->more ? 1u : 0u)));
      wr32(fh + 4, frag->id);
    }
    return;
  }
  synack_ip4_repr_t h;
  memset(&h, 0, sizeof h);
  h.src = *src;
  h.dst = *dst;
  h.tos = tos;
  h.ttl = ttl;
  h.proto = proto;
  if (frag) {
    /* RFC 791 §3.2: the fragments share the datagram's Identification; no DF, so that a
     * smaller link on the way may fragment them further (Linux does the same). */
    h.id = (uint16_t)frag->id;
    h.mf = frag->more;
    h.frag_off = frag->off;
  } else {
    /* RFC 6864 §4.1: atomic datagrams (DF set) may carry any ID; a counter keeps it simple. */
    h.id = (uint16_t)(st->counters.events[SYNACK_CTR_FRAMES_OUT] + st->tx_count);
    h.df = true;
  }
  synack_ip4_emit(&h, l4_len, l3, SYNACK_IP4_HDR_LEN);
}

void synack_tx_commit(synack_stack_t *st, synack_tx_t *tx, const synack_ip_t *src, const synack_ip_t *dst,
                      uint8_t proto, uint8_t tos, uint8_t ttl, size_t l4_len) {
  synack_tx_ip_header(st, tx->frame + tx->l3_off, src, dst, proto, tos, ttl, l4_len, NULL);
  synack_tx_queue(st, tx, dst, tx->l3_len + l4_len);
}

void synack_tx_queue(synack_stack_t *st, synack_tx_t *tx, const synack_ip_t *dst, size_t l3_total) {
  size_t total = tx->l3_off + l3_total;
  if (st->cfg.link == SYNACK_LINK_ETHERNET) {
    synack_eth_repr_t eth;
    memset(&eth, 0, sizeof eth);
    eth.src = st->cfg.mac;
    eth.ethertype = dst->family == SYNACK_AF_INET6 ? SYNACK_ETHERTYPE_IPV6 : SYNACK_ETHERTYPE_IPV4;
    bool resolved = true;
    if (dst->family == SYNACK_AF_INET6 && dst->b[0] == 0xff) {
      synack_ip6_multicast_mac(dst, &eth.dst);
    } else if (dst->family == SYNACK_AF_INET && synack_ip4_is_bcast_mcast(st, dst)) {
      /* UDP with SO_BROADCAST: RFC 1112 §6.4 maps a group to 01:00:5e + its low 23 bits;
       * a broadcast goes to the Ethernet broadcast address (RFC 919). */
      if ((dst->b[0] & 0xf0) == 0xe0) {
        const uint8_t m[6] = { 0x01, 0x00, 0x5e, (uint8_t)(dst->b[1] & 0x7f), dst->b[2], dst->b[3] };
        memcpy(eth.dst.b, m, 6);
      } else {
        memset(eth.dst.b, 0xff, 6);
      }
    } else {
      synack_ip_t hop = next_hop(st, dst);
      resolved = synack_neigh_lookup(st, &hop, &eth.dst);
      if (!resolved) {
        synack_eth_emit(&eth, tx->frame, SYNACK_ETH_HDR_LEN);
        synack_neigh_park(st, &hop, tx->frame, total);
        return;
      }
    }
    synack_eth_emit(&eth, tx->frame, SYNACK_ETH_HDR_LEN);
  }
  st->tx_len[tx->slot] = (uint32_t)total;
  st->tx_count++;
}

bool synack_stack_has_tx(const synack_stack_t *st) {
  uint32_t waiting = st->tx_count - (st->tx_head_lent ? 1u : 0u);
  return waiting > 0 || synack_tcp_has_pending(st);
}

bool synack_stack_poll_tx(synack_stack_t *st, synack_time_t now, synack_frame_t *out) {
  if (now > st->now) st->now = now;
  if (st->tx_head_lent) {
    st->tx_head = st->tx_head + 1 == st->cfg.tx_ring_frames ? 0 : st->tx_head + 1;
    st->tx_count--;
    st->tx_head_lent = false;
    /* An empty ring starts over at slot 0: a driver that sends each frame at once then keeps
     * writing the same few slots, which stay in cache (with 64 KiB frames, walking a 256-slot
     * ring touches 16 MiB and misses on every frame). */
    if (st->tx_count == 0) st->tx_head = 0;
  }
  /* Generate lazily: connections waiting for room write straight into the free slots. */
  if (synack_tcp_has_pending(st) && synack_tx_room(st) > 0) synack_tcp_flush(st, now);
  if (synack_tx_room(st) > 0) synack_udp_tx_room(st);
  if (st->tx_count == 0) return false;
  out->data = slot_buf(st, st->tx_head);
  out->len = st->tx_len[st->tx_head];
  st->tx_head_lent = true;
  synack_count(st, SYNACK_CTR_FRAMES_OUT);
  synack_count_add(st, SYNACK_CTR_BYTES_OUT, out->len);
  if (synack_tracing(st)) {
    synack_trace_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SYNACK_TRACE_FRAME_OUT;
    ev.frame = out->data;
    ev.frame_len = out->len;
    ev.sock = -1;
    synack_trace_emit(st, &ev);
  }
  return true;
}

/* ---------- ICMP we originate ---------- */

/* RFC 1812 §4.3.2.8 / RFC 4443 §2.4(f): rate-limit ICMP errors with a per-second bucket. */
static bool icmp_allowed(synack_stack_t *st) {
  uint64_t sec = st->now / 1000000u;
  if (sec != st->icmp_tokens_at) {
    st->icmp_tokens_at = sec;
    st->icmp_tokens = st->cfg.icmp_rate_per_sec;
  }
  if (!st->icmp_tokens) {
    synack_drop(st, SYNACK_DROP_ICMP_RATE_LIMITED, NULL, 0);
    return false;
  }
  st->icmp_tokens--;
  return true;
}

void synack_icmp_send_unreach(synack_stack_t *st, uint8_t family, uint8_t code, const uint8_t *ip_pkt, size_t len) {
  synack_ip_t src, dst;
  memset(&dst, 0, sizeof dst);
  if (family == SYNACK_AF_INET) {
    if (len < SYNACK_IP4_HDR_LEN) return;
    dst.family = SYNACK_AF_INET;
    memcpy(dst.b, ip_pkt + 12, 4);
  } else {
    if (len < SYNACK_IP6_HDR_LEN) return;
    dst.family = SYNACK_AF_INET6;
    memcpy(dst.b, ip_pkt + 8, 16);
  }
  if (!synack_route_src(st, &dst, &src) || !icmp_allowed(st)) return;
  synack_tx_t tx;
  if (!synack_tx_begin(st, &dst, &tx)) {
    synack_drop(st, SYNACK_DROP_TX_RING_FULL, NULL, 0);
    return;
  }
  /* RFC 1812 §4.3.2.3: quote as much as fits in 576 bytes (IPv4); RFC 4443 §2.4(c): as much
   * as fits in the minimum IPv6 MTU of 1280. */
  size_t limit = family == SYNACK_AF_INET ? 576 - 20 - 8 : 1280 - 40 - 8;
  if (len > limit) len = limit;
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.data = ip_pkt;
  ic.data_len = len;
  size_t n;
  if (family == SYNACK_AF_INET) {
    ic.type = SYNACK_ICMP4_DEST_UNREACH;
    ic.code = code;
    n = synack_icmp4_emit(&ic, tx.l4, tx.l4_cap);
  } else {
    ic.type = SYNACK_ICMP6_DEST_UNREACH;
    ic.code = code;
    n = synack_icmp6_emit(&ic, &src, &dst, tx.l4, tx.l4_cap);
  }
  if (!n) return;
  synack_tx_commit(st, &tx, &src, &dst, family == SYNACK_AF_INET ? SYNACK_IPPROTO_ICMP : SYNACK_IPPROTO_ICMPV6, 0,
                   0, n);
  synack_count(st, SYNACK_CTR_ICMP_UNREACH_OUT);
}

int synack_stack_ping(synack_stack_t *st, synack_time_t now, const synack_ip_t *dst, uint16_t ident, uint16_t seqno,
                      size_t len) {
  if (now > st->now) st->now = now;
  synack_ip_t src;
  if (!synack_route_src(st, dst, &src)) return -SYNACK_ENETUNREACH;
  synack_tx_t tx;
  if (!synack_tx_begin(st, dst, &tx)) return -SYNACK_ENOBUFS;
  if (len < 8) len = 8;
  uint8_t payload[2048];
  if (len > sizeof payload || len + 8 > tx.l4_cap) return -SYNACK_EINVAL;
  /* The first 8 bytes carry the send time so the reply gives the round-trip time. */
  for (int i = 0; i < 8; i++) payload[i] = (uint8_t)(now >> (56 - 8 * i));
  for (size_t i = 8; i < len; i++) payload[i] = (uint8_t)i;
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.ident = ident;
  ic.seqno = seqno;
  ic.data = payload;
  ic.data_len = len;
  size_t n;
  if (dst->family == SYNACK_AF_INET) {
    ic.type = SYNACK_ICMP4_ECHO_REQUEST;
    n = synack_icmp4_emit(&ic, tx.l4, tx.l4_cap);
  } else {
    ic.type = SYNACK_ICMP6_ECHO_REQUEST;
    n = synack_icmp6_emit(&ic, &src, dst, tx.l4, tx.l4_cap);
  }
  if (!n) return -SYNACK_EINVAL;
  synack_tx_commit(st, &tx, &src, dst, dst->family == SYNACK_AF_INET ? SYNACK_IPPROTO_ICMP : SYNACK_IPPROTO_ICMPV6,
                   0, 0, n);
  return 0;
}
