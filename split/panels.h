/*
 * panels.h: compound-figure separation into panels, with the panel labels
 * ("A", "b", "ii", ...) read from the image where they are printed.
 *
 * The detector works on a reduced copy of the figure: candidate separators
 * (background bands, gutters, drawn lines) are found on row and column
 * profiles, scored by a small trained model and applied as recursive XY cuts;
 * over-split plot parts (axes, tick labels, legends) are merged back into
 * their plot, and a compound-or-single decision is made on the result.
 *
 * Boxes are always in the pixel coordinates of the ORIGINAL image
 * (wn_image.orig_width x orig_height), whatever size it was decoded at.
 */
#ifndef WN_SPLIT_PANELS_H
#define WN_SPLIT_PANELS_H

#include <stddef.h>

#include "lib/img.h"

/* Decode figures with at least this short side (JPEG DCT downscaling). */
#define PANELS_DECODE_MIN_SIDE	512

/* Hard limits: at most this many panels per figure; images smaller than
   PANELS_MIN_SIDE on either side are never split. */
#define PANELS_MAX		256
#define PANELS_MIN_SIDE		16

struct panel {
	int x, y, w, h;		/* original-image pixels */
	char label[16];		/* "" if none was read */
	float score;		/* 0..1 confidence that this is a panel */
};

struct panel_set {
	struct panel *v;	/* owned: n entries, reading order */
	size_t n;
	int compound;		/* 1 if the figure has more than one panel */
	int width, height;	/* original image size */
};

struct panel_model;		/* opaque */

/* NULL path = the model shipped in the binary.  Errors: -ENOMEM, -errno,
   -WN_EFORMAT (not a panel model file). */
int panel_model_load(const char *path, struct panel_model **ret)
	__attribute__((warn_unused_result));
void panel_model_free(struct panel_model *m);
/* "panels-1.0+<first 8 hex digits of the model's SHA-256>"; never NULL. */
const char *panel_model_version(const struct panel_model *m);

/*
 * Detect the panels of rgb (channels 3, or 1 for grey).  On success *ret holds
 * at least one panel (the whole image when the figure is single) and the
 * caller releases it with panel_set_release().  Errors: -EINVAL, -ENOMEM.
 */
int panels_detect(const struct panel_model *m, const struct wn_image *rgb,
		  struct panel_set *ret)
	__attribute__((warn_unused_result));

/* Load path with the recommended decode options and detect.  Errors as
   wn_image_load_file() and panels_detect(). */
int panels_detect_file(const struct panel_model *m, const char *path,
		       struct panel_set *ret)
	__attribute__((warn_unused_result));

void panel_set_release(struct panel_set *s);

#endif
