/* Why TCP does what it does: TIME-WAIT, random ISNs, RFC 5961 against blind resets, SYN cookies
 * against floods, and the port exhaustion TIME-WAIT causes. Each story comes in two runs: with
 * the protection and without it (the teaching switches of synack_config_t). */
#include <string.h>

#include "scenario.h"

#define S SYNACK_TCP_SYN
#define A SYNACK_TCP_ACK
#define F SYNACK_TCP_FIN
#define R SYNACK_TCP_RST
#define CTL (S | A | F | R)

#define CLIENT_PORT 40000

static void close_client(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_close(s, 0, (int)(c - s->conn[0]));
}

/* ---------- why TIME-WAIT ---------- */

static void reconnect(synack_scn_t *s, synack_time_t now) {
  (void)now;
  int err = 0;
  synack_scn_connect(s, 0, 80, CLIENT_PORT, &err);
  s->story_err[0] = err;
  if (err)
    synack_ladder_note(&s->lad, now, 0, "client: a new connection from port %u fails: %s", CLIENT_PORT,
                       synack_strerror(err));
  else
    synack_ladder_note(&s->lad, now, 0, "client: a new connection from the same port %u (same 4-tuple)", CLIENT_PORT);
}

/* The client closes; the last ACK is lost; 100 ms later the client application opens a new
 * connection from the same port. */
static int time_wait_story(synack_scn_t *s, bool honoured) {
  synack_scn_config(s);
  s->cfg[0].tcp_timewait = honoured;
  s->close_on_eof[1] = true;
  if (synack_scn_world(s)) return -1;
  synack_scn_drop(s, 0, CTL, A, 0, 2, 1); /* pure ACK #2 = the last ACK of the close */
  s->story_err[0] = 0;
  synack_scn_connect(s, 0, 80, CLIENT_PORT, NULL);
  synack_scn_at(s, SYNACK_MS(200), close_client);
  /* The application reconnects 5 ms after the last ACK left. */
  synack_time_t now = 0;
  while (!synack_scn_nth(s, SCN_FLAGS(0, CTL, A), 2) && now < SYNACK_SEC(2)) {
    now += SYNACK_MS(1);
    synack_scn_run_until(s, now);
  }
  synack_scn_at(s, now + SYNACK_MS(5), reconnect);
  synack_scn_run_until(s, SYNACK_SEC(4));
  const synack_lev_t *la = synack_scn_nth(s, SCN_FLAGS(0, CTL, A), 2);
  SCN_EXPECT(s, la && la->lost, "the client's last ACK is lost");
  synack_scn_conn_t *old = synack_scn_conn(s, 1, 0);
  if (honoured) {
    /* SO_REUSEADDR lets bind() through; connect() on the 4-tuple in TIME-WAIT is refused. */
    SCN_EXPECT(s, s->story_err[0] == -SYNACK_EADDRNOTAVAIL,
               "TIME-WAIT holds the 4-tuple: the new connection cannot be made (EADDRNOTAVAIL, got %d)",
               s->story_err[0]);
    const synack_lev_t *f2 = synack_scn_nth(s, SCN_FLAGS(1, F, F), 2);
    SCN_EXPECT(s, f2 && f2->retrans, "the server resends its FIN");
    const synack_lev_t *ack = f2 ? synack_scn_next(s, f2, SCN_ANY(0)) : NULL;
    SCN_EXPECT(s, ack && (ack->flags & CTL) == A && ack->st[1] == SYNACK_TCP_CLOSED,
               "TIME-WAIT answers with an ACK; the server closes cleanly");
    SCN_EXPECT(s, old && old->err == 0, "the server application saw no error");
    SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(-1, R, R)) == 0, "no RST anywhere");
    if (la)
      synack_ladder_explain_after(&s->lad, la, "the client keeps the connection in TIME-WAIT for 2 MSL: the port stays taken");
    if (ack) synack_ladder_explain_after(&s->lad, ack, "the retransmitted FIN finds TIME-WAIT, which ACKs it: a clean end");
  } else {
    SCN_EXPECT(s, s->story_err[0] == 0, "without TIME-WAIT the port is free at once: the new connect() starts");
    SCN_EXPECT(s, la && la->st[0] == SYNACK_TCP_CLOSED, "the client is CLOSED as soon as it sends the last ACK");
    const synack_lev_t *syn2 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 2);
    SCN_EXPECT(s, syn2 && syn2->st[1] == SYNACK_TCP_LAST_ACK,
               "the new SYN reaches a server still in LAST-ACK of the old connection");
    const synack_lev_t *rst = synack_scn_nth(s, SCN_FLAGS(-1, R, R), 1);
    SCN_EXPECT(s, rst != NULL, "the two incarnations collide: a RST is sent");
    SCN_EXPECT(s, !synack_scn_state_seen(s, 1, SYNACK_TCP_CLOSED) || synack_scn_count(s, SCN_FLAGS(0, R, R)) > 0,
               "the old connection at the server is torn down by a RST, not closed by the last ACK");
    if (la) synack_ladder_explain_after(&s->lad, la, "tcp_timewait=false: the client forgets the connection at once");
    if (syn2)
      synack_ladder_explain_after(&s->lad, syn2,
                                  "same 4-tuple, but the server still holds the old connection: old and new meet");
    if (rst) synack_ladder_explain_after(&s->lad, rst, "the confusion ends in a RST: what TIME-WAIT exists to prevent");
  }
  return 0;
}

