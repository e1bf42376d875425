/*
 * hash-decode.c: the decode of --compat mode, which must hand convert('L')
 * the same samples Pillow 9.4 would: alpha ignored rather than composited,
 * 16-bit grey clipped (Pillow opens it as mode I, and I -> L clips), 16-bit
 * colour reduced to its high byte, grey kept as one channel.  JPEG goes
 * through libwinnow's full-size decode (libjpeg-turbo defaults, as Pillow
 * without draft()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <webp/decode.h>

#include "dedup/hash-image.h"
#include "lib/img.h"
#include "lib/log.h"

struct png_src {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

static void
png_read_mem(png_structp png, png_bytep out, png_size_t n)
{
	struct png_src *s = png_get_io_ptr(png);

	if (n > s->len - s->pos)
		png_error(png, "truncated");
	memcpy(out, s->buf + s->pos, n);
	s->pos += n;
}

static void
png_quiet_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void
png_quiet_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/* 1-channel result from an image decoded to 3 grey-equal channels. */
static int
keep_first_channel(struct wn_image *img)
{
	size_t n = (size_t)img->width * img->height, i;

	if (img->channels == 1)
		return 0;
	for (i = 0; i < n; i++)
		img->px[i] = img->px[3 * i];
	img->channels = 1;
	return 0;
}

int
hash_source_is_grey(const uint8_t *buf, size_t len)
{
	size_t i;

	if (len >= 26 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	    memcmp(buf + 12, "IHDR", 4) == 0)
		return buf[25] == 0 || buf[25] == 4;
	if (len < 4 || buf[0] != 0xff || buf[1] != 0xd8)
		return 0;
	/* JPEG: walk the markers to the first SOFn and read its Nf */
	i = 2;
	while (i + 4 <= len) {
		unsigned m, seglen;

		if (buf[i] != 0xff)
			return 0;
		m = buf[i + 1];
		if (m == 0xff) {		/* fill byte */
			i++;
			continue;
		}
		if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) {
			i += 2;
			continue;
		}
		seglen = (unsigned)buf[i + 2] << 8 | buf[i + 3];
		if (seglen < 2)
			return 0;
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
			return i + 9 < len && buf[i + 9] == 1;
		if (m == 0xda || m == 0xd9)
			return 0;
		i += 2 + seglen;
	}
	return 0;
}

static int
decode_png_compat(const uint8_t *buf, size_t len, int64_t max_pixels,
		  struct wn_image *img)
{
	struct png_src src = { buf, len, 0 };
	png_structp png;
	png_infop info = NULL;
	uint8_t *volatile raw = NULL;
	png_bytep *volatile rows = NULL;
	volatile int rc = 0;
	png_uint_32 w, h, y, x;
	int depth, ctype, nch, grey16, outch;
	size_t rowbytes;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
				     png_quiet_error, png_quiet_warning);
	if (png == NULL)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (info == NULL) {
		png_destroy_read_struct(&png, NULL, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		rc = rc ? rc : -WN_ECORRUPT;
		goto out;
	}
	png_set_user_limits(png, WN_IMG_MAX_SIDE, WN_IMG_MAX_SIDE);
	png_set_chunk_malloc_max(png, 64 << 20);
	png_set_read_fn(png, &src, png_read_mem);
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
	img->orig_width = (int)w;
	img->orig_height = (int)h;
	if (w == 0 || h == 0 || (int64_t)w * h > max_pixels) {
		rc = -WN_ETOOBIG;
		goto out;
	}
	grey16 = depth == 16 && ctype == PNG_COLOR_TYPE_GRAY;
	if (depth == 16 && !grey16)
		png_set_strip_16(png);		/* the high byte, as Pillow */
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	nch = png_get_channels(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if (nch < 1 || nch > 4 || rowbytes != (size_t)w * nch * (grey16 ? 2 : 1)) {
		rc = -WN_EUNSUPPORTED;
		goto out;
	}
	raw = malloc(rowbytes * h);
	rows = malloc(sizeof(*rows) * h);
	if (raw == NULL || rows == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (y = 0; y < h; y++)
		rows[y] = raw + (size_t)y * rowbytes;
	png_read_image(png, rows);
	outch = nch <= 2 ? 1 : 3;
	img->px = malloc((size_t)w * h * outch);
	if (img->px == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (y = 0; y < h; y++) {
		const uint8_t *r = rows[y];
		uint8_t *o = img->px + (size_t)y * w * outch;

		for (x = 0; x < w; x++) {
			if (grey16) {
				unsigned v = (unsigned)r[2 * x] << 8 | r[2 * x + 1];

				o[x] = v > 255 ? 255 : (uint8_t)v;
			} else if (outch == 1) {
				o[x] = r[(size_t)x * nch];
			} else {
				memcpy(o + 3 * (size_t)x, r + (size_t)x * nch, 3);
			}
		}
	}
	img->width = (int)w;
	img->height = (int)h;
	img->channels = outch;
	img->format = WN_IMG_PNG;
out:
	png_destroy_read_struct(&png, &info, NULL);
	free(raw);
	free(rows);
	if (rc < 0)
		wn_image_release(img);
	return rc;
}

static int
decode_webp_compat(const uint8_t *buf, size_t len, int64_t max_pixels,
		   struct wn_image *img)
{
	int w = 0, h = 0;
	uint8_t *rgb;

	if (!WebPGetInfo(buf, len, &w, &h))
		return -WN_ECORRUPT;
	img->orig_width = w;
	img->orig_height = h;
	if (w <= 0 || h <= 0 || (int64_t)w * h > max_pixels)
		return -WN_ETOOBIG;
	rgb = WebPDecodeRGB(buf, len, &w, &h);	/* alpha dropped, not composited */
	if (rgb == NULL)
		return -WN_ECORRUPT;
	img->px = malloc((size_t)w * h * 3);
	if (img->px == NULL) {
		WebPFree(rgb);
		return -ENOMEM;
	}
	memcpy(img->px, rgb, (size_t)w * h * 3);
	WebPFree(rgb);
	img->width = w;
	img->height = h;
	img->channels = 3;
	img->format = WN_IMG_WEBP;
	return 0;
}

int
hash_decode_compat(const uint8_t *buf, size_t len, int64_t max_pixels,
		   struct wn_image *ret_img)
{
	struct wn_img_opts io = { .channels = 3, .min_side = 0,
				  .max_pixels = max_pixels };
	struct wn_image img = { 0 };
	int rc;

	if (max_pixels <= 0)
		max_pixels = io.max_pixels = WN_IMG_MAX_PIXELS_DEFAULT;
	switch (wn_img_sniff(buf, len)) {
	case WN_IMG_PNG:
		rc = decode_png_compat(buf, len, max_pixels, &img);
		break;
	case WN_IMG_WEBP:
		rc = decode_webp_compat(buf, len, max_pixels, &img);
		break;
	default:
		rc = wn_image_load_mem(buf, len, &io, &img);
		if (rc == 0 && hash_source_is_grey(buf, len))
			rc = keep_first_channel(&img);
		break;
	}
	if (rc < 0)
		return rc;
	*ret_img = img;
	return 0;
}
