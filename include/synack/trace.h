/* Structured trace hook: frames in and out, state changes with their reason, timers that fired,
 * frames dropped with their reason. Set synack_config_t.trace to receive them; when it is NULL
 * the cost is one predictable branch per site. The hook must not call into the stack. */
#ifndef SYNACK_TRACE_H
#define SYNACK_TRACE_H

#include "synack/counters.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  SYNACK_TRACE_FRAME_IN = 0,
  SYNACK_TRACE_FRAME_OUT,
  SYNACK_TRACE_FRAME_DROP,
  SYNACK_TRACE_STATE,
  SYNACK_TRACE_TIMER,
  SYNACK_TRACE_NOTE,
} synack_trace_kind_t;

typedef struct synack_trace_event {
  synack_trace_kind_t kind;
  synack_time_t now;
  const char *stack_name;     /* synack_config_t.name */
  /* FRAME_IN / FRAME_OUT / FRAME_DROP */
  const uint8_t *frame;
  size_t frame_len;
  synack_drop_reason_t drop;  /* FRAME_DROP */
  /* STATE / TIMER / NOTE: the connection */
  int sock;                   /* socket handle or -1 (half-open / TIME-WAIT entries) */
  synack_endpoint_t local, remote;
  int old_state, new_state;   /* synack_tcp_state_t values (STATE) */
  const char *reason;         /* why (STATE, NOTE), or the timer's name (TIMER) */
} synack_trace_event_t;

SYNACK_API const char *synack_trace_kind_name(synack_trace_kind_t k);

#ifdef __cplusplus
}
#endif
#endif
