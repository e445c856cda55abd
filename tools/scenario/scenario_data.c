/* Keepalive and loss recovery. The recovery stories assert what must hold whatever the details
 * of the recovery algorithm: which segment is repaired, how often, whether a timer had to fire,
 * and that the receiver ends up with exactly the bytes that were sent. */
#include "scenario.h"

#define S SYNACK_TCP_SYN
#define A SYNACK_TCP_ACK
#define F SYNACK_TCP_FIN
#define R SYNACK_TCP_RST
#define CTL (S | A | F | R)

/* ---------- keepalive ---------- */

static void enable_keepalive(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *sc = synack_scn_last(s, 1);
  if (!sc) return;
  synack_setsockopt(s->st[1], sc->sock, SYNACK_SO_KEEPALIVE, 1);
  synack_setsockopt(s->st[1], sc->sock, SYNACK_TCP_KEEPIDLE, 10);
  synack_setsockopt(s->st[1], sc->sock, SYNACK_TCP_KEEPINTVL, 5);
  synack_setsockopt(s->st[1], sc->sock, SYNACK_TCP_KEEPCNT, 3);
  synack_ladder_note(&s->lad, now, 1, "server: SO_KEEPALIVE on: idle 10 s, then probes every 5 s, 3 unanswered = dead");
}

static void unplug(synack_scn_t *s, synack_time_t now) {
  s->cut[0] = s->cut[1] = true;
  synack_ladder_note(&s->lad, now, 0, "client: the machine loses power (nothing is sent, nothing arrives)");
}

static int keepalive_dead_peer(synack_scn_t *s) {
  synack_scn_config(s);
  if (synack_scn_world(s)) return -1;
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_MS(50), enable_keepalive);
  synack_scn_at(s, SYNACK_SEC(12), unplug);
  synack_scn_run_until(s, SYNACK_SEC(40));
  synack_scn_match_t probes = SCN_FLAGS(1, CTL, A);
  const synack_lev_t *p1 = NULL;
  size_t np = 0;
  for (size_t i = 0; i < s->lad.n; i++) {
    const synack_lev_t *e = &s->lad.ev[i];
    if (e->kind == SYNACK_LEV_SEG && e->side == 1 && e->probe) {
      if (!p1) p1 = e;
      np++;
    }
  }
  (void)probes;
  SCN_EXPECT(s, np == 4, "4 probes: one answered while the client lives, 3 into the void (got %zu)", np);
  SCN_EXPECT(s, p1 && p1->t >= SYNACK_SEC(10) && p1->t < SYNACK_SEC(11) && p1->by_timer,
             "the first probe goes out after 10 s of silence");
  const synack_lev_t *ans = p1 ? synack_scn_next(s, p1, SCN_ANY(0)) : NULL;
  SCN_EXPECT(s, ans && (ans->flags & CTL) == A && !ans->lost, "the live client answers it with an ACK");
  if (p1) synack_ladder_explain_after(&s->lad, p1, "keepalive probe: SEG.SEQ = SND.NXT - 1, an old byte the peer must ACK");
  synack_scn_conn_t *sc = synack_scn_last(s, 1);
  SCN_EXPECT(s, sc && sc->err == -SYNACK_ETIMEDOUT, "the server application gets ETIMEDOUT");
  SCN_EXPECT(s, sc && sc->err_at >= SYNACK_SEC(35) && sc->err_at <= SYNACK_SEC(36),
             "at 35 s: last heard at 10 s, idle 10 s, then 3 probes 5 s apart (%.3f s)",
             sc ? (double)sc->err_at / 1e6 : 0.0);
  SCN_EXPECT(s, synack_scn_state(s, 1) == SYNACK_TCP_CLOSED, "the server's connection is gone");
  SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_ESTABLISHED, "the client's half still believes it is ESTABLISHED");
  synack_ladder_explain_after(&s->lad, NULL, "without keepalive the server would keep this dead connection forever");
  return 0;
}

/* ---------- loss recovery ---------- */

#define XFER 30000u /* 21 segments of 1448 bytes */

static void send_bulk(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_send(s, 0, (int)(c - s->conn[0]), (size_t)s->user);
}

/* The client sends `bytes` to the server at 0.1 s; data segments nth..nth+count-1 are lost.
 * RACK-TLP (RFC 8985) as configured by default unless rack_off. */
static int loss_world_rack(synack_scn_t *s, bool sack, bool rack_off, uint32_t bytes, uint32_t nth, uint32_t count) {
  synack_scn_config(s);
  for (int i = 0; i < 2; i++) {
    s->cfg[i].tcp_sack = sack;
    if (rack_off) s->cfg[i].tcp_rack = false;
  }
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 0, 0, 0, 1, nth, count);
  s->user = (void *)(uintptr_t)bytes;
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_MS(100), send_bulk);
  synack_scn_run_until(s, SYNACK_SEC(5));
  s->user = NULL;
  return 0;
}

