/*
 * boost.h: fitting a sum of small regression trees (lib/trees.h) by gradient
 * boosting on the weighted log loss, on top of a logistic model's margin.
 */
#ifndef WN_BOOST_H
#define WN_BOOST_H

#include <stddef.h>

struct wn_trees;

/* Examples: borrowed row-major features, targets (0 or 1) and weights. */
struct boost_data {
	const double *x;	/* n x nf */
	const double *y;	/* n */
	const double *w;	/* n */
	size_t n;
	int nf;			/* 1..256 */
};

/*
 * Fit ntree trees of the given depth, each a Newton step of size rate from
 * the margin the model has so far (the logistic weights lin, nf of them, to
 * begin with); *t is allocated.  Splits are chosen among at most 63 values
 * per feature, at evenly spaced ranks.  Deterministic.  Errors: -EINVAL,
 * -ENOMEM.
 */
int boost_fit(const struct boost_data *d, const float *lin, int ntree,
	      int depth, double rate, struct wn_trees *t)
	__attribute__((warn_unused_result));

#endif
