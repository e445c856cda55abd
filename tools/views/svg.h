/* SVG views: the ladder diagram (svg_ladder.c) and the time-sequence graph (tsg.c) share these
 * small helpers for writing self-contained, well-formed SVG files. */
#ifndef SYNACK_TOOLS_SVG_H
#define SYNACK_TOOLS_SVG_H

#include <stdio.h>

#include "ladder.h"

/* Writes text with the five XML special characters escaped. */
void synack_svg_text(FILE *f, const char *s);
/* Writes the ladder as an SVG file. title/subtitle may be NULL. Returns 0 or -1. */
int synack_svg_ladder(const synack_ladder_t *l, const char *path, const char *title, const char *subtitle);
/* The same on an open stream (not closed). Each event is a <g class="ev"> with data-ev (its
 * index), data-t (µs) and, for segments, data-seg (its segno), so a page can make it live. */
int synack_svg_ladder_write(FILE *f, const synack_ladder_t *l, const char *title, const char *subtitle);

#endif
