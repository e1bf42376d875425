/*
 * imghash.c: imagehash-compatible pHash, dHash and aHash.
 *
 * The compat path reproduces what imagehash 4.3 computes on Pillow 9.4:
 * image.convert('L').resize(size, LANCZOS), then
 *   ahash: 8x8, bit = pixel > mean
 *   dhash: 9 wide x 8 high, bit = px[r][c + 1] > px[r][c]
 *   phash: 32x32, scipy.fftpack.dct (type II, unnormalised) along axis 0 then
 *          axis 1, the top-left 8x8 including DC, bit = coef > median (the
 *          mean of the two middle values)
 * Pillow's resampler (libImaging/Resample.c) is re-implemented from its
 * documented arithmetic: for each output index a window of support
 * 3 * max(scale, 1) around center = (i + 0.5) * scale, weights
 * lanczos((x + xmin - center + 0.5) / filterscale) normalised to sum 1, then
 * rounded to 22-bit fixed point; each pass rounds to 8 bits with clipping.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/imghash.h"
#include "lib/util.h"

/* Bit-exactness needs every product rounded before it is added: no fused
   multiply-adds (GCC in C11 mode does not contract; clang needs telling). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define LANCZOS_SUPPORT	3.0
#define PRECISION_BITS	(32 - 8 - 2)
#define IMGHASH_MAX_SIDE	65535

int
imghash_grey_from_pixels(const uint8_t *px, int width, int height,
			 int channels, size_t stride, struct imghash_grey *ret)
{
	uint8_t *out;
	int x, y;

	if (px == NULL || width <= 0 || height <= 0 ||
	    width > IMGHASH_MAX_SIDE || height > IMGHASH_MAX_SIDE ||
	    (channels != 1 && channels != 3) ||
	    stride < (size_t)width * channels)
		return -EINVAL;
	out = malloc((size_t)width * height);
	if (out == NULL)
		return -ENOMEM;
	for (y = 0; y < height; y++) {
		const uint8_t *p = px + (size_t)y * stride;
		uint8_t *o = out + (size_t)y * width;

		if (channels == 1) {
			memcpy(o, p, (size_t)width);
			continue;
		}
		for (x = 0; x < width; x++, p += 3)
			o[x] = (uint8_t)((p[0] * 19595u + p[1] * 38470u +
					  p[2] * 7471u + 0x8000u) >> 16);
	}
	ret->width = width;
	ret->height = height;
	ret->px = out;
	return 0;
}

void
imghash_grey_release(struct imghash_grey *g)
{
	if (g == NULL)
		return;
	free(g->px);
	g->px = NULL;
	g->width = g->height = 0;
}

static double
sinc(double x)
{
	if (x == 0.0)
		return 1.0;
	x = x * M_PI;
	return sin(x) / x;
}

static double
lanczos(double x)
{
	if (-3.0 <= x && x < 3.0)
		return sinc(x) * sinc(x / 3);
	return 0.0;
}

/*
 * Fixed-point coefficients for one axis, as Pillow's precompute_coeffs() and
 * normalize_coeffs_8bpc(): ret_bounds gets (xmin, count) per output index and
 * ret_k count weights at [i * ksize].
 */
