/* TCP segment authentication through setsockopt/getsockopt, as Linux spells it: TCP_MD5SIG and
 * TCP_MD5SIG_EXT (RFC 2385, struct tcp_md5sig of <netinet/tcp.h>) and TCP_AO_ADD_KEY,
 * TCP_AO_DEL_KEY, TCP_AO_INFO (RFC 5925/5926, the structures of Linux 6.7's <linux/tcp.h>,
 * restated here because the C library's headers of this system predate them), mapped onto
 * synack_setsockopt_md5sig and the synack_setsockopt_tcp_ao_* calls. */
#include "preload.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#define PL_TCP_AO_ADD_KEY 38
#define PL_TCP_AO_DEL_KEY 39
#define PL_TCP_AO_INFO 40
#define PL_TCP_AO_MAXKEYLEN 80
#define PL_TCP_AO_KEYF_IFINDEX (1u << 0)
#define PL_TCP_AO_KEYF_EXCLUDE_OPT (1u << 1)
#define PL_TCP_MD5SIG_FLAG_IFINDEX 0x2

/* Linux's struct tcp_ao_add (setsockopt TCP_AO_ADD_KEY). */
struct pl_tcp_ao_add {
  struct sockaddr_storage addr;
  char alg_name[64];
  int32_t ifindex;
  uint32_t set_current : 1, set_rnext : 1, reserved : 30;
  uint16_t reserved2;
  uint8_t prefix, sndid, rcvid, maclen, keyflags, keylen;
  uint8_t key[PL_TCP_AO_MAXKEYLEN];
} __attribute__((aligned(8)));

/* Linux's struct tcp_ao_del (setsockopt TCP_AO_DEL_KEY). */
struct pl_tcp_ao_del {
  struct sockaddr_storage addr;
  int32_t ifindex;
  uint32_t set_current : 1, set_rnext : 1, del_async : 1, reserved : 29;
  uint16_t reserved2;
  uint8_t prefix, sndid, rcvid, current_key, rnext, keyflags;
} __attribute__((aligned(8)));

/* Linux's struct tcp_ao_info_opt (setsockopt and getsockopt TCP_AO_INFO). */
struct pl_tcp_ao_info_opt {
  uint32_t set_current : 1, set_rnext : 1, ao_required : 1, set_counters : 1, accept_icmps : 1, reserved : 27;
  uint16_t reserved2;
  uint8_t current_key, rnext;
  uint64_t pkt_good, pkt_bad, pkt_key_not_found, pkt_ao_required, pkt_dropped_icmp;
} __attribute__((aligned(8)));

/* The peer's address of a key (an AF_INET6 socket may name IPv4 peers v4-mapped: synack's key
 * matching reads a v4-mapped address as the IPv4 one). */