static int why_time_wait(synack_scn_t *s) { return time_wait_story(s, true); }
static int why_time_wait_off(synack_scn_t *s) { return time_wait_story(s, false); }

/* ---------- why random ISNs ---------- */

/* The old connection starts at t = 0 with ISN 0 (fixed mode: ISN = time / 4 µs). Its data
 * segment at relative sequence OLD_REL is kept as an "old duplicate". The new incarnation is
 * opened at the moment whose ISN makes that old segment land exactly at the start of its stream. */
#define OLD_REL 76000u
#define OLD_BYTES 80000u

static bool keep_old(synack_scn_t *s, const synack_lev_t *e) {
  (void)s;
  return e->side == 0 && e->len > 0 && e->rseq >= OLD_REL && e->conn == 1;
}

static void isn_reconnect(synack_scn_t *s, synack_time_t now) {
  int err = 0;
  synack_scn_connect(s, 0, 80, CLIENT_PORT, &err);
  s->story_err[1] = err;
  if (err)
    synack_ladder_note(&s->lad, now, 0, "client: a new connection from port %u fails: %s", CLIENT_PORT,
                       synack_strerror(err));
}

/* The reconnection instant: fixed ISN = now / 4 µs, and RFC 6528 adds the same keyed hash for
 * the same 4-tuple and secret. The old connection's ISN was taken at 0, so at this instant the
 * new ISN + 1 equals the old segment's sequence number, whatever the ISN mode. */
static synack_time_t isn_instant(const synack_scn_t *s, synack_time_t now) {
  return s->kept_len ? (synack_time_t)(s->kept_rseq - 1u) * 4u : now + SYNACK_MS(10);
}

static void tw_step(synack_scn_t *s, synack_time_t now) {
  synack_scn_at(s, isn_instant(s, now), isn_reconnect);
}

static void isn_reboot(synack_scn_t *s, synack_time_t now) {
  synack_scn_reboot(s, 0, s->seed * 977 + 5);
  s->gen[0] = 1;
  synack_ladder_note(&s->lad, now, 0, "client: the machine reboots (its TIME-WAIT entry is gone with it)");
  synack_scn_at(s, isn_instant(s, now), isn_reconnect);
}

static void isn_inject(synack_scn_t *s, synack_time_t now) {
  synack_ladder_note(&s->lad, now, -1, "a duplicate of an old segment, held up in the network, is delivered now");
  if (s->kept_len) synack_scn_inject(s, 0, s->kept, s->kept_len);
}

