/*
 * hash-image.h: everything winnow-hash computes for one image file and for
 * boxes (panels) inside it, from one read of the file and one decode.
 */
#ifndef WN_DEDUP_HASH_IMAGE_H
#define WN_DEDUP_HASH_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "dedup/imghash.h"
#include "dedup/pdq.h"
#include "lib/img.h"

#define HASH_MIN_SIDE_DEFAULT	256		/* fast mode decode target */
#define HASH_PANEL_MIN_SIDE	128		/* panels get at least this */
#define HASH_MAX_BYTES_DEFAULT	((size_t)256 << 20)

struct hash_opts {
	enum imghash_mode mode;	/* FAST: scaled decode, area resize;
				   COMPAT: full decode as Pillow, LANCZOS */
	int min_side;		/* FAST: JPEG short side kept >= this; 0 = default */
	int64_t max_pixels;	/* 0 = WN_IMG_MAX_PIXELS_DEFAULT */
	size_t max_bytes;	/* 0 = HASH_MAX_BYTES_DEFAULT */
};

/* A box in the stored image's pixel coordinates (a panel). */
struct hash_box {
	int x, y, w, h;
};

/* The hashes of one image or box. */
struct hash_value {
	int err;			/* 0, or why it could not be hashed */
	char pixel_sha256[65];		/* see hash_pixel_sha256() */
	struct pdq_result pdq;
	struct imghash ih;
};

struct hash_item {
	int err;			/* 0, or why the file failed as a whole */
	int have_sha256;		/* the bytes were read */
	char sha256[65];		/* of the file's bytes */
	enum wn_img_format format;
	int width, height;		/* as stored in the file */
	int dec_width, dec_height;	/* what was hashed (after DCT scaling) */
	struct hash_value img;
	struct hash_value *boxes;	/* owned: nboxes values */
	int nboxes;
};

/*
 * Decode the way Pillow 9.4 does before convert('L'): JPEG full size (ISLOW,
 * fancy upsampling), PNG with alpha ignored (not composited), 16-bit grey
 * clipped to 255 (Pillow's I -> L), 16-bit colour by its high byte, palettes
 * expanded; WebP with alpha ignored.  Grey sources give 1 channel, others 3.
 */
int hash_decode_compat(const uint8_t *buf, size_t len, int64_t max_pixels,
		       struct wn_image *ret_img)
	__attribute__((warn_unused_result));

/* 1 if the file stores grey samples (JPEG with one component, PNG grey or
   grey+alpha), 0 if colour or unknown. */
int hash_source_is_grey(const uint8_t *buf, size_t len);

/*
 * SHA-256 of the decoded pixels, as 64 hex digits: over the text
 * "RGB W H\n" then the W x H pixels as 8-bit RGB triples row by row (grey
 * samples repeated three times).  The same pixels in a PNG, a lossless WebP
 * or a re-saved file give the same value; it depends on the decode (DCT
 * scaling in fast mode), so compare it only between rows of one mode.
 */
int hash_pixel_sha256(const struct wn_image *img, char out[65])
	__attribute__((warn_unused_result));

/* All hashes of a decoded image (1 or 3 channels). */
int hash_value_compute(const struct wn_image *img, enum imghash_mode mode,
		       struct hash_value *ret)
	__attribute__((warn_unused_result));

/*
 * Read nothing: hash a file's bytes, and the boxes (may be NULL/0).  Per-file
 * problems (corrupt data, too big) are in ret->err, and the return value is
 * 0; a negative return is a failure of the process (-ENOMEM).
 */
int hash_bytes(const uint8_t *buf, size_t len, const struct hash_opts *o,
	       const struct hash_box *boxes, int nboxes, struct hash_item *ret)
	__attribute__((warn_unused_result));
/* Read the file (at most max_bytes) and hash_bytes() it. */
int hash_file(const char *path, const struct hash_opts *o,
	      const struct hash_box *boxes, int nboxes, struct hash_item *ret)
	__attribute__((warn_unused_result));
void hash_item_release(struct hash_item *it);

#endif
