/* Internal state of one `synack drill` run, shared by drill_run.c, drill_pkt.c and
 * drill_shell.c. */
#ifndef SYNACK_TOOLS_DRILL_INT_H
#define SYNACK_TOOLS_DRILL_INT_H

#include <string.h>

#include "drill.h"

typedef struct {
  synack_time_t t;         /* stack time at which the stack sent it */
  uint8_t *buf;
  size_t len;
} drill_out_t;

typedef struct drill_fd {
  int label;               /* the script's fd number */
  int sock;                /* synack handle */
  bool nonblock;
  bool listener;
  bool shut_wr;            /* shutdown(SHUT_WR/RDWR) was called */
  uint32_t rd_off, wr_off; /* stream offsets read / written so far (payload check) */
  bool connected;          /* was ever connected or connecting (poll's bits once CLOSED) */
  bool cloexec;            /* FD_CLOEXEC (kept for F_GETFD only: nothing is exec'd) */
  bool oobinline;          /* SO_OOBINLINE was set */
  int epoll;               /* an epoll instance: its slot in drill_run_t.epolls + 1; 0 for a socket */
  bool udp;                /* a datagram socket (drill_udp.c) */
  int os;                  /* a file or pipe end (drill_file.c): its host fd + 1; 0 for a socket */
  bool pipe_end;           /* os is a pipe end (else a file) */
  uint8_t *carry;          /* synack target: bytes taken from this pipe that a socket did not take */
  size_t ncarry;
} drill_fd_t;

/* Linux's epoll flag bits (the event bits are poll's). */
#define DRILL_EPOLLEXCLUSIVE (1u << 28)
#define DRILL_EPOLLWAKEUP (1u << 29)
#define DRILL_EPOLLONESHOT (1u << 30)
#define DRILL_EPOLLET (1u << 31)

/* One file registered in an epoll instance. */
typedef struct {
  int label;               /* the registered socket's fd label */
  uint32_t events;         /* requested events and flags (EPOLLET, EPOLLONESHOT) */
  uint64_t data;           /* epoll_data, as written (fd=, u32=, u64=) */
  bool edge;               /* a wakeup since the last report (EPOLLET) */
  bool disabled;           /* EPOLLONESHOT reported: nothing until EPOLL_CTL_MOD */
} drill_epoll_reg_t;

#define DRILL_MAX_EPOLL 8

typedef struct {
  bool used;
  int nregs;
  drill_epoll_reg_t regs[64];
} drill_epoll_t;

typedef struct {
  uint32_t script, actual;
} drill_tsmap_t;

typedef struct {
  int ev;                  /* index of the call event */
  synack_time_t start;     /* stack time the call started */
  int64_t done;            /* bytes written so far (blocking write) */
  synack_time_t timeo_end; /* SO_RCVTIMEO / SO_SNDTIMEO deadline (0: not looked up yet; NEVER: none) */
} drill_pending_t;

#define DRILL_MAX_FDS 64
#define DRILL_MAX_PYVARS 32

/* A variable of the run's %{ }% blocks (drill_py.c). */
typedef struct {
  char name[32];
  double v;
} drill_pyvar_t;
#define DRILL_MAX_PENDING 8
#define DRILL_MAX_NOCHECK 16
#define DRILL_MAX_TSMAP 256

struct drill_run;
typedef struct drill_run drill_run_t;

/* What a script runs against (docs/drill.md "Targets"): synack on virtual time (drill_synack.c)
 * or the host's Linux kernel behind a TUN device in a namespace of its own, on the wall clock
 * (drill_kernel.c). The engine (drill_run.c), the calls (drill_call.c), the packets
 * (drill_pkt.c) and the shell (drill_shell.c) go through this table and share everything else.
 * Sockets are handles (>= 0); results are >= 0 or -errno with Linux errno values. */
