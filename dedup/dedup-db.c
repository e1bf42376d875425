/*
 * dedup-db.c: winnow-dedup on the database: image and panel groups from the
 * `hashes` table, written to `duplicates`, with the pairs of non-representatives
 * dropped (reason 'duplicate').  Incremental: only hashes rows not yet checked (or
 * the images named on stdin) are matched, against everything stored; groups are
 * rewritten only in the components those rows touch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup-db.h"
#include "dedup/dedup-region.h"
#include "dedup/dedup-set.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/util.h"
#include "lib/banned.h"

#define BATCH_ROWS	500
#define MAX_PATH_LEN	4096

static const char sql_items[] =
	"SELECT h.id, h.image_id, h.panel_id, h.pdq, h.pdq_quality, h.pdq_dihedral,"
	"       h.phash, h.dhash, i.sha256, i.path, i.width, i.height,"
	"       p.x, p.y, p.w, p.h, p.figure_id,"
	"       di.hash_id IS NOT NULL, di.region, di.content_w, di.content_h,"
	"       di.checked_at IS NOT NULL,"
	"       (SELECT MIN(CASE WHEN d.license IN ('CC0', 'public domain') THEN 1"
	"                        WHEN d.license = 'CC BY' THEN 2"
	"                        WHEN d.license LIKE 'CC BY-SA%' THEN 3"
	"                        WHEN d.license LIKE 'CC BY%' THEN 4"
	"                        WHEN d.license IS NULL THEN 6 ELSE 5 END)"
	"          FROM figures f JOIN documents d ON d.id = f.document_id"
	"         WHERE f.image_id = h.image_id)"
	"  FROM hashes h"
	"  JOIN images i ON i.id = h.image_id"
	"  LEFT JOIN panels p ON p.id = h.panel_id"
	"  LEFT JOIN dedup_items di ON di.hash_id = h.id"
	" WHERE h.error IS NULL"
	" ORDER BY h.id";

static const char sql_old_groups[] =
	"SELECT group_id, image_id, panel_id FROM duplicates"
	" WHERE kind IN ('image', 'panel') AND figure_id IS NULL"
	" ORDER BY group_id";

static const char sql_groups_of[] =
	"SELECT DISTINCT group_id FROM duplicates"
	" WHERE image_id = ?2 AND +kind = ?1 AND +panel_id IS ?3 AND +figure_id IS NULL"
	"   AND +group_id < ?4";	/* only the image index: NULL panel ids are many */
static const char sql_delete_group[] =
	"DELETE FROM duplicates WHERE group_id = ?1 AND +figure_id IS NULL"
	"   AND kind IN ('image', 'panel')";
static const char sql_next_group[] =
	"SELECT COALESCE(MAX(group_id), 0) + 1 FROM duplicates";
static const char sql_insert_dup[] =
	"INSERT INTO duplicates (group_id, kind, image_id, panel_id, is_representative,"
	"                        method, distance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_restore_image[] =
	"UPDATE pairs SET status = 'kept', reason = NULL"
	" WHERE status = 'dropped' AND reason = 'duplicate' AND image_id = ?1"
	"   AND NOT EXISTS (SELECT 1 FROM duplicates x WHERE x.is_representative = 0"
	"                      AND x.kind = 'image' AND x.image_id = pairs.image_id"
	"                      AND x.figure_id = pairs.figure_id)";
static const char sql_restore_panel[] =
	"UPDATE pairs SET status = 'kept', reason = NULL"
	" WHERE status = 'dropped' AND reason = 'duplicate' AND panel_id = ?1";
static const char sql_drop_image[] =
	"UPDATE pairs SET status = 'dropped', reason = 'duplicate'"
	" WHERE status = 'kept' AND image_id = ?1";
static const char sql_drop_panel[] =
	"UPDATE pairs SET status = 'dropped', reason = 'duplicate'"
	" WHERE status = 'kept' AND panel_id = ?1";
static const char sql_mark[] =
	"INSERT INTO dedup_items (hash_id, region, content_w, content_h, checked_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT (hash_id) DO UPDATE SET region = excluded.region,"
	"   content_w = excluded.content_w, content_h = excluded.content_h,"
	"   checked_at = COALESCE(excluded.checked_at, dedup_items.checked_at)";
