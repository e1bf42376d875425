/*
 * pmc.c: the PMC crawl as a set of small state machines, one per article,
 * driven by the HTTP engine's completions.
 *
 *   list versions (ListObjectsV2, delimiter=/, continuation tokens)
 *     -> metadata JSON (conditional when the version is known: unchanged = done)
 *     -> JATS XML (MD5 from the metadata; efetch when the bucket lacks it)
 *     -> document + figures committed in one short transaction
 *     -> figure images (MD5-verified) -> store file, then images row + figure
 *
 * Every database write is a short BEGIN IMMEDIATE ... COMMIT between network
 * events; nothing is held across a transfer.  Every URL gets a fetches row.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "crawl/eutils.h"
#include "crawl/jats.h"
#include "crawl/oapkg.h"
#include "crawl/pmc.h"
#include "crawl/s3.h"
#include "crawl/xmlutil.h"
#include "lib/digest.h"
#include "lib/http.h"
#include "lib/img.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/rec.h"
#include "lib/store.h"
#include "lib/util.h"
#include "lib/banned.h"

#define ESEARCH_PAGE	500
#define MAX_IDS		5000000
#define META_MAX	((size_t)4 * 1024 * 1024)
#define MAX_MEDIA	5000

enum kind { K_ESEARCH = 1, K_LIST, K_META, K_XML, K_EFETCH, K_IMAGE, K_OA, K_PKG };

struct media {
	char *key;		/* owned: bucket key */
	char md5[33];
};

struct img {
	struct art *a;		/* borrowed */
	int64_t fig_id;
	char md5[33];		/* "" if unknown */
	char ext[8];
	struct img *next;
};

struct art {
	struct crawl *cr;	/* borrowed */
	char base[24];		/* "PMC123" */
	int version;
	int64_t doc_id;
	int exists;		/* the version's document was already there */
	int is_new, changed, resumed;
	int outstanding;	/* requests queued or running */
	int64_t images_ok;
	int failed;
	char *xml_key;		/* owned */
	char xml_md5[33];
	struct media *media;	/* owned */
	size_t nmedia;
	char *license;		/* owned: from the metadata, when a known code */
	int license_other;	/* the metadata names a licence we do not map */
	int retracted;
	char *pmid, *doi, *title;	/* owned: from the metadata */
	struct img *imgs;	/* owned list */
	const struct crawl_oapkg *pkg;	/* borrowed: legacy package being recorded */
	const char *pkg_url;		/* borrowed: its URL */
	struct art *next;	/* list of live articles */
};

struct crawl {
	struct wn_db *db;
	const struct pmc_opts *o;
	FILE *out;
	struct wn_http *http;
	int pool_eutils, pool_s3;
	struct wn_ledger ledger;
	struct pmc_stats st;
	char *s3;		/* owned: base with a trailing '/' */
	char *eutils;		/* owned */
	char *cdn;		/* owned */
	char *oa;		/* owned: oa.fcgi URL (legacy mode) */
	char *ftp;		/* owned: base replacing ftp://ftp.ncbi.nlm.nih.gov/ */
	char ident[512];	/* "&tool=winnow&email=..&api_key=.." */
	char **ids;		/* owned: "PMC123" */
	size_t nids, next_id;
	int active;
	int fatal;		/* negative: stop */
	int requeued;		/* the request being handled went back to the engine */
	struct wn_progress prog;	/* articles done, on a terminal only */
	struct art *arts;
};

/* ---- small helpers --------------------------------------------------------- */

static char *
with_slash(const char *s)
{
	size_t n = strlen(s);
	char *r = malloc(n + 2);

	if (r == NULL)
		return NULL;
	memcpy(r, s, n + 1);
	if (n == 0 || s[n - 1] != '/') {
		r[n] = '/';
		r[n + 1] = '\0';
	}
	return r;
}

static int
pct(struct wn_buf *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
		    (keep_slash && c == '/')) {
			rc = wn_buf_add(b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = wn_buf_add(b, e, 3);
		}
	}
	return rc;
}

static char *
object_url(struct crawl *cr, const char *key)
{
	struct wn_buf b;

	wn_buf_init(&b, 0);
	if (wn_buf_addstr(&b, cr->s3) < 0 || pct(&b, key, 1) < 0) {
		wn_buf_release(&b);
		return NULL;
	}
	return wn_buf_detach(&b, NULL);
}

int
pmc_parse_s3_url(const char *url, char **ret_key, char ret_md5[33])
{
	const char *p, *q, *m;
	size_t n;

	ret_md5[0] = '\0';
	*ret_key = NULL;
	if (url == NULL)
		return -EINVAL;
	if (strncmp(url, "s3://", 5) == 0) {
		p = strchr(url + 5, '/');
		if (p == NULL)
			return -EINVAL;
		p++;
	} else {
		p = url;
	}
	q = strchr(p, '?');
	n = q != NULL ? (size_t)(q - p) : strlen(p);
	if (n == 0 || n > 1024)
		return -EINVAL;
	if (q != NULL && (m = strstr(q, "md5=")) != NULL) {
		size_t k = 0;

		m += 4;
		while (k < 32 && isxdigit((unsigned char)m[k])) {
			ret_md5[k] = (char)tolower((unsigned char)m[k]);
			k++;
		}
		ret_md5[k] = '\0';
		if (k != 32)
			ret_md5[0] = '\0';
	}
	*ret_key = strndup(p, n);
	if (*ret_key == NULL)
		return -ENOMEM;
	/* refuse keys that climb out of the bucket */
	if (strstr(*ret_key, "..") != NULL || (*ret_key)[0] == '/') {
		free(*ret_key);
		*ret_key = NULL;
		return -EINVAL;
	}
	return 0;
}

/* Ask again (garbage, checksum mismatch): 1 if queued, 0 if the tries are spent. */
static int
retry_req(struct art *a, struct wn_http_req *r, const char *why)
{
	if (!wn_http_retry(a->cr->http, r, why))
		return 0;
	a->outstanding++;
	a->cr->requeued = 1;
	return 1;
}

static void
fatal(struct crawl *cr, int rc, const char *what)
{
	if (cr->fatal == 0) {
		cr->fatal = rc;
		wn_debug("%s: %s", what, wn_strerror(rc));
	}
}

static int
tx_begin(struct crawl *cr)
{
	int rc = wn_db_begin(cr->db);

	if (rc < 0)
		fatal(cr, rc, "begin");
	return rc;
}

static int
tx_end(struct crawl *cr, int rc)
{
	if (rc < 0) {
		wn_db_rollback(cr->db);
		fatal(cr, rc, "write");
		return rc;
	}
	rc = wn_db_commit(cr->db);
	if (rc < 0) {
		wn_db_rollback(cr->db);
		fatal(cr, rc, "commit");
	}
	return rc;
}

static int
ledger(struct crawl *cr, const struct wn_http_req *r, const char *state,
       const char *checksum, const char *err)
{
	return wn_ledger_put(&cr->ledger, r->url, state, r->attempts, r->status,
			     r->status == 200 ? r->etag : NULL,
			     r->status == 200 ? r->last_modified : NULL, checksum,
			     r->status == 200 ? (int64_t)r->body.len : -1, err);
}

/* Ledger row in its own transaction. */
static void
ledger_tx(struct crawl *cr, const struct wn_http_req *r, const char *state,
	  const char *checksum, const char *err)
{
	int rc;

	if (tx_begin(cr) < 0)
		return;
	rc = ledger(cr, r, state, checksum, err);
	tx_end(cr, rc);
}

/* ---- articles --------------------------------------------------------------- */

static void
art_free(struct art *a)
{
	struct img *im, *nx;
	size_t i;

	for (im = a->imgs; im != NULL; im = nx) {
		nx = im->next;
		free(im);
	}
	for (i = 0; i < a->nmedia; i++)
		free(a->media[i].key);
	free(a->media);
	free(a->xml_key);
	free(a->license);
	free(a->pmid);
	free(a->doi);
	free(a->title);
	free(a);
}

static int
send_req(struct art *a, const char *url, int pool, int kind, void *ud,
	 const char *if_none_match)
{
	struct wn_http_req *r = wn_http_req_new(url, pool, kind, ud != NULL ? ud : a);

	if (r == NULL) {
		fatal(a->cr, -ENOMEM, "request");
		return -ENOMEM;
	}
	if (if_none_match != NULL && (r->if_none_match = strdup(if_none_match)) == NULL) {
		wn_http_req_free(r);
		fatal(a->cr, -ENOMEM, "request");
		return -ENOMEM;
	}
	a->outstanding++;
	wn_http_add(a->cr->http, r);
	return 0;
}

