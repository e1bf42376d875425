/*
 * pdq.c: PDQ, step by step as the reference algorithm (float32 throughout):
 * luma, two passes of a Jarosz tent filter built from box blurs, decimation to
 * 64x64, the quality score from the 64x64 gradients, a 16x64 DCT matrix that
 * skips the DC row, the lower median of the 256 coefficients and a strict '>'.
 *
 * Bit-exactness depends on doing the float operations in the reference order:
 * the box blur keeps one running sum (add the entering sample, then subtract
 * the leaving one), the DCT sums in k order, and nothing is contracted into
 * fused multiply-adds (C11 mode: -ffp-contract=off).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/pdq.h"
#include "lib/util.h"

/* Bit-exactness needs every product rounded before it is added: no fused
   multiply-adds (GCC in C11 mode does not contract; clang needs telling). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define PDQ_N	64	/* side of the decimated buffer */
#define PDQ_K	16	/* side of the kept DCT block */

/* D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)), i < 16, j < 64 (float). */
static float pdq_dct_matrix[PDQ_K][PDQ_N];
static int pdq_dct_ready;

static void
pdq_dct_init(void)
{
	const float scale = (float)sqrt(2.0 / PDQ_N);
	int i, j;

	if (__atomic_load_n(&pdq_dct_ready, __ATOMIC_ACQUIRE))
		return;
	/* Idempotent: racing threads write the same values. */
	for (i = 0; i < PDQ_K; i++)
		for (j = 0; j < PDQ_N; j++)
			pdq_dct_matrix[i][j] = (float)(scale *
				cos((M_PI / 2.0 / PDQ_N) * (i + 1) * (2 * j + 1)));
	__atomic_store_n(&pdq_dct_ready, 1, __ATOMIC_RELEASE);
}

/*
 * One-dimensional box filter over n samples spaced by stride, window w, the
 * window truncated at the borders (divide by the samples present).
 */
static void
pdq_box1d(const float *in, float *out, int n, int stride, int w)
{
	int half = (w + 2) / 2;
	int phase1 = half - 1;
	int phase2 = w - half + 1;
	int phase3 = n - w;
	int phase4 = half - 1;
	int li = 0, ri = 0, oi = 0, cnt = 0, i;
	float sum = 0.0f;

	for (i = 0; i < phase1; i++) {
		sum += in[ri];
		cnt++;
		ri += stride;
	}
	for (i = 0; i < phase2; i++) {
		sum += in[ri];
		cnt++;
		out[oi] = sum / cnt;
		ri += stride;
		oi += stride;
	}
	for (i = 0; i < phase3; i++) {
		sum += in[ri];
		sum -= in[li];
		out[oi] = sum / cnt;
		li += stride;
		ri += stride;
		oi += stride;
	}
	for (i = 0; i < phase4; i++) {
		sum -= in[li];
		cnt--;
		out[oi] = sum / cnt;
		li += stride;
		oi += stride;
	}
}

static int
pdq_window(int old_dim)
{
	return (old_dim + 2 * PDQ_N - 1) / (2 * PDQ_N);
}

/*
 * The same box filter down every column at once: row by row, each column
 * keeps its own running sum, so every column sees exactly the float
 * operations of pdq_box1d() while memory is read in row order.
 */
static void
pdq_box_cols(const float *in, float *out, int rows, int cols, int w,
	     float *sum)
{
	int half = (w + 2) / 2;
	int phase1 = half - 1;
	int phase2 = w - half + 1;
	int phase3 = rows - w;
	int phase4 = half - 1;
	int li = 0, ri = 0, oi = 0, cnt = 0, i, j;

	for (j = 0; j < cols; j++)
		sum[j] = 0.0f;
	for (i = 0; i < phase1; i++, ri++) {
		const float *r = in + (size_t)ri * cols;

		for (j = 0; j < cols; j++)
			sum[j] += r[j];
		cnt++;
	}
	for (i = 0; i < phase2; i++, ri++, oi++) {
		const float *r = in + (size_t)ri * cols;
		float *o = out + (size_t)oi * cols;

		cnt++;
		for (j = 0; j < cols; j++) {
			sum[j] += r[j];
			o[j] = sum[j] / cnt;
		}
	}
	for (i = 0; i < phase3; i++, li++, ri++, oi++) {
		const float *r = in + (size_t)ri * cols;
		const float *l = in + (size_t)li * cols;
		float *o = out + (size_t)oi * cols;

		for (j = 0; j < cols; j++) {
			sum[j] += r[j];
			sum[j] -= l[j];
			o[j] = sum[j] / cnt;
		}
	}
	for (i = 0; i < phase4; i++, li++, oi++) {
		const float *l = in + (size_t)li * cols;
		float *o = out + (size_t)oi * cols;

		cnt--;
		for (j = 0; j < cols; j++) {
			sum[j] -= l[j];
			o[j] = sum[j] / cnt;
		}
	}
}