static int loss_world(synack_scn_t *s, bool sack, uint32_t bytes, uint32_t nth, uint32_t count) {
  return loss_world_rack(s, sack, false, bytes, nth, count);
}

/* The data segment that was the nth sent, and how its sequence number fared. */
typedef struct {
  const synack_lev_t *lost;
  size_t copies;                 /* transmissions of that sequence number after the loss */
  const synack_lev_t *first_rtx;
} fate_t;

static fate_t fate(const synack_scn_t *s, size_t nth) {
  fate_t f = {0};
  f.lost = synack_scn_nth(s, (synack_scn_match_t){0, 0, 0, 1, -1, -1, -1}, nth);
  if (!f.lost) return f;
  for (const synack_lev_t *e = synack_scn_next(s, f.lost, (synack_scn_match_t){0, 0, 0, 1, -1, -1, -1}); e;
       e = synack_scn_next(s, e, (synack_scn_match_t){0, 0, 0, 1, -1, -1, -1})) {
    /* A retransmission covering the lost segment's first byte. */
    if (e->retrans && (int32_t)(e->seq - f.lost->seq) <= 0 && (int32_t)(e->seq + e->len - f.lost->seq) > 0) {
      if (!f.first_rtx) f.first_rtx = e;
      f.copies++;
    }
  }
  return f;
}

static bool any_sack(const synack_scn_t *s) {
  for (size_t i = 0; i < s->lad.n; i++)
    if (s->lad.ev[i].kind == SYNACK_LEV_SEG && s->lad.ev[i].nsack) return true;
  return false;
}

static void expect_delivered(synack_scn_t *s, uint32_t bytes) {
  synack_scn_conn_t *sc = synack_scn_last(s, 1);
  SCN_EXPECT(s, sc && sc->rx == bytes && synack_scn_rx_intact(s, 1, 0, bytes),
             "the server receives all %u bytes, in order and intact (got %zu)", bytes, sc ? sc->rx : 0);
}

static int sack_one_loss(synack_scn_t *s) {
  if (loss_world(s, true, XFER, 5, 1)) return -1;
  fate_t f = fate(s, 5);
  SCN_EXPECT(s, f.lost && f.lost->lost, "the 5th data segment is lost");
  SCN_EXPECT(s, any_sack(s), "the server's duplicate ACKs carry SACK blocks");
  SCN_EXPECT(s, f.copies == 1, "the lost segment is retransmitted exactly once (got %zu)", f.copies);
  SCN_EXPECT(s, f.first_rtx && !f.first_rtx->by_timer, "before any RTO: the SACK blocks showed the hole");
  if (f.lost) synack_ladder_explain_after(&s->lad, f.lost, "one segment lost: the next ones arrive out of order");
  if (f.first_rtx)
    synack_ladder_explain_after(&s->lad, f.first_rtx,
                                "fast retransmit: duplicate ACKs with SACK blocks name exactly the missing segment");
  expect_delivered(s, XFER);
  return 0;
}

static int nosack_one_loss(synack_scn_t *s) {
  if (loss_world(s, false, XFER, 5, 1)) return -1;
  fate_t f = fate(s, 5);
  SCN_EXPECT(s, f.lost && f.lost->lost, "the 5th data segment is lost");
  SCN_EXPECT(s, !any_sack(s), "no SACK option anywhere (SACK off on both ends)");
  SCN_EXPECT(s, f.copies >= 1, "the lost segment is retransmitted");
  SCN_EXPECT(s, f.first_rtx && !f.first_rtx->by_timer, "on three duplicate ACKs (RFC 5681 fast retransmit), not by the timer");
  if (f.first_rtx)
    synack_ladder_explain_after(&s->lad, f.first_rtx,
                                "without SACK the duplicate ACKs only say 'something after %u is missing'",
                                f.first_rtx->rseq);
  expect_delivered(s, XFER);
  return 0;
}

static int burst_loss(synack_scn_t *s) {
  if (loss_world(s, true, 60000u, 5, 4)) return -1;
  size_t repaired = 0, by_ack = 0;
  for (size_t k = 5; k < 9; k++) {
    fate_t f = fate(s, k);
    SCN_EXPECT(s, f.lost && f.lost->lost, "data segment %zu is lost", k);
    if (f.copies >= 1) repaired++;
    if (f.first_rtx && !f.first_rtx->by_timer) by_ack++;
  }
  SCN_EXPECT(s, repaired == 4, "all 4 lost segments are retransmitted (%zu)", repaired);
  SCN_EXPECT(s, by_ack >= 1, "the first repairs come from SACK recovery, not the timer");
  fate_t f5 = fate(s, 5);
  if (f5.lost) synack_ladder_explain_after(&s->lad, f5.lost, "four segments in a row are lost");
  expect_delivered(s, 60000u);
  return 0;
}

