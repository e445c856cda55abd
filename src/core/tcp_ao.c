/* The TCP Authentication Option (RFC 5925) with the algorithms of RFC 5926: a socket's Master
 * Key Tuples, the traffic keys derived from them per connection, the MAC over a segment, the
 * sequence number extension, key rollover by RNextKeyID, and the checks on received segments.
 * Listeners, half-open entries, SYN cookies, connections and TIME-WAIT entries all check
 * through synack_tcp_ao_accept and sign in tcp_output.c's emit (docs/tcp-choices.md "TCP-AO"). */
#include <string.h>

#include "aes_cmac.h"
#include "sha1.h"
#include "tcp_internal.h"
#include "wire_bytes.h"

static size_t set_bytes(uint32_t n) { return sizeof(synack_ao_t) + (size_t)n * sizeof(synack_ao_mkt_t); }

static uint8_t addr_bits(uint8_t family) { return family == SYNACK_AF_INET6 ? 128 : 32; }

static bool covers(const synack_ao_mkt_t *k, const synack_ip_t *peer) {
  return synack_addr_in_prefix(&k->addr, k->prefixlen, peer);
}

bool synack_tcp_ao_covers(const synack_ao_t *set, const synack_ip_t *peer) {
  if (!set) return false;
  for (uint32_t i = 0; i < set->n; i++)
    if (covers(&set->k[i], peer)) return true;
  return false;
}

/* RFC 5925 §3.1: the MKT of the connection to peer with that SendID (send) or RecvID. */
static synack_ao_mkt_t *find(synack_ao_t *set, const synack_ip_t *peer, bool send, uint8_t id) {
  if (!set) return NULL;
  for (uint32_t i = 0; i < set->n; i++) {
    synack_ao_mkt_t *k = &set->k[i];
    if ((send ? k->sndid : k->rcvid) == id && covers(k, peer)) return k;
  }
  return NULL;
}

static synack_ao_mkt_t *first_for(synack_ao_t *set, const synack_ip_t *peer) {
  for (uint32_t i = 0; set && i < set->n; i++)
    if (covers(&set->k[i], peer)) return &set->k[i];
  return NULL;
}

static void peer_of(const synack_tuple_t *t, synack_ip_t *peer) {
  synack_ip_t local;
  synack_tuple_ips(t, &local, peer);
}

/* Normalizes a key's peer as tcp_md5sig.c does: IPv4-mapped IPv6 means IPv4; bits past the prefix zero. */
static int key_peer(uint8_t family, const synack_tcp_ao_key_t *in, synack_ip_t *addr, uint8_t *prefixlen) {
  if (in->addr.family != SYNACK_AF_INET && in->addr.family != SYNACK_AF_INET6) return -SYNACK_EINVAL;
  if (family == SYNACK_AF_INET && in->addr.family != SYNACK_AF_INET) return -SYNACK_EINVAL;
  *addr = in->addr;
  uint8_t plen = in->prefixlen;
  if (addr->family == SYNACK_AF_INET6 && synack_addr_is_v4mapped(in->addr.b)) {
    memset(addr, 0, sizeof *addr);
    addr->family = SYNACK_AF_INET;
    memcpy(addr->b, in->addr.b + 12, 4);
    plen = plen >= 96 ? (uint8_t)(plen - 96) : 0;
  }
  if (plen > addr_bits(addr->family)) return -SYNACK_EINVAL;
  synack_addr_mask(addr, plen);
  *prefixlen = plen;
  return 0;
}

static void free_set(synack_stack_t *st, synack_ao_t *s) {
  size_t bytes = set_bytes(s->cap);
  memset(s, 0, bytes); /* keys are secrets: not left in freed memory */
  st->tcp->mem -= bytes;
  synack_mem_free(st, s, bytes);
}

void synack_tcp_ao_free(synack_stack_t *st, synack_ao_t **set) {
  if (!*set) return;
  free_set(st, *set);
  *set = NULL;
}

