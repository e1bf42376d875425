/*
 * europepmc.c: Europe PMC search (cursorMark paging; errors arrive as HTTP 200
 * with errCode), fullTextXML per open-access article, figure images from the
 * article's /bin/ files.  The same ledger, store and short transactions as the
 * PMC route.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "crawl/europepmc.h"
#include "crawl/jats.h"
#include "lib/digest.h"
#include "lib/http.h"
#include "lib/img.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/store.h"
#include "lib/util.h"
#include "lib/banned.h"

#define PAGE		100
#define MAX_REPLY	((size_t)32 * 1024 * 1024)

enum { E_TEXT = 1, E_IMAGE };

struct edoc {
	char pmcid[24];
	char *license;		/* owned: from the search result, normalised */
	int64_t doc_id;
	int outstanding;
	int is_new, images_ok, failed;
	struct edoc *next;
};

struct eimg {
	struct edoc *d;		/* borrowed */
	int64_t fig_id;
	char ext[8];
};

struct ecrawl {
	struct wn_db *db;
	const struct pmc_opts *o;
	FILE *out;
	struct wn_http *http;
	int pool_api, pool_files;
	struct wn_ledger ledger;
	struct pmc_stats st;
	char *base, *files;	/* owned, with a trailing '/' */
	char ident[300];
	struct edoc *docs;	/* owned list */
	int fatal;
	int requeued;		/* the request being handled went back to the engine */
};

static char *
slash_dup(const char *s)
{
	size_t n = strlen(s);
	char *r = malloc(n + 2);

	if (r != NULL)
		snprintf(r, n + 2, "%s%s", s, n > 0 && s[n - 1] == '/' ? "" : "/");
	return r;
}

static int
pct(struct wn_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			rc = wn_buf_add(b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = wn_buf_add(b, e, 3);
		}
	}
	return rc;
}

static void
efatal(struct ecrawl *cr, int rc)
{
	if (cr->fatal == 0)
		cr->fatal = rc;
}

static int
ledger_tx(struct ecrawl *cr, const struct wn_http_req *r, const char *state,
	  const char *checksum, const char *err)
{
	int rc = wn_db_begin(cr->db);

	if (rc < 0) {
		efatal(cr, rc);
		return rc;
	}
	rc = wn_ledger_put(&cr->ledger, r->url, state, r->attempts, r->status,
			   r->status == 200 ? r->etag : NULL,
			   r->status == 200 ? r->last_modified : NULL, checksum,
			   r->status == 200 ? (int64_t)r->body.len : -1, err);
	if (rc < 0) {
		wn_db_rollback(cr->db);
		efatal(cr, rc);
		return rc;
	}
	rc = wn_db_commit(cr->db);
	if (rc < 0)
		efatal(cr, rc);
	return rc;
}

static int
sync_get(struct ecrawl *cr, const char *url, struct wn_http_req **ret)
{
	struct wn_http_req *r = wn_http_req_new(url, cr->pool_api, 0, NULL);
	int rc;

	if (r == NULL)
		return -ENOMEM;
	r->max_body = MAX_REPLY;
	wn_http_add(cr->http, r);
	rc = wn_http_next(cr->http, ret);
	return rc == 1 ? 0 : rc < 0 ? rc : -EIO;
}

static int
add_doc(struct ecrawl *cr, const char *pmcid, const char *license)
{
	struct edoc *d;

	if (!pmc_in_shard(cr->o, pmcid))
		return 0;
	for (d = cr->docs; d != NULL; d = d->next)
		if (strcmp(d->pmcid, pmcid) == 0)
			return 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	snprintf(d->pmcid, sizeof(d->pmcid), "%s", pmcid);
	if (license != NULL) {
		const char *c = crawl_license_code(license);

		d->license = strdup(c != NULL ? c : "other");
	}
	d->next = cr->docs;
	cr->docs = d;
	cr->st.articles++;
	return 1;
}

