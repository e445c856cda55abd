/* The soak (`make soak`, not part of `make check`): transfers between two stacks on the
 * simulator, one per seed, each under its own random mix of loss, duplication, reordering,
 * corruption, delay, jitter and bottleneck, over IPv4 or IPv6, with SACK, timestamps, window
 * scaling, RACK, ECN and the congestion control drawn at random too. For each: the stream's
 * SHA-256 at the receiver equals the sender's and every byte sits at its offset; then both stacks
 * run on until their connection tables are empty (TIME-WAIT expired), and neither may hold a timer
 * or a byte more than right after it was created.
 *
 *   soak [COUNT [FIRST_SEED]]      COUNT also from SYNACK_SOAK_COUNT (default 10000);
 *                                  SYNACK_SOAK_SECONDS bounds the wall time (default 3600)
 * Prints one line per failure with its seed (rerun one with `soak 1 SEED`) and a summary; exits 1
 * on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transfer.h"

typedef struct {
  uint64_t s;
} rnd_t;

static uint64_t next(rnd_t *r) {
  uint64_t x = r->s += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
static double unit(rnd_t *r) { return (double)(next(r) >> 11) / 9007199254740992.0; }
static uint64_t below(rnd_t *r, uint64_t n) { return n ? next(r) % n : 0; }

typedef struct {
  bool sack, ts, ws, rack, ecn;
  synack_cc_algo_t cc;
  uint32_t sndbuf, rcvbuf;
} stack_choice_t;

static void hook(synack_config_t *c, int which, void *user) {
  const stack_choice_t *ch = (const stack_choice_t *)user + which;
  c->tcp_sack = ch->sack;
  c->tcp_timestamps = ch->ts;
  c->tcp_window_scaling = ch->ws;
  c->tcp_rack = ch->rack;
  c->tcp_ecn = ch->ecn;
  c->tcp_cc = ch->cc;
  c->tcp_sndbuf = ch->sndbuf;
  c->tcp_rcvbuf = ch->rcvbuf;
}

static void link_choice(rnd_t *r, synack_sim_link_cfg_t *l) {
  memset(l, 0, sizeof *l);
  l->loss = unit(r) < 0.8 ? unit(r) * 0.08 : 0;
  l->dup = unit(r) < 0.5 ? unit(r) * 0.03 : 0;
  l->reorder = unit(r) < 0.5 ? unit(r) * 0.08 : 0;
  l->reorder_delay_us = 1000 + below(r, 20000);
  l->corrupt = unit(r) < 0.3 ? unit(r) * 0.01 : 0;
  l->delay_us = 500 + below(r, 40000);
  l->jitter_us = unit(r) < 0.3 ? below(r, 5000) : 0;
  if (unit(r) < 0.3) {
    l->rate_bps = 1000000 + below(r, 99000000);
    l->queue_bytes = (uint32_t)(16384 + below(r, 256 * 1024));
  }
}

static const char *fail_reason(const ts_xfer_result_t *res) {
  if (!res->completed) return res->why ? res->why : "did not complete";
  if (!res->data_ok) return "a byte at the wrong offset";
  if (!res->sha_equal) return "SHA-256 mismatch";
  if (!res->drained) return "tables never emptied";
  if (res->conns_left[0] || res->conns_left[1]) return "connections left";
  if (res->timers_left[0] || res->timers_left[1]) return "timers left";
  if (res->mem_left[0] || res->mem_left[1]) return "memory left";
  return NULL;
}

int main(int argc, char **argv) {
  const char *env = getenv("SYNACK_SOAK_COUNT");
  uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 0) : env ? strtoull(env, NULL, 0) : 10000;
  uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
  env = getenv("SYNACK_SOAK_SECONDS");
  double budget = env ? atof(env) : 3600;
  time_t t0 = time(NULL);
  uint64_t run = 0, failed = 0, bytes = 0, v6 = 0;
  for (uint64_t seed = first; seed < first + count; seed++) {
    if (difftime(time(NULL), t0) >= budget) break;
    rnd_t r = { seed * 0x2545f4914f6cdd1dull };
    stack_choice_t ch[2];
    for (int w = 0; w < 2; w++) {
      ch[w].sack = unit(&r) < 0.8;
      ch[w].ts = unit(&r) < 0.8;
      ch[w].ws = unit(&r) < 0.8;
      ch[w].rack = unit(&r) < 0.5;
      ch[w].ecn = unit(&r) < 0.3;
      ch[w].cc = unit(&r) < 0.5 ? SYNACK_CC_CUBIC : SYNACK_CC_NEWRENO;
      ch[w].sndbuf = (uint32_t)(16384u << below(&r, 5));
      ch[w].rcvbuf = (uint32_t)(16384u << below(&r, 5));
    }
    ts_xfer_cfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.bytes = unit(&r) < 0.05 ? 1 + below(&r, 2000000) : 1 + below(&r, 200000);
    link_choice(&r, &cfg.ab);
    link_choice(&r, &cfg.ba);
    cfg.seed = seed;
    cfg.ipv6 = unit(&r) < 0.5;
    cfg.limit_us = SYNACK_SEC(1800);
    cfg.drain = true;
    cfg.hook = hook;
    cfg.user = ch;
    ts_xfer_result_t res;
    int rc = ts_xfer_run(&cfg, &res);
    run++;
    bytes += res.received;
    v6 += cfg.ipv6;
    const char *why = rc < 0 ? "setup failed" : fail_reason(&res);
    if (why) {
      failed++;
      printf("FAIL seed %llu: %s (%llu of %llu bytes, loss %.3f/%.3f dup %.3f/%.3f reorder %.3f/%.3f corrupt "
             "%.4f/%.4f, %s; left: conns %zu/%zu timers %d/%d memory %lld/%lld)\n",
             (unsigned long long)seed, why, (unsigned long long)res.received, (unsigned long long)cfg.bytes,
             cfg.ab.loss, cfg.ba.loss, cfg.ab.dup, cfg.ba.dup, cfg.ab.reorder, cfg.ba.reorder, cfg.ab.corrupt,
             cfg.ba.corrupt, cfg.ipv6 ? "IPv6" : "IPv4", res.conns_left[0], res.conns_left[1], res.timers_left[0],
             res.timers_left[1], (long long)res.mem_left[0], (long long)res.mem_left[1]);
      fflush(stdout);
    }
  }
  printf("soak: %llu seeds run (%llu..%llu, %llu over IPv6), %llu failed, %.1f MB transferred, %.0f s\n",
         (unsigned long long)run, (unsigned long long)first, (unsigned long long)(first + run - 1),
         (unsigned long long)v6, (unsigned long long)failed, (double)bytes / 1e6, difftime(time(NULL), t0));
  return failed ? 1 : 0;
}