static synack_ao_t *alloc_set(synack_stack_t *st, uint32_t cap) {
  synack_ao_t *s = synack_mem_alloc(st, set_bytes(cap));
  if (!s) return NULL;
  memset(s, 0, sizeof *s);
  st->tcp->mem += set_bytes(cap);
  s->cap = cap;
  return s;
}

int synack_tcp_ao_add(synack_stack_t *st, synack_tcb_t *tcb, const synack_tcp_ao_key_t *in) {
  /* RFC 5925 §2.2: TCP-AO and TCP MD5 never on one connection; Linux refuses the second kind of
   * key for a peer with EKEYREJECTED, synack for the socket as a whole. */
  if (tcb->md5) return -SYNACK_EKEYREJECTED;
  /* Linux (tcp_ao_add_cmd): TCP-AO starts with a connection, never in the middle of one. */
  if (!tcb->ao && tcb->state != SYNACK_TCP_CLOSED && tcb->state != SYNACK_TCP_LISTEN) return -SYNACK_EINVAL;
  if (in->keylen == 0 || in->keylen > SYNACK_TCP_AO_MAXKEYLEN) return -SYNACK_EINVAL;
  if (in->alg != SYNACK_TCP_AO_ALG_HMAC_SHA1_96 && in->alg != SYNACK_TCP_AO_ALG_AES_128_CMAC_96) return -SYNACK_EINVAL;
  if (in->keyflags & ~(unsigned)SYNACK_TCP_AO_KEYF_EXCLUDE_OPT) return -SYNACK_EINVAL;
  synack_ao_mkt_t k;
  memset(&k, 0, sizeof k);
  int rc = key_peer(tcb->node.t.family, in, &k.addr, &k.prefixlen);
  if (rc) return rc;
  synack_ao_t *set = tcb->ao;
  if (set && set->conn) {
    /* A connection's keys are for its peer only. */
    synack_ip_t peer;
    peer_of(&tcb->node.t, &peer);
    if (!covers(&k, &peer)) return -SYNACK_EINVAL;
  }
  /* RFC 5925 §3.1: among the MKTs of one connection the SendIDs are unique and so are the
   * RecvIDs; keys for overlapping peers are held to the same (as Linux, EEXIST). */
  for (uint32_t i = 0; set && i < set->n; i++) {
    const synack_ao_mkt_t *o = &set->k[i];
    if (o->addr.family != k.addr.family) continue;
    uint8_t plen = o->prefixlen < k.prefixlen ? o->prefixlen : k.prefixlen;
    synack_ip_t a = o->addr, b = k.addr;
    synack_addr_mask(&a, plen);
    synack_addr_mask(&b, plen);
    if (memcmp(a.b, b.b, 16) == 0 && (o->sndid == in->sndid || o->rcvid == in->rcvid)) return -SYNACK_EEXIST;
  }
  uint32_t n = set ? set->n : 0;
  if (n >= st->cfg.tcp_ao_max_keys) return -SYNACK_ENOMEM;
  k.sndid = in->sndid;
  k.rcvid = in->rcvid;
  k.alg = in->alg;
  k.keyflags = in->keyflags;
  k.keylen = in->keylen;
  memcpy(k.key, in->key, in->keylen);
  if (!set || set->cap == n) {
    synack_ao_t *grown = alloc_set(st, n + 1);
    if (!grown) return -SYNACK_ENOMEM;
    if (set) {
      memcpy(grown, set, sizeof *set);
      memcpy(grown->k, set->k, (size_t)n * sizeof k);
      grown->cap = n + 1;
      free_set(st, set);
    }
    tcb->ao = set = grown;
  }
  set->k[n] = k;
  set->n = n + 1;
  if (in->set_current || !set->cur_set) {
    set->cur_id = k.sndid;
    set->cur_set = in->set_current || set->cur_set;
  }
  if (in->set_rnext) {
    set->rnext_id = k.rcvid;
    set->rnext_set = true;
  }
  memset(&k, 0, sizeof k);
  return 0;
}

