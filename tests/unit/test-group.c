/*
 * test-group.c: union-find and star groups (no chaining, representative order).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "dedup/group.h"
#include "lib/log.h"

/* Items on a line: i matches j when |pos_i - pos_j| <= 1.  Rank: by size desc.
   never[i] = j + 1: i and j may never share a group. */
struct line {
	int pos[16];
	int size[16];
	int never[16];
};

static int
line_match(void *ctx, uint32_t a, uint32_t b, int *ret_method, double *ret_dist)
{
	struct line *l = ctx;
	int d = abs(l->pos[a] - l->pos[b]);

	if (l->never[a] == (int)b + 1 || l->never[b] == (int)a + 1)
		return DEDUP_MATCH_NEVER;
	if (d > 1)
		return 0;
	*ret_method = 7;
	*ret_dist = d;
	return 1;
}

static int
line_rank(void *ctx, uint32_t a, uint32_t b)
{
	struct line *l = ctx;

	return (l->size[a] < l->size[b]) - (l->size[a] > l->size[b]);
}

static void
test_uf(void)
{
	struct dedup_uf uf;

	CU_ASSERT_EQUAL_FATAL(dedup_uf_init(&uf, 10), 0);
	CU_ASSERT_EQUAL(dedup_uf_union(&uf, 1, 2), 1);
	CU_ASSERT_EQUAL(dedup_uf_union(&uf, 2, 3), 1);
	CU_ASSERT_EQUAL(dedup_uf_union(&uf, 3, 1), 0);
	CU_ASSERT_EQUAL(dedup_uf_find(&uf, 1), dedup_uf_find(&uf, 3));
	CU_ASSERT_NOT_EQUAL(dedup_uf_find(&uf, 1), dedup_uf_find(&uf, 4));
	dedup_uf_release(&uf);
	dedup_uf_release(&uf);
}

/* A chain 0-1-2-3-4 (neighbours match, nothing else): no group holds two items
   more than 1 apart from their representative. */
static void
test_no_chaining(void)
{
	struct line l = { .pos = { 0, 1, 2, 3, 4 }, .size = { 1, 1, 5, 1, 1 } };
	uint32_t edges[] = { 0, 1, 1, 2, 2, 3, 3, 4 };
	struct dedup_groups gs = { 0 };

	CU_ASSERT_EQUAL_FATAL(dedup_group_build(5, edges, 4, line_rank, line_match, &l,
						0, &gs), 0);
	/* item 2 is the largest: it represents 1 and 3; 0 and 4 match only taken
	   items, so they stay alone instead of chaining the group to 4 wide */
	CU_ASSERT_EQUAL_FATAL(gs.n, 1);
	CU_ASSERT_EQUAL(gs.g[0].rep, 2);
	CU_ASSERT_EQUAL(gs.g[0].n, 2);
	for (size_t g = 0; g < gs.n; g++)
		for (size_t m = 0; m < gs.g[g].n; m++) {
			CU_ASSERT(abs(l.pos[gs.g[g].rep] - l.pos[gs.g[g].m[m].item]) <= 1);
			CU_ASSERT_EQUAL(gs.g[g].m[m].method, 7);
		}
	dedup_groups_release(&gs);
	/* with 0 largest, the star of 0 takes 1; 2 then takes 3; 4 stays alone */
	l.size[0] = 9;
	CU_ASSERT_EQUAL_FATAL(dedup_group_build(5, edges, 4, line_rank, line_match, &l,
						0, &gs), 0);
	CU_ASSERT_EQUAL_FATAL(gs.n, 2);
	CU_ASSERT_EQUAL(gs.g[0].rep, 0);
	CU_ASSERT_EQUAL(gs.g[1].rep, 2);
	CU_ASSERT_EQUAL(gs.split, 1);
	dedup_groups_release(&gs);
}

/* Separate components, singletons dropped, groups ordered by representative. */
static void
test_components(void)
{
	struct line l = { .pos = { 0, 10, 1, 11, 20, 30, 31 },
			  .size = { 1, 9, 2, 3, 4, 8, 1 } };
	uint32_t edges[] = { 0, 2, 1, 3, 5, 6, 4, 4 };
	struct dedup_groups gs = { 0 };

	CU_ASSERT_EQUAL_FATAL(dedup_group_build(7, edges, 4, line_rank, line_match, &l,
						0, &gs), 0);
	CU_ASSERT_EQUAL_FATAL(gs.n, 3);
	CU_ASSERT_EQUAL(gs.g[0].rep, 1);
	CU_ASSERT_EQUAL(gs.g[0].m[0].item, 3);
	CU_ASSERT_EQUAL(gs.g[1].rep, 5);
	CU_ASSERT_EQUAL(gs.g[2].rep, 2);
	CU_ASSERT_EQUAL(gs.g[2].m[0].item, 0);
	CU_ASSERT_EQUAL(gs.split, 0);
	dedup_groups_release(&gs);
	/* no edges: no groups */
	CU_ASSERT_EQUAL_FATAL(dedup_group_build(7, NULL, 0, line_rank, line_match, &l,
						0, &gs), 0);
	CU_ASSERT_EQUAL(gs.n, 0);
	dedup_groups_release(&gs);
}

