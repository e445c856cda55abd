/* Unit tests for the timing wheel, ending with a long random schedule checked step by step
 * against a brute-force model (a flat array scanned for the minimum). */
#include "harness.h"
#include "rng.h"
#include "timer.h"

/* ---- a recording callback for the fixed cases ---- */

typedef struct {
  synack_timer_t *order[64];
  uint64_t at[64];
  size_t n;
} rec_t;

static void record_cb(void *ctx, synack_timer_t *t, uint64_t now) {
  rec_t *r = ctx;
  CHECK(!synack_timer_armed(t));
  CHECK(t->expiry <= now);
  if (r->n < 64) {
    r->order[r->n] = t;
    r->at[r->n] = now;
  }
  r->n++;
}

static void test_set_cancel_rearm(void) {
  synack_timer_wheel_t w;
  synack_timer_t a, b;
  synack_timer_wheel_init(&w, 1000);
  synack_timer_init(&a, 3);
  synack_timer_init(&b, 4);
  CHECK_EQ_U(a.kind, 3);
  CHECK(!synack_timer_armed(&a));
  CHECK_EQ_U(w.count, 0);
  CHECK_EQ_U(synack_timer_wheel_next_deadline(&w), UINT64_MAX);

  synack_timer_set(&w, &a, 1500);
  CHECK(synack_timer_armed(&a));
  CHECK_EQ_U(w.count, 1);
  CHECK(synack_timer_wheel_next_deadline(&w) <= 1500);
  synack_timer_set(&w, &a, 1200); /* re-arm: still one timer */
  CHECK_EQ_U(w.count, 1);
  CHECK(synack_timer_wheel_next_deadline(&w) <= 1200);
  synack_timer_set(&w, &b, 1100);
  CHECK_EQ_U(w.count, 2);

  synack_timer_cancel(&w, &a);
  CHECK(!synack_timer_armed(&a));
  CHECK(a.prev == NULL && a.next == NULL);
  CHECK_EQ_U(w.count, 1);
  synack_timer_cancel(&w, &a); /* harmless twice */
  CHECK_EQ_U(w.count, 1);

  rec_t r = {0};
  CHECK_EQ_U(synack_timer_wheel_expire(&w, 5000, record_cb, &r), 1);
  CHECK(r.order[0] == &b);
  CHECK_EQ_U(w.count, 0);
  CHECK_EQ_U(synack_timer_wheel_next_deadline(&w), UINT64_MAX);
  for (int l = 0; l < SYNACK_WHEEL_LEVELS; l++) CHECK_EQ_U(w.occupied[l], 0);
}

/* Each distance crosses a level or range boundary; the timer must fire at exactly its expiry. */
static void test_fires_exactly_at_expiry(void) {
  static const uint64_t dist[] = {0, 1, 2, 62, 63, 64, 65, 127, 128, 4095, 4096, 4097, 262143,
    262144, 262145, (1ull << 24) + 3, (1ull << 30) - 1, (1ull << 36) + 77, (1ull << 42) - 1,
    1ull << 42, (1ull << 47) + 5, (1ull << 48) - 1, 1ull << 48, (1ull << 48) + 1, 1ull << 55,
    (1ull << 60) + 12345};
  static const uint64_t starts[] = {0, 1, 63, 1000003, (63ull << 42) + 17, (1ull << 48) - 2,
    (5ull << 48) + (63ull << 42) + (63ull << 36), 0x0123456789abcull};
  for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
    for (size_t d = 0; d < sizeof dist / sizeof dist[0]; d++) {
      synack_timer_wheel_t w;
      synack_timer_t t;
      rec_t r = {0};
      uint64_t start = starts[s], e = start + dist[d];
      synack_timer_wheel_init(&w, start);
      synack_timer_init(&t, 0);
      synack_timer_set(&w, &t, e);
      CHECK(synack_timer_wheel_next_deadline(&w) <= e);
      if (e > start) {
        /* Approach in a few uneven steps, never reaching e. */
        uint64_t steps[] = {start + (e - start) / 3, e - 2, e - 1};
        for (int k = 0; k < 3; k++) {
          if (steps[k] < start || steps[k] >= e) continue;
          CHECK_EQ_U(synack_timer_wheel_expire(&w, steps[k], record_cb, &r), 0);
          CHECK(synack_timer_wheel_next_deadline(&w) <= e);
          CHECK(synack_timer_armed(&t));
        }
      }
      CHECK_EQ_U(synack_timer_wheel_expire(&w, e, record_cb, &r), 1);
      CHECK_EQ_U(r.n, 1);
      CHECK_EQ_U(w.count, 0);
      CHECK_EQ_U(synack_timer_wheel_next_deadline(&w), UINT64_MAX);
    }
  }
}

