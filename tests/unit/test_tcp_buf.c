/* Send/receive rings held in chunks (tcp_buf.c); the out-of-order range table is tested in
 * test_tcp_ooo.c, the rings' memory on live connections in tests/conn/test_mem.c. */
#include <string.h>

#include "harness.h"
#include "tcp_internal.h"
#include "tcpfix.h"

#define CH SYNACK_CHUNK

static synack_stack_t *mk(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET); /* the fixture's stack: bare IP, deterministic */
  return synack_stack_new(&c, 0);
}

static uint8_t pat(uint32_t i) { return (uint8_t)(0xf1 + 37 * i + (i >> 8)); }

/* Chunks are taken as bytes are queued and given back as soon as the oldest byte has left
 * them; an empty ring holds neither chunk nor table, and the stack's buffer memory counts
 * exactly the chunks and the table held. */
static void sndbuf_memory_follows_data(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  static uint8_t in[3 * CH + 100], out[3 * CH + 100];
  for (uint32_t i = 0; i < sizeof in; i++) in[i] = pat(i);
  synack_sndbuf_t b = { .cap = 64 * 1024 };
  size_t table = (size_t)(64 * 1024 / CH + 1) * sizeof(uint8_t *); /* cap / CH entries, one for the offset */
  CHECK_EQ_U(st->tcp->bufmem, 0);
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in, 10), 10);
  CHECK_EQ_U(b.q.held, 1);
  CHECK_EQ_U(st->tcp->bufmem, CH + table);
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in + 10, sizeof in - 10), (int)sizeof in - 10);
  CHECK_EQ_U(b.q.held, 4); /* 3 * CH + 100 bytes */
  CHECK_EQ_U(st->tcp->bufmem, 4 * CH + table);
  synack_sndbuf_drop(st, &b, CH - 1); /* the first chunk still holds one byte */
  CHECK_EQ_U(b.q.held, 4);
  synack_sndbuf_drop(st, &b, 1);
  CHECK_EQ_U(b.q.held, 3);
  CHECK_EQ_U(st->tcp->bufmem, 3 * CH + table);
  synack_sndbuf_copy(&b, 0, out, b.len);
  CHECK_MEM(out, in + CH, b.len);
  synack_sndbuf_drop(st, &b, b.len);
  CHECK_EQ_U(b.len, 0);
  CHECK(b.q.c == NULL);
  CHECK_EQ_U(b.q.held, 0);
  CHECK_EQ_U(st->tcp->bufmem, 0);
  /* The chunks wait in the bufcache for the next buffer. */
  CHECK_EQ_U(synack_stack_memory_cached(st), 4 * CH);
  synack_sndbuf_free(st, &b);
  synack_stack_free(st);
}

/* A full ring refuses more; after a drop it takes exactly the room left. */
static void sndbuf_room(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  synack_sndbuf_t b = { .cap = 10 };
  uint8_t in[32], out[32];
  for (int i = 0; i < 32; i++) in[i] = (uint8_t)i;
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in, 7), 7);
  synack_sndbuf_drop(st, &b, 5);
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in + 7, 20), 8); /* room for 8 only */
  CHECK_EQ_U(b.len, 10);
  CHECK_EQ_U(synack_sndbuf_room(&b), 0);
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in, 1), 0);
  synack_sndbuf_copy(&b, 0, out, 10);
  CHECK_MEM(out, in + 5, 10);
  synack_sndbuf_copy(&b, 4, out, 3);
  CHECK_MEM(out, in + 9, 3);
  synack_sndbuf_free(st, &b);
  CHECK_EQ_U(st->tcp->bufmem, 0);
  synack_stack_free(st);
}

/* synack_sndbuf_copy_csum copies the same bytes as synack_sndbuf_copy and returns their
 * reference sum wherever the ring starts in its chunk and wherever the copy crosses a chunk
 * boundary (at odd and even payload offsets), for every length up to two boundaries. */
static void sndbuf_copy_csum_across_chunks(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  enum { SPAN = CH + 70 };
  static uint8_t in[2 * CH + 200], out[SPAN + 1], want[SPAN];
  for (uint32_t i = 0; i < sizeof in; i++) in[i] = pat(i);
  static const uint32_t heads[] = { 0, 1, 2, CH - 33, CH - 32, CH - 1 };
  for (unsigned h = 0; h < sizeof heads / sizeof heads[0]; h++) {
    synack_sndbuf_t b = { .cap = 4 * CH };
    /* Keep one byte so that the drop does not empty the ring (which starts it over at 0). */
    CHECK_EQ_I(synack_sndbuf_write(st, &b, in, heads[h] + 1), (int)heads[h] + 1);
    synack_sndbuf_drop(st, &b, heads[h]);
    CHECK_EQ_U(b.q.off, heads[h] % CH);
    CHECK_EQ_I(synack_sndbuf_write(st, &b, in + heads[h] + 1, sizeof in - heads[h] - 1), (int)(sizeof in - heads[h] - 1));
    const uint8_t *ring = in + heads[h];
    for (uint32_t off = CH - heads[h] - 40; off < CH - heads[h] + 3; off += 7) {
      for (uint32_t n = 0; n <= 80; n++) {
        out[n] = 0x5a;
        uint32_t sum = synack_sndbuf_copy_csum(&b, off, out, n);
        synack_sndbuf_copy(&b, off, want, n);
        CHECK_MEM(out, ring + off, n);
        CHECK_MEM(want, ring + off, n);
        CHECK_EQ_U(out[n], 0x5a);
        CHECK_EQ_U(synack_csum_finish(sum), synack_csum_finish(synack_csum_add_reference(0, ring + off, n)));
      }
    }
    /* One copy spanning two boundaries. */
    uint32_t sum = synack_sndbuf_copy_csum(&b, 5, out, SPAN);
    CHECK_MEM(out, ring + 5, SPAN);
    CHECK_EQ_U(synack_csum_finish(sum), synack_csum_finish(synack_csum_add_reference(0, ring + 5, SPAN)));
    synack_sndbuf_free(st, &b);
  }
  synack_stack_free(st);
}

