/*
 * test-embed.c: .npy parsing, normalisation, sgemm joins against brute force,
 * k-means partitioned self-join, calibration, region descriptors.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "dedup/dedup-region.h"
#include "dedup/embed.h"
#include "lib/log.h"

static uint64_t rng = 0x1234567887654321ull;

static double
unif(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* An .npy v1 file in memory with the given header dict and payload. */
static size_t
make_npy(uint8_t *out, int version, const char *dict, const void *data, size_t len)
{
	size_t dl = strlen(dict), pre = version == 1 ? 10 : 12, hl = dl + 1;
	size_t o = 0;

	while ((pre + hl) % 64)
		hl++;
	memcpy(out, "\x93NUMPY", 6);
	out[6] = (uint8_t)version;
	out[7] = 0;
	out[8] = (uint8_t)(hl & 0xff);
	out[9] = (uint8_t)(hl >> 8);
	if (version != 1) {
		out[10] = (uint8_t)(hl >> 16);
		out[11] = (uint8_t)(hl >> 24);
	}
	o = pre;
	memcpy(out + o, dict, dl);
	memset(out + o + dl, ' ', hl - dl - 1);
	out[o + hl - 1] = '\n';
	o += hl;
	memcpy(out + o, data, len);
	return o + len;
}

static void
test_npy(void)
{
	uint8_t buf[4096];
	float v[6] = { 1, 2, 3, 4, 5, 6.5f };
	uint16_t h[4] = { 0x3c00, 0xc000, 0x3800, 0x0001 };	/* 1, -2, 0.5, 2^-24 */
	struct dedup_mat m = { 0 };
	size_t n;

	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL_FATAL(dedup_npy_parse(buf, n, 100, &m), 0);
	CU_ASSERT_EQUAL(m.n, 2);
	CU_ASSERT_EQUAL(m.dim, 3);
	CU_ASSERT_EQUAL(m.v[5], 6.5f);
	dedup_mat_release(&m);
	n = make_npy(buf, 2, "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }",
		     h, sizeof(h));
	CU_ASSERT_EQUAL_FATAL(dedup_npy_parse(buf, n, 100, &m), 0);
	CU_ASSERT_EQUAL(m.v[0], 1.0f);
	CU_ASSERT_EQUAL(m.v[1], -2.0f);
	CU_ASSERT_EQUAL(m.v[2], 0.5f);
	CU_ASSERT(fabsf(m.v[3] - 5.9604645e-8f) < 1e-12f);
	dedup_mat_release(&m);
	/* one vector */
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL_FATAL(dedup_npy_parse(buf, n, 100, &m), 0);
	CU_ASSERT_EQUAL(m.n, 1);
	CU_ASSERT_EQUAL(m.dim, 6);
	dedup_mat_release(&m);
	/* refused: other dtypes, Fortran order, 3-D, short data, too many rows, junk */
	n = make_npy(buf, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, n, 100, &m), -WN_EUNSUPPORTED);
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, n, 100, &m), -WN_EUNSUPPORTED);
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, n, 100, &m), -WN_EUNSUPPORTED);
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 3), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, n, 100, &m), -WN_ECORRUPT);
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		     v, sizeof(v));
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, n, 1, &m), -WN_ETOOBIG);
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, 9, 100, &m), -WN_EFORMAT);
	CU_ASSERT_EQUAL(dedup_npy_parse((const uint8_t *)"not an npy file", 15, 100, &m),
			-WN_EFORMAT);
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 3), }",
		     v, sizeof(v));
	CU_ASSERT(dedup_npy_parse(buf, n, 100, &m) < 0);
	/* a header length past the end */
	n = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		     v, sizeof(v));
	buf[9] = 0x7f;
	CU_ASSERT_EQUAL(dedup_npy_parse(buf, n, 100, &m), -WN_ECORRUPT);
	CU_ASSERT_PTR_NULL(m.v);
}

static int
collect(void *ctx, size_t i, size_t j, float cos)
{
	int *count = ctx;

	(void)i;
	(void)j;
	(void)cos;
	(*count)++;
	return 0;
}

/* Clustered unit vectors: a few near-duplicates per cluster. */
static float *
clustered(size_t n, int dim)
{
	float *x = malloc(n * (size_t)dim * sizeof(float));

	for (size_t i = 0; i < n; i++) {
		float *r = x + i * (size_t)dim;

		if (i % 5 != 0) {
			memcpy(r, r - (size_t)dim * (i % 5), (size_t)dim * sizeof(float));
			for (int k = 0; k < dim; k++)
				r[k] += (float)(unif() - 0.5) * 0.05f;
		} else {
			for (int k = 0; k < dim; k++)
				r[k] = (float)(unif() - 0.5);
		}
	}
	CU_ASSERT_EQUAL(dedup_l2_normalise(x, n, dim), 0);
	return x;
}

static int
brute(const float *x, size_t n, int dim, float tau)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			float d = 0;

			for (int k = 0; k < dim; k++)
				d += x[i * dim + k] * x[j * dim + k];
			c += d >= tau;
		}
	return c;
}

