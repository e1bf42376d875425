/*
 * dedup-set.c: items, candidate edges, the match rule and representatives.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup-region.h"
#include "dedup/dedup-set.h"
#include "dedup/embed.h"
#include "dedup/imghash.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define REGION_FLOATS	DEDUP_REGION_FLOATS
#define WINDOW_FLOATS	((size_t)DEDUP_REGION_WINDOWS * DEDUP_REGION_DIM)

static const char *const method_names[DEDUP_M_COUNT] = {
	[DEDUP_M_SHA256] = "sha256",
	[DEDUP_M_PIXEL] = "pixel",
	[DEDUP_M_PDQ] = "pdq",
	[DEDUP_M_PDQ_DIHEDRAL] = "pdq-dihedral",
	[DEDUP_M_PDQ_INVERTED] = "pdq-inverted",
	[DEDUP_M_PHASH_CONFIRMED] = "phash-confirmed",
	[DEDUP_M_REGION_CONFIRMED] = "region-confirmed",
	[DEDUP_M_REGION] = "region",
	[DEDUP_M_EMBEDDING] = "embedding",
	[DEDUP_M_PANEL] = "panel",
	[DEDUP_M_LINKED] = "linked",
};

const char *
dedup_method_name(int method)
{
	if (method < 0 || method >= DEDUP_M_COUNT)
		return "unknown";
	return method_names[method];
}

void
dedup_params_default(struct dedup_params *p)
{
	*p = (struct dedup_params){
		.pdq_dup = 15,
		.pdq_cand = 31,
		.min_quality = 50,
		.phash_confirm = 2,
		.dhash_confirm = 4,
		.region_confirm = 0.98f,
		.region_dup = 0.98f,
		.region_cand = 0.85f,
		.region_fine_dup = 0.965f,
		.emb_dup = 0.95f,
		.bucket_cap = 20000,
	};
}

void
dedup_set_init(struct dedup_set *s, const struct dedup_params *p)
{
	*s = (struct dedup_set){ 0 };
	if (p)
		s->p = *p;
	else
		dedup_params_default(&s->p);
}

void
dedup_set_release(struct dedup_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->it[i].path);
	free(s->it);
	free(s->pdq);
	free(s->dih);
	free(s->cpdq);
	free(s->region);
	free(s->emb);
	free(s->edges);
	*s = (struct dedup_set){ 0 };
}

int64_t
dedup_set_add(struct dedup_set *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct dedup_item *it;
		uint8_t *pdq, *dih;

		if (cap > DEDUP_MIH_MAX_CODES)
			return -WN_ETOOBIG;
		it = realloc(s->it, cap * sizeof(*it));
		if (it == NULL)
			return -ENOMEM;
		s->it = it;
		pdq = realloc(s->pdq, cap * 32);
		if (pdq == NULL)
			return -ENOMEM;
		s->pdq = pdq;
		dih = realloc(s->dih, cap * 256);
		if (dih == NULL)
			return -ENOMEM;
		s->dih = dih;
		dih = realloc(s->cpdq, cap * 256);
		if (dih == NULL)
			return -ENOMEM;
		s->cpdq = dih;
		s->cap = cap;
	}
	memset(&s->it[s->n], 0, sizeof(s->it[0]));
	memset(s->pdq + s->n * 32, 0, 32);
	memset(s->dih + s->n * 256, 0, 256);
	memset(s->cpdq + s->n * 256, 0, 256);
	return (int64_t)s->n++;
}


/* An optional hex field: absent is fine, present must be well formed. */
static int
opt_hex(const json_t *obj, const char *key, uint8_t *out, size_t n, int *ret_has)
{
	const json_t *v = json_object_get(obj, key);

	*ret_has = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || wn_unhex(json_string_value(v), out, n) < 0)
		return -WN_EFORMAT;
	*ret_has = 1;
	return 0;
}

static int hashes_from_json(struct dedup_set *s, size_t k, const json_t *obj,
			    const char **ret_why);
static int panels_from_json(struct dedup_set *s, size_t k, const json_t *arr);

int
dedup_set_from_json(struct dedup_set *s, size_t k, const json_t *obj,
		    const char **ret_why)
{
	struct dedup_item *it = &s->it[k];
	const json_t *v;
	int rc;

	*ret_why = "path";
	v = json_object_get(obj, "path");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 4096)
		return -WN_EFORMAT;
	it->path = strdup(json_string_value(v));
	if (it->path == NULL)
		return -ENOMEM;
	if (json_object_get(obj, "error") != NULL &&
	    json_object_get(obj, "pdq") == NULL && json_object_get(obj, "sha256") == NULL)
		return 0;
	rc = hashes_from_json(s, k, obj, ret_why);
	if (rc < 0)
		return rc;
	v = json_object_get(obj, "width");
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 1000000)
		it->width = (int)json_integer_value(v);
	v = json_object_get(obj, "height");
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 1000000)
		it->height = (int)json_integer_value(v);
	*ret_why = NULL;
	v = json_object_get(obj, "panels");
	if (json_is_array(v) && (rc = panels_from_json(s, k, v)) < 0)
		return rc;
	return 1;
}

