/* Named scenarios: a client and a server stack on the simulated network, driven through one
 * story (a lost SYN-ACK, a simultaneous close, a SYN flood...), recorded as a ladder diagram,
 * and checked: every scenario asserts its key segments and end states, so a scenario that no
 * longer tells its story fails.
 *
 * The world: node 0 = client (left column), node 1 = server (right column), one link with a
 * one-way delay (10 ms unless the scenario says otherwise). Each stack is wrapped in a node of
 * our own so that every frame is known to have been sent by a timer, in answer to a segment,
 * or by an application call. Neighbour entries are preset: no ARP in the stories. */
#ifndef SYNACK_TOOLS_SCENARIO_H
#define SYNACK_TOOLS_SCENARIO_H

#include <stdio.h>

#include <synack/synack.h>

#include "ladder.h"

#define SCN_MAX_CONNS 64
#define SCN_MAX_CALLS 64
#define SCN_MAX_FAILS 16
#define SCN_RX_KEEP (1u << 20) /* bytes of received data kept per side for content checks */

typedef struct synack_scn synack_scn_t;

/* Choices made on top of a story (`scenario run --lose 3 --sack off`, the explorer in the
 * browser): switches that override the story's own configuration on both ends (-1 leaves the
 * story's choice), the network, and faults on numbered segments. A segment's number is its
 * place among the pair's segments (synack_lev_t.segno, muted ones counted), so a fault on
 * segment K changes nothing before K: the same choices replay the same story. With faults the
 * story is drawn whole (no muted stretches) and runs SCN_AFTER_FAULT_S past its script. */
typedef enum { SCN_FAULT_LOSE = 0, SCN_FAULT_DELAY, SCN_FAULT_DUP } synack_scn_fault_kind_t;
#define SCN_MAX_FAULTS 32
#define SCN_AFTER_FAULT_S 10 /* seconds a story runs past its script when faults were chosen */
typedef struct {
  uint64_t seed;
  bool ipv6;
  const char *profile;        /* NULL: the defaults (linux, freebsd, rfc) */
  int sack, timestamps, rfc5961, syncookies, timewait, tw_reuse, isn_clock; /* -1: the story's */
  uint32_t rtt_ms;            /* 0: the story's (20 ms) */
  double loss;                /* random loss probability on both directions */
  uint32_t delay_ms;          /* how long a delayed segment is held up (default 300 ms) */
  struct { uint32_t seg; synack_scn_fault_kind_t kind; } fault[SCN_MAX_FAULTS];
  size_t nfault;
} synack_scn_opts_t;
void synack_scn_opts_init(synack_scn_opts_t *o);
/* Sets one choice by name: seed, ipv6, profile, sack, ts, rfc5961, cookies, timewait, twreuse
 * (on/off/1/0), isn (random/clock), rtt (ms), loss (percent), delayms, lose/delay/dup (segment
 * numbers, comma-separated). The value string must outlive o (profile). 0, or -1 when unknown
 * or malformed. */
int synack_scn_opts_set(synack_scn_opts_t *o, const char *key, const char *val);
/* Applied by synack_scn_start (scenario_choice.c): the switches to cfg[], then the network. */
void synack_scn_apply_config(synack_scn_t *s);
void synack_scn_apply_network(synack_scn_t *s);
typedef void (*synack_scn_fn)(synack_scn_t *s, synack_time_t now);

/* One application connection at one end. */
typedef struct {
  int sock;
  bool used, connected, eof, closed, reset;
  int err;                    /* first error reported (negative), 0 = none */
  size_t rx;                  /* bytes received */
  size_t tx_want, tx_queued;  /* bytes the app wants to send / has queued */
  bool close_after_send;      /* close() once everything is queued */
  synack_time_t connected_at, eof_at, err_at;
  synack_time_t close_at;     /* a delayed close() is due (0 = none) */
} synack_scn_conn_t;

typedef struct {
  synack_scn_t *s;
  int side;
  synack_stack_t *stack;
  bool in_timers;
  /* frames drained from the stack while its timers ran (sent later, tagged) */
  uint8_t *q;
  size_t qlen, qcap, qrd;
  bool lent, cur_timer;
  uint8_t timer_kind, cur_kind; /* which timer of the retransmission slot ran: SYNACK_LSEG_* bits */
} synack_scn_node_t;

