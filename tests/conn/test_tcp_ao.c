/* TCP-AO on connections (RFC 5925, tcp_ao.c): every segment of a connection with a Master Key
 * Tuple for its peer carries the option first (kind 29, length 16, KeyID, RNextKeyID, a 96-bit
 * MAC), on passive and active opens, SYN cookies and TIME-WAIT entries; segments without a
 * valid MAC are dropped and counted by reason; the sequence number extension after a 2^32 wrap
 * both ways; key rollover by RNextKeyID and by TCP_AO_INFO; the socket options' rules. The
 * fixture (tcpfix, fx->ao_in / ao_out) signs what it injects and checks every MAC the stack
 * sends with the public MAC of synack/wire.h, itself checked against Python in
 * tests/unit/test_tcp_ao.c. */
#include "harness.h"
#include "tcpfix.h"

static const uint8_t KEY1[] = "tcp-ao-master-key-one";
static const uint8_t KEY2[] = "a second master key";

static uint64_t drops(fx_t *fx, synack_drop_reason_t r) { return synack_stack_counters(fx->st)->drops[r]; }

static int add_key(fx_t *fx, int s, const char *addr, int prefix, uint8_t sndid, uint8_t rcvid, uint8_t alg,
                   uint8_t flags, const uint8_t *key, size_t keylen) {
  synack_tcp_ao_key_t k;
  memset(&k, 0, sizeof k);
  if (synack_ip_parse(addr, &k.addr) != 0) return -9999;
  k.prefixlen = (uint8_t)(prefix >= 0 ? prefix : k.addr.family == SYNACK_AF_INET6 ? 128 : 32);
  k.sndid = sndid;
  k.rcvid = rcvid;
  k.alg = alg;
  k.keyflags = flags;
  k.keylen = (uint8_t)keylen;
  memcpy(k.key, key, keylen < sizeof k.key ? keylen : sizeof k.key);
  return synack_setsockopt_tcp_ao_add_key(fx->st, s, &k);
}

static synack_tcp_ao_info_t info(fx_t *fx, int s) {
  synack_tcp_ao_info_t i;
  memset(&i, 0, sizeof i);
  CHECK_EQ_I(synack_getsockopt_tcp_ao_info(fx->st, s, &i), 0);
  return i;
}

/* The stack sends with KeyID 5 and expects KeyID 7 (HMAC-SHA-1-96); the peer mirrors it. */
static const fx_ao_t PEER1 = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 7, 5 };
static const fx_ao_t STACK1 = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 5, 7 };

static int keyed_listener(fx_t *fx) {
  int l = fx_listen(fx, 16);
  if (l < 0) return -1;
  if (add_key(fx, l, "198.18.0.2", -1, 5, 7, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, sizeof KEY1 - 1) != 0) return -1;
  fx->ao_in = &PEER1;
  fx->ao_out = &STACK1;
  return l;
}

/* Passive open: the SYN-ACK carries TCP-AO first and, unlike MD5, keeps the timestamps (16 +
 * 4 + 12 + 4 = 36 option bytes); the accepted connection takes the listener's key; MSS 1460
 * less TS 12 and TCP-AO 16; data both ways signed; one SACK block fits beside TS and TCP-AO. */
static void passive_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS | SYNACK_TCPOPT_HAS_SACK_PERM | SYNACK_TCPOPT_HAS_TS | SYNACK_TCPOPT_HAS_WSCALE;
  fx->peer_syn.ws = 7;
  int l = keyed_listener(fx);
  REQUIRE(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "ao,mss,sackOK,TS,nop,wscale");
  fx->ts_on = true;
  fx_inject(fx, SYNACK_MS(10), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 1460 - 12 - 16);
  synack_tcp_ao_info_t i = info(fx, s);
  CHECK_EQ_U(i.keys, 1);
  CHECK_EQ_U(i.current_key, 5);
  CHECK_EQ_U(i.rnext, 7);
  CHECK_EQ_U(i.pkt_good, 0); /* the listener checked the handshake, not the connection */
  fx_check_rc(fx_send(fx, s, 2864, 0), 2864);
  fx_expect(fx, FX_A, 1, 1, .len = 1432, .layout = "ao,nop,nop,TS");
  fx_expect(fx, FX_PA, 1433, 1, .len = 1432, .layout = "ao,nop,nop,TS");
  fx_inject(fx, SYNACK_MS(20), FX_PA, 1, 2865, .len = 100);
  fx_inject(fx, SYNACK_MS(21), FX_PA, 201, 2865, .len = 100);
  fx_expect(fx, FX_A, 2865, 101, .layout = "ao,nop,nop,TS,nop,nop,sack", .nsack = 1, .sack = { { 201, 301 } });
  uint8_t buf[200];
  fx_check_rc(synack_recv(fx->st, fx->now, s, buf, sizeof buf, 0), 100);
  i = info(fx, s);
  CHECK_EQ_U(i.pkt_good, 2);
  CHECK_EQ_U(i.peer_rnext, 5);
  fx_free(fx);
}

