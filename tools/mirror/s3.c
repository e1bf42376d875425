/*
 * s3.c: the PMC cloud bucket (pmc-oa-opendata) as S3 serves it over plain
 * HTTPS: ListObjectsV2 (prefix, delimiter, max-keys, continuation-token,
 * start-after), GET/HEAD of objects with ETag and Last-Modified, conditional
 * GET, and S3's XML errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "tools/mirror/mirror.h"
#include "lib/banned.h"

#define BUCKET		"pmc-oa-opendata"
#define XML_DECL	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

int
mirror_reply_file(struct mirror_reply *rep, const char *path, const char *ctype)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	rc = wn_read_file(path, MIRROR_MAX_FILE, &data, &len);
	if (rc < 0)
		return rc;
	return mirror_reply_set(rep, 200, ctype, data, len);
}

static const char *
ctype_for(const char *key)
{
	static const struct {
		const char *ext, *type;
	} map[] = {
		{ ".xml", "application/xml" }, { ".nxml", "application/xml" },
		{ ".json", "application/json" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".png", "image/png" },
		{ ".gif", "image/gif" }, { ".tif", "image/tiff" },
		{ ".tiff", "image/tiff" }, { ".webp", "image/webp" },
		{ ".pdf", "application/pdf" }, { ".txt", "text/plain" },
		{ ".csv", "text/csv" },
	};
	const char *dot = strrchr(key, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(dot, map[i].ext) == 0)
				return map[i].type;
	return "binary/octet-stream";
}

static int
s3_error(struct mirror_reply *rep, int status, const char *code, const char *msg,
	 const char *key_name, const char *key)
{
	struct wn_buf b;

	wn_buf_init(&b, 0);
	if (wn_buf_printf(&b, XML_DECL "<Error><Code>%s</Code><Message>%s</Message>",
			  code, msg) < 0)
		goto nomem;
	if (key_name && (wn_buf_printf(&b, "<%s>", key_name) < 0 ||
			 mirror_xml_escape(&b, key) < 0 ||
			 wn_buf_printf(&b, "</%s>", key_name) < 0))
		goto nomem;
	if (wn_buf_addstr(&b, "<RequestId>4442587FB7D0A2F9</RequestId>"
			  "<HostId>mirror</HostId></Error>") < 0)
		goto nomem;
	return mirror_reply_buf(rep, status, "application/xml", &b);
nomem:
	wn_buf_release(&b);
	return -ENOMEM;
}

static int
add_tag(struct wn_buf *b, const char *tag, const char *val)
{
	if (wn_buf_printf(b, "<%s>", tag) < 0 || mirror_xml_escape(b, val) < 0 ||
	    wn_buf_printf(b, "</%s>", tag) < 0)
		return -ENOMEM;
	return 0;
}

static int
list_v2(const struct mirror_corpus *c, const struct mirror_req *r, struct mirror_reply *rep)
{
	const char *prefix = mirror_arg(r, "prefix");
	const char *delim = mirror_arg(r, "delimiter");
	const char *token = mirror_arg(r, "continuation-token");
	const char *after = mirror_arg(r, "start-after");
	const char *mk = mirror_arg(r, "max-keys");
	char *resume = NULL, *lastcp = NULL;
	const char *last = NULL;
	struct wn_buf items, b;
	size_t plen, i, nkeys = 0, rlen, dlen;
	int maxkeys = 1000, truncated = 0, rc = -ENOMEM;

	wn_buf_init(&items, 0);
	wn_buf_init(&b, 0);
	if (prefix == NULL)
		prefix = "";
	if (delim && *delim == '\0')
		delim = NULL;
	plen = strlen(prefix);
	if (mk && wn_parse_int(mk, 0, 1 << 30, &maxkeys) < 0) {
		rc = s3_error(rep, 400, "InvalidArgument", "Provided max-keys not an integer or within integer range", NULL, NULL);
		goto out;
	}
	if (maxkeys > 1000)
		maxkeys = 1000;
	if (token && mirror_b64_decode(token, &resume) < 0) {
		rc = s3_error(rep, 400, "InvalidArgument",
			      "The continuation token provided is incorrect", NULL, NULL);
		goto out;
	}
	if (resume == NULL && after && *after) {
		resume = strdup(after);
		if (resume == NULL)
			goto out;
	}
	rlen = resume ? strlen(resume) : 0;
	dlen = delim ? strlen(delim) : 0;
	i = mirror_obj_lower(c, resume && strcmp(resume, prefix) > 0 ? resume : prefix);
	for (; i < c->nobjs; i++) {
		const char *key = c->objs[i].key, *rest, *d;

		if (strncmp(key, prefix, plen) != 0)
			break;
		if (resume && strcmp(key, resume) <= 0)
			continue;
		/* a common prefix already returned covers its keys */
		if (resume && delim && rlen >= dlen &&
		    strcmp(resume + rlen - dlen, delim) == 0 &&
		    strncmp(key, resume, rlen) == 0)
			continue;
		rest = key + plen;
		d = delim ? strstr(rest, delim) : NULL;
		if (d) {
			size_t cplen = (size_t)(d - key) + strlen(delim);

			if (lastcp && strlen(lastcp) == cplen && strncmp(lastcp, key, cplen) == 0)
				continue;
			if ((int)nkeys >= maxkeys) {
				truncated = 1;
				break;
			}
			free(lastcp);
			lastcp = strndup(key, cplen);
			if (lastcp == NULL)
				goto out;
			if (wn_buf_addstr(&items, "<CommonPrefixes>") < 0 ||
			    add_tag(&items, "Prefix", lastcp) < 0 ||
			    wn_buf_addstr(&items, "</CommonPrefixes>") < 0)
				goto out;
			last = lastcp;
			nkeys++;
			continue;
		}
		if ((int)nkeys >= maxkeys) {
			truncated = 1;
			break;
		}
		{
			char date[32];

			mirror_iso_date(c->objs[i].mtime, date);
			if (wn_buf_addstr(&items, "<Contents>") < 0 ||
			    add_tag(&items, "Key", key) < 0 ||
			    wn_buf_printf(&items, "<LastModified>%s</LastModified>"
					  "<ETag>&quot;%s&quot;</ETag><Size>%lld</Size>"
					  "<StorageClass>STANDARD</StorageClass></Contents>",
					  date, c->objs[i].md5,
					  (long long)c->objs[i].size) < 0)
				goto out;
		}
		last = key;
		nkeys++;
	}
	/* S3 lists objects before common prefixes; one pass keeps key order,
	 * which is what clients rely on, and both orders are valid XML. */
	if (wn_buf_addstr(&b, XML_DECL "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" BUCKET "</Name>") < 0 ||
	    add_tag(&b, "Prefix", prefix) < 0)
		goto out;
	if (token && add_tag(&b, "ContinuationToken", token) < 0)
		goto out;
	if (truncated && last) {
		struct wn_buf t;

		wn_buf_init(&t, 0);
		if (mirror_b64_encode(&t, last, strlen(last)) < 0 ||
		    add_tag(&b, "NextContinuationToken", t.data) < 0) {
			wn_buf_release(&t);
			goto out;
		}
		wn_buf_release(&t);
	}
	if (wn_buf_printf(&b, "<KeyCount>%zu</KeyCount><MaxKeys>%d</MaxKeys>", nkeys,
			  maxkeys) < 0)
		goto out;
	if (delim && add_tag(&b, "Delimiter", delim) < 0)
		goto out;
	if (after && add_tag(&b, "StartAfter", after) < 0)
		goto out;
	if (wn_buf_printf(&b, "<IsTruncated>%s</IsTruncated>", truncated ? "true" : "false") < 0 ||
	    (items.len && wn_buf_add(&b, items.data, items.len) < 0) ||
	    wn_buf_addstr(&b, "</ListBucketResult>") < 0)
		goto out;
	rc = mirror_reply_buf(rep, 200, "application/xml", &b);
