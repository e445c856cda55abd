/* TCP header (RFC 9293 §3.1) and options: MSS (RFC 9293 §3.2), window scale and timestamps
 * (RFC 7323), SACK (RFC 2018), fast open cookie (RFC 7413). */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

synack_drop_reason_t synack_tcp_opts_parse(const uint8_t *buf, size_t len, synack_tcp_opts_t *out) {
  /* Fast path for the layout of nearly every data segment and ACK: NOP, NOP, TS (RFC 7323
   * Appendix A). Same result as the general loop below, without its per-byte dispatch and
   * without clearing the arrays, which are read no further than their counts. */
  if (len == 12 && buf[0] == SYNACK_TCPOPT_NOP && buf[1] == SYNACK_TCPOPT_NOP && buf[2] == SYNACK_TCPOPT_TS &&
      buf[3] == 10) {
    out->mss = 0;
    out->wscale = 0;
    out->sack_count = 0;
    out->fo_len = 0;
    out->present = SYNACK_TCPOPT_HAS_TS;
    out->ts_val = rd32(buf + 4);
    out->ts_ecr = rd32(buf + 8);
    out->layout[0] = SYNACK_TCPOPT_NOP;
    out->layout[1] = SYNACK_TCPOPT_NOP;
    out->layout[2] = SYNACK_TCPOPT_TS;
    out->layout_len = 3;
    return SYNACK_DROP_NONE;
  }
  memset(out, 0, sizeof *out);
  if (len > SYNACK_TCP_MAX_OPT_LEN) return SYNACK_DROP_TCP_BAD_DOFF;
  size_t i = 0;
  while (i < len) {
    uint8_t kind = buf[i];
    if (kind == SYNACK_TCPOPT_EOL) {
      /* RFC 9293 §3.2: End of Option List; what follows up to the data offset is padding.
       * Each padding byte is recorded so the layout re-emits to the same length. */
      while (i < len) {
        out->layout[out->layout_len++] = SYNACK_TCPOPT_EOL;
        i++;
      }
      break;
    }
    if (kind == SYNACK_TCPOPT_NOP) {
      out->layout[out->layout_len++] = SYNACK_TCPOPT_NOP;
      i++;
      continue;
    }
    /* RFC 9293 §3.1: every other option is kind, length (counting kind and length), data. */
    if (i + 1 >= len) return SYNACK_DROP_TCP_OPT_PAST_HDR;
    uint8_t olen = buf[i + 1];
    /* RFC 9293 §3.2 (MUST-7): an illegal length (0 or 1 cannot even cover kind and length). */
    if (olen == 0) return SYNACK_DROP_TCP_OPT_LEN_0;
    if (olen == 1) return SYNACK_DROP_TCP_OPT_LEN_1;
    if (olen > len - i) return SYNACK_DROP_TCP_OPT_PAST_HDR;
    const uint8_t *d = buf + i + 2;
    switch (kind) {
      case SYNACK_TCPOPT_MSS:
        if (olen != 4) goto bad_len;
        out->present |= SYNACK_TCPOPT_HAS_MSS;
        out->mss = rd16(d);
        break;
      case SYNACK_TCPOPT_WSCALE:
        /* RFC 7323 §2.2: the shift count is kept as received; §2.3 clamping is not ours. */
        if (olen != 3) goto bad_len;
        out->present |= SYNACK_TCPOPT_HAS_WSCALE;
        out->wscale = d[0];
        break;
      case SYNACK_TCPOPT_SACK_PERM:
        if (olen != 2) goto bad_len;
        out->present |= SYNACK_TCPOPT_HAS_SACK_PERM;
        break;
      case SYNACK_TCPOPT_SACK: {
        /* RFC 2018 §3: 2 + 8n bytes; 40 bytes of option space leave room for at most 4. */
        if (olen < 10 || (olen - 2) % 8 != 0 || olen > 34) goto bad_len;
        uint8_t n = (uint8_t)((olen - 2) / 8);
        out->present |= SYNACK_TCPOPT_HAS_SACK;
        out->sack_count = n;
        for (uint8_t k = 0; k < n; k++) {
          out->sack[k].left = rd32(d + 8 * k);
          out->sack[k].right = rd32(d + 8 * k + 4);
        }
        break;
      }
      case SYNACK_TCPOPT_TS:
        /* RFC 7323 §3.2: kind 8, length 10, TSval, TSecr. */
        if (olen != 10) goto bad_len;
        out->present |= SYNACK_TCPOPT_HAS_TS;
        out->ts_val = rd32(d);
        out->ts_ecr = rd32(d + 4);
        break;
      case SYNACK_TCPOPT_FASTOPEN:
        /* RFC 7413 §4.1.1: length 2 requests a cookie; a cookie is 4 to 16 bytes. */
        if (olen != 2 && (olen < 6 || olen > 18)) goto bad_len;
        out->present |= SYNACK_TCPOPT_HAS_FASTOPEN;
        out->fo_len = (uint8_t)(olen - 2);
        memcpy(out->fo_cookie, d, out->fo_len);
        break;
      case SYNACK_TCPOPT_MD5:
        /* RFC 2385 §3.0: kind 19, length 18, the 16-byte digest. With two, the first counts
         * (Linux's tcp_parse_md5sig_option stops at the first). */
        if (olen != 18) goto bad_len;
        if (!(out->present & SYNACK_TCPOPT_HAS_MD5)) out->md5_off = (uint8_t)(SYNACK_TCP_HDR_LEN + i + 2);
        out->present |= SYNACK_TCPOPT_HAS_MD5;
        break;
      case SYNACK_TCPOPT_AO:
        /* RFC 5925 §2.2: kind 29, length, KeyID, RNextKeyID, then the MAC (at least a byte).
         * With two, the first counts (a signed segment carries one). */
        if (olen < 5) goto bad_len;
        if (!(out->present & SYNACK_TCPOPT_HAS_AO)) {
          out->ao_off = (uint8_t)(SYNACK_TCP_HDR_LEN + i);
          out->ao_len = olen;
          out->ao_keyid = d[0];
          out->ao_rnext = d[1];
        }
        out->present |= SYNACK_TCPOPT_HAS_AO;
        break;
      case SYNACK_TCPOPT_EXP:
        /* RFC 6994: kind 254 carries a 16-bit ExID first; 0xF989 is fast open's (RFC 7413
         * §4.1.1 note), with the cookie after it. Other experiments are unknown options. */
        if (olen < 4 || rd16(d) != SYNACK_TCPOPT_FASTOPEN_MAGIC) {
          out->present |= SYNACK_TCPOPT_HAS_UNKNOWN;
          break;
        }
        if (olen != 4 && (olen < 8 || olen > 20)) goto bad_len;
        out->present |= SYNACK_TCPOPT_HAS_FASTOPEN | SYNACK_TCPOPT_HAS_FASTOPEN_EXP;
        out->fo_len = (uint8_t)(olen - 4);
        memcpy(out->fo_cookie, d + 2, out->fo_len);
        break;
      default:
        /* RFC 9293 §3.2 (MUST-6): an unknown option is skipped using its length. */
        out->present |= SYNACK_TCPOPT_HAS_UNKNOWN;
        break;
    }
    out->layout[out->layout_len++] = kind;
    i += olen;
    continue;
  bad_len:
    /* A known option with the wrong length (a middlebox mangled it, or an attacker): skipped
     * like an unknown option, using its length, and flagged so the stack counts it; the segment
     * is kept (as Linux does). Dropping it would stall a connection silently. A value of the
     * same kind parsed earlier stays. */
    out->present |= SYNACK_TCPOPT_HAS_BAD_LEN | SYNACK_TCPOPT_HAS_UNKNOWN;
    out->layout[out->layout_len++] = kind;
    i += olen;
  }
  return SYNACK_DROP_NONE;
}

