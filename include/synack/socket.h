/* The BSD-like, non-blocking TCP socket API of a stack.
 *
 * Sockets are small integer handles (like file descriptors) local to one stack. Every call
 * returns >= 0 on success or a negative SYNACK_E* code (errno-compatible). Calls that may send
 * segments take the current time. Nothing blocks: where a POSIX call would block, the result is
 * -SYNACK_EAGAIN (or -SYNACK_EINPROGRESS for connect) and an event tells when to retry.
 */
#ifndef SYNACK_SOCKET_H
#define SYNACK_SOCKET_H

#include "synack/stack.h"
#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 9293 §3.3.2 states. */
typedef enum {
  SYNACK_TCP_CLOSED = 0,
  SYNACK_TCP_LISTEN,
  SYNACK_TCP_SYN_SENT,
  SYNACK_TCP_SYN_RECEIVED,
  SYNACK_TCP_ESTABLISHED,
  SYNACK_TCP_FIN_WAIT_1,
  SYNACK_TCP_FIN_WAIT_2,
  SYNACK_TCP_CLOSE_WAIT,
  SYNACK_TCP_CLOSING,
  SYNACK_TCP_LAST_ACK,
  SYNACK_TCP_TIME_WAIT,
} synack_tcp_state_t;
#define SYNACK_TCP_STATE_COUNT 11
/* "ESTABLISHED", "SYN-SENT", ... (RFC spelling). */
SYNACK_API const char *synack_tcp_state_name(synack_tcp_state_t s);

SYNACK_API int synack_socket(synack_stack_t *stack, int family);
SYNACK_API int synack_bind(synack_stack_t *stack, int sock, const synack_endpoint_t *local);
SYNACK_API int synack_listen(synack_stack_t *stack, int sock, int backlog);
/* Returns the new connection's handle, or -SYNACK_EAGAIN when none is ready. */
SYNACK_API int synack_accept(synack_stack_t *stack, int sock, synack_endpoint_t *remote);
/* Starts an active open: returns -SYNACK_EINPROGRESS (SYN sent), or an error. A second call
 * while the open is in progress returns -SYNACK_EALREADY; once connected, -SYNACK_EISCONN. */
SYNACK_API int synack_connect(synack_stack_t *stack, synack_time_t now, int sock, const synack_endpoint_t *remote);

#define SYNACK_MSG_OOB 0x01  /* send: the last byte is urgent data; recv: take the urgent byte */
#define SYNACK_MSG_PEEK 0x02
#define SYNACK_MSG_MORE 0x8000 /* more data follows: hold a partial segment (like MSG_MORE) */
#define SYNACK_MSG_FASTOPEN 0x20000000 /* synack_sendto: connect and put the data on the SYN (RFC 7413) */
/* The data ends a record: no later send is coalesced with it into one segment (Linux MSG_EOR). */
#define SYNACK_MSG_EOR 0x80
/* With SO_ZEROCOPY on: report on the error queue when the data may be reused (Linux's
 * MSG_ZEROCOPY; synack copies the data, the completion semantics are Linux's). */
#define SYNACK_MSG_ZEROCOPY 0x4000000
/* Queues up to len bytes; returns the count queued (possibly short) or an error
 * (-SYNACK_EAGAIN when the buffer is full, -SYNACK_EPIPE after SHUT_WR, -SYNACK_ENOTCONN...). */
SYNACK_API int64_t synack_send(synack_stack_t *stack, synack_time_t now, int sock, const void *buf, size_t len,
                               int flags);
/* Copies up to len received bytes; 0 means EOF (peer's FIN); -SYNACK_EAGAIN when nothing yet. */
SYNACK_API int64_t synack_recv(synack_stack_t *stack, synack_time_t now, int sock, void *buf, size_t len,
                               int flags);

