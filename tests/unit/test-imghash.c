/*
 * test-imghash: pHash, dHash and aHash equal Python imagehash 4.3's on the
 * stored goldens (--compat), bit order and hex, Pillow's LANCZOS and "L"
 * arithmetic on hand-checked cases, the area resize, and the fast mode
 * staying close to the compat values.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "dedup/hash-image.h"
#include "dedup/imghash.h"

static char testdata[4096];

static const char *
data_path(const char *name)
{
	static char p[8192];

	snprintf(p, sizeof(p), "%s/hash/%s", testdata, name);
	return p;
}

static int
popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

static void
test_hex_order(void)
{
	double grid[64] = { 0 }, dg[72] = { 0 };
	uint64_t v;
	char hex[17];

	/* only the first pixel bright: the first bit is the most significant */
	grid[0] = 255;
	CU_ASSERT_EQUAL(imghash_ahash_grid(grid), UINT64_C(0x8000000000000000));
	grid[0] = 0;
	grid[63] = 255;
	CU_ASSERT_EQUAL(imghash_ahash_grid(grid), UINT64_C(1));
	/* row 1, column 0: px[1][1] > px[1][0] is bit 8 from the top */
	dg[1 * 9 + 1] = 10;
	CU_ASSERT_EQUAL(imghash_dhash_grid(dg), UINT64_C(1) << (63 - 8));
	imghash_to_hex(UINT64_C(0xba8c84536bd3c366), hex);
	CU_ASSERT_STRING_EQUAL(hex, "ba8c84536bd3c366");
	imghash_to_hex(UINT64_C(0x0026273b2b19550e), hex);
	CU_ASSERT_STRING_EQUAL(hex, "0026273b2b19550e");	/* leading zeros kept */
	CU_ASSERT_EQUAL(imghash_from_hex("0026273B2B19550E", &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_C(0x0026273b2b19550e));
	CU_ASSERT_EQUAL(imghash_from_hex("0026273b2b19550", &v), -EINVAL);
	CU_ASSERT_EQUAL(imghash_from_hex("0026273b2b19550x", &v), -EINVAL);
}

/* Pillow's L: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16. */
static void
test_grey(void)
{
	const uint8_t px[] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 17, 17, 17, 255, 255, 255, 1, 2, 3 };
	struct imghash_grey g = { 0 };

	CU_ASSERT_EQUAL_FATAL(imghash_grey_from_pixels(px, 6, 1, 3, sizeof(px), &g), 0);
	CU_ASSERT_EQUAL(g.px[0], 76);
	CU_ASSERT_EQUAL(g.px[1], 150);
	CU_ASSERT_EQUAL(g.px[2], 29);
	CU_ASSERT_EQUAL(g.px[3], 17);
	CU_ASSERT_EQUAL(g.px[4], 255);
	CU_ASSERT_EQUAL(g.px[5], 2);
	imghash_grey_release(&g);
	CU_ASSERT_EQUAL(imghash_grey_from_pixels(px, 6, 1, 2, sizeof(px), &g), -EINVAL);
}

static void
test_lanczos(void)
{
	uint8_t in[40 * 30], out[32 * 32], same[40 * 30];
	int i, x, y;

	/* constant images stay constant (weights sum to 1 in fixed point) */
	memset(in, 77, sizeof(in));
	CU_ASSERT_EQUAL(imghash_resize_lanczos(in, 40, 30, out, 9, 8), 0);
	for (i = 0; i < 72; i++)
		CU_ASSERT_EQUAL(out[i], 77);
	CU_ASSERT_EQUAL(imghash_resize_lanczos(in, 40, 30, out, 32, 32), 0);	/* upsampling rows */
	for (i = 0; i < 32 * 32; i++)
		CU_ASSERT_EQUAL(out[i], 77);
	/* the same size is a copy */
	for (i = 0; i < 40 * 30; i++)
		in[i] = (uint8_t)(i * 7);
	CU_ASSERT_EQUAL(imghash_resize_lanczos(in, 40, 30, same, 40, 30), 0);
	CU_ASSERT_EQUAL(memcmp(in, same, sizeof(in)), 0);
	/* a step edge overshoots and is clipped (negative lobes), as Pillow */
	for (y = 0; y < 30; y++)
		for (x = 0; x < 40; x++)
			in[y * 40 + x] = x < 20 ? 0 : 255;
	CU_ASSERT_EQUAL(imghash_resize_lanczos(in, 40, 30, out, 8, 8), 0);
	CU_ASSERT_EQUAL(out[0], 0);
	CU_ASSERT_EQUAL(out[7], 255);
	CU_ASSERT(out[3] < out[4]);
	CU_ASSERT_EQUAL(imghash_resize_lanczos(in, 0, 30, out, 8, 8), -EINVAL);
}