/* Search pages until the cursor repeats (Europe PMC's end) or --max. */
static int
search(struct ecrawl *cr)
{
	char *cursor = strdup("*");
	int64_t n = 0;
	int rc = 0;

	if (cursor == NULL)
		return -ENOMEM;
	for (;;) {
		struct wn_buf u;
		struct wn_http_req *r = NULL;
		json_t *j = NULL, *res;
		const char *next, *em;
		char *err = NULL;
		size_t i;

		wn_buf_init(&u, 0);
		if (wn_buf_printf(&u, "%ssearch?query=", cr->base) < 0 ||
		    pct(&u, cr->o->query) < 0 ||
		    wn_buf_printf(&u, "&resultType=core&format=json&pageSize=%d&cursorMark=",
				  PAGE) < 0 ||
		    pct(&u, cursor) < 0 || wn_buf_addstr(&u, cr->ident) < 0) {
			wn_buf_release(&u);
			rc = -ENOMEM;
			break;
		}
		rc = sync_get(cr, u.data, &r);
		wn_buf_release(&u);
		if (rc < 0)
			break;
		for (;;) {
			if (r->err != 0 || r->status != 200) {
				wn_error("Europe PMC search failed: %s",
					 r->err ? r->errmsg : "unexpected HTTP status");
				rc = r->err == -WN_ENET || r->err == -WN_EHTTP ? -WN_ENET : -WN_EHTTP;
				break;
			}
			j = wn_json_parse(r->body.data, r->body.len, MAX_REPLY, &err);
			if (j != NULL)
				break;
			if (!wn_http_retry(cr->http, r, "unreadable search reply")) {
				wn_error("Europe PMC search: %s", err ? err : "unreadable reply");
				rc = -WN_ENET;
				break;
			}
			free(err);
			err = NULL;
			if ((rc = wn_http_next(cr->http, &r)) != 1) {
				rc = rc < 0 ? rc : -EIO;
				r = NULL;
				break;
			}
			rc = 0;
		}
		free(err);
		wn_http_req_free(r);
		if (rc < 0 || j == NULL) {
			rc = rc < 0 ? rc : -WN_ENET;
			break;
		}
		if ((em = json_string_value(json_object_get(j, "errMsg"))) != NULL ||
		    json_object_get(j, "errCode") != NULL) {
			wn_error("Europe PMC search: %s", em != NULL ? em : "error");
			json_decref(j);
			rc = -WN_EREMOTE;
			break;
		}
		res = json_object_get(json_object_get(j, "resultList"), "result");
		for (i = 0; json_is_array(res) && i < json_array_size(res); i++) {
			json_t *e = json_array_get(res, i);
			const char *pmcid = json_string_value(json_object_get(e, "pmcid"));
			const char *oa = json_string_value(json_object_get(e, "isOpenAccess"));
			const char *in = json_string_value(json_object_get(e, "inEPMC"));
			char id[24];

			if (cr->o->max > 0 && n >= cr->o->max)
				break;
			if (pmcid == NULL || crawl_pmcid_norm(pmcid, id, sizeof(id), NULL) < 0)
				continue;	/* no full text to read */
			if ((oa != NULL && strcmp(oa, "Y") != 0) || (in != NULL && strcmp(in, "Y") != 0))
				continue;
			rc = add_doc(cr, id, json_string_value(json_object_get(e, "license")));
			if (rc < 0)
				break;
			n += rc;
		}
		next = json_string_value(json_object_get(j, "nextCursorMark"));
		if (rc < 0 || next == NULL || strcmp(next, cursor) == 0 || i == 0 ||
		    (cr->o->max > 0 && n >= cr->o->max)) {
			json_decref(j);
			break;
		}
		free(cursor);
		cursor = strdup(next);
		json_decref(j);
		if (cursor == NULL) {
			rc = -ENOMEM;
			break;
		}
	}
	free(cursor);
	return rc < 0 ? rc : 0;
}

struct ids_ctx {
	struct ecrawl *cr;
	int64_t n;		/* new articles so far */
};