static void isn_send(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_send(s, 0, (int)(c - s->conn[0]), 1000);
}

typedef enum { OLD_ISN_FIXED, OLD_ISN_RANDOM, OLD_TW_ON, OLD_TW_OFF } old_mode_t;

/* The old-duplicate stories: the client sends 80 kB and closes (so it is the one in TIME-WAIT),
 * then opens a new connection from the same port; a segment of the old one, held up in the
 * network, is delivered after the new handshake. The ISN stories lose the TIME-WAIT state to a
 * reboot; the TIME-WAIT stories keep the stack and switch TIME-WAIT on or off. */
static int old_dup_story(synack_scn_t *s, old_mode_t mode) {
  bool reboot = mode == OLD_ISN_FIXED || mode == OLD_ISN_RANDOM;
  synack_scn_config(s);
  for (int i = 0; i < 2; i++) {
    s->cfg[i].tcp_isn_fixed = mode == OLD_ISN_FIXED;
    s->cfg[i].tcp_timewait = mode != OLD_TW_OFF;
    s->cfg[i].tcp_timestamps = false; /* PAWS would catch this duplicate: leave the ISN alone on stage */
    s->cfg[i].tcp_rcvbuf = 256 * 1024; /* windows wide enough that RFC 5961's ACK check lets it by too */
  }
  s->close_on_eof[1] = true;
  s->keep_fn = keep_old;
  if (synack_scn_world(s)) return -1;
  int c = synack_scn_connect(s, 0, 80, CLIENT_PORT, NULL);
  s->conn[0][c].close_after_send = true;
  synack_scn_send(s, 0, c, OLD_BYTES);
  synack_scn_run_until(s, SYNACK_MS(25));
  synack_ladder_note(&s->lad, SYNACK_MS(25), -1, "the client sends %u bytes and closes (not drawn)", OLD_BYTES);
  synack_scn_mute(s, SYNACK_MS(25));
  synack_scn_at(s, SYNACK_MS(290), synack_scn_unmute);
  synack_scn_at(s, SYNACK_MS(300), reboot ? isn_reboot : tw_step);
  synack_scn_at(s, SYNACK_MS(360), isn_inject);
  synack_scn_at(s, SYNACK_MS(400), isn_send);
  synack_scn_at(s, SYNACK_MS(500), close_client);
  synack_scn_run_until(s, SYNACK_MS(520));
  unsigned before = s->lad.muted_segments;
  synack_scn_mute(s, SYNACK_MS(520));
  synack_scn_run_until(s, SYNACK_SEC(3));
  s->lad.muted = false;
  if (s->lad.muted_segments > before)
    synack_ladder_note(&s->lad, SYNACK_SEC(3), -1, "... %u more segments until 3 s (not drawn)",
                       s->lad.muted_segments - before);
  SCN_EXPECT(s, s->kept_len > 0, "an old data segment was kept for the story");
  synack_scn_conn_t *old = synack_scn_conn(s, 1, 0), *neu = synack_scn_conn(s, 1, 1);
  SCN_EXPECT(s, old && old->rx == OLD_BYTES, "the first connection delivered its %u bytes", OLD_BYTES);
  const synack_lev_t *syn2 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 2);
  const synack_lev_t *dup = NULL;
  for (size_t i = 0; i < s->lad.n; i++)
    if (s->lad.ev[i].kind == SYNACK_LEV_SEG && s->lad.ev[i].injected) dup = &s->lad.ev[i];
  SCN_EXPECT(s, dup != NULL, "the old duplicate is on the wire");
  if (mode == OLD_TW_ON) {
    SCN_EXPECT(s, s->story_err[1] == -SYNACK_EADDRNOTAVAIL,
               "TIME-WAIT holds the 4-tuple: no new connection on it (EADDRNOTAVAIL, got %d)", s->story_err[1]);
    SCN_EXPECT(s, syn2 == NULL && neu == NULL, "so there is no new incarnation for the old segment to land in");
    const synack_lev_t *rst = dup ? synack_scn_next(s, dup, SCN_ANY(1)) : NULL;
    SCN_EXPECT(s, rst && (rst->flags & R), "the server has no connection for it: a RST, which TIME-WAIT ignores");
    SCN_EXPECT(s, synack_scn_state(s, 0) == SYNACK_TCP_TIME_WAIT, "the client is still in TIME-WAIT");
    if (dup)
      synack_ladder_explain_after(&s->lad, dup,
                                  "2 MSL outlast any segment in the network: by the time the port is free, this one "
                                  "is gone");
    return 0;
  }
  SCN_EXPECT(s, neu != NULL, "the server accepted the new incarnation");
  SCN_EXPECT(s, syn2 != NULL, "the new SYN is on the wire");
  bool lands = mode == OLD_ISN_FIXED || mode == OLD_TW_OFF;
  if (lands) {
    if (mode == OLD_ISN_FIXED)
      SCN_EXPECT(s, syn2 && syn2->seq + 1u == s->kept_seq, "fixed ISN: the new ISN is predictable (%u)",
                 syn2 ? syn2->seq : 0);
    else
      SCN_EXPECT(s, syn2 && syn2->seq + 1u == s->kept_seq,
                 "RFC 6528 on the same 4-tuple and secret: the ISN moved with the clock only");
    SCN_EXPECT(s, dup && dup->rseq == 1, "the old segment lands exactly at the start of the new stream");
    SCN_EXPECT(s, neu && neu->rx >= 1000 && !synack_scn_rx_intact(s, 1, 1, 1000),
               "the server hands the application old bytes as if they were new (corrupt stream)");
    const synack_lev_t *bad = dup ? synack_scn_next(s, dup, SCN_ANY(1)) : NULL;
    SCN_EXPECT(s, bad && dup && bad->rack == 1 + dup->len, "the server ACKs %u: bytes the new client never sent",
               dup ? 1 + dup->len : 0);
    if (dup) synack_ladder_explain_after(&s->lad, dup, "its sequence number is in the new window: accepted as new data");
    if (bad)
      synack_ladder_explain_after(&s->lad, bad, "\"I only sent up to 1, why do you ACK %u?\" - the confusion the articles describe",
                                  bad->rack);
  } else {
    SCN_EXPECT(s, syn2 && syn2->seq + 1u != s->kept_seq, "RFC 6528 after a reboot: a new secret, an unrelated ISN");
    SCN_EXPECT(s, dup && ((int32_t)dup->rseq < 0 || dup->rseq > (4u << 20)),
               "the old segment falls far outside the new window");
    SCN_EXPECT(s, neu && neu->rx == 1000 && synack_scn_rx_intact(s, 1, 1, 1000),
               "the server delivers exactly the new client's 1000 bytes");
    if (dup)
      synack_ladder_explain_after(&s->lad, dup,
                                  "RFC 6528 ISN: after the reboot the new ISN is unrelated to the old one; the "
                                  "duplicate is out of window");
  }
  return 0;
}