/* The hash fields of a file's object, or of one of its panels. */
static int
hashes_from_json(struct dedup_set *s, size_t k, const json_t *obj, const char **ret_why)
{
	struct dedup_item *it = &s->it[k];
	const json_t *v;
	int has;

	*ret_why = "sha256";
	if (opt_hex(obj, "sha256", it->sha, 32, &has) < 0)
		return -WN_EFORMAT;
	it->flags |= has ? DEDUP_HAS_SHA : 0;
	*ret_why = "pixel_sha256";
	if (opt_hex(obj, "pixel_sha256", it->pix, 32, &has) < 0)
		return -WN_EFORMAT;
	it->flags |= has ? DEDUP_HAS_PIX : 0;
	*ret_why = "pdq";
	if (opt_hex(obj, "pdq", s->pdq + k * 32, 32, &has) < 0)
		return -WN_EFORMAT;
	if (has) {
		it->flags |= DEDUP_HAS_PDQ;
		v = json_object_get(obj, "pdq_quality");
		*ret_why = "pdq_quality";
		if (!json_is_number(v))
			return -WN_EFORMAT;
		it->quality = (int)json_number_value(v);
	}
	v = json_object_get(obj, "pdq_dihedral");
	if (v != NULL && !json_is_null(v)) {
		*ret_why = "pdq_dihedral";
		if (!json_is_array(v) || json_array_size(v) != 8)
			return -WN_EFORMAT;
		for (size_t d = 0; d < 8; d++) {
			const json_t *h = json_array_get(v, d);

			if (!json_is_string(h) ||
			    wn_unhex(json_string_value(h), s->dih + k * 256 + d * 32,
					    32) < 0)
				return -WN_EFORMAT;
		}
		it->flags |= DEDUP_HAS_DIH;
	}
	*ret_why = "phash";
	v = json_object_get(obj, "phash");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || imghash_from_hex(json_string_value(v), &it->phash) < 0)
			return -WN_EFORMAT;
		it->flags |= DEDUP_HAS_PHASH;
	}
	*ret_why = "dhash";
	v = json_object_get(obj, "dhash");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || imghash_from_hex(json_string_value(v), &it->dhash) < 0)
			return -WN_EFORMAT;
		it->flags |= DEDUP_HAS_DHASH;
	}
	return 0;
}

/*
 * The "panels" of a figure's object: one item each, with the figure's path and
 * the box, pointing to the figure's item k.  A malformed panel is skipped (the
 * figure itself stays usable); at most DEDUP_MAX_PANELS a figure.
 */