out:
	free(resume);
	free(lastcp);
	wn_buf_release(&items);
	wn_buf_release(&b);
	return rc;
}

static int
etag_matches(const char *inm, const char *md5)
{
	const char *p;

	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	p = strstr(inm, md5);
	return p != NULL;
}

int
mirror_s3(const struct mirror_corpus *c, const struct mirror_req *r,
	  struct mirror_reply *rep)
{
	const struct mirror_obj *o;
	const char *key = r->path + 1;
	char date[40], etag[40];
	int rc;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return s3_error(rep, 405, "MethodNotAllowed",
				"The specified method is not allowed against this resource.",
				NULL, NULL);
	if (strcmp(r->path, "/") == 0) {
		if (mirror_arg(r, "list-type") || mirror_arg(r, "prefix") ||
		    mirror_arg(r, "delimiter") || r->nargs == 0)
			return list_v2(c, r, rep);
	}
	o = mirror_obj_find(c, key);
	if (o == NULL)
		return s3_error(rep, 404, "NoSuchKey", "The specified key does not exist.",
				"Key", key);
	mirror_http_date(o->mtime, date);
	snprintf(etag, sizeof(etag), "\"%s\"", o->md5);
	if (etag_matches(r->if_none_match, o->md5)) {
		rc = mirror_reply_set(rep, 304, ctype_for(key), NULL, 0);
	} else {
		rc = mirror_reply_file(rep, o->path, ctype_for(key));
		if (rc == -ENOENT)
			return s3_error(rep, 404, "NoSuchKey",
					"The specified key does not exist.", "Key", key);
		rep->binary = 1;
	}
	if (rc < 0)
		return rc;
	if (mirror_reply_header(rep, "ETag", etag) < 0 ||
	    mirror_reply_header(rep, "Last-Modified", date) < 0 ||
	    mirror_reply_header(rep, "Accept-Ranges", "bytes") < 0 ||
	    mirror_reply_header(rep, "Server", "AmazonS3") < 0)
		return -ENOMEM;
	return 1;
}
