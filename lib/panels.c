/*
 * panels.c: compound-figure separation by scored recursive XY cuts.
 *
 * 1. The figure is reduced so that its long side is at most WORK_SIDE, and a
 *    foreground mask marks every pixel that differs from the background colour
 *    (the most common colour of the border).
 * 2. Printed letters standing free on the background are read (labels.c) and
 *    erased from the mask, so that they block no gutter.  Thin rules of one
 *    colour between touching images (scans side by side) are cut first,
 *    without the model.
 * 3. In a region (trimmed to its content), every run of empty rows or columns
 *    (a gutter) and every thin full-length line is a candidate separator.  A
 *    logistic model plus a sum of small boosted trees (trees.c, for what
 *    matters only in combination: a middling gutter between dense parts)
 *    scores each from its geometry: gutter width absolute and
 *    relative to the region's other gutters, the size, density and extent of
 *    the parts on both sides.  The axis with the best candidate is cut at all
 *    its candidates scoring above the threshold, and the parts recurse.
 *    Separators that fall at one period (four or more aligned parts of equal
 *    extent and similar density: a grid of plots with gutters of a pixel or
 *    two) are cut whatever the model says, and once the cuts are done, the
 *    cell boundaries of a grid's other rows (columns) split the cells of a
 *    row (column) whose gutters a tick label or legend closes.
 * 4. Final regions are classified: a lone glyph becomes a panel label,
 *    fragments (axis titles, tick labels, legends cut off by a gutter) join
 *    the nearest panel, titles far away and specks are dropped; a second
 *    logistic model, with boosted trees too, decides what is a panel on its
 *    own; a small panel-like
 *    region right against a panel's edge and within its span (category
 *    labels under a bar chart) joins it.
 * 5. Panels take the letter printed nearest their top-left corner, outside,
 *    or inside (read against the corner's own background); gaps in the letter
 *    sequence are filled in reading order, unlettered units take the free
 *    letter that precedes them, and letters whose case cannot be told apart
 *    follow the figure's case.  The cells of a grid share the letter
 *    printed at its corner unless they are lettered one by one.
 * 6. A third logistic model, with boosted trees, looks at the whole result
 *    (panel count, coverage, alignment, straight image edges, letters found,
 *    the best top-level separator, a border of middle grey or colour rather
 *    than paper) and
 *    turns the accidental splits of a single image back into one panel; a
 *    figure where a regular grid was cut is compound.  A figure of one panel
 *    is the whole image, trimmed to its content only on a light page.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/digest.h"
#include "lib/img.h"
#include "lib/labels.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "lib/trees.h"

#define WORK_SIDE	1024
#define MAX_DEPTH	12
#define MAX_CANDS	512
#define MAX_LEAVES	(4 * WN_PANELS_MAX)
#define MODEL_MAX	(8u << 20)
#define GRID_MAX_RECTS	16
#define HINT_FIG_THRESHOLD 0.5f	/* compound decision when a caption names
				   several panels */

struct wn_panel_model {
	char version[64];
	float fg_threshold;
	float cut_w[WN_PANELS_CUT_NF];
	float cut_threshold;
	struct wn_trees cut_trees;	/* added to the cut margin; n 0: none */
	struct wn_trees leaf_trees;	/* added to the region margin */
	struct wn_trees fig_trees;	/* added to the compound margin */
	float leaf_w[WN_PANELS_LEAF_NF];
	float leaf_threshold;
	float label_threshold;
	float fig_w[WN_PANELS_FIG_NF];
	float fig_threshold;
	int has_fig;
	int no_rules;		/* the baseline: gutters only */
	struct wn_labels_model glyph;
	int has_glyph;
};

struct rect {
	int x0, y0, x1, y1;	/* half-open, working pixels */
};

struct cand {
	int g0, g1;		/* separator run along the axis */
	int line;		/* a drawn line, not a gutter */
	float feat[WN_PANELS_CUT_NF];
	float score;
};

struct leaf {
	struct rect r;
	float score;
	int is_label;
	char label[16];
	float label_p;
};

struct wn_panels_page {
	const struct wn_panel_model *m;
	int W, H;
	double sx, sy;		/* working -> original pixels */
	int ow, oh;		/* original size */
	uint8_t *mask;		/* owned: W * H, 1 = foreground */
	uint8_t *grey;		/* owned: W * H luma of the reduced figure */
	int32_t *ii;		/* owned: (W + 1) * (H + 1) integral of mask */
	int32_t *vi;		/* owned: integral of vertical-rule pixels */
	int32_t *hi;		/* owned: integral of horizontal-rule pixels */
	int rules_ready;	/* vi and hi built (on first need) */
	int bg_luma;		/* grey level of the background colour */
	int bg_light;		/* the background is paper, not a dark field */
	double norm;		/* 1000 / long side: per-mille units */
	struct leaf *leaves;	/* owned: up to MAX_LEAVES */
	size_t nleaves;
	float top_score;	/* best separator score of the whole figure */
	float cut_threshold;	/* the model's, or lower on a caption's hint */
	float fig_threshold;	/* the model's, or lower on a caption's hint */
	struct rect grids[GRID_MAX_RECTS];	/* regular grids cut */
	int ngrids;
	struct leaf *labels;	/* owned: free-standing letters found */
	size_t nlabels;
	/* training */
	const struct wn_panels_box *gt;
	size_t ngt;
	wn_panels_example_fn fn;
	void *ud;
	int err;
};

/* ---------- model ---------- */