static void
test_area(void)
{
	uint8_t in[6 * 4];
	double out[3 * 2];
	int i;

	for (i = 0; i < 24; i++)
		in[i] = (uint8_t)i;
	/* exact 2x2 blocks */
	CU_ASSERT_EQUAL(imghash_resize_area(in, 6, 4, out, 3, 2), 0);
	CU_ASSERT_DOUBLE_EQUAL(out[0], (0 + 1 + 6 + 7) / 4.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(out[5], (16 + 17 + 22 + 23) / 4.0, 1e-9);
	/* fractional coverage: 3 -> 2 along x, 1/1.5 + 0.5/1.5 */
	{
		uint8_t row[3] = { 0, 90, 180 };
		double o[2];

		CU_ASSERT_EQUAL(imghash_resize_area(row, 3, 1, o, 2, 1), 0);
		CU_ASSERT_DOUBLE_EQUAL(o[0], 30.0, 1e-9);
		CU_ASSERT_DOUBLE_EQUAL(o[1], 150.0, 1e-9);
	}
}

/* Every image of imagehash-golden.tsv: --compat equals imagehash bit for bit;
   fast mode close to it. */
static void
test_goldens(void)
{
	FILE *f = fopen(data_path("imagehash-golden.tsv"), "r");
	char line[512], name[256], ph[32], dh[32], ah[32];
	int n = 0, fast_far = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		struct hash_opts compat = { .mode = IMGHASH_COMPAT };
		struct hash_opts fast = { .mode = IMGHASH_FAST };
		struct hash_item a = { 0 }, b = { 0 };
		uint64_t p, d, av;

		if (line[0] == '#' || sscanf(line, "%255s %31s %31s %31s", name, ph, dh, ah) != 4 ||
		    strcmp(name, "file") == 0)
			continue;
		CU_ASSERT_EQUAL_FATAL(imghash_from_hex(ph, &p), 0);
		CU_ASSERT_EQUAL_FATAL(imghash_from_hex(dh, &d), 0);
		CU_ASSERT_EQUAL_FATAL(imghash_from_hex(ah, &av), 0);
		CU_ASSERT_EQUAL_FATAL(hash_file(data_path(name), &compat, NULL, 0, &a), 0);
		CU_ASSERT_EQUAL_FATAL(a.err, 0);
		if (a.img.ih.phash != p || a.img.ih.dhash != d || a.img.ih.ahash != av)
			fprintf(stderr, "%s: got %016llx %016llx %016llx\n", name,
				(unsigned long long)a.img.ih.phash,
				(unsigned long long)a.img.ih.dhash,
				(unsigned long long)a.img.ih.ahash);
		CU_ASSERT_EQUAL(a.img.ih.phash, p);
		CU_ASSERT_EQUAL(a.img.ih.dhash, d);
		CU_ASSERT_EQUAL(a.img.ih.ahash, av);
		CU_ASSERT_EQUAL_FATAL(hash_file(data_path(name), &fast, NULL, 0, &b), 0);
		CU_ASSERT_EQUAL_FATAL(b.err, 0);
		if (strstr(name, "grey16") == NULL && strstr(name, "-la.") == NULL &&
		    strstr(name, "-rgba.") == NULL && popcount64(b.img.ih.phash ^ p) > 10)
			fast_far++;
		hash_item_release(&a);
		hash_item_release(&b);
		n++;
	}
	fclose(f);
	CU_ASSERT(n >= 15);
	CU_ASSERT_EQUAL(fast_far, 0);
}

