/*
 * mih.h: multi-index hashing over 256-bit codes (PDQ), after Norouzi, Punjani and
 * Fleet.  The code is cut into 16 chunks of 16 bits; each chunk has a CSR table
 * (offsets[65537] and ids[n]).  Two codes within Hamming distance r share at least
 * one chunk within floor(r / 16) bits (pigeonhole), so probing every table at the
 * query's chunk and its neighbours up to that many flips finds every code within r:
 * r <= 15 needs 16 probes, r <= 31 needs 16 * 17, r <= 47 needs 16 * 137.
 * The search is exact unless a bucket is larger than the cap (featureless codes),
 * in which case that bucket is skipped and counted.
 */
#ifndef DEDUP_MIH_H
#define DEDUP_MIH_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_CODE_BYTES	32
#define DEDUP_MIH_TABLES	16
#define DEDUP_MIH_MAX_RADIUS	47
#define DEDUP_MIH_MAX_CODES	((uint32_t)1 << 30)

struct dedup_mih {
	uint32_t n;
	const uint8_t *codes;	/* borrowed: n * 32 bytes, alive while the index is */
	uint32_t *offsets;	/* owned: 16 * 65537 */
	uint32_t *ids;		/* owned: 16 * n */
	uint32_t *stamp;	/* owned: n, last query that saw each code */
	uint32_t gen;
	uint32_t bucket_cap;	/* probes of larger buckets are skipped */
	uint64_t skipped;	/* buckets skipped by the cap, over all queries */
	uint64_t candidates;	/* codes verified, over all queries */
};

struct dedup_hit {
	uint32_t id;
	int dist;
};

struct dedup_hits {
	struct dedup_hit *v;	/* owned */
	size_t n;
	size_t cap;
};

int dedup_hamming256(const uint8_t *a, const uint8_t *b);
void dedup_code_not(const uint8_t *in, uint8_t *out);

/* Index n codes (borrowed).  bucket_cap 0 = no cap. */
int dedup_mih_build(struct dedup_mih *m, const uint8_t *codes, uint32_t n,
		    uint32_t bucket_cap)
	__attribute__((warn_unused_result));
void dedup_mih_release(struct dedup_mih *m);

/*
 * Append to *hits every indexed code within radius (0..47) of q, each once, with its
 * distance.  Returns the number appended or -ENOMEM / -EINVAL.
 */
int dedup_mih_query(struct dedup_mih *m, const uint8_t *q, int radius,
		    struct dedup_hits *hits)
	__attribute__((warn_unused_result));

/*
 * Self-join: every pair of indexed codes within radius (0..31), each once, to cb
 * (indexes into the codes, a < b).  Instead of one query per code, each table's
 * buckets are compared with themselves and with their 16 one-bit neighbours, and a
 * pair is reported only from the first table where it collides.  cb returns < 0
 * to stop.  Returns 0 or the first negative value.
 */
typedef int (*dedup_mih_pair_fn)(void *ctx, uint32_t a, uint32_t b, int dist);
int dedup_mih_selfjoin(struct dedup_mih *m, int radius, dedup_mih_pair_fn cb, void *ctx)
	__attribute__((warn_unused_result));

/* Exhaustive reference search (tests and benchmarks). */
int dedup_linear_query(const uint8_t *codes, uint32_t n, const uint8_t *q, int radius,
		       struct dedup_hits *hits)
	__attribute__((warn_unused_result));

void dedup_hits_release(struct dedup_hits *h);

#endif