struct synack_scn {
  /* options */
  uint64_t seed;
  bool ipv6;
  const char *profile;
  bool quiet;
  /* world */
  synack_config_t cfg[2];
  synack_stack_t *st[2];
  synack_scn_node_t node[2];
  synack_sim_t *sim;
  int link;
  synack_time_t delay_us;
  synack_ip_t ip[2];
  synack_ladder_t lad;
  synack_pcap_t *pcap;
  /* the network: a cut direction loses everything (a dead peer, an unplugged cable) */
  bool cut[2];
  /* in-flight segments for arrival matching */
  struct { long idx; uint64_t hash; int dir; bool copy; } fly[256];
  size_t nfly;
  bool injecting;
  long delivering_idx;
  bool in_pair_input;         /* the stack is processing one of the pair's segments */
  /* applications */
  int lsock;
  uint16_t lport;
  synack_scn_conn_t conn[2][SCN_MAX_CONNS];
  bool close_on_eof[2];       /* app of a side: close() when the peer's FIN arrives ... */
  synack_time_t close_delay_us[2]; /* ... that long after it */
  int gen[2];                 /* data generation: bytes sent by side are pattern(side, gen, offset) */
  const char *pcap_path;
  /* keep a copy of the first sent segment for which keep_fn returns true (old duplicates) */
  bool (*keep_fn)(synack_scn_t *s, const synack_lev_t *e);
  uint8_t kept[2048];
  size_t kept_len;
  uint32_t kept_seq, kept_rseq;
  size_t server_reply;        /* server app: bytes sent back after the first request */
  uint8_t *rxbuf[2];          /* what the first connection of each side received */
  size_t rxkeep[2];
  int rxslot[2];
  /* scheduled scenario callbacks */
  struct { synack_scn_t *s; synack_scn_fn fn; } calls[SCN_MAX_CALLS];
  size_t ncalls;
  /* the client's last FIN per local port (also while muted), for TIME-WAIT reuse checks */
  struct { uint16_t port; uint32_t fin_seq; } fins[16];
  size_t nfins;
  /* segments not drawn (other 4-tuples: spoofed sources...) */
  unsigned other_segs[2];
  /* result */
  synack_time_t end;          /* virtual time when the story stopped */
  int nfail;
  char fail[SCN_MAX_FAILS][200];
  /* choices on top of the story (NULL: none) and the segment being put on the wire */
  const synack_scn_opts_t *opts;
  uint32_t cur_seg;
  struct synack_scn_fault_ctx { synack_scn_t *s; size_t i; } fault_ctx[SCN_MAX_FAULTS];
  long delivering_copy;       /* a second copy of a duplicated segment is being delivered */
  FILE *pcap_stream;          /* capture into this stream instead of pcap_path */
  /* every expectation with its outcome, when record_checks is set (the explorer lists them) */
  bool record_checks;
  struct synack_scn_check { bool ok; char text[200]; } *checks;
  size_t nchecks;
  bool tfo_connect;           /* synack_scn_connect sets TCP_FASTOPEN_CONNECT (fast-open story) */
  /* scratch for the stories: errors met and counters (see scenario_guard.c) */
  int story_err[2];
  unsigned story_count;
  void *user;
};

typedef struct {
  const char *name;
  const char *summary; /* one line for `scenario list` */
  int (*run)(synack_scn_t *s);
} synack_scn_def_t;

/* ---- the world (scenario.c) ---- */
/* Fills cfg[0..1] with defaults, the profile, names, addresses and the seed. */
void synack_scn_config(synack_scn_t *s);
/* Creates stacks, simulator and link (after the scenario adjusted cfg[]); writes s->pcap_path. */
int synack_scn_start(synack_scn_t *s);
void synack_scn_stop(synack_scn_t *s);
/* Replaces a stack by a fresh one (a reboot): everything it knew is gone. */
void synack_scn_reboot(synack_scn_t *s, int side, uint64_t new_seed);

/* ---- applications ---- */
int synack_scn_listen(synack_scn_t *s, uint16_t port);
/* Active open from side to the other side's port; local_port 0 = ephemeral. Returns the conn
 * slot (or -1: the error is in *err when err is not NULL). */
int synack_scn_connect(synack_scn_t *s, int side, uint16_t port, uint16_t local_port, int *err);
synack_scn_conn_t *synack_scn_conn(synack_scn_t *s, int side, int slot);
/* The most recent connection of a side (or NULL). */
synack_scn_conn_t *synack_scn_last(synack_scn_t *s, int side);
void synack_scn_send(synack_scn_t *s, int side, int slot, size_t bytes);
void synack_scn_close(synack_scn_t *s, int side, int slot);
void synack_scn_at(synack_scn_t *s, synack_time_t t, synack_scn_fn fn);
void synack_scn_run_until(synack_scn_t *s, synack_time_t t);
/* Callbacks for synack_scn_at: stop / resume drawing (segments are still counted). */
void synack_scn_mute(synack_scn_t *s, synack_time_t now);
void synack_scn_unmute(synack_scn_t *s, synack_time_t now);
/* Puts a raw frame on the wire as if `side` sent it (attackers, old duplicates). */
void synack_scn_inject(synack_scn_t *s, int side, const uint8_t *frame, size_t len);
/* Builds an Ethernet frame carrying one TCP segment from src to dst; returns its length. */
size_t synack_scn_forge(synack_scn_t *s, int from_side, const synack_ip_t *src, const synack_ip_t *dst,
                        const synack_tcp_repr_t *tcp, const uint8_t *payload, size_t plen, uint8_t *buf,
                        size_t cap);
