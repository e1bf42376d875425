/*
 * mih.c: CSR multi-index hash over 256-bit codes (see mih.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/mih.h"
#include "lib/banned.h"

#define NKEYS	65536u

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int
dedup_hamming256(const uint8_t *a, const uint8_t *b)
{
	return __builtin_popcountll(load64(a) ^ load64(b)) +
	       __builtin_popcountll(load64(a + 8) ^ load64(b + 8)) +
	       __builtin_popcountll(load64(a + 16) ^ load64(b + 16)) +
	       __builtin_popcountll(load64(a + 24) ^ load64(b + 24));
}

void
dedup_code_not(const uint8_t *in, uint8_t *out)
{
	for (int i = 0; i < DEDUP_CODE_BYTES; i++)
		out[i] = (uint8_t)~in[i];
}

static inline uint32_t
chunk(const uint8_t *code, int t)
{
	return (uint32_t)code[2 * t] << 8 | code[2 * t + 1];
}

int
dedup_mih_build(struct dedup_mih *m, const uint8_t *codes, uint32_t n,
		uint32_t bucket_cap)
{
	struct dedup_mih x = { 0 };
	uint32_t *fill = NULL;
	int rc = -ENOMEM;

	if (n > DEDUP_MIH_MAX_CODES || (n > 0 && codes == NULL))
		return -EINVAL;
	x.n = n;
	x.codes = codes;
	x.bucket_cap = bucket_cap;
	x.offsets = calloc((size_t)DEDUP_MIH_TABLES * (NKEYS + 1), sizeof(uint32_t));
	x.ids = malloc(((size_t)DEDUP_MIH_TABLES * n + 1) * sizeof(uint32_t));
	x.stamp = calloc((size_t)n + 1, sizeof(uint32_t));
	fill = malloc(NKEYS * sizeof(uint32_t));
	if (x.offsets == NULL || x.ids == NULL || x.stamp == NULL || fill == NULL)
		goto out;
	for (int t = 0; t < DEDUP_MIH_TABLES; t++) {
		uint32_t *off = x.offsets + (size_t)t * (NKEYS + 1);
		uint32_t *ids = x.ids + (size_t)t * n;

		/* counting sort by chunk value: offsets are CSR row starts */
		for (uint32_t i = 0; i < n; i++)
			off[chunk(codes + (size_t)i * DEDUP_CODE_BYTES, t) + 1]++;
		for (uint32_t k = 0; k < NKEYS; k++)
			off[k + 1] += off[k];
		memcpy(fill, off, NKEYS * sizeof(uint32_t));
		for (uint32_t i = 0; i < n; i++)
			ids[fill[chunk(codes + (size_t)i * DEDUP_CODE_BYTES, t)]++] = i;
	}
	*m = x;
	x = (struct dedup_mih){ 0 };
	rc = 0;
out:
	free(fill);
	dedup_mih_release(&x);
	return rc;
}

void
dedup_mih_release(struct dedup_mih *m)
{
	if (m == NULL)
		return;
	free(m->offsets);
	free(m->ids);
	free(m->stamp);
	*m = (struct dedup_mih){ 0 };
}

static int
hits_push(struct dedup_hits *h, uint32_t id, int dist)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct dedup_hit *v = realloc(h->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].id = id;
	h->v[h->n].dist = dist;
	h->n++;
	return 0;
}

void
dedup_hits_release(struct dedup_hits *h)
{
	if (h == NULL)
		return;
	free(h->v);
	*h = (struct dedup_hits){ 0 };
}

/* Verify every code of one bucket against q. */
static int
probe(struct dedup_mih *m, int t, uint32_t key, const uint8_t *q, int radius,
      struct dedup_hits *hits, int *added)
{
	const uint32_t *off = m->offsets + (size_t)t * (NKEYS + 1);
	const uint32_t *ids = m->ids + (size_t)t * m->n;
	uint32_t b = off[key], e = off[key + 1];

	if (m->bucket_cap && e - b > m->bucket_cap) {
		m->skipped++;
		return 0;
	}
	for (uint32_t k = b; k < e; k++) {
		uint32_t id = ids[k];
		int d;

		if (m->stamp[id] == m->gen)
			continue;
		m->stamp[id] = m->gen;
		m->candidates++;
		d = dedup_hamming256(q, m->codes + (size_t)id * DEDUP_CODE_BYTES);
		if (d <= radius) {
			if (hits_push(hits, id, d) < 0)
				return -ENOMEM;
			(*added)++;
		}
	}
	return 0;
}

int
dedup_mih_query(struct dedup_mih *m, const uint8_t *q, int radius,
		struct dedup_hits *hits)
{
	int s, added = 0, rc;

