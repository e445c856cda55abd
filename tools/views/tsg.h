/* The time-sequence graph (tcptrace / Stevens style) of one direction of a connection, fed one
 * segment at a time from any source: a capture walk (`synack tsg`) or a recorded ladder (the
 * explorer in the browser, where each drawn mark carries the ladder event it came from). */
#ifndef SYNACK_TOOLS_TSG_H
#define SYNACK_TOOLS_TSG_H

#include <stdio.h>

#include "ladder.h"

/* One segment as the graph needs it. Numbers may be raw or already relative: the graph takes
 * the data direction's SYN (or first segment) as its origin. */
typedef struct {
  synack_time_t t;
  int dir;            /* 0: from the left end (client), 1: from the right end */
  uint8_t flags;
  uint32_t seq, ack, len;
  uint16_t win;       /* raw window field */
  int wscale;         /* window scale option on a SYN, -1 none */
  uint8_t nsack;
  uint32_t sack[4][2];
  long ev;            /* ladder event index (-1 none): written as data-ev on the marks */
} synack_tsg_seg_t;

typedef struct synack_tsg synack_tsg_t;

/* A graph of the data sent in direction dir (0 or 1). NULL when out of memory. */
synack_tsg_t *synack_tsg_new(int dir);
void synack_tsg_add(synack_tsg_t *g, const synack_tsg_seg_t *s);
/* Writes the graph as a self-contained SVG on f (not closed); x runs from t0 to t1. */
int synack_tsg_write(FILE *f, const char *title, const synack_tsg_t *g, synack_time_t t0, synack_time_t t1);
/* Counts: data segments drawn, retransmissions among them, ACKs, payload bytes. */
void synack_tsg_counts(const synack_tsg_t *g, size_t *nd, size_t *nre, size_t *na, uint32_t *bytes);
void synack_tsg_free(synack_tsg_t *g);

/* The direction of a ladder that carried more payload (0 or 1), and its graph. */
int synack_tsg_ladder_dir(const synack_ladder_t *l);
synack_tsg_t *synack_tsg_from_ladder(const synack_ladder_t *l, int dir);

#endif
