/*
 * img.c: decode JPEG, PNG and WebP into packed 8-bit grey or RGB buffers.
 *
 * Every decoder reads the header first and refuses dimensions beyond the limit
 * before allocating for pixels.  libjpeg and libpng report errors by longjmp; the
 * handlers below turn that into -WN_ECORRUPT with nothing leaked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>

#include "lib/img.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define IMG_MAX_FILE_BYTES	((size_t)512 << 20)

enum wn_img_format
wn_img_sniff(const uint8_t *b, size_t n)
{
	if (n >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return WN_IMG_JPEG;
	if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
		return WN_IMG_PNG;
	if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
		return WN_IMG_WEBP;
	if (n >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0))
		return WN_IMG_GIF;
	return WN_IMG_UNKNOWN;
}

const char *
wn_img_format_name(enum wn_img_format f)
{
	switch (f) {
	case WN_IMG_JPEG: return "jpeg";
	case WN_IMG_PNG:  return "png";
	case WN_IMG_WEBP: return "webp";
	case WN_IMG_GIF:  return "gif";
	default:          return "unknown";
	}
}

void
wn_image_release(struct wn_image *img)
{
	if (img == NULL)
		return;
	free(img->px);
	memset(img, 0, sizeof(*img));
}

static int
check_size(int64_t w, int64_t h, const struct wn_img_opts *o)
{
	int64_t maxpx = o && o->max_pixels > 0 ? o->max_pixels : WN_IMG_MAX_PIXELS_DEFAULT;

	if (w <= 0 || h <= 0)
		return -WN_ECORRUPT;
	if (w > WN_IMG_MAX_SIDE || h > WN_IMG_MAX_SIDE || w * h > maxpx)
		return -WN_ETOOBIG;
	return 0;
}

static int
want_channels(const struct wn_img_opts *o)
{
	return o && o->channels == 1 ? 1 : 3;
}

static int
image_alloc(struct wn_image *img, int w, int h, int ch)
{
	img->px = malloc((size_t)w * (size_t)h * (size_t)ch);
	if (img->px == NULL)
		return -ENOMEM;
	img->width = w;
	img->height = h;
	img->channels = ch;
	return 0;
}

/* Rec.601 luma in integers, rounded, as Pillow's convert("L"). */
static inline uint8_t
luma(unsigned r, unsigned g, unsigned b)
{
	return (uint8_t)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
}

/* ---- JPEG ---------------------------------------------------------------- */

struct jpeg_err {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
};

static void
jpeg_error_exit(j_common_ptr cinfo)
{
	struct jpeg_err *e = (struct jpeg_err *)cinfo->err;

	(*cinfo->err->format_message)(cinfo, e->msg);
	longjmp(e->jb, 1);
}

static void
jpeg_quiet(j_common_ptr cinfo, int level)
{
	/* warnings (corrupt data recovered) are counted, not printed */
	if (level < 0)
		cinfo->err->num_warnings++;
}