static int isn_fixed(synack_scn_t *s) { return old_dup_story(s, OLD_ISN_FIXED); }
static int isn_random(synack_scn_t *s) { return old_dup_story(s, OLD_ISN_RANDOM); }
static int tw_old_dup(synack_scn_t *s) { return old_dup_story(s, OLD_TW_ON); }
static int tw_old_dup_off(synack_scn_t *s) { return old_dup_story(s, OLD_TW_OFF); }

/* ---------- blind RST ---------- */

static void blind_rst(synack_scn_t *s, synack_time_t now) {
  synack_scn_conn_t *sc = synack_scn_last(s, 1), *cc = synack_scn_last(s, 0);
  if (!sc || !cc) return;
  synack_tcp_info_t ti;
  synack_endpoint_t cl;
  if (synack_tcp_info(s->st[1], sc->sock, &ti) != 0 || synack_getsockname(s->st[0], cc->sock, &cl) != 0) return;
  synack_tcp_repr_t r;
  memset(&r, 0, sizeof r);
  r.src_port = cl.port;
  r.dst_port = 80;
  r.seq = ti.rcv_nxt + 1000u; /* a guess that falls inside the window, not on RCV.NXT */
  r.flags = SYNACK_TCP_RST;
  uint8_t buf[128];
  size_t n = synack_scn_forge(s, 0, &s->ip[0], &s->ip[1], &r, NULL, 0, buf, sizeof buf);
  synack_ladder_note(&s->lad, now, -1, "an attacker, spoofing the client, sends a RST with a guessed sequence number");
  synack_scn_inject(s, 0, buf, n);
}

