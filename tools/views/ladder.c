/* Ladder diagrams: the recorded model and the terminal view (see ladder.h). */
#include "ladder.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define COL_RESET "\033[0m"
#define COL_DIM "\033[2m"
#define COL_BOLD "\033[1m"
#define COL_RED "\033[31m"
#define COL_GREEN "\033[32m"
#define COL_YELLOW "\033[33m"
#define COL_BLUE "\033[34m"
#define COL_MAGENTA "\033[35m"
#define COL_CYAN "\033[36m"

#define ARROW_W 66
#define STATE_W 13

void synack_ladder_init(synack_ladder_t *l, const char *left, const char *right) {
  memset(l, 0, sizeof *l);
  snprintf(l->left_name, sizeof l->left_name, "%s", left);
  snprintf(l->right_name, sizeof l->right_name, "%s", right);
  l->cur[0] = l->cur[1] = SYNACK_TCP_CLOSED;
}

void synack_ladder_free(synack_ladder_t *l) {
  free(l->pend);
  l->pend = NULL;
  l->npend = 0;
  free(l->ev);
  l->ev = NULL;
  l->n = l->cap = 0;
}

static synack_lev_t *push(synack_ladder_t *l, synack_lev_kind_t kind, synack_time_t t, int side) {
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 64;
    synack_lev_t *p = realloc(l->ev, ncap * sizeof *p);
    if (!p) return NULL;
    l->ev = p;
    l->cap = ncap;
  }
  synack_lev_t *e = &l->ev[l->n++];
  memset(e, 0, sizeof *e);
  e->kind = kind;
  e->t = t;
  e->t_arrive = SYNACK_TIME_NEVER;
  e->side = side;
  e->st[0] = l->cur[0];
  e->st[1] = l->cur[1];
  e->conn = l->conn;
  return e;
}

/* Sequence comparison modulo 2^32 (RFC 9293 §3.4). */
static bool seq_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

static void fmt_opts(const synack_tcp_opts_t *o, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
#define ADD(...) do { if (n < cap) n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__); } while (0)
  if (o->present & SYNACK_TCPOPT_HAS_MSS) ADD("mss %u,", o->mss);
  if (o->present & SYNACK_TCPOPT_HAS_SACK_PERM) ADD("sackOK,");
  if (o->present & SYNACK_TCPOPT_HAS_TS) ADD("TS,");
  if (o->present & SYNACK_TCPOPT_HAS_WSCALE) ADD("ws %u,", o->wscale);
  /* RFC 7413: an empty option asks for a cookie; otherwise the cookie is shown by its length. */
  if (o->present & SYNACK_TCPOPT_HAS_FASTOPEN) {
    if (o->fo_len) ADD("tfo cookie %u B,", o->fo_len);
    else ADD("tfo request,");
  }
#undef ADD
  if (n >= cap) n = cap - 1;
  if (n > 0 && buf[n - 1] == ',') buf[n - 1] = 0;
}

/* Which timer sent this segment, judged by what it sent (e is not yet in the list). */
static void timer_text(const synack_ladder_t *l, const synack_lev_t *e, char *buf, size_t cap) {
  const char *who = e->side == 0 ? l->left_name : l->right_name;
  const char *what;
  if ((e->flags & SYNACK_TCP_SYN) && !(e->flags & SYNACK_TCP_ACK)) what = "SYN retransmission timer";
  else if (e->flags & SYNACK_TCP_SYN) what = "SYN-ACK retransmission timer";
  else if (e->probe) what = "keepalive timer (idle: probe the peer)";
  else if (e->flags & SYNACK_TCP_RST) what = "timer";
  else if (e->timer_kind & SYNACK_LSEG_TLP) what = "tail loss probe timer (RFC 8985 PTO)";
  else if (e->timer_kind & SYNACK_LSEG_REO) what = "RACK reordering timer (RFC 8985)";
  else if (e->retrans) what = "retransmission timer (RTO)";
  else if (e->len == 0 && !(e->flags & SYNACK_TCP_FIN)) what = "delayed-ACK timer";
  else what = "timer";
  /* How long after the previous transmission of the same sequence number. */
  double gap = -1;
  if (e->retrans) {
    for (size_t i = l->n; i-- > 0;) {
      const synack_lev_t *p = &l->ev[i];
      if (p->kind == SYNACK_LEV_SEG && p->side == e->side && p->seq == e->seq && !p->injected) {
        gap = (double)(e->t - p->t) / 1e6;
        break;
      }
    }
  }
  if (gap >= 0.001)
    snprintf(buf, cap, "%s: %s fired, %.3f s after the last try", who, what, gap);
  else
    snprintf(buf, cap, "%s: %s fired", who, what);
}