static int
id_read(void *ud, const char *pmcid)
{
	struct ids_ctx *x = ud;
	int rc;

	if (x->cr->o->max > 0 && x->n >= x->cr->o->max)
		return 1;
	if ((rc = add_doc(x->cr, pmcid, NULL)) < 0)
		return rc;
	x->n += rc;
	return 0;
}

static int
read_ids(struct ecrawl *cr)
{
	struct ids_ctx x = { cr, 0 };

	return crawl_read_ids(cr->o->ids_file, id_read, &x, &cr->st.rejected);
}

static void
doc_finish(struct ecrawl *cr, struct edoc *d)
{
	int rc;

	if (d->outstanding > 0 || d->doc_id <= 0 || !d->is_new)
		return;
	if (d->is_new == 2 && d->images_ok == 0) {	/* resumed, nothing arrived */
		d->is_new = 0;
		return;
	}
	rc = wn_rec_write(cr->out, d->doc_id);
	if (rc < 0 && rc != -EPIPE)
		efatal(cr, rc);
	if (d->is_new == 1)
		cr->st.new_docs++;
	else
		cr->st.changed_docs++;
	d->is_new = 0;
}

static int
insert(struct ecrawl *cr, struct edoc *d, const struct crawl_article *j,
       const struct wn_http_req *r, const char *checksum)
{
	static const char sql_doc[] =
		"INSERT INTO documents (source, source_id, base_id, version, pmid, doi, title,"
		" journal, url, license, license_url, published_at, is_retracted)"
		" VALUES ('europepmc', ?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	static const char sql_fig[] =
		"INSERT INTO figures (document_id, ordinal, fig_id, label, caption, href, url,"
		" is_thumbnail, status, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	sqlite3_stmt *st = NULL;
	const char *lic = d->license != NULL ? d->license : j->license;
	int reusable = lic != NULL && strcmp(lic, "other") != 0;
	char url[256];
	size_t i;
	int rc;

	snprintf(url, sizeof(url), "https://europepmc.org/article/PMC/%s", d->pmcid);
	if ((rc = wn_db_begin(cr->db)) < 0)
		return rc;
	if ((rc = wn_db_prepare(cr->db, sql_doc, &st)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, d->pmcid, -1, SQLITE_STATIC);
	if (j->version > 0)
		sqlite3_bind_int(st, 2, j->version);
#define OPT(i, s) ((s) != NULL ? sqlite3_bind_text(st, (i), (s), -1, SQLITE_STATIC) \
			       : sqlite3_bind_null(st, (i)))
	OPT(3, j->pmid);
	OPT(4, j->doi);
	OPT(5, j->title);
	OPT(6, j->journal);
	OPT(7, url);
	OPT(8, lic);
	OPT(9, lic != NULL && j->license != NULL && strcmp(lic, j->license) == 0 ?
		       j->license_url : NULL);
	OPT(10, j->published_at);
	sqlite3_bind_int(st, 11, j->is_retracted);
	rc = wn_db_step_done(cr->db, st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc < 0)
		goto out;
	d->doc_id = sqlite3_last_insert_rowid(cr->db->sql);
	if ((rc = wn_db_prepare(cr->db, sql_fig, &st)) < 0)
		goto out;
	for (i = 0; i < j->nfigs && rc == 0; i++) {
		const struct crawl_fig *f = &j->figs[i];
		char furl[2048] = "";
		const char *status = "pending", *reason = NULL;

		if (f->href != NULL && strchr(f->href, '/') == NULL &&
		    strstr(f->href, "..") == NULL) {
			const char *dot = strrchr(f->href, '.');
			int ext = dot != NULL && strlen(dot) >= 4 && strlen(dot) <= 5 &&
				  isalpha((unsigned char)dot[1]);

			snprintf(furl, sizeof(furl), "%s%s/bin/%s%s", cr->files, d->pmcid, f->href,
				 ext ? "" : ".jpg");
		}
		if (furl[0] == '\0') {
			status = "dropped";
			reason = "no-image";
		} else if (j->is_retracted) {
			status = "dropped";
			reason = "retracted";
		} else if (!reusable) {
			status = "dropped";
			reason = "license";
		}
		sqlite3_bind_int64(st, 1, d->doc_id);
		sqlite3_bind_int(st, 2, (int)i);
		OPT(3, f->fig_id);
		OPT(4, f->label);
		OPT(5, f->caption);
		OPT(6, f->href);
		OPT(7, furl[0] ? furl : NULL);
		sqlite3_bind_int(st, 8, f->is_thumbnail);
		sqlite3_bind_text(st, 9, status, -1, SQLITE_STATIC);
		OPT(10, reason);
		rc = wn_db_step_done(cr->db, st);
	}
#undef OPT
	sqlite3_finalize(st);
	if (rc == 0)
		rc = wn_ledger_put(&cr->ledger, r->url, "done", r->attempts, r->status, r->etag,
				   r->last_modified, checksum, (int64_t)r->body.len, NULL);
out:
	if (rc < 0) {
		wn_db_rollback(cr->db);
		return rc;
	}
	rc = wn_db_commit(cr->db);
	if (rc == 0)
		d->is_new = 1;
	return rc;
}

