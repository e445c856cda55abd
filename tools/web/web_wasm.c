/* The WebAssembly face of the explorer: functions the page calls (see tools/web/explorer.js).
 * Strings and bytes cross through memory the page allocates with sk_alloc; every result is
 * left in one buffer the page reads with sk_out / sk_out_len before its next call. The module
 * keeps one current ladder (the story last run, or the capture connection last opened) for the
 * SVG, time-sequence graph and pcap downloads. Native builds compile this file to nothing. */
typedef int synack_web_wasm_only_t; /* (ISO C wants a translation unit to declare something) */

#ifdef __wasm__
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdlib.h>
#include <string.h>

#include "tsg.h"
#include "web_api.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static char *out;
static size_t out_len;
static synack_scn_t *story;
static const synack_scn_def_t *story_def;
static char *story_pcap;
static size_t story_pcap_len;
static synack_scn_opts_t story_opts;
static char story_choices[2048];
static uint8_t *cap;
static size_t cap_len;
static synack_ladder_t *cap_lad;
static char cap_title[200];

/* A memory stream for the next result; end_out() makes it the result. */
static FILE *begin_out(void) {
  free(out);
  out = NULL;
  out_len = 0;
  return open_memstream(&out, &out_len);
}

static int end_out(FILE *f) { return f && fclose(f) == 0 ? 0 : -1; }

EXPORT(sk_alloc) void *sk_alloc(size_t n);
EXPORT(sk_free) void sk_free(void *p);
EXPORT(sk_out) const char *sk_out(void);
EXPORT(sk_out_len) size_t sk_out_len(void);
EXPORT(sk_catalogue) int sk_catalogue(void);
EXPORT(sk_run) int sk_run(const char *name, const char *choices);
EXPORT(sk_svg) int sk_svg(int absolute);
EXPORT(sk_tsg) int sk_tsg(void);
EXPORT(sk_pcap) int sk_pcap(void);
EXPORT(sk_capture) long sk_capture(uint8_t *data, size_t len);
EXPORT(sk_capture_conn) int sk_capture_conn(long k);

void *sk_alloc(size_t n) { return malloc(n ? n : 1); }
void sk_free(void *p) { free(p); }
const char *sk_out(void) { return out; }
size_t sk_out_len(void) { return out_len; }

int sk_catalogue(void) {
  FILE *f = begin_out();
  if (!f) return -1;
  synack_web_catalogue(f);
  return end_out(f);
}

/* The current ladder: the capture's when one was opened last, else the story's. */
static synack_ladder_t *current(void) { return cap_lad ? cap_lad : story ? &story->lad : NULL; }

static void drop_capture_ladder(void) {
  if (!cap_lad) return;
  synack_ladder_free(cap_lad);
  free(cap_lad);
  cap_lad = NULL;
}

/* Runs a story; the result is its JSON. 1 = the story happened, 0 = its checks failed (the
 * user's choices changed it), -1 = no such story or out of memory. */
int sk_run(const char *name, const char *choices) {
  const synack_scn_def_t *def = synack_scn_find(name);
  if (!def) return -1;
  synack_scn_free(story);
  story = NULL;
  free(story_pcap);
  story_pcap = NULL;
  drop_capture_ladder();
  synack_scn_opts_init(&story_opts);
  snprintf(story_choices, sizeof story_choices, "%s", choices ? choices : "");
  synack_web_parse_choices(story_choices, &story_opts);
  FILE *pc = open_memstream(&story_pcap, &story_pcap_len);
  if (!pc) return -1;
  story = synack_scn_play(def, &story_opts, NULL, pc, true);
  fclose(pc);
  if (!story) return -1;
  story_def = def;
  FILE *f = begin_out();
  if (!f) return -1;
  synack_web_story_json(f, def, story);
  if (end_out(f) != 0) return -1;
  return story->nfail == 0 ? 1 : 0;
}

int sk_svg(int absolute) {
  synack_ladder_t *l = current();
  if (!l) return -1;
  FILE *f = begin_out();
  if (!f) return -1;
  char title[200], sub[200];
  if (cap_lad) {
    snprintf(title, sizeof title, "%s", cap_title);
    snprintf(sub, sizeof sub, "%u segments, %u retransmitted; times relative to the first segment", l->segments,
             l->retrans);
  } else {
    snprintf(title, sizeof title, "%s: %s", story_def->name, story_def->summary);
    synack_scn_subtitle(story, sub, sizeof sub);
  }
  l->absolute = absolute != 0;
  int rc = synack_web_ladder_svg(f, l, title, sub);
  l->absolute = false;
  return end_out(f) == 0 && rc == 0 ? 0 : -1;
}

int sk_tsg(void) {
  synack_ladder_t *l = current();
  if (!l) return -1;
  FILE *f = begin_out();
  if (!f) return -1;
  char title[200];
  int dir = synack_tsg_ladder_dir(l);
  snprintf(title, sizeof title, "time-sequence graph: %s -> %s", dir ? l->right_addr : l->left_addr,
           dir ? l->left_addr : l->right_addr);
  int rc = synack_web_tsg_svg(f, l, title);
  return end_out(f) == 0 && rc == 0 ? 0 : -1;
}

int sk_pcap(void) {
  if (!story_pcap) return -1;
  FILE *f = begin_out();
  if (!f) return -1;
  fwrite(story_pcap, 1, story_pcap_len, f);
  return end_out(f);
}

/* Takes ownership of data (allocated with sk_alloc). The result lists the connections. */
long sk_capture(uint8_t *data, size_t len) {
  free(cap);
  cap = data;
  cap_len = len;
  drop_capture_ladder();
  FILE *f = begin_out();
  if (!f) return -1;
  long n = synack_web_capture_list(f, cap, cap_len);
  end_out(f);
  return n;
}

int sk_capture_conn(long k) {
  drop_capture_ladder();
  cap_lad = synack_web_capture_ladder(cap, cap_len, k);
  if (!cap_lad) return -1;
  snprintf(cap_title, sizeof cap_title, "capture: %s <-> %s", cap_lad->left_addr, cap_lad->right_addr);
  FILE *f = begin_out();
  if (!f) return -1;
  fputc('{', f);
  synack_web_ladder_fields(f, cap_lad);
  fputc('}', f);
  return end_out(f);
}
#endif