static int
panels_from_json(struct dedup_set *s, size_t k, const json_t *arr)
{
	size_t n = json_array_size(arr);

	if (n > DEDUP_MAX_PANELS)
		n = DEDUP_MAX_PANELS;
	for (size_t i = 0; i < n; i++) {
		const json_t *p = json_array_get(arr, i);
		const json_t *x = json_object_get(p, "x"), *y = json_object_get(p, "y");
		const json_t *w = json_object_get(p, "w"), *h = json_object_get(p, "h");
		const char *why = NULL;
		struct dedup_item *it;
		int64_t j;

		if (!json_is_object(p) || !json_is_integer(x) || !json_is_integer(y) ||
		    !json_is_integer(w) || !json_is_integer(h) ||
		    json_integer_value(x) < 0 || json_integer_value(y) < 0 ||
		    json_integer_value(w) < 1 || json_integer_value(h) < 1 ||
		    json_integer_value(x) + json_integer_value(w) > 1000000 ||
		    json_integer_value(y) + json_integer_value(h) > 1000000)
			continue;
		j = dedup_set_add(s);
		if (j < 0)
			return (int)j;
		it = &s->it[j];
		it->parent1 = (uint32_t)k + 1;
		it->bx = (int)json_integer_value(x);
		it->by = (int)json_integer_value(y);
		it->bw = it->width = (int)json_integer_value(w);
		it->bh = it->height = (int)json_integer_value(h);
		it->path = strdup(s->it[k].path);
		if (it->path == NULL)
			return -ENOMEM;
		if (hashes_from_json(s, (size_t)j, p, &why) < 0 ||
		    !(it->flags & DEDUP_HAS_PDQ)) {
			free(it->path);
			s->n--;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- regions */

struct region_work {
	struct dedup_set *s;
	const uint8_t *need;
	atomic_size_t next;
	atomic_size_t failed;
	int err;
};

static void *
region_worker(void *arg)
{
	struct region_work *w = arg;
	struct dedup_set *s = w->s;

	for (;;) {
		size_t k = atomic_fetch_add(&w->next, 1);
		struct dedup_region_info info;
		struct dedup_item *it;
		int rc;

		if (k >= s->n)
			break;
		it = &s->it[k];
		if (it->path == NULL || it->flags == 0 || (w->need && !w->need[k]))
			continue;
		rc = dedup_region_compute_box(it->path, it->bx, it->by, it->bw, it->bh,
					      s->region + k * REGION_FLOATS, &info);
		if (rc == -ENOMEM) {
			w->err = rc;
			break;
		}
		if (rc < 0) {
			wn_debug("'%s': no region descriptor: %s", it->path, wn_strerror(rc));
			memset(s->region + k * REGION_FLOATS, 0, REGION_FLOATS * sizeof(float));
			atomic_fetch_add(&w->failed, 1);
			continue;
		}
		if (it->width == 0) {
			it->width = info.width;
			it->height = info.height;
		}
		it->content_w = info.content_w;
		it->content_h = info.content_h;
		if (!info.flat)
			it->flags |= DEDUP_HAS_REGION;
		dedup_set_content_pdq(s, k, &info);
	}
	return NULL;
}

int
dedup_set_regions(struct dedup_set *s, int threads, const uint8_t *need,
		  size_t *ret_failed)
{
	struct region_work w = { .s = s, .need = need };
	pthread_t tid[64];
	int started = 0;

	if (s->region == NULL) {
		s->region = calloc(s->n * REGION_FLOATS + 1, sizeof(float));
		if (s->region == NULL)
			return -ENOMEM;
	}
	atomic_init(&w.next, 0);
	atomic_init(&w.failed, 0);
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	for (int t = 1; t < threads; t++) {
		if (pthread_create(&tid[started], NULL, region_worker, &w) != 0)
			break;
		started++;
	}
	region_worker(&w);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	*ret_failed = atomic_load(&w.failed);
	return w.err;
}

void
dedup_set_content_pdq(struct dedup_set *s, size_t k, const struct dedup_region_info *info)
{
	s->it[k].cquality = info->cquality;
	memcpy(s->cpdq + k * 256, info->cpdq, 256);
	if (info->cquality > 0)
		s->it[k].flags |= DEDUP_HAS_CPDQ;
}

/* ---------------------------------------------------------------- candidates */

int
dedup_set_add_edge(struct dedup_set *s, uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	if (s->nedges == s->edges_cap) {
		size_t cap = s->edges_cap ? 2 * s->edges_cap : 1024;
		uint32_t *e = realloc(s->edges, cap * 2 * sizeof(uint32_t));

		if (e == NULL)
			return -ENOMEM;
		s->edges = e;
		s->edges_cap = cap;
	}
	s->edges[2 * s->nedges] = a;
	s->edges[2 * s->nedges + 1] = b;
	s->nedges++;
	s->it[a].degree++;
	s->it[b].degree++;
	return 0;
}

struct keyed {
	const uint8_t *key;
	uint32_t id;
};

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = memcmp(x->key, y->key, 32);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Edges between items with equal 32-byte keys (file or pixel SHA-256). */
static int
exact_edges(struct dedup_set *s, unsigned flag, const uint8_t *query)
{
	struct keyed *v = malloc((s->n + 1) * sizeof(*v));
	size_t m = 0;
	int rc = 0;

	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (!(s->it[i].flags & flag))
			continue;
		v[m].key = flag == DEDUP_HAS_SHA ? s->it[i].sha : s->it[i].pix;
		v[m].id = (uint32_t)i;
		m++;
	}
	qsort(v, m, sizeof(*v), cmp_keyed);
	for (size_t i = 1; i < m && rc == 0; i++) {
		if (memcmp(v[i - 1].key, v[i].key, 32) != 0)
			continue;
		if (query && !query[v[i - 1].id] && !query[v[i].id]) {
			/* both old: joined on an earlier run, but they must still be
			   linked for this run's groups */
		}
		rc = dedup_set_add_edge(s, v[i - 1].id, v[i].id);
	}
	free(v);
	return rc;
}

static int
pdq_usable(const struct dedup_set *s, size_t i)
{
	return (s->it[i].flags & DEDUP_HAS_PDQ) && s->it[i].quality >= s->p.min_quality;
}

static int
cpdq_usable(const struct dedup_set *s, size_t i)
{
	return (s->it[i].flags & DEDUP_HAS_CPDQ) && s->it[i].cquality >= s->p.min_quality;
}

struct join_ctx {
	struct dedup_set *s;
	const uint32_t *map;
	const uint8_t *query;
};

static int
join_edge(void *vctx, uint32_t a, uint32_t b, int dist)
{
	struct join_ctx *c = vctx;
	uint32_t x = c->map[a], y = c->map[b];

	(void)dist;
	if (x == y || (c->query && !c->query[x] && !c->query[y]))
		return 0;
	return dedup_set_add_edge(c->s, x, y);
}

/*
 * PDQ candidates: the plain orientation at the candidate radius (31) by a bucket
 * self-join (or, when few items are new, one query each); the 7 other dihedral
 * hashes and the complements of all 8 at the duplicate radius (15), one query
 * each, which probes only the 16 exact buckets.
 */
static int
mih_edges(struct dedup_set *s, const uint8_t *query)
{
	struct dedup_mih m = { 0 };
	struct dedup_hits hits = { 0 };
	uint8_t *codes = NULL, qc[32];
	uint32_t *map = NULL, nc = 0, nq = 0, first_content = 0;
	int rc = -ENOMEM, variant_radius;
	double t0;

	codes = malloc(2 * s->n * 32 + 1);
	map = malloc((2 * s->n + 1) * sizeof(*map));
	if (codes == NULL || map == NULL)
		goto out;
	/* the plain codes, then the codes of the contents without borders */
	for (size_t i = 0; i < s->n; i++) {
		if (!pdq_usable(s, i))
			continue;
		memcpy(codes + (size_t)nc * 32, s->pdq + i * 32, 32);
		map[nc++] = (uint32_t)i;
		nq += query == NULL || query[i];
	}
	first_content = nc;
	for (size_t i = 0; i < s->n; i++) {
		if (!cpdq_usable(s, i))
			continue;
		memcpy(codes + (size_t)nc * 32, s->cpdq + i * 256, 32);
		map[nc++] = (uint32_t)i;
		nq += query == NULL || query[i];
	}
	t0 = wn_now();
	rc = dedup_mih_build(&m, codes, nc, s->p.bucket_cap);
	if (rc < 0)
		goto out;
	s->mih_codes = nc;
	s->t_mih_build = wn_now() - t0;
	t0 = wn_now();
	if (s->p.pdq_cand < 2 * DEDUP_MIH_TABLES && (query == NULL || nq > nc / 16)) {
		struct join_ctx c = { .s = s, .map = map, .query = query };

		rc = dedup_mih_selfjoin(&m, s->p.pdq_cand, join_edge, &c);
		if (rc < 0)
			goto out;
	} else {
		for (uint32_t c = 0; c < nc; c++) {
			if (query && !query[map[c]])
				continue;
			hits.n = 0;
			rc = dedup_mih_query(&m, codes + (size_t)c * 32, s->p.pdq_cand, &hits);
			if (rc < 0)
				goto out;
			for (size_t h = 0; h < hits.n; h++) {
				rc = dedup_set_add_edge(s, map[c], map[hits.v[h].id]);
				if (rc < 0)
					goto out;
			}
		}
	}
	variant_radius = s->p.pdq_dup < DEDUP_MIH_TABLES ? s->p.pdq_dup : s->p.pdq_cand;
	for (uint32_t c = 0; c < nc; c++) {
		uint32_t i = map[c];
		/* codes past the plain ones are contents: their variants are in cpdq */
		int content = c >= first_content, nv;

		if (query && !query[i])
			continue;
		nv = content ? 8 : (s->it[i].flags & DEDUP_HAS_DIH) ? 8 : 1;
		for (int v = 0; v < nv; v++) {
			const uint8_t *q = content ? s->cpdq + (size_t)i * 256 + v * 32 :
					   v == 0 ? s->pdq + (size_t)i * 32
						  : s->dih + (size_t)i * 256 + v * 32;

			for (int inv = v == 0; inv < 2; inv++) {
				hits.n = 0;
				if (inv) {
					dedup_code_not(q, qc);
					q = qc;
				}
				rc = dedup_mih_query(&m, q, variant_radius, &hits);
				if (rc < 0)
					goto out;
				for (size_t h = 0; h < hits.n; h++) {
					rc = dedup_set_add_edge(s, i, map[hits.v[h].id]);
					if (rc < 0)
						goto out;
				}
			}
		}
	}
	s->mih_candidates += m.candidates;
	s->mih_skipped += m.skipped;
	s->t_mih_query = wn_now() - t0;
	rc = 0;
out:
	dedup_hits_release(&hits);
	dedup_mih_release(&m);
	free(codes);
	free(map);
	return rc;
}

struct region_ctx {
	struct dedup_set *s;
	const uint32_t *arow;	/* item of each row of A */
	const uint32_t *brow;	/* item of each row of B (windows) */
	const uint8_t *query;
};

static int
region_pair(void *vctx, size_t i, size_t j, float cos)
{
	struct region_ctx *c = vctx;
	uint32_t a = c->arow[i], b = c->brow[j];

	(void)cos;
	if (a == b)
		return 0;
	if (c->query && !c->query[a] && !c->query[b])
		return 0;
	return dedup_set_add_edge(c->s, a, b);
}

/*
 * Region candidates: whole contents against every window, rotated and flipped
 * wholes against wholes, and each 80 % corner against the same corner.  In the
 * incremental form only the rows of new items are multiplied (new wholes against
 * all windows, all wholes against new windows, and so on).
 */
struct join_job {
	const float *a;
	size_t na;
	const uint32_t *ar;
	const float *b;
	size_t nb;
	const uint32_t *br;
};

static int
region_edges(struct dedup_set *s, const uint8_t *query)
{
	struct join_job jobs[4];
	int nj = 0;
	float *full = NULL, *win = NULL, *dih = NULL, *cq = NULL, *ca = NULL;
	float *qfull = NULL, *qwin = NULL, *qdih = NULL;
	uint32_t *arow = NULL, *brow = NULL, *drow = NULL;
	uint32_t *qarow = NULL, *qbrow = NULL, *qdrow = NULL;
	size_t na = 0, nb = 0, nd = 0, qa = 0, qb = 0, qd = 0;
	int rc = -ENOMEM;
	struct region_ctx c = { .s = s, .query = query };
	const size_t dim = DEDUP_REGION_DIM;
	float tau = s->p.region_cand < s->p.region_dup ? s->p.region_cand : s->p.region_dup;

	full = malloc((s->n + 1) * dim * sizeof(float));
	arow = malloc((s->n + 1) * sizeof(*arow));
	win = malloc((s->n * DEDUP_REGION_WINDOWS + 1) * dim * sizeof(float));
	brow = malloc((s->n * DEDUP_REGION_WINDOWS + 1) * sizeof(*brow));
	dih = malloc((s->n * 7 + 1) * dim * sizeof(float));
	drow = malloc((s->n * 7 + 1) * sizeof(*drow));
	ca = malloc((s->n + 1) * dim * sizeof(float));
	cq = malloc((s->n + 1) * dim * sizeof(float));
	if (!full || !arow || !win || !brow || !dih || !drow || !ca || !cq)
		goto out;
	if (query) {
		qfull = malloc((s->n + 1) * dim * sizeof(float));
		qarow = malloc((s->n + 1) * sizeof(*qarow));
		qwin = malloc((s->n * DEDUP_REGION_WINDOWS + 1) * dim * sizeof(float));
		qbrow = malloc((s->n * DEDUP_REGION_WINDOWS + 1) * sizeof(*qbrow));
		qdih = malloc((s->n * 7 + 1) * dim * sizeof(float));
		qdrow = malloc((s->n * 7 + 1) * sizeof(*qdrow));
		if (!qfull || !qarow || !qwin || !qbrow || !qdih || !qdrow)
			goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		const float *r = s->region + i * REGION_FLOATS;
		int q = query && query[i];

		if (!(s->it[i].flags & DEDUP_HAS_REGION))
			continue;
		memcpy(full + na * dim, r, dim * sizeof(float));
		arow[na++] = (uint32_t)i;
		memcpy(win + nb * dim, r, WINDOW_FLOATS * sizeof(float));
		for (int w = 0; w < DEDUP_REGION_WINDOWS; w++)
			brow[nb++] = (uint32_t)i;
		for (int v = 1; v < 8; v++) {
			dedup_region_dihedral(r, v, dih + nd * dim);
			drow[nd++] = (uint32_t)i;
		}
		if (!q)
			continue;
		memcpy(qfull + qa * dim, r, dim * sizeof(float));
		qarow[qa++] = (uint32_t)i;
		memcpy(qwin + qb * dim, r, WINDOW_FLOATS * sizeof(float));
		for (int w = 0; w < DEDUP_REGION_WINDOWS; w++)
			qbrow[qb++] = (uint32_t)i;
		for (int v = 1; v < 8; v++) {
			dedup_region_dihedral(r, v, qdih + qd * dim);
			qdrow[qd++] = (uint32_t)i;
		}
	}
	/* (A rows, B rows) pairs to multiply: all x all, or new x all and all x new */

	if (query == NULL) {
		jobs[nj++] = (struct join_job){ full, na, arow, win, nb, brow };
		jobs[nj++] = (struct join_job){ dih, nd, drow, full, na, arow };
	} else {
		jobs[nj++] = (struct join_job){ qfull, qa, qarow, win, nb, brow };
		jobs[nj++] = (struct join_job){ full, na, arow, qwin, qb, qbrow };
		jobs[nj++] = (struct join_job){ qdih, qd, qdrow, full, na, arow };
		jobs[nj++] = (struct join_job){ dih, nd, drow, qfull, qa, qarow };
	}
	for (int j = 0; j < nj; j++) {
		c.arow = jobs[j].ar;
		c.brow = jobs[j].br;
		rc = dedup_cos_join(jobs[j].a, jobs[j].na, jobs[j].b, jobs[j].nb, (int)dim, 0,
				    tau, region_pair, &c);
		if (rc < 0)
			goto out;
	}
	/* each 80 % corner against the same corner (of new items, when incremental) */
	for (int k = 0; k < 4; k++) {
		size_t off = (size_t)DEDUP_REGION_CORNER(k) * dim;

		for (size_t i = 0; i < na; i++)
			memcpy(ca + i * dim, s->region + arow[i] * REGION_FLOATS + off,
			       dim * sizeof(float));
		if (query == NULL) {
			c.arow = arow;
			c.brow = arow;
			rc = dedup_cos_join(ca, na, ca, na, (int)dim, 1, tau, region_pair, &c);
		} else {
			for (size_t i = 0; i < qa; i++)
				memcpy(cq + i * dim, s->region + qarow[i] * REGION_FLOATS + off,
				       dim * sizeof(float));
			c.arow = qarow;
			c.brow = arow;
			rc = dedup_cos_join(cq, qa, ca, na, (int)dim, 0, tau, region_pair, &c);
		}
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	free(full);
	free(win);
	free(arow);
	free(brow);
	free(dih);
	free(drow);
	free(ca);
	free(cq);
	free(qfull);
	free(qarow);
	free(qwin);
	free(qbrow);
	free(qdih);
	free(qdrow);
	return rc;
}

struct emb_ctx {
	struct dedup_set *s;
	const uint32_t *row;
	const uint8_t *query;
};

static int
emb_pair(void *vctx, size_t i, size_t j, float cos)
{
	struct emb_ctx *c = vctx;
	uint32_t a = c->row[i], b = c->row[j];

	(void)cos;
	if (c->query && !c->query[a] && !c->query[b])
		return 0;
	return dedup_set_add_edge(c->s, a, b);
}

static int
emb_edges(struct dedup_set *s, const uint8_t *query)
{
	float *x = NULL;
	uint32_t *row = NULL;
	size_t n = 0;
	int rc = -ENOMEM;
	struct emb_ctx c = { .s = s, .query = query };

	x = malloc((s->n + 1) * (size_t)s->emb_dim * sizeof(float));
	row = malloc((s->n + 1) * sizeof(*row));
	if (!x || !row)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (!(s->it[i].flags & DEDUP_HAS_EMB))
			continue;
		memcpy(x + n * s->emb_dim, s->emb + i * s->emb_dim,
		       (size_t)s->emb_dim * sizeof(float));
		row[n++] = (uint32_t)i;
	}
	c.row = row;
	rc = dedup_cos_selfjoin(x, n, s->emb_dim, s->p.emb_dup, 20000, 1, emb_pair, &c);
out:
	free(x);
	free(row);
	return rc;
}

int
dedup_set_candidates(struct dedup_set *s, const uint8_t *query)
{
	int rc;

	rc = exact_edges(s, DEDUP_HAS_SHA, query);
	if (rc == 0)
		rc = exact_edges(s, DEDUP_HAS_PIX, query);
	if (rc == 0)
		rc = mih_edges(s, query);
	if (rc == 0 && s->region) {
		double t0 = wn_now();

		rc = region_edges(s, query);
		s->t_region = wn_now() - t0;
	}
	if (rc == 0 && s->emb && s->emb_dim > 0) {
		double t0 = wn_now();

		rc = emb_edges(s, query);
		s->t_emb = wn_now() - t0;
	}
	return rc;
}

/* ---------------------------------------------------------------- match */

static int
ham64(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

/* Keep the smaller of the distance between a and b and to b's complement. */
static void
pdq_consider(const uint8_t *a, const uint8_t *b, int dihedral, int *best, int *method)
{
	int d = dedup_hamming256(a, b);

	if (d < *best) {
		*best = d;
		*method = dihedral ? DEDUP_M_PDQ_DIHEDRAL : DEDUP_M_PDQ;
	}
	if (256 - d < *best) {
		*best = 256 - d;
		*method = dihedral ? DEDUP_M_PDQ_DIHEDRAL : DEDUP_M_PDQ_INVERTED;
	}
}

void
dedup_set_features(struct dedup_set *s, uint32_t a, uint32_t b, struct dedup_features *f)
{
	const struct dedup_item *x = &s->it[a], *y = &s->it[b];

	*f = (struct dedup_features){ .pdq = -1, .phash = -1, .dhash = -1, .region = -2,
				      .emb = -2 };
	f->same_sha = (x->flags & y->flags & DEDUP_HAS_SHA) && memcmp(x->sha, y->sha, 32) == 0;
	f->same_pix = (x->flags & y->flags & DEDUP_HAS_PIX) && memcmp(x->pix, y->pix, 32) == 0;
	{
		int best = 257, method = DEDUP_M_PDQ, plain;

		if (pdq_usable(s, a) && pdq_usable(s, b)) {
			const uint8_t *pa = s->pdq + (size_t)a * 32, *pb = s->pdq + (size_t)b * 32;

			pdq_consider(pa, pb, 0, &best, &method);
			for (int v = 1; v < 8; v++) {
				if (x->flags & DEDUP_HAS_DIH)
					pdq_consider(s->dih + (size_t)a * 256 + v * 32, pb, 1,
						     &best, &method);
				if (y->flags & DEDUP_HAS_DIH)
					pdq_consider(s->dih + (size_t)b * 256 + v * 32, pa, 1,
						     &best, &method);
			}
		}
		plain = best;
		/* the contents without borders, against each other and the plain codes */
		for (int dir = 0; dir < 2; dir++) {
			uint32_t u = dir ? b : a, w = dir ? a : b;

			if (!cpdq_usable(s, u))
				continue;
			for (int v = 0; v < 8; v++) {
				const uint8_t *cu = s->cpdq + (size_t)u * 256 + v * 32;

				if (pdq_usable(s, w))
					pdq_consider(cu, s->pdq + (size_t)w * 32, v > 0, &best,
						     &method);
				if (cpdq_usable(s, w) && (dir == 0 || v > 0))
					pdq_consider(cu, s->cpdq + (size_t)w * 256, v > 0, &best,
						     &method);
			}
		}
		if (best <= 256) {
			f->pdq = best;
			f->pdq_method = method;
			f->pdq_content = best < plain;
		}
	}
	if ((x->flags & y->flags & DEDUP_HAS_PHASH) && (x->flags & y->flags & DEDUP_HAS_DHASH)) {
		f->phash = ham64(x->phash, y->phash);
		f->dhash = ham64(x->dhash, y->dhash);
		if (f->pdq >= 0 && f->pdq_method == DEDUP_M_PDQ_INVERTED) {
			f->phash = 64 - f->phash;
			f->dhash = 64 - f->dhash;
		}
	}
	f->region_fine = -2;
	if (s->region && (x->flags & y->flags & DEDUP_HAS_REGION))
		f->region = dedup_region_compare(s->region + (size_t)a * REGION_FLOATS,
						 s->region + (size_t)b * REGION_FLOATS,
						 s->p.region_cand, &f->region_fine);
	if (s->emb && (x->flags & y->flags & DEDUP_HAS_EMB)) {
		const float *ea = s->emb + (size_t)a * s->emb_dim;
		const float *eb = s->emb + (size_t)b * s->emb_dim;
		double dot = 0;

		for (int k = 0; k < s->emb_dim; k++)
			dot += (double)ea[k] * eb[k];
		f->emb = (float)dot;
	}
}

int
dedup_set_match(void *ctx, uint32_t a, uint32_t b, int *ret_method, double *ret_dist)
{
	struct dedup_set *s = ctx;
	const struct dedup_item *x = &s->it[a], *y = &s->it[b];
	const struct dedup_params *p = &s->p;
	struct dedup_features f;

	/* a panel and its own image, or two panels of one image, are not copies,
	   nor ever in one group */
	if ((x->image_id != 0 && x->image_id == y->image_id) ||
	    dedup_item_owner(s, a) == dedup_item_owner(s, b))
		return DEDUP_MATCH_NEVER;
	dedup_set_features(s, a, b, &f);
	if (f.same_sha || f.same_pix) {
		*ret_method = f.same_sha ? DEDUP_M_SHA256 : DEDUP_M_PIXEL;
		*ret_dist = 0;
		return 1;
	}
	if (f.pdq >= 0 && f.pdq <= p->pdq_dup) {
		*ret_method = f.pdq_method;
		*ret_dist = f.pdq;
		return 1;
	}
	/* two panels (of different figures) look alike more often than whole
	   images do, plots above all: only a close PDQ joins them */
	if (x->parent1 && y->parent1)
		return 0;
	if (f.pdq >= 0 && f.pdq <= p->pdq_cand) {
		/* a candidate: another signal must agree, in the same orientation */
		/* pHash and dHash are of the whole image, borders included */
		if (f.pdq_method != DEDUP_M_PDQ_DIHEDRAL && !f.pdq_content && f.phash >= 0 &&
		    f.phash <= p->phash_confirm && f.dhash <= p->dhash_confirm) {
			*ret_method = DEDUP_M_PHASH_CONFIRMED;
			*ret_dist = f.pdq;
			return 1;
		}
		if (f.pdq_method == DEDUP_M_PDQ && f.region >= p->region_confirm) {
			*ret_method = DEDUP_M_REGION_CONFIRMED;
			*ret_dist = f.pdq;
			return 1;
		}
		if (f.emb >= p->emb_dup) {
			*ret_method = DEDUP_M_EMBEDDING;
			*ret_dist = f.pdq;
			return 1;
		}
	}
	if (f.region >= p->region_dup) {
		*ret_method = DEDUP_M_REGION;
		*ret_dist = 1.0 - f.region;
		return 1;
	}
	if (f.region_fine >= p->region_fine_dup) {
		*ret_method = DEDUP_M_REGION;
		*ret_dist = 1.0 - f.region_fine;
		return 1;
	}
	if (f.emb >= p->emb_dup) {
		*ret_method = DEDUP_M_EMBEDDING;
		*ret_dist = 1.0 - f.emb;
		return 1;
	}
	return 0;
}

/* Resolution class: areas within ~3 % compare equal (a trimmed border, a pixel of
   rounding), so that the next criteria decide between such copies. */
static int
area_class(const struct dedup_item *it)
{
	double area;

	if (it->content_w > 0 && it->content_h > 0)
		area = (double)it->content_w * it->content_h;
	else
		area = (double)it->width * it->height;
	if (area < 1)
		return -1;
	return (int)floor(log(area) / log(1.03));
}

int
dedup_set_rank(void *ctx, uint32_t a, uint32_t b)
{
	struct dedup_set *s = ctx;
	const struct dedup_item *x = &s->it[a], *y = &s->it[b];
	int ca = area_class(x), cb = area_class(y);

	if (ca != cb)
		return ca > cb ? -1 : 1;
	if (x->when != y->when) {
		if (x->when == 0 || y->when == 0)
			return x->when == 0 ? 1 : -1;
		return x->when < y->when ? -1 : 1;
	}
	if (x->license_rank != y->license_rank)
		return x->license_rank < y->license_rank ? -1 : 1;
	return 0;
}

/* Sort key of the items of folded groups: component, then the order of
   dedup_set_rank(), then index. */
struct fold_key {
	uint32_t comp;
	int area;		/* larger first */
	int64_t when;		/* earlier first, unknown last */
	int license_rank;
	uint32_t item;
};

static int
cmp_fold(const void *va, const void *vb)
{
	const struct fold_key *a = va, *b = vb;

	if (a->comp != b->comp)
		return a->comp < b->comp ? -1 : 1;
	if (a->area != b->area)
		return a->area > b->area ? -1 : 1;
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	if (a->license_rank != b->license_rank)
		return a->license_rank < b->license_rank ? -1 : 1;
	return (a->item > b->item) - (a->item < b->item);
}

/*
 * Join every group holding a panel with the group of the panel's figure, and
 * drop the panels from the result (see dedup_set_group()).
 */
static int
fold_panels(struct dedup_set *s, struct dedup_groups *gs)
{
	struct dedup_uf uf = { 0 };
	struct dedup_groups out = { 0 };
	struct fold_key *key = NULL;
	uint32_t n = (uint32_t)s->n, *order = NULL, *comp = NULL, *mgroup = NULL;
	int *method = NULL;
	double *dist = NULL;
	size_t no = 0;
	int rc;

	rc = dedup_uf_init(&uf, n);
	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	order = malloc(((size_t)n + 1) * sizeof(*order));
	comp = malloc(((size_t)n + 1) * sizeof(*comp));
	mgroup = malloc(((size_t)n + 1) * sizeof(*mgroup));
	method = malloc(((size_t)n + 1) * sizeof(*method));
	dist = malloc(((size_t)n + 1) * sizeof(*dist));
	key = malloc(((size_t)n + 1) * sizeof(*key));
	if (key == NULL || order == NULL || comp == NULL || mgroup == NULL || method == NULL || dist == NULL)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		mgroup[i] = UINT32_MAX;
		method[i] = -1;
		dist[i] = 0;
	}
	/* each item's group, and how it joined (a panel's own match is handed to
	   the items it matched: the representative gets its member's) */
	for (size_t g = 0; g < gs->n; g++) {
		const struct dedup_group *gr = &gs->g[g];
		int rep_panel = s->it[gr->rep].parent1 != 0;

		mgroup[gr->rep] = (uint32_t)g;
		for (size_t m = 0; m < gr->n; m++) {
			uint32_t i = gr->m[m].item;

			mgroup[i] = (uint32_t)g;
			dedup_uf_union(&uf, gr->rep, i);
			method[i] = rep_panel ? DEDUP_M_PANEL : gr->m[m].method;
			dist[i] = gr->m[m].dist;
			if (s->it[i].parent1 && !rep_panel && method[gr->rep] < 0) {
				method[gr->rep] = DEDUP_M_PANEL;
				dist[gr->rep] = gr->m[m].dist;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (s->it[i].parent1 && mgroup[i] != UINT32_MAX)
			dedup_uf_union(&uf, i, s->it[i].parent1 - 1);
	for (uint32_t i = 0; i < n; i++) {
		comp[i] = dedup_uf_find(&uf, i);
		if (s->it[i].parent1 == 0)
			key[no++] = (struct fold_key){
				.comp = comp[i], .area = area_class(&s->it[i]),
				.when = s->it[i].when ? s->it[i].when : INT64_MAX,
				.license_rank = s->it[i].license_rank, .item = i };
	}
	qsort(key, no, sizeof(*key), cmp_fold);
	for (size_t k = 0; k < no; k++)
		order[k] = key[k].item;
	for (size_t a = 0, b; a < no; a = b) {
		struct dedup_group *gr;
		uint32_t rep = order[a];

		for (b = a + 1; b < no && comp[order[b]] == comp[rep]; b++)
			;
		if (b - a < 2)
			continue;
		if (out.n == out.cap) {
			size_t cap = out.cap ? 2 * out.cap : 64;
			struct dedup_group *g = realloc(out.g, cap * sizeof(*g));

			if (g == NULL)
				goto out;
			out.g = g;
			out.cap = cap;
		}
		gr = &out.g[out.n];
		*gr = (struct dedup_group){ .rep = rep };
		gr->m = calloc(b - a - 1, sizeof(*gr->m));
		if (gr->m == NULL)
			goto out;
		out.n++;
		for (size_t k = a + 1; k < b; k++) {
			uint32_t i = order[k];
			struct dedup_member *dm = &gr->m[gr->n++];

			dm->item = i;
			/* a member of the representative's own group keeps its match */
			if (mgroup[i] != UINT32_MAX && mgroup[i] == mgroup[rep] && gs->g[mgroup[i]].rep == rep &&
			    method[i] >= 0) {
				dm->method = method[i];
				dm->dist = dist[i];
			} else {
				dm->method = DEDUP_M_PANEL;
				dm->dist = method[i] == DEDUP_M_PANEL ? dist[i] : 0;
			}
		}
	}
	out.matches = gs->matches;
	out.split = gs->split;
	dedup_groups_release(gs);
	*gs = out;
	out = (struct dedup_groups){ 0 };
	rc = 0;
out:
	dedup_groups_release(&out);
	dedup_uf_release(&uf);
	free(key);
	free(order);
	free(comp);
	free(mgroup);
	free(method);
	free(dist);
	return rc;
}

int
dedup_set_group(struct dedup_set *s, struct dedup_groups *ret)
{
	int rc, panels = 0;

	rc = dedup_group_build((uint32_t)s->n, s->edges, s->nedges, dedup_set_rank,
			       dedup_set_match, s, DEDUP_GROUP_LINK, ret);
	if (rc < 0)
		return rc;
	/* a member that joined through other members says so; its distance
	   stays that of its link */
	for (size_t g = 0; g < ret->n; g++)
		for (size_t m = 0; m < ret->g[g].n; m++)
			if (ret->g[g].m[m].linked)
				ret->g[g].m[m].method = DEDUP_M_LINKED;
	for (size_t i = 0; i < s->n && !panels; i++)
		panels = s->it[i].parent1 != 0;
	if (panels && (rc = fold_panels(s, ret)) < 0) {
		dedup_groups_release(ret);
		return rc;
	}
	return 0;
}
