/* Classic pcap files: 24-byte file header, then per record a 16-byte header and the captured
 * bytes. The writer always emits little-endian fields (magic a1b2c3d4 stored as d4 c3 b2 a1),
 * so the same simulation produces the same file bytes on any host; readers detect the byte
 * order from the magic. The reader takes both orders and both the microsecond and nanosecond
 * magics, and pcapng files too, and treats anything that does not add up as a malformed file. */
#include <stdlib.h>
#include <string.h>

#include "synack/pcap.h"

#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define DEFAULT_SNAPLEN 262144u
/* Largest record the reader accepts: far above any real snaplen, low enough that a corrupt
 * length cannot make it allocate gigabytes. */
#define READER_MAX_RECORD (64u * 1024u * 1024u)

/* A capture point on a simulated link. */
typedef struct sim_tap {
  struct sim_tap *next;
  synack_pcap_t *p;
  int link, dir;
  synack_sim_obs_kind_t kind;
} sim_tap_t;

struct synack_pcap {
  FILE *f;
  bool owned;
  uint32_t snaplen;
  uint32_t linktype;
  bool failed;
  struct sim_tap *taps; /* simulator observers feeding this writer, freed with it */
};

static void put32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void put16le(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static synack_pcap_t *open_common(FILE *f, bool owned, uint32_t linktype, uint32_t snaplen) {
  synack_pcap_t *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->f = f;
  p->owned = owned;
  p->linktype = linktype;
  p->snaplen = snaplen ? snaplen : DEFAULT_SNAPLEN;
  uint8_t h[24];
  put32le(h, MAGIC_US);
  put16le(h + 4, 2); /* version 2.4 */
  put16le(h + 6, 4);
  put32le(h + 8, 0);  /* thiszone: timestamps are UTC (virtual) */
  put32le(h + 12, 0); /* sigfigs */
  put32le(h + 16, p->snaplen);
  put32le(h + 20, linktype);
  if (fwrite(h, 1, sizeof h, f) != sizeof h) {
    free(p);
    return NULL;
  }
  return p;
}

synack_pcap_t *synack_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen) {
  if (!path) return NULL;
  FILE *f = fopen(path, "wb");
  if (!f) return NULL;
  synack_pcap_t *p = open_common(f, true, linktype, snaplen);
  if (!p) fclose(f);
  return p;
}

synack_pcap_t *synack_pcap_open_stream(FILE *f, uint32_t linktype, uint32_t snaplen) {
  if (!f) return NULL;
  return open_common(f, false, linktype, snaplen);
}

int synack_pcap_write(synack_pcap_t *p, synack_time_t ts_us, const uint8_t *frame, size_t len) {
  if (!p || (!frame && len)) return -SYNACK_EINVAL;
  if (len > UINT32_MAX) return -SYNACK_EINVAL;
  uint32_t caplen = len > p->snaplen ? p->snaplen : (uint32_t)len;
  uint64_t sec = ts_us / 1000000u;
  if (sec > UINT32_MAX) return -SYNACK_EINVAL; /* the classic format has 32-bit seconds */
  uint8_t h[16];
  put32le(h, (uint32_t)sec);
  put32le(h + 4, (uint32_t)(ts_us % 1000000u));
  put32le(h + 8, caplen);
  put32le(h + 12, (uint32_t)len);
  if (fwrite(h, 1, sizeof h, p->f) != sizeof h || (caplen && fwrite(frame, 1, caplen, p->f) != caplen)) {
    p->failed = true;
    return -SYNACK_ENOSPC;
  }
  return 0;
}

int synack_pcap_flush(synack_pcap_t *p) {
  if (!p) return -SYNACK_EINVAL;
  if (fflush(p->f) != 0 || p->failed) return -SYNACK_ENOSPC;
  return 0;
}

void synack_pcap_close(synack_pcap_t *p) {
  if (!p) return;
  if (p->owned) fclose(p->f);
  else fflush(p->f);
  while (p->taps) {
    struct sim_tap *n = p->taps->next;
    free(p->taps);
    p->taps = n;
  }
  free(p);
}

/* ---- simulator capture ---- */

static void on_sim_frame(void *user, const synack_sim_obs_t *o) {
  const sim_tap_t *t = user;
  if (o->kind != t->kind || o->link != t->link || (t->dir >= 0 && o->dir != t->dir)) return;
  synack_pcap_write(t->p, o->now, o->frame, o->len);
}

/* The simulator cannot unregister an observer, so a tap lives as long as its writer: it hangs
 * off the writer and synack_pcap_close frees it. Hence the rule: close the writer only once the
 * simulation will not run any more (or after synack_sim_free). */
