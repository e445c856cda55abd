/* Scenarios of the opening handshake: the normal case and every segment of it lost, the
 * SYN-ACK give-up after 63 s, and the simultaneous open. */
#include <string.h>

#include "scenario.h"

#define S SYNACK_TCP_SYN
#define A SYNACK_TCP_ACK
#define F SYNACK_TCP_FIN
#define R SYNACK_TCP_RST
#define CTL (S | A | F | R)

/* The three segments of a handshake, in order, with their numbers. */
static void expect_handshake(synack_scn_t *s) {
  const synack_lev_t *syn = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 1);
  const synack_lev_t *sa = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 1);
  SCN_EXPECT(s, syn != NULL, "the client sends a SYN");
  SCN_EXPECT(s, sa != NULL, "the server answers with a SYN-ACK");
  if (sa) SCN_EXPECT(s, sa->rack == 1, "the SYN-ACK acknowledges ISN+1 (ack %u)", sa->rack);
  if (syn) SCN_EXPECT(s, syn->opts[0] != 0, "the SYN carries options");
  SCN_EXPECT(s, synack_scn_state_seen(s, 0, SYNACK_TCP_SYN_SENT), "the client goes through SYN-SENT");
  SCN_EXPECT(s, synack_scn_state_seen(s, 1, SYNACK_TCP_SYN_RECEIVED), "the server goes through SYN-RECEIVED");
  SCN_EXPECT(s, synack_scn_state_seen(s, 0, SYNACK_TCP_ESTABLISHED), "the client reaches ESTABLISHED");
  SCN_EXPECT(s, synack_scn_state_seen(s, 1, SYNACK_TCP_ESTABLISHED), "the server reaches ESTABLISHED");
}

/* The client closes first; the server closes 200 ms after reading EOF (four-segment close). */
static int normal_client_close(synack_scn_t *s) {
  synack_scn_config(s);
  s->close_on_eof[1] = true;
  s->close_delay_us[1] = SYNACK_MS(200);
  s->server_reply = 3000;
  if (synack_scn_world(s)) return -1;
  int c = synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_send(s, 0, c, 500);
  synack_scn_run_until(s, SYNACK_MS(300));
  synack_scn_close(s, 0, c);
  synack_scn_run_until(s, SYNACK_SEC(1));
  expect_handshake(s);
  const synack_lev_t *ack3 = synack_scn_nth(s, SCN_FLAGS(0, CTL, A), 1);
  SCN_EXPECT(s, ack3 && ack3->rseq == 1 && ack3->rack == 1, "the third segment ACKs the SYN-ACK: seq 1 ack 1");
  synack_scn_conn_t *cc = synack_scn_conn(s, 0, c), *sc = synack_scn_last(s, 1);
  SCN_EXPECT(s, sc && sc->rx == 500 && synack_scn_rx_intact(s, 1, 0, 500), "the server reads the 500-byte request");
  SCN_EXPECT(s, cc && cc->rx == 3000 && synack_scn_rx_intact(s, 0, 0, 3000), "the client reads the 3000-byte reply");
  const synack_lev_t *cfin = synack_scn_nth(s, SCN_FLAGS(0, F, F), 1);
  SCN_EXPECT(s, cfin != NULL, "the client sends a FIN");
  const synack_lev_t *sack = cfin ? synack_scn_next(s, cfin, SCN_ANY(1)) : NULL;
  SCN_EXPECT(s, sack && !(sack->flags & F) && sack->len == 0 && sack->rack == cfin->rseq + cfin->len + 1,
             "the server ACKs the FIN alone (four-segment close)");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(1, F, F)) == 1, "the server sends one FIN");
  SCN_EXPECT(s, synack_scn_state_seen(s, 0, SYNACK_TCP_FIN_WAIT_2), "the client goes through FIN-WAIT-2");
  SCN_EXPECT(s, synack_scn_state_seen(s, 1, SYNACK_TCP_CLOSE_WAIT), "the server goes through CLOSE-WAIT");
  SCN_EXPECT(s, synack_scn_state_seen(s, 1, SYNACK_TCP_LAST_ACK), "the server goes through LAST-ACK");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT, "the client (active closer) waits in TIME-WAIT");
  SCN_EXPECT(s, synack_scn_state(s, 1) == SYNACK_TCP_CLOSED, "the server is CLOSED");
  SCN_EXPECT(s, s->lad.lost == 0, "nothing lost");
  /* (A profile with a minimum RTO below the delayed-ACK time may retransmit spuriously.) */
  if (s->cfg[0].tcp_rto_min_ms >= 200)
    SCN_EXPECT(s, s->lad.retrans == 0, "nothing retransmitted");
  uint32_t msl = s->cfg[0].tcp_msl_ms;
  const synack_lev_t *last = synack_scn_nth(s, SCN_ANY(0), synack_scn_count(s, SCN_ANY(0)));
  if (last)
    synack_ladder_explain_after(&s->lad, last, "the active closer (client) stays in TIME-WAIT for 2 MSL = %u s",
                                2 * msl / 1000);
  synack_time_t tw_from = last ? last->t : 0;
  synack_scn_run_until(s, tw_from + SYNACK_MS(2 * msl) - SYNACK_MS(100));
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT, "still in TIME-WAIT just before 2 MSL");
  synack_scn_run_until(s, tw_from + SYNACK_MS(2 * msl) + SYNACK_MS(100));
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_CLOSED, "TIME-WAIT ends after 2 MSL");
  return 0;
}

