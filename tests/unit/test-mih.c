/*
 * test-mih.c: the multi-index hash finds exactly what a linear scan finds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "dedup/mih.h"
#include "lib/log.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
random_code(uint8_t *c)
{
	for (int i = 0; i < 32; i += 8) {
		uint64_t v = next();

		memcpy(c + i, &v, 8);
	}
}

/* Flip k distinct random bits. */
static void
flip(uint8_t *c, int k)
{
	uint8_t seen[256] = { 0 };

	while (k > 0) {
		int b = (int)(next() % 256);

		if (seen[b])
			continue;
		seen[b] = 1;
		c[b >> 3] ^= (uint8_t)(1u << (b & 7));
		k--;
	}
}

static int
cmp_hit(const void *a, const void *b)
{
	const struct dedup_hit *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void
test_hamming(void)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, n[32];

	CU_ASSERT_EQUAL(dedup_hamming256(a, b), 0);
	b[0] = 0x80;
	b[31] = 0x01;
	b[17] = 0xff;
	CU_ASSERT_EQUAL(dedup_hamming256(a, b), 10);
	dedup_code_not(a, n);
	CU_ASSERT_EQUAL(dedup_hamming256(a, n), 256);
	CU_ASSERT_EQUAL(dedup_hamming256(b, n), 246);
}