static void
queue_images(struct ecrawl *cr, struct edoc *d)
{
	static const char sql[] =
		"SELECT id, url FROM figures WHERE document_id = ?1 AND url IS NOT NULL"
		" AND status IN ('pending', 'failed') ORDER BY ordinal";
	sqlite3_stmt *st = NULL;
	int rc;

	if (cr->o->no_media || d->doc_id <= 0)
		return;
	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0) {
		efatal(cr, rc);
		return;
	}
	sqlite3_bind_int64(st, 1, d->doc_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(st, 1), *dot = strrchr(u, '.');

		if (d->doc_id > 0 && cr->docs != NULL && d->is_new == 0)
			d->is_new = 2;	/* resumed: print when something arrives */
		struct eimg *im = calloc(1, sizeof(*im));
		struct wn_http_req *r = wn_http_req_new(u, cr->pool_files, E_IMAGE, im);

		if (im == NULL || r == NULL) {
			free(im);
			wn_http_req_free(r);
			efatal(cr, -ENOMEM);
			break;
		}
		im->d = d;
		im->fig_id = sqlite3_column_int64(st, 0);
		if (dot != NULL && strlen(dot + 1) < sizeof(im->ext) && strchr(dot, '/') == NULL)
			snprintf(im->ext, sizeof(im->ext), "%s", dot + 1);
		d->outstanding++;
		wn_http_add(cr->http, r);
	}
	sqlite3_finalize(st);
}

static void
on_text(struct ecrawl *cr, struct edoc *d, struct wn_http_req *r)
{
	struct crawl_article j = { 0 };
	char *err = NULL, sha[65], checksum[80], msg[400];
	int rc;

	if (r->err == -WN_ENET || r->err == -WN_EHTTP) {
		wn_warn("'%s': %s, skipping", r->log_url, r->errmsg);
		ledger_tx(cr, r, "failed", NULL, r->errmsg);
		cr->st.transient++;
		return;
	}
	if (r->err != 0 || r->status != 200) {
		if (r->err)
			snprintf(msg, sizeof(msg), "%s", r->errmsg);
		else
			snprintf(msg, sizeof(msg), "HTTP %ld: no full text in Europe PMC", r->status);
		wn_warn("'%s': %s, skipping", r->log_url, msg);
		ledger_tx(cr, r, r->status == 404 ? "gone" : "failed", NULL, msg);
		cr->st.rejected++;
		return;
	}
	rc = crawl_jats_parse(r->body.data, r->body.len, &j, &err);
	if (rc == -WN_EFORMAT && wn_http_retry(cr->http, r, "unreadable XML")) {
		free(err);
		d->outstanding++;
		cr->requeued = 1;
		return;
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "malformed XML: %s", err ? err : wn_strerror(rc));
		wn_warn("'%s': %s, skipping", r->log_url, msg);
		ledger_tx(cr, r, "failed", NULL, msg);
		cr->st.rejected++;
		free(err);
		return;
	}
	free(err);
	if (wn_sha256_hex(r->body.data, r->body.len, sha) < 0) {
		crawl_article_release(&j);
		efatal(cr, -ENOMEM);
		return;
	}
	snprintf(checksum, sizeof(checksum), "sha256:%s", sha);
	rc = insert(cr, d, &j, r, checksum);
	crawl_article_release(&j);
	if (rc < 0) {
		efatal(cr, rc);
		return;
	}
	queue_images(cr, d);
}