int synack_tcp_ao_del(synack_stack_t *st, synack_tcb_t *tcb, const synack_tcp_ao_key_t *in) {
  synack_ao_t *set = tcb->ao;
  if (!set) return -SYNACK_ENOENT;
  synack_ip_t addr;
  uint8_t plen;
  int rc = key_peer(tcb->node.t.family, in, &addr, &plen);
  if (rc) return rc;
  for (uint32_t i = 0; i < set->n; i++) {
    synack_ao_mkt_t *k = &set->k[i];
    if (k->prefixlen != plen || memcmp(&k->addr, &addr, sizeof addr) != 0 || k->sndid != in->sndid ||
        k->rcvid != in->rcvid)
      continue;
    /* Linux (tcp_ao_delete_key): a connection keeps the key it signs with and the one it asks
     * for; the user moves current / rnext first. */
    if (set->conn && (k->sndid == set->cur_id || (set->rnext_set && k->rcvid == set->rnext_id))) return -SYNACK_EBUSY;
    if (set->n == 1 && !set->conn) {
      synack_tcp_ao_free(st, &tcb->ao);
      return 0;
    }
    set->k[i] = set->k[set->n - 1];
    memset(&set->k[set->n - 1], 0, sizeof *k); /* no copy of the key left behind */
    set->n--;
    if (!set->conn && set->cur_id == in->sndid) {
      set->cur_id = set->k[0].sndid;
      set->cur_set = false;
    }
    return 0;
  }
  return -SYNACK_ENOENT;
}

void synack_tcp_ao_connect(synack_stack_t *st, synack_tcb_t *tcb) {
  synack_ao_t *set = tcb->ao;
  if (!set) return;
  synack_ip_t peer;
  peer_of(&tcb->node.t, &peer);
  synack_ao_mkt_t *cur = set->cur_set ? find(set, &peer, true, set->cur_id) : NULL;
  if (!cur) cur = first_for(set, &peer);
  if (!cur) {
    /* Linux (tcp_ao_connect_init): no key for this peer, no TCP-AO on the connection. */
    synack_tcp_ao_free(st, &tcb->ao);
    return;
  }
  set->conn = true;
  set->cur_id = cur->sndid;
  if (!set->rnext_set || !find(set, &peer, false, set->rnext_id)) set->rnext_id = cur->rcvid;
  set->snd_ref = set->rcv_ref = false;
}

bool synack_tcp_ao_inherit(synack_stack_t *st, synack_tcb_t *child, const synack_ao_t *lset, const synack_seg_t *seg) {
  if (!lset) return true;
  synack_ip_t peer;
  peer_of(&child->node.t, &peer);
  uint32_t n = 0;
  for (uint32_t i = 0; i < lset->n; i++) n += covers(&lset->k[i], &peer);
  if (n == 0) return true;
  synack_ao_t *s = alloc_set(st, n);
  if (!s) return false;
  for (uint32_t i = 0; i < lset->n; i++)
    if (covers(&lset->k[i], &peer)) s->k[s->n++] = lset->k[i];
  s->conn = true;
  /* RFC 5925 §7.5.2: we send with the key the peer's RNextKeyID names and ask for the one its
   * segment came with. */
  synack_ao_mkt_t *cur = NULL;
  if (seg->ao_ok) cur = find(s, &peer, true, seg->r.opts.ao_rnext);
  if (!cur && seg->ao_ok) cur = find(s, &peer, false, seg->r.opts.ao_keyid);
  if (!cur) cur = &s->k[0];
  s->cur_id = cur->sndid;
  s->rnext_id = seg->ao_ok ? seg->r.opts.ao_keyid : cur->rcvid;
  s->peer_rnext = seg->ao_ok ? seg->r.opts.ao_rnext : 0;
  for (uint32_t i = 0; i < s->n; i++) s->k[i].tx_ok = s->k[i].rx_ok = 0;
  synack_tcp_ao_free(st, &child->ao);
  child->ao = s;
  return true;
}

synack_ao_t *synack_tcp_ao_dup(synack_stack_t *st, const synack_ao_t *ao) {
  if (!ao) return NULL;
  synack_ao_t *c = alloc_set(st, ao->n);
  if (!c) return NULL;
  memcpy(c, ao, set_bytes(ao->n));
  c->cap = ao->n;
  return c;
}

