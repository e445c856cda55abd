/* ICMPv4 (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) with neighbour discovery NS/NA (RFC 4861). */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

#define ICMP_HDR_LEN 8
#define ND_FIXED_LEN 24 /* ICMP header (4) + flags/reserved (4) + target (16) */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_FLAG_ROUTER 0x80
#define NA_FLAG_SOLICITED 0x40
#define NA_FLAG_OVERRIDE 0x20

/* RFC 792 and RFC 4443 §2.4(c): the quoted invoking packet must at least hold the IP header
 * and (v4) the first 8 octets of its payload, or nothing can be matched to a connection. */
static bool quote4_ok(const uint8_t *q, size_t n) {
  if (n < SYNACK_IP4_HDR_LEN || q[0] >> 4 != 4) return false;
  size_t ihl = (size_t)(q[0] & 0x0f) * 4;
  return ihl >= SYNACK_IP4_HDR_LEN && n >= ihl + 8;
}

static bool quote6_ok(const uint8_t *q, size_t n) { return n >= SYNACK_IP6_HDR_LEN && q[0] >> 4 == 6; }

synack_drop_reason_t synack_icmp4_parse(const uint8_t *buf, size_t len, synack_icmp_repr_t *out) {
  /* RFC 792: every message starts with type, code, checksum and four more header bytes. */
  if (len < ICMP_HDR_LEN) return SYNACK_DROP_ICMP_TRUNCATED;
  /* RFC 792: the checksum covers the whole ICMP message. */
  if (!synack_csum_ok(synack_csum_add(0, buf, len))) return SYNACK_DROP_ICMP_BAD_CHECKSUM;
  memset(out, 0, sizeof *out);
  out->type = buf[0];
  out->code = buf[1];
  out->data = buf + ICMP_HDR_LEN;
  out->data_len = len - ICMP_HDR_LEN;
  switch (out->type) {
    case SYNACK_ICMP4_ECHO_REQUEST:
    case SYNACK_ICMP4_ECHO_REPLY:
      out->ident = rd16(buf + 4);
      out->seqno = rd16(buf + 6);
      break;
    case SYNACK_ICMP4_DEST_UNREACH:
      /* RFC 1191 §4: "fragmentation needed" carries the next-hop MTU in the low 16 bits. */
      if (out->code == SYNACK_ICMP4_FRAG_NEEDED) out->mtu = rd16(buf + 6);
      if (!quote4_ok(out->data, out->data_len)) return SYNACK_DROP_ICMP_BAD_QUOTE;
      break;
    case SYNACK_ICMP4_TIME_EXCEEDED:
      if (!quote4_ok(out->data, out->data_len)) return SYNACK_DROP_ICMP_BAD_QUOTE;
      break;
    case SYNACK_ICMP4_PARAM_PROBLEM:
      out->mtu = buf[4]; /* RFC 792: the pointer octet */
      if (!quote4_ok(out->data, out->data_len)) return SYNACK_DROP_ICMP_BAD_QUOTE;
      break;
    default:
      /* Other types: the four rest-of-header bytes stay in data. */
      out->data = buf + 4;
      out->data_len = len - 4;
      break;
  }
  return SYNACK_DROP_NONE;
}

size_t synack_icmp4_emit(const synack_icmp_repr_t *r, uint8_t *buf, size_t cap) {
  bool generic = r->type != SYNACK_ICMP4_ECHO_REQUEST && r->type != SYNACK_ICMP4_ECHO_REPLY &&
                 r->type != SYNACK_ICMP4_DEST_UNREACH && r->type != SYNACK_ICMP4_TIME_EXCEEDED &&
                 r->type != SYNACK_ICMP4_PARAM_PROBLEM;
  size_t hdr = generic ? 4 : ICMP_HDR_LEN;
  if (r->data_len > cap || hdr > cap - r->data_len) return 0;
  size_t total = hdr + r->data_len;
  /* Data first: it may already sit in buf (an echo answered in place). */
  if (r->data_len) memmove(buf + hdr, r->data, r->data_len);
  memset(buf, 0, hdr);
  buf[0] = r->type;
  buf[1] = r->code;
  if (r->type == SYNACK_ICMP4_ECHO_REQUEST || r->type == SYNACK_ICMP4_ECHO_REPLY) {
    wr16(buf + 4, r->ident);
    wr16(buf + 6, r->seqno);
  } else if (r->type == SYNACK_ICMP4_DEST_UNREACH && r->code == SYNACK_ICMP4_FRAG_NEEDED) {
    wr16(buf + 6, (uint16_t)r->mtu);
  } else if (r->type == SYNACK_ICMP4_PARAM_PROBLEM) {
    buf[4] = (uint8_t)r->mtu;
  }
  wr16(buf + 2, synack_csum_finish(synack_csum_add(0, buf, total)));
  return total;
}

