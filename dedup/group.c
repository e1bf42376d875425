/*
 * group.c: union-find and star groups with an anti-chaining rule (see group.h).
 */
#define _GNU_SOURCE		/* qsort_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/group.h"
#include "lib/banned.h"

int
dedup_uf_init(struct dedup_uf *uf, uint32_t n)
{
	uf->parent = malloc(((size_t)n + 1) * sizeof(uint32_t));
	uf->rank = calloc((size_t)n + 1, 1);
	if (uf->parent == NULL || uf->rank == NULL) {
		dedup_uf_release(uf);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		uf->parent[i] = i;
	uf->n = n;
	return 0;
}

void
dedup_uf_release(struct dedup_uf *uf)
{
	if (uf == NULL)
		return;
	free(uf->parent);
	free(uf->rank);
	*uf = (struct dedup_uf){ 0 };
}

uint32_t
dedup_uf_find(struct dedup_uf *uf, uint32_t x)
{
	uint32_t r = x;

	while (uf->parent[r] != r)
		r = uf->parent[r];
	while (uf->parent[x] != r) {	/* path compression */
		uint32_t next = uf->parent[x];

		uf->parent[x] = r;
		x = next;
	}
	return r;
}

int
dedup_uf_union(struct dedup_uf *uf, uint32_t x, uint32_t y)
{
	x = dedup_uf_find(uf, x);
	y = dedup_uf_find(uf, y);
	if (x == y)
		return 0;
	if (uf->rank[x] < uf->rank[y]) {
		uint32_t t = x;

		x = y;
		y = t;
	}
	uf->parent[y] = x;
	if (uf->rank[x] == uf->rank[y])
		uf->rank[x]++;
	return 1;
}

void
dedup_groups_release(struct dedup_groups *gs)
{
	if (gs == NULL)
		return;
	for (size_t i = 0; i < gs->n; i++)
		free(gs->g[i].m);
	free(gs->g);
	*gs = (struct dedup_groups){ 0 };
}

struct rank_ctx {
	dedup_rank_fn rank;
	void *ctx;
};

static int
cmp_rank(const void *a, const void *b, void *vctx)
{
	const struct rank_ctx *rc = vctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = rc->rank(rc->ctx, x, y);

	if (c == 0)
		c = (x > y) - (x < y);
	return c;
}

static int
groups_push(struct dedup_groups *gs, struct dedup_group *g)
{
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? 2 * gs->cap : 64;
		struct dedup_group *v = realloc(gs->g, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		gs->g = v;
		gs->cap = cap;
	}
	gs->g[gs->n++] = *g;
	return 0;
}

static int
emit(struct dedup_groups *gs, uint32_t rep, const struct dedup_member *buf, size_t nm)
{
	struct dedup_group g = { .rep = rep, .n = nm };
	int rc;

	g.m = malloc(nm * sizeof(*g.m));
	if (g.m == NULL)
		return -ENOMEM;
	memcpy(g.m, buf, nm * sizeof(*g.m));
	rc = groups_push(gs, &g);
	if (rc < 0)
		free(g.m);
	return rc;
}

/*
 * The DEDUP_GROUP_LINK rules (see group.h) on the star groups gid[] (-1:
 * free) of ncent groups, in rank order.  Counts between groups are taken in
 * one pass over the pairs, and again after each join (joins are few).
 */
static int
link_groups(const uint8_t *ok, const uint8_t *never, size_t k, int *gid,
	    size_t ncent)
{
	size_t nc = ncent ? ncent : 1;
	size_t *pairs = malloc(nc * nc * sizeof(*pairs));	/* [g][h] */
	size_t *cover = malloc(nc * nc * sizeof(*cover));	/* of g by h */
	size_t *size = malloc(nc * sizeof(*size));
	uint8_t *hit = malloc(nc);
	uint8_t *apart = malloc(nc * nc);	/* [g][h]: a pair never together */
	int joined = 1, rc = 0;

	if (!pairs || !cover || !size || !hit || !apart) {
		rc = -ENOMEM;
		goto out;
	}
	while (joined) {
		joined = 0;
		memset(pairs, 0, nc * nc * sizeof(*pairs));
		memset(cover, 0, nc * nc * sizeof(*cover));
		memset(size, 0, nc * sizeof(*size));
		memset(apart, 0, nc * nc);
		for (size_t i = 0; i < k; i++) {
			if (gid[i] < 0)
				continue;
			size[gid[i]]++;
			memset(hit, 0, nc);
			for (size_t j = 0; j < k; j++) {
				if (gid[j] < 0 || gid[j] == gid[i])
					continue;
				if (never[i * k + j])
					apart[(size_t)gid[i] * nc + (size_t)gid[j]] = 1;
				if (ok[i * k + j]) {
					pairs[(size_t)gid[i] * nc + (size_t)gid[j]]++;
					hit[gid[j]] = 1;
				}
			}
			for (size_t h = 0; h < ncent; h++)
				cover[(size_t)gid[i] * nc + h] += hit[h];
		}
		for (size_t g = 0; g < ncent && !joined; g++)
			for (size_t h = g + 1; h < ncent && !joined; h++) {
				size_t sg = size[g], sh = size[h];
				size_t np = pairs[g * nc + h];
				size_t cg = cover[g * nc + h], ch = cover[h * nc + g];

				/* half of the smaller group, through two members
				   of each at least: not one that looks like
				   everything */
				if (sg == 0 || sh == 0 || apart[g * nc + h] ||
				    np < DEDUP_LINK_PAIRS ||
				    2 * (sh <= sg ? ch : cg) < (sh <= sg ? sh : sg) ||
				    cg < DEDUP_LINK_ITEMS || ch < DEDUP_LINK_ITEMS ||
				    DEDUP_LINK_SHARE * np < sg * sh)
					continue;
				for (size_t i = 0; i < k; i++)
					if (gid[i] == (int)h)
						gid[i] = (int)g;
				joined = 1;
			}
	}
	/* free items, against the groups as they stand now */
	for (size_t i = 0; i < k; i++) {
		size_t best = 0;
		int to = -1;

		if (gid[i] >= 0)
			continue;
		memset(cover, 0, nc * sizeof(*cover));
		memset(hit, 0, nc);
		for (size_t j = 0; j < k; j++) {
			if (gid[j] < 0)
				continue;
			cover[gid[j]] += ok[i * k + j];
			hit[gid[j]] |= never[i * k + j];
		}
		for (size_t g = 0; g < ncent; g++)
			if (!hit[g] && cover[g] >= DEDUP_LINK_ITEMS &&
			    4 * cover[g] >= size[g] && cover[g] > best) {
				best = cover[g];
				to = (int)g;
			}
		gid[i] = -2 - to;	/* -1: stays free; joins after the pass */
	}
	for (size_t i = 0; i < k; i++)
		if (gid[i] < -1)
			gid[i] = -2 - gid[i];
out:
	free(pairs);
	free(cover);
	free(size);
	free(hit);
	free(apart);
	return rc;
}

/*
 * Small components: every pair is compared once, then stars are taken greedily;
 * among the free items ranked equal to the best free one (same resolution class,
 * date and licence), the one matching most free items is the next centre.
 */
static int
star_full(uint32_t *items, size_t k, dedup_rank_fn rank, dedup_match_fn match, void *ctx,
	  unsigned flags, uint8_t *used, struct dedup_groups *gs)
{
	uint8_t *ok = calloc(k * k, 1);
	uint8_t *never = calloc(k * k, 1);
	int *meth = calloc(k * k, sizeof(int));
	double *dist = calloc(k * k, sizeof(double));
	struct dedup_member *buf = malloc(k * sizeof(*buf));
	int *gid = malloc(k * sizeof(*gid));		/* group, -1 free */
	size_t *cent = malloc(k * sizeof(*cent)), ncent = 0;
	size_t ngroups = 0;
	int rc = 0;

	if (!ok || !never || !meth || !dist || !buf || !gid || !cent) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		gid[i] = -1;
	for (size_t i = 0; i < k; i++)
		for (size_t j = i + 1; j < k; j++) {
			int m;
			double d;

			gs->matches++;
			switch (match(ctx, items[i], items[j], &m, &d)) {
			case 1:
				ok[i * k + j] = ok[j * k + i] = 1;
				meth[i * k + j] = meth[j * k + i] = m;
				dist[i * k + j] = dist[j * k + i] = d;
				break;
			case DEDUP_MATCH_NEVER:
				never[i * k + j] = never[j * k + i] = 1;
				break;
			default:
				break;
			}
		}
	for (;;) {
		size_t first = k, best = k, bestn = 0;

		for (size_t i = 0; i < k && first == k; i++)
			if (!used[items[i]])
				first = i;
		if (first == k)
			break;
		for (size_t i = first; i < k; i++) {
			size_t n = 0;

			if (used[items[i]])
				continue;
			if (i != first && rank(ctx, items[first], items[i]) != 0)
				break;		/* items are in rank order */
			for (size_t j = 0; j < k; j++)
				n += ok[i * k + j] && !used[items[j]];
			if (best == k || n > bestn) {
				best = i;
				bestn = n;
			}
		}
		used[items[best]] = 1;
		if (bestn == 0)
			continue;
		gid[best] = (int)ncent;
		cent[ncent++] = best;
		for (size_t j = 0; j < k; j++) {
			if (!ok[best * k + j] || used[items[j]])
				continue;
			gid[j] = gid[best];
			used[items[j]] = 1;
		}
	}
	if ((flags & DEDUP_GROUP_LINK) &&
	    (rc = link_groups(ok, never, k, gid, ncent)) < 0)
		goto out;
	for (size_t g = 0; g < ncent; g++) {
		size_t c = cent[g], nm = 0;

		if (gid[c] != (int)g)
			continue;	/* joined an earlier group */
		for (size_t j = 0; j < k; j++) {
			size_t via = c;

			if (j == c || gid[j] != (int)g)
				continue;
			/* linked: the first member in rank order it matches */
			for (size_t i = 0; !ok[c * k + j] && i < k; i++)
				if (i != j && gid[i] == (int)g && ok[i * k + j]) {
					via = i;
					break;
				}
			used[items[j]] = 1;
			buf[nm].item = items[j];
			buf[nm].method = meth[via * k + j];
			buf[nm].dist = dist[via * k + j];
			buf[nm].linked = via != c;
			nm++;
		}
		rc = emit(gs, items[c], buf, nm);
		if (rc < 0)
			goto out;
		ngroups++;
	}
	if (ngroups > 1)
		gs->split++;
out:
	free(ok);
	free(never);
	free(meth);
	free(dist);
	free(buf);
	free(gid);
	free(cent);
	return rc;
}

/* Large components: centres in rank order, each compared with the free items. */
static int
star(uint32_t *items, size_t k, dedup_match_fn match, void *ctx, uint8_t *used,
     struct dedup_groups *gs)
{
	struct dedup_member *buf = malloc(k * sizeof(*buf));
	size_t ngroups = 0;
	int rc = 0;

	if (buf == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < k; i++) {
		uint32_t c = items[i];
		size_t nm = 0;

		if (used[c])
			continue;
		used[c] = 1;
		for (size_t j = i + 1; j < k; j++) {
			uint32_t b = items[j];
			int method;
			double dist;

			if (used[b])
				continue;
			gs->matches++;
			if (match(ctx, c, b, &method, &dist) > 0) {
				buf[nm].item = b;
				buf[nm].method = method;
				buf[nm].dist = dist;
				buf[nm].linked = 0;
				nm++;
			}
		}
		if (nm == 0)
			continue;
		for (size_t j = 0; j < nm; j++)
			used[buf[j].item] = 1;
		rc = emit(gs, c, buf, nm);
		if (rc < 0)
			break;
		ngroups++;
	}
	if (ngroups > 1)
		gs->split++;
	free(buf);
	return rc;
}

int
dedup_group_build(uint32_t n, const uint32_t *edges, size_t nedges,
		  dedup_rank_fn rank, dedup_match_fn match, void *ctx,
		  unsigned flags, struct dedup_groups *ret)
{
	struct dedup_uf uf = { 0 };
	struct dedup_groups gs = { 0 };
	struct rank_ctx rctx = { rank, ctx };
	uint32_t *root = NULL, *order = NULL, *start = NULL, *fill = NULL;
	uint8_t *used = NULL;
	int rc;

	rc = dedup_uf_init(&uf, n);
	if (rc < 0)
		return rc;
	for (size_t e = 0; e < nedges; e++) {
		uint32_t a = edges[2 * e], b = edges[2 * e + 1];

		if (a < n && b < n && a != b)
			dedup_uf_union(&uf, a, b);
	}
	rc = -ENOMEM;
	root = malloc(((size_t)n + 1) * sizeof(*root));
	order = malloc(((size_t)n + 1) * sizeof(*order));
	start = calloc((size_t)n + 2, sizeof(*start));
	fill = malloc(((size_t)n + 2) * sizeof(*fill));
	used = calloc((size_t)n + 1, 1);
	if (!root || !order || !start || !fill || !used)
		goto out;
	/* bucket items by component root, then sort each component by rank */
	for (uint32_t i = 0; i < n; i++) {
		root[i] = dedup_uf_find(&uf, i);
		start[root[i] + 1]++;
	}
	for (uint32_t r = 0; r < n; r++)
		start[r + 1] += start[r];
	memcpy(fill, start, ((size_t)n + 1) * sizeof(*fill));
	for (uint32_t i = 0; i < n; i++)
		order[fill[root[i]]++] = i;
	for (uint32_t r = 0; r < n; r++) {
		size_t k = start[r + 1] - start[r];

		if (k < 2)
			continue;
		qsort_r(order + start[r], k, sizeof(uint32_t), cmp_rank, &rctx);
		if (k <= DEDUP_GROUP_FULL_MAX)
			rc = star_full(order + start[r], k, rank, match, ctx, flags,
				       used, &gs);
		else
			rc = star(order + start[r], k, match, ctx, used, &gs);
		if (rc < 0)
			goto out;
	}
	/* groups in representative order, for stable output */
	{
		size_t ng = gs.n;
		uint32_t *reps = malloc((ng + 1) * sizeof(*reps));
		struct dedup_group *sorted = malloc((ng + 1) * sizeof(*sorted));
		uint32_t *pos = malloc(((size_t)n + 1) * sizeof(*pos));

		if (!reps || !sorted || !pos) {
			free(reps);
			free(sorted);
			free(pos);
			rc = -ENOMEM;
			goto out;
		}
		for (size_t g = 0; g < ng; g++) {
			reps[g] = gs.g[g].rep;
			pos[gs.g[g].rep] = (uint32_t)g;
		}
		qsort_r(reps, ng, sizeof(uint32_t), cmp_rank, &rctx);
		for (size_t g = 0; g < ng; g++)
			sorted[g] = gs.g[pos[reps[g]]];
		free(gs.g);
		gs.g = sorted;
		gs.cap = ng + 1;
		free(reps);
		free(pos);
	}
	*ret = gs;
	gs = (struct dedup_groups){ 0 };
	rc = 0;
out:
	dedup_groups_release(&gs);
	dedup_uf_release(&uf);
	free(root);
	free(order);
	free(start);
	free(fill);
	free(used);
	return rc;
}