/* RFC 5925 §6.2: the SNE of seq, from a segment (ref) whose SNE is known: seq lies within 2^31
 * of it, so a numerically smaller seq after ref has wrapped (+1), a larger one before it had not
 * yet (-1). */
static uint32_t sne_of(uint32_t ref_sne, synack_seq_t ref, synack_seq_t seq) {
  if (seq_lt(seq, ref)) return seq.v > ref.v ? ref_sne - 1u : ref_sne;
  return seq.v < ref.v ? ref_sne + 1u : ref_sne;
}

void synack_tcp_ao_traffic_key(uint8_t alg, const uint8_t *key, size_t keylen, const synack_ip_t *src,
                               const synack_ip_t *dst, uint16_t sport, uint16_t dport, uint32_t isn_s, uint32_t isn_d,
                               uint8_t out[20]) {
  /* RFC 5925 §5.2: the context is the source and destination addresses, the source and
   * destination ports, the source and destination ISNs, in that order. */
  uint8_t ctx[44];
  size_t al = src->family == SYNACK_AF_INET6 ? 16 : 4, n = 0;
  memcpy(ctx, src->b, al);
  memcpy(ctx + al, dst->b, al);
  n = 2 * al;
  wr16(ctx + n, sport);
  wr16(ctx + n + 2, dport);
  wr32(ctx + n + 4, isn_s);
  wr32(ctx + n + 8, isn_d);
  n += 12;
  memset(out, 0, 20);
  /* RFC 5926 §3.1: the KDF of the MAC's algorithm. */
  if (alg == SYNACK_TCP_AO_ALG_HMAC_SHA1_96) synack_tcp_ao_kdf_sha1(key, keylen, ctx, n, out);
  else synack_tcp_ao_kdf_aes128(key, keylen, ctx, n, out);
}

/* The traffic key for a segment from src to dst with the ISNs of its context; cached in k
 * (a connection's key, whose addresses and ports never change) when cache. */
static const uint8_t *traffic_key(synack_ao_mkt_t *k, bool cache, bool tx, const synack_ip_t *src,
                                  const synack_ip_t *dst, const uint8_t *th, uint32_t isn_s, uint32_t isn_d,
                                  uint8_t tmp[20]) {
  uint8_t *key = tx ? k->tx_key : k->rx_key;
  uint8_t *ok = tx ? &k->tx_ok : &k->rx_ok;
  uint32_t *isn = tx ? k->tx_isn : k->rx_isn;
  if (cache && *ok && isn[0] == isn_s && isn[1] == isn_d) return key;
  uint8_t *out = cache ? key : tmp;
  synack_tcp_ao_traffic_key(k->alg, k->key, k->keylen, src, dst, rd16(th), rd16(th + 2), isn_s, isn_d, out);
  if (cache) {
    *ok = 1;
    isn[0] = isn_s;
    isn[1] = isn_d;
  }
  return out;
}

typedef struct {
  uint8_t alg;
  synack_hmac_sha1_t h;
  synack_aes_cmac_t c;
} mac_t;

static void mac_update(mac_t *m, const void *p, size_t n) {
  if (m->alg == SYNACK_TCP_AO_ALG_HMAC_SHA1_96) synack_hmac_sha1_update(&m->h, p, n);
  else synack_aes_cmac_update(&m->c, p, n);
}

/* RFC 5925 §5.1: the MAC of a segment whose TCP-AO option starts at ao_at: over the SNE, the
 * pseudo-header, the TCP header with checksum and MAC zero (without its other options when the
 * MKT excludes them: the fixed header and the TCP-AO option alone, as Linux), and the data.
 * RFC 5926 §3.2: HMAC-SHA-1 or AES-128-CMAC, the first 96 bits. */
