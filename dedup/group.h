/*
 * group.h: duplicate groups from candidate edges.
 *
 * Union-find joins the candidate edges into components; each component is then cut
 * into star groups so that no group chains unrelated items (A~B~C with A !~ C):
 * items are taken in representative order (the caller's rule: largest resolution,
 * then earliest, then licence), and each still-free item becomes the representative
 * of every other free item of its component that it matches directly.  Every member
 * of a group is therefore within the threshold of its representative.  In
 * components of up to DEDUP_GROUP_FULL_MAX items all pairs are compared, and
 * between items the rule ranks equal, the one matching the most free items is
 * taken first.
 *
 * With DEDUP_GROUP_LINK, in such components, copies that drifted too far from
 * the representative but not from the rest of the group still join it: two
 * groups become one when at least DEDUP_LINK_PAIRS pairs match across them,
 * a 1/DEDUP_LINK_SHARE share of all pairs across at least, through half of
 * the smaller group and through DEDUP_LINK_ITEMS members of each; and an item
 * left alone joins the group of which it matches DEDUP_LINK_ITEMS members or
 * more, and a quarter at least.  Several independent matches are asked for,
 * so that one chance match, or one item that looks like everything, chains
 * nothing; and never two items the match calls DEDUP_MATCH_NEVER.  Such a
 * member is marked linked.
 */
#ifndef DEDUP_GROUP_H
#define DEDUP_GROUP_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_GROUP_FULL_MAX	96
#define DEDUP_GROUP_LINK	1u	/* flags: join through several members */
#define DEDUP_LINK_PAIRS	4
#define DEDUP_LINK_ITEMS	2
#define DEDUP_LINK_SHARE	5	/* 1 / share of the pairs across, at least */

struct dedup_uf {
	uint32_t *parent;	/* owned */
	uint8_t *rank;		/* owned */
	uint32_t n;
};

int dedup_uf_init(struct dedup_uf *uf, uint32_t n)
	__attribute__((warn_unused_result));
void dedup_uf_release(struct dedup_uf *uf);
uint32_t dedup_uf_find(struct dedup_uf *uf, uint32_t x);
/* Returns 1 when two sets were joined, 0 when x and y were already together. */
int dedup_uf_union(struct dedup_uf *uf, uint32_t x, uint32_t y);

/* Does b join a's group?  1 with *ret_method and *ret_dist set, 0 if not,
   DEDUP_MATCH_NEVER if the two may never share a group (a panel and its own
   image, two panels of one figure), however many other members they match. */
typedef int (*dedup_match_fn)(void *ctx, uint32_t a, uint32_t b, int *ret_method,
			      double *ret_dist);
#define DEDUP_MATCH_NEVER	(-1)
/* qsort-style order of representatives: < 0 when a is the better representative. */
typedef int (*dedup_rank_fn)(void *ctx, uint32_t a, uint32_t b);

struct dedup_member {
	uint32_t item;
	int method;		/* of its match with the representative, or, */
	double dist;		/* if linked, with the first member it matches */
	int linked;		/* joined through other members (DEDUP_GROUP_LINK) */
};

struct dedup_group {
	uint32_t rep;
	struct dedup_member *m;	/* owned: members other than rep */
	size_t n;
};

struct dedup_groups {
	struct dedup_group *g;	/* owned */
	size_t n;
	size_t cap;
	uint64_t matches;	/* match() calls made */
	uint64_t split;		/* components cut into more than one group */
};

/*
 * Groups of two or more among n items joined by the edges (pairs of item indexes).
 * Groups come out in order of their representative's rank.
 */
int dedup_group_build(uint32_t n, const uint32_t *edges, size_t nedges,
		      dedup_rank_fn rank, dedup_match_fn match, void *ctx,
		      unsigned flags, struct dedup_groups *ret)
	__attribute__((warn_unused_result));
void dedup_groups_release(struct dedup_groups *gs);

#endif