/* synack_send with a destination. With SYNACK_MSG_FASTOPEN on a socket not yet connected: the
 * connect and the first write in one call (RFC 7413 TCP Fast Open, as Linux's sendto with
 * MSG_FASTOPEN): with a cookie cached for the destination the SYN carries up to one MSS of the
 * data and the count queued is returned; without one, the SYN asks for a cookie, nothing is
 * queued and -SYNACK_EINPROGRESS is returned. -SYNACK_EOPNOTSUPP when cfg.tcp_fastopen lacks
 * SYNACK_TFO_CLIENT. Without the flag, or on a connected socket, remote is ignored (send). */
SYNACK_API int64_t synack_sendto(synack_stack_t *stack, synack_time_t now, int sock, const void *buf, size_t len,
                                 int flags, const synack_endpoint_t *remote);
/* Vectored send and receive (sendmsg/recvmsg). */
typedef struct {
  void *base;
  size_t len;
} synack_iovec_t;
typedef struct {
  const synack_iovec_t *iov;
  size_t iovlen;
  int flags; /* out: SYNACK_MSG_* describing the data returned (0 for ordinary stream data) */
  int inq;   /* out: with SYNACK_TCP_INQ on, Linux's TCP_CM_INQ: bytes still readable after this
                call (1 when none are but the peer's FIN came); -1 when the option is off */
} synack_msghdr_t;
/* send() over the iovecs in order, as one call (MSG_EOR marks the end of the last one). */
SYNACK_API int64_t synack_sendmsg(synack_stack_t *stack, synack_time_t now, int sock, const synack_iovec_t *iov,
                                  size_t iovlen, int flags);
/* recv() into the iovecs in order, as one call. */
SYNACK_API int64_t synack_recvmsg(synack_stack_t *stack, synack_time_t now, int sock, synack_msghdr_t *msg,
                                  int flags);

#define SYNACK_SHUT_RD 0
#define SYNACK_SHUT_WR 1
#define SYNACK_SHUT_RDWR 2
SYNACK_API int synack_shutdown(synack_stack_t *stack, synack_time_t now, int sock, int how);
/* Releases the handle. Unread data or SO_LINGER 0 → RST (RFC 9293 §3.10.4 / RFC 1122 4.2.2.13);
 * otherwise a graceful close continues in the background and SYNACK_EV_CLOSED is not reported.
 * Never blocks: with SO_LINGER n > 0 it returns at once, and if the FIN is not acknowledged
 * within n seconds the connection is aborted with a RST (with cfg.tcp_api_linux, as Linux after
 * its close() waited that long: no RST, the close goes on). Beyond tcp_max_orphans closed
 * connections still sending, close() resets instead. */
SYNACK_API int synack_close(synack_stack_t *stack, synack_time_t now, int sock);
/* Sends RST (when synchronized) and releases the handle at once. */
SYNACK_API int synack_abort(synack_stack_t *stack, synack_time_t now, int sock);

