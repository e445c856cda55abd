/* Adapter from the simulator's node interface to a synack_stack_t. Kept in its own file so a
 * program that only uses generic nodes does not pull in the stack from a static library. */
#include "sim_priv.h"

static void stack_input(void *ctx, synack_time_t now, const uint8_t *frame, size_t len) {
  synack_stack_input((synack_stack_t *)ctx, now, frame, len, 0);
}

static bool stack_poll_tx(void *ctx, synack_time_t now, synack_frame_t *out) {
  return synack_stack_poll_tx((synack_stack_t *)ctx, now, out);
}

static synack_time_t stack_next_deadline(void *ctx) { return synack_stack_next_deadline((synack_stack_t *)ctx); }

static void stack_handle_timers(void *ctx, synack_time_t now) {
  synack_stack_handle_timers((synack_stack_t *)ctx, now);
}

static const synack_sim_node_ops_t stack_ops = {
    .input = stack_input,
    .poll_tx = stack_poll_tx,
    .next_deadline = stack_next_deadline,
    .handle_timers = stack_handle_timers,
};

int synack_sim_add_stack(synack_sim_t *sim, synack_stack_t *stack) {
  if (!stack) return -SYNACK_EINVAL;
  return synack_sim_add_node_kind(sim, SIM_NODE_STACK, &stack_ops, stack);
}
