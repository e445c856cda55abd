/* Packets of `synack drill`: builds the peer's IP packets ('<' lines, ICMP errors included),
 * compares the stack's segments with '>' lines, and renders both in script syntax. Sequence
 * translation and the timestamp rules of docs/drill.md live here. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill_int.h"
#include "wire_bytes.h" /* rd16/rd32/wr16/wr32 shared with the core */


/* The actual value to send for an inbound TS ecr written as e (docs/drill.md). */
static uint32_t ecr_actual(const drill_run_t *r, uint32_t e) {
  for (int k = r->ntsmap - 1; k >= 0; k--)
    if (r->tsmap[k].script == e) return r->tsmap[k].actual;
  if (r->have_ts_first) return r->ts_first_actual + (e - r->ts_first_script);
  if (r->have_last_ts) return r->last_ts_actual;
  return e;
}

/* Encodes an inbound option list; returns the length (multiple of 4) or -1. */
static int build_opts(const drill_run_t *r, const drill_packet_t *pk, uint8_t *o, char *why, size_t whycap) {
  int n = 0;
  for (int k = 0; k < pk->nopts; k++) {
    const drill_opt_t *op = &pk->opts[k];
    int need = 0;
    switch (op->kind) {
    case DRILL_OPT_EOL:
    case DRILL_OPT_NOP: need = 1; break;
    case DRILL_OPT_MSS: need = 4; break;
    case DRILL_OPT_WSCALE: need = 3; break;
    case DRILL_OPT_SACKOK: need = 2; break;
    case DRILL_OPT_SACK: need = 2 + 8 * op->nblocks; break;
    case DRILL_OPT_TS: need = 10; break;
    case DRILL_OPT_FO: need = 2 + op->fo_len; break;
    case DRILL_OPT_FOEXP: need = 4 + op->fo_len; break;
    case DRILL_OPT_MD5: need = 18; break;
    }
    if (n + need > SYNACK_TCP_MAX_OPT_LEN) {
      snprintf(why, whycap, "options longer than 40 bytes");
      return -1;
    }
    uint8_t *p = o + n;
    switch (op->kind) {
    case DRILL_OPT_EOL: p[0] = SYNACK_TCPOPT_EOL; break;
    case DRILL_OPT_NOP: p[0] = SYNACK_TCPOPT_NOP; break;
    case DRILL_OPT_MSS:
      p[0] = SYNACK_TCPOPT_MSS;
      p[1] = 4;
      wr16(p + 2, op->v1);
      break;
    case DRILL_OPT_WSCALE:
      p[0] = SYNACK_TCPOPT_WSCALE;
      p[1] = 3;
      p[2] = (uint8_t)op->v1;
      break;
    case DRILL_OPT_SACKOK:
      p[0] = SYNACK_TCPOPT_SACK_PERM;
      p[1] = 2;
      break;
    case DRILL_OPT_SACK:
      /* SACK blocks name the stack's sequence space: translate by its ISN. */
      p[0] = SYNACK_TCPOPT_SACK;
      p[1] = (uint8_t)need;
      for (int b = 0; b < op->nblocks; b++) {
        uint32_t base = pk->seq_mode == DRILL_SEQ_RAW ? 0 : r->isn_base;
        wr32(p + 2 + 8 * b, op->blocks[b][0] + base);
        wr32(p + 6 + 8 * b, op->blocks[b][1] + base);
      }
      break;
    case DRILL_OPT_TS: {
      p[0] = SYNACK_TCPOPT_TS;
      p[1] = 10;
      wr32(p + 2, op->v1);
      uint32_t ecr = op->v2;
      if ((pk->flags & SYNACK_TCP_ACK) && ecr != 0 && pk->seq_mode != DRILL_SEQ_RAW) ecr = ecr_actual(r, ecr);
      wr32(p + 6, ecr);
      break;
    }
    case DRILL_OPT_FO:
      p[0] = SYNACK_TCPOPT_FASTOPEN;
      p[1] = (uint8_t)need;
      memcpy(p + 2, op->fo, op->fo_len);
      break;
    case DRILL_OPT_FOEXP:
      p[0] = SYNACK_TCPOPT_EXP;
      p[1] = (uint8_t)need;
      wr16(p + 2, SYNACK_TCPOPT_FASTOPEN_MAGIC);
      memcpy(p + 4, op->fo, op->fo_len);
      break;
    case DRILL_OPT_MD5:
      /* The digest is filled in once the segment is built (drill_pkt_build). */
      if (!r->md5_keylen) {
        snprintf(why, whycap, "md5 option without a TCP_MD5SIG key in the script");
        return -1;
      }
      p[0] = SYNACK_TCPOPT_MD5;
      p[1] = 18;
      memset(p + 2, 0, 16);
      break;
    }
    n += need;
  }
  while (n % 4) o[n++] = SYNACK_TCPOPT_EOL;
  return n;
}

