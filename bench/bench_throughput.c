/* Bulk throughput: one connection between two synack stacks in one process on one core over
 * the zero-delay memory link (bench/memlink.h), 1 GiB at MTU 1500 and MTU 65535, with and
 * without checksum computation, and with 1 % loss. Baselines measured in the same run:
 *   - Linux kernel TCP over loopback, a sender and a receiver process both pinned to CPU 0
 *     (sched_setaffinity), 1 GiB;
 *   - single-core memcpy bandwidth (4 MiB buffers, 1 GiB copied).
 * The synack runs are pinned to CPU 0 as well. Cycles are TSC reference cycles (rdtsc) over
 * the wall-clock interval, so cycles/byte counts the whole core (both ends of the connection,
 * or both kernel processes, share it).
 *
 * The no-checksum mode uses the documented link options csum_offload_tx / csum_offload_rx
 * (include/synack/config.h): like the kernel's loopback, nothing is computed or verified.
 *
 * Each lossless figure is the best of SYNACK_BENCH_REPS (default 3) rounds. Stacks use the
 * default 256 KiB socket buffers (with loss: room for 64 segments, 4 MiB at MTU 65535) and a
 * 16-frame transmit ring (SYNACK_BENCH_BUF, SYNACK_BENCH_RING). Time is CLOCK_MONOTONIC, so a retransmission timeout
 * costs its real 200+ ms in the loss runs. SYNACK_BENCH_RACK=0 turns RACK-TLP (tcp_rack, on by
 * default) off. The loss runs also print the frames the link dropped, the segments
 * retransmitted per drop, tail loss probes, undos and the goodput relative to the lossless run
 * at the same MTU, both the headline one and one with the loss run's buffers run just before
 * it (issue 13's targets at MTU 1500: no RTO, rtx/lost <= 1.1, >= 0.6x lossless).
 * Environment: SYNACK_BENCH_BYTES (default 1 GiB) per run; SYNACK_BENCH_LOSS_SECONDS (default
 * 10) caps each run with loss (its figure is then bytes moved / time; 0 skips them).
 *
 * Output: a table, then one line per figure:
 *   <name> <value> <unit> baseline_<what> <value> <unit> ratio <value/baseline> ...
 */
#include "memlink.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define PORT 5001

static uint8_t *txbuf, *rxbuf;
static double tsc_ghz;

typedef struct {
  const char *name;
  uint64_t bytes;
  double secs;
  uint64_t tsc;
  uint64_t retrans, rtos, lost, rcv_dropped, tlps, undos, undo_kind[3], lost_rtx, spurious;
  uint8_t check; /* memcpy: a byte read back, printed so the copies are observable */
  bool ok;
} result_t;

static double gbps(const result_t *r) { return r->secs > 0 ? (double)r->bytes * 8 / r->secs / 1e9 : 0; }
static double cpb(const result_t *r) { return r->bytes ? (double)r->tsc / (double)r->bytes : 0; }

static uint64_t env_u64(const char *name, uint64_t def) {
  const char *e = getenv(name);
  return e && *e ? strtoull(e, NULL, 10) : def;
}

/* ---- synack over the memory link ---- */

/* Socket buffers: the default 256 KiB; in the loss runs room for at least 64 full-sized
 * segments (4 MiB at MTU 65535, where a 256 KiB window holds 4 segments, too few for three
 * duplicate ACKs, and every loss would wait for a retransmission timeout; 256 KiB at MTU 1500,
 * which holds 181). Larger buffers only cost cache (measured: 4 MiB runs MTU 1500 lossless at
 * about half the speed of 256 KiB), which would be charged to the loss. SYNACK_BENCH_BUF
 * overrides both. */
static uint32_t bench_buf(uint32_t mtu, bool loss) {
  uint32_t def = 256u << 10;
  if (loss && 64u * mtu > def) def = 64u * mtu;
  return (uint32_t)env_u64("SYNACK_BENCH_BUF", def);
}

/* Signed runs: every segment signed and checked with TCP MD5 (RFC 2385) or TCP-AO (RFC 5925)
 * with one of its two MACs. */
typedef enum { SIG_NONE, SIG_MD5, SIG_AO_SHA1, SIG_AO_CMAC } sigmode_t;

