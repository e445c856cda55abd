/* Per-stack counters: every frame dropped has a reason, every reason has a counter.
 * The lists are X-macros so that the enum, the names and the descriptions never drift apart. */
#ifndef SYNACK_COUNTERS_H
#define SYNACK_COUNTERS_H

#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, "description") — why an incoming frame (or a frame on its way out) was dropped. */
#define SYNACK_DROP_REASONS(X) \
  X(NONE, "not dropped") \
  /* Ethernet */ \
  X(ETH_TRUNCATED, "ethernet: frame shorter than the 14-byte header") \
  X(ETH_NOT_FOR_US, "ethernet: destination MAC is neither ours nor broadcast/multicast") \
  X(ETH_UNKNOWN_TYPE, "ethernet: ethertype not handled") \
  /* ARP */ \
  X(ARP_TRUNCATED, "arp: shorter than 28 bytes") \
  X(ARP_UNSUPPORTED, "arp: hardware or protocol type/length not Ethernet/IPv4") \
  X(ARP_BAD_OP, "arp: operation neither request nor reply") \
  X(ARP_NOT_FOR_US, "arp: target address is not ours") \
  /* IPv4 */ \
  X(IP4_TRUNCATED, "ipv4: shorter than 20 bytes") \
  X(IP4_BAD_VERSION, "ipv4: version field is not 4") \
  X(IP4_BAD_IHL, "ipv4: header length below 20 or beyond the packet") \
  X(IP4_TOTLEN_GT_FRAME, "ipv4: total length larger than the frame") \
  X(IP4_TOTLEN_LT_IHL, "ipv4: total length smaller than the header") \
  X(IP4_BAD_CHECKSUM, "ipv4: header checksum mismatch") \
  X(IP4_TTL_ZERO, "ipv4: TTL zero") \
  X(IP4_BAD_SRC, "ipv4: source is broadcast, multicast or unspecified") \
  X(IP4_NOT_FOR_US, "ipv4: destination is not one of our addresses") \
  X(IP4_UNKNOWN_PROTO, "ipv4: protocol not handled") \
  X(IP4_BAD_OPTIONS, "ipv4: malformed options") \
  /* IPv6 */ \
  X(IP6_TRUNCATED, "ipv6: shorter than 40 bytes") \
  X(IP6_BAD_VERSION, "ipv6: version field is not 6") \
  X(IP6_PAYLOAD_GT_FRAME, "ipv6: payload length larger than the frame") \
  X(IP6_HOPLIMIT_ZERO, "ipv6: hop limit zero") \
  X(IP6_BAD_EXTHDR, "ipv6: extension header truncated or malformed") \
  X(IP6_TOO_MANY_EXTHDRS, "ipv6: extension header chain too long") \
  X(IP6_HBH_NOT_FIRST, "ipv6: hop-by-hop header not directly after the fixed header") \
  X(IP6_BAD_SRC, "ipv6: source is multicast") \
  X(IP6_NOT_FOR_US, "ipv6: destination is not one of our addresses") \
  X(IP6_UNKNOWN_PROTO, "ipv6: next header not handled") \
  X(IP6_ROUTING_UNSUPPORTED, "ipv6: routing header with segments left") \
  /* Fragments (both families) */ \
  X(FRAG_BAD_OFFSET, "fragment: offset+length beyond 65535 or misaligned") \
  X(FRAG_OVERLAP, "fragment: overlaps data already received (RFC 5722)") \
  X(FRAG_NO_MEMORY, "fragment: reassembly memory bound reached") \
  X(FRAG_TIMEOUT, "fragment: reassembly timed out") \
  X(FRAG_TOO_MANY, "fragment: too many fragments for one datagram") \
  /* ICMP / ICMPv6 */ \
  X(ICMP_TRUNCATED, "icmp: shorter than its header") \
  X(ICMP_BAD_CHECKSUM, "icmp: checksum mismatch") \
  X(ICMP_UNKNOWN_TYPE, "icmp: type not handled") \
  X(ICMP_BAD_QUOTE, "icmp: quoted packet too short or inconsistent") \
  X(ICMP6_BAD_ND, "icmpv6: neighbour discovery message invalid (hop limit, code, length, target)") \
  X(ICMP_RATE_LIMITED, "icmp: answer suppressed by the rate limit") \
  /* UDP */ \
  X(UDP_TRUNCATED, "udp: shorter than 8 bytes") \
  X(UDP_BAD_LENGTH, "udp: length field inconsistent with the packet") \
  X(UDP_BAD_CHECKSUM, "udp: checksum mismatch") \
  X(UDP_NO_SOCKET, "udp: no socket on that port") \
  X(UDP_RCVBUF_FULL, "udp: the socket's receive queue is full (SO_RCVBUF)") \
  X(UDP_NO_MEMORY, "udp: no memory for the datagram") \
  /* TCP header */ \
  X(TCP_TRUNCATED, "tcp: shorter than 20 bytes") \
  X(TCP_BAD_DOFF, "tcp: data offset below 5 or beyond the segment") \
  X(TCP_OPT_LEN_0, "tcp: option length 0") \
  X(TCP_OPT_LEN_1, "tcp: option length 1") \
  X(TCP_OPT_PAST_HDR, "tcp: option runs past the header") \
  X(TCP_BAD_CHECKSUM, "tcp: checksum mismatch") \
  X(TCP_BAD_ADDR, "tcp: broadcast/multicast address or port 0") \
  X(TCP_BAD_FLAGS, "tcp: flag combination refused (e.g. SYN+RST, SYN+FIN when configured)") \
  /* TCP processing */ \
  X(TCP_NO_SOCKET, "tcp: no connection or listener (answered with RST where allowed)") \
  X(TCP_OUT_OF_WINDOW, "tcp: sequence number not acceptable") \
  X(TCP_ACK_UNACCEPTABLE, "tcp: ACK outside the acceptable range") \
  X(TCP_RST_INVALID, "tcp: RST ignored") \
  X(TCP_PAWS, "tcp: timestamp older than TS.Recent (PAWS)") \
  X(TCP_SYN_QUEUE_FULL, "tcp: SYN queue full and SYN cookies off") \
  X(TCP_ACCEPT_QUEUE_FULL, "tcp: accept queue full") \
  X(TCP_BAD_COOKIE, "tcp: ACK did not carry a valid SYN cookie") \
  X(TCP_OOO_NO_MEMORY, "tcp: out-of-order queue bound reached (tcp_ooo_max_bytes)") \
  X(TCP_OOO_RANGES_FULL, "tcp: out-of-order range table full (tcp_ooo_max_ranges)") \
  X(TCP_RCVBUF_FULL, "tcp: data beyond the receive buffer") \
  X(TCP_CHALLENGE_RATE, "tcp: challenge ACK suppressed by the rate limit") \
  X(TCP_DUP_SYN, "tcp: repeated SYN met a SYN-ACK just sent (not answered twice)") \
  X(TCP_NO_MEMORY, "tcp: connection table full") \
  X(TCP_MEM_LIMIT, "tcp: data dropped, socket-buffer memory at tcp_mem_high") \
  X(TCP_MD5_MISSING, "tcp: no MD5 signature option where a key is set (RFC 2385)") \
  X(TCP_MD5_BAD, "tcp: MD5 signature does not match (RFC 2385)") \
  X(TCP_MD5_UNEXPECTED, "tcp: MD5 signature option where no key is set") \
  X(TCP_AO_REQUIRED, "tcp: no TCP-AO option where a key applies (RFC 5925 §7.6)") \
  X(TCP_AO_BAD, "tcp: TCP-AO MAC does not match (RFC 5925 §7.6)") \
  X(TCP_AO_KEY_NOT_FOUND, "tcp: TCP-AO KeyID matches no key, or no key is set (RFC 5925 §7.6)") \
  X(TCP_AO_WITH_MD5, "tcp: TCP-AO and MD5 options in one segment (RFC 5925 §2.2)") \
  X(TCP_AO_ICMP_IGNORED, "tcp: ICMP hard error for a TCP-AO connection ignored (RFC 5925 §7.8)") \
  X(TCP_DEFER_ACCEPT, "tcp: a handshake's bare final ACK dropped: TCP_DEFER_ACCEPT waits for data") \
  /* Output */ \
  X(TX_RING_FULL, "out: transmit ring full") \
  X(TX_NO_ROUTE, "out: no route/interface for the destination") \
  X(TX_NEIGH_QUEUE_FULL, "out: queue waiting for address resolution full") \
  X(TX_NEIGH_FAILED, "out: address resolution failed") \
  X(TX_TOO_BIG, "out: frame larger than the MTU")

