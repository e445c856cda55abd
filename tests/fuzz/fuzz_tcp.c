/* libFuzzer target: TCP header and options. Parse (without and with the checksum), emit with
 * the parsed layout, re-parse, compare every field. */
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_opts(const synack_tcp_opts_t *a, const synack_tcp_opts_t *b) {
  /* Skipped options (unknown kinds, known kinds with a bad length) are not re-emitted. */
  uint32_t skipped = SYNACK_TCPOPT_HAS_UNKNOWN | SYNACK_TCPOPT_HAS_BAD_LEN;
  uint32_t known = a->present & ~skipped;
  if ((b->present & ~skipped) != known || (b->present & skipped)) abort();
  if ((known & SYNACK_TCPOPT_HAS_MSS) && a->mss != b->mss) abort();
  if ((known & SYNACK_TCPOPT_HAS_WSCALE) && a->wscale != b->wscale) abort();
  if ((known & SYNACK_TCPOPT_HAS_TS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)) abort();
  if ((known & SYNACK_TCPOPT_HAS_SACK) &&
      (a->sack_count != b->sack_count || memcmp(a->sack, b->sack, sizeof a->sack[0] * a->sack_count) != 0))
    abort();
  if ((known & SYNACK_TCPOPT_HAS_FASTOPEN) && (a->fo_len != b->fo_len || memcmp(a->fo_cookie, b->fo_cookie, a->fo_len)))
    abort();
  /* RFC 2385: the signature option lies inside the header, and is re-emitted at the same place
   * (its digest zeroed for the signer) unless skipped options before it were left out. */
  if ((known & SYNACK_TCPOPT_HAS_MD5) &&
      (a->md5_off < 22 || a->md5_off + 16u > 60u || b->md5_off < 22 || b->md5_off + 16u > 60u ||
       (!(a->present & skipped) && a->md5_off != b->md5_off)))
    abort();
  /* RFC 5925: likewise the TCP-AO option (its MAC zeroed), with its length and KeyIDs. */
  if ((known & SYNACK_TCPOPT_HAS_AO) &&
      (a->ao_len != b->ao_len || a->ao_keyid != b->ao_keyid || a->ao_rnext != b->ao_rnext || a->ao_off < 20 ||
       a->ao_off + a->ao_len > 60u || b->ao_off < 20 || b->ao_off + b->ao_len > 60u ||
       (!(a->present & skipped) && a->ao_off != b->ao_off)))
    abort();
  if (!(a->present & SYNACK_TCPOPT_HAS_UNKNOWN) &&
      (a->layout_len != b->layout_len || memcmp(a->layout, b->layout, a->layout_len) != 0))
    abort();
}

/* The stored slot of an option kind: fast open's two forms (kind 34, and kind 254 with its
 * ExID) fill the same fields. */
static uint8_t slot(const synack_tcp_opts_t *o, uint8_t kind) {
  if (kind == SYNACK_TCPOPT_EXP && (o->present & SYNACK_TCPOPT_HAS_FASTOPEN)) return SYNACK_TCPOPT_FASTOPEN;
  return kind;
}

/* A repeated option keeps only its last value (as Linux does): its layout cannot re-emit the
 * original bytes, and may not even fit. */
static bool has_duplicate(const synack_tcp_opts_t *o) {
  for (size_t i = 0; i < o->layout_len; i++)
    for (size_t j = i + 1; j < o->layout_len; j++)
      if (slot(o, o->layout[i]) == slot(o, o->layout[j]) && o->layout[i] != SYNACK_TCPOPT_NOP &&
          o->layout[i] != SYNACK_TCPOPT_EOL)
        return true;
  return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  synack_ip_t src = synack_ip4(198, 18, 0, 1), dst = synack_ip4(198, 18, 0, 2);
  synack_tcp_repr_t t;
  (void)synack_tcp_parse(data, size, &src, &dst, 0, &t);
  if (synack_tcp_parse(data, size, NULL, NULL, 0, &t) != SYNACK_DROP_NONE) return 0;
  if (t.header_len < 20 || t.header_len > 60 || t.payload != data + t.header_len ||
      t.payload_len + t.header_len != size || t.opts.layout_len > 40)
    abort();
  if (has_duplicate(&t.opts)) return 0;
  uint8_t *out = malloc(60 + t.payload_len);
  if (!out) return 0;
  size_t h = synack_tcp_emit(&t, out, 60 + t.payload_len);
  if (h < 20 || h > t.header_len) abort();
  if (!(t.opts.present & SYNACK_TCPOPT_HAS_UNKNOWN) && h != t.header_len) abort();
  memcpy(out + h, t.payload, t.payload_len);
  synack_tcp_fill_checksum(out, h + t.payload_len, &src, &dst);
  synack_tcp_repr_t q;
  if (synack_tcp_parse(out, h + t.payload_len, &src, &dst, 0, &q) != SYNACK_DROP_NONE) abort();
  if (q.src_port != t.src_port || q.dst_port != t.dst_port || q.seq != t.seq || q.ack != t.ack ||
      q.flags != t.flags || q.window != t.window || q.urgent != t.urgent || q.payload_len != t.payload_len ||
      memcmp(q.payload, t.payload, t.payload_len) != 0)
    abort();
  same_opts(&t.opts, &q.opts);
  char fl[10];
  synack_tcp_flags_str(t.flags, fl, sizeof fl);
  free(out);
  return 0;
}