static int
load_jpeg(const uint8_t *buf, size_t len, const struct wn_img_opts *o,
	  struct wn_image *img)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_err jerr;
	JSAMPROW row;
	uint8_t *volatile cmyk = NULL;
	volatile int rc = 0;
	volatile int ch = want_channels(o);

	memset(&cinfo, 0, sizeof(cinfo));
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = jpeg_error_exit;
	jerr.pub.emit_message = jpeg_quiet;
	if (setjmp(jerr.jb)) {
		wn_debug("jpeg: %s", jerr.msg);
		rc = -WN_ECORRUPT;
		goto out;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_mem_src(&cinfo, buf, (unsigned long)len);
	if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
		rc = -WN_ECORRUPT;
		goto out;
	}
	img->orig_width = (int)cinfo.image_width;
	img->orig_height = (int)cinfo.image_height;
	if ((rc = check_size(cinfo.image_width, cinfo.image_height, o)) < 0)
		goto out;
	if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)
		cinfo.out_color_space = JCS_CMYK;
	else
		cinfo.out_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
	if (o && o->min_side > 0) {
		unsigned shortside = cinfo.image_width < cinfo.image_height ?
				     cinfo.image_width : cinfo.image_height;
		unsigned denom = 8;

		/* largest reduction 1/8..1/1 keeping the short side >= min_side */
		while (denom > 1 && (shortside + denom - 1) / denom < (unsigned)o->min_side)
			denom /= 2;
		cinfo.scale_num = 1;
		cinfo.scale_denom = denom;
	}
	jpeg_start_decompress(&cinfo);
	if ((rc = image_alloc(img, (int)cinfo.output_width, (int)cinfo.output_height, ch)) < 0)
		goto out;
	if (cinfo.out_color_space == JCS_CMYK) {
		cmyk = malloc((size_t)cinfo.output_width * 4);
		if (cmyk == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		uint8_t *dst = img->px + (size_t)cinfo.output_scanline * img->width * ch;

		row = cmyk ? cmyk : dst;
		if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
			rc = -WN_ECORRUPT;
			goto out;
		}
		if (cmyk) {
			int inv = cinfo.saw_Adobe_marker;

			for (unsigned x = 0; x < cinfo.output_width; x++) {
				int c = cmyk[4 * x], m = cmyk[4 * x + 1];
				int yy = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
				int r, g, b;

				if (inv) {
					c = 255 - c;
					m = 255 - m;
					yy = 255 - yy;
					k = 255 - k;
				}
				r = 255 - c - k;
				g = 255 - m - k;
				b = 255 - yy - k;
				r = r < 0 ? 0 : r;
				g = g < 0 ? 0 : g;
				b = b < 0 ? 0 : b;
				if (ch == 1) {
					dst[x] = luma((unsigned)r, (unsigned)g, (unsigned)b);
				} else {
					dst[3 * x] = (uint8_t)r;
					dst[3 * x + 1] = (uint8_t)g;
					dst[3 * x + 2] = (uint8_t)b;
				}
			}
		}
	}
	/* a truncated file decodes with a warning and grey filler: refuse it */
	if (jerr.pub.num_warnings > 0) {
		wn_debug("jpeg: %ld warnings (truncated or corrupt data)",
			 jerr.pub.num_warnings);
		rc = -WN_ECORRUPT;
		goto out;
	}
	jpeg_finish_decompress(&cinfo);
	img->format = WN_IMG_JPEG;
out:
	jpeg_destroy_decompress(&cinfo);
	free(cmyk);
	if (rc < 0)
		wn_image_release(img);
	return rc;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- PNG ----------------------------------------------------------------- */

struct png_src {
	const uint8_t *buf;
	size_t len, pos;
};

static void
png_read_mem(png_structp png, png_bytep out, png_size_t n)
{
	struct png_src *s = png_get_io_ptr(png);

	if (n > s->len - s->pos)
		png_error(png, "truncated file");
	memcpy(out, s->buf + s->pos, n);
	s->pos += n;
}

static void
png_err(png_structp png, png_const_charp msg)
{
	wn_debug("png: %s", msg);
	png_longjmp(png, 1);
}

