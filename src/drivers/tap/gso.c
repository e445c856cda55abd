/* Segmentation and checksum offload on frames: the software half of virtio-net offloads.
 *
 * Input: the kernel hands a TAP with TSO enabled TCP "super-frames" (one header, up to 64 KiB
 * of payload, gso_size = the segment size) whose checksum is often only the pseudo-header sum
 * (NEEDS_CSUM). synack_gso_split cuts one into the segments the wire would have carried.
 * Output: synack_gso_coalesce merges the stack's consecutive MSS-sized segments of one flow into
 * one TSO frame, and the kernel cuts it again (or delivers it whole to its own socket), which
 * saves a system call and a trip through the kernel's input path per segment. */
#include <stdlib.h>
#include <string.h>

#include "synack/tap.h"
#include "synack/wire.h"
#include "wire_bytes.h" /* rd16/rd32/wr16/wr32 shared with the core */


#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/* Where the headers of an Ethernet / IPv4-or-IPv6 / TCP frame are. */
typedef struct {
  size_t l3, l4, hdr;   /* offsets of IP, TCP and the payload */
  size_t end;           /* end of the IP packet (Ethernet padding excluded) */
  bool v6;
} tcp_layout_t;

static bool layout(const uint8_t *f, size_t len, tcp_layout_t *o) {
  if (len < 14) return false;
  uint16_t type = rd16(f + 12);
  o->l3 = 14;
  if (type == SYNACK_ETHERTYPE_IPV4) {
    if (len < 14 + 20 || (f[14] >> 4) != 4) return false;
    size_t ihl = (size_t)(f[14] & 0x0f) * 4;
    size_t tot = rd16(f + 16);
    if (ihl < 20 || tot < ihl || 14 + tot > len || f[14 + 9] != SYNACK_IPPROTO_TCP) return false;
    if ((rd16(f + 14 + 6) & 0x3fff) != 0) return false; /* fragments are not segmentable */
    o->v6 = false;
    o->l4 = 14 + ihl;
    o->end = 14 + tot;
  } else if (type == SYNACK_ETHERTYPE_IPV6) {
    if (len < 14 + 40 || (f[14] >> 4) != 6 || f[14 + 6] != SYNACK_IPPROTO_TCP) return false;
    size_t plen = rd16(f + 18);
    if (14 + 40 + plen > len) return false;
    o->v6 = true;
    o->l4 = 14 + 40;
    o->end = 14 + 40 + plen;
  } else {
    return false;
  }
  if (o->end < o->l4 + 20) return false;
  size_t doff = (size_t)(f[o->l4 + 12] >> 4) * 4;
  if (doff < 20 || o->l4 + doff > o->end) return false;
  o->hdr = o->l4 + doff;
  return true;
}

static void addrs(const uint8_t *f, const tcp_layout_t *L, synack_ip_t *src, synack_ip_t *dst) {
  memset(src, 0, sizeof *src);
  memset(dst, 0, sizeof *dst);
  if (L->v6) {
    src->family = dst->family = SYNACK_AF_INET6;
    memcpy(src->b, f + L->l3 + 8, 16);
    memcpy(dst->b, f + L->l3 + 24, 16);
  } else {
    src->family = dst->family = SYNACK_AF_INET;
    memcpy(src->b, f + L->l3 + 12, 4);
    memcpy(dst->b, f + L->l3 + 16, 4);
  }
}

static void ip4_fix_header(uint8_t *f, const tcp_layout_t *L) {
  uint8_t *ip = f + L->l3;
  wr16(ip + 10, 0);
  wr16(ip + 10, synack_csum_finish(synack_csum_add(0, ip, L->l4 - L->l3)));
}

/* Sets the IP length fields for a TCP segment of l4_len bytes. */
static void set_ip_len(uint8_t *f, const tcp_layout_t *L, size_t l4_len) {
  if (L->v6) wr16(f + L->l3 + 4, (uint16_t)l4_len);
  else wr16(f + L->l3 + 2, (uint16_t)(L->l4 - L->l3 + l4_len));
}