/* Walking by next_deadline reaches the timer in a bounded number of wake-ups, and every
 * deadline is <= the expiry. */
static void test_next_deadline_walk(void) {
  synack_timer_wheel_t w;
  synack_timer_t t;
  uint64_t e = 0x0000babe12345678ull;
  synack_timer_wheel_init(&w, 3);
  synack_timer_init(&t, 0);
  synack_timer_set(&w, &t, e);
  rec_t r = {0};
  int wakeups = 0;
  while (synack_timer_armed(&t) && wakeups < 100) {
    uint64_t d = synack_timer_wheel_next_deadline(&w);
    CHECK(d <= e);
    synack_timer_wheel_expire(&w, d, record_cb, &r);
    wakeups++;
  }
  CHECK(!synack_timer_armed(&t));
  CHECK(wakeups <= SYNACK_WHEEL_LEVELS + 1);
}

static void test_order_across_levels(void) {
  synack_timer_wheel_t w;
  synack_timer_t t[8];
  rec_t r = {0};
  synack_timer_wheel_init(&w, 0);
  for (int i = 0; i < 8; i++) synack_timer_init(&t[i], (uint16_t)i);
  /* Same expiry 5000 armed at three different wheel times, so that the first two sit in
   * level 2 and the last in level 0 when the slot is reached: arming order must survive. */
  synack_timer_set(&w, &t[0], 5000);
  synack_timer_set(&w, &t[1], 300000);  /* level 3 */
  synack_timer_set(&w, &t[2], 70);      /* level 1 */
  synack_timer_set(&w, &t[3], 9);       /* level 0 */
  CHECK_EQ_U(synack_timer_wheel_expire(&w, 4000, record_cb, &r), 2);
  synack_timer_set(&w, &t[4], 5000);
  synack_timer_set(&w, &t[5], 4999);
  synack_timer_wheel_expire(&w, 4990, record_cb, &r);
  synack_timer_set(&w, &t[6], 5000);
  synack_timer_set(&w, &t[7], 299999);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, 1000000, record_cb, &r), 6);
  synack_timer_t *want[] = {&t[3], &t[2], &t[5], &t[0], &t[4], &t[6], &t[7], &t[1]};
  REQUIRE(r.n == 8);
  for (int i = 0; i < 8; i++) CHECK(r.order[i] == want[i]);

  /* One big jump over timers armed in reverse order in every level. */
  rec_t r2 = {0};
  synack_timer_wheel_init(&w, 0);
  for (int i = 0; i < 8; i++) synack_timer_set(&w, &t[i], (1ull << (6 * (7 - i))) + 1);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, 1ull << 47, record_cb, &r2), 8);
  for (int i = 0; i < 8; i++) CHECK(r2.order[i] == &t[7 - i]);
}

static void test_past_expiry_fires_next_call_in_order(void) {
  synack_timer_wheel_t w;
  synack_timer_t a, b, c, d;
  rec_t r = {0};
  synack_timer_wheel_init(&w, 10000);
  synack_timer_init(&a, 0);
  synack_timer_init(&b, 0);
  synack_timer_init(&c, 0);
  synack_timer_init(&d, 0);
  synack_timer_set(&w, &a, 500);
  synack_timer_set(&w, &b, 400);
  synack_timer_set(&w, &c, 10000); /* exactly now */
  synack_timer_set(&w, &d, 500);
  CHECK_EQ_U(synack_timer_wheel_next_deadline(&w), 400);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, 10000, record_cb, &r), 4);
  REQUIRE(r.n == 4);
  CHECK(r.order[0] == &b);
  CHECK(r.order[1] == &a);
  CHECK(r.order[2] == &d);
  CHECK(r.order[3] == &c);
}

/* Near the top of the 64-bit range: nothing may wrap. */
static void test_end_of_time(void) {
  synack_timer_wheel_t w;
  synack_timer_t a, b;
  rec_t r = {0};
  synack_timer_wheel_init(&w, UINT64_MAX - 100);
  synack_timer_init(&a, 0);
  synack_timer_init(&b, 0);
  synack_timer_set(&w, &a, UINT64_MAX);
  synack_timer_set(&w, &b, UINT64_MAX - 1);
  CHECK(synack_timer_wheel_next_deadline(&w) <= UINT64_MAX - 1);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, UINT64_MAX - 2, record_cb, &r), 0);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, UINT64_MAX, record_cb, &r), 2);
  CHECK(r.order[0] == &b && r.order[1] == &a);
  /* A "never" timer from an ordinary time sits in the far list and does not fire. */
  synack_timer_wheel_init(&w, 12345);
  synack_timer_set(&w, &a, UINT64_MAX);
  CHECK(synack_timer_wheel_next_deadline(&w) <= UINT64_MAX);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, UINT64_MAX - 1, record_cb, &r), 0);
  CHECK(synack_timer_armed(&a));
  CHECK_EQ_U(synack_timer_wheel_expire(&w, UINT64_MAX, record_cb, &r), 1);
}