static void
png_warn(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int
load_png(const uint8_t *buf, size_t len, const struct wn_img_opts *o, struct wn_image *img)
{
	png_structp png;
	png_infop info = NULL;
	struct png_src src = { buf, len, 0 };
	uint8_t *volatile rgba = NULL;
	png_bytep *volatile rows = NULL;
	volatile int rc = 0;
	volatile int ch = want_channels(o);
	png_uint_32 w, h;
	int depth, ctype;

	/* the header is checked before libpng allocates anything for rows */
	if (len >= 24 && memcmp(buf + 12, "IHDR", 4) == 0) {
		int64_t hw = be32(buf + 16), hh = be32(buf + 20);

		img->orig_width = (int)(hw & 0x7fffffff);
		img->orig_height = (int)(hh & 0x7fffffff);
		if ((rc = check_size(hw, hh, o)) < 0)
			return rc;
	}
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_err, png_warn);
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
	if ((rc = check_size(w, h, o)) < 0)
		goto out;
	/* everything to 8-bit RGBA */
	if (depth == 16)
		png_set_strip_16(png);
	if (ctype == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);
	if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
		png_set_gray_to_rgb(png);
	png_set_add_alpha(png, 0xff, PNG_FILLER_AFTER);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	if (png_get_rowbytes(png, info) != (size_t)w * 4) {
		rc = -WN_EUNSUPPORTED;
		goto out;
	}
	rgba = malloc((size_t)w * h * 4);
	rows = malloc(sizeof(*rows) * h);
	if (rgba == NULL || rows == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (png_uint_32 y = 0; y < h; y++)
		rows[y] = rgba + (size_t)y * w * 4;
	png_read_image(png, rows);
	if ((rc = image_alloc(img, (int)w, (int)h, ch)) < 0)
		goto out;
	for (size_t i = 0; i < (size_t)w * h; i++) {
		const uint8_t *p = rgba + 4 * i;
		unsigned a = p[3], r = p[0], g = p[1], b = p[2];

		if (a != 255) {		/* composite on white */
			r = (r * a + 255 * (255 - a) + 127) / 255;
			g = (g * a + 255 * (255 - a) + 127) / 255;
			b = (b * a + 255 * (255 - a) + 127) / 255;
		}
		if (ch == 1) {
			img->px[i] = luma(r, g, b);
		} else {
			img->px[3 * i] = (uint8_t)r;
			img->px[3 * i + 1] = (uint8_t)g;
			img->px[3 * i + 2] = (uint8_t)b;
		}
	}
	img->format = WN_IMG_PNG;
out:
	png_destroy_read_struct(&png, &info, NULL);
	free(rgba);
	free(rows);
	if (rc < 0)
		wn_image_release(img);
	return rc;
}

/* ---- WebP ---------------------------------------------------------------- */

static int
load_webp(const uint8_t *buf, size_t len, const struct wn_img_opts *o, struct wn_image *img)
{
	int w, h, rc, ch = want_channels(o);
	uint8_t *rgba;

	if (!WebPGetInfo(buf, len, &w, &h))
		return -WN_ECORRUPT;
	img->orig_width = w;
	img->orig_height = h;
	if ((rc = check_size(w, h, o)) < 0)
		return rc;
	rgba = WebPDecodeRGBA(buf, len, &w, &h);
	if (rgba == NULL)
		return -WN_ECORRUPT;
	if ((rc = image_alloc(img, w, h, ch)) < 0) {
		WebPFree(rgba);
		return rc;
	}
	for (size_t i = 0; i < (size_t)w * h; i++) {
		const uint8_t *p = rgba + 4 * i;
		unsigned a = p[3], r = p[0], g = p[1], b = p[2];

		if (a != 255) {
			r = (r * a + 255 * (255 - a) + 127) / 255;
			g = (g * a + 255 * (255 - a) + 127) / 255;
			b = (b * a + 255 * (255 - a) + 127) / 255;
		}
		if (ch == 1) {
			img->px[i] = luma(r, g, b);
		} else {
			img->px[3 * i] = (uint8_t)r;
			img->px[3 * i + 1] = (uint8_t)g;
			img->px[3 * i + 2] = (uint8_t)b;
		}
	}
	WebPFree(rgba);
	img->format = WN_IMG_WEBP;
	return 0;
}

/* ---- header probe -------------------------------------------------------- */

int
wn_img_probe(const uint8_t *buf, size_t len, enum wn_img_format *ret_fmt, int *ret_w,
	     int *ret_h)
{
	enum wn_img_format f = wn_img_sniff(buf, len);
	int w = 0, h = 0;

	switch (f) {
	case WN_IMG_PNG:
		if (len < 24 || memcmp(buf + 12, "IHDR", 4) != 0)
			return -WN_ECORRUPT;
		w = (int)(be32(buf + 16) & 0x7fffffff);
		h = (int)(be32(buf + 20) & 0x7fffffff);
		break;
	case WN_IMG_WEBP:
		if (!WebPGetInfo(buf, len, &w, &h))
			return -WN_ECORRUPT;
		break;
	case WN_IMG_GIF:
		if (len < 10)
			return -WN_ECORRUPT;
		w = buf[6] | buf[7] << 8;
		h = buf[8] | buf[9] << 8;
		break;
	case WN_IMG_JPEG: {
		/* walk markers to the first SOFn */
		size_t i = 2;

		for (;;) {
			uint8_t m;
			size_t seglen;

			while (i < len && buf[i] == 0xff)
				i++;
			if (i + 3 > len)
				return -WN_ECORRUPT;
			m = buf[i++];
			if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01)
				continue;
			seglen = (size_t)buf[i] << 8 | buf[i + 1];
			if (seglen < 2 || i + seglen > len)
				return -WN_ECORRUPT;
			if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
				if (seglen < 7)
					return -WN_ECORRUPT;
				h = buf[i + 3] << 8 | buf[i + 4];
				w = buf[i + 5] << 8 | buf[i + 6];
				break;
			}
			i += seglen;
		}
		break;
	}
	default:
		return -WN_EFORMAT;
	}
	if (w <= 0 || h <= 0)
		return -WN_ECORRUPT;
	*ret_fmt = f;
	*ret_w = w;
	*ret_h = h;
	return 0;
}

