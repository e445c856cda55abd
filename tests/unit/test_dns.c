/* tools/apps/app_dns.c: the DNS stub of `synack get --dns` (RFC 1035 §4.1, RFC 3596). The
 * parser meets hostile bytes: every malformed form below must be refused without reading out
 * of bounds (the sanitizer build checks the reads). */
#include "app_dns.h"
#include "harness.h"

/* The query dig sends for "www.example.test A" with id 0x1234 and RD (flags 0x0100). */
static const uint8_t query_a[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
                                   0x00, 0x01, 0x00, 0x01 };

static void build_query_exact(void) {
  uint8_t b[512];
  CHECK_EQ_U(dns_build_query(b, sizeof b, 0x1234, "www.example.test", DNS_TYPE_A), sizeof query_a);
  CHECK_MEM(b, query_a, sizeof query_a);
  /* Trailing dot and upper case give the same query. */
  CHECK_EQ_U(dns_build_query(b, sizeof b, 0x1234, "WWW.Example.TEST.", DNS_TYPE_A), sizeof query_a);
  CHECK_MEM(b, query_a, sizeof query_a);
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, "h", DNS_TYPE_AAAA), 12 + 3 + 4);
  CHECK_EQ_U(b[12 + 3], 0);
  CHECK_EQ_U(b[12 + 4], 28);
  /* Invalid names and a short buffer. */
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, "", DNS_TYPE_A), 0);
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, "a..b", DNS_TYPE_A), 0);
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, ".a", DNS_TYPE_A), 0);
  char label64[80];
  memset(label64, 'x', 64);
  label64[64] = 0;
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, label64, DNS_TYPE_A), 0);
  label64[63] = 0;
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, label64, DNS_TYPE_A), 12 + 65 + 4);
  char longname[300];
  for (int i = 0; i < 127; i++) {
    longname[2 * i] = 'a';
    longname[2 * i + 1] = '.';
  }
  longname[253] = 0; /* 127 labels "a": 254 wire octets + root = 255 */
  CHECK(dns_build_query(b, sizeof b, 1, longname, DNS_TYPE_A) > 0);
  longname[253] = 'b';
  longname[254] = 0; /* one more octet: too long */
  CHECK_EQ_U(dns_build_query(b, sizeof b, 1, longname, DNS_TYPE_A), 0);
  CHECK_EQ_U(dns_build_query(b, 20, 0x1234, "www.example.test", DNS_TYPE_A), 0);
}

/* A response: the query with QR/RA set, then answer records appended by the cases. */
typedef struct {
  uint8_t b[1024];
  size_t n;
} msg_t;

static void start(msg_t *m, uint16_t ancount, uint8_t rcode) {
  memcpy(m->b, query_a, sizeof query_a);
  m->n = sizeof query_a;
  m->b[2] = 0x81; /* QR, RD */
  m->b[3] = (uint8_t)(0x80 | rcode); /* RA */
  m->b[7] = (uint8_t)ancount;
}

static void put(msg_t *m, const void *p, size_t n) {
  memcpy(m->b + m->n, p, n);
  m->n += n;
}

/* An answer record owned by the name at offset 12 (a compression pointer). */
static void rr_ptr12(msg_t *m, uint16_t type, const void *rdata, uint16_t rdlen) {
  uint8_t h[12] = { 0xc0, 12, (uint8_t)(type >> 8), (uint8_t)type, 0, 1, 0, 0, 0x0e, 0x10,
                    (uint8_t)(rdlen >> 8), (uint8_t)rdlen };
  put(m, h, sizeof h);
  put(m, rdata, rdlen);
}