long synack_ladder_seg(synack_ladder_t *l, synack_time_t t, int side, const synack_tcp_repr_t *tcp, unsigned how) {
  int o = 1 - side;
  bool injected = (how & SYNACK_LSEG_INJECTED) != 0;
  bool syn = (tcp->flags & SYNACK_TCP_SYN) != 0, fin = (tcp->flags & SYNACK_TCP_FIN) != 0;
  if (syn && !injected && (!l->have_isn[side] || l->isn[side] != tcp->seq)) {
    /* A new incarnation: a fresh SYN from the left (or a SYN-ACK answering one). */
    if (!(tcp->flags & SYNACK_TCP_ACK)) {
      l->conn++;
      l->have_isn[o] = false;
      l->have_max[o] = false;
    }
    l->have_isn[side] = true;
    l->isn[side] = tcp->seq;
    l->have_max[side] = false;
  }
  uint32_t end = tcp->seq + (uint32_t)tcp->payload_len + (syn ? 1u : 0u) + (fin ? 1u : 0u);
  bool consumes = end != tcp->seq;
  bool retrans = consumes && l->have_max[side] && seq_before(tcp->seq, l->snd_max[side]) && !injected;
  /* Simultaneous open: the SYN-ACK after our own crossing SYN repeats the SYN by design. */
  if (retrans && syn && (tcp->flags & SYNACK_TCP_ACK) && !l->sent_synack[side]) retrans = false;
  if (syn && (tcp->flags & SYNACK_TCP_ACK) && !injected) l->sent_synack[side] = true;
  if (syn && !(tcp->flags & SYNACK_TCP_ACK) && !injected && !retrans) l->sent_synack[side] = false;
  bool probe = !consumes && !injected && l->have_max[side] && !(tcp->flags & (SYNACK_TCP_RST | SYNACK_TCP_SYN)) &&
               tcp->seq == l->snd_max[side] - 1u;
  if (!injected && (!l->have_max[side] || seq_before(l->snd_max[side], end))) {
    l->snd_max[side] = end;
    l->have_max[side] = true;
  }
  /* A duplicate ACK (RFC 5681 §2): no data, no SYN/FIN, same ACK and window as the last one. */
  bool pure = tcp->payload_len == 0 && !(tcp->flags & (SYNACK_TCP_SYN | SYNACK_TCP_FIN | SYNACK_TCP_RST)) &&
              (tcp->flags & SYNACK_TCP_ACK);
  bool dupack = pure && !probe && !injected && l->have_last_ack[side] && l->last_ack[side] == tcp->ack &&
                l->last_win[side] == tcp->window && l->cur[side] != SYNACK_TCP_TIME_WAIT; /* not a TIME-WAIT re-ACK */
  if ((tcp->flags & SYNACK_TCP_ACK) && !injected) {
    l->have_last_ack[side] = true;
    l->last_ack[side] = tcp->ack;
    l->last_win[side] = tcp->window;
  }
  /* Numbered among all segments, drawn or not: a muted stretch keeps the numbers after it. */
  uint32_t segno = l->segments + l->muted_segments + 1;
  if (l->muted) {
    l->muted_segments++;
    return -1;
  }
  synack_lev_t x;
  memset(&x, 0, sizeof x);
  x.kind = SYNACK_LEV_SEG;
  x.t = t;
  x.t_arrive = SYNACK_TIME_NEVER;
  x.side = side;
  x.st[0] = l->cur[0];
  x.st[1] = l->cur[1];
  x.conn = l->conn;
  x.flags = tcp->flags;
  x.seq = tcp->seq;
  x.ack = tcp->ack;
  x.rseq = tcp->seq - (l->have_isn[side] ? l->isn[side] : 0);
  x.rack = tcp->ack - (l->have_isn[o] ? l->isn[o] : 0);
  x.len = (uint32_t)tcp->payload_len;
  x.win = tcp->window;
  x.retrans = retrans;
  x.probe = probe;
  x.dupack = dupack;
  x.injected = injected;
  x.by_timer = (how & SYNACK_LSEG_TIMER) != 0;
  x.timer_kind = (uint8_t)(how & (SYNACK_LSEG_TLP | SYNACK_LSEG_REO));
  if (tcp->opts.present & SYNACK_TCPOPT_HAS_SACK) {
    x.nsack = tcp->opts.sack_count > 4 ? 4 : tcp->opts.sack_count;
    uint32_t base = l->have_isn[o] ? l->isn[o] : 0;
    for (int i = 0; i < x.nsack; i++) {
      x.sack[i][0] = tcp->opts.sack[i].left - base;
      x.sack[i][1] = tcp->opts.sack[i].right - base;
    }
  }
  fmt_opts(&tcp->opts, x.opts, sizeof x.opts);
  x.wscale = (tcp->opts.present & SYNACK_TCPOPT_HAS_WSCALE) ? (int8_t)(tcp->opts.wscale > 14 ? 14 : tcp->opts.wscale) : -1;
  x.segno = segno;
  if (x.by_timer) {
    /* The timer line goes before its segment. */
    char text[200];
    timer_text(l, &x, text, sizeof text);
    synack_lev_t *te = push(l, SYNACK_LEV_TIMER, t, side);
    if (te) snprintf(te->text, sizeof te->text, "%s", text);
  }
  synack_lev_t *e = push(l, SYNACK_LEV_SEG, t, side);
  if (!e) return -1;
  *e = x;
  l->segments++;
  if (retrans) l->retrans++;
  return (long)(l->n - 1);
}

