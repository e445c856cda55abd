/* libFuzzer target: Ethernet header parse/emit consistency. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_eth_repr_t e;
  if (synack_eth_parse(data, size, &e) != SYNACK_DROP_NONE) return 0;
  if (e.payload != data + 14 || e.payload_len != size - 14) abort();
  uint8_t *out = malloc(size);
  if (!out) return 0;
  if (synack_eth_emit(&e, out, size) != 14 || memcmp(out, data, 14) != 0) abort();
  memcpy(out + 14, e.payload, e.payload_len);
  synack_eth_repr_t again;
  if (synack_eth_parse(out, size, &again) != SYNACK_DROP_NONE) abort();
  if (again.ethertype != e.ethertype || memcmp(again.dst.b, e.dst.b, 6) || memcmp(again.src.b, e.src.b, 6)) abort();
  if (synack_mac_is_broadcast(&e.dst) && !synack_mac_is_multicast(&e.dst)) abort();
  free(out);
  return 0;
}
