/*
 * embed.c: .npy import, L2 normalisation, blocked sgemm cosine joins, spherical
 * k-means partitions and threshold calibration (see embed.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "dedup/embed.h"
#include "lib/log.h"
#include "lib/banned.h"

#define BLOCK_A	256
#define BLOCK_B	2048

void
dedup_mat_release(struct dedup_mat *m)
{
	if (m == NULL)
		return;
	free(m->v);
	*m = (struct dedup_mat){ 0 };
}

float
dedup_half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31;
	uint32_t exp = (h >> 10) & 0x1f;
	uint32_t man = h & 0x3ff;
	uint32_t bits;
	float f;

	if (exp == 0) {
		if (man == 0) {
			bits = sign;
		} else {
			/* subnormal half: value = man * 2^-24 */
			f = (float)man * 5.9604644775390625e-8f;
			return sign ? -f : f;
		}
	} else if (exp == 31) {
		bits = sign | 0x7f800000u | (man << 13);
	} else {
		bits = sign | ((exp + 112) << 23) | (man << 13);
	}
	memcpy(&f, &bits, sizeof(f));
	return f;
}

/* Find 'key' in a Python dict literal; returns a pointer after the colon. */
static const char *
dict_value(const char *hdr, const char *key)
{
	size_t kl = strlen(key);
	const char *p = hdr;

	while ((p = strchr(p, '\'')) != NULL) {
		if (strncmp(p + 1, key, kl) == 0 && p[kl + 1] == '\'') {
			p += kl + 2;
			while (*p == ' ')
				p++;
			if (*p != ':')
				return NULL;
			p++;
			while (*p == ' ')
				p++;
			return p;
		}
		p++;
	}
	return NULL;
}

static int
parse_dim(const char **pp, uint64_t *ret)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -WN_EFORMAT;
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -WN_ETOOBIG;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	/* numpy may write 3L on old Pythons */
	if (*p == 'L')
		p++;
	*pp = p;
	*ret = v;
	return 0;
}

int
dedup_npy_parse(const uint8_t *buf, size_t len, size_t max_rows, struct dedup_mat *ret)
{
	static const uint8_t magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };
	char *hdr = NULL;
	const char *p;
	size_t hlen, off, esize, need;
	uint64_t shape[2] = { 0, 1 };
	int ndim = 0, half, rc;
	struct dedup_mat m = { 0 };

	if (len < 10 || memcmp(buf, magic, 6) != 0)
		return -WN_EFORMAT;
	if (buf[6] == 1) {
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
		off = 10;
	} else if (buf[6] == 2 || buf[6] == 3) {
		if (len < 12)
			return -WN_ECORRUPT;
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
		       (size_t)buf[11] << 24;
		off = 12;
	} else {
		return -WN_EUNSUPPORTED;
	}
	if (hlen > DEDUP_NPY_MAX_HEADER)
		return -WN_ETOOBIG;
	if (hlen > len - off)
		return -WN_ECORRUPT;
	hdr = malloc(hlen + 1);
	if (hdr == NULL)
		return -ENOMEM;
	memcpy(hdr, buf + off, hlen);
	hdr[hlen] = '\0';
	if (memchr(hdr, '\0', hlen) != NULL) {
		rc = -WN_EFORMAT;
		goto out;
	}
	off += hlen;

	rc = -WN_EFORMAT;
	p = dict_value(hdr, "descr");
	if (p == NULL)
		goto out;
	if (strncmp(p, "'<f4'", 5) == 0) {
		half = 0;
	} else if (strncmp(p, "'<f2'", 5) == 0) {
		half = 1;
	} else {
		rc = -WN_EUNSUPPORTED;
		goto out;
	}
	p = dict_value(hdr, "fortran_order");
	if (p == NULL)
		goto out;
	if (strncmp(p, "True", 4) == 0) {
		rc = -WN_EUNSUPPORTED;
		goto out;
	}
	if (strncmp(p, "False", 5) != 0)
		goto out;
	p = dict_value(hdr, "shape");
	if (p == NULL || *p != '(')
		goto out;
	p++;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == ')')
			break;
		if (ndim == 2) {
			rc = -WN_EUNSUPPORTED;
			goto out;
		}
		rc = parse_dim(&p, &shape[ndim]);
		if (rc < 0)
			goto out;
		rc = -WN_EFORMAT;
		ndim++;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
		else if (*p != ')')
			goto out;
	}
	if (ndim == 0)
		goto out;
	if (ndim == 1) {
		/* one vector */
		shape[1] = shape[0];
		shape[0] = 1;
	}
	if (shape[1] == 0 || shape[1] > DEDUP_EMBED_MAX_DIM) {
		rc = -WN_EUNSUPPORTED;
		goto out;
	}
	if (shape[0] > max_rows) {
		rc = -WN_ETOOBIG;
		goto out;
	}
	esize = half ? 2 : 4;
	need = (size_t)shape[0] * (size_t)shape[1] * esize;
	if (len - off < need) {
		rc = -WN_ECORRUPT;
		goto out;
	}
	m.n = (size_t)shape[0];
	m.dim = (int)shape[1];
	m.v = malloc(m.n * (size_t)m.dim * sizeof(float) + 1);
	if (m.v == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < m.n * (size_t)m.dim; i++) {
		const uint8_t *q = buf + off + i * esize;

		if (half) {
			m.v[i] = dedup_half_to_float((uint16_t)(q[0] | q[1] << 8));
		} else {
			uint32_t bits = (uint32_t)q[0] | (uint32_t)q[1] << 8 |
					(uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;

			memcpy(&m.v[i], &bits, sizeof(float));
		}
	}
	*ret = m;
	m = (struct dedup_mat){ 0 };
	rc = 0;
out:
	free(hdr);
	dedup_mat_release(&m);
	return rc;
}

