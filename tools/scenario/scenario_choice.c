/* Choices on top of a story (see synack_scn_opts_t in scenario.h): switches that override the
 * story's configuration, the network's RTT and random loss, and faults on numbered segments.
 * Faults are simulator rules like the stories' own scripted drops, with a predicate that asks
 * which drawn segment is being put on the wire (the observer numbers it just before the rules
 * run), so "lose segment 7" means the 7th arrow of the ladder, whatever it carries. */
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

void synack_scn_opts_init(synack_scn_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->sack = o->timestamps = o->rfc5961 = o->syncookies = o->timewait = o->tw_reuse = o->isn_clock = -1;
}

static int onoff(const char *v) {
  if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true")) return 1;
  if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "false")) return 0;
  if (!strcmp(v, "-1") || !strcmp(v, "story") || !v[0]) return -1;
  return -2;
}

static int add_faults(synack_scn_opts_t *o, const char *v, synack_scn_fault_kind_t kind) {
  while (*v) {
    char *end;
    unsigned long k = strtoul(v, &end, 10);
    if (end == v || k == 0 || k > 1000000 || o->nfault == SCN_MAX_FAULTS) return -1;
    o->fault[o->nfault].seg = (uint32_t)k;
    o->fault[o->nfault].kind = kind;
    o->nfault++;
    v = end;
    if (*v == ',') v++;
    else if (*v) return -1;
  }
  return 0;
}

int synack_scn_opts_set(synack_scn_opts_t *o, const char *key, const char *val) {
  int *sw = NULL;
  if (!strcmp(key, "sack")) sw = &o->sack;
  else if (!strcmp(key, "ts")) sw = &o->timestamps;
  else if (!strcmp(key, "rfc5961")) sw = &o->rfc5961;
  else if (!strcmp(key, "cookies")) sw = &o->syncookies;
  else if (!strcmp(key, "timewait")) sw = &o->timewait;
  else if (!strcmp(key, "twreuse")) sw = &o->tw_reuse;
  if (sw) {
    int v = onoff(val);
    if (v < -1) return -1;
    *sw = v;
    return 0;
  }
  char *end;
  if (!strcmp(key, "isn")) {
    o->isn_clock = !strcmp(val, "clock") ? 1 : !strcmp(val, "random") ? 0 : -1;
    return 0;
  }
  if (!strcmp(key, "seed")) {
    o->seed = strtoull(val, &end, 0);
    return *end ? -1 : 0;
  }
  if (!strcmp(key, "ipv6")) {
    int v = onoff(val);
    o->ipv6 = v == 1;
    return v < -1 ? -1 : 0;
  }
  if (!strcmp(key, "profile")) {
    if (!val[0] || !strcmp(val, "default")) {
      o->profile = NULL;
      return 0;
    }
    synack_config_t c;
    synack_config_default(&c);
    if (synack_config_preset(&c, val) != 0) return -1;
    o->profile = val;
    return 0;
  }
  if (!strcmp(key, "rtt") || !strcmp(key, "delayms")) {
    unsigned long v = strtoul(val, &end, 10);
    if (*end || v > 60000) return -1;
    *(!strcmp(key, "rtt") ? &o->rtt_ms : &o->delay_ms) = (uint32_t)v;
    return 0;
  }
  if (!strcmp(key, "loss")) {
    double v = strtod(val, &end);
    if (*end || v < 0 || v > 100) return -1;
    o->loss = v / 100.0;
    return 0;
  }
  if (!strcmp(key, "lose")) return add_faults(o, val, SCN_FAULT_LOSE);
  if (!strcmp(key, "delay")) return add_faults(o, val, SCN_FAULT_DELAY);
  if (!strcmp(key, "dup")) return add_faults(o, val, SCN_FAULT_DUP);
  return -1;
}

/* Switches: on both ends, after the story chose its configuration. */
void synack_scn_apply_config(synack_scn_t *s) {
  const synack_scn_opts_t *o = s->opts;
  if (!o) return;
  for (int i = 0; i < 2; i++) {
    synack_config_t *c = &s->cfg[i];
    if (o->sack >= 0) c->tcp_sack = o->sack;
    if (o->timestamps >= 0) c->tcp_timestamps = o->timestamps;
    if (o->rfc5961 >= 0) c->tcp_rfc5961_rst = c->tcp_rfc5961_syn = c->tcp_rfc5961_ack = o->rfc5961;
    if (o->syncookies >= 0) c->tcp_syncookies = o->syncookies;
    if (o->timewait >= 0) c->tcp_timewait = o->timewait;
    if (o->tw_reuse >= 0) c->tcp_tw_reuse = o->tw_reuse;
    if (o->isn_clock >= 0) c->tcp_isn_fixed = o->isn_clock;
  }
}

static bool fault_match(void *user, const uint8_t *f, size_t len) {
  (void)f;
  (void)len;
  struct synack_scn_fault_ctx *x = user;
  synack_scn_t *s = x->s;
  if (s->cur_seg != s->opts->fault[x->i].seg) return false;
  synack_time_t now = synack_sim_now(s->sim);
  uint32_t k = s->cur_seg;
  switch (s->opts->fault[x->i].kind) {
  case SCN_FAULT_LOSE:
    synack_ladder_explain(&s->lad, now, "you chose: segment %u is lost", k);
    break;
  case SCN_FAULT_DELAY:
    synack_ladder_explain(&s->lad, now, "you chose: segment %u is held up in the network for %u ms", k,
                          s->opts->delay_ms ? s->opts->delay_ms : 300u);
    break;
  case SCN_FAULT_DUP:
    synack_ladder_explain(&s->lad, now, "you chose: the network delivers segment %u twice", k);
    /* The observer filed the original already: a second entry catches the copy's arrival. */
    if (s->nfly > 0 && s->nfly < sizeof s->fly / sizeof s->fly[0]) {
      s->fly[s->nfly] = s->fly[s->nfly - 1];
      s->fly[s->nfly].copy = true;
      s->nfly++;
    }
    break;
  }
  return true;
}

/* The network: RTT, random loss and the faults, once the link exists. */
void synack_scn_apply_network(synack_scn_t *s) {
  const synack_scn_opts_t *o = s->opts;
  if (!o) return;
  if (o->loss > 0) {
    synack_sim_link_cfg_t lc = {.delay_us = s->delay_us, .loss = o->loss};
    for (int d = 0; d < 2; d++) synack_sim_link_config(s->sim, s->link, d, &lc);
  }
  for (size_t i = 0; i < o->nfault && i < SCN_MAX_FAULTS; i++) {
    s->fault_ctx[i].s = s;
    s->fault_ctx[i].i = i;
    synack_sim_action_t act = o->fault[i].kind == SCN_FAULT_LOSE    ? SYNACK_SIM_DROP
                              : o->fault[i].kind == SCN_FAULT_DELAY ? SYNACK_SIM_DELAY
                                                                    : SYNACK_SIM_DUPLICATE;
    synack_sim_rule_t r = {.payload = -1, .match = fault_match, .user = &s->fault_ctx[i], .nth = 1, .count = 0,
                           .action = act, .delay_us = SYNACK_MS(o->delay_ms ? o->delay_ms : 300u)};
    for (int d = 0; d < 2; d++) synack_sim_add_rule(s->sim, s->link, d, &r);
  }
}