/* Active open with AES-128-CMAC-96 and the options excluded from the MAC: the SYN's context has
 * the peer's ISN 0; an unsigned SYN-ACK is ignored, the signed one completes the handshake;
 * abort sends a signed RST. */
static void active_cmac(void) {
  static const fx_ao_t peer = { KEY2, sizeof KEY2 - 1, SYNACK_TCP_AO_ALG_AES_128_CMAC_96, true, 200, 100 };
  static const fx_ao_t mine = { KEY2, sizeof KEY2 - 1, SYNACK_TCP_AO_ALG_AES_128_CMAC_96, true, 100, 200 };
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, fx->family);
  REQUIRE(s >= 0);
  CHECK_EQ_I(add_key(fx, s, "198.18.0.0", 24, 100, 200, SYNACK_TCP_AO_ALG_AES_128_CMAC_96,
                     SYNACK_TCP_AO_KEYF_EXCLUDE_OPT, KEY2, sizeof KEY2 - 1), 0);
  fx->ao_in = &peer;
  fx->ao_out = &mine;
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  synack_endpoint_t me;
  REQUIRE(synack_getsockname(fx->st, s, &me) == 0);
  fx->lport = me.port;
  fx_expect(fx, FX_S, 0, 0, .layout = "ao,mss,sackOK,TS,nop,wscale");
  fx_inject(fx, SYNACK_MS(1), FX_SA, 0, 1, .ao_none = true);
  fx_inject(fx, SYNACK_MS(2), FX_SA, 0, 1, .ao_bad = true);
  fx_expect_none(fx);
  fx_check_sock_state(fx, s, SYNACK_TCP_SYN_SENT);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_REQUIRED), 1);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_BAD), 1);
  fx_inject(fx, SYNACK_MS(3), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1, .layout = "ao");
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  synack_tcp_ao_info_t i = info(fx, s);
  CHECK_EQ_U(i.pkt_good, 1);
  CHECK_EQ_U(i.pkt_bad, 1);
  CHECK_EQ_U(i.pkt_ao_required, 1);
  fx_check_rc(synack_abort(fx->st, fx->now, s), 0);
  fx_expect(fx, FX_RA, 1, 1, .layout = "ao");
  fx_free(fx);
}

/* Dropped and counted by reason at the listener, a half-open entry and a connection: no
 * option, a wrong MAC, a KeyID no key has, TCP-AO beside MD5; nothing is answered, no state
 * changes, and a valid segment still goes through. */
