/* libFuzzer target: the capture reader (classic pcap and pcapng), as the explorer in the browser
 * runs it on files people open: any bytes, read to the end without reading outside them. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  uint8_t *copy = malloc(size); /* fmemopen wants a writable buffer pointer */
  if (!copy) return 0;
  memcpy(copy, data, size);
  synack_pcap_reader_t *r = synack_pcap_reader_open_stream(fmemopen(copy, size, "rb"));
  if (r) {
    synack_pcap_record_t rec;
    uint64_t sum = 0;
    for (int i = 0; i < 100000 && synack_pcap_read(r, &rec) > 0; i++) {
      /* Every captured byte must be readable (ASan checks) and fit in the file. */
      if (rec.caplen > size) abort();
      for (size_t k = 0; k < rec.caplen; k++) sum += rec.data[k];
    }
    if (sum == 0xffffffffffffffffull) abort(); /* (uses the sum: the reads stay) */
    synack_pcap_reader_close(r);
  }
  free(copy);
  return 0;
}
