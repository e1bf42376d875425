/*
 * test-pdq: PDQ against the published Java vector and stored goldens, the
 * hex and byte layouts, the dihedral hashes against hashing transformed
 * pixels, complements, quality and the degenerate cases.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "dedup/hash-image.h"
#include "dedup/pdq.h"
#include "lib/img.h"
#include "lib/util.h"

#define JAVA_BRIDGE \
	"f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"

static char testdata[4096];

static const char *
data_path(const char *name)
{
	static char p[8192];

	snprintf(p, sizeof(p), "%s/hash/%s", testdata, name);
	return p;
}

/* A deterministic smooth-plus-noise grey test image. */
static uint8_t *
make_image(int w, int h, uint32_t seed)
{
	uint8_t *px = malloc((size_t)w * h);
	uint32_t s = seed;
	int x, y;

	if (px == NULL)
		return NULL;
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			int v;

			s = s * 1664525u + 1013904223u;
			v = (x * 37 / w) * 3 + ((x / 7 + y / 5) % 4) * 20 +
			    (y * 90 / h) + (int)(s >> 28) * 4 +
			    ((x - w / 3) * (x - w / 3) + (y - h / 2) * (y - h / 2) <
			     (w * h) / 16 ? 60 : 0);
			px[(size_t)y * w + x] = (uint8_t)(v > 255 ? 255 : v);
		}
	}
	return px;
}

/* Rotate/flip an n x n grey image: the transform of dihedral index d. */
static void
transform(const uint8_t *in, uint8_t *out, int n, int d)
{
	int r, c;

	for (r = 0; r < n; r++) {
		for (c = 0; c < n; c++) {
			int sr, sc;

			switch (d) {
			case PDQ_ROT90:		/* counter-clockwise */
				sr = c; sc = n - 1 - r; break;
			case PDQ_ROT180:
				sr = n - 1 - r; sc = n - 1 - c; break;
			case PDQ_ROT270:
				sr = n - 1 - c; sc = r; break;
			case PDQ_FLIPX:		/* upside down */
				sr = n - 1 - r; sc = c; break;
			case PDQ_FLIPY:		/* mirror */
				sr = r; sc = n - 1 - c; break;
			case PDQ_FLIP_PLUS1:	/* transpose */
				sr = c; sc = r; break;
			case PDQ_FLIP_MINUS1:	/* anti-transpose */
				sr = n - 1 - c; sc = n - 1 - r; break;
			default:
				sr = r; sc = c; break;
			}
			out[(size_t)r * n + c] = in[(size_t)sr * n + sc];
		}
	}
}

static void
test_hex_bytes(void)
{
	struct pdq_hash h, g;
	uint8_t b[32];
	char hex[65];

	CU_ASSERT_EQUAL(pdq_from_hex(JAVA_BRIDGE, &h), 0);
	pdq_to_hex(&h, hex);
	CU_ASSERT_STRING_EQUAL(hex, JAVA_BRIDGE);
	/* word 15 prints first; bit 0 (DCT[1][1]) is the last hex digit's LSB */
	CU_ASSERT_EQUAL(h.w[15], 0xf8f8);
	CU_ASSERT_EQUAL(h.w[0], 0x9b22);
	CU_ASSERT_EQUAL(pdq_get_bit(&h, 0), 0);
	CU_ASSERT_EQUAL(pdq_get_bit(&h, 1), 1);
	CU_ASSERT_EQUAL(pdq_get_bit(&h, 255), 1);
	pdq_to_bytes(&h, b);
	CU_ASSERT_EQUAL(b[0], 0xf8);
	CU_ASSERT_EQUAL(b[31], 0x22);
	pdq_from_bytes(b, &g);
	CU_ASSERT_EQUAL(memcmp(&g, &h, sizeof(g)), 0);
	CU_ASSERT_EQUAL(pdq_hamming(&g, &h), 0);
	g.w[3] ^= 0x0101;
	CU_ASSERT_EQUAL(pdq_hamming(&g, &h), 2);
	CU_ASSERT_EQUAL(pdq_from_hex("f8f8", &g), -EINVAL);
	CU_ASSERT_EQUAL(pdq_from_hex("g8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
				     &g), -EINVAL);
}

