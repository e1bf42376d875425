/*
 * digest.h: SHA-256 and MD5 through libcrypto (OpenSSL EVP).
 */
#ifndef WN_DIGEST_H
#define WN_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define WN_SHA256_LEN	32
#define WN_MD5_LEN	16

enum wn_digest_kind { WN_DIGEST_SHA256, WN_DIGEST_MD5 };

struct wn_digest {
	void *ctx;		/* owned: EVP_MD_CTX */
	enum wn_digest_kind kind;
};

int wn_digest_init(struct wn_digest *d, enum wn_digest_kind kind)
	__attribute__((warn_unused_result));
int wn_digest_update(struct wn_digest *d, const void *data, size_t len)
	__attribute__((warn_unused_result));
/* Writes 32 or 16 bytes; the context can be reused after wn_digest_init again. */
int wn_digest_final(struct wn_digest *d, uint8_t *out)
	__attribute__((warn_unused_result));
void wn_digest_release(struct wn_digest *d);

/* One-shot helpers; hex outputs are lower case and NUL-terminated. */
int wn_sha256(const void *data, size_t len, uint8_t out[WN_SHA256_LEN]);
int wn_sha256_hex(const void *data, size_t len, char out[2 * WN_SHA256_LEN + 1]);
int wn_md5_hex(const void *data, size_t len, char out[2 * WN_MD5_LEN + 1]);
/* SHA-256 of a file's bytes, streamed. */
int wn_sha256_file(const char *path, char out[2 * WN_SHA256_LEN + 1])
	__attribute__((warn_unused_result));

#endif