static const char sql_emb[] =
	"SELECT image_id, panel_id, dim, vector FROM embeddings WHERE model = ?1";

enum {
	ST_GROUPS_OF, ST_DELETE_GROUP, ST_NEXT_GROUP, ST_INSERT_DUP, ST_RESTORE_IMAGE,
	ST_RESTORE_PANEL, ST_DROP_IMAGE, ST_DROP_PANEL, ST_MARK, ST_COUNT
};

struct run {
	struct wn_db *db;
	struct dedup_set s;
	sqlite3_stmt *st[ST_COUNT];
	uint8_t *query;		/* items matched as new in this run */
	uint8_t *store_region;	/* items whose descriptor must be written */
	int64_t next_group;
	int64_t first_group;	/* groups from here on were written by this run */
	int64_t written_groups, dup_images;
	int regions;
};

static void
run_release(struct run *r)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(r->st[i]);
	dedup_set_release(&r->s);
	free(r->query);
	free(r->store_region);
}

static int
prepare_all(struct run *r)
{
	static const char *const sql[ST_COUNT] = {
		sql_groups_of, sql_delete_group, sql_next_group, sql_insert_dup,
		sql_restore_image, sql_restore_panel, sql_drop_image, sql_drop_panel,
		sql_mark,
	};

	for (int i = 0; i < ST_COUNT; i++) {
		int rc = wn_db_prepare(r->db, sql[i], &r->st[i]);

		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
store_path(struct wn_db *db, const char *rel, char **ret)
{
	size_t a = strlen(db->store), b = strlen(rel);
	char *p;

	if (a + b + 2 > MAX_PATH_LEN)
		return -WN_ETOOBIG;
	p = malloc(a + b + 2);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p, db->store, a);
	p[a] = '/';
	memcpy(p + a + 1, rel, b + 1);
	*ret = p;
	return 0;
}

static int
blob_copy(sqlite3_stmt *st, int col, uint8_t *out, size_t n)
{
	const void *b = sqlite3_column_blob(st, col);

	if (b == NULL || (size_t)sqlite3_column_bytes(st, col) != n)
		return 0;
	memcpy(out, b, n);
	return 1;
}

/* Read every hashes row (short read transaction). */
static int
load_items(struct run *r)
{
	sqlite3_stmt *st = NULL;
	struct dedup_set *s = &r->s;
	int rc;

	rc = wn_db_prepare(r->db, sql_items, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t k = dedup_set_add(s);
		struct dedup_item *it;
		const char *sha, *path;

		if (k < 0) {
			rc = (int)k;
			goto out;
		}
		it = &s->it[k];
		it->hash_id = sqlite3_column_int64(st, 0);
		it->image_id = sqlite3_column_int64(st, 1);
		it->panel_id = sqlite3_column_int64(st, 2);
		it->when = it->image_id;
		if (blob_copy(st, 3, s->pdq + k * 32, 32)) {
			it->flags |= DEDUP_HAS_PDQ;
			it->quality = sqlite3_column_int(st, 4);
		}
		if (blob_copy(st, 5, s->dih + k * 256, 256))
			it->flags |= DEDUP_HAS_DIH;
		if (sqlite3_column_type(st, 6) == SQLITE_INTEGER) {
			it->phash = (uint64_t)sqlite3_column_int64(st, 6);
			it->flags |= DEDUP_HAS_PHASH;
		}
		if (sqlite3_column_type(st, 7) == SQLITE_INTEGER) {
			it->dhash = (uint64_t)sqlite3_column_int64(st, 7);
			it->flags |= DEDUP_HAS_DHASH;
		}
		sha = (const char *)sqlite3_column_text(st, 8);
		if (it->panel_id == 0 && sha && wn_unhex(sha, it->sha, 32) == 0)
			it->flags |= DEDUP_HAS_SHA;
		path = (const char *)sqlite3_column_text(st, 9);
		if (path) {
			rc = store_path(r->db, path, &it->path);
			if (rc < 0)
				goto out;
		}
		if (it->panel_id) {
			it->bx = sqlite3_column_int(st, 12);
			it->by = sqlite3_column_int(st, 13);
			it->bw = sqlite3_column_int(st, 14);
			it->bh = sqlite3_column_int(st, 15);
			it->width = it->bw;
			it->height = it->bh;
			it->figure_id = sqlite3_column_int64(st, 16);
		} else {
			it->width = sqlite3_column_int(st, 10);
			it->height = sqlite3_column_int(st, 11);
		}
		it->region_done = sqlite3_column_int(st, 17);
		if (it->region_done) {
			it->content_w = sqlite3_column_int(st, 19);
			it->content_h = sqlite3_column_int(st, 20);
		}
		it->is_checked = sqlite3_column_int(st, 21);
		it->license_rank = sqlite3_column_type(st, 22) == SQLITE_NULL ? 0 :
				   sqlite3_column_int(st, 22);
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(r->db);
out:
	sqlite3_finalize(st);
	return rc;
}

/* Second pass for stored region descriptors, once the item count is known. */
static int
load_regions(struct run *r)
{
	static const char sql[] =
		"SELECT h.id, di.region FROM hashes h JOIN dedup_items di ON di.hash_id = h.id"
		" WHERE h.error IS NULL AND di.region IS NOT NULL ORDER BY h.id";
	struct dedup_set *s = &r->s;
	sqlite3_stmt *st = NULL;
	size_t k = 0;
	int rc;

	s->region = calloc(s->n * DEDUP_REGION_FLOATS + 1, sizeof(float));
	if (s->region == NULL)
		return -ENOMEM;
	rc = wn_db_prepare(r->db, sql, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		/* both queries are ordered by hashes.id */
		while (k < s->n && s->it[k].hash_id < id)
			k++;
		if (k == s->n)
			break;
		if (s->it[k].hash_id != id)
			continue;
		struct dedup_region_info info = { 0 };

		if (dedup_region_unpack(sqlite3_column_blob(st, 1),
					(size_t)sqlite3_column_bytes(st, 1),
					s->region + k * DEDUP_REGION_FLOATS, &info) == 0) {
			s->it[k].flags |= DEDUP_HAS_REGION;
			dedup_set_content_pdq(s, k, &info);
		}
	}
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : wn_db_error(r->db);
	sqlite3_finalize(st);
	return rc;
}

struct key {
	int64_t image_id, panel_id;
	uint32_t idx;
};

static int
cmp_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->image_id != y->image_id)
		return x->image_id < y->image_id ? -1 : 1;
	if (x->panel_id != y->panel_id)
		return x->panel_id < y->panel_id ? -1 : 1;
	return 0;
}

