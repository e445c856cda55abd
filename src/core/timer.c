/* Hierarchical timing wheel (see timer.h for the contract).
 *
 * Placement. A timer with expiry e is placed relative to the wheel's time n by the highest
 * bit in which e and n differ: if that bit lies in the 6-bit digit of level L, the timer sits
 * in level L at slot = digit L of e. Two consequences carry the whole design:
 *   - every timer of level L shares n's digits above L, and its digit L is greater than n's
 *     (for L >= 1; at level 0 it is >= n's digit), so each occupied slot lies ahead of n and
 *     all timers of level L expire before all timers of level L+1;
 *   - a level-0 slot therefore holds timers of one single expiry time, so firing a slot in
 *     list order is firing in arming order.
 * The earliest timer is thus in the lowest non-empty level, in its lowest occupied slot:
 * one count-trailing-zeros per level. At level 0 that gives the exact expiry; above, the
 * slot's start time, which is a lower bound.
 *
 * Advancing. expire() walks forward one event at a time: it looks at the lowest occupied
 * slot; a level-0 slot is fired timer by timer, a higher slot is cascaded (its timers are
 * re-placed relative to the slot's start time, which moves each of them to a lower level).
 * When a slot of level L is cascaded every level below L is empty, and a timer cannot be
 * armed directly into a slot before the slot's range is entered, so re-placing a slot's list
 * in order keeps equal-expiry timers in arming order. Because the wheel's time is set to each
 * event's time before its callback runs, a callback that arms a timer due within this call
 * places it relative to that time, and the walk meets it in order.
 *
 * Two cases fall outside the 8 x 64 wheel:
 *   - far timers (differing from n at bit 48 or above). Keeping them in level 7's last slot
 *     does not work when n's own level-7 digit is 63: that slot is then the current one and
 *     a cascade would put them straight back. They go in a separate list that acts as one
 *     more slot starting at the next 2^48-aligned boundary, which is <= any of their expiries;
 *     when the walk reaches that boundary they are re-placed (once per 2^48 us, ~8.9 years).
 *   - overdue timers, armed with an expiry behind n (a callback arming "in the past", or a
 *     caller passing an old time). They keep their exact expiry in a list sorted by expiry,
 *     ties in arming order, and fire before anything in the wheel. Insertion scans from the
 *     tail, so the common case (all overdue arms at the same or growing times) stays O(1).
 *
 * Lists are circular and doubly linked through next/prev; the head's prev is the tail, so
 * appending, unlinking and popping are all O(1). Idle timers have next == prev == NULL.
 */
#include "timer.h"

/* Values of synack_timer_t.level beyond the wheel's own levels: which side list holds it. */
enum { LEVEL_FAR = SYNACK_WHEEL_LEVELS, LEVEL_OVERDUE = SYNACK_WHEEL_LEVELS + 1 };

static unsigned ctz64(uint64_t x) { return (unsigned)__builtin_ctzll(x); }
static unsigned msb64(uint64_t x) { return 63u - (unsigned)__builtin_clzll(x); }

static void list_append(synack_timer_t **head, synack_timer_t *t) {
  synack_timer_t *h = *head;
  if (!h) {
    t->next = t->prev = t;
    *head = t;
    return;
  }
  t->prev = h->prev;
  t->next = h;
  h->prev->next = t;
  h->prev = t;
}

/* Returns true when the list became empty. */
static bool list_unlink(synack_timer_t **head, synack_timer_t *t) {
  bool empty = false;
  if (t->next == t) {
    *head = NULL;
    empty = true;
  } else {
    t->prev->next = t->next;
    t->next->prev = t->prev;
    if (*head == t) *head = t->next;
  }
  t->next = t->prev = NULL;
  return empty;
}

/* Overdue list: sorted by expiry; an equal expiry goes after the existing ones (arming order). */
static void overdue_insert(synack_timer_wheel_t *w, synack_timer_t *t) {
  synack_timer_t *h = w->overdue;
  if (!h || h->prev->expiry <= t->expiry) {
    list_append(&w->overdue, t);
    return;
  }
  synack_timer_t *after = h->prev; /* find the last node with expiry <= t's, scanning back */
  while (after != h && after->expiry > t->expiry) after = after->prev;
  if (after == h && h->expiry > t->expiry) {
    list_append(&w->overdue, t); /* goes before the old head: append then make it the head */
    w->overdue = t;
    return;
  }
  t->prev = after;
  t->next = after->next;
  after->next->prev = t;
  after->next = t;
}

/* Places an armed timer according to the wheel's current time. */
static void place(synack_timer_wheel_t *w, synack_timer_t *t) {
  uint64_t e = t->expiry, diff = e ^ w->now;
  if (e < w->now) {
    t->level = LEVEL_OVERDUE;
    t->slot = 0;
    overdue_insert(w, t);
    return;
  }
  unsigned level = diff ? msb64(diff) / SYNACK_WHEEL_BITS : 0;
  if (level >= SYNACK_WHEEL_LEVELS) {
    t->level = LEVEL_FAR;
    t->slot = 0;
    list_append(&w->far, t);
    return;
  }
  unsigned slot = (unsigned)(e >> (level * SYNACK_WHEEL_BITS)) & (SYNACK_WHEEL_SLOTS - 1);
  t->level = (uint8_t)level;
  t->slot = (uint8_t)slot;
  list_append(&w->slots[level][slot], t);
  w->occupied[level] |= (uint64_t)1 << slot;
}

