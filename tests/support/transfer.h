/* transfer: one bulk TCP transfer between two stacks over a simulated link, measured.
 *
 * A client stack (10.0.0.1 / fd00::1, "a") connects to a server stack (10.0.0.2 / fd00::2, "b")
 * over one simulator
 * link (Ethernet, static neighbour entries: ARP is not under test) whose a→b direction carries
 * the data and b→a the ACKs, each with its own impairments. The client writes `bytes` bytes of a
 * deterministic pseudo-random stream and closes; the server reads everything until EOF. Both
 * sides hash the bytes (SHA-256: the sender what synack_send accepted, the receiver what
 * synack_recv returned), and the receiver also compares each byte with the stream to locate the
 * first damaged offset.
 *
 * With `duration_us` set the client streams without end and the run stops that long after the
 * connection was established: goodput is then what the receiver read in that window (the
 * recovery-quality test's mode). Everything is virtual time: the same config gives the same
 * result, bit for bit.
 */
#ifndef SYNACK_TESTS_TRANSFER_H
#define SYNACK_TESTS_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "sha256.h"
#include "synack/synack.h"

typedef struct {
  uint64_t bytes;                 /* bytes to transfer (ignored with duration_us) */
  synack_time_t duration_us;      /* 0: transfer `bytes` and close; else stream this long */
  synack_sim_link_cfg_t ab, ba;   /* a→b carries data, b→a ACKs */
  uint64_t seed;                  /* simulator and stack seeds */
  bool ipv6;                      /* connect over IPv6 (fd00::1 → fd00::2) instead of IPv4 */
  synack_time_t limit_us;         /* give up at this virtual time; 0 = 3600 s */
  /* After the transfer, close the listener and run until both connection tables are empty
   * (closes finished, TIME-WAIT expired), then report what each stack still holds (the soak). */
  bool drain;
  /* Adjusts each stack's config after the harness defaults (which: 0 = client, 1 = server). */
  void (*hook)(synack_config_t *cfg, int which, void *user);
  void *user;
  /* Optional: capture both directions of the link to this pcap file (frames as sent, so a
   * frame the link dropped and its retransmission both appear). */
  const char *pcap_path;
} ts_xfer_cfg_t;

typedef struct {
  bool completed;                 /* every byte read and EOF seen (or the duration elapsed) */
  bool data_ok;                   /* every byte read matched the stream at its offset */
  bool sha_equal;                 /* SHA-256 of what was read == of what was sent (bytes mode) */
  int error;                      /* first error event of either side (negative) or 0 */
  const char *why;                /* NULL, or why the run did not complete */
  uint64_t first_bad;             /* first damaged offset when !data_ok */
  uint64_t sent, received;        /* bytes accepted by send, bytes returned by recv */
  synack_time_t t_established;    /* client's CONNECTED event */
  synack_time_t t_last_byte;      /* the last byte (bytes mode) / the end of the window read */
  synack_time_t t_end;            /* virtual time when the run stopped */
  double goodput_mbps;            /* received * 8 / (t_last_byte - t_established), Mbit/s */
  uint8_t sha_sent[TS_SHA256_LEN], sha_rcvd[TS_SHA256_LEN];
  /* The sender's view. */
  uint64_t retrans_segs;          /* counter TCP_RETRANS_SEGS */
  uint64_t fast_retrans, rto_expired;
  uint64_t data_segs_out;         /* counter TCP_SEGS_OUT of the client */
  synack_counters_t counters_a;   /* all of the client's (the sender's) counters at the end */
  uint32_t cwnd_segs, ssthresh_segs; /* the sender's congestion state when the run stopped */
  /* What the link did (a→b then b→a). */
  synack_sim_dir_stats_t link_ab, link_ba;
  uint64_t rx_bad_csum;           /* checksum drops at both ends (IP + TCP) */
  uint64_t steps;                 /* simulator steps (a cost indicator) */
  /* With cfg.drain (client then server): */
  bool drained;                   /* both tables emptied before the time limit */
  size_t conns_left[2];           /* entries left in each connection table */
  bool timers_left[2];            /* a timer still armed (next deadline not NEVER) */
  int64_t mem_left[2];            /* bytes held beyond the stack's memory after creation (the
                                     freed-ring cache excluded): a leak when not 0 */
} ts_xfer_result_t;

/* Runs one transfer. Returns 0 when it ran (see res->completed / sha_equal), negative when the
 * setup failed. */
int ts_xfer_run(const ts_xfer_cfg_t *cfg, ts_xfer_result_t *res);

/* Byte `off` of the transfer stream (an xorshift of the 8-byte word index, so that a byte
 * delivered at the wrong offset is detected). */
uint8_t ts_xfer_byte(uint64_t off);
/* Fills buf with the stream from offset off. */
void ts_xfer_fill(uint64_t off, uint8_t *buf, size_t n);

#endif