/* ---- callbacks that change the wheel ---- */

typedef struct {
  synack_timer_wheel_t *w;
  synack_timer_t *t;
  int rearms_left;
  rec_t rec;
} mut_t;

static void mutate_cb(void *ctx, synack_timer_t *t, uint64_t now) {
  mut_t *m = ctx;
  record_cb(&m->rec, t, now);
  if (t == &m->t[0] && m->rearms_left > 0) {
    m->rearms_left--;
    synack_timer_set(m->w, t, t->expiry + 1); /* still <= now: fires again in this call */
    synack_timer_cancel(m->w, &m->t[2]);      /* due in this call, not fired yet */
    synack_timer_set(m->w, &m->t[3], now + 50); /* due, pushed out of this call */
    synack_timer_set(m->w, &m->t[4], 1);     /* far in the past: fires next */
  }
}

static void test_callbacks_rearm_and_cancel(void) {
  synack_timer_wheel_t w;
  synack_timer_t t[5];
  synack_timer_wheel_init(&w, 0);
  for (int i = 0; i < 5; i++) synack_timer_init(&t[i], (uint16_t)i);
  mut_t m = {.w = &w, .t = t, .rearms_left = 3};
  synack_timer_set(&w, &t[0], 100);
  synack_timer_set(&w, &t[1], 100);
  synack_timer_set(&w, &t[2], 100);
  synack_timer_set(&w, &t[3], 101);
  CHECK_EQ_U(synack_timer_wheel_expire(&w, 200, mutate_cb, &m), 8);
  /* t0@100, then t4 (expiry 1, overdue), t1@100, t0@101, t4, t0@102, t4, t0@103. */
  synack_timer_t *want[] = {&t[0], &t[4], &t[1], &t[0], &t[4], &t[0], &t[4], &t[0]};
  REQUIRE(m.rec.n == 8);
  for (int i = 0; i < 8; i++) CHECK(m.rec.order[i] == want[i]);
  CHECK(!synack_timer_armed(&t[2]));
  CHECK(synack_timer_armed(&t[3]));
  CHECK_EQ_U(t[3].expiry, 250);
  CHECK_EQ_U(w.count, 1);
}

/* ---- the random model ---- */

#define NT 400

typedef struct {
  synack_timer_wheel_t w;
  synack_timer_t t[NT];
  /* The model: what should be armed, its expiry, and an arming sequence number for ties. */
  uint8_t armed[NT];
  uint64_t expiry[NT];
  uint64_t seq[NT];
  uint64_t next_seq;
  size_t count;
  uint64_t now;     /* time of the current expire call */
  synack_rng_t rng;
  size_t fired, mismatches;
} model_t;

static uint64_t random_delta(model_t *m) {
  switch (synack_rng_below(&m->rng, 10)) {
  case 0: return 0;
  case 1: case 2: return synack_rng_below(&m->rng, 64);
  case 3: case 4: return synack_rng_below(&m->rng, 5000);
  case 5: return synack_rng_below(&m->rng, 1000000);
  case 6: return synack_rng_below(&m->rng, 1ull << 30);
  case 7: return synack_rng_below(&m->rng, 1ull << 44);
  case 8: return (1ull << 48) - 64 + synack_rng_below(&m->rng, 128);
  default: return synack_rng_below(&m->rng, 1ull << 50);
  }
}

static uint64_t random_expiry(model_t *m, uint64_t base) {
  if (synack_rng_below(&m->rng, 12) == 0) /* sometimes in the past */
    return base - synack_rng_below(&m->rng, base < 100000 ? base + 1 : 100000);
  return base + random_delta(m);
}

static void model_set(model_t *m, size_t i, uint64_t e) {
  synack_timer_set(&m->w, &m->t[i], e);
  if (!m->armed[i]) m->count++;
  m->armed[i] = 1;
  m->expiry[i] = e;
  m->seq[i] = m->next_seq++;
}

static void model_cancel(model_t *m, size_t i) {
  synack_timer_cancel(&m->w, &m->t[i]);
  if (m->armed[i]) m->count--;
  m->armed[i] = 0;
}

/* The timer the model says fires next at `now`: minimum (expiry, seq) among due ones. */
static long model_next_due(const model_t *m, uint64_t now) {
  long best = -1;
  for (size_t i = 0; i < NT; i++) {
    if (!m->armed[i] || m->expiry[i] > now) continue;
    if (best < 0 || m->expiry[i] < m->expiry[best] ||
        (m->expiry[i] == m->expiry[best] && m->seq[i] < m->seq[best]))
      best = (long)i;
  }
  return best;
}