void synack_ladder_arrive(synack_ladder_t *l, long idx, synack_time_t t) {
  if (idx < 0 || (size_t)idx >= l->n) return;
  synack_lev_t *e = &l->ev[idx];
  e->t_arrive = t;
  e->st[1 - e->side] = l->cur[1 - e->side];
}

void synack_ladder_set_state(synack_ladder_t *l, int side, int state) {
  if (side == 0 || side == 1) l->cur[side] = state;
}

void synack_ladder_state(synack_ladder_t *l, synack_time_t t, int side, int old_state, int new_state, const char *why) {
  if (side != 0 && side != 1) return;
  l->cur[side] = new_state;
  if (l->muted) return;
  synack_lev_t *e = push(l, SYNACK_LEV_STATE, t, side);
  if (!e) return;
  e->old_state = old_state;
  e->new_state = new_state;
  snprintf(e->text, sizeof e->text, "%s", why ? why : "");
}

void synack_ladder_timer(synack_ladder_t *l, synack_time_t t, int side, const char *text) {
  if (l->muted) return;
  synack_lev_t *e = push(l, SYNACK_LEV_TIMER, t, side);
  if (e) snprintf(e->text, sizeof e->text, "%s", text);
}

void synack_ladder_note(synack_ladder_t *l, synack_time_t t, int side, const char *fmt, ...) {
  synack_lev_t *e = push(l, SYNACK_LEV_NOTE, t, side);
  if (!e) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->text, sizeof e->text, fmt, ap);
  va_end(ap);
}