int synack_pcap_attach_sim(synack_pcap_t *p, synack_sim_t *sim, int link, int dir, bool at_delivery) {
  if (!p || !sim || link < 0 || dir < -1 || dir > 1) return -SYNACK_EINVAL;
  if (!synack_sim_stats(sim, link, 0)) return -SYNACK_EINVAL;
  sim_tap_t *t = malloc(sizeof *t);
  if (!t) return -SYNACK_ENOMEM;
  t->p = p;
  t->link = link;
  t->dir = dir;
  t->kind = at_delivery ? SYNACK_SIM_OBS_DELIVERED : SYNACK_SIM_OBS_SENT;
  int rc = synack_sim_add_observer(sim, on_sim_frame, t);
  if (rc < 0) {
    free(t);
    return rc;
  }
  t->next = p->taps;
  p->taps = t;
  return 0;
}

/* ---- reader ----
 * Classic pcap, or pcapng (what Wireshark and recent tcpdump write): a Section Header Block
 * (byte order from its magic), Interface Description Blocks (link type, timestamp resolution)
 * and packets in Enhanced, Simple or obsolete Packet Blocks; every other block is skipped. The
 * reader offers one link type, the first interface's; packets of interfaces with another link
 * type are skipped. */

#define NG_SHB 0x0a0d0d0au
#define NG_BOM 0x1a2b3c4du
#define NG_MAX_IF 64

struct synack_pcap_reader {
  FILE *f;
  bool swapped; /* fields are big-endian */
  bool nanos;
  uint32_t linktype;
  uint8_t *buf;
  size_t cap;
  /* pcapng */
  bool ng, have_lt;
  size_t nif;
  uint32_t if_lt[NG_MAX_IF];
  uint8_t if_res[NG_MAX_IF]; /* if_tsresol: 10^-v, or 2^-(v & 0x7f) when the top bit is set */
};

