/* The simulator's clock, event queues and main loop.
 *
 * Two binary heaps keyed by (time, sequence number): one for frame deliveries, one for
 * callbacks. Keeping them apart gives each event time a fixed phase order — deliveries, then
 * node timers, then callbacks, then node output — while the global sequence number keeps
 * events of equal time in the order they were scheduled, which is what makes runs replayable. */
#include <stdlib.h>
#include <string.h>

#include "sim_priv.h"

int synack_sim_grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 4;
  while (ncap < need) ncap *= 2;
  void *p = realloc(*arr, ncap * elem);
  if (!p) return -SYNACK_ENOMEM;
  *arr = p;
  *cap = ncap;
  return 0;
}

/* ---- heap ---- */

static bool ev_before(const sim_event_t *a, const sim_event_t *b) {
  return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

int synack_sim_heap_push(synack_sim_t *sim, sim_heap_t *h, const sim_event_t *ev) {
  if (synack_sim_grow((void **)&h->ev, &h->cap, h->n + 1, sizeof *h->ev) < 0) return -SYNACK_ENOMEM;
  size_t i = h->n++;
  h->ev[i] = *ev;
  h->ev[i].seq = sim->next_seq++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!ev_before(&h->ev[i], &h->ev[parent])) break;
    sim_event_t t = h->ev[i];
    h->ev[i] = h->ev[parent];
    h->ev[parent] = t;
    i = parent;
  }
  return 0;
}

static sim_event_t heap_pop(sim_heap_t *h) {
  sim_event_t top = h->ev[0];
  h->ev[0] = h->ev[--h->n];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && ev_before(&h->ev[l], &h->ev[m])) m = l;
    if (r < h->n && ev_before(&h->ev[r], &h->ev[m])) m = r;
    if (m == i) break;
    sim_event_t t = h->ev[i];
    h->ev[i] = h->ev[m];
    h->ev[m] = t;
    i = m;
  }
  return top;
}

/* ---- lifetime ---- */

synack_sim_t *synack_sim_new(uint64_t seed) {
  synack_sim_t *sim = calloc(1, sizeof *sim);
  if (!sim) return NULL;
  sim->seed = seed;
  return sim;
}

void synack_sim_free(synack_sim_t *sim) {
  if (!sim) return;
  for (size_t i = 0; i < sim->deliveries.n; i++) free(sim->deliveries.ev[i].frame);
  free(sim->deliveries.ev);
  free(sim->callbacks.ev);
  for (size_t i = 0; i < sim->nlinks; i++) synack_sim_link_free(&sim->links[i]);
  free(sim->links);
  for (size_t i = 0; i < sim->nnodes; i++) {
    free(sim->nodes[i].links);
    free(sim->nodes[i].macs);
  }
  free(sim->nodes);
  free(sim->observers);
  free(sim);
}

synack_time_t synack_sim_now(const synack_sim_t *sim) { return sim->now; }

/* ---- nodes ---- */

int synack_sim_add_node_kind(synack_sim_t *sim, sim_node_kind_t kind, const synack_sim_node_ops_t *ops, void *ctx) {
  if (!sim) return -SYNACK_EINVAL;
  if (kind != SIM_NODE_SWITCH && (!ops || !ops->input)) return -SYNACK_EINVAL;
  if (synack_sim_grow((void **)&sim->nodes, &sim->cap_nodes, sim->nnodes + 1, sizeof *sim->nodes) < 0)
    return -SYNACK_ENOMEM;
  sim_node_t *n = &sim->nodes[sim->nnodes];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  if (ops) n->ops = *ops;
  n->ctx = ctx;
  return (int)sim->nnodes++;
}

int synack_sim_add_node(synack_sim_t *sim, const synack_sim_node_ops_t *ops, void *ctx) {
  return synack_sim_add_node_kind(sim, SIM_NODE_GENERIC, ops, ctx);
}

int synack_sim_add_switch(synack_sim_t *sim) { return synack_sim_add_node_kind(sim, SIM_NODE_SWITCH, NULL, NULL); }

/* ---- observers and callbacks ---- */

int synack_sim_add_observer(synack_sim_t *sim, synack_sim_observer_fn fn, void *user) {
  if (!sim || !fn) return -SYNACK_EINVAL;
  if (synack_sim_grow((void **)&sim->observers, &sim->cap_observers, sim->nobservers + 1, sizeof *sim->observers) < 0)
    return -SYNACK_ENOMEM;
  sim->observers[sim->nobservers].fn = fn;
  sim->observers[sim->nobservers].user = user;
  return (int)sim->nobservers++;
}

void synack_sim_observe(synack_sim_t *sim, synack_sim_obs_kind_t kind, int link, int dir, const uint8_t *frame,
                        size_t len, const char *why) {
  if (sim->nobservers == 0) return;
  const sim_link_t *l = &sim->links[link];
  synack_sim_obs_t o = {
      .kind = kind,
      .link = link,
      .dir = dir,
      .from_node = l->node[dir],
      .to_node = l->node[1 - dir],
      .now = sim->now,
      .frame = frame,
      .len = len,
      .why = why,
  };
  for (size_t i = 0; i < sim->nobservers; i++) sim->observers[i].fn(sim->observers[i].user, &o);
}

