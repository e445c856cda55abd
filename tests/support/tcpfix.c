/* tcpfix: see tcpfix.h. Public API of synack only. */
#include "tcpfix.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire_bytes.h"

/* ------------------------------------------------------------------ lifetime */

void fx_config(synack_config_t *cfg, int family) {
  synack_config_default(cfg);
  cfg->link = SYNACK_LINK_IP;
  cfg->ip4 = synack_ip4(198, 18, 0, 1);
  cfg->ip4_prefix = 24;
  if (family == SYNACK_AF_INET6) {
    synack_ip_parse("fd00::1", &cfg->ip6);
    cfg->ip6_prefix = 64;
  }
  cfg->ip6_link_local = false;
  cfg->tcp_quickack_start = false;
  synack_config_deterministic(cfg, 0x5eed0001u);
  cfg->name = "dut";
}

fx_t *fx_new_cfg(int family, const synack_config_t *cfg) {
  fx_t *fx = calloc(1, sizeof *fx);
  if (!fx) return NULL;
  fx->cfg = *cfg;
  fx->family = family;
  fx->now = 0;
  fx->st = synack_stack_new(&fx->cfg, 0);
  if (!fx->st) {
    fprintf(stderr, "tcpfix: synack_stack_new failed\n");
    free(fx);
    return NULL;
  }
  if (family == SYNACK_AF_INET6) {
    synack_ip_parse("fd00::1", &fx->local_ip);
    synack_ip_parse("fd00::2", &fx->peer_ip);
  } else {
    fx->local_ip = synack_ip4(198, 18, 0, 1);
    fx->peer_ip = synack_ip4(198, 18, 0, 2);
  }
  fx->lport = FX_LOCAL_PORT;
  fx->rport = FX_PEER_PORT;
  fx->peer_isn = 1000000u;
  fx->learn_isn = true;
  fx->peer_win = 65535;
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS;
  fx->peer_syn.mss = family == SYNACK_AF_INET6 ? 1440 : 1460;
  fx->peer_ts_base = 500000u;
  fx->listener = -1;
  return fx;
}

fx_t *fx_new(int family, void (*hook)(synack_config_t *cfg)) {
  synack_config_t cfg;
  fx_config(&cfg, family);
  if (hook) hook(&cfg);
  return fx_new_cfg(family, &cfg);
}

void fx_flush_output(fx_t *fx) {
  for (size_t i = fx->qhead; i < fx->qlen; i++) free(fx->q[i].buf);
  fx->qhead = fx->qlen = 0;
}

void fx_free(fx_t *fx) {
  if (!fx) return;
  fx_flush_output(fx);
  free(fx->q);
  if (fx->st) synack_stack_free(fx->st);
  free(fx);
}

/* ------------------------------------------------------------------ output */

static void learn_from(fx_t *fx, const uint8_t *buf, size_t len) {
  synack_dissect_t d;
  if (synack_dissect(buf, len, false, &d) != SYNACK_DROP_NONE || !d.has_tcp) return;
  if ((d.tcp.flags & SYNACK_TCP_SYN) && fx->learn_isn && d.tcp.dst_port == fx->rport &&
      (d.tcp.src_port == fx->lport || fx->lport == 0))
    fx->isn = d.tcp.seq;
  if (d.tcp.opts.present & SYNACK_TCPOPT_HAS_TS) fx->last_tsval = d.tcp.opts.ts_val;
  if (!(d.tcp.flags & SYNACK_TCP_RST)) fx->last_win = d.tcp.window;
}

void fx_drain(fx_t *fx) {
  synack_frame_t f;
  while (synack_stack_poll_tx(fx->st, fx->now, &f)) {
    if (fx->only_peer) {
      synack_dissect_t d;
      if (synack_dissect(f.data, f.len, false, &d) != SYNACK_DROP_NONE || !synack_ip_equal(&d.dst, &fx->peer_ip)) continue;
    }
    if (fx->qlen == fx->qcap) {
      if (fx->qhead > 0) {
        memmove(fx->q, fx->q + fx->qhead, (fx->qlen - fx->qhead) * sizeof *fx->q);
        fx->qlen -= fx->qhead;
        fx->qhead = 0;
      }
      if (fx->qlen == fx->qcap) {
        fx->qcap = fx->qcap ? fx->qcap * 2 : 64;
        fx->q = realloc(fx->q, fx->qcap * sizeof *fx->q);
        if (!fx->q) abort();
      }
    }
    fx_frame_t *slot = &fx->q[fx->qlen++];
    slot->t = fx->now;
    slot->len = f.len;
    slot->buf = malloc(f.len ? f.len : 1);
    if (!slot->buf) abort();
    memcpy(slot->buf, f.data, f.len);
    fx->frames_seen++;
    learn_from(fx, slot->buf, slot->len);
  }
}

void fx_advance(fx_t *fx, synack_time_t t) {
  fx_drain(fx);
  if (t < fx->now) return;
  unsigned spins = 0;
  for (;;) {
    synack_time_t d = synack_stack_next_deadline(fx->st);
    if (d == SYNACK_TIME_NEVER || d > t) break;
    if (d > fx->now) {
      fx->now = d;
      spins = 0;
    } else if (++spins > 1000) {
      break; /* the deadline does not move: let the clock jump to t */
    }
    synack_stack_handle_timers(fx->st, fx->now);
    fx_drain(fx);
  }
  fx->now = t;
  synack_stack_handle_timers(fx->st, fx->now);
  fx_drain(fx);
}

size_t fx_pending(fx_t *fx) {
  fx_drain(fx);
  return fx->qlen - fx->qhead;
}

bool fx_pop(fx_t *fx, fx_frame_t *out) {
  fx_drain(fx);
  if (fx->qhead == fx->qlen) return false;
  *out = fx->q[fx->qhead++];
  if (fx->qhead == fx->qlen) fx->qhead = fx->qlen = 0;
  return true;
}

bool fx_pop_tcp(fx_t *fx, fx_frame_t *frame, synack_dissect_t *d) {
  while (fx_pop(fx, frame)) {
    if (synack_dissect(frame->buf, frame->len, false, d) == SYNACK_DROP_NONE && d->has_tcp) return true;
    free(frame->buf);
  }
  return false;
}

