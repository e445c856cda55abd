/* Ladder diagrams of one TCP conversation between two ends.
 *
 * A ladder is a recorded list of events — segments (with their fate: delivered, lost, and when
 * they arrived), state changes with their reasons, timers that fired and one-line explanations —
 * filled either live from the simulator (tools/scenario/scenario.c) or from a capture file
 * (tools/views/pcapconn.c). Renderers read the finished list: the terminal view below and the SVG view
 * (svg.h). Sequence numbers are shown relative to each direction's ISN, the way tcpdump -S off
 * and Wireshark do, unless `absolute` is set. */
#ifndef SYNACK_TOOLS_LADDER_H
#define SYNACK_TOOLS_LADDER_H

#include <stdio.h>

#include <synack/synack.h>

typedef enum {
  SYNACK_LEV_SEG = 0, /* a TCP segment from `side` to the other side */
  SYNACK_LEV_STATE,   /* a state change at `side` */
  SYNACK_LEV_TIMER,   /* a timer fired at `side` (text says which) */
  SYNACK_LEV_NOTE,    /* an application action or an observation (side -1: both) */
  SYNACK_LEV_EXPLAIN, /* a one-line explanation of a notable event */
} synack_lev_kind_t;

typedef struct {
  synack_lev_kind_t kind;
  synack_time_t t;        /* send time (segments) or time of the event */
  synack_time_t t_arrive; /* segments: arrival time; SYNACK_TIME_NEVER when lost or unknown */
  int side;               /* 0 = left, 1 = right, -1 = neither */
  /* SEG */
  uint8_t flags;
  uint32_t seq, ack;      /* raw */
  uint32_t rseq, rack;    /* relative to the ISNs */
  uint32_t len;
  uint16_t win;           /* raw window field */
  uint8_t nsack;
  uint32_t sack[4][2];    /* relative */
  char opts[64];
  int8_t wscale;          /* window scale option of this segment, -1 none (SYNs) */
  uint32_t segno;         /* 1-based number among the segments seen (muted ones count too): the
                             handle faults use; gaps where the producer muted the ladder */
  bool lost, retrans, by_timer, injected, probe, dupack;
  uint8_t timer_kind; /* SYNACK_LSEG_TLP / SYNACK_LSEG_REO when by_timer */
  int conn;               /* incarnation number (each new SYN from the left starts one) */
  /* each end's state after the event (-1 unknown) */
  int st[2];
  /* STATE */
  int old_state, new_state;
  char text[200];
} synack_lev_t;

typedef struct {
  char left_name[32], right_name[32];
  char left_addr[64], right_addr[64]; /* "198.18.0.1:40000" — filled by the producer */
  bool absolute;          /* show raw sequence numbers */
  bool inferred_states;   /* states were inferred from the wire (captures) */
  bool muted;             /* while set, segments and states are counted, not recorded */
  synack_lev_t *ev;
  size_t n, cap;
  int cur[2];             /* current state of each end */
  /* per direction: ISN and highest sequence sent, of the current incarnation */
  bool have_isn[2];
  uint32_t isn[2], snd_max[2];
  bool have_max[2];
  bool sent_synack[2];
  bool have_last_ack[2];
  uint32_t last_ack[2], last_win[2];
  int conn;
  unsigned segments, lost, retrans, muted_segments;
  struct synack_ladder_pending { size_t after; char text[200]; } *pend;
  size_t npend;
} synack_ladder_t;

void synack_ladder_init(synack_ladder_t *l, const char *left, const char *right);
void synack_ladder_free(synack_ladder_t *l);
/* Records a segment sent by `side` at time t; returns its index (or -1 when muted/out of memory).
 * how: SYNACK_LSEG_* bits. A segment sent by a timer gets a TIMER line naming the timer. */
#define SYNACK_LSEG_TIMER 0x1    /* emitted while the sender's timers ran */
#define SYNACK_LSEG_INJECTED 0x2 /* put on the wire by the scenario (attacker, old duplicate) */
#define SYNACK_LSEG_TLP 0x4      /* the timer was RACK-TLP's probe timeout (RFC 8985 §7) */
#define SYNACK_LSEG_REO 0x8      /* the timer was RACK's reordering timer (RFC 8985 §6.3) */
long synack_ladder_seg(synack_ladder_t *l, synack_time_t t, int side, const synack_tcp_repr_t *tcp, unsigned how);
/* The segment idx arrived at t; the receiver's state after processing it is the current one. */
void synack_ladder_arrive(synack_ladder_t *l, long idx, synack_time_t t);
void synack_ladder_state(synack_ladder_t *l, synack_time_t t, int side, int old_state, int new_state, const char *why);
/* Sets a column's state without a recorded line (e.g. a listener that opened before the story). */
void synack_ladder_set_state(synack_ladder_t *l, int side, int state);
void synack_ladder_timer(synack_ladder_t *l, synack_time_t t, int side, const char *text);
void synack_ladder_note(synack_ladder_t *l, synack_time_t t, int side, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void synack_ladder_explain(synack_ladder_t *l, synack_time_t t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Queues an explanation to go right after event e (NULL: at the end), for stories told after the
 * run; pointers into the list stay valid until synack_ladder_finish() inserts them. */
void synack_ladder_explain_after(synack_ladder_t *l, const synack_lev_t *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void synack_ladder_finish(synack_ladder_t *l);

/* The label of a segment: "S. seq 0 ack 1 win 65535 <mss 1460,sackOK,TS,ws 7>". */
void synack_ladder_label(const synack_ladder_t *l, const synack_lev_t *e, char *buf, size_t cap);
/* Terminal view: two columns (each end's state after every line), one arrow per segment. */
void synack_ladder_print(const synack_ladder_t *l, FILE *out, bool color);

#endif
