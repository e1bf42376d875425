/*
 * dedup-emb.c: winnow-dedup embeddings import: vectors users bring (CONCH, UNI,
 * CLIP...) as a .npy matrix, one row per image named in an id or path list,
 * L2-normalised into the `embeddings` table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup-db.h"
#include "dedup/embed.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/util.h"
#include "lib/banned.h"

#define NPY_MAX_BYTES	((size_t)8 << 30)
#define NPY_MAX_ROWS	((size_t)100 * 1000 * 1000)
#define BATCH_ROWS	500

static const char sql_by_path[] = "SELECT id FROM images WHERE path = ?1";
static const char sql_by_id[] = "SELECT id FROM images WHERE id = ?1";
static const char sql_put[] =
	"INSERT INTO embeddings (image_id, panel_id, model, dim, vector)"
	" VALUES (?1, NULL, ?2, ?3, ?4)"
	" ON CONFLICT (model, COALESCE(image_id, 0), COALESCE(panel_id, 0))"
	" DO UPDATE SET dim = excluded.dim, vector = excluded.vector";

/* The list file: one id or path per line, blank lines not allowed (rows align). */
static int
read_list(const char *path, char ***ret, size_t *ret_n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, **v = NULL;
	size_t cap = 0, n = 0, vcap = 0;
	ssize_t len;
	int rc = 0;

	if (f == NULL)
		return -errno;
	while ((len = getline(&line, &cap, f)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (n == vcap) {
			size_t nc = vcap ? 2 * vcap : 1024;
			char **nv;

			if (nc > NPY_MAX_ROWS) {
				rc = -WN_ETOOBIG;
				break;
			}
			nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				rc = -ENOMEM;
				break;
			}
			v = nv;
			vcap = nc;
		}
		v[n] = strdup(line);
		if (v[n] == NULL) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	fclose(f);
	free(line);
	if (rc < 0) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return rc;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int
dedup_db_import_embeddings(const struct dedup_dbopts *d, const char *npy_path,
			   const char *ids_file, const char *paths_file, const char *model)
{
	struct wn_db *db = NULL;
	struct wn_db_opts dopts = { .busy_timeout_ms = d->busy_ms };
	struct dedup_mat m = { 0 };
	sqlite3_stmt *look = NULL, *put = NULL;
	char *data = NULL, **names = NULL;
	size_t len = 0, nnames = 0, zero;
	int64_t stored = 0, unknown = 0;
	int rc, status = EX_OK, in_tx = 0, rows = 0;
	const char *list = ids_file ? ids_file : paths_file;
	char summary[160];

	rc = wn_read_file(npy_path, NPY_MAX_BYTES, &data, &len);
	if (rc < 0) {
		wn_error("cannot read '%s': %s", npy_path, wn_strerror(rc));
		return rc == -WN_ETOOBIG ? EX_DATAERR : wn_exit_status(rc);
	}
	rc = dedup_npy_parse((const uint8_t *)data, len, NPY_MAX_ROWS, &m);
	free(data);
	if (rc < 0) {
		wn_error("'%s': not a float32/float16 2-D .npy array: %s", npy_path,
			 wn_strerror(rc));
		return rc == -ENOMEM ? EX_OSERR : EX_DATAERR;
	}
	rc = read_list(list, &names, &nnames);
	if (rc < 0) {
		wn_error("cannot read '%s': %s", list, wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	if (nnames != m.n) {
		wn_error("'%s' has %zu rows but '%s' names %zu images", npy_path, m.n, list,
			 nnames);
		status = EX_DATAERR;
		goto out;
	}
	zero = dedup_l2_normalise(m.v, m.n, m.dim);
	if (zero)
		wn_warn("%zu vectors are zero or not finite; they match nothing", zero);

	rc = wn_db_open(d->path, &dopts, &db);
	if (rc < 0) {
		wn_error("cannot open '%s': %s", d->path, wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	rc = wn_db_run_begin(db, "winnow-dedup", d->argc, d->argv);
	if (rc == 0)
		rc = wn_db_prepare(db, ids_file ? sql_by_id : sql_by_path, &look);
	if (rc == 0)
		rc = wn_db_prepare(db, sql_put, &put);
	if (rc < 0)
		goto dberr;
	for (size_t i = 0; i < m.n; i++) {
		int64_t id;

		if (ids_file) {
			if (wn_parse_i64(names[i], 1, INT64_MAX, &id) < 0) {
				wn_warn("%s:%zu: not an image id, skipping", list, i + 1);
				unknown++;
				continue;
			}
			sqlite3_bind_int64(look, 1, id);
		} else {
			sqlite3_bind_text(look, 1, names[i], -1, SQLITE_STATIC);
		}
		rc = sqlite3_step(look);
		id = rc == SQLITE_ROW ? sqlite3_column_int64(look, 0) : 0;
		sqlite3_reset(look);
		sqlite3_clear_bindings(look);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			rc = wn_db_error(db);
			goto dberr;
		}
		if (id == 0) {
			wn_warn("%s:%zu: no image '%s', skipping", list, i + 1, names[i]);
			unknown++;
			continue;
		}
		if (!in_tx) {
			rc = wn_db_begin(db);
			if (rc < 0)
				goto dberr;
			in_tx = 1;
		}
		sqlite3_bind_int64(put, 1, id);
		sqlite3_bind_text(put, 2, model, -1, SQLITE_STATIC);
		sqlite3_bind_int(put, 3, m.dim);
		sqlite3_bind_blob(put, 4, m.v + i * (size_t)m.dim, 4 * m.dim, SQLITE_STATIC);
		rc = wn_db_step_done(db, put);
		if (rc < 0)
			goto dberr;
		stored++;
		if (++rows >= BATCH_ROWS) {
			rc = wn_db_commit(db);
			in_tx = 0;
			rows = 0;
			if (rc < 0)
				goto dberr;
		}
	}
	if (in_tx) {
		rc = wn_db_commit(db);
		in_tx = 0;
		if (rc < 0)
			goto dberr;
	}
	if (unknown > 0)
		status = WN_EX_PARTIAL;
	snprintf(summary, sizeof(summary), "%lld vectors of dimension %d stored for model "
		 "'%.40s', %lld unknown images", (long long)stored, m.dim, model,
		 (long long)unknown);
	wn_info("done: %s", summary);
	(void)wn_db_run_end(db, status, summary);
	goto out;
dberr:
	status = wn_db_run_finish(db, in_tx, rc, status, NULL);
out:
	sqlite3_finalize(look);
	sqlite3_finalize(put);
	wn_db_close(db);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	dedup_mat_release(&m);
	return status;
}