size_t
dedup_l2_normalise(float *v, size_t n, int dim)
{
	size_t zero = 0;

	for (size_t i = 0; i < n; i++) {
		float *r = v + i * (size_t)dim;
		double s = 0;

		for (int k = 0; k < dim; k++)
			s += (double)r[k] * r[k];
		if (!(s > 1e-30) || !isfinite(s)) {
			memset(r, 0, (size_t)dim * sizeof(float));
			zero++;
			continue;
		}
		s = 1.0 / sqrt(s);
		for (int k = 0; k < dim; k++)
			r[k] = (float)(r[k] * s);
	}
	return zero;
}

int
dedup_cos_join(const float *a, size_t na, const float *b, size_t nb, int dim,
	       int same, float tau, dedup_pair_cb cb, void *ctx)
{
	float *c;
	int rc = 0;

	if (na == 0 || nb == 0)
		return 0;
	c = malloc((size_t)BLOCK_A * BLOCK_B * sizeof(float));
	if (c == NULL)
		return -ENOMEM;
	for (size_t i0 = 0; i0 < na; i0 += BLOCK_A) {
		size_t ma = na - i0 < BLOCK_A ? na - i0 : BLOCK_A;
		size_t j0 = 0;

		if (same)
			j0 = i0 - i0 % BLOCK_B;
		for (; j0 < nb; j0 += BLOCK_B) {
			size_t mb = nb - j0 < BLOCK_B ? nb - j0 : BLOCK_B;

			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
				    (int)ma, (int)mb, dim, 1.0f,
				    a + i0 * (size_t)dim, dim,
				    b + j0 * (size_t)dim, dim, 0.0f, c, (int)mb);
			for (size_t i = 0; i < ma; i++) {
				const float *row = c + i * mb;

				for (size_t j = 0; j < mb; j++) {
					if (row[j] < tau)
						continue;
					if (same && j0 + j <= i0 + i)
						continue;
					rc = cb(ctx, i0 + i, j0 + j, row[j]);
					if (rc < 0)
						goto out;
				}
			}
		}
	}
	rc = 0;