/* The connection table entry of a side for the ladder's pair (or NULL). */
bool synack_scn_entry(synack_scn_t *s, int side, synack_conn_entry_t *out);
int synack_scn_state(synack_scn_t *s, int side); /* state of that entry, CLOSED when none */

/* ---- queries on the recorded story ---- */
typedef struct {
  int side;              /* -1 any */
  uint8_t mask, value;   /* flags & mask == value */
  int data;              /* -1 any, 0 no payload, 1 payload */
  int lost;              /* -1 any, 0 delivered, 1 lost */
  int retrans;           /* -1 any */
  int timer;             /* -1 any, 1 sent by a timer, 0 not */
} synack_scn_match_t;
#define SCN_ANY(side_) ((synack_scn_match_t){ side_, 0, 0, -1, -1, -1, -1 })
#define SCN_FLAGS(side_, mask_, value_) ((synack_scn_match_t){ side_, mask_, value_, -1, -1, -1, -1 })
size_t synack_scn_count(const synack_scn_t *s, synack_scn_match_t m);
/* The nth (1-based) matching segment, or NULL. */
const synack_lev_t *synack_scn_nth(const synack_scn_t *s, synack_scn_match_t m, size_t nth);

/* The first matching segment after e (NULL: from the start), or NULL. */
const synack_lev_t *synack_scn_next(const synack_scn_t *s, const synack_lev_t *e, synack_scn_match_t m);
/* A scripted drop on the frames from `side`: TCP segments with (flags & mask) == value and the
 * payload condition (-1 any, 0 none, 1 some), numbers nth .. nth+count-1 (count 0 = all). */
void synack_scn_drop(synack_scn_t *s, int side, uint8_t mask, uint8_t value, int payload, uint32_t nth,
                     uint32_t count);
/* Fills cfg, starts the world and opens the server's listener on port 80. */
int synack_scn_world(synack_scn_t *s);

/* True when side went through `state` (a recorded state change into it). */
bool synack_scn_state_seen(const synack_scn_t *s, int side, int state);
/* The byte the application of side sends at offset i of generation gen. */
uint8_t synack_scn_pattern(int side, int gen, size_t i);
/* True when the first n bytes side received equal what the other side's generation gen sent. */
bool synack_scn_rx_intact(const synack_scn_t *s, int side, int gen, size_t n);

void synack_scn_expect(synack_scn_t *s, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define SCN_EXPECT(s, cond, ...) synack_scn_expect((s), (cond), __VA_ARGS__)

/* ---- the catalogue (scenario_*.c) ---- */
extern const synack_scn_def_t synack_scn_open_defs[];
extern const size_t synack_scn_open_count;
extern const synack_scn_def_t synack_scn_close_defs[];
extern const size_t synack_scn_close_count;
extern const synack_scn_def_t synack_scn_guard_defs[];
extern const size_t synack_scn_guard_count;
extern const synack_scn_def_t synack_scn_data_defs[];
extern const size_t synack_scn_data_count;
const synack_scn_def_t *synack_scn_find(const char *name);

/* The catalogue in groups, for lists. */
typedef struct {
  const synack_scn_def_t *defs;
  const size_t *count;
  const char *group;
} synack_scn_group_t;
extern const synack_scn_group_t synack_scn_groups[];
extern const size_t synack_scn_ngroups;

/* Plays one story with the choices o (NULL: none): the ladder finished, the checks done, the
 * pcap written to pcap_path or s->pcap_stream when set before. Free with synack_scn_free.
 * NULL when out of memory. */
synack_scn_t *synack_scn_play(const synack_scn_def_t *def, const synack_scn_opts_t *o, const char *pcap_path,
                              FILE *pcap_stream, bool record_checks);
void synack_scn_free(synack_scn_t *s);
/* "client 198.18.0.1, server 198.18.0.2, 10 ms each way; 9 segments, 1 lost, 1 retransmitted" */
void synack_scn_subtitle(const synack_scn_t *s, char *buf, size_t cap);

/* Where run_one writes the story besides the terminal (NULL: not written). */
typedef struct {
  const char *svg, *pcap, *json; /* json: what the explorer in the browser gets (tools/web) */
} synack_scn_files_t;

/* Runs one scenario with the given choices; writes the files named. Returns 0 when the story
 * happened. */
int synack_scn_run_one(const synack_scn_def_t *def, const synack_scn_opts_t *o, bool quiet, bool color,
                       const synack_scn_files_t *files, FILE *out);

#endif
