/*
 * pdq.h: the PDQ perceptual hash (256 bits and a quality score), computed as
 * the reference algorithm does it, and its 8 dihedral variants taken from the
 * same 16x16 DCT.
 *
 * Bit k (0..255) is DCT coefficient (k / 16 + 1, k % 16 + 1) above the median;
 * it lives at words[k >> 4] >> (k & 15).  The hex form prints words[15] first,
 * four digits a word, so it reads as a big-endian 256-bit number whose least
 * significant bit is the DCT coefficient (1, 1).
 */
#ifndef WN_DEDUP_PDQ_H
#define WN_DEDUP_PDQ_H

#include <stddef.h>
#include <stdint.h>

#define PDQ_BITS	256
#define PDQ_WORDS	16
#define PDQ_HEX_LEN	64
#define PDQ_MIN_DIM	5	/* smaller images hash to zero with quality 0 */

/* Order of the dihedral hashes (the reference order). */
enum pdq_dihedral {
	PDQ_ORIG = 0,
	PDQ_ROT90,
	PDQ_ROT180,
	PDQ_ROT270,
	PDQ_FLIPX,
	PDQ_FLIPY,
	PDQ_FLIP_PLUS1,
	PDQ_FLIP_MINUS1,
	PDQ_NDIHEDRAL
};

struct pdq_hash {
	uint16_t w[PDQ_WORDS];
};

struct pdq_result {
	struct pdq_hash hash;			/* == dihedral[PDQ_ORIG] */
	struct pdq_hash dihedral[PDQ_NDIHEDRAL];
	int quality;				/* 0..100 */
};

/*
 * Hash a float luma image (rows x cols, row-major), which is used as scratch
 * space and left blurred.  scratch must hold rows * cols floats.  Images under
 * PDQ_MIN_DIM on a side give an all-zero hash of quality 0.  Returns 0 or
 * -ENOMEM.
 */
int pdq_hash_luma(float *luma, float *scratch, int rows, int cols,
		  struct pdq_result *ret)
	__attribute__((warn_unused_result));

/*
 * Hash 8-bit pixels: 1 channel (used as luma as is) or 3 (RGB, luma
 * 0.299 R + 0.587 G + 0.114 B in float as the reference).  stride is in bytes.
 * Returns 0, -EINVAL on bad arguments or -ENOMEM.
 */
int pdq_hash_pixels(const uint8_t *px, int width, int height, int channels,
		    size_t stride, struct pdq_result *ret)
	__attribute__((warn_unused_result));

/* The 16x16 DCT of a 64x64 buffer, and the hash of a 16x16 DCT. */
void pdq_dct64to16(const float a[64][64], float ret_b[16][16]);
void pdq_bits_from_dct(const float b[16][16], struct pdq_hash *ret);
/* The 8 dihedral variants of a 16x16 DCT, in enum pdq_dihedral order. */
void pdq_dihedral_dct(const float b[16][16], enum pdq_dihedral which,
		      float ret_b[16][16]);

/* 64 lower-case hex digits and a NUL into out (65 bytes). */
void pdq_to_hex(const struct pdq_hash *h, char *out);
/* Parse 64 hex digits; -EINVAL unless exactly that. */
int pdq_from_hex(const char *hex, struct pdq_hash *ret)
	__attribute__((warn_unused_result));
/* 32 bytes, the hex form's byte order (words[15] high byte first). */
void pdq_to_bytes(const struct pdq_hash *h, uint8_t out[32]);
void pdq_from_bytes(const uint8_t in[32], struct pdq_hash *ret);

int pdq_hamming(const struct pdq_hash *a, const struct pdq_hash *b);
int pdq_get_bit(const struct pdq_hash *h, int k);

#endif
