/*
 * dedup-set.h: the items winnow-dedup compares (images or panels with their hashes),
 * the candidate edges between them, the pairwise match rule and the representative
 * order.  Shared by the standalone (JSON Lines) and the database forms.
 */
#ifndef DEDUP_SET_H
#define DEDUP_SET_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dedup/group.h"
#include "dedup/mih.h"

enum dedup_method {
	DEDUP_M_SHA256,
	DEDUP_M_PIXEL,
	DEDUP_M_PDQ,
	DEDUP_M_PDQ_DIHEDRAL,
	DEDUP_M_PDQ_INVERTED,
	DEDUP_M_PHASH_CONFIRMED,	/* PDQ 16..31 with pHash and dHash agreeing */
	DEDUP_M_REGION_CONFIRMED,	/* PDQ 16..31 with the region descriptor agreeing */
	DEDUP_M_REGION,			/* crop, border or panel: region descriptor */
	DEDUP_M_EMBEDDING,		/* imported embedding, cosine */
	DEDUP_M_PANEL,			/* matches a panel of a compound figure */
	DEDUP_M_LINKED,			/* matches several members, not the
					   representative (DEDUP_GROUP_LINK) */
	DEDUP_M_COUNT
};

const char *dedup_method_name(int method);

enum {
	DEDUP_HAS_SHA = 1 << 0,
	DEDUP_HAS_PIX = 1 << 1,
	DEDUP_HAS_PDQ = 1 << 2,
	DEDUP_HAS_DIH = 1 << 3,
	DEDUP_HAS_PHASH = 1 << 4,
	DEDUP_HAS_DHASH = 1 << 5,
	DEDUP_HAS_REGION = 1 << 6,
	DEDUP_HAS_EMB = 1 << 7,
	DEDUP_HAS_CPDQ = 1 << 8,	/* PDQ of the content without borders */
};

struct dedup_item {
	char *path;		/* owned: file path (standalone) or store path, may be NULL */
	int64_t image_id;	/* database ids, 0 in standalone mode */
	int64_t panel_id;
	int64_t when;		/* earlier is preferred; 0 = unknown */
	int license_rank;	/* lower is preferred (CC0 0, CC BY 1, ...); 0 = unknown */
	int width, height;	/* stored size, 0 if unknown */
	int content_w, content_h;	/* without uniform borders, 0 if unknown */
	int quality;		/* PDQ quality */
	int cquality;		/* PDQ quality of the content without borders */
	unsigned flags;
	uint8_t sha[32];
	uint8_t pix[32];
	uint64_t phash, dhash;
	uint32_t degree;	/* candidate edges, a last tie-break for representatives */
	int64_t hash_id;	/* database form: hashes row */
	int64_t figure_id;	/* database form: for panels and captions */
	int bx, by, bw, bh;	/* panel box in its image (bw 0: whole image) */
	int region_done;
	uint32_t parent1;	/* standalone panels: index + 1 of their image, else 0 */
	int is_checked;		/* database form: matched by an earlier run */	/* database form: a stored descriptor was tried */
};

struct dedup_params {
	int pdq_dup;		/* <= : duplicate (15) */
	int pdq_cand;		/* <= : candidate needing confirmation (31) */
	int min_quality;	/* PDQ quality below this: no Hamming matching (50) */
	int phash_confirm;	/* pHash distance confirming a candidate */
	int dhash_confirm;	/* dHash distance confirming a candidate */
	float region_confirm;	/* region correlation confirming a candidate */
	float region_dup;	/* region correlation alone making a duplicate */
	float region_cand;	/* whole-vs-window correlation worth an alignment search */
	float region_fine_dup;	/* aligned 32 x 32 correlation making a duplicate */
	float emb_dup;		/* embedding cosine making a duplicate */
	uint32_t bucket_cap;	/* MIH bucket cap */
};

void dedup_params_default(struct dedup_params *p);

/* Region descriptors take ~90 kB an item in memory and their join is quadratic:
   above this many items they are skipped. */
#define DEDUP_REGION_MAX_ITEMS	50000

/* Panels read from one winnow-hash object, at most. */
#define DEDUP_MAX_PANELS	64

