/*
 * test-panels.c: the panel detector, its model file, the glyph features and
 * the synthetic-figure generator.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "lib/img.h"
#include "lib/labels.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "lib/trees.h"
#include "split/synth.h"

static struct wn_panel_model *model;

static int
setup(void)
{
	return wn_panel_model_load(NULL, &model) < 0 ? -1 : 0;
}

static int
teardown(void)
{
	wn_panel_model_free(model);
	return 0;
}

static int
new_image(struct wn_image *img, int w, int h, int ch, uint8_t fill)
{
	memset(img, 0, sizeof(*img));
	img->width = img->orig_width = w;
	img->height = img->orig_height = h;
	img->channels = ch;
	img->px = malloc((size_t)w * h * ch);
	if (img->px == NULL)
		return -ENOMEM;
	memset(img->px, fill, (size_t)w * h * ch);
	return 0;
}

/* A textured block, as a micrograph looks to the detector. */
static void
paint_block(struct wn_image *img, int x, int y, int w, int h, uint32_t seed,
	    int lo, int hi)
{
	int i, j, c;

	for (i = y; i < y + h; i++)
		for (j = x; j < x + w; j++) {
			seed = seed * 1103515245u + 12345u;
			for (c = 0; c < img->channels; c++)
				img->px[((size_t)i * img->width + j) * img->channels + c] =
					(uint8_t)(lo + (seed >> 16) % (unsigned)(hi - lo));
		}
}

static int
near(int a, int b, int tol)
{
	return abs(a - b) <= tol;
}

/* Is there a panel within tol pixels of this box? */
static int
has_box(const struct wn_panel_set *s, int x, int y, int w, int h, int tol)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (near(s->v[i].x, x, tol) && near(s->v[i].y, y, tol) &&
		    near(s->v[i].w, w, tol) && near(s->v[i].h, h, tol))
			return 1;
	return 0;
}

/* Is there a panel overlapping this box by at least min IoU? */
static int
has_overlap(const struct wn_panel_set *s, int x, int y, int w, int h,
	    double min)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct wn_panel *p = &s->v[i];
		int ix = (p->x + p->w < x + w ? p->x + p->w : x + w) -
			 (p->x > x ? p->x : x);
		int iy = (p->y + p->h < y + h ? p->y + p->h : y + h) -
			 (p->y > y ? p->y : y);
		double in = ix > 0 && iy > 0 ? (double)ix * iy : 0;

		if (in / ((double)p->w * p->h + (double)w * h - in) >= min)
			return 1;
	}
	return 0;
}

static void
test_model_builtin(void)
{
	const char *v = wn_panel_model_version(model);

	CU_ASSERT_PTR_NOT_NULL_FATAL(model);
	CU_ASSERT_EQUAL(strncmp(v, "panels-1.0+", 11), 0);
	CU_ASSERT_EQUAL(strlen(v), 19);
	CU_ASSERT_STRING_EQUAL(wn_panel_model_version(NULL), "panels-none");
}

static void
test_model_bad(void)
{
	struct wn_panel_model *m = NULL;
	static const char junk[] = "winnow-panels-model 1\nfg_threshold x\n";

	CU_ASSERT_EQUAL(wn_panel_model_parse("", 0, &m), -WN_EFORMAT);
	CU_ASSERT_EQUAL(wn_panel_model_parse(junk, sizeof(junk) - 1, &m),
			-WN_EFORMAT);
	/* the shipped text cut in half is refused, not half-loaded */
	CU_ASSERT_EQUAL(wn_panel_model_parse(wn_panels_model_text,
					     wn_panels_model_len / 2, &m),
						  -WN_EFORMAT);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(wn_panel_model_load("/nonexistent/panels.model", &m),
			-ENOENT);
}

static void
test_model_roundtrip(void)
{
	struct wn_panel_model *m = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(wn_panel_model_write(model, f), 0);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(wn_panel_model_parse(text, len, &m), 0);
	/* the shipped model is what the writer wrote: same bytes, same hash */
	CU_ASSERT_STRING_EQUAL(wn_panel_model_version(m),
			       wn_panel_model_version(model));
	CU_ASSERT_EQUAL(len, wn_panels_model_len);
	wn_panel_model_free(m);
	free(text);
}

