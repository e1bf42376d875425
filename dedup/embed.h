/*
 * embed.h: dense vectors for near-duplicate search: .npy import (float32/float16,
 * header parsed with limits), L2 normalisation, blocked cblas_sgemm cosine
 * self-joins, spherical k-means partitioning (SemDeDup) and threshold calibration.
 */
#ifndef DEDUP_EMBED_H
#define DEDUP_EMBED_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_NPY_MAX_HEADER	65536
#define DEDUP_EMBED_MAX_DIM	65536

/* A row-major n x dim float32 matrix. */
struct dedup_mat {
	float *v;		/* owned */
	size_t n;
	int dim;
};

void dedup_mat_release(struct dedup_mat *m);

/*
 * Parse a NumPy .npy file (format 1.0, 2.0 or 3.0) holding a C-order 2-D array of
 * '<f4' or '<f2' (or 1-D: one vector).  Rejects anything else with -WN_EFORMAT or
 * -WN_EUNSUPPORTED; max_rows caps the allocation (-WN_ETOOBIG).
 */
int dedup_npy_parse(const uint8_t *buf, size_t len, size_t max_rows,
		    struct dedup_mat *ret)
	__attribute__((warn_unused_result));

/* IEEE half to float. */
float dedup_half_to_float(uint16_t h);

/* Scale each row to unit L2 norm; rows of norm 0 (or not finite) stay zero.
   Returns the number of such zero rows. */
size_t dedup_l2_normalise(float *v, size_t n, int dim);

/*
 * Every pair (i in A, j in B) with dot(A_i, B_j) >= tau, through cblas_sgemm on
 * blocks of rows (memory O(block^2) whatever n is).  With same != 0, A and B are
 * the same matrix and only i < j is reported.  cb returns < 0 to stop.
 */
typedef int (*dedup_pair_cb)(void *ctx, size_t i, size_t j, float cos);
int dedup_cos_join(const float *a, size_t na, const float *b, size_t nb, int dim,
		   int same, float tau, dedup_pair_cb cb, void *ctx)
	__attribute__((warn_unused_result));

/*
 * Spherical k-means (cosine) on unit rows: k centroids, iters rounds, seeded.
 * ret_assign[n] gets each row's nearest centroid, ret_second[n] (optional) the
 * second nearest.  Assignments use sgemm in blocks.
 */
int dedup_kmeans(const float *x, size_t n, int dim, int k, int iters, uint64_t seed,
		 float *ret_centroids, int *ret_assign, int *ret_second)
	__attribute__((warn_unused_result));

/*
 * Self-join of unit rows at cosine >= tau: exact blocked sgemm when n <= exact_max,
 * else k-means partitions (k ~ n / 1000), each row joined with its own cluster and
 * the second-nearest one (nprobe 2), SemDeDup style.  Each pair reported once.
 */
int dedup_cos_selfjoin(const float *x, size_t n, int dim, float tau, size_t exact_max,
		       uint64_t seed, dedup_pair_cb cb, void *ctx)
	__attribute__((warn_unused_result));

/*
 * Labelled scores (higher = more similar, label 1 = duplicate): the lowest
 * threshold t such that precision of (score >= t) >= target, with its recall.
 * Returns 1 when one exists, 0 when no threshold reaches the target.
 */
int dedup_calibrate(const double *score, const int *label, size_t n, double target,
		    double *ret_threshold, double *ret_precision, double *ret_recall)
	__attribute__((warn_unused_result));

#endif
