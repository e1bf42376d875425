/*
 * winnow-hash: SHA-256, PDQ (with its 8 dihedral hashes), pHash, dHash and
 * aHash of images, standalone on files or for every image and panel of the
 * database that has no hashes row yet.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "lib/db.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/panels.h"
#include "lib/rec.h"
#include "lib/tool.h"
#include "lib/util.h"
#include "dedup/hash-image.h"
#include "lib/banned.h"

#define HASH_MAX_JOBS		256
#define HASH_MAX_PANELS		4096	/* per image */
#define HASH_MAX_DETECTED	32	/* detected panels hashed per figure (--json) */
#define HASH_BATCH_ROWS		500
#define HASH_BATCH_SECONDS	2.0
#define HASH_PAGE		256

static const char usage_text[] =
	"usage: winnow-hash [-qvz] [--json] [--no-panels] [--compat] [-j N] FILE ...\n"
	"       winnow-hash [-qvz] [--json] [--no-panels] [--compat] [-j N] --files\n"
	"       winnow-hash [-qv] [-d FILE] [--compat] [-j N] [--all] [--retry-errors]\n"
	"\n"
	"Hash image files (SHA-256, PDQ with its dihedral hashes, pHash, dHash, aHash),\n"
	"or every image and panel of the database that has no hashes yet.\n"
	"\n"
	"  -d, --db FILE        database (default $WINNOW_DB, else $WN_DB, else winnow.db)\n"
	"      --all            hash every image of the database that needs it\n"
	"      --retry-errors   hash again images whose hashes row records an error\n"
	"      --json           one JSON object per file (paths on stdin without FILE),\n"
	"                       with the hashes of the panels of compound figures\n"
	"      --no-panels      --json: do not look for panels\n"
	"      --files          read paths on stdin (one a line, NUL-separated with -z)\n"
	"  -z, --null           NUL-separated paths in and records out\n"
	"      --compat         full decode, Pillow's greyscale and LANCZOS: pHash, dHash\n"
	"                       and aHash equal Python imagehash 4.3's, PDQ the reference's\n"
	"      --min-side N     fast mode: JPEGs are decoded scaled, short side >= N (256)\n"
	"      --max-pixels N   refuse images larger than N pixels (100000000)\n"
	"  -j, --jobs N         hash with N threads (default: number of CPUs)\n"
	"      --max-errors N   exit 1 when more than N files fail (default: no limit)\n"
	"      --busy-timeout MS  wait MS milliseconds for a locked database (10000)\n"
	"      --batch-rows N   commit every N rows, or every 2 seconds (500)\n"
	"      --line-buffered  flush after every record\n"
	"  -q, --quiet          errors only\n"
	"  -v, --verbose        more messages (repeatable)\n"
	"  -h, --help           this help\n"
	"  -V, --version        version and library versions\n"
	"\n"
	"See winnow-hash(1).\n";

enum {
	OPT_JSON = 256,
	OPT_COMPAT,
	OPT_ALL,
	OPT_RETRY,
	OPT_FILES,
	OPT_MIN_SIDE,
	OPT_MAX_PIXELS,
	OPT_MAX_ERRORS,
	OPT_BUSY,
	OPT_LINEBUF,
	OPT_BATCH,
	OPT_NO_PANELS,
};

struct opts {
	const char *db_path;
	int json;
	int zero;
	int files;
	int all;
	int retry_errors;
	int line_buffered;
	int jobs;
	int busy_ms;
	int batch_rows;			/* commit every this many rows */
	int no_panels;			/* --no-panels: no panel detection (--json) */
	struct wn_panel_model *panels;	/* owned: --json's detector or NULL */
	int64_t max_errors;		/* -1: no limit */
	struct hash_opts ho;
	char **paths;			/* borrowed: argv operands */
	int npaths;
};

/* One image to hash: a file, or an image row and its panels. */
struct unit {
	char *path;			/* owned: the file to read */
	char *name;			/* owned: how to print it (standalone) */
	int64_t image_id;		/* database form */
	int need_image;			/* database form: image-level row missing */
	struct hash_box *boxes;		/* owned */
	int64_t *panel_ids;		/* owned: one per box */
	int nboxes;
	struct hash_item item;
	int rc;				/* hash_file(): negative = process failure */
	int done;
};

static void
unit_free(struct unit *u)
{
	if (u == NULL)
		return;
	free(u->path);
	free(u->name);
	free(u->boxes);
	free(u->panel_ids);
	hash_item_release(&u->item);
	free(u);
}

/* ---- ordered parallel hashing ------------------------------------------ */

typedef int (*source_fn)(void *ctx, struct unit **ret_unit);
typedef int (*sink_fn)(void *ctx, struct unit *u);

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;		/* a unit was queued, or quit */
	pthread_cond_t done;		/* a unit was hashed */
	struct unit **ring;		/* owned: cap slots */
	size_t cap;
	size_t head;			/* next to emit */
	size_t next;			/* next to hash */
	size_t tail;			/* next free slot */
	int quit;
	const struct hash_opts *ho;	/* borrowed */
	const struct wn_panel_model *pm;	/* borrowed: detector or NULL */
};

