/*
 * trees.h: a sum of small regression trees (gradient boosting), the second
 * half of a score whose first half is a logistic model's linear term.
 *
 * Every tree is complete, of one depth: its 2^depth - 1 tests are stored in
 * heap order (node i has children 2i + 1 and 2i + 2), each sending a feature
 * vector right when x[feat] >= thr; its 2^depth leaves hold the values added
 * to the margin.  A test that splits nothing asks for a value no feature
 * reaches, so everything goes left.
 */
#ifndef WN_TREES_H
#define WN_TREES_H

#include <stdint.h>

#define WN_TREES_MAX		4096	/* trees in one sum */
#define WN_TREES_MAX_DEPTH	6

struct wn_trees {
	int n;			/* trees; 0 = none */
	int depth;
	uint8_t *feat;		/* owned: n x (2^depth - 1) */
	float *thr;		/* owned: n x (2^depth - 1) */
	float *leaf;		/* owned: n x 2^depth */
};

/* Room for n trees of depth (zeroed); -EINVAL or -ENOMEM. */
int wn_trees_alloc(struct wn_trees *t, int n, int depth)
	__attribute__((warn_unused_result));
void wn_trees_release(struct wn_trees *t);

/* The sum of the trees' leaves that x reaches; nf guards x[feat]. */
float wn_trees_eval(const struct wn_trees *t, const float *x, int nf);

#endif
