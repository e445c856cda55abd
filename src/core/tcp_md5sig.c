/* TCP MD5 signatures (RFC 2385) on connections: the TCP_MD5SIG keys of a socket (per peer
 * address or prefix, as Linux's struct tcp_md5sig / TCP_MD5SIG_EXT), signing outgoing segments
 * and checking incoming ones. The digest itself is tcp_md5.c. Listeners, half-open entries, SYN
 * cookies, connections and TIME-WAIT entries all check through synack_tcp_md5_accept and sign in
 * tcp_output.c's emit (docs/tcp-choices.md "TCP MD5 signatures"). */
#include <string.h>

#include "tcp_internal.h"

static size_t set_bytes(uint32_t n) { return sizeof(synack_md5_keys_t) + (size_t)n * sizeof(synack_md5_key_t); }

static uint8_t addr_bits(uint8_t family) { return family == SYNACK_AF_INET6 ? 128 : 32; }

void synack_addr_mask(synack_ip_t *a, uint8_t bits) {
  for (unsigned i = 0; i < 16; i++) {
    unsigned lo = i * 8u;
    if (lo >= bits) a->b[i] = 0;
    else if (lo + 8u > bits) a->b[i] &= (uint8_t)(0xffu << (8u - (bits - lo)));
  }
}

bool synack_addr_in_prefix(const synack_ip_t *net, uint8_t prefixlen, const synack_ip_t *peer) {
  if (net->family != peer->family) return false;
  synack_ip_t p = *peer;
  synack_addr_mask(&p, prefixlen);
  return memcmp(p.b, net->b, 16) == 0;
}

static bool covers(const synack_md5_key_t *k, const synack_ip_t *peer) {
  return synack_addr_in_prefix(&k->addr, k->prefixlen, peer);
}

int synack_tcp_md5_set(synack_stack_t *st, synack_md5_keys_t **set, uint8_t family, const synack_tcp_md5sig_t *sig) {
  if (sig->keylen > SYNACK_TCP_MD5SIG_MAXKEYLEN) return -SYNACK_EINVAL;
  if (sig->addr.family != SYNACK_AF_INET && sig->addr.family != SYNACK_AF_INET6) return -SYNACK_EINVAL;
  /* An IPv4 socket has only IPv4 peers (Linux: EINVAL for another family). */
  if (family == SYNACK_AF_INET && sig->addr.family != SYNACK_AF_INET) return -SYNACK_EINVAL;
  synack_md5_key_t k;
  memset(&k, 0, sizeof k);
  k.addr = sig->addr;
  bool prefix = (sig->flags & SYNACK_TCP_MD5SIG_FLAG_PREFIX) != 0;
  /* Linux (tcp_v6_parse_md5_keys): an IPv4-mapped peer is an IPv4 key, its prefix at most 32. */
  if (k.addr.family == SYNACK_AF_INET6 && synack_addr_is_v4mapped(k.addr.b)) {
    memset(&k.addr, 0, sizeof k.addr);
    k.addr.family = SYNACK_AF_INET;
    memcpy(k.addr.b, sig->addr.b + 12, 4);
  }
  uint8_t max = addr_bits(k.addr.family);
  if (prefix && sig->prefixlen > max) return -SYNACK_EINVAL;
  k.prefixlen = prefix ? sig->prefixlen : max;
  synack_addr_mask(&k.addr, k.prefixlen);
  k.keylen = (uint8_t)sig->keylen;
  memcpy(k.key, sig->key, sig->keylen);

  synack_md5_keys_t *old = *set;
  uint32_t n = old ? old->n : 0, at = n;
  for (uint32_t i = 0; i < n; i++)
    if (old->k[i].prefixlen == k.prefixlen && memcmp(&old->k[i].addr, &k.addr, sizeof k.addr) == 0) at = i;
  if (k.keylen == 0) {
    /* Linux: keylen 0 deletes the key of that address and prefix. */
    if (at == n) return -SYNACK_ENOENT;
    if (n == 1) {
      synack_tcp_md5_free(st, set);
      return 0;
    }
    old->k[at] = old->k[n - 1];
    memset(&old->k[n - 1], 0, sizeof k); /* no copy of the key left behind */
    old->n = n - 1;
    return 0;
  }
  if (at < n) {
    old->k[at] = k;
    return 0;
  }
  /* A bounded count per socket: Linux bounds them by the option memory (optmem_max). */
  if (n >= st->cfg.tcp_md5_max_keys) return -SYNACK_ENOMEM;
  if (!old || old->cap == n) {
    uint32_t cap = n + 1;
    synack_md5_keys_t *grown = synack_mem_alloc(st, set_bytes(cap));
    if (!grown) return -SYNACK_ENOMEM;
    if (n) memcpy(grown->k, old->k, (size_t)n * sizeof k);
    grown->cap = cap;
    st->tcp->mem += set_bytes(cap);
    if (old) synack_tcp_md5_free(st, set);
    *set = old = grown;
  }
  old->k[n] = k;
  old->n = n + 1;
  return 0;
}

void synack_tcp_md5_free(synack_stack_t *st, synack_md5_keys_t **set) {
  synack_md5_keys_t *s = *set;
  if (!s) return;
  size_t bytes = set_bytes(s->cap);
  memset(s, 0, bytes); /* keys are secrets: not left in freed memory */
  st->tcp->mem -= bytes;
  synack_mem_free(st, s, bytes);
  *set = NULL;
}