static void drops_counted(void) {
  static const fx_ao_t wrong_id = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 8, 5 };
  static const fx_ao_t wrong_key = { KEY2, sizeof KEY2 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 7, 5 };
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = keyed_listener(fx);
  REQUIRE(l >= 0);
  fx_inject(fx, 0, FX_S, 0, 0, .ao_none = true);
  fx_inject(fx, 0, FX_S, 0, 0, .ao_bad = true);
  fx->ao_in = &wrong_id;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx->ao_in = &wrong_key;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_REQUIRED), 1);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_BAD), 2);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_KEY_NOT_FOUND), 1);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_HALFOPEN), 0);
  synack_tcp_ao_info_t i = info(fx, l);
  CHECK_EQ_U(i.pkt_ao_required, 1);
  CHECK_EQ_U(i.pkt_bad, 2);
  CHECK_EQ_U(i.pkt_key_not_found, 1);
  /* TCP-AO and MD5 in one segment (RFC 5925 §2.2) */
  fx->ao_in = &PEER1;
  fx->md5_key = KEY2;
  fx->md5_keylen = sizeof KEY2 - 1;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx->md5_key = NULL;
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_WITH_MD5), 1);
  /* half-open entry: the final ACK must be signed */
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "ao,mss");
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1, .ao_none = true);
  fx_inject(fx, SYNACK_MS(2), FX_A, 1, 1, .ao_bad = true);
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_SYN_RECEIVED);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_REQUIRED), 2);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_BAD), 3);
  fx_inject(fx, SYNACK_MS(3), FX_A, 1, 1);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  /* connection: neither data nor a RST without a valid MAC */
  fx_inject(fx, SYNACK_MS(4), FX_PA, 1, 1, .len = 10, .ao_none = true);
  fx_inject(fx, SYNACK_MS(5), FX_PA, 1, 1, .len = 10, .ao_bad = true);
  fx_inject(fx, SYNACK_MS(6), FX_R, 1, 0, .ao_none = true);
  fx->ao_in = &wrong_id;
  fx_inject(fx, SYNACK_MS(7), FX_R, 1, 0);
  fx->ao_in = &PEER1;
  fx_expect_none(fx);
  fx_check_state(fx, SYNACK_TCP_ESTABLISHED);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 0);
  i = info(fx, s);
  CHECK_EQ_U(i.pkt_ao_required, 2);
  CHECK_EQ_U(i.pkt_bad, 1);
  CHECK_EQ_U(i.pkt_key_not_found, 1);
  fx_inject(fx, SYNACK_MS(8), FX_PA, 1, 1, .len = 10);
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(8) + SYNACK_MS(fx->cfg.tcp_delack_ms), .within = SYNACK_MS(1));
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 10);
  fx_free(fx);
}

/* A port nobody listens on, or a listener without keys: a segment with TCP-AO is dropped
 * (Linux: the key is not found), and no RST answers it. */
static void no_key(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(fx_listen(fx, 16) >= 0);
  fx->ao_in = &PEER1;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx->lport = 9;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_KEY_NOT_FOUND), 2);
  fx->ao_in = NULL;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_RA, 0, 1);
  fx_free(fx);
}

static void isn_fixed_hook(synack_config_t *cfg) { cfg->tcp_isn_fixed = true; /* ISN = now / 4 us */ }

/* RFC 5925 §6.2: the sequence number extension. Our ISN 2^32 - 256 and the peer's 2^32 - 64:
 * data both ways runs across the wrap, after which every MAC is over SNE 1 (the fixture signs
 * and checks with SNE 1 below the ISN): both directions keep working. */
static void sne_wrap(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, isn_fixed_hook);
  REQUIRE(fx);
  fx_advance(fx, (synack_time_t)4u * 0xffffff00u);
  int s = synack_socket(fx->st, fx->family);
  REQUIRE(s >= 0);
  CHECK_EQ_I(add_key(fx, s, "198.18.0.2", -1, 5, 7, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, sizeof KEY1 - 1), 0);
  fx->ao_in = &PEER1;
  fx->ao_out = &STACK1;
  fx->peer_isn = 0xffffffc0u;
  fx->peer_syn.has = SYNACK_TCPOPT_HAS_MSS;
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s, &rem), -SYNACK_EINPROGRESS);
  synack_endpoint_t me;
  REQUIRE(synack_getsockname(fx->st, s, &me) == 0);
  fx->lport = me.port;
  fx_expect(fx, FX_S, 0, 0);
  CHECK_EQ_U(fx->isn, 0xffffff00u);
  fx_inject(fx, fx->now + SYNACK_MS(1), FX_SA, 0, 1);
  fx_expect(fx, FX_A, 1, 1);
  fx_check_sock_state(fx, s, SYNACK_TCP_ESTABLISHED);
  /* ours: 1000 bytes from 2^32 - 255 (the first segment wraps, the second starts after it) */
  CHECK_EQ_U(fx_send(fx, s, 1000, 0), 1000);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, 1460 - 16);
  fx_expect(fx, FX_PA, 1, 1, .len = 1000);
  fx_check_rc(synack_setsockopt(fx->st, s, SYNACK_TCP_NODELAY, 1), 0);
  CHECK_EQ_U(fx_send(fx, s, 100, 1000), 100);
  fx_expect(fx, FX_PA, 1001, 1, .len = 100); /* seq 0x2e9: SNE 1 */
  /* theirs: from 2^32 - 63, two segments, the second wholly past the wrap */
  fx_inject(fx, fx->now + SYNACK_MS(2), FX_PA, 1, 1101, .len = 100);
  fx_inject(fx, fx->now + SYNACK_MS(3), FX_PA, 101, 1101, .len = 100);
  fx_expect(fx, FX_A, 1101, 201, .t = fx->now, .within = SYNACK_MS(500));
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 200);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_BAD), 0);
  synack_tcp_ao_info_t i = info(fx, s);
  CHECK_EQ_U(i.pkt_good, 3);
  fx_free(fx);
}

