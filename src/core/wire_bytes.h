/* Byte-order helpers private to the wire-format modules.
 * Every multi-byte field is read and written one byte at a time, so that no pointer is ever
 * cast to a wider type: packets arrive at any alignment (UBSan checks this). */
#ifndef SYNACK_WIRE_BYTES_H
#define SYNACK_WIRE_BYTES_H

#include <stdint.h>

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((uint16_t)p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
