/*
 * imghash.h: the 64-bit perceptual hashes of Python's imagehash 4.3 (pHash,
 * dHash, aHash), in imagehash's bit order, in two modes:
 *
 *  - compat: Pillow 9.4's convert('L') (ITU-R 601-2 luma in 16-bit fixed
 *    point) and Image.resize(LANCZOS) (8-bit fixed-point separable kernels,
 *    horizontal pass first), so that a full-resolution decode gives the same
 *    bits as imagehash;
 *  - fast: the same luma, then an exact area-average resize in double of an
 *    image that may already have been downscaled by the decoder.
 *
 * Bit order: row-major over the hash grid, the first bit the most significant
 * of the uint64_t; the hex form is 16 lower-case digits of that number, which
 * is what imagehash prints (str(hash)).
 */
#ifndef WN_DEDUP_IMGHASH_H
#define WN_DEDUP_IMGHASH_H

#include <stddef.h>
#include <stdint.h>

enum imghash_mode {
	IMGHASH_FAST = 0,
	IMGHASH_COMPAT,
};

struct imghash {
	uint64_t phash;
	uint64_t dhash;
	uint64_t ahash;
};

/* An 8-bit grey image (owned pixels). */
struct imghash_grey {
	int width;
	int height;
	uint8_t *px;		/* owned: width * height bytes */
};

/*
 * Pillow's "L" from 8-bit RGB: (R*19595 + G*38470 + B*7471 + 0x8000) >> 16;
 * grey (channels 1) is copied.  stride in bytes.  Returns 0 or -ENOMEM/-EINVAL.
 */
int imghash_grey_from_pixels(const uint8_t *px, int width, int height,
			     int channels, size_t stride,
			     struct imghash_grey *ret)
	__attribute__((warn_unused_result));
void imghash_grey_release(struct imghash_grey *g);

/*
 * Pillow's LANCZOS resize of an 8-bit grey image to out_w x out_h, bit-exact
 * (8-bit intermediate after the horizontal pass).  out holds out_w * out_h.
 */
int imghash_resize_lanczos(const uint8_t *in, int w, int h, uint8_t *out,
			   int out_w, int out_h)
	__attribute__((warn_unused_result));

/* Area-average resize (each output pixel the mean of the input area it covers,
   fractional coverage at the edges), in double. */
int imghash_resize_area(const uint8_t *in, int w, int h, double *out,
			int out_w, int out_h)
	__attribute__((warn_unused_result));

/* The three hashes of a grey image in the given mode. */
int imghash_compute(const struct imghash_grey *g, enum imghash_mode mode,
		    struct imghash *ret)
	__attribute__((warn_unused_result));

/* The hashes from already resized grids (values as doubles):
   32x32 for pHash, 9 wide x 8 high for dHash, 8x8 for aHash. */
uint64_t imghash_phash_grid(const double px[32 * 32]);
uint64_t imghash_dhash_grid(const double px[8 * 9]);
uint64_t imghash_ahash_grid(const double px[8 * 8]);

/* 16 lower-case hex digits and a NUL (17 bytes). */
void imghash_to_hex(uint64_t v, char *out);
int imghash_from_hex(const char *hex, uint64_t *ret)
	__attribute__((warn_unused_result));

#endif
