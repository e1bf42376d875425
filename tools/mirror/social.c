/*
 * social.c: Europe PMC (search with cursorMark, fullTextXML), Mastodon tag
 * timelines (max_id/since_id/min_id paging with Link headers), Bluesky
 * app.bsky.feed.searchPosts and searchPostsV2 (cursor paging), and the
 * static media/ folder their posts link to.
 */
#define _GNU_SOURCE	/* strcasestr */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

#define EPMC		"/europepmc/webservices/rest/"
#define MASTO_TAG	"/api/v1/timelines/tag/"
#define BSKY_SEARCH	"/xrpc/app.bsky.feed.searchPosts"
#define BSKY_SEARCH2	"/xrpc/app.bsky.feed.searchPostsV2"
#define MEDIA		"/media/"
#define JSON_CTYPE	"application/json; charset=utf-8"

static json_t *
load_json(const struct mirror_corpus *c, const char *rel)
{
	char *path = mirror_corpus_file(c, rel), *data = NULL;
	size_t len;
	json_t *j = NULL;

	if (path == NULL)
		return NULL;
	if (wn_read_file(path, MIRROR_MAX_INDEX, &data, &len) == 0)
		j = json_loadb(data, len, 0, NULL);
	if (j == NULL)
		wn_warn("cannot parse '%s', skipping", path);
	free(data);
	free(path);
	return j;
}

static int
json_error(struct mirror_reply *rep, int status, const char *fmt, ...)
{
	json_t *j;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	j = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	if (j == NULL)
		return -ENOMEM;
	rc = mirror_reply_json(rep, status, j);
	json_decref(j);
	return rc;
}

/* ---- Europe PMC ---- */

static int
epmc_cursor_decode(const char *cm, long *ret)
{
	char *s = NULL, *end;
	long v;

	if (strcmp(cm, "*") == 0) {
		*ret = 0;
		return 0;
	}
	if (mirror_b64_decode(cm, &s) < 0)
		return -EINVAL;
	if (strncmp(s, "AoII", 4) != 0) {
		free(s);
		return -EINVAL;
	}
	v = strtol(s + 4, &end, 10);
	if (*end != '\0' || v < 0) {
		free(s);
		return -EINVAL;
	}
	free(s);
	*ret = v;
	return 0;
}

static char *
epmc_cursor_encode(long off)
{
	struct wn_buf raw, b;
	char *out = NULL;

	wn_buf_init(&raw, 0);
	wn_buf_init(&b, 0);
	if (wn_buf_printf(&raw, "AoII%ld", off) == 0 &&
	    mirror_b64_encode(&b, raw.data, raw.len) == 0)
		out = wn_buf_detach(&b, NULL);
	wn_buf_release(&raw);
	wn_buf_release(&b);
	return out;
}

