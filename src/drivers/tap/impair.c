/* Impairments on a real link: the simulator's per-direction model (sim.h) on the wall clock.
 *
 * The configuration and scripted-rule types are the simulator's own (synack_sim_link_cfg_t,
 * synack_sim_rule_t) and rules match with the simulator's predicate, so a fault written for a
 * simulated test reads the same on a TAP. Stages run in sim.h's order; a stage draws a random
 * number only when its probability is non-zero, so the same seed and the same frames give the
 * same decisions. (Which frames arrive, and when, depends on the real peer: determinism covers
 * the driver's decisions for a given frame sequence, not the whole run.)
 *
 * Frames that must wait (delay, jitter, reordering) are copied into a binary heap ordered by
 * (release time, arrival order), bounded in frames and bytes; beyond the bound a frame is
 * dropped and counted rather than letting a fast sender grow memory without limit. */
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "drivers/sim/sim_priv.h"
#include "synack/tap.h"

#define MAX_HELD_FRAMES 16384u
#define MAX_HELD_BYTES (64u << 20)

typedef struct {
  synack_time_t at;
  uint64_t order;
  uint8_t *frame;
  size_t len;
  unsigned flags;
} held_t;

typedef struct {
  synack_sim_rule_t rule;
  uint32_t matched;
} rule_state_t;

struct synack_impair {
  synack_sim_link_cfg_t cfg;
  synack_rng_t rng;
  rule_state_t *rules;
  size_t nrules;
  held_t *heap;
  size_t nheld, cap;
  size_t held_bytes;
  uint64_t order;
  synack_time_t last_release; /* jitter never reorders: in-order frames leave no earlier than this */
  synack_impair_stats_t stats;
};

synack_impair_t *synack_impair_new(const synack_sim_link_cfg_t *cfg, uint64_t seed) {
  synack_impair_t *im = calloc(1, sizeof *im);
  if (!im) return NULL;
  if (cfg) im->cfg = *cfg;
  synack_rng_seed(&im->rng, seed);
  return im;
}

void synack_impair_free(synack_impair_t *im) {
  if (!im) return;
  for (size_t i = 0; i < im->nheld; i++) free(im->heap[i].frame);
  free(im->heap);
  free(im->rules);
  free(im);
}

int synack_impair_add_rule(synack_impair_t *im, const synack_sim_rule_t *rule) {
  rule_state_t *r = realloc(im->rules, (im->nrules + 1) * sizeof *r);
  if (!r) return -SYNACK_ENOMEM;
  im->rules = r;
  im->rules[im->nrules].rule = *rule;
  im->rules[im->nrules].matched = 0;
  return (int)im->nrules++;
}

bool synack_impair_corrupts(const synack_impair_t *im) {
  if (im->cfg.corrupt > 0) return true;
  for (size_t i = 0; i < im->nrules; i++)
    if (im->rules[i].rule.action == SYNACK_SIM_CORRUPT) return true;
  return false;
}

bool synack_impair_active(const synack_impair_t *im) {
  const synack_sim_link_cfg_t *c = &im->cfg;
  return im->nrules > 0 || c->loss > 0 || c->dup > 0 || c->reorder > 0 || c->corrupt > 0 || c->delay_us > 0 ||
         c->jitter_us > 0 || c->mtu > 0;
}

const synack_impair_stats_t *synack_impair_stats(const synack_impair_t *im) { return &im->stats; }

synack_time_t synack_impair_next_deadline(const synack_impair_t *im) {
  return im->nheld ? im->heap[0].at : SYNACK_TIME_NEVER;
}

/* ---- the heap ---- */

static bool before(const held_t *a, const held_t *b) { return a->at < b->at || (a->at == b->at && a->order < b->order); }

static bool heap_push(synack_impair_t *im, const held_t *h) {
  if (im->nheld == im->cap) {
    size_t ncap = im->cap ? im->cap * 2 : 64;
    held_t *n = realloc(im->heap, ncap * sizeof *n);
    if (!n) return false;
    im->heap = n;
    im->cap = ncap;
  }
  size_t i = im->nheld++;
  im->heap[i] = *h;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&im->heap[i], &im->heap[p])) break;
    held_t t = im->heap[i];
    im->heap[i] = im->heap[p];
    im->heap[p] = t;
    i = p;
  }
  return true;
}

static held_t heap_pop(synack_impair_t *im) {
  held_t top = im->heap[0];
  im->heap[0] = im->heap[--im->nheld];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < im->nheld && before(&im->heap[l], &im->heap[m])) m = l;
    if (r < im->nheld && before(&im->heap[r], &im->heap[m])) m = r;
    if (m == i) break;
    held_t t = im->heap[i];
    im->heap[i] = im->heap[m];
    im->heap[m] = t;
    i = m;
  }
  return top;
}

/* ---- the pipeline ---- */

static bool chance(synack_impair_t *im, double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return synack_rng_unit(&im->rng) < p;
}

