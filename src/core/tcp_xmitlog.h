/* The sender's transmit log: for every range of sequence space in flight, when it was last sent
 * and whether it was ever retransmitted or is marked lost. RACK (RFC 8985) reads send times from
 * it whatever the options (no timestamps needed), F-RTO (RFC 5682) and the D-SACK undo ask it
 * whether a delivered range was an original transmission, and SACK recovery with RACK takes its
 * lost and retransmitted bytes from it.
 *
 * Entries are kept in sequence order, contiguous from `start` (SND.UNA once trimmed) to the end
 * of the last one (SND.MAX). A burst sent at one instant is one entry (new data extends the
 * last entry when its time and flags match), so the log holds about one entry per ACK-clocked
 * send, not one per segment. Memory is bounded: the table grows by doubling from 32 entries up
 * to `limit` (which the sender raises as its send buffer grows); when it is full, new data
 * extends the last entry (its time becomes the newer one) and a retransmission that would need
 * a split marks the whole entry instead. Both make a range look sent later than it partly was:
 * judged for loss, RACK marks it lost later, never sooner; but delivered, it would make RACK
 * believe that recent data arrived (RACK.xmit_ts too late, RACK.rtt a few microseconds) and
 * mark everything sent before as lost at once, retransmissions included. Such entries carry
 * SYNACK_XL_COARSE and give RACK no sample. */
#ifndef SYNACK_TCP_XMITLOG_H
#define SYNACK_TCP_XMITLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "seq.h"
#include "synack/types.h"

enum {
  SYNACK_XL_RTX = 1,     /* sent more than once (Karn, F-RTO, undo) */
  SYNACK_XL_LOST = 2,    /* RACK marked it lost; not retransmitted since */
  SYNACK_XL_MARKED = 4,  /* RACK marked it lost at least once: the original is not in flight */
  SYNACK_XL_COARSE = 8,  /* the time is the latest of several sends (a full table): no RACK sample */
};

/* Send order: time, then the number of the output call (many calls share a microsecond in a
 * simulation), then the sequence number inside one entry (a burst goes out in sequence order). */
typedef struct {
  synack_seq_t end;  /* the entry covers [previous end (or log start), end) */
  uint32_t flags;    /* SYNACK_XL_* */
  synack_time_t t;   /* time of the latest transmission */
  uint32_t ord;      /* number of the latest transmission call (for ties in t) */
} synack_xl_ent_t;

typedef struct {
  synack_xl_ent_t *e; /* ring of cap entries (NULL until the first data is sent) */
  uint32_t head, n, cap, limit;
  uint32_t ord;       /* transmissions recorded so far */
  synack_seq_t start; /* first sequence number covered */
} synack_xmitlog_t;

static inline synack_xl_ent_t *synack_xl_at(const synack_xmitlog_t *l, uint32_t k) {
  return &l->e[(l->head + k) % l->cap];
}
static inline synack_seq_t synack_xl_start_of(const synack_xmitlog_t *l, uint32_t k) {
  return k ? synack_xl_at(l, k - 1u)->end : l->start;
}
static inline synack_seq_t synack_xl_end(const synack_xmitlog_t *l) {
  return l->n ? synack_xl_at(l, l->n - 1u)->end : l->start;
}

struct synack_stack;
/* True when (t1, o1, e1) was sent after (t2, o2, e2). */
static inline bool synack_xl_after(synack_time_t t1, uint32_t o1, synack_seq_t e1, synack_time_t t2, uint32_t o2,
                                   synack_seq_t e2) {
  if (t1 != t2) return t1 > t2;
  if (o1 != o2) return (int32_t)(o1 - o2) > 0;
  return seq_gt(e1, e2);
}
/* Records a transmission of [s, e) at now. New data (s at the end of the log) is appended;
 * anything below is a retransmission: its entries get time now, SYNACK_XL_RTX, and lose
 * SYNACK_XL_LOST. Ranges outside the log (it could not be allocated) are ignored. */
void synack_xl_sent(struct synack_stack *st, synack_xmitlog_t *l, synack_seq_t s, synack_seq_t e, synack_time_t now);
/* Forgets everything below una. */
void synack_xl_ack(synack_xmitlog_t *l, synack_seq_t una);
/* Index of the entry holding seq, or l->n when none. */
uint32_t synack_xl_find(const synack_xmitlog_t *l, synack_seq_t seq);
/* Splits entry k at seq (strictly inside it) when the table has room; false otherwise. */
bool synack_xl_split(struct synack_stack *st, synack_xmitlog_t *l, uint32_t k, synack_seq_t seq);
/* Frees the table. */
void synack_xl_free(struct synack_stack *st, synack_xmitlog_t *l);

#endif