static json_t *
epmc_result(const struct mirror_corpus *c, const char *id, int core)
{
	const struct mirror_obj *o = mirror_newest(c, id, 1);
	char *data = NULL, pmcid[64], lic[64], year[8] = "";
	const char *t, *cit;
	json_t *meta = NULL, *res;
	size_t len;

	if (o == NULL || wn_read_file(o->path, MIRROR_MAX_INDEX, &data, &len) < 0)
		return NULL;
	meta = json_loadb(data, len, 0, NULL);
	free(data);
	if (meta == NULL)
		return NULL;
	snprintf(pmcid, sizeof(pmcid), "PMC%s", id);
	t = json_string_value(json_object_get(meta, "license_code"));
	snprintf(lic, sizeof(lic), "%s", t ? t : "");
	for (char *p = lic; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	cit = json_string_value(json_object_get(meta, "citation"));
	if (cit) {
		const char *d = strstr(cit, ". ");

		if (d && isdigit((unsigned char)d[2]))
			snprintf(year, sizeof(year), "%.4s", d + 2);
	}
	res = json_object();
	if (res == NULL)
		goto out;
	if (json_integer_value(json_object_get(meta, "pmid")) > 0) {
		char pm[32];

		snprintf(pm, sizeof(pm), "%lld",
			 (long long)json_integer_value(json_object_get(meta, "pmid")));
		json_object_set_new(res, "id", json_string(pm));
		json_object_set_new(res, "source", json_string("MED"));
		json_object_set_new(res, "pmid", json_string(pm));
	} else {
		json_object_set_new(res, "id", json_string(pmcid));
		json_object_set_new(res, "source", json_string("PMC"));
	}
	json_object_set_new(res, "pmcid", json_string(pmcid));
	if ((t = json_string_value(json_object_get(meta, "doi"))))
		json_object_set_new(res, "doi", json_string(t));
	if ((t = json_string_value(json_object_get(meta, "title"))))
		json_object_set_new(res, "title", json_string(t));
	if (*year)
		json_object_set_new(res, "pubYear", json_string(year));
	json_object_set_new(res, "isOpenAccess", json_string(
		json_is_true(json_object_get(meta, "is_pmc_openaccess")) ? "Y" : "N"));
	json_object_set_new(res, "inEPMC", json_string("Y"));
	json_object_set_new(res, "inPMC", json_string("Y"));
	json_object_set_new(res, "hasPDF", json_string("N"));
	if (core) {
		if (*lic)
			json_object_set_new(res, "license", json_string(lic));
		json_object_set_new(res, "fullTextUrlList", json_pack(
			"{s[{ssssssssss+}]}", "fullTextUrl", "availability", "Open access",
			"availabilityCode", "OA", "documentStyle", "html", "site",
			"Europe_PMC", "url", "https://europepmc.org/articles/", pmcid));
	}
out:
	json_decref(meta);
	return res;
}

static int
epmc_search(const struct mirror_corpus *c, const struct mirror_req *r,
	    struct mirror_reply *rep)
{
	const char *q = mirror_arg(r, "query"), *cm = mirror_arg(r, "cursorMark");
	const char *ps = mirror_arg(r, "pageSize"), *rt = mirror_arg(r, "resultType");
	const char **ids = NULL;
	size_t nids = 0;
	json_t *j = NULL, *list = NULL;
	struct wn_buf url;
	char *next = NULL;
	long off;
	int size = 25, rc, n = 0;

	wn_buf_init(&url, 0);
	if (q == NULL || *q == '\0')
		return json_error(rep, 200, "{siss}", "errCode", 404, "errMsg",
				  "No search criteria provided. Please provide a search "
				  "criteria which is less than 1500 characters.");
	if (ps && (wn_parse_int(ps, 1, 1000, &size) < 0))
		return json_error(rep, 200, "{siss}", "errCode", 404, "errMsg",
				  "Invalid page size provided. Valid size is between 1 and 1000");
	if (cm == NULL)
		cm = "*";
	if (rt == NULL)
		rt = "lite";
	if (epmc_cursor_decode(cm, &off) < 0)
		return json_error(rep, 200, "{siss}", "errCode", 404, "errMsg",
				  "Invalid cursorMark provided");
	rc = mirror_search_ids(c, q, &ids, &nids);
	if (rc < 0)
		return rc;
	j = json_object();
	list = json_array();
	if (j == NULL || list == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	json_object_set_new(j, "version", json_string("6.9"));
	json_object_set_new(j, "hitCount", json_integer((json_int_t)nids));
	for (size_t i = (size_t)off; i < nids && n < size; i++, n++) {
		json_t *res = strcmp(rt, "idlist") == 0 ? NULL
			: epmc_result(c, ids[i], strcmp(rt, "core") == 0);

		if (res == NULL) {
			char pmcid[64];

			snprintf(pmcid, sizeof(pmcid), "PMC%s", ids[i]);
			res = json_pack("{ssssss}", "id", pmcid, "source", "PMC",
					"pmcid", pmcid);
		}
		json_array_append_new(list, res);
	}
	/* Europe PMC repeats the cursor it was sent when the set is exhausted. */
	if ((size_t)(off + n) < nids) {
		next = epmc_cursor_encode(off + n);
		if (next == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	json_object_set_new(j, "nextCursorMark", json_string(next ? next : cm));
	if (next) {
		if (wn_buf_printf(&url, "%s" EPMC "search?query=", r->base) < 0 ||
		    mirror_pct_encode(&url, q) < 0 ||
		    wn_buf_addstr(&url, "&cursorMark=") < 0 ||
		    mirror_pct_encode(&url, next) < 0 ||
		    wn_buf_printf(&url, "&resultType=%s&pageSize=%d&format=json", rt, size) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		json_object_set_new(j, "nextPageUrl", json_string(url.data));
	}
	json_object_set_new(j, "request", json_pack("{sssssssisb}", "queryString", q,
		"resultType", rt, "cursorMark", cm, "pageSize", size, "synonym", 0));
	json_object_set_new(j, "resultList", json_pack("{sO}", "result", list));
	rc = mirror_reply_json(rep, 200, j);
out:
	free(ids);
	free(next);
	json_decref(list);
	json_decref(j);
	wn_buf_release(&url);
	return rc;
}

static int
epmc(const struct mirror_corpus *c, const struct mirror_req *r, struct mirror_reply *rep)
{
	const char *rest = r->path + strlen(EPMC), *slash;
	char id[32];
	const struct mirror_obj *o;

	if (strcmp(rest, "search") == 0 || strcmp(rest, "searchPOST") == 0)
		return epmc_search(c, r, rep);
	slash = strchr(rest, '/');
	if (slash && strncmp(rest, "PMC", 3) == 0 && slash - rest < (long)sizeof(id) + 3) {
		snprintf(id, sizeof(id), "%.*s", (int)(slash - rest - 3), rest + 3);
		if (strcmp(slash, "/fullTextXML") == 0) {
			o = mirror_newest(c, id, 0);
			if (o == NULL)
				return mirror_reply_set(rep, 404, "application/xml", NULL, 0);
			return mirror_reply_file(rep, o->path, "application/xml");
		}
		if (strcmp(slash, "/supplementaryFiles") == 0)
			return mirror_reply_set(rep, 404, "application/zip", NULL, 0);
	}
	return mirror_reply_text(rep, 404, "text/plain", "Not Found\n");
}

/* ---- Mastodon ---- */

/* Snowflake ids are decimal strings: compare by length, then lexically. */
static int
idcmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int
link_url(struct wn_buf *b, const struct mirror_req *r, const char *pname, const char *id)
{
	if (wn_buf_printf(b, "<%s%s?", r->base, r->path) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < r->nargs; i++) {
		const char *k = r->args[i].key;

		if (strcmp(k, "max_id") == 0 || strcmp(k, "min_id") == 0 ||
		    strcmp(k, "since_id") == 0)
			continue;
		if (mirror_pct_encode(b, k) < 0 || wn_buf_addstr(b, "=") < 0 ||
		    mirror_pct_encode(b, r->args[i].val) < 0 || wn_buf_addstr(b, "&") < 0)
			return -ENOMEM;
	}
	return wn_buf_printf(b, "%s=%s>", pname, id) < 0 ? -ENOMEM : 0;
}

static int
masto_tag(const struct mirror_corpus *c, const struct mirror_req *r, struct mirror_reply *rep)
{
	const char *tag = r->path + strlen(MASTO_TAG);
	const char *maxid = mirror_arg(r, "max_id"), *sinceid = mirror_arg(r, "since_id");
	const char *minid = mirror_arg(r, "min_id"), *lim = mirror_arg(r, "limit");
	const char *om = mirror_arg(r, "only_media");
	int limit = 20, only_media = om && (strcmp(om, "true") == 0 || strcmp(om, "1") == 0);
	json_t *all = NULL, *page = NULL;
	struct wn_buf rel, link;
	size_t n, first = 0, last = 0;
	char reset[32];
	int rc;

	wn_buf_init(&rel, 0);
	wn_buf_init(&link, 0);
	if (*tag == '\0' || strlen(tag) > 100) {
		rc = json_error(rep, 404, "{ss}", "error", "Record not found");
		goto out;
	}
	if (wn_buf_addstr(&rel, "mastodon/") < 0)
		goto nomem;
	for (const char *p = tag; *p; p++) {
		char ch = (char)tolower((unsigned char)*p);

		if (!isalnum((unsigned char)ch) && ch != '_') {
			rc = json_error(rep, 404, "{ss}", "error", "Record not found");
			goto out;
		}
		if (wn_buf_add(&rel, &ch, 1) < 0)
			goto nomem;
	}
	if (wn_buf_addstr(&rel, ".json") < 0)
		goto nomem;
	all = load_json(c, rel.data);
	if (!json_is_array(all)) {
		rc = json_error(rep, 404, "{ss}", "error", "Record not found");
		goto out;
	}
	if (lim && wn_parse_int(lim, 1, 1 << 20, &limit) < 0)
		limit = 20;
	if (limit > 40)
		limit = 40;
	page = json_array();
	if (page == NULL)
		goto nomem;
	n = json_array_size(all);
	/* statuses are newest first; min_id pages forward from the oldest side */
	{
		size_t *sel = calloc(n ? n : 1, sizeof(*sel)), nsel = 0;

		if (sel == NULL)
			goto nomem;
		for (size_t i = 0; i < n; i++) {
			json_t *st = json_array_get(all, i);
			const char *id = json_string_value(json_object_get(st, "id"));

			if (id == NULL)
				continue;
			if (maxid && idcmp(id, maxid) >= 0)
				continue;
			if (sinceid && idcmp(id, sinceid) <= 0)
				continue;
			if (minid && idcmp(id, minid) <= 0)
				continue;
			if (only_media && json_array_size(json_object_get(st, "media_attachments")) == 0)
				continue;
			sel[nsel++] = i;
		}
		first = minid && nsel > (size_t)limit ? nsel - (size_t)limit : 0;
		last = nsel < first + (size_t)limit ? nsel : first + (size_t)limit;
		for (size_t i = first; i < last; i++)
			json_array_append(page, json_array_get(all, sel[i]));
		free(sel);
	}
	rc = mirror_reply_json(rep, 200, page);
	if (rc < 0)
		goto out;
	if (json_array_size(page) > 0) {
		const char *newest = json_string_value(json_object_get(json_array_get(page, 0), "id"));
		const char *oldest = json_string_value(json_object_get(
			json_array_get(page, json_array_size(page) - 1), "id"));

		if (link_url(&link, r, "max_id", oldest) < 0 ||
		    wn_buf_addstr(&link, "; rel=\"next\", ") < 0 ||
		    link_url(&link, r, "min_id", newest) < 0 ||
		    wn_buf_addstr(&link, "; rel=\"prev\"") < 0)
			goto nomem;
		if (mirror_reply_header(rep, "Link", link.data) < 0)
			goto nomem;
	}
	mirror_iso_date(time(NULL) / 300 * 300 + 300, reset);
	if (mirror_reply_header(rep, "X-RateLimit-Limit", "300") < 0 ||
	    mirror_reply_header(rep, "X-RateLimit-Remaining", "299") < 0 ||
	    mirror_reply_header(rep, "X-RateLimit-Reset", reset) < 0 ||
	    mirror_reply_subst(rep, r->base) < 0)
		goto nomem;
	rc = 1;
	goto out;
nomem:
	rc = -ENOMEM;
out:
	json_decref(all);
	json_decref(page);
	wn_buf_release(&rel);
	wn_buf_release(&link);
	return rc;
}

/* ---- Bluesky ---- */

static int
post_has_tag(json_t *post, const char *tag)
{
	json_t *rec = json_object_get(post, "record"), *v, *f, *feat;
	size_t i, k;

	if (*tag == '#')
		tag++;
	json_array_foreach(json_object_get(rec, "tags"), i, v)
		if (json_is_string(v) && strcasecmp(json_string_value(v), tag) == 0)
			return 1;
	json_array_foreach(json_object_get(rec, "facets"), i, f)
		json_array_foreach(json_object_get(f, "features"), k, feat) {
			const char *t = json_string_value(json_object_get(feat, "tag"));

			if (t && strcasecmp(t, tag) == 0)
				return 1;
		}
	return 0;
}

static int
post_has_text(json_t *post, const char *q)
{
	const char *text = json_string_value(json_object_get(json_object_get(post, "record"),
							      "text"));

	if (*q == '#')
		q++;
	if (*q == '\0' || post_has_tag(post, q))
		return 1;
	return text && strcasestr(text, q) != NULL;
}

static int
bsky_search(const struct mirror_corpus *c, const struct mirror_req *r,
	    struct mirror_reply *rep, int v2)
{
	const char *q = mirror_arg(r, v2 ? "query" : "q"), *cur = mirror_arg(r, "cursor");
	const char *lim = mirror_arg(r, "limit");
	json_t *all = NULL, *posts = NULL, *out = NULL, *p;
	int limit = 25, off = 0, nhits = 0, rc;
	size_t i;

	if (!v2 && (q == NULL || *q == '\0'))
		return json_error(rep, 400, "{ssss}", "error", "InvalidRequest", "message",
				  "Error: Params must have the property \"q\"");
	if ((lim && wn_parse_int(lim, 1, 100, &limit) < 0) ||
	    (cur && wn_parse_int(cur, 0, 1 << 30, &off) < 0))
		return json_error(rep, 400, "{ssss}", "error", "InvalidRequest", "message",
				  "Error: limit must be between 1 and 100");
	all = load_json(c, "bluesky/posts.json");
	posts = json_array();
	out = json_object();
	if (posts == NULL || out == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(all, i, p) {
		int ok = q ? post_has_text(p, q) : 1;

		for (size_t k = 0; ok && k < r->nargs; k++) {
			const char *key = r->args[k].key;

			if (!v2 && strcmp(key, "tag") == 0)
				ok = post_has_tag(p, r->args[k].val);
		}
		if (v2) {
			int any = 0, want = 0;

			for (size_t k = 0; k < r->nargs; k++)
				if (strcmp(r->args[k].key, "hashtags") == 0 ||
				    strcmp(r->args[k].key, "hashtags[]") == 0) {
					want = 1;
					any |= post_has_tag(p, r->args[k].val);
				}
			if (want && !any)
				ok = 0;
		}
		if (!ok)
			continue;
		if (nhits >= off && nhits < off + limit)
			json_array_append(posts, p);
		nhits++;
	}
	if (off + limit < nhits) {
		char nc[24];

		snprintf(nc, sizeof(nc), "%d", off + limit);
		json_object_set_new(out, "cursor", json_string(nc));
	}
	json_object_set_new(out, "hitsTotal", json_integer(nhits));
	json_object_set(out, "posts", posts);
	rc = mirror_reply_json(rep, 200, out);
	if (rc >= 0 && (mirror_reply_header(rep, "ratelimit-limit", "3000") < 0 ||
			mirror_reply_header(rep, "ratelimit-remaining", "2999") < 0 ||
			mirror_reply_header(rep, "ratelimit-policy", "3000;w=300") < 0 ||
			mirror_reply_subst(rep, r->base) < 0))
		rc = -ENOMEM;
out:
	json_decref(all);
	json_decref(posts);
	json_decref(out);
	return rc;
}

/* ---- media/ (images the posts link to) ---- */

static int
media(const struct mirror_corpus *c, const struct mirror_req *r, struct mirror_reply *rep)
{
	const char *rel = r->path + 1;
	char *path;
	int rc;

	if (strstr(rel, "..") || strstr(rel, "//"))
		return mirror_reply_text(rep, 404, "text/plain", "Not Found\n");
	path = mirror_corpus_file(c, rel);
	if (path == NULL)
		return mirror_reply_text(rep, 404, "text/plain", "Not Found\n");
	rc = mirror_reply_file(rep, path, strstr(rel, ".png") ? "image/png" : "image/jpeg");
	free(path);
	if (rc > 0)
		rep->binary = 1;
	return rc;
}

int
mirror_social(const struct mirror_corpus *c, const struct mirror_req *r,
	      struct mirror_reply *rep)
{
	if (strncmp(r->path, EPMC, strlen(EPMC)) == 0)
		return epmc(c, r, rep);
	if (strncmp(r->path, MASTO_TAG, strlen(MASTO_TAG)) == 0)
		return masto_tag(c, r, rep);
	if (strcmp(r->path, BSKY_SEARCH) == 0)
		return bsky_search(c, r, rep, 0);
	if (strcmp(r->path, BSKY_SEARCH2) == 0)
		return bsky_search(c, r, rep, 1);
	if (strncmp(r->path, MEDIA, strlen(MEDIA)) == 0)
		return media(c, r, rep);
	return 0;
}
