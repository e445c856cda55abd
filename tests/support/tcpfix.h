/* tcpfix: a small "packetdrill in C" for connection tests.
 *
 * One stack under test on a bare-IP link (no ARP/ND), address 198.18.0.1 / fd00::1; the test
 * plays the remote peer 198.18.0.2 / fd00::2. Time is virtual (fx->now, microseconds). The test
 * injects segments it builds (real IP+TCP packets with correct checksums) and pops the stack's
 * output one segment at a time, asserting each field.
 *
 * Sequence numbers are relative, like packetdrill: in segments the test injects, seq counts from
 * the peer's ISN (fx->peer_isn) and ack from the stack's ISN (fx->isn); in segments the stack
 * sends, seq counts from fx->isn and ack from fx->peer_isn. fx->isn is learned from every SYN
 * the stack sends (SYN or SYN-ACK). Set .abs = true in a segment to use raw 32-bit values.
 *
 * Every check reports the file:line of the call site and prints the offending segment in
 * tcpdump-like syntax. The macros mark the current harness case failed (they expect
 * tests/harness.h to be included first).
 *
 * Usage:
 *   fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
 *   int s = fx_open_passive(fx);                       // ESTABLISHED, seq 1 / ack 1 each way
 *   fx_inject(fx, SYNACK_MS(100), FX_PA, 1, 1, .len = 10);
 *   fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(140));   // delayed ACK after 40 ms
 *   fx_expect_none(fx);
 *   fx_free(fx);
 */
#ifndef SYNACK_TESTS_TCPFIX_H
#define SYNACK_TESTS_TCPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/synack.h"

/* Flag shorthands (tcpdump spelling in the comment). */
#define FX_S SYNACK_TCP_SYN                                   /* S  */
#define FX_SA (SYNACK_TCP_SYN | SYNACK_TCP_ACK)               /* S. */
#define FX_A SYNACK_TCP_ACK                                   /* .  */
#define FX_PA (SYNACK_TCP_PSH | SYNACK_TCP_ACK)               /* P. */
#define FX_FA (SYNACK_TCP_FIN | SYNACK_TCP_ACK)               /* F. */
#define FX_FPA (SYNACK_TCP_FIN | SYNACK_TCP_PSH | SYNACK_TCP_ACK) /* FP. */
#define FX_R SYNACK_TCP_RST                                   /* R  */
#define FX_RA (SYNACK_TCP_RST | SYNACK_TCP_ACK)               /* R. */
#define FX_F SYNACK_TCP_FIN
#define FX_U SYNACK_TCP_URG

/* In expectations, PSH is ignored unless .psh_exact is set (pushing is a free choice). */

#define FX_WIN_ZERO 0x10000u /* .win value meaning "window 0" (0 means default / unchecked) */

#define FX_LOCAL_PORT 8080   /* the port the stack listens on */
#define FX_PEER_PORT 40000   /* the peer's port when it connects to the stack */
#define FX_SERVICE_PORT 80   /* the peer's port when the stack connects to it */

typedef struct {
  uint32_t has;              /* SYNACK_TCPOPT_HAS_MSS | _WSCALE | _SACK_PERM | _TS */
  uint16_t mss;
  uint8_t ws;
  uint32_t tsval, tsecr;     /* expect: tsval checked when nonzero, tsecr when .check_tsecr */
  bool check_tsecr;
  /* Fast open (.has SYNACK_TCPOPT_HAS_FASTOPEN): inject: on a SYN after the other options,
   * kind 34 (kind 254 with .fo_exp), NOP-padded as Linux; expect: the cookie is .fo_len bytes,
   * equal to .fo when set. */
  uint8_t fo_len;
  const uint8_t *fo;
  bool fo_exp;
} fx_opt_t;

/* RFC 5925: one side's TCP-AO signing for the fixture: the master key and its algorithm
 * (SYNACK_TCP_AO_ALG_*), whether options are excluded from the MAC, and the KeyID and
 * RNextKeyID the option carries. */
typedef struct {
  const uint8_t *key;
  size_t keylen;
  uint8_t alg;
  bool excl;
  uint8_t keyid, rnext;
} fx_ao_t;