/* A model file from before the equal-parts features (32 cut weights) still
   loads; one with another count does not. */
static void
test_model_old(void)
{
	struct wn_panel_model *m = NULL;
	char *text = malloc(wn_panels_model_len + 1), *cut, *p;
	int k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memcpy(text, wn_panels_model_text, wn_panels_model_len);
	text[wn_panels_model_len] = '\0';
	cut = strstr(text, "\ncut 34\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
	memcpy(cut, "\ncut 32\n", 8);
	/* blank out the last two of the 34 weights */
	for (p = cut + 8, k = 0; k < 32; k++) {
		p += strspn(p, " \n");
		p += strcspn(p, " \n");
	}
	for (; *p != '\n' || p[1] != 'c'; p++)
		*p = ' ';
	CU_ASSERT_EQUAL(wn_panel_model_parse(text, strlen(text), &m), 0);
	wn_panel_model_free(m);
	m = NULL;
	memcpy(cut, "\ncut 33\n", 8);
	CU_ASSERT_EQUAL(wn_panel_model_parse(text, strlen(text), &m),
			-WN_EFORMAT);
	CU_ASSERT_PTR_NULL(m);
	free(text);
}

/* text with its "cut_trees N DEPTH" line replaced by line; a copy to free. */
static char *
with_trees_line(const char *text, const char *line)
{
	const char *at = strstr(text, "\ncut_trees "), *eol;
	char *out;

	if (at == NULL)
		return NULL;
	at++;
	eol = strchr(at, '\n');
	if (eol == NULL ||
	    (out = malloc(strlen(text) + strlen(line) + 2)) == NULL)
		return NULL;
	sprintf(out, "%.*s%s%s", (int)(at - text), text, line, eol);
	return out;
}

/* Give m, as part's trees, one stump on the constant feature 0 that puts every
   margin at -60: the two blocks of img must come out as one panel, from m
   and from m written (with a section "name 1 1") and read back.  Returns
   the text written, to free. */
static char *
check_veto(struct wn_panel_model *m, const struct wn_image *img,
	   enum wn_panels_part part, const char *name)
{
	struct wn_panel_model *m2 = NULL;
	struct wn_panel_set s = { 0 };
	struct wn_trees t;
	char *text = NULL, want[64];
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(wn_trees_alloc(&t, 1, 1), 0);
	t.feat[0] = 0;
	t.thr[0] = 0.5f;
	t.leaf[1] = -60;
	CU_ASSERT_EQUAL(wn_trees_eval(&t, (const float[]){ 1 }, 1), -60);
	CU_ASSERT_EQUAL(wn_trees_eval(&t, (const float[]){ 0 }, 1), 0);
	wn_panel_model_set_trees(m, part, &t);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(m, img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_FALSE(s.compound);
	wn_panel_set_release(&s);
	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(wn_panel_model_write(m, f), 0);
	fclose(f);
	snprintf(want, sizeof(want), "\n%s 1 1\n0 0.5 0 -60\n", name);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	CU_ASSERT_EQUAL_FATAL(wn_panel_model_parse(text, len, &m2), 0);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(m2, img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 1);
	wn_panel_set_release(&s);
	wn_panel_model_free(m2);
	return text;
}

/* Trees added to the margins of the separator, region and compound-or-
   single models: a tree that vetoes every cut, rejects every region or
   says single to every result leaves two blocks whole; it survives writing
   and reading; bad trees are refused. */
static void
test_model_trees(void)
{
	struct wn_panel_model *m = NULL, *m2 = NULL;
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	static const char *const bad_lines[] = {
		"cut_trees 1 1\n34 0.5 0 -60",
		"cut_trees 1 7\n0 0.5 0 -60",
		"cut_trees 2 1",
	};
	char *text, *bad;
	size_t k;

	CU_ASSERT_EQUAL_FATAL(wn_panel_model_parse(wn_panels_model_text,
						   wn_panels_model_len, &m), 0);
	CU_ASSERT_EQUAL_FATAL(new_image(&img, 400, 200, 3, 255), 0);
	paint_block(&img, 10, 10, 180, 180, 1, 20, 200);
	paint_block(&img, 210, 10, 180, 180, 2, 20, 200);
	wn_panel_model_set_trees(m, WN_PANELS_CUTS, NULL);
	wn_panel_model_set_trees(m, WN_PANELS_REGIONS, NULL);
	wn_panel_model_set_trees(m, WN_PANELS_FIGURE, NULL);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(m, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	wn_panel_set_release(&s);

	text = check_veto(m, &img, WN_PANELS_CUTS, "cut_trees");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* a feature past the separator's, too deep, a tree missing */
	for (k = 0; k < sizeof(bad_lines) / sizeof(bad_lines[0]); k++) {
		bad = with_trees_line(text, bad_lines[k]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
		CU_ASSERT_EQUAL(wn_panel_model_parse(bad, strlen(bad), &m2),
				-WN_EFORMAT);
		free(bad);
	}
	CU_ASSERT_PTR_NULL(m2);
	free(text);
	wn_panel_model_set_trees(m, WN_PANELS_CUTS, NULL);

	text = check_veto(m, &img, WN_PANELS_REGIONS, "leaf_trees");
	CU_ASSERT_PTR_NULL(strstr(text, "\ncut_trees"));
	free(text);
	wn_panel_model_set_trees(m, WN_PANELS_REGIONS, NULL);

	free(check_veto(m, &img, WN_PANELS_FIGURE, "figure_trees"));
	/* dropping the compound-or-single model drops its trees */
	wn_panel_model_set_figure(m, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(m, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	wn_panel_set_release(&s);
	wn_image_release(&img);
	wn_panel_model_free(m);
}

static void
test_grid(int black)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	int r, c, k = 0;

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 640, 440, 3, black ? 0 : 255), 0);
	for (r = 0; r < 2; r++)
		for (c = 0; c < 3; c++)
			paint_block(&img, 20 + c * 205, 20 + r * 205, 190, 190,
				    (uint32_t)(7 + k++), black ? 60 : 30,
				    black ? 250 : 200);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 6);
	CU_ASSERT_TRUE(s.compound);
	CU_ASSERT_EQUAL(s.width, 640);
	CU_ASSERT_EQUAL(s.height, 440);
	for (r = 0; r < 2; r++)
		for (c = 0; c < 3; c++)
			CU_ASSERT_TRUE(has_box(&s, 20 + c * 205, 20 + r * 205,
					       190, 190, 3));
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

static void
test_grid_white(void)
{
	test_grid(0);
}

static void
test_grid_black(void)
{
	test_grid(1);
}

/* A small line plot: L-shaped axes with ticks, and a rising curve; its
   content spans [x + 6, x + w) x [y, y + h - 6). */
static void
paint_plot(struct wn_image *img, int x, int y, int w, int h, int k)
{
	int i, j, c, t;

	for (i = y; i < y + h; i++)
		for (j = x; j < x + w; j++) {
			int on = (j >= x + 10 && j < x + 12 && i < y + h - 10) ||
				 (i >= y + h - 12 && i < y + h - 10 && j >= x + 10);

			for (t = 0; t < 5 && !on; t++)
				on = (i >= y + h - 10 && i < y + h - 6 &&
				      j == x + 10 + t * (w - 12) / 4) ||
				     (j >= x + 6 && j < x + 10 &&
				      i == y + t * (h - 12) / 4);
			/* the curve, two pixels thick, reaching the right edge */
			if (!on && j >= x + 12) {
				int cy = y + h - 14 - (int)((long)(j - x - 12) *
					 (h - 20 - 8 * (k % 3)) / (w - 12));

				on = i >= cy - 1 && i <= cy;
			}
			if (on)
				for (c = 0; c < img->channels; c++)
					img->px[((size_t)i * img->width + j) *
						img->channels + c] = 40;
		}
}

/* A 4 x 4 grid of line plots of 150 x 120, two pixels apart, from (10, 10). */
static int
plot_grid(struct wn_image *img)
{
	int r, c, rc = new_image(img, 640, 520, 3, 255);

	for (r = 0; rc == 0 && r < 4; r++)
		for (c = 0; c < 4; c++)
			paint_plot(img, 10 + c * 152, 10 + r * 122, 150, 120,
				   r * 4 + c);
	return rc;
}

/* Line plots in a regular grid, two pixels apart: too thin a gutter for the
   model alone, but the period tells. */
static void
test_plot_grid(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	int r, c, found = 0;

	CU_ASSERT_EQUAL_FATAL(plot_grid(&img), 0);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_TRUE(s.compound);
	CU_ASSERT_EQUAL(s.n, 16);
	for (r = 0; r < 4; r++)
		for (c = 0; c < 4; c++)
			found += has_box(&s, 16 + c * 152, 10 + r * 122, 144,
					 114, 3);
	CU_ASSERT_EQUAL(found, 16);
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

static int
same_sets(const struct wn_panel_set *a, const struct wn_panel_set *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->v[i].x != b->v[i].x || a->v[i].y != b->v[i].y ||
		    a->v[i].w != b->v[i].w || a->v[i].h != b->v[i].h ||
		    strcmp(a->v[i].label, b->v[i].label) != 0)
			return 0;
	return 1;
}

/* The caption's panel count: no count, or one the image already meets,
   changes nothing; a larger one never loses panels and never gives more
   than one over it. */
static void
test_hint(void)
{
	static const int wants[] = { 0, 1, 2, 4, 16, 17, 40 };
	struct wn_image img;
	struct wn_panel_set plain = { 0 };
	size_t k;

	CU_ASSERT_EQUAL_FATAL(plot_grid(&img), 0);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &plain), 0);
	for (k = 0; k < sizeof(wants) / sizeof(wants[0]); k++) {
		struct wn_panel_set s = { 0 };

		CU_ASSERT_EQUAL_FATAL(wn_panels_detect_hint(model, &img,
							    wants[k], &s), 0);
		if (wants[k] <= (int)plain.n) {
			CU_ASSERT_TRUE(same_sets(&s, &plain));
		} else {
			CU_ASSERT_TRUE(s.n >= plain.n &&
				       (int)s.n <= wants[k] + 1);
		}
		wn_panel_set_release(&s);
	}
	wn_panel_set_release(&plain);
	wn_image_release(&img);
}

/* The same grid with a legend line drawn across its last row, which blocks
   that row's gutters: its cells are still found where the grid puts them. */
static void
test_plot_grid_legend(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	int r, c, found = 0;

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 640, 540, 3, 255), 0);
	for (r = 0; r < 4; r++)
		for (c = 0; c < 4; c++)
			paint_plot(&img, 10 + c * 152, 10 + r * 122, 150, 120,
				   r * 4 + c);
	paint_block(&img, 40, 480, 560, 6, 31, 20, 120);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 16);
	for (r = 0; r < 4; r++)
		for (c = 0; c < 4; c++)
			found += has_overlap(&s, 16 + c * 152, 10 + r * 122, 144,
					     114, 0.6);
	CU_ASSERT_EQUAL(found, 16);
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