int
wn_image_load_mem(const uint8_t *buf, size_t len, const struct wn_img_opts *opts,
		  struct wn_image *ret_img)
{
	struct wn_image img = { 0 };
	int rc;

	switch (wn_img_sniff(buf, len)) {
	case WN_IMG_JPEG:
		rc = load_jpeg(buf, len, opts, &img);
		break;
	case WN_IMG_PNG:
		rc = load_png(buf, len, opts, &img);
		break;
	case WN_IMG_WEBP:
		rc = load_webp(buf, len, opts, &img);
		break;
	case WN_IMG_GIF:
		rc = -WN_EUNSUPPORTED;
		break;
	default:
		rc = -WN_EFORMAT;
		break;
	}
	if (rc == 0)
		*ret_img = img;
	return rc;
}

int
wn_image_load_file(const char *path, const struct wn_img_opts *opts, struct wn_image *ret_img)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = wn_read_file(path, IMG_MAX_FILE_BYTES, &data, &len);
	if (rc < 0)
		return rc;
	rc = wn_image_load_mem((const uint8_t *)data, len, opts, ret_img);
	free(data);
	return rc;
}

/* ---- geometry ------------------------------------------------------------ */

int
wn_image_crop(const struct wn_image *src, int x, int y, int w, int h, struct wn_image *ret_img)
{
	struct wn_image out = { 0 };
	int rc, ch = src->channels;

	if (x < 0) {
		w += x;
		x = 0;
	}
	if (y < 0) {
		h += y;
		y = 0;
	}
	if (x + w > src->width)
		w = src->width - x;
	if (y + h > src->height)
		h = src->height - y;
	if (w <= 0 || h <= 0)
		return -EINVAL;
	if ((rc = image_alloc(&out, w, h, ch)) < 0)
		return rc;
	for (int r = 0; r < h; r++)
		memcpy(out.px + (size_t)r * w * ch,
		       src->px + ((size_t)(y + r) * src->width + x) * ch, (size_t)w * ch);
	out.orig_width = w;
	out.orig_height = h;
	out.format = src->format;
	*ret_img = out;
	return 0;
}

/*
 * Area-average resampling: each output pixel is the mean of the source area it
 * covers, with fractional weights at the edges.  Separable: rows, then columns.
 */