void synack_ladder_explain(synack_ladder_t *l, synack_time_t t, const char *fmt, ...) {
  synack_lev_t *e = push(l, SYNACK_LEV_EXPLAIN, t, -1);
  if (!e) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->text, sizeof e->text, fmt, ap);
  va_end(ap);
}

void synack_ladder_explain_after(synack_ladder_t *l, const synack_lev_t *e, const char *fmt, ...) {
  struct synack_ladder_pending *p = realloc(l->pend, (l->npend + 1) * sizeof *p);
  if (!p) return;
  l->pend = p;
  p = &l->pend[l->npend++];
  p->after = e ? (size_t)(e - l->ev) : l->n - 1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->text, sizeof p->text, fmt, ap);
  va_end(ap);
}

void synack_ladder_finish(synack_ladder_t *l) {
  /* Insert from the last position back, so earlier positions stay right; equal positions keep
   * the order they were queued in. */
  while (l->npend > 0) {
    size_t best = 0;
    for (size_t i = 1; i < l->npend; i++)
      if (l->pend[i].after >= l->pend[best].after) best = i;
    struct synack_ladder_pending p = l->pend[best];
    memmove(&l->pend[best], &l->pend[best + 1], (l->npend - best - 1) * sizeof p);
    l->npend--;
    size_t pos = p.after + 1;
    if (!push(l, SYNACK_LEV_EXPLAIN, 0, -1)) break;
    if (pos > l->n - 1) pos = l->n - 1;
    synack_lev_t x = l->ev[l->n - 1];
    x.t = pos > 0 ? l->ev[pos - 1].t : 0;
    snprintf(x.text, sizeof x.text, "%s", p.text);
    memmove(&l->ev[pos + 1], &l->ev[pos], (l->n - 1 - pos) * sizeof *l->ev);
    l->ev[pos] = x;
  }
  free(l->pend);
  l->pend = NULL;
}

static void fmt_rel(char *b, size_t cap, uint32_t v, bool absolute) {
  if (!absolute && v >= 0xff000000u)
    snprintf(b, cap, "%d", (int)(int32_t)v);
  else
    snprintf(b, cap, "%u", v);
}

void synack_ladder_label(const synack_ladder_t *l, const synack_lev_t *e, char *buf, size_t cap) {
  char flags[12];
  synack_tcp_flags_str(e->flags, flags, sizeof flags);
  uint32_t seq = l->absolute ? e->seq : e->rseq, ack = l->absolute ? e->ack : e->rack;
  /* A little behind the ISN (an old segment) reads better as a negative offset. */
  char sq[16], ak[16];
  fmt_rel(sq, sizeof sq, seq, l->absolute);
  fmt_rel(ak, sizeof ak, ack, l->absolute);
  size_t n = (size_t)snprintf(buf, cap, "%s seq %s", flags, sq);
#define ADD(...) do { if (n < cap) n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__); } while (0)
  if (e->flags & SYNACK_TCP_ACK) ADD(" ack %s", ak);
  if (e->len) ADD(" len %u", e->len);
  ADD(" win %u", e->win);
  for (int i = 0; i < e->nsack; i++)
    ADD("%s%u-%u", i == 0 ? " sack " : ",", e->sack[i][0], e->sack[i][1]);
  if (e->opts[0] && (e->flags & SYNACK_TCP_SYN)) ADD(" <%s>", e->opts);
#undef ADD
}

static const char *sname(int s) {
  if (s < 0) return "?";
  return synack_tcp_state_name((synack_tcp_state_t)s);
}

