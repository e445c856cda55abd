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
  { "drill", synack_cmd_drill, "run packet scripts (packetdrill dialect) against synack on virtual time" },
  { "demo", synack_cmd_demo, "the tour (what `make run` shows): four scenarios drawn as ladders, SVGs and pcaps" },
  { "scenario", synack_cmd_scenario, "named TCP stories on the simulator, drawn and checked: list | run NAME" },
  { "explore", synack_cmd_explore, "the explorer in the browser: serves the page `make web` builds on 127.0.0.1" },
  { "ladder", synack_cmd_ladder, "ladder diagram of a connection in a pcap file (terminal or --svg)" },
  { "tsg", synack_cmd_tsg, "time-sequence graph (Stevens/tcptrace style) of a connection in a pcap, as SVG" },
  { "serve", synack_cmd_serve, "serve echo, discard or HTTP files on a TAP (real network, root)" },
  { "get", synack_cmd_get, "download a URL over HTTP/1.1 through a TAP" },
  { "connect", synack_cmd_connect, "netcat over a TAP: stdin to the connection, the connection to stdout" },
  { "ping", synack_cmd_ping, "ICMP/ICMPv6 echo through a TAP" },
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
