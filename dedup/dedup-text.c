/*
 * dedup-text.c: winnow-dedup captions: exact and near-duplicate captions and post
 * texts (normalised SHA-256, MinHash LSH verified by exact Jaccard >= 0.8), written
 * to `duplicates` with kind 'caption'.  Boilerplate texts are never grouped.
 * Signatures are stored in `dedup_texts`, so only new figures are normalised and
 * signed; the groups are recomputed from the stored signatures (cheap).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup-db.h"
#include "dedup/group.h"
#include "dedup/minhash.h"
#include "lib/db.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/banned.h"

#define BATCH_ROWS	500
#define JACCARD_MIN	0.8
#define BUCKET_CAP	5000

static const char sql_texts[] =
	"SELECT f.id, f.image_id, COALESCE(NULLIF(f.caption, ''), NULLIF(d.text, ''),"
	"       f.alt_text), COALESCE(d.published_at, d.created_at), t.figure_id IS NOT NULL"
	"  FROM figures f JOIN documents d ON d.id = f.document_id"
	"  LEFT JOIN dedup_texts t ON t.figure_id = f.id"
	" ORDER BY f.id";
static const char sql_put_text[] =
	"INSERT INTO dedup_texts (figure_id, norm_sha256, minhash, boilerplate, checked_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT (figure_id) DO UPDATE SET norm_sha256 = excluded.norm_sha256,"
	"   minhash = excluded.minhash, boilerplate = excluded.boilerplate,"
	"   checked_at = excluded.checked_at";
static const char sql_clear[] = "DELETE FROM duplicates WHERE kind = 'caption'";
static const char sql_next_group[] = "SELECT COALESCE(MAX(group_id), 0) + 1 FROM duplicates";
static const char sql_insert[] =
	"INSERT INTO duplicates (group_id, kind, image_id, figure_id, is_representative,"
	"                        method, distance) VALUES (?1, 'caption', ?2, ?3, ?4, ?5, ?6)";

struct text {
	int64_t figure_id, image_id;
	char *when;		/* owned */
	char sha[65];
	int boilerplate, is_new, usable;
	int64_t sigrow;		/* row in sigs, -1 if none */
	uint64_t *sh;		/* owned: shingles */
	size_t nsh;
};

struct texts {
	struct text *t;
	size_t n, cap;
	uint32_t *sigs;		/* n x DEDUP_MH_PERMS, usable texts only */
	uint32_t *row;		/* signature row -> text index */
	size_t nsig;
};

static void
texts_release(struct texts *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->t[i].when);
		free(x->t[i].sh);
	}
	free(x->t);
	free(x->sigs);
	free(x->row);
}

static int
text_match(void *ctx, uint32_t a, uint32_t b, int *ret_method, double *ret_dist)
{
	struct texts *x = ctx;
	const struct text *p = &x->t[x->row[a]], *q = &x->t[x->row[b]];
	double j;

	if (strcmp(p->sha, q->sha) == 0) {
		*ret_method = 0;
		*ret_dist = 0;
		return 1;
	}
	j = dedup_jaccard(p->sh, p->nsh, q->sh, q->nsh);
	if (j < JACCARD_MIN)
		return 0;
	*ret_method = 1;
	*ret_dist = 1.0 - j;
	return 1;
}

static int
text_rank(void *ctx, uint32_t a, uint32_t b)
{
	struct texts *x = ctx;
	const struct text *p = &x->t[x->row[a]], *q = &x->t[x->row[b]];
	int c = strcmp(p->when ? p->when : "~", q->when ? q->when : "~");

	if (c != 0)
		return c < 0 ? -1 : 1;
	return (p->figure_id > q->figure_id) - (p->figure_id < q->figure_id);
}