/* IP header for a packet peer -> stack (or the quoted stack -> peer one when swap). */
size_t drill_pkt_ip(const drill_run_t *r, const drill_packet_t *pk, bool swap, uint8_t proto, size_t l4len,
                    uint8_t *buf, size_t cap) {
  uint8_t tos = 0, ttl = 64;
  if (pk && pk->has_tos) tos = pk->tos;
  if (pk && pk->has_ecn) tos = (uint8_t)((tos & ~3u) | pk->ecn);
  if (pk && pk->has_ttl) ttl = pk->ttl;
  if (r->family == SYNACK_AF_INET6) {
    synack_ip6_repr_t ip;
    memset(&ip, 0, sizeof ip);
    ip.src = swap ? r->lip : r->rip;
    ip.dst = swap ? r->rip : r->lip;
    ip.traffic_class = tos;
    ip.flow_label = pk && pk->has_flowlabel ? pk->flowlabel : 0;
    ip.hop_limit = ttl;
    ip.proto = proto;
    return synack_ip6_emit(&ip, l4len, buf, cap);
  }
  synack_ip4_repr_t ip;
  memset(&ip, 0, sizeof ip);
  ip.src = swap ? r->lip : r->rip;
  ip.dst = swap ? r->rip : r->lip;
  ip.tos = tos;
  ip.ttl = ttl;
  ip.proto = proto;
  ip.df = false;
  return synack_ip4_emit(&ip, l4len, buf, cap);
}

typedef struct {
  const char *name;
  int v4type, v4code, v6type, v6code; /* -1: not available in that family */
} icmp_name_t;

/* type names; a code word may refine them */
static const icmp_name_t icmp_types[] = {
  { "unreachable", 3, 1, 1, 3 },
  { "dest_unreachable", 3, 1, 1, 3 },
  { "frag_needed", 3, 4, 2, 0 },
  { "packet_too_big", 3, 4, 2, 0 },
  { "time_exceeded", 11, 0, 3, 0 },
  { "parameter_problem", 12, 0, 4, 0 },
  { "source_quench", 4, 0, -1, -1 },
};
static const icmp_name_t icmp_codes[] = {
  { "net_unreachable", 3, 0, 1, 0 },
  { "host_unreachable", 3, 1, 1, 3 },
  { "protocol_unreachable", 3, 2, 4, 1 },
  { "port_unreachable", 3, 3, 1, 4 },
  { "frag_needed", 3, 4, 2, 0 },
  { "source_route_failed", 3, 5, 1, 0 },
  { "net_unknown", 3, 6, 1, 0 },
  { "host_unknown", 3, 7, 1, 3 },
  { "source_host_isolated", 3, 8, 1, 1 },
  { "net_prohibited", 3, 9, 1, 1 },
  { "host_prohibited", 3, 10, 1, 1 },
  { "net_tos", 3, 11, 1, 0 },
  { "host_tos", 3, 12, 1, 3 },
  { "admin_prohibited", 3, 13, 1, 1 },
  { "no_route", 3, 0, 1, 0 },
  { "beyond_scope", -1, -1, 1, 2 },
  { "address_unreachable", 3, 1, 1, 3 },
  { "ttl_exceeded", 11, 0, 3, 0 },
  { "in_transit", 11, 0, 3, 0 },
  { "frag_reassembly", 11, 1, 3, 1 },
  { "reassembly", 11, 1, 3, 1 },
};

bool drill_pkt_icmp_numbers(const drill_run_t *r, const drill_packet_t *pk, int *type_out, int *code_out, char *why,
                            size_t whycap) {
  bool v6 = r->family == SYNACK_AF_INET6;
  int type = -1, code = -1;
  for (size_t k = 0; k < sizeof icmp_types / sizeof icmp_types[0]; k++)
    if (strcmp(pk->icmp_type, icmp_types[k].name) == 0) {
      type = v6 ? icmp_types[k].v6type : icmp_types[k].v4type;
      code = v6 ? icmp_types[k].v6code : icmp_types[k].v4code;
    }
  if (type < 0) {
    snprintf(why, whycap, "unknown ICMP type '%s' for %s", pk->icmp_type, v6 ? "IPv6" : "IPv4");
    return false;
  }
  if (pk->icmp_code[0]) {
    char *end;
    long c = strtol(pk->icmp_code, &end, 0);
    bool found = false;
    if (*end == '\0' && end != pk->icmp_code) {
      code = (int)c;
      found = true;
    }
    for (size_t k = 0; !found && k < sizeof icmp_codes / sizeof icmp_codes[0]; k++)
      if (strcmp(pk->icmp_code, icmp_codes[k].name) == 0) {
        int t = v6 ? icmp_codes[k].v6type : icmp_codes[k].v4type;
        int cc = v6 ? icmp_codes[k].v6code : icmp_codes[k].v4code;
        if (t < 0) break;
        type = t;
        code = cc;
        found = true;
      }
    if (!found) {
      snprintf(why, whycap, "unknown ICMP code '%s' for %s", pk->icmp_code, v6 ? "IPv6" : "IPv4");
      return false;
    }
  }
  *type_out = type;
  *code_out = code;
  return true;
}