/* Two passes of (rows then columns); the result is back in buf1. */
static void
pdq_jarosz(float *buf1, float *buf2, int rows, int cols, float *sum)
{
	int wrow = pdq_window(cols);	/* window along each row */
	int wcol = pdq_window(rows);	/* window along each column */
	int rep, i;

	for (rep = 0; rep < 2; rep++) {
		for (i = 0; i < rows; i++)
			pdq_box1d(buf1 + (size_t)i * cols, buf2 + (size_t)i * cols,
				  cols, 1, wrow);
		pdq_box_cols(buf2, buf1, rows, cols, wcol, sum);
	}
}

static void
pdq_decimate(const float *in, int rows, int cols, float out[PDQ_N][PDQ_N])
{
	int i, j;

	for (i = 0; i < PDQ_N; i++) {
		int ini = (int)(((i + 0.5) * rows) / PDQ_N);

		for (j = 0; j < PDQ_N; j++) {
			int inj = (int)(((j + 0.5) * cols) / PDQ_N);

			out[i][j] = in[(size_t)ini * cols + inj];
		}
	}
}

static int
pdq_quality(const float a[PDQ_N][PDQ_N])
{
	int sum = 0, q, i, j;

	for (i = 0; i < PDQ_N - 1; i++) {
		for (j = 0; j < PDQ_N; j++) {
			float d = ((a[i][j] - a[i + 1][j]) * 100) / 255;

			sum += abs((int)d);
		}
	}
	for (i = 0; i < PDQ_N; i++) {
		for (j = 0; j < PDQ_N - 1; j++) {
			float d = ((a[i][j] - a[i][j + 1]) * 100) / 255;

			sum += abs((int)d);
		}
	}
	q = sum / 90;
	return q > 100 ? 100 : q;
}

void
pdq_dct64to16(const float a[64][64], float ret_b[16][16])
{
	float t[PDQ_K][PDQ_N];
	int i, j, k;

	pdq_dct_init();
	for (i = 0; i < PDQ_K; i++) {
		for (j = 0; j < PDQ_N; j++) {
			float s = 0.0f;

			for (k = 0; k < PDQ_N; k++)
				s += pdq_dct_matrix[i][k] * a[k][j];
			t[i][j] = s;
		}
	}
	for (i = 0; i < PDQ_K; i++) {
		for (j = 0; j < PDQ_K; j++) {
			float s = 0.0f;

			for (k = 0; k < PDQ_N; k++)
				s += t[i][k] * pdq_dct_matrix[j][k];
			ret_b[i][j] = s;
		}
	}
}

static int
pdq_cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

void
pdq_bits_from_dct(const float b[16][16], struct pdq_hash *ret)
{
	float v[PDQ_K * PDQ_K];
	float median;
	int i, j;

	memcpy(v, b, sizeof(v));
	qsort(v, PDQ_K * PDQ_K, sizeof(v[0]), pdq_cmp_float);
	median = v[PDQ_K * PDQ_K / 2 - 1];	/* the lower median, as Torben's */
	memset(ret, 0, sizeof(*ret));
	for (i = 0; i < PDQ_K; i++) {
		for (j = 0; j < PDQ_K; j++) {
			if (b[i][j] > median) {
				int k = i * PDQ_K + j;

				ret->w[k >> 4] |= (uint16_t)(1u << (k & 15));
			}
		}
	}
}

/* s(x): +1 when x is odd, -1 when even (0-based index, so frequency x + 1). */
static float
pdq_odd(int x)
{
	return (x & 1) ? 1.0f : -1.0f;
}

void
pdq_dihedral_dct(const float b[16][16], enum pdq_dihedral which,
		 float ret_b[16][16])
{
	int i, j;

	for (i = 0; i < PDQ_K; i++) {
		for (j = 0; j < PDQ_K; j++) {
			float v;

			switch (which) {
			case PDQ_ROT90:		/* transpose, negate even columns */
				v = b[j][i] * pdq_odd(i);
				break;
			case PDQ_ROT180:	/* negate where i + j is odd */
				v = b[i][j] * -pdq_odd(i + j);
				break;
			case PDQ_ROT270:	/* transpose, negate even rows */
				v = b[j][i] * pdq_odd(j);
				break;
			case PDQ_FLIPX:		/* negate even rows */
				v = b[i][j] * pdq_odd(i);
				break;
			case PDQ_FLIPY:		/* negate even columns */
				v = b[i][j] * pdq_odd(j);
				break;
			case PDQ_FLIP_PLUS1:	/* transpose */
				v = b[j][i];
				break;
			case PDQ_FLIP_MINUS1:	/* transpose, negate i + j odd */
				v = b[j][i] * -pdq_odd(i + j);
				break;
			case PDQ_ORIG:
			default:
				v = b[i][j];
				break;
			}
			ret_b[i][j] = v;
		}
	}
}