static int
load_texts(struct wn_db *db, struct texts *x)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = wn_db_prepare(db, sql_texts, &st);
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct text *t;
		const char *txt = (const char *)sqlite3_column_text(st, 2);
		const char *when = (const char *)sqlite3_column_text(st, 3);
		char *norm = NULL;
		size_t nlen;

		if (x->n == x->cap) {
			size_t nc = x->cap ? 2 * x->cap : 1024;
			struct text *v = realloc(x->t, nc * sizeof(*v));

			if (v == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			x->t = v;
			x->cap = nc;
		}
		t = &x->t[x->n++];
		memset(t, 0, sizeof(*t));
		t->figure_id = sqlite3_column_int64(st, 0);
		t->sigrow = -1;
		t->image_id = sqlite3_column_int64(st, 1);
		t->is_new = !sqlite3_column_int(st, 4);
		if (when && (t->when = strdup(when)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		if (txt == NULL)
			continue;
		rc = dedup_text_normalise(txt, (size_t)sqlite3_column_bytes(st, 2), &norm,
					  &nlen);
		if (rc < 0)
			goto out;
		t->boilerplate = dedup_text_boilerplate(norm, nlen);
		rc = wn_sha256_hex(norm, nlen, t->sha);
		if (rc == 0 && !t->boilerplate)
			rc = dedup_shingles(norm, nlen, &t->sh, &t->nsh);
		free(norm);
		if (rc < 0)
			goto out;
		t->usable = !t->boilerplate && nlen > 0;
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(db);
out:
	sqlite3_finalize(st);
	return rc;
}

struct keyed {
	const char *sha;
	uint32_t row;
};

static int
cmp_sha(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->sha, y->sha);

	return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* Commit the rows written so far and open the next transaction. */
static int
next_batch(struct wn_db *db, int *in_tx)
{
	int rc = wn_db_commit(db);

	*in_tx = 0;
	if (rc == 0 && (rc = wn_db_begin(db)) == 0)
		*in_tx = 1;
	return rc;
}

int
dedup_db_captions(const struct dedup_dbopts *d)
{
	struct wn_db *db = NULL;
	struct wn_db_opts dopts = { .busy_timeout_ms = d->busy_ms };
	struct texts x = { 0 };
	struct dedup_groups gs = { 0 };
	uint32_t *pairs = NULL;
	struct keyed *keys = NULL;
	sqlite3_stmt *put = NULL, *ins = NULL, *next = NULL;
	size_t npairs = 0, skipped = 0, nk = 0;
	int64_t gid = 1, dups = 0;
	int rc, status = EX_OK, in_tx = 0, rows = 0;
	char now[32], summary[160];

	rc = wn_db_open(d->path, &dopts, &db);
	if (rc < 0) {
		wn_error("cannot open '%s': %s", d->path, wn_strerror(rc));
		return wn_exit_status(rc);
	}
	rc = wn_db_run_begin(db, "winnow-dedup", d->argc, d->argv);
	if (rc == 0)
		rc = load_texts(db, &x);
	if (rc < 0)
		goto out;
	rc = -ENOMEM;
	x.sigs = malloc((x.n + 1) * DEDUP_MH_PERMS * sizeof(uint32_t));
	x.row = malloc((x.n + 1) * sizeof(uint32_t));
	keys = malloc((x.n + 1) * sizeof(*keys));
	if (x.sigs == NULL || x.row == NULL || keys == NULL)
		goto out;
	for (size_t i = 0; i < x.n; i++) {
		if (!x.t[i].usable)
			continue;
		dedup_minhash(x.t[i].sh, x.t[i].nsh, x.sigs + x.nsig * DEDUP_MH_PERMS);
		x.t[i].sigrow = (int64_t)x.nsig;
		keys[nk].sha = x.t[i].sha;
		keys[nk].row = (uint32_t)x.nsig;
		nk++;
		x.row[x.nsig++] = (uint32_t)i;
	}
	/* candidates: equal normalised text, and LSH bands */
	rc = dedup_lsh_pairs(x.sigs, x.nsig, BUCKET_CAP, &pairs, &npairs, &skipped);
	if (rc < 0)
		goto out;
	qsort(keys, nk, sizeof(*keys), cmp_sha);
	for (size_t i = 1; i < nk; i++) {
		if (strcmp(keys[i - 1].sha, keys[i].sha) != 0)
			continue;
		uint32_t *v = realloc(pairs, (npairs + 1) * 2 * sizeof(uint32_t));

		if (v == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		pairs = v;
		pairs[2 * npairs] = keys[i - 1].row;
		pairs[2 * npairs + 1] = keys[i].row;
		npairs++;
	}
	if (skipped)
		wn_warn("%zu LSH buckets of more than %d texts skipped", skipped, BUCKET_CAP);
	rc = dedup_group_build((uint32_t)x.nsig, pairs, npairs, text_rank, text_match, &x, 0,
			       &gs);
	if (rc < 0)
		goto out;

	rc = wn_db_prepare(db, sql_put_text, &put);
	if (rc == 0)
		rc = wn_db_prepare(db, sql_insert, &ins);
	if (rc == 0)
		rc = wn_db_prepare(db, sql_next_group, &next);
	if (rc < 0)
		goto out;
	wn_db_now(now, sizeof(now));
	rc = wn_db_begin(db);
	if (rc < 0)
		goto out;
	in_tx = 1;
	rc = wn_db_exec(db, sql_clear);
	if (rc < 0)
		goto out;
	if (sqlite3_step(next) == SQLITE_ROW)
		gid = sqlite3_column_int64(next, 0);
	sqlite3_reset(next);
	for (size_t g = 0; g < gs.n; g++) {
		const struct dedup_group *gr = &gs.g[g];

		for (size_t m = 0; m <= gr->n; m++) {
			const struct text *t = &x.t[x.row[m == 0 ? gr->rep : gr->m[m - 1].item]];

			sqlite3_bind_int64(ins, 1, gid);
			if (t->image_id)
				sqlite3_bind_int64(ins, 2, t->image_id);
			else
				sqlite3_bind_null(ins, 2);
			sqlite3_bind_int64(ins, 3, t->figure_id);
			sqlite3_bind_int(ins, 4, m == 0);
			if (m == 0) {
				sqlite3_bind_text(ins, 5, "representative", -1, SQLITE_STATIC);
				sqlite3_bind_null(ins, 6);
			} else {
				sqlite3_bind_text(ins, 5, gr->m[m - 1].method ? "caption-minhash" :
						  "caption-exact", -1, SQLITE_STATIC);
				sqlite3_bind_double(ins, 6, gr->m[m - 1].dist);
			}
			rc = wn_db_step_done(db, ins);
			if (rc < 0)
				goto out;
			rows++;
			if (m > 0) {
				dups++;
				rc = wn_rec_write(stdout, t->figure_id);
				if (rc < 0 && rc != -EPIPE)
					goto out;
			}
		}
		gid++;
		if (rows >= BATCH_ROWS) {
			rows = 0;
			if ((rc = next_batch(db, &in_tx)) < 0)
				goto out;
		}
	}
	for (size_t i = 0; i < x.n; i++) {
		const struct text *t = &x.t[i];

		if (!t->is_new)
			continue;
		sqlite3_bind_int64(put, 1, t->figure_id);
		if (t->sha[0])
			sqlite3_bind_text(put, 2, t->sha, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(put, 2);
		if (t->sigrow >= 0)
			sqlite3_bind_blob(put, 3, x.sigs + (size_t)t->sigrow * DEDUP_MH_PERMS,
					  DEDUP_MH_PERMS * 4, SQLITE_STATIC);
		else
			sqlite3_bind_null(put, 3);
		sqlite3_bind_int(put, 4, t->boilerplate);
		sqlite3_bind_text(put, 5, now, -1, SQLITE_STATIC);
		rc = wn_db_step_done(db, put);
		if (rc < 0)
			goto out;
		if (++rows >= BATCH_ROWS) {
			rows = 0;
			if ((rc = next_batch(db, &in_tx)) < 0)
				goto out;
		}
	}
	rc = wn_db_commit(db);
	in_tx = 0;
	if (rc < 0)
		goto out;
	snprintf(summary, sizeof(summary), "%zu texts, %zu candidate pairs, %zu groups, "
		 "%lld duplicates", x.nsig, npairs, gs.n, (long long)dups);
	wn_info("done: %s", summary);
out:
	status = wn_db_run_finish(db, in_tx, rc, status, summary);
	sqlite3_finalize(put);
	sqlite3_finalize(ins);
	sqlite3_finalize(next);
	wn_db_close(db);
	dedup_groups_release(&gs);
	texts_release(&x);
	free(pairs);
	free(keys);
	return status;
}
