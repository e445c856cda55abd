/* What the explorer in the browser asks of the C code, as JSON and SVG text: the catalogue, a
 * story played with the user's choices, the connections of a capture. Plain C on top of the
 * scenario and view code (no I/O but memory streams), so the same functions run natively
 * (`synack scenario run NAME --json`, tests under the sanitizers) and in WebAssembly
 * (web_wasm.c exports them to the page). */
#ifndef SYNACK_TOOLS_WEB_API_H
#define SYNACK_TOOLS_WEB_API_H

#include <stdio.h>

#include "ladder.h"
#include "scenario.h"

/* The catalogue: [{"group":..,"stories":[{"name":..,"summary":..}]}]. */
void synack_web_catalogue(FILE *f);

/* Parses "key=value&key=value" (the page's URL hash) into o; unknown keys are ignored. The
 * string is modified and must outlive o. Returns the number of keys that were not understood. */
int synack_web_parse_choices(char *q, synack_scn_opts_t *o);

/* The story as JSON: name, summary, the checks with their outcome, counts, the configuration
 * that was in force and every ladder event. */
void synack_web_story_json(FILE *f, const synack_scn_def_t *def, const synack_scn_t *s);

/* One ladder as JSON: {"left":..,"right":..,"events":[...]} fields shared by stories and
 * captures. */
void synack_web_ladder_fields(FILE *f, const synack_ladder_t *l);

/* A JSON string with quotes and escapes. */
void synack_web_json_str(FILE *f, const char *s);

/* The ladder as SVG (with data-ev marks) and the time-sequence graph of its busier direction. */
int synack_web_ladder_svg(FILE *f, const synack_ladder_t *l, const char *title, const char *subtitle);
int synack_web_tsg_svg(FILE *f, const synack_ladder_t *l, const char *title);

/* The connections of a capture in memory: [{"a":..,"b":..,"segments":..,"bytes":[..],"syn":..}]
 * or {"error":..}. Returns the count or -1. */
long synack_web_capture_list(FILE *f, const uint8_t *data, size_t len);
/* The ladder of connection k (0-based) of a capture in memory; NULL on error. Free the ladder
 * with synack_ladder_free and the result with free(). */
synack_ladder_t *synack_web_capture_ladder(const uint8_t *data, size_t len, long k);

#endif