static size_t build_icmp(drill_run_t *r, const drill_packet_t *pk, uint8_t *buf, size_t cap, char *why,
                         size_t whycap) {
  bool v6 = r->family == SYNACK_AF_INET6;
  int type, code;
  if (!drill_pkt_icmp_numbers(r, pk, &type, &code, why, whycap)) return 0;
  bool pmtu = v6 ? type == SYNACK_ICMP6_PACKET_TOO_BIG : (type == SYNACK_ICMP4_DEST_UNREACH && code == SYNACK_ICMP4_FRAG_NEEDED);
  if (pk->has_mtu && !pmtu) {
    snprintf(why, whycap, "'mtu' only goes with frag_needed / packet_too_big");
    return 0;
  }
  /* The quoted packet: an IP + TCP header of the flow, stack -> peer (or its UDP header). */
  uint8_t quote[SYNACK_IP6_HDR_LEN + SYNACK_TCP_HDR_LEN];
  uint8_t tcp[SYNACK_TCP_HDR_LEN];
  memset(tcp, 0, sizeof tcp);
  size_t l4q = sizeof tcp;
  if (pk->udp) {
    drill_udp_quote(r, pk, tcp);
    l4q = SYNACK_UDP_HDR_LEN;
  } else {
    wr16(tcp, r->lport);
    wr16(tcp + 2, r->rport);
    uint32_t seq = pk->has_quote ? pk->start + r->isn_base : r->last_out_seq;
    wr32(tcp + 4, seq);
    tcp[12] = 5 << 4;
    tcp[13] = SYNACK_TCP_ACK;
  }
  size_t qlen = pk->has_quote ? pk->len : 0;
  size_t iph = drill_pkt_ip(r, NULL, true, pk->udp ? SYNACK_IPPROTO_UDP : SYNACK_IPPROTO_TCP, l4q + qlen, quote,
                            sizeof quote);
  if (!iph) {
    snprintf(why, whycap, "cannot build the quoted packet");
    return 0;
  }
  memcpy(quote + iph, tcp, l4q);
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.type = (uint8_t)type;
  ic.code = (uint8_t)code;
  ic.mtu = pk->has_mtu ? pk->mtu : 0;
  ic.data = quote;
  ic.data_len = iph + l4q;
  size_t hdr = v6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  if (cap < hdr + 8 + ic.data_len) return 0;
  size_t n = v6 ? synack_icmp6_emit(&ic, &r->rip, &r->lip, buf + hdr, cap - hdr)
                : synack_icmp4_emit(&ic, buf + hdr, cap - hdr);
  if (!n) {
    snprintf(why, whycap, "cannot build the ICMP message");
    return 0;
  }
  size_t h = drill_pkt_ip(r, pk, false, v6 ? SYNACK_IPPROTO_ICMPV6 : SYNACK_IPPROTO_ICMP, n, buf, cap);
  return h ? h + n : 0;
}

size_t drill_pkt_build(drill_run_t *r, const drill_packet_t *pk, uint8_t *buf, size_t cap, char *why, size_t whycap) {
  if (pk->has_flowlabel && r->family != SYNACK_AF_INET6) {
    snprintf(why, whycap, "flowlabel on an IPv4 packet");
    return 0;
  }
  if (pk->icmp) return build_icmp(r, pk, buf, cap, why, whycap);
  if (pk->udp) return drill_udp_build(r, pk, buf, cap, why, whycap);
  uint8_t opts[SYNACK_TCP_MAX_OPT_LEN + 4];
  int olen = build_opts(r, pk, opts, why, whycap);
  if (olen < 0) return 0;
  size_t hdr = r->family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  size_t tlen = SYNACK_TCP_HDR_LEN + (size_t)olen + pk->len;
  if (hdr + tlen > cap) {
    snprintf(why, whycap, "packet too large");
    return 0;
  }
  if (r->family == SYNACK_AF_INET && hdr + tlen > 65535) {
    snprintf(why, whycap, "packet larger than 65535 bytes");
    return 0;
  }
  uint8_t *t = buf + hdr;
  memset(t, 0, tlen);
  uint32_t seq = pk->seq_mode == DRILL_SEQ_ANY ? r->peer_nxt : pk->start;
  uint32_t ack = 0;
  if (pk->has_ack) ack = pk->seq_mode == DRILL_SEQ_RAW ? pk->ack : pk->ack + r->isn_base;
  wr16(t, r->rport);
  wr16(t + 2, r->lport);
  wr32(t + 4, seq);
  wr32(t + 8, ack);
  t[12] = (uint8_t)(((SYNACK_TCP_HDR_LEN + (size_t)olen) / 4) << 4);
  t[13] = pk->flags;
  wr16(t + 14, pk->win);
  wr16(t + 18, pk->has_urg ? pk->urg : 0);
  memcpy(t + SYNACK_TCP_HDR_LEN, opts, (size_t)olen);
  /* payload: the peer's stream pattern at its offset (after the SYN) */
  uint32_t off0 = seq + ((pk->flags & SYNACK_TCP_SYN) ? 1u : 0u) - (r->have_peer_isn ? r->peer_isn + 1u : 0u);
  for (uint32_t k = 0; k < pk->len; k++) t[SYNACK_TCP_HDR_LEN + (size_t)olen + k] = drill_stream_byte(off0 + k);
  if ((pk->flags & SYNACK_TCP_URG) && r->have_peer_isn) {
    /* RFC 6093: the pointer names the byte after the urgent one (Linux reads 0 as the first) */
    uint32_t u = off0 + (pk->has_urg && pk->urg ? pk->urg - 1u : 0u);
    if (!r->urg_pending || (int32_t)(u - r->urg_off) > 0) {
      const drill_fd_t *f = drill_fd(r, r->last_conn_label);
      if (r->urg_pending && f && !f->oobinline && f->rd_off == r->urg_off) {
        r->urg_skip = true;
        r->urg_skip_off = r->urg_off;
      }
      r->urg_pending = true;
      r->urg_off = u;
    }
  }
  for (int k = 0, at = SYNACK_TCP_HDR_LEN; k < olen && r->md5_keylen; k++) {
    /* RFC 2385: sign with the script's key (the option's digest is zero until now) */
    if (t[at + k] == SYNACK_TCPOPT_NOP) continue;
    if (t[at + k] == SYNACK_TCPOPT_EOL || k + 1 >= olen) break;
    if (t[at + k] == SYNACK_TCPOPT_MD5) {
      synack_tcp_md5_digest(&r->rip, &r->lip, t, tlen, r->md5_key, r->md5_keylen, t + at + k + 2);
      break;
    }
    k += t[at + k + 1] - 1;
  }
  synack_tcp_fill_checksum(t, tlen, &r->rip, &r->lip);
  if (!drill_pkt_ip(r, pk, false, SYNACK_IPPROTO_TCP, tlen, buf, cap)) {
    snprintf(why, whycap, "cannot build the IP header");
    return 0;
  }
  r->peer_nxt = seq + pk->len + ((pk->flags & SYNACK_TCP_SYN) ? 1u : 0u) + ((pk->flags & SYNACK_TCP_FIN) ? 1u : 0u);
  return hdr + tlen;
}

