/* attack_tool: the attacker of the attack suite (tests/attack/t_*.sh). It writes raw Ethernet
 * frames to the kernel's side of the TAP through an AF_PACKET socket, so they reach `synack
 * serve` exactly as frames from the wire would, at a paced rate with sendmmsg batches, and prints
 * what it sent and the rate it achieved. Linux and root only; addresses from 198.18.0.0/15 and
 * fd00::/8 (the suite's namespace), never anything else.
 *
 *   attack_tool syn       --if IF --dmac MAC --dst IP --dport P --rate PPS --secs S
 *       SYNs from random sources in 198.19.0.0/16 (off-link: synack answers through its gateway,
 *       the kernel, which drops them) with random ports and ISNs.
 *   attack_tool inject    --if IF --dmac MAC --dst IP --dport P --src IP --sport P --kind rst|syn|fin|data
 *                         --step W --rate PPS [--secs S]
 *       A blind attacker who knows the 4-tuple but not the sequence numbers: one segment at every
 *       window position (sequence 0, W, 2W, ... up to 2^32), with a guessed acknowledgment.
 *   attack_tool fragfill  --if IF --dmac MAC --dst IP --dport P --rate PPS --secs S
 *       Fragments that never complete from random sources (see mode_fragfill).
 *   attack_tool malformed --if IF --dmac MAC --dst IP --dport P --src IP --sport P
 *                         --dst6 IP6 --src6 IP6 --rate PPS --secs S
 *       Malformed frames in round robin (see the kinds below), plus spoofed ICMP errors about the
 *       live connection quoting a wrong and a right sequence number (the right one is learned by
 *       watching synack's segments on the same interface) and a "fragmentation needed, MTU 68".
 *       Prints one line per kind: "kind NAME sent N expect DROP_REASON".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/synack.h"
#include "wire_bytes.h"

#define BATCH 64
#define FRAME_MAX 1600

typedef struct {
  const char *ifname;
  uint8_t smac[6], dmac[6];
  synack_ip_t dst, src, dst6, src6;
  uint16_t dport, sport;
  double rate, secs;
  uint32_t step;
  const char *kind;
  int ifindex;
  int fd;       /* sending socket */
  int sniff;    /* receiving socket (inject and malformed modes), -1 otherwise */
  bool lossless; /* wait for room in the TAP's queue instead of losing frames (inject) */
  uint64_t pure_acks; /* segments without data, SYN or RST synack sent on the live connection */
  uint64_t rng;
  /* learned from synack's segments (malformed mode) */
  uint32_t live_seq, live_ack;
  bool live_known;
} tool_t;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd(tool_t *t) {
  t->rng ^= t->rng << 13;
  t->rng ^= t->rng >> 7;
  t->rng ^= t->rng << 17;
  return (uint32_t)(t->rng >> 11);
}

static int parse_mac(const char *s, uint8_t out[6]) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) out[i] = (uint8_t)v[i];
  return 0;
}