/* A tick label reaching into the next plot closes one gutter of one row:
   that row is split where the other rows end their cells. */
static void
test_plot_grid_touching(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	int r, c, found = 0;

	CU_ASSERT_EQUAL_FATAL(plot_grid(&img), 0);
	paint_block(&img, 156, 10 + 2 * 122 + 50, 16, 8, 41, 20, 120);
	paint_block(&img, 308, 10 + 2 * 122 + 50, 16, 8, 42, 20, 120);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 16);
	for (r = 0; r < 4; r++)
		for (c = 0; c < 4; c++)
			found += has_overlap(&s, 16 + c * 152, 10 + r * 122, 144,
					     114, 0.75);
	CU_ASSERT_EQUAL(found, 16);
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

/* Three scans of one size side by side on black, with a thin bright rule
   between them: each a disc of tissue, touching the next at the rule. */
static void
test_three_scans(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	int k, x, y, found = 0;

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 604, 200, 3, 0), 0);
	for (k = 0; k < 3; k++) {
		uint32_t seed = (uint32_t)(51 + k);

		for (y = 0; y < 200; y++)
			for (x = 0; x < 200; x++) {
				int dx = x - 100, dy = y - 100 - 10 * k;
				uint8_t *p = img.px + ((size_t)y * 604 + k * 202 +
						       x) * 3;

				seed = seed * 1103515245u + 12345u;
				if (dx * dx + dy * dy < 85 * 85)
					p[0] = p[1] = p[2] = (uint8_t)(60 +
						(seed >> 16) % 160u);
			}
		/* the scanner's annotation in the corner */
		paint_block(&img, k * 202 + 4, 4, 30, 6, (uint32_t)(61 + k),
			    150, 250);
	}
	for (y = 0; y < 200; y++)
		for (k = 1; k < 3; k++) {
			memset(img.px + ((size_t)y * 604 + k * 202 - 2) * 3,
			       230, 6);
		}
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 3);
	for (k = 0; k < 3; k++)
		found += has_overlap(&s, k * 202, 0, 200, 200, 0.6);
	CU_ASSERT_EQUAL(found, 3);
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

