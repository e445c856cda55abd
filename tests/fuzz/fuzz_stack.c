/* Whole-stack fuzz target: arbitrary bytes become a sequence of IP packets (a 2-byte length
 * before each) fed to a stack that listens on port 8080, with time advancing between them and
 * output drained. Any crash, sanitizer report or leak fails. */
#include <stddef.h>
#include <stdint.h>

#include <synack/synack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_config_t cfg;
  synack_config_default(&cfg);
  cfg.link = SYNACK_LINK_IP;
  cfg.ip4 = synack_ip4(198, 18, 0, 1);
  synack_ip_parse("fd00::1", &cfg.ip6);
  cfg.max_sockets = 64;
  cfg.tcp_syn_backlog = 8;
  synack_config_deterministic(&cfg, 1); /* exact replay of a crashing input */
  synack_stack_t *st = synack_stack_new(&cfg, 0);
  if (!st) return 0;
  int l4 = synack_socket(st, SYNACK_AF_INET);
  synack_endpoint_t any4 = { .ip = { .family = SYNACK_AF_INET }, .port = 8080 };
  synack_bind(st, l4, &any4);
  synack_listen(st, l4, 4);
  int l6 = synack_socket(st, SYNACK_AF_INET6);
  synack_setsockopt(st, l6, SYNACK_IPV6_V6ONLY, 1); /* the IPv4 listener holds IPv4's 8080 */
  synack_endpoint_t any6 = { .ip = { .family = SYNACK_AF_INET6 }, .port = 8080 };
  synack_bind(st, l6, &any6);
  synack_listen(st, l6, 4);
  /* A dual-stack listener on 8081 (IPv4 arrives v4-mapped), and UDP sockets: a dual-stack one
   * on 53 and one connected to the peer (ICMP errors reach it). */
  int l46 = synack_socket(st, SYNACK_AF_INET6);
  synack_endpoint_t any6b = { .ip = { .family = SYNACK_AF_INET6 }, .port = 8081 };
  synack_bind(st, l46, &any6b);
  synack_listen(st, l46, 4);
  int u6 = synack_udp_socket(st, SYNACK_AF_INET6);
  synack_endpoint_t dns6 = { .ip = { .family = SYNACK_AF_INET6 }, .port = 53 };
  synack_udp_bind(st, u6, &dns6);
  int u4 = synack_udp_socket(st, SYNACK_AF_INET);
  synack_endpoint_t peer53 = { .ip = synack_ip4(198, 18, 0, 2), .port = 53 };
  synack_udp_connect(st, u4, &peer53);
  synack_udp_sendto(st, 0, u4, "q", 1, 0, NULL);
  /* An active open too, so SYN-SENT sees the fuzzer's segments. */
  int c = synack_socket(st, SYNACK_AF_INET);
  synack_endpoint_t peer = { .ip = synack_ip4(198, 18, 0, 2), .port = 80 };
  synack_connect(st, 0, c, &peer);
  synack_time_t now = 0;
  size_t off = 0;
  while (off + 2 <= size) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (len > size - off) len = size - off;
    synack_stack_input(st, now, data + off, len, 0);
    off += len;
    synack_frame_t f;
    while (synack_stack_poll_tx(st, now, &f)) {}
    synack_event_t ev;
    while (synack_stack_next_event(st, &ev)) {
      uint8_t dg[256] = { 0 };
      synack_endpoint_t from;
      if (synack_udp_recvfrom(st, now, u6, dg, sizeof dg, 0, &from) >= 0) synack_udp_sendto(st, now, u6, dg, 8, 0, &from);
      synack_udp_recvfrom(st, now, u4, dg, sizeof dg, 0, NULL);
      int s = synack_accept(st, ev.sock == l46 ? l46 : l4, NULL);
      if (s >= 0) {
        uint8_t buf[512];
        synack_recv(st, now, s, buf, sizeof buf, 0);
        synack_send(st, now, s, "hello", 5, 0);
      }
    }
    now += 50000; /* 50 ms between packets, so timers run too */
    synack_stack_handle_timers(st, now);
  }
  synack_stack_free(st);
  return 0;
}
