/* TCP MD5 signatures (RFC 2385, tcp_md5sig.c): TCP_MD5SIG keys per peer and prefix, every
 * segment of a keyed connection signed (SYN, SYN-ACK, cookie SYN-ACK, data, ACK, RST, TIME-WAIT
 * answers) with the option first as Linux writes it, and segments without a valid signature
 * dropped and counted at the listener, half-open entries, connections and TIME-WAIT entries.
 * The fixture (tcpfix, fx->md5_key) signs what it injects and checks every signature the stack
 * sends against an independent digest. */
#include "harness.h"
#include "tcpfix.h"

static const uint8_t KEY[] = "bgp-session-secret";
#define KEYLEN (sizeof KEY - 1)

static uint64_t drops(fx_t *fx, synack_drop_reason_t r) { return synack_stack_counters(fx->st)->drops[r]; }

static int set_key(fx_t *fx, int s, const char *addr, int prefix, const uint8_t *key, size_t keylen) {
  synack_tcp_md5sig_t m;
  memset(&m, 0, sizeof m);
  if (synack_ip_parse(addr, &m.addr) != 0) return -9999;
  if (prefix >= 0) {
    m.flags = SYNACK_TCP_MD5SIG_FLAG_PREFIX;
    m.prefixlen = (uint8_t)prefix;
  }
  m.keylen = (uint16_t)keylen;
  if (keylen) memcpy(m.key, key, keylen < sizeof m.key ? keylen : sizeof m.key);
  return synack_setsockopt_md5sig(fx->st, s, &m);
}

static int keys(fx_t *fx, int s) {
  int v = -1;
  CHECK_EQ_I(synack_getsockopt(fx->st, s, SYNACK_TCP_MD5SIG, &v), 0);
  return v;
}

/* A listener keyed for the peer; the peer signs too. */
static int keyed_listener(fx_t *fx) {
  int l = fx_listen(fx, 16);
  if (l < 0) return -1;
  if (set_key(fx, l, "198.18.0.2", -1, KEY, KEYLEN) != 0) return -1;
  fx->md5_key = KEY;
  fx->md5_keylen = KEYLEN;
  return l;
}

/* Passive open: SYN-ACK signed, the option first; with SACK offered the SYN-ACK leaves the
 * timestamps out (Linux's tcp_synack_options) so the connection runs without them; the
 * accepted socket inherits the key; data both ways signed. */
static void passive_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  int l = keyed_listener(fx);
  REQUIRE(l >= 0);
  CHECK_EQ_I(keys(fx, l), 1);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "nop,nop,md5,mss,nop,nop,sackOK,nop,wscale");
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  fx->ts_on = false; /* not negotiated: the SYN-ACK had none */
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_I(keys(fx, s), 1);
  CHECK_EQ_U(fx_info(fx, s).options & SYNACK_TCPI_OPT_TIMESTAMPS, 0);
  /* MSS 1460 less the signature's 20 bytes (RFC 6691: options come out of the segment). */
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 1440);
  fx_check_rc(fx_send(fx, s, 3000, 0), 3000);
  fx_expect(fx, FX_A, 1, 1, .len = 1440, .layout = "nop,nop,md5");
  fx_expect(fx, FX_A, 1441, 1, .len = 1440, .layout = "nop,nop,md5");
  fx_inject(fx, SYNACK_MS(20), FX_PA, 1, 2881, .len = 100);
  fx_expect(fx, FX_PA, 2881, 101, .len = 120, .layout = "nop,nop,md5");
  uint8_t buf[200];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 100);
  fx_free(fx);
}

/* Segments without the option, with a wrong digest, or signed where no key applies: dropped
 * silently and counted, at the listener, at a half-open entry and at a connection. */