/* RFC 5925 §7.5.2 key rollover: keys 1 and 2 both held; the peer's RNextKeyID 2 moves our
 * segments to key 2 (while we still ask for its key 1); then TCP_AO_INFO asks the peer for key 2;
 * the key in use cannot be deleted (EBUSY), the old one can. */
static void rollover(void) {
  static const fx_ao_t p1_r1 = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 1, 1 };
  static const fx_ao_t p1_r2 = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 1, 2 };
  static const fx_ao_t p2_r2 = { KEY2, sizeof KEY2 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 2, 2 };
  static const fx_ao_t s1_r1 = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 1, 1 };
  static const fx_ao_t s2_r1 = { KEY2, sizeof KEY2 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 2, 1 };
  static const fx_ao_t s2_r2 = { KEY2, sizeof KEY2 - 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, false, 2, 2 };
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 16);
  REQUIRE(l >= 0);
  CHECK_EQ_I(add_key(fx, l, "198.18.0.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, sizeof KEY1 - 1), 0);
  CHECK_EQ_I(add_key(fx, l, "198.18.0.2", -1, 2, 2, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY2, sizeof KEY2 - 1), 0);
  fx->ao_in = &p1_r1;
  fx->ao_out = &s1_r1;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(info(fx, s).keys, 2);
  fx->ao_in = &p1_r2; /* "sign with your key 2 from now on" */
  fx_inject(fx, SYNACK_MS(2), FX_PA, 1, 1, .len = 10);
  fx->ao_out = &s2_r1;
  fx_expect(fx, FX_A, 1, 11, .t = SYNACK_MS(2), .within = SYNACK_MS(500));
  synack_tcp_ao_info_t i = info(fx, s);
  CHECK_EQ_U(i.current_key, 2);
  CHECK_EQ_U(i.rnext, 1);
  /* ask the peer for key 2 */
  synack_tcp_ao_info_t set;
  memset(&set, 0, sizeof set);
  set.set_rnext = true;
  set.rnext = 9;
  fx_check_rc(synack_setsockopt_tcp_ao_info(fx->st, s, &set), -SYNACK_ENOENT);
  set.rnext = 2;
  fx_check_rc(synack_setsockopt_tcp_ao_info(fx->st, s, &set), 0);
  fx->ao_out = &s2_r2;
  fx_check_rc(fx_send(fx, s, 10, 0), 10);
  fx_expect(fx, FX_PA, 1, 11, .len = 10);
  /* the peer moves to key 2; key 1 goes */
  fx->ao_in = &p2_r2;
  synack_time_t t = fx->now + SYNACK_MS(10); /* before our data's retransmission timer */
  fx_inject(fx, t, FX_PA, 11, 11, .len = 10);
  fx_expect(fx, FX_A, 11, 21, .t = t, .within = SYNACK_MS(500));
  synack_tcp_ao_key_t k;
  memset(&k, 0, sizeof k);
  REQUIRE(synack_ip_parse("198.18.0.2", &k.addr) == 0);
  k.prefixlen = 32;
  k.sndid = k.rcvid = 2;
  fx_check_rc(synack_setsockopt_tcp_ao_del_key(fx->st, s, &k), -SYNACK_EBUSY);
  k.sndid = k.rcvid = 1;
  fx_check_rc(synack_setsockopt_tcp_ao_del_key(fx->st, s, &k), 0);
  fx_check_rc(synack_setsockopt_tcp_ao_del_key(fx->st, s, &k), -SYNACK_ENOENT);
  CHECK_EQ_U(info(fx, s).keys, 1);
  /* a segment still signed with the deleted key is dropped */
  fx->ao_in = &p1_r2;
  fx_inject(fx, SYNACK_MS(3000), FX_PA, 21, 11, .len = 10);
  fx_expect_none_until(fx, SYNACK_MS(3500));
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_KEY_NOT_FOUND), 1);
  fx_free(fx);
}

