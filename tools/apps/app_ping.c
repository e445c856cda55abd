/* `synack ping HOST`: ICMP / ICMPv6 echo from a synack stack on a TAP. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_net.h"
#include "cli.h"

static void usage(void) {
  fprintf(stderr, "usage: synack ping --tap NAME --addr A/P [--addr6 A/P] [options] HOST [-c COUNT] [-i MS] [-s SIZE] [-W S]\n");
  app_opts_usage(stderr);
}

int synack_cmd_ping(int argc, char **argv) {
  app_net_t a;
  memset(&a, 0, sizeof a);
  app_opts_init(&a.o);
  const char *host = NULL;
  long count = 4, size = 56;
  double interval_ms = 1000, wait_s = 2;
  for (int i = 1; i < argc; i++) {
    int r = app_opts_parse(&a.o, argc, argv, &i);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) count = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) interval_ms = atof(argv[++i]);
    else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) size = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "-W") == 0 && i + 1 < argc) wait_s = atof(argv[++i]);
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (argv[i][0] != '-' && !host) host = argv[i];
    else {
      fprintf(stderr, "synack ping: unknown argument '%s'\n", argv[i]);
      usage();
      return 2;
    }
  }
  synack_ip_t dst;
  if (!host || app_parse_ip(host, &dst) < 0 || count < 1 || count > 100000 || size < 8 || size > 1400 ||
      interval_ms < 1 || wait_s <= 0) {
    usage();
    return 2;
  }
  if (app_net_start(&a, "ping") < 0) {
    app_net_finish(&a);
    return 1;
  }
  uint16_t ident = (uint16_t)getpid();
  long sent = 0, received = 0;
  double min = 1e9, max = 0, sum = 0;
  synack_time_t next = app_now(), last_sent = 0;
  uint8_t seen[4096] = { 0 };
  while (!app_stop) {
    synack_time_t now = app_now();
    if (sent < count && now >= next) {
      sent++;
      int r = synack_stack_ping(a.st, now, &dst, ident, (uint16_t)sent, (size_t)size);
      if (r < 0) fprintf(stderr, "ping: %s\n", synack_strerror(r));
      last_sent = now;
      next = now + (synack_time_t)(interval_ms * 1000);
    }
    if (sent == count && (received == count || now > last_sent + (synack_time_t)(wait_s * 1e6))) break;
    synack_time_t wait = sent < count ? (next > now ? next - now : 0) : SYNACK_MS(50);
    if (app_net_run(&a, wait) < 0) break;
    synack_event_t ev;
    while (synack_stack_next_event(a.st, &ev)) {
      if (!(ev.events & SYNACK_EV_ICMP_ECHO_REPLY) || ev.echo.ident != ident) continue;
      uint16_t sq = ev.echo.seqno;
      if (sq < sizeof seen * 8 && (seen[sq / 8] & (1u << (sq % 8)))) {
        printf("%zu bytes from %s: icmp_seq=%u (DUP!)\n", ev.echo.len, host, sq);
        continue;
      }
      if (sq < sizeof seen * 8) seen[sq / 8] |= (uint8_t)(1u << (sq % 8));
      double rtt = (double)(app_now() - ev.echo.sent_at) / 1000.0;
      received++;
      sum += rtt;
      if (rtt < min) min = rtt;
      if (rtt > max) max = rtt;
      char from[64];
      synack_ip_format(&ev.echo.from, from, sizeof from);
      printf("%zu bytes from %s: icmp_seq=%u time=%.3f ms\n", ev.echo.len + 8, from, sq, rtt);
      fflush(stdout);
    }
  }
  printf("--- %s ping statistics ---\n%ld packets transmitted, %ld received, %.0f%% packet loss\n", host, sent,
         received, sent ? 100.0 * (double)(sent - received) / (double)sent : 0.0);
  if (received) printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", min, sum / (double)received, max);
  app_net_finish(&a);
  return received > 0 ? 0 : 1;
}