static void drops_counted(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = keyed_listener(fx);
  REQUIRE(l >= 0);
  /* listener */
  fx_inject(fx, 0, FX_S, 0, 0, .md5_none = true);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_MISSING), 1);
  fx_inject(fx, 0, FX_S, 0, 0, .md5_bad = true);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_BAD), 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  /* half-open entry: an unsigned final ACK does not complete the handshake */
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "nop,nop,md5,mss");
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1, .md5_none = true);
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 1, .md5_bad = true);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_MISSING), 2);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_BAD), 2);
  fx_inject(fx, SYNACK_MS(3), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  /* connection: neither data nor a RST without a valid signature */
  fx_inject(fx, SYNACK_MS(4), FX_PA, 1, 1, .len = 10, .md5_none = true);
  fx_inject(fx, SYNACK_MS(5), FX_PA, 1, 1, .len = 10, .md5_bad = true);
  fx_inject(fx, SYNACK_MS(6), FX_R, 1, 0, .md5_none = true);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_MISSING), 4);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_BAD), 3);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 0);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  /* the signed segment goes through */
  fx_inject(fx, SYNACK_MS(7), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(7) + SYNACK_MS(fx->cfg.tcp_delack_ms), .within = SYNACK_MS(1));
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 10);
  fx_free(fx);
}

/* A signed segment where no key applies is dropped (Linux TCPMD5Unexpected): at a listener
 * without keys, and for a port nobody listens on, where no RST goes out either. */
static void unexpected_signature(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 16);
  REQUIRE(l >= 0);
  fx->md5_key = KEY;
  fx->md5_keylen = KEYLEN;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_UNEXPECTED), 1);
  fx->lport = 9; /* closed port: an unsigned SYN gets a RST, a signed one nothing */
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_UNEXPECTED), 2);
  fx->md5_key = NULL;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_RA, 0, 1, .abs = true, .any_ack = true);
  /* a key for another peer does not apply to this one */
  fx->lport = FX_LOCAL_PORT;
  CHECK_EQ_I(set_key(fx, l, "198.18.0.77", -1, KEY, KEYLEN), 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "mss");
  fx_free(fx);
}

/* Active open: the SYN carries the signature and no timestamps (Linux's tcp_syn_options). */
static void active_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, fx->family);
  REQUIRE(s >= 0);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.2", -1, KEY, KEYLEN), 0);
  fx->md5_key = KEY;
  fx->md5_keylen = KEYLEN;
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  synack_endpoint_t me;
  REQUIRE(synack_getsockname(fx->st, s, &me) == 0);
  fx->lport = me.port;
  fx_drain(fx);
  fx_frame_t f;
  synack_dissect_t d;
  REQUIRE(fx_pop_tcp(fx, &f, &d));
  fx->isn = d.tcp.seq;
  CHECK(d.tcp.opts.present & SYNACK_TCPOPT_HAS_MD5);
  CHECK(!(d.tcp.opts.present & SYNACK_TCPOPT_HAS_TS));
  CHECK_EQ_U(d.tcp.header_len, 20 + 32); /* md5 20, mss 4, nop nop sackOK 4, nop wscale 4 */
  uint8_t dg[16];
  CHECK(synack_tcp_md5_digest(&d.src, &d.dst, d.tcp.payload - d.tcp.header_len, d.tcp.header_len, KEY, KEYLEN, dg));
  CHECK_MEM(dg, d.tcp.payload - d.tcp.header_len + d.tcp.opts.md5_off, 16);
  free(f.buf);
  /* an unsigned SYN-ACK is ignored; the signed one completes the handshake */
  fx_inject(fx, SYNACK_MS(1), FX_SA, 0, 1, .md5_none = true);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  fx_inject(fx, SYNACK_MS(2), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .layout = "nop,nop,md5");
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  /* abort: the RST is signed too */
  fx_check_rc(synack_abort(fx->st, fx->now, s), 0);
  fx_expect(fx, FX_RA, 1, 1, .layout = "nop,nop,md5");
  fx_free(fx);
}

/* TIME-WAIT keeps the key: a retransmitted FIN is answered with a signed ACK; an unsigned one
 * is dropped. */