/* One bit past the Ethernet header: the link's FCS would have caught a flip in the link header,
 * the interesting corruptions are those left to the IP and TCP checksums. */
static void flip_bit(synack_impair_t *im, uint8_t *f, size_t len) {
  if (len == 0) return;
  size_t start = len > 14 ? 14 : 0;
  uint64_t bit = synack_rng_below(&im->rng, (uint64_t)(len - start) * 8);
  f[start + bit / 8] ^= (uint8_t)(1u << (bit % 8));
  im->stats.corrupted++;
}

/* Delay, jitter and reordering for one copy: delivered at once or held. */
static void schedule(synack_impair_t *im, synack_time_t now, const uint8_t *f, size_t len, unsigned flags,
                     synack_time_t extra, synack_impair_fn fn, void *user) {
  synack_time_t at = now + im->cfg.delay_us;
  if (im->cfg.jitter_us) at += synack_rng_below(&im->rng, im->cfg.jitter_us + 1);
  if (at < im->last_release) at = im->last_release;
  im->last_release = at;
  at += extra;
  if (chance(im, im->cfg.reorder)) {
    /* A reordered frame is held back; with no delay configured, 1 ms stands in so that the
     * frames sent meanwhile overtake it. */
    at += im->cfg.reorder_delay_us ? im->cfg.reorder_delay_us : 1000;
    im->stats.reordered++;
  }
  /* Frames due now leave at once unless older frames still wait (which they would overtake). */
  if (at <= now && im->nheld == 0) {
    im->stats.passed++;
    fn(user, f, len, flags);
    return;
  }
  if (im->nheld >= MAX_HELD_FRAMES || im->held_bytes + len > MAX_HELD_BYTES) {
    im->stats.dropped_full++;
    return;
  }
  held_t h = { .at = at, .order = im->order++, .frame = malloc(len ? len : 1), .len = len, .flags = flags };
  if (!h.frame) {
    im->stats.dropped_full++;
    return;
  }
  memcpy(h.frame, f, len);
  if (!heap_push(im, &h)) {
    free(h.frame);
    im->stats.dropped_full++;
    return;
  }
  im->held_bytes += len;
}

void synack_impair_push(synack_impair_t *im, synack_time_t now, const uint8_t *frame, size_t len, unsigned flags,
                        synack_impair_fn fn, void *user) {
  im->stats.in++;
  /* Corruption needs a private copy; everything else can pass the caller's buffer through. */
  uint8_t *copy = NULL;
  const uint8_t *f = frame;
  unsigned copies = 1;
  synack_time_t extra = 0;
  bool corrupt = false;
  /* 1. Scripted rules. */
  for (size_t i = 0; i < im->nrules; i++) {
    rule_state_t *rs = &im->rules[i];
    if (!synack_sim_rule_matches(&rs->rule, frame, len)) continue;
    uint32_t k = ++rs->matched;
    uint32_t nth = rs->rule.nth ? rs->rule.nth : 1;
    if (k < nth || (rs->rule.count && k - nth >= rs->rule.count)) continue;
    switch (rs->rule.action) {
      case SYNACK_SIM_DROP: im->stats.dropped_rule++; return;
      case SYNACK_SIM_DUPLICATE:
        copies++;
        im->stats.duplicated++;
        break;
      case SYNACK_SIM_DELAY:
        extra += rs->rule.delay_us;
        im->stats.delayed++;
        break;
      case SYNACK_SIM_CORRUPT: corrupt = true; break;
    }
  }
  /* 2. MTU. */
  if (im->cfg.mtu && len > im->cfg.mtu) {
    im->stats.dropped_mtu++;
    return;
  }
  /* 3. Random loss. */
  if (chance(im, im->cfg.loss)) {
    im->stats.lost++;
    return;
  }
  /* 4. Corruption: the frame can no longer claim verified checksums. */
  if (chance(im, im->cfg.corrupt)) corrupt = true;
  if (corrupt) {
    copy = malloc(len ? len : 1);
    if (!copy) return;
    memcpy(copy, frame, len);
    flip_bit(im, copy, len);
    f = copy;
    flags &= ~(unsigned)SYNACK_TAP_F_CSUM_VALID;
  }
  /* 5. Duplication. */
  if (chance(im, im->cfg.dup)) {
    copies++;
    im->stats.duplicated++;
  }
  /* 6-7. Delay, jitter, reordering, for each copy on its own. */
  for (unsigned c = 0; c < copies; c++) schedule(im, now, f, len, flags, extra, fn, user);
  free(copy);
}

size_t synack_impair_release(synack_impair_t *im, synack_time_t now, synack_impair_fn fn, void *user) {
  size_t n = 0;
  while (im->nheld && im->heap[0].at <= now) {
    held_t h = heap_pop(im);
    im->held_bytes -= h.len;
    im->stats.passed++;
    fn(user, h.frame, h.len, h.flags);
    free(h.frame);
    n++;
  }
  return n;
}