/* The receive ring: reservation takes the chunks of a range only, placement with its checksum
 * across a boundary, reads give chunks back, peeking does not, and a drained ring holds none. */
static void rcvbuf_reserve_read_release(void) {
  synack_stack_t *st = mk();
  REQUIRE(st);
  static uint8_t in[2 * CH], out[2 * CH];
  for (uint32_t i = 0; i < sizeof in; i++) in[i] = pat(i);
  synack_rcvbuf_t b;
  memset(&b, 0, sizeof b);
  b.cap = 16 * CH;
  CHECK(!synack_rcvbuf_holds(&b));
  REQUIRE(synack_rcvbuf_reserve(st, &b, 0, 0) == 0); /* nothing to hold: nothing taken */
  CHECK(!synack_rcvbuf_holds(&b));
  /* Out of order, 5 chunks ahead: that chunk only. */
  REQUIRE(synack_rcvbuf_reserve(st, &b, 5 * CH + 10, 100) == 0);
  CHECK_EQ_U(b.q.held, 1);
  /* In order across the first boundary: the checksum comes out of the copy. */
  REQUIRE(synack_rcvbuf_reserve(st, &b, 0, CH + 8) == 0);
  CHECK_EQ_U(b.q.held, 3);
  const uint8_t *tail = synack_rcvbuf_tail(&b);
  uint32_t sum = synack_rcvbuf_place_csum(&b, in, CH + 8);
  CHECK_EQ_U(synack_csum_finish(sum), synack_csum_finish(synack_csum_add_reference(0, in, CH + 8)));
  CHECK(synack_rcvbuf_tail(&b) == tail); /* nothing committed yet */
  synack_rcvbuf_commit(&b, CH + 8);
  CHECK_EQ_U(synack_rcvbuf_read(st, &b, out, 20, true), 20);
  CHECK_MEM(out, in, 20);
  CHECK_EQ_U(b.q.held, 3);
  uint32_t gen = b.gen;
  CHECK_EQ_U(synack_rcvbuf_read(st, &b, out, CH, false), CH);
  CHECK_MEM(out, in, CH);
  CHECK_EQ_U(b.q.held, 2); /* the first chunk is given back */
  CHECK_EQ_U(b.gen, gen + 1);
  /* A placement past the in-order data that fails its checksum is given back. */
  b.ooo.n = 0;
  REQUIRE(synack_rcvbuf_reserve(st, &b, 0, CH) == 0);
  CHECK_EQ_U(b.q.held, 3);
  synack_rcvbuf_unreserve(st, &b);
  CHECK_EQ_U(b.q.held, 1); /* only the chunk of the 8 in-order bytes (the one 5 chunks ahead too) */
  CHECK_EQ_U(synack_rcvbuf_read(st, &b, out, sizeof out, false), 8);
  CHECK_MEM(out, in + CH, 8);
  CHECK(!synack_rcvbuf_holds(&b));
  CHECK_EQ_U(st->tcp->bufmem, 0);
  synack_rcvbuf_free(st, &b);
  synack_stack_free(st);
}

/* Past tcp_mem_high a buffer holding a chunk gets no more (counted); one holding none still
 * gets its first, so no connection is wedged by the others. */
static void mem_high_refuses_all_but_the_first_chunk(void) {
  synack_config_t c;
  fx_config(&c, SYNACK_AF_INET);
  c.tcp_mem_low = c.tcp_mem_pressure = 2 * CH;
  c.tcp_mem_high = 3 * CH;
  synack_stack_t *st = synack_stack_new(&c, 0);
  REQUIRE(st);
  static uint8_t in[8 * CH];
  synack_sndbuf_t a = { .cap = 8 * CH }, b = { .cap = 8 * CH };
  /* The table takes a few bytes of the budget: 2 chunks fit, the third would pass it. */
  CHECK_EQ_I(synack_sndbuf_write(st, &a, in, sizeof in), (int)(2 * CH));
  CHECK_EQ_U(synack_stack_counters(st)->events[SYNACK_CTR_TCP_MEM_REFUSED], 1);
  CHECK_EQ_I(synack_sndbuf_write(st, &a, in, 1), -SYNACK_EAGAIN);
  CHECK(synack_tcp_mem_under_pressure(st));
  CHECK_EQ_U(synack_stack_counters(st)->events[SYNACK_CTR_TCP_MEM_PRESSURE], 1);
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in, sizeof in), (int)CH); /* its first chunk only */
  CHECK_EQ_U(synack_stack_counters(st)->events[SYNACK_CTR_TCP_MEM_REFUSED], 3);
  synack_sndbuf_drop(st, &a, a.len);
  CHECK(!synack_tcp_mem_under_pressure(st)); /* under tcp_mem_low again */
  CHECK_EQ_I(synack_sndbuf_write(st, &b, in, CH), (int)CH);
  synack_sndbuf_free(st, &a);
  synack_sndbuf_free(st, &b);
  CHECK_EQ_U(st->tcp->bufmem, 0);
  synack_stack_free(st);
}

TH_MAIN(TH_CASE(sndbuf_memory_follows_data), TH_CASE(sndbuf_room), TH_CASE(sndbuf_copy_csum_across_chunks),
        TH_CASE(rcvbuf_reserve_read_release), TH_CASE(mem_high_refuses_all_but_the_first_chunk))