static void timewait_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(keyed_listener(fx) >= 0);
  int s = fx_open_passive(fx); /* signed handshake with the keyed listener */
  REQUIRE(s >= 0);
  fx_check_rc(synack_close(fx->st, fx->now, s), 0);
  fx_expect(fx, FX_FA, 1, 1);
  fx_inject(fx, SYNACK_MS(1), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_TIMEWAIT), 1);
  fx_inject(fx, SYNACK_MS(200), FX_FA, 1, 2, .md5_none = true);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_MISSING), 1);
  fx_inject(fx, SYNACK_MS(300), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .layout = "nop,nop,md5");
  fx_free(fx);
}

static void cookies_hook(synack_config_t *cfg) {
  cfg->tcp_syn_backlog = 0; /* every SYN answered with a cookie */
  cfg->tcp_syncookies = true;
}

/* A cookie SYN-ACK is signed and keeps the timestamps (they carry the cookie's options), so
 * with SACK the option space is MD5 20 + MSS 4 + SACK-permitted and TS 12 + window scale 4. The
 * cookie's final ACK makes a keyed connection; its ACKs carry MD5 and TS and no SACK blocks
 * (no room left, as Linux). */
static void cookie_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cookies_hook);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  REQUIRE(keyed_listener(fx) >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "nop,nop,md5,mss,sackOK,TS,nop,wscale");
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_SYNCOOKIES_SENT], 1);
  fx->ts_on = true;
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_I(keys(fx, s), 1);
  /* out-of-order data: the duplicate ACK has no room for a SACK block */
  fx_inject(fx, SYNACK_MS(2), FX_PA, 101, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .layout = "nop,nop,md5,nop,nop,TS");
  fx_free(fx);
}

/* Without timestamps two SACK blocks fit beside the signature (40 - 20 - 4 = 16 bytes). */
static void sack_blocks_fit(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM;
  REQUIRE(keyed_listener(fx) >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "nop,nop,md5,mss,nop,nop,sackOK");
  fx_inject(fx, 0, FX_A, 1, 1);
  synack_endpoint_t rem;
  REQUIRE(synack_accept(fx->st, fx->listener, &rem) >= 0);
  fx_inject(fx, SYNACK_MS(1), FX_PA, 101, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 1, .sack = { { 101, 201 } });
  fx_inject(fx, SYNACK_MS(2), FX_PA, 301, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .nsack = 2, .sack = { { 301, 401 }, { 101, 201 } });
  fx_inject(fx, SYNACK_MS(3), FX_PA, 501, 1, .len = 100);
  fx_expect(fx, FX_A, 1, 1, .layout = "nop,nop,md5,nop,nop,sack", .nsack = 2, .sack = { { 501, 601 }, { 301, 401 } });
  fx_free(fx);
}

static void tfo_hook(synack_config_t *cfg) { cfg->tcp_fastopen = SYNACK_TFO_CLIENT | SYNACK_TFO_SERVER; }

/* Fast open beside a signature: a cookie request (2 bytes + 2 NOPs) fits in the SYN-ACK's 40
 * option bytes; the 8-byte cookie does not (32 + 12), so the SYN-ACK goes without it rather than
 * not at all (before: the SYN-ACK could not be built and was never sent). */
static void fastopen_room(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, tfo_hook);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  int l = keyed_listener(fx);
  REQUIRE(l >= 0);
  CHECK_EQ_I(synack_setsockopt(fx->st, l, SYNACK_TCP_FASTOPEN, 5), 0);
  fx_inject(fx, 0, FX_S, 0, 0,
            .opt = { .has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_WSCALE |
                            SYNACK_TCPOPT_HAS_FASTOPEN, .mss = 1460, .ws = 7, .fo_len = 0 });
  fx_expect(fx, FX_SA, 0, 1, .layout = "nop,nop,md5,mss,nop,nop,sackOK,nop,wscale");
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_FASTOPEN_COOKIE_REQD], 1);
  fx_free(fx);
}