/* Length of one layout entry given the options, 0 when it is skipped, -1 when invalid. */
static int opt_size(const synack_tcp_opts_t *o, uint8_t kind) {
  switch (kind) {
    case SYNACK_TCPOPT_EOL:
    case SYNACK_TCPOPT_NOP: return 1;
    case SYNACK_TCPOPT_MSS: return (o->present & SYNACK_TCPOPT_HAS_MSS) ? 4 : 0;
    case SYNACK_TCPOPT_WSCALE: return (o->present & SYNACK_TCPOPT_HAS_WSCALE) ? 3 : 0;
    case SYNACK_TCPOPT_SACK_PERM: return (o->present & SYNACK_TCPOPT_HAS_SACK_PERM) ? 2 : 0;
    case SYNACK_TCPOPT_SACK:
      if (!(o->present & SYNACK_TCPOPT_HAS_SACK)) return 0;
      if (o->sack_count < 1 || o->sack_count > 4) return -1;
      return 2 + 8 * o->sack_count;
    case SYNACK_TCPOPT_TS: return (o->present & SYNACK_TCPOPT_HAS_TS) ? 10 : 0;
    case SYNACK_TCPOPT_MD5: return (o->present & SYNACK_TCPOPT_HAS_MD5) ? 18 : 0;
    case SYNACK_TCPOPT_AO:
      if (!(o->present & SYNACK_TCPOPT_HAS_AO)) return 0;
      return o->ao_len >= 5 ? o->ao_len : -1;
    case SYNACK_TCPOPT_FASTOPEN:
      if (!(o->present & SYNACK_TCPOPT_HAS_FASTOPEN)) return 0;
      if (o->fo_len != 0 && (o->fo_len < 4 || o->fo_len > 16)) return -1;
      if (o->present & SYNACK_TCPOPT_HAS_FASTOPEN_EXP) return 0;
      return 2 + o->fo_len;
    case SYNACK_TCPOPT_EXP:
      if ((o->present & (SYNACK_TCPOPT_HAS_FASTOPEN | SYNACK_TCPOPT_HAS_FASTOPEN_EXP)) !=
          (SYNACK_TCPOPT_HAS_FASTOPEN | SYNACK_TCPOPT_HAS_FASTOPEN_EXP))
        return 0;
      if (o->fo_len != 0 && (o->fo_len < 4 || o->fo_len > 16)) return -1;
      return 4 + o->fo_len;
    default: return 0; /* unknown kinds carry no stored content */
  }
}

