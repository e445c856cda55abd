/* The explorer's C side as JSON and SVG (see web_api.h). */
#include "web_api.h"

#include <stdlib.h>
#include <string.h>

#include "pcapconn.h"
#include "svg.h"
#include "tsg.h"

void synack_web_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c == '\n') fputs("\\n", f);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

void synack_web_catalogue(FILE *f) {
  fputc('[', f);
  for (size_t g = 0; g < synack_scn_ngroups; g++) {
    fprintf(f, "%s{\"group\":", g ? "," : "");
    synack_web_json_str(f, synack_scn_groups[g].group);
    fputs(",\"stories\":[", f);
    for (size_t i = 0; i < *synack_scn_groups[g].count; i++) {
      const synack_scn_def_t *d = &synack_scn_groups[g].defs[i];
      fprintf(f, "%s{\"name\":", i ? "," : "");
      synack_web_json_str(f, d->name);
      fputs(",\"summary\":", f);
      synack_web_json_str(f, d->summary);
      fputc('}', f);
    }
    fputs("]}", f);
  }
  fputc(']', f);
}

int synack_web_parse_choices(char *q, synack_scn_opts_t *o) {
  int bad = 0;
  for (char *p = q; p && *p;) {
    char *next = strchr(p, '&');
    if (next) *next++ = 0;
    char *eq = strchr(p, '=');
    if (eq) {
      *eq = 0;
      /* Keys the page keeps for itself (the story's name, the view) are not choices. */
      if (strcmp(p, "s") != 0 && strcmp(p, "abs") != 0 && synack_scn_opts_set(o, p, eq + 1) != 0) bad++;
    }
    p = next;
  }
  return bad;
}

static const char *kind_name(synack_lev_kind_t k) {
  switch (k) {
  case SYNACK_LEV_SEG: return "seg";
  case SYNACK_LEV_STATE: return "state";
  case SYNACK_LEV_TIMER: return "timer";
  case SYNACK_LEV_NOTE: return "note";
  case SYNACK_LEV_EXPLAIN: return "explain";
  }
  return "?";
}

static const char *sname(int s) { return s < 0 ? "?" : synack_tcp_state_name((synack_tcp_state_t)s); }

static void ev_json(FILE *f, synack_ladder_t *l, size_t i) {
  const synack_lev_t *e = &l->ev[i];
  fprintf(f, "{\"i\":%zu,\"k\":\"%s\",\"t\":%llu,\"side\":%d,\"st\":[\"%s\",\"%s\"]", i, kind_name(e->kind),
          (unsigned long long)e->t, e->side, sname(e->st[0]), sname(e->st[1]));
  if (e->kind == SYNACK_LEV_SEG) {
    char flags[12], rel[200], abs[200];
    synack_tcp_flags_str(e->flags, flags, sizeof flags);
    bool was = l->absolute;
    l->absolute = false;
    synack_ladder_label(l, e, rel, sizeof rel);
    l->absolute = true;
    synack_ladder_label(l, e, abs, sizeof abs);
    l->absolute = was;
    fprintf(f, ",\"seg\":%u,\"ta\":%lld,\"flags\":\"%s\",\"fl\":%u,\"seq\":%u,\"ack\":%u,\"aseq\":%u,\"aack\":%u,"
               "\"len\":%u,\"win\":%u,\"ws\":%d,\"conn\":%d",
            e->segno, e->t_arrive == SYNACK_TIME_NEVER ? -1LL : (long long)e->t_arrive, flags, e->flags, e->rseq,
            e->rack, e->seq, e->ack, e->len, e->win, e->wscale, e->conn);
    fputs(",\"opts\":", f);
    synack_web_json_str(f, e->opts);
    fputs(",\"sack\":[", f);
    for (int k = 0; k < e->nsack; k++) fprintf(f, "%s[%u,%u]", k ? "," : "", e->sack[k][0], e->sack[k][1]);
    fprintf(f, "],\"lost\":%s,\"rtx\":%s,\"timer\":%s,\"inj\":%s,\"probe\":%s,\"dupack\":%s,\"label\":",
            e->lost ? "true" : "false", e->retrans ? "true" : "false", e->by_timer ? "true" : "false",
            e->injected ? "true" : "false", e->probe ? "true" : "false", e->dupack ? "true" : "false");
    synack_web_json_str(f, rel);
    fputs(",\"alabel\":", f);
    synack_web_json_str(f, abs);
  } else if (e->kind == SYNACK_LEV_STATE) {
    fprintf(f, ",\"from\":\"%s\",\"to\":\"%s\"", sname(e->old_state), sname(e->new_state));
  }
  if (e->kind != SYNACK_LEV_SEG) {
    fputs(",\"text\":", f);
    synack_web_json_str(f, e->text);
  }
  fputc('}', f);
}

void synack_web_ladder_fields(FILE *f, const synack_ladder_t *l) {
  synack_ladder_t *m = (synack_ladder_t *)l; /* labels toggle `absolute` and restore it */
  fputs("\"left\":", f);
  synack_web_json_str(f, l->left_addr);
  fputs(",\"right\":", f);
  synack_web_json_str(f, l->right_addr);
  fprintf(f, ",\"inferred\":%s,\"segments\":%u,\"lost\":%u,\"retrans\":%u,\"data_dir\":%d",
          l->inferred_states ? "true" : "false", l->segments, l->lost, l->retrans, synack_tsg_ladder_dir(l));
  uint64_t bytes = 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->ev[i].kind == SYNACK_LEV_SEG) bytes += l->ev[i].len;
  fprintf(f, ",\"bytes\":%llu,\"events\":[", (unsigned long long)bytes);
  for (size_t i = 0; i < l->n; i++) {
    if (i) fputc(',', f);
    ev_json(f, m, i);
  }
  fputc(']', f);
}