/* The arrow with its label, exactly ARROW_W columns. */
static void draw_arrow(const char *label, bool ltr, bool lost, char *out) {
  char lab[ARROW_W];
  size_t ll = strlen(label);
  if (ll > ARROW_W - 10) ll = ARROW_W - 10;
  memcpy(lab, label, ll);
  lab[ll] = 0;
  memset(out, '-', ARROW_W);
  out[ARROW_W] = 0;
  size_t start = (ARROW_W - ll - 2) / 2;
  out[start] = ' ';
  memcpy(out + start + 1, lab, ll);
  out[start + 1 + ll] = ' ';
  if (ltr) out[ARROW_W - 1] = '>';
  else out[0] = '<';
  if (lost) {
    /* The arrow breaks off short of the receiver: X where it was lost. */
    if (ltr) {
      size_t x = start + ll + 2 + 3;
      if (x > ARROW_W - 4) x = ARROW_W - 4;
      out[x] = 'X';
      for (size_t i = x + 1; i < ARROW_W; i++) out[i] = ' ';
    } else {
      size_t x = start >= 4 ? start - 3 : 1;
      if (x < 3) x = 3;
      out[x] = 'X';
      for (size_t i = 0; i < x; i++) out[i] = ' ';
    }
  }
}

void synack_ladder_print(const synack_ladder_t *l, FILE *out, bool color) {
#define C(code) (color ? (code) : "")
  fprintf(out, "%s%10s  %-*s %-*s %s%s\n", C(COL_BOLD), "time (s)", STATE_W, l->left_name, ARROW_W, "",
          l->right_name, C(COL_RESET));
  for (size_t i = 0; i < l->n; i++) {
    const synack_lev_t *e = &l->ev[i];
    double t = (double)e->t / 1e6;
    switch (e->kind) {
    case SYNACK_LEV_SEG: {
      char label[160], arrow[ARROW_W + 1];
      synack_ladder_label(l, e, label, sizeof label);
      draw_arrow(label, e->side == 0, e->lost, arrow);
      const char *col = e->lost ? COL_RED : e->injected ? COL_MAGENTA : e->side == 0 ? COL_GREEN : COL_CYAN;
      char note[96] = "";
      size_t n = 0;
#define ADDN(s) do { if (n < sizeof note) n += (size_t)snprintf(note + n, sizeof note - n, "%s%s", n ? ", " : "", s); } while (0)
      if (e->lost) ADDN("lost");
      if (e->injected) ADDN("injected");
      if (e->retrans) ADDN("retransmission");
      if (e->probe) ADDN("keepalive probe");
      if (e->dupack) ADDN("dup ACK");
#undef ADDN
      fprintf(out, "%10.6f  %-*s %s%s%s %-*s", t, STATE_W, sname(e->st[0]), C(col), arrow, C(COL_RESET),
              note[0] ? STATE_W : 0, sname(e->st[1]));
      if (note[0]) fprintf(out, "  %s%s%s", C(COL_RED), note, C(COL_RESET));
      fputc('\n', out);
      break;
    }
    case SYNACK_LEV_STATE:
      fprintf(out, "%10.6f  %s%*s%s: %s -> %s%s%s%s%s\n", t, C(COL_YELLOW), e->side == 0 ? 0 : STATE_W + 1, "",
              e->side == 0 ? l->left_name : l->right_name, sname(e->old_state), sname(e->new_state),
              e->text[0] ? " (" : "", e->text, e->text[0] ? ")" : "", C(COL_RESET));
      break;
    case SYNACK_LEV_TIMER:
      fprintf(out, "%10.6f  %s%*s* %s%s\n", t, C(COL_BLUE), e->side == 0 ? 0 : STATE_W + 1, "", e->text, C(COL_RESET));
      break;
    case SYNACK_LEV_NOTE:
      fprintf(out, "%10.6f  %s# %s%s\n", t, C(COL_DIM), e->text, C(COL_RESET));
      break;
    case SYNACK_LEV_EXPLAIN:
      fprintf(out, "%10.6f  %s>> %s%s\n", t, C(COL_BOLD), e->text, C(COL_RESET));
      break;
    }
  }
#undef C
}
