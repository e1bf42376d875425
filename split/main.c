/*
 * winnow-split: compound figures into panels, captions into sub-captions.
 *
 *   winnow-split [--json] FILE...          panels of image files
 *   winnow-split --caption [--json] [--caption-file F]   one caption
 *   winnow-split [--all] < ids             the database: figures not split yet
 *
 * The database form computes outside any transaction (decoding and panel
 * detection on -j threads, caption splitting) and writes each batch in one
 * short BEGIN IMMEDIATE: panels rows, subcaptions rows and a split_state row
 * that records the model versions, so that a rerun skips the figure.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/caption.h"
#include "lib/db.h"
#include "lib/img.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "lib/rec.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "lib/banned.h"

#define MAX_JOBS	64
#define BATCH		32		/* figures per write transaction */

static const char usage_text[] =
	"usage: winnow-split [-qv] [-d FILE] [-j N] [--all] [--max-errors N]\n"
	"                    [--busy-timeout MS] [--line-buffered] [--model FILE]\n"
	"                    [--caption-model FILE]\n"
	"       winnow-split [-qv] [-j N] [--json] [--model FILE] FILE...\n"
	"       winnow-split --caption [-qv] [--json] [--caption-file FILE]\n"
	"                    [--caption-model FILE]\n"
	"\n"
	"Split compound figures into panels and captions into sub-captions.  With\n"
	"no FILE, reads figure ids on stdin (or takes --all) and splits, in the\n"
	"database, every figure not split yet; prints the ids of the figures split.\n"
	"\n"
	"Options:\n"
	"  -d, --db FILE             database (default $WINNOW_DB, else ./winnow.db)\n"
	"      --all                 every figure not split yet, instead of stdin\n"
	"  -j, --jobs N              threads for panel detection (default: CPUs)\n"
	"      --json                JSON Lines output (standalone forms)\n"
	"      --caption             split one caption read on stdin\n"
	"      --caption-file FILE   read the caption from FILE (implies --caption)\n"
	"      --model FILE          panel model (default: the shipped one)\n"
	"      --caption-model FILE  caption model (default: the shipped one)\n"
	"      --max-errors N        failed figures tolerated before exit 1\n"
	"      --busy-timeout MS     wait for a locked database (default 10000)\n"
	"      --line-buffered       flush the output after every id\n"
	"  -q, --quiet               errors only\n"
	"  -v, --verbose             more messages (repeatable)\n"
	"  -h, --help                this help\n"
	"  -V, --version             version and library versions\n"
	"\n"
	"See winnow-split(1).\n";

enum {
	OPT_ALL = 256,
	OPT_JSON,
	OPT_CAPTION,
	OPT_CAPTION_FILE,
	OPT_MODEL,
	OPT_CAPTION_MODEL,
	OPT_MAX_ERRORS,
	OPT_BUSY,
	OPT_LINEBUF,
};

struct opts {
	const char *db_path;
	const char *model_path;
	const char *caption_model_path;
	const char *caption_file;
	char **paths;
	int npaths;
	int all, json, caption, jobs, busy_ms;
	int64_t max_errors;		/* -1 = no limit */
};

static int
finish_status(int64_t nerrors, int64_t max_errors)
{
	if (max_errors >= 0 && nerrors > max_errors)
		return WN_EX_PARTIAL;
	return EX_OK;
}

static int
put_out(const struct wn_buf *b)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, stdout) != b->len)
		return wn_stdout_error();
	return 0;
}

/* ------------------------------------------------------------- captions */

static int
caption_text_out(const struct wn_caption_split *s, struct wn_buf *b)
{
	size_t i, j;
	int k, rc = 0;

	/* LABELS TAB START TAB END TAB TEXT, in text order; "-" for shared */
	for (i = 0, j = 0; rc >= 0 && (i < s->nsubs || j < s->nshared);) {
		const struct wn_caption_span *sp;
		int shared;

		if (j >= s->nshared || (i < s->nsubs &&
				s->subs[i].start <= s->shared[j].start)) {
			sp = &s->subs[i++];
			shared = 0;
		} else {
			sp = &s->shared[j++];
			shared = 1;
		}
		if (shared)
			rc = wn_buf_add(b, "-", 1);
		for (k = 0; rc >= 0 && k < sp->nlabels; k++) {
			if (k > 0)
				rc = wn_buf_add(b, ",", 1);
			if (rc >= 0)
				rc = wn_buf_addstr(b, sp->labels[k]);
		}
		if (rc >= 0)
			rc = wn_buf_printf(b, "\t%d\t%d\t", sp->start, sp->end);
		for (k = sp->start; rc >= 0 && k < sp->end; k++) {
			uint32_t c = s->cp[k];

			if (c == '\t' || c == '\n' || c == '\r' || c == 0)
				c = ' ';
			rc = wn_caption_utf8(b, &c, 0, 1);
		}
		if (rc >= 0)
			rc = wn_buf_add(b, "\n", 1);
	}
	return rc;
}

