/* The ladder diagram as a self-contained SVG file: time runs down, each end is a vertical line,
 * each segment an arrow from its send time to its arrival time (a lost one stops short with a
 * cross), states in boxes beside the lines, timers and explanations between the arrows. Long
 * idle stretches (a 63 s give-up, a 60 s TIME-WAIT) are cut out and labelled. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

#define W 1600
#define XL 470
#define XR 1010
#define ROW 24
#define TOP 110
#define GAP_BAND 26

void synack_svg_text(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '&': fputs("&amp;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&apos;", f); break;
    default:
      /* Control characters are not allowed in XML 1.0. */
      if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, f);
      break;
    }
  }
}

static const char *sname(int s) { return s < 0 ? "?" : synack_tcp_state_name((synack_tcp_state_t)s); }

static void state_box(FILE *f, int x, int y, bool left, const char *state, const char *fill) {
  int w = (int)strlen(state) * 7 + 12;
  int bx = left ? x - w - 8 : x + 8;
  fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" rx=\"4\" fill=\"%s\" stroke=\"#888\"/>", bx, y - 12,
          w, fill);
  fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"st\">", bx + 6, y);
  synack_svg_text(f, state);
  fputs("</text>\n", f);
}

int synack_svg_ladder(const synack_ladder_t *l, const char *path, const char *title, const char *subtitle) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  int rc = synack_svg_ladder_write(f, l, title, subtitle);
  if (fclose(f) != 0) rc = -1;
  return rc;
}

