/* The sender's SACK scoreboard (tcp_sack.c) and loss-recovery state (tcp_recovery.c).
 *
 * Scoreboard: the sequence ranges the peer reported as SACKed (RFC 2018), kept sorted, disjoint
 * and not adjacent, always inside (SND.UNA, SND.MAX]. Memory is bounded: SYNACK_SACK_INLINE
 * ranges live in the TCB; the first ACK with SACK blocks attaches a table of
 * cfg.tcp_ooo_max_ranges ranges (the same bound the receive side uses; 64 × 8 bytes by
 * default), kept until the connection ends. When a new disjoint range finds the table full, the
 * highest range is forgotten: the sender may then retransmit bytes the peer already holds,
 * which is safe, and the ranges nearest SND.UNA (those that drive loss detection) are kept.
 *
 * From the ranges the RFC 6675 quantities follow without per-segment state:
 *   - IsLost(): monotone in the sequence number, so it is one "lost edge": every unSACKed byte
 *     below it is lost (DupThresh ranges, or more than (DupThresh-1)·SMSS bytes, SACKed above);
 *   - pipe (SetPipe): unSACKed bytes above the lost edge, plus unSACKed bytes below HighRxt
 *     (the retransmitted ones);
 *   - NextSeg(): the first hole above HighRxt.
 */
#ifndef SYNACK_TCP_SACK_H
#define SYNACK_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#include "seq.h"
#include "synack/wire.h"
#include "tcp_xmitlog.h"

#define SYNACK_SACK_INLINE 4 /* ranges inside the TCB, before (or without) an attached table */
#define SYNACK_DUPTHRESH 3 /* RFC 5681 §3.2 / RFC 6675 §2 */

typedef struct { synack_seq_t start, end; } synack_sack_range_t;

typedef struct {
  synack_sack_range_t inl[SYNACK_SACK_INLINE];
  synack_sack_range_t *ext; /* attached table of `cap` ranges (replaces inl), or NULL */
  uint16_t n, cap;          /* cap 0: the inline table */
  uint32_t bytes;           /* total SACKed bytes */
} synack_sackboard_t;

/* The ranges, lowest first (n of them). */
static inline const synack_sack_range_t *synack_sack_at(const synack_sackboard_t *b, unsigned k) {
  return b->ext ? &b->ext[k] : &b->inl[k];
}

/* Loss-recovery phase of the sender. */
typedef enum {
  SYNACK_REC_OPEN = 0,  /* no recovery */
  SYNACK_REC_SACK,      /* RFC 6675 fast recovery */
  SYNACK_REC_NEWRENO,   /* RFC 6582 fast recovery (SACK not in use) */
  SYNACK_REC_RTO,       /* after a retransmission timeout, until SND.UNA reaches RecoveryPoint */
} synack_rec_mode_t;