int
pdq_hash_luma(float *luma, float *scratch, int rows, int cols,
	      struct pdq_result *ret)
{
	float a[PDQ_N][PDQ_N];
	float b[PDQ_K][PDQ_K], t[PDQ_K][PDQ_K];
	float *sum;
	int d;

	memset(ret, 0, sizeof(*ret));
	if (rows < PDQ_MIN_DIM || cols < PDQ_MIN_DIM)
		return 0;
	if (rows == PDQ_N && cols == PDQ_N) {
		memcpy(a, luma, sizeof(a));
	} else {
		sum = malloc(sizeof(float) * (size_t)cols);
		if (sum == NULL)
			return -ENOMEM;
		pdq_jarosz(luma, scratch, rows, cols, sum);
		free(sum);
		pdq_decimate(luma, rows, cols, a);
	}
	ret->quality = pdq_quality((const float (*)[PDQ_N])a);
	pdq_dct64to16((const float (*)[PDQ_N])a, b);
	for (d = 0; d < PDQ_NDIHEDRAL; d++) {
		pdq_dihedral_dct((const float (*)[PDQ_K])b, (enum pdq_dihedral)d, t);
		pdq_bits_from_dct((const float (*)[PDQ_K])t, &ret->dihedral[d]);
	}
	ret->hash = ret->dihedral[PDQ_ORIG];
	return 0;
}

int
pdq_hash_pixels(const uint8_t *px, int width, int height, int channels,
		size_t stride, struct pdq_result *ret)
{
	const float cr = 0.299f, cg = 0.587f, cb = 0.114f;
	float *luma = NULL, *scratch = NULL;
	size_t n;
	int x, y, rc;

	if (px == NULL || width <= 0 || height <= 0 ||
	    (channels != 1 && channels != 3) ||
	    stride < (size_t)width * channels)
		return -EINVAL;
	n = (size_t)width * height;
	if (n > SIZE_MAX / 2 / sizeof(float))
		return -ENOMEM;
	luma = malloc(n * sizeof(float));
	scratch = malloc(n * sizeof(float));
	if (luma == NULL || scratch == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (y = 0; y < height; y++) {
		const uint8_t *p = px + (size_t)y * stride;
		float *l = luma + (size_t)y * width;

		if (channels == 1) {
			for (x = 0; x < width; x++)
				l[x] = p[x];
		} else {
			for (x = 0; x < width; x++, p += 3) {
				float r = p[0], g = p[1], bl = p[2];

				l[x] = cr * r + cg * g + cb * bl;
			}
		}
	}
	rc = pdq_hash_luma(luma, scratch, height, width, ret);
out:
	free(luma);
	free(scratch);
	return rc;
}

void
pdq_to_hex(const struct pdq_hash *h, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i, k, o = 0;

	for (i = PDQ_WORDS - 1; i >= 0; i--)
		for (k = 12; k >= 0; k -= 4)
			out[o++] = digits[(h->w[i] >> k) & 15];
	out[o] = '\0';
}

int
pdq_from_hex(const char *hex, struct pdq_hash *ret)
{
	uint8_t b[32];

	if (wn_unhex(hex, b, sizeof(b)) < 0)
		return -EINVAL;
	pdq_from_bytes(b, ret);
	return 0;
}

void
pdq_to_bytes(const struct pdq_hash *h, uint8_t out[32])
{
	int i;

	for (i = 0; i < PDQ_WORDS; i++) {
		out[2 * i] = (uint8_t)(h->w[PDQ_WORDS - 1 - i] >> 8);
		out[2 * i + 1] = (uint8_t)(h->w[PDQ_WORDS - 1 - i] & 0xff);
	}
}

void
pdq_from_bytes(const uint8_t in[32], struct pdq_hash *ret)
{
	int i;

	for (i = 0; i < PDQ_WORDS; i++)
		ret->w[PDQ_WORDS - 1 - i] = (uint16_t)((in[2 * i] << 8) | in[2 * i + 1]);
}

int
pdq_hamming(const struct pdq_hash *a, const struct pdq_hash *b)
{
	int i, d = 0;

	for (i = 0; i < PDQ_WORDS; i++)
		d += __builtin_popcount((unsigned)(a->w[i] ^ b->w[i]));
	return d;
}

int
pdq_get_bit(const struct pdq_hash *h, int k)
{
	if (k < 0 || k >= PDQ_BITS)
		return 0;
	return (h->w[k >> 4] >> (k & 15)) & 1;
}