/* Socket options. Values are ints; times in the unit the name says. */
typedef enum {
  SYNACK_SO_REUSEADDR = 1,
  SYNACK_SO_RCVBUF,
  SYNACK_SO_SNDBUF,
  SYNACK_SO_KEEPALIVE,
  SYNACK_SO_LINGER,        /* seconds; -1 = off (default); 0 = abortive close; n > 0: RST if our FIN is
                              not acknowledged n seconds after close() (not with cfg.tcp_api_linux) */
  SYNACK_SO_ERROR,         /* get only: the pending error (negative code or 0), cleared by reading */
  SYNACK_TCP_NODELAY,
  SYNACK_TCP_MAXSEG,
  SYNACK_TCP_KEEPIDLE,     /* seconds */
  SYNACK_TCP_KEEPINTVL,    /* seconds */
  SYNACK_TCP_KEEPCNT,
  SYNACK_TCP_USER_TIMEOUT, /* milliseconds; 0 = off */
  SYNACK_TCP_NOOPT,        /* send no TCP options on the SYN */
  SYNACK_IP_TTL,
  SYNACK_IP_TOS,
  SYNACK_SO_INQ,           /* get only: bytes readable (SIOCINQ) */
  SYNACK_SO_OUTQ,          /* get only: bytes queued, not yet acknowledged (SIOCOUTQ) */
  SYNACK_TCP_QUICKACK,
  SYNACK_TCP_CONGESTION,   /* a synack_cc_algo_t value */
  SYNACK_TCP_FASTOPEN,     /* listener: fast open queue length (pending TFO connections), 0 = off */
  SYNACK_TCP_FASTOPEN_CONNECT, /* connect() returns at once; the first send goes on the SYN */
  SYNACK_TCP_FASTOPEN_NO_COOKIE, /* listener: accept SYN data without a cookie (client: send it so) */
  /* Sending control and low-water marks (docs/tcp-choices.md "Sending control"). Numbered
   * from 64 so that options other work appends above keep their values. */
  SYNACK_TCP_CORK = 64,    /* hold partial segments until uncorked (or the RTO-based cork timer) */
  SYNACK_TCP_NOTSENT_LOWAT,/* bytes; writable only while fewer are unsent; 0 = off */
  SYNACK_SO_SNDLOWAT,      /* Linux: always 1, setting it fails with ENOPROTOOPT */
  SYNACK_SO_RCVLOWAT,      /* bytes; readable only when at least this many (or EOF/error) */
  SYNACK_TCP_INQ,          /* recvmsg reports the bytes left readable (synack_msghdr_t.inq) */
  SYNACK_SO_NOTSENT,       /* get only: bytes queued, not yet sent (SIOCOUTQNSD) */
  SYNACK_SO_OOBINLINE,     /* urgent bytes stay in the stream (recv(MSG_OOB) then fails) */
  SYNACK_SO_ATMARK,        /* get only: the next byte to read is the urgent one (SIOCATMARK) */
  SYNACK_SO_REUSEPORT,     /* before bind: sockets that all set it share a port; new connections
                              (datagrams) are spread over them by a keyed hash of the 4-tuple */
  SYNACK_SO_BROADCAST,     /* UDP: allow sending to a broadcast address (default off); TCP: kept, no effect (Linux) */
  SYNACK_IPV6_V6ONLY,      /* AF_INET6, before bind: no IPv4 (v4-mapped) traffic; default off */
  SYNACK_SO_MAX_PACING_RATE, /* bytes per second, > 0; -1 = no cap (default). Setting it turns pacing
                              on for the socket even when cfg.tcp_pacing is off (as Linux does) */
  SYNACK_TCP_MD5SIG,       /* RFC 2385 keys: set with synack_setsockopt_md5sig (a struct, not an int);
                              synack_getsockopt returns the number of keys the socket holds */
  /* The error queue (synack_recv_err; docs/tcp-choices.md "The error queue"). */
  SYNACK_SO_ZEROCOPY,      /* 0/1: sends with SYNACK_MSG_ZEROCOPY report their completion */
  SYNACK_SO_TIMESTAMPING,  /* SYNACK_SOF_TIMESTAMPING_* flags: transmit timestamps on the error queue */
  /* Options of programs that block, and of the accept path (docs/tcp-choices.md "Blocking
   * calls, deferred accept, window clamp, saved SYN"). */
  SYNACK_SO_RCVTIMEO,      /* milliseconds, 0 = wait for ever (default). synack never blocks: the value
                              is kept for a caller that emulates blocking receives and accept()
                              (as synack drill does), and inherited by accepted sockets */
  SYNACK_SO_SNDTIMEO,      /* milliseconds, 0 = for ever: the same for blocking sends and connect() */
  SYNACK_TCP_DEFER_ACCEPT, /* listener, seconds (0 = off): a handshake's final ACK without data is
                              dropped and the connection is not accepted until data comes, for about
                              that long (Linux: counted in SYN-ACK retransmissions; read back as the
                              time those take) */
  SYNACK_TCP_WINDOW_CLAMP, /* bytes, the most the receive window offers (0 = none; at least half of
                              Linux's smallest buffer, 2304); set before the handshake it also
                              bounds the window scale offered; accepted sockets inherit it */
  SYNACK_TCP_SAVE_SYN,     /* listener, 0 or 1: each accepted connection keeps the IP and TCP headers of
                              its SYN, for SYNACK_TCP_SAVED_SYN (not for SYNs answered with a cookie) */
  SYNACK_TCP_SAVED_SYN,    /* get only: the length of the headers kept (0: none); read them, once, with
                              synack_getsockopt_saved_syn */
} synack_sockopt_t;
SYNACK_API int synack_setsockopt(synack_stack_t *stack, int sock, synack_sockopt_t opt, int value);
/* TCP_SAVED_SYN: the IP and TCP headers (options included) of the SYN an accepted connection
 * came from, when its listener had SYNACK_TCP_SAVE_SYN on: copied to buf with *len set to their
 * length, then forgotten (the next call finds none: *len = 0, result 0). When *len is too small,
 * -SYNACK_EINVAL with *len the length needed, and the headers stay (Linux's semantics). */
