/* `synack demo`: two stacks on the simulated network. The client resolves the server with ARP,
 * pings it, then opens a TCP connection whose first SYN-ACK is lost, sends data of which one
 * segment is lost, closes, and waits out TIME-WAIT. Everything is drawn as a ladder diagram and
 * written to a pcap. No privileges needed: it is all in one process on virtual time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <synack/synack.h>

#include "cli.h"
#include "ladder.h"

typedef struct {
  synack_ladder_t ladder;
  synack_sim_t *sim;
  synack_stack_t *client, *server;
  int link;
  int lsock, csock, ssock;
  size_t to_send, sent, received;
  bool client_closed, server_closed;
  uint8_t buf[65536];
} demo_t;

static void on_trace(void *user, const synack_trace_event_t *ev) {
  demo_t *d = user;
  if (ev->kind == SYNACK_TRACE_STATE) {
    bool left = ev->stack_name && strcmp(ev->stack_name, "client") == 0;
    ladder_state(&d->ladder, ev->now, left, ev->old_state, ev->new_state, ev->reason);
  } else if (ev->kind == SYNACK_TRACE_TIMER && ev->reason && strcmp(ev->reason, "neighbour") != 0) {
    char text[128];
    snprintf(text, sizeof text, "%s: %s timer fired", ev->stack_name, ev->reason ? ev->reason : "?");
    ladder_note(&d->ladder, ev->now, text);
  }
}

static void on_frame(void *user, const synack_sim_obs_t *obs) {
  demo_t *d = user;
  if (obs->kind == SYNACK_SIM_OBS_SENT) return; /* drawn when its fate is known */
  ladder_frame(&d->ladder, obs->now, obs->frame, obs->len, true, obs->kind == SYNACK_SIM_OBS_DROPPED);
}

/* The applications on both ends: react to events. */
static void apps(demo_t *d) {
  synack_time_t now = synack_sim_now(d->sim);
  synack_event_t ev;
  while (synack_stack_next_event(d->client, &ev)) {
    if (ev.events & SYNACK_EV_ICMP_ECHO_REPLY) {
      char text[96];
      snprintf(text, sizeof text, "client: echo reply seq %u, rtt %.3f ms", ev.echo.seqno,
               (double)(now - ev.echo.sent_at) / 1000.0);
      ladder_note(&d->ladder, now, text);
    }
    if (ev.sock == d->csock && (ev.events & (SYNACK_EV_CONNECTED | SYNACK_EV_WRITABLE)) && !d->client_closed) {
      while (d->sent < d->to_send) {
        size_t n = d->to_send - d->sent;
        if (n > sizeof d->buf) n = sizeof d->buf;
        for (size_t i = 0; i < n; i++) d->buf[i] = (uint8_t)('a' + (d->sent + i) % 26);
        int64_t r = synack_send(d->client, now, d->csock, d->buf, n, 0);
        if (r <= 0) break;
        d->sent += (size_t)r;
      }
      if (d->sent == d->to_send) {
        ladder_note(&d->ladder, now, "client: all data queued, close()");
        synack_close(d->client, now, d->csock);
        d->client_closed = true;
      }
    }
    if (ev.events & SYNACK_EV_ERROR) {
      char text[96];
      snprintf(text, sizeof text, "client: error %s", synack_strerror(ev.error));
      ladder_note(&d->ladder, now, text);
    }
  }
  while (synack_stack_next_event(d->server, &ev)) {
    if (ev.sock == d->lsock && (ev.events & SYNACK_EV_READABLE)) {
      synack_endpoint_t peer;
      int s = synack_accept(d->server, d->lsock, &peer);
      if (s >= 0) {
        d->ssock = s;
        ladder_note(&d->ladder, now, "server: accept() returned the new connection");
      }
    }
    if (d->ssock >= 0 && (ev.sock == d->ssock || ev.sock == d->lsock) && !d->server_closed) {
      for (;;) {
        int64_t r = synack_recv(d->server, now, d->ssock, d->buf, sizeof d->buf, 0);
        if (r > 0) {
          d->received += (size_t)r;
          continue;
        }
        if (r == 0) {
          char text[96];
          snprintf(text, sizeof text, "server: read %zu bytes, then EOF; close()", d->received);
          ladder_note(&d->ladder, now, text);
          synack_close(d->server, now, d->ssock);
          synack_close(d->server, now, d->lsock); /* one connection is all the tour needs */
          d->server_closed = true;
        }
        break;
      }
    }
  }
}

static void at_ping(void *user, synack_sim_t *sim, synack_time_t now) {
  demo_t *d = user;
  (void)sim;
  synack_ip_t dst = synack_ip4(198, 18, 0, 2);
  ladder_note(&d->ladder, now, "client: ping 198.18.0.2");
  synack_stack_ping(d->client, now, &dst, 1, 1, 56);
}