typedef struct {
  synack_sackboard_t sb;
  synack_seq_t recover;    /* RFC 6675 RecoveryPoint / RFC 6582 "recover" */
  synack_seq_t high_rxt;   /* RFC 6675 HighRxt: end of the highest retransmitted byte */
  synack_seq_t rescue_rxt; /* RFC 6675 RescueRxt */
  synack_seq_t lost_edge;  /* RTO phase: every unSACKed byte below is lost */
  uint8_t mode;            /* synack_rec_mode_t */
  uint8_t dupacks;         /* RFC 5681 DupAcks */
  bool recover_set, rescue_set;
  bool rtx_first;          /* retransmit the segment at SND.UNA at the next output */
  int32_t inflate;         /* RFC 6582 / RFC 5681 §3.2: NewReno window inflation (bytes, may go negative) */
  uint32_t reno_sacked;    /* without SACK, Linux's sacked_out: duplicate ACKs counted as delivered segments */
  uint32_t ep_retrans;     /* retransmissions in the current/last episode (for D-SACK undo) */
  uint32_t ep_dsacked;     /* of which the peer reported as duplicates (D-SACK) */
  uint32_t dsacks;         /* D-SACK blocks received (RFC 2883) */
  /* Proportional rate reduction (RFC 6937) during SACK recovery: bytes delivered and sent
   * since recovery began, FlightSize at its start, and the window the last ACK allowed
   * (pipe + sndcnt at that ACK: sending sndcnt bytes brings pipe up to it). */
  uint32_t prr_delivered, prr_out, prr_recover_fs, prr_wnd;
  bool prr;                /* this recovery uses PRR (cfg.tcp_prr at its start) */
  bool prr_linux;          /* ... with Linux's arithmetic (cfg.tcp_recovery_linux at its start) */
  bool ack_una_adv;        /* the ACK being processed advanced SND.UNA (false on a timer) */
  bool ack_newly_lost;     /* ... and RACK marked a range lost while processing it */
  uint32_t lost_marks;     /* ranges RACK has marked lost so far (counts; wraps) */
  bool rack;               /* RACK decides losses (cfg.tcp_rack and SACK in use) */
  bool open_pipe;          /* open state: the flight is pipe, SACKed data out (cfg.tcp_recovery_linux) */
  /* RACK-TLP (RFC 8985, tcp_rack.c): send times come from the transmit log, not timestamps. */
  synack_xmitlog_t xl;
  synack_time_t rack_xmit;    /* RACK.xmit_ts of the most recently sent delivered segment */
  uint32_t rack_ord;          /* its transmission number (ties in time, tcp_xmitlog.h) */
  synack_seq_t rack_end_seq;  /* RACK.end_seq */
  synack_seq_t rack_fack;     /* RACK.fack: highest delivered end */
  uint32_t rack_rtt_us;       /* RACK.rtt */
  uint32_t rack_min_rtt_us;   /* RACK.min_RTT */
  bool rack_seen;
  bool rack_reord;            /* RACK.reord: reordering was seen (§6.2 step 3) */
  uint8_t reo_mult;           /* RACK.reo_wnd_mult (§6.2 step 4), 1 when idle */
  uint8_t reo_persist;        /* recoveries left before reo_mult returns to 1 */
  bool dsack_round_set;
  synack_seq_t dsack_round;   /* reo_mult grows at most once per round trip: until SND.UNA passes this */
  synack_seq_t rtx_mark;      /* RACK off: SND.MAX when the latest retransmission (explicit seq) was sent */
  synack_time_t rtx_later_at; /* RACK off: when data sent after it was first seen delivered (0: not yet) */
  bool tlp_out;               /* a tail loss probe is outstanding */
  uint8_t tlp_sent;           /* probes sent for this tail (at most TLP_PROBES, tcp_rack.c) */
  uint8_t tlp_force;          /* new segments the probe may still send beyond cwnd (0: no probe) */
  bool tlp_check;             /* §7.4: the probe was a retransmission whose fate is not known yet */
  synack_seq_t tlp_start;     /* first byte of that probe */
  synack_seq_t tlp_high;      /* TLP.end_seq: SND.MAX when the probe was sent */
  /* Spurious-retransmission detection and undo (tcp_undo.c). */
#define SYNACK_UNDO_RANGES 8
  synack_sack_range_t undo_rtx[SYNACK_UNDO_RANGES]; /* retransmissions of the episode not D-SACKed yet */
  uint8_t undo_n;
  bool undo_overflow;         /* more retransmissions than fit: no D-SACK undo for this episode */
  bool eifel;                 /* RFC 3522: the first ACK after the first retransmission is to come */
  uint32_t rtx_tsval;         /* RetransmitTS: TSval of the episode's first retransmission */
  synack_seq_t eifel_seq;     /* where that retransmission started */
  uint8_t frto;               /* RFC 5682: 0 off, 1 after the RTO retransmission, 2 after new data */
  synack_time_t frto_at;      /* when the RTO fired */
  synack_seq_t frto_high;     /* SND.MAX when step 2 sent new data */
  /* The retransmission-timer slot carries three deadlines (0 = none): RTO, RACK reordering
   * timer, TLP probe timeout; the wheel timer is set to the earliest. */
  synack_time_t rto_at, reo_at, tlp_at;
  /* Persist timer (tcp_persist.c, RFC 9293 §3.8.6.1). */
  bool persist;               /* probing a zero window */
  uint32_t probes;            /* window probes sent in this persist phase */
  synack_time_t probe_sent;   /* when the last probe went out */
  synack_time_t probe_start;  /* when this persist phase's first probe went out (cfg.tcp_timeout_linux) */
} synack_sndrec_t;

