/*
 * train-panels.c: the dev figures, logistic regression, `winnow-train panels`,
 * `eval` and `detect`.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <jansson.h>

#include "lib/caption.h"
#include "lib/img.h"
#include "lib/json.h"
#include "lib/labels.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "lib/tool.h"
#include "lib/trees.h"
#include "lib/util.h"
#include "split/boost.h"
#include "split/synth.h"
#include "tools/train/train.h"
#include "lib/banned.h"

#define BOOST_DEPTH	3	/* of every model's trees */
#define BOOST_RATE	0.1
#define GT_MAX_BYTES	(16u << 20)

static size_t count_pos(const struct train_xy *d);

/* ---------- dev figures ---------- */

/* Whether fold (1-3) holds file back: the last digit of its name's hash
   in 0-2, 3-5 or 6-8. */
static int
is_heldout(const char *file, int fold)
{
	const char *base = strrchr(file, '/');
	uint64_t digit;

	base = base ? base + 1 : file;
	digit = wn_hash64(base, strlen(base)) % 10;
	return digit >= (uint64_t)(3 * fold - 3) && digit < (uint64_t)(3 * fold);
}

void
train_set_release(struct train_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].file);
		free(s->v[i].source);
		free(s->v[i].units);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
load_fig(json_t *o, struct train_fig *f)
{
	json_t *units = json_object_get(o, "units"), *u;
	const char *file = wn_json_str(o, "file"), *base, *us;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (file == NULL || !json_is_array(units) || json_array_size(units) == 0 ||
	    json_array_size(units) > WN_PANELS_MAX)
		return -WN_EFORMAT;
	f->width = (int)wn_json_int(o, "width", 0);
	f->height = (int)wn_json_int(o, "height", 0);
	f->file = strdup(file);
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	us = strchr(base, '_');
	f->source = strndup(base, us ? (size_t)(us - base) : strlen(base));
	f->units = calloc(json_array_size(units), sizeof(*f->units));
	if (f->file == NULL || f->source == NULL || f->units == NULL)
		return -ENOMEM;
	json_array_foreach(units, i, u) {
		json_t *box = json_object_get(u, "box");
		const char *label = wn_json_str(u, "label");
		struct wn_panels_box *b = &f->units[f->nunits];

		if (!json_is_array(box) || json_array_size(box) != 4)
			return -WN_EFORMAT;
		b->x = (int)json_number_value(json_array_get(box, 0));
		b->y = (int)json_number_value(json_array_get(box, 1));
		b->w = (int)json_number_value(json_array_get(box, 2));
		b->h = (int)json_number_value(json_array_get(box, 3));
		snprintf(b->label, sizeof(b->label), "%s", label ? label : "");
		f->nunits++;
	}
	return 0;
}

static int
cmp_fig(const void *a, const void *b)
{
	return strcmp(((const struct train_fig *)a)->file,
		      ((const struct train_fig *)b)->file);
}

/* The single images of dev/single: figures of one unit, the whole image. */
static int
add_singles(const char *dev, struct train_set *s)
{
	char path[4096];
	struct dirent *de;
	size_t first = s->n;
	DIR *d;

	snprintf(path, sizeof(path), "%s/single", dev);
	d = opendir(path);
	if (d == NULL)
		return 0;	/* optional */
	while ((de = readdir(d)) != NULL) {
		struct train_fig *nv, *f;
		char file[1024];

		if (de->d_name[0] == '.')
			continue;
		nv = realloc(s->v, (s->n + 1) * sizeof(*s->v));
		if (nv == NULL) {
			closedir(d);
			return -ENOMEM;
		}
		s->v = nv;
		f = &s->v[s->n];
		memset(f, 0, sizeof(*f));
		snprintf(file, sizeof(file), "single/%s", de->d_name);
		f->file = strdup(file);
		f->source = strdup("single");
		f->units = calloc(1, sizeof(*f->units));
		s->n++;
		if (f->file == NULL || f->source == NULL || f->units == NULL) {
			closedir(d);
			return -ENOMEM;
		}
		f->nunits = 1;
		f->whole = 1;
	}
	closedir(d);
	/* directory order is not stable */
	qsort(s->v + first, s->n - first, sizeof(*s->v), cmp_fig);
	return 0;
}

/*
 * Call fn on every object of the JSON Lines file dev/annotations/name (lines
 * that are no JSON are skipped with a warning); a negative return of fn
 * stops and is returned.  A file that cannot be read gives its error,
 * unreported, for the caller to say what it means.
 */
static int
each_annotation(const char *dev, const char *name,
		int (*fn)(const char *path, json_t *o, void *ud), void *ud)
{
	char path[4096], *data = NULL, *line, *nl;
	size_t len;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/annotations/%s", dev, name);
	if ((rc = wn_read_file(path, GT_MAX_BYTES, &data, &len)) < 0)
		return rc;
	for (line = data; rc >= 0 && line < data + len; line = nl + 1) {
		json_t *o;

		nl = memchr(line, '\n', (size_t)(data + len - line));
		if (nl == NULL)
			nl = data + len;
		if (nl == line)
			continue;
		o = wn_json_parse(line, (size_t)(nl - line), GT_MAX_BYTES, NULL);
		if (o == NULL) {
			wn_warn("%s: bad JSON line, skipping", path);
			continue;
		}
		rc = fn(path, o, ud);
		json_decref(o);
	}
	free(data);
	return rc < 0 ? rc : 0;
}

