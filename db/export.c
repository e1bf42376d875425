/*
 * export.c: write the curated_pairs view as JSON Lines or CSV.
 *
 * The image path is written relative to the store and also as an absolute path
 * ("image_file") so that a training script can open it from anywhere.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db/export.h"
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

int
export_pairs(struct wn_db *db, const struct export_opts *o)
{
	sqlite3_stmt *st = NULL;
	FILE *out = stdout;
	int64_t n = 0;
	int rc, status = EX_OK;
	char *store = realpath(db->store, NULL);

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
