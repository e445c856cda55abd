/* libFuzzer target: the DNS response parser of `synack get --dns` (tools/apps/app_dns.c).
 * The first byte picks the question (A or AAAA, a short or a long name); the rest is the
 * response. Checks: no out-of-bounds read (ASan), the count within bounds, addresses of the
 * asked family, and OK exactly when addresses were found. */
#include <stdlib.h>
#include <string.h>

#include "app_dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint16_t qtype = (data[0] & 1) ? DNS_TYPE_AAAA : DNS_TYPE_A;
  const char *name = (data[0] & 2) ? "a.b" : "www.example.test";
  uint16_t id = (uint16_t)(size >= 3 ? (data[1] << 8 | data[2]) : 0);
  data++;
  size--;
  /* Copy to an exact-size heap buffer so that ASan sees every byte past the end. */
  uint8_t *msg = malloc(size ? size : 1);
  if (!msg) return 0;
  if (size) memcpy(msg, data, size);
  synack_ip_t out[4];
  size_t n = 99;
  dns_result_t r = dns_parse_response(msg, size, id, name, qtype, out, 4, &n);
  if (n > 4) abort();
  if ((r == DNS_OK) != (n > 0)) abort();
  for (size_t i = 0; i < n; i++)
    if (out[i].family != (qtype == DNS_TYPE_AAAA ? SYNACK_AF_INET6 : SYNACK_AF_INET)) abort();
  /* A query we build parses as a question the parser accepts (not an answer: QR clear). */
  uint8_t q[300];
  size_t ql = dns_build_query(q, sizeof q, id, name, qtype);
  if (ql == 0 || dns_parse_response(q, ql, id, name, qtype, out, 4, &n) != DNS_NOT_OURS) abort();
  free(msg);
  return 0;
}
