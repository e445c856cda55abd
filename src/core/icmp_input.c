/* Upper-layer dispatch, ICMP/ICMPv6 handling (echo, errors for TCP and UDP, neighbour
 * discovery) and UDP input (checks here, sockets in udp_sock.c, port unreachable when none). */
#include <string.h>

#include "ip.h"
#include "neigh.h"
#include "stack_internal.h"

static void send_echo_reply(synack_stack_t *st, const synack_ip_t *to, const synack_ip_t *our,
                            const synack_icmp_repr_t *req) {
  synack_tx_t tx;
  if (!synack_tx_begin(st, to, &tx)) {
    synack_drop(st, SYNACK_DROP_TX_RING_FULL, NULL, 0);
    return;
  }
  synack_icmp_repr_t rep = *req;
  size_t n;
  if (to->family == SYNACK_AF_INET) {
    rep.type = SYNACK_ICMP4_ECHO_REPLY;
    rep.code = 0;
    n = synack_icmp4_emit(&rep, tx.l4, tx.l4_cap);
  } else {
    rep.type = SYNACK_ICMP6_ECHO_REPLY;
    rep.code = 0;
    n = synack_icmp6_emit(&rep, our, to, tx.l4, tx.l4_cap);
  }
  if (!n) return;
  synack_tx_commit(st, &tx, our, to, to->family == SYNACK_AF_INET ? SYNACK_IPPROTO_ICMP : SYNACK_IPPROTO_ICMPV6, 0, 0,
                   n);
  synack_count(st, SYNACK_CTR_ICMP_ECHO_REPLIES_OUT);
}

static void echo_reply_in(synack_stack_t *st, const synack_ip_t *from, const synack_icmp_repr_t *ic) {
  synack_time_t sent = 0;
  if (ic->data_len >= 8)
    for (int i = 0; i < 8; i++) sent = sent << 8 | ic->data[i];
  synack_count(st, SYNACK_CTR_ICMP_ECHO_REPLIES_IN);
  synack_stack_post_echo_reply(st, from, ic->ident, ic->seqno, ic->data_len, sent);
}

static void icmp4_input(synack_stack_t *st, synack_time_t now, const synack_ip_t *src, const synack_ip_t *dst,
                        const uint8_t *l4, size_t len, unsigned flags) {
  synack_icmp_repr_t ic;
  synack_drop_reason_t r = synack_icmp4_parse(l4, len, &ic);
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, l4, len);
    return;
  }
  switch (ic.type) {
    case SYNACK_ICMP4_ECHO_REQUEST: {
      /* RFC 1122 3.2.2.6: answer echo requests; we do not answer broadcast ones (smurf). */
      if (flags & SYNACK_RX_L3_MULTICAST) return;
      send_echo_reply(st, src, dst, &ic);
      return;
    }
    case SYNACK_ICMP4_ECHO_REPLY: echo_reply_in(st, src, &ic); return;
    case SYNACK_ICMP4_DEST_UNREACH:
    case SYNACK_ICMP4_TIME_EXCEEDED:
      /* RFC 1122 3.2.2.1: hand the error to the transport named in the quoted header. */
      if (ic.data_len < SYNACK_IP4_HDR_LEN + 8 || (ic.data[0] >> 4) != 4) {
        synack_drop(st, SYNACK_DROP_ICMP_BAD_QUOTE, l4, len);
        return;
      }
      if (ic.data[9] == SYNACK_IPPROTO_TCP) {
        synack_count(st, SYNACK_CTR_ICMP_ERRORS_IN);
        synack_tcp_icmp_error(st, now, SYNACK_AF_INET, ic.type, ic.code, ic.mtu, ic.data, ic.data_len);
      } else if (ic.data[9] == SYNACK_IPPROTO_UDP) {
        synack_udp_icmp_error(st, SYNACK_AF_INET, ic.type, ic.code, ic.data, ic.data_len);
      }
      return;
    default: synack_drop(st, SYNACK_DROP_ICMP_UNKNOWN_TYPE, l4, len); return;
  }
}

