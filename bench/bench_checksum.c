/* Checksum micro-benchmark: cycles per byte of synack_csum_add (sum only), of synack_csum_copy
 * (copy and sum in one pass, as the send and receive paths use it) and of the two-pass
 * alternative (memcpy, then synack_csum_add over the copy), beside plain memcpy measured in the
 * same run. Sizes: a small header-like buffer, an MTU 1500 payload and an MTU 65535 payload,
 * odd lengths so that the tail code runs too. The data rotates through 256 KiB source and
 * destination areas (like a socket ring), so it lives in L2 as it does in the throughput
 * benchmark. Each figure is the best of several rounds. Environment: SYNACK_BENCH_REPS
 * (default 7 rounds). */
#include "memlink.h" /* first: it defines _GNU_SOURCE */

#include <stdlib.h>

#include "synack/wire.h"

#define SPAN (256u << 10)

static uint8_t *src, *dst;
static volatile uint32_t sink; /* keeps every result observable */

typedef enum { OP_MEMCPY, OP_SUM, OP_COPY, OP_TWO_PASS } op_t;

static double run(op_t op, size_t len, unsigned rounds) {
  size_t iters = (64u << 20) / len; /* 64 MiB per round */
  double best = 0;
  for (unsigned r = 0; r < rounds; r++) {
    size_t off = 0;
    uint32_t acc = 0;
    uint64_t t0 = bl_rdtsc();
    for (size_t i = 0; i < iters; i++) {
      const uint8_t *s = src + off;
      uint8_t *d = dst + off;
      switch (op) {
      case OP_MEMCPY: memcpy(d, s, len); acc += d[len / 2]; break;
      case OP_SUM: acc += synack_csum_add(0, s, len); break;
      case OP_COPY: acc += synack_csum_copy(d, s, len, 0); break;
      case OP_TWO_PASS: memcpy(d, s, len); acc += synack_csum_add(0, d, len); break;
      }
      off += len;
      if (off + len > SPAN) off = 0;
    }
    uint64_t t1 = bl_rdtsc();
    sink += acc;
    double cpb = (double)(t1 - t0) / (double)(iters * len);
    if (r == 0 || cpb < best) best = cpb;
  }
  return best;
}

int main(void) {
  src = malloc(SPAN + 64);
  dst = malloc(SPAN + 64);
  if (!src || !dst) return 1;
  for (size_t i = 0; i < SPAN + 64; i++) src[i] = (uint8_t)(i * 131 + 7);
  const char *e = getenv("SYNACK_BENCH_REPS");
  unsigned rounds = e ? (unsigned)strtoul(e, NULL, 10) : 7;
  if (rounds < 1) rounds = 1;
  int pinned = bl_pin_cpu0() == 0;
  double ghz = bl_tsc_ghz();
  printf("checksum: best of %u rounds of 64 MiB; %s; cycles = TSC reference cycles (%.3f GHz)\n", rounds,
         pinned ? "pinned to CPU 0" : "PINNING FAILED (figures unreliable)", ghz);
  printf("fused = synack_csum_copy; two-pass = memcpy then synack_csum_add; ratios are against memcpy "
         "of the same size in the same run\n\n");
  printf("%-8s %10s %10s %10s %10s %12s %12s\n", "bytes", "memcpy", "sum", "fused", "two-pass", "fused/memcpy",
         "fused/2pass");
  static const size_t sizes[] = { 61, 1449, 65483 };
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t len = sizes[k];
    double m = run(OP_MEMCPY, len, rounds), s = run(OP_SUM, len, rounds);
    double f = run(OP_COPY, len, rounds), t = run(OP_TWO_PASS, len, rounds);
    printf("%-8zu %10.4f %10.4f %10.4f %10.4f %12.2f %12.2f\n", len, m, s, f, t, f / m, f / t);
    /* Machine-readable: each figure beside the memcpy baseline of the same size and run. */
    static const char *what[] = { "memcpy", "sum", "fused_copy", "two_pass" };
    double v[] = { m, s, f, t };
    for (int i = 0; i < 4; i++)
      printf("csum_%s_%zu_cycles_per_byte %.6g cycles/B baseline_memcpy %.6g cycles/B ratio %.4f\n", what[i], len,
             v[i], m, v[i] / m);
  }
  return 0;
}
