/*
 * pairdb.c: winnow-pair on the database.
 *
 * For each figure that winnow-split has done (panels and caption) and that has
 * no pairs yet, the pairs are computed outside any transaction (reads in
 * autocommit), then written for a batch of figures in one short BEGIN
 * IMMEDIATE, each kept or dropped with a reason code, and the ids of the kept
 * pairs are printed after the commit.
 *
 * Splits are assigned by a stable hash of a key shared by everything that must
 * stay together: the versions of an article (its base id), the figures of a
 * document, the documents that share an image file, and every duplicate group
 * (the key is that of the group's representative's document, of the lowest
 * group when groups chain).  So near-duplicates never straddle two splits.
 * A component that already has pairs keeps their split for the documents that
 * join it later (without --redo, which recomputes from the keys).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sqlite3.h>

#include "lib/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/util.h"
#include "pair/assign.h"
#include "pair/pairdb.h"
#include "lib/banned.h"

#define BATCH		256	/* figures per write transaction */
#define BATCH_SECONDS	2.0

const char *const pairdb_default_licenses[] = {
	"CC0", "CC BY", "CC BY-SA", "CC BY-ND", "CC BY-NC", "CC BY-NC-SA",
	"CC BY-NC-ND", "public domain", NULL
};

const char *
pairdb_split_of(const char *key, double val, double test)
{
	struct wn_buf b;
	uint64_t h;
	double u;

	wn_buf_init(&b, 0);
	/* salted, so that splits do not follow the --shard hash */
	if (wn_buf_printf(&b, "winnow-split\n%s", key) < 0) {
		wn_buf_release(&b);
		return "train";
	}
	h = wn_hash64(b.data, b.len);
	wn_buf_release(&b);
	/* FNV's low bits mix poorly: fold the high half in */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	u = (double)(h >> 11) / 9007199254740992.0;
	if (u < test)
		return "test";
	if (u < test + val)
		return "val";
	return "train";
}

/* ---- split keys: union-find over documents -------------------------------- */

struct keys {
	int64_t *id;		/* owned: document ids, ascending */
	char **key;		/* owned: base key of each document */
	int *parent;		/* owned */
	int *keydoc;		/* owned: per root, the document whose key wins */
	int (*had)[3];		/* owned: per root, pairs already in train/val/test */
	size_t n;
};

static void
keys_release(struct keys *k)
{
	for (size_t i = 0; k->key && i < k->n; i++)
		free(k->key[i]);
	free(k->id);
	free(k->key);
	free(k->parent);
	free(k->keydoc);
	free(k->had);
	*k = (struct keys){ 0 };
}

static int
keys_find_doc(const struct keys *k, int64_t id)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n && k->id[lo] == id ? (int)lo : -1;
}

static int
uf_find(int *parent, int i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static void
uf_union(int *parent, int a, int b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a != b)
		parent[a > b ? a : b] = a < b ? a : b;
}

static const char sql_docs[] =
	"SELECT id, source || ':' || COALESCE(base_id, source_id) FROM documents"
	" ORDER BY id";
static const char sql_docs_by_key[] =
	"SELECT id, source || ':' || COALESCE(base_id, source_id) AS k"
	" FROM documents ORDER BY k";
static const char sql_had[] =
	"SELECT f.document_id, p.split, count(*) FROM pairs p"
	" JOIN figures f ON f.id = p.figure_id WHERE p.split IS NOT NULL"
	" GROUP BY 1, 2";
static const char sql_shared_images[] =
	"SELECT image_id, document_id FROM figures WHERE image_id IS NOT NULL"
	" ORDER BY image_id";
static const char sql_groups[] =
	"SELECT x.group_id, x.is_representative, f.document_id FROM duplicates x"
	"  JOIN figures f ON f.id = x.figure_id WHERE x.figure_id IS NOT NULL"
	" UNION ALL "
	"SELECT x.group_id, x.is_representative, f.document_id FROM duplicates x"
	"  JOIN panels p ON p.id = x.panel_id JOIN figures f ON f.id = p.figure_id"
	"  WHERE x.figure_id IS NULL AND x.panel_id IS NOT NULL"
	" UNION ALL "
	"SELECT x.group_id, x.is_representative, f.document_id FROM duplicates x"
	"  JOIN figures f ON f.image_id = x.image_id"
	"  WHERE x.figure_id IS NULL AND x.panel_id IS NULL"
	"  AND x.image_id IS NOT NULL"
	" ORDER BY 1, 2 DESC";

