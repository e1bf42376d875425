/*
 * train-labels.c: `winnow-train labels`: the glyph classifier that reads panel
 * letters, a perceptron with one hidden layer trained by minibatch SGD with
 * momentum (OpenBLAS for the products) on letters rendered from Debian's fonts
 * by tools/train/render-glyphs.py.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "lib/labels.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "tools/train/train.h"
#include "lib/banned.h"

#define HIDDEN		128
#define BATCH		64
#define MAX_SAMPLES	400000
#define LINE_MAX_LEN	65536

static const char classes[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";

struct samples {
	float *x;		/* owned: n x WN_LABELS_NIN */
	int *y;			/* owned */
	size_t n, cap;
};

static int
add_sample(struct samples *s, const char *line)
{
	char cls[8], hex[LINE_MAX_LEN];
	const char *cp;
	int w, h, rw, x, y;
	uint8_t *bits;

	if (sscanf(line, "%7s %d %d %65535s", cls, &w, &h, hex) != 4 ||
	    w <= 0 || h <= 0 || w > 512 || h > 512)
		return 0;
	cp = strchr(classes, cls[0]);
	if (strlen(cls) != 1 || cp == NULL)
		return 0;
	rw = (w + 3) / 4;
	if ((int)strlen(hex) < rw * h)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8192;
		float *nx;
		int *ny;

		if (cap > MAX_SAMPLES)
			return -E2BIG;
		nx = realloc(s->x, cap * WN_LABELS_NIN * sizeof(float));
		if (nx == NULL)
			return -ENOMEM;
		s->x = nx;
		ny = realloc(s->y, cap * sizeof(int));
		if (ny == NULL)
			return -ENOMEM;
		s->y = ny;
		s->cap = cap;
	}
	bits = malloc((size_t)w * h);
	if (bits == NULL)
		return -ENOMEM;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			char c = hex[y * rw + x / 4];
			int v = c >= 'a' ? c - 'a' + 10 : c - '0';

			bits[y * w + x] = (v >> (3 - x % 4)) & 1;
		}
	wn_labels_glyph_features(bits, w, 0, 0, w, h,
				 s->x + s->n * WN_LABELS_NIN);
	free(bits);
	s->y[s->n++] = (int)(cp - classes);
	return 0;
}

static int
read_samples(const struct train_opts *o, struct samples *s)
{
	char cmd[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;
	int rc = 0, piped = o->glyphs == NULL;

	if (piped) {
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/python3 '%s/tools/train/render-glyphs.py' --seed %llu",
			 WN_SOURCE_ROOT, (unsigned long long)o->seed);
		wn_info("rendering glyphs: %s", cmd);
		f = popen(cmd, "r");
	} else {
		f = fopen(o->glyphs, "r");
	}
	if (f == NULL) {
		rc = -errno;
		wn_error("cannot read glyphs from '%s': %s",
			 piped ? "render-glyphs.py" : o->glyphs, wn_strerror(rc));
		return rc;
	}
	while (getline(&line, &cap, f) > 0)
		if ((rc = add_sample(s, line)) < 0)
			break;
	free(line);
	if (piped) {
		int st = pclose(f);

		if (st != 0 && rc == 0) {
			wn_error("render-glyphs.py failed (status %d)", st);
			rc = -EIO;
		}
	} else {
		fclose(f);
	}
	if (rc == 0 && s->n < 100) {
		wn_error("too few glyph samples (%zu)", s->n);
		rc = -WN_EFORMAT;
	}
	return rc;
}

