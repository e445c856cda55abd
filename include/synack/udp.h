/* UDP sockets (RFC 768), non-blocking, in the style of the TCP socket API of socket.h.
 *
 * A UDP socket is a small integer handle from the same table as TCP sockets (so events and
 * handles never collide), created by synack_udp_socket(). Every call returns >= 0 on success or
 * a negative SYNACK_E* code. synack_close() and synack_poll() accept UDP handles as well.
 *
 * Semantics follow Linux where the RFCs leave a choice (docs/udp.md):
 *  - bind() with port 0, or the first sendto()/connect() of an unbound socket, picks a random
 *    free port of [tcp_port_lo, tcp_port_hi] (RFC 6056 §3.3.1, drawn from the stack's generator).
 *  - connect() fixes the peer: only its datagrams are received, send() needs no address, and
 *    ICMP errors about datagrams we sent to it are reported once as the socket's error
 *    (port unreachable → -SYNACK_ECONNREFUSED). An unconnected socket ignores ICMP errors.
 *    connect() to an endpoint of family 0 dissolves the association (AF_UNSPEC).
 *  - A datagram larger than the link MTU is sent as IP fragments (Linux's default
 *    IP_PMTUDISC_WANT), up to 65,507 bytes over IPv4 and 65,527 over IPv6 (-SYNACK_EMSGSIZE
 *    beyond); incoming fragmented datagrams are reassembled by the IP layer.
 *  - Sending to a broadcast address needs SO_BROADCAST (-SYNACK_EACCES otherwise).
 *  - Each socket queues received datagrams up to SO_RCVBUF bytes (cfg.udp_rcvbuf by default),
 *    counting each datagram's payload plus SYNACK_UDP_DGRAM_OVERHEAD; beyond it datagrams are
 *    dropped and counted as UDP_RCVBUF_FULL (stack-wide) and in the socket's drop count.
 *  - An AF_INET6 socket also sends and receives IPv4 as v4-mapped addresses (::ffff:a.b.c.d)
 *    unless IPV6_V6ONLY is set.
 *  - SO_REUSEADDR lets sockets that all set it share a port; SO_REUSEPORT does too, and
 *    unicast datagrams for the port are then spread over the group by a keyed hash of the
 *    4-tuple (one flow always reaches the same socket). Broadcasts reach every socket.
 */
#ifndef SYNACK_UDP_H
#define SYNACK_UDP_H

#include "synack/socket.h"
#include "synack/stack.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes each queued datagram counts beyond its payload against SO_RCVBUF. */
#define SYNACK_UDP_DGRAM_OVERHEAD 64u

/* recvfrom flag: return the datagram's real length even when it was cut to fit the buffer
 * (like MSG_TRUNC on Linux). SYNACK_MSG_PEEK leaves the datagram queued. */
#define SYNACK_MSG_TRUNC 0x20

SYNACK_API int synack_udp_socket(synack_stack_t *stack, int family);
SYNACK_API int synack_udp_bind(synack_stack_t *stack, int sock, const synack_endpoint_t *local);
SYNACK_API int synack_udp_connect(synack_stack_t *stack, int sock, const synack_endpoint_t *remote);
/* Sends one datagram of len bytes to `to` (NULL: the connected peer). Returns len or an error:
 * -SYNACK_EDESTADDRREQ (no address, not connected), -SYNACK_EISCONN is never returned (Linux
 * lets a connected socket send elsewhere), -SYNACK_EMSGSIZE (too large, or more fragments than
 * the transmit ring holds), -SYNACK_EACCES (broadcast without SO_BROADCAST), -SYNACK_EAGAIN
 * (transmit ring full, or without room for all fragments; WRITABLE tells when to retry), or a
 * pending ICMP error of a connected socket (reported once). */
SYNACK_API int64_t synack_udp_sendto(synack_stack_t *stack, synack_time_t now, int sock, const void *buf, size_t len,
                                     int flags, const synack_endpoint_t *to);
/* Takes the oldest datagram: copies up to len bytes (the rest of a longer datagram is lost
 * unless SYNACK_MSG_PEEK) and its source to *from (may be NULL). Returns the bytes copied
 * (the datagram's length with SYNACK_MSG_TRUNC), -SYNACK_EAGAIN when none is queued, or a
 * pending ICMP error (reported once, before the queued datagrams, as Linux). */
SYNACK_API int64_t synack_udp_recvfrom(synack_stack_t *stack, synack_time_t now, int sock, void *buf, size_t len,
                                       int flags, synack_endpoint_t *from);
SYNACK_API int synack_udp_close(synack_stack_t *stack, int sock);
/* SO_REUSEADDR, SO_REUSEPORT, SO_BROADCAST, SO_RCVBUF, SO_ERROR (get), SO_INQ (get: bytes of
 * the next datagram), IPV6_V6ONLY (before bind), IP_TTL, IP_TOS; others -SYNACK_ENOPROTOOPT. */
SYNACK_API int synack_udp_setsockopt(synack_stack_t *stack, int sock, synack_sockopt_t opt, int value);
SYNACK_API int synack_udp_getsockopt(synack_stack_t *stack, int sock, synack_sockopt_t opt, int *value);
SYNACK_API int synack_udp_getsockname(synack_stack_t *stack, int sock, synack_endpoint_t *out);
SYNACK_API int synack_udp_getpeername(synack_stack_t *stack, int sock, synack_endpoint_t *out);
/* READABLE (a datagram or an error is pending), WRITABLE (the transmit ring has room), ERROR. */
SYNACK_API uint32_t synack_udp_poll(synack_stack_t *stack, int sock);
/* Whether sock is a UDP handle of this stack. */
SYNACK_API bool synack_udp_is_socket(const synack_stack_t *stack, int sock);
/* Datagrams this socket dropped because its receive queue was full. */
SYNACK_API int synack_udp_drops(synack_stack_t *stack, int sock, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