static int
run_caption(const struct opts *o)
{
	struct wn_caption_model cm;
	const struct wn_caption_model *m = NULL;
	struct wn_caption_split s = { 0 };
	struct wn_buf in, out;
	FILE *f = stdin;
	const char *name = o->caption_file ? o->caption_file : "stdin";
	char chunk[65536];
	size_t n;
	int rc, status = EX_OK;

	if (o->caption_model_path != NULL) {
		rc = wn_caption_model_load(o->caption_model_path, &cm);
		if (rc < 0) {
			wn_error("cannot load caption model '%s': %s",
					o->caption_model_path, wn_strerror(rc));
			return wn_exit_status(rc) == EX_USAGE ? EX_DATAERR :
				wn_exit_status(rc);
		}
		m = &cm;
	}
	wn_buf_init(&in, WN_CAPTION_MAX_BYTES);
	wn_buf_init(&out, 0);
	if (o->caption_file != NULL) {
		f = fopen(o->caption_file, "rb");
		if (f == NULL) {
			wn_error("cannot open '%s': %s", o->caption_file,
					strerror(errno));
			return EX_NOINPUT;
		}
	}
	rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = wn_buf_add(&in, chunk, n);
		if (rc < 0)
			break;
	}
	if (rc >= 0 && ferror(f)) {
		wn_error("cannot read '%s': %s", name, strerror(errno));
		status = EX_IOERR;
		goto out;
	}
	if (rc == -WN_ETOOBIG) {
		wn_error("'%s': caption longer than %d bytes", name,
				WN_CAPTION_MAX_BYTES);
		status = EX_DATAERR;
		goto out;
	}
	if (rc < 0) {
		wn_error("'%s': %s", name, wn_strerror(rc));
		status = wn_exit_status(rc);
		goto out;
	}
	/* one trailing newline is the file's, not the caption's */
	n = in.len;
	if (n > 0 && in.data[n - 1] == '\n')
		n--;
	if (n > 0 && in.data[n - 1] == '\r')
		n--;
	rc = wn_caption_split(m, in.data ? in.data : "", n, &s);
	if (rc < 0) {
		wn_error("'%s': cannot split the caption: %s", name,
				wn_strerror(rc));
		status = wn_exit_status(rc) == EX_USAGE ? EX_SOFTWARE :
			wn_exit_status(rc);
		goto out;
	}
	if (o->json) {
		rc = wn_caption_split_json(&s, &out);
		if (rc >= 0)
			rc = wn_buf_add(&out, "\n", 1);
	} else {
		rc = caption_text_out(&s, &out);
	}
	if (rc >= 0)
		rc = put_out(&out);
	if (rc == -EPIPE)
		rc = 0;
	if (rc < 0)
		status = rc == -ENOMEM ? EX_OSERR : EX_IOERR;
out:
	wn_caption_split_release(&s);
	wn_buf_release(&in);
	wn_buf_release(&out);
	if (f != stdin)
		fclose(f);
	return status;
}

/* ------------------------------------------------------ thread pool */

struct pool {
	pthread_mutex_t mu;
	size_t next, n;
	void (*fn)(void *ud, size_t i);
	void *ud;
};

static void *
pool_worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			break;
		p->fn(p->ud, i);
	}
	return NULL;
}

/* Run fn(ud, i) for i < n on up to jobs threads (the caller is one). */
static int
pool_run(int jobs, size_t n, void (*fn)(void *, size_t), void *ud)
{
	struct pool p = { .n = n, .fn = fn, .ud = ud };
	pthread_t th[MAX_JOBS];
	int k, started = 0, rc = 0;

	if (pthread_mutex_init(&p.mu, NULL) != 0)
		return -ENOMEM;
	if ((size_t)jobs > n)
		jobs = (int)n;
	for (k = 1; k < jobs; k++) {
		if (pthread_create(&th[k], NULL, pool_worker, &p) != 0) {
			rc = -EAGAIN;
			break;
		}
		started++;
	}
	pool_worker(&p);
	for (k = 1; k <= started; k++)
		pthread_join(th[k], NULL);
	pthread_mutex_destroy(&p.mu);
	/* threads that could not start leave their share to the others */
	(void)rc;
	return 0;
}

