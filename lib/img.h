/*
 * img.h: image decoding (JPEG via libjpeg-turbo, PNG, WebP) into 8-bit buffers,
 * with hard limits checked before any pixel is decoded, and simple geometry.
 */
#ifndef WN_IMG_H
#define WN_IMG_H

#include <stddef.h>
#include <stdint.h>

enum wn_img_format {
	WN_IMG_UNKNOWN = 0,
	WN_IMG_JPEG,
	WN_IMG_PNG,
	WN_IMG_WEBP,
	WN_IMG_GIF,
};

struct wn_image {
	int width;
	int height;
	int channels;		/* 1 = grey, 3 = RGB */
	uint8_t *px;		/* owned: width * height * channels bytes, rows packed */
	int orig_width;		/* size stored in the file (before DCT scaling) */
	int orig_height;
	enum wn_img_format format;
};

#define WN_IMG_MAX_PIXELS_DEFAULT	((int64_t)100 * 1000 * 1000)
#define WN_IMG_MAX_SIDE			65500

struct wn_img_opts {
	int channels;		/* 1 or 3; 0 means 3 */
	int min_side;		/* >0: JPEG may be DCT-downscaled while the short
				   side stays >= min_side; 0 = full decode */
	int64_t max_pixels;	/* 0 = WN_IMG_MAX_PIXELS_DEFAULT */
};

/* Sniff the format from the first bytes. */
enum wn_img_format wn_img_sniff(const uint8_t *buf, size_t len);
const char *wn_img_format_name(enum wn_img_format f);

/* Read only the header: format and dimensions. */
int wn_img_probe(const uint8_t *buf, size_t len, enum wn_img_format *ret_fmt,
		 int *ret_w, int *ret_h)
	__attribute__((warn_unused_result));

/*
 * Decode.  Alpha is composited on white; 16-bit samples are reduced to 8 bits;
 * palettes are expanded; EXIF orientation is NOT applied (hashes are of the stored
 * pixels, as imagehash and PDQ do).  Errors: -WN_EFORMAT, -WN_ETOOBIG, -WN_ECORRUPT,
 * -WN_EUNSUPPORTED, -ENOMEM, -errno from reading the file.
 */
int wn_image_load_mem(const uint8_t *buf, size_t len, const struct wn_img_opts *opts,
		      struct wn_image *ret_img)
	__attribute__((warn_unused_result));
int wn_image_load_file(const char *path, const struct wn_img_opts *opts,
		       struct wn_image *ret_img)
	__attribute__((warn_unused_result));

void wn_image_release(struct wn_image *img);

/* New images; the source is unchanged.  Box is clamped to the image. */
int wn_image_crop(const struct wn_image *src, int x, int y, int w, int h,
		  struct wn_image *ret_img)
	__attribute__((warn_unused_result));
/* Box-filter (area average) resize to w x h. */
int wn_image_resize_area(const struct wn_image *src, int w, int h,
			 struct wn_image *ret_img)
	__attribute__((warn_unused_result));
/* RGB -> grey with Rec.601 luma (ITU-R 601-2, integer as Pillow's "L"). */
int wn_image_to_grey(const struct wn_image *src, struct wn_image *ret_img)
	__attribute__((warn_unused_result));

/* Encode as baseline JPEG (quality 1..100) into a malloc'd buffer. */
int wn_image_encode_jpeg(const struct wn_image *img, int quality, uint8_t **ret_buf,
			 size_t *ret_len)
	__attribute__((warn_unused_result));

/* Write an 8-bit PNG (grey or RGB), for debugging and reports. */
int wn_image_write_png(const struct wn_image *img, const char *path)
	__attribute__((warn_unused_result));

#endif