/* ---------------------------------------------------------------- rendering */

static size_t cat(char *buf, size_t cap, size_t k, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static size_t cat(char *buf, size_t cap, size_t k, const char *fmt, ...) {
  if (k >= cap) return k;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + k, cap - k, fmt, ap);
  va_end(ap);
  if (n < 0) return k;
  return k + (size_t)n >= cap ? cap - 1 : k + (size_t)n;
}

/* The name of an ECN codepoint (the low two bits of a TOS byte), or of a '>' line's ect01. */
static const char *ecn_name(uint8_t e) {
  if (e == DRILL_ECN_ECT01) return "ect01";
  switch (e & 3) {
  case DRILL_ECN_ECT0: return "ect0";
  case DRILL_ECN_ECT1: return "ect1";
  case DRILL_ECN_CE: return "ce";
  default: return "noecn";
  }
}

void drill_pkt_render_expected(const drill_packet_t *pk, char *buf, size_t cap) {
  size_t k = cat(buf, cap, 0, "%c ", pk->dir);
  if (pk->has_ecn || pk->has_tos || pk->has_ttl || pk->has_flowlabel) {
    k = cat(buf, cap, k, "(");
    if (pk->has_ecn) k = cat(buf, cap, k, "%s", ecn_name(pk->ecn));
    if (pk->has_tos) k = cat(buf, cap, k, "%stos 0x%02x", pk->has_ecn ? "," : "", pk->tos);
    if (pk->has_ttl) k = cat(buf, cap, k, "%sttl %u", (pk->has_ecn || pk->has_tos) ? "," : "", pk->ttl);
    if (pk->has_flowlabel)
      k = cat(buf, cap, k, "%sflowlabel 0x%05x", (pk->has_ecn || pk->has_tos || pk->has_ttl) ? "," : "",
              pk->flowlabel);
    k = cat(buf, cap, k, ") ");
  }
  if (pk->icmp) {
    k = cat(buf, cap, k, "icmp %s%s%s", pk->icmp_type, pk->icmp_code[0] ? " " : "", pk->icmp_code);
    if (pk->has_mtu) k = cat(buf, cap, k, " mtu %u", pk->mtu);
    if (pk->has_quote && pk->udp) cat(buf, cap, k, " [udp (%u)]", pk->len);
    else if (pk->has_quote) cat(buf, cap, k, " [%u:%u(%u)]", pk->start, pk->end, pk->len);
    return;
  }
  if (pk->udp) {
    k = cat(buf, cap, k, "udp (%u)", pk->len);
    if (pk->has_sport) k = cat(buf, cap, k, " sport %u", pk->sport);
    if (pk->has_dport) cat(buf, cap, k, " dport %u", pk->dport);
    return;
  }
  char f[12];
  drill_flags_str(pk->flags, f, sizeof f);
  if (pk->seq_mode == DRILL_SEQ_ANY)
    k = cat(buf, cap, k, "%s ...(%u)", f, pk->len);
  else
    k = cat(buf, cap, k, "%s %u:%u(%u)%s", f, pk->start, pk->end, pk->len, pk->seq_mode == DRILL_SEQ_RAW ? "!" : "");
  if (pk->has_ack) k = cat(buf, cap, k, " ack %u", pk->ack);
  if (pk->has_win) k = cat(buf, cap, k, " win %u", pk->win);
  if (pk->has_urg) k = cat(buf, cap, k, " urg %u", pk->urg);
  if (pk->opt_mode == DRILL_OPTS_ANY) {
    cat(buf, cap, k, " <...>");
    return;
  }
  if (pk->opt_mode == DRILL_OPTS_NONE) return;
  k = cat(buf, cap, k, " <");
  for (int j = 0; j < pk->nopts; j++) {
    const drill_opt_t *o = &pk->opts[j];
    if (j) k = cat(buf, cap, k, ",");
    switch (o->kind) {
    case DRILL_OPT_EOL: k = cat(buf, cap, k, "eol"); break;
    case DRILL_OPT_NOP: k = cat(buf, cap, k, "nop"); break;
    case DRILL_OPT_MSS: k = cat(buf, cap, k, "mss %u", o->v1); break;
    case DRILL_OPT_WSCALE: k = cat(buf, cap, k, "wscale %u", o->v1); break;
    case DRILL_OPT_SACKOK: k = cat(buf, cap, k, "sackOK"); break;
    case DRILL_OPT_SACK:
      k = cat(buf, cap, k, "sack");
      for (int b = 0; b < o->nblocks; b++) k = cat(buf, cap, k, " %u:%u", o->blocks[b][0], o->blocks[b][1]);
      break;
    case DRILL_OPT_TS: k = cat(buf, cap, k, "TS val %u ecr %u", o->v1, o->v2); break;
    case DRILL_OPT_FO:
    case DRILL_OPT_FOEXP:
      k = cat(buf, cap, k, o->kind == DRILL_OPT_FO ? "FO" : "FOEXP");
      if (o->fo_len) k = cat(buf, cap, k, " ");
      for (int b = 0; b < o->fo_len; b++) k = cat(buf, cap, k, "%02x", o->fo[b]);
      break;
    case DRILL_OPT_MD5: k = cat(buf, cap, k, "md5"); break;
    }
  }
  cat(buf, cap, k, ">");
}