/* RFC 5925 §5.1: the MAC of a built segment (TCP-AO option first) into its option. The SNE is 1
 * for a sequence number below the sender's ISN: the tests wrap at most once. */
static bool ao_sign(const fx_ao_t *ao, const synack_ip_t *src, const synack_ip_t *dst, uint16_t sport, uint16_t dport,
                    uint32_t isn_s, uint32_t isn_d, uint8_t *tcp, size_t l4) {
  uint8_t tk[20];
  synack_tcp_ao_traffic_key(ao->alg, ao->key, ao->keylen, src, dst, sport, dport, isn_s, isn_d, tk);
  return synack_tcp_ao_mac(ao->alg, ao->excl, tk, rd32(tcp + 4) < isn_s ? 1u : 0u, src, dst, tcp, l4,
                           tcp + SYNACK_TCP_HDR_LEN + 4);
}

static const char *opt_name(uint8_t kind) {
  switch (kind) {
    case SYNACK_TCPOPT_EOL: return "eol";
    case SYNACK_TCPOPT_NOP: return "nop";
    case SYNACK_TCPOPT_MSS: return "mss";
    case SYNACK_TCPOPT_WSCALE: return "wscale";
    case SYNACK_TCPOPT_SACK_PERM: return "sackOK";
    case SYNACK_TCPOPT_SACK: return "sack";
    case SYNACK_TCPOPT_TS: return "TS";
    case SYNACK_TCPOPT_FASTOPEN: return "FO";
    case SYNACK_TCPOPT_EXP: return "FOEXP";
    case SYNACK_TCPOPT_MD5: return "md5";
    case SYNACK_TCPOPT_AO: return "ao";
    default: return "?";
  }
}