static void client_talks(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c) synack_scn_send(s, 0, (int)(c - s->conn[0]), 100);
}

static int blind_rst_story(synack_scn_t *s, bool rfc5961) {
  synack_scn_config(s);
  s->cfg[1].tcp_rfc5961_rst = rfc5961;
  if (synack_scn_world(s)) return -1;
  synack_scn_connect(s, 0, 80, 0, NULL);
  synack_scn_at(s, SYNACK_MS(500), blind_rst);
  synack_scn_at(s, SYNACK_SEC(1), client_talks);
  synack_scn_run_until(s, SYNACK_SEC(2));
  const synack_lev_t *rst = synack_scn_nth(s, SCN_FLAGS(0, R, R), 1);
  SCN_EXPECT(s, rst && rst->injected && rst->rseq != 1, "the forged RST is in window but not at RCV.NXT");
  synack_scn_conn_t *sc = synack_scn_last(s, 1), *cc = synack_scn_last(s, 0);
  const synack_counters_t *k = synack_stack_counters(s->st[1]);
  if (rfc5961) {
    const synack_lev_t *ch = rst ? synack_scn_next(s, rst, SCN_ANY(1)) : NULL;
    SCN_EXPECT(s, ch && (ch->flags & CTL) == A && ch->t == rst->t_arrive, "the server answers with a challenge ACK");
    SCN_EXPECT(s, k->events[SYNACK_CTR_TCP_CHALLENGE_ACKS] == 1, "one challenge ACK counted");
    SCN_EXPECT(s, sc && sc->err == 0 && sc->rx == 100, "the connection survives and carries the client's data");
    if (ch)
      synack_ladder_explain_after(&s->lad, ch,
                                  "RFC 5961 §3: a RST not exactly at RCV.NXT only earns a challenge ACK; the real "
                                  "client would answer it with an exact RST if it had really reset");
  } else {
    SCN_EXPECT(s, rst && rst->st[1] == SYNACK_TCP_CLOSED, "RFC 793 rules: any in-window RST kills the connection");
    SCN_EXPECT(s, sc && sc->err == -SYNACK_ECONNRESET, "the server application gets ECONNRESET");
    const synack_lev_t *r2 = synack_scn_nth(s, SCN_FLAGS(1, R, R), 1);
    SCN_EXPECT(s, r2 != NULL, "the client's next data meets a RST from the server");
    SCN_EXPECT(s, cc && cc->err == -SYNACK_ECONNRESET, "the client learns only then: ECONNRESET");
    if (rst)
      synack_ladder_explain_after(&s->lad, rst,
                                  "tcp_rfc5961_rst=false: one guess in the 256 KiB window is enough to reset the "
                                  "connection");
  }
  return 0;
}

static int blind_rst_5961(synack_scn_t *s) { return blind_rst_story(s, true); }
static int blind_rst_793(synack_scn_t *s) { return blind_rst_story(s, false); }

/* ---------- SYN flood ---------- */

#define FLOOD_SYNS 10000u

