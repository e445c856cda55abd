/* `synack connect HOST PORT`: netcat over a synack connection. stdin goes to the connection,
 * the connection to stdout; EOF on stdin half-closes (shutdown SHUT_WR, a FIN) and the tool
 * keeps reading until the peer closes too. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_net.h"
#include "cli.h"

static void usage(void) {
  fprintf(stderr, "usage: synack connect --tap NAME --addr A/P [--addr6 A/P] [options] HOST PORT\n"
                  "  --linger0   end with an abortive close (RST) instead of a FIN\n");
  app_opts_usage(stderr);
}

int synack_cmd_connect(int argc, char **argv) {
  app_net_t a;
  char eb[96];
  memset(&a, 0, sizeof a);
  app_opts_init(&a.o);
  const char *host = NULL, *port_s = NULL;
  bool linger0 = false;
  for (int i = 1; i < argc; i++) {
    int r = app_opts_parse(&a.o, argc, argv, &i);
    if (r < 0) return 2;
    if (r > 0) continue;
    if (strcmp(argv[i], "--linger0") == 0) linger0 = true;
    else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
      return 0;
    } else if (argv[i][0] != '-' && !host) host = argv[i];
    else if (argv[i][0] != '-' && !port_s) port_s = argv[i];
    else {
      fprintf(stderr, "synack connect: unknown argument '%s'\n", argv[i]);
      usage();
      return 2;
    }
  }
  synack_endpoint_t to;
  memset(&to, 0, sizeof to);
  char *end = NULL;
  long port = port_s ? strtol(port_s, &end, 10) : 0;
  if (!host || app_parse_ip(host, &to.ip) < 0 || !port_s || *end || port < 1 || port > 65535) {
    usage();
    return 2;
  }
  to.port = (uint16_t)port;
  int rc = 1;
  if (app_net_start(&a, "connect") < 0) goto done;
  synack_stack_t *st = a.st;
  /* A regular file or /dev/null cannot be watched by epoll: it is always readable anyway. */
  bool stdin_always = synack_tap_loop_watch_fd(a.loop, 0) < 0;
  synack_time_t t_start = app_now();
  int sock = synack_socket(st, to.ip.family);
  int r = sock < 0 ? sock : synack_connect(st, t_start, sock, &to);
  if (r != -SYNACK_EINPROGRESS) {
    fprintf(stderr, "synack connect: %s\n", app_err(r, eb, sizeof eb));
    goto done;
  }
  static uint8_t inbuf[65536], netbuf[65536];
  size_t in_pos = 0, in_len = 0;
  bool connected = false, stdin_eof = false, shut = false, peer_eof = false;
  uint64_t rx = 0, tx = 0;
  app_progress_t prog = { 0 };
  bool watching = !stdin_always;
  while (!app_stop && !(shut && peer_eof)) {
    /* Watch stdin only while its data can go somewhere: readiness is level-triggered. */
    bool want = !stdin_always && connected && !stdin_eof && in_len == 0;
    if (want != watching) {
      if (want) synack_tap_loop_watch_fd(a.loop, 0);
      else synack_tap_loop_unwatch_fd(a.loop, 0);
      watching = want;
    }
    int ready = app_net_run(&a, (stdin_always && connected && !stdin_eof && in_len == 0) ? 0 : SYNACK_MS(200));
    if (ready < 0) goto done;
    synack_time_t now = app_now();
    synack_event_t ev;
    while (synack_stack_next_event(st, &ev)) {
      if (ev.sock != sock) continue;
      if (ev.events & SYNACK_EV_ERROR) {
        fprintf(stderr, "synack connect: %s\n", app_err(ev.error, eb, sizeof eb));
        goto done;
      }
      if (ev.events & SYNACK_EV_CONNECTED) {
        connected = true;
        if (!a.o.quiet) fprintf(stderr, "synack connect: connected to %s port %ld\n", host, port);
      }
      for (;;) {
        int64_t n = synack_recv(st, now, sock, netbuf, sizeof netbuf, 0);
        if (n == -SYNACK_EAGAIN) break;
        if (n <= 0) {
          if (n < 0) {
            fprintf(stderr, "synack connect: %s\n", app_err((int)n, eb, sizeof eb));
            goto done;
          }
          peer_eof = true;
          break;
        }
        rx += (uint64_t)n;
        if (app_write_all(1, netbuf, (size_t)n) < 0) {
          synack_abort(st, now, sock);
          goto done;
        }
        app_progress(&prog, "connect (received)", rx, a.o.quiet);
      }
    }
    if (!connected) continue;
    /* stdin → connection */
    for (int rounds = 0; rounds < 64 && !shut; rounds++) {
      if (in_pos == in_len && !stdin_eof && (ready > 0 || stdin_always)) {
        ssize_t n = read(0, inbuf, sizeof inbuf);
        ready = 0;
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        if (n <= 0) stdin_eof = true;
        else {
          in_pos = 0;
          in_len = (size_t)n;
        }
      }
      if (in_pos < in_len) {
        int64_t n = synack_send(st, now, sock, inbuf + in_pos, in_len - in_pos, 0);
        if (n < 0 && n != -SYNACK_EAGAIN) {
          fprintf(stderr, "synack connect: send: %s\n", app_err((int)n, eb, sizeof eb));
          goto done;
        }
        if (n > 0) {
          in_pos += (size_t)n;
          tx += (uint64_t)n;
        }
        if (in_pos < in_len) break; /* send buffer full: wait for WRITABLE */
        in_pos = in_len = 0;
        if (!stdin_always) break;     /* wait for the next readiness of stdin */
        continue;
      }
      if (stdin_eof) {
        if (linger0) {
          synack_setsockopt(st, sock, SYNACK_SO_LINGER, 0);
          synack_close(st, now, sock);
          synack_tap_loop_flush(a.loop, st);
          rc = 0;
          goto done;
        }
        synack_shutdown(st, now, sock, SYNACK_SHUT_WR); /* half-close: our FIN, reading goes on */
        shut = true;
      }
      break;
    }
  }
  if (!a.o.quiet && (rx > (1u << 20) || tx > (1u << 20))) app_summary(&a, "connect", rx + tx, t_start, sock);
  synack_close(st, app_now(), sock);
  app_drain_closes(&a, SYNACK_SEC(3));
  rc = 0;
done:
  app_net_finish(&a);
  return rc;
}
