/*
 * store.c: content-addressed files, written atomically.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lib/digest.h"
#include "lib/img.h"
#include "lib/log.h"
#include "lib/store.h"
#include "lib/util.h"
#include "lib/banned.h"

int
wn_store_path(const char *store, const char *rel, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", store, rel);

	return n < 0 || (size_t)n >= outsz ? -ENAMETOOLONG : 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -errno;
	close(fd);
	return rc;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *
ext_for(enum wn_img_format f, const char *hint)
{
	switch (f) {
	case WN_IMG_JPEG:
		return "jpg";
	case WN_IMG_PNG:
		return "png";
	case WN_IMG_WEBP:
		return "webp";
	case WN_IMG_GIF:
		return "gif";
	default:
		break;
	}
	if (hint != NULL && *hint != '\0' && strlen(hint) <= 5 &&
	    strspn(hint, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(hint))
		return hint;
	return "bin";
}

int
wn_store_write(const char *store, const void *data, size_t len, const char *ext_hint,
	       struct wn_stored *ret)
{
	struct wn_stored s = { 0 };
	enum wn_img_format fmt;
	char dir[4096], final[4096], tmpdir[4096], tmp[4200];
	struct stat st;
	int fd = -1, rc;

	if ((rc = wn_sha256_hex(data, len, s.sha256)) < 0)
		return rc;
	fmt = wn_img_sniff(data, len);
	s.bytes = (int64_t)len;
	s.format = fmt != WN_IMG_UNKNOWN ? wn_img_format_name(fmt) : NULL;
	if (fmt != WN_IMG_UNKNOWN) {
		enum wn_img_format f2;

		if (wn_img_probe(data, len, &f2, &s.width, &s.height) < 0)
			s.width = s.height = 0;
	}
	snprintf(s.rel, sizeof(s.rel), "%.2s/%s.%s", s.sha256, s.sha256,
		 ext_for(fmt, ext_hint));
	if (snprintf(dir, sizeof(dir), "%s/%.2s", store, s.sha256) >= (int)sizeof(dir) ||
	    snprintf(tmpdir, sizeof(tmpdir), "%s/.tmp", store) >= (int)sizeof(tmpdir) ||
	    (rc = wn_store_path(store, s.rel, final, sizeof(final))) < 0)
		return -ENAMETOOLONG;
	if (stat(final, &st) == 0 && st.st_size == (off_t)len) {
		*ret = s;	/* already there: same hash, same size */
		return 0;
	}
	if ((rc = wn_mkdir_p(dir)) < 0 || (rc = wn_mkdir_p(tmpdir)) < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s/%s.XXXXXX", tmpdir, s.sha256);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if ((rc = write_all(fd, data, len)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (fchmod(fd, 0644) < 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, final) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = fsync_dir(dir)) < 0)
		return rc;
	*ret = s;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int
wn_store_add_row(struct wn_db *db, const struct wn_stored *s, int64_t *ret_image_id)
{
	static const char ins[] =
		"INSERT INTO images (sha256, path, bytes, format, width, height)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sha256) DO NOTHING";
	static const char sel[] = "SELECT id FROM images WHERE sha256 = ?1";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = wn_db_prepare(db, ins, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, s->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, s->bytes);
	if (s->format != NULL)
		sqlite3_bind_text(st, 4, s->format, -1, SQLITE_STATIC);
	if (s->width > 0 && s->height > 0) {
		sqlite3_bind_int(st, 5, s->width);
		sqlite3_bind_int(st, 6, s->height);
	}
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0)
		return rc;
	if ((rc = wn_db_prepare(db, sel, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, s->sha256, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_image_id = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -WN_EDB : wn_db_error(db);
	}
	sqlite3_finalize(st);
	return rc;
}

int
wn_store_clean_tmp(const char *store)
{
	char tmpdir[4096], path[4400];
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (snprintf(tmpdir, sizeof(tmpdir), "%s/.tmp", store) >= (int)sizeof(tmpdir))
		return -ENAMETOOLONG;
	d = opendir(tmpdir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

int
wn_store_lock(const char *store, int *ret_fd)
{
	char path[4096];
	int fd, rc;

	if ((rc = wn_mkdir_p(store)) < 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s/.lock", store) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = -errno;
		close(fd);
		return rc == -EAGAIN ? -EWOULDBLOCK : rc;
	}
	*ret_fd = fd;
	return 0;
}

void
wn_store_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