static void model_check_state(model_t *m) {
  uint64_t earliest = UINT64_MAX;
  for (size_t i = 0; i < NT; i++) {
    CHECK(synack_timer_armed(&m->t[i]) == (m->armed[i] != 0));
    if (m->armed[i] && m->expiry[i] < earliest) earliest = m->expiry[i];
  }
  CHECK_EQ_U(m->w.count, m->count);
  uint64_t d = synack_timer_wheel_next_deadline(&m->w);
  if (m->count == 0) CHECK_EQ_U(d, UINT64_MAX);
  else CHECK(d <= earliest);
}

static void model_cb(void *ctx, synack_timer_t *t, uint64_t now) {
  model_t *m = ctx;
  size_t i = (size_t)(t - m->t);
  long want = model_next_due(m, now);
  if (want != (long)i) {
    if (m->mismatches++ < 5)
      fprintf(stderr, "fired timer %zu (expiry %" PRIu64 "), model expected %ld at now %" PRIu64 "\n",
              i, t->expiry, want, now);
    CHECK(want == (long)i);
  }
  CHECK(!synack_timer_armed(t));
  m->fired++;
  m->armed[i] = 0;
  m->count--;
  CHECK_EQ_U(m->w.count, m->count);
  /* Mutations from inside the callback, like a TCP timer handler would make. */
  unsigned r = (unsigned)synack_rng_below(&m->rng, 16);
  if (r < 5) model_set(m, i, random_expiry(m, now)); /* re-arm self, sometimes due again now */
  if (r >= 3 && r < 8) model_cancel(m, (size_t)synack_rng_below(&m->rng, NT));
  if (r >= 6 && r < 11) { /* arm or push back another, maybe one already due in this call */
    size_t j = (size_t)synack_rng_below(&m->rng, NT);
    model_set(m, j, random_expiry(m, now));
  }
  if (r == 15) { /* cancel a timer due right now, if any */
    long d = model_next_due(m, now);
    if (d >= 0) model_cancel(m, (size_t)d);
  }
}

static void run_model(uint64_t seed, uint64_t start, int steps) {
  static model_t m; /* large: keep it off the stack */
  memset(&m, 0, sizeof m);
  synack_rng_seed(&m.rng, seed);
  synack_timer_wheel_init(&m.w, start);
  for (size_t i = 0; i < NT; i++) synack_timer_init(&m.t[i], (uint16_t)i);
  m.now = start;
  for (int step = 0; step < steps && m.mismatches == 0; step++) {
    unsigned op = (unsigned)synack_rng_below(&m.rng, 10);
    if (op < 4) {
      model_set(&m, (size_t)synack_rng_below(&m.rng, NT), random_expiry(&m, m.now));
    } else if (op < 5) {
      model_cancel(&m, (size_t)synack_rng_below(&m.rng, NT));
    } else {
      /* Advance: mostly short hops, sometimes straight to the next deadline, sometimes huge. */
      uint64_t to;
      unsigned how = (unsigned)synack_rng_below(&m.rng, 8);
      uint64_t d = synack_timer_wheel_next_deadline(&m.w);
      if (how == 0 && d != UINT64_MAX && d >= m.now) to = d;
      else if (how == 1) to = m.now; /* same time again */
      else to = m.now + random_delta(&m) / (how < 6 ? 4096 : 1);
      m.now = to;
      synack_timer_wheel_expire(&m.w, to, model_cb, &m);
      /* Nothing due may remain after the call. */
      CHECK(model_next_due(&m, to) < 0);
    }
    model_check_state(&m);
  }
  CHECK_EQ_U(m.mismatches, 0);
  CHECK(m.fired > (size_t)steps / 4); /* the schedule really exercised firing */
  /* Drain: advance far enough to fire everything not beyond the end of the model's range. */
  synack_timer_wheel_expire(&m.w, m.now + (1ull << 52), model_cb, &m);
  model_check_state(&m);
}

static void test_random_against_model(void) {
  run_model(1, 0, 60000);
  run_model(2, 1000000007, 60000);
  run_model(3, (63ull << 42) - 5000, 60000);           /* top digit about to be 63 */
  run_model(4, (7ull << 48) - 3, 60000);               /* about to cross a 2^48 boundary */
  run_model(5, 0x00ffffffffffff00ull, 60000);          /* every digit about to carry */
}

TH_MAIN(TH_CASE(test_set_cancel_rearm), TH_CASE(test_fires_exactly_at_expiry),
        TH_CASE(test_next_deadline_walk), TH_CASE(test_order_across_levels),
        TH_CASE(test_past_expiry_fires_next_call_in_order), TH_CASE(test_end_of_time),
        TH_CASE(test_callbacks_rearm_and_cancel), TH_CASE(test_random_against_model))
