/*
 * hash-image.c: one read, one decode, every hash: SHA-256 of the bytes, the
 * pixels' SHA-256, PDQ with its dihedral hashes, pHash, dHash and aHash, for
 * the image and for boxes (panels) cut from the same decode.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/hash-image.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/util.h"

int
hash_pixel_sha256(const struct wn_image *img, char out[65])
{
	struct wn_digest d = { 0 };
	uint8_t md[WN_SHA256_LEN];
	uint8_t *row = NULL;
	char head[64];
	int n, y, x, rc;

	n = snprintf(head, sizeof(head), "RGB %d %d\n", img->width, img->height);
	if ((rc = wn_digest_init(&d, WN_DIGEST_SHA256)) < 0)
		return rc;
	if ((rc = wn_digest_update(&d, head, (size_t)n)) < 0)
		goto out;
	if (img->channels == 1) {
		row = malloc((size_t)img->width * 3);
		if (row == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	for (y = 0; y < img->height; y++) {
		const uint8_t *p = img->px + (size_t)y * img->width * img->channels;

		if (row != NULL) {
			for (x = 0; x < img->width; x++)
				row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = p[x];
			p = row;
		}
		if ((rc = wn_digest_update(&d, p, (size_t)img->width * 3)) < 0)
			goto out;
	}
	if ((rc = wn_digest_final(&d, md)) < 0)
		goto out;
	wn_hex(md, sizeof(md), out);
	rc = 0;
out:
	free(row);
	wn_digest_release(&d);
	return rc;
}

int
hash_value_compute(const struct wn_image *img, enum imghash_mode mode,
		   struct hash_value *ret)
{
	struct hash_value v = { 0 };
	struct imghash_grey g = { 0 };
	size_t stride = (size_t)img->width * img->channels;
	int rc;

	if ((rc = hash_pixel_sha256(img, v.pixel_sha256)) < 0)
		goto out;
	if ((rc = pdq_hash_pixels(img->px, img->width, img->height,
				  img->channels, stride, &v.pdq)) < 0)
		goto out;
	if ((rc = imghash_grey_from_pixels(img->px, img->width, img->height,
					   img->channels, stride, &g)) < 0)
		goto out;
	if ((rc = imghash_compute(&g, mode, &v.ih)) < 0)
		goto out;
	*ret = v;
	rc = 0;
out:
	imghash_grey_release(&g);
	return rc;
}

/* The box, scaled from stored to decoded coordinates and clamped; 0 if empty. */
static int
scale_box(const struct hash_box *b, int ow, int oh, int dw, int dh,
	  int *x, int *y, int *w, int *h)
{
	double sx = (double)dw / ow, sy = (double)dh / oh;
	long x0 = (long)floor(b->x * sx), y0 = (long)floor(b->y * sy);
	long x1 = (long)ceil(((double)b->x + b->w) * sx);
	long y1 = (long)ceil(((double)b->y + b->h) * sy);

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > dw)
		x1 = dw;
	if (y1 > dh)
		y1 = dh;
	if (x1 <= x0 || y1 <= y0)
		return 0;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return 1;
}

/* A crop of the decoded image with its channel count kept. */
static int
crop(const struct wn_image *src, int x, int y, int w, int h,
     struct wn_image *ret)
{
	size_t rb = (size_t)w * src->channels;
	uint8_t *px = malloc(rb * h);
	int r;

	if (px == NULL)
		return -ENOMEM;
	for (r = 0; r < h; r++)
		memcpy(px + (size_t)r * rb, src->px + ((size_t)(y + r) * src->width + x) *
		       src->channels, rb);
	*ret = (struct wn_image){ .width = w, .height = h, .channels = src->channels,
				  .px = px, .orig_width = w, .orig_height = h,
				  .format = src->format };
	return 0;
}

/* Decode for the mode; grey sources become 1 channel in both modes. */
static int
decode(const uint8_t *buf, size_t len, const struct hash_opts *o, int min_side,
       struct wn_image *ret)
{
	struct wn_img_opts io = { .channels = 3, .min_side = min_side,
				  .max_pixels = o->max_pixels };
	int rc;

	if (o->mode == IMGHASH_COMPAT)
		return hash_decode_compat(buf, len, o->max_pixels, ret);
	rc = wn_image_load_mem(buf, len, &io, ret);
	if (rc == 0 && ret->channels == 3 && hash_source_is_grey(buf, len)) {
		size_t n = (size_t)ret->width * ret->height, i;

		for (i = 0; i < n; i++)
			ret->px[i] = ret->px[3 * i];
		ret->channels = 1;
	}
	return rc;
}

static int
hash_box_value(const struct wn_image *img, const struct hash_box *b,
	       enum imghash_mode mode, struct hash_value *ret)
{
	struct wn_image c = { 0 };
	int x, y, w, h, rc;

