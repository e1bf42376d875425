/*
 * digest.c: SHA-256 and MD5 through OpenSSL's EVP interface.
 */
#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "lib/digest.h"
#include "lib/util.h"
#include "lib/banned.h"

int
wn_digest_init(struct wn_digest *d, enum wn_digest_kind kind)
{
	EVP_MD_CTX *ctx = d->ctx;

	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL)
			return -ENOMEM;
	}
	if (EVP_DigestInit_ex(ctx, kind == WN_DIGEST_MD5 ? EVP_md5() : EVP_sha256(),
			      NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		d->ctx = NULL;
		return -EIO;
	}
	d->ctx = ctx;
	d->kind = kind;
	return 0;
}

int
wn_digest_update(struct wn_digest *d, const void *data, size_t len)
{
	return EVP_DigestUpdate(d->ctx, data, len) == 1 ? 0 : -EIO;
}

int
wn_digest_final(struct wn_digest *d, uint8_t *out)
{
	unsigned int n;

	return EVP_DigestFinal_ex(d->ctx, out, &n) == 1 ? 0 : -EIO;
}

void
wn_digest_release(struct wn_digest *d)
{
	EVP_MD_CTX_free(d->ctx);
	d->ctx = NULL;
}

static int
digest_once(enum wn_digest_kind kind, const void *data, size_t len, uint8_t *out)
{
	struct wn_digest d = { 0 };
	int rc;

	if ((rc = wn_digest_init(&d, kind)) == 0 &&
	    (rc = wn_digest_update(&d, data, len)) == 0)
		rc = wn_digest_final(&d, out);
	wn_digest_release(&d);
	return rc;
}

int
wn_sha256(const void *data, size_t len, uint8_t out[WN_SHA256_LEN])
{
	return digest_once(WN_DIGEST_SHA256, data, len, out);
}

int
wn_sha256_hex(const void *data, size_t len, char out[2 * WN_SHA256_LEN + 1])
{
	uint8_t raw[WN_SHA256_LEN];
	int rc = wn_sha256(data, len, raw);

	if (rc == 0)
		wn_hex(raw, sizeof(raw), out);
	return rc;
}

int
wn_md5_hex(const void *data, size_t len, char out[2 * WN_MD5_LEN + 1])
{
	uint8_t raw[WN_MD5_LEN];
	int rc = digest_once(WN_DIGEST_MD5, data, len, raw);

	if (rc == 0)
		wn_hex(raw, sizeof(raw), out);
	return rc;
}

int
wn_sha256_file(const char *path, char out[2 * WN_SHA256_LEN + 1])
{
	struct wn_digest d = { 0 };
	uint8_t raw[WN_SHA256_LEN];
	char chunk[65536];
	size_t n;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL)
		return -errno;
	if ((rc = wn_digest_init(&d, WN_DIGEST_SHA256)) < 0)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = wn_digest_update(&d, chunk, n)) < 0)
			goto out;
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	if ((rc = wn_digest_final(&d, raw)) == 0)
		wn_hex(raw, sizeof(raw), out);
out:
	wn_digest_release(&d);
	fclose(f);
	return rc;
}