/* Sends a neighbour advertisement for `target` to `to` (RFC 4861 §7.2.4). */
static void send_na(synack_stack_t *st, const synack_ip_t *to, const synack_ip_t *target, bool solicited) {
  synack_ip_t src = *target;
  synack_ip_t dst = *to;
  if (synack_ip_is_unspecified(&dst)) {
    /* The solicitor is doing duplicate address detection: answer all-nodes. */
    memset(&dst, 0, sizeof dst);
    dst.family = SYNACK_AF_INET6;
    dst.b[0] = 0xff;
    dst.b[1] = 0x02;
    dst.b[15] = 0x01;
    solicited = false;
  }
  synack_tx_t tx;
  if (!synack_tx_begin(st, &dst, &tx)) return;
  synack_icmp_repr_t na;
  memset(&na, 0, sizeof na);
  na.type = SYNACK_ICMP6_NA;
  na.target = *target;
  na.has_lladdr = true;
  na.lladdr = st->cfg.mac;
  na.na_solicited = solicited;
  na.na_override = true;
  size_t n = synack_icmp6_emit(&na, &src, &dst, tx.l4, tx.l4_cap);
  if (!n) return;
  /* RFC 4861 §7.1.2: ND messages go out with hop limit 255 so receivers can tell they were
   * not forwarded. */
  synack_tx_commit(st, &tx, &src, &dst, SYNACK_IPPROTO_ICMPV6, 0, 255, n);
  synack_count(st, SYNACK_CTR_ND_ADVERTS_OUT);
}

void synack_nd_solicit(synack_stack_t *st, const synack_ip_t *target, bool unicast) {
  if (st->cfg.link != SYNACK_LINK_ETHERNET) return;
  synack_ip_t src, dst;
  if (!synack_route_src(st, target, &src)) return;
  /* A probe goes to the neighbour itself: its entry is STALE/PROBE, which still resolves. */
  if (unicast) dst = *target;
  else synack_ip6_solicited_node(target, &dst);
  synack_tx_t tx;
  if (!synack_tx_begin(st, &dst, &tx)) return;
  synack_icmp_repr_t ns;
  memset(&ns, 0, sizeof ns);
  ns.type = SYNACK_ICMP6_NS;
  ns.target = *target;
  ns.has_lladdr = true;
  ns.lladdr = st->cfg.mac;
  size_t n = synack_icmp6_emit(&ns, &src, &dst, tx.l4, tx.l4_cap);
  if (!n) return;
  synack_tx_commit(st, &tx, &src, &dst, SYNACK_IPPROTO_ICMPV6, 0, 255, n);
  synack_count(st, SYNACK_CTR_ND_SOLICITS_OUT);
}

static void icmp6_input(synack_stack_t *st, synack_time_t now, const synack_ip_t *src, const synack_ip_t *dst,
                        uint8_t hop_limit, const uint8_t *l4, size_t len, unsigned flags) {
  synack_icmp_repr_t ic;
  synack_drop_reason_t r = synack_icmp6_parse(l4, len, src, dst, &ic);
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, l4, len);
    return;
  }
  switch (ic.type) {
    case SYNACK_ICMP6_ECHO_REQUEST:
      if (flags & SYNACK_RX_L3_MULTICAST) return; /* RFC 4443 §4.1 allows it; we stay quiet */
      send_echo_reply(st, src, dst, &ic);
      return;
    case SYNACK_ICMP6_ECHO_REPLY: echo_reply_in(st, src, &ic); return;
    case SYNACK_ICMP6_NS:
    case SYNACK_ICMP6_NA:
      /* RFC 4861 §7.1.1/§7.1.2: hop limit must be 255, code 0, target not multicast. */
      if (hop_limit != 255 || ic.code != 0 || ic.target.b[0] == 0xff) {
        synack_drop(st, SYNACK_DROP_ICMP6_BAD_ND, l4, len);
        return;
      }
      if (ic.type == SYNACK_ICMP6_NS) {
        if (!synack_is_local_addr(st, &ic.target)) {
          synack_drop(st, SYNACK_DROP_ICMP6_BAD_ND, l4, len);
          return;
        }
        /* §7.2.3: a solicitation with a source link-layer option teaches us the sender. */
        if (ic.has_lladdr && !synack_ip_is_unspecified(src)) synack_neigh_learn(st, src, &ic.lladdr, true, false);
        send_na(st, src, &ic.target, true);
      } else {
        /* §7.2.5: an advertisement updates an entry we have (we do not create one). */
        if (ic.has_lladdr) synack_neigh_advert(st, &ic.target, &ic.lladdr, ic.na_override);
      }
      return;
    case SYNACK_ICMP6_DEST_UNREACH:
    case SYNACK_ICMP6_PACKET_TOO_BIG:
    case SYNACK_ICMP6_TIME_EXCEEDED:
    case SYNACK_ICMP6_PARAM_PROBLEM: {
      if (ic.data_len < SYNACK_IP6_HDR_LEN + 8 || (ic.data[0] >> 4) != 6) {
        synack_drop(st, SYNACK_DROP_ICMP_BAD_QUOTE, l4, len);
        return;
      }
      /* The transport is the quoted fixed header's next header, or, behind extension
       * headers, what a walk of the (possibly truncated) quote finds. */
      uint8_t proto = ic.data[6];
      synack_ip6_repr_t q;
      if (proto == SYNACK_IP6_NH_FRAGMENT && ic.data_len >= SYNACK_IP6_HDR_LEN + 16 &&
          ic.data[SYNACK_IP6_HDR_LEN] == SYNACK_IPPROTO_UDP)
        /* one of our UDP fragments (ip_frag_out.c): the quote is cut short of the datagram's
         * length, so the walk below would refuse it; udp_sock.c reads the fragment header */
        proto = SYNACK_IPPROTO_UDP;
      else if (proto != SYNACK_IPPROTO_TCP && synack_ip6_parse(ic.data, ic.data_len, &q) == SYNACK_DROP_NONE)
        proto = q.proto;
      if (proto == SYNACK_IPPROTO_UDP) synack_udp_icmp_error(st, SYNACK_AF_INET6, ic.type, ic.code, ic.data, ic.data_len);
      if (proto != SYNACK_IPPROTO_TCP) return;
      synack_count(st, SYNACK_CTR_ICMP_ERRORS_IN);
      synack_tcp_icmp_error(st, now, SYNACK_AF_INET6, ic.type, ic.code, ic.mtu, ic.data, ic.data_len);
      return;
    }
    default: synack_drop(st, SYNACK_DROP_ICMP_UNKNOWN_TYPE, l4, len); return;
  }
}

