/*
 * caption-train.c: training and evaluation of the caption model, for
 * `winnow-train captions` and `winnow-train eval`.
 *
 * Data: JSON Lines following the annotation guide (caption, subcaptions with
 * labels/start/end, shared), by default tests/data/captions/captions-dev.jsonl.
 * A fixed part (the figures whose FNV-1a hash of "fig" is 0, 1 or 2 mod 10,
 * about 30%) is held back: never trained on, reported apart.  Training
 * decodes every caption with the gold decisions (teacher forcing), collects
 * the features of every candidate marker, and fits two L2-regularised
 * logistic models (prefix and postfix markers) by seeded SGD.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/caption.h"
#include "lib/log.h"
#include "lib/util.h"
#include "split/caption-train.h"
#include "lib/banned.h"

#define DEFAULT_DATA	"tests/data/captions/captions-dev.jsonl"
#define DEFAULT_EXTRA	"tests/data/captions/captions-extra.jsonl"
#define DEFAULT_OUT	"split/models/caption-lr.inc"
#define MAX_DATA	(16 << 20)

struct gt {
	char *fig;		/* owned */
	char *source;		/* owned */
	uint32_t *cp;		/* owned */
	size_t ncp;
	struct wn_caption_span *subs;	/* owned */
	size_t nsubs;
	struct wn_caption_span *shared;	/* owned */
	size_t nshared;
	int heldout;
};

struct dataset {
	struct gt *v;		/* owned */
	size_t n;
};

static void
dataset_release(struct dataset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].fig);
		free(d->v[i].source);
		free(d->v[i].cp);
		free(d->v[i].subs);
		free(d->v[i].shared);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/*
 * A default path (relative to the source tree) as given when it exists from
 * the current directory, else under $SOURCE_ROOT; *buf holds the result.
 */
static const char *
default_path(const char *rel, char *buf, size_t size)
{
	const char *root = getenv("SOURCE_ROOT");

	if (access(rel, F_OK) == 0 || root == NULL || *root == '\0')
		return rel;
	snprintf(buf, size, "%s/%s", root, rel);
	return buf;
}

/* Held-back part: fixed by the figure id alone.  --fold 1 and 2 hold back
   other thirds, for cross-validation only; the shipped model uses fold 0. */
static int arg_fold;

static int
is_heldout(const char *fig)
{
	uint64_t r = wn_hash64(fig, strlen(fig)) % 10;

	return r >= (uint64_t)(3 * arg_fold) && r < (uint64_t)(3 * arg_fold + 3);
}