/* One line of panels-dev.jsonl into the set ud. */
static int
add_fig(const char *path, json_t *o, void *ud)
{
	struct train_set *s = ud;
	struct train_fig *nv = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	int rc;

	if (nv == NULL)
		return -ENOMEM;
	s->v = nv;
	rc = load_fig(o, &s->v[s->n]);
	s->n++;
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		wn_warn("%s: bad figure entry, skipping", path);
		s->n--;
		free(s->v[s->n].file);
		free(s->v[s->n].source);
		free(s->v[s->n].units);
	}
	return 0;
}

int
train_load_figs(const char *dev, int fold, struct train_set *ret)
{
	struct train_set s = { 0 };
	size_t i;
	int rc;

	rc = each_annotation(dev, "panels-dev.jsonl", add_fig, &s);
	if (rc < 0 && rc != -ENOMEM)
		wn_error("cannot read '%s/annotations/panels-dev.jsonl': %s", dev,
			 wn_strerror(rc));
	if (rc < 0 || (rc = add_singles(dev, &s)) < 0) {
		train_set_release(&s);
		return rc;
	}
	for (i = 0; i < s.n; i++)
		s.v[i].heldout = is_heldout(s.v[i].file, fold);
	*ret = s;
	return 0;
}

static int
load_dev_image(const char *dev, struct train_fig *f, struct wn_image *img)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dev, f->file);
	rc = wn_panels_image_load(path, img);
	if (rc < 0) {
		wn_warn("cannot read '%s': %s, skipping", path, wn_strerror(rc));
		return rc;
	}
	if (f->whole) {
		f->width = img->orig_width;
		f->height = img->orig_height;
		f->units[0] = (struct wn_panels_box){ 0, 0, f->width, f->height,
			"" };
	}
	return rc;
}

/* ---------- logistic regression ---------- */

void
train_xy_init(struct train_xy *d, int nf)
{
	memset(d, 0, sizeof(*d));
	d->nf = nf;
	d->weight = 1;
}

void
train_xy_release(struct train_xy *d)
{
	free(d->x);
	free(d->y);
	free(d->w);
	memset(d, 0, sizeof(*d));
}

int
train_xy_add(void *ud, const float *feat, int target)
{
	struct train_xy *d = ud;
	int j;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 4096;
		double *x = realloc(d->x, cap * d->nf * sizeof(double));
		double *y, *w;

		if (x == NULL)
			return -ENOMEM;
		d->x = x;
		y = realloc(d->y, cap * sizeof(double));
		if (y == NULL)
			return -ENOMEM;
		d->y = y;
		w = realloc(d->w, cap * sizeof(double));
		if (w == NULL)
			return -ENOMEM;
		d->w = w;
		d->cap = cap;
	}
	for (j = 0; j < d->nf; j++)
		d->x[d->n * d->nf + j] = feat[j];
	d->y[d->n] = target;
	d->w[d->n] = d->weight;
	d->n++;
	return 0;
}

/* Solve A x = b for symmetric positive definite A (n x n), in place. */
static int
cholesky_solve(double *A, double *b, int n)
{
	int i, j, k;

	for (j = 0; j < n; j++) {
		double s = A[j * n + j];

		for (k = 0; k < j; k++)
			s -= A[j * n + k] * A[j * n + k];
		if (s <= 0)
			return -EDOM;
		A[j * n + j] = sqrt(s);
		for (i = j + 1; i < n; i++) {
			double t = A[i * n + j];

			for (k = 0; k < j; k++)
				t -= A[i * n + k] * A[j * n + k];
			A[i * n + j] = t / A[j * n + j];
		}
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < i; k++)
			b[i] -= A[i * n + k] * b[k];
		b[i] /= A[i * n + i];
	}
	for (i = n - 1; i >= 0; i--) {
		for (k = i + 1; k < n; k++)
			b[i] -= A[k * n + i] * b[k];
		b[i] /= A[i * n + i];
	}
	return 0;
}

int
train_logistic(const struct train_xy *d, double l2, float *ret)
{
	int nf = d->nf, it, j, rc = 0;
	size_t i, n = d->n;
	double *beta = calloc(nf, sizeof(double));
	double *z = malloc(n * sizeof(double)), *xw = malloc(n * nf * sizeof(double));
	double *H = malloc((size_t)nf * nf * sizeof(double));
	double *g = malloc(nf * sizeof(double));

	if (beta == NULL || z == NULL || xw == NULL || H == NULL || g == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (n == 0) {
		rc = -EINVAL;
		goto out;
	}
	for (it = 0; it < 30; it++) {
		double change = 0;

		/* z = X beta */
		cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, nf, 1.0, d->x,
			    nf, beta, 1, 0.0, z, 1);
		for (j = 0; j < nf; j++)
			g[j] = -l2 * beta[j];
		for (i = 0; i < n; i++) {
			double p = 1 / (1 + exp(-z[i])), wi = d->w[i];
			double s = wi * p * (1 - p) + 1e-9;

			for (j = 0; j < nf; j++) {
				g[j] += wi * (d->y[i] - p) * d->x[i * nf + j];
				xw[i * nf + j] = d->x[i * nf + j] * s;
			}
		}
		/* H = X^T S X + l2 I */
		cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nf, nf,
			    (int)n, 1.0, d->x, nf, xw, nf, 0.0, H, nf);
		for (j = 0; j < nf; j++)
			H[j * nf + j] += l2;
		if ((rc = cholesky_solve(H, g, nf)) < 0)
			goto out;
		for (j = 0; j < nf; j++) {
			beta[j] += g[j];
			change = fmax(change, fabs(g[j]));
		}
		if (change < 1e-6)
			break;
	}
	for (j = 0; j < nf; j++)
		ret[j] = (float)beta[j];
