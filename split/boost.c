/*
 * boost.c: gradient boosting of small regression trees on top of a logistic
 * model's margin (Newton steps on the weighted log loss, histogram splits).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trees.h"
#include "split/boost.h"

#define BOOST_BINS	64	/* bins per feature: 63 split points at most */
#define BOOST_LAMBDA	1.0	/* L2 penalty on a leaf's value */
#define BOOST_MIN_HESS	5.0	/* weighted curvature a child needs */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Split points of feature j: values at evenly spaced ranks, distinct and
   above the smallest (so that both sides can be non-empty). */
static int
feature_edges(const struct boost_data *d, int j, double *tmp, float *edges)
{
	size_t i, n = d->n;
	int k, ne = 0;

	for (i = 0; i < n; i++)
		tmp[i] = (float)d->x[i * d->nf + j];
	qsort(tmp, n, sizeof(double), cmp_double);
	for (k = 1; k < BOOST_BINS; k++) {
		double v = tmp[(size_t)((double)k * n / BOOST_BINS)];

		if (v > tmp[0] && (ne == 0 || v > edges[ne - 1]))
			edges[ne++] = (float)v;
	}
	return ne;
}

/* Number of edges <= v. */
static uint8_t
bin_of(const float *edges, int ne, float v)
{
	int lo = 0, hi = ne;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (edges[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint8_t)lo;
}

int
boost_fit(const struct boost_data *d, const float *lin, int ntree, int depth,
	  double rate, struct wn_trees *t)
{
	size_t n = d->n, i, inner = ((size_t)1 << depth) - 1;
	int nf = d->nf, j, tr, lev, rc;
	int width = 1 << (depth - 1);	/* nodes on the deepest test level */
	size_t hsz = (size_t)width * nf * BOOST_BINS;
	double *F = malloc(n * sizeof(double)), *g = malloc(n * sizeof(double));
	double *h = malloc(n * sizeof(double));
	double *tmp = malloc(n * sizeof(double));
	double *G = malloc(hsz * sizeof(double)), *H = malloc(hsz * sizeof(double));
	float *edges = malloc((size_t)nf * BOOST_BINS * sizeof(float));
	int *ne = calloc(nf, sizeof(int));
	uint8_t *bin = malloc(n * nf);
	uint32_t *node = malloc(n * sizeof(uint32_t));

	if ((rc = wn_trees_alloc(t, ntree, depth)) < 0)
		goto out;
	rc = -EINVAL;
	if (n == 0 || nf < 1 || nf > 256)
		goto out;
	rc = -ENOMEM;
	if (F == NULL || g == NULL || h == NULL || tmp == NULL || G == NULL ||
	    H == NULL || edges == NULL || ne == NULL || bin == NULL ||
	    node == NULL)
		goto out;
	for (j = 0; j < nf; j++) {
		ne[j] = feature_edges(d, j, tmp, edges + j * BOOST_BINS);
		for (i = 0; i < n; i++)
			bin[i * nf + j] = bin_of(edges + j * BOOST_BINS, ne[j],
						 (float)d->x[i * nf + j]);
	}
	for (i = 0; i < n; i++) {
		double z = 0;

		for (j = 0; j < nf; j++)
			z += lin[j] * (float)d->x[i * nf + j];
		F[i] = z;
	}
	for (tr = 0; tr < ntree; tr++) {
		uint8_t *feat = t->feat + tr * inner;
		float *thr = t->thr + tr * inner, *leaf = t->leaf + tr * (inner + 1);

		for (i = 0; i < n; i++) {
			double p = 1 / (1 + exp(-F[i]));

			g[i] = d->w[i] * (p - d->y[i]);
			h[i] = d->w[i] * p * (1 - p);
			node[i] = 0;
		}
		for (lev = 0; lev < depth; lev++) {
			size_t first = ((size_t)1 << lev) - 1;
			int nn = 1 << lev, k, b;

			memset(G, 0, hsz * sizeof(double));
			memset(H, 0, hsz * sizeof(double));
			for (i = 0; i < n; i++) {
				size_t o = (node[i] - first) * nf * BOOST_BINS;

				for (j = 0; j < nf; j++) {
					G[o + j * BOOST_BINS + bin[i * nf + j]] += g[i];
					H[o + j * BOOST_BINS + bin[i * nf + j]] += h[i];
				}
			}
			for (k = 0; k < nn; k++) {
				double best = 1e-9, gs = 0, hs = 0;
				int bj = 0, bb = -1;

				for (b = 0; b < BOOST_BINS; b++) {
					gs += G[(size_t)k * nf * BOOST_BINS + b];
					hs += H[(size_t)k * nf * BOOST_BINS + b];
				}
				for (j = 0; j < nf; j++) {
					const double *gj = G + ((size_t)k * nf + j) * BOOST_BINS;
					const double *hj = H + ((size_t)k * nf + j) * BOOST_BINS;
					double gl = 0, hl = 0;

					/* left: bins 0..b, i.e. x < edges[b] */
					for (b = 0; b < ne[j]; b++) {
						double gr, hr, gain;

						gl += gj[b];
						hl += hj[b];
						gr = gs - gl;
						hr = hs - hl;
						if (hl < BOOST_MIN_HESS || hr < BOOST_MIN_HESS)
							continue;
						gain = gl * gl / (hl + BOOST_LAMBDA) +
						       gr * gr / (hr + BOOST_LAMBDA) -
						       gs * gs / (hs + BOOST_LAMBDA);
						if (gain > best) {
							best = gain;
							bj = j;
							bb = b;
						}
					}
				}
				feat[first + k] = (uint8_t)bj;
				/* no split: a bound no feature reaches */
				thr[first + k] = bb < 0 ? 1e30f :
						 edges[bj * BOOST_BINS + bb];
			}
			for (i = 0; i < n; i++) {
				size_t k2 = node[i];
				int fj = feat[k2];

				node[i] = (uint32_t)(2 * k2 + 1 +
					   ((float)d->x[i * nf + fj] >= thr[k2]));
			}
		}
		{
			double *gl = G, *hl = H;
			size_t nl = inner + 1, l;

			memset(gl, 0, nl * sizeof(double));
			memset(hl, 0, nl * sizeof(double));
			for (i = 0; i < n; i++) {
				gl[node[i] - inner] += g[i];
				hl[node[i] - inner] += h[i];
			}
			for (l = 0; l < nl; l++)
				leaf[l] = (float)(-rate * gl[l] /
						  (hl[l] + BOOST_LAMBDA));
			for (i = 0; i < n; i++)
				F[i] += leaf[node[i] - inner];
		}
	}
	rc = 0;
out:
	if (rc < 0)
		wn_trees_release(t);
	free(F);
	free(g);
	free(h);
	free(tmp);
	free(G);
	free(H);
	free(edges);
	free(ne);
	free(bin);
	free(node);
	return rc;
}
