/* `synack tsg FILE.pcap --svg OUT`: the time-sequence graph of one direction of a connection,
 * drawn the way tcptrace and Wireshark's Stevens graph do: time to the right, sequence number
 * up; each data segment an I-beam from its first to its last byte, retransmissions in red; the
 * ACK line (what the receiver has) and the receive-window line (what the sender may send) as
 * steps; SACK blocks as purple bars beside the ACK line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pcapconn.h"
#include "svg.h"
#include "tsg.h"

typedef struct {
  synack_time_t t;
  uint32_t seq, len; /* relative */
  bool syn, fin, retrans;
  long ev;
} dseg_t;

typedef struct {
  synack_time_t t;
  uint32_t ack;      /* relative */
  uint64_t win;      /* bytes */
  uint8_t nsack;
  uint32_t sack[4][2];
  long ev;
} aseg_t;

struct synack_tsg {
  int dir;
  bool have_base, have_max;
  uint32_t base, max_end;
  int ws[2];         /* window scale offered on each direction's SYN, -1 none */
  dseg_t *d;
  size_t nd, capd;
  aseg_t *a;
  size_t na, capa;
  uint64_t bytes[2];
  uint32_t data_end; /* highest relative sequence number of payload seen */
  bool syn_seen;
};
typedef struct synack_tsg tsg_t;

static bool grow(void **p, size_t *cap, size_t n, size_t elem) {
  if (n < *cap) return true;
  size_t nc = *cap ? *cap * 2 : 256;
  void *q = realloc(*p, nc * elem);
  if (!q) return false;
  *p = q;
  *cap = nc;
  return true;
}

synack_tsg_t *synack_tsg_new(int dir) {
  tsg_t *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->dir = dir;
  g->ws[0] = g->ws[1] = -1;
  return g;
}

void synack_tsg_free(synack_tsg_t *g) {
  if (!g) return;
  free(g->d);
  free(g->a);
  free(g);
}

void synack_tsg_add(synack_tsg_t *g, const synack_tsg_seg_t *tcp) {
  int dir = tcp->dir;
  synack_time_t t = tcp->t;
  bool syn = tcp->flags & SYNACK_TCP_SYN;
  if (syn) g->ws[dir] = tcp->wscale > 14 ? 14 : tcp->wscale;
  if (dir == g->dir) {
    if (syn || !g->have_base) {
      g->base = tcp->seq;
      g->have_base = true;
      g->have_max = false;
    }
    uint32_t seq = tcp->seq - g->base;
    uint32_t len = tcp->len + (syn ? 1u : 0u) + ((tcp->flags & SYNACK_TCP_FIN) ? 1u : 0u);
    if (len == 0) return; /* pure ACKs of the data direction say nothing here */
    if (!grow((void **)&g->d, &g->capd, g->nd, sizeof *g->d)) return;
    dseg_t *d = &g->d[g->nd++];
    d->t = t;
    d->seq = seq;
    d->len = len;
    d->syn = syn;
    d->fin = tcp->flags & SYNACK_TCP_FIN;
    d->ev = tcp->ev;
    d->retrans = g->have_max && (int32_t)(seq - g->max_end) < 0;
    if (!g->have_max || (int32_t)(seq + len - g->max_end) > 0) g->max_end = seq + len;
    if (syn) g->syn_seen = true;
    uint32_t pend = seq + (syn ? 1u : 0u) + tcp->len;
    if (tcp->len && (int32_t)(pend - g->data_end) > 0) g->data_end = pend;
    g->have_max = true;
  } else if (tcp->flags & SYNACK_TCP_ACK) {
    if (!g->have_base) return;
    if (!grow((void **)&g->a, &g->capa, g->na, sizeof *g->a)) return;
    aseg_t *a = &g->a[g->na++];
    memset(a, 0, sizeof *a);
    a->t = t;
    a->ev = tcp->ev;
    a->ack = tcp->ack - g->base;
    int shift = (!syn && g->ws[0] >= 0 && g->ws[1] >= 0) ? g->ws[dir] : 0;
    a->win = (uint64_t)tcp->win << shift;
    a->nsack = tcp->nsack > 4 ? 4 : tcp->nsack;
    for (int i = 0; i < a->nsack; i++) {
      a->sack[i][0] = tcp->sack[i][0] - g->base;
      a->sack[i][1] = tcp->sack[i][1] - g->base;
    }
  }
}