static int
lanczos_coeffs(int in_size, int out_size, int *ret_ksize, int **ret_bounds,
	       int32_t **ret_k)
{
	double scale = (double)in_size / out_size;
	double filterscale = scale < 1.0 ? 1.0 : scale;
	double support = LANCZOS_SUPPORT * filterscale;
	double *w = NULL;
	int32_t *k = NULL;
	int *bounds = NULL;
	int ksize = (int)ceil(support) * 2 + 1;
	int xx, x, rc;

	if ((size_t)out_size > SIZE_MAX / sizeof(double) / (size_t)ksize) {
		rc = -ENOMEM;
		goto out;
	}
	w = malloc(sizeof(double) * ksize);
	k = calloc((size_t)out_size * ksize, sizeof(int32_t));
	bounds = malloc(sizeof(int) * 2 * out_size);
	if (w == NULL || k == NULL || bounds == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (xx = 0; xx < out_size; xx++) {
		double center = (xx + 0.5) * scale;
		double ww = 0.0, ss = 1.0 / filterscale;
		int xmin = (int)(center - support + 0.5);
		int xmax = (int)(center + support + 0.5);

		if (xmin < 0)
			xmin = 0;
		if (xmax > in_size)
			xmax = in_size;
		xmax -= xmin;
		if (xmax > ksize)	/* cannot happen; keeps the bound explicit */
			xmax = ksize;
		for (x = 0; x < xmax; x++) {
			w[x] = lanczos((x + xmin - center + 0.5) * ss);
			ww += w[x];
		}
		for (x = 0; x < xmax; x++) {
			double v = ww != 0.0 ? w[x] / ww : w[x];

			k[(size_t)xx * ksize + x] = v < 0 ?
				(int32_t)(-0.5 + v * (1 << PRECISION_BITS)) :
				(int32_t)(0.5 + v * (1 << PRECISION_BITS));
		}
		bounds[2 * xx] = xmin;
		bounds[2 * xx + 1] = xmax;
	}
	*ret_ksize = ksize;
	*ret_bounds = bounds;
	*ret_k = k;
	bounds = NULL;
	k = NULL;
	rc = 0;
out:
	free(w);
	free(k);
	free(bounds);
	return rc;
}

static uint8_t
clip8(int32_t in)
{
	if (in >= (1 << PRECISION_BITS << 8))
		return 255;
	if (in <= 0)
		return 0;
	return (uint8_t)(in >> PRECISION_BITS);
}

int
imghash_resize_lanczos(const uint8_t *in, int w, int h, uint8_t *out,
		       int out_w, int out_h)
{
	int *bh = NULL, *bv = NULL;
	int32_t *kh = NULL, *kv = NULL;
	uint8_t *tmp = NULL;
	const uint8_t *src = in;
	int ksh = 0, ksv = 0, y_first = 0, y_last = h, rows, x, y, i, rc;

	if (in == NULL || out == NULL || w <= 0 || h <= 0 || out_w <= 0 ||
	    out_h <= 0 || w > IMGHASH_MAX_SIDE || h > IMGHASH_MAX_SIDE ||
	    out_w > IMGHASH_MAX_SIDE || out_h > IMGHASH_MAX_SIDE)
		return -EINVAL;
	if (w == out_w && h == out_h) {		/* Pillow returns a copy */
		memcpy(out, in, (size_t)w * h);
		return 0;
	}
	rc = lanczos_coeffs(w, out_w, &ksh, &bh, &kh);
	if (rc < 0)
		goto out;
	rc = lanczos_coeffs(h, out_h, &ksv, &bv, &kv);
	if (rc < 0)
		goto out;
	if (w != out_w) {
		/* only the rows the vertical pass reads */
		y_first = bv[0];
		y_last = bv[2 * (out_h - 1)] + bv[2 * (out_h - 1) + 1];
		rows = y_last - y_first;
		tmp = malloc((size_t)out_w * rows);
		if (tmp == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (y = 0; y < rows; y++) {
			const uint8_t *row = in + (size_t)(y + y_first) * w;

			for (x = 0; x < out_w; x++) {
				const int32_t *k = kh + (size_t)x * ksh;
				int xmin = bh[2 * x], n = bh[2 * x + 1];
				int32_t ss = 1 << (PRECISION_BITS - 1);

				for (i = 0; i < n; i++)
					ss += row[xmin + i] * k[i];
				tmp[(size_t)y * out_w + x] = clip8(ss);
			}
		}
		for (y = 0; y < out_h; y++)
			bv[2 * y] -= y_first;
		src = tmp;
	}
	if (h != out_h) {
		for (y = 0; y < out_h; y++) {
			const int32_t *k = kv + (size_t)y * ksv;
			int ymin = bv[2 * y], n = bv[2 * y + 1];

			for (x = 0; x < out_w; x++) {
				int32_t ss = 1 << (PRECISION_BITS - 1);

				for (i = 0; i < n; i++)
					ss += src[(size_t)(ymin + i) * out_w + x] * k[i];
				out[(size_t)y * out_w + x] = clip8(ss);
			}
		}
	} else {
		memcpy(out, src, (size_t)out_w * out_h);
	}
	rc = 0;
out:
	free(bh);
	free(bv);
	free(kh);
	free(kv);
	free(tmp);
	return rc;
}

/*
 * Weights of an exact area resize along one axis, in integer units: input
 * pixel j covers [j * out, (j + 1) * out), output i covers [i * in,
 * (i + 1) * in); the weight is the overlap divided by in.  For each output
 * index: first input index, count, and the weights at [i * ksize].
 */
static int
area_coeffs(int in, int out, int *ret_ksize, int **ret_bounds, double **ret_w)
{
	int ksize = (in + out - 1) / out + 1;
	int *bounds = malloc(sizeof(int) * 2 * (size_t)out);
	double *w = calloc((size_t)out * ksize, sizeof(double));
	int i, j;

	if (bounds == NULL || w == NULL) {
		free(bounds);
		free(w);
		return -ENOMEM;
	}
	for (i = 0; i < out; i++) {
		int64_t lo = (int64_t)i * in, hi = (int64_t)(i + 1) * in;
		int first = (int)(lo / out);
		int last = (int)((hi + out - 1) / out);

		if (last > in)
			last = in;
		if (last - first > ksize)	/* cannot happen */
			last = first + ksize;
		for (j = first; j < last; j++) {
			int64_t a = (int64_t)j * out, b = (int64_t)(j + 1) * out;
			int64_t st = lo > a ? lo : a, e = hi < b ? hi : b;

			w[(size_t)i * ksize + (j - first)] = e > st ? (double)(e - st) / in : 0.0;
		}
		bounds[2 * i] = first;
		bounds[2 * i + 1] = last - first;
	}
	*ret_ksize = ksize;
	*ret_bounds = bounds;
	*ret_w = w;
	return 0;
}

int
imghash_resize_area(const uint8_t *in, int w, int h, double *out,
		    int out_w, int out_h)
{
	double *tmp = NULL, *wx = NULL, *wy = NULL;
	int *bx = NULL, *by = NULL;
	int kx = 0, ky = 0, x, y, j, rc;

	if (in == NULL || out == NULL || w <= 0 || h <= 0 || out_w <= 0 ||
	    out_h <= 0 || w > IMGHASH_MAX_SIDE || h > IMGHASH_MAX_SIDE ||
	    out_w > IMGHASH_MAX_SIDE || out_h > IMGHASH_MAX_SIDE)
		return -EINVAL;
	if ((rc = area_coeffs(w, out_w, &kx, &bx, &wx)) < 0 ||
	    (rc = area_coeffs(h, out_h, &ky, &by, &wy)) < 0)
		goto out;
	tmp = malloc(sizeof(double) * (size_t)out_w * h);
	if (tmp == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (y = 0; y < h; y++) {
		const uint8_t *row = in + (size_t)y * w;

		for (x = 0; x < out_w; x++) {
			const double *k = wx + (size_t)x * kx;
			const uint8_t *p = row + bx[2 * x];
			double s = 0.0;

			for (j = 0; j < bx[2 * x + 1]; j++)
				s += p[j] * k[j];
			tmp[(size_t)y * out_w + x] = s;
		}
	}
	for (y = 0; y < out_h; y++) {
		const double *k = wy + (size_t)y * ky;

		for (x = 0; x < out_w; x++) {
			double s = 0.0;

			for (j = 0; j < by[2 * y + 1]; j++)
				s += tmp[(size_t)(by[2 * y] + j) * out_w + x] * k[j];
			out[(size_t)y * out_w + x] = s;
		}
	}
	rc = 0;
out:
	free(tmp);
	free(wx);
	free(wy);
	free(bx);
	free(by);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

uint64_t
imghash_phash_grid(const double px[32 * 32])
{
	static const double pi = M_PI;
	double c[8][32], t[8][32], d[64], s[64], med;
	uint64_t bits = 0;
	int k, n, m, i;

	/* scipy.fftpack.dct type II, norm=None: X[k] = 2 sum x[n] cos(pi k (2n + 1) / 2N) */
	for (k = 0; k < 8; k++)
		for (n = 0; n < 32; n++)
			c[k][n] = cos(pi * k * (2 * n + 1) / 64.0);
	for (k = 0; k < 8; k++) {		/* axis 0: down each column */
		for (m = 0; m < 32; m++) {
			double acc = 0.0;

			for (n = 0; n < 32; n++)
				acc += px[n * 32 + m] * c[k][n];
			t[k][m] = 2.0 * acc;
		}
	}
	for (k = 0; k < 8; k++) {		/* axis 1: along each row */
		for (i = 0; i < 8; i++) {
			double acc = 0.0;

			for (m = 0; m < 32; m++)
				acc += t[k][m] * c[i][m];
			d[k * 8 + i] = 2.0 * acc;
		}
	}
	memcpy(s, d, sizeof(s));
	qsort(s, 64, sizeof(s[0]), cmp_double);
	med = (s[31] + s[32]) / 2.0;
	for (i = 0; i < 64; i++)
		bits = (bits << 1) | (d[i] > med);
	return bits;
}

uint64_t
imghash_dhash_grid(const double px[8 * 9])
{
	uint64_t bits = 0;
	int r, c;

	for (r = 0; r < 8; r++)
		for (c = 0; c < 8; c++)
			bits = (bits << 1) | (px[r * 9 + c + 1] > px[r * 9 + c]);
	return bits;
}

uint64_t
imghash_ahash_grid(const double px[8 * 8])
{
	double sum = 0.0, mean;
	uint64_t bits = 0;
	int i;

	for (i = 0; i < 64; i++)
		sum += px[i];
	mean = sum / 64.0;
	for (i = 0; i < 64; i++)
		bits = (bits << 1) | (px[i] > mean);
	return bits;
}

static int
resize_grid(const struct imghash_grey *g, enum imghash_mode mode, int w,
	    int h, double *out)
{
	uint8_t buf[32 * 32];
	int rc, i;

	if (mode == IMGHASH_FAST) {
		/*
		 * Rounded to 8 bits as Pillow's output is, so that flat areas
		 * tie (bit 0) the way they do in imagehash.
		 */
		rc = imghash_resize_area(g->px, g->width, g->height, out, w, h);
		for (i = 0; rc == 0 && i < w * h; i++)
			out[i] = floor(out[i] + 0.5);
		return rc;
	}
	rc = imghash_resize_lanczos(g->px, g->width, g->height, buf, w, h);
	if (rc < 0)
		return rc;
	for (i = 0; i < w * h; i++)
		out[i] = buf[i];
	return 0;
}

int
imghash_compute(const struct imghash_grey *g, enum imghash_mode mode,
		struct imghash *ret)
{
	double p[32 * 32], dg[8 * 9], a[8 * 8];
	int rc;

	if (g == NULL || g->px == NULL || g->width <= 0 || g->height <= 0)
		return -EINVAL;
	rc = resize_grid(g, mode, 32, 32, p);
	if (rc < 0)
		return rc;
	rc = resize_grid(g, mode, 9, 8, dg);
	if (rc < 0)
		return rc;
	rc = resize_grid(g, mode, 8, 8, a);
	if (rc < 0)
		return rc;
	ret->phash = imghash_phash_grid(p);
	ret->dhash = imghash_dhash_grid(dg);
	ret->ahash = imghash_ahash_grid(a);
	return 0;
}

void
imghash_to_hex(uint64_t v, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++)
		out[i] = digits[(v >> (60 - 4 * i)) & 15];
	out[16] = '\0';
}

int
imghash_from_hex(const char *hex, uint64_t *ret)
{
	uint8_t b[8];
	uint64_t v = 0;
	int i;

	if (wn_unhex(hex, b, sizeof(b)) < 0)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	*ret = v;
	return 0;
}