/* Layout string of parsed options, trailing EOL padding dropped: "mss,sackOK,TS,nop,wscale". */
static void layout_str(const synack_tcp_opts_t *o, char *buf, size_t cap) {
  size_t n = o->layout_len;
  while (n > 0 && o->layout[n - 1] == SYNACK_TCPOPT_EOL) n--;
  buf[0] = 0;
  size_t used = 0;
  for (size_t i = 0; i < n && used + 12 < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", opt_name(o->layout[i]));
}

char *fx_format(fx_t *fx, const fx_frame_t *f, char *buf, size_t cap) {
  synack_dissect_t d;
  synack_drop_reason_t r = synack_dissect(f->buf, f->len, false, &d);
  if (r != SYNACK_DROP_NONE || !d.has_tcp) {
    snprintf(buf, cap, "%" PRIu64 ".%06" PRIu64 " non-TCP frame (%zu bytes, %s)", f->t / 1000000, f->t % 1000000,
             f->len, synack_drop_reason_name(r));
    return buf;
  }
  const synack_tcp_repr_t *t = &d.tcp;
  char fl[16], opts[256];
  synack_tcp_flags_str(t->flags, fl, sizeof fl);
  uint32_t s = t->seq - fx->isn, a = t->ack - fx->peer_isn;
  size_t used = (size_t)snprintf(buf, cap, "%" PRIu64 ".%06" PRIu64 " %u > %u %s %u:%u(%zu)", f->t / 1000000,
                                 f->t % 1000000, t->src_port, t->dst_port, fl, s, s + (uint32_t)t->payload_len,
                                 t->payload_len);
  if (t->flags & SYNACK_TCP_ACK) used += (size_t)snprintf(buf + used, cap - used, " ack %u", a);
  used += (size_t)snprintf(buf + used, cap - used, " win %u", t->window);
  if (t->opts.layout_len) {
    size_t o = 0;
    size_t n = t->opts.layout_len;
    while (n > 0 && t->opts.layout[n - 1] == SYNACK_TCPOPT_EOL) n--;
    for (size_t i = 0; i < n && o + 40 < sizeof opts; i++) {
      uint8_t k = t->opts.layout[i];
      const char *sep = i ? "," : "";
      switch (k) {
        case SYNACK_TCPOPT_MSS: o += (size_t)snprintf(opts + o, sizeof opts - o, "%smss %u", sep, t->opts.mss); break;
        case SYNACK_TCPOPT_WSCALE:
          o += (size_t)snprintf(opts + o, sizeof opts - o, "%swscale %u", sep, t->opts.wscale);
          break;
        case SYNACK_TCPOPT_TS:
          o += (size_t)snprintf(opts + o, sizeof opts - o, "%sTS val %u ecr %u", sep, t->opts.ts_val, t->opts.ts_ecr);
          break;
        case SYNACK_TCPOPT_SACK:
          o += (size_t)snprintf(opts + o, sizeof opts - o, "%ssack %u", sep, t->opts.sack_count);
          for (uint8_t b = 0; b < t->opts.sack_count && o + 24 < sizeof opts; b++)
            o += (size_t)snprintf(opts + o, sizeof opts - o, " %u:%u", t->opts.sack[b].left - fx->peer_isn,
                                  t->opts.sack[b].right - fx->peer_isn);
          break;
        default: o += (size_t)snprintf(opts + o, sizeof opts - o, "%s%s", sep, opt_name(k)); break;
      }
    }
    if (used < cap) snprintf(buf + used, cap - used, " <%s>", opts);
  }
  (void)used;
  return buf;
}

/* ------------------------------------------------------------------ injection */

/* One IPv4 or IPv6 header (the fixture's family) for payload_len bytes of proto. */
static size_t ip_header(const fx_t *fx, const synack_ip_t *src, const synack_ip_t *dst, uint8_t proto, uint8_t tos,
                        uint16_t id, size_t payload_len, uint8_t *buf, size_t cap) {
  if (fx->family == SYNACK_AF_INET6) {
    synack_ip6_repr_t ip;
    memset(&ip, 0, sizeof ip);
    ip.src = *src;
    ip.dst = *dst;
    ip.hop_limit = 64;
    ip.proto = proto;
    ip.traffic_class = tos;
    return synack_ip6_emit(&ip, payload_len, buf, cap);
  }
  synack_ip4_repr_t ip;
  memset(&ip, 0, sizeof ip);
  ip.src = *src;
  ip.dst = *dst;
  ip.ttl = 64;
  ip.proto = proto;
  ip.df = true;
  ip.id = id;
  ip.tos = tos;
  return synack_ip4_emit(&ip, payload_len, buf, cap);
}

size_t fx_build(fx_t *fx, const fx_seg_t *seg, const synack_ip_t *src, uint16_t sport, uint8_t *buf, size_t cap) {
  const size_t l3 = fx->family == SYNACK_AF_INET6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  if (cap < l3 + 60 + seg->len) return 0;
  synack_tcp_repr_t r;
  memset(&r, 0, sizeof r);
  r.src_port = sport;
  r.dst_port = fx->lport;
  r.seq = seg->abs ? seg->seq : fx->peer_isn + seg->seq;
  r.ack = seg->abs ? seg->ack : fx->isn + seg->ack;
  r.flags = seg->flags;
  r.window = seg->win == FX_WIN_ZERO ? 0 : seg->win ? (uint16_t)seg->win : (uint16_t)fx->peer_win;
  r.urgent = seg->urg;
  fx_opt_t o = seg->opt;
  bool syn = (seg->flags & SYNACK_TCP_SYN) != 0;
  if (!seg->noopt) {
    if (syn && o.has == 0) o = fx->peer_syn;
    bool want_ts = syn ? (o.has & SYNACK_TCPOPT_HAS_TS) != 0 : (fx->ts_on && !seg->nots);
    if (want_ts && !(seg->opt.has & SYNACK_TCPOPT_HAS_TS)) {
      o.has |= SYNACK_TCPOPT_HAS_TS;
      o.tsval = fx->peer_ts_base + (uint32_t)(fx->now / 1000);
      o.tsecr = (seg->flags & SYNACK_TCP_ACK) ? fx->last_tsval : 0;
    }
  } else {
    o.has = 0;
  }
  uint8_t lay[16];
  size_t nl = 0;
  bool md5 = fx->md5_key && !seg->md5_none;
  if (md5) { lay[nl++] = SYNACK_TCPOPT_NOP; lay[nl++] = SYNACK_TCPOPT_NOP; lay[nl++] = SYNACK_TCPOPT_MD5; }
  const fx_ao_t *ao = seg->ao_none ? NULL : fx->ao_in;
  if (ao) lay[nl++] = SYNACK_TCPOPT_AO;
  if (syn) {
    if (o.has & SYNACK_TCPOPT_HAS_MSS) lay[nl++] = SYNACK_TCPOPT_MSS;
    if (o.has & SYNACK_TCPOPT_HAS_SACK_PERM) lay[nl++] = SYNACK_TCPOPT_SACK_PERM;
    if (o.has & SYNACK_TCPOPT_HAS_TS) lay[nl++] = SYNACK_TCPOPT_TS;
    if (o.has & SYNACK_TCPOPT_HAS_WSCALE) { lay[nl++] = SYNACK_TCPOPT_NOP; lay[nl++] = SYNACK_TCPOPT_WSCALE; }
    if (o.has & SYNACK_TCPOPT_HAS_FASTOPEN) {
      lay[nl++] = o.fo_exp ? SYNACK_TCPOPT_EXP : SYNACK_TCPOPT_FASTOPEN;
      if ((((o.fo_exp ? 4u : 2u) + o.fo_len) & 3u) == 2u) { lay[nl++] = SYNACK_TCPOPT_NOP; lay[nl++] = SYNACK_TCPOPT_NOP; }
    }
  } else {
    if (o.has & SYNACK_TCPOPT_HAS_MSS) lay[nl++] = SYNACK_TCPOPT_MSS;
    if (o.has & SYNACK_TCPOPT_HAS_TS) { lay[nl++] = SYNACK_TCPOPT_NOP; lay[nl++] = SYNACK_TCPOPT_NOP; lay[nl++] = SYNACK_TCPOPT_TS; }
  }
  r.opts.present = o.has & (SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_WSCALE | SYNACK_TCPOPT_HAS_SACK_PERM |
                            SYNACK_TCPOPT_HAS_TS);
  if (syn && (o.has & SYNACK_TCPOPT_HAS_FASTOPEN)) {
    r.opts.present |= SYNACK_TCPOPT_HAS_FASTOPEN | (o.fo_exp ? SYNACK_TCPOPT_HAS_FASTOPEN_EXP : 0u);
    r.opts.fo_len = o.fo_len;
    if (o.fo) memcpy(r.opts.fo_cookie, o.fo, o.fo_len);
  }
  if (seg->nsack && !syn && nl + 2 <= sizeof lay) {
    /* SACK blocks (RFC 2018 §3), relative to the stack's ISN unless .abs. */
    uint8_t k = seg->nsack > 4 ? 4 : seg->nsack;
    r.opts.present |= SYNACK_TCPOPT_HAS_SACK;
    r.opts.sack_count = k;
    for (uint8_t i = 0; i < k; i++) {
      r.opts.sack[i].left = seg->abs ? seg->sack[i][0] : fx->isn + seg->sack[i][0];
      r.opts.sack[i].right = seg->abs ? seg->sack[i][1] : fx->isn + seg->sack[i][1];
    }
    lay[nl++] = SYNACK_TCPOPT_NOP;
    lay[nl++] = SYNACK_TCPOPT_NOP;
    lay[nl++] = SYNACK_TCPOPT_SACK;
  }
  if (md5) r.opts.present |= SYNACK_TCPOPT_HAS_MD5;
  if (ao) {
    r.opts.present |= SYNACK_TCPOPT_HAS_AO;
    r.opts.ao_len = 16;
    r.opts.ao_keyid = ao->keyid;
    r.opts.ao_rnext = ao->rnext;
  }
  r.opts.mss = o.mss;
  r.opts.wscale = o.ws;
  r.opts.ts_val = o.tsval;
  r.opts.ts_ecr = o.tsecr;
  memcpy(r.opts.layout, lay, nl);
  r.opts.layout_len = (uint8_t)nl;
  uint8_t *tcp = buf + l3;
  size_t hl = synack_tcp_emit(&r, tcp, cap - l3);
  if (hl == 0) return 0;
  for (size_t i = 0; i < seg->len; i++) {
    uint32_t off = (seg->abs ? seg->seq - fx->peer_isn : seg->seq) - 1 + (syn ? 1u : 0u) + (uint32_t)i;
    tcp[hl + i] = seg->data ? ((const uint8_t *)seg->data)[i] : fx_pattern(off);
  }
  size_t l4 = hl + seg->len;
  if (md5) {
    /* The option is first: its digest starts after NOP, NOP, kind and length. */
    uint8_t *digest = tcp + SYNACK_TCP_HDR_LEN + 4;
    if (!synack_tcp_md5_digest(src, &fx->local_ip, tcp, l4, fx->md5_key, fx->md5_keylen, digest)) return 0;
    if (seg->md5_bad) digest[15] ^= 0x01;
  }
  if (ao) {
    /* RFC 5925 §5.2: the peer's context (its ISN first; ours, or 0 on a SYN without ACK). */
    uint32_t isn_s = syn ? rd32(tcp + 4) : fx->peer_isn; /* a SYN's own sequence number is the ISN */
    uint32_t isn_d = (syn && !(seg->flags & SYNACK_TCP_ACK)) ? 0 : fx->isn;
    if (!ao_sign(ao, src, &fx->local_ip, sport, fx->lport, isn_s, isn_d, tcp, l4)) return 0;
    if (seg->ao_bad) tcp[SYNACK_TCP_HDR_LEN + 15] ^= 0x01;
  }
  synack_tcp_fill_checksum(tcp, l4, src, &fx->local_ip);
  if (ip_header(fx, src, &fx->local_ip, SYNACK_IPPROTO_TCP, seg->tos, (uint16_t)(fx->frames_seen * 7 + 1), l4, buf,
                l3) == 0)
    return 0;
  return l3 + l4;
}

void fx_inject_raw(fx_t *fx, synack_time_t t, const uint8_t *pkt, size_t len) {
  fx_advance(fx, t > fx->now ? t : fx->now);
  synack_stack_input(fx->st, fx->now, pkt, len, 0);
  fx_drain(fx);
}

void fx_inject_too_big(fx_t *fx, synack_time_t t, uint32_t mtu, uint32_t seq) {
  /* The quoted packet: our IP header and the first 8 bytes of our TCP header. */
  uint8_t quote[48], pkt[128];
  memset(quote, 0, sizeof quote);
  bool v6 = fx->family == SYNACK_AF_INET6;
  size_t ql = ip_header(fx, &fx->local_ip, &fx->peer_ip, SYNACK_IPPROTO_TCP, 0, 0, 1400, quote, sizeof quote);
  uint32_t aseq = fx->isn + seq;
  uint8_t *th = quote + ql;
  th[0] = (uint8_t)(fx->lport >> 8); th[1] = (uint8_t)fx->lport;
  th[2] = (uint8_t)(fx->rport >> 8); th[3] = (uint8_t)fx->rport;
  th[4] = (uint8_t)(aseq >> 24); th[5] = (uint8_t)(aseq >> 16); th[6] = (uint8_t)(aseq >> 8); th[7] = (uint8_t)aseq;
  ql += 8;
  synack_icmp_repr_t ic;
  memset(&ic, 0, sizeof ic);
  ic.type = v6 ? SYNACK_ICMP6_PACKET_TOO_BIG : SYNACK_ICMP4_DEST_UNREACH;
  ic.code = v6 ? 0 : SYNACK_ICMP4_FRAG_NEEDED;
  ic.mtu = mtu;
  ic.data = quote;
  ic.data_len = ql;
  size_t l3 = v6 ? SYNACK_IP6_HDR_LEN : SYNACK_IP4_HDR_LEN;
  size_t il = v6 ? synack_icmp6_emit(&ic, &fx->peer_ip, &fx->local_ip, pkt + l3, sizeof pkt - l3)
                 : synack_icmp4_emit(&ic, pkt + l3, sizeof pkt - l3);
  if (il == 0) { fprintf(stderr, "tcpfix: cannot build ICMP\n"); return; }
  ip_header(fx, &fx->peer_ip, &fx->local_ip, v6 ? SYNACK_IPPROTO_ICMPV6 : SYNACK_IPPROTO_ICMP, 0, 0, il, pkt, l3);
  fx_inject_raw(fx, t, pkt, l3 + il);
}

bool fx_inject_seg_(fx_t *fx, const char *file, int line, synack_time_t t, const fx_seg_t *seg) {
  if (t < fx->now) {
    fprintf(stderr, "%s:%d: inject at %" PRIu64 " us, but the clock is already at %" PRIu64 "\n", file, line, t,
            fx->now);
    return false;
  }
  fx_advance(fx, t);
  uint8_t pkt[2048];
  size_t n = fx_build(fx, seg, &fx->peer_ip, fx->rport, pkt, sizeof pkt);
  if (n == 0) {
    fprintf(stderr, "%s:%d: cannot build the segment\n", file, line);
    return false;
  }
  synack_stack_input(fx->st, fx->now, pkt, n, 0);
  fx_drain(fx);
  return true;
}

/* ------------------------------------------------------------------ expectations */

bool fx_check_(bool ok, const char *file, int line, const char *what) {
  if (!ok) fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  return ok;
}

static void describe_expect(fx_t *fx, const fx_seg_t *e, char *buf, size_t cap) {
  char fl[16];
  synack_tcp_flags_str(e->flags, fl, sizeof fl);
  (void)fx;
  size_t u = (size_t)snprintf(buf, cap, "%s %u:%u(%zu)", fl, e->seq, e->seq + (uint32_t)e->len, e->len);
  if ((e->flags & SYNACK_TCP_ACK) && !e->any_ack) u += (size_t)snprintf(buf + u, cap - u, " ack %u", e->ack);
  if (e->win) u += (size_t)snprintf(buf + u, cap - u, " win %u", e->win == FX_WIN_ZERO ? 0 : e->win);
  if (e->layout) u += (size_t)snprintf(buf + u, cap - u, " <%s>", e->layout);
  for (uint8_t k = 0; k < e->nsack && k < 4 && u + 24 < cap; k++)
    u += (size_t)snprintf(buf + u, cap - u, "%s%u:%u", k ? " " : " sack ", e->sack[k][0], e->sack[k][1]);
  if ((e->t || e->within) && u < cap)
    snprintf(buf + u, cap - u, " at %" PRIu64 ".%06" PRIu64 "%s", e->t / 1000000, e->t % 1000000,
             e->within ? " (+window)" : "");
}

bool fx_expect_seg_(fx_t *fx, const char *file, int line, const fx_seg_t *e) {
  char want[256], got[512];
  describe_expect(fx, e, want, sizeof want);
  fx_drain(fx);
  if (fx->qhead == fx->qlen && (e->t || e->within)) fx_advance(fx, e->t + e->within > fx->now ? e->t + e->within : fx->now);
  fx_frame_t f;
  synack_dissect_t d;
  if (!fx_pop_tcp(fx, &f, &d)) {
    fprintf(stderr, "%s:%d: expected %s, but nothing was sent (now %" PRIu64 ".%06" PRIu64 ", state %s)\n", file,
            line, want, fx->now / 1000000, fx->now % 1000000, synack_tcp_state_name(fx_state(fx)));
    return false;
  }
  fx_format(fx, &f, got, sizeof got);
  const synack_tcp_repr_t *t = &d.tcp;
  char why[256] = "";
  uint8_t mask = e->psh_exact ? 0xff : (uint8_t)~SYNACK_TCP_PSH;
  uint32_t seq = e->abs ? t->seq : t->seq - fx->isn;
  uint32_t ack = e->abs ? t->ack : t->ack - fx->peer_isn;
  if ((t->flags & mask) != (e->flags & mask)) snprintf(why, sizeof why, "flags differ");
  else if (seq != e->seq) snprintf(why, sizeof why, "seq %u != %u", seq, e->seq);
  else if ((e->flags & SYNACK_TCP_ACK) && !e->any_ack && ack != e->ack) snprintf(why, sizeof why, "ack %u != %u", ack, e->ack);
  else if (t->payload_len != e->len) snprintf(why, sizeof why, "payload length %zu != %zu", t->payload_len, e->len);
  else if (e->win && t->window != (e->win == FX_WIN_ZERO ? 0 : e->win))
    snprintf(why, sizeof why, "window %u != %u", t->window, e->win == FX_WIN_ZERO ? 0 : e->win);
  else if (!f.buf || !synack_ip_equal(&d.src, &fx->local_ip) || !synack_ip_equal(&d.dst, &fx->peer_ip))
    snprintf(why, sizeof why, "addresses differ");
  else if (e->check_tos && (d.ip_version == 6 ? d.ip6.traffic_class : d.ip4.tos) != e->tos)
    snprintf(why, sizeof why, "IP TOS 0x%02x != 0x%02x", d.ip_version == 6 ? d.ip6.traffic_class : d.ip4.tos, e->tos);
  else if (t->dst_port != fx->rport || (fx->lport && t->src_port != fx->lport))
    snprintf(why, sizeof why, "ports %u > %u, expected %u > %u", t->src_port, t->dst_port, fx->lport, fx->rport);
  else if ((e->t || e->within) && (f.t < e->t || f.t > e->t + e->within))
    snprintf(why, sizeof why, "sent at %" PRIu64 " us, expected %" PRIu64 "..%" PRIu64, f.t, e->t, e->t + e->within);
  if (!why[0] && e->len) {
    for (size_t i = 0; i < e->len; i++) {
      uint8_t want_b = e->data ? ((const uint8_t *)e->data)[i]
                              : fx_pattern(e->seq - 1 + ((e->flags & SYNACK_TCP_SYN) ? 1u : 0u) + (uint32_t)i);
      if (t->payload[i] != want_b) {
        snprintf(why, sizeof why, "payload byte %zu differs (0x%02x != 0x%02x)", i, t->payload[i], want_b);
        break;
      }
    }
  }
  if (!why[0] && fx->md5_key) {
    /* RFC 2385: every segment of a keyed connection is signed, with the right digest. */
    uint8_t dg[16];
    size_t l4 = t->header_len + t->payload_len;
    const uint8_t *seg = t->payload - t->header_len;
    if (!(t->opts.present & SYNACK_TCPOPT_HAS_MD5)) snprintf(why, sizeof why, "no MD5 signature");
    else if (!synack_tcp_md5_digest(&d.src, &d.dst, seg, l4, fx->md5_key, fx->md5_keylen, dg) ||
             memcmp(dg, seg + t->opts.md5_off, 16) != 0)
      snprintf(why, sizeof why, "MD5 signature wrong");
  }
  if (!why[0] && fx->ao_out) {
    /* RFC 5925: every segment of a connection with TCP-AO carries it, with a valid MAC. */
    const fx_ao_t *ao = fx->ao_out;
    const uint8_t *seg = t->payload - t->header_len;
    size_t l4 = t->header_len + t->payload_len;
    bool syn = (t->flags & SYNACK_TCP_SYN) != 0, pure = syn && !(t->flags & SYNACK_TCP_ACK);
    uint32_t isn_s = syn ? t->seq : fx->isn, isn_d = pure ? 0 : fx->peer_isn;
    uint8_t tk[20], mac[12];
    synack_tcp_ao_traffic_key(ao->alg, ao->key, ao->keylen, &d.src, &d.dst, t->src_port, t->dst_port, isn_s, isn_d, tk);
    if (!(t->opts.present & SYNACK_TCPOPT_HAS_AO)) snprintf(why, sizeof why, "no TCP-AO option");
    else if (t->opts.ao_keyid != ao->keyid || t->opts.ao_rnext != ao->rnext)
      snprintf(why, sizeof why, "TCP-AO KeyID %u RNextKeyID %u, expected %u %u", t->opts.ao_keyid, t->opts.ao_rnext,
               ao->keyid, ao->rnext);
    else if (!synack_tcp_ao_mac(ao->alg, ao->excl, tk, t->seq < isn_s ? 1u : 0u, &d.src, &d.dst, seg, l4, mac) ||
             memcmp(mac, seg + t->opts.ao_off + 4, 12) != 0)
      snprintf(why, sizeof why, "TCP-AO MAC wrong");
  }
  if (!why[0] && e->layout) {
    char lay[128];
    layout_str(&t->opts, lay, sizeof lay);
    if (strcmp(lay, e->layout) != 0) snprintf(why, sizeof why, "option layout <%s> != <%s>", lay, e->layout);
  }
  if (!why[0] && e->opt.has) {
    const synack_tcp_opts_t *o = &t->opts;
    if ((o->present & e->opt.has) != e->opt.has) snprintf(why, sizeof why, "missing options");
    else if ((e->opt.has & SYNACK_TCPOPT_HAS_MSS) && e->opt.mss && o->mss != e->opt.mss)
      snprintf(why, sizeof why, "mss %u != %u", o->mss, e->opt.mss);
    else if ((e->opt.has & SYNACK_TCPOPT_HAS_WSCALE) && e->opt.ws && o->wscale != e->opt.ws)
      snprintf(why, sizeof why, "wscale %u != %u", o->wscale, e->opt.ws);
    else if ((e->opt.has & SYNACK_TCPOPT_HAS_TS) && e->opt.tsval && o->ts_val != e->opt.tsval)
      snprintf(why, sizeof why, "TS val %u != %u", o->ts_val, e->opt.tsval);
    else if ((e->opt.has & SYNACK_TCPOPT_HAS_TS) && e->opt.check_tsecr && o->ts_ecr != e->opt.tsecr)
      snprintf(why, sizeof why, "TS ecr %u != %u", o->ts_ecr, e->opt.tsecr);
    else if ((e->opt.has & SYNACK_TCPOPT_HAS_FASTOPEN) && o->fo_len != e->opt.fo_len)
      snprintf(why, sizeof why, "fast open cookie of %u bytes, expected %u", o->fo_len, e->opt.fo_len);
    else if ((e->opt.has & SYNACK_TCPOPT_HAS_FASTOPEN) && e->opt.fo && memcmp(o->fo_cookie, e->opt.fo, o->fo_len) != 0)
      snprintf(why, sizeof why, "fast open cookie differs");
  }
  if (!why[0] && e->nsack) {
    /* SACK blocks of the stack's segment (RFC 2018), relative to the peer's ISN. */
    const synack_tcp_opts_t *o = &t->opts;
    uint8_t n = (o->present & SYNACK_TCPOPT_HAS_SACK) ? o->sack_count : 0;
    if (n != e->nsack) snprintf(why, sizeof why, "%u SACK blocks, expected %u", n, e->nsack);
    for (uint8_t k = 0; !why[0] && k < n; k++) {
      uint32_t l = e->abs ? o->sack[k].left : o->sack[k].left - fx->peer_isn;
      uint32_t r = e->abs ? o->sack[k].right : o->sack[k].right - fx->peer_isn;
      if (l != e->sack[k][0] || r != e->sack[k][1])
        snprintf(why, sizeof why, "SACK block %u is %u:%u, expected %u:%u", k, l, r, e->sack[k][0], e->sack[k][1]);
    }
  }
  free(f.buf);
  if (why[0]) {
    fprintf(stderr, "%s:%d: segment mismatch (%s)\n  expected: %s\n  actual:   %s\n", file, line, why, want, got);
    return false;
  }
  return true;
}

bool fx_expect_none_(fx_t *fx, const char *file, int line, synack_time_t until) {
  if (until) fx_advance(fx, until);
  fx_drain(fx);
  if (fx->qhead == fx->qlen) return true;
  char got[512];
  fprintf(stderr, "%s:%d: expected no segment, but the stack sent:\n", file, line);
  for (size_t i = fx->qhead; i < fx->qlen; i++) fprintf(stderr, "  %s\n", fx_format(fx, &fx->q[i], got, sizeof got));
  fx_flush_output(fx);
  return false;
}

/* ------------------------------------------------------------------ state and API */

bool fx_endpoint(fx_t *fx, synack_endpoint_t *ep, bool peer, uint16_t port) {
  memset(ep, 0, sizeof *ep);
  ep->ip = peer ? fx->peer_ip : fx->local_ip;
  ep->port = port;
  return true;
}

bool fx_find(fx_t *fx, synack_conn_entry_t *out) {
  synack_conn_entry_t tab[256];
  size_t n = synack_conn_table(fx->st, tab, 256);
  if (n > 256) n = 256;
  bool found = false;
  for (size_t i = 0; i < n; i++) {
    const synack_conn_entry_t *e = &tab[i];
    if (e->local.port != fx->lport || e->remote.port != fx->rport) continue;
    if (!synack_ip_equal(&e->remote.ip, &fx->peer_ip)) continue;
    if (e->state == SYNACK_TCP_LISTEN) continue;
    if (!found || e->state != SYNACK_TCP_CLOSED) { *out = *e; found = true; }
  }
  return found;
}

synack_tcp_state_t fx_state(fx_t *fx) {
  synack_conn_entry_t e;
  return fx_find(fx, &e) ? e.state : SYNACK_TCP_CLOSED;
}

synack_tcp_state_t fx_sock_state(fx_t *fx, int sock) {
  synack_tcp_info_t i;
  memset(&i, 0, sizeof i);
  if (synack_tcp_info(fx->st, sock, &i) < 0) return SYNACK_TCP_CLOSED;
  return i.state;
}

size_t fx_count_kind(fx_t *fx, synack_conn_kind_t kind) {
  size_t n = synack_conn_table(fx->st, NULL, 0);
  if (n == 0) return 0;
  synack_conn_entry_t *tab = calloc(n, sizeof *tab);
  if (!tab) abort();
  size_t m = synack_conn_table(fx->st, tab, n);
  if (m > n) m = n;
  size_t c = 0;
  for (size_t i = 0; i < m; i++) c += tab[i].kind == kind;
  free(tab);
  return c;
}

synack_tcp_info_t fx_info(fx_t *fx, int sock) {
  synack_tcp_info_t i;
  memset(&i, 0, sizeof i);
  synack_tcp_info(fx->st, sock, &i);
  return i;
}

uint32_t fx_events(fx_t *fx, int sock) {
  synack_event_t ev;
  while (synack_stack_next_event(fx->st, &ev)) {
    if (ev.sock < 0 || ev.sock >= FX_MAX_SOCK) continue;
    fx->ev[ev.sock] |= ev.events;
    if (ev.events & SYNACK_EV_ERROR) fx->everr[ev.sock] = ev.error;
  }
  if (sock < 0 || sock >= FX_MAX_SOCK) return 0;
  uint32_t b = fx->ev[sock];
  fx->ev[sock] = 0;
  return b;
}

int fx_last_error(fx_t *fx, int sock) {
  (void)fx_events(fx, -1);
  return sock >= 0 && sock < FX_MAX_SOCK ? fx->everr[sock] : 0;
}

uint8_t fx_pattern(uint32_t i) { return (uint8_t)('a' + (i * 7u + (i >> 8)) % 26u); }

int64_t fx_send(fx_t *fx, int sock, size_t len, uint32_t stream_off) {
  uint8_t *b = malloc(len ? len : 1);
  if (!b) abort();
  for (size_t i = 0; i < len; i++) b[i] = fx_pattern(stream_off + (uint32_t)i);
  int64_t r = synack_send(fx->st, fx->now, sock, b, len, 0);
  free(b);
  fx_drain(fx);
  return r;
}

int64_t fx_recv(fx_t *fx, int sock, void *buf, size_t cap) {
  int64_t r = synack_recv(fx->st, fx->now, sock, buf, cap, 0);
  fx_drain(fx);
  return r;
}

/* ------------------------------------------------------------------ fixtures for states */

int fx_listen_(fx_t *fx, const char *file, int line, int backlog) {
  int s = synack_socket(fx->st, fx->family);
  synack_endpoint_t ep;
  fx_endpoint(fx, &ep, false, FX_LOCAL_PORT);
  memset(&ep.ip, 0, sizeof ep.ip); /* wildcard */
  int rb = s >= 0 ? synack_bind(fx->st, s, &ep) : s;
  int rl = rb >= 0 ? synack_listen(fx->st, s, backlog) : rb;
  if (s < 0 || rb < 0 || rl < 0) {
    fprintf(stderr, "%s:%d: listen fixture: socket %d bind %d listen %d\n", file, line, s, rb, rl);
    return -1;
  }
  fx->listener = s;
  fx->lport = FX_LOCAL_PORT;
  fx->rport = FX_PEER_PORT;
  return s;
}

int fx_syn_received_(fx_t *fx, const char *file, int line) {
  if (fx->listener < 0 && fx_listen_(fx, file, line, 16) < 0) return -1;
  if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_S, .seq = 0 })) return -1;
  if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_SA, .seq = 0, .ack = 1 })) return -1;
  if (fx_state(fx) != SYNACK_TCP_SYN_RECEIVED) {
    fprintf(stderr, "%s:%d: after SYN the entry is %s, expected SYN-RECEIVED\n", file, line,
            synack_tcp_state_name(fx_state(fx)));
    return -1;
  }
  fx->ts_on = (fx->peer_syn.has & SYNACK_TCPOPT_HAS_TS) && fx->cfg.tcp_timestamps;
  fx->sseq = 1;
  fx->pseq = 1;
  return fx->listener;
}