/* A bar chart's rotated category label, cut off under its axis by a thin
   gutter, stays with the chart. */
static void
test_appendage(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 640, 320, 3, 255), 0);
	paint_block(&img, 20, 20, 290, 220, 21, 20, 200);
	paint_block(&img, 24, 244, 50, 60, 22, 20, 200);
	paint_block(&img, 330, 20, 290, 220, 23, 20, 200);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_TRUE(has_box(&s, 20, 20, 290, 284, 3));
	CU_ASSERT_TRUE(has_box(&s, 330, 20, 290, 220, 3));
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

/* A DCT-reduced decode reports the original size; boxes must follow it. */
static void
test_scaled_coordinates(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 400, 200, 3, 255), 0);
	paint_block(&img, 10, 10, 180, 180, 1, 20, 200);
	paint_block(&img, 210, 10, 180, 180, 2, 20, 200);
	img.orig_width = 1600;
	img.orig_height = 800;
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.width, 1600);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_TRUE(has_box(&s, 40, 40, 720, 720, 8));
	CU_ASSERT_TRUE(has_box(&s, 840, 40, 720, 720, 8));
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

/* Two scans touching, with a thin white rule between them, on black. */
static void
test_rule_between_images(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	float feat[WN_PANELS_FIG_NF];
	int y;

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 420, 220, 3, 0), 0);
	paint_block(&img, 10, 10, 198, 200, 11, 20, 200);
	paint_block(&img, 210, 10, 200, 200, 12, 20, 200);
	for (y = 10; y < 210; y++)
		memset(img.px + ((size_t)y * 420 + 208) * 3, 250, 6);
	/* the separation itself, before the compound-or-single decision */
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect_ex(model, &img, &s, feat), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_TRUE(has_box(&s, 10, 10, 198, 200, 3));
	CU_ASSERT_TRUE(has_box(&s, 210, 10, 200, 200, 3));
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

