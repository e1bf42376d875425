/*
 * dedup-region.c: trimmed multi-window thumbnail descriptors (see dedup-region.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup-region.h"
#include "dedup/pdq.h"
#include "lib/img.h"
#include "lib/log.h"
#include "lib/banned.h"

#define WORK_MAX_SIDE	512	/* descriptors are taken from at most this size */
#define TRIM_TOL	12	/* grey levels a border pixel may differ from the corner */
#define TRIM_MAX_FRAC	0.45	/* never trim more than this of a side per edge */

static const double scales[DEDUP_REGION_SCALES] = { 0.95, 0.90, 0.85, 0.80 };
static const int grid[DEDUP_REGION_SCALES] = { 3, 3, 5, 5 };

/* Is line k (a row when row != 0, else a column) of the box uniform around bg? */
static int
line_uniform(const unsigned char *px, int w, int row, int k, int from, int to, int bg)
{
	int bad = 0, n = to - from, allow = n / 100;

	for (int i = from; i < to; i++) {
		int v = row ? px[(size_t)k * w + i] : px[(size_t)i * w + k];

		if (v - bg > TRIM_TOL || bg - v > TRIM_TOL) {
			if (++bad > allow)
				return 0;
		}
	}
	return 1;
}

static int
median4(int a, int b, int c, int d)
{
	int v[4] = { a, b, c, d };

	for (int i = 1; i < 4; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return (v[1] + v[2]) / 2;
}

/* Shrink the box [x0,x1) x [y0,y1) past uniform borders of the corner colour. */
static void
trim(const unsigned char *px, int w, int h, int *bx0, int *by0, int *bx1, int *by1)
{
	int x0 = *bx0, y0 = *by0, x1 = *bx1, y1 = *by1;

	for (int pass = 0; pass < 2; pass++) {
		int bg = median4(px[(size_t)y0 * w + x0], px[(size_t)y0 * w + x1 - 1],
				 px[(size_t)(y1 - 1) * w + x0],
				 px[(size_t)(y1 - 1) * w + x1 - 1]);
		int maxx = (int)((x1 - x0) * TRIM_MAX_FRAC);
		int maxy = (int)((y1 - y0) * TRIM_MAX_FRAC);
		int t;

		for (t = 0; t < maxy && line_uniform(px, w, 1, y0, x0, x1, bg); t++)
			y0++;
		for (t = 0; t < maxy && line_uniform(px, w, 1, y1 - 1, x0, x1, bg); t++)
			y1--;
		for (t = 0; t < maxx && line_uniform(px, w, 0, x0, y0, y1, bg); t++)
			x0++;
		for (t = 0; t < maxx && line_uniform(px, w, 0, x1 - 1, y0, y1, bg); t++)
			x1--;
	}
	*bx0 = x0;
	*by0 = y0;
	*bx1 = x1;
	*by1 = y1;
}

/* Mean of the integral image sat ((w+1) x (h+1)) over [x0,x1) x [y0,y1). */
static double
box_mean(const double *sat, int w, int x0, int y0, int x1, int y1)
{
	size_t s = (size_t)w + 1;
	double v = sat[(size_t)y1 * s + x1] - sat[(size_t)y0 * s + x1] -
		   sat[(size_t)y1 * s + x0] + sat[(size_t)y0 * s + x0];

	return v / ((double)(x1 - x0) * (y1 - y0));
}

static int
iround(double v)
{
	return (int)floor(v + 0.5);
}

/* 16 x 16 cell means of window (x, y, ww, wh), centred and normalised; 0 if flat. */
static int
describe(const double *sat, int w, int h, double x, double y, double ww, double wh,
	 float *out)
{
	double m = 0, ss = 0;

	for (int i = 0; i < DEDUP_REGION_SIDE; i++) {
		int y0 = iround(y + wh * i / DEDUP_REGION_SIDE);
		int y1 = iround(y + wh * (i + 1) / DEDUP_REGION_SIDE);

		if (y1 <= y0)
			y1 = y0 + 1;
		if (y1 > h) {
			y1 = h;
			y0 = h - 1 < y0 ? h - 1 : y0;
		}
		for (int j = 0; j < DEDUP_REGION_SIDE; j++) {
			int x0 = iround(x + ww * j / DEDUP_REGION_SIDE);
			int x1 = iround(x + ww * (j + 1) / DEDUP_REGION_SIDE);

			if (x1 <= x0)
				x1 = x0 + 1;
			if (x1 > w) {
				x1 = w;
				x0 = w - 1 < x0 ? w - 1 : x0;
			}
			out[i * DEDUP_REGION_SIDE + j] =
				(float)box_mean(sat, w, x0, y0, x1, y1);
		}
	}
	for (int k = 0; k < DEDUP_REGION_DIM; k++)
		m += out[k];
	m /= DEDUP_REGION_DIM;
	for (int k = 0; k < DEDUP_REGION_DIM; k++) {
		out[k] = (float)(out[k] - m);
		ss += (double)out[k] * out[k];
	}
	/* below ~1 grey level of spread the window is flat: no descriptor */
	if (ss < DEDUP_REGION_DIM * 1.0) {
		memset(out, 0, DEDUP_REGION_DIM * sizeof(float));
		return 0;
	}
	ss = 1.0 / sqrt(ss);
	for (int k = 0; k < DEDUP_REGION_DIM; k++)
		out[k] = (float)(out[k] * ss);
	return 1;
}

/* The content (cw x ch, stride bytes a row) under dihedral transform d (1..7),
   packed into out (ret_w x ret_h). */
static void
dihedral_copy(const unsigned char *in, int cw, int ch, size_t stride, int d,
	      unsigned char *out, int *ret_w, int *ret_h)
{
	int swap = d == 1 || d == 3 || d == 6 || d == 7;
	int ow = swap ? ch : cw, oh = swap ? cw : ch;

	for (int y = 0; y < oh; y++)
		for (int x = 0; x < ow; x++) {
			int sx, sy;

			switch (d) {
			case 1: sx = y; sy = ow - 1 - x; break;	/* clockwise */
			case 2: sx = cw - 1 - x; sy = ch - 1 - y; break;
			case 3: sx = oh - 1 - y; sy = x; break;
			case 4: sx = x; sy = ch - 1 - y; break;
			case 5: sx = cw - 1 - x; sy = y; break;
			case 6: sx = y; sy = x; break;
			default: sx = oh - 1 - y; sy = ow - 1 - x; break;
			}
			out[(size_t)y * ow + x] = in[(size_t)sy * stride + sx];
		}
	*ret_w = ow;
	*ret_h = oh;
}

int
dedup_region_from_grey(const unsigned char *px, int w, int h, float *ret_v,
		       struct dedup_region_info *ret_info)
{
	struct dedup_region_info info = { .width = w, .height = h };
	double *sat;
	size_t s = (size_t)w + 1;
	int x0 = 0, y0 = 0, x1 = w, y1 = h, n = 0;

	if (w < 4 || h < 4) {
		memset(ret_v, 0, sizeof(float) * DEDUP_REGION_FLOATS);
		info.flat = 1;
		*ret_info = info;
		return 0;
	}
	sat = calloc(s * ((size_t)h + 1), sizeof(double));
	if (sat == NULL)
		return -ENOMEM;
	for (int y = 0; y < h; y++) {
		double row = 0;

		for (int x = 0; x < w; x++) {
			row += px[(size_t)y * w + x];
			sat[(size_t)(y + 1) * s + x + 1] = sat[(size_t)y * s + x + 1] + row;
		}
	}
	trim(px, w, h, &x0, &y0, &x1, &y1);
	info.content_w = x1 - x0;
	info.content_h = y1 - y0;
	if (!describe(sat, w, h, x0, y0, x1 - x0, y1 - y0, ret_v))
		info.flat = 1;
	n = 1;
	for (int k = 0; k < DEDUP_REGION_SCALES; k++) {
		double ww = (x1 - x0) * scales[k], wh = (y1 - y0) * scales[k];
		double sx = (x1 - x0) - ww, sy = (y1 - y0) - wh;

		int g = grid[k];

		for (int py = 0; py < g; py++)
			for (int pxi = 0; pxi < g; pxi++) {
				describe(sat, w, h, x0 + sx * pxi / (g - 1),
					 y0 + sy * py / (g - 1), ww, wh,
					 ret_v + (size_t)n * DEDUP_REGION_DIM);
				n++;
			}
	}
	/* PDQ of the content without its borders, so that a padded copy hashes like
	   the original; and of its 7 rotations and flips, hashed from the moved
	   pixels (the variants derived from one DCT drift by up to ~30 bits) */
	{
		struct pdq_result pr;
		int cw = x1 - x0, ch = y1 - y0;
		unsigned char *t = malloc((size_t)cw * ch + 1);

		if (t == NULL) {
			free(sat);
			return -ENOMEM;
		}
		if (pdq_hash_pixels(px + (size_t)y0 * w + x0, cw, ch, 1, (size_t)w, &pr) == 0) {
			info.cquality = pr.quality;
			pdq_to_bytes(&pr.hash, info.cpdq[0]);
			for (int d = 1; d < 8; d++) {
				int tw, th;

				dihedral_copy(px + (size_t)y0 * w + x0, cw, ch, (size_t)w, d, t,
					      &tw, &th);
				if (pdq_hash_pixels(t, tw, th, 1, (size_t)tw, &pr) == 0)
					pdq_to_bytes(&pr.hash, info.cpdq[d]);
			}
		}
		free(t);
	}
	/* the thumbnail: 64 x 64 area means of the content */
	{
		float *fine = ret_v + (size_t)DEDUP_REGION_WINDOWS * DEDUP_REGION_DIM;
		double cw = (double)(x1 - x0) / DEDUP_REGION_FINE;
		double chh = (double)(y1 - y0) / DEDUP_REGION_FINE;

		for (int i = 0; i < DEDUP_REGION_FINE; i++) {
			int ya = y0 + (int)(i * chh), yb = y0 + (int)((i + 1) * chh);

			if (yb <= ya)
				yb = ya + 1;
			if (yb > h)
				yb = h, ya = ya < h - 1 ? ya : h - 1;
			for (int j = 0; j < DEDUP_REGION_FINE; j++) {
				int xa = x0 + (int)(j * cw), xb = x0 + (int)((j + 1) * cw);

				if (xb <= xa)
					xb = xa + 1;
				if (xb > w)
					xb = w, xa = xa < w - 1 ? xa : w - 1;
				fine[i * DEDUP_REGION_FINE + j] =
					(float)box_mean(sat, w, xa, ya, xb, yb);
			}
		}
	}
	free(sat);
	*ret_info = info;
	return 0;
}

int
dedup_region_compute(const char *path, float *ret_v, struct dedup_region_info *ret_info)
{
	return dedup_region_compute_box(path, 0, 0, 0, 0, ret_v, ret_info);
}

int
dedup_region_compute_box(const char *path, int bx, int by, int bw, int bh, float *ret_v,
			 struct dedup_region_info *ret_info)
{
	struct wn_img_opts o = { .channels = 1, .min_side = bw > 0 ? 0 : 256 };
	struct wn_image img = { 0 }, small = { 0 };
	const struct wn_image *use = &img;
	int rc;

	rc = wn_image_load_file(path, &o, &img);
	if (rc < 0)
		return rc;
	if (bw > 0 && bh > 0) {
		struct wn_image crop = { 0 };

		rc = wn_image_crop(&img, bx, by, bw, bh, &crop);
		if (rc < 0)
			goto out;
		wn_image_release(&img);
		img = crop;
		img.orig_width = img.width;
		img.orig_height = img.height;
	}
	if (img.width > WORK_MAX_SIDE || img.height > WORK_MAX_SIDE) {
		double f = (double)WORK_MAX_SIDE /
			   (img.width > img.height ? img.width : img.height);
		int nw = iround(img.width * f), nh = iround(img.height * f);

		rc = wn_image_resize_area(&img, nw < 1 ? 1 : nw, nh < 1 ? 1 : nh, &small);
		if (rc < 0)
			goto out;
		use = &small;
	}
	rc = dedup_region_from_grey(use->px, use->width, use->height, ret_v, ret_info);
	if (rc < 0)
		goto out;
	/* report sizes in stored pixels */
	{
		double fx = (double)img.orig_width / use->width;
		double fy = (double)img.orig_height / use->height;

		ret_info->width = img.orig_width;
		ret_info->height = img.orig_height;
		ret_info->content_w = iround(ret_info->content_w * fx);
		ret_info->content_h = iround(ret_info->content_h * fy);
	}
out:
	wn_image_release(&small);
	wn_image_release(&img);
	return rc;
}

void
dedup_region_dihedral(const float *in, int t, float *out)
{
	const int n = DEDUP_REGION_SIDE - 1;

	for (int i = 0; i < DEDUP_REGION_SIDE; i++)
		for (int j = 0; j < DEDUP_REGION_SIDE; j++) {
			int si, sj;	/* source cell of output cell (i, j) */

			switch (t) {
			case 1: si = n - j; sj = i; break;	/* rot90 (counter-clockwise) */
			case 2: si = n - i; sj = n - j; break;	/* rot180 */
			case 3: si = j; sj = n - i; break;	/* rot270 */
			case 4: si = n - i; sj = j; break;	/* flip top-bottom */
			case 5: si = i; sj = n - j; break;	/* flip left-right */
			case 6: si = j; sj = i; break;		/* transpose */
			case 7: si = n - j; sj = n - i; break;	/* anti-transpose */
			default: si = i; sj = j; break;
			}
			out[i * DEDUP_REGION_SIDE + j] = in[si * DEDUP_REGION_SIDE + sj];
		}
}

static float
dot(const float *a, const float *b)
{
	float d = 0;

	for (int i = 0; i < DEDUP_REGION_DIM; i++)
		d += a[i] * b[i];
	return d;
}

float
dedup_region_score(const float *a, const float *b)
{
	float best = -1, t[DEDUP_REGION_DIM];

	for (int dir = 0; dir < 2; dir++) {
		const float *whole = dir ? b : a, *win = dir ? a : b;

		for (int k = dir; k < DEDUP_REGION_WINDOWS; k++) {
			float d = dot(whole, win + (size_t)k * DEDUP_REGION_DIM);

			best = d > best ? d : best;
		}
	}
	for (int v = 1; v < 8; v++) {
		float d;

		dedup_region_dihedral(a, v, t);
		d = dot(t, b);
		best = d > best ? d : best;
		dedup_region_dihedral(b, v, t);
		d = dot(t, a);
		best = d > best ? d : best;
	}
	for (int c = 0; c < 4; c++) {
		size_t off = (size_t)DEDUP_REGION_CORNER(c) * DEDUP_REGION_DIM;
		float d = dot(a + off, b + off);

		best = d > best ? d : best;
	}
	return best;
}

#define REF_N	32

/* Bilinear sample of the thumbnail at (x, y) in thumbnail pixels. */
static float
sample(const float *t, double x, double y)
{
	int xi, yi;
	double fx, fy;
	const int n = DEDUP_REGION_FINE;

	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x > n - 1)
		x = n - 1;
	if (y > n - 1)
		y = n - 1;
	xi = (int)x;
	yi = (int)y;
	if (xi >= n - 1)
		xi = n - 2;
	if (yi >= n - 1)
		yi = n - 2;
	fx = x - xi;
	fy = y - yi;
	return (float)((1 - fy) * ((1 - fx) * t[yi * n + xi] + fx * t[yi * n + xi + 1]) +
		       fy * ((1 - fx) * t[(yi + 1) * n + xi] + fx * t[(yi + 1) * n + xi + 1]));
}