static int
load_embeddings(struct run *r, const char *model, const struct key *keys)
{
	struct dedup_set *s = &r->s;
	sqlite3_stmt *st = NULL;
	int rc, dim = 0;

	rc = wn_db_prepare(r->db, sql_emb, &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t img = sqlite3_column_int64(st, 0), pan = sqlite3_column_int64(st, 1);
		int d = sqlite3_column_int(st, 2);
		const void *v = sqlite3_column_blob(st, 3);

		if (d <= 0 || d > 65536 || v == NULL ||
		    sqlite3_column_bytes(st, 3) != 4 * d)
			continue;
		if (dim == 0) {
			dim = d;
			s->emb = calloc(s->n * (size_t)dim + 1, sizeof(float));
			if (s->emb == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			s->emb_dim = dim;
		}
		if (d != dim)
			continue;
		{
			struct key want = { img, pan, 0 };
			struct key *hit = bsearch(&want, keys, s->n, sizeof(*keys), cmp_key);

			if (hit == NULL)
				continue;
			memcpy(s->emb + (size_t)hit->idx * dim, v, 4 * (size_t)dim);
			s->it[hit->idx].flags |= DEDUP_HAS_EMB;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(r->db);
out:
	sqlite3_finalize(st);
	return rc;
}

/* Edges of the groups stored by earlier runs, so that components grow from them. */
static int
old_edges(struct run *r, struct key *keys)
{
	sqlite3_stmt *st = NULL;
	int64_t cur = -1;
	int64_t first = -1;
	int rc;

	rc = wn_db_prepare(r->db, sql_old_groups, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct key k = { sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), 0 };
		struct key *hit = bsearch(&k, keys, r->s.n, sizeof(*keys), cmp_key);
		int64_t g = sqlite3_column_int64(st, 0);

		if (hit == NULL)
			continue;
		if (g != cur) {
			cur = g;
			first = hit->idx;
			continue;
		}
		rc = dedup_set_add_edge(&r->s, (uint32_t)first, hit->idx);
		if (rc < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(r->db);
out:
	sqlite3_finalize(st);
	return rc;
}

static int
step_done(struct run *r, sqlite3_stmt *st)
{
	return wn_db_step_done(r->db, st);
}

/* Forget the stored groups of item k (they are rewritten) and undo its drops. */
static int
clear_item(struct run *r, size_t k)
{
	const struct dedup_item *it = &r->s.it[k];
	sqlite3_stmt *st = r->st[ST_GROUPS_OF];
	int64_t groups[16];
	int ng = 0, rc;

	sqlite3_bind_text(st, 1, it->panel_id ? "panel" : "image", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->image_id);
	if (it->panel_id)
		sqlite3_bind_int64(st, 3, it->panel_id);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, r->first_group);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ng < 16)
			groups[ng++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return wn_db_error(r->db);
	for (int g = 0; g < ng; g++) {
		sqlite3_bind_int64(r->st[ST_DELETE_GROUP], 1, groups[g]);
		rc = step_done(r, r->st[ST_DELETE_GROUP]);
		if (rc < 0)
			return rc;
	}
	if (it->panel_id) {
		sqlite3_bind_int64(r->st[ST_RESTORE_PANEL], 1, it->panel_id);
		return step_done(r, r->st[ST_RESTORE_PANEL]);
	}
	sqlite3_bind_int64(r->st[ST_RESTORE_IMAGE], 1, it->image_id);
	return step_done(r, r->st[ST_RESTORE_IMAGE]);
}

static int
insert_row(struct run *r, int64_t gid, size_t k, int rep, const char *method, double dist,
	   int has_dist)
{
	const struct dedup_item *it = &r->s.it[k];
	sqlite3_stmt *st = r->st[ST_INSERT_DUP];

	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_text(st, 2, it->panel_id ? "panel" : "image", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, it->image_id);
	if (it->panel_id)
		sqlite3_bind_int64(st, 4, it->panel_id);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, rep);
	sqlite3_bind_text(st, 6, method, -1, SQLITE_STATIC);
	if (has_dist)
		sqlite3_bind_double(st, 7, dist);
	else
		sqlite3_bind_null(st, 7);
	return step_done(r, st);
}

static int
drop_pairs(struct run *r, size_t k)
{
	const struct dedup_item *it = &r->s.it[k];
	sqlite3_stmt *st = r->st[it->panel_id ? ST_DROP_PANEL : ST_DROP_IMAGE];

	sqlite3_bind_int64(st, 1, it->panel_id ? it->panel_id : it->image_id);
	return step_done(r, st);
}

static int
mark_item(struct run *r, size_t k, int checked, const char *now)
{
	const struct dedup_item *it = &r->s.it[k];
	sqlite3_stmt *st = r->st[ST_MARK];
	unsigned char *blob = NULL;
	int rc;

	sqlite3_bind_int64(st, 1, it->hash_id);
	if (r->regions && (it->flags & DEDUP_HAS_REGION)) {
		blob = malloc(DEDUP_REGION_PACKED);
		if (blob == NULL)
			return -ENOMEM;
		struct dedup_region_info info = { .cquality = it->cquality };

		memcpy(info.cpdq, r->s.cpdq + k * 256, 256);
		dedup_region_pack(r->s.region + k * DEDUP_REGION_FLOATS, &info, blob);
		sqlite3_bind_blob(st, 2, blob, (int)DEDUP_REGION_PACKED, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, it->content_w);
		sqlite3_bind_int(st, 4, it->content_h);
	} else {
		sqlite3_bind_null(st, 2);
		sqlite3_bind_null(st, 3);
		sqlite3_bind_null(st, 4);
	}
	if (checked)
		sqlite3_bind_text(st, 5, now, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 5);
	rc = step_done(r, st);
	free(blob);
	return rc;
}

static int
next_group_id(struct run *r)
{
	sqlite3_stmt *st = r->st[ST_NEXT_GROUP];
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		r->next_group = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : wn_db_error(r->db);
}

/* Ids on stdin: the images to match (all their hashes rows). */
static int
read_ids(struct run *r, int64_t max_errors, int64_t *ret_bad)
{
	struct wn_rec_reader rd;
	struct key *keys = NULL;
	int64_t id;
	int rc;

	keys = malloc((r->s.n + 1) * sizeof(*keys));
	if (keys == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < r->s.n; k++) {
		keys[k].image_id = r->s.it[k].image_id;
		keys[k].panel_id = 0;
		keys[k].idx = (uint32_t)k;
	}
	qsort(keys, r->s.n, sizeof(*keys), cmp_key);
	wn_rec_reader_init(&rd, stdin, "stdin");
	while ((rc = wn_rec_next(&rd, &id, NULL)) == 1) {
		struct key k = { id, 0, 0 };
		struct key *hit = bsearch(&k, keys, r->s.n, sizeof(*keys), cmp_key);
		int found = 0;

		/* bsearch lands anywhere in the run of this image's rows */
		if (hit) {
			while (hit > keys && hit[-1].image_id == id)
				hit--;
			for (; hit < keys + r->s.n && hit->image_id == id; hit++) {
				r->query[hit->idx] = 1;
				found = 1;
			}
		}
		if (!found)
			wn_info("image %lld has no hashes, skipping", (long long)id);
	}
	*ret_bad = rd.bad;
	wn_rec_reader_release(&rd);
	free(keys);
	(void)max_errors;
	return rc < 0 ? rc : 0;
}

/* Rewrite one component: forget its stored groups, then write its new ones. */
static int
write_component(struct run *r, struct dedup_groups *gs, const uint32_t *items, size_t n,
		const size_t *gof, uint8_t *printed, const char *now, int *rows)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = clear_item(r, items[i]);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t k = items[i];
		const struct dedup_group *g;
		int64_t gid;

		if (r->query[k] || r->store_region[k]) {
			rc = mark_item(r, k, r->query[k], now);
			if (rc < 0)
				return rc;
			(*rows)++;
		}
		if (gof[k] == SIZE_MAX || gs->g[gof[k]].rep != k)
			continue;
		g = &gs->g[gof[k]];
		gid = r->next_group++;
		rc = insert_row(r, gid, k, 1, "representative", 0, 0);
		for (size_t m = 0; rc == 0 && m < g->n; m++) {
			const struct dedup_member *dm = &g->m[m];

			rc = insert_row(r, gid, dm->item, 0, dedup_method_name(dm->method),
					dm->dist, 1);
			if (rc == 0)
				rc = drop_pairs(r, dm->item);
			if (r->query[dm->item] || r->query[k])
				printed[dm->item] = 1;
		}
		if (rc < 0)
			return rc;
		*rows += (int)g->n + 1;
		r->written_groups++;
	}
	return 0;
}

