/* Classic pcap files: 24-byte file header, then per record a 16-byte header and the captured
 * bytes. The writer always emits little-endian fields (magic a1b2c3d4 stored as d4 c3 b2 a1),
 * so the same simulation produces the same file bytes on any host; readers detect the byte
 * order from the magic. The reader takes both orders and both the microsecond and nanosecond
 * magics, and treats anything that does not add up as a malformed file. */
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

/* ---- reader ---- */

struct synack_pcap_reader {
  FILE *f;
  bool swapped; /* fields are big-endian */
  bool nanos;
  uint32_t linktype;
  uint8_t *buf;
  size_t cap;
};

static uint32_t get32(const synack_pcap_reader_t *r, const uint8_t *p) {
  if (r->swapped) return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
  return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t get16(const synack_pcap_reader_t *r, const uint8_t *p) {
  return r->swapped ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

synack_pcap_reader_t *synack_pcap_reader_open(const char *path) {
  if (!path) return NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  synack_pcap_reader_t *r = calloc(1, sizeof *r);
  uint8_t h[24];
  if (!r || fread(h, 1, sizeof h, f) != sizeof h) goto fail;
  /* Read the magic little-endian first; its byte-swapped value means a big-endian file. */
  uint32_t m = (uint32_t)h[3] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[1] << 8 | h[0];
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
  r->f = f;
  return r;
fail:
  free(r);
  fclose(f);
  return NULL;
}

uint32_t synack_pcap_reader_linktype(const synack_pcap_reader_t *r) { return r ? r->linktype : 0; }

int synack_pcap_read(synack_pcap_reader_t *r, synack_pcap_record_t *rec) {
  if (!r || !rec) return -SYNACK_EINVAL;
  uint8_t h[16];
  size_t got = fread(h, 1, sizeof h, r->f);
  if (got == 0 && feof(r->f)) return 0;
  if (got != sizeof h) return -SYNACK_EINVAL; /* truncated record header */
  uint32_t sec = get32(r, h), frac = get32(r, h + 4);
  uint32_t caplen = get32(r, h + 8), origlen = get32(r, h + 12);
  if (caplen > READER_MAX_RECORD) return -SYNACK_EINVAL;
  if (frac >= (r->nanos ? 1000000000u : 1000000u)) return -SYNACK_EINVAL;
  if (caplen > r->cap) {
    uint8_t *nb = realloc(r->buf, caplen);
    if (!nb) return -SYNACK_ENOMEM;
    r->buf = nb;
    r->cap = caplen;
  }
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