/* The server closes first, right after its reply; the client closes 200 ms after EOF. */
static void srv_close(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *sc = synack_scn_last(s, 1);
  if (sc) synack_scn_close(s, 1, (int)(sc - s->conn[1]));
}

static int normal_server_close(synack_scn_t *s) {
  synack_scn_config(s);
  s->close_on_eof[0] = true;
  s->close_delay_us[0] = SYNACK_MS(200);
  s->server_reply = 1000;
  if (synack_scn_world(s)) return -1;
  int c = synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_send(s, 0, c, 100);
  synack_scn_at(s, SYNACK_MS(200), srv_close);
  synack_scn_run_until(s, SYNACK_SEC(1));
  expect_handshake(s);
  const synack_lev_t *sfin = synack_scn_nth(s, SCN_FLAGS(1, F, F), 1);
  const synack_lev_t *cfin = synack_scn_nth(s, SCN_FLAGS(0, F, F), 1);
  SCN_EXPECT(s, sfin && cfin && sfin < cfin, "the server's FIN comes first");
  const synack_lev_t *cack = sfin ? synack_scn_next(s, sfin, SCN_ANY(0)) : NULL;
  SCN_EXPECT(s, cack && !(cack->flags & F) && cack->rack == sfin->rseq + sfin->len + 1,
             "the client ACKs the server's FIN on its own");
  SCN_EXPECT(s, synack_scn_state_seen(s, 1, SYNACK_TCP_FIN_WAIT_1) && synack_scn_state_seen(s, 1, SYNACK_TCP_FIN_WAIT_2),
             "the server goes through FIN-WAIT-1 and FIN-WAIT-2");
  SCN_EXPECT(s, synack_scn_state_seen(s, 0, SYNACK_TCP_CLOSE_WAIT) && synack_scn_state_seen(s, 0, SYNACK_TCP_LAST_ACK),
             "the client goes through CLOSE-WAIT and LAST-ACK");
  SCN_EXPECT(s, synack_scn_state(s, 1) == SYNACK_TCP_TIME_WAIT, "the server (active closer) is in TIME-WAIT");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_CLOSED, "the client is CLOSED");
  synack_scn_conn_t *cc = synack_scn_conn(s, 0, c);
  SCN_EXPECT(s, cc && cc->rx == 1000, "the client read the whole reply before EOF");
  if (sfin) synack_ladder_explain_after(&s->lad, sfin, "the server closes first: it will be the one in TIME-WAIT");
  return 0;
}