static void at_connect(void *user, synack_sim_t *sim, synack_time_t now) {
  demo_t *d = user;
  (void)sim;
  synack_endpoint_t to = { .ip = synack_ip4(198, 18, 0, 2), .port = 8080 };
  d->csock = synack_socket(d->client, SYNACK_AF_INET);
  ladder_note(&d->ladder, now, "client: connect(198.18.0.2:8080)");
  int r = synack_connect(d->client, now, d->csock, &to);
  if (r != -SYNACK_EINPROGRESS) ladder_note(&d->ladder, now, synack_strerror(r));
}

int synack_cmd_demo(int argc, char **argv) {
  const char *pcap_path = "demo.pcap";
  uint64_t seed = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--pcap") == 0 && i + 1 < argc)
      pcap_path = argv[++i];
    else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
      seed = strtoull(argv[++i], NULL, 0);
    else {
      fprintf(stderr, "usage: synack demo [--pcap FILE] [--seed N]\n");
      return 2;
    }
  }
  demo_t *d = calloc(1, sizeof *d);
  if (!d) return 1;
  d->lsock = d->csock = d->ssock = -1;
  d->to_send = 8 * 1460;
  synack_ip_t cip = synack_ip4(198, 18, 0, 1);
  ladder_init(&d->ladder, stdout, "client", "server", &cip);
  d->ladder.color = isatty(1);

  synack_config_t cc, sc;
  synack_config_default(&cc);
  cc.name = "client";
  cc.mac.b[5] = 1;
  cc.ip4 = cip;
  cc.seed = seed;
  cc.trace = on_trace;
  cc.trace_user = d;
  sc = cc;
  sc.name = "server";
  sc.mac.b[5] = 2;
  sc.ip4 = synack_ip4(198, 18, 0, 2);
  sc.seed = seed + 1;
  d->client = synack_stack_new(&cc, 0);
  d->server = synack_stack_new(&sc, 0);
  d->sim = synack_sim_new(seed);
  if (!d->client || !d->server || !d->sim) {
    fprintf(stderr, "demo: out of memory\n");
    return 1;
  }
  int a = synack_sim_add_stack(d->sim, d->client);
  int b = synack_sim_add_stack(d->sim, d->server);
  synack_sim_link_cfg_t lc = { .delay_us = 10000 }; /* 10 ms each way: 20 ms round trip */
  d->link = synack_sim_link(d->sim, a, b, &lc, &lc);
  /* The faults of the tour: the server's first SYN-ACK and the client's third data segment. */
  synack_sim_rule_t lose_synack = { .tcp_only = true, .tcp_flags_mask = SYNACK_TCP_SYN | SYNACK_TCP_ACK,
                                    .tcp_flags_value = SYNACK_TCP_SYN | SYNACK_TCP_ACK, .payload = -1, .nth = 1,
                                    .count = 1, .action = SYNACK_SIM_DROP };
  synack_sim_add_rule(d->sim, d->link, 1, &lose_synack);
  synack_sim_rule_t lose_data = { .tcp_only = true, .payload = 1, .nth = 3, .count = 1, .action = SYNACK_SIM_DROP };
  synack_sim_add_rule(d->sim, d->link, 0, &lose_data);
  synack_pcap_t *pcap = synack_pcap_open(pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 65535);
  if (!pcap) {
    fprintf(stderr, "demo: cannot write %s\n", pcap_path);
    return 1;
  }
  synack_pcap_attach_sim(pcap, d->sim, d->link, -1, false);
  synack_sim_add_observer(d->sim, on_frame, d);

  printf("synack demo: client 198.18.0.1 <-> server 198.18.0.2, 10 ms each way (simulated)\n");
  printf("faults: the server's first SYN-ACK is lost; the client's third data segment is lost\n\n");
  ladder_header(&d->ladder);

  d->lsock = synack_socket(d->server, SYNACK_AF_INET);
  synack_endpoint_t any = { .ip = { .family = SYNACK_AF_INET }, .port = 8080 };
  synack_bind(d->server, d->lsock, &any);
  synack_listen(d->server, d->lsock, 16);
  synack_sim_at(d->sim, SYNACK_MS(1), at_ping, d);
  synack_sim_at(d->sim, SYNACK_MS(100), at_connect, d);
  while (synack_sim_step(d->sim)) {
    apps(d);
    if (synack_sim_now(d->sim) > SYNACK_SEC(200)) break;
  }
  synack_pcap_close(pcap);

  synack_conn_entry_t left[4];
  size_t nc = synack_conn_table(d->client, left, 4) + synack_conn_table(d->server, left, 4);
  printf("\nsummary: %u TCP segments, %u lost; server received %zu of %zu bytes; %zu connections left; "
         "virtual time %.3f s\n",
         d->ladder.segments, d->ladder.lost, d->received, d->to_send, nc, (double)synack_sim_now(d->sim) / 1e6);
  printf("capture written to %s (open it with tcpdump -r or Wireshark)\n", pcap_path);
  int ok = d->received == d->to_send && nc == 0;
  synack_sim_free(d->sim);
  synack_stack_free(d->client);
  synack_stack_free(d->server);
  free(d);
  return ok ? 0 : 1;
}