/* The key of socket s for peer (0 on success, or without a signature). */
static int sign(synack_stack_t *st, int s, const synack_ip_t *peer, sigmode_t sig) {
  static const char key[] = "benchmark-master-key";
  switch (sig) {
  case SIG_NONE: return 0;
  case SIG_MD5: {
    synack_tcp_md5sig_t m = {.addr = *peer, .keylen = sizeof key - 1};
    memcpy(m.key, key, sizeof key - 1);
    return synack_setsockopt_md5sig(st, s, &m);
  }
  case SIG_AO_SHA1:
  case SIG_AO_CMAC: {
    synack_tcp_ao_key_t k = {.addr = *peer, .prefixlen = 32, .sndid = 1, .rcvid = 1, .keylen = sizeof key - 1,
                             .alg = sig == SIG_AO_SHA1 ? SYNACK_TCP_AO_ALG_HMAC_SHA1_96 : SYNACK_TCP_AO_ALG_AES_128_CMAC_96};
    memcpy(k.key, key, sizeof key - 1);
    return synack_setsockopt_tcp_ao_add_key(st, s, &k);
  }
  }
  return -1;
}

static result_t run_synack(const char *name, uint32_t mtu, bool csum_skip, uint32_t loss_ppm, uint32_t buf,
                           uint64_t bytes, double cap_s, sigmode_t sig) {
  result_t res = {.name = name};
  synack_config_t ca, cb;
  bl_config(&ca, 1, mtu);
  bl_config(&cb, 2, mtu);
  for (int i = 0; i < 2; i++) {
    synack_config_t *c = i ? &cb : &ca;
    c->csum_offload_tx = csum_skip;
    c->csum_offload_rx = csum_skip;
    /* A short transmit ring: the memory link takes each frame at once, so a deep ring would
     * only spread the working set over more cache (measured: 16 slots beat 64 and 512, at both
     * MTUs). */
    c->tcp_sndbuf = buf;
    c->tcp_rcvbuf = buf;
    c->tcp_rack = env_u64("SYNACK_BENCH_RACK", 1) != 0; /* RFC 8985 RACK-TLP (config.h) */
    c->tx_ring_frames = (uint32_t)env_u64("SYNACK_BENCH_RING", 16);
    if (env_u64("SYNACK_BENCH_RANGES", 0)) c->tcp_ooo_max_ranges = (uint32_t)env_u64("SYNACK_BENCH_RANGES", 0);
  }
  synack_time_t now = bl_now_us();
  bl_link_t l = {.a = synack_stack_new(&ca, now), .b = synack_stack_new(&cb, now), .loss_ppm_ab = loss_ppm,
                 .rng = 0x9e3779b97f4a7c15ull};
  if (!l.a || !l.b) {
    fprintf(stderr, "%s: stack creation failed\n", name);
    return res;
  }
  int ls = synack_socket(l.b, SYNACK_AF_INET);
  if (sign(l.b, ls, &ca.ip4, sig) != 0) fprintf(stderr, "%s: listener key refused\n", name);
  synack_endpoint_t lep = {.port = PORT};
  synack_bind(l.b, ls, &lep);
  synack_listen(l.b, ls, 8);
  int cs = synack_socket(l.a, SYNACK_AF_INET);
  if (sign(l.a, cs, &cb.ip4, sig) != 0) fprintf(stderr, "%s: client key refused\n", name);
  synack_endpoint_t rem = {.ip = cb.ip4, .port = PORT};
  synack_connect(l.a, now, cs, &rem);
  int ss = -1;
  for (int i = 0; i < 1000 && ss < 0; i++) {
    now = bl_now_us();
    bl_pump(&l, now);
    bl_timers(&l, now);
    synack_endpoint_t peer;
    ss = synack_accept(l.b, ls, &peer);
  }
  if (ss < 0) {
    fprintf(stderr, "%s: no connection\n", name);
    goto out;
  }
  uint64_t sent = 0, rcvd = 0;
  uint64_t t0 = bl_now_ns(), c0 = bl_rdtsc();
  uint64_t cap_ns = (uint64_t)(cap_s * 1e9);
  uint64_t iter = 0;
  while (rcvd < bytes) {
    /* The driver reads the clock every 8th pass: once per pass cost ~5 % of the run (vDSO
     * clock_gettime), and microseconds of staleness do not matter to TCP's timers. */
    if ((iter & 7) == 0) now = bl_now_us();
    while (sent < bytes) {
      uint64_t left = bytes - sent;
      size_t off = (size_t)(sent % CHUNK);
      size_t n = left < CHUNK - off ? (size_t)left : CHUNK - off;
      int64_t k = synack_send(l.a, now, cs, txbuf + off, n, 0);
      if (k <= 0) break;
      sent += (uint64_t)k;
    }
    bl_pump(&l, now);
    for (;;) {
      int64_t k = synack_recv(l.b, now, ss, rxbuf, CHUNK, 0);
      if (k <= 0) break;
      rcvd += (uint64_t)k;
    }
    bl_pump(&l, now);
    bl_timers(&l, now);
    if ((++iter & 63) == 0 && cap_s > 0 && bl_now_ns() - t0 > cap_ns) break;
  }
  res.tsc = bl_rdtsc() - c0;
  res.secs = (double)(bl_now_ns() - t0) / 1e9;
  res.bytes = rcvd;
  if (getenv("SYNACK_BENCH_DEBUG")) {
    synack_tcp_info_t ti;
    if (synack_tcp_info(l.a, cs, &ti) == 0)
      fprintf(stderr, "%s: reo_wnd %u us reord %u dsacks %u rtt %u us cwnd %u rtx %u segs %llu bytes (%llu MSS)\n", name,
              ti.reo_wnd_us, ti.reord_seen, ti.dsacks_in, ti.rtt_us, ti.snd_cwnd, ti.total_retrans,
              (unsigned long long)ti.bytes_retrans, (unsigned long long)(ti.bytes_retrans / (ti.snd_mss ? ti.snd_mss : 1)));
  }
  res.ok = rcvd == bytes || cap_s > 0;
  res.retrans = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_RETRANS_SEGS];
  res.rtos = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_RTO_EXPIRED];
  res.lost = l.dropped_ab;
  /* Data the receiver discarded counts as lost too (its out-of-order bounds, config.h). */
  const synack_counters_t *rc = synack_stack_counters(l.b);
  res.rcv_dropped = rc->drops[SYNACK_DROP_TCP_OOO_RANGES_FULL] + rc->drops[SYNACK_DROP_TCP_OOO_NO_MEMORY] +
                    rc->drops[SYNACK_DROP_TCP_RCVBUF_FULL];
  res.tlps = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_TLP_PROBES];
  res.undos = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_SPURIOUS_UNDO];
  res.undo_kind[0] = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_UNDO_DSACK];
  res.undo_kind[1] = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_UNDO_EIFEL];
  res.undo_kind[2] = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_UNDO_FRTO];
  res.lost_rtx = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_LOST_RETRANS];
  res.spurious = synack_stack_counters(l.a)->events[SYNACK_CTR_TCP_SPURIOUS_RETRANS];