typedef struct {
  uint8_t flags;
  uint32_t seq, ack;
  uint32_t win;              /* inject: 0 = fx->peer_win; expect: 0 = unchecked; FX_WIN_ZERO = 0 */
  const void *data;          /* payload bytes; NULL with len > 0 = the stream pattern at seq */
  size_t len;
  fx_opt_t opt;              /* inject: options to send; expect: options that must be present */
  bool noopt;                /* inject: send no options at all (not even the automatic ones) */
  bool nots;                 /* inject: no automatic timestamp option */
  const char *layout;        /* expect: exact option layout, e.g. "mss,sackOK,TS,nop,wscale"; "" = none */
  synack_time_t t, within;   /* expect: sent in [t, t + within]; both 0 = time unchecked */
  bool abs;                  /* seq/ack are raw values */
  bool psh_exact;            /* expect: compare PSH too */
  bool any_ack;              /* expect: do not check the ack field */
  uint8_t tos;               /* inject: IP TOS / traffic class (ECN codepoint in the low 2 bits) */
  bool check_tos;            /* expect: the IP TOS / traffic class equals .tos */
  uint16_t urg;              /* inject: the urgent pointer field (with FX_U in the flags) */
  uint8_t nsack;             /* inject: number of SACK blocks in .sack (sent after the automatic options);
                                expect: when nonzero, the segment carries exactly these blocks in this order */
  uint32_t sack[4][2];       /* inject: SACK blocks [left, right) relative to fx->isn (raw with .abs);
                                expect: relative to fx->peer_isn (raw with .abs) */
  bool md5_none;             /* inject with fx->md5_key set: no MD5 option */
  bool md5_bad;              /* inject with fx->md5_key set: a wrong digest (last byte flipped) */
  bool ao_none;              /* inject with fx->ao_in set: no TCP-AO option */
  bool ao_bad;               /* inject with fx->ao_in set: a wrong MAC (last byte flipped) */
} fx_seg_t;

typedef struct {
  synack_time_t t;
  uint8_t *buf;
  size_t len;
} fx_frame_t;

#define FX_MAX_SOCK 2048

typedef struct fx {
  synack_stack_t *st;
  synack_config_t cfg;
  int family;
  synack_time_t now;
  synack_ip_t local_ip, peer_ip;
  uint16_t lport, rport;     /* the connection under test: stack's port, peer's port */
  uint32_t isn, peer_isn;    /* absolute ISNs (stack's learned from its SYN) */
  bool learn_isn;            /* default true */
  uint32_t peer_win;         /* window the peer advertises; default 65535 */
  fx_opt_t peer_syn;         /* options the peer puts on its SYN / SYN-ACK; default MSS 1460 */
  bool ts_on;                /* timestamps negotiated: injected segments carry TS automatically */
  uint32_t peer_ts_base;     /* peer's TSval = base + now in ms */
  uint32_t last_tsval;       /* latest TSval the stack sent (used as TSecr) */
  uint32_t last_win;         /* window field of the latest segment the stack sent (raw) */
  uint32_t sseq, pseq;       /* relative: stack's SND.NXT and RCV.NXT (set by the state helpers) */
  int listener;              /* handle of fx_listen's socket, -1 */
  /* RFC 2385: with a key, every injected segment carries a signature option first (NOP, NOP,
   * kind 19, as Linux) signed with it, and every expected segment must carry a valid one. */
  const uint8_t *md5_key;
  size_t md5_keylen;
  /* RFC 5925: with ao_in every injected segment carries a TCP-AO option first (as Linux), its
   * MAC from ao_in's key; with ao_out every segment the stack sends must carry ao_out's KeyID
   * and RNextKeyID and a valid MAC with its key. The contexts use both ISNs (the destination's
   * 0 on a SYN without ACK); the SNE is 1 for a sequence number below the sender's ISN (one wrap). */
  const fx_ao_t *ao_in, *ao_out;
  bool only_peer;            /* collect only frames addressed to peer_ip (others discarded) */
  /* output queue */
  fx_frame_t *q;
  size_t qhead, qlen, qcap;
  uint64_t frames_seen;
  /* events accumulated per handle */
  uint32_t ev[FX_MAX_SOCK];
  int everr[FX_MAX_SOCK];
} fx_t;

/* ---- lifetime ---- */
/* Fills cfg with the fixture's defaults (the library defaults plus: bare-IP link, the stack's
 * addresses, quick-ACK start off so that delayed ACKs are deterministic, a fixed seed). */
void fx_config(synack_config_t *cfg, int family);
/* hook may adjust the config (RFC 5961 on/off, cookies, backlog...); NULL for none. */
fx_t *fx_new(int family, void (*hook)(synack_config_t *cfg));
fx_t *fx_new_cfg(int family, const synack_config_t *cfg);
void fx_free(fx_t *fx);

