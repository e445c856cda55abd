/* `synack demo` (what `make run` runs): the tour. A few scenarios in sequence — a normal
 * connection, a lost SYN-ACK, a simultaneous close, a lost data segment recovered with SACK —
 * each printed as a ladder diagram and written as an SVG and a pcap into one folder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "scenario.h"

static const char *const tour[] = {"normal-client-close", "synack-lost", "simultaneous-close", "sack-one-loss"};

int synack_cmd_demo(int argc, char **argv) {
  const char *dir = "synack-tour";
  uint64_t seed = 1;
  bool ipv6 = false;
  int color = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--out-dir") == 0 && i + 1 < argc) dir = argv[++i];
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
    else if (strcmp(argv[i], "--ipv6") == 0) ipv6 = true;
    else if (strcmp(argv[i], "--no-color") == 0) color = 0;
    else if (strcmp(argv[i], "--color") == 0) color = 1;
    else {
      fprintf(stderr, "usage: synack demo [--out-dir DIR] [--seed N] [--ipv6] [--color|--no-color]\n");
      return 2;
    }
  }
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "demo: cannot create %s: %s\n", dir, strerror(errno));
    return 1;
  }
  bool col = color < 0 ? isatty(1) != 0 : color == 1;
  printf("synack tour: TCP stories run on the simulated network (virtual time, no privileges needed)\n"
         "`synack scenario list` shows the whole catalogue.\n\n");
  int failed = 0;
  size_t n = sizeof tour / sizeof tour[0];
  for (size_t i = 0; i < n; i++) {
    const synack_scn_def_t *d = synack_scn_find(tour[i]);
    if (!d) {
      failed++;
      continue;
    }
    char svg[512], pcap[512];
    snprintf(svg, sizeof svg, "%s/%zu-%s.svg", dir, i + 1, d->name);
    snprintf(pcap, sizeof pcap, "%s/%zu-%s.pcap", dir, i + 1, d->name);
    printf("%s[%zu/%zu]%s ", col ? "\033[1m" : "", i + 1, n, col ? "\033[0m" : "");
    synack_scn_opts_t o;
    synack_scn_opts_init(&o);
    o.seed = seed;
    o.ipv6 = ipv6;
    failed += synack_scn_run_one(d, &o, false, col, &(synack_scn_files_t){svg, pcap, NULL}, stdout);
    printf("\n");
  }
  printf("tour written to %s/ : one .svg (open it in a browser) and one .pcap (tcpdump -r, Wireshark) per story\n",
         dir);
  printf("try also: synack ladder %s/4-sack-one-loss.pcap    synack tsg %s/4-sack-one-loss.pcap --svg tsg.svg\n", dir, dir);
  return failed ? 1 : 0;
}