static int
write_results(struct run *r, struct dedup_groups *gs, int64_t *ret_printed)
{
	struct dedup_uf uf = { 0 };
	uint8_t *hot = NULL, *printed = NULL;
	size_t *gof = NULL, *start = NULL, *fill = NULL;
	uint32_t *order = NULL;
	size_t n = r->s.n;
	char now[32];
	int rc, in_tx = 0, rows = 0;

	wn_db_now(now, sizeof(now));
	rc = dedup_uf_init(&uf, (uint32_t)n);
	if (rc < 0)
		return rc;
	rc = -ENOMEM;
	hot = calloc(n + 1, 1);
	printed = calloc(n + 1, 1);
	gof = malloc((n + 1) * sizeof(*gof));
	start = calloc(n + 2, sizeof(*start));
	fill = malloc((n + 2) * sizeof(*fill));
	order = malloc((n + 1) * sizeof(*order));
	if (!hot || !printed || !gof || !start || !fill || !order)
		goto out;
	for (size_t e = 0; e < r->s.nedges; e++)
		dedup_uf_union(&uf, r->s.edges[2 * e], r->s.edges[2 * e + 1]);
	/* components holding an item matched in this run are rewritten */
	for (size_t k = 0; k < n; k++)
		if (r->query[k])
			hot[dedup_uf_find(&uf, (uint32_t)k)] = 1;
	for (size_t k = 0; k < n; k++)
		gof[k] = SIZE_MAX;
	for (size_t g = 0; g < gs->n; g++) {
		gof[gs->g[g].rep] = g;
		for (size_t m = 0; m < gs->g[g].n; m++)
			gof[gs->g[g].m[m].item] = g;
	}
	for (size_t k = 0; k < n; k++)
		start[dedup_uf_find(&uf, (uint32_t)k) + 1]++;
	for (size_t k = 0; k < n; k++)
		start[k + 1] += start[k];
	memcpy(fill, start, (n + 1) * sizeof(*fill));
	for (size_t k = 0; k < n; k++)
		order[fill[dedup_uf_find(&uf, (uint32_t)k)]++] = (uint32_t)k;
	rc = next_group_id(r);
	if (rc < 0)
		goto out;
	r->first_group = r->next_group;
	for (size_t c = 0; c < n; c++) {
		size_t m = start[c + 1] - start[c];

		if (m == 0)
			continue;
		if (!hot[c]) {
			/* untouched: only store descriptors computed for it */
			for (size_t i = 0; i < m; i++) {
				uint32_t k = order[start[c] + i];

				if (!r->store_region[k])
					continue;
				if (!in_tx) {
					rc = wn_db_begin(r->db);
					if (rc < 0)
						goto out;
					in_tx = 1;
				}
				rc = mark_item(r, k, 0, now);
				if (rc < 0)
					goto out;
				rows++;
			}
		} else {
			if (!in_tx) {
				rc = wn_db_begin(r->db);
				if (rc < 0)
					goto out;
				in_tx = 1;
			}
			rc = write_component(r, gs, order + start[c], m, gof, printed, now,
					     &rows);
			if (rc < 0)
				goto out;
		}
		if (in_tx && rows >= BATCH_ROWS) {
			rc = wn_db_commit(r->db);
			in_tx = 0;
			rows = 0;
			if (rc < 0)
				goto out;
		}
	}
	if (in_tx) {
		rc = wn_db_commit(r->db);
		in_tx = 0;
		if (rc < 0)
			goto out;
	}
	/* ids of the images found to be duplicates, once each */
	{
		int64_t last = -1, np = 0;

		for (size_t k = 0; k < n; k++) {
			if (!printed[k] || r->s.it[k].image_id == last)
				continue;
			last = r->s.it[k].image_id;
			rc = wn_rec_write(stdout, last);
			if (rc == -EPIPE)
				break;
			if (rc < 0)
				goto out;
			np++;
		}
		*ret_printed = np;
	}
	rc = 0;
out:
	if (in_tx)
		wn_db_rollback(r->db);
	dedup_uf_release(&uf);
	free(hot);
	free(printed);
	free(gof);
	free(start);
	free(fill);
	free(order);
	return rc;
}

