/*
 * merge.c: merge a shard database into the target.
 *
 * The tables are copied in foreign-key order with their ids renumbered: every
 * table that other tables refer to is matched by its natural key (a UNIQUE index
 * on plain columns: documents by source and source_id, images by SHA-256, figures
 * by document and ordinal, ...), so rows already present are kept and references
 * follow.  INSERT OR IGNORE on those keys makes merging the same shard twice
 * harmless.  Duplicate groups get fresh group numbers; incremental state of
 * winnow-dedup (dedup_* tables) is not merged, since global dedup runs on the
 * merged hashes.  Image files are linked (or copied) into the target store before
 * the rows that name them are committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/merge.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MAX_TABLES	64
#define MAX_COLS	64

struct table {
	char name[64];
	char cols[MAX_COLS][64];
	char fk_to[MAX_COLS][64];	/* referenced table, "" if not a foreign key */
	int ncols;
	int has_id;			/* INTEGER PRIMARY KEY named id */
	char key[8][64];		/* natural key columns */
	int nkey;
	int referenced;
	int done;
};

static int
skip_table(const char *name)
{
	return strncmp(name, "sqlite_", 7) == 0 || strcmp(name, "reasons") == 0 ||
	       strncmp(name, "dedup_", 6) == 0;
}

static int
prep(struct wn_db *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db->sql, sql, -1, st, NULL) != SQLITE_OK) {
		wn_debug("merge: %s: %s", sql, sqlite3_errmsg(db->sql));
		return wn_db_error(db);
	}
	return 0;
}