static uint8_t tos_of(const synack_dissect_t *d) {
  return d->ip_version == 6 ? d->ip6.traffic_class : d->ip4.tos;
}
static uint8_t ttl_of(const synack_dissect_t *d) {
  return d->ip_version == 6 ? d->ip6.hop_limit : d->ip4.ttl;
}

void drill_pkt_render_actual(const drill_run_t *r, const synack_dissect_t *d, uint8_t flags, size_t paylen, char *buf,
                             size_t cap) {
  const synack_tcp_repr_t *t = &d->tcp;
  char f[12];
  drill_flags_str(flags, f, sizeof f);
  uint32_t base = r->have_isn ? r->isn_base : 0;
  if (flags & SYNACK_TCP_SYN) base = t->seq; /* a SYN starts its own numbering: show it from 0 */
  uint32_t s = t->seq - base;
  size_t k = cat(buf, cap, 0, "> ");
  uint8_t tos = tos_of(d);
  if (tos) k = cat(buf, cap, k, "(%s,tos 0x%02x) ", ecn_name(tos & 3), tos);
  k = cat(buf, cap, k, "%s %u:%u(%zu)", f, s, s + (uint32_t)paylen, paylen);
  if ((flags & SYNACK_TCP_ACK) || t->ack) k = cat(buf, cap, k, " ack %u", t->ack);
  k = cat(buf, cap, k, " win %u", t->window);
  if (t->urgent) k = cat(buf, cap, k, " urg %u", t->urgent);
  const synack_tcp_opts_t *o = &t->opts;
  if (o->layout_len == 0) return;
  k = cat(buf, cap, k, " <");
  for (int j = 0; j < o->layout_len; j++) {
    if (j) k = cat(buf, cap, k, ",");
    switch (o->layout[j]) {
    case SYNACK_TCPOPT_EOL: k = cat(buf, cap, k, "eol"); break;
    case SYNACK_TCPOPT_NOP: k = cat(buf, cap, k, "nop"); break;
    case SYNACK_TCPOPT_MSS: k = cat(buf, cap, k, "mss %u", o->mss); break;
    case SYNACK_TCPOPT_WSCALE: k = cat(buf, cap, k, "wscale %u", o->wscale); break;
    case SYNACK_TCPOPT_SACK_PERM: k = cat(buf, cap, k, "sackOK"); break;
    case SYNACK_TCPOPT_SACK:
      k = cat(buf, cap, k, "sack");
      for (int b = 0; b < o->sack_count; b++) k = cat(buf, cap, k, " %u:%u", o->sack[b].left, o->sack[b].right);
      break;
    case SYNACK_TCPOPT_TS: k = cat(buf, cap, k, "TS val %u ecr %u", o->ts_val, o->ts_ecr); break;
    case SYNACK_TCPOPT_FASTOPEN:
    case SYNACK_TCPOPT_EXP:
      if (o->layout[j] == SYNACK_TCPOPT_EXP && !(o->present & SYNACK_TCPOPT_HAS_FASTOPEN_EXP)) {
        k = cat(buf, cap, k, "opt%u", o->layout[j]);
        break;
      }
      k = cat(buf, cap, k, o->layout[j] == SYNACK_TCPOPT_FASTOPEN ? "FO" : "FOEXP");
      if (o->fo_len) k = cat(buf, cap, k, " ");
      for (int b = 0; b < o->fo_len; b++) k = cat(buf, cap, k, "%02x", o->fo_cookie[b]);
      break;
    case SYNACK_TCPOPT_MD5: k = cat(buf, cap, k, "md5"); break;
    default: k = cat(buf, cap, k, "opt%u", o->layout[j]); break;
    }
  }
  cat(buf, cap, k, ">");
}

