/*
 * test-minhash.c: caption normalisation, boilerplate, shingles, MinHash and LSH.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "dedup/minhash.h"
#include "lib/log.h"

static char *
norm(const char *s)
{
	char *out = NULL;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(dedup_text_normalise(s, strlen(s), &out, &n), 0);
	CU_ASSERT_EQUAL(strlen(out), n);
	return out;
}

static void
test_normalise(void)
{
	struct {
		const char *in, *out;
	} t[] = {
		{ "RT @histo_lab: Beautiful  #dermpath case https://t.co/xyz \xf0\x9f\x94\xac",
		  "beautiful dermpath case" },
		{ "  Scale bar,\t50 \xc2\xb5m. ", "scale bar, 50 um." },
		{ "Email a@b.org stays", "email a@b.org stays" },
		{ "", "" },
		{ "\xff\xfe broken UTF-8", "\xff\xfe broken utf-8" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *o = norm(t[i].in);

		CU_ASSERT_STRING_EQUAL(o, t[i].out);
		free(o);
	}
}

static void
test_boilerplate(void)
{
	const char *bp[] = { "scale bar, 50 um.", "see text", "figure 2",
			     "scale bars = 100 um in all panels" };
	const char *ok[] = { "h&e stain of a cutaneous melanoma with pagetoid spread",
			     "immunohistochemistry for cd3 shows a dense t-cell infiltrate" };

	for (size_t i = 0; i < sizeof(bp) / sizeof(bp[0]); i++)
		CU_ASSERT_EQUAL(dedup_text_boilerplate(bp[i], strlen(bp[i])), 1);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CU_ASSERT_EQUAL(dedup_text_boilerplate(ok[i], strlen(ok[i])), 0);
}

static double
jac(const char *a, const char *b, uint32_t *sa, uint32_t *sb)
{
	uint64_t *x, *y;
	size_t nx, ny;
	double j;

	CU_ASSERT_EQUAL_FATAL(dedup_shingles(a, strlen(a), &x, &nx), 0);
	CU_ASSERT_EQUAL_FATAL(dedup_shingles(b, strlen(b), &y, &ny), 0);
	j = dedup_jaccard(x, nx, y, ny);
	dedup_minhash(x, nx, sa);
	dedup_minhash(y, ny, sb);
	free(x);
	free(y);
	return j;
}

static void
test_jaccard_minhash(void)
{
	uint32_t a[DEDUP_MH_PERMS], b[DEDUP_MH_PERMS];
	const char *s1 = "h&e stain of a cutaneous melanoma with pagetoid spread of atypical "
			 "melanocytes";
	const char *s2 = "h&e stain of a cutaneous melanoma with pagetoid spread of atypical "
			 "melanocytes.";
	const char *s3 = "gram stain of sputum showing gram-positive diplococci in pairs";
	double j;

	j = jac(s1, s1, a, b);
	CU_ASSERT_EQUAL(j, 1.0);
	CU_ASSERT_EQUAL(dedup_minhash_similarity(a, b), 1.0);
	j = jac(s1, s2, a, b);
	CU_ASSERT(j > 0.9 && j < 1.0);
	CU_ASSERT(dedup_minhash_similarity(a, b) > 0.75);
	j = jac(s1, s3, a, b);
	CU_ASSERT(j < 0.1);
	CU_ASSERT(dedup_minhash_similarity(a, b) < 0.25);
}

/* 200 texts in 40 families of near copies: LSH candidates include every pair
   with Jaccard >= 0.9 and few unrelated ones. */
static void
test_lsh(void)
{
	enum { N = 200 };
	uint32_t *sigs = malloc(sizeof(uint32_t) * DEDUP_MH_PERMS * N), *pairs = NULL;
	uint64_t *sh[N];
	size_t nsh[N], np = 0, skipped = 0, found = 0, want = 0, wrong = 0;
	char buf[512];

	for (int i = 0; i < N; i++) {
		int fam = i / 5, var = i % 5;

		snprintf(buf, sizeof(buf), "case %d: biopsy of lesion %d in patient cohort %d "
			 "showing features number %d and %d of the series %s", fam, fam * 7,
			 fam * 13, fam * 3, fam * 5, var == 4 ? "(revised)" : "");
		CU_ASSERT_EQUAL_FATAL(dedup_shingles(buf, strlen(buf), &sh[i], &nsh[i]), 0);
		dedup_minhash(sh[i], nsh[i], sigs + (size_t)i * DEDUP_MH_PERMS);
	}
	CU_ASSERT_EQUAL_FATAL(dedup_lsh_pairs(sigs, N, 0, &pairs, &np, &skipped), 0);
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (dedup_jaccard(sh[i], nsh[i], sh[j], nsh[j]) >= 0.9)
				want++;
	for (size_t p = 0; p < np; p++) {
		uint32_t i = pairs[2 * p], j = pairs[2 * p + 1];
		double jj = dedup_jaccard(sh[i], nsh[i], sh[j], nsh[j]);

		CU_ASSERT(i < j);
		if (p > 0)
			CU_ASSERT(pairs[2 * p - 2] != i || pairs[2 * p - 1] != j);
		if (jj >= 0.9)
			found++;
		if (jj < 0.5)
			wrong++;
	}
	CU_ASSERT(want >= 40 * 6);
	CU_ASSERT_EQUAL(found, want);
	CU_ASSERT(wrong <= np / 10);
	for (int i = 0; i < N; i++)
		free(sh[i]);
	free(sigs);
	free(pairs);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	wn_log_init("test-minhash", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("minhash", NULL, NULL);
	CU_add_test(s, "normalisation", test_normalise);
	CU_add_test(s, "boilerplate", test_boilerplate);
	CU_add_test(s, "jaccard and minhash", test_jaccard_minhash);
	CU_add_test(s, "LSH banding", test_lsh);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
