/* Runtime configuration of a stack instance: one struct, filled with documented defaults by
 * synack_config_default(), adjusted by named presets (synack_config_preset) or by hand.
 * Capacities here bound every queue a peer can grow. */
#ifndef SYNACK_CONFIG_H
#define SYNACK_CONFIG_H

#include "synack/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  SYNACK_LINK_ETHERNET = 0, /* frames carry an Ethernet II header (TAP, simulator) */
  SYNACK_LINK_IP = 1,       /* bare IPv4/IPv6 packets (TUN-like links, script runner, memory link) */
} synack_link_type_t;

/* Wire layout of TCP options, so that a stack can look like a given kernel on the wire. */
typedef enum {
  SYNACK_OPT_LAYOUT_LINUX = 0,   /* SYN: mss, sackOK, TS, nop, wscale | else nop,nop,TS */
  SYNACK_OPT_LAYOUT_FREEBSD = 1, /* SYN: mss, nop, wscale, sackOK, TS (EOL padded) | else nop,nop,TS */
} synack_opt_layout_t;

struct synack_trace_event;
typedef void (*synack_trace_fn)(void *user, const struct synack_trace_event *ev);

/* A source of randomness: fill buf with len unpredictable bytes. The stack draws its secrets
 * (ISN, SYN-cookie, port, timestamp and hash keys) and its generator's seed from it.
 * synack_random_os (synack/random.h) reads the operating system's entropy. */
typedef void (*synack_random_fn)(void *user, void *buf, size_t len);
#define SYNACK_SHARED_SECRET_LEN 32

/* Replaceable allocator for the stack's pools (all memory the stack owns). */
typedef struct {
  void *(*alloc)(void *user, size_t size); /* zeroed memory or NULL */
  void (*free)(void *user, void *p, size_t size);
  void *user;
} synack_allocator_t;

/* RFC 3168 ECN negotiation (Linux net.ipv4.tcp_ecn, FreeBSD net.inet.tcp.ecn.enable: same values). */
typedef enum {
  SYNACK_ECN_MODE_OFF = 0,     /* never ask, decline a peer's ECN-setup SYN */
  SYNACK_ECN_MODE_ON = 1,      /* ask on our SYNs and accept on a peer's */
  SYNACK_ECN_MODE_PASSIVE = 2, /* accept a peer's ECN-setup SYN, never ask on ours */
} synack_ecn_mode_t;

/* Choice of the advertised receive window (src/core/tcp_rcvwnd.c). */
typedef enum {
  SYNACK_RCVWND_RFC = 0,     /* RFC 9293 §3.8.6.2.2: the right edge moves by at least min(buf/2, MSS) */
  SYNACK_RCVWND_FREEBSD = 1, /* FreeBSD tcp_output(): all the free space, 0 below min(buf/4, MSS) */
  SYNACK_RCVWND_LINUX = 2,   /* Linux tcp_select_window(): MSS-rounded initial window, rcv_ssthresh cap */
} synack_rcvwnd_policy_t;

/* net.ipv4.tcp_fastopen bits (Linux's values), for synack_config_t.tcp_fastopen. */
#define SYNACK_TFO_CLIENT 0x1            /* MSG_FASTOPEN / TCP_FASTOPEN_CONNECT send data on the SYN */
#define SYNACK_TFO_SERVER 0x2            /* listeners with TCP_FASTOPEN accept data on the SYN */
#define SYNACK_TFO_CLIENT_NO_COOKIE 0x4  /* client: data on the SYN without a cookie */
#define SYNACK_TFO_SERVER_NO_COOKIE 0x200 /* server: accept data on the SYN without a valid cookie */
#define SYNACK_TFO_SERVER_ALL 0x400      /* server: every listener, queue length = listen() backlog */

