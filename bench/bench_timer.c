/* Timing-wheel benchmark: nanoseconds per set, cancel, fired expiry and a TCP-like re-arm
 * workload, at 10^3 and 10^6 live timers. The baseline, measured in the same run on the same
 * schedule, is a binary min-heap keyed by (expiry, arming order) with an index in each node
 * for cancel and re-key: the usual alternative to a wheel. Each figure is the best of a few
 * repetitions; the ratio is wheel / heap (below 1 means the wheel is faster).
 *
 * Output: a table, then one line per figure:
 *   timer_<op>_<n> <ns> ns/op baseline_heap <ns> ns/op ratio <wheel/heap>
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "timer.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- baseline: indexed binary heap ---- */

typedef struct {
  uint64_t expiry, seq;
  size_t idx; /* position in the heap, SIZE_MAX when not armed */
} hnode_t;

typedef struct {
  hnode_t **a;
  size_t n;
  uint64_t seq;
} heap_t;

static int hless(const hnode_t *x, const hnode_t *y) {
  return x->expiry < y->expiry || (x->expiry == y->expiry && x->seq < y->seq);
}

static void hput(heap_t *h, size_t i, hnode_t *x) { h->a[i] = x; x->idx = i; }

static void sift_up(heap_t *h, size_t i) {
  hnode_t *x = h->a[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!hless(x, h->a[p])) break;
    hput(h, i, h->a[p]);
    i = p;
  }
  hput(h, i, x);
}

static void sift_down(heap_t *h, size_t i) {
  hnode_t *x = h->a[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= h->n) break;
    if (c + 1 < h->n && hless(h->a[c + 1], h->a[c])) c++;
    if (!hless(h->a[c], x)) break;
    hput(h, i, h->a[c]);
    i = c;
  }
  hput(h, i, x);
}

static void heap_cancel(heap_t *h, hnode_t *x) {
  if (x->idx == SIZE_MAX) return;
  size_t i = x->idx;
  x->idx = SIZE_MAX;
  hnode_t *last = h->a[--h->n];
  if (last == x) return;
  hput(h, i, last);
  sift_up(h, i);
  sift_down(h, last->idx);
}

static void heap_set(heap_t *h, hnode_t *x, uint64_t expiry) {
  x->seq = h->seq++;
  if (x->idx != SIZE_MAX) {
    x->expiry = expiry;
    sift_up(h, x->idx);
    sift_down(h, x->idx);
    return;
  }
  x->expiry = expiry;
  hput(h, h->n++, x);
  sift_up(h, x->idx);
}

/* ---- shared schedule ---- */

enum { RTO_US = 200000 };

typedef struct {
  size_t n;
  synack_timer_t *t;
  hnode_t *h;
  heap_t heap;
  synack_timer_wheel_t wheel;
  uint64_t *expiry; /* per-timer expiry offsets for set / fire */
  size_t *perm;     /* random order for cancel and re-arm picks */
  size_t *picks;    /* the re-arm workload's sequence of timers */
  size_t npicks;
  uint64_t now;
  size_t fired;
} ctx_t;

static void shuffle(synack_rng_t *r, size_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = i;
  for (size_t i = n; i > 1; i--) {
    size_t j = (size_t)synack_rng_below(r, i);
    size_t tmp = p[i - 1]; p[i - 1] = p[j]; p[j] = tmp;
  }
}

static void reset(ctx_t *c, uint64_t start) {
  c->now = start;
  synack_timer_wheel_init(&c->wheel, start);
  for (size_t i = 0; i < c->n; i++) {
    synack_timer_init(&c->t[i], 0);
    c->h[i].idx = SIZE_MAX;
  }
  c->heap.n = 0;
  c->heap.seq = 0;
}

/* Callbacks of the re-arm workload: a fired retransmission timer is armed again. */
static void wheel_rexmit(void *ctx, synack_timer_t *t, uint64_t now) {
  ctx_t *c = ctx;
  c->fired++;
  synack_timer_set(&c->wheel, t, now + RTO_US);
}

/* Each phase runs on one structure; `which` 0 = wheel, 1 = heap. Returns ns for the phase
 * and the number of operations through *ops. */

static double phase_set(ctx_t *c, int which, size_t *ops) {
  reset(c, 1000);
  double t0 = now_ns();
  if (which == 0)
    for (size_t i = 0; i < c->n; i++) synack_timer_set(&c->wheel, &c->t[i], c->now + c->expiry[i]);
  else
    for (size_t i = 0; i < c->n; i++) heap_set(&c->heap, &c->h[i], c->now + c->expiry[i]);
  *ops = c->n;
  return now_ns() - t0;
}

/* Cancels all n live timers in random order (runs after phase_set). */
static double phase_cancel(ctx_t *c, int which, size_t *ops) {
  size_t unused;
  phase_set(c, which, &unused);
  double t0 = now_ns();
  if (which == 0)
    for (size_t i = 0; i < c->n; i++) synack_timer_cancel(&c->wheel, &c->t[c->perm[i]]);
  else
    for (size_t i = 0; i < c->n; i++) heap_cancel(&c->heap, &c->h[c->perm[i]]);
  *ops = c->n;
  return now_ns() - t0;
}

static void wheel_count(void *ctx, synack_timer_t *t, uint64_t now) {
  (void)t; (void)now;
  ((ctx_t *)ctx)->fired++;
}

/* Fires all n timers by advancing time in 1 ms steps, as a driver waking up would; the
 * figure is per fired timer and includes the wheel's cascading. */
