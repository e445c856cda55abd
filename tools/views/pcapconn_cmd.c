/* `synack ladder FILE.pcap [--svg OUT] [--conn N | --tuple A:P-B:P] [--list] [--absolute]`:
 * the ladder diagram of one TCP connection of any capture. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pcapconn.h"
#include "svg.h"

static void list_conns(FILE *f, const synack_pconn_t *c, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char a[80], b[80];
    synack_pconn_format(&c[i].a, a, sizeof a);
    synack_pconn_format(&c[i].b, b, sizeof b);
    fprintf(f, "  %3zu  %s -> %s  %zu segments, %llu + %llu bytes, %.3f s%s\n", i + 1, a, b, c[i].segments,
            (unsigned long long)c[i].bytes[0], (unsigned long long)c[i].bytes[1],
            (double)(c[i].last - c[i].first) / 1e6, c[i].syn_seen ? "" : " (no SYN seen)");
  }
}

int synack_cmd_ladder(int argc, char **argv) {
  const char *path = NULL, *svg = NULL, *tuple = NULL;
  long index = 0;
  bool list = false, absolute = false;
  int color = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (strcmp(argv[i], "--conn") == 0 && i + 1 < argc) index = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--tuple") == 0 && i + 1 < argc) tuple = argv[++i];
    else if (strcmp(argv[i], "--list") == 0) list = true;
    else if (strcmp(argv[i], "--absolute") == 0) absolute = true;
    else if (strcmp(argv[i], "--color") == 0) color = 1;
    else if (strcmp(argv[i], "--no-color") == 0) color = 0;
    else if (argv[i][0] != '-' && !path) path = argv[i];
    else {
      path = NULL;
      break;
    }
  }
  if (!path) {
    fprintf(stderr, "usage: synack ladder FILE.pcap [--svg OUT] [--conn N | --tuple A:P-B:P] [--list] [--absolute]\n");
    return 2;
  }
  char err[256];
  synack_pconn_t *c;
  long n = synack_pconn_list(SYNACK_PCONN_FILE(path), &c, err, sizeof err);
  if (n < 0) {
    fprintf(stderr, "ladder: %s\n", err);
    return 1;
  }
  if (list) {
    printf("%ld TCP connection%s in %s:\n", n, n == 1 ? "" : "s", path);
    list_conns(stdout, c, (size_t)n);
    free(c);
    return 0;
  }
  long k = synack_pconn_pick(c, (size_t)n, index, tuple, err, sizeof err);
  if (k < 0) {
    fprintf(stderr, "ladder: %s\n", err);
    if (n > 0) list_conns(stderr, c, (size_t)n);
    free(c);
    return 1;
  }
  if (n > 1 && index == 0 && !tuple) {
    fprintf(stderr, "ladder: %ld connections in the capture; showing 1 (choose with --conn N or --tuple):\n", n);
    list_conns(stderr, c, (size_t)n);
  }
  synack_ladder_t l;
  synack_pconn_ladder(SYNACK_PCONN_FILE(path), &c[k], &l);
  l.absolute = absolute;
  printf("%s %s <-> %s %s, from %s (times relative to the first segment; states inferred from the wire)\n\n",
         l.left_name, l.left_addr, l.right_name, l.right_addr, path);
  synack_ladder_print(&l, stdout, color < 0 ? isatty(1) != 0 : color == 1);
  printf("\n%u segments, %u retransmitted\n", l.segments, l.retrans);
  int rc = 0;
  if (svg) {
    char title[300], sub[300];
    snprintf(title, sizeof title, "%s: %s <-> %s", path, l.left_addr, l.right_addr);
    snprintf(sub, sizeof sub, "%u segments, %u retransmitted; times relative to the first segment", l.segments,
             l.retrans);
    if (synack_svg_ladder(&l, svg, title, sub) != 0) {
      fprintf(stderr, "ladder: cannot write %s\n", svg);
      rc = 1;
    } else {
      printf("SVG written to %s\n", svg);
    }
  }
  synack_ladder_free(&l);
  free(c);
  return rc;
}
