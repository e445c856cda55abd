/* The state table (tcp_state.c): names, properties, the transitions of RFC 9293's diagram. */
#include "harness.h"
#include "tcp_internal.h"

static void names(void) {
  CHECK_STR(synack_tcp_state_name(SYNACK_TCP_CLOSED), "CLOSED");
  CHECK_STR(synack_tcp_state_name(SYNACK_TCP_SYN_SENT), "SYN-SENT");
  CHECK_STR(synack_tcp_state_name(SYNACK_TCP_SYN_RECEIVED), "SYN-RECEIVED");
  CHECK_STR(synack_tcp_state_name(SYNACK_TCP_ESTABLISHED), "ESTABLISHED");
  CHECK_STR(synack_tcp_state_name(SYNACK_TCP_FIN_WAIT_1), "FIN-WAIT-1");
  CHECK_STR(synack_tcp_state_name(SYNACK_TCP_TIME_WAIT), "TIME-WAIT");
  CHECK_STR(synack_tcp_state_name((synack_tcp_state_t)99), "?");
}

static void properties(void) {
  CHECK(!synack_tcp_state_synchronized(SYNACK_TCP_LISTEN));
  CHECK(!synack_tcp_state_synchronized(SYNACK_TCP_SYN_SENT));
  CHECK(synack_tcp_state_synchronized(SYNACK_TCP_SYN_RECEIVED));
  CHECK(synack_tcp_state_synchronized(SYNACK_TCP_TIME_WAIT));
  CHECK(synack_tcp_state_can_send(SYNACK_TCP_CLOSE_WAIT));
  CHECK(!synack_tcp_state_can_send(SYNACK_TCP_FIN_WAIT_2));
  CHECK(synack_tcp_state_can_recv(SYNACK_TCP_FIN_WAIT_2));
  CHECK(!synack_tcp_state_can_recv(SYNACK_TCP_CLOSE_WAIT));
}

static void diagram_transitions(void) {
  /* Every arrow of RFC 9293 Figure 5 is legal. */
  static const int arrows[][2] = {
    { SYNACK_TCP_CLOSED, SYNACK_TCP_LISTEN },        { SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT },
    { SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RECEIVED },  { SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_SENT },
    { SYNACK_TCP_LISTEN, SYNACK_TCP_CLOSED },        { SYNACK_TCP_SYN_SENT, SYNACK_TCP_SYN_RECEIVED },
    { SYNACK_TCP_SYN_SENT, SYNACK_TCP_ESTABLISHED }, { SYNACK_TCP_SYN_SENT, SYNACK_TCP_CLOSED },
    { SYNACK_TCP_SYN_RECEIVED, SYNACK_TCP_ESTABLISHED }, { SYNACK_TCP_SYN_RECEIVED, SYNACK_TCP_FIN_WAIT_1 },
    { SYNACK_TCP_SYN_RECEIVED, SYNACK_TCP_LISTEN },  { SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1 },
    { SYNACK_TCP_ESTABLISHED, SYNACK_TCP_CLOSE_WAIT }, { SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2 },
    { SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_CLOSING },   { SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_TIME_WAIT },
    { SYNACK_TCP_CLOSING, SYNACK_TCP_TIME_WAIT },    { SYNACK_TCP_CLOSE_WAIT, SYNACK_TCP_LAST_ACK },
    { SYNACK_TCP_LAST_ACK, SYNACK_TCP_CLOSED },      { SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED },
  };
  for (size_t i = 0; i < sizeof arrows / sizeof arrows[0]; i++)
    CHECK(synack_tcp_transition_legal((synack_tcp_state_t)arrows[i][0], (synack_tcp_state_t)arrows[i][1]));
  /* Resets and aborts close any synchronized state. */
  for (int s = SYNACK_TCP_SYN_SENT; s < SYNACK_TCP_STATE_COUNT; s++)
    CHECK(synack_tcp_transition_legal((synack_tcp_state_t)s, SYNACK_TCP_CLOSED));
}

static void illegal_transitions(void) {
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_CLOSED, SYNACK_TCP_ESTABLISHED));
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_ESTABLISHED, SYNACK_TCP_SYN_SENT));
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_TIME_WAIT, SYNACK_TCP_ESTABLISHED));
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_CLOSING));
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_LAST_ACK, SYNACK_TCP_TIME_WAIT));
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_CLOSE_WAIT, SYNACK_TCP_FIN_WAIT_1));
  CHECK(!synack_tcp_transition_legal(SYNACK_TCP_LISTEN, SYNACK_TCP_ESTABLISHED));
}

TH_MAIN(TH_CASE(names), TH_CASE(properties), TH_CASE(diagram_transitions), TH_CASE(illegal_transitions))
