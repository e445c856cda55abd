/* Configuration defaults and named presets (see include/synack/config.h for each field). */
#include <string.h>

#include "synack/config.h"

void synack_config_default(synack_config_t *c) {
  memset(c, 0, sizeof *c);
  c->link = SYNACK_LINK_ETHERNET;
  c->mac = (synack_mac_t){ { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 } }; /* locally administered */
  c->mtu = 1500;
  c->ip4_prefix = 24;
  c->ip6_prefix = 64;
  c->ip6_link_local = true;
  c->ttl = 64;

  c->tx_ring_frames = 256;
  c->max_sockets = 1024;
  c->max_timewait = 65536;
  c->neigh_entries = 256;
  c->neigh_queue = 4;
  c->neigh_max_incomplete = 64;
  c->frag_mem_bytes = 256 * 1024;
  c->frag_max_datagrams = 64;
  c->frag_timeout_ms = 30000;
  c->neigh_timeout_ms = 60000;
  c->neigh_retry_ms = 1000;
  c->icmp_rate_per_sec = 100;
  c->buf_cache_bytes = 1024 * 1024;
  c->udp_rcvbuf = 212992;

  c->tcp_sndbuf = 256 * 1024;
  c->tcp_rcvbuf = 256 * 1024;
  c->tcp_max_buf = 4 * 1024 * 1024;
  c->tcp_rcvbuf_auto = true;
  c->tcp_mem_low = 96ull << 20;
  c->tcp_mem_pressure = 128ull << 20;
  c->tcp_mem_high = 192ull << 20;
  c->tcp_default_mss = 536;
  c->tcp_syn_retries = 6;
  c->tcp_synack_retries = 5;
  c->tcp_retries2 = 15;
  c->tcp_orphan_retries = 8;
  c->tcp_max_orphans = 256;
  c->tcp_rto_initial_ms = 1000;
  c->tcp_rto_min_ms = 200;
  c->tcp_rto_max_ms = 120000;
  c->tcp_rto_slop_ms = 0;
  c->tcp_msl_ms = 30000;
  c->tcp_fin_timeout_ms = 60000;
  c->tcp_delack_ms = 40;
  c->tcp_syn_backlog = 256;
  c->tcp_max_backlog = 4096;
  c->tcp_keepalive_idle_s = 7200;
  c->tcp_keepalive_intvl_s = 75;
  c->tcp_keepalive_probes = 9;
  c->tcp_challenge_ack_limit = 1000;
  c->tcp_invalid_ratelimit_ms = 500;
  c->tcp_initial_cwnd_segs = 10;
  c->tcp_ooo_max_bytes = 0; /* 0 = the receive buffer size */
  c->tcp_ooo_max_ranges = 64;
  c->tcp_dsack = true;
  c->tcp_port_lo = 32768;
  c->tcp_port_hi = 60999;
  c->tcp_sack = true;
  c->tcp_timestamps = true;
  c->tcp_window_scaling = true;
  c->tcp_min_pmtu = 576;
  c->tcp_ecn = SYNACK_ECN_MODE_OFF;
  c->tcp_cc = SYNACK_CC_CUBIC;
  c->tcp_rack = true;
  c->tcp_frto = true;
  c->tcp_prr = true;
  c->tcp_idle_restart = true;
  c->tcp_abc_limit = 2;
  c->tcp_min_tso_segs = 2;
  c->tcp_hystart = true;
  c->tcp_pacing = false;
  c->tcp_syncookies = true;
  c->tcp_abort_on_overflow = false;
  c->tcp_rfc5961_rst = true;
  c->tcp_rfc5961_syn = true;
  c->tcp_rfc5961_ack = true;
  c->tcp_rfc1337 = true;
  c->tcp_tw_reuse = true;
  c->tcp_tw_recycle_syn = true;
  c->tcp_drop_synfin = false;
  c->tcp_quickack_start = true;
  c->tcp_isn_fixed = false;
  c->tcp_timewait = true;
  c->tcp_opt_layout = SYNACK_OPT_LAYOUT_LINUX;
  c->tcp_fastopen = SYNACK_TFO_CLIENT; /* Linux's default */
  c->tcp_fastopen_cache_bytes = 4096;
  c->tcp_md5_max_keys = 32;
  c->tcp_ao_max_keys = 32;
  /* No randomness source and no opt-in: the embedder must choose (config.h, "Secrets"). */
  c->random = NULL;
  c->insecure_deterministic = false;
  c->seed = 0;
  c->name = "stack";
}

void synack_config_deterministic(synack_config_t *c, uint64_t seed) {
  c->insecure_deterministic = true;
  c->seed = seed;
}

const char *synack_config_problem(const synack_config_t *c) {
  if (!c) return "no configuration";
  if (c->mtu < 576 || c->mtu > 65535) return "mtu must be within 576..65535";
  if (c->tcp_min_pmtu < 68 || c->tcp_min_pmtu > 576) return "tcp_min_pmtu must be within 68..576";
  if (c->tx_ring_frames == 0) return "tx_ring_frames must be at least 1";
  if (c->tcp_mem_low > c->tcp_mem_pressure || c->tcp_mem_pressure > c->tcp_mem_high)
    return "tcp_mem_low <= tcp_mem_pressure <= tcp_mem_high is required";
  if (!c->random && !c->insecure_deterministic)
    return "no randomness source: set cfg.random (synack_random_os on a real network) or opt in to "
           "predictable secrets with synack_config_deterministic() (simulator and tests only)";
  return NULL;
}