static void
test_java_vector(void)
{
	struct hash_opts o = { .mode = IMGHASH_COMPAT };
	struct hash_item it = { 0 };
	char hex[65];

	CU_ASSERT_EQUAL_FATAL(hash_file(data_path("bridge-1-original.jpg"), &o, NULL, 0, &it), 0);
	CU_ASSERT_EQUAL_FATAL(it.err, 0);
	CU_ASSERT_EQUAL(it.dec_width, 1600);
	CU_ASSERT_EQUAL(it.dec_height, 1004);
	pdq_to_hex(&it.img.pdq.hash, hex);
	CU_ASSERT_STRING_EQUAL(hex, JAVA_BRIDGE);
	CU_ASSERT_EQUAL(it.img.pdq.quality, 100);
	CU_ASSERT_EQUAL(memcmp(&it.img.pdq.hash, &it.img.pdq.dihedral[PDQ_ORIG],
			       sizeof(struct pdq_hash)), 0);
	hash_item_release(&it);
}

/* Every file of pdq-golden.tsv hashes to its stored value in compat mode,
   and the fast mode stays within the reference's tolerance. */
static void
test_goldens(void)
{
	FILE *f = fopen(data_path("pdq-golden.tsv"), "r");
	char line[512], name[256], want[80];
	int q, n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		struct hash_opts compat = { .mode = IMGHASH_COMPAT };
		struct hash_opts fast = { .mode = IMGHASH_FAST };
		struct hash_item a = { 0 }, b = { 0 };
		struct pdq_hash w;
		char hex[65];

		if (sscanf(line, "%255s %79s %d", name, want, &q) != 3 ||
		    strcmp(name, "file") == 0)
			continue;
		CU_ASSERT_EQUAL_FATAL(pdq_from_hex(want, &w), 0);
		CU_ASSERT_EQUAL_FATAL(hash_file(data_path(name), &compat, NULL, 0, &a), 0);
		CU_ASSERT_EQUAL(a.err, 0);
		pdq_to_hex(&a.img.pdq.hash, hex);
		if (strcmp(hex, want) != 0)
			fprintf(stderr, "%s: got %s want %s\n", name, hex, want);
		CU_ASSERT_STRING_EQUAL(hex, want);
		CU_ASSERT_EQUAL(a.img.pdq.quality, q);
		CU_ASSERT_EQUAL_FATAL(hash_file(data_path(name), &fast, NULL, 0, &b), 0);
		CU_ASSERT_EQUAL(b.err, 0);
		/* alpha is composited in fast mode, ignored in compat mode, and
		   16-bit grey scaled rather than clipped */
		if (q >= 50 && strstr(name, "grey16") == NULL &&
		    strstr(name, "-la.") == NULL && strstr(name, "-rgba.") == NULL)
			CU_ASSERT(pdq_hamming(&b.img.pdq.hash, &w) <= 31);
		hash_item_release(&a);
		hash_item_release(&b);
		n++;
	}
	fclose(f);
	CU_ASSERT(n >= 10);
}

/*
 * The dihedral hashes derived from the DCT equal the hashes of the rotated and
 * flipped pixels.  On a 64x64 image there is no blur or decimation, so only
 * float summation order differs: allow a bit or two at the median.
 */
static void
test_dihedral(void)
{
	const int n = 64;
	uint8_t *img = make_image(n, n, 7), *t = malloc((size_t)n * n);
	struct pdq_result r, rt;
	int d, bits, k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(pdq_hash_pixels(img, n, n, 1, (size_t)n, &r), 0);
	for (bits = 0, k = 0; k < PDQ_BITS; k++)
		bits += pdq_get_bit(&r.hash, k);
	CU_ASSERT_EQUAL(bits, 128);	/* median threshold, no ties */
	for (d = 0; d < PDQ_NDIHEDRAL; d++) {
		transform(img, t, n, d);
		CU_ASSERT_EQUAL_FATAL(pdq_hash_pixels(t, n, n, 1, (size_t)n, &rt), 0);
		if (pdq_hamming(&rt.hash, &r.dihedral[d]) > 2)
			fprintf(stderr, "dihedral %d: distance %d\n", d,
				pdq_hamming(&rt.hash, &r.dihedral[d]));
		CU_ASSERT(pdq_hamming(&rt.hash, &r.dihedral[d]) <= 2);
		CU_ASSERT_EQUAL(rt.quality, r.quality);
	}
	/* and they are really different hashes */
	CU_ASSERT(pdq_hamming(&r.dihedral[PDQ_ROT90], &r.hash) > 64);
	free(img);
	free(t);
}

