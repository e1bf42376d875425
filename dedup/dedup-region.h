/*
 * dedup-region.h: a small crop- and pad-tolerant image descriptor, for the edits
 * that move every global hash to random distance (crops, borders, panel cut-outs).
 *
 * The image is decoded grey (DCT-downscaled), uniform borders are trimmed (a pad
 * disappears), and 16 x 16 area means of windows of the content are taken: the whole
 * content, then a 3 x 3 grid of positions at 95 and 90 % of each side and a 5 x 5 grid
 * at 85 and 80 %.  Each window is mean-centred and L2-normalised, so a dot product is
 * the Pearson correlation of two thumbnails.  Two items are compared by the best of:
 * the whole of one against every window of the other (a crop of A is one of A's
 * windows), the whole of one under the 8 rotations and flips against the whole of the
 * other, and the four 80 % corner windows against the same corner of the other (an
 * overlay in one corner leaves the opposite corner intact).
 */
#ifndef DEDUP_REGION_H
#define DEDUP_REGION_H

#include <stddef.h>

#define DEDUP_REGION_SIDE	16
#define DEDUP_REGION_DIM	(DEDUP_REGION_SIDE * DEDUP_REGION_SIDE)
#define DEDUP_REGION_SCALES	4
#define DEDUP_REGION_WINDOWS	(1 + 9 + 9 + 25 + 25)
/* A 64 x 64 grey thumbnail of the content follows the windows, for alignment. */
#define DEDUP_REGION_FINE	64
#define DEDUP_REGION_FLOATS	((size_t)DEDUP_REGION_WINDOWS * DEDUP_REGION_DIM + \
				 DEDUP_REGION_FINE * DEDUP_REGION_FINE)
/* Indexes of the four corner windows at 80 %. */
#define DEDUP_REGION_CORNER(c)	(44 + ((int[]){ 0, 4, 20, 24 })[c])

struct dedup_region_info {
	int width;		/* stored size of the image */
	int height;
	int content_w;		/* after trimming uniform borders, in stored pixels */
	int content_h;
	int flat;		/* the content has no structure: no descriptor */
	int cquality;		/* PDQ quality of the content without borders */
	unsigned char cpdq[8][32];	/* its 8 dihedral PDQ hashes (bytes of the hex) */
};

/*
 * Decode path and write DEDUP_REGION_FLOATS floats to ret_v: DEDUP_REGION_WINDOWS
 * descriptors (window 0 = the whole content) of DEDUP_REGION_DIM floats, then the
 * 64 x 64 thumbnail.  Errors from the decoder.
 */
int dedup_region_compute(const char *path, float *ret_v, struct dedup_region_info *ret_info)
	__attribute__((warn_unused_result));

/* The same for the box x, y, w, h of the image (a panel); w <= 0: whole image. */
int dedup_region_compute_box(const char *path, int x, int y, int w, int h, float *ret_v,
			     struct dedup_region_info *ret_info)
	__attribute__((warn_unused_result));

/* The same from packed 8-bit grey pixels. */
int dedup_region_from_grey(const unsigned char *px, int w, int h, float *ret_v,
			   struct dedup_region_info *ret_info)
	__attribute__((warn_unused_result));

/* Storage form: per window a little-endian float32 scale and 256 int8 values,
   then the thumbnail as 4096 bytes, then the content PDQ (1 quality byte and the
   8 dihedral hashes). */
#define DEDUP_REGION_PACKED	((size_t)DEDUP_REGION_WINDOWS * (4 + DEDUP_REGION_DIM) + \
				 DEDUP_REGION_FINE * DEDUP_REGION_FINE + 1 + 256)
void dedup_region_pack(const float *v, const struct dedup_region_info *info,
		       unsigned char *out);
int dedup_region_unpack(const unsigned char *in, size_t len, float *ret_v,
			struct dedup_region_info *ret_info)
	__attribute__((warn_unused_result));

/* The descriptor of the whole content under dihedral transform t (1..7, the PDQ
   order: rot90, rot180, rot270, flipX, flipY, flip+1, flip-1). */
void dedup_region_dihedral(const float *in, int t, float *out);

/* The best correlation of the comparisons above. */
float dedup_region_score(const float *a, const float *b);

/*
 * The same, and when the best comparison was a whole content against a window and
 * scored at least refine_from, an alignment search around that window (scale and
 * position, +-3 % of a side) comparing 32 x 32 samples of the thumbnails: a crop
 * whose edges fall between the fixed windows scores high here, and unrelated
 * images that only look alike at 16 x 16 do not.  *ret_fine is -2 when not run.
 */
float dedup_region_compare(const float *a, const float *b, float refine_from,
			   float *ret_fine);

#endif