static int
load_spans(json_t *arr, int labels, struct wn_caption_span **ret, size_t *ret_n)
{
	struct wn_caption_span *v;
	size_t i, n = json_is_array(arr) ? json_array_size(arr) : 0;

	v = calloc(n + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_t *o = json_array_get(arr, i), *l;
		size_t k;

		v[i].start = (int)json_integer_value(json_object_get(o, "start"));
		v[i].end = (int)json_integer_value(json_object_get(o, "end"));
		l = json_object_get(o, "labels");
		for (k = 0; labels && k < json_array_size(l) &&
				k < WN_CAPTION_MAX_LABELS; k++) {
			const char *s = json_string_value(json_array_get(l, k));

			if (s != NULL)
				snprintf(v[i].labels[v[i].nlabels++],
						WN_CAPTION_LABEL_SIZE, "%s", s);
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Append the captions of path to *ret; train_only: never held back. */
static int
load_dataset(const char *path, int train_only, struct dataset *ret)
{
	struct dataset d = *ret;
	char *data = NULL, *p, *nl;
	size_t len = 0, cap = d.n;
	int rc, lineno = 0;

	rc = wn_read_file(path, MAX_DATA, &data, &len);
	if (rc < 0) {
		wn_error("cannot read '%s': %s", path, wn_strerror(rc));
		return rc;
	}
	for (p = data; p < data + len; p = nl + 1) {
		json_error_t err;
		json_t *o;
		struct gt g = { 0 };
		const char *fig, *cap_text, *file;

		nl = memchr(p, '\n', (size_t)(data + len - p));
		if (nl == NULL)
			nl = data + len;
		lineno++;
		if (nl == p)
			continue;
		o = json_loadb(p, (size_t)(nl - p), 0, &err);
		if (o == NULL) {
			wn_error("%s:%d: %s", path, lineno, err.text);
			rc = -WN_EFORMAT;
			goto out;
		}
		fig = json_string_value(json_object_get(o, "fig"));
		cap_text = json_string_value(json_object_get(o, "caption"));
		file = json_string_value(json_object_get(o, "file"));
		if (fig == NULL || cap_text == NULL) {
			json_decref(o);
			wn_warn("%s:%d: no fig or caption, skipping", path, lineno);
			continue;
		}
		g.fig = strdup(fig);
		if (file != NULL) {
			const char *b = strrchr(file, '/'), *u;

			b = b ? b + 1 : file;
			u = strchr(b, '_');
			g.source = u ? strndup(b, (size_t)(u - b)) : strdup(b);
		} else {
			g.source = strdup("(no image)");
		}
		g.heldout = !train_only && is_heldout(fig);
		rc = wn_caption_decode(cap_text, strlen(cap_text), &g.cp,
				       &g.ncp);
		if (rc >= 0)
			rc = load_spans(json_object_get(o, "subcaptions"), 1,
					&g.subs, &g.nsubs);
		if (rc >= 0)
			rc = load_spans(json_object_get(o, "shared"), 0,
					&g.shared, &g.nshared);
		json_decref(o);
		if (rc >= 0 && (g.fig == NULL || g.source == NULL))
			rc = -ENOMEM;
		if (rc >= 0 && d.n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct gt *v = realloc(d.v, nc * sizeof(*v));

			if (v == NULL) {
				rc = -ENOMEM;
			} else {
				d.v = v;
				cap = nc;
			}
		}
		if (rc < 0) {
			free(g.fig);
			free(g.source);
			free(g.cp);
			free(g.subs);
			free(g.shared);
			goto out;
		}
		d.v[d.n++] = g;
	}
	rc = 0;
out:
	*ret = d;		/* on error, what was read; the caller releases */
	free(data);
	return rc;
}

/* ------------------------------------------------------------- training */

struct example {
	double f[WN_CAPTION_NFEAT];
	int y;
};

struct examples {
	struct example *v;	/* owned */
	size_t n, cap;
};

struct oracle_ctx {
	const struct gt *g;
	struct wn_caption_cand *cands;	/* all candidates of the caption */
	size_t ncands;
	struct examples *ex[2];		/* per pass */
	int has_prefix;			/* the caption has gold prefix markers */
};

static int
labels_equal(const struct wn_caption_span *g, const struct wn_caption_cand *c)
{
	int i, j;

	if (g->nlabels != c->nlabels)
		return 0;
	for (i = 0; i < g->nlabels; i++) {
		for (j = 0; j < c->nlabels; j++)
			if (strcmp(g->labels[i], c->labels[j]) == 0)
				break;
		if (j == c->nlabels)
			return 0;
	}
	return 1;
}

/* Is c the marker that starts a gold sub-caption? */
static int
gold_prefix(const struct gt *g, const struct wn_caption_cand *c)
{
	size_t i;

	for (i = 0; i < g->nsubs; i++)
		if (abs(g->subs[i].start - c->start) <= 1 &&
				labels_equal(&g->subs[i], c))
			return 1;
	return 0;
}

/* Is c a postfix marker: inside a gold sub-caption with its labels that no
 * candidate starts? */
static int
gold_postfix(const struct oracle_ctx *o, const struct wn_caption_cand *c)
{
	const struct gt *g = o->g;
	size_t i, j;

	for (i = 0; i < g->nsubs; i++) {
		const struct wn_caption_span *s = &g->subs[i];

		if (!labels_equal(s, c) || c->start <= s->start + 1 ||
				c->end > s->end + 1)
			continue;
		for (j = 0; j < o->ncands; j++)
			if (abs(o->cands[j].start - s->start) <= 1)
				break;
		if (j == o->ncands)
			return 1;
	}
	return 0;
}

static int
oracle(void *vctx, const struct wn_caption_cand *c, const double *feat)
{
	struct oracle_ctx *o = vctx;
	struct examples *ex = o->ex[c->pass ? 1 : 0];
	int y = c->pass ? gold_postfix(o, c) : gold_prefix(o->g, c);

	/* the postfix model only ever sees captions without prefix markers */
	if (c->pass && o->has_prefix)
		return y;
	if (ex->n == ex->cap) {
		size_t nc = ex->cap ? ex->cap * 2 : 256;
		struct example *v = realloc(ex->v, nc * sizeof(*v));

		if (v == NULL)
			return y;	/* the example is lost, the decoding goes on */
		ex->v = v;
		ex->cap = nc;
	}
	memcpy(ex->v[ex->n].f, feat, sizeof(double) * WN_CAPTION_NFEAT);
	ex->v[ex->n].y = y;
	ex->n++;
	return y;
}

/* L2-regularised logistic regression by SGD (seeded order), averaged. */
static int
fit(const struct examples *ex, uint64_t seed, int epochs, double lambda,
		double *ret_w)
{
	double w[WN_CAPTION_NFEAT] = { 0 }, avg[WN_CAPTION_NFEAT] = { 0 };
	size_t *order, i, navg = 0;
	uint64_t s = seed;
	int e, k;

	if (ex->n == 0) {
		memset(ret_w, 0, sizeof(double) * WN_CAPTION_NFEAT);
		ret_w[0] = -5;
		return 0;
	}
	order = malloc(ex->n * sizeof(*order));
	if (order == NULL)
		return -ENOMEM;
	for (i = 0; i < ex->n; i++)
		order[i] = i;
	for (e = 0; e < epochs; e++) {
		double eta = 0.1 / (1 + 0.05 * e);

		for (i = ex->n - 1; i > 0; i--) {
			size_t j = (size_t)(wn_splitmix64(&s) % (i + 1)), t;

			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < ex->n; i++) {
			const struct example *x = &ex->v[order[i]];
			double z = 0, p, g;

			for (k = 0; k < WN_CAPTION_NFEAT; k++)
				z += w[k] * x->f[k];
			p = z > 30 ? 1 : z < -30 ? 0 : 1 / (1 + exp(-z));
			g = p - x->y;
			for (k = 0; k < WN_CAPTION_NFEAT; k++) {
				double reg = k == 0 ? 0 : lambda * w[k];

				w[k] -= eta * (g * x->f[k] + reg);
			}
		}
		if (e >= epochs / 2) {
			for (k = 0; k < WN_CAPTION_NFEAT; k++)
				avg[k] += w[k];
			navg++;
		}
	}
	for (k = 0; k < WN_CAPTION_NFEAT; k++)
		ret_w[k] = navg ? avg[k] / (double)navg : w[k];
	free(order);
	return 0;
}

static double
loss(const struct examples *ex, const double *w, int *ret_err)
{
	double l = 0;
	size_t i;
	int k, err = 0;

	for (i = 0; i < ex->n; i++) {
		double z = 0, p;

		for (k = 0; k < WN_CAPTION_NFEAT; k++)
			z += w[k] * ex->v[i].f[k];
		p = 1 / (1 + exp(-z));
		if ((p > 0.5) != ex->v[i].y)
			err++;
		p = ex->v[i].y ? p : 1 - p;
		l -= log(p < 1e-12 ? 1e-12 : p);
	}
	*ret_err = err;
	return ex->n ? l / (double)ex->n : 0;
}

static int
collect(const struct dataset *d, int want_heldout, struct examples *ex0,
		struct examples *ex1)
{
	struct wn_caption_model zero;
	size_t i, j;
	int rc = 0;

	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < d->n && rc >= 0; i++) {
		struct oracle_ctx o = { .g = &d->v[i], .ex = { ex0, ex1 } };
		struct wn_caption_split s = { 0 };

		if (d->v[i].heldout != want_heldout)
			continue;
		rc = wn_caption_candidates(d->v[i].cp, d->v[i].ncp, &o.cands,
					   &o.ncands);
		if (rc < 0)
			break;
		for (j = 0; j < o.ncands; j++)
			if (gold_prefix(o.g, &o.cands[j]))
				o.has_prefix = 1;
		rc = wn_caption_split_cp(&zero, d->v[i].cp, d->v[i].ncp, oracle,
					 &o, &s);
		wn_caption_split_release(&s);
		free(o.cands);
	}
	return rc;
}

static void
model_version(struct wn_caption_model *m)
{
	uint64_t h = wn_hash64(m->prefix, sizeof(m->prefix));

	h ^= wn_hash64(m->postfix, sizeof(m->postfix)) * 31;
	snprintf(m->version, sizeof(m->version), "caption-lr-%08llx",
			(unsigned long long)(h & 0xffffffffULL));
}

static void
train_usage(FILE *f)
{
	fprintf(f, "usage: winnow-train captions [--data FILE] [--extra FILE] "
			"[--out FILE] [--seed N] [--epochs N] [--fold K]\n");
}

int
caption_train_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data",   required_argument, NULL, 'D' },
		{ "extra",  required_argument, NULL, 'x' },
		{ "out",    required_argument, NULL, 'o' },
		{ "seed",   required_argument, NULL, 's' },
		{ "epochs", required_argument, NULL, 'e' },
		{ "fold",   required_argument, NULL, 'f' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char b1[4096], b2[4096], b3[4096];
	const char *data = default_path(DEFAULT_DATA, b1, sizeof(b1));
	const char *extra = default_path(DEFAULT_EXTRA, b2, sizeof(b2));
	const char *outp = default_path(DEFAULT_OUT, b3, sizeof(b3));
	struct dataset d = { 0 };
	struct examples ex[2] = { { 0 } }, hx[2] = { { 0 } };
	struct wn_caption_model m;
	int64_t seed = 1;
	int epochs = 200, c, rc, e0, e1;
	size_t i, ntrain = 0;
	FILE *out = NULL;

	optind = 0;
	arg_fold = 0;
	while ((c = getopt_long(argc, argv, "D:x:o:s:e:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (wn_parse_int(optarg, 0, 2, &arg_fold) < 0) {
				wn_error("bad --fold '%s' (0 to 2)", optarg);
				return EX_USAGE;
			}
			break;
		case 'D': data = optarg; break;
		case 'x': extra = *optarg ? optarg : NULL; break;
		case 'o': outp = optarg; break;
		case 's':
			if (wn_parse_i64(optarg, 0, INT64_MAX, &seed) < 0) {
				wn_error("bad --seed '%s'", optarg);
				return EX_USAGE;
			}
			break;
		case 'e':
			if (wn_parse_int(optarg, 1, 100000, &epochs) < 0) {
				wn_error("bad --epochs '%s'", optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
			train_usage(stdout);
			return EX_OK;
		default:
			train_usage(stderr);
			return EX_USAGE;
		}
	}
	rc = load_dataset(data, 0, &d);
	if (rc >= 0 && extra != NULL)
		rc = load_dataset(extra, 1, &d);
	if (rc < 0) {
		dataset_release(&d);
		return rc == -ENOENT ? EX_NOINPUT : EX_DATAERR;
	}
	for (i = 0; i < d.n; i++)
		ntrain += !d.v[i].heldout;
	rc = collect(&d, 0, &ex[0], &ex[1]);
	if (rc >= 0)
		rc = collect(&d, 1, &hx[0], &hx[1]);
	if (rc < 0) {
		wn_error("collecting features: %s", wn_strerror(rc));
		goto out;
	}
	memset(&m, 0, sizeof(m));
	rc = fit(&ex[0], (uint64_t)seed, epochs, 1e-4, m.prefix);
	if (rc >= 0)
		rc = fit(&ex[1], (uint64_t)seed + 1, epochs, 1e-4, m.postfix);
	if (rc < 0)
		goto out;
	model_version(&m);
	wn_info("trained on %zu of %zu captions (%zu held back)", ntrain, d.n,
			d.n - ntrain);
	{
		double l0 = loss(&ex[0], m.prefix, &e0);
		double l1 = loss(&ex[1], m.postfix, &e1);

		printf("prefix model: %zu candidates, log-loss %.4f, %d errors "
				"(train)\n", ex[0].n, l0, e0);
		printf("postfix model: %zu candidates, log-loss %.4f, %d errors "
				"(train)\n", ex[1].n, l1, e1);
		l0 = loss(&hx[0], m.prefix, &e0);
		l1 = loss(&hx[1], m.postfix, &e1);
		printf("prefix model: %zu candidates, log-loss %.4f, %d errors "
				"(held back)\n", hx[0].n, l0, e0);
		printf("postfix model: %zu candidates, log-loss %.4f, %d errors "
				"(held back)\n", hx[1].n, l1, e1);
	}
	out = fopen(outp, "w");
	if (out == NULL) {
		wn_error("cannot create '%s': %s", outp, strerror(errno));
		rc = -EX_CANTCREAT;
		goto out;
	}
	rc = wn_caption_model_write(&m, out);
	if (fclose(out) != 0 && rc >= 0)
		rc = -EIO;
	if (rc < 0) {
		wn_error("cannot write '%s': %s", outp, wn_strerror(rc));
		rc = -EX_IOERR;
		goto out;
	}
	printf("wrote %s (%s)\n", outp, m.version);
	rc = 0;
out:
	free(ex[0].v);
	free(ex[1].v);
	free(hx[0].v);
	free(hx[1].v);
	dataset_release(&d);
	if (rc == -EX_CANTCREAT)
		return EX_CANTCREAT;
	if (rc == -EX_IOERR)
		return EX_IOERR;
	return rc < 0 ? EX_SOFTWARE : EX_OK;
}

/* ----------------------------------------------------------- evaluation */

struct score {
	long caps, gt_labels, pred_labels, tp_labels, gt_subs, found_subs;
	long no_sub, false_split, sh_gt, sh_pred, sh_tp;
};

static int
is_sp(uint32_t c)
{
	return c == ' ' || (c >= 9 && c <= 13) || c == 0xa0 ||
		(c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x3000;
}

static void
trim(const uint32_t *cp, int *s, int *e)
{
	while (*s < *e && is_sp(cp[*s]))
		(*s)++;
	while (*e > *s && is_sp(cp[*e - 1]))
		(*e)--;
}

/* Labels of all spans as one set; returns the count. */
static int
label_set(const struct wn_caption_span *v, size_t n,
	  char (*set)[WN_CAPTION_LABEL_SIZE], int max)
{
	size_t i;
	int k, j, m = 0;

	for (i = 0; i < n; i++)
		for (k = 0; k < v[i].nlabels; k++) {
			for (j = 0; j < m; j++)
				if (strcmp(set[j], v[i].labels[k]) == 0)
					break;
			if (j == m && m < max)
				memcpy(set[m++], v[i].labels[k],
				       WN_CAPTION_LABEL_SIZE);
		}
	return m;
}

static int
span_labels_equal(const struct wn_caption_span *a,
		  const struct wn_caption_span *b)
{
	int i, j, na = 0, nb = 0;

	for (i = 0; i < a->nlabels; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(a->labels[i], a->labels[j]) == 0)
				break;
		na += j == i;
	}
	for (i = 0; i < b->nlabels; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(b->labels[i], b->labels[j]) == 0)
				break;
		nb += j == i;
	}
	if (na != nb)
		return 0;
	for (i = 0; i < a->nlabels; i++) {
		for (j = 0; j < b->nlabels; j++)
			if (strcmp(a->labels[i], b->labels[j]) == 0)
				break;
		if (j == b->nlabels)
			return 0;
	}
	return 1;
}

static void
score_one(const struct gt *g, const struct wn_caption_split *p, struct score *s,
	  int verbose)
{
	char gl[256][WN_CAPTION_LABEL_SIZE], pl[256][WN_CAPTION_LABEL_SIZE];
	int ng, np, i, j, tp = 0, found = 0;
	unsigned char *used, *gm, *pm;
	size_t a, b;

	ng = label_set(g->subs, g->nsubs, gl, 256);
	np = label_set(p->subs, p->nsubs, pl, 256);
	for (i = 0; i < ng; i++)
		for (j = 0; j < np; j++)
			if (strcmp(gl[i], pl[j]) == 0) {
				tp++;
				break;
			}
	used = calloc(p->nsubs + 1, 1);
	for (a = 0; used && a < g->nsubs; a++) {
		int gs = g->subs[a].start, ge = g->subs[a].end;

		trim(g->cp, &gs, &ge);
		for (b = 0; b < p->nsubs; b++) {
			int ps = p->subs[b].start, pe = p->subs[b].end;

			trim(g->cp, &ps, &pe);
			if (!used[b] && span_labels_equal(&g->subs[a], &p->subs[b]) &&
					abs(ps - gs) <= 3 && abs(pe - ge) <= 3) {
				used[b] = 1;
				found++;
				break;
			}
		}
	}
	free(used);
	gm = calloc(g->ncp + 1, 1);
	pm = calloc(g->ncp + 1, 1);
	if (gm != NULL && pm != NULL) {
		for (a = 0; a < g->nshared; a++)
			for (i = g->shared[a].start; i < g->shared[a].end &&
					i < (int)g->ncp; i++)
				gm[i] = !is_sp(g->cp[i]);
		for (a = 0; a < p->nshared; a++)
			for (i = p->shared[a].start; i < p->shared[a].end &&
					i < (int)g->ncp; i++)
				pm[i] = !is_sp(g->cp[i]);
		for (i = 0; i < (int)g->ncp; i++) {
			s->sh_gt += gm[i];
			s->sh_pred += pm[i];
			s->sh_tp += gm[i] && pm[i];
		}
	}
	free(gm);
	free(pm);
	s->caps++;
	s->gt_labels += ng;
	s->pred_labels += np;
	s->tp_labels += tp;
	s->gt_subs += (long)g->nsubs;
	s->found_subs += found;
	s->no_sub += g->nsubs == 0;
	s->false_split += g->nsubs == 0 && p->nsubs > 0;
	if (verbose && (tp != ng || tp != np || found != (int)g->nsubs))
		printf("  %s: labels gt %d pred %d tp %d; spans %d/%zu\n", g->fig,
				ng, np, tp, found, g->nsubs);
}

static void
prf(long tp, long npred, long ngt, double *p, double *r, double *f)
{
	*p = npred ? (double)tp / (double)npred : (ngt == 0);
	*r = ngt ? (double)tp / (double)ngt : (npred == 0);
	*f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

static void
print_row(const char *part, const char *source, const char *method,
		const struct score *s)
{
	double p, r, f, sp, sr, sf;

	prf(s->tp_labels, s->pred_labels, s->gt_labels, &p, &r, &f);
	prf(s->sh_tp, s->sh_pred, s->sh_gt, &sp, &sr, &sf);
	printf("%-9s %-12s %-9s %5ld %6.3f %6.3f %6.3f %6.3f %4ld/%-4ld %6.3f\n",
			part, source, method, s->caps, p, r, f,
			s->gt_subs ? (double)s->found_subs / (double)s->gt_subs : 1.0,
			s->false_split, s->no_sub, sf);
}

static void
eval_usage(FILE *f)
{
	fprintf(f, "usage: winnow-train eval [--data FILE] [--model FILE] "
			"[--fold K] [--verbose]\n");
}

int
caption_eval_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data",    required_argument, NULL, 'D' },
		{ "model",   required_argument, NULL, 'm' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "fold",    required_argument, NULL, 'f' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char b1[4096];
	const char *data = default_path(DEFAULT_DATA, b1, sizeof(b1));
	const char *model_path = NULL;
	struct wn_caption_model mm;
	const struct wn_caption_model *m = NULL;
	struct dataset d = { 0 };
	char sources[64][32];
	int nsrc = 0, c, rc, verbose = 0, part, meth, k;
	size_t i;

	optind = 0;
	arg_fold = 0;
	while ((c = getopt_long(argc, argv, "D:m:vf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (wn_parse_int(optarg, 0, 2, &arg_fold) < 0) {
				wn_error("bad --fold '%s' (0 to 2)", optarg);
				return EX_USAGE;
			}
			break;
		case 'D': data = optarg; break;
		case 'm': model_path = optarg; break;
		case 'v': verbose = 1; break;
		case 'h':
			eval_usage(stdout);
			return EX_OK;
		default:
			eval_usage(stderr);
			return EX_USAGE;
		}
	}
	if (model_path != NULL) {
		rc = wn_caption_model_load(model_path, &mm);
		if (rc < 0) {
			wn_error("cannot load '%s': %s", model_path, wn_strerror(rc));
			return rc == -ENOENT ? EX_NOINPUT : EX_DATAERR;
		}
		m = &mm;
	} else {
		m = wn_caption_model_shipped();
	}
	rc = load_dataset(data, 0, &d);
	if (rc < 0) {
		dataset_release(&d);
		return rc == -ENOENT ? EX_NOINPUT : EX_DATAERR;
	}
	for (i = 0; i < d.n; i++) {
		for (k = 0; k < nsrc; k++)
			if (strcmp(sources[k], d.v[i].source) == 0)
				break;
		if (k == nsrc && nsrc < 64)
			snprintf(sources[nsrc++], sizeof(sources[0]), "%s",
					d.v[i].source);
	}
	printf("caption model %s on %s\n", m->version, data);
	printf("lab = label sets per caption; span = GT sub-captions found "
			"(labels equal, ends within 3); baseline = a sub-caption "
			"at every \"(X)\"\n");
	printf("%-9s %-12s %-9s %5s %6s %6s %6s %6s %9s %6s\n", "part", "source",
			"method", "caps", "lab-P", "lab-R", "lab-F1", "span",
			"false-spl", "shr-F1");
	for (part = 0; part < 2; part++) {
		for (meth = 0; meth < 2; meth++) {
			struct score tot = { 0 }, per[64];

			memset(per, 0, sizeof(per));
			if (verbose && meth == 0)
				printf("%s errors:\n", part ? "all" : "held-back");
			for (i = 0; i < d.n; i++) {
				struct wn_caption_split s = { 0 };
				const struct gt *g = &d.v[i];

				if (part == 0 && !g->heldout)
					continue;
				rc = meth == 0 ?
					wn_caption_split_cp(m, g->cp, g->ncp,
							    NULL, NULL, &s) :
					wn_caption_split_baseline(g->cp, g->ncp,
								  &s);
				if (rc < 0) {
					wn_error("%s: %s", g->fig, wn_strerror(rc));
					continue;
				}
				for (k = 0; k < nsrc; k++)
					if (strcmp(sources[k], g->source) == 0)
						break;
				score_one(g, &s, &tot, verbose && meth == 0);
				if (k < nsrc)
					score_one(g, &s, &per[k], 0);
				wn_caption_split_release(&s);
			}
			print_row(part ? "all" : "held-back", "ALL",
					meth ? "baseline" : "model", &tot);
			for (k = 0; k < nsrc; k++)
				if (per[k].caps > 0)
					print_row(part ? "all" : "held-back",
							sources[k],
							meth ? "baseline" : "model",
							&per[k]);
		}
	}
	/* speed on one thread: all captions, repeated for about a second */
	{
		double t0 = wn_now(), dt;
		long ncap = 0, nchar = 0;

		do {
			for (i = 0; i < d.n; i++) {
				struct wn_caption_split s = { 0 };

				if (wn_caption_split_cp(m, d.v[i].cp,
							d.v[i].ncp, NULL,
							NULL, &s) == 0) {
					ncap++;
					nchar += (long)d.v[i].ncp;
				}
				wn_caption_split_release(&s);
			}
			dt = wn_now() - t0;
		} while (dt < 1.0 && d.n > 0);
		if (ncap > 0)
			printf("speed: %.0f captions/s on one thread (%.0f characters "
					"each on average)\n", (double)ncap / dt,
					(double)nchar / (double)ncap);
	}
	dataset_release(&d);
	/* stdout stays open: winnow-train closes it */
	if (fflush(stdout) != 0 || ferror(stdout))
		return errno == EPIPE ? EX_OK : EX_IOERR;
	return EX_OK;
}