int
wn_image_resize_area(const struct wn_image *src, int w, int h, struct wn_image *ret_img)
{
	struct wn_image out = { 0 };
	int ch = src->channels, rc = 0;
	float *tmp = NULL;
	double sx = (double)src->width / w, sy = (double)src->height / h;

	if (w <= 0 || h <= 0 || w > WN_IMG_MAX_SIDE || h > WN_IMG_MAX_SIDE)
		return -EINVAL;
	tmp = malloc(sizeof(float) * (size_t)w * src->height * ch);
	if (tmp == NULL)
		return -ENOMEM;
	if ((rc = image_alloc(&out, w, h, ch)) < 0)
		goto out;
	/* horizontal pass */
	for (int ox = 0; ox < w; ox++) {
		double x0 = ox * sx, x1 = x0 + sx;
		int i0 = (int)x0, i1 = (int)x1;

		if (i1 >= src->width)
			i1 = src->width - 1;
		for (int r = 0; r < src->height; r++) {
			const uint8_t *row = src->px + (size_t)r * src->width * ch;

			for (int c = 0; c < ch; c++) {
				double acc = 0, wsum = 0;

				for (int i = i0; i <= i1; i++) {
					double lo = i > x0 ? i : x0, hi = i + 1 < x1 ? i + 1 : x1;
					double wt = hi - lo;

					if (wt <= 0)
						continue;
					acc += wt * row[i * ch + c];
					wsum += wt;
				}
				tmp[((size_t)r * w + ox) * ch + c] =
					(float)(wsum > 0 ? acc / wsum : row[i0 * ch + c]);
			}
		}
	}
	/* vertical pass */
	for (int oy = 0; oy < h; oy++) {
		double y0 = oy * sy, y1 = y0 + sy;
		int j0 = (int)y0, j1 = (int)y1;

		if (j1 >= src->height)
			j1 = src->height - 1;
		for (int ox = 0; ox < w; ox++) {
			for (int c = 0; c < ch; c++) {
				double acc = 0, wsum = 0;

				for (int j = j0; j <= j1; j++) {
					double lo = j > y0 ? j : y0, hi = j + 1 < y1 ? j + 1 : y1;
					double wt = hi - lo;

					if (wt <= 0)
						continue;
					acc += wt * tmp[((size_t)j * w + ox) * ch + c];
					wsum += wt;
				}
				if (wsum <= 0)
					acc = tmp[((size_t)j0 * w + ox) * ch + c], wsum = 1;
				out.px[((size_t)oy * w + ox) * ch + c] =
					(uint8_t)(acc / wsum + 0.5);
			}
		}
	}
	out.orig_width = w;
	out.orig_height = h;
	out.format = src->format;
	*ret_img = out;
	out = (struct wn_image){ 0 };
out:
	free(tmp);
	wn_image_release(&out);
	return rc;
}

int
wn_image_to_grey(const struct wn_image *src, struct wn_image *ret_img)
{
	struct wn_image out = { 0 };
	size_t n = (size_t)src->width * src->height;
	int rc;

	if ((rc = image_alloc(&out, src->width, src->height, 1)) < 0)
		return rc;
	if (src->channels == 1) {
		memcpy(out.px, src->px, n);
	} else {
		for (size_t i = 0; i < n; i++)
			out.px[i] = luma(src->px[3 * i], src->px[3 * i + 1], src->px[3 * i + 2]);
	}
	out.orig_width = src->orig_width;
	out.orig_height = src->orig_height;
	out.format = src->format;
	*ret_img = out;
	return 0;
}

int
wn_image_encode_jpeg(const struct wn_image *img, int quality, uint8_t **ret_buf,
		     size_t *ret_len)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_err jerr;
	unsigned char *volatile buf = NULL;
	unsigned long len = 0;

	memset(&cinfo, 0, sizeof(cinfo));
	cinfo.err = jpeg_std_error(&jerr.pub);
	jerr.pub.error_exit = jpeg_error_exit;
	if (setjmp(jerr.jb)) {
		jpeg_destroy_compress(&cinfo);
		free(buf);
		return -EIO;
	}
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, (unsigned char **)&buf, &len);
	cinfo.image_width = (JDIMENSION)img->width;
	cinfo.image_height = (JDIMENSION)img->height;
	cinfo.input_components = img->channels;
	cinfo.in_color_space = img->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&cinfo);
	jpeg_set_quality(&cinfo, quality, TRUE);
	jpeg_start_compress(&cinfo, TRUE);
	while (cinfo.next_scanline < cinfo.image_height) {
		JSAMPROW row = img->px + (size_t)cinfo.next_scanline * img->width * img->channels;

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int
wn_image_write_png(const struct wn_image *img, const char *path)
{
	png_structp png;
	png_infop info;
	FILE *f;
	volatile int rc = 0;

	f = fopen(path, "wb");
	if (f == NULL)
		return -errno;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_err, png_warn);
	info = png ? png_create_info_struct(png) : NULL;
	if (png == NULL || info == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (setjmp(png_jmpbuf(png))) {
		rc = -EIO;
		goto out;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
		     img->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < img->height; y++)
		png_write_row(png, img->px + (size_t)y * img->width * img->channels);
	png_write_end(png, NULL);
out:
	png_destroy_write_struct(&png, &info);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	return rc;
}
