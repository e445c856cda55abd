/* A zero-delay memory link between two stacks in one process, for the benchmarks.
 *
 * Both stacks use SYNACK_LINK_IP (bare IP packets: no Ethernet header, no ARP). pump() hands
 * every frame one stack's poll_tx produces straight to the other's input — no copy, no queue:
 * a frame returned by poll_tx stays valid until the next call on *its* stack, and the
 * receiving stack copies what it keeps. Optional random loss (a deterministic xorshift) drops
 * frames of one direction. Time is the caller's (the benchmarks pass CLOCK_MONOTONIC in µs).
 *
 * Also here: the clock helpers, rdtsc, CPU pinning and the "name value unit" output. */
#ifndef SYNACK_BENCH_MEMLINK_H
#define SYNACK_BENCH_MEMLINK_H

#define _GNU_SOURCE
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "synack/synack.h"

static inline uint64_t bl_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline synack_time_t bl_now_us(void) { return bl_now_ns() / 1000u; }

static inline uint64_t bl_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time-stamp counter (reference cycles at the TSC's nominal rate, not the core's current clock). */
static inline uint64_t bl_rdtsc(void) {
#if defined(__x86_64__) || defined(__i386__)
  uint32_t lo, hi;
  __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
#else
  return bl_now_ns(); /* no TSC: nanoseconds stand in (then "cycles" are ns) */
#endif
}

/* TSC ticks per nanosecond, measured against CLOCK_MONOTONIC over ~100 ms. */
static inline double bl_tsc_ghz(void) {
  uint64_t n0 = bl_now_ns(), t0 = bl_rdtsc();
  while (bl_now_ns() - n0 < 100000000u) {
  }
  uint64_t n1 = bl_now_ns(), t1 = bl_rdtsc();
  return (double)(t1 - t0) / (double)(n1 - n0);
}

/* Pins the calling process (and the children it forks afterwards) to CPU 0. */
static inline int bl_pin_cpu0(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  return sched_setaffinity(0, sizeof set, &set);
}

/* One machine-readable figure: "name value unit" (plus baseline/ratio fields when given). */
static inline void bl_figure(const char *name, double value, const char *unit) {
  printf("%s %.6g %s\n", name, value, unit);
}

typedef struct {
  synack_stack_t *a, *b;
  uint64_t frames_ab, frames_ba, dropped_ab;
  uint32_t loss_ppm_ab; /* frames a→b dropped per million */
  bool drop_ba;         /* drop every frame b→a (e.g. to keep passive opens half-open) */
  uint64_t rng;
} bl_link_t;

static inline bool bl_lose(bl_link_t *l) {
  if (!l->loss_ppm_ab) return false;
  l->rng ^= l->rng << 13;
  l->rng ^= l->rng >> 7;
  l->rng ^= l->rng << 17;
  return l->rng % 1000000u < l->loss_ppm_ab;
}

/* Moves frames both ways until neither stack has any. Returns the number moved. */
static inline uint64_t bl_pump(bl_link_t *l, synack_time_t now) {
  uint64_t moved = 0;
  for (;;) {
    uint64_t before = moved;
    synack_frame_t f;
    while (synack_stack_poll_tx(l->a, now, &f)) {
      moved++;
      l->frames_ab++;
      if (bl_lose(l)) {
        l->dropped_ab++;
        continue;
      }
      synack_stack_input(l->b, now, f.data, f.len, 0);
    }
    while (synack_stack_poll_tx(l->b, now, &f)) {
      moved++;
      l->frames_ba++;
      if (!l->drop_ba) synack_stack_input(l->a, now, f.data, f.len, 0);
    }
    if (moved == before) return moved;
  }
}

/* Runs the timers of both stacks that are due. */
static inline void bl_timers(bl_link_t *l, synack_time_t now) {
  if (synack_stack_next_deadline(l->a) <= now) synack_stack_handle_timers(l->a, now);
  if (synack_stack_next_deadline(l->b) <= now) synack_stack_handle_timers(l->b, now);
}

/* A stack config for the memory link: bare IP, address 198.18.0.<host>. */
static inline void bl_config(synack_config_t *c, int host, uint32_t mtu) {
  synack_config_default(c);
  c->link = SYNACK_LINK_IP;
  c->mtu = mtu;
  c->ip4 = synack_ip4(198, 18, 0, (uint8_t)host);
  c->ip4_prefix = 24;
  c->ip6_link_local = false;
  synack_config_deterministic(c, (uint64_t)host * 7919u); /* same run every time */
}

#endif