void synack_tsg_counts(const synack_tsg_t *g, size_t *nd, size_t *nre, size_t *na, uint32_t *bytes) {
  size_t r = 0;
  for (size_t i = 0; i < g->nd; i++) r += g->d[i].retrans;
  *nd = g->nd;
  *nre = r;
  *na = g->na;
  *bytes = g->data_end ? g->data_end - (g->syn_seen ? 1u : 0u) : 0u;
}

int synack_tsg_ladder_dir(const synack_ladder_t *l) {
  uint64_t b[2] = {0, 0};
  for (size_t i = 0; i < l->n; i++)
    if (l->ev[i].kind == SYNACK_LEV_SEG && (l->ev[i].side == 0 || l->ev[i].side == 1)) b[l->ev[i].side] += l->ev[i].len;
  return b[1] > b[0] ? 1 : 0;
}

/* Relative numbers serve as they are: the data direction's SYN is at relative 0. */
synack_tsg_t *synack_tsg_from_ladder(const synack_ladder_t *l, int dir) {
  tsg_t *g = synack_tsg_new(dir);
  if (!g) return NULL;
  for (size_t i = 0; i < l->n; i++) {
    const synack_lev_t *e = &l->ev[i];
    if (e->kind != SYNACK_LEV_SEG || e->injected || (e->side != 0 && e->side != 1)) continue;
    synack_tsg_seg_t s = {.t = e->t, .dir = e->side, .flags = e->flags, .seq = e->rseq, .ack = e->rack, .len = e->len,
                          .win = e->win, .wscale = e->wscale, .nsack = e->nsack, .ev = (long)i};
    memcpy(s.sack, e->sack, sizeof s.sack);
    synack_tsg_add(g, &s);
  }
  return g;
}

/* The capture walk: counts bytes per direction, then feeds the graph. */
static void count_bytes(void *user, synack_time_t t, int dir, const synack_tcp_repr_t *tcp) {
  (void)t;
  tsg_t *g = user;
  g->bytes[dir] += tcp->payload_len;
}

static void collect(void *user, synack_time_t t, int dir, const synack_tcp_repr_t *tcp) {
  synack_tsg_seg_t s = {.t = t, .dir = dir, .flags = tcp->flags, .seq = tcp->seq, .ack = tcp->ack,
                        .len = (uint32_t)tcp->payload_len, .win = tcp->window, .ev = -1,
                        .wscale = (tcp->opts.present & SYNACK_TCPOPT_HAS_WSCALE) ? tcp->opts.wscale : -1};
  if (tcp->opts.present & SYNACK_TCPOPT_HAS_SACK) {
    s.nsack = tcp->opts.sack_count > 4 ? 4 : tcp->opts.sack_count;
    for (int i = 0; i < s.nsack; i++) {
      s.sack[i][0] = tcp->opts.sack[i].left;
      s.sack[i][1] = tcp->opts.sack[i].right;
    }
  }
  synack_tsg_add(user, &s);
}