/* ------------------------------------------------------ standalone files */

struct file_job {
	const char *path;		/* borrowed */
	struct wn_panel_set set;
	int rc;
};

struct files_ctx {
	const struct wn_panel_model *m;
	struct file_job *jobs;
};

static void
file_work(void *ud, size_t i)
{
	struct files_ctx *c = ud;
	struct file_job *j = &c->jobs[i];

	j->rc = wn_panels_detect_file(c->m, j->path, &j->set);
}

static int
json_path(struct wn_buf *b, const char *s)
{
	uint32_t *cp = NULL;
	size_t n = 0;
	int rc;

	rc = wn_caption_decode(s, strlen(s), &cp, &n);
	if (rc >= 0)
		rc = wn_caption_json_string(b, cp, 0, (int)n);
	free(cp);
	return rc;
}

static int
file_out(const struct opts *o, const struct file_job *j, struct wn_buf *b)
{
	size_t k;
	int rc = 0;

	if (!o->json) {
		for (k = 0; rc >= 0 && k < j->set.n; k++) {
			const struct wn_panel *p = &j->set.v[k];

			rc = wn_buf_printf(b, "%s\t%d\t%d\t%d\t%d\t%s\t%.4f\n",
					j->path, p->x, p->y, p->w, p->h,
					p->label[0] ? p->label : "-", p->score);
		}
		return rc;
	}
	rc = wn_buf_addstr(b, "{\"path\": ");
	if (rc >= 0)
		rc = json_path(b, j->path);
	if (rc >= 0 && j->rc < 0) {
		rc = wn_buf_addstr(b, ", \"error\": ");
		if (rc >= 0)
			rc = json_path(b, wn_strerror(j->rc));
		if (rc >= 0)
			rc = wn_buf_addstr(b, "}\n");
		return rc;
	}
	if (rc >= 0)
		rc = wn_buf_printf(b, ", \"width\": %d, \"height\": %d, "
				"\"compound\": %s, \"panels\": [", j->set.width,
				j->set.height, j->set.compound ? "true" : "false");
	for (k = 0; rc >= 0 && k < j->set.n; k++) {
		const struct wn_panel *p = &j->set.v[k];

		rc = wn_buf_printf(b, "%s{\"x\": %d, \"y\": %d, \"w\": %d, "
				"\"h\": %d, \"label\": ", k ? ", " : "", p->x, p->y,
				p->w, p->h);
		if (rc >= 0)
			rc = json_path(b, p->label);
		if (rc >= 0)
			rc = wn_buf_printf(b, ", \"score\": %.4f}", p->score);
	}
	if (rc >= 0)
		rc = wn_buf_addstr(b, "]}\n");
	return rc;
}

static int
load_panel_model(const struct opts *o, struct wn_panel_model **ret)
{
	int rc = wn_panel_model_load(o->model_path, ret);

	if (rc < 0)
		wn_error("cannot load panel model '%s': %s",
				o->model_path ? o->model_path : "(shipped)",
				wn_strerror(rc));
	return rc;
}

static int
run_files(const struct opts *o)
{
	struct wn_panel_model *m = NULL;
	struct files_ctx c = { 0 };
	struct wn_buf b;
	int64_t nerrors = 0;
	int i, rc, start, status = EX_OK;
	const int chunk = 64;

	rc = load_panel_model(o, &m);
	if (rc < 0)
		return wn_exit_status(rc) == EX_USAGE ? EX_DATAERR :
			wn_exit_status(rc);
	c.m = m;
	c.jobs = calloc((size_t)chunk, sizeof(*c.jobs));
	if (c.jobs == NULL) {
		wn_panel_model_free(m);
		return EX_OSERR;
	}
	wn_buf_init(&b, 0);
	/* in chunks, so that output keeps the order of the arguments */
	for (start = 0; start < o->npaths && status == EX_OK; start += chunk) {
		int n = o->npaths - start < chunk ? o->npaths - start : chunk;

		for (i = 0; i < n; i++) {
			memset(&c.jobs[i], 0, sizeof(c.jobs[i]));
			c.jobs[i].path = o->paths[start + i];
		}
		rc = pool_run(o->jobs, (size_t)n, file_work, &c);
		if (rc < 0) {
			wn_error("cannot start threads: %s", wn_strerror(rc));
			status = EX_OSERR;
		}
		wn_buf_reset(&b);
		for (i = 0; i < n; i++) {
			struct file_job *j = &c.jobs[i];

			if (j->rc < 0) {
				fflush(stdout);
				wn_warn("'%s': %s, skipping", j->path,
						wn_strerror(j->rc));
				nerrors++;
			}
			if (status == EX_OK && file_out(o, j, &b) < 0)
				status = EX_OSERR;
			wn_panel_set_release(&j->set);
		}
		if (status == EX_OK && (rc = put_out(&b)) < 0)
			status = rc == -EPIPE ? EX_OK : EX_IOERR;
		if (rc == -EPIPE)
			break;
	}
	if (status == EX_OK) {
		status = finish_status(nerrors, o->max_errors);
		if (status != EX_OK)
			wn_error("%lld files failed, more than --max-errors %lld",
					(long long)nerrors, (long long)o->max_errors);
	}
	wn_buf_release(&b);
	free(c.jobs);
	wn_panel_model_free(m);
	return status;
}