int fx_open_passive_(fx_t *fx, const char *file, int line) {
  if (fx_syn_received_(fx, file, line) < 0) return -1;
  if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_A, .seq = 1, .ack = 1 })) return -1;
  if (!fx_expect_none_(fx, file, line, 0)) return -1;
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  if (s < 0) {
    fprintf(stderr, "%s:%d: accept returned %s\n", file, line, synack_strerror(s));
    return -1;
  }
  if (fx_sock_state(fx, s) != SYNACK_TCP_ESTABLISHED) {
    fprintf(stderr, "%s:%d: accepted socket is %s\n", file, line, synack_tcp_state_name(fx_sock_state(fx, s)));
    return -1;
  }
  (void)fx_events(fx, s);
  return s;
}

int fx_syn_sent_(fx_t *fx, const char *file, int line) {
  int s = synack_socket(fx->st, fx->family);
  if (s < 0) {
    fprintf(stderr, "%s:%d: socket: %s\n", file, line, synack_strerror(s));
    return -1;
  }
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->lport = 0; /* learned from the SYN */
  fx->rport = FX_SERVICE_PORT;
  int r = synack_connect(fx->st, fx->now, s, &rem);
  if (r != -SYNACK_EINPROGRESS) {
    fprintf(stderr, "%s:%d: connect returned %d (%s), expected EINPROGRESS\n", file, line, r, synack_strerror(r));
    return -1;
  }
  synack_endpoint_t me;
  if (synack_getsockname(fx->st, s, &me) == 0) fx->lport = me.port;
  fx_drain(fx);
  if (fx->lport == 0 && fx->qhead < fx->qlen) {
    synack_dissect_t d;
    if (synack_dissect(fx->q[fx->qhead].buf, fx->q[fx->qhead].len, false, &d) == SYNACK_DROP_NONE && d.has_tcp) {
      fx->lport = d.tcp.src_port;
      fx->isn = d.tcp.seq;
    }
  }
  if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_S, .seq = 0, .t = fx->now })) return -1;
  fx->sseq = 1;
  fx->pseq = 0;
  return s;
}

