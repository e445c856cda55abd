/* Send/receive rings (tcp_buf.c); the out-of-order range table is tested in test_tcp_ooo.c. */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"

static synack_stack_t *mk(void) {
  synack_config_t c;
  synack_config_default(&c);
  c.link = SYNACK_LINK_IP;
  c.ip4 = synack_ip4(10, 0, 0, 1);
  return synack_stack_new(&c, 0);
}

static void sndbuf_wraps(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  synack_sndbuf_t b = { .cap = 10 };
  uint8_t in[32], out[32];
  for (int i = 0; i < 32; i++) in[i] = (uint8_t)i;
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in, 7), 7);
  synack_sndbuf_drop(&b, 5);
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in + 7, 20), 8); /* room for 8 only */
  CHECK_EQ_U(b.len, 10);
  CHECK_EQ_U(synack_sndbuf_room(&b), 0);
  synack_sndbuf_copy(&b, 0, out, 10);
  CHECK_MEM(out, in + 5, 10);
  synack_sndbuf_copy(&b, 4, out, 3);
  CHECK_MEM(out, in + 9, 3);
  synack_sndbuf_free(st, &b);
  synack_stack_free(st);
}

static void rcvbuf_in_order_and_peek(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  synack_rcvbuf_t b;
  memset(&b, 0, sizeof b);
  b.cap = 8;
  REQUIRE(synack_rcvbuf_reserve(st, &b) == 0);
  uint8_t out[16];
  synack_rcvbuf_place(&b, 0, "abcdef", 6);
  synack_rcvbuf_commit(&b, 6);
  CHECK_EQ_U(synack_rcvbuf_read(&b, out, 4, true), 4);
  CHECK_MEM(out, "abcd", 4);
  CHECK_EQ_U(synack_rcvbuf_read(&b, out, 4, false), 4);
  CHECK_EQ_U(synack_rcvbuf_space(&b), 6);
  synack_rcvbuf_place(&b, 0, "ghijkl", 6); /* wraps */
  synack_rcvbuf_commit(&b, 6);
  CHECK_EQ_U(synack_rcvbuf_read(&b, out, 16, false), 8);
  CHECK_MEM(out, "efghijkl", 8);
  synack_rcvbuf_free(st, &b);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(sndbuf_wraps), TH_CASE(rcvbuf_in_order_and_peek))