typedef struct drill_target {
  const char *name;
  /* How long past a '>' line's window the engine looks to tell "late" from "never" (a failing
   * run waits that long: short on the wall clock). */
  synack_time_t late_look;
  /* Before the script's first line runs (family and addresses known); false: reported. */
  bool (*open)(drill_run_t *r);
  /* At the first event that needs the stack: creates it, the script's clock starts. */
  bool (*start)(drill_run_t *r);
  void (*close)(drill_run_t *r);
  /* Moves r->now towards limit; wake is the earliest time a pending call must be retried.
   * Returns false when nothing happened before limit (r->now is then at limit or later). */
  bool (*advance)(drill_run_t *r, synack_time_t limit, synack_time_t wake);
  /* Hands every packet the stack sent since the last call to drill_out_push. */
  void (*collect)(drill_run_t *r);
  void (*inject)(drill_run_t *r, const uint8_t *pkt, size_t len);
  int (*socket)(drill_run_t *r, int family);
  int (*bind)(drill_run_t *r, int s, const synack_endpoint_t *ep);
  int (*listen)(drill_run_t *r, int s, int backlog);
  int (*accept)(drill_run_t *r, int s);
  int (*connect)(drill_run_t *r, int s, const synack_endpoint_t *ep);
  int (*getsockname)(drill_run_t *r, int s, synack_endpoint_t *ep);
  int (*getpeername)(drill_run_t *r, int s, synack_endpoint_t *ep);
  int (*close_sock)(drill_run_t *r, int s);
  /* close() of a socket with SO_LINGER on and a time of secs > 0, which Linux's inet_release
   * makes wait (sk_stream_wait_close), non-blocking socket or not: starts it (0 or -errno; one
   * at a time, r->linger); close_linger_done tells whether that close() has returned yet, with
   * its result in *rc. */
  int (*close_linger_start)(drill_run_t *r, int s, int secs);
  bool (*close_linger_done)(drill_run_t *r, int *rc);
  int (*shutdown)(drill_run_t *r, int s, int how);
  int64_t (*recv)(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags); /* SYNACK_MSG_* */
  int64_t (*send)(drill_run_t *r, int s, const uint8_t *buf, size_t len, int flags);
  /* sendto(..., MSG_FASTOPEN, ep): connect and data on the SYN (RFC 7413) */
  int64_t (*sendto_fastopen)(drill_run_t *r, int s, const uint8_t *buf, size_t len, const synack_endpoint_t *ep);
  /* recvmsg: also the message flags (SYNACK_MSG_*) and, with TCP_INQ on, the TCP_CM_INQ
   * value (-1 when the call returned none) */
  int64_t (*recvmsg)(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags, int *msg_flags, int *inq);
  int (*setsockopt)(drill_run_t *r, int s, synack_sockopt_t opt, int v);
  /* setsockopt(TCP_MD5SIG) with Linux's struct tcp_md5sig (RFC 2385) */
  int (*md5sig)(drill_run_t *r, int s, const synack_tcp_md5sig_t *m);
  int (*getsockopt)(drill_run_t *r, int s, synack_sockopt_t opt, int *v);
  /* poll() revents of a socket, Linux bits, before masking with the asked events */
  uint32_t (*poll_bits)(drill_run_t *r, const struct drill_fd *f);
  int (*tcp_info)(drill_run_t *r, int s, synack_tcp_info_t *ti);
  /* recvmsg(MSG_ERRQUEUE) with len bytes of buffer: the bytes returned (0 for a report without
   * data) or -errno; the report and the message flags (Linux values: MSG_ERRQUEUE, MSG_TRUNC);
   * e->time in the run's clock (r->now) */
  int64_t (*recv_err)(drill_run_t *r, int s, size_t len, synack_sock_err_t *e, int *msg_flags);
  /* UDP (drill_udp.c): a datagram socket; one datagram to `to` (NULL: the connected peer);
   * one datagram received (flags SYNACK_MSG_PEEK / SYNACK_MSG_TRUNC): the bytes copied, or
   * its length with SYNACK_MSG_TRUNC; *trunc when it was longer than len. The other calls
   * (bind, connect, close, options, poll) take UDP sockets as they are. */
  int (*udp_socket)(drill_run_t *r, int family);
  int64_t (*udp_sendto)(drill_run_t *r, int s, const uint8_t *buf, size_t len, const synack_endpoint_t *to);
  int64_t (*udp_recvfrom)(drill_run_t *r, int s, uint8_t *buf, size_t len, int flags, bool *trunc);
  /* sendfile / splice (drill_file.c): up to len bytes of a file (at *off, else at its position,
   * which moves) or pipe `src` into socket s (flags SYNACK_MSG_MORE); up to len bytes of socket
   * s into the pipe end `dst`. The bytes moved, or -errno; never blocks. */
  int64_t (*send_from_fd)(drill_run_t *r, int s, struct drill_fd *src, int64_t *off, size_t len, int flags);
  int64_t (*recv_to_pipe)(drill_run_t *r, int s, struct drill_fd *dst, size_t len);
} drill_target_t;

