/*
 * test-img: lib/img.c decodes like an independent decoder (Pillow, whose pixel
 * hashes are in tests/data/img/expected.tsv), refuses hostile files, and crops,
 * resizes and converts correctly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lib/digest.h"
#include "lib/img.h"
#include "lib/log.h"
#include "lib/util.h"

static char datadir[4096];

static const char *
fixture(const char *name)
{
	static char path[8192];

	snprintf(path, sizeof(path), "%s/img/%s", datadir, name);
	return path;
}

static void
test_matches_pillow(void)
{
	FILE *f = fopen(fixture("expected.tsv"), "r");
	char line[512];
	int checked = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		char name[128], want[65], got[65];
		int w, h;
		struct wn_image img = { 0 };
		struct wn_img_opts o = { .channels = 3 };

		if (line[0] == '#' || sscanf(line, "%127s %d %d %64s", name, &w, &h, want) != 4)
			continue;
		CU_ASSERT_EQUAL_FATAL(wn_image_load_file(fixture(name), &o, &img), 0);
		CU_ASSERT_EQUAL(img.width, w);
		CU_ASSERT_EQUAL(img.height, h);
		CU_ASSERT_EQUAL(img.channels, 3);
		CU_ASSERT_EQUAL(wn_sha256_hex(img.px, (size_t)w * h * 3, got), 0);
		if (strcmp(got, want) != 0)
			fprintf(stderr, "\n%s: pixels differ from Pillow's\n", name);
		CU_ASSERT_STRING_EQUAL(got, want);
		wn_image_release(&img);
		checked++;
	}
	fclose(f);
	CU_ASSERT(checked >= 10);
}

static void
test_hostile(void)
{
	static const struct {
		const char *name;
		int err;
	} cases[] = {
		{ "truncated.jpg", -WN_ECORRUPT },
		{ "huge-header.png", -WN_ETOOBIG },
		{ "random.bin", -WN_EFORMAT },
		{ "empty.jpg", -WN_EFORMAT },
		{ "bad-crc.png", -WN_ECORRUPT },
		{ "no-such-file.png", -ENOENT },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct wn_image img = { 0 };
		int rc = wn_image_load_file(fixture(cases[i].name), NULL, &img);

		if (rc != cases[i].err)
			fprintf(stderr, "\n%s: got %d (%s)\n", cases[i].name, rc, wn_strerror(rc));
		CU_ASSERT_EQUAL(rc, cases[i].err);
		CU_ASSERT_PTR_NULL(img.px);
		CU_ASSERT(strlen(wn_strerror(rc)) > 0);
	}
}

static void
test_pixel_limit(void)
{
	struct wn_image img = { 0 };
	struct wn_img_opts o = { .channels = 3, .max_pixels = 1000 };

	CU_ASSERT_EQUAL(wn_image_load_file(fixture("big.jpg"), &o, &img), -WN_ETOOBIG);
	CU_ASSERT_EQUAL(wn_image_load_file(fixture("rgb.png"), &o, &img), -WN_ETOOBIG);
	o.max_pixels = 1651;	/* rgb.png is 50 x 33 = 1650 */
	CU_ASSERT_EQUAL(wn_image_load_file(fixture("rgb.png"), &o, &img), 0);
	wn_image_release(&img);
}

static void
test_dct_downscale(void)
{
	struct wn_image img = { 0 }, full = { 0 };
	struct wn_img_opts o = { .channels = 1, .min_side = 100 };

	CU_ASSERT_EQUAL_FATAL(wn_image_load_file(fixture("big.jpg"), &o, &img), 0);
	/* 1024 x 768: 1/4 keeps the short side at 192 >= 100, 1/8 would give 96 */
	CU_ASSERT_EQUAL(img.width, 256);
	CU_ASSERT_EQUAL(img.height, 192);
	CU_ASSERT_EQUAL(img.orig_width, 1024);
	CU_ASSERT_EQUAL(img.orig_height, 768);
	CU_ASSERT_EQUAL(img.channels, 1);
	o.min_side = 800;	/* larger than the image: full decode */
	CU_ASSERT_EQUAL_FATAL(wn_image_load_file(fixture("big.jpg"), &o, &full), 0);
	CU_ASSERT_EQUAL(full.width, 1024);
	/* the reduced decode is close to an area-downscaled full decode */
	{
		struct wn_image small = { 0 };
		double diff = 0;

		CU_ASSERT_EQUAL_FATAL(wn_image_resize_area(&full, 256, 192, &small), 0);
		for (size_t i = 0; i < 256 * 192; i++)
			diff += abs((int)small.px[i] - (int)img.px[i]);
		CU_ASSERT(diff / (256 * 192) < 3.0);
		wn_image_release(&small);
	}
	wn_image_release(&img);
	wn_image_release(&full);
}