/*
 * With a panel detector (standalone --json), the panels of a compound figure
 * are found first and hashed as crops of the image's decode, so that a panel
 * cut out and reposted can be matched to its figure.  A file the detector
 * cannot read is still hashed (and its error reported) as a whole.
 */
static void
unit_compute(struct unit *u, const struct hash_opts *ho,
	     const struct wn_panel_model *pm)
{
	if (pm != NULL && u->nboxes == 0) {
		struct wn_panel_set ps = { 0 };

		if (wn_panels_detect_file(pm, u->path, &ps) == 0) {
			if (ps.compound && ps.n > 1) {
				size_t n = ps.n < HASH_MAX_DETECTED ? ps.n : HASH_MAX_DETECTED;

				u->boxes = calloc(n, sizeof(*u->boxes));
				if (u->boxes != NULL) {
					for (size_t i = 0; i < n; i++)
						u->boxes[i] = (struct hash_box){ ps.v[i].x,
							ps.v[i].y, ps.v[i].w, ps.v[i].h };
					u->nboxes = (int)n;
				}
			}
			wn_panel_set_release(&ps);
		}
	}
	u->rc = hash_file(u->path, ho, u->boxes, u->nboxes, &u->item);
}

static void *
pool_worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct unit *u;

		while (p->next == p->tail && !p->quit)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		u = p->ring[p->next % p->cap];
		p->next++;
		pthread_mutex_unlock(&p->mu);
		unit_compute(u, p->ho, p->pm);
		pthread_mutex_lock(&p->mu);
		u->done = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/*
 * Pull units from source, hash them on jobs threads and hand them to sink in
 * the order the source gave them.  Returns the first negative code of the
 * source or the sink, else 0.
 */