static int syn_lost(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 0, CTL, S, -1, 1, 1);
  int c = synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_run_until(s, SYNACK_SEC(2));
  const synack_lev_t *s1 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 1), *s2 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 2);
  SCN_EXPECT(s, s1 && s1->lost, "the first SYN is lost");
  SCN_EXPECT(s, s2 && !s2->lost && s2->by_timer, "the client's retransmission timer resends the SYN");
  if (s1 && s2) {
    SCN_EXPECT(s, s2->t - s1->t == SYNACK_SEC(1), "after the initial RTO of 1 s (RFC 6298), got %.3f s",
               (double)(s2->t - s1->t) / 1e6);
    SCN_EXPECT(s, s2->seq == s1->seq, "with the same ISN");
    synack_ladder_explain_after(&s->lad, s1, "SYN lost: the server never knew; only the client's timer can repair it");
  }
  synack_scn_conn_t *cc = synack_scn_conn(s, 0, c);
  SCN_EXPECT(s, cc && cc->connected && cc->connected_at >= SYNACK_SEC(1), "connected one RTO later");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(1, CTL, S | A)) == 1, "the server sends one SYN-ACK");
  expect_handshake(s);
  return 0;
}

static int synack_lost(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 1, CTL, S | A, -1, 1, 1);
  int c = synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_run_until(s, SYNACK_SEC(2));
  const synack_lev_t *sa1 = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 1);
  const synack_lev_t *sa2 = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 2);
  SCN_EXPECT(s, sa1 && sa1->lost, "the first SYN-ACK is lost");
  SCN_EXPECT(s, sa2 && !sa2->lost, "a second SYN-ACK gets through");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(0, CTL, S)) >= 2, "the client, hearing nothing, resends its SYN");
  SCN_EXPECT(s, synack_scn_count(s, (synack_scn_match_t){1, CTL, S | A, -1, -1, -1, 1}) >= 1 ||
                    synack_scn_count(s, SCN_FLAGS(1, CTL, S | A)) >= 2,
             "the server resends its SYN-ACK");
  /* The client's second SYN and the server's timer meet at 1.01 s: one SYN-ACK answers both. */
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(1, CTL, S | A)) == 2,
             "one SYN-ACK repairs the loss, not two identical ones (%u sent)",
             (unsigned)synack_scn_count(s, SCN_FLAGS(1, CTL, S | A)));
  if (sa1) {
    synack_ladder_explain_after(&s->lad, sa1,
                                "SYN-ACK lost: the client cannot tell it from a lost SYN; both ends wait out a 1 s RTO");
    SCN_EXPECT(s, sa2 && sa2->t >= sa1->t + SYNACK_SEC(1) - SYNACK_MS(20), "the repair takes one RTO (1 s)");
    if (sa2)
      synack_ladder_explain_after(&s->lad, sa2,
                                  "the resent SYN arrives as the server's timer comes due: one SYN-ACK answers both");
  }
  synack_scn_conn_t *cc = synack_scn_conn(s, 0, c);
  SCN_EXPECT(s, cc && cc->connected, "the client connects");
  SCN_EXPECT(s, synack_scn_state(s, 1) == SYNACK_TCP_ESTABLISHED, "the server is ESTABLISHED");
  return 0;
}

static void send_now(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_send(s, 0, (int)(c - s->conn[0]), 1000);
}

/* The third ACK is lost and the client sends data at once: the data's ACK field completes the
 * server's handshake. */
static int ack_lost_data(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 0, CTL, A, 0, 1, 1);
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_MS(21), send_now);
  synack_scn_run_until(s, SYNACK_SEC(1) + SYNACK_MS(500));
  const synack_lev_t *a = synack_scn_nth(s, SCN_FLAGS(0, CTL, A), 1);
  SCN_EXPECT(s, a && a->lost && a->len == 0, "the third segment (a pure ACK) is lost");
  const synack_lev_t *d = synack_scn_nth(s, (synack_scn_match_t){0, 0, 0, 1, 0, -1, -1}, 1);
  SCN_EXPECT(s, d && d->rack == 1 && (d->flags & A), "the client's first data segment carries ACK 1");
  SCN_EXPECT(s, d && d->st[1] == SYNACK_TCP_ESTABLISHED, "its arrival moves the server to ESTABLISHED");
  if (a) synack_ladder_explain_after(&s->lad, a, "third ACK lost: the client is ESTABLISHED, the server still in SYN-RECEIVED");
  if (d) synack_ladder_explain_after(&s->lad, d, "every segment after the SYN carries an ACK: the data completes the handshake");
  synack_scn_conn_t *sc = synack_scn_last(s, 1);
  SCN_EXPECT(s, sc && sc->rx == 1000, "the server reads the 1000 bytes");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(1, CTL, S | A)) == 1, "no SYN-ACK retransmission was needed");
  return 0;
}