static int key_addr(const struct sockaddr_storage *ss, synack_ip_t *ip) {
  memset(ip, 0, sizeof *ip);
  if (ss->ss_family == AF_INET) {
    ip->family = SYNACK_AF_INET;
    memcpy(ip->b, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    return 0;
  }
  if (ss->ss_family == AF_INET6) {
    ip->family = SYNACK_AF_INET6;
    memcpy(ip->b, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    return 0;
  }
  return -EINVAL;
}

static int set_md5(pl_sock_t *s, int name, const void *val, socklen_t len) {
  struct tcp_md5sig m;
  if (len < (socklen_t)sizeof m) return -EINVAL;
  memcpy(&m, val, sizeof m);
  synack_tcp_md5sig_t k;
  memset(&k, 0, sizeof k);
  int r = key_addr(&m.tcpm_addr, &k.addr);
  if (r < 0) return r;
  if (m.tcpm_keylen > TCP_MD5SIG_MAXKEYLEN) return -EINVAL;
  /* Linux reads the flags only with TCP_MD5SIG_EXT; a key bound to an interface (VRF) has no
   * meaning on a stack with one link. */
  if (name == TCP_MD5SIG_EXT) {
    if (m.tcpm_flags & PL_TCP_MD5SIG_FLAG_IFINDEX) return -EINVAL;
    if (m.tcpm_flags & TCP_MD5SIG_FLAG_PREFIX) {
      k.flags = SYNACK_TCP_MD5SIG_FLAG_PREFIX;
      k.prefixlen = m.tcpm_prefixlen;
    }
  }
  k.keylen = m.tcpm_keylen;
  memcpy(k.key, m.tcpm_key, m.tcpm_keylen);
  return synack_setsockopt_md5sig(pl.st, s->h, &k);
}

static int ao_alg(const char *name, uint8_t *alg) {
  char n[65];
  memcpy(n, name, 64);
  n[64] = 0;
  if (strcmp(n, "hmac(sha1)") == 0) *alg = SYNACK_TCP_AO_ALG_HMAC_SHA1_96;
  else if (strcmp(n, "cmac(aes128)") == 0 || strcmp(n, "cmac(aes)") == 0) *alg = SYNACK_TCP_AO_ALG_AES_128_CMAC_96;
  else return -ENOENT; /* Linux: no such crypto algorithm (RFC 5926 names these two) */
  return 0;
}

static int set_ao_add(pl_sock_t *s, const void *val, socklen_t len) {
  struct pl_tcp_ao_add a;
  if (len < (socklen_t)sizeof a) return -EINVAL;
  memcpy(&a, val, sizeof a);
  if (a.reserved || a.reserved2 || (a.keyflags & PL_TCP_AO_KEYF_IFINDEX) || a.ifindex) return -EINVAL;
  if (a.keyflags & ~(PL_TCP_AO_KEYF_IFINDEX | PL_TCP_AO_KEYF_EXCLUDE_OPT)) return -EINVAL;
  /* RFC 5926 §3.2: both algorithms' MACs are 96 bits; 0 asks for the default. */
  if (a.maclen && a.maclen != 12) return -EMSGSIZE;
  if (a.keylen > PL_TCP_AO_MAXKEYLEN) return -EINVAL;
  synack_tcp_ao_key_t k;
  memset(&k, 0, sizeof k);
  int r = key_addr(&a.addr, &k.addr);
  if (r == 0) r = ao_alg(a.alg_name, &k.alg);
  if (r < 0) return r;
  k.prefixlen = a.prefix;
  k.sndid = a.sndid;
  k.rcvid = a.rcvid;
  k.keyflags = (a.keyflags & PL_TCP_AO_KEYF_EXCLUDE_OPT) ? SYNACK_TCP_AO_KEYF_EXCLUDE_OPT : 0;
  k.keylen = a.keylen;
  k.set_current = a.set_current;
  k.set_rnext = a.set_rnext;
  memcpy(k.key, a.key, a.keylen);
  return synack_setsockopt_tcp_ao_add_key(pl.st, s->h, &k);
}

static int set_ao_del(pl_sock_t *s, const void *val, socklen_t len) {
  struct pl_tcp_ao_del d;
  if (len < (socklen_t)sizeof d) return -EINVAL;
  memcpy(&d, val, sizeof d);
  if (d.reserved || d.reserved2 || d.ifindex) return -EINVAL;
  synack_tcp_ao_key_t k;
  memset(&k, 0, sizeof k);
  int r = key_addr(&d.addr, &k.addr);
  if (r < 0) return r;
  /* Linux moves current / rnext in the same call before the key goes. */
  if (d.set_current || d.set_rnext) {
    synack_tcp_ao_info_t in = { .set_current = d.set_current, .set_rnext = d.set_rnext,
                                .current_key = d.current_key, .rnext = d.rnext };
    r = synack_setsockopt_tcp_ao_info(pl.st, s->h, &in);
    if (r < 0) return r;
  }
  k.prefixlen = d.prefix;
  k.sndid = d.sndid;
  k.rcvid = d.rcvid;
  return synack_setsockopt_tcp_ao_del_key(pl.st, s->h, &k);
}

static int set_ao_info(pl_sock_t *s, const void *val, socklen_t len) {
  struct pl_tcp_ao_info_opt o;
  if (len < (socklen_t)sizeof o) return -EINVAL;
  memcpy(&o, val, sizeof o);
  if (o.reserved || o.reserved2) return -EINVAL;
  /* synack keeps its own counters: setting them is refused. ao_required and accept_icmps are
   * taken as they come (synack drops a keyed peer's unsigned segments either way, RFC 5925
   * §7.3, and handles ICMP as without TCP-AO; docs/preload.md). */
  if (o.set_counters) return -EOPNOTSUPP;
  synack_tcp_ao_info_t in = { .set_current = o.set_current, .set_rnext = o.set_rnext,
                              .current_key = o.current_key, .rnext = o.rnext };
  return synack_setsockopt_tcp_ao_info(pl.st, s->h, &in);
}

int pl_auth_set(pl_sock_t *s, int name, const void *val, socklen_t len) {
  if (!val) return -EFAULT;
  switch (name) {
    case TCP_MD5SIG:
    case TCP_MD5SIG_EXT: return set_md5(s, name, val, len);
    case PL_TCP_AO_ADD_KEY: return set_ao_add(s, val, len);
    case PL_TCP_AO_DEL_KEY: return set_ao_del(s, val, len);
    case PL_TCP_AO_INFO: return set_ao_info(s, val, len);
    default: return 1;
  }
}

int pl_auth_get(pl_sock_t *s, int name, void *val, socklen_t *len) {
  if (name != PL_TCP_AO_INFO) return 1; /* Linux cannot read TCP_MD5SIG back either */
  if (!val || !len) return -EFAULT;
  if (*len < (socklen_t)sizeof(struct pl_tcp_ao_info_opt)) return -EINVAL;
  synack_tcp_ao_info_t i;
  int r = synack_getsockopt_tcp_ao_info(pl.st, s->h, &i);
  if (r < 0) return r;
  struct pl_tcp_ao_info_opt o;
  memset(&o, 0, sizeof o);
  o.set_current = i.set_current;
  o.set_rnext = i.set_rnext;
  o.ao_required = 1;
  o.current_key = i.current_key;
  o.rnext = i.rnext;
  o.pkt_good = i.pkt_good;
  o.pkt_bad = i.pkt_bad;
  o.pkt_key_not_found = i.pkt_key_not_found;
  o.pkt_ao_required = i.pkt_ao_required;
  memcpy(val, &o, sizeof o);
  *len = sizeof o;
  return 0;
}