SYNACK_API int synack_getsockopt_saved_syn(synack_stack_t *stack, int sock, void *buf, size_t *len);
SYNACK_API int synack_getsockopt(synack_stack_t *stack, int sock, synack_sockopt_t opt, int *value);

/* TCP MD5 signatures (RFC 2385; docs/tcp-choices.md "TCP MD5 signatures"), Linux's
 * struct tcp_md5sig: a key for one peer address, or with SYNACK_TCP_MD5SIG_FLAG_PREFIX for every
 * peer in addr/prefixlen (Linux's TCP_MD5SIG_EXT). The same address and prefix replace the key;
 * keylen 0 removes it (ENOENT when there is none). At most cfg.tcp_md5_max_keys keys per socket
 * (ENOMEM past it); a listener's key for a peer is copied to the connection accepted from it. */
#define SYNACK_TCP_MD5SIG_MAXKEYLEN 80
#define SYNACK_TCP_MD5SIG_FLAG_PREFIX 0x1
typedef struct {
  synack_ip_t addr;   /* the peer; an IPv4-mapped IPv6 address means the IPv4 address */
  uint8_t flags;      /* SYNACK_TCP_MD5SIG_FLAG_PREFIX */
  uint8_t prefixlen;  /* with FLAG_PREFIX: bits of addr that must match (0..32 or 0..128) */
  uint16_t keylen;    /* 0..SYNACK_TCP_MD5SIG_MAXKEYLEN */
  uint8_t key[SYNACK_TCP_MD5SIG_MAXKEYLEN];
} synack_tcp_md5sig_t;
SYNACK_API int synack_setsockopt_md5sig(synack_stack_t *stack, int sock, const synack_tcp_md5sig_t *sig);

/* TCP Authentication Option (RFC 5925 with the algorithms of RFC 5926; docs/tcp-choices.md
 * "TCP-AO"), after Linux's TCP_AO_ADD_KEY / TCP_AO_DEL_KEY / TCP_AO_INFO. A Master Key Tuple:
 * the peers it is for (addr/prefixlen), the KeyID we send with it (sndid) and the one the peer
 * sends with it (rcvid), the algorithm for both the key derivation and the 96-bit MAC, whether
 * TCP options other than TCP-AO are left out of the MAC, and the master key. Among the keys for
 * one peer every sndid and every rcvid is unique (EEXIST otherwise). A socket holds either TCP
 * MD5 or TCP-AO keys, never both (EKEYREJECTED: RFC 5925 §2.2). At most cfg.tcp_ao_max_keys keys
 * per socket (ENOMEM past it). Keys may be added to (and unused ones deleted from) an
 * established connection: that is how keys roll over (RFC 5925 §7.5.2). */
