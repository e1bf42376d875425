/*
 * minhash.c: text normalisation, shingles, MinHash and LSH banding (minhash.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/minhash.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MERSENNE61	((((uint64_t)1) << 61) - 1)

__extension__ typedef unsigned __int128 u128;

/* Decode one UTF-8 sequence; invalid bytes are returned as themselves (len 1). */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *adv)
{
	uint32_t c = s[0];
	int n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 :
		(c & 0xf8) == 0xf0 ? 3 : -1;

	if (n <= 0 || (size_t)n >= len) {
		*adv = 1;
		return c;
	}
	c &= 0x3f >> n;
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*adv = 1;
			return s[0];
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*adv = (size_t)n + 1;
	return c;
}

static int
is_pictograph(uint32_t c)
{
	return (c >= 0x1f000 && c <= 0x1faff) || (c >= 0x2600 && c <= 0x27bf) ||
	       (c >= 0xfe00 && c <= 0xfe0f) || c == 0x200d;
}

static int
word_char(unsigned char c)
{
	return c >= 0x80 || isalnum(c);
}

int
dedup_text_normalise(const char *text, size_t len, char **ret, size_t *ret_len)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out;
	size_t o = 0, i = 0;
	int space = 1;

	if (len > DEDUP_TEXT_MAX)
		len = DEDUP_TEXT_MAX;
	out = malloc(len + 1);
	if (out == NULL)
		return -ENOMEM;
	/* a retweet prefix */
	while (i < len && isspace(s[i]))
		i++;
	if (len - i >= 3 && (s[i] == 'R' || s[i] == 'r') && (s[i + 1] == 'T' || s[i + 1] == 't') &&
	    (s[i + 2] == ' ' || s[i + 2] == ':'))
		i += 3;
	while (i < len) {
		size_t adv;
		uint32_t c;

		/* URLs and @mentions are dropped whole */
		if ((len - i >= 7 && strncmp((const char *)s + i, "http://", 7) == 0) ||
		    (len - i >= 8 && strncmp((const char *)s + i, "https://", 8) == 0) ||
		    (s[i] == '@' && i + 1 < len && word_char(s[i + 1]) &&
		     (i == 0 || !word_char(s[i - 1])))) {
			while (i < len && !isspace(s[i]))
				i++;
			continue;
		}
		if (s[i] == '#' && i + 1 < len && word_char(s[i + 1])) {
			i++;
			continue;
		}
		c = utf8_next(s + i, len - i, &adv);
		if (is_pictograph(c)) {
			i += adv;
			continue;
		}
		if (c < 0x80 && isspace((int)c)) {
			if (!space)
				out[o++] = ' ';
			space = 1;
			i++;
			continue;
		}
		if (c < 0x80) {
			out[o++] = (char)tolower((int)c);
		} else if (c == 0xb5 || c == 0x3bc) {
			/* micro sign and Greek mu: "um" as typed in ASCII captions */
			out[o++] = 'u';
		} else {
			memcpy(out + o, s + i, adv);
			o += adv;
		}
		space = 0;
		i += adv;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
}

static size_t
count_words(const char *s, size_t len)
{
	size_t n = 0;
	int in = 0;

	for (size_t i = 0; i < len; i++) {
		int w = word_char((unsigned char)s[i]);

		if (w && !in)
			n++;
		in = w;
	}
	return n;
}