/* ---------------------------------------------------------------- comparison */

static uint8_t wire_kind(drill_optkind_t k) {
  switch (k) {
  case DRILL_OPT_EOL: return SYNACK_TCPOPT_EOL;
  case DRILL_OPT_NOP: return SYNACK_TCPOPT_NOP;
  case DRILL_OPT_MSS: return SYNACK_TCPOPT_MSS;
  case DRILL_OPT_WSCALE: return SYNACK_TCPOPT_WSCALE;
  case DRILL_OPT_SACKOK: return SYNACK_TCPOPT_SACK_PERM;
  case DRILL_OPT_SACK: return SYNACK_TCPOPT_SACK;
  case DRILL_OPT_TS: return SYNACK_TCPOPT_TS;
  case DRILL_OPT_FO: return SYNACK_TCPOPT_FASTOPEN;
  case DRILL_OPT_FOEXP: return SYNACK_TCPOPT_EXP;
  case DRILL_OPT_MD5: return SYNACK_TCPOPT_MD5;
  }
  return 0xff;
}

static uint32_t present_bit(drill_optkind_t k) {
  switch (k) {
  case DRILL_OPT_EOL:
  case DRILL_OPT_NOP: return 0;
  case DRILL_OPT_MSS: return SYNACK_TCPOPT_HAS_MSS;
  case DRILL_OPT_WSCALE: return SYNACK_TCPOPT_HAS_WSCALE;
  case DRILL_OPT_SACKOK: return SYNACK_TCPOPT_HAS_SACK_PERM;
  case DRILL_OPT_SACK: return SYNACK_TCPOPT_HAS_SACK;
  case DRILL_OPT_TS: return SYNACK_TCPOPT_HAS_TS;
  case DRILL_OPT_FO: return SYNACK_TCPOPT_HAS_FASTOPEN;
  case DRILL_OPT_FOEXP: return SYNACK_TCPOPT_HAS_FASTOPEN | SYNACK_TCPOPT_HAS_FASTOPEN_EXP;
  case DRILL_OPT_MD5: return SYNACK_TCPOPT_HAS_MD5;
  }
  return 0;
}

static int64_t labs64(int64_t x) { return x < 0 ? -x : x; }

/* Values of the options present in the expected list. */
static bool compare_opt_values(drill_run_t *r, const drill_packet_t *pk, const synack_tcp_opts_t *o, int64_t tol_us,
                               char *why, size_t whycap) {
  for (int j = 0; j < pk->nopts; j++) {
    const drill_opt_t *e = &pk->opts[j];
    switch (e->kind) {
    case DRILL_OPT_EOL:
    case DRILL_OPT_NOP:
    case DRILL_OPT_SACKOK:
    case DRILL_OPT_MD5: break; /* its digest: drill_pkt_compare, which has the whole segment */
    case DRILL_OPT_MSS:
      if (o->mss != e->v1) {
        snprintf(why, whycap, "option mss %u, expected %u", o->mss, e->v1);
        return false;
      }
      break;
    case DRILL_OPT_WSCALE:
      if (o->wscale != e->v1) {
        snprintf(why, whycap, "option wscale %u, expected %u", o->wscale, e->v1);
        return false;
      }
      break;
    case DRILL_OPT_SACK:
      if (o->sack_count != e->nblocks) {
        snprintf(why, whycap, "%u SACK blocks, expected %u", o->sack_count, e->nblocks);
        return false;
      }
      for (int b = 0; b < e->nblocks; b++)
        if (o->sack[b].left != e->blocks[b][0] || o->sack[b].right != e->blocks[b][1]) {
          snprintf(why, whycap, "SACK block %d is %u:%u, expected %u:%u", b + 1, o->sack[b].left, o->sack[b].right,
                   e->blocks[b][0], e->blocks[b][1]);
          return false;
        }
      break;
    case DRILL_OPT_TS:
      if (r->ts_tick_us && r->have_ts_first) {
        int64_t want = (int64_t)(int32_t)(e->v1 - r->ts_first_script) * r->ts_tick_us;
        int64_t got = (int64_t)(int32_t)(o->ts_val - r->ts_first_actual) * 1000;
        int64_t slack = tol_us > 1000 ? tol_us : 1000;
        if (labs64(want - got) > slack + r->ts_tick_us) {
          snprintf(why, whycap, "TS val advanced %lld us since the first, expected %lld us (tick %lld us)",
                   (long long)got, (long long)want, (long long)r->ts_tick_us);
          return false;
        }
      }
      break;
    case DRILL_OPT_FO:
    case DRILL_OPT_FOEXP:
      if (o->fo_len != e->fo_len || memcmp(o->fo_cookie, e->fo, e->fo_len) != 0) {
        snprintf(why, whycap, "fast-open cookie differs");
        return false;
      }
      break;
    }
  }
  return true;
}

