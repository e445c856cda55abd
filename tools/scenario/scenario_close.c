/* Scenarios of the close: simultaneous close through CLOSING, the three-segment close, and each
 * segment of the four-segment close lost in turn. */
#include "scenario.h"

#define S SYNACK_TCP_SYN
#define A SYNACK_TCP_ACK
#define F SYNACK_TCP_FIN
#define R SYNACK_TCP_RST
#define CTL (S | A | F | R)

static void close_client(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_close(s, 0, (int)(c - s->conn[0]));
}

static void close_both(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0), *d = synack_scn_last(s, 1);
  if (c) synack_scn_close(s, 0, (int)(c - s->conn[0]));
  if (d) synack_scn_close(s, 1, (int)(d - s->conn[1]));
}

/* A connected pair, nothing sent; the client closes at 0.2 s. server_delay: how long the
 * server waits after EOF before its own close() (0 = at once). */
static int closing_world(synack_scn_t *s, synack_time_t server_delay) {
  synack_scn_config(s);
  s->close_on_eof[1] = true;
  s->close_delay_us[1] = server_delay;
  if (synack_scn_world(s)) return -1;
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_MS(200), close_client);
  return 0;
}

/* The FIN of side, its ACK from the other side: the segment after it that acknowledges it. */
static const synack_lev_t *fin_of(const synack_scn_t *s, int side, size_t nth) {
  return synack_scn_nth(s, SCN_FLAGS(side, F, F), nth);
}

static int simultaneous_close(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_MS(200), close_both);
  synack_scn_run_until(s, SYNACK_SEC(2));
  const synack_lev_t *f0 = fin_of(s, 0, 1), *f1 = fin_of(s, 1, 1);
  SCN_EXPECT(s, f0 && f1 && f0->t == f1->t, "both FINs leave at the same instant");
  for (int side = 0; side < 2; side++) {
    const char *who = side ? "server" : "client";
    SCN_EXPECT(s, synack_scn_state_seen(s, side, SYNACK_TCP_FIN_WAIT_1), "the %s goes to FIN-WAIT-1", who);
    SCN_EXPECT(s, synack_scn_state_seen(s, side, SYNACK_TCP_CLOSING), "the %s goes FIN-WAIT-1 -> CLOSING", who);
    SCN_EXPECT(s, !synack_scn_state_seen(s, side, SYNACK_TCP_FIN_WAIT_2), "the %s never sees FIN-WAIT-2", who);
    SCN_EXPECT(s, synack_scn_state(s, side) == SYNACK_TCP_TIME_WAIT, "the %s ends in TIME-WAIT", who);
  }
  if (f1)
    synack_ladder_explain_after(&s->lad, f1, "the FINs cross: each end gets a FIN while its own is unacknowledged: CLOSING");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(-1, F, F)) == 2, "one FIN each, no retransmission");
  SCN_EXPECT(s, s->lad.segments == 7, "3 + 4 segments, got %u", s->lad.segments);
  return 0;
}