/* ---- time and output ---- */
/* Runs timers up to t (fx->now becomes t), collecting every frame the stack sends. */
void fx_advance(fx_t *fx, synack_time_t t);
/* Collects frames the stack has ready now (after API calls). */
void fx_drain(fx_t *fx);
size_t fx_pending(fx_t *fx);
/* Pops the oldest collected frame into out (caller frees out->buf); false when none. */
bool fx_pop(fx_t *fx, fx_frame_t *out);
/* Pops the oldest TCP segment, dissected (d points into frame->buf). */
bool fx_pop_tcp(fx_t *fx, fx_frame_t *frame, synack_dissect_t *d);
/* Formats a frame tcpdump-style with relative numbers. */
char *fx_format(fx_t *fx, const fx_frame_t *f, char *buf, size_t cap);
/* Discards everything collected so far. */
void fx_flush_output(fx_t *fx);

/* ---- injection ---- */
bool fx_inject_seg_(fx_t *fx, const char *file, int line, synack_time_t t, const fx_seg_t *seg);
/* Builds the packet of seg as the peer would send it (also for tools like the flood test). */
size_t fx_build(fx_t *fx, const fx_seg_t *seg, const synack_ip_t *src, uint16_t sport, uint8_t *buf, size_t cap);
/* Injects raw bytes. */
void fx_inject_raw(fx_t *fx, synack_time_t t, const uint8_t *pkt, size_t len);
/* Injects an ICMP "fragmentation needed" (IPv4, RFC 1191) or "packet too big" (IPv6, RFC 8201)
 * from the peer's address reporting mtu, quoting a segment of the connection under test with
 * sequence number seq (relative to fx->isn). */
void fx_inject_too_big(fx_t *fx, synack_time_t t, uint32_t mtu, uint32_t seq);

/* ---- expectations ---- */
bool fx_expect_seg_(fx_t *fx, const char *file, int line, const fx_seg_t *e);
bool fx_expect_none_(fx_t *fx, const char *file, int line, synack_time_t until);
bool fx_check_(bool ok, const char *file, int line, const char *what);

/* ---- state and API helpers ---- */
/* State of the connection under test (found by 4-tuple in the connection table), or CLOSED. */
synack_tcp_state_t fx_state(fx_t *fx);
/* State of a socket by handle (CLOSED when the handle is unknown). */
synack_tcp_state_t fx_sock_state(fx_t *fx, int sock);
bool fx_find(fx_t *fx, synack_conn_entry_t *out);
size_t fx_count_kind(fx_t *fx, synack_conn_kind_t kind);
synack_tcp_info_t fx_info(fx_t *fx, int sock);
/* Pops every pending event into fx->ev / fx->everr, then returns and clears the bits of sock. */
uint32_t fx_events(fx_t *fx, int sock);
int fx_last_error(fx_t *fx, int sock);
/* Byte i of the test stream pattern. */
uint8_t fx_pattern(uint32_t i);
int64_t fx_send(fx_t *fx, int sock, size_t len, uint32_t stream_off);
int64_t fx_recv(fx_t *fx, int sock, void *buf, size_t cap);
bool fx_endpoint(fx_t *fx, synack_endpoint_t *ep, bool peer, uint16_t port);

/* Opens connections; each step is asserted. Return the socket handle or -1 on failure. */
int fx_listen_(fx_t *fx, const char *file, int line, int backlog);
int fx_open_passive_(fx_t *fx, const char *file, int line);  /* ESTABLISHED, passive */
int fx_open_active_(fx_t *fx, const char *file, int line);   /* ESTABLISHED, active */
int fx_syn_sent_(fx_t *fx, const char *file, int line);      /* SYN-SENT, SYN popped */
int fx_syn_received_(fx_t *fx, const char *file, int line);  /* listener with a half-open entry */
/* Drives an ESTABLISHED socket (from fx_open_*) to `state`, asserting every segment.
 * Supported: ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK.
 * Updates fx->sseq / fx->pseq. Uses shutdown(SHUT_WR) so the handle stays valid. */
bool fx_goto_(fx_t *fx, const char *file, int line, int sock, synack_tcp_state_t state);

/* ---- call-site macros ---- */
#define FX_CHK_(call) do { th_total_checks++; if (!(call)) th_case_failed = 1; } while (0)
#define fx_inject(fx, t, fl, sq, ak, ...) \
  FX_CHK_(fx_inject_seg_((fx), __FILE__, __LINE__, (t), &(fx_seg_t){ .flags = (fl), .seq = (sq), .ack = (ak), __VA_ARGS__ }))