int fx_open_active_(fx_t *fx, const char *file, int line) {
  int s = fx_syn_sent_(fx, file, line);
  if (s < 0) return -1;
  if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_SA, .seq = 0, .ack = 1 })) return -1;
  fx->ts_on = (fx->peer_syn.has & SYNACK_TCPOPT_HAS_TS) && fx->cfg.tcp_timestamps;
  if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_A, .seq = 1, .ack = 1, .t = fx->now })) return -1;
  if (fx_sock_state(fx, s) != SYNACK_TCP_ESTABLISHED) {
    fprintf(stderr, "%s:%d: active socket is %s\n", file, line, synack_tcp_state_name(fx_sock_state(fx, s)));
    return -1;
  }
  (void)fx_events(fx, s);
  fx->sseq = 1;
  fx->pseq = 1;
  return s;
}

static bool step_expect_state(fx_t *fx, const char *file, int line, synack_tcp_state_t st) {
  synack_tcp_state_t got = fx_state(fx);
  if (got == st) return true;
  fprintf(stderr, "%s:%d: fixture expected state %s, found %s\n", file, line, synack_tcp_state_name(st),
          synack_tcp_state_name(got));
  return false;
}

bool fx_goto_(fx_t *fx, const char *file, int line, int sock, synack_tcp_state_t state) {
  synack_time_t dl = SYNACK_MS(fx->cfg.tcp_delack_ms);
  uint32_t s0 = fx->sseq, p0 = fx->pseq;
  switch (state) {
    case SYNACK_TCP_ESTABLISHED: return step_expect_state(fx, file, line, state);
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_FIN_WAIT_2:
    case SYNACK_TCP_CLOSING:
    case SYNACK_TCP_TIME_WAIT: {
      int r = synack_shutdown(fx->st, fx->now, sock, SYNACK_SHUT_WR);
      if (r < 0) { fprintf(stderr, "%s:%d: shutdown: %s\n", file, line, synack_strerror(r)); return false; }
      if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_FA, .seq = s0, .ack = p0, .t = fx->now })) return false;
      fx->sseq = s0 + 1;
      if (!step_expect_state(fx, file, line, SYNACK_TCP_FIN_WAIT_1)) return false;
      if (state == SYNACK_TCP_FIN_WAIT_1) return true;
      if (state == SYNACK_TCP_CLOSING) {
        /* The peer's FIN crosses ours: it does not acknowledge our FIN. */
        if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_FA, .seq = p0, .ack = s0 })) return false;
        fx->pseq = p0 + 1;
        if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_A, .seq = s0 + 1, .ack = p0 + 1, .t = fx->now, .within = dl }))
          return false;
        return step_expect_state(fx, file, line, SYNACK_TCP_CLOSING);
      }
      if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_A, .seq = p0, .ack = s0 + 1 })) return false;
      if (!fx_expect_none_(fx, file, line, 0)) return false;
      if (!step_expect_state(fx, file, line, SYNACK_TCP_FIN_WAIT_2)) return false;
      if (state == SYNACK_TCP_FIN_WAIT_2) return true;
      if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_FA, .seq = p0, .ack = s0 + 1 })) return false;
      fx->pseq = p0 + 1;
      if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_A, .seq = s0 + 1, .ack = p0 + 1, .t = fx->now, .within = dl }))
        return false;
      return step_expect_state(fx, file, line, SYNACK_TCP_TIME_WAIT);
    }
    case SYNACK_TCP_CLOSE_WAIT:
    case SYNACK_TCP_LAST_ACK: {
      if (!fx_inject_seg_(fx, file, line, fx->now, &(fx_seg_t){ .flags = FX_FA, .seq = p0, .ack = s0 })) return false;
      fx->pseq = p0 + 1;
      if (state == SYNACK_TCP_CLOSE_WAIT) {
        if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_A, .seq = s0, .ack = p0 + 1, .t = fx->now, .within = dl }))
          return false;
        return step_expect_state(fx, file, line, SYNACK_TCP_CLOSE_WAIT);
      }
      if (!step_expect_state(fx, file, line, SYNACK_TCP_CLOSE_WAIT)) return false;
      /* A stack that ACKs a FIN at once (the freebsd profile; the linux one while no data has
       * arrived) has sent that ACK already; otherwise the FIN rides on the delayed ACK. */
      synack_tcp_info_t ti;
      bool acked_now = fx->cfg.tcp_fin_ack_now ||
                       (fx->cfg.tcp_fin_ack_linux && synack_tcp_info(fx->st, sock, &ti) == 0 && ti.bytes_received == 0);
      if (acked_now &&
          !fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_A, .seq = s0, .ack = p0 + 1, .t = fx->now, .within = dl }))
        return false;
      /* Closing at once. */
      int r = synack_shutdown(fx->st, fx->now, sock, SYNACK_SHUT_WR);
      if (r < 0) { fprintf(stderr, "%s:%d: shutdown: %s\n", file, line, synack_strerror(r)); return false; }
      if (!fx_expect_seg_(fx, file, line, &(fx_seg_t){ .flags = FX_FA, .seq = s0, .ack = p0 + 1, .t = fx->now })) return false;
      fx->sseq = s0 + 1;
      return step_expect_state(fx, file, line, SYNACK_TCP_LAST_ACK);
    }
    case SYNACK_TCP_CLOSED:
    case SYNACK_TCP_LISTEN:
    case SYNACK_TCP_SYN_SENT:
    case SYNACK_TCP_SYN_RECEIVED:
      break;
  }
  fprintf(stderr, "%s:%d: fx_goto cannot reach %s from ESTABLISHED\n", file, line, synack_tcp_state_name(state));
  return false;
}