static void answer_a(void) {
  msg_t m;
  start(&m, 2, 0);
  rr_ptr12(&m, DNS_TYPE_A, "\xc6\x12\x00\x01", 4);
  rr_ptr12(&m, DNS_TYPE_A, "\xc6\x12\x00\x02", 4);
  synack_ip_t out[4];
  size_t n = 0;
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_OK);
  CHECK_EQ_U(n, 2);
  synack_ip_t want = synack_ip4(198, 18, 0, 1);
  CHECK(synack_ip_equal(&out[0], &want));
  want = synack_ip4(198, 18, 0, 2);
  CHECK(synack_ip_equal(&out[1], &want));
  /* max bounds the count. */
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 1, &n), DNS_OK);
  CHECK_EQ_U(n, 1);
  /* The header announces a third record that is not there: malformed, and no address is
   * handed out (found by fuzz_dns: before, n counted the records read before the fault). */
  msg_t cut = m;
  cut.b[7] = 3;
  n = 9;
  CHECK_EQ_U(dns_parse_response(cut.b, cut.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  CHECK_EQ_U(n, 0);
  /* The name compares without case and trailing dot. */
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "WWW.example.test.", DNS_TYPE_A, out, 4, &n), DNS_OK);
  /* Every truncation of the message is refused, never read past. */
  for (size_t len = 0; len < m.n; len++) {
    dns_result_t r = dns_parse_response(m.b, len, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n);
    CHECK(r == DNS_MALFORMED || (r == DNS_OK && len >= m.n - 16) || r == DNS_NOT_OURS);
    if (len < m.n - 16) CHECK(r != DNS_OK);
  }
}

static void answer_aaaa_after_cname(void) {
  msg_t m;
  memcpy(m.b, query_a, sizeof query_a);
  m.n = sizeof query_a;
  m.b[2] = 0x81;
  m.b[3] = 0x80;
  m.b[7] = 3;
  m.b[sizeof query_a - 3] = 28; /* question type AAAA */
  /* www.example.test CNAME web.example.test (rdata "web" + pointer to "example.test" at 16) */
  uint8_t cname[] = { 3, 'w', 'e', 'b', 0xc0, 16 };
  rr_ptr12(&m, DNS_TYPE_CNAME, cname, sizeof cname);
  size_t web = m.n - sizeof cname; /* offset of the CNAME target */
  /* An AAAA for another name is ignored; the one for the target is taken. */
  rr_ptr12(&m, DNS_TYPE_AAAA, "\xfd\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\x09", 16);
  uint8_t own[12] = { 0xc0, (uint8_t)web, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16 };
  put(&m, own, sizeof own);
  put(&m, "\xfd\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  synack_ip_t out[4];
  size_t n = 0;
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_AAAA, out, 4, &n), DNS_OK);
  REQUIRE(n == 1);
  synack_ip_t want;
  synack_ip_parse("fd00::1", &want);
  CHECK(synack_ip_equal(&out[0], &want));
}

static void rcodes_and_flags(void) {
  msg_t m;
  synack_ip_t out[4];
  size_t n = 7;
  start(&m, 0, 3);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NXDOMAIN);
  CHECK_EQ_U(n, 0);
  start(&m, 0, 2);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_SERVER_FAIL);
  start(&m, 0, 0);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NO_DATA);
  m.b[2] |= 0x02; /* TC */
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_TRUNCATED);
  /* Not ours: another id, a query (QR clear), another opcode, another question. */
  start(&m, 1, 0);
  rr_ptr12(&m, DNS_TYPE_A, "\x01\x02\x03\x04", 4);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1235, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NOT_OURS);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "ww.example.test", DNS_TYPE_A, out, 4, &n), DNS_NOT_OURS);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_AAAA, out, 4, &n), DNS_NOT_OURS);
  m.b[2] = 0x01;
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NOT_OURS);
  m.b[2] = 0x81 | (2 << 3);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NOT_OURS);
  /* An A record with a wrong length or class is skipped. */
  start(&m, 2, 0);
  rr_ptr12(&m, DNS_TYPE_A, "\x01\x02\x03\x04\x05", 5);
  uint8_t chaos[16] = { 0xc0, 12, 0, 1, 0, 3, 0, 0, 0, 0, 0, 4, 9, 9, 9, 9 };
  put(&m, chaos, sizeof chaos);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NO_DATA);
}