/* The socket option: replace, remove (keylen 0; ENOENT when absent), bounds (key length,
 * prefix length, family, cfg.tcp_md5_max_keys), prefixes with the longest match winning. */
static void option_rules(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  uint8_t big[SYNACK_TCP_MD5SIG_MAXKEYLEN + 1];
  memset(big, 'k', sizeof big);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.2", -1, big, sizeof big), -SYNACK_EINVAL);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.2", -1, big, SYNACK_TCP_MD5SIG_MAXKEYLEN), 0);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.2", -1, KEY, KEYLEN), 0); /* replaces */
  CHECK_EQ_I(keys(fx, s), 1);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.0", 33, KEY, KEYLEN), -SYNACK_EINVAL);
  CHECK_EQ_I(set_key(fx, s, "fd00::2", -1, KEY, KEYLEN), -SYNACK_EINVAL); /* IPv6 peer on an IPv4 socket */
  CHECK_EQ_I(set_key(fx, s, "198.18.0.0", 24, KEY, KEYLEN), 0);
  CHECK_EQ_I(keys(fx, s), 2);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.2", -1, NULL, 0), 0);
  CHECK_EQ_I(set_key(fx, s, "198.18.0.2", -1, NULL, 0), -SYNACK_ENOENT);
  CHECK_EQ_I(keys(fx, s), 1);
  CHECK_EQ_I(synack_setsockopt(fx->st, s, SYNACK_TCP_MD5SIG, 1), -SYNACK_EINVAL); /* takes the struct */
  CHECK_EQ_I(synack_setsockopt_md5sig(fx->st, s, NULL), -SYNACK_EFAULT);
  CHECK_EQ_I(synack_setsockopt_md5sig(fx->st, 999, NULL), -SYNACK_EBADF);
  /* the default bound */
  char a[32];
  for (int i = 0; i < 31; i++) {
    snprintf(a, sizeof a, "198.18.1.%d", i + 1);
    CHECK_EQ_I(set_key(fx, s, a, -1, KEY, KEYLEN), 0);
  }
  CHECK_EQ_I(keys(fx, s), 32);
  CHECK_EQ_I(set_key(fx, s, "198.18.2.1", -1, KEY, KEYLEN), -SYNACK_ENOMEM);
  for (int i = 0; i < 31; i++) {
    snprintf(a, sizeof a, "198.18.1.%d", i + 1);
    CHECK_EQ_I(set_key(fx, s, a, -1, NULL, 0), 0);
  }
  CHECK_EQ_I(keys(fx, s), 1);
  synack_close(fx->st, fx->now, s);
  fx_free(fx);
}

/* The /32 key wins over the /24 key covering the same peer; a listener keyed by prefix only
 * signs with the prefix's key. */
static void longest_prefix(void) {
  static const uint8_t OTHER[] = "prefix-key";
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 16);
  REQUIRE(l >= 0);
  CHECK_EQ_I(set_key(fx, l, "198.18.0.0", 24, OTHER, sizeof OTHER - 1), 0);
  fx->md5_key = OTHER;
  fx->md5_keylen = sizeof OTHER - 1;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_inject(fx, 0, FX_R, 1, 0);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  CHECK_EQ_I(set_key(fx, l, "198.18.0.2", -1, KEY, KEYLEN), 0);
  fx_inject(fx, SYNACK_MS(1), FX_S, 0, 0); /* signed with the /24 key: wrong now */
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_MD5_BAD), 1);
  fx->md5_key = KEY;
  fx->md5_keylen = KEYLEN;
  fx_inject(fx, SYNACK_MS(2), FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_free(fx);
}

