/*
 * trees.c: evaluation of a sum of complete regression trees (see trees.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trees.h"

int
wn_trees_alloc(struct wn_trees *t, int n, int depth)
{
	size_t inner, leaves;

	memset(t, 0, sizeof(*t));
	if (n < 0 || n > WN_TREES_MAX || depth < 1 ||
	    depth > WN_TREES_MAX_DEPTH)
		return -EINVAL;
	inner = ((size_t)1 << depth) - 1;
	leaves = (size_t)1 << depth;
	t->feat = calloc((size_t)n * inner + 1, 1);
	t->thr = calloc((size_t)n * inner + 1, sizeof(float));
	t->leaf = calloc((size_t)n * leaves + 1, sizeof(float));
	if (t->feat == NULL || t->thr == NULL || t->leaf == NULL) {
		wn_trees_release(t);
		return -ENOMEM;
	}
	t->n = n;
	t->depth = depth;
	return 0;
}

void
wn_trees_release(struct wn_trees *t)
{
	free(t->feat);
	free(t->thr);
	free(t->leaf);
	memset(t, 0, sizeof(*t));
}

float
wn_trees_eval(const struct wn_trees *t, const float *x, int nf)
{
	size_t inner = ((size_t)1 << t->depth) - 1, leaves = inner + 1;
	float s = 0;
	int i, d;

	for (i = 0; i < t->n; i++) {
		const uint8_t *feat = t->feat + i * inner;
		const float *thr = t->thr + i * inner;
		size_t k = 0;

		for (d = 0; d < t->depth; d++) {
			int j = feat[k];

			k = 2 * k + 1 + (j < nf && x[j] >= thr[k]);
		}
		s += t->leaf[i * leaves + (k - inner)];
	}
	return s;
}