#define SYNACK_TCP_AO_MAXKEYLEN 80
#define SYNACK_TCP_AO_ALG_HMAC_SHA1_96 1    /* KDF_HMAC_SHA1, HMAC-SHA-1-96 (RFC 5926 §3.1.1, §3.2.1) */
#define SYNACK_TCP_AO_ALG_AES_128_CMAC_96 2 /* KDF_AES_128_CMAC, AES-128-CMAC-96 (§3.1.2, §3.2.2) */
#define SYNACK_TCP_AO_KEYF_EXCLUDE_OPT 0x1  /* the MKT's TCPOptionsExcluded (RFC 5925 §3.1) */
typedef struct {
  synack_ip_t addr;   /* the peer; an IPv4-mapped IPv6 address means the IPv4 address */
  uint8_t prefixlen;  /* bits of addr that must match (0..32 or 0..128) */
  uint8_t sndid;      /* KeyID of our segments signed with this key */
  uint8_t rcvid;      /* KeyID of the peer's segments signed with it */
  uint8_t alg;        /* SYNACK_TCP_AO_ALG_* */
  uint8_t keyflags;   /* SYNACK_TCP_AO_KEYF_* */
  uint8_t keylen;     /* 1..SYNACK_TCP_AO_MAXKEYLEN */
  bool set_current;   /* add: sign with this key from now on (Linux's set_current) */
  bool set_rnext;     /* add: ask the peer to sign with this key (RNextKeyID = rcvid) */
  uint8_t key[SYNACK_TCP_AO_MAXKEYLEN];
} synack_tcp_ao_key_t;
SYNACK_API int synack_setsockopt_tcp_ao_add_key(synack_stack_t *stack, int sock, const synack_tcp_ao_key_t *key);
/* Removes the key of k->addr/prefixlen with k->sndid and k->rcvid (the rest of k unused):
 * ENOENT when there is none, EBUSY for the key a connection signs with or asks for. */
SYNACK_API int synack_setsockopt_tcp_ao_del_key(synack_stack_t *stack, int sock, const synack_tcp_ao_key_t *k);
/* The state of a socket's TCP-AO (ENOENT without keys); set changes current / rnext only. */
typedef struct {
  bool set_current, set_rnext; /* set: change them; get: whether the values below are known */
  uint8_t current_key;         /* sndid of the key our segments are signed with */
  uint8_t rnext;               /* the RNextKeyID we send: rcvid of the key we want the peer to use */
  uint8_t peer_rnext;          /* get: the RNextKeyID the peer sent last (valid with pkt_good > 0) */
  uint32_t keys;               /* get: keys held */
  /* get: this socket's segments accepted, dropped for a wrong MAC, dropped for a KeyID no key has,
   * dropped for carrying no TCP-AO option where a key applies (Linux's tcp_ao_info_opt names) */
  uint64_t pkt_good, pkt_bad, pkt_key_not_found, pkt_ao_required;
} synack_tcp_ao_info_t;
SYNACK_API int synack_getsockopt_tcp_ao_info(synack_stack_t *stack, int sock, synack_tcp_ao_info_t *out);
SYNACK_API int synack_setsockopt_tcp_ao_info(synack_stack_t *stack, int sock, const synack_tcp_ao_info_t *in);
SYNACK_API int synack_getsockname(synack_stack_t *stack, int sock, synack_endpoint_t *out);
SYNACK_API int synack_getpeername(synack_stack_t *stack, int sock, synack_endpoint_t *out);
/* Current readiness (SYNACK_EV_READABLE | WRITABLE | PEER_CLOSED | ERROR), like poll(). */
SYNACK_API uint32_t synack_poll(synack_stack_t *stack, int sock);

/* The error queue (Linux's recvmsg(MSG_ERRQUEUE), struct sock_extended_err). MSG_ZEROCOPY
 * completions: origin ZEROCOPY, err 0, info..data the range of send ids completed, code COPIED
 * (synack always copies). SO_TIMESTAMPING: origin TIMESTAMPING, err ENOMSG, info the event
 * (SYNACK_SCM_TSTAMP_*), data the byte's offset with OPT_ID (else 0), the time with SOFTWARE. */