/* IPv6: the digest over the IPv6 pseudo-header; a v4-mapped key address means IPv4. */
static void ipv6_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET6, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 16);
  REQUIRE(l >= 0);
  CHECK_EQ_I(set_key(fx, l, "fd00::2", -1, KEY, KEYLEN), 0);
  CHECK_EQ_I(set_key(fx, l, "::ffff:198.18.0.2", 33, KEY, KEYLEN), -SYNACK_EINVAL);
  CHECK_EQ_I(set_key(fx, l, "::ffff:198.18.0.2", -1, KEY, KEYLEN), 0);
  CHECK_EQ_I(keys(fx, l), 2);
  fx->md5_key = KEY;
  fx->md5_keylen = KEYLEN;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "nop,nop,md5,mss");
  fx_inject(fx, 0, FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  fx_free(fx);
}

/* The parser: kind 19 with length 18 is the signature (md5_off points at the digest); another
 * length is a known option with a bad length (skipped, counted), never read past the header. */
static void parse_option(void) {
  uint8_t seg[60];
  memset(seg, 0, sizeof seg);
  seg[12] = (uint8_t)((20 + 20) / 4) << 4;
  uint8_t *o = seg + 20;
  o[0] = SYNACK_TCPOPT_NOP;
  o[1] = SYNACK_TCPOPT_NOP;
  o[2] = SYNACK_TCPOPT_MD5;
  o[3] = 18;
  for (int i = 0; i < 16; i++) o[4 + i] = (uint8_t)(0xa0 + i);
  synack_tcp_repr_t r;
  CHECK_EQ_U(synack_tcp_parse(seg, 40, NULL, NULL, SYNACK_PARSE_NO_CSUM, &r), SYNACK_DROP_NONE);
  CHECK(r.opts.present & SYNACK_TCPOPT_HAS_MD5);
  CHECK_EQ_U(r.opts.md5_off, 24);
  CHECK_EQ_U(seg[r.opts.md5_off], 0xa0);
  /* re-emitted: same layout, the digest left zero for the signer */
  uint8_t out[60];
  CHECK_EQ_U(synack_tcp_emit(&r, out, sizeof out), 40);
  CHECK_EQ_U(out[22], SYNACK_TCPOPT_MD5);
  CHECK_EQ_U(out[23], 18);
  CHECK_EQ_U(out[24], 0);
  /* a wrong length */
  o[3] = 17;
  o[19] = SYNACK_TCPOPT_NOP;
  CHECK_EQ_U(synack_tcp_parse(seg, 40, NULL, NULL, SYNACK_PARSE_NO_CSUM, &r), SYNACK_DROP_NONE);
  CHECK(!(r.opts.present & SYNACK_TCPOPT_HAS_MD5));
  CHECK(r.opts.present & SYNACK_TCPOPT_HAS_BAD_LEN);
  /* running past the header */
  seg[12] = (uint8_t)((20 + 12) / 4) << 4;
  o[3] = 18;
  CHECK_EQ_U(synack_tcp_parse(seg, 40, NULL, NULL, SYNACK_PARSE_NO_CSUM, &r), SYNACK_DROP_TCP_OPT_PAST_HDR);
  /* every length of a header ending in a signature option parses or is refused, never more */
  for (uint8_t hl = 5; hl <= 15; hl++) {
    seg[12] = (uint8_t)(hl << 4);
    synack_drop_reason_t why = synack_tcp_parse(seg, (size_t)hl * 4u, NULL, NULL, SYNACK_PARSE_NO_CSUM, &r);
    if (why == SYNACK_DROP_NONE && (r.opts.present & SYNACK_TCPOPT_HAS_MD5)) CHECK(r.opts.md5_off + 16u <= hl * 4u);
  }
}

TH_MAIN(TH_CASE(passive_signed), TH_CASE(drops_counted), TH_CASE(unexpected_signature), TH_CASE(active_signed),
        TH_CASE(timewait_signed), TH_CASE(cookie_signed), TH_CASE(sack_blocks_fit), TH_CASE(option_rules),
        TH_CASE(longest_prefix), TH_CASE(ipv6_signed), TH_CASE(parse_option),
        TH_CASE(fastopen_room))