int synack_sim_at(synack_sim_t *sim, synack_time_t t, synack_sim_fn fn, void *user) {
  if (!sim || !fn) return -SYNACK_EINVAL;
  /* A time already past runs at the current instant rather than rewinding the clock. */
  sim_event_t ev = {.time = t < sim->now ? sim->now : t, .kind = SIM_EV_CALLBACK, .fn = fn, .user = user};
  return synack_sim_heap_push(sim, &sim->callbacks, &ev);
}

/* ---- the loop ---- */

/* The node's next deadline as the loop sees it. A deadline at or before the last time its timers
 * ran is moved one microsecond past it: a node may legitimately report an early deadline (the
 * stack's timing wheel does), but without this a deadline stuck in the past would make step()
 * return the same instant forever. */
static synack_time_t node_deadline(const sim_node_t *n) {
  if (!n->ops.next_deadline || !n->ops.handle_timers) return SYNACK_TIME_NEVER;
  synack_time_t d = n->ops.next_deadline(n->ctx);
  if (d != SYNACK_TIME_NEVER && n->timers_ran && d <= n->timers_ran_at) d = n->timers_ran_at + 1;
  return d;
}

static synack_time_t next_time(const synack_sim_t *sim) {
  synack_time_t t = SYNACK_TIME_NEVER;
  if (sim->deliveries.n && sim->deliveries.ev[0].time < t) t = sim->deliveries.ev[0].time;
  if (sim->callbacks.n && sim->callbacks.ev[0].time < t) t = sim->callbacks.ev[0].time;
  for (size_t i = 0; i < sim->nnodes; i++) {
    synack_time_t d = node_deadline(&sim->nodes[i]);
    if (d < t) t = d;
  }
  if (t != SYNACK_TIME_NEVER && t < sim->now) t = sim->now;
  return t;
}

static void deliver(synack_sim_t *sim, const sim_event_t *ev) {
  sim_link_t *l = &sim->links[ev->link];
  sim_dir_t *d = &l->dir[ev->dir];
  synack_time_t lat = sim->now - ev->sent_at;
  d->stats.delivered++;
  d->stats.bytes_delivered += ev->len;
  d->stats.total_delay_us += lat;
  if (lat > d->stats.max_delay_us) d->stats.max_delay_us = lat;
  synack_sim_observe(sim, SYNACK_SIM_OBS_DELIVERED, ev->link, ev->dir, ev->frame, ev->len, NULL);
  int to = l->node[1 - ev->dir];
  int port = l->port[1 - ev->dir];
  sim_node_t *n = &sim->nodes[to];
  switch (n->kind) {
  case SIM_NODE_SWITCH:
    synack_sim_switch_input(sim, to, port, ev->frame, ev->len);
    break;
  case SIM_NODE_GENERIC:
  case SIM_NODE_STACK:
    n->ops.input(n->ctx, sim->now, ev->frame, ev->len);
    break;
  }
}

/* Moves every pending node output onto the node's link, until a whole pass finds none. Sends
 * are copied at once, so a frame buffer only has to live until the next poll_tx. */
void synack_sim_flush(synack_sim_t *sim) {
  bool any = true;
  while (any) {
    any = false;
    for (size_t i = 0; i < sim->nnodes; i++) {
      sim_node_t *n = &sim->nodes[i];
      if (n->kind == SIM_NODE_SWITCH || !n->ops.poll_tx) continue;
      synack_frame_t f;
      while (sim->nodes[i].ops.poll_tx(sim->nodes[i].ctx, sim->now, &f)) {
        any = true;
        n = &sim->nodes[i]; /* the node array may have grown inside poll_tx */
        if (n->nlinks == 0) continue; /* not connected: the frame goes nowhere */
        int link = n->links[0];
        int dir = sim->links[link].node[0] == (int)i ? 0 : 1;
        synack_sim_link_transmit(sim, link, dir, f.data, f.len);
      }
    }
  }
}

bool synack_sim_step(synack_sim_t *sim) {
  synack_time_t t = next_time(sim);
  if (t == SYNACK_TIME_NEVER) return false;
  sim->now = t;
  /* 1. Deliveries due (a switch may forward at once: those land in the same loop). */
  while (sim->deliveries.n && sim->deliveries.ev[0].time <= t) {
    sim_event_t ev = heap_pop(&sim->deliveries);
    deliver(sim, &ev);
    free(ev.frame);
  }
  /* 2. Node timers due. */
  for (size_t i = 0; i < sim->nnodes; i++) {
    if (node_deadline(&sim->nodes[i]) <= t) {
      sim->nodes[i].timers_ran = true;
      sim->nodes[i].timers_ran_at = t;
      sim->nodes[i].ops.handle_timers(sim->nodes[i].ctx, t);
    }
  }
  /* 3. Callbacks due; one scheduled for "now" from inside a callback runs in this loop too. */
  while (sim->callbacks.n && sim->callbacks.ev[0].time <= t) {
    sim_event_t ev = heap_pop(&sim->callbacks);
    ev.fn(ev.user, sim, t);
  }
  /* 4. Node output. Frames sent now with zero delay are due at t: the next step picks them up
   * without moving the clock. */
  synack_sim_flush(sim);
  return true;
}

void synack_sim_run_until(synack_sim_t *sim, synack_time_t t) {
  for (;;) {
    synack_time_t n = next_time(sim);
    if (n == SYNACK_TIME_NEVER || n > t) break;
    synack_sim_step(sim);
  }
  if (sim->now < t) sim->now = t;
}