static double nice_step(double range, int ticks) {
  double raw = range / ticks, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

#define GW 1100
#define GH 680
#define ML 100
#define MR 40
#define MT 70
#define MB 60

int synack_tsg_write(FILE *f, const char *title, const synack_tsg_t *g, synack_time_t t0, synack_time_t t1) {
  double tspan = t1 > t0 ? (double)(t1 - t0) / 1e6 : 1.0;
  double ymax = 1;
  for (size_t i = 0; i < g->nd; i++)
    if ((int32_t)g->d[i].seq >= 0 && g->d[i].seq + g->d[i].len > ymax) ymax = g->d[i].seq + g->d[i].len;
  double datamax = ymax;
  for (size_t i = 0; i < g->na; i++) {
    double w = (double)g->a[i].ack + (double)g->a[i].win;
    if ((int32_t)g->a[i].ack >= 0 && w > ymax) ymax = w;
  }
  double wmax = ymax;
  bool clipped = ymax > datamax * 1.6 + 2000;
  if (clipped) ymax = datamax * 1.6 + 2000; /* keep the data readable; the window line is clipped */
  ymax *= 1.04;
  double pw = GW - ML - MR, ph = GH - MT - MB;
#define X(t) (ML + ((double)((t) - t0) / 1e6) / tspan * pw)
#define Y(s) (MT + ph - ((double)(s)) / ymax * ph)
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", GW, GH, GW,
          GH);
  fputs("<style>text{font-family:'DejaVu Sans',Arial,sans-serif;font-size:12px;fill:#222}.s{font-size:10px}"
        ".h{font-size:15px;font-weight:bold}</style>\n",
        f);
  fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", GW, GH);
  fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\"/></clipPath></defs>\n",
          ML, MT, pw, ph);
  fprintf(f, "<text x=\"%d\" y=\"28\" class=\"h\">", ML);
  synack_svg_text(f, title);
  fputs("</text>\n", f);
  /* Axes and ticks. */
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#444\"/>\n", ML, MT, pw, ph);
  double ts = nice_step(tspan, 8);
  for (double v = 0; v <= tspan + 1e-9; v += ts) {
    double x = ML + v / tspan * pw;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#eee\"/>", x, MT, x, MT + ph);
    fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%g</text>\n", x, MT + ph + 18, v);
  }
  double ss = nice_step(ymax, 8);
  for (double v = 0; v <= ymax; v += ss) {
    double y = Y(v);
    fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#eee\"/>", ML, y, ML + pw, y);
    fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", ML - 6, y + 4, v);
  }
  fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">time (s, from the first segment)</text>\n",
          ML + pw / 2, GH - 14);
  fprintf(f, "<text x=\"20\" y=\"%.0f\" transform=\"rotate(-90 20 %.0f)\" text-anchor=\"middle\">relative sequence "
             "number (bytes)</text>\n",
          MT + ph / 2, MT + ph / 2);
  fputs("<g clip-path=\"url(#plot)\">\n", f);
  /* Receive window line (ack + window) and ACK line as steps. */
  const char *lines[2] = {"#c8a000", "#1d8a3a"};
  for (int k = 0; k < 2; k++) {
    if (g->na == 0) break;
    fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\" points=\"", lines[k]);
    double prev = 0;
    for (size_t i = 0; i < g->na; i++) {
      double v = k == 0 ? (double)g->a[i].ack + (double)g->a[i].win : (double)g->a[i].ack;
      if ((int32_t)g->a[i].ack < 0) continue;
      if (i > 0) fprintf(f, "%.1f,%.1f ", X(g->a[i].t), Y(prev));
      fprintf(f, "%.1f,%.1f ", X(g->a[i].t), Y(v));
      prev = v;
    }
    fprintf(f, "%.1f,%.1f\"/>\n", ML + pw, Y(prev));
  }
  /* SACK blocks. */
  for (size_t i = 0; i < g->na; i++)
    for (int j = 0; j < g->a[i].nsack; j++)
      fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#8e44ad\" stroke-width=\"2.5\"/>\n",
              X(g->a[i].t) + 2, Y(g->a[i].sack[j][0]), X(g->a[i].t) + 2, Y(g->a[i].sack[j][1]));
  /* Each ACK as a point on its line: with data-ev, something a page can link to the ladder. */
  for (size_t i = 0; i < g->na; i++)
    if (g->a[i].ev >= 0 && (int32_t)g->a[i].ack >= 0)
      fprintf(f, "<circle class=\"mk\" data-ev=\"%ld\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1d8a3a\"/>\n", g->a[i].ev,
              X(g->a[i].t), Y(g->a[i].ack));
  /* Data segments as I-beams. */
  for (size_t i = 0; i < g->nd; i++) {
    const dseg_t *d = &g->d[i];
    const char *c = d->retrans ? "#d62728" : "#1f3f9f";
    double x = X(d->t), y0 = Y(d->seq), y1 = Y(d->seq + d->len);
    if (d->ev >= 0) fprintf(f, "<g class=\"mk\" data-ev=\"%ld\">", d->ev);
    fprintf(f, "<path d=\"M%.1f %.1f V%.1f M%.1f %.1f h6 M%.1f %.1f h6\" stroke=\"%s\" stroke-width=\"1.3\" fill=\"none\"/>\n",
            x, y0, y1, x - 3, y0, x - 3, y1, c);
    if (d->ev >= 0)
      fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"%.1f\" fill-opacity=\"0\"/></g>", x - 5, y1 - 2,
              y0 - y1 + 4);
    if (d->retrans)
      fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"s\" fill=\"#d62728\">R</text>\n", x + 4, y1 + 3);
    if (d->syn) fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"s\">SYN</text>\n", x + 4, y1 - 2);
    if (d->fin) fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"s\">FIN</text>\n", x + 4, y1 - 2);
  }
  fputs("</g>\n", f);
  if (clipped)
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"end\" fill=\"#a08000\">receive window edge above the "
               "top (up to %.0f)</text>\n",
            ML + pw - 6, MT + 16, wmax);
  /* Legend. */
  const char *names[] = {"data segment", "retransmission", "ACK", "receive window", "SACK block"};
  const char *cols[] = {"#1f3f9f", "#d62728", "#1d8a3a", "#c8a000", "#8e44ad"};
  for (int i = 0; i < 5; i++) {
    int x = ML + 10 + i * 170, y = 50;
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>", x, y - 4, x + 20, y - 4,
            cols[i]);
    fprintf(f, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 26, y, names[i]);
  }
  fputs("</svg>\n", f);