static double phase_fire(ctx_t *c, int which, size_t *ops) {
  size_t unused;
  phase_set(c, which, &unused);
  c->fired = 0;
  uint64_t end = c->now + 2 * RTO_US * 5 + 1;
  double t0 = now_ns();
  for (uint64_t at = c->now; at <= end; at += 1000) {
    if (which == 0) {
      synack_timer_wheel_expire(&c->wheel, at, wheel_count, c);
    } else {
      while (c->heap.n && c->heap.a[0]->expiry <= at) {
        heap_cancel(&c->heap, c->heap.a[0]);
        c->fired++;
      }
    }
  }
  double dt = now_ns() - t0;
  if (c->fired != c->n) fprintf(stderr, "bench_timer: fired %zu of %zu\n", c->fired, c->n);
  *ops = c->n;
  return dt;
}

/* TCP-like: n connections each with a retransmission timer. Every operation is an ACK for a
 * random connection that pushes its timer back to now + RTO; time advances so that a timer
 * goes about 2 RTOs between pushes on average, so some fire (and are re-armed by the
 * callback) at the expire calls made every 16 operations. */
static double phase_rearm(ctx_t *c, int which, size_t *ops) {
  reset(c, 1000);
  for (size_t i = 0; i < c->n; i++) {
    if (which == 0) synack_timer_set(&c->wheel, &c->t[i], c->now + RTO_US);
    else heap_set(&c->heap, &c->h[i], c->now + RTO_US);
  }
  c->fired = 0;
  uint64_t base = c->now;
  /* time after k ops = k * 2 RTO / n, kept exact in integers */
  double t0 = now_ns();
  for (size_t k = 0; k < c->npicks; k++) {
    uint64_t at = base + (uint64_t)k * (2 * RTO_US) / c->n;
    size_t i = c->picks[k];
    if (which == 0) {
      synack_timer_set(&c->wheel, &c->t[i], at + RTO_US);
      if ((k & 15) == 15) synack_timer_wheel_expire(&c->wheel, at, wheel_rexmit, c);
    } else {
      heap_set(&c->heap, &c->h[i], at + RTO_US);
      if ((k & 15) == 15) {
        while (c->heap.n && c->heap.a[0]->expiry <= at) {
          c->fired++;
          heap_set(&c->heap, c->heap.a[0], at + RTO_US);
        }
      }
    }
  }
  *ops = c->npicks;
  return now_ns() - t0;
}

typedef double (*phase_fn)(ctx_t *, int, size_t *);

static double best_ns_per_op(ctx_t *c, phase_fn f, int which, int reps, size_t *fired) {
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    size_t ops = 0;
    double ns = f(c, which, &ops) / (double)ops;
    if (ns < best) best = ns;
  }
  *fired = c->fired;
  return best;
}

int main(void) {
  static const struct { size_t n; const char *tag; int reps; } sizes[] = {
    {1000, "1e3", 200}, {1000000, "1e6", 3}};
  static const struct { const char *name; phase_fn f; } phases[] = {
    {"set", phase_set}, {"cancel", phase_cancel}, {"fire", phase_fire}, {"rearm", phase_rearm}};
  char lines[16][160];
  int nlines = 0;

  printf("%-8s %8s %12s %12s %8s\n", "op", "timers", "wheel ns/op", "heap ns/op", "ratio");
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    ctx_t c;
    memset(&c, 0, sizeof c);
    c.n = sizes[s].n;
    c.t = calloc(c.n, sizeof *c.t);
    c.h = calloc(c.n, sizeof *c.h);
    c.heap.a = calloc(c.n, sizeof *c.heap.a);
    c.expiry = calloc(c.n, sizeof *c.expiry);
    c.perm = calloc(c.n, sizeof *c.perm);
    c.npicks = c.n < 1000000 ? 20 * c.n : 4 * c.n;
    c.picks = calloc(c.npicks, sizeof *c.picks);
    if (!c.t || !c.h || !c.heap.a || !c.expiry || !c.perm || !c.picks) {
      fprintf(stderr, "bench_timer: out of memory\n");
      return 1;
    }
    synack_rng_t r;
    synack_rng_seed(&r, 12345 + s);
    /* Expiries spread over 1 us .. 2 RTO: mostly the wheel's levels 1..3. */
    for (size_t i = 0; i < c.n; i++) c.expiry[i] = 1 + synack_rng_below(&r, 2 * RTO_US);
    shuffle(&r, c.perm, c.n);
    for (size_t k = 0; k < c.npicks; k++) c.picks[k] = (size_t)synack_rng_below(&r, c.n);

    for (size_t p = 0; p < sizeof phases / sizeof phases[0]; p++) {
      size_t fw, fh;
      double w = best_ns_per_op(&c, phases[p].f, 0, sizes[s].reps, &fw);
      double h = best_ns_per_op(&c, phases[p].f, 1, sizes[s].reps, &fh);
      if (fw != fh) fprintf(stderr, "bench_timer: %s fired %zu (wheel) vs %zu (heap)\n", phases[p].name, fw, fh);
      printf("%-8s %8zu %12.1f %12.1f %8.2f\n", phases[p].name, c.n, w, h, w / h);
      snprintf(lines[nlines++], sizeof lines[0], "timer_%s_%s %.1f ns/op baseline_heap %.1f ns/op ratio %.2f",
               phases[p].name, sizes[s].tag, w, h, w / h);
    }
    free(c.t); free(c.h); free(c.heap.a); free(c.expiry); free(c.perm); free(c.picks);
  }
  printf("\n");
  for (int i = 0; i < nlines; i++) printf("%s\n", lines[i]);
  return 0;
}