/* RFC 4861 §7.1.1/§7.1.2 validity checks and the link-layer address option. */
static synack_drop_reason_t parse_nd(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                     const synack_ip_t *dst, synack_icmp_repr_t *out) {
  if (out->code != 0 || len < ND_FIXED_LEN) return SYNACK_DROP_ICMP6_BAD_ND;
  out->target.family = SYNACK_AF_INET6;
  memcpy(out->target.b, buf + 8, 16);
  /* The target is never a multicast address. */
  if (out->target.b[0] == 0xff) return SYNACK_DROP_ICMP6_BAD_ND;
  if (out->type == SYNACK_ICMP6_NA) {
    out->na_router = (buf[4] & NA_FLAG_ROUTER) != 0;
    out->na_solicited = (buf[4] & NA_FLAG_SOLICITED) != 0;
    out->na_override = (buf[4] & NA_FLAG_OVERRIDE) != 0;
    /* §7.1.2: a solicited advertisement is never sent to a multicast destination. */
    if (dst && dst->b[0] == 0xff && out->na_solicited) return SYNACK_DROP_ICMP6_BAD_ND;
  }
  uint8_t want = out->type == SYNACK_ICMP6_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
  const uint8_t *p = buf + ND_FIXED_LEN;
  size_t left = len - ND_FIXED_LEN;
  out->data = p;
  out->data_len = left;
  while (left > 0) {
    /* RFC 4861 §4.6: options are type, length in units of 8 octets (never 0), data. */
    if (left < 2 || p[1] == 0) return SYNACK_DROP_ICMP6_BAD_ND;
    size_t olen = (size_t)p[1] * 8;
    if (olen > left) return SYNACK_DROP_ICMP6_BAD_ND;
    /* RFC 4861 §4.6.1: on Ethernet the link-layer address option is exactly 8 octets. Other
     * options (nonce, ...) are skipped, as §4.6 requires for unknown ones. */
    if (p[0] == want && olen == 8) {
      out->has_lladdr = true;
      memcpy(out->lladdr.b, p + 2, 6);
    }
    p += olen;
    left -= olen;
  }
  /* §7.1.1: a solicitation from the unspecified address (duplicate address detection) must
   * not carry a source link-layer address. */
  if (out->type == SYNACK_ICMP6_NS && out->has_lladdr && src && synack_ip_is_unspecified(src))
    return SYNACK_DROP_ICMP6_BAD_ND;
  return SYNACK_DROP_NONE;
}

