/* Send/receive rings (tcp_buf.c); the out-of-order range table is tested in test_tcp_ooo.c. */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"

static synack_stack_t *mk(void) {
  synack_config_t c;
  synack_config_default(&c);
  c.link = SYNACK_LINK_IP;
  c.ip4 = synack_ip4(10, 0, 0, 1);
  synack_config_deterministic(&c, 1);
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

/* synack_sndbuf_copy_csum copies the same bytes as synack_sndbuf_copy and returns their
 * reference sum for every ring position (odd capacity: the wrap falls at odd and even payload
 * offsets) and every length, including a single byte on each side of the wrap. */
static void sndbuf_copy_csum_every_wrap(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  enum { CAP = 61 };
  uint8_t in[CAP], out[CAP + 1], want[CAP];
  for (int i = 0; i < CAP; i++) in[i] = (uint8_t)(0xf1 + 37 * i);
  for (uint32_t head = 0; head < CAP; head++) {
    synack_sndbuf_t b = { .cap = CAP };
    CHECK_EQ_I(synack_sndbuf_write(st, &b, in, head), (int)head);
    synack_sndbuf_drop(&b, head); /* the ring now starts at position head */
    CHECK_EQ_I(synack_sndbuf_write(st, &b, in, CAP), CAP);
    for (uint32_t off = 0; off < CAP; off += 3) {
      for (uint32_t n = 0; off + n <= CAP; n++) {
        out[n] = 0x5a;
        uint32_t sum = synack_sndbuf_copy_csum(&b, off, out, n);
        synack_sndbuf_copy(&b, off, want, n);
        CHECK_MEM(out, in + off, n);
        CHECK_MEM(want, in + off, n);
        CHECK_EQ_U(out[n], 0x5a);
        CHECK_EQ_U(synack_csum_finish(sum), synack_csum_finish(synack_csum_add_reference(0, in + off, n)));
      }
    }
    synack_sndbuf_free(st, &b);
  }
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

TH_MAIN(TH_CASE(sndbuf_wraps), TH_CASE(sndbuf_copy_csum_every_wrap), TH_CASE(rcvbuf_in_order_and_peek))
