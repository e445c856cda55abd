/* pcap capture files (the classic libpcap format, microsecond timestamps; pcapng read too): a writer that can
 * wrap any link (simulated or TAP) and a reader for tools. Standard format: tcpdump, tshark
 * and Wireshark read the files. Lives in src/drivers/pcap (it does file I/O; the core does not). */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stdio.h>

#include "synack/sim.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_PCAP_LINKTYPE_ETHERNET 1
#define SYNACK_PCAP_LINKTYPE_RAW 101 /* bare IPv4/IPv6 */

typedef struct synack_pcap synack_pcap_t;

/* Creates (truncates) path and writes the file header. NULL on error. */
SYNACK_API synack_pcap_t *synack_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen);
/* Same, on an already open stream (not closed by synack_pcap_close). */
SYNACK_API synack_pcap_t *synack_pcap_open_stream(FILE *f, uint32_t linktype, uint32_t snaplen);
/* Appends one record with timestamp ts_us (virtual time on the simulator). */
SYNACK_API int synack_pcap_write(synack_pcap_t *p, synack_time_t ts_us, const uint8_t *frame, size_t len);
SYNACK_API int synack_pcap_flush(synack_pcap_t *p);
SYNACK_API void synack_pcap_close(synack_pcap_t *p);

/* Captures a simulated link: every frame as the sending node put it on the link (what a
 * tcpdump on the sender's interface sees, so a dropped frame and its retransmission both
 * appear), or, with at_delivery, as the receiving end got it. dir -1 = both directions.
 * The writer must stay open while the simulation runs: close it after the last step (or after
 * synack_sim_free), since the simulator cannot unregister the observer. */
SYNACK_API int synack_pcap_attach_sim(synack_pcap_t *p, synack_sim_t *sim, int link, int dir, bool at_delivery);

typedef struct synack_pcap_reader synack_pcap_reader_t;
typedef struct {
  synack_time_t ts_us;
  const uint8_t *data; /* valid until the next read */
  size_t caplen, origlen;
} synack_pcap_record_t;
/* Opens a capture: classic pcap (either byte order, micro- or nanosecond magic) or pcapng (the
 * first interface's link type; timestamps converted to microseconds). NULL on error. */
SYNACK_API synack_pcap_reader_t *synack_pcap_reader_open(const char *path);
/* Same, on an open stream (fmemopen'ed bytes...); the reader owns it and closes it, also when
 * the open fails. */
SYNACK_API synack_pcap_reader_t *synack_pcap_reader_open_stream(FILE *f);
SYNACK_API uint32_t synack_pcap_reader_linktype(const synack_pcap_reader_t *r);
/* 1 = a record, 0 = end of file, negative = malformed file. */
SYNACK_API int synack_pcap_read(synack_pcap_reader_t *r, synack_pcap_record_t *rec);
SYNACK_API void synack_pcap_reader_close(synack_pcap_reader_t *r);

#ifdef __cplusplus
}
#endif
#endif