static float
gauss(uint64_t *st)
{
	double u1, u2;

	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	u1 = ((*st >> 11) + 1) * (1.0 / 9007199254740993.0);
	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	u2 = (*st >> 11) * (1.0 / 9007199254740992.0);
	return (float)(sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
}

/* Train m (already allocated) on samples idx[0..n); returns 0. */
static int
sgd(struct wn_labels_model *m, const struct samples *s, const size_t *idx,
    size_t n, int epochs, uint64_t seed)
{
	int nin = m->nin, nh = m->nhid, no = m->nout, e, i, j, b;
	float *X = malloc(sizeof(float) * BATCH * nin);
	float *Hd = malloc(sizeof(float) * BATCH * nh);
	float *P = malloc(sizeof(float) * BATCH * no);
	float *gw1 = calloc((size_t)nh * nin, sizeof(float));
	float *gw2 = calloc((size_t)no * nh, sizeof(float));
	float *vb1 = calloc(nh, sizeof(float)), *vb2 = calloc(no, sizeof(float));
	float *dH = malloc(sizeof(float) * BATCH * nh);
	float *vw1 = calloc((size_t)nh * nin, sizeof(float));
	float *vw2 = calloc((size_t)no * nh, sizeof(float));
	size_t *order = malloc(n * sizeof(size_t)), k;
	uint64_t st = seed * 2862933555777941757ULL + 3037000493ULL;
	int rc = 0;

	if (!X || !Hd || !P || !gw1 || !gw2 || !vb1 || !vb2 || !dH || !vw1 ||
	    !vw2 || !order) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nh * nin; i++)
		m->w1[i] = gauss(&st) * sqrtf(2.0f / nin);
	for (i = 0; i < no * nh; i++)
		m->w2[i] = gauss(&st) * sqrtf(1.0f / nh);
	memcpy(order, idx, n * sizeof(size_t));
	for (e = 0; e < epochs; e++) {
		float lr = 0.05f * (e < epochs / 2 ? 1 : e < 3 * epochs / 4 ? 0.3f : 0.1f);
		double loss = 0;

		for (k = n; k > 1; k--) {	/* Fisher-Yates, seeded */
			size_t r;

			st = st * 6364136223846793005ULL + 1442695040888963407ULL;
			r = (size_t)((st >> 33) % k);
			size_t t = order[k - 1];
			order[k - 1] = order[r];
			order[r] = t;
		}
		for (k = 0; k + BATCH <= n; k += BATCH) {
			float b1g[WN_LABELS_MAX_HIDDEN],
				b2g[WN_LABELS_MAX_CLASSES];

			for (b = 0; b < BATCH; b++)
				memcpy(X + b * nin, s->x + order[k + b] * nin,
				       sizeof(float) * nin);
			/* H = relu(X W1^T + b1) */
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BATCH,
				    nh, nin, 1, X, nin, m->w1, nin, 0, Hd, nh);
			for (b = 0; b < BATCH; b++)
				for (j = 0; j < nh; j++) {
					float v = Hd[b * nh + j] + m->b1[j];

					Hd[b * nh + j] = v > 0 ? v : 0;
				}
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, BATCH,
				    no, nh, 1, Hd, nh, m->w2, nh, 0, P, no);
			for (b = 0; b < BATCH; b++) {
				float mx = -1e30f, sum = 0;
				int y = s->y[order[k + b]];

				for (j = 0; j < no; j++) {
					P[b * no + j] += m->b2[j];
					mx = fmaxf(mx, P[b * no + j]);
				}
				for (j = 0; j < no; j++) {
					P[b * no + j] = expf(P[b * no + j] - mx);
					sum += P[b * no + j];
				}
				for (j = 0; j < no; j++)
					P[b * no + j] /= sum;
				loss -= log(P[b * no + y] + 1e-9);
				P[b * no + y] -= 1;	/* dL/dlogits */
			}
			/* gradients */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, no, nh,
				    BATCH, 1.0f / BATCH, P, no, Hd, nh, 0, gw2, nh);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BATCH,
				    nh, no, 1, P, no, m->w2, nh, 0, dH, nh);
			for (b = 0; b < BATCH * nh; b++)
				if (Hd[b] <= 0)
					dH[b] = 0;
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nh, nin,
				    BATCH, 1.0f / BATCH, dH, nh, X, nin, 0, gw1, nin);
			memset(b1g, 0, sizeof(b1g));
			memset(b2g, 0, sizeof(b2g));
			for (b = 0; b < BATCH; b++) {
				for (j = 0; j < nh; j++)
					b1g[j] += dH[b * nh + j] / BATCH;
				for (j = 0; j < no; j++)
					b2g[j] += P[b * no + j] / BATCH;
			}
			for (i = 0; i < nh * nin; i++) {
				vw1[i] = 0.9f * vw1[i] - lr * (gw1[i] + 1e-4f * m->w1[i]);
				m->w1[i] += vw1[i];
			}
			for (i = 0; i < no * nh; i++) {
				vw2[i] = 0.9f * vw2[i] - lr * (gw2[i] + 1e-4f * m->w2[i]);
				m->w2[i] += vw2[i];
			}
			for (j = 0; j < nh; j++) {
				vb1[j] = 0.9f * vb1[j] - lr * b1g[j];
				m->b1[j] += vb1[j];
			}
			for (j = 0; j < no; j++) {
				vb2[j] = 0.9f * vb2[j] - lr * b2g[j];
				m->b2[j] += vb2[j];
			}
		}
		wn_debug("glyphs: epoch %d loss %.4f", e + 1, loss / (double)n);
	}
