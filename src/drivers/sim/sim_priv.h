/* Internal layout of the simulator, shared by its files (sim.c: clock, event queues, nodes;
 * sim_link.c: links and impairments; sim_switch.c: the learning switch; sim_stack.c: the stack
 * adapter). Not installed, not part of the API. */
#ifndef SYNACK_SIM_PRIV_H
#define SYNACK_SIM_PRIV_H

#include "core/rng.h"
#include "synack/sim.h"

typedef enum {
  SIM_NODE_GENERIC = 0, /* ops supplied by the caller (tests, custom endpoints) */
  SIM_NODE_STACK,       /* a synack_stack_t behind adapter ops; exactly one link */
  SIM_NODE_SWITCH,      /* learning Ethernet switch, handled inside the simulator */
} sim_node_kind_t;

typedef struct {
  synack_mac_t mac;
  int port; /* index into the switch node's links[] */
} sim_mac_entry_t;

typedef struct {
  sim_node_kind_t kind;
  synack_sim_node_ops_t ops;
  void *ctx;
  int *links; /* link ids in the order they were attached (a switch's ports) */
  size_t nlinks, cap_links;
  /* Time of the last handle_timers call, so that a node whose deadline stays in the past
   * cannot pin the clock (see node_deadline in sim.c). */
  synack_time_t timers_ran_at;
  bool timers_ran;
  /* Switch forwarding table. */
  sim_mac_entry_t *macs;
  size_t nmacs, cap_macs;
} sim_node_t;

typedef struct {
  synack_sim_rule_t rule;
  uint32_t matched; /* frames that matched the predicate so far */
} sim_rule_state_t;

/* A frame that has passed the bottleneck and still occupies queue memory until its last bit
 * left; kept to know the backlog in bytes when the next frame arrives. */
typedef struct {
  synack_time_t done;
  uint32_t len;
} sim_backlog_t;

typedef struct {
  synack_sim_link_cfg_t cfg;
  synack_rng_t rng;
  sim_rule_state_t *rules;
  size_t nrules, cap_rules;
  synack_sim_dir_stats_t stats;
  /* Bottleneck: the time the serializer is busy until, the sub-microsecond remainder carried
   * between back-to-back frames (bit-microseconds not yet a whole microsecond), the backlog. */
  synack_time_t busy_until;
  uint64_t busy_rem;
  sim_backlog_t *backlog; /* ring */
  size_t bl_head, bl_count, bl_cap;
  uint64_t bl_bytes;
  /* Latest delivery time given to a frame that was not held back: jitter never goes below it. */
  synack_time_t last_delivery;
} sim_dir_t;

typedef struct {
  int node[2];  /* node[0] = a, node[1] = b */
  int port[2];  /* index of this link in each node's links[] */
  sim_dir_t dir[2];
} sim_link_t;

typedef enum { SIM_EV_DELIVER = 0, SIM_EV_CALLBACK } sim_ev_kind_t;

typedef struct {
  synack_time_t time;
  uint64_t seq; /* tie-breaker: equal times run in scheduling order */
  sim_ev_kind_t kind;
  /* deliver */
  int link, dir;
  uint8_t *frame;
  size_t len;
  synack_time_t sent_at;
  /* callback */
  synack_sim_fn fn;
  void *user;
} sim_event_t;

typedef struct {
  sim_event_t *ev;
  size_t n, cap;
} sim_heap_t;

typedef struct {
  synack_sim_observer_fn fn;
  void *user;
} sim_observer_t;

struct synack_sim {
  uint64_t seed;
  synack_time_t now;
  uint64_t next_seq;
  sim_node_t *nodes;
  size_t nnodes, cap_nodes;
  sim_link_t *links;
  size_t nlinks, cap_links;
  sim_heap_t deliveries, callbacks;
  sim_observer_t *observers;
  size_t nobservers, cap_observers;
};

/* sim.c */
int synack_sim_add_node_kind(synack_sim_t *sim, sim_node_kind_t kind, const synack_sim_node_ops_t *ops, void *ctx);
int synack_sim_heap_push(synack_sim_t *sim, sim_heap_t *h, const sim_event_t *ev);
void synack_sim_observe(synack_sim_t *sim, synack_sim_obs_kind_t kind, int link, int dir, const uint8_t *frame,
                        size_t len, const char *why);
/* Grows *arr (elements of size elem) so that it holds at least need elements. */
int synack_sim_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* sim_link.c */
/* Puts a frame on a link from the node at end `dir` (0: a, 1: b) and runs the impairments. */
int synack_sim_link_transmit(synack_sim_t *sim, int link, int dir, const uint8_t *frame, size_t len);
void synack_sim_link_free(sim_link_t *l);
/* True when a frame matches a scripted rule's predicate (also used by the TAP driver's impairments). */
bool synack_sim_rule_matches(const synack_sim_rule_t *r, const uint8_t *frame, size_t len);

/* sim_switch.c */
void synack_sim_switch_input(synack_sim_t *sim, int node, int port, const uint8_t *frame, size_t len);

#endif