/* A larger, blurred and decimated image: dihedral close to rehashing. */
static void
test_dihedral_large(void)
{
	const int n = 301;
	uint8_t *img = make_image(n, n, 11), *t = malloc((size_t)n * n);
	struct pdq_result r, rt;
	int d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(pdq_hash_pixels(img, n, n, 1, (size_t)n, &r), 0);
	for (d = 0; d < PDQ_NDIHEDRAL; d++) {
		transform(img, t, n, d);
		CU_ASSERT_EQUAL_FATAL(pdq_hash_pixels(t, n, n, 1, (size_t)n, &rt), 0);
		CU_ASSERT(pdq_hamming(&rt.hash, &r.dihedral[d]) <= 16);
	}
	free(img);
	free(t);
}

static void
test_complement(void)
{
	const int n = 200;
	uint8_t *img = make_image(n, n, 3);
	struct pdq_result r, ri;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(img);
	CU_ASSERT_EQUAL_FATAL(pdq_hash_pixels(img, n, n, 1, (size_t)n, &r), 0);
	for (i = 0; i < n * n; i++)
		img[i] = (uint8_t)(255 - img[i]);
	CU_ASSERT_EQUAL_FATAL(pdq_hash_pixels(img, n, n, 1, (size_t)n, &ri), 0);
	CU_ASSERT(pdq_hamming(&r.hash, &ri.hash) >= 250);
	CU_ASSERT_EQUAL(r.quality, ri.quality);
	free(img);
}

static void
test_degenerate(void)
{
	uint8_t flat[100 * 80], tiny[4 * 40], rgb[3 * 6 * 6];
	struct pdq_result r;
	int k, bits = 0;

	memset(flat, 128, sizeof(flat));
	CU_ASSERT_EQUAL(pdq_hash_pixels(flat, 100, 80, 1, 100, &r), 0);
	CU_ASSERT_EQUAL(r.quality, 0);
	memset(tiny, 9, sizeof(tiny));
	CU_ASSERT_EQUAL(pdq_hash_pixels(tiny, 4, 40, 1, 4, &r), 0);
	for (k = 0; k < PDQ_BITS; k++)
		bits += pdq_get_bit(&r.hash, k);
	CU_ASSERT_EQUAL(bits, 0);
	CU_ASSERT_EQUAL(r.quality, 0);
	memset(rgb, 0, sizeof(rgb));
	CU_ASSERT_EQUAL(pdq_hash_pixels(rgb, 6, 6, 3, 18, &r), 0);
	CU_ASSERT_EQUAL(pdq_hash_pixels(rgb, 6, 6, 2, 18, &r), -EINVAL);
	CU_ASSERT_EQUAL(pdq_hash_pixels(rgb, 6, 6, 3, 10, &r), -EINVAL);
	CU_ASSERT_EQUAL(pdq_hash_pixels(NULL, 6, 6, 3, 18, &r), -EINVAL);
}

/* Grey pixels as 1 channel and as equal RGB give the same hash within the
   float rounding of the luma weights. */
static void
test_grey_rgb(void)
{
	const int w = 150, h = 97;
	uint8_t *g = make_image(w, h, 5), *c = malloc((size_t)w * h * 3);
	struct pdq_result a, b;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < w * h; i++)
		c[3 * i] = c[3 * i + 1] = c[3 * i + 2] = g[i];
	CU_ASSERT_EQUAL(pdq_hash_pixels(g, w, h, 1, (size_t)w, &a), 0);
	CU_ASSERT_EQUAL(pdq_hash_pixels(c, w, h, 3, (size_t)w * 3, &b), 0);
	CU_ASSERT(pdq_hamming(&a.hash, &b.hash) <= 2);
	free(g);
	free(c);
}

int
main(void)
{
	const char *td = getenv("TESTDATA");
	CU_pSuite s;
	int nfail;

	snprintf(testdata, sizeof(testdata), "%s", td ? td : "tests/data");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("pdq", NULL, NULL);
	CU_add_test(s, "hex and byte layout", test_hex_bytes);
	CU_add_test(s, "Java reference vector", test_java_vector);
	CU_add_test(s, "stored goldens", test_goldens);
	CU_add_test(s, "dihedral hashes, 64x64", test_dihedral);
	CU_add_test(s, "dihedral hashes, blurred", test_dihedral_large);
	CU_add_test(s, "inverted image", test_complement);
	CU_add_test(s, "degenerate inputs", test_degenerate);
	CU_add_test(s, "grey and RGB", test_grey_rgb);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