synack_drop_reason_t synack_icmp6_parse(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                        const synack_ip_t *dst, synack_icmp_repr_t *out) {
  if (len < ICMP_HDR_LEN) return SYNACK_DROP_ICMP_TRUNCATED;
  /* RFC 4443 §2.3: the checksum covers the message and the RFC 8200 §8.1 pseudo-header. */
  if (src && dst) {
    uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_ICMPV6, (uint32_t)len);
    if (!synack_csum_ok(synack_csum_add(sum, buf, len))) return SYNACK_DROP_ICMP_BAD_CHECKSUM;
  }
  memset(out, 0, sizeof *out);
  out->type = buf[0];
  out->code = buf[1];
  out->data = buf + ICMP_HDR_LEN;
  out->data_len = len - ICMP_HDR_LEN;
  switch (out->type) {
    case SYNACK_ICMP6_ECHO_REQUEST:
    case SYNACK_ICMP6_ECHO_REPLY:
      out->ident = rd16(buf + 4);
      out->seqno = rd16(buf + 6);
      break;
    case SYNACK_ICMP6_PACKET_TOO_BIG:
    case SYNACK_ICMP6_PARAM_PROBLEM:
      /* RFC 4443 §3.2: the MTU; §3.4: the pointer. Both are 32 bits. */
      out->mtu = rd32(buf + 4);
      if (!quote6_ok(out->data, out->data_len)) return SYNACK_DROP_ICMP_BAD_QUOTE;
      break;
    case SYNACK_ICMP6_DEST_UNREACH:
    case SYNACK_ICMP6_TIME_EXCEEDED:
      if (!quote6_ok(out->data, out->data_len)) return SYNACK_DROP_ICMP_BAD_QUOTE;
      break;
    case SYNACK_ICMP6_NS:
    case SYNACK_ICMP6_NA:
      return parse_nd(buf, len, src, dst, out);
    default:
      out->data = buf + 4;
      out->data_len = len - 4;
      break;
  }
  return SYNACK_DROP_NONE;
}

size_t synack_icmp6_emit(const synack_icmp_repr_t *r, const synack_ip_t *src, const synack_ip_t *dst,
                         uint8_t *buf, size_t cap) {
  size_t total;
  switch (r->type) {
    case SYNACK_ICMP6_NS:
    case SYNACK_ICMP6_NA: {
      /* Options are rebuilt from the repr: only the link-layer address option is written. */
      total = ND_FIXED_LEN + (r->has_lladdr ? 8 : 0);
      if (cap < total) return 0;
      memset(buf, 0, total);
      if (r->type == SYNACK_ICMP6_NA)
        buf[4] = (uint8_t)((r->na_router ? NA_FLAG_ROUTER : 0) | (r->na_solicited ? NA_FLAG_SOLICITED : 0) |
                           (r->na_override ? NA_FLAG_OVERRIDE : 0));
      memcpy(buf + 8, r->target.b, 16);
      if (r->has_lladdr) {
        buf[24] = r->type == SYNACK_ICMP6_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
        buf[25] = 1;
        memcpy(buf + 26, r->lladdr.b, 6);
      }
      break;
    }
    case SYNACK_ICMP6_ECHO_REQUEST:
    case SYNACK_ICMP6_ECHO_REPLY:
    case SYNACK_ICMP6_PACKET_TOO_BIG:
    case SYNACK_ICMP6_PARAM_PROBLEM:
    case SYNACK_ICMP6_DEST_UNREACH:
    case SYNACK_ICMP6_TIME_EXCEEDED:
      if (r->data_len > cap || ICMP_HDR_LEN > cap - r->data_len) return 0;
      total = ICMP_HDR_LEN + r->data_len;
      if (r->data_len) memmove(buf + ICMP_HDR_LEN, r->data, r->data_len);
      memset(buf, 0, ICMP_HDR_LEN);
      if (r->type == SYNACK_ICMP6_ECHO_REQUEST || r->type == SYNACK_ICMP6_ECHO_REPLY) {
        wr16(buf + 4, r->ident);
        wr16(buf + 6, r->seqno);
      } else if (r->type == SYNACK_ICMP6_PACKET_TOO_BIG || r->type == SYNACK_ICMP6_PARAM_PROBLEM) {
        wr32(buf + 4, r->mtu);
      }
      break;
    default:
      if (r->data_len > cap || 4 > cap - r->data_len) return 0;
      total = 4 + r->data_len;
      if (r->data_len) memmove(buf + 4, r->data, r->data_len);
      break;
  }
  buf[0] = r->type;
  buf[1] = r->code;
  buf[2] = buf[3] = 0;
  uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_ICMPV6, (uint32_t)total);
  wr16(buf + 2, synack_csum_finish(synack_csum_add(sum, buf, total)));
  return total;
}