static const char *
next_tok(const char **p, const char *end, size_t *ret_len)
{
	const char *s = *p, *t;

	while (s < end && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r'))
		s++;
	if (s < end && *s == '#') {
		while (s < end && *s != '\n')
			s++;
		*p = s;
		return next_tok(p, end, ret_len);
	}
	t = s;
	while (t < end && !(*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r'))
		t++;
	*p = t;
	*ret_len = (size_t)(t - s);
	return t > s ? s : NULL;
}

static int
tok_float(const char **p, const char *end, float *ret)
{
	char buf[64], *e;
	size_t n;
	const char *t = next_tok(p, end, &n);
	double v;

	if (t == NULL || n >= sizeof(buf))
		return -WN_EFORMAT;
	memcpy(buf, t, n);
	buf[n] = '\0';
	errno = 0;
	v = strtod(buf, &e);
	if (*e != '\0' || errno != 0 || !isfinite(v))
		return -WN_EFORMAT;
	*ret = (float)v;
	return 0;
}

static int
tok_int(const char **p, const char *end, int lo, int hi, int *ret)
{
	float f;
	int rc = tok_float(p, end, &f);

	if (rc < 0)
		return rc;
	if (f != floorf(f) || f < lo || f > hi)
		return -WN_EFORMAT;
	*ret = (int)f;
	return 0;
}

static int
tok_is(const char **p, const char *end, const char *word)
{
	size_t n;
	const char *t = next_tok(p, end, &n);

	return t != NULL && n == strlen(word) && memcmp(t, word, n) == 0;
}

static int
read_floats(const char **p, const char *end, float *v, int n)
{
	int i, rc;

	for (i = 0; i < n; i++)
		if ((rc = tok_float(p, end, &v[i])) < 0)
			return rc;
	return 0;
}

/* "N DEPTH", then per tree its tests (feature, threshold) and leaves. */
static int
read_trees(const char **p, const char *end, int nf, struct wn_trees *t)
{
	int n, depth, i, k, j, rc;
	size_t inner;

	if (tok_int(p, end, 0, WN_TREES_MAX, &n) < 0 ||
	    tok_int(p, end, 1, WN_TREES_MAX_DEPTH, &depth) < 0)
		return -WN_EFORMAT;
	if ((rc = wn_trees_alloc(t, n, depth)) < 0)
		return rc;
	inner = ((size_t)1 << depth) - 1;
	for (i = 0; i < n; i++) {
		for (k = 0; k < (int)inner; k++) {
			if (tok_int(p, end, 0, nf - 1, &j) < 0 ||
			    tok_float(p, end, &t->thr[i * inner + k]) < 0)
				return -WN_EFORMAT;
			t->feat[i * inner + k] = (uint8_t)j;
		}
		if (read_floats(p, end, t->leaf + i * (inner + 1),
				(int)inner + 1) < 0)
			return -WN_EFORMAT;
	}
	return 0;
}

/* An optional section "name N DEPTH ..." of trees: 0 if absent. */
static int
opt_trees(const char **p, const char *end, const char *name, int nf,
	  struct wn_trees *t)
{
	const char *q = *p;

	if (!tok_is(&q, end, name))
		return 0;
	*p = q;
	return read_trees(p, end, nf, t);
}

void
wn_panel_model_free(struct wn_panel_model *m)
{
	if (m == NULL)
		return;
	wn_labels_model_release(&m->glyph);
	wn_trees_release(&m->cut_trees);
	wn_trees_release(&m->leaf_trees);
	wn_trees_release(&m->fig_trees);
	free(m);
}

int
wn_panel_model_parse(const char *text, size_t len, struct wn_panel_model **ret)
{
	const char *p = text, *end = text + len, *q;
	struct wn_panel_model *m;
	uint8_t sha[WN_SHA256_LEN];
	int n, nin, nhid, nout, i, rc = -WN_EFORMAT;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	if (!tok_is(&p, end, "winnow-panels-model") || !tok_is(&p, end, "1"))
		goto out;
	if (!tok_is(&p, end, "fg_threshold") ||
	    tok_float(&p, end, &m->fg_threshold) < 0)
		goto out;
	/* models made before the equal-parts features have 32 cut weights:
	   theirs, with 0 for the new ones, score as they always did */
	if (!tok_is(&p, end, "cut") ||
	    tok_int(&p, end, 1, WN_PANELS_CUT_NF,
		    &n) < 0 || (n != WN_PANELS_CUT_NF && n != 32) ||
	    read_floats(&p, end, m->cut_w, n) < 0)
		goto out;
	if (!tok_is(&p, end, "cut_threshold") ||
	    tok_float(&p, end, &m->cut_threshold) < 0)
		goto out;
	if ((rc = opt_trees(&p, end, "cut_trees", WN_PANELS_CUT_NF,
			    &m->cut_trees)) < 0)
		goto out;
	rc = -WN_EFORMAT;
	if (!tok_is(&p, end, "leaf") ||
	    tok_int(&p, end, 1, WN_PANELS_LEAF_NF, &n) < 0 ||
	    n != WN_PANELS_LEAF_NF || read_floats(&p, end, m->leaf_w, n) < 0)
		goto out;
	if (!tok_is(&p, end, "leaf_threshold") ||
	    tok_float(&p, end, &m->leaf_threshold) < 0)
		goto out;
	if ((rc = opt_trees(&p, end, "leaf_trees", WN_PANELS_LEAF_NF,
			    &m->leaf_trees)) < 0)
		goto out;
	rc = -WN_EFORMAT;
	if (!tok_is(&p, end, "label_threshold") ||
	    tok_float(&p, end, &m->label_threshold) < 0)
		goto out;
	q = p;
	if (tok_is(&q, end, "figure")) {
		p = q;
		if (tok_int(&p, end, 1, WN_PANELS_FIG_NF, &n) < 0 ||
		    n != WN_PANELS_FIG_NF || read_floats(&p, end, m->fig_w,
							 n) < 0 ||
		    !tok_is(&p, end, "figure_threshold") ||
		    tok_float(&p, end, &m->fig_threshold) < 0)
			goto out;
		m->has_fig = 1;
		if ((rc = opt_trees(&p, end, "figure_trees", WN_PANELS_FIG_NF,
				    &m->fig_trees)) < 0)
			goto out;
		rc = -WN_EFORMAT;
	}
	q = p;
	if (!tok_is(&q, end, "glyph")) {
		q = NULL;
	} else {
		p = q;
		if (tok_int(&p, end, 1, 4096,
			    &nin) < 0 || nin != WN_LABELS_NIN ||
		    tok_int(&p, end, 1, WN_LABELS_MAX_HIDDEN, &nhid) < 0 ||
		    tok_int(&p, end, 2, WN_LABELS_MAX_CLASSES, &nout) < 0)
			goto out;
		if ((rc = wn_labels_model_alloc(&m->glyph, nin, nhid,
						nout)) < 0)
			goto out;
		rc = -WN_EFORMAT;
		m->has_glyph = 1;
		if (!tok_is(&p, end, "classes"))
			goto out;
		for (i = 0; i < nout; i++) {
			size_t tl;
			const char *t = next_tok(&p, end, &tl);

			if (t == NULL || tl >= sizeof(m->glyph.classes[0]))
				goto out;
			/* "-" stands for the reject class */
			if (!(tl == 1 && t[0] == '-'))
				memcpy(m->glyph.classes[i], t, tl);
		}
		if (!tok_is(&p, end, "w1") ||
		    read_floats(&p, end, m->glyph.w1, nin * nhid) < 0 ||
		    !tok_is(&p, end, "b1") ||
		    read_floats(&p, end, m->glyph.b1, nhid) < 0 ||
		    !tok_is(&p, end, "w2") ||
		    read_floats(&p, end, m->glyph.w2, nhid * nout) < 0 ||
		    !tok_is(&p, end, "b2") ||
		    read_floats(&p, end, m->glyph.b2, nout) < 0)
			goto out;
	}
	if (!tok_is(&p, end, "end"))
		goto out;
	if (wn_sha256(text, len, sha) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(m->version, sizeof(m->version),
		 "panels-1.0+%02x%02x%02x%02x", sha[0], sha[1], sha[2], sha[3]);
	*ret = m;
	m = NULL;
	rc = 0;
out:
	wn_panel_model_free(m);
	return rc;
}

int
wn_panel_model_load(const char *path, struct wn_panel_model **ret)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc;

	if (path == NULL)
		return wn_panel_model_parse(wn_panels_model_text,
					    wn_panels_model_len, ret);
	f = fopen(path, "rb");
	if (f == NULL)
		return -errno;
	for (;;) {
		if (len == cap) {
			char *nb;

			if (cap >= MODEL_MAX) {
				rc = -WN_ETOOBIG;
				goto out;
			}
			cap = cap ? 2 * cap : 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	rc = wn_panel_model_parse(buf, len, ret);
out:
	fclose(f);
	free(buf);
	return rc;
}

int
wn_panel_model_baseline(struct wn_panel_model **ret)
{
	struct wn_panel_model *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	/* cut at every gutter of 8 per mille or more, keep every region */
	snprintf(m->version, sizeof(m->version), "panels-baseline");
	m->fg_threshold = 24;
	m->cut_w[0] = -1;
	m->cut_w[21] = 2;
	m->cut_threshold = 0.5f;
	m->leaf_w[0] = 5;
	m->leaf_threshold = 0.5f;
	m->label_threshold = 1.1f;
	m->no_rules = 1;
	*ret = m;
	return 0;
}

const char *
wn_panel_model_version(const struct wn_panel_model *m)
{
	return m != NULL ? m->version : "panels-none";
}

float *
wn_panel_model_cut_weights(struct wn_panel_model *m)
{
	return m->cut_w;
}

void
wn_panel_model_set_cut_threshold(struct wn_panel_model *m, float t)
{
	m->cut_threshold = t;
}

static void
set_trees(struct wn_trees *to, struct wn_trees *t)
{
	wn_trees_release(to);
	if (t != NULL) {
		*to = *t;
		memset(t, 0, sizeof(*t));
	}
}

void
wn_panel_model_set_trees(struct wn_panel_model *m, enum wn_panels_part part,
			 struct wn_trees *t)
{
	set_trees(part == WN_PANELS_CUTS ? &m->cut_trees :
		  part == WN_PANELS_REGIONS ? &m->leaf_trees : &m->fig_trees, t);
}

void
wn_panel_model_set_figure(struct wn_panel_model *m, const float *w, float t)
{
	if (w == NULL) {
		m->has_fig = 0;
		set_trees(&m->fig_trees, NULL);
		return;
	}
	memcpy(m->fig_w, w, sizeof(m->fig_w));
	m->fig_threshold = t;
	m->has_fig = 1;
}

float *
wn_panel_model_leaf_weights(struct wn_panel_model *m)
{
	return m->leaf_w;
}

struct wn_labels_model *
wn_panel_model_glyphs(struct wn_panel_model *m)
{
	return m->has_glyph ? &m->glyph : NULL;
}

void
wn_panel_model_set_glyphs(struct wn_panel_model *m, struct wn_labels_model *g)
{
	wn_labels_model_release(&m->glyph);
	m->glyph = *g;
	memset(g, 0, sizeof(*g));
	m->has_glyph = 1;
}

static void
write_floats(FILE *f, const float *v, int n, int per_line)
{
	int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%.6g%c", v[i],
			(i + 1) % per_line == 0 || i + 1 == n ? '\n' : ' ');
}

static void
write_trees(FILE *f, const char *name, const struct wn_trees *t)
{
	size_t inner = ((size_t)1 << t->depth) - 1, k;
	int i;

	fprintf(f, "%s %d %d\n", name, t->n, t->depth);
	for (i = 0; i < t->n; i++) {
		for (k = 0; k < inner; k++)
			fprintf(f, "%d %.6g ", t->feat[i * inner + k],
				t->thr[i * inner + k]);
		write_floats(f, t->leaf + i * (inner + 1), (int)inner + 1,
			     (int)inner + 1);
	}
}

int
wn_panel_model_write(const struct wn_panel_model *m, FILE *f)
{
	const struct wn_labels_model *g = &m->glyph;
	int i;

	fprintf(f, "winnow-panels-model 1\n");
	fprintf(f, "fg_threshold %.6g\n", m->fg_threshold);
	fprintf(f, "cut %d\n", WN_PANELS_CUT_NF);
	write_floats(f, m->cut_w, WN_PANELS_CUT_NF, 8);
	fprintf(f, "cut_threshold %.6g\n", m->cut_threshold);
	if (m->cut_trees.n > 0)
		write_trees(f, "cut_trees", &m->cut_trees);
	fprintf(f, "leaf %d\n", WN_PANELS_LEAF_NF);
	write_floats(f, m->leaf_w, WN_PANELS_LEAF_NF, 8);
	fprintf(f, "leaf_threshold %.6g\n", m->leaf_threshold);
	if (m->leaf_trees.n > 0)
		write_trees(f, "leaf_trees", &m->leaf_trees);
	fprintf(f, "label_threshold %.6g\n", m->label_threshold);
	if (m->has_fig) {
		fprintf(f, "figure %d\n", WN_PANELS_FIG_NF);
		write_floats(f, m->fig_w, WN_PANELS_FIG_NF, 8);
		fprintf(f, "figure_threshold %.6g\n", m->fig_threshold);
		if (m->fig_trees.n > 0)
			write_trees(f, "figure_trees", &m->fig_trees);
	}
	if (m->has_glyph) {
		fprintf(f, "glyph %d %d %d\nclasses", g->nin, g->nhid, g->nout);
		for (i = 0; i < g->nout; i++)
			fprintf(f, " %s", g->classes[i][0] ? g->classes[i] : "-");
		fprintf(f, "\nw1\n");
		write_floats(f, g->w1, g->nin * g->nhid, 16);
		fprintf(f, "b1\n");
		write_floats(f, g->b1, g->nhid, 16);
		fprintf(f, "w2\n");
		write_floats(f, g->w2, g->nhid * g->nout, 16);
		fprintf(f, "b2\n");
		write_floats(f, g->b2, g->nout, 16);
	}
	fprintf(f, "end\n");
	return ferror(f) ? -EIO : 0;
}

/* ---------- page preparation ---------- */

static void build_integral(struct wn_panels_page *pg);
static void build_rule_integrals(struct wn_panels_page *pg);
static int find_free_labels(struct wn_panels_page *pg);

void
wn_panels_page_free(struct wn_panels_page *pg)
{
	if (pg == NULL)
		return;
	free(pg->mask);
	free(pg->grey);
	free(pg->ii);
	free(pg->vi);
	free(pg->hi);
	free(pg->leaves);
	free(pg->labels);
	free(pg);
}

static int
colour_bin(const uint8_t *p, int ch)
{
	return ch == 3 ? (p[0] >> 4) << 8 | (p[1] >> 4) << 4 | (p[2] >> 4)
		       : (p[0] >> 4) * 0x111;
}

/* Most common colour of the image border (4-bit bins), averaged. */
static void
border_colour(const uint8_t *px, int W, int H, int ch, int bg[3])
{
	uint32_t *hist = calloc(4096, sizeof(uint32_t));
	uint64_t sum[3] = { 0, 0, 0 }, cnt = 0;
	int x, y, c, best = 0, pass, b = W < 4 || H < 4 ? 1 : 2;

	if (hist == NULL) {
		bg[0] = bg[1] = bg[2] = 255;
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		for (y = 0; y < H; y++) {
			for (x = 0; x < W; x++) {
				const uint8_t *p;
				int q;

				if (y >= b && y < H - b && x == b && W - b > b)
					x = W - b;	/* skip the inside */
				p = px + ((size_t)y * W + x) * ch;
				q = colour_bin(p, ch);
				if (pass == 0) {
					hist[q]++;
				} else if (q == best) {
					for (c = 0; c < 3; c++)
						sum[c] += p[ch == 3 ? c : 0];
					cnt++;
				}
			}
		}
		for (c = 1; pass == 0 && c < 4096; c++)
			if (hist[c] > hist[best])
				best = c;
	}
	for (c = 0; c < 3; c++)
		bg[c] = cnt ? (int)(sum[c] / cnt) : 255;
	free(hist);
}

int
wn_panels_page_new(const struct wn_panel_model *m, const struct wn_image *img,
		   struct wn_panels_page **ret)
{
	struct wn_panels_page *pg;
	uint8_t *work = NULL;
	const uint8_t *src;
	int W, H, ch, x, y, bg[3], thr, rc;
	double f;

	if (img == NULL || img->px == NULL || img->width <= 0 ||
	    img->height <= 0 || (img->channels != 1 && img->channels != 3))
		return -EINVAL;
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL)
		return -ENOMEM;
	pg->m = m;
	pg->cut_threshold = m != NULL ? m->cut_threshold : 0.5f;
	pg->fig_threshold = m != NULL ? m->fig_threshold : 0.5f;
	ch = img->channels;
	pg->ow = img->orig_width > 0 ? img->orig_width : img->width;
	pg->oh = img->orig_height > 0 ? img->orig_height : img->height;
	f = 1.0;
	if (img->width > WORK_SIDE || img->height > WORK_SIDE)
		f = (double)WORK_SIDE / (img->width > img->height ?
					 img->width : img->height);
	W = (int)(img->width * f + 0.5);
	H = (int)(img->height * f + 0.5);
	if (W < 1)
		W = 1;
	if (H < 1)
		H = 1;
	src = img->px;
	if (W != img->width || H != img->height) {
		/* area reduction: each work pixel averages its source box */
		work = malloc((size_t)W * H * ch);
		if (work == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		for (y = 0; y < H; y++) {
			int sy0 = (int)((int64_t)y * img->height / H);
			int sy1 = (int)((int64_t)(y + 1) * img->height / H);

			if (sy1 <= sy0)
				sy1 = sy0 + 1;
			for (x = 0; x < W; x++) {
				int sx0 = (int)((int64_t)x * img->width / W);
				int sx1 = (int)((int64_t)(x + 1) * img->width / W);
				uint32_t acc[3] = { 0, 0, 0 };
				int yy, xx, c, n;

				if (sx1 <= sx0)
					sx1 = sx0 + 1;
				n = (sy1 - sy0) * (sx1 - sx0);
				for (yy = sy0; yy < sy1; yy++) {
					const uint8_t *p = img->px +
						((size_t)yy * img->width + sx0) * ch;

					for (xx = sx0; xx < sx1; xx++, p += ch)
						for (c = 0; c < ch; c++)
							acc[c] += p[c];
				}
				for (c = 0; c < ch; c++)
					work[((size_t)y * W + x) * ch + c] =
						(uint8_t)(acc[c] / n);
			}
		}
		src = work;
	}
	pg->W = W;
	pg->H = H;
	pg->sx = (double)pg->ow / W;
	pg->sy = (double)pg->oh / H;
	pg->norm = 1000.0 / (W > H ? W : H);
	pg->mask = malloc((size_t)W * H);
	pg->grey = malloc((size_t)W * H);
	pg->ii = calloc((size_t)(W + 1) * (H + 1), sizeof(int32_t));
	pg->vi = calloc((size_t)(W + 1) * (H + 1), sizeof(int32_t));
	pg->hi = calloc((size_t)(W + 1) * (H + 1), sizeof(int32_t));
	pg->leaves = calloc(MAX_LEAVES, sizeof(*pg->leaves));
	if (pg->mask == NULL || pg->grey == NULL || pg->ii == NULL ||
	    pg->vi == NULL || pg->hi == NULL || pg->leaves == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	border_colour(src, W, H, ch, bg);
	pg->bg_luma = ch == 3 ? (bg[0] * 299 + bg[1] * 587 + bg[2] * 114) / 1000
			      : bg[0];
	pg->bg_light = (ch == 3 ? (bg[0] * 299 + bg[1] * 587 + bg[2] * 114) / 1000
				: bg[0]) >= 160;
	thr = m != NULL ? (int)m->fg_threshold : 24;
	for (y = 0; y < H; y++) {
		const uint8_t *p = src + (size_t)y * W * ch;
		uint8_t *mk = pg->mask + (size_t)y * W;

		for (x = 0; x < W; x++, p += ch) {
			int d = abs(p[0] - bg[0]), c;

			if (ch == 3)
				for (c = 1; c < 3; c++)
					if (abs(p[c] - bg[c]) > d)
						d = abs(p[c] - bg[c]);
			mk[x] = d > thr;
			pg->grey[(size_t)y * W + x] = ch == 3 ?
				(uint8_t)((p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000)
				: p[0];
		}
	}
	build_integral(pg);
	/* printed letters standing free in the background become labels and
	   leave the mask, so that they block no gutter */
	if (m != NULL && m->has_glyph && W >= WN_PANELS_MIN_SIDE &&
	    H >= WN_PANELS_MIN_SIDE) {
		if ((rc = find_free_labels(pg)) < 0)
			goto fail;
		if (rc > 0)
			build_integral(pg);
	}
	free(work);
	*ret = pg;
	return 0;
fail:
	free(work);
	wn_panels_page_free(pg);
	return rc;
}

/* ---------- geometry helpers ---------- */

static inline int64_t
rsum(const struct wn_panels_page *pg, int x0, int y0, int x1, int y1)
{
	const int32_t *ii = pg->ii;
	size_t s = (size_t)pg->W + 1;

	return (int64_t)ii[y1 * s + x1] - ii[y0 * s + x1] - ii[y1 * s + x0] +
	       ii[y0 * s + x0];
}

static int
tolerance(int len)
{
	return len / 400;
}

/* Shrink r to its content; returns 0 if it holds none. */
static int
trim(const struct wn_panels_page *pg, struct rect *r)
{
	int tw = tolerance(r->x1 - r->x0), th;

	while (r->y0 < r->y1 && rsum(pg, r->x0, r->y0, r->x1, r->y0 + 1) <= tw)
		r->y0++;
	while (r->y1 > r->y0 && rsum(pg, r->x0, r->y1 - 1, r->x1, r->y1) <= tw)
		r->y1--;
	if (r->y0 >= r->y1)
		return 0;
	th = tolerance(r->y1 - r->y0);
	while (r->x0 < r->x1 && rsum(pg, r->x0, r->y0, r->x0 + 1, r->y1) <= th)
		r->x0++;
	while (r->x1 > r->x0 && rsum(pg, r->x1 - 1, r->y0, r->x1, r->y1) <= th)
		r->x1--;
	return r->x0 < r->x1;
}

/* Line i of r along axis (0: rows, 1: columns): foreground count. */
static int64_t
line_sum(const struct wn_panels_page *pg, const struct rect *r, int axis, int i)
{
	return axis == 0 ? rsum(pg, r->x0, i, r->x1, i + 1)
			 : rsum(pg, i, r->y0, i + 1, r->y1);
}

/* Line i of r along axis: pixels of thin rules across it. */
static int64_t
rule_sum(const struct wn_panels_page *pg, const struct rect *r, int axis, int i)
{
	const int32_t *ii = axis == 0 ? pg->hi : pg->vi;
	size_t s = (size_t)pg->W + 1;
	int x0, y0, x1, y1;

	if (axis == 0) {
		x0 = r->x0, x1 = r->x1, y0 = i, y1 = i + 1;
	} else {
		x0 = i, x1 = i + 1, y0 = r->y0, y1 = r->y1;
	}
	return (int64_t)ii[y1 * s + x1] - ii[y0 * s + x1] - ii[y1 * s + x0] +
	       ii[y0 * s + x0];
}

/* Standard deviation of the grey along line i of r: images vary, the flat
   fill of a table or a box does not. */
static double
line_spread(const struct wn_panels_page *pg, const struct rect *r, int axis,
	    int i)
{
	int a = axis == 0 ? r->x0 : r->y0, b = axis == 0 ? r->x1 : r->y1, k;
	double sum = 0, sq = 0, n = b - a;

	for (k = a; k < b; k++) {
		double v = axis == 0 ? pg->grey[(size_t)i * pg->W + k]
				     : pg->grey[(size_t)k * pg->W + i];

		sum += v;
		sq += v * v;
	}
	return n > 0 ? sqrt(fmax(0, sq / n - (sum / n) * (sum / n))) : 0;
}

/*
 * Rules between touching images: runs of at most a few lines that are thin
 * rules over 85% of their length, with image content (90% full) four lines to
 * both sides.  No model decides these: they are cut first.
 */
static int
find_rules(struct wn_panels_page *pg, const struct rect *r, int axis,
	   struct cand *c, int max)
{
	int lo = axis == 0 ? r->y0 : r->x0, hi = axis == 0 ? r->y1 : r->x1;
	int len = axis == 0 ? r->x1 - r->x0 : r->y1 - r->y0;
	int maxline = (int)(4 / pg->norm) + 2, i, start = -1, n = 0, dense = 0;

	if (len < 32)
		return 0;
	/* only regions with full lines of content can hold such rules: most
	   figures need no rule image at all */
	for (i = lo + 4; i < hi - 4 && !dense; i++)
		dense = line_sum(pg, r, axis, i - 4) >= (int64_t)(0.9 * len) &&
			line_sum(pg, r, axis, i + 4) >= (int64_t)(0.9 * len);
	if (!dense)
		return 0;
	if (!pg->rules_ready) {
		build_rule_integrals(pg);
		pg->rules_ready = 1;
	}
	for (i = lo + 4; i <= hi - 4; i++) {
		int is = i < hi - 4 &&
			 rule_sum(pg, r, axis, i) >= (int64_t)(0.85 * len) &&
			 line_sum(pg, r, axis, i - 4) >= (int64_t)(0.9 * len) &&
			 line_sum(pg, r, axis, i + 4) >= (int64_t)(0.9 * len) &&
			 line_spread(pg, r, axis, i - 4) > 30 &&
			 line_spread(pg, r, axis, i + 4) > 30;

		if (is) {
			if (start < 0)
				start = i;
			continue;
		}
		/* (+2: the rule image is widened by a pixel each side) */
		if (start >= 0 && i - start <= maxline + 2 && n < max) {
			/* a drawn rule has one colour along its length; a
			   textured image only looks like one here and there */
			double flat = 1e9;
			int k;

			for (k = start; k < i; k++)
				flat = fmin(flat, line_spread(pg, r, axis, k));
			if (flat > 25) {
				start = -1;
				continue;
			}
			c[n].g0 = start;
			c[n].g1 = i;
			c[n].line = 1;
			c[n].score = 1;	/* cut, whatever the model says */
			n++;
		}
		start = -1;
	}
	/* many rules, or rules close together, are a heatmap's grid or a
	   table, not a layout */
	if (n > 3)
		return 0;
	{
		int prev = lo, k, ext = hi - lo;
		double minpart = fmax(0.12 * ext, 40 / pg->norm);

		for (k = 0; k <= n; k++) {
			int end = k < n ? c[k].g0 : hi;

			if (end - prev < minpart)
				return 0;
			if (k < n)
				prev = c[k].g1;
		}
	}
	return n;
}

static double
density(const struct wn_panels_page *pg, const struct rect *r)
{
	double a = (double)(r->x1 - r->x0) * (r->y1 - r->y0);

	return a > 0 ? rsum(pg, r->x0, r->y0, r->x1, r->y1) / a : 0;
}

static void
sides(const struct rect *r, int axis, int g0, int g1, struct rect *a,
      struct rect *b)
{
	*a = *r;
	*b = *r;
	if (axis == 0) {
		a->y1 = g0;
		b->y0 = g1;
	} else {
		a->x1 = g0;
		b->x0 = g1;
	}
}

/* Find the separator candidates of r along axis; returns how many. */
static int
find_cands(const struct wn_panels_page *pg, const struct rect *r, int axis,
	   struct cand *c, int max)
{
	int lo = axis == 0 ? r->y0 : r->x0, hi = axis == 0 ? r->y1 : r->x1;
	int len = axis == 0 ? r->x1 - r->x0 : r->y1 - r->y0;
	int tol = tolerance(len), maxline = (int)(4 / pg->norm) + 2;
	int i, k, n = 0, start = -1, nline = 0;
	uint8_t *kind = malloc((size_t)(hi - lo + 1));

	if (kind == NULL)
		return 0;
	/* 0 content, 1 empty, 2 full: a drawn line if thin */
	for (i = lo; i < hi; i++) {
		int64_t s = line_sum(pg, r, axis, i);

		kind[i - lo] = s <= tol ? 1 : s >= (int64_t)(0.92 * len) ? 2 : 0;
	}
	for (i = lo; i < hi; i = k) {
		for (k = i; k < hi && kind[k - lo] == 2; k++)
			;
		if (k == i) {
			k++;
			continue;
		}
		/* a thick full band is content (an image, a filled box) */
		if (k - i > maxline || (i > lo && kind[i - 1 - lo] == 0 &&
					k < hi && kind[k - lo] == 0 &&
					k - i > maxline / 2 + 1))
			memset(kind + (i - lo), 0, (size_t)(k - i));
	}
	kind[hi - lo] = 0;
	for (i = lo; i <= hi; i++) {
		if (kind[i - lo] != 0) {
			if (start < 0) {
				start = i;
				nline = 0;
			}
			nline += kind[i - lo] == 2;
			continue;
		}
		if (start >= 0) {
			/* a run of separator lines [start, i) */
			if (start > lo && i < hi && n < max) {
				c[n].g0 = start;
				c[n].g1 = i;
				c[n].line = nline > 0;
				n++;
			}
			start = -1;
		}
	}
	free(kind);
	return n;
}

static double
sigmoid(double z)
{
	return 1 / (1 + exp(-z));
}

/* Features of candidate c of region r; all_max = widest gutter in r. */
static void
cut_features(const struct wn_panels_page *pg, const struct rect *r, int axis,
	     struct cand *c, int ncand_axis, double axis_max, double all_max,
	     int depth)
{
	struct rect a, b;
	float *f = c->feat;
	double nm = pg->norm, gap = c->g1 - c->g0;
	double L = axis == 0 ? r->y1 - r->y0 : r->x1 - r->x0;
	double O = axis == 0 ? r->x1 - r->x0 : r->y1 - r->y0;
	double la, lb, oa, ob, da, db, smin, smax;
	int ea, eb;

	sides(r, axis, c->g0, c->g1, &a, &b);
	ea = trim(pg, &a);
	eb = trim(pg, &b);
	la = !ea ? 0 : axis == 0 ? a.y1 - a.y0 : a.x1 - a.x0;
	lb = !eb ? 0 : axis == 0 ? b.y1 - b.y0 : b.x1 - b.x0;
	oa = !ea ? 0 : axis == 0 ? a.x1 - a.x0 : a.y1 - a.y0;
	ob = !eb ? 0 : axis == 0 ? b.x1 - b.x0 : b.y1 - b.y0;
	da = ea ? density(pg, &a) : 0;
	db = eb ? density(pg, &b) : 0;
	smin = la < lb ? la : lb;
	smax = la < lb ? lb : la;
	memset(f, 0, sizeof(float) * WN_PANELS_CUT_NF);
	f[0] = 1;
	f[1] = (float)(gap * nm / 10);
	f[2] = (float)log1p(gap * nm);
	f[3] = (float)(all_max > 0 ? gap / all_max : 0);
	f[4] = (float)(axis_max > 0 ? gap / axis_max : 0);
	f[5] = (float)c->line;
	f[6] = (float)(smin * nm / 100);
	f[7] = (float)log((smin + 1) / (L + 1));
	f[8] = (float)((smin + 1) / (smax + 1));
	f[9] = (float)(fmin(oa, ob) / (O + 1));
	f[10] = (float)(fmax(oa, ob) / (O + 1));
	f[11] = (float)fmin(da, db);
	f[12] = (float)fmax(da, db);
	f[13] = (float)log1p(ncand_axis);
	f[14] = smin * nm < 25;
	f[15] = smin * nm < 12;
	f[16] = depth == 0;
	f[17] = (float)axis;
	f[18] = (float)(L * nm / 1000);
	f[19] = (float)(O * nm / 1000);
	f[20] = gap * nm < 3;
	f[21] = gap * nm >= 8;
	f[22] = (float)(f[3] * f[8]);
	f[23] = (float)((la < lb ? da : db) * f[8]);
	{
		/* images end in straight filled edges; text and plots do not */
		double fa = 0, fb = 0, emin, emax;

		if (ea)
			fa = (double)line_sum(pg, &a, axis,
					      axis == 0 ? a.y1 - 1 : a.x1 - 1) / (oa + 1);
		if (eb)
			fb = (double)line_sum(pg, &b, axis,
					      axis == 0 ? b.y0 : b.x0) / (ob + 1);
		emin = fmin(fa, fb);
		emax = fmax(fa, fb);
		f[24] = (float)emin;
		f[25] = (float)emax;
		f[26] = (float)(emin * (gap * nm < 8));
		f[27] = fmin(da, db) > 0.8;
		f[28] = (float)(f[27] * f[20]);
		f[29] = (float)(c->line * emin);
		f[30] = (float)(emin > 0.9 && emax > 0.9);
		f[31] = (float)((smin * nm < 40) * (1 - emin));
	}
}

static float
dot(const float *w, const float *f, int n)
{
	float s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += w[i] * f[i];
	return s;
}

/* The probability of a model: its logistic weights w plus its trees t. */
static double
model_p(const float *w, const struct wn_trees *t, const float *f, int n)
{
	return sigmoid(dot(w, f, n) + wn_trees_eval(t, f, n));
}

/*
 * Panels of one row or column are often of one size: whether c[i] falls
 * where a division of r into k equal parts puts a separator, with the other
 * separators of that division among c[0..n) (gutters alike).  f[32]: three
 * parts or more; f[33]: the two halves.
 */
static void
period_features(const struct rect *r, int axis, struct cand *c, int n)
{
	double lo = axis == 0 ? r->y0 : r->x0, hi = axis == 0 ? r->y1 : r->x1;
	int i, j, k, m;

	for (i = 0; i < n; i++) {
		double mid = (c[i].g0 + c[i].g1) / 2.0, g = c[i].g1 - c[i].g0;

		for (k = 2; k <= 6; k++) {
			double p = (hi - lo) / k, tol = 0.04 * p;
			int at = (int)floor((mid - lo) / p + 0.5), ok = 1;

			if (at < 1 || at >= k || fabs(mid - lo - at * p) > tol)
				continue;
			for (j = 1; j < k && ok; j++) {
				double want = lo + j * p;

				if (j == at)
					continue;
				for (ok = 0, m = 0; m < n && !ok; m++) {
					double gm = c[m].g1 - c[m].g0;

					ok = fabs((c[m].g0 + c[m].g1) / 2.0 - want) <= tol &&
					     fabs(gm - g) <= fmax(2, 0.5 * g);
				}
			}
			if (!ok)
				continue;
			if (k == 2)
				c[i].feat[33] = 1;
			else
				c[i].feat[32] = 1;
		}
	}
}

/* Candidates of r on both axes, with features and (given a model) scores. */
static int
region_cands(struct wn_panels_page *pg, const struct rect *r, int depth,
	     struct cand *c, int *ret_nh)
{
	int nh, nv, i;
	double maxh = 0, maxv = 0;

	nh = find_cands(pg, r, 0, c, MAX_CANDS / 2);
	nv = find_cands(pg, r, 1, c + nh, MAX_CANDS / 2);
	for (i = 0; i < nh; i++)
		maxh = fmax(maxh, c[i].g1 - c[i].g0);
	for (i = nh; i < nh + nv; i++)
		maxv = fmax(maxv, c[i].g1 - c[i].g0);
	for (i = 0; i < nh + nv; i++) {
		int axis = i >= nh;

		cut_features(pg, r, axis, &c[i], axis ? nv : nh,
			     axis ? maxv : maxh, fmax(maxh, maxv), depth);
	}
	period_features(r, 0, c, nh);
	period_features(r, 1, c + nh, nv);
	for (i = 0; i < nh + nv; i++)
		c[i].score = pg->m != NULL ?
			(float)model_p(pg->m->cut_w, &pg->m->cut_trees,
				       c[i].feat, WN_PANELS_CUT_NF) : 0;
	*ret_nh = nh;
	return nh + nv;
}

static int cmp_cand(const void *a, const void *b);

static int
rect_holds(const struct rect *g, const struct rect *u)
{
	int cx = (u->x0 + u->x1) / 2, cy = (u->y0 + u->y1) / 2;

	return cx >= g->x0 && cx < g->x1 && cy >= g->y0 && cy < g->y1;
}

/* ---------- regular grids ---------- */

#define GRID_MAX_CANDS	64	/* candidates on one axis worth a search */
#define GRID_MIN_PERIOD	80	/* per-mille of the figure's long side */
#define GRID_SLACK	0.15	/* tolerance on the period */
#define GRID_MIN_CUTS	3	/* four parts or more */
#define GRID_MAX_ASPECT	8	/* of a part */
#define GRID_MAX_PER_PART 3	/* separators per part, at most */
#define GRID_MIN_ALIGN	0.7	/* narrowest part / widest across the axis */
#define GRID_EXACT	0.03	/* three parts: equal to this fraction */
#define GRID_EXACT_FILL	0.4	/* three parts: images, this dense */

static double
cand_mid(const struct cand *c)
{
	return (c->g0 + c->g1) / 2.0;
}

/* Whether the first len cuts of chain (indices from c) with period p make
   a regular grid of r. */
static int
grid_valid(const struct wn_panels_page *pg, const struct rect *r, int axis,
	   const struct cand *c, const int *chain, int len, double p)
{
	int lo = axis == 0 ? r->y0 : r->x0, hi = axis == 0 ? r->y1 : r->x1;
	double head = cand_mid(&c[chain[0]]) - lo;
	double tail = hi - cand_mid(&c[chain[len - 1]]), dmin = 1e9, dmax = 0;
	double omin = 1e9, omax = 0;
	int k;

	if (len < GRID_MIN_CUTS - 1 || head < 0.5 * p || head > 1.5 * p ||
	    tail < 0.5 * p || tail > 1.5 * p)
		return 0;
	/* three parts only: images of one size side by side, exactly */
	if (len < GRID_MIN_CUTS &&
	    (fabs(head - p) > GRID_EXACT * p || fabs(tail - p) > GRID_EXACT * p))
		return 0;
	for (k = 0; k <= len; k++) {
		struct rect s = *r;
		int a = k == 0 ? lo : c[chain[k - 1]].g1;
		int b = k == len ? hi : c[chain[k]].g0;
		double w, h, along, d;

		if (axis == 0)
			s.y0 = a, s.y1 = b;
		else
			s.x0 = a, s.x1 = b;
		if (!trim(pg, &s))
			return 0;
		w = s.x1 - s.x0;
		h = s.y1 - s.y0;
		along = axis == 0 ? h : w;
		if (w > GRID_MAX_ASPECT * h || h > GRID_MAX_ASPECT * w ||
		    (axis == 0 ? w : h) * pg->norm < GRID_MIN_PERIOD)
			return 0;
		/* inner parts: one period apart and filled alike */
		if (k > 0 && k < len &&
		    (fabs(cand_mid(&c[chain[k]]) - cand_mid(&c[chain[k - 1]]) -
			  p) > GRID_SLACK * p ||
		     fabs(along - p) > 0.25 * p))
			return 0;
		d = density(pg, &s);
		dmin = fmin(dmin, d);
		dmax = fmax(dmax, d);
		omin = fmin(omin, axis == 0 ? w : h);
		omax = fmax(omax, axis == 0 ? w : h);
	}
	/* the cells of a grid line up: the steps of a scheme or the lines of
	   a text differ in width */
	if (len < GRID_MIN_CUTS && (dmin < GRID_EXACT_FILL ||
				    omin < 0.97 * omax))
		return 0;
	return dmin >= 0.4 * dmax && omin >= GRID_MIN_ALIGN * omax;
}

/*
 * A grid of small plots often has gutters of a pixel or two, too thin for
 * the model to trust, but its separators fall at one period: at least four
 * parts of equal extent (the edge parts may carry row or column headers and
 * legends) with content of similar density.  c[0..n) are the candidates of
 * one axis, sorted by position; marks the members of the longest such chain
 * in pick[] and returns its length (0: none).
 */
static int
grid_chain(const struct wn_panels_page *pg, const struct rect *r, int axis,
	   const struct cand *c, int n, int lines, uint8_t *pick)
{
	int i, j, k, len, best = 0;
	int chain[GRID_MAX_CANDS], bestv[GRID_MAX_CANDS];

	memset(pick, 0, GRID_MAX_CANDS);
	if (n < GRID_MIN_CUTS - 1 || n > GRID_MAX_CANDS)
		return 0;
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			double p = cand_mid(&c[j]) - cand_mid(&c[i]);

			if (p * pg->norm < GRID_MIN_PERIOD ||
			    (!lines && (c[i].line || c[j].line)))
				continue;
			chain[0] = i;
			chain[1] = j;
			len = 2;
			/* extend: the candidate nearest one period on */
			for (;;) {
				double last = cand_mid(&c[chain[len - 1]]);
				double bd = GRID_SLACK * p;
				int bk = -1;

				for (k = chain[len - 1] + 1; k < n; k++) {
					double d;

					if (c[k].line && !lines)
						continue;
					d = fabs(cand_mid(&c[k]) - last - p);

					if (d < bd) {
						bd = d;
						bk = k;
					}
				}
				if (bk < 0)
					break;
				chain[len++] = bk;
			}
			/* the longest valid prefix */
			/* drawn lines: only images of one size side by side */
			if (lines && len > GRID_MIN_CUTS - 1)
				len = GRID_MIN_CUTS - 1;
			for (; len > best && len >= GRID_MIN_CUTS - 1; len--)
				if (grid_valid(pg, r, axis, c, chain, len, p))
					break;
			if (len > best) {
				best = len;
				memcpy(bestv, chain, sizeof(int) * (size_t)len);
			}
		}
	}
	/* many more separators than the chain's: a table's rows or a text,
	   not a grid of panels */
	if (!lines && n > GRID_MAX_PER_PART * (best + 1))
		return 0;
	for (k = 0; k < best; k++)
		pick[bestv[k]] = 1;
	return best;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Whether most separators of c[0..n) are evenly spaced, as a table's rows
   are: then equal thirds say nothing. */
static int
evenly_ruled(const struct cand *c, int n)
{
	double d[GRID_MAX_CANDS], med;
	int i, even = 0;

	if (n < 6 || n > GRID_MAX_CANDS)
		return n > GRID_MAX_CANDS;
	for (i = 1; i < n; i++)
		d[i - 1] = cand_mid(&c[i]) - cand_mid(&c[i - 1]);
	qsort(d, (size_t)(n - 1), sizeof(d[0]), cmp_double);
	med = d[(n - 1) / 2];
	for (i = 0; i < n - 1; i++)
		even += fabs(d[i] - med) <= 0.15 * med;
	return even >= 5 && 2 * even >= n - 1;
}

/* In mode 0, raise the candidates of a regular grid above the threshold. */
static void
grid_boost(struct wn_panels_page *pg, const struct rect *r,
	   struct cand *c, int n, int nh)
{
	uint8_t pick[GRID_MAX_CANDS];
	int axis, k;

	for (axis = 0; axis < 2; axis++) {
		int from = axis == 0 ? 0 : nh, to = axis == 0 ? nh : n;

		qsort(c + from, (size_t)(to - from), sizeof(*c), cmp_cand);
		if (grid_chain(pg, r, axis, c + from, to - from, 0, pick) <
		    GRID_MIN_CUTS - 1 &&
		    (evenly_ruled(c + from, to - from) ||
		     grid_chain(pg, r, axis, c + from, to - from, 1, pick) <
		     GRID_MIN_CUTS - 1))
			continue;
		if (pg->ngrids < GRID_MAX_RECTS)
			pg->grids[pg->ngrids++] = *r;
		for (k = from; k < to; k++)
			if (pick[k - from] && c[k].score < 0.9f) {
				wn_debug("region %d,%d-%d,%d: grid cut %d-%d",
					 r->x0, r->y0, r->x1, r->y1,
					 c[k].g0, c[k].g1);
				c[k].score = 0.9f;
			}
	}
}

/*
 * A row of a grid where a tick label touches the next plot, or a shared
 * legend spans the row, shows no gutter there; the other rows do.  Column
 * boundaries (between horizontally adjacent cells) seen in at least two rows
 * of a grid split the cells of the rows that lack them; and rows likewise.
 */
#define GRID_MAX_BOUNDS	64

static int
leaf_is_cell(const struct wn_panels_page *pg, const struct rect *r)
{
	return (r->x1 - r->x0) * pg->norm >= GRID_MIN_PERIOD / 2 &&
	       (r->y1 - r->y0) * pg->norm >= GRID_MIN_PERIOD / 2;
}

static void
complete_grid_axis(struct wn_panels_page *pg, const struct rect *g, int axis)
{
	/* axis 1: column boundaries (x); axis 0: row boundaries (y) */
	double b[GRID_MAX_BOUNDS];
	int support[GRID_MAX_BOUNDS], nb = 0, k;
	size_t i, j, n0 = pg->nleaves;
	double ext = axis == 1 ? g->x1 - g->x0 : g->y1 - g->y0;

	for (i = 0; i < n0; i++) {
		const struct rect *a = &pg->leaves[i].r;
		const struct rect *nx = NULL;
		double bx;

		if (!rect_holds(g, a) || !leaf_is_cell(pg, a))
			continue;
		/* the nearest cell after a along the axis, overlapping it
		   across the axis by half */
		for (j = 0; j < n0; j++) {
			const struct rect *c = &pg->leaves[j].r;
			double ov;

			if (j == i || !rect_holds(g, c) || !leaf_is_cell(pg, c))
				continue;
			if (axis == 1) {
				ov = fmin(a->y1, c->y1) - fmax(a->y0, c->y0);
				if (c->x0 < a->x1 || ov < 0.5 * fmin(a->y1 - a->y0,
								     c->y1 - c->y0))
					continue;
				if (nx == NULL || c->x0 < nx->x0)
					nx = c;
			} else {
				ov = fmin(a->x1, c->x1) - fmax(a->x0, c->x0);
				if (c->y0 < a->y1 || ov < 0.5 * fmin(a->x1 - a->x0,
								     c->x1 - c->x0))
					continue;
				if (nx == NULL || c->y0 < nx->y0)
					nx = c;
			}
		}
		if (nx == NULL)
			continue;
		bx = axis == 1 ? (a->x1 + nx->x0) / 2.0 : (a->y1 + nx->y0) / 2.0;
		for (k = 0; k < nb; k++)
			if (fabs(b[k] - bx) < 0.02 * ext) {
				support[k]++;
				break;
			}
		if (k == nb && nb < GRID_MAX_BOUNDS) {
			b[nb] = bx;
			support[nb++] = 1;
		}
	}
	for (k = 0; k < nb; k++) {
		if (support[k] < 2)
			continue;
		for (i = 0; i < pg->nleaves && pg->nleaves < MAX_LEAVES; i++) {
			struct rect *a = &pg->leaves[i].r, lo, hi;
			int cut = (int)lround(b[k]);
			double a0 = axis == 1 ? a->x0 : a->y0;
			double a1 = axis == 1 ? a->x1 : a->y1;
			double m = 0.1 * ext;

			if (!rect_holds(g, a) || !leaf_is_cell(pg, a) ||
			    cut < a0 + m || cut > a1 - m)
				continue;
			lo = hi = *a;
			if (axis == 1)
				lo.x1 = hi.x0 = cut;
			else
				lo.y1 = hi.y0 = cut;
			if (!trim(pg, &lo) || !trim(pg, &hi))
				continue;
			wn_debug("grid completion: %d,%d-%d,%d cut at %d",
				 a->x0, a->y0, a->x1, a->y1, cut);
			*a = lo;
			memset(&pg->leaves[pg->nleaves], 0, sizeof(pg->leaves[0]));
			pg->leaves[pg->nleaves++].r = hi;
		}
	}
}

static void
complete_grids(struct wn_panels_page *pg)
{
	int g, k, outer;

	for (g = 0; g < pg->ngrids; g++) {
		const struct rect *gr = &pg->grids[g];

		for (outer = 1, k = 0; k < pg->ngrids && outer; k++)
			outer = k == g || !rect_holds(&pg->grids[k], gr) ||
				(pg->grids[k].x1 - pg->grids[k].x0) *
				(pg->grids[k].y1 - pg->grids[k].y0) <=
				(gr->x1 - gr->x0) * (gr->y1 - gr->y0);
		if (!outer)
			continue;
		complete_grid_axis(pg, gr, 1);
		complete_grid_axis(pg, gr, 0);
	}
}

/* ---------- ground truth for training ---------- */

/* Target of a candidate: 1 between units, 0 through one, -1 unclear. */
static int
cut_target(const struct wn_panels_page *pg, const struct rect *r, int axis,
	   const struct cand *c)
{
	double mid = (c->g0 + c->g1) / 2.0;
	double margin = 3;	/* working pixels */
	int before = 0, after = 0;
	size_t i;

	for (i = 0; i < pg->ngt; i++) {
		const struct wn_panels_box *g = &pg->gt[i];
		double s0, s1, o0, o1, rs0, rs1, ro0, ro1, cm, co;

		if (axis == 0) {
			s0 = g->y / pg->sy;
			s1 = (g->y + g->h) / pg->sy;
			o0 = g->x / pg->sx;
			o1 = (g->x + g->w) / pg->sx;
			rs0 = r->y0, rs1 = r->y1, ro0 = r->x0, ro1 = r->x1;
		} else {
			s0 = g->x / pg->sx;
			s1 = (g->x + g->w) / pg->sx;
			o0 = g->y / pg->sy;
			o1 = (g->y + g->h) / pg->sy;
			rs0 = r->x0, rs1 = r->x1, ro0 = r->y0, ro1 = r->y1;
		}
		cm = (s0 + s1) / 2;
		co = (o0 + o1) / 2;
		/* only units whose centre lies in the region count */
		if (cm < rs0 || cm >= rs1 || co < ro0 || co >= ro1)
			continue;
		if (s0 < mid - margin && s1 > mid + margin)
			return 0;
		if (cm < mid)
			before++;
		else
			after++;
	}
	if (before + after == 0)
		return -1;
	return 1;
}

/* ---------- recursion ---------- */

static int
add_leaf(struct wn_panels_page *pg, const struct rect *r)
{
	if (pg->nleaves >= MAX_LEAVES)
		return 0;
	memset(&pg->leaves[pg->nleaves], 0, sizeof(pg->leaves[0]));
	pg->leaves[pg->nleaves++].r = *r;
	return 0;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return (x->g0 > y->g0) - (x->g0 < y->g0);
}

/* mode 0: model decides; mode 1: ground truth decides and examples go out */
static int xy_cut(struct wn_panels_page *pg, struct rect r, int depth,
		  int mode);

/*
 * Recurse into the parts of r between the separators c[0..n) on axis (in
 * order along it) that score thr or more.
 */
static int
cut_parts(struct wn_panels_page *pg, const struct rect *r, int axis,
	  const struct cand *c, int n, float thr, int depth, int mode)
{
	int k, rc, prev = axis == 0 ? r->y0 : r->x0;

	for (k = 0; k <= n; k++) {
		struct rect s = *r;
		int end;

		if (k < n && c[k].score < thr)
			continue;
		end = k < n ? c[k].g0 : (axis == 0 ? r->y1 : r->x1);
		if (axis == 0) {
			s.y0 = prev;
			s.y1 = end;
		} else {
			s.x0 = prev;
			s.x1 = end;
		}
		if ((rc = xy_cut(pg, s, depth + 1, mode)) < 0)
			return rc;
		if (k < n)
			prev = c[k].g1;
	}
	return 0;
}

static int
xy_cut(struct wn_panels_page *pg, struct rect r, int depth, int mode)
{
	struct cand *c;
	int n, nh, i, axis = -1, rc = 0;
	float best = 0;

	if (!trim(pg, &r))
		return 0;
	c = malloc(sizeof(*c) * MAX_CANDS);
	if (c == NULL)
		return -ENOMEM;
	for (axis = 1; axis >= 0 && depth < MAX_DEPTH &&
	     !(pg->m != NULL && pg->m->no_rules); axis--) {
		n = find_rules(pg, &r, axis, c, MAX_CANDS);
		if (n == 0)
			continue;
		wn_debug("region %d,%d-%d,%d depth %d: %d rule%s across %s",
			 r.x0, r.y0, r.x1, r.y1, depth, n, n > 1 ? "s" : "",
			 axis ? "columns" : "rows");
		rc = cut_parts(pg, &r, axis, c, n, 0, depth, mode);
		goto out;
	}
	axis = -1;
	n = depth < MAX_DEPTH ? region_cands(pg, &r, depth, c, &nh) : (nh = 0);
	if (mode == 1) {
		int pos[2] = { 0, 0 };
		double gapsum[2] = { 0, 0 };

		for (i = 0; i < n; i++) {
			int t = cut_target(pg, &r, i >= nh, &c[i]);

			if (t >= 0 && pg->fn != NULL &&
			    (rc = pg->fn(pg->ud, c[i].feat, t)) < 0)
				goto out;
			c[i].score = t == 1 ? 1.0f : 0.0f;
			if (t == 1) {
				pos[i >= nh]++;
				gapsum[i >= nh] += c[i].g1 - c[i].g0;
			}
		}
		if (pos[0] || pos[1])
			axis = gapsum[0] / (pos[0] + 1e-9) >=
			       gapsum[1] / (pos[1] + 1e-9) ? (pos[0] ? 0 : 1)
							   : (pos[1] ? 1 : 0);
	} else {
		for (i = 0; i < n && mode == 2; i++) {
			/* the model's own path, with ground-truth targets */
			int t = cut_target(pg, &r, i >= nh, &c[i]);

			if (t >= 0 && (rc = pg->fn(pg->ud, c[i].feat, t)) < 0)
				goto out;
		}
		if (mode == 0 && !pg->m->no_rules)
			grid_boost(pg, &r, c, n, nh);
		for (i = 0; i < n; i++) {
			wn_debug("region %d,%d-%d,%d depth %d: %s cut %d-%d%s p=%.3f",
				 r.x0, r.y0, r.x1, r.y1, depth, i >= nh ? "v" : "h",
				 c[i].g0, c[i].g1, c[i].line ? " line" : "",
				 c[i].score);
			if (c[i].score > best) {
				best = c[i].score;
				axis = i >= nh;
			}
		}
		if (depth == 0)
			pg->top_score = best;
		if (best < pg->cut_threshold)
			axis = -1;
	}
	if (axis < 0 || pg->nleaves >= MAX_LEAVES) {
		rc = add_leaf(pg, &r);
		goto out;
	}
	/* cut at every accepted candidate on that axis, in order */
	{
		int from = axis == 0 ? 0 : nh, to = axis == 0 ? nh : n;
		float thr = mode == 1 ? 0.5f : pg->cut_threshold;

		qsort(c + from, (size_t)(to - from), sizeof(*c), cmp_cand);
		rc = cut_parts(pg, &r, axis, c + from, to - from, thr, depth,
			       mode);
	}
out:
	free(c);
	return rc;
}

int
wn_panels_collect_cuts(struct wn_panels_page *pg,
		       const struct wn_panels_box *gt,
		       size_t ngt, wn_panels_example_fn fn, void *ud)
{
	struct rect r = { 0, 0, pg->W, pg->H };
	int rc;

	pg->gt = gt;
	pg->ngt = ngt;
	pg->fn = fn;
	pg->ud = ud;
	pg->nleaves = 0;
	rc = xy_cut(pg, r, 0, 1);
	if (rc < 0 || pg->m == NULL || pg->m->cut_threshold <= 0)
		return rc;
	/* and the regions the current model visits on its own */
	pg->nleaves = 0;
	return xy_cut(pg, r, 0, 2);
}

/* ---------- final regions ---------- */

static void
leaf_features(const struct wn_panels_page *pg, const struct leaf *lf, float *f)
{
	const struct rect *r = &lf->r;
	double nm = pg->norm, w = r->x1 - r->x0, h = r->y1 - r->y0;
	double area = w * h, tot = (double)pg->W * pg->H;
	int64_t rows_empty = 0, y;

	for (y = r->y0; y < r->y1; y++)
		rows_empty += rsum(pg, r->x0, (int)y, r->x1, (int)y + 1) <=
			      tolerance((int)w);
	memset(f, 0, sizeof(float) * WN_PANELS_LEAF_NF);
	f[0] = 1;
	f[1] = (float)(fmin(w, h) * nm / 100);
	f[2] = (float)log1p(fmin(w, h) * nm);
	f[3] = (float)log1p(fmax(w, h) * nm);
	f[4] = (float)log(area / tot);
	f[5] = (float)log((w + 1) / (h + 1));
	f[6] = (float)density(pg, r);
	f[7] = (float)(rows_empty / (h + 1));
	f[8] = fmin(w, h) * nm < 20;
	f[9] = fmin(w, h) * nm < 40;
	f[10] = (float)(pg->nleaves > 1 ? log((double)pg->nleaves) : 0);
	f[11] = (float)(r->y0 * nm < 15);	/* at the figure's top */
	f[12] = (float)((pg->H - r->y1) * nm < 15);
	f[13] = lf->is_label;
	f[14] = (float)(f[6] * f[6]);
	f[15] = (float)(area / tot);
	{
		double e[4], mn = 1, sum = 0;
		int k;

		e[0] = (double)rsum(pg, r->x0, r->y0, r->x1, r->y0 + 1) / (w + 1);
		e[1] = (double)rsum(pg, r->x0, r->y1 - 1, r->x1, r->y1) / (w + 1);
		e[2] = (double)rsum(pg, r->x0, r->y0, r->x0 + 1, r->y1) / (h + 1);
		e[3] = (double)rsum(pg, r->x1 - 1, r->y0, r->x1, r->y1) / (h + 1);
		for (k = 0; k < 4; k++) {
			mn = fmin(mn, e[k]);
			sum += e[k];
		}
		f[16] = (float)(sum / 4);
		f[17] = (float)mn;
		f[18] = (float)(f[6] * f[4]);
		f[19] = (float)(fmax(w, h) * nm < 60);
	}
}

/* Connected components of the mask inside r: calls fn per component box. */
struct comp {
	int x0, y0, x1, y1, n;
};

static int
comps_on(const uint8_t *mask, int stride, const struct rect *r,
	 struct comp *out, int max, int maxside)
{
	int w = r->x1 - r->x0, h = r->y1 - r->y0, n = 0, i;
	uint8_t *seen;
	int *stack;

	if (w <= 0 || h <= 0)
		return 0;
	seen = calloc((size_t)w * h, 1);
	stack = malloc(sizeof(int) * (size_t)w * h);
	if (seen == NULL || stack == NULL) {
		free(seen);
		free(stack);
		return -ENOMEM;
	}
	for (i = 0; i < w * h; i++) {
		int sp = 0;
		struct comp c;

		if (seen[i] || !mask[(size_t)(r->y0 + i / w) * stride +
				      r->x0 + i % w])
			continue;
		c.x0 = c.x1 = i % w;
		c.y0 = c.y1 = i / w;
		c.n = 0;
		seen[i] = 1;
		stack[sp++] = i;
		while (sp > 0) {
			int p = stack[--sp], px = p % w, py = p / w, dy, dx;

			c.n++;
			if (px < c.x0) c.x0 = px;
			if (px > c.x1) c.x1 = px;
			if (py < c.y0) c.y0 = py;
			if (py > c.y1) c.y1 = py;
			for (dy = -1; dy <= 1; dy++)
				for (dx = -1; dx <= 1; dx++) {
					int qx = px + dx, qy = py + dy, q;

					if (qx < 0 || qy < 0 || qx >= w || qy >= h)
						continue;
					q = qy * w + qx;
					if (seen[q] || !mask[(size_t)(r->y0 + qy) *
							      stride + r->x0 + qx])
						continue;
					seen[q] = 1;
					stack[sp++] = q;
				}
		}
		if (n < max && (maxside <= 0 || (c.x1 - c.x0 < maxside &&
						     c.y1 - c.y0 < maxside))) {
			c.x0 += r->x0;
			c.x1 += r->x0 + 1;
			c.y0 += r->y0;
			c.y1 += r->y0 + 1;
			out[n++] = c;
		}
	}
	free(seen);
	free(stack);
	return n;
}

static int components_small(const struct wn_panels_page *pg,
			    const struct rect *r, struct comp *out, int max,
			    int maxside);

static void
build_integral(struct wn_panels_page *pg)
{
	int W = pg->W, H = pg->H, x, y;

	for (y = 0; y < H; y++) {
		const uint8_t *mk = pg->mask + (size_t)y * W;
		int32_t *row = pg->ii + (size_t)(y + 1) * (W + 1);
		int32_t *prev = row - (W + 1);
		int32_t run = 0;

		for (x = 0; x < W; x++) {
			run += mk[x];
			row[x + 1] = prev[x + 1] + run;
		}
	}
}

/*
 * Pixels of thin drawn rules: brighter (or darker) than the pixels two to the
 * left and right (vertical rules) or above and below (horizontal ones), as a
 * white rule between two touching dark scans is.
 */
static int
rule_px(int c, int a, int b)
{
	return (c - a > 25 && c - b > 25) || (a - c > 25 && b - c > 25);
}

static void
build_rule_integrals(struct wn_panels_page *pg)
{
	int W = pg->W, H = pg->H, x, y;
	const uint8_t *g = pg->grey;
	uint8_t *v = calloc((size_t)W * H, 1), *h = calloc((size_t)W * H, 1);

	if (v == NULL || h == NULL) {
		/* no rules then: the integrals stay zero */
		free(v);
		free(h);
		return;
	}
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			int c = g[(size_t)y * W + x];

			if (x >= 2 && x + 2 < W)
				v[(size_t)y * W + x] =
					rule_px(c, g[(size_t)y * W + x - 2],
						g[(size_t)y * W + x + 2]);
			if (y >= 2 && y + 2 < H)
				h[(size_t)y * W + x] =
					rule_px(c, g[(size_t)(y - 2) * W + x],
						g[(size_t)(y + 2) * W + x]);
		}
	/* a rule with dark edges shows at its edges on light content and at
	   its middle on dark content: a neighbour's hit counts too */
	for (y = 0; y < H; y++) {
		int32_t *vr = pg->vi + (size_t)(y + 1) * (W + 1), *vp = vr - (W + 1);
		int32_t *hr = pg->hi + (size_t)(y + 1) * (W + 1), *hp = hr - (W + 1);
		int32_t vrun = 0, hrun = 0;

		for (x = 0; x < W; x++) {
			size_t i = (size_t)y * W + x;

			vrun += v[i] || (x > 0 && v[i - 1]) || (x + 1 < W && v[i + 1]);
			hrun += h[i] || (y > 0 && h[i - W]) || (y + 1 < H && h[i + W]);
			vr[x + 1] = vp[x + 1] + vrun;
			hr[x + 1] = hp[x + 1] + hrun;
		}
	}
	free(v);
	free(h);
}

#define MAX_SMALL	8192
#define MAX_FREE_LABELS	128

static int read_glyph(const struct wn_panels_page *pg, const struct comp *b,
		      char *label, float *ret_p);

static int
cmp_comp_x(const void *a, const void *b)
{
	const struct comp *x = a, *y = b;

	return (x->x0 > y->x0) - (x->x0 < y->x0);
}

/*
 * Find letters standing free on the background: a small blob (or a blob with
 * a bracket or a digit beside it) with an empty ring around it, read as a
 * letter by the glyph classifier.  They are recorded in pg->labels and erased
 * from the mask.  Returns how many were found.
 */
static int
find_free_labels(struct wn_panels_page *pg)
{
	struct rect whole = { 0, 0, pg->W, pg->H };
	struct comp *cs;
	double nm = pg->norm;
	int n, i, j, found = 0;

	pg->labels = calloc(MAX_FREE_LABELS, sizeof(*pg->labels));
	cs = malloc(sizeof(*cs) * MAX_SMALL);
	if (pg->labels == NULL || cs == NULL) {
		free(cs);
		return -ENOMEM;
	}
	n = components_small(pg, &whole, cs, MAX_SMALL, (int)(50 / nm) + 2);
	if (n < 0) {
		free(cs);
		return n;
	}
	qsort(cs, (size_t)n, sizeof(*cs), cmp_comp_x);
	for (i = 0; i < n && pg->nlabels < MAX_FREE_LABELS; i++) {
		struct comp g = cs[i], best = cs[i];
		int h = cs[i].y1 - cs[i].y0, w = cs[i].x1 - cs[i].x0, parts = 1;
		int rx, ry;
		struct rect ring;
		int64_t inside, around;
		struct leaf *lb;

		if (h * nm < 6 || h * nm > 45 || w > 1.6 * h || cs[i].n < 6)
			continue;
		/* brackets, dots and digits beside the letter join it */
		for (j = i + 1; j < n && cs[j].x0 <= g.x1 + 0.4 * h; j++) {
			int oy = (cs[j].y1 < g.y1 ? cs[j].y1 : g.y1) -
				 (cs[j].y0 > g.y0 ? cs[j].y0 : g.y0);

			if (oy <= 0 || cs[j].y1 - cs[j].y0 > 1.4 * h)
				continue;
			if (cs[j].x0 < g.x0 - 0.4 * h)
				continue;
			g.x1 = g.x1 > cs[j].x1 ? g.x1 : cs[j].x1;
			g.y0 = g.y0 < cs[j].y0 ? g.y0 : cs[j].y0;
			g.y1 = g.y1 > cs[j].y1 ? g.y1 : cs[j].y1;
			g.n += cs[j].n;
			parts++;
		}
		if (parts > 3 || g.x1 - g.x0 > 2.4 * h)
			continue;
		rx = (int)(0.35 * h) + 1;
		ry = (int)(0.25 * h) + 1;
		ring.x0 = g.x0 - rx > 0 ? g.x0 - rx : 0;
		ring.y0 = g.y0 - ry > 0 ? g.y0 - ry : 0;
		ring.x1 = g.x1 + rx < pg->W ? g.x1 + rx : pg->W;
		ring.y1 = g.y1 + ry < pg->H ? g.y1 + ry : pg->H;
		inside = rsum(pg, g.x0, g.y0, g.x1, g.y1);
		around = rsum(pg, ring.x0, ring.y0, ring.x1, ring.y1) - inside;
		if (around > 1)
			continue;
		lb = &pg->labels[pg->nlabels];
		memset(lb, 0, sizeof(*lb));
		if (!read_glyph(pg, &best, lb->label, &lb->label_p))
			continue;
		lb->r = (struct rect){ g.x0, g.y0, g.x1, g.y1 };
		lb->is_label = 1;
		pg->nlabels++;
		for (j = g.y0; j < g.y1; j++)
			memset(pg->mask + (size_t)j * pg->W + g.x0, 0,
			       (size_t)(g.x1 - g.x0));
		found++;
	}
	free(cs);
	return found;
}

static int
components_small(const struct wn_panels_page *pg, const struct rect *r,
		 struct comp *out, int max, int maxside)
{
	return comps_on(pg->mask, pg->W, r, out, max, maxside);
}

static int
components(const struct wn_panels_page *pg, const struct rect *r,
	   struct comp *out, int max)
{
	return comps_on(pg->mask, pg->W, r, out, max, 0);
}

/* Read a glyph in box b; returns 1 and fills label if it is a letter. */
static int
ambiguous_case(char c)
{
	return strchr("cCoOsSuUvVwWxXzZpPkK", c) != NULL;
}

static int
pair_index(const struct wn_labels_model *g, int k)
{
	char c = g->classes[k][0], o;
	int j;

	if (c >= 'a' && c <= 'z')
		o = (char)(c - 'a' + 'A');
	else if (c >= 'A' && c <= 'Z')
		o = (char)(c - 'A' + 'a');
	else
		return -1;
	for (j = 0; j < g->nout; j++)
		if (g->classes[j][0] == o && g->classes[j][1] == '\0')
			return j;
	return -1;
}

/* Read the glyph of mask in box b: 1 and the letter if it is one. */
static int
read_glyph_on(const struct wn_panels_page *pg, const uint8_t *mask, int stride,
	      const struct comp *b, char *label, float *ret_p)
{
	const struct wn_labels_model *g = &pg->m->glyph;
	float in[WN_LABELS_NIN], hid[WN_LABELS_MAX_HIDDEN],
		prob[WN_LABELS_MAX_CLASSES];
	float best = 0, rej = 0;
	int k, bk = -1;

	if (!pg->m->has_glyph)
		return 0;
	wn_labels_glyph_features(mask, stride, b->x0, b->y0, b->x1 - b->x0,
				 b->y1 - b->y0, in);
	wn_labels_forward(g, in, hid, prob);
	for (k = 0; k < g->nout; k++) {
		int o;
		float p;

		if (g->classes[k][0] == '\0') {
			rej += prob[k];
			continue;
		}
		/* c and C look alike: the pair counts as one letter */
		o = pair_index(g, k);
		p = prob[k] + (o >= 0 && ambiguous_case(g->classes[k][0]) ?
			       prob[o] : 0);
		if (p > best || (p == best && bk >= 0 && prob[k] > prob[bk])) {
			best = p;
			bk = k;
		}
	}
	if (bk < 0 || best < pg->m->label_threshold || rej >= best)
		return 0;
	snprintf(label, 16, "%s", g->classes[bk]);
	*ret_p = best;
	return 1;
}

static int
read_glyph(const struct wn_panels_page *pg, const struct comp *b, char *label,
	   float *ret_p)
{
	return read_glyph_on(pg, pg->mask, pg->W, b, label, ret_p);
}

/* Is this region a letter on its own?  Letters are 6-60 per mille tall. */
static int
leaf_glyph(const struct wn_panels_page *pg, struct leaf *lf)
{
	struct comp cs[8];
	struct comp u;
	int n, i;
	double nm = pg->norm, w = lf->r.x1 - lf->r.x0, h = lf->r.y1 - lf->r.y0;

	if (h * nm < 5 || h * nm > 60 || w * nm > 60 || w > 2.5 * h)
		return 0;
	n = components(pg, &lf->r, cs, 8);
	if (n <= 0 || n > 3)
		return 0;
	u = cs[0];
	for (i = 1; i < n; i++) {
		/* "i", "j" dots and ")" parts stay with their letter */
		u.x0 = u.x0 < cs[i].x0 ? u.x0 : cs[i].x0;
		u.y0 = u.y0 < cs[i].y0 ? u.y0 : cs[i].y0;
		u.x1 = u.x1 > cs[i].x1 ? u.x1 : cs[i].x1;
		u.y1 = u.y1 > cs[i].y1 ? u.y1 : cs[i].y1;
	}
	if (n > 1) {
		/* keep only the tallest part: "(a)" or "a)" read as "a" */
		int best = 0;

		for (i = 1; i < n; i++)
			if (cs[i].n > cs[best].n)
				best = i;
		u = cs[best];
	}
	return read_glyph(pg, &u, lf->label, &lf->label_p);
}

/*
 * Look for a printed letter near the top-left corner inside a panel.  The
 * window is binarised against its own dominant grey, so that a white letter on
 * a dark micrograph reads as well as a black one on white.
 */
static int
corner_glyph(const struct wn_panels_page *pg, const struct rect *r, char *label)
{
	struct comp cs[64];
	struct rect win = *r, lr;
	double nm = pg->norm;
	int n, i, best = -1, ww, wh, x, y, bgv = 0;
	uint32_t hist[16] = { 0 };
	float p, bestp = 0;
	char lab[16];
	uint8_t *lm;

	win.x1 = win.x0 + (int)fmin(r->x1 - r->x0, 80 / nm);
	win.y1 = win.y0 + (int)fmin(r->y1 - r->y0, 80 / nm);
	ww = win.x1 - win.x0;
	wh = win.y1 - win.y0;
	if (ww < 4 || wh < 4)
		return 0;
	lm = malloc((size_t)ww * wh);
	if (lm == NULL)
		return 0;
	for (y = 0; y < wh; y++)
		for (x = 0; x < ww; x++)
			hist[pg->grey[(size_t)(win.y0 + y) * pg->W + win.x0 + x] >> 4]++;
	for (i = 1; i < 16; i++)
		if (hist[i] > hist[bgv])
			bgv = i;
	bgv = bgv * 16 + 8;
	for (y = 0; y < wh; y++)
		for (x = 0; x < ww; x++)
			lm[y * ww + x] = abs(pg->grey[(size_t)(win.y0 + y) * pg->W +
						      win.x0 + x] - bgv) > 70;
	lr = (struct rect){ 0, 0, ww, wh };
	n = comps_on(lm, ww, &lr, cs, 64, 0);
	for (i = 0; i < n; i++) {
		double h = cs[i].y1 - cs[i].y0, w = cs[i].x1 - cs[i].x0;

		if (h * nm < 6 || h * nm > 50 || w > 1.6 * h || cs[i].n < 8)
			continue;
		/* the glyph must stand free: not touching the window edge */
		if (cs[i].x0 <= 0 && r->x0 > 0)
			continue;
		if (cs[i].x1 >= ww || cs[i].y1 >= wh)
			continue;
		if (read_glyph_on(pg, lm, ww, &cs[i], lab, &p) && p > bestp &&
		    (best < 0 || cs[i].y0 + cs[i].x0 < cs[best].y0 + cs[best].x0 +
		     20 / nm)) {
			best = i;
			bestp = p;
			memcpy(label, lab, 16);
		}
	}
	free(lm);
	return best >= 0;
}

static double
rect_gap(const struct rect *a, const struct rect *b)
{
	double dx = fmax(0, fmax(a->x0 - b->x1, b->x0 - a->x1));
	double dy = fmax(0, fmax(a->y0 - b->y1, b->y0 - a->y1));

	return dx + dy;
}

static int
rects_overlap(const struct rect *a, const struct rect *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/*
 * Grow panel leaves[p] over leaves[q] unless the union would overlap another
 * panel; 1 if it grew.
 */
static int
join_panel(struct wn_panels_page *pg, size_t p, size_t q)
{
	const struct rect *a = &pg->leaves[p].r, *b = &pg->leaves[q].r;
	struct rect u = {
		a->x0 < b->x0 ? a->x0 : b->x0, a->y0 < b->y0 ? a->y0 : b->y0,
		a->x1 > b->x1 ? a->x1 : b->x1, a->y1 > b->y1 ? a->y1 : b->y1,
	};
	size_t k;

	for (k = 0; k < pg->nleaves; k++) {
		const struct leaf *o = &pg->leaves[k];

		if (k != p && k != q && !o->is_label &&
		    o->score >= pg->m->leaf_threshold && rects_overlap(&u, &o->r))
			return 0;
	}
	pg->leaves[p].r = u;
	return 1;
}

/*
 * Regions that are not panels on their own (axis titles, tick labels, legends
 * cut off by a gutter) join the nearest panel when it is close and the union
 * overlaps no other panel; the rest (figure titles far away, specks) go.
 */
static void
merge_fragments(struct wn_panels_page *pg)
{
	const struct wn_panel_model *m = pg->m;
	size_t i, j;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < pg->nleaves; i++) {
			struct leaf *lf = &pg->leaves[i];
			double bestd = 1e30;
			size_t best = SIZE_MAX;

			if (lf->is_label || lf->score >= m->leaf_threshold ||
			    lf->is_label == 2)
				continue;
			for (j = 0; j < pg->nleaves; j++) {
				struct leaf *p = &pg->leaves[j];
				double d;

				if (j == i || p->is_label ||
				    p->score < m->leaf_threshold)
					continue;
				d = rect_gap(&lf->r, &p->r);
				if (d < bestd) {
					bestd = d;
					best = j;
				}
			}
			if (best == SIZE_MAX || bestd * pg->norm > 30)
				continue;
			if (join_panel(pg, best, i))
				lf->is_label = 2;	/* absorbed */
		}
	}
	for (i = 0; i < pg->nleaves; i++)
		if (pg->leaves[i].is_label == 2)
			pg->leaves[i].is_label = 0, pg->leaves[i].score = 0;
}

/*
 * A small region right against a panel's edge and within its span (the
 * tick labels of a bar chart, cut off by the gutter under its axis) is part
 * of that panel even when it looks like a panel on its own: at most
 * APPEND_AREA of the panel's area and APPEND_GAP per mille away.
 */
#define APPEND_AREA	0.1
#define APPEND_GAP	8

static void
absorb_appendages(struct wn_panels_page *pg)
{
	const struct wn_panel_model *m = pg->m;
	size_t i, j;

	for (i = 0; i < pg->nleaves; i++) {
		struct leaf *q = &pg->leaves[i];
		double qa = (double)(q->r.x1 - q->r.x0) * (q->r.y1 - q->r.y0);
		double tol = APPEND_GAP / pg->norm;
		size_t best = SIZE_MAX;
		double besta = 0;

		if (q->is_label || q->score < m->leaf_threshold)
			continue;
		for (j = 0; j < pg->nleaves; j++) {
			const struct leaf *p = &pg->leaves[j];
			double pa = (double)(p->r.x1 - p->r.x0) *
				    (p->r.y1 - p->r.y0);
			int below, beside;

			if (j == i || p->is_label || p->score < m->leaf_threshold ||
			    qa > APPEND_AREA * pa || rect_gap(&q->r, &p->r) > tol)
				continue;
			below = q->r.x0 >= p->r.x0 - tol && q->r.x1 <= p->r.x1 + tol;
			beside = q->r.y0 >= p->r.y0 - tol && q->r.y1 <= p->r.y1 + tol;
			if ((below || beside) && pa > besta) {
				besta = pa;
				best = j;
			}
		}
		if (best != SIZE_MAX && join_panel(pg, best, i))
			q->score = 0;
	}
}

struct order {
	size_t i;
	int row, x;
};

static int
cmp_order(const void *a, const void *b)
{
	const struct order *p = a, *q = b;

	if (p->row != q->row)
		return p->row < q->row ? -1 : 1;
	return (p->x > q->x) - (p->x < q->x);
}

/*
 * The cells of a regular grid are one panel's parts (one plot per
 * condition) unless they carry letters of their own: a letter printed at the
 * grid's top-left corner goes to all of them, and what the cells show near
 * their corners (tick labels, row headers) is not a letter.  A cell that
 * reads the letter after the corner's (a, then b) is lettered on its own.
 */
static void
share_grid_labels(const struct wn_panels_page *pg, struct wn_panel_set *s,
		  const struct rect *wr)
{
	int g, k;
	size_t i, j;

	for (g = 0; g < pg->ngrids; g++) {
		const struct rect *gr = &pg->grids[g];
		double bestd = 1e30;
		char lab[16] = "";
		int inside = 0, own = 0, outer = 1;

		/* the outermost grid decides */
		for (k = 0; k < pg->ngrids && outer; k++)
			outer = k == g || !rect_holds(&pg->grids[k], gr) ||
				(pg->grids[k].x1 - pg->grids[k].x0) *
				(pg->grids[k].y1 - pg->grids[k].y0) <=
				(gr->x1 - gr->x0) * (gr->y1 - gr->y0);
		if (!outer)
			continue;
		for (j = 0; j < pg->nleaves + pg->nlabels; j++) {
			const struct leaf *lb = j < pg->nleaves ? &pg->leaves[j]
					      : &pg->labels[j - pg->nleaves];
			double cx = (lb->r.x0 + lb->r.x1) / 2.0;
			double cy = (lb->r.y0 + lb->r.y1) / 2.0, d;

			if (!lb->is_label || lb->label[0] == '\0' ||
			    cx > gr->x0 + 40 / pg->norm ||
			    cy > gr->y0 + 40 / pg->norm ||
			    cx < gr->x0 - 80 / pg->norm ||
			    cy < gr->y0 - 80 / pg->norm)
				continue;
			d = fabs(cx - gr->x0) + fabs(cy - gr->y0);
			if (d < bestd) {
				bestd = d;
				memcpy(lab, lb->label, sizeof(lab));
			}
		}
		if (lab[0] == '\0' || lab[1] != '\0')
			continue;
		for (i = 0; i < s->n; i++) {
			if (!rect_holds(gr, &wr[i]))
				continue;
			inside++;
			own += s->v[i].label[0] == lab[0] + 1 &&
			       s->v[i].label[1] == '\0';
		}
		if (inside < 2 || own > 0)
			continue;
		for (i = 0; i < s->n; i++)
			if (rect_holds(gr, &wr[i]))
				memcpy(s->v[i].label, lab, sizeof(lab));
	}
}

/*
 * Letters run in sequence: when the letters read are a, b, d and one panel
 * between b and d in reading order (rows, then left to right) has none, its
 * letter is c.  Only for figures lettered with single letters of one case.
 */
static void
fill_label_gaps(const struct wn_panels_page *pg, struct wn_panel_set *s,
		const struct rect *wr)
{
	struct order *o;
	size_t i, j, k;
	int upper = -1, seen[26] = { 0 }, row_h;

	if (s->n < 3)
		return;
	for (i = 0; i < s->n; i++) {
		const char *l = s->v[i].label;
		int up;

		if (l[0] == '\0')
			continue;
		if (l[1] != '\0' || !((l[0] >= 'a' && l[0] <= 'z') ||
				       (l[0] >= 'A' && l[0] <= 'Z')))
			return;
		up = l[0] <= 'Z';
		if (upper >= 0 && up != upper)
			return;
		upper = up;
		seen[(l[0] | 0x20) - 'a']++;
	}
	if (upper < 0)
		return;
	o = malloc(s->n * sizeof(*o));
	if (o == NULL)
		return;
	/* rows: panels whose tops are within a fifth of a typical height */
	row_h = (int)(0.2 * (wr[0].y1 - wr[0].y0)) + 1;
	for (i = 0; i < s->n; i++) {
		o[i].i = i;
		o[i].row = wr[i].y0 / row_h;
		o[i].x = wr[i].x0;
	}
	qsort(o, s->n, sizeof(*o), cmp_order);
	/* between two read letters p < n with exactly the letters p+1..n-1
	   missing and exactly as many unlettered panels between them */
	for (i = 0; i < s->n; i++) {
		int p, n, miss;

		if (s->v[o[i].i].label[0] == '\0')
			continue;
		p = (s->v[o[i].i].label[0] | 0x20) - 'a';
		for (j = i + 1; j < s->n && s->v[o[j].i].label[0] == '\0'; j++)
			;
		if (j == s->n || j == i + 1)
			continue;
		n = (s->v[o[j].i].label[0] | 0x20) - 'a';
		miss = n - p - 1;
		if (miss != (int)(j - i - 1))
			continue;
		for (k = 1; k <= (size_t)miss; k++)
			if (seen[p + k])
				break;
		if (k <= (size_t)miss)
			continue;
		for (k = 1; k <= (size_t)miss; k++) {
			char *l = s->v[o[i + k].i].label;

			l[0] = (char)((upper ? 'A' : 'a') + p + (int)k);
			l[1] = '\0';
		}
	}
	free(o);
	(void)pg;
}

/*
 * Panels without a letter of their own belong to the panel whose letter is
 * printed nearest above or left of them (panel A made of six micrographs has
 * one "A"): they take the label of the nearest labelled corner or free letter
 * that precedes them in reading order.
 */
static void
propagate_labels(const struct wn_panels_page *pg, struct wn_panel_set *s,
		 const struct rect *wr)
{
	size_t i, j, nsrc = pg->nlabels;
	char (*tmp)[16];

	tmp = calloc(s->n ? s->n : 1, sizeof(*tmp));
	if (tmp == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		const struct rect *u = &wr[i];
		double bestd = 1e30;

		if (s->v[i].label[0] != '\0')
			continue;
		for (j = 0; j < nsrc; j++) {
			double cx, cy, d;
			const char *lab;

			if (j < pg->nlabels) {
				const struct leaf *lb = &pg->labels[j];

				cx = (lb->r.x0 + lb->r.x1) / 2.0;
				cy = (lb->r.y0 + lb->r.y1) / 2.0;
				lab = lb->label;
			} else {
				const struct rect *o = &wr[j - pg->nlabels];

				if (j - pg->nlabels == i ||
				    s->v[j - pg->nlabels].label[0] == '\0')
					continue;
				cx = o->x0;
				cy = o->y0;
				lab = s->v[j - pg->nlabels].label;
			}
			/* at or before the unit: above it, or left in its band */
			if (cx > u->x0 + 0.25 * (u->x1 - u->x0) ||
			    cy > u->y0 + 0.25 * (u->y1 - u->y0))
				continue;
			d = hypot(cx - u->x0, cy - u->y0);
			if (d < bestd) {
				bestd = d;
				memcpy(tmp[i], lab, 16);
			}
		}
	}
	for (i = 0; i < s->n; i++)
		if (s->v[i].label[0] == '\0' && tmp[i][0] != '\0')
			memcpy(s->v[i].label, tmp[i], 16);
	free(tmp);
}

/*
 * Make s a single panel: the whole figure, trimmed to its content when that
 * stands on paper (a dark field around a scan or micrograph is part of it).
 * s->v holds room for at least one panel.
 */
static void
whole_panel(const struct wn_panels_page *pg, struct wn_panel_set *s,
	    float score)
{
	struct rect r = { 0, 0, pg->W, pg->H };

	s->v[0] = (struct wn_panel){ 0, 0, s->width, s->height, "", score };
	if (pg->bg_light && trim(pg, &r)) {
		s->v[0].x = (int)(r.x0 * pg->sx);
		s->v[0].y = (int)(r.y0 * pg->sy);
		s->v[0].w = (int)ceil(r.x1 * pg->sx) - s->v[0].x;
		s->v[0].h = (int)ceil(r.y1 * pg->sy) - s->v[0].y;
	}
	s->n = 1;
}

/* Features of the whole result, for the compound-or-single decision. */
static void
figure_features(const struct wn_panels_page *pg, const struct wn_panel_set *s,
		const struct rect *wr, float *f)
{
	struct rect whole = { 0, 0, pg->W, pg->H };
	double wa, sum = 0, mx = 0, smin = 1, ssum = 0, esum = 0, emin = 1;
	size_t i, j, labelled = 0, aligned = 0;

	memset(f, 0, sizeof(float) * WN_PANELS_FIG_NF);
	if (!trim(pg, &whole))
		whole = (struct rect){ 0, 0, pg->W, pg->H };
	wa = (double)(whole.x1 - whole.x0) * (whole.y1 - whole.y0) + 1;
	for (i = 0; i < s->n; i++) {
		const struct rect *r = &wr[i];
		double a = (double)(r->x1 - r->x0) * (r->y1 - r->y0);
		double w = r->x1 - r->x0, h = r->y1 - r->y0, e;
		double tol = 0.015 * (pg->W > pg->H ? pg->W : pg->H);

		sum += a;
		mx = fmax(mx, a);
		smin = fmin(smin, s->v[i].score);
		ssum += s->v[i].score;
		labelled += s->v[i].label[0] != '\0';
		e = ((double)rsum(pg, r->x0, r->y0, r->x1, r->y0 + 1) / (w + 1) +
		     (double)rsum(pg, r->x0, r->y1 - 1, r->x1, r->y1) / (w + 1) +
		     (double)rsum(pg, r->x0, r->y0, r->x0 + 1, r->y1) / (h + 1) +
		     (double)rsum(pg, r->x1 - 1, r->y0, r->x1, r->y1) / (h + 1)) / 4;
		esum += e;
		emin = fmin(emin, e);
		for (j = 0; j < s->n; j++) {
			if (j == i)
				continue;
			if (abs(wr[j].x0 - r->x0) < tol && abs(wr[j].y0 - r->y0) > tol) {
				aligned++;
				break;
			}
			if (abs(wr[j].y0 - r->y0) < tol && abs(wr[j].x0 - r->x0) > tol) {
				aligned++;
				break;
			}
		}
	}
	f[0] = 1;
	f[1] = (float)log((double)s->n);
	f[2] = (float)fmin(1.5, sum / wa);
	f[3] = (float)(mx / wa);
	f[4] = (float)smin;
	f[5] = (float)(ssum / s->n);
	f[6] = (float)(pg->nlabels < 6 ? pg->nlabels / 6.0 : 1);
	f[7] = (float)((double)labelled / s->n);
	f[8] = (float)(esum / s->n);
	f[9] = (float)emin;
	f[10] = (float)((double)aligned / s->n);
	f[11] = pg->top_score;
	f[12] = s->n == 2;
	f[13] = (float)density(pg, &whole);
	/* figures stand on paper, white or black; a border of middle grey
	   or colour is a photograph's own edge, and its gaps are chance */
	f[14] = pg->bg_luma > 48 && pg->bg_luma < 200;
}

int
wn_panels_detect(const struct wn_panel_model *m, const struct wn_image *rgb,
		 struct wn_panel_set *ret)
{
	return wn_panels_detect_ex(m, rgb, ret, NULL);
}

/*
 * The panels of a prepared page, cut at pg->cut_threshold.  The page keeps
 * what its preparation found (mask, integrals, free letters), so it can be
 * cut again at another threshold.
 */
static int
detect_page(struct wn_panels_page *pg, struct wn_panel_set *ret,
	    float *ret_feat)
{
	const struct wn_panel_model *m = pg->m;
	struct wn_panel_set s = { 0 };
	struct rect whole, *wr = NULL;
	size_t i, j, np = 0;
	int rc, upper = 0, lower = 0;

	pg->nleaves = 0;
	pg->ngrids = 0;
	pg->top_score = 0;
	s.width = pg->ow;
	s.height = pg->oh;
	whole = (struct rect){ 0, 0, pg->W, pg->H };
	if (pg->W >= WN_PANELS_MIN_SIDE && pg->H >= WN_PANELS_MIN_SIDE &&
	    (rc = xy_cut(pg, whole, 0, 0)) < 0)
		goto out;
	complete_grids(pg);
	/* classify the regions */
	for (i = 0; i < pg->nleaves; i++) {
		struct leaf *lf = &pg->leaves[i];
		float f[WN_PANELS_LEAF_NF];

		lf->is_label = pg->nleaves > 1 && leaf_glyph(pg, lf);
		leaf_features(pg, lf, f);
		lf->score = (float)model_p(m->leaf_w, &m->leaf_trees, f,
					   WN_PANELS_LEAF_NF);
		if (!lf->is_label && lf->score >= m->leaf_threshold)
			np++;
	}
	if (np > 0) {
		merge_fragments(pg);
		absorb_appendages(pg);
		for (np = 0, i = 0; i < pg->nleaves; i++)
			np += !pg->leaves[i].is_label &&
			      pg->leaves[i].score >= m->leaf_threshold;
	}
	if (np == 0) {
		/* nothing convincing: the whole figure is one panel */
		s.v = calloc(1, sizeof(*s.v));
		if (s.v == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		whole_panel(pg, &s, 1.0f);
		goto done;
	}
	if (np > WN_PANELS_MAX)
		np = WN_PANELS_MAX;
	s.v = calloc(np, sizeof(*s.v));
	wr = calloc(np, sizeof(*wr));
	if (s.v == NULL || wr == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pg->nleaves && s.n < np; i++) {
		struct leaf *lf = &pg->leaves[i];
		struct wn_panel *p;
		double bestd = 1e30;

		if (lf->is_label || lf->score < m->leaf_threshold)
			continue;
		p = &s.v[s.n++];
		p->x = (int)(lf->r.x0 * pg->sx);
		p->y = (int)(lf->r.y0 * pg->sy);
		p->w = (int)ceil(lf->r.x1 * pg->sx) - p->x;
		p->h = (int)ceil(lf->r.y1 * pg->sy) - p->y;
		p->score = lf->score;
		/* the nearest free letter above or left of the corner */
		for (j = 0; j < pg->nleaves + pg->nlabels; j++) {
			const struct leaf *lb = j < pg->nleaves ? &pg->leaves[j]
					      : &pg->labels[j - pg->nleaves];
			double dx = lf->r.x0 - lb->r.x1, dy = lf->r.y0 - lb->r.y1;
			double cx = (lb->r.x0 + lb->r.x1) / 2.0;
			double cy = (lb->r.y0 + lb->r.y1) / 2.0, d;

			if (!lb->is_label)
				continue;
			if (cx > lf->r.x0 + 0.5 * (lf->r.x1 - lf->r.x0) ||
			    cy > lf->r.y0 + 0.5 * (lf->r.y1 - lf->r.y0) ||
			    cx < lf->r.x0 - 80 / pg->norm ||
			    cy < lf->r.y0 - 80 / pg->norm)
				continue;
			d = fmax(dx, 0) + fmax(dy, 0) +
			    0.2 * (fabs(cx - lf->r.x0) + fabs(cy - lf->r.y0));
			if (d < bestd) {
				bestd = d;
				memcpy(p->label, lb->label, sizeof(p->label));
			}
		}
		if (p->label[0] == '\0')
			corner_glyph(pg, &lf->r, p->label);
		wr[s.n - 1] = lf->r;
	}
	share_grid_labels(pg, &s, wr);
	fill_label_gaps(pg, &s, wr);
	propagate_labels(pg, &s, wr);
	/* letters whose case does not show follow the figure's case */
	for (i = 0; i < s.n; i++) {
		char c = s.v[i].label[0];

		if (c == '\0' || ambiguous_case(c))
			continue;
		if (c >= 'A' && c <= 'Z')
			upper++;
		else if (c >= 'a' && c <= 'z')
			lower++;
	}
	for (i = 0; i < s.n; i++) {
		char *c = &s.v[i].label[0];

		if (*c == '\0' || !ambiguous_case(*c) || upper == lower)
			continue;
		if (upper > lower && *c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
		else if (lower > upper && *c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	if (s.n > 1 && (ret_feat != NULL || m->has_fig)) {
		float ff[WN_PANELS_FIG_NF];
		double pc = 0;

		figure_features(pg, &s, wr, ff);
		if (m->has_fig)
			pc = model_p(m->fig_w, &m->fig_trees, ff,
				     WN_PANELS_FIG_NF);
		if (m->has_fig && wn_log_enabled(WN_LOG_DEBUG)) {
			int k;
			char buf[256];
			size_t o = 0;

			for (k = 0; k < WN_PANELS_FIG_NF && o < sizeof(buf) - 16; k++)
				o += (size_t)snprintf(buf + o, sizeof(buf) - o,
						      " %.3g", ff[k]);
			wn_debug("figure of %zu panels: compound p=%.3f, features%s",
				 s.n, pc, buf);
		}
		if (ret_feat != NULL) {
			memcpy(ret_feat, ff, sizeof(ff));
		} else if (pg->ngrids == 0 && pc < pg->fig_threshold) {
			/* not compound after all: one panel, the content */
			whole_panel(pg, &s, (float)(1 - pc));
		}
	} else if (s.n == 1) {
		/* one panel: the figure is that image, not a part of it */
		whole_panel(pg, &s, s.v[0].score);
	}
done:
	s.compound = s.n > 1;
	*ret = s;
	s = (struct wn_panel_set){ 0 };
	rc = 0;
out:
	free(wr);
	wn_panel_set_release(&s);
	return rc;
}

int
wn_panels_detect_ex(const struct wn_panel_model *m, const struct wn_image *rgb,
		    struct wn_panel_set *ret, float *ret_feat)
{
	struct wn_panels_page *pg = NULL;
	int rc;

	if (m == NULL || rgb == NULL || ret == NULL)
		return -EINVAL;
	if ((rc = wn_panels_page_new(m, rgb, &pg)) < 0)
		return rc;
	rc = detect_page(pg, ret, ret_feat);
	wn_panels_page_free(pg);
	return rc;
}

int
wn_panels_collect_leaves(struct wn_panels_page *pg,
			 const struct wn_panels_box *gt,
			 size_t ngt, wn_panels_example_fn fn, void *ud)
{
	struct rect whole = { 0, 0, pg->W, pg->H };
	size_t i, k;
	int rc;

	pg->nleaves = 0;
	if ((rc = xy_cut(pg, whole, 0, 0)) < 0)
		return rc;
	for (i = 0; i < pg->nleaves; i++) {
		struct leaf *lf = &pg->leaves[i];
		float f[WN_PANELS_LEAF_NF];
		double a = (double)(lf->r.x1 - lf->r.x0) * (lf->r.y1 - lf->r.y0);
		double best = 0;
		int target;

		lf->is_label = pg->nleaves > 1 && leaf_glyph(pg, lf);
		if (lf->is_label)
			continue;
		leaf_features(pg, lf, f);
		for (k = 0; k < ngt; k++) {
			double gx0 = gt[k].x / pg->sx, gy0 = gt[k].y / pg->sy;
			double gx1 = (gt[k].x + gt[k].w) / pg->sx;
			double gy1 = (gt[k].y + gt[k].h) / pg->sy;
			double iw = fmin(gx1, lf->r.x1) - fmax(gx0, lf->r.x0);
			double ih = fmin(gy1, lf->r.y1) - fmax(gy0, lf->r.y0);

			if (iw > 0 && ih > 0) {
				double in = iw * ih;
				double un = a + (gx1 - gx0) * (gy1 - gy0) - in;

				best = fmax(best, in / un);
			}
		}
		target = best >= 0.5;
		if ((rc = fn(ud, f, target)) < 0)
			return rc;
	}
	return 0;
}

int
wn_panels_detect_hint(const struct wn_panel_model *m,
		      const struct wn_image *rgb, int want,
		      struct wn_panel_set *ret)
{
	static const float lower[] = { 0.35f, 0.25f, 0.15f };
	struct wn_panels_page *pg = NULL;
	size_t k;
	int rc;

	if (m == NULL || rgb == NULL || ret == NULL)
		return -EINVAL;
	if ((rc = wn_panels_page_new(m, rgb, &pg)) < 0)
		return rc;
	/* the caption's list of panels says the figure is compound: the split
	   is kept when more likely right than not */
	if (want >= 2 && pg->fig_threshold > HINT_FIG_THRESHOLD)
		pg->fig_threshold = HINT_FIG_THRESHOLD;
	rc = detect_page(pg, ret, NULL);
	/* the same page, cut again at lower thresholds */
	for (k = 0; rc == 0 && want >= 2 && (int)ret->n < want &&
	     k < sizeof(lower) / sizeof(lower[0]); k++) {
		struct wn_panel_set s = { 0 };

		if (lower[k] >= m->cut_threshold)
			continue;
		pg->cut_threshold = lower[k];
		if ((rc = detect_page(pg, &s, NULL)) < 0) {
			wn_panel_set_release(ret);
		} else if (s.n > ret->n && (int)s.n <= want + 1) {
			wn_panel_set_release(ret);
			*ret = s;
		} else {
			wn_panel_set_release(&s);
		}
	}
	wn_panels_page_free(pg);
	return rc;
}

int
wn_panels_image_load(const char *path, struct wn_image *img)
{
	struct wn_img_opts o = { .channels = 3,
				 .min_side = WN_PANELS_DECODE_MIN_SIDE };

	return wn_image_load_file(path, &o, img);
}

int
wn_panels_detect_file_hint(const struct wn_panel_model *m, const char *path,
			   int want, struct wn_panel_set *ret)
{
	struct wn_image img = { 0 };
	int rc;

	rc = wn_panels_image_load(path, &img);
	if (rc < 0)
		return rc;
	rc = wn_panels_detect_hint(m, &img, want, ret);
	wn_image_release(&img);
	return rc;
}

int
wn_panels_detect_file(const struct wn_panel_model *m, const char *path,
		      struct wn_panel_set *ret)
{
	return wn_panels_detect_file_hint(m, path, 0, ret);
}

void
wn_panel_set_release(struct wn_panel_set *s)
{
	if (s == NULL)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
