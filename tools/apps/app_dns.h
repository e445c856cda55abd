/* A minimal DNS client (a stub resolver, RFC 1034 §5.3.1) for `synack get --dns SERVER`:
 * builds one A or AAAA query (RFC 1035 §4.1) and extracts the addresses of the answer. Pure functions over byte buffers: every byte of a
 * response is untrusted, so every read is bounds-checked, compression pointers may only point
 * backwards (no loops), and names are limited to RFC 1035's 255 octets. */
#ifndef SYNACK_TOOLS_APP_DNS_H
#define SYNACK_TOOLS_APP_DNS_H

#include <stddef.h>
#include <stdint.h>

#include <synack/types.h>

#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_MAX_NAME 255 /* RFC 1035 §2.3.4 (wire octets); the text form is at most 253 chars */

/* Writes a recursive query (RD set) for name with the given id and type; returns its length,
 * or 0 when the name is not a valid host name (empty label, label over 63, name too long) or
 * cap is too small. A trailing dot is allowed. */
size_t dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);

/* What a response said. */
typedef enum {
  DNS_OK = 0,         /* addresses found (n > 0) */
  DNS_NO_DATA,        /* a valid answer without an address of the type */
  DNS_NXDOMAIN,       /* RCODE 3: the name does not exist */
  DNS_SERVER_FAIL,    /* another RCODE (SERVFAIL, REFUSED...) */
  DNS_TRUNCATED,      /* TC set: the answer did not fit a datagram (TCP would be needed) */
  DNS_NOT_OURS,       /* not the answer to our question (id, QR, opcode, question differ) */
  DNS_MALFORMED,      /* out of bounds, bad pointer, bad lengths */
} dns_result_t;

/* Parses the response msg[0..len) to the query (id, name, qtype): up to max addresses of the
 * asked type owned by the name or by the end of its CNAME chain in the answer section go to
 * out (family SYNACK_AF_INET or SYNACK_AF_INET6), their count to *n. */
dns_result_t dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name, uint16_t qtype,
                                synack_ip_t *out, size_t max, size_t *n);
const char *dns_result_name(dns_result_t r);

#endif