static int rto_tail_loss(synack_scn_t *s) {
  /* 5 segments; the last two are lost: nothing follows them, so no duplicate ACK can tell.
   * RACK-TLP off (tcp_rack = false): the story of a sender without a tail loss probe; see
   * tlp-tail-loss for the default. */
  if (loss_world_rack(s, true, true, 5u * 1448u, 4, 2)) return -1;
  fate_t f = fate(s, 4);
  SCN_EXPECT(s, f.lost && f.lost->lost, "the 4th data segment is lost (and the 5th)");
  SCN_EXPECT(s, f.first_rtx && f.first_rtx->by_timer, "only the retransmission timer can repair a tail loss");
  if (f.lost && f.first_rtx)
    SCN_EXPECT(s, f.first_rtx->t - f.lost->t >= SYNACK_MS(s->cfg[0].tcp_rto_min_ms),
               "after at least the minimum RTO (%u ms), got %.3f s", s->cfg[0].tcp_rto_min_ms,
               (double)(f.first_rtx->t - f.lost->t) / 1e6);
  if (f.first_rtx)
    synack_ladder_explain_after(&s->lad, f.first_rtx,
                                "RTO: no ACK for a whole RTO; the sender resends from the first unacknowledged byte");
  expect_delivered(s, 5u * 1448u);
  return 0;
}

static int tlp_tail_loss(synack_scn_t *s) {
  /* The same tail loss with RACK-TLP on (the default): a probe after two round trips instead
   * of the RTO, its SACK shows the hole, RACK repairs it. Five full segments of the family's
   * MSS (timestamps on): a partial tail held back by Nagle would itself be the probe, as new
   * data (RFC 8985 §7.3), and the story is about probing with the last segment again. */
  if (loss_world(s, true, 5u * (s->ipv6 ? 1428u : 1448u), 4, 2)) return -1;
  fate_t f4 = fate(s, 4), f5 = fate(s, 5);
  SCN_EXPECT(s, f4.lost && f4.lost->lost && f5.lost && f5.lost->lost, "the 4th and 5th data segments are lost");
  const synack_lev_t *probe = f5.first_rtx;
  SCN_EXPECT(s, probe && probe->by_timer && (probe->timer_kind & SYNACK_LSEG_TLP),
             "the tail loss probe timer (PTO = 2 SRTT) resends the last segment");
  uint64_t tlps = synack_stack_counters(s->st[0])->events[SYNACK_CTR_TCP_TLP_PROBES];
  SCN_EXPECT(s, tlps == 1, "one probe (got %llu)", (unsigned long long)tlps);
  SCN_EXPECT(s, f4.copies == 1 && f4.first_rtx && !f4.first_rtx->by_timer,
             "the 4th segment is resent once, on the ACK of the probe (its SACK block shows the hole)");
  SCN_EXPECT(s, f5.copies == 1, "the probe is the only copy of the 5th (got %zu)", f5.copies);
  uint64_t rtos = synack_stack_counters(s->st[0])->events[SYNACK_CTR_TCP_RTO_EXPIRED];
  SCN_EXPECT(s, rtos == 0, "no retransmission timeout at all (got %llu)", (unsigned long long)rtos);
  if (probe)
    synack_ladder_explain_after(&s->lad, probe,
                                "tail loss probe (RFC 8985 §7): no ACK for 2 SRTT; the last segment again, to draw a SACK");
  if (f4.first_rtx)
    synack_ladder_explain_after(&s->lad, f4.first_rtx,
                                "RACK: the probe was delivered, the 4th segment sent before it was not: lost, resent now");
  expect_delivered(s, 5u * (s->ipv6 ? 1428u : 1448u));
  return 0;
}

const synack_scn_def_t synack_scn_data_defs[] = {
    {"keepalive-dead-peer", "the client vanishes; the server's keepalive probes find out and give up", keepalive_dead_peer},
    {"sack-one-loss", "one data segment lost, SACK on: repaired once by fast retransmit", sack_one_loss},
    {"nosack-one-loss", "one data segment lost, SACK off: three duplicate ACKs", nosack_one_loss},
    {"burst-loss", "four data segments lost in a row, SACK on", burst_loss},
    {"rto-tail-loss", "the last two segments lost, RACK-TLP off: only the retransmission timer can tell", rto_tail_loss},
    {"tlp-tail-loss", "the last two segments lost, RACK-TLP on: a tail loss probe repairs them before the RTO",
     tlp_tail_loss},
};
const size_t synack_scn_data_count = sizeof synack_scn_data_defs / sizeof synack_scn_data_defs[0];