int synack_config_preset(synack_config_t *c, const char *name) {
  if (!name) return -22;
  if (strcmp(name, "rfc") == 0) {
    /* The RFCs' own numbers: RFC 6298 §2.4 minimum RTO of 1 s, RFC 5681 IW of RFC 6928,
     * RFC 9293 §3.4.2 MSL of 2 minutes, RFC 1122 4.2.3.2 delayed ACK under 500 ms. */
    c->tcp_rto_min_ms = 1000;
    c->tcp_msl_ms = 120000;
    c->tcp_delack_ms = 200;
    c->tcp_initial_cwnd_segs = 10;
    c->tcp_quickack_start = false;
    c->tcp_cc = SYNACK_CC_NEWRENO;
    c->tcp_prr = false; /* RFC 6937 is Experimental: the plain RFC 6675 pipe rule */
    c->tcp_hystart = false; /* RFC 5681's slow start; HyStart++ (RFC 9406) is an optional refinement */
    c->tcp_rcvbuf_auto = false; /* the RFCs size the buffer once */
    c->tcp_pacing = false;  /* no RFC asks a TCP sender to pace */
    c->tcp_opt_layout = SYNACK_OPT_LAYOUT_LINUX;
    c->tcp_rcvwnd = SYNACK_RCVWND_RFC;
    c->tcp_fin_ack_now = false;
    c->tcp_fin_ack_linux = false;
    c->tcp_synsent_badack_rtx_ms = 0;
    c->tcp_noack_drop = false;
    c->tcp_ack_check_acked = false;
    c->tcp_listen_drop_synack = false;
    c->tcp_simopen_keep_data = false;
    c->tcp_rto_slop_ms = 0;
    return 0;
  }
  if (strcmp(name, "linux") == 0) {
    c->tcp_rto_min_ms = 200;
    c->tcp_msl_ms = 30000; /* TIME-WAIT 60 s */
    c->tcp_delack_ms = 40;
    c->tcp_initial_cwnd_segs = 10;
    c->tcp_quickack_start = true;
    c->tcp_max_buf = 15 * 1024 * 1024; /* window scale from a 15 MiB maximum buffer */
    c->tcp_rcvbuf = 131072;            /* tcp_rmem[1]: half of it is window (tcp_rcvwnd.c) */
    c->tcp_rfc1337 = false;                    /* Linux's tcp_rfc1337 defaults to 0 */
    c->tcp_opt_layout = SYNACK_OPT_LAYOUT_LINUX;
    c->tcp_rcvbuf_round_mss = false;
    c->tcp_delack_every_second = false;
    c->tcp_rcvwnd = SYNACK_RCVWND_LINUX; /* tcp_select_window(), docs/linux-differences.md */
    c->tcp_fin_ack_now = false;
    c->tcp_fin_ack_linux = true; /* tcp_fin(): pingpong mode; ato 0 until the first data */
    c->tcp_synsent_badack_rtx_ms = 8; /* TCP_TIMEOUT_MIN: 2 jiffies at HZ=250 */
    c->tcp_noack_drop = true;         /* tcp_rcv_state_process: !ack && !rst && !syn: discard */
    c->tcp_ack_check_acked = true;    /* tcp_ack(): min(max_window, bytes_acked) */
    c->tcp_listen_drop_synack = false;
    c->tcp_simopen_keep_data = false;
    c->tcp_rto_slop_ms = 0;
    c->tcp_hystart = true; /* Linux runs HyStart (tcp_cubic hystart=1) in CUBIC's slow start */
    c->tcp_pacing = false; /* CUBIC paces only under the fq qdisc (default qdisc fq_codel/pfifo_fast) */
    c->tcp_simopen_synack_opts = true;
    c->tcp_synrcvd_plain_ack = true;
    c->tcp_synrcvd_syn_rst = true;
    c->tcp_synack_text_drop = true;
    c->tcp_sack_fin = true;
    c->tcp_shut_rd_keeps_data = true;
    c->tcp_orphan_rst_reply = true;
    c->tcp_rst_at_fin = true;
    c->tcp_tw_rst_exact = true;        /* tcp_timewait_state_process: RST only at rcv_nxt */
    c->tcp_listen_drop_synfin = true;  /* tcp_rcv_state_process, LISTEN: if (th->fin) discard */
    c->tcp_seq_end_at_rcv_nxt = true;  /* tcp_sequence: end_seq against rcv_wup */
    c->tcp_syn_data_drop = true;       /* tcp_conn_request: a request socket keeps no SYN data */
    c->tcp_syn_queue_linux = true;     /* tcp_conn_request: inet_csk_reqsk_queue_is_full, max_syn_backlog */
    c->tcp_icmp_open_abort = true;     /* tcp_v4_err: SYN_SENT/SYN_RECV -> tcp_done_with_error */
    c->tcp_seq_right_edge = true;      /* tcp_sequence: !after(seq, rcv_nxt + window); tcp_in_window */
    c->tcp_syn_linear_timeouts = 4;    /* net.ipv4.tcp_syn_linear_timeouts default */
    c->tcp_syn_timeout_model = true;   /* tcp_write_timeout: retransmits_timed_out(tcp_model_timeout) */
    c->tcp_dup_syn_rearm = true;       /* tcp_check_req: inet_rtx_syn_ack, timer re-armed, not backed off */
    c->tcp_tw_socket_handoff = true;   /* tcp_time_wait: TIME-WAIT lives in the mini-socket only */
    c->tcp_rst_errors_linux = true;
    c->tcp_abc_limit = UINT32_MAX;     /* tcp_slow_start: cwnd += every segment acknowledged */
    c->tcp_nagle_minshall = true;      /* tcp_nagle_check / tcp_minshall_check */
    c->tcp_psh_tso = true;             /* the last segment of each GSO packet carries PSH */
    c->tcp_cwnd_limited = true;        /* tcp_cong_avoid only when tcp_is_cwnd_limited */
    c->tcp_quickack_linux = true;      /* tcp_incr_quickack, TCP_MAX_QUICKACKS 16 */
    c->tcp_probe0_old_ack = true;      /* tcp_write_wakeup / tcp_xmit_probe_skb, tcp_ack_probe */
    c->tcp_sockbuf_double = true;      /* sock_setsockopt: sk_rcvbuf / sk_sndbuf = 2 x the value */
    c->tcp_recovery_linux = true; /* tcp_cwnd_reduction, bictcp_recalc_ssthresh, tcp_send_loss_probe */
    c->tcp_api_linux = true;           /* tcp_sendmsg's EPIPE, __inet_stream_connect, inet_shutdown */
    c->tcp_delack_linux = true;        /* tcp_event_data_recv/_sent, tcp_send_delayed_ack, pingpong */
    c->tcp_sndbuf_linux = 16384;       /* tcp_wmem[1]; tcp_sndbuf_expand at ESTABLISHED */
    c->tcp_ecn = SYNACK_ECN_MODE_PASSIVE; /* net.ipv4.tcp_ecn default 2: answer ECN, never ask */
    c->tcp_ecn_linux = true;           /* tcp_ecn_clear_syn, tcp_enter_loss, tcp_ecn_create_request */
    c->tcp_syncookie_linux = true;     /* syncookies.c msstab, cookie_init_timestamp / cookie_ecn_ok */
    c->tcp_min_pmtu = 552;             /* ip_rt_min_pmtu: 512 + 20 + 20 */
    c->tcp_timeout_linux = true;       /* tcp_clamp_rto_to_user_timeout, tcp_probe_timer, tcp_keepalive_timer */
    c->tcp_wnd_update_linux = true;    /* tcp_ack_update_window: tcp_may_update_window */
    return 0;
  }
  if (strcmp(name, "freebsd") == 0) {
    /* FreeBSD's tcp_timer.h / tcp_subr.c defaults: rexmit_min 30 ms, rexmit_slop 200 ms,
     * TCPTV_REXMTMAX 64 s; net.inet.tcp.ecn.enable=2 (answer ECN, never ask). */
    c->tcp_rto_min_ms = 30;
    c->tcp_rto_slop_ms = 200;
    c->tcp_rto_max_ms = 64000;
    c->tcp_ecn = SYNACK_ECN_MODE_PASSIVE;
    c->tcp_rcvwnd = SYNACK_RCVWND_FREEBSD;
    c->tcp_fin_ack_now = true;
    c->tcp_fin_ack_linux = false;
    c->tcp_synsent_badack_rtx_ms = 0;
    c->tcp_noack_drop = false;
    c->tcp_ack_check_acked = false;
    c->tcp_listen_drop_synack = true;
    c->tcp_simopen_keep_data = true;
    c->tcp_msl_ms = 30000; /* TIME-WAIT 2 x 30 s */
    c->tcp_delack_ms = 40;
    c->tcp_initial_cwnd_segs = 10;
    c->tcp_quickack_start = false;
    c->tcp_max_buf = 2 * 1024 * 1024; /* window scale from a 2 MiB maximum buffer */
    c->tcp_rcvbuf = 65536;
    c->tcp_rcvbuf_round_mss = true;
    c->tcp_rcvbuf_auto = false; /* the conformance profile: fixed buffers, as its scripts expect */
    c->tcp_delack_every_second = true;
    c->tcp_rfc1337 = true;
    c->tcp_rfc5961_rst = true;
    c->tcp_rfc5961_syn = true;
    c->tcp_rfc5961_ack = true;
    c->tcp_opt_layout = SYNACK_OPT_LAYOUT_FREEBSD;
    c->tcp_hystart = false; /* FreeBSD's default stack leaves HyStart++ to the stacks that ask for it */
    c->tcp_pacing = false;  /* FreeBSD's default stack paces only with TCP_MAXPACING/RACK stack */
    return 0;
  }
  return -22;
}