out:
  synack_stack_free(l.a);
  synack_stack_free(l.b);
  return res;
}

/* ---- kernel TCP over loopback, both processes pinned to CPU 0 ---- */

static result_t run_kernel(uint64_t bytes) {
  result_t res = {.name = "kernel loopback, pinned"};
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t al = sizeof a;
  if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0 ||
      getsockname(ls, (struct sockaddr *)&a, &al) < 0) {
    perror("kernel baseline: listen");
    return res;
  }
  uint64_t t0 = bl_now_ns(), c0 = bl_rdtsc();
  pid_t pid = fork();
  if (pid == 0) {
    /* Sender (inherits the CPU 0 pinning). */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) _exit(1);
    uint64_t sent = 0;
    while (sent < bytes) {
      uint64_t left = bytes - sent;
      size_t n = left < CHUNK ? (size_t)left : CHUNK;
      ssize_t k = write(s, txbuf, n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) _exit(2);
      sent += (uint64_t)k;
    }
    close(s);
    _exit(0);
  }
  int c = accept(ls, NULL, NULL);
  uint64_t rcvd = 0;
  for (;;) {
    ssize_t k = read(c, rxbuf, CHUNK);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    rcvd += (uint64_t)k;
  }
  res.tsc = bl_rdtsc() - c0;
  res.secs = (double)(bl_now_ns() - t0) / 1e9;
  res.bytes = rcvd;
  int status = 0;
  waitpid(pid, &status, 0);
  res.ok = rcvd == bytes && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  close(c);
  close(ls);
  return res;
}

