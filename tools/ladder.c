/* Terminal ladder diagrams (see ladder.h). */
#include "ladder.h"

#include <string.h>

#define COL_RESET "\033[0m"
#define COL_DIM "\033[2m"
#define COL_RED "\033[31m"
#define COL_GREEN "\033[32m"
#define COL_YELLOW "\033[33m"
#define COL_CYAN "\033[36m"

static const char *c(const synack_ladder_t *l, const char *code) { return l->color ? code : ""; }

void ladder_init(synack_ladder_t *l, FILE *out, const char *left, const char *right, const synack_ip_t *left_ip) {
  memset(l, 0, sizeof *l);
  l->out = out;
  l->left_name = left;
  l->right_name = right;
  l->left_ip = *left_ip;
  l->left_state = l->right_state = SYNACK_TCP_CLOSED;
}

void ladder_header(synack_ladder_t *l) {
  fprintf(l->out, "%s%10s  %-14s %-62s %-14s%s\n", c(l, COL_DIM), "time (s)", l->left_name, "", l->right_name,
          c(l, COL_RESET));
}

static void fmt_opts(const synack_tcp_opts_t *o, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
  if (o->present & SYNACK_TCPOPT_HAS_MSS) n += (size_t)snprintf(buf + n, cap - n, "mss %u,", o->mss);
  if (n < cap && (o->present & SYNACK_TCPOPT_HAS_SACK_PERM)) n += (size_t)snprintf(buf + n, cap - n, "sackOK,");
  if (n < cap && (o->present & SYNACK_TCPOPT_HAS_SACK)) {
    for (int i = 0; i < o->sack_count && n < cap; i++) n += (size_t)snprintf(buf + n, cap - n, "sack,");
  }
  if (n < cap && (o->present & SYNACK_TCPOPT_HAS_TS)) n += (size_t)snprintf(buf + n, cap - n, "TS,");
  if (n < cap && (o->present & SYNACK_TCPOPT_HAS_WSCALE)) n += (size_t)snprintf(buf + n, cap - n, "ws %u,", o->wscale);
  if (n > 0 && n < cap) buf[n - 1] = 0;
}

