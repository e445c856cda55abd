/* UDP in `synack drill` (docs/drill.md "UDP"): datagram sockets (`socket(..., SOCK_DGRAM,
 * IPPROTO_UDP)`) and their calls, packetdrill's `udp (LEN)` packet lines built ('<') and
 * compared ('>'), and the UDP header an ICMP error quotes (`[udp (LEN)]`).
 *
 * The flow is the script's one flow (drill_int.h): a datagram from the peer comes from
 * rip:rport to lip:lport, and the stack's datagrams are expected from lip:lport to rip:rport,
 * unless a line names other ports (`sport N`, `dport N`: synack's extension). bind() sets lport
 * to the bind port, connect() rport to the connect port, and every call that may pick an
 * ephemeral port (connect, a send on an unbound socket) learns lport with getsockname().
 * Payloads: byte k of every datagram, both ways, is drill_stream_byte(k) (offset in the
 * datagram): a receive checks what it got, a '>' line what the stack sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"
#include "wire_bytes.h"

/* Linux's flag values (drill_call.c has the others). */
#define U_MSG_PEEK 0x2
#define U_MSG_TRUNC 0x20
#define U_MSG_DONTWAIT 0x40
#define U_MSG_NOSIGNAL 0x4000

#define U_BUF_MAX 65536u

/* ---------------------------------------------------------------- packets */

static uint16_t peer_port_of(const drill_run_t *r, const drill_packet_t *pk, bool inbound) {
  if (inbound) return pk->has_sport ? pk->sport : r->rport;
  return pk->has_dport ? pk->dport : r->rport;
}

static uint16_t our_port_of(const drill_run_t *r, const drill_packet_t *pk, bool inbound) {
  if (inbound) return pk->has_dport ? pk->dport : r->lport;
  return pk->has_sport ? pk->sport : r->lport;
}

size_t drill_udp_build(drill_run_t *r, const drill_packet_t *pk, uint8_t *buf, size_t cap, char *why,
                       size_t whycap) {
  size_t hdr = r->family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  size_t ulen = SYNACK_UDP_HDR_LEN + pk->len;
  if (hdr + ulen > cap || (r->family == SYNACK_AF_INET && hdr + ulen > 65535)) {
    snprintf(why, whycap, "a UDP datagram of %u bytes does not fit an IP packet", pk->len);
    return 0;
  }
  uint8_t *pay = buf + hdr + SYNACK_UDP_HDR_LEN;
  for (uint32_t k = 0; k < pk->len; k++) pay[k] = drill_stream_byte(k);
  synack_udp_repr_t u = { .src_port = peer_port_of(r, pk, true), .dst_port = our_port_of(r, pk, true),
                          .payload = pay, .payload_len = pk->len };
  if (synack_udp_emit(&u, &r->rip, &r->lip, buf + hdr, cap - hdr) != ulen ||
      !drill_pkt_ip(r, pk, false, SYNACK_IPPROTO_UDP, ulen, buf, cap)) {
    snprintf(why, whycap, "cannot build the UDP datagram");
    return 0;
  }
  return hdr + ulen;
}

void drill_udp_quote(const drill_run_t *r, const drill_packet_t *pk, uint8_t out[SYNACK_UDP_HDR_LEN]) {
  /* the stack's datagram to the peer, as its ICMP error quotes it (the checksum is not read) */
  wr16(out, our_port_of(r, pk, false));
  wr16(out + 2, peer_port_of(r, pk, false));
  wr16(out + 4, (uint16_t)(SYNACK_UDP_HDR_LEN + pk->len));
  wr16(out + 6, 0);
}

bool drill_udp_dissect(const uint8_t *buf, size_t len, synack_dissect_t *d) {
  return synack_dissect(buf, len, false, d) == SYNACK_DROP_NONE && d->has_udp && !d->is_fragment;
}

void drill_udp_render_actual(const synack_dissect_t *d, char *buf, size_t cap) {
  uint8_t tos = d->ip_version == 6 ? d->ip6.traffic_class : d->ip4.tos;
  char ip[24] = "";
  if (tos) snprintf(ip, sizeof ip, "(tos 0x%02x) ", tos);
  snprintf(buf, cap, "> %sudp (%zu) sport %u dport %u", ip, d->udp.payload_len, d->udp.src_port, d->udp.dst_port);
}

