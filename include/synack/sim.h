/* The simulated network: a deterministic discrete-event simulation on a virtual clock that
 * connects any number of nodes (stack instances, switches, custom test nodes) by links whose
 * two directions each carry their own impairments. The same seed replays the same run bit for
 * bit: all randomness comes from the simulator's seeded generator, events at equal times run in
 * the order they were scheduled.
 *
 * Impairments of one direction apply in this order to each frame put on the link:
 *   scripted rules (drop / duplicate / delay the Nth matching frame) → MTU check → random loss →
 *   corruption (one random bit flipped) → duplication → bottleneck (rate limit with a drop-tail
 *   queue; optional ECN CE marking) → propagation delay + jitter → reordering (a held-back frame gets extra delay) →
 *   delivery to the far node.
 * Jitter alone never reorders frames (delivery times are kept monotonic per direction);
 * reordering happens only through the reorder probability.
 */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H

#include "synack/stack.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_sim synack_sim_t;

/* Any endpoint the simulator can drive. */
typedef struct {
  void (*input)(void *ctx, synack_time_t now, const uint8_t *frame, size_t len);
  bool (*poll_tx)(void *ctx, synack_time_t now, synack_frame_t *out); /* may be NULL */
  synack_time_t (*next_deadline)(void *ctx);                          /* may be NULL */
  void (*handle_timers)(void *ctx, synack_time_t now);                /* may be NULL */
} synack_sim_node_ops_t;

typedef struct {
  double loss;                 /* probability that a frame is lost */
  double dup;                  /* probability that a frame is delivered twice */
  double reorder;              /* probability that a frame is held back by reorder_delay_us */
  synack_time_t reorder_delay_us;
  double corrupt;              /* probability that one random bit of the frame is flipped */
  synack_time_t delay_us;      /* one-way propagation delay */
  synack_time_t jitter_us;     /* extra delay uniform in [0, jitter_us] */
  uint64_t rate_bps;           /* bottleneck rate; 0 = unlimited */
  uint32_t queue_bytes;        /* drop-tail queue bound at the bottleneck; 0 = 64 KiB */
  uint32_t ecn_mark_bytes;     /* RFC 3168 step marking: an ECT(0)/ECT(1) frame that finds at least
                                  this many bytes queued is marked CE (and queued); needs rate_bps;
                                  0 = off */
  uint32_t mtu;                /* largest frame (bytes, link header included); 0 = unlimited */
} synack_sim_link_cfg_t;

typedef enum {
  SYNACK_SIM_DROP = 0,
  SYNACK_SIM_DUPLICATE,
  SYNACK_SIM_DELAY,
  SYNACK_SIM_CORRUPT,
} synack_sim_action_t;

/* A scripted fault: the frames number nth .. nth+count-1 (1-based, count 0 = all from nth)
 * among those that match the predicate get the action. */
typedef struct {
  bool tcp_only;               /* match only TCP segments */
  uint8_t tcp_flags_mask;      /* (flags & mask) == value */
  uint8_t tcp_flags_value;
  int payload;                 /* -1 any, 0 only without payload, 1 only with payload */
  bool (*match)(void *user, const uint8_t *frame, size_t len); /* optional extra predicate */
  void *user;
  uint32_t nth, count;
  synack_sim_action_t action;
  synack_time_t delay_us;      /* for SYNACK_SIM_DELAY */
} synack_sim_rule_t;

/* Per-direction statistics. */
typedef struct {
  uint64_t sent, delivered, bytes_delivered;
  uint64_t lost, dropped_rule, dropped_queue, dropped_mtu;
  uint64_t duplicated, reordered, corrupted, delayed_rule;
  synack_time_t total_delay_us; /* sum over delivered frames of (delivery - send) */
  synack_time_t max_delay_us;
  uint64_t ce_marked;           /* frames marked CE at the bottleneck */
} synack_sim_dir_stats_t;

/* What happened to a frame, for observers (pcap capture, ladders, tests). */
typedef enum {
  SYNACK_SIM_OBS_SENT = 0,     /* the node put it on the link */
  SYNACK_SIM_OBS_DROPPED,      /* lost / dropped by a rule, the queue or the MTU */
  SYNACK_SIM_OBS_DELIVERED,    /* handed to the far node */
} synack_sim_obs_kind_t;
typedef struct {
  synack_sim_obs_kind_t kind;
  int link, dir;               /* dir 0: a→b, 1: b→a */
  int from_node, to_node;
  synack_time_t now;
  const uint8_t *frame;
  size_t len;
  const char *why;             /* for DROPPED: "loss", "rule", "queue", "mtu" */
} synack_sim_obs_t;
typedef void (*synack_sim_observer_fn)(void *user, const synack_sim_obs_t *obs);

SYNACK_API synack_sim_t *synack_sim_new(uint64_t seed);
SYNACK_API void synack_sim_free(synack_sim_t *sim);
SYNACK_API synack_time_t synack_sim_now(const synack_sim_t *sim);

/* Nodes. A stack node has one interface: it must be attached to exactly one link. */
SYNACK_API int synack_sim_add_stack(synack_sim_t *sim, synack_stack_t *stack);
SYNACK_API int synack_sim_add_node(synack_sim_t *sim, const synack_sim_node_ops_t *ops, void *ctx);
/* A learning Ethernet switch: any number of links; floods broadcast and unknown destinations. */
SYNACK_API int synack_sim_add_switch(synack_sim_t *sim);

/* Connects nodes a and b; cfg_ab / cfg_ba may be NULL (perfect direction). Returns a link id. */
SYNACK_API int synack_sim_link(synack_sim_t *sim, int a, int b, const synack_sim_link_cfg_t *cfg_ab,
                               const synack_sim_link_cfg_t *cfg_ba);
SYNACK_API int synack_sim_link_config(synack_sim_t *sim, int link, int dir, const synack_sim_link_cfg_t *cfg);
SYNACK_API int synack_sim_add_rule(synack_sim_t *sim, int link, int dir, const synack_sim_rule_t *rule);
SYNACK_API const synack_sim_dir_stats_t *synack_sim_stats(const synack_sim_t *sim, int link, int dir);

/* Puts a frame on a link as if the node at that end had sent it (dir 0: from a, 1: from b). */
SYNACK_API int synack_sim_send(synack_sim_t *sim, int link, int dir, const uint8_t *frame, size_t len);

/* Observers see every frame event; several may be registered. */
SYNACK_API int synack_sim_add_observer(synack_sim_t *sim, synack_sim_observer_fn fn, void *user);

/* Runs a callback at virtual time t (application actions in tests and scenarios). */
typedef void (*synack_sim_fn)(void *user, synack_sim_t *sim, synack_time_t now);
SYNACK_API int synack_sim_at(synack_sim_t *sim, synack_time_t t, synack_sim_fn fn, void *user);

/* Processes everything due at the next event time (deliveries, node timers, node output,
 * callbacks) and advances the clock to it. Returns false when nothing is left to do. */
SYNACK_API bool synack_sim_step(synack_sim_t *sim);
/* Steps until the clock would pass t (the clock ends at t) or nothing is left. */
SYNACK_API void synack_sim_run_until(synack_sim_t *sim, synack_time_t t);
/* Drains node output now without advancing time (after API calls made outside callbacks). */
SYNACK_API void synack_sim_flush(synack_sim_t *sim);

#ifdef __cplusplus
}
#endif
#endif
