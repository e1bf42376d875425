/*
 * oa.c: the legacy PMC OA Web Service (oa.fcgi, retired in August 2026) and
 * its tarball packages, for winnow-crawl's legacy mode.  Records and
 * packages are made from the bucket's newest version of each article:
 *   /pmc/utils/oa/oa.fcgi[?id=PMCid]     identification or one record
 *   /pub/pmc/oa_package/XX/YY/PMCid.tar.gz   PMCid/PMCid.nxml and its figures
 * A scenario replaces either with a recorded reply (oa-retired: 404 for all;
 * oa-evil: packages with path traversal, links and a decompression bomb).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "lib/digest.h"
#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

#define OA_PATH		"/pmc/utils/oa/oa.fcgi"
#define PKG_PATH	"/pub/pmc/oa_package/"
#define OA_REQUEST	"https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi"
#define MAX_PKG		(512u << 20)

static void
oa_date(time_t t, char out[32])
{
	struct tm tm;

	/* oa.fcgi speaks Bethesda local time; EST is close enough for a replay */
	t -= 5 * 3600;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* "f1/69": two hex levels from the id, stable like the real (random) ones */
static void
pkg_dirs(const char *pmcid, char out[8])
{
	char hex[33];

	if (wn_md5_hex(pmcid, strlen(pmcid), hex) < 0)
		memcpy(hex, "0000", 5);
	snprintf(out, 8, "%.2s/%.2s", hex, hex + 2);
}

static int
oa_reply(struct mirror_reply *rep, struct wn_buf *b)
{
	return mirror_reply_buf(rep, 200, "text/xml; charset=UTF-8", b);
}

static int
oa_error(struct mirror_reply *rep, const char *req, const char *code, const char *msg)
{
	struct wn_buf b;
	char now[32];

	oa_date(time(NULL), now);
	wn_buf_init(&b, 0);
	if (wn_buf_printf(&b, "<OA><responseDate>%s</responseDate><request>", now) < 0 ||
	    mirror_xml_escape(&b, req) < 0 ||
	    wn_buf_printf(&b, "</request><error code=\"%s\">", code) < 0 ||
	    mirror_xml_escape(&b, msg) < 0 || wn_buf_addstr(&b, "</error></OA>") < 0) {
		wn_buf_release(&b);
		return -ENOMEM;
	}
	return oa_reply(rep, &b);
}

static int
oa_record(const struct mirror_corpus *c, const struct mirror_req *r,
	  struct mirror_reply *rep, const char *id)
{
	const struct mirror_obj *mo, *xo;
	char *data = NULL, now[32], upd[32], dirs[8], req[256], pmcid[64], msg[128];
	json_t *meta = NULL;
	struct wn_buf b;
	const char *cit, *lic;
	size_t len;
	int rc = -ENOMEM;

	wn_buf_init(&b, 0);
	snprintf(req, sizeof(req), OA_REQUEST "?id=%s", id);
	if (strncmp(id, "PMC", 3) != 0 || strlen(id) > 40) {
		snprintf(msg, sizeof(msg), "invalid identifier '%.40s'", id);
		return oa_error(rep, req, "idDoesNotExist", msg);
	}
	mo = mirror_newest(c, id + 3, 1);
	xo = mirror_newest(c, id + 3, 0);
	if (mo == NULL || xo == NULL) {
		snprintf(msg, sizeof(msg), "identifier '%s' is not Open Access", id);
		return oa_error(rep, req, "idIsNotOpenAccess", msg);
	}
	if (wn_read_file(mo->path, MIRROR_MAX_INDEX, &data, &len) == 0)
		meta = json_loadb(data, len, 0, NULL);
	free(data);
	cit = json_string_value(json_object_get(meta, "citation"));
	lic = json_string_value(json_object_get(meta, "license_code"));
	snprintf(pmcid, sizeof(pmcid), "%s", id);
	oa_date(time(NULL), now);
	oa_date(xo->mtime, upd);
	pkg_dirs(pmcid, dirs);
	if (wn_buf_printf(&b, "<OA><responseDate>%s</responseDate><request id=\"%s\">%s</request>"
			  "<records returned-count=\"1\" total-count=\"1\"><record id=\"%s\" "
			  "citation=\"", now, pmcid, req, pmcid) < 0 ||
	    mirror_xml_escape(&b, cit ? cit : "") < 0 ||
	    wn_buf_addstr(&b, "\" license=\"") < 0 ||
	    mirror_xml_escape(&b, lic && strncmp(lic, "CC", 2) == 0 ? lic : "none") < 0 ||
	    wn_buf_printf(&b, "\" retracted=\"%s\"><link format=\"tgz\" updated=\"%s\" "
			  "href=\"ftp://ftp.ncbi.nlm.nih.gov/pub/pmc/oa_package/%s/%s.tar.gz\" />"
			  "</record></records></OA>",
			  json_is_true(json_object_get(meta, "is_retracted")) ? "yes" : "no",
			  upd, dirs, pmcid) < 0)
		goto out;
	rc = oa_reply(rep, &b);
out:
	json_decref(meta);
	wn_buf_release(&b);
	return rc;
}

static int
oa_service(const struct mirror_corpus *c, const struct mirror_req *r,
	   struct mirror_reply *rep)
{
	const char *id = mirror_arg(r, "id");
	struct wn_buf b;
	char now[32], latest[32];
	time_t newest = 0;
	size_t n = 0;