int synack_gso_finish_csum(uint8_t *frame, size_t len, synack_tap_meta_t *meta) {
  if (!(meta->flags & SYNACK_TAP_F_PARTIAL)) return 0;
  size_t start = meta->csum_start, field = (size_t)meta->csum_start + meta->csum_offset;
  if (start >= len || field + 2 > len) return -SYNACK_EINVAL;
  /* The field holds the pseudo-header sum; summing the rest over it gives the full checksum. */
  uint16_t c = synack_csum_finish(synack_csum_add(0, frame + start, len - start));
  /* RFC 768 / RFC 8200: a UDP checksum that computes to 0 is sent as all ones. */
  if (c == 0 && meta->csum_offset == 6) c = 0xffff;
  wr16(frame + field, c);
  meta->flags &= ~(unsigned)SYNACK_TAP_F_PARTIAL;
  meta->flags |= SYNACK_TAP_F_CSUM_VALID;
  return 0;
}

int synack_gso_tcp_csum(uint8_t *frame, size_t len) {
  tcp_layout_t L;
  if (!layout(frame, len, &L)) return -SYNACK_EINVAL;
  synack_ip_t src, dst;
  addrs(frame, &L, &src, &dst);
  synack_tcp_fill_checksum(frame + L.l4, L.end - L.l4, &src, &dst);
  return 0;
}

int synack_gso_split(const uint8_t *frame, size_t len, const synack_tap_meta_t *meta, synack_gso_seg_fn fn,
                     void *user) {
  tcp_layout_t L;
  if (!layout(frame, len, &L) || L.v6 != (meta->gso_type == SYNACK_GSO_TCP6) || meta->gso_size == 0)
    return -SYNACK_EINVAL;
  size_t payload = L.end - L.hdr, g = meta->gso_size, hl = L.hdr;
  uint8_t *buf = malloc(hl + g);
  if (!buf) return -SYNACK_ENOMEM;
  synack_ip_t src, dst;
  addrs(frame, &L, &src, &dst);
  uint32_t seq0 = rd32(frame + L.l4 + 4);
  uint16_t id0 = L.v6 ? 0 : rd16(frame + L.l3 + 4);
  uint8_t flags0 = frame[L.l4 + 13];
  int n = 0;
  size_t off = 0;
  do {
    size_t chunk = payload - off < g ? payload - off : g;
    bool first = off == 0, last = off + chunk >= payload;
    memcpy(buf, frame, hl);
    memcpy(buf + hl, frame + hl + off, chunk);
    set_ip_len(buf, &L, hl - L.l4 + chunk);
    if (!L.v6) {
      wr16(buf + L.l3 + 4, (uint16_t)(id0 + n));
      ip4_fix_header(buf, &L);
    }
    wr32(buf + L.l4 + 4, seq0 + (uint32_t)off);
    uint8_t fl = flags0;
    if (!last) fl &= (uint8_t)~(TCP_FIN | TCP_PSH); /* FIN and PSH belong to the last segment */
    if (!first) fl &= (uint8_t)~TCP_CWR;            /* RFC 3168 §6.1.2: CWR on one segment only */
    buf[L.l4 + 13] = fl;
    synack_tcp_fill_checksum(buf + L.l4, hl - L.l4 + chunk, &src, &dst);
    fn(user, buf, hl + chunk);
    n++;
    off += chunk;
  } while (off < payload);
  free(buf);
  return n;
}

/* ---------- coalescing ---------- */

void synack_gso_coalescer_init(synack_gso_coalescer_t *c) {
  c->len = 0;
  c->segs = 0;
  c->closed = false;
}

/* Headers equal but for the fields segmentation rewrites. */
static bool same_headers(const synack_gso_coalescer_t *c, const uint8_t *f, const tcp_layout_t *L) {
  const uint8_t *a = c->buf, *b = f;
  if (memcmp(a, b, 14) != 0) return false;
  if (L->v6) {
    if (memcmp(a + 14, b + 14, 4) != 0 || memcmp(a + 14 + 6, b + 14 + 6, 34) != 0) return false;
  } else {
    /* version/IHL/TOS, then flags/fragment/TTL/protocol, then the addresses */
    if (memcmp(a + 14, b + 14, 2) != 0 || memcmp(a + 14 + 6, b + 14 + 6, 4) != 0 ||
        memcmp(a + 14 + 12, b + 14 + 12, 8) != 0)
      return false;
  }
  const uint8_t *ta = a + c->l4_off, *tb = f + L->l4;
  /* ports, ack, data offset, window, urgent pointer and the options (timestamps included) */
  return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 5) == 0 && memcmp(ta + 14, tb + 14, 2) == 0 &&
         memcmp(ta + 18, tb + 18, c->hdr_len - c->l4_off - 18) == 0;
}