/* Keeps the faster of two runs of one figure (these machines are shared and noisy: the fastest
 * run is the one least disturbed). */
static void keep_best(result_t *b, result_t r) {
  if (!b->name || (r.ok && (!b->ok || gbps(&r) > gbps(b)))) *b = r;
}

typedef struct {
  const char *name;
  uint32_t mtu;
  bool csum_skip;
  uint64_t bytes;
  sigmode_t sig;
} spec_t;

static result_t run_spec(const spec_t *s) {
  return run_synack(s->name, s->mtu, s->csum_skip, 0, bench_buf(s->mtu, false), s->bytes, 0, s->sig);
}

/* ---- memcpy ---- */

static result_t run_memcpy(uint64_t bytes) {
  result_t res = {.name = "memcpy (4 MiB buffers)"};
  size_t sz = 4u << 20;
  uint8_t *src = malloc(sz), *dst = malloc(sz);
  if (!src || !dst) return res;
  memset(src, 0x5a, sz);
  memset(dst, 0, sz);
  uint64_t t0 = bl_now_ns(), c0 = bl_rdtsc();
  uint64_t done = 0;
  uint8_t sink = 0;
  while (done < bytes) {
    memcpy(dst, src, sz);
    sink ^= dst[done % sz]; /* read back, and change the source, so no copy can be elided */
    src[0]++;
    done += sz;
  }
  res.check = sink;
  res.tsc = bl_rdtsc() - c0;
  res.secs = (double)(bl_now_ns() - t0) / 1e9;
  res.bytes = done;
  res.ok = true;
  free(src);
  free(dst);
  return res;
}

static void print_row(const result_t *r, const result_t *k, const result_t *m) {
  printf("%-34s %9.3f %9.3f %8.2f %10.3f %10.3f %8" PRIu64 " %8" PRIu64 " %6" PRIu64 "%s\n", r->name, gbps(r), cpb(r),
         r->secs, gbps(k) > 0 ? gbps(r) / gbps(k) : 0, gbps(m) > 0 ? gbps(r) / gbps(m) : 0, r->retrans, r->lost,
         r->rtos, r->ok ? "" : "  FAILED");
}

static void print_figure(const char *fig, const result_t *r, const result_t *k, const result_t *m) {
  printf("%s %.4f Gbit/s baseline_kernel_loopback_pinned_cpu0 %.4f Gbit/s ratio %.4f baseline_memcpy %.4f Gbit/s "
         "ratio_memcpy %.4f\n",
         fig, gbps(r), gbps(k), gbps(k) > 0 ? gbps(r) / gbps(k) : 0, gbps(m), gbps(m) > 0 ? gbps(r) / gbps(m) : 0);
  printf("%s_cycles_per_byte %.4f cycles/B baseline_kernel_loopback_pinned_cpu0 %.4f cycles/B ratio %.4f\n", fig,
         cpb(r), cpb(k), cpb(k) > 0 ? cpb(r) / cpb(k) : 0);
}

/* Loss-recovery quality of a loss run next to the lossless runs at the same MTU: the headline
 * one (default buffers) and the one with the loss run's buffers (same_buffers). */
