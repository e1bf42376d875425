/*
 * train.h: winnow-train's shared pieces: options, the annotated dev figures,
 * logistic regression, and the subcommands.
 */
#ifndef WN_TRAIN_H
#define WN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/panels.h"

struct train_opts {
	const char *dev;	/* borrowed: folder with annotations/ and compound/ */
	const char *data;	/* borrowed: folder of licensed single images */
	const char *model_in;	/* borrowed: NULL = the shipped model */
	const char *model_out;	/* borrowed: model file to write */
	const char *c_out;	/* borrowed: generated C file, or NULL */
	const char *glyphs;	/* borrowed: glyph sample file, or NULL */
	uint64_t seed;
	int synth;		/* number of synthetic figures */
	int epochs;
	int rounds;		/* panel refinement rounds of "all" */
	int trees;		/* boosted trees on each of the three models */
	int fold;		/* the held-back third of the dev figures, 1-3 */
	double real_weight;	/* of a real figure's example; synthetic: 1 */
	int scratch;		/* -o given: "all" keeps out of the sources */
	int json;
};

/* One annotated figure of panels-dev.jsonl. */
struct train_fig {
	char *file;		/* owned: path relative to the dev folder */
	char *source;		/* owned: file name up to the first '_' */
	int width, height;
	struct wn_panels_box *units;	/* owned */
	size_t nunits;
	int heldout;		/* 1: held back by the fold */
	int whole;		/* a single image: one unit, the whole image */
	int want;		/* panels its dev caption names; 0: none */
};

struct train_set {
	struct train_fig *v;	/* owned */
	size_t n;
};

/* The dev figures and single images, with the third that fold holds back
   marked: about 30% of them, by name hash.  Fold 1 is the fixed evaluation
   part; folds 2 and 3 are the other parts a cross-check holds back in
   turn. */
int train_load_figs(const char *dev, int fold, struct train_set *ret);
void train_set_release(struct train_set *s);

/* Growable example matrix for logistic regression. */
struct train_xy {
	double *x;		/* owned: n x nf */
	double *y;		/* owned */
	double *w;		/* owned: example weights */
	size_t n, cap;
	int nf;
	double weight;		/* weight of examples added now */
};

void train_xy_init(struct train_xy *d, int nf);
void train_xy_release(struct train_xy *d);
int train_xy_add(void *ud, const float *feat, int target);
/* Newton's method with an L2 penalty; ret gets nf weights. */
int train_logistic(const struct train_xy *d, double l2, float *ret);

int train_panels_main(const struct train_opts *o);
int train_labels_main(const struct train_opts *o);
/* Train the glyph classifier and put it into m; an exit status. */
int train_labels_fit(const struct train_opts *o, struct wn_panel_model *m);
/* Everything from the fixed initial model: glyphs, then o->rounds panel
   rounds, each from the one before; writes the round best on the training
   figures.  An exit status. */
int train_all_main(const struct train_opts *o);
/* The fixed model "all" starts from. */
int train_initial_model(struct wn_panel_model **ret)
	__attribute__((warn_unused_result));
int train_eval_main(const struct train_opts *o);
int train_detect_main(const struct train_opts *o, int argc, char **argv);
int train_synth_main(const struct train_opts *o, int argc, char **argv);

/* Write the model file and, if c_out, the C file that embeds it. */
int train_write_model(const struct wn_panel_model *m, const char *path,
		      const char *c_out);

#endif