static uint32_t get32(const synack_pcap_reader_t *r, const uint8_t *p) {
  if (r->swapped) return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t get16(const synack_pcap_reader_t *r, const uint8_t *p) {
  return r->swapped ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static bool reserve(synack_pcap_reader_t *r, size_t n) {
  if (n <= r->cap) return true;
  uint8_t *nb = realloc(r->buf, n);
  if (!nb) return false;
  r->buf = nb;
  r->cap = n;
  return true;
}

/* One pcapng block: its type, and its body (after type and length, trailing length included)
 * in r->buf. 1 = a block, 0 = end of file, negative = malformed. A Section Header Block sets the
 * byte order before its length is read. */
static int ng_block(synack_pcap_reader_t *r, uint32_t *type, size_t *body) {
  uint8_t h[12];
  size_t got = fread(h, 1, 8, r->f);
  if (got == 0 && feof(r->f)) return 0;
  if (got != 8) return -SYNACK_EINVAL;
  uint32_t t = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
  if (t == NG_SHB) {
    if (fread(h + 8, 1, 4, r->f) != 4) return -SYNACK_EINVAL;
    uint32_t bom = (uint32_t)h[8] | (uint32_t)h[9] << 8 | (uint32_t)h[10] << 16 | (uint32_t)h[11] << 24;
    if (bom == NG_BOM) r->swapped = false;
    else if (bom == 0x4d3c2b1au) r->swapped = true;
    else return -SYNACK_EINVAL;
    r->nif = 0; /* a new section defines its interfaces afresh */
  }
  *type = get32(r, h);
  uint32_t total = get32(r, h + 4);
  size_t have = t == NG_SHB ? 12 : 8;
  if (total < 12 || total % 4 || total > READER_MAX_RECORD) return -SYNACK_EINVAL;
  if (!reserve(r, total)) return -SYNACK_ENOMEM;
  if (fread(r->buf, 1, total - have, r->f) != total - have) return -SYNACK_EINVAL;
  *body = total - have;
  return 1;
}

static void ng_interface(synack_pcap_reader_t *r, size_t body) {
  if (body < 12 || r->nif == NG_MAX_IF) return;
  uint32_t lt = get16(r, r->buf);
  uint8_t res = 6;
  /* Options after link type, reserved and snap length: code, length, value padded to 4. */
  for (size_t o = 8; o + 4 <= body - 4;) {
    uint16_t code = get16(r, r->buf + o), len = get16(r, r->buf + o + 2);
    if (code == 0 || o + 4 + len > body - 4) break;
    if (code == 9 && len >= 1) res = r->buf[o + 4];
    o += 4 + (((size_t)len + 3) & ~(size_t)3);
  }
  r->if_lt[r->nif] = lt;
  r->if_res[r->nif] = res;
  r->nif++;
  if (!r->have_lt) {
    r->linktype = lt;
    r->have_lt = true;
  }
}

static synack_time_t ng_time(uint64_t ticks, uint8_t res) {
  if (res & 0x80) {
    unsigned sh = res & 0x7f;
    if (sh >= 64) return 0;
    uint64_t whole = ticks >> sh, part = ticks & (((uint64_t)1 << sh) - 1);
    return whole * 1000000u + (sh <= 40 ? (part * 1000000u) >> sh : 0);
  }
  uint64_t t = ticks;
  for (unsigned v = res; v > 6; v--) t /= 10;
  for (unsigned v = res; v < 6; v++) t *= 10;
  return t;
}

synack_pcap_reader_t *synack_pcap_reader_open_stream(FILE *f) {
  if (!f) return NULL;
  synack_pcap_reader_t *r = calloc(1, sizeof *r);
  uint8_t h[24];
  if (!r || fread(h, 1, 4, f) != 4) goto fail;
  r->f = f;
  uint32_t m = (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[1] << 8 | h[0];
  if (m == NG_SHB) {
    /* pcapng: the section header, then blocks up to the first interface (its link type). */
    r->ng = true;
    if (fseek(f, 0, SEEK_SET) != 0) goto fail;
    while (!r->have_lt) {
      uint32_t type;
      size_t body;
      if (ng_block(r, &type, &body) <= 0) goto fail;
      if (type == 1) ng_interface(r, body);
      else if (type == 2 || type == 3 || type == 6) goto fail; /* a packet before any interface */
    }
    return r;
  }
  if (fread(h + 4, 1, sizeof h - 4, f) != sizeof h - 4) goto fail;
  /* Read the magic little-endian first; its byte-swapped value means a big-endian file. */
  if (m == MAGIC_US || m == MAGIC_NS) {
    r->swapped = false;
  } else {
    m = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    if (m != MAGIC_US && m != MAGIC_NS) goto fail;
    r->swapped = true;
  }
  r->nanos = m == MAGIC_NS;
  if (get16(r, h + 4) != 2) goto fail; /* only major version 2 exists */
  /* The upper bits of the link-type field carry FCS information; the type is the low 16. */
  r->linktype = get32(r, h + 20) & 0xffffu;
  return r;
fail:
  if (r) free(r->buf);
  free(r);
  fclose(f);
  return NULL;
}

synack_pcap_reader_t *synack_pcap_reader_open(const char *path) {
  if (!path) return NULL;
  return synack_pcap_reader_open_stream(fopen(path, "rb"));
}

uint32_t synack_pcap_reader_linktype(const synack_pcap_reader_t *r) { return r ? r->linktype : 0; }

static int ng_read(synack_pcap_reader_t *r, synack_pcap_record_t *rec) {
  for (;;) {
    uint32_t type;
    size_t body;
    int rc = ng_block(r, &type, &body);
    if (rc <= 0) return rc;
    const uint8_t *b = r->buf;
    size_t ifc = 0, hdr;
    uint64_t ticks = 0;
    uint32_t caplen, origlen;
    if (type == 1) {
      ng_interface(r, body);
      continue;
    } else if ((type == 6 || type == 2) && body >= 24) {
      /* Enhanced Packet Block; the obsolete Packet Block has a 16-bit interface id (and a drop
       * count) where the enhanced one has 32 bits, the rest is laid out alike. */
      ifc = type == 6 ? get32(r, b) : get16(r, b);
      ticks = (uint64_t)get32(r, b + 4) << 32 | get32(r, b + 8);
      caplen = get32(r, b + 12);
      origlen = get32(r, b + 16);
      hdr = 20;
    } else if (type == 3 && body >= 8) { /* Simple Packet Block: no timestamp */
      origlen = get32(r, b);
      caplen = (uint32_t)(body - 8);
      if (caplen > origlen) caplen = origlen;
      hdr = 4;
    } else {
      continue;
    }
    /* (In this order: hdr + caplen could wrap where size_t has 32 bits.) */
    if (caplen > body - 4 || hdr > body - 4 - caplen) return -SYNACK_EINVAL;
    if (ifc >= r->nif || r->if_lt[ifc] != r->linktype) continue;
    rec->ts_us = ng_time(ticks, r->if_res[ifc]);
    rec->data = b + hdr;
    rec->caplen = caplen;
    rec->origlen = origlen;
    return 1;
  }
}

int synack_pcap_read(synack_pcap_reader_t *r, synack_pcap_record_t *rec) {
  if (!r || !rec) return -SYNACK_EINVAL;
  if (r->ng) return ng_read(r, rec);
  uint8_t h[16];
  size_t got = fread(h, 1, sizeof h, r->f);
  if (got == 0 && feof(r->f)) return 0;
  if (got != sizeof h) return -SYNACK_EINVAL; /* truncated record header */
  uint32_t sec = get32(r, h), frac = get32(r, h + 4);
  uint32_t caplen = get32(r, h + 8), origlen = get32(r, h + 12);
  if (caplen > READER_MAX_RECORD) return -SYNACK_EINVAL;
  if (frac >= (r->nanos ? 1000000000u : 1000000u)) return -SYNACK_EINVAL;
  if (!reserve(r, caplen)) return -SYNACK_ENOMEM;
  if (caplen && fread(r->buf, 1, caplen, r->f) != caplen) return -SYNACK_EINVAL; /* truncated data */
  rec->ts_us = (synack_time_t)sec * 1000000u + (r->nanos ? frac / 1000u : frac);
  rec->data = r->buf;
  rec->caplen = caplen;
  rec->origlen = origlen;
  return 1;
}

void synack_pcap_reader_close(synack_pcap_reader_t *r) {
  if (!r) return;
  fclose(r->f);
  free(r->buf);
  free(r);
}
