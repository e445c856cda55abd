/* ARP for Ethernet/IPv4 (RFC 826). */
#include "harness.h"
#include "synack/wire.h"

static const uint8_t request[] = {
  0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, /* Ethernet, IPv4, 6, 4, request */
  0x02, 0x00, 0x00, 0x5a, 0xc0, 0x01,             /* sha */
  198, 18, 0, 1,                                  /* spa */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* tha */
  198, 18, 0, 2,                                  /* tpa */
};

static void parse_fields(void) {
  synack_arp_repr_t a;
  REQUIRE(synack_arp_parse(request, sizeof request, &a) == SYNACK_DROP_NONE);
  CHECK_EQ_U(a.op, SYNACK_ARP_REQUEST);
  CHECK_MEM(a.sha.b, request + 8, 6);
  synack_ip_t spa = synack_ip4(198, 18, 0, 1), tpa = synack_ip4(198, 18, 0, 2);
  CHECK(synack_ip_equal(&a.spa, &spa));
  CHECK(synack_ip_equal(&a.tpa, &tpa));
  CHECK_MEM(&a.spa, &spa, sizeof spa);
  static const uint8_t zero[6] = { 0 };
  CHECK_MEM(a.tha.b, zero, 6);
}

static void roundtrip_and_padding(void) {
  uint8_t padded[46] = { 0 }; /* minimum Ethernet payload: trailing padding is ignored */
  memcpy(padded, request, sizeof request);
  synack_arp_repr_t a;
  REQUIRE(synack_arp_parse(padded, sizeof padded, &a) == SYNACK_DROP_NONE);
  uint8_t out[28];
  CHECK_EQ_U(synack_arp_emit(&a, out, sizeof out), 28);
  CHECK_MEM(out, request, 28);
  CHECK_EQ_U(synack_arp_emit(&a, out, 27), 0);
  a.op = SYNACK_ARP_REPLY;
  CHECK_EQ_U(synack_arp_emit(&a, out, sizeof out), 28);
  CHECK_EQ_U(out[7], 2);
}

static void malformed(void) {
  synack_arp_repr_t a;
  for (size_t n = 0; n < 28; n++) CHECK_EQ_U(synack_arp_parse(request, n, &a), SYNACK_DROP_ARP_TRUNCATED);
  static const struct { size_t off; uint8_t val; synack_drop_reason_t why; } t[] = {
    { 1, 6, SYNACK_DROP_ARP_UNSUPPORTED },  /* hardware type IEEE 802 */
    { 2, 0x86, SYNACK_DROP_ARP_UNSUPPORTED }, /* protocol type */
    { 4, 8, SYNACK_DROP_ARP_UNSUPPORTED },  /* hardware length */
    { 5, 16, SYNACK_DROP_ARP_UNSUPPORTED }, /* protocol length */
    { 7, 0, SYNACK_DROP_ARP_BAD_OP },
    { 7, 3, SYNACK_DROP_ARP_BAD_OP },       /* RARP request */
    { 6, 1, SYNACK_DROP_ARP_BAD_OP },       /* op 257 */
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    uint8_t b[28];
    memcpy(b, request, 28);
    b[t[i].off] = t[i].val;
    CHECK_EQ_U(synack_arp_parse(b, sizeof b, &a), t[i].why);
  }
}

TH_MAIN(TH_CASE(parse_fields), TH_CASE(roundtrip_and_padding), TH_CASE(malformed))