static void print_loss(const char *fig, const result_t *r, const result_t *lossless, const result_t *same) {
  printf("%s_recovery rtos %" PRIu64 " lost %" PRIu64 " (link %" PRIu64 " receiver %" PRIu64 ") retransmitted %" PRIu64 " rtx_per_lost %.3f tlps %" PRIu64
         " undos %" PRIu64 " (dsack %" PRIu64 " eifel %" PRIu64 " frto %" PRIu64 ") lost_retrans %" PRIu64
         " dsacked_retrans %" PRIu64 " vs_lossless %.3f vs_lossless_same_buffers %.3f\n",
         fig, r->rtos, r->lost + r->rcv_dropped, r->lost, r->rcv_dropped, r->retrans,
         r->lost + r->rcv_dropped ? (double)r->retrans / (double)(r->lost + r->rcv_dropped) : 0, r->tlps, r->undos,
         r->undo_kind[0], r->undo_kind[1], r->undo_kind[2], r->lost_rtx, r->spurious,
         gbps(lossless) > 0 ? gbps(r) / gbps(lossless) : 0, gbps(same) > 0 ? gbps(r) / gbps(same) : 0);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  uint64_t bytes = env_u64("SYNACK_BENCH_BYTES", 1ull << 30);
  double loss_cap = (double)env_u64("SYNACK_BENCH_LOSS_SECONDS", 10);
  txbuf = malloc(CHUNK);
  rxbuf = malloc(CHUNK);
  if (!txbuf || !rxbuf) return 1;
  for (size_t i = 0; i < CHUNK; i++) txbuf[i] = (uint8_t)(i * 131 + 7);
  int pinned = bl_pin_cpu0() == 0;
  tsc_ghz = bl_tsc_ghz();
  printf("throughput: %" PRIu64 " bytes per run, best of %u interleaved rounds (loss runs: one); %s; cycles = TSC reference cycles (rdtsc, %.3f GHz measured against "
         "CLOCK_MONOTONIC)\n",
         bytes, (unsigned)env_u64("SYNACK_BENCH_REPS", 3), pinned ? "every run pinned to CPU 0 (sched_setaffinity; the kernel sender and receiver processes both)"
                       : "PINNING FAILED (figures unreliable)",
         tsc_ghz);
  printf("synack: default 256 KiB socket buffers (loss runs: at least 64 segments, 4 MiB at MTU 65535), 16-frame "
         "transmit ring (SYNACK_BENCH_BUF / "
         "SYNACK_BENCH_RING)\n");
  printf("checksum skip = the documented memory-link options csum_offload_tx/csum_offload_rx (config.h), as loopback "
         "does\n\n");

  unsigned reps = (unsigned)env_u64("SYNACK_BENCH_REPS", 3);
  if (reps < 1) reps = 1;
  spec_t s1500 = {"synack MTU 1500", 1500, false, bytes, SIG_NONE};
  spec_t s1500n = {"synack MTU 1500, no checksums", 1500, true, bytes, SIG_NONE};
  spec_t s64k = {"synack MTU 65535", 65535, false, bytes, SIG_NONE};
  spec_t s64kn = {"synack MTU 65535, no checksums", 65535, true, bytes, SIG_NONE};
  /* Signed connections move an eighth of the bytes (their MACs cost far more than the copy). */
  uint64_t sbytes = bytes / 8;
  spec_t s1500u = {"synack MTU 1500, unsigned (1/8)", 1500, false, sbytes, SIG_NONE};
  spec_t s1500m = {"synack MTU 1500, TCP MD5", 1500, false, sbytes, SIG_MD5};
  spec_t s1500a = {"synack MTU 1500, TCP-AO HMAC-SHA-1", 1500, false, sbytes, SIG_AO_SHA1};
  spec_t s1500c = {"synack MTU 1500, TCP-AO AES-CMAC", 1500, false, sbytes, SIG_AO_CMAC};
  /* Rounds interleave every figure, so that a baseline and the runs compared with it see the
   * same background load; each figure keeps its best round. */
  result_t k = {0}, m = {0}, r1500 = {0}, r1500n = {0}, r64k = {0}, r64kn = {0};
  result_t r1500u = {0}, r1500m = {0}, r1500a = {0}, r1500c = {0};
  for (unsigned i = 0; i < reps; i++) {
    keep_best(&k, run_kernel(bytes));
    keep_best(&m, run_memcpy(bytes));
    keep_best(&r1500, run_spec(&s1500));
    keep_best(&r1500n, run_spec(&s1500n));
    keep_best(&r64k, run_spec(&s64k));
    keep_best(&r64kn, run_spec(&s64kn));
    keep_best(&r1500u, run_spec(&s1500u));
    keep_best(&r1500m, run_spec(&s1500m));
    keep_best(&r1500a, run_spec(&s1500a));
    keep_best(&r1500c, run_spec(&s1500c));
  }
  if (m.check == 0x01) printf("(memcpy check byte %u)\n", m.check); /* keeps the copies observable */
  result_t r1500l = {.name = "synack MTU 1500, 1 % loss (skipped)", .ok = true};
  result_t r64kl = {.name = "synack MTU 65535, 1 % loss (skipped)", .ok = true};
  result_t r1500b = {.name = "synack MTU 1500, loss-run buffers (skipped)", .ok = true};
  result_t r64kb = {.name = "synack MTU 65535, loss-run buffers (skipped)", .ok = true};
  if (loss_cap > 0) {
    /* Each loss run next to a lossless run with the same (loss-run) buffers, right before it:
     * the ratio between the two is what the loss costs, the buffer size aside. */
    r1500b = run_synack("synack MTU 1500, loss-run buffers", 1500, false, 0, bench_buf(1500, true), bytes, 0, SIG_NONE);
    r1500l = run_synack("synack MTU 1500, 1 % loss", 1500, false, 10000, bench_buf(1500, true), bytes, loss_cap, SIG_NONE);
    r64kb = run_synack("synack MTU 65535, loss-run buffers", 65535, false, 0, bench_buf(65535, true), bytes, 0, SIG_NONE);
    r64kl = run_synack("synack MTU 65535, 1 % loss", 65535, false, 10000, bench_buf(65535, true), bytes, loss_cap, SIG_NONE);
  }

  printf("%-34s %9s %9s %8s %10s %10s %8s %8s %6s\n", "run", "Gbit/s", "cyc/B", "secs", "vs kernel", "vs memcpy", "rtx",
         "lost", "RTOs");
  print_row(&k, &k, &m);
  print_row(&m, &k, &m);
  const result_t *all[] = {&r1500, &r1500n, &r64k, &r64kn, &r1500b, &r1500l, &r64kb, &r64kl,
                           &r1500u, &r1500m, &r1500a, &r1500c};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) print_row(all[i], &k, &m);
  printf("targets: MTU 1500 >= 1.0x pinned kernel (now %.2fx), MTU 65535 >= 2.0x (now %.2fx)\n\n",
         gbps(&k) > 0 ? gbps(&r1500) / gbps(&k) : 0, gbps(&k) > 0 ? gbps(&r64k) / gbps(&k) : 0);

  printf("kernel_loopback_pinned_cpu0 %.4f Gbit/s\n", gbps(&k));
  printf("kernel_loopback_pinned_cpu0_cycles_per_byte %.4f cycles/B\n", cpb(&k));
  printf("memcpy_single_core %.4f Gbit/s\n", gbps(&m));
  print_figure("throughput_mtu1500", &r1500, &k, &m);
  print_figure("throughput_mtu1500_nocsum", &r1500n, &k, &m);
  print_figure("throughput_mtu65535", &r64k, &k, &m);
  print_figure("throughput_mtu65535_nocsum", &r64kn, &k, &m);
  print_figure("throughput_mtu1500_loss1", &r1500l, &k, &m);
  print_figure("throughput_mtu65535_loss1", &r64kl, &k, &m);
  print_loss("throughput_mtu1500_loss1", &r1500l, &r1500, &r1500b);
  print_loss("throughput_mtu65535_loss1", &r64kl, &r64k, &r64kb);
  /* Signed throughput against the unsigned connection of the same size, same rounds. */
  const result_t *sig_runs[] = {&r1500m, &r1500a, &r1500c};
  const char *sig_names[] = {"throughput_mtu1500_md5", "throughput_mtu1500_tcp_ao_sha1", "throughput_mtu1500_tcp_ao_cmac"};
  for (size_t i = 0; i < 3; i++)
    printf("%s %.4f Gbit/s baseline_unsigned %.4f Gbit/s ratio %.3f\n", sig_names[i], gbps(sig_runs[i]), gbps(&r1500u),
           gbps(&r1500u) > 0 ? gbps(sig_runs[i]) / gbps(&r1500u) : 0);
  free(txbuf);
  free(rxbuf);
  bool ok = k.ok && r1500.ok && r1500n.ok && r64k.ok && r64kn.ok && r1500u.ok && r1500m.ok && r1500a.ok && r1500c.ok;
  return ok ? 0 : 1;
}