static void die(const char *what) {
  fprintf(stderr, "attack_tool: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void open_sockets(tool_t *t, bool sniff) {
  t->fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, receive nothing */
  if (t->fd < 0) die("socket(AF_PACKET)");
  t->ifindex = (int)if_nametoindex(t->ifname);
  if (!t->ifindex) die(t->ifname);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", t->ifname);
  if (ioctl(t->fd, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
  memcpy(t->smac, ifr.ifr_hwaddr.sa_data, 6);
  int one = 1;
  /* A frame handed to the TAP stays charged to this socket until synack reads it; with the default
   * buffer the sender would block at synack's pace. A large buffer lets the TAP's own queue
   * overflow instead (counted in the device's tx_dropped), as a NIC's ring would under a flood. */
  int sndbuf = 64 << 20;
  if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
    (void)setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  /* Straight to the device: the kernel's queueing discipline would only add cost. */
  (void)setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = t->ifindex;
  if (bind(t->fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind");
  t->sniff = -1;
  if (!sniff) return;
  t->sniff = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_IP));
  if (t->sniff < 0) die("socket(AF_PACKET sniff)");
  (void)setsockopt(t->sniff, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  int rcvbuf = 32 << 20;
  if (setsockopt(t->sniff, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    (void)setsockopt(t->sniff, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sll.sll_protocol = htons(ETH_P_IP);
  if (bind(t->sniff, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind sniff");
}

/* Reads what synack sent on the live connection (dst port = the client's) and remembers the
 * latest sequence number it used: the "right" quote of a spoofed ICMP error. */
static void sniff(tool_t *t) {
  uint8_t b[FRAME_MAX];
  for (int i = 0; i < 4096; i++) {
    ssize_t n = recv(t->sniff, b, sizeof b, MSG_TRUNC);
    if (n < 0) return;
    if (n < 14 + 20 + 20) continue;
    if (n > (ssize_t)sizeof b) n = (ssize_t)sizeof b;
    const uint8_t *ip = b + 14;
    if (rd16(b + 12) != 0x0800 || (ip[0] >> 4) != 4 || ip[9] != SYNACK_IPPROTO_TCP) continue;
    if (memcmp(ip + 12, t->dst.b, 4) != 0) continue;
    const uint8_t *th = ip + (ip[0] & 15) * 4;
    if (th + 20 > b + n || rd16(th) != t->dport || rd16(th + 2) != t->sport) continue;
    t->live_seq = rd32(th + 4);
    t->live_ack = rd32(th + 8);
    t->live_known = true;
    size_t doff = (size_t)(th[12] >> 4) * 4, ip_len = rd16(ip + 2), ihl = (size_t)(ip[0] & 15) * 4;
    if ((th[13] & (SYNACK_TCP_SYN | SYNACK_TCP_RST | SYNACK_TCP_FIN)) == 0 && ip_len == ihl + doff) t->pure_acks++;
  }
}

/* ---------- frame building ---------- */

/* The TCP checksum over the pseudo-header (the tool links only the core's checksum and address
 * code, unsanitized, so that it keeps its rate in the sanitizer builds of make check). */
static void tcp_csum(uint8_t *seg, size_t len, const synack_ip_t *src, const synack_ip_t *dst) {
  wr16(seg + 16, 0);
  uint32_t sum = synack_csum_pseudo(src, dst, SYNACK_IPPROTO_TCP, (uint32_t)len);
  wr16(seg + 16, synack_csum_finish(synack_csum_add(sum, seg, len)));
}

static size_t eth(tool_t *t, uint8_t *f, uint16_t type) {
  memcpy(f, t->dmac, 6);
  memcpy(f + 6, t->smac, 6);
  wr16(f + 12, type);
  return 14;
}

/* A 20-byte IPv4 header with a correct checksum. */
static void ip4_hdr(uint8_t *ip, const synack_ip_t *src, const synack_ip_t *dst, uint8_t proto, size_t total,
                    uint16_t id, uint16_t frag) {
  memset(ip, 0, 20);
  ip[0] = 0x45;
  wr16(ip + 2, (uint16_t)total);
  wr16(ip + 4, id);
  wr16(ip + 6, frag);
  ip[8] = 64;
  ip[9] = proto;
  memcpy(ip + 12, src->b, 4);
  memcpy(ip + 16, dst->b, 4);
  wr16(ip + 10, synack_csum_finish(synack_csum_add(0, ip, 20)));
}

/* A TCP header (+ opt_len bytes of options already at th + 20, + payload) with its checksum. */
static size_t tcp_hdr(uint8_t *th, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                      size_t opt_len, size_t payload, const synack_ip_t *src, const synack_ip_t *dst) {
  wr16(th, sport);
  wr16(th + 2, dport);
  wr32(th + 4, seq);
  wr32(th + 8, ack);
  th[12] = (uint8_t)(((20 + opt_len) / 4) << 4);
  th[13] = flags;
  wr16(th + 14, 65535);
  wr16(th + 16, 0);
  wr16(th + 18, 0);
  size_t len = 20 + opt_len + payload;
  tcp_csum(th, len, src, dst);
  return len;
}

/* Ethernet + IPv4 + TCP. Returns the frame length; th (if not NULL) points at the TCP header. */
static size_t tcp4_frame(tool_t *t, uint8_t *f, const synack_ip_t *src, uint16_t sport, uint32_t seq, uint32_t ack,
                         uint8_t flags, const uint8_t *opts, size_t opt_len, size_t payload) {
  size_t o = eth(t, f, 0x0800);
  uint8_t *ip = f + o, *th = ip + 20;
  if (opt_len) memcpy(th + 20, opts, opt_len);
  for (size_t i = 0; i < payload; i++) th[20 + opt_len + i] = (uint8_t)('A' + i % 26);
  size_t l4 = tcp_hdr(th, sport, t->dport, seq, ack, flags, opt_len, payload, src, &t->dst);
  ip4_hdr(ip, src, &t->dst, SYNACK_IPPROTO_TCP, 20 + l4, (uint16_t)rnd(t), 0x4000);
  return o + 20 + l4;
}

/* ---------- sending ---------- */

typedef struct {
  uint8_t buf[BATCH][FRAME_MAX];
  size_t len[BATCH];
  int n;
  uint64_t sent, errors, busy; /* busy: offered but refused by the full device queue */
} batch_t;

static void flush(tool_t *t, batch_t *b) {
  struct mmsghdr m[BATCH];
  struct iovec iov[BATCH];
  memset(m, 0, sizeof m);
  for (int i = 0; i < b->n; i++) {
    iov[i].iov_base = b->buf[i];
    iov[i].iov_len = b->len[i];
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  int done = 0, tries = 0;
  while (done < b->n && tries++ < 100000) {
    int r = sendmmsg(t->fd, m + done, (unsigned)(b->n - done), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if ((errno == ENOBUFS || errno == EAGAIN) && t->lossless) { /* every frame must arrive: wait */
        struct timespec ts = { 0, 50000 };
        nanosleep(&ts, NULL);
        continue;
      }
      if (errno == ENOBUFS || errno == EAGAIN) {
        /* The TAP's queue is full (synack has not read it yet): a flooder does not wait, the
         * frames are lost at the device as at a full NIC ring. Counted apart from "sent". */
        b->busy += (uint64_t)(b->n - done);
        break;
      }
      b->errors++;
      break;
    }
    done += r;
  }
  b->sent += (uint64_t)done;
  b->n = 0;
}

/* Waits until `count` frames are due at `rate` since `start`. */
static void pace(const tool_t *t, uint64_t start, uint64_t count) {
  if (t->rate <= 0) return;
  uint64_t due = start + (uint64_t)((double)count * 1e9 / t->rate);
  for (;;) {
    uint64_t n = now_ns();
    if (n >= due) return;
    uint64_t d = due - n;
    struct timespec ts = { (time_t)(d / 1000000000ull), (long)(d % 1000000000ull) };
    nanosleep(&ts, NULL);
  }
}

static void report(const char *what, const batch_t *b, uint64_t start) {
  double secs = (double)(now_ns() - start) / 1e9;
  printf("%s: offered %llu frames in %.2f s: %.0f frames/s; the device took %llu (%.0f frames/s), "
         "%llu found its queue full; send errors %llu\n",
         what, (unsigned long long)(b->sent + b->busy), secs, (double)(b->sent + b->busy) / secs,
         (unsigned long long)b->sent, (double)b->sent / secs, (unsigned long long)b->busy,
         (unsigned long long)b->errors);
  fflush(stdout);
}

/* ---------- modes ---------- */

static int mode_syn(tool_t *t) {
  static batch_t b;
  static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1 }; /* mss 1460, sackOK, ws 7 */
  uint64_t start = now_ns(), end = start + (uint64_t)(t->secs * 1e9);
  uint64_t i = 0;
  while (now_ns() < end) {
    for (b.n = 0; b.n < BATCH; b.n++, i++) {
      uint32_t r = rnd(t);
      synack_ip_t src = synack_ip4(198, 19, (uint8_t)(r >> 8), (uint8_t)r);
      if (src.b[3] == 0 || src.b[3] == 255) src.b[3] = 1;
      uint16_t sport = (uint16_t)(1024 + (r >> 16) % 60000);
      b.len[b.n] = tcp4_frame(t, b.buf[b.n], &src, sport, rnd(t), 0, SYNACK_TCP_SYN, opts, sizeof opts, 0);
    }
    flush(t, &b);
    pace(t, start, i);
  }
  report("syn flood", &b, start);
  printf("syn flood: sources 198.19.0.0/16 (65,534 addresses), random ports\n");
  return b.errors ? 1 : 0;
}

static int mode_inject(tool_t *t) {
  static batch_t b;
  uint8_t flags;
  size_t payload = 0;
  if (strcmp(t->kind, "rst") == 0) flags = SYNACK_TCP_RST;
  else if (strcmp(t->kind, "syn") == 0) flags = SYNACK_TCP_SYN;
  else if (strcmp(t->kind, "fin") == 0) flags = SYNACK_TCP_FIN | SYNACK_TCP_ACK;
  else if (strcmp(t->kind, "data") == 0) {
    flags = SYNACK_TCP_ACK | SYNACK_TCP_PSH;
    payload = 64;
  } else {
    fprintf(stderr, "attack_tool: --kind rst|syn|fin|data\n");
    return 2;
  }
  if (!t->step) t->step = 65535;
  uint64_t start = now_ns(), end = t->secs > 0 ? start + (uint64_t)(t->secs * 1e9) : UINT64_MAX;
  uint64_t i = 0, positions = ((1ull << 32) + t->step - 1) / t->step;
  uint32_t guess_ack = rnd(t); /* blind: the attacker does not know SND.NXT either */
  while (i < positions && now_ns() < end) {
    for (b.n = 0; b.n < BATCH && i < positions; b.n++, i++) {
      uint32_t seq = (uint32_t)(i * t->step);
      b.len[b.n] = tcp4_frame(t, b.buf[b.n], &t->src, t->sport, seq, flags & SYNACK_TCP_ACK ? guess_ack : 0, flags,
                              NULL, 0, payload);
    }
    flush(t, &b);
    sniff(t);
    pace(t, start, i);
  }
  /* The answers to the last frames. */
  for (int k = 0; k < 20; k++) {
    struct timespec ts = { 0, 10000000 };
    nanosleep(&ts, NULL);
    sniff(t);
  }
  char what[64];
  snprintf(what, sizeof what, "inject %s", t->kind);
  report(what, &b, start);
  printf("inject %s: %llu of %llu window positions (step %u); synack answered with %llu pure ACKs\n", t->kind,
         (unsigned long long)i, (unsigned long long)positions, t->step, (unsigned long long)t->pure_acks);
  return i == positions ? 0 : 1;
}

/* Fragment-table fill: from random sources in 198.19.0.0/16, the last 8 bytes of a datagram of
 * 65,528 (offset 65,520, MF clear) — a context that would reserve the whole datagram if memory
 * were charged up to the highest offset — and a first fragment (offset 0, MF) of another, each
 * with a fresh identification: none ever completes. */
#define LEGIT_PORT0 50000
#define LEGIT_MAX 1024

/* A legitimate SYN from --src (port LEGIT_PORT0 + k) cut in two 16-byte fragments. */
static void legit_frag_syn(tool_t *t, batch_t *b, uint32_t k) {
  static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 1, 1, 1, 1, 1, 1, 0 }; /* mss 1460, nops, eol */
  uint8_t seg[32];
  memcpy(seg + 20, opts, sizeof opts);
  tcp_hdr(seg, (uint16_t)(LEGIT_PORT0 + k), t->dport, rnd(t), 0, SYNACK_TCP_SYN, sizeof opts, 0, &t->src, &t->dst);
  uint16_t id = (uint16_t)rnd(t);
  for (int i = 0; i < 2; i++) {
    uint8_t *f = b->buf[b->n];
    size_t o = eth(t, f, 0x0800);
    memcpy(f + o + 20, seg + 16 * i, 16);
    ip4_hdr(f + o, &t->src, &t->dst, SYNACK_IPPROTO_TCP, 36, id, (uint16_t)(i ? 2 : 0x2000));
    b->len[b->n++] = o + 36;
  }
}

/* Counts the SYN-ACKs synack sent to the legitimate ports (each port once). */
static uint32_t sniff_synacks(tool_t *t, uint8_t *answered) {
  uint8_t fb[FRAME_MAX];
  uint32_t n = 0;
  for (int i = 0; i < 4096; i++) {
    ssize_t len = recv(t->sniff, fb, sizeof fb, MSG_TRUNC);
    if (len < 0) break;
    if (len < 14 + 40 || rd16(fb + 12) != 0x0800) continue;
    const uint8_t *ip = fb + 14, *th = ip + (ip[0] & 15) * 4;
    if (ip[9] != SYNACK_IPPROTO_TCP || memcmp(ip + 12, t->dst.b, 4) != 0 || th + 20 > fb + len) continue;
    uint16_t port = rd16(th + 2);
    if ((th[13] & (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) != (SYNACK_TCP_SYN | SYNACK_TCP_ACK)) continue;
    if (port < LEGIT_PORT0 || port >= LEGIT_PORT0 + LEGIT_MAX || answered[port - LEGIT_PORT0]) continue;
    answered[port - LEGIT_PORT0] = 1;
    n++;
  }
  return n;
}

static int mode_fragfill(tool_t *t) {
  static batch_t b;
  static uint8_t answered[LEGIT_MAX];
  uint64_t start = now_ns(), end = start + (uint64_t)(t->secs * 1e9);
  uint64_t i = 0, next_legit = start + 500000000ull;
  uint32_t legit_sent = 0, legit_ok = 0;
  bool legit = t->src.family == SYNACK_AF_INET;
  while (now_ns() < end) {
    if (legit) legit_ok += sniff_synacks(t, answered);
    if (t->rate <= 0) { /* --rate 0: the legitimate fragments alone (the baseline) */
      b.n = 0;
      if (legit && now_ns() >= next_legit && legit_sent < LEGIT_MAX && now_ns() + 500000000ull < end) {
        legit_frag_syn(t, &b, legit_sent++);
        next_legit += 100000000ull;
      }
      flush(t, &b);
      struct timespec ts = { 0, 10000000 };
      nanosleep(&ts, NULL);
      continue;
    }
    for (b.n = 0; b.n < BATCH; b.n++, i++) {
      uint32_t r = rnd(t);
      synack_ip_t src = synack_ip4(198, 19, (uint8_t)(r >> 8), (uint8_t)(1 + r % 254));
      uint8_t *f = b.buf[b.n];
      size_t o = eth(t, f, 0x0800);
      memset(f + o + 20, 0x5a, 8);
      uint16_t frag = (i & 1) ? (uint16_t)(65520 / 8) : 0x2000;
      ip4_hdr(f + o, &src, &t->dst, SYNACK_IPPROTO_UDP, 28, (uint16_t)(r >> 16), frag);
      b.len[b.n] = o + 28;
      /* Every 100 ms (after the first 500), a legitimate fragmented SYN among the attack's. */
      if (legit && b.n + 3 < BATCH && now_ns() >= next_legit && legit_sent < LEGIT_MAX && now_ns() + 500000000ull < end) {
        b.n++;
        legit_frag_syn(t, &b, legit_sent++);
        b.n--;
        next_legit += 100000000ull;
      }
    }
    flush(t, &b);
    pace(t, start, i);
  }
  for (int k = 0; legit && k < 20; k++) {
    struct timespec ts = { 0, 10000000 };
    nanosleep(&ts, NULL);
    legit_ok += sniff_synacks(t, answered);
  }
  report("fragment fill", &b, start);
  if (legit) printf("fragment fill: legitimate fragmented SYNs sent %u, answered %u\n", legit_sent, legit_ok);
  return b.errors ? 1 : 0;
}

/* ---- malformed kinds: each builds one frame (or a few: fragments) ---- */

typedef struct {
  const char *name;
  const char *expect; /* the drop reason (or counter) synack must count it under */
  int (*build)(tool_t *t, batch_t *b);
  uint64_t sent;
} kind_t;

static uint8_t *slot(batch_t *b) { return b->buf[b->n]; }

static int push(batch_t *b, size_t len) {
  b->len[b->n++] = len;
  return 1;
}

/* A valid segment to the live connection's tuple with a random (blind) sequence number. */
static size_t live_seg(tool_t *t, uint8_t *f, const uint8_t *opts, size_t opt_len) {
  return tcp4_frame(t, f, &t->src, t->sport, rnd(t), rnd(t), SYNACK_TCP_ACK, opts, opt_len, 0);
}

static int k_ip_csum(tool_t *t, batch_t *b) {
  uint8_t *f = slot(b);
  size_t n = live_seg(t, f, NULL, 0);
  f[14 + 10] ^= 0x5a;
  return push(b, n);
}
static int k_tcp_csum(tool_t *t, batch_t *b) {
  uint8_t *f = slot(b);
  size_t n = live_seg(t, f, NULL, 0);
  f[14 + 20 + 16] ^= 0x5a;
  return push(b, n);
}
static int k_ihl(tool_t *t, batch_t *b) {
  uint8_t *f = slot(b);
  size_t n = live_seg(t, f, NULL, 0);
  uint8_t *ip = f + 14;
  ip[0] = (uint8_t)(0x40 | (rnd(t) % 5)); /* IHL 0..4 */
  wr16(ip + 10, 0);
  wr16(ip + 10, synack_csum_finish(synack_csum_add(0, ip, 20)));
  return push(b, n);
}
static int k_totlen(tool_t *t, batch_t *b) {
  uint8_t *f = slot(b);
  size_t n = live_seg(t, f, NULL, 0);
  uint8_t *ip = f + 14;
  wr16(ip + 2, (uint16_t)(n - 14 + 1 + rnd(t) % 1000)); /* past the frame */
  wr16(ip + 10, 0);
  wr16(ip + 10, synack_csum_finish(synack_csum_add(0, ip, 20)));
  return push(b, n);
}
/* Data offset below 5 (0..4) or beyond the segment; the TCP checksum stays right. */
static int k_doff(tool_t *t, batch_t *b) {
  uint8_t *f = slot(b);
  size_t n = live_seg(t, f, NULL, 0);
  uint8_t *th = f + 14 + 20;
  uint32_t r = rnd(t) % 6;
  th[12] = (uint8_t)((r < 5 ? r : 6 + rnd(t) % 10) << 4);
  wr16(th + 16, 0);
  tcp_csum(th, n - 34, &t->src, &t->dst);
  return push(b, n);
}
static int k_opt0(tool_t *t, batch_t *b) {
  static const uint8_t o[] = { 8, 0, 0, 0 }; /* kind 8 (TS) with length 0 */
  return push(b, live_seg(t, slot(b), o, sizeof o));
}
static int k_opt1(tool_t *t, batch_t *b) {
  static const uint8_t o[] = { 30, 1, 1, 1 }; /* an unknown kind with length 1 */
  return push(b, live_seg(t, slot(b), o, sizeof o));
}
static int k_opt_overrun(tool_t *t, batch_t *b) {
  static const uint8_t o[] = { 1, 1, 30, 12 }; /* length 12 in a 4-byte option area */
  return push(b, live_seg(t, slot(b), o, sizeof o));
}
/* Two fragments of one datagram, the second overlapping the first (RFC 5722 drops both). */
static int k_frag_overlap(tool_t *t, batch_t *b) {
  if (b->n + 2 > BATCH) return 0;
  uint16_t id = (uint16_t)rnd(t);
  for (int i = 0; i < 2; i++) {
    uint8_t *f = slot(b);
    size_t o = eth(t, f, 0x0800);
    memset(f + o + 20, 0x11, 24);
    /* first: offset 0, 24 bytes, MF; second: offset 16 (overlapping 8 bytes), 24 bytes, MF */
    ip4_hdr(f + o, &t->src, &t->dst, SYNACK_IPPROTO_TCP, 44, id, (uint16_t)(0x2000 | (i ? 2 : 0)));
    push(b, o + 44);
  }
  return 2;
}
/* A RST to a closed port cut into 8-byte fragments (the TCP header itself split in three). */
static int k_frag_tiny(tool_t *t, batch_t *b) {
  if (b->n + 3 > BATCH) return 0;
  uint8_t seg[24];
  wr16(seg, t->sport);
  wr16(seg + 2, 9); /* discard: nothing listens there */
  wr32(seg + 4, rnd(t));
  wr32(seg + 8, 0);
  seg[12] = 0x50;
  seg[13] = SYNACK_TCP_RST;
  wr16(seg + 14, 0);
  wr16(seg + 16, 0);
  wr16(seg + 18, 0);
  tcp_csum(seg, 20, &t->src, &t->dst);
  uint16_t id = (uint16_t)rnd(t);
  for (int i = 0; i < 3; i++) {
    size_t flen = i < 2 ? 8 : 4;
    uint8_t *f = slot(b);
    size_t o = eth(t, f, 0x0800);
    memcpy(f + o + 20, seg + i * 8, flen);
    ip4_hdr(f + o, &t->src, &t->dst, SYNACK_IPPROTO_TCP, 20 + flen, id, (uint16_t)((i < 2 ? 0x2000 : 0) | i));
    push(b, o + 20 + flen);
  }
  return 3;
}

/* IPv6 with a chain of `n` extension headers of type nh_ext, then TCP (a RST to the live port). */
static size_t ip6_chain(tool_t *t, uint8_t *f, const uint8_t *types, int n, bool truncate) {
  size_t o = eth(t, f, 0x86dd);
  uint8_t *ip = f + o;
  size_t p = 40;
  for (int i = 0; i < n; i++) {
    ip[p] = i + 1 < n ? types[i + 1] : SYNACK_IPPROTO_TCP;
    ip[p + 1] = 0; /* 8 bytes */
    memset(ip + p + 2, 0, 6);
    if (types[i] == SYNACK_IP6_NH_ROUTING) {
      ip[p + 2] = 0; /* type 0 (deprecated) */
      ip[p + 3] = 1; /* segments left 1 */
    } else {
      ip[p + 2] = 1; /* PadN covering the rest */
      ip[p + 3] = 4;
    }
    p += 8;
  }
  uint8_t *th = ip + p;
  wr16(th, t->sport);
  wr16(th + 2, t->dport);
  wr32(th + 4, rnd(t));
  wr32(th + 8, 0);
  th[12] = 0x50;
  th[13] = SYNACK_TCP_RST;
  wr16(th + 14, 0);
  wr16(th + 16, 0);
  wr16(th + 18, 0);
  tcp_csum(th, 20, &t->src6, &t->dst6);
  p += 20;
  if (truncate) p = 40 + 4; /* the first extension header cut in the middle */
  ip[0] = 0x60;
  ip[1] = ip[2] = ip[3] = 0;
  wr16(ip + 4, (uint16_t)(p - 40));
  ip[6] = n ? types[0] : SYNACK_IPPROTO_TCP;
  ip[7] = 64;
  memcpy(ip + 8, t->src6.b, 16);
  memcpy(ip + 24, t->dst6.b, 16);
  return o + p;
}
static int k_ip6_long_chain(tool_t *t, batch_t *b) {
  uint8_t types[SYNACK_IP6_MAX_EXTHDRS + 4];
  for (size_t i = 0; i < sizeof types; i++) types[i] = SYNACK_IP6_NH_DSTOPTS;
  return push(b, ip6_chain(t, slot(b), types, (int)sizeof types, false));
}
static int k_ip6_truncated(tool_t *t, batch_t *b) {
  static const uint8_t types[] = { SYNACK_IP6_NH_DSTOPTS };
  return push(b, ip6_chain(t, slot(b), types, 1, true));
}
static int k_ip6_hbh_late(tool_t *t, batch_t *b) {
  static const uint8_t types[] = { SYNACK_IP6_NH_DSTOPTS, SYNACK_IP6_NH_HOPOPTS };
  return push(b, ip6_chain(t, slot(b), types, 2, false));
}
static int k_ip6_routing(tool_t *t, batch_t *b) {
  static const uint8_t types[] = { SYNACK_IP6_NH_ROUTING };
  return push(b, ip6_chain(t, slot(b), types, 1, false));
}

/* ICMP (v4) error from the client's address quoting a segment synack sent on the live
 * connection with sequence number seq. */
static size_t icmp_quote(tool_t *t, uint8_t *f, uint8_t type, uint8_t code, uint16_t mtu, uint32_t seq) {
  size_t o = eth(t, f, 0x0800);
  uint8_t *ip = f + o, *ic = ip + 20, *q = ic + 8;
  /* the quoted datagram: synack -> client, IPv4 header + the first 8 bytes of TCP */
  ip4_hdr(q, &t->dst, &t->src, SYNACK_IPPROTO_TCP, 1500, (uint16_t)rnd(t), 0x4000);
  wr16(q + 20, t->dport);
  wr16(q + 22, t->sport);
  wr32(q + 24, seq);
  ic[0] = type;
  ic[1] = code;
  wr16(ic + 2, 0);
  wr16(ic + 4, 0);
  wr16(ic + 6, mtu);
  wr16(ic + 2, synack_csum_finish(synack_csum_add(0, ic, 8 + 28)));
  ip4_hdr(ip, &t->src, &t->dst, SYNACK_IPPROTO_ICMP, 20 + 8 + 28, (uint16_t)rnd(t), 0);
  return o + 20 + 8 + 28;
}
static int k_icmp_wrong_seq(tool_t *t, batch_t *b) {
  /* far from anything in flight (the window is at most a few MB) */
  uint32_t seq = t->live_seq + 0x40000000u + rnd(t) % 0x40000000u;
  return push(b, icmp_quote(t, slot(b), 3, 1 /* host unreachable */, 0, seq));
}
static int k_icmp_right_seq(tool_t *t, batch_t *b) {
  if (!t->live_known) return 0;
  return push(b, icmp_quote(t, slot(b), 3, 1, 0, t->live_seq));
}
static int k_icmp_mtu68(tool_t *t, batch_t *b) {
  if (!t->live_known) return 0;
  return push(b, icmp_quote(t, slot(b), 3, 4 /* fragmentation needed */, 68, t->live_seq));
}
static int k_icmp_csum(tool_t *t, batch_t *b) {
  uint8_t *f = slot(b);
  size_t n = icmp_quote(t, f, 3, 1, 0, t->live_seq);
  f[14 + 20 + 2] ^= 0x5a;
  return push(b, n);
}

static int mode_malformed(tool_t *t) {
  static batch_t b;
  kind_t kinds[] = {
    { "ip4-bad-checksum", "IP4_BAD_CHECKSUM", k_ip_csum, 0 },
    { "tcp-bad-checksum", "TCP_BAD_CHECKSUM", k_tcp_csum, 0 },
    { "ip4-ihl-below-5", "IP4_BAD_IHL", k_ihl, 0 },
    { "ip4-totlen-past-frame", "IP4_TOTLEN_GT_FRAME", k_totlen, 0 },
    { "tcp-doff-0-4-or-past", "TCP_BAD_DOFF", k_doff, 0 },
    { "tcp-opt-len-0", "TCP_OPT_LEN_0", k_opt0, 0 },
    { "tcp-opt-len-1", "TCP_OPT_LEN_1", k_opt1, 0 },
    { "tcp-opt-overrun", "TCP_OPT_PAST_HDR", k_opt_overrun, 0 },
    { "frag-overlap", "FRAG_OVERLAP", k_frag_overlap, 0 },
    { "frag-tiny", "REASSEMBLED", k_frag_tiny, 0 },
    { "ip6-long-ext-chain", "IP6_TOO_MANY_EXTHDRS", k_ip6_long_chain, 0 },
    { "ip6-truncated-ext", "IP6_BAD_EXTHDR", k_ip6_truncated, 0 },
    { "ip6-hbh-not-first", "IP6_HBH_NOT_FIRST", k_ip6_hbh_late, 0 },
    { "ip6-routing-left", "IP6_ROUTING_UNSUPPORTED", k_ip6_routing, 0 },
    { "icmp-bad-checksum", "ICMP_BAD_CHECKSUM", k_icmp_csum, 0 },
    { "icmp-wrong-seq", "ICMP_BAD_QUOTE", k_icmp_wrong_seq, 0 },
    { "icmp-right-seq", "ICMP_ERRORS_IN", k_icmp_right_seq, 0 },
    { "icmp-frag-needed-68", "ICMP_ERRORS_IN", k_icmp_mtu68, 0 },
  };
  size_t nk = sizeof kinds / sizeof kinds[0];
  uint64_t start = now_ns(), end = start + (uint64_t)(t->secs * 1e9);
  uint64_t total = 0;
  size_t k = 0;
  while (now_ns() < end) {
    sniff(t);
    b.n = 0;
    while (b.n < BATCH - 4) {
      int n = kinds[k].build(t, &b);
      kinds[k].sent += (uint64_t)n;
      total += (uint64_t)n;
      k = (k + 1) % nk;
    }
    flush(t, &b);
    pace(t, start, total);
  }
  report("malformed", &b, start);
  for (size_t i = 0; i < nk; i++)
    printf("kind %s sent %llu expect %s\n", kinds[i].name, (unsigned long long)kinds[i].sent, kinds[i].expect);
  printf("live connection seq learned: %s\n", t->live_known ? "yes" : "no");
  return b.errors ? 1 : 0;
}

static int usage(void) {
  fprintf(stderr, "usage: attack_tool syn|inject|fragfill|malformed --if IF --dmac MAC --dst IP --dport P [options]\n"
                  "  (see the comment at the top of tests/attack/attack_tool.c)\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  tool_t t;
  memset(&t, 0, sizeof t);
  t.rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() ^ now_ns();
  t.secs = 5;
  t.kind = "rst";
  const char *mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    int bad = 0;
    if (strcmp(k, "--if") == 0) t.ifname = v;
    else if (strcmp(k, "--dmac") == 0) bad = parse_mac(v, t.dmac);
    else if (strcmp(k, "--dst") == 0) bad = synack_ip_parse(v, &t.dst);
    else if (strcmp(k, "--src") == 0) bad = synack_ip_parse(v, &t.src);
    else if (strcmp(k, "--dst6") == 0) bad = synack_ip_parse(v, &t.dst6);
    else if (strcmp(k, "--src6") == 0) bad = synack_ip_parse(v, &t.src6);
    else if (strcmp(k, "--dport") == 0) t.dport = (uint16_t)atoi(v);
    else if (strcmp(k, "--sport") == 0) t.sport = (uint16_t)atoi(v);
    else if (strcmp(k, "--rate") == 0) t.rate = atof(v);
    else if (strcmp(k, "--secs") == 0) t.secs = atof(v);
    else if (strcmp(k, "--step") == 0) t.step = (uint32_t)strtoul(v, NULL, 0);
    else if (strcmp(k, "--kind") == 0) t.kind = v;
    else bad = 1;
    if (bad) {
      fprintf(stderr, "attack_tool: bad option %s %s\n", k, v);
      return 2;
    }
  }
  if (!t.ifname || !t.dport || t.dst.family != SYNACK_AF_INET) return usage();
  /* Refuse anything outside the benchmarking and ULA ranges: this tool must never aim elsewhere. */
  if (t.dst.b[0] != 198 || (t.dst.b[1] & 0xfe) != 18) {
    fprintf(stderr, "attack_tool: destination outside 198.18.0.0/15\n");
    return 2;
  }
  if (t.secs <= 0 || t.secs > 120) t.secs = 5;
  if (strcmp(mode, "syn") == 0) {
    open_sockets(&t, false);
    return mode_syn(&t);
  }
  if (strcmp(mode, "inject") == 0) {
    t.lossless = true;
    open_sockets(&t, true);
    return mode_inject(&t);
  }
  if (strcmp(mode, "fragfill") == 0) {
    t.lossless = true; /* the legitimate fragments must reach synack */
    open_sockets(&t, true);
    return mode_fragfill(&t);
  }
  if (strcmp(mode, "malformed") == 0) {
    if (t.dst6.family != SYNACK_AF_INET6 || t.dst6.b[0] != 0xfd) {
      fprintf(stderr, "attack_tool: malformed needs --dst6 in fd00::/8\n");
      return 2;
    }
    open_sockets(&t, true);
    return mode_malformed(&t);
  }
  return usage();
}