/* The third ACK is lost and the client says nothing: the server's SYN-ACK timer repairs it. */
static int ack_lost_silent(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 0, CTL, A, 0, 1, 1);
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_run_until(s, SYNACK_SEC(2));
  const synack_lev_t *a = synack_scn_nth(s, SCN_FLAGS(0, CTL, A), 1);
  const synack_lev_t *sa2 = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 2);
  SCN_EXPECT(s, a && a->lost, "the third segment (ACK) is lost");
  SCN_EXPECT(s, sa2 && sa2->by_timer, "the server's SYN-ACK timer resends the SYN-ACK");
  const synack_lev_t *a2 = sa2 ? synack_scn_next(s, sa2, SCN_ANY(0)) : NULL;
  SCN_EXPECT(s, a2 && (a2->flags & CTL) == A && !a2->lost, "the client answers the duplicate SYN-ACK with an ACK");
  SCN_EXPECT(s, a2 && a2->st[1] == SYNACK_TCP_ESTABLISHED, "which completes the server's handshake");
  if (a) synack_ladder_explain_after(&s->lad, a, "third ACK lost and the client is silent: only the server's timer can tell");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_ESTABLISHED && synack_scn_state(s, 1) == SYNACK_TCP_ESTABLISHED,
             "both ends ESTABLISHED");
  return 0;
}

static void late_data(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_send(s, 0, (int)(c - s->conn[0]), 100);
}

/* Every ACK the client sends is lost: the server gives up after 1+2+4+8+16+32 = 63 s; the
 * client, ESTABLISHED all along, finally sends data and meets a RST. */
static int synack_retries_exhausted(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 0, CTL, A, 0, 1, 0);
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_SEC(70), late_data);
  synack_scn_run_until(s, SYNACK_SEC(72));
  size_t nsa = synack_scn_count(s, SCN_FLAGS(1, CTL, S | A));
  SCN_EXPECT(s, nsa == 6, "the server sends its SYN-ACK 6 times (1 + tcp_synack_retries 5), got %zu", nsa);
  synack_time_t gaps[5] = {SYNACK_SEC(1), SYNACK_SEC(2), SYNACK_SEC(4), SYNACK_SEC(8), SYNACK_SEC(16)};
  for (size_t i = 1; i < 6 && i < nsa; i++) {
    const synack_lev_t *p = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), i);
    const synack_lev_t *q = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), i + 1);
    SCN_EXPECT(s, q->t - p->t == gaps[i - 1], "SYN-ACK retry %zu after %.0f s (doubling), got %.3f s", i,
               (double)gaps[i - 1] / 1e6, (double)(q->t - p->t) / 1e6);
  }
  const synack_lev_t *first = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 1);
  /* The half-open entry goes away 63 s after the first SYN-ACK. */
  synack_time_t gone = 0;
  for (size_t i = 0; i < s->lad.n; i++) {
    const synack_lev_t *e = &s->lad.ev[i];
    if (e->kind == SYNACK_LEV_STATE && e->side == 1 && e->old_state == SYNACK_TCP_SYN_RECEIVED &&
        e->new_state == SYNACK_TCP_CLOSED)
      gone = e->t;
  }
  SCN_EXPECT(s, first && gone == first->t + SYNACK_SEC(63), "the server drops the half-open connection at 63 s");
  if (first && gone) {
    const synack_lev_t *last = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), nsa);
    synack_ladder_explain_after(&s->lad, last, "the last SYN-ACK waits 32 s: 1+2+4+8+16+32 = 63 s in all, then the server forgets");
  }
  const synack_lev_t *d = synack_scn_nth(s, (synack_scn_match_t){0, 0, 0, 1, -1, -1, -1}, 1);
  const synack_lev_t *rst = synack_scn_nth(s, SCN_FLAGS(1, R, R), 1);
  SCN_EXPECT(s, d && rst && rst > d, "the client's data at 70 s meets a RST");
  if (rst) synack_ladder_explain_after(&s->lad, rst, "the server has no such connection any more: RST; the client learns only now");
  synack_scn_conn_t *cc = synack_scn_last(s, 0);
  SCN_EXPECT(s, cc && cc->err == -SYNACK_ECONNRESET, "the client's application gets ECONNRESET");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_CLOSED && synack_scn_state(s, 1) == SYNACK_TCP_CLOSED,
             "both ends CLOSED");
  return 0;
}

