/* Address text: dotted quads, RFC 4291 §2.2 parsing, RFC 5952 canonical output. */
#include "harness.h"
#include "synack/types.h"

static void ipv4_parse_format(void) {
  synack_ip_t ip;
  char buf[48];
  REQUIRE(synack_ip_parse("198.18.0.1", &ip) == 0);
  CHECK_EQ_U(ip.family, SYNACK_AF_INET);
  synack_ip_t want = synack_ip4(198, 18, 0, 1);
  CHECK(synack_ip_equal(&ip, &want));
  CHECK_MEM(&ip, &want, sizeof ip); /* the unused bytes are zero */
  CHECK_STR(synack_ip_format(&ip, buf, sizeof buf), "198.18.0.1");
  REQUIRE(synack_ip_parse("255.255.255.255", &ip) == 0);
  CHECK_STR(synack_ip_format(&ip, buf, sizeof buf), "255.255.255.255");
  REQUIRE(synack_ip_parse("0.0.0.0", &ip) == 0);
  CHECK(synack_ip_is_unspecified(&ip));
  static const char *bad[] = { "", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4",
                               "1..3.4", "1.2.3.", ".1.2.3", "1.2.3.a", "1000.2.3.4", "1.2.3.-4" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    synack_ip_t keep = want;
    CHECK_EQ_I(synack_ip_parse(bad[i], &keep), -SYNACK_EINVAL);
    CHECK(synack_ip_equal(&keep, &want)); /* untouched on failure */
  }
}