struct dedup_set {
	struct dedup_item *it;	/* owned */
	size_t n, cap;
	uint8_t *pdq;		/* owned: 32 bytes per item (zero if none) */
	uint8_t *dih;		/* owned: 8 x 32 bytes per item */
	uint8_t *cpdq;		/* owned: 8 x 32 bytes per item, the content's PDQ */
	float *region;		/* owned: DEDUP_REGION_FLOATS per item, or NULL */
	float *emb;		/* owned: emb_dim floats per item, or NULL */
	int emb_dim;
	struct dedup_params p;
	uint32_t *edges;	/* owned: candidate pairs */
	size_t nedges, edges_cap;
	uint64_t mih_candidates, mih_skipped;
	uint32_t mih_codes;	/* codes indexed */
	double t_mih_build, t_mih_query, t_region, t_emb;	/* seconds */
};

void dedup_set_init(struct dedup_set *s, const struct dedup_params *p);
void dedup_set_release(struct dedup_set *s);

/* Append an empty item; returns its index or -ENOMEM. */
int64_t dedup_set_add(struct dedup_set *s)
	__attribute__((warn_unused_result));

/*
 * Fill item k from a winnow-hash JSON object.  Returns 1 when it has something to
 * compare, 0 for an object with "error" (skipped), -WN_EFORMAT for a malformed one
 * (*ret_why says which field).
 */
int dedup_set_from_json(struct dedup_set *s, size_t k, const json_t *obj,
			const char **ret_why)
	__attribute__((warn_unused_result));

/* Standalone panels are their own items, pointing to their image's item. */
static inline uint32_t
dedup_item_owner(const struct dedup_set *s, uint32_t i)
{
	return s->it[i].parent1 ? s->it[i].parent1 - 1 : i;
}

/* Compute region descriptors from the items' paths (threads: workers), for the
   items flagged in need (NULL: all).  Items whose file cannot be decoded get none;
   *ret_failed counts them. */
int dedup_set_regions(struct dedup_set *s, int threads, const uint8_t *need,
		      size_t *ret_failed)
	__attribute__((warn_unused_result));

struct dedup_region_info;
/* Record the content PDQ of item k from its region information. */
void dedup_set_content_pdq(struct dedup_set *s, size_t k,
			   const struct dedup_region_info *info);

/*
 * Candidate edges.  Only pairs with at least one item flagged in `query` (NULL:
 * all) are generated, which is the incremental form: new items against everything.
 */
int dedup_set_candidates(struct dedup_set *s, const uint8_t *query)
	__attribute__((warn_unused_result));

int dedup_set_add_edge(struct dedup_set *s, uint32_t a, uint32_t b)
	__attribute__((warn_unused_result));

/* Every signal between two items (-1 / -2 when not available). */
struct dedup_features {
	int same_sha, same_pix;
	int pdq;		/* best of plain, dihedral and inverted */
	int pdq_method;		/* which one */
	int pdq_content;	/* it came from a content without borders */
	int phash, dhash;	/* in the orientation of pdq_method (inverted: 64 - d) */
	float region;		/* best window correlation */
	float region_fine;	/* after the alignment search, -2 if not run */
	float emb;		/* embedding cosine */
};

void dedup_set_features(struct dedup_set *s, uint32_t a, uint32_t b,
			struct dedup_features *ret);

/* The pairwise rule and representative order, for dedup_group_build(). */
int dedup_set_match(void *ctx, uint32_t a, uint32_t b, int *ret_method, double *ret_dist);
int dedup_set_rank(void *ctx, uint32_t a, uint32_t b);

/*
 * Groups of the items; where a group holds a panel of a figure (standalone
 * form, items with parent1), it is joined with the figure's group, the panels
 * themselves are left out and the items that matched through a panel get the
 * method DEDUP_M_PANEL with the distance of that match.  Groups are built with
 * DEDUP_GROUP_LINK; members so joined get DEDUP_M_LINKED.
 */
int dedup_set_group(struct dedup_set *s, struct dedup_groups *ret)
	__attribute__((warn_unused_result));

#endif