/* Only the components touched by this run's items are regrouped: drop the
   edges of the others (their stored groups stand). */
static int
keep_hot_edges(struct run *r)
{
	struct dedup_uf uf = { 0 };
	uint8_t *hot;
	size_t m = 0;
	int rc;

	rc = dedup_uf_init(&uf, (uint32_t)r->s.n);
	if (rc < 0)
		return rc;
	hot = calloc(r->s.n + 1, 1);
	if (hot == NULL) {
		dedup_uf_release(&uf);
		return -ENOMEM;
	}
	for (size_t e = 0; e < r->s.nedges; e++)
		dedup_uf_union(&uf, r->s.edges[2 * e], r->s.edges[2 * e + 1]);
	for (size_t k = 0; k < r->s.n; k++)
		if (r->query[k])
			hot[dedup_uf_find(&uf, (uint32_t)k)] = 1;
	for (size_t e = 0; e < r->s.nedges; e++) {
		uint32_t a = r->s.edges[2 * e], b = r->s.edges[2 * e + 1];

		if (!hot[dedup_uf_find(&uf, a)])
			continue;
		r->s.edges[2 * m] = a;
		r->s.edges[2 * m + 1] = b;
		m++;
	}
	r->s.nedges = m;
	free(hot);
	dedup_uf_release(&uf);
	return 0;
}