static void ipv6_parse_forms(void) {
  static const struct { const char *in, *canon; } t[] = {
    { "fd00::1", "fd00::1" },
    { "::", "::" },
    { "::1", "::1" },
    { "1::", "1::" },
    { "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
    { "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1" }, /* first longest run */
    { "2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::" },                   /* longest run wins */
    { "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },               /* a lone zero stays */
    { "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0" },
    { "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8" },
    { "fe80::ff:fe5a:c002", "fe80::ff:fe5a:c002" },
    { "::ffff:198.18.0.1", "::ffff:198.18.0.1" },
    { "::ffff:c612:1", "::ffff:198.18.0.1" },
    { "64:ff9b::192.0.2.33", "64:ff9b::c000:221" },
    { "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304" },
    { "ff02::1:ff00:2", "ff02::1:ff00:2" },
    { "ABCD:EF01:2345:6789:ABCD:EF01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789" },
    { "0:0:0:0:0:0:0:0", "::" },
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    synack_ip_t ip;
    char buf[48];
    int rc = synack_ip_parse(t[i].in, &ip);
    if (rc != 0) fprintf(stderr, "parse failed: %s\n", t[i].in);
    CHECK_EQ_I(rc, 0);
    CHECK_EQ_U(ip.family, SYNACK_AF_INET6);
    CHECK_STR(synack_ip_format(&ip, buf, sizeof buf), t[i].canon);
    synack_ip_t again;
    CHECK_EQ_I(synack_ip_parse(buf, &again), 0);
    CHECK(synack_ip_equal(&ip, &again));
  }
  synack_ip_t ip;
  REQUIRE(synack_ip_parse("2001:db8::8:800:200c:417a", &ip) == 0);
  static const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0, 0x20, 0x0c, 0x41, 0x7a };
  CHECK_MEM(ip.b, want, 16);
}

static void ipv6_parse_rejects(void) {
  static const char *bad[] = { ":", ":::", "1:::2", "1::2::3", ":1::2", "1::2:", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
                               "12345::", "g::1", "1:2:3:4:5:6:7:8::", "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
                               "fe80::1%eth0", "::ffff:01.2.3.4", "1:", "::-1" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    synack_ip_t ip;
    int rc = synack_ip_parse(bad[i], &ip);
    if (rc == 0) fprintf(stderr, "accepted: %s\n", bad[i]);
    CHECK_EQ_I(rc, -SYNACK_EINVAL);
  }
}

static void equality_and_unspecified(void) {
  synack_ip_t a = synack_ip4(1, 2, 3, 4), b = synack_ip4(1, 2, 3, 4), c = synack_ip4(1, 2, 3, 5);
  CHECK(synack_ip_equal(&a, &b));
  CHECK(!synack_ip_equal(&a, &c));
  synack_ip_t v6;
  REQUIRE(synack_ip_parse("::ffff:1.2.3.4", &v6) == 0);
  CHECK(!synack_ip_equal(&a, &v6)); /* families differ */
  synack_ip_t z6, z4 = synack_ip4(0, 0, 0, 0), none;
  memset(&none, 0, sizeof none);
  REQUIRE(synack_ip_parse("::", &z6) == 0);
  CHECK(synack_ip_is_unspecified(&z6));
  CHECK(synack_ip_is_unspecified(&z4));
  CHECK(synack_ip_is_unspecified(&none));
  CHECK(!synack_ip_is_unspecified(&a));
  CHECK(!synack_ip_equal(&z4, &z6));
  char buf[48];
  CHECK_STR(synack_ip_format(&none, buf, sizeof buf), "unspecified");
  /* A short buffer truncates but stays terminated. */
  char small[6];
  synack_ip_format(&v6, small, sizeof small);
  CHECK_EQ_U(strlen(small), 5);
  synack_ip_t longest;
  REQUIRE(synack_ip_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &longest) == 0);
  CHECK_STR(synack_ip_format(&longest, buf, sizeof buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

/* "A/P" as the CLI (--addr) and the preload library (SYNACK_ADDR) take it, and MAC text. */
static void prefix_and_mac_parse(void) {
  synack_ip_t ip;
  uint8_t prefix = 99;
  REQUIRE(synack_ip_parse_prefix("198.18.0.2/24", SYNACK_AF_INET, &ip, &prefix) == 0);
  synack_ip_t want = synack_ip4(198, 18, 0, 2);
  CHECK(synack_ip_equal(&ip, &want));
  CHECK_EQ_U(prefix, 24);
  prefix = 99;
  REQUIRE(synack_ip_parse_prefix("198.18.0.2", SYNACK_AF_INET, &ip, &prefix) == 0);
  CHECK_EQ_U(prefix, 99); /* no prefix given: the caller's default stays */
  REQUIRE(synack_ip_parse_prefix("[fd00::2]/64", SYNACK_AF_INET6, &ip, &prefix) == 0);
  CHECK_EQ_U(ip.family, SYNACK_AF_INET6);
  CHECK_EQ_U(prefix, 64);
  REQUIRE(synack_ip_parse_prefix("fd00::2/128", SYNACK_AF_INET6, &ip, &prefix) == 0);
  CHECK_EQ_U(prefix, 128);
  static const struct { const char *in; int family; } bad[] = {
    { "198.18.0.2/0", SYNACK_AF_INET }, { "198.18.0.2/33", SYNACK_AF_INET }, { "198.18.0.2/", SYNACK_AF_INET },
    { "198.18.0.2/2x", SYNACK_AF_INET }, { "198.18.0.2/0024", SYNACK_AF_INET }, { "fd00::2/24", SYNACK_AF_INET },
    { "198.18.0.2/24", SYNACK_AF_INET6 }, { "fd00::2/129", SYNACK_AF_INET6 }, { "", SYNACK_AF_INET },
    { "[198.18.0.2/24", SYNACK_AF_INET },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    synack_ip_t keep = want;
    uint8_t kp = 7;
    CHECK_EQ_I(synack_ip_parse_prefix(bad[i].in, bad[i].family, &keep, &kp), -SYNACK_EINVAL);
    CHECK(synack_ip_equal(&keep, &want));
    CHECK_EQ_U(kp, 7);
  }
  synack_mac_t m;
  REQUIRE(synack_mac_parse("02:53:4b:00:00:50", &m) == 0);
  const uint8_t wm[6] = { 0x02, 0x53, 0x4b, 0x00, 0x00, 0x50 };
  CHECK_MEM(m.b, wm, 6);
  REQUIRE(synack_mac_parse("2:A:b:0:0:FF", &m) == 0);
  const uint8_t wm2[6] = { 0x02, 0x0a, 0x0b, 0x00, 0x00, 0xff };
  CHECK_MEM(m.b, wm2, 6);
  static const char *badmac[] = { "", "02:53:4b:00:00", "02:53:4b:00:00:50:01", "01:00:5e:00:00:01", "02:53:4b:00:00:5g",
                                  "02-53-4b-00-00-50", "02:53:4b:00:00:500", ":02:53:4b:00:00" };
  for (size_t i = 0; i < sizeof badmac / sizeof badmac[0]; i++) {
    synack_mac_t keep = m;
    CHECK_EQ_I(synack_mac_parse(badmac[i], &keep), -SYNACK_EINVAL);
    CHECK_MEM(keep.b, wm2, 6);
  }
}

TH_MAIN(TH_CASE(ipv4_parse_format), TH_CASE(prefix_and_mac_parse), TH_CASE(ipv6_parse_forms), TH_CASE(ipv6_parse_rejects),
        TH_CASE(equality_and_unspecified))