static void learn_ts(drill_run_t *r, const drill_packet_t *pk, const synack_tcp_opts_t *o) {
  if (!(o->present & SYNACK_TCPOPT_HAS_TS)) return;
  for (int j = 0; j < pk->nopts; j++) {
    if (pk->opts[j].kind != DRILL_OPT_TS) continue;
    if (!r->have_ts_first) {
      r->have_ts_first = true;
      r->ts_first_script = pk->opts[j].v1;
      r->ts_first_actual = o->ts_val;
    }
    if (r->ntsmap == DRILL_MAX_TSMAP) {
      memmove(r->tsmap, r->tsmap + 1, (DRILL_MAX_TSMAP - 1) * sizeof r->tsmap[0]);
      r->ntsmap--;
    }
    r->tsmap[r->ntsmap].script = pk->opts[j].v1;
    r->tsmap[r->ntsmap].actual = o->ts_val;
    r->ntsmap++;
  }
}

bool drill_pkt_compare_ipinfo(const drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, char *why,
                              size_t whycap) {
  uint8_t tos = tos_of(d);
  if (pk->has_ecn && pk->ecn == DRILL_ECN_ECT01) {
    if ((tos & 3) != DRILL_ECN_ECT0 && (tos & 3) != DRILL_ECN_ECT1) {
      snprintf(why, whycap, "ECN field %s, expected ect0 or ect1", ecn_name(tos & 3));
      return false;
    }
  } else if (pk->has_ecn && (tos & 3) != pk->ecn) {
    snprintf(why, whycap, "ECN field %s, expected %s", ecn_name(tos & 3), ecn_name(pk->ecn));
    return false;
  }
  if (pk->has_tos && tos != pk->tos) {
    snprintf(why, whycap, "tos 0x%02x, expected 0x%02x", tos, pk->tos);
    return false;
  }
  if (pk->has_flowlabel && r->family != SYNACK_AF_INET6) {
    snprintf(why, whycap, "flowlabel on an IPv4 packet");
    return false;
  }
  if (pk->has_flowlabel && d->ip6.flow_label != pk->flowlabel) {
    snprintf(why, whycap, "flowlabel 0x%05x, expected 0x%05x", d->ip6.flow_label, pk->flowlabel);
    return false;
  }
  if (pk->has_ttl && ttl_of(d) != pk->ttl) {
    snprintf(why, whycap, "ttl %u, expected %u", ttl_of(d), pk->ttl);
    return false;
  }
  return true;
}

bool drill_pkt_compare(drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, uint8_t flags,
                       size_t paylen, int64_t tol_us, char *why, size_t whycap) {
  const synack_tcp_repr_t *t = &d->tcp;
  char fe[12], fa[12];
  if (flags != pk->flags) {
    drill_flags_str(flags, fa, sizeof fa);
    drill_flags_str(pk->flags, fe, sizeof fe);
    snprintf(why, whycap, "flags %s, expected %s", fa, fe);
    return false;
  }
  bool learn = false;
  uint32_t new_base = r->isn_base;
  if (pk->seq_mode == DRILL_SEQ_RAW) {
    if (t->seq != pk->start) {
      snprintf(why, whycap, "raw seq %u, expected %u", t->seq, pk->start);
      return false;
    }
  } else if (pk->seq_mode == DRILL_SEQ_NORMAL) {
    if (flags & SYNACK_TCP_SYN) {
      /* The stack's ISN is learned from its SYN / SYN-ACK. */
      learn = true;
      new_base = t->seq - pk->start;
    } else {
      uint32_t base = r->have_isn ? r->isn_base : 0;
      if (t->seq - base != pk->start) {
        snprintf(why, whycap, "seq %u, expected %u", t->seq - base, pk->start);
        return false;
      }
    }
  }
  if (paylen != pk->len) {
    snprintf(why, whycap, "payload length %zu, expected %u", paylen, pk->len);
    return false;
  }
  if (pk->has_ack) {
    if (t->ack != pk->ack) {
      snprintf(why, whycap, "ack %u, expected %u", t->ack, pk->ack);
      return false;
    }
  } else if (!(pk->flags & SYNACK_TCP_ACK) && t->ack != 0) {
    snprintf(why, whycap, "ack field %u with the ACK flag off, expected 0", t->ack);
    return false;
  }
  if (pk->has_win && !r->o->window_ignore && t->window != pk->win) {
    snprintf(why, whycap, "win %u, expected %u", t->window, pk->win);
    return false;
  }
  uint32_t urg = pk->has_urg ? pk->urg : 0;
  if (t->urgent != urg) {
    snprintf(why, whycap, "urg %u, expected %u", t->urgent, urg);
    return false;
  }
  if (!drill_pkt_compare_ipinfo(r, pk, d, why, whycap)) return false;
  const synack_tcp_opts_t *o = &t->opts;
  if (pk->opt_mode == DRILL_OPTS_NONE) {
    if (o->layout_len) {
      snprintf(why, whycap, "options present, expected none");
      return false;
    }
  } else if (pk->opt_mode == DRILL_OPTS_LIST) {
    if (r->o->options_normalized) {
      uint32_t want = 0;
      for (int j = 0; j < pk->nopts; j++) want |= present_bit(pk->opts[j].kind);
      uint32_t got = o->present & ~(uint32_t)SYNACK_TCPOPT_HAS_UNKNOWN;
      if (want != got) {
        snprintf(why, whycap, "option kinds differ (normalized comparison)");
        return false;
      }
    } else {
      int ne = pk->nopts, na = o->layout_len;
      while (ne > 0 && pk->opts[ne - 1].kind == DRILL_OPT_EOL) ne--;
      while (na > 0 && o->layout[na - 1] == SYNACK_TCPOPT_EOL) na--;
      for (int j = 0; j < ne || j < na; j++) {
        if (j >= ne || j >= na || wire_kind(pk->opts[j].kind) != o->layout[j]) {
          snprintf(why, whycap, "option layout differs at position %d", j + 1);
          return false;
        }
      }
    }
    if (!compare_opt_values(r, pk, o, tol_us, why, whycap)) return false;
    if (o->present & SYNACK_TCPOPT_HAS_MD5) {
      /* RFC 2385: an expected md5 option must carry the digest of the script's key. */
      uint8_t dg[16];
      const uint8_t *seg = t->payload - t->header_len;
      bool want = false;
      for (int j = 0; j < pk->nopts; j++) want |= pk->opts[j].kind == DRILL_OPT_MD5;
      if (want && (!r->md5_keylen || !synack_tcp_md5_digest(&d->src, &d->dst, seg, t->header_len + t->payload_len,
                                                            r->md5_key, r->md5_keylen, dg) ||
                   memcmp(dg, seg + o->md5_off, 16) != 0)) {
        snprintf(why, whycap, "MD5 signature does not match the script's key");
        return false;
      }
    }
  }
  /* matched: learn */
  if (learn) {
    r->have_isn = true;
    r->isn_base = new_base;
    r->isn_raw = t->seq;
    /* a new connection: its TS clock has its own origin */
    r->have_ts_first = false;
  }
  if (pk->opt_mode == DRILL_OPTS_LIST) learn_ts(r, pk, o);
  return true;
}