static void ao_mac(uint8_t alg, bool excl, const uint8_t *tk, uint32_t sne, const synack_ip_t *src,
                   const synack_ip_t *dst, const uint8_t *seg, size_t seg_len, size_t hl, size_t ao_at, size_t ao_len,
                   uint8_t out[SYNACK_TCP_AO_MACLEN]) {
  mac_t m;
  m.alg = alg;
  if (m.alg == SYNACK_TCP_AO_ALG_HMAC_SHA1_96) synack_hmac_sha1_init(&m.h, tk, 20);
  else synack_aes_cmac_init(&m.c, tk);
  uint8_t b[SYNACK_TCP_HDR_LEN + SYNACK_TCP_MAX_OPT_LEN];
  wr32(b, sne);
  mac_update(&m, b, 4);
  size_t pl = synack_tcp_pseudo_hdr(src, dst, (uint32_t)seg_len, b);
  mac_update(&m, b, pl);
  size_t n;
  if (excl) {
    memcpy(b, seg, SYNACK_TCP_HDR_LEN);
    memcpy(b + SYNACK_TCP_HDR_LEN, seg + ao_at, ao_len);
    memset(b + SYNACK_TCP_HDR_LEN + 4, 0, ao_len - 4);
    n = SYNACK_TCP_HDR_LEN + ao_len;
  } else {
    memcpy(b, seg, hl);
    memset(b + ao_at + 4, 0, ao_len - 4);
    n = hl;
  }
  b[16] = b[17] = 0;
  mac_update(&m, b, n);
  mac_update(&m, seg + hl, seg_len - hl);
  uint8_t full[20];
  if (m.alg == SYNACK_TCP_AO_ALG_HMAC_SHA1_96) synack_hmac_sha1_final(&m.h, full);
  else synack_aes_cmac_final(&m.c, full);
  memcpy(out, full, SYNACK_TCP_AO_MACLEN);
  memset(&m, 0, sizeof m);
  memset(full, 0, sizeof full);
}

static bool excl_of(const synack_ao_mkt_t *k) { return (k->keyflags & SYNACK_TCP_AO_KEYF_EXCLUDE_OPT) != 0; }

bool synack_tcp_ao_mac(uint8_t alg, bool exclude_opts, const uint8_t tk[20], uint32_t sne, const synack_ip_t *src,
                       const synack_ip_t *dst, const uint8_t *seg, size_t seg_len, uint8_t out[12]) {
  if (seg_len < SYNACK_TCP_HDR_LEN || src->family != dst->family) return false;
  if (alg != SYNACK_TCP_AO_ALG_HMAC_SHA1_96 && alg != SYNACK_TCP_AO_ALG_AES_128_CMAC_96) return false;
  size_t hl = (size_t)(seg[12] >> 4) * 4u;
  if (hl < SYNACK_TCP_HDR_LEN || hl > seg_len) return false;
  synack_tcp_opts_t o;
  if (synack_tcp_opts_parse(seg + SYNACK_TCP_HDR_LEN, hl - SYNACK_TCP_HDR_LEN, &o) != SYNACK_DROP_NONE ||
      !(o.present & SYNACK_TCPOPT_HAS_AO) || o.ao_len != SYNACK_TCP_AO_OPTLEN)
    return false;
  ao_mac(alg, exclude_opts, tk, sne, src, dst, seg, seg_len, hl, o.ao_off, o.ao_len, out);
  return true;
}

/* A SYN without ACK has no peer ISN yet: 0 in its context (RFC 5925 §5.2). */
static bool pure_syn(const uint8_t *th) { return (th[13] & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) == SYNACK_TCP_SYN; }

void synack_tcp_ao_sign(const synack_ao_tx_t *tx, const synack_ip_t *src, const synack_ip_t *dst, uint8_t *seg,
                        size_t seg_len) {
  if (seg_len < SYNACK_TCP_HDR_LEN) return;
  size_t hl = (size_t)(seg[12] >> 4) * 4u;
  if (hl > seg_len) return;
  synack_tcp_opts_t o;
  if (synack_tcp_opts_parse(seg + SYNACK_TCP_HDR_LEN, hl - SYNACK_TCP_HDR_LEN, &o) != SYNACK_DROP_NONE ||
      !(o.present & SYNACK_TCPOPT_HAS_AO) || o.ao_len != SYNACK_TCP_AO_OPTLEN)
    return;
  uint8_t tmp[20];
  uint32_t isn_d = pure_syn(seg) ? 0 : tx->isn_r;
  const uint8_t *tk = traffic_key(tx->mkt, tx->cache, true, src, dst, seg, tx->isn_l, isn_d, tmp);
  uint32_t sne = sne_of(tx->sne, tx->sne_seq, seq_make(rd32(seg + 4)));
  ao_mac(tx->mkt->alg, excl_of(tx->mkt), tk, sne, src, dst, seg, seg_len, hl, o.ao_off, o.ao_len, seg + o.ao_off + 4);
  memset(tmp, 0, sizeof tmp);
}