static void
test_join(void)
{
	const size_t n = 3000;
	const int dim = 24;
	float *x = clustered(n, dim);
	float z[4] = { 0, 0, 0, 0 };
	int c1 = 0, c2 = 0, c3 = 0;

	CU_ASSERT_EQUAL(dedup_l2_normalise(z, 1, 4), 1);
	CU_ASSERT_EQUAL(dedup_cos_join(x, n, x, n, dim, 1, 0.95f, collect, &c1), 0);
	c2 = brute(x, n, dim, 0.95f);
	CU_ASSERT_EQUAL(c1, c2);
	CU_ASSERT(c1 >= (int)(n / 5) * 10 * 9 / 10);
	/* partitioned self-join: most pairs (boundary ones may be missed), none new */
	CU_ASSERT_EQUAL(dedup_cos_selfjoin(x, n, dim, 0.95f, 0, 7, collect, &c3), 0);
	CU_ASSERT(c3 <= c2);
	CU_ASSERT(c3 >= c2 * 9 / 10);
	free(x);
}

static void
test_calibrate(void)
{
	double s[] = { 0.99, 0.98, 0.97, 0.96, 0.95, 0.5, 0.4 };
	int l[] = { 1, 1, 0, 1, 1, 0, 1 };
	double t, p, r;

	CU_ASSERT_EQUAL(dedup_calibrate(s, l, 7, 1.0, &t, &p, &r), 1);
	CU_ASSERT_EQUAL(t, 0.98);
	CU_ASSERT_EQUAL(p, 1.0);
	CU_ASSERT(fabs(r - 0.4) < 1e-9);
	CU_ASSERT_EQUAL(dedup_calibrate(s, l, 7, 0.75, &t, &p, &r), 1);
	CU_ASSERT_EQUAL(t, 0.95);	/* 4 of 5 at precision 0.8; below, 0.71 */
	int l2[] = { 0, 0, 0, 0, 0, 0, 0 };

	CU_ASSERT_EQUAL(dedup_calibrate(s, l2, 7, 0.5, &t, &p, &r), 0);
}

/* A crop of a synthetic image matches it through a window; another does not. */
static void
test_region(void)
{
	const int w = 300, h = 200;
	unsigned char *img = malloc((size_t)w * h), *other = malloc((size_t)w * h);
	unsigned char *crop = malloc((size_t)w * h), *pad = malloc((size_t)(w + 40) * (h + 40));
	float *a = malloc(sizeof(float) * DEDUP_REGION_FLOATS);
	float *b = malloc(sizeof(float) * DEDUP_REGION_FLOATS);
	float *c = malloc(sizeof(float) * DEDUP_REGION_FLOATS);
	unsigned char *packed = malloc(DEDUP_REGION_PACKED);
	struct dedup_region_info ia, ib;
	int cw = (int)(w * 0.9), ch = (int)(h * 0.9);

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			img[y * w + x] = (unsigned char)(128 + 60 * sin(x / 13.0) * cos(y / 9.0) +
							 40 * sin((x + y) / 31.0));
			other[y * w + x] = (unsigned char)(128 + 60 * sin(y / 11.0 + x / 40.0) *
							   cos(x / 7.0));
		}
	for (int y = 0; y < ch; y++)
		memcpy(crop + (size_t)y * cw, img + (size_t)(y + (h - ch) / 2) * w + (w - cw) / 2,
		       (size_t)cw);
	memset(pad, 255, (size_t)(w + 40) * (h + 40));
	for (int y = 0; y < h; y++)
		memcpy(pad + (size_t)(y + 20) * (w + 40) + 20, img + (size_t)y * w, (size_t)w);
	CU_ASSERT_EQUAL_FATAL(dedup_region_from_grey(img, w, h, a, &ia), 0);
	CU_ASSERT_EQUAL(ia.flat, 0);
	CU_ASSERT_EQUAL_FATAL(dedup_region_from_grey(crop, cw, ch, b, &ib), 0);
	CU_ASSERT(dedup_region_score(a, b) > 0.98f);
	CU_ASSERT_EQUAL_FATAL(dedup_region_from_grey(pad, w + 40, h + 40, b, &ib), 0);
	CU_ASSERT_EQUAL(ib.content_w, w);
	CU_ASSERT_EQUAL(ib.content_h, h);
	CU_ASSERT(dedup_region_score(a, b) > 0.99f);
	CU_ASSERT_EQUAL_FATAL(dedup_region_from_grey(other, w, h, c, &ib), 0);
	CU_ASSERT(dedup_region_score(a, c) < 0.9f);
	/* the stored form round-trips within quantisation */
	dedup_region_pack(a, &ia, packed);
	CU_ASSERT_EQUAL_FATAL(dedup_region_unpack(packed, DEDUP_REGION_PACKED, c, &ib), 0);
	CU_ASSERT(dedup_region_score(a, c) > 0.999f);
	CU_ASSERT_EQUAL(ib.cquality, ia.cquality);
	CU_ASSERT_EQUAL(memcmp(ib.cpdq, ia.cpdq, 256), 0);
	CU_ASSERT_EQUAL(dedup_region_unpack(packed, 10, c, &ib), -WN_EFORMAT);
	/* a flat image has no descriptor */
	memset(other, 77, (size_t)w * h);
	CU_ASSERT_EQUAL_FATAL(dedup_region_from_grey(other, w, h, c, &ib), 0);
	CU_ASSERT_EQUAL(ib.flat, 1);
	free(img);
	free(other);
	free(crop);
	free(pad);
	free(a);
	free(b);
	free(c);
	free(packed);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	wn_log_init("test-embed", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("embed", NULL, NULL);
	CU_add_test(s, ".npy parsing", test_npy);
	CU_add_test(s, "sgemm joins", test_join);
	CU_add_test(s, "calibration", test_calibrate);
	CU_add_test(s, "region descriptors", test_region);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