static void
on_image(struct ecrawl *cr, struct eimg *im, struct wn_http_req *r)
{
	struct wn_stored s;
	enum wn_img_format f;
	int64_t image_id = 0;
	const char *status = "ok", *reason = NULL, *state = "done";
	char msg[300] = "", checksum[80] = "";
	int w, h, rc, transient = 0;

	if (r->err == -WN_ENET || r->err == -WN_EHTTP) {
		status = "failed";
		state = "failed";
		transient = 1;
		snprintf(msg, sizeof(msg), "%s", r->errmsg);
	} else if (r->err != 0 || r->status != 200) {
		status = "failed";
		reason = "no-image";
		state = r->status == 404 ? "gone" : "failed";
		if (r->err)
			snprintf(msg, sizeof(msg), "%s", r->errmsg);
		else
			snprintf(msg, sizeof(msg), "HTTP %ld", r->status);
	} else if (wn_img_probe((const uint8_t *)r->body.data, r->body.len, &f, &w, &h) < 0) {
		if (wn_http_retry(cr->http, r, "unreadable image")) {
			im->d->outstanding++;
			cr->requeued = 1;
			return;
		}
		status = "failed";
		reason = "bad-image";
		state = "failed";
		snprintf(msg, sizeof(msg), "not a readable image (%zu bytes)", r->body.len);
	}
	if (msg[0] == '\0') {
		rc = wn_store_write(cr->db->store, r->body.data, r->body.len,
				    im->ext[0] ? im->ext : NULL, &s);
		if (rc < 0) {
			wn_error("cannot write into store '%s': %s", cr->db->store, wn_strerror(rc));
			efatal(cr, rc);
			return;
		}
		snprintf(checksum, sizeof(checksum), "sha256:%s", s.sha256);
	} else {
		wn_warn("'%s': %s, skipping", r->log_url, msg);
	}
	if ((rc = wn_db_begin(cr->db)) < 0) {
		efatal(cr, rc);
		return;
	}
	if (msg[0] == '\0')
		rc = wn_store_add_row(cr->db, &s, &image_id);
	if (rc == 0) {
		sqlite3_stmt *st = NULL;

		rc = wn_db_prepare(cr->db, "UPDATE figures SET status = ?2, reason = ?3,"
				   " image_id = ?4 WHERE id = ?1", &st);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, im->fig_id);
			sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
			if (reason != NULL)
				sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
			if (image_id > 0)
				sqlite3_bind_int64(st, 4, image_id);
			rc = wn_db_step_done(cr->db, st);
			sqlite3_finalize(st);
		}
	}
	if (rc == 0)
		rc = wn_ledger_put(&cr->ledger, r->url, state, r->attempts, r->status,
				   r->status == 200 ? r->etag : NULL, NULL,
				   checksum[0] ? checksum : NULL,
				   r->status == 200 ? (int64_t)r->body.len : -1,
				   msg[0] ? msg : NULL);
	if (rc < 0) {
		wn_db_rollback(cr->db);
		efatal(cr, rc);
		return;
	}
	if ((rc = wn_db_commit(cr->db)) < 0) {
		efatal(cr, rc);
		return;
	}
	if (transient)
		cr->st.transient++;
	else if (msg[0] != '\0')
		cr->st.rejected++;
	else {
		im->d->images_ok++;
		cr->st.images++;
		cr->st.bytes += (int64_t)r->body.len;
	}
}