int synack_svg_ladder_write(FILE *f, const synack_ladder_t *l, const char *title, const char *subtitle) {
  size_t n = l->n;
  double *y = calloc(n ? n : 1, sizeof *y);
  bool *gap = calloc(n ? n : 1, sizeof *gap);
  if (!y || !gap) {
    free(y);
    free(gap);
    return -1;
  }
  /* Rows: one per event, plus a band where more than a second passes between two events. */
  double cur = TOP;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && l->ev[i].t > l->ev[i - 1].t + 1000000u) {
      gap[i] = true;
      cur += GAP_BAND;
    }
    cur += ROW;
    y[i] = cur;
  }
  double height = cur + 60;
  fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n", W,
          height, W, height);
  fputs("<style>\n"
        "text{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px;fill:#222}\n"
        ".t{fill:#666;font-size:11px}.st{font-size:11px}.lab{font-size:11.5px}\n"
        ".note{fill:#555;font-style:italic}.exp{font-weight:bold;fill:#7a4b00}.tm{fill:#1a4fa0}\n"
        ".h{font-size:15px;font-weight:bold}.sub{fill:#555}\n"
        "</style>\n",
        f);
  fputs("<defs>\n", f);
  const char *cols[] = {"#1f5fa8", "#1d7a3a", "#c0392b", "#8e44ad"};
  for (int i = 0; i < 4; i++)
    fprintf(f,
            "<marker id=\"a%d\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
            "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"%s\"/></marker>\n",
            i, cols[i]);
  fputs("</defs>\n", f);
  fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%.0f\" fill=\"#fff\"/>\n", W, height);
  fprintf(f, "<text x=\"20\" y=\"28\" class=\"h\">");
  synack_svg_text(f, title ? title : "ladder diagram");
  fputs("</text>\n", f);
  if (subtitle) {
    fprintf(f, "<text x=\"20\" y=\"48\" class=\"sub\">");
    synack_svg_text(f, subtitle);
    fputs("</text>\n", f);
  }
  if (l->inferred_states) fputs("<text x=\"20\" y=\"64\" class=\"sub\">states inferred from the wire</text>\n", f);
  /* Column heads and the two life lines. */
  for (int s = 0; s < 2; s++) {
    int x = s ? XR : XL;
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"h\">", x, TOP - 30);
    synack_svg_text(f, s ? l->right_name : l->left_name);
    fprintf(f, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"sub\">", x, TOP - 14);
    synack_svg_text(f, s ? l->right_addr : l->left_addr);
    fputs("</text>\n", f);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.0f\" stroke=\"#444\" stroke-width=\"2\"/>\n", x, TOP - 6, x,
            cur + 20);
  }
  fprintf(f, "<text x=\"16\" y=\"%d\" class=\"t\">time (s)</text>\n", TOP - 6);
  /* Cut-out stretches first, so that arrows and crosses are drawn over them. */
  for (size_t i = 1; i < n; i++) {
    if (!gap[i]) continue;
    double gy = y[i] - ROW - GAP_BAND / 2.0 + 4;
    fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" fill=\"#f3f3f3\"/>", 10, gy - 10, W - 20, 18);
    fprintf(f, "<text x=\"%d\" y=\"%.0f\" text-anchor=\"middle\" class=\"t\">… %.3f s pass …</text>\n", W / 2,
            gy + 3, (double)(l->ev[i].t - l->ev[i - 1].t) / 1e6);
  }
  double last_arr[2] = {0, 0};
  for (size_t i = 0; i < n; i++) {
    const synack_lev_t *e = &l->ev[i];
    fprintf(f, "<g class=\"ev\" data-ev=\"%zu\" data-t=\"%llu\"", i, (unsigned long long)e->t);
    if (e->kind == SYNACK_LEV_SEG) fprintf(f, " data-seg=\"%u\"", e->segno);
    fprintf(f, "><text x=\"16\" y=\"%.0f\" class=\"t\">%.6f</text>\n", y[i] + 4, (double)e->t / 1e6);
    switch (e->kind) {
    case SYNACK_LEV_SEG: {
      bool ltr = e->side == 0;
      int ci = e->lost ? 2 : e->injected ? 3 : ltr ? 0 : 1;
      double y0 = y[i], y1 = y[i] + ROW * 0.8;
      if (e->t_arrive != SYNACK_TIME_NEVER) {
        /* Arrive at the first row at or after the arrival time; arrivals in one direction keep
         * their order and a few pixels between them, so a burst fans out. */
        y1 = y[n - 1] + ROW;
        for (size_t j = i + 1; j < n; j++)
          if (l->ev[j].t >= e->t_arrive) {
            /* An arrival inside a cut-out stretch ends just before the cut. */
            y1 = gap[j] ? y[j - 1] + ROW * 0.8 : y[j] - 6;
            break;
          }
        int d = ltr ? 0 : 1;
        if (y1 < last_arr[d] + 7) y1 = last_arr[d] + 7;
        if (y1 < y0 + 6) y1 = y0 + 6;
        last_arr[d] = y1;
      }
      double xa = ltr ? XL : XR, xb = ltr ? XR : XL;
      if (e->lost) {
        xb = xa + (xb - xa) * 0.62;
        y1 = y0 + (y1 - y0) * 0.62;
      }
      fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.6\"%s%s/>\n", xa,
              y0, xb, y1, cols[ci], e->lost ? " stroke-dasharray=\"6,3\"" : "",
              e->lost ? "" : (ci == 0 ? " marker-end=\"url(#a0)\"" : ci == 1 ? " marker-end=\"url(#a1)\"" : " marker-end=\"url(#a3)\""));
      if (e->lost)
        fprintf(f, "<path d=\"M%.0f %.1f l12 12 m0 -12 l-12 12\" stroke=\"%s\" stroke-width=\"3\"/>\n", xb - 6,
                y1 - 6, cols[2]);
      char label[200];
      synack_ladder_label(l, e, label, sizeof label);
      /* The label sits near the sender, where the arrows of a burst are still a row apart. */
      double frac = e->lost ? 0.3 : 0.32;
      double mx = ltr ? XL + (XR - XL) * frac + 40 : XR - (XR - XL) * frac - 40;
      double my = y0 + (y1 - y0) * ((mx - xa) / (xb - xa)) - 4;
      double ang = atan2(ltr ? y1 - y0 : y0 - y1, (double)(XR - XL)) * 180.0 / 3.14159265358979;
      fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\" class=\"lab\" fill=\"%s\" transform=\"rotate(%.2f %.0f %.1f)\">",
              mx, my, cols[ci], ang, mx, my);
      synack_svg_text(f, label);
      fputs("</text>\n", f);
      char tag[64] = "";
      if (e->lost) snprintf(tag, sizeof tag, "lost");
      else if (e->injected) snprintf(tag, sizeof tag, "injected");
      else if (e->retrans) snprintf(tag, sizeof tag, "retransmission");
      else if (e->probe) snprintf(tag, sizeof tag, "keepalive probe");
      else if (e->dupack) snprintf(tag, sizeof tag, "dup ACK");
      if (tag[0])
        fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"t\" fill=\"%s\">%s</text>\n", XR + 16, y0 + 4, cols[2], tag);
      /* A wide transparent band along the arrow: something to point at and click. */
      fprintf(f, "<line class=\"hit\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#000\" "
                 "stroke-opacity=\"0\" stroke-width=\"12\"/>\n",
              xa, y0, xb, y1);
      break;
    }
    case SYNACK_LEV_STATE: {
      int s = e->side;
      char txt[240];
      snprintf(txt, sizeof txt, "%s", sname(e->new_state));
      state_box(f, s ? XR : XL, (int)y[i] + 4, s == 0, txt, "#e8f4ff");
      if (e->text[0]) {
        fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"t\"%s>(", s ? XR + 140 : XL - 150, y[i] + 4,
                s ? "" : " text-anchor=\"end\"");
        synack_svg_text(f, e->text);
        fputs(")</text>\n", f);
      }
      break;
    }
    case SYNACK_LEV_TIMER: {
      int x = e->side ? XR : XL;
      fprintf(f, "<circle cx=\"%d\" cy=\"%.0f\" r=\"6\" fill=\"#fff\" stroke=\"#1a4fa0\" stroke-width=\"1.5\"/>"
                 "<path d=\"M%d %.0f v-4 M%d %.0f h3\" stroke=\"#1a4fa0\"/>\n",
              x, y[i], x, y[i], x, y[i]);
      fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"tm\"%s>", e->side ? x + 12 : x - 12, y[i] + 4,
              e->side ? "" : " text-anchor=\"end\"");
      synack_svg_text(f, e->text);
      fputs("</text>\n", f);
      break;
    }
    case SYNACK_LEV_NOTE:
      fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"note\" text-anchor=\"middle\">", (XL + XR) / 2, y[i] + 4);
      synack_svg_text(f, e->text);
      fputs("</text>\n", f);
      break;
    case SYNACK_LEV_EXPLAIN:
      fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"18\" rx=\"3\" fill=\"#fff3cd\" fill-opacity=\"0.85\"/>",
              (XL + XR) / 2 - 620, y[i] - 10, 1240);
      fprintf(f, "<text x=\"%d\" y=\"%.0f\" class=\"exp\" text-anchor=\"middle\">", (XL + XR) / 2, y[i] + 4);
      synack_svg_text(f, e->text);
      fputs("</text>\n", f);
      break;
    }
    fputs("</g>\n", f);
  }
  fputs("</svg>\n", f);
  free(y);
  free(gap);
  return ferror(f) ? -1 : 0;
}