static const char *onoff(bool b) { return b ? "true" : "false"; }

void synack_web_story_json(FILE *f, const synack_scn_def_t *def, const synack_scn_t *s) {
  const synack_config_t *c = s->cfg;
  fputs("{\"name\":", f);
  synack_web_json_str(f, def->name);
  fputs(",\"summary\":", f);
  synack_web_json_str(f, def->summary);
  fprintf(f, ",\"ok\":%s,\"end\":%llu,\"delay_us\":%llu,\"checks\":[", onoff(s->nfail == 0),
          (unsigned long long)s->end, (unsigned long long)s->delay_us);
  for (size_t i = 0; i < s->nchecks; i++) {
    fprintf(f, "%s{\"ok\":%s,\"text\":", i ? "," : "", onoff(s->checks[i].ok));
    synack_web_json_str(f, s->checks[i].text);
    fputc('}', f);
  }
  /* The configuration in force (after the story's and the user's choices): what the switches show. */
  fprintf(f, "],\"config\":{\"sack\":%s,\"ts\":%s,\"rfc5961\":%s,\"cookies\":%s,\"timewait\":%s,\"twreuse\":%s,"
             "\"isn\":\"%s\",\"ipv6\":%s,\"rtt\":%llu,\"seed\":%llu,\"profile\":\"%s\"},",
          onoff(c[0].tcp_sack && c[1].tcp_sack), onoff(c[0].tcp_timestamps && c[1].tcp_timestamps),
          onoff(c[1].tcp_rfc5961_rst), onoff(c[1].tcp_syncookies), onoff(c[0].tcp_timewait && c[1].tcp_timewait),
          onoff(c[0].tcp_tw_reuse), c[0].tcp_isn_fixed || c[1].tcp_isn_fixed ? "clock" : "random", onoff(s->ipv6),
          (unsigned long long)(s->delay_us * 2 / 1000), (unsigned long long)s->seed, s->profile ? s->profile : "default");
  synack_web_ladder_fields(f, &s->lad);
  fputc('}', f);
}

int synack_web_ladder_svg(FILE *f, const synack_ladder_t *l, const char *title, const char *subtitle) {
  return synack_svg_ladder_write(f, l, title, subtitle);
}

int synack_web_tsg_svg(FILE *f, const synack_ladder_t *l, const char *title) {
  synack_tsg_t *g = synack_tsg_from_ladder(l, synack_tsg_ladder_dir(l));
  if (!g) return -1;
  synack_time_t t0 = l->n ? l->ev[0].t : 0, t1 = t0;
  for (size_t i = 0; i < l->n; i++) {
    const synack_lev_t *e = &l->ev[i];
    if (e->kind != SYNACK_LEV_SEG) continue;
    if (e->t < t0) t0 = e->t;
    if (e->t > t1) t1 = e->t;
  }
  int rc = synack_tsg_write(f, title, g, t0, t1);
  synack_tsg_free(g);
  return rc;
}

long synack_web_capture_list(FILE *f, const uint8_t *data, size_t len) {
  synack_pconn_src_t src = {.path = "capture", .data = data, .len = len};
  synack_pconn_t *c;
  char err[256];
  long n = synack_pconn_list(&src, &c, err, sizeof err);
  if (n < 0) {
    fputs("{\"error\":", f);
    synack_web_json_str(f, err);
    fputc('}', f);
    return -1;
  }
  fputc('[', f);
  for (long i = 0; i < n; i++) {
    char a[80], b[80];
    synack_pconn_format(&c[i].a, a, sizeof a);
    synack_pconn_format(&c[i].b, b, sizeof b);
    fprintf(f, "%s{\"a\":", i ? "," : "");
    synack_web_json_str(f, a);
    fputs(",\"b\":", f);
    synack_web_json_str(f, b);
    fprintf(f, ",\"segments\":%zu,\"bytes\":[%llu,%llu],\"syn\":%s,\"dur\":%llu}", c[i].segments,
            (unsigned long long)c[i].bytes[0], (unsigned long long)c[i].bytes[1], onoff(c[i].syn_seen),
            (unsigned long long)(c[i].last - c[i].first));
  }
  fputc(']', f);
  free(c);
  return n;
}

synack_ladder_t *synack_web_capture_ladder(const uint8_t *data, size_t len, long k) {
  synack_pconn_src_t src = {.path = "capture", .data = data, .len = len};
  synack_pconn_t *c;
  char err[256];
  long n = synack_pconn_list(&src, &c, err, sizeof err);
  if (n < 0) return NULL;
  synack_ladder_t *l = NULL;
  if (k >= 0 && k < n && (l = malloc(sizeof *l)) != NULL) {
    if (synack_pconn_ladder(&src, &c[k], l) != 0) {
      synack_ladder_free(l);
      free(l);
      l = NULL;
    }
  }
  free(c);
  return l;
}