void ladder_frame(synack_ladder_t *l, synack_time_t t, const uint8_t *frame, size_t len, bool is_eth, bool lost) {
  synack_dissect_t d;
  if (synack_dissect(frame, len, is_eth, &d) != SYNACK_DROP_NONE) {
    fprintf(l->out, "%10.6f  (malformed frame, %zu bytes)\n", (double)t / 1e6, len);
    return;
  }
  bool from_left;
  char text[160];
  if (d.has_arp) {
    from_left = synack_ip_equal(&d.arp.spa, &l->left_ip);
    char ip[48];
    snprintf(text, sizeof text, "ARP %s %s", d.arp.op == SYNACK_ARP_REQUEST ? "who-has" : "reply",
             synack_ip_format(d.arp.op == SYNACK_ARP_REQUEST ? &d.arp.tpa : &d.arp.spa, ip, sizeof ip));
  } else if (d.has_icmp) {
    from_left = synack_ip_equal(&d.src, &l->left_ip);
    const char *what = "ICMP";
    if (d.icmp.type == SYNACK_ICMP4_ECHO_REQUEST || d.icmp.type == SYNACK_ICMP6_ECHO_REQUEST) what = "ICMP echo request";
    if (d.icmp.type == SYNACK_ICMP4_ECHO_REPLY || d.icmp.type == SYNACK_ICMP6_ECHO_REPLY) what = "ICMP echo reply";
    if (d.icmp.type == SYNACK_ICMP6_NS) what = "ND solicit";
    if (d.icmp.type == SYNACK_ICMP6_NA) what = "ND advert";
    snprintf(text, sizeof text, "%s", what);
  } else if (d.has_tcp) {
    from_left = synack_ip_equal(&d.src, &l->left_ip);
    int dir = from_left ? 0 : 1;
    const synack_tcp_repr_t *tcp = &d.tcp;
    if ((tcp->flags & SYNACK_TCP_SYN) && !l->have_isn[dir]) {
      l->have_isn[dir] = true;
      l->isn[dir] = tcp->seq;
    }
    uint32_t seq = tcp->seq - (l->have_isn[dir] ? l->isn[dir] : 0);
    uint32_t ack = tcp->ack - (l->have_isn[!dir] ? l->isn[!dir] : 0);
    char flags[12], opts[80];
    synack_tcp_flags_str(tcp->flags, flags, sizeof flags);
    fmt_opts(&tcp->opts, opts, sizeof opts);
    int n = snprintf(text, sizeof text, "%-3s seq %u", flags, seq);
    if (tcp->flags & SYNACK_TCP_ACK) n += snprintf(text + n, sizeof text - (size_t)n, " ack %u", ack);
    if (tcp->payload_len) n += snprintf(text + n, sizeof text - (size_t)n, " len %zu", tcp->payload_len);
    n += snprintf(text + n, sizeof text - (size_t)n, " win %u", tcp->window);
    if (opts[0]) snprintf(text + n, sizeof text - (size_t)n, " <%s>", opts);
    l->segments++;
  } else {
    from_left = synack_ip_equal(&d.src, &l->left_ip);
    snprintf(text, sizeof text, "IP proto %u", d.proto);
  }
  if (lost) l->lost++;
  const char *col = lost ? c(l, COL_RED) : (from_left ? c(l, COL_GREEN) : c(l, COL_CYAN));
  /* The arrow is 64 columns wide; the label sits inside it. A lost segment ends in X midway. */
  char arrow[96];
  size_t tl = strlen(text);
  if (tl > 56) tl = 56;
  size_t pad = 60 - tl;
  size_t lpad = pad / 2, rpad = pad - lpad;
  size_t k = 0;
  if (!from_left) arrow[k++] = '<';
  for (size_t i = 0; i < lpad; i++) arrow[k++] = '-';
  arrow[k++] = ' ';
  memcpy(arrow + k, text, tl);
  k += tl;
  arrow[k++] = ' ';
  for (size_t i = 0; i < rpad; i++) arrow[k++] = '-';
  if (from_left) arrow[k++] = '>';
  arrow[k] = 0;
  if (lost) {
    /* Cross out the far half: the segment never arrives. */
    size_t mid = k / 2;
    if (from_left) {
      for (size_t i = mid + (tl / 2) + 2; i < k; i++) arrow[i] = ' ';
      if (k > 2) arrow[k - 1] = 'X';
    } else {
      for (size_t i = 0; i + 2 < mid - (tl / 2) && i < k; i++) arrow[i] = ' ';
      arrow[0] = 'X';
    }
  }
  /* Each end's state stands in its column, so every line shows where both ends are. */
  fprintf(l->out, "%10.6f  %-14s %s%-62s%s %-14s%s\n", (double)t / 1e6,
          synack_tcp_state_name((synack_tcp_state_t)l->left_state), col, arrow, c(l, COL_RESET),
          synack_tcp_state_name((synack_tcp_state_t)l->right_state), lost ? " (lost)" : "");
}

void ladder_state(synack_ladder_t *l, synack_time_t t, bool left, int old_state, int new_state, const char *why) {
  const char *name = left ? l->left_name : l->right_name;
  fprintf(l->out, "%10.6f  %s%s: %s -> %s%s%s%s\n", (double)t / 1e6, c(l, COL_YELLOW), name,
          synack_tcp_state_name((synack_tcp_state_t)old_state), synack_tcp_state_name((synack_tcp_state_t)new_state),
          why ? " (" : "", why ? why : "", why ? ")" : "");
  fputs(c(l, COL_RESET), l->out);
  /* A listener opening or closing is not the connection the columns follow. */
  if ((old_state == SYNACK_TCP_CLOSED && new_state == SYNACK_TCP_LISTEN) ||
      (old_state == SYNACK_TCP_LISTEN && new_state == SYNACK_TCP_CLOSED))
    return;
  if (left)
    l->left_state = new_state;
  else
    l->right_state = new_state;
}

void ladder_note(synack_ladder_t *l, synack_time_t t, const char *text) {
  fprintf(l->out, "%10.6f  %s# %s%s\n", (double)t / 1e6, c(l, COL_DIM), text, c(l, COL_RESET));
}
