/*
 * minhash.h: caption and post-text near-duplicates.
 *
 * Texts are normalised (lower case, URLs, @mentions and a leading "RT" removed,
 * '#' dropped from hashtags, emoji and other pictographs removed, whitespace
 * collapsed), hashed exactly (SHA-256 of the normalised text), and summarised by a
 * 128-permutation MinHash of their shingles: character 5-grams for texts under 30
 * words, word 5-grams above.  LSH banding with 9 bands of 13 rows puts pairs of
 * Jaccard similarity 0.8 together with probability ~0.9 (0.5 at J = 0.84); every
 * candidate is verified by the exact Jaccard of the shingle sets.
 */
#ifndef DEDUP_MINHASH_H
#define DEDUP_MINHASH_H

#include <stddef.h>
#include <stdint.h>

#define DEDUP_MH_PERMS		128
#define DEDUP_MH_BANDS		9
#define DEDUP_MH_ROWS		13
#define DEDUP_TEXT_MAX		(1 << 20)	/* longer texts are cut here */
#define DEDUP_TEXT_MIN_WORDS	6		/* shorter texts are boilerplate */

/* Normalised copy of text (malloc'd, NUL-terminated). */
int dedup_text_normalise(const char *text, size_t len, char **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Is a normalised text boilerplate ("scale bar, 50 um.", "see text")? */
int dedup_text_boilerplate(const char *norm, size_t len);

/* Sorted, distinct 64-bit shingle hashes of a normalised text (malloc'd). */
int dedup_shingles(const char *norm, size_t len, uint64_t **ret, size_t *ret_n)
	__attribute__((warn_unused_result));

/* MinHash signature of a shingle set. */
void dedup_minhash(const uint64_t *sh, size_t n, uint32_t sig[DEDUP_MH_PERMS]);

/* Exact Jaccard similarity of two sorted shingle sets. */
double dedup_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/* Estimated Jaccard from two signatures. */
double dedup_minhash_similarity(const uint32_t *a, const uint32_t *b);

/*
 * LSH candidates among n signatures (n x DEDUP_MH_PERMS): every pair sharing a
 * band, each once; buckets larger than bucket_cap are skipped (*ret_skipped).
 * Pairs are appended to *pairs (2 indexes each).
 */
int dedup_lsh_pairs(const uint32_t *sigs, size_t n, size_t bucket_cap, uint32_t **pairs,
		    size_t *npairs, size_t *ret_skipped)
	__attribute__((warn_unused_result));

#endif