	if (id)
		return oa_record(c, r, rep, id);
	if (r->nargs > 0)
		return oa_error(rep, OA_REQUEST, "badArgument",
				"only the id parameter is replayed");
	for (size_t i = 0; i < c->nobjs; i++) {
		const char *k = c->objs[i].key, *slash = strchr(k, '/');

		if (strncmp(k, "PMC", 3) == 0 && slash && strstr(slash, ".xml") &&
		    strcmp(slash + strlen(slash) - 4, ".xml") == 0) {
			n++;
			if (c->objs[i].mtime > newest)
				newest = c->objs[i].mtime;
		}
	}
	oa_date(time(NULL), now);
	oa_date(newest, latest);
	wn_buf_init(&b, 0);
	if (wn_buf_printf(&b, "<OA>\n  <responseDate>%s</responseDate>\n  <request>" OA_REQUEST
			  "</request>\n  <repositoryName>PubMed Central Open Access FTP "
			  "Repository</repositoryName>\n  <formats>\n    <format>tgz</format>\n"
			  "    <format>pdf</format>\n  </formats>\n  <records>\n    <count>%zu"
			  "</count>\n    <count format=\"tgz\">%zu</count>\n    <count format="
			  "\"pdf\">0</count>\n    <latest>%s</latest>\n  </records>\n</OA>\n",
			  now, n, n, latest) < 0) {
		wn_buf_release(&b);
		return -ENOMEM;
	}
	return oa_reply(rep, &b);
}

static la_ssize_t
pkg_write(struct archive *a, void *cls, const void *buf, size_t len)
{
	struct wn_buf *b = cls;

	if (wn_buf_add(b, buf, len) < 0) {
		archive_set_error(a, ENOMEM, "package too big");
		return -1;
	}
	return (la_ssize_t)len;
}

static int
pkg_add(struct archive *a, const char *name, const char *path, time_t mtime)
{
	struct archive_entry *e;
	char *data = NULL;
	size_t len;
	int rc;

	rc = wn_read_file(path, MIRROR_MAX_FILE, &data, &len);
	if (rc < 0)
		return rc;
	e = archive_entry_new();
	if (e == NULL) {
		free(data);
		return -ENOMEM;
	}
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	rc = archive_write_header(a, e) == ARCHIVE_OK &&
	     archive_write_data(a, data, len) == (la_ssize_t)len ? 0 : -EIO;
	archive_entry_free(e);
	free(data);
	return rc;
}

/* PMCid/PMCid.nxml and the figure files of the newest version, gzipped tar. */
static int
package(const struct mirror_corpus *c, const struct mirror_req *r,
	struct mirror_reply *rep)
{
	const char *file = strrchr(r->path, '/') + 1;
	char pmcid[48], dirs[8], want[96], name[512];
	const struct mirror_obj *xo;
	struct archive *a = NULL;
	struct wn_buf b, prefix;
	size_t i;
	int rc = -ENOMEM;

	wn_buf_init(&b, MAX_PKG);
	wn_buf_init(&prefix, 0);
	if (strncmp(file, "PMC", 3) != 0 || strlen(file) > 40 || strlen(file) < 11 ||
	    strcmp(file + strlen(file) - 7, ".tar.gz") != 0)
		goto notfound;
	snprintf(pmcid, sizeof(pmcid), "%.*s", (int)(strlen(file) - 7), file);
	pkg_dirs(pmcid, dirs);
	snprintf(want, sizeof(want), PKG_PATH "%s/%s", dirs, file);
	if (strcmp(r->path, want) != 0)
		goto notfound;
	xo = mirror_newest(c, pmcid + 3, 0);
	if (xo == NULL)
		goto notfound;
	/* the version folder: "PMCid.N/" */
	if (wn_buf_add(&prefix, xo->key, (size_t)(strchr(xo->key, '/') - xo->key + 1)) < 0)
		goto out;
	a = archive_write_new();
	if (a == NULL || archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    /* no time in the gzip header: the same package on every download */
	    archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &b, NULL, pkg_write, NULL, NULL) != ARCHIVE_OK) {
		rc = -EIO;
		goto out;
	}
	snprintf(name, sizeof(name), "%s/%s.nxml", pmcid, pmcid);
	rc = pkg_add(a, name, xo->path, xo->mtime);
	for (i = mirror_obj_lower(c, prefix.data); rc == 0 && i < c->nobjs; i++) {
		const struct mirror_obj *o = &c->objs[i];
		const char *base = o->key + prefix.len;

		if (strncmp(o->key, prefix.data, prefix.len) != 0)
			break;
		if (strncmp(base, pmcid, strlen(pmcid)) == 0)	/* xml, json, txt */
			continue;
		snprintf(name, sizeof(name), "%s/%s", pmcid, base);
		rc = pkg_add(a, name, o->path, o->mtime);
	}
	if (rc < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = -EIO;
		goto out;
	}
	rc = mirror_reply_buf(rep, 200, "application/x-gzip", &b);
	if (rc > 0)
		rep->binary = 1;
	goto out;
notfound:
	rc = mirror_reply_text(rep, 404, "text/html",
			       "<html><body><h1>404 Not Found</h1></body></html>\n");
out:
	if (a)
		archive_write_free(a);
	wn_buf_release(&b);
	wn_buf_release(&prefix);
	return rc;
}

int
mirror_oa(const struct mirror_corpus *c, const struct mirror_req *r,
	  struct mirror_reply *rep)
{
	if (strcmp(r->path, OA_PATH) == 0)
		return oa_service(c, r, rep);
	if (strncmp(r->path, PKG_PATH, strlen(PKG_PATH)) == 0)
		return package(c, r, rep);
	return 0;
}
