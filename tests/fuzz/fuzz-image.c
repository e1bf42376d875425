/*
 * fuzz-image: image headers and decoding (JPEG, PNG, WebP, GIF) through
 * libwinnow's decoder in its three uses (full colour, grey, DCT-scaled) and
 * winnow-hash's Pillow-compatible decoder, then every hash of what decoded.
 * Pixel limits keep each input cheap; no global state, never exits.
 */
#include <stddef.h>
#include <stdint.h>

#include "dedup/hash-image.h"
#include "lib/img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PIXELS	((int64_t)1 << 20)

static void
hash_it(const struct wn_image *img)
{
	struct hash_value v;
	int rc;

	rc = hash_value_compute(img, IMGHASH_FAST, &v);
	rc |= hash_value_compute(img, IMGHASH_COMPAT, &v);
	if (rc == 0 && v.pdq.quality > 100)	/* keeps the results live */
		v.pdq.quality = 100;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wn_img_opts variants[] = {
		{ .channels = 3, .min_side = 0, .max_pixels = FUZZ_MAX_PIXELS },
		{ .channels = 1, .min_side = 0, .max_pixels = FUZZ_MAX_PIXELS },
		{ .channels = 3, .min_side = 16, .max_pixels = FUZZ_MAX_PIXELS },
	};
	struct wn_image img = { 0 };
	enum wn_img_format fmt;
	int w, h;
	size_t i;

	(void)wn_img_format_name(wn_img_sniff(data, size));
	if (wn_img_probe(data, size, &fmt, &w, &h) == 0 && (w < 0 || h < 0))
		return 0;
	(void)hash_source_is_grey(data, size);
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		if (wn_image_load_mem(data, size, &variants[i], &img) == 0) {
			if (i == 0)
				hash_it(&img);
			wn_image_release(&img);
		}
	}
	if (hash_decode_compat(data, size, FUZZ_MAX_PIXELS, &img) == 0) {
		hash_it(&img);
		wn_image_release(&img);
	}
	return 0;
}