out:
	free(beta);
	free(z);
	free(xw);
	free(H);
	free(g);
	return rc;
}

/* ---------- model output ---------- */

int
train_write_model(const struct wn_panel_model *m, const char *path,
		  const char *c_out)
{
	char *text = NULL, *tmp = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (f == NULL)
		return -errno;
	rc = wn_panel_model_write(m, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc < 0)
		goto out;
	tmp = malloc(strlen(path) + 8);
	if (tmp == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(tmp, strlen(path) + 8, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		rc = -errno;
		wn_error("cannot create '%s': %s", tmp, wn_strerror(rc));
		goto out;
	}
	fwrite(text, 1, len, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		rc = -EIO;
		wn_error("cannot write '%s'", path);
		goto out;
	}
	if (c_out != NULL) {
		f = fopen(c_out, "w");
		if (f == NULL) {
			rc = -errno;
			wn_error("cannot create '%s': %s", c_out, wn_strerror(rc));
			goto out;
		}
		fprintf(f, "/* Generated by winnow-train from split/models/"
			   "panels.model: do not edit. */\n#include <stddef.h>\n\n"
			   "#include \"lib/panels.h\"\n\n"
			   "const char wn_panels_model_text[] =\n\t\"");
		for (i = 0; i < len; i++) {
			if (text[i] == '\n')
				fputs(i + 1 < len ? "\\n\"\n\t\"" : "\\n\"", f);
			else if (text[i] == '"' || text[i] == '\\')
				fprintf(f, "\\%c", text[i]);
			else
				fputc(text[i], f);
		}
		fprintf(f, ";\nconst size_t wn_panels_model_len = "
			"sizeof(wn_panels_model_text) - 1;\n");
		if (fclose(f) != 0) {
			rc = -EIO;
			wn_error("cannot write '%s'", c_out);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	free(tmp);
	return rc;
}

static int
load_model(const struct train_opts *o, struct wn_panel_model **ret)
{
	int rc = wn_panel_model_load(o->model_in, ret);

	if (rc < 0)
		wn_error("cannot load model '%s': %s",
			 o->model_in ? o->model_in : "(built in)", wn_strerror(rc));
	return rc;
}

/* ---------- training ---------- */

enum collect_kind { COLLECT_CUTS, COLLECT_LEAVES, COLLECT_FIGURES };

static int figure_example(const struct wn_panel_model *m,
			  const struct wn_image *img, size_t nunits,
			  struct train_xy *d);

static int
collect_image(const struct wn_panel_model *m, const struct wn_image *img,
	      const struct wn_panels_box *gt, size_t ngt, enum collect_kind k,
	      struct train_xy *d)
{
	struct wn_panels_page *pg = NULL;
	int rc;

	if (k == COLLECT_FIGURES)
		return figure_example(m, img, ngt, d);
	if ((rc = wn_panels_page_new(m, img, &pg)) < 0)
		return rc;
	if (k == COLLECT_CUTS)
		rc = wn_panels_collect_cuts(pg, gt, ngt, train_xy_add, d);
	else
		rc = wn_panels_collect_leaves(pg, gt, ngt, train_xy_add, d);
	wn_panels_page_free(pg);
	return rc;
}

static int
collect(const struct train_opts *o, const struct wn_panel_model *m,
	struct train_set *figs, struct synth_pool *pool,
	enum collect_kind k, struct train_xy *d)
{
	size_t i;
	int rc, s;

	/* real figures count more than synthetic ones */
	d->weight = o->real_weight;
	for (i = 0; i < figs->n; i++) {
		struct wn_image img = { 0 };

		/* single images teach the compound-or-single model only */
		if (figs->v[i].heldout ||
		    (figs->v[i].whole && k != COLLECT_FIGURES))
			continue;
		if (load_dev_image(o->dev, &figs->v[i], &img) < 0)
			continue;
		rc = collect_image(m, &img, figs->v[i].units, figs->v[i].nunits,
				   k, d);
		wn_image_release(&img);
		if (rc < 0)
			return rc;
	}
	d->weight = 1;
	for (s = 0; pool != NULL && s < o->synth; s++) {
		struct synth_figure sf = { 0 };

		if ((rc = synth_figure_make(pool, o->seed * 1000003u + s, &sf)) < 0)
			return rc;
		rc = collect_image(m, &sf.img, sf.units, sf.nunits, k, d);
		synth_figure_release(&sf);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static size_t
count_pos(const struct train_xy *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->y[i] > 0.5;
	return n;
}

static double tune_f1(const struct train_opts *o,
		      const struct wn_panel_model *m,
		      struct train_set *figs);

static int
figure_example(const struct wn_panel_model *m, const struct wn_image *img,
	       size_t nunits, struct train_xy *d)
{
	struct wn_panel_set ps = { 0 };
	float f[WN_PANELS_FIG_NF];
	int rc = wn_panels_detect_ex(m, img, &ps, f);

	if (rc < 0)
		return rc;
	if (ps.n > 1)
		rc = train_xy_add(d, f, nunits > 1);
	wn_panel_set_release(&ps);
	return rc;
}

/* Logistic weights w on d, then o->trees trees boosted on their margin,
   as part's trees of m (none with --trees 0). */
static int
fit_model(const struct train_opts *o, const struct train_xy *d, float *w,
	  struct wn_panel_model *m, enum wn_panels_part part)
{
	struct boost_data bd = { d->x, d->y, d->w, d->n, d->nf };
	struct wn_trees t;
	int rc;

	wn_panel_model_set_trees(m, part, NULL);
	if ((rc = train_logistic(d, 1.0, w)) < 0 || o->trees == 0)
		return rc;
	if ((rc = boost_fit(&bd, w, o->trees, BOOST_DEPTH, BOOST_RATE, &t)) < 0)
		return rc;
	wn_panel_model_set_trees(m, part, &t);
	return 0;
}

/* The compound-or-single model, on results of two panels or more. */
static int
train_figure(const struct train_opts *o, struct wn_panel_model *m,
	     struct train_set *figs, struct synth_pool *pool, double *ret_f1)
{
	struct train_xy d;
	float w[WN_PANELS_FIG_NF];
	int rc;
	double best = -1, thr, keep = 0.5;

	train_xy_init(&d, WN_PANELS_FIG_NF);
	rc = collect(o, m, figs, pool, COLLECT_FIGURES, &d);
	if (rc >= 0 && d.n > 0 && count_pos(&d) < d.n && count_pos(&d) > 0) {
		wn_info("figures: %zu examples, %zu compound", d.n, count_pos(&d));
		rc = fit_model(o, &d, w, m, WN_PANELS_FIGURE);
		for (thr = 0.1; rc >= 0 && thr < 0.71; thr += 0.1) {
			double f1;

			wn_panel_model_set_figure(m, w, (float)thr);
			f1 = tune_f1(o, m, figs);
			wn_info("figure threshold %.1f: training F1@0.5 %.4f", thr, f1);
			if (f1 > best + 1e-9) {
				best = f1;
				keep = thr;
			}
		}
		if (rc >= 0) {
			wn_panel_model_set_figure(m, w, (float)keep);
			*ret_f1 = best;
		}
	}
	train_xy_release(&d);
	return rc;
}

/*
 * One refinement round: fit the separator model on the candidates met while
 * walking the ground-truth cuts with m, the region model on the regions m's
 * new cuts leave, the cut threshold, then the compound-or-single model.  m is
 * changed in place; *ret_f1 gets the panel F1 at IoU 0.5 on the training
 * figures of the result.
 */
static int
panels_fit(const struct train_opts *o, struct wn_panel_model *m,
	   struct train_set *figs, struct synth_pool *pool, double *ret_f1)
{
	struct train_xy d;
	double best = -1, thr, f1, keep = 0.5;
	int rc;

	train_xy_init(&d, WN_PANELS_CUT_NF);
	if ((rc = collect(o, m, figs, pool, COLLECT_CUTS, &d)) < 0)
		goto out;
	wn_info("cuts: %zu examples, %zu between units", d.n, count_pos(&d));
	if ((rc = fit_model(o, &d, wn_panel_model_cut_weights(m), m,
			    WN_PANELS_CUTS)) < 0)
		goto out;
	train_xy_release(&d);
	train_xy_init(&d, WN_PANELS_LEAF_NF);
	if ((rc = collect(o, m, figs, pool, COLLECT_LEAVES, &d)) < 0)
		goto out;
	wn_info("regions: %zu examples, %zu panels", d.n, count_pos(&d));
	if ((rc = fit_model(o, &d, wn_panel_model_leaf_weights(m), m,
			    WN_PANELS_REGIONS)) < 0)
		goto out;
	wn_panel_model_set_figure(m, NULL, 0);
	/* the cut threshold that does best on the training figures */
	for (thr = 0.15; thr < 0.71; thr += 0.05) {
		wn_panel_model_set_cut_threshold(m, (float)thr);
		f1 = tune_f1(o, m, figs);
		wn_info("cut threshold %.2f: training F1@0.5 %.4f", thr, f1);
		if (f1 > best + 1e-9) {
			best = f1;
			keep = thr;
		}
	}
	wn_panel_model_set_cut_threshold(m, (float)keep);
	wn_info("cut threshold %.2f kept", keep);
	*ret_f1 = best;
	rc = train_figure(o, m, figs, pool, ret_f1);
out:
	train_xy_release(&d);
	return rc;
}

static int
load_data(const struct train_opts *o, struct train_set *figs,
	  struct synth_pool **pool)
{
	int rc;

	if (train_load_figs(o->dev, o->fold, figs) < 0)
		return -ENOENT;
	if (o->synth > 0) {
		rc = synth_pool_load(o->data, pool);
		if (rc < 0) {
			wn_error("cannot load single images from '%s': %s",
				 o->data, wn_strerror(rc));
			return rc;
		}
	}
	return 0;
}

int
train_panels_main(const struct train_opts *o)
{
	struct wn_panel_model *m = NULL;
	struct train_set figs = { 0 };
	struct synth_pool *pool = NULL;
	double t0 = wn_now(), f1 = 0;
	int rc, status = EX_SOFTWARE;

	if (load_model(o, &m) < 0 || load_data(o, &figs, &pool) < 0) {
		status = EX_NOINPUT;
		goto out;
	}
	if ((rc = panels_fit(o, m, &figs, pool, &f1)) < 0)
		goto fail;
	if ((rc = train_write_model(m, o->model_out, o->c_out)) < 0) {
		status = EX_CANTCREAT;
		goto out;
	}
	printf("panels: training F1@0.5 %.4f\n", f1);
	wn_info("done: panel model written to '%s' in %.1fs", o->model_out,
		wn_now() - t0);
	status = EX_OK;
	goto out;
fail:
	wn_error("training failed: %s", wn_strerror(rc));
	status = wn_exit_status(rc);
out:
	synth_pool_free(pool);
	train_set_release(&figs);
	wn_panel_model_free(m);
	return status;
}

/*
 * The model "all" starts from, so that the shipped model follows from the
 * repository alone: cut at every gutter of 8 per mille or more and at every
 * drawn line (bias -1, weight 2 on "gutter >= 8" and on "drawn line"), keep
 * every region, no compound-or-single model and no letters.
 */
static const char initial_model[] =
	"winnow-panels-model 1\n"
	"fg_threshold 24\n"
	"cut 34\n"
	"-1 0 0 0 0 2 0 0\n"
	"0 0 0 0 0 0 0 0\n"
	"0 0 0 0 0 2 0 0\n"
	"0 0 0 0 0 0 0 0\n"
	"0 0\n"
	"cut_threshold 0.5\n"
	"leaf 20\n"
	"5 0 0 0 0 0 0 0\n"
	"0 0 0 0 0 0 0 0\n"
	"0 0 0 0\n"
	"leaf_threshold 0.5\n"
	"label_threshold 0.6\n"
	"end\n";

int
train_initial_model(struct wn_panel_model **ret)
{
	return wn_panel_model_parse(initial_model, sizeof(initial_model) - 1,
				    ret);
}

/* m as model text, and back: each round starts from what a file would hold. */
static int
model_text(const struct wn_panel_model *m, char **ret, size_t *ret_len)
{
	FILE *f = open_memstream(ret, ret_len);
	int rc;

	if (f == NULL)
		return -errno;
	rc = wn_panel_model_write(m, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc < 0) {
		free(*ret);
		*ret = NULL;
	}
	return rc;
}

int
train_all_main(const struct train_opts *o)
{
	struct wn_panel_model *m = NULL, *next = NULL;
	struct train_set figs = { 0 };
	struct synth_pool *pool = NULL;
	char *text = NULL, *best_text = NULL;
	size_t len = 0, best_len = 0;
	double t0 = wn_now(), f1 = 0, best = -1;
	int rc, r, best_round = 0, status = EX_SOFTWARE;

	if ((rc = train_initial_model(&m)) < 0)
		goto fail;
	/* glyphs first: the regions use the letters */
	if ((status = train_labels_fit(o, m)) != EX_OK)
		goto out;
	status = EX_SOFTWARE;
	if (load_data(o, &figs, &pool) < 0) {
		status = EX_NOINPUT;
		goto out;
	}
	for (r = 1; r <= o->rounds; r++) {
		if ((rc = panels_fit(o, m, &figs, pool, &f1)) < 0)
			goto fail;
		if ((rc = model_text(m, &text, &len)) < 0)
			goto fail;
		printf("panels: round %d: training F1@0.5 %.4f\n", r, f1);
		if ((rc = wn_panel_model_parse(text, len, &next)) < 0)
			goto fail;
		if (f1 > best + 1e-9) {
			free(best_text);
			best_text = text;
			best_len = len;
			best = f1;
			best_round = r;
		} else {
			free(text);
		}
		text = NULL;
		wn_panel_model_free(m);
		m = next;
		next = NULL;
	}
	wn_panel_model_free(m);
	m = NULL;
	if ((rc = wn_panel_model_parse(best_text, best_len, &m)) < 0)
		goto fail;
	if ((rc = train_write_model(m, o->model_out, o->c_out)) < 0) {
		status = EX_CANTCREAT;
		goto out;
	}
	printf("panels: round %d kept, training F1@0.5 %.4f\n", best_round,
	       best);
	wn_info("done: panel model written to '%s' in %.1fs", o->model_out,
		wn_now() - t0);
	status = EX_OK;
	goto out;
fail:
	wn_error("training failed: %s", wn_strerror(rc));
	status = wn_exit_status(rc);
out:
	free(text);
	free(best_text);
	synth_pool_free(pool);
	train_set_release(&figs);
	wn_panel_model_free(m);
	return status;
}

/* ---------- evaluation ---------- */

struct score {
	int figs, gt, pred, tp5, tp75, compound_ok, labeled, label_ok, label_ci;
};

static double
iou(const struct wn_panels_box *a, const struct wn_panel *b)
{
	double ix = fmin(a->x + a->w, b->x + b->w) - fmax(a->x, b->x);
	double iy = fmin(a->y + a->h, b->y + b->h) - fmax(a->y, b->y);
	double in, un;

	if (ix <= 0 || iy <= 0)
		return 0;
	in = ix * iy;
	un = (double)a->w * a->h + (double)b->w * b->h - in;
	return un > 0 ? in / un : 0;
}

struct pair {
	double v;
	int i, j;
};

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? 1 : -1;
	if (x->i != y->i)
		return x->i - y->i;
	return x->j - y->j;
}

static int
ci_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* Greedy one-to-one IoU matching, as the scoring script does. */
static int
score_figure(const struct train_fig *f, const struct wn_panel_set *ps,
	     struct score *s)
{
	size_t n = f->nunits * ps->n, k, np = 0;
	struct pair *pr = malloc((n ? n : 1) * sizeof(*pr));
	char *gused = calloc(f->nunits + 1, 1), *pused = calloc(ps->n + 1, 1);
	int t, i, j;

	if (pr == NULL || gused == NULL || pused == NULL) {
		free(pr);
		free(gused);
		free(pused);
		return -ENOMEM;
	}
	for (i = 0; i < (int)f->nunits; i++)
		for (j = 0; j < (int)ps->n; j++) {
			pr[np].v = iou(&f->units[i], &ps->v[j]);
			pr[np].i = i;
			pr[np].j = j;
			np++;
		}
	qsort(pr, np, sizeof(*pr), cmp_pair);
	for (t = 0; t < 2; t++) {
		double thr = t == 0 ? 0.5 : 0.75;

		memset(gused, 0, f->nunits + 1);
		memset(pused, 0, ps->n + 1);
		for (k = 0; k < np && pr[k].v >= thr; k++) {
			const struct wn_panels_box *g = &f->units[pr[k].i];
			const struct wn_panel *p = &ps->v[pr[k].j];

			if (gused[pr[k].i] || pused[pr[k].j])
				continue;
			gused[pr[k].i] = pused[pr[k].j] = 1;
			if (t == 0) {
				s->tp5++;
				if (g->label[0]) {
					s->labeled++;
					s->label_ok += strcmp(g->label, p->label) == 0;
					s->label_ci += ci_equal(g->label, p->label);
				}
			} else {
				s->tp75++;
			}
		}
	}
	s->figs++;
	s->gt += (int)f->nunits;
	s->pred += (int)ps->n;
	s->compound_ok += (f->nunits > 1) == (ps->compound != 0);
	free(pr);
	free(gused);
	free(pused);
	return 0;
}

/*
 * Set f->want for the figures of s that have a caption in the dev captions:
 * the panels the shipped caption splitter finds named there, as winnow-split
 * gives the detector on a database.
 */
static int
add_caption_want(const char *path, json_t *o, void *ud)
{
	struct train_set *s = ud;
	const char *file = wn_json_str(o, "file"), *text = wn_json_str(o, "caption");
	size_t i;

	(void)path;
	for (i = 0; file && text && i < s->n; i++) {
		struct wn_caption_split cs = { 0 };
		int rc;

		if (strcmp(s->v[i].file, file) != 0)
			continue;
		rc = wn_caption_split(NULL, text, strlen(text), &cs);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 0) {
			s->v[i].want = wn_caption_npanels(&cs);
			wn_caption_split_release(&cs);
		}
	}
	return 0;
}

static int
load_caption_wants(const char *dev, struct train_set *s)
{
	int rc = each_annotation(dev, "captions-dev.jsonl", add_caption_want, s);

	if (rc == -ENOENT) {
		/* no captions: the caption rows equal the model's */
		wn_warn("no '%s/annotations/captions-dev.jsonl': the caption rows use no caption",
			dev);
		return 0;
	}
	if (rc < 0 && rc != -ENOMEM)
		wn_error("cannot read '%s/annotations/captions-dev.jsonl': %s", dev,
			 wn_strerror(rc));
	return rc;
}

static void
score_add(struct score *to, const struct score *s)
{
	to->figs += s->figs;
	to->gt += s->gt;
	to->pred += s->pred;
	to->tp5 += s->tp5;
	to->tp75 += s->tp75;
	to->compound_ok += s->compound_ok;
	to->labeled += s->labeled;
	to->label_ok += s->label_ok;
	to->label_ci += s->label_ci;
}

static void
prf(int tp, int pred, int gt, double *p, double *r, double *f1)
{
	*p = pred ? (double)tp / pred : 0;
	*r = gt ? (double)tp / gt : 0;
	*f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

static void
print_row(const char *name, const char *method, const struct score *s)
{
	double p5, r5, f5, p75, r75, f75;

	prf(s->tp5, s->pred, s->gt, &p5, &r5, &f5);
	prf(s->tp75, s->pred, s->gt, &p75, &r75, &f75);
	printf("%-12s %-9s %4d %5d %5d  %.3f %.3f %.3f  %.3f %.3f %.3f  %.3f  %.3f %.3f\n",
	       name, method, s->figs, s->gt, s->pred, p5, r5, f5, p75, r75, f75,
	       s->figs ? (double)s->compound_ok / s->figs : 0,
	       s->labeled ? (double)s->label_ok / s->labeled : 0,
	       s->labeled ? (double)s->label_ci / s->labeled : 0);
}

#define MAX_SOURCES 32
#define BOOT_DRAWS 2000

static int
cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The spread of F1@0.5 over the choice of figures: per[] holds each figure's
 * counts for method k (of nk); the 2.5% and 97.5% points of F1 over
 * BOOT_DRAWS resamples of the figures with replacement (a fixed stream, so
 * the interval does not move with --seed).
 */
static int
boot_f1(const struct score *per, int nfig, int nk, int k, double *lo,
	double *hi)
{
	double *v = malloc(sizeof(*v) * BOOT_DRAWS);
	uint64_t st = 1;
	int b, i;

	if (v == NULL)
		return -ENOMEM;
	for (b = 0; b < BOOT_DRAWS; b++) {
		long tp = 0, n = 0;

		for (i = 0; i < nfig; i++) {
			const struct score *f =
				&per[(wn_splitmix64(&st) % (uint64_t)nfig) * nk + k];

			tp += f->tp5;
			n += f->gt + f->pred;
		}
		v[b] = n > 0 ? 2.0 * tp / n : 0;
	}
	qsort(v, BOOT_DRAWS, sizeof(*v), cmp_dbl);
	*lo = v[BOOT_DRAWS / 40];
	*hi = v[BOOT_DRAWS - 1 - BOOT_DRAWS / 40];
	free(v);
	return 0;
}

int
train_eval_main(const struct train_opts *o)
{
	struct wn_panel_model *m = NULL, *base = NULL;
	struct train_set figs = { 0 };
	static const char *const method[3] = { "model", "baseline", "caption" };
	struct score all[3], src[MAX_SOURCES][3], *per = NULL;
	const char *names[MAX_SOURCES];
	int nsrc = 0, nfig = 0, status = EX_SOFTWARE, rc, k;
	size_t i;

	memset(all, 0, sizeof(all));
	memset(src, 0, sizeof(src));
	if (load_model(o, &m) < 0 || train_load_figs(o->dev, o->fold, &figs) < 0 ||
	    load_caption_wants(o->dev, &figs) < 0) {
		status = EX_NOINPUT;
		goto out;
	}
	if ((rc = wn_panel_model_baseline(&base)) < 0)
		goto fail;
	per = calloc(figs.n * 3 + 1, sizeof(*per));
	if (per == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < figs.n; i++) {
		struct train_fig *f = &figs.v[i];
		struct wn_image img = { 0 };
		int si;

		if (!f->heldout)
			continue;
		if (load_dev_image(o->dev, f, &img) < 0)
			continue;
		for (si = 0; si < nsrc; si++)
			if (strcmp(names[si], f->source) == 0)
				break;
		if (si == nsrc && nsrc < MAX_SOURCES)
			names[nsrc++] = f->source;
		for (k = 0; k < 3; k++) {
			struct score *one = &per[nfig * 3 + k];
			struct wn_panel_set ps = { 0 };

			if (k == 2 && f->want < 2) {
				/* no hint: the model's own panels */
				*one = per[nfig * 3];
			} else {
				rc = k == 2 ? wn_panels_detect_hint(m, &img, f->want, &ps)
					    : wn_panels_detect(k == 0 ? m : base, &img, &ps);
				if (rc == 0)
					rc = score_figure(f, &ps, one);
				wn_panel_set_release(&ps);
				if (rc < 0) {
					wn_image_release(&img);
					goto fail;
				}
			}
			score_add(&all[k], one);
			if (si < MAX_SOURCES)
				score_add(&src[si][k], one);
			/* -v: the model's misses, figure by figure */
			if (k == 0 && ((size_t)one->tp5 != f->nunits ||
				       (size_t)one->pred != f->nunits))
				wn_info("%s: %zu units, %d panels, %d matched",
					f->file, f->nunits, one->pred, one->tp5);
		}
		nfig++;
		wn_image_release(&img);
	}
	printf("panels: held-back dev figures (%d), model %s; baseline = gutter cuts only;\n"
	       "caption = model with the panel count of the figure's dev caption, as split\n"
	       "by the shipped caption model (what winnow-split does on a database)\n",
	       all[0].figs, wn_panel_model_version(m));
	printf("%-12s %-9s %4s %5s %5s  %5s %5s %5s  %5s %5s %5s  %5s  %5s %5s\n",
	       "source", "method", "figs", "gt", "pred", "P@.5", "R@.5",
	       "F1@.5", "P@.75", "R@.75", "F1@.75", "cmpd", "label",
	       "lbl-ci");
	for (k = 0; k < 3; k++)
		print_row("ALL", method[k], &all[k]);
	for (i = 0; i < (size_t)nsrc; i++)
		for (k = 0; k < 3; k++)
			print_row(names[i], method[k], &src[i][k]);
	if (nfig > 0) {
		double lo[3], hi[3];

		for (k = 0; k < 3; k++)
			if ((rc = boot_f1(per, nfig, 3, k, &lo[k], &hi[k])) < 0)
				goto fail;
		printf("interval: F1@.5 of ALL, 95%% of %d bootstrap draws of the figures:\n"
		       "interval: model %.3f-%.3f baseline %.3f-%.3f caption %.3f-%.3f\n",
		       BOOT_DRAWS, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
	}
	status = EX_OK;
	goto out;
fail:
	wn_error("evaluation failed: %s", wn_strerror(rc));
	status = wn_exit_status(rc);
out:
	train_set_release(&figs);
	free(per);
	wn_panel_model_free(m);
	wn_panel_model_free(base);
	return status;
}

static double
tune_f1(const struct train_opts *o, const struct wn_panel_model *m,
	struct train_set *figs)
{
	struct score sc;
	double p, r, f1;
	size_t i;

	memset(&sc, 0, sizeof(sc));
	for (i = 0; i < figs->n; i++) {
		struct wn_image img = { 0 };
		struct wn_panel_set ps = { 0 };

		if (figs->v[i].heldout || load_dev_image(o->dev, &figs->v[i], &img) < 0)
			continue;
		if (wn_panels_detect(m, &img, &ps) == 0) {
			(void)!score_figure(&figs->v[i], &ps, &sc);
			wn_panel_set_release(&ps);
		}
		wn_image_release(&img);
	}
	prf(sc.tp5, sc.pred, sc.gt, &p, &r, &f1);
	return f1;
}

/* ---------- detect ---------- */

int
train_detect_main(const struct train_opts *o, int argc, char **argv)
{
	struct wn_panel_model *m = NULL;
	int i, status = EX_OK, rc;

	if (argc < 1)
		return wn_usage_error("detect: no image files");
	if (load_model(o, &m) < 0)
		return EX_NOINPUT;
	for (i = 0; i < argc; i++) {
		struct wn_panel_set ps = { 0 };
		json_t *obj, *arr;
		size_t k;

		if (strcmp(argv[i], "--json") == 0)
			continue;	/* JSON is the only output */
		rc = wn_panels_detect_file(m, argv[i], &ps);
		if (rc < 0) {
			wn_warn("cannot split '%s': %s, skipping", argv[i],
				wn_strerror(rc));
			status = EX_DATAERR;
			continue;
		}
		obj = json_object();
		arr = json_array();
		json_object_set_new(obj, "path", json_string(argv[i]));
		json_object_set_new(obj, "width", json_integer(ps.width));
		json_object_set_new(obj, "height", json_integer(ps.height));
		json_object_set_new(obj, "compound", json_boolean(ps.compound));
		for (k = 0; k < ps.n; k++) {
			json_t *p = json_object();

			json_object_set_new(p, "x", json_integer(ps.v[k].x));
			json_object_set_new(p, "y", json_integer(ps.v[k].y));
			json_object_set_new(p, "w", json_integer(ps.v[k].w));
			json_object_set_new(p, "h", json_integer(ps.v[k].h));
			json_object_set_new(p, "label", json_string(ps.v[k].label));
			json_object_set_new(p, "score",
				json_real(round(ps.v[k].score * 1000) / 1000));
			json_array_append_new(arr, p);
		}
		json_object_set_new(obj, "panels", arr);
		rc = wn_json_write_line(stdout, obj);
		json_decref(obj);
		wn_panel_set_release(&ps);
		if (rc == -EPIPE)
			break;
		if (rc < 0) {
			status = EX_IOERR;
			break;
		}
	}
	wn_panel_model_free(m);
	return status;
}

/* ---------- synthetic samples ---------- */

int
train_synth_main(const struct train_opts *o, int argc, char **argv)
{
	struct synth_pool *pool = NULL;
	int i, rc, status = EX_OK;

	if (argc < 1)
		return wn_usage_error("synth: no output folder");
	if ((rc = synth_pool_load(o->data, &pool)) < 0) {
		wn_error("cannot load single images from '%s': %s", o->data,
			 wn_strerror(rc));
		return EX_NOINPUT;
	}
	for (i = 0; i < o->synth; i++) {
		struct synth_figure sf = { 0 };
		char path[4096];
		size_t k;

		if ((rc = synth_figure_make(pool, o->seed * 1000003u + i, &sf)) < 0)
			break;
		snprintf(path, sizeof(path), "%s/synth-%04d.png", argv[0], i);
		rc = wn_image_write_png(&sf.img, path);
		if (rc < 0) {
			wn_error("cannot write '%s': %s", path, wn_strerror(rc));
			synth_figure_release(&sf);
			status = EX_CANTCREAT;
			break;
		}
		printf("{\"file\": \"synth-%04d.png\", \"width\": %d, \"height\": %d, "
		       "\"units\": [", i, sf.img.width, sf.img.height);
		for (k = 0; k < sf.nunits; k++)
			printf("%s{\"box\": [%d, %d, %d, %d], \"label\": \"%s\"}",
			       k ? ", " : "", sf.units[k].x, sf.units[k].y,
			       sf.units[k].w, sf.units[k].h, sf.units[k].label);
		printf("]}\n");
		synth_figure_release(&sf);
	}
	synth_pool_free(pool);
	if (rc < 0 && status == EX_OK)
		status = wn_exit_status(rc);
	return status;
}
