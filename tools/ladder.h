/* A terminal ladder diagram of what two TCP endpoints did: one line per segment with flags,
 * relative seq/ack, length and window, drawn from the left end to the right end or back,
 * lost segments crossed out, and each end's state changes with their reasons. */
#ifndef SYNACK_TOOLS_LADDER_H
#define SYNACK_TOOLS_LADDER_H

#include <stdio.h>

#include <synack/synack.h>

typedef struct {
  FILE *out;
  bool color;
  const char *left_name, *right_name;
  synack_mac_t left_mac;       /* frames from this MAC (or IP below) are drawn left → right */
  synack_ip_t left_ip;
  /* Relative sequence numbers: the ISN of each direction, learned from its SYN. */
  bool have_isn[2];
  uint32_t isn[2];
  int left_state, right_state;
  unsigned segments, lost;
} synack_ladder_t;

void ladder_init(synack_ladder_t *l, FILE *out, const char *left, const char *right, const synack_ip_t *left_ip);
void ladder_header(synack_ladder_t *l);
/* One frame (Ethernet or bare IP). lost: drawn crossed out. */
void ladder_frame(synack_ladder_t *l, synack_time_t t, const uint8_t *frame, size_t len, bool is_eth, bool lost);
/* A state change or a note at one end (left: true for the left end). */
void ladder_state(synack_ladder_t *l, synack_time_t t, bool left, int old_state, int new_state, const char *why);
void ladder_note(synack_ladder_t *l, synack_time_t t, const char *text);

#endif
