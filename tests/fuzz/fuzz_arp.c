/* libFuzzer target: ARP parse/emit. Every field is kept, so emit must reproduce the input. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_arp_repr_t a;
  if (synack_arp_parse(data, size, &a) != SYNACK_DROP_NONE) return 0;
  uint8_t out[SYNACK_ARP_LEN];
  if (synack_arp_emit(&a, out, sizeof out) != SYNACK_ARP_LEN) abort();
  if (memcmp(out, data, SYNACK_ARP_LEN) != 0) abort();
  synack_arp_repr_t again;
  if (synack_arp_parse(out, sizeof out, &again) != SYNACK_DROP_NONE) abort();
  if (memcmp(&again, &a, sizeof a) != 0) abort();
  return 0;
}
