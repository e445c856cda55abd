/* `synack drill`: the packet-script runner (see docs/drill.md).
 *
 * drill_parse.c turns a script's text into a drill_script_t (no stack involved, so the parser
 * is unit-tested on its own); drill_run.c executes it against one stack on virtual time;
 * drill_pkt.c builds the peer's packets and compares/renders the stack's; drill_call.c runs the
 * system calls (drill_epoll.c the epoll ones); drill_shell.c answers back-quoted shell lines
 * and %{ }% blocks; drill_main.c is the command line. drill_int.h holds the state of one run. */
#ifndef SYNACK_TOOLS_DRILL_H
#define SYNACK_TOOLS_DRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <synack/synack.h>

/* ---------------------------------------------------------------- script model */

typedef enum {
  DRILL_T_NONE = 0, /* no time: a shell line before the first / after the last event */
  DRILL_T_ABS,      /* seconds since the start */
  DRILL_T_REL,      /* +x: relative to the previous event */
  DRILL_T_ANY,      /* '*' */
} drill_tkind_t;

typedef struct {
  drill_tkind_t kind;
  int64_t us;
} drill_time_t;

typedef enum {
  DRILL_OPT_EOL = 0,
  DRILL_OPT_NOP,
  DRILL_OPT_MSS,
  DRILL_OPT_WSCALE,
  DRILL_OPT_SACKOK,
  DRILL_OPT_SACK,
  DRILL_OPT_TS,
  DRILL_OPT_FO,
  DRILL_OPT_FOEXP, /* fast open in the experimental form: kind 254, magic 0xF989 */
  DRILL_OPT_MD5,   /* RFC 2385 signature (kind 19): signed / checked with the script's TCP_MD5SIG key */
} drill_optkind_t;

typedef struct {
  drill_optkind_t kind;
  uint32_t v1, v2;        /* mss / wscale value; TS val, ecr */
  uint8_t nblocks;        /* sack */
  uint32_t blocks[4][2];
  uint8_t fo_len;         /* fast-open cookie */
  uint8_t fo[16];
} drill_opt_t;

#define DRILL_MAX_OPTS 40

typedef enum { DRILL_SEQ_NORMAL = 0, DRILL_SEQ_ANY, DRILL_SEQ_RAW } drill_seqmode_t;
typedef enum { DRILL_OPTS_NONE = 0, DRILL_OPTS_ANY, DRILL_OPTS_LIST } drill_optmode_t;

#define DRILL_ECN_NOT 0
#define DRILL_ECN_ECT1 1
#define DRILL_ECN_ECT0 2
#define DRILL_ECN_CE 3
#define DRILL_ECN_ECT01 4 /* '>' lines: ECT(0) or ECT(1) */

typedef struct {
  char dir;                /* '<' injected by the peer, '>' sent by the stack */
  /* ipinfo */
  bool has_ecn, has_tos, has_ttl, has_flowlabel;
  uint8_t ecn, tos, ttl;
  uint32_t flowlabel;      /* IPv6 flow label (20 bits) */
  /* ICMP injection */
  bool icmp;
  char icmp_type[24], icmp_code[24];
  bool has_mtu, has_quote;
  uint32_t mtu;
  /* UDP: 'udp (LEN)' lines (LEN in len), and '[udp (LEN)]' quoted by an ICMP error
   * (drill_udp.c). sport/dport: synack's extension naming the ports of one datagram. */
  bool udp;
  bool has_sport, has_dport;
  uint16_t sport, dport;
  /* TCP */
  uint8_t flags;           /* SYNACK_TCP_* */
  drill_seqmode_t seq_mode;
  uint32_t start, end, len;
  bool has_ack, has_win, has_urg;
  uint32_t ack, win, urg;
  drill_optmode_t opt_mode;
  int nopts;
  drill_opt_t opts[DRILL_MAX_OPTS];
} drill_packet_t;

typedef enum {
  DRILL_ARG_INT = 0,
  DRILL_ARG_SYM,      /* a symbol (O_NONBLOCK, ECONNRESET...) */
  DRILL_ARG_OR,       /* terms joined by '|': items are INT/SYM */
  DRILL_ARG_ELLIPSIS, /* ... */
  DRILL_ARG_NULL,
  DRILL_ARG_ARRAY,    /* [a, b] */
  DRILL_ARG_STRUCT,   /* {name=value, ...}: items carry names */
  DRILL_ARG_STRING,   /* "text" */
} drill_argkind_t;