static void
art_maybe_finish(struct art *a)
{
	struct crawl *cr = a->cr;
	struct art **pp;

	if (a->outstanding > 0)
		return;
	if (a->doc_id > 0 && (a->is_new || a->changed || (a->resumed && a->images_ok > 0))) {
		int rc = wn_rec_write(cr->out, a->doc_id);

		if (rc < 0 && rc != -EPIPE)
			fatal(cr, rc, "stdout");
		if (a->is_new)
			cr->st.new_docs++;
		else
			cr->st.changed_docs++;
	} else if (!a->failed) {
		cr->st.unchanged++;
	}
	for (pp = &cr->arts; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	cr->active--;
	wn_progress_add(&cr->prog, 1);
	art_free(a);
}

/* A request of this article came back unusable. */
static void
art_reject(struct art *a, struct wn_http_req *r, const char *state, const char *msg)
{
	struct crawl *cr = a->cr;

	wn_warn("'%s': %s, skipping", r->log_url, msg);
	ledger_tx(cr, r, state, NULL, msg);
	cr->st.rejected++;
}

/* Network failure or retryable status after every try: try again next run. */
static void
art_transient(struct art *a, struct wn_http_req *r)
{
	struct crawl *cr = a->cr;

	wn_warn("'%s': %s, skipping", r->log_url, r->errmsg);
	ledger_tx(cr, r, "failed", NULL, r->errmsg);
	cr->st.transient++;
	a->failed = 1;
}

/* Final classification of an answer that is not a usable 200/304. */
static void
art_bad_answer(struct art *a, struct wn_http_req *r)
{
	char msg[512];

	if (r->err == -WN_ENET || r->err == -WN_EHTTP) {
		art_transient(a, r);
		return;
	}
	if (r->err != 0) {
		art_reject(a, r, "failed", r->errmsg[0] ? r->errmsg : wn_strerror(r->err));
		a->failed = 1;
		return;
	}
	{
		char *s3e = crawl_s3_error(r->body.data ? r->body.data : "", r->body.len);

		snprintf(msg, sizeof(msg), "HTTP %ld%s%s", r->status, s3e ? ": " : "",
			 s3e ? s3e : "");
		free(s3e);
	}
	art_reject(a, r, r->status == 404 || r->status == 410 ? "gone" : "failed", msg);
	a->failed = 1;
}

static void
ident_init(struct crawl *cr)
{
	struct wn_buf b;

	wn_buf_init(&b, sizeof(cr->ident) - 1);
	if (wn_buf_addstr(&b, "&tool=winnow") < 0)
		goto out;
	if (cr->o->email != NULL && *cr->o->email != '\0' &&
	    (wn_buf_addstr(&b, "&email=") < 0 || pct(&b, cr->o->email, 0) < 0))
		goto out;
	if (cr->o->api_key != NULL && *cr->o->api_key != '\0' &&
	    (wn_buf_addstr(&b, "&api_key=") < 0 || pct(&b, cr->o->api_key, 0) < 0))
		goto out;
out:
	snprintf(cr->ident, sizeof(cr->ident), "%s", b.data ? b.data : "&tool=winnow");
	wn_buf_release(&b);
}

static void
list_versions(struct art *a, const char *token)
{
	struct wn_buf b;

	wn_buf_init(&b, 0);
	if (wn_buf_printf(&b, "%s?list-type=2&prefix=%s.&delimiter=/", a->cr->s3,
			  a->base) < 0 ||
	    (token != NULL && (wn_buf_addstr(&b, "&continuation-token=") < 0 ||
			       pct(&b, token, 0) < 0))) {
		wn_buf_release(&b);
		fatal(a->cr, -ENOMEM, "url");
		return;
	}
	send_req(a, b.data, a->cr->pool_s3, K_LIST, NULL, NULL);
	wn_buf_release(&b);
}

static void
efetch(struct art *a)
{
	char url[4096];

	if (a->cr->eutils == NULL) {
		a->failed = 1;
		return;
	}
	snprintf(url, sizeof(url), "%sefetch.fcgi?db=pmc&id=%s&retmode=xml%s",
		 a->cr->eutils, a->base + 3, a->cr->ident);
	send_req(a, url, a->cr->pool_eutils, K_EFETCH, NULL, NULL);
}

static void
art_start(struct crawl *cr, const char *base)
{
	struct art *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		fatal(cr, -ENOMEM, "article");
		return;
	}
	a->cr = cr;
	snprintf(a->base, sizeof(a->base), "%s", base);
	a->next = cr->arts;
	cr->arts = a;
	cr->active++;
	cr->st.articles++;
	if (cr->oa != NULL) {
		char url[4096];

		snprintf(url, sizeof(url), "%s?id=%s", cr->oa, a->base);
		send_req(a, url, cr->pool_eutils, K_OA, NULL, NULL);
	} else {
		list_versions(a, NULL);
	}
	art_maybe_finish(a);
}

static int64_t
doc_lookup(struct crawl *cr, const char *source_id)
{
	static const char sql[] =
		"SELECT id FROM documents WHERE source = 'pmc' AND source_id = ?1";
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int rc;

	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0) {
		fatal(cr, rc, "prepare");
		return -1;
	}
	sqlite3_bind_text(st, 1, source_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		fatal(cr, wn_db_error(cr->db), "select");
	sqlite3_finalize(st);
	return id;
}

static void
request_meta(struct art *a)
{
	struct crawl *cr = a->cr;
	char key[64], *url;
	struct wn_fetch f = { 0 };
	const char *inm = NULL;

	snprintf(key, sizeof(key), "metadata/%s.%d.json", a->base, a->version);
	url = object_url(cr, key);
	if (url == NULL) {
		fatal(cr, -ENOMEM, "url");
		return;
	}
	if (a->exists && wn_ledger_get(&cr->ledger, url, &f) == 1 &&
	    strcmp(f.state, "done") == 0)
		inm = f.etag;
	send_req(a, url, cr->pool_s3, K_META, NULL, inm);
	wn_fetch_release(&f);
	free(url);
}

static void
on_list(struct art *a, struct wn_http_req *r)
{
	struct crawl *cr = a->cr;
	struct crawl_s3_list l = { 0 };
	char *err = NULL, sid[40];
	size_t i;
	int rc;

	if (r->err != 0 || r->status != 200) {
		art_bad_answer(a, r);
		return;
	}
	rc = crawl_s3_list_parse(r->body.data, r->body.len, &l, &err);
	if (rc == -WN_EFORMAT && retry_req(a, r, "unreadable listing")) {
		free(err);
		return;		/* the engine owns r again */
	}
	if (rc < 0) {
		char msg[300];

		snprintf(msg, sizeof(msg), "bucket listing: %s", err ? err : wn_strerror(rc));
		art_reject(a, r, "failed", msg);
		a->failed = 1;
		free(err);
		return;
	}
	for (i = 0; i < l.nprefixes; i++) {
		const char *p = l.prefixes[i];
		size_t n = strlen(a->base);
		int v = 0;

		if (strncmp(p, a->base, n) != 0 || p[n] != '.')
			continue;
		p += n + 1;
		while (isdigit((unsigned char)*p) && v < 100000)
			v = v * 10 + (*p++ - '0');
		if (*p == '/' && v > a->version)
			a->version = v;
	}
	ledger_tx(cr, r, "done", NULL, NULL);
	if (cr->fatal) {
		crawl_s3_list_release(&l);
		return;
	}
	if (l.truncated && l.next_token != NULL && *l.next_token != '\0') {
		list_versions(a, l.next_token);
		crawl_s3_list_release(&l);
		return;
	}
	crawl_s3_list_release(&l);
	if (a->version == 0) {
		wn_info("%s: not in the bucket, trying efetch", a->base);
		efetch(a);
		return;
	}
	snprintf(sid, sizeof(sid), "%s.%d", a->base, a->version);
	a->doc_id = doc_lookup(cr, sid);
	if (a->doc_id < 0)
		return;
	a->exists = a->doc_id > 0;
	request_meta(a);
}

/* ---- metadata ------------------------------------------------------------- */

static char *
jdup(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	char buf[32];

	if (json_is_string(v))
		return strndup(json_string_value(v), 4096);
	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return strdup(buf);
	}
	return NULL;
}