/* Congestion control algorithm (src/core/tcp_cc_*.c, one file each). */
typedef enum {
  SYNACK_CC_NEWRENO = 0, /* RFC 5681 + RFC 6582, appropriate byte counting (RFC 3465) */
  SYNACK_CC_CUBIC = 1,   /* RFC 9438 */
} synack_cc_algo_t;

typedef struct {
  /* ---- Interface ---- */
  synack_link_type_t link;
  synack_mac_t mac;            /* our MAC (Ethernet links) */
  uint32_t mtu;                /* IP MTU of the link; default 1500 */
  synack_ip_t ip4;             /* our IPv4 address (family 0 = none) */
  uint8_t ip4_prefix;          /* on-link prefix length; default 24 */
  synack_ip_t ip4_gateway;     /* default gateway (family 0 = none: everything on-link) */
  synack_ip_t ip6;             /* a configured IPv6 address (family 0 = none) */
  uint8_t ip6_prefix;          /* default 64 */
  synack_ip_t ip6_gateway;     /* default router */
  bool ip6_link_local;         /* also own fe80::/64 derived from the MAC (EUI-64); default true */
  uint8_t ttl;                 /* default 64 */

  /* ---- Capacities (memory bounds) ---- */
  uint32_t tx_ring_frames;     /* frames waiting for the driver; default 256 */
  uint32_t max_sockets;        /* sockets (listeners + connections); default 1024 */
  uint32_t max_timewait;       /* TIME-WAIT entries; default 65536 */
  uint32_t neigh_entries;      /* ARP/ND cache size; default 256 */
  uint32_t neigh_queue;        /* frames waiting for resolution, per neighbour; default 4 */
  uint32_t neigh_max_incomplete; /* entries resolving at once (INCOMPLETE); more are refused
                                    (NEIGH_INCOMPLETE_FULL), so they cannot crowd out learned
                                    ones; default 64 */
  uint32_t frag_mem_bytes;     /* total memory for IP reassembly; default 256 KiB */
  uint32_t frag_max_datagrams; /* concurrent datagrams being reassembled; default 64 */
  uint32_t frag_timeout_ms;    /* RFC 791/8200: default 30000 ms (Linux uses 30 s) */
  uint32_t neigh_timeout_ms;   /* cache entry lifetime; default 60000 */
  uint32_t neigh_retry_ms;     /* resolution retry interval; default 1000, 3 tries */
  uint32_t icmp_rate_per_sec;  /* ICMP errors per second (RFC 1812 §4.3.2.8); default 100 */
  uint32_t buf_cache_bytes;    /* freed socket rings kept for the next connection (src/core/bufcache.c);
                                  default 1 MiB; 0 = give every ring back at once */

  /* ---- UDP (include/synack/udp.h, docs/udp.md) ---- */
  uint32_t udp_rcvbuf;         /* receive queue bound per socket (bytes: payload plus
                                  SYNACK_UDP_DGRAM_OVERHEAD per datagram); default 212992
                                  (Linux's rmem_default); SO_RCVBUF overrides it per socket */

  /* ---- TCP ---- */
  uint32_t tcp_sndbuf;         /* default send buffer; default 256 KiB */
  uint32_t tcp_rcvbuf;         /* default receive buffer; default 256 KiB */
  uint32_t tcp_max_buf;        /* largest buffer a socket may ask for; fixes the window scale; default 4 MiB */
  bool tcp_rcvbuf_auto;        /* receive-buffer autotuning (Linux tcp_moderate_rcvbuf): a socket without
                                  SO_RCVBUF grows its buffer toward tcp_max_buf from the bytes read per
                                  RTT (tcp_rcvtune.c); default true, false in the freebsd and rfc presets */
  /* Stack-wide socket-buffer memory (Linux's tcp_mem, in bytes; docs/memory.md): above
   * tcp_mem_pressure until back under tcp_mem_low, buffers stop growing and offered windows
   * shrink to 4 segments; above tcp_mem_high a buffer that holds a chunk gets no more (counted).
   * Defaults 96 / 128 / 192 MiB. */
  uint64_t tcp_mem_low, tcp_mem_pressure, tcp_mem_high;
  uint16_t tcp_default_mss;    /* RFC 9293 §3.7.1: 536 (IPv4) when the peer sends no MSS; default 536 */
  uint32_t tcp_syn_retries;    /* SYN retransmissions before ETIMEDOUT; default 6 (≈127 s) */
  uint32_t tcp_synack_retries; /* SYN-ACK retransmissions; default 5 (entry dropped after 63 s) */
  uint32_t tcp_retries2;       /* data retransmissions before ETIMEDOUT (RFC 1122 R2); default 15 */
  uint32_t tcp_orphan_retries; /* FIN retransmissions of an orphaned (closed) socket, and zero-window
                                  probes (answered or not) before an orphan is aborted; default 8 */
  uint32_t tcp_max_orphans;    /* orphaned (closed, still sending) connections; beyond it a newly
                                  orphaned connection is reset (TCP_ORPHANS_RESET); default 256 */
  uint32_t tcp_rto_initial_ms; /* RFC 6298 §2.1: 1000 */
  uint32_t tcp_rto_min_ms;     /* default 200 (Linux) ; RFC 6298 says 1000 */
  uint32_t tcp_rto_max_ms;     /* default 120000 (freebsd preset: 64000, TCPTV_REXMTMAX) */
  uint32_t tcp_rto_slop_ms;    /* added to SRTT + 4 RTTVAR before the bounds (FreeBSD rexmit_slop);
                                  default 0 (freebsd preset: 200) */
  uint32_t tcp_msl_ms;         /* TIME-WAIT lasts 2*MSL; default 30000 */
  uint32_t tcp_fin_timeout_ms; /* orphaned FIN-WAIT-2 lifetime; default 60000 */
  uint32_t tcp_delack_ms;      /* delayed-ACK timer; default 40 */
  uint32_t tcp_syn_backlog;    /* SYN-queue bound per listener; default 256 */
  uint32_t tcp_max_backlog;    /* cap on listen()'s backlog; default 4096 */
  uint32_t tcp_keepalive_idle_s;  /* default 7200 */
  uint32_t tcp_keepalive_intvl_s; /* default 75 */
  uint32_t tcp_keepalive_probes;  /* default 9 */
  uint32_t tcp_challenge_ack_limit; /* RFC 5961 §7: challenge ACKs per second for the whole stack, each
                                       second's budget drawn in [limit/2, 3*limit/2); 0 = no bound;
                                       default 1000 */
  uint32_t tcp_invalid_ratelimit_ms; /* per connection: at most one ACK answering invalid segments
                                        (out of window, PAWS, challenge, TIME-WAIT, half-open) per
                                        period; segments with data or FIN exempt; default 500 */
  uint32_t tcp_initial_cwnd_segs;   /* RFC 6928: 10; 0 = RFC 3390's min(4*MSS, max(2*MSS, 4380)) */
  uint32_t tcp_ooo_max_bytes;  /* bound of the out-of-order queue per connection (bytes); 0 (default) = rcvbuf */
  uint32_t tcp_ooo_max_ranges; /* disjoint out-of-order ranges kept per connection (4..4096); default 64 */
  bool tcp_dsack;              /* RFC 2883 D-SACK blocks for duplicate data (with SACK); default true */
  uint16_t tcp_port_lo, tcp_port_hi; /* ephemeral range (RFC 6056); default 32768..60999 */
  bool tcp_sack;               /* default true */
  bool tcp_timestamps;         /* default true */
  bool tcp_window_scaling;     /* default true */
  synack_ecn_mode_t tcp_ecn;   /* RFC 3168 negotiation; default OFF (freebsd preset: PASSIVE, linux preset:
                                  PASSIVE, Linux's tcp_ecn=2) */
  bool tcp_timeout_linux;      /* Linux's timeouts (docs/linux-differences.md 71): TCP_USER_TIMEOUT cuts the
                                  retransmission and persist timers short so they fire when it runs out, and
                                  counts zero-window probing from the first probe, answered or not; a keepalive
                                  timeout sends a RST; default false (linux preset: true) */
  uint32_t tcp_min_pmtu;       /* IPv4 path MTU floor: a smaller "fragmentation needed" MTU is raised to it
                                  (68..576); default 576 (RFC 1122 §3.3.3), linux preset 552 (Linux's
                                  net.ipv4.route.min_pmtu; docs/linux-differences.md 73) */
  bool tcp_wnd_update_linux;   /* Linux's rule for taking the peer's window (tcp_may_update_window;
                                  docs/linux-differences.md 74): an ACK advancing SND.UNA or a newer segment,
                                  or the same SEG.SEQ with a larger or zero window; default false (RFC 9293
                                  §3.10.7.4's SND.WL1/SND.WL2 rule; linux preset: true) */
  bool tcp_syncookie_linux;    /* Linux's SYN cookies (docs/linux-differences.md 72): its MSS tables (536, 1300,
                                  1440, 1460; IPv6 1220, 1420, 1440, 8940) and, with timestamps, the SYN's ECN
                                  request kept in the TSval; default false (linux preset: true) */
  bool tcp_ecn_linux;          /* Linux's ECN choices (docs/linux-differences.md 69): a retransmitted SYN asks for
                                  ECN no more (tcp_ecn_fallback) and its timeout queues CWR for the first data;
                                  an ECT-marked ECN-setup SYN is answered without ECN; default false (linux
                                  preset: true) */
  synack_cc_algo_t tcp_cc;     /* default CUBIC (linux, freebsd presets); NEWRENO for the rfc preset */
  bool tcp_rack;               /* RFC 8985 RACK-TLP loss detection (needs SACK) instead of DupThresh; default true */
  bool tcp_frto;               /* RFC 5682 F-RTO: detect spurious retransmission timeouts; default true */
  bool tcp_prr;                /* RFC 6937 proportional rate reduction in SACK recovery; default true (rfc preset: false) */
  bool tcp_recovery_linux;     /* Linux's loss-recovery policies where the RFCs leave a choice (docs/linux-differences.md
                                  "Loss recovery"): PRR with RecoverFS = the cwnd before the reduction and Linux's
                                  per-segment arithmetic, CUBIC's ssthresh from cwnd (717/1024), one tail loss probe
                                  of one new segment, only in the open state with nothing SACKed; default false
                                  (linux preset: true) */
  bool tcp_idle_restart;       /* RFC 5681 §4.1: cwnd back to the restart window after an idle RTO; default true */
  uint32_t tcp_abc_limit;      /* RFC 3465 L: segments credited per ACK in slow start; default 2 (linux preset:
                                  UINT32_MAX, every segment acknowledged, as tcp_slow_start) */
  bool tcp_hystart;            /* RFC 9406 HyStart++ in the initial slow start (NewReno, CUBIC); default true
                                * (linux preset: true; rfc, freebsd presets: false) */
  bool tcp_pacing;             /* pace data segments at 200 % (slow start) / 120 % of cwnd/SRTT, as Linux's
                                * internal pacing (tcp_pacing.c); default false, every preset false
                                * (docs/loss-recovery.md); SYNACK_SO_MAX_PACING_RATE turns it on per socket */
  bool tcp_syncookies;         /* SYN cookies when the SYN queue is full (RFC 4987); default true */
  bool tcp_syncookies_always;  /* with tcp_syncookies: every SYN is answered with a cookie, no half-open entry
                                  (Linux's tcp_syncookies=2, FreeBSD's syncookies_only); default false */
  bool tcp_syn_data_drop;      /* data on a SYN without fast open is dropped at a listener (the SYN-ACK
                                  acknowledges the SYN only either way) instead of being held by the half-open
                                  entry and delivered with the handshake's ACK; default false (linux preset:
                                  true, as Linux) */
  bool tcp_syn_queue_linux;    /* Linux's SYN-queue bounds: full (cookies, else drop) once it holds more than
                                  the listen backlog; without cookies a SYN is also dropped when fewer than a
                                  quarter of tcp_syn_backlog places are left (tcp_conn_request); default false
                                  (linux preset: true): tcp_syn_backlog entries, then cookies or drop */
  bool tcp_abort_on_overflow;  /* RST instead of dropping the final ACK when the accept queue is full */
  bool tcp_rfc5961_rst;        /* RFC 5961 §3: RST only at RCV.NXT, challenge ACK in window; default true */
  bool tcp_rfc5961_syn;        /* RFC 5961 §4: SYN in a synchronized state → challenge ACK; default true */
  bool tcp_rfc5961_ack;        /* RFC 5961 §5: ACK acceptability check; default true */
  bool tcp_rfc1337;            /* RFC 1337: ignore RST in TIME-WAIT; default true */
  bool tcp_tw_reuse;           /* reuse a TIME-WAIT 4-tuple for connect() when timestamps prove it safe */
  bool tcp_tw_recycle_syn;     /* RFC 6191/RFC 9293: a new SYN may reopen TIME-WAIT; default true */
  bool tcp_drop_synfin;        /* drop SYN+FIN segments; default false */
  bool tcp_quickack_start;     /* ACK every segment during the first few (Linux quick-ACK); default true */
  bool tcp_isn_fixed;          /* teaching mode: ISN = 0 plus time (NOT RFC 6528); default false */
  bool tcp_timewait;           /* teaching mode: false skips TIME-WAIT entirely; default true */
  synack_opt_layout_t tcp_opt_layout; /* default LINUX */
  bool tcp_rcvbuf_round_mss;   /* FreeBSD: round the receive buffer up to a multiple of the MSS */
  synack_rcvwnd_policy_t tcp_rcvwnd; /* how the advertised window is chosen; default RFC (freebsd/linux presets: FREEBSD/LINUX) */
  bool tcp_fin_ack_now;        /* FreeBSD: ACK a FIN at once instead of after the delayed-ACK wait */
  bool tcp_fin_ack_linux;      /* Linux: a FIN is ACKed at once when no data has arrived yet (the delayed-ACK
                                  timeout is still 0), else after the delayed-ACK wait even in quick-ACK mode
                                  (the FIN ends it); default false (linux preset: true) */
  uint32_t tcp_synsent_badack_rtx_ms; /* Linux: an unacceptable ACK in SYN-SENT (answered by a RST), while the
                                  SYN has not been retransmitted, brings the SYN's retransmission to this
                                  many ms later: the RST cleared the peer's old connection (Linux:
                                  TCP_TIMEOUT_MIN, 2 jiffies); 0 = the RTO stays (default; linux preset: 8) */
  bool tcp_noack_drop;         /* Linux: in a synchronized state (TIME-WAIT aside) a segment with none of ACK,
                                  SYN, RST is dropped before the sequence check: no ACK answers it even out
                                  of the window; default false (linux preset: true) */
  bool tcp_ack_check_acked;    /* Linux: RFC 5961 §5.2's old-ACK range reaches back min(MAX.SND.WND, the
                                  sequence space acknowledged so far) below SND.UNA, not MAX.SND.WND:
                                  an ACK of what was never sent gets a challenge ACK; default false
                                  (linux preset: true) */
  bool tcp_listen_drop_synack; /* FreeBSD: a SYN-ACK at a listener is dropped silently (RFC 9293: RST) */
  bool tcp_simopen_keep_data;  /* FreeBSD: text on a crossing SYN (simultaneous open) is held and delivered
                                  at ESTABLISHED (RFC 9293 §3.10.7.3 "queue"); default false: dropped, as Linux */
  bool tcp_delack_every_second; /* FreeBSD: ACK every second segment whatever its size */
  /* TCP Fast Open (RFC 7413; src/core/tcp_fastopen.c). tcp_fastopen holds Linux's
   * net.ipv4.tcp_fastopen bits (SYNACK_TFO_*); default SYNACK_TFO_CLIENT, as Linux. */
  uint32_t tcp_fastopen;
  uint32_t tcp_md5_max_keys;   /* TCP_MD5SIG keys one socket may hold (104 B each); default 32 */
  uint32_t tcp_ao_max_keys;    /* TCP-AO keys one socket may hold (164 B each); default 32 */
  uint32_t tcp_fastopen_cache_bytes; /* client cookie cache (one entry per destination address, 48 B
                                        each, least recently used replaced); default 4096 (85 entries) */
  bool tcp_fastopen_exp;       /* client: cookie option in the experimental form (kind 254, magic
                                  0xF989) instead of kind 34; default false. A server answers in the
                                  form the SYN used. */
  bool tcp_fastopen_key_set;   /* the server's cookie key is tcp_fastopen_key (Linux's
                                  net.ipv4.tcp_fastopen_key) instead of the stack's TFO purpose key */
  uint8_t tcp_fastopen_key[16];
  /* Linux policies (docs/linux-differences.md); all false by default, true in the linux preset. */
  bool tcp_simopen_synack_opts; /* the SYN-ACK of a simultaneous open repeats every option of our SYN
                                   (RFC 7323 §2.2 / RFC 2018 §2: only those the peer's SYN had) */
  bool tcp_synrcvd_plain_ack;   /* SYN-RECEIVED answers an unacceptable segment with a plain ACK
                                   (RFC 9293 §3.10.7.4 "send an acknowledgment"), not the SYN-ACK again */
  bool tcp_synrcvd_syn_rst;     /* a SYN in the window of a half-open entry is answered by a RST and the
                                   entry dropped (RFC 793 §3.9), not RFC 5961 §4.2's challenge ACK */
  bool tcp_rst_errors_linux;    /* errors of an accepted RST as Linux reports them: ECONNRESET in SYN-RECEIVED
                                   (not ECONNREFUSED), EPIPE in CLOSE-WAIT, and read() returns end of file
                                   before the pending error once the peer's FIN is in */
  bool tcp_rst_at_fin;          /* in CLOSE-WAIT, CLOSING, LAST-ACK a RST at RCV.NXT - 1 (the peer's FIN) resets */
  bool tcp_tw_rst_exact;        /* with RFC 5961 §3 on: in TIME-WAIT a RST counts only at exactly RCV.NXT; any
                                   other RST is dropped without an answer (no challenge ACK) */
  bool tcp_listen_drop_synfin;  /* a listener drops a SYN+FIN silently (also one a TIME-WAIT entry handed over,
                                   which then ends), where RFC 9293 answers the SYN */
  uint32_t tcp_syn_linear_timeouts; /* SYN-SENT: the first N retransmissions of the SYN keep the initial RTO
                                   (no doubling), as Linux's net.ipv4.tcp_syn_linear_timeouts; default 0
                                   (linux preset: 4) */
  bool tcp_syn_timeout_model;   /* SYN-SENT gives up once (2^(tcp_syn_retries+1) - 1) initial RTOs (each
                                   doubling capped at tcp_rto_max_ms) have passed since the first SYN, as
                                   Linux's tcp_model_timeout, instead of after tcp_syn_retries
                                   retransmissions; default false (linux preset: true) */
  bool tcp_dup_syn_rearm;       /* the SYN-ACK answering a repeated SYN is no step of the half-open entry's
                                   schedule: the timer restarts with the current timeout, not doubled, and
                                   it does not count toward tcp_synack_retries (Linux's inet_rtx_syn_ack);
                                   default false (linux preset: true) */
  bool tcp_tw_socket_handoff;   /* a SYN (no ACK) for a connection in TIME-WAIT whose socket is still held moves
                                   the connection to a compact TIME-WAIT entry (the socket reads CLOSED) and is
                                   judged there, so a newer SYN reaches the listener, as on Linux; default false
                                   (linux preset: true) */
  bool tcp_seq_end_at_rcv_nxt;  /* a segment with text or FIN whose end (SEG.SEQ + SEG.LEN) is exactly RCV.NXT
                                   is acceptable: its ACK field is processed and the old text dropped
                                   (RFC 9293 §3.10.7.4 needs its last octet in the window) */
  bool tcp_orphan_rst_reply;    /* data for a closed socket is answered by <SEQ=SEG.ACK><CTL=RST> (no ACK),
                                   not by the connection's RST,ACK from SND.NXT */
  bool tcp_shut_rd_keeps_data;  /* shutdown(SHUT_RD) leaves data readable (queued and arriving; end of file
                                   once none is left), instead of discarding it */
  bool tcp_sack_fin;            /* a SACK block ending at an out-of-order FIN covers the FIN too */
  bool tcp_synack_text_drop;    /* text and FIN on a SYN-ACK in SYN-SENT are discarded (the peer sends them
                                   again), not processed at the sixth step (RFC 9293 §3.10.7.3) */
  bool tcp_icmp_open_abort;     /* any ICMP destination unreachable or time exceeded quoting our SYN ends an
                                   opening connection (SYN-SENT, SYN-RECEIVED after a simultaneous open) at
                                   once with its error, as Linux's tcp_v4_err/tcp_v6_err; otherwise only port
                                   and protocol unreachable and administratively prohibited do, the others
                                   being soft errors (RFC 1122 §4.2.3.9, RFC 5461 §4) */
  bool tcp_seq_right_edge;      /* Linux's right edge: a segment starting exactly at RCV.NXT + RCV.WND is
                                   acceptable (its ACK field and a RST count; text and FIN beyond the window are
                                   dropped with an immediate ACK), and text reaching beyond the window is
                                   unacceptable while unread data or FIN waits for the application (RFC 9293
                                   §3.10.7.4: the edge is outside, the part beyond it trimmed) */
  /* Sender and ACK policies learned from Linux (docs/linux-differences.md, "Sender and ACK
   * policies"); all default false (linux preset: true). */
  bool tcp_nagle_minshall;      /* Nagle as Minshall's variant (Linux's tcp_minshall_check): a small segment
                                   waits only while an earlier small segment is unacknowledged, not while any
                                   data is (RFC 9293 §3.7.4) */
  bool tcp_psh_tso;             /* PSH also on the last segment of each burst Linux would send as one TSO/GSO
                                   packet of two or more segments (tcp_tso_autosize; tcp_output.c) */
  uint32_t tcp_min_tso_segs;     /* with tcp_psh_tso: the fewest segments of such a burst (Linux's
                                   net.ipv4.tcp_min_tso_segs, default 2; 1 lets a slow flow send single
                                   segments, PSH only at the end of a write) */
  bool tcp_cwnd_limited;        /* cwnd grows only while the sender is cwnd-limited (Linux's
                                   tcp_is_cwnd_limited: in slow start while cwnd < 2 x the most in flight) */
  bool tcp_probe0_old_ack;      /* a zero-window probe is an ACK from SND.UNA - 1 without data (Linux's
                                   tcp_xmit_probe_skb), not a byte beyond the window, and each ACK that
                                   leaves the window closed restarts the probe timer (tcp_ack_probe) */
  bool tcp_sockbuf_double;      /* SO_RCVBUF / SO_SNDBUF set by the application read back doubled (at least
                                   2304 / 4608), as Linux reports them */
  bool tcp_quickack_linux;      /* quick-ACK mode as Linux's tcp_incr_quickack: min(16, window / (2 x the
                                   segment size estimate)) ACKs, entered again after an RTO of silence */
  bool tcp_api_linux;           /* the socket calls answer as Linux's do where POSIX leaves a choice: send() on a
                                   socket never connected, or listening, is EPIPE (else ENOTCONN); the first
                                   connect() after a non-blocking one completed returns 0, then EISCONN (else
                                   EISCONN at once); shutdown(SHUT_WR) of a listener is 0 (else ENOTCONN);
                                   SO_LINGER n > 0 never ends in a RST (else a FIN unacknowledged n s
                                   after close() does); default false (linux preset: true;
                                   docs/linux-differences.md) */
  bool tcp_delack_linux;        /* Linux's delayed-ACK engine (tcp_ackpolicy.c): pingpong (interactive) mode
                                   entered when the application sends within "ato" of receiving and left
                                   when a delayed ACK's timer fires (no quick ACKs meanwhile), ato adapting
                                   to the arrival gaps (40 ms up to the RTO), the timer bounded by the RTT,
                                   TCP_QUICKACK as "not pingpong", the segment size estimate learning small
                                   segments; default false (linux preset: true) */
  uint32_t tcp_sndbuf_linux;    /* SO_SNDBUF reads back Linux's sk_sndbuf when the application did not set it:
                                   this value (Linux's tcp_wmem[1]) until the connection is established,
                                   then 2 x max(10, cwnd) x Linux's memory per segment, grown again only
                                   after a write found the buffer full (tcp_sndbuf_expand); what a write
                                   accepts stays tcp_sndbuf's rule. 0 (default): the buffer's capacity;
                                   linux preset: 16384 */
  bool csum_offload_tx;        /* do not compute TCP/UDP checksums on output (memory link option) */
  bool csum_offload_rx;        /* trust incoming checksums (memory link/GSO "data valid") */

  /* ---- Hooks ---- */
  /* Secrets. A stack needs one of the two: `random` (a real source, e.g. synack_random_os), or
   * the explicit opt-in `insecure_deterministic`, under which `seed` alone determines every
   * secret: ISNs, SYN cookies, ephemeral ports and hash keys become computable by anyone who
   * knows the seed. That is what the simulator, scripts and tests want (exact replay) and what a
   * stack facing a real network must never use. Neither set: synack_stack_new refuses. */
  synack_random_fn random;     /* default NULL */
  void *random_user;
  bool insecure_deterministic; /* default false; set by synack_config_deterministic() */
  uint64_t seed;               /* used only with insecure_deterministic */
  /* NULL (default: the master secret is drawn from `random` or derived from `seed`), or
   * SYNACK_SHARED_SECRET_LEN bytes used as the master secret every key derives from (ISNs, SYN
   * cookies, port offsets, hash keys). For stacks that share one address and port, one per
   * queue of a device (the AF_XDP driver): a SYN cookie sent by one validates on any other.
   * Read only by synack_stack_new and not kept (synack_stack_config() returns NULL here). */
  const uint8_t *shared_secret;
  synack_trace_fn trace;       /* NULL = tracing off (costs one branch) */
  void *trace_user;
  synack_allocator_t allocator; /* alloc NULL = libc calloc/free */
  const char *name;            /* for traces ("client", "server") */
} synack_config_t;

/* Fills cfg with the defaults documented above. */
SYNACK_API void synack_config_default(synack_config_t *cfg);
/* Opts cfg in to predictable secrets derived from seed alone (reproducible runs: simulator,
 * scripts, tests). Never for a stack on a real network; see the Secrets fields above. */
SYNACK_API void synack_config_deterministic(synack_config_t *cfg, uint64_t seed);
/* Why synack_stack_new would refuse cfg, as one sentence, or NULL when it is acceptable. */
SYNACK_API const char *synack_config_problem(const synack_config_t *cfg);
/* Applies a named preset on top of cfg: "rfc", "linux", "freebsd". Returns 0 or -SYNACK_EINVAL. */
SYNACK_API int synack_config_preset(synack_config_t *cfg, const char *name);

#ifdef __cplusplus
}
#endif
#endif