static bool fill_tx(synack_ao_t *ao, synack_ao_mkt_t *k, uint32_t isn_l, uint32_t isn_r, synack_seq_t seq,
                    synack_ao_tx_t *tx) {
  tx->mkt = k;
  tx->cache = ao->conn;
  tx->rnext = ao->rnext_id;
  tx->isn_l = isn_l;
  tx->isn_r = isn_r;
  if (!ao->snd_ref) {
    ao->snd_ref = true;
    ao->snd_sne = 0;
    ao->snd_sne_seq = seq_make(isn_l);
  }
  tx->sne = sne_of(ao->snd_sne, ao->snd_sne_seq, seq);
  tx->sne_seq = seq;
  /* The reference follows the highest sequence number sent, so it stays within 2^31 of every
   * segment still to be sent or retransmitted. */
  if (seq_gt(seq, ao->snd_sne_seq)) {
    ao->snd_sne = tx->sne;
    ao->snd_sne_seq = seq;
  }
  return true;
}

bool synack_tcp_ao_conn_tx(synack_ao_t *ao, uint32_t isn_l, uint32_t isn_r, synack_seq_t seq, synack_ao_tx_t *tx) {
  if (!ao || !ao->conn) return false;
  synack_ao_mkt_t *k = NULL;
  for (uint32_t i = 0; i < ao->n && !k; i++)
    if (ao->k[i].sndid == ao->cur_id) k = &ao->k[i];
  if (!k) return false;
  return fill_tx(ao, k, isn_l, isn_r, seq, tx);
}

bool synack_tcp_ao_tcb_tx(const synack_tcb_t *tcb, synack_seq_t seq, synack_ao_tx_t *tx) {
  return synack_tcp_ao_conn_tx(tcb->ao, tcb->iss.v, tcb->irs.v, seq, tx);
}

bool synack_tcp_ao_listen_tx(synack_ao_t *lset, const synack_tuple_t *t, uint8_t sndid, uint8_t rnext, uint32_t isn_l,
                             uint32_t isn_r, synack_ao_tx_t *tx) {
  synack_ip_t peer;
  peer_of(t, &peer);
  synack_ao_mkt_t *k = find(lset, &peer, true, sndid);
  if (!k) k = find(lset, &peer, false, rnext);
  if (!k) return false;
  tx->mkt = k;
  tx->cache = false;
  tx->rnext = rnext;
  tx->isn_l = isn_l;
  tx->isn_r = isn_r;
  tx->sne = 0; /* the handshake: SNE 0 at our ISN */
  tx->sne_seq = seq_make(isn_l);
  return true;
}

static void count(synack_stack_t *st, synack_ao_t *set, uint64_t *ctr, synack_drop_reason_t why) {
  if (set && ctr) (*ctr)++;
  synack_drop(st, why, NULL, 0);
}