static void flood_tick(void *user, synack_sim_t *sim, synack_time_t now) {
  synack_scn_t *s = user;
  for (int k = 0; k < 10 && s->story_count < FLOOD_SYNS; k++, s->story_count++) {
    synack_ip_t src;
    if (s->ipv6) {
      synack_ip_parse("fd00:1::", &src);
      src.b[14] = (uint8_t)(s->story_count >> 8);
      src.b[15] = (uint8_t)s->story_count;
    } else {
      src = synack_ip4(198, 19, (uint8_t)(s->story_count >> 8), (uint8_t)s->story_count);
    }
    synack_tcp_repr_t r;
    memset(&r, 0, sizeof r);
    r.src_port = (uint16_t)(1024 + s->story_count % 50000);
    r.dst_port = 80;
    r.seq = s->story_count * 2654435761u;
    r.flags = SYNACK_TCP_SYN;
    r.window = 64240;
    r.opts.present = SYNACK_TCPOPT_HAS_MSS;
    r.opts.mss = 1460;
    uint8_t buf[128];
    size_t n = synack_scn_forge(s, 0, &src, &s->ip[1], &r, NULL, 0, buf, sizeof buf);
    synack_sim_send(sim, s->link, 0, buf, n);
  }
  if (s->story_count < FLOOD_SYNS) synack_sim_at(sim, now + SYNACK_MS(1), flood_tick, s);
}

static void legit_connect(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_connect(s, 0, 80, 0, NULL);
}

static int flood_story(synack_scn_t *s, bool cookies) {
  synack_scn_config(s);
  s->cfg[1].tcp_syncookies = cookies;
  s->cfg[1].ip4_gateway = s->cfg[0].ip4; /* replies to the spoofed sources go nowhere */
  s->cfg[1].ip6_gateway = s->cfg[0].ip6;
  if (synack_scn_world(s)) return -1;
  s->story_count = 0;
  synack_ladder_note(&s->lad, 0, -1, "an attacker sends 10,000 SYNs from spoofed addresses over 1 s (not drawn)");
  synack_sim_at(s->sim, 0, flood_tick, s);
  synack_scn_at(s, SYNACK_MS(500), legit_connect);
  synack_scn_run_until(s, cookies ? SYNACK_SEC(2) : SYNACK_SEC(130));
  const synack_counters_t *k = synack_stack_counters(s->st[1]);
  synack_scn_conn_t *cc = synack_scn_last(s, 0);
  uint64_t qfull = k->drops[SYNACK_DROP_TCP_SYN_QUEUE_FULL];
  uint64_t sent = k->events[SYNACK_CTR_TCP_SYNCOOKIES_SENT];
  SCN_EXPECT(s, s->story_count == FLOOD_SYNS, "10,000 spoofed SYNs sent");
  char summary[200];
  snprintf(summary, sizeof summary,
           "the flood: %u spoofed SYNs; the server sent %llu SYN cookies, dropped %llu SYNs (queue full), "
           "%u segments to spoofed hosts",
           s->story_count, (unsigned long long)sent, (unsigned long long)qfull, s->other_segs[1]);
  if (cookies) {
    SCN_EXPECT(s, sent >= FLOOD_SYNS - 300, "once the SYN queue is full every SYN gets a cookie (%llu)",
               (unsigned long long)sent);
    SCN_EXPECT(s, qfull == 0, "no SYN dropped");
    SCN_EXPECT(s, cc && cc->connected && cc->connected_at <= SYNACK_MS(530),
               "the legitimate client connects at the first try, in one round trip");
    SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(0, CTL, S)) == 1, "no SYN retransmission");
    SCN_EXPECT(s, k->events[SYNACK_CTR_TCP_SYNCOOKIES_OK] >= 1, "its ACK carried a valid cookie");
    synack_ladder_explain_after(&s->lad, NULL, "%s", summary);
    synack_ladder_explain_after(&s->lad, NULL,
                                "SYN cookies (RFC 4987): the server keeps nothing for a SYN; the ACK proves the "
                                "client is real");
  } else {
    SCN_EXPECT(s, qfull >= FLOOD_SYNS - 300, "the SYN queue is full: SYNs dropped (%llu)", (unsigned long long)qfull);
    const synack_lev_t *s1 = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 1);
    const synack_lev_t *sa = synack_scn_nth(s, SCN_FLAGS(1, CTL, S | A), 1);
    SCN_EXPECT(s, s1 && sa && sa->t > s1->t + SYNACK_SEC(30), "the legitimate SYN goes unanswered for a long time");
    SCN_EXPECT(s, synack_scn_count(s, SCN_FLAGS(0, CTL, S)) >= 6, "the client resends its SYN again and again");
    SCN_EXPECT(s, cc && cc->connected && cc->connected_at > SYNACK_SEC(60),
               "it gets in only when the spoofed half-open entries expire after 63 s");
    synack_ladder_explain_after(&s->lad, NULL, "%s", summary);
    synack_ladder_explain_after(&s->lad, NULL,
                                "without cookies 256 spoofed half-open entries hold the queue for 63 s each");
  }
  return 0;
}