#undef X
#undef Y
  return ferror(f) ? -1 : 0;
}

int synack_cmd_tsg(int argc, char **argv) {
  const char *path = NULL, *svg = NULL, *tuple = NULL;
  long index = 0;
  int dir = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (strcmp(argv[i], "--conn") == 0 && i + 1 < argc) index = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--tuple") == 0 && i + 1 < argc) tuple = argv[++i];
    else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = (int)strtol(argv[++i], NULL, 10);
    else if (argv[i][0] != '-' && !path) path = argv[i];
    else {
      path = NULL;
      break;
    }
  }
  if (!path || !svg || dir > 1) {
    fprintf(stderr, "usage: synack tsg FILE.pcap --svg OUT [--conn N | --tuple A:P-B:P] [--dir 0|1]\n"
                    "  --dir 0: data from the connection's first sender (the client), 1: the other way;\n"
                    "  default: the direction that carried more bytes\n");
    return 2;
  }
  char err[256];
  synack_pconn_t *c;
  long n = synack_pconn_list(SYNACK_PCONN_FILE(path), &c, err, sizeof err);
  if (n < 0) {
    fprintf(stderr, "tsg: %s\n", err);
    return 1;
  }
  long k = synack_pconn_pick(c, (size_t)n, index, tuple, err, sizeof err);
  if (k < 0) {
    fprintf(stderr, "tsg: %s\n", err);
    free(c);
    return 1;
  }
  tsg_t counter;
  memset(&counter, 0, sizeof counter);
  synack_pconn_walk(SYNACK_PCONN_FILE(path), &c[k], count_bytes, &counter);
  tsg_t *g = synack_tsg_new(dir >= 0 ? dir : (counter.bytes[1] > counter.bytes[0] ? 1 : 0));
  if (!g) {
    free(c);
    return 1;
  }
  synack_pconn_walk(SYNACK_PCONN_FILE(path), &c[k], collect, g);
  char a[80], b[80], title[300];
  synack_pconn_format(g->dir ? &c[k].b : &c[k].a, a, sizeof a);
  synack_pconn_format(g->dir ? &c[k].a : &c[k].b, b, sizeof b);
  size_t nd, nre, na;
  uint32_t bytes;
  synack_tsg_counts(g, &nd, &nre, &na, &bytes);
  snprintf(title, sizeof title, "time-sequence graph: %s -> %s (%zu data segments, %zu retransmitted)", a, b, nd, nre);
  FILE *f = fopen(svg, "w");
  int rc = f ? synack_tsg_write(f, title, g, c[k].first, c[k].last) : -1;
  if (f && fclose(f) != 0) rc = -1;
  if (rc == 0)
    printf("%s -> %s: %u bytes of data in %zu segments (%zu retransmitted), %zu ACKs; graph written to %s\n", a, b,
           bytes, nd, nre, na, svg);
  else
    fprintf(stderr, "tsg: cannot write %s\n", svg);
  synack_tsg_free(g);
  free(c);
  return rc == 0 ? 0 : 1;
}