/* Centre and normalise; 0 when flat. */
static int
unit(float *v, int n)
{
	double m = 0, ss = 0;

	for (int i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (int i = 0; i < n; i++) {
		v[i] = (float)(v[i] - m);
		ss += (double)v[i] * v[i];
	}
	if (ss < n * 1.0)
		return 0;
	ss = 1.0 / sqrt(ss);
	for (int i = 0; i < n; i++)
		v[i] = (float)(v[i] * ss);
	return 1;
}

/* Correlation of the whole of small with the window (s, ox, oy) of big. */
static float
window_corr(const float *xs, const float *big, double s, double ox, double oy)
{
	float v[REF_N * REF_N], d = 0;
	const double n = DEDUP_REGION_FINE;

	for (int i = 0; i < REF_N; i++)
		for (int j = 0; j < REF_N; j++) {
			/* a 2 x 2 block of samples per cell, like the area means of xs */
			double fx = ox + s * (j + 0.25) / REF_N, fy = oy + s * (i + 0.25) / REF_N;
			double st = s * 0.5 / REF_N;

			v[i * REF_N + j] = (sample(big, fx * n - 0.5, fy * n - 0.5) +
					    sample(big, (fx + st) * n - 0.5, fy * n - 0.5) +
					    sample(big, fx * n - 0.5, (fy + st) * n - 0.5) +
					    sample(big, (fx + st) * n - 0.5, (fy + st) * n - 0.5));
		}
	if (!unit(v, REF_N * REF_N))
		return -1;
	for (int k = 0; k < REF_N * REF_N; k++)
		d += v[k] * xs[k];
	return d;
}

static float
refine(const float *small, const float *big, double s0, double x0, double y0)
{
	float xs[REF_N * REF_N], best = -1;
	const int n = DEDUP_REGION_FINE, f = DEDUP_REGION_FINE / REF_N;
	double step = 0.015;

	for (int i = 0; i < REF_N; i++)
		for (int j = 0; j < REF_N; j++) {
			float a = 0;

			for (int u = 0; u < f; u++)
				for (int v = 0; v < f; v++)
					a += small[(i * f + u) * n + j * f + v];
			xs[i * REF_N + j] = a;
		}
	if (!unit(xs, REF_N * REF_N))
		return -1;
	/* coarse to fine: 3 x 3 x 3 around the start, twice, halving the step */
	for (int round = 0; round < 3; round++, step /= 2) {
		double bs = s0, bx = x0, by = y0;

		for (int ks = -1; ks <= 1; ks++)
			for (int ky = -1; ky <= 1; ky++)
				for (int kx = -1; kx <= 1; kx++) {
					double s = s0 + ks * step, x = x0 + kx * step;
					double y = y0 + ky * step;
					float c;

					if (s > 1.0 || s < 0.5)
						continue;
					if (x < -0.01 || y < -0.01 || x + s > 1.01 || y + s > 1.01)
						continue;
					c = window_corr(xs, big, s, x, y);
					if (c > best) {
						best = c;
						bs = s;
						bx = x;
						by = y;
					}
				}
		s0 = bs;
		x0 = bx;
		y0 = by;
	}
	return best;
}

/* Scale and position (fractions of the content) of window k. */
static void
window_geometry(int k, double *ret_s, double *ret_x, double *ret_y)
{
	int n = 1;

	*ret_s = 1;
	*ret_x = *ret_y = 0;
	if (k == 0)
		return;
	for (int sc = 0; sc < DEDUP_REGION_SCALES; sc++) {
		int g = grid[sc];

		if (k < n + g * g) {
			int idx = k - n;

			*ret_s = scales[sc];
			*ret_x = (1 - scales[sc]) * (idx % g) / (g - 1);
			*ret_y = (1 - scales[sc]) * (idx / g) / (g - 1);
			return;
		}
		n += g * g;
	}
}

float
dedup_region_compare(const float *a, const float *b, float refine_from, float *ret_fine)
{
	float best = -1, t[DEDUP_REGION_DIM];
	int bdir = -1, bwin = 0;

	*ret_fine = -2;
	for (int dir = 0; dir < 2; dir++) {
		const float *whole = dir ? b : a, *win = dir ? a : b;

		for (int k = dir; k < DEDUP_REGION_WINDOWS; k++) {
			float d = dot(whole, win + (size_t)k * DEDUP_REGION_DIM);

			if (d > best) {
				best = d;
				bdir = dir;
				bwin = k;
			}
		}
	}
	for (int v = 1; v < 8; v++) {
		float d;

		dedup_region_dihedral(a, v, t);
		d = dot(t, b);
		if (d > best) {
			best = d;
			bdir = -1;
		}
		dedup_region_dihedral(b, v, t);
		d = dot(t, a);
		if (d > best) {
			best = d;
			bdir = -1;
		}
	}
	for (int c = 0; c < 4; c++) {
		size_t off = (size_t)DEDUP_REGION_CORNER(c) * DEDUP_REGION_DIM;
		float d = dot(a + off, b + off);

		if (d > best) {
			best = d;
			bdir = -1;
		}
	}
	if (bdir >= 0 && best >= refine_from) {
		const size_t fo = (size_t)DEDUP_REGION_WINDOWS * DEDUP_REGION_DIM;
		double s, x, y;

		window_geometry(bwin, &s, &x, &y);
		*ret_fine = bdir == 0 ? refine(a + fo, b + fo, s, x, y)
				      : refine(b + fo, a + fo, s, x, y);
	}
	return best;
}

void
dedup_region_pack(const float *v, const struct dedup_region_info *info, unsigned char *out)
{
	for (int w = 0; w < DEDUP_REGION_WINDOWS; w++) {
		const float *r = v + (size_t)w * DEDUP_REGION_DIM;
		float mx = 0, scale;
		uint32_t bits;

		for (int k = 0; k < DEDUP_REGION_DIM; k++)
			mx = fabsf(r[k]) > mx ? fabsf(r[k]) : mx;
		scale = mx / 127.0f;
		memcpy(&bits, &scale, 4);
		for (int b = 0; b < 4; b++)
			*out++ = (unsigned char)(bits >> (8 * b));
		for (int k = 0; k < DEDUP_REGION_DIM; k++) {
			long q = scale > 0 ? lrintf(r[k] / scale) : 0;

			*out++ = (unsigned char)(int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
		}
	}
	v += (size_t)DEDUP_REGION_WINDOWS * DEDUP_REGION_DIM;
	for (int k = 0; k < DEDUP_REGION_FINE * DEDUP_REGION_FINE; k++) {
		long q = lrintf(v[k]);

		*out++ = (unsigned char)(q < 0 ? 0 : q > 255 ? 255 : q);
	}
	*out++ = (unsigned char)info->cquality;
	memcpy(out, info->cpdq, 256);
}

int
dedup_region_unpack(const unsigned char *in, size_t len, float *ret_v,
		    struct dedup_region_info *ret_info)
{
	if (len != DEDUP_REGION_PACKED)
		return -WN_EFORMAT;
	for (int w = 0; w < DEDUP_REGION_WINDOWS; w++) {
		float *r = ret_v + (size_t)w * DEDUP_REGION_DIM;
		uint32_t bits = (uint32_t)in[0] | (uint32_t)in[1] << 8 |
				(uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
		float scale;
		double ss = 0;

		memcpy(&scale, &bits, 4);
		if (!isfinite(scale) || scale < 0)
			return -WN_ECORRUPT;
		in += 4;
		for (int k = 0; k < DEDUP_REGION_DIM; k++) {
			r[k] = (float)(int8_t)in[k] * scale;
			ss += (double)r[k] * r[k];
		}
		in += DEDUP_REGION_DIM;
		/* quantised: restore unit norm */
		if (ss > 0) {
			ss = 1.0 / sqrt(ss);
			for (int k = 0; k < DEDUP_REGION_DIM; k++)
				r[k] = (float)(r[k] * ss);
		}
	}
	ret_v += (size_t)DEDUP_REGION_WINDOWS * DEDUP_REGION_DIM;
	for (int k = 0; k < DEDUP_REGION_FINE * DEDUP_REGION_FINE; k++)
		ret_v[k] = in[k];
	in += DEDUP_REGION_FINE * DEDUP_REGION_FINE;
	ret_info->cquality = in[0] <= 100 ? in[0] : 0;
	memcpy(ret_info->cpdq, in + 1, 256);
	return 0;
}