static int
pool_run(int jobs, const struct hash_opts *ho, const struct wn_panel_model *pm,
	 source_fn source, sink_fn sink, void *ctx)
{
	struct pool p = { .ho = ho, .pm = pm };
	pthread_t *th = NULL;
	int nth = 0, rc = 0, eof = 0, i;

	if (jobs <= 1) {
		for (;;) {
			struct unit *u = NULL;

			rc = source(ctx, &u);
			if (rc <= 0)
				return rc;
			unit_compute(u, ho, pm);
			rc = sink(ctx, u);
			unit_free(u);
			if (rc < 0)
				return rc;
		}
	}
	p.cap = (size_t)jobs * 4;
	p.ring = calloc(p.cap, sizeof(*p.ring));
	th = calloc((size_t)jobs, sizeof(*th));
	if (p.ring == NULL || th == NULL) {
		free(p.ring);
		free(th);
		return -ENOMEM;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (i = 0; i < jobs; i++) {
		if (pthread_create(&th[i], NULL, pool_worker, &p) != 0) {
			rc = -EAGAIN;
			break;
		}
		nth++;
	}
	pthread_mutex_lock(&p.mu);
	while (rc == 0) {
		struct unit *u;

		while (!eof && p.tail - p.head < p.cap) {
			u = NULL;
			pthread_mutex_unlock(&p.mu);
			rc = source(ctx, &u);
			pthread_mutex_lock(&p.mu);
			if (rc <= 0) {
				eof = 1;
				break;
			}
			rc = 0;
			p.ring[p.tail % p.cap] = u;
			p.tail++;
			pthread_cond_signal(&p.work);
		}
		if (rc < 0 || p.head == p.tail)
			break;
		u = p.ring[p.head % p.cap];
		while (!u->done)
			pthread_cond_wait(&p.done, &p.mu);
		p.ring[p.head % p.cap] = NULL;
		p.head++;
		pthread_mutex_unlock(&p.mu);
		rc = sink(ctx, u);
		unit_free(u);
		pthread_mutex_lock(&p.mu);
	}
	p.quit = 1;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (; p.head < p.tail; p.head++)
		unit_free(p.ring[p.head % p.cap]);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	pthread_mutex_destroy(&p.mu);
	free(p.ring);
	free(th);
	return rc;
}

/* ---- standalone form --------------------------------------------------- */

struct files_ctx {
	const struct opts *o;
	int next_arg;
	char *line;			/* owned: stdin line buffer */
	size_t cap;
	int64_t lineno;
	int64_t nfiles;
	int64_t nerrors;
	struct wn_progress progress;
};

static const char *
mode_name(enum imghash_mode m)
{
	return m == IMGHASH_COMPAT ? "compat" : "fast";
}

static int
files_source(void *arg, struct unit **ret)
{
	struct files_ctx *c = arg;
	const char *path;
	struct unit *u;
	int rc;

	if (c->o->npaths > 0) {
		if (c->next_arg >= c->o->npaths)
			return 0;
		path = c->o->paths[c->next_arg++];
	} else {
		for (;;) {
			rc = wn_read_line(stdin, c->o->zero, &c->line, &c->cap);
			if (rc <= 0) {
				if (rc < 0)
					wn_error("cannot read standard input: %s",
						 wn_strerror(rc));
				return rc;
			}
			c->lineno++;
			if (c->line[0] != '\0')
				break;
		}
		path = c->line;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->path = strdup(path);
	if (u->path == NULL) {
		free(u);
		return -ENOMEM;
	}
	*ret = u;
	return 1;
}

static json_t *
hex_array(const struct pdq_result *r)
{
	json_t *a = json_array();
	char hex[PDQ_HEX_LEN + 1];
	int d;

	if (a == NULL)
		return NULL;
	for (d = 0; d < PDQ_NDIHEDRAL; d++) {
		pdq_to_hex(&r->dihedral[d], hex);
		if (json_array_append_new(a, json_string(hex)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int
set(json_t *o, const char *k, json_t *v)
{
	return v == NULL || json_object_set_new(o, k, v) != 0 ? -ENOMEM : 0;
}

/* The detected panels and their hashes; a panel that could not be hashed is
   left out. */
static json_t *
panels_json(const struct hash_box *boxes, const struct hash_item *it)
{
	json_t *a = json_array();
	char hex[PDQ_HEX_LEN + 1];

	if (a == NULL)
		return NULL;
	for (int i = 0; i < it->nboxes; i++) {
		const struct hash_value *v = &it->boxes[i];
		json_t *p;
		int rc = 0;

		if (v->err < 0)
			continue;
		p = json_object();
		if (p == NULL) {
			json_decref(a);
			return NULL;
		}
		rc |= set(p, "x", json_integer(boxes[i].x));
		rc |= set(p, "y", json_integer(boxes[i].y));
		rc |= set(p, "w", json_integer(boxes[i].w));
		rc |= set(p, "h", json_integer(boxes[i].h));
		rc |= set(p, "pixel_sha256", json_string(v->pixel_sha256));
		pdq_to_hex(&v->pdq.hash, hex);
		rc |= set(p, "pdq", json_string(hex));
		rc |= set(p, "pdq_quality", json_integer(v->pdq.quality));
		rc |= set(p, "pdq_dihedral", hex_array(&v->pdq));
		imghash_to_hex(v->ih.phash, hex);
		rc |= set(p, "phash", json_string(hex));
		imghash_to_hex(v->ih.dhash, hex);
		rc |= set(p, "dhash", json_string(hex));
		if (rc != 0 || json_array_append_new(a, p) != 0) {
			if (rc != 0)
				json_decref(p);
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The JSON object of a hashed file (DESIGN.md, winnow-hash --json). */
static json_t *
item_json(const char *path, const struct hash_item *it, const struct hash_box *boxes,
	  enum imghash_mode mode)
{
	json_t *o = json_object(), *p;
	char hex[PDQ_HEX_LEN + 1];
	int rc = 0;

	if (o == NULL)
		return NULL;
	p = json_string(path);
	if (p == NULL)		/* not UTF-8: keep the bytes, escaped by jansson */
		p = json_stringn_nocheck(path, strlen(path));
	rc |= set(o, "path", p);
	if (it->have_sha256)
		rc |= set(o, "sha256", json_string(it->sha256));
	if (it->err < 0) {
		rc |= set(o, "error", json_string(wn_strerror(it->err)));
		goto out;
	}
	rc |= set(o, "format", json_string(wn_img_format_name(it->format)));
	rc |= set(o, "width", json_integer(it->width));
	rc |= set(o, "height", json_integer(it->height));
	rc |= set(o, "pixel_sha256", json_string(it->img.pixel_sha256));
	pdq_to_hex(&it->img.pdq.hash, hex);
	rc |= set(o, "pdq", json_string(hex));
	rc |= set(o, "pdq_quality", json_integer(it->img.pdq.quality));
	rc |= set(o, "pdq_dihedral", hex_array(&it->img.pdq));
	imghash_to_hex(it->img.ih.phash, hex);
	rc |= set(o, "phash", json_string(hex));
	imghash_to_hex(it->img.ih.dhash, hex);
	rc |= set(o, "dhash", json_string(hex));
	imghash_to_hex(it->img.ih.ahash, hex);
	rc |= set(o, "ahash", json_string(hex));
	rc |= set(o, "mode", json_string(mode_name(mode)));
	rc |= set(o, "decoded_width", json_integer(it->dec_width));
	rc |= set(o, "decoded_height", json_integer(it->dec_height));
	if (boxes != NULL && it->nboxes > 0)
		rc |= set(o, "panels", panels_json(boxes, it));
out:
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
files_sink(void *arg, struct unit *u)
{
	struct files_ctx *c = arg;
	const struct opts *o = c->o;
	const struct hash_item *it = &u->item;
	int rc = 0;

	if (u->rc < 0)
		return u->rc;
	c->nfiles++;
	wn_progress_add(&c->progress, 1);
	if (it->err < 0) {
		c->nerrors++;
		fflush(stdout);
		wn_warn("cannot hash '%s': %s, skipping", u->path, wn_strerror(it->err));
	}
	if (o->json) {
		json_t *j = item_json(u->path, it, u->boxes, o->ho.mode);

		if (j == NULL)
			return -ENOMEM;
		rc = wn_json_write_line(stdout, j);
		json_decref(j);
		if (rc == 0 && o->zero && fputc('\0', stdout) == EOF)
			rc = -EIO;
	} else if (it->err == 0) {
		char pdq[PDQ_HEX_LEN + 1], ph[17], dh[17], ah[17];

		pdq_to_hex(&it->img.pdq.hash, pdq);
		imghash_to_hex(it->img.ih.phash, ph);
		imghash_to_hex(it->img.ih.dhash, dh);
		imghash_to_hex(it->img.ih.ahash, ah);
		if (printf("%s\t%d\t%s\t%s\t%s\t%s\t%s%c", pdq, it->img.pdq.quality,
			   ph, dh, ah, it->sha256, u->path, o->zero ? '\0' : '\n') < 0)
			rc = -EIO;
	}
	if (rc == 0 && ferror(stdout))
		rc = errno == EPIPE ? -EPIPE : -EIO;
	if (rc == 0 && o->line_buffered && fflush(stdout) != 0)
		rc = errno == EPIPE ? -EPIPE : -EIO;
	return rc;
}

static int
finish_status(int64_t nerrors, int64_t max_errors)
{
	if (max_errors >= 0 && nerrors > max_errors)
		return WN_EX_PARTIAL;
	return EX_OK;
}

static int
run_files(const struct opts *o)
{
	struct files_ctx c = { .o = o };
	double t0 = wn_now();
	int rc;

	wn_progress_begin(&c.progress, "files", o->npaths);
	rc = pool_run(o->jobs, &o->ho, o->json ? o->panels : NULL, files_source, files_sink, &c);
	wn_progress_end(&c.progress);
	free(c.line);
	if (rc == -EPIPE)
		return EX_OK;
	if (rc < 0) {
		if (rc == -EIO)
			return EX_IOERR;
		wn_error("%s", wn_strerror(rc));
		return wn_exit_status(rc);
	}
	wn_info("done: %lld hashed, %lld failed in %.1fs",
		(long long)(c.nfiles - c.nerrors), (long long)c.nerrors, wn_now() - t0);
	if (o->max_errors >= 0 && c.nerrors > o->max_errors)
		wn_error("%lld files failed, more than --max-errors %lld",
			 (long long)c.nerrors, (long long)o->max_errors);
	return finish_status(c.nerrors, o->max_errors);
}

/* ---- database form ----------------------------------------------------- */

static const char sql_page[] =
	"SELECT i.id FROM images i WHERE i.id > ?1 AND ("
	" NOT EXISTS (SELECT 1 FROM hashes h WHERE h.image_id = i.id"
	"  AND h.panel_id IS NULL AND (?2 = 0 OR h.error IS NULL))"
	" OR EXISTS (SELECT 1 FROM panels p WHERE p.image_id = i.id"
	"  AND NOT EXISTS (SELECT 1 FROM hashes h WHERE h.image_id = i.id"
	"   AND h.panel_id = p.id AND (?2 = 0 OR h.error IS NULL))))"
	" ORDER BY i.id LIMIT ?3";
static const char sql_image[] =
	"SELECT i.path, NOT EXISTS (SELECT 1 FROM hashes h WHERE h.image_id = i.id"
	" AND h.panel_id IS NULL AND (?2 = 0 OR h.error IS NULL))"
	" FROM images i WHERE i.id = ?1";
static const char sql_panels[] =
	"SELECT p.id, p.x, p.y, p.w, p.h FROM panels p WHERE p.image_id = ?1"
	" AND NOT EXISTS (SELECT 1 FROM hashes h WHERE h.image_id = ?1"
	"  AND h.panel_id = p.id AND (?2 = 0 OR h.error IS NULL))"
	" ORDER BY p.id LIMIT ?3";
static const char sql_clear[] =
	"DELETE FROM hashes WHERE image_id = ?1 AND COALESCE(panel_id, 0) = ?2"
	" AND error IS NOT NULL";
static const char sql_insert[] =
	"INSERT INTO hashes (image_id, panel_id, pixel_sha256, pdq, pdq_quality,"
	" pdq_dihedral, phash, dhash, ahash, error, mode)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
	" ON CONFLICT DO NOTHING";

/* A hashed row waiting for its batch. */
struct pending {
	int64_t image_id;
	int64_t panel_id;		/* 0: the image itself */
	struct hash_value v;
};

/* The image ids seen in this run (stdin may repeat one). */
struct idset {
	int64_t *slot;			/* owned: 0 = empty (ids are >= 1) */
	size_t cap;			/* a power of two */
	size_t n;
};

/* 1 if id was added, 0 if it was there, -ENOMEM. */
static int
idset_add(struct idset *s, int64_t id)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024, j;
		int64_t *slot = calloc(cap, sizeof(*slot));

		if (slot == NULL)
			return -ENOMEM;
		for (j = 0; j < s->cap; j++) {
			if (s->slot[j] == 0)
				continue;
			i = (size_t)wn_hash64(&s->slot[j], sizeof(int64_t)) & (cap - 1);
			while (slot[i] != 0)
				i = (i + 1) & (cap - 1);
			slot[i] = s->slot[j];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	i = (size_t)wn_hash64(&id, sizeof(id)) & (s->cap - 1);
	while (s->slot[i] != 0) {
		if (s->slot[i] == id)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = id;
	s->n++;
	return 1;
}

struct db_ctx {
	const struct opts *o;
	struct wn_db *db;		/* borrowed */
	sqlite3_stmt *st_page, *st_image, *st_panels, *st_clear, *st_insert;
	struct wn_rec_reader rr;
	struct idset seen;		/* stdin: ids already taken */
	int from_stdin;
	int64_t last_id;		/* --all: keyset cursor */
	int64_t page[HASH_PAGE];
	int npage, ipage, page_eof;
	struct pending *rows;		/* owned */
	size_t nrows, caprows;
	int64_t *ids;			/* owned: image ids of the batch, in order */
	size_t nids, capids;
	double batch_start;
	int64_t nimages, nrows_written, nerrors;
	struct wn_progress progress;	/* a live line when stderr is a terminal */
};

static int
db_next_id(struct db_ctx *c, int64_t *ret_id)
{
	int rc;

	if (c->from_stdin)
		return wn_rec_next(&c->rr, ret_id, NULL);
	if (c->ipage == c->npage) {
		if (c->page_eof)
			return 0;
		c->npage = c->ipage = 0;
		sqlite3_bind_int64(c->st_page, 1, c->last_id);
		sqlite3_bind_int(c->st_page, 2, c->o->retry_errors);
		sqlite3_bind_int(c->st_page, 3, HASH_PAGE);
		while ((rc = sqlite3_step(c->st_page)) == SQLITE_ROW)
			c->page[c->npage++] = sqlite3_column_int64(c->st_page, 0);
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(c->db);
		sqlite3_reset(c->st_page);
		sqlite3_clear_bindings(c->st_page);
		if (rc < 0)
			return rc;
		if (c->npage < HASH_PAGE)
			c->page_eof = 1;
		if (c->npage == 0)
			return 0;
		c->last_id = c->page[c->npage - 1];
	}
	*ret_id = c->page[c->ipage++];
	return 1;
}

/* The unit of work for an image id: 1, 0 if nothing to do, or negative. */
static int
db_load_unit(struct db_ctx *c, int64_t id, struct unit **ret)
{
	struct unit *u = NULL;
	const char *rel;
	size_t n;
	int rc, cap = 16;

	sqlite3_bind_int64(c->st_image, 1, id);
	sqlite3_bind_int(c->st_image, 2, c->o->retry_errors);
	rc = sqlite3_step(c->st_image);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(c->db);
		if (rc == 0) {
			fflush(stdout);
			if (c->from_stdin)
				wn_warn("stdin:%lld: no image %lld, skipping",
					(long long)c->rr.lineno, (long long)id);
			else
				wn_warn("no image %lld, skipping", (long long)id);
			c->nerrors++;
		}
		goto out;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	u->image_id = id;
	rel = (const char *)sqlite3_column_text(c->st_image, 0);
	u->need_image = sqlite3_column_int(c->st_image, 1);
	n = strlen(c->db->store) + strlen(rel ? rel : "") + 2;
	u->path = malloc(n);
	if (u->path == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (rel != NULL && rel[0] == '/')
		snprintf(u->path, n, "%s", rel);
	else
		snprintf(u->path, n, "%s/%s", c->db->store, rel ? rel : "");
	sqlite3_reset(c->st_image);
	sqlite3_clear_bindings(c->st_image);

	sqlite3_bind_int64(c->st_panels, 1, id);
	sqlite3_bind_int(c->st_panels, 2, c->o->retry_errors);
	sqlite3_bind_int(c->st_panels, 3, HASH_MAX_PANELS);
	while ((rc = sqlite3_step(c->st_panels)) == SQLITE_ROW) {
		if (u->boxes == NULL || u->nboxes == cap) {
			void *b, *p;

			cap = u->boxes == NULL ? cap : cap * 2;
			b = realloc(u->boxes, sizeof(*u->boxes) * cap);
			if (b != NULL)
				u->boxes = b;
			p = realloc(u->panel_ids, sizeof(*u->panel_ids) * cap);
			if (p != NULL)
				u->panel_ids = p;
			if (b == NULL || p == NULL) {
				rc = -ENOMEM;
				goto out;
			}
		}
		u->panel_ids[u->nboxes] = sqlite3_column_int64(c->st_panels, 0);
		u->boxes[u->nboxes] = (struct hash_box){
			.x = sqlite3_column_int(c->st_panels, 1),
			.y = sqlite3_column_int(c->st_panels, 2),
			.w = sqlite3_column_int(c->st_panels, 3),
			.h = sqlite3_column_int(c->st_panels, 4),
		};
		u->nboxes++;
	}
	rc = rc == SQLITE_DONE ? 0 : wn_db_error(c->db);
	if (rc < 0)
		goto out;
	if (!u->need_image && u->nboxes == 0) {
		rc = 0;			/* already hashed */
		goto out;
	}
	*ret = u;
	u = NULL;
	rc = 1;
out:
	sqlite3_reset(c->st_image);
	sqlite3_clear_bindings(c->st_image);
	sqlite3_reset(c->st_panels);
	sqlite3_clear_bindings(c->st_panels);
	unit_free(u);
	return rc;
}

static int
db_source(void *arg, struct unit **ret)
{
	struct db_ctx *c = arg;
	int64_t id;
	int rc;

	for (;;) {
		rc = db_next_id(c, &id);
		if (rc <= 0)
			return rc;
		if (c->from_stdin) {
			rc = idset_add(&c->seen, id);
			if (rc < 0)
				return rc;
			if (rc == 0)
				continue;	/* a repeated id */
		}
		rc = db_load_unit(c, id, ret);
		if (rc != 0)
			return rc;
	}
}

static int
db_write_row(struct db_ctx *c, const struct pending *r)
{
	sqlite3_stmt *st = c->st_insert;
	uint8_t pdq[32], dih[32 * PDQ_NDIHEDRAL];
	int d, rc;

	if (c->o->retry_errors) {
		sqlite3_bind_int64(c->st_clear, 1, r->image_id);
		sqlite3_bind_int64(c->st_clear, 2, r->panel_id);
		if ((rc = wn_db_step_done(c->db, c->st_clear)) < 0)
			return rc;
	}
	sqlite3_bind_int64(st, 1, r->image_id);
	if (r->panel_id > 0)
		sqlite3_bind_int64(st, 2, r->panel_id);
	else
		sqlite3_bind_null(st, 2);
	if (r->v.err < 0) {
		sqlite3_bind_text(st, 10, r->panel_id > 0 && r->v.err == -EINVAL ?
				  "panel box outside the image" : wn_strerror(r->v.err),
				  -1, SQLITE_STATIC);
	} else {
		pdq_to_bytes(&r->v.pdq.hash, pdq);
		for (d = 0; d < PDQ_NDIHEDRAL; d++)
			pdq_to_bytes(&r->v.pdq.dihedral[d], dih + 32 * d);
		sqlite3_bind_text(st, 3, r->v.pixel_sha256, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 4, pdq, sizeof(pdq), SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 5, r->v.pdq.quality);
		sqlite3_bind_blob(st, 6, dih, sizeof(dih), SQLITE_TRANSIENT);
		/* 64-bit hashes as the two's-complement int64 of the uint64 */
		sqlite3_bind_int64(st, 7, (int64_t)r->v.ih.phash);
		sqlite3_bind_int64(st, 8, (int64_t)r->v.ih.dhash);
		sqlite3_bind_int64(st, 9, (int64_t)r->v.ih.ahash);
	}
	sqlite3_bind_text(st, 11, mode_name(c->o->ho.mode), -1, SQLITE_STATIC);
	return wn_db_step_done(c->db, st);
}

static int
db_flush(struct db_ctx *c)
{
	size_t i;
	int rc;

	if (c->nrows == 0 && c->nids == 0)
		return 0;
	if ((rc = wn_db_begin(c->db)) < 0)
		return rc;
	for (i = 0; i < c->nrows; i++) {
		if ((rc = db_write_row(c, &c->rows[i])) < 0) {
			wn_db_rollback(c->db);
			return rc;
		}
	}
	if ((rc = wn_db_commit(c->db)) < 0) {
		wn_db_rollback(c->db);
		return rc;
	}
	c->nrows_written += (int64_t)c->nrows;
	c->nrows = 0;
	for (i = 0; i < c->nids; i++) {
		if ((rc = wn_rec_write(stdout, c->ids[i])) < 0)
			return rc;
	}
	c->nimages += (int64_t)c->nids;
	c->nids = 0;
	if (c->o->line_buffered && fflush(stdout) != 0)
		return errno == EPIPE ? -EPIPE : -EIO;
	return 0;
}

static int
db_push(struct db_ctx *c, int64_t image_id, int64_t panel_id,
	const struct hash_value *v)
{
	if (c->nrows == c->caprows) {
		size_t cap = c->caprows ? c->caprows * 2 : 64;
		struct pending *p = realloc(c->rows, sizeof(*p) * cap);

		if (p == NULL)
			return -ENOMEM;
		c->rows = p;
		c->caprows = cap;
	}
	c->rows[c->nrows++] = (struct pending){ image_id, panel_id, *v };
	return 0;
}

static int
db_sink(void *arg, struct unit *u)
{
	struct db_ctx *c = arg;
	const struct hash_item *it = &u->item;
	int rc, i;

	if (u->rc < 0)
		return u->rc;
	wn_progress_add(&c->progress, 1);
	if (it->err < 0) {
		c->nerrors++;
		fflush(stdout);
		wn_warn("image %lld: cannot hash '%s': %s, skipping",
			(long long)u->image_id, u->path, wn_strerror(it->err));
	}
	if (c->nrows == 0)
		c->batch_start = wn_now();
	if (u->need_image && (rc = db_push(c, u->image_id, 0, &it->img)) < 0)
		return rc;
	for (i = 0; i < u->nboxes; i++) {
		if (it->err == 0 && it->boxes[i].err < 0) {
			fflush(stdout);
			wn_warn("panel %lld of image %lld: box outside the image, skipping",
				(long long)u->panel_ids[i], (long long)u->image_id);
		}
		if ((rc = db_push(c, u->image_id, u->panel_ids[i], &it->boxes[i])) < 0)
			return rc;
	}
	if (c->nids == c->capids) {
		size_t cap = c->capids ? c->capids * 2 : 64;
		int64_t *p = realloc(c->ids, sizeof(*p) * cap);

		if (p == NULL)
			return -ENOMEM;
		c->ids = p;
		c->capids = cap;
	}
	if (it->err == 0)
		c->ids[c->nids++] = u->image_id;
	if (c->nrows >= (size_t)c->o->batch_rows || wn_now() - c->batch_start >= HASH_BATCH_SECONDS)
		return db_flush(c);
	return 0;
}

static int
run_db(const struct opts *o, int argc, char *argv[])
{
	struct wn_db_opts dbo = { .busy_timeout_ms = o->busy_ms };
	struct db_ctx c = { .o = o };
	struct wn_db *db = NULL;
	double t0 = wn_now();
	char summary[160];
	int rc, status;

	rc = wn_db_open(o->db_path, &dbo, &db);
	if (rc < 0) {
		if (rc == -WN_ESCHEMA)
			wn_error("'%s' has a schema newer than this winnow-hash "
				 "(which knows version %d)", o->db_path,
				 wn_migrations[wn_migrations_count - 1].version);
		else
			wn_error("cannot open '%s': %s", o->db_path, wn_strerror(rc));
		return wn_exit_status(rc);
	}
	c.db = db;
	c.from_stdin = !o->all;
	wn_rec_reader_init(&c.rr, stdin, "stdin");
	if ((rc = wn_db_prepare(db, sql_page, &c.st_page)) < 0 ||
	    (rc = wn_db_prepare(db, sql_image, &c.st_image)) < 0 ||
	    (rc = wn_db_prepare(db, sql_panels, &c.st_panels)) < 0 ||
	    (rc = wn_db_prepare(db, sql_clear, &c.st_clear)) < 0 ||
	    (rc = wn_db_prepare(db, sql_insert, &c.st_insert)) < 0)
		goto out;
	if ((rc = wn_db_run_begin(db, "winnow-hash", argc, argv)) < 0)
		goto out;
	wn_progress_begin(&c.progress, "images", 0);
	rc = pool_run(o->jobs, &o->ho, NULL, db_source, db_sink, &c);
	if (rc == 0)
		rc = db_flush(&c);
	wn_progress_end(&c.progress);
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
			wn_error("%lld images failed, more than --max-errors %lld",
				 (long long)c.nerrors, (long long)o->max_errors);
	}
	snprintf(summary, sizeof(summary), "%lld images hashed (%lld rows), %lld failed",
		 (long long)c.nimages, (long long)c.nrows_written, (long long)c.nerrors);
	wn_info("done: %s in %.1fs", summary, wn_now() - t0);
	if (db != NULL && db->run_id > 0)
		(void)wn_db_run_end(db, status, summary);
	sqlite3_finalize(c.st_page);
	sqlite3_finalize(c.st_image);
	sqlite3_finalize(c.st_panels);
	sqlite3_finalize(c.st_clear);
	sqlite3_finalize(c.st_insert);
	wn_rec_reader_release(&c.rr);
	free(c.seen.slot);
	free(c.rows);
	free(c.ids);
	wn_db_close(db);
	return status;
}

/* ---- main -------------------------------------------------------------- */

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "db",            required_argument, NULL, 'd' },
		{ "all",           no_argument,       NULL, OPT_ALL },
		{ "retry-errors",  no_argument,       NULL, OPT_RETRY },
		{ "json",          no_argument,       NULL, OPT_JSON },
		{ "files",         no_argument,       NULL, OPT_FILES },
		{ "null",          no_argument,       NULL, 'z' },
		{ "compat",        no_argument,       NULL, OPT_COMPAT },
		{ "min-side",      required_argument, NULL, OPT_MIN_SIDE },
		{ "max-pixels",    required_argument, NULL, OPT_MAX_PIXELS },
		{ "jobs",          required_argument, NULL, 'j' },
		{ "max-errors",    required_argument, NULL, OPT_MAX_ERRORS },
		{ "busy-timeout",  required_argument, NULL, OPT_BUSY },
		{ "line-buffered", no_argument,       NULL, OPT_LINEBUF },
		{ "batch-rows",    required_argument, NULL, OPT_BATCH },
		{ "no-panels",     no_argument,       NULL, OPT_NO_PANELS },
		{ "quiet",         no_argument,       NULL, 'q' },
		{ "verbose",       no_argument,       NULL, 'v' },
		{ "help",          no_argument,       NULL, 'h' },
		{ "version",       no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { .db_path = wn_db_default_path(), .max_errors = -1,
			  .jobs = 0, .batch_rows = HASH_BATCH_ROWS };
	int c, verbosity = 1, v;
	int64_t n;

	signal(SIGPIPE, SIG_IGN);
	wn_log_init("winnow-hash", verbosity);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:j:zqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.db_path = optarg;
			break;
		case OPT_ALL:
			o.all = 1;
			break;
		case OPT_RETRY:
			o.retry_errors = 1;
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_FILES:
			o.files = 1;
			break;
		case 'z':
			o.zero = 1;
			break;
		case OPT_COMPAT:
			o.ho.mode = IMGHASH_COMPAT;
			break;
		case OPT_MIN_SIDE:
			if (wn_parse_int(optarg, 1, WN_IMG_MAX_SIDE, &v) < 0)
				return wn_usage_error("invalid --min-side '%s'", optarg);
			o.ho.min_side = v;
			break;
		case OPT_MAX_PIXELS:
			if (wn_parse_i64(optarg, 1, (int64_t)1 << 40, &n) < 0)
				return wn_usage_error("invalid --max-pixels '%s'", optarg);
			o.ho.max_pixels = n;
			break;
		case 'j':
			if (wn_parse_int(optarg, 1, HASH_MAX_JOBS, &v) < 0)
				return wn_usage_error("invalid --jobs '%s' (1 to %d)",
						      optarg, HASH_MAX_JOBS);
			o.jobs = v;
			break;
		case OPT_MAX_ERRORS:
			if (wn_parse_i64(optarg, 0, INT64_MAX, &n) < 0)
				return wn_usage_error("invalid --max-errors '%s'", optarg);
			o.max_errors = n;
			break;
		case OPT_BUSY:
			if (wn_parse_int(optarg, 1, 3600 * 1000, &v) < 0)
				return wn_usage_error("invalid --busy-timeout '%s'", optarg);
			o.busy_ms = v;
			break;
		case OPT_LINEBUF:
			o.line_buffered = 1;
			break;
		case OPT_NO_PANELS:
			o.no_panels = 1;
			break;
		case OPT_BATCH:
			if (wn_parse_int(optarg, 1, 100000, &v) < 0)
				return wn_usage_error("invalid --batch-rows '%s'", optarg);
			o.batch_rows = v;
			break;
		default:
			if ((c = wn_common_option(c, argv, usage_text, &verbosity)) >= 0)
				return c;
			break;
		}
	}
	wn_log_init("winnow-hash", verbosity);
	o.paths = argv + optind;
	o.npaths = argc - optind;
	if (o.jobs == 0)
		o.jobs = wn_ncpu();
	if (o.npaths > 0 || o.json || o.files || o.zero) {
		int status, rc;

		if (o.all || o.retry_errors)
			return wn_usage_error("--all and --retry-errors need the "
					      "database form (no FILE, --json or --files)");
		if (o.json && !o.no_panels &&
		    (rc = wn_panel_model_load(NULL, &o.panels)) < 0) {
			wn_error("cannot load the panel model: %s", wn_strerror(rc));
			return wn_exit_status(rc);
		}
		status = run_files(&o);
		wn_panel_model_free(o.panels);
		return wn_finish_stdout(status);
	}
	if (o.db_path == NULL || o.db_path[0] == '\0')
		return wn_usage_error("no database: use --db FILE");
	return wn_finish_stdout(run_db(&o, argc, argv));
}
