/* Per-stack secrets (secret.c, stack.c): a randomness source or an explicit opt-in, one key per
 * purpose, and tuple hashing that ignores struct padding. */
#include <string.h>

#include "harness.h"
#include "synack/random.h"
#include "tcp_internal.h"

static void base_cfg(synack_config_t *c) {
  synack_config_default(c);
  c->link = SYNACK_LINK_IP;
  c->ip4 = synack_ip4(198, 18, 0, 1);
}

static synack_tuple_t tuple(uint8_t fill) {
  synack_tuple_t t;
  memset(&t, fill, sizeof t); /* whatever the padding holds must not matter */
  memset(t.laddr, 0, 16);
  memset(t.raddr, 0, 16);
  t.family = SYNACK_AF_INET;
  t.laddr[0] = 198; t.laddr[1] = 18; t.laddr[3] = 1;
  t.raddr[0] = 198; t.raddr[1] = 18; t.raddr[3] = 2;
  t.lport = 80;
  t.rport = 40000;
  return t;
}

static int bits_differ(uint32_t a, uint32_t b) { return __builtin_popcount(a ^ b); }

/* Neither a source nor the opt-in: refused, with a sentence that says what to do. */
static void refused_without_randomness(void) {
  synack_config_t c;
  base_cfg(&c);
  const char *why = synack_config_problem(&c);
  REQUIRE(why != NULL);
  CHECK(strstr(why, "randomness") != NULL);
  CHECK(strstr(why, "synack_config_deterministic") != NULL);
  CHECK(synack_stack_new(&c, 0) == NULL);
  /* a seed alone is not an opt-in */
  c.seed = 42;
  CHECK(synack_stack_new(&c, 0) == NULL);

  synack_config_deterministic(&c, 42);
  CHECK(synack_config_problem(&c) == NULL);
  synack_stack_t *st = synack_stack_new(&c, 0);
  CHECK(st != NULL);
  synack_stack_free(st);

  base_cfg(&c);
  c.random = synack_random_os;
  CHECK(synack_config_problem(&c) == NULL);
  st = synack_stack_new(&c, 0);
  CHECK(st != NULL);
  synack_stack_free(st);
}

/* Two stacks set up for a real network (secrets from the OS): the same 4-tuple at the same
 * instant gets unrelated ISNs, timestamp offsets and SYN cookies. */
static void os_secrets_unrelated(void) {
  synack_config_t c;
  base_cfg(&c);
  c.random = synack_random_os;
  synack_stack_t *a = synack_stack_new(&c, 0), *b = synack_stack_new(&c, 0);
  REQUIRE(a && b);
  synack_tuple_t t = tuple(0);
  uint32_t ia = synack_tcp_isn(a, &t, SYNACK_SEC(1)).v, ib = synack_tcp_isn(b, &t, SYNACK_SEC(1)).v;
  uint32_t ca = synack_cookie_make(a, &t, seq_make(1000), 1460, SYNACK_SEC(1));
  uint32_t cb = synack_cookie_make(b, &t, seq_make(1000), 1460, SYNACK_SEC(1));
  /* 2^-32 and 2^-24 chances of a false failure; a shared or constant key always fails */
  CHECK(ia != ib);
  CHECK((ca & 0xffffffu) != (cb & 0xffffffu));
  CHECK(synack_tcp_ts_offset(a, &t) != synack_tcp_ts_offset(b, &t));
  /* and a cookie of one stack does not validate at the other */
  CHECK(synack_cookie_check(a, &t, seq_make(1000), ca, SYNACK_SEC(1)) != 0);
  CHECK(synack_cookie_check(b, &t, seq_make(1000), ca, SYNACK_SEC(1)) == 0);
  synack_stack_free(a);
  synack_stack_free(b);
}

/* Stacks given one shared secret (one per queue of an AF_XDP device): a SYN cookie made by one
 * validates at the other, ISNs and timestamp offsets agree, while each stack's own generator
 * still draws from the OS. The buffer is not kept: the stack's config no longer points at it,
 * and set_config with a secret is refused (the secrets' source is fixed at creation). */
static void shared_secret_cookies_validate_anywhere(void) {
  uint8_t secret[SYNACK_SHARED_SECRET_LEN];
  synack_random_os(NULL, secret, sizeof secret);
  synack_config_t c;
  base_cfg(&c);
  c.random = synack_random_os;
  c.shared_secret = secret;
  synack_stack_t *a = synack_stack_new(&c, 0), *b = synack_stack_new(&c, 0);
  c.shared_secret = NULL;
  synack_stack_t *other = synack_stack_new(&c, 0);
  REQUIRE(a && b && other);
  memset(secret, 0, sizeof secret); /* the stacks copied what they needed */
  synack_tuple_t t = tuple(0);
  uint32_t ca = synack_cookie_make(a, &t, seq_make(1000), 1460, SYNACK_SEC(1));
  CHECK(synack_cookie_check(b, &t, seq_make(1000), ca, SYNACK_SEC(1)) != 0);
  CHECK(synack_cookie_check(other, &t, seq_make(1000), ca, SYNACK_SEC(1)) == 0);
  CHECK_EQ_U(synack_tcp_isn(a, &t, SYNACK_SEC(1)).v, synack_tcp_isn(b, &t, SYNACK_SEC(1)).v);
  CHECK_EQ_U(synack_tcp_ts_offset(a, &t), synack_tcp_ts_offset(b, &t));
  CHECK(synack_stack_config(a)->shared_secret == NULL);
  synack_config_t n = *synack_stack_config(a);
  CHECK_EQ_I(synack_stack_set_config(a, &n), 0);
  n.shared_secret = secret;
  CHECK_EQ_I(synack_stack_set_config(a, &n), -SYNACK_EINVAL);
  synack_stack_free(a);
  synack_stack_free(b);
  synack_stack_free(other);
}

