/* Ethernet II header. */
#include "harness.h"
#include "synack/wire.h"

static const uint8_t frame[] = {
  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* dst: broadcast */
  0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01, /* src */
  0x08, 0x06,                         /* ARP */
  0xde, 0xad, 0xbe, 0xef,
};

static void parse_fields(void) {
  synack_eth_repr_t e;
  REQUIRE(synack_eth_parse(frame, sizeof frame, &e) == SYNACK_DROP_NONE);
  CHECK(synack_mac_is_broadcast(&e.dst));
  CHECK(synack_mac_is_multicast(&e.dst));
  CHECK_MEM(e.src.b, frame + 6, 6);
  CHECK(!synack_mac_is_multicast(&e.src));
  CHECK_EQ_U(e.ethertype, SYNACK_ETHERTYPE_ARP);
  CHECK(e.payload == frame + 14);
  CHECK_EQ_U(e.payload_len, 4);
}

static void roundtrip(void) {
  synack_eth_repr_t e;
  REQUIRE(synack_eth_parse(frame, sizeof frame, &e) == SYNACK_DROP_NONE);
  uint8_t out[14];
  CHECK_EQ_U(synack_eth_emit(&e, out, sizeof out), 14);
  CHECK_MEM(out, frame, 14);
  CHECK_EQ_U(synack_eth_emit(&e, out, 13), 0);
  /* Header-only frame: empty payload. */
  REQUIRE(synack_eth_parse(frame, 14, &e) == SYNACK_DROP_NONE);
  CHECK_EQ_U(e.payload_len, 0);
}

static void truncated_at_every_length(void) {
  for (size_t n = 0; n < 14; n++) {
    synack_eth_repr_t e;
    CHECK_EQ_U(synack_eth_parse(frame, n, &e), SYNACK_DROP_ETH_TRUNCATED);
  }
}

static void mac_classes(void) {
  synack_mac_t m = { { 0x33, 0x33, 0xff, 0, 0, 2 } }; /* IPv6 multicast */
  CHECK(synack_mac_is_multicast(&m) && !synack_mac_is_broadcast(&m));
  synack_mac_t u = { { 0x02, 0xff, 0xff, 0xff, 0xff, 0xff } };
  CHECK(!synack_mac_is_multicast(&u) && !synack_mac_is_broadcast(&u));
  synack_mac_t b = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe } };
  CHECK(!synack_mac_is_broadcast(&b) && synack_mac_is_multicast(&b));
}

TH_MAIN(TH_CASE(parse_fields), TH_CASE(roundtrip), TH_CASE(truncated_at_every_length), TH_CASE(mac_classes))