extern const drill_target_t drill_target_synack;
extern const drill_target_t drill_target_kernel;

struct drill_run {
  const drill_script_t *s;
  const drill_opts_t *o;
  synack_config_t cfg;
  synack_stack_t *st;
  bool linux_profile;
  int family;                     /* of the packets (and of the sockets, unless mapped) */
  bool mapped;                    /* --ip_version=ipv4-mapped-ipv6: AF_INET6 sockets, IPv4 packets */
  synack_ip_t lip, rip;
  uint16_t lport, rport;          /* the flow: stack side, peer side */
  /* RFC 2385: the key of the script's latest TCP_MD5SIG for the peer; `md5` options of inbound
   * packets are signed with it, those of outbound packets checked against it. */
  uint8_t md5_key[SYNACK_TCP_MD5SIG_MAXKEYLEN];
  uint16_t md5_keylen;
  uint16_t bind_port, connect_port, peer_port;
  synack_time_t base, now;        /* stack time of script time 0; current stack time */
  /* the kernel target moved the clock origin this much (its own lateness): a time the kernel
   * stamped before a move reads that much early (SO_TIMESTAMPING reports, drill_errq.c) */
  int64_t clock_slack_us;
  /* header options */
  int64_t tol_us;
  int64_t tol_permille;           /* tolerance_percent * 10 */
  int64_t ts_tick_us;             /* 0 = outbound TS val unchecked */
  bool strict_segments, nonfatal_syscall, strict_tail;
  uint32_t peer_mss;              /* --mss: injected data is split into segments this long (0: not) */
  /* segments the stack sent, not yet matched */
  drill_out_t *outq;
  size_t nout, capout, outhead;
  /* sequence translation */
  bool have_isn;
  uint32_t isn_base;              /* raw = script + isn_base for the stack's sequence space */
  uint32_t peer_nxt;              /* next peer sequence number, for '...(LEN)' */
  uint32_t isn_raw;               /* the stack's ISN as sent (payload check) */
  /* The peer's latest urgent byte (a '<' line with URG): its stream offset, for the payload
   * check of reads (the out-of-band byte is not in the stream unless SO_OOBINLINE). */
  bool urg_pending;
  uint32_t urg_off;
  /* An earlier out-of-band byte still at the reader's position when a newer pointer came: it
   * is dropped from the stream too (Linux tcp_check_urg). */
  bool urg_skip;
  uint32_t urg_skip_off;
  bool have_peer_isn;
  uint32_t peer_isn;              /* the peer's ISN: the sequence number of its latest SYN */
  uint32_t last_out_seq;
  /* timestamps */
  drill_tsmap_t tsmap[DRILL_MAX_TSMAP];
  int ntsmap;
  bool have_ts_first, have_last_ts;
  uint32_t ts_first_script, ts_first_actual, last_ts_actual;
  /* sockets */
  drill_fd_t fds[DRILL_MAX_FDS];
  int nfds;
  int last_conn_label;            /* for %{ }% blocks */
  drill_pending_t pending[DRILL_MAX_PENDING];
  int npending;
  drill_epoll_t epolls[DRILL_MAX_EPOLL];
  drill_pyvar_t pyvars[DRILL_MAX_PYVARS]; /* %{ NAME = EXPR }% */
  int npyvars;
  /* outcome */
  drill_status_t status;
  bool done;
  char *msg;
  size_t msgcap, msglen;
  int line;                       /* line of the event being run */
  bool soft;                      /* --non_fatal=syscall while checking a call: warn only */
  synack_tcp_state_t peer_state;  /* the script's end as its packets imply (--verbose) */
  uint32_t peer_fin_end;          /* sequence number after the peer's FIN */
  size_t outq_bytes;              /* memory bound of the outbound queue */
  const drill_target_t *tg;       /* what the script runs against */
  bool live;                      /* the stack exists (target started) */
  void *kern;                     /* the kernel target's state */
  /* Stream ranges (offsets of the sending side) sent from a file or pipe: not the pattern, so
   * the payload check skips them (drill_file.c). */
  struct {
    uint32_t lo, hi;
  } nocheck[DRILL_MAX_NOCHECK];
  int nnocheck;
  char tmpdir[64];                /* the run's private directory for /tmp/ files, "" until used */
  /* A close() waiting for its SO_LINGER time (close_linger_start): the connection it closed
   * (synack target), the closing thread (kernel target). */
  struct {
    bool on;
    synack_endpoint_t local, remote;
    synack_time_t until;
    void *thread;
  } linger;
};

