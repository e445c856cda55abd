/* Ethernet II framing (IEEE 802.3 §3.2.6 "Type" interpretation; RFC 894 for IPv4 over it). */
#include <string.h>

#include "synack/wire.h"
#include "wire_bytes.h"

synack_drop_reason_t synack_eth_parse(const uint8_t *buf, size_t len, synack_eth_repr_t *out) {
  if (len < SYNACK_ETH_HDR_LEN) return SYNACK_DROP_ETH_TRUNCATED;
  memcpy(out->dst.b, buf, 6);
  memcpy(out->src.b, buf + 6, 6);
  out->ethertype = rd16(buf + 12);
  /* Frames shorter than 60 bytes are padded on the wire; the payload keeps the padding and
   * the network layer trims it using its own length field. */
  out->payload = buf + SYNACK_ETH_HDR_LEN;
  out->payload_len = len - SYNACK_ETH_HDR_LEN;
  return SYNACK_DROP_NONE;
}

size_t synack_eth_emit(const synack_eth_repr_t *r, uint8_t *buf, size_t cap) {
  if (cap < SYNACK_ETH_HDR_LEN) return 0;
  memcpy(buf, r->dst.b, 6);
  memcpy(buf + 6, r->src.b, 6);
  wr16(buf + 12, r->ethertype);
  return SYNACK_ETH_HDR_LEN;
}

bool synack_mac_is_broadcast(const synack_mac_t *m) {
  for (int i = 0; i < 6; i++)
    if (m->b[i] != 0xff) return false;
  return true;
}

/* IEEE 802 §8.2: the group bit is the least significant bit of the first octet. */
bool synack_mac_is_multicast(const synack_mac_t *m) { return (m->b[0] & 1) != 0; }