static int
load_table(struct wn_db *db, struct table *t)
{
	sqlite3_stmt *st = NULL;
	struct wn_buf q;
	int rc;

	wn_buf_init(&q, 0);
	if ((rc = wn_buf_printf(&q, "SELECT name, pk, type FROM pragma_table_info('%s')",
				t->name)) < 0 || (rc = prep(db, q.data, &st)) < 0)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW && t->ncols < MAX_COLS) {
		const char *c = (const char *)sqlite3_column_text(st, 0);

		if (strcmp(c, "id") == 0 && sqlite3_column_int(st, 1) == 1) {
			t->has_id = 1;
			continue;
		}
		snprintf(t->cols[t->ncols++], 64, "%s", c);
	}
	sqlite3_finalize(st);
	st = NULL;
	wn_buf_reset(&q);
	if ((rc = wn_buf_printf(&q, "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('%s')",
				t->name)) < 0 || (rc = prep(db, q.data, &st)) < 0)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *from = (const char *)sqlite3_column_text(st, 0);
		const char *to_table = (const char *)sqlite3_column_text(st, 1);
		const char *to_col = (const char *)sqlite3_column_text(st, 2);

		/* only references to ids are renumbered (not reasons(code)) */
		if (skip_table(to_table) || (to_col && strcmp(to_col, "id") != 0))
			continue;
		for (int i = 0; i < t->ncols; i++)
			if (strcmp(t->cols[i], from) == 0)
				snprintf(t->fk_to[i], 64, "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	st = NULL;
	/* natural key: the first UNIQUE index made of plain columns only */
	wn_buf_reset(&q);
	if ((rc = wn_buf_printf(&q, "SELECT il.name, (SELECT count(*) FROM pragma_index_info(il.name)"
				" WHERE cid < 0) FROM pragma_index_list('%s') il"
				" WHERE il.\"unique\" = 1 AND il.origin != 'pk' ORDER BY il.seq DESC",
				t->name)) < 0 || (rc = prep(db, q.data, &st)) < 0)
		goto out;
	while (t->nkey == 0 && sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_stmt *ii = NULL;
		struct wn_buf q2;

		if (sqlite3_column_int(st, 1) > 0)
			continue;	/* an expression index */
		wn_buf_init(&q2, 0);
		if (wn_buf_printf(&q2, "SELECT name FROM pragma_index_info('%s') ORDER BY seqno",
				  sqlite3_column_text(st, 0)) == 0 && prep(db, q2.data, &ii) == 0) {
			while (sqlite3_step(ii) == SQLITE_ROW && t->nkey < 8)
				snprintf(t->key[t->nkey++], 64, "%s", sqlite3_column_text(ii, 0));
		}
		sqlite3_finalize(ii);
		wn_buf_release(&q2);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	wn_buf_release(&q);
	return rc;
}

/* Expression for column i of s (a row of the shard) in the target's numbering. */
static int
col_expr(struct wn_buf *q, const struct table *t, int i, const char *alias)
{
	if (t->fk_to[i][0] && strcmp(t->fk_to[i], t->name) != 0)
		return wn_buf_printf(q, "(SELECT new FROM temp.\"map_%s\" WHERE old = %s.\"%s\")",
				     t->fk_to[i], alias, t->cols[i]);
	if (t->fk_to[i][0])
		return wn_buf_addstr(q, "NULL");	/* self reference: second pass */
	if (strcmp(t->name, "duplicates") == 0 && strcmp(t->cols[i], "group_id") == 0)
		return wn_buf_printf(q, "%s.group_id + temp.group_offset.n", alias);
	return wn_buf_printf(q, "%s.\"%s\"", alias, t->cols[i]);
}

static int
copy_table(struct wn_db *db, struct table *t, int64_t *ret_added)
{
	struct wn_buf q;
	int rc, dups = strcmp(t->name, "duplicates") == 0, runs = strcmp(t->name, "runs") == 0;
	int64_t before = sqlite3_total_changes64(db->sql);

	wn_buf_init(&q, 0);
	rc = wn_buf_printf(&q, "INSERT OR IGNORE INTO main.\"%s\" (", t->name);
	for (int i = 0; i < t->ncols && rc == 0; i++)
		rc = wn_buf_printf(&q, "%s\"%s\"", i ? ", " : "", t->cols[i]);
	if (rc == 0)
		rc = wn_buf_addstr(&q, ") SELECT ");
	for (int i = 0; i < t->ncols && rc == 0; i++) {
		if (i)
			rc = wn_buf_addstr(&q, ", ");
		if (rc == 0)
			rc = col_expr(&q, t, i, "s");
	}
	if (rc == 0)
		rc = wn_buf_printf(&q, " FROM src.\"%s\" s%s", t->name,
				   dups ? ", temp.group_offset" : "");
	if (rc == 0 && dups)
		rc = wn_buf_addstr(&q, " WHERE NOT EXISTS (SELECT 1 FROM main.duplicates m WHERE"
				   " m.kind = s.kind AND m.method = s.method"
				   " AND m.is_representative = s.is_representative"
				   " AND m.image_id IS (SELECT new FROM temp.map_images WHERE old = s.image_id)"
				   " AND m.panel_id IS (SELECT new FROM temp.map_panels WHERE old = s.panel_id)"
				   " AND m.figure_id IS (SELECT new FROM temp.map_figures WHERE old = s.figure_id))");
	if (rc == 0 && runs)
		rc = wn_buf_addstr(&q, " WHERE NOT EXISTS (SELECT 1 FROM main.runs m WHERE"
				   " m.tool = s.tool AND m.started_at = s.started_at AND m.args IS s.args)");
	if (rc == 0 && t->has_id)
		rc = wn_buf_addstr(&q, " ORDER BY s.id");
	if (rc == 0)
		rc = wn_db_exec(db, q.data);
	if (rc < 0)
		wn_error("cannot merge table '%s': %s", t->name, wn_db_errmsg(db));
	*ret_added = sqlite3_total_changes64(db->sql) - before;
	wn_buf_release(&q);
	return rc;
}

/* temp.map_T(old, new) by the natural key; then self references. */
static int
map_table(struct wn_db *db, struct table *t)
{
	struct wn_buf q;
	int rc;

	if (t->nkey == 0) {
		wn_error("cannot merge table '%s': no natural key to match its rows", t->name);
		return -WN_EUNSUPPORTED;
	}
	wn_buf_init(&q, 0);
	rc = wn_buf_printf(&q, "CREATE TEMP TABLE \"map_%s\" (old INTEGER PRIMARY KEY, new INTEGER);"
			   " INSERT INTO temp.\"map_%s\" SELECT s.id, m.id FROM src.\"%s\" s"
			   " JOIN main.\"%s\" m ON ", t->name, t->name, t->name, t->name);
	for (int k = 0; k < t->nkey && rc == 0; k++) {
		int i;

		for (i = 0; i < t->ncols; i++)
			if (strcmp(t->cols[i], t->key[k]) == 0)
				break;
		rc = wn_buf_printf(&q, "%sm.\"%s\" IS ", k ? " AND " : "", t->key[k]);
		if (rc == 0)
			rc = i < t->ncols ? col_expr(&q, t, i, "s") :
					    wn_buf_printf(&q, "s.\"%s\"", t->key[k]);
	}
	if (rc == 0)
		rc = wn_db_exec(db, q.data);
	for (int i = 0; i < t->ncols && rc == 0; i++) {
		if (strcmp(t->fk_to[i], t->name) != 0)
			continue;
		wn_buf_reset(&q);
		rc = wn_buf_printf(&q, "UPDATE main.\"%s\" SET \"%s\" = (SELECT mp.new FROM"
				   " src.\"%s\" s JOIN temp.\"map_%s\" me ON me.old = s.id"
				   " JOIN temp.\"map_%s\" mp ON mp.old = s.\"%s\""
				   " WHERE me.new = main.\"%s\".id)"
				   " WHERE \"%s\" IS NULL AND id IN (SELECT me.new FROM src.\"%s\" s"
				   " JOIN temp.\"map_%s\" me ON me.old = s.id WHERE s.\"%s\" IS NOT NULL)",
				   t->name, t->cols[i], t->name, t->name, t->name, t->cols[i],
				   t->name, t->cols[i], t->name, t->name, t->cols[i]);
		if (rc == 0)
			rc = wn_db_exec(db, q.data);
	}
	if (rc < 0 && rc != -WN_EUNSUPPORTED)
		wn_error("cannot map the rows of '%s': %s", t->name, wn_db_errmsg(db));
	wn_buf_release(&q);
	return rc;
}

static int
link_or_copy(const char *src, const char *dst)
{
	char tmp[4200], buf[65536];
	int in, out, rc = 0;
	ssize_t n;

	if (access(dst, F_OK) == 0)
		return 0;
	if (link(src, dst) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.merge-tmp", dst);
	if ((in = open(src, O_RDONLY)) < 0)
		return -errno;
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	if (rc == 0 && fsync(out) != 0)
		rc = -errno;
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* Bring the shard's image files into the target store (before the rows). */
static int
merge_files(struct wn_db *db, const char *src_store)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, "SELECT path FROM src.images", &st)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rel = (const char *)sqlite3_column_text(st, 0);
		char from[4096], to[4096], dir[4096];
		char *slash;

		snprintf(from, sizeof(from), "%s/%s", src_store, rel);
		snprintf(to, sizeof(to), "%s/%s", db->store, rel);
		snprintf(dir, sizeof(dir), "%s", to);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if ((rc = wn_mkdir_p(dir)) < 0 || (rc = link_or_copy(from, to)) < 0) {
			if (rc == -ENOENT) {
				wn_warn("shard image '%s' is missing, skipping", from);
				continue;
			}
			wn_error("cannot copy '%s' to '%s': %s", from, to, wn_strerror(rc));
			sqlite3_finalize(st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
	sqlite3_finalize(st);
	return rc;
}

static int
dep_ready(const struct table *t, const struct table *all, int n)
{
	for (int i = 0; i < t->ncols; i++) {
		if (!t->fk_to[i][0] || strcmp(t->fk_to[i], t->name) == 0)
			continue;
		for (int j = 0; j < n; j++)
			if (strcmp(all[j].name, t->fk_to[i]) == 0 && !all[j].done)
				return 0;
	}
	return 1;
}

int
merge_shard(struct wn_db *db, const char *src_path)
{
	struct table *tables = NULL;
	struct wn_db *src = NULL;
	sqlite3_stmt *st = NULL;
	char *src_store = NULL;
	int n = 0, rc, attached = 0;

	/* bring the shard to this schema version first; it must be ours */
	if ((rc = wn_db_open(src_path, NULL, &src)) < 0) {
		wn_error("cannot open '%s': %s", src_path, wn_strerror(rc));
		return rc;
	}
	src_store = strdup(src->store);
	wn_db_close(src);
	if (src_store == NULL)
		return -ENOMEM;
	tables = calloc(MAX_TABLES, sizeof(*tables));
	if (tables == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = prep(db, "ATTACH ?1 AS src", &st)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : wn_db_error(db);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0) {
		wn_error("cannot attach '%s': %s", src_path, wn_db_errmsg(db));
		goto out;
	}
	attached = 1;
	if ((rc = prep(db, "SELECT name FROM main.sqlite_schema WHERE type = 'table'"
			   " AND name IN (SELECT name FROM src.sqlite_schema WHERE type = 'table')"
			   " ORDER BY name", &st)) < 0)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW && n < MAX_TABLES) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (skip_table(name))
			continue;
		snprintf(tables[n].name, sizeof(tables[n].name), "%s", name);
		if ((rc = load_table(db, &tables[n])) < 0)
			goto out;
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (int i = 0; i < n; i++)
		for (int c = 0; c < tables[i].ncols; c++)
			for (int j = 0; j < n; j++)
				if (strcmp(tables[i].fk_to[c], tables[j].name) == 0)
					tables[j].referenced = 1;
	if ((rc = merge_files(db, src_store)) < 0)
		goto out;
	if ((rc = wn_db_begin(db)) < 0) {
		wn_error("cannot lock '%s': %s", db->path, wn_strerror(rc));
		goto out;
	}
	rc = wn_db_exec(db, "DROP TABLE IF EXISTS temp.group_offset;"
			    "CREATE TEMP TABLE group_offset AS"
			    " SELECT coalesce(max(group_id), 0) AS n FROM main.duplicates");
	for (int done = 0; rc == 0 && done < n;) {
		int progressed = 0;

		for (int i = 0; i < n && rc == 0; i++) {
			int64_t added = 0;

			if (tables[i].done || !dep_ready(&tables[i], tables, n))
				continue;
			if ((rc = copy_table(db, &tables[i], &added)) < 0)
				break;
			if (tables[i].referenced && (rc = map_table(db, &tables[i])) < 0)
				break;
			wn_info("%s: %lld rows added", tables[i].name, (long long)added);
			tables[i].done = 1;
			done++;
			progressed = 1;
		}
		if (rc == 0 && !progressed) {
			wn_error("cannot order the tables of '%s' by their references", src_path);
			rc = -WN_EUNSUPPORTED;
		}
	}
	if (rc == 0)
		rc = wn_db_commit(db);
	else
		wn_db_rollback(db);
out:
	sqlite3_finalize(st);
	if (tables) {
		for (int i = 0; i < n; i++) {
			char sql[128];

			snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS temp.\"map_%s\"",
				 tables[i].name);
			(void)!wn_db_exec(db, sql);
		}
	}
	(void)!wn_db_exec(db, "DROP TABLE IF EXISTS temp.group_offset");
	if (attached)
		(void)!wn_db_exec(db, "DETACH src");
	free(tables);
	free(src_store);
	return rc;
}
