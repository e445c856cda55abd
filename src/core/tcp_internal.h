/* TCP's internal objects and the functions the tcp_*.c files share.
 *
 * Three kinds of objects live in the connection hash (tcp_demux.c), all starting with a
 * synack_tcp_node_t:
 *   - synack_tcb_t       a full connection (socket, accept-queue child or orphan);
 *   - synack_halfopen_t  a passive open in SYN-RECEIVED (≤128 bytes, tcp_listen.c);
 *   - synack_timewait_t  a connection in TIME-WAIT whose socket is gone (≤128 bytes, tcp_timewait.c).
 * Listeners (synack_listener_t) hang off their LISTEN TCB and sit in a small hash by port.
 * Every sequence number is a synack_seq_t (seq.h).
 */
#ifndef SYNACK_TCP_INTERNAL_H
#define SYNACK_TCP_INTERNAL_H

#include <string.h>

#include "seq.h"
#include "stack_internal.h"
#include "tcp_sack.h"
#include "tcp_ooo.h"

/* ---------- timer kinds (SYNACK_TK_TCP_FIRST..LAST) ---------- */
enum {
  SYNACK_TK_TCP_RTX = SYNACK_TK_TCP_FIRST, /* TCB: SYN/data/FIN retransmission, window probe */
  SYNACK_TK_TCP_DELACK,                    /* TCB: delayed ACK */
  SYNACK_TK_TCP_KEEP,                      /* TCB: keepalive, orphan FIN-WAIT-2, held TIME-WAIT */
  SYNACK_TK_TCP_HALFOPEN,                  /* half-open entry: SYN-ACK retransmission */
  SYNACK_TK_TCP_TIMEWAIT,                  /* TIME-WAIT entry: 2*MSL */
  SYNACK_TK_TCP_PACE,                      /* TCB: the next paced data segment may leave (tcp_pacing.c) */
};

/* ---------- the 4-tuple and the hashed node ---------- */
typedef struct {
  uint8_t laddr[16], raddr[16];
  uint16_t lport, rport;
  uint8_t family; /* SYNACK_AF_INET or SYNACK_AF_INET6 */
} synack_tuple_t;

/* The tuple of a received segment or datagram: local = its destination. Cleared first, so the
 * padding byte is zero too. */
static inline void synack_tuple_rx(synack_tuple_t *t, const synack_ip_t *src, const synack_ip_t *dst,
                                   uint16_t sport, uint16_t dport) {
  memset(t, 0, sizeof *t);
  t->family = dst->family;
  memcpy(t->laddr, dst->b, 16);
  memcpy(t->raddr, src->b, 16);
  t->lport = dport;
  t->rport = sport;
}

typedef enum { SYNACK_NODE_TCB = 1, SYNACK_NODE_HALFOPEN, SYNACK_NODE_TIMEWAIT } synack_node_kind_t;

typedef struct synack_tcp_node {
  struct synack_tcp_node *hnext;
  synack_tuple_t t;
  uint8_t kind; /* synack_node_kind_t */
} synack_tcp_node_t;

/* ---------- byte rings (tcp_buf.c) ---------- */
/* Socket buffers hold their bytes in chunks of SYNACK_CHUNK bytes taken from the stack's
 * bufcache as data arrives and given back as it leaves, so a connection holds memory for the
 * bytes it holds, not for its configured size (issue 14 §1). `c` is a circular table of chunk
 * pointers: logical byte x (counted from the oldest byte) lives in chunk (first + (off + x) /
 * SYNACK_CHUNK) % nc. A buffer that holds nothing has no table and no chunk. */
#define SYNACK_CHUNK 4096u
typedef struct {
  uint8_t **c;     /* chunk table (NULL while nothing is held) */
  uint16_t nc;     /* table entries */
  uint16_t first;  /* entry of the chunk holding the oldest byte */
  uint16_t off;    /* offset of the oldest byte in that chunk */
  uint16_t held;   /* chunks allocated */
} synack_chunks_t;

typedef struct {
  synack_chunks_t q;
  uint32_t cap;   /* capacity (SO_SNDBUF) */
  uint32_t len;   /* bytes queued from SND.UNA on (sent or not) */
} synack_sndbuf_t;

/* Receive ring: `len` in-order bytes wait for the application; out-of-order bytes are
 * written straight to their place after them and remembered as sequence ranges (tcp_ooo.h),
 * from which the SACK blocks are built. */
typedef struct {
  synack_chunks_t q;
  uint32_t cap;         /* SO_RCVBUF (or what autotuning reached): what the window offers at most */
  uint32_t slack;       /* extra bytes for scaled-window rounding (tcp_rcvwnd.c); room = cap + slack */
  uint32_t len;
  uint32_t gen;         /* counts chunk releases: a fast-path placement is still in place only
                           if no chunk went away since (tcp_input.c, tcp_rcv.c) */
  synack_ooo_t ooo;     /* out-of-order ranges (storage allocated on first use) */
  synack_sackgen_t sg;  /* SACK block recency and pending D-SACK */
} synack_rcvbuf_t;

