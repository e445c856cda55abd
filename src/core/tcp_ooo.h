/* The receiver's out-of-order range table (tcp_ooo.c) and the SACK blocks built from it
 * (tcp_sackgen.c). Both are pure: no stack, no allocation, no time.
 *
 * Range table: the sequence ranges held above RCV.NXT, kept sorted, disjoint and not adjacent.
 * The bytes themselves sit in the receive ring at their final place; the table only says which
 * places are filled. Its capacity is fixed per connection (config tcp_ooo_max_ranges) and its
 * storage is allocated on the first out-of-order arrival, so an in-order connection pays
 * nothing. A new range that finds the table full is refused (the segment is dropped and
 * counted): the receiver never reneges on data it has SACKed.
 *
 * SACK generation (RFC 2018 §4, RFC 2883): a short list of "recent" points, newest first, each
 * one sequence number inside a range that recently changed or was reported, with the number of
 * ACKs that reported the range since it last changed. Because a byte stays inside the same
 * range when ranges merge, the list survives merging without bookkeeping. The block containing
 * the newest arrival is reported first; then the other recent ranges, those reported fewest
 * times first (a range that changed and was never reported before all), the most recently
 * changed first among equals; then, if room is left, the other ranges from the lowest up. A
 * pending D-SACK range (RFC 2883) goes in front of all of them, once.
 */
#ifndef SYNACK_TCP_OOO_H
#define SYNACK_TCP_OOO_H

#include <stdbool.h>
#include <stdint.h>

#include "seq.h"
#include "synack/wire.h"

typedef struct { synack_seq_t start, end; } synack_seq_range_t; /* [start, end) */

typedef struct {
  synack_seq_range_t *r; /* cap entries (NULL until the first out-of-order segment) */
  uint16_t n, cap;
  uint32_t bytes;        /* bytes covered by the ranges */
} synack_ooo_t;

/* Default and limits of config tcp_ooo_max_ranges. */
#define SYNACK_OOO_RANGES_DEFAULT 64u
#define SYNACK_OOO_RANGES_MIN 4u
#define SYNACK_OOO_RANGES_MAX 4096u

/* Result of asking how [start, end) relates to the table. */
typedef struct {
  uint32_t fresh;             /* bytes of [start, end) not yet held */
  bool dup;                   /* some bytes are already held */
  synack_seq_range_t dup_r;   /* the first (lowest) contiguous run of held bytes */
  bool needs_slot;            /* adding it would create a new range (it touches none) */
} synack_ooo_probe_t;

void synack_ooo_probe(const synack_ooo_t *q, synack_seq_t start, synack_seq_t end, synack_ooo_probe_t *out);
/* Adds [start, end), merging every range it overlaps or touches. Returns false (and changes
 * nothing) when a new range is needed and the table is full or has no storage. */
bool synack_ooo_add(synack_ooo_t *q, synack_seq_t start, synack_seq_t end);
/* Removes the ranges that start at or below rcv_nxt; returns how many bytes past rcv_nxt they
 * covered (the bytes that became in order). */
uint32_t synack_ooo_take(synack_ooo_t *q, synack_seq_t rcv_nxt);
/* Index of the range containing s, or -1. */
int synack_ooo_find(const synack_ooo_t *q, synack_seq_t s);
/* Forgets every range (the storage stays). */
void synack_ooo_clear(synack_ooo_t *q);
/* Calls fn for each part of [start, end) that no range covers, in order (offsets from start). */
typedef void (*synack_ooo_gap_fn)(void *ctx, uint32_t off, uint32_t len);
void synack_ooo_each_gap(const synack_ooo_t *q, synack_seq_t start, synack_seq_t end, synack_ooo_gap_fn fn, void *ctx);

/* ---- SACK block generation (tcp_sackgen.c) ---- */
#define SYNACK_SACKGEN_RECENT 32 /* recent points kept */
#define SYNACK_SACKGEN_REPEAT 3 /* RFC 2018 §4: a block is reported in at least three ACKs */

typedef struct {
  synack_seq_t recent[SYNACK_SACKGEN_RECENT]; /* a byte of each recently changed range, newest first */
  uint8_t sent[SYNACK_SACKGEN_RECENT];        /* ACKs that reported it since it last changed */
  uint8_t nrecent;
  bool dsack;                  /* a D-SACK block waits to be sent once */
  synack_seq_range_t dsack_r;
} synack_sackgen_t;

/* RFC 2018 §4: a segment covering byte `s` just arrived above RCV.NXT (s must be in a range). */
void synack_sackgen_arrival(synack_sackgen_t *g, const synack_ooo_t *q, synack_seq_t s);
/* RFC 2883 §4: [l, r) arrived a second time; it is reported in the first block of the next ACK.
 * A newer duplicate replaces an unsent one. */
void synack_sackgen_dsack(synack_sackgen_t *g, synack_seq_t l, synack_seq_t r);
/* Writes at most max blocks (raw 32-bit edges) for an ACK of rcv_nxt; returns the count.
 * The D-SACK block is consumed when it is written. Stale recent points (ranges gone below
 * rcv_nxt) are forgotten. */
uint8_t synack_sackgen_blocks(synack_sackgen_t *g, const synack_ooo_t *q, synack_seq_t rcv_nxt,
                              synack_sack_block_t *out, uint8_t max);
void synack_sackgen_reset(synack_sackgen_t *g);
/* True when a range that changed (new, or its edges moved) has not been in any ACK since: its
 * change did not fit in the ACKs sent so far (more ranges changed between two ACKs than an ACK
 * holds blocks). */
bool synack_sackgen_unreported(const synack_sackgen_t *g, const synack_ooo_t *q, synack_seq_t rcv_nxt);
/* RFC 2018 §3: how many blocks fit in the option space left by the other options.
 * With timestamps (12 bytes with their two NOPs): 3; without: 4. */
uint8_t synack_sack_max_blocks(uint32_t other_opt_bytes);

#endif