static int
parse_meta(struct art *a, const char *data, size_t len, char **ret_err)
{
	json_t *j, *mu;
	const char *lc;
	size_t i;
	int rc = 0;

	j = wn_json_parse(data, len, META_MAX, ret_err);
	if (j == NULL)
		return -WN_EFORMAT;
	if (!json_is_object(j)) {
		*ret_err = strdup("metadata is not a JSON object");
		json_decref(j);
		return -WN_EFORMAT;
	}
	if (json_object_get(j, "error") != NULL || json_object_get(j, "errCode") != NULL) {
		char *e = jdup(j, "error");

		*ret_err = e != NULL ? e : strdup("error object instead of metadata");
		json_decref(j);
		return -WN_EREMOTE;
	}
	free(a->license);
	lc = json_string_value(json_object_get(j, "license_code"));
	a->license = lc == NULL || crawl_license_code(lc) == NULL ? NULL
		: strdup(crawl_license_code(lc));
	a->license_other = lc != NULL && a->license == NULL;
	a->retracted = json_is_true(json_object_get(j, "is_retracted"));
	a->pmid = jdup(j, "pmid");
	a->doi = jdup(j, "doi");
	a->title = jdup(j, "title");
	free(a->xml_key);
	a->xml_key = NULL;
	if (json_is_string(json_object_get(j, "xml_url")))
		pmc_parse_s3_url(json_string_value(json_object_get(j, "xml_url")),
				 &a->xml_key, a->xml_md5);
	mu = json_object_get(j, "media_urls");
	if (json_is_array(mu)) {
		size_t n = json_array_size(mu);

		if (n > MAX_MEDIA)
			n = MAX_MEDIA;
		a->media = calloc(n ? n : 1, sizeof(*a->media));
		if (a->media == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			const char *u = json_string_value(json_array_get(mu, i));
			struct media *m = &a->media[a->nmedia];

			if (u != NULL && pmc_parse_s3_url(u, &m->key, m->md5) == 0)
				a->nmedia++;
		}
	}
out:
	json_decref(j);
	return rc;
}

/* Find the bucket key and MD5 for a graphic href of this version. */
static int
resolve_media(const struct art *a, const char *href, char **ret_key, char ret_md5[33])
{
	char prefix[64];
	size_t i, pl, hl;
	int best = -1, best_rank = -1;

	ret_md5[0] = '\0';
	snprintf(prefix, sizeof(prefix), "%s.%d/", a->base, a->version);
	pl = strlen(prefix);
	hl = strlen(href);
	if (strchr(href, '/') != NULL || strstr(href, "..") != NULL)
		return -EINVAL;
	for (i = 0; i < a->nmedia; i++) {
		const char *k = a->media[i].key, *ext;
		int rank;

		if (strncmp(k, prefix, pl) != 0 || strncmp(k + pl, href, hl) != 0)
			continue;
		ext = k + pl + hl;
		if (*ext == '\0')
			rank = 10;
		else if (*ext != '.' || strchr(ext + 1, '.') != NULL)
			continue;
		else if (strcasecmp(ext, ".jpg") == 0 || strcasecmp(ext, ".jpeg") == 0)
			rank = 5;
		else if (strcasecmp(ext, ".png") == 0)
			rank = 4;
		else if (strcasecmp(ext, ".gif") == 0)
			rank = 3;
		else if (strcasecmp(ext, ".tif") == 0 || strcasecmp(ext, ".tiff") == 0)
			rank = 2;
		else
			rank = 1;
		if (rank > best_rank) {
			best = (int)i;
			best_rank = rank;
		}
	}
	if (best >= 0) {
		*ret_key = strdup(a->media[best].key);
		memcpy(ret_md5, a->media[best].md5, 33);
	} else {
		/* no media list: the href as named, with .jpg when it has no extension */
		const char *dot = strrchr(href, '.');
		int has_ext = dot != NULL && strlen(dot) <= 5 && strlen(dot) >= 3 &&
			      strspn(dot + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") ==
				      strlen(dot + 1);
		size_t n = pl + hl + 8;

		*ret_key = malloc(n);
		if (*ret_key != NULL)
			snprintf(*ret_key, n, "%s%s%s", prefix, href, has_ext ? "" : ".jpg");
	}
	return *ret_key == NULL ? -ENOMEM : 0;
}

static void resume_images(struct art *a);

static void
update_changed_doc(struct art *a)
{
	static const char sql[] =
		"UPDATE documents SET license = COALESCE(?2, license),"
		" is_retracted = ?3, pmid = COALESCE(?4, pmid), doi = COALESCE(?5, doi)"
		" WHERE id = ?1 AND (license IS NOT COALESCE(?2, license) OR"
		" is_retracted IS NOT ?3)";
	struct crawl *cr = a->cr;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0) {
		fatal(cr, rc, "prepare");
		return;
	}
	sqlite3_bind_int64(st, 1, a->doc_id);
	if (a->license != NULL)
		sqlite3_bind_text(st, 2, a->license, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, a->retracted);
	if (a->pmid != NULL)
		sqlite3_bind_text(st, 4, a->pmid, -1, SQLITE_STATIC);
	if (a->doi != NULL)
		sqlite3_bind_text(st, 5, a->doi, -1, SQLITE_STATIC);
	rc = wn_db_step_done(cr->db, st);
	if (rc == 0 && sqlite3_changes(cr->db->sql) > 0)
		a->changed = 1;
	sqlite3_finalize(st);
	st = NULL;
	/* figures not fetched yet of a document now retracted, or no longer
	   reusable, are not fetched at all */
	if (rc == 0 && a->changed && (a->retracted || a->license_other)) {
		rc = wn_db_prepare(cr->db, "UPDATE figures SET status = 'dropped', reason = ?2"
				   " WHERE document_id = ?1 AND status IN ('pending', 'failed')",
				   &st);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, a->doc_id);
			sqlite3_bind_text(st, 2, a->retracted ? "retracted" : "license", -1,
					  SQLITE_STATIC);
			rc = wn_db_step_done(cr->db, st);
			sqlite3_finalize(st);
		}
	}
	if (rc < 0)
		fatal(cr, rc, "update");
}

/*
 * "sha256:HEX" of a 200 body into checksum (80 bytes).  For a document already
 * stored, a body the ledger holds with the same checksum is unchanged: the fetch
 * is marked done and 1 returned.  -1 after a fatal error, 0 to go on.
 */
static int
body_unchanged(struct art *a, struct wn_http_req *r, char *checksum)
{
	struct crawl *cr = a->cr;
	struct wn_fetch f = { 0 };
	char sha[65];
	int same;

	if (wn_sha256_hex(r->body.data, r->body.len, sha) < 0) {
		fatal(cr, -ENOMEM, "sha256");
		return -1;
	}
	snprintf(checksum, 80, "sha256:%s", sha);
	if (!a->exists)
		return 0;
	same = wn_ledger_get(&cr->ledger, r->url, &f) == 1 && f.checksum != NULL &&
	       strcmp(f.checksum, checksum) == 0;
	wn_fetch_release(&f);
	if (!same)
		return 0;
	ledger_tx(cr, r, "done", checksum, NULL);
	return 1;
}

static void
on_meta(struct art *a, struct wn_http_req *r)
{
	struct crawl *cr = a->cr;
	char checksum[80], *err = NULL, *url, key[80];
	int rc;

	if (r->err == 0 && r->status == 304) {
		ledger_tx(cr, r, "done", NULL, NULL);
		resume_images(a);
		return;
	}
	if (r->err == 0 && r->status == 404 && !a->exists) {
		/* no metadata: the XML at its usual key, licence from the XML */
		ledger_tx(cr, r, "gone", NULL, "no metadata JSON for this version");
		snprintf(key, sizeof(key), "%s.%d/%s.%d.xml", a->base, a->version, a->base,
			 a->version);
		if ((url = object_url(cr, key)) == NULL) {
			fatal(cr, -ENOMEM, "url");
			return;
		}
		send_req(a, url, cr->pool_s3, K_XML, NULL, NULL);
		free(url);
		return;
	}
	if (r->err != 0 || r->status != 200) {
		art_bad_answer(a, r);
		return;
	}
	if ((rc = body_unchanged(a, r, checksum)) != 0) {
		if (rc > 0)
			resume_images(a);
		return;
	}
	rc = parse_meta(a, r->body.data, r->body.len, &err);
	if (rc == -WN_EFORMAT && retry_req(a, r, "unreadable metadata")) {
		free(err);
		return;
	}
	if (rc < 0) {
		char msg[400];

		snprintf(msg, sizeof(msg), "metadata JSON: %s", err ? err : wn_strerror(rc));
		art_reject(a, r, "failed", msg);
		a->failed = 1;
		free(err);
		return;
	}
	if (a->exists) {
		if (tx_begin(cr) < 0)
			return;
		update_changed_doc(a);
		rc = cr->fatal ? cr->fatal : ledger(cr, r, "done", checksum, NULL);
		if (tx_end(cr, rc) < 0)
			return;
		resume_images(a);
		return;
	}
	ledger_tx(cr, r, "done", checksum, NULL);
	if (a->xml_key == NULL) {
		snprintf(key, sizeof(key), "%s.%d/%s.%d.xml", a->base, a->version, a->base,
			 a->version);
		a->xml_key = strdup(key);
	}
	if (a->xml_key == NULL || (url = object_url(cr, a->xml_key)) == NULL) {
		fatal(cr, -ENOMEM, "url");
		return;
	}
	send_req(a, url, cr->pool_s3, K_XML, NULL, NULL);
	free(url);
}

