/*
 * export.c: write the curated_pairs view as JSON Lines or CSV.
 *
 * The image path is written relative to the store and also as an absolute path
 * ("image_file") so that a training script can open it from anywhere.  The
 * WebDataset form writes tar shards of samples ready for training: KEY.jpg (the
 * panel cropped from its image, or the original file when the pair covers the
 * whole image), KEY.txt (the caption) and KEY.json (the other columns).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "db/export.h"
#include "lib/img.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

static const char export_sql[] =
	"SELECT pair_id, image_path, x, y, w, h, caption, source, source_id, license,"
	"       split, created_at"
	"  FROM curated_pairs"
	" WHERE ?1 IS NULL OR split = ?1"
	" ORDER BY pair_id";

static const char *const columns[] = {
	"pair_id", "image_path", "x", "y", "w", "h", "caption", "source", "source_id",
	"license", "split", "created_at",
};
#define NCOLS ((int)(sizeof(columns) / sizeof(*columns)))

/* RFC 4180: quote when needed, double the quotes. */
static int
csv_field(FILE *out, const char *s)
{
	if (s == NULL)
		return 0;
	if (strpbrk(s, ",\"\r\n") == NULL)
		return fputs(s, out) == EOF ? -1 : 0;
	if (fputc('"', out) == EOF)
		return -1;
	for (; *s; s++) {
		if (*s == '"' && fputc('"', out) == EOF)
			return -1;
		if (fputc(*s, out) == EOF)
			return -1;
	}
	return fputc('"', out) == EOF ? -1 : 0;
}

static int
write_row(FILE *out, sqlite3_stmt *st, int format, const char *store)
{
	if (format == EXPORT_CSV) {
		for (int c = 0; c < NCOLS; c++) {
			if (c > 0 && fputc(',', out) == EOF)
				return -EIO;
			if (csv_field(out, (const char *)sqlite3_column_text(st, c)) < 0)
				return -EIO;
		}
		return fputs("\r\n", out) == EOF ? -EIO : 0;
	}

	json_t *o = json_object();
	int rc;
	char file[PATH_MAX];

	if (o == NULL)
		return -ENOMEM;
	for (int c = 0; c < NCOLS; c++) {
		json_t *v;

		switch (sqlite3_column_type(st, c)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, c));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			v = json_string((const char *)sqlite3_column_text(st, c));
			break;
		}
		json_object_set_new(o, columns[c], v ? v : json_null());
	}
	snprintf(file, sizeof(file), "%s/%s", store, (const char *)sqlite3_column_text(st, 1));
	json_object_set_new(o, "image_file", json_string(file));
	rc = wn_json_write_line(out, o);
	json_decref(o);
	return rc;
}

/* ---- WebDataset -------------------------------------------------------- */

struct wds {
	const struct export_opts *o;
	const char *store;
	struct archive *ar;	/* owned: the open shard */
	char tmp[4200];		/* shard being written */
	char final[4096];
	int shard;
	int in_shard;
	char img_path[4096];	/* the decoded image cached below */
	struct wn_image img;	/* owned */
	int64_t samples;
};

static int
wds_entry(struct wds *w, const char *name, const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (e == NULL)
		return -ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 0, 0);	/* reproducible shards */
	if (archive_write_header(w->ar, e) != ARCHIVE_OK ||
	    archive_write_data(w->ar, data, len) != (la_ssize_t)len) {
		wn_error("cannot write '%s': %s", w->tmp, archive_error_string(w->ar));
		rc = -EIO;
	}
	archive_entry_free(e);
	return rc;
}

static int
wds_close_shard(struct wds *w)
{
	int rc = 0;

	if (w->ar == NULL)
		return 0;
	if (archive_write_close(w->ar) != ARCHIVE_OK) {
		wn_error("cannot write '%s': %s", w->tmp, archive_error_string(w->ar));
		rc = -EIO;
	}
	archive_write_free(w->ar);
	w->ar = NULL;
	if (rc == 0 && rename(w->tmp, w->final) != 0) {
		wn_error("cannot rename '%s': %s", w->tmp, strerror(errno));
		rc = -EIO;
	}
	if (rc < 0)
		unlink(w->tmp);
	return rc;
}