out:
	free(c);
	return rc;
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Nearest and second-nearest centroid of every row, by blocked sgemm. */
static int
assign(const float *x, size_t n, int dim, const float *cent, int k, int *as, int *sec)
{
	float *c = malloc((size_t)BLOCK_B * (size_t)k * sizeof(float));

	if (c == NULL)
		return -ENOMEM;
	for (size_t i0 = 0; i0 < n; i0 += BLOCK_B) {
		size_t m = n - i0 < BLOCK_B ? n - i0 : BLOCK_B;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, k, dim,
			    1.0f, x + i0 * (size_t)dim, dim, cent, dim, 0.0f, c, k);
		for (size_t i = 0; i < m; i++) {
			const float *r = c + i * (size_t)k;
			int b1 = 0, b2 = -1;

			for (int j = 1; j < k; j++) {
				if (r[j] > r[b1]) {
					b2 = b1;
					b1 = j;
				} else if (b2 < 0 || r[j] > r[b2]) {
					b2 = j;
				}
			}
			as[i0 + i] = b1;
			if (sec)
				sec[i0 + i] = b2 < 0 ? b1 : b2;
		}
	}
	free(c);
	return 0;
}

int
dedup_kmeans(const float *x, size_t n, int dim, int k, int iters, uint64_t seed,
	     float *ret_centroids, int *ret_assign, int *ret_second)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	size_t *count = NULL;
	int rc;

	if (k < 1 || n == 0 || (size_t)k > n)
		return -EINVAL;
	count = calloc((size_t)k, sizeof(*count));
	if (count == NULL)
		return -ENOMEM;
	/* seeds: k distinct rows by a partial Fisher-Yates over row indices */
	for (int j = 0; j < k; j++) {
		size_t r = (size_t)(xorshift(&s) % n);

		memcpy(ret_centroids + (size_t)j * dim, x + r * (size_t)dim,
		       (size_t)dim * sizeof(float));
	}
	for (int it = 0; it < iters; it++) {
		rc = assign(x, n, dim, ret_centroids, k, ret_assign, NULL);
		if (rc < 0)
			goto out;
		memset(ret_centroids, 0, (size_t)k * dim * sizeof(float));
		memset(count, 0, (size_t)k * sizeof(*count));
		for (size_t i = 0; i < n; i++) {
			float *c = ret_centroids + (size_t)ret_assign[i] * dim;

			cblas_saxpy(dim, 1.0f, x + i * (size_t)dim, 1, c, 1);
			count[ret_assign[i]]++;
		}
		for (int j = 0; j < k; j++) {
			if (count[j] == 0) {
				/* empty cluster: restart it at a random row */
				size_t r = (size_t)(xorshift(&s) % n);

				memcpy(ret_centroids + (size_t)j * dim,
				       x + r * (size_t)dim, (size_t)dim * sizeof(float));
			}
		}
		dedup_l2_normalise(ret_centroids, (size_t)k, dim);
	}
	rc = assign(x, n, dim, ret_centroids, k, ret_assign, ret_second);
out:
	free(count);
	return rc;
}

struct sub_ctx {
	const size_t *ia;	/* borrowed: global index of sub-matrix rows */
	const size_t *ib;
	const int *as;
	const int *sec;
	int cluster;
	int cross;
	dedup_pair_cb cb;
	void *ctx;
};

static int
sub_cb(void *vctx, size_t i, size_t j, float cos)
{
	struct sub_ctx *s = vctx;
	size_t gi = s->ia[i], gj = s->ib[j];

	if (gi == gj)
		return 0;
	if (s->cross) {
		/* gi is in this cluster, gj has it as second choice; when the pair
		   is also found from gj's cluster, report it from the lower one */
		if (s->as[gj] == s->cluster)
			return 0;
		if (s->sec[gi] == s->as[gj] && s->as[gj] < s->cluster)
			return 0;
	}
	return s->cb(s->ctx, gi < gj ? gi : gj, gi < gj ? gj : gi, cos);
}

