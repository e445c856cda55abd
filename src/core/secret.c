/* Purpose keys from the master secret (see secret.h). */
#include "secret.h"

#include "rng.h"
#include "wire_bytes.h"

void synack_secret_derive(const uint8_t master[SYNACK_MASTER_SECRET_LEN],
                          uint8_t keys[SYNACK_KEY__COUNT][SYNACK_KEY_LEN]) {
  for (unsigned k = 0; k < SYNACK_KEY__COUNT; k++) {
    /* A fixed label plus the purpose number: distinct inputs under a PRF give independent keys. */
    uint8_t label[12] = { 's', 'y', 'n', 'a', 'c', 'k', '-', 'k', 'e', 'y', 0, (uint8_t)k };
    uint64_t lo = synack_siphash24(master, label, sizeof label);
    uint64_t hi = synack_siphash24(master + 16, label, sizeof label);
    wr32(keys[k], (uint32_t)(lo >> 32));
    wr32(keys[k] + 4, (uint32_t)lo);
    wr32(keys[k] + 8, (uint32_t)(hi >> 32));
    wr32(keys[k] + 12, (uint32_t)hi);
  }
}
