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
#ifndef WN_PANELS_H
#define WN_PANELS_H

#include <stddef.h>
#include <stdio.h>

#include "lib/img.h"

struct wn_labels_model;

/* Decode figures with at least this short side (JPEG DCT downscaling). */
#define WN_PANELS_DECODE_MIN_SIDE	512

/* Hard limits: at most this many panels per figure; images smaller than
   WN_PANELS_MIN_SIDE on either side are never split. */
#define WN_PANELS_MAX		256
#define WN_PANELS_MIN_SIDE		16

struct wn_panel {
	int x, y, w, h;		/* original-image pixels */
	char label[16];		/* "" if none was read */
	float score;		/* 0..1 confidence that this is a panel */
};

struct wn_panel_set {
	struct wn_panel *v;	/* owned: n entries, reading order */
	size_t n;
	int compound;		/* 1 if the figure has more than one panel */
	int width, height;	/* original image size */
};

struct wn_panel_model;		/* opaque */

/* NULL path = the model shipped in the binary.  Errors: -ENOMEM, -errno,
   -WN_EFORMAT (not a panel model file). */
int wn_panel_model_load(const char *path, struct wn_panel_model **ret)
	__attribute__((warn_unused_result));
void wn_panel_model_free(struct wn_panel_model *m);
/* "panels-1.0+<first 8 hex digits of the model's SHA-256>"; never NULL. */
const char *wn_panel_model_version(const struct wn_panel_model *m);

/*
 * Detect the panels of rgb (channels 3, or 1 for grey).  On success *ret holds
 * at least one panel (the whole image when the figure is single) and the
 * caller releases it with wn_panel_set_release().  Errors: -EINVAL, -ENOMEM.
 */
int wn_panels_detect(const struct wn_panel_model *m, const struct wn_image *rgb,
		     struct wn_panel_set *ret)
	__attribute__((warn_unused_result));

/*
 * wn_panels_detect() for a figure whose caption names want panels (want < 2:
 * no hint).  When fewer panels are found, the separators are tried again
 * with the cut threshold lowered step by step (0.35, 0.25, 0.15, where below
 * the model's own), and a result with more panels, but not more than
 * want + 1, is kept: a caption that lists panels A-D is evidence for the
 * weaker gutters between them.  It is also evidence that the figure is
 * compound: a split the compound-or-single model doubts is kept when that
 * model gives it an even chance or better (its own threshold is stricter).
 */
int wn_panels_detect_hint(const struct wn_panel_model *m,
			  const struct wn_image *rgb, int want,
			  struct wn_panel_set *ret)
	__attribute__((warn_unused_result));

/* Decode path as the detector wants it (RGB, reduced for speed); errors as
   wn_image_load_file(). */
int wn_panels_image_load(const char *path, struct wn_image *img)
	__attribute__((warn_unused_result));

/* Load path with the recommended decode options and detect.  Errors as
   wn_image_load_file() and wn_panels_detect(). */
int wn_panels_detect_file(const struct wn_panel_model *m, const char *path,
			  struct wn_panel_set *ret)
	__attribute__((warn_unused_result));
/* The same with the caption's panel count (see wn_panels_detect_hint()). */
int wn_panels_detect_file_hint(const struct wn_panel_model *m,
			       const char *path, int want,
			       struct wn_panel_set *ret)
	__attribute__((warn_unused_result));

void wn_panel_set_release(struct wn_panel_set *s);

/*
 * Training interface (winnow-train, tests).  A page is a figure prepared for
 * detection: a reduced copy, its background mask and integral image.  Ground
 * truth boxes are in original-image pixels.
 */
#define WN_PANELS_CUT_NF	34	/* features of a candidate separator */
#define WN_PANELS_LEAF_NF	20	/* features of a final region */
#define WN_PANELS_FIG_NF	15	/* features of a whole result */

struct wn_panels_box {
	int x, y, w, h;
	char label[16];
};

struct wn_panels_page;

int wn_panels_page_new(const struct wn_panel_model *m,
		       const struct wn_image *rgb,
		       struct wn_panels_page **ret)
	__attribute__((warn_unused_result));
void wn_panels_page_free(struct wn_panels_page *pg);

/* Called with the features of one example and its target (0 or 1). */
typedef int (*wn_panels_example_fn)(void *ud, const float *feat, int target);

/*
 * Walk the recursive cuts the ground truth implies and report every candidate
 * separator met on the way, with target 1 if it falls between units and 0 if
 * it crosses one.
 */
int wn_panels_collect_cuts(struct wn_panels_page *pg,
			   const struct wn_panels_box *gt,
			   size_t ngt, wn_panels_example_fn fn, void *ud);
/*
 * Run the model's cuts and report every final region with target 1 if most of
 * it lies in a ground-truth unit.
 */
int wn_panels_collect_leaves(struct wn_panels_page *pg,
			     const struct wn_panels_box *gt,
			     size_t ngt, wn_panels_example_fn fn, void *ud);

/* Model text (see split/models/panels.model) and its embedded copy. */
int wn_panel_model_parse(const char *text, size_t len,
			 struct wn_panel_model **ret)
	__attribute__((warn_unused_result));
extern const char wn_panels_model_text[];
extern const size_t wn_panels_model_len;

/* The baseline of the evaluation: gutter cuts only, no trained scores. */
int wn_panel_model_baseline(struct wn_panel_model **ret)
	__attribute__((warn_unused_result));

/* Accessors for training: the weight vectors of a loaded model. */
float *wn_panel_model_cut_weights(struct wn_panel_model *m);
float *wn_panel_model_leaf_weights(struct wn_panel_model *m);
void wn_panel_model_set_cut_threshold(struct wn_panel_model *m, float t);
struct wn_trees;
/* The three models that boosted trees can add to. */
enum wn_panels_part {
	WN_PANELS_CUTS,		/* separators */
	WN_PANELS_REGIONS,	/* fragment or panel */
	WN_PANELS_FIGURE,	/* compound or single; dropped with it */
};
/* Replace the trees added to a model's margin (NULL: none); takes them
   over and clears *t. */
void wn_panel_model_set_trees(struct wn_panel_model *m,
			      enum wn_panels_part part, struct wn_trees *t);
/* Set (or, with w NULL, drop) the compound-or-single model. */
void wn_panel_model_set_figure(struct wn_panel_model *m, const float *w,
			       float t);
/*
 * wn_panels_detect(), but with ret_feat given the compound-or-single decision
 * is
 * not taken: the features of a result of two panels or more go to ret_feat
 * (WN_PANELS_FIG_NF floats; untouched for a single panel).
 */
int wn_panels_detect_ex(const struct wn_panel_model *m,
			const struct wn_image *rgb,
			struct wn_panel_set *ret, float *ret_feat)
	__attribute__((warn_unused_result));
struct wn_labels_model *wn_panel_model_glyphs(struct wn_panel_model *m);
/* Replace the glyph classifier; takes the weights over and clears *g. */
void wn_panel_model_set_glyphs(struct wn_panel_model *m,
			       struct wn_labels_model *g);
/* Write m as model text to f; 0 or -EIO. */
int wn_panel_model_write(const struct wn_panel_model *m, FILE *f);

#endif