static int syn_flood_cookies(synack_scn_t *s) { return flood_story(s, true); }
static int syn_flood_no_cookies(synack_scn_t *s) { return flood_story(s, false); }

/* ---------- port exhaustion ---------- */

#define PORT_LO 50000
#define PORT_N 8

static void port_step(synack_scn_t *s, synack_time_t now) {
  if (s->story_count == 1) {
    synack_scn_mute(s, now);
    synack_ladder_note(&s->lad, now, -1, "connections 2..%d: the same story from the next ports (not drawn)", PORT_N);
  }
  if (s->story_count < PORT_N) {
    synack_scn_connect(s, 0, 80, 0, NULL);
  } else {
    s->lad.muted = false;
    int err = 0;
    synack_scn_connect(s, 0, 80, 0, &err);
    if (s->story_count == PORT_N) s->story_err[0] = err;
    else s->story_err[1] = err;
    if (err)
      synack_ladder_note(&s->lad, now, 0, "client: connect() fails: %s (all %d ports in TIME-WAIT)", synack_strerror(err),
                         PORT_N);
  }
  s->story_count++;
}

static void port_close(synack_scn_t *s, synack_time_t now) {
  (void)now;
  synack_scn_conn_t *c = synack_scn_last(s, 0);
  if (c && c->connected && !c->closed) synack_scn_close(s, 0, (int)(c - s->conn[0]));
}

