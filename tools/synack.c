/* The synack command-line tool: one binary, one subcommand per job. */
#include <stdio.h>
#include <string.h>

#include <synack/synack.h>

#include "cli.h"

typedef struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *help;
} command_t;

static const command_t commands[] = {
  { "demo", synack_cmd_demo, "two stacks on the simulated network: ARP, ping, a TCP connection with losses, pcap" },
};

static void usage(FILE *f) {
  fprintf(f, "synack %s — a userspace TCP/IP stack\n\nusage: synack COMMAND [options]\n\ncommands:\n", SYNACK_VERSION);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "synack: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