bool drill_udp_compare(drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, char *why,
                       size_t whycap) {
  const synack_udp_repr_t *u = &d->udp;
  if (!synack_ip_equal(&d->src, &r->lip) || !synack_ip_equal(&d->dst, &r->rip)) {
    char a[64], b[64];
    synack_ip_format(&d->src, a, sizeof a);
    synack_ip_format(&d->dst, b, sizeof b);
    snprintf(why, whycap, "from %s to %s, expected from the stack's address to the peer's", a, b);
    return false;
  }
  uint16_t sp = our_port_of(r, pk, false), dp = peer_port_of(r, pk, false);
  if (u->src_port != sp || u->dst_port != dp) {
    snprintf(why, whycap, "ports %u > %u, expected %u > %u", u->src_port, u->dst_port, sp, dp);
    return false;
  }
  if (u->payload_len != pk->len) {
    snprintf(why, whycap, "UDP payload length %zu, expected %u", u->payload_len, pk->len);
    return false;
  }
  if (!drill_pkt_compare_ipinfo(r, pk, d, why, whycap)) return false;
  for (size_t k = 0; k < u->payload_len; k++)
    if (u->payload[k] != drill_stream_byte((uint32_t)k)) {
      snprintf(why, whycap, "payload byte %zu is 0x%02x, the application wrote 0x%02x", k, u->payload[k],
               drill_stream_byte((uint32_t)k));
      return false;
    }
  return true;
}

/* ---------------------------------------------------------------- calls */

/* lport: the socket's port once it has one (bind, connect, the first send). */
static void learn_port(drill_run_t *r, const drill_fd_t *f) {
  synack_endpoint_t ep;
  if (r->tg->getsockname(r, f->sock, &ep) == 0 && ep.port) r->lport = ep.port;
}

static bool udp_send(drill_run_t *r, const char *n, drill_fd_t *f, int64_t len, int64_t flags, bool named,
                     bool may_block, int64_t *ret) {
  if (len < 0 || len > (int64_t)U_BUF_MAX) {
    drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
    return true;
  }
  if (flags & ~(int64_t)(U_MSG_DONTWAIT | U_MSG_NOSIGNAL)) {
    drill_unsupported(r, "%s on a UDP socket: flags 0x%llx not supported", n, (unsigned long long)flags);
    return true;
  }
  uint8_t *buf = malloc((size_t)len + 1);
  if (!buf) return true;
  for (int64_t k = 0; k < len; k++) buf[k] = drill_stream_byte((uint32_t)k);
  synack_endpoint_t to = { .ip = drill_sock_ip(r, r->rip), .port = r->rport };
  int64_t put = r->tg->udp_sendto(r, f->sock, buf, (size_t)len, named ? &to : NULL);
  free(buf);
  if (put == -SYNACK_EAGAIN && may_block && !(flags & U_MSG_DONTWAIT)) return false;
  if (put >= 0) learn_port(r, f);
  *ret = put;
  return true;
}

static bool udp_recv(drill_run_t *r, const char *n, drill_fd_t *f, int64_t len, int64_t flags, bool may_block,
                     int64_t *ret, int *msg_flags) {
  if (len < 0 || len > (int64_t)U_BUF_MAX) {
    drill_unsupported(r, "%s: length %lld out of range", n, (long long)len);
    return true;
  }
  if (flags & ~(int64_t)(U_MSG_PEEK | U_MSG_DONTWAIT | U_MSG_TRUNC)) {
    drill_unsupported(r, "%s on a UDP socket: flags 0x%llx not supported", n, (unsigned long long)flags);
    return true;
  }
  uint8_t *buf = malloc((size_t)len + 1);
  if (!buf) return true;
  int sf = ((flags & U_MSG_PEEK) ? SYNACK_MSG_PEEK : 0) | ((flags & U_MSG_TRUNC) ? SYNACK_MSG_TRUNC : 0);
  bool trunc = false;
  int64_t got = r->tg->udp_recvfrom(r, f->sock, buf, (size_t)len, sf, &trunc);
  int64_t copied = got < 0 ? 0 : (got < len ? got : len);
  for (int64_t k = 0; k < copied; k++)
    if (buf[k] != drill_stream_byte((uint32_t)k)) {
      drill_fail(r, "%s() datagram byte %lld is 0x%02x, the peer sent 0x%02x", n, (long long)k, buf[k],
                 drill_stream_byte((uint32_t)k));
      break;
    }
  free(buf);
  if (got == -SYNACK_EAGAIN && may_block && !(flags & U_MSG_DONTWAIT)) return false;
  *ret = got;
  if (msg_flags) *msg_flags = trunc ? U_MSG_TRUNC : 0;
  return true;
}