static int port_story(synack_scn_t *s, bool reuse) {
  synack_scn_config(s);
  s->cfg[0].tcp_port_lo = PORT_LO;
  s->cfg[0].tcp_port_hi = PORT_LO + PORT_N - 1;
  s->cfg[0].tcp_tw_reuse = reuse;
  s->close_on_eof[1] = true;
  if (synack_scn_world(s)) return -1;
  s->story_count = 0;
  s->story_err[0] = s->story_err[1] = 1;
  for (int i = 0; i < PORT_N; i++) {
    /* Connection 1 is drawn whole; 2..8 follow 40 ms apart once it is in TIME-WAIT. */
    synack_time_t at = i == 0 ? 0 : SYNACK_MS(140) + SYNACK_MS(80) * (synack_time_t)(i - 1);
    synack_scn_at(s, at, port_step);
    synack_scn_at(s, at + SYNACK_MS(50), port_close);
  }
  synack_scn_at(s, SYNACK_MS(900), port_step);
  synack_scn_at(s, SYNACK_MS(1300), port_step);
  synack_scn_run_until(s, SYNACK_MS(1500));
  const synack_counters_t *k = synack_stack_counters(s->st[0]);
  SCN_EXPECT(s, k->events[SYNACK_CTR_TCP_ACTIVE_OPENS] >= PORT_N, "%d short connections made", PORT_N);
  SCN_EXPECT(s, s->story_err[0] == -SYNACK_EADDRNOTAVAIL,
             "at 0.9 s every port is in TIME-WAIT: connect() fails with EADDRNOTAVAIL (got %d)", s->story_err[0]);
  if (reuse) {
    SCN_EXPECT(s, s->story_err[1] == 0, "at 1.3 s the oldest TIME-WAIT entry is over 1 s old: connect() succeeds");
    SCN_EXPECT(s, k->events[SYNACK_CTR_TCP_TW_REUSED] == 1, "one TIME-WAIT 4-tuple taken over");
    const synack_lev_t *syn = synack_scn_nth(s, SCN_FLAGS(0, CTL, S), 2);
    synack_scn_conn_t *nc = synack_scn_last(s, 0);
    synack_endpoint_t me = {0};
    if (nc) synack_getsockname(s->st[0], nc->sock, &me);
    uint32_t old_nxt = 0;
    bool found = false;
    for (size_t i = 0; i < s->nfins; i++)
      if (s->fins[i].port == me.port) {
        old_nxt = s->fins[i].fin_seq + 1u;
        found = true;
      }
    SCN_EXPECT(s, found, "the new connection uses the port of an old one in TIME-WAIT (%u)", me.port);
    SCN_EXPECT(s, syn && found && syn->seq == old_nxt + 65537u,
               "the new ISN is the old connection's SND.NXT + 65537: above anything the old one used");
    synack_scn_conn_t *c = synack_scn_last(s, 0);
    SCN_EXPECT(s, c && c->connected, "the new connection is established");
    if (syn)
      synack_ladder_explain_after(&s->lad, syn,
                                  "tcp_tw_reuse: timestamps prove old segments can be told apart; the port of "
                                  "connection 1 is reused");
  } else {
    SCN_EXPECT(s, s->story_err[1] == -SYNACK_EADDRNOTAVAIL, "and still at 1.3 s: the ports stay taken for 60 s");
    synack_conn_entry_t tab[16];
    size_t n = synack_conn_table(s->st[0], tab, 16), tw = 0;
    for (size_t i = 0; i < n && i < 16; i++) tw += tab[i].state == SYNACK_TCP_TIME_WAIT;
    SCN_EXPECT(s, tw == PORT_N, "%d TIME-WAIT entries hold the client's ports (got %zu)", PORT_N, tw);
    synack_ladder_explain_after(&s->lad, NULL,
                                "the active closer pays for TIME-WAIT: %d ports here, 28,232 by default, at 60 s each",
                                PORT_N);
  }
  return 0;
}

static int port_exhaustion(synack_scn_t *s) { return port_story(s, false); }
static int port_reuse(synack_scn_t *s) { return port_story(s, true); }

const synack_scn_def_t synack_scn_guard_defs[] = {
    {"why-time-wait", "last ACK lost, TIME-WAIT honoured: the resent FIN is answered, the port stays taken",
     why_time_wait},
    {"why-time-wait-off", "the same with tcp_timewait=false: a new connection on the 4-tuple collides with the old",
     why_time_wait_off},
    {"time-wait-old-duplicate", "TIME-WAIT keeps the 4-tuple until an old segment held in the network is gone",
     tw_old_dup},
    {"time-wait-old-duplicate-off", "without TIME-WAIT a new connection on the 4-tuple takes an old segment as its data",
     tw_old_dup_off},
    {"isn-fixed", "fixed (clock-only) ISNs: an old duplicate is taken as new data after a reboot", isn_fixed},
    {"isn-random", "RFC 6528 ISNs: the same old duplicate falls outside the window", isn_random},
    {"blind-rst-rfc5961", "a forged in-window RST meets RFC 5961: challenge ACK, the connection lives", blind_rst_5961},
    {"blind-rst-rfc793", "the same forged RST without RFC 5961: the connection dies", blind_rst_793},
    {"syn-flood-cookies", "10,000 spoofed SYNs and one real client, SYN cookies on", syn_flood_cookies},
    {"syn-flood-no-cookies", "10,000 spoofed SYNs and one real client, SYN cookies off", syn_flood_no_cookies},
    {"port-exhaustion", "short connections fill the client's ports with TIME-WAIT: EADDRNOTAVAIL", port_exhaustion},
    {"port-reuse", "the same with tcp_tw_reuse: a TIME-WAIT 4-tuple is safely taken over", port_reuse},
};
const size_t synack_scn_guard_count = sizeof synack_scn_guard_defs / sizeof synack_scn_guard_defs[0];