int synack_tcp_opts_len(const synack_tcp_opts_t *opts, const uint8_t *layout, size_t layout_len) {
  size_t n = 0;
  for (size_t i = 0; i < layout_len; i++) {
    int s = opt_size(opts, layout[i]);
    if (s < 0) return -1;
    n += (size_t)s;
    if (n > SYNACK_TCP_MAX_OPT_LEN) return -1;
  }
  n = (n + 3) & ~(size_t)3; /* RFC 9293 §3.1: the header ends on a 32-bit boundary */
  return n > SYNACK_TCP_MAX_OPT_LEN ? -1 : (int)n;
}

int synack_tcp_opts_emit(const synack_tcp_opts_t *opts, const uint8_t *layout, size_t layout_len,
                         uint8_t *buf, size_t cap) {
  int total = synack_tcp_opts_len(opts, layout, layout_len);
  if (total < 0 || (size_t)total > cap) return -1;
  size_t p = 0;
  for (size_t i = 0; i < layout_len; i++) {
    uint8_t kind = layout[i];
    int s = opt_size(opts, kind);
    if (s == 0) continue;
    uint8_t *o = buf + p;
    o[0] = kind;
    if (s > 1) o[1] = (uint8_t)s;
    switch (kind) {
      case SYNACK_TCPOPT_MSS: wr16(o + 2, opts->mss); break;
      case SYNACK_TCPOPT_WSCALE: o[2] = opts->wscale; break;
      case SYNACK_TCPOPT_SACK:
        for (uint8_t k = 0; k < opts->sack_count; k++) {
          wr32(o + 2 + 8 * k, opts->sack[k].left);
          wr32(o + 6 + 8 * k, opts->sack[k].right);
        }
        break;
      case SYNACK_TCPOPT_TS:
        wr32(o + 2, opts->ts_val);
        wr32(o + 6, opts->ts_ecr);
        break;
      case SYNACK_TCPOPT_FASTOPEN: memcpy(o + 2, opts->fo_cookie, opts->fo_len); break;
      case SYNACK_TCPOPT_MD5: memset(o + 2, 0, 16); break; /* the sender signs the segment after */
      case SYNACK_TCPOPT_AO:
        o[2] = opts->ao_keyid;
        o[3] = opts->ao_rnext;
        memset(o + 4, 0, (size_t)s - 4u); /* the MAC: the sender signs the segment after */
        break;
      case SYNACK_TCPOPT_EXP:
        wr16(o + 2, SYNACK_TCPOPT_FASTOPEN_MAGIC);
        memcpy(o + 4, opts->fo_cookie, opts->fo_len);
        break;
      default: break; /* EOL, NOP, SACK-permitted: kind (and length) only */
    }
    p += (size_t)s;
  }
  while (p < (size_t)total) buf[p++] = SYNACK_TCPOPT_EOL;
  return total;
}

