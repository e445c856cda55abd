/* `synack scenario list | run NAME|all [options]`: the catalogue of named scenarios. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "scenario.h"
#include "svg.h"
#include "web_api.h"

const synack_scn_group_t synack_scn_groups[] = {
    {synack_scn_open_defs, &synack_scn_open_count, "opening"},
    {synack_scn_close_defs, &synack_scn_close_count, "closing"},
    {synack_scn_guard_defs, &synack_scn_guard_count, "why TCP does what it does: TIME-WAIT, ISNs, attacks, limits"},
    {synack_scn_data_defs, &synack_scn_data_count, "keepalive and loss recovery"},
};
#define NGROUPS (sizeof synack_scn_groups / sizeof synack_scn_groups[0])
const size_t synack_scn_ngroups = NGROUPS;
#define groups synack_scn_groups

const synack_scn_def_t *synack_scn_find(const char *name) {
  for (size_t g = 0; g < NGROUPS; g++)
    for (size_t i = 0; i < *groups[g].count; i++)
      if (strcmp(groups[g].defs[i].name, name) == 0) return &groups[g].defs[i];
  return NULL;
}

synack_scn_t *synack_scn_play(const synack_scn_def_t *def, const synack_scn_opts_t *o, const char *pcap_path,
                              FILE *pcap_stream, bool record_checks) {
  synack_scn_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  synack_scn_opts_t none;
  if (!o) {
    synack_scn_opts_init(&none);
    o = &none;
  }
  s->opts = o;
  s->seed = o->seed;
  s->ipv6 = o->ipv6;
  s->profile = o->profile;
  s->quiet = true;
  s->record_checks = record_checks;
  synack_ladder_init(&s->lad, "client", "server");
  s->pcap_path = pcap_path;
  s->pcap_stream = pcap_stream;
  int rc = def->run(s);
  if (rc != 0) synack_scn_expect(s, false, "the scenario could not be set up (%d)", rc);
  /* A fault changes the story: let its consequences play out past the script's end (the
   * retransmission of a segment lost just before the script stopped, for one). */
  if (rc == 0 && o->nfault && s->sim) {
    synack_scn_run_until(s, synack_sim_now(s->sim) + SYNACK_SEC(SCN_AFTER_FAULT_S));
    synack_ladder_explain(&s->lad, synack_sim_now(s->sim), "(the story ran %d s longer than its script, to show what your choices caused)", SCN_AFTER_FAULT_S);
  }
  for (int i = 0; i < 2; i++) synack_ip_format(&s->ip[i], i ? s->lad.right_addr : s->lad.left_addr, sizeof s->lad.left_addr);
  s->end = s->sim ? synack_sim_now(s->sim) : 0;
  synack_ladder_finish(&s->lad);
  /* The network stops here: what the pcap holds is complete; the choices are not kept. */
  if (s->sim) synack_sim_free(s->sim);
  s->sim = NULL;
  if (s->pcap) synack_pcap_close(s->pcap);
  s->pcap = NULL;
  s->opts = o == &none ? NULL : o;
  return s;
}

void synack_scn_free(synack_scn_t *s) {
  if (!s) return;
  synack_scn_stop(s);
  synack_ladder_free(&s->lad);
  free(s->checks);
  free(s);
}

void synack_scn_subtitle(const synack_scn_t *s, char *buf, size_t cap) {
  snprintf(buf, cap, "client %s, server %s, %.0f ms each way; %u segments, %u lost, %u retransmitted", s->lad.left_addr,
           s->lad.right_addr, (double)s->delay_us / 1000.0, s->lad.segments, s->lad.lost, s->lad.retrans);
}

int synack_scn_run_one(const synack_scn_def_t *def, const synack_scn_opts_t *o, bool quiet, bool color,
                       const synack_scn_files_t *files, FILE *out) {
  const char *svg_path = files->svg;
  synack_scn_t *s = synack_scn_play(def, o, files->pcap, NULL, files->json != NULL);
  if (!s) return 1;
  synack_time_t end = s->end;
  if (!quiet) {
    fprintf(out, "%sscenario %s%s: %s\n", color ? "\033[1m" : "", def->name, color ? "\033[0m" : "", def->summary);
    fprintf(out, "client %s <-> server %s, %.0f ms each way (simulated; time is virtual)\n\n", s->lad.left_addr,
            s->lad.right_addr, (double)s->delay_us / 1000.0);
    synack_ladder_print(&s->lad, out, color);
    fprintf(out, "\n");
  }
  char sub[200];
  synack_scn_subtitle(s, sub, sizeof sub);
  if (svg_path) {
    char title[160];
    snprintf(title, sizeof title, "%s: %s", def->name, def->summary);
    if (synack_svg_ladder(&s->lad, svg_path, title, sub) != 0) synack_scn_expect(s, false, "cannot write %s", svg_path);
  }
  if (files->json) {
    FILE *jf = fopen(files->json, "w");
    if (jf) synack_web_story_json(jf, def, s);
    if (!jf || fclose(jf) != 0) {
      synack_scn_expect(s, false, "cannot write %s", files->json);
      s->nfail = s->nfail ? s->nfail : 1;
    }
  }
  if (s->nfail == 0) {
    fprintf(out, "%-28s ok    %u segments, %u lost, %u retransmitted, virtual time %.3f s\n", def->name,
            s->lad.segments, s->lad.lost, s->lad.retrans, (double)end / 1e6);
  } else {
    fprintf(out, "%-28s FAILED (the story did not happen):\n", def->name);
    for (int i = 0; i < s->nfail && i < SCN_MAX_FAILS; i++) fprintf(out, "    - %s\n", s->fail[i]);
  }
  int nfail = s->nfail;
  synack_scn_free(s);
  return nfail ? 1 : 0;
}