int
dedup_db_run(const struct dedup_dbopts *d, const struct dedup_params *p, int all,
	     int regions, int jobs, const char *model, int64_t max_errors)
{
	struct run r = { .regions = regions };
	struct wn_db_opts dopts = { .busy_timeout_ms = d->busy_ms };
	struct dedup_groups gs = { 0 };
	struct key *keys = NULL;
	int64_t bad = 0, printed = 0, nquery = 0;
	double t0 = wn_now();
	int rc, status = EX_OK;
	char summary[256];

	dedup_set_init(&r.s, p);
	rc = wn_db_open(d->path, &dopts, &r.db);
	if (rc < 0) {
		wn_error("cannot open '%s': %s", d->path, wn_strerror(rc));
		run_release(&r);
		return wn_exit_status(rc == -WN_EDB ? -ENOENT : rc);
	}
	rc = wn_db_run_begin(r.db, "winnow-dedup", d->argc, d->argv);
	if (rc < 0)
		goto out;
	rc = load_items(&r);
	if (rc < 0)
		goto out;
	if (regions && r.s.n > DEDUP_REGION_MAX_ITEMS) {
		wn_warn("%zu hashes: region descriptors skipped above %d (crops and borders "
			"are not searched)", r.s.n, DEDUP_REGION_MAX_ITEMS);
		r.regions = regions = 0;
	}
	if (regions) {
		rc = load_regions(&r);
		if (rc < 0)
			goto out;
	}
	keys = malloc((r.s.n + 1) * sizeof(*keys));
	if (keys == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < r.s.n; k++) {
		keys[k].image_id = r.s.it[k].image_id;
		keys[k].panel_id = r.s.it[k].panel_id;
		keys[k].idx = (uint32_t)k;
	}
	qsort(keys, r.s.n, sizeof(*keys), cmp_key);
	if (model) {
		rc = load_embeddings(&r, model, keys);
		if (rc < 0)
			goto out;
	}
	rc = -ENOMEM;
	r.query = calloc(r.s.n + 1, 1);
	r.store_region = calloc(r.s.n + 1, 1);
	if (r.query == NULL || r.store_region == NULL)
		goto out;
	if (all) {
		for (size_t k = 0; k < r.s.n; k++)
			r.query[k] = !r.s.it[k].is_checked;
	} else {
		rc = read_ids(&r, max_errors, &bad);
		if (rc < 0)
			goto out;
	}
	for (size_t k = 0; k < r.s.n; k++)
		nquery += r.query[k];
	if (nquery == 0) {
		wn_info("done: nothing new to match among %zu hashes", r.s.n);
		rc = 0;
		goto finish;
	}
	if (regions) {
		size_t failed = 0;

		for (size_t k = 0; k < r.s.n; k++)
			r.store_region[k] = !r.s.it[k].region_done;
		/* decoding happens outside any transaction */
		rc = dedup_set_regions(&r.s, jobs, r.store_region, &failed);
		if (rc < 0)
			goto out;
		if (failed)
			wn_warn("%zu stored images could not be decoded for region "
				"descriptors", failed);
	}
	rc = dedup_set_candidates(&r.s, r.query);
	if (rc < 0)
		goto out;
	wn_info("candidates: PDQ index of %u codes built in %.3fs, searched in %.3fs; "
		"region join %.2fs; embedding join %.2fs; %zu edges", r.s.mih_codes,
		r.s.t_mih_build, r.s.t_mih_query, r.s.t_region, r.s.t_emb, r.s.nedges);
	rc = old_edges(&r, keys);
	if (rc < 0)
		goto out;
	rc = keep_hot_edges(&r);
	if (rc < 0)
		goto out;
	rc = dedup_set_group(&r.s, &gs);
	if (rc < 0)
		goto out;
	rc = prepare_all(&r);
	if (rc < 0)
		goto out;
	rc = write_results(&r, &gs, &printed);
	if (rc < 0)
		goto out;
finish:
	if (bad > max_errors)
		status = WN_EX_PARTIAL;
	snprintf(summary, sizeof(summary), "%lld matched of %zu hashes, %lld groups written, "
		 "%lld duplicate images", (long long)nquery, r.s.n,
		 (long long)r.written_groups, (long long)printed);
	wn_info("done: %s in %.1fs", summary, wn_now() - t0);
	rc = 0;
out:
	free(keys);
	dedup_groups_release(&gs);
	if (rc < 0) {
		/* a lock is SQLite's "database is locked" too */
		wn_error("%s", rc == -WN_EBUSY ? wn_db_errmsg(r.db) :
			 wn_db_strerror(r.db, rc));
		status = wn_exit_status(rc);
	}
	if (r.db)
		(void)wn_db_run_end(r.db, status, rc < 0 ? wn_strerror(rc) : summary);
	run_release(&r);
	wn_db_close(r.db);
	return status;
}