/* Both ends call connect() to each other at the same instant: four segments, no listener. */
static int simultaneous_open(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_start(s)) return -1;
  int c = synack_scn_connect(s, 0, 6000, 5000, NULL);
  int d = synack_scn_connect(s, 1, 5000, 6000, NULL);
  synack_scn_run_until(s, SYNACK_SEC(1));
  SCN_EXPECT(s, c >= 0 && d >= 0, "both connect() calls start");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(0, CTL, S)) == 1 && synack_scn_count(s, SCN_FLAGS(1, CTL, S)) == 1,
             "each end sends one SYN");
  SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(0, CTL, S | A)) == 1 && synack_scn_count(s, SCN_FLAGS(1, CTL, S | A)) == 1,
             "each end answers the other's SYN with a SYN-ACK");
  SCN_EXPECT(s, synack_scn_state_seen(s, 0, SYNACK_TCP_SYN_RECEIVED) && synack_scn_state_seen(s, 1, SYNACK_TCP_SYN_RECEIVED),
             "both go SYN-SENT -> SYN-RECEIVED");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_ESTABLISHED && synack_scn_state(s, 1) == SYNACK_TCP_ESTABLISHED,
             "both ESTABLISHED");
  synack_scn_conn_t *cc = synack_scn_conn(s, 0, c), *dc = synack_scn_conn(s, 1, d);
  SCN_EXPECT(s, cc && dc && cc->connected && dc->connected, "both applications see their connect() complete");
  const synack_lev_t *s2 = synack_scn_nth(s, SCN_FLAGS(1, CTL, S), 1);
  if (s2) synack_ladder_explain_after(&s->lad, s2, "the SYNs cross: each end is SYN-SENT and receives a SYN, not a SYN-ACK");
  SCN_EXPECT(s, s->lad.segments == 4, "four segments open the connection, got %u", s->lad.segments);
  return 0;
}

static int connect_refused(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  int c = synack_scn_connect(s, 0, 81, 0, NULL);
  synack_scn_run_until(s, SYNACK_SEC(1));
  const synack_lev_t *rst = synack_scn_nth(s, SCN_FLAGS(1, R, R), 1);
  SCN_EXPECT(s, rst && (rst->flags & A) && rst->rack == 1, "nobody listens on port 81: RST, ACK of the SYN");
  synack_scn_conn_t *cc = synack_scn_conn(s, 0, c);
  SCN_EXPECT(s, cc && cc->err == -SYNACK_ECONNREFUSED, "connect() fails with ECONNREFUSED");
  if (rst) synack_ladder_explain_after(&s->lad, rst, "RFC 9293 §3.10.7.1: a segment for no connection gets a RST (ACK = SEQ + 1 for a SYN)");
  return 0;
}

/* TCP Fast Open (RFC 7413): the first connection is an ordinary handshake that also fetches the
 * server's cookie; the second puts its request on the SYN with that cookie, the server reads it
 * and answers at once, and the reply arrives one round trip sooner. */