/* ---------- the TCB ---------- */
enum {
  TF_BOUND = 1u << 0,       /* local address/port chosen */
  TF_REUSEADDR = 1u << 1,
  TF_KEEPALIVE = 1u << 2,
  TF_NODELAY = 1u << 3,
  TF_NOOPT = 1u << 4,       /* no options on our SYN */
  TF_ORPHAN = 1u << 5,      /* the application closed its handle */
  TF_FIN_QUEUED = 1u << 6,  /* our FIN is due at fin_seq (close/shutdown(WR)) */
  TF_RCVD_FIN = 1u << 7,    /* the peer's FIN was processed (rcv_nxt counts it) */
  TF_SHUT_RD = 1u << 8,
  TF_ACK_NOW = 1u << 9,     /* send an ACK at the next output */
  TF_ACK_DELAYED = 1u << 10,/* an ACK is owed; the delayed-ACK timer runs */
  TF_TS_OK = 1u << 11,
  TF_SACK_OK = 1u << 12,
  TF_WS_OK = 1u << 13,
  TF_PENDING = 1u << 14,    /* on the flush list (transmit ring was full) */
  TF_HASHED = 1u << 15,
  TF_PASSIVE = 1u << 16,    /* created by a listener */
  TF_MORE = 1u << 17,       /* MSG_MORE: hold a partial segment */
  TF_OOO_FIN = 1u << 18,    /* a FIN arrived beyond a gap, at ooo_fin_seq */
  TF_IN_AQ = 1u << 19,      /* queued on a listener's accept queue */
  TF_CONNECTED = 1u << 20,  /* CONNECTED was reported (or the socket was accepted) */
  TF_RTT_TIMING = 1u << 21, /* rtt_seq/rtt_time time one segment (Karn) */
  TF_SYN_DATA_SEEN = 1u << 22,
  TF_WINPROBE = 1u << 23,   /* next output may send one byte beyond a zero window */
  TF_PORT_INDEXED = 1u << 24, /* in the per-port bind index (tcp_port.c) */
};
/* Flags past bit 24 are 64-bit constants (an enum constant must fit an int). */
#define TF_CORK (UINT64_C(1) << 25)       /* TCP_CORK: hold partial segments (tcp_sndctl.c) */
#define TF_INQ (UINT64_C(1) << 26)        /* TCP_INQ: recvmsg reports the bytes left */
#define TF_PUSH_HELD (UINT64_C(1) << 27)  /* the cork timer fired: one held partial segment may go */
#define TF_URG_MODE (UINT64_C(1) << 28)   /* urgent data sent, not yet acknowledged: snd_up is valid (tcp_urg.c) */
#define TF_OOBINLINE (UINT64_C(1) << 29)  /* SO_OOBINLINE */
#define TF_REUSEPORT (UINT64_C(1) << 30)  /* SO_REUSEPORT: may share a listening port (tcp_port.c, tcp_demux.c) */
#define TF_V6ONLY (UINT64_C(1) << 31)     /* IPV6_V6ONLY: an AF_INET6 listener takes no IPv4 */
#define TF_MAPPED (UINT64_C(1) << 32)     /* an IPv4 connection of an AF_INET6 socket: shown as ::ffff:a.b.c.d */
#define TF_RCVBUF_LOCK (UINT64_C(1) << 33) /* SO_RCVBUF was set: no autotuning (tcp_rcvtune.c) */
#define TF_SNDBUF_NOSPACE (UINT64_C(1) << 42) /* cfg.tcp_sndbuf_linux: a write found the send buffer full
                                                (Linux's SOCK_NOSPACE; tcp_mem.c) */
#define TF_SAVE_SYN (UINT64_C(1) << 36)  /* TCP_SAVE_SYN: children keep their SYN's headers (tcp_listen.c) */
#define TF_BROADCAST (UINT64_C(1) << 46)  /* SO_BROADCAST: kept and reported, no effect on TCP (as Linux) */
#define TF_SNDBUF_LOCK (UINT64_C(1) << 48) /* SO_SNDBUF was set: no sizing from cwnd (tcp_mem.c) */
#define TF_NOSPACE (UINT64_C(1) << 41)    /* a write found the send buffer full; cleared when it has room
                                             again (Linux's SOCK_NOSPACE; tcp_chrono.c) */
#define TF_EOF_READ (UINT64_C(1) << 39)   /* the application has read up to the peer's FIN (tcp_api.c) */
#define TF_CWND_LIMITED (UINT64_C(1) << 37) /* cfg.tcp_cwnd_limited: cwnd was the limit in the current window */
#define TF_CONNECTING (UINT64_C(1) << 38) /* connect() answered EINPROGRESS and has not yet reported the outcome
                                             (cfg.tcp_api_linux: the next connect() returns 0 once) */

/* Record ends (MSG_EOR) in the send ring not yet acknowledged, in sequence order; a segment
 * never spans one (tcp_sndctl.c). Storage allocated with the first mark. */
typedef struct {
  synack_seq_t *v;
  uint32_t n, cap;
} synack_eor_t;

/* synack_tcb.syn_offer: what our SYN offered, kept across a simultaneous open. */
enum { SYN_OFFER_SET = 1u << 0, SYN_OFFER_TS = 1u << 1, SYN_OFFER_SACK = 1u << 2, SYN_OFFER_WS = 1u << 3 };

typedef struct synack_listener synack_listener_t;
typedef struct synack_tcb synack_tcb_t;

/* TCP MD5 signature keys (tcp_md5sig.c, RFC 2385): one key, and a socket's bounded set. */
typedef struct synack_md5_key {
  synack_ip_t addr;   /* peer address (IPv4 as the family says), bits past prefixlen zero */
  uint8_t prefixlen;  /* 32 / 128 for one address */
  uint8_t keylen;
  uint8_t key[SYNACK_TCP_MD5SIG_MAXKEYLEN];
} synack_md5_key_t;
typedef struct synack_md5_keys {
  uint32_t n, cap;
  synack_md5_key_t k[]; /* allocated for cap */
} synack_md5_keys_t;

/* TCP-AO (tcp_ao.c, RFC 5925): a Master Key Tuple (§3.1) and, on a connection, the traffic
 * keys derived from it for the ISNs beside them (§5.2; 20 bytes hold either algorithm's). */
typedef struct synack_ao_mkt {
  synack_ip_t addr;  /* peers: bits past prefixlen zero */
  uint8_t prefixlen, sndid, rcvid, alg, keyflags, keylen;
  uint8_t tx_ok, rx_ok; /* tx_key / rx_key hold the keys for tx_isn / rx_isn */
  uint8_t key[SYNACK_TCP_AO_MAXKEYLEN];
  uint32_t tx_isn[2], rx_isn[2]; /* source ISN, destination ISN of the context */
  uint8_t tx_key[20], rx_key[20];
} synack_ao_mkt_t;
/* A socket's TCP-AO keys and, once it has a peer (conn), the connection's AO state. Bounded by
 * cfg.tcp_ao_max_keys; allocated only for a socket that has keys. */
typedef struct synack_ao {
  uint32_t n, cap;
  bool conn;          /* one connection's keys: the tuple is fixed, traffic keys are cached */
  bool cur_set, rnext_set; /* the user chose current / rnext (else: the first key, its rcvid) */
  bool snd_ref, rcv_ref; /* snd_* / rcv_* below hold a reference (else: the ISN, SNE 0) */
  uint8_t cur_id;     /* sndid of the key we sign with */
  uint8_t rnext_id;   /* RNextKeyID we send (rcvid of the key we ask the peer to use) */
  uint8_t peer_rnext; /* the RNextKeyID the peer sent last */
  /* RFC 5925 §6.2 sequence number extensions: the segment at *_sne_seq had SNE *_sne. */
  uint32_t isn_l, isn_r; /* a TIME-WAIT entry's copy: the connection's ISS and IRS */
  uint32_t snd_sne, rcv_sne;
  synack_seq_t snd_sne_seq, rcv_sne_seq;
  uint64_t good, bad, key_not_found, required; /* synack_tcp_ao_info_t */
  synack_ao_mkt_t k[]; /* allocated for cap */
} synack_ao_t;
/* How one outgoing segment is signed (tcp_ao.c): the key, the ISNs of the traffic-key context
 * (ours, the peer's; a SYN without ACK uses 0 for the peer's), an SNE reference and the
 * RNextKeyID. */
typedef struct synack_ao_tx {
  synack_ao_mkt_t *mkt;
  bool cache;         /* the key is a connection's: keep the derived traffic key */
  uint8_t rnext;
  uint32_t isn_l, isn_r;
  uint32_t sne;
  synack_seq_t sne_seq;
} synack_ao_tx_t;

struct synack_tcb {
  synack_tcp_node_t node; /* first: the hash sees TCBs as nodes */
  int sock;               /* handle, or -1 */
  synack_tcp_state_t state;
  uint64_t flags;         /* TF_* */
  synack_listener_t *lst;     /* LISTEN: the listener */
  synack_listener_t *parent;  /* accept queue this child waits in */
  synack_tcb_t *aq_next;
  synack_tcb_t *pend_next;
  synack_tcb_t *pnext;        /* per-port bind index chain (tcp_port.c) */
  synack_md5_keys_t *md5;     /* TCP_MD5SIG keys (tcp_md5sig.c), NULL when none */
  synack_ao_t *ao;            /* TCP-AO keys and state (tcp_ao.c), NULL when none */
  synack_tcb_t **pprev;       /* the pointer to this TCB in that chain: O(1) unlink */

  /* RFC 9293 §3.3.1 send sequence variables (snd_max: highest sequence sent, for go-back-N). */
  synack_seq_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
  synack_seq_t snd_buf_seq;   /* sequence number of the send ring's first byte */
  synack_seq_t fin_seq;       /* sequence number of our FIN (TF_FIN_QUEUED) */
  uint32_t snd_wnd, max_snd_wnd;
  /* Receive sequence variables. */
  synack_seq_t irs, rcv_nxt, rcv_adv, last_ack_sent, ooo_fin_seq;
  uint8_t snd_wscale, rcv_wscale;
  uint16_t snd_mss, rcv_mss, user_mss, peer_mss;
  uint16_t rcv_seg_max; /* receiver's estimate of a full-sized segment from the peer (tcp_ackpolicy.c) */

  /* Timestamps (RFC 7323). */
  uint32_t ts_recent, ts_recent_s, ts_offset;

  /* RTO (RFC 6298, tcp_rto.c). */
  uint32_t srtt_us, rttvar_us, rto_us;
  uint32_t backoff, retransmits;
  synack_seq_t rtt_seq;
  synack_time_t rtt_time, rtx_start;
  synack_time_t syn_at; /* connect(): when the first SYN left (cfg.tcp_syn_timeout_model counts from it) */
  /* Congestion control (tcp_cc.h): the algorithm and its private state. */
  uint32_t cwnd_bytes, ssthresh_bytes;
  /* Loss recovery and the SACK scoreboard (tcp_sack.h, tcp_recovery.c). */
  synack_sndrec_t rec;
  const struct synack_cc_ops *cc;
#define SYNACK_CC_PRIV_BYTES 88
  uint64_t cc_priv[SYNACK_CC_PRIV_BYTES / 8];

  synack_sndbuf_t sb;
  synack_rcvbuf_t rb;
  uint32_t rcvbuf_cap; /* requested SO_RCVBUF */
  /* Receive-buffer autotuning (tcp_rcvtune.c): bytes read by the application in the RTT that
   * began at rcvq_time (when bytes_read was rcvq_copied), and the most read in one RTT so far. */
  uint64_t bytes_read, rcvq_copied;
  synack_time_t rcvq_time;
  uint32_t rcvq_space;
  /* cfg.tcp_rcvwnd LINUX (tcp_rcvwnd.c), Linux's names: the full space the window may offer
   * (tcp_full_space), window_clamp, rcv_ssthresh and the last window chosen (rcv_wnd), in
   * bytes; lx_full 0 until the first window after the SYN is chosen. */
  uint32_t lx_full, lx_clamp, lx_ssthresh, lx_wnd;

  synack_timer_t t_rtx, t_delack, t_keep;
  synack_timer_t t_pace;      /* pacing: armed while a data segment waits for its departure time */
  synack_time_t last_rcv;
  /* TCP_KEEPIDLE / KEEPINTVL / KEEPCNT set on the socket; 0 = the stack's current
   * cfg.tcp_keepalive_* (read when used, so a changed default reaches the connection). */
  uint32_t keep_idle_s, keep_intvl_s, keep_cnt, keep_probes;
  uint32_t user_timeout_ms;
  int linger_s;
  uint32_t rcvtimeo_ms, sndtimeo_ms; /* SO_RCVTIMEO / SO_SNDTIMEO, kept for the application */
  uint8_t defer_accept; /* TCP_DEFER_ACCEPT as Linux keeps it: SYN-ACK timeouts (tcp_listen.c) */
  uint32_t user_clamp;  /* TCP_WINDOW_CLAMP in bytes, 0 = none (tcp_rcvwnd.c) */
  uint8_t *saved_syn;   /* TCP_SAVED_SYN: the SYN's IP and TCP headers until read, or NULL */
  uint8_t saved_syn_len;
  int so_error;   /* pending error (SO_ERROR), negative */
  int soft_error; /* RFC 1122 soft error, reported at timeout */
  uint32_t oow_last_ms; /* last answer to an invalid segment (tcp_check.c), ms + 1, 0 = never */
  uint32_t rcv_unacked_segs, rcv_unacked_bytes;
  uint8_t quickack_left, ttl, tos;
  uint8_t lx_pushed; /* cfg.tcp_quickack_linux: a segment smaller than the size estimate arrived
                        since the last ACK (Linux's ICSK_ACK_PUSHED, bit 1; a second one: PUSHED2,
                        bit 2; tcp_ackpolicy.c) */
  /* cfg.tcp_delack_linux (tcp_ackpolicy.c), Linux's icsk_ack fields: pingpong mode, the
   * delayed-ACK timeout estimate (µs; 0 until the first data segment) and the size of the last
   * small segment that may become the segment size estimate (last_seg_size). */
  uint8_t lx_pingpong;
  uint32_t lx_sndbuf; /* cfg.tcp_sndbuf_linux: Linux's sk_sndbuf once expanded (0: not yet; tcp_mem.c) */
  uint16_t lx_last_seg;
  uint32_t lx_ato;
  uint16_t syn_held;      /* cfg.tcp_simopen_keep_data: bytes of a crossing SYN's text placed in the
                             ring after RCV.NXT, committed at ESTABLISHED (tcp_input.c) */
  uint8_t ecn;            /* SYNACK_ECN_* (tcp_ecn.c, RFC 3168) */
  uint8_t tfo;            /* SYNACK_TFOF_* (tcp_fastopen.c, RFC 7413) */
  uint8_t tfo_fail;       /* SYNACK_TFO_FAIL_*: why our fast open fell back (tcp_info) */
  uint32_t tfo_qlen;      /* TCP_FASTOPEN on a listening socket: most pending fast open children */
  /* cfg.tcp_simopen_synack_opts: the options our SYN offered (SYN_OFFER_*) and its window
   * scale, repeated by the SYN-ACK of a simultaneous open; 0 otherwise. */
  uint8_t syn_offer, syn_offer_ws;
  synack_time_t last_send_us; /* when data was last sent (RFC 5681 §4.1 idle restart) */
  /* Pacing (tcp_pacing.c): earliest departure of the next data segment in nanoseconds, the
   * SO_MAX_PACING_RATE cap (bytes/s, UINT32_MAX = none), data segments sent (the first ten go
   * unpaced), and whether this socket paces (cfg.tcp_pacing or the option was set). */
  uint64_t pace_next_ns;
  uint32_t pace_max_rate;
  uint32_t pace_data_segs;
  bool pace_on;

  /* Sending control (tcp_sndctl.c): TCP_NOTSENT_LOWAT (0 = off), SO_RCVLOWAT (≥ 1), MSG_EOR. */
  uint32_t notsent_lowat, rcvlowat;
  synack_eor_t eor;
  /* Urgent data (tcp_urg.c): SND.UP (the byte after the urgent data we sent), the peer's urgent
   * byte (its sequence number) and what became of it (SYNACK_URG_*). */
  synack_seq_t snd_up, rcv_up;
  uint8_t urg_state;

  /* Sender and ACK policies of the linux profile (docs/linux-differences.md, "Sender and ACK
   * policies"), Linux's names: snd_sml, the end of the last small segment sent (Minshall's
   * Nagle); pushed_seq, the end of the last segment marked PSH for a write (forced_push); max_packets_out (in bytes) and cwnd_usage_seq (tcp_cwnd_validate); the segments
   * left in the current TSO-sized burst and its size (PSH placement, tcp_output.c); when data
   * last arrived before this segment, plus 1 (0: none yet; quick-ACK, tcp_ackpolicy.c). */
  synack_seq_t snd_sml, cwnd_usage_seq, pushed_seq;
  uint32_t max_flight;
  uint16_t tso_left, tso_size;
  synack_time_t lx_lrcv;

  uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
  uint32_t segs_in, segs_out, total_retrans;
  uint32_t data_segs_in, data_segs_out, rcv_ooopack; /* tcp_info (Linux's names) */
  synack_time_t last_data_rcv;                       /* when data last arrived (tcpi_last_data_recv) */
  /* Loss-recovery events of this connection (synack_tcp_info). */
  uint32_t rtos, tlps, tlp_recoveries, undos, spurious_retrans, reord_seen;
  /* More tcp_info accounting, Linux's names (tcp_info.c, tcp_chrono.c): segments delivered
   * (the SYN or SYN-ACK counts one) and those delivered with ECN-Echo, RTO episodes and the
   * time spent in them (rto_stamp: the current one began then, plus 1; 0 none), and the
   * chronograph of why the sender was busy (SYNACK_CHRONO_*: the current reason, since when,
   * and the time accumulated per reason). */
  uint32_t delivered, delivered_ce, total_rto_recoveries;
  synack_time_t rto_stamp;
  uint64_t total_rto_time_us;
  uint8_t chrono_type;
  synack_time_t chrono_start;
  uint64_t chrono_us[3];
  /* The error queue (tcp_errqueue.c): MSG_ZEROCOPY completions and SO_TIMESTAMPING reports;
   * NULL until the socket turns either on. */
  struct synack_errq *errq;
};

/* ---------- listener and half-open entries (tcp_listen.c) ---------- */
typedef struct synack_halfopen synack_halfopen_t;
struct synack_halfopen {
  synack_tcp_node_t node;
  synack_timer_t timer;
  synack_listener_t *lst;
  synack_halfopen_t *prev, *next; /* the listener's SYN queue */
  synack_seq_t iss, irs;
  uint32_t ts_recent;
  uint32_t oow_last_ms; /* last answer to an invalid segment (tcp_check.c) */
  uint16_t peer_mss;
  uint8_t snd_wscale : 4; /* peer's shift (at most 14) */
  uint8_t ecn : 1;    /* RFC 3168: ECN-setup SYN accepted (SYN-ACK carries ECE) */
  uint8_t opt : 4;    /* HO_* */
  uint8_t retries : 4;
  uint8_t has_data : 1; /* data came on the SYN: held in syn_data[] until the handshake completes */
  uint8_t tw_reopen : 1; /* the SYN reopened a TIME-WAIT entry, suspended until this handshake
                            completes (released) or proves the SYN old (back to TIME-WAIT) */
  uint8_t has_saved : 1;  /* TCP_SAVE_SYN: after the held data, a length byte and the SYN's
                             IP and TCP headers */
  uint8_t defer_acked : 1; /* TCP_DEFER_ACCEPT: a bare final ACK came and was dropped (Linux's
                              inet_rsk(req)->acked): the SYN-ACK waits for the deferral's end */
  /* RFC 5925 §7.5.1: the SYN's KeyID and RNextKeyID (our rcvid, and the sndid the SYN-ACK
   * signs with) when the listener's TCP-AO keys cover the peer. */
  uint8_t ao_keyid, ao_rnext;
  /* With has_data, the same allocation goes on: a 2-byte length, then the bytes. */
  uint8_t syn_data[];
};
enum { HO_TS = 1, HO_SACK = 2, HO_WS = 4, HO_MSS = 8 };

/* TCP_SAVED_SYN (tcp_listen.c): the headers of the SYN a child came from (freed with the
 * TCB, or when read). */
void synack_tcp_saved_syn_free(synack_stack_t *st, synack_tcb_t *tcb);

/* TCP_DEFER_ACCEPT: seconds to SYN-ACK timeouts and back, as Linux (tcp_listen.c). */
uint8_t synack_tcp_defer_retrans(const synack_stack_t *st, int secs);
int synack_tcp_defer_secs(const synack_stack_t *st, uint8_t retrans);

struct synack_listener {
  synack_listener_t *lnext; /* listener hash chain */
  synack_tcb_t *tcb;        /* the LISTEN socket */
  uint32_t backlog;
  synack_tcb_t *aq_head, *aq_tail;
  uint32_t aq_len;
  synack_halfopen_t *sq_head;
  uint32_t sq_len;
  synack_time_t cookie_until; /* cookies were sent recently: validate ACKs until then */
  uint32_t tfo_len;         /* fast open children still in SYN-RECEIVED (RFC 7413 §5.1) */
};

/* ---------- TIME-WAIT entries (tcp_timewait.c) ---------- */
typedef struct synack_timewait {
  synack_tcp_node_t node;
  synack_timer_t timer;
  struct synack_timewait *pnext; /* per-port bind index chain (tcp_port.c) */
  union {
    synack_md5_key_t *md5;        /* the connection's key for its peer (RFC 2385), NULL when none */
    synack_ao_t *ao;              /* with sig_ao: the connection's TCP-AO state (RFC 5925) */
  };
  struct synack_timewait **pprev; /* the pointer to this entry in that chain: O(1) unlink */
  synack_seq_t snd_nxt, rcv_nxt;
  uint32_t ts_recent, ts_recent_s, ts_offset;
  uint32_t oow_last_ms; /* last answer to an invalid segment (tcp_check.c) */
  uint16_t rcv_wnd;    /* raw window field we send */
  uint8_t ts_ok;
  uint8_t rcv_wscale;  /* our window scale: the window is rcv_wnd << rcv_wscale bytes */
  uint8_t suspended;   /* reopened by a SYN: out of the hash, on tw_suspended via node.hnext */
  uint8_t sig_ao;      /* the union holds ao (TCP-AO), not md5 */
} synack_timewait_t;

/* ---------- per-stack TCP state ---------- */
struct synack_tcp {
  synack_tcb_t **socks;
  uint32_t nsocks, free_hint;
  uint32_t ntcb, nhalfopen, ntimewait;
  uint32_t norphans;     /* TCBs with TF_ORPHAN (tcp_max_orphans) */
  /* TIME-WAIT entries reopened by a SYN whose handshake has not decided yet (tcp_timewait.c);
   * their 2*MSL timers keep running. Chained by the keyed tuple hash: a client that reuses its
   * ports (ab past 50,000 connections) reopens an entry with every connection, up to its
   * concurrency at once, and one list scanned per SYN and per handshake cost O(concurrency)
   * each (7 % of serve's CPU at ab -c1000). */
#define SYNACK_TW_SUSP_BUCKETS 256u
  synack_tcp_node_t *tw_suspended[SYNACK_TW_SUSP_BUCKETS];
  synack_tcp_node_t **buckets;
  uint32_t nbuckets, nnodes;
  synack_listener_t *lbuckets[64];
  uint32_t port_next;
  synack_tcb_t *pend_head, *pend_tail;
  size_t mem;
  size_t bufmem;      /* the part of mem in socket buffers: chunks and their tables (tcp_mem.c) */
  bool mem_pressure;  /* between passing tcp_mem_pressure and falling under tcp_mem_low */
  uint32_t chal_sec, chal_left; /* RFC 5961 §7 per-stack challenge ACK budget (tcp_check.c) */
  /* Per-port bind index (like Linux's bind hash): sockets that hold a port (a handle and a
   * local port) and TIME-WAIT entries, chained by port, so bind() and port picks look at the
   * users of one port instead of every socket and entry (tcp_port.c). */
#define SYNACK_PORT_BUCKETS 256u
  synack_tcb_t *pidx[SYNACK_PORT_BUCKETS];
  struct synack_timewait *pidx_tw[SYNACK_PORT_BUCKETS];
  uint64_t port_examined; /* sockets and entries looked at by bind conflicts and port picks (tests) */
  /* The node the latest lookup found (bulk traffic hits one connection over and over: this
   * skips the keyed hash); cleared when that node leaves the hash. */
  synack_tcp_node_t *last_hit;
  /* Fast open client cookie cache (tcp_fastopen.c): allocated on first use, bounded by
   * cfg.tcp_fastopen_cache_bytes; use_clock orders entries for replacement. */
  struct synack_tfo_entry *tfo_cache;
  uint32_t tfo_cache_n, tfo_cache_cap;
  uint64_t tfo_use_clock;
  /* accept() found a queued connection but no free handle (EMFILE): the next released handle
   * wakes every listener whose accept queue is not empty, or the queue would never drain. */
  bool accept_starved;
};

/* ---------- a parsed incoming segment ---------- */
typedef struct {
  synack_tcp_repr_t r;
  synack_seq_t seq, ack;
  uint32_t len;     /* payload bytes */
  uint32_t seg_len; /* len + SYN + FIN */
  uint8_t flags;
  synack_tuple_t t; /* local = our side */
  uint8_t tos;
  /* Receive fast path (tcp_input.c): the whole payload was copied into the receive ring's free
   * space, right after the in-order data, at placed_at, while the checksum was verified, when
   * the ring's chunk releases counted placed_gen. Used by tcp_rcv.c only if the ring still ends
   * there and no chunk was given back since. */
  bool placed;
  bool placed_used; /* tcp_rcv.c committed the segment's bytes */
  uint32_t placed_gen;
  const uint8_t *placed_at;
  /* A SYN that reopened a TIME-WAIT entry (tcp_timewait.c): the old incarnation's SND.NXT,
   * which the new ISS must exceed (RFC 1122 §4.2.2.13). */
  bool tw_reopen;
  synack_seq_t tw_snd_nxt;
  /* RFC 2385: the key the segment was verified with (tcp_md5sig.c), NULL when none applies;
   * whatever answers the segment without a TCB (a RST) is signed with it. */
  const struct synack_md5_key *md5;
  /* RFC 5925 §7.6: the segment carried a valid TCP-AO MAC (tcp_ao.c): how an answer without a
   * TCB is signed (the key the peer asked for, the ISNs of the context it was checked in). */
  bool ao_ok;
  synack_ao_tx_t ao;
  /* cfg.tcp_seq_end_at_rcv_nxt: text or FIN that ends exactly at RCV.NXT, accepted for its ACK
   * field only (tcp_input.c answers it with a duplicate ACK after the fifth step). */
  bool old_text;
} synack_seg_t;

/* ---------- tcp_invariants.c ---------- */
/* Debug aid for the fuzzers and tests (not exported): checks every TCB, listener queue, hash
 * node, count and timer for consistency; false with the first violation described in why. */
bool synack_tcp_check_invariants(const synack_stack_t *st, char *why, size_t cap);

/* How the right edge of the window is judged (cfg.tcp_seq_right_edge). */
typedef enum {
  SYNACK_EDGE_RFC,      /* RFC 9293 §3.10.7.4 first check: SEG.SEQ = RCV.NXT + RCV.WND is outside */
  SYNACK_EDGE_ZERO_LEN, /* Linux's tcp_in_window (request sockets): a segment without text,
                           SYN or FIN starting exactly at the edge is inside */
  SYNACK_EDGE_LINUX,    /* Linux's tcp_sequence (full sockets): also text starting at or before the edge and
                           reaching beyond it, while the receive queue is empty */
} synack_edge_t;

/* ---------- tcp_check.c: RFC 9293 §3.10.7.4 steps 1, 2 and 4 with RFC 5961 and RFC 7323 PAWS,
 * shared by full TCBs, half-open entries and TIME-WAIT entries ---------- */
typedef struct {
  synack_seq_t rcv_nxt;
  uint32_t rcv_wnd;         /* bytes offered beyond RCV.NXT */
  bool ts_ok;               /* timestamps in use on the connection */
  uint32_t ts_recent, ts_recent_s;
  bool rst_ignored;         /* TIME-WAIT under RFC 1337: every RST is dropped */
  bool rst_at_fin;          /* cfg.tcp_rst_at_fin after the peer's FIN: a RST at RCV.NXT - 1 resets */
  bool rst_exact;           /* cfg.tcp_tw_rst_exact in TIME-WAIT: a RST counts only at RCV.NXT, any other is
                               dropped without an answer (no challenge ACK) */
  bool end_at_rcv_nxt;      /* cfg.tcp_seq_end_at_rcv_nxt: a segment whose end (SEG.SEQ + SEG.LEN) is RCV.NXT
                               is acceptable (Linux's tcp_sequence) */
  synack_edge_t right_edge; /* cfg.tcp_seq_right_edge: how the window's right edge is judged */
  bool rcvq_busy;           /* unread data or an unread FIN waits for the application (Linux: the receive
                               queue is not empty) */
} synack_tcp_view_t;

typedef enum {
  SYNACK_CHECK_PASS,      /* acceptable, neither RST nor SYN: on to the ACK field */
  SYNACK_CHECK_DROP,      /* dropped without an answer (counted) */
  SYNACK_CHECK_PAWS,      /* RFC 7323 §5.3: old duplicate: drop, answer with an ACK */
  SYNACK_CHECK_OOW,       /* RFC 9293 §3.10.7.4 first: unacceptable: drop, answer with an ACK */
  SYNACK_CHECK_CHALLENGE, /* RFC 5961 §3.2 / §4.2: drop, challenge ACK */
  SYNACK_CHECK_RST,       /* an acceptable RST: the connection ends */
  SYNACK_CHECK_SYN_RESET, /* RFC 793 (RFC 5961 §4 off): a SYN in the window resets the connection */
} synack_check_t;

/* Steps 1, 2 and 4 in RFC 9293's order; drops are counted here. */
synack_check_t synack_tcp_check(synack_stack_t *st, const synack_tcp_view_t *v, const synack_seg_t *seg,
                                synack_time_t now);
/* Whether the ACK that a PAWS / OOW / CHALLENGE verdict calls for may be sent now: one per
 * connection per tcp_invalid_ratelimit_ms (segments with data or FIN exempt), and challenge ACKs
 * also within the per-stack budget (RFC 5961 §7). *last_ms is the connection's limiter state. */
bool synack_tcp_answer_allowed(synack_stack_t *st, synack_check_t verdict, uint32_t *last_ms, const synack_seg_t *seg,
                               synack_time_t now);
bool synack_tcp_seq_acceptable(synack_seq_t rcv_nxt, uint32_t wnd, synack_seq_t seq, uint32_t seg_len);
/* RFC 7323 §5.3 R1 alone (the segment is older than a still valid TS.Recent). */
bool synack_tcp_paws_old(const synack_tcp_view_t *v, const synack_seg_t *seg, synack_time_t now);
/* TIME-WAIT: the segment is the peer's FIN again (it ends at RCV.NXT - 1, not PAWS-old): the
 * only segment that is re-ACKed and restarts 2*MSL. */
bool synack_tcp_fin_again(const synack_tcp_view_t *v, const synack_seg_t *seg, synack_time_t now);
/* RFC 7323 §5.5: TS.Recent older than 24 days is invalid. */
bool synack_tcp_ts_recent_expired(uint32_t ts_recent_s, synack_time_t now);

/* ---------- tcp_state.c ---------- */
bool synack_tcp_state_synchronized(synack_tcp_state_t s);
bool synack_tcp_state_can_send(synack_tcp_state_t s);
bool synack_tcp_state_can_recv(synack_tcp_state_t s);
bool synack_tcp_transition_legal(synack_tcp_state_t from, synack_tcp_state_t to);
/* The one function that changes a TCB's state: checks the table and traces the reason. */
void synack_tcp_set_state(synack_stack_t *st, synack_tcb_t *tcb, synack_tcp_state_t to, const char *reason);
/* Traces a state change of an object that is not a TCB (half-open or TIME-WAIT entry). */
void synack_tcp_trace_state(synack_stack_t *st, int sock, const synack_tuple_t *t, synack_tcp_state_t from,
                            synack_tcp_state_t to, const char *reason);
void synack_tcp_trace_note(synack_stack_t *st, int sock, const synack_tuple_t *t, const char *what);
void synack_tuple_endpoints(const synack_tuple_t *t, synack_endpoint_t *local, synack_endpoint_t *remote);
void synack_tuple_ips(const synack_tuple_t *t, synack_ip_t *local, synack_ip_t *remote);

/* ---------- tcp_isn.c ---------- */
synack_seq_t synack_tcp_isn(const synack_stack_t *st, const synack_tuple_t *t, synack_time_t now);
/* Per-connection timestamp offset (RFC 7323 §5.4) and the TS clock (ms). */
uint32_t synack_tcp_ts_offset(const synack_stack_t *st, const synack_tuple_t *t);
static inline uint32_t synack_tcp_ts_now(synack_time_t now, uint32_t offset) {
  return (uint32_t)(now / 1000u) + offset;
}

/* ---------- tcp_port.c ---------- */
/* Picks an ephemeral port for t (laddr, raddr, rport set) per RFC 6056; fills t->lport.
 * *reuse_tw is set when a TIME-WAIT entry was taken over (then *tw_snd_nxt is its SND.NXT). */
int synack_tcp_port_pick(synack_stack_t *st, synack_tuple_t *t, synack_time_t now, bool *reuse_tw,
                         synack_seq_t *tw_snd_nxt);
/* True when a socket other than self is bound to port on an overlapping address in a way that
 * forbids binding (see tcp_port.c for the rules). */
bool synack_tcp_port_conflict(synack_stack_t *st, const synack_tcb_t *self, uint8_t family, const uint8_t *addr,
                              uint16_t port, bool reuseaddr);
/* The bind index: a socket with a handle and a local port is in it (no-op otherwise, or when
 * already in); TIME-WAIT entries are added and removed with the entry. */
void synack_tcp_port_index(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_port_unindex(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_port_tw_add(synack_stack_t *st, struct synack_timewait *tw);
void synack_tcp_port_tw_remove(synack_stack_t *st, struct synack_timewait *tw);

/* ---------- tcp_demux.c ---------- */
int synack_tcp_demux_init(synack_stack_t *st);
void synack_tcp_demux_fini(synack_stack_t *st);
void synack_tcp_hash_insert(synack_stack_t *st, synack_tcp_node_t *n);
void synack_tcp_hash_remove(synack_stack_t *st, synack_tcp_node_t *n);
synack_tcp_node_t *synack_tcp_hash_lookup(synack_stack_t *st, const synack_tuple_t *t);
void synack_tcp_listener_insert(synack_stack_t *st, synack_listener_t *l);
void synack_tcp_listener_remove(synack_stack_t *st, synack_listener_t *l);
/* Best listener for a local address/port: exact address first, then the wildcard. */
synack_listener_t *synack_tcp_listener_lookup(synack_stack_t *st, uint8_t family, const uint8_t *laddr, uint16_t lport);
/* The listener an incoming segment of tuple t goes to: the most specific match (own family
 * before an AF_INET6 dual-stack listener, a bound address before the wildcard); within a
 * SO_REUSEPORT group of equal matches, the member a keyed hash of the 4-tuple picks. */
synack_listener_t *synack_tcp_listener_select(synack_stack_t *st, const synack_tuple_t *t);
bool synack_tuple_equal(const synack_tuple_t *a, const synack_tuple_t *b);
/* Keyed hash (SipHash-2-4 under the stack's purpose key) of a 4-tuple serialised field by
 * field, followed by up to SYNACK_TUPLE_HASH_EXTRA_MAX 32-bit words. */
#define SYNACK_TUPLE_HASH_EXTRA_MAX 4
uint64_t synack_tcp_tuple_hash(const synack_stack_t *st, synack_key_id_t key, const synack_tuple_t *t,
                               const uint32_t *extra, size_t n_extra);

/* ---------- tcp_buf.c ---------- */
/* Queues up to n bytes; fewer when the ring is full or the stack refuses more chunks
 * (tcp_mem_high): returns the count, -SYNACK_EAGAIN if nothing could be queued. */
int synack_sndbuf_write(synack_stack_t *st, synack_sndbuf_t *b, const void *data, uint32_t n);
void synack_sndbuf_drop(synack_stack_t *st, synack_sndbuf_t *b, uint32_t n);
void synack_sndbuf_copy(const synack_sndbuf_t *b, uint32_t off, void *dst, uint32_t n);
/* As synack_sndbuf_copy, returning the one's-complement sum of the n bytes as if they started
 * at an even offset (synack_csum_add semantics), computed while copying. */
uint32_t synack_sndbuf_copy_csum(const synack_sndbuf_t *b, uint32_t off, void *dst, uint32_t n);
void synack_sndbuf_free(synack_stack_t *st, synack_sndbuf_t *b);
static inline uint32_t synack_sndbuf_room(const synack_sndbuf_t *b) { return b->cap > b->len ? b->cap - b->len : 0; }
/* Makes sure chunks hold the bytes [off, off + n) after the in-order data (off + n <=
 * synack_rcvbuf_room); -SYNACK_ENOMEM when the allocator or the stack's limit refuses. */
int synack_rcvbuf_reserve(synack_stack_t *st, synack_rcvbuf_t *b, uint32_t off, uint32_t n);
/* Gives back chunks that hold no in-order byte (a fast-path placement that failed its checksum);
 * only while nothing is held out of order. */
void synack_rcvbuf_unreserve(synack_stack_t *st, synack_rcvbuf_t *b);
/* Copies n bytes to offset off after the in-order data (reserved first). */
void synack_rcvbuf_place(synack_rcvbuf_t *b, uint32_t off, const void *data, uint32_t n);
/* As synack_rcvbuf_place at offset 0 (the free space right after the in-order data), returning
 * the one's-complement sum of the n bytes (synack_csum_add semantics) computed while copying.
 * Commits nothing: the bytes count only after synack_rcvbuf_commit. */
uint32_t synack_rcvbuf_place_csum(synack_rcvbuf_t *b, const void *data, uint32_t n);
/* Where the next in-order byte goes (NULL if its chunk is not allocated). */
const uint8_t *synack_rcvbuf_tail(const synack_rcvbuf_t *b);
void synack_rcvbuf_commit(synack_rcvbuf_t *b, uint32_t n);
uint32_t synack_rcvbuf_read(synack_stack_t *st, synack_rcvbuf_t *b, void *dst, uint32_t n, bool peek);
/* Copies n in-order bytes starting off bytes after the first unread one (n + off ≤ len). */
void synack_rcvbuf_peek_at(const synack_rcvbuf_t *b, uint32_t off, void *dst, uint32_t n);
void synack_rcvbuf_free(synack_stack_t *st, synack_rcvbuf_t *b);
/* 0 when the chunk table agrees with itself and every one of the first len bytes has a chunk. */
int synack_chunks_check(const synack_chunks_t *q, uint32_t len);
static inline bool synack_rcvbuf_holds(const synack_rcvbuf_t *b) { return b->q.c != NULL; }
static inline uint32_t synack_rcvbuf_space(const synack_rcvbuf_t *b) { return b->cap > b->len ? b->cap - b->len : 0; }
/* Free bytes of the ring itself (the space above plus the slack). */
static inline uint32_t synack_rcvbuf_room(const synack_rcvbuf_t *b) { return b->cap + b->slack - b->len; }
/* Allocates the out-of-order range table (nranges entries) unless it exists. */
int synack_rcvbuf_ooo_reserve(synack_stack_t *st, synack_rcvbuf_t *b, uint32_t nranges);
/* Writes the bytes of [seq, seq + n) that no out-of-order range holds yet (the first copy of
 * each byte wins); seq is at or after rcv_nxt and seq + n within the free space, reserved. */
void synack_rcvbuf_store(synack_rcvbuf_t *b, synack_seq_t rcv_nxt, synack_seq_t seq, const uint8_t *data, uint32_t n);

/* ---------- tcp_mem.c: stack-wide socket-buffer memory (Linux's tcp_mem) ---------- */
/* Socket-buffer memory taken (delta > 0) or given back; moves the pressure state. */
void synack_tcp_mem_add(synack_stack_t *st, int64_t delta);
/* May a buffer that already holds a chunk take `bytes` more? false (counted) past tcp_mem_high. */
bool synack_tcp_mem_admit(synack_stack_t *st, size_t bytes);
bool synack_tcp_mem_under_pressure(const synack_stack_t *st);
/* Send-buffer sizing from cwnd after an ACK (Linux's tcp_sndbuf_expand / sk_stream_moderate_sndbuf). */
void synack_tcp_sndbuf_adjust(synack_stack_t *st, synack_tcb_t *tcb);
/* cfg.tcp_sndbuf_linux: what SO_SNDBUF reads back for a socket that did not set it (tcp_mem.c). */
uint32_t synack_tcp_sndbuf_linux_report(const synack_stack_t *st, const synack_tcb_t *tcb);

/* ---------- tcp_rcvtune.c: receive-buffer autotuning ---------- */
/* After the application read: once per RTT, grows the receive buffer toward twice what was read
 * in the last RTT (Linux's tcp_rcv_space_adjust). */
void synack_tcp_rcv_space_adjust(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- receive side: tcp_rcv.c, tcp_ackpolicy.c, tcp_rcvwnd.c ---------- */
struct synack_ctl_opts;
/* RFC 9293 §3.10.7.4 seventh (segment text) for ESTABLISHED / FIN-WAIT-1 / FIN-WAIT-2: trims,
 * queues in order or out of order, records D-SACK and SACK recency, decides the ACK. May strip
 * the FIN from seg when its data was not all taken. Returns false when the TCB is gone. */
bool synack_tcp_rcv_data(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now);
/* An unacceptable segment is about to be answered by an ACK: when it repeats data below
 * RCV.NXT, report it as a D-SACK (RFC 2883 §4). */
void synack_tcp_rcv_dup(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg);
/* RFC 7323 §4.3 / §5.3 R3: remember TSval of an acceptable segment. */
void synack_tcp_ts_update(synack_tcb_t *tcb, const synack_seg_t *seg, synack_time_t now);
/* Fills the SACK blocks (D-SACK first) of an outgoing non-SYN segment carrying `payload`
 * bytes, as many as the option space and the segment size allow. */
void synack_tcp_sack_opts(const synack_stack_t *st, synack_tcb_t *tcb, struct synack_ctl_opts *c, uint32_t payload);
/* True when an out-of-order range changed and no ACK has reported it yet (tcp_sackgen.c). */
bool synack_tcp_sack_unreported(const synack_tcb_t *tcb);
/* cfg.tcp_quickack_linux: whether a read that left the receive queue as it is now sends the
 * pending delayed ACK at once (Linux's tcp_cleanup_rbuf; tcp_ackpolicy.c). */
bool synack_tcp_ack_on_read(const synack_stack_t *st, const synack_tcb_t *tcb);
/* tcp_ackpolicy.c: in-order data of n bytes was queued (no gap involved), the segment's flags
 * `flags` (SYNACK_TCP_*): ACK now or delay. */
void synack_tcp_ack_policy(synack_stack_t *st, synack_tcb_t *tcb, uint32_t n, uint8_t flags, synack_time_t now);
/* cfg.tcp_delack_linux (tcp_ackpolicy.c), Linux's names: arm the delayed-ACK timer
 * (tcp_send_delayed_ack; may ask for an ACK now instead); the timer fired (ato and pingpong
 * updated before its ACK goes); an ACK is being sent (tcp_event_ack_sent: one quick ACK used
 * when one was owed); a data segment is being sent (tcp_event_data_sent: pingpong mode when it
 * answers within ato); a duplicate or out-of-window segment (tcp_enter_quickack_mode);
 * setsockopt(TCP_QUICKACK). */
void synack_tcp_lx_delack_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_lx_delack_fired(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_lx_ack_sent(synack_stack_t *st, synack_tcb_t *tcb, bool owed);
void synack_tcp_lx_data_sent(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_lx_enter_quickack(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_lx_set_quickack(synack_stack_t *st, synack_tcb_t *tcb, int v, synack_time_t now);
/* tcp_rcvwnd.c: ring bytes beyond SO_RCVBUF that a scaled connection's receive ring gets. */
uint32_t synack_tcp_rcv_slack(const synack_tcb_t *tcb);
/* tcp_rcvwnd.c, cfg.tcp_rcvwnd LINUX: Linux's full space for a buffer of `cap` bytes (locked:
 * SO_RCVBUF set), its initial window for a segment size, rcv_ssthresh growth on `len` bytes of
 * in-order data, the autotuned window, and the window of an ACK from TIME-WAIT. */
uint32_t synack_tcp_lx_full_space(uint32_t cap, bool locked);
uint32_t synack_tcp_lx_initial_window(uint32_t space, uint32_t mss);
void synack_tcp_rcv_grow(const synack_stack_t *st, synack_tcb_t *tcb, uint32_t len);
void synack_tcp_rcv_lx_autotuned(const synack_stack_t *st, synack_tcb_t *tcb, uint32_t win);
uint16_t synack_tcp_rcv_window_tw(const synack_stack_t *st, synack_tcb_t *tcb);
/* tcp_rcvwnd.c: the window scale a connection (or a listener's SYN-ACK) offers. */
uint8_t synack_tcp_rcv_pick_wscale(const synack_stack_t *st, const synack_tcb_t *tcb);
/* tcp_rcvwnd.c: TCP_WINDOW_CLAMP set (0 only before a connection: -SYNACK_EINVAL otherwise) and
 * read back; the space an initial window is taken from (`full` bounded by the clamp). */
int synack_tcp_rcv_clamp_set(const synack_stack_t *st, synack_tcb_t *tcb, int v);
int synack_tcp_rcv_clamp_get(const synack_stack_t *st, synack_tcb_t *tcb);
static inline uint32_t synack_tcp_rcv_clamped(const synack_tcb_t *tcb, uint32_t full) {
  return tcb->user_clamp && tcb->user_clamp < full ? tcb->user_clamp : full;
}
/* tcp_rcvwnd.c: the application read data: send a window update when the right edge may move
 * far enough (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3). */
void synack_tcp_rcv_window_update(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- tcp_output.c ---------- */
/* Sends what the TCB may send now (SYN, SYN-ACK, data, FIN, owed ACK). */
void synack_tcp_output(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* Sends one pure ACK at once (or queues the TCB when the ring is full). */
void synack_tcp_send_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* RFC 5961 §7 rate-limited challenge ACK. */
void synack_tcp_challenge_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* Sends RST for a TCB (SEQ = SND.NXT, ACK when synchronized). */
/* RFC 1122 §4.2.3.6: keepalive probe, SEG.SEQ = SND.NXT - 1, no data. */
void synack_tcp_send_keepalive(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK>: a segment the peer must answer with an ACK (RFC 9293
 * §3.10.7.4, unacceptable sequence number); the keepalive, and cfg.tcp_probe0_old_ack's
 * zero-window probe. */
void synack_tcp_send_old_ack(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_send_rst_tcb(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* RFC 9293 §3.10.7.1: the RST answering a segment that matches nothing (never for a RST). */
void synack_tcp_reply_rst(synack_stack_t *st, const synack_seg_t *seg);
/* A control segment without a TCB (half-open SYN-ACK, TIME-WAIT ACK, RST). opts may be NULL. */
typedef struct synack_ctl_opts {
  bool syn_opts;        /* SYN options: mss + the ones flagged below */
  uint16_t mss;
  bool ts, sack, ws;
  uint8_t wscale;
  uint32_t ts_val, ts_ecr;
  uint8_t nsack;        /* non-SYN: SACK blocks to send (RFC 2018), after nop,nop */
  synack_sack_block_t sack_blk[4];
  bool fo, fo_exp;      /* SYN options: fast open option (RFC 7413), kind 254 form with fo_exp */
  uint8_t fo_len;       /* 0 = cookie request */
  uint8_t fo_cookie[16];
  const synack_md5_key_t *md5; /* RFC 2385: sign with this key (option first, as Linux), NULL = no */
  const synack_ao_tx_t *ao;    /* RFC 5925: sign with TCP-AO (option first, as Linux), NULL = no */
} synack_ctl_opts_t;
bool synack_tcp_send_ctl(synack_stack_t *st, const synack_tuple_t *t, synack_seq_t seq, synack_seq_t ack,
                         uint8_t flags, uint16_t win, const synack_ctl_opts_t *o);
/* Options of a control segment carrying only a signature with key (NULL when key is NULL). */
const synack_ctl_opts_t *synack_tcp_md5_ctl(synack_ctl_opts_t *c, const synack_md5_key_t *key);
/* Options of a control segment answering seg: signed as seg was verified (MD5 or TCP-AO), NULL
 * when it was not. */
const synack_ctl_opts_t *synack_tcp_seg_ctl(synack_ctl_opts_t *c, const synack_seg_t *seg);
void synack_tcp_pending_add(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_pending_remove(synack_stack_t *st, synack_tcb_t *tcb);
uint16_t synack_tcp_default_mss(const synack_stack_t *st, uint8_t family);
/* Window field to advertise (scaled) and its effect on rcv_adv. */
uint16_t synack_tcp_rcv_window(const synack_stack_t *st, synack_tcb_t *tcb, bool syn);
/* RCV.WND for the acceptability of an incoming segment (bytes from RCV.NXT), per cfg.tcp_rcvwnd. */
uint32_t synack_tcp_rcv_wnd(const synack_stack_t *st, const synack_tcb_t *tcb);
/* Our MSS for a route: MTU minus IP and TCP headers. */
uint16_t synack_tcp_route_mss(synack_stack_t *st, const synack_tuple_t *t);
uint8_t synack_tcp_pick_wscale(const synack_stack_t *st);
/* Sends one data segment (FIN included when it reaches fin_seq) starting at seq < SND.MAX,
 * at most max bytes of sequence space; SND.NXT is not moved. Returns the sequence space sent,
 * 0 when nothing could be, -1 when the transmit ring is full. */
int synack_tcp_send_at(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t seq, uint32_t max, synack_time_t now);

/* ---------- tcp_sndctl.c: TCP_CORK, MSG_EOR record ends, low-water marks ---------- */
/* Marks the current end of the send ring as a record end (MSG_EOR). */
int synack_tcp_eor_mark(synack_stack_t *st, synack_tcb_t *tcb);
/* The first record end after seq (or data_end when none is before it). */
synack_seq_t synack_tcp_eor_limit(const synack_tcb_t *tcb, synack_seq_t seq, synack_seq_t data_end);
/* Forgets the record ends at or below SND.UNA's buffer start (acknowledged data). */
void synack_tcp_eor_prune(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_eor_free(synack_stack_t *st, synack_tcb_t *tcb);
/* Bytes written but never sent (SIOCOUTQNSD). */
uint32_t synack_tcp_notsent(const synack_tcb_t *tcb);
/* poll()'s writable and the SYNACK_EV_WRITABLE wakeup: the send ring has space and, with
 * TCP_NOTSENT_LOWAT, fewer than half that many bytes wait unsent (as Linux). */
bool synack_tcp_writable(const synack_tcb_t *tcb);
/* Enough to read for SO_RCVLOWAT (in-order bytes ≥ the mark). */
bool synack_tcp_rcv_lowat_met(const synack_tcb_t *tcb);
/* setsockopt of TCP_CORK, TCP_NOTSENT_LOWAT, SO_SNDLOWAT, SO_RCVLOWAT, TCP_INQ. */
int synack_tcp_sndctl_set(synack_stack_t *st, synack_tcb_t *tcb, synack_sockopt_t opt, int v);
/* The cork timer (the retransmission slot with nothing in flight) fired: send the held data. */
void synack_tcp_push_held(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- tcp_urg.c: urgent data (RFC 9293 §3.8.5, RFC 6093, Linux's out-of-band byte) ---------- */
enum {
  SYNACK_URG_NONE = 0,
  SYNACK_URG_NOTYET, /* the peer's pointer is known, its byte has not arrived in order */
  SYNACK_URG_VALID,  /* the byte is in the receive ring, not yet taken by recv(MSG_OOB) */
  SYNACK_URG_READ,   /* taken by recv(MSG_OOB): still skipped in the stream */
};
/* send(MSG_OOB): the urgent data ends at the current end of the send ring. */
void synack_tcp_urg_send(synack_tcb_t *tcb);
/* URG flag and pointer of a segment starting at seq. */
void synack_tcp_urg_tx(const synack_tcb_t *tcb, synack_seq_t seq, uint8_t *flags, uint16_t *urgent);
/* SND.UNA moved: urgent mode ends once SND.UP is acknowledged. */
void synack_tcp_urg_acked(synack_tcb_t *tcb);
/* RFC 9293 §3.10.7.4 sixth step: a segment with URG (before its text is queued). */
void synack_tcp_urg_input(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg);
/* In-order bytes were added to the receive ring: the urgent byte may have arrived. */
void synack_tcp_urg_delivered(synack_stack_t *st, synack_tcb_t *tcb);
/* Bytes a read may return now (the urgent byte at the mark excluded unless SO_OOBINLINE). */
uint32_t synack_tcp_rcv_avail(const synack_tcb_t *tcb);
/* How a read at the head of the ring meets the mark: skip bytes first (the out-of-band byte),
 * then at most *limit bytes (a read stops at the mark). */
void synack_tcp_urg_read_plan(const synack_tcb_t *tcb, uint32_t *skip, uint32_t *limit);
/* After a read that consumed bytes: forget the urgent byte once it is behind. */
void synack_tcp_urg_consumed(synack_tcb_t *tcb);
/* recv(MSG_OOB). */
int64_t synack_tcp_urg_recv(synack_tcb_t *tcb, void *buf, size_t len, int flags, int *msg_flags);
/* SIOCATMARK and SIOCINQ as Linux reports them with urgent data pending. */
bool synack_tcp_urg_atmark(const synack_tcb_t *tcb);
uint32_t synack_tcp_inq(const synack_tcb_t *tcb);

/* tcp_md5.c: the RFC 2385 segment digest, synack_tcp_md5_digest (public: synack/wire.h). */

/* ---------- tcp_md5sig.c: TCP_MD5SIG keys, signing and checking (RFC 2385) ---------- */
/* Peer prefixes of MD5 and TCP-AO keys: clears the bits of a past the first `bits` (so equal
 * prefixes compare equal byte for byte); whether peer lies in net/prefixlen (same family). */
void synack_addr_mask(synack_ip_t *a, uint8_t bits);
bool synack_addr_in_prefix(const synack_ip_t *net, uint8_t prefixlen, const synack_ip_t *peer);
/* setsockopt(TCP_MD5SIG): add, replace or (keylen 0) remove a key of *set. */
int synack_tcp_md5_set(synack_stack_t *st, synack_md5_keys_t **set, uint8_t family, const synack_tcp_md5sig_t *sig);
/* The most specific key of set covering peer (longest prefix), NULL when none. */
const synack_md5_key_t *synack_tcp_md5_lookup(const synack_md5_keys_t *set, const synack_ip_t *peer);
/* The key a TCB uses for its peer (its set looked up by the tuple's remote address). */
const synack_md5_key_t *synack_tcp_md5_tcb_key(const synack_tcb_t *tcb);
/* A new connection of a listener: the listener's key for the peer, copied (Linux copies that one
 * key). false when memory ran out (the caller drops the connection). */
bool synack_tcp_md5_inherit(synack_stack_t *st, synack_tcb_t *child, const synack_md5_keys_t *lset);
void synack_tcp_md5_free(synack_stack_t *st, synack_md5_keys_t **set);
/* A copy of one key for a TIME-WAIT entry (NULL for none or out of memory) and its release. */
synack_md5_key_t *synack_tcp_md5_key_dup(synack_stack_t *st, const synack_md5_key_t *k);
void synack_tcp_md5_key_free(synack_stack_t *st, synack_md5_key_t *k);
/* A TIME-WAIT entry's signing state (MD5 key or TCP-AO copy) released. */
void synack_tcp_timewait_sig_free(synack_stack_t *st, synack_timewait_t *tw);
/* RFC 2385 §2.0 for a received segment: with key set it must carry a valid signature, without
 * one it must carry none (as Linux). Drops and counts otherwise (false); on success seg->md5 is
 * the key, so that answers without a TCB are signed too. */
bool synack_tcp_md5_accept(synack_stack_t *st, const synack_md5_key_t *key, synack_seg_t *seg);
/* Writes the digest into the MD5 option of a built segment (header and data in place, checksum
 * not yet computed). */
void synack_tcp_md5_sign(const synack_md5_key_t *key, const synack_ip_t *src, const synack_ip_t *dst, uint8_t *seg,
                         size_t seg_len);

/* ---------- tcp_ao.c: TCP-AO keys, signing and checking (RFC 5925, RFC 5926) ---------- */
#define SYNACK_TCP_AO_MACLEN 12 /* both RFC 5926 MACs are 96 bits */
#define SYNACK_TCP_AO_OPTLEN (4 + SYNACK_TCP_AO_MACLEN)
/* The pseudo-header of RFC 2385 §2.0 / RFC 5925 §5.1 (IPv4 12 bytes, IPv6 40) for seg_len. */
size_t synack_tcp_pseudo_hdr(const synack_ip_t *src, const synack_ip_t *dst, uint32_t seg_len, uint8_t out[40]);
int synack_tcp_ao_add(synack_stack_t *st, synack_tcb_t *tcb, const synack_tcp_ao_key_t *key);
int synack_tcp_ao_del(synack_stack_t *st, synack_tcb_t *tcb, const synack_tcp_ao_key_t *key);
void synack_tcp_ao_free(synack_stack_t *st, synack_ao_t **set);
/* Whether set holds a key for peer. */
bool synack_tcp_ao_covers(const synack_ao_t *set, const synack_ip_t *peer);
/* connect(): the socket's keys become the connection's (conn); a socket none of whose keys
 * covers the peer drops them and connects unsigned. */
void synack_tcp_ao_connect(synack_stack_t *st, synack_tcb_t *tcb);
/* A listener's new connection: the listener's keys for the peer, the first key the one seg
 * (verified, ao_ok) asked for. false when memory ran out. */
bool synack_tcp_ao_inherit(synack_stack_t *st, synack_tcb_t *child, const synack_ao_t *lset, const synack_seg_t *seg);
/* A copy of a connection's state for its TIME-WAIT entry (NULL: none or no memory). */
synack_ao_t *synack_tcp_ao_dup(synack_stack_t *st, const synack_ao_t *ao);
/* RFC 5925 §7.6 for a received segment, checked against set (NULL: no keys) with the ISNs of its
 * context (the peer's, ours; a SYN without ACK always uses SEG.SEQ and 0). Drops and counts
 * otherwise (false); on success seg->ao_ok and seg->ao say how an answer is signed. */
bool synack_tcp_ao_accept(synack_stack_t *st, synack_ao_t *set, uint32_t isn_r, uint32_t isn_l, synack_seg_t *seg);
/* The signing of a TCB's segment at seq (false: the connection has no TCP-AO). */
bool synack_tcp_ao_tcb_tx(const synack_tcb_t *tcb, synack_seq_t seq, synack_ao_tx_t *tx);
/* Like tcb_tx for a TIME-WAIT entry (with its ISNs) or for a listener's half-open entry. */
bool synack_tcp_ao_conn_tx(synack_ao_t *ao, uint32_t isn_l, uint32_t isn_r, synack_seq_t seq, synack_ao_tx_t *tx);
bool synack_tcp_ao_listen_tx(synack_ao_t *lset, const synack_tuple_t *t, uint8_t sndid, uint8_t rnext, uint32_t isn_l,
                             uint32_t isn_r, synack_ao_tx_t *tx);
/* Writes the MAC into the TCP-AO option of a built segment (header and data in place, the
 * checksum not yet computed). */
void synack_tcp_ao_sign(const synack_ao_tx_t *tx, const synack_ip_t *src, const synack_ip_t *dst, uint8_t *seg,
                        size_t seg_len);
/* Option bytes the signature of a TCB takes (MD5 20, TCP-AO 16, none 0). */
uint32_t synack_tcp_sig_optlen(const synack_tcb_t *tcb);

/* ---------- tcp_rto.c ---------- */
void synack_tcp_rto_init(synack_stack_t *st, synack_tcb_t *tcb);
void synack_tcp_rtt_sample(synack_stack_t *st, synack_tcb_t *tcb, uint32_t rtt_us);
uint32_t synack_tcp_rto_current(const synack_stack_t *st, const synack_tcb_t *tcb);
void synack_tcp_rtx_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_rtx_stop(synack_stack_t *st, synack_tcb_t *tcb);
/* Sets the retransmission timer slot to the earliest of tcb->rec.rto_at / reo_at / tlp_at. */
void synack_tcp_rtx_sync(synack_stack_t *st, synack_tcb_t *tcb);
/* RTO fired: go back to SND.UNA, back off, or give up. */
void synack_tcp_rto_fire(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* Retransmissions allowed before giving up in the TCB's state (SYN, SYN-ACK, data, orphan). */
uint32_t synack_tcp_retry_limit(const synack_stack_t *st, const synack_tcb_t *tcb);
/* Congestion-control dispatchers to tcb->cc (tcp_cc.h): a cumulative ACK of `acked` bytes
 * outside recovery (rtt_us: its RTT sample or 0), and a retransmission timeout. */
void synack_tcp_cc_on_ack(synack_stack_t *st, synack_tcb_t *tcb, uint32_t acked, uint32_t rtt_us, synack_time_t now);
/* cfg.tcp_cwnd_limited (Linux's tcp_cwnd_validate / tcp_is_cwnd_limited, tcp_cc.c): after an
 * output pass (sent: new data went out), note whether cwnd was the limit and the most in flight
 * in the current window; whether cwnd may grow on the next ACK. */
void synack_tcp_cwnd_validate(synack_tcb_t *tcb, bool sent);
bool synack_tcp_cwnd_limited(const synack_tcb_t *tcb);
void synack_tcp_cc_on_rto(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- tcp_cc.c: congestion control entry points (algorithms: tcp_cc.h) ---------- */
/* Picks the algorithm (tcb->cc set by SYNACK_TCP_CONGESTION, else cfg.tcp_cc) and runs init. */
void synack_tcp_cc_init(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* SYNACK_TCP_CONGESTION: before the handshake the choice is just recorded; on a live
 * connection the new algorithm starts from the current cwnd and ssthresh. */
int synack_tcp_cc_select(synack_stack_t *st, synack_tcb_t *tcb, int algo, synack_time_t now);
int synack_tcp_cc_algo(const synack_tcb_t *tcb);
/* Loss or ECN-Echo (entering recovery), recovery over, spurious reduction (undo). */
void synack_tcp_cc_congestion(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_cc_recovery_end(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_cc_undo(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* Before sending: RFC 5681 §4.1 restart after an idle period longer than the RTO. */
void synack_tcp_cc_idle_check(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* Our SYN-ACK was retransmitted: the first window is one segment (RFC 5681 §3.1). */
void synack_tcp_cc_syn_lost(synack_tcb_t *tcb);

/* ---------- tcp_ecn.c (RFC 3168) ---------- */
enum {
  SYNACK_ECN_OK = 1,       /* negotiated on the handshake */
  SYNACK_ECN_SYN_SENT = 2, /* our SYN was an ECN-setup SYN (ECE|CWR) */
  SYNACK_ECN_ECE = 4,      /* receiver: a CE mark arrived: ECE on every ACK until CWR arrives */
  SYNACK_ECN_CWR = 8,      /* sender: the window was reduced for ECE: CWR on the next new data */
};
#define SYNACK_IP_ECN_MASK 0x03
#define SYNACK_IP_ECN_ECT0 0x02
#define SYNACK_IP_ECN_CE 0x03
/* Flags and IP TOS / traffic class for a segment a TCB is about to send: ECN-setup on SYNs,
 * ECE and CWR, ECT(0) on new data only. */
uint8_t synack_tcp_ecn_tx(synack_stack_t *st, synack_tcb_t *tcb, uint8_t *flags, uint32_t len, bool retrans);
/* SYN-SENT received a SYN or SYN-ACK: ECN is on when it answers our ECN-setup SYN. */
void synack_tcp_ecn_syn_rcvd(synack_stack_t *st, synack_tcb_t *tcb, uint8_t flags);
/* A listener received a SYN: true when the SYN-ACK is to carry ECE (ECN-setup SYN, ECN on). */
bool synack_tcp_ecn_syn_accept(const synack_stack_t *st, const synack_seg_t *seg);
/* Receiver side of an acceptable segment: CWR stops ECE, CE starts it. */
void synack_tcp_ecn_rcv(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg);
/* Sender side of an acceptable ACK: ECE reduces the window once per window of data. */
void synack_tcp_ecn_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, synack_time_t now);
/* cfg.tcp_ecn_linux: inside the window of data after an ECE reduction (Linux's CWR state,
 * held until SND.UNA passes the SND.MAX of the reduction), where the window does not grow. */
bool synack_tcp_ecn_in_cwr(const synack_stack_t *st, synack_tcb_t *tcb);

/* ---------- tcp_recovery.c (sender loss recovery; state in tcb->rec, tcp_sack.h) ---------- */
bool synack_rec_in_fast_recovery(const synack_tcb_t *tcb);
/* RFC 6675 SetPipe for the TCB. */
uint32_t synack_rec_pipe(const synack_tcb_t *tcb);
/* Bytes of new data the congestion state allows in flight now (cwnd, limited transmit, pipe). */
uint32_t synack_rec_allowance(const synack_tcb_t *tcb);
/* An acceptable ACK arrived: acked = bytes SND.UNA advanced (0 for a duplicate); prev_wnd is
 * the send window before this segment. Updates the scoreboard, DupAcks and the phase. */
void synack_rec_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, uint32_t acked,
                       uint32_t prev_wnd, uint32_t rtt_us, synack_time_t now);
void synack_rec_on_rto(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* Enters fast recovery when the first unacknowledged byte is lost (SACK / RACK), outside one;
 * delivered is what the triggering ACK delivered (RFC 6937 DeliveredData; the RACK timer,
 * with no ACK, passes one SMSS). */
void synack_rec_loss_check(synack_stack_t *st, synack_tcb_t *tcb, uint32_t delivered, synack_time_t now);
/* Output hooks: retransmissions before new data (first segment, NextSeg rule 1) and after it
 * (rules 3 and 4). Return -1 when the transmit ring is full. */
int synack_rec_output_pre(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
int synack_rec_output_post(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_rec_info(const synack_tcb_t *tcb, uint32_t *sacked, uint32_t *lost, uint32_t *retrans);
/* Releases the scoreboard's table (the TCB is being freed). */
void synack_rec_free(synack_stack_t *st, synack_tcb_t *tcb);

/* ---------- tcp_rack.c (RFC 8985 RACK-TLP, config tcp_rack) ---------- */
bool synack_rack_enabled(const synack_stack_t *st, const synack_tcb_t *tcb);
/* What an ACK delivered, as the transmit log sees it. */
typedef struct {
  bool orig;            /* an original transmission (never retransmitted) */
  bool orig_before_rto; /* one sent before the RTO that F-RTO watches */
} synack_rack_ack_t;
/* An ACK arrived: old_una is SND.UNA before it, u its parsed SACK blocks, not yet applied to
 * the scoreboard. Updates RACK.xmit_ts / end_seq / rtt / min_RTT / reord. */
void synack_rack_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, synack_seq_t old_una,
                        const synack_sack_update_t *u, synack_time_t now, synack_rack_ack_t *out);
/* The RTT sample of a cumulative ACK from the transmit log, in microseconds (RFC 6298 §3 with
 * Karn's rule): the time since the first byte of [old_una, ack) not SACKed before was sent,
 * when nothing in that range was ever retransmitted (or is a coarse entry); 0 when there is no
 * such sample (no log, or Karn's rule). Call before the scoreboard and the log move. */
uint32_t synack_rack_rtt_sample(const synack_tcb_t *tcb, synack_seq_t old_una, synack_seq_t ack, synack_time_t now);
/* RACK loss marking (RFC 8985 §6.2): marks the ranges sent before the newest delivery lost once
 * the reordering window has passed, else arms the reordering timer. */
void synack_rack_detect(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* The current reordering window (µs). */
uint32_t synack_rack_reo_wnd(const synack_stack_t *st, const synack_tcb_t *tcb);
/* True when some range marked lost holds unSACKed bytes not yet retransmitted. */
bool synack_rack_lost_any(const synack_tcb_t *tcb);
/* UnSACKed bytes marked lost by RACK or below edge. */
uint32_t synack_rack_lost_bytes(const synack_tcb_t *tcb, synack_seq_t edge);
/* SetPipe from the transmit log (bytes below edge count as lost). */
uint32_t synack_rack_pipe(const synack_tcb_t *tcb, synack_seq_t edge);
/* NextSeg rule 1 from the log: the next lost bytes to retransmit. */
bool synack_rack_next_lost(const synack_tcb_t *tcb, synack_seq_t edge, synack_seq_t *seq, uint32_t *len);
/* A D-SACK arrived: the reordering window may grow (§6.2 step 4). */
void synack_rack_dsack(synack_stack_t *st, synack_tcb_t *tcb);
/* A recovery ended: the grown reordering window decays. */
void synack_rack_recovery_end(synack_tcb_t *tcb);
/* §7.4: judges a retransmitted probe from this ACK. */
void synack_rack_tlp_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_sack_update_t *u, synack_time_t now);
/* Arms the tail loss probe after new data or an ACK (open state only). */
void synack_rack_arm_tlp(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* The retransmission slot fired: handles the reordering timer and the probe; true when consumed. */
bool synack_rack_timer(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- tcp_undo.c (spurious retransmissions: D-SACK, Eifel, F-RTO) ---------- */
/* A recovery episode starts (fast recovery or RTO). */
void synack_undo_begin(synack_tcb_t *tcb);
/* [s, e) was retransmitted during the episode. */
void synack_undo_note_rtx(synack_tcb_t *tcb, synack_seq_t s, synack_seq_t e, synack_time_t now);
/* A D-SACK for [ds, de) arrived. */
void synack_undo_dsack(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t ds, synack_seq_t de, synack_time_t now);
/* Eifel and F-RTO on an acceptable ACK (after the scoreboard was updated). */
void synack_undo_on_ack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg, uint32_t acked,
                        const synack_rack_ack_t *ra, synack_time_t now);
/* F-RTO step 2b: bytes of new data that may go out. */
uint32_t synack_undo_frto_allowance(const synack_tcb_t *tcb);

/* ---------- tcp_persist.c (zero-window probes, RFC 9293 §3.8.6.1) ---------- */
void synack_tcp_persist_fire(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* The window opened: leave the persist phase. */
void synack_tcp_persist_stop(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- tcp_pmtu.c (RFC 1191, RFC 8201) ---------- */
/* A validated fragmentation-needed / packet-too-big reported mtu for the TCB's path. */
void synack_tcp_pmtu_update(synack_stack_t *st, synack_tcb_t *tcb, uint32_t mtu, synack_time_t now);

/* ---------- tcp_pacing.c ---------- */
/* The connection's pacing rate in bytes per second; UINT64_MAX when it does not pace (pacing off,
 * no RTT measured yet). */
uint64_t synack_tcp_pacing_rate(const synack_stack_t *st, const synack_tcb_t *tcb);
/* Linux's sk_pacing_rate whether or not the socket paces (tcp_info): bytes/s, UINT64_MAX
 * before the first RTT sample. */
uint64_t synack_tcp_pacing_rate_info(const synack_tcb_t *tcb);

/* ---------- tcp_errqueue.c: MSG_ZEROCOPY completions and SO_TIMESTAMPING reports ---------- */
typedef struct synack_errq synack_errq_t;
int synack_tcp_errq_set_zerocopy(synack_stack_t *st, synack_tcb_t *tcb, int on);
int synack_tcp_errq_get_zerocopy(const synack_tcb_t *tcb);
int synack_tcp_errq_set_timestamping(synack_stack_t *st, synack_tcb_t *tcb, int flags);
int synack_tcp_errq_get_timestamping(const synack_tcb_t *tcb);
/* A send queued [start, start+len) with these SYNACK_MSG_* flags. */
void synack_tcp_errq_sending(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t start, uint32_t len, int flags);
/* New data [start, end) went out for the first time. */
void synack_tcp_errq_sent(synack_stack_t *st, synack_tcb_t *tcb, synack_seq_t start, synack_seq_t end, synack_time_t now);
/* SND.UNA advanced. */
void synack_tcp_errq_acked(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* The connection's data is gone (it ended): zerocopy sends complete. */
void synack_tcp_errq_purge(synack_stack_t *st, synack_tcb_t *tcb);
bool synack_tcp_errq_pending(const synack_tcb_t *tcb);
int synack_tcp_errq_pop(synack_tcb_t *tcb, synack_sock_err_t *out);
void synack_tcp_errq_free(synack_stack_t *st, synack_tcb_t *tcb);
/* A connection accepted from a listener takes its SO_ZEROCOPY and SO_TIMESTAMPING settings. */
void synack_tcp_errq_inherit(synack_stack_t *st, synack_tcb_t *child, const synack_tcb_t *listener);

/* ---------- tcp_chrono.c: why the sender is busy (Linux's tcp_chrono_*, tcp_info) ---------- */
enum { SYNACK_CHRONO_UNSPEC = 0, SYNACK_CHRONO_BUSY, SYNACK_CHRONO_RWND_LIMITED, SYNACK_CHRONO_SNDBUF_LIMITED };
/* Starts timing `type` unless a higher-ranked reason is being timed. */
void synack_tcp_chrono_start(synack_tcb_t *tcb, uint8_t type, synack_time_t now);
/* Ends `type`: back to BUSY while data is queued or in flight, else to nothing. */
void synack_tcp_chrono_stop(synack_tcb_t *tcb, uint8_t type, synack_time_t now);
/* A write found the send buffer full / the sender may have run out of data to send: starts
 * timing sndbuf-limited once everything queued has been sent and some is still in flight. */
void synack_tcp_chrono_nospace(synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_chrono_sndbuf_check(synack_tcb_t *tcb, synack_time_t now);
/* busy (all reasons), rwnd-limited and sndbuf-limited time up to now (µs). */
void synack_tcp_chrono_read(const synack_tcb_t *tcb, synack_time_t now, uint64_t *busy, uint64_t *rwnd, uint64_t *sndbuf);
/* True when the next data segment must wait for its departure time; the pacing timer is then
 * armed for it. */
bool synack_tcp_pacing_hold(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* A data segment of len payload bytes left at now: the next may leave len/rate later. */
void synack_tcp_pacing_sent(synack_stack_t *st, synack_tcb_t *tcb, uint32_t len, synack_time_t now);
/* SYNACK_SO_MAX_PACING_RATE. */
int synack_tcp_pacing_set_max(synack_tcb_t *tcb, int v);
int synack_tcp_pacing_get_max(const synack_tcb_t *tcb);

/* ---------- tcp_timer.c ---------- */
void synack_tcp_delack_arm(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
void synack_tcp_keep_update(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* The keepalive parameters in force: the socket's own, else the stack's current default. */
static inline uint32_t synack_tcp_keep_idle(const synack_stack_t *st, const synack_tcb_t *tcb) {
  return tcb->keep_idle_s ? tcb->keep_idle_s : st->cfg.tcp_keepalive_idle_s;
}
static inline uint32_t synack_tcp_keep_intvl(const synack_stack_t *st, const synack_tcb_t *tcb) {
  return tcb->keep_intvl_s ? tcb->keep_intvl_s : st->cfg.tcp_keepalive_intvl_s;
}
static inline uint32_t synack_tcp_keep_cnt(const synack_stack_t *st, const synack_tcb_t *tcb) {
  return tcb->keep_cnt ? tcb->keep_cnt : st->cfg.tcp_keepalive_probes;
}
/* The stack's configuration changed (synack_stack_set_config): re-arm the keepalive timers of
 * the connections that follow the defaults. */
void synack_tcp_config_changed(synack_stack_t *st, const synack_config_t *old);
void synack_tcp_cancel_timers(synack_stack_t *st, synack_tcb_t *tcb);
synack_time_t synack_tcp_tcb_next_timer(const synack_tcb_t *tcb);

/* ---------- tcp_input.c ---------- */
void synack_tcp_input_tcb(synack_stack_t *st, synack_tcb_t *tcb, synack_seg_t *seg, synack_time_t now);
/* Applies the peer's SYN options to a TCB (window scale, SACK, timestamps, MSS). */
void synack_tcp_apply_syn_opts(synack_stack_t *st, synack_tcb_t *tcb, const synack_tcp_opts_t *o);
void synack_tcp_set_mss(synack_stack_t *st, synack_tcb_t *tcb);
/* cfg.tcp_rcvbuf_round_mss: the receive buffer becomes a whole number of segments once the
 * peer's MSS is known (both ends' SYNs seen). */
void synack_tcp_rcvbuf_round(synack_stack_t *st, synack_tcb_t *tcb);

/* ---------- tcp_listen.c ---------- */
void synack_tcp_listen_input(synack_stack_t *st, synack_listener_t *l, synack_seg_t *seg, synack_time_t now);
void synack_tcp_halfopen_input(synack_stack_t *st, synack_halfopen_t *h, synack_seg_t *seg, synack_time_t now);
void synack_tcp_halfopen_timer(synack_stack_t *st, synack_halfopen_t *h, synack_time_t now);
void synack_tcp_halfopen_free(synack_stack_t *st, synack_halfopen_t *h, synack_tcp_state_t to, const char *reason);
/* Bytes of a half-open entry's allocation: the struct plus the data held from its SYN. */
size_t synack_tcp_halfopen_size(const synack_halfopen_t *h);
/* Closes a listener: RST to queued children, half-open entries dropped. */
void synack_tcp_listener_close(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);

/* ---------- tcp_syncookie.c ---------- */
/* MSS table index for a peer MSS (the largest entry not above it). */
uint8_t synack_cookie_mss_index(uint16_t mss);
uint16_t synack_cookie_mss(uint8_t idx);
uint32_t synack_cookie_make(const synack_stack_t *st, const synack_tuple_t *t, synack_seq_t irs, uint16_t mss,
                            synack_time_t now);
/* Returns the MSS encoded in a valid cookie, or 0 when invalid. */
uint16_t synack_cookie_check(const synack_stack_t *st, const synack_tuple_t *t, synack_seq_t irs, uint32_t cookie,
                             synack_time_t now);
/* TSval carrying the peer's window scale and SACK-permitted in its low 5 bits; ecn >= 0 adds
 * a sixth bit, the SYN's ECN request (cfg.tcp_syncookie_linux), ecn < 0 leaves it out. */
uint32_t synack_cookie_ts_encode(uint32_t ts_now, bool ws, uint8_t wscale, bool sack, int ecn);
/* The inverse; ecn NULL when the sixth bit was not encoded. */
void synack_cookie_ts_decode(uint32_t ts_ecr, bool *ws, uint8_t *wscale, bool *sack, bool *ecn);
/* The MSS a cookie for a peer announcing mss encodes (the table entry at or below it). */
uint16_t synack_cookie_encoded_mss(const synack_stack_t *st, uint8_t family, uint16_t mss);

/* ---------- tcp_fastopen.c (RFC 7413) ---------- */
enum {
  SYNACK_TFOF_CONNECT = 1,    /* TCP_FASTOPEN_CONNECT set */
  SYNACK_TFOF_DEFER = 2,      /* connect() returned at once: the SYN waits for the first send */
  SYNACK_TFOF_WANT = 4,       /* our first SYN carries the fast open option (and the data queued) */
  SYNACK_TFOF_SYN = 8,        /* our SYN carried the option (we asked for, or used, a cookie) */
  SYNACK_TFOF_SYN_DATA = 16,  /* our SYN carried data */
  SYNACK_TFOF_DATA_ACKED = 32,/* the SYN-ACK acknowledged that data (TCPI_OPT_SYN_DATA) */
  SYNACK_TFOF_CHILD = 64,     /* passive: counted in the listener's fast open queue */
  SYNACK_TFOF_NO_COOKIE = 128,/* TCP_FASTOPEN_NO_COOKIE */
};
/* What a listener answers a SYN with, decided before any half-open entry exists. */
typedef struct {
  bool child;          /* a fast open child was created (SYN-ACK sent, nothing else to do) */
  bool drop_data;      /* the SYN took part in fast open but its data is not accepted (RFC 7413 §4.2.2) */
  bool cookie;         /* the SYN-ACK carries a cookie (fo_* below) */
  bool exp;
  uint8_t len;
  uint8_t val[16];
} synack_tfo_reply_t;
/* Server side of a SYN at a listener whose SYN queue has room: validates the cookie or makes
 * one for the SYN-ACK; out->child asks the caller (tcp_listen.c) to create the connection in
 * SYN-RECEIVED with the SYN's data, counted in the listener's fast open queue. */
void synack_tfo_listen_syn(synack_stack_t *st, synack_listener_t *l, const synack_seg_t *seg, synack_tfo_reply_t *out);
/* The child left SYN-RECEIVED (or ended): it no longer counts in its listener's queue. */
void synack_tfo_child_done(synack_stack_t *st, synack_tcb_t *tcb);
/* Client: true when the first SYN to the connection's destination may carry data (a cookie is
 * cached, or no cookie is needed). */
bool synack_tfo_client_ready(synack_stack_t *st, const synack_tcb_t *tcb);
/* Client: the data a SYN may carry (RFC 7413 §4.2.1: an MSS less the option space). */
uint32_t synack_tfo_syn_space(synack_stack_t *st, const synack_tcb_t *tcb);
/* Client: the fast open option of our first SYN (cookie or request). */
void synack_tfo_syn_opts(synack_stack_t *st, const synack_tcb_t *tcb, synack_ctl_opts_t *c);
/* Client: the SYN-ACK arrived (SYN-SENT): caches the cookie and MSS, takes the acknowledged SYN
 * data off the send ring, and when the SYN's data was not acknowledged makes it go again. */
void synack_tfo_synack(synack_stack_t *st, synack_tcb_t *tcb, const synack_seg_t *seg);
/* Frees the cookie cache. */
void synack_tfo_fini(synack_stack_t *st);

/* ---------- tcp_timewait.c ---------- */
/* Turns a TCB entering/in TIME-WAIT into a compact entry (the TCB is then freed by the caller). */
void synack_tcp_timewait_enter(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, synack_time_t expires);
/* Returns true when the segment was consumed; false when it reopened the entry (a new SYN
 * that the caller passes on to the listener). */
bool synack_tcp_timewait_input(synack_stack_t *st, synack_timewait_t *tw, synack_seg_t *seg, synack_time_t now);
void synack_tcp_timewait_timer(synack_stack_t *st, synack_timewait_t *tw, synack_time_t now);
void synack_tcp_timewait_free(synack_stack_t *st, synack_timewait_t *tw, const char *reason);
/* RFC 1122 §4.2.2.13 (2): a SYN that reopened TIME-WAIT (seg->tw_reopen) has been handled by the
 * listener: a half-open entry now decides (marked tw_reopen); without one (the SYN was dropped)
 * the entry returns to TIME-WAIT; `cookie` (a SYN cookie answered it) gives the entry up. */
void synack_tcp_timewait_settle(synack_stack_t *st, const synack_tuple_t *t, bool cookie);
/* cfg.tcp_tw_socket_handoff: a TCB in TIME-WAIT whose socket the application still holds
 * becomes a compact entry (returned; NULL when the table is full) and the socket CLOSED, as
 * Linux keeps every TIME-WAIT in its mini-socket. */
synack_timewait_t *synack_tcp_timewait_handoff(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now);
/* The suspended TIME-WAIT entry of t (if any) ends: the listener took its SYN and dropped it
 * (cfg.tcp_listen_drop_synfin), as Linux's entry ends once a listener has the SYN. */
void synack_tcp_timewait_end_suspended(synack_stack_t *st, const synack_tuple_t *t, const char *why);
/* The half-open entry of a reopening SYN ends: `old` (the handshake proved the SYN an old
 * duplicate: RST, SYN in window) puts the suspended entry back, else it is freed. */
void synack_tcp_timewait_reopen_done(synack_stack_t *st, const synack_tuple_t *t, bool old);
/* Frees every suspended entry (stack teardown). */
void synack_tcp_timewait_free_suspended(synack_stack_t *st);
/* RFC 6191 / tw_reuse: true when a TIME-WAIT tuple may carry a new outgoing connection. */
bool synack_tcp_timewait_reusable(const synack_stack_t *st, const synack_timewait_t *tw, synack_time_t now);

/* ---------- tcp_api.c / lifecycle ---------- */
synack_tcb_t *synack_tcb_new(synack_stack_t *st, uint8_t family);
void synack_tcb_free(synack_stack_t *st, synack_tcb_t *tcb);
/* The connection is over: state CLOSED, timers off, unhashed; err (negative or 0) is reported
 * to a socket that still holds its handle; an orphan is freed. */
void synack_tcp_done(synack_stack_t *st, synack_tcb_t *tcb, int err, const char *reason);
/* Posts events to the TCB's socket, if it has one. */
void synack_tcp_post(synack_stack_t *st, synack_tcb_t *tcb, uint32_t bits, int err);
/* A socket reached TIME-WAIT or is orphaned in it: start 2*MSL / convert. */
void synack_tcp_enter_timewait(synack_stack_t *st, synack_tcb_t *tcb, synack_time_t now, const char *reason);
/* Initialises buffer sizes, MSS, window scale and RTO of a new connection. */
void synack_tcb_setup_conn(synack_stack_t *st, synack_tcb_t *tcb);

#endif