bool synack_tcp_ao_accept(synack_stack_t *st, synack_ao_t *set, uint32_t isn_r, uint32_t isn_l, synack_seg_t *seg) {
  const synack_tcp_opts_t *o = &seg->r.opts;
  bool has = (o->present & SYNACK_TCPOPT_HAS_AO) != 0;
  seg->ao_ok = false;
  synack_ip_t local, peer;
  synack_tuple_ips(&seg->t, &local, &peer);
  if (has && (o->present & SYNACK_TCPOPT_HAS_MD5)) {
    count(st, NULL, NULL, SYNACK_DROP_TCP_AO_WITH_MD5); /* RFC 5925 §2.2: never both */
    return false;
  }
  bool keyed = set && (set->conn ? set->n > 0 : synack_tcp_ao_covers(set, &peer));
  if (!has) {
    if (!keyed) return true; /* TCP-AO does not apply */
    /* RFC 5925 §7.6 step 2 i: an MKT applies but the segment carries no TCP-AO: discard. */
    count(st, set, &set->required, SYNACK_DROP_TCP_AO_REQUIRED);
    return false;
  }
  /* §7.6 step 2 ii: the MKT whose RecvID is the segment's KeyID; none (or no key at all, as
   * Linux): discard. */
  synack_ao_mkt_t *k = find(set, &peer, false, o->ao_keyid);
  if (!k) {
    count(st, keyed ? set : NULL, keyed ? &set->key_not_found : NULL, SYNACK_DROP_TCP_AO_KEY_NOT_FOUND);
    return false;
  }
  const uint8_t *th = seg->r.payload - seg->r.header_len;
  size_t len = (size_t)seg->r.header_len + seg->r.payload_len;
  bool syn = pure_syn(th);
  uint32_t isn_s = syn ? seg->seq.v : isn_r, isn_d = syn ? 0 : isn_l;
  /* §6.2: the receive SNE from the connection's reference; in a handshake SNE 0 at the peer's ISN. */
  uint32_t ref_sne = 0;
  synack_seq_t ref = seq_make(isn_s);
  if (set->conn && set->rcv_ref && !syn) {
    ref_sne = set->rcv_sne;
    ref = set->rcv_sne_seq;
  }
  uint32_t sne = sne_of(ref_sne, ref, seg->seq);
  uint8_t mac[SYNACK_TCP_AO_MACLEN], tmp[20];
  uint8_t diff = 1;
  if (o->ao_len == SYNACK_TCP_AO_OPTLEN) {
    const uint8_t *tk = traffic_key(k, set->conn, false, &peer, &local, th, isn_s, isn_d, tmp);
    ao_mac(k->alg, excl_of(k), tk, sne, &peer, &local, th, len, seg->r.header_len, o->ao_off, o->ao_len, mac);
    /* Compared in constant time: the time taken says nothing about how much matched. */
    diff = 0;
    for (unsigned i = 0; i < SYNACK_TCP_AO_MACLEN; i++) diff |= (uint8_t)(mac[i] ^ th[o->ao_off + 4 + i]);
  }
  memset(tmp, 0, sizeof tmp);
  if (diff) {
    /* §7.6 step 4: a MAC that does not match: discard silently. */
    count(st, set, &set->bad, SYNACK_DROP_TCP_AO_BAD);
    return false;
  }
  set->good++;
  set->peer_rnext = o->ao_rnext;
  if (set->conn) {
    if (!set->rcv_ref || (!syn && seq_gt(seg->seq, set->rcv_sne_seq))) {
      set->rcv_ref = true;
      set->rcv_sne = sne;
      set->rcv_sne_seq = seg->seq;
    }
    /* RFC 5925 §7.5.2: the peer's RNextKeyID names the key it wants our segments signed with:
     * switch to it when we have it (key rollover). */
    if (o->ao_rnext != set->cur_id && find(set, &peer, true, o->ao_rnext)) set->cur_id = o->ao_rnext;
  }
  /* An answer without a TCB (a RST) is signed with the key the peer asked for, in this context. */
  synack_ao_mkt_t *reply = find(set, &peer, true, o->ao_rnext);
  seg->ao_ok = true;
  seg->ao.mkt = reply ? reply : k;
  seg->ao.cache = set->conn;
  seg->ao.rnext = k->rcvid;
  seg->ao.isn_l = isn_l;
  seg->ao.isn_r = isn_s;
  seg->ao.sne = 0;
  seg->ao.sne_seq = seq_make(seg->ao.isn_l);
  return true;
}

uint32_t synack_tcp_sig_optlen(const synack_tcb_t *tcb) {
  if (tcb->ao) return SYNACK_TCP_AO_OPTLEN;
  return synack_tcp_md5_tcb_key(tcb) ? 20u : 0u;
}