/* Groups of l without and with DEDUP_GROUP_LINK: plain groups first, then
   one group under item 0 into *ret. */
static void
link_both(uint32_t n, const uint32_t *edges, size_t ne, struct line *l,
	  size_t plain, struct dedup_groups *ret)
{
	struct dedup_groups gs = { 0 };

	CU_ASSERT_EQUAL_FATAL(dedup_group_build(n, edges, ne, line_rank, line_match, l,
						0, &gs), 0);
	CU_ASSERT_EQUAL(gs.n, plain);
	dedup_groups_release(&gs);
	CU_ASSERT_EQUAL_FATAL(dedup_group_build(n, edges, ne, line_rank, line_match, l,
						DEDUP_GROUP_LINK, ret), 0);
	CU_ASSERT_EQUAL_FATAL(ret->n, 1);
	CU_ASSERT_EQUAL_FATAL(ret->g[0].rep, 0);
}

/* DEDUP_GROUP_LINK: an item two members match but the representative not
   joins, linked; two stars matched across by most of one become one; a
   chain still does not grow. */
static void
test_link(void)
{
	/* R at 0, a1 a2 at 1, c at 2: c matches a1 and a2, not R */
	struct line l = { .pos = { 0, 1, 1, 2 }, .size = { 9, 5, 4, 1 } };
	uint32_t edges[] = { 0, 1, 0, 2, 1, 3, 2, 3 };
	/* and R, a1 a2 at 1, then b1 b2 b3 at 2: two stars, six pairs across */
	struct line m = { .pos = { 0, 1, 1, 2, 2, 2 },
			  .size = { 9, 5, 4, 3, 2, 1 } };
	uint32_t medges[] = { 0, 1, 0, 2, 1, 3, 2, 4, 3, 5 };
	struct line c = { .pos = { 0, 1, 2, 3, 4 }, .size = { 9, 1, 5, 1, 1 } };
	uint32_t cedges[] = { 0, 1, 1, 2, 2, 3, 3, 4 };
	struct dedup_groups gs = { 0 };
	size_t k;

	link_both(4, edges, 4, &l, 1, &gs);
	CU_ASSERT_EQUAL_FATAL(gs.g[0].n, 3);
	for (k = 0; k < gs.g[0].n; k++) {
		CU_ASSERT_EQUAL(gs.g[0].m[k].linked, gs.g[0].m[k].item == 3);
		CU_ASSERT_EQUAL(gs.g[0].m[k].method, 7);
		CU_ASSERT_EQUAL(gs.g[0].m[k].dist, 1);
	}
	dedup_groups_release(&gs);
	/* c may never be with a2: it stays out */
	l.never[3] = 2 + 1;
	CU_ASSERT_EQUAL_FATAL(dedup_group_build(4, edges, 4, line_rank, line_match, &l,
						DEDUP_GROUP_LINK, &gs), 0);
	CU_ASSERT_EQUAL_FATAL(gs.n, 1);
	CU_ASSERT_EQUAL(gs.g[0].n, 2);
	dedup_groups_release(&gs);
	link_both(6, medges, 5, &m, 2, &gs);
	CU_ASSERT_EQUAL_FATAL(gs.g[0].n, 5);
	for (k = 0; k < gs.g[0].n; k++)
		CU_ASSERT_EQUAL(gs.g[0].m[k].linked, m.pos[gs.g[0].m[k].item] == 2);
	dedup_groups_release(&gs);
	/* a1 may never be with b3: the two stars stay apart */
	m.never[1] = 5 + 1;
	CU_ASSERT_EQUAL_FATAL(dedup_group_build(6, medges, 5, line_rank, line_match, &m,
						DEDUP_GROUP_LINK, &gs), 0);
	CU_ASSERT_EQUAL(gs.n, 2);
	dedup_groups_release(&gs);

	/* the chain 0-1-2-3-4: one match across, one match for 4: as before */
	CU_ASSERT_EQUAL_FATAL(dedup_group_build(5, cedges, 4, line_rank, line_match, &c,
						DEDUP_GROUP_LINK, &gs), 0);
	CU_ASSERT_EQUAL_FATAL(gs.n, 2);
	CU_ASSERT_EQUAL(gs.g[0].n + gs.g[1].n, 2);
	for (k = 0; k < gs.n; k++)
		CU_ASSERT(gs.g[k].n == 1 && !gs.g[k].m[0].linked);
	dedup_groups_release(&gs);
}

int
main(void)
{
	CU_pSuite s;
	unsigned nfail;

	wn_log_init("test-group", 0);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	s = CU_add_suite("group", NULL, NULL);
	CU_add_test(s, "union-find", test_uf);
	CU_add_test(s, "no chaining", test_no_chaining);
	CU_add_test(s, "components and order", test_components);
	CU_add_test(s, "linked members", test_link);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	nfail = CU_get_number_of_failures();
	CU_cleanup_registry();
	return nfail ? 1 : 0;
}