out:
	free(X);
	free(Hd);
	free(P);
	free(gw1);
	free(gw2);
	free(vb1);
	free(vb2);
	free(dH);
	free(vw1);
	free(vw2);
	free(order);
	return rc;
}

int
train_labels_fit(const struct train_opts *o, struct wn_panel_model *m)
{
	struct samples s = { 0 };
	struct wn_labels_model tmp;
	size_t *tr = NULL, *te = NULL, ntr = 0, nte = 0, i;
	int rc, status = EX_SOFTWARE, nout = (int)strlen(classes), ok = 0;

	memset(&tmp, 0, sizeof(tmp));
	if ((rc = read_samples(o, &s)) < 0) {
		status = EX_NOINPUT;
		goto out;
	}
	tr = malloc(s.n * sizeof(size_t));
	te = malloc(s.n * sizeof(size_t));
	if (tr == NULL || te == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < s.n; i++) {
		if (i % 10 == 9)
			te[nte++] = i;
		else
			tr[ntr++] = i;
	}
	if ((rc = wn_labels_model_alloc(&tmp, WN_LABELS_NIN, HIDDEN, nout)) < 0)
		goto fail;
	for (i = 0; i < (size_t)nout; i++)
		if (classes[i] != '-')
			tmp.classes[i][0] = classes[i];
	if ((rc = sgd(&tmp, &s, tr, ntr, o->epochs, o->seed)) < 0)
		goto fail;
	for (i = 0; i < nte; i++) {
		float p;
		int k = wn_labels_classify(&tmp, s.x + te[i] * WN_LABELS_NIN,
					   &p);

		ok += k == s.y[te[i]];
	}
	wn_info("glyphs: %zu samples, %.1f%% right on the %zu held back",
		s.n, 100.0 * ok / (nte ? nte : 1), nte);
	wn_panel_model_set_glyphs(m, &tmp);
	printf("labels: glyph accuracy %.4f on %zu held-back rendered glyphs\n",
	       (double)ok / (nte ? nte : 1), nte);
	status = EX_OK;
	goto out;
fail:
	wn_error("glyph training failed: %s", wn_strerror(rc));
	status = wn_exit_status(rc);
out:
	wn_labels_model_release(&tmp);
	free(tr);
	free(te);
	free(s.x);
	free(s.y);
	return status;
}

int
train_labels_main(const struct train_opts *o)
{
	struct wn_panel_model *m = NULL;
	double t0 = wn_now();
	int rc, status;

	if ((rc = wn_panel_model_load(o->model_in, &m)) < 0) {
		wn_error("cannot load model: %s", wn_strerror(rc));
		return EX_NOINPUT;
	}
	if ((status = train_labels_fit(o, m)) != EX_OK)
		goto out;
	if ((rc = train_write_model(m, o->model_out, o->c_out)) < 0) {
		status = EX_CANTCREAT;
		goto out;
	}
	wn_info("done: glyph model written to '%s' in %.1fs", o->model_out,
		wn_now() - t0);
out:
	wn_panel_model_free(m);
	return status;
}