/* A panel box hashed from the image equals hashing the cropped file. */
static void
test_boxes(void)
{
	struct hash_opts o = { .mode = IMGHASH_COMPAT };
	struct hash_box boxes[3] = {
		{ 0, 0, 1600, 1004 },		/* the whole image */
		{ 100, 50, 400, 300 },
		{ 5000, 0, 10, 10 },		/* outside */
	};
	struct hash_item it = { 0 };

	CU_ASSERT_EQUAL_FATAL(hash_file(data_path("bridge-1-original.jpg"), &o, boxes, 3, &it), 0);
	CU_ASSERT_EQUAL_FATAL(it.err, 0);
	CU_ASSERT_EQUAL(it.nboxes, 3);
	CU_ASSERT_EQUAL(memcmp(&it.boxes[0].pdq, &it.img.pdq, sizeof(it.img.pdq)), 0);
	CU_ASSERT_STRING_EQUAL(it.boxes[0].pixel_sha256, it.img.pixel_sha256);
	CU_ASSERT_EQUAL(it.boxes[1].err, 0);
	CU_ASSERT(pdq_hamming(&it.boxes[1].pdq.hash, &it.img.pdq.hash) > 40);
	CU_ASSERT_EQUAL(it.boxes[2].err, -EINVAL);
	hash_item_release(&it);
}

/*
 * Fast mode: a panel that the scaled decode would leave under 128 pixels a
 * side is cut from a larger decode (here the full one), the image itself
 * from the scaled one.
 */
static void
test_small_panel(void)
{
	struct hash_opts o = { .mode = IMGHASH_FAST };
	struct hash_box box = { 300, 200, 200, 150 };
	struct wn_img_opts full = { .channels = 3 };
	struct wn_image img = { 0 }, crop = { 0 };
	struct hash_item it = { 0 };
	char want[65];
	int y;

	CU_ASSERT_EQUAL_FATAL(hash_file(data_path("bridge-1-original.jpg"), &o, &box, 1, &it), 0);
	CU_ASSERT_EQUAL_FATAL(it.err, 0);
	CU_ASSERT_EQUAL(it.dec_width, 800);		/* the image: scaled 1/2 */
	CU_ASSERT_EQUAL_FATAL(wn_image_load_file(data_path("bridge-1-original.jpg"), &full, &img), 0);
	crop = img;
	crop.width = box.w;
	crop.height = box.h;
	crop.px = malloc((size_t)box.w * box.h * 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(crop.px);
	for (y = 0; y < box.h; y++)
		memcpy(crop.px + (size_t)y * box.w * 3,
		       img.px + ((size_t)(box.y + y) * img.width + box.x) * 3, (size_t)box.w * 3);
	CU_ASSERT_EQUAL(hash_pixel_sha256(&crop, want), 0);
	CU_ASSERT_STRING_EQUAL(it.boxes[0].pixel_sha256, want);
	free(crop.px);
	wn_image_release(&img);
	hash_item_release(&it);
}

static void
test_errors(void)
{
	struct hash_opts o = { 0 };
	struct hash_item it = { 0 };
	const uint8_t junk[] = "not an image at all";
	const uint8_t trunc[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10 };

	CU_ASSERT_EQUAL(hash_file("/nonexistent/x.png", &o, NULL, 0, &it), 0);
	CU_ASSERT_EQUAL(it.err, -ENOENT);
	CU_ASSERT_EQUAL(it.have_sha256, 0);
	hash_item_release(&it);
	CU_ASSERT_EQUAL(hash_bytes(junk, sizeof(junk), &o, NULL, 0, &it), 0);
	CU_ASSERT(it.err < 0);
	CU_ASSERT_EQUAL(it.have_sha256, 1);
	hash_item_release(&it);
	CU_ASSERT_EQUAL(hash_bytes(trunc, sizeof(trunc), &o, NULL, 0, &it), 0);
	CU_ASSERT(it.err < 0);
	hash_item_release(&it);
	o.max_pixels = 1000;
	CU_ASSERT_EQUAL(hash_file(data_path("bridge-1-original.jpg"), &o, NULL, 0, &it), 0);
	CU_ASSERT(it.err < 0);
	hash_item_release(&it);
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
	s = CU_add_suite("imghash", NULL, NULL);
	CU_add_test(s, "bit order and hex", test_hex_order);
	CU_add_test(s, "Pillow L", test_grey);
	CU_add_test(s, "Pillow LANCZOS", test_lanczos);
	CU_add_test(s, "area resize", test_area);
	CU_add_test(s, "imagehash goldens", test_goldens);
	CU_add_test(s, "panel boxes", test_boxes);
	CU_add_test(s, "small panels, larger decode", test_small_panel);
	CU_add_test(s, "bad input", test_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
