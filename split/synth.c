/*
 * synth.c: the synthetic compound-figure generator used by winnow-train.
 *
 * A canvas is split recursively (guillotine cuts: grids, rows, columns and
 * nested irregular layouts) with gutters drawn from none to wide, sometimes
 * with a thin line in the gutter.  Each cell receives a real single image
 * (cropped to fill or fitted, sometimes framed or with an inset) or a drawn
 * plot whose axes, tick labels, title and legend all belong to the unit, and
 * a printed label above, left of or inside its corner.  The unit boxes are
 * exact, as the annotation guide defines them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/img.h"
#include "lib/log.h"
#include "lib/util.h"
#include "split/synth.h"

#define POOL_MAX_IMAGES	256
#define POOL_SIDE	400
#define SHEET_MAX	(4u << 20)
#define GLYPH_MAX	4096

struct glyph {
	char ch;
	int w, h;
	uint8_t *bits;		/* owned: w * h, 1 = ink */
};

struct synth_pool {
	struct wn_image *img;	/* owned: nimg RGB images */
	size_t nimg;
	struct glyph *g;	/* owned */
	size_t ng;
};

struct rng {
	uint64_t s;
};

static uint64_t
rnext(struct rng *r)
{
	return wn_splitmix64(&r->s);
}

static double
runif(struct rng *r)
{
	return (rnext(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int
rint_in(struct rng *r, int lo, int hi)	/* [lo, hi] */
{
	if (hi <= lo)
		return lo;
	return lo + (int)(rnext(r) % (uint64_t)(hi - lo + 1));
}

/* ---------- pool ---------- */

static int
load_sheet(struct synth_pool *p, const char *path)
{
	char *data = NULL, *line, *nl;
	size_t len;
	int rc = wn_read_file(path, SHEET_MAX, &data, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	p->g = calloc(GLYPH_MAX, sizeof(*p->g));
	if (p->g == NULL) {
		free(data);
		return -ENOMEM;
	}
	for (line = data; line < data + len && p->ng < GLYPH_MAX; line = nl + 1) {
		char ch[8], *hex;
		int w, h, n, x, y, rw;
		struct glyph *g;

		nl = memchr(line, '\n', (size_t)(data + len - line));
		if (nl == NULL)
			nl = data + len;
		*nl = '\0';
		if (sscanf(line, "%7s %d %d %n", ch, &w, &h, &n) != 3 ||
		    w <= 0 || h <= 0 || w > 256 || h > 256 || strlen(ch) != 1)
			continue;
		hex = line + n;
		rw = (w + 3) / 4;
		if ((int)strlen(hex) < rw * h)
			continue;
		g = &p->g[p->ng];
		g->bits = malloc((size_t)w * h);
		if (g->bits == NULL) {
			free(data);
			return -ENOMEM;
		}
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++) {
				char c = hex[y * rw + x / 4];
				int v = c >= 'a' ? c - 'a' + 10 : c - '0';

				g->bits[y * w + x] = (v >> (3 - x % 4)) & 1;
			}
		g->ch = ch[0];
		g->w = w;
		g->h = h;
		p->ng++;
	}
	free(data);
	return 0;
}

void
synth_pool_free(struct synth_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nimg; i++)
		wn_image_release(&p->img[i]);
	for (i = 0; i < p->ng; i++)
		free(p->g[i].bits);
	free(p->img);
	free(p->g);
	free(p);
}

size_t
synth_pool_size(const struct synth_pool *p)
{
	return p != NULL ? p->nimg : 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
synth_pool_load(const char *dir, struct synth_pool **ret)
{
	struct synth_pool *p;
	struct dirent *de;
	char *names[POOL_MAX_IMAGES], path[4096];
	size_t nn = 0, i;
	DIR *d;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->img = calloc(POOL_MAX_IMAGES, sizeof(*p->img));
	if (p->img == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	d = opendir(dir);
	if (d == NULL) {
		rc = -errno;
		goto fail;
	}
	while ((de = readdir(d)) != NULL && nn < POOL_MAX_IMAGES) {
		size_t l = strlen(de->d_name);

		if (l < 5 || (strcmp(de->d_name + l - 4, ".jpg") != 0 &&
			      strcmp(de->d_name + l - 4, ".png") != 0))
			continue;
		names[nn] = strdup(de->d_name);
		if (names[nn] == NULL) {
			closedir(d);
			rc = -ENOMEM;
			goto fail_names;
		}
		nn++;
	}
	closedir(d);
	/* directory order is not stable: sort for reproducible figures */
	qsort(names, nn, sizeof(*names), cmp_str);
	for (i = 0; i < nn; i++) {
		struct wn_img_opts o = { .channels = 3, .min_side = 0 };
		struct wn_image img = { 0 };
		int w, h;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (wn_image_load_file(path, &o, &img) < 0)
			continue;	/* unreadable: the pool does without */
		w = img.width;
		h = img.height;
		if (w > POOL_SIDE || h > POOL_SIDE) {
			double f = (double)POOL_SIDE / (w > h ? w : h);
			struct wn_image small = { 0 };

			rc = wn_image_resize_area(&img, (int)(w * f) > 0 ? (int)(w * f) : 1,
						  (int)(h * f) > 0 ? (int)(h * f) : 1,
						  &small);
			wn_image_release(&img);
			if (rc < 0)
				goto fail_names;
			img = small;
		}
		p->img[p->nimg++] = img;
	}
	if (p->nimg == 0) {
		rc = -ENOENT;
		goto fail_names;
	}
	snprintf(path, sizeof(path), "%s/glyph-sheet.txt", dir);
	if ((rc = load_sheet(p, path)) < 0)
		goto fail_names;
	for (i = 0; i < nn; i++)
		free(names[i]);
	*ret = p;
	return 0;
fail_names:
	for (i = 0; i < nn; i++)
		free(names[i]);
fail:
	synth_pool_free(p);
	return rc;
}

/* ---------- drawing ---------- */

struct canvas {
	uint8_t *px;		/* borrowed: the figure's RGB pixels */
	int w, h;
};

static void
fill(struct canvas *c, int x0, int y0, int x1, int y1, const uint8_t col[3])
{
	int x, y;

	if (x0 < 0) x0 = 0;
	if (y0 < 0) y0 = 0;
	if (x1 > c->w) x1 = c->w;
	if (y1 > c->h) y1 = c->h;
	for (y = y0; y < y1; y++)
		for (x = x0; x < x1; x++)
			memcpy(c->px + ((size_t)y * c->w + x) * 3, col, 3);
}

static void
line(struct canvas *c, int x0, int y0, int x1, int y1, int t,
     const uint8_t col[3])
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;

	for (;;) {
		int e2 = 2 * err;

		fill(c, x0, y0, x0 + t, y0 + t, col);
		if (x0 == x1 && y0 == y1)
			break;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

/* Draw a glyph scaled to height h at (x, y); returns its drawn width. */
static int
glyph(struct canvas *c, const struct glyph *g, int x, int y, int h,
      const uint8_t col[3])
{
	int w = g->w * h / g->h, i, j;

	if (w < 1)
		w = 1;
	for (i = 0; i < h; i++)
		for (j = 0; j < w; j++)
			if (g->bits[(i * g->h / h) * g->w + j * g->w / w])
				fill(c, x + j, y + i, x + j + 1, y + i + 1, col);
	return w;
}

static const struct glyph *
find_glyph(const struct synth_pool *p, char ch, int font)
{
	size_t i, n = 0, k;

	for (i = 0; i < p->ng; i++)
		n += p->g[i].ch == ch;
	if (n == 0)
		return NULL;
	k = (size_t)font % n;
	for (i = 0; i < p->ng; i++)
		if (p->g[i].ch == ch && k-- == 0)
			return &p->g[i];
	return NULL;
}

/* A word of random letters, as tick labels and titles look from afar. */
static int
word(struct canvas *c, const struct synth_pool *p, struct rng *r, int x, int y,
     int h, int nch, const uint8_t col[3])
{
	int i, x0 = x;

	for (i = 0; i < nch && p->ng > 0; i++) {
		const struct glyph *g = &p->g[rnext(r) % p->ng];

		x += glyph(c, g, x, y, h, col) + 1;
	}
	return x - x0;
}

/* Paste src resized to (w, h) at (x, y). */
static int
paste(struct canvas *c, const struct wn_image *src, int sx, int sy, int sw,
      int sh, int x, int y, int w, int h)
{
	struct wn_image crop = { 0 }, sized = { 0 };
	int rc, i;

	if (w <= 0 || h <= 0)
		return 0;
	if ((rc = wn_image_crop(src, sx, sy, sw, sh, &crop)) < 0)
		return rc;
	rc = wn_image_resize_area(&crop, w, h, &sized);
	wn_image_release(&crop);
	if (rc < 0)
		return rc;
	for (i = 0; i < h; i++) {
		if (y + i < 0 || y + i >= c->h)
			continue;
		if (x < 0 || x + w > c->w)
			continue;
		memcpy(c->px + ((size_t)(y + i) * c->w + x) * 3,
		       sized.px + (size_t)i * w * 3, (size_t)w * 3);
	}
	wn_image_release(&sized);
	return 0;
}

/* ---------- layout ---------- */

struct cell {
	int x0, y0, x1, y1;
};

struct style {
	uint8_t bg[3], ink[3];
	int gutter, lines, label_pos, label_h, upper, font, grid;
};

static void
split_cells(struct rng *r, const struct style *st, struct cell c, int depth,
	    struct cell *out, size_t *n, size_t max)
{
	int w = c.x1 - c.x0, h = c.y1 - c.y0, axis, k, i, pos, g;
	double stop = depth == 0 ? 0.04 : depth == 1 ? 0.35 : 0.7;

	if (*n >= max)
		return;
	if (w < 90 || h < 70 || runif(r) < stop || *n + 4 > max) {
		out[(*n)++] = c;
		return;
	}
	axis = w * runif(r) * 1.6 > h * runif(r) ? 1 : 0;	/* 1: columns */
	k = rint_in(r, 2, st->grid ? 4 : 3);
	g = st->gutter + (st->grid ? 0 : rint_in(r, 0, st->gutter / 3));
	if ((axis ? w : h) < k * 60 + (k - 1) * g)
		k = 2;
	if ((axis ? w : h) < k * 40 + (k - 1) * g) {
		out[(*n)++] = c;
		return;
	}
	pos = axis ? c.x0 : c.y0;
	for (i = 0; i < k; i++) {
		struct cell s = c;
		int len = axis ? w : h, part, end;

		part = (len - (k - 1) * g) / k;
		if (!st->grid && i < k - 1)
			part = (int)(part * (0.6 + 0.8 * runif(r)));
		end = i == k - 1 ? (axis ? c.x1 : c.y1) : pos + part;
		if (axis) {
			s.x0 = pos;
			s.x1 = end;
		} else {
			s.y0 = pos;
			s.y1 = end;
		}
		if (end - pos >= 24)
			split_cells(r, st, s, depth + 1, out, n, max);
		if (i < k - 1 && st->lines && g > 0) {
			/* the thin line in the gutter is drawn later */
		}
		pos = end + g;
		if (pos >= (axis ? c.x1 : c.y1))
			break;
	}
}

/* A drawn plot inside c; returns its content box. */
static struct cell
plot(struct canvas *cv, const struct synth_pool *p, struct rng *r,
     const struct style *st, struct cell c)
{
	int w = c.x1 - c.x0, th = rint_in(r, 7, 11);
	int ax0 = c.x0 + th * 3 + 4, ay1 = c.y1 - th * 2 - 4, ay0 = c.y0;
	int ax1 = c.x1 - 2, i, n, bar;
	struct cell box = c;
	uint8_t col[3];

	if (runif(r) < 0.5) {		/* title */
		word(cv, p, r, c.x0 + w / 4, c.y0, th + 2, rint_in(r, 3, 10),
		     st->ink);
		ay0 += th + 6;
	}
	if (ax1 - ax0 < 20 || ay1 - ay0 < 20) {
		fill(cv, c.x0, c.y0, c.x1, c.y1, st->ink);
		return c;
	}
	line(cv, ax0, ay0, ax0, ay1, 1, st->ink);
	line(cv, ax0, ay1, ax1, ay1, 1, st->ink);
	for (i = 0; i <= 4; i++) {	/* ticks and tick labels */
		int ty = ay1 - i * (ay1 - ay0) / 4;

		line(cv, ax0 - 3, ty, ax0, ty, 1, st->ink);
		word(cv, p, r, c.x0 + th, ty - th / 2, th, rint_in(r, 1, 2), st->ink);
	}
	/* axis titles: a vertical bar of text at the left, words below */
	for (i = 0; i < (ay1 - ay0) / 2; i += th)
		fill(cv, c.x0, ay0 + (ay1 - ay0) / 4 + i, c.x0 + th - 2,
		     ay0 + (ay1 - ay0) / 4 + i + th - 2, st->ink);
	word(cv, p, r, ax0 + (ax1 - ax0) / 3, ay1 + 3, th, rint_in(r, 2, 6), st->ink);
	word(cv, p, r, ax0 + (ax1 - ax0) / 2, c.y1 - th - 1, th, rint_in(r, 3, 8),
	     st->ink);
	n = rint_in(r, 2, 8);
	bar = runif(r) < 0.6;
	for (i = 0; i < n; i++) {
		int bx = ax0 + 4 + i * (ax1 - ax0 - 8) / n;
		int bh = (int)((ay1 - ay0 - 4) * (0.15 + 0.8 * runif(r)));

		col[0] = (uint8_t)rint_in(r, 0, 200);
		col[1] = (uint8_t)rint_in(r, 0, 200);
		col[2] = (uint8_t)rint_in(r, 0, 200);
		if (bar)
			fill(cv, bx, ay1 - bh, bx + (ax1 - ax0 - 8) / n * 2 / 3,
			     ay1, col);
		else if (i > 0)
			line(cv, bx - (ax1 - ax0 - 8) / n,
			     ay1 - (int)((ay1 - ay0) * runif(r) * 0.9), bx,
			     ay1 - bh, 2, col);
	}
	if (runif(r) < 0.3 && ax1 - ax0 > 80)	/* legend */
		word(cv, p, r, ax1 - 60, ay0 + 4, th, 4, st->ink);
	box.x1 = ax1 + 1;
	return box;
}

static void
label_text(int i, int upper, char *out)
{
	out[0] = (char)((upper ? 'A' : 'a') + i % 26);
	out[1] = '\0';
}

int
synth_figure_make(const struct synth_pool *p, uint64_t seed,
		  struct synth_figure *ret)
{
	struct synth_figure f;
	struct rng r = { seed * 0x2545f4914f6cdd1dULL + 17 };
	struct style st;
	struct cell cells[SYNTH_MAX_UNITS], all;
	struct canvas cv;
	size_t n = 0, i;
	int W, H, rc, k;
	double u;

	if (p == NULL || p->nimg == 0)
		return -EINVAL;
	memset(&f, 0, sizeof(f));
	memset(&st, 0, sizeof(st));
	W = rint_in(&r, 450, 1000);
	H = (int)(W * (0.25 + 1.2 * runif(&r)));
	u = runif(&r);
	if (u < 0.8) {
		memset(st.bg, 255, 3);
		memset(st.ink, 0, 3);
	} else if (u < 0.9) {
		memset(st.bg, 0, 3);
		memset(st.ink, 255, 3);
	} else {
		memset(st.bg, rint_in(&r, 225, 245), 3);
		memset(st.ink, 0, 3);
	}
	u = runif(&r);
	st.gutter = u < 0.15 ? rint_in(&r, 0, 2) : u < 0.55 ? rint_in(&r, 3, 12)
		  : u < 0.9 ? rint_in(&r, 12, 30) : rint_in(&r, 30, 60);
	st.lines = st.gutter <= 4 && runif(&r) < 0.5;
	st.label_pos = rint_in(&r, 0, 3);	/* none, above, left, inside */
	st.label_h = rint_in(&r, 10, 26);
	st.upper = runif(&r) < 0.6;
	st.font = rint_in(&r, 0, 1000);
	st.grid = runif(&r) < 0.5;
	f.img.width = f.img.orig_width = W;
	f.img.height = f.img.orig_height = H;
	f.img.channels = 3;
	f.img.px = malloc((size_t)W * H * 3);
	if (f.img.px == NULL)
		return -ENOMEM;
	cv = (struct canvas){ f.img.px, W, H };
	fill(&cv, 0, 0, W, H, st.bg);
	k = rint_in(&r, 4, 16);
	all = (struct cell){ k, k, W - k, H - k };
	if (runif(&r) < 0.06)
		cells[n++] = all;	/* a single figure now and then */
	else
		split_cells(&r, &st, all, 0, cells, &n, SYNTH_MAX_UNITS);
	for (i = 0; i < n; i++) {
		struct cell c = cells[i], box;
		const struct wn_image *src = &p->img[rnext(&r) % p->nimg];
		char lab[4];
		int lw = st.label_h, cw, ch;

		label_text((int)i, st.upper, lab);
		if (st.label_pos == 1 && c.y1 - c.y0 > 3 * lw)
			c.y0 += lw + 3;
		else if (st.label_pos == 2 && c.x1 - c.x0 > 3 * lw)
			c.x0 += lw + 3;
		cw = c.x1 - c.x0;
		ch = c.y1 - c.y0;
		if (cw < 8 || ch < 8)
			continue;
		if (runif(&r) < 0.3 && p->ng > 0) {
			box = plot(&cv, p, &r, &st, c);
		} else {
			double sa = (double)src->width / src->height;
			double ca = (double)cw / ch;

			if (runif(&r) < 0.6) {	/* crop to fill the cell */
				int sw = src->width, sh = src->height;

				if (sa > ca)
					sw = (int)(sh * ca);
				else
					sh = (int)(sw / ca);
				if (sw < 1) sw = 1;
				if (sh < 1) sh = 1;
				rc = paste(&cv, src, (src->width - sw) / 2,
					   (src->height - sh) / 2, sw, sh,
					   c.x0, c.y0, cw, ch);
				box = c;
			} else {		/* fit, centred */
				int w = cw, h = ch;

				if (sa > ca)
					h = (int)(cw / sa);
				else
					w = (int)(ch * sa);
				if (w < 4) w = 4;
				if (h < 4) h = 4;
				box.x0 = c.x0 + (cw - w) / 2;
				box.y0 = c.y0 + (ch - h) / 2;
				box.x1 = box.x0 + w;
				box.y1 = box.y0 + h;
				rc = paste(&cv, src, 0, 0, src->width,
					   src->height, box.x0, box.y0, w, h);
			}
			if (rc < 0)
				goto fail;
			if (runif(&r) < 0.1 && box.x1 - box.x0 > 80 &&
			    box.y1 - box.y0 > 80) {	/* an inset */
				const struct wn_image *in =
					&p->img[rnext(&r) % p->nimg];
				int iw = (box.x1 - box.x0) / 3, ih = (box.y1 - box.y0) / 3;

				rc = paste(&cv, in, 0, 0, in->width, in->height,
					   box.x1 - iw - 2, box.y1 - ih - 2, iw, ih);
				if (rc < 0)
					goto fail;
			}
			if (runif(&r) < 0.1) {	/* a frame */
				line(&cv, box.x0, box.y0, box.x1 - 1, box.y0, 1, st.ink);
				line(&cv, box.x0, box.y1 - 1, box.x1 - 1, box.y1 - 1, 1, st.ink);
				line(&cv, box.x0, box.y0, box.x0, box.y1 - 1, 1, st.ink);
				line(&cv, box.x1 - 1, box.y0, box.x1 - 1, box.y1 - 1, 1, st.ink);
			}
		}
		if (st.label_pos != 0 && p->ng > 0) {
			const struct glyph *g = find_glyph(p, lab[0], st.font);
			uint8_t col[3];
			int lx = box.x0, ly = box.y0;

			if (g != NULL) {
				memcpy(col, st.ink, 3);
				if (st.label_pos == 1) {
					ly = box.y0 - lw - 3;
				} else if (st.label_pos == 2) {
					lx = box.x0 - lw - 3;
				} else {
					lx += 4;
					ly += 4;
					memset(col, runif(&r) < 0.5 ? 255 : 0, 3);
				}
				if (lx >= 0 && ly >= 0)
					glyph(&cv, g, lx, ly, lw, col);
			}
		}
		f.units[f.nunits].x = box.x0;
		f.units[f.nunits].y = box.y0;
		f.units[f.nunits].w = box.x1 - box.x0;
		f.units[f.nunits].h = box.y1 - box.y0;
		snprintf(f.units[f.nunits].label, sizeof(f.units[0].label), "%s",
			 st.label_pos ? lab : "");
		f.nunits++;
	}
	if (st.lines) {
		/* thin lines along the gutters between neighbouring cells */
		for (i = 0; i < n; i++) {
			if (cells[i].x1 + 1 < W - k)
				line(&cv, cells[i].x1 + st.gutter / 2, cells[i].y0,
				     cells[i].x1 + st.gutter / 2, cells[i].y1, 1,
				     st.ink);
			if (cells[i].y1 + 1 < H - k)
				line(&cv, cells[i].x0, cells[i].y1 + st.gutter / 2,
				     cells[i].x1, cells[i].y1 + st.gutter / 2, 1,
				     st.ink);
		}
	}
	*ret = f;
	return 0;
fail:
	wn_image_release(&f.img);
	return rc;
}

void
synth_figure_release(struct synth_figure *f)
{
	if (f == NULL)
		return;
	wn_image_release(&f->img);
	f->nunits = 0;
}