typedef enum {
#define SYNACK_X_(name, desc) SYNACK_DROP_##name,
  SYNACK_DROP_REASONS(SYNACK_X_)
#undef SYNACK_X_
  SYNACK_DROP__COUNT
} synack_drop_reason_t;

/* Event counters (not drops). X(NAME, "description") */
#define SYNACK_EVENT_COUNTERS(X) \
  X(FRAMES_IN, "frames received") \
  X(FRAMES_OUT, "frames sent") \
  X(BYTES_IN, "bytes received (frames)") \
  X(BYTES_OUT, "bytes sent (frames)") \
  X(ARP_REQUESTS_OUT, "ARP requests sent") \
  X(ARP_REPLIES_OUT, "ARP replies sent") \
  X(ND_SOLICITS_OUT, "neighbour solicitations sent") \
  X(ND_ADVERTS_OUT, "neighbour advertisements sent") \
  X(ICMP_ECHO_REPLIES_OUT, "ICMP/ICMPv6 echo replies sent") \
  X(ICMP_ECHO_REPLIES_IN, "ICMP/ICMPv6 echo replies received") \
  X(ICMP_UNREACH_OUT, "ICMP unreachables sent") \
  X(ICMP_ERRORS_IN, "ICMP errors received and delivered to TCP") \
  X(UDP_DGRAMS_IN, "UDP datagrams delivered to a socket") \
  X(UDP_DGRAMS_OUT, "UDP datagrams sent") \
  X(UDP_ICMP_ERRORS, "ICMP errors reported to connected UDP sockets") \
  X(FRAGS_IN, "IP fragments received") \
  X(REASSEMBLED, "datagrams reassembled") \
  X(TCP_SEGS_IN, "TCP segments received") \
  X(TCP_SEGS_OUT, "TCP segments sent") \
  X(TCP_RETRANS_SEGS, "TCP segments retransmitted") \
  X(TCP_RST_OUT, "TCP RSTs sent") \
  X(TCP_RST_IN, "TCP RSTs accepted") \
  X(TCP_ACTIVE_OPENS, "connections opened actively") \
  X(TCP_PASSIVE_OPENS, "connections opened passively") \
  X(TCP_ESTABLISHED, "connections that reached ESTABLISHED") \
  X(TCP_ATTEMPT_FAILS, "connection attempts failed") \
  X(TCP_ESTAB_RESETS, "established connections reset") \
  X(TCP_TIMEOUTS, "connections ended by a retransmission timeout") \
  X(TCP_SYNCOOKIES_SENT, "SYN cookies sent") \
  X(TCP_SYNCOOKIES_OK, "SYN cookies validated") \
  X(TCP_SYNCOOKIES_FAILED, "SYN cookies rejected") \
  X(TCP_CHALLENGE_ACKS, "challenge ACKs sent (RFC 5961)") \
  X(TCP_TW_RECYCLED, "TIME-WAIT entries reopened by a new SYN (RFC 6191)") \
  X(TCP_TW_REUSED, "TIME-WAIT 4-tuples reused for an outgoing connection") \
  X(TCP_KEEPALIVE_PROBES, "keepalive probes sent") \
  X(TCP_LISTEN_OVERFLOWS, "final ACKs that found the accept queue full") \
  X(TCP_DELAYED_ACKS, "delayed ACKs sent") \
  X(TCP_FAST_RETRANS, "fast retransmissions") \
  X(TCP_RTO_EXPIRED, "retransmission timer expirations") \
  X(TCP_TLP_PROBES, "tail loss probes sent (RFC 8985)") \
  X(TCP_LOST_RETRANS, "lost retransmissions detected by RACK (RFC 8985)") \
  X(TCP_SACK_RECOVERIES, "fast recoveries using SACK (RFC 6675)") \
  X(TCP_DSACKS_IN, "D-SACK blocks received (RFC 2883)") \
  X(TCP_SPURIOUS_UNDO, "congestion responses undone as spurious (D-SACK, Eifel or F-RTO)") \
  X(TCP_UNDO_DSACK, "undos: every retransmission of the episode D-SACKed (RFC 3708)") \
  X(TCP_UNDO_EIFEL, "undos: the ACK echoed the original's timestamp (Eifel, RFC 3522)") \
  X(TCP_UNDO_FRTO, "undos: the timeout was spurious (F-RTO, RFC 5682)") \
  X(TCP_SPURIOUS_RETRANS, "retransmissions the peer reported as duplicates (D-SACK)") \
  X(TCP_TLP_RECOVERIES, "losses repaired by a tail loss probe (RFC 8985 §7.4)") \
  X(TCP_REORDER_SEEN, "connections that saw reordering (RACK.reord)") \
  X(TCP_ECN_CE_IN, "segments received with a CE mark (RFC 3168)") \
  X(TCP_ECN_REDUCTIONS, "window reductions for an ECN-Echo (RFC 3168 §6.1.2)") \
  X(TCP_OOO_SEGS, "segments queued out of order") \
  X(TCP_DSACKS_SENT, "D-SACK blocks sent for duplicate data (RFC 2883)") \
  X(TCP_INVALID_ACKS_SKIPPED, "ACKs to invalid segments not sent (tcp_invalid_ratelimit_ms)") \
  X(TCP_OPT_BAD_LEN_IGNORED, "known TCP options with a wrong length ignored (segment kept)") \
  X(TCP_ORPHANS_RESET, "orphans reset: tcp_max_orphans reached at close()") \
  X(TCP_ORPHAN_PROBES_ABORT, "orphans aborted after tcp_orphan_retries zero-window probes") \
  X(TCP_FASTOPEN_ACTIVE, "fast open: data on our SYN acknowledged (Linux TCPFastOpenActive)") \
  X(TCP_FASTOPEN_ACTIVE_FAIL, "fast open: data on our SYN not acknowledged, sent again (TCPFastOpenActiveFail)") \
  X(TCP_FASTOPEN_PASSIVE, "fast open: connections accepted with data on the SYN (TCPFastOpenPassive)") \
  X(TCP_FASTOPEN_PASSIVE_FAIL, "fast open: invalid cookies, SYN data ignored (TCPFastOpenPassiveFail)") \
  X(TCP_FASTOPEN_LISTEN_OVERFLOW, "fast open: TFO queue full, ordinary handshake (TCPFastOpenListenOverflow)") \
  X(TCP_FASTOPEN_COOKIE_REQD, "fast open: cookie requests received (TCPFastOpenCookieReqd)") \
  X(TCP_URG_IN, "new urgent pointers received (RFC 9293 §3.8.5)") \
  X(TCP_MEM_PRESSURE, "times socket-buffer memory passed tcp_mem_pressure") \
  X(TCP_MEM_REFUSED, "buffer chunks refused at tcp_mem_high (receive data dropped, send() short)") \
  X(TCP_RCVBUF_GROWN, "receive buffers grown by autotuning") \
  X(FRAG_EVICTED, "reassembly contexts evicted (oldest first) to make room") \
  X(NEIGH_INCOMPLETE_FULL, "address resolutions not started: incomplete-entry cap reached") \
  X(IP_FRAGMENTED_OUT, "datagrams sent as IP fragments (larger than the MTU)")

typedef enum {
#define SYNACK_X_(name, desc) SYNACK_CTR_##name,
  SYNACK_EVENT_COUNTERS(SYNACK_X_)
#undef SYNACK_X_
  SYNACK_CTR__COUNT
} synack_counter_t;

typedef struct {
  uint64_t drops[SYNACK_DROP__COUNT];
  uint64_t events[SYNACK_CTR__COUNT];
} synack_counters_t;

SYNACK_API const char *synack_drop_reason_name(synack_drop_reason_t r); /* "TCP_BAD_CHECKSUM" */
SYNACK_API const char *synack_drop_reason_desc(synack_drop_reason_t r);
SYNACK_API const char *synack_counter_name(synack_counter_t c);

#ifdef __cplusplus
}
#endif
#endif