static void
expect_single(struct wn_image *img)
{
	struct wn_panel_set s = { 0 };

	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_FALSE(s.compound);
	if (s.n == 1) {
		CU_ASSERT_TRUE(s.v[0].x >= 0 && s.v[0].y >= 0);
		CU_ASSERT_TRUE(s.v[0].x + s.v[0].w <= img->orig_width);
		CU_ASSERT_TRUE(s.v[0].y + s.v[0].h <= img->orig_height);
		CU_ASSERT_TRUE(s.v[0].w > 0 && s.v[0].h > 0);
	}
	wn_panel_set_release(&s);
}

static void
test_blank_tiny_single(void)
{
	struct wn_image img;
	int sizes[][2] = { { 1, 1 }, { 2, 5 }, { 15, 300 }, { 300, 200 } };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(new_image(&img, sizes[i][0], sizes[i][1],
						3, 255), 0);
		expect_single(&img);		/* blank */
		paint_block(&img, 0, 0, sizes[i][0], sizes[i][1], 3, 0, 255);
		expect_single(&img);		/* noise filling the frame */
		wn_image_release(&img);
	}
	/* one photo on a white page */
	CU_ASSERT_EQUAL_FATAL(new_image(&img, 500, 400, 3, 255), 0);
	paint_block(&img, 40, 30, 400, 330, 9, 20, 220);
	expect_single(&img);
	wn_image_release(&img);
}

