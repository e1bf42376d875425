/*
 * labels.c: glyph features and the small perceptron that reads panel letters.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/labels.h"

int
wn_labels_model_alloc(struct wn_labels_model *m, int nin, int nhid, int nout)
{
	if (nin <= 0 || nin > 4096 || nhid <= 0 || nhid > WN_LABELS_MAX_HIDDEN ||
	    nout <= 1 || nout > WN_LABELS_MAX_CLASSES)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->nin = nin;
	m->nhid = nhid;
	m->nout = nout;
	m->w1 = calloc((size_t)nin * nhid, sizeof(float));
	m->b1 = calloc((size_t)nhid, sizeof(float));
	m->w2 = calloc((size_t)nhid * nout, sizeof(float));
	m->b2 = calloc((size_t)nout, sizeof(float));
	if (m->w1 == NULL || m->b1 == NULL || m->w2 == NULL || m->b2 == NULL) {
		wn_labels_model_release(m);
		return -ENOMEM;
	}
	return 0;
}

void
wn_labels_model_release(struct wn_labels_model *m)
{
	if (m == NULL)
		return;
	free(m->w1);
	free(m->b1);
	free(m->w2);
	free(m->b2);
	m->w1 = m->b1 = m->w2 = m->b2 = NULL;
}

void
wn_labels_glyph_features(const uint8_t *mask, int stride, int x, int y, int w,
			 int h, float *ret)
{
	const int S = WN_LABELS_SIDE;
	double scale, ox, oy, ink = 0;
	int i, j;

	memset(ret, 0, sizeof(float) * WN_LABELS_NIN);
	if (w <= 0 || h <= 0)
		return;
	/* The longer side fills the grid; the glyph is centred. */
	scale = (double)S / (w > h ? w : h);
	ox = (S - w * scale) / 2;
	oy = (S - h * scale) / 2;
	for (i = 0; i < h; i++) {
		const uint8_t *row = mask + (size_t)(y + i) * stride + x;
		double y0 = oy + i * scale, y1 = y0 + scale;

		for (j = 0; j < w; j++) {
			double x0, x1;
			int gy, gx;

			if (!row[j])
				continue;
			ink++;
			x0 = ox + j * scale;
			x1 = x0 + scale;
			/* Spread the pixel's area over the cells it covers. */
			for (gy = (int)y0; gy < S && gy < y1; gy++) {
				double cy = fmin(y1, gy + 1) - fmax(y0, gy);

				if (cy <= 0)
					continue;
				for (gx = (int)x0; gx < S && gx < x1; gx++) {
					double cx = fmin(x1, gx + 1) - fmax(x0, gx);

					if (cx > 0)
						ret[gy * S + gx] += (float)(cx * cy);
				}
			}
		}
	}
	for (i = 0; i < S * S; i++)
		if (ret[i] > 1)
			ret[i] = 1;
	ret[S * S] = (float)log((double)w / h);
	ret[S * S + 1] = (float)(ink / ((double)w * h));
	ret[S * S + 2] = 1;
}

void
wn_labels_forward(const struct wn_labels_model *m, const float *in, float *hid,
		  float *ret_prob)
{
	double mx = -1e30, sum = 0;
	int i, j;

	for (i = 0; i < m->nhid; i++) {
		const float *w = m->w1 + (size_t)i * m->nin;
		float s = m->b1[i];

		for (j = 0; j < m->nin; j++)
			s += w[j] * in[j];
		hid[i] = s > 0 ? s : 0;
	}
	for (i = 0; i < m->nout; i++) {
		const float *w = m->w2 + (size_t)i * m->nhid;
		float s = m->b2[i];

		for (j = 0; j < m->nhid; j++)
			s += w[j] * hid[j];
		ret_prob[i] = s;
		if (s > mx)
			mx = s;
	}
	for (i = 0; i < m->nout; i++) {
		ret_prob[i] = (float)exp(ret_prob[i] - mx);
		sum += ret_prob[i];
	}
	for (i = 0; i < m->nout; i++)
		ret_prob[i] = (float)(ret_prob[i] / sum);
}

int
wn_labels_classify(const struct wn_labels_model *m, const float *in,
		   float *ret_p)
{
	float hid[WN_LABELS_MAX_HIDDEN], prob[WN_LABELS_MAX_CLASSES];
	int i, best = 0;

	wn_labels_forward(m, in, hid, prob);
	for (i = 1; i < m->nout; i++)
		if (prob[i] > prob[best])
			best = i;
	*ret_p = prob[best];
	return best;
}
