/* TCP connections in a capture file: find them, pick one, walk its segments. Works on captures
 * of any stack (tcpdump of the Linux kernel included): link types Ethernet, raw IP, Linux
 * cooked (SLL and SLL2) and BSD loopback; TCP checksums are not verified, because a capture on
 * the sending host often shows them unfinished (checksum offload). */
#ifndef SYNACK_TOOLS_PCAPCONN_H
#define SYNACK_TOOLS_PCAPCONN_H

#include <synack/synack.h>

#include "ladder.h"

typedef struct {
  synack_endpoint_t a, b; /* a: the end that sent the first SYN (or the first segment) */
  bool syn_seen;          /* a's SYN is in the capture */
  size_t segments;
  uint64_t bytes[2];      /* payload bytes a→b, b→a */
  synack_time_t first, last;
} synack_pconn_t;

/* Where a capture comes from: a file, or bytes in memory (data != NULL; path names it in
 * messages). Classic pcap and pcapng. */
typedef struct {
  const char *path;
  const uint8_t *data;
  size_t len;
} synack_pconn_src_t;
#define SYNACK_PCONN_FILE(p) (&(synack_pconn_src_t){.path = (p)})

/* Lists the connections of a capture (a new SYN on a known 4-tuple starts a new one).
 * Returns the count (>= 0; *out allocated, free it) or -1 with a message in err. */
long synack_pconn_list(const synack_pconn_src_t *src, synack_pconn_t **out, char *err, size_t errcap);

/* Chooses among the connections: by 1-based index, or by "A:P-B:P" ("[v6]:P" for IPv6) in
 * either direction, or the first when both are absent. Returns the index or -1 (err set). */
long synack_pconn_pick(const synack_pconn_t *c, size_t n, long index, const char *tuple, char *err, size_t errcap);

/* Calls fn for every segment of connection c in capture order. dir 0: a→b, 1: b→a. */
typedef void (*synack_pconn_fn)(void *user, synack_time_t t, int dir, const synack_tcp_repr_t *tcp);
int synack_pconn_walk(const synack_pconn_src_t *src, const synack_pconn_t *c, synack_pconn_fn fn, void *user);

/* Fills a ladder with connection c: segments, and the states of both ends inferred from what
 * is on the wire (the capture point sees one instant per segment). Times are relative to the
 * connection's first segment. */
int synack_pconn_ladder(const synack_pconn_src_t *src, const synack_pconn_t *c, synack_ladder_t *l);

void synack_pconn_format(const synack_endpoint_t *e, char *buf, size_t cap);

#endif