/* TIME-WAIT keeps the connection's keys, ISNs and SNE: a retransmitted FIN is answered with a
 * signed ACK; an unsigned one is dropped. */
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
  fx_inject(fx, SYNACK_MS(200), FX_FA, 1, 2, .ao_none = true);
  fx_inject(fx, SYNACK_MS(201), FX_FA, 1, 2, .ao_bad = true);
  fx_expect_none(fx);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_REQUIRED), 1);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_BAD), 1);
  fx_inject(fx, SYNACK_MS(300), FX_FA, 1, 2);
  fx_expect(fx, FX_A, 2, 2, .layout = "ao");
  fx_free(fx);
}

static void cookies_hook(synack_config_t *cfg) {
  cfg->tcp_syn_backlog = 0; /* every SYN answered with a cookie */
  cfg->tcp_syncookies = true;
}

/* A cookie SYN-ACK is signed with the key the SYN asked for and both ISNs; its final ACK is
 * checked with the ISNs it returns and makes a connection with the listener's keys. */
static void cookie_signed(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, cookies_hook);
  REQUIRE(fx);
  REQUIRE(keyed_listener(fx) >= 0);
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1, .layout = "ao,mss");
  CHECK_EQ_U(synack_stack_counters(fx->st)->events[SYNACK_CTR_TCP_SYNCOOKIES_SENT], 1);
  fx_inject(fx, SYNACK_MS(1), FX_A, 1, 1, .ao_bad = true);
  CHECK_EQ_U(fx_count_kind(fx, SYNACK_CONN_SOCKET), 1); /* the listener alone */
  fx_inject(fx, SYNACK_MS(2), FX_PA, 1, 1, .len = 5);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, fx->listener, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 5);
  CHECK_EQ_U(info(fx, s).keys, 1);
  fx_expect(fx, FX_A, 1, 6, .layout = "ao", .t = SYNACK_MS(2), .within = SYNACK_MS(500));
  fx_free(fx);
}

/* IPv6: the context has 16-byte addresses and the MAC the IPv6 pseudo-header. */
static void ipv6_signed(void) {
  static const fx_ao_t peer = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_AES_128_CMAC_96, false, 7, 5 };
  static const fx_ao_t mine = { KEY1, sizeof KEY1 - 1, SYNACK_TCP_AO_ALG_AES_128_CMAC_96, false, 5, 7 };
  fx_t *fx = fx_new(SYNACK_AF_INET6, NULL);
  REQUIRE(fx);
  int l = fx_listen(fx, 16);
  REQUIRE(l >= 0);
  CHECK_EQ_I(add_key(fx, l, "fd00::", 64, 5, 7, SYNACK_TCP_AO_ALG_AES_128_CMAC_96, 0, KEY1, sizeof KEY1 - 1), 0);
  fx->ao_in = &peer;
  fx->ao_out = &mine;
  fx_inject(fx, 0, FX_S, 0, 0);
  fx_expect(fx, FX_SA, 0, 1);
  fx_inject(fx, SYNACK_MS(1), FX_PA, 1, 1, .len = 20);
  synack_endpoint_t rem;
  int s = synack_accept(fx->st, l, &rem);
  REQUIRE(s >= 0);
  CHECK_EQ_U(fx_info(fx, s).bytes_received, 20);
  fx_check_rc(fx_send(fx, s, 30, 0), 30);
  fx_expect(fx, FX_PA, 1, 21, .len = 30);
  fx_free(fx);
}

/* RFC 5925 §7.8: ICMP "fragmentation needed" (and port / protocol unreachable) for a
 * synchronized TCP-AO connection is ignored and counted: the MSS stays. */
static void icmp_ignored(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  REQUIRE(keyed_listener(fx) >= 0);
  int s = fx_open_passive(fx); /* signed handshake with the keyed listener */
  REQUIRE(s >= 0);
  uint32_t mss = fx_info(fx, s).snd_mss;
  fx_check_rc(fx_send(fx, s, 100, 0), 100);
  fx_expect(fx, FX_PA, 1, 1, .len = 100);
  fx_inject_too_big(fx, SYNACK_MS(1), 1000, 1);
  CHECK_EQ_U(fx_info(fx, s).snd_mss, mss);
  CHECK_EQ_U(drops(fx, SYNACK_DROP_TCP_AO_ICMP_IGNORED), 1);
  fx_free(fx);
}

/* The socket options: bounds, uniqueness of the KeyIDs, MD5 and TCP-AO never together, the
 * key count bound, delete and info on a socket without keys; a socket whose keys do not cover
 * the peer connects unsigned. */