/* ------------------------------------------------------------------ simulator pair */

fx_pair_t *fx_pair_new(uint64_t seed, const synack_sim_link_cfg_t *ab, const synack_sim_link_cfg_t *ba,
                       void (*hook)(synack_config_t *cfg, int which)) {
  fx_pair_t *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->ipa = synack_ip4(10, 0, 0, 1);
  p->ipb = synack_ip4(10, 0, 0, 2);
  for (int w = 0; w < 2; w++) {
    synack_config_t *c = w ? &p->cfgb : &p->cfga;
    synack_config_default(c);
    c->link = SYNACK_LINK_ETHERNET;
    c->mac = (synack_mac_t){ { 0x02, 0, 0, 0, 0, (uint8_t)(w + 1) } };
    c->ip4 = w ? p->ipb : p->ipa;
    c->ip4_prefix = 24;
    c->ip6_link_local = false;
    synack_config_deterministic(c, seed * 2 + (uint64_t)w + 1);
    c->name = w ? "server" : "client";
    if (hook) hook(c, w);
  }
  p->sim = synack_sim_new(seed);
  p->a = synack_stack_new(&p->cfga, 0);
  p->b = synack_stack_new(&p->cfgb, 0);
  if (!p->sim || !p->a || !p->b) {
    fx_pair_free(p);
    return NULL;
  }
  p->na = synack_sim_add_stack(p->sim, p->a);
  p->nb = synack_sim_add_stack(p->sim, p->b);
  p->link = synack_sim_link(p->sim, p->na, p->nb, ab, ba);
  return p;
}

void fx_pair_free(fx_pair_t *p) {
  if (!p) return;
  if (p->sim) synack_sim_free(p->sim);
  if (p->a) synack_stack_free(p->a);
  if (p->b) synack_stack_free(p->b);
  free(p);
}

void fx_pair_events(synack_stack_t *st, uint32_t *bits, int *err, size_t cap) {
  synack_event_t ev;
  while (synack_stack_next_event(st, &ev)) {
    if (ev.sock < 0 || (size_t)ev.sock >= cap) continue;
    bits[ev.sock] |= ev.events;
    if (ev.events & SYNACK_EV_ERROR) err[ev.sock] = ev.error;
  }
}