bool drill_udp_socket_call(drill_run_t *r, const drill_event_t *ev, drill_fd_t *f, drill_pending_t *pend,
                           bool may_block, int64_t *ret, bool *finished) {
  (void)pend;
  const drill_call_t *c = &ev->call;
  const char *n = c->name;
  *finished = true;
  if (strcmp(n, "bind") == 0) {
    synack_endpoint_t ep = { .ip = drill_sock_ip(r, r->lip), .port = r->bind_port };
    *ret = r->tg->bind(r, f->sock, &ep);
    if (*ret == 0) r->lport = r->bind_port;
  } else if (strcmp(n, "connect") == 0) {
    synack_endpoint_t ep = { .ip = drill_sock_ip(r, r->rip), .port = r->connect_port };
    *ret = r->tg->connect(r, f->sock, &ep);
    if (*ret == 0) {
      r->rport = r->connect_port;
      learn_port(r, f);
    }
  } else if (strcmp(n, "write") == 0 || strcmp(n, "send") == 0 || strcmp(n, "sendto") == 0) {
    bool is_write = n[0] == 'w', is_sendto = strcmp(n, "sendto") == 0;
    int64_t len, flags = 0;
    if (c->nargs != (is_write ? 3 : is_sendto ? 6 : 4)) {
      drill_fail(r, "%s() on a UDP socket takes %d arguments, got %d", n, is_write ? 3 : is_sendto ? 6 : 4, c->nargs);
      return true;
    }
    if (!drill_arg_int(r, &c->args[2], &len)) return true;
    if (!is_write && !drill_arg_int(r, &c->args[3], &flags)) return true;
    /* sendto(fd, ..., N, F, ..., ...) goes to the peer of the flow; NULL as the address is send() */
    bool named = is_sendto && c->args[4].kind != DRILL_ARG_NULL;
    *finished = udp_send(r, n, f, len, flags, named, may_block, ret);
  } else if (strcmp(n, "read") == 0 || strcmp(n, "recv") == 0 || strcmp(n, "recvfrom") == 0) {
    bool is_read = n[0] == 'r' && n[2] == 'a';
    int64_t len, flags = 0;
    if (c->nargs < (is_read ? 3 : 4) || c->nargs > (is_read ? 3 : 6)) {
      drill_fail(r, "%s() takes %d..%d arguments, got %d", n, is_read ? 3 : 4, is_read ? 3 : 6, c->nargs);
      return true;
    }
    if (!drill_arg_int(r, &c->args[2], &len)) return true;
    if (!is_read && !drill_arg_int(r, &c->args[3], &flags)) return true;
    *finished = udp_recv(r, n, f, len, flags, may_block, ret, NULL);
  } else if (strcmp(n, "sendmsg") == 0 || strcmp(n, "recvmsg") == 0) {
    if (c->nargs != 3) {
      drill_fail(r, "%s() takes 3 arguments, got %d", n, c->nargs);
      return true;
    }
    int64_t len, flags, want_flags = 0;
    bool named, has_flags, nullbuf;
    if (!drill_msghdr_arg(r, n, &c->args[1], &len, &want_flags, &has_flags, &named, NULL, &nullbuf)) return true;
    if (nullbuf) {
      drill_unsupported(r, "%s: a NULL buffer on a UDP socket is not emulated", n);
      return true;
    }
    if (!drill_arg_int(r, &c->args[2], &flags)) return true;
    if (n[0] == 's') {
      *finished = udp_send(r, n, f, len, flags, named, may_block, ret);
      return true;
    }
    int got_flags = 0;
    *finished = udp_recv(r, n, f, len, flags, may_block, ret, &got_flags);
    /* a datagram longer than the buffer comes back with MSG_TRUNC in msg_flags */
    if (*finished && *ret >= 0 && has_flags && want_flags != got_flags && !r->done)
      drill_fail(r, "recvmsg: msg_flags = 0x%x, expected 0x%llx", got_flags, (unsigned long long)want_flags);
  } else if (strcmp(n, "listen") == 0 || strcmp(n, "accept") == 0 || strcmp(n, "accept4") == 0) {
    /* a datagram socket neither listens nor accepts: EOPNOTSUPP from either target */
    *ret = n[0] == 'l' ? r->tg->listen(r, f->sock, 1) : r->tg->accept(r, f->sock);
  } else if (strcmp(n, "shutdown") == 0) {
    drill_unsupported(r, "%s() on a UDP socket not supported", n);
  } else {
    *finished = false;
    return false; /* close, fcntl, setsockopt, getsockopt, ioctl: as for any socket */
  }
  return true;
}