const synack_md5_key_t *synack_tcp_md5_lookup(const synack_md5_keys_t *set, const synack_ip_t *peer) {
  if (!set) return NULL;
  const synack_md5_key_t *best = NULL;
  /* Linux (tcp_md5_do_lookup): the longest matching prefix wins. */
  for (uint32_t i = 0; i < set->n; i++)
    if (covers(&set->k[i], peer) && (!best || set->k[i].prefixlen > best->prefixlen)) best = &set->k[i];
  return best;
}

static void peer_of(const synack_tuple_t *t, synack_ip_t *peer) {
  memset(peer, 0, sizeof *peer);
  peer->family = t->family;
  memcpy(peer->b, t->raddr, t->family == SYNACK_AF_INET6 ? 16 : 4);
}

const synack_md5_key_t *synack_tcp_md5_tcb_key(const synack_tcb_t *tcb) {
  if (!tcb->md5) return NULL;
  synack_ip_t peer;
  peer_of(&tcb->node.t, &peer);
  return synack_tcp_md5_lookup(tcb->md5, &peer);
}

bool synack_tcp_md5_inherit(synack_stack_t *st, synack_tcb_t *child, const synack_md5_keys_t *lset) {
  if (!lset) return true;
  synack_ip_t peer;
  peer_of(&child->node.t, &peer);
  const synack_md5_key_t *k = synack_tcp_md5_lookup(lset, &peer);
  if (!k) return true;
  synack_md5_keys_t *s = synack_mem_alloc(st, set_bytes(1));
  if (!s) return false;
  st->tcp->mem += set_bytes(1);
  s->cap = s->n = 1;
  s->k[0] = *k;
  synack_tcp_md5_free(st, &child->md5);
  child->md5 = s;
  return true;
}

synack_md5_key_t *synack_tcp_md5_key_dup(synack_stack_t *st, const synack_md5_key_t *k) {
  if (!k) return NULL;
  synack_md5_key_t *c = synack_mem_alloc(st, sizeof *c);
  if (!c) return NULL;
  st->tcp->mem += sizeof *c;
  *c = *k;
  return c;
}

void synack_tcp_md5_key_free(synack_stack_t *st, synack_md5_key_t *k) {
  if (!k) return;
  memset(k, 0, sizeof *k);
  st->tcp->mem -= sizeof *k;
  synack_mem_free(st, k, sizeof *k);
}

bool synack_tcp_md5_accept(synack_stack_t *st, const synack_md5_key_t *key, synack_seg_t *seg) {
  bool has = (seg->r.opts.present & SYNACK_TCPOPT_HAS_MD5) != 0;
  seg->md5 = NULL;
  if (!key) {
    if (!has) return true;
    /* Not in RFC 2385 (which has keys only per connection): Linux drops a signed segment no
     * key applies to (TCPMD5Unexpected), so a peer that signs is not half understood. */
    synack_drop(st, SYNACK_DROP_TCP_MD5_UNEXPECTED, NULL, 0);
    return false;
  }
  if (!has) {
    /* RFC 2385 §2.0: "Upon receiving a signed segment [...] If the expected digest is not
     * present, the segment MUST be dropped" -- likewise a segment without any signature. */
    synack_drop(st, SYNACK_DROP_TCP_MD5_MISSING, NULL, 0);
    return false;
  }
  const uint8_t *raw = seg->r.payload - seg->r.header_len;
  size_t len = (size_t)seg->r.header_len + seg->r.payload_len;
  synack_ip_t local, remote;
  synack_tuple_ips(&seg->t, &local, &remote);
  uint8_t d[16];
  uint8_t diff = 1;
  if (synack_tcp_md5_digest(&remote, &local, raw, len, key->key, key->keylen, d)) {
    /* Compared in constant time: the time taken says nothing about how much matched. */
    diff = 0;
    for (unsigned i = 0; i < 16; i++) diff |= (uint8_t)(d[i] ^ raw[seg->r.opts.md5_off + i]);
  }
  if (diff) {
    /* RFC 2385 §2.0: a segment whose digest does not match is dropped silently. */
    synack_drop(st, SYNACK_DROP_TCP_MD5_BAD, NULL, 0);
    return false;
  }
  seg->md5 = key;
  return true;
}

/* Offset of the MD5 option's digest in a header we built, 0 when it has none. */
static size_t md5_offset(const uint8_t *seg, size_t hl) {
  size_t i = SYNACK_TCP_HDR_LEN;
  while (i + 1 < hl && seg[i] != SYNACK_TCPOPT_EOL) {
    if (seg[i] == SYNACK_TCPOPT_NOP) { i++; continue; }
    if (seg[i] == SYNACK_TCPOPT_MD5) return i + 18 <= hl ? i + 2 : 0;
    if (seg[i + 1] < 2) return 0;
    i += seg[i + 1];
  }
  return 0;
}

void synack_tcp_md5_sign(const synack_md5_key_t *key, const synack_ip_t *src, const synack_ip_t *dst, uint8_t *seg,
                         size_t seg_len) {
  if (seg_len < SYNACK_TCP_HDR_LEN) return;
  size_t hl = (size_t)(seg[12] >> 4) * 4u;
  size_t at = hl <= seg_len ? md5_offset(seg, hl) : 0;
  uint8_t d[16];
  if (at && synack_tcp_md5_digest(src, dst, seg, seg_len, key->key, key->keylen, d)) memcpy(seg + at, d, 16);
}