#define fx_inject_seg(fx, t, segp) FX_CHK_(fx_inject_seg_((fx), __FILE__, __LINE__, (t), (segp)))
#define fx_expect(fx, fl, sq, ak, ...) \
  FX_CHK_(fx_expect_seg_((fx), __FILE__, __LINE__, &(fx_seg_t){ .flags = (fl), .seq = (sq), .ack = (ak), __VA_ARGS__ }))
#define fx_expect_seg(fx, ep) FX_CHK_(fx_expect_seg_((fx), __FILE__, __LINE__, (ep)))
/* Nothing sent now / nothing sent up to time t (timers run). */
#define fx_expect_none(fx) FX_CHK_(fx_expect_none_((fx), __FILE__, __LINE__, 0))
#define fx_expect_none_until(fx, t) FX_CHK_(fx_expect_none_((fx), __FILE__, __LINE__, (t)))
#define fx_check(cond) FX_CHK_(fx_check_((cond), __FILE__, __LINE__, #cond))
#define fx_check_state(fx, st) do { synack_tcp_state_t fx_s_ = fx_state(fx); th_total_checks++; \
    if (fx_s_ != (st)) { fprintf(stderr, "%s:%d: state %s, expected %s\n", __FILE__, __LINE__, \
      synack_tcp_state_name(fx_s_), synack_tcp_state_name(st)); th_case_failed = 1; } } while (0)
#define fx_check_sock_state(fx, s, st) do { synack_tcp_state_t fx_s_ = fx_sock_state(fx, s); th_total_checks++; \
    if (fx_s_ != (st)) { fprintf(stderr, "%s:%d: socket %d state %s, expected %s\n", __FILE__, __LINE__, (s), \
      synack_tcp_state_name(fx_s_), synack_tcp_state_name(st)); th_case_failed = 1; } } while (0)
#define fx_check_rc(call, want) do { int64_t fx_r_ = (int64_t)(call); int64_t fx_w_ = (int64_t)(want); th_total_checks++; \
    if (fx_r_ != fx_w_) { fprintf(stderr, "%s:%d: %s returned %" PRId64 " (%s), expected %" PRId64 " (%s)\n", \
      __FILE__, __LINE__, #call, fx_r_, fx_r_ < 0 ? synack_strerror((int)fx_r_) : "ok", fx_w_, \
      fx_w_ < 0 ? synack_strerror((int)fx_w_) : "ok"); th_case_failed = 1; } } while (0)
/* The helpers that build a fixture abort the case when a step fails. */
#define FX_REQUIRE_(expr) do { th_total_checks++; if (!(expr)) { fprintf(stderr, "%s:%d: fixture step failed: %s\n", \
      __FILE__, __LINE__, #expr); th_case_failed = 1; fx_free(fx); return; } } while (0)
#define fx_listen(fx, backlog) fx_listen_((fx), __FILE__, __LINE__, (backlog))
#define fx_open_passive(fx) fx_open_passive_((fx), __FILE__, __LINE__)
#define fx_open_active(fx) fx_open_active_((fx), __FILE__, __LINE__)
#define fx_syn_sent(fx) fx_syn_sent_((fx), __FILE__, __LINE__)
#define fx_syn_received(fx) fx_syn_received_((fx), __FILE__, __LINE__)
#define fx_goto(fx, s, st) fx_goto_((fx), __FILE__, __LINE__, (s), (st))

/* ---- two stacks over the simulator (Ethernet, ARP) ---- */
typedef struct {
  synack_sim_t *sim;
  synack_stack_t *a, *b;     /* a: client 10.0.0.1, b: server 10.0.0.2 */
  int na, nb, link;
  synack_ip_t ipa, ipb;
  synack_config_t cfga, cfgb;
} fx_pair_t;
/* hook(cfg, which) adjusts each stack's config (which 0 = a, 1 = b); links may be NULL (perfect). */
fx_pair_t *fx_pair_new(uint64_t seed, const synack_sim_link_cfg_t *ab, const synack_sim_link_cfg_t *ba,
                       void (*hook)(synack_config_t *cfg, int which));
void fx_pair_free(fx_pair_t *p);
/* Pops all events of a stack into out[handle] (bits OR-ed), errors into err[handle]. */
void fx_pair_events(synack_stack_t *st, uint32_t *bits, int *err, size_t cap);

#endif