static int
wds_open_shard(struct wds *w)
{
	snprintf(w->final, sizeof(w->final), "%s/pairs-%06d.tar", w->o->output, w->shard);
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", w->final);
	w->ar = archive_write_new();
	if (w->ar == NULL)
		return -ENOMEM;
	if (archive_write_set_format_pax_restricted(w->ar) != ARCHIVE_OK ||
	    archive_write_open_filename(w->ar, w->tmp) != ARCHIVE_OK) {
		wn_error("cannot create '%s': %s", w->tmp, archive_error_string(w->ar));
		archive_write_free(w->ar);
		w->ar = NULL;
		return -EACCES;
	}
	w->shard++;
	w->in_shard = 0;
	return 0;
}

/* The bytes of KEY.jpg: the original file for a whole image, else a crop. */
static int
wds_image(struct wds *w, sqlite3_stmt *st, char **ret_data, size_t *ret_len,
	  const char **ret_ext)
{
	const char *rel = (const char *)sqlite3_column_text(st, 1);
	int x = sqlite3_column_int(st, 2), y = sqlite3_column_int(st, 3);
	int bw = sqlite3_column_int(st, 4), bh = sqlite3_column_int(st, 5);
	struct wn_image crop = { 0 };
	struct wn_img_opts io = { .channels = 3 };
	char path[4096];
	uint8_t *jpg = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", w->store, rel);
	if (strcmp(path, w->img_path) != 0) {
		wn_image_release(&w->img);
		w->img_path[0] = '\0';
		if ((rc = wn_image_load_file(path, &io, &w->img)) < 0)
			return rc;
		snprintf(w->img_path, sizeof(w->img_path), "%s", path);
	}
	if (x == 0 && y == 0 && bw == w->img.width && bh == w->img.height) {
		const char *dot = strrchr(rel, '.');

		*ret_ext = dot && strlen(dot) <= 5 ? dot + 1 : "img";
		return wn_read_file(path, (size_t)1 << 30, ret_data, ret_len);
	}
	if ((rc = wn_image_crop(&w->img, x, y, bw, bh, &crop)) < 0)
		return rc;
	rc = wn_image_encode_jpeg(&crop, 95, &jpg, ret_len);
	wn_image_release(&crop);
	if (rc < 0)
		return rc;
	*ret_data = (char *)jpg;
	*ret_ext = "jpg";
	return 0;
}