	if (radius < 0 || radius > DEDUP_MIH_MAX_RADIUS)
		return -EINVAL;
	if (m->n == 0)
		return 0;
	s = radius / DEDUP_MIH_TABLES;
	if (++m->gen == 0) {
		/* stamps wrapped around: forget them all */
		memset(m->stamp, 0, (size_t)m->n * sizeof(uint32_t));
		m->gen = 1;
	}
	for (int t = 0; t < DEDUP_MIH_TABLES; t++) {
		uint32_t key = chunk(q, t);

		rc = probe(m, t, key, q, radius, hits, &added);
		if (rc < 0)
			return rc;
		for (int i = 0; s >= 1 && i < 16; i++) {
			rc = probe(m, t, key ^ (1u << i), q, radius, hits, &added);
			if (rc < 0)
				return rc;
			for (int j = i + 1; s >= 2 && j < 16; j++) {
				rc = probe(m, t, key ^ (1u << i) ^ (1u << j), q,
					   radius, hits, &added);
				if (rc < 0)
					return rc;
			}
		}
	}
	return added;
}

/* Report (a, b) unless an earlier table already collided them; ca and cb_ are
   their codes in the table's bucket-ordered copy. */
static inline int
join_pair(struct dedup_mih *m, int t, int s, const uint8_t *ca, const uint8_t *cb_,
	  uint32_t a, uint32_t b, int radius, dedup_mih_pair_fn cb, void *ctx)
{
	int d;

	m->candidates++;
	d = dedup_hamming256(ca, cb_);
	if (d > radius)
		return 0;
	for (int u = 0; u < t; u++)
		if (__builtin_popcount(chunk(ca, u) ^ chunk(cb_, u)) <= s)
			return 0;
	return a < b ? cb(ctx, a, b, d) : cb(ctx, b, a, d);
}

int
dedup_mih_selfjoin(struct dedup_mih *m, int radius, dedup_mih_pair_fn cb, void *ctx)
{
	uint8_t *sorted;
	int s, rc = 0;

	if (radius < 0 || radius > 2 * DEDUP_MIH_TABLES - 1)
		return -EINVAL;
	if (m->n == 0)
		return 0;
	s = radius / DEDUP_MIH_TABLES;
	/* each table's buckets read their codes from one contiguous copy */
	sorted = malloc((size_t)m->n * DEDUP_CODE_BYTES);
	if (sorted == NULL)
		return -ENOMEM;
	for (int t = 0; t < DEDUP_MIH_TABLES && rc == 0; t++) {
		const uint32_t *off = m->offsets + (size_t)t * (NKEYS + 1);
		const uint32_t *ids = m->ids + (size_t)t * m->n;

		for (uint32_t x = 0; x < m->n; x++)
			memcpy(sorted + (size_t)x * DEDUP_CODE_BYTES,
			       m->codes + (size_t)ids[x] * DEDUP_CODE_BYTES, DEDUP_CODE_BYTES);
		for (uint32_t k = 0; k < NKEYS && rc == 0; k++) {
			uint32_t b0 = off[k], e0 = off[k + 1];

			if (b0 == e0)
				continue;
			if (m->bucket_cap && e0 - b0 > m->bucket_cap) {
				m->skipped++;
				continue;
			}
			for (uint32_t x = b0; x < e0 && rc == 0; x++)
				for (uint32_t y = x + 1; y < e0 && rc == 0; y++)
					rc = join_pair(m, t, s,
						       sorted + (size_t)x * DEDUP_CODE_BYTES,
						       sorted + (size_t)y * DEDUP_CODE_BYTES,
						       ids[x], ids[y], radius, cb, ctx);
			for (int bit = 0; s >= 1 && bit < 16 && rc == 0; bit++) {
				uint32_t k2 = k ^ (1u << bit), b1, e1;

				if (k2 < k)
					continue;	/* that pair of buckets was done */
				b1 = off[k2];
				e1 = off[k2 + 1];
				if (m->bucket_cap && e1 - b1 > m->bucket_cap)
					continue;
				for (uint32_t x = b0; x < e0 && rc == 0; x++)
					for (uint32_t y = b1; y < e1 && rc == 0; y++)
						rc = join_pair(m, t, s,
							sorted + (size_t)x * DEDUP_CODE_BYTES,
							sorted + (size_t)y * DEDUP_CODE_BYTES,
							ids[x], ids[y], radius, cb, ctx);
			}
		}
	}
	free(sorted);
	return rc < 0 ? rc : 0;
}

int
dedup_linear_query(const uint8_t *codes, uint32_t n, const uint8_t *q, int radius,
		   struct dedup_hits *hits)
{
	int added = 0;

	for (uint32_t i = 0; i < n; i++) {
		int d = dedup_hamming256(q, codes + (size_t)i * DEDUP_CODE_BYTES);

		if (d <= radius) {
			if (hits_push(hits, i, d) < 0)
				return -ENOMEM;
			added++;
		}
	}
	return added;
}