static void list(FILE *f) {
  for (size_t g = 0; g < NGROUPS; g++) {
    fprintf(f, "%s:\n", groups[g].group);
    for (size_t i = 0; i < *groups[g].count; i++)
      fprintf(f, "  %-26s %s\n", groups[g].defs[i].name, groups[g].defs[i].summary);
  }
}

static int usage(void) {
  fprintf(stderr,
          "usage: synack scenario list\n"
          "       synack scenario run NAME|all [--seed N] [--ipv6] [--profile linux|freebsd|rfc]\n"
          "                            [--svg FILE] [--pcap FILE] [--json FILE] [--out-dir DIR] [--quiet] [--color|--no-color]\n"
          "  --json: the story as the explorer in the browser gets it; with `all --out-dir D`, --json yes\n"
          "  writes D/NAME.json for each\n"
          "  choices on top of the story (the story's own checks may then fail, which is the point):\n"
          "    --lose K[,K..] --delay K[,K..] --dup K[,K..]   segment K of the ladder (1 = the first arrow)\n"
          "    --delayms MS   how long a delayed segment is held up (300)\n"
          "    --sack|--ts|--rfc5961|--cookies|--timewait|--twreuse on|off   --isn random|clock\n"
          "    --rtt MS   --loss PERCENT\n");
  return 2;
}

int synack_cmd_scenario(int argc, char **argv) {
  if (argc < 2) return usage();
  if (strcmp(argv[1], "list") == 0) {
    list(stdout);
    return 0;
  }
  if (strcmp(argv[1], "run") != 0 || argc < 3) return usage();
  const char *name = argv[2], *svg = NULL, *pcap = NULL, *dir = NULL, *json = NULL;
  synack_scn_opts_t o;
  synack_scn_opts_init(&o);
  bool quiet = false;
  int color = -1;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--ipv6") == 0) o.ipv6 = true;
    else if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (strcmp(argv[i], "--pcap") == 0 && i + 1 < argc) pcap = argv[++i];
    else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json = argv[++i];
    else if (strcmp(argv[i], "--out-dir") == 0 && i + 1 < argc) dir = argv[++i];
    else if (strcmp(argv[i], "--quiet") == 0) quiet = true;
    else if (strcmp(argv[i], "--color") == 0) color = 1;
    else if (strcmp(argv[i], "--no-color") == 0) color = 0;
    else if (strncmp(argv[i], "--", 2) == 0 && i + 1 < argc) {
      if (synack_scn_opts_set(&o, argv[i] + 2, argv[i + 1]) != 0) {
        if (strcmp(argv[i], "--profile") == 0) {
          fprintf(stderr, "scenario: unknown profile '%s' (linux, freebsd, rfc)\n", argv[i + 1]);
          return 2;
        }
        return usage();
      }
      i++;
    } else return usage();
  }
  bool col = color < 0 ? isatty(1) != 0 : color == 1;
  if (dir && mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "scenario: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  if (strcmp(name, "all") == 0) {
    int failed = 0, total = 0;
    for (size_t g = 0; g < NGROUPS; g++)
      for (size_t i = 0; i < *groups[g].count; i++) {
        const synack_scn_def_t *d = &groups[g].defs[i];
        char sp[512], pp[512], jp[512];
        synack_scn_files_t fl = {NULL, NULL, NULL};
        if (dir) {
          snprintf(sp, sizeof sp, "%s/%s.svg", dir, d->name);
          snprintf(pp, sizeof pp, "%s/%s.pcap", dir, d->name);
          snprintf(jp, sizeof jp, "%s/%s.json", dir, d->name);
          fl = (synack_scn_files_t){sp, pp, json ? jp : NULL};
        }
        failed += synack_scn_run_one(d, &o, quiet, col, &fl, stdout);
        total++;
      }
    printf("\n%d of %d scenarios told their story%s\n", total - failed, total, failed ? "; some FAILED" : "");
    return failed ? 1 : 0;
  }
  const synack_scn_def_t *d = synack_scn_find(name);
  if (!d) {
    fprintf(stderr, "scenario: no scenario named '%s'; `synack scenario list` shows them\n", name);
    return 2;
  }
  char sp[512], pp[512];
  if (dir && !svg) {
    snprintf(sp, sizeof sp, "%s/%s.svg", dir, d->name);
    svg = sp;
  }
  if (dir && !pcap) {
    snprintf(pp, sizeof pp, "%s/%s.pcap", dir, d->name);
    pcap = pp;
  }
  return synack_scn_run_one(d, &o, quiet, col, &(synack_scn_files_t){svg, pcap, json}, stdout);
}