static int
gather(const float *x, int dim, const size_t *idx, size_t n, float **ret)
{
	float *g = malloc(n * (size_t)dim * sizeof(float) + 1);

	if (g == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(g + i * (size_t)dim, x + idx[i] * (size_t)dim,
		       (size_t)dim * sizeof(float));
	*ret = g;
	return 0;
}

int
dedup_cos_selfjoin(const float *x, size_t n, int dim, float tau, size_t exact_max,
		   uint64_t seed, dedup_pair_cb cb, void *ctx)
{
	int k, rc = -ENOMEM;
	float *cent = NULL, *ga = NULL, *gb = NULL;
	int *as = NULL, *sec = NULL;
	size_t *start = NULL, *order = NULL, *fill = NULL, *oth = NULL;

	if (n <= exact_max || n < 4000) {
		size_t *id = malloc((n + 1) * sizeof(*id));
		struct sub_ctx s = { .ia = id, .ib = id, .cb = cb, .ctx = ctx };

		if (id == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			id[i] = i;
		rc = dedup_cos_join(x, n, x, n, dim, 1, tau, sub_cb, &s);
		free(id);
		return rc;
	}
	k = (int)(n / 1000);
	if (k < 4)
		k = 4;
	cent = malloc((size_t)k * dim * sizeof(float));
	as = malloc(n * sizeof(int));
	sec = malloc(n * sizeof(int));
	start = calloc((size_t)k + 1, sizeof(size_t));
	fill = malloc(((size_t)k + 1) * sizeof(size_t));
	order = malloc(n * sizeof(size_t));
	oth = malloc(n * sizeof(size_t));
	if (!cent || !as || !sec || !start || !fill || !order || !oth)
		goto out;
	rc = dedup_kmeans(x, n, dim, k, 10, seed, cent, as, sec);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		start[as[i] + 1]++;
	for (int c = 0; c < k; c++)
		start[c + 1] += start[c];
	memcpy(fill, start, ((size_t)k + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		order[fill[as[i]]++] = i;
	for (int c = 0; c < k; c++) {
		size_t m = start[c + 1] - start[c], no = 0;
		struct sub_ctx s = { .ia = order + start[c], .ib = order + start[c],
				     .as = as, .sec = sec, .cluster = c, .cb = cb,
				     .ctx = ctx };

		if (m == 0)
			continue;
		rc = gather(x, dim, order + start[c], m, &ga);
		if (rc < 0)
			goto out;
		rc = dedup_cos_join(ga, m, ga, m, dim, 1, tau, sub_cb, &s);
		if (rc < 0)
			goto out;
		for (size_t i = 0; i < n; i++)
			if (sec[i] == c && as[i] != c)
				oth[no++] = i;
		if (no > 0) {
			rc = gather(x, dim, oth, no, &gb);
			if (rc < 0)
				goto out;
			s.ib = oth;
			s.cross = 1;
			rc = dedup_cos_join(ga, m, gb, no, dim, 0, tau, sub_cb, &s);
			free(gb);
			gb = NULL;
			if (rc < 0)
				goto out;
		}
		free(ga);
		ga = NULL;
	}
	rc = 0;
out:
	free(cent);
	free(as);
	free(sec);
	free(start);
	free(fill);
	free(order);
	free(oth);
	free(ga);
	free(gb);
	return rc;
}

struct scored {
	double s;
	int l;
};

static int
by_score_desc(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	return (x->s < y->s) - (x->s > y->s);
}

int
dedup_calibrate(const double *score, const int *label, size_t n, double target,
		double *ret_threshold, double *ret_precision, double *ret_recall)
{
	struct scored *v;
	size_t pos = 0, tp = 0, fp = 0;
	int found = 0;
	double best_t = 0, best_p = 0, best_r = -1;

	v = malloc((n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i].s = score[i];
		v[i].l = label[i] != 0;
		pos += v[i].l;
	}
	qsort(v, n, sizeof(*v), by_score_desc);
	for (size_t i = 0; i < n; i++) {
		if (v[i].l)
			tp++;
		else
			fp++;
		/* a threshold sits between distinct scores */
		if (i + 1 < n && v[i + 1].s == v[i].s)
			continue;
		double p = (double)tp / (double)(tp + fp);
		double r = pos ? (double)tp / (double)pos : 0;

		if (p >= target && r > best_r) {
			best_t = v[i].s;
			best_p = p;
			best_r = r;
			found = 1;
		}
	}
	free(v);
	if (found) {
		*ret_threshold = best_t;
		*ret_precision = best_p;
		*ret_recall = best_r;
	}
	return found;
}