/* Payload bytes: both directions carry this pattern, indexed by the offset in the stream (0 =
 * the byte after the SYN), so that data delivered or sent at the wrong place is caught. */
static inline uint8_t drill_stream_byte(uint32_t off) { return (uint8_t)((off * 2654435761u) >> 24); }

/* The sockets' family, and an address as the sockets name it (::ffff:a.b.c.d when mapped). */
static inline int drill_sock_family(const drill_run_t *r) { return r->mapped ? SYNACK_AF_INET6 : r->family; }
static inline synack_ip_t drill_sock_ip(const drill_run_t *r, synack_ip_t ip) {
  if (!r->mapped || ip.family != SYNACK_AF_INET) return ip;
  synack_ip_t m;
  memset(&m, 0, sizeof m);
  m.family = SYNACK_AF_INET6;
  m.b[10] = m.b[11] = 0xff;
  memcpy(m.b + 12, ip.b, 4);
  return m;
}

/* Message helpers (drill_run.c): append a line to the run's message. */
void drill_say(drill_run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void drill_fail(drill_run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void drill_unsupported(drill_run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Script time (seconds, as text) of a stack time. */
double drill_stime(const drill_run_t *r, synack_time_t t);
/* The fd of a label, or NULL. */
drill_fd_t *drill_fd(drill_run_t *r, int label);

/* Queues one packet the stack sent at r->now (targets' collect). */
void drill_out_push(drill_run_t *r, const uint8_t *buf, size_t len);
/* The same, sent at stack time t (the kernel's own transmit time stamp). */
void drill_out_push_at(drill_run_t *r, const uint8_t *buf, size_t len, synack_time_t t);
/* Linux poll() bit values used by the runner (drill_call.c) and the targets. */
#define D_POLLIN 0x1
#define D_POLLPRI 0x2
#define D_POLLOUT 0x4
#define D_POLLERR 0x8
#define D_POLLHUP 0x10
#define D_POLLNVAL 0x20
#define D_POLLRDNORM 0x40
#define D_POLLWRNORM 0x100
#define D_POLLWRBAND 0x200
#define D_POLLRDHUP 0x2000

/* drill_pkt.c */
/* Builds the IP packet of a '<' line into buf; returns its length or 0 (reason in why). */
size_t drill_pkt_build(drill_run_t *r, const drill_packet_t *pk, uint8_t *buf, size_t cap, char *why, size_t whycap);
/* Renders the expected line / an actual segment in script syntax. */
void drill_pkt_render_expected(const drill_packet_t *pk, char *buf, size_t cap);
void drill_pkt_render_actual(const drill_run_t *r, const synack_dissect_t *d, uint8_t flags, size_t paylen, char *buf,
                             size_t cap);
/* Compares an actual segment (flags/payload length possibly merged) with a '>' line. Returns true
 * when it matches; otherwise why says the first difference. Learns the ISN / TS mapping on a match. */
bool drill_pkt_compare(drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, uint8_t flags,
                       size_t paylen, int64_t tol_us, char *why, size_t whycap);

/* The IP header of a packet peer -> stack (swap: the quoted stack -> peer one) in front of
 * l4len bytes of protocol proto, with the line's ipinfo (pk may be NULL); its length or 0. */
size_t drill_pkt_ip(const drill_run_t *r, const drill_packet_t *pk, bool swap, uint8_t proto, size_t l4len,
                    uint8_t *buf, size_t cap);
/* The ipinfo a '>' line wrote ((ect0), (tos 0x..), (ttl N), flowlabel) against a packet. */
bool drill_pkt_compare_ipinfo(const drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, char *why,
                              size_t whycap);

/* ICMP lines: the type and code a line names, in the script's family (false: unknown, why
 * says so); whether a packet the stack sent is an ICMP error (dissected into d); rendering;
 * a '> icmp' line against it (type, code, mtu, ipinfo, and the quoted peer's packet: its
 * transport and its UDP length or TCP seq, peer numbers, when written). */
bool drill_pkt_icmp_numbers(const drill_run_t *r, const drill_packet_t *pk, int *type, int *code, char *why,
                            size_t whycap);
bool drill_pkt_is_icmp_error(const uint8_t *buf, size_t len, synack_dissect_t *d);
void drill_pkt_render_icmp(const synack_dissect_t *d, char *buf, size_t cap);
bool drill_pkt_compare_icmp(drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, char *why,
                            size_t whycap);

/* drill_udp.c: UDP lines and datagram sockets */
size_t drill_udp_build(drill_run_t *r, const drill_packet_t *pk, uint8_t *buf, size_t cap, char *why, size_t whycap);
/* The UDP header of the stack's datagram that an ICMP error ('[udp (LEN)]') quotes. */
void drill_udp_quote(const drill_run_t *r, const drill_packet_t *pk, uint8_t out[SYNACK_UDP_HDR_LEN]);
/* Whether a packet the stack sent is a (whole) UDP datagram; dissected into d. */
bool drill_udp_dissect(const uint8_t *buf, size_t len, synack_dissect_t *d);
void drill_udp_render_actual(const synack_dissect_t *d, char *buf, size_t cap);
/* Compares a datagram the stack sent with a '> udp' line (addresses, ports, length, ipinfo,
 * payload); false with the first difference in why. */
bool drill_udp_compare(drill_run_t *r, const drill_packet_t *pk, const synack_dissect_t *d, char *why, size_t whycap);
/* A call on a UDP socket: returns false when it is one that any socket takes the same way
 * (close, fcntl, options...); else true, with *finished false while a blocking call waits. */
bool drill_udp_socket_call(drill_run_t *r, const drill_event_t *ev, drill_fd_t *f, drill_pending_t *pend,
                           bool may_block, int64_t *ret, bool *finished);

/* drill_call.c */
/* packetdrill's struct msghdr of sendmsg/recvmsg: the length (sum of the iov_len), msg_flags
 * when written, whether msg_name is given (NULL: no address); ctl: recvmsg's TCP_CM_INQ (NULL:
 * any control message is UNSUPPORTED); *nullbuf when an iov_base with a length is NULL. False
 * once reported UNSUPPORTED. */
struct drill_msgctl;
bool drill_msghdr_arg(drill_run_t *r, const char *n, const drill_arg_t *m, int64_t *len, int64_t *msg_flags,
                      bool *has_msg_flags, bool *named, struct drill_msgctl *ctl, bool *nullbuf);
/* Tries a system call. blocking: the call may wait (a T...E call on a blocking socket): returns
 * false while it would block. Otherwise returns true with the result (>= 0 or -errno) in *ret. */
/* recvmsg(fd, MSG, MSG_ERRQUEUE) (drill_errq.c). */
bool drill_recv_errqueue(drill_run_t *r, struct drill_fd *f, const drill_arg_t *msg, int64_t flags, int64_t *ret);
bool drill_call_try(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret);
/* Checks a finished call's result against the script (fails the run on a mismatch). */
void drill_call_check(drill_run_t *r, const drill_event_t *ev, int64_t ret);
/* Stack time at which a pending call must be looked at even without stack activity
 * (a poll timeout), or SYNACK_TIME_NEVER. */
synack_time_t drill_call_wake(const drill_run_t *r, const drill_pending_t *pend);
/* Symbol values (Linux numbering); returns false when unknown. */
bool drill_symbol(const char *name, int64_t *v);
/* The errno value of a symbol ("ECONNRESET"), or 0. */
int drill_errno_value(const char *name);
/* Evaluates an integer argument (INT, SYM, OR, [v]); false with an unsupported note otherwise. */
bool drill_arg_int(drill_run_t *r, const drill_arg_t *a, int64_t *v);
/* Linux-like poll bits of a socket (before masking with the events asked for). */
uint32_t drill_poll_bits(drill_run_t *r, drill_fd_t *f);
/* Names of poll (or, with epoll, EPOLL*) event bits joined by '|' ("0" for none). */
void drill_event_names(uint32_t bits, bool epoll, char *buf, size_t cap);
/* Removes a closed fd: an epoll instance, or a socket (also from every epoll interest list). */
void drill_fd_closed(drill_run_t *r, drill_fd_t *f);

/* drill_sockopt.c: SO_RCVTIMEO / SO_SNDTIMEO ({tv_sec, tv_usec}) set or compared (same contract
 * as a call: *ret the result). */
bool drill_timeo_opt(drill_run_t *r, const char *n, drill_fd_t *f, synack_sockopt_t o, const drill_arg_t *va, bool set,
                     int64_t *ret);
/* getsockopt(fd, SOL_TCP, TCP_SAVED_SYN, ..., [LEN]): the headers are read (once, as the
 * kernel gives them) and their length compared with LEN. */
bool drill_saved_syn_opt(drill_run_t *r, const char *n, drill_fd_t *f, const drill_arg_t *va, const drill_arg_t *lenarg,
                         int64_t *ret);
/* A blocking call on f waiting since pend->start has reached its SO_RCVTIMEO / SO_SNDTIMEO (o)
 * and must return; the deadline is kept in pend (drill_call_wake reports it). */
bool drill_timeo_expired(drill_run_t *r, const drill_fd_t *f, drill_pending_t *pend, synack_sockopt_t o);

/* drill_epoll.c: epoll_create/epoll_create1/epoll_ctl/epoll_wait emulated on synack_poll and
 * the stack's events (same contract as drill_call_try). */
bool drill_epoll_call(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret);
/* A stack event for a socket (drill_run.c's drain): a wakeup for edge-triggered entries. */
void drill_epoll_wakeup(drill_run_t *r, int sock);
/* The fd slot for a new label (an existing one is replaced), or NULL when full. */
drill_fd_t *drill_fd_new(drill_run_t *r, int label, int sock);

/* drill_kernel.c: shell hooks of the kernel target. A sysctl written into the run's namespace
 * (0, or -1 once reported UNSUPPORTED); whether a command may run in the namespace (`ip`, `tc`,
 * `ethtool`); running it (its exit status, 2 once reported). */
int drill_kernel_sysctl(drill_run_t *r, const char *name, const char *value);
bool drill_kernel_command(const char *base);
int drill_kernel_exec(drill_run_t *r, char **argv, int argc);

/* drill_file.c: open, pipe, sendfile, splice and the calls on files and pipes (true: handled,
 * *finished as drill_call_try's result); closing one; closing all at the end of a run; whether
 * a stream offset of the sending side came from a file or pipe; the synack target's copies. */
bool drill_file_call(drill_run_t *r, const drill_event_t *ev, drill_pending_t *pend, bool blocking, int64_t *ret,
                     bool *finished);
void drill_file_close(drill_run_t *r, drill_fd_t *f);
void drill_files_cleanup(drill_run_t *r);
bool drill_out_unchecked(const drill_run_t *r, uint32_t off);
int64_t drill_copy_to_socket(drill_run_t *r, int s, drill_fd_t *src, int64_t *off, size_t len, int flags);
int64_t drill_copy_from_socket(drill_run_t *r, int s, drill_fd_t *dst, size_t len);

/* drill_py.c: the statements of a %{ }% block against a TCP_INFO snapshot. */
void drill_py_block(drill_run_t *r, const char *code, const synack_tcp_info_t *ti);

/* drill_shell.c */
/* Runs a back-quoted command (phase: 0 before the stack exists, 1 on the timeline, 2 after the
 * last event). Reports failures/unsupported through the run. */
void drill_shell(drill_run_t *r, const char *cmd, int phase);
/* Evaluates a %{ }% block. */
void drill_code(drill_run_t *r, const char *code);
/* A TCP_INFO field by its Linux name (tcpi_state in Linux's numbering, tcpi_rto in us...);
 * false when synack_tcp_info has no such field. */
bool drill_tcpi_field(const synack_tcp_info_t *ti, const char *name, int64_t *v);

#endif