#define SYNACK_EE_ORIGIN_TIMESTAMPING 4
#define SYNACK_EE_ORIGIN_ZEROCOPY 5
#define SYNACK_EE_CODE_ZEROCOPY_COPIED 1
#define SYNACK_SCM_TSTAMP_SND 0
#define SYNACK_SCM_TSTAMP_SCHED 1
#define SYNACK_SCM_TSTAMP_ACK 2
/* SO_TIMESTAMPING flags (Linux's SOF_TIMESTAMPING_*; hardware ones are accepted, never report) */
#define SYNACK_SOF_TIMESTAMPING_TX_HARDWARE 0x1
#define SYNACK_SOF_TIMESTAMPING_TX_SOFTWARE 0x2
#define SYNACK_SOF_TIMESTAMPING_RX_HARDWARE 0x4
#define SYNACK_SOF_TIMESTAMPING_RX_SOFTWARE 0x8
#define SYNACK_SOF_TIMESTAMPING_SOFTWARE 0x10
#define SYNACK_SOF_TIMESTAMPING_SYS_HARDWARE 0x20
#define SYNACK_SOF_TIMESTAMPING_RAW_HARDWARE 0x40
#define SYNACK_SOF_TIMESTAMPING_OPT_ID 0x80
#define SYNACK_SOF_TIMESTAMPING_TX_SCHED 0x100
#define SYNACK_SOF_TIMESTAMPING_TX_ACK 0x200
#define SYNACK_SOF_TIMESTAMPING_OPT_CMSG 0x400
#define SYNACK_SOF_TIMESTAMPING_OPT_TSONLY 0x800
#define SYNACK_SOF_TIMESTAMPING_OPT_ID_TCP 0x10000
#define SYNACK_SOF_TIMESTAMPING_MASK 0x10fffu
typedef struct {
  int err;            /* positive: SYNACK_ENOMSG for timestamps, 0 for zerocopy */
  uint8_t origin;     /* SYNACK_EE_ORIGIN_* */
  uint8_t code;       /* SYNACK_EE_CODE_ZEROCOPY_COPIED or 0 */
  uint32_t info, data;
  bool has_time;      /* a software timestamp (SOF_TIMESTAMPING_SOFTWARE) */
  synack_time_t time; /* µs, the stack's clock when the event happened */
  uint32_t pkt_len;   /* timestamps without OPT_TSONLY: the length of the packet copy Linux
                         attaches to the report (synack keeps none); else 0 */
} synack_sock_err_t;
/* Takes the oldest report: 0, or -SYNACK_EAGAIN when the queue is empty. */
SYNACK_API int synack_recv_err(synack_stack_t *stack, int sock, synack_sock_err_t *out);

/* TCP_INFO-like snapshot of one connection. */
#define SYNACK_TCPI_OPT_TIMESTAMPS 0x1
#define SYNACK_TCPI_OPT_SACK 0x2
#define SYNACK_TCPI_OPT_WSCALE 0x4
#define SYNACK_TCPI_OPT_ECN 0x8
#define SYNACK_TCPI_OPT_SYN_DATA 0x20 /* the data on our SYN was acknowledged (fast open) */
/* tcp_info's snd_ssthresh before the first reduction: Linux's TCP_INFINITE_SSTHRESH. */
#define SYNACK_INFINITE_SSTHRESH 0x7fffffffu

