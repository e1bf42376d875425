/*
 * leakage.c: winnow-dedup --leakage: validation and test pairs of curated_pairs
 * whose image, panel or caption has a duplicate (a member of the same group in
 * `duplicates`, or the same stored image) among the training pairs there.  Prints one line per leaking pair,
 * "PAIR_ID<TAB>SPLIT<TAB>LEVEL<TAB>TRAIN_PAIR_ID"; with --drop-leakage the pairs
 * are also dropped with reason 'leakage'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dedup/dedup-db.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/banned.h"

#define BATCH_ROWS	500

/* One row per (leaking pair, level), the smallest train pair as witness. */
static const char sql_leaks[] =
	"WITH item AS ("
	"  SELECT pair_id AS id, split, figure_id, image_id, panel_id FROM curated_pairs"
	"   WHERE split IS NOT NULL),"
	" hit AS ("
	/* the same stored image in another figure */
	"  SELECT v.id AS pid, v.split AS split, 'image' AS level, t.id AS tid"
	"    FROM item v JOIN item t ON t.image_id = v.image_id AND t.figure_id != v.figure_id"
	"   WHERE v.split IN ('val', 'test') AND t.split = 'train'"
	"  UNION ALL"
	/* image groups: any pair of a member image */
	"  SELECT v.id, v.split, 'image', t.id"
	"    FROM item v"
	"    JOIN duplicates a ON a.image_id = v.image_id AND +a.kind = 'image'"
	"                     AND +a.panel_id IS NULL AND +a.figure_id IS NULL"
	"    JOIN duplicates b ON b.group_id = a.group_id AND b.id != a.id"
	"    JOIN item t ON (b.kind = 'image' AND t.image_id = b.image_id)"
	"                OR (b.kind = 'panel' AND t.panel_id = b.panel_id)"
	"   WHERE v.split IN ('val', 'test') AND t.split = 'train'"
	"  UNION ALL"
	/* panel groups */
	"  SELECT v.id, v.split, 'panel', t.id"
	"    FROM item v"
	"    JOIN duplicates a ON a.kind = 'panel' AND a.panel_id = v.panel_id"
	"    JOIN duplicates b ON b.group_id = a.group_id AND b.id != a.id"
	"    JOIN item t ON (b.kind = 'image' AND t.image_id = b.image_id)"
	"                OR (b.kind = 'panel' AND t.panel_id = b.panel_id)"
	"   WHERE v.split IN ('val', 'test') AND t.split = 'train'"
	"  UNION ALL"
	/* caption groups */
	"  SELECT v.id, v.split, 'caption', t.id"
	"    FROM item v"
	"    JOIN duplicates a ON a.kind = 'caption' AND a.figure_id = v.figure_id"
	"    JOIN duplicates b ON b.group_id = a.group_id AND b.id != a.id"
	"    JOIN item t ON t.figure_id = b.figure_id"
	"   WHERE v.split IN ('val', 'test') AND t.split = 'train')"
	" SELECT pid, split, level, MIN(tid) FROM hit"
	" GROUP BY pid, level ORDER BY pid, level";

static const char sql_drop[] =
	"UPDATE pairs SET status = 'dropped', reason = 'leakage'"
	" WHERE id = ?1 AND status = 'kept'";

int
dedup_db_leakage(const struct dedup_dbopts *d, int drop)
{
	struct wn_db *db = NULL;
	struct wn_db_opts dopts = { .busy_timeout_ms = d->busy_ms };
	sqlite3_stmt *st = NULL, *dr = NULL;
	int64_t *ids = NULL, nids = 0, cap = 0, last = -1, dropped = 0;
	int rc, status = EX_OK, in_tx = 0, rows = 0, quiet_out = 0;
	char summary[128];

	rc = wn_db_open(d->path, &dopts, &db);
	if (rc < 0) {
		wn_error("cannot open '%s': %s", d->path, wn_strerror(rc));
		return wn_exit_status(rc);
	}
	rc = wn_db_run_begin(db, "winnow-dedup", d->argc, d->argv);
	if (rc == 0)
		rc = wn_db_prepare(db, sql_leaks, &st);
	if (rc < 0)
		goto out;
	/* read everything first: the read transaction ends before any write */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(st, 0);

		if (!quiet_out &&
		    printf("%lld\t%s\t%s\t%lld\n", (long long)pid,
			   (const char *)sqlite3_column_text(st, 1),
			   (const char *)sqlite3_column_text(st, 2),
			   (long long)sqlite3_column_int64(st, 3)) < 0) {
			if (errno != EPIPE) {
				rc = -EIO;
				goto out;
			}
			quiet_out = 1;
		}
		if (pid == last)
			continue;
		last = pid;
		if (nids == cap) {
			int64_t nc = cap ? 2 * cap : 256;
			int64_t *v = realloc(ids, (size_t)nc * sizeof(*v));

			if (v == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			ids = v;
			cap = nc;
		}
		ids[nids++] = pid;
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
	sqlite3_reset(st);
	if (rc < 0)
		goto out;
	if (drop) {
		rc = wn_db_prepare(db, sql_drop, &dr);
		if (rc < 0)
			goto out;
		for (int64_t i = 0; i < nids; i++) {
			if (!in_tx) {
				rc = wn_db_begin(db);
				if (rc < 0)
					goto out;
				in_tx = 1;
			}
			sqlite3_bind_int64(dr, 1, ids[i]);
			rc = wn_db_step_done(db, dr);
			if (rc < 0)
				goto out;
			dropped += sqlite3_changes(db->sql);
			if (++rows >= BATCH_ROWS) {
				rc = wn_db_commit(db);
				in_tx = 0;
				rows = 0;
				if (rc < 0)
					goto out;
			}
		}
		if (in_tx) {
			rc = wn_db_commit(db);
			in_tx = 0;
			if (rc < 0)
				goto out;
		}
	}
	snprintf(summary, sizeof(summary), "%lld val/test pairs leak into train, %lld dropped",
		 (long long)nids, (long long)dropped);
	wn_info("done: %s", summary);
out:
	status = wn_db_run_finish(db, in_tx, rc, status, summary);
	sqlite3_finalize(st);
	sqlite3_finalize(dr);
	wn_db_close(db);
	free(ids);
	return status;
}
