/* ARP for Ethernet and IPv4 only (RFC 826). */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

#define ARP_HTYPE_ETHERNET 1

synack_drop_reason_t synack_arp_parse(const uint8_t *buf, size_t len, synack_arp_repr_t *out) {
  if (len < SYNACK_ARP_LEN) return SYNACK_DROP_ARP_TRUNCATED;
  /* RFC 826 "Packet Reception": hardware type and protocol type must be ones we speak; the
   * address lengths must match them, or the fixed offsets below would be wrong. */
  if (rd16(buf) != ARP_HTYPE_ETHERNET || rd16(buf + 2) != SYNACK_ETHERTYPE_IPV4 || buf[4] != 6 || buf[5] != 4)
    return SYNACK_DROP_ARP_UNSUPPORTED;
  uint16_t op = rd16(buf + 6);
  if (op != SYNACK_ARP_REQUEST && op != SYNACK_ARP_REPLY) return SYNACK_DROP_ARP_BAD_OP;
  memset(out, 0, sizeof *out);
  out->op = op;
  memcpy(out->sha.b, buf + 8, 6);
  out->spa.family = SYNACK_AF_INET;
  memcpy(out->spa.b, buf + 14, 4);
  memcpy(out->tha.b, buf + 18, 6);
  out->tpa.family = SYNACK_AF_INET;
  memcpy(out->tpa.b, buf + 24, 4);
  return SYNACK_DROP_NONE;
}

size_t synack_arp_emit(const synack_arp_repr_t *r, uint8_t *buf, size_t cap) {
  if (cap < SYNACK_ARP_LEN) return 0;
  wr16(buf, ARP_HTYPE_ETHERNET);
  wr16(buf + 2, SYNACK_ETHERTYPE_IPV4);
  buf[4] = 6;
  buf[5] = 4;
  wr16(buf + 6, r->op);
  memcpy(buf + 8, r->sha.b, 6);
  memcpy(buf + 14, r->spa.b, 4);
  memcpy(buf + 18, r->tha.b, 6);
  memcpy(buf + 24, r->tpa.b, 4);
  return SYNACK_ARP_LEN;
}