typedef struct drill_arg {
  drill_argkind_t kind;
  int64_t num;
  char *text;              /* SYM, STRING; field name for STRUCT members in `name` */
  char *name;              /* member name inside a STRUCT, else NULL */
  bool has_size;           /* a sized member name: msg_iov(1)=..., msg_name(...)=... */
  int64_t size;            /* its size (-1 for '...') */
  int n;
  struct drill_arg *items;
} drill_arg_t;

typedef struct {
  char *name;
  int nargs;
  drill_arg_t *args;
  bool result_is_sym;
  int64_t result;
  char *result_sym;
  char *err;               /* expected errno symbol, or NULL */
} drill_call_t;

typedef enum { DRILL_EV_PACKET = 0, DRILL_EV_CALL, DRILL_EV_SHELL, DRILL_EV_CODE } drill_evkind_t;

typedef struct {
  drill_evkind_t kind;
  int line, col;
  drill_time_t t;
  bool has_range;          /* a~b: t .. t2 */
  drill_time_t t2;
  bool blocking;           /* T...E: t .. end */
  drill_time_t end;
  drill_packet_t pkt;
  drill_call_t call;
  char *text;              /* shell command / code block body */
} drill_event_t;

typedef struct {
  char *name, *value;      /* value NULL for a bare switch */
  int line;
} drill_hopt_t;

typedef struct {
  const char *path;
  int nhopts;
  drill_hopt_t *hopts;
  int nevents;
  drill_event_t *events;
  /* The parser's first note of something the runner cannot honour (script → UNSUPPORTED). */
  char unsupported[256];
} drill_script_t;

typedef struct {
  const char *name, *value;
} drill_define_t;

/* Parses text (NUL-terminated). defines: -D words (also defined for #ifdef) plus ifdef-only
 * names (value NULL). Returns 0, or -1 with "path:line:col: message" in err. */
int drill_parse(const char *path, const char *text, const drill_define_t *defs, int ndefs, drill_script_t *out,
                char *err, size_t errcap);
void drill_script_free(drill_script_t *s);

/* Parses a time value in seconds ("1.5", ".1", "12") to microseconds; returns chars used or 0. */
size_t drill_parse_seconds(const char *s, int64_t *us);
/* Shell arithmetic: evaluates the text inside $(( )) (C operators, numbers in decimal, 0x hex
 * and 0 octal; no variables). Returns 0, or -1 with the reason in why. */
int drill_arith(const char *s, size_t n, int64_t *v, char *why, size_t whycap);
/* Length of a "$((...))" at s (0 when s does not start one or it is not closed on this line). */
size_t drill_arith_len(const char *s, size_t n);
/* Parses a flags word ("S.", "FP.", "-"); returns true on success. */
bool drill_parse_flags(const char *s, size_t n, uint8_t *flags);
/* Renders flags the script way ("S.", "F.", "-"). */
void drill_flags_str(uint8_t flags, char *buf, size_t cap);

/* ---------------------------------------------------------------- runner */

typedef enum { DRILL_PASS = 0, DRILL_FAIL, DRILL_UNSUPPORTED } drill_status_t;

typedef struct {
  const char *profile;     /* "rfc", "linux", "freebsd" */
  bool options_normalized;
  bool window_ignore;
  bool verbose;
  bool kernel;             /* --target=kernel: the host's Linux kernel (docs/drill.md) */
  /* header options from the command line / drill.opts, applied around the script's own */
  int npre, npost;
  const drill_hopt_t *pre, *post;
} drill_opts_t;

/* Runs one parsed script. msg receives the failure / unsupported explanation (several lines). */
drill_status_t drill_run(const drill_script_t *s, const drill_opts_t *o, char *msg, size_t msgcap);

/* ---------------------------------------------------------------- shell / sysctl */

/* Applies one sysctl (Linux or FreeBSD name, docs/drill.md) to cfg. Returns 0, or with the
 * reason in why (the script is then UNSUPPORTED) -1 for a value the stack cannot take, -2 for a
 * name the runner does not know. */
int drill_sysctl_apply(synack_config_t *cfg, const char *name, const char *value, char *why, size_t whycap);

#endif