bool synack_gso_coalesce(synack_gso_coalescer_t *c, const uint8_t *f, size_t len) {
  tcp_layout_t L;
  if (!layout(f, len, &L)) {
    /* Not TCP (ARP, ICMP, UDP): travels alone, as it is. */
    if (c->len != 0 || len > sizeof c->buf) return false;
    memcpy(c->buf, f, len);
    c->len = len;
    c->segs = 1;
    c->hdr_len = 0;
    c->closed = true;
    return true;
  }
  size_t payload = L.end - L.hdr;
  uint8_t fl = f[L.l4 + 13];
  bool mergeable = payload > 0 && (fl == TCP_ACK || fl == (TCP_ACK | TCP_PSH)) && (L.v6 || L.l4 - L.l3 == 20);
  if (c->len == 0) {
    memcpy(c->buf, f, L.end);
    c->len = L.end;
    c->segs = 1;
    c->hdr_len = (uint16_t)L.hdr;
    c->l3_off = (uint16_t)L.l3;
    c->l4_off = (uint16_t)L.l4;
    c->seg_payload = (uint16_t)payload;
    c->next_seq = rd32(f + L.l4 + 4) + (uint32_t)payload;
    c->closed = !mergeable || (fl & TCP_PSH);
    return true;
  }
  if (c->closed || !mergeable || c->hdr_len == 0 || L.hdr != c->hdr_len || L.v6 != (c->buf[12] == 0x86) ||
      payload > c->seg_payload || rd32(f + L.l4 + 4) != c->next_seq || c->len + payload > SYNACK_TAP_MAX_FRAME ||
      c->len - c->l3_off + payload > 65535 || !same_headers(c, f, &L))
    return false;
  memcpy(c->buf + c->len, f + L.hdr, payload);
  c->len += payload;
  c->segs++;
  c->next_seq += (uint32_t)payload;
  c->buf[c->l4_off + 13] |= fl; /* PSH moves to the merged frame; the kernel keeps it on the last */
  if (payload < c->seg_payload || (fl & TCP_PSH)) c->closed = true;
  return true;
}

size_t synack_gso_coalescer_take(synack_gso_coalescer_t *c, const uint8_t **out, synack_tap_meta_t *meta) {
  memset(meta, 0, sizeof *meta);
  size_t len = c->len;
  *out = c->buf;
  if (len == 0) return 0;
  if (c->hdr_len) {
    tcp_layout_t L = { .l3 = c->l3_off, .l4 = c->l4_off, .hdr = c->hdr_len, .end = len, .v6 = c->buf[12] == 0x86 };
    size_t l4_len = len - L.l4;
    set_ip_len(c->buf, &L, l4_len);
    if (!L.v6) ip4_fix_header(c->buf, &L);
    /* A partial checksum: the pseudo-header sum, which the kernel completes (per segment when
     * it segments, once when it delivers the super-frame to a local socket). */
    synack_ip_t src, dst;
    addrs(c->buf, &L, &src, &dst);
    uint16_t pseudo = (uint16_t)~synack_csum_finish(synack_csum_pseudo(&src, &dst, SYNACK_IPPROTO_TCP, (uint32_t)l4_len));
    wr16(c->buf + L.l4 + 16, pseudo);
    meta->flags = SYNACK_TAP_F_PARTIAL;
    meta->csum_start = c->l4_off;
    meta->csum_offset = 16;
    if (c->segs > 1) {
      meta->gso_type = L.v6 ? SYNACK_GSO_TCP6 : SYNACK_GSO_TCP4;
      meta->gso_size = c->seg_payload;
      meta->hdr_len = c->hdr_len;
    }
  }
  c->len = 0;
  c->segs = 0;
  c->closed = false;
  return len;
}
