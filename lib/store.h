/*
 * store.h: the content-addressed image store beside each database.
 *
 * A file lives at <store>/<first two hex digits>/<sha256>.<ext>.  It is written
 * to <store>/.tmp/, fsync'd, renamed into place and its directory fsync'd, so the
 * tree never holds a partial file; the `images` row (one per distinct SHA-256) is
 * inserted only after the rename.  The store directory is `struct wn_db`'s store.
 */
#ifndef WN_STORE_H
#define WN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/db.h"

#define WN_STORE_REL_MAX	96

struct wn_stored {
	char sha256[65];		/* hex */
	char rel[WN_STORE_REL_MAX];	/* "ab/ab12...ef.jpg", relative to the store */
	int64_t bytes;
	const char *format;		/* static: "jpeg", "png", "webp", "gif", or NULL */
	int width, height;		/* 0 if the header could not be read */
};

/*
 * Write data into the store (no database access).  ext_hint is used when the
 * bytes are not a known image format ("tif", "bin"...).  An existing file of the
 * same size is kept.  -errno on failure (-ENOSPC, -EACCES...).
 */
int wn_store_write(const char *store, const void *data, size_t len,
		   const char *ext_hint, struct wn_stored *ret)
	__attribute__((warn_unused_result));

/* Insert (or find) the images row of s, in the caller's transaction. */
int wn_store_add_row(struct wn_db *db, const struct wn_stored *s, int64_t *ret_image_id)
	__attribute__((warn_unused_result));

/* Remove leftovers of writers that were killed (files under <store>/.tmp).  Call it only
   while holding the store lock. */
int wn_store_clean_tmp(const char *store);

/* Exclusive lock on the store (<store>/.lock), non-blocking: 0 and *ret_fd, or
   -EWOULDBLOCK when another process holds it. */
int wn_store_lock(const char *store, int *ret_fd)
	__attribute__((warn_unused_result));
void wn_store_unlock(int fd);

/* Absolute path of a stored file into out. */
int wn_store_path(const char *store, const char *rel, char *out, size_t outsz);

#endif
