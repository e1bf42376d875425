/*
 * fuzz-panels: the panel detector on hostile pixels and files, and the panel
 * model parser on hostile text.  The input is (1) parsed as a model file,
 * (2) decoded as an image and split, (3) taken as raw pixels of a small image
 * whose size and channels come from its first bytes, and split.  Each split
 * is done twice: alone, and with a caption's panel count taken from the
 * input (the page cut again at lower thresholds).  No global state, never
 * exits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/img.h"
#include "lib/panels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_PIXELS	((int64_t)1 << 20)

static void
split_it(const struct wn_panel_model *m, const struct wn_image *img, int want)
{
	struct wn_panel_set s = { 0 };
	size_t i;

	if ((want < 2 ? wn_panels_detect(m, img, &s) :
			wn_panels_detect_hint(m, img, want, &s)) != 0)
		return;
	/* every box lies inside the image, the set is never empty */
	if (s.n == 0 || s.n > WN_PANELS_MAX)
		abort();
	for (i = 0; i < s.n; i++)
		if (s.v[i].x < 0 || s.v[i].y < 0 || s.v[i].w <= 0 ||
		    s.v[i].h <= 0 || s.v[i].x + s.v[i].w > s.width ||
		    s.v[i].y + s.v[i].h > s.height ||
		    memchr(s.v[i].label, '\0', sizeof(s.v[i].label)) == NULL)
			abort();
	wn_panel_set_release(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wn_img_opts o = { .channels = 3, .min_side = 64,
				 .max_pixels = FUZZ_MAX_PIXELS };
	struct wn_panel_model *m = NULL, *fm = NULL;
	struct wn_image img = { 0 };
	int w, h, ch;
	size_t i, n;

	if (wn_panel_model_parse((const char *)data, size, &fm) == 0)
		wn_panel_model_free(fm);
	if (wn_panel_model_load(NULL, &m) != 0)
		return 0;
	if (wn_image_load_mem(data, size, &o, &img) == 0) {
		split_it(m, &img, 0);
		split_it(m, &img, 2 + (int)(size % 7));
		wn_image_release(&img);
	}
	if (size >= 4) {
		w = 1 + data[0] % 160;
		h = 1 + data[1] % 160;
		ch = data[2] & 1 ? 3 : 1;
		n = (size_t)w * h * ch;
		img.width = img.orig_width = w;
		img.height = img.orig_height = h;
		img.channels = ch;
		img.px = malloc(n);
		if (img.px != NULL) {
			/* the rest of the input, repeated, with runs of
			   background so that gutters appear */
			for (i = 0; i < n; i++) {
				uint8_t b = data[3 + i % (size - 3)];

				img.px[i] = (b & 0xc0) == 0xc0 ? 255 : b;
			}
			split_it(m, &img, 0);
			split_it(m, &img, 2 + data[3] % 7);
			free(img.px);
		}
	}
	wn_panel_model_free(m);
	return 0;
}