static void
test_grey_and_invalid(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };

	CU_ASSERT_EQUAL_FATAL(new_image(&img, 300, 120, 1, 255), 0);
	paint_block(&img, 5, 5, 130, 110, 4, 0, 180);
	paint_block(&img, 165, 5, 130, 110, 5, 0, 180);
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	wn_panel_set_release(&s);
	CU_ASSERT_EQUAL(wn_panels_detect(NULL, &img, &s), -EINVAL);
	CU_ASSERT_EQUAL(wn_panels_detect(model, NULL, &s), -EINVAL);
	img.channels = 4;
	CU_ASSERT_EQUAL(wn_panels_detect(model, &img, &s), -EINVAL);
	img.channels = 1;
	img.width = 0;
	CU_ASSERT_EQUAL(wn_panels_detect(model, &img, &s), -EINVAL);
	img.width = 300;
	wn_image_release(&img);
	wn_panel_set_release(NULL);
	wn_panel_model_free(NULL);
}

static void
test_glyph_features(void)
{
	uint8_t bits[20 * 10];
	float f[WN_LABELS_NIN], sum = 0;
	int i;

	/* an "L": a stem and a foot, 20 tall, 10 wide */
	memset(bits, 0, sizeof(bits));
	for (i = 0; i < 20; i++)
		bits[i * 10 + 0] = bits[i * 10 + 1] = 1;
	for (i = 0; i < 10; i++)
		bits[19 * 10 + i] = bits[18 * 10 + i] = 1;
	wn_labels_glyph_features(bits, 10, 0, 0, 10, 20, f);
	for (i = 0; i < WN_LABELS_SIDE * WN_LABELS_SIDE; i++) {
		CU_ASSERT_TRUE(f[i] >= 0 && f[i] <= 1);
		sum += f[i];
	}
	CU_ASSERT_TRUE(sum > 10);
	CU_ASSERT_TRUE(f[WN_LABELS_SIDE * WN_LABELS_SIDE] < 0);	/* taller than wide */
	/* the stem is at the left of the centred glyph, nothing at the right */
	CU_ASSERT_TRUE(f[5 * WN_LABELS_SIDE + 4] > 0.5f);
	CU_ASSERT_TRUE(f[5 * WN_LABELS_SIDE + 11] == 0);
	/* empty boxes give zeros, not a crash */
	wn_labels_glyph_features(bits, 10, 0, 0, 0, 0, f);
	CU_ASSERT_TRUE(f[0] == 0);
}

static void
test_labels_read(void)
{
	struct wn_image img;
	struct wn_panel_set s = { 0 };
	int found = 0;
	size_t i;

	/* the fixture with letters A-D above its four images */
	if (getenv("TESTDATA") == NULL)
		return;
	{
		char path[4096];
		struct wn_img_opts o = { .channels = 3 };

		snprintf(path, sizeof(path), "%s/panels/grid-2x2.png",
			 getenv("TESTDATA"));
		CU_ASSERT_EQUAL_FATAL(wn_image_load_file(path, &o, &img), 0);
	}
	CU_ASSERT_EQUAL_FATAL(wn_panels_detect(model, &img, &s), 0);
	CU_ASSERT_EQUAL(s.n, 4);
	for (i = 0; i < s.n; i++) {
		char want = (char)('A' + (s.v[i].y > 200) * 2 + (s.v[i].x > 300));

		found += s.v[i].label[0] == want && s.v[i].label[1] == '\0';
	}
	CU_ASSERT_EQUAL(found, 4);
	wn_panel_set_release(&s);
	wn_image_release(&img);
}

