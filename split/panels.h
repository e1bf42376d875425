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
#include <stdio.h>

#include "lib/img.h"

struct labels_model;

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

/*
 * Training interface (winnow-train, tests).  A page is a figure prepared for
 * detection: a reduced copy, its background mask and integral image.  Ground
 * truth boxes are in original-image pixels.
 */
#define PANELS_CUT_NF	32	/* features of a candidate separator */
#define PANELS_LEAF_NF	20	/* features of a final region */
#define PANELS_FIG_NF	15	/* features of a whole result */

struct panels_box {
	int x, y, w, h;
	char label[16];
};

struct panels_page;

int panels_page_new(const struct panel_model *m, const struct wn_image *rgb,
		    struct panels_page **ret)
	__attribute__((warn_unused_result));
void panels_page_free(struct panels_page *pg);

/* Called with the features of one example and its target (0 or 1). */
typedef int (*panels_example_fn)(void *ud, const float *feat, int target);

/*
 * Walk the recursive cuts the ground truth implies and report every candidate
 * separator met on the way, with target 1 if it falls between units and 0 if
 * it crosses one.
 */
int panels_collect_cuts(struct panels_page *pg, const struct panels_box *gt,
			size_t ngt, panels_example_fn fn, void *ud);
/*
 * Run the model's cuts and report every final region with target 1 if most of
 * it lies in a ground-truth unit.
 */
int panels_collect_leaves(struct panels_page *pg, const struct panels_box *gt,
			  size_t ngt, panels_example_fn fn, void *ud);

/* Model text (see split/models/panels.model) and its embedded copy. */
int panel_model_parse(const char *text, size_t len, struct panel_model **ret)
	__attribute__((warn_unused_result));
extern const char panels_model_text[];
extern const size_t panels_model_len;

/* The baseline of the evaluation: gutter cuts only, no trained scores. */
int panel_model_baseline(struct panel_model **ret)
	__attribute__((warn_unused_result));

/* Accessors for training: the weight vectors of a loaded model. */
float *panel_model_cut_weights(struct panel_model *m);
float *panel_model_leaf_weights(struct panel_model *m);
void panel_model_set_cut_threshold(struct panel_model *m, float t);
/* Set (or, with w NULL, drop) the compound-or-single model. */
void panel_model_set_figure(struct panel_model *m, const float *w, float t);
/*
 * panels_detect(), but with ret_feat given the compound-or-single decision is
 * not taken: the features of a result of two panels or more go to ret_feat
 * (PANELS_FIG_NF floats; untouched for a single panel).
 */
int panels_detect_ex(const struct panel_model *m, const struct wn_image *rgb,
		     struct panel_set *ret, float *ret_feat)
	__attribute__((warn_unused_result));
struct labels_model *panel_model_glyphs(struct panel_model *m);
/* Replace the glyph classifier; takes the weights over and clears *g. */
void panel_model_set_glyphs(struct panel_model *m, struct labels_model *g);
/* Write m as model text to f; 0 or -EIO. */
int panel_model_write(const struct panel_model *m, FILE *f);

#endif