/* Union consecutive rows of st whose column 0 is equal (column 1: doc id). */
static int
union_runs(struct wn_db *db, struct keys *k, const char *sql, int text)
{
	sqlite3_stmt *st = NULL;
	char *prev = NULL;
	int64_t prev_i = 0;
	int prev_doc = -1, rc;

	if ((rc = wn_db_prepare(db, sql, &st)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t doc_id = text ? sqlite3_column_int64(st, 0) :
				 sqlite3_column_int64(st, 1);
		int d = keys_find_doc(k, doc_id), same;

		if (d < 0)
			continue;
		if (text) {
			const char *s = (const char *)sqlite3_column_text(st, 1);

			s = s ? s : "";
			same = prev && strcmp(prev, s) == 0;
			if (!same) {
				free(prev);
				if ((prev = strdup(s)) == NULL) {
					rc = -ENOMEM;
					goto out;
				}
			}
		} else {
			int64_t v = sqlite3_column_int64(st, 0);

			same = prev_doc >= 0 && v == prev_i;
			prev_i = v;
		}
		if (same)
			uf_union(k->parent, prev_doc, d);
		prev_doc = d;
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
out:
	free(prev);
	sqlite3_finalize(st);
	return rc;
}

static int
keys_load(struct wn_db *db, struct keys *ret)
{
	struct keys k = { 0 };
	sqlite3_stmt *st = NULL;
	int64_t *grep_doc = NULL;	/* representative doc per group */
	size_t ngrp = 0, cgrp = 0, cap = 0;
	int64_t cur_group = 0;
	char *fromgrp = NULL;
	int have_group = 0, rep = -1, rc;

	if ((rc = wn_db_prepare(db, sql_docs, &st)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 1);

		if (k.n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			int64_t *ni = realloc(k.id, nc * sizeof(*ni));

			if (ni == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			k.id = ni;
			char **nk = realloc(k.key, nc * sizeof(*nk));

			if (nk == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			k.key = nk;
			cap = nc;
		}
		k.id[k.n] = sqlite3_column_int64(st, 0);
		if ((k.key[k.n] = strdup(s ? s : "")) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		k.n++;
	}
	if (rc != SQLITE_DONE) {
		rc = wn_db_error(db);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	k.parent = malloc((k.n ? k.n : 1) * sizeof(*k.parent));
	k.keydoc = malloc((k.n ? k.n : 1) * sizeof(*k.keydoc));
	if (k.parent == NULL || k.keydoc == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < k.n; i++) {
		k.parent[i] = (int)i;
		k.keydoc[i] = -1;
	}
	if ((rc = union_runs(db, &k, sql_docs_by_key, 1)) < 0 ||
	    (rc = union_runs(db, &k, sql_shared_images, 0)) < 0)
		goto out;

	/* duplicate groups: members join their representative */
	if ((rc = wn_db_prepare(db, sql_groups, &st)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t g = sqlite3_column_int64(st, 0);
		int d = keys_find_doc(&k, sqlite3_column_int64(st, 2));

		if (d < 0)
			continue;
		if (!have_group || g != cur_group) {
			/* rows come representative first */
			have_group = 1;
			cur_group = g;
			rep = d;
			if (ngrp == cgrp) {
				size_t nc = cgrp ? cgrp * 2 : 64;
				int64_t *t = realloc(grep_doc, nc * sizeof(*t));

				if (t == NULL) {
					rc = -ENOMEM;
					goto out;
				}
				grep_doc = t;
				cgrp = nc;
			}
			grep_doc[ngrp++] = d;
		}
		uf_union(k.parent, rep, d);
	}
	if (rc != SQLITE_DONE) {
		rc = wn_db_error(db);
		goto out;
	}
	/* the lowest group of a component gives its key */
	for (size_t i = 0; i < ngrp; i++) {
		int r = uf_find(k.parent, (int)grep_doc[i]);

		if (k.keydoc[r] < 0)
			k.keydoc[r] = (int)grep_doc[i];
	}
	/* components without groups: their smallest key */
	if ((fromgrp = calloc(k.n ? k.n : 1, 1)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < k.n; i++)
		if (k.keydoc[i] >= 0)
			fromgrp[i] = 1;
	for (size_t i = 0; i < k.n; i++) {
		int r = uf_find(k.parent, (int)i);

		if (!fromgrp[r] && (k.keydoc[r] < 0 ||
		    strcmp(k.key[i], k.key[k.keydoc[r]]) < 0))
			k.keydoc[r] = (int)i;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* the splits that the pairs already written have, per component */
	if ((k.had = calloc(k.n ? k.n : 1, sizeof(*k.had))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = wn_db_prepare(db, sql_had, &st)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int d = keys_find_doc(&k, sqlite3_column_int64(st, 0));
		const char *sp = (const char *)sqlite3_column_text(st, 1);
		int w = sp == NULL ? -1 : strcmp(sp, "train") == 0 ? 0 :
			strcmp(sp, "val") == 0 ? 1 : strcmp(sp, "test") == 0 ? 2 : -1;

		if (d >= 0 && w >= 0)
			k.had[uf_find(k.parent, d)][w] += sqlite3_column_int(st, 2);
	}
	if (rc != SQLITE_DONE) {
		rc = wn_db_error(db);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(grep_doc);
	free(fromgrp);
	if (rc < 0) {
		keys_release(&k);
		return rc;
	}
	*ret = k;
	return 0;
}

/* Key of document id: its component's winning key (NULL if unknown). */
static const char *
keys_of(struct keys *k, int64_t doc_id)
{
	int d = keys_find_doc(k, doc_id);

	if (d < 0)
		return NULL;
	return k->key[k->keydoc[uf_find(k->parent, d)]];
}

/*
 * The split that pairs of document id's component already have, or NULL:
 * the most common, test before val before train on a tie.  So a document
 * that joins a component later (a new version, a new near-duplicate) goes
 * where the component's pairs went.
 */
static const char *
keys_had(struct keys *k, int64_t doc_id)
{
	static const char *const names[3] = { "train", "val", "test" };
	int d = keys_find_doc(k, doc_id), r, best = -1;

	if (d < 0)
		return NULL;
	r = uf_find(k->parent, d);
	for (int w = 2; w >= 0; w--)
		if (k->had[r][w] > 0 && (best < 0 || k->had[r][w] > k->had[r][best]))
			best = w;
	return best < 0 ? NULL : names[best];
}

/* ---- one figure --------------------------------------------------------- */

static const char sql_all[] =
	"SELECT f.id FROM figures f JOIN split_state s ON s.figure_id = f.id"
	" WHERE f.id > ?1 AND f.image_id IS NOT NULL"
	"  AND (s.panels_model IS NOT NULL OR s.panels_error IS NOT NULL)"
	"  AND (f.caption IS NULL OR s.captions_model IS NOT NULL"
	"       OR s.captions_error IS NOT NULL)"
	"  AND (?2 OR NOT EXISTS (SELECT 1 FROM pairs p WHERE p.figure_id = f.id))"
	" ORDER BY f.id LIMIT ?3";

static const char sql_fig[] =
	"SELECT f.image_id, f.caption, f.alt_text, d.id, d.source, d.license,"
	"  d.is_retracted,"
	"  d.superseded_by IS NOT NULL OR EXISTS (SELECT 1 FROM documents n"
	"   WHERE n.source = d.source AND n.base_id = d.base_id"
	"   AND n.version > d.version),"
	"  d.is_sensitive, d.is_reblog, d.text, i.width, i.height,"
	"  s.panels_model, s.panels_error, s.captions_model, s.captions_error,"
	"  s.figure_id IS NOT NULL,"
	"  EXISTS (SELECT 1 FROM pairs p WHERE p.figure_id = f.id),"
	"  EXISTS (SELECT 1 FROM duplicates x WHERE x.is_representative = 0"
	"   AND x.kind = 'image' AND x.image_id = f.image_id"
	"   AND x.panel_id IS NULL AND (x.figure_id IS NULL OR x.figure_id = f.id))"
	" FROM figures f JOIN documents d ON d.id = f.document_id"
	" LEFT JOIN images i ON i.id = f.image_id"
	" LEFT JOIN split_state s ON s.figure_id = f.id"
	" WHERE f.id = ?1";

static const char sql_panels[] =
	"SELECT p.id, p.x, p.y, p.w, p.h, p.label,"
	"  EXISTS (SELECT 1 FROM duplicates x WHERE x.is_representative = 0"
	"   AND x.kind = 'panel' AND x.panel_id = p.id)"
	" FROM panels p WHERE p.figure_id = ?1 ORDER BY p.ordinal LIMIT 257";

static const char sql_subs[] =
	"SELECT labels, is_shared, start, text FROM subcaptions"
	" WHERE figure_id = ?1 ORDER BY ordinal LIMIT 1025";

static const char sql_has_pairs[] =
	"SELECT EXISTS (SELECT 1 FROM pairs WHERE figure_id = ?1)";
static const char sql_delete[] = "DELETE FROM pairs WHERE figure_id = ?1";
static const char sql_insert[] =
	"INSERT INTO pairs (figure_id, panel_id, image_id, x, y, w, h, caption,"
	" status, reason, split, model)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

struct row {
	int64_t panel_id;		/* 0 = whole image */
	int x, y, w, h;
	char *caption;			/* owned */
	const char *reason;		/* static; NULL = kept */
};

struct fig {
	int64_t id;
	int64_t image_id;
	const char *split;		/* static */
	char *model;			/* owned */
	struct row *rows;		/* owned */
	size_t nrows;
};

static void
fig_release(struct fig *f)
{
	for (size_t i = 0; i < f->nrows; i++)
		free(f->rows[i].caption);
	free(f->rows);
	free(f->model);
	*f = (struct fig){ 0 };
}

struct ctx {
	const struct pairdb_opts *o;
	struct wn_db *db;
	struct keys keys;
	int keys_loaded;
	sqlite3_stmt *st_all, *st_fig, *st_panels, *st_subs, *st_has, *st_del,
		     *st_ins;
	struct fig batch[BATCH];
	int nbatch;
	double batch_start;
	int64_t nfigs, nkept, ndropped, nskipped;
};

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return strdup(s ? (const char *)s : "");
}

static int
license_ok(const struct pairdb_opts *o, const char *lic)
{
	if (lic == NULL || lic[0] == '\0')
		return 0;
	for (size_t i = 0; i < o->nlicenses; i++)
		if (strcasecmp(o->licenses[i], lic) == 0)
			return 1;
	return 0;
}

/* Labels of a subcaptions row ('["A","B"]'); bad JSON gives no labels. */
static void
parse_labels(const char *json, struct pair_sub *s)
{
	json_t *a = json ? wn_json_parse(json, strlen(json), 64 * 1024, NULL) : NULL;
	size_t i;
	json_t *v;

	s->nlabels = 0;
	if (a == NULL || !json_is_array(a)) {
		json_decref(a);
		return;
	}
	json_array_foreach(a, i, v) {
		if (s->nlabels >= PAIR_MAX_LABELS)
			break;
		if (!json_is_string(v))
			continue;
		snprintf(s->labels[s->nlabels], PAIR_LABEL_SIZE, "%s",
			 json_string_value(v));
		s->nlabels++;
	}
	json_decref(a);
}

/*
 * Compute the pairs of figure id into f.  Returns 1 if there is something to
 * write, 0 to skip it (not split yet, already paired, unknown), <0 on error.
 */
static int
fig_compute(struct ctx *c, int64_t id, struct fig *f)
{
	const struct pairdb_opts *o = c->o;
	sqlite3_stmt *st = c->st_fig;
	struct pair_panel *panels = NULL;
	int64_t *panel_ids = NULL;
	int *panel_dup = NULL;
	struct pair_sub *subs = NULL;
	char **texts = NULL;
	size_t np = 0, ns = 0, cap = 0, i;
	struct pair_result pr = { 0 };
	char *caption = NULL, *lic = NULL, *doc_text = NULL, *source = NULL;
	const char *fig_reason = NULL, *key;
	int64_t doc_id;
	int rc, width, height, panels_bad, img_dup;
	struct wn_buf model;

	wn_buf_init(&model, 4096);
	*f = (struct fig){ .id = id };
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(c->db);
		if (rc == 0)
			wn_warn("figure %lld: no such figure, skipping", (long long)id);
		goto out;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		wn_debug("figure %lld: no image, skipping", (long long)id);
		rc = 0;
		goto out;
	}
	if (!sqlite3_column_int(st, 17) ||
	    (sqlite3_column_type(st, 13) == SQLITE_NULL &&
	     sqlite3_column_type(st, 14) == SQLITE_NULL) ||
	    (sqlite3_column_type(st, 1) != SQLITE_NULL &&
	     sqlite3_column_type(st, 15) == SQLITE_NULL &&
	     sqlite3_column_type(st, 16) == SQLITE_NULL)) {
		wn_debug("figure %lld: not split yet, skipping", (long long)id);
		rc = 0;
		goto out;
	}
	if (sqlite3_column_int(st, 18) && !o->redo) {
		rc = 0;
		c->nskipped++;
		goto out;
	}
	f->image_id = sqlite3_column_int64(st, 0);
	caption = col_dup(st, 1);
	if (caption && caption[0] == '\0') {
		free(caption);
		caption = col_dup(st, 2);	/* posts: the attachment's description */
	}
	doc_id = sqlite3_column_int64(st, 3);
	source = col_dup(st, 4);
	lic = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : col_dup(st, 5);
	doc_text = col_dup(st, 10);
	if (caption == NULL || source == NULL || doc_text == NULL ||
	    (lic == NULL && sqlite3_column_type(st, 5) != SQLITE_NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	if (caption[0] == '\0' && strcmp(source, "pmc") != 0 &&
	    strcmp(source, "europepmc") != 0) {
		/* a post's own text is the caption of its media */
		free(caption);
		caption = doc_text;
		doc_text = NULL;
	}
	if (sqlite3_column_int(st, 6))
		fig_reason = "retracted";
	else if (sqlite3_column_int(st, 7))
		fig_reason = "superseded";
	else if (!license_ok(o, lic))
		fig_reason = "license";
	else if (sqlite3_column_int(st, 8))
		fig_reason = "sensitive";
	else if (sqlite3_column_int(st, 9))
		fig_reason = "reblog";
	img_dup = sqlite3_column_int(st, 19);
	width = sqlite3_column_int(st, 11);
	height = sqlite3_column_int(st, 12);
	panels_bad = sqlite3_column_type(st, 13) == SQLITE_NULL;
	for (int k = 13; k <= 15; k += 2) {
		const unsigned char *m = sqlite3_column_text(st, k);

		if (m && (rc = wn_buf_printf(&model, "%s%s", model.len ? " " : "",
					     (const char *)m)) < 0)
			goto out;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);

	/* split key of the document's component */
	if (!c->keys_loaded) {
		if ((rc = keys_load(c->db, &c->keys)) < 0)
			goto out;
		c->keys_loaded = 1;
	}
	key = keys_of(&c->keys, doc_id);
	f->split = o->redo ? NULL : keys_had(&c->keys, doc_id);
	if (f->split == NULL)
		f->split = pairdb_split_of(key ? key : "", o->val, o->test);
	if (model.len > 0 && (f->model = strdup(model.data)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}

	/* panels and sub-captions */
	st = c->st_panels;
	sqlite3_bind_int64(st, 1, id);
	panels = calloc(PAIR_MAX_PANELS, sizeof(*panels));
	panel_ids = calloc(PAIR_MAX_PANELS, sizeof(*panel_ids));
	panel_dup = calloc(PAIR_MAX_PANELS, sizeof(*panel_dup));
	if (panels == NULL || panel_ids == NULL || panel_dup == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *l = sqlite3_column_text(st, 5);

		if (np == PAIR_MAX_PANELS) {
			wn_warn("figure %lld: more than %d panels, the rest ignored",
				(long long)id, PAIR_MAX_PANELS);
			break;
		}
		panel_ids[np] = sqlite3_column_int64(st, 0);
		panels[np].x = sqlite3_column_int(st, 1);
		panels[np].y = sqlite3_column_int(st, 2);
		panels[np].w = sqlite3_column_int(st, 3);
		panels[np].h = sqlite3_column_int(st, 4);
		snprintf(panels[np].label, sizeof(panels[np].label), "%s",
			 l ? (const char *)l : "");
		panel_dup[np] = sqlite3_column_int(st, 6);
		np++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = wn_db_error(c->db);
		goto out;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	st = c->st_subs;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ns == PAIR_MAX_SUBS)
			break;
		if (ns == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct pair_sub *ts = realloc(subs, nc * sizeof(*ts));

			if (ts == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			subs = ts;
			char **tt = realloc(texts, nc * sizeof(*tt));

			if (tt == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			texts = tt;
			cap = nc;
		}
		memset(&subs[ns], 0, sizeof(subs[ns]));
		texts[ns] = NULL;
		parse_labels((const char *)sqlite3_column_text(st, 0), &subs[ns]);
		subs[ns].shared = sqlite3_column_int(st, 1) != 0;
		subs[ns].start = sqlite3_column_int(st, 2);
		if ((texts[ns] = col_dup(st, 3)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		subs[ns].text = texts[ns];
		ns++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		rc = wn_db_error(c->db);
		goto out;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	st = NULL;

	if (panels_bad) {
		/* the image could not be split: one dropped row for it */
		f->rows = calloc(1, sizeof(*f->rows));
		if (f->rows == NULL || (f->rows[0].caption = pair_clean_text(caption,
					strlen(caption))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		f->rows[0].w = width;
		f->rows[0].h = height;
		f->rows[0].reason = fig_reason ? fig_reason : "bad-image";
		f->nrows = 1;
		rc = 1;
		goto out;
	}
	if (strlen(caption) > PAIR_MAX_TEXT)
		caption[PAIR_MAX_TEXT] = '\0';	/* not reached: split caps it */
	rc = pair_assign(caption, subs, ns, panels, np, width, height, &pr);
	if (rc < 0)
		goto out;
	f->rows = calloc(pr.n ? pr.n : 1, sizeof(*f->rows));
	if (f->rows == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pr.n; i++) {
		struct pair_out *po = &pr.v[i];
		struct row *r = &f->rows[f->nrows++];
		const char *reason = fig_reason;

		r->panel_id = po->panel >= 0 ? panel_ids[po->panel] : 0;
		r->x = po->x;
		r->y = po->y;
		r->w = po->w;
		r->h = po->h;
		r->caption = po->caption;
		po->caption = NULL;
		if (reason == NULL && img_dup)
			reason = "duplicate";
		if (reason == NULL && po->panel >= 0 && panel_dup[po->panel])
			reason = "duplicate";
		if (reason == NULL && po->status == PAIR_NO_CAPTION)
			reason = "no-caption";
		if (reason == NULL && (r->w < o->min_side || r->h < o->min_side))
			reason = "too-small";
		if (reason == NULL && po->status == PAIR_UNLABELED)
			reason = "unlabeled";
		r->reason = reason;
	}
	rc = 1;
out:
	if (st)
		sqlite3_reset(st), sqlite3_clear_bindings(st);
	sqlite3_reset(c->st_fig);
	sqlite3_clear_bindings(c->st_fig);
	for (i = 0; texts && i < ns; i++)
		free(texts[i]);
	free(texts);
	free(subs);
	free(panels);
	free(panel_ids);
	free(panel_dup);
	pair_result_release(&pr);
	free(caption);
	free(lic);
	free(doc_text);
	free(source);
	wn_buf_release(&model);
	if (rc <= 0)
		fig_release(f);
	return rc;
}

/* ---- writing -------------------------------------------------------------- */

static int
write_fig(struct ctx *c, struct fig *f, int64_t *kept, size_t *nkept)
{
	sqlite3_stmt *st;
	int rc;

	if (c->o->redo) {
		sqlite3_bind_int64(c->st_del, 1, f->id);
		if ((rc = wn_db_step_done(c->db, c->st_del)) < 0)
			return rc;
		sqlite3_clear_bindings(c->st_del);
	} else {
		/* another run may have paired it since we looked */
		st = c->st_has;
		sqlite3_bind_int64(st, 1, f->id);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : wn_db_error(c->db);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	st = c->st_ins;
	for (size_t i = 0; i < f->nrows; i++) {
		const struct row *r = &f->rows[i];

		sqlite3_bind_int64(st, 1, f->id);
		if (r->panel_id > 0)
			sqlite3_bind_int64(st, 2, r->panel_id);
		sqlite3_bind_int64(st, 3, f->image_id);
		sqlite3_bind_int(st, 4, r->x);
		sqlite3_bind_int(st, 5, r->y);
		sqlite3_bind_int(st, 6, r->w);
		sqlite3_bind_int(st, 7, r->h);
		sqlite3_bind_text(st, 8, r->caption, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, r->reason ? "dropped" : "kept", -1,
				  SQLITE_STATIC);
		if (r->reason)
			sqlite3_bind_text(st, 10, r->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, f->split, -1, SQLITE_STATIC);
		if (f->model)
			sqlite3_bind_text(st, 12, f->model, -1, SQLITE_STATIC);
		rc = wn_db_step_done(c->db, st);
		sqlite3_clear_bindings(st);
		if (rc < 0)
			return rc;
		if (r->reason == NULL)
			kept[(*nkept)++] = sqlite3_last_insert_rowid(c->db->sql);
	}
	return 1;
}

static int
flush_batch(struct ctx *c)
{
	int64_t *kept = NULL;
	size_t nrows = 0, nkept = 0;
	int rc = 0, i;

	if (c->nbatch == 0)
		return 0;
	for (i = 0; i < c->nbatch; i++)
		nrows += c->batch[i].nrows;
	if ((kept = malloc((nrows ? nrows : 1) * sizeof(*kept))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = wn_db_begin(c->db)) < 0)
		goto out;
	for (i = 0; i < c->nbatch && rc >= 0; i++) {
		size_t before = nkept;

		rc = write_fig(c, &c->batch[i], kept, &nkept);
		if (rc > 0) {
			c->nfigs++;
			c->nkept += (int64_t)(nkept - before);
			c->ndropped += (int64_t)(c->batch[i].nrows - (nkept - before));
		} else if (rc == 0) {
			c->nskipped++;
		}
	}
	if (rc < 0) {
		wn_db_rollback(c->db);
		goto out;
	}
	if ((rc = wn_db_commit(c->db)) < 0) {
		wn_db_rollback(c->db);
		goto out;
	}
	for (size_t k = 0; k < nkept && rc >= 0; k++)
		rc = wn_rec_write(stdout, kept[k]);
	if (rc >= 0 && c->o->line_buffered && fflush(stdout) != 0)
		rc = wn_stdout_error();
out:
	for (i = 0; i < c->nbatch; i++)
		fig_release(&c->batch[i]);
	c->nbatch = 0;
	free(kept);
	return rc;
}

static int
add_fig(struct ctx *c, int64_t id)
{
	int rc;

	if (c->nbatch == 0)
		c->batch_start = wn_now();
	rc = fig_compute(c, id, &c->batch[c->nbatch]);
	if (rc < 0) {
		wn_error("figure %lld: %s", (long long)id, wn_strerror(rc));
		return rc;
	}
	if (rc > 0)
		c->nbatch++;
	if (c->nbatch == BATCH || (c->nbatch > 0 &&
	    wn_now() - c->batch_start > BATCH_SECONDS))
		return flush_batch(c);
	return 0;
}

static int
prepare_all(struct ctx *c)
{
	static const struct {
		size_t off;
		const char *sql;
	} t[] = {
		{ offsetof(struct ctx, st_all), sql_all },
		{ offsetof(struct ctx, st_fig), sql_fig },
		{ offsetof(struct ctx, st_panels), sql_panels },
		{ offsetof(struct ctx, st_subs), sql_subs },
		{ offsetof(struct ctx, st_has), sql_has_pairs },
		{ offsetof(struct ctx, st_del), sql_delete },
		{ offsetof(struct ctx, st_ins), sql_insert },
	};
	int rc;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sqlite3_stmt **st = (sqlite3_stmt **)((char *)c + t[i].off);

		if ((rc = wn_db_prepare(c->db, t[i].sql, st)) < 0)
			return rc;
	}
	return 0;
}

static void
finalize_all(struct ctx *c)
{
	sqlite3_finalize(c->st_all);
	sqlite3_finalize(c->st_fig);
	sqlite3_finalize(c->st_panels);
	sqlite3_finalize(c->st_subs);
	sqlite3_finalize(c->st_has);
	sqlite3_finalize(c->st_del);
	sqlite3_finalize(c->st_ins);
}

/* --all: the ready figures, a page at a time (ids only, short reads). */
static int
run_all(struct ctx *c)
{
	int64_t last = 0, ids[512];
	int rc;

	for (;;) {
		size_t n = 0;

		sqlite3_bind_int64(c->st_all, 1, last);
		sqlite3_bind_int(c->st_all, 2, c->o->redo);
		sqlite3_bind_int(c->st_all, 3, 512);
		while ((rc = sqlite3_step(c->st_all)) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(c->st_all, 0);
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(c->db);
		sqlite3_reset(c->st_all);
		sqlite3_clear_bindings(c->st_all);
		if (rc < 0)
			return rc;
		if (n == 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((rc = add_fig(c, ids[i])) < 0)
				return rc;
		last = ids[n - 1];
	}
}

static int
run_stdin(struct ctx *c, int64_t *ret_bad)
{
	struct wn_rec_reader rr;
	int64_t id;
	int rc;

	wn_rec_reader_init(&rr, stdin, "stdin");
	while ((rc = wn_rec_next(&rr, &id, NULL)) > 0)
		if ((rc = add_fig(c, id)) < 0)
			break;
	*ret_bad = rr.bad;
	wn_rec_reader_release(&rr);
	return rc;
}

int
pairdb_run(const struct pairdb_opts *o)
{
	struct wn_db_opts dbo = { .busy_timeout_ms = o->busy_ms };
	struct ctx *c = calloc(1, sizeof(*c));
	int64_t bad = 0;
	double t0 = wn_now();
	int rc, status = EX_OK;
	char summary[256];

	if (c == NULL) {
		wn_error("out of memory");
		return EX_OSERR;
	}
	c->o = o;
	rc = wn_db_open(o->db_path, &dbo, &c->db);
	if (rc < 0) {
		if (rc == -WN_ESCHEMA)
			wn_error("'%s' has a schema newer than this winnow-pair (which"
				 " knows version %d)", o->db_path,
				 wn_migrations[wn_migrations_count - 1].version);
		else
			wn_error("cannot open '%s': %s", o->db_path, wn_strerror(rc));
		free(c);
		return wn_exit_status(rc);
	}
	if ((rc = wn_db_run_begin(c->db, "winnow-pair", o->argc, o->argv)) < 0) {
		wn_error("cannot record the run in '%s': %s", o->db_path,
			 wn_strerror(rc));
		goto out;
	}
	if ((rc = prepare_all(c)) < 0) {
		wn_error("'%s': %s", o->db_path, wn_db_errmsg(c->db));
		goto out;
	}
	rc = o->all ? run_all(c) : run_stdin(c, &bad);
	if (rc >= 0)
		rc = flush_batch(c);
	else
		for (int i = 0; i < c->nbatch; i++)
			fig_release(&c->batch[i]);
	if (rc == -EPIPE)
		rc = 0;		/* the reader left: not our error */
	if (rc < 0)
		wn_error("cannot write pairs to '%s': %s", o->db_path, wn_strerror(rc));
out:
	if (rc < 0)
		status = wn_exit_status(rc);
	else if (o->max_errors >= 0 && bad > o->max_errors)
		status = WN_EX_PARTIAL;
	snprintf(summary, sizeof(summary),
		 "%lld figures: %lld pairs kept, %lld dropped; %lld skipped, "
		 "%lld bad lines in %.1fs", (long long)c->nfigs,
		 (long long)c->nkept, (long long)c->ndropped,
		 (long long)c->nskipped, (long long)bad, wn_now() - t0);
	if (c->db->run_id > 0)
		(void)wn_db_run_end(c->db, status, summary);
	if (status == EX_OK || status == WN_EX_PARTIAL)
		wn_summary("done: %s", summary);
	finalize_all(c);
	if (c->keys_loaded)
		keys_release(&c->keys);
	wn_db_close(c->db);
	free(c);
	return status;
}
