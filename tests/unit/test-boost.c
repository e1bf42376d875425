/*
 * test-boost.c: gradient-boosted trees (split/boost.c, lib/trees.c).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lib/trees.h"
#include "lib/util.h"
#include "split/boost.h"

#define NF 4

/* Positive inside a band of feature 1 (which no logistic model separates:
   a gutter neither narrow nor wide, say), feature 2 a weaker cue, feature
   3 noise; column 0 is the constant 1. */
static void
make_band(double *x, double *y, double *w, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t r = wn_splitmix64(&seed);
		double v = (double)(r % 10000) / 10000;

		x[i * NF + 0] = 1;
		x[i * NF + 1] = v;
		x[i * NF + 2] = (double)((r >> 20) % 4);
		x[i * NF + 3] = (double)((r >> 32) % 1000) / 1000;
		y[i] = v >= 0.3 && v < 0.6;
		w[i] = 1 + (i % 3);
	}
}

static double
sigmoid(double z)
{
	return 1 / (1 + exp(-z));
}

static void
test_band(void)
{
	enum { N = 2000 };
	double *x = malloc(N * NF * sizeof(double)), *y = malloc(N * sizeof(double));
	double *w = malloc(N * sizeof(double));
	const float lin[NF] = { 0 };
	struct boost_data d = { x, y, w, N, NF };
	struct wn_trees t, t2;
	size_t i, right = 0;
	float xf[NF];
	int j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	CU_ASSERT_PTR_NOT_NULL_FATAL(y);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	make_band(x, y, w, N, 7);
	CU_ASSERT_EQUAL_FATAL(boost_fit(&d, lin, 40, 2, 0.3, &t), 0);
	CU_ASSERT_EQUAL(t.n, 40);
	CU_ASSERT_EQUAL(t.depth, 2);
	for (i = 0; i < N; i++) {
		double p;

		for (j = 0; j < NF; j++)
			xf[j] = (float)x[i * NF + j];
		p = sigmoid(wn_trees_eval(&t, xf, NF));
		right += (p > 0.9 && y[i] > 0.5) || (p < 0.1 && y[i] < 0.5);
	}
	/* all but those within a split step (1/64 of the ranks) of the band */
	CU_ASSERT_TRUE(right >= N * 95 / 100);
	/* the same data, the same trees */
	CU_ASSERT_EQUAL_FATAL(boost_fit(&d, lin, 40, 2, 0.3, &t2), 0);
	CU_ASSERT_EQUAL(memcmp(t.feat, t2.feat, 40 * 3), 0);
	CU_ASSERT_EQUAL(memcmp(t.thr, t2.thr, 40 * 3 * sizeof(float)), 0);
	CU_ASSERT_EQUAL(memcmp(t.leaf, t2.leaf, 40 * 4 * sizeof(float)), 0);
	wn_trees_release(&t2);
	/* one stump splits off one side of the band only */
	CU_ASSERT_EQUAL_FATAL(boost_fit(&d, lin, 1, 1, 1.0, &t2), 0);
	CU_ASSERT_EQUAL(t2.feat[0], 1);
	CU_ASSERT_TRUE((t2.thr[0] > 0.27 && t2.thr[0] < 0.33) ||
		       (t2.thr[0] > 0.57 && t2.thr[0] < 0.63));
	wn_trees_release(&t2);
	wn_trees_release(&t);
	free(x);
	free(y);
	free(w);
}

/* Trees boost from the logistic margin they are given, and a feature that
   never varies is never tested. */
static void
test_from_margin(void)
{
	double x[2 * 4] = { 1, 0, 1, 1, 1, 0, 1, 1 };
	double y[4] = { 0, 1, 0, 1 }, w[4] = { 100, 100, 100, 100 };
	const float lin[2] = { -1, 2 };
	struct boost_data d = { x, y, w, 4, 2 };
	struct wn_trees t;
	int i;

	CU_ASSERT_EQUAL_FATAL(boost_fit(&d, lin, 3, 1, 0.5, &t), 0);
	for (i = 0; i < 3; i++) {
		/* margins -1 and 1 already order the examples: the trees
		   push them apart */
		CU_ASSERT_EQUAL(t.feat[i], 1);
		CU_ASSERT_TRUE(t.leaf[2 * i] < 0);
		CU_ASSERT_TRUE(t.leaf[2 * i + 1] > 0);
	}
	wn_trees_release(&t);
	x[1] = x[3] = x[5] = x[7] = 0;
	CU_ASSERT_EQUAL_FATAL(boost_fit(&d, lin, 2, 2, 0.5, &t), 0);
	for (i = 0; i < 2 * 3; i++)
		CU_ASSERT_TRUE(t.thr[i] > 1e29f);
	wn_trees_release(&t);
}

static void
test_bad(void)
{
	struct boost_data d = { NULL, NULL, NULL, 0, 2 };
	const float lin[2] = { 0 };
	struct wn_trees t;

	CU_ASSERT_EQUAL(boost_fit(&d, lin, 3, 2, 0.1, &t), -EINVAL);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_EQUAL(wn_trees_alloc(&t, 1, 0), -EINVAL);
	CU_ASSERT_EQUAL(wn_trees_alloc(&t, 1, WN_TREES_MAX_DEPTH + 1), -EINVAL);
	CU_ASSERT_EQUAL(wn_trees_alloc(&t, WN_TREES_MAX + 1, 2), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(wn_trees_alloc(&t, 0, 2), 0);
	CU_ASSERT_EQUAL(wn_trees_eval(&t, lin, 2), 0);
	wn_trees_release(&t);
}

int
main(void)
{
	CU_pSuite s;
	int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("boost", NULL, NULL);
	if (s == NULL || !CU_add_test(s, "a band of one feature", test_band) ||
	    !CU_add_test(s, "from a logistic margin", test_from_margin) ||
	    !CU_add_test(s, "bad arguments", test_bad)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