/* -------------------------------------------------------------- database */

static const char sql_all[] =
	"SELECT f.id FROM figures f LEFT JOIN split_state s ON s.figure_id = f.id"
	" WHERE f.id > ?1 AND ("
	"  (f.image_id IS NOT NULL AND s.panels_model IS NULL AND NOT EXISTS"
	"   (SELECT 1 FROM panels p WHERE p.figure_id = f.id))"
	"  OR (f.caption IS NOT NULL AND s.captions_model IS NULL AND NOT EXISTS"
	"   (SELECT 1 FROM subcaptions c WHERE c.figure_id = f.id)))"
	" ORDER BY f.id LIMIT ?2";

/* What a figure still needs: 1 = panels, 2 = captions (bits). */
static const char sql_need[] =
	"SELECT f.image_id, i.path, f.caption,"
	"  (f.image_id IS NOT NULL AND i.id IS NOT NULL"
	"   AND (s.panels_model IS NULL) AND NOT EXISTS"
	"   (SELECT 1 FROM panels p WHERE p.figure_id = f.id)),"
	"  (f.caption IS NOT NULL AND (s.captions_model IS NULL) AND NOT EXISTS"
	"   (SELECT 1 FROM subcaptions c WHERE c.figure_id = f.id))"
	" FROM figures f LEFT JOIN images i ON i.id = f.image_id"
	" LEFT JOIN split_state s ON s.figure_id = f.id WHERE f.id = ?1";

static const char sql_panel[] =
	"INSERT INTO panels (figure_id, image_id, ordinal, x, y, w, h, label,"
	" score, model) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

static const char sql_subcap[] =
	"INSERT INTO subcaptions (figure_id, ordinal, labels, is_shared, start,"
	" end, text, model) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static const char sql_state[] =
	"INSERT INTO split_state (figure_id, panels_model, panels_error,"
	" captions_model, captions_error, split_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	" ON CONFLICT (figure_id) DO UPDATE SET"
	"  panels_model = COALESCE(excluded.panels_model, panels_model),"
	"  panels_error = COALESCE(excluded.panels_error, panels_error),"
	"  captions_model = COALESCE(excluded.captions_model, captions_model),"
	"  captions_error = COALESCE(excluded.captions_error, captions_error),"
	"  split_at = excluded.split_at";

struct fig {
	int64_t id;
	int64_t image_id;
	char *path;			/* owned: store path of the image */
	char *caption;			/* owned */
	size_t caption_len;
	int need;			/* bits: 1 panels, 2 captions */
	struct wn_panel_set set;
	int prc;			/* panels: 0 ok, <0 error */
	struct wn_caption_split cs;
	int crc;			/* captions: 0 ok, <0 error */
};

struct db_ctx {
	const struct opts *o;
	struct wn_db *db;
	const struct wn_panel_model *pm;
	const char *pm_version;
	const struct wn_caption_model *cm;
	sqlite3_stmt *st_all, *st_need, *st_panel, *st_subcap, *st_state;
	struct wn_rec_reader rr;
	int64_t last_id;		/* --all: paging cursor */
	int eof;
	struct fig figs[BATCH];
	int nfigs;
	int64_t nsplit, npanels, nsubcaps, nerrors;
};

static void
fig_release(struct fig *f)
{
	free(f->path);
	free(f->caption);
	wn_panel_set_release(&f->set);
	wn_caption_split_release(&f->cs);
	memset(f, 0, sizeof(*f));
}

static char *
dup_col(sqlite3_stmt *st, int col, size_t *ret_len)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	char *s;

	if (t == NULL)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	memcpy(s, t, (size_t)n);
	s[n] = '\0';
	if (ret_len)
		*ret_len = (size_t)n;
	return s;
}