static int
wds_sample(struct wds *w, sqlite3_stmt *st)
{
	json_t *meta = json_object();
	char key[32], name[64], *img = NULL, *js = NULL;
	const char *ext = "jpg", *cap = (const char *)sqlite3_column_text(st, 6);
	size_t len = 0;
	int rc;

	if (meta == NULL)
		return -ENOMEM;
	if (w->ar == NULL || w->in_shard == w->o->shard_size) {
		if ((rc = wds_close_shard(w)) < 0 || (rc = wds_open_shard(w)) < 0)
			goto out;
	}
	rc = wds_image(w, st, &img, &len, &ext);
	if (rc < 0) {
		wn_warn("pair %lld: cannot read '%s': %s, skipping",
			(long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
			wn_strerror(rc));
		rc = 0;
		goto out;
	}
	for (int c = 0; c < NCOLS; c++) {
		if (c == 6)
			continue;	/* the caption is KEY.txt */
		if (sqlite3_column_type(st, c) == SQLITE_INTEGER)
			json_object_set_new(meta, columns[c], json_integer(sqlite3_column_int64(st, c)));
		else if (sqlite3_column_type(st, c) == SQLITE_NULL)
			json_object_set_new(meta, columns[c], json_null());
		else
			json_object_set_new(meta, columns[c],
					    json_string((const char *)sqlite3_column_text(st, c)));
	}
	js = json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (js == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(key, sizeof(key), "%012lld", (long long)sqlite3_column_int64(st, 0));
	snprintf(name, sizeof(name), "%s.%s", key, ext);
	if ((rc = wds_entry(w, name, img, len)) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.txt", key);
	if ((rc = wds_entry(w, name, cap ? cap : "", cap ? strlen(cap) : 0)) < 0)
		goto out;
	snprintf(name, sizeof(name), "%s.json", key);
	if ((rc = wds_entry(w, name, js, strlen(js))) < 0)
		goto out;
	w->in_shard++;
	w->samples++;
out:
	free(img);
	free(js);
	json_decref(meta);
	return rc;
}

static int
export_webdataset(struct wn_db *db, const struct export_opts *o, const char *store)
{
	struct wds w = { .o = o, .store = store };
	sqlite3_stmt *st = NULL;
	int rc, status = EX_OK;

	if (o->output == NULL) {
		wn_error("--webdataset needs -o DIR");
		return EX_USAGE;
	}
	if ((rc = wn_mkdir_p(o->output)) < 0) {
		wn_error("cannot create '%s': %s", o->output, wn_strerror(rc));
		return EX_CANTCREAT;
	}
	if ((rc = wn_db_prepare(db, export_sql, &st)) < 0) {
		wn_error("cannot read pairs: %s", wn_db_errmsg(db));
		return wn_exit_status(rc);
	}
	if (o->split)
		sqlite3_bind_text(st, 1, o->split, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = wds_sample(&w, st)) < 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = wn_db_error(db);
	if (wds_close_shard(&w) < 0 && rc == 0)
		rc = -EIO;
	if (rc < 0) {
		status = rc == -EACCES ? EX_CANTCREAT : rc == -EIO ? EX_IOERR : wn_exit_status(rc);
		if (rc != -EIO && rc != -EACCES)
			wn_error("export failed: %s", wn_strerror(rc));
	} else {
		wn_info("exported %lld samples in %d shards", (long long)w.samples, w.shard);
	}
	wn_image_release(&w.img);
	sqlite3_finalize(st);
	return status;
}

int
export_pairs(struct wn_db *db, const struct export_opts *o)
{
	sqlite3_stmt *st = NULL;
	FILE *out = stdout;
	int64_t n = 0;
	int rc, status = EX_OK;
	char *store = realpath(db->store, NULL);

	if (o->format == EXPORT_WEBDATASET) {
		status = export_webdataset(db, o, store ? store : db->store);
		free(store);
		return status;
	}
	if (o->output && (out = fopen(o->output, "w")) == NULL) {
		wn_error("cannot create '%s': %s", o->output, strerror(errno));
		free(store);
		return EX_CANTCREAT;
	}
	if ((rc = wn_db_prepare(db, export_sql, &st)) < 0) {
		wn_error("cannot read pairs: %s", wn_db_errmsg(db));
		status = wn_exit_status(rc);
		goto out;
	}
	if (o->split)
		sqlite3_bind_text(st, 1, o->split, -1, SQLITE_STATIC);
	if (o->format == EXPORT_CSV) {
		for (int c = 0; c < NCOLS; c++)
			fprintf(out, "%s%s", c ? "," : "", columns[c]);
		fputs("\r\n", out);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = write_row(out, st, o->format, store ? store : db->store)) < 0)
			break;
		n++;
	}
	if (rc == -EPIPE) {
		goto out;		/* the reader left: not an error */
	} else if (rc < 0) {
		wn_error("write error: %s", wn_strerror(rc));
		status = EX_IOERR;
	} else if (rc != SQLITE_DONE) {
		wn_error("cannot read pairs: %s", wn_db_errmsg(db));
		status = wn_exit_status(wn_db_error(db));
	} else {
		wn_info("exported %lld pairs", (long long)n);
	}
out:
	sqlite3_finalize(st);
	free(store);
	if (out != stdout && fclose(out) != 0 && status == EX_OK) {
		wn_error("cannot write '%s': %s", o->output, strerror(errno));
		status = EX_IOERR;
	}
	return status;
}