static int three_segment_close(synack_scn_t *s) {
  if (closing_world(s, 0)) return -1;
  synack_scn_run_until(s, SYNACK_SEC(1));
  const synack_lev_t *f0 = fin_of(s, 0, 1);
  const synack_lev_t *next = f0 ? synack_scn_next(s, f0, SCN_ANY(1)) : NULL;
  SCN_EXPECT(s, f0 != NULL, "the client sends a FIN");
  if (s->cfg[1].tcp_fin_ack_now) {
    /* A server that ACKs a FIN at once (the freebsd profile, as FreeBSD does) never merges
     * that ACK with its FIN: the close takes four segments whatever the application does. */
    SCN_EXPECT(s, next && (next->flags & CTL) == A && next->rack == f0->rseq + 1,
               "the server ACKs the FIN at once (tcp_fin_ack_now)");
    const synack_lev_t *fin = next ? synack_scn_next(s, next, SCN_ANY(1)) : NULL;
    SCN_EXPECT(s, fin && (fin->flags & F), "then sends its own FIN: four segments, not three");
    SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(-1, F, F)) == 2 && s->lad.segments == 7,
               "seven segments for the whole connection, got %u", s->lad.segments);
    if (next)
      synack_ladder_explain_after(&s->lad, next,
                                  "this profile ACKs a FIN at once (FreeBSD): the ACK cannot ride on the server's FIN");
    SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
               "client TIME-WAIT, server CLOSED");
    return 0;
  }
  SCN_EXPECT(s, next && (next->flags & F) && (next->flags & A) && next->rack == f0->rseq + 1,
             "the server's next segment is its own FIN, carrying the ACK of the client's FIN");
  const synack_lev_t *last = next ? synack_scn_next(s, next, SCN_ANY(0)) : NULL;
  SCN_EXPECT(s, last && (last->flags & CTL) == A && last->rack == next->rseq + 1, "the client ACKs it: three segments");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(-1, F, F)) == 2 && s->lad.segments == 6,
             "six segments for the whole connection, got %u", s->lad.segments);
  if (next)
    synack_ladder_explain_after(&s->lad, next,
                                "the server had nothing more to say: its ACK waited for the delayed-ACK timer and "
                                "left with the FIN");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
             "client TIME-WAIT, server CLOSED");
  return 0;
}

static int close_fin_lost(synack_scn_t *s) {
  if (closing_world(s, SYNACK_MS(100))) return -1;
  synack_scn_drop(s, 0, F, F, -1, 1, 1);
  synack_scn_run_until(s, SYNACK_SEC(3));
  const synack_lev_t *f1 = fin_of(s, 0, 1), *f2 = fin_of(s, 0, 2);
  SCN_EXPECT(s, f1 && f1->lost, "the client's FIN is lost");
  SCN_EXPECT(s, f2 && f2->by_timer && f2->retrans && !f2->lost, "the client's retransmission timer resends it");
  SCN_EXPECT(s, f1 && f2 && f2->seq == f1->seq, "same sequence number");
  if (f1)
    synack_ladder_explain_after(&s->lad, f1, "FIN lost: the server knows nothing; the client in FIN-WAIT-1 waits one RTO");
  SCN_EXPECT(s, f2 && f2->st[1] == SYNACK_TCP_CLOSE_WAIT, "the server gets the FIN only now: CLOSE-WAIT");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
             "the close completes: client TIME-WAIT, server CLOSED");
  return 0;
}

static int close_ack_lost(synack_scn_t *s) {
  if (closing_world(s, SYNACK_SEC(1))) return -1;
  /* The server's first pure ACK is the one of the client's FIN (no data in this story). */
  synack_scn_drop(s, 1, CTL, A, 0, 1, 1);
  synack_scn_run_until(s, SYNACK_SEC(3));
  const synack_lev_t *a = synack_scn_nth(s, SCN_FLAGS(1, CTL, A), 1);
  SCN_EXPECT(s, a && a->lost && a->rack == 2, "the server's ACK of the FIN is lost");
  const synack_lev_t *f2 = fin_of(s, 0, 2);
  SCN_EXPECT(s, f2 && f2->by_timer && f2->retrans, "the client, still in FIN-WAIT-1, resends its FIN after an RTO");
  const synack_lev_t *a2 = f2 ? synack_scn_next(s, f2, SCN_ANY(1)) : NULL;
  SCN_EXPECT(s, a2 && (a2->flags & CTL) == A && a2->rack == 2 && !a2->lost,
             "the server, in CLOSE-WAIT, ACKs the duplicate FIN");
  SCN_EXPECT(s, a2 && a2->st[0] == SYNACK_TCP_FIN_WAIT_2, "the client moves on to FIN-WAIT-2");
  if (a) synack_ladder_explain_after(&s->lad, a, "ACK of the FIN lost: the client cannot tell; its FIN timer repairs it");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
             "the close completes after the server's close(): client TIME-WAIT, server CLOSED");
  return 0;
}