static int fast_open(synack_scn_t *s) {
  synack_scn_config(s);
  s->cfg[0].tcp_fastopen |= SYNACK_TFO_CLIENT;
  s->cfg[1].tcp_fastopen |= SYNACK_TFO_SERVER;
  s->tfo_connect = true;
  s->server_reply = 1000;
  s->close_on_eof[1] = true;
  if (synack_scn_world(s)) return -1;
  synack_setsockopt(s->st[1], s->lsock, SYNACK_TCP_FASTOPEN, 16); /* the fast open queue */
  const synack_scn_match_t srv_data = {1, 0, 0, 1, 0, -1, -1};
  int c1 = synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_send(s, 0, c1, 300);
  synack_scn_run_until(s, SYNACK_MS(200));
  synack_scn_close(s, 0, c1);
  synack_scn_run_until(s, SYNACK_MS(500));
  synack_time_t t2 = SYNACK_MS(500);
  int c2 = synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_send(s, 0, c2, 300);
  synack_scn_run_until(s, SYNACK_MS(800));
  synack_scn_close(s, 0, c2);
  synack_scn_run_until(s, SYNACK_SEC(1));
  const synack_lev_t *syn1 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 1);
  const synack_lev_t *sa1 = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 1);
  const synack_lev_t *syn2 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 2);
  const synack_lev_t *sa2 = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 2);
  SCN_EXPECT(s, syn1 && syn1->len == 0 && strstr(syn1->opts, "tfo request") != NULL,
             "the first SYN asks for a cookie (an empty fast open option) and carries no data");
  SCN_EXPECT(s, sa1 && sa1->rack == 1 && strstr(sa1->opts, "tfo cookie") != NULL,
             "the first SYN-ACK acknowledges the SYN and carries the server's cookie");
  SCN_EXPECT(s, syn2 && syn2->len == 300 && strstr(syn2->opts, "tfo cookie") != NULL,
             "the second SYN carries the cookie and the 300-byte request");
  SCN_EXPECT(s, sa2 && sa2->rack == 301, "the second SYN-ACK acknowledges SYN and request (ack 301)");
  const synack_lev_t *r1 = synack_scn_next(s, sa1, srv_data), *r2 = synack_scn_next(s, sa2, srv_data);
  SCN_EXPECT(s, r1 && r2 && r1->t_arrive != SYNACK_TIME_NEVER && r2->t_arrive != SYNACK_TIME_NEVER,
             "both replies arrive");
  if (r1 && r2 && syn2) {
    synack_time_t w1 = r1->t_arrive, w2 = r2->t_arrive - t2, rtt = 2 * s->delay_us;
    SCN_EXPECT(s, w1 >= 2 * rtt && w2 >= rtt && w2 < 2 * rtt,
               "the reply comes after two round trips, then after one (%.0f ms, %.0f ms)", (double)w1 / 1000.0,
               (double)w2 / 1000.0);
    SCN_EXPECT(s, w1 - w2 == rtt, "fast open saves exactly one round trip (%.0f ms)", (double)(w1 - w2) / 1000.0);
    synack_ladder_explain_after(&s->lad, sa1, "the cookie: a MAC of the client's address under the server's secret");
    synack_ladder_explain_after(&s->lad, syn2, "the request rides on the SYN: the server may act on it at once");
    synack_ladder_explain_after(&s->lad, r2, "the reply is out before the handshake completes: one round trip saved");
  }
  synack_scn_conn_t *cc1 = synack_scn_conn(s, 0, c1), *cc2 = synack_scn_conn(s, 0, c2);
  SCN_EXPECT(s, cc1 && cc1->rx == 1000 && cc2 && cc2->rx == 1000, "each connection reads the 1000-byte reply");
  SCN_EXPECT(s, synack_stack_counters(s->st[0])->events[SYNACK_CTR_TCP_FASTOPEN_ACTIVE] == 1 &&
                    synack_stack_counters(s->st[1])->events[SYNACK_CTR_TCP_FASTOPEN_PASSIVE] == 1,
             "counted once at each end (TCPFastOpenActive, TCPFastOpenPassive)");
  return 0;
}

const synack_scn_def_t synack_scn_open_defs[] = {
    {"normal-client-close", "open, request and reply, the client closes first (four-segment close)", normal_client_close},
    {"normal-server-close", "open, request and reply, the server closes first and waits in TIME-WAIT", normal_server_close},
    {"syn-lost", "the client's SYN is lost: resent after the 1 s initial RTO", syn_lost},
    {"synack-lost", "the server's SYN-ACK is lost: both ends time out and resend", synack_lost},
    {"ack-lost-data", "the third ACK is lost, the client sends data: the data completes the handshake", ack_lost_data},
    {"ack-lost-silent", "the third ACK is lost, the client is silent: the server resends its SYN-ACK", ack_lost_silent},
    {"synack-retries-exhausted", "every client ACK lost: the server gives up at 63 s; later data meets a RST",
     synack_retries_exhausted},
    {"simultaneous-open", "both ends connect() at once: crossing SYNs, four segments, no listener", simultaneous_open},
    {"connect-refused", "connect() to a port nobody listens on: RST, ECONNREFUSED", connect_refused},
    {"fast-open", "TCP Fast Open: a handshake that fetches a cookie, then a request on the SYN: one round trip saved",
     fast_open},
};
const size_t synack_scn_open_count = sizeof synack_scn_open_defs / sizeof synack_scn_open_defs[0];