/* Takes an armed timer out of whatever list holds it; the armed flag and count are the
 * caller's business. */
static void detach(synack_timer_wheel_t *w, synack_timer_t *t) {
  switch (t->level) {
  case LEVEL_FAR: list_unlink(&w->far, t); return;
  case LEVEL_OVERDUE: list_unlink(&w->overdue, t); return;
  default:
    if (list_unlink(&w->slots[t->level][t->slot], t))
      w->occupied[t->level] &= ~((uint64_t)1 << t->slot);
    return;
  }
}

void synack_timer_wheel_init(synack_timer_wheel_t *w, uint64_t now) {
  *w = (synack_timer_wheel_t){0};
  w->now = now;
}

void synack_timer_set(synack_timer_wheel_t *w, synack_timer_t *t, uint64_t expiry) {
  if (t->armed) detach(w, t);
  else w->count++;
  t->armed = 1;
  t->expiry = expiry;
  place(w, t);
}

void synack_timer_cancel(synack_timer_wheel_t *w, synack_timer_t *t) {
  if (!t->armed) return;
  detach(w, t);
  t->armed = 0;
  w->count--;
}

/* Start time of slot `slot` of level `level` (>= 1) in the wheel's current block. */
static uint64_t slot_start(uint64_t now, unsigned level, unsigned slot) {
  unsigned shift = level * SYNACK_WHEEL_BITS;
  unsigned above = shift + SYNACK_WHEEL_BITS; /* <= 48, so the shifts are defined */
  return ((now >> above) << above) | ((uint64_t)slot << shift);
}

/* The next event in the wheel proper (not the overdue list): sets *level (LEVEL_FAR for the
 * far list) and *slot, returns its time (exact at level 0, a lower bound above), or
 * UINT64_MAX with *level = LEVEL_OVERDUE when the wheel holds nothing. */
static uint64_t next_event(const synack_timer_wheel_t *w, unsigned *level, unsigned *slot) {
  for (unsigned l = 0; l < SYNACK_WHEEL_LEVELS; l++) {
    if (!w->occupied[l]) continue;
    unsigned s = ctz64(w->occupied[l]);
    *level = l;
    *slot = s;
    if (l == 0) return (w->now & ~(uint64_t)(SYNACK_WHEEL_SLOTS - 1)) | s;
    return slot_start(w->now, l, s);
  }
  *slot = 0;
  if (w->far) {
    /* A far timer's block lies after the current one, so the current block is not the last
     * and this does not overflow. */
    *level = LEVEL_FAR;
    return ((w->now >> 48) + 1) << 48;
  }
  *level = LEVEL_OVERDUE;
  return UINT64_MAX;
}

uint64_t synack_timer_wheel_next_deadline(const synack_timer_wheel_t *w) {
  if (w->overdue) return w->overdue->expiry;
  unsigned level, slot;
  return next_event(w, &level, &slot);
}

/* Re-places every timer of a list relative to the (just advanced) wheel time. The list is
 * taken whole first: a far timer may go straight back into the far list. */
static void cascade(synack_timer_wheel_t *w, synack_timer_t **head) {
  synack_timer_t *list = *head, *t;
  *head = NULL;
  while ((t = list) != NULL) {
    list_unlink(&list, t);
    place(w, t);
  }
}

static void fire(synack_timer_wheel_t *w, synack_timer_t **head, unsigned level, unsigned slot,
                 synack_timer_cb cb, void *ctx, uint64_t now) {
  synack_timer_t *t = *head;
  if (list_unlink(head, t) && level < SYNACK_WHEEL_LEVELS)
    w->occupied[level] &= ~((uint64_t)1 << slot);
  t->armed = 0;
  w->count--;
  cb(ctx, t, now);
}

size_t synack_timer_wheel_expire(synack_timer_wheel_t *w, uint64_t now, synack_timer_cb cb, void *ctx) {
  size_t fired = 0;
  for (;;) {
    /* Overdue timers expire before the wheel's time, hence before anything in the wheel. */
    if (w->overdue) {
      if (w->overdue->expiry > now) break; /* only when called with a time behind the wheel's */
      fire(w, &w->overdue, LEVEL_OVERDUE, 0, cb, ctx, now);
      fired++;
      continue;
    }
    unsigned level, slot;
    uint64_t at = next_event(w, &level, &slot);
    if (level == LEVEL_OVERDUE || at > now) break;
    /* Advance first: callbacks then arm relative to this event's time, and the invariant
     * "no occupied slot lies behind the wheel's time" holds because `at` is the earliest. */
    w->now = at;
    if (level == 0) {
      /* One timer per round: the callback may cancel or re-arm any other timer, including
       * the rest of this slot, so the slot is re-read each time. */
      fire(w, &w->slots[0][slot], 0, slot, cb, ctx, now);
      fired++;
    } else if (level == LEVEL_FAR) {
      cascade(w, &w->far);
    } else {
      w->occupied[level] &= ~((uint64_t)1 << slot);
      cascade(w, &w->slots[level][slot]);
    }
  }
  /* Safe to jump: the earliest remaining slot starts after `now`, and moving the wheel's time
   * within the range before it changes no timer's placement. */
  if (now > w->now) w->now = now;
  return fired;
}