static int close_fin2_lost(synack_scn_t *s) {
  if (closing_world(s, SYNACK_MS(100))) return -1;
  synack_scn_drop(s, 1, F, F, -1, 1, 1);
  synack_scn_run_until(s, SYNACK_SEC(3));
  const synack_lev_t *f1 = fin_of(s, 1, 1), *f2 = fin_of(s, 1, 2);
  SCN_EXPECT(s, f1 && f1->lost, "the server's FIN is lost");
  SCN_EXPECT(s, f1 && (f1->st[0] == SYNACK_TCP_FIN_WAIT_2 || f1->st[0] == SYNACK_TCP_FIN_WAIT_1),
             "the client keeps waiting for it (FIN-WAIT-2, or FIN-WAIT-1 when the ACK rode on the lost FIN)");
  SCN_EXPECT(s, f2 && f2->by_timer && f2->retrans && !f2->lost, "the server's retransmission timer resends the FIN");
  SCN_EXPECT(s, f2 && f2->st[0] == SYNACK_TCP_TIME_WAIT, "the client enters TIME-WAIT when it arrives");
  if (f1) synack_ladder_explain_after(&s->lad, f1, "the server's FIN lost: it stays in LAST-ACK until its RTO fires");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
             "client TIME-WAIT, server CLOSED");
  return 0;
}

static int close_last_ack_lost(synack_scn_t *s) {
  if (closing_world(s, SYNACK_MS(100))) return -1;
  /* The client's pure ACKs: #1 completes the handshake, #2 is the last ACK of the close. */
  synack_scn_drop(s, 0, CTL, A, 0, 2, 1);
  synack_scn_run_until(s, SYNACK_SEC(3));
  const synack_lev_t *la = synack_scn_nth(s, SCN_FLAGS(0, CTL, A), 2);
  SCN_EXPECT(s, la && la->lost, "the client's last ACK is lost");
  SCN_EXPECT(s, la && la->st[0] == SYNACK_TCP_TIME_WAIT && la->st[1] == SYNACK_TCP_LAST_ACK,
             "client in TIME-WAIT, server still in LAST-ACK");
  const synack_lev_t *f2 = fin_of(s, 1, 2);
  SCN_EXPECT(s, f2 && f2->by_timer && f2->retrans, "the server resends its FIN after an RTO");
  const synack_lev_t *la2 = f2 ? synack_scn_next(s, f2, SCN_ANY(0)) : NULL;
  SCN_EXPECT(s, la2 && (la2->flags & CTL) == A && !la2->lost && la2->rack == f2->rseq + 1,
             "the client, in TIME-WAIT, ACKs the retransmitted FIN again");
  SCN_EXPECT(s, la2 && la2->st[1] == SYNACK_TCP_CLOSED, "the server closes cleanly");
  if (la)
    synack_ladder_explain_after(&s->lad, la,
                                "last ACK lost: this is why the active closer waits in TIME-WAIT (2 MSL) instead of "
                                "leaving");
  if (la2) synack_ladder_explain_after(&s->lad, la2, "TIME-WAIT was still there to answer: the 2 MSL timer restarts");
  synack_scn_conn_t *sc = synack_scn_last(s, 1);
  SCN_EXPECT(s, sc && sc->err == 0, "the server application saw no error");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
             "client TIME-WAIT, server CLOSED");
  return 0;
}

const synack_scn_def_t synack_scn_close_defs[] = {
    {"simultaneous-close", "both ends close() at once: FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both", simultaneous_close},
    {"three-segment-close", "the server closes as soon as it reads EOF: its ACK rides on its FIN", three_segment_close},
    {"close-fin-lost", "four-segment close, the first FIN is lost and resent", close_fin_lost},
    {"close-ack-lost", "four-segment close, the ACK of the first FIN is lost", close_ack_lost},
    {"close-fin2-lost", "four-segment close, the second FIN is lost and resent", close_fin2_lost},
    {"close-last-ack-lost", "the last ACK is lost: the resent FIN meets TIME-WAIT, which answers", close_last_ack_lost},
};
const size_t synack_scn_close_count = sizeof synack_scn_close_defs / sizeof synack_scn_close_defs[0];