static void udp_input(synack_stack_t *st, const synack_ip_t *src, const synack_ip_t *dst, const uint8_t *l4,
                      size_t len, unsigned flags, const uint8_t *ip_pkt, size_t ip_len) {
  synack_udp_repr_t u;
  synack_drop_reason_t r =
      synack_udp_parse(l4, len, src, dst, (flags & SYNACK_RX_CSUM_VALID) ? SYNACK_PARSE_NO_CSUM : 0, &u);
  if (r != SYNACK_DROP_NONE) {
    synack_drop(st, r, l4, len);
    return;
  }
  if (synack_udp_deliver(st, src, dst, &u, flags)) return;
  /* No socket: RFC 1122 3.2.2.1 / 4.1.3.1 — answer with port unreachable, except for
   * broadcast/multicast datagrams and reassembled ones we no longer have the original of. */
  synack_drop(st, SYNACK_DROP_UDP_NO_SOCKET, l4, len);
  if ((flags & SYNACK_RX_L3_MULTICAST) || !ip_pkt) return;
  synack_icmp_send_unreach(st, src->family, src->family == SYNACK_AF_INET ? SYNACK_ICMP4_PORT_UNREACH : SYNACK_ICMP6_PORT_UNREACH,
                           ip_pkt, ip_len);
}

void synack_l4_input(synack_stack_t *st, synack_time_t now, const synack_ip_t *src, const synack_ip_t *dst,
                     uint8_t proto, uint8_t tos, uint8_t ttl, const uint8_t *l4, size_t l4_len, unsigned flags,
                     const uint8_t *ip_pkt, size_t ip_len, const synack_mac_t *src_mac) {
  (void)src_mac;
  switch (proto) {
    case SYNACK_IPPROTO_TCP:
      /* the headers as received, for a listener with TCP_SAVE_SYN (tcp_listen.c) */
      st->rx_l3 = ip_pkt && l4 >= ip_pkt && l4 < ip_pkt + ip_len ? ip_pkt : NULL;
      st->rx_l4 = l4;
      synack_tcp_input(st, now, src, dst, tos, l4, l4_len, flags & SYNACK_RX_CSUM_VALID);
      st->rx_l3 = st->rx_l4 = NULL;
      return;
    case SYNACK_IPPROTO_UDP: udp_input(st, src, dst, l4, l4_len, flags, ip_pkt, ip_len); return;
    case SYNACK_IPPROTO_ICMP:
      if (src->family == SYNACK_AF_INET) {
        icmp4_input(st, now, src, dst, l4, l4_len, flags);
        return;
      }
      break;
    case SYNACK_IPPROTO_ICMPV6:
      if (src->family == SYNACK_AF_INET6) {
        icmp6_input(st, now, src, dst, ttl, l4, l4_len, flags);
        return;
      }
      break;
    default: break;
  }
  synack_drop(st, src->family == SYNACK_AF_INET ? SYNACK_DROP_IP4_UNKNOWN_PROTO : SYNACK_DROP_IP6_UNKNOWN_PROTO, l4,
              l4_len);
}