static void
test_synth(void)
{
	struct synth_pool *pool = NULL;
	struct synth_figure a = { 0 }, b = { 0 };
	char dir[4096];
	int seed, same, differ = 0;
	size_t i;

	if (getenv("TESTDATA") == NULL)
		return;
	snprintf(dir, sizeof(dir), "%s/train", getenv("TESTDATA"));
	CU_ASSERT_EQUAL_FATAL(synth_pool_load(dir, &pool), 0);
	CU_ASSERT_TRUE(synth_pool_size(pool) >= 20);
	for (seed = 1; seed <= 6; seed++) {
		CU_ASSERT_EQUAL_FATAL(synth_figure_make(pool, (uint64_t)seed, &a), 0);
		CU_ASSERT_EQUAL_FATAL(synth_figure_make(pool, (uint64_t)seed, &b), 0);
		/* the same seed gives the same figure */
		CU_ASSERT_EQUAL(a.img.width, b.img.width);
		CU_ASSERT_EQUAL(a.img.height, b.img.height);
		CU_ASSERT_EQUAL(a.nunits, b.nunits);
		same = a.img.width == b.img.width && a.img.height == b.img.height &&
		       memcmp(a.img.px, b.img.px,
			      (size_t)a.img.width * a.img.height * 3) == 0;
		CU_ASSERT_TRUE(same);
		CU_ASSERT_TRUE(a.nunits >= 1 && a.nunits <= SYNTH_MAX_UNITS);
		for (i = 0; i < a.nunits; i++) {
			const struct wn_panels_box *u = &a.units[i];

			CU_ASSERT_TRUE(u->x >= 0 && u->y >= 0 && u->w > 0 && u->h > 0);
			CU_ASSERT_TRUE(u->x + u->w <= a.img.width);
			CU_ASSERT_TRUE(u->y + u->h <= a.img.height);
		}
		synth_figure_release(&b);
		CU_ASSERT_EQUAL_FATAL(synth_figure_make(pool, (uint64_t)seed + 100,
							&b), 0);
		differ += a.img.width != b.img.width || a.nunits != b.nunits;
		synth_figure_release(&a);
		synth_figure_release(&b);
	}
	CU_ASSERT_TRUE(differ >= 3);
	synth_pool_free(pool);
	CU_ASSERT_EQUAL(synth_pool_load("/nonexistent", &pool), -ENOENT);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	wn_log_init("test-panels", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("panels", setup, teardown);
	if (s == NULL ||
	    !CU_add_test(s, "shipped model", test_model_builtin) ||
	    !CU_add_test(s, "bad model files", test_model_bad) ||
	    !CU_add_test(s, "model round trip", test_model_roundtrip) ||
	    !CU_add_test(s, "model of 32 cut weights", test_model_old) ||
	    !CU_add_test(s, "trees on the three models", test_model_trees) ||
	    !CU_add_test(s, "caption's panel count", test_hint) ||
	    !CU_add_test(s, "grid on white", test_grid_white) ||
	    !CU_add_test(s, "grid on black", test_grid_black) ||
	    !CU_add_test(s, "grid of plots, thin gutters", test_plot_grid) ||
	    !CU_add_test(s, "grid of plots, legend across a row",
			 test_plot_grid_legend) ||
	    !CU_add_test(s, "grid of plots, a row without gutters",
			 test_plot_grid_touching) ||
	    !CU_add_test(s, "three scans, rules between", test_three_scans) ||
	    !CU_add_test(s, "label under a chart", test_appendage) ||
	    !CU_add_test(s, "reduced decode", test_scaled_coordinates) ||
	    !CU_add_test(s, "rule between touching images",
			 test_rule_between_images) ||
	    !CU_add_test(s, "blank, tiny, single", test_blank_tiny_single) ||
	    !CU_add_test(s, "grey and invalid input", test_grey_and_invalid) ||
	    !CU_add_test(s, "glyph features", test_glyph_features) ||
	    !CU_add_test(s, "labels read", test_labels_read) ||
	    !CU_add_test(s, "synthetic figures", test_synth)) {
		CU_cleanup_registry();
		return 99;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