/* ---- documents and figures ------------------------------------------------- */

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* The licence as published: the bucket's code when it is a known one, else the
   XML's, else "other" when the bucket named one we do not know. */
static const char *
doc_license(const struct art *a, const struct crawl_article *j)
{
	if (a->license != NULL)
		return a->license;
	if (j->license != NULL && strcmp(j->license, "other") != 0)
		return j->license;
	if (a->license_other || j->license != NULL)
		return "other";
	return NULL;
}

static int
insert_doc(struct art *a, const struct crawl_article *j, int version)
{
	static const char sql_doc[] =
		"INSERT INTO documents (source, source_id, base_id, version, pmid, doi,"
		" title, journal, url, license, license_url, published_at, is_retracted)"
		" VALUES ('pmc', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
	static const char sql_sup[] =
		"UPDATE documents SET superseded_by = ?1 WHERE source = 'pmc'"
		" AND base_id = ?2 AND version < ?3 AND superseded_by IS NOT ?1";
	static const char sql_newer[] =
		"SELECT id FROM documents WHERE source = 'pmc' AND base_id = ?1"
		" AND version > ?2 ORDER BY version DESC LIMIT 1";
	struct crawl *cr = a->cr;
	sqlite3_stmt *st = NULL;
	char sid[40], url[96];
	const char *license = doc_license(a, j);
	int rc;

	snprintf(sid, sizeof(sid), "%s.%d", a->base, version);
	snprintf(url, sizeof(url), "https://pmc.ncbi.nlm.nih.gov/articles/%s/", a->base);
	if ((rc = wn_db_prepare(cr->db, sql_doc, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->base, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, version);
	bind_opt(st, 4, j->pmid != NULL ? j->pmid : a->pmid);
	bind_opt(st, 5, j->doi != NULL ? j->doi : a->doi);
	bind_opt(st, 6, j->title != NULL && *j->title ? j->title : a->title);
	bind_opt(st, 7, j->journal);
	bind_opt(st, 8, url);
	bind_opt(st, 9, license);
	bind_opt(st, 10, license != NULL && j->license != NULL &&
			 strcmp(license, j->license) == 0 ? j->license_url : NULL);
	bind_opt(st, 11, j->published_at);
	sqlite3_bind_int(st, 12, a->retracted || j->is_retracted);
	rc = wn_db_step_done(cr->db, st);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	a->doc_id = sqlite3_last_insert_rowid(cr->db->sql);
	/* older versions point to this one */
	if ((rc = wn_db_prepare(cr->db, sql_sup, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, a->doc_id);
	sqlite3_bind_text(st, 2, a->base, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, version);
	rc = wn_db_step_done(cr->db, st);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	/* and this one to a newer one already there (ids given out of order) */
	if ((rc = wn_db_prepare(cr->db, sql_newer, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, a->base, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t newer = sqlite3_column_int64(st, 0);

		sqlite3_finalize(st);
		if ((rc = wn_db_prepare(cr->db, "UPDATE documents SET superseded_by = ?1"
					" WHERE id = ?2", &st)) < 0)
			return rc;
		sqlite3_bind_int64(st, 1, newer);
		sqlite3_bind_int64(st, 2, a->doc_id);
		rc = wn_db_step_done(cr->db, st);
	} else {
		rc = rc == SQLITE_DONE ? 0 : wn_db_error(cr->db);
	}
	sqlite3_finalize(st);
	return rc;
}

static int
insert_figs(struct art *a, const struct crawl_article *j, int from_bucket)
{
	static const char sql[] =
		"INSERT INTO figures (document_id, ordinal, fig_id, label, caption, href,"
		" url, md5, is_thumbnail, status, reason)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	struct crawl *cr = a->cr;
	sqlite3_stmt *st = NULL;
	const char *license = doc_license(a, j);
	int reusable = license != NULL && strcmp(license, "other") != 0;
	int retracted = a->retracted || j->is_retracted;
	size_t i;
	int rc;

	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0)
		return rc;
	for (i = 0; i < j->nfigs && rc == 0; i++) {
		const struct crawl_fig *f = &j->figs[i];
		char *key = NULL, md5[33] = "", *url = NULL;
		const char *status = "pending", *reason = NULL;

		if (f->href != NULL && a->pkg != NULL) {
			const struct crawl_oapkg_file *pf = crawl_oapkg_find(a->pkg, f->href);

			if (pf != NULL) {
				size_t n = strlen(a->pkg_url) + strlen(pf->path) + 2;

				url = malloc(n);
				if (url != NULL)
					snprintf(url, n, "%s#%s", a->pkg_url, pf->path);
			}
		} else if (f->href != NULL && from_bucket) {
			if (resolve_media(a, f->href, &key, md5) == 0)
				url = object_url(cr, key);
		} else if (f->cdn_path != NULL && cr->cdn != NULL &&
			   strstr(f->cdn_path, "..") == NULL) {
			size_t n = strlen(cr->cdn) + strlen(f->cdn_path) + 1;

			url = malloc(n);
			if (url != NULL)
				snprintf(url, n, "%s%s", cr->cdn, f->cdn_path);
		}
		if (url == NULL) {
			status = "dropped";
			reason = "no-image";
		} else if (retracted) {
			status = "dropped";
			reason = "retracted";
		} else if (!reusable) {
			status = "dropped";
			reason = "license";
		}
		sqlite3_bind_int64(st, 1, a->doc_id);
		sqlite3_bind_int(st, 2, (int)i);
		bind_opt(st, 3, f->fig_id);
		bind_opt(st, 4, f->label);
		bind_opt(st, 5, f->caption);
		bind_opt(st, 6, f->href);
		bind_opt(st, 7, url);
		bind_opt(st, 8, md5[0] ? md5 : NULL);
		sqlite3_bind_int(st, 9, f->is_thumbnail);
		sqlite3_bind_text(st, 10, status, -1, SQLITE_STATIC);
		bind_opt(st, 11, reason);
		rc = wn_db_step_done(cr->db, st);
		free(key);
		free(url);
	}
	sqlite3_finalize(st);
	return rc;
}

static void
commit_doc(struct art *a, struct wn_http_req *r, const struct crawl_article *j,
	   int from_bucket, const char *checksum)
{
	struct crawl *cr = a->cr;
	int version = a->version > 0 ? a->version : j->version > 0 ? j->version : 1;
	char sid[40];
	int rc;

	snprintf(sid, sizeof(sid), "%s.%d", a->base, version);
	if (!from_bucket) {
		int64_t id = doc_lookup(cr, sid);

		if (id != 0) {	/* efetch copy already recorded */
			a->doc_id = id;
			a->exists = 1;
			ledger_tx(cr, r, "done", checksum, NULL);
			return;
		}
	}
	if (tx_begin(cr) < 0)
		return;
	rc = insert_doc(a, j, version);
	if (rc == 0)
		rc = insert_figs(a, j, from_bucket);
	if (rc == 0)
		rc = ledger(cr, r, "done", checksum, NULL);
	if (tx_end(cr, rc) < 0)
		return;
	a->is_new = 1;
}

static void
on_xml(struct art *a, struct wn_http_req *r, int from_bucket)
{
	struct crawl *cr = a->cr;
	struct crawl_article j = { 0 };
	char *err = NULL, checksum[80], md5[33];
	int rc;

	if (from_bucket && r->err == 0 && (r->status == 404 || r->status == 403)) {
		char *s3e = crawl_s3_error(r->body.data ? r->body.data : "", r->body.len);
		char msg[300];

		snprintf(msg, sizeof(msg), "HTTP %ld%s%s; trying efetch", r->status,
			 s3e ? ": " : "", s3e ? s3e : "");
		free(s3e);
		ledger_tx(cr, r, "gone", NULL, msg);
		efetch(a);
		return;
	}
	if (r->err != 0 || r->status != 200) {
		art_bad_answer(a, r);
		return;
	}
	if (wn_md5_hex(r->body.data, r->body.len, md5) < 0) {
		fatal(cr, -ENOMEM, "md5");
		return;
	}
	if (from_bucket && a->xml_md5[0] != '\0' && strcmp(md5, a->xml_md5) != 0) {
		char msg[160];

		if (retry_req(a, r, "MD5 mismatch"))
			return;
		snprintf(msg, sizeof(msg), "MD5 mismatch: expected %s, got %s", a->xml_md5,
			 md5);
		art_reject(a, r, "failed", msg);
		a->failed = 1;
		return;
	}
	snprintf(checksum, sizeof(checksum), "md5:%s", md5);
	rc = crawl_jats_parse(r->body.data, r->body.len, &j, &err);
	if (rc == -WN_EFORMAT && retry_req(a, r, "unreadable XML")) {
		free(err);
		return;
	}
	if (rc < 0) {
		char msg[400];

		snprintf(msg, sizeof(msg), "%s: %s",
			 rc == -WN_EREMOTE ? "efetch error" : "malformed XML",
			 err ? err : wn_strerror(rc));
		art_reject(a, r, "failed", msg);
		a->failed = 1;
		free(err);
		return;
	}
	free(err);
	if (j.pmcid != NULL && strcmp(j.pmcid, a->base) != 0)
		wn_warn("%s: the XML says it is %s", a->base, j.pmcid);
	commit_doc(a, r, &j, from_bucket, checksum);
	crawl_article_release(&j);
	if (!cr->fatal)
		resume_images(a);
}

/* ---- images ---------------------------------------------------------------- */

static void
resume_images(struct art *a)
{
	static const char sql[] =
		"SELECT f.id, f.url, f.md5, f.href FROM figures f JOIN documents d"
		" ON d.id = f.document_id WHERE d.source = 'pmc' AND d.source_id = ?1"
		" AND f.status IN ('pending', 'failed') AND f.url IS NOT NULL"
		" ORDER BY f.ordinal";
	struct crawl *cr = a->cr;
	sqlite3_stmt *st = NULL;
	char sid[40];
	int rc;

	if (cr->o->no_media || cr->fatal)
		return;
	snprintf(sid, sizeof(sid), "%s.%d", a->base, a->version > 0 ? a->version : 1);
	if (a->doc_id > 0 && a->version == 0) {
		/* efetch route: the document row knows its version */
		sqlite3_stmt *v = NULL;

		if (wn_db_prepare(cr->db, "SELECT source_id FROM documents WHERE id = ?1",
				  &v) == 0) {
			sqlite3_bind_int64(v, 1, a->doc_id);
			if (sqlite3_step(v) == SQLITE_ROW)
				snprintf(sid, sizeof(sid), "%s", sqlite3_column_text(v, 0));
			sqlite3_finalize(v);
		}
	}
	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0) {
		fatal(cr, rc, "prepare");
		return;
	}
	sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct img *im = calloc(1, sizeof(*im));
		const char *url = (const char *)sqlite3_column_text(st, 1);
		const char *md5 = (const char *)sqlite3_column_text(st, 2);
		const char *dot = strrchr(url, '.');

		if (im == NULL) {
			fatal(cr, -ENOMEM, "image");
			break;
		}
		im->a = a;
		im->fig_id = sqlite3_column_int64(st, 0);
		if (md5 != NULL && strlen(md5) == 32)
			memcpy(im->md5, md5, 33);
		if (dot != NULL && strlen(dot + 1) < sizeof(im->ext) && strchr(dot, '/') == NULL)
			snprintf(im->ext, sizeof(im->ext), "%s", dot + 1);
		im->next = a->imgs;
		a->imgs = im;
		if (a->exists)
			a->resumed = 1;
		/* a bucket file is asked from the current --s3-base, whatever base
		   the figure was first recorded with */
		{
			char mark[48], *fresh = NULL;
			const char *k;

			snprintf(mark, sizeof(mark), "/%s/", sid);
			k = strstr(url, mark);
			if (k != NULL && strncmp(url, cr->cdn, strlen(cr->cdn)) != 0)
				fresh = object_url(cr, k + 1);
			rc = send_req(a, fresh != NULL ? fresh : url, cr->pool_s3, K_IMAGE, im,
				      NULL);
			free(fresh);
			if (rc < 0)
				break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc < 0 && cr->fatal == 0)
		fatal(cr, rc, "request");
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc > 0)
		fatal(cr, wn_db_error(cr->db), "select");
	sqlite3_finalize(st);
}

static int
fig_status(struct crawl *cr, int64_t fig_id, const char *status, const char *reason,
	   int64_t image_id, const char *url)
{
	static const char sql[] =
		"UPDATE figures SET status = ?2, reason = ?3, image_id = ?4,"
		" url = COALESCE(?5, url) WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, fig_id);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	bind_opt(st, 3, reason);
	if (image_id > 0)
		sqlite3_bind_int64(st, 4, image_id);
	bind_opt(st, 5, url);
	rc = wn_db_step_done(cr->db, st);
	sqlite3_finalize(st);
	return rc;
}

static void
image_failed(struct img *im, struct wn_http_req *r, const char *state, const char *reason,
	     const char *msg, int transient)
{
	struct crawl *cr = im->a->cr;
	int rc;

	wn_warn("'%s': %s, skipping", r->log_url, msg);
	if (tx_begin(cr) < 0)
		return;
	rc = fig_status(cr, im->fig_id, "failed", reason, 0, NULL);
	if (rc == 0)
		rc = ledger(cr, r, state, NULL, msg);
	tx_end(cr, rc);
	if (transient) {
		cr->st.transient++;
		im->a->failed = 1;
	} else {
		cr->st.rejected++;
	}
}

static void
on_image(struct img *im, struct wn_http_req *r)
{
	struct art *a = im->a;
	struct crawl *cr = a->cr;
	struct wn_stored s;
	char md5[33], checksum[80], msg[200];
	int64_t image_id = 0;
	int rc;

	if (r->err == -WN_ENET || r->err == -WN_EHTTP) {
		image_failed(im, r, "failed", NULL, r->errmsg, 1);
		return;
	}
	if (r->err != 0) {
		image_failed(im, r, "failed", "bad-image", r->errmsg, 0);
		return;
	}
	if (r->status != 200) {
		char *s3e = crawl_s3_error(r->body.data ? r->body.data : "", r->body.len);

		snprintf(msg, sizeof(msg), "HTTP %ld%s%s", r->status, s3e ? ": " : "",
			 s3e ? s3e : "");
		free(s3e);
		image_failed(im, r, r->status == 404 || r->status == 410 ? "gone" : "failed",
			     "no-image", msg, 0);
		return;
	}
	if (wn_md5_hex(r->body.data, r->body.len, md5) < 0) {
		fatal(cr, -ENOMEM, "md5");
		return;
	}
	if (im->md5[0] != '\0' && strcmp(md5, im->md5) != 0) {
		if (retry_req(a, r, "MD5 mismatch"))
			return;
		snprintf(msg, sizeof(msg), "MD5 mismatch: expected %s, got %s (%zu bytes)",
			 im->md5, md5, r->body.len);
		image_failed(im, r, "failed", "bad-image", msg, 0);
		return;
	}
	if (im->md5[0] == '\0' && wn_img_sniff((const uint8_t *)r->body.data, r->body.len) !=
				  WN_IMG_UNKNOWN) {
		enum wn_img_format f;
		int w, h;

		/* no published checksum: at least the header must read */
		if (wn_img_probe((const uint8_t *)r->body.data, r->body.len, &f, &w, &h) < 0) {
			if (retry_req(a, r, "unreadable image"))
				return;
			image_failed(im, r, "failed", "bad-image", "unreadable image header", 0);
			return;
		}
	}
	rc = wn_store_write(cr->db->store, r->body.data, r->body.len,
			    im->ext[0] ? im->ext : NULL, &s);
	if (rc < 0) {
		fatal(cr, rc, "store");
		wn_error("cannot write into store '%s': %s", cr->db->store, wn_strerror(rc));
		return;
	}
	if (im->md5[0] != '\0')
		snprintf(checksum, sizeof(checksum), "md5:%s", md5);
	else
		snprintf(checksum, sizeof(checksum), "sha256:%s", s.sha256);
	if (tx_begin(cr) < 0)
		return;
	rc = wn_store_add_row(cr->db, &s, &image_id);
	if (rc == 0)
		rc = fig_status(cr, im->fig_id, "ok", NULL, image_id, r->url);
	if (rc == 0)
		rc = ledger(cr, r, "done", checksum, NULL);
	if (tx_end(cr, rc) < 0)
		return;
	a->images_ok++;
	cr->st.images++;
	cr->st.bytes += (int64_t)r->body.len;
}

/* ---- legacy OA Web Service and packages (--legacy-oa) ----------------------- */

static void
on_oa(struct art *a, struct wn_http_req *r)
{
	struct crawl *cr = a->cr;
	xmlDoc *doc;
	xmlNode *root, *rec, *c;
	char *err = NULL, *href = NULL, *lic, *retr, url[4096];
	struct wn_fetch f = { 0 };
	const char *inm = NULL;
	int64_t existing;

	if (r->err == 0 && r->status == 404) {
		art_reject(a, r, "gone", "HTTP 404: the OA Web Service is retired (August 2026); "
			   "crawl without --legacy-oa");
		a->failed = 1;
		return;
	}
	if (r->err != 0 || r->status != 200) {
		art_bad_answer(a, r);
		return;
	}
	doc = crawl_xml_read(r->body.data, r->body.len, CRAWL_EUTILS_MAX_REPLY, &err);
	if (doc == NULL) {
		char msg[300];

		if (retry_req(a, r, "unreadable oa.fcgi reply")) {
			free(err);
			return;
		}
		snprintf(msg, sizeof(msg), "oa.fcgi: %s", err ? err : "unreadable reply");
		art_reject(a, r, "failed", msg);
		a->failed = 1;
		free(err);
		return;
	}
	root = xmlDocGetRootElement(doc);
	if ((c = crawl_xml_child(root, "error")) != NULL) {
		char msg[400], *code = crawl_xml_attr(c, "code"), *t = crawl_xml_text(c, 300);

		snprintf(msg, sizeof(msg), "oa.fcgi: %s: %s", code ? code : "error", t ? t : "");
		art_reject(a, r, "failed", msg);
		a->failed = 1;
		free(code);
		free(t);
		xmlFreeDoc(doc);
		return;
	}
	rec = crawl_xml_child(crawl_xml_child(root, "records"), "record");
	for (c = rec != NULL ? rec->children : NULL; c != NULL && href == NULL; c = c->next) {
		char *fmt;

		if (!crawl_xml_is(c, "link"))
			continue;
		fmt = crawl_xml_attr(c, "format");
		if (fmt != NULL && strcmp(fmt, "tgz") == 0)
			href = crawl_xml_attr(c, "href");
		free(fmt);
	}
	if (href == NULL) {
		art_reject(a, r, "failed", "oa.fcgi: no tgz package for this id");
		a->failed = 1;
		xmlFreeDoc(doc);
		return;
	}
	lic = crawl_xml_attr(rec, "license");
	retr = crawl_xml_attr(rec, "retracted");
	free(a->license);
	a->license = lic != NULL && crawl_license_code(lic) != NULL ?
		strdup(crawl_license_code(lic)) : NULL;
	a->license_other = lic != NULL && a->license == NULL;
	a->retracted = retr != NULL && strcmp(retr, "yes") == 0;
	free(lic);
	free(retr);
	xmlFreeDoc(doc);
	ledger_tx(cr, r, "done", NULL, NULL);
	/* ftp://ftp.ncbi.nlm.nih.gov/pub/... is served over https from the same tree */
	if (strncmp(href, "ftp://ftp.ncbi.nlm.nih.gov/", 27) == 0)
		snprintf(url, sizeof(url), "%s%s", cr->ftp, href + 27);
	else if (strncmp(href, "http://", 7) == 0 || strncmp(href, "https://", 8) == 0)
		snprintf(url, sizeof(url), "%s", href);
	else
		url[0] = '\0';
	free(href);
	if (url[0] == '\0') {
		art_reject(a, r, "failed", "oa.fcgi: package link is neither ftp nor http");
		a->failed = 1;
		return;
	}
	existing = 0;
	{
		sqlite3_stmt *st = NULL;

		if (wn_db_prepare(cr->db, "SELECT id FROM documents WHERE source = 'pmc'"
				  " AND base_id = ?1 ORDER BY version DESC LIMIT 1", &st) == 0) {
			sqlite3_bind_text(st, 1, a->base, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				existing = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
	}
	if (existing > 0 && wn_ledger_get(&cr->ledger, url, &f) == 1 &&
	    strcmp(f.state, "done") == 0)
		inm = f.etag;
	a->doc_id = existing;
	a->exists = existing > 0;
	send_req(a, url, cr->pool_s3, K_PKG, NULL, inm);
	wn_fetch_release(&f);
}

static void
on_pkg(struct art *a, struct wn_http_req *r)
{
	struct crawl *cr = a->cr;
	struct crawl_oapkg pkg = { 0 };
	struct crawl_article j = { 0 };
	char *err = NULL, checksum[80], msg[400];
	size_t i;
	int rc;

	if (r->err == 0 && r->status == 304) {
		ledger_tx(cr, r, "done", NULL, NULL);
		return;
	}
	if (r->err != 0 || r->status != 200) {
		art_bad_answer(a, r);
		return;
	}
	if (body_unchanged(a, r, checksum) != 0)
		return;
	rc = crawl_oapkg_read(r->body.data, r->body.len, &pkg, &err);
	if (rc == -WN_EFORMAT && retry_req(a, r, "unreadable package")) {
		free(err);
		return;
	}
	if (rc == 0 && pkg.nxml == NULL) {
		rc = -WN_EFORMAT;
		err = strdup("package holds no .nxml article");
	}
	if (rc == 0) {
		rc = crawl_jats_parse((const char *)pkg.nxml->data, pkg.nxml->len, &j, &err);
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "malformed XML in package: %s",
				 err ? err : wn_strerror(rc));
			free(err);
			err = strdup(msg);
		}
	}
	if (rc < 0) {
		art_reject(a, r, "failed", err ? err : wn_strerror(rc));
		a->failed = 1;
		free(err);
		crawl_oapkg_release(&pkg);
		return;
	}
	free(err);
	a->pkg = &pkg;
	a->pkg_url = r->url;
	a->exists = 0;
	{
		char sid[40];
		int version = j.version > 0 ? j.version : 1;

		snprintf(sid, sizeof(sid), "%s.%d", a->base, version);
		if (doc_lookup(cr, sid) > 0) {
			/* same version, new package bytes: keep what is recorded */
			ledger_tx(cr, r, "done", checksum, NULL);
			goto out;
		}
		a->version = version;
	}
	commit_doc(a, r, &j, 1, checksum);
	if (cr->fatal || !a->is_new)
		goto out;
	/* the figures' images come from the package itself */
	{
		static const char sql[] =
			"SELECT id, url FROM figures WHERE document_id = ?1 AND status = 'pending'"
			" AND url IS NOT NULL ORDER BY ordinal";
		sqlite3_stmt *st = NULL;

		if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0) {
			fatal(cr, rc, "prepare");
			goto out;
		}
		sqlite3_bind_int64(st, 1, a->doc_id);
		while (cr->fatal == 0 && sqlite3_step(st) == SQLITE_ROW) {
			int64_t fig = sqlite3_column_int64(st, 0), image_id = 0;
			const char *u = (const char *)sqlite3_column_text(st, 1), *hash;
			const struct crawl_oapkg_file *pf = NULL;
			struct wn_stored s;

			hash = strrchr(u, '#');
			for (i = 0; hash != NULL && i < pkg.nfiles; i++)
				if (strcmp(pkg.files[i].path, hash + 1) == 0)
					pf = &pkg.files[i];
			if (pf == NULL || cr->o->no_media)
				continue;
			rc = wn_store_write(cr->db->store, pf->data, pf->len,
					    strrchr(pf->name, '.') ? strrchr(pf->name, '.') + 1 : NULL,
					    &s);
			if (rc < 0) {
				wn_error("cannot write into store '%s': %s", cr->db->store,
					 wn_strerror(rc));
				fatal(cr, rc, "store");
				break;
			}
			if (tx_begin(cr) < 0)
				break;
			rc = wn_store_add_row(cr->db, &s, &image_id);
			if (rc == 0)
				rc = fig_status(cr, fig, "ok", NULL, image_id, NULL);
			if (tx_end(cr, rc) < 0)
				break;
			a->images_ok++;
			cr->st.images++;
			cr->st.bytes += (int64_t)pf->len;
		}
		sqlite3_finalize(st);
	}
out:
	a->pkg = NULL;
	a->pkg_url = NULL;
	crawl_article_release(&j);
	crawl_oapkg_release(&pkg);
}

/* ---- search ---------------------------------------------------------------- */

static int
fetch_sync(struct crawl *cr, const char *url, int pool, struct wn_http_req **ret)
{
	struct wn_http_req *r = wn_http_req_new(url, pool, K_ESEARCH, NULL), *got = NULL;
	int rc;

	if (r == NULL)
		return -ENOMEM;
	wn_http_add(cr->http, r);
	rc = wn_http_next(cr->http, &got);
	if (rc <= 0)
		return rc < 0 ? rc : -EIO;
	*ret = got;
	return 0;
}

int
pmc_in_shard(const struct pmc_opts *o, const char *pmcid)
{
	if (o->shard_n <= 1)
		return 1;
	return wn_hash64(pmcid, strlen(pmcid)) % (uint64_t)o->shard_n == (uint64_t)o->shard_k;
}

static int
add_id(struct crawl *cr, const char *id)
{
	char **n;

	if (!pmc_in_shard(cr->o, id))
		return 0;
	if (cr->nids >= MAX_IDS)
		return -WN_ETOOBIG;
	if ((cr->nids & (cr->nids - 1)) == 0 || cr->nids == 0) {
		n = realloc(cr->ids, (cr->nids ? cr->nids * 2 : 64) * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		cr->ids = n;
	}
	cr->ids[cr->nids] = strdup(id);
	if (cr->ids[cr->nids] == NULL)
		return -ENOMEM;
	cr->nids++;
	return 0;
}

static void
date_slashes(char *d)
{
	for (; *d != '\0'; d++)
		if (*d == '-')
			*d = '/';
}

static int
cursor_get(struct crawl *cr, char *out, size_t outsz)
{
	static const char sql[] =
		"SELECT cursor FROM crawl_state WHERE source = 'pmc' AND query = ?1";
	sqlite3_stmt *st = NULL;
	int rc, found = 0;

	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, cr->o->query, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
		snprintf(out, outsz, "%s", sqlite3_column_text(st, 0));
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

static int
esearch(struct crawl *cr)
{
	const struct pmc_opts *o = cr->o;
	struct wn_buf base;
	struct crawl_esearch e = { 0 };
	char *webenv = NULL, *qk = NULL, since[32] = "", until[32] = "";
	int64_t start = 0, total = -1;
	int rc = 0;

	wn_buf_init(&base, 0);
	if (o->since != NULL)
		snprintf(since, sizeof(since), "%s", o->since);
	else if (o->reldate == 0 && cursor_get(cr, since, sizeof(since)) == 1)
		wn_info("continuing from %s", since);
	if (o->until != NULL)
		snprintf(until, sizeof(until), "%s", o->until);
	date_slashes(since);
	date_slashes(until);
	if (wn_buf_printf(&base, "%sesearch.fcgi?db=pmc&term=", cr->eutils) < 0 ||
	    pct(&base, o->query, 0) < 0)
		goto oom;
	if (o->reldate > 0) {
		if (wn_buf_printf(&base, "&datetype=pmcrdat&reldate=%d", o->reldate) < 0)
			goto oom;
	} else if (since[0] != '\0' || until[0] != '\0') {
		if (wn_buf_printf(&base, "&datetype=pmcrdat&mindate=%s&maxdate=%s",
				  since[0] ? since : "1900/01/01",
				  until[0] ? until : "3000/12/31") < 0)
			goto oom;
	}
	for (;;) {
		struct wn_buf u;
		struct wn_http_req *r = NULL;
		char *err = NULL;
		size_t i;

		wn_buf_init(&u, 0);
		if (wn_buf_addstr(&u, base.data) < 0 ||
		    wn_buf_printf(&u, "&retmax=%d&retstart=%lld", ESEARCH_PAGE,
				  (long long)start) < 0 ||
		    (webenv == NULL ? wn_buf_addstr(&u, "&usehistory=y") :
		     (wn_buf_addstr(&u, "&WebEnv=") < 0 || pct(&u, webenv, 0) < 0 ||
		      wn_buf_addstr(&u, "&query_key=") < 0 || pct(&u, qk, 0) < 0)) < 0 ||
		    wn_buf_addstr(&u, cr->ident) < 0) {
			wn_buf_release(&u);
			goto oom;
		}
		rc = fetch_sync(cr, u.data, cr->pool_eutils, &r);
		wn_buf_release(&u);
		if (rc < 0)
			goto out;
		for (;;) {
			if (r->err != 0 || r->status != 200) {
				char msg[300];

				if (r->err != 0)
					snprintf(msg, sizeof(msg), "%s", r->errmsg);
				else
					snprintf(msg, sizeof(msg), "HTTP %ld", r->status);
				wn_error("esearch failed: %s", msg);
				ledger_tx(cr, r, "failed", NULL, msg);
				rc = r->err == -WN_ENET || r->err == -WN_EHTTP ? -WN_ENET
					: r->status == 403 || r->status == 401 ? -EACCES
					: -WN_EHTTP;
				wn_http_req_free(r);
				goto out;
			}
			free(err);
			err = NULL;
			rc = crawl_esearch_parse(r->body.data, r->body.len, &e, &err);
			if (rc >= 0)
				break;
			/* garbage or a transient backend <ERROR>: ask again */
			if (rc != -ENOMEM && wn_http_retry(cr->http, r, err ? err : "esearch")) {
				if ((rc = wn_http_next(cr->http, &r)) <= 0) {
					free(err);
					rc = rc < 0 ? rc : -EIO;
					goto out;
				}
				continue;
			}
			wn_error("esearch: %s", err ? err : wn_strerror(rc));
			{
				char msg[400];

				snprintf(msg, sizeof(msg), "esearch: %s",
					 err ? err : wn_strerror(rc));
				ledger_tx(cr, r, "failed", NULL, msg);
			}
			free(err);
			wn_http_req_free(r);
			rc = rc == -WN_EREMOTE ? -WN_EREMOTE : -WN_ENET;
			goto out;
		}
		free(err);
		ledger_tx(cr, r, "done", NULL, NULL);
		wn_http_req_free(r);
		if (cr->fatal) {
			rc = cr->fatal;
			goto out;
		}
		if (webenv == NULL && e.webenv != NULL && e.query_key != NULL) {
			webenv = strdup(e.webenv);
			qk = strdup(e.query_key);
			if (webenv == NULL || qk == NULL)
				goto oom;
		}
		if (total < 0) {
			total = e.count;
			wn_info("esearch: %lld articles for '%s'%s%s", (long long)total, o->query,
				e.translation ? " = " : "", e.translation ? e.translation : "");
		}
		for (i = 0; i < e.nids; i++) {
			char id[40];

			if (o->max > 0 && (int64_t)cr->nids >= o->max)
				break;
			snprintf(id, sizeof(id), "PMC%s", e.ids[i]);
			if ((rc = add_id(cr, id)) < 0)
				goto out;
		}
		start += (int64_t)e.nids;
		if (e.nids == 0 || start >= total || (o->max > 0 && (int64_t)cr->nids >= o->max) ||
		    webenv == NULL) {
			crawl_esearch_release(&e);
			break;
		}
		crawl_esearch_release(&e);
	}
	rc = 0;
	goto out;
oom:
	rc = -ENOMEM;
out:
	crawl_esearch_release(&e);
	free(webenv);
	free(qk);
	wn_buf_release(&base);
	return rc;
}

static int
id_read(void *ud, const char *pmcid)
{
	struct crawl *cr = ud;
	int rc;

	if (cr->o->max > 0 && (int64_t)cr->nids >= cr->o->max)
		return 1;
	rc = add_id(cr, pmcid);
	return rc < 0 ? rc : 0;
}

static int
read_ids(struct crawl *cr)
{
	return crawl_read_ids(cr->o->ids_file, id_read, cr, &cr->st.rejected);
}

/* Articles left incomplete by earlier runs (killed, network down, refused). */
static int
add_unfinished(struct crawl *cr)
{
	static const char sql[] =
		"SELECT DISTINCT d.base_id FROM documents d JOIN figures f"
		" ON f.document_id = d.id WHERE d.source = 'pmc' AND d.superseded_by IS NULL"
		" AND f.status IN ('pending', 'failed') AND f.url IS NOT NULL"
		" AND d.base_id IS NOT NULL ORDER BY d.id";
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = wn_db_prepare(cr->db, sql, &st)) < 0)
		return rc;
	while (!cr->o->no_media && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 0);

		if ((rc = add_id(cr, b)) < 0)
			break;
	}
	if (cr->o->no_media)
		rc = SQLITE_DONE;
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc : wn_db_error(cr->db);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	/* and the articles whose listing, metadata, XML or package failed */
	if ((rc = wn_db_prepare(cr->db, "SELECT url FROM fetches WHERE state = 'failed'"
				" ORDER BY id", &st)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *u = (const char *)sqlite3_column_text(st, 0), *p;
		char id[24];
		size_t n;

		p = u != NULL ? strstr(u, "PMC") : NULL;
		if (p == NULL && u != NULL && strstr(u, "efetch.fcgi") != NULL &&
		    (p = strstr(u, "&id=")) != NULL)
			p += 4;
		else if (p != NULL)
			p += 3;
		if (p == NULL)
			continue;
		n = strspn(p, "0123456789");
		if (n == 0 || n > 12)
			continue;
		snprintf(id, sizeof(id), "PMC%.*s", (int)n, p);
		if ((rc = add_id(cr, id)) < 0)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc : wn_db_error(cr->db);
	sqlite3_finalize(st);
	return rc;
}

struct idpos {
	const char *id;
	size_t pos;
};

static int
cmp_idpos(const void *a, const void *b)
{
	const struct idpos *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Drop repeated ids, keeping the first occurrence in its place. */
static int
dedupe_ids(struct crawl *cr)
{
	struct idpos *v;
	char *drop;
	size_t i, w = 0;

	if (cr->nids < 2)
		return 0;
	v = malloc(cr->nids * sizeof(*v));
	drop = calloc(cr->nids, 1);
	if (v == NULL || drop == NULL) {
		free(v);
		free(drop);
		return -ENOMEM;
	}
	for (i = 0; i < cr->nids; i++)
		v[i] = (struct idpos){ cr->ids[i], i };
	qsort(v, cr->nids, sizeof(*v), cmp_idpos);
	for (i = 1; i < cr->nids; i++)
		if (strcmp(v[i].id, v[i - 1].id) == 0)
			drop[v[i].pos] = 1;
	for (i = 0; i < cr->nids; i++) {
		if (drop[i])
			free(cr->ids[i]);
		else
			cr->ids[w++] = cr->ids[i];
	}
	cr->nids = w;
	free(v);
	free(drop);
	return 0;
}

static int
cursor_set(struct crawl *cr)
{
	static const char sql[] =
		"INSERT INTO crawl_state (source, query, cursor, last_run_at)"
		" VALUES ('pmc', ?1, ?2, ?3) ON CONFLICT (source, query) DO UPDATE"
		" SET cursor = excluded.cursor, last_run_at = excluded.last_run_at";
	sqlite3_stmt *st = NULL;
	char now[32], day[16];
	time_t t = time(NULL) - 86400;	/* one day of overlap: releases are per day */
	struct tm tm;
	int rc;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y/%m/%d", &tm);
	wn_db_now(now, sizeof(now));
	if ((rc = wn_db_begin(cr->db)) < 0)
		return rc;
	if ((rc = wn_db_prepare(cr->db, sql, &st)) == 0) {
		sqlite3_bind_text(st, 1, cr->o->query, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		rc = wn_db_step_done(cr->db, st);
		sqlite3_finalize(st);
	}
	if (rc < 0) {
		wn_db_rollback(cr->db);
		return rc;
	}
	return wn_db_commit(cr->db);
}

/* ---- driver ---------------------------------------------------------------- */

static void
dispatch(struct crawl *cr, struct wn_http_req *r)
{
	struct art *a;
	struct img *im = NULL;

	if (r->kind == K_IMAGE) {
		im = r->ud;
		a = im->a;
	} else {
		a = r->ud;
	}
	a->outstanding--;
	switch (r->kind) {
	case K_LIST:
		on_list(a, r);
		break;
	case K_META:
		on_meta(a, r);
		break;
	case K_XML:
		on_xml(a, r, 1);
		break;
	case K_EFETCH:
		on_xml(a, r, 0);
		break;
	case K_IMAGE:
		on_image(im, r);
		break;
	case K_OA:
		on_oa(a, r);
		break;
	case K_PKG:
		on_pkg(a, r);
		break;
	default:
		break;
	}
}

int
pmc_run(struct wn_db *db, const struct pmc_opts *o, FILE *out, struct pmc_stats *ret_stats)
{
	struct crawl cr = { .db = db, .o = o, .out = out };
	struct wn_http_opts ho = { .max_attempts = o->max_attempts,
				   .backoff_s = o->backoff_s,
				   .allow_file = o->allow_file,
				   .max_total = (o->s3_conns > 0 ? o->s3_conns : 8) + 4 };
	double erate = o->eutils_rate > 0 ? o->eutils_rate
			: (o->api_key != NULL && *o->api_key ? 10 : 3);
	struct wn_http_req *r;
	size_t i;
	int rc, in_flight = o->in_flight > 0 ? o->in_flight : 32;

	cr.s3 = with_slash(o->s3_base != NULL ? o->s3_base : PMC_S3_BASE);
	cr.eutils = with_slash(o->eutils_base != NULL ? o->eutils_base : PMC_EUTILS_BASE);
	cr.cdn = with_slash(o->cdn_base != NULL ? o->cdn_base : PMC_CDN_BASE);
	if (o->legacy_oa) {
		cr.oa = strdup(o->oa_base != NULL ? o->oa_base : PMC_OA_BASE);
		cr.ftp = with_slash(o->ftp_base != NULL ? o->ftp_base : PMC_FTP_BASE);
		if (cr.oa == NULL || cr.ftp == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (cr.s3 == NULL || cr.eutils == NULL || cr.cdn == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	ident_init(&cr);
	if ((rc = wn_http_new(&ho, &cr.http)) < 0)
		goto out;
	cr.pool_eutils = wn_http_pool_add(cr.http, "eutils", erate, 3);
	cr.pool_s3 = wn_http_pool_add(cr.http, "s3", 0, o->s3_conns > 0 ? o->s3_conns : 8);
	if (cr.pool_eutils < 0 || cr.pool_s3 < 0) {
		rc = -EINVAL;
		goto out;
	}
	if ((rc = wn_ledger_init(&cr.ledger, db)) < 0)
		goto out;
	if (o->ids_file != NULL)
		rc = read_ids(&cr);
	else
		rc = esearch(&cr);
	if (rc < 0)
		goto out;
	if (o->ids_file == NULL && (rc = add_unfinished(&cr)) < 0)
		goto out;
	if ((rc = dedupe_ids(&cr)) < 0)
		goto out;
	wn_info("%zu articles to visit", cr.nids);
	wn_progress_begin(&cr.prog, "articles", (int64_t)cr.nids);

	for (;;) {
		while (cr.fatal == 0 && cr.active < in_flight && cr.next_id < cr.nids)
			art_start(&cr, cr.ids[cr.next_id++]);
		if (cr.fatal != 0)
			break;
		rc = wn_http_next(cr.http, &r);
		if (rc < 0) {
			fatal(&cr, rc, "http");
			break;
		}
		if (rc == 0) {
			if (cr.next_id < cr.nids)
				continue;
			break;
		}
		{
			struct art *a = r->kind == K_IMAGE ? ((struct img *)r->ud)->a
							   : (struct art *)r->ud;

			cr.requeued = 0;
			dispatch(&cr, r);
			if (!cr.requeued)
				wn_http_req_free(r);
			art_maybe_finish(a);
		}
	}
	wn_progress_end(&cr.prog);
	rc = cr.fatal;
	if (rc == 0 && o->ids_file == NULL && o->query != NULL && cr.st.transient == 0 &&
	    o->since == NULL && o->until == NULL && o->reldate == 0 && o->max == 0)
		rc = cursor_set(&cr);
out:
	if (ret_stats != NULL)
		*ret_stats = cr.st;
	wn_http_free(cr.http);
	while (cr.arts != NULL) {
		struct art *a = cr.arts;

		cr.arts = a->next;
		art_free(a);
	}
	wn_ledger_release(&cr.ledger);
	for (i = 0; i < cr.nids; i++)
		free(cr.ids[i]);
	free(cr.ids);
	free(cr.s3);
	free(cr.eutils);
	free(cr.cdn);
	free(cr.oa);
	free(cr.ftp);
	return rc;
}