static int64_t
existing(struct ecrawl *cr, const char *pmcid)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	if (wn_db_prepare(cr->db, "SELECT id FROM documents WHERE source = 'europepmc'"
			  " AND source_id = ?1", &st) < 0)
		return -1;
	sqlite3_bind_text(st, 1, pmcid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int
epmc_run(struct wn_db *db, const struct pmc_opts *o, const char *base,
	 const char *files_base, FILE *out, struct pmc_stats *ret_stats)
{
	struct ecrawl cr = { .db = db, .o = o, .out = out };
	struct wn_http_opts ho = { .max_attempts = o->max_attempts, .backoff_s = o->backoff_s,
				   .allow_file = o->allow_file,
				   .max_total = (o->s3_conns > 0 ? o->s3_conns : 8) + 3 };
	struct wn_http_req *r;
	struct edoc *d;
	int rc;

	cr.base = slash_dup(base != NULL ? base : EPMC_BASE);
	cr.files = slash_dup(files_base != NULL ? files_base : EPMC_FILES_BASE);
	if (cr.base == NULL || cr.files == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(cr.ident, sizeof(cr.ident), "%s", "");
	if (o->email != NULL && *o->email != '\0') {
		struct wn_buf b;

		wn_buf_init(&b, sizeof(cr.ident) - 1);
		if (wn_buf_addstr(&b, "&email=") == 0 && pct(&b, o->email) == 0)
			snprintf(cr.ident, sizeof(cr.ident), "%s", b.data);
		wn_buf_release(&b);
	}
	if ((rc = wn_http_new(&ho, &cr.http)) < 0)
		goto out;
	/* about 10 requests/s per IP are tolerated; stay well below */
	cr.pool_api = wn_http_pool_add(cr.http, "europepmc", o->eutils_rate > 0 ? o->eutils_rate : 5, 3);
	cr.pool_files = wn_http_pool_add(cr.http, "europepmc-files", 0,
					 o->s3_conns > 0 ? o->s3_conns : 8);
	if (cr.pool_api < 0 || cr.pool_files < 0) {
		rc = -EINVAL;
		goto out;
	}
	if ((rc = wn_ledger_init(&cr.ledger, db)) < 0)
		goto out;
	if (o->ids_file != NULL)
		rc = read_ids(&cr);
	else
		rc = search(&cr);
	if (rc < 0)
		goto out;
	for (d = cr.docs; d != NULL && cr.fatal == 0; d = d->next) {
		char url[1024];
		int64_t id = existing(&cr, d->pmcid);

		if (id < 0) {
			efatal(&cr, -WN_EDB);
			break;
		}
		if (id > 0) {		/* recorded: only its unfinished images */
			d->doc_id = id;
			queue_images(&cr, d);
			cr.st.unchanged += d->outstanding == 0;
			continue;
		}
		snprintf(url, sizeof(url), "%s%s/fullTextXML", cr.base, d->pmcid);
		r = wn_http_req_new(url, cr.pool_api, E_TEXT, d);
		if (r == NULL) {
			efatal(&cr, -ENOMEM);
			break;
		}
		r->max_body = MAX_REPLY;
		d->outstanding++;
		wn_http_add(cr.http, r);
	}
	while (cr.fatal == 0 && (rc = wn_http_next(cr.http, &r)) == 1) {
		struct edoc *dd;
		struct eimg *im = NULL;

		cr.requeued = 0;
		if (r->kind == E_TEXT) {
			dd = r->ud;
			dd->outstanding--;
			on_text(&cr, dd, r);
		} else {
			im = r->ud;
			dd = im->d;
			dd->outstanding--;
			on_image(&cr, im, r);
		}
		if (!cr.requeued) {
			free(im);
			wn_http_req_free(r);
		}
		doc_finish(&cr, dd);
	}
	rc = cr.fatal != 0 ? cr.fatal : rc < 0 ? rc : 0;
out:
	if (ret_stats != NULL)
		*ret_stats = cr.st;
	wn_http_free(cr.http);
	wn_ledger_release(&cr.ledger);
	while (cr.docs != NULL) {
		d = cr.docs;
		cr.docs = d->next;
		free(d->license);
		free(d);
	}
	free(cr.base);
	free(cr.files);
	return rc;
}