	if (!scale_box(b, img->orig_width, img->orig_height, img->width,
		       img->height, &x, &y, &w, &h)) {
		memset(ret, 0, sizeof(*ret));
		ret->err = -EINVAL;	/* the box lies outside the image */
		return 0;
	}
	if ((rc = crop(img, x, y, w, h, &c)) < 0)
		return rc;
	rc = hash_value_compute(&c, mode, ret);
	wn_image_release(&c);
	return rc;
}

static int
is_fatal(int rc)
{
	return rc == -ENOMEM;
}

int
hash_bytes(const uint8_t *buf, size_t len, const struct hash_opts *opts,
	   const struct hash_box *boxes, int nboxes, struct hash_item *ret)
{
	struct hash_opts o = opts ? *opts : (struct hash_opts){ 0 };
	struct hash_item it = { 0 };
	struct wn_image img = { 0 }, big = { 0 };
	const struct wn_image *pimg;
	int min_side, rc, i;

	if (o.min_side <= 0)
		o.min_side = HASH_MIN_SIDE_DEFAULT;
	if (o.max_pixels <= 0)
		o.max_pixels = WN_IMG_MAX_PIXELS_DEFAULT;
	if (nboxes < 0 || (nboxes > 0 && boxes == NULL))
		return -EINVAL;
	if ((rc = wn_sha256_hex(buf, len, it.sha256)) < 0)
		goto out;
	it.have_sha256 = 1;
	it.format = wn_img_sniff(buf, len);
	if (nboxes > 0) {
		it.boxes = calloc((size_t)nboxes, sizeof(*it.boxes));
		if (it.boxes == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		it.nboxes = nboxes;
	}
	min_side = o.mode == IMGHASH_COMPAT ? 0 : o.min_side;
	rc = decode(buf, len, &o, min_side, &img);
	if (rc < 0) {
		if (is_fatal(rc))
			goto out;
		it.err = it.img.err = rc;
		for (i = 0; i < nboxes; i++)
			it.boxes[i].err = rc;
		rc = 0;
		goto done;
	}
	it.width = img.orig_width;
	it.height = img.orig_height;
	it.dec_width = img.width;
	it.dec_height = img.height;
	rc = hash_value_compute(&img, o.mode, &it.img);
	if (rc < 0)
		goto out;

	/*
	 * Panels get their own, larger decode when the scaled one would leave
	 * the smallest of them under HASH_PANEL_MIN_SIDE pixels a side.
	 */
	pimg = &img;
	if (nboxes > 0 && (img.width < img.orig_width || img.height < img.orig_height)) {
		int small = img.orig_width < img.orig_height ? img.orig_width : img.orig_height;
		int need = small, m;

		for (i = 0; i < nboxes; i++) {
			m = boxes[i].w < boxes[i].h ? boxes[i].w : boxes[i].h;
			if (m > 0 && (int64_t)m * img.width < (int64_t)HASH_PANEL_MIN_SIDE * img.orig_width &&
			    m < need)
				need = m;
		}
		if (need < small) {
			int64_t ms = ((int64_t)HASH_PANEL_MIN_SIDE * small + need - 1) / need;

			rc = decode(buf, len, &o, ms >= small ? 0 : (int)ms, &big);
			if (rc < 0 && is_fatal(rc))
				goto out;
			if (rc == 0)
				pimg = &big;
		}
	}
	for (i = 0; i < nboxes; i++) {
		rc = hash_box_value(pimg, &boxes[i], o.mode, &it.boxes[i]);
		if (rc < 0)
			goto out;
	}
done:
	*ret = it;
	it = (struct hash_item){ 0 };
	rc = 0;
out:
	wn_image_release(&img);
	wn_image_release(&big);
	hash_item_release(&it);
	return rc;
}

int
hash_file(const char *path, const struct hash_opts *o,
	  const struct hash_box *boxes, int nboxes, struct hash_item *ret)
{
	size_t max = o && o->max_bytes ? o->max_bytes : HASH_MAX_BYTES_DEFAULT;
	char *data = NULL;
	size_t len = 0;
	int rc, i;

	rc = wn_read_file(path, max, &data, &len);
	if (rc < 0) {
		if (is_fatal(rc))
			return rc;
		memset(ret, 0, sizeof(*ret));
		ret->err = ret->img.err = rc;
		if (nboxes > 0) {
			ret->boxes = calloc((size_t)nboxes, sizeof(*ret->boxes));
			if (ret->boxes == NULL)
				return -ENOMEM;
			ret->nboxes = nboxes;
			for (i = 0; i < nboxes; i++)
				ret->boxes[i].err = rc;
		}
		return 0;
	}
	rc = hash_bytes((const uint8_t *)data, len, o, boxes, nboxes, ret);
	free(data);
	return rc;
}

void
hash_item_release(struct hash_item *it)
{
	if (it == NULL)
		return;
	free(it->boxes);
	it->boxes = NULL;
	it->nboxes = 0;
}