/* ---------- tcp_sack.c: the scoreboard ---------- */
/* Forgets every range (the attached table, if any, stays). A zeroed board is a valid empty one. */
void synack_sack_reset(synack_sackboard_t *b);
/* Moves the ranges to `storage` (cap entries, cap > SYNACK_SACK_INLINE), which the board then
 * uses until the caller takes it back (synack_sack_detach). */
void synack_sack_attach(synack_sackboard_t *b, synack_sack_range_t *storage, uint16_t cap);
/* Returns the attached table (or NULL) and goes back to the inline ranges (empty). */
synack_sack_range_t *synack_sack_detach(synack_sackboard_t *b);
/* Records [start, end) as SACKed; returns the number of bytes newly SACKed. */
uint32_t synack_sack_add(synack_sackboard_t *b, synack_seq_t start, synack_seq_t end);
/* Forgets everything below una (cumulatively acknowledged). */
void synack_sack_advance(synack_sackboard_t *b, synack_seq_t una);
/* SACKed bytes inside [a, b). */
uint32_t synack_sack_bytes_in(const synack_sackboard_t *b, synack_seq_t a, synack_seq_t e);
/* True when seq is SACKed; *end receives the end of its range. */
bool synack_sack_covers(const synack_sackboard_t *b, synack_seq_t seq, synack_seq_t *end);
/* The first unSACKed interval [*hs, *he) with *hs >= from and *hs < limit; *he <= limit. */
bool synack_sack_next_hole(const synack_sackboard_t *b, synack_seq_t from, synack_seq_t limit, synack_seq_t *hs,
                           synack_seq_t *he);
/* The highest unSACKed interval [*hs, *he) of [una, snd_max); false when everything is SACKed. */
bool synack_sack_last_hole(const synack_sackboard_t *b, synack_seq_t una, synack_seq_t snd_max, synack_seq_t *hs,
                           synack_seq_t *he);
/* RFC 6675 IsLost as an edge: every unSACKed byte below the returned sequence number is lost.
 * Returns una when nothing is lost. */
synack_seq_t synack_sack_lost_edge(const synack_sackboard_t *b, synack_seq_t una, uint32_t mss);
/* RFC 6675 SetPipe over [una, snd_max) for a lost edge and HighRxt. */
uint32_t synack_sack_pipe(const synack_sackboard_t *b, synack_seq_t una, synack_seq_t snd_max, synack_seq_t lost_edge,
                          synack_seq_t high_rxt);
/* Highest SACKed sequence number (end of the top range), or una when none. */
static inline synack_seq_t synack_sack_high(const synack_sackboard_t *b, synack_seq_t una) {
  return b->n ? synack_sack_at(b, b->n - 1u)->end : una;
}

/* Result of processing the SACK option of one ACK. */
typedef struct {
  uint32_t newly_sacked; /* bytes */
  bool dsack;            /* the first block was a D-SACK (RFC 2883) */
  synack_seq_t dsack_start, dsack_end;
  uint32_t invalid;      /* blocks ignored (outside SND.UNA..SND.MAX or malformed) */
  uint8_t nblk;          /* the valid SACK blocks (not the D-SACK), clipped to the ACK */
  synack_sack_range_t blk[4];
} synack_sack_update_t;
/* RFC 2018 / RFC 2883: validates the blocks of an ACK against [ack, snd_max] and applies them.
 * A first block below the cumulative ACK or inside the second block is a D-SACK: recorded in
 * the result, never added to the scoreboard. */
/* The same validation without touching the board (newly_sacked stays 0); synack_sack_apply then
 * adds the blocks. seg_ack is the ACK field of the segment that carried the blocks: the D-SACK
 * test is made against it (RFC 2883 §4), while the blocks are trimmed to ack (SND.UNA), which is
 * ahead of it when a late ACK arrives after a newer one. */
void synack_sack_parse(const synack_sack_block_t *blk, uint8_t n, synack_seq_t seg_ack, synack_seq_t ack,
                       synack_seq_t snd_max, synack_sack_update_t *out);
void synack_sack_apply(synack_sackboard_t *b, synack_sack_update_t *u);
void synack_sack_update(synack_sackboard_t *b, const synack_sack_block_t *blk, uint8_t n, synack_seq_t ack,
                        synack_seq_t snd_max, synack_sack_update_t *out);

#endif