static void option_rules(void) {
  fx_t *fx = fx_new(SYNACK_AF_INET, NULL);
  REQUIRE(fx);
  int s = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s >= 0);
  synack_tcp_ao_info_t i;
  fx_check_rc(synack_getsockopt_tcp_ao_info(fx->st, s, &i), -SYNACK_ENOENT);
  uint8_t k0[1] = { 0 };
  fx_check_rc(add_key(fx, s, "198.18.0.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, k0, 0), -SYNACK_EINVAL);
  fx_check_rc(add_key(fx, s, "198.18.0.2", -1, 1, 1, 3, 0, KEY1, 4), -SYNACK_EINVAL);
  fx_check_rc(add_key(fx, s, "198.18.0.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0x80, KEY1, 4), -SYNACK_EINVAL);
  fx_check_rc(add_key(fx, s, "198.18.0.2", 33, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_EINVAL);
  fx_check_rc(add_key(fx, s, "fd00::2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_EINVAL);
  fx_check_rc(add_key(fx, s, "198.18.0.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), 0);
  /* RFC 5925 §3.1: SendIDs and RecvIDs unique among the keys of overlapping peers */
  fx_check_rc(add_key(fx, s, "198.18.0.0", 24, 1, 2, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_EEXIST);
  fx_check_rc(add_key(fx, s, "198.18.0.2", -1, 2, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_EEXIST);
  fx_check_rc(add_key(fx, s, "198.18.1.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), 0);
  CHECK_EQ_U(info(fx, s).keys, 2);
  /* RFC 5925 §2.2: no MD5 key beside TCP-AO keys, nor the reverse */
  synack_tcp_md5sig_t m;
  memset(&m, 0, sizeof m);
  REQUIRE(synack_ip_parse("198.18.0.3", &m.addr) == 0);
  m.keylen = 3;
  memcpy(m.key, "abc", 3);
  fx_check_rc(synack_setsockopt_md5sig(fx->st, s, &m), -SYNACK_EKEYREJECTED);
  int s2 = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s2 >= 0);
  fx_check_rc(synack_setsockopt_md5sig(fx->st, s2, &m), 0);
  fx_check_rc(add_key(fx, s2, "198.18.0.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_EKEYREJECTED);
  /* the bound */
  int s3 = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s3 >= 0);
  for (uint32_t n = 0; n < fx->cfg.tcp_ao_max_keys; n++)
    fx_check_rc(add_key(fx, s3, "198.18.0.2", -1, (uint8_t)n, (uint8_t)n, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), 0);
  fx_check_rc(add_key(fx, s3, "198.18.0.2", -1, 200, 200, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_ENOMEM);
  /* keys for another peer only: the connection goes unsigned */
  int s4 = synack_socket(fx->st, SYNACK_AF_INET);
  REQUIRE(s4 >= 0);
  fx_check_rc(add_key(fx, s4, "198.18.9.9", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), 0);
  synack_endpoint_t rem;
  fx_endpoint(fx, &rem, true, FX_SERVICE_PORT);
  fx->rport = FX_SERVICE_PORT;
  fx_check_rc(synack_connect(fx->st, fx->now, s4, &rem), -SYNACK_EINPROGRESS);
  synack_endpoint_t me;
  REQUIRE(synack_getsockname(fx->st, s4, &me) == 0);
  fx->lport = me.port;
  fx_expect(fx, FX_S, 0, 0, .layout = "mss,sackOK,TS,nop,wscale");
  fx_check_rc(synack_getsockopt_tcp_ao_info(fx->st, s4, &i), -SYNACK_ENOENT);
  /* nor can a connection that began without TCP-AO take it up (as Linux: EINVAL) */
  fx_check_rc(add_key(fx, s4, "198.18.0.2", -1, 1, 1, SYNACK_TCP_AO_ALG_HMAC_SHA1_96, 0, KEY1, 4), -SYNACK_EINVAL);
  fx_free(fx);
}

TH_MAIN(TH_CASE(passive_signed), TH_CASE(active_cmac), TH_CASE(drops_counted), TH_CASE(no_key), TH_CASE(sne_wrap),
        TH_CASE(rollover), TH_CASE(timewait_signed), TH_CASE(cookie_signed), TH_CASE(ipv6_signed),
        TH_CASE(icmp_ignored), TH_CASE(option_rules))
