/* Timer facility: a hierarchical timing wheel with O(1) insert, cancel and expiry.
 *
 * Timers are intrusive: a synack_timer_t lives inside the object it times (a TCB, a half-open
 * entry, a TIME-WAIT entry, a fragment-reassembly context), so arming a timer never allocates.
 * Expiry times are exact microseconds: synack_timer_wheel_expire() fires a timer only once now >= its
 * expiry, and the wheel never fires early. synack_timer_wheel_next_deadline() may return a time
 * earlier than the earliest expiry (when the earliest timer sits in a coarse upper level), never
 * later; a driver that wakes at that time and calls expire simply finds nothing due yet, and
 * the next query is then closer. Memory per timer: the struct below, nothing else.
 */
#ifndef SYNACK_TIMER_H
#define SYNACK_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct synack_timer synack_timer_t;
struct synack_timer {
  synack_timer_t *next, *prev; /* slot list links; prev == NULL && !armed when idle */
  uint64_t expiry;             /* absolute microseconds */
  uint16_t kind;               /* owner-defined: which timer of the owner this is */
  uint8_t armed;
  uint8_t level, slot;         /* where it sits, for O(1) cancel */
};

#define SYNACK_WHEEL_LEVELS 8
#define SYNACK_WHEEL_BITS 6
#define SYNACK_WHEEL_SLOTS (1u << SYNACK_WHEEL_BITS)

typedef struct {
  uint64_t now;                 /* the wheel's current time: all slots before it are empty */
  uint64_t occupied[SYNACK_WHEEL_LEVELS]; /* bitmap of non-empty slots per level */
  synack_timer_t *slots[SYNACK_WHEEL_LEVELS][SYNACK_WHEEL_SLOTS];
  /* Two lists outside the wheel proper (timer.c explains why): timers 2^48 us or more ahead
   * (re-cascaded once the wheel crosses into their 2^48-aligned block), and timers armed
   * with an expiry already behind `now` (kept sorted, they fire first). */
  synack_timer_t *far;
  synack_timer_t *overdue;
  size_t count;                 /* armed timers */
} synack_timer_wheel_t;

typedef void (*synack_timer_cb)(void *ctx, synack_timer_t *t, uint64_t now);

void synack_timer_wheel_init(synack_timer_wheel_t *w, uint64_t now);
static inline void synack_timer_init(synack_timer_t *t, uint16_t kind) {
  t->next = t->prev = NULL; t->expiry = 0; t->kind = kind; t->armed = 0; t->level = t->slot = 0;
}
static inline bool synack_timer_armed(const synack_timer_t *t) { return t->armed != 0; }
/* Arms (or re-arms) t to fire at `expiry`. An expiry in the past fires at the next expire call. */
void synack_timer_set(synack_timer_wheel_t *w, synack_timer_t *t, uint64_t expiry);
/* Disarms t; harmless when t is not armed. */
void synack_timer_cancel(synack_timer_wheel_t *w, synack_timer_t *t);
/* Earliest time at which some timer may be due (see above), or UINT64_MAX when none is armed. */
uint64_t synack_timer_wheel_next_deadline(const synack_timer_wheel_t *w);
/* Advances the wheel to `now` and calls cb for every timer with expiry <= now, in expiry order
 * (ties in arming order). The timer is disarmed before cb runs; cb may re-arm it, arm or cancel
 * other timers. Timers armed by cb with expiry <= now fire in this same call.
 * Returns the number of callbacks made. */
size_t synack_timer_wheel_expire(synack_timer_wheel_t *w, uint64_t now, synack_timer_cb cb, void *ctx);

#endif