/* k chained "abc" labels kept in the rdata of a first (unknown-type) record, each pointing at
 * the one before; the second record's owner name points at the last: k * 4 + 1 octets. */
static void chain_msg(msg_t *m, int k) {
  start(m, 2, 0);
  uint8_t h1[12] = { 0xc0, 12, 0, 99, 0, 1, 0, 0, 0, 0, (uint8_t)((k * 6) >> 8), (uint8_t)(k * 6) };
  put(m, h1, sizeof h1);
  size_t prev = 0;
  for (int i = 0; i < k; i++) {
    size_t here = m->n;
    uint8_t lab[6] = { 3, 'a', 'b', 'c', 0, 0 };
    if (i > 0) {
      lab[4] = (uint8_t)(0xc0 | prev >> 8);
      lab[5] = (uint8_t)prev;
    }
    put(m, lab, i > 0 ? 6 : 5);
    if (i == 0) put(m, "\0", 1); /* padding: every block is 6 bytes */
    prev = here;
  }
  uint8_t h2[16] = { (uint8_t)(0xc0 | prev >> 8), (uint8_t)prev, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 };
  put(m, h2, sizeof h2);
}

/* Compression pointers that loop or point forward, labels and rdata past the end, reserved
 * label types: all refused. */
static void hostile_names(void) {
  synack_ip_t out[4];
  size_t n;
  msg_t m;
  /* Owner name is a pointer to itself. */
  start(&m, 1, 0);
  size_t at = m.n;
  uint8_t self[] = { 0xc0, (uint8_t)at };
  put(&m, self, 2);
  uint8_t rest[] = { 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4 };
  put(&m, rest, sizeof rest);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  /* Two pointers pointing at each other (the second backwards, the first forwards). */
  start(&m, 1, 0);
  at = m.n;
  uint8_t pair[] = { 1, 'a', 0xc0, (uint8_t)(at + 4), 0xc0, (uint8_t)at };
  put(&m, pair, sizeof pair);
  put(&m, rest, sizeof rest);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  /* A label running past the end. */
  start(&m, 1, 0);
  uint8_t longlabel[] = { 40, 'a', 'b' };
  put(&m, longlabel, sizeof longlabel);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  /* Reserved label type 0x40. */
  start(&m, 1, 0);
  uint8_t ext[] = { 0x41, 'a', 0 };
  put(&m, ext, sizeof ext);
  put(&m, rest, sizeof rest);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  /* rdlength beyond the message. */
  start(&m, 1, 0);
  uint8_t big[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4 };
  put(&m, big, sizeof big);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  /* A label with a dot inside ("www.example" as one label) must not match "www.example.test". */
  msg_t q;
  memset(&q, 0, sizeof q);
  uint8_t hdr[12] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0 };
  put(&q, hdr, sizeof hdr);
  uint8_t dotted[] = { 11, 'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1 };
  put(&q, dotted, sizeof dotted);
  CHECK_EQ_U(dns_parse_response(q.b, q.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  /* A name longer than 255 octets on the wire (70 chained labels: 281) is refused; the same
   * layout with 50 labels (201 octets) is read (a valid answer, no address for our name). */
  chain_msg(&m, 70);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_MALFORMED);
  chain_msg(&m, 50);
  CHECK_EQ_U(dns_parse_response(m.b, m.n, 0x1234, "www.example.test", DNS_TYPE_A, out, 4, &n), DNS_NO_DATA);
}

static void result_names(void) {
  CHECK_STR(dns_result_name(DNS_NXDOMAIN), "no such name (NXDOMAIN)");
  CHECK_STR(dns_result_name(DNS_OK), "ok");
}

TH_MAIN(TH_CASE(build_query_exact), TH_CASE(answer_a), TH_CASE(answer_aaaa_after_cname), TH_CASE(rcodes_and_flags),
        TH_CASE(hostile_names), TH_CASE(result_names))