/* The opt-in replays exactly: same seed, same secrets. */
static void deterministic_replays(void) {
  synack_config_t c;
  base_cfg(&c);
  synack_config_deterministic(&c, 7);
  synack_stack_t *a = synack_stack_new(&c, 0), *b = synack_stack_new(&c, 0);
  REQUIRE(a && b);
  synack_tuple_t t = tuple(0);
  CHECK_EQ_U(synack_tcp_isn(a, &t, 5).v, synack_tcp_isn(b, &t, 5).v);
  CHECK_MEM(a->keys, b->keys, sizeof a->keys);
  synack_stack_free(a);
  synack_stack_free(b);
}

/* One key per purpose, all different, all from the master secret and nothing else. */
static void purpose_keys_distinct(void) {
  uint8_t master[SYNACK_MASTER_SECRET_LEN], keys[SYNACK_KEY__COUNT][SYNACK_KEY_LEN], again[SYNACK_KEY__COUNT][SYNACK_KEY_LEN];
  for (unsigned i = 0; i < sizeof master; i++) master[i] = (uint8_t)(i * 37 + 1);
  synack_secret_derive(master, keys);
  synack_secret_derive(master, again);
  CHECK_MEM(keys, again, sizeof keys);
  for (unsigned i = 0; i < SYNACK_KEY__COUNT; i++)
    for (unsigned j = 0; j < i; j++) CHECK(memcmp(keys[i], keys[j], SYNACK_KEY_LEN) != 0);
  /* one bit of the master changes every key */
  master[31] ^= 1;
  synack_secret_derive(master, again);
  for (unsigned i = 0; i < SYNACK_KEY__COUNT; i++) CHECK(memcmp(keys[i], again[i], SYNACK_KEY_LEN) != 0);
}

/* The ISN offset and the cookie of a tuple are computed under different keys: equal inputs
 * give unrelated outputs (a shared key would let ISN observations help a cookie forger). */
static void isn_and_cookie_keys_separate(void) {
  synack_config_t c;
  base_cfg(&c);
  synack_config_deterministic(&c, 9);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  synack_tuple_t t = tuple(0);
  uint64_t h_isn = synack_tcp_tuple_hash(st, SYNACK_KEY_ISN, &t, NULL, 0);
  uint64_t h_cookie = synack_tcp_tuple_hash(st, SYNACK_KEY_COOKIE, &t, NULL, 0);
  uint64_t h_port = synack_tcp_tuple_hash(st, SYNACK_KEY_PORT, &t, NULL, 0);
  uint64_t h_demux = synack_tcp_tuple_hash(st, SYNACK_KEY_DEMUX, &t, NULL, 0);
  CHECK(h_isn != h_cookie && h_isn != h_port && h_isn != h_demux && h_cookie != h_port);
  CHECK(bits_differ((uint32_t)h_isn, (uint32_t)h_cookie) > 4);
  synack_stack_free(st);
}

/* Tuples are hashed field by field: bytes in the struct's padding change nothing. */
static void padding_ignored(void) {
  synack_config_t c;
  base_cfg(&c);
  synack_config_deterministic(&c, 3);
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  synack_tuple_t t1 = tuple(0x00), t2 = tuple(0xa5);
  t2.lport = 80; t2.rport = 40000; t2.family = SYNACK_AF_INET;
  CHECK_EQ_U(synack_tcp_isn(st, &t1, 100).v, synack_tcp_isn(st, &t2, 100).v);
  CHECK_EQ_U(synack_tcp_ts_offset(st, &t1), synack_tcp_ts_offset(st, &t2));
  CHECK_EQ_U(synack_cookie_make(st, &t1, seq_make(5), 1460, 0), synack_cookie_make(st, &t2, seq_make(5), 1460, 0));
  /* extra words are part of the input */
  const uint32_t x1[1] = { 1 }, x2[1] = { 2 };
  CHECK(synack_tcp_tuple_hash(st, SYNACK_KEY_COOKIE, &t1, x1, 1) != synack_tcp_tuple_hash(st, SYNACK_KEY_COOKIE, &t1, x2, 1));
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(refused_without_randomness), TH_CASE(os_secrets_unrelated), TH_CASE(shared_secret_cookies_validate_anywhere),
        TH_CASE(deterministic_replays),
        TH_CASE(purpose_keys_distinct), TH_CASE(isn_and_cookie_keys_separate), TH_CASE(padding_ignored))