synack_drop_reason_t synack_tcp_parse(const uint8_t *buf, size_t len, const synack_ip_t *src,
                                      const synack_ip_t *dst, unsigned flags, synack_tcp_repr_t *out) {
  if (len < SYNACK_TCP_HDR_LEN) return SYNACK_DROP_TCP_TRUNCATED;
  /* RFC 9293 §3.1: Data Offset counts 32-bit words, at least 5, and cannot pass the segment. */
  size_t doff = (size_t)(buf[12] >> 4) * 4;
  if (doff < SYNACK_TCP_HDR_LEN || doff > len) return SYNACK_DROP_TCP_BAD_DOFF;
  /* RFC 9293 §3.1: the checksum covers the pseudo-header, the header and the data. It is
   * checked before the options so that a corrupted segment is reported as corrupted. */
  if (src && dst && !(flags & SYNACK_PARSE_NO_CSUM)) {
    uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_TCP, (uint32_t)len);
    if (!synack_csum_ok(synack_csum_add(sum, buf, len))) return SYNACK_DROP_TCP_BAD_CHECKSUM;
  }
  synack_drop_reason_t why = synack_tcp_opts_parse(buf + SYNACK_TCP_HDR_LEN, doff - SYNACK_TCP_HDR_LEN, &out->opts);
  if (why != SYNACK_DROP_NONE) return why;
  out->src_port = rd16(buf);
  out->dst_port = rd16(buf + 2);
  out->seq = rd32(buf + 4);
  out->ack = rd32(buf + 8);
  out->flags = buf[13];
  out->window = rd16(buf + 14);
  out->checksum = rd16(buf + 16);
  out->urgent = rd16(buf + 18);
  out->header_len = (uint8_t)doff;
  out->payload = buf + doff;
  out->payload_len = len - doff;
  return SYNACK_DROP_NONE;
}

size_t synack_tcp_emit(const synack_tcp_repr_t *r, uint8_t *buf, size_t cap) {
  /* Fast path: no options, or NOP, NOP, TS (what every segment of an established connection
   * with timestamps carries), written directly; the bytes are those of the general path. */
  const synack_tcp_opts_t *o = &r->opts;
  bool none = o->layout_len == 0;
  bool ts_only = o->layout_len == 3 && o->layout[0] == SYNACK_TCPOPT_NOP && o->layout[1] == SYNACK_TCPOPT_NOP &&
                 o->layout[2] == SYNACK_TCPOPT_TS && (o->present & SYNACK_TCPOPT_HAS_TS);
  int olen;
  if (none) olen = 0;
  else if (ts_only) olen = 12;
  else olen = synack_tcp_opts_len(o, o->layout, o->layout_len);
  if (olen < 0 || cap < SYNACK_TCP_HDR_LEN + (size_t)olen) return 0;
  wr16(buf, r->src_port);
  wr16(buf + 2, r->dst_port);
  wr32(buf + 4, r->seq);
  wr32(buf + 8, r->ack);
  buf[12] = (uint8_t)(((SYNACK_TCP_HDR_LEN + olen) / 4) << 4);
  buf[13] = r->flags;
  wr16(buf + 14, r->window);
  wr16(buf + 16, 0);
  wr16(buf + 18, r->urgent);
  if (none) return SYNACK_TCP_HDR_LEN;
  if (ts_only) {
    uint8_t *t = buf + SYNACK_TCP_HDR_LEN;
    t[0] = SYNACK_TCPOPT_NOP;
    t[1] = SYNACK_TCPOPT_NOP;
    t[2] = SYNACK_TCPOPT_TS;
    t[3] = 10;
    wr32(t + 4, o->ts_val);
    wr32(t + 8, o->ts_ecr);
    return SYNACK_TCP_HDR_LEN + 12;
  }
  if (synack_tcp_opts_emit(&r->opts, r->opts.layout, r->opts.layout_len, buf + SYNACK_TCP_HDR_LEN,
                           cap - SYNACK_TCP_HDR_LEN) != olen)
    return 0;
  return SYNACK_TCP_HDR_LEN + (size_t)olen;
}

void synack_tcp_fill_checksum(uint8_t *seg, size_t seg_len, const synack_ip_t *src, const synack_ip_t *dst) {
  if (seg_len < SYNACK_TCP_HDR_LEN) return;
  wr16(seg + 16, 0);
  uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_TCP, (uint32_t)seg_len);
  wr16(seg + 16, synack_csum_finish(synack_csum_add(sum, seg, seg_len)));
}

char *synack_tcp_flags_str(uint8_t flags, char *buf, size_t cap) {
  /* tcpdump's order: FIN, SYN, RST, PSH, then "." for ACK, then URG, ECE, CWR. */
  static const struct { uint8_t bit; char c; } tab[] = {
    { SYNACK_TCP_FIN, 'F' }, { SYNACK_TCP_SYN, 'S' }, { SYNACK_TCP_RST, 'R' }, { SYNACK_TCP_PSH, 'P' },
    { SYNACK_TCP_ACK, '.' }, { SYNACK_TCP_URG, 'U' }, { SYNACK_TCP_ECE, 'E' }, { SYNACK_TCP_CWR, 'W' },
  };
  if (!buf || cap == 0) return buf;
  size_t n = 0;
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if ((flags & tab[i].bit) && n + 1 < cap) buf[n++] = tab[i].c;
  if (n == 0) {
    const char *none = "none";
    while (*none && n + 1 < cap) buf[n++] = *none++;
  }
  buf[n] = '\0';
  return buf;
}