typedef struct {
  synack_tcp_state_t state;
  uint32_t options;          /* SYNACK_TCPI_OPT_* negotiated */
  uint8_t snd_wscale, rcv_wscale;
  uint32_t retransmits;      /* consecutive retransmissions of the current timer */
  uint32_t backoff;
  uint32_t rto_us, ato_us;
  uint32_t snd_mss, rcv_mss;
  uint32_t unacked;          /* segments in flight */
  uint32_t sacked, lost, retrans;
  uint32_t rtt_us, rttvar_us;
  uint32_t snd_ssthresh, snd_cwnd; /* segments; ssthresh not yet set: SYNACK_INFINITE_SSTHRESH */
  uint32_t total_retrans;
  uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
  uint32_t segs_out, segs_in;
  /* Sequence state (raw values) for tools and tests. */
  uint32_t iss, irs, snd_una, snd_nxt, snd_wnd, rcv_nxt, rcv_wnd;
  uint32_t ts_recent;
  /* Loss recovery (issue 13): timeouts, tail loss probes and the losses they repaired, undone
   * congestion responses, retransmissions the peer reported as duplicates (D-SACK), D-SACKs
   * received, whether reordering was seen (RACK.reord) and the reordering window (µs). */
  uint32_t rtos, tlp_probes, tlp_recoveries, undos, spurious_retrans, dsacks_in;
  uint32_t reord_seen, reo_wnd_us;
  /* Fast open, client (Linux's tcpi_fastopen_client_fail): 0 unspecified, 1 no cookie
   * (SYNACK_TFO_FAIL_*), 2 the SYN data was not acknowledged, 3 the SYN was retransmitted. */
  uint32_t fastopen_client_fail;
  /* More of Linux's struct tcp_info (the tcpi_* field of the same name; docs/drill.md):
   * ca_state (0 open, 1 disorder: SACKs or duplicate ACKs seen, 3 recovery, 4 loss after a timeout), probes (zero-window or keepalive
   * probes unanswered), times since the last data sent / data received / ACK received (ms),
   * advmss (the MSS we announced), notsent_bytes, min_rtt (µs, RACK's), data segments in and
   * out, out-of-order segments received. */
  uint8_t ca_state;
  uint32_t probes;
  uint32_t last_data_sent_ms, last_data_recv_ms, last_ack_recv_ms;
  uint32_t advmss, notsent_bytes, min_rtt_us;
  uint32_t data_segs_in, data_segs_out, rcv_ooopack;
  /* Linux's tcpi_pacing_rate and tcpi_max_pacing_rate (bytes/s; UINT64_MAX: none yet / no
   * cap), tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited (µs: data queued or in
   * flight; the peer's window, a full send buffer held new data back), tcpi_delivered and
   * tcpi_delivered_ce (segments; the handshake's SYN counts one), tcpi_total_rto_recoveries
   * and tcpi_total_rto_time (RTO episodes and their time, ms; total_rto is rtos above),
   * tcpi_rcv_space (bytes the application read in one RTT at most) and tcpi_rcv_ssthresh (the
   * receive window's growth limit under the Linux window policy, else 0). */
  uint64_t pacing_rate, max_pacing_rate;
  uint64_t busy_time_us, rwnd_limited_us, sndbuf_limited_us;
  uint32_t delivered, delivered_ce;
  uint32_t total_rto_recoveries, total_rto_time_ms;
  uint32_t rcv_space, rcv_ssthresh;
} synack_tcp_info_t;
#define SYNACK_TFO_FAIL_UNSPEC 0
#define SYNACK_TFO_FAIL_COOKIE_UNAVAILABLE 1
#define SYNACK_TFO_FAIL_DATA_NOT_ACKED 2
#define SYNACK_TFO_FAIL_SYN_RETRANSMITTED 3
SYNACK_API int synack_tcp_info(synack_stack_t *stack, int sock, synack_tcp_info_t *out);

/* The connection table: sockets, half-open (SYN-RECEIVED) entries and TIME-WAIT entries. */
typedef enum { SYNACK_CONN_SOCKET = 0, SYNACK_CONN_HALFOPEN, SYNACK_CONN_TIMEWAIT } synack_conn_kind_t;
typedef struct {
  synack_conn_kind_t kind;
  int sock;                  /* handle, or -1 (half-open, TIME-WAIT, orphaned) */
  synack_tcp_state_t state;
  synack_endpoint_t local, remote;
  uint64_t bytes_in, bytes_out;
  uint32_t retransmits;
  synack_time_t expires;     /* next timer of the entry, or SYNACK_TIME_NEVER */
} synack_conn_entry_t;
/* Fills up to max entries; returns the total number of entries (may exceed max). */
SYNACK_API size_t synack_conn_table(synack_stack_t *stack, synack_conn_entry_t *out, size_t max);
/* Drops the connection of an entry (like tcpdrop): RST when synchronized, entry freed. */
SYNACK_API int synack_conn_drop(synack_stack_t *stack, synack_time_t now, const synack_conn_entry_t *entry);

#ifdef __cplusplus
}
#endif
#endif
