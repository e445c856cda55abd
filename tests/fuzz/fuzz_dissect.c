/* libFuzzer target: whole-frame dissection. The first byte picks Ethernet or bare IP. Every
 * header of a clean frame must re-emit to the original bytes. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A repeated option keeps only its last value (as Linux does), so its layout cannot re-emit
 * the original bytes. */
static bool has_duplicate(const synack_tcp_opts_t *o) {
  for (size_t i = 0; i < o->layout_len; i++)
    for (size_t j = i + 1; j < o->layout_len; j++)
      if (o->layout[i] == o->layout[j] && o->layout[i] != SYNACK_TCPOPT_NOP && o->layout[i] != SYNACK_TCPOPT_EOL)
        return true;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  bool eth = data[0] & 1;
  data++;
  size--;
  synack_dissect_t d, d2;
  synack_drop_reason_t why = synack_dissect(data, size, eth, &d);
  if (synack_dissect(data, size, eth, &d2) != why) abort(); /* deterministic */
  if (why != SYNACK_DROP_NONE) return 0;
  uint8_t out[64];
  const uint8_t *ip = data;
  if (d.has_eth) {
    if (synack_eth_emit(&d.eth, out, sizeof out) != 14 || memcmp(out, data, 14) != 0) abort();
    ip = data + 14;
  }
  if (d.has_arp && (synack_arp_emit(&d.arp, out, sizeof out) != 28 || memcmp(out, ip, 28) != 0)) abort();
  /* The reserved IPv4 flag bit is not kept in the repr; such headers re-emit without it. */
  if (d.ip_version == 4 && d.ip4.header_len == 20 && !(ip[6] & 0x80) &&
      (synack_ip4_emit(&d.ip4, d.ip4.payload_len, out, sizeof out) != 20 || memcmp(out, ip, 10) != 0 ||
       memcmp(out + 12, ip + 12, 8) != 0 || !synack_csum_ok(synack_csum_add(0, out, 20))))
    abort(); /* the checksum by value: 0x0000 and 0xffff are one number in one's complement */
  if (d.ip_version == 6 && d.ip6.payload == ip + 40 &&
      (synack_ip6_emit(&d.ip6, d.ip6.payload_len, out, sizeof out) != 40 || memcmp(out, ip, 40) != 0))
    abort();
  if (d.has_tcp && !(d.tcp.opts.present & SYNACK_TCPOPT_HAS_UNKNOWN) && !has_duplicate(&d.tcp.opts)) {
    size_t h = synack_tcp_emit(&d.tcp, out, sizeof out);
    if (h != d.tcp.header_len) abort();
  }
  return 0;
}