static void
test_probe(void)
{
	char *data;
	size_t len;
	enum wn_img_format f;
	int w, h;

	CU_ASSERT_EQUAL_FATAL(wn_read_file(fixture("big.jpg"), 1 << 20, &data, &len), 0);
	CU_ASSERT_EQUAL(wn_img_probe((const uint8_t *)data, len, &f, &w, &h), 0);
	CU_ASSERT_EQUAL(f, WN_IMG_JPEG);
	CU_ASSERT_EQUAL(w, 1024);
	CU_ASSERT_EQUAL(h, 768);
	free(data);
	CU_ASSERT_EQUAL_FATAL(wn_read_file(fixture("huge-header.png"), 1 << 20, &data, &len), 0);
	CU_ASSERT_EQUAL(wn_img_probe((const uint8_t *)data, len, &f, &w, &h), 0);
	CU_ASSERT_EQUAL(w, 100000);
	free(data);
	CU_ASSERT_EQUAL(wn_img_probe((const uint8_t *)"GIF89a\x02\x00\x03\x00", 10, &f, &w, &h), 0);
	CU_ASSERT_EQUAL(f, WN_IMG_GIF);
	CU_ASSERT_EQUAL(w * 10 + h, 23);
	CU_ASSERT_EQUAL(wn_img_probe((const uint8_t *)"\xff\xd8\xff", 3, &f, &w, &h),
			-WN_ECORRUPT);
}

static void
test_geometry(void)
{
	struct wn_image src = { 0 }, c = { 0 }, r = { 0 }, g = { 0 };

	CU_ASSERT_EQUAL_FATAL(wn_image_load_file(fixture("rgb.png"), NULL, &src), 0);
	/* crop clamps to the image */
	CU_ASSERT_EQUAL_FATAL(wn_image_crop(&src, 40, 30, 100, 100, &c), 0);
	CU_ASSERT_EQUAL(c.width, 10);
	CU_ASSERT_EQUAL(c.height, 3);
	CU_ASSERT_EQUAL(memcmp(c.px, src.px + (30 * 50 + 40) * 3, 30), 0);
	CU_ASSERT_EQUAL(wn_image_crop(&src, 60, 0, 5, 5, &r), -EINVAL);
	/* 2x2 area average of a constant image is that constant */
	memset(src.px, 77, (size_t)src.width * src.height * 3);
	CU_ASSERT_EQUAL_FATAL(wn_image_resize_area(&src, 7, 5, &r), 0);
	for (int i = 0; i < 7 * 5 * 3; i++)
		CU_ASSERT_EQUAL(r.px[i], 77);
	/* grey uses Rec.601 luma */
	src.px[0] = 255;
	src.px[1] = 0;
	src.px[2] = 0;
	CU_ASSERT_EQUAL_FATAL(wn_image_to_grey(&src, &g), 0);
	CU_ASSERT_EQUAL(g.px[0], 76);	/* 0.299 * 255 */
	CU_ASSERT_EQUAL(g.px[1], 77);
	wn_image_release(&src);
	wn_image_release(&c);
	wn_image_release(&r);
	wn_image_release(&g);
	wn_image_release(NULL);
}

static void
test_grey_decode(void)
{
	struct wn_image rgb = { 0 }, grey = { 0 }, conv = { 0 };
	struct wn_img_opts o1 = { .channels = 1 };

	CU_ASSERT_EQUAL_FATAL(wn_image_load_file(fixture("rgba.png"), NULL, &rgb), 0);
	CU_ASSERT_EQUAL_FATAL(wn_image_load_file(fixture("rgba.png"), &o1, &grey), 0);
	CU_ASSERT_EQUAL_FATAL(wn_image_to_grey(&rgb, &conv), 0);
	CU_ASSERT_EQUAL(memcmp(grey.px, conv.px, (size_t)grey.width * grey.height), 0);
	wn_image_release(&rgb);
	wn_image_release(&grey);
	wn_image_release(&conv);
}

int
main(void)
{
	const char *d = getenv("TESTDATA");
	CU_pSuite s;
	unsigned nfail;

	snprintf(datadir, sizeof(datadir), "%s", d ? d : "tests/data");
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("img", NULL, NULL);
	CU_add_test(s, "decodes like Pillow", test_matches_pillow);
	CU_add_test(s, "hostile files", test_hostile);
	CU_add_test(s, "pixel limit before decode", test_pixel_limit);
	CU_add_test(s, "DCT-domain downscale", test_dct_downscale);
	CU_add_test(s, "header probe", test_probe);
	CU_add_test(s, "crop, resize, grey", test_geometry);
	CU_add_test(s, "grey decode = grey conversion", test_grey_decode);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