int
dedup_text_boilerplate(const char *norm, size_t len)
{
	static const char *const starts[] = {
		"scale bar", "scale bars", "bar =", "bar:", "see text", "see main text",
		"not applicable", "n/a", "image", "figure", "fig.", "photo",
	};
	size_t words = count_words(norm, len);

	if (words < DEDUP_TEXT_MIN_WORDS)
		return 1;
	/* "Scale bar, 50 um." and its kin are short whatever their exact words */
	if (words < 12) {
		for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
			if (strncmp(norm, starts[k], strlen(starts[k])) == 0)
				return 1;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int
dedup_shingles(const char *norm, size_t len, uint64_t **ret, size_t *ret_n)
{
	size_t words = count_words(norm, len), n = 0, cap;
	uint64_t *v;

	cap = len + 2;
	v = malloc(cap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	if (words < 30) {
		/* character 5-grams (the whole text when shorter) */
		if (len <= 5) {
			v[n++] = wn_hash64(norm, len);
		} else {
			for (size_t i = 0; i + 5 <= len; i++)
				v[n++] = wn_hash64(norm + i, 5);
		}
	} else {
		/* word 5-grams: start offsets of words, hash of 5 consecutive words */
		size_t *ws = malloc((words + 1) * sizeof(*ws)), *we, nw = 0;
		int in = 0;

		if (ws == NULL) {
			free(v);
			return -ENOMEM;
		}
		we = malloc((words + 1) * sizeof(*we));
		if (we == NULL) {
			free(ws);
			free(v);
			return -ENOMEM;
		}
		for (size_t i = 0; i < len; i++) {
			int w = word_char((unsigned char)norm[i]);

			if (w && !in)
				ws[nw] = i;
			if (!w && in)
				we[nw++] = i;
			in = w;
		}
		if (in)
			we[nw++] = len;
		for (size_t k = 0; k + 5 <= nw; k++) {
			/* words joined by one space, punctuation between them ignored */
			uint64_t h = 1469598103934665603ull;

			for (size_t j = k; j < k + 5; j++) {
				for (size_t i = ws[j]; i < we[j]; i++) {
					h ^= (unsigned char)norm[i];
					h *= 1099511628211ull;
				}
				h ^= ' ';
				h *= 1099511628211ull;
			}
			v[n++] = h;
		}
		free(ws);
		free(we);
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	{
		size_t m = 0;

		for (size_t i = 0; i < n; i++)
			if (m == 0 || v[m - 1] != v[i])
				v[m++] = v[i];
		n = m;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* Fixed permutation parameters (a, b) from a seeded splitmix64 stream. */
static void
perm_params(uint64_t a[DEDUP_MH_PERMS], uint64_t b[DEDUP_MH_PERMS])
{
	uint64_t x = 0x5eed5eed5eed5eedull;

	for (int i = 0; i < DEDUP_MH_PERMS; i++) {
		a[i] = wn_splitmix64(&x) % (MERSENNE61 - 1) + 1;
		b[i] = wn_splitmix64(&x) % MERSENNE61;
	}
}

static uint64_t
mulmod61(uint64_t a, uint64_t b)
{
	u128 p = (u128)a * b;
	uint64_t lo = (uint64_t)(p & MERSENNE61), hi = (uint64_t)(p >> 61);
	uint64_t r = lo + hi;

	return r >= MERSENNE61 ? r - MERSENNE61 : r;
}

void
dedup_minhash(const uint64_t *sh, size_t n, uint32_t sig[DEDUP_MH_PERMS])
{
	uint64_t a[DEDUP_MH_PERMS], b[DEDUP_MH_PERMS];

	perm_params(a, b);
	for (int p = 0; p < DEDUP_MH_PERMS; p++)
		sig[p] = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = sh[i] % MERSENNE61;

		for (int p = 0; p < DEDUP_MH_PERMS; p++) {
			uint64_t v = mulmod61(a[p], h) + b[p];
			uint32_t lo;

			if (v >= MERSENNE61)
				v -= MERSENNE61;
			lo = (uint32_t)v;
			if (lo < sig[p])
				sig[p] = lo;
		}
	}
}

double
dedup_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, inter = 0;

	if (na + nb == 0)
		return 1.0;
	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			inter++;
			i++;
			j++;
		} else if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)inter / (double)(na + nb - inter);
}

double
dedup_minhash_similarity(const uint32_t *a, const uint32_t *b)
{
	int same = 0;

	for (int p = 0; p < DEDUP_MH_PERMS; p++)
		same += a[p] == b[p];
	return (double)same / DEDUP_MH_PERMS;
}

struct band_key {
	uint64_t key;
	uint32_t id;
};

static int
cmp_band(const void *a, const void *b)
{
	const struct band_key *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int
cmp_pair(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

static int
push_pair(uint32_t **pairs, size_t *n, size_t *cap, uint32_t a, uint32_t b)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 1024;
		uint32_t *v = realloc(*pairs, nc * 2 * sizeof(uint32_t));

		if (v == NULL)
			return -ENOMEM;
		*pairs = v;
		*cap = nc;
	}
	(*pairs)[2 * *n] = a < b ? a : b;
	(*pairs)[2 * *n + 1] = a < b ? b : a;
	(*n)++;
	return 0;
}

int
dedup_lsh_pairs(const uint32_t *sigs, size_t n, size_t bucket_cap, uint32_t **pairs,
		size_t *npairs, size_t *ret_skipped)
{
	struct band_key *v = malloc((n + 1) * sizeof(*v));
	size_t cap = *npairs, skipped = 0, start = *npairs;
	int rc = 0;

	if (v == NULL)
		return -ENOMEM;
	for (int band = 0; band < DEDUP_MH_BANDS && rc == 0; band++) {
		for (size_t i = 0; i < n; i++) {
			const uint32_t *r = sigs + i * DEDUP_MH_PERMS + band * DEDUP_MH_ROWS;

			v[i].key = wn_hash64(r, DEDUP_MH_ROWS * sizeof(uint32_t)) ^
				   (uint64_t)band * 0x9e3779b97f4a7c15ull;
			v[i].id = (uint32_t)i;
		}
		qsort(v, n, sizeof(*v), cmp_band);
		for (size_t i = 0; i < n && rc == 0;) {
			size_t j = i + 1;

			while (j < n && v[j].key == v[i].key)
				j++;
			if (bucket_cap && j - i > bucket_cap) {
				skipped++;
			} else {
				for (size_t x = i; x < j && rc == 0; x++)
					for (size_t y = x + 1; y < j && rc == 0; y++)
						rc = push_pair(pairs, npairs, &cap, v[x].id,
							       v[y].id);
			}
			i = j;
		}
	}
	free(v);
	if (rc < 0)
		return rc;
	/* a pair sharing several bands is reported once */
	qsort(*pairs + 2 * start, *npairs - start, 2 * sizeof(uint32_t), cmp_pair);
	{
		size_t m = start;

		for (size_t i = start; i < *npairs; i++) {
			uint32_t *p = *pairs + 2 * i;

			if (m > start && (*pairs)[2 * (m - 1)] == p[0] &&
			    (*pairs)[2 * (m - 1) + 1] == p[1])
				continue;
			(*pairs)[2 * m] = p[0];
			(*pairs)[2 * m + 1] = p[1];
			m++;
		}
		*npairs = m;
	}
	*ret_skipped = skipped;
	return 0;
}