/* ---------------------------------------------------------------- ICMP errors the stack sends */

bool drill_pkt_is_icmp_error(const uint8_t *buf, size_t len, synack_dissect_t *d) {
  if (synack_dissect(buf, len, false, d) != SYNACK_DROP_NONE || !d->has_icmp) return false;
  /* RFC 4443 §2.1: types below 128 are errors; IPv4's errors are 3, 4, 5, 11 and 12 */
  if (d->ip_version == 6) return d->icmp.type < 128;
  uint8_t t = d->icmp.type;
  return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
}

void drill_pkt_render_icmp(const synack_dissect_t *d, char *buf, size_t cap) {
  snprintf(buf, cap, "> icmp type %u code %u (%zu bytes quoted)", d->icmp.type, d->icmp.code, d->icmp.data_len);
}

bool drill_pkt_compare_icmp(drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, char *why,
                            size_t whycap) {
  int type, code;
  if (!drill_pkt_icmp_numbers(r, pk, &type, &code, why, whycap)) return false;
  if (d->icmp.type != type || d->icmp.code != code) {
    snprintf(why, whycap, "ICMP type %u code %u, expected type %d code %d", d->icmp.type, d->icmp.code, type, code);
    return false;
  }
  if (pk->has_mtu && d->icmp.mtu != pk->mtu) {
    snprintf(why, whycap, "ICMP mtu %u, expected %u", d->icmp.mtu, pk->mtu);
    return false;
  }
  if (!drill_pkt_compare_ipinfo(r, pk, d, why, whycap)) return false;
  if (!pk->has_quote) return true;
  /* the quoted packet: the peer's, peer -> stack, with the transport the line names */
  const uint8_t *q = d->icmp.data;
  size_t ql = d->icmp.data_len, l3 = r->family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : (size_t)(q[0] & 15) * 4;
  uint8_t proto = ql ? (r->family == SYNACK_AF_INET6 ? q[6] : (ql > 9 ? q[9] : 0)) : 0;
  uint8_t want = pk->udp ? SYNACK_IPPROTO_UDP : SYNACK_IPPROTO_TCP;
  if (ql < l3 + 8 || proto != want) {
    snprintf(why, whycap, "the ICMP error does not quote a %s header", pk->udp ? "UDP" : "TCP");
    return false;
  }
  const uint8_t *t = q + l3;
  if (pk->udp && rd16(t + 4) != SYNACK_UDP_HDR_LEN + pk->len) {
    snprintf(why, whycap, "the quoted datagram has %u payload bytes, expected %u", rd16(t + 4) - SYNACK_UDP_HDR_LEN,
             pk->len);
    return false;
  }
  if (!pk->udp && rd32(t + 4) != pk->start) {
    snprintf(why, whycap, "the quoted segment's seq is %u, expected %u", rd32(t + 4), pk->start);
    return false;
  }
  return true;
}
