/*
 * synth.h: synthetic compound figures with known panel boxes, made from real
 * single images (grids, rows, columns, irregular and nested layouts, mixed
 * sizes, gutters from none to wide, thin lines, white, grey and black
 * backgrounds, printed labels in several fonts, sizes, cases and positions,
 * insets) and drawn plots (axes, ticks, tick labels, titles, legends).
 */
#ifndef WN_SPLIT_SYNTH_H
#define WN_SPLIT_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/img.h"
#include "lib/panels.h"

#define SYNTH_MAX_UNITS	48

struct synth_pool;

/*
 * Load every .jpg/.png of dir (reduced to at most 400 px) and, if present,
 * dir/glyph-sheet.txt (letters for labels).  Errors: -errno, -ENOENT when dir
 * holds no image, -ENOMEM.
 */
int synth_pool_load(const char *dir, struct synth_pool **ret)
	__attribute__((warn_unused_result));
void synth_pool_free(struct synth_pool *p);
size_t synth_pool_size(const struct synth_pool *p);

struct synth_figure {
	struct wn_image img;		/* owned: RGB */
	struct wn_panels_box units[SYNTH_MAX_UNITS];
	size_t nunits;
};

/* The figure of this seed: the same seed always gives the same figure. */
int synth_figure_make(const struct synth_pool *p, uint64_t seed,
		      struct synth_figure *ret)
	__attribute__((warn_unused_result));
void synth_figure_release(struct synth_figure *f);

#endif