/* Random base codes plus planted neighbours at every distance up to 50. */
static void
test_exact_vs_linear(void)
{
	const uint32_t n = 20000;
	uint8_t *codes = malloc((size_t)n * 32), q[32];
	struct dedup_mih m = { 0 };
	struct dedup_hits h1 = { 0 }, h2 = { 0 };
	int radii[] = { 0, 7, 15, 16, 23, 31, 40, 47 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(codes);
	for (uint32_t i = 0; i < n; i++)
		random_code(codes + (size_t)i * 32);
	/* clusters: 100 centres with 10 neighbours each at distance 0..50 */
	for (uint32_t c = 0; c < 100; c++)
		for (uint32_t k = 1; k <= 10; k++) {
			uint8_t *dst = codes + (size_t)(c * 11 + k) * 32;

			memcpy(dst, codes + (size_t)c * 11 * 32, 32);
			flip(dst, (int)(next() % 51));
		}
	CU_ASSERT_EQUAL_FATAL(dedup_mih_build(&m, codes, n, 0), 0);
	for (size_t r = 0; r < sizeof(radii) / sizeof(radii[0]); r++) {
		for (uint32_t t = 0; t < 200; t++) {
			uint32_t base = t < 100 ? t * 11 : (uint32_t)(next() % n);

			memcpy(q, codes + (size_t)base * 32, 32);
			if (t % 3 == 1)
				flip(q, radii[r] / 2);
			h1.n = h2.n = 0;
			CU_ASSERT_FATAL(dedup_mih_query(&m, q, radii[r], &h1) >= 0);
			CU_ASSERT_FATAL(dedup_linear_query(codes, n, q, radii[r], &h2) >= 0);
			CU_ASSERT_EQUAL_FATAL(h1.n, h2.n);
			qsort(h1.v, h1.n, sizeof(*h1.v), cmp_hit);
			qsort(h2.v, h2.n, sizeof(*h2.v), cmp_hit);
			for (size_t i = 0; i < h1.n; i++) {
				CU_ASSERT_EQUAL(h1.v[i].id, h2.v[i].id);
				CU_ASSERT_EQUAL(h1.v[i].dist, h2.v[i].dist);
			}
		}
	}
	/* candidates are far fewer than a scan at radius 15 */
	CU_ASSERT(m.candidates < (uint64_t)200 * n * 8);
	CU_ASSERT_EQUAL(dedup_mih_query(&m, q, 48, &h1), -EINVAL);
	CU_ASSERT_EQUAL(dedup_mih_query(&m, q, -1, &h1), -EINVAL);
	dedup_hits_release(&h1);
	dedup_hits_release(&h2);
	dedup_mih_release(&m);
	dedup_mih_release(&m);		/* twice is harmless */
	free(codes);
}

/* A bucket cap skips featureless codes instead of scanning them all. */
static void
test_bucket_cap(void)
{
	const uint32_t n = 3000;
	uint8_t *codes = calloc((size_t)n, 32), q[32] = { 0 };
	struct dedup_mih m = { 0 };
	struct dedup_hits h = { 0 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(codes);
	for (uint32_t i = 1000; i < n; i++)
		random_code(codes + (size_t)i * 32);
	CU_ASSERT_EQUAL_FATAL(dedup_mih_build(&m, codes, n, 500), 0);
	CU_ASSERT_EQUAL(dedup_mih_query(&m, q, 15, &h), 0);
	CU_ASSERT(m.skipped >= 16);
	dedup_mih_release(&m);
	CU_ASSERT_EQUAL_FATAL(dedup_mih_build(&m, codes, n, 0), 0);
	CU_ASSERT_EQUAL(dedup_mih_query(&m, q, 15, &h), 1000);
	dedup_hits_release(&h);
	dedup_mih_release(&m);
	/* an empty index answers nothing */
	CU_ASSERT_EQUAL_FATAL(dedup_mih_build(&m, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(dedup_mih_query(&m, q, 31, &h), 0);
	dedup_mih_release(&m);
	free(codes);
}

struct pairs {
	uint32_t *v;
	size_t n;
};

static int
take_pair(void *ctx, uint32_t a, uint32_t b, int dist)
{
	struct pairs *p = ctx;

	CU_ASSERT(a < b);
	CU_ASSERT(dist >= 0 && dist <= 31);
	p->v[2 * p->n] = a;
	p->v[2 * p->n + 1] = b;
	p->n++;
	return 0;
}

static int
cmp_pair(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* The bucket self-join reports each pair within the radius exactly once. */
static void
test_selfjoin(void)
{
	const uint32_t n = 3000;
	uint8_t *codes = malloc((size_t)n * 32);
	struct dedup_mih m = { 0 };
	struct pairs p = { malloc(sizeof(uint32_t) * 2 * 200000), 0 };
	int radii[] = { 15, 31 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(codes);
	for (uint32_t i = 0; i < n; i++) {
		random_code(codes + (size_t)i * 32);
		if (i % 3 != 0) {
			memcpy(codes + (size_t)i * 32, codes + (size_t)(i - i % 3) * 32, 32);
			flip(codes + (size_t)i * 32, (int)(next() % 40));
		}
	}
	CU_ASSERT_EQUAL_FATAL(dedup_mih_build(&m, codes, n, 0), 0);
	for (size_t r = 0; r < 2; r++) {
		size_t want = 0, k = 0;

		p.n = 0;
		CU_ASSERT_EQUAL_FATAL(dedup_mih_selfjoin(&m, radii[r], take_pair, &p), 0);
		qsort(p.v, p.n, 2 * sizeof(uint32_t), cmp_pair);
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = i + 1; j < n; j++) {
				if (dedup_hamming256(codes + (size_t)i * 32,
						     codes + (size_t)j * 32) > radii[r])
					continue;
				want++;
				if (k < p.n && p.v[2 * k] == i && p.v[2 * k + 1] == j)
					k++;
			}
		CU_ASSERT_EQUAL(p.n, want);
		CU_ASSERT_EQUAL(k, want);
		CU_ASSERT(want > 500);
	}
	CU_ASSERT_EQUAL(dedup_mih_selfjoin(&m, 32, take_pair, &p), -EINVAL);
	dedup_mih_release(&m);
	free(codes);
	free(p.v);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	wn_log_init("test-mih", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("mih", NULL, NULL);
	CU_add_test(s, "hamming and complement", test_hamming);
	CU_add_test(s, "same hits as a linear scan", test_exact_vs_linear);
	CU_add_test(s, "bucket cap", test_bucket_cap);
	CU_add_test(s, "bucket self-join", test_selfjoin);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