/*
 * Load what figure id still needs, with its image path and caption (only the
 * needs when need_only); 1 if anything, 0 if nothing, <0 error.
 */
static int
fig_load(struct db_ctx *c, int64_t id, int need_only, struct fig *f)
{
	sqlite3_stmt *st = c->st_need;
	int rc;

	memset(f, 0, sizeof(*f));
	f->id = id;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		fflush(stdout);
		wn_warn("figure %lld: no such figure, skipping", (long long)id);
		c->nerrors++;
		rc = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = wn_db_error(c->db);
		goto out;
	}
	f->need = (sqlite3_column_int(st, 3) ? 1 : 0) |
		(sqlite3_column_int(st, 4) ? 2 : 0);
	if (f->need == 0 || need_only) {
		rc = f->need != 0;
		goto out;
	}
	f->image_id = sqlite3_column_int64(st, 0);
	if (f->need & 1) {
		const unsigned char *p = sqlite3_column_text(st, 1);
		struct wn_buf b;

		wn_buf_init(&b, 0);
		if (p != NULL && (wn_buf_printf(&b, "%s/%s", c->db->store,
				(const char *)p) < 0)) {
			wn_buf_release(&b);
			rc = -ENOMEM;
			goto out;
		}
		f->path = wn_buf_detach(&b, NULL);
	}
	/* the caption: to split, or for how many panels it names */
	if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
	    (f->caption = dup_col(st, 2, &f->caption_len)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = 1;
out:
	if (rc <= 0)
		fig_release(f);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

/* Next id to look at: from stdin or the --all query; 1, 0 at the end, <0. */
static int
next_id(struct db_ctx *c, int64_t *ret_id)
{
	int rc;

	if (!c->o->all)
		return wn_rec_next(&c->rr, ret_id, NULL);
	sqlite3_bind_int64(c->st_all, 1, c->last_id);
	sqlite3_bind_int(c->st_all, 2, 1);
	rc = sqlite3_step(c->st_all);
	if (rc == SQLITE_ROW) {
		*ret_id = sqlite3_column_int64(c->st_all, 0);
		c->last_id = *ret_id;
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = wn_db_error(c->db);
	}
	sqlite3_reset(c->st_all);
	sqlite3_clear_bindings(c->st_all);
	return rc;
}

static void
fig_work(void *ud, size_t i)
{
	struct db_ctx *c = ud;
	struct fig *f = &c->figs[i];
	int want = 0;

	/* split to store (need & 2), or to count the panels it names; a
	   figure that needs its caption split has one */
	if (f->caption != NULL) {
		f->crc = wn_caption_split(c->cm, f->caption, f->caption_len,
					  &f->cs);
		if (f->crc == 0)
			want = wn_caption_npanels(&f->cs);
	}
	if (f->need & 1) {
		f->prc = f->path ? wn_panels_detect_file_hint(c->pm, f->path,
							      want, &f->set) :
			-ENOENT;
	}
}

/* Sub-captions and shared spans as rows, in text order. */
static int
write_subcaps(struct db_ctx *c, struct fig *f, const char *ver)
{
	sqlite3_stmt *st = c->st_subcap;
	const struct wn_caption_split *s = &f->cs;
	struct wn_buf lab, txt;
	size_t i = 0, j = 0;
	int ord = 0, rc = 0;

	wn_buf_init(&lab, 0);
	wn_buf_init(&txt, 0);
	while (rc >= 0 && (i < s->nsubs || j < s->nshared)) {
		const struct wn_caption_span *sp;
		int shared;

		if (j >= s->nshared || (i < s->nsubs &&
				s->subs[i].start <= s->shared[j].start)) {
			sp = &s->subs[i++];
			shared = 0;
		} else {
			sp = &s->shared[j++];
			shared = 1;
		}
		wn_buf_reset(&lab);
		wn_buf_reset(&txt);
		rc = wn_caption_labels_json(&lab, sp, ",");
		if (rc >= 0)
			rc = wn_caption_utf8(&txt, s->cp, sp->start, sp->end);
		if (rc >= 0 && txt.data == NULL)
			rc = wn_buf_add(&txt, "", 0);
		if (rc < 0)
			break;
		sqlite3_bind_int64(st, 1, f->id);
		sqlite3_bind_int(st, 2, ord++);
		sqlite3_bind_text(st, 3, lab.data, (int)lab.len, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, shared);
		sqlite3_bind_int(st, 5, sp->start);
		sqlite3_bind_int(st, 6, sp->end);
		sqlite3_bind_text(st, 7, txt.data ? txt.data : "", (int)txt.len,
				SQLITE_STATIC);
		sqlite3_bind_text(st, 8, ver, -1, SQLITE_STATIC);
		rc = wn_db_step_done(c->db, st);
		sqlite3_clear_bindings(st);
		c->nsubcaps++;
	}
	wn_buf_release(&lab);
	wn_buf_release(&txt);
	return rc;
}

static int
write_panels(struct db_ctx *c, struct fig *f)
{
	sqlite3_stmt *st = c->st_panel;
	size_t k;
	int rc = 0;

	for (k = 0; rc >= 0 && k < f->set.n; k++) {
		const struct wn_panel *p = &f->set.v[k];

		if (p->w <= 0 || p->h <= 0)
			continue;
		sqlite3_bind_int64(st, 1, f->id);
		sqlite3_bind_int64(st, 2, f->image_id);
		sqlite3_bind_int(st, 3, (int)k);
		sqlite3_bind_int(st, 4, p->x);
		sqlite3_bind_int(st, 5, p->y);
		sqlite3_bind_int(st, 6, p->w);
		sqlite3_bind_int(st, 7, p->h);
		sqlite3_bind_text(st, 8, p->label, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 9, p->score);
		sqlite3_bind_text(st, 10, c->pm_version, -1, SQLITE_STATIC);
		rc = wn_db_step_done(c->db, st);
		sqlite3_clear_bindings(st);
		c->npanels++;
	}
	return rc;
}

/* Is a panel error about the image itself (recorded) rather than transient? */
static int
image_error(int rc)
{
	return rc == -WN_EFORMAT || rc == -WN_ECORRUPT || rc == -WN_ETOOBIG ||
		rc == -WN_EUNSUPPORTED || rc == -EINVAL;
}

/* Write the batch in one short transaction; print the ids split after it. */
static int
flush_batch(struct db_ctx *c)
{
	int64_t done[BATCH];
	int i, ndone = 0, rc;
	char now[32];

	if (c->nfigs == 0)
		return 0;
	rc = pool_run(c->o->jobs, (size_t)c->nfigs, fig_work, c);
	if (rc < 0)
		return rc;
	wn_db_now(now, sizeof(now));
	rc = wn_db_begin(c->db);
	if (rc < 0)
		return rc;
	for (i = 0; i < c->nfigs && rc >= 0; i++) {
		struct fig *f = &c->figs[i], again;
		const char *pmodel = NULL, *perr = NULL, *cmodel = NULL,
		      *cerr = NULL;
		int wrote = 0, r2;

		/* another process may have split it meanwhile */
		r2 = fig_load(c, f->id, 1, &again);
		if (r2 < 0) {
			rc = r2;
			break;
		}
		f->need &= again.need;
		fig_release(&again);
		if ((f->need & 1) && f->prc >= 0) {
			rc = write_panels(c, f);
			pmodel = c->pm_version;
			wrote = 1;
		} else if ((f->need & 1) && image_error(f->prc)) {
			fflush(stdout);
			wn_warn("figure %lld: image '%s': %s, skipping",
					(long long)f->id, f->path ? f->path : "",
					wn_strerror(f->prc));
			pmodel = c->pm_version;
			perr = wn_strerror(f->prc);
			c->nerrors++;
		} else if (f->need & 1) {
			fflush(stdout);
			wn_warn("figure %lld: image '%s': %s, skipping",
					(long long)f->id, f->path ? f->path : "",
					wn_strerror(f->prc));
			c->nerrors++;
		}
		if (rc >= 0 && (f->need & 2) && f->crc >= 0) {
			rc = write_subcaps(c, f, c->cm->version);
			cmodel = c->cm->version;
			wrote = 1;
		} else if (rc >= 0 && (f->need & 2)) {
			fflush(stdout);
			wn_warn("figure %lld: caption: %s, skipping",
					(long long)f->id, wn_strerror(f->crc));
			cmodel = c->cm->version;
			cerr = wn_strerror(f->crc);
			c->nerrors++;
		}
		if (rc >= 0 && (pmodel || cmodel)) {
			sqlite3_stmt *st = c->st_state;

			sqlite3_bind_int64(st, 1, f->id);
			if (pmodel)
				sqlite3_bind_text(st, 2, pmodel, -1, SQLITE_STATIC);
			if (perr)
				sqlite3_bind_text(st, 3, perr, -1, SQLITE_STATIC);
			if (cmodel)
				sqlite3_bind_text(st, 4, cmodel, -1, SQLITE_STATIC);
			if (cerr)
				sqlite3_bind_text(st, 5, cerr, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
			rc = wn_db_step_done(c->db, st);
			sqlite3_clear_bindings(st);
		}
		if (rc >= 0 && wrote)
			done[ndone++] = f->id;
	}
	if (rc >= 0)
		rc = wn_db_commit(c->db);
	if (rc < 0) {
		wn_db_rollback(c->db);
		return rc;
	}
	for (i = 0; i < c->nfigs; i++)
		fig_release(&c->figs[i]);
	c->nfigs = 0;
	c->nsplit += ndone;
	for (i = 0; i < ndone; i++) {
		rc = wn_rec_write(stdout, done[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
run_db(const struct opts *o, int argc, char **argv)
{
	struct wn_db_opts dbo = { .busy_timeout_ms = o->busy_ms };
	struct db_ctx c = { .o = o };
	struct wn_panel_model *pm = NULL;
	struct wn_caption_model cm;
	struct wn_db *db = NULL;
	double t0 = wn_now();
	char summary[160];
	int rc, status, i;

	if (o->caption_model_path != NULL) {
		rc = wn_caption_model_load(o->caption_model_path, &cm);
		if (rc < 0) {
			wn_error("cannot load caption model '%s': %s",
					o->caption_model_path, wn_strerror(rc));
			return wn_exit_status(rc) == EX_USAGE ? EX_DATAERR :
				wn_exit_status(rc);
		}
		c.cm = &cm;
	} else {
		c.cm = wn_caption_model_shipped();
	}
	rc = wn_db_open(o->db_path, &dbo, &db);
	if (rc < 0) {
		if (rc == -WN_ESCHEMA)
			wn_error("'%s' has a schema newer than this winnow-split "
					"(which knows version %d)", o->db_path,
					wn_migrations[wn_migrations_count - 1].version);
		else if (rc == -WN_EBUSY)
			wn_error("'%s' is locked: %s", o->db_path, wn_strerror(rc));
		else
			wn_error("cannot open '%s': %s", o->db_path,
					wn_strerror(rc));
		return wn_exit_status(rc);
	}
	c.db = db;
	rc = load_panel_model(o, &pm);
	if (rc < 0) {
		wn_db_close(db);
		return wn_exit_status(rc) == EX_USAGE ? EX_DATAERR :
			wn_exit_status(rc);
	}
	c.pm = pm;
	c.pm_version = wn_panel_model_version(pm);
	wn_rec_reader_init(&c.rr, stdin, "stdin");
	if ((rc = wn_db_prepare(db, sql_all, &c.st_all)) < 0 ||
			(rc = wn_db_prepare(db, sql_need, &c.st_need)) < 0 ||
			(rc = wn_db_prepare(db, sql_panel, &c.st_panel)) < 0 ||
			(rc = wn_db_prepare(db, sql_subcap, &c.st_subcap)) < 0 ||
			(rc = wn_db_prepare(db, sql_state, &c.st_state)) < 0)
		goto out;
	if ((rc = wn_db_run_begin(db, "winnow-split", argc, argv)) < 0)
		goto out;
	for (;;) {
		int64_t id;

		rc = next_id(&c, &id);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		rc = fig_load(&c, id, 0, &c.figs[c.nfigs]);
		if (rc < 0)
			goto out;
		if (rc == 0)
			continue;
		if (++c.nfigs == BATCH && (rc = flush_batch(&c)) < 0)
			goto out;
	}
	rc = flush_batch(&c);
out:
	c.nerrors += c.rr.bad;
	if (rc == -EPIPE) {
		status = EX_OK;
	} else if (rc < 0) {
		fflush(stdout);
		if (rc == -WN_EBUSY)
			wn_error("'%s' is locked: %s", o->db_path, wn_strerror(rc));
		else
			wn_error("'%s': %s", o->db_path, wn_db_strerror(db, rc));
		status = wn_exit_status(rc);
		if (status == EX_USAGE || status == EX_DATAERR)
			status = EX_SOFTWARE;
	} else {
		status = finish_status(c.nerrors, o->max_errors);
		if (status != EX_OK)
			wn_error("%lld figures failed, more than --max-errors %lld",
					(long long)c.nerrors, (long long)o->max_errors);
	}
	snprintf(summary, sizeof(summary), "%lld figures split (%lld panels, "
			"%lld caption spans), %lld failed", (long long)c.nsplit,
			(long long)c.npanels, (long long)c.nsubcaps,
			(long long)c.nerrors);
	if (status == EX_OK || status == WN_EX_PARTIAL)
		wn_summary("done: %s in %.1fs", summary, wn_now() - t0);
	if (db->run_id > 0)
		(void)wn_db_run_end(db, status, summary);
	for (i = 0; i < c.nfigs; i++)
		fig_release(&c.figs[i]);
	sqlite3_finalize(c.st_all);
	sqlite3_finalize(c.st_need);
	sqlite3_finalize(c.st_panel);
	sqlite3_finalize(c.st_subcap);
	sqlite3_finalize(c.st_state);
	wn_rec_reader_release(&c.rr);
	wn_db_close(db);
	wn_panel_model_free(pm);
	return status;
}

static void
print_models(void)
{
	struct wn_panel_model *pm = NULL;

	if (wn_panel_model_load(NULL, &pm) == 0)
		printf("panel model %s\n", wn_panel_model_version(pm));
	wn_panel_model_free(pm);
	printf("caption model %s\n", wn_caption_model_shipped()->version);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "db",            required_argument, NULL, 'd' },
		{ "all",           no_argument,       NULL, OPT_ALL },
		{ "jobs",          required_argument, NULL, 'j' },
		{ "json",          no_argument,       NULL, OPT_JSON },
		{ "caption",       no_argument,       NULL, OPT_CAPTION },
		{ "caption-file",  required_argument, NULL, OPT_CAPTION_FILE },
		{ "model",         required_argument, NULL, OPT_MODEL },
		{ "caption-model", required_argument, NULL, OPT_CAPTION_MODEL },
		{ "max-errors",    required_argument, NULL, OPT_MAX_ERRORS },
		{ "busy-timeout",  required_argument, NULL, OPT_BUSY },
		{ "line-buffered", no_argument,       NULL, OPT_LINEBUF },
		{ "quiet",         no_argument,       NULL, 'q' },
		{ "verbose",       no_argument,       NULL, 'v' },
		{ "help",          no_argument,       NULL, 'h' },
		{ "version",       no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .db_path = wn_db_default_path(), .max_errors = -1 };
	int c, verbosity = 1, v;
	int64_t n;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-split", verbosity);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:j:qvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.db_path = optarg;
			break;
		case OPT_ALL:
			o.all = 1;
			break;
		case 'j':
			if (wn_parse_int(optarg, 1, MAX_JOBS, &v) < 0)
				return wn_usage_error("invalid --jobs '%s' (1 to %d)",
						optarg, MAX_JOBS);
			o.jobs = v;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_CAPTION:
			o.caption = 1;
			break;
		case OPT_CAPTION_FILE:
			o.caption = 1;
			o.caption_file = optarg;
			break;
		case OPT_MODEL:
			o.model_path = optarg;
			break;
		case OPT_CAPTION_MODEL:
			o.caption_model_path = optarg;
			break;
		case OPT_MAX_ERRORS:
			if (wn_parse_i64(optarg, 0, INT64_MAX, &n) < 0)
				return wn_usage_error("invalid --max-errors '%s'",
						optarg);
			o.max_errors = n;
			break;
		case OPT_BUSY:
			if (wn_parse_int(optarg, 1, 3600 * 1000, &v) < 0)
				return wn_usage_error("invalid --busy-timeout '%s'",
						optarg);
			o.busy_ms = v;
			break;
		case OPT_LINEBUF:
			setvbuf(stdout, NULL, _IOLBF, 0);
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			return wn_finish_stdout(wn_print_help(usage_text));
		case 'V':
			wn_print_version();
			print_models();
			return wn_finish_stdout(EX_OK);
		default:
			return wn_bad_option(argv);
		}
	}
	wn_log_init("winnow-split", verbosity);
	o.paths = argv + optind;
	o.npaths = argc - optind;
	if (o.jobs == 0)
		o.jobs = wn_ncpu() < MAX_JOBS ? wn_ncpu() : MAX_JOBS;
	if (o.caption) {
		if (o.npaths > 0 || o.all)
			return wn_usage_error("--caption takes no FILE and no --all");
		return wn_finish_stdout(run_caption(&o));
	}
	if (o.npaths > 0) {
		if (o.all)
			return wn_usage_error("--all needs the database form (no FILE)");
		return wn_finish_stdout(run_files(&o));
	}
	if (o.json)
		return wn_usage_error("--json needs FILE arguments or --caption");
	if (o.db_path == NULL || o.db_path[0] == '\0')
		return wn_usage_error("no database: use --db FILE");
	return wn_finish_stdout(run_db(&o, argc, argv));
}
